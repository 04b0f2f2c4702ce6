//! A network task: a dataset, an architecture and a start, as written in a
//! lab file and built for runs.

use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::data::{DataError, Dataset, DatasetSpec};
use super::mlp::{Activation, ActivationName, Fit, Mlp, MlpError, Workspace};

/// The LeakyReLU slope a file that names none gets (Zhao et al.'s 0.1).
pub const DEFAULT_SLOPE: f64 = 0.1;

/// An MLP task as written in a lab file's `objective` (beside
/// `"family": "mlp"`):
///
/// ```json
/// {"family": "mlp", "dataset": {"kind": "moons", "points": 200, "noise": 0.1, "seed": 3},
///  "hidden": [16], "activation": "leaky_relu", "slope": 0.1, "init_seed": 5}
/// ```
///
/// `activation` defaults to `leaky_relu`, `slope` (LeakyReLU only) to
/// [`DEFAULT_SLOPE`], `init_seed` to 0. There is no weight decay: an L2
/// penalty `λ‖θ‖²` is not invariant under the rescaling (it changes by
/// `λ Σ θ_k² (e^{2e_k} − 1)`), so it would break every teleport's promise
/// to keep `f`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MlpSpec {
    /// The data.
    pub dataset: DatasetSpec,
    /// The hidden layers' widths, input side first.
    pub hidden: Vec<usize>,
    /// The hidden units' activation.
    #[serde(default = "leaky_relu")]
    pub activation: ActivationName,
    /// LeakyReLU's slope below 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slope: Option<f64>,
    /// The seed of the initial parameters.
    #[serde(default)]
    pub init_seed: u64,
}

fn leaky_relu() -> ActivationName {
    ActivationName::LeakyRelu
}

/// The network tasks a lab file's `objective` may name, by `family`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "family", rename_all = "snake_case")]
pub enum NetObjectiveSpec {
    /// A multilayer perceptron classifier.
    Mlp(MlpSpec),
}

/// Why a network task could not be built; the message names the field.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    /// The architecture is refused.
    #[error(transparent)]
    Mlp(#[from] MlpError),
    /// `slope` with `relu`.
    #[error("`slope` is only for `leaky_relu`; `relu` has slope 0")]
    SlopeWithRelu,
    /// The dataset is refused.
    #[error(transparent)]
    Data(#[from] DataError),
}

impl TaskError {
    /// The field of the `objective` the error is about (`hidden`,
    /// `slope`, `dataset`, …).
    pub fn field(&self) -> &'static str {
        match self {
            Self::Mlp(MlpError::Layers { .. } | MlpError::Width { .. }) => "hidden",
            Self::Mlp(MlpError::Slope { .. }) | Self::SlopeWithRelu => "slope",
            Self::Data(_) => "dataset",
        }
    }
}

impl MlpSpec {
    /// The activation, its slope resolved.
    pub fn activation(&self) -> Result<Activation, TaskError> {
        match (self.activation, self.slope) {
            (ActivationName::Relu, None) => Ok(Activation::Relu),
            (ActivationName::Relu, Some(_)) => Err(TaskError::SlopeWithRelu),
            (ActivationName::LeakyRelu, slope) => Ok(Activation::LeakyRelu {
                slope: slope.unwrap_or(DEFAULT_SLOPE),
            }),
        }
    }

    /// The architecture.
    pub fn mlp(&self) -> Result<Mlp, TaskError> {
        Ok(Mlp::new(&self.hidden, self.activation()?)?)
    }

    /// The task: the architecture checked first, then the data built or
    /// read (a CSV path relative to `base`).
    pub fn build(&self, base: Option<&Path>) -> Result<NetTask, TaskError> {
        let mlp = self.mlp()?;
        let data = self.dataset.build(base)?;
        Ok(NetTask::new(Arc::new(data), mlp, self.init_seed))
    }
}

/// A network to train: the data, the architecture and the start.
#[derive(Clone, Debug, PartialEq)]
pub struct NetTask {
    /// The data (shared: the app and every run read the same).
    pub data: Arc<Dataset>,
    /// The architecture.
    pub mlp: Mlp,
    /// The initial parameters.
    pub init: Vec<f64>,
}

impl NetTask {
    /// A task starting from the parameters drawn from `init_seed`.
    pub fn new(data: Arc<Dataset>, mlp: Mlp, init_seed: u64) -> Self {
        let init = mlp.init(init_seed);
        Self { data, mlp, init }
    }

    /// Buffers for this task's passes.
    pub fn workspace(&self) -> Workspace {
        self.mlp.workspace()
    }

    /// `f` and the accuracy at `params`.
    pub fn fit(&self, params: &[f64], ws: &mut Workspace) -> Fit {
        self.mlp.fit(params, &self.data, ws)
    }

    /// `f`, the accuracy and `∇f` (into `grad`) at `params`.
    pub fn fit_grad(&self, params: &[f64], ws: &mut Workspace, grad: &mut [f64]) -> Fit {
        self.mlp.fit_grad(params, &self.data, ws, grad)
    }
}
