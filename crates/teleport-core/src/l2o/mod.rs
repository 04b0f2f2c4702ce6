//! Learned optimizers: LSTM meta-optimizers that learn updates, teleport
//! angles, learning rates and momentum (the paper's sections 3.2 and 5).
//!
//! - [`lstm`]: two stacked LSTM cells and a linear head, forward and backward.
//! - [`meta`]: the four variants, their rollout and the meta-gradient.
//! - [`train`]: Algorithm 1 with Adam, progress and stop control.

pub mod batch;
pub mod lstm;
pub mod meta;
pub mod real;
pub mod train;

pub use meta::{
    BatchRollout, BatchRunner, MetaLoss, MetaLossError, MetaOptimizer, ModelConfig,
    ModelConfigError, Preprocess, Probe, Variant,
};
pub use train::{
    Control, MetaTrain, Progress, TrainConfig, TrainConfigError, TrainError, TrainSetup, Trainer,
    arithmetic,
};
