//! The validation curve of live meta-training: for every published
//! snapshot, the median `f` after the training's `N` steps on
//! [`VALIDATION_TASKS`] fixed held-out tasks — the number that says whether
//! training helps, where the per-trajectory loss is noise. A `validation`
//! worker validates one snapshot at a time; the frame never waits, and
//! snapshots that arrive while it is busy queue (up to [`QUEUE`]; beyond
//! that they are skipped and counted).

use std::collections::VecDeque;
use std::sync::Arc;

use teleport_core::l2o::MetaOptimizer;
use teleport_core::objective::{Task, TaskDist};

use super::job::{Step, Worker};

/// Held-out tasks per snapshot.
pub const VALIDATION_TASKS: usize = 64;
/// Their seed: the trainer draws its tasks from its own seeded stream, so
/// these are tasks it never trains on.
pub const VALIDATION_SEED: u64 = 9_000_009;
/// Snapshots queued for the worker before further ones are skipped.
const QUEUE: usize = 8;

/// A snapshot to validate: how far training was, and its weights.
struct Request {
    trajectories: usize,
    model: Arc<MetaOptimizer<f32>>,
}

/// The validation worker of the current training run and its results.
pub struct ValidationRuntime {
    worker: Worker<[f64; 2]>,
    queue: VecDeque<Request>,
    /// The held-out tasks of the current run and its steps.
    tasks: Option<(Arc<Vec<Task>>, usize)>,
    /// `[trajectories trained, log10 median f]` of each validated snapshot.
    pub points: Vec<[f64; 2]>,
    /// Snapshots not validated because the worker was behind.
    pub skipped: usize,
}

impl Default for ValidationRuntime {
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
    /// Forgets the previous run's curve (cancelling its validation) and
    /// prepares for a run on `dist` with `steps` steps per trajectory.
    pub fn start(&mut self, dist: TaskDist, steps: usize) {
        self.worker.cancel();
        self.queue.clear();
        self.points.clear();
        self.skipped = 0;
        self.tasks = Some((Arc::new(validation_tasks(dist)), steps));
    }

    /// Queues a snapshot trained on `trajectories` trajectories; skips it
    /// (and counts it) when [`QUEUE`] snapshots already wait.
    pub fn submit(&mut self, trajectories: usize, model: Arc<MetaOptimizer<f32>>) {
        if self.queue.len() >= QUEUE {
            self.skipped += 1;
        } else {
            self.queue.push_back(Request {
                trajectories,
                model,
            });
        }
    }

    /// Takes the results that are ready and starts the next queued
    /// snapshot when the worker is free (never waits).
    pub fn poll(&mut self, ctx: &egui::Context) {
        self.points.extend(self.worker.poll());
        if self.worker.busy() {
            return;
        }
        let (Some((tasks, steps)), Some(req)) = (&self.tasks, self.queue.pop_front()) else {
            return;
        };
        let (tasks, steps) = (Arc::clone(tasks), *steps);
        let validate = move |sink: &super::job::Sink<[f64; 2]>| {
            let median = median_final_f(&req.model, &tasks, steps);
            sink.send([req.trajectories as f64, median.max(1e-300).log10()]);
            Step::Done
        };
        if self.worker.start(ctx, validate).is_err() {
            // No thread to be had: this snapshot goes unvalidated.
            self.skipped += 1;
        }
        // The web validates in this frame: take its point now.
        self.points.extend(self.worker.poll());
    }

    /// Whether snapshots are still being validated.
    pub fn pending(&self) -> bool {
        self.worker.busy() || !self.queue.is_empty()
    }
}
