//! The menu bar, the left control panel (task, start point, optimizers,
//! teleport scrubber, display) and the timeline.

use std::f64::consts::PI;

use egui::{DragValue, RichText, Slider};

use super::commands::{IntoEnumIterator as _, Menu, UiCommand};
use super::state::{AppTeleport, EntryKind, TaskSource};
use super::{Action, TeleportApp, labelled, row_color};
use teleport_core::io::scene::ObjectiveSpec;
use teleport_core::limits;
use teleport_core::numfmt::{full, short};
use teleport_core::objective::{Preset, TaskDist};
use teleport_core::optim::OptimizerSpec;
use teleport_core::symmetry::Strategy;

impl TeleportApp {
    /// File → Recent: the last lab files opened or saved.
    fn recent_menu(&mut self, ui: &mut egui::Ui) {
        let mut open_recent = None;
        ui.add_enabled_ui(!self.state.recent.is_empty(), |ui| {
            ui.menu_button("Recent", |ui| {
                for path in &self.state.recent {
                    let name = path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    if ui
                        .button(name)
                        .on_hover_text(path.display().to_string())
                        .clicked()
                    {
                        open_recent = Some(path.clone());
                    }
                }
            });
        });
        if let Some(path) = open_recent {
            let ctx = ui.ctx().clone();
            self.open_file(&ctx, &path);
        }
    }

    pub(super) fn menu_ui(&mut self, ui: &mut egui::Ui) {
        let narrow = ui.ctx().content_rect().width() < super::NARROW_POINTS;
        ui.horizontal_wrapped(|ui| {
            if narrow {
                let text = if self.rt.controls_open {
                    "✕ Controls"
                } else {
                    "☰ Controls"
                };
                if ui
                    .selectable_label(self.rt.controls_open, text)
                    .on_hover_text("The task, the start point, the scrubber and the optimizers.")
                    .clicked()
                {
                    self.rt.controls_open ^= true;
                }
            }
            ui.menu_button("File", |ui| {
                self.menu_item(ui, UiCommand::Open);
                // Recent files are paths: the web has none.
                if !cfg!(target_arch = "wasm32") {
                    self.recent_menu(ui);
                }
                self.menu_item(ui, UiCommand::SaveLab);
                self.menu_item(ui, UiCommand::AddToLesson);
                self.menu_item(ui, UiCommand::DownloadLesson);
                self.menu_item(ui, UiCommand::CopyLessonLink);
                self.menu_item(ui, UiCommand::CopyLink);
                ui.checkbox(&mut self.state.embed_weights, "embed learned weights")
                    .on_hover_text(
                        "Put live-trained and loaded weights inside the lab file (base64), \
                         so it opens on another machine with no other file.",
                    );
                ui.separator();
                for command in [
                    UiCommand::ScreenshotWindow,
                    UiCommand::ScreenshotPlot,
                    UiCommand::ExportTrajectories,
                    UiCommand::ExportPlotSvg,
                    UiCommand::ExportAnimation,
                    UiCommand::ExportSurfacePng,
                    UiCommand::ExportSurfaceSvg,
                ] {
                    self.menu_item(ui, command);
                }
                ui.separator();
                self.menu_item(ui, UiCommand::ResetDefaults);
            });
            ui.menu_button("Edit", |ui| {
                for command in UiCommand::iter().filter(|c| c.menu() == Menu::Edit) {
                    self.menu_item(ui, command);
                }
            });
            ui.menu_button("View", |ui| {
                for command in UiCommand::iter().filter(|c| c.menu() == Menu::View) {
                    self.menu_item(ui, command);
                }
            });
            ui.menu_button("Help", |ui| {
                self.menu_item(ui, UiCommand::ToggleHelp);
                self.menu_item(ui, UiCommand::PaperLesson);
            });
            ui.separator();
            ui.label(RichText::new(format!("task: {}", self.task_label())).weak());
        });
    }

    pub(super) fn task_label(&self) -> String {
        if self.network_active() {
            return self.network_label();
        }
        match &self.state.source {
            TaskSource::Preset(p) => p.name().to_owned(),
            TaskSource::Sampled { dist, seed } => format!("{dist} #{seed}"),
            TaskSource::Custom(spec) => format!(
                "custom {}",
                match spec {
                    ObjectiveSpec::Ellipse { .. } => "ellipse",
                    ObjectiveSpec::Rosenbrock { .. } => "rosenbrock",
                    ObjectiveSpec::Quadratic { .. } => "quadratic",
                    ObjectiveSpec::Custom { .. } => "h",
                    ObjectiveSpec::Formula { f } => {
                        return match teleport_core::objective::TEST_FUNCTIONS
                            .iter()
                            .find(|t| same_formula(t.f, f))
                        {
                            Some(t) => t.name.to_owned(),
                            None => "custom f".to_owned(),
                        };
                    }
                }
            ),
        }
    }

    pub(super) fn controls_ui(&mut self, ui: &mut egui::Ui) {
        // Title, open at first, and body of each collapsible section.
        if self.network_active() {
            let sections: [(&str, bool, super::UiBody); 5] = [
                ("Lab: caption and files", false, Self::lab_section_ui),
                ("Task", true, Self::task_ui),
                ("Teleport by hand", true, Self::network_scrubber_ui),
                ("Optimizers", true, Self::network_rows_ui),
                ("Display", false, Self::network_display_ui),
            ];
            for (title, open, body) in sections {
                egui::CollapsingHeader::new(title)
                    .default_open(open)
                    .show(ui, |ui| body(self, ui));
            }
            return;
        }
        let sections: [(&str, bool, super::UiBody); 6] = [
            ("Lab: caption and files", false, Self::lab_section_ui),
            ("Task", true, Self::task_ui),
            ("Start point", true, Self::start_point_ui),
            ("Teleport scrubber", true, Self::scrubber_controls_ui),
            ("Optimizers", true, Self::optimizers_ui),
            ("Display", false, Self::display_ui),
        ];
        for (title, open, body) in sections {
            egui::CollapsingHeader::new(title)
                .default_open(open)
                .show(ui, |ui| body(self, ui));
        }
    }

    /// The demo's caption (shown above the plot, in presentation and as the
    /// exported plot's title; saved in lab files) and its files.
    fn lab_section_ui(&mut self, ui: &mut egui::Ui) {
        let mut text = self.state.caption.clone().unwrap_or_default();
        let edit = ui
            .add(
                egui::TextEdit::multiline(&mut text)
                    .desired_rows(2)
                    .desired_width(f32::INFINITY)
                    .hint_text("A caption: what to look at in this demo"),
            )
            .on_hover_text(
                "Shown above the plot, in presentation and as the title of exported plots; saved in lab files. \
                 It belongs to this demo: choosing another task clears it (Edit → Undo brings it back).",
            );
        if edit.changed() {
            let trimmed = text.trim_end().to_owned();
            self.state.caption = (!trimmed.is_empty()).then_some(text);
        }
        ui.horizontal_wrapped(|ui| {
            for command in [UiCommand::SaveLab, UiCommand::AddToLesson] {
                if command.available() && command.button(ui) {
                    self.run_ui_command(command);
                }
            }
        });
    }

    fn start_point_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let label = ui.label("x₀").id;
            // Never clamp an x₀ that came from a scene into the
            // editable range.
            let tips = [
                "First coordinate of the start point. Click or drag on the plot too.",
                "Second coordinate of the start point.",
            ];
            for (v, tip) in self.state.x0.iter_mut().zip(tips) {
                ui.add(
                    DragValue::new(v)
                        .speed(0.05)
                        .range(-1e4..=1e4)
                        .clamp_existing_to_range(false),
                )
                .labelled_by(label)
                .on_hover_text(tip);
            }
        });
        ui.horizontal(|ui| {
            let steps = DragValue::new(&mut self.state.steps).range(limits::STEPS);
            labelled(ui, "steps", steps).on_hover_text("Optimizer steps per trajectory.");
        });
    }

    fn display_ui(&mut self, ui: &mut egui::Ui) {
        ui.checkbox(&mut self.state.show.filled, "filled colour map of log f")
            .on_hover_text("Shade the plane by log f under the contour lines.");
        ui.checkbox(&mut self.state.show.orbit, "orbit of the current point")
            .on_hover_text("The level set {g_θ(x) : θ ∈ [0, 2π)} that teleports move along.");
        ui.checkbox(&mut self.state.show.arrows, "−∇f arrows")
            .on_hover_text("The descent direction at x and at g_θ(x), on one scale.");
        ui.checkbox(
            &mut self.state.show.newton_overlay,
            "where Proposition 4.1 fails",
        )
        .on_hover_text("Shade points where v⊥·∇‖∇f‖² < 0, which needs a non-convex f.");
        ui.horizontal(|ui| {
            ui.label("legend");
            let legend = &mut self.state.show.legend;
            egui::ComboBox::from_id_salt("legend-place")
                .selected_text(legend.text())
                .show_ui(ui, |ui| {
                    for (place, text) in super::state::LegendPlace::CHOICES {
                        ui.selectable_value(legend, place, text);
                    }
                })
                .response
                .on_hover_text("Where the level-set plot lists its rows.");
        });
        let row = self
            .state
            .row_label(self.state.selected)
            .unwrap_or_default();
        ui.horizontal(|ui| {
            ui.checkbox(&mut self.state.basin.shown, format!("basin map of {row}"))
                .on_hover_text(
                    "Shade every start point of the view by log f after N steps of the selected \
                     row: where in the plane it (and its teleports) does well. Computed on a \
                     worker thread, coarse to fine (32², 64², 128² starts).",
                );
            let max = *limits::BASIN_STEPS.end();
            let steps = DragValue::new(&mut self.state.basin.steps).range(1..=max);
            labelled(ui, "N", steps).on_hover_text("Steps of every run of the basin map.");
        });
        if self.state.basin.shown {
            use teleport_core::basin::Shade;
            let has_minima = self
                .rt
                .objective
                .as_formula()
                .is_some_and(|t| t.known_minima().len() > 1);
            ui.horizontal_wrapped(|ui| {
                ui.label("shade by");
                let basin = &mut self.state.basin;
                ui.radio_value(&mut basin.shade, Shade::FinalF, "f after N")
                    .on_hover_text("Where each start ends: log f after N steps.");
                ui.radio_value(&mut basin.shade, Shade::FirstStep, "first step f ≤ ε")
                    .on_hover_text(
                        "How fast each start gets there: the first step with f ≤ ε; grey where \
                         it does not within N steps.",
                    );
                if has_minima {
                    ui.radio_value(&mut basin.shade, Shade::Minimum, "which minimum")
                        .on_hover_text(
                            "Which of the function's minima each start's run ends at, one colour \
                             per minimum (as marked on the plot); grey where it ends at none.",
                        );
                } else if basin.shade == Shade::Minimum {
                    basin.shade = Shade::FinalF;
                }
                if basin.shade == Shade::FirstStep {
                    egui::ComboBox::from_id_salt("basin-eps")
                        .selected_text(format!("ε = {}", teleport_core::numfmt::short(basin.eps)))
                        .show_ui(ui, |ui| {
                            for k in 1..=12 {
                                let eps = 10f64.powi(-k);
                                let text = teleport_core::numfmt::short(eps);
                                ui.selectable_value(&mut basin.eps, eps, text);
                            }
                        });
                }
            });
        }
    }

    fn task_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal_wrapped(|ui| {
            for preset in Preset::ALL {
                let selected = self.state.source == TaskSource::Preset(preset);
                if ui
                    .selectable_label(selected, preset.name())
                    .on_hover_text(preset_help(preset))
                    .clicked()
                {
                    self.queue(Action::SetSource(TaskSource::Preset(preset)));
                }
            }
        });
        ui.horizontal(|ui| {
            let (mut dist, mut seed) = match &self.state.source {
                TaskSource::Sampled { dist, seed } => (*dist, *seed),
                _ => (TaskDist::ElliVary, 0),
            };
            let before = (dist, seed);
            egui::ComboBox::from_id_salt("dist")
                .selected_text(dist.name())
                .show_ui(ui, |ui| {
                    for d in [TaskDist::ElliVary, TaskDist::RosVary, TaskDist::Mixed] {
                        ui.selectable_value(&mut dist, d, d.name());
                    }
                })
                .response
                .on_hover_text(
                    "Sample a task from the paper's distributions (A, b or a, b, c, d ~ N(0, 1)).",
                );
            labelled(ui, "seed", DragValue::new(&mut seed))
                .on_hover_text("The seed of the sampled task: same seed, same task.");
            let is_sampled = matches!(self.state.source, TaskSource::Sampled { .. });
            if (dist, seed) != before || (!is_sampled && ui.button("sample").clicked()) {
                self.queue(Action::SetSource(TaskSource::Sampled { dist, seed }));
            }
            if is_sampled
                && ui
                    .button("resample")
                    .on_hover_text("Draw the next seed.")
                    .clicked()
            {
                self.queue(Action::Resample);
            }
        });
        ui.separator();
        ui.label(RichText::new("Parameters (edit to make a custom task)").small());
        self.custom_task_ui(ui);
    }

    fn custom_task_ui(&mut self, ui: &mut egui::Ui) {
        let before = self.rt.draft.clone();
        let plane = TaskFamily::of(&self.rt.draft);
        let current = if self.network_active() {
            TaskFamily::Network
        } else {
            plane
        };
        let mut family = current;
        ui.horizontal_wrapped(|ui| {
            for choice in TaskFamily::ALL {
                ui.radio_value(&mut family, choice, choice.label())
                    .on_hover_text(choice.tooltip());
            }
        });
        if family == TaskFamily::Network {
            if current != TaskFamily::Network {
                self.show_network_task();
            }
            self.network_task_ui(ui);
            return;
        }
        // Leaving the network shows the plane's task as it was, or the
        // family chosen.
        let current = if current == TaskFamily::Network {
            self.leave_network();
            plane
        } else {
            current
        };
        if family == TaskFamily::YourH && current != TaskFamily::YourH {
            // "your h" starts from the gallery's first example, shown from
            // its start point.
            self.show_gallery_entry(0);
            return;
        }
        if family == TaskFamily::YourF && current != TaskFamily::YourF {
            // "your f" starts from Himmelblau's function, from its start.
            self.show_test_function(0);
            return;
        }
        if family != current {
            self.rt.draft = family.default_spec();
        }
        let num = |ui: &mut egui::Ui, v: &mut f64, tip: &str| {
            ui.add(DragValue::new(v).speed(0.01).max_decimals(4))
                .on_hover_text(tip);
        };
        // A 2 × 2 matrix `A` as two grid rows, with a tooltip per entry.
        let matrix = |ui: &mut egui::Ui, a: &mut [[f64; 2]; 2], tips: [&str; 4]| {
            for (r, label) in ["A", ""].into_iter().enumerate() {
                ui.label(label);
                num(ui, &mut a[r][0], tips[2 * r]);
                num(ui, &mut a[r][1], tips[2 * r + 1]);
                ui.end_row();
            }
        };
        let error = self.rt.task_error.clone();
        let field_frame = |ui: &mut egui::Ui, add: &mut dyn FnMut(&mut egui::Ui)| {
            if error.is_some() {
                egui::Frame::new()
                    .stroke(egui::Stroke::new(1.5, ui.visuals().error_fg_color))
                    .inner_margin(3.0)
                    .show(ui, |ui| add(ui));
            } else {
                add(ui);
            }
        };
        match &mut self.rt.draft {
            ObjectiveSpec::Ellipse { a, b } => field_frame(ui, &mut |ui| {
                egui::Grid::new("ellipse").show(ui, |ui| {
                    matrix(ui, a, ["A₁₁", "A₁₂", "A₂₁", "A₂₂"]);
                    ui.label("b");
                    num(ui, &mut b[0], "b₁");
                    num(ui, &mut b[1], "b₂");
                    ui.end_row();
                });
            }),
            ObjectiveSpec::Rosenbrock { a, b, c, d } => field_frame(ui, &mut |ui| {
                egui::Grid::new("rosenbrock").show(ui, |ui| {
                    ui.label("a, b");
                    num(ui, a, "a ≠ 0: h⁻¹ divides by it.");
                    num(ui, b, "b");
                    ui.end_row();
                    ui.label("c");
                    num(ui, c, "c ≠ 0: h⁻¹ divides by it.");
                    ui.end_row();
                    ui.label("d0, d1, d2");
                    num(ui, &mut d[0], "d0");
                    num(ui, &mut d[1], "d1");
                    num(ui, &mut d[2], "d2");
                    ui.end_row();
                });
            }),
            ObjectiveSpec::Quadratic { a } => field_frame(ui, &mut |ui| {
                egui::Grid::new("quadratic").show(ui, |ui| {
                    let tips = [
                        "A₁₁",
                        "A₁₂ (kept equal to A₂₁)",
                        "A₂₁ (kept equal to A₁₂)",
                        "A₂₂",
                    ];
                    matrix(ui, a, tips);
                });
                // Keep the matrix symmetric: the corner being edited wins
                // and the other follows (comparing with the last frame's
                // value, so a typed A₁₂ is never replaced by A₂₁).
                if a[0][1] != a[1][0] {
                    let previous = match &before {
                        ObjectiveSpec::Quadratic { a: old } => old[0][1],
                        _ => a[1][0],
                    };
                    let v = if a[0][1] != previous {
                        a[0][1]
                    } else {
                        a[1][0]
                    };
                    a[0][1] = v;
                    a[1][0] = v;
                }
            }),
            ObjectiveSpec::Formula { f } => {
                let bad = error.is_some();
                egui::Grid::new("custom-f").num_columns(2).show(ui, |ui| {
                    ui.label("f =");
                    let edit = egui::TextEdit::singleline(f)
                        .font(egui::TextStyle::Monospace)
                        .desired_width(f32::INFINITY);
                    let edit = if bad {
                        edit.background_color(ui.visuals().error_fg_color.gamma_multiply(0.15))
                    } else {
                        edit
                    };
                    ui.add(edit).on_hover_text(
                        "f itself, in x and y: + − * / ^, ( ), numbers, sin cos tan exp ln sqrt abs tanh sinh cosh atan, pi, e. \
                         Teleports slide along the level curve through x (the flow of J∇f).",
                    );
                    ui.end_row();
                });
            }
            ObjectiveSpec::Custom { h, h_inv } => {
                // The field the error names is outlined in red.
                let bad = |name: &str| error.as_deref().is_some_and(|e| e.contains(name));
                let formula = |ui: &mut egui::Ui, text: &mut String, name: &str, tip: &str| {
                    let edit = egui::TextEdit::singleline(text)
                        .font(egui::TextStyle::Monospace)
                        .desired_width(f32::INFINITY);
                    let edit = if bad(name) {
                        edit.background_color(ui.visuals().error_fg_color.gamma_multiply(0.15))
                    } else {
                        edit
                    };
                    ui.add(edit).on_hover_text(tip);
                };
                // Two formulas, one grid row each: (label, field name, tooltip).
                let formulas =
                    |ui: &mut egui::Ui, texts: &mut [String; 2], rows: [(&str, &str, &str); 2]| {
                        for (text, (label, name, tip)) in texts.iter_mut().zip(rows) {
                            ui.label(label);
                            formula(ui, text, name, tip);
                            ui.end_row();
                        }
                    };
                egui::Grid::new("custom-h").num_columns(2).show(ui, |ui| {
                    formulas(ui, h, [
                        ("h₁ =", "h[0]", "The first component of h, in x and y: + − * / ^, ( ), numbers, sin cos tan exp ln sqrt abs tanh sinh cosh atan, pi, e."),
                        ("h₂ =", "h[1]", "The second component of h."),
                    ]);
                    let mut known = h_inv.is_some();
                    ui.label("");
                    if ui
                        .checkbox(&mut known, "I know h⁻¹")
                        .on_hover_text("Without it, h⁻¹ is found by Newton's method along the orbit. A given h⁻¹ is checked against h.")
                        .changed()
                    {
                        *h_inv = known.then(|| ["x".to_owned(), "y".to_owned()]);
                    }
                    ui.end_row();
                    if let Some(inv) = h_inv {
                        formulas(ui, inv, [
                            ("h⁻¹₁ =", "h_inv[0]", "h⁻¹(u): x and y stand for u₁ and u₂."),
                            ("h⁻¹₂ =", "h_inv[1]", "The second component of h⁻¹."),
                        ]);
                    }
                });
            }
        }
        if matches!(self.rt.draft, ObjectiveSpec::Custom { .. }) {
            self.gallery_ui(ui);
        }
        if matches!(self.rt.draft, ObjectiveSpec::Formula { .. }) {
            self.test_functions_ui(ui);
        }
        if let Some(e) = &self.rt.task_error {
            ui.label(
                RichText::new(format!("⚠ {e} — keeping the last valid task."))
                    .color(ui.visuals().error_fg_color),
            );
        }
        if self.rt.draft != before {
            self.edit_custom(self.rt.draft.clone());
        }
    }

    /// Six example formulas, each a different shape: choosing one shows it
    /// from its start point and view.
    fn gallery_ui(&mut self, ui: &mut egui::Ui) {
        let mut chosen = None;
        egui::ComboBox::from_id_salt("gallery")
            .selected_text("gallery: try an example h")
            .width(ui.available_width().min(260.0))
            .show_ui(ui, |ui| {
                for (i, entry) in teleport_core::objective::GALLERY.iter().enumerate() {
                    if ui
                        .selectable_label(false, entry.name)
                        .on_hover_text(entry.description)
                        .clicked()
                    {
                        chosen = Some(i);
                    }
                }
            });
        if let Some(i) = chosen {
            self.show_gallery_entry(i);
        }
    }

    /// The classic test functions: choosing one shows it from its start
    /// point and view, its minima marked.
    fn test_functions_ui(&mut self, ui: &mut egui::Ui) {
        let mut chosen = None;
        egui::ComboBox::from_id_salt("test-functions")
            .selected_text("gallery: classic test functions")
            .width(ui.available_width().min(260.0))
            // All eleven at once, no scrolling.
            .height(480.0)
            .show_ui(ui, |ui| {
                for (i, t) in teleport_core::objective::TEST_FUNCTIONS.iter().enumerate() {
                    if ui
                        .selectable_label(false, t.name)
                        .on_hover_text(t.description)
                        .clicked()
                    {
                        chosen = Some(i);
                    }
                }
            });
        if let Some(i) = chosen {
            self.show_test_function(i);
        }
        if let Some(t) = self.rt.objective.as_formula()
            && !t.known_minima().is_empty()
        {
            let minima = t.known_minima();
            let global = minima.iter().filter(|m| m.global).count();
            ui.label(
                RichText::new(format!(
                    "{} minim{} in view ({global} global, marked +; local ones ×)",
                    minima.len(),
                    if minima.len() == 1 { "um" } else { "a" }
                ))
                .small(),
            );
        }
    }

    /// Shows the test function `i`: its f, start point and view.
    pub fn show_test_function(&mut self, i: usize) {
        let Some(t) = teleport_core::objective::TEST_FUNCTIONS.get(i) else {
            return;
        };
        let spec = ObjectiveSpec::Formula { f: t.f.to_owned() };
        match self.set_source(TaskSource::Custom(spec)) {
            Ok(()) => {
                self.state.x0 = t.x0;
                self.state.playback.t = 0;
                let [min, max] = t.view;
                self.rt.level_set.pending_view = Some((min, max));
            }
            Err(e) => self.rt.task_error = Some(e),
        }
    }

    /// Shows the gallery's entry `i`: its h, start point and view.
    pub fn show_gallery_entry(&mut self, i: usize) {
        let Some(entry) = teleport_core::objective::GALLERY.get(i) else {
            return;
        };
        match self.set_source(TaskSource::Custom(gallery_spec(entry))) {
            Ok(()) => {
                self.state.x0 = entry.x0;
                self.state.playback.t = 0;
                let [min, max] = entry.view;
                self.rt.level_set.pending_view = Some((min, max));
            }
            Err(e) => self.rt.task_error = Some(e),
        }
    }

    fn scrubber_controls_ui(&mut self, ui: &mut egui::Ui) {
        let obj = &self.rt.objective;
        let x = self.current_point();
        let y = teleport_core::symmetry::teleport(obj, &x, self.state.theta);
        // The slider edits a copy: its display rounding must not move θ
        // when θ was set by keys, the oracle button or the side plot.
        let mut theta = self.state.theta;
        let slider = ui
            .add(Slider::new(&mut theta, -PI..=PI).text("θ").max_decimals(4).suffix(" rad"))
            .on_hover_text("Rotate h(x) by θ: g_θ(x) = h⁻¹(R_θ h(x)) moves x along its level set. Keys [ and ] nudge by 1°.");
        let touched = slider.is_pointer_button_down_on()
            || slider.clicked()
            || slider.dragged()
            || slider.has_focus();
        if slider.changed() && touched {
            self.state.theta = theta;
        }
        let (fx, gx) = obj.f_grad(&x);
        let (fy, gy) = obj.f_grad(&y);
        egui::Grid::new("scrub-readout")
            .num_columns(3)
            .show(ui, |ui| {
                ui.label("");
                ui.label("x");
                ui.label("g_θ(x)");
                ui.end_row();
                ui.label("f");
                for v in [fx, fy] {
                    ui.monospace(short(v)).on_hover_text(full(v));
                }
                ui.end_row();
                ui.label("‖∇f‖");
                for v in [gx.norm(), gy.norm()] {
                    ui.monospace(short(v)).on_hover_text(full(v));
                }
                ui.end_row();
            });
        ui.horizontal(|ui| {
            for command in [UiCommand::ThetaToOracle, UiCommand::TeleportHere] {
                if command.button(ui) {
                    self.run_ui_command(command);
                }
            }
            if !self.state.manual_teleports.is_empty()
                && ui
                    .button("clear")
                    .on_hover_text("Remove the hand-applied teleports.")
                    .clicked()
            {
                self.queue(Action::ClearTeleports);
            }
        });
        ui.horizontal(|ui| {
            ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
            ui.label("point of");
            let labels = self.state.row_labels();
            let selected = self
                .state
                .row_index(self.state.selected)
                .and_then(|i| labels.get(i).cloned())
                .unwrap_or_default();
            egui::ComboBox::from_id_salt("selected")
                .selected_text(selected)
                .show_ui(ui, |ui| {
                    for (e, label) in self.state.optimizers.iter().zip(labels) {
                        ui.selectable_value(&mut self.state.selected, e.id, label);
                    }
                })
                .response
                .on_hover_text("The optimizer whose iterate at the timeline step is teleported.");
        });
    }

    /// Row `i`'s colour as a swatch; a click opens the palette to pick
    /// another.
    fn swatch_ui(&mut self, ui: &mut egui::Ui, i: usize, color: egui::Color32) {
        let (rect, response) = ui.allocate_exact_size(egui::vec2(14.0, 14.0), egui::Sense::click());
        ui.painter().rect_filled(rect, 2.0, color);
        if response.hovered() {
            ui.painter().rect_stroke(
                rect.expand(1.0),
                2.0,
                egui::Stroke::new(1.5, ui.visuals().strong_text_color()),
                egui::StrokeKind::Outside,
            );
        }
        let response = response.on_hover_text("This row's colour: click to pick another.");
        egui::Popup::menu(&response).show(|ui| {
            ui.label("Colour of this row");
            egui::Grid::new(("palette", i))
                .spacing([4.0, 4.0])
                .show(ui, |ui| {
                    for (k, &c) in super::COLORS.iter().enumerate() {
                        let (cell, pick) =
                            ui.allocate_exact_size(egui::vec2(20.0, 20.0), egui::Sense::click());
                        ui.painter().rect_filled(cell, 3.0, c);
                        if self.state.optimizers[i].color == Some(k) {
                            ui.painter().rect_stroke(
                                cell.expand(1.5),
                                3.0,
                                egui::Stroke::new(2.0, ui.visuals().strong_text_color()),
                                egui::StrokeKind::Outside,
                            );
                        }
                        if pick.clicked() {
                            self.state.optimizers[i].color = Some(k);
                            ui.close();
                        }
                        if k % 10 == 9 {
                            ui.end_row();
                        }
                    }
                });
        });
    }

    fn optimizers_ui(&mut self, ui: &mut egui::Ui) {
        let labels = self.state.row_labels();
        for (i, label) in labels.into_iter().enumerate() {
            let row = &self.state.optimizers[i];
            let (id, c) = (row.id, row_color(row));
            let status = self.run(id).and_then(|r| r.base.stop.clone());
            let waiting = row.enabled
                && matches!(row.kind, EntryKind::Live(_) | EntryKind::Loaded { .. })
                && self.learned_model(&row.kind).is_none();
            ui.horizontal(|ui| {
                // A long label is cut short (its tooltip has it whole) rather
                // than widening the panel and moving the plot.
                ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
                self.swatch_ui(ui, i, c);
                ui.checkbox(&mut self.state.optimizers[i].enabled, "")
                    .on_hover_text("Show and compute this optimizer.");
                // The header's id is the row's: it stays open or closed with
                // its row when rows above it come and go.
                egui::CollapsingHeader::new(label)
                    .id_salt(("optimizer-row", id))
                    .show(ui, |ui| {
                        self.entry_params_ui(ui, i);
                        if ui.small_button("remove").clicked() {
                            self.queue(Action::RemoveRow(id));
                        }
                    });
            });
            let warn = ui.visuals().warn_fg_color;
            if let Some(stop) = status {
                let text = match stop {
                    teleport_core::optim::Stop::Diverged { step } => {
                        format!("diverged at step {step}")
                    }
                    teleport_core::optim::Stop::Failed { step, message } => {
                        // The core's message is also eval's output and keeps
                        // Rust's float text; on screen a NaN reads as what
                        // it is, an overflow.
                        let message = message.replace("NaN", teleport_core::numfmt::OVERFLOW);
                        format!("stopped at step {step}: {message}")
                    }
                };
                ui.label(RichText::new(text).small().color(warn));
            } else if waiting {
                ui.label(
                    RichText::new("no live weights yet: start training or load weights")
                        .small()
                        .color(warn),
                );
            }
        }
        ui.menu_button("+ add optimizer", |ui| {
            // Any of the default rows, as a new row with its own settings.
            for entry in super::state::default_optimizers() {
                if ui.button(entry.label()).clicked() {
                    self.queue(Action::AddRow(super::state::OptimizerEntry::new(
                        true, entry.kind,
                    )));
                }
            }
        });
    }

    fn entry_params_ui(&mut self, ui: &mut egui::Ui, i: usize) {
        let live_version = self.rt.live.as_ref().map(|l| (l.variant, l.version));
        let entry = &mut self.state.optimizers[i];
        let lr_slider = |ui: &mut egui::Ui, lr: &mut f64, tip: &str| {
            ui.add(Slider::new(lr, 1e-4..=2.0).logarithmic(true).text("lr"))
                .on_hover_text(tip);
        };
        match &mut entry.kind {
            EntryKind::Classical { spec, teleport } => {
                match spec {
                    OptimizerSpec::Gd { lr } => lr_slider(ui, lr, "Step size: x ← x − lr·∇f."),
                    OptimizerSpec::Momentum { lr, beta } => {
                        lr_slider(ui, lr, "Step size: v ← βv − lr·∇f, x ← x + v.");
                        ui.add(Slider::new(beta, 0.0..=0.99).text("β"))
                            .on_hover_text("Momentum coefficient.");
                    }
                    OptimizerSpec::Adam {
                        lr, beta1, beta2, ..
                    } => {
                        lr_slider(ui, lr, "Adam's step size.");
                        ui.add(Slider::new(beta1, 0.0..=0.999).text("β₁"))
                            .on_hover_text("First-moment decay.");
                        ui.add(Slider::new(beta2, 0.0..=0.9999).text("β₂"))
                            .on_hover_text("Second-moment decay.");
                    }
                    OptimizerSpec::Newton { lr } => {
                        ui.add(Slider::new(lr, 0.01..=1.0).text("damping"))
                            .on_hover_text("x ← x − lr·H⁻¹∇f; 1 is the pure Newton step.");
                    }
                    OptimizerSpec::Alg2 { .. } => {
                        ui.label("Algorithm 2 has its own window (View → Algorithm 2).");
                    }
                }
                let mut on = teleport.is_some();
                ui.checkbox(&mut on, "teleport")
                    .on_hover_text("Teleport every k steps with the chosen strategy (classical teleportation, Zhao et al. 2022).");
                if on && teleport.is_none() {
                    *teleport = Some(AppTeleport::every(Strategy::Oracle, 5));
                } else if !on {
                    *teleport = None;
                }
                if let Some(t) = teleport {
                    ui.horizontal(|ui| {
                        if t.at.is_empty() {
                            ui.label("every");
                            ui.add(DragValue::new(&mut t.every).range(limits::TELEPORT_EVERY))
                                .on_hover_text("Teleport at steps k, 2k, 3k, …");
                        } else {
                            ui.label(t.describe());
                            if ui
                                .small_button("→ every k")
                                .on_hover_text("Replace the step list by a period.")
                                .clicked()
                            {
                                t.at.clear();
                            }
                        }
                        let is_oracle = matches!(t.strategy, Strategy::Oracle);
                        if ui
                            .selectable_label(is_oracle, "oracle")
                            .on_hover_text("θ* = argmax ‖∇f(g_θ x)‖, global.")
                            .clicked()
                        {
                            t.strategy = Strategy::Oracle;
                        }
                        if ui
                            .selectable_label(!is_oracle, "ascent")
                            .on_hover_text(
                                "A few gradient-ascent steps on ‖∇f(g_θ x)‖² from θ₀ = 0.",
                            )
                            .clicked()
                            && is_oracle
                        {
                            t.strategy = Strategy::Ascent {
                                theta0: 0.0,
                                lr: 1e-3,
                                iters: 10,
                            };
                        }
                    });
                    if let Strategy::Ascent { lr, iters, .. } = &mut t.strategy {
                        ui.add(
                            Slider::new(lr, 1e-5..=1.0)
                                .logarithmic(true)
                                .text("ascent lr"),
                        );
                        ui.add(Slider::new(iters, limits::ASCENT_ITERS_UI).text("ascent steps"));
                    }
                }
            }
            EntryKind::Learned(_) => {
                ui.label(RichText::new("shipped weights for this task's family").small());
            }
            EntryKind::Loaded { source, .. } => {
                let text = if source.starts_with("embedded:") {
                    "weights embedded in the lab file".to_owned()
                } else {
                    format!("weights from {source}")
                };
                ui.label(RichText::new(text).small());
            }
            EntryKind::Live(v) => {
                let source = match live_version {
                    Some((lv, version)) if lv == *v => {
                        format!("live-trained weights, version {version}")
                    }
                    _ => "no live weights yet".to_owned(),
                };
                ui.label(RichText::new(source).small());
            }
        }
    }

    pub(super) fn timeline_ui(&mut self, ui: &mut egui::Ui) {
        let narrow = ui.available_width() < super::NARROW_POINTS;
        ui.horizontal_wrapped(|ui| {
            if narrow {
                // A slider does not wrap: on a phone it is shorter and the
                // speed takes its own row.
                ui.spacing_mut().slider_width = 90.0;
            }
            let play = if self.state.playback.playing {
                "||"
            } else {
                "▶"
            };
            for (symbol, command) in [
                ("|◀", UiCommand::Rewind),
                ("◀", UiCommand::StepBack),
                (play, UiCommand::PlayPause),
                ("▶|", UiCommand::StepForward),
            ] {
                let keys = command.shortcut_text(ui.ctx()).unwrap_or_default();
                if ui
                    .button(symbol)
                    .on_hover_text(format!("{} ({keys})", command.tooltip()))
                    .clicked()
                {
                    self.run_ui_command(command);
                }
            }
            let p = &mut self.state.playback;
            let steps = self.state.steps;
            ui.add(Slider::new(&mut p.t, 0..=steps).text("step"))
                .on_hover_text("The timeline: trajectories are drawn up to this step.");
            if narrow {
                ui.end_row();
            }
            ui.add(
                Slider::new(&mut p.speed, limits::PLAYBACK_SPEED)
                    .logarithmic(true)
                    .text("steps/s"),
            )
            .on_hover_text("Playback speed.");
        });
    }
}

fn preset_help(p: Preset) -> &'static str {
    match p {
        Preset::Booth => "Booth: h(x) = A x + b with A = [[1, 2], [2, 1]], b = (−7, −5).",
        Preset::Rosenbrock => "Rosenbrock: a = 1, b = −1, c = −10, d(x) = 10x².",
        Preset::ElliFixed => "The paper's fixed ellipse (Figure 3): A = diag(0.5, 3), b = 0.",
        Preset::RosFixed => {
            "The paper's fixed Rosenbrock (Figure 5): a = 1, b = −1, c = −2, d(x) = 0.4x²."
        }
    }
}

/// A gallery entry as an editable task.
fn gallery_spec(entry: &teleport_core::objective::GalleryEntry) -> ObjectiveSpec {
    ObjectiveSpec::Custom {
        h: entry.h.map(str::to_owned),
        h_inv: entry.h_inv.map(|inv| inv.map(str::to_owned)),
    }
}

/// The families of hand-edited tasks, as the task panel offers them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum TaskFamily {
    /// `h(x) = A x + b`.
    Ellipse,
    /// `h(x, y) = (c·y + d(x), a·x + b)`.
    Rosenbrock,
    /// `f(x) = xᵀAx`.
    Quadratic,
    /// `h` typed as two formulas.
    YourH,
    /// `f` typed as one formula.
    YourF,
    /// A small neural network classifying 2D points.
    Network,
}

impl TaskFamily {
    /// Every family, in the panel's order.
    pub(super) const ALL: [Self; 6] = [
        Self::Ellipse,
        Self::Rosenbrock,
        Self::Quadratic,
        Self::YourH,
        Self::YourF,
        Self::Network,
    ];

    /// The family of a task's parameters.
    pub(super) fn of(spec: &ObjectiveSpec) -> Self {
        match spec {
            ObjectiveSpec::Ellipse { .. } => Self::Ellipse,
            ObjectiveSpec::Rosenbrock { .. } => Self::Rosenbrock,
            ObjectiveSpec::Quadratic { .. } => Self::Quadratic,
            ObjectiveSpec::Custom { .. } => Self::YourH,
            ObjectiveSpec::Formula { .. } => Self::YourF,
        }
    }

    /// The radio button's text.
    pub(super) fn label(self) -> &'static str {
        match self {
            Self::Ellipse => "ellipse",
            Self::Rosenbrock => "rosenbrock",
            Self::Quadratic => "quadratic",
            Self::YourH => "your h",
            Self::YourF => "your f",
            Self::Network => "network",
        }
    }

    /// What the family is, for the radio button's tooltip.
    pub(super) fn tooltip(self) -> &'static str {
        match self {
            Self::Ellipse => "h(x) = A x + b (generalized Booth).",
            Self::Rosenbrock => "h(x, y) = (c·y + d(x), a·x + b), d(x) = d0 + d1·x + d2·x².",
            Self::Quadratic => "f(x) = xᵀAx, A symmetric positive definite.",
            Self::YourH => {
                "Type h as two formulas in x and y: f = ‖h(x)‖², teleports g_θ(x) = h⁻¹(R_θ h(x))."
            }
            Self::YourF => {
                "Type f itself (Himmelblau, Beale, your own): teleports follow the level curve through x, g_θ(x) = φ_{θT/2π}(x) along J∇f."
            }
            Self::Network => {
                "A small MLP classifying 2D points (moons, circles, spirals, XOR, Gaussians or your CSV): f is its cross-entropy over its parameters, and teleports rescale its (Leaky)ReLU units."
            }
        }
    }

    /// The parameters a switch to this family starts from: the paper's
    /// fixed tasks, a well-conditioned quadratic, the gallery's first h.
    pub(super) fn default_spec(self) -> ObjectiveSpec {
        match self {
            Self::Ellipse => ObjectiveSpec::Ellipse {
                a: [[0.5, 0.0], [0.0, 3.0]],
                b: [0.0, 0.0],
            },
            Self::Rosenbrock => ObjectiveSpec::Rosenbrock {
                a: 1.0,
                b: -1.0,
                c: -2.0,
                d: [0.0, 0.0, 0.4],
            },
            Self::Quadratic => ObjectiveSpec::Quadratic {
                a: [[1.0, 0.0], [0.0, 4.0]],
            },
            Self::YourH => gallery_spec(&teleport_core::objective::GALLERY[0]),
            Self::YourF => ObjectiveSpec::Formula {
                f: teleport_core::objective::TEST_FUNCTIONS[0].f.to_owned(),
            },
            // Never asked for (the network has no parameters of the
            // plane): the ellipse's, so the editor has something to show.
            Self::Network => Self::Ellipse.default_spec(),
        }
    }
}

/// Whether two formulas are the same text but for spaces (a test function
/// typed back keeps its name).
fn same_formula(a: &str, b: &str) -> bool {
    a.chars()
        .filter(|c| !c.is_whitespace())
        .eq(b.chars().filter(|c| !c.is_whitespace()))
}
