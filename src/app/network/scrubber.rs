//! The by-hand scrubber of a network: pick a hidden unit, drag its
//! log-scale θ. Rescaling the unit (incoming weights and bias times e^θ,
//! outgoing weights divided by it) leaves the network's function, and so
//! `f`, unchanged, while ‖∇f‖ follows the unit's curve
//! `‖∇f‖²(θ) = A e^{−2θ} + B e^{2θ} + C` ([`UnitCurve`]). The plot shows
//! that curve with θ* (the largest ‖∇f‖ inside the oracle's box) and the
//! balanced point (the smallest); the readout shows `f` and ‖∇f‖ at the
//! current parameters and at the rescaled ones, both computed by a forward
//! and backward pass (not from the curve). "Teleport here" applies θ at the
//! step, as the plane's does.

use egui::{Color32, RichText};
use egui_plot::{Line, MarkerShape, Plot, Points, VLine};

use teleport_core::net::rescale::{DEFAULT_MAX_LOG_SCALE, rescale_in_place};
use teleport_core::net::run::norm;
use teleport_core::net::{Unit, UnitCurve};
use teleport_core::numfmt::short;

use super::state::SCRUBBER_RANGE;
use crate::app::TeleportApp;

/// The scrubber at the current parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct ScrubberReading {
    /// The unit.
    pub unit: Unit,
    /// Its log-scale θ.
    pub theta: f64,
    /// ‖∇f‖ over the unit's log-scale at the current parameters.
    pub curve: UnitCurve,
    /// `f` at the current parameters.
    pub f: f64,
    /// `f` at the rescaled parameters (a forward pass).
    pub f_scaled: f64,
    /// ‖∇f‖ at the current parameters.
    pub grad_norm: f64,
    /// ‖∇f‖ at the rescaled parameters (a backward pass).
    pub grad_norm_scaled: f64,
}

/// The reading and what it was taken for.
#[derive(Debug, Default)]
pub struct ScrubberCache {
    key: Option<(Vec<f64>, Unit, f64)>,
    /// The last reading.
    pub reading: Option<ScrubberReading>,
}

/// A reading costs two passes over the data; above this many multiply-adds
/// per pass (points × parameters) it waits while the playback runs.
const PLAYBACK_BUDGET: usize = 20_000_000;

impl TeleportApp {
    /// Takes the scrubber's reading again when the parameters, the unit or
    /// θ changed.
    pub(super) fn refresh_net_scrubber(&mut self) {
        let (Some(task), Some(params)) = (self.network_task().cloned(), self.network_params())
        else {
            return;
        };
        let s = self.state.network.scrubber;
        let key = (params, s.unit, s.theta);
        let cache = &self.rt.network.scrubber;
        if cache.key.as_ref() == Some(&key) {
            return;
        }
        let heavy = task.data.len().saturating_mul(key.0.len()) > PLAYBACK_BUDGET;
        if heavy && self.state.playback.playing && cache.reading.is_some() {
            return;
        }
        let mut ws = task.workspace();
        let mut grad = vec![0.0; key.0.len()];
        let fit = task.fit_grad(&key.0, &mut ws, &mut grad);
        let Ok(curve) = UnitCurve::of(&task.mlp, &grad, s.unit) else {
            return;
        };
        let Some(u) = task.mlp.unit_position(s.unit) else {
            return;
        };
        let mut scales = vec![0.0; task.mlp.num_hidden_units()];
        scales[u] = s.theta;
        let mut scaled = key.0.clone();
        rescale_in_place(&task.mlp, &mut scaled, &scales);
        let mut grad_scaled = vec![0.0; scaled.len()];
        let fit_scaled = task.fit_grad(&scaled, &mut ws, &mut grad_scaled);
        self.rt.network.scrubber.reading = Some(ScrubberReading {
            unit: s.unit,
            theta: s.theta,
            curve,
            f: fit.f,
            f_scaled: fit_scaled.f,
            grad_norm: norm(&grad),
            grad_norm_scaled: norm(&grad_scaled),
        });
        self.rt.network.scrubber.key = Some(key);
    }

    /// The scrubber's reading at the current parameters.
    pub fn network_scrubber(&self) -> Option<&ScrubberReading> {
        self.rt.network.scrubber.reading.as_ref()
    }

    /// The scrubber unit's curve at the current parameters.
    pub fn network_unit_curve(&self) -> Option<UnitCurve> {
        self.network_scrubber().map(|r| r.curve)
    }

    /// The θ plot's tile for a network: ‖∇f‖ over the unit's log-scale.
    pub(in crate::app) fn network_scrubber_pane_ui(&mut self, ui: &mut egui::Ui) {
        self.refresh_net_scrubber();
        let Some(r) = self.network_scrubber().cloned() else {
            ui.label("‖∇f‖ along a unit's rescaling: waiting for the network.");
            return;
        };
        let s = DEFAULT_MAX_LOG_SCALE;
        let best = r.curve.argmax(-s, s);
        let points: Vec<[f64; 2]> = r
            .curve
            .sample(-SCRUBBER_RANGE, SCRUBBER_RANGE, 241)
            .into_iter()
            .map(|(t, g)| [t, g])
            .collect();
        let height = (ui.available_height() - 60.0).max(80.0);
        let mut clicked = None;
        let purple = Color32::from_rgb(120, 60, 160);
        let oracle = Color32::from_rgb(214, 39, 40);
        Plot::new("net-unit-curve")
            .height(height)
            .include_y(0.0)
            .allow_drag(false)
            .allow_zoom(false)
            .allow_scroll(false)
            .x_axis_label(format!(
                "θ: log-scale of unit {}:{}",
                r.unit.layer, r.unit.index
            ))
            .show(ui, |plot_ui| {
                crate::app::keep_view_sane(plot_ui, 1e200, None);
                plot_ui.line(
                    Line::new("‖∇f‖ with the unit rescaled by e^θ", points)
                        .color(purple)
                        .width(2.0),
                );
                plot_ui.vline(VLine::new("current θ", r.theta).color(Color32::from_gray(40)));
                for edge in [-s, s] {
                    plot_ui.vline(
                        VLine::new("the oracle's box |θ| ≤ ln 2", edge)
                            .color(oracle.gamma_multiply(0.4))
                            .style(egui_plot::LineStyle::dashed_loose()),
                    );
                }
                plot_ui.points(
                    Points::new(
                        "θ* (largest ‖∇f‖ in the box)",
                        vec![[best, r.curve.grad_norm(best)]],
                    )
                    .shape(MarkerShape::Diamond)
                    .radius(6.0)
                    .color(oracle),
                );
                if let Some(b) = r.curve.balanced().filter(|b| b.abs() <= SCRUBBER_RANGE) {
                    plot_ui.points(
                        Points::new("balanced (smallest ‖∇f‖)", vec![[b, r.curve.grad_norm(b)]])
                            .shape(MarkerShape::Circle)
                            .radius(4.0)
                            .color(Color32::from_gray(90)),
                    );
                }
                if plot_ui.response().clicked() {
                    clicked = plot_ui.pointer_coordinate();
                }
            });
        ui.horizontal_wrapped(|ui| {
            ui.label(
                RichText::new(format!(
                    "f = {} → {} (unchanged)",
                    short(r.f),
                    short(r.f_scaled)
                ))
                .small(),
            );
            ui.label(
                RichText::new(format!(
                    "│ ‖∇f‖ = {} → {}",
                    short(r.grad_norm),
                    short(r.grad_norm_scaled)
                ))
                .small(),
            );
            ui.label(
                RichText::new(format!("│ θ* = {}", short(best)))
                    .small()
                    .color(oracle),
            );
        });
        if let Some(p) = clicked
            && p.x.is_finite()
        {
            self.state.network.scrubber.theta = p.x.clamp(-SCRUBBER_RANGE, SCRUBBER_RANGE);
        }
    }
}
