//! Meta-training (Algorithm 1, and its two-network variant for Algorithm 3).
//!
//! For each of `R` trajectories a task `(f, x0)` is drawn; the optimizer runs
//! `N` steps; every `T` steps the meta-loss `Σ w_t f(x_t)` of the last `T`
//! steps is backpropagated and Adam updates the networks. Iterates, velocity
//! and LSTM states carry over unroll boundaries as constants (detached).

use serde::{Deserialize, Serialize};

use super::meta::{
    MetaLoss, MetaOptimizer, MetaTape, ModelConfig, ModelConfigError, Preprocess, Rollout, Variant,
};
use super::real::{Real, all_finite};
use crate::objective::{Sampling, Task, TaskDist, Vec2};

/// Training settings. The defaults are the paper's configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// The task distribution.
    pub dist: TaskDist,
    /// How random tasks are drawn.
    pub sampling: Sampling,
    /// `R`: trajectories (tasks) to train on.
    pub trajectories: usize,
    /// `N`: optimizee steps per trajectory.
    pub steps: usize,
    /// `T`: a meta-update every `T` steps.
    pub unroll: usize,
    /// Adam learning rate of each network (m1, m2).
    pub meta_lr: Vec<f64>,
    /// Clip the global meta-gradient norm of each network to this value.
    pub clip: Option<f64>,
    /// Skip a meta-update whose unroll loss exceeds this value.
    pub skip_loss_above: Option<f64>,
    /// Trajectories stepped together; their meta-gradients are averaged.
    pub batch: usize,
    /// The seed of the initial weights and of the tasks.
    pub seed: u64,
    /// The per-step cost of the meta-loss (default `f`, the paper's; files
    /// written before it existed, and every `f` run, leave it out).
    #[serde(default, skip_serializing_if = "MetaLoss::is_f")]
    pub loss: MetaLoss,
}

/// The settings that both the app's training window and `teleport-lab
/// train` ask for; everything else is the paper's ([`ModelConfig::paper`],
/// [`TrainConfig::paper`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrainSetup {
    /// The optimizer variant.
    pub variant: Variant,
    /// The LSTM hidden size.
    pub hidden: usize,
    /// How gradients are fed to the networks.
    pub preprocess: Preprocess,
    /// The task distribution.
    pub dist: TaskDist,
    /// The seed of the initial weights and of the tasks.
    pub seed: u64,
    /// `R`: trajectories to train on.
    pub trajectories: usize,
    /// `N`: optimizee steps per trajectory.
    pub steps: usize,
    /// `T`: a meta-update every `T` steps.
    pub unroll: usize,
}

impl TrainSetup {
    /// The paper's model and training configurations with these settings.
    pub fn configs(&self) -> (ModelConfig, TrainConfig) {
        let model = ModelConfig {
            hidden: self.hidden,
            preprocess: self.preprocess,
            ..ModelConfig::paper(self.variant)
        };
        let train = TrainConfig {
            trajectories: self.trajectories,
            steps: self.steps,
            unroll: self.unroll,
            ..TrainConfig::paper(&model, self.dist, self.seed)
        };
        (model, train)
    }
}

impl TrainConfig {
    /// The paper's configuration (R = 500, N = 21, T = 5, Adam 4e−4) for a
    /// model and distribution.
    pub fn paper(model: &ModelConfig, dist: TaskDist, seed: u64) -> Self {
        Self {
            dist,
            sampling: Sampling::default(),
            trajectories: 500,
            steps: 21,
            unroll: 5,
            meta_lr: model.variant.default_meta_lr(),
            clip: None,
            skip_loss_above: None,
            batch: 1,
            seed,
            loss: MetaLoss::F,
        }
    }

    /// Checks the settings against a model, and that training can learn:
    /// at least one trajectory, and an unroll `T` of 1 to `N` steps, so
    /// that every trajectory makes at least one meta-update.
    pub fn validate(&self, model: &ModelConfig) -> Result<(), TrainConfigError> {
        let nets = model.variant.outputs().len();
        if self.meta_lr.len() != nets {
            return Err(TrainConfigError::MetaLrCount {
                variant: model.variant,
                nets,
                given: self.meta_lr.len(),
            });
        }
        if let Some(&lr) = self
            .meta_lr
            .iter()
            .find(|lr| !(lr.is_finite() && **lr > 0.0 && **lr < 1.0))
        {
            return Err(TrainConfigError::MetaLr(lr));
        }
        if self.trajectories == 0 {
            return Err(TrainConfigError::NoTrajectories);
        }
        if self.steps == 0 {
            return Err(TrainConfigError::NoSteps);
        }
        if self.unroll == 0 {
            return Err(TrainConfigError::NoUnroll);
        }
        if self.unroll > self.steps {
            return Err(TrainConfigError::UnrollTooLong {
                unroll: self.unroll,
                steps: self.steps,
            });
        }
        if self.batch == 0 {
            return Err(TrainConfigError::NoBatch);
        }
        if self.steps > 100_000 || self.trajectories > 10_000_000 || self.batch > 4096 {
            return Err(TrainConfigError::TooLarge);
        }
        if let Some(c) = self.clip
            && !(c.is_finite() && c > 0.0)
        {
            return Err(TrainConfigError::Clip(c));
        }
        if let MetaLoss::FPlusDist { lambda } = self.loss
            && !(lambda.is_finite() && lambda > 0.0)
        {
            return Err(TrainConfigError::Lambda(lambda));
        }
        Ok(())
    }
}

/// The floating-point operations of one training run of `model` under
/// `config` (a multiply–add counts as two): the LSTM's matrix–vector
/// products forward (every step) and backward (`Wᵀδ` and the weight
/// gradients, every step of a completed unroll), and Adam's ≈ 12 operations
/// per weight and meta-update (its square root and division as one each).
/// The activations, the head's nonlinearities and the optimizee are left
/// out (a few per cent). This is what `bench train` divides by the wall time.
pub fn arithmetic(model: &ModelConfig, config: &TrainConfig) -> f64 {
    let trajectories = config.trajectories as f64;
    let unrolls = (config.steps / config.unroll.max(1)) as f64;
    let taped_steps = trajectories * unrolls * config.unroll as f64;
    let all_steps = trajectories * config.steps as f64;
    model
        .shapes()
        .iter()
        .map(|s| {
            let (n, h, o) = (s.input as f64, s.hidden as f64, s.output as f64);
            let forward = 4.0 * h * (n + h) + 4.0 * h * (2.0 * h) + o * h;
            // Wᵀδ of cell 1 (all inputs) and of cell 0 (its recurrent part:
            // its own input is detached), the head's Wᵀ dy, then one
            // multiply–add per weight for the weight gradients.
            let input_grads = 4.0 * h * (2.0 * h) + 4.0 * h * h + o * h;
            let weight_grads = forward;
            let adam = 12.0 * s.num_params() as f64 * trajectories * unrolls;
            2.0 * (forward * all_steps + (input_grads + weight_grads) * taped_steps) + adam
        })
        .sum()
}

/// Why [`TrainConfig::validate`] refused the settings.
#[derive(Clone, Copy, Debug, PartialEq, thiserror::Error)]
pub enum TrainConfigError {
    /// `meta_lr` does not hold one rate per network.
    #[error(
        "variant `{variant}` has {nets} network(s) but {given} meta learning rate(s) were given"
    )]
    MetaLrCount {
        /// The model's variant.
        variant: Variant,
        /// Its networks.
        nets: usize,
        /// The rates given.
        given: usize,
    },
    /// A meta learning rate is not in (0, 1).
    #[error("meta learning rates must be in (0, 1), got {0}")]
    MetaLr(f64),
    /// `R = 0`.
    #[error("trajectories R is 0: training would see no task and make no meta-update")]
    NoTrajectories,
    /// `N = 0`.
    #[error("steps N is 0: trajectories would take no step to learn from")]
    NoSteps,
    /// `T = 0`.
    #[error("unroll T is 0: a meta-update comes every T steps, so T must be at least 1")]
    NoUnroll,
    /// `T > N`: no unroll completes.
    #[error(
        "unroll T = {unroll} is longer than steps N = {steps}: no unroll would complete, so training would make no meta-update"
    )]
    UnrollTooLong {
        /// `T`.
        unroll: usize,
        /// `N`.
        steps: usize,
    },
    /// A batch of 0 trajectories.
    #[error("batch is 0: each meta-update needs at least 1 trajectory")]
    NoBatch,
    /// Steps, trajectories or batch above their limits.
    #[error("steps ≤ 100000, trajectories ≤ 10000000 and batch ≤ 4096")]
    TooLarge,
    /// The clip norm is not a positive finite number.
    #[error("clip must be positive, got {0}")]
    Clip(f64),
    /// λ of `f+dist` is not a positive finite number.
    #[error("λ of the loss f+dist must be positive, got {0}")]
    Lambda(f64),
}

/// Why a [`Trainer`] could not start.
#[derive(Clone, Copy, Debug, PartialEq, thiserror::Error)]
pub enum TrainError {
    /// The model's configuration is invalid.
    #[error(transparent)]
    Model(#[from] ModelConfigError),
    /// The training settings are invalid (or do not fit the model).
    #[error(transparent)]
    Config(#[from] TrainConfigError),
}

/// Adam over one flat parameter vector.
#[derive(Clone, Debug, PartialEq)]
pub struct Adam {
    lr: f32,
    m: Vec<f32>,
    v: Vec<f32>,
    t: i32,
}

impl Adam {
    const BETA1: f32 = 0.9;
    const BETA2: f32 = 0.999;
    const EPS: f32 = 1e-8;

    /// Adam with PyTorch's defaults for `n` parameters.
    pub fn new(lr: f64, n: usize) -> Self {
        Self {
            lr: lr as f32,
            m: vec![0.0; n],
            v: vec![0.0; n],
            t: 0,
        }
    }

    /// One update of `params` along `grad`, leaving `grad` zero for the
    /// next accumulation (one pass over the memory instead of two).
    pub fn update(&mut self, params: &mut [f32], grad: &mut [f32]) {
        let step = self.next_step();
        self.apply(step, 0, params, grad);
    }

    /// Starts an update that [`Self::apply`] then makes piece by piece.
    fn next_step(&mut self) -> AdamStep {
        self.t = self.t.saturating_add(1);
        let c1 = 1.0 - Self::BETA1.powi(self.t);
        let c2 = 1.0 - Self::BETA2.powi(self.t);
        AdamStep {
            step: self.lr / c1,
            inv_c2: 1.0 / c2,
        }
    }

    /// Updates `params`, the parameters from `offset` on, along the
    /// gradient `Σⱼ aⱼ·xⱼ` of `terms`, summed entry by entry in their order
    /// as a chain of multiply–adds from 0 (bit for bit what
    /// [`super::real::axpy_many`] adds to a zero vector), without storing
    /// it: the sum is made in registers as Adam reads it.
    fn apply_summed(
        &mut self,
        s: AdamStep,
        offset: usize,
        params: &mut [f32],
        terms: &[(f32, &[f32])],
    ) {
        /// The update for `N` terms, unrolled (so that it vectorizes).
        fn fixed<const N: usize>(
            adam: &mut Adam,
            s: AdamStep,
            offset: usize,
            params: &mut [f32],
            terms: &[(f32, &[f32])],
        ) {
            let n = params.len();
            let a: [f32; N] = std::array::from_fn(|j| terms[j].0);
            let x: [&[f32]; N] = std::array::from_fn(|j| &terms[j].1[..n]);
            let range = offset..offset + n;
            for (i, ((p, m), v)) in params
                .iter_mut()
                .zip(&mut adam.m[range.clone()])
                .zip(&mut adam.v[range])
                .enumerate()
            {
                let mut gv = 0.0;
                for j in 0..N {
                    gv = Real::mul_add(a[j], x[j][i], gv);
                }
                Adam::step_one(s, gv, p, m, v);
            }
        }
        match terms.len() {
            0 => fixed::<0>(self, s, offset, params, terms),
            1 => fixed::<1>(self, s, offset, params, terms),
            2 => fixed::<2>(self, s, offset, params, terms),
            3 => fixed::<3>(self, s, offset, params, terms),
            4 => fixed::<4>(self, s, offset, params, terms),
            5 => fixed::<5>(self, s, offset, params, terms),
            6 => fixed::<6>(self, s, offset, params, terms),
            7 => fixed::<7>(self, s, offset, params, terms),
            8 => fixed::<8>(self, s, offset, params, terms),
            // Longer unrolls: the same chains, eight entries at a time.
            _ => {
                let range = offset..offset + params.len();
                let (m, v) = (&mut self.m[range.clone()], &mut self.v[range]);
                for (start, ((p, m), v)) in params
                    .chunks_mut(8)
                    .zip(m.chunks_mut(8))
                    .zip(v.chunks_mut(8))
                    .enumerate()
                {
                    let start = start * 8;
                    let mut g = [0.0f32; 8];
                    for (a, x) in terms {
                        for (gl, xl) in g.iter_mut().zip(&x[start..start + p.len()]) {
                            *gl = Real::mul_add(*a, *xl, *gl);
                        }
                    }
                    for (((g, p), m), v) in g.iter().zip(p).zip(m).zip(v) {
                        Self::step_one(s, *g, p, m, v);
                    }
                }
            }
        }
    }

    /// One weight's update along its gradient `g`.
    #[inline(always)]
    fn step_one(s: AdamStep, g: f32, p: &mut f32, m: &mut f32, v: &mut f32) {
        *m = Real::mul_add(Self::BETA1, *m, (1.0 - Self::BETA1) * g);
        *v = Real::mul_add(Self::BETA2, *v, (1.0 - Self::BETA2) * g * g);
        *p -= s.step * *m / ((*v * s.inv_c2).sqrt() + Self::EPS);
    }

    /// Updates `params`, the parameters from `offset` on, along `grad` (as
    /// long), leaving `grad` zero.
    fn apply(&mut self, s: AdamStep, offset: usize, params: &mut [f32], grad: &mut [f32]) {
        let range = offset..offset + params.len();
        for (((p, g), m), v) in params
            .iter_mut()
            .zip(grad.iter_mut())
            .zip(&mut self.m[range.clone()])
            .zip(&mut self.v[range])
        {
            Self::step_one(s, std::mem::take(g), p, m, v);
        }
    }
}

/// The bias-corrected coefficients of one Adam update.
#[derive(Clone, Copy, Debug)]
struct AdamStep {
    step: f32,
    inv_c2: f32,
}

/// Training progress, published after every meta-update.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Progress {
    /// Trajectories finished.
    pub trajectories_done: usize,
    /// Trajectories in all.
    pub trajectories_total: usize,
    /// Meta-updates applied.
    pub meta_updates: usize,
    /// Meta-updates skipped for a non-finite loss or gradient.
    pub skipped_nonfinite: usize,
    /// Meta-updates skipped because the loss exceeded the threshold.
    pub skipped_explode: usize,
    /// The mean unroll loss of the last finished batch of trajectories
    /// (one trajectory unless [`TrainConfig::batch`] > 1); NaN when none of
    /// its unrolls had a finite loss.
    pub last_loss: f64,
    /// [`Self::last_loss`] of each finished batch, oldest first.
    pub loss_history: Vec<f64>,
}

/// What the caller wants between meta-updates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// Keep going.
    Continue,
    /// Stop now; the weights so far are kept.
    Stop,
}

/// What a meta-trainer offers whoever drives it (the app's training
/// thread, `teleport-lab train`, the figures): the 2D [`Trainer`] and the
/// networks' [`crate::net::train::NetTrainer`] alike. Progress, control and
/// the loss history are the same; only the model differs.
pub trait MetaTrain {
    /// The weights being trained.
    type Model: Clone + Send + Sync + 'static;

    /// Progress so far.
    fn progress(&self) -> &Progress;

    /// Whether all trajectories are done.
    fn finished(&self) -> bool;

    /// The model being trained.
    fn model(&self) -> &Self::Model;

    /// Trains on the next trajectory (or batch of them), calling `control`
    /// after every meta-update. Returns [`Control::Stop`] when `control`
    /// said stop or no trajectory was left.
    fn train_batch(
        &mut self,
        control: &mut dyn FnMut(&Progress, &Self::Model) -> Control,
    ) -> Control;

    /// Whether every weight of `model` is finite (a snapshot worth keeping).
    fn model_is_finite(model: &Self::Model) -> bool;

    /// Trains until all trajectories are done or `control` says stop.
    fn run_all(&mut self, mut control: impl FnMut(&Progress, &Self::Model) -> Control)
    where
        Self: Sized,
    {
        while !self.finished() {
            if self.train_batch(&mut control) == Control::Stop {
                break;
            }
        }
    }
}

impl MetaTrain for Trainer {
    type Model = MetaOptimizer<f32>;

    fn progress(&self) -> &Progress {
        Trainer::progress(self)
    }

    fn finished(&self) -> bool {
        Trainer::finished(self)
    }

    fn model(&self) -> &MetaOptimizer<f32> {
        Trainer::model(self)
    }

    fn train_batch(
        &mut self,
        control: &mut dyn FnMut(&Progress, &MetaOptimizer<f32>) -> Control,
    ) -> Control {
        Trainer::train_batch(self, control)
    }

    fn model_is_finite(model: &MetaOptimizer<f32>) -> bool {
        model
            .nets()
            .iter()
            .all(|n| n.params().iter().all(|p| p.is_finite()))
    }
}

/// A meta-trainer: the model, its Adam states and the task stream.
#[derive(Debug)]
pub struct Trainer {
    model: MetaOptimizer<f32>,
    config: TrainConfig,
    adam: Vec<Adam>,
    rng: crate::Rng,
    tapes: Vec<MetaTape<f32>>,
    batch_grads: Vec<Vec<f32>>,
    weights: Vec<f64>,
    progress: Progress,
    /// A fixed task that replaces draws from [`TrainConfig::dist`].
    task: Option<Task>,
}

/// Seed offset that separates the task stream from the weight initialisation.
const TASK_STREAM: u64 = 0x9E37_79B9_7F4A_7C15;

impl Trainer {
    /// A trainer for a fresh model.
    pub fn new(model: ModelConfig, config: TrainConfig) -> Result<Self, TrainError> {
        model.validate()?;
        config.validate(&model)?;
        let init = MetaOptimizer::init(model, config.seed);
        Self::resume(init, config)
    }

    /// A trainer that continues from existing weights (Adam starts afresh).
    pub fn resume(model: MetaOptimizer<f32>, config: TrainConfig) -> Result<Self, TrainError> {
        model.config().validate()?;
        config.validate(model.config())?;
        let adam = model
            .nets()
            .iter()
            .zip(&config.meta_lr)
            .map(|(n, &lr)| Adam::new(lr, n.params().len()))
            .collect();
        let batch_grads: Vec<Vec<f32>> = model
            .nets()
            .iter()
            .map(|n| vec![0.0; n.params().len()])
            .collect();
        let tapes = (0..config.batch).map(|_| MetaTape::new(&model)).collect();
        let weights = vec![1.0 / config.unroll as f64; config.unroll];
        Ok(Self {
            rng: crate::rng(config.seed ^ TASK_STREAM),
            progress: Progress {
                trajectories_total: config.trajectories,
                ..Progress::default()
            },
            batch_grads,
            adam,
            tapes,
            weights,
            model,
            config,
            task: None,
        })
    }

    /// Trains on this one task (any objective, a custom `h` included)
    /// instead of drawing tasks from [`TrainConfig::dist`]; every trajectory
    /// starts again from its `x0`.
    pub fn with_task(mut self, task: Task) -> Self {
        self.task = Some(task);
        self
    }

    /// The fixed task set by [`Self::with_task`], if any.
    pub fn task(&self) -> Option<&Task> {
        self.task.as_ref()
    }

    /// The model being trained.
    pub fn model(&self) -> &MetaOptimizer<f32> {
        &self.model
    }

    /// Consumes the trainer, returning the model.
    pub fn into_model(self) -> MetaOptimizer<f32> {
        self.model
    }

    /// The settings.
    pub fn config(&self) -> &TrainConfig {
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

    /// Trains on the next `batch` trajectories (Algorithm 1's outer loop
    /// body), calling `control` after every meta-update. Their mean unroll
    /// loss goes to [`Progress::last_loss`] and [`Progress::loss_history`].
    /// Returns [`Control::Stop`] when `control` said stop or no trajectory
    /// was left, else [`Control::Continue`].
    pub fn train_batch(
        &mut self,
        control: &mut dyn FnMut(&Progress, &MetaOptimizer<f32>) -> Control,
    ) -> Control {
        let batch = self
            .config
            .batch
            .min(self.config.trajectories - self.progress.trajectories_done);
        if batch == 0 {
            return Control::Stop;
        }
        let tasks: Vec<Task> = (0..batch)
            .map(|_| match &self.task {
                Some(task) => task.clone(),
                None => self.config.dist.sample(&mut self.rng, self.config.sampling),
            })
            .collect();
        // The minimizers the distance costs read (NaN when one cannot be
        // found: that task's unrolls have a non-finite loss and are skipped).
        let loss = self.config.loss;
        let stars: Vec<Vec2> = tasks
            .iter()
            .map(|t| {
                if loss.needs_minimizer() {
                    t.objective
                        .try_minimizer()
                        .unwrap_or(Vec2::new(f64::NAN, f64::NAN))
                } else {
                    Vec2::zeros()
                }
            })
            .collect();
        let mut rolls: Vec<Rollout<f32>> = tasks.iter().map(|t| self.model.start(t.x0)).collect();
        // One trajectory per update and no clipping (the paper's setting):
        // no gradient needs to be whole before Adam reads it.
        let fused = batch == 1 && self.config.clip.is_none();
        let mut loss_sum = 0.0;
        let mut loss_count = 0usize;
        let mut t = 0;
        let mut decision = Control::Continue;
        while t < self.config.steps {
            let len = self.config.unroll.min(self.config.steps - t);
            if len < self.config.unroll {
                // Algorithm 1 updates only when t % T == 0: a last partial
                // unroll takes its steps but no meta-update.
                for (task, roll) in tasks.iter().zip(rolls.iter_mut()) {
                    for _ in 0..len {
                        self.model.step(&task.objective, roll, None);
                    }
                }
                break;
            }
            // The gradients start at zero: fresh, or cleared by the last
            // update (Adam's pass, or `clear_grads` when it was skipped).
            let mut unroll_loss = 0.0;
            for (((task, roll), tape), star) in tasks
                .iter()
                .zip(rolls.iter_mut())
                .zip(self.tapes.iter_mut())
                .zip(&stars)
            {
                tape.clear();
                for _ in 0..len {
                    self.model.step(&task.objective, roll, Some(tape));
                }
                let obj = &task.objective;
                unroll_loss += self.model.loss_with(obj, tape, &self.weights, &loss, *star);
                // The backward pass adds, so the batch's gradients sum in
                // place: the heads' here, the cells' from the tape (the
                // fused update reads them from there itself).
                self.model.backward_through_time(
                    obj,
                    tape,
                    &self.weights,
                    &loss,
                    *star,
                    &mut self.batch_grads,
                );
                if !fused {
                    tape.add_cell_grads(&mut self.batch_grads);
                }
            }
            unroll_loss /= batch as f64;
            t += len;
            if fused {
                self.apply_fused(unroll_loss);
            } else {
                self.apply_update(unroll_loss, batch);
            }
            if unroll_loss.is_finite() {
                loss_sum += unroll_loss;
                loss_count += 1;
            }
            // Iterates that left the finite world cannot continue.
            for (task, roll) in tasks.iter().zip(rolls.iter_mut()) {
                if !roll.x.iter().chain(roll.v.iter()).all(|v| v.is_finite()) {
                    *roll = self.model.start(task.x0);
                }
            }
            if control(&self.progress, &self.model) == Control::Stop {
                decision = Control::Stop;
                break;
            }
        }
        self.progress.trajectories_done += batch;
        let mean = if loss_count > 0 {
            loss_sum / loss_count as f64
        } else {
            f64::NAN
        };
        self.progress.last_loss = mean;
        self.progress.loss_history.push(mean);
        decision
    }

    fn apply_update(&mut self, loss: f64, batch: usize) {
        let scale = 1.0 / batch as f32;
        let finite = loss.is_finite() && self.batch_grads.iter().all(|g| all_finite(g));
        if !finite {
            self.progress.skipped_nonfinite += 1;
            self.clear_grads();
            return;
        }
        if self.skipped_as_exploded(loss) {
            return;
        }
        for ((net, adam), g) in self
            .model
            .nets_mut()
            .iter_mut()
            .zip(&mut self.adam)
            .zip(&mut self.batch_grads)
        {
            let mut factor = scale;
            if let Some(clip) = self.config.clip {
                let norm =
                    g.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>().sqrt() * f64::from(scale);
                if norm > clip {
                    factor *= (clip / norm) as f32;
                }
            }
            if factor != 1.0 {
                g.iter_mut().for_each(|v| *v *= factor);
            }
            // Adam leaves the gradient zero for the next unroll.
            adam.update(net.params_mut(), g);
        }
        self.progress.meta_updates += 1;
    }

    /// [`Self::apply_update`] of one trajectory's unroll without clipping,
    /// after [`MetaOptimizer::backward_through_time`]: the cells' gradients
    /// (all but the heads') are never stored, each column goes from the
    /// tape into Adam and is summed in registers as Adam reads it. This
    /// saves a write and two reads of every gradient value and the
    /// finiteness pass; the update is the same bit for bit (each entry is
    /// the chain `add_cell_grads` makes, and a gradient not known to be
    /// finite beforehand takes the stored path).
    fn apply_fused(&mut self, loss: f64) {
        let tape = &self.tapes[0];
        let nets = self.model.nets();
        let known_finite = loss.is_finite()
            && nets
                .iter()
                .zip(&self.batch_grads)
                .enumerate()
                .all(|(k, (net, g))| {
                    all_finite(&g[net.shape().head_offset()..]) && tape.net(k).cell_grads_finite()
                });
        if !known_finite {
            // A non-finite loss is skipped whatever the gradient.
            if loss.is_finite() {
                tape.add_cell_grads(&mut self.batch_grads);
            }
            self.apply_update(loss, 1);
            return;
        }
        if self.skipped_as_exploded(loss) {
            return;
        }
        let tape = &self.tapes[0];
        for (k, ((net, adam), g)) in self
            .model
            .nets_mut()
            .iter_mut()
            .zip(&mut self.adam)
            .zip(&mut self.batch_grads)
            .enumerate()
        {
            let step = adam.next_step();
            let (head, rows) = (net.shape().head_offset(), 4 * net.shape().hidden);
            let (cells, heads) = net.params_mut().split_at_mut(head);
            adam.apply(step, head, heads, &mut g[head..]);
            tape.net(k).for_each_cell_column(|offset, terms| {
                adam.apply_summed(step, offset, &mut cells[offset..offset + rows], terms);
            });
        }
        self.progress.meta_updates += 1;
    }

    /// Skips the update (counted, gradients cleared) when `loss` is above
    /// [`TrainConfig::skip_loss_above`].
    fn skipped_as_exploded(&mut self, loss: f64) -> bool {
        let exploded = self
            .config
            .skip_loss_above
            .is_some_and(|limit| loss > limit);
        if exploded {
            self.progress.skipped_explode += 1;
            self.clear_grads();
        }
        exploded
    }

    /// Zeroes the accumulated gradients of a skipped update.
    fn clear_grads(&mut self) {
        for g in self.batch_grads.iter_mut() {
            g.fill(0.0);
        }
    }

    /// Trains until all trajectories are done or `control` says stop.
    /// `control` sees the progress and the weights after every meta-update
    /// and may block (to pause).
    pub fn run(&mut self, mut control: impl FnMut(&Progress, &MetaOptimizer<f32>) -> Control) {
        while !self.finished() {
            if self.train_batch(&mut control) == Control::Stop {
                break;
            }
        }
    }
}
