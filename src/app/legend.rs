//! The level-set plot's legend: one entry per visible run, in the corner
//! that hides the least of the runs and never x₀ or the current point
//! (`teleport_core::plot::placement`, which the exported figure uses too),
//! in a corner the user chose, beside the plot, or not at all. The markers
//! every demo has (x₀, the current point, g_θ(x), the orbit, −∇f) are not
//! entries: [`overlay_key_ui`] explains them once, in a line of its own.

use egui::{Color32, Pos2, Rect, Stroke, vec2};
use teleport_core::plot::placement::{self, Corner};

use super::TeleportApp;
use super::state::LegendPlace;

/// One entry: a line in its row's colour and its name.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The row's colour.
    pub color: Color32,
    /// The name, with the run's fate (`diverged at step 16`).
    pub name: String,
    /// A hand-teleported branch, drawn dashed.
    pub dashed: bool,
}

/// The gap between the legend and the plot's edges, in points.
const MARGIN: f32 = 8.0;
/// The swatch's length.
const SWATCH: f32 = 18.0;
/// The room an outside legend takes beside the plot, at most.
pub const OUTSIDE_WIDTH: f32 = 220.0;

impl TeleportApp {
    /// The legend's entries: every visible run (and hand-teleported branch)
    /// in row order, and the ghost trails when drawn.
    pub(super) fn legend_entries(&self, ghosts: bool) -> Vec<Entry> {
        let mut out = Vec::new();
        for (entry, mut name, run) in self.visible_runs() {
            let color = super::row_color(entry);
            if let Some(stop) = &run.base.stop {
                name.push_str(&match stop {
                    teleport_core::optim::Stop::Diverged { step } => {
                        format!(" (diverged at step {step})")
                    }
                    teleport_core::optim::Stop::Failed { step, .. } => {
                        format!(" (failed at step {step})")
                    }
                });
            }
            if run.branch.is_some() {
                out.push(Entry {
                    color,
                    name: format!("{name} (teleported by hand)"),
                    dashed: true,
                });
            }
            out.push(Entry {
                color,
                name,
                dashed: false,
            });
        }
        if ghosts && let Some(live) = self.shown_live_row() {
            out.push(Entry {
                color: super::row_color(live).gamma_multiply(0.5),
                name: "earlier versions (ghosts)".to_owned(),
                dashed: false,
            });
        }
        out
    }
}

/// The legend's size for `entries` in `ui`'s style.
fn size_of(ui: &egui::Ui, entries: &[Entry]) -> (egui::Vec2, f32) {
    let font = egui::TextStyle::Small.resolve(ui.style());
    let row = ui.fonts_mut(|f| f.row_height(&font)) + 2.0;
    let text_w = entries
        .iter()
        .map(|e| {
            ui.fonts_mut(|f| {
                f.layout_no_wrap(e.name.clone(), font.clone(), Color32::BLACK)
                    .size()
                    .x
            })
        })
        .fold(0.0, f32::max);
    (
        vec2(SWATCH + 18.0 + text_w, 8.0 + row * entries.len() as f32),
        row,
    )
}

/// Where [`draw`] put the legend.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Placed {
    /// Inside the plot, covering none of the points it must keep clear.
    Inside(Rect),
    /// In the room beside the plot.
    Outside(Rect),
    /// Inside the plot over a point it should keep clear: automatic
    /// placement found no free corner and had no room beside the plot.
    Crowded(Rect),
}

/// Draws `entries` on the plot at `plot_rect`: where `place` says, or for
/// [`LegendPlace::Auto`] in the corner covering the fewest of `data` and
/// none of `keep_clear` (screen points), else in `outside` (the room beside
/// the plot, if any).
pub fn draw(
    ui: &egui::Ui,
    place: LegendPlace,
    plot_rect: Rect,
    outside: Option<Rect>,
    entries: &[Entry],
    data: &[Pos2],
    keep_clear: &[Pos2],
) -> Option<Placed> {
    if entries.is_empty() || place == LegendPlace::Hidden {
        return None;
    }
    let (size, row) = size_of(ui, entries);
    let area = [
        f64::from(plot_rect.left()),
        f64::from(plot_rect.top()),
        f64::from(plot_rect.right()),
        f64::from(plot_rect.bottom()),
    ];
    let size64 = [f64::from(size.x), f64::from(size.y)];
    let at = |corner: Corner| {
        let [x, y] = corner.place(area, size64, f64::from(MARGIN));
        Rect::from_min_size(egui::pos2(x as f32, y as f32), size)
    };
    let beside = || outside.map(|room| Rect::from_min_size(room.left_top() + vec2(4.0, 0.0), size));
    let placed = match place {
        LegendPlace::Hidden => return None,
        LegendPlace::Corner(corner) => Placed::Inside(at(corner)),
        LegendPlace::Outside => Placed::Outside(beside()?),
        LegendPlace::Auto => {
            let pts = |ps: &[Pos2]| -> Vec<[f64; 2]> {
                ps.iter()
                    .map(|p| [f64::from(p.x), f64::from(p.y)])
                    .collect()
            };
            match placement::emptiest_corner(
                area,
                size64,
                f64::from(MARGIN),
                &pts(data),
                &pts(keep_clear),
            ) {
                Some(corner) => Placed::Inside(at(corner)),
                None => match beside() {
                    Some(rect) => Placed::Outside(rect),
                    None => Placed::Crowded(at(Corner::TopRight)),
                },
            }
        }
    };
    let (Placed::Inside(rect) | Placed::Outside(rect) | Placed::Crowded(rect)) = placed;
    let painter = ui
        .painter()
        .with_clip_rect(plot_rect.union(outside.unwrap_or(plot_rect)));
    painter.rect_filled(rect, 4.0, Color32::from_white_alpha(230));
    painter.rect_stroke(
        rect,
        4.0,
        Stroke::new(1.0, Color32::from_gray(190)),
        egui::StrokeKind::Inside,
    );
    let font = egui::TextStyle::Small.resolve(ui.style());
    for (i, e) in entries.iter().enumerate() {
        let y = rect.top() + 4.0 + row * (i as f32 + 0.5);
        let (x0, x1) = (rect.left() + 6.0, rect.left() + 6.0 + SWATCH);
        let stroke = Stroke::new(2.5, e.color);
        if e.dashed {
            painter.extend(egui::Shape::dashed_line(
                &[egui::pos2(x0, y), egui::pos2(x1, y)],
                stroke,
                4.0,
                3.0,
            ));
        } else {
            painter.line_segment([egui::pos2(x0, y), egui::pos2(x1, y)], stroke);
        }
        painter.text(
            egui::pos2(x1 + 6.0, y),
            egui::Align2::LEFT_CENTER,
            &e.name,
            font.clone(),
            ui.visuals().text_color(),
        );
    }
    Some(placed)
}

/// Screen points of `points` (plot coordinates) sampled along each
/// polyline every 8 points: the data a legend should not cover.
pub fn screen_data(transform: &egui_plot::PlotTransform, polylines: &[Vec<[f64; 2]>]) -> Vec<Pos2> {
    let mut out = Vec::new();
    let mut screen = Vec::new();
    for line in polylines {
        screen.clear();
        screen.extend(line.iter().map(|p| {
            let s = transform.position_from_point(&egui_plot::PlotPoint::new(p[0], p[1]));
            [f64::from(s.x), f64::from(s.y)]
        }));
        let mut dense = Vec::new();
        placement::densify(&screen, 8.0, &mut dense);
        out.extend(
            dense
                .into_iter()
                .map(|p| egui::pos2(p[0] as f32, p[1] as f32)),
        );
    }
    out
}

/// One line that explains the markers every demo draws, in their colours:
/// x₀, the current point, g_θ(x), the orbit and −∇f.
pub fn overlay_key_ui(ui: &mut egui::Ui, orbit: bool, arrows: bool) {
    let orbit_color = Color32::from_rgb(120, 60, 160);
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 4.0;
        let item = |ui: &mut egui::Ui, glyph: &str, color: Color32, text: &str| {
            ui.label(egui::RichText::new(glyph).color(color));
            ui.label(egui::RichText::new(text).small());
            ui.add_space(6.0);
        };
        item(ui, "■", Color32::from_gray(20), "x₀ (drag it)");
        item(ui, "●", Color32::BLACK, "x, the current point");
        if orbit {
            item(ui, "◆", orbit_color, "g_θ(x)");
            item(ui, "┄", orbit_color, "orbit of x (its level set)");
        }
        if arrows {
            item(ui, "→", Color32::from_rgb(200, 40, 40), "−∇f");
        }
        item(ui, "◇ ┄", Color32::from_gray(90), "a teleport");
        item(ui, "+", Color32::from_gray(30), "minimum");
    });
}
