//! The first-order optimizers' update math (GD, heavy-ball momentum, Adam),
//! written once for any number of coordinates.
//!
//! A point of ℝ² keeps its state in `[f64; 2]` ([`super::Optimizer`]), a
//! network's parameters in `Vec<f64>` ([`VecOptimizer`]); both go through
//! [`Moments::apply`], so the two paths do the same operations in the same
//! order on every coordinate. Each coordinate's update is the one the 2D
//! optimizer has always made with nalgebra's `Vector2` arithmetic (one
//! rounding per `+`, `−`, `×`, `÷`, `√`, never a fused multiply-add), so the
//! 2D trajectories are unchanged bit for bit.

use super::OptimizerSpec;

/// The first-order optimizers: the ones that need only `∇f`, and so run on
/// a parameter vector of any length.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FirstOrder {
    /// `x ← x − lr·g`.
    Gd {
        /// Step size.
        lr: f64,
    },
    /// `v ← β·v − lr·g`, `x ← x + v`.
    Momentum {
        /// Step size.
        lr: f64,
        /// Momentum coefficient β.
        beta: f64,
    },
    /// Adam with bias correction: `m ← β₁m + (1 − β₁)g`,
    /// `v ← β₂v + (1 − β₂)g²`, `x ← x − lr·m̂ / (√v̂ + ε)`.
    Adam {
        /// Step size.
        lr: f64,
        /// First-moment decay β₁.
        beta1: f64,
        /// Second-moment decay β₂.
        beta2: f64,
        /// Denominator guard ε.
        eps: f64,
    },
}

impl OptimizerSpec {
    /// The first-order optimizer this spec names; `None` for Newton and
    /// Algorithm 2, which need more than a gradient.
    pub fn first_order(&self) -> Option<FirstOrder> {
        match *self {
            Self::Gd { lr } => Some(FirstOrder::Gd { lr }),
            Self::Momentum { lr, beta } => Some(FirstOrder::Momentum { lr, beta }),
            Self::Adam {
                lr,
                beta1,
                beta2,
                eps,
            } => Some(FirstOrder::Adam {
                lr,
                beta1,
                beta2,
                eps,
            }),
            Self::Newton { .. } | Self::Alg2 { .. } => None,
        }
    }
}

/// The running state of a first-order optimizer, one slot per coordinate
/// in storage `S` (`[f64; 2]` for ℝ², `Vec<f64>` for a network): momentum's
/// velocity, Adam's two moments and its step count.
#[derive(Clone, Debug, PartialEq)]
pub struct Moments<S> {
    velocity: S,
    m: S,
    v: S,
    t: u32,
}

impl<S: Clone + AsRef<[f64]> + AsMut<[f64]>> Moments<S> {
    /// A fresh state: `zeros` (all slots 0) for each of the three buffers.
    pub fn new(zeros: S) -> Self {
        Self {
            velocity: zeros.clone(),
            m: zeros.clone(),
            v: zeros,
            t: 0,
        }
    }

    /// The number of coordinates.
    pub fn len(&self) -> usize {
        self.velocity.as_ref().len()
    }

    /// Whether there are no coordinates.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adam's step count so far (0 for GD and momentum).
    pub fn steps(&self) -> u32 {
        self.t
    }

    /// One update of `x` in place from the gradient `g` (both as long as
    /// the state; extra entries of either are left alone).
    #[inline]
    pub fn apply(&mut self, rule: FirstOrder, x: &mut [f64], g: &[f64]) {
        match rule {
            FirstOrder::Gd { lr } => {
                for (x, g) in x.iter_mut().zip(g) {
                    *x -= lr * g;
                }
            }
            FirstOrder::Momentum { lr, beta } => {
                let velocity = self.velocity.as_mut();
                for ((x, g), v) in x.iter_mut().zip(g).zip(velocity) {
                    *v = beta * *v - lr * g;
                    *x += *v;
                }
            }
            FirstOrder::Adam {
                lr,
                beta1,
                beta2,
                eps,
            } => {
                self.t = self.t.saturating_add(1);
                // As the 2D optimizer always has: the count as `i32` for
                // `powi` (it saturates at u32::MAX, far beyond any run).
                let t = self.t as i32;
                let (correct1, correct2) = (1.0 - beta1.powi(t), 1.0 - beta2.powi(t));
                let (m, v) = (self.m.as_mut(), self.v.as_mut());
                for (((x, g), m), v) in x.iter_mut().zip(g).zip(m).zip(v) {
                    *m = beta1 * *m + (1.0 - beta1) * g;
                    *v = beta2 * *v + (1.0 - beta2) * (g * g);
                    let m_hat = *m / correct1;
                    let v_hat = *v / correct2;
                    *x -= lr * (m_hat / (v_hat.sqrt() + eps));
                }
            }
        }
    }
}

/// Why an optimizer cannot train a parameter vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotFirstOrder {
    /// Newton's method.
    #[error(
        "`newton` is not offered for networks: a network's Hessian is indefinite (and P×P), so H⁻¹∇f need not point downhill"
    )]
    Newton,
    /// Algorithm 2.
    #[error(
        "`alg2` is not offered for networks: it learns a rotation θ of ℝ²'s level set through h(x), and a network's symmetry is the rescaling of its units"
    )]
    Alg2,
}

/// A first-order optimizer on a parameter vector of any length (a
/// network's): the same update math as the 2D [`super::Optimizer`].
#[derive(Clone, Debug, PartialEq)]
pub struct VecOptimizer {
    rule: FirstOrder,
    state: Moments<Vec<f64>>,
}

impl VecOptimizer {
    /// A fresh optimizer for `len` coordinates; Newton and Algorithm 2 are
    /// refused with the reason.
    pub fn new(spec: OptimizerSpec, len: usize) -> Result<Self, NotFirstOrder> {
        match spec.first_order() {
            Some(rule) => Ok(Self::of(rule, len)),
            None if matches!(spec, OptimizerSpec::Alg2 { .. }) => Err(NotFirstOrder::Alg2),
            None => Err(NotFirstOrder::Newton),
        }
    }

    /// A fresh optimizer with this update rule for `len` coordinates.
    pub fn of(rule: FirstOrder, len: usize) -> Self {
        Self {
            rule,
            state: Moments::new(vec![0.0; len]),
        }
    }

    /// The update rule.
    pub fn rule(&self) -> FirstOrder {
        self.rule
    }

    /// The running state.
    pub fn state(&self) -> &Moments<Vec<f64>> {
        &self.state
    }

    /// One step: `x` is updated in place from its gradient `g`.
    pub fn step(&mut self, x: &mut [f64], g: &[f64]) {
        self.state.apply(self.rule, x, g);
    }
}
