//! The desktop lab: one eframe window over the math core.
//!
//! [`TeleportApp`] holds the persisted [`AppState`] and a runtime part
//! (caches, the background trainer, notifications, pending exports). Views
//! live one per file and draw with `*_ui(&mut self, ui)` methods; actions
//! that touch several parts go through [`Command`]s handled once per frame.

pub mod across;
mod alg2_view;
pub mod animation;
mod axes;
pub mod basin;
pub mod commands;
mod controls;
mod export;
pub mod gallery;
mod help;
pub mod inbox;
pub mod job;
pub mod lab;
mod level_set;
mod newton_view;
pub mod plot_export;
pub mod presentation;
mod runs;
pub mod session;
pub mod side_plots;
pub mod state;
pub mod timeline;
pub mod trainer;
mod training_view;
pub mod validation;
#[cfg(target_arch = "wasm32")]
pub mod web;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use egui::Color32;

use commands::UiCommand;
pub use runs::RunResult;
pub use state::AppState;
use state::{EntryKind, RowId, TaskSource};
use teleport_core::io::scene::{LoadedScene, ObjectiveSpec};
use teleport_core::l2o::{MetaOptimizer, Variant};
use teleport_core::limits;
use teleport_core::objective::{Objective, Preset, Vec2};
use teleport_core::pretrained::Family;

/// The key under which eframe stores the state.
pub const STORAGE_KEY: &str = "teleport-lab-state";

/// Colours of the optimizer rows: the core's [`teleport_core::plot::SERIES_RGB`],
/// so figures and the app agree.
pub const COLORS: [Color32; 10] = {
    let rgb = teleport_core::plot::SERIES_RGB;
    let mut out = [Color32::BLACK; 10];
    let mut i = 0;
    while i < 10 {
        out[i] = Color32::from_rgb(rgb[i][0], rgb[i][1], rgb[i][2]);
        i += 1;
    }
    out
};

/// The colour of a palette index.
pub fn color(i: usize) -> Color32 {
    COLORS[i % COLORS.len()]
}

/// The colour a row keeps for its life.
pub fn row_color(row: &state::OptimizerEntry) -> Color32 {
    color(row.color.unwrap_or(0))
}

const _: () = assert!(COLORS.len() == state::PALETTE_LEN);

/// Options for starting the app (from the command line or a test).
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// A scene or lab file to open instead of the saved state.
    pub scene: Option<teleport_core::io::lab::AnyScene>,
    /// Save a screenshot here once rendered, then close.
    pub screenshot: Option<PathBuf>,
    /// Where exports go when no file dialog can open.
    pub export_dir: Option<PathBuf>,
    /// Use native file dialogs (off in tests and headless runs).
    pub dialogs: bool,
    /// Ignore the saved state.
    pub fresh: bool,
    /// Keep the session in this folder: restore it at launch (unless
    /// `fresh`), save it as it changes (see [`session`]).
    pub session_dir: Option<PathBuf>,
    /// Save the session on SIGTERM, SIGINT, SIGHUP and on a UI panic (the
    /// real app; not tests, which share a process).
    pub hooks: bool,
    /// Test hook: panic on the UI thread after this many frames.
    pub panic_after_frames: Option<u64>,
    /// Record the playback as an animation once rendered, then close
    /// (`--animate`).
    pub animate: Option<animation::AnimationRequest>,
    /// Open this folder of lab files as a lesson, presenting.
    pub lesson: Option<PathBuf>,
    /// The window's inner size in points (default 1440 × 900).
    pub window_size: Option<[f32; 2]>,
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

/// An edit or request queued while the frame is drawn and handled once,
/// at its end ([`TeleportApp::queue`]): widgets deep in a panel never change
/// what the rest of the frame is drawing.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// A command the user can ask for by name (menus, keys, buttons, help).
    Ui(UiCommand),
    /// Remove an optimizer row.
    RemoveRow(RowId),
    /// Add an optimizer row.
    AddRow(state::OptimizerEntry),
    /// Forget the hand-applied teleports.
    ClearTeleports,
    /// Draw a new task from the current distribution.
    Resample,
    /// Switch to a task source.
    SetSource(TaskSource),
    /// Open a task with its own start point (the gallery).
    OpenTask(TaskSource, [f64; 2]),
    /// Enter or leave presentation mode.
    SetPresenting(bool),
}

/// How well a teleport chose its angle (see [`teleport_core::eval::teleport_efficiency`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TeleportQuality {
    /// The angle it chose, from the point it started at.
    pub theta: f64,
    /// η = ‖∇f(g_θt x)‖ / ‖∇f(g_θ* x)‖.
    pub efficiency: f64,
    /// ‖∇f‖ where it landed (the current point).
    pub landed_norm: f64,
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
    /// Counts every model the app has taken (snapshots and loaded files),
    /// so a row's cache key changes whenever its weights do, even when a
    /// new training run starts its versions again at 1.
    pub generation: u64,
}

/// Things that are not saved between runs; private to the app, which
/// shows tests and benchmarks what they need of it through
/// [`TeleportApp`]'s inspection methods.
struct Runtime {
    /// The current (always valid) objective.
    objective: Objective,
    /// The editor's values for hand-edited parameters.
    draft: ObjectiveSpec,
    /// Why the draft is not used, shown at the field.
    task_error: Option<String>,
    /// The runs of every enabled row, by row id.
    runs: HashMap<RowId, RunResult>,
    run_keys: HashMap<RowId, runs::RowInputs>,
    pretrained: Pretrained,
    /// The live-trained model, once training has published weights.
    live: Option<LiveModel>,
    /// Live training.
    training: training_view::TrainingRuntime,
    /// Messages in the corner.
    notifications: Vec<Notification>,
    /// Pending exports and the screenshot mailbox.
    export: export::ExportRuntime,
    /// Level-set caches.
    level_set: level_set::LevelSetCache,
    /// The task gallery's thumbnails.
    gallery: gallery::GalleryCache,
    /// What the frame asked for, handled at its end.
    actions: Vec<Action>,
    /// Frames drawn (for the scripted screenshot).
    frames: u64,
    /// The central panel's rectangle: floating windows open inside it.
    central_rect: egui::Rect,
    /// egui's time at the last frame, for playback.
    last_frame_time: Option<f64>,
    /// Fractions of a step carried to the next frame (timeline, Algorithm 2).
    playback_acc: f64,
    alg2_acc: f64,
    /// How the loss plot chooses its view.
    loss_view: side_plots::LossView,
    /// The loss plot's view in the last frame (step, log₁₀ f).
    loss_bounds: Option<egui_plot::PlotBounds>,
    /// Weights that came with lab files, by source (see
    /// [`EntryKind::Loaded`]).
    models: HashMap<String, Arc<MetaOptimizer<f32>>>,
    /// The background session saver (the real app only).
    session: Option<session::SessionSaver>,
    /// Panic after this many frames (test hook).
    panic_after_frames: Option<u64>,
    /// θ* at the current point, for the scrubber and the θ plot; found
    /// again only when the point or the task changes.
    oracle: teleport_core::symmetry::OracleResult,
    /// The θ plot's curve at the current point, kept with the oracle.
    theta_curve: Vec<[f64; 2]>,
    /// The selected learned row's networks at the timeline step, with the
    /// row, step and inputs they were computed for.
    probe: Option<newton_view::ProbeCache>,
    /// How well the teleport that landed on the current point chose its
    /// angle, when the selected row teleported at this step.
    teleport_quality: Option<TeleportQuality>,
    /// The task and point the oracle and the θ curve belong to.
    orbit_key: Option<(Objective, [f64; 2])>,
    /// The animation being recorded.
    animation: Option<animation::AnimationJob>,
    /// Whether the options of File → Export animation… are open.
    animation_dialog: bool,
    /// The last animation options.
    animation_settings: animation::AnimationSettings,
    /// `--animate`, until the window has settled.
    animate_request: Option<animation::AnimationRequest>,
    /// The loss plot across test tasks.
    across: across::AcrossRuntime,
    /// The basin map of the selected row.
    basin: basin::BasinRuntime,
    /// The validation curve of live training.
    validation: validation::ValidationRuntime,
    /// The lesson being presented.
    lesson: Option<presentation::Lesson>,
    /// `--lesson`, opened at the first frame.
    lesson_request: Option<PathBuf>,
    /// Files and links that arrived between frames (the web build).
    inbox: inbox::Inbox,
    /// Shipped models already asked for (the web fetches them on demand).
    shipped_requested: std::collections::HashSet<(Variant, Family)>,
}

/// The app.
pub struct TeleportApp {
    /// Saved between runs.
    pub state: AppState,
    /// Not saved.
    rt: Runtime,
}

/// The app's inspection surface for tests and benchmarks: what they read of
/// the runtime (which is otherwise private to the app), and the few narrow
/// pokes they need (a fault to inject, an arrival to deliver, a path to
/// type, training to stop). The app itself uses the fields directly.
impl TeleportApp {
    /// The current (always valid) task.
    pub fn objective(&self) -> &Objective {
        &self.rt.objective
    }

    /// Why the editor's draft is not used, as shown at the field; `None`
    /// while the draft is the task.
    pub fn task_error(&self) -> Option<&str> {
        self.rt.task_error.as_deref()
    }

    /// The editor's values for hand-edited parameters.
    pub fn draft(&self) -> &ObjectiveSpec {
        &self.rt.draft
    }

    /// The live-trained (or loaded) model, once there is one.
    pub fn live_model(&self) -> Option<&LiveModel> {
        self.rt.live.as_ref()
    }

    /// Live training: its thread, progress and last problem.
    pub fn training(&self) -> &training_view::TrainingRuntime {
        &self.rt.training
    }

    /// Stops and joins the training thread, if any; the live weights stay.
    pub fn stop_training(&mut self) {
        self.rt.training.stop();
    }

    /// Makes the next training thread fail as `fault` says (a test hook);
    /// the default [`trainer::FaultInjection`] injects none.
    pub fn inject_training_fault(&mut self, fault: trainer::FaultInjection) {
        self.rt.training.fault = fault;
    }

    /// The validation curve of live training.
    pub fn validation(&self) -> &validation::ValidationRuntime {
        &self.rt.validation
    }

    /// The messages in the corner, oldest first.
    pub fn notifications(&self) -> &[Notification] {
        &self.rt.notifications
    }

    /// The level-set plot's caches, and its rectangle, view and x₀ as drawn
    /// in the last frame.
    pub fn level_set(&self) -> &level_set::LevelSetCache {
        &self.rt.level_set
    }

    /// The central panel's rectangle in the last frame.
    pub fn central_rect(&self) -> egui::Rect {
        self.rt.central_rect
    }

    /// The loss plot's view in the last frame (step, log₁₀ f).
    pub fn loss_bounds(&self) -> Option<&egui_plot::PlotBounds> {
        self.rt.loss_bounds.as_ref()
    }

    /// The loss plot across test tasks.
    pub fn across(&self) -> &across::AcrossRuntime {
        &self.rt.across
    }

    /// The basin map of the selected row.
    pub fn basin(&self) -> &basin::BasinRuntime {
        &self.rt.basin
    }

    /// θ* at the current point.
    pub fn oracle(&self) -> &teleport_core::symmetry::OracleResult {
        &self.rt.oracle
    }

    /// How well the teleport that landed on the current point chose its
    /// angle, when the selected row teleported at this step.
    pub fn teleport_quality(&self) -> Option<&TeleportQuality> {
        self.rt.teleport_quality.as_ref()
    }

    /// The in-app "open a file" prompt, while it is open.
    pub fn path_prompt(&self) -> Option<&export::PathPrompt> {
        self.rt.export.prompt.as_ref()
    }

    /// Puts `path` in the open path prompt's field, as if typed over what it
    /// held; `false` (and nothing typed) when no prompt is open.
    pub fn type_in_path_prompt(&mut self, path: impl Into<String>) -> bool {
        match &mut self.rt.export.prompt {
            Some(prompt) => {
                prompt.text = path.into();
                true
            }
            None => false,
        }
    }

    /// The last file an export wrote.
    pub fn last_written(&self) -> Option<&std::path::Path> {
        self.rt.export.last_written.as_deref()
    }

    /// Queues `arrival` as the browser's callbacks do; the next frame opens
    /// it.
    pub fn deliver(&self, arrival: inbox::Arrival) {
        self.rt.inbox.push(arrival);
    }

    /// Whether an animation is being recorded.
    pub fn is_recording(&self) -> bool {
        self.rt.animation.is_some()
    }

    /// The lesson being presented, if any.
    pub fn lesson(&self) -> Option<&presentation::Lesson> {
        self.rt.lesson.as_ref()
    }
}

/// Shipped models by variant and family.
type Pretrained = HashMap<(Variant, Family), Arc<MetaOptimizer<f32>>>;

fn load_pretrained() -> (Pretrained, Vec<String>) {
    let mut models = HashMap::new();
    let mut errors = Vec::new();
    if !teleport_core::pretrained::EMBEDDED {
        // The web fetches each model when a row needs it
        // (`request_shipped_models`).
        return (models, errors);
    }
    for variant in Variant::ALL {
        for family in [Family::Ellipse, Family::Rosenbrock] {
            match teleport_core::pretrained::load(variant, family) {
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
        // The task the gallery shows for this seed, start point aside.
        TaskSource::Sampled { dist, seed } => Ok(gallery::task(*dist, *seed).objective),
        TaskSource::Custom(spec) => spec.build().map_err(|e| e.to_string()),
    }
}

impl TeleportApp {
    /// The app with a given state (as restored, or the defaults).
    pub fn new(state: AppState, options: &Options) -> Self {
        let (pretrained, errors) = load_pretrained();
        let mut state = state;
        state.normalize();
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
                runs: HashMap::new(),
                run_keys: HashMap::new(),
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
                gallery: gallery::GalleryCache::default(),
                actions: Vec::new(),
                frames: 0,
                central_rect: egui::Rect::from_min_size(
                    egui::pos2(330.0, 30.0),
                    egui::vec2(740.0, 800.0),
                ),
                last_frame_time: None,
                session: None,
                models: HashMap::new(),
                panic_after_frames: options.panic_after_frames,
                playback_acc: 0.0,
                alg2_acc: 0.0,
                loss_view: side_plots::LossView::default(),
                loss_bounds: None,
                oracle: teleport_core::symmetry::OracleResult {
                    theta: 0.0,
                    grad_norm: 0.0,
                },
                theta_curve: Vec::new(),
                probe: None,
                teleport_quality: None,
                orbit_key: None,
                animation: None,
                animation_dialog: false,
                animation_settings: animation::AnimationSettings::default(),
                animate_request: options.animate.clone(),
                across: across::AcrossRuntime::default(),
                basin: basin::BasinRuntime::default(),
                validation: validation::ValidationRuntime::default(),
                lesson: None,
                lesson_request: options.lesson.clone(),
                inbox: inbox::Inbox::default(),
                shipped_requested: std::collections::HashSet::new(),
            },
            state,
        };
        match &options.scene {
            Some(teleport_core::io::lab::AnyScene::V1(scene)) => app.apply_scene(scene),
            Some(teleport_core::io::lab::AnyScene::V2(lab)) => {
                if let Err(e) = app.apply_lab(lab) {
                    app.rt.notifications.push(Notification {
                        text: format!("Cannot show the lab file: {e}"),
                        error: true,
                        since: 0.0,
                    });
                }
            }
            None => {}
        }
        app.recompute_if_needed();
        app
    }

    /// The app as eframe creates it: the saved state unless `options.fresh`.
    pub fn from_creation_context(cc: &eframe::CreationContext<'_>, options: &Options) -> Self {
        // A light theme reads like a figure and matches exported plots.
        cc.egui_ctx.set_theme(egui::Theme::Light);
        install_fonts(&cc.egui_ctx);
        // Before sessions had a file of their own, eframe's storage held
        // the state: it is the fallback when there is no session file.
        let legacy = cc
            .storage
            .and_then(|s| eframe::get_value::<AppState>(s, STORAGE_KEY));
        Self::launch(options, legacy)
    }

    /// The app with its session: restored from `options.session_dir`
    /// (else `legacy`, else the defaults), saved there as it changes.
    pub fn launch(options: &Options, legacy: Option<AppState>) -> Self {
        let mut restored = session::Restored::default();
        if let Some(dir) = &options.session_dir
            && !options.fresh
        {
            restored = session::restore(dir);
        }
        let saved = if options.fresh {
            None
        } else {
            restored.state.take().or(legacy)
        };
        let state = if options.scene.is_some() {
            AppState::default()
        } else {
            saved.clone().unwrap_or_default()
        };
        let mut app = Self::new(state, options);
        if let Some(model) = restored.live.take() {
            let variant = model.variant();
            app.rt.live = Some(LiveModel {
                variant,
                model: Arc::new(model),
                version: 1,
                generation: 1,
            });
            app.recompute_if_needed();
        }
        for (text, error) in restored.notices {
            app.rt.notifications.push(Notification {
                text,
                error,
                since: 0.0,
            });
        }
        if let Some(dir) = &options.session_dir {
            match session::SessionSaver::start(dir.clone(), saved) {
                Ok(saver) => {
                    if options.hooks {
                        session::flush_on_panic(dir.clone(), saver.flusher());
                        #[cfg(unix)]
                        if let Err(e) = session::flush_on_signals(saver.flusher()) {
                            app.rt.notifications.push(Notification {
                                text: format!("Cannot watch for SIGTERM: {e}"),
                                error: true,
                                since: 0.0,
                            });
                        }
                    }
                    app.rt.session = Some(saver);
                }
                Err(e) => app.rt.notifications.push(Notification {
                    text: format!(
                        "Cannot save the session in {}: {e}. Changes will be lost on exit.",
                        dir.display()
                    ),
                    error: true,
                    since: 0.0,
                }),
            }
        }
        app
    }

    /// Shows a message in the corner.
    pub fn notify(&mut self, ctx: &egui::Context, text: impl Into<String>, error: bool) {
        self.rt.notifications.push(Notification {
            text: text.into(),
            error,
            since: ctx.input(|i| i.time),
        });
    }

    /// Queues an action for the end of the frame.
    pub fn queue(&mut self, action: Action) {
        self.rt.actions.push(action);
    }

    /// Takes a scene's task, start point, steps and optimizer.
    pub fn apply_scene(&mut self, scene: &LoadedScene) {
        let spec = scene.scene.objective.clone();
        self.state.source = TaskSource::Custom(spec.clone());
        self.rt.objective = scene.objective.clone();
        self.rt.draft = spec;
        self.rt.task_error = None;
        self.state.x0 = scene.scene.x0;
        self.state.steps = scene
            .scene
            .steps
            .clamp(*limits::STEPS.start(), *limits::STEPS.end());
        self.state.manual_teleports.clear();
        self.state.playback.t = self.state.playback.t.min(self.state.steps);
        let teleport = scene
            .teleport
            .as_ref()
            .map(state::AppTeleport::from_schedule);
        let kind = EntryKind::Classical {
            spec: scene.scene.optimizer,
            teleport,
        };
        // The scene's optimizer becomes the first, selected row.
        if !matches!(
            scene.scene.optimizer,
            teleport_core::optim::OptimizerSpec::Alg2 { .. }
        ) {
            let same: Vec<RowId> = self
                .state
                .optimizers
                .iter()
                .filter(|e| e.kind == kind)
                .map(|e| e.id)
                .collect();
            for id in same {
                self.state.remove_row(id);
            }
            let id = self.state.add_row(state::OptimizerEntry::new(true, kind));
            let row = self.state.optimizers.pop();
            self.state.optimizers.splice(0..0, row);
            self.state.selected = id;
        }
        self.state.normalize();
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

    /// Gives the classical rows the step sizes that work on `preset` (GD,
    /// with or without teleports; momentum; Adam). Returns whether any
    /// changed.
    pub fn apply_step_sizes(&mut self, preset: Preset) -> bool {
        use teleport_core::optim::OptimizerSpec;
        let s = preset.step_sizes();
        let mut changed = false;
        for row in &mut self.state.optimizers {
            if let EntryKind::Classical { spec, .. } = &mut row.kind {
                let (lr, want) = match spec {
                    OptimizerSpec::Gd { lr } => (lr, s.gd),
                    OptimizerSpec::Momentum { lr, .. } => (lr, s.momentum),
                    OptimizerSpec::Adam { lr, .. } => (lr, s.adam),
                    OptimizerSpec::Newton { .. } | OptimizerSpec::Alg2 { .. } => continue,
                };
                changed |= *lr != want;
                *lr = want;
            }
        }
        changed
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

    fn handle_actions(&mut self, ctx: &egui::Context) {
        let actions = std::mem::take(&mut self.rt.actions);
        for action in actions {
            match action {
                Action::Ui(command) => self.do_command(ctx, command),
                Action::RemoveRow(id) => self.state.remove_row(id),
                Action::AddRow(row) => {
                    self.state.add_row(row);
                }
                Action::ClearTeleports => self.state.manual_teleports.clear(),
                Action::Resample => {
                    let (dist, seed) = match &self.state.source {
                        TaskSource::Sampled { dist, seed } => (*dist, seed.wrapping_add(1)),
                        _ => (teleport_core::objective::TaskDist::ElliVary, 0),
                    };
                    if let Err(e) = self.set_source(TaskSource::Sampled { dist, seed }) {
                        self.notify(ctx, e, true);
                    }
                }
                Action::SetSource(source) => {
                    let preset = match &source {
                        TaskSource::Preset(p) => Some(*p),
                        _ => None,
                    };
                    if let Err(e) = self.set_source(source) {
                        self.notify(ctx, e, true);
                    } else if let Some(p) = preset
                        && self.apply_step_sizes(p)
                    {
                        let s = p.step_sizes();
                        self.notify(
                            ctx,
                            format!(
                                "Step sizes set for {}: GD {}, momentum {}, Adam {}.",
                                p.name(),
                                s.gd,
                                s.momentum,
                                s.adam
                            ),
                            false,
                        );
                    }
                }
                Action::OpenTask(source, x0) => match self.set_source(source) {
                    Ok(()) => {
                        self.state.x0 = x0;
                        self.state.playback.t = 0;
                        self.rt.level_set.reset_view = true;
                    }
                    Err(e) => self.notify(ctx, e, true),
                },
                Action::SetPresenting(on) => self.set_presenting(ctx, on),
            }
        }
    }

    /// File → Reset to defaults: the default demo, keeping the session's
    /// saver and the export settings; egui's memory (open headers, plot
    /// views, window positions) is forgotten too, its options kept.
    fn reset_defaults(&mut self, ctx: &egui::Context) {
        let options = Options::default();
        let export = std::mem::replace(
            &mut self.rt.export,
            export::ExportRuntime::new(PathBuf::new(), false, None),
        );
        let session = self.rt.session.take();
        *self = Self::new(AppState::default(), &options);
        self.rt.export = export;
        self.rt.session = session;
        let egui_options = ctx.options(|o| o.clone());
        ctx.memory_mut(|m| *m = egui::Memory::default());
        ctx.options_mut(|o| *o = egui_options);
        self.notify(ctx, "Settings reset to defaults.", false);
    }

    fn advance_playback(&mut self, ctx: &egui::Context) {
        // Wall time since the last frame, not egui's smoothed frame time
        // (capped at 0.1 s): at 7 frames/s in software rendering, playback
        // keeps the set speed by moving several steps per frame. A gap of
        // over a second (the window was hidden) is not caught up.
        let now = ctx.input(|i| i.time);
        let dt = self
            .rt
            .last_frame_time
            .replace(now)
            .map_or(0.0, |last| (now - last).clamp(0.0, 1.0));
        let p = &mut self.state.playback;
        if p.playing {
            p.t = p.t.min(self.state.steps);
            let total =
                self.rt.playback_acc + dt * limits::clamp_f64(p.speed, &limits::PLAYBACK_SPEED);
            let whole = total.floor();
            self.rt.playback_acc = total - whole;
            p.t = (p.t + whole as usize).min(self.state.steps);
            if p.t >= self.state.steps {
                p.playing = false;
            }
            ctx.request_repaint();
        } else {
            self.rt.playback_acc = 0.0;
        }
        // Algorithm 2's own timeline: 8 steps per second of wall time.
        let a = &mut self.state.alg2;
        if a.playing {
            let total = self.rt.alg2_acc + dt * 8.0;
            let whole = total.floor();
            self.rt.alg2_acc = total - whole;
            a.t = (a.t + whole as usize).min(a.steps);
            if a.t >= a.steps {
                a.playing = false;
            }
            ctx.request_repaint();
        } else {
            self.rt.alg2_acc = 0.0;
        }
    }

    /// The whole UI, without eframe's frame (so benchmarks can drive it).
    pub fn ui_body(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.rt.frames += 1;
        if self.rt.frames == 1 {
            // Ctrl + / Ctrl − / Ctrl 0 go through the command table, which
            // keeps a zoom per mode.
            ctx.options_mut(|o| o.zoom_with_keyboard = false);
            if let Some(dir) = self.rt.lesson_request.take() {
                self.open_lesson(&ctx, &dir);
            }
        }
        self.poll_trainer(&ctx);
        self.take_dropped_files(&ctx);
        self.take_arrivals(&ctx);
        self.request_shipped_models(&ctx);
        if self.rt.animation.is_none() {
            self.shortcuts(&ctx);
            self.presentation_keys(&ctx);
        }
        self.advance_playback(&ctx);
        self.scripted_animation(&ctx);
        self.animation_before_frame(&ctx);
        self.apply_zoom(&ctx);
        self.recompute_if_needed();
        self.update_orbit_cache();

        let recording_plot = self
            .rt
            .animation
            .as_ref()
            .is_some_and(animation::AnimationJob::plot_only);
        if recording_plot {
            // The plot alone fills the window: the frame is the plot.
            self.rt.central_rect = egui::CentralPanel::default()
                .show(ui, |ui| self.level_set_ui(ui))
                .response
                .rect;
        } else if self.state.view.presenting {
            self.presentation_ui(ui);
        } else {
            self.normal_ui(ui);
        }
        if !recording_plot {
            self.prompt_window(&ctx);
            self.notifications_ui(&ctx);
        }
        self.animation_progress_ui(&ctx);

        self.handle_actions(&ctx);
        self.recompute_if_needed();
        self.update_across(&ctx);
        self.update_basin(&ctx);
        self.poll_screenshot(&ctx);
        self.animation_after_frame(&ctx);
        if let Some(saver) = &mut self.rt.session {
            saver.publish(&self.state);
            if let Some(live) = &self.rt.live {
                saver.publish_live(&live.model, live.generation);
            }
        }
        #[cfg(target_arch = "wasm32")]
        self.publish_to_page();
        if self.rt.panic_after_frames == Some(self.rt.frames) {
            panic!("injected UI panic (--inject-panic-after-frames)");
        }
    }

    /// The usual layout: menus, controls, timeline, side plots, the
    /// level-set plot and the floating windows.
    fn normal_ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        egui::Panel::top("menu").show(ui, |ui| self.menu_ui(ui));
        egui::Panel::left("controls")
            .resizable(true)
            .default_size(330.0)
            .size_range(260.0..=600.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| self.controls_ui(ui));
            });
        egui::Panel::bottom("timeline").show(ui, |ui| self.timeline_ui(ui));
        egui::Panel::right("side")
            .resizable(true)
            .default_size(360.0)
            .size_range(260.0..=700.0)
            .show(ui, |ui| self.side_ui(ui));
        self.rt.central_rect = egui::CentralPanel::default()
            .show(ui, |ui| self.level_set_ui(ui))
            .response
            .rect;

        self.floating_windows(&ctx);
        self.animation_window(&ctx);
    }

    /// Finds θ* and the θ curve when the task or the current point changed
    /// (a custom h walks its orbit by Newton's method: not every frame).
    fn update_orbit_cache(&mut self) {
        let x = self.current_point();
        let key = (self.rt.objective.clone(), [x.x, x.y]);
        if self.rt.orbit_key.as_ref() == Some(&key) {
            return;
        }
        self.rt.oracle = teleport_core::symmetry::oracle(&self.rt.objective, &x);
        self.rt.theta_curve = side_plots::theta_curve(&self.rt.objective, &x);
        self.rt.teleport_quality = self.teleport_quality_here();
        self.rt.orbit_key = Some(key);
    }

    /// η of the selected row's teleport at the current step, if it
    /// teleported there.
    fn teleport_quality_here(&self) -> Option<TeleportQuality> {
        let t = self.state.playback.t;
        let run = self.run(self.state.selected)?.shown();
        let r = run.records.get(t).filter(|r| r.teleported)?;
        let (from, theta) = (Vec2::from(r.from?), r.theta?);
        let obj = &self.rt.objective;
        let efficiency = teleport_core::eval::teleport_efficiency(obj, &from, theta)?;
        Some(TeleportQuality {
            theta,
            efficiency,
            landed_norm: obj.grad(&Vec2::from(r.x)).norm(),
        })
    }

    /// The θ plot's curve at the current point.
    pub fn theta_curve(&self) -> Vec<[f64; 2]> {
        self.rt.theta_curve.clone()
    }

    /// Files dropped on the window: scenes and lab files open, weights load
    /// into their learned row.
    fn take_dropped_files(&mut self, ctx: &egui::Context) {
        let dropped = ctx.input(|i| i.raw.dropped_files.clone());
        for file in dropped {
            // The browser reads a file asynchronously; its contents come
            // back through the inbox.
            #[cfg(target_arch = "wasm32")]
            web::read_dropped(ctx, &self.rt.inbox, file);
            #[cfg(not(target_arch = "wasm32"))]
            {
                let path = file.path().to_path_buf();
                if path.as_os_str().is_empty() {
                    continue;
                }
                if path.extension().is_some_and(|e| e == "safetensors") {
                    self.load_weights_from(ctx, &path);
                } else {
                    self.open_file(ctx, &path);
                }
            }
        }
    }

    /// Where the shipped weights are not in the binary (the web), fetches
    /// the models the enabled learned rows need, once each.
    fn request_shipped_models(&mut self, ctx: &egui::Context) {
        if teleport_core::pretrained::EMBEDDED {
            return;
        }
        let family = Family::of(&self.rt.objective);
        let needed: Vec<Variant> = self
            .state
            .optimizers
            .iter()
            .filter(|r| r.enabled)
            .filter_map(|r| match r.kind {
                EntryKind::Learned(v) => Some(v),
                _ => None,
            })
            .filter(|v| !self.rt.pretrained.contains_key(&(*v, family)))
            .collect();
        for variant in needed {
            if self.rt.shipped_requested.insert((variant, family)) {
                #[cfg(target_arch = "wasm32")]
                web::fetch_shipped(ctx, &self.rt.inbox, variant, family);
                #[cfg(not(target_arch = "wasm32"))]
                let _ = ctx;
            }
        }
    }

    /// File → Copy link to this demo: the lab file in the page's address
    /// (`#lab=…`) and on the clipboard.
    fn copy_link(&mut self, ctx: &egui::Context) {
        let json = match self
            .lab_file(false)
            .and_then(|lab| serde_json::to_string(&lab).map_err(|e| e.to_string()))
        {
            Ok(json) => json,
            Err(e) => {
                self.notify(ctx, format!("Cannot make the link: {e}"), true);
                return;
            }
        };
        let fragment = teleport_core::io::link::fragment(&json);
        #[cfg(target_arch = "wasm32")]
        match web::set_fragment(&fragment) {
            Ok(url) => {
                let chars = url.len();
                ctx.copy_text(url);
                self.notify(
                    ctx,
                    format!("Link to this demo copied ({chars} characters); the address bar shows it too."),
                    false,
                );
            }
            Err(e) => self.notify(ctx, format!("Cannot make the link: {e}"), true),
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            ctx.copy_text(format!("#{fragment}"));
            self.notify(
                ctx,
                "The demo's link fragment is on the clipboard (add it to the web app's address).",
                false,
            );
        }
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
        // On the desktop the session has its own file (see `session`) and
        // eframe's storage keeps only the window geometry; the browser's
        // storage is the web's session.
        #[cfg(target_arch = "wasm32")]
        self.save_to_browser(storage);
        #[cfg(not(target_arch = "wasm32"))]
        let _ = storage;
        if let Some(saver) = &self.rt.session {
            saver.flush();
        }
    }

    fn auto_save_interval(&self) -> std::time::Duration {
        // A closed tab gets no last word (see `web::save_to_browser`): save
        // every second there.
        std::time::Duration::from_secs(if cfg!(target_arch = "wasm32") { 1 } else { 30 })
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn on_exit(&mut self) {
        self.shut_down();
    }

    // The web build draws with glow (WebGL 2), whose exit hook gets its
    // context.
    #[cfg(target_arch = "wasm32")]
    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.shut_down();
    }
}

impl TeleportApp {
    /// Stops and joins the training thread, then writes the session. An
    /// unfinished animation is dropped: its encoder sees the channel close
    /// and writes nothing.
    fn shut_down(&mut self) {
        self.rt.animation = None;
        self.rt.training.stop();
        if let Some(saver) = &mut self.rt.session {
            saver.publish(&self.state);
            saver.flush();
        }
        self.rt.session = None;
    }
}

/// Opens the window (the binary's default action).
#[cfg(not(target_arch = "wasm32"))]
pub fn run_native(options: Options) -> Result<(), String> {
    let viewport = egui::ViewportBuilder::default()
        .with_title("teleport-lab")
        .with_inner_size(options.window_size.unwrap_or([1440.0, 900.0]))
        .with_min_inner_size([320.0, 240.0]);
    let native = eframe::NativeOptions {
        viewport,
        persist_window: options.screenshot.is_none()
            && options.animate.is_none()
            && options.window_size.is_none(),
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

/// Where a floating window first opens: each in its own part of the
/// central plot, never over the menus, the side panels or each other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WindowSlot {
    /// Top left of the plot.
    TopLeft,
    /// Top right of the plot.
    TopRight,
    /// Bottom left of the plot.
    BottomLeft,
    /// The middle of the plot.
    Middle,
}

/// A part of the UI drawn by a method of the app: a window's or a section's body.
pub(crate) type UiBody = fn(&mut TeleportApp, &mut egui::Ui);

/// One of the floating windows of the View menu: its title, where it first
/// opens, its size, its flag in [`state::Panels`] and its body.
struct FloatingWindow {
    title: &'static str,
    slot: WindowSlot,
    size: [f32; 2],
    open: fn(&mut state::Panels) -> &mut bool,
    body: UiBody,
    /// Whether the body scrolls (a tall window on a small screen).
    scroll: bool,
}

/// The floating windows, drawn in this order (later ones on top).
const FLOATING_WINDOWS: [FloatingWindow; 5] = [
    FloatingWindow {
        title: "Algorithm 2: learning a rotation on the fly",
        slot: WindowSlot::TopLeft,
        size: [700.0, 420.0],
        open: |p| &mut p.alg2,
        body: TeleportApp::alg2_ui,
        scroll: false,
    },
    FloatingWindow {
        title: "Newton vs teleport (Proposition 4.1)",
        slot: WindowSlot::TopRight,
        size: [420.0, 640.0],
        open: |p| &mut p.newton,
        body: TeleportApp::newton_ui,
        scroll: true,
    },
    FloatingWindow {
        title: "Live meta-training",
        slot: WindowSlot::BottomLeft,
        size: [360.0, 420.0],
        open: |p| &mut p.training,
        body: TeleportApp::training_ui,
        scroll: false,
    },
    FloatingWindow {
        title: "Task gallery",
        slot: WindowSlot::Middle,
        size: [460.0, 470.0],
        open: |p| &mut p.gallery,
        body: TeleportApp::task_gallery_ui,
        scroll: true,
    },
    FloatingWindow {
        title: "Help: shortcuts and a short tour",
        slot: WindowSlot::Middle,
        size: [460.0, 380.0],
        open: |p| &mut p.help,
        body: TeleportApp::help_ui,
        scroll: false,
    },
];

impl TeleportApp {
    /// Shows each of [`FLOATING_WINDOWS`] that is open; closing one clears
    /// its flag.
    fn floating_windows(&mut self, ctx: &egui::Context) {
        for window in &FLOATING_WINDOWS {
            let mut open = *(window.open)(&mut self.state.panels);
            let size = egui::Vec2::from(window.size);
            self.floating_window(window.title, window.slot, size, &mut open)
                .vscroll(window.scroll)
                .show(ctx, |ui| (window.body)(self, ui));
            *(window.open)(&mut self.state.panels) = open;
        }
    }

    /// A floating window that first opens in `slot` of the central plot
    /// (later the user's position is kept).
    pub(crate) fn floating_window<'a>(
        &self,
        title: &'a str,
        slot: WindowSlot,
        size: egui::Vec2,
        open: &'a mut bool,
    ) -> egui::Window<'a> {
        let area = self.rt.central_rect.shrink(12.0);
        let size = size.min(area.size().max(egui::vec2(200.0, 150.0)));
        let pos = match slot {
            WindowSlot::TopLeft => area.left_top(),
            WindowSlot::TopRight => area.right_top() - egui::vec2(size.x, 0.0),
            WindowSlot::BottomLeft => area.left_bottom() - egui::vec2(0.0, size.y),
            WindowSlot::Middle => area.center() - size / 2.0,
        };
        egui::Window::new(title)
            .open(open)
            .default_pos(pos.max(area.left_top()))
            .default_size(size)
    }
}

/// `widget` after the label `text`, which names it for screen readers.
pub(crate) fn labelled(ui: &mut egui::Ui, text: &str, widget: impl egui::Widget) -> egui::Response {
    let label = ui.label(text).id;
    ui.add(widget).labelled_by(label)
}

/// A radio button for each of `choices` (a value and its text), side by
/// side, selecting into `value`.
pub(crate) fn radios<T: PartialEq>(
    ui: &mut egui::Ui,
    value: &mut T,
    choices: impl IntoIterator<Item = (T, &'static str)>,
) {
    ui.horizontal(|ui| {
        for (choice, text) in choices {
            ui.radio_value(value, choice, text);
        }
    });
}

/// Keeps a plot's view one that f64 and the screen can represent. Bounds
/// that are not finite, wider than `max_span`, or narrower than 1e−12 of
/// their magnitude (where neighbouring pixels get the same coordinate) are
/// replaced by `fallback`, or by the automatic bounds when there is none.
/// Called first in a plot's closure, it acts before this frame's zoom and
/// pan, so a wheel or pinch can never carry a view to ±∞ or NaN.
pub(crate) fn keep_view_sane(
    plot_ui: &mut egui_plot::PlotUi<'_>,
    max_span: f64,
    fallback: Option<egui_plot::PlotBounds>,
) {
    if view_is_sane(&plot_ui.plot_bounds(), max_span) {
        return;
    }
    match fallback {
        Some(bounds) => plot_ui.set_plot_bounds(bounds),
        None => plot_ui.set_auto_bounds(true),
    }
}

/// Whether a view is finite, at most `max_span` wide and high, and wide
/// enough for neighbouring pixels to have different coordinates.
pub(crate) fn view_is_sane(b: &egui_plot::PlotBounds, max_span: f64) -> bool {
    let sane = |lo: f64, hi: f64| {
        let span = hi - lo;
        let magnitude = lo.abs().max(hi.abs());
        lo.is_finite() && hi.is_finite() && span <= max_span && span > 1e-12 * magnitude
    };
    sane(b.min()[0], b.max()[0]) && sane(b.min()[1], b.max()[1])
}
