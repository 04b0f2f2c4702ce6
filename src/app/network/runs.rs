//! The network rows' runs: computed on a `net-runs` worker whenever what a
//! row depends on changes (the task, the steps, the row's settings, its
//! teleports by hand, its weights), kept by row id.
//!
//! A run is the core's [`run_with_teleports`] with the row's optimizer
//! wrapped in [`Recorder`], which sees every step from the outside: it
//! keeps the parameters and ‖∇f‖ just before each teleport (the core's
//! records hold the parameters after it), so that the loss plot can draw
//! the jump of ‖∇f‖ and the loss slice the jump along the orbit, and it
//! stops the run at once when the computation is cancelled (a network of
//! 100,000 points takes seconds per step).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use teleport_core::io::net_lab::NetRowOptimizer;
use teleport_core::net::mlp::Mlp;
use teleport_core::net::rescale::NetStrategy;
use teleport_core::net::run::{ParamOptimizer, norm, run_with_teleports};
use teleport_core::net::{NetSchedule, NetTask, NetTrajectory};

use super::state::{NetRow, NetRowKind, NetTaskSettings};
use crate::app::job::{Sink, Step, Worker};
use crate::app::state::RowId;

/// The parameters just before the teleports of one step.
#[derive(Clone, Debug, PartialEq)]
pub struct NetJump {
    /// The step whose record is teleported.
    pub t: usize,
    /// The parameters before its teleports (the record holds those after).
    pub before: Vec<f64>,
    /// ‖∇f‖ there.
    pub grad_norm_before: f64,
}

/// One run of a network row and the jumps of its teleports.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NetRun {
    /// The records.
    pub trajectory: NetTrajectory,
    /// One entry per teleported record, in step order.
    pub jumps: Vec<NetJump>,
}

impl NetRun {
    /// The record at step `t`, or the last one when the run stopped before.
    pub fn at(&self, t: usize) -> Option<&teleport_core::net::NetRecord> {
        let r = &self.trajectory.records;
        r.get(t).or(r.last())
    }

    /// The jump at step `t`, if that step teleported.
    pub fn jump_at(&self, t: usize) -> Option<&NetJump> {
        self.jumps.iter().find(|j| j.t == t)
    }
}

/// A network row's computed runs.
#[derive(Clone, Debug, PartialEq)]
pub struct NetRunResult {
    /// The run from the task's initial parameters.
    pub base: NetRun,
    /// The run with the teleports applied by hand, if any.
    pub branch: Option<NetRun>,
}

impl NetRunResult {
    /// The run the timeline follows: the branch when there is one.
    pub fn shown(&self) -> &NetRun {
        self.branch.as_ref().unwrap_or(&self.base)
    }
}

/// Everything a row's runs depend on, compared by value each frame.
#[derive(Clone, Debug, PartialEq)]
pub struct NetRowKey {
    task: NetTaskSettings,
    steps: usize,
    enabled: bool,
    row: NetRow,
    manual: Vec<super::state::NetManualTeleport>,
    /// The generation of the weights a learned row uses (`None`: no model).
    weights: Option<u64>,
}

/// What a row runs with, ready to go to the worker.
#[derive(Clone)]
struct Job {
    id: RowId,
    key: NetRowKey,
    optimizer: NetRowOptimizer,
    schedule: Option<NetSchedule>,
    manual: Vec<(usize, NetStrategy)>,
}

/// A row's result as the worker sends it.
type Done = (RowId, NetRowKey, NetRunResult);

/// The runs of the network rows and the worker computing them.
pub struct NetRuns {
    worker: Worker<Done>,
    /// The runs, by row id (shared with the slice's and the statistics'
    /// workers).
    pub(super) runs: HashMap<RowId, Arc<NetRunResult>>,
    /// The key each stored run was computed for.
    keys: HashMap<RowId, NetRowKey>,
    /// The keys of the rows the worker is computing.
    pending: HashMap<RowId, NetRowKey>,
    /// Counts every change of the stored runs (views cache on it).
    pub(super) version: u64,
}

impl Default for NetRuns {
    fn default() -> Self {
        Self {
            worker: Worker::new("net-runs"),
            runs: HashMap::new(),
            keys: HashMap::new(),
            pending: HashMap::new(),
            version: 0,
        }
    }
}

impl std::fmt::Debug for NetRuns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetRuns")
            .field("runs", &self.runs.len())
            .field("pending", &self.pending.len())
            .finish_non_exhaustive()
    }
}

/// The most steps each of `rows` rows may record on a network of
/// `params` parameters: the core's bound on the numbers a network lab
/// file's runs record ([`teleport_core::io::net_lab::MAX_RECORDED_PARAMS`]).
pub fn max_steps(rows: usize, params: usize) -> usize {
    let per_step = rows.max(1).saturating_mul(params.max(1));
    (teleport_core::io::net_lab::MAX_RECORDED_PARAMS / per_step).saturating_sub(1)
}

/// A row's optimizer, seen from the outside: records the parameters and
/// ‖∇f‖ before each teleport, and stops the run when cancelled.
pub struct Recorder<'a> {
    inner: Box<dyn ParamOptimizer>,
    cancel: &'a AtomicBool,
    /// Steps taken so far: the next record's step.
    taken: usize,
    /// The steps at which the schedule or a hand teleports, before the
    /// record.
    teleport_steps: Box<dyn Fn(usize) -> bool + 'a>,
    /// Candidates: `(step, parameters, ‖∇f‖)` before that step's
    /// teleports.
    before: Vec<(usize, Vec<f64>, f64)>,
}

impl<'a> Recorder<'a> {
    /// Wraps `inner` for a run whose schedule and hand teleports fire where
    /// `teleport_steps` says.
    pub fn new(
        inner: Box<dyn ParamOptimizer>,
        cancel: &'a AtomicBool,
        teleport_steps: impl Fn(usize) -> bool + 'a,
    ) -> Self {
        Self {
            inner,
            cancel,
            taken: 0,
            teleport_steps: Box::new(teleport_steps),
            before: Vec::new(),
        }
    }
}

impl ParamOptimizer for Recorder<'_> {
    fn step(&mut self, params: &mut [f64], grad: &[f64], f: f64) {
        self.taken += 1;
        if self.cancel.load(Ordering::Relaxed) {
            // The core's run stops at the first parameters that are not
            // finite: this ends a cancelled run after this step.
            params.fill(f64::NAN);
            return;
        }
        self.inner.step(params, grad, f);
    }

    fn teleport_after_step(&mut self, mlp: &Mlp, params: &mut [f64], grad: &[f64]) -> bool {
        // `params` and `grad` are the next record's before any teleport:
        // the optimizer's own, then the schedule's and the hand's.
        let next = self.taken;
        let candidate = (next, params.to_vec(), norm(grad));
        let teleported = self.inner.teleport_after_step(mlp, params, grad);
        if teleported || (self.teleport_steps)(next) {
            self.before.push(candidate);
        }
        teleported
    }
}

/// Runs `optimizer` on `task` with `schedule` and the hand's teleports,
/// keeping the jumps; stops early (its result then meaningless) when
/// `cancel` is set.
pub fn run_row(
    task: &NetTask,
    steps: usize,
    optimizer: &NetRowOptimizer,
    schedule: Option<&NetSchedule>,
    manual: &[(usize, NetStrategy)],
    cancel: &AtomicBool,
) -> NetRun {
    let fires = |t: usize| {
        t < steps && schedule.is_some_and(|s| s.when.fires(t)) || manual.iter().any(|m| m.0 == t)
    };
    let mut recorder = Recorder::new(optimizer.fresh(task.mlp.num_params()), cancel, fires);
    // Step 0's teleports start from the initial parameters.
    let mut ws = task.workspace();
    let mut grad = vec![0.0; task.init.len()];
    task.fit_grad(&task.init, &mut ws, &mut grad);
    recorder.before.push((0, task.init.clone(), norm(&grad)));
    let trajectory = run_with_teleports(task, steps, &mut recorder, schedule, manual);
    let mut before: HashMap<usize, (Vec<f64>, f64)> = recorder
        .before
        .into_iter()
        .map(|(t, p, g)| (t, (p, g)))
        .collect();
    let jumps = trajectory
        .records
        .iter()
        .filter(|r| r.teleported)
        .filter_map(|r| {
            let (before, grad_norm_before) = before.remove(&r.t)?;
            Some(NetJump {
                t: r.t,
                before,
                grad_norm_before,
            })
        })
        .collect();
    NetRun { trajectory, jumps }
}

impl NetRuns {
    /// Whether rows are being computed.
    pub fn pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Takes the worker's results; `true` when any run changed.
    fn take_results(&mut self) -> bool {
        let mut changed = false;
        for (id, key, result) in self.worker.poll() {
            if self.pending.get(&id) == Some(&key) {
                self.pending.remove(&id);
                self.runs.insert(id, Arc::new(result));
                self.keys.insert(id, key);
                changed = true;
            }
        }
        if !self.worker.busy() && !self.pending.is_empty() {
            // The worker ended without some rows (no thread could start):
            // they are asked for again next frame.
            self.pending.clear();
        }
        changed
    }
}

/// What the runs of every row need from the app.
pub(super) struct Inputs<'a> {
    pub task: Option<&'a Arc<NetTask>>,
    pub settings: &'a NetTaskSettings,
    pub steps: usize,
    pub rows: &'a [NetRow],
    pub manual: &'a [super::state::NetManualTeleport],
    /// A learned row's model and the generation of its weights.
    pub model: &'a dyn Fn(&NetRowKind) -> Option<(NetRowOptimizer, u64)>,
}

impl NetRuns {
    /// Takes finished runs, drops those of removed or disabled rows and
    /// starts the rows whose inputs changed; never waits.
    pub(super) fn update(&mut self, ctx: &egui::Context, inputs: &Inputs<'_>) {
        let mut changed = self.take_results();
        let ids: std::collections::HashSet<RowId> = inputs.rows.iter().map(|r| r.id).collect();
        let before = self.runs.len();
        self.runs.retain(|id, _| ids.contains(id));
        self.keys.retain(|id, _| ids.contains(id));
        self.pending.retain(|id, _| ids.contains(id));
        changed |= self.runs.len() != before;
        let mut jobs = Vec::new();
        let mut stale = false;
        for row in inputs.rows {
            let learned = match &row.kind {
                NetRowKind::Classical(spec) => spec
                    .first_order()
                    .map(|rule| (NetRowOptimizer::Classical(rule), 0)),
                kind => (inputs.model)(kind),
            };
            let key = NetRowKey {
                task: inputs.settings.clone(),
                steps: inputs.steps,
                enabled: row.enabled,
                row: row.clone(),
                manual: inputs
                    .manual
                    .iter()
                    .filter(|m| m.row == row.id)
                    .copied()
                    .collect(),
                weights: learned.as_ref().map(|(_, g)| *g),
            };
            if self.keys.get(&row.id) == Some(&key) {
                continue;
            }
            let runnable = row.enabled && inputs.task.is_some();
            match learned {
                Some((optimizer, _)) if runnable => {
                    stale |= self.pending.get(&row.id) != Some(&key);
                    jobs.push(Job {
                        id: row.id,
                        manual: key
                            .manual
                            .iter()
                            .map(|m| {
                                (
                                    m.step,
                                    NetStrategy::Unit {
                                        unit: m.unit,
                                        theta: m.theta,
                                    },
                                )
                            })
                            .collect(),
                        schedule: row
                            .teleport
                            .as_ref()
                            .map(super::state::NetTeleport::schedule),
                        optimizer,
                        key,
                    });
                }
                // Off, or no weights (yet): no run, and nothing to wait for.
                _ => {
                    changed |= self.runs.remove(&row.id).is_some();
                    self.pending.remove(&row.id);
                    self.keys.insert(row.id, key);
                }
            }
        }
        if changed {
            self.version += 1;
        }
        let Some(task) = inputs.task else {
            return;
        };
        if !stale {
            return;
        }
        // Something new to compute: start again with every row that is not
        // up to date (those under way included: the old computation is
        // cancelled).
        self.pending = jobs.iter().map(|j| (j.id, j.key.clone())).collect();
        let task = Arc::clone(task);
        let steps = inputs.steps;
        let mut next = 0;
        let started = self.worker.start(ctx, move |sink: &Sink<Done>| {
            let Some(job) = jobs.get(next) else {
                return Step::Done;
            };
            next += 1;
            let cancel = sink.cancel_flag();
            let base = run_row(
                &task,
                steps,
                &job.optimizer,
                job.schedule.as_ref(),
                &[],
                cancel,
            );
            let branch = (!job.manual.is_empty()).then(|| {
                run_row(
                    &task,
                    steps,
                    &job.optimizer,
                    job.schedule.as_ref(),
                    &job.manual,
                    cancel,
                )
            });
            if sink.cancelled() {
                return Step::Done;
            }
            sink.send((job.id, job.key.clone(), NetRunResult { base, branch }));
            if next < jobs.len() {
                Step::More
            } else {
                Step::Done
            }
        });
        if started.is_err() {
            self.pending.clear();
        }
    }

    /// Drops the runs of rows that are gone or off (at the end of a frame
    /// whose widgets removed or turned them off), with their keys, so that
    /// a row turned on again is computed again.
    pub(super) fn prune(&mut self, rows: &[NetRow]) {
        let on = |id: &RowId| rows.iter().any(|r| r.id == *id && r.enabled);
        let before = self.runs.len();
        self.runs.retain(|id, _| on(id));
        self.keys.retain(|id, _| on(id));
        if self.runs.len() != before {
            self.version += 1;
        }
    }

    /// Forgets every run (a new task is being shown).
    pub(super) fn clear(&mut self) {
        self.worker.cancel();
        self.runs.clear();
        self.keys.clear();
        self.pending.clear();
        self.version += 1;
    }
}
