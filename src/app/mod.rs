//! The desktop lab: one eframe window over the math core.
//!
//! [`TeleportApp`] holds the persisted [`AppState`] and a runtime part
//! (caches, the background trainer and workers, notifications, pending
//! exports). This file is the frame: [`TeleportApp::ui_body`] takes what
//! arrived, advances playback, recomputes what changed, lays the views out
//! and handles the frame's [`Action`]s at its end. Views live one per file
//! and draw with `*_ui(&mut self, ui)` methods; starting the app is in
//! `launch`, eframe's glue in `shell`, what tests see in `inspect`.

pub mod across;
mod alg2_view;
pub mod animation;
mod axes;
pub mod basin;
pub mod commands;
mod controls;
pub mod export;
mod fonts;
pub mod gallery;
mod help;
pub mod history;
pub mod inbox;
mod inspect;
pub mod job;
pub mod lab;
mod launch;
mod legend;
mod level_set;
pub mod network;
mod newton_view;
mod notify;
mod orbit;
mod palette;
pub mod panes;
pub mod plot_animation;
pub mod plot_export;
pub mod presentation;
mod runs;
pub mod session;
mod shell;
pub mod side_plots;
pub mod state;
pub mod surface;
mod task;
pub mod timeline;
pub mod trainer;
mod training_view;
pub mod validation;
#[cfg(target_arch = "wasm32")]
pub mod web;
mod widgets;

pub use fonts::install_fonts;
pub use launch::objective_of;
pub use palette::{COLORS, color, row_color};
pub use shell::export_dialogs_available;
#[cfg(not(target_arch = "wasm32"))]
pub use shell::run_native;
pub use widgets::wrap_angle;
pub(crate) use widgets::{UiBody, keep_view_sane, labelled, radios, view_is_sane};

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use commands::UiCommand;
pub use runs::RunResult;
pub use state::AppState;
use state::{RowId, TaskSource};
use teleport_core::io::scene::ObjectiveSpec;
use teleport_core::l2o::{MetaOptimizer, Variant};
use teleport_core::limits;
use teleport_core::objective::Objective;
use teleport_core::pretrained::Family;

/// Below this width (points) the app is laid out for a phone: the plot
/// first and full width, the controls a drawer, the other plots below.
pub const NARROW_POINTS: f32 = 600.0;

/// The key under which eframe stores the state.
pub const STORAGE_KEY: &str = "teleport-lab-state";

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
    pretrained: launch::Pretrained,
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
    /// Whether the controls drawer is open (narrow screens).
    controls_open: bool,
    /// The tiles on a phone: stacked, not saved.
    stacked_layout: panes::Layout,
    /// Undo and redo of the demo.
    history: history::History,
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
    /// The step and playing flag before the last click on the loss plot
    /// moved them: the click that starts a double-click is taken back.
    loss_before_click: Option<(usize, bool)>,
    /// The loss plot's view in the last frame (step, log₁₀ f).
    loss_bounds: Option<egui_plot::PlotBounds>,
    /// The trained horizon of weights that came with lab files or from a
    /// file, by source, when the file says how they were trained.
    model_horizons: HashMap<String, usize>,
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
    /// The plot's animation being drawn without a window.
    plot_animation: Option<plot_animation::PlotAnimation>,
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
    /// The lesson the web page builds with Add to lesson (lab files' JSON).
    page_lesson: Vec<String>,
    /// The lesson being presented.
    lesson: Option<presentation::Lesson>,
    /// `--lesson`, opened at the first frame.
    lesson_request: Option<PathBuf>,
    /// Files and links that arrived between frames (the web build).
    inbox: inbox::Inbox,
    /// Shipped models already asked for (the web fetches them on demand).
    shipped_requested: std::collections::HashSet<(Variant, Family)>,
    /// The 3D surface pane's mesh and last scene.
    surface: surface::SurfaceRuntime,
    /// What the app computed for the network task.
    network: network::NetRuntime,
}

/// The app.
pub struct TeleportApp {
    /// Saved between runs.
    pub state: AppState,
    /// Not saved.
    rt: Runtime,
}

impl TeleportApp {
    /// Queues an action for the end of the frame.
    pub fn queue(&mut self, action: Action) {
        self.rt.actions.push(action);
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
                        continue;
                    }
                    // A preset opens as a slide: its story as the caption.
                    if let Some(p) = preset
                        && self.state.caption.is_none()
                    {
                        self.state.caption = Some(task::preset_story(p).to_owned());
                    }
                    if let Some(p) = preset
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
    /// saver, the export settings, the undo history and the models (so
    /// that Undo brings the demo back whole); egui's memory (open headers,
    /// plot views) is forgotten too, its options kept.
    fn reset_defaults(&mut self, ctx: &egui::Context) {
        let options = Options::default();
        let export = std::mem::replace(
            &mut self.rt.export,
            export::ExportRuntime::new(PathBuf::new(), false, None),
        );
        let session = self.rt.session.take();
        let history = std::mem::replace(&mut self.rt.history, history::History::new(&self.state));
        let models = std::mem::take(&mut self.rt.models);
        let live = self.rt.live.take();
        *self = Self::new(AppState::default(), &options);
        self.rt.export = export;
        self.rt.session = session;
        self.rt.history = history;
        self.rt.models = models;
        self.rt.live = live;
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
        self.update_network(&ctx);
        self.update_orbit_cache();

        if self.state.view.presenting {
            self.presentation_ui(ui);
        } else {
            self.normal_ui(ui);
        }
        self.prompt_window(&ctx);
        self.notifications_ui(&ctx);
        self.animation_progress_ui(&ctx);
        self.poll_plot_animation(&ctx);
        self.plot_animation_progress_ui(&ctx);

        self.handle_actions(&ctx);
        let (now, pointer_down) = ctx.input(|i| (i.time, i.pointer.any_down()));
        let typing = ctx.egui_wants_keyboard_input();
        self.settle_layout();
        self.rt.history.feed(&self.state, now, pointer_down, typing);
        self.recompute_if_needed();
        self.prune_network_runs();
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

    /// The usual layout: menus, controls and the timeline around the
    /// docked tiles (the plots and the open instruments).
    fn normal_ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        let width = ui.available_width();
        let narrow = width < NARROW_POINTS;
        egui::Panel::top("menu").show(ui, |ui| self.menu_ui(ui));
        // The plot is the subject: the controls take at most a quarter of a
        // small screen, and on a phone they are a drawer (☰ in the menu)
        // that takes the screen while it is open.
        if narrow && self.rt.controls_open {
            egui::CentralPanel::default().show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| self.controls_ui(ui));
            });
            self.animation_window(&ctx);
            return;
        }
        if !narrow {
            egui::Panel::left("controls")
                .resizable(true)
                .default_size((width * 0.24).clamp(220.0, 330.0))
                .size_range(200.0..=600.0)
                .show(ui, |ui| {
                    egui::ScrollArea::vertical().show(ui, |ui| self.controls_ui(ui));
                });
        }
        egui::Panel::bottom("timeline").show(ui, |ui| self.timeline_ui(ui));
        egui::CentralPanel::default()
            .frame(egui::Frame::central_panel(ui.style()).inner_margin(2.0))
            .show(ui, |ui| self.layout_ui(ui));
        self.animation_window(&ctx);
    }
}
