//! The live meta-training window: settings, start/pause/stop, progress with
//! ETA, the meta-loss curve, the weights version, and save/load of weights.

use std::sync::Arc;

use egui::{DragValue, RichText};
use egui_plot::{Line, Plot};

use super::state::{EntryKind, OptimizerEntry};
use super::timeline::{self, Timeline};
use super::trainer::{FaultInjection, Mode, TrainerHandle};
use super::{LiveModel, TeleportApp};
use teleport_core::l2o::{
    MetaOptimizer, ModelConfig, Preprocess, TrainConfig, TrainSetup, Variant,
};
use teleport_core::objective::{TaskDist, Vec2};
use teleport_core::optim::Trajectory;

/// The training thread and what the UI knows of it.
#[derive(Debug, Default)]
pub struct TrainingRuntime {
    /// The running (or finished) training thread.
    pub handle: Option<TrainerHandle>,
    /// Progress of the newest snapshot: done, total.
    pub done: (usize, usize),
    /// The newest snapshot's version.
    pub version: u64,
    /// Seconds of training so far.
    pub elapsed_secs: f64,
    /// Mean loss per trajectory (x = trajectory index).
    pub losses: Vec<[f64; 2]>,
    /// Meta-updates skipped for non-finite values.
    pub skipped: usize,
    /// The last error or divergence message.
    pub problem: Option<String>,
    /// Whether the thread has ended.
    pub finished: bool,
    /// A fault to inject into the next training thread (tests only).
    pub fault: FaultInjection,
    /// Frame timing for a time-sliced trainer (the web's).
    pub slices: super::trainer::SliceClock,
    /// The published versions of this run, to go back to.
    pub(super) timeline: Timeline,
    /// The ghost trails' runs, with what they were computed for.
    ghosts: Option<(GhostKey, Vec<Trajectory>)>,
}

/// What the ghost trails depend on: the versions, the task, x₀ and steps.
#[derive(Clone, Debug, PartialEq)]
struct GhostKey {
    versions: Vec<u64>,
    task: super::state::TaskSource,
    x0: [f64; 2],
    steps: usize,
}

impl TrainingRuntime {
    /// Stops and joins the training thread, if any.
    pub fn stop(&mut self) {
        if let Some(mut h) = self.handle.take() {
            h.stop();
        }
    }

    /// Whether a thread is running.
    pub fn running(&self) -> bool {
        self.handle.as_ref().is_some_and(TrainerHandle::is_running)
    }
}

impl TeleportApp {
    /// The model and training settings from the window's fields.
    pub fn training_configs(&self) -> (ModelConfig, TrainConfig) {
        let s = &self.state.training;
        let (model, mut train) = TrainSetup {
            variant: s.variant,
            hidden: s.hidden,
            preprocess: s.preprocess,
            dist: s.dist,
            seed: s.seed,
            trajectories: s.trajectories,
            steps: s.steps,
            unroll: s.unroll,
        }
        .configs();
        train.meta_lr = match s.variant {
            Variant::LrTeleMomentum => vec![s.meta_lr, 10.0 * s.meta_lr],
            _ => vec![s.meta_lr],
        };
        (model, train)
    }

    /// Starts training with the window's settings (stopping any previous run).
    pub fn start_training(&mut self, ctx: &egui::Context) {
        self.rt.training.stop();
        // One trainer thread at a time: the network's stops too.
        self.rt.network.training.stop();
        let (model, train) = self.training_configs();
        let wake_ctx = ctx.clone();
        let wake: Arc<dyn Fn() + Send + Sync> = Arc::new(move || wake_ctx.request_repaint());
        let fault = self.rt.training.fault;
        match TrainerHandle::spawn(model, train.clone(), None, wake, fault, Mode::Auto) {
            Ok(handle) => {
                self.rt.training = TrainingRuntime {
                    handle: Some(handle),
                    done: (0, train.trajectories),
                    fault,
                    ..TrainingRuntime::default()
                };
                // The model being trained gets a row of its own.
                self.show_live_row(self.state.training.variant);
                let (dist, steps) = (self.state.training.dist, self.state.training.steps);
                self.rt.validation.start(dist, steps);
            }
            Err(e) => self.notify(ctx, format!("Cannot start training: {e}"), true),
        }
    }

    /// Enables the live row of `variant`, adding it (and turning off live
    /// rows of other variants, whose model is gone) when there is none.
    pub fn show_live_row(&mut self, variant: Variant) {
        let live = EntryKind::Live(variant);
        for row in &mut self.state.optimizers {
            if let EntryKind::Live(_) = row.kind {
                row.enabled = row.kind == live;
            }
        }
        if !self.state.optimizers.iter().any(|r| r.kind == live) {
            self.state.add_row(OptimizerEntry::new(true, live));
        }
    }

    /// Takes the trainer's newest snapshot, if any (never waits). A
    /// time-sliced trainer (the web's) trains its slice here first.
    pub(super) fn poll_trainer(&mut self, ctx: &egui::Context) {
        let rt = &mut self.rt.training;
        if let Some(handle) = &mut rt.handle
            && handle.is_sliced()
        {
            let started = web_time::Instant::now();
            if handle.pump(rt.slices.budget()) {
                rt.slices.record(started, started.elapsed());
                ctx.request_repaint();
            } else {
                rt.slices.reset();
            }
        }
        self.rt.validation.poll(ctx);
        // Every good version published goes on the timeline, even those a
        // slow frame never saw as the newest.
        if let Some(handle) = &self.rt.training.handle {
            for v in handle.take_published() {
                let timeline = &mut self.rt.training.timeline;
                timeline.push(v.version, v.trajectories, v.model);
            }
        }
        let Some(snapshot) = self
            .rt
            .training
            .handle
            .as_ref()
            .and_then(TrainerHandle::take_latest)
        else {
            return;
        };
        let rt = &mut self.rt.training;
        rt.done = (
            snapshot.progress.trajectories_done,
            snapshot.progress.trajectories_total,
        );
        rt.version = snapshot.version;
        rt.elapsed_secs = snapshot.elapsed_secs;
        rt.skipped = snapshot.progress.skipped_nonfinite + snapshot.progress.skipped_explode;
        rt.losses = snapshot
            .progress
            .loss_history
            .iter()
            .enumerate()
            .filter(|(_, l)| l.is_finite())
            .map(|(i, l)| [i as f64 + 1.0, l.max(1e-300).log10()])
            .collect();
        rt.finished = snapshot.finished;
        if snapshot.healthy && snapshot.error.is_none() {
            let done = snapshot.progress.trajectories_done;
            self.rt.validation.submit(done, Arc::clone(&snapshot.model));
        }
        let rt = &mut self.rt.training;
        let variant = snapshot.model.variant();
        let mut message = None;
        if let Some(e) = &snapshot.error {
            rt.problem = Some(e.clone());
            message = Some((
                format!("{e}. The last good weights stay in use; you can start again."),
                true,
            ));
        } else if !snapshot.healthy {
            let text = "Training produced non-finite weights; the last good weights stay in use."
                .to_owned();
            rt.problem = Some(text.clone());
            message = Some((text, true));
        } else if snapshot.finished {
            message = Some((
                format!("Training finished: {} trajectories.", rt.done.0),
                false,
            ));
        }
        // The app shows the newest version unless the user went back to an
        // earlier one on the timeline.
        if rt.timeline.follows_newest() {
            self.show_model(variant, snapshot.model, snapshot.version);
        }
        if let Some((text, error)) = message {
            self.notify(ctx, text, error);
        }
    }

    pub(super) fn training_ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        let running = self.rt.training.running();
        ui.add_enabled_ui(!running, |ui| {
            let s = &mut self.state.training;
            egui::Grid::new("train-settings").num_columns(2).show(ui, |ui| {
                ui.label("variant");
                let tip = "Which meta-optimizer to train (Algorithm 1; Algorithm 3 for momentum).";
                choice(ui, "train-variant", &mut s.variant, Variant::ALL, Variant::label, tip);
                ui.end_row();
                ui.label("tasks");
                let tip = "The task distribution T that (f, x₀) are drawn from.";
                choice(ui, "train-dist", &mut s.dist, TaskDist::ALL, TaskDist::name, tip);
                ui.end_row();
                ui.label("trajectories R");
                ui.add(DragValue::new(&mut s.trajectories).range(1..=1_000_000))
                    .on_hover_text("Training runs, each a new task.");
                ui.end_row();
                ui.label("steps N / unroll T");
                ui.horizontal(|ui| {
                    ui.add(DragValue::new(&mut s.steps).range(1..=1000)).on_hover_text("Optimizee steps per run.");
                    ui.add(DragValue::new(&mut s.unroll).range(1..=100)).on_hover_text("A meta-update every T steps.");
                });
                ui.end_row();
                ui.label("hidden H");
                ui.add(DragValue::new(&mut s.hidden).range(4..=512)).on_hover_text("LSTM hidden size of both cells.");
                ui.end_row();
                ui.label("meta lr");
                ui.add(DragValue::new(&mut s.meta_lr).speed(1e-5).range(1e-6..=1e-1))
                    .on_hover_text("Adam's learning rate on the LSTM weights (m2 of the momentum variant uses 10×).");
                ui.end_row();
                ui.label("inputs");
                let inputs = [(Preprocess::Raw, "raw ∇f"), (Preprocess::LogSign, "log/sign")];
                super::radios(ui, &mut s.preprocess, inputs);
                ui.end_row();
                ui.label("seed");
                ui.add(DragValue::new(&mut s.seed)).on_hover_text("Same seed, same weights.");
                ui.end_row();
            });
        });
        ui.horizontal(|ui| {
            if !running {
                if ui
                    .button("▶ Start")
                    .on_hover_text("Train on a background thread.")
                    .clicked()
                {
                    self.start_training(&ctx);
                }
            } else if let Some(h) = &self.rt.training.handle {
                let paused = h.is_paused();
                if ui
                    .button(if paused { "▶ Resume" } else { "|| Pause" })
                    .clicked()
                {
                    h.set_paused(!paused);
                }
                if ui
                    .button("■ Stop")
                    .on_hover_text("Stop after the current meta-update; keep the weights.")
                    .clicked()
                {
                    self.rt.training.stop();
                    self.rt.training.finished = true;
                }
            }
            if ui
                .button("Save weights…")
                .on_hover_text("Write the live weights as safetensors.")
                .clicked()
            {
                self.save_weights(&ctx);
            }
            if ui
                .button("Load weights…")
                .on_hover_text("Use weights from a safetensors file.")
                .clicked()
            {
                self.load_weights(&ctx);
            }
        });
        let t = &self.rt.training;
        let (done, total) = t.done;
        if total > 0 {
            let fraction = done as f32 / total as f32;
            let eta = if done > 0 && !t.finished {
                let secs = t.elapsed_secs * (total - done) as f64 / done as f64;
                format!(", ETA {secs:.0} s")
            } else {
                String::new()
            };
            ui.add(
                egui::ProgressBar::new(fraction).text(format!("{done}/{total} trajectories{eta}")),
            );
        }
        ui.label(format!(
            "weights version {}   skipped updates {}   {:.1} s",
            t.version, t.skipped, t.elapsed_secs
        ));
        if let Some(p) = &t.problem {
            ui.label(RichText::new(p).color(ui.visuals().error_fg_color));
        }
        self.timeline_scrubber_ui(ui);
        let t = &self.rt.training;
        let pinned_at = (!t.timeline.follows_newest())
            .then(|| t.timeline.shown().map(|v| v.trajectories as f64))
            .flatten();
        let losses = t.losses.clone();
        ui.horizontal(|ui| {
            let smoothing = egui::Slider::new(&mut self.state.training.smoothing, 0.0..=0.99);
            super::labelled(ui, "smoothing", smoothing).on_hover_text(
                "TensorBoard's smoothing of the meta-loss: an exponential moving average \
                     of log10 loss with this weight, debiased at the start; the raw losses stay \
                     drawn faintly.",
            );
        });
        let logs: Vec<f64> = losses.iter().map(|p| p[1]).collect();
        let smoothed: Vec<[f64; 2]> = losses
            .iter()
            .zip(teleport_core::stats::ema(
                &logs,
                self.state.training.smoothing,
            ))
            .map(|(p, s)| [p[0], s])
            .collect();
        let validation = self.rt.validation.points.clone();
        let color = ui.visuals().text_color();
        let validation_name = format!(
            "validation: median f after N steps, {} held-out tasks",
            super::validation::VALIDATION_TASKS
        );
        super::axes::Ticks::apply(
            Plot::new("meta-loss"),
            super::axes::Ticks::Linear,
            super::axes::Ticks::Log10,
        )
        .height(160.0)
        .x_axis_label("trajectory")
        .legend(egui_plot::Legend::default().position(egui_plot::Corner::RightTop))
        .show(ui, |plot_ui| {
            super::keep_view_sane(plot_ui, 1e12, None);
            plot_ui.line(
                Line::new("mean unroll loss (raw)", losses).color(color.gamma_multiply(0.25)),
            );
            plot_ui.line(
                Line::new("mean unroll loss (smoothed)", smoothed)
                    .color(egui::Color32::from_rgb(31, 119, 180))
                    .width(2.0),
            );
            plot_ui.line(
                Line::new(validation_name.clone(), validation.clone())
                    .color(egui::Color32::from_rgb(214, 39, 40))
                    .width(2.0),
            );
            plot_ui.points(
                egui_plot::Points::new(validation_name, validation)
                    .color(egui::Color32::from_rgb(214, 39, 40))
                    .radius(2.5),
            );
            if let Some(x) = pinned_at {
                plot_ui.vline(egui_plot::VLine::new("version shown", x).color(color));
            }
        });
        if self.rt.validation.skipped > 0 {
            ui.label(
                RichText::new(format!(
                    "{} snapshots not validated (the validation thread was behind)",
                    self.rt.validation.skipped
                ))
                .weak(),
            );
        }
        if self.rt.training.running() {
            // Keep the ETA ticking even between snapshots.
            ctx.request_repaint_after(std::time::Duration::from_millis(250));
        }
    }

    /// Makes `model` the live model: the live rows, across-tasks bands and
    /// basin maps follow it (its generation is new).
    fn show_model(&mut self, variant: Variant, model: Arc<MetaOptimizer<f32>>, version: u64) {
        let generation = self.rt.live.as_ref().map_or(1, |l| l.generation + 1);
        self.rt.live = Some(LiveModel {
            variant,
            model,
            version,
            generation,
        });
    }

    /// The training timeline: the versions kept and the one shown.
    pub fn training_timeline(&self) -> &Timeline {
        &self.rt.training.timeline
    }

    /// Shows version `index` of the training timeline (the newest follows
    /// new versions as training publishes them).
    pub fn show_training_version(&mut self, index: usize) {
        let Some(v) = self.rt.training.timeline.show(index).cloned() else {
            return;
        };
        if self
            .rt
            .live
            .as_ref()
            .is_some_and(|l| Arc::ptr_eq(&l.model, &v.model))
        {
            return;
        }
        self.show_model(v.model.variant(), v.model, v.version);
    }

    /// The runs of the versions before the one shown (oldest first), from
    /// the current x₀ on the current task, when a live row shows: the ghost
    /// trails. Computed again only when a version, the task, x₀ or the
    /// steps change.
    pub fn ghost_runs(&mut self) -> &[Trajectory] {
        let live_row_on = self.shown_live_row().is_some();
        let ghosts = self.rt.training.timeline.ghosts();
        if !(self.state.training.ghosts && live_row_on) || ghosts.is_empty() {
            self.rt.training.ghosts = None;
            return &[];
        }
        let key = GhostKey {
            versions: ghosts.iter().map(|v| v.version).collect(),
            task: self.state.source.clone(),
            x0: self.state.x0,
            steps: self.state.steps,
        };
        let fresh = matches!(&self.rt.training.ghosts, Some((k, _)) if *k == key);
        if !fresh {
            let x0 = Vec2::from(self.state.x0);
            let runs = ghosts
                .iter()
                .map(|v| v.model.trajectory(&self.rt.objective, x0, self.state.steps))
                .collect();
            self.rt.training.ghosts = Some((key, runs));
        }
        self.rt
            .training
            .ghosts
            .as_ref()
            .map_or(&[], |(_, runs)| runs)
    }

    /// The enabled row that runs the live model, if any.
    pub(super) fn shown_live_row(&self) -> Option<&OptimizerEntry> {
        let live = EntryKind::Live(self.rt.live.as_ref()?.variant);
        self.state
            .optimizers
            .iter()
            .find(|r| r.enabled && r.kind == live)
    }

    /// The timeline's scrubber: which kept version the app shows.
    fn timeline_scrubber_ui(&mut self, ui: &mut egui::Ui) {
        let t = &self.rt.training.timeline;
        let (Some(shown), n) = (t.shown_index(), t.versions().len()) else {
            return;
        };
        if n < 2 {
            return;
        }
        let mut index = shown;
        ui.horizontal(|ui| {
            let slider = egui::Slider::new(&mut index, 0..=n - 1).show_value(false);
            super::labelled(ui, "version shown", slider).on_hover_text(
                "Go back to an earlier version of the weights, during training or after: \
                 the live row, its across-tasks band and its basin map follow.",
            );
            if let Some(v) = t.versions().get(index) {
                ui.label(format!("v{} · {} trajectories", v.version, v.trajectories));
            }
            if !t.follows_newest()
                && ui
                    .button("newest")
                    .on_hover_text("Show the newest version and follow training again.")
                    .clicked()
            {
                index = n - 1;
            }
        });
        ui.horizontal(|ui| {
            ui.checkbox(&mut self.state.training.ghosts, "ghost trails")
                .on_hover_text(format!(
                    "Draw the live row's runs with the {} versions before the one shown, fading.",
                    timeline::GHOSTS
                ));
            let t = &self.rt.training.timeline;
            let thinned = match t.stride() {
                1 => String::new(),
                k => format!(", now one in {k}"),
            };
            ui.label(
                RichText::new(format!(
                    "{n} versions kept (at most {}, thinned evenly{thinned}) · {:.1} MB",
                    timeline::CAPACITY + 1,
                    t.bytes() as f64 / (1 << 20) as f64
                ))
                .weak(),
            )
            .on_hover_text(
                "Every good version the trainer published (five a second at most), \
                 each with its weights; past the bound every other one goes.",
            );
        });
        if index != shown {
            self.show_training_version(index);
        }
    }

    fn save_weights(&mut self, ctx: &egui::Context) {
        let Some(live) = self.rt.live.clone() else {
            self.notify(
                ctx,
                "No live-trained weights yet: start training first.",
                true,
            );
            return;
        };
        let name = format!("{}-live.safetensors", live.variant);
        let info = teleport_core::io::weights::WeightsInfo {
            train: Some(self.training_configs().1),
            // The version on screen: an earlier one when the timeline
            // was scrubbed back.
            trajectories_trained: self
                .rt
                .training
                .timeline
                .shown()
                .filter(|v| Arc::ptr_eq(&v.model, &live.model))
                .map_or(self.rt.training.done.0, |v| v.trajectories),
        };
        match teleport_core::io::weights::to_bytes(&live.model, &info) {
            Ok(bytes) => {
                self.save_bytes(ctx, &name, "safetensors", &bytes, "the weights", false);
            }
            Err(e) => self.notify(ctx, format!("Cannot save weights: {e}"), true),
        }
    }

    fn load_weights(&mut self, ctx: &egui::Context) {
        let kind = super::export::PromptKind::Weights;
        self.ask_for_file(ctx, "safetensors", kind, Self::load_weights_from);
    }

    /// Loads weights from a file as the live model; a bad file changes nothing.
    pub fn load_weights_from(&mut self, ctx: &egui::Context, path: &std::path::Path) {
        match teleport_core::io::weights::load(path) {
            Ok((model, _)) => self.set_live_model(ctx, model, &path.display().to_string()),
            // A network's optimizer: its own loader reads it.
            Err(e) if super::network::training::is_network_weights(&e.to_string()) => {
                self.load_network_weights_from(ctx, path);
            }
            Err(e) => self.notify(ctx, format!("Cannot load {}: {e}", path.display()), true),
        }
    }

    /// Loads weights from a file's contents (picked or dropped in the
    /// browser) as the live model; bad contents change nothing.
    pub fn load_weights_bytes(&mut self, ctx: &egui::Context, name: &str, bytes: &[u8]) {
        let limit = teleport_core::io::weights::MAX_WEIGHTS_BYTES;
        if bytes.len() as u64 > limit {
            let mb = limit >> 20;
            self.notify(
                ctx,
                format!("Cannot load {name}: larger than {mb} MB"),
                true,
            );
            return;
        }
        match teleport_core::io::weights::from_bytes(bytes) {
            Ok((model, _)) => self.set_live_model(ctx, model, name),
            Err(e) if super::network::training::is_network_weights(&e.to_string()) => {
                self.load_network_weights_bytes(ctx, name, bytes);
            }
            Err(e) => self.notify(ctx, format!("Cannot load {name}: {e}"), true),
        }
    }

    fn set_live_model(&mut self, ctx: &egui::Context, model: MetaOptimizer<f32>, from: &str) {
        let variant = model.variant();
        self.rt.training.stop();
        // Loaded weights are not a version of the last training run.
        self.rt.training.timeline = Timeline::default();
        let version = self.rt.live.as_ref().map_or(1, |l| l.version + 1);
        self.show_model(variant, Arc::new(model), version);
        self.show_live_row(variant);
        self.notify(ctx, format!("Loaded {variant} weights from {from}"), false);
    }
}

/// A combo box that sets `value` to one of `options`, each shown as `text(option)`.
fn choice<T: Copy + PartialEq>(
    ui: &mut egui::Ui,
    id: &str,
    value: &mut T,
    options: impl IntoIterator<Item = T>,
    text: fn(T) -> &'static str,
    tip: &str,
) {
    egui::ComboBox::from_id_salt(id)
        .selected_text(text(*value))
        .show_ui(ui, |ui| {
            for option in options {
                ui.selectable_value(value, option, text(option));
            }
        })
        .response
        .on_hover_text(tip);
}
