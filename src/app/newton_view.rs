//! Newton vs teleport (Proposition 4.1, Figure 1): at the current point, the
//! gradient-descent and Newton directions, the Newton step's components along
//! and across −∇f, and the sign of v⊥·∇‖∇f‖².

use crate::numfmt::{full, short};
use egui::{Color32, RichText};
use egui_plot::{Arrows, Plot};

use super::TeleportApp;
use super::state::RowId;
use crate::theory::decompose;

impl TeleportApp {
    pub(super) fn newton_ui(&mut self, ui: &mut egui::Ui) {
        self.update_anatomy_ui(ui);
        ui.separator();
        let obj = &self.rt.objective;
        let x = self.current_point();
        ui.label(format!(
            "At x = ({}, {}), the current point of the selected optimizer.",
            short(x.x),
            short(x.y)
        ))
        .on_hover_text(format!("x = ({}, {})", full(x.x), full(x.y)));
        let d = match decompose(obj.grad(&x), obj.hessian(&x)) {
            Ok(d) => d,
            Err(e) => {
                ui.label(RichText::new(e.to_string()).color(ui.visuals().warn_fg_color));
                return;
            }
        };
        let sign = if d.directional >= 0.0 {
            "≥ 0: Newton's symmetry component increases ‖∇f‖, like a teleport"
        } else {
            "< 0: the proposition needs convexity, and f is not convex here"
        };
        let color = if d.directional >= 0.0 {
            ui.visuals().text_color()
        } else {
            ui.visuals().error_fg_color
        };
        ui.label(
            RichText::new(format!("v⊥·∇‖∇f‖² = {} {sign}", short(d.directional))).color(color),
        )
        .on_hover_text(full(d.directional));
        egui::Grid::new("newton-vectors")
            .num_columns(2)
            .show(ui, |ui| {
                for (name, v) in [
                    ("v1 = −∇f", d.v1),
                    ("v2 = −H⁻¹∇f", d.v2),
                    ("v∥", d.v_par),
                    ("v⊥", d.v_perp),
                ] {
                    ui.label(name);
                    ui.monospace(format!("({}, {})", short(v.x), short(v.y)))
                        .on_hover_text(format!("({}, {})", full(v.x), full(v.y)));
                    ui.end_row();
                }
            });
        ui.checkbox(
            &mut self.state.show.newton_overlay,
            "shade where the quantity is negative on the main plot",
        )
        .on_hover_text("Only non-convex tasks (Rosenbrock) have such points.");
        // The vectors from the current point, −∇f scaled to the Newton
        // step's length, all divided by the longest: the plot shows
        // directions and relative sizes on a fixed scale, so it stays
        // readable (and representable) at x = −7e61 or with ‖v‖ = 1e−300.
        let scale = d.v2.norm() / d.v1.norm().max(f64::MIN_POSITIVE);
        let vectors = [
            (
                "v1 = −∇f (scaled)",
                d.v1 * scale,
                Color32::from_rgb(31, 119, 180),
            ),
            ("v2 (Newton)", d.v2, Color32::from_rgb(255, 127, 14)),
            ("v∥", d.v_par, Color32::from_rgb(44, 160, 44)),
            ("v⊥", d.v_perp, Color32::from_rgb(214, 39, 40)),
        ];
        let longest = vectors
            .iter()
            .map(|(_, v, _)| v.norm())
            .filter(|n| n.is_finite())
            .fold(0.0, f64::max);
        Plot::new("newton-vectors-plot")
            .data_aspect(1.0)
            .include_x(-1.1)
            .include_x(1.1)
            .include_y(-1.1)
            .include_y(1.1)
            .x_axis_label("Δx / longest arrow")
            .legend(egui_plot::Legend::default().follow_insertion_order(true))
            .show(ui, |p| {
                super::keep_view_sane(p, 1e6, None);
                if longest <= 0.0 {
                    return;
                }
                for (name, v, c) in vectors {
                    let tip = v / longest;
                    if !(tip.x.is_finite() && tip.y.is_finite()) {
                        continue;
                    }
                    p.arrows(
                        Arrows::new(name, vec![[0.0, 0.0]], vec![[tip.x, tip.y]])
                            .color(c)
                            .tip_length(12.0),
                    );
                }
            });
    }
}

impl TeleportApp {
    /// The anatomy of the selected row's update at the current step (its
    /// move and its teleport jump, each split along ∇f and along the level
    /// set), and the symmetry share of every visible row per step.
    fn update_anatomy_ui(&mut self, ui: &mut egui::Ui) {
        use crate::theory::step_anatomy;
        let obj = &self.rt.objective;
        let t = self.state.playback.t;
        ui.label(RichText::new("Update anatomy").strong())
            .on_hover_text(
                "Each move split into v∥ (along ∇f) and v⊥ (along the level set, the symmetry \
             component). Proposition 4.1: Newton's step has a v⊥ that raises ‖∇f‖, as a \
             teleport does. Does a learned optimizer move like Newton?",
            );
        let selected = self
            .state
            .optimizers
            .iter()
            .zip(self.state.row_labels())
            .find(|(r, _)| r.id == self.state.selected)
            .map(|(_, name)| name);
        let anatomy = self
            .run(self.state.selected)
            .and_then(|r| step_anatomy(obj, r.shown(), t));
        match (selected, anatomy) {
            (Some(name), Some(a)) => {
                ui.label(format!("{name}, step {t}:"));
                egui::Grid::new("anatomy").num_columns(4).show(ui, |ui| {
                    ui.label("");
                    ui.label("v∥");
                    ui.label("v⊥");
                    ui.label("‖v⊥‖/‖Δx‖");
                    ui.end_row();
                    for (what, part) in [("its move Δx", a.local), ("teleport jump", a.jump)] {
                        let Some(p) = part else { continue };
                        ui.label(what);
                        let vec =
                            |v: crate::objective::Vec2| format!("({}, {})", short(v.x), short(v.y));
                        ui.monospace(vec(p.v_par));
                        ui.monospace(vec(p.v_perp));
                        ui.monospace(short(p.symmetry_share()));
                        ui.end_row();
                    }
                });
            }
            _ => {
                ui.label(RichText::new("Step to t ≥ 1 to see the selected row's update.").weak());
            }
        }
        // The symmetry share of every visible row's own moves, per step.
        let lines: Vec<(String, Color32, Vec<[f64; 2]>)> = self
            .visible_runs()
            .into_iter()
            .map(|(entry, name, run)| {
                let tr = run.shown();
                let points = (1..tr.records.len())
                    .filter_map(|k| {
                        let share = step_anatomy(obj, tr, k)?.local?.symmetry_share();
                        share.is_finite().then_some([k as f64, share])
                    })
                    .collect();
                (name, super::row_color(entry), points)
            })
            .collect();
        Plot::new("symmetry-share")
            .height(140.0)
            .include_y(0.0)
            .include_y(1.0)
            .x_axis_label("step")
            .y_axis_label("‖v⊥‖/‖Δx‖")
            // Lines in the rows' colours, as everywhere: a legend would
            // cover the small plot.
            .show(ui, |p| {
                super::keep_view_sane(p, 1e9, None);
                for (name, color, points) in lines {
                    p.line(egui_plot::Line::new(name, points).color(color).width(1.5));
                }
                p.vline(egui_plot::VLine::new("step", t as f64).color(Color32::GRAY));
            });
        self.efficiency_plot_ui(ui);
    }

    /// Teleport quality per step: η_t = ‖∇f(g_θt x)‖ / ‖∇f(g_θ* x)‖ of every
    /// visible row that teleports — this task's teleports as points, or
    /// across tasks the median with its quartile band.
    fn efficiency_plot_ui(&self, ui: &mut egui::Ui) {
        let t = self.state.playback.t;
        let across = self
            .rt
            .across
            .result
            .as_ref()
            .filter(|_| self.state.across_tasks);
        ui.label(RichText::new("Teleport quality η per step").strong())
            .on_hover_text(
                "η = ‖∇f(g_θt x)‖ / ‖∇f(g_θ* x)‖ at the point each teleport started from: \
                 1 is the oracle's angle, 0 a teleport that reached no gradient at all. \
                 Across tasks: the median over the runs that teleported at that step, \
                 with a band from the first to the third quartile.",
            );
        type Series = (RowId, Color32, String, Vec<[f64; 2]>, Option<Band>);
        let series: Vec<Series> = self
            .visible_runs()
            .into_iter()
            .filter_map(|(entry, name, run)| {
                let color = super::row_color(entry);
                if let Some(rows) = across {
                    let stats = &rows.iter().find(|r| r.id == entry.id)?.stats;
                    let pick = |f: fn(&crate::eval::Summary) -> f64| -> Vec<[f64; 2]> {
                        stats
                            .iter()
                            .filter_map(|s| Some([s.t as f64, f(s.teleport_efficiency.as_ref()?)]))
                            .collect()
                    };
                    let median = pick(|e| e.median);
                    let band = (pick(|e| e.q25), pick(|e| e.q75));
                    (!median.is_empty()).then_some((entry.id, color, name, median, Some(band)))
                } else {
                    let points: Vec<[f64; 2]> = run
                        .efficiency
                        .iter()
                        .map(|&(k, eta)| [k as f64, eta])
                        .collect();
                    (!points.is_empty()).then_some((entry.id, color, name, points, None))
                }
            })
            .collect();
        if series.is_empty() {
            ui.label(RichText::new("No visible row teleports.").weak());
            return;
        }
        Plot::new("teleport-efficiency")
            .height(140.0)
            .include_y(0.0)
            .include_y(1.0)
            .x_axis_label("step")
            .y_axis_label("η")
            .show(ui, |p| {
                super::keep_view_sane(p, 1e9, None);
                for (id, color, name, points, band) in series {
                    if let Some((lo, hi)) = &band {
                        super::side_plots::draw_band(p, ("eta-band", id), color, lo, hi);
                    }
                    p.line(
                        egui_plot::Line::new(name.clone(), points.clone())
                            .id(("eta", id))
                            .color(color)
                            .width(1.0),
                    );
                    p.points(
                        egui_plot::Points::new(name, points)
                            .id(("eta-points", id))
                            .color(color)
                            .radius(2.5),
                    );
                }
                p.vline(egui_plot::VLine::new("step", t as f64).color(Color32::GRAY));
            });
    }
}

/// A quartile band: the first and the third quartile per step.
type Band = (Vec<[f64; 2]>, Vec<[f64; 2]>);
