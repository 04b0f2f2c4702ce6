//! The validation curve of live meta-training (issue 9 §5): for every
//! published snapshot, the median `f` after the training's `N` steps on
//! [`VALIDATION_TASKS`] fixed held-out tasks — the number that says whether
//! training helps, where the per-trajectory loss is noise. A `validation`
//! thread computes it; the frame never waits, and a new training run
//! retires the old thread without waiting for it. (On the web, without
//! threads, each snapshot is validated as it arrives.)

use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, TrySendError};
use std::thread::JoinHandle;

use teleport_core::l2o::MetaOptimizer;
use teleport_core::objective::{Task, TaskDist};

/// Held-out tasks per snapshot.
pub const VALIDATION_TASKS: usize = 64;
/// Their seed: the trainer draws its tasks from its own seeded stream, so
/// these are tasks it never trains on.
pub const VALIDATION_SEED: u64 = 9_000_009;
/// Snapshots queued for the worker before further ones are skipped.
const QUEUE: usize = 8;

struct Request {
    trajectories: usize,
    model: Arc<MetaOptimizer<f32>>,
}

/// The validation worker of the current training run and its results.
#[derive(Default)]
pub struct ValidationRuntime {
    tx: Option<SyncSender<Request>>,
    rx: Option<Receiver<[f64; 2]>>,
    handle: Option<JoinHandle<()>>,
    retired: Vec<JoinHandle<()>>,
    /// `[trajectories trained, log10 median f]` of each validated snapshot.
    pub points: Vec<[f64; 2]>,
    /// Snapshots not validated because the worker was behind.
    pub skipped: usize,
    /// The web has no threads: its tasks and steps, each snapshot validated
    /// as it is submitted (64 short runs, a few milliseconds).
    inline: Option<(Vec<Task>, usize)>,
}

impl std::fmt::Debug for ValidationRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValidationRuntime")
            .field("points", &self.points.len())
            .field("skipped", &self.skipped)
            .finish_non_exhaustive()
    }
}

/// The held-out tasks of `dist`.
pub fn validation_tasks(dist: TaskDist) -> Vec<Task> {
    dist.sample_many(VALIDATION_SEED, VALIDATION_TASKS, Default::default())
}

/// The median over `tasks` of `f` after `steps` steps of `model` (a run
/// that diverged or failed counts as +∞).
pub fn median_final_f(model: &MetaOptimizer<f32>, tasks: &[Task], steps: usize) -> f64 {
    let mut finals: Vec<f64> = tasks
        .iter()
        .map(|task| {
            let run = model.trajectory(&task.objective, task.x0, steps);
            teleport_core::basin::BasinCell::of(&run, steps, 0.0).f
        })
        .map(|f| if f.is_nan() { f64::INFINITY } else { f })
        .collect();
    teleport_core::stats::quantile(&mut finals, 0.5)
}

impl ValidationRuntime {
    /// Forgets the previous run's curve and starts a worker for a run on
    /// `dist` with `steps` steps per trajectory.
    pub fn start(&mut self, ctx: &egui::Context, dist: TaskDist, steps: usize) {
        self.retire();
        self.points.clear();
        self.skipped = 0;
        self.inline = None;
        if cfg!(target_arch = "wasm32") {
            self.inline = Some((validation_tasks(dist), steps));
            return;
        }
        let (tx, requests) = std::sync::mpsc::sync_channel::<Request>(QUEUE);
        let (results, rx) = std::sync::mpsc::sync_channel(QUEUE + 1);
        let repaint = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("validation".into())
            .spawn(move || {
                let tasks = validation_tasks(dist);
                // Ends when the app drops the sender.
                for req in requests {
                    let median = median_final_f(&req.model, &tasks, steps);
                    let point = [req.trajectories as f64, median.max(1e-300).log10()];
                    if results.send(point).is_err() {
                        return;
                    }
                    repaint.request_repaint();
                }
            });
        if let Ok(handle) = spawned {
            self.tx = Some(tx);
            self.rx = Some(rx);
            self.handle = Some(handle);
        }
    }

    /// Queues a snapshot trained on `trajectories` trajectories; skips it
    /// (and counts it) when the worker is [`QUEUE`] snapshots behind.
    pub fn submit(&mut self, trajectories: usize, model: Arc<MetaOptimizer<f32>>) {
        if let Some((tasks, steps)) = &self.inline {
            let median = median_final_f(&model, tasks, *steps);
            self.points
                .push([trajectories as f64, median.max(1e-300).log10()]);
            return;
        }
        let Some(tx) = &self.tx else {
            return;
        };
        match tx.try_send(Request {
            trajectories,
            model,
        }) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => self.skipped += 1,
            Err(TrySendError::Disconnected(_)) => self.tx = None,
        }
    }

    /// Takes the results that are ready (never waits).
    pub fn poll(&mut self) {
        self.retired.retain(|h| !h.is_finished());
        let Some(rx) = &self.rx else {
            return;
        };
        loop {
            match rx.try_recv() {
                Ok(point) => self.points.push(point),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    self.rx = None;
                    break;
                }
            }
        }
    }

    /// Whether snapshots are still being validated.
    pub fn pending(&self) -> bool {
        self.handle.is_some() && self.rx.is_some()
    }

    /// Ends the worker after its current snapshot, without waiting.
    fn retire(&mut self) {
        self.tx = None;
        self.rx = None;
        self.retired.extend(self.handle.take());
    }
}

impl Drop for ValidationRuntime {
    fn drop(&mut self) {
        self.retire();
        for handle in self.retired.drain(..) {
            let _ = handle.join();
        }
    }
}
