//! The network's loss plot "across tasks": every visible row run on
//! [`ACROSS_SEEDS`] variants of the task — data seed and init seed `k` for
//! `k = 0, 1, …` (a CSV data set keeps its points and varies the init
//! seed) — drawn as the per-step median of `f` with a quartile band. A
//! `net-across` worker computes it, one row a step; any change to the
//! task, the steps or the rows starts it again.

use std::sync::Arc;

use teleport_core::eval::{StepStats, step_stats};
use teleport_core::io::net_lab::NetRowOptimizer;
use teleport_core::net::NetTask;
use teleport_core::net::run::run_with;

use super::state::{NetData, NetRow, NetRowKind, NetTaskSettings};
use crate::app::TeleportApp;
use crate::app::job::{Sink, Step, Worker};
use crate::app::state::RowId;

/// Variants of the task each row runs on.
pub const ACROSS_SEEDS: u64 = 32;

/// One row's statistics over the variants.
#[derive(Clone, Debug, PartialEq)]
pub struct NetAcrossRow {
    /// The row.
    pub id: RowId,
    /// Per step: median, quartiles, runs that stopped.
    pub stats: Vec<StepStats>,
}

#[derive(Clone, Debug, PartialEq)]
struct Key {
    task: NetTaskSettings,
    steps: usize,
    rows: Vec<(NetRow, Option<u64>)>,
}

/// The statistics and their worker.
pub struct NetAcross {
    key: Option<Key>,
    worker: Worker<NetAcrossRow>,
    partial: Vec<NetAcrossRow>,
    /// The rows finished for the current key.
    pub rows: Vec<NetAcrossRow>,
}

impl Default for NetAcross {
    fn default() -> Self {
        Self {
            key: None,
            worker: Worker::new("net-across"),
            partial: Vec::new(),
            rows: Vec::new(),
        }
    }
}

impl NetAcross {
    /// Whether rows are still being computed.
    pub fn computing(&self) -> bool {
        self.worker.busy()
    }
}

/// The variants of `settings`: data seed and init seed `k`.
pub fn variants(settings: &NetTaskSettings) -> Vec<NetTaskSettings> {
    (0..ACROSS_SEEDS)
        .map(|k| {
            let mut s = settings.clone();
            if let NetData::Generated { seed, .. } = &mut s.data {
                *seed = k;
            }
            s.init_seed = k;
            s
        })
        .collect()
}

/// The statistics of `optimizer` on `tasks`, `steps` steps each; `None`
/// once `cancelled` says so (checked between tasks: a row over many long
/// runs would otherwise keep its thread busy long after nobody waits).
pub fn row_stats(
    tasks: &[NetTask],
    steps: usize,
    optimizer: &NetRowOptimizer,
    schedule: Option<&teleport_core::net::NetSchedule>,
    cancelled: &dyn Fn() -> bool,
) -> Option<Vec<StepStats>> {
    let mut finals: Vec<Vec<f64>> = Vec::with_capacity(tasks.len());
    for task in tasks {
        if cancelled() {
            return None;
        }
        let mut opt = optimizer.fresh(task.mlp.num_params());
        finals.push(run_with(task, steps, opt.as_mut(), schedule).losses());
    }
    Some(
        (0..=steps)
            .map(|t| {
                let values: Vec<f64> = finals.iter().filter_map(|f| f.get(t).copied()).collect();
                step_stats(t, values, tasks.len())
            })
            .collect(),
    )
}

impl TeleportApp {
    /// The across-seeds statistics finished for the current rows.
    pub fn network_across(&self) -> &NetAcross {
        &self.rt.network.across
    }

    /// Starts the statistics again when the task, the steps or the rows
    /// changed (only while the loss plot is across tasks).
    pub(super) fn update_net_across(&mut self, ctx: &egui::Context) {
        let across = &mut self.rt.network.across;
        for row in across.worker.poll() {
            across.partial.push(row);
        }
        if !across.worker.busy() && !across.partial.is_empty() {
            across.rows = std::mem::take(&mut across.partial);
        }
        if !self.state.across_tasks {
            across.worker.cancel();
            across.key = None;
            across.partial.clear();
            return;
        }
        let net = &self.state.network;
        let rows: Vec<(NetRow, Option<u64>)> = net
            .rows
            .iter()
            .filter(|r| r.enabled)
            .map(|r| {
                let generation = match &r.kind {
                    NetRowKind::Classical(_) => Some(0),
                    NetRowKind::Live(_) => self.rt.network.live.as_ref().map(|l| l.generation),
                    NetRowKind::Learned { source, .. } => {
                        self.rt.network.model_generations.get(source).copied()
                    }
                };
                (r.clone(), generation)
            })
            .collect();
        let key = Key {
            task: net.task.clone(),
            steps: self.network_steps(),
            rows,
        };
        if self.rt.network.across.key.as_ref() == Some(&key) {
            return;
        }
        let jobs: Vec<(
            RowId,
            NetRowOptimizer,
            Option<teleport_core::net::NetSchedule>,
        )> = key
            .rows
            .iter()
            .filter_map(|(row, _)| {
                let optimizer = match &row.kind {
                    NetRowKind::Classical(spec) => NetRowOptimizer::Classical(spec.first_order()?),
                    kind => NetRowOptimizer::Learned(self.network_model(kind)?),
                };
                Some((
                    row.id,
                    optimizer,
                    row.teleport
                        .as_ref()
                        .map(super::state::NetTeleport::schedule),
                ))
            })
            .collect();
        let settings = variants(&key.task);
        let datasets = self.rt.network.datasets.clone();
        let steps = key.steps;
        let across = &mut self.rt.network.across;
        across.key = Some(key);
        across.partial.clear();
        if jobs.is_empty() {
            across.worker.cancel();
            across.rows.clear();
            return;
        }
        let mut tasks: Option<Arc<Vec<NetTask>>> = None;
        let mut next = 0;
        let _ = across.worker.start(ctx, move |sink: &Sink<NetAcrossRow>| {
            let tasks = tasks
                .get_or_insert_with(|| {
                    Arc::new(
                        settings
                            .iter()
                            .filter_map(|s| super::build_task(s, &datasets).ok().map(|(t, _)| t))
                            .collect(),
                    )
                })
                .clone();
            let Some((id, optimizer, schedule)) = jobs.get(next) else {
                return Step::Done;
            };
            next += 1;
            let Some(stats) = row_stats(&tasks, steps, optimizer, schedule.as_ref(), &|| {
                sink.cancelled()
            }) else {
                return Step::Done;
            };
            if sink.cancelled() {
                return Step::Done;
            }
            sink.send(NetAcrossRow { id: *id, stats });
            if next < jobs.len() {
                Step::More
            } else {
                Step::Done
            }
        });
    }
}
