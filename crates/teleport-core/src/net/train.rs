//! Meta-training of the coordinate-wise optimizers ([`super::learned`]) on
//! a distribution of network tasks: Algorithm 1 with truncated
//! back-propagation through time.
//!
//! For each of `R` trajectories a task is drawn ([`NetTaskDist`]: a data
//! kind, a data seed, a noise level and an init seed; the architecture is
//! fixed per training run); the optimizer runs `N` steps from the task's
//! initial parameters; every `T` steps the meta-loss `Σ_t w_t f(θ_t)` of
//! the last `T` steps (`w_t = 1/T`) is back-propagated
//! ([`CwModel::backward`]: the gradients the LSTM reads and the teleport
//! directions are constants, first order) and Adam updates the LSTM. The
//! parameters and the LSTM states carry over unroll boundaries as
//! constants (detached), as in the 2D trainer ([`crate::l2o::train`]),
//! whose [`Progress`] and [`Control`] this trainer shares
//! ([`crate::l2o::train::MetaTrain`]).

use std::sync::Arc;

use rand::RngExt as _;
use serde::{Deserialize, Serialize};

use super::data::{DatasetSpec, Generator, MAX_NOISE, MAX_POINTS, MIN_POINTS};
use super::learned::{CwConfig, CwConfigError, CwModel, CwOptimizer, CwRollout, CwTape};
use super::mlp::{ActivationName, Mlp, Workspace};
use super::run::{ParamOptimizer, run_with};
use super::task::{DEFAULT_SLOPE, MlpSpec, NetTask};
use crate::l2o::real::all_finite;
use crate::l2o::train::{Adam, Control, MetaTrain, Progress};
use crate::optim::{OptimizerSpec, VecOptimizer};

/// The data kinds trained on by default: every generator but `spirals`,
/// which a 2-16-1 network does not fit in a hundred steps (its loss
/// barely moves, so it would teach the optimizer little but noise).
pub const DEFAULT_KINDS: [Generator; 4] = [
    Generator::Moons,
    Generator::Circles,
    Generator::Xor,
    Generator::Gaussians,
];

/// A distribution of network tasks: the architecture is fixed, the data
/// and the start are drawn.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetTaskDist {
    /// The data kinds, drawn uniformly.
    pub kinds: Vec<Generator>,
    /// Points per dataset.
    pub points: usize,
    /// Each dataset's noise is its kind's default noise
    /// ([`Generator::default_noise`]) times a factor drawn uniformly from
    /// `[noise_factor[0], noise_factor[1]]`.
    pub noise_factor: [f64; 2],
    /// The hidden layers' widths.
    pub hidden: Vec<usize>,
    /// The hidden units' activation.
    pub activation: ActivationName,
    /// LeakyReLU's slope (absent for ReLU).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slope: Option<f64>,
}

impl Default for NetTaskDist {
    /// Moons, circles, XOR and Gaussians of 200 points, noise ½–1½ times
    /// the default, a 2-16-1 LeakyReLU(0.1) network.
    fn default() -> Self {
        Self {
            kinds: DEFAULT_KINDS.to_vec(),
            points: 200,
            noise_factor: [0.5, 1.5],
            hidden: vec![16],
            activation: ActivationName::LeakyRelu,
            slope: Some(DEFAULT_SLOPE),
        }
    }
}

/// Why a task distribution or training configuration was refused.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum NetTrainConfigError {
    /// No data kind to draw from.
    #[error("`kinds` is empty: the task distribution needs at least one data kind")]
    NoKinds,
    /// `points` out of range.
    #[error("`points` must be {MIN_POINTS} to {MAX_POINTS}, got {0}")]
    Points(usize),
    /// The noise factors are not `0 ≤ lo ≤ hi` with `hi · noise` in range.
    #[error(
        "`noise_factor` must be [lo, hi] with 0 ≤ lo ≤ hi and every noise at most {MAX_NOISE}, got [{0}, {1}]"
    )]
    Noise(f64, f64),
    /// The architecture is refused.
    #[error("the task distribution's network: {0}")]
    Network(String),
    /// `R = 0`.
    #[error("trajectories R is 0: training would see no task and make no meta-update")]
    NoTrajectories,
    /// `N = 0`.
    #[error("steps N is 0: trajectories would take no step to learn from")]
    NoSteps,
    /// `T = 0` or `T > N`.
    #[error("unroll T must be 1 to steps N = {steps}, got {unroll}")]
    Unroll {
        /// `T`.
        unroll: usize,
        /// `N`.
        steps: usize,
    },
    /// The meta learning rate is not in (0, 1).
    #[error("meta learning rate must be in (0, 1), got {0}")]
    MetaLr(f64),
    /// The clip norm is not a positive finite number.
    #[error("clip must be a positive number, got {0}")]
    Clip(f64),
    /// Steps or trajectories above their limits.
    #[error("steps ≤ 100000 and trajectories ≤ 10000000")]
    TooLarge,
}

impl NetTaskDist {
    /// Checks the distribution: kinds, points, noise and architecture.
    pub fn validate(&self) -> Result<(), NetTrainConfigError> {
        if self.kinds.is_empty() {
            return Err(NetTrainConfigError::NoKinds);
        }
        if !(MIN_POINTS..=MAX_POINTS).contains(&self.points) {
            return Err(NetTrainConfigError::Points(self.points));
        }
        let [lo, hi] = self.noise_factor;
        let largest = self
            .kinds
            .iter()
            .map(|k| k.default_noise())
            .fold(0.0, f64::max);
        if !(lo.is_finite() && hi.is_finite() && 0.0 <= lo && lo <= hi && hi * largest <= MAX_NOISE)
        {
            return Err(NetTrainConfigError::Noise(lo, hi));
        }
        self.spec(self.kinds[0], 0.0, 0, 0)
            .mlp()
            .map_err(|e| NetTrainConfigError::Network(e.to_string()))?;
        Ok(())
    }

    /// The network every task of the distribution trains.
    pub fn mlp(&self) -> Result<Mlp, NetTrainConfigError> {
        self.spec(
            self.kinds.first().copied().unwrap_or(Generator::Moons),
            0.0,
            0,
            0,
        )
        .mlp()
        .map_err(|e| NetTrainConfigError::Network(e.to_string()))
    }

    fn spec(&self, kind: Generator, noise: f64, data_seed: u64, init_seed: u64) -> MlpSpec {
        MlpSpec {
            dataset: DatasetSpec::generated(kind, self.points, noise, data_seed),
            hidden: self.hidden.clone(),
            activation: self.activation,
            slope: self.slope,
            init_seed,
        }
    }

    /// One task as a lab file writes it: a kind, a noise, a data seed and
    /// an init seed drawn from `rng`.
    pub fn sample_spec(&self, rng: &mut crate::Rng) -> MlpSpec {
        let kind = match self.kinds.len() {
            0 => Generator::Moons,
            n => self.kinds[rng.random_range(0..n)],
        };
        let [lo, hi] = self.noise_factor;
        let factor = if hi > lo {
            rng.random_range(lo..hi)
        } else {
            lo
        };
        let data_seed = rng.random::<u64>();
        let init_seed = rng.random::<u64>();
        self.spec(kind, kind.default_noise() * factor, data_seed, init_seed)
    }

    /// `n` tasks drawn from `seed`, as specs.
    pub fn sample_specs(&self, seed: u64, n: usize) -> Vec<MlpSpec> {
        let mut rng = crate::rng(seed);
        (0..n).map(|_| self.sample_spec(&mut rng)).collect()
    }

    /// `n` tasks drawn from `seed`, built; a task that cannot be built (a
    /// distribution that [`Self::validate`] refuses) is left out.
    pub fn sample_many(&self, seed: u64, n: usize) -> Vec<NetTask> {
        self.sample_specs(seed, n)
            .iter()
            .filter_map(|s| s.build(None).ok())
            .collect()
    }

    /// A short description, e.g. `moons/circles/xor/gaussians, 200 points,
    /// noise ×0.5–1.5, 2-16-1 leaky_relu(0.1)`.
    pub fn describe(&self) -> String {
        let kinds: Vec<&str> = self.kinds.iter().map(|k| k.name()).collect();
        let shape = self.mlp().map_or_else(|_| "?".to_owned(), |m| m.shape());
        let activation = match (self.activation, self.slope) {
            (ActivationName::Relu, _) => "relu".to_owned(),
            (ActivationName::LeakyRelu, s) => {
                format!("leaky_relu({})", s.unwrap_or(DEFAULT_SLOPE))
            }
        };
        format!(
            "{}, {} points, noise ×{}–{}, {shape} {activation}",
            kinds.join("/"),
            self.points,
            self.noise_factor[0],
            self.noise_factor[1]
        )
    }
}

/// Meta-training settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetTrainConfig {
    /// The task distribution.
    pub dist: NetTaskDist,
    /// `R`: trajectories (tasks) to train on.
    pub trajectories: usize,
    /// `N`: optimizer steps per trajectory.
    pub steps: usize,
    /// `T`: a meta-update every `T` steps.
    pub unroll: usize,
    /// Adam's learning rate on the LSTM's weights.
    pub meta_lr: f64,
    /// Clip the meta-gradient's norm to this value.
    pub clip: Option<f64>,
    /// The seed of the initial weights and of the tasks.
    pub seed: u64,
}

/// `R` of the default configuration.
pub const DEFAULT_TRAJECTORIES: usize = 1000;
/// `N` of the default configuration: the horizon the optimizer learns.
pub const DEFAULT_STEPS: usize = 100;
/// `T` of the default configuration (Andrychowicz et al.'s 20).
pub const DEFAULT_UNROLL: usize = 20;
/// Adam's learning rate of the default configuration.
pub const DEFAULT_META_LR: f64 = 3e-3;
/// The meta-gradient clip of the default configuration.
pub const DEFAULT_CLIP: f64 = 1.0;

impl NetTrainConfig {
    /// The default configuration with this seed: the default task
    /// distribution, `R` = [`DEFAULT_TRAJECTORIES`], `N` =
    /// [`DEFAULT_STEPS`], `T` = [`DEFAULT_UNROLL`], Adam
    /// [`DEFAULT_META_LR`], clip [`DEFAULT_CLIP`].
    pub fn new(seed: u64) -> Self {
        Self {
            dist: NetTaskDist::default(),
            trajectories: DEFAULT_TRAJECTORIES,
            steps: DEFAULT_STEPS,
            unroll: DEFAULT_UNROLL,
            meta_lr: DEFAULT_META_LR,
            clip: Some(DEFAULT_CLIP),
            seed,
        }
    }

    /// Checks the settings.
    pub fn validate(&self) -> Result<(), NetTrainConfigError> {
        self.dist.validate()?;
        if self.trajectories == 0 {
            return Err(NetTrainConfigError::NoTrajectories);
        }
        if self.steps == 0 {
            return Err(NetTrainConfigError::NoSteps);
        }
        if !(1..=self.steps).contains(&self.unroll) {
            return Err(NetTrainConfigError::Unroll {
                unroll: self.unroll,
                steps: self.steps,
            });
        }
        if self.steps > 100_000 || self.trajectories > 10_000_000 {
            return Err(NetTrainConfigError::TooLarge);
        }
        if !(self.meta_lr.is_finite() && self.meta_lr > 0.0 && self.meta_lr < 1.0) {
            return Err(NetTrainConfigError::MetaLr(self.meta_lr));
        }
        if let Some(c) = self.clip
            && !(c.is_finite() && c > 0.0)
        {
            return Err(NetTrainConfigError::Clip(c));
        }
        Ok(())
    }
}

/// Why a [`NetTrainer`] could not start.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum NetTrainError {
    /// The optimizer's configuration is invalid.
    #[error(transparent)]
    Model(#[from] CwConfigError),
    /// The training settings are invalid.
    #[error(transparent)]
    Config(#[from] NetTrainConfigError),
}

/// Seed offset that separates the task stream from the weight
/// initialisation (the 2D trainer's).
const TASK_STREAM: u64 = 0x9E37_79B9_7F4A_7C15;

/// A meta-trainer of a coordinate-wise optimizer.
#[derive(Debug)]
pub struct NetTrainer {
    model: CwModel<f32>,
    config: NetTrainConfig,
    adam: Adam,
    grad: Vec<f32>,
    rng: crate::Rng,
    tape: CwTape<f32>,
    weights: Vec<f64>,
    ws: Workspace,
    progress: Progress,
}

impl NetTrainer {
    /// A trainer for a fresh model, its LSTM initialised from
    /// `config.seed`.
    pub fn new(model: CwConfig, config: NetTrainConfig) -> Result<Self, NetTrainError> {
        model.validate()?;
        config.validate()?;
        let init = CwModel::init(model, config.seed);
        Self::resume(init, config)
    }

    /// A trainer that continues from existing weights (Adam starts afresh).
    pub fn resume(model: CwModel<f32>, config: NetTrainConfig) -> Result<Self, NetTrainError> {
        model.config().validate()?;
        config.validate()?;
        let mlp = config.dist.mlp()?;
        let n = model.net().params().len();
        Ok(Self {
            adam: Adam::new(config.meta_lr, n),
            grad: vec![0.0; n],
            rng: crate::rng(config.seed ^ TASK_STREAM),
            tape: CwTape::new(&model, mlp.num_params()),
            weights: vec![1.0 / config.unroll as f64; config.unroll],
            ws: mlp.workspace(),
            progress: Progress {
                trajectories_total: config.trajectories,
                ..Progress::default()
            },
            model,
            config,
        })
    }

    /// The model being trained.
    pub fn model(&self) -> &CwModel<f32> {
        &self.model
    }

    /// Consumes the trainer, returning the model.
    pub fn into_model(self) -> CwModel<f32> {
        self.model
    }

    /// The settings.
    pub fn config(&self) -> &NetTrainConfig {
        &self.config
    }

    /// Progress so far.
    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    /// Whether all trajectories are done.
    pub fn finished(&self) -> bool {
        self.progress.trajectories_done >= self.config.trajectories
    }

    /// What a weights file of the model so far records besides the
    /// tensors ([`crate::io::net_weights::save`]).
    pub fn weights_info(&self) -> crate::io::net_weights::NetWeightsInfo {
        crate::io::net_weights::NetWeightsInfo {
            train: Some(self.config.clone()),
            trajectories_trained: self.progress.trajectories_done,
        }
    }

    /// Trains on the next trajectory, calling `control` after every
    /// meta-update; its mean unroll loss goes to [`Progress::last_loss`]
    /// and [`Progress::loss_history`]. Returns [`Control::Stop`] when
    /// `control` said stop or no trajectory was left.
    pub fn train_batch(
        &mut self,
        control: &mut dyn FnMut(&Progress, &CwModel<f32>) -> Control,
    ) -> Control {
        if self.finished() {
            return Control::Stop;
        }
        let spec = self.config.dist.sample_spec(&mut self.rng);
        // A validated distribution always builds; a task that does not
        // is counted as done without a meta-update.
        let Ok(task) = spec.build(None) else {
            self.progress.trajectories_done += 1;
            self.progress.last_loss = f64::NAN;
            self.progress.loss_history.push(f64::NAN);
            return Control::Continue;
        };
        let mut roll = self.model.start(&task, &mut self.ws);
        let (mut loss_sum, mut loss_count) = (0.0, 0usize);
        let mut decision = Control::Continue;
        let mut t = 0;
        while t < self.config.steps {
            let len = self.config.unroll.min(self.config.steps - t);
            if len < self.config.unroll {
                // As Algorithm 1: a last partial unroll makes no update.
                for _ in 0..len {
                    self.model.step(&task, &mut self.ws, &mut roll, None);
                }
                break;
            }
            self.tape.clear();
            for _ in 0..len {
                self.model
                    .step(&task, &mut self.ws, &mut roll, Some(&mut self.tape));
            }
            let loss = self.model.loss(&self.tape, &self.weights);
            self.model
                .backward(&task.mlp, &mut self.tape, &self.weights, &mut self.grad);
            t += len;
            self.apply_update(loss);
            if loss.is_finite() {
                loss_sum += loss;
                loss_count += 1;
            }
            if !rollout_finite(&roll) {
                roll = self.model.start(&task, &mut self.ws);
            }
            if control(&self.progress, &self.model) == Control::Stop {
                decision = Control::Stop;
                break;
            }
        }
        self.progress.trajectories_done += 1;
        let mean = if loss_count > 0 {
            loss_sum / loss_count as f64
        } else {
            f64::NAN
        };
        self.progress.last_loss = mean;
        self.progress.loss_history.push(mean);
        decision
    }

    fn apply_update(&mut self, loss: f64) {
        if !(loss.is_finite() && all_finite(&self.grad)) {
            self.progress.skipped_nonfinite += 1;
            self.grad.fill(0.0);
            return;
        }
        if let Some(clip) = self.config.clip {
            let norm = self
                .grad
                .iter()
                .map(|v| f64::from(*v).powi(2))
                .sum::<f64>()
                .sqrt();
            if norm > clip {
                let factor = (clip / norm) as f32;
                self.grad.iter_mut().for_each(|v| *v *= factor);
            }
        }
        // Adam leaves the gradient zero for the next unroll.
        self.adam
            .update(self.model.net_mut().params_mut(), &mut self.grad);
        self.progress.meta_updates += 1;
    }

    /// Trains until all trajectories are done or `control` says stop.
    pub fn run(&mut self, mut control: impl FnMut(&Progress, &CwModel<f32>) -> Control) {
        while !self.finished() {
            if self.train_batch(&mut control) == Control::Stop {
                break;
            }
        }
    }
}

impl MetaTrain for NetTrainer {
    type Model = CwModel<f32>;

    fn progress(&self) -> &Progress {
        NetTrainer::progress(self)
    }

    fn finished(&self) -> bool {
        NetTrainer::finished(self)
    }

    fn model(&self) -> &CwModel<f32> {
        NetTrainer::model(self)
    }

    fn train_batch(
        &mut self,
        control: &mut dyn FnMut(&Progress, &CwModel<f32>) -> Control,
    ) -> Control {
        NetTrainer::train_batch(self, control)
    }

    fn model_is_finite(model: &CwModel<f32>) -> bool {
        model.is_finite()
    }
}

fn rollout_finite<T>(roll: &CwRollout<T>) -> bool {
    roll.f.is_finite() && roll.params.iter().chain(&roll.grad).all(|v| v.is_finite())
}

/// Held-out tasks per validation.
pub const VALIDATION_TASKS: usize = 32;
/// Their seed: the trainer draws its tasks from its own seeded stream.
pub const VALIDATION_SEED: u64 = 9_000_009;

/// The held-out tasks of `dist` that a training's validation curve reads.
pub fn validation_tasks(dist: &NetTaskDist) -> Vec<NetTask> {
    dist.sample_many(VALIDATION_SEED, VALIDATION_TASKS)
}

/// The median over `tasks` of `f` after `steps` steps of the optimizer
/// `make` builds for each task (a run that diverged or failed counts as
/// +∞).
pub fn median_final_loss(
    tasks: &[NetTask],
    steps: usize,
    make: impl Fn(&NetTask) -> Box<dyn ParamOptimizer>,
) -> f64 {
    let mut finals: Vec<f64> = tasks
        .iter()
        .map(|task| {
            let mut opt = make(task);
            let run = run_with(task, steps, opt.as_mut(), None);
            match (run.stop, run.records.last()) {
                (None, Some(r)) => r.f,
                _ => f64::INFINITY,
            }
        })
        .collect();
    crate::stats::quantile(&mut finals, 0.5)
}

/// [`median_final_loss`] of a learned optimizer.
pub fn median_final_loss_learned(
    model: &Arc<CwModel<f32>>,
    tasks: &[NetTask],
    steps: usize,
) -> f64 {
    median_final_loss(tasks, steps, |task| {
        Box::new(CwOptimizer::new(Arc::clone(model), task.mlp.num_params()))
    })
}

/// [`median_final_loss`] of a classical first-order optimizer (`NaN` for
/// Newton and Algorithm 2, which networks do not offer).
pub fn median_final_loss_classical(spec: OptimizerSpec, tasks: &[NetTask], steps: usize) -> f64 {
    if spec.first_order().is_none() {
        return f64::NAN;
    }
    median_final_loss(tasks, steps, |task| {
        match VecOptimizer::new(spec, task.mlp.num_params()) {
            Ok(opt) => Box::new(opt),
            // Unreachable: checked above; a GD that never moves keeps the
            // median honest if it were.
            Err(_) => Box::new(VecOptimizer::of(
                crate::optim::FirstOrder::Gd { lr: 0.0 },
                task.mlp.num_params(),
            )),
        }
    })
}
