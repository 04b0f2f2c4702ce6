//! Live meta-training of the networks' coordinate-wise optimizers
//! (`cw-l2o`, `cw-l2o-tele`): [`NetTrainer`] on the app's named `trainer`
//! thread ([`TrainerHandle`], the plane's trainer's), publishing snapshots
//! onto the same kind of timeline, with a validation curve (the median
//! `f` after `N` steps on [`teleport_core::net::train::VALIDATION_TASKS`]
//! held-out tasks, on a `validation` worker) and weights files
//! ([`teleport_core::io::net_weights`]). The live model gets a row of its
//! own (`CW-L2O + teleport — live`) whose run follows the version shown.
//!
//! The task distribution is the network on screen: its layers, activation
//! and number of points (at most [`MAX_TRAINING_POINTS`]), data of its
//! kind or of the four default kinds, noise and seeds drawn.

use std::collections::VecDeque;
use std::sync::Arc;

use egui::{DragValue, RichText};
use egui_plot::{Line, Plot};

use teleport_core::net::NetTask;
use teleport_core::net::data::Generator;
use teleport_core::net::learned::{CwConfig, CwModel, CwVariant};
use teleport_core::net::train::{
    DEFAULT_KINDS, NetTaskDist, NetTrainConfig, NetTrainer, median_final_loss_learned,
    validation_tasks,
};

use super::NetLive;
use super::state::{NetData, NetRow, NetRowKind};
use crate::app::TeleportApp;
use crate::app::job::{Step, Worker};
use crate::app::timeline::Timeline;
use crate::app::trainer::{FaultInjection, Mode, TrainerHandle};

/// The most points a training task draws: the trainer runs every task's
/// full batch at every step.
pub const MAX_TRAINING_POINTS: usize = 1000;

/// Snapshots queued for validation before further ones are skipped.
const QUEUE: usize = 8;

/// The validation worker and its curve.
pub struct NetValidation {
    worker: Worker<[f64; 2]>,
    queue: VecDeque<(usize, Arc<CwModel<f32>>)>,
    tasks: Option<(Arc<Vec<NetTask>>, usize)>,
    /// `[trajectories trained, log₁₀ median f]` per validated snapshot.
    pub points: Vec<[f64; 2]>,
    /// Snapshots not validated because the worker was behind.
    pub skipped: usize,
}

impl Default for NetValidation {
    fn default() -> Self {
        Self {
            worker: Worker::new("validation"),
            queue: VecDeque::new(),
            tasks: None,
            points: Vec::new(),
            skipped: 0,
        }
    }
}

impl NetValidation {
    fn start(&mut self, dist: &NetTaskDist, steps: usize) {
        self.worker.cancel();
        self.queue.clear();
        self.points.clear();
        self.skipped = 0;
        self.tasks = Some((Arc::new(validation_tasks(dist)), steps));
    }

    fn submit(&mut self, trajectories: usize, model: Arc<CwModel<f32>>) {
        if self.queue.len() >= QUEUE {
            self.skipped += 1;
        } else {
            self.queue.push_back((trajectories, model));
        }
    }

    fn poll(&mut self, ctx: &egui::Context) {
        self.points.extend(self.worker.poll());
        if self.worker.busy() {
            return;
        }
        let (Some((tasks, steps)), Some((done, model))) = (&self.tasks, self.queue.pop_front())
        else {
            return;
        };
        let (tasks, steps) = (Arc::clone(tasks), *steps);
        let started = self.worker.start(ctx, move |sink| {
            let median = median_final_loss_learned(&model, &tasks, steps);
            sink.send([done as f64, median.max(1e-300).log10()]);
            Step::Done
        });
        if started.is_err() {
            self.skipped += 1;
        }
        self.points.extend(self.worker.poll());
    }

    /// Whether snapshots are still being validated.
    pub fn pending(&self) -> bool {
        self.worker.busy() || !self.queue.is_empty()
    }
}

/// The training thread and what the UI knows of it.
#[derive(Default)]
pub struct NetTraining {
    /// The running (or finished) training.
    pub handle: Option<TrainerHandle<NetTrainer>>,
    /// Trajectories done and in all.
    pub done: (usize, usize),
    /// The newest snapshot's version.
    pub version: u64,
    /// Seconds of training.
    pub elapsed_secs: f64,
    /// `[trajectory, log₁₀ mean unroll loss]`.
    pub losses: Vec<[f64; 2]>,
    /// Meta-updates skipped for non-finite values.
    pub skipped: usize,
    /// The last problem.
    pub problem: Option<String>,
    /// Whether training has ended.
    pub finished: bool,
    /// The published versions.
    pub timeline: Timeline<CwModel<f32>>,
    /// The validation curve.
    pub validation: NetValidation,
    /// A fault to inject into the next training (tests).
    pub fault: FaultInjection,
}

impl NetTraining {
    /// Whether training is going (paused counts).
    pub fn running(&self) -> bool {
        self.handle.as_ref().is_some_and(TrainerHandle::is_running)
    }

    /// Stops and joins the training thread.
    pub fn stop(&mut self) {
        if let Some(mut h) = self.handle.take() {
            h.stop();
        }
    }
}

/// Whether a weights error of the plane's loader says the file holds a
/// network's coordinate-wise optimizer (which its own loader reads).
pub fn is_network_weights(error: &str) -> bool {
    error.contains(&format!("`{}`", teleport_core::io::net_weights::FORMAT))
}

impl TeleportApp {
    /// The task distribution and the trainer's settings from the training
    /// settings and the network on screen.
    pub fn net_training_configs(&self) -> (CwConfig, NetTrainConfig) {
        let s = &self.state.network.training;
        let task = &self.state.network.task;
        let (kinds, points) = match &task.data {
            NetData::Generated { kind, points, .. } => {
                let kinds = if s.this_kind_only {
                    vec![*kind]
                } else {
                    DEFAULT_KINDS.to_vec()
                };
                (kinds, *points)
            }
            NetData::Csv { .. } => (DEFAULT_KINDS.to_vec(), 200),
        };
        let spec = task.spec();
        let dist = NetTaskDist {
            kinds,
            points: points.clamp(teleport_core::net::data::MIN_POINTS, MAX_TRAINING_POINTS),
            noise_factor: [0.5, 1.5],
            hidden: task.hidden.clone(),
            activation: spec.activation,
            slope: spec.slope,
        };
        let mut config = NetTrainConfig::new(s.seed);
        config.dist = dist;
        config.trajectories = s.trajectories;
        config.steps = s.steps;
        config.unroll = s.unroll.min(s.steps.max(1));
        config.meta_lr = s.meta_lr;
        let mut model = CwConfig::new(s.variant);
        model.hidden = s.hidden;
        (model, config)
    }

    /// Starts training with the settings (stopping any training, the
    /// plane's too: one trainer thread at a time).
    pub fn start_net_training(&mut self, ctx: &egui::Context) {
        self.rt.network.training.stop();
        self.rt.training.stop();
        let (model, config) = self.net_training_configs();
        let trainer = match NetTrainer::new(model, config.clone()) {
            Ok(t) => t,
            Err(e) => {
                self.notify(ctx, format!("Cannot start training: {e}"), true);
                return;
            }
        };
        let wake_ctx = ctx.clone();
        let wake: Arc<dyn Fn() + Send + Sync> = Arc::new(move || wake_ctx.request_repaint());
        let fault = self.rt.network.training.fault;
        match TrainerHandle::spawn_trainer(trainer, wake, fault, Mode::Auto) {
            Ok(handle) => {
                let mut validation = std::mem::take(&mut self.rt.network.training.validation);
                validation.start(&config.dist, config.steps);
                self.rt.network.training = NetTraining {
                    handle: Some(handle),
                    done: (0, config.trajectories),
                    fault,
                    validation,
                    ..NetTraining::default()
                };
                self.show_net_live_row(self.state.network.training.variant);
            }
            Err(e) => self.notify(ctx, format!("Cannot start training: {e}"), true),
        }
    }

    /// Enables the live row of `variant` (adding one when there is none)
    /// and turns off live rows of the other variant.
    pub fn show_net_live_row(&mut self, variant: CwVariant) {
        let live = NetRowKind::Live(variant);
        let net = &mut self.state.network;
        for row in &mut net.rows {
            if let NetRowKind::Live(_) = row.kind {
                row.enabled = row.kind == live;
            }
        }
        if !net.rows.iter().any(|r| r.kind == live) {
            net.add_row(NetRow::new(true, live, None));
        }
    }

    fn show_net_model(&mut self, model: Arc<CwModel<f32>>, version: u64) {
        let generation = {
            let net = &mut self.rt.network;
            net.generations += 1;
            net.generations
        };
        self.rt.network.live = Some(NetLive {
            variant: model.variant(),
            model,
            version,
            generation,
        });
    }

    /// Takes the trainer's newest snapshot, if any (never waits).
    pub(super) fn poll_net_training(&mut self, ctx: &egui::Context) {
        let t = &mut self.rt.network.training;
        if let Some(handle) = &mut t.handle
            && handle.is_sliced()
            && handle.pump(std::time::Duration::from_millis(8))
        {
            ctx.request_repaint();
        }
        t.validation.poll(ctx);
        if let Some(handle) = &t.handle {
            for v in handle.take_published() {
                t.timeline.push(v.version, v.trajectories, v.model);
            }
        }
        let Some(snapshot) = t.handle.as_ref().and_then(TrainerHandle::take_latest) else {
            return;
        };
        t.done = (
            snapshot.progress.trajectories_done,
            snapshot.progress.trajectories_total,
        );
        t.version = snapshot.version;
        t.elapsed_secs = snapshot.elapsed_secs;
        t.skipped = snapshot.progress.skipped_nonfinite + snapshot.progress.skipped_explode;
        t.losses = snapshot
            .progress
            .loss_history
            .iter()
            .enumerate()
            .filter(|(_, l)| l.is_finite())
            .map(|(i, l)| [i as f64 + 1.0, l.max(1e-300).log10()])
            .collect();
        t.finished = snapshot.finished;
        if snapshot.healthy && snapshot.error.is_none() {
            t.validation.submit(
                snapshot.progress.trajectories_done,
                Arc::clone(&snapshot.model),
            );
        }
        let mut message = None;
        if let Some(e) = &snapshot.error {
            t.problem = Some(e.clone());
            message = Some((
                format!("{e}. The last good weights stay in use; you can start again."),
                true,
            ));
        } else if !snapshot.healthy {
            let text = "Training produced non-finite weights; the last good weights stay in use."
                .to_owned();
            t.problem = Some(text.clone());
            message = Some((text, true));
        } else if snapshot.finished {
            message = Some((
                format!("Network training finished: {} trajectories.", t.done.0),
                false,
            ));
        }
        if t.timeline.follows_newest() {
            self.show_net_model(snapshot.model, snapshot.version);
        }
        if let Some((text, error)) = message {
            self.notify(ctx, text, error);
        }
    }

    /// Live network training: its thread, progress and last problem.
    pub fn network_training(&self) -> &NetTraining {
        &self.rt.network.training
    }

    /// Stops the network's training thread, if any; the live weights stay.
    pub fn stop_network_training(&mut self) {
        self.rt.network.training.stop();
    }

    /// Makes the next network training fail as `fault` says (tests).
    pub fn inject_network_training_fault(&mut self, fault: FaultInjection) {
        self.rt.network.training.fault = fault;
    }

    /// Loads a network's weights (a file's contents) as the live model;
    /// bad contents change nothing.
    pub fn load_network_weights_bytes(&mut self, ctx: &egui::Context, name: &str, bytes: &[u8]) {
        match teleport_core::io::net_weights::from_bytes(bytes) {
            Ok((model, _)) => self.use_network_weights(ctx, name, model),
            Err(e) => self.notify(ctx, format!("Cannot load {name}: {e}"), true),
        }
    }

    /// Loads a network's weights file as the live model.
    pub fn load_network_weights_from(&mut self, ctx: &egui::Context, path: &std::path::Path) {
        let name = path.display().to_string();
        match teleport_core::io::net_weights::load(path) {
            Ok((model, _)) => self.use_network_weights(ctx, &name, model),
            Err(e) => self.notify(ctx, format!("Cannot load {name}: {e}"), true),
        }
    }

    /// Makes loaded weights the live model, with its row.
    fn use_network_weights(&mut self, ctx: &egui::Context, name: &str, model: CwModel<f32>) {
        let variant = model.variant();
        self.rt.network.training.stop();
        // Loaded weights are not a version of the last training run.
        self.rt.network.training.timeline = Timeline::default();
        let version = self.rt.network.live.as_ref().map_or(1, |l| l.version + 1);
        self.show_net_model(Arc::new(model), version);
        self.show_net_live_row(variant);
        self.notify(ctx, format!("Loaded {variant} weights from {name}"), false);
    }

    fn save_network_weights(&mut self, ctx: &egui::Context) {
        let Some(live) = self.rt.network.live.clone() else {
            self.notify(
                ctx,
                "No live network weights yet: start training first.",
                true,
            );
            return;
        };
        let t = &self.rt.network.training;
        let info = teleport_core::io::net_weights::NetWeightsInfo {
            train: Some(self.net_training_configs().1),
            trajectories_trained: t
                .timeline
                .shown()
                .filter(|v| Arc::ptr_eq(&v.model, &live.model))
                .map_or(t.done.0, |v| v.trajectories),
        };
        let bytes = teleport_core::io::net_weights::to_bytes(&live.model, &info);
        let name = format!("{}-live.safetensors", live.variant);
        self.save_bytes(ctx, &name, "safetensors", &bytes, "the weights", false);
    }

    /// The training tile for a network.
    pub(in crate::app) fn net_training_ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        let running = self.rt.network.training.running();
        ui.label(
            RichText::new(format!(
                "Meta-trains a coordinate-wise LSTM on networks like {} (data drawn from {}).",
                self.state.network.task.describe(),
                match (
                    &self.state.network.task.data,
                    self.state.network.training.this_kind_only
                ) {
                    (NetData::Generated { kind, .. }, true) => kind.name().to_owned(),
                    _ => DEFAULT_KINDS.map(Generator::name).join(", "),
                }
            ))
            .small(),
        );
        ui.add_enabled_ui(!running, |ui| {
            let s = &mut self.state.network.training;
            egui::Grid::new("net-train-settings").num_columns(2).show(ui, |ui| {
                ui.label("variant");
                egui::ComboBox::from_id_salt("net-train-variant")
                    .selected_text(s.variant.label())
                    .show_ui(ui, |ui| {
                        for v in CwVariant::ALL {
                            ui.selectable_value(&mut s.variant, v, v.label());
                        }
                    })
                    .response
                    .on_hover_text("cw-l2o steps every parameter with one LSTM; cw-l2o-tele also rescales the network after each step, by how much the LSTM decides.");
                ui.end_row();
                ui.label("tasks");
                ui.checkbox(&mut s.this_kind_only, "this data kind only")
                    .on_hover_text("Draw every training task from the data kind on screen, else from moons, circles, XOR and Gaussians.");
                ui.end_row();
                ui.label("trajectories R");
                ui.add(DragValue::new(&mut s.trajectories).range(1..=100_000))
                    .on_hover_text("Training runs, each on a newly drawn task.");
                ui.end_row();
                ui.label("steps N / unroll T");
                ui.horizontal(|ui| {
                    ui.add(DragValue::new(&mut s.steps).range(1..=1000))
                        .on_hover_text("Optimizee steps per run.");
                    ui.add(DragValue::new(&mut s.unroll).range(1..=100))
                        .on_hover_text("A meta-update every T steps.");
                });
                ui.end_row();
                ui.label("hidden H");
                ui.add(DragValue::new(&mut s.hidden).range(2..=128))
                    .on_hover_text("LSTM hidden size of both cells.");
                ui.end_row();
                ui.label("meta lr");
                ui.add(DragValue::new(&mut s.meta_lr).speed(1e-4).range(1e-6..=0.5))
                    .on_hover_text("Adam's learning rate on the LSTM weights.");
                ui.end_row();
                ui.label("seed");
                ui.add(DragValue::new(&mut s.seed))
                    .on_hover_text("Same seed, same weights.");
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
                    self.start_net_training(&ctx);
                }
            } else if let Some(h) = &self.rt.network.training.handle {
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
                    self.rt.network.training.stop();
                    self.rt.network.training.finished = true;
                }
            }
            if ui
                .button("Save weights…")
                .on_hover_text("Write the live weights as safetensors (a network's format).")
                .clicked()
            {
                self.save_network_weights(&ctx);
            }
            if ui
                .button("Load weights…")
                .on_hover_text("Use a network optimizer's weights file as the live model.")
                .clicked()
            {
                let kind = crate::app::export::PromptKind::Weights;
                self.ask_for_file(&ctx, "safetensors", kind, Self::load_weights_from);
            }
        });
        let t = &self.rt.network.training;
        let (done, total) = t.done;
        if total > 0 {
            let eta = if done > 0 && !t.finished {
                let secs = t.elapsed_secs * (total - done) as f64 / done as f64;
                format!(", ETA {secs:.0} s")
            } else {
                String::new()
            };
            ui.add(
                egui::ProgressBar::new(done as f32 / total as f32)
                    .text(format!("{done}/{total} trajectories{eta}")),
            );
        }
        ui.label(format!(
            "weights version {}   skipped updates {}   {:.1} s",
            t.version, t.skipped, t.elapsed_secs
        ));
        if let Some(p) = &t.problem {
            ui.label(RichText::new(p).color(ui.visuals().error_fg_color));
        }
        self.net_timeline_ui(ui);
        let t = &self.rt.network.training;
        let losses = t.losses.clone();
        let logs: Vec<f64> = losses.iter().map(|p| p[1]).collect();
        let smoothed: Vec<[f64; 2]> = losses
            .iter()
            .zip(teleport_core::stats::ema(
                &logs,
                self.state.training.smoothing,
            ))
            .map(|(p, s)| [p[0], s])
            .collect();
        let validation = t.validation.points.clone();
        let color = ui.visuals().text_color();
        let name = format!(
            "validation: median f after N steps, {} held-out tasks",
            teleport_core::net::train::VALIDATION_TASKS
        );
        crate::app::axes::Ticks::apply(
            Plot::new("net-meta-loss"),
            crate::app::axes::Ticks::Linear,
            crate::app::axes::Ticks::Log10,
        )
        .height(160.0)
        .x_axis_label("trajectory")
        .legend(egui_plot::Legend::default().position(egui_plot::Corner::RightTop))
        .show(ui, |plot_ui| {
            crate::app::keep_view_sane(plot_ui, 1e12, None);
            plot_ui.line(
                Line::new("mean unroll loss (raw)", losses).color(color.gamma_multiply(0.25)),
            );
            plot_ui.line(
                Line::new("mean unroll loss (smoothed)", smoothed)
                    .color(egui::Color32::from_rgb(31, 119, 180))
                    .width(2.0),
            );
            plot_ui.line(
                Line::new(name, validation)
                    .color(egui::Color32::from_rgb(214, 39, 40))
                    .width(2.0),
            );
        });
        if self.rt.network.training.running() {
            ctx.request_repaint_after(std::time::Duration::from_millis(250));
        }
    }

    /// The network training's version scrubber.
    fn net_timeline_ui(&mut self, ui: &mut egui::Ui) {
        let t = &self.rt.network.training.timeline;
        let (Some(shown), n) = (t.shown_index(), t.versions().len()) else {
            return;
        };
        if n < 2 {
            return;
        }
        let mut index = shown;
        ui.horizontal(|ui| {
            let slider = egui::Slider::new(&mut index, 0..=n - 1).show_value(false);
            crate::app::labelled(ui, "version shown", slider).on_hover_text(
                "Go back to an earlier version of the weights: the live row follows.",
            );
            if let Some(v) = t.versions().get(index) {
                ui.label(format!("v{} · {} trajectories", v.version, v.trajectories));
            }
            if !t.follows_newest() && ui.button("newest").clicked() {
                index = n - 1;
            }
        });
        if index != shown
            && let Some(v) = self.rt.network.training.timeline.show(index).cloned()
            && !self
                .rt
                .network
                .live
                .as_ref()
                .is_some_and(|l| Arc::ptr_eq(&l.model, &v.model))
        {
            self.show_net_model(v.model, v.version);
        }
    }
}
