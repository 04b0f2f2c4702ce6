//! Optimizees on ℝ²: `f_h(x) = ‖h(x)‖²` with a bijective `h`, and a typed `f`.
//!
//! Every `h` family provides `h`, `h⁻¹`, the Jacobian of `h`, `f`, `∇f` and
//! the Hessian of `f` in closed form. Because `f` only depends on `‖h(x)‖`,
//! every such family has the SO(2) symmetry `x ↦ h⁻¹(R_θ h(x))` used by
//! [`crate::symmetry`]. A typed `f` ([`Objective::Formula`]) has no `h`: its
//! teleport follows the flow of `J∇f` along the level curve instead
//! ([`crate::symmetry::flow`]), and its `h`-only methods return NaN (their
//! `try_` forms, [`TeleportError::NoH`]).

pub mod custom;
mod sample;

pub use custom::{
    Custom, CustomError, FoldScan, GALLERY, GalleryEntry, InverseError, KnownMinimum,
    TEST_FUNCTIONS, TeleportError, TestFunction, TypedF, fold_scan,
};
pub use sample::{Sampling, Task, TaskDist};

use std::sync::Arc;

use nalgebra::{Matrix2, Vector2};
use serde::{Deserialize, Serialize};

/// A point or vector of ℝ².
pub type Vec2 = Vector2<f64>;
/// A 2×2 matrix.
pub type Mat2 = Matrix2<f64>;

/// Invalid parameters for an objective.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ParamError {
    /// A parameter is NaN or infinite.
    #[error("parameter `{name}` is not a finite number")]
    NonFinite {
        /// The parameter's name, as in a scene file.
        name: &'static str,
    },
    /// `A` is singular, so `h(x) = A x + b` is not invertible (or its
    /// entries are so large that `det A` overflows).
    #[error("{}", singular_message(*det))]
    Singular {
        /// The determinant of `A`.
        det: f64,
    },
    /// A Rosenbrock coefficient that `h⁻¹` divides by is zero.
    #[error("Rosenbrock coefficient `{name}` is zero; h⁻¹ divides by it")]
    ZeroCoefficient {
        /// `a` or `c`.
        name: &'static str,
    },
    /// A quadratic's matrix is not symmetric positive definite.
    #[error("matrix A of a quadratic must be symmetric positive definite ({reason})")]
    NotSpd {
        /// Why the check failed.
        reason: String,
    },
    /// A custom `h` that does not parse or is not usable.
    #[error(transparent)]
    Custom(#[from] CustomError),
}

fn singular_message(det: f64) -> String {
    if det.is_finite() {
        format!(
            "matrix A is singular (det A = {}); h(x) = A x + b must be invertible",
            crate::numfmt::short(det)
        )
    } else {
        format!("the entries of matrix A are too large: det A overflows to {det}")
    }
}

fn check_finite(name: &'static str, values: &[f64]) -> Result<(), ParamError> {
    if values.iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(ParamError::NonFinite { name })
    }
}

/// The rotation matrix `R_θ`.
#[inline]
pub fn rotation(theta: f64) -> Mat2 {
    let (s, c) = theta.sin_cos();
    Mat2::new(c, -s, s, c)
}

/// `dR_θ/dθ = R_{θ+π/2}`.
#[inline]
pub fn rotation_derivative(theta: f64) -> Mat2 {
    let (s, c) = theta.sin_cos();
    Mat2::new(-s, -c, c, -s)
}

/// Generalized Booth: `h(x) = A x + b` with `A` nonsingular. Convex.
#[derive(Clone, Debug, PartialEq)]
pub struct Ellipse {
    a: Mat2,
    a_inv: Mat2,
    b: Vec2,
}

impl Ellipse {
    /// Builds the family member, or says why it is invalid.
    pub fn new(a: Mat2, b: Vec2) -> Result<Self, ParamError> {
        check_finite("A", a.as_slice())?;
        check_finite("b", b.as_slice())?;
        let det = a.determinant();
        let scale = a.abs().max().max(f64::MIN_POSITIVE);
        // A relative test: a determinant that is tiny next to the entries
        // makes `h⁻¹` meaningless even when it is not exactly zero.
        if det.abs() <= 1e-12 * scale * scale {
            return Err(ParamError::Singular { det });
        }
        let a_inv = a.try_inverse().ok_or(ParamError::Singular { det })?;
        Ok(Self { a, a_inv, b })
    }

    /// The matrix `A`.
    pub fn a(&self) -> Mat2 {
        self.a
    }

    /// The offset `b`.
    pub fn b(&self) -> Vec2 {
        self.b
    }
}

/// Generalized Rosenbrock: `h(x, y) = (c·y + d(x), a·x + b)` with
/// `d(x) = d0 + d1·x + d2·x²`, `a ≠ 0`, `c ≠ 0`. Usually nonconvex.
#[derive(Clone, Debug, PartialEq)]
pub struct Rosenbrock {
    a: f64,
    b: f64,
    c: f64,
    d: [f64; 3],
}

impl Rosenbrock {
    /// Builds the family member, or says why it is invalid.
    pub fn new(a: f64, b: f64, c: f64, d: [f64; 3]) -> Result<Self, ParamError> {
        check_finite("a", &[a])?;
        check_finite("b", &[b])?;
        check_finite("c", &[c])?;
        check_finite("d", &d)?;
        if a == 0.0 {
            return Err(ParamError::ZeroCoefficient { name: "a" });
        }
        if c == 0.0 {
            return Err(ParamError::ZeroCoefficient { name: "c" });
        }
        Ok(Self { a, b, c, d })
    }

    /// The coefficients `(a, b, c, [d0, d1, d2])`.
    pub fn coefficients(&self) -> (f64, f64, f64, [f64; 3]) {
        (self.a, self.b, self.c, self.d)
    }

    #[inline]
    fn d_of(&self, x: f64) -> f64 {
        self.d[0] + x * (self.d[1] + x * self.d[2])
    }

    #[inline]
    fn d_prime(&self, x: f64) -> f64 {
        self.d[1] + 2.0 * self.d[2] * x
    }
}

/// Convex quadratic `f(x) = xᵀ A x` with `A` symmetric positive definite,
/// written as `h(x) = B x` with `B = A^{1/2}` (Algorithm 2's setting).
#[derive(Clone, Debug, PartialEq)]
pub struct Quadratic {
    a: Mat2,
    b: Mat2,
    b_inv: Mat2,
}

impl Quadratic {
    /// Builds the family member, or says why it is invalid.
    pub fn new(a: Mat2) -> Result<Self, ParamError> {
        check_finite("A", a.as_slice())?;
        let asym = (a[(0, 1)] - a[(1, 0)]).abs();
        let scale = a.abs().max().max(f64::MIN_POSITIVE);
        if asym > 1e-12 * scale {
            return Err(ParamError::NotSpd {
                reason: format!(
                    "A is not symmetric: A01 = {}, A10 = {}",
                    a[(0, 1)],
                    a[(1, 0)]
                ),
            });
        }
        let a = (a + a.transpose()) * 0.5;
        let eig = a.symmetric_eigen();
        if !eig
            .eigenvalues
            .iter()
            .chain(eig.eigenvectors.iter())
            .all(|v| v.is_finite())
        {
            return Err(ParamError::NotSpd {
                reason: "the entries are too large: the eigendecomposition overflows".to_owned(),
            });
        }
        let min = eig.eigenvalues.min();
        if min <= 1e-12 * scale {
            return Err(ParamError::NotSpd {
                reason: format!("smallest eigenvalue is {min:e}"),
            });
        }
        let sqrt = eig.eigenvalues.map(f64::sqrt);
        let q = eig.eigenvectors;
        let b = q * Mat2::from_diagonal(&sqrt) * q.transpose();
        let b_inv = q * Mat2::from_diagonal(&sqrt.map(|s| 1.0 / s)) * q.transpose();
        Ok(Self { a, b, b_inv })
    }

    /// The matrix `A`.
    pub fn a(&self) -> Mat2 {
        self.a
    }

    /// The symmetric square root `B = A^{1/2}`.
    pub fn sqrt(&self) -> Mat2 {
        self.b
    }

    /// `B⁻¹`.
    pub fn sqrt_inv(&self) -> Mat2 {
        self.b_inv
    }
}

/// One optimizee of the paper's families.
#[derive(Clone, Debug, PartialEq)]
pub enum Objective {
    /// `h(x) = A x + b`.
    Ellipse(Ellipse),
    /// `h(x, y) = (c·y + d(x), a·x + b)`.
    Rosenbrock(Rosenbrock),
    /// `f(x) = xᵀ A x`.
    Quadratic(Quadratic),
    /// `h` given as two formulas (shared: cloning is cheap).
    Custom(Arc<Custom>),
    /// `f` typed as one formula (shared: cloning is cheap). It has no `h`.
    Formula(Arc<TypedF>),
}

/// A vector of NaNs: what the infallible methods return for a custom `h`
/// where the `try_` methods return an error.
const NAN2: Vec2 = Vec2::new(f64::NAN, f64::NAN);

/// A matrix of NaNs: `J_h` and its inverse for a typed `f`, which has no `h`.
const NAN22: Mat2 = Mat2::new(f64::NAN, f64::NAN, f64::NAN, f64::NAN);

/// The named tasks of the paper and of Zhao et al. 2022.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// The Booth function: `A = [[1, 2], [2, 1]]`, `b = [−7, −5]`.
    Booth,
    /// The Rosenbrock function: `a = 1, b = −1, c = −10, d(x) = 10x²`.
    Rosenbrock,
    /// The paper's fixed ellipse: `A = diag(0.5, 3)`, `b = 0` (Figure 3).
    ElliFixed,
    /// The paper's fixed Rosenbrock: `a = 1, b = −1, c = −2, d(x) = 0.4x²` (Figure 5).
    RosFixed,
}

impl Preset {
    /// All presets, in menu order.
    pub const ALL: [Self; 4] = [
        Self::Booth,
        Self::Rosenbrock,
        Self::ElliFixed,
        Self::RosFixed,
    ];

    /// The name used in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Booth => "booth",
            Self::Rosenbrock => "rosenbrock",
            Self::ElliFixed => "elli_fixed",
            Self::RosFixed => "ros_fixed",
        }
    }

    /// The preset's objective.
    pub fn objective(self) -> Objective {
        // The parameters below are valid constants, so construction cannot fail;
        // the fallbacks only keep this function total.
        match self {
            Self::Booth => Ellipse::new(Mat2::new(1.0, 2.0, 2.0, 1.0), Vec2::new(-7.0, -5.0))
                .map(Objective::Ellipse),
            Self::Rosenbrock => {
                Rosenbrock::new(1.0, -1.0, -10.0, [0.0, 0.0, 10.0]).map(Objective::Rosenbrock)
            }
            Self::ElliFixed => {
                Ellipse::new(Mat2::new(0.5, 0.0, 0.0, 3.0), Vec2::zeros()).map(Objective::Ellipse)
            }
            Self::RosFixed => {
                Rosenbrock::new(1.0, -1.0, -2.0, [0.0, 0.0, 0.4]).map(Objective::Rosenbrock)
            }
        }
        .unwrap_or_else(|_| unreachable!("preset parameters are valid"))
    }

    /// The start point the paper's figures draw from (Zhao et al. 2022 for Booth
    /// and Rosenbrock).
    pub fn default_x0(self) -> Vec2 {
        match self {
            Self::Booth => Vec2::new(5.0, -5.0),
            Self::Rosenbrock => Vec2::new(-1.0, -1.0),
            Self::ElliFixed => Vec2::new(-5.0, 3.5),
            Self::RosFixed => Vec2::new(-6.0, -2.0),
        }
    }

    /// Step sizes that make GD, momentum (β = 0.6) and Adam descend from
    /// [`Self::default_x0`] without diverging, found by a sweep over
    /// 2·10⁻⁴ … 0.3 (the largest that reduces f the most in 100 steps while
    /// staying stable; see `tests/core_math.rs`). Rosenbrock's `c = −10`
    /// makes it about 25× stiffer than the others.
    pub fn step_sizes(self) -> StepSizes {
        match self {
            Self::Rosenbrock => StepSizes {
                gd: 0.002,
                momentum: 0.001,
                adam: 0.2,
            },
            Self::Booth | Self::ElliFixed | Self::RosFixed => StepSizes {
                gd: 0.05,
                momentum: 0.02,
                adam: 0.3,
            },
        }
    }
}

/// A preset's step sizes for the classical optimizers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepSizes {
    /// Gradient descent (with or without teleports).
    pub gd: f64,
    /// Momentum, with β = 0.6.
    pub momentum: f64,
    /// Adam.
    pub adam: f64,
}

from_str_by_name!(Preset, "preset");

impl Objective {
    /// `h(x)`; NaN for a typed `f`, which has no `h`.
    #[inline]
    pub fn h(&self, x: &Vec2) -> Vec2 {
        match self {
            Self::Ellipse(e) => e.a * x + e.b,
            Self::Rosenbrock(r) => Vec2::new(r.c * x.y + r.d_of(x.x), r.a * x.x + r.b),
            Self::Quadratic(q) => q.b * x,
            Self::Custom(c) => c.h(x),
            Self::Formula(_) => NAN2,
        }
    }

    /// The custom `h`, if this is one.
    pub fn as_custom(&self) -> Option<&Custom> {
        match self {
            Self::Custom(c) => Some(c),
            _ => None,
        }
    }

    /// The typed `f`, if this is one.
    pub fn as_formula(&self) -> Option<&TypedF> {
        match self {
            Self::Formula(t) => Some(t),
            _ => None,
        }
    }

    /// Whether `f` is written as `‖h‖²` (every family but a typed `f`):
    /// whether [`Self::h`], [`Self::h_inv`] and [`Self::jacobian`] mean
    /// anything.
    pub fn has_h(&self) -> bool {
        !matches!(self, Self::Formula(_))
    }

    /// `h⁻¹(u)`, or why it could not be computed (a custom `h` without a
    /// given inverse: Newton continued from the origin; a typed `f`:
    /// [`TeleportError::NoH`]).
    pub fn try_h_inv(&self, u: &Vec2) -> Result<Vec2, TeleportError> {
        match self {
            Self::Custom(c) => c.h_inv(u),
            Self::Formula(_) => Err(TeleportError::NoH),
            _ => Ok(self.h_inv(u)),
        }
    }

    /// `h⁻¹(u)`. For a custom `h` this is [`Self::try_h_inv`], NaN on failure.
    #[inline]
    pub fn h_inv(&self, u: &Vec2) -> Vec2 {
        match self {
            Self::Ellipse(e) => e.a_inv * (u - e.b),
            Self::Rosenbrock(r) => {
                let x = (u.y - r.b) / r.a;
                Vec2::new(x, (u.x - r.d_of(x)) / r.c)
            }
            Self::Quadratic(q) => q.b_inv * u,
            Self::Custom(c) => c.h_inv(u).unwrap_or(NAN2),
            Self::Formula(_) => NAN2,
        }
    }

    /// The Jacobian `J_h(x)`, rows indexed by the components of `h` (NaN
    /// for a typed `f`).
    #[inline]
    pub fn jacobian(&self, x: &Vec2) -> Mat2 {
        match self {
            Self::Ellipse(e) => e.a,
            Self::Rosenbrock(r) => Mat2::new(r.d_prime(x.x), r.c, r.a, 0.0),
            Self::Quadratic(q) => q.b,
            Self::Custom(c) => c.h_jacobian(x).1,
            Self::Formula(_) => NAN22,
        }
    }

    /// `det J_h(x)`: constant for the linear families; where it changes
    /// sign or vanishes, a custom `h` folds (NaN for a typed `f`).
    #[inline]
    pub fn det_jacobian(&self, x: &Vec2) -> f64 {
        match self {
            Self::Custom(c) => c.det_jacobian(x),
            _ => self.jacobian(x).determinant(),
        }
    }

    /// The inverse Jacobian `J_h(x)⁻¹` (always exists for the closed-form
    /// families: `h` is a diffeomorphism; NaN where a custom `J_h` is
    /// singular, and for a typed `f`).
    #[inline]
    pub fn jacobian_inv(&self, x: &Vec2) -> Mat2 {
        match self {
            Self::Ellipse(e) => e.a_inv,
            Self::Rosenbrock(r) => {
                // J = [[d', c], [a, 0]], det J = −a c.
                let dp = r.d_prime(x.x);
                Mat2::new(0.0, 1.0 / r.a, 1.0 / r.c, -dp / (r.a * r.c))
            }
            Self::Quadratic(q) => q.b_inv,
            Self::Custom(c) => c
                .h_jacobian(x)
                .1
                .try_inverse()
                .unwrap_or(Mat2::from_element(f64::NAN)),
            Self::Formula(_) => NAN22,
        }
    }

    /// `f(x) = ‖h(x)‖²` (a typed `f`: its formula).
    #[inline]
    pub fn f(&self, x: &Vec2) -> f64 {
        if let Self::Formula(t) = self {
            return t.f(x);
        }
        self.h(x).norm_squared()
    }

    /// `∇f(x) = 2 J_h(x)ᵀ h(x)` (a typed `f`: by forward duals).
    #[inline]
    pub fn grad(&self, x: &Vec2) -> Vec2 {
        match self {
            Self::Custom(c) => {
                let (u, j) = c.h_jacobian(x);
                2.0 * j.tr_mul(&u)
            }
            Self::Formula(t) => t.f_grad(x).1,
            _ => 2.0 * self.jacobian(x).tr_mul(&self.h(x)),
        }
    }

    /// `f(x)` and `∇f(x)` together, sharing `h(x)`.
    #[inline]
    pub fn f_grad(&self, x: &Vec2) -> (f64, Vec2) {
        if let Self::Custom(c) = self {
            let (u, j) = c.h_jacobian(x);
            return (u.norm_squared(), 2.0 * j.tr_mul(&u));
        }
        if let Self::Formula(t) = self {
            return t.f_grad(x);
        }
        let u = self.h(x);
        (u.norm_squared(), 2.0 * self.jacobian(x).tr_mul(&u))
    }

    /// The Hessian `∇²f(x) = 2 J_hᵀ J_h + 2 Σᵢ hᵢ ∇²hᵢ` (a typed `f`: by
    /// hyper-duals).
    #[inline]
    pub fn hessian(&self, x: &Vec2) -> Mat2 {
        if let Self::Custom(c) = self {
            return c.hessian(x);
        }
        if let Self::Formula(t) = self {
            return t.hessian(x);
        }
        let j = self.jacobian(x);
        let gauss_newton = 2.0 * j.tr_mul(&j);
        match self {
            Self::Ellipse(_) | Self::Quadratic(_) => gauss_newton,
            Self::Rosenbrock(r) => {
                // Only h₁ = c·y + d(x) is curved: ∇²h₁ = [[2 d2, 0], [0, 0]].
                let h1 = r.c * x.y + r.d_of(x.x);
                gauss_newton + Mat2::new(4.0 * h1 * r.d[2], 0.0, 0.0, 0.0)
            }
            Self::Custom(_) | Self::Formula(_) => unreachable!("handled above"),
        }
    }

    /// A global minimizer: `h⁻¹(0)`, where `f = 0`. NaN for a custom `h`
    /// whose zero Newton cannot reach, and for a typed `f` that lists no
    /// minimum ([`Self::try_minimizer`] says why).
    pub fn minimizer(&self) -> Vec2 {
        self.try_minimizer().unwrap_or(NAN2)
    }

    /// [`Self::minimizer`], or why it could not be found. A typed `f` knows
    /// its minima only when it is one of the gallery's test functions
    /// ([`TEST_FUNCTIONS`]): then its first global minimum; otherwise
    /// [`TeleportError::NoKnownMinimum`] (a local search from some point
    /// could land on any minimum, and the distance costs and the harmful-
    /// teleport count would silently measure against the wrong one).
    pub fn try_minimizer(&self) -> Result<Vec2, TeleportError> {
        match self {
            Self::Formula(t) => t
                .global_minimum()
                .map(KnownMinimum::point)
                .ok_or(TeleportError::NoKnownMinimum),
            _ => self.try_h_inv(&Vec2::zeros()),
        }
    }

    /// The family's name, as in scene files.
    pub fn family(&self) -> &'static str {
        match self {
            Self::Ellipse(_) => "ellipse",
            Self::Rosenbrock(_) => "rosenbrock",
            Self::Quadratic(_) => "quadratic",
            Self::Custom(_) | Self::Formula(_) => "custom",
        }
    }

    /// Whether `f` is convex everywhere (not known, so `false`, for a custom
    /// `h` or a typed `f`).
    pub fn is_convex(&self) -> bool {
        match self {
            Self::Ellipse(_) | Self::Quadratic(_) => true,
            Self::Rosenbrock(r) => r.d[2] == 0.0,
            Self::Custom(_) | Self::Formula(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_entries_are_reported_as_too_large_not_singular() {
        let e =
            Ellipse::new(Mat2::from_diagonal(&Vec2::new(1e300, 1e300)), Vec2::zeros()).unwrap_err();
        assert!(e.to_string().contains("too large"), "{e}");
        let e = Ellipse::new(Mat2::new(1.0, 2.0, 2.0, 4.0), Vec2::zeros()).unwrap_err();
        assert!(e.to_string().contains("singular"), "{e}");
        // (A + Aᵀ)/2 overflows for entries near f64::MAX: refused, not stored as ∞.
        let e = Quadratic::new(Mat2::new(1e308, 0.0, 0.0, 1e308)).unwrap_err();
        assert!(e.to_string().contains("too large"), "{e}");
    }
}
