//! The data and the decision boundary, as TensorFlow Playground draws
//! them: the plane shaded by the network's probability of class 1 (orange
//! for class 0, blue for class 1, light where it hesitates), the 0.5
//! contour as a line, and the points in their class's colour — at the
//! parameters of the selected row at the playback's step. The same
//! picture is a figure of the core's chart renderer for File → Export plot
//! as SVG, `--export-plot` and the plot's animation.

use egui::Color32;
use egui_plot::{Line, MarkerShape, Plot, PlotImage, PlotPoint, Points};

use teleport_core::contour::{Grid, contours, polylines};
use teleport_core::net::NetTask;
use teleport_core::numfmt::short;
use teleport_core::plot::{Chart, Color, Figure, Image, Marker, Markers, Segments};

use crate::app::TeleportApp;

/// Class 0's colour (TensorFlow Playground's orange).
pub const CLASS0: Color = Color::rgb(245, 147, 34);
/// Class 1's colour (TensorFlow Playground's blue).
pub const CLASS1: Color = Color::rgb(8, 119, 189);
/// The colour where the network hesitates (p = 0.5).
const MIDDLE: Color = Color::rgb(232, 234, 235);
/// The most points a view draws: beyond, every k-th (the count says so).
pub const MAX_DRAWN_POINTS: usize = 2500;

fn egui_color(c: Color) -> Color32 {
    Color32::from_rgb(c.r, c.g, c.b)
}

/// The shading of probability `p` of class 1: orange through light grey to
/// blue, washed towards white so that the points stand out.
pub fn probability_color(p: f64) -> Color {
    let p = if p.is_finite() {
        p.clamp(0.0, 1.0)
    } else {
        0.5
    };
    let t = 2.0 * p - 1.0;
    let (far, w) = if t < 0.0 { (CLASS0, -t) } else { (CLASS1, t) };
    let mix = |a: u8, b: u8| {
        let v = f64::from(a) + (f64::from(b) - f64::from(a)) * w;
        // 40 % white over the colour, as the Playground's translucent
        // background.
        (0.6 * v + 0.4 * 255.0).round() as u8
    };
    Color::rgb(
        mix(MIDDLE.r, far.r),
        mix(MIDDLE.g, far.g),
        mix(MIDDLE.b, far.b),
    )
}

/// The region the data view shows: the square around the data's
/// bounding box, grown by 15 % on every side (a small square around one
/// point if all points coincide).
pub fn data_view(task: &NetTask) -> ([f64; 2], [f64; 2]) {
    let (lo, hi) = task.data.bounds();
    let half = 0.65 * (hi[0] - lo[0]).max(hi[1] - lo[1]).max(1e-6);
    let c = [(lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0];
    ([c[0] - half, c[1] - half], [c[0] + half, c[1] + half])
}

/// Samples per side of the probability grid: fewer for larger networks,
/// so that a grid costs about the same (a few million multiply-adds).
pub fn grid_side(params: usize) -> usize {
    let side = (4e6 / (params.max(1) as f64)).sqrt();
    (side as usize).clamp(32, 120)
}

/// The decision function at `params` over `view`: the probability grid
/// and its 0.5 contour as polylines.
pub fn boundary(
    task: &NetTask,
    params: &[f64],
    view: ([f64; 2], [f64; 2]),
    side: usize,
) -> (Grid, Vec<Vec<[f64; 2]>>) {
    let grid = task
        .mlp
        .probability_grid(params, view.0, view.1, side, side);
    let lines = contours(&grid, &[0.5])
        .into_iter()
        .flat_map(|c| polylines(&c.segments))
        .collect();
    (grid, lines)
}

/// The grid's probabilities as an RGBA image, rows from the top down.
fn grid_rgba(grid: &Grid) -> Vec<u8> {
    let mut rgba = Vec::with_capacity(grid.nx * grid.ny * 4);
    for j in (0..grid.ny).rev() {
        for i in 0..grid.nx {
            let c = probability_color(grid.values.get(j * grid.nx + i).copied().unwrap_or(0.5));
            rgba.extend([c.r, c.g, c.b, 255]);
        }
    }
    rgba
}

/// Every `k`-th point of each class, at most [`MAX_DRAWN_POINTS`] in all:
/// `(class 0, class 1, k)`.
pub fn drawn_points(task: &NetTask) -> (Vec<[f64; 2]>, Vec<[f64; 2]>, usize) {
    let n = task.data.len();
    let stride = n.div_ceil(MAX_DRAWN_POINTS).max(1);
    let (mut zero, mut one) = (Vec::new(), Vec::new());
    for i in (0..n).step_by(stride) {
        let p = task.data.point(i);
        if task.data.labels()[i] == 1 {
            one.push(p);
        } else {
            zero.push(p);
        }
    }
    (zero, one, stride)
}

/// What a boundary is drawn for: the parameters, the view, the grid's side.
type BoundaryKey = (Vec<f64>, [f64; 2], [f64; 2], usize);

/// What the boundary was drawn for, and the drawing.
#[derive(Default)]
pub struct BoundaryCache {
    key: Option<BoundaryKey>,
    /// The probability grid drawn.
    pub grid: Option<Grid>,
    /// The 0.5 contour.
    pub lines: Vec<Vec<[f64; 2]>>,
    texture: Option<egui::TextureHandle>,
    /// The plot's screen rectangle in the last frame.
    pub plot_rect: Option<egui::Rect>,
}

impl TeleportApp {
    /// The decision boundary's cache: the grid and contour last drawn.
    pub fn network_boundary(&self) -> &BoundaryCache {
        &self.rt.network.boundary
    }

    /// Refreshes the boundary for the current parameters (only when they,
    /// or the task, changed).
    fn refresh_boundary(&mut self, ctx: &egui::Context) {
        let (Some(task), Some(params)) = (self.network_task().cloned(), self.network_params())
        else {
            return;
        };
        let view = data_view(&task);
        let side = grid_side(params.len());
        let key = (params, view.0, view.1, side);
        let cache = &mut self.rt.network.boundary;
        if cache.key.as_ref() == Some(&key) {
            return;
        }
        let (grid, lines) = boundary(&task, &key.0, view, side);
        let image = egui::ColorImage::from_rgba_unmultiplied([grid.nx, grid.ny], &grid_rgba(&grid));
        cache.texture = Some(ctx.load_texture("net-boundary", image, egui::TextureOptions::LINEAR));
        cache.grid = Some(grid);
        cache.lines = lines;
        cache.key = Some(key);
    }

    /// The data view: the points, the probability shading and the decision
    /// boundary at the selected row's parameters at the playback's step.
    pub(in crate::app) fn network_data_ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.refresh_boundary(&ctx);
        let Some(task) = self.network_task().cloned() else {
            ui.label("Building the network task…");
            return;
        };
        let net = &self.state.network;
        let t = self.state.playback.t;
        let row_name = net
            .rows
            .iter()
            .zip(net.row_labels())
            .find(|(r, _)| r.id == net.selected)
            .map(|(_, l)| l);
        let record = self
            .network_run(net.selected)
            .and_then(|r| r.shown().at(t).cloned());
        let status = match (&row_name, &record) {
            (Some(name), Some(r)) => format!(
                "{name} at step {}: f = {}, accuracy {:.1} %",
                r.t,
                short(r.f),
                100.0 * r.accuracy
            ),
            (Some(name), None) if self.network_runs_pending() => {
                format!("{name}: computing… (the initial network shown)")
            }
            _ => "the initial network (no row selected has a run)".to_owned(),
        };
        ui.label(egui::RichText::new(status).small());
        let (zero, one, stride) = drawn_points(&task);
        if stride > 1 {
            ui.label(
                egui::RichText::new(format!(
                    "{} points: every {stride}th drawn",
                    task.data.len()
                ))
                .small()
                .weak(),
            );
        }
        let view = data_view(&task);
        let mut hover = None;
        let response = Plot::new("net-data")
            .data_aspect(1.0)
            .include_x(view.0[0])
            .include_x(view.1[0])
            .include_y(view.0[1])
            .include_y(view.1[1])
            .allow_double_click_reset(true)
            .legend(egui_plot::Legend::default().position(egui_plot::Corner::RightTop))
            .width(ui.available_width().max(60.0))
            .height(ui.available_height().max(60.0))
            .show(ui, |plot_ui| {
                crate::app::keep_view_sane(plot_ui, 1e9, None);
                let cache = &self.rt.network.boundary;
                if let Some(tex) = &cache.texture {
                    let center = PlotPoint::new(
                        (view.0[0] + view.1[0]) / 2.0,
                        (view.0[1] + view.1[1]) / 2.0,
                    );
                    let size = egui::vec2(
                        (view.1[0] - view.0[0]) as f32,
                        (view.1[1] - view.0[1]) as f32,
                    );
                    plot_ui.image(PlotImage::new("", tex.id(), center, size).allow_hover(false));
                }
                for (k, line) in cache.lines.iter().enumerate() {
                    let name = if k == 0 {
                        "decision boundary (p = 0.5)"
                    } else {
                        ""
                    };
                    plot_ui.line(
                        Line::new(name, line.clone())
                            .id(("net-boundary", k))
                            .allow_band(false)
                            .color(Color32::from_gray(30))
                            .width(2.0)
                            .allow_hover(false),
                    );
                }
                for (name, points, color) in [("class 0", zero, CLASS0), ("class 1", one, CLASS1)] {
                    plot_ui.points(
                        Points::new(name, points)
                            .shape(MarkerShape::Circle)
                            .radius(3.0)
                            .filled(true)
                            .color(egui_color(color)),
                    );
                }
                hover = plot_ui.pointer_coordinate();
            });
        self.rt.network.boundary.plot_rect = Some(response.response.rect);
        if response.response.hovered()
            && let (Some(p), Some(params)) = (hover, self.network_params())
        {
            let z = task.mlp.logits_of(&params, &[p.x], &[p.y]);
            if let Some(&z) = z.first() {
                let prob = teleport_core::net::mlp::sigmoid(z);
                response.response.on_hover_text_at_pointer(format!(
                    "x = ({}, {})   p(class 1) = {}",
                    short(p.x),
                    short(p.y),
                    short(prob)
                ));
            }
        }
    }

    /// The data view as a figure of `size` pixels: at `step` of the
    /// playback, or at the timeline's step.
    pub fn network_data_figure(&self, size: [u32; 2], step: Option<usize>) -> Option<Figure> {
        let task = self.network_task()?;
        let net = &self.state.network;
        let t = step.unwrap_or(self.state.playback.t);
        let run = self.network_run(net.selected).map(|r| r.shown());
        let record = run
            .and_then(|r| r.at(t))
            .filter(|r| r.params.len() == task.mlp.num_params());
        let params = record.map_or_else(|| task.init.clone(), |r| r.params.clone());
        let view = data_view(task);
        // The image is sampled finer for a larger figure, within the cost
        // of one grid.
        let side = grid_side(params.len())
            .max((size[0].min(size[1]) / 4) as usize)
            .min(200);
        let (grid, _) = boundary(task, &params, view, side);
        let segments: Vec<[[f64; 2]; 2]> = contours(&grid, &[0.5])
            .into_iter()
            .flat_map(|c| c.segments)
            .collect();
        let (zero, one, _) = drawn_points(task);
        let label = net
            .rows
            .iter()
            .zip(net.row_labels())
            .find(|(r, _)| r.id == net.selected)
            .map(|(_, l)| l)
            .unwrap_or_default();
        let title = match (&self.state.caption, record) {
            (Some(c), _) if !c.trim().is_empty() => c.clone(),
            (_, Some(r)) => format!(
                "{label}, step {}: f = {}, accuracy {:.1} %",
                r.t,
                short(r.f),
                100.0 * r.accuracy
            ),
            _ => format!("{}: the initial network", net.task.describe()),
        };
        let chart = Chart::new(title, "x₁", "x₂")
            .equal_aspect()
            .x_range(view.0[0], view.1[0])
            .y_range(view.0[1], view.1[1])
            .push(Image::new(
                (view.0[0], view.1[0]),
                (view.0[1], view.1[1]),
                [grid.nx as u32, grid.ny as u32],
                grid_rgba(&grid),
            ))
            .push(
                Segments::new(segments)
                    .color(Color::rgb(30, 30, 30))
                    .width(2.0),
            )
            .push(
                Markers::new("class 0", zero)
                    .color(CLASS0)
                    .shape(Marker::Circle)
                    .size(5.0),
            )
            .push(
                Markers::new("class 1", one)
                    .color(CLASS1)
                    .shape(Marker::Circle)
                    .size(5.0),
            );
        Some(Figure::new(size[0], size[1], vec![chart]))
    }

    /// The network's playback as figures, one per step.
    pub fn network_playback_figures(&self, size: [u32; 2]) -> Vec<Figure> {
        (0..=self.network_steps())
            .filter_map(|t| self.network_data_figure(size, Some(t)))
            .collect()
    }
}

/// A figure drawn as an animation frame.
pub fn figure_frame(figure: &Figure) -> Result<teleport_core::anim::RgbaFrame, String> {
    let pixmap = figure.render().map_err(|e| e.to_string())?;
    // The figure is drawn on white: every pixel is opaque, so its
    // premultiplied bytes are the straight ones.
    teleport_core::anim::RgbaFrame::from_raw(
        pixmap.width(),
        pixmap.height(),
        pixmap.data().to_vec(),
    )
    .ok_or_else(|| "the figure's pixels do not match its size".to_owned())
}

/// Draws figures as animation frames, a range at a time on every core.
pub fn figure_frames(figures: Vec<Figure>) -> crate::app::plot_animation::DrawFrames {
    let threads = crate::app::plot_animation::frame_threads();
    Box::new(move |range: std::ops::Range<usize>| {
        let slice = figures.get(range).unwrap_or(&[]);
        teleport_core::eval::map_pooled(slice, threads, figure_frame)
            .into_iter()
            .collect()
    })
}

/// Draws and encodes `figures` as an animation, `delays[k]` ms each.
pub fn encode_figures(
    figures: Vec<Figure>,
    delays: &[u32],
    format: teleport_core::anim::AnimFormat,
) -> Result<Vec<u8>, String> {
    let total = figures.len();
    let mut draw = figure_frames(figures);
    let mut encoder: Option<teleport_core::anim::AnimEncoder> = None;
    let mut next = 0;
    while next < total {
        let end = (next + 8).min(total);
        for (frame, delay) in draw(next..end)?.iter().zip(&delays[next..end]) {
            let enc = match &mut encoder {
                Some(enc) => enc,
                None => encoder.insert(
                    teleport_core::anim::AnimEncoder::new(
                        format,
                        frame.width,
                        frame.height,
                        total as u32,
                    )
                    .map_err(|e| e.to_string())?,
                ),
            };
            enc.push(frame, *delay).map_err(|e| e.to_string())?;
        }
        next = end;
    }
    encoder
        .ok_or_else(|| "no frame to draw".to_owned())?
        .finish()
        .map_err(|e| e.to_string())
}

impl TeleportApp {
    /// The network rows' runs as CSV, one line per step per run, as
    /// `teleport-lab eval --format csv` prints a network lab file, with
    /// a `run` column (`base` or `teleported-by-hand`).
    pub fn network_trajectories_csv(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::from("optimizer,run,t,f,grad_norm,accuracy,teleported\n");
        for (_, name, result) in self.visible_network_runs() {
            let name = teleport_core::io::csv_field(&name);
            let mut write = |kind: &str, run: &super::runs::NetRun| {
                for r in &run.trajectory.records {
                    let _ = writeln!(
                        out,
                        "{name},{kind},{},{},{},{},{}",
                        r.t, r.f, r.grad_norm, r.accuracy, r.teleported
                    );
                }
            };
            write("base", &result.base);
            if let Some(b) = &result.branch {
                write("teleported-by-hand", b);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shading_runs_from_orange_through_grey_to_blue() {
        let (a, m, b) = (
            probability_color(0.0),
            probability_color(0.5),
            probability_color(1.0),
        );
        assert!(a.r > a.b && b.b > b.r, "{a:?} {b:?}");
        assert!(m.r.abs_diff(m.b) < 10, "{m:?}");
        assert_eq!(probability_color(f64::NAN), m);
    }

    #[test]
    fn a_larger_network_gets_a_coarser_grid() {
        assert_eq!(grid_side(65), 120);
        assert!(grid_side(8577) < grid_side(1000));
        assert_eq!(grid_side(usize::MAX), 32);
    }
}
