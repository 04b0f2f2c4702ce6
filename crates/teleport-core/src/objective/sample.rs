//! Seeded task distributions of the paper (section 5.1).

use rand::{Rng, RngExt as _};
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use super::{Ellipse, Mat2, Objective, Preset, Rosenbrock, Vec2};

/// A task: an optimizee and a start point.
#[derive(Clone, Debug, PartialEq)]
pub struct Task {
    /// The function to minimize.
    pub objective: Objective,
    /// The start point `x0`.
    pub x0: Vec2,
}

/// The paper's task distributions. Start points are `x0 ~ N(0, I)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskDist {
    /// `A = diag(0.5, 3)`, `b = 0` (Figure 3).
    ElliFixed,
    /// `A`, `b` with i.i.d. N(0, 1) entries (Figure 4).
    ElliVary,
    /// `a = 1, b = −1, c = −2, d(x) = 0.4x²` (Figure 5).
    RosFixed,
    /// `a, b, c, d0, d1, d2` i.i.d. N(0, 1) (Figure 6).
    RosVary,
    /// `elli_vary` or `ros_vary` with probability ½ each.
    Mixed,
}

impl TaskDist {
    /// All distributions, in menu order.
    pub const ALL: [Self; 5] = [
        Self::ElliFixed,
        Self::ElliVary,
        Self::RosFixed,
        Self::RosVary,
        Self::Mixed,
    ];

    /// The name used in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::ElliFixed => "elli_fixed",
            Self::ElliVary => "elli_vary",
            Self::RosFixed => "ros_fixed",
            Self::RosVary => "ros_vary",
            Self::Mixed => "mixed",
        }
    }
}

impl std::fmt::Display for TaskDist {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

from_str_by_name!(TaskDist, "task distribution");

/// How random parameters are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Sampling {
    /// Redraw any `h` whose inverse divides by a small number: an ellipse whose
    /// `A` has smallest singular value below `min_scale`, or a Rosenbrock task
    /// with `|a|` or `|c|` below `min_scale`. The default, `min_scale = 0.05`,
    /// rejects about 5–8 % of raw draws and bounds `‖J_h⁻¹‖` by 20 for ellipses.
    Conditioned {
        /// The rejection threshold.
        min_scale: f64,
    },
    /// The paper's raw N(0, 1) draws, redrawn only when exactly singular.
    Raw,
}

impl Default for Sampling {
    fn default() -> Self {
        Self::Conditioned {
            min_scale: Self::DEFAULT_MIN_SCALE,
        }
    }
}

impl Sampling {
    /// The default rejection threshold of [`Sampling::Conditioned`].
    pub const DEFAULT_MIN_SCALE: f64 = 0.05;
    /// The largest threshold honoured (larger ones are capped to it).
    pub const MAX_MIN_SCALE: f64 = 0.5;

    fn min_scale(self) -> f64 {
        match self {
            // Above 1 the rejection rate of N(0, 1) draws approaches 1 and
            // sampling would stall, so the threshold is capped there.
            Self::Conditioned { min_scale } if min_scale.is_finite() => {
                min_scale.clamp(0.0, Self::MAX_MIN_SCALE)
            }
            Self::Conditioned { .. } => Self::DEFAULT_MIN_SCALE,
            Self::Raw => 0.0,
        }
    }
}

fn normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    rng.sample(StandardNormal)
}

/// The smallest singular value of a 2×2 matrix, in closed form.
pub(crate) fn smallest_singular_value(a: &Mat2) -> f64 {
    // σ² are the eigenvalues of AᵀA: (t ± √(t² − 4 det²)) / 2 with t = ‖A‖²_F.
    let t = a.norm_squared();
    let det = a.determinant();
    let disc = (t * t - 4.0 * det * det).max(0.0).sqrt();
    let big = ((t + disc) * 0.5).sqrt();
    if big == 0.0 { 0.0 } else { det.abs() / big }
}

fn sample_ellipse<R: Rng + ?Sized>(rng: &mut R, sampling: Sampling) -> Objective {
    let min_scale = sampling.min_scale();
    loop {
        let a = Mat2::new(normal(rng), normal(rng), normal(rng), normal(rng));
        let b = Vec2::new(normal(rng), normal(rng));
        if smallest_singular_value(&a) < min_scale {
            continue;
        }
        if let Ok(e) = Ellipse::new(a, b) {
            return Objective::Ellipse(e);
        }
    }
}

fn sample_rosenbrock<R: Rng + ?Sized>(rng: &mut R, sampling: Sampling) -> Objective {
    let min_scale = sampling.min_scale();
    loop {
        let (a, b, c) = (normal(rng), normal(rng), normal(rng));
        let d = [normal(rng), normal(rng), normal(rng)];
        if a.abs() < min_scale || c.abs() < min_scale {
            continue;
        }
        if let Ok(r) = Rosenbrock::new(a, b, c, d) {
            return Objective::Rosenbrock(r);
        }
    }
}

impl TaskDist {
    /// Draws an objective (without a start point).
    pub fn sample_objective<R: Rng + ?Sized>(self, rng: &mut R, sampling: Sampling) -> Objective {
        match self {
            Self::ElliFixed => Preset::ElliFixed.objective(),
            Self::RosFixed => Preset::RosFixed.objective(),
            Self::ElliVary => sample_ellipse(rng, sampling),
            Self::RosVary => sample_rosenbrock(rng, sampling),
            Self::Mixed => {
                if rng.random_bool(0.5) {
                    sample_ellipse(rng, sampling)
                } else {
                    sample_rosenbrock(rng, sampling)
                }
            }
        }
    }

    /// Draws a task: an objective and `x0 ~ N(0, I)`.
    pub fn sample<R: Rng + ?Sized>(self, rng: &mut R, sampling: Sampling) -> Task {
        let objective = self.sample_objective(rng, sampling);
        let x0 = Vec2::new(normal(rng), normal(rng));
        Task { objective, x0 }
    }

    /// `n` tasks from one seed: the same seed always gives the same tasks.
    pub fn sample_many(self, seed: u64, n: usize, sampling: Sampling) -> Vec<Task> {
        let mut rng = crate::rng(seed);
        (0..n).map(|_| self.sample(&mut rng, sampling)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smallest_singular_value_matches_svd() {
        let mut rng = crate::rng(3);
        for _ in 0..1000 {
            let a = Mat2::new(
                normal(&mut rng),
                normal(&mut rng),
                normal(&mut rng),
                normal(&mut rng),
            );
            let svd = a.svd(false, false);
            let expected = svd.singular_values.min();
            assert!((smallest_singular_value(&a) - expected).abs() < 1e-12 * (1.0 + expected));
        }
    }

    #[test]
    fn conditioned_sampling_respects_threshold_and_seed() {
        let sampling = Sampling::default();
        let tasks = TaskDist::Mixed.sample_many(7, 500, sampling);
        let again = TaskDist::Mixed.sample_many(7, 500, sampling);
        assert_eq!(tasks, again);
        let mut ellipses = 0;
        for task in &tasks {
            match &task.objective {
                Objective::Ellipse(e) => {
                    ellipses += 1;
                    assert!(smallest_singular_value(&e.a()) >= 0.05);
                }
                Objective::Rosenbrock(r) => {
                    let (a, _, c, _) = r.coefficients();
                    assert!(a.abs() >= 0.05 && c.abs() >= 0.05);
                }
                Objective::Quadratic(_) | Objective::Custom(_) | Objective::Formula(_) => {
                    panic!("mixed never draws quadratics or custom h")
                }
            }
        }
        // Mixed is 50/50: 500 draws land within ±5σ of 250.
        assert!((ellipses - 250_i32).abs() < 56, "{ellipses} ellipses");
        let other = TaskDist::Mixed.sample_many(8, 500, sampling);
        assert_ne!(tasks, other);
    }

    #[test]
    fn raw_sampling_can_draw_ill_conditioned_tasks() {
        let tasks = TaskDist::RosVary.sample_many(1, 2000, Sampling::Raw);
        let small = tasks
            .iter()
            .filter(|t| match &t.objective {
                Objective::Rosenbrock(r) => {
                    let (a, _, c, _) = r.coefficients();
                    a.abs() < 0.05 || c.abs() < 0.05
                }
                _ => false,
            })
            .count();
        // P(|a| < 0.05 or |c| < 0.05) ≈ 0.08 under N(0, 1).
        assert!(small > 80, "{small}");
    }
}
