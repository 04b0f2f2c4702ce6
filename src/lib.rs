//! teleport-lab: the desktop lab and command line over [`teleport_core`].
//!
//! The math core lives in the `teleport-core` crate, which knows nothing of
//! a UI; its modules are re-exported here so that `teleport_lab::objective`
//! and `teleport_core::objective` name the same thing. [`app`] is the egui
//! window, [`cli`] the command line, [`bench`] the benchmarks that drive
//! them.

pub mod app;
#[cfg(not(target_arch = "wasm32"))]
pub mod bench;
#[cfg(not(target_arch = "wasm32"))]
pub use bench::monkey;
#[cfg(not(target_arch = "wasm32"))]
pub mod cli;

pub use teleport_core::{
    Rng, anim, basin, contour, eval, figures, io, l2o, numfmt, objective, optim, plot, pretrained,
    rng, stats, symmetry, theory,
};
