//! Algorithm 2 (learn one teleport rotation on the fly) on f = xᵀAx: the
//! iterates x_t and their teleported images y_t = g_θt(x_t), and θ_t against
//! the principal-axis angle, with Appendix B's closed-form update overlaid.

use egui::{Color32, DragValue, RichText};
use egui_plot::{HLine, LineStyle, MarkerShape, Plot, Points, VLine};
use teleport_core::numfmt::{full, short};

use super::level_set::path;
use super::{TeleportApp, labelled};
use teleport_core::contour::{Grid, auto_levels, contours, polylines};
use teleport_core::objective::{Mat2, Objective, Quadratic, Vec2};
use teleport_core::optim::alg2;

/// One computed step of Algorithm 2.
#[derive(Clone, Copy, Debug)]
pub struct Alg2Row {
    /// x_t.
    pub x: Vec2,
    /// y_t = g_θt(x_t).
    pub y: Vec2,
    /// θ_t.
    pub theta: f64,
    /// θ_{t+1} by the chain rule.
    pub theta_next: f64,
    /// θ_{t+1} by Appendix B's closed form.
    pub theta_next_closed: f64,
}

/// Runs Algorithm 2 for the window's settings.
pub fn alg2_rows(
    q: &Quadratic,
    x0: Vec2,
    theta0: f64,
    lr: f64,
    theta_lr: f64,
    steps: usize,
) -> Vec<Alg2Row> {
    let obj = Objective::Quadratic(q.clone());
    let mut rows = Vec::with_capacity(steps + 1);
    let (mut x, mut theta) = (x0, theta0);
    for _ in 0..=steps {
        let s = alg2::step(&obj, &x, theta, lr, theta_lr);
        if !(s.x_next.iter().all(|v| v.is_finite()) && s.theta_next.is_finite()) {
            break;
        }
        rows.push(Alg2Row {
            x,
            y: s.y,
            theta,
            theta_next: s.theta_next,
            theta_next_closed: alg2::closed_form_theta_next(q, &x, theta, lr, theta_lr),
        });
        x = s.x_next;
        theta = s.theta_next;
    }
    rows
}

impl TeleportApp {
    pub(super) fn alg2_ui(&mut self, ui: &mut egui::Ui) {
        let s = &mut self.state.alg2;
        ui.horizontal(|ui| {
            let label = ui.label("A =").id;
            for (r, c, tip) in [(0, 0, "A₁₁"), (0, 1, "A₁₂ = A₂₁"), (1, 1, "A₂₂")] {
                ui.add(
                    DragValue::new(&mut s.a[r][c])
                        .speed(0.02)
                        .max_decimals(3)
                        .range(-1e4..=1e4),
                )
                .labelled_by(label)
                .on_hover_text(tip);
            }
            s.a[1][0] = s.a[0][1];
            ui.separator();
            let lr = DragValue::new(&mut s.lr).speed(0.001).range(1e-4..=1.0);
            labelled(ui, "α", lr).on_hover_text("Step size on x: x_{t+1} = y_t − α∇f(y_t).");
            let theta_lr = DragValue::new(&mut s.theta_lr)
                .speed(0.01)
                .range(0.0..=100.0);
            labelled(ui, "β", theta_lr)
                .on_hover_text("Step size on θ: θ_{t+1} = θ_t − β ∂f(x_{t+1})/∂θ_t.");
            // An angle: (−π, π] holds every rotation, and a typed 1e19 would
            // leave the θ plot no height to draw in.
            let pi = std::f64::consts::PI;
            let theta0 = DragValue::new(&mut s.theta0).speed(0.01).range(-pi..=pi);
            labelled(ui, "θ₀", theta0).on_hover_text("Initial rotation angle.");
        });
        ui.horizontal(|ui| {
            let label = ui.label("x₀").id;
            for k in 0..2 {
                ui.add(DragValue::new(&mut s.x0[k]).speed(0.02).range(-1e4..=1e4))
                    .labelled_by(label);
            }
            labelled(ui, "steps", DragValue::new(&mut s.steps).range(1..=500));
            if ui.button("|◀").on_hover_text("Back to t = 0.").clicked() {
                s.t = 0;
                s.playing = false;
            }
            if ui.button("▶|").on_hover_text("One step.").clicked() {
                s.t = (s.t + 1).min(s.steps);
            }
            if ui
                .button(if s.playing { "||" } else { "▶" })
                .on_hover_text("Play or pause.")
                .clicked()
            {
                s.playing = !s.playing;
                if s.playing && s.t >= s.steps {
                    s.t = 0;
                }
            }
            ui.add(egui::Slider::new(&mut s.t, 0..=s.steps).text("t"));
        });
        let a = Mat2::new(s.a[0][0], s.a[0][1], s.a[1][0], s.a[1][1]);
        let q = match Quadratic::new(a) {
            Ok(q) => q,
            Err(e) => {
                ui.label(RichText::new(format!("⚠ {e}")).color(ui.visuals().error_fg_color));
                return;
            }
        };
        // A run that overflows stops at its last finite row, as every other
        // run does (a NaN would be drawn at NaN).
        let rows: Vec<_> = alg2_rows(&q, Vec2::from(s.x0), s.theta0, s.lr, s.theta_lr, s.steps)
            .into_iter()
            .take_while(|r| {
                [
                    r.x.x,
                    r.x.y,
                    r.y.x,
                    r.y.y,
                    r.theta,
                    r.theta_next,
                    r.theta_next_closed,
                ]
                .iter()
                // Finite is not enough: two values near ±1e308 make a plot
                // whose height overflows to ∞ (the monkey drew at NaN so).
                .all(|v| v.is_finite() && v.abs() < 1e150)
            })
            .collect();
        let t = s.t.min(rows.len().saturating_sub(1));
        let axis = alg2::principal_axis_angle(&a);
        if let Some(r) = rows.get(t) {
            let diff = (r.theta_next - r.theta_next_closed).abs();
            ui.label(format!(
                "t = {t}: θ_t = {}, θ_(t+1) = {} (chain rule) vs {} (Appendix B), |Δ| = {}; principal axis at {} rad",
                short(r.theta),
                short(r.theta_next),
                short(r.theta_next_closed),
                short(diff),
                short(axis)
            ))
            .on_hover_text(format!(
                "θ_t = {}, θ_(t+1) = {} (chain rule), {} (Appendix B), |Δ| = {}",
                full(r.theta),
                full(r.theta_next),
                full(r.theta_next_closed),
                full(diff)
            ));
        }
        let obj = Objective::Quadratic(q);
        let extent = rows
            .iter()
            .flat_map(|r| [r.x.amax(), r.y.amax()])
            .fold(1.0_f64, f64::max)
            .min(1e3)
            * 1.2;
        let grid = Grid::of_objective(&obj, [-extent, -extent], [extent, extent], 120, 120);
        let lines: Vec<Vec<[f64; 2]>> = contours(&grid, &auto_levels(&grid, 10))
            .into_iter()
            .flat_map(|c| polylines(&c.segments))
            .collect();
        let height = (ui.available_height() - 10.0).max(220.0);
        ui.columns(2, |cols| {
            Plot::new("alg2-plane")
                .data_aspect(1.0)
                .height(height)
                .legend(egui_plot::Legend::default().follow_insertion_order(true))
                .show(&mut cols[0], |p| {
                    super::keep_view_sane(p, 1e12, None);
                    for l in lines {
                        p.line(
                            path("", l)
                                .color(Color32::from_rgba_unmultiplied(90, 100, 130, 110))
                                .allow_hover(false),
                        );
                    }
                    let (c, sn) = (axis.cos(), axis.sin());
                    p.line(
                        path(
                            "principal axis",
                            vec![[-extent * c, -extent * sn], [extent * c, extent * sn]],
                        )
                        .style(LineStyle::dashed_loose())
                        .color(Color32::GRAY),
                    );
                    let shown = &rows[..rows.len().min(t + 1)];
                    p.line(
                        path(
                            "x_t",
                            shown.iter().map(|r| [r.x.x, r.x.y]).collect::<Vec<_>>(),
                        )
                        .color(Color32::from_rgb(31, 119, 180)),
                    );
                    p.points(
                        Points::new(
                            "y_t = g_θt(x_t)",
                            shown.iter().map(|r| [r.y.x, r.y.y]).collect::<Vec<_>>(),
                        )
                        .shape(MarkerShape::Diamond)
                        .radius(4.0)
                        .color(Color32::from_rgb(214, 39, 40)),
                    );
                });
            Plot::new("alg2-theta")
                .height(height)
                .legend(egui_plot::Legend::default().follow_insertion_order(true))
                .x_axis_label("t")
                .show(&mut cols[1], |p| {
                    super::keep_view_sane(p, 1e12, None);
                    p.line(
                        path(
                            "θ_t",
                            rows.iter()
                                .enumerate()
                                .map(|(k, r)| [k as f64, r.theta])
                                .collect::<Vec<_>>(),
                        )
                        .color(Color32::from_rgb(44, 160, 44))
                        .width(2.0),
                    );
                    p.points(
                        Points::new(
                            "θ_(t+1), Appendix B",
                            rows.iter()
                                .enumerate()
                                .map(|(k, r)| [k as f64 + 1.0, r.theta_next_closed])
                                .collect::<Vec<_>>(),
                        )
                        .radius(3.0)
                        .color(Color32::from_rgb(255, 127, 14)),
                    );
                    p.line(
                        path(
                            "angle of y_t (mod π)",
                            rows.iter()
                                .enumerate()
                                .map(|(k, r)| {
                                    [
                                        k as f64,
                                        r.y.y.atan2(r.y.x).rem_euclid(std::f64::consts::PI),
                                    ]
                                })
                                .collect::<Vec<_>>(),
                        )
                        .color(Color32::from_rgb(214, 39, 40)),
                    );
                    p.hline(
                        HLine::new("principal axis", axis)
                            .color(Color32::GRAY)
                            .style(LineStyle::dashed_loose()),
                    );
                    p.vline(VLine::new("t", t as f64).color(Color32::DARK_GRAY));
                });
        });
    }
}
