//! The desktop lab: one eframe window over the math core.
//!
//! [`TeleportApp`] holds the persisted [`AppState`] and a runtime part
//! (caches, the background trainer, notifications, pending exports). Views
//! live one per file and draw with `*_ui(&mut self, ui)` methods; actions
//! that touch several parts go through [`Command`]s handled once per frame.

mod alg2_view;
mod controls;
mod export;
mod help;
mod level_set;
mod newton_view;
mod side_plots;
pub mod state;
pub mod trainer;
mod training_view;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use egui::Color32;

use crate::eval::AnyOptimizer;
use crate::io::scene::{LoadedScene, ObjectiveSpec};
use crate::l2o::{MetaOptimizer, Variant};
use crate::objective::{Objective, Preset, Vec2};
use crate::optim::{Trajectory, When, run_with_teleports};
use crate::pretrained::Family;
pub use state::AppState;
use state::{EntryKind, TaskSource};

/// The key under which eframe stores the state.
pub const STORAGE_KEY: &str = "teleport-lab-state";

/// Colours of the optimizer rows (a qualitative palette that reads on the
/// light colour map).
pub const COLORS: [Color32; 10] = [
    Color32::from_rgb(31, 119, 180),
    Color32::from_rgb(255, 127, 14),
    Color32::from_rgb(44, 160, 44),
    Color32::from_rgb(214, 39, 40),
    Color32::from_rgb(148, 103, 189),
    Color32::from_rgb(140, 86, 75),
    Color32::from_rgb(227, 119, 194),
    Color32::from_rgb(23, 190, 207),
    Color32::from_rgb(188, 189, 34),
    Color32::from_rgb(80, 80, 80),
];

/// The colour of optimizer row `i`.
pub fn color(i: usize) -> Color32 {
    COLORS[i % COLORS.len()]
}

/// Options for starting the app (from the command line or a test).
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// A scene to open instead of the saved state.
    pub scene: Option<LoadedScene>,
    /// Save a screenshot here once rendered, then close.
    pub screenshot: Option<PathBuf>,
    /// Where exports go when no file dialog can open.
    pub export_dir: Option<PathBuf>,
    /// Use native file dialogs (off in tests and headless runs).
    pub dialogs: bool,
    /// Ignore the saved state.
    pub fresh: bool,
}

/// A message shown for a few seconds in the corner.
#[derive(Clone, Debug, PartialEq)]
pub struct Notification {
    /// The text.
    pub text: String,
    /// Whether it reports a failure.
    pub error: bool,
    /// When it appeared (egui time, seconds).
    pub since: f64,
}

/// One optimizer row's computed runs.
#[derive(Clone, Debug)]
pub struct RunResult {
    /// The run from x₀.
    pub base: Trajectory,
    /// The run with the hand-applied teleports, if any.
    pub branch: Option<Trajectory>,
}

impl RunResult {
    /// The run the timeline follows: the branch when there is one.
    pub fn shown(&self) -> &Trajectory {
        self.branch.as_ref().unwrap_or(&self.base)
    }
}

/// Actions handled at the end of a frame.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Apply θ at the current step of the selected row.
    TeleportHere,
    /// Forget the hand-applied teleports.
    ClearTeleports,
    /// Move the timeline by this many steps.
    StepBy(i64),
    /// Back to step 0, paused.
    Rewind,
    /// Draw a new task from the current distribution.
    Resample,
    /// Switch to a task source.
    SetSource(TaskSource),
    /// Reset everything to the defaults.
    ResetDefaults,
    /// Export: the whole window as PNG.
    ScreenshotWindow,
    /// Export: the level-set plot as PNG.
    ScreenshotPlot,
    /// Export: the trajectories as CSV.
    ExportCsv,
    /// Export: the scene as JSON.
    ExportScene,
    /// Open a scene file.
    OpenScene,
}

/// The live-trained model.
#[derive(Clone, Debug)]
pub struct LiveModel {
    /// Its variant.
    pub variant: Variant,
    /// The weights.
    pub model: Arc<MetaOptimizer<f32>>,
    /// The trainer's snapshot version.
    pub version: u64,
}

/// Things that are not saved between runs.
pub struct Runtime {
    /// The current (always valid) objective.
    pub objective: Objective,
    /// The editor's values for hand-edited parameters.
    pub draft: ObjectiveSpec,
    /// Why the draft is not used, shown at the field.
    pub task_error: Option<String>,
    /// Per optimizer row, its runs (`None` when disabled).
    pub runs: Vec<Option<RunResult>>,
    run_keys: Vec<String>,
    pretrained: Pretrained,
    /// The live-trained model, once training has published weights.
    pub live: Option<LiveModel>,
    /// Live training.
    pub training: training_view::TrainingRuntime,
    /// Messages in the corner.
    pub notifications: Vec<Notification>,
    /// Pending exports and the screenshot mailbox.
    pub export: export::ExportRuntime,
    /// Level-set caches.
    pub level_set: level_set::LevelSetCache,
    commands: Vec<Command>,
    /// Frames drawn (for the scripted screenshot).
    pub frames: u64,
    /// θ* at the current point, found once per frame for the scrubber and
    /// the θ plot.
    pub oracle: crate::symmetry::OracleResult,
}

/// The app.
pub struct TeleportApp {
    /// Saved between runs.
    pub state: AppState,
    /// Not saved.
    pub rt: Runtime,
}

/// Shipped models by variant and family.
type Pretrained = HashMap<(Variant, Family), Arc<MetaOptimizer<f32>>>;

fn load_pretrained() -> (Pretrained, Vec<String>) {
    let mut models = HashMap::new();
    let mut errors = Vec::new();
    for variant in Variant::ALL {
        for family in [Family::Ellipse, Family::Rosenbrock] {
            match crate::pretrained::load(variant, family) {
                Ok(m) => {
                    models.insert((variant, family), Arc::new(m));
                }
                Err(e) => errors.push(format!("shipped weights {variant}/{family:?}: {e}")),
            }
        }
    }
    (models, errors)
}

/// Builds the objective of a task source.
pub fn objective_of(source: &TaskSource) -> Result<Objective, String> {
    match source {
        TaskSource::Preset(p) => Ok(p.objective()),
        TaskSource::Sampled { dist, seed } => {
            let mut rng = crate::rng(*seed);
            Ok(dist.sample_objective(&mut rng, Default::default()))
        }
        TaskSource::Custom(spec) => spec.build().map_err(|e| e.to_string()),
    }
}

impl TeleportApp {
    /// The app with a given state (as restored, or the defaults).
    pub fn new(state: AppState, options: &Options) -> Self {
        let (pretrained, errors) = load_pretrained();
        let mut state = state;
        let mut notifications = Vec::new();
        // A saved custom task may have been edited into something invalid by
        // hand; fall back to the default task then.
        let objective = match objective_of(&state.source) {
            Ok(o) => o,
            Err(e) => {
                notifications.push(Notification {
                    text: format!("The saved task is invalid ({e}); showing the default task."),
                    error: true,
                    since: 0.0,
                });
                state = AppState::default();
                Preset::ElliFixed.objective()
            }
        };
        for e in errors {
            notifications.push(Notification {
                text: e,
                error: true,
                since: 0.0,
            });
        }
        let export_dir = options
            .export_dir
            .clone()
            .unwrap_or_else(export::default_export_dir);
        let mut app = Self {
            rt: Runtime {
                draft: ObjectiveSpec::of(&objective),
                objective,
                task_error: None,
                runs: Vec::new(),
                run_keys: Vec::new(),
                pretrained,
                live: None,
                training: training_view::TrainingRuntime::default(),
                notifications,
                export: export::ExportRuntime::new(
                    export_dir,
                    options.dialogs,
                    options.screenshot.clone(),
                ),
                level_set: {
                    let mut cache = level_set::LevelSetCache::default();
                    cache.reset_view = true;
                    cache
                },
                commands: Vec::new(),
                frames: 0,
                oracle: crate::symmetry::OracleResult {
                    theta: 0.0,
                    grad_norm: 0.0,
                },
            },
            state,
        };
        if let Some(scene) = &options.scene {
            app.apply_scene(scene);
        }
        app.recompute_if_needed();
        app
    }

    /// The app as eframe creates it: the saved state unless `options.fresh`.
    pub fn from_creation_context(cc: &eframe::CreationContext<'_>, options: &Options) -> Self {
        // A light theme reads like a figure and matches exported plots.
        cc.egui_ctx.set_theme(egui::Theme::Light);
        install_fonts(&cc.egui_ctx);
        let saved = if options.fresh || options.scene.is_some() {
            None
        } else {
            cc.storage
                .and_then(|s| eframe::get_value::<AppState>(s, STORAGE_KEY))
        };
        Self::new(saved.unwrap_or_default(), options)
    }

    /// Shows a message in the corner.
    pub fn notify(&mut self, ctx: &egui::Context, text: impl Into<String>, error: bool) {
        self.rt.notifications.push(Notification {
            text: text.into(),
            error,
            since: ctx.input(|i| i.time),
        });
    }

    /// Queues a command for the end of the frame.
    pub fn command(&mut self, command: Command) {
        self.rt.commands.push(command);
    }

    /// Takes a scene's task, start point, steps and optimizer.
    pub fn apply_scene(&mut self, scene: &LoadedScene) {
        let spec = scene.scene.objective.clone();
        self.state.source = TaskSource::Custom(spec.clone());
        self.rt.objective = scene.objective.clone();
        self.rt.draft = spec;
        self.rt.task_error = None;
        self.state.x0 = scene.scene.x0;
        self.state.steps = scene.scene.steps.clamp(1, 10_000);
        self.state.manual_teleports.clear();
        self.state.playback.t = self.state.playback.t.min(self.state.steps);
        let teleport = scene.teleport.as_ref().map(|t| match &t.when {
            When::Every(k) => state::AppTeleport::every(t.strategy, *k),
            When::At(at) => state::AppTeleport {
                strategy: t.strategy,
                every: 1,
                at: at.clone(),
            },
        });
        let entry = state::OptimizerEntry {
            enabled: true,
            kind: EntryKind::Classical {
                spec: scene.scene.optimizer,
                teleport,
            },
        };
        // The scene's optimizer becomes the first, selected row.
        if !matches!(
            scene.scene.optimizer,
            crate::optim::OptimizerSpec::Alg2 { .. }
        ) {
            self.state.optimizers.retain(|e| e != &entry);
            self.state.optimizers.insert(0, entry);
            self.state.selected = 0;
        }
    }

    /// The learned model a row uses for the current task.
    pub fn learned_model(&self, variant: Variant) -> Option<Arc<MetaOptimizer<f32>>> {
        if let Some(live) = &self.rt.live
            && live.variant == variant
        {
            return Some(Arc::clone(&live.model));
        }
        self.rt
            .pretrained
            .get(&(variant, Family::of(&self.rt.objective)))
            .cloned()
    }

    /// The optimizer of a row, ready to run.
    pub fn optimizer_of(&self, i: usize) -> Option<AnyOptimizer> {
        let entry = self.state.optimizers.get(i)?;
        let name = entry.label();
        Some(match &entry.kind {
            EntryKind::Classical { spec, teleport } => AnyOptimizer::Classical {
                name,
                spec: *spec,
                teleport: teleport.as_ref().map(|t| crate::optim::TeleportSchedule {
                    strategy: t.strategy,
                    when: t.when(),
                }),
            },
            EntryKind::Learned(v) => AnyOptimizer::Learned {
                name,
                model: self.learned_model(*v)?,
            },
        })
    }

    /// What row `i`'s runs depend on, as text: the task, x₀, steps, the
    /// row's settings and hand-applied teleports, and for a learned row the
    /// weights it uses. Rows whose key is unchanged keep their runs, so a new
    /// training snapshot recomputes only the row being trained.
    fn row_key(&self, i: usize) -> String {
        let entry = &self.state.optimizers[i];
        let manual: Vec<_> = self
            .state
            .manual_teleports
            .iter()
            .filter(|m| m.optimizer == i)
            .collect();
        let weights = match &entry.kind {
            EntryKind::Learned(v) => match &self.rt.live {
                Some(live) if live.variant == *v => format!("live {}", live.version),
                _ => format!("shipped {:?}", Family::of(&self.rt.objective)),
            },
            EntryKind::Classical { .. } => String::new(),
        };
        serde_json::to_string(&(
            &self.state.source,
            self.state.x0,
            self.state.steps,
            entry,
            manual,
            weights,
        ))
        .unwrap_or_default()
    }

    /// Recomputes the runs whose inputs changed. Returns whether any did.
    pub fn recompute_if_needed(&mut self) -> bool {
        let n = self.state.optimizers.len();
        self.rt.runs.resize_with(n, || None);
        self.rt.run_keys.resize_with(n, String::new);
        let x0 = Vec2::from(self.state.x0);
        let steps = self.state.steps;
        let mut changed = false;
        for i in 0..n {
            let key = self.row_key(i);
            if key == self.rt.run_keys[i] {
                continue;
            }
            changed = true;
            self.rt.runs[i] = self.compute_row(i, x0, steps);
            self.rt.run_keys[i] = key;
        }
        changed
    }

    fn compute_row(&self, i: usize, x0: Vec2, steps: usize) -> Option<RunResult> {
        let obj = &self.rt.objective;
        if !self.state.optimizers[i].enabled {
            return None;
        }
        let opt = self.optimizer_of(i)?;
        let base = opt.trajectory(obj, x0, steps);
        let manual: Vec<(usize, f64)> = self
            .state
            .manual_teleports
            .iter()
            .filter(|m| m.optimizer == i)
            .map(|m| (m.step, m.theta))
            .collect();
        let branch = (!manual.is_empty()).then(|| match &opt {
            AnyOptimizer::Classical { spec, teleport, .. } => {
                run_with_teleports(obj, x0, steps, *spec, teleport.as_ref(), &manual)
            }
            AnyOptimizer::Learned { model, .. } => {
                model.trajectory_with_teleports(obj, x0, steps, &manual)
            }
        });
        Some(RunResult { base, branch })
    }

    /// The point the scrubber teleports: the selected row's iterate at the
    /// timeline step (x₀ when that row is off).
    pub fn current_point(&self) -> Vec2 {
        let t = self.state.playback.t;
        self.rt
            .runs
            .get(self.state.selected)
            .and_then(|r| r.as_ref())
            .and_then(|r| {
                let tr = r.shown();
                tr.records.get(t).or(tr.records.last())
            })
            .map_or(Vec2::from(self.state.x0), |rec| Vec2::from(rec.x))
    }

    /// Replaces the task; an invalid one leaves the current task in place.
    pub fn set_source(&mut self, source: TaskSource) -> Result<(), String> {
        let objective = objective_of(&source)?;
        let family_changed = Family::of(&objective) != Family::of(&self.rt.objective);
        if let TaskSource::Preset(p) = &source
            && (family_changed || self.state.source != source)
        {
            self.state.x0 = p.default_x0().into();
        }
        // Refit the view for a new task, but not while parameters are edited.
        let editing = matches!(source, TaskSource::Custom(_)) && !family_changed;
        self.rt.draft = ObjectiveSpec::of(&objective);
        self.rt.objective = objective;
        self.rt.task_error = None;
        self.state.source = source;
        self.state.manual_teleports.clear();
        self.rt.level_set.invalidate();
        self.rt.level_set.reset_view |= !editing;
        Ok(())
    }

    /// Applies hand-edited parameters: valid ones become the task; invalid
    /// ones are flagged at the fields and the last valid task stays.
    pub fn edit_custom(&mut self, spec: ObjectiveSpec) {
        match spec.build() {
            Ok(_) => {
                if let Err(e) = self.set_source(TaskSource::Custom(spec.clone())) {
                    self.rt.task_error = Some(e);
                }
            }
            Err(e) => self.rt.task_error = Some(e.to_string()),
        }
        self.rt.draft = spec;
    }

    fn handle_commands(&mut self, ctx: &egui::Context) {
        let commands = std::mem::take(&mut self.rt.commands);
        for command in commands {
            match command {
                Command::TeleportHere => {
                    let step = self.state.playback.t.min(self.state.steps);
                    let theta = self.state.theta;
                    let optimizer = self.state.selected;
                    self.state
                        .manual_teleports
                        .retain(|m| !(m.optimizer == optimizer && m.step == step));
                    self.state.manual_teleports.push(state::ManualTeleport {
                        optimizer,
                        step,
                        theta,
                    });
                    self.state.theta = 0.0;
                }
                Command::ClearTeleports => self.state.manual_teleports.clear(),
                Command::StepBy(k) => {
                    self.state.playback.playing = false;
                    let t = self.state.playback.t as i64 + k;
                    self.state.playback.t = t.clamp(0, self.state.steps as i64) as usize;
                }
                Command::Rewind => {
                    self.state.playback.playing = false;
                    self.state.playback.t = 0;
                }
                Command::Resample => {
                    let (dist, seed) = match &self.state.source {
                        TaskSource::Sampled { dist, seed } => (*dist, seed.wrapping_add(1)),
                        _ => (crate::objective::TaskDist::ElliVary, 0),
                    };
                    if let Err(e) = self.set_source(TaskSource::Sampled { dist, seed }) {
                        self.notify(ctx, e, true);
                    }
                }
                Command::SetSource(source) => {
                    if let Err(e) = self.set_source(source) {
                        self.notify(ctx, e, true);
                    }
                }
                Command::ResetDefaults => {
                    let options = Options::default();
                    let export = std::mem::replace(
                        &mut self.rt.export,
                        export::ExportRuntime::new(PathBuf::new(), false, None),
                    );
                    *self = Self::new(AppState::default(), &options);
                    self.rt.export = export;
                    self.notify(ctx, "Settings reset to defaults.", false);
                }
                Command::ScreenshotWindow => self.request_screenshot(ctx, false),
                Command::ScreenshotPlot => self.request_screenshot(ctx, true),
                Command::ExportCsv => self.export_csv(ctx),
                Command::ExportScene => self.export_scene(ctx),
                Command::OpenScene => self.open_scene(ctx),
            }
        }
    }

    fn shortcuts(&mut self, ctx: &egui::Context) {
        use egui::{Key, KeyboardShortcut, Modifiers};
        let save = KeyboardShortcut::new(Modifiers::COMMAND, Key::S);
        let open = KeyboardShortcut::new(Modifiers::COMMAND, Key::O);
        if ctx.input_mut(|i| i.consume_shortcut(&save)) {
            self.command(Command::ScreenshotWindow);
        }
        if ctx.input_mut(|i| i.consume_shortcut(&open)) {
            self.command(Command::OpenScene);
        }
        if ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::F1)) {
            self.state.panels.help = !self.state.panels.help;
        }
        // Plain keys only when no text field has the keyboard.
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        let nudge = 1f64.to_radians();
        ctx.input_mut(|i| {
            if i.consume_key(Modifiers::NONE, Key::Space) {
                self.state.playback.playing = !self.state.playback.playing;
                if self.state.playback.playing && self.state.playback.t >= self.state.steps {
                    self.state.playback.t = 0;
                }
            }
            if i.consume_key(Modifiers::NONE, Key::ArrowRight) {
                self.rt.commands.push(Command::StepBy(1));
            }
            if i.consume_key(Modifiers::NONE, Key::ArrowLeft) {
                self.rt.commands.push(Command::StepBy(-1));
            }
            if i.consume_key(Modifiers::NONE, Key::R) {
                self.rt.commands.push(Command::Rewind);
            }
            if i.consume_key(Modifiers::NONE, Key::OpenBracket) {
                self.state.theta = wrap_angle(self.state.theta - nudge);
            }
            if i.consume_key(Modifiers::NONE, Key::CloseBracket) {
                self.state.theta = wrap_angle(self.state.theta + nudge);
            }
        });
    }

    fn advance_playback(&mut self, ctx: &egui::Context) {
        let dt = f64::from(ctx.input(|i| i.stable_dt)).min(0.1);
        let p = &mut self.state.playback;
        if p.playing {
            p.t = p.t.min(self.state.steps);
            let acc_id = egui::Id::unique("playback-accumulator");
            let acc: f64 = ctx.data_mut(|d| *d.get_temp_mut_or(acc_id, 0.0));
            let total = acc + dt * p.speed.clamp(0.1, 200.0);
            let whole = total.floor();
            ctx.data_mut(|d| d.insert_temp(acc_id, total - whole));
            p.t = (p.t + whole as usize).min(self.state.steps);
            if p.t >= self.state.steps {
                p.playing = false;
            }
            ctx.request_repaint();
        }
        let a = &mut self.state.alg2;
        if a.playing {
            a.t += 1;
            if a.t >= a.steps {
                a.t = a.steps;
                a.playing = false;
            }
            ctx.request_repaint_after(std::time::Duration::from_millis(120));
        }
    }

    /// The whole UI, without eframe's frame (so benchmarks can drive it).
    pub fn ui_body(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.rt.frames += 1;
        self.poll_trainer(&ctx);
        self.shortcuts(&ctx);
        self.advance_playback(&ctx);
        self.recompute_if_needed();
        self.rt.oracle = crate::symmetry::oracle(&self.rt.objective, &self.current_point());

        egui::Panel::top("menu").show(ui, |ui| self.menu_ui(ui));
        egui::Panel::left("controls")
            .resizable(true)
            .default_size(330.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| self.controls_ui(ui));
            });
        egui::Panel::bottom("timeline").show(ui, |ui| self.timeline_ui(ui));
        egui::Panel::right("side")
            .resizable(true)
            .default_size(360.0)
            .show(ui, |ui| self.side_ui(ui));
        egui::CentralPanel::default().show(ui, |ui| self.level_set_ui(ui));

        self.alg2_window(&ctx);
        self.newton_window(&ctx);
        self.training_window(&ctx);
        self.help_window(&ctx);
        self.notifications_ui(&ctx);

        self.handle_commands(&ctx);
        self.recompute_if_needed();
        self.poll_screenshot(&ctx);
    }

    fn notifications_ui(&mut self, ctx: &egui::Context) {
        let now = ctx.input(|i| i.time);
        for n in &mut self.rt.notifications {
            if n.since == 0.0 {
                n.since = now;
            }
        }
        self.rt
            .notifications
            .retain(|n| now - n.since < if n.error { 12.0 } else { 6.0 });
        if self.rt.notifications.is_empty() {
            return;
        }
        egui::Area::new(egui::Id::unique("notifications"))
            .anchor(egui::Align2::RIGHT_BOTTOM, egui::vec2(-12.0, -60.0))
            .show(ctx, |ui| {
                for n in &self.rt.notifications {
                    egui::Frame::popup(ui.style()).show(ui, |ui| {
                        let color = if n.error {
                            ui.visuals().error_fg_color
                        } else {
                            ui.visuals().text_color()
                        };
                        ui.label(egui::RichText::new(&n.text).color(color));
                    });
                }
            });
        ctx.request_repaint_after(std::time::Duration::from_millis(500));
    }
}

/// Whether native file dialogs can open on this machine.
pub fn export_dialogs_available() -> bool {
    export::dialogs_available()
}

/// Wraps an angle into `(−π, π]`.
pub fn wrap_angle(theta: f64) -> f64 {
    use std::f64::consts::{PI, TAU};
    let t = (theta + PI).rem_euclid(TAU) - PI;
    if t <= -PI { t + TAU } else { t }
}

impl eframe::App for TeleportApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.ui_body(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        // A scripted screenshot must not overwrite the user's saved session.
        if !self.rt.export.is_scripted() {
            eframe::set_value(storage, STORAGE_KEY, &self.state);
        }
    }

    fn on_exit(&mut self) {
        // Stop and join the training thread.
        self.rt.training.stop();
    }
}

/// Opens the window (the binary's default action).
pub fn run_native(options: Options) -> Result<(), String> {
    let viewport = egui::ViewportBuilder::default()
        .with_title("teleport-lab")
        .with_inner_size([1440.0, 900.0])
        .with_min_inner_size([900.0, 600.0]);
    let native = eframe::NativeOptions {
        viewport,
        persist_window: options.screenshot.is_none(),
        ..Default::default()
    };
    eframe::run_native(
        "teleport-lab",
        native,
        Box::new(move |cc| Ok(Box::new(TeleportApp::from_creation_context(cc, &options)))),
    )
    .map_err(|e| {
        let headless = std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none();
        let hint = if headless {
            " (no display here: run it under `xvfb-run`, or use the headless commands in `teleport-lab --help`)"
        } else {
            ""
        };
        format!("cannot open the window: {e}{hint}")
    })
}

/// DejaVu Sans, shipped so that the paper's notation (∇, ‖·‖, θ, ⊥, x₀, ᵀ)
/// draws on every machine; its licence is in `assets/fonts/`.
const DEJAVU_SANS: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/fonts/DejaVuSans.ttf"
));

/// Adds DejaVu Sans after egui's default fonts as a fallback for math symbols.
pub fn install_fonts(ctx: &egui::Context) {
    let mut fonts = egui::FontDefinitions::default();
    fonts.font_data.insert(
        "DejaVuSans".to_owned(),
        Arc::new(egui::FontData::from_static(DEJAVU_SANS)),
    );
    for family in [egui::FontFamily::Proportional, egui::FontFamily::Monospace] {
        fonts
            .families
            .entry(family)
            .or_default()
            .push("DejaVuSans".to_owned());
    }
    ctx.set_fonts(fonts);
}
