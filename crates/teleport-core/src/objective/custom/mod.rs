//! The `custom` family: `h` given as two formulas in `x` and `y`, e.g.
//! `{"family": "custom", "h": ["x + 0.5*y^3", "y - 0.2*sin(x)"]}`, with an
//! optional `"h_inv"` pair (written in `x` and `y`, standing for `u₁`, `u₂`).
//!
//! Formulas are compiled once ([`Expr`]); `J_h` and `∇f` come from forward
//! duals, the Hessian of `f` from second-order (hyper-dual) numbers. Without a
//! user inverse, `h⁻¹` is Newton's method on `h(x) = u` with backtracking,
//! continued from the nearest known point (for a teleport, along θ from the
//! start point); it fails with a [`TeleportError`] rather than return a wrong
//! point, and stops when the path would cross a fold (`det J_h` changing sign).

pub mod expr;
pub mod formula;
pub mod num;

use std::f64::consts::PI;

use rand::RngExt as _;

pub use expr::{Expr, ExprName, Func, MAX_DEPTH, MAX_EXPR_CHARS, ParseError, ParseErrorKind};
pub use formula::{KnownMinimum, TEST_FUNCTIONS, TestFunction, TypedF};
use num::{Dual, Hyper};

use super::{Mat2, Vec2, rotation_derivative};

/// Half the side of the square `[-3, 3]²` where a new custom objective is
/// sampled for sanity (finite somewhere, invertible somewhere, a given
/// inverse really inverting).
pub const CHECK_BOX: f64 = 3.0;
/// The number of seeded sample points of those checks.
pub const CHECK_POINTS: usize = 64;
/// The seed of those sample points.
pub const CHECK_SEED: u64 = 0x5eed_c0de;
/// The most Newton iterations of one solve.
pub const NEWTON_STEPS: usize = 50;
/// The largest angle step of a continuation along an orbit.
pub const MAX_ANGLE_STEP: f64 = PI / 8.0;
/// The most steps (accepted or halved) of one continuation.
pub const MAX_CONTINUATION_STEPS: usize = 20_000;

/// Why a custom objective cannot be built.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum CustomError {
    /// A formula does not parse.
    #[error("{0}")]
    Parse(#[from] ParseError),
    /// A formula is NaN or infinite at every sample point.
    #[error(
        "{expr} = `{source_text}` is not a finite number at any of {CHECK_POINTS} sample points in [-{CHECK_BOX}, {CHECK_BOX}]² (e.g. at ({x}, {y})): it divides by zero or leaves its domain everywhere",
        x = fmt(at.x), y = fmt(at.y)
    )]
    NowhereFinite {
        /// Which formula.
        expr: ExprName,
        /// The formula (cut to 60 characters).
        source_text: String,
        /// The first sample point.
        at: Vec2,
    },
    /// `det J_h` is zero (or not finite) at every sample point.
    #[error(
        "h is not invertible: det J_h = 0 at all {CHECK_POINTS} sample points in [-{CHECK_BOX}, {CHECK_BOX}]² (does each formula depend on x and y?)"
    )]
    Singular,
    /// A typed `f` whose gradient is zero (or not finite) at every sample
    /// point where `f` is finite: a constant has no level curves.
    #[error(
        "f = `{source_text}` is constant: ∇f = 0 at every one of the {CHECK_POINTS} sample points in [-{CHECK_BOX}, {CHECK_BOX}]² where f is finite, so it has no level curves to teleport along"
    )]
    Constant {
        /// The formula (cut to 60 characters).
        source_text: String,
    },
    /// The user's `h_inv` is not the inverse of `h`.
    #[error(
        "h_inv is not the inverse of h: at u = ({ux}, {uy}), h(h_inv(u)) = ({hx}, {hy}) (error {e})",
        ux = fmt(u.x), uy = fmt(u.y), hx = fmt(got.x), hy = fmt(got.y), e = fmt(*err)
    )]
    WrongInverse {
        /// The worst sample point.
        u: Vec2,
        /// `h(h_inv(u))` there.
        got: Vec2,
        /// `‖h(h_inv(u)) − u‖` (∞ if not finite).
        err: f64,
    },
}

impl CustomError {
    /// The scene field the error is about: `h[0]`, `h_inv[1]`, `h` or `h_inv`.
    pub fn field(&self) -> String {
        match self {
            Self::Parse(e) => e.expr.to_string(),
            Self::NowhereFinite { expr, .. } => expr.to_string(),
            Self::Singular => "h".to_owned(),
            Self::Constant { .. } => "f".to_owned(),
            Self::WrongInverse { .. } => "h_inv".to_owned(),
        }
    }
}

/// The name the `h`-only cases of [`TeleportError`] were first given: `h⁻¹`
/// by Newton's method and continuation. Kept so that code naming it keeps
/// working; every teleport now reports a [`TeleportError`].
pub type InverseError = TeleportError;

/// Why a teleport could not be followed: for a custom `h`, why `h⁻¹` could
/// not be computed; for a typed `f`, why the level curve through the point
/// is not a closed orbit of the flow of `J∇f` (or could not be followed
/// within the integrator's budget).
#[derive(Clone, Copy, Debug, PartialEq, thiserror::Error)]
pub enum TeleportError {
    /// `J_h` is singular where Newton's method stood.
    #[error("h is not invertible near x = ({x}, {y}): det J_h is 0 or negligible there", x = fmt(near.x), y = fmt(near.y))]
    NotInvertible {
        /// Where.
        near: Vec2,
    },
    /// Newton's method made no progress.
    #[error("Newton did not converge in {steps} steps (near x = ({x}, {y}))", x = fmt(near.x), y = fmt(near.y))]
    NoConvergence {
        /// The iterations taken.
        steps: usize,
        /// The last iterate.
        near: Vec2,
    },
    /// The path would cross a fold of `h`, where `det J_h` changes sign.
    #[error(
        "h folds near x = ({x}, {y}): det J_h changes sign or vanishes there, so h is not a bijection and the path (a teleport, or h⁻¹) cannot continue (a fold)",
        x = fmt(near.x), y = fmt(near.y)
    )]
    Fold {
        /// The last point reached.
        near: Vec2,
    },
    /// The path is too long or winding to follow.
    #[error(
        "the level set winds too much to follow in {steps} continuation steps (stopped near x = ({x}, {y}))",
        x = fmt(near.x), y = fmt(near.y)
    )]
    TooWinding {
        /// The steps taken.
        steps: usize,
        /// Where the path stopped.
        near: Vec2,
    },
    /// `h`, its Jacobian or a Newton step is not finite.
    #[error("h, its Jacobian or a Newton step is not finite (overflow?) near x = ({x}, {y})", x = fmt(near.x), y = fmt(near.y))]
    NotFinite {
        /// Where.
        near: Vec2,
    },
    /// Following the level set once around does not come back: `h` maps
    /// several points to one.
    #[error(
        "h is not injective: following the level set of x = ({x}, {y}) once around ends at ({ex}, {ey})",
        x = fmt(start.x), y = fmt(start.y), ex = fmt(end.x), ey = fmt(end.y)
    )]
    NotInjective {
        /// The start point.
        start: Vec2,
        /// Where a full turn ended.
        end: Vec2,
    },
    /// A typed `f` has no `h`: `h`, `h⁻¹` and `J_h` are not defined.
    #[error("f is typed as one formula, not as ‖h‖²: it has no h, h⁻¹ or J_h")]
    NoH,
    /// A typed `f` that is not one of the gallery's test functions lists
    /// no minimum.
    #[error(
        "this typed f lists no known minimum (only the gallery's test functions do, when typed exactly as listed)"
    )]
    NoKnownMinimum,
    /// `x` is a critical point of `f` (`∇f = 0` to working precision) that
    /// is not a non-degenerate minimum or maximum: a saddle, a degenerate
    /// point, a flat region. Its level set is not a curve through `x`.
    #[error(
        "x = ({x}, {y}) is a critical point of f (‖∇f‖ = {g}): a saddle, a degenerate or a flat point, whose level set is not a closed curve to teleport along",
        x = fmt(at.x), y = fmt(at.y), g = fmt(*grad_norm)
    )]
    CriticalPoint {
        /// The point.
        at: Vec2,
        /// `‖∇f‖` there.
        grad_norm: f64,
    },
    /// The level curve through `x` runs into (or within rounding of) a
    /// critical point of `f`, typically a saddle: at a saddle level the
    /// curve is not one closed orbit, and near it the flow cannot be told
    /// from the other branch.
    #[error(
        "the level curve through x runs into a critical point of f near ({x}, {y}) (within {ratio} of the curve's extent): a saddle level, not one closed orbit",
        x = fmt(near.x), y = fmt(near.y), ratio = fmt(*ratio)
    )]
    NearCritical {
        /// The point of the curve nearest the critical point.
        near: Vec2,
        /// Its distance to the critical point (Newton's estimate) over the
        /// extent of the curve followed.
        ratio: f64,
    },
    /// The level curve through `x` does not close: it runs off to infinity.
    #[error(
        "the level curve through x does not close: it runs off to infinity (followed to ({x}, {y}), {d} away, without coming back)",
        x = fmt(near.x), y = fmt(near.y), d = fmt(*distance)
    )]
    OpenCurve {
        /// The last point followed.
        near: Vec2,
        /// Its distance from `x`.
        distance: f64,
    },
    /// The level curve through `x` did not close within the integrator's
    /// budget: too long or too winding to follow.
    #[error(
        "the level curve through x did not close within {steps} integration steps (stopped near ({x}, {y})): too long or too winding to follow",
        x = fmt(near.x), y = fmt(near.y)
    )]
    CurveTooLong {
        /// The steps taken (accepted and rejected).
        steps: usize,
        /// Where the integration stopped.
        near: Vec2,
    },
    /// `f` or its derivatives are not finite at `x` or on its level curve.
    #[error(
        "f or its derivatives are not finite (overflow, or outside the formula's domain) on the level curve near ({x}, {y})",
        x = fmt(near.x), y = fmt(near.y)
    )]
    NotFiniteF {
        /// Where.
        near: Vec2,
    },
}

/// A number for a message: 4 significant digits.
fn fmt(v: f64) -> String {
    // A message never reads "NaN" or "inf": the app draws no NaN text.
    if !v.is_finite() {
        return crate::numfmt::short(v);
    }
    if v == 0.0 || (1e-3..1e5).contains(&v.abs()) {
        let s = format!("{v:.4}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_owned()
    } else {
        format!("{v:.3e}")
    }
}

/// `text` cut to `max` characters (an ellipsis marking the cut), for
/// one-line messages.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// `h` as two compiled formulas, with an optional user inverse.
#[derive(Clone, Debug, PartialEq)]
pub struct Custom {
    h: [Expr; 2],
    h_inv: Option<[Expr; 2]>,
}

fn finite2(v: &Vec2) -> bool {
    v.x.is_finite() && v.y.is_finite()
}

/// The seeded sample points of the construction checks.
fn check_points() -> Vec<Vec2> {
    let mut rng = crate::rng(CHECK_SEED);
    (0..CHECK_POINTS)
        .map(|_| {
            Vec2::new(
                rng.random_range(-CHECK_BOX..CHECK_BOX),
                rng.random_range(-CHECK_BOX..CHECK_BOX),
            )
        })
        .collect()
}

impl Custom {
    /// Parses `h` (and `h_inv`), and checks them on seeded sample points:
    /// each formula finite somewhere, `J_h` nonsingular somewhere, and a
    /// given `h_inv` inverting `h` (both ways) at every sample point.
    pub fn new(h: [&str; 2], h_inv: Option<[&str; 2]>) -> Result<Self, CustomError> {
        let h = [
            Expr::parse(h[0], ExprName::H(0))?,
            Expr::parse(h[1], ExprName::H(1))?,
        ];
        let h_inv = match h_inv {
            Some(s) => Some([
                Expr::parse(s[0], ExprName::HInv(0))?,
                Expr::parse(s[1], ExprName::HInv(1))?,
            ]),
            None => None,
        };
        let custom = Self { h, h_inv };
        let points = check_points();
        for (i, e) in custom.h.iter().enumerate() {
            if !points.iter().any(|p| e.eval(p.x, p.y).is_finite()) {
                return Err(CustomError::NowhereFinite {
                    expr: ExprName::H(i),
                    source_text: shorten(e.source(), 60),
                    at: points[0],
                });
            }
        }
        let invertible_somewhere = points.iter().any(|p| {
            let d = custom.det_jacobian(p);
            d.is_finite() && d != 0.0
        });
        if !invertible_somewhere {
            return Err(CustomError::Singular);
        }
        if let Some(inv) = &custom.h_inv {
            custom.check_inverse(inv, &points)?;
        }
        Ok(custom)
    }

    /// `h(h_inv(u)) ≈ u` at the sample points taken as `u`, and
    /// `h_inv(h(x)) ≈ x` at those where `h` is finite (relative 1e-8);
    /// the worst point is named.
    fn check_inverse(&self, inv: &[Expr; 2], points: &[Vec2]) -> Result<(), CustomError> {
        let eval_inv = |u: &Vec2| Vec2::new(inv[0].eval(u.x, u.y), inv[1].eval(u.x, u.y));
        let mut worst: Option<(f64, Vec2, Vec2)> = None;
        let mut consider = |err: f64, u: Vec2, got: Vec2| {
            if worst.is_none_or(|(w, _, _)| err > w) {
                worst = Some((err, u, got));
            }
        };
        for u in points {
            let back = self.h(&eval_inv(u));
            let err = (back - u).norm();
            let err = if err.is_finite() { err } else { f64::INFINITY };
            consider(err / (1.0 + u.norm()), *u, back);
        }
        for x in points {
            let u = self.h(x);
            if !finite2(&u) {
                continue;
            }
            let back = eval_inv(&u);
            let err = (back - x).norm();
            let err = if err.is_finite() { err } else { f64::INFINITY };
            // Report in u-space terms: the image of the recovered point.
            consider(err / (1.0 + x.norm()), u, self.h(&back));
        }
        match worst {
            Some((err, u, got)) if err > 1e-8 => Err(CustomError::WrongInverse {
                u,
                got,
                err: (got - u).norm(),
            }),
            _ => Ok(()),
        }
    }

    /// The formulas of `h`.
    pub fn sources(&self) -> [&str; 2] {
        [self.h[0].source(), self.h[1].source()]
    }

    /// The formulas of the user's `h⁻¹`, if given.
    pub fn inverse_sources(&self) -> Option<[&str; 2]> {
        self.h_inv.as_ref().map(|e| [e[0].source(), e[1].source()])
    }

    /// Whether the user gave `h⁻¹`.
    pub fn has_inverse(&self) -> bool {
        self.h_inv.is_some()
    }

    /// `h(p)`.
    // Not inlined: the closed-form families' arms of `Objective`'s
    // methods must stay small enough to inline into the oracle's loops.
    #[inline(never)]
    pub fn h(&self, p: &Vec2) -> Vec2 {
        Vec2::new(self.h[0].eval(p.x, p.y), self.h[1].eval(p.x, p.y))
    }

    /// `h(p)` and `J_h(p)` by forward duals.
    // Not inlined: the closed-form families' arms of `Objective`'s
    // methods must stay small enough to inline into the oracle's loops.
    #[inline(never)]
    pub fn h_jacobian(&self, p: &Vec2) -> (Vec2, Mat2) {
        let (x, y) = (Dual::var(p.x, 0), Dual::var(p.y, 1));
        let a = self.h[0].eval(x, y);
        let b = self.h[1].eval(x, y);
        (
            Vec2::new(a.v, b.v),
            Mat2::new(a.d[0], a.d[1], b.d[0], b.d[1]),
        )
    }

    /// `h(p)`, `J_h(p)` and the Hessians `∇²h₀`, `∇²h₁` by hyper-duals.
    #[inline]
    pub fn h_second(&self, p: &Vec2) -> (Vec2, Mat2, [Mat2; 2]) {
        let (x, y) = (Hyper::var(p.x, 0), Hyper::var(p.y, 1));
        let a = self.h[0].eval(x, y);
        let b = self.h[1].eval(x, y);
        let hess = |h: &Hyper| Mat2::new(h.h[0], h.h[1], h.h[1], h.h[2]);
        (
            Vec2::new(a.v, b.v),
            Mat2::new(a.d[0], a.d[1], b.d[0], b.d[1]),
            [hess(&a), hess(&b)],
        )
    }

    /// The Hessian of `f = ‖h‖²`: `2 (J_hᵀ J_h + Σᵢ hᵢ ∇²hᵢ)`.
    // Not inlined: the closed-form families' arms of `Objective`'s
    // methods must stay small enough to inline into the oracle's loops.
    #[inline(never)]
    pub fn hessian(&self, p: &Vec2) -> Mat2 {
        let (u, j, [h0, h1]) = self.h_second(p);
        2.0 * (j.tr_mul(&j) + u.x * h0 + u.y * h1)
    }

    /// `det J_h(p)`: where it changes sign or vanishes, `h` folds.
    #[inline]
    pub fn det_jacobian(&self, p: &Vec2) -> f64 {
        self.h_jacobian(p).1.determinant()
    }

    /// The user's `h⁻¹(u)`, if given.
    // Not inlined: the closed-form families' arms of `Objective`'s
    // methods must stay small enough to inline into the oracle's loops.
    #[inline(never)]
    pub fn given_inverse(&self, u: &Vec2) -> Option<Vec2> {
        self.h_inv
            .as_ref()
            .map(|e| Vec2::new(e[0].eval(u.x, u.y), e[1].eval(u.x, u.y)))
    }

    /// Newton's method on `h(y) = u` from `y0`, with backtracking on the
    /// residual; at most `max_steps` iterations. Converged means a residual
    /// at rounding level (`4ε·s`, `s` the size of the terms of `h`, estimated
    /// as `1 + max(|u| + |J_h|·|y|)`), or below `256ε·s` where no step
    /// decreases it any more.
    pub fn newton(&self, u: &Vec2, y0: Vec2, max_steps: usize) -> Result<Vec2, TeleportError> {
        let mut y = y0;
        let (mut hv, mut j) = self.h_jacobian(&y);
        let mut tight = 0.0;
        for step in 0..max_steps {
            if !(finite2(&hv) && j.iter().all(|v| v.is_finite())) {
                return Err(TeleportError::NotFinite { near: y });
            }
            // The rounding of h(y) grows with its terms, which |J|·|y|
            // estimates (10x² − 10y cancels to a small u at large x).
            let terms = u.abs() + j.abs() * y.abs();
            let scale = 1.0 + terms.max();
            tight = 4.0 * f64::EPSILON * scale;
            let loose = 256.0 * f64::EPSILON * scale;
            let r = u - hv;
            let rn = r.norm();
            if rn <= tight {
                return Ok(y);
            }
            let det = j.determinant();
            let jmax = j.abs().max();
            // Singular to working precision next to its entries.
            let regular = det.abs() > f64::EPSILON * jmax * jmax;
            if !regular {
                return Err(TeleportError::NotInvertible { near: y });
            }
            let delta = Mat2::new(j.m22, -j.m12, -j.m21, j.m11) * r / det;
            let mut alpha = 1.0;
            loop {
                let yt = y + alpha * delta;
                let (ht, jt) = self.h_jacobian(&yt);
                let rt = (u - ht).norm();
                if rt.is_finite() && rt < rn {
                    y = yt;
                    hv = ht;
                    j = jt;
                    break;
                }
                // No decrease of an already small residual: rounding level.
                if rn <= loose {
                    return Ok(y);
                }
                alpha *= 0.5;
                if alpha < 1e-6 {
                    return Err(TeleportError::NoConvergence {
                        steps: step + 1,
                        near: y,
                    });
                }
            }
        }
        if (u - hv).norm() <= tight {
            Ok(y)
        } else {
            Err(TeleportError::NoConvergence {
                steps: max_steps,
                near: y,
            })
        }
    }

    /// Follows the solution of `h(y) = target(s)` from `(s0, y0)` to `s1`
    /// by predictor (Euler on `dy/ds = J⁻¹ target'(s)`) and corrector
    /// (Newton) steps of at most `max_step`, halved when the corrector fails,
    /// lands on the other side of a fold (`det J_h` of another sign than
    /// `det0`, its value where the path began) or strays from the prediction.
    fn track(
        &self,
        (s0, y0): (f64, Vec2),
        s1: f64,
        det0: f64,
        max_step: f64,
        target: impl Fn(f64) -> Vec2,
        d_target: impl Fn(f64) -> Vec2,
    ) -> Result<Vec2, TeleportError> {
        let (mut s, mut y) = (s0, y0);
        let (sign0, det_start) = (det0.signum(), det0.abs());
        let mut step = max_step.copysign(s1 - s0);
        let mut last_err = None;
        let mut folded = false;
        for _ in 0..MAX_CONTINUATION_STEPS {
            if s == s1 {
                return Ok(y);
            }
            let next = if (s1 - s).abs() <= step.abs() {
                s1
            } else {
                s + step
            };
            let ds = next - s;
            let (_, j) = self.h_jacobian(&y);
            let det = j.determinant();
            let tangent = Mat2::new(j.m22, -j.m12, -j.m21, j.m11) * d_target(s) / det;
            let predicted = y + ds * tangent;
            let ok = if finite2(&predicted) {
                match self.newton(&target(next), predicted, 12) {
                    Ok(yn) => {
                        let d = self.det_jacobian(&yn);
                        let same_side = d.is_finite() && d != 0.0 && d.signum() == sign0;
                        folded |= !same_side;
                        let stray = (yn - predicted).norm();
                        // The corrector may move at most as far as the
                        // predictor did: a longer jump may land on another
                        // preimage of a non-injective h.
                        let near = stray <= (predicted - y).norm() + 1e-9 * (1.0 + y.norm());
                        (same_side && near).then_some(yn)
                    }
                    Err(e) => {
                        last_err = Some(e);
                        None
                    }
                }
            } else {
                last_err = Some(TeleportError::NotFinite { near: y });
                None
            };
            match ok {
                Some(yn) => {
                    s = next;
                    y = yn;
                    step = (2.0 * step).clamp(-max_step, max_step);
                }
                None => {
                    step *= 0.5;
                    if step.abs() < 1e-10 * max_step {
                        // Stuck where J_h degenerates, or after landing
                        // on the other side of det J_h = 0: a fold.
                        let d = self.det_jacobian(&y);
                        let degenerate = d.is_nan() || d.abs() <= 1e-2 * det_start;
                        if folded || degenerate {
                            return Err(TeleportError::Fold { near: y });
                        }
                        return Err(last_err.unwrap_or(TeleportError::Fold { near: y }));
                    }
                }
            }
        }
        Err(TeleportError::TooWinding {
            steps: MAX_CONTINUATION_STEPS,
            near: y,
        })
    }

    /// `det J_h(p)`, or an error when it is zero or not finite: the
    /// orientation a continuation from `p` keeps, and the scale it judges a
    /// vanishing determinant by.
    pub fn orientation(&self, p: &Vec2) -> Result<f64, TeleportError> {
        let d = self.det_jacobian(p);
        if !d.is_finite() {
            Err(TeleportError::NotFinite { near: *p })
        } else if d == 0.0 {
            Err(TeleportError::NotInvertible { near: *p })
        } else {
            Ok(d)
        }
    }

    /// `g(θ1)` on the orbit `θ ↦ h⁻¹(R_θ u)`, continued in θ from a known
    /// point `(θ0, y0)` (`h(y0) = R_θ0 u`); `det0` is `det J_h` at the
    /// orbit's start ([`Self::orientation`]).
    pub fn rotate_from(
        &self,
        u: &Vec2,
        from: (f64, Vec2),
        theta1: f64,
        det0: f64,
    ) -> Result<Vec2, TeleportError> {
        if *u == Vec2::zeros() {
            return Ok(from.1);
        }
        // The shorter way round: R_θ is 2π-periodic.
        let d = (theta1 - from.0 + PI).rem_euclid(2.0 * PI) - PI;
        let end = from.0 + d;
        // `end` may differ from θ1 by a multiple of 2π in its last bits: the
        // last target is exactly R_θ1 u.
        self.track(
            from,
            end,
            det0,
            MAX_ANGLE_STEP,
            |t| super::rotation(if t == end { theta1 } else { t }) * u,
            |t| rotation_derivative(t) * u,
        )
    }

    /// `h⁻¹(u)` by continuation from a known point `start`: along the
    /// segment from `h(start)` to `u`.
    pub fn h_inv_from(&self, u: &Vec2, start: Vec2) -> Result<Vec2, TeleportError> {
        if let Some(y) = self.given_inverse(u) {
            return if finite2(&y) {
                Ok(y)
            } else {
                Err(TeleportError::NotFinite { near: start })
            };
        }
        let det0 = self.orientation(&start)?;
        let u0 = self.h(&start);
        let du = u - u0;
        self.track(
            (0.0, start),
            1.0,
            det0,
            1.0,
            |s| if s == 1.0 { *u } else { u0 + s * du },
            |_| du,
        )
    }

    /// `h⁻¹(u)` (the user's inverse, or by continuation from the origin;
    /// where that fails, from the first few construction sample points).
    pub fn h_inv(&self, u: &Vec2) -> Result<Vec2, TeleportError> {
        let first = self.h_inv_from(u, Vec2::zeros());
        if first.is_ok() || self.h_inv.is_some() {
            return first;
        }
        check_points()
            .into_iter()
            .take(8)
            .find_map(|start| self.h_inv_from(u, start).ok())
            .ok_or_else(|| first.err().unwrap_or(TeleportError::NotFinite { near: *u }))
    }
}

/// `det J_h` on a grid: where `h` folds.
#[derive(Clone, Debug, PartialEq)]
pub struct FoldScan {
    /// Points per side.
    pub n: usize,
    /// `det J_h` at `(min + i·Δx, min + j·Δy)`, row `j`-major: `det[j·n + i]`.
    pub det: Vec<f64>,
    /// Points with `det J_h > 0`.
    pub positive: usize,
    /// Points with `det J_h < 0`.
    pub negative: usize,
    /// Points where `det J_h` is zero or not finite.
    pub degenerate: usize,
}

impl FoldScan {
    /// Whether `h` folds on the scanned view: `det J_h` takes both signs or
    /// vanishes somewhere.
    pub fn folds(&self) -> bool {
        (self.positive > 0 && self.negative > 0) || self.degenerate > 0
    }
}

/// `det J_h` on an `n × n` grid over `[min, max]` (corners included).
pub fn fold_scan(obj: &super::Objective, min: [f64; 2], max: [f64; 2], n: usize) -> FoldScan {
    let n = n.max(2);
    let mut scan = FoldScan {
        n,
        det: Vec::with_capacity(n * n),
        positive: 0,
        negative: 0,
        degenerate: 0,
    };
    for j in 0..n {
        let y = min[1] + (max[1] - min[1]) * j as f64 / (n - 1) as f64;
        for i in 0..n {
            let x = min[0] + (max[0] - min[0]) * i as f64 / (n - 1) as f64;
            let d = obj.det_jacobian(&Vec2::new(x, y));
            if !d.is_finite() || d == 0.0 {
                scan.degenerate += 1;
            } else if d > 0.0 {
                scan.positive += 1;
            } else {
                scan.negative += 1;
            }
            scan.det.push(d);
        }
    }
    scan
}

/// An example formula of the gallery.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GalleryEntry {
    /// A short name.
    pub name: &'static str,
    /// What it shows.
    pub description: &'static str,
    /// `h`.
    pub h: [&'static str; 2],
    /// `h⁻¹`, when known in closed form.
    pub h_inv: Option<[&'static str; 2]>,
    /// A start point.
    pub x0: [f64; 2],
    /// The view: `[min, max]` corners.
    pub view: [[f64; 2]; 2],
}

impl GalleryEntry {
    /// The entry's objective.
    pub fn objective(&self) -> Result<super::Objective, CustomError> {
        Custom::new(self.h, self.h_inv).map(|c| super::Objective::Custom(std::sync::Arc::new(c)))
    }
}

/// Six example formulas, each a different shape, each a bijection of ℝ².
pub const GALLERY: [GalleryEntry; 6] = [
    GalleryEntry {
        name: "cubic shear",
        description: "skewed: two shears, one cubic, one wavy; h⁻¹ in closed form",
        h: ["x + 0.5*y^3", "y - 0.2*sin(x + 0.5*y^3)"],
        h_inv: Some(["x - 0.5*(y + 0.2*sin(x))^3", "y + 0.2*sin(x)"]),
        x0: [1.0, 1.0],
        view: [[-3.0, -2.0], [3.0, 2.0]],
    },
    GalleryEntry {
        name: "spiral",
        description: "a rotation by an angle growing with the radius, then a squeeze: spiral level sets",
        h: [
            "x*cos(0.5*(x^2 + y^2)) - y*sin(0.5*(x^2 + y^2))",
            "0.4*(x*sin(0.5*(x^2 + y^2)) + y*cos(0.5*(x^2 + y^2)))",
        ],
        h_inv: None,
        x0: [1.5, 0.5],
        view: [[-2.5, -2.5], [2.5, 2.5]],
    },
    GalleryEntry {
        name: "wavy valley",
        description: "non-convex f: a sine-shaped valley; ‖∇f‖ has several peaks and saddles along each orbit",
        h: ["0.5*x", "y - sin(2*x)"],
        h_inv: Some(["2*x", "y + sin(4*x)"]),
        x0: [2.0, 1.5],
        view: [[-4.0, -3.0], [4.0, 3.0]],
    },
    GalleryEntry {
        name: "plateau",
        description: "tanh flattens f far out: tiny gradients on wide level sets",
        h: ["tanh(x) + 0.1*x", "y + 0.5*tanh(x)"],
        h_inv: None,
        x0: [2.5, -1.0],
        view: [[-5.0, -3.0], [5.0, 3.0]],
    },
    GalleryEntry {
        name: "sinh cliff",
        description: "exponential growth in x: level sets pinched on one axis, stiff for GD",
        h: ["sinh(x) + 0.3*y", "y - 0.5"],
        h_inv: Some([
            "ln(x - 0.3*(y + 0.5) + sqrt((x - 0.3*(y + 0.5))^2 + 1))",
            "y + 0.5",
        ]),
        x0: [1.5, 2.0],
        view: [[-3.0, -3.0], [3.0, 3.5]],
    },
    GalleryEntry {
        name: "rippled ellipse",
        description: "a skewed ellipse with a ripple: almost convex, orientation-reversing",
        h: ["2*x + y + 0.3*sin(2*y)", "x - 0.5*y + 1"],
        h_inv: None,
        x0: [1.0, 2.0],
        view: [[-3.0, -3.0], [3.0, 3.0]],
    },
];
