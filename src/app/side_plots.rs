//! The right panel: ‖∇f(g_θ x)‖ against θ (with the oracle θ*), and the loss
//! of every visible optimizer per step on a log scale, linked to the timeline.

use std::f64::consts::PI;

use egui::Color32;
use egui_plot::{Line, MarkerShape, Plot, Points, VLine};

use super::{TeleportApp, color, wrap_angle};
use crate::symmetry::grad_norm_at;

/// Samples of the θ curve.
const THETA_SAMPLES: usize = 240;

/// `10^v` with a short mantissa, for log-scale axes.
fn pow10_label(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("1e{}", v.round() as i64)
    } else {
        format!("{:.2e}", 10f64.powf(v))
    }
}

impl TeleportApp {
    pub(super) fn side_ui(&mut self, ui: &mut egui::Ui) {
        let half = (ui.available_height() - 60.0).max(200.0) / 2.0;
        ui.label("‖∇f(g_θ x)‖ along the orbit").on_hover_text(
            "How the gradient norm changes as x moves along its level set; click to set θ.",
        );
        self.theta_plot_ui(ui, half);
        ui.separator();
        ui.label("f(x_t) per step (log scale)")
            .on_hover_text("Loss of every visible optimizer; click to move the timeline.");
        self.loss_plot_ui(ui, half);
    }

    fn theta_plot_ui(&mut self, ui: &mut egui::Ui, height: f32) {
        let obj = &self.rt.objective;
        let x = self.current_point();
        let curve: Vec<[f64; 2]> = (0..=THETA_SAMPLES)
            .map(|k| {
                let th = -PI + 2.0 * PI * k as f64 / THETA_SAMPLES as f64;
                [th, grad_norm_at(obj, &x, th)]
            })
            // ‖∇f‖ can overflow on the orbit of a far-away point; values
            // beyond 1e100 would give the plot unusable bounds.
            .filter(|p| p[1].is_finite() && p[1].abs() < 1e100)
            .collect();
        let best = self.rt.oracle;
        let best_theta = wrap_angle(best.theta);
        let theta = self.state.theta;
        let mut clicked = None;
        // The bounds must stay finite even when every sample overflowed
        // (a vertical line alone has no vertical extent).
        Plot::new("theta_plot")
            .height(height)
            .include_x(-PI)
            .include_x(PI)
            .include_y(0.0)
            .allow_drag(false)
            .allow_zoom(false)
            .allow_scroll(false)
            .x_axis_label("θ (rad)")
            .legend(egui_plot::Legend::default())
            .show(ui, |plot_ui| {
                plot_ui.line(
                    Line::new("‖∇f(g_θ x)‖", curve)
                        .color(Color32::from_rgb(120, 60, 160))
                        .width(2.0),
                );
                plot_ui.vline(VLine::new("current θ", theta).color(Color32::from_rgb(40, 40, 40)));
                plot_ui.points(
                    Points::new(
                        format!("oracle θ* = {best_theta:.4}"),
                        vec![[best_theta, best.grad_norm]],
                    )
                    .shape(MarkerShape::Diamond)
                    .radius(6.0)
                    .color(Color32::from_rgb(200, 40, 40)),
                );
                if plot_ui.response().clicked() {
                    clicked = plot_ui.pointer_coordinate();
                }
            });
        if let Some(p) = clicked
            && p.x.is_finite()
        {
            self.state.theta = wrap_angle(p.x);
        }
    }

    fn loss_plot_ui(&mut self, ui: &mut egui::Ui, height: f32) {
        let t = self.state.playback.t;
        let mut clicked = None;
        Plot::new("loss_plot")
            .height(height)
            .include_x(0.0)
            .include_y(0.0)
            .x_axis_label("step")
            .y_axis_formatter(|mark, _| pow10_label(mark.value))
            .label_formatter(|hover| {
                let (name, p) = match hover {
                    egui_plot::HoverPosition::NearDataPoint {
                        plot_name,
                        position,
                        ..
                    } => (*plot_name, *position),
                    egui_plot::HoverPosition::Elsewhere { position } => ("", *position),
                };
                let prefix = if name.is_empty() {
                    String::new()
                } else {
                    format!("{name}\n")
                };
                Some(format!(
                    "{prefix}step {:.0}, f = {:.4e}",
                    p.x,
                    10f64.powf(p.y)
                ))
            })
            .legend(egui_plot::Legend::default())
            .show(ui, |plot_ui| {
                for (i, run) in self.rt.runs.iter().enumerate() {
                    let Some(run) = run else { continue };
                    let name = self.state.optimizers[i].label();
                    let points = |tr: &crate::optim::Trajectory| -> Vec<[f64; 2]> {
                        // log10 of f; f = 0 exactly is drawn at 1e-300.
                        tr.records
                            .iter()
                            .map(|r| [r.t as f64, r.f.max(1e-300).log10()])
                            .collect()
                    };
                    plot_ui.line(
                        Line::new(name.clone(), points(&run.base))
                            .color(color(i))
                            .width(1.5),
                    );
                    if let Some(branch) = &run.branch {
                        plot_ui.line(
                            Line::new(format!("{name} (teleported by hand)"), points(branch))
                                .color(color(i))
                                .style(egui_plot::LineStyle::dashed_dense())
                                .width(1.5),
                        );
                    }
                }
                plot_ui
                    .vline(VLine::new("timeline", t as f64).color(Color32::from_rgb(40, 40, 40)));
                if plot_ui.response().clicked() {
                    clicked = plot_ui.pointer_coordinate();
                }
            });
        if let Some(p) = clicked
            && p.x.is_finite()
        {
            self.state.playback.t = (p.x.round().max(0.0) as usize).min(self.state.steps);
            self.state.playback.playing = false;
        }
    }
}
