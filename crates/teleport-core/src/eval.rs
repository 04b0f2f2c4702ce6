//! Evaluating optimizers, learned or classical, on seeded test tasks: per
//! step statistics of `f` over every run.

use std::sync::Arc;

use serde::Serialize;

use crate::l2o::MetaOptimizer;
use crate::objective::{Objective, Task, Vec2};
use crate::optim::{
    GradNoise, NoiseStream, OptimizerSpec, SpecError, TeleportSchedule, Trajectory, When, run_noisy,
};
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
        self.trajectory_with(obj, x0, steps, &[], NoiseStream::none())
    }

    /// A run with teleports `(t, θ)` applied by hand (a classical row
    /// teleports at step `t` before recording it, as
    /// [`crate::optim::run_with_teleports`] does; a learned row right after
    /// its step `t`, as [`MetaOptimizer::trajectory_with_teleports`] does)
    /// and the gradient noise of `noise` (which stream a run draws from:
    /// [`crate::optim::noise`]). Without hand teleports, with the silent
    /// stream, it is [`Self::trajectory`].
    pub fn trajectory_with(
        &self,
        obj: &Objective,
        x0: Vec2,
        steps: usize,
        manual: &[(usize, f64)],
        noise: NoiseStream,
    ) -> Trajectory {
        match self {
            Self::Classical { spec, teleport, .. } => {
                run_noisy(obj, x0, steps, *spec, teleport.as_ref(), manual, noise)
            }
            Self::Learned { model, .. } => model.trajectory_noisy(obj, x0, steps, manual, noise),
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
    /// How well the runs that teleported at this step chose their angle
    /// (see [`teleport_efficiency`]); absent where none teleported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub teleport_efficiency: Option<Summary>,
    /// The fraction of the teleports at this step that moved the iterate
    /// farther from the minimizer x* (see [`harmful_teleports`]); absent
    /// where none teleported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub harmful_teleports: Option<f64>,
}

/// Mean, median and quartiles of a sample.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// Mean.
    pub mean: f64,
    /// Median.
    pub median: f64,
    /// First quartile.
    pub q25: f64,
    /// Third quartile.
    pub q75: f64,
    /// Values summarized.
    pub n: usize,
}

impl Summary {
    /// The summary of the finite values; `None` when there are none.
    pub fn of(values: &[f64]) -> Option<Self> {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let n = v.len();
        Some(Summary {
            mean: v.iter().sum::<f64>() / n as f64,
            median: quantile(&mut v, 0.5),
            q25: quantile(&mut v, 0.25),
            q75: quantile(&mut v, 0.75),
            n,
        })
    }
}

/// The efficiency of one teleport from `x` by the angle `theta`:
/// `η = ‖∇f(g_θ x)‖ / ‖∇f(g_θ* x)‖`, where θ* is the oracle's angle (the
/// steepest point of the orbit), so η ≤ 1 up to the oracle's 1e−8 and the
/// oracle itself scores exactly 1. `None` where the orbit is flat (θ* has
/// no gradient to beat) or cannot be followed.
pub fn teleport_efficiency(obj: &Objective, x: &Vec2, theta: f64) -> Option<f64> {
    let best = crate::symmetry::try_oracle(obj, x).ok()?;
    let chosen = crate::symmetry::grad_norm_at(obj, x, theta);
    let best_norm = crate::symmetry::grad_norm_at(obj, x, best.theta);
    (best_norm > 0.0 && best_norm.is_finite() && chosen.is_finite()).then(|| chosen / best_norm)
}

/// The teleports of a run that moved the iterate farther from the
/// minimizer x* (where `h(x*) = 0`), by step: `(t, harmful)` for every
/// teleport — the paper's discussion proposes a distance-to-optimum cost
/// against exactly these. For a typed `f` with several listed minima (a
/// gallery test function) the distance is to the nearest of them; a typed
/// `f` that lists none has no x* and no harmful teleports.
pub fn harmful_teleports(obj: &Objective, run: &Trajectory) -> Vec<(usize, bool)> {
    let Ok(star) = obj.try_minimizer() else {
        return Vec::new();
    };
    let minima = obj.as_formula().map_or(&[][..], |f| f.known_minima());
    let distance = |p: Vec2| {
        minima
            .iter()
            .map(|m| (p - m.point()).norm())
            .reduce(f64::min)
            .unwrap_or_else(|| (p - star).norm())
    };
    run.records
        .iter()
        .filter(|r| r.teleported)
        .filter_map(|r| {
            let from = Vec2::from(r.from?);
            let to = Vec2::from(r.x);
            let (before, after) = (distance(from), distance(to));
            (before.is_finite() && after.is_finite()).then_some((r.t, after > before))
        })
        .collect()
}

/// η of every teleport of a run, by step: `(t, η)`.
pub fn run_teleport_efficiency(obj: &Objective, run: &Trajectory) -> Vec<(usize, f64)> {
    run.records
        .iter()
        .filter(|r| r.teleported)
        .filter_map(|r| {
            let from = r.from?;
            let theta = r.theta?;
            Some((r.t, teleport_efficiency(obj, &Vec2::from(from), theta)?))
        })
        .collect()
}

/// Per-step statistics of trajectories of `steps` steps.
pub fn stats(trajectories: &[Trajectory], steps: usize) -> Vec<StepStats> {
    (0..=steps)
        .map(|t| {
            let values: Vec<f64> = trajectories
                .iter()
                .filter_map(|tr| tr.records.get(t).map(|r| r.f))
                .collect();
            step_stats(t, values, trajectories.len())
        })
        .collect()
}

/// The statistics at step `t` of the `values` of the runs still finite
/// there, out of `total` runs.
pub fn step_stats(t: usize, mut values: Vec<f64>, total: usize) -> StepStats {
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
        diverged: total.saturating_sub(n),
        teleport_efficiency: None,
        harmful_teleports: None,
    }
}

/// What the claims read of one test run.
#[derive(Clone, Debug, PartialEq)]
pub struct RunOutcome {
    /// `f(x_t)` for t = 0..=steps; NaN from the step where the run stopped
    /// (diverged or failed).
    pub f: Vec<f64>,
    /// Teleports that moved the iterate farther from x* ([`harmful_teleports`]).
    pub harmful: usize,
    /// Teleports judged (those with a finite distance before and after).
    pub teleports: usize,
}

impl RunOutcome {
    /// `opt` run on `task` for `steps` steps.
    pub fn of(opt: &AnyOptimizer, task: &Task, steps: usize) -> Self {
        let run = opt.trajectory(&task.objective, task.x0, steps);
        let harm = harmful_teleports(&task.objective, &run);
        let mut f = vec![f64::NAN; steps + 1];
        for r in &run.records {
            if let Some(v) = f.get_mut(r.t) {
                *v = r.f;
            }
        }
        Self {
            f,
            harmful: harm.iter().filter(|(_, h)| *h).count(),
            teleports: harm.len(),
        }
    }

    /// `f` at the last step; NaN when the run stopped before it.
    pub fn last(&self) -> f64 {
        self.f.last().copied().unwrap_or(f64::NAN)
    }
}

/// Per-step statistics of run outcomes of `steps` steps: the same numbers
/// as [`stats`] of their trajectories.
pub fn outcome_stats(outcomes: &[RunOutcome], steps: usize) -> Vec<StepStats> {
    (0..=steps)
        .map(|t| {
            let values = outcomes
                .iter()
                .filter_map(|o| o.f.get(t).copied().filter(|v| v.is_finite()))
                .collect();
            step_stats(t, values, outcomes.len())
        })
        .collect()
}

/// Work items computed on `threads` threads (at least one) that take the
/// next item as they become free, so that items of very different cost
/// share the threads well; the results come back in the items' order and
/// do not depend on the thread count as long as `f` depends only on its
/// item.
pub fn map_pooled<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let threads = threads.clamp(1, items.len().max(1));
    if threads == 1 {
        return items.iter().map(f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (f, next) = (&f, &next);
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(move || {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        mine.push((i, f(item)));
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            // A panic in a worker is a bug in `f`: pass it on.
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

/// Runs `opt` on every task (a full run each, with its own teleports) and
/// summarizes `f` per step.
pub fn evaluate(opt: &AnyOptimizer, tasks: &[Task], steps: usize) -> Vec<StepStats> {
    evaluate_threads(opt, tasks, steps, 1)
}

/// [`evaluate`] on `threads` threads (at least one), each taking the next
/// task as it becomes free. The numbers are the same bit for bit
/// whatever the thread count: every run is computed alone, results are
/// gathered in task order, and the statistics sort their values first.
pub fn evaluate_threads(
    opt: &AnyOptimizer,
    tasks: &[Task],
    steps: usize,
    threads: usize,
) -> Vec<StepStats> {
    evaluate_noisy(opt, None, tasks, steps, threads)
}

/// [`evaluate_threads`] with gradient noise: the run on test task `i` draws
/// from noise run `i` (`crate::rng(seed ^ mix(i))`, [`crate::optim::noise`]),
/// whatever the optimizer, so that optimizers compare on the same noise.
/// Without noise, or with σ = 0, the numbers are [`evaluate_threads`]'s bit
/// for bit.
pub fn evaluate_noisy(
    opt: &AnyOptimizer,
    noise: Option<&GradNoise>,
    tasks: &[Task],
    steps: usize,
    threads: usize,
) -> Vec<StepStats> {
    let indexed: Vec<(u64, &Task)> = (0u64..).zip(tasks).collect();
    let results = map_pooled(&indexed, threads, |&(i, task)| {
        evaluate_one(opt, task, steps, NoiseStream::of(noise, i))
    });
    summarize(results, steps)
}

/// [`evaluate`] on this thread that gives up (`None`) as soon as `cancel`
/// is set, checked before every task; otherwise the same numbers bit for
/// bit.
pub fn evaluate_until(
    opt: &AnyOptimizer,
    tasks: &[Task],
    steps: usize,
    cancel: &std::sync::atomic::AtomicBool,
) -> Option<Vec<StepStats>> {
    evaluate_until_noisy(opt, None, tasks, steps, cancel)
}

/// [`evaluate_until`] with gradient noise, test task `i` drawing noise run
/// `i` as in [`evaluate_noisy`] (the same numbers).
pub fn evaluate_until_noisy(
    opt: &AnyOptimizer,
    noise: Option<&GradNoise>,
    tasks: &[Task],
    steps: usize,
    cancel: &std::sync::atomic::AtomicBool,
) -> Option<Vec<StepStats>> {
    let mut results = Vec::with_capacity(tasks.len());
    for (i, task) in (0u64..).zip(tasks) {
        if cancel.load(std::sync::atomic::Ordering::Relaxed) {
            return None;
        }
        results.push(evaluate_one(opt, task, steps, NoiseStream::of(noise, i)));
    }
    Some(summarize(results, steps))
}

/// Noise samples [`across_noise_seeds`] runs when not told otherwise.
pub const NOISE_SEEDS: usize = 50;

/// One row on one task and x₀ over `seeds` draws of its gradient noise:
/// sample `j` is noise run `j` (`crate::rng(seed ^ mix(j))`, so sample 0 is
/// the single run that `eval` prints and the app draws), and the result is
/// what [`evaluate_until`] gives over tasks — per step the median,
/// quartiles, mean, diverged runs, teleport efficiency and harm — so the
/// across-tasks plot can draw it. Runs on `threads` threads (at least one;
/// the same numbers whatever the count) and gives up (`None`) once `cancel`
/// is set, checked before every run.
pub fn across_noise_seeds(
    opt: &AnyOptimizer,
    noise: &GradNoise,
    task: &Task,
    steps: usize,
    seeds: usize,
    threads: usize,
    cancel: &std::sync::atomic::AtomicBool,
) -> Option<Vec<StepStats>> {
    let samples: Vec<u64> = (0..seeds as u64).collect();
    let results = map_pooled(&samples, threads, |&j| {
        if cancel.load(std::sync::atomic::Ordering::Relaxed) {
            return None;
        }
        Some(evaluate_one(opt, task, steps, noise.stream(j)))
    });
    Some(summarize(
        results.into_iter().collect::<Option<_>>()?,
        steps,
    ))
}

/// One task's run with its teleports' efficiencies and harm.
type TaskResult = (Trajectory, (Vec<(usize, f64)>, Vec<(usize, bool)>));

fn evaluate_one(opt: &AnyOptimizer, task: &Task, steps: usize, noise: NoiseStream) -> TaskResult {
    let run = opt.trajectory_with(&task.objective, task.x0, steps, &[], noise);
    let etas = run_teleport_efficiency(&task.objective, &run);
    let harm = harmful_teleports(&task.objective, &run);
    (run, (etas, harm))
}

/// Per-step statistics of the tasks' results, in task order.
fn summarize(results: Vec<TaskResult>, steps: usize) -> Vec<StepStats> {
    let (runs, extras): (Vec<Trajectory>, Vec<_>) = results.into_iter().unzip();
    let (etas, harms): (Vec<_>, Vec<_>) = extras.into_iter().unzip();
    let mut out = stats(&runs, steps);
    // η of every teleport, gathered per step over the runs that teleported.
    let mut by_step: Vec<Vec<f64>> = vec![Vec::new(); steps + 1];
    for (t, eta) in etas.into_iter().flatten() {
        if let Some(v) = by_step.get_mut(t) {
            v.push(eta);
        }
    }
    // Harmful teleports per step: (harmful, all).
    let mut harm_by_step = vec![(0usize, 0usize); steps + 1];
    for (t, harmful) in harms.into_iter().flatten() {
        if let Some(c) = harm_by_step.get_mut(t) {
            c.0 += usize::from(harmful);
            c.1 += 1;
        }
    }
    for (s, (harmful, all)) in out.iter_mut().zip(harm_by_step) {
        s.harmful_teleports = (all > 0).then(|| harmful as f64 / all as f64);
    }
    for (s, etas) in out.iter_mut().zip(&by_step) {
        s.teleport_efficiency = Summary::of(etas);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The across-tasks worker's evaluation: the same numbers as
    /// `evaluate`, and nothing once cancelled.
    #[test]
    fn evaluate_until_matches_evaluate_and_stops_when_cancelled() {
        use std::sync::atomic::AtomicBool;
        let tasks = crate::objective::TaskDist::ElliVary.sample_many(5, 12, Default::default());
        let opt = AnyOptimizer::parse_baseline("gd:lr=0.05,teleport=oracle")
            .unwrap_or_else(|e| panic!("{e}"));
        let go = AtomicBool::new(false);
        let until = evaluate_until(&opt, &tasks, 15, &go);
        let all = evaluate(&opt, &tasks, 15);
        assert_eq!(
            format!("{until:?}"),
            format!("{:?}", Some(all)),
            "not the same numbers"
        );
        let stop = AtomicBool::new(true);
        assert!(evaluate_until(&opt, &tasks, 15, &stop).is_none());
    }

    /// `map_pooled` hands items to whichever thread is free, yet returns
    /// the results in the items' order, the same for any thread count,
    /// with items of very different cost.
    #[test]
    fn pooled_map_keeps_the_order_whatever_the_threads() {
        let items: Vec<u64> = (0..37).map(|i| (i * 7919) % 23).collect();
        let work = |&n: &u64| -> u64 {
            // Uneven work: a few items are far costlier than the others.
            (0..n * n * 200).fold(n, |a, k| {
                a.wrapping_mul(6364136223846793005).wrapping_add(k)
            })
        };
        let one = map_pooled(&items, 1, work);
        assert_eq!(one, items.iter().map(work).collect::<Vec<_>>());
        for threads in [2, 3, 8, 100] {
            assert_eq!(map_pooled(&items, threads, work), one, "{threads} threads");
        }
        assert!(map_pooled(&[] as &[u64], 4, work).is_empty());
    }

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

    #[test]
    fn the_oracle_teleports_with_efficiency_exactly_one() {
        let tasks = crate::objective::TaskDist::ElliVary.sample_many(3, 20, Default::default());
        let oracle = AnyOptimizer::parse_baseline("gd:lr=0.05,teleport=oracle,every=3").unwrap();
        let steps = evaluate(&oracle, &tasks, 9);
        // The steps at which runs teleported, and how many did.
        let mut teleports = vec![0; 10];
        for task in &tasks {
            for r in oracle.trajectory(&task.objective, task.x0, 9).records {
                teleports[r.t] += usize::from(r.teleported);
            }
        }
        for s in &steps {
            match &s.teleport_efficiency {
                Some(e) => {
                    assert_eq!(
                        (e.mean, e.median, e.q25, e.q75),
                        (1.0, 1.0, 1.0, 1.0),
                        "t = {}",
                        s.t
                    );
                    assert_eq!(e.n, teleports[s.t], "t = {}", s.t);
                }
                None => assert_eq!(teleports[s.t], 0, "t = {} has no η", s.t),
            }
        }
        assert!(
            steps
                .iter()
                .filter(|s| s.teleport_efficiency.is_some())
                .count()
                >= 2,
            "teleports by step: {teleports:?}"
        );
        // Plain GD never teleports.
        let gd = AnyOptimizer::parse_baseline("gd:lr=0.05").unwrap();
        assert!(
            evaluate(&gd, &tasks, 9)
                .iter()
                .all(|s| s.teleport_efficiency.is_none())
        );
    }

    #[test]
    fn a_learned_teleports_efficiency_matches_a_dense_angle_scan() {
        let model = crate::pretrained::load(
            crate::l2o::Variant::L2oTele,
            crate::pretrained::Family::Ellipse,
        )
        .unwrap();
        let opt = AnyOptimizer::Learned {
            name: "l2o-tele".into(),
            model: Arc::new(model),
        };
        let tasks = crate::objective::TaskDist::ElliVary.sample_many(5, 6, Default::default());
        let mut checked = 0;
        let mut below_one = 0;
        for task in &tasks {
            let run = opt.trajectory(&task.objective, task.x0, 10);
            for (t, eta) in run_teleport_efficiency(&task.objective, &run) {
                let r = &run.records[t];
                let x = Vec2::from(r.from.unwrap());
                // An independent answer: the steepest of 65,536 angles.
                let best = crate::symmetry::dense_scan(&task.objective, &x, 65_536).grad_norm;
                let chosen = crate::symmetry::grad_norm_at(&task.objective, &x, r.theta.unwrap());
                let want = chosen / best;
                assert!(
                    (eta - want).abs() <= 1e-6 * want.max(1e-12),
                    "t = {t}: {eta} vs {want}"
                );
                assert!(eta <= 1.0 + 1e-8, "η = {eta} beats the oracle");
                below_one += usize::from(eta < 0.999);
                checked += 1;
            }
        }
        assert!(checked >= 10, "only {checked} teleports");
        assert!(below_one > 0, "a learned angle is not always the oracle's");
    }

    #[test]
    fn oracle_teleports_on_the_fixed_ellipse_never_move_away_from_the_minimum() {
        // f = 0.25 x² + 9 y²: the steepest points of a level set are the
        // ends of its minor axis, the points nearest the minimum, so an
        // oracle teleport can only come closer. On the Rosenbrock preset
        // the steepest points lie far out and it often moves away.
        let oracle = AnyOptimizer::parse_baseline("gd:lr=0.01,teleport=oracle,every=2").unwrap();
        let starts = [
            (-5.0, 3.5),
            (2.0, -1.0),
            (4.0, 0.5),
            (-1.0, -2.0),
            (3.0, 3.0),
        ];
        let tasks = |preset: crate::objective::Preset| -> Vec<Task> {
            starts
                .iter()
                .map(|&(x, y)| Task {
                    objective: preset.objective(),
                    x0: Vec2::new(x, y),
                })
                .collect()
        };
        let ellipse = evaluate(&oracle, &tasks(crate::objective::Preset::ElliFixed), 8);
        let seen: Vec<f64> = ellipse.iter().filter_map(|s| s.harmful_teleports).collect();
        assert!(!seen.is_empty());
        assert!(seen.iter().all(|h| *h == 0.0), "{seen:?}");
        let rosen = evaluate(&oracle, &tasks(crate::objective::Preset::RosFixed), 8);
        let seen: Vec<f64> = rosen.iter().filter_map(|s| s.harmful_teleports).collect();
        assert!(seen.iter().any(|h| *h > 0.0), "{seen:?}");
        assert!(seen.iter().all(|h| (0.0..=1.0).contains(h)));
        // Steps without teleports report nothing.
        for s in &rosen {
            assert_eq!(
                s.harmful_teleports.is_some(),
                s.teleport_efficiency.is_some(),
                "t = {}",
                s.t
            );
        }
    }
}
