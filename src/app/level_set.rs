//! The level-set view: contours of f (and a filled colour map of log f),
//! trajectories, the start point, the orbit of the current point and its
//! teleported image g_θ(x) with gradient arrows.

use egui::{Color32, Stroke};
use egui_plot::{
    Arrows, Line, LineStyle, MarkerShape, Plot, PlotBounds, PlotImage, PlotPoint, Points, Polygon,
};

use super::state::{LegendPlace, RowId};
use super::{TeleportApp, row_color};
use teleport_core::contour::{Grid, contours, levels_for, polylines};
use teleport_core::numfmt::short;
use teleport_core::objective::{Objective, Vec2};
use teleport_core::symmetry::{orbit, teleport};

/// A line through points of the plane: never aggregated into a band (that
/// is meant for dense time series, and fills a 2-D path).
pub(super) fn path<'a>(name: impl Into<String>, points: Vec<[f64; 2]>) -> Line<'a> {
    Line::new(name, points).allow_band(false)
}

/// `(lo, hi)` grown along one axis so that its width over height is
/// `ratio` (the plot's, for an equal-aspect plot); never shrunk.
pub fn fit_aspect(lo: [f64; 2], hi: [f64; 2], ratio: f64) -> ([f64; 2], [f64; 2]) {
    let (w, h) = (hi[0] - lo[0], hi[1] - lo[1]);
    if !(w > 0.0 && h > 0.0 && ratio.is_finite() && ratio > 0.0) {
        return (lo, hi);
    }
    if w / h < ratio {
        let grow = (h * ratio - w) / 2.0;
        ([lo[0] - grow, lo[1]], [hi[0] + grow, hi[1]])
    } else {
        let grow = (w / ratio - h) / 2.0;
        ([lo[0], lo[1] - grow], [hi[0], hi[1] + grow])
    }
}

/// Whether a point lies within 50 view-widths of the view. Points of runs
/// that blew up can sit at 1e300: drawn as a dashed line, egui would lay
/// out dashes along the whole on-screen length of such a segment.
fn within_view(p: &[f64; 2], min: [f64; 2], max: [f64; 2]) -> bool {
    (0..2).all(|k| {
        let span = (max[k] - min[k]).abs().max(1e-9);
        p[k] > min[k] - 50.0 * span && p[k] < max[k] + 50.0 * span
    })
}

/// The points of `points` that are [`within_view`].
fn near_view(points: Vec<[f64; 2]>, min: [f64; 2], max: [f64; 2]) -> Vec<[f64; 2]> {
    points
        .into_iter()
        .filter(|p| within_view(p, min, max))
        .collect()
}

/// Resolution of the contour grid (per side).
pub const GRID: usize = 200;
/// Resolution of the colour map texture (per side).
const COLORMAP: usize = 160;

/// Cached contours and colour map for one view of one task.
#[derive(Default)]
pub struct LevelSetCache {
    key: Option<CacheKey>,
    /// Polylines per level.
    pub lines: Vec<Vec<Vec<[f64; 2]>>>,
    texture: Option<egui::TextureHandle>,
    texture_key: Option<CacheKey>,
    newton_key: Option<CacheKey>,
    newton_cells: Vec<[[f64; 2]; 4]>,
    fold_key: Option<CacheKey>,
    /// Cells of the view where `h` folds (det J_h changes sign or
    /// vanishes); only a custom h can fold.
    pub fold_cells: Vec<[[f64; 2]; 4]>,
    /// The plot's screen rect in the last frame (for plot-only screenshots).
    pub plot_rect: Option<egui::Rect>,
    /// Whether x₀ is being dragged.
    dragging_x0: bool,
    /// Where x₀ was drawn in the last frame (screen coordinates).
    pub x0_screen: Option<egui::Pos2>,
    /// Fit the view to the task and trajectories in the next frame.
    pub reset_view: bool,
    /// The last hover readout.
    pub hover: Option<(Vec2, f64, f64)>,
    /// Show exactly this view in the next frame (a lab file's).
    pub pending_view: Option<([f64; 2], [f64; 2])>,
    /// The view drawn in the last frame (saved in lab files).
    pub view: Option<([f64; 2], [f64; 2])>,
    /// The region the user asked to see: kept in view, widened to the
    /// plot's shape, when its tile is resized.
    content: Option<([f64; 2], [f64; 2])>,
    /// The size the plot (axes included) had in the last frame.
    plot_size: Option<egui::Vec2>,
    /// Whether the automatic legend found no free corner in the last frame
    /// (it then takes a column beside the plot).
    legend_outside: bool,
    /// x₀ and the hand-applied teleports before the last click moved x₀:
    /// the click that starts a double-click is taken back.
    before_click: Option<([f64; 2], Vec<super::state::ManualTeleport>)>,
}

#[derive(Clone, Debug, PartialEq)]
struct CacheKey {
    /// The task itself, compared by value (not its `Debug` text).
    task: Objective,
    min: [f64; 2],
    max: [f64; 2],
}

impl LevelSetCache {
    /// Forgets everything computed for the previous task.
    pub fn invalidate(&mut self) {
        self.key = None;
        self.texture_key = None;
        self.newton_key = None;
        self.fold_key = None;
    }
}

/// The grid's values as an image, shaded as the exported figure shades
/// them ([`teleport_core::plot::shade`]): log f light to dark, white where f
/// is not finite.
pub(super) fn colormap(grid: &Grid, obj: &Objective) -> egui::ColorImage {
    let colors = teleport_core::plot::shade(&grid.values, log_color(obj), obj.has_h());
    // Image rows go top to bottom; grid rows bottom to top.
    let mut pixels = Vec::with_capacity(grid.nx * grid.ny);
    for j in (0..grid.ny).rev() {
        for i in 0..grid.nx {
            let c = colors
                .get(j * grid.nx + i)
                .copied()
                .unwrap_or(teleport_core::plot::Color::rgb(255, 255, 255));
            pixels.push(Color32::from_rgba_unmultiplied(c.r, c.g, c.b, c.a));
        }
    }
    egui::ColorImage::new([grid.nx, grid.ny], pixels)
}

/// Whether `obj`'s colour map is logarithmic: always, but for the test
/// functions whose gallery entry says a linear map reads better.
pub(super) fn log_color(obj: &Objective) -> bool {
    obj.as_formula()
        .and_then(|t| t.test_function())
        .is_none_or(|t| t.log_scale)
}

/// Fills each grid cell (a quadrilateral) with `fill`, without outline or
/// hover, under one legend entry `name`.
fn shade_cells(
    plot_ui: &mut egui_plot::PlotUi<'_>,
    name: &str,
    cells: &[[[f64; 2]; 4]],
    fill: Color32,
) {
    for cell in cells {
        plot_ui.polygon(
            Polygon::new(name, cell.to_vec())
                .fill_color(fill)
                .stroke(Stroke::NONE)
                .allow_hover(false),
        );
    }
}

impl TeleportApp {
    /// A view that shows x₀, the minimum and the trajectories' sane part
    /// (points far beyond the start and the minimum are ignored, so a
    /// diverging run cannot zoom the view out to 1e100).
    pub fn default_view(&self) -> ([f64; 2], [f64; 2]) {
        teleport_core::basin::fit_view(
            Vec2::from(self.state.x0),
            self.rt.objective.minimizer(),
            self.visible_runs().into_iter().map(|(_, _, run)| &run.base),
            teleport_core::basin::VIEW_LIMIT,
        )
    }

    fn refresh_level_set(&mut self, ctx: &egui::Context, min: [f64; 2], max: [f64; 2]) {
        let key = CacheKey {
            task: self.rt.objective.clone(),
            min,
            max,
        };
        let cache = &mut self.rt.level_set;
        if cache.key.as_ref() != Some(&key) {
            let grid = Grid::of_objective(&self.rt.objective, min, max, GRID, GRID);
            let levels = levels_for(&self.rt.objective, &grid, 16);
            cache.lines = contours(&grid, &levels)
                .into_iter()
                .map(|c| polylines(&c.segments))
                .collect();
            cache.key = Some(key.clone());
        }
        if self.state.show.filled && cache.texture_key.as_ref() != Some(&key) {
            let grid = Grid::of_objective(&self.rt.objective, min, max, COLORMAP, COLORMAP);
            let image = colormap(&grid, &self.rt.objective);
            cache.texture = Some(ctx.load_texture("colormap", image, egui::TextureOptions::LINEAR));
            cache.texture_key = Some(key.clone());
        }
        if self.state.show.newton_overlay && cache.newton_key.as_ref() != Some(&key) {
            cache.newton_cells = newton_violations(&self.rt.objective, min, max, 60);
            cache.newton_key = Some(key.clone());
        }
        if cache.fold_key.as_ref() != Some(&key) {
            cache.fold_cells = fold_cells(&self.rt.objective, min, max, 64);
            cache.fold_key = Some(key);
        }
    }

    /// The central plot.
    pub(super) fn level_set_ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        let obj = self.rt.objective.clone();
        let x = self.current_point();
        let theta = self.state.theta;
        let y = teleport(&obj, &x, theta);
        let t = self.state.playback.t;
        let ghosts = self.ghost_trails();

        // Start dragging x₀ when the press lands near it (in last frame's
        // coordinates); the plot then does not pan.
        let x0 = self.state.x0;
        let press_near_x0 = ui.input(|i| i.pointer.primary_pressed())
            && self.rt.level_set.plot_rect.is_some_and(|r| {
                ui.input(|i| i.pointer.interact_pos()).is_some_and(|p| {
                    r.contains(p)
                        && self
                            .rt
                            .level_set
                            .x0_screen
                            .is_some_and(|s| s.distance(p) < 12.0)
                })
            });
        if press_near_x0 {
            self.rt.level_set.dragging_x0 = true;
        }
        if !ui.input(|i| i.pointer.primary_down()) {
            self.rt.level_set.dragging_x0 = false;
        }
        let dragging = self.rt.level_set.dragging_x0;

        let hover_text = self.rt.level_set.hover.map(|(p, f, g)| {
            format!(
                "x = ({}, {})   f(x) = {}   ‖∇f(x)‖ = {}",
                short(p.x),
                short(p.y),
                short(f),
                short(g)
            )
        });
        // A phone gives the plot its height: the caption in body text and
        // no key line (the legend names the rows).
        let narrow = ui.ctx().content_rect().width() < super::NARROW_POINTS;
        if let Some(caption) = &self.state.caption {
            let text = egui::RichText::new(caption);
            ui.label(if narrow {
                text.strong()
            } else {
                text.heading()
            });
        }
        if !self.rt.level_set.fold_cells.is_empty() {
            ui.label(
                egui::RichText::new(
                    "⚠ h folds in this view (det J_h changes sign or vanishes in the shaded cells): \
                     f's level sets there are not single orbits, and teleports that cross a fold stop.",
                )
                .color(ui.visuals().warn_fg_color),
            );
        }
        if let Some(caption) = self.basin_caption() {
            ui.label(caption);
        }
        // A recording or a presentation shows the plot, not the hints: the
        // pointer's readout while it is over the plot, else the key to the
        // markers.
        if self.rt.animation.is_none() && !self.state.view.presenting && !narrow {
            match hover_text {
                Some(text) => {
                    ui.label(text);
                }
                None => {
                    super::legend::overlay_key_ui(ui, self.state.show.orbit, self.state.show.arrows)
                }
            }
        }

        let place = self.state.show.legend;
        let legend_entries = self.legend_entries(!ghosts.is_empty());
        // An outside legend (asked for, or no corner was free last frame)
        // takes a column beside the plot.
        let outside = !legend_entries.is_empty()
            && (place == LegendPlace::Outside
                || (place == LegendPlace::Auto && self.rt.level_set.legend_outside));
        let outside_width = if outside {
            super::legend::OUTSIDE_WIDTH.min(ui.available_width() * 0.3)
        } else {
            0.0
        };
        let plot = super::axes::Ticks::apply(
            Plot::new("level_set"),
            super::axes::Ticks::Linear,
            super::axes::Ticks::Linear,
        )
        .data_aspect(1.0)
        .width((ui.available_width() - outside_width).max(60.0))
        .height(ui.available_height().max(60.0))
        .allow_drag(!dragging)
        .allow_double_click_reset(false)
        .auto_bounds(false);
        // The fitted view walks every run, so it is only computed on a reset.
        let reset_to = match self.rt.level_set.pending_view.take() {
            Some(view) => {
                self.rt.level_set.reset_view = false;
                Some(view)
            }
            None => std::mem::take(&mut self.rt.level_set.reset_view).then(|| self.default_view()),
        };
        let mut clicked_at = None;
        let mut double_clicked = false;
        // The plot fills what is left of its tile; its data area is that
        // less the axes, as thick as in the last frame.
        let size_now = ui.available_size() - egui::vec2(outside_width, 0.0);
        let axes = match (self.rt.level_set.plot_size, self.rt.level_set.plot_rect) {
            (Some(size), Some(rect)) => size - rect.size(),
            _ => egui::Vec2::ZERO,
        };
        let data_size = size_now - axes;
        let plot_shape =
            (data_size.x > 1.0 && data_size.y > 1.0).then(|| f64::from(data_size.x / data_size.y));
        // A tile resized (an instrument opened below, a divider dragged)
        // shows the region the user was looking at, widened to the new
        // shape: left to egui_plot, a shorter plot would shrink the view
        // and a taller one never grow it back.
        let resized = self
            .rt
            .level_set
            .plot_size
            .is_some_and(|s| (s - size_now).length() > 1.0);
        self.rt.level_set.plot_size = Some(size_now);
        let reset_to = reset_to.or_else(|| resized.then_some(self.rt.level_set.content).flatten());
        let response = plot.show(ui, |plot_ui| {
            // A view zoomed or panned past what f64 represents goes back
            // to the fitted one before this frame's input applies.
            let reset_to = reset_to.or_else(|| {
                (!super::view_is_sane(&plot_ui.plot_bounds(), 1e200)).then(|| self.default_view())
            });
            let asked = reset_to;
            // Widen the fitted view to the plot's shape: left to egui_plot,
            // the equal-aspect constraint may shrink an axis instead and cut
            // x₀ off (the first fit on ros_fixed did).
            let reset_to = reset_to.map(|(lo, hi)| match plot_shape {
                Some(ratio) => fit_aspect(lo, hi, ratio),
                None => (lo, hi),
            });
            if let Some((lo, hi)) = reset_to {
                plot_ui.set_plot_bounds(PlotBounds::from_min_max(lo, hi));
            }
            let b = plot_ui.plot_bounds();
            let (min, max) = reset_to.unwrap_or((b.min(), b.max()));
            self.rt.level_set.view = Some((min, max));
            // What the user asked to see: the fitted or opened view as
            // asked (before widening, so a tile still settling its size
            // widens the same view again: a recording's first frame is
            // the same whatever sizes the tiles had in the last session),
            // else the view after their pans and zooms.
            if let Some(view) = asked {
                self.rt.level_set.content = Some(view);
            } else if !resized {
                self.rt.level_set.content = Some((min, max));
            }
            // Contours and colour map for this view (cached).
            self.refresh_level_set(&ctx, min, max);
            let cache = &self.rt.level_set;
            if self.state.show.filled
                && let Some(tex) = &cache.texture
            {
                let center = PlotPoint::new((min[0] + max[0]) / 2.0, (min[1] + max[1]) / 2.0);
                let size = egui::vec2((max[0] - min[0]) as f32, (max[1] - min[1]) as f32);
                plot_ui.image(PlotImage::new("", tex.id(), center, size).allow_hover(false));
            }
            self.basin_plot_ui(plot_ui);
            for polylines in &cache.lines {
                for line in polylines {
                    plot_ui.line(
                        path("", line.clone())
                            .color(Color32::from_rgba_unmultiplied(90, 100, 130, 110))
                            .width(1.0)
                            .allow_hover(false),
                    );
                }
            }
            let folds = "h folds here (det J_h changes sign)";
            let magenta = Color32::from_rgba_unmultiplied(200, 30, 120, 70);
            shade_cells(plot_ui, folds, &cache.fold_cells, magenta);
            if self.state.show.newton_overlay {
                let fails = "Prop. 4.1 fails (v⊥·∇‖∇f‖² < 0)";
                let red = Color32::from_rgba_unmultiplied(220, 50, 50, 50);
                shade_cells(plot_ui, fails, &cache.newton_cells, red);
            }

            // Earlier versions of the live weights, fading with age.
            let n = ghosts.len();
            for (k, (color, points)) in ghosts.into_iter().enumerate() {
                // One key entry for all of them: the newest's.
                let name = if k + 1 == n {
                    "earlier versions (ghosts)"
                } else {
                    ""
                };
                let strength = 0.15 + 0.45 * (k + 1) as f32 / n as f32;
                plot_ui.line(
                    path(name, near_view(points, min, max))
                        .id(("ghost", k))
                        .color(color.gamma_multiply(strength))
                        .width(1.5)
                        .allow_hover(false),
                );
            }

            // Trajectories: the whole run faint, the part up to t strong,
            // teleport jumps dashed with a diamond.
            for (entry, mut name, run) in self.visible_runs() {
                let c = row_color(entry);
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
                let key = RunKey {
                    row: entry.id,
                    color: c,
                    branch: false,
                    horizon: self.trained_horizon(entry),
                };
                draw_run(plot_ui, key, &name, &run.base, t, (min, max));
                if let Some(branch) = &run.branch {
                    let key = RunKey {
                        branch: true,
                        ..key
                    };
                    let name = format!("{name} (teleported by hand)");
                    draw_run(plot_ui, key, &name, branch, t, (min, max));
                }
            }

            // The orbit of the current point and its teleported image.
            if self.state.show.orbit {
                let mut ring = orbit(&obj, &x, 256);
                if let Some(first) = ring.first().copied() {
                    ring.push(first);
                }
                let ring = near_view(ring.iter().map(|p| [p.x, p.y]).collect(), min, max);
                plot_ui.line(
                    path("orbit (level set of x)", ring)
                        .color(Color32::from_rgb(120, 60, 160))
                        .style(LineStyle::dashed_loose())
                        .width(1.5)
                        .allow_hover(false),
                );
            }
            // Markers and arrows only where the screen can hold them: a
            // point at 1e308 (or NaN, when h⁻¹ overflows) would be drawn at
            // ±∞ or NaN.
            let near = |p: [f64; 2]| within_view(&p, min, max);
            plot_ui.points(
                Points::new("x (current point)", near_view(vec![[x.x, x.y]], min, max))
                    .shape(MarkerShape::Circle)
                    .radius(5.0)
                    .color(Color32::BLACK),
            );
            plot_ui.points(
                Points::new("g_θ(x)", near_view(vec![[y.x, y.y]], min, max))
                    .shape(MarkerShape::Diamond)
                    .radius(6.0)
                    .color(Color32::from_rgb(120, 60, 160)),
            );
            if self.state.show.arrows {
                // Arrows of −∇f, scaled so the larger is a tenth of the view.
                let (gx, gy) = (obj.grad(&x), obj.grad(&y));
                let longest = gx.norm().max(gy.norm());
                if longest > 0.0 && longest.is_finite() {
                    let s = 0.1 * (max[0] - min[0]).max(max[1] - min[1]) / longest;
                    let (bases, tips): (Vec<_>, Vec<_>) = [
                        ([x.x, x.y], [x.x - s * gx.x, x.y - s * gx.y]),
                        ([y.x, y.y], [y.x - s * gy.x, y.y - s * gy.y]),
                    ]
                    .into_iter()
                    .filter(|(base, tip)| near(*base) && near(*tip))
                    .unzip();
                    plot_ui.arrows(
                        Arrows::new("−∇f at x and g_θ(x)", bases, tips)
                            .color(Color32::from_rgb(200, 40, 40))
                            .tip_length(10.0),
                    );
                }
            }
            // The minima: every listed one of a test function (global +,
            // local ×), else the family's minimizer h⁻¹(0).
            let (global, local): (Vec<[f64; 2]>, Vec<[f64; 2]>) = match obj.as_formula() {
                Some(t) => {
                    let at = |global: bool| -> Vec<[f64; 2]> {
                        t.known_minima()
                            .iter()
                            .filter(|m| m.global == global)
                            .map(|m| m.at)
                            .collect()
                    };
                    (at(true), at(false))
                }
                None => (
                    obj.try_minimizer()
                        .ok()
                        .map(|m| [m.x, m.y])
                        .into_iter()
                        .collect(),
                    Vec::new(),
                ),
            };
            plot_ui.points(
                Points::new("global minimum", near_view(global, min, max))
                    .shape(MarkerShape::Plus)
                    .radius(6.0)
                    .color(Color32::from_gray(30)),
            );
            plot_ui.points(
                Points::new("local minimum", near_view(local, min, max))
                    .shape(MarkerShape::Cross)
                    .radius(5.0)
                    .color(Color32::from_gray(80)),
            );
            plot_ui.points(
                Points::new("x₀ (drag me)", near_view(vec![x0], min, max))
                    .shape(MarkerShape::Square)
                    .radius(5.0)
                    .color(Color32::from_rgb(20, 20, 20)),
            );

            let response = plot_ui.response();
            double_clicked = response.double_clicked();
            if response.clicked() || (dragging && response.is_pointer_button_down_on()) {
                clicked_at = plot_ui.pointer_coordinate();
            }
            if dragging {
                clicked_at = plot_ui.pointer_coordinate().or(clicked_at);
            }
            plot_ui.pointer_coordinate()
        });

        let plot_rect = response.response.rect;
        self.rt.level_set.plot_rect = Some(plot_rect);
        if !legend_entries.is_empty() && place != LegendPlace::Hidden {
            let (view_min, view_max) = self
                .rt
                .level_set
                .view
                .unwrap_or(([f64::NEG_INFINITY; 2], [f64::INFINITY; 2]));
            let t = &response.transform;
            let to_screen = |p: [f64; 2]| t.position_from_point(&PlotPoint::new(p[0], p[1]));
            let runs: Vec<Vec<[f64; 2]>> = self
                .visible_runs()
                .into_iter()
                .flat_map(|(_, _, run)| std::iter::once(&run.base).chain(run.branch.as_ref()))
                .map(|tr| {
                    tr.records
                        .iter()
                        .flat_map(|r| r.from.into_iter().chain([r.x]))
                        .filter(|p| within_view(p, view_min, view_max))
                        .collect()
                })
                .collect();
            let data = super::legend::screen_data(t, &runs);
            let keep_clear: Vec<egui::Pos2> = [
                Some(x0),
                Some([x.x, x.y]),
                self.state.show.orbit.then_some([y.x, y.y]),
            ]
            .into_iter()
            .flatten()
            .filter(|p| within_view(p, view_min, view_max))
            .map(to_screen)
            .collect();
            let room = outside.then(|| {
                egui::Rect::from_min_max(
                    egui::pos2(plot_rect.right(), plot_rect.top()),
                    egui::pos2(plot_rect.right() + outside_width, plot_rect.bottom()),
                )
            });
            let placed = super::legend::draw(
                ui,
                place,
                plot_rect,
                room,
                &legend_entries,
                &data,
                &keep_clear,
            );
            // Automatic placement keeps its column beside the plot while no
            // corner is free, and asks for one when it had to crowd.
            self.rt.level_set.legend_outside = place == LegendPlace::Auto
                && matches!(
                    placed,
                    Some(super::legend::Placed::Outside(_) | super::legend::Placed::Crowded(_))
                );
        }
        self.rt.level_set.x0_screen = Some(
            response
                .transform
                .position_from_point(&PlotPoint::new(x0[0], x0[1])),
        );
        // The readout follows the pointer and clears when it leaves.
        let over_plot = response.response.hovered();
        self.rt.level_set.hover = response.inner.filter(|_| over_plot).map(|p| {
            let p = Vec2::new(p.x, p.y);
            let (f, g) = obj.f_grad(&p);
            (p, f, g.norm())
        });
        // A double-click refits the view and nothing else: the x₀ its
        // first click set goes back to where it was.
        if double_clicked {
            self.rt.level_set.reset_view = true;
            if let Some((x0, teleports)) = self.rt.level_set.before_click.take() {
                self.state.x0 = x0;
                self.state.manual_teleports = teleports;
            }
        } else if let Some(p) = clicked_at
            && p.x.is_finite()
            && p.y.is_finite()
        {
            if !dragging {
                let before = (self.state.x0, self.state.manual_teleports.clone());
                self.rt.level_set.before_click = Some(before);
            }
            self.state.x0 = [p.x, p.y];
            self.state.manual_teleports.clear();
        }
    }
}

impl TeleportApp {
    /// The ghost trails to draw, oldest first: the live row's colour and
    /// each earlier version's path (teleport jumps included).
    fn ghost_trails(&mut self) -> Vec<(Color32, Vec<[f64; 2]>)> {
        let Some(color) = self.shown_live_row().map(row_color) else {
            return Vec::new();
        };
        self.ghost_runs()
            .iter()
            .map(|run| {
                let points = run
                    .records
                    .iter()
                    .flat_map(|rec| rec.from.into_iter().chain([rec.x]))
                    .collect();
                (color, points)
            })
            .collect()
    }
}

/// Which run of which row a path draws, and in what colour.
#[derive(Clone, Copy)]
struct RunKey {
    row: RowId,
    color: Color32,
    /// The hand-teleported branch (dashed) rather than the run from x₀.
    branch: bool,
    /// A learned row's trained horizon: its run is dimmed beyond it.
    horizon: Option<usize>,
}

/// The colour of the mark where a run diverged.
pub(super) const DIVERGED: Color32 = Color32::from_rgb(200, 20, 20);

/// Draws one run: faint whole path, strong path up to step `t`, a marker at
/// `t`, and teleport jumps dashed.
fn draw_run(
    plot_ui: &mut egui_plot::PlotUi<'_>,
    key: RunKey,
    name: &str,
    run: &teleport_core::optim::Trajectory,
    t: usize,
    (min, max): ([f64; 2], [f64; 2]),
) {
    let RunKey {
        row,
        color: c,
        branch,
        horizon,
    } = key;
    let faint = c.gamma_multiply(0.3);
    let style = if branch {
        LineStyle::dashed_dense()
    } else {
        LineStyle::Solid
    };
    // Ordinary steps end at the pre-teleport point; jumps are drawn apart.
    let mut whole: Vec<[f64; 2]> = Vec::with_capacity(run.records.len() * 2);
    let mut jumps = Vec::new();
    let mut shown = Vec::new();
    // Beyond a learned row's trained horizon: drawn, but dimmed.
    let mut untrained = Vec::new();
    let beyond = |step: usize| horizon.is_some_and(|h| step > h);
    for rec in &run.records {
        if let Some(from) = rec.from {
            whole.push(from);
            jumps.push((rec.t, from, rec.x));
        }
        whole.push(rec.x);
        if rec.t <= t {
            let part = if beyond(rec.t) {
                &mut untrained
            } else {
                &mut shown
            };
            if let Some(from) = rec.from {
                part.push(from);
            }
            part.push(rec.x);
            // The dimmed part starts where the strong part ends.
            if horizon == Some(rec.t) {
                untrained.push(rec.x);
            }
        }
    }
    // Only the strong line carries the legend name (and so its colour).
    let id = |part: &'static str| ("run", row, part, branch);
    let (whole, shown) = (near_view(whole, min, max), near_view(shown, min, max));
    let untrained = near_view(untrained, min, max);
    jumps.retain(|(_, from, to)| within_view(from, min, max) && within_view(to, min, max));
    plot_ui.line(
        path("", whole)
            .id(id("whole"))
            .color(faint)
            .width(1.0)
            .style(style)
            .allow_hover(false),
    );
    plot_ui.line(
        path(name, shown)
            .id(id("shown"))
            .color(c)
            .width(2.0)
            .style(style),
    );
    if untrained.len() > 1 {
        plot_ui.line(
            path(format!("{name}, past its trained horizon"), untrained)
                .id(id("untrained"))
                .color(c.gamma_multiply(0.45))
                .width(1.5)
                .style(LineStyle::dashed_loose()),
        );
    }
    // Where the horizon is: a ring on the run.
    if let Some(h) = horizon
        && let Some(rec) = run.records.get(h)
        && h < t.min(run.records.len().saturating_sub(1)) + 1
        && within_view(&rec.x, min, max)
    {
        plot_ui.points(
            Points::new(format!("{name}: trained for {h} steps"), vec![rec.x])
                .id(id("horizon"))
                .shape(MarkerShape::Circle)
                .filled(false)
                .radius(7.0)
                .color(c),
        );
    }
    // Where a run diverged: a red ✕ at its last finite point.
    if let Some(teleport_core::optim::Stop::Diverged { step }) = &run.stop
        && let Some(last) = run.records.last()
        && last.t <= t
        && within_view(&last.x, min, max)
    {
        plot_ui.points(
            Points::new(format!("{name}: diverged at step {step}"), vec![last.x])
                .id(id("diverged"))
                .shape(MarkerShape::Cross)
                .radius(8.0)
                .color(DIVERGED),
        );
    }
    for (k, (step, from, to)) in jumps.into_iter().enumerate() {
        let strength = if step <= t { c } else { faint };
        plot_ui.line(
            path("", vec![from, to])
                .id(("run", row, "jump", k, branch))
                .color(strength)
                .width(1.5)
                .style(LineStyle::dotted_dense())
                .allow_hover(false),
        );
        plot_ui.points(
            Points::new("", vec![to])
                .id(("run", row, "jump-marker", k, branch))
                .shape(MarkerShape::Diamond)
                .radius(4.0)
                .color(strength),
        );
    }
    if let Some(rec) = run.records.get(t).or(run.records.last())
        && within_view(&rec.x, min, max)
    {
        plot_ui.points(
            Points::new("", vec![rec.x])
                .id(id("now"))
                .radius(4.0)
                .color(c),
        );
    }
}

/// Cells of an `n × n` grid where Proposition 4.1's quantity is negative.
fn newton_violations(
    obj: &Objective,
    min: [f64; 2],
    max: [f64; 2],
    n: usize,
) -> Vec<[[f64; 2]; 4]> {
    let dx = (max[0] - min[0]) / n as f64;
    let dy = (max[1] - min[1]) / n as f64;
    let mut cells = Vec::new();
    for j in 0..n {
        for i in 0..n {
            let (x0, y0) = (min[0] + dx * i as f64, min[1] + dy * j as f64);
            let c = Vec2::new(x0 + dx / 2.0, y0 + dy / 2.0);
            if let Ok(d) = teleport_core::theory::decompose(obj.grad(&c), obj.hessian(&c))
                && d.directional < 0.0
            {
                cells.push([[x0, y0], [x0 + dx, y0], [x0 + dx, y0 + dy], [x0, y0 + dy]]);
            }
        }
    }
    cells
}

/// The cells of an `n × n` grid over the view where `h` folds: det J_h
/// vanishes at a corner, or the corners' signs differ. Empty for the
/// closed-form families, which never fold.
fn fold_cells(obj: &Objective, min: [f64; 2], max: [f64; 2], n: usize) -> Vec<[[f64; 2]; 4]> {
    if !matches!(obj, Objective::Custom(_)) {
        return Vec::new();
    }
    let scan = teleport_core::objective::fold_scan(obj, min, max, n);
    if !scan.folds() {
        return Vec::new();
    }
    let n = scan.n;
    let at = |i: usize, j: usize| scan.det.get(j * n + i).copied().unwrap_or(f64::NAN);
    let coord = |i: usize, j: usize| {
        [
            min[0] + (max[0] - min[0]) * i as f64 / (n - 1) as f64,
            min[1] + (max[1] - min[1]) * j as f64 / (n - 1) as f64,
        ]
    };
    let mut cells = Vec::new();
    for j in 0..n - 1 {
        for i in 0..n - 1 {
            let d = [at(i, j), at(i + 1, j), at(i + 1, j + 1), at(i, j + 1)];
            let degenerate = d.iter().any(|v| !v.is_finite() || *v == 0.0);
            let mixed = d.iter().any(|v| *v > 0.0) && d.iter().any(|v| *v < 0.0);
            if degenerate || mixed {
                cells.push([
                    coord(i, j),
                    coord(i + 1, j),
                    coord(i + 1, j + 1),
                    coord(i, j + 1),
                ]);
            }
        }
    }
    cells
}
