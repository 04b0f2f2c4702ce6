//! teleport-lab: learning to optimize with parameter symmetries.
//!
//! The math core — [`objective`], [`symmetry`], [`optim`], [`theory`] — is
//! plain Rust that knows nothing of a UI. [`io`] reads and writes files, and
//! [`cli`] is the command line over all of it.

pub mod app;
pub mod bench;
pub mod cli;
pub mod contour;
pub mod eval;
pub mod figures;
pub mod io;
pub mod l2o;
pub mod objective;
pub mod optim;
pub mod plot;
pub mod pretrained;
pub mod symmetry;
pub mod theory;

/// The crate's seeded random generator: the same seed gives the same numbers
/// on every platform and release (xoshiro256++, a fixed algorithm).
pub type Rng = rand::rngs::Xoshiro256PlusPlus;

/// A [`Rng`] from a seed.
pub fn rng(seed: u64) -> Rng {
    rand::SeedableRng::seed_from_u64(seed)
}
