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
