//! The loss plot "across tasks": every visible row run on
//! [`ACROSS_TASKS`] seeded test tasks — draws from the current distribution,
//! or, on a fixed task, seeded start points — drawn as the per-step median
//! with a quartile band. A worker thread computes it when the rows, the task
//! or the steps change; the frame never waits, and a change cancels the
//! computation under way.

use std::collections::VecDeque;

use teleport_core::eval::{AnyOptimizer, StepStats, evaluate_until};
use teleport_core::objective::{Objective, Task};

use super::TeleportApp;
use super::job::{Step, Worker};
use super::runs::RowInputs;
use super::state::{RowId, TaskSource};

/// Test tasks per row.
pub const ACROSS_TASKS: usize = 200;
/// The seed of the test tasks (the same for every row, so rows compare
/// on the same tasks).
pub const ACROSS_SEED: u64 = 1;

/// One row's statistics over the test tasks.
#[derive(Clone, Debug, PartialEq)]
pub struct AcrossRow {
    /// The row.
    pub id: RowId,
    /// Per step: median, quartiles, diverged runs.
    pub stats: Vec<StepStats>,
}

/// What the statistics depend on.
#[derive(Clone, Debug, PartialEq)]
struct AcrossKey {
    source: TaskSource,
    steps: usize,
    rows: Vec<(RowId, RowInputs)>,
}

/// The across-tasks statistics and their worker.
pub struct AcrossRuntime {
    key: Option<AcrossKey>,
    worker: Worker<Vec<AcrossRow>>,
    /// The finished statistics for the current key.
    pub result: Option<Vec<AcrossRow>>,
}

impl Default for AcrossRuntime {
    fn default() -> Self {
        Self {
            key: None,
            worker: Worker::new("across-tasks"),
            result: None,
        }
    }
}

impl AcrossRuntime {
    /// Whether a computation is under way.
    pub fn computing(&self) -> bool {
        self.worker.busy()
    }

    /// Computations started (for tests: a change starts a new one).
    pub fn started(&self) -> u64 {
        self.worker.started()
    }
}

/// The test tasks: [`ACROSS_TASKS`] draws from `source`'s distribution, or
/// on a fixed task `objective` from start points x₀ ~ N(0, I), seeded.
pub fn test_tasks(source: &TaskSource, objective: &Objective) -> Vec<Task> {
    match source {
        TaskSource::Sampled { dist, .. } => {
            dist.sample_many(ACROSS_SEED, ACROSS_TASKS, Default::default())
        }
        // The start points of a distribution's draws are x₀ ~ N(0, I):
        // the same seeded points, on this task.
        _ => teleport_core::objective::TaskDist::ElliVary
            .sample_many(ACROSS_SEED, ACROSS_TASKS, Default::default())
            .into_iter()
            .map(|t| Task {
                objective: objective.clone(),
                x0: t.x0,
            })
            .collect(),
    }
}

/// The computation as a step function: one row per step (on one thread;
/// the other core keeps the UI and the trainer going), every row's
/// statistics sent at the end.
fn work(
    rows: Vec<(RowId, AnyOptimizer)>,
    tasks: Vec<Task>,
    steps: usize,
) -> impl FnMut(&super::job::Sink<Vec<AcrossRow>>) -> Step + Send + 'static {
    let mut rows = VecDeque::from(rows);
    let mut out = Vec::with_capacity(rows.len());
    move |sink| {
        if let Some((id, opt)) = rows.pop_front() {
            let Some(stats) = evaluate_until(&opt, &tasks, steps, sink.cancel_flag()) else {
                return Step::Done;
            };
            out.push(AcrossRow { id, stats });
        }
        if rows.is_empty() {
            sink.send(std::mem::take(&mut out));
            Step::Done
        } else {
            Step::More
        }
    }
}

impl TeleportApp {
    /// The across-tasks statistics, when the loss plot shows them.
    pub(super) fn across_shown(&self) -> Option<&[AcrossRow]> {
        self.rt
            .across
            .result
            .as_deref()
            .filter(|_| self.state.across_tasks)
    }

    /// Starts, polls or cancels the across-tasks computation; once per
    /// frame.
    pub(super) fn update_across(&mut self, ctx: &egui::Context) {
        if !self.state.across_tasks {
            self.rt.across.worker.cancel();
            self.rt.across.key = None;
            self.rt.across.result = None;
            return;
        }
        let rows: Vec<(RowId, RowInputs)> = self
            .state
            .optimizers
            .iter()
            .filter(|r| r.enabled && self.run(r.id).is_some())
            .filter_map(|r| Some((r.id, self.rt.run_keys.get(&r.id)?.clone())))
            .collect();
        let key = AcrossKey {
            source: self.state.source.clone(),
            steps: self.state.steps,
            rows,
        };
        if self.rt.across.key.as_ref() != Some(&key) {
            self.rt.across.result = None;
            let optimizers: Vec<(RowId, AnyOptimizer)> = key
                .rows
                .iter()
                .filter_map(|(id, _)| Some((*id, self.optimizer_of(*id)?)))
                .collect();
            let tasks = test_tasks(&self.state.source, &self.rt.objective);
            let work = work(optimizers, tasks, self.state.steps);
            if let Err(e) = self.rt.across.worker.start(ctx, work) {
                self.notify(ctx, format!("Cannot compute across tasks: {e}"), true);
            }
            self.rt.across.key = Some(key);
        }
        if let Some(result) = self.rt.across.worker.poll_latest() {
            self.rt.across.result = Some(result);
        }
        if self.rt.across.worker.busy() {
            ctx.request_repaint_after(std::time::Duration::from_millis(100));
        }
    }
}
