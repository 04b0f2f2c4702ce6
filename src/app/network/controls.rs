//! The network's side panel: the task (data, layers, activation, init
//! seed, steps), the rows, the by-hand teleport and the display. Every
//! task edit goes through [`TeleportApp::set_network_task`], which builds
//! the task first: input that cannot be built (a bad CSV file) is one
//! notification and changes nothing.

use egui::{DragValue, RichText, Slider};

use teleport_core::net::Unit;
use teleport_core::net::data::{Generator, MAX_NOISE, MAX_POINTS, MIN_POINTS};
use teleport_core::net::learned::CwVariant;
use teleport_core::net::mlp::{ActivationName, MAX_HIDDEN_LAYERS, MAX_WIDTH};
use teleport_core::net::rescale::MAX_LOG_SCALE_LIMIT;
use teleport_core::numfmt::short;
use teleport_core::optim::OptimizerSpec;

use super::state::{
    MainView, NetData, NetRow, NetRowKind, NetTeleport, NetTeleportStrategy, SCRUBBER_RANGE,
    SliceDirections,
};
use crate::app::commands::UiCommand;
use crate::app::{TeleportApp, labelled};

/// What the data kind's menu offers besides the generators.
const CSV_CHOICE: &str = "CSV file…";

impl TeleportApp {
    /// The network task's editor (the task panel's "network" family).
    pub(in crate::app) fn network_task_ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        let mut draft = self.state.network.task.clone();
        let mut open_csv = false;
        egui::Grid::new("net-task").num_columns(2).show(ui, |ui| {
            ui.label("data");
            let current = match &draft.data {
                NetData::Generated { kind, .. } => kind.name().to_owned(),
                NetData::Csv { .. } => CSV_CHOICE.to_owned(),
            };
            egui::ComboBox::from_id_salt("net-data-kind")
                .selected_text(current)
                .show_ui(ui, |ui| {
                    for kind in Generator::ALL {
                        let on = matches!(draft.data, NetData::Generated { kind: k, .. } if k == kind);
                        if ui.selectable_label(on, kind.name()).clicked() && !on {
                            let (points, seed) = match draft.data {
                                NetData::Generated { points, seed, .. } => (points, seed),
                                NetData::Csv { .. } => (teleport_core::net::data::DEFAULT_POINTS, 0),
                            };
                            draft.data = NetData::Generated {
                                kind,
                                points,
                                noise: kind.default_noise(),
                                seed,
                            };
                        }
                    }
                    if ui.selectable_label(false, CSV_CHOICE).clicked() {
                        open_csv = true;
                    }
                })
                .response
                .on_hover_text(
                    "Two classes of 2D points: five seeded generators, or your own CSV file \
                     (x1,x2,label with labels 0 and 1, an optional header line).",
                );
            ui.end_row();
            match &mut draft.data {
                NetData::Generated {
                    points,
                    noise,
                    seed,
                    ..
                } => {
                    ui.label("points");
                    ui.add(DragValue::new(points).range(MIN_POINTS..=MAX_POINTS).speed(5.0))
                        .on_hover_text("How many points, half of each class (at most 100,000).");
                    ui.end_row();
                    ui.label("noise");
                    ui.add(DragValue::new(noise).range(0.0..=MAX_NOISE).speed(0.005).max_decimals(3))
                        .on_hover_text("The standard deviation of the Gaussian noise on each coordinate.");
                    ui.end_row();
                    ui.label("data seed");
                    ui.add(DragValue::new(seed))
                        .on_hover_text("Same seed, same points.");
                    ui.end_row();
                }
                NetData::Csv { path } => {
                    ui.label("file");
                    ui.label(RichText::new(path.as_str()).small().monospace())
                        .on_hover_text("The CSV file the points come from; it is read again when the app starts.");
                    ui.end_row();
                }
            }
            ui.label("hidden layers");
            let mut layers = draft.hidden.len();
            ui.add(DragValue::new(&mut layers).range(1..=MAX_HIDDEN_LAYERS))
                .on_hover_text("1 to 3 hidden layers.");
            ui.end_row();
            if layers != draft.hidden.len() {
                let last = draft.hidden.last().copied().unwrap_or(8);
                draft.hidden.resize(layers, last);
            }
            ui.label("widths");
            ui.horizontal(|ui| {
                for (l, width) in draft.hidden.iter_mut().enumerate() {
                    ui.add(DragValue::new(width).range(1..=MAX_WIDTH))
                        .on_hover_text(format!("Units of hidden layer {l} (1 to 64)."));
                }
            });
            ui.end_row();
            ui.label("activation");
            ui.horizontal(|ui| {
                ui.radio_value(&mut draft.activation, ActivationName::LeakyRelu, "LeakyReLU")
                    .on_hover_text("z for z > 0, slope·z below: positively homogeneous, so each unit can be rescaled.");
                ui.radio_value(&mut draft.activation, ActivationName::Relu, "ReLU");
            });
            ui.end_row();
            if draft.activation == ActivationName::LeakyRelu {
                ui.label("slope");
                ui.add(DragValue::new(&mut draft.slope).range(0.0..=1.0).speed(0.005).max_decimals(3))
                    .on_hover_text("LeakyReLU's slope below 0.");
                ui.end_row();
            }
            ui.label("init seed");
            ui.add(DragValue::new(&mut draft.init_seed))
                .on_hover_text("The seed of the initial weights (He-uniform into hidden layers, LeCun-uniform into the logit).");
            ui.end_row();
            ui.label("steps");
            let params = self.network_task().map_or(1, |t| t.mlp.num_params());
            let most = super::runs::max_steps(self.state.network.rows.len(), params)
                .clamp(1, *teleport_core::limits::STEPS.end());
            ui.add(DragValue::new(&mut self.state.steps).range(1..=most))
                .on_hover_text("Optimizer steps per run (every step keeps the parameters, so fewer on large networks).");
            ui.end_row();
        });
        ui.horizontal(|ui| {
            let text = &mut self.rt.network.csv_text;
            ui.add(
                egui::TextEdit::singleline(text)
                    .hint_text("path/to/points.csv")
                    .desired_width(160.0),
            )
            .on_hover_text("A CSV file's path: x1,x2,label per line.");
            if ui
                .button("use CSV")
                .on_hover_text("Read the file at this path as the network's data.")
                .clicked()
                && !text.trim().is_empty()
            {
                let path = std::path::PathBuf::from(text.trim());
                self.open_dataset_csv(&ctx, &path);
            }
        });
        if let Some(task) = self.network_task() {
            ui.label(
                RichText::new(format!(
                    "{} points ({} of class 1), {} parameters, {} hidden units",
                    task.data.len(),
                    task.data.ones(),
                    task.mlp.num_params(),
                    task.mlp.num_hidden_units()
                ))
                .small()
                .weak(),
            );
        }
        if self.state.steps > self.network_steps() {
            ui.label(
                RichText::new(format!(
                    "Runs stop at step {}: rows × records × parameters stay under 10,000,000.",
                    self.network_steps()
                ))
                .small()
                .color(ui.visuals().warn_fg_color),
            );
        }
        if open_csv {
            let kind = crate::app::export::PromptKind::Scene;
            self.ask_for_file(&ctx, "csv", kind, Self::open_file);
        } else if draft != self.state.network.task {
            self.set_network_task(&ctx, draft);
        }
    }

    /// The network rows.
    pub(in crate::app) fn network_rows_ui(&mut self, ui: &mut egui::Ui) {
        let labels = self.state.network.row_labels();
        let mut remove = None;
        for (i, label) in labels.into_iter().enumerate() {
            let row = &self.state.network.rows[i];
            let id = row.id;
            let color = crate::app::color(row.color.unwrap_or(0));
            let stop = self
                .network_run(id)
                .and_then(|r| r.shown().trajectory.stop.clone());
            let waiting = row.enabled
                && !matches!(row.kind, NetRowKind::Classical(_))
                && self.network_model(&row.kind).is_none();
            ui.horizontal(|ui| {
                ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
                let (rect, _) =
                    ui.allocate_exact_size(egui::vec2(14.0, 14.0), egui::Sense::hover());
                ui.painter().rect_filled(rect, 2.0, color);
                ui.checkbox(&mut self.state.network.rows[i].enabled, "")
                    .on_hover_text("Show and compute this optimizer.");
                egui::CollapsingHeader::new(label)
                    .id_salt(("net-row", id))
                    .show(ui, |ui| {
                        net_row_params_ui(
                            ui,
                            &mut self.state.network.rows[i],
                            &self.state.network.task.hidden,
                        );
                        if ui.small_button("remove").clicked() {
                            remove = Some(id);
                        }
                    });
            });
            let warn = ui.visuals().warn_fg_color;
            if let Some(stop) = stop {
                let text = match stop {
                    teleport_core::optim::Stop::Diverged { step } => {
                        format!("diverged at step {step}")
                    }
                    teleport_core::optim::Stop::Failed { step, message } => {
                        format!("stopped at step {step}: {message}")
                    }
                };
                ui.label(RichText::new(text).small().color(warn));
            } else if waiting {
                ui.label(
                    RichText::new("no weights yet: train live or load a weights file")
                        .small()
                        .color(warn),
                );
            }
        }
        if let Some(id) = remove {
            self.state.network.remove_row(id);
        }
        ui.menu_button("+ add optimizer", |ui| {
            let gd = OptimizerSpec::Gd { lr: 1.0 };
            let choices = [
                NetRow::new(true, NetRowKind::Classical(gd), None),
                NetRow::new(
                    true,
                    NetRowKind::Classical(OptimizerSpec::Momentum { lr: 0.5, beta: 0.9 }),
                    None,
                ),
                NetRow::new(true, NetRowKind::Classical(OptimizerSpec::adam(0.05)), None),
                NetRow::new(
                    true,
                    NetRowKind::Classical(gd),
                    Some(NetTeleport::every(NetTeleportStrategy::ORACLE, 25)),
                ),
                NetRow::new(
                    true,
                    NetRowKind::Classical(gd),
                    Some(NetTeleport::every(
                        NetTeleportStrategy::Ascent { lr: 1.0, iters: 10 },
                        10,
                    )),
                ),
                NetRow::new(true, NetRowKind::Live(CwVariant::CwL2o), None),
                NetRow::new(true, NetRowKind::Live(CwVariant::CwL2oTele), None),
            ];
            for row in choices {
                if ui.button(row.label()).clicked() {
                    self.state.network.add_row(row);
                }
            }
        });
    }

    /// The by-hand teleport: a unit, its log-scale, θ*, Teleport here.
    pub(in crate::app) fn network_scrubber_ui(&mut self, ui: &mut egui::Ui) {
        let hidden = self.state.network.task.hidden.clone();
        let s = &mut self.state.network.scrubber;
        ui.horizontal(|ui| {
            ui.label("unit");
            egui::ComboBox::from_id_salt("net-unit-layer")
                .selected_text(format!("layer {}", s.unit.layer))
                .show_ui(ui, |ui| {
                    for layer in 0..hidden.len() {
                        ui.selectable_value(&mut s.unit.layer, layer, format!("layer {layer}"));
                    }
                })
                .response
                .on_hover_text("The hidden layer of the unit to rescale.");
            let width = hidden.get(s.unit.layer).copied().unwrap_or(1);
            s.unit.index = s.unit.index.min(width.saturating_sub(1));
            labelled(
                ui,
                "index",
                DragValue::new(&mut s.unit.index).range(0..=width.saturating_sub(1)),
            )
            .on_hover_text("The unit in that layer.");
        });
        ui.add(
            Slider::new(&mut s.theta, -SCRUBBER_RANGE..=SCRUBBER_RANGE)
                .text("θ")
                .max_decimals(3),
        )
        .on_hover_text(
            "The unit's log-scale: its incoming weights and bias times e^θ, its outgoing weights \
             divided by e^θ. The network computes the same function, so f stays put; ‖∇f‖ moves. \
             Keys [ and ] nudge θ.",
        );
        if let Some(r) = self.network_scrubber() {
            egui::Grid::new("net-scrub-readout")
                .num_columns(3)
                .show(ui, |ui| {
                    ui.label("");
                    ui.label("θ = 0");
                    ui.label(format!("θ = {}", short(r.theta)));
                    ui.end_row();
                    ui.label("f");
                    ui.monospace(short(r.f));
                    ui.monospace(short(r.f_scaled));
                    ui.end_row();
                    ui.label("‖∇f‖");
                    ui.monospace(short(r.grad_norm));
                    ui.monospace(short(r.grad_norm_scaled));
                    ui.end_row();
                });
        }
        ui.horizontal(|ui| {
            for command in [UiCommand::ThetaToOracle, UiCommand::TeleportHere] {
                if command.button(ui) {
                    self.run_ui_command(command);
                }
            }
            if !self.state.network.manual.is_empty()
                && ui
                    .button("clear")
                    .on_hover_text("Remove the teleports applied by hand.")
                    .clicked()
            {
                self.state.network.manual.clear();
            }
        });
        ui.horizontal(|ui| {
            ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
            ui.label("parameters of");
            let net = &mut self.state.network;
            let labels = net.row_labels();
            let selected = net
                .rows
                .iter()
                .zip(&labels)
                .find(|(r, _)| r.id == net.selected)
                .map(|(_, l)| l.clone())
                .unwrap_or_default();
            egui::ComboBox::from_id_salt("net-selected")
                .selected_text(selected)
                .show_ui(ui, |ui| {
                    for (row, label) in net.rows.iter().zip(labels) {
                        ui.selectable_value(&mut net.selected, row.id, label);
                    }
                })
                .response
                .on_hover_text("The row whose parameters at the timeline's step the views show and the teleport changes.");
        });
    }

    /// The network's display options.
    pub(in crate::app) fn network_display_ui(&mut self, ui: &mut egui::Ui) {
        let view = &mut self.state.network.view;
        ui.label("main view");
        crate::app::radios(
            ui,
            &mut view.main,
            [
                (MainView::Both, "data and slice"),
                (MainView::Data, "data"),
                (MainView::Slice, "slice"),
            ],
        );
        ui.label("the slice's plane spans");
        for (choice, tip) in [
            (
                SliceDirections::GradientAndTeleport,
                "−∇f and the orbit's tangent toward larger ‖∇f‖: a teleport jumps along β.",
            ),
            (
                SliceDirections::Principal,
                "The two directions the selected run moves along most (PCA of its parameters).",
            ),
            (
                SliceDirections::Random { seed: 0 },
                "Gaussian directions scaled unit by unit to the weights' norms (Li et al. 2018).",
            ),
        ] {
            let on = std::mem::discriminant(&view.slice) == std::mem::discriminant(&choice);
            if ui.radio(on, choice.text()).on_hover_text(tip).clicked() && !on {
                view.slice = choice;
            }
        }
        if let SliceDirections::Random { seed } = &mut view.slice {
            labelled(ui, "directions' seed", DragValue::new(seed));
        }
        ui.add(
            Slider::new(&mut view.slice_zoom, 0.1..=10.0)
                .logarithmic(true)
                .text("slice width ×"),
        )
        .on_hover_text(
            "The slice's half-widths: a multiple of the one that holds the selected run.",
        );
    }
}

/// A network row's settings, edited in place.
fn net_row_params_ui(ui: &mut egui::Ui, row: &mut NetRow, hidden: &[usize]) {
    let lr = |ui: &mut egui::Ui, lr: &mut f64, tip: &str| {
        ui.add(Slider::new(lr, 1e-4..=10.0).logarithmic(true).text("lr"))
            .on_hover_text(tip);
    };
    match &mut row.kind {
        NetRowKind::Classical(spec) => match spec {
            OptimizerSpec::Gd { lr: l } => lr(ui, l, "θ ← θ − lr·∇f."),
            OptimizerSpec::Momentum { lr: l, beta } => {
                lr(ui, l, "v ← βv − lr·∇f, θ ← θ + v.");
                ui.add(Slider::new(beta, 0.0..=0.99).text("β"));
            }
            OptimizerSpec::Adam {
                lr: l,
                beta1,
                beta2,
                ..
            } => {
                lr(ui, l, "Adam's step size.");
                ui.add(Slider::new(beta1, 0.0..=0.999).text("β₁"));
                ui.add(Slider::new(beta2, 0.0..=0.9999).text("β₂"));
            }
            OptimizerSpec::Newton { .. } | OptimizerSpec::Alg2 { .. } => {
                ui.label("Networks run first-order optimizers only.");
            }
        },
        NetRowKind::Learned { source, .. } => {
            let text = if source.starts_with("embedded:") {
                "weights embedded in the lab file".to_owned()
            } else {
                format!("weights from {source}")
            };
            ui.label(RichText::new(text).small());
        }
        NetRowKind::Live(_) => {
            ui.label(RichText::new("the weights trained live (Live meta-training)").small());
        }
    }
    let mut on = row.teleport.is_some();
    ui.checkbox(&mut on, "teleport")
        .on_hover_text("Rescale the hidden units on a schedule: f stays, ‖∇f‖ changes.");
    if on && row.teleport.is_none() {
        row.teleport = Some(NetTeleport::every(NetTeleportStrategy::ORACLE, 25));
    } else if !on {
        row.teleport = None;
    }
    let Some(t) = &mut row.teleport else {
        return;
    };
    ui.horizontal(|ui| {
        if t.at.is_empty() {
            ui.label("every");
            ui.add(DragValue::new(&mut t.every).range(teleport_core::limits::TELEPORT_EVERY));
        } else {
            ui.label(format!("at {:?}", t.at));
            if ui.small_button("→ every k").clicked() {
                t.at.clear();
            }
        }
    });
    ui.horizontal(|ui| {
        let is = |s: &NetTeleportStrategy, k: u8| {
            matches!(
                (s, k),
                (NetTeleportStrategy::Oracle { .. }, 0)
                    | (NetTeleportStrategy::Ascent { .. }, 1)
                    | (NetTeleportStrategy::Unit { .. }, 2)
            )
        };
        if ui
            .selectable_label(is(&t.strategy, 0), "oracle")
            .on_hover_text("The steepest corner of the box |s| ≤ S of log-scales.")
            .clicked()
            && !is(&t.strategy, 0)
        {
            t.strategy = NetTeleportStrategy::ORACLE;
        }
        if ui
            .selectable_label(is(&t.strategy, 1), "ascent")
            .on_hover_text(
                "Gradient ascent on ‖∇f‖² over the log-scales (may overflow: it has no box).",
            )
            .clicked()
            && !is(&t.strategy, 1)
        {
            t.strategy = NetTeleportStrategy::Ascent { lr: 1.0, iters: 10 };
        }
        if ui
            .selectable_label(is(&t.strategy, 2), "unit")
            .on_hover_text("One unit rescaled by e^θ.")
            .clicked()
            && !is(&t.strategy, 2)
        {
            t.strategy = NetTeleportStrategy::Unit {
                unit: Unit { layer: 0, index: 0 },
                theta: 0.5,
            };
        }
    });
    match &mut t.strategy {
        NetTeleportStrategy::Oracle { max_log_scale } => {
            ui.add(Slider::new(max_log_scale, 0.01..=MAX_LOG_SCALE_LIMIT).text("box S"))
                .on_hover_text("Each unit rescaled by at most e^S either way.");
        }
        NetTeleportStrategy::Ascent { lr, iters } => {
            ui.add(
                Slider::new(lr, 1e-4..=100.0)
                    .logarithmic(true)
                    .text("ascent lr"),
            );
            ui.add(Slider::new(iters, teleport_core::limits::ASCENT_ITERS_UI).text("ascent steps"));
        }
        NetTeleportStrategy::Unit { unit, theta } => {
            let layers = hidden.len().max(1);
            unit.layer = unit.layer.min(layers - 1);
            let width = hidden.get(unit.layer).copied().unwrap_or(1);
            unit.index = unit.index.min(width.saturating_sub(1));
            ui.horizontal(|ui| {
                labelled(
                    ui,
                    "layer",
                    DragValue::new(&mut unit.layer).range(0..=layers - 1),
                );
                labelled(
                    ui,
                    "unit",
                    DragValue::new(&mut unit.index).range(0..=width.saturating_sub(1)),
                );
            });
            ui.add(Slider::new(theta, -SCRUBBER_RANGE..=SCRUBBER_RANGE).text("θ"));
        }
    }
}
