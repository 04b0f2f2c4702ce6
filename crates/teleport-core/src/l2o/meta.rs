//! LSTM meta-optimizers: the four variants, their rollout on an optimizee and
//! the backward pass of the meta-loss through the rollout.
//!
//! The gradient fed to a network is a constant (first-order meta-gradients);
//! the meta-gradient flows exactly through the updates, the momentum and the
//! teleport `g_θ`, using its derivatives in `x` and θ.

use serde::{Deserialize, Serialize};

use super::batch::{BatchState, PackedNet};
use super::lstm::{Net, NetShape, NetState, Tape};
use super::real::Real;
use crate::objective::TeleportError;
use crate::objective::{Mat2, Objective, Vec2};
use crate::optim::{NoiseStream, Stop, Trajectory, When, record};
use crate::symmetry::{TeleportJet, try_teleport_jet};

/// The meta-optimizer variants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Variant {
    /// Algorithm 1: the head outputs the update, `x_t = x_{t−1} + Δx_t`.
    L2o,
    /// Also outputs θ_t: `x_t = g_{θ_t}(x_{t−1} + Δx_t)` on teleport steps.
    L2oTele,
    /// "LSTM(lr, tele)": outputs α_t > 0 and θ_t: `x_t = g_{θ_t}(x_{t−1} − α_t∇_t)`.
    LrTele,
    /// Algorithm 3: m1 outputs α_t, m2 outputs β_t ∈ (0, 1) and θ_t;
    /// `v_t = β_t v_{t−1} − α_t∇_t`, `x_t = g_{θ_t}(x_{t−1} + v_t)`.
    LrTeleMomentum,
}

impl Variant {
    /// All variants, in menu order.
    pub const ALL: [Self; 4] = [Self::L2o, Self::L2oTele, Self::LrTele, Self::LrTeleMomentum];

    /// The name used on the command line, in files and in the app.
    pub fn name(self) -> &'static str {
        match self {
            Self::L2o => "l2o",
            Self::L2oTele => "l2o-tele",
            Self::LrTele => "lr-tele",
            Self::LrTeleMomentum => "lr-tele-momentum",
        }
    }

    /// A legend label.
    pub fn label(self) -> &'static str {
        match self {
            Self::L2o => "L2O",
            Self::L2oTele => "L2O + teleport",
            Self::LrTele => "LSTM(lr, tele)",
            Self::LrTeleMomentum => "LSTM(lr, tele, momentum)",
        }
    }

    /// Head outputs of each network (what they mean: [`Self::head`]).
    pub fn outputs(self) -> &'static [usize] {
        match self {
            Self::L2o => &[2],
            Self::L2oTele => &[3],
            Self::LrTele => &[2],
            Self::LrTeleMomentum => &[1, 2],
        }
    }

    /// What each head output means: where the update, the learning rate,
    /// the momentum and the angle are read.
    pub fn head(self) -> Head {
        const fn m1(index: usize) -> Output {
            Output { net: 0, index }
        }
        const fn m2(index: usize) -> Output {
            Output { net: 1, index }
        }
        match self {
            Self::L2o => Head::Update {
                dx: [m1(0), m1(1)],
                angle: None,
            },
            Self::L2oTele => Head::Update {
                dx: [m1(0), m1(1)],
                angle: Some(m1(2)),
            },
            Self::LrTele => Head::Lr {
                lr: m1(0),
                angle: m1(1),
            },
            Self::LrTeleMomentum => Head::LrMomentum {
                lr: m1(0),
                momentum: m2(0),
                angle: m2(1),
            },
        }
    }

    /// Whether the variant teleports.
    pub fn teleports(self) -> bool {
        !matches!(self, Self::L2o)
    }

    /// The paper's meta learning rates, one per network.
    pub fn default_meta_lr(self) -> Vec<f64> {
        match self {
            Self::LrTeleMomentum => vec![1e-4, 1e-3],
            _ => vec![4e-4],
        }
    }
}

impl std::fmt::Display for Variant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

from_str_by_name!(Preprocess, "gradient preprocessing");

from_str_by_name!(Variant, "variant");

/// One head output: output `index` of network `net` (0 is m1, 1 is m2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Output {
    /// The network.
    pub net: usize,
    /// The output of its head.
    pub index: usize,
}

/// The most networks a variant has.
const MAX_NETS: usize = 2;

/// The most head outputs a network has.
const MAX_OUTPUTS: usize = 3;

/// Every network's head outputs of one step, `[net][index]`.
type HeadValues<V> = [[V; MAX_OUTPUTS]; MAX_NETS];

impl Output {
    /// This output's value among every network's outputs.
    fn of<V: Copy>(self, values: &HeadValues<V>) -> V {
        values[self.net][self.index]
    }
}

/// What a variant's head outputs mean ([`Variant::head`]). Angles,
/// learning rates and momenta are read before their bounds are applied:
/// `θ = max_angle·tanh(y)`, `α = max_lr·σ(y − 3)`, `β = σ(y)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Head {
    /// `l2o` and `l2o-tele`: the update `Δx_t`, and θ_t for `l2o-tele`.
    Update {
        /// `Δx_t`, x then y.
        dx: [Output; 2],
        /// θ_t, when the variant teleports.
        angle: Option<Output>,
    },
    /// `lr-tele`: α_t and θ_t.
    Lr {
        /// α_t.
        lr: Output,
        /// θ_t.
        angle: Output,
    },
    /// `lr-tele-momentum`: m1 outputs α_t, m2 outputs β_t and θ_t.
    LrMomentum {
        /// α_t.
        lr: Output,
        /// β_t.
        momentum: Output,
        /// θ_t.
        angle: Output,
    },
}

impl Head {
    /// Every output this layout reads.
    pub fn outputs(self) -> Vec<Output> {
        match self {
            Self::Update { dx, angle } => dx.into_iter().chain(angle).collect(),
            Self::Lr { lr, angle } => vec![lr, angle],
            Self::LrMomentum {
                lr,
                momentum,
                angle,
            } => vec![lr, momentum, angle],
        }
    }
}

/// How the gradient is turned into network inputs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Preprocess {
    /// The raw 2-D gradient, as in the paper.
    #[default]
    Raw,
    /// Andrychowicz et al.'s log-magnitude and sign (p = 10): four inputs.
    LogSign,
}

impl Preprocess {
    /// Both choices.
    pub const ALL: [Self; 2] = [Self::Raw, Self::LogSign];

    /// The name on the command line and in files: `raw`, `log-sign`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Raw => "raw",
            Self::LogSign => "log-sign",
        }
    }

    /// Input features per step.
    pub fn input_size(self) -> usize {
        match self {
            Self::Raw => 2,
            Self::LogSign => 4,
        }
    }

    fn apply<T: Real>(self, z: &Vec2, out: &mut [T]) {
        match self {
            Self::Raw => {
                out[0] = T::from_f64(z.x);
                out[1] = T::from_f64(z.y);
            }
            Self::LogSign => {
                for (i, &g) in z.iter().enumerate() {
                    let [a, b] = log_sign(g);
                    out[2 * i] = T::from_f64(a);
                    out[2 * i + 1] = T::from_f64(b);
                }
            }
        }
    }
}

/// `p` of Andrychowicz et al.'s gradient preprocessing ([`log_sign`]).
pub const LOG_SIGN_P: f64 = 10.0;

/// Andrychowicz et al.'s preprocessing of one gradient entry `g` into two
/// features of similar scale whatever its magnitude: `(ln|g| / p, sign g)`
/// when `|g| ≥ e^{−p}`, else `(−1, e^p · g)`, with `p` = [`LOG_SIGN_P`].
/// The first feature carries the magnitude over many orders (1e−4 and 1
/// differ by 0.9), the second the sign; below `e^{−p}` ≈ 4.5e−5 the
/// gradient is read linearly, so that 0 maps to `(−1, 0)` continuously.
#[inline]
pub fn log_sign(g: f64) -> [f64; 2] {
    const P: f64 = LOG_SIGN_P;
    if g.abs() >= (-P).exp() {
        [g.abs().ln() / P, g.signum()]
    } else {
        [-1.0, P.exp() * g]
    }
}

/// The per-step cost a meta-optimizer is trained on: the meta-loss of an
/// unroll is `Σ_t w_t ℓ(x_t)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum MetaLoss {
    /// `ℓ = f(x)`, the paper's.
    #[default]
    F,
    /// `ℓ = ‖x − x*‖²`, the squared distance to the minimizer (`h(x*) = 0`).
    Dist,
    /// `ℓ = f(x) + λ‖x − x*‖²`: the paper's discussion proposes adding the
    /// distance to the optimum "to mitigate harmful teleportation".
    FPlusDist {
        /// λ > 0.
        lambda: f64,
    },
}

impl MetaLoss {
    /// λ of `f+dist` when none is given.
    pub const DEFAULT_LAMBDA: f64 = 1.0;

    /// Whether this is the paper's loss (`f`), which files leave unsaid.
    pub fn is_f(&self) -> bool {
        matches!(self, Self::F)
    }

    /// Whether the cost needs the task's minimizer x*.
    pub fn needs_minimizer(&self) -> bool {
        !self.is_f()
    }

    /// `ℓ(x)` for a task with minimizer `star`.
    pub fn value(&self, obj: &Objective, x: &Vec2, star: &Vec2) -> f64 {
        match *self {
            Self::F => obj.f(x),
            Self::Dist => (x - star).norm_squared(),
            Self::FPlusDist { lambda } => obj.f(x) + lambda * (x - star).norm_squared(),
        }
    }

    /// `∇ℓ(x)`.
    pub fn grad(&self, obj: &Objective, x: &Vec2, star: &Vec2) -> Vec2 {
        match *self {
            Self::F => obj.grad(x),
            Self::Dist => 2.0 * (x - star),
            Self::FPlusDist { lambda } => obj.grad(x) + 2.0 * lambda * (x - star),
        }
    }
}

impl std::fmt::Display for MetaLoss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::F => f.write_str("f"),
            Self::Dist => f.write_str("dist"),
            Self::FPlusDist { lambda } => write!(f, "f+dist:{lambda}"),
        }
    }
}

/// Why a `--loss` value was refused.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum MetaLossError {
    /// Not one of the three forms.
    #[error("unknown loss `{0}`; expected f, dist, f+dist or f+dist:λ (e.g. f+dist:0.5)")]
    Unknown(String),
    /// λ is not a number, or not a positive finite one.
    #[error("λ of `{0}` must be a positive finite number")]
    Lambda(String),
}

impl std::str::FromStr for MetaLoss {
    type Err = MetaLossError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "f" => Ok(Self::F),
            "dist" => Ok(Self::Dist),
            "f+dist" => Ok(Self::FPlusDist {
                lambda: Self::DEFAULT_LAMBDA,
            }),
            other => match other.strip_prefix("f+dist:") {
                Some(l) => match l.trim().parse::<f64>() {
                    Ok(lambda) if lambda.is_finite() && lambda > 0.0 => {
                        Ok(Self::FPlusDist { lambda })
                    }
                    _ => Err(MetaLossError::Lambda(other.to_owned())),
                },
                None => Err(MetaLossError::Unknown(other.to_owned())),
            },
        }
    }
}

/// The bias added to the learning-rate head before its sigmoid, so that an
/// untrained network starts with `α ≈ 0.047·max_lr`.
pub const LR_HEAD_SHIFT: f64 = -3.0;

/// The architecture and output bounds of a meta-optimizer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    /// Which variant.
    pub variant: Variant,
    /// LSTM hidden size `H` (both cells).
    pub hidden: usize,
    /// Gradient preprocessing.
    pub preprocess: Preprocess,
    /// The steps (1-based: `x_t` is produced at step `t`) that teleport.
    pub teleport: When,
    /// Angles are `θ = max_angle · tanh(y)`, so |θ| < max_angle.
    pub max_angle: f64,
    /// Learning rates are `α = max_lr · σ(y − 3)`, so 0 < α < max_lr.
    pub max_lr: f64,
}

impl ModelConfig {
    /// The paper's configuration for a variant: `H = 100`, raw gradients,
    /// teleport at every step, |θ| < π, α < 1.
    pub fn paper(variant: Variant) -> Self {
        Self {
            variant,
            hidden: 100,
            preprocess: Preprocess::Raw,
            teleport: When::Every(1),
            max_angle: std::f64::consts::PI,
            max_lr: 1.0,
        }
    }

    /// The shape of each network.
    pub fn shapes(&self) -> Vec<NetShape> {
        self.variant
            .outputs()
            .iter()
            .map(|&output| NetShape {
                input: self.preprocess.input_size(),
                hidden: self.hidden,
                output,
            })
            .collect()
    }

    /// Checks the sizes and bounds.
    pub fn validate(&self) -> Result<(), ModelConfigError> {
        if !(1..=MAX_HIDDEN).contains(&self.hidden) {
            return Err(ModelConfigError::Hidden(self.hidden));
        }
        if !(self.max_angle.is_finite() && self.max_angle > 0.0) {
            return Err(ModelConfigError::MaxAngle(self.max_angle));
        }
        if !(self.max_lr.is_finite() && self.max_lr > 0.0) {
            return Err(ModelConfigError::MaxLr(self.max_lr));
        }
        Ok(())
    }
}

/// The largest LSTM hidden size [`ModelConfig::validate`] accepts.
pub const MAX_HIDDEN: usize = 1024;

/// Why [`ModelConfig::validate`] refused a model.
#[derive(Clone, Copy, Debug, PartialEq, thiserror::Error)]
pub enum ModelConfigError {
    /// The hidden size is 0 or above [`MAX_HIDDEN`].
    #[error("hidden size must be in 1..={MAX_HIDDEN}, got {0}")]
    Hidden(usize),
    /// `max_angle` is not a positive finite number.
    #[error("max_angle must be positive, got {0}")]
    MaxAngle(f64),
    /// `max_lr` is not a positive finite number.
    #[error("max_lr must be positive, got {0}")]
    MaxLr(f64),
}

/// A learned optimizer: one or two LSTM networks and their configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct MetaOptimizer<T> {
    config: ModelConfig,
    nets: Vec<Net<T>>,
}

/// The state of a learned optimizer on one optimizee.
#[derive(Clone, Debug, PartialEq)]
pub struct Rollout<T> {
    /// The current iterate `x_t`.
    pub x: Vec2,
    /// The velocity `v_t` (momentum variant only).
    pub v: Vec2,
    /// Steps taken so far.
    pub t: usize,
    states: Vec<NetState<T>>,
}

/// What one step did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepOutcome {
    /// The new iterate.
    pub x: Vec2,
    /// The point before the teleport (`x` when none).
    pub pre_teleport: Vec2,
    /// Whether this step teleported.
    pub teleported: bool,
    /// The angle output (0 for `l2o`).
    pub theta: f64,
    /// The learning rate output (`lr` variants).
    pub alpha: Option<f64>,
    /// The momentum output (momentum variant).
    pub beta: Option<f64>,
    /// Why the teleport could not be computed (a custom `h`: a fold, or
    /// Newton failing); `x` is then NaN.
    pub teleport_error: Option<TeleportError>,
}

/// The optimizee-level record of one step, for the backward pass.
#[derive(Clone, Copy, Debug, Default)]
struct StepRecord {
    z: Vec2,
    v_prev: Vec2,
    x: Vec2,
    raw: HeadValues<f64>,
    beta: f64,
    teleported: bool,
    dy_dx: Mat2,
    dy_dtheta: Vec2,
}

/// The activations of an unroll: per network and per optimizee step.
#[derive(Clone, Debug)]
pub struct MetaTape<T> {
    nets: Vec<Tape<T>>,
    steps: Vec<StepRecord>,
    d_outputs: Vec<Vec<[T; MAX_OUTPUTS]>>,
}

impl<T: Real> MetaTape<T> {
    /// Network `k`'s own tape.
    pub(crate) fn net(&self, k: usize) -> &Tape<T> {
        &self.nets[k]
    }

    /// Adds each network's cells' gradients ([`Tape::add_cell_grads`]) to
    /// its gradient in `grads`, after
    /// [`MetaOptimizer::backward_through_time`].
    pub(crate) fn add_cell_grads(&self, grads: &mut [Vec<T>]) {
        for (net_tape, grad) in self.nets.iter().zip(grads) {
            net_tape.add_cell_grads(grad);
        }
    }

    /// An empty tape for a meta-optimizer.
    pub fn new(model: &MetaOptimizer<T>) -> Self {
        Self {
            nets: model.nets.iter().map(|n| Tape::new(n.shape())).collect(),
            steps: Vec::new(),
            d_outputs: vec![Vec::new(); model.nets.len()],
        }
    }

    /// Forgets the recorded steps.
    pub fn clear(&mut self) {
        self.nets.iter_mut().for_each(Tape::clear);
        self.steps.clear();
    }

    /// The gradients `z_s` the networks read at each recorded step.
    pub fn gradients(&self) -> impl Iterator<Item = Vec2> + '_ {
        self.steps.iter().map(|s| s.z)
    }

    /// The recorded iterates `x_s`.
    pub fn iterates(&self) -> impl Iterator<Item = Vec2> + '_ {
        self.steps.iter().map(|s| s.x)
    }

    /// The number of recorded steps.
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// Whether nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

#[inline]
fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

impl<T: Real> MetaOptimizer<T> {
    /// A freshly initialised meta-optimizer (PyTorch's default initialisation).
    pub fn init(config: ModelConfig, seed: u64) -> Self {
        let mut rng = crate::rng(seed);
        let nets = config
            .shapes()
            .into_iter()
            .map(|s| Net::init(s, &mut rng))
            .collect();
        Self { config, nets }
    }

    /// A meta-optimizer from networks; `None` if they do not fit the config.
    pub fn from_nets(config: ModelConfig, nets: Vec<Net<T>>) -> Option<Self> {
        let shapes = config.shapes();
        let fits =
            shapes.len() == nets.len() && shapes.iter().zip(&nets).all(|(s, n)| *s == n.shape());
        fits.then_some(Self { config, nets })
    }

    /// The configuration.
    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// The variant.
    pub fn variant(&self) -> Variant {
        self.config.variant
    }

    /// The networks.
    pub fn nets(&self) -> &[Net<T>] {
        &self.nets
    }

    /// The networks, mutably.
    pub fn nets_mut(&mut self) -> &mut [Net<T>] {
        &mut self.nets
    }

    /// A copy in another scalar type.
    pub fn cast<U: Real>(&self) -> MetaOptimizer<U> {
        MetaOptimizer {
            config: self.config.clone(),
            nets: self.nets.iter().map(Net::cast).collect(),
        }
    }

    /// A rollout starting at `x0` with zero states.
    pub fn start(&self, x0: Vec2) -> Rollout<T> {
        Rollout {
            x: x0,
            v: Vec2::zeros(),
            t: 0,
            states: self
                .nets
                .iter()
                .map(|n| NetState::zeros(n.shape().hidden))
                .collect(),
        }
    }

    /// One optimizee step; records it on `tape` when given.
    pub fn step(
        &self,
        obj: &Objective,
        roll: &mut Rollout<T>,
        tape: Option<&mut MetaTape<T>>,
    ) -> StepOutcome {
        let z = obj.grad(&roll.x);
        self.step_with_gradient(obj, roll, z, tape)
    }

    /// One step that reads the given gradient `z` instead of `∇f(x)`. The
    /// meta-gradient treats `z` as a constant, so replaying recorded
    /// gradients makes finite differences comparable with it.
    pub fn step_with_gradient(
        &self,
        obj: &Objective,
        roll: &mut Rollout<T>,
        z: Vec2,
        tape: Option<&mut MetaTape<T>>,
    ) -> StepOutcome {
        let mut input = [T::ZERO; 4];
        let n_in = self.config.preprocess.input_size();
        self.config.preprocess.apply(&z, &mut input[..n_in]);
        let mut raw: HeadValues<f64> = [[0.0; MAX_OUTPUTS]; MAX_NETS];
        let mut tape = tape;
        for (k, net) in self.nets.iter().enumerate() {
            let n_out = net.shape().output;
            let mut out = [T::ZERO; MAX_OUTPUTS];
            let net_tape = tape.as_deref_mut().map(|t| &mut t.nets[k]);
            net.step(
                &input[..n_in],
                &mut roll.states[k],
                &mut out[..n_out],
                net_tape,
            );
            for i in 0..n_out {
                raw[k][i] = out[i].to_f64();
            }
        }
        let t = roll.t + 1;
        let (outcome, rec) = self.apply_head(obj, roll.x, &mut roll.v, t, z, &raw);
        if let Some(tape) = tape {
            tape.steps.push(rec);
        }
        roll.x = outcome.x;
        roll.t = t;
        outcome
    }

    /// The optimizee side of step `t` (counted from 1): the update and the
    /// teleport that the head outputs `raw` ask for at `x` with gradient
    /// `z`; updates the velocity `v`.
    fn apply_head(
        &self,
        obj: &Objective,
        x: Vec2,
        v: &mut Vec2,
        t: usize,
        z: Vec2,
        raw: &HeadValues<f64>,
    ) -> (StepOutcome, StepRecord) {
        let teleported = self.config.variant.teleports() && self.config.teleport.fires(t);
        let angle = |y: f64| self.config.max_angle * y.tanh();
        let lr = |y: f64| self.config.max_lr * sigmoid(y + LR_HEAD_SHIFT);
        let v_prev = *v;
        let (pre, theta, alpha, beta) = match self.config.variant.head() {
            Head::Update { dx, angle: th } => (
                x + Vec2::new(dx[0].of(raw), dx[1].of(raw)),
                th.map_or(0.0, |th| angle(th.of(raw))),
                None,
                None,
            ),
            Head::Lr { lr: al, angle: th } => {
                let a = lr(al.of(raw));
                (x - a * z, angle(th.of(raw)), Some(a), None)
            }
            Head::LrMomentum {
                lr: al,
                momentum: be,
                angle: th,
            } => {
                let a = lr(al.of(raw));
                let b = sigmoid(be.of(raw));
                *v = b * v_prev - a * z;
                (x + *v, angle(th.of(raw)), Some(a), Some(b))
            }
        };
        let mut teleport_error = None;
        let (x, dy_dx, dy_dtheta) = if teleported {
            let jet = try_teleport_jet(obj, &pre, theta).unwrap_or_else(|e| {
                teleport_error = Some(e);
                TeleportJet::nan()
            });
            (jet.y, jet.dy_dx, jet.dy_dtheta)
        } else {
            (pre, Mat2::identity(), Vec2::zeros())
        };
        let rec = StepRecord {
            z,
            v_prev,
            x,
            raw: *raw,
            beta: beta.unwrap_or(0.0),
            teleported,
            dy_dx,
            dy_dtheta,
        };
        let outcome = StepOutcome {
            x,
            pre_teleport: pre,
            teleported,
            theta: if teleported { theta } else { 0.0 },
            alpha,
            beta,
            teleport_error,
        };
        (outcome, rec)
    }

    /// The meta-loss `Σ_s w_s f(x_s)` of the recorded unroll.
    pub fn loss(&self, obj: &Objective, tape: &MetaTape<T>, weights: &[f64]) -> f64 {
        self.loss_with(obj, tape, weights, &MetaLoss::F, Vec2::zeros())
    }

    /// The meta-loss `Σ_s w_s ℓ(x_s)` of the recorded unroll, with `ℓ` the
    /// per-step cost of `kind` and `star` the task's minimizer x* (read
    /// only by the distance costs).
    pub fn loss_with(
        &self,
        obj: &Objective,
        tape: &MetaTape<T>,
        weights: &[f64],
        kind: &MetaLoss,
        star: Vec2,
    ) -> f64 {
        tape.steps
            .iter()
            .zip(weights)
            .map(|(s, w)| w * kind.value(obj, &s.x, &star))
            .sum()
    }

    /// Adds `∂(Σ_s w_s f(x_s))/∂φ` of the recorded unroll to `grads` (one
    /// vector per network). The unroll's start (x, v, LSTM states) is a
    /// constant.
    pub fn backward(
        &self,
        obj: &Objective,
        tape: &mut MetaTape<T>,
        weights: &[f64],
        grads: &mut [Vec<T>],
    ) {
        self.backward_with(obj, tape, weights, &MetaLoss::F, Vec2::zeros(), grads);
    }

    /// [`Self::backward`] of the meta-loss of [`Self::loss_with`].
    pub fn backward_with(
        &self,
        obj: &Objective,
        tape: &mut MetaTape<T>,
        weights: &[f64],
        kind: &MetaLoss,
        star: Vec2,
        grads: &mut [Vec<T>],
    ) {
        self.backward_through_time(obj, tape, weights, kind, star, grads);
        tape.add_cell_grads(grads);
    }

    /// [`Self::backward_with`] up to the cells' gradients: adds the heads'
    /// gradients to `grads` and leaves on each network's tape what its
    /// cells' gradients are made of ([`MetaTape::net`]).
    pub(crate) fn backward_through_time(
        &self,
        obj: &Objective,
        tape: &mut MetaTape<T>,
        weights: &[f64],
        kind: &MetaLoss,
        star: Vec2,
        grads: &mut [Vec<T>],
    ) {
        let n = tape.steps.len();
        for d in tape.d_outputs.iter_mut() {
            d.clear();
            d.resize(n, [T::ZERO; MAX_OUTPUTS]);
        }
        let head = self.config.variant.head();
        let max_angle = self.config.max_angle;
        let max_lr = self.config.max_lr;
        // Adjoints of x_s and v_s coming from later steps.
        let mut dx = Vec2::zeros();
        let mut dv = Vec2::zeros();
        for s in (0..n).rev() {
            let rec = tape.steps[s];
            dx += weights.get(s).copied().unwrap_or(0.0) * kind.grad(obj, &rec.x, &star);
            let (dpre, dtheta) = if rec.teleported {
                (rec.dy_dx.tr_mul(&dx), rec.dy_dtheta.dot(&dx))
            } else {
                (dx, 0.0)
            };
            let d_raw_angle = |raw: f64| {
                let th = raw.tanh();
                dtheta * max_angle * (1.0 - th * th)
            };
            let d_raw_lr = |raw: f64, dalpha: f64| {
                let sg = sigmoid(raw + LR_HEAD_SHIFT);
                dalpha * max_lr * sg * (1.0 - sg)
            };
            // The adjoint of each head output read at step s.
            let d_outputs = &mut tape.d_outputs;
            let mut set = |o: Output, d: f64| d_outputs[o.net][s][o.index] = T::from_f64(d);
            match head {
                Head::Update { dx, angle } => {
                    set(dx[0], dpre.x);
                    set(dx[1], dpre.y);
                    if let Some(th) = angle {
                        set(th, d_raw_angle(th.of(&rec.raw)));
                    }
                }
                Head::Lr { lr, angle } => {
                    let dalpha = -rec.z.dot(&dpre);
                    set(lr, d_raw_lr(lr.of(&rec.raw), dalpha));
                    set(angle, d_raw_angle(angle.of(&rec.raw)));
                }
                Head::LrMomentum {
                    lr,
                    momentum,
                    angle,
                } => {
                    let dv_total = dpre + dv;
                    let dalpha = -rec.z.dot(&dv_total);
                    let dbeta = rec.v_prev.dot(&dv_total);
                    set(lr, d_raw_lr(lr.of(&rec.raw), dalpha));
                    let sb = rec.beta;
                    set(momentum, dbeta * sb * (1.0 - sb));
                    set(angle, d_raw_angle(angle.of(&rec.raw)));
                    dv = rec.beta * dv_total;
                }
            }
            // x_s = g(x_{s−1} + update): the update's input gradient is a constant.
            dx = dpre;
        }
        for (k, net) in self.nets.iter().enumerate() {
            let d = &tape.d_outputs[k];
            net.backward_through_time(&mut tape.nets[k], &mut grads[k], |s, out| {
                let n_out = out.len();
                out.copy_from_slice(&d[s][..n_out]);
            });
        }
    }

    /// Runs `steps` steps from `x0` and records the trajectory, stopping at
    /// the first non-finite iterate.
    pub fn trajectory(&self, obj: &Objective, x0: Vec2, steps: usize) -> Trajectory {
        self.trajectory_with_teleports(obj, x0, steps, &[])
    }

    /// [`Self::trajectory`] with extra teleports `(t, θ)` applied by hand to
    /// `x_t` right after step `t` (at `t = 0`, to `x0`); the LSTM states carry on.
    pub fn trajectory_with_teleports(
        &self,
        obj: &Objective,
        x0: Vec2,
        steps: usize,
        manual: &[(usize, f64)],
    ) -> Trajectory {
        self.trajectory_noisy(obj, x0, steps, manual, NoiseStream::none())
    }

    /// [`Self::trajectory_with_teleports`] with gradient noise: the networks
    /// read `z_t = ∇f(x_{t−1}) + σξ_t`, one draw of `noise` per step, and
    /// the `lr` variants step along that same `z_t`; teleports and the
    /// records (`f`, the true `∇f`) are exact. The silent stream gives
    /// [`Self::trajectory_with_teleports`] bit for bit.
    pub fn trajectory_noisy(
        &self,
        obj: &Objective,
        x0: Vec2,
        steps: usize,
        manual: &[(usize, f64)],
        mut noise: NoiseStream,
    ) -> Trajectory {
        self.run_observed(obj, x0, steps, manual, &mut noise, |_, _, _| {})
    }

    /// What the networks said at step `t ≥ 1` of
    /// [`Self::trajectory_with_teleports`]: the step's outputs and every
    /// cell's hidden state after it. `None` for `t = 0` or when the run
    /// stopped before step `t`.
    pub fn probe(
        &self,
        obj: &Objective,
        x0: Vec2,
        manual: &[(usize, f64)],
        t: usize,
    ) -> Option<Probe> {
        self.probe_noisy(obj, x0, manual, t, NoiseStream::none())
    }

    /// [`Self::probe`] of the run [`Self::trajectory_noisy`] makes with
    /// `noise`.
    pub fn probe_noisy(
        &self,
        obj: &Objective,
        x0: Vec2,
        manual: &[(usize, f64)],
        t: usize,
        mut noise: NoiseStream,
    ) -> Option<Probe> {
        let mut probe = None;
        let run = self.run_observed(obj, x0, t, manual, &mut noise, |s, outcome, roll| {
            if s == t {
                probe = Some(Probe {
                    outcome: *outcome,
                    dx: outcome.pre_teleport - roll.0,
                    hidden: roll
                        .1
                        .states
                        .iter()
                        .map(|st| st.h.clone().map(|h| h.iter().map(|v| v.to_f64()).collect()))
                        .collect(),
                });
            }
        });
        probe.filter(|_| run.records.len() > t)
    }

    /// The loop of [`Self::trajectory_noisy`], calling `observe` after each
    /// network step `s ≥ 1` with its outcome, the iterate before it and the
    /// rollout after it.
    fn run_observed(
        &self,
        obj: &Objective,
        x0: Vec2,
        steps: usize,
        manual: &[(usize, f64)],
        noise: &mut NoiseStream,
        mut observe: impl FnMut(usize, &StepOutcome, (Vec2, &Rollout<T>)),
    ) -> Trajectory {
        let mut roll = self.start(x0);
        let mut out = Trajectory {
            records: Vec::with_capacity(steps + 1),
            stop: None,
        };
        for t in 0..=steps {
            let (mut from, mut theta) = (None, None);
            let mut failed = None;
            if t > 0 {
                let before = roll.x;
                // What `step` reads, with the step's draw of noise.
                let z = noise.perturb(obj.grad(&roll.x));
                let o = self.step_with_gradient(obj, &mut roll, z, None);
                observe(t, &o, (before, &roll));
                if o.teleported {
                    from = Some(o.pre_teleport);
                    theta = Some(o.theta);
                }
                failed = o.teleport_error;
            }
            for &(_, angle) in manual.iter().filter(|(step, _)| *step == t) {
                if failed.is_some() {
                    break;
                }
                match crate::symmetry::try_teleport(obj, &roll.x, angle) {
                    Ok(y) => {
                        from = from.or(Some(roll.x));
                        roll.x = y;
                        theta = Some(angle);
                    }
                    Err(e) => failed = Some(e),
                }
            }
            if let Some(e) = failed {
                out.stop = Some(Stop::Failed {
                    step: t,
                    message: e.to_string(),
                });
                break;
            }
            match record(obj, t, &roll.x, from, theta) {
                Some(rec) => out.records.push(rec),
                None => {
                    out.stop = Some(Stop::Diverged { step: t });
                    break;
                }
            }
        }
        out
    }
}

/// One step of a learned optimizer seen from inside ([`MetaOptimizer::probe`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Probe {
    /// What the step did: θ, α, β as the head gave them.
    pub outcome: StepOutcome,
    /// The local move before any teleport, `x_pre − x_{t−1}` (the head's
    /// update for `l2o`, `−α∇f` or the momentum step for the `lr` variants).
    pub dx: Vec2,
    /// Per network, the hidden state `h` of cell 0 and of cell 1 after the
    /// step (each in (−1, 1)).
    pub hidden: Vec<[Vec<f64>; 2]>,
}

/// One learned optimizer run on many optimizees at once (basin maps): the
/// networks step as one batch ([`PackedNet`], matrix–matrix products), and
/// each optimizee's update and teleport are [`MetaOptimizer::step`]'s. The
/// numbers agree with single rollouts to `f32` round-off in the networks.
#[derive(Clone, Debug)]
pub struct BatchRunner<'a> {
    model: &'a MetaOptimizer<f32>,
    nets: Vec<PackedNet>,
}

/// The state of a batch of rollouts ([`BatchRunner::start`]).
#[derive(Clone, Debug)]
pub struct BatchRollout {
    /// The current iterates.
    pub x: Vec<Vec2>,
    v: Vec<Vec2>,
    t: usize,
    states: Vec<BatchState>,
    inputs: Vec<f32>,
    outputs: Vec<Vec<f32>>,
}

impl<'a> BatchRunner<'a> {
    /// Packs the model's weights for batches.
    pub fn new(model: &'a MetaOptimizer<f32>) -> Self {
        Self {
            model,
            nets: model.nets.iter().map(PackedNet::new).collect(),
        }
    }

    /// Rollouts starting at each of `x0` with zero states.
    pub fn start(&self, x0: &[Vec2]) -> BatchRollout {
        let states: Vec<BatchState> = self.nets.iter().map(|n| n.zeros(x0.len())).collect();
        let padded = states.first().map_or(0, BatchState::len);
        BatchRollout {
            x: x0.to_vec(),
            v: vec![Vec2::zeros(); x0.len()],
            t: 0,
            inputs: vec![0.0; padded * self.model.config.preprocess.input_size()],
            outputs: self
                .nets
                .iter()
                .map(|n| vec![0.0; padded * n.outputs()])
                .collect(),
            states,
        }
    }

    /// One step of every rollout, optimizee `i` reading the gradient
    /// `z[i]`; `out` receives what each step did. Pass a zero gradient for
    /// a rollout that has stopped (its numbers no longer matter).
    pub fn step(
        &self,
        obj: &Objective,
        roll: &mut BatchRollout,
        z: &[Vec2],
        out: &mut Vec<StepOutcome>,
    ) {
        let pre = self.model.config.preprocess;
        let n_in = pre.input_size();
        for (zi, chunk) in z.iter().zip(roll.inputs.chunks_exact_mut(n_in)) {
            pre.apply(zi, chunk);
        }
        for (k, net) in self.nets.iter().enumerate() {
            net.step(&roll.inputs, &mut roll.states[k], &mut roll.outputs[k]);
        }
        let t = roll.t + 1;
        out.clear();
        for (i, (&zi, (x, v))) in z.iter().zip(roll.x.iter_mut().zip(&mut roll.v)).enumerate() {
            let mut raw: HeadValues<f64> = [[0.0; MAX_OUTPUTS]; MAX_NETS];
            for (k, net) in self.nets.iter().enumerate() {
                let n_out = net.outputs();
                for (r, &o) in raw[k]
                    .iter_mut()
                    .zip(&roll.outputs[k][i * n_out..(i + 1) * n_out])
                {
                    *r = f64::from(o);
                }
            }
            let (outcome, _) = self.model.apply_head(obj, *x, v, t, zi, &raw);
            *x = outcome.x;
            out.push(outcome);
        }
        roll.t = t;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each variant's head layout reads every output of every network
    /// exactly once, so it agrees with [`Variant::outputs`] (which sizes the
    /// networks and the weights files).
    #[test]
    fn head_layout_reads_every_output_once() {
        for variant in Variant::ALL {
            let mut read = variant.head().outputs();
            read.sort_by_key(|o| (o.net, o.index));
            let expected: Vec<Output> = variant
                .outputs()
                .iter()
                .enumerate()
                .flat_map(|(net, &n)| (0..n).map(move |index| Output { net, index }))
                .collect();
            assert_eq!(read, expected, "{variant}");
            assert!(variant.outputs().len() <= MAX_NETS, "{variant}");
            assert!(variant.outputs().iter().all(|&n| n <= MAX_OUTPUTS));
        }
        // The angle is read exactly by the variants that teleport.
        for variant in Variant::ALL {
            let has_angle = match variant.head() {
                Head::Update { angle, .. } => angle.is_some(),
                Head::Lr { .. } | Head::LrMomentum { .. } => true,
            };
            assert_eq!(has_angle, variant.teleports(), "{variant}");
        }
    }

    #[test]
    fn loss_names_parse_and_bad_ones_say_what_is_expected() {
        let parse = |s: &str| s.parse::<MetaLoss>();
        assert_eq!(parse("f"), Ok(MetaLoss::F));
        assert_eq!(parse("dist"), Ok(MetaLoss::Dist));
        assert_eq!(parse("f+dist"), Ok(MetaLoss::FPlusDist { lambda: 1.0 }));
        assert_eq!(
            parse("f+dist:0.25"),
            Ok(MetaLoss::FPlusDist { lambda: 0.25 })
        );
        for bad in [
            "f+dist:0",
            "f+dist:-1",
            "f+dist:nan",
            "f+dist:inf",
            "f+dist:x",
        ] {
            assert!(matches!(parse(bad), Err(MetaLossError::Lambda(_))), "{bad}");
        }
        let e = parse("distance").unwrap_err().to_string();
        assert!(e.contains("`distance`") && e.contains("f+dist:λ"), "{e}");
        // Display round-trips.
        for l in [
            MetaLoss::F,
            MetaLoss::Dist,
            MetaLoss::FPlusDist { lambda: 0.5 },
        ] {
            assert_eq!(parse(&l.to_string()), Ok(l));
        }
    }
}
