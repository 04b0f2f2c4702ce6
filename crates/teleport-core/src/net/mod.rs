//! Small neural networks on 2D classification data, and the rescaling
//! symmetry of their (Leaky)ReLU units as a teleport.
//!
//! [`data`] generates or reads the points, [`mlp`] is the classifier (its
//! loss, gradient and decision function), [`rescale`] the symmetry and its
//! teleports, [`task`] a task as a lab file writes it, [`run`] runs any
//! first-order optimizer on it with a teleport schedule, and [`eval`] is
//! what `teleport-lab eval` prints for it. The classical optimizers'
//! update math is the 2D one ([`crate::optim::VecOptimizer`]); [`learned`]
//! is a coordinate-wise LSTM optimizer (and its variant that also learns
//! how far to teleport), which [`train`] meta-trains on a distribution of
//! network tasks.
//!
//! Two things are left out on purpose. Weight decay: `λ‖θ‖²` is not
//! invariant under the rescaling, so no teleport could keep `f`. And Zhao et
//! al.'s data-dependent GL(n) teleport (`V ← gV`, `U ← U σ(VX) σ(gVX)⁺`):
//! it keeps the batch's outputs only when `σ(gVX)⁺σ(gVX) = I`, that is when
//! a layer has at least as many units as the batch has points (64 units
//! against up to 100,000 points here); otherwise `f` moves with `g`, and a
//! teleport must keep `f` to rounding.

pub mod data;
pub mod eval;
pub mod learned;
pub mod mlp;
pub mod rescale;
pub mod run;
pub mod task;
pub mod train;

pub use data::{DataError, Dataset, DatasetSpec, Generator};
pub use eval::NetEval;
pub use learned::{CwConfig, CwModel, CwOptimizer, CwVariant};
pub use mlp::{Activation, Fit, Mlp, Workspace};
pub use rescale::{NetStrategy, Unit, UnitCurve};
pub use run::{NetRecord, NetSchedule, NetTrajectory, ParamOptimizer};
pub use task::{MlpSpec, NetObjectiveSpec, NetTask};
