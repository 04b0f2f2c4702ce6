//! Algorithm 2 of the paper: learn one teleport rotation on the fly.
//!
//! ```text
//! y_t     = g_{θ_t}(x_t)
//! x_{t+1} = y_t − α ∇f(y_t)
//! θ_{t+1} = θ_t − β ∂f(x_{t+1})/∂θ_t
//! ```
//!
//! [`step`] differentiates through the update by the chain rule for any
//! family; [`closed_form_theta_grad`] is Appendix B's closed form for
//! `f(x) = xᵀAx`.

use super::NoiseStream;
use crate::objective::{Mat2, Objective, Quadratic, TeleportError, Vec2, rotation};
use crate::symmetry::{TeleportJet, teleport_jet, try_teleport_jet};

/// One step of Algorithm 2.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Alg2Step {
    /// `y_t = g_{θ_t}(x_t)`.
    pub y: Vec2,
    /// `x_{t+1}`.
    pub x_next: Vec2,
    /// `∂f(x_{t+1})/∂θ_t`.
    pub theta_grad: f64,
    /// `θ_{t+1}`.
    pub theta_next: f64,
}

/// One step of Algorithm 2 from `(x, θ)` with step sizes `α = lr`,
/// `β = theta_lr`, differentiating `f(x_{t+1})` through the gradient step and
/// the teleport: `∂f/∂θ = ∇f(x_{t+1})ᵀ (I − α∇²f(y)) ∂g/∂θ`.
pub fn step(obj: &Objective, x: &Vec2, theta: f64, lr: f64, theta_lr: f64) -> Alg2Step {
    step_from(
        obj,
        teleport_jet(obj, x, theta),
        theta,
        (lr, theta_lr),
        &mut NoiseStream::none(),
    )
}

/// [`step`], or why the teleport cannot be computed (a custom `h` only).
pub fn try_step(
    obj: &Objective,
    x: &Vec2,
    theta: f64,
    lr: f64,
    theta_lr: f64,
) -> Result<Alg2Step, TeleportError> {
    try_step_noisy(obj, x, theta, lr, theta_lr, &mut NoiseStream::none())
}

/// [`try_step`] with gradient noise: `∇f(y)` in the step and `∇f(x_{t+1})`
/// in the θ update each get the stream's next draw, in that order
/// (`x_{t+1} = y − α(∇f(y) + σξ)`, `∂f/∂θ ≈ (∇f(x_{t+1}) + σξ')ᵀ(I −
/// α∇²f(y)) ∂g/∂θ`); the teleport and the Hessian are exact. The silent
/// stream gives [`try_step`] bit for bit.
pub fn try_step_noisy(
    obj: &Objective,
    x: &Vec2,
    theta: f64,
    lr: f64,
    theta_lr: f64,
    noise: &mut NoiseStream,
) -> Result<Alg2Step, TeleportError> {
    Ok(step_from(
        obj,
        try_teleport_jet(obj, x, theta)?,
        theta,
        (lr, theta_lr),
        noise,
    ))
}

fn step_from(
    obj: &Objective,
    jet: TeleportJet,
    theta: f64,
    (lr, theta_lr): (f64, f64),
    noise: &mut NoiseStream,
) -> Alg2Step {
    let y = jet.y;
    let x_next = y - lr * noise.perturb(obj.grad(&y));
    let dx_next_dy = Mat2::identity() - lr * obj.hessian(&y);
    let theta_grad = noise
        .perturb(obj.grad(&x_next))
        .dot(&(dx_next_dy * jet.dy_dtheta));
    Alg2Step {
        y,
        x_next,
        theta_grad,
        theta_next: theta - theta_lr * theta_grad,
    }
}

/// Appendix B's closed form of `∂f(x_{t+1})/∂θ_t` for `f(x) = xᵀAx`.
///
/// With `C = B⁻¹ − 2αB`, `x_{t+1} = C R_θ B x_t` and
/// `∂f/∂θ = 2 (R_θ B x_t)ᵀ (I − 2αA)² (R_{θ+π/2} B x_t)`. In the eigenbasis
/// `A = Q diag(λ) Qᵀ` (Q a rotation), with `u = Qᵀ R_θ B x_t` and
/// `Λ = diag((1 − 2αλᵢ)²)`, this is `2 uᵀ Λ R_{π/2} u = 2(Λ₂ − Λ₁) u₁ u₂`.
///
/// The paper prints `2 (B x_t)ᵀ Λ (R_{π/2} B x_t)`, which is this expression
/// with `B x_t` read in eigen-coordinates after the current rotation.
pub fn closed_form_theta_grad(q: &Quadratic, x: &Vec2, theta: f64, lr: f64) -> f64 {
    let eig = q.a().symmetric_eigen();
    let mut basis = eig.eigenvectors;
    // Make Q a proper rotation so that Qᵀ R_{π/2} Q = R_{π/2}.
    if basis.determinant() < 0.0 {
        basis.set_column(1, &(-basis.column(1)));
    }
    let u = basis.transpose() * rotation(theta) * q.sqrt() * x;
    let lambda = eig.eigenvalues.map(|l| (1.0 - 2.0 * lr * l).powi(2));
    2.0 * (lambda[1] - lambda[0]) * u[0] * u[1]
}

/// The closed-form θ update `θ_{t+1} = θ_t − β ∂f(x_{t+1})/∂θ_t` of Appendix B.
pub fn closed_form_theta_next(q: &Quadratic, x: &Vec2, theta: f64, lr: f64, theta_lr: f64) -> f64 {
    theta - theta_lr * closed_form_theta_grad(q, x, theta, lr)
}

/// The angle of the principal axis that Algorithm 2 turns toward: the
/// eigenvector of `A` with the largest eigenvalue, where the level set's
/// ellipse is shortest and `‖∇f‖` largest (for `α < 1/(2λ_max)`). In `[0, π)`.
pub fn principal_axis_angle(a: &Mat2) -> f64 {
    let eig = a.symmetric_eigen();
    let i = eig.eigenvalues.imax();
    let v = eig.eigenvectors.column(i);
    v[1].atan2(v[0]).rem_euclid(std::f64::consts::PI)
}
