//! The run cache: each row's trajectories, computed when what they depend
//! on changes and kept by row id, so a run can never outlive its row or be
//! read for another one.

use std::sync::Arc;

use super::TeleportApp;
use super::state::{self, EntryKind, RowId};
use teleport_core::eval::AnyOptimizer;
use teleport_core::l2o::MetaOptimizer;
use teleport_core::objective::Vec2;
use teleport_core::optim::{Trajectory, run_with_teleports};
use teleport_core::pretrained::Family;

/// One optimizer row's computed runs.
#[derive(Clone, Debug)]
pub struct RunResult {
    /// The run from x₀.
    pub base: Trajectory,
    /// The run with the hand-applied teleports, if any.
    pub branch: Option<Trajectory>,
    /// `(t, η_t)` of every teleport of [`Self::shown`], found on first
    /// use ([`Self::efficiency`]).
    efficiency: std::sync::OnceLock<Vec<(usize, f64)>>,
}

impl RunResult {
    /// The run the timeline follows: the branch when there is one.
    pub fn shown(&self) -> &Trajectory {
        self.branch.as_ref().unwrap_or(&self.base)
    }

    /// `(t, η_t)` of every teleport of [`Self::shown`]: how close its angle
    /// came to the oracle's ([`teleport_core::eval::run_teleport_efficiency`]). One
    /// oracle search per teleport, so it is computed when a view first asks
    /// (the Newton window's η plot), once per run, never per frame.
    pub fn efficiency(&self, obj: &teleport_core::objective::Objective) -> &[(usize, f64)] {
        self.efficiency
            .get_or_init(|| teleport_core::eval::run_teleport_efficiency(obj, self.shown()))
    }
}

/// Which weights a learned row runs with.
#[derive(Clone, Debug, PartialEq)]
enum Weights {
    None,
    /// The family's shipped model, and whether it is here yet (the web
    /// fetches it on demand).
    Shipped(Family, bool),
    Live(Option<(teleport_core::l2o::Variant, u64)>),
    Loaded(String, bool),
}

/// Everything a row's runs depend on, compared by value each frame: a row
/// is recomputed exactly when one of these changed (no strings built).
#[derive(Clone, Debug, PartialEq)]
pub struct RowInputs {
    task: state::TaskSource,
    x0: [f64; 2],
    steps: usize,
    enabled: bool,
    kind: EntryKind,
    manual: Vec<state::ManualTeleport>,
    weights: Weights,
}

impl RowInputs {
    /// What a basin map of the row depends on: these inputs without the
    /// start point, the timeline's steps and the hand-applied teleports.
    pub fn for_basin(&self) -> Self {
        Self {
            x0: [0.0; 2],
            steps: 0,
            manual: Vec::new(),
            ..self.clone()
        }
    }
}

impl TeleportApp {
    /// The learned model a row uses for the current task: the shipped one
    /// for the task's family, or the live-trained one.
    pub fn learned_model(&self, kind: &EntryKind) -> Option<Arc<MetaOptimizer<f32>>> {
        match kind {
            EntryKind::Live(variant) => self
                .rt
                .live
                .as_ref()
                .filter(|live| live.variant == *variant)
                .map(|live| Arc::clone(&live.model)),
            EntryKind::Learned(variant) => self
                .rt
                .pretrained
                .get(&(*variant, Family::of(&self.rt.objective)))
                .cloned(),
            EntryKind::Loaded { source, .. } => self.rt.models.get(source).cloned(),
            EntryKind::Classical { .. } => None,
        }
    }

    /// The optimizer of a row, ready to run (`None` for a live row with no
    /// weights yet).
    pub fn optimizer_of(&self, id: RowId) -> Option<AnyOptimizer> {
        let entry = self.state.row(id)?;
        let name = self.state.row_label(id)?;
        Some(match &entry.kind {
            EntryKind::Classical { spec, teleport } => AnyOptimizer::Classical {
                name,
                spec: *spec,
                teleport: teleport.as_ref().map(state::AppTeleport::schedule),
            },
            kind @ (EntryKind::Learned(_) | EntryKind::Live(_) | EntryKind::Loaded { .. }) => {
                AnyOptimizer::Learned {
                    name,
                    model: self.learned_model(kind)?,
                }
            }
        })
    }

    /// The rows that have runs.
    pub fn run_rows(&self) -> impl Iterator<Item = RowId> + '_ {
        self.rt.runs.keys().copied()
    }

    /// The runs of row `id` (`None` when it is off or has no model).
    pub fn run(&self, id: RowId) -> Option<&RunResult> {
        self.rt.runs.get(&id)
    }

    /// The enabled rows with their runs, in row order, with their legend
    /// names: what the plots and exports draw.
    pub fn visible_runs(&self) -> Vec<(&state::OptimizerEntry, String, &RunResult)> {
        self.state
            .optimizers
            .iter()
            .zip(self.state.row_labels())
            .filter_map(|(row, label)| Some((row, label, self.rt.runs.get(&row.id)?)))
            .collect()
    }

    /// What a row's runs depend on: the task, x₀, steps, the
    /// row's settings and hand-applied teleports, and for a learned row the
    /// weights it uses. Rows whose key is unchanged keep their runs, so a new
    /// training snapshot recomputes only the live row.
    pub(super) fn row_key(&self, row: &state::OptimizerEntry) -> RowInputs {
        let manual = self
            .state
            .manual_teleports
            .iter()
            .filter(|m| m.row == row.id)
            .copied()
            .collect();
        let weights = match &row.kind {
            EntryKind::Loaded { source, .. } => {
                Weights::Loaded(source.clone(), self.rt.models.contains_key(source))
            }
            EntryKind::Live(_) => {
                Weights::Live(self.rt.live.as_ref().map(|l| (l.variant, l.generation)))
            }
            EntryKind::Learned(variant) => {
                let family = Family::of(&self.rt.objective);
                let here = self.rt.pretrained.contains_key(&(*variant, family));
                Weights::Shipped(family, here)
            }
            EntryKind::Classical { .. } => Weights::None,
        };
        RowInputs {
            task: self.state.source.clone(),
            x0: self.state.x0,
            steps: self.state.steps,
            enabled: row.enabled,
            kind: row.kind.clone(),
            manual,
            weights,
        }
    }

    /// Recomputes the runs whose inputs changed and drops those of removed
    /// or disabled rows. Returns whether any changed.
    pub fn recompute_if_needed(&mut self) -> bool {
        let x0 = Vec2::from(self.state.x0);
        let steps = self.state.steps;
        let before = self.rt.runs.len();
        let ids: std::collections::HashSet<RowId> =
            self.state.optimizers.iter().map(|r| r.id).collect();
        self.rt.runs.retain(|id, _| ids.contains(id));
        self.rt.run_keys.retain(|id, _| ids.contains(id));
        let mut changed = self.rt.runs.len() != before;
        for i in 0..self.state.optimizers.len() {
            let row = &self.state.optimizers[i];
            let id = row.id;
            let key = self.row_key(row);
            if self.rt.run_keys.get(&id) == Some(&key) {
                continue;
            }
            changed = true;
            match self.compute_row(id, x0, steps) {
                Some(run) => self.rt.runs.insert(id, run),
                None => self.rt.runs.remove(&id),
            };
            self.rt.run_keys.insert(id, key);
        }
        changed
    }

    /// The teleports applied by hand to a row's run, as `(step, θ)`.
    pub(super) fn manual_teleports_of(&self, id: RowId) -> Vec<(usize, f64)> {
        self.state
            .manual_teleports
            .iter()
            .filter(|m| m.row == id)
            .map(|m| (m.step, m.theta))
            .collect()
    }

    fn compute_row(&self, id: RowId, x0: Vec2, steps: usize) -> Option<RunResult> {
        let obj = &self.rt.objective;
        if !self.state.row(id)?.enabled {
            return None;
        }
        let opt = self.optimizer_of(id)?;
        let base = opt.trajectory(obj, x0, steps);
        let manual = self.manual_teleports_of(id);
        let branch = (!manual.is_empty()).then(|| match &opt {
            AnyOptimizer::Classical { spec, teleport, .. } => {
                run_with_teleports(obj, x0, steps, *spec, teleport.as_ref(), &manual)
            }
            AnyOptimizer::Learned { model, .. } => {
                model.trajectory_with_teleports(obj, x0, steps, &manual)
            }
        });
        Some(RunResult {
            base,
            branch,
            efficiency: std::sync::OnceLock::new(),
        })
    }

    /// The point the scrubber teleports: the selected row's iterate at the
    /// timeline step (x₀ when that row is off).
    pub fn current_point(&self) -> Vec2 {
        self.point_at(self.state.playback.t)
    }

    /// The selected row's iterate at step `t` (its last, if it stopped
    /// earlier), else x₀.
    pub fn point_at(&self, t: usize) -> Vec2 {
        self.run(self.state.selected)
            .and_then(|r| {
                let tr = r.shown();
                tr.records.get(t).or(tr.records.last())
            })
            .map_or(Vec2::from(self.state.x0), |rec| Vec2::from(rec.x))
    }
}

impl TeleportApp {
    /// The unroll a learned row's model was trained on (its horizon): the
    /// steps of every training trajectory. Past it the model runs on
    /// inputs it never saw, and the plots dim its run there. `None` for a
    /// classical row, or when the horizon is not known.
    pub fn trained_horizon(&self, row: &state::OptimizerEntry) -> Option<usize> {
        match &row.kind {
            EntryKind::Learned(variant) => {
                let family = teleport_core::pretrained::Family::of(&self.rt.objective);
                Some(teleport_core::pretrained::trained_steps(*variant, family))
            }
            EntryKind::Live(_) => Some(self.state.training.steps),
            EntryKind::Loaded { source, .. } => self.rt.model_horizons.get(source).copied(),
            EntryKind::Classical { .. } => None,
        }
    }
}
