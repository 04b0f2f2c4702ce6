//! Fair tuning: a learning-rate sweep of a classical row, so that a learned
//! optimizer is compared with a well-tuned baseline rather than a badly
//! tuned one.
//!
//! The sweep runs the row at [`RateRange::count`] log-spaced rates (24 by
//! default, over a range chosen from the row's kind, [`RateRange::default_for`])
//! on one task and x₀ or on several tasks, and reads `f` after the steps of
//! every run. A run that diverged or failed before the last step counts as
//! `f = +∞`. Each rate gets the median and quartiles of `f` over the tasks
//! (one task: its `f` three times), and the best rate is the one with the
//! lowest median; of rates with the same median, the smallest wins (the one
//! farthest from divergence). The row keeps its teleport schedule and its
//! gradient noise: test task `i` draws noise run `i`
//! ([`crate::optim::noise`]), the same for every rate, so the curve compares
//! rates on the same noise. [`sweep`] returns every rate's numbers, which is
//! what the sensitivity plot (f after N against the learning rate, one curve
//! per classical row) draws.

use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;

use crate::eval::{AnyOptimizer, map_pooled};
use crate::limits::EVAL_STEPS_MAX;
use crate::objective::{Objective, Task, TaskDist};
use crate::optim::{GradNoise, NoiseError, NoiseStream, OptimizerSpec, Trajectory, run_noisy};
use crate::stats::quantile;

/// Rates a sweep tries when none are given.
pub const DEFAULT_RATE_COUNT: usize = 24;

/// The most rates one sweep may try.
pub const RATE_COUNT_MAX: usize = 10_000;

/// The largest rate a sweep may try: the bound every step size of a file
/// has ([`OptimizerSpec::check`]).
pub const RATE_MAX: f64 = 1e6;

/// Log-spaced learning rates: `count` values from `lo` to `hi`, both
/// included.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct RateRange {
    /// The smallest rate.
    pub lo: f64,
    /// The largest rate.
    pub hi: f64,
    /// How many rates (1 gives `lo` alone).
    pub count: usize,
}

impl RateRange {
    /// The default range of a row's kind, with [`DEFAULT_RATE_COUNT`]
    /// rates: GD, momentum and Algorithm 2's α from 1e−4 to 1 (the lab's
    /// tasks have curvatures from about 0.1 to 100, so that their stable
    /// rates, below 2/λ_max, lie inside); Adam from 1e−4 to 10 (its rate is
    /// a step length, and the tasks' start points lie 1 to 10 from their
    /// minima); Newton's damping from 1e−2 to 2 (a quadratic converges for
    /// damping in (0, 2)).
    pub fn default_for(spec: &OptimizerSpec) -> Self {
        let (lo, hi) = match spec {
            OptimizerSpec::Gd { .. }
            | OptimizerSpec::Momentum { .. }
            | OptimizerSpec::Alg2 { .. } => (1e-4, 1.0),
            OptimizerSpec::Adam { .. } => (1e-4, 10.0),
            OptimizerSpec::Newton { .. } => (1e-2, 2.0),
        };
        Self {
            lo,
            hi,
            count: DEFAULT_RATE_COUNT,
        }
    }

    /// Checks the range: `0 < lo < hi ≤ 1e6`, 1 to [`RATE_COUNT_MAX`] rates.
    pub fn check(&self) -> Result<(), TuneError> {
        let positive = |v: f64| v.is_finite() && v > 0.0 && v <= RATE_MAX;
        if !(positive(self.lo) && positive(self.hi)) {
            return Err(TuneError::RatesNotPositive {
                lo: self.lo,
                hi: self.hi,
            });
        }
        if self.lo >= self.hi {
            return Err(TuneError::RatesNotIncreasing {
                lo: self.lo,
                hi: self.hi,
            });
        }
        if !(1..=RATE_COUNT_MAX).contains(&self.count) {
            return Err(TuneError::RateCount(self.count));
        }
        Ok(())
    }

    /// The rates, ascending: `lo·(hi/lo)^(k/(count−1))` for `k = 0 … count−1`,
    /// computed in logarithms, with `lo` and `hi` exactly at the ends.
    pub fn rates(&self) -> Vec<f64> {
        let n = self.count;
        if n <= 1 {
            return vec![self.lo; n];
        }
        let (a, b) = (self.lo.ln(), self.hi.ln());
        (0..n)
            .map(|k| match k {
                0 => self.lo,
                k if k == n - 1 => self.hi,
                k => (a + (b - a) * (k as f64 / (n - 1) as f64)).exp(),
            })
            .collect()
    }
}

/// `LO,HI,COUNT` (the command line's `--rates`), checked.
impl std::str::FromStr for RateRange {
    type Err = TuneError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || TuneError::RatesForm(text.to_owned());
        let parts: Vec<&str> = text.split(',').map(str::trim).collect();
        let [lo, hi, count] = parts[..] else {
            return Err(bad());
        };
        let range = Self {
            lo: lo.parse().map_err(|_| bad())?,
            hi: hi.parse().map_err(|_| bad())?,
            count: count.parse().map_err(|_| bad())?,
        };
        range.check()?;
        Ok(range)
    }
}

/// Why a sweep cannot run.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum TuneError {
    /// The row is a learned optimizer.
    #[error(
        "`{name}` is a learned optimizer: its step sizes come from its network; a sweep tunes the learning rate of a classical row"
    )]
    Learned {
        /// The row's name.
        name: String,
    },
    /// `--rates` is not three comma-separated numbers.
    #[error("expected LO,HI,COUNT such as 1e-4,1,24, got `{0}`")]
    RatesForm(String),
    /// A rate is not in (0, 1e6].
    #[error(
        "LO and HI must be positive finite numbers ≤ 1e6, got LO = {}, HI = {}",
        crate::numfmt::short(*lo),
        crate::numfmt::short(*hi)
    )]
    RatesNotPositive {
        /// The smallest rate.
        lo: f64,
        /// The largest rate.
        hi: f64,
    },
    /// `lo ≥ hi`.
    #[error(
        "LO = {} must be below HI = {}",
        crate::numfmt::short(*lo),
        crate::numfmt::short(*hi)
    )]
    RatesNotIncreasing {
        /// The smallest rate.
        lo: f64,
        /// The largest rate.
        hi: f64,
    },
    /// The count is 0 or above [`RATE_COUNT_MAX`].
    #[error("COUNT, the number of rates, must be 1 to {RATE_COUNT_MAX}, got {0}")]
    RateCount(usize),
    /// No tasks to run on.
    #[error("a sweep needs at least one task")]
    NoTasks,
    /// More steps than a file may ask for.
    #[error("steps must be at most {EVAL_STEPS_MAX}, got {0}")]
    Steps(usize),
    /// The row's noise is refused.
    #[error("noise: {0}")]
    Noise(#[from] NoiseError),
    /// The caller cancelled the sweep.
    #[error("the sweep was cancelled")]
    Cancelled,
}

/// One rate of a sweep: `f` after the steps over the tasks.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SweepPoint {
    /// The learning rate.
    pub lr: f64,
    /// The median over the tasks of `f` after the steps (`+∞` when more
    /// than half the runs diverged; JSON writes it `null`).
    pub f: f64,
    /// The first quartile.
    pub q25: f64,
    /// The third quartile.
    pub q75: f64,
    /// Runs that diverged or failed before the last step (counted as
    /// `f = +∞`).
    pub diverged: usize,
}

/// A learning-rate sweep of one row.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Sweep {
    /// The row's optimizer (`gd`, `momentum`, …).
    pub kind: &'static str,
    /// Steps of every run.
    pub steps: usize,
    /// Tasks every rate ran on.
    pub tasks: usize,
    /// One per rate, ascending.
    pub points: Vec<SweepPoint>,
    /// The index of the best rate in [`Self::points`]; `None` when every
    /// rate diverged.
    pub best: Option<usize>,
}

impl Sweep {
    /// The best rate's point.
    pub fn best_point(&self) -> Option<&SweepPoint> {
        self.points.get(self.best?)
    }

    /// The best rate.
    pub fn best_lr(&self) -> Option<f64> {
        self.best_point().map(|p| p.lr)
    }

    /// The sweep as CSV: `lr,f,q25,q75,diverged,best`, a row per rate
    /// (`f` is the median over the tasks, `inf` where it diverged; `best`
    /// is 1 on the best rate's row, else 0).
    pub fn csv(&self) -> String {
        let mut out = String::from("lr,f,q25,q75,diverged,best\n");
        for (i, p) in self.points.iter().enumerate() {
            out.push_str(&format!(
                "{},{},{},{},{},{}\n",
                p.lr,
                p.f,
                p.q25,
                p.q75,
                p.diverged,
                u8::from(self.best == Some(i))
            ));
        }
        out
    }
}

/// `f` after `steps` steps of a run: the record at `t = steps`, or `+∞`
/// when the run stopped before it (diverged or failed).
pub fn final_f(run: &Trajectory, steps: usize) -> f64 {
    match (&run.stop, run.records.get(steps)) {
        (None, Some(rec)) => rec.f,
        _ => f64::INFINITY,
    }
}

/// The best point: the lowest finite median `f`, the smallest rate among
/// equal ones (`points` are in ascending rate order); `None` when none is
/// finite.
pub fn best_index(points: &[SweepPoint]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, p) in points.iter().enumerate() {
        if !p.f.is_finite() {
            continue;
        }
        // Strictly lower only: an equal median keeps the smaller rate.
        if best.is_none_or(|b| p.f < points[b].f) {
            best = Some(i);
        }
    }
    best
}

/// `n` tasks on one objective from seeded start points `x₀ ~ N(0, I)`:
/// the start points of `elli_vary`'s first `n` draws from `seed`, as the
/// app's across-tasks plot uses on a fixed task.
pub fn tasks_from_starts(objective: &Objective, n: usize, seed: u64) -> Vec<Task> {
    TaskDist::ElliVary
        .sample_many(seed, n, Default::default())
        .into_iter()
        .map(|t| Task {
            objective: objective.clone(),
            x0: t.x0,
        })
        .collect()
}

/// Sweeps the learning rate of the classical row `opt` (with its teleport
/// schedule, and the gradient `noise` if any) over `rates`, each rate run
/// for `steps` steps on every task, on `threads` threads (at least one):
/// the numbers are the same whatever the count, each run depending on its
/// rate and task alone. Refuses a learned row, a bad range or noise, no
/// tasks; gives [`TuneError::Cancelled`] once `cancel` is set (checked
/// before every run).
pub fn sweep(
    opt: &AnyOptimizer,
    noise: Option<&GradNoise>,
    tasks: &[Task],
    steps: usize,
    rates: &RateRange,
    threads: usize,
    cancel: &AtomicBool,
) -> Result<Sweep, TuneError> {
    let (spec, teleport) = match opt {
        AnyOptimizer::Classical { spec, teleport, .. } => (*spec, teleport.as_ref()),
        AnyOptimizer::Learned { name, .. } => {
            return Err(TuneError::Learned { name: name.clone() });
        }
    };
    rates.check()?;
    if let Some(n) = noise {
        n.check()?;
    }
    if tasks.is_empty() {
        return Err(TuneError::NoTasks);
    }
    if steps > EVAL_STEPS_MAX {
        return Err(TuneError::Steps(steps));
    }
    let lrs = rates.rates();
    // One item per (rate, task), so that the pool shares uneven runs (a
    // diverging rate stops early) between the threads.
    let items: Vec<(usize, usize)> = (0..lrs.len())
        .flat_map(|r| (0..tasks.len()).map(move |i| (r, i)))
        .collect();
    let finals = map_pooled(&items, threads, |&(r, i)| {
        if cancel.load(Ordering::Relaxed) {
            return None;
        }
        let task = &tasks[i];
        let run = run_noisy(
            &task.objective,
            task.x0,
            steps,
            spec.with_lr(lrs[r]),
            teleport,
            &[],
            NoiseStream::of(noise, i as u64),
        );
        Some(final_f(&run, steps))
    });
    let finals: Vec<f64> = finals
        .into_iter()
        .collect::<Option<_>>()
        .ok_or(TuneError::Cancelled)?;
    let points: Vec<SweepPoint> = lrs
        .iter()
        .zip(finals.chunks(tasks.len()))
        .map(|(&lr, values)| {
            let mut v = values.to_vec();
            // Between two diverged runs the interpolation is ∞ − ∞: the
            // quantile is +∞ there (no run is NaN).
            let mut at = |q| match quantile(&mut v, q) {
                f if f.is_nan() => f64::INFINITY,
                f => f,
            };
            SweepPoint {
                lr,
                f: at(0.5),
                q25: at(0.25),
                q75: at(0.75),
                diverged: values.iter().filter(|f| **f == f64::INFINITY).count(),
            }
        })
        .collect();
    Ok(Sweep {
        kind: spec.kind(),
        steps,
        tasks: tasks.len(),
        best: best_index(&points),
        points,
    })
}
