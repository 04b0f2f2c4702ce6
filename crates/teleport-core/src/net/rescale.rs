//! The rescaling symmetry of (Leaky)ReLU units and the teleports along it.
//!
//! **The group.** A (Leaky)ReLU is positively homogeneous, `σ(d·z) =
//! d·σ(z)` for `d > 0`, so multiplying a hidden unit's incoming weights and
//! bias by `d` and dividing its outgoing weights by `d` leaves the network's
//! function unchanged, for any data: each hidden layer of H units carries a
//! copy of `(ℝ₊)^H`. It acts on the flat parameter vector through one
//! log-scale `s_u` per hidden unit `u` (all layers, input side first, in
//! unit order; `d_u = e^{s_u}`):
//!
//! `W_l[j, i] ← W_l[j, i] · e^{s_{l,j} − s_{l−1,i}}`, `b_l[j] ← b_l[j] · e^{s_{l,j}}`,
//!
//! where the inputs and the logit have `s = 0`. Write `e_k(s)` for the
//! exponent of parameter `k`: the action is the diagonal matrix
//! `D_s = diag(e^{e_k(s)})`, linear in θ, and its derivative is
//! `∂θ'_k/∂s_u = θ'_k · ∂e_k/∂s_u` with `∂e_k/∂s_u = +1` for the unit's
//! incoming weights and bias, `−1` for its outgoing weights, 0 otherwise
//! ([`tangent`]).
//!
//! **The gradient along the orbit.** `f(D_s θ) = f(θ)` for all θ, so
//! `D_s ∇f(D_s θ) = ∇f(θ)`: the gradient at the teleported point is
//! `D_s⁻¹ ∇f(θ)`, known without another backward pass, and
//! `G(s) = ‖∇f(D_s θ)‖² = Σ_k g_k² e^{−2 e_k(s)}` with `g = ∇f(θ)`
//! ([`OrbitGradient`]). Its derivative is
//! `∂G/∂s_u = 2 (‖g'_out(u)‖² − ‖g'_in(u)‖²)`, with `g'` the gradient at the
//! teleported point: the difference of the squared gradient norms of the
//! unit's outgoing and incoming parameters.
//!
//! **No global maximum.** `G` is a sum of exponentials of linear functions
//! of `s`, so it is convex and unbounded: shrinking a unit's incoming
//! weights makes their gradient as large as one likes. (On the 2D tasks
//! the orbit is a circle and the oracle's maximum exists; here it does
//! not.) The oracle therefore searches the box `|s_u| ≤ S` (each unit
//! rescaled by at most `e^S` either way, [`DEFAULT_MAX_LOG_SCALE`]); a
//! convex function's maximum over a box is at a corner, and for one hidden
//! layer `G` is a sum of one-unit terms, each largest at the end its
//! derivative at 0 points to, so the oracle's first step (to the corner
//! `S·sign ∇G(0)`) reaches the global maximum over the box. With more
//! layers the terms couple and the oracle stops at a corner that is a
//! local maximum over the box. Along one unit's scale
//! `G(θ) = A e^{−2θ} + B e^{2θ} + C` ([`UnitCurve`]): largest at an end of
//! any range, smallest at the balanced point `θ = ¼ ln(A/B)`.

use super::mlp::Mlp;

/// The oracle's default box: each unit rescaled by at most 2 either way.
pub const DEFAULT_MAX_LOG_SCALE: f64 = std::f64::consts::LN_2;
/// The largest box a file may ask for: a factor e⁵ ≈ 148 either way.
pub const MAX_LOG_SCALE_LIMIT: f64 = 5.0;
/// The most ascent steps of the oracle.
pub const ORACLE_STEPS: usize = 20;
/// The oracle stops once a step raises `‖∇f‖²` by less than this, relatively.
pub const ORACLE_MIN_GAIN: f64 = 1e-6;
/// The most halvings of the oracle's step before it gives up on a direction.
pub const ORACLE_BACKTRACKS: usize = 40;
/// The sufficient-increase constant of the oracle's line search (Armijo).
const ARMIJO: f64 = 1e-4;

/// A hidden unit: its hidden layer (0 is the one nearest the input) and
/// its index in that layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Unit {
    /// The hidden layer, from 0.
    pub layer: usize,
    /// The unit in that layer, from 0.
    pub index: usize,
}

impl Mlp {
    /// Where hidden layer `layer`'s log-scales start in a log-scale vector.
    pub fn log_scale_offset(&self, layer: usize) -> usize {
        self.hidden().iter().take(layer).sum()
    }

    /// The position of `unit` in a log-scale vector; `None` if the network
    /// has no such unit.
    pub fn unit_position(&self, unit: Unit) -> Option<usize> {
        let width = *self.hidden().get(unit.layer)?;
        (unit.index < width).then(|| self.log_scale_offset(unit.layer) + unit.index)
    }
}

/// Calls `visit(k, out, inp)` for every parameter `k`: `out` is the
/// log-scale position of the unit whose output the parameter feeds (its
/// row's unit; `None` for the logit layer), `inp` that of the unit its
/// weight reads (`None` for a bias or an input-layer weight). Then
/// `e_k(s) = s[out] − s[inp]`.
fn for_each_param(mlp: &Mlp, mut visit: impl FnMut(usize, Option<usize>, Option<usize>)) {
    let layers = mlp.layers();
    for (l, layer) in layers.iter().enumerate() {
        let out_base = (l + 1 < layers.len()).then(|| mlp.log_scale_offset(l));
        let in_base = (l > 0).then(|| mlp.log_scale_offset(l - 1));
        for j in 0..layer.outputs {
            let out = out_base.map(|b| b + j);
            for i in 0..layer.inputs {
                visit(
                    layer.weights + j * layer.inputs + i,
                    out,
                    in_base.map(|b| b + i),
                );
            }
            visit(layer.bias + j, out, None);
        }
    }
}

/// `D_s θ`: `params` rescaled by the log-scales `s` (one per hidden unit,
/// see the module's documentation), into `out`.
pub fn rescale(mlp: &Mlp, params: &[f64], s: &[f64], out: &mut [f64]) {
    let at = |u: Option<usize>| u.map_or(0.0, |u| s[u]);
    for_each_param(mlp, |k, o, i| {
        out[k] = params[k] * (at(o) - at(i)).exp();
    });
}

/// [`rescale`] in place.
pub fn rescale_in_place(mlp: &Mlp, params: &mut [f64], s: &[f64]) {
    let at = |u: Option<usize>| u.map_or(0.0, |u| s[u]);
    for_each_param(mlp, |k, o, i| {
        params[k] *= (at(o) - at(i)).exp();
    });
}

/// The derivative of the action along `ds` at the rescaled parameters
/// `rescaled = D_s θ`: `out_k = rescaled_k · (ds[out] − ds[inp])`, the
/// tangent `d/dε D_{s+ε·ds} θ` at ε = 0.
pub fn tangent(mlp: &Mlp, rescaled: &[f64], ds: &[f64], out: &mut [f64]) {
    let at = |u: Option<usize>| u.map_or(0.0, |u| ds[u]);
    for_each_param(mlp, |k, o, i| {
        out[k] = rescaled[k] * (at(o) - at(i));
    });
}

/// `‖∇f‖²` over the orbit of one parameter vector, from its gradient
/// alone: `G(s) = Σ_k g_k² e^{−2 e_k(s)}` (see the module's documentation).
#[derive(Clone, Debug)]
pub struct OrbitGradient<'a> {
    mlp: &'a Mlp,
    grad: &'a [f64],
    /// Per hidden unit: `e^{2 s_u}` and `e^{−2 s_u}` at the last `s`.
    up: Vec<f64>,
    down: Vec<f64>,
}

impl<'a> OrbitGradient<'a> {
    /// The orbit of the point whose gradient is `grad`.
    pub fn new(mlp: &'a Mlp, grad: &'a [f64]) -> Self {
        let units = mlp.num_hidden_units();
        Self {
            mlp,
            grad,
            up: vec![1.0; units],
            down: vec![1.0; units],
        }
    }

    fn set(&mut self, s: &[f64]) {
        for ((up, down), &s) in self.up.iter_mut().zip(&mut self.down).zip(s) {
            *up = (2.0 * s).exp();
            *down = (-2.0 * s).exp();
        }
    }

    /// `G(s) = ‖∇f(D_s θ)‖²`.
    pub fn grad_norm_sq(&mut self, s: &[f64]) -> f64 {
        self.set(s);
        let (up, down, g) = (&self.up, &self.down, self.grad);
        let mut total = 0.0;
        for_each_param(self.mlp, |k, o, i| {
            let factor = o.map_or(1.0, |o| down[o]) * i.map_or(1.0, |i| up[i]);
            total += g[k] * g[k] * factor;
        });
        total
    }

    /// `G(s)` and `∂G/∂s` (into `ds`, one per hidden unit).
    pub fn grad_norm_sq_and_derivative(&mut self, s: &[f64], ds: &mut [f64]) -> f64 {
        self.set(s);
        ds.fill(0.0);
        let (up, down, g) = (&self.up, &self.down, self.grad);
        let mut total = 0.0;
        for_each_param(self.mlp, |k, o, i| {
            let term = g[k] * g[k] * o.map_or(1.0, |o| down[o]) * i.map_or(1.0, |i| up[i]);
            total += term;
            // e_k = s[o] − s[i] and the term is g² e^{−2 e_k}.
            if let Some(o) = o {
                ds[o] -= 2.0 * term;
            }
            if let Some(i) = i {
                ds[i] += 2.0 * term;
            }
        });
        total
    }
}

/// What a search over the log-scales found.
#[derive(Clone, Debug, PartialEq)]
pub struct LogScaleSearch {
    /// The log-scales to apply ([`rescale_in_place`]).
    pub log_scales: Vec<f64>,
    /// `‖∇f‖²` before.
    pub grad_norm_sq_before: f64,
    /// `‖∇f‖²` at the rescaled point (from the gradient before).
    pub grad_norm_sq_after: f64,
    /// Ascent steps taken.
    pub steps: usize,
}

/// Why a teleport could not be computed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum TeleportError {
    /// The gradient is not finite.
    #[error("the gradient is not finite; no teleport")]
    NotFinite,
    /// Plain ascent overflowed.
    #[error(
        "the ascent on the log-scales overflowed at step {step} (‖∇f‖² grows exponentially in them); lower `lr` or `iters`"
    )]
    AscentOverflow {
        /// The step (from 1) whose result was not finite.
        step: usize,
    },
    /// A unit that the network does not have.
    #[error("the network {shape} has no hidden unit {index} in hidden layer {layer}")]
    NoSuchUnit {
        /// Its shape, e.g. `2-16-1`.
        shape: String,
        /// The hidden layer asked for.
        layer: usize,
        /// The unit asked for.
        index: usize,
    },
}

/// The oracle: `max G(s)` over the box `|s_u| ≤ max_log_scale` by
/// projected gradient ascent from `s = 0` with a backtracking line search.
///
/// Each step moves along the projected gradient (components that push
/// through a wall of the box dropped), clipped to the box, starting with
/// the step that takes every moving component to the wall it points at,
/// and halves it (at most [`ORACLE_BACKTRACKS`] times) until `G` rises by
/// at least `1e−4 · ∇G·Δs` (Armijo). `G` being convex,
/// `G(s + Δs) ≥ G(s) + ∇G·Δs` and the longest step is always taken (the
/// halvings guard against rounding): the search hops from corner to
/// corner of the box, each higher, and stops at one where every component
/// of `∇G` points out of the box, a local maximum over the box; for one
/// hidden layer, the global one, after one step. It also stops after
/// [`ORACLE_STEPS`] steps or when a step gains less than
/// [`ORACLE_MIN_GAIN`] relatively. If the whole search gains less than
/// 1e−9 relatively, it returns `s = 0` (no teleport), so that `‖∇f‖` never
/// falls by rounding.
pub fn oracle(
    mlp: &Mlp,
    grad: &[f64],
    max_log_scale: f64,
) -> Result<LogScaleSearch, TeleportError> {
    let units = mlp.num_hidden_units();
    let bound = max_log_scale.abs();
    let mut orbit = OrbitGradient::new(mlp, grad);
    let mut s = vec![0.0; units];
    let mut ds = vec![0.0; units];
    let mut trial = vec![0.0; units];
    let before = orbit.grad_norm_sq_and_derivative(&s, &mut ds);
    if !before.is_finite() || ds.iter().any(|v| !v.is_finite()) {
        return Err(TeleportError::NotFinite);
    }
    let mut value = before;
    let mut steps = 0;
    while steps < ORACLE_STEPS && bound > 0.0 {
        // The projected gradient: no push through a wall.
        for (d, &s) in ds.iter_mut().zip(&s) {
            if (s >= bound && *d > 0.0) || (s <= -bound && *d < 0.0) {
                *d = 0.0;
            }
        }
        let smallest = ds
            .iter()
            .filter(|d| **d != 0.0)
            .fold(f64::INFINITY, |m, d| m.min(d.abs()));
        if smallest == f64::INFINITY {
            break;
        }
        // Long enough for the slowest moving component to cross the box.
        let mut eta = (2.0 * bound / smallest).min(f64::MAX);
        let mut accepted = None;
        for _ in 0..=ORACLE_BACKTRACKS {
            let mut rise = 0.0;
            for ((t, &s), &d) in trial.iter_mut().zip(&s).zip(&ds) {
                *t = if d == 0.0 {
                    s
                } else {
                    (s + eta * d).clamp(-bound, bound)
                };
                rise += d * (*t - s);
            }
            let candidate = orbit.grad_norm_sq(&trial);
            if candidate.is_finite() && candidate > value && candidate >= value + ARMIJO * rise {
                accepted = Some(candidate);
                break;
            }
            eta *= 0.5;
        }
        let Some(candidate) = accepted else { break };
        steps += 1;
        let gain = (candidate - value) / value;
        std::mem::swap(&mut s, &mut trial);
        value = orbit.grad_norm_sq_and_derivative(&s, &mut ds);
        if gain < ORACLE_MIN_GAIN {
            break;
        }
    }
    if value < before * (1.0 + 1e-9) {
        s.fill(0.0);
        value = before;
    }
    Ok(LogScaleSearch {
        log_scales: s,
        grad_norm_sq_before: before,
        grad_norm_sq_after: value,
        steps,
    })
}

/// Plain gradient ascent on `G(s)` from `s = 0`: `s ← s + lr·∇G(s)`,
/// `iters` times, with no bound (Zhao et al.'s teleport by gradient
/// ascent on the group element). `G` grows exponentially in `s`, so a
/// large `lr` or many `iters` overflow: that is an error, not a teleport.
pub fn ascent(
    mlp: &Mlp,
    grad: &[f64],
    lr: f64,
    iters: usize,
) -> Result<LogScaleSearch, TeleportError> {
    let units = mlp.num_hidden_units();
    let mut orbit = OrbitGradient::new(mlp, grad);
    let mut s = vec![0.0; units];
    let mut ds = vec![0.0; units];
    let before = orbit.grad_norm_sq_and_derivative(&s, &mut ds);
    if !before.is_finite() {
        return Err(TeleportError::NotFinite);
    }
    let mut value = before;
    for step in 1..=iters {
        for (s, d) in s.iter_mut().zip(&ds) {
            *s += lr * d;
        }
        value = orbit.grad_norm_sq_and_derivative(&s, &mut ds);
        let finite = value.is_finite() && s.iter().chain(&ds).all(|v| v.is_finite());
        // e^{|s|} must stay finite for the parameters too.
        if !finite || s.iter().any(|v| v.abs() > 700.0) {
            return Err(TeleportError::AscentOverflow { step });
        }
    }
    Ok(LogScaleSearch {
        log_scales: s,
        grad_norm_sq_before: before,
        grad_norm_sq_after: value,
        steps: iters,
    })
}

/// `‖∇f‖` as one unit's log-scale θ varies (the others at 0):
/// `G(θ) = A e^{−2θ} + B e^{2θ} + C`, with `A` the squared gradient norm
/// of the unit's incoming weights and bias, `B` that of its outgoing
/// weights and `C` the rest, all at θ = 0.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UnitCurve {
    /// `A`: the incoming weights' and bias's `‖g‖²`.
    pub incoming: f64,
    /// `B`: the outgoing weights' `‖g‖²`.
    pub outgoing: f64,
    /// `C`: every other parameter's `‖g‖²`.
    pub rest: f64,
}

impl UnitCurve {
    /// The curve of `unit` at the point whose gradient is `grad`.
    pub fn of(mlp: &Mlp, grad: &[f64], unit: Unit) -> Result<Self, TeleportError> {
        let u = mlp
            .unit_position(unit)
            .ok_or_else(|| TeleportError::NoSuchUnit {
                shape: mlp.shape(),
                layer: unit.layer,
                index: unit.index,
            })?;
        let mut curve = Self {
            incoming: 0.0,
            outgoing: 0.0,
            rest: 0.0,
        };
        for_each_param(mlp, |k, o, i| {
            let g2 = grad[k] * grad[k];
            if o == Some(u) {
                curve.incoming += g2;
            } else if i == Some(u) {
                curve.outgoing += g2;
            } else {
                curve.rest += g2;
            }
        });
        Ok(curve)
    }

    /// `‖∇f‖` after rescaling the unit by `e^θ`.
    pub fn grad_norm(&self, theta: f64) -> f64 {
        (self.incoming * (-2.0 * theta).exp() + self.outgoing * (2.0 * theta).exp() + self.rest)
            .sqrt()
    }

    /// `(θ, ‖∇f‖)` at `n` evenly spaced θ from `lo` to `hi` (both
    /// included; at least 2 points): the scrubber's plot.
    pub fn sample(&self, lo: f64, hi: f64, n: usize) -> Vec<(f64, f64)> {
        let n = n.max(2);
        (0..n)
            .map(|k| {
                let theta = lo + (hi - lo) * k as f64 / (n - 1) as f64;
                (theta, self.grad_norm(theta))
            })
            .collect()
    }

    /// The θ in `[lo, hi]` with the largest `‖∇f‖`: an end of the range,
    /// the curve being convex (`lo` on a tie, 0 clamped into the range
    /// when the curve is flat).
    pub fn argmax(&self, lo: f64, hi: f64) -> f64 {
        let (lo, hi) = (lo.min(hi), lo.max(hi));
        if self.incoming == 0.0 && self.outgoing == 0.0 {
            return 0.0f64.clamp(lo, hi);
        }
        if self.grad_norm(hi) > self.grad_norm(lo) {
            hi
        } else {
            lo
        }
    }

    /// The θ with the smallest `‖∇f‖`, where the unit's incoming and
    /// outgoing gradients balance: `¼ ln(A/B)`; `None` when either is 0
    /// (the curve is then monotone or flat).
    pub fn balanced(&self) -> Option<f64> {
        (self.incoming > 0.0 && self.outgoing > 0.0)
            .then(|| 0.25 * (self.incoming / self.outgoing).ln())
    }
}

/// How a network teleport picks its log-scales.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NetStrategy {
    /// [`oracle`] over the box `|s| ≤ max_log_scale`.
    Oracle {
        /// The box's half-width S.
        max_log_scale: f64,
    },
    /// [`ascent`] with this step size and step count.
    Ascent {
        /// The ascent step size.
        lr: f64,
        /// The number of ascent steps.
        iters: usize,
    },
    /// One unit rescaled by `e^θ` (the others left alone): the networks'
    /// counterpart of a teleport by a chosen angle.
    Unit {
        /// The unit.
        unit: Unit,
        /// Its log-scale θ.
        theta: f64,
    },
}

impl NetStrategy {
    /// The oracle with the default box.
    pub const ORACLE: Self = Self::Oracle {
        max_log_scale: DEFAULT_MAX_LOG_SCALE,
    };

    /// The log-scales this strategy picks at the point whose gradient is
    /// `grad`.
    pub fn search(&self, mlp: &Mlp, grad: &[f64]) -> Result<LogScaleSearch, TeleportError> {
        match *self {
            Self::Oracle { max_log_scale } => oracle(mlp, grad, max_log_scale),
            Self::Ascent { lr, iters } => ascent(mlp, grad, lr, iters),
            Self::Unit { unit, theta } => {
                let u = mlp
                    .unit_position(unit)
                    .ok_or_else(|| TeleportError::NoSuchUnit {
                        shape: mlp.shape(),
                        layer: unit.layer,
                        index: unit.index,
                    })?;
                let mut s = vec![0.0; mlp.num_hidden_units()];
                s[u] = theta;
                let mut orbit = OrbitGradient::new(mlp, grad);
                let before = orbit.grad_norm_sq(&vec![0.0; s.len()]);
                let after = orbit.grad_norm_sq(&s);
                Ok(LogScaleSearch {
                    log_scales: s,
                    grad_norm_sq_before: before,
                    grad_norm_sq_after: after,
                    steps: 0,
                })
            }
        }
    }

    /// A short label for legends: `oracle`, `oracle |s|≤1`,
    /// `ascent 10×0.01`, `unit 0:3 θ=0.5`.
    pub fn label(&self) -> String {
        match *self {
            Self::Oracle { max_log_scale } if max_log_scale == DEFAULT_MAX_LOG_SCALE => {
                "oracle".to_owned()
            }
            Self::Oracle { max_log_scale } => format!("oracle |s|≤{max_log_scale}"),
            Self::Ascent { lr, iters } => format!("ascent {iters}×{lr}"),
            Self::Unit { unit, theta } => format!("unit {}:{} θ={theta}", unit.layer, unit.index),
        }
    }
}
