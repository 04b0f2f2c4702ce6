//! The right panel: ‖∇f(g_θ x)‖ against θ (with the oracle θ*), and the loss
//! of every visible optimizer per step on a log scale, linked to the timeline.

use std::f64::consts::PI;

use egui::{Color32, RichText};
use egui_plot::{Line, MarkerShape, Plot, PlotBounds, Points, VLine};

use super::{TeleportApp, row_color, wrap_angle};
use teleport_core::numfmt::{full, short};

/// Samples of the θ curve.
const THETA_SAMPLES: usize = 240;

/// The lower and upper edges of a quartile band: the first and third
/// quartiles per step (of log₁₀ f on the loss plot, of η in the Newton
/// window).
pub(super) type Band = (Vec<[f64; 2]>, Vec<[f64; 2]>);

/// The colour of the teleport-quality marker and readout.
const TELEPORT_COLOR: Color32 = Color32::from_rgb(200, 110, 20);

/// Where the oracle marker and its label are drawn.
const ORACLE_COLOR: Color32 = Color32::from_rgb(200, 40, 40);

/// The item name and point a plot's hover label is about.
fn hover_point<'a>(hover: &egui_plot::HoverPosition<'a>) -> (&'a str, egui_plot::PlotPoint) {
    match hover {
        egui_plot::HoverPosition::NearDataPoint {
            plot_name,
            position,
            ..
        } => (plot_name, *position),
        egui_plot::HoverPosition::Elsewhere { position } => ("", *position),
    }
}

/// One visible row's loss curves, in (step, log₁₀ f).
struct LossCurve {
    id: super::state::RowId,
    color: Color32,
    name: String,
    base: Vec<[f64; 2]>,
    branch: Option<Vec<[f64; 2]>>,
    /// A learned row's trained horizon: its curve is dimmed beyond it.
    horizon: Option<usize>,
    /// The step at which the run diverged (its curve ends there).
    diverged: Option<usize>,
}

/// How the loss plot chooses its view.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LossView {
    /// Fitted to the runs still moving (see [`fitted_loss_view`]).
    #[default]
    Fit,
    /// Every value of every run, however small.
    Full,
    /// Where the user zoomed or panned.
    User,
}

/// The loss plot's default view, in (step, log₁₀ f): from step 0 to
/// `steps`; from the largest value (at most 10⁶ × f₀, so one diverging run
/// cannot squash the rest) down to the smallest value any run reaches, but
/// no lower than 10⁻¹⁶ × f₀ — a run that converges to 1e−300 leaves the
/// others readable. `curves` hold log₁₀ f per step; f₀ is the largest
/// starting value.
pub fn fitted_loss_view(curves: &[&[[f64; 2]]], steps: usize) -> PlotBounds {
    let x = [0.0, steps.max(1) as f64];
    let values = || {
        curves
            .iter()
            .flat_map(|c| c.iter())
            .map(|p| p[1])
            .filter(|v| v.is_finite())
    };
    let start = curves
        .iter()
        .filter_map(|c| c.first().map(|p| p[1]))
        .filter(|v| v.is_finite())
        .fold(f64::NEG_INFINITY, f64::max);
    if !start.is_finite() {
        return PlotBounds::from_min_max([x[0], -1.0], [x[1], 1.0]);
    }
    let top = values().fold(start, f64::max).min(start + 6.0);
    let bottom = values().fold(start, f64::min).max(start - 16.0);
    let bottom = bottom.min(top - 1.0);
    let margin = 0.05 * (top - bottom);
    PlotBounds::from_min_max([x[0], bottom - margin], [x[1], top + margin])
}

impl TeleportApp {
    /// The θ plot's tile: ‖∇f(g_θ x)‖ along the orbit, filling the tile.
    pub(super) fn theta_pane_ui(&mut self, ui: &mut egui::Ui) {
        let height = (ui.available_height() - 4.0).max(80.0);
        self.theta_plot_ui(ui, height);
    }

    /// The loss plot's tile: its mode, its key and the plot in what is
    /// left.
    pub(super) fn loss_pane_ui(&mut self, ui: &mut egui::Ui) {
        self.loss_mode_ui(ui);
        self.loss_legend_ui(ui);
        // Whatever the key left: the plot and its axis always fit.
        let rest = (ui.available_height() - 6.0).max(100.0);
        self.loss_plot_ui(ui, rest);
    }

    fn theta_plot_ui(&mut self, ui: &mut egui::Ui, height: f32) {
        let curve = self.theta_curve();
        let best = self.rt.oracle;
        let best_theta = wrap_angle(best.theta);
        let oracle_drawable =
            best_theta.is_finite() && best.grad_norm.is_finite() && best.grad_norm < 1e100;
        let theta = self.state.theta;
        let quality = self.rt.teleport_quality;
        let mut clicked = None;
        // The bounds must stay finite even when every sample overflowed
        // (a vertical line alone has no vertical extent).
        super::axes::Ticks::apply(
            Plot::new("theta_plot"),
            super::axes::Ticks::Angle,
            super::axes::Ticks::Linear,
        )
        .height(height)
        .include_x(-PI)
        .include_x(PI)
        .include_y(0.0)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .label_formatter(|hover| {
            let (_, p) = hover_point(hover);
            Some(format!("θ = {}\n‖∇f‖ = {}", short(p.x), short(p.y)))
        })
        .x_axis_label("θ (rad)")
        .show(ui, |plot_ui| {
            super::keep_view_sane(plot_ui, 1e200, None);
            plot_ui.line(
                Line::new("‖∇f(g_θ x)‖", curve)
                    .color(Color32::from_rgb(120, 60, 160))
                    .width(2.0),
            );
            plot_ui.vline(VLine::new("current θ", theta).color(Color32::from_rgb(40, 40, 40)));
            // A teleport landed on the current point: it sits at θ = 0
            // of its own orbit, to be compared with θ*.
            if let Some(q) = quality.filter(|q| q.landed_norm.is_finite()) {
                plot_ui.points(
                    Points::new("teleport landed here", vec![[0.0, q.landed_norm]])
                        .shape(MarkerShape::Circle)
                        .radius(5.0)
                        .color(TELEPORT_COLOR),
                );
            }
            if oracle_drawable {
                plot_ui.points(
                    Points::new("oracle θ*", vec![[best_theta, best.grad_norm]])
                        .shape(MarkerShape::Diamond)
                        .radius(6.0)
                        .color(ORACLE_COLOR),
                );
            }
            if plot_ui.response().clicked() {
                clicked = plot_ui.pointer_coordinate();
            }
        });
        // The key sits under the plot, so it never hides θ*.
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new("◆ oracle θ* =").color(ORACLE_COLOR).small());
            ui.label(RichText::new(short(best_theta)).color(ORACLE_COLOR).small())
                .on_hover_text(full(best_theta));
            ui.label(RichText::new(format!("‖∇f‖ = {}", short(best.grad_norm))).small())
                .on_hover_text(full(best.grad_norm));
            ui.label(RichText::new(format!("│ current θ = {}", short(theta))).small())
                .on_hover_text(full(theta));
        });
        if let Some(q) = quality {
            ui.label(
                RichText::new(format!(
                    "● this step teleported by θ_t = {}: efficiency η = {} (‖∇f‖ reached / best on the orbit)",
                    short(wrap_angle(q.theta)),
                    short(q.efficiency)
                ))
                .color(TELEPORT_COLOR)
                .small(),
            )
            .on_hover_text(
                "η = ‖∇f(g_θt x)‖ / ‖∇f(g_θ* x)‖ at the point the teleport started from: 1 is the oracle's choice.",
            );
        }
        if let Some(p) = clicked
            && p.x.is_finite()
        {
            self.state.theta = wrap_angle(p.x);
        }
    }

    /// The loss plot's key, above it: one entry per visible row in row
    /// order, so no curve is ever under it.
    pub(super) fn loss_legend_ui(&self, ui: &mut egui::Ui) {
        ui.horizontal_wrapped(|ui| {
            ui.spacing_mut().item_spacing.x = 4.0;
            // Across tasks, the key counts each row's diverged runs.
            let across = self.across_shown();
            for (entry, name, run) in self.visible_runs() {
                let stats = across
                    .and_then(|rows| rows.iter().find(|r| r.id == entry.id))
                    .and_then(|r| r.stats.last());
                let (text, hover) = match stats {
                    Some(s) if s.diverged > 0 => (
                        format!(
                            "{name} ({} of {} diverged)",
                            s.diverged,
                            s.runs + s.diverged
                        ),
                        format!(
                            "median f at the last step over the test tasks: {}",
                            full(s.median)
                        ),
                    ),
                    Some(s) => (
                        name,
                        format!(
                            "median f at the last step over the test tasks: {}",
                            full(s.median)
                        ),
                    ),
                    None => {
                        let last = run.shown().records.last().map_or(f64::NAN, |r| r.f);
                        (name, format!("f at the last step: {}", full(last)))
                    }
                };
                // Swatch and name wrap together, and a name longer than the
                // whole row is cut rather than widening the tile.
                let swatch = egui::vec2(12.0, 3.0);
                let room = (ui.max_rect().width() - swatch.x - 8.0).max(20.0);
                let galley = egui::WidgetText::from(RichText::new(text).small()).into_galley(
                    ui,
                    Some(egui::TextWrapMode::Truncate),
                    room,
                    egui::TextStyle::Small,
                );
                let needed = swatch.x + 4.0 + galley.size().x;
                let row_started = ui.cursor().left() > ui.max_rect().left() + 1.0;
                if row_started && ui.available_size_before_wrap().x < needed {
                    ui.end_row();
                }
                let (rect, _) = ui.allocate_exact_size(swatch, egui::Sense::hover());
                ui.painter().rect_filled(rect, 0.0, row_color(entry));
                ui.label(galley).on_hover_text(hover);
                ui.add_space(6.0);
            }
        });
    }

    /// "this task" or "across tasks" for the loss plot.
    pub(super) fn loss_mode_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal_wrapped(|ui| {
            ui.selectable_value(&mut self.state.across_tasks, false, "this task")
                .on_hover_text("f along each row's run from x₀ on the task shown.");
            ui.selectable_value(
                &mut self.state.across_tasks,
                true,
                format!("across {} tasks", super::across::ACROSS_TASKS),
            )
            .on_hover_text(
                "Every visible row on the same seeded test tasks (draws from the current \
                 distribution, or start points x₀ ~ N(0, I) on a fixed task): the median \
                 per step with a band from the first to the third quartile.",
            );
            if self.state.across_tasks && self.rt.across.computing() {
                ui.spinner();
                ui.label(RichText::new("computing…").small().weak());
            }
        });
    }

    /// The across-tasks curves: per visible row, log₁₀ of the median and of
    /// the quartiles per step, and the runs diverged by the last step.
    fn across_curves(&self) -> Vec<(LossCurve, Band)> {
        let Some(result) = &self.rt.across.result else {
            return Vec::new();
        };
        let log = |v: f64| v.max(1e-300).log10();
        self.visible_runs()
            .into_iter()
            .filter_map(|(entry, name, _)| {
                let row = result.iter().find(|r| r.id == entry.id)?;
                let pick = |f: fn(&teleport_core::eval::StepStats) -> f64| -> Vec<[f64; 2]> {
                    row.stats
                        .iter()
                        .filter(|s| s.runs > 0)
                        .map(|s| [s.t as f64, log(f(s))])
                        .filter(|p| p[1].is_finite())
                        .collect()
                };
                let diverged = row.stats.last().map_or(0, |s| s.diverged);
                let label = if diverged > 0 {
                    format!("{name} ({diverged} diverged)")
                } else {
                    name
                };
                Some((
                    LossCurve {
                        id: entry.id,
                        color: row_color(entry),
                        name: label,
                        base: pick(|s| s.median),
                        branch: None,
                        horizon: self.trained_horizon(entry),
                        diverged: None,
                    },
                    (pick(|s| s.q25), pick(|s| s.q75)),
                ))
            })
            .collect()
    }

    /// log₁₀ f per step of each visible run, base and branch, computed once
    /// per frame for the view and the drawing.
    fn loss_curves(&self) -> Vec<LossCurve> {
        let points = |tr: &teleport_core::optim::Trajectory| -> Vec<[f64; 2]> {
            // f = 0 exactly is drawn at 1e-300.
            tr.records
                .iter()
                .map(|r| [r.t as f64, r.f.max(1e-300).log10()])
                .collect()
        };
        self.visible_runs()
            .into_iter()
            .map(|(entry, name, run)| LossCurve {
                id: entry.id,
                color: row_color(entry),
                name,
                base: points(&run.base),
                branch: run.branch.as_ref().map(points),
                horizon: self.trained_horizon(entry),
                diverged: match run.base.stop {
                    Some(teleport_core::optim::Stop::Diverged { step }) => Some(step),
                    _ => None,
                },
            })
            .collect()
    }

    pub(super) fn loss_plot_ui(&mut self, ui: &mut egui::Ui, height: f32) {
        let t = self.state.playback.t;
        let across = self.state.across_tasks;
        let (curves, bands): (Vec<LossCurve>, Vec<Band>) = if across {
            self.across_curves().into_iter().unzip()
        } else {
            (self.loss_curves(), Vec::new())
        };
        let all: Vec<&[[f64; 2]]> = curves
            .iter()
            .flat_map(|c| std::iter::once(c.base.as_slice()).chain(c.branch.as_deref()))
            .chain(
                bands
                    .iter()
                    .flat_map(|(lo, hi)| [lo.as_slice(), hi.as_slice()]),
            )
            .collect();
        let fitted = fitted_loss_view(&all, self.state.steps);
        let (lowest, highest) = all
            .iter()
            .flat_map(|c| c.iter())
            .map(|p| p[1])
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
        let mode = self.rt.loss_view;
        let mut clicked = None;
        let response = super::axes::Ticks::apply(
            Plot::new("loss_plot"),
            super::axes::Ticks::Linear,
            super::axes::Ticks::Log10,
        )
        .height(height)
        .x_axis_label("step")
        .allow_double_click_reset(false)
        .label_formatter(|hover| {
            let (name, p) = hover_point(hover);
            let prefix = if name.is_empty() {
                String::new()
            } else {
                format!("{name}\n")
            };
            Some(format!(
                "{prefix}step {:.0}, f = {}",
                p.x,
                short(10f64.powf(p.y))
            ))
        })
        .show(ui, |plot_ui| {
            let view = plot_ui.plot_bounds();
            // A view panned away from every curve goes back to the fit.
            let lost = mode == LossView::User
                && lowest.is_finite()
                && (view.max()[1] < lowest - 2.0 || view.min()[1] > highest + 2.0);
            match mode {
                LossView::Fit => plot_ui.set_plot_bounds(fitted),
                LossView::Full => plot_ui.set_auto_bounds(true),
                LossView::User if lost => plot_ui.set_plot_bounds(fitted),
                LossView::User => super::keep_view_sane(plot_ui, 1e6, Some(fitted)),
            }
            // Quartile bands under the medians, across tasks.
            for (curve, (lo, hi)) in curves.iter().zip(&bands) {
                draw_band(plot_ui, ("loss-band", curve.id), curve.color, lo, hi);
            }
            for curve in curves {
                let name = curve.name;
                // Past a learned row's trained horizon, dimmed and dashed.
                let split = curve
                    .horizon
                    .map_or(curve.base.len(), |h| (h + 1).min(curve.base.len()));
                let (trained, untrained) = curve.base.split_at(split);
                if let (Some(&last), Some(h)) = (trained.last(), curve.horizon)
                    && !untrained.is_empty()
                {
                    let beyond: Vec<[f64; 2]> = std::iter::once(last)
                        .chain(untrained.iter().copied())
                        .collect();
                    plot_ui.line(
                        Line::new(
                            format!("{name}, past its trained horizon ({h} steps)"),
                            beyond,
                        )
                        .id(("loss-untrained", curve.id))
                        .color(curve.color.gamma_multiply(0.45))
                        .style(egui_plot::LineStyle::dashed_loose())
                        .width(1.5),
                    );
                    plot_ui.points(
                        Points::new(format!("{name}: trained for {h} steps"), vec![last])
                            .id(("loss-horizon", curve.id))
                            .filled(false)
                            .radius(6.0)
                            .color(curve.color),
                    );
                }
                if let (Some(step), Some(&last)) = (curve.diverged, curve.base.last()) {
                    plot_ui.points(
                        Points::new(format!("{name}: diverged at step {step}"), vec![last])
                            .id(("loss-diverged", curve.id))
                            .shape(egui_plot::MarkerShape::Cross)
                            .radius(7.0)
                            .color(super::level_set::DIVERGED),
                    );
                }
                plot_ui.line(
                    Line::new(name.clone(), trained.to_vec())
                        .id(("loss", curve.id))
                        .color(curve.color)
                        .width(1.5),
                );
                if let Some(branch) = curve.branch {
                    plot_ui.line(
                        Line::new(format!("{name} (teleported by hand)"), branch)
                            .id(("loss-branch", curve.id))
                            .color(curve.color)
                            .style(egui_plot::LineStyle::dashed_dense())
                            .width(1.5),
                    );
                }
            }
            plot_ui.vline(VLine::new("timeline", t as f64).color(Color32::from_rgb(40, 40, 40)));
            if plot_ui.response().clicked() {
                clicked = plot_ui.pointer_coordinate();
            }
        });
        let r = &response.response;
        let (scrolled, zoomed) = ui.input(|i| {
            (
                i.smooth_scroll_delta != egui::Vec2::ZERO,
                i.zoom_delta() != 1.0,
            )
        });
        self.rt.loss_view = if r.double_clicked() {
            match mode {
                LossView::Full => LossView::Fit,
                LossView::Fit | LossView::User => LossView::Full,
            }
        } else if r.dragged() || (r.hovered() && (scrolled || zoomed)) {
            LossView::User
        } else {
            mode
        };
        self.rt.loss_bounds = Some(*response.transform.bounds());
        // A double-click changes the view and nothing else: the step its
        // first click chose goes back.
        if r.double_clicked() {
            if let Some((t, playing)) = self.rt.loss_before_click.take() {
                self.state.playback.t = t;
                self.state.playback.playing = playing;
            }
        } else if let Some(p) = clicked
            && p.x.is_finite()
        {
            let p0 = &self.state.playback;
            self.rt.loss_before_click = Some((p0.t, p0.playing));
            self.state.playback.t = (p.x.round().max(0.0) as usize).min(self.state.steps);
            self.state.playback.playing = false;
        }
    }
}

/// A quartile band `lo`–`hi` in a row's colour, faint: one quad per
/// interval between consecutive points at the same steps (plot polygons
/// must be convex). `id` and the interval's index name each quad.
pub(super) fn draw_band(
    plot_ui: &mut egui_plot::PlotUi<'_>,
    id: impl std::hash::Hash + Copy,
    color: Color32,
    lo: &[[f64; 2]],
    hi: &[[f64; 2]],
) {
    let fill = color.gamma_multiply(0.18);
    for (k, (l, h)) in lo.windows(2).zip(hi.windows(2)).enumerate() {
        if l[0][0] != h[0][0] || l[1][0] != h[1][0] {
            continue;
        }
        plot_ui.polygon(
            egui_plot::Polygon::new("", vec![l[0], l[1], h[1], h[0]])
                .id((id, k))
                .fill_color(fill)
                .stroke(egui::Stroke::NONE)
                .allow_hover(false),
        );
    }
}

/// `‖∇f(g_θ x)‖` at `THETA_SAMPLES + 1` angles from −π to π, from one walk
/// around the orbit: a custom `h` follows its orbit by continuation, so
/// teleporting from `x` to each angle separately would cost a walk per
/// angle.
pub fn theta_curve(
    obj: &teleport_core::objective::Objective,
    x: &teleport_core::objective::Vec2,
) -> Vec<[f64; 2]> {
    let n = THETA_SAMPLES;
    // Points at 2πk/n; angle −π + 2πk/n is point (k + n/2) mod n.
    let ring = teleport_core::symmetry::orbit(obj, x, n);
    (0..=n)
        .filter_map(|k| {
            let th = -PI + 2.0 * PI * k as f64 / n as f64;
            let p = ring.get((k + n / 2) % n)?;
            Some([th, obj.grad(p).norm()])
        })
        // ‖∇f‖ can overflow on the orbit of a far-away point; values
        // beyond 1e100 would give the plot unusable bounds.
        .filter(|p| p[1].is_finite() && p[1].abs() < 1e100)
        .collect()
}

const _: () = assert!(
    THETA_SAMPLES.is_multiple_of(2),
    "θ = −π must be a sample of the orbit"
);

#[cfg(test)]
mod tests {
    use super::*;

    fn curve(values: &[f64]) -> Vec<[f64; 2]> {
        values
            .iter()
            .enumerate()
            .map(|(t, f)| [t as f64, f.log10()])
            .collect()
    }

    #[test]
    fn a_run_at_1e_minus_300_does_not_squash_the_others() {
        let slow = curve(&[10.0, 5.0, 2.0, 1.0, 0.5]);
        let fast = curve(&[10.0, 1e-3, 1e-150, 1e-300, 1e-300]);
        let view = fitted_loss_view(&[&slow, &fast], 4);
        // The floor is 1e−16 × f₀ = 1e−15 (plus a margin), far above 1e−300.
        assert!(view.min()[1] > -17.0 && view.min()[1] < -15.0, "{view:?}");
        assert!(view.max()[1] >= 1.0 && view.max()[1] < 2.0, "{view:?}");
        assert_eq!((view.min()[0], view.max()[0]), (0.0, 4.0));
    }

    #[test]
    fn a_diverging_run_is_capped_at_a_million_times_f0() {
        let slow = curve(&[10.0, 5.0, 2.0]);
        let boom = curve(&[10.0, 1e50, 1e200]);
        let view = fitted_loss_view(&[&slow, &boom], 2);
        assert!(
            view.max()[1] <= 7.0 + 1.2 && view.max()[1] >= 7.0,
            "{view:?}"
        );
        assert!(view.min()[1] < 0.5, "{view:?}");
    }

    #[test]
    fn slow_runs_get_a_tight_view() {
        let a = curve(&[4.0, 3.0, 2.5]);
        let view = fitted_loss_view(&[&a], 2);
        // At least one decade tall, around the data.
        assert!(view.max()[1] - view.min()[1] >= 1.0);
        assert!(view.min()[1] <= 2.5f64.log10() && view.max()[1] >= 4f64.log10());
    }
}
