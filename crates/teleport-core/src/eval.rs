//! Evaluating optimizers, learned or classical, on seeded test tasks: per
//! step statistics of `f` over every run.

use std::sync::Arc;

use serde::Serialize;

use crate::l2o::MetaOptimizer;
use crate::objective::{Objective, Task, Vec2};
use crate::optim::{OptimizerSpec, SpecError, TeleportSchedule, Trajectory, When, run};
use crate::stats::quantile;
use crate::symmetry::Strategy;

/// Any optimizer the evaluator and the app can run: to them a learned
/// optimizer is just another optimizer.
#[derive(Clone, Debug)]
pub enum AnyOptimizer {
    /// A classical optimizer with an optional teleport schedule.
    Classical {
        /// Legend name.
        name: String,
        /// Hyperparameters.
        spec: OptimizerSpec,
        /// Teleports, if any.
        teleport: Option<TeleportSchedule>,
    },
    /// A learned meta-optimizer.
    Learned {
        /// Legend name.
        name: String,
        /// The weights.
        model: Arc<MetaOptimizer<f32>>,
    },
}

impl AnyOptimizer {
    /// The name in legends and reports.
    pub fn name(&self) -> &str {
        match self {
            Self::Classical { name, .. } | Self::Learned { name, .. } => name,
        }
    }

    /// A run of `steps` steps from `x0`: `steps + 1` records unless it diverged.
    pub fn trajectory(&self, obj: &Objective, x0: Vec2, steps: usize) -> Trajectory {
        match self {
            Self::Classical { spec, teleport, .. } => run(obj, x0, steps, *spec, teleport.as_ref()),
            Self::Learned { model, .. } => model.trajectory(obj, x0, steps),
        }
    }

    /// Parses a baseline such as `gd:lr=0.05`, `momentum:lr=1e-3,beta=0.6`,
    /// `adam:lr=0.3`, `newton` or `gd:lr=0.05,teleport=oracle,every=3`.
    pub fn parse_baseline(text: &str) -> Result<Self, BaselineError> {
        let error = |reason| BaselineError {
            text: text.to_owned(),
            reason,
        };
        let (kind, rest) = text.split_once(':').unwrap_or((text, ""));
        let mut values = std::collections::BTreeMap::new();
        for pair in rest.split(',').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').ok_or_else(|| {
                error(BaselineFault::NotKeyValue {
                    pair: pair.to_owned(),
                })
            })?;
            values.insert(k.trim().to_owned(), v.trim().to_owned());
        }
        let teleport_kind = values.remove("teleport");
        let mut take = |key: &'static str, default: Option<f64>| -> Result<f64, BaselineError> {
            match values.remove(key) {
                Some(value) => value
                    .parse::<f64>()
                    .map_err(|_| error(BaselineFault::NotANumber { key, value })),
                None => default.ok_or_else(|| error(BaselineFault::Missing { key })),
            }
        };
        let spec = match kind {
            "gd" => OptimizerSpec::Gd {
                lr: take("lr", None)?,
            },
            "momentum" => OptimizerSpec::Momentum {
                lr: take("lr", None)?,
                beta: take("beta", Some(0.9))?,
            },
            "adam" => OptimizerSpec::Adam {
                lr: take("lr", None)?,
                beta1: take("beta1", Some(0.9))?,
                beta2: take("beta2", Some(0.999))?,
                eps: take("eps", Some(1e-8))?,
            },
            "newton" => OptimizerSpec::Newton {
                lr: take("lr", Some(1.0))?,
            },
            other => {
                return Err(error(BaselineFault::UnknownOptimizer {
                    kind: other.to_owned(),
                }));
            }
        };
        spec.check().map_err(|e| error(BaselineFault::Invalid(e)))?;
        let teleport = match teleport_kind.as_deref() {
            None => None,
            Some(strategy) => {
                let strategy = match strategy {
                    "oracle" => Strategy::Oracle,
                    "ascent" => Strategy::Ascent {
                        theta0: 0.0,
                        lr: take("ascent_lr", Some(1e-3))?,
                        iters: take("ascent_iters", Some(10.0))? as usize,
                    },
                    other => {
                        return Err(error(BaselineFault::UnknownTeleport {
                            strategy: other.to_owned(),
                        }));
                    }
                };
                let every = take("every", Some(1.0))?;
                if !(every >= 1.0 && every.fract() == 0.0) {
                    return Err(error(BaselineFault::EveryNotPositive));
                }
                Some(TeleportSchedule {
                    strategy,
                    when: When::Every(every as usize),
                })
            }
        };
        // Every known key has been taken; anything left is a typo.
        if let Some(key) = values.keys().next() {
            return Err(error(BaselineFault::UnknownKey { key: key.clone() }));
        }
        let mut name = spec.label();
        if let Some(t) = &teleport {
            name.push_str(&format!(" + teleport ({})", t.strategy.label()));
        }
        Ok(Self::Classical {
            name,
            spec,
            teleport,
        })
    }
}

/// Why [`AnyOptimizer::parse_baseline`] refused a baseline: the text as
/// given and what is wrong with it. Displays as one line,
/// ``baseline `gd:lr=x`: `lr` must be a number, got `x` ``.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("baseline `{text}`: {reason}")]
pub struct BaselineError {
    /// The baseline as given.
    pub text: String,
    /// What is wrong with it.
    #[source]
    pub reason: BaselineFault,
}

/// What is wrong with a baseline (see [`BaselineError`]).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum BaselineFault {
    /// An item after `:` is not `key=value`.
    #[error("expected key=value, got `{pair}`")]
    NotKeyValue {
        /// The item.
        pair: String,
    },
    /// A value that must be a number is not one.
    #[error("`{key}` must be a number, got `{value}`")]
    NotANumber {
        /// The key.
        key: &'static str,
        /// Its value.
        value: String,
    },
    /// A key without a default is missing.
    #[error("`{key}` is required")]
    Missing {
        /// The key.
        key: &'static str,
    },
    /// The optimizer before `:` is not one of gd, momentum, adam, newton.
    #[error("unknown optimizer `{kind}`; expected gd, momentum, adam or newton")]
    UnknownOptimizer {
        /// The name given.
        kind: String,
    },
    /// The hyperparameters parse but are out of range.
    #[error(transparent)]
    Invalid(SpecError),
    /// `teleport=` is neither `oracle` nor `ascent`.
    #[error("unknown teleport `{strategy}`; expected oracle or ascent")]
    UnknownTeleport {
        /// The strategy given.
        strategy: String,
    },
    /// `every=` is not a positive integer.
    #[error("`every` must be a positive integer")]
    EveryNotPositive,
    /// A key this optimizer does not take.
    #[error("unknown key `{key}`")]
    UnknownKey {
        /// The key.
        key: String,
    },
}

/// Statistics of `f` over the runs at one step.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct StepStats {
    /// Step: 0 is the start point, `k` the iterate after `k` steps.
    pub t: usize,
    /// Mean of `f` over the runs still finite at this step.
    pub mean: f64,
    /// Median.
    pub median: f64,
    /// Standard deviation (population).
    pub std: f64,
    /// First quartile.
    pub q25: f64,
    /// Third quartile.
    pub q75: f64,
    /// Runs still finite at this step.
    pub runs: usize,
    /// Runs that diverged at or before this step.
    pub diverged: usize,
}

/// Per-step statistics of trajectories of `steps` steps.
pub fn stats(trajectories: &[Trajectory], steps: usize) -> Vec<StepStats> {
    (0..=steps)
        .map(|t| {
            let mut values: Vec<f64> = trajectories
                .iter()
                .filter_map(|tr| tr.records.get(t).map(|r| r.f))
                .collect();
            // Sorted, the sums add in an order that does not depend on the
            // order of the tasks.
            values.sort_by(f64::total_cmp);
            let n = values.len();
            let mean = values.iter().sum::<f64>() / n as f64;
            let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64;
            StepStats {
                t,
                mean: if n > 0 { mean } else { f64::NAN },
                median: quantile(&mut values, 0.5),
                std: if n > 0 { var.sqrt() } else { f64::NAN },
                q25: quantile(&mut values, 0.25),
                q75: quantile(&mut values, 0.75),
                runs: n,
                diverged: trajectories.len() - n,
            }
        })
        .collect()
}

/// Runs `opt` on every task (a full run each, with its own teleports) and
/// summarizes `f` per step.
pub fn evaluate(opt: &AnyOptimizer, tasks: &[Task], steps: usize) -> Vec<StepStats> {
    let runs: Vec<Trajectory> = tasks
        .iter()
        .map(|task| opt.trajectory(&task.objective, task.x0, steps))
        .collect();
    stats(&runs, steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baselines_parse_and_reject_nonsense() {
        let gd = AnyOptimizer::parse_baseline("gd:lr=0.05").unwrap();
        assert!(
            matches!(gd, AnyOptimizer::Classical { spec: OptimizerSpec::Gd { lr }, .. } if lr == 0.05)
        );
        let m = AnyOptimizer::parse_baseline("momentum:lr=1e-3,beta=0.6").unwrap();
        assert!(
            matches!(m, AnyOptimizer::Classical { spec: OptimizerSpec::Momentum { beta, .. }, .. } if beta == 0.6)
        );
        let t = AnyOptimizer::parse_baseline("gd:lr=0.1,teleport=oracle,every=3").unwrap();
        assert!(matches!(
            t,
            AnyOptimizer::Classical {
                teleport: Some(_),
                ..
            }
        ));
        let refusal = |bad: &str| AnyOptimizer::parse_baseline(bad).unwrap_err();
        assert!(matches!(
            refusal("sgd:lr=1").reason,
            BaselineFault::UnknownOptimizer { .. }
        ));
        assert_eq!(refusal("gd").reason, BaselineFault::Missing { key: "lr" });
        assert_eq!(
            refusal("gd:lr=x").to_string(),
            "baseline `gd:lr=x`: `lr` must be a number, got `x`"
        );
        assert_eq!(
            refusal("gd:lr=-1").to_string(),
            "baseline `gd:lr=-1`: `lr` must be a positive finite number ≤ 1e6, got -1"
        );
        assert!(matches!(
            refusal("gd:lr=-1").reason,
            BaselineFault::Invalid(SpecError::NotPositive { name: "lr", .. })
        ));
        assert!(matches!(
            refusal("gd:lr=0.1,foo=2").reason,
            BaselineFault::UnknownKey { key } if key == "foo"
        ));
        assert!(matches!(
            refusal("gd:lr=0.1,teleport=magic").reason,
            BaselineFault::UnknownTeleport { .. }
        ));
        assert_eq!(
            refusal("gd:lr").reason,
            BaselineFault::NotKeyValue {
                pair: "lr".to_owned()
            }
        );
        assert_eq!(
            refusal("gd:lr=0.1,teleport=oracle,every=0.5").reason,
            BaselineFault::EveryNotPositive
        );
    }
}
