//! Claims with error bars: a paired bootstrap over training seeds and test
//! tasks.
//!
//! An experiment gives, for every optimizer, one value per (seed, test task)
//! cell — `f` at the last step, say. Every optimizer of a comparison ran on
//! the same test tasks, and the learned ones were trained from the same
//! seeds, so a comparison is *paired*: a bootstrap replicate draws seeds
//! and tasks with replacement (the two independently: the resampled data
//! are every pair of a drawn seed and a drawn task) and evaluates the
//! statistic of both optimizers on the same cells. The 95 % interval is the
//! 2.5 % and 97.5 % percentiles of the replicates.
//!
//! A classical optimizer does not depend on the seed: it is a grid of one
//! seed, read the same for every seed of the other side.

use rand::RngExt as _;
use serde::Serialize;

use crate::stats::quantile;

/// One optimizer's values on the (seed, task) grid. A value that is not
/// finite is a run that diverged.
#[derive(Clone, Debug, PartialEq)]
pub struct Cells {
    seeds: usize,
    tasks: usize,
    values: Vec<f64>,
}

impl Cells {
    /// The grid from its rows, one per seed, each with a value per task.
    /// `None` when there is no row, a row is empty, or the rows differ in
    /// length.
    pub fn new(rows: Vec<Vec<f64>>) -> Option<Self> {
        let tasks = rows.first()?.len();
        if tasks == 0 || rows.iter().any(|r| r.len() != tasks) {
            return None;
        }
        Some(Self {
            seeds: rows.len(),
            tasks,
            values: rows.into_iter().flatten().collect(),
        })
    }

    /// Seeds (rows).
    pub fn seeds(&self) -> usize {
        self.seeds
    }

    /// Test tasks (columns).
    pub fn tasks(&self) -> usize {
        self.tasks
    }

    /// The value of seed `s` on task `i`; a one-seed grid answers every
    /// seed with its row.
    pub fn get(&self, s: usize, i: usize) -> f64 {
        self.values[(s % self.seeds) * self.tasks + i]
    }

    /// Cells whose value is not finite (diverged runs).
    pub fn diverged(&self) -> usize {
        self.values.iter().filter(|v| !v.is_finite()).count()
    }

    /// Every value.
    pub fn values(&self) -> &[f64] {
        &self.values
    }
}

/// The cells of one bootstrap replicate: the drawn seeds and tasks (with
/// repeats); the replicate's data are every (seed, task) pair of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resample {
    /// Drawn seed indices.
    pub seeds: Vec<usize>,
    /// Drawn task indices.
    pub tasks: Vec<usize>,
}

impl Resample {
    /// The data as observed: every seed and task once.
    pub fn identity(seeds: usize, tasks: usize) -> Self {
        Self {
            seeds: (0..seeds).collect(),
            tasks: (0..tasks).collect(),
        }
    }

    /// A replicate: `seeds` seeds and `tasks` tasks drawn with replacement.
    pub fn draw(rng: &mut crate::Rng, seeds: usize, tasks: usize) -> Self {
        Self {
            seeds: (0..seeds).map(|_| rng.random_range(0..seeds)).collect(),
            tasks: (0..tasks).map(|_| rng.random_range(0..tasks)).collect(),
        }
    }

    /// The values of `cells` on this replicate's cells, seed by seed.
    pub fn values<'a>(&'a self, cells: &'a Cells) -> impl Iterator<Item = f64> + 'a {
        self.seeds
            .iter()
            .flat_map(move |&s| self.tasks.iter().map(move |&i| cells.get(s, i)))
    }

    /// The mean of the finite values (diverged runs left out, as in the
    /// per-step statistics); NaN when none is finite.
    pub fn mean(&self, cells: &Cells) -> f64 {
        let (sum, n) = self
            .values(cells)
            .filter(|v| v.is_finite())
            .fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
        if n == 0 { f64::NAN } else { sum / n as f64 }
    }

    /// The median, a diverged run counting as +∞ (the worst value): one
    /// divergence moves it by at most one rank.
    pub fn median(&self, cells: &Cells) -> f64 {
        let mut v: Vec<f64> = self
            .values(cells)
            .map(|v| if v.is_finite() { v } else { f64::INFINITY })
            .collect();
        quantile(&mut v, 0.5)
    }

    /// `Σ num / Σ den` over the cells where both are finite (a ratio of
    /// counts, such as harmful teleports over all teleports); NaN when the
    /// denominator sums to 0.
    pub fn ratio_of_sums(&self, num: &Cells, den: &Cells) -> f64 {
        let (a, b) = self
            .values(num)
            .zip(self.values(den))
            .filter(|(a, b)| a.is_finite() && b.is_finite())
            .fold((0.0, 0.0), |(sa, sb), (a, b)| (sa + a, sb + b));
        if b > 0.0 { a / b } else { f64::NAN }
    }
}

/// `ln(a / b)`; NaN unless both are positive and finite.
pub fn log_ratio(a: f64, b: f64) -> f64 {
    if a > 0.0 && b > 0.0 && a.is_finite() && b.is_finite() {
        (a / b).ln()
    } else {
        f64::NAN
    }
}

/// An estimate with its 95 % bootstrap interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    /// The statistic on the data as observed.
    pub estimate: f64,
    /// 2.5 % percentile of the replicates.
    pub lo: f64,
    /// 97.5 % percentile of the replicates.
    pub hi: f64,
}

impl Interval {
    /// `holds` when the interval lies above 0, `fails` when below,
    /// `inconclusive` otherwise (and when it could not be computed).
    pub fn verdict(&self) -> Verdict {
        if self.lo > 0.0 && self.hi.is_finite() {
            Verdict::Holds
        } else if self.hi < 0.0 && self.lo.is_finite() {
            Verdict::Fails
        } else {
            Verdict::Inconclusive
        }
    }

    /// Whether `value` lies in the interval (ends included).
    pub fn contains(&self, value: f64) -> bool {
        self.lo <= value && value <= self.hi
    }
}

/// What the data say about a claim whose metric is positive when the claim
/// is true.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The 95 % interval lies above 0.
    Holds,
    /// The 95 % interval lies below 0.
    Fails,
    /// The interval contains 0 (or could not be computed).
    Inconclusive,
}

impl Verdict {
    /// `holds`, `fails` or `inconclusive`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Holds => "holds",
            Self::Fails => "fails",
            Self::Inconclusive => "inconclusive",
        }
    }
}

/// Bootstrap replicates used by `figures`.
pub const REPLICATES: usize = 2000;

/// The paired bootstrap of `statistic` over a grid of `seeds` × `tasks`:
/// the estimate on the observed data and the 2.5 %–97.5 % percentiles of
/// `replicates` resamples drawn from `seed`. Replicates where the statistic
/// is not finite are dropped; when more than 5 % are, the interval is NaN
/// (and the verdict inconclusive). The same arguments give the same
/// interval, bit for bit.
pub fn paired_bootstrap(
    seeds: usize,
    tasks: usize,
    replicates: usize,
    seed: u64,
    statistic: impl Fn(&Resample) -> f64,
) -> Interval {
    let estimate = statistic(&Resample::identity(seeds, tasks));
    if seeds == 0 || tasks == 0 || replicates == 0 {
        return Interval {
            estimate,
            lo: f64::NAN,
            hi: f64::NAN,
        };
    }
    let mut rng = crate::rng(seed);
    let mut reps: Vec<f64> = (0..replicates)
        .map(|_| statistic(&Resample::draw(&mut rng, seeds, tasks)))
        .filter(|v| v.is_finite())
        .collect();
    if (reps.len() as f64) < 0.95 * replicates as f64 {
        return Interval {
            estimate,
            lo: f64::NAN,
            hi: f64::NAN,
        };
    }
    Interval {
        estimate,
        lo: quantile(&mut reps, 0.025),
        hi: quantile(&mut reps, 0.975),
    }
}

/// A stable 64-bit hash of a claim's id (FNV-1a), to give every claim its
/// own bootstrap stream whatever the order claims are computed in.
pub fn id_seed(id: &str) -> u64 {
    id.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_distr::StandardNormal;

    fn normal(rng: &mut crate::Rng) -> f64 {
        rng.sample(StandardNormal)
    }

    fn grid(rows: Vec<Vec<f64>>) -> Cells {
        Cells::new(rows).unwrap()
    }

    /// Lognormal "final losses" of an optimizer: seed effects plus task
    /// effects plus noise, on the log scale.
    fn losses(rng: &mut crate::Rng, seeds: usize, tasks: usize) -> Vec<Vec<f64>> {
        let task_effect: Vec<f64> = (0..tasks).map(|_| normal(rng)).collect();
        (0..seeds)
            .map(|_| {
                let seed_effect = 0.3 * normal(rng);
                task_effect
                    .iter()
                    .map(|t| (t + seed_effect + 0.5 * normal(rng)).exp())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn two_identical_optimizers_give_an_interval_of_exactly_zero() {
        let mut rng = crate::rng(1);
        let a = grid(losses(&mut rng, 5, 200));
        let b = a.clone();
        for stat in [Resample::mean, Resample::median] {
            let ci = paired_bootstrap(5, 200, 500, 7, |r| log_ratio(stat(r, &a), stat(r, &b)));
            assert_eq!((ci.estimate, ci.lo, ci.hi), (0.0, 0.0, 0.0));
            assert_eq!(ci.verdict(), Verdict::Inconclusive);
        }
    }

    /// Two optimizers that behave alike — independent draws from one
    /// distribution — give intervals that contain 0 about 95 % of the
    /// time, and narrow ones: pairing on the tasks removes the task
    /// effect, which dominates the spread of the values, so the interval
    /// of the difference is narrower than that of either median alone.
    #[test]
    fn optimizers_that_behave_alike_give_narrow_intervals_around_zero() {
        let mut covered = 0;
        let trials = 40;
        for trial in 0..trials {
            let mut rng = crate::rng(100 + trial);
            let (seeds, tasks) = (5, 200);
            let task_effect: Vec<f64> = (0..tasks).map(|_| normal(&mut rng)).collect();
            let mut draw = || -> Cells {
                grid(
                    (0..seeds)
                        .map(|_| {
                            task_effect
                                .iter()
                                .map(|t| (t + 0.3 * normal(&mut rng)).exp())
                                .collect()
                        })
                        .collect(),
                )
            };
            let (a, b) = (draw(), draw());
            let ci = paired_bootstrap(seeds, tasks, 400, trial, |r| {
                log_ratio(r.median(&a), r.median(&b))
            });
            covered += usize::from(ci.contains(0.0));
            let alone = paired_bootstrap(seeds, tasks, 400, trial, |r| r.median(&a).ln());
            assert!(
                ci.hi - ci.lo < 0.8 * (alone.hi - alone.lo) && ci.hi - ci.lo < 0.3,
                "trial {trial}: {ci:?}, one median alone {alone:?}"
            );
        }
        assert!(covered >= 34, "{covered} of {trials} intervals contain 0");
    }

    /// A copy shifted by δ: the paired difference of means is δ in every
    /// replicate; with noise added the interval still contains δ and, with
    /// one seed, has the width of the textbook ±1.96 σ/√n.
    #[test]
    fn a_shifted_copy_recovers_the_shift() {
        let mut rng = crate::rng(3);
        let rows = losses(&mut rng, 4, 150);
        let a = grid(rows.clone());
        let delta = 0.75_f64;
        let shifted = grid(
            rows.iter()
                .map(|r| r.iter().map(|v| v * delta.exp()).collect())
                .collect(),
        );
        let ci = paired_bootstrap(4, 150, 300, 9, |r| log_ratio(r.mean(&shifted), r.mean(&a)));
        for v in [ci.estimate, ci.lo, ci.hi] {
            assert!((v - delta).abs() < 1e-12, "{ci:?}");
        }
        assert_eq!(ci.verdict(), Verdict::Holds);
        let ci = paired_bootstrap(4, 150, 300, 9, |r| log_ratio(r.mean(&a), r.mean(&shifted)));
        assert_eq!(ci.verdict(), Verdict::Fails);

        // Noisy pairs: b = a + δ + ε, ε ~ N(0, σ²), one seed, n tasks.
        let (n, sigma, delta) = (400, 1.0, 0.3);
        let base: Vec<f64> = (0..n).map(|_| 5.0 * normal(&mut rng)).collect();
        let noisy: Vec<f64> = base
            .iter()
            .map(|v| v + delta + sigma * normal(&mut rng))
            .collect();
        let (a, b) = (grid(vec![base]), grid(vec![noisy]));
        let ci = paired_bootstrap(1, n, 4000, 11, |r| r.mean(&b) - r.mean(&a));
        assert!(ci.contains(delta), "{ci:?}");
        let textbook = 2.0 * 1.96 * sigma / (n as f64).sqrt();
        let width = ci.hi - ci.lo;
        assert!(
            (width / textbook - 1.0).abs() < 0.15,
            "width {width} vs {textbook}"
        );
    }

    #[test]
    fn the_same_seed_gives_the_same_interval_and_another_seed_another() {
        let mut rng = crate::rng(4);
        let a = grid(losses(&mut rng, 3, 60));
        let b = grid(losses(&mut rng, 3, 60));
        let stat = |r: &Resample| log_ratio(r.median(&a), r.median(&b));
        let one = paired_bootstrap(3, 60, 300, 5, stat);
        assert_eq!(one, paired_bootstrap(3, 60, 300, 5, stat));
        assert_ne!(one, paired_bootstrap(3, 60, 300, 6, stat));
        assert_eq!(id_seed("fig4"), id_seed("fig4"));
        assert_ne!(id_seed("fig4"), id_seed("fig5"));
    }

    #[test]
    fn a_baseline_of_one_seed_pairs_with_every_seed() {
        let learned = grid(vec![vec![1.0, 2.0], vec![3.0, 4.0]]);
        let baseline = grid(vec![vec![10.0, 20.0]]);
        let r = Resample {
            seeds: vec![1, 1],
            tasks: vec![0, 1],
        };
        assert_eq!(
            r.values(&learned).collect::<Vec<_>>(),
            vec![3.0, 4.0, 3.0, 4.0]
        );
        assert_eq!(
            r.values(&baseline).collect::<Vec<_>>(),
            vec![10.0, 20.0, 10.0, 20.0]
        );
    }

    #[test]
    fn diverged_runs_leave_the_mean_and_count_as_worst_in_the_median() {
        let c = grid(vec![
            vec![1.0, f64::NAN, 3.0],
            vec![f64::INFINITY, 2.0, 4.0],
        ]);
        let r = Resample::identity(2, 3);
        assert_eq!(r.mean(&c), 2.5);
        // 1, 2, 3, 4, ∞, ∞: the median is (3 + 4) / 2.
        assert_eq!(r.median(&c), 3.5);
        assert_eq!(c.diverged(), 2);
        let num = grid(vec![vec![1.0, 0.0, 2.0]]);
        let den = grid(vec![vec![4.0, 4.0, 2.0]]);
        assert_eq!(Resample::identity(1, 3).ratio_of_sums(&num, &den), 0.3);
        assert!(Cells::new(vec![vec![1.0], vec![]]).is_none());
        assert!(Cells::new(Vec::new()).is_none());
    }

    #[test]
    fn verdicts_follow_the_interval() {
        let ci = |lo, hi| Interval {
            estimate: 0.0,
            lo,
            hi,
        };
        assert_eq!(ci(0.1, 0.5).verdict(), Verdict::Holds);
        assert_eq!(ci(-0.5, -0.1).verdict(), Verdict::Fails);
        assert_eq!(ci(-0.1, 0.5).verdict(), Verdict::Inconclusive);
        assert_eq!(ci(0.0, 0.5).verdict(), Verdict::Inconclusive);
        assert_eq!(ci(f64::NAN, f64::NAN).verdict(), Verdict::Inconclusive);
        // Too many replicates where the statistic is undefined: no interval.
        let ci = paired_bootstrap(1, 10, 100, 1, |r| {
            if r.tasks.contains(&0) { f64::NAN } else { 1.0 }
        });
        assert!(ci.lo.is_nan() && ci.hi.is_nan());
        assert_eq!(ci.verdict(), Verdict::Inconclusive);
    }
}
