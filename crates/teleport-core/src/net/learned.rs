//! A learned optimizer for networks: one small LSTM applied to every
//! parameter coordinate (Andrychowicz et al. 2016), and its teleporting
//! variant, which also decides how far to move along the rescaling orbit.
//!
//! **The optimizer.** One LSTM ([`crate::l2o::lstm::Net`]: two stacked
//! cells of [`CwConfig::hidden`] units, 20 by default, and a linear head)
//! is shared by every coordinate `θ_i` of the network's parameters; each
//! coordinate keeps its own recurrent state, so the `P` coordinates are a
//! batch of `P` independent sequences and the optimizer works for any
//! architecture. At step `t` coordinate `i` reads its gradient
//! `g_i = ∂f/∂θ_i(θ_{t−1})` preprocessed as in that paper
//! ([`crate::l2o::meta::log_sign`], `p = 10`: the features
//! `(ln|g_i|/10, sign g_i)`, or `(−1, e^{10} g_i)` below `e^{−10}`), so that
//! gradients of any magnitude reach the LSTM at a similar scale; the head's
//! first output `y_i` is the update, scaled by a fixed output scale
//! `c` ([`CwConfig::output_scale`], 0.1 as in that paper):
//! `θ'_i = θ_{t−1,i} + c·y_i`. (`c` keeps an untrained LSTM's steps small,
//! about 0.01–0.1, so that meta-training starts from a stable optimizer.)
//!
//! **The teleporting variant** (`cw-l2o-tele`) applies, after the update,
//! the paper's `x_t ← g(x_{t−1} + m(z_t))` with `g` a rescaling `D_s` of the
//! hidden units ([`super::rescale`]). How far to go is the LSTM's: the head
//! has a second output `u_i` per coordinate, pooled by the mean over all
//! coordinates into one step size
//!
//! `a_t = S · tanh(mean_i u_i)`, `|a_t| < S` ([`CwConfig::max_log_scale`]),
//!
//! and the direction is the steepest increase of `‖∇f‖²` along the orbit,
//! `d_t = ∂‖∇f(D_s θ')‖²/∂s` at `s = 0` (one entry per hidden unit: twice
//! the unit's outgoing minus its incoming squared gradient norm), scaled to
//! `‖d̂_t‖∞ = 1`. The teleport is `θ_t = D_{s_t} θ'` with `s_t = a_t · d̂_t`,
//! so every unit is rescaled by at most `e^{|a_t|} < e^S` either way: the
//! oracle's box `|s| ≤ S` holds by construction. `f` is unchanged (to
//! rounding); `‖∇f‖` rises for `a_t > 0` and falls for `a_t < 0`: the LSTM
//! may learn to sharpen or to balance the network, or to do nothing.
//!
//! Why this design: meta-training must differentiate through the
//! teleport. Given `d̂_t`, `θ_t` is a smooth function of `θ'` (a diagonal
//! scaling) and of `a_t` (`∂θ_{t,k}/∂a_t = θ_{t,k} · e_k(d̂_t)`, the orbit's
//! tangent), and `a_t` a smooth function of the LSTM's outputs, so the
//! meta-gradient is exact given `d̂_t`. The direction `d̂_t` depends on
//! `θ'` through `∇f(θ')`; like the gradient inputs it is treated as a
//! constant (first order), which avoids second derivatives of `f`. One
//! pooled step size keeps the coordinate-wise LSTM independent of the
//! architecture (the group has one log-scale per hidden unit, the LSTM one
//! output per parameter); the steepest direction makes that one number
//! enough to reach the oracle's corner of the box (`a_t = S`, one hidden
//! layer) or to stay put (`a_t = 0`).
//!
//! Meta-training ([`super::train`]) runs the f64-or-f32 rollout of
//! [`CwModel::step`] with a [`CwTape`] and [`CwModel::backward`];
//! evaluation runs [`CwOptimizer`], the same model stepped as one batch of
//! coordinates ([`crate::l2o::batch::PackedNet`]), through
//! [`super::run::run_with`] like any other optimizer. The two agree to
//! `f32` round-off in the LSTM.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::mlp::{Fit, Mlp, Workspace};
use super::rescale::{
    DEFAULT_MAX_LOG_SCALE, MAX_LOG_SCALE_LIMIT, OrbitGradient, rescale_in_place, tangent,
};
use super::run::ParamOptimizer;
use super::task::NetTask;
use crate::l2o::batch::{BatchState, PackedNet};
use crate::l2o::lstm::{Net, NetShape, NetState, Tape};
use crate::l2o::meta::log_sign;
use crate::l2o::real::Real;
use crate::optim::When;

/// Features per coordinate: the log-magnitude and the sign of its gradient.
pub const INPUTS: usize = 2;
/// The LSTM's hidden size by default (Andrychowicz et al.'s 20).
pub const DEFAULT_HIDDEN: usize = 20;
/// The fixed scale of the LSTM's update output by default (that paper's 0.1).
pub const DEFAULT_OUTPUT_SCALE: f64 = 0.1;
/// The largest hidden size [`CwConfig::validate`] accepts: every
/// coordinate runs the LSTM every step, so a big one is slow, not useful.
pub const MAX_CW_HIDDEN: usize = 256;
/// The largest output scale accepted.
pub const MAX_OUTPUT_SCALE: f64 = 10.0;

/// The two coordinate-wise variants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CwVariant {
    /// The update only: `θ_t = θ_{t−1} + c·y`.
    CwL2o,
    /// The update, then a learned rescaling along the orbit.
    CwL2oTele,
}

impl CwVariant {
    /// Both variants, in menu order.
    pub const ALL: [Self; 2] = [Self::CwL2o, Self::CwL2oTele];

    /// The name in files and on the command line: `cw-l2o`, `cw-l2o-tele`.
    pub fn name(self) -> &'static str {
        match self {
            Self::CwL2o => "cw-l2o",
            Self::CwL2oTele => "cw-l2o-tele",
        }
    }

    /// A legend label.
    pub fn label(self) -> &'static str {
        match self {
            Self::CwL2o => "CW-L2O",
            Self::CwL2oTele => "CW-L2O + teleport",
        }
    }

    /// Head outputs per coordinate: the update, and the teleport's input
    /// for the teleporting variant.
    pub fn outputs(self) -> usize {
        match self {
            Self::CwL2o => 1,
            Self::CwL2oTele => 2,
        }
    }

    /// Whether the variant teleports.
    pub fn teleports(self) -> bool {
        matches!(self, Self::CwL2oTele)
    }
}

impl std::fmt::Display for CwVariant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

from_str_by_name!(CwVariant, "network variant");

/// The architecture and output bounds of a coordinate-wise optimizer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CwConfig {
    /// Which variant.
    pub variant: CwVariant,
    /// The LSTM's hidden size (both cells).
    pub hidden: usize,
    /// `c`: the update is `c` times the head's first output.
    pub output_scale: f64,
    /// `S`: the teleport's step `a_t = S·tanh(·)` has `|a_t| < S`, each unit
    /// rescaled by less than `e^S` either way.
    pub max_log_scale: f64,
    /// The steps (from 1: `θ_t` is made at step `t`) that teleport.
    pub teleport: When,
}

impl CwConfig {
    /// The default configuration of a variant: hidden size 20, output
    /// scale 0.1, `S = ln 2`, a teleport at every step.
    pub fn new(variant: CwVariant) -> Self {
        Self {
            variant,
            hidden: DEFAULT_HIDDEN,
            output_scale: DEFAULT_OUTPUT_SCALE,
            max_log_scale: DEFAULT_MAX_LOG_SCALE,
            teleport: When::Every(1),
        }
    }

    /// The LSTM's sizes.
    pub fn shape(&self) -> NetShape {
        NetShape {
            input: INPUTS,
            hidden: self.hidden,
            output: self.variant.outputs(),
        }
    }

    /// Checks the sizes and bounds.
    pub fn validate(&self) -> Result<(), CwConfigError> {
        if !(1..=MAX_CW_HIDDEN).contains(&self.hidden) {
            return Err(CwConfigError::Hidden(self.hidden));
        }
        let c = self.output_scale;
        if !(c.is_finite() && c > 0.0 && c <= MAX_OUTPUT_SCALE) {
            return Err(CwConfigError::OutputScale(c));
        }
        let s = self.max_log_scale;
        if !(s.is_finite() && s > 0.0 && s <= MAX_LOG_SCALE_LIMIT) {
            return Err(CwConfigError::MaxLogScale(s));
        }
        Ok(())
    }
}

/// Why [`CwConfig::validate`] refused a configuration.
#[derive(Clone, Copy, Debug, PartialEq, thiserror::Error)]
pub enum CwConfigError {
    /// The hidden size is 0 or above [`MAX_CW_HIDDEN`].
    #[error("hidden size must be in 1..={MAX_CW_HIDDEN}, got {0}")]
    Hidden(usize),
    /// The output scale is not in (0, [`MAX_OUTPUT_SCALE`]].
    #[error("output_scale must be a number in (0, {MAX_OUTPUT_SCALE}], got {0}")]
    OutputScale(f64),
    /// `S` is not in (0, [`MAX_LOG_SCALE_LIMIT`]].
    #[error("max_log_scale must be a number in (0, {MAX_LOG_SCALE_LIMIT}], got {0}")]
    MaxLogScale(f64),
}

/// A coordinate-wise learned optimizer: its configuration and its LSTM.
#[derive(Clone, Debug, PartialEq)]
pub struct CwModel<T> {
    config: CwConfig,
    net: Net<T>,
}

/// The state of a coordinate-wise optimizer on one network during a
/// rollout (meta-training and its checks).
#[derive(Clone, Debug, PartialEq)]
pub struct CwRollout<T> {
    /// The current parameters `θ_t`.
    pub params: Vec<f64>,
    /// `∇f(θ_t)`.
    pub grad: Vec<f64>,
    /// `f(θ_t)`.
    pub f: f64,
    /// The accuracy at `θ_t`.
    pub accuracy: f64,
    /// Steps taken.
    pub t: usize,
    states: Vec<NetState<T>>,
}

/// What one step of a rollout did.
#[derive(Clone, Debug, PartialEq)]
pub struct CwStep {
    /// `f` after the update, before any teleport.
    pub f_updated: f64,
    /// `f` after the step (after the teleport, if any).
    pub f: f64,
    /// `‖∇f‖²` after the update, before any teleport.
    pub grad_norm_sq_updated: f64,
    /// `‖∇f‖²` after the step.
    pub grad_norm_sq: f64,
    /// The teleport's log-scales `s_t = a_t·d̂_t`, when the step teleported.
    pub log_scales: Option<Vec<f64>>,
    /// `a_t`, when the step teleported.
    pub amount: Option<f64>,
}

/// What the backward pass needs of one teleport.
#[derive(Clone, Debug, PartialEq)]
struct TeleportRecord {
    /// `mean_i u_i`.
    pooled: f64,
    /// `d̂_t`, one entry per hidden unit.
    direction: Vec<f64>,
    /// `s_t = a_t · d̂_t`.
    log_scales: Vec<f64>,
}

/// What the backward pass needs of one step.
#[derive(Clone, Debug, PartialEq)]
struct StepRecord {
    /// The gradient the LSTM read.
    input: Vec<f64>,
    /// `θ_t` (after the teleport).
    params: Vec<f64>,
    /// `∇f(θ_t)`.
    grad: Vec<f64>,
    /// `f(θ_t)`.
    f: f64,
    teleport: Option<TeleportRecord>,
}

/// The activations of an unroll: one LSTM tape per coordinate, and the
/// network's side of every step.
#[derive(Clone, Debug)]
pub struct CwTape<T> {
    nets: Vec<Tape<T>>,
    steps: Vec<StepRecord>,
    /// `∂L/∂(head outputs)` per step and coordinate, filled by the backward pass.
    d_outputs: Vec<[f64; 2]>,
}

impl<T: Real> CwTape<T> {
    /// An empty tape for `model` on a network of `params` parameters.
    pub fn new(model: &CwModel<T>, params: usize) -> Self {
        Self {
            nets: (0..params).map(|_| Tape::new(model.net.shape())).collect(),
            steps: Vec::new(),
            d_outputs: Vec::new(),
        }
    }

    /// Forgets the recorded steps (keeps the buffers).
    pub fn clear(&mut self) {
        self.nets.iter_mut().for_each(Tape::clear);
        self.steps.clear();
    }

    /// Steps recorded.
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// Whether no step is recorded.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The gradients the LSTM read at each recorded step.
    pub fn inputs(&self) -> impl Iterator<Item = &[f64]> + '_ {
        self.steps.iter().map(|s| s.input.as_slice())
    }

    /// The teleport directions `d̂_t` of each recorded step (`None` where it
    /// did not teleport).
    pub fn directions(&self) -> impl Iterator<Item = Option<&[f64]>> + '_ {
        self.steps
            .iter()
            .map(|s| s.teleport.as_ref().map(|t| t.direction.as_slice()))
    }

    /// `f(θ_t)` of each recorded step.
    pub fn losses(&self) -> impl Iterator<Item = f64> + '_ {
        self.steps.iter().map(|s| s.f)
    }
}

/// `d̂`: the derivative of `‖∇f‖²` along the orbit at the point whose
/// gradient is `grad`, one entry per hidden unit, scaled to `‖d̂‖∞ = 1`;
/// all zeros when it is zero or not finite (no direction to go).
pub fn steepest_direction(mlp: &Mlp, grad: &[f64]) -> Vec<f64> {
    let units = mlp.num_hidden_units();
    let mut d = vec![0.0; units];
    let zero = vec![0.0; units];
    OrbitGradient::new(mlp, grad).grad_norm_sq_and_derivative(&zero, &mut d);
    let largest = d.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    if largest > 0.0 && largest.is_finite() && d.iter().all(|v| v.is_finite()) {
        d.iter_mut().for_each(|v| *v /= largest);
    } else {
        d.fill(0.0);
    }
    d
}

fn norm_sq(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum()
}

impl<T: Real> CwModel<T> {
    /// A freshly initialised optimizer (PyTorch's default initialisation of
    /// the LSTM, drawn from `seed`).
    pub fn init(config: CwConfig, seed: u64) -> Self {
        let mut rng = crate::rng(seed);
        let net = Net::init(config.shape(), &mut rng);
        Self { config, net }
    }

    /// An optimizer from its LSTM; `None` if the LSTM does not have the
    /// configuration's shape.
    pub fn from_net(config: CwConfig, net: Net<T>) -> Option<Self> {
        (net.shape() == config.shape()).then_some(Self { config, net })
    }

    /// The configuration.
    pub fn config(&self) -> &CwConfig {
        &self.config
    }

    /// The variant.
    pub fn variant(&self) -> CwVariant {
        self.config.variant
    }

    /// The LSTM.
    pub fn net(&self) -> &Net<T> {
        &self.net
    }

    /// The LSTM, mutably (for meta-training's Adam).
    pub fn net_mut(&mut self) -> &mut Net<T> {
        &mut self.net
    }

    /// A copy in another scalar type.
    pub fn cast<U: Real>(&self) -> CwModel<U> {
        CwModel {
            config: self.config.clone(),
            net: self.net.cast(),
        }
    }

    /// Whether every weight is finite.
    pub fn is_finite(&self) -> bool {
        self.net.params().iter().all(|p| p.is_finite())
    }

    /// A rollout from the task's initial parameters with zero LSTM states.
    pub fn start(&self, task: &NetTask, ws: &mut Workspace) -> CwRollout<T> {
        self.start_at(task, task.init.clone(), ws)
    }

    /// A rollout from `params` with zero LSTM states.
    pub fn start_at(&self, task: &NetTask, params: Vec<f64>, ws: &mut Workspace) -> CwRollout<T> {
        let mut grad = vec![0.0; params.len()];
        let Fit { f, accuracy } = task.fit_grad(&params, ws, &mut grad);
        CwRollout {
            states: (0..params.len())
                .map(|_| NetState::zeros(self.config.hidden))
                .collect(),
            params,
            grad,
            f,
            accuracy,
            t: 0,
        }
    }

    /// One step from the rollout's gradient; records it on `tape` when given.
    pub fn step(
        &self,
        task: &NetTask,
        ws: &mut Workspace,
        roll: &mut CwRollout<T>,
        tape: Option<&mut CwTape<T>>,
    ) -> CwStep {
        let input = roll.grad.clone();
        self.step_replay(task, ws, roll, &input, None, tape)
    }

    /// One step in which the LSTM reads `input` instead of the rollout's
    /// gradient, and a teleport goes along `direction` (one entry per
    /// hidden unit) instead of the steepest one, when given. The
    /// meta-gradient treats both as constants, so replaying recorded ones
    /// ([`CwTape::inputs`], [`CwTape::directions`]) makes finite
    /// differences comparable with it.
    pub fn step_replay(
        &self,
        task: &NetTask,
        ws: &mut Workspace,
        roll: &mut CwRollout<T>,
        input: &[f64],
        direction: Option<&[f64]>,
        tape: Option<&mut CwTape<T>>,
    ) -> CwStep {
        let n_out = self.config.variant.outputs();
        let c = self.config.output_scale;
        let mut tape = tape;
        let mut pooled = 0.0;
        let mut out = [T::ZERO; 2];
        for (i, (&g, state)) in input.iter().zip(roll.states.iter_mut()).enumerate() {
            let z = log_sign(g).map(T::from_f64);
            let net_tape = tape.as_deref_mut().map(|t| &mut t.nets[i]);
            self.net.step(&z, state, &mut out[..n_out], net_tape);
            roll.params[i] += c * out[0].to_f64();
            if n_out > 1 {
                pooled += out[1].to_f64();
            }
        }
        pooled /= roll.params.len().max(1) as f64;
        let t = roll.t + 1;
        let mut fit = task.fit_grad(&roll.params, ws, &mut roll.grad);
        let (f_updated, grad_norm_sq_updated) = (fit.f, norm_sq(&roll.grad));
        let mut teleport = None;
        if self.config.variant.teleports() && self.config.teleport.fires(t) {
            let direction = match direction {
                Some(d) => d.to_vec(),
                None => steepest_direction(&task.mlp, &roll.grad),
            };
            let amount = self.config.max_log_scale * pooled.tanh();
            let log_scales: Vec<f64> = direction.iter().map(|d| amount * d).collect();
            rescale_in_place(&task.mlp, &mut roll.params, &log_scales);
            fit = task.fit_grad(&roll.params, ws, &mut roll.grad);
            teleport = Some(TeleportRecord {
                pooled,
                direction,
                log_scales,
            });
        }
        roll.f = fit.f;
        roll.accuracy = fit.accuracy;
        roll.t = t;
        let outcome = CwStep {
            f_updated,
            f: fit.f,
            grad_norm_sq_updated,
            grad_norm_sq: norm_sq(&roll.grad),
            amount: teleport
                .as_ref()
                .map(|tp| self.config.max_log_scale * tp.pooled.tanh()),
            log_scales: teleport.as_ref().map(|tp| tp.log_scales.clone()),
        };
        if let Some(tape) = tape {
            tape.steps.push(StepRecord {
                input: input.to_vec(),
                params: roll.params.clone(),
                grad: roll.grad.clone(),
                f: fit.f,
                teleport,
            });
        }
        outcome
    }

    /// The meta-loss `Σ_s w_s f(θ_s)` of the recorded unroll.
    pub fn loss(&self, tape: &CwTape<T>, weights: &[f64]) -> f64 {
        tape.steps.iter().zip(weights).map(|(s, w)| w * s.f).sum()
    }

    /// Adds `∂(Σ_s w_s f(θ_s))/∂φ` of the recorded unroll to `grad` (as long
    /// as the LSTM's parameters). The unroll's start (θ and the LSTM
    /// states) is a constant, and so are the gradients the LSTM read and
    /// the teleport directions (first order).
    ///
    /// With `A_s = ∂L/∂θ_s` from later steps: `A_s += w_s ∇f(θ_s)`; through
    /// a teleport `θ_s = D_{s} θ'`, `∂L/∂a = A_s · (θ_s ⊙ e(d̂))` (the orbit's
    /// tangent), `∂L/∂u_i = ∂L/∂a · S(1 − tanh² ū)/P` and `∂L/∂θ' = D_s A_s`;
    /// then `∂L/∂y_i = c·(∂L/∂θ')_i`, and `A_{s−1} = ∂L/∂θ'` (the update is
    /// additive and its input a constant).
    pub fn backward(&self, mlp: &Mlp, tape: &mut CwTape<T>, weights: &[f64], grad: &mut [T]) {
        let CwTape {
            nets,
            steps,
            d_outputs,
        } = tape;
        let n = steps.len();
        let p = mlp.num_params();
        let c = self.config.output_scale;
        let max = self.config.max_log_scale;
        d_outputs.clear();
        d_outputs.resize(n * p, [0.0; 2]);
        let mut adjoint = vec![0.0; p];
        let mut along = vec![0.0; p];
        for s in (0..n).rev() {
            let rec = &steps[s];
            let w = weights.get(s).copied().unwrap_or(0.0);
            for (a, g) in adjoint.iter_mut().zip(&rec.grad) {
                *a += w * g;
            }
            let mut d_u = 0.0;
            if let Some(tp) = &rec.teleport {
                tangent(mlp, &rec.params, &tp.direction, &mut along);
                let d_amount: f64 = adjoint.iter().zip(&along).map(|(a, b)| a * b).sum();
                let th = tp.pooled.tanh();
                d_u = d_amount * max * (1.0 - th * th) / p as f64;
                rescale_in_place(mlp, &mut adjoint, &tp.log_scales);
            }
            for (d, a) in d_outputs[s * p..(s + 1) * p].iter_mut().zip(&adjoint) {
                *d = [c * a, d_u];
            }
        }
        for (i, net_tape) in nets.iter_mut().enumerate().take(p) {
            self.net
                .backward_through_time(net_tape, grad, |s, out: &mut [T]| {
                    let d = d_outputs[s * p + i];
                    for (o, v) in out.iter_mut().zip(d) {
                        *o = T::from_f64(v);
                    }
                });
            net_tape.add_cell_grads(grad);
        }
    }
}

impl CwModel<f32> {
    /// Runs this optimizer for `steps` steps on `task` (as evaluation does:
    /// [`CwOptimizer`] through [`super::run::run_with`]).
    pub fn run(self: &Arc<Self>, task: &NetTask, steps: usize) -> super::run::NetTrajectory {
        let mut opt = CwOptimizer::new(Arc::clone(self), task.mlp.num_params());
        super::run::run_with(task, steps, &mut opt, None)
    }
}

/// A trained coordinate-wise optimizer running on one network, as a
/// [`ParamOptimizer`]: the LSTM steps every coordinate as one batch
/// ([`PackedNet`]); the teleporting variant rescales the network after
/// each update ([`ParamOptimizer::teleport_after_step`]).
#[derive(Clone, Debug)]
pub struct CwOptimizer {
    model: Arc<CwModel<f32>>,
    packed: PackedNet,
    state: BatchState,
    inputs: Vec<f32>,
    outputs: Vec<f32>,
    params: usize,
    t: usize,
    /// `a_t` of the last step, when it is to teleport.
    pending: Option<f64>,
    /// `a_t` of the last step, when it was a teleporting step.
    last_amount: Option<f64>,
}

impl CwOptimizer {
    /// A fresh optimizer (zero LSTM states) for a network of `params`
    /// parameters.
    pub fn new(model: Arc<CwModel<f32>>, params: usize) -> Self {
        let packed = PackedNet::new(&model.net);
        let state = packed.zeros(params);
        let padded = state.len();
        Self {
            inputs: vec![0.0; padded * INPUTS],
            outputs: vec![0.0; padded * packed.outputs()],
            packed,
            state,
            params,
            t: 0,
            pending: None,
            last_amount: None,
            model,
        }
    }

    /// The teleport's step `a_t` of the last step, when that step
    /// teleports (the teleporting variant at a step of its schedule).
    pub fn last_amount(&self) -> Option<f64> {
        self.last_amount
    }

    /// The model.
    pub fn model(&self) -> &Arc<CwModel<f32>> {
        &self.model
    }
}

impl ParamOptimizer for CwOptimizer {
    fn step(&mut self, params: &mut [f64], grad: &[f64], _f: f64) {
        for (chunk, &g) in self.inputs.chunks_exact_mut(INPUTS).zip(grad) {
            let [a, b] = log_sign(g);
            chunk[0] = a as f32;
            chunk[1] = b as f32;
        }
        self.packed
            .step(&self.inputs, &mut self.state, &mut self.outputs);
        let config = &self.model.config;
        let n_out = self.packed.outputs();
        let c = config.output_scale;
        let mut pooled = 0.0;
        for (x, out) in params
            .iter_mut()
            .zip(self.outputs.chunks_exact(n_out))
            .take(self.params)
        {
            *x += c * f64::from(out[0]);
            if n_out > 1 {
                pooled += f64::from(out[1]);
            }
        }
        pooled /= self.params.max(1) as f64;
        self.t += 1;
        self.pending = (config.variant.teleports() && config.teleport.fires(self.t))
            .then(|| config.max_log_scale * pooled.tanh());
        self.last_amount = self.pending;
    }

    fn teleport_after_step(&mut self, mlp: &Mlp, params: &mut [f64], grad: &[f64]) -> bool {
        let Some(amount) = self.pending.take() else {
            return false;
        };
        let direction = steepest_direction(mlp, grad);
        if amount == 0.0 || direction.iter().all(|d| *d == 0.0) {
            return false;
        }
        let log_scales: Vec<f64> = direction.iter().map(|d| amount * d).collect();
        rescale_in_place(mlp, params, &log_scales);
        true
    }
}
