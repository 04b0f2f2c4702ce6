//! Small neural networks on 2D classification data, and the rescaling
//! symmetry of their (Leaky)ReLU units as a teleport.
//!
//! [`data`] generates or reads the points, [`mlp`] is the classifier (its
//! loss, gradient and decision function), [`rescale`] the symmetry and its
//! teleports, [`task`] a task as a lab file writes it, [`run`] runs any
//! first-order optimizer on it with a teleport schedule, and [`eval`] is
//! what `teleport-lab eval` prints for it. The optimizers' update math is
//! the 2D one ([`crate::optim::VecOptimizer`]).

pub mod data;
pub mod eval;
pub mod mlp;
pub mod rescale;
pub mod run;
pub mod task;

pub use data::{DataError, Dataset, DatasetSpec, Generator};
pub use eval::NetEval;
pub use mlp::{Activation, Fit, Mlp, Workspace};
pub use rescale::{NetStrategy, Unit, UnitCurve};
pub use run::{NetRecord, NetSchedule, NetTrajectory, ParamOptimizer};
pub use task::{MlpSpec, NetObjectiveSpec, NetTask};
