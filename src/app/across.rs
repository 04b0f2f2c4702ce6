//! The loss plot "across tasks" (issue 9 §1): every visible row run on
//! [`ACROSS_TASKS`] seeded test tasks — draws from the current distribution,
//! or, on a fixed task, seeded start points — drawn as the per-step median
//! with a quartile band. A worker thread computes it when the rows, the task
//! or the steps change; the frame never waits, and a change cancels the
//! computation under way.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::thread::JoinHandle;

use teleport_core::eval::{AnyOptimizer, StepStats, evaluate_until};
use teleport_core::objective::{Objective, Task};

use super::TeleportApp;
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

struct Job {
    rx: Receiver<Vec<AcrossRow>>,
    cancel: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

/// The across-tasks statistics and their worker.
#[derive(Default)]
pub struct AcrossRuntime {
    key: Option<AcrossKey>,
    job: Option<Job>,
    /// The finished statistics for the current key.
    pub result: Option<Vec<AcrossRow>>,
    /// Computations started (for tests: a change starts a new one).
    pub started: u64,
    /// Cancelled workers finishing their current task; joined once done,
    /// so a cancel never waits (a task with thousands of oracle steps can
    /// take seconds).
    retired: Vec<JoinHandle<()>>,
}

impl AcrossRuntime {
    /// Cancels the computation under way without waiting for it.
    fn retire(&mut self) {
        if let Some(mut job) = self.job.take() {
            job.cancel.store(true, Ordering::Relaxed);
            if let Some(handle) = job.handle.take() {
                self.retired.push(handle);
            }
        }
    }

    /// Whether a computation is under way.
    pub fn computing(&self) -> bool {
        self.job.is_some()
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

fn work(
    rows: Vec<(RowId, AnyOptimizer)>,
    tasks: &[Task],
    steps: usize,
    cancel: &AtomicBool,
) -> Option<Vec<AcrossRow>> {
    let mut out = Vec::with_capacity(rows.len());
    for (id, opt) in rows {
        if cancel.load(Ordering::Relaxed) {
            return None;
        }
        // One thread: the other core keeps the UI and the trainer going.
        out.push(AcrossRow {
            id,
            stats: evaluate_until(&opt, tasks, steps, cancel)?,
        });
    }
    Some(out)
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
        self.rt.across.retired.retain(|h| !h.is_finished());
        if !self.state.across_tasks {
            self.rt.across.retire();
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
            // Cancel the old job; its thread ends at its next task.
            self.rt.across.retire();
            self.rt.across.result = None;
            let optimizers: Vec<(RowId, AnyOptimizer)> = key
                .rows
                .iter()
                .filter_map(|(id, _)| Some((*id, self.optimizer_of(*id)?)))
                .collect();
            let tasks = test_tasks(&self.state.source, &self.rt.objective);
            let steps = self.state.steps;
            let cancel = Arc::new(AtomicBool::new(false));
            let flag = Arc::clone(&cancel);
            let job = move || work(optimizers, &tasks, steps, &flag);
            // No threads on the web: the frame that needs it computes it
            // (about 200 × steps optimizer steps per row).
            #[cfg(target_arch = "wasm32")]
            {
                drop(cancel);
                self.rt.across.result = job();
                self.rt.across.started += 1;
            }
            #[cfg(not(target_arch = "wasm32"))]
            {
                let (tx, rx) = std::sync::mpsc::channel();
                let repaint = ctx.clone();
                let handle = std::thread::Builder::new()
                    .name("across-tasks".into())
                    .spawn(move || {
                        if let Some(result) = job() {
                            let _ = tx.send(result);
                            repaint.request_repaint();
                        }
                    });
                match handle {
                    Ok(handle) => {
                        self.rt.across.job = Some(Job {
                            rx,
                            cancel,
                            handle: Some(handle),
                        });
                        self.rt.across.started += 1;
                    }
                    Err(e) => self.notify(ctx, format!("Cannot compute across tasks: {e}"), true),
                }
            }
            self.rt.across.key = Some(key);
        }
        if let Some(job) = &self.rt.across.job {
            match job.rx.try_recv() {
                Ok(result) => {
                    self.rt.across.result = Some(result);
                    self.rt.across.retire();
                }
                Err(TryRecvError::Empty) => {
                    ctx.request_repaint_after(std::time::Duration::from_millis(100));
                }
                Err(TryRecvError::Disconnected) => self.rt.across.retire(),
            }
        }
    }
}
