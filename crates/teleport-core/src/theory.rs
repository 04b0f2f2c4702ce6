//! Proposition 4.1 and Lemma A.1: the symmetry component of Newton's step
//! increases the gradient norm on convex functions.

use crate::objective::{Mat2, Vec2};

/// The vectors of Proposition 4.1 at one point (Figure 1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NewtonDecomposition {
    /// `v1 = −∇f`, the gradient-descent direction.
    pub v1: Vec2,
    /// `v2 = −H⁻¹∇f`, the Newton direction.
    pub v2: Vec2,
    /// The projection of `v2` on `v1`.
    pub v_par: Vec2,
    /// `v⊥ = v2 − v∥`, the "symmetry component" of Newton's step.
    pub v_perp: Vec2,
    /// `∇‖∇f‖² = 2 H ∇f`.
    pub grad_of_grad_norm_sq: Vec2,
    /// `v⊥ · ∇‖∇f‖²`, non-negative when `H` is positive definite.
    pub directional: f64,
}

/// Why the decomposition does not exist at a point.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum DecompositionError {
    /// `∇f = 0`: nothing to decompose.
    #[error("the gradient is zero; v∥ and v⊥ are undefined at a critical point")]
    ZeroGradient,
    /// `H` is not invertible, so there is no Newton direction.
    #[error(
        "the Hessian is singular (det H = {}); the Newton direction is undefined",
        crate::numfmt::short(*.0)
    )]
    SingularHessian(f64),
}

/// Decomposes the Newton direction at a point with gradient `grad` and
/// Hessian `hess`.
pub fn decompose(grad: Vec2, hess: Mat2) -> Result<NewtonDecomposition, DecompositionError> {
    let g2 = grad.norm_squared();
    if g2 == 0.0 || !g2.is_finite() {
        return Err(DecompositionError::ZeroGradient);
    }
    let det = hess.determinant();
    let scale = hess.abs().max();
    if !det.is_finite() || det.abs() <= 1e-14 * scale * scale {
        return Err(DecompositionError::SingularHessian(det));
    }
    let h_inv = hess
        .try_inverse()
        .ok_or(DecompositionError::SingularHessian(det))?;
    let v1 = -grad;
    let v2 = -(h_inv * grad);
    let v_par = v2.dot(&v1) / v1.norm_squared() * v1;
    let v_perp = v2 - v_par;
    let grad_of_grad_norm_sq = 2.0 * hess * grad;
    Ok(NewtonDecomposition {
        v1,
        v2,
        v_par,
        v_perp,
        grad_of_grad_norm_sq,
        directional: v_perp.dot(&grad_of_grad_norm_sq),
    })
}

/// Equation (8) of Appendix A: `2(−‖∇f‖² + (∇fᵀH⁻¹∇f)(∇fᵀH∇f)/‖∇f‖²)`, the
/// same quantity as [`NewtonDecomposition::directional`] computed another way.
pub fn directional_closed_form(grad: Vec2, hess: Mat2) -> Option<f64> {
    let h_inv = hess.try_inverse()?;
    let g2 = grad.norm_squared();
    Some(2.0 * (-g2 + grad.dot(&(h_inv * grad)) * grad.dot(&(hess * grad)) / g2))
}

/// Both sides of Lemma A.1, `(wᵀAᵅw)² ≤ (wᵀA^{α+β}w)(wᵀA^{α−β}w)`, for
/// integer powers. Returns `(lhs, rhs)`, or `None` when `A` is singular and a
/// negative power is asked for.
pub fn lemma_a1(w: Vec2, a: Mat2, alpha: i32, beta: i32) -> Option<(f64, f64)> {
    let quad = |p: i32| -> Option<f64> { Some(w.dot(&(matrix_power(a, p)? * w))) };
    let lhs = quad(alpha)?.powi(2);
    let rhs = quad(alpha + beta)? * quad(alpha - beta)?;
    Some((lhs, rhs))
}

fn matrix_power(a: Mat2, p: i32) -> Option<Mat2> {
    let base = if p < 0 { a.try_inverse()? } else { a };
    let mut out = Mat2::identity();
    for _ in 0..p.unsigned_abs() {
        out *= base;
    }
    Some(out)
}

/// A move `Δx` split along the gradient and along the level set: the
/// anatomy of an update (Proposition 4.1 for any optimizer).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Anatomy {
    /// The move.
    pub dx: Vec2,
    /// Its component along `∇f`: `(Δx·∇f / ‖∇f‖²) ∇f`.
    pub v_par: Vec2,
    /// Its component along the level set (orthogonal to `∇f`): the
    /// "symmetry component", `Δx − v∥`.
    pub v_perp: Vec2,
}

impl Anatomy {
    /// `‖v⊥‖ / ‖Δx‖`: 0 for a move straight down the gradient, 1 for one
    /// along the level set.
    pub fn symmetry_share(&self) -> f64 {
        self.v_perp.norm() / self.dx.norm()
    }
}

/// Splits `dx` made at a point with gradient `grad`; `None` at a critical
/// point, for a zero or non-finite move.
pub fn anatomy(grad: Vec2, dx: Vec2) -> Option<Anatomy> {
    let g2 = grad.norm_squared();
    let d2 = dx.norm_squared();
    if !(g2 > 0.0 && g2.is_finite() && d2 > 0.0 && d2.is_finite()) {
        return None;
    }
    let v_par = dx.dot(&grad) / g2 * grad;
    Some(Anatomy {
        dx,
        v_par,
        v_perp: dx - v_par,
    })
}

/// The anatomy of step `t ≥ 1` of a run: its local move from `x_{t−1}`
/// (split at `x_{t−1}`) and, when it teleported, its jump (split at the
/// point the jump started from).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepAnatomy {
    /// The optimizer's own move.
    pub local: Option<Anatomy>,
    /// The teleport jump, if the step teleported.
    pub jump: Option<Anatomy>,
}

/// [`StepAnatomy`] of step `t` of `run` on `obj`; `None` for step 0 or past
/// the run's end.
pub fn step_anatomy(
    obj: &crate::objective::Objective,
    run: &crate::optim::Trajectory,
    t: usize,
) -> Option<StepAnatomy> {
    let prev = run.records.get(t.checked_sub(1)?)?;
    let rec = run.records.get(t)?;
    let start = Vec2::from(prev.x);
    let landed = rec.from.map_or(Vec2::from(rec.x), Vec2::from);
    let local = anatomy(Vec2::from(prev.grad), landed - start);
    let jump = rec.from.and_then(|from| {
        anatomy(
            obj.grad(&Vec2::from(from)),
            Vec2::from(rec.x) - Vec2::from(from),
        )
    });
    Some(StepAnatomy { local, jump })
}

#[cfg(test)]
mod anatomy_tests {
    use super::*;
    use crate::objective::Preset;
    use crate::optim::{OptimizerSpec, TeleportSchedule, When, run};
    use crate::symmetry::Strategy;

    #[test]
    fn the_split_sums_to_the_move_and_its_symmetry_part_is_along_the_level_set() {
        let mut rng = crate::rng(7);
        for _ in 0..200 {
            use rand::RngExt as _;
            let g = Vec2::new(rng.random_range(-5.0..5.0), rng.random_range(-5.0..5.0));
            let dx = Vec2::new(rng.random_range(-5.0..5.0), rng.random_range(-5.0..5.0));
            let a = anatomy(g, dx).unwrap();
            assert!((a.v_par + a.v_perp - dx).norm() <= 1e-12 * dx.norm());
            assert!(a.v_perp.dot(&g).abs() <= 1e-12 * g.norm() * dx.norm());
            // v∥ is parallel to ∇f.
            assert!((a.v_par.x * g.y - a.v_par.y * g.x).abs() <= 1e-12 * g.norm() * dx.norm());
            assert!((0.0..=1.0 + 1e-15).contains(&a.symmetry_share()));
        }
        assert!(anatomy(Vec2::zeros(), Vec2::new(1.0, 0.0)).is_none());
        assert!(anatomy(Vec2::new(1.0, 0.0), Vec2::zeros()).is_none());
    }

    #[test]
    fn gd_moves_straight_down_newton_has_its_proposition_share_and_teleports_move_along() {
        let obj = Preset::RosFixed.objective();
        let x0 = Vec2::new(-1.5, 1.0);
        // GD's move is −lr ∇f: no symmetry component.
        let gd = run(&obj, x0, 5, OptimizerSpec::Gd { lr: 0.01 }, None);
        for t in 1..=5 {
            let a = step_anatomy(&obj, &gd, t).unwrap().local.unwrap();
            assert!(a.symmetry_share() < 1e-12, "t = {t}");
        }
        // Newton's move is −H⁻¹∇f: its share is Proposition 4.1's v⊥ / v2.
        let newton = run(&obj, x0, 3, OptimizerSpec::Newton { lr: 1.0 }, None);
        for t in 1..=3 {
            let prev = Vec2::from(newton.records[t - 1].x);
            let d = decompose(obj.grad(&prev), obj.hessian(&prev)).unwrap();
            let a = step_anatomy(&obj, &newton, t).unwrap().local.unwrap();
            let want = d.v_perp.norm() / d.v2.norm();
            assert!((a.symmetry_share() - want).abs() <= 1e-9, "t = {t}");
        }
        // A teleport keeps f: its jump is a chord of the level set, so for
        // a short one almost all of it is along the level set.
        let tele = TeleportSchedule {
            strategy: Strategy::Angle { theta: 1e-4 },
            when: When::Every(1),
        };
        let gd_tele = run(&obj, x0, 3, OptimizerSpec::Gd { lr: 0.01 }, Some(&tele));
        let jumps: Vec<_> = (1..=3)
            .filter_map(|t| step_anatomy(&obj, &gd_tele, t).and_then(|s| s.jump))
            .collect();
        assert!(!jumps.is_empty());
        for j in jumps {
            assert!(j.symmetry_share() > 0.999, "{}", j.symmetry_share());
        }
    }
}
