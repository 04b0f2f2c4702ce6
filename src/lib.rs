//! teleport-lab: the desktop lab and command line over [`teleport_core`].
//!
//! The math core lives in the `teleport-core` crate, which knows nothing of
//! a UI; code here names its modules by that crate (`teleport_core::optim`),
//! so a path always says which crate it lives in. [`app`] is the egui
//! window, [`cli`] the command line, [`bench`] the benchmarks that drive
//! them.

pub mod app;
#[cfg(not(target_arch = "wasm32"))]
pub mod bench;
#[cfg(not(target_arch = "wasm32"))]
pub use bench::monkey;
#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
