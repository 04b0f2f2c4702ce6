//! The task gallery: level-set thumbnails of the first tasks of a
//! distribution (seeds `first, first + 1, …`, as the side panel's "seed"
//! names them), each with its start point x₀ and its minimizer. A click
//! opens the task with that x₀.

use egui::{Color32, Sense, Stroke, TextureHandle, pos2, vec2};

use super::state::TaskSource;
use super::{Action, TeleportApp};
use teleport_core::contour::{Grid, auto_levels, contours, polylines};
use teleport_core::objective::{Task, TaskDist};

/// Thumbnails per page.
pub const THUMBNAILS: usize = 12;
/// Thumbnails per row.
const COLUMNS: usize = 4;
/// Samples per side of a thumbnail's grid.
const SAMPLES: usize = 48;
/// A thumbnail's side, in points.
const SIDE: f32 = 100.0;
/// The distributions a gallery can show.
pub const DISTS: [TaskDist; 3] = [TaskDist::ElliVary, TaskDist::RosVary, TaskDist::Mixed];

/// The task of `dist` with seed `seed`: the side panel's sampled task of
/// that seed ([`super::objective_of`] takes its objective), and the start
/// point drawn after it.
pub fn task(dist: TaskDist, seed: u64) -> Task {
    dist.sample(&mut teleport_core::rng(seed), Default::default())
}

/// One thumbnail: a task, its square view, and what is drawn of it.
struct Thumbnail {
    seed: u64,
    task: Task,
    min: [f64; 2],
    max: [f64; 2],
    texture: TextureHandle,
    lines: Vec<Vec<[f64; 2]>>,
}

/// The gallery's page and its thumbnails, made again when the page changes.
#[derive(Default)]
pub struct GalleryCache {
    /// The distribution shown (`None`: the current task's, or elli_vary).
    dist: Option<TaskDist>,
    /// The first seed of the page.
    first: u64,
    /// The page the thumbnails were made for.
    key: Option<(TaskDist, u64)>,
    thumbnails: Vec<Thumbnail>,
}

impl std::fmt::Debug for GalleryCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GalleryCache")
            .field("key", &self.key)
            .field("thumbnails", &self.thumbnails.len())
            .finish_non_exhaustive()
    }
}

impl Thumbnail {
    fn new(ctx: &egui::Context, dist: TaskDist, seed: u64) -> Self {
        let task = task(dist, seed);
        let (lo, hi) = teleport_core::basin::fit_view(
            task.x0,
            task.objective.minimizer(),
            std::iter::empty(),
            teleport_core::basin::VIEW_LIMIT,
        );
        let (min, max) = super::level_set::fit_aspect(lo, hi, 1.0);
        let grid = Grid::of_objective(&task.objective, min, max, SAMPLES, SAMPLES);
        let lines = contours(&grid, &auto_levels(&grid, 8))
            .iter()
            .flat_map(|c| polylines(&c.segments))
            .collect();
        let image = super::level_set::colormap(&grid);
        let name = format!("gallery-{}-{seed}", dist.name());
        let texture = ctx.load_texture(name, image, egui::TextureOptions::LINEAR);
        Self {
            seed,
            task,
            min,
            max,
            texture,
            lines,
        }
    }
}

impl TeleportApp {
    /// The gallery's distribution: the one chosen in the window, else the
    /// current task's, else elli_vary.
    fn gallery_dist(&self) -> TaskDist {
        self.rt.gallery.dist.unwrap_or(match &self.state.source {
            TaskSource::Sampled { dist, .. } if DISTS.contains(dist) => *dist,
            _ => TaskDist::ElliVary,
        })
    }

    /// The seeds the gallery shows now.
    pub fn gallery_seeds(&self) -> std::ops::Range<u64> {
        let first = self.rt.gallery.first;
        first..first.saturating_add(THUMBNAILS as u64)
    }

    pub(super) fn task_gallery_ui(&mut self, ui: &mut egui::Ui) {
        let mut dist = self.gallery_dist();
        let mut first = self.rt.gallery.first;
        ui.horizontal(|ui| {
            egui::ComboBox::from_id_salt("gallery-dist")
                .selected_text(dist.name())
                .show_ui(ui, |ui| {
                    for d in DISTS {
                        ui.selectable_value(&mut dist, d, d.name());
                    }
                })
                .response
                .on_hover_text("The distribution whose first tasks are shown.");
            let page = THUMBNAILS as u64;
            if ui
                .add_enabled(first > 0, egui::Button::new("◀ previous"))
                .on_hover_text("The previous tasks.")
                .clicked()
            {
                first = first.saturating_sub(page);
            }
            super::labelled(ui, "from seed", egui::DragValue::new(&mut first))
                .on_hover_text("The seed of the first thumbnail.");
            if ui
                .button("next ▶")
                .on_hover_text("The next tasks.")
                .clicked()
            {
                first = first.saturating_add(page);
            }
        });
        if dist != self.gallery_dist() {
            self.rt.gallery.dist = Some(dist);
        }
        self.rt.gallery.first = first;
        let key = (dist, first);
        if self.rt.gallery.key != Some(key) {
            let ctx = ui.ctx().clone();
            self.rt.gallery.thumbnails = self
                .gallery_seeds()
                .map(|seed| Thumbnail::new(&ctx, dist, seed))
                .collect();
            self.rt.gallery.key = Some(key);
        }
        ui.label(
            egui::RichText::new("f = ‖h(x)‖² from light (low) to dark; ■ x₀, + the minimum.")
                .weak(),
        );
        let mut open = None;
        egui::Grid::new("gallery-grid")
            .spacing(vec2(6.0, 6.0))
            .show(ui, |ui| {
                for (k, thumb) in self.rt.gallery.thumbnails.iter().enumerate() {
                    let source = TaskSource::Sampled {
                        dist,
                        seed: thumb.seed,
                    };
                    let current = self.state.source == source;
                    if thumbnail_ui(ui, dist, thumb, current).clicked() {
                        open = Some((source, [thumb.task.x0.x, thumb.task.x0.y]));
                    }
                    if (k + 1) % COLUMNS == 0 {
                        ui.end_row();
                    }
                }
            });
        if let Some((source, x0)) = open {
            self.queue(Action::OpenTask(source, x0));
        }
    }
}

/// Draws one thumbnail (outlined when it is the current task) and its
/// caption; the response says whether it was clicked.
fn thumbnail_ui(
    ui: &mut egui::Ui,
    dist: TaskDist,
    thumb: &Thumbnail,
    current: bool,
) -> egui::Response {
    let name = format!("{} #{}", dist.name(), thumb.seed);
    ui.vertical(|ui| {
        let (rect, response) = ui.allocate_exact_size(vec2(SIDE, SIDE), Sense::click());
        let painter = ui.painter_at(rect);
        let uv = egui::Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0));
        painter.image(thumb.texture.id(), rect, uv, Color32::WHITE);
        let (min, max) = (thumb.min, thumb.max);
        let to_screen = |p: [f64; 2]| {
            let u = ((p[0] - min[0]) / (max[0] - min[0])) as f32;
            let v = ((p[1] - min[1]) / (max[1] - min[1])) as f32;
            pos2(
                rect.left() + u * rect.width(),
                rect.bottom() - v * rect.height(),
            )
        };
        let contour = Stroke::new(0.8, Color32::from_rgba_unmultiplied(90, 100, 130, 140));
        for line in &thumb.lines {
            painter.line(line.iter().map(|&p| to_screen(p)).collect(), contour);
        }
        let x0 = to_screen([thumb.task.x0.x, thumb.task.x0.y]);
        painter.rect_filled(
            egui::Rect::from_center_size(x0, vec2(6.0, 6.0)),
            0.0,
            Color32::BLACK,
        );
        let m = thumb.task.objective.minimizer();
        let m = to_screen([m.x, m.y]);
        let cross = Stroke::new(1.5, Color32::from_rgb(200, 30, 60));
        painter.line_segment([m - vec2(4.0, 0.0), m + vec2(4.0, 0.0)], cross);
        painter.line_segment([m - vec2(0.0, 4.0), m + vec2(0.0, 4.0)], cross);
        let outline = if current {
            Stroke::new(2.5, ui.visuals().selection.stroke.color)
        } else if response.hovered() {
            Stroke::new(1.5, ui.visuals().text_color())
        } else {
            Stroke::new(0.5, ui.visuals().weak_text_color())
        };
        painter.rect_stroke(rect, 2.0, outline, egui::StrokeKind::Inside);
        ui.label(egui::RichText::new(&name).small());
        let open = format!("open {name}");
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, open.clone()));
        let x0 = thumb.task.x0;
        response.on_hover_text(format!(
            "{name}: {}\nx₀ = ({}, {})\nClick to open it here.",
            family(&thumb.task),
            teleport_core::numfmt::short(x0.x),
            teleport_core::numfmt::short(x0.y)
        ))
    })
    .inner
}

/// The task's family, in words.
fn family(task: &Task) -> &'static str {
    match teleport_core::pretrained::Family::of(&task.objective) {
        teleport_core::pretrained::Family::Ellipse => "a generalized ellipse (Booth)",
        teleport_core::pretrained::Family::Rosenbrock => "a generalized Rosenbrock",
    }
}
