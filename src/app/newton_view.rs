//! Newton vs teleport (Proposition 4.1, Figure 1): at the current point, the
//! gradient-descent and Newton directions, the Newton step's components along
//! and across −∇f, and the sign of v⊥·∇‖∇f‖².

use egui::{Color32, RichText};
use egui_plot::{Arrows, Plot};
use teleport_core::numfmt::{full, short};

use super::TeleportApp;
use super::side_plots::Band;
use super::state::RowId;
use teleport_core::theory::decompose;

impl TeleportApp {
    pub(super) fn newton_ui(&mut self, ui: &mut egui::Ui) {
        section(ui, "Update anatomy", ANATOMY_HELP, |ui| {
            self.update_anatomy_ui(ui)
        });
        self.probe_ui(ui);
        section(ui, "Teleport quality η per step", EFFICIENCY_HELP, |ui| {
            self.efficiency_plot_ui(ui);
        });
        section(
            ui,
            "Newton's step here (Proposition 4.1)",
            NEWTON_HELP,
            |ui| {
                self.newton_step_ui(ui);
            },
        );
    }

    /// Newton's step at the current point, split along and across −∇f,
    /// beside the selected row's next move.
    fn newton_step_ui(&mut self, ui: &mut egui::Ui) {
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
        let newton_len = d.v2.norm();
        let scaled =
            |v: teleport_core::objective::Vec2| v * (newton_len / v.norm().max(f64::MIN_POSITIVE));
        let mut vectors = vec![
            (
                "v1 = −∇f (scaled)".to_owned(),
                scaled(d.v1),
                Color32::from_rgb(31, 119, 180),
            ),
            (
                "v2 (Newton)".to_owned(),
                d.v2,
                Color32::from_rgb(255, 127, 14),
            ),
            ("v∥".to_owned(), d.v_par, Color32::from_rgb(44, 160, 44)),
            ("v⊥".to_owned(), d.v_perp, Color32::from_rgb(214, 39, 40)),
        ];
        // The selected row's own next step from this point, beside them.
        let next = self.next_move_of_selected();
        if let Some((name, color, a)) = &next {
            if let Some(local) = a.local {
                ui.label(format!(
                    "{name}'s next move: ‖Δx‖ = {}, {}° from Newton's, symmetry share ‖v⊥‖/‖Δx‖ = {}",
                    short(local.dx.norm()),
                    short(angle_between(local.dx, d.v2).to_degrees()),
                    short(local.symmetry_share()),
                ));
                vectors.push((
                    format!("{name}: next Δx (scaled)"),
                    scaled(local.dx),
                    *color,
                ));
            }
            if let Some(jump) = a.jump {
                ui.label(format!(
                    "… then a teleport jump: ‖jump‖ = {}, {}° from Newton's",
                    short(jump.dx.norm()),
                    short(angle_between(jump.dx, d.v2).to_degrees()),
                ));
                let faint = color.gamma_multiply(0.55);
                vectors.push((
                    format!("{name}: next jump (scaled)"),
                    scaled(jump.dx),
                    faint,
                ));
            }
        }
        let longest = vectors
            .iter()
            .map(|(_, v, _)| v.norm())
            .filter(|n| n.is_finite())
            .fold(0.0, f64::max);
        // The key above the plot: a legend inside would cover arrows that
        // point into its corner.
        ui.horizontal_wrapped(|ui| {
            for (name, _, color) in &vectors {
                ui.label(RichText::new(format!("→ {name}")).color(*color).small());
            }
        });
        Plot::new("newton-vectors-plot")
            .height(240.0)
            .data_aspect(1.0)
            .include_x(-1.1)
            .include_x(1.1)
            .include_y(-1.1)
            .include_y(1.1)
            .x_axis_label("Δx / longest arrow")
            // In a scrolling window: the wheel scrolls the window, and a
            // fixed picture needs no panning.
            .allow_scroll(false)
            .allow_drag(false)
            .allow_zoom(false)
            .allow_boxed_zoom(false)
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

/// The angle between two vectors, in radians (NaN when either is zero).
fn angle_between(a: teleport_core::objective::Vec2, b: teleport_core::objective::Vec2) -> f64 {
    (a.dot(&b) / (a.norm() * b.norm())).clamp(-1.0, 1.0).acos()
}

impl TeleportApp {
    /// The selected row's step out of the current point (timeline step t
    /// to t + 1): its name, colour and anatomy, when it has one.
    fn next_move_of_selected(
        &self,
    ) -> Option<(String, Color32, teleport_core::theory::StepAnatomy)> {
        let id = self.state.selected;
        let (entry, name) = (self.state.row(id)?, self.state.row_label(id)?);
        let run = self.run(id)?;
        let a = teleport_core::theory::step_anatomy(
            &self.rt.objective,
            run.shown(),
            self.state.playback.t + 1,
        )?;
        Some((name, super::row_color(entry), a))
    }

    /// The anatomy of the selected row's update at the current step (its
    /// move and its teleport jump, each split along ∇f and along the level
    /// set), and the symmetry share of every visible row per step.
    fn update_anatomy_ui(&mut self, ui: &mut egui::Ui) {
        use teleport_core::theory::step_anatomy;
        let obj = &self.rt.objective;
        let t = self.state.playback.t;
        let selected = self.state.row_label(self.state.selected);
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
                        let vec = |v: teleport_core::objective::Vec2| {
                            format!("({}, {})", short(v.x), short(v.y))
                        };
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
        step_plot("symmetry-share", "‖v⊥‖/‖Δx‖")
            // Lines in the rows' colours, as everywhere: a legend would
            // cover the small plot.
            .show(ui, |p| {
                super::keep_view_sane(p, 1e9, None);
                for (name, color, points) in lines {
                    p.line(egui_plot::Line::new(name, points).color(color).width(1.5));
                }
                p.vline(egui_plot::VLine::new("step", t as f64).color(Color32::GRAY));
            });
    }

    /// Teleport quality per step: η_t = ‖∇f(g_θt x)‖ / ‖∇f(g_θ* x)‖ of every
    /// visible row that teleports — this task's teleports as points, or
    /// across tasks the median with its quartile band.
    fn efficiency_plot_ui(&self, ui: &mut egui::Ui) {
        let t = self.state.playback.t;
        let across = self.across_shown();
        type Series = (RowId, Color32, String, Vec<[f64; 2]>, Option<Band>);
        let series: Vec<Series> = self
            .visible_runs()
            .into_iter()
            .filter_map(|(entry, name, run)| {
                let color = super::row_color(entry);
                if let Some(rows) = across {
                    let stats = &rows.iter().find(|r| r.id == entry.id)?.stats;
                    let pick = |f: fn(&teleport_core::eval::Summary) -> f64| -> Vec<[f64; 2]> {
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
                        .efficiency(&self.rt.objective)
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
        step_plot("teleport-efficiency", "η").show(ui, |p| {
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

const ANATOMY_HELP: &str = "Each move split into v∥ (along ∇f) and v⊥ (along the level set, \
    the symmetry component). Proposition 4.1: Newton's step has a v⊥ that raises ‖∇f‖, as a \
    teleport does. Does a learned optimizer move like Newton?";

const EFFICIENCY_HELP: &str = "η = ‖∇f(g_θt x)‖ / ‖∇f(g_θ* x)‖ at the point each teleport \
    started from: 1 is the oracle's angle, 0 a teleport that reached no gradient at all. Across \
    tasks: the median over the runs that teleported at that step, with a band from the first \
    to the third quartile.";

const PROBE_HELP: &str = "What its networks output at this step, and the hidden state h of \
    each LSTM cell after it: one square per unit, blue −1, white 0, red +1.";

const NEWTON_HELP: &str = "At the current point: −∇f, Newton's direction −H⁻¹∇f split along \
    and across −∇f, the sign of v⊥·∇‖∇f‖², and the selected row's own next move beside them.";

/// One of the window's sections: a header that folds it (open at first),
/// with `help` on hover.
fn section(ui: &mut egui::Ui, title: &str, help: &str, body: impl FnOnce(&mut egui::Ui)) {
    egui::CollapsingHeader::new(RichText::new(title).strong())
        .default_open(true)
        .show(ui, body)
        .header_response
        .on_hover_text(help);
}

/// A small plot of a per-step quantity in [0, 1] (the symmetry share, η).
fn step_plot(id: &str, y_label: &str) -> Plot<'static> {
    Plot::new(id)
        .height(140.0)
        // In a scrolling window: the wheel scrolls the window.
        .allow_scroll(false)
        .include_y(0.0)
        .include_y(1.0)
        .x_axis_label("step")
        .y_axis_label(y_label.to_owned())
}

/// [`teleport_core::l2o::Probe`] of a row at a step, kept while the row's inputs stay.
pub struct ProbeCache {
    id: RowId,
    t: usize,
    inputs: super::runs::RowInputs,
    probe: Option<teleport_core::l2o::Probe>,
}

impl TeleportApp {
    /// For a learned selected row at t ≥ 1: what its head gave (Δx, θ, α,
    /// β) and each cell's hidden state as a heat strip.
    fn probe_ui(&mut self, ui: &mut egui::Ui) {
        let (id, t) = (self.state.selected, self.state.playback.t);
        let Some(row) = self.state.row(id) else {
            return;
        };
        let inputs = self.row_key(row);
        let fresh = self
            .rt
            .probe
            .as_ref()
            .is_some_and(|c| c.id == id && c.t == t && c.inputs == inputs);
        if !fresh {
            let probe = match self.optimizer_of(id) {
                Some(teleport_core::eval::AnyOptimizer::Learned { model, .. }) if t > 0 => {
                    let x0 = teleport_core::objective::Vec2::from(self.state.x0);
                    let manual = self.manual_teleports_of(id);
                    model.probe(&self.rt.objective, x0, &manual, t)
                }
                _ => None,
            };
            self.rt.probe = Some(ProbeCache {
                id,
                t,
                inputs,
                probe,
            });
        }
        let Some(p) = self.rt.probe.as_ref().and_then(|c| c.probe.as_ref()) else {
            return;
        };
        section(ui, "Inside the learned optimizer", PROBE_HELP, |ui| {
            probe_body(ui, p)
        });
    }
}

/// The probe's outputs and heat strips.
fn probe_body(ui: &mut egui::Ui, p: &teleport_core::l2o::Probe) {
    let o = &p.outcome;
    let mut outputs = vec![format!("Δx = ({}, {})", short(p.dx.x), short(p.dx.y))];
    if o.teleported {
        outputs.push(format!("θ = {}", short(o.theta)));
    }
    if let Some(a) = o.alpha {
        outputs.push(format!("α = {}", short(a)));
    }
    if let Some(b) = o.beta {
        outputs.push(format!("β = {}", short(b)));
    }
    ui.monospace(outputs.join("   "));
    let nets = p.hidden.len();
    for (k, cells) in p.hidden.iter().enumerate() {
        for (c, h) in cells.iter().enumerate() {
            let name = if nets > 1 {
                format!("m{} cell {c}", k + 1)
            } else {
                format!("cell {c}")
            };
            heat_strip(ui, &name, h);
        }
    }
}

/// One row of squares, one per value in [−1, 1]: blue, white, red.
fn heat_strip(ui: &mut egui::Ui, name: &str, values: &[f64]) {
    ui.horizontal(|ui| {
        ui.add_sized([64.0, 12.0], egui::Label::new(RichText::new(name).small()));
        let width = ui.available_width().max(40.0);
        let (rect, response) =
            ui.allocate_exact_size(egui::vec2(width, 12.0), egui::Sense::hover());
        let n = values.len().max(1);
        let cell = rect.width() / n as f32;
        let painter = ui.painter_at(rect);
        for (j, &v) in values.iter().enumerate() {
            let x = rect.left() + cell * j as f32;
            let r = egui::Rect::from_min_size(egui::pos2(x, rect.top()), egui::vec2(cell, 12.0));
            painter.rect_filled(r, 0.0, diverging(v));
        }
        if let Some(pos) = response.hover_pos() {
            let j = (((pos.x - rect.left()) / cell) as usize).min(n - 1);
            if let Some(v) = values.get(j) {
                response.on_hover_text(format!("{name}, unit {j}: h = {}", short(*v)));
            }
        }
    });
}

/// A value in [−1, 1] as blue (−1), near-white (0) or red (+1); NaN grey.
fn diverging(v: f64) -> Color32 {
    if !v.is_finite() {
        return Color32::GRAY;
    }
    let v = v.clamp(-1.0, 1.0) as f32;
    let white = Color32::from_rgb(247, 247, 247);
    let end = if v < 0.0 {
        Color32::from_rgb(33, 102, 172)
    } else {
        Color32::from_rgb(178, 24, 43)
    };
    white.lerp_to_gamma(end, v.abs())
}
