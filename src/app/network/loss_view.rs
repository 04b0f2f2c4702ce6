//! The network's per-step plots, in the loss plot's tile: `f` (log
//! scale), the accuracy, and ‖∇f‖ (log scale) for every visible row, on
//! one step axis with the timeline. A teleport is a diamond on the `f`
//! curve (which it leaves where it was) and a vertical jump on the ‖∇f‖
//! curve, from ‖∇f‖ before it to ‖∇f‖ after. Across tasks, the `f` plot
//! draws each row's median over data and init seeds with its quartile
//! band instead.

use egui::{Color32, RichText};
use egui_plot::{Line, LineStyle, MarkerShape, Plot, Points, VLine};

use teleport_core::numfmt::short;

use super::across::ACROSS_SEEDS;
use crate::app::TeleportApp;
use crate::app::state::RowId;

fn log10(v: f64) -> f64 {
    v.max(1e-300).log10()
}

/// A row's median across seeds with its quartiles, in (step, log₁₀ f).
type Band = (RowId, Vec<[f64; 2]>, Vec<[f64; 2]>, Vec<[f64; 2]>);

/// One row's curves.
struct Curves {
    id: RowId,
    color: Color32,
    name: String,
    /// `(t, log₁₀ f)`.
    f: Vec<[f64; 2]>,
    /// `(t, accuracy)`.
    accuracy: Vec<[f64; 2]>,
    /// `(t, log₁₀ ‖∇f‖)`.
    grad: Vec<[f64; 2]>,
    /// Teleports: `(t, log₁₀ f, log₁₀ ‖∇f‖ before, log₁₀ ‖∇f‖ after)`.
    teleports: Vec<(f64, f64, f64, f64)>,
}

impl TeleportApp {
    fn network_curves(&self) -> Vec<Curves> {
        self.visible_network_runs()
            .into_iter()
            .map(|(row, name, result)| {
                let run = result.shown();
                let records = &run.trajectory.records;
                Curves {
                    id: row.id,
                    color: crate::app::color(row.color.unwrap_or(0)),
                    name,
                    f: records.iter().map(|r| [r.t as f64, log10(r.f)]).collect(),
                    accuracy: records.iter().map(|r| [r.t as f64, r.accuracy]).collect(),
                    grad: records
                        .iter()
                        .map(|r| [r.t as f64, log10(r.grad_norm)])
                        .collect(),
                    teleports: run
                        .jumps
                        .iter()
                        .filter_map(|j| {
                            let r = records.get(j.t)?;
                            Some((
                                j.t as f64,
                                log10(r.f),
                                log10(j.grad_norm_before),
                                log10(r.grad_norm),
                            ))
                        })
                        .collect(),
                }
            })
            .collect()
    }

    /// The loss plot's tile for a network.
    pub(in crate::app) fn network_loss_pane_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal_wrapped(|ui| {
            ui.checkbox(
                &mut self.state.across_tasks,
                format!("across {ACROSS_SEEDS} data/init seeds"),
            )
            .on_hover_text(
                "Run every visible row on the task with data seed and init seed 0, 1, 2, … \
                 (a CSV keeps its points) and draw the median f per step with its quartile band.",
            );
            if self.state.across_tasks && self.network_across().computing() {
                ui.label(RichText::new("computing…").small().weak());
            }
        });
        let curves = self.network_curves();
        ui.horizontal_wrapped(|ui| {
            ui.spacing_mut().item_spacing.x = 4.0;
            for c in &curves {
                ui.label(RichText::new("━").color(c.color));
                ui.label(RichText::new(&c.name).small());
            }
            if self.network_runs_pending() {
                ui.label(RichText::new("computing…").small().weak());
            }
        });
        let t = self.state.playback.t;
        let steps = self.network_steps();
        let rest = (ui.available_height() - 8.0).max(150.0);
        let heights = [0.42 * rest, 0.25 * rest, 0.33 * rest];
        let across = self.state.across_tasks;
        let bands: Vec<Band> = if across {
            self.network_across()
                .rows
                .iter()
                .map(|r| {
                    let pick = |v: fn(&teleport_core::eval::StepStats) -> f64| {
                        r.stats
                            .iter()
                            .filter(|s| v(s).is_finite())
                            .map(|s| [s.t as f64, log10(v(s))])
                            .collect::<Vec<_>>()
                    };
                    (r.id, pick(|s| s.median), pick(|s| s.q25), pick(|s| s.q75))
                })
                .collect()
        } else {
            Vec::new()
        };
        let mut clicked = None;
        let link = egui::Id::unique("net-steps");
        let plot = |id: &str, height: f32, y: &str| {
            Plot::new(id.to_owned())
                .height(height)
                .link_axis(link, [true, false])
                .link_cursor(link, [true, false])
                .include_x(0.0)
                .include_x(steps as f64)
                .y_axis_label(y.to_owned())
                .allow_double_click_reset(true)
        };
        let response = crate::app::axes::Ticks::apply(
            plot("net-loss", heights[0], "f"),
            crate::app::axes::Ticks::Linear,
            crate::app::axes::Ticks::Log10,
        )
        .show(ui, |plot_ui| {
            crate::app::keep_view_sane(plot_ui, 1e6, None);
            for (id, median, lo, hi) in &bands {
                let Some(c) = curves.iter().find(|c| c.id == *id) else {
                    continue;
                };
                crate::app::side_plots::draw_band(plot_ui, ("net-band", *id), c.color, lo, hi);
                plot_ui.line(
                    Line::new(format!("{} (median)", c.name), median.clone())
                        .id(("net-median", *id))
                        .color(c.color)
                        .style(LineStyle::dashed_dense())
                        .width(1.5),
                );
            }
            for c in &curves {
                plot_ui.line(
                    Line::new(c.name.clone(), c.f.clone())
                        .id(("net-f", c.id))
                        .color(c.color)
                        .width(1.5),
                );
                let marks: Vec<[f64; 2]> = c.teleports.iter().map(|j| [j.0, j.1]).collect();
                plot_ui.points(
                    Points::new("", marks)
                        .id(("net-f-teleports", c.id))
                        .shape(MarkerShape::Diamond)
                        .radius(4.0)
                        .color(c.color),
                );
            }
            plot_ui.vline(VLine::new("timeline", t as f64).color(Color32::from_gray(40)));
            if plot_ui.response().clicked() {
                clicked = plot_ui.pointer_coordinate();
            }
        });
        let accuracy = plot("net-accuracy", heights[1], "accuracy")
            .include_y(0.0)
            .include_y(1.0)
            .show(ui, |plot_ui| {
                crate::app::keep_view_sane(plot_ui, 1e6, None);
                for c in &curves {
                    plot_ui.line(
                        Line::new(c.name.clone(), c.accuracy.clone())
                            .id(("net-acc", c.id))
                            .color(c.color)
                            .width(1.5),
                    );
                }
                plot_ui.vline(VLine::new("timeline", t as f64).color(Color32::from_gray(40)));
                if plot_ui.response().clicked() {
                    clicked = plot_ui.pointer_coordinate();
                }
            });
        let grad = crate::app::axes::Ticks::apply(
            plot("net-grad", heights[2], "‖∇f‖"),
            crate::app::axes::Ticks::Linear,
            crate::app::axes::Ticks::Log10,
        )
        .x_axis_label("step")
        .show(ui, |plot_ui| {
            crate::app::keep_view_sane(plot_ui, 1e6, None);
            for c in &curves {
                plot_ui.line(
                    Line::new(c.name.clone(), c.grad.clone())
                        .id(("net-grad", c.id))
                        .color(c.color)
                        .width(1.5),
                );
                for (k, j) in c.teleports.iter().enumerate() {
                    plot_ui.line(
                        Line::new("", vec![[j.0, j.2], [j.0, j.3]])
                            .id(("net-grad-jump", c.id, k))
                            .color(c.color)
                            .width(2.5)
                            .allow_hover(false),
                    );
                }
            }
            plot_ui.vline(VLine::new("timeline", t as f64).color(Color32::from_gray(40)));
            if plot_ui.response().clicked() {
                clicked = plot_ui.pointer_coordinate();
            }
        });
        for r in [&response.response, &accuracy.response, &grad.response] {
            if r.double_clicked() {
                clicked = None;
            }
        }
        if let Some(p) = clicked
            && p.x.is_finite()
        {
            self.state.playback.t = (p.x.round().max(0.0) as usize).min(self.state.steps);
            self.state.playback.playing = false;
        }
        // The jump at the current step of the selected row, in words.
        let selected = self.state.network.selected;
        if let Some(j) = self
            .network_run(selected)
            .and_then(|r| r.shown().jump_at(t).cloned())
            && let Some(r) = self.network_run(selected).and_then(|r| r.shown().at(t))
        {
            ui.label(
                RichText::new(format!(
                    "step {t} teleported: ‖∇f‖ {} → {}, f unchanged at {}",
                    short(j.grad_norm_before),
                    short(r.grad_norm),
                    short(r.f)
                ))
                .small(),
            );
        }
    }
}
