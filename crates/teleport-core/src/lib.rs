//! teleport-core: learning to optimize with parameter symmetries, without a UI.
//!
//! The math — [`objective`], [`symmetry`], [`optim`], [`theory`] and the
//! learned optimizers in [`l2o`] — is plain Rust. [`eval`] runs optimizers
//! over task sets, [`io`] reads and writes files, [`contour`], [`plot`] and
//! [`figures`] draw headless charts. The `teleport-lab` app and command line
//! are two fronts over this crate; nothing here depends on a GUI toolkit
//! (`.ci/run` checks the dependency tree).

pub mod contour;
pub mod eval;
pub mod figures;
pub mod io;
pub mod l2o;
pub mod numfmt;
pub mod objective;
pub mod optim;
pub mod plot;
pub mod pretrained;
pub mod symmetry;
pub mod theory;

/// The crate's seeded random generator: the same seed gives the same numbers
/// on every platform and release (xoshiro256++, a fixed algorithm).
pub type Rng = rand::rngs::Xoshiro256PlusPlus;

/// Finds the item of `all` called `s`; the error lists every name, e.g.
/// ``unknown variant `x`; expected one of l2o, l2o-tele, …``.
pub(crate) fn parse_named<T: Copy>(
    s: &str,
    all: &[T],
    name: fn(T) -> &'static str,
    what: &str,
) -> Result<T, String> {
    all.iter().copied().find(|&v| name(v) == s).ok_or_else(|| {
        let names: Vec<_> = all.iter().map(|&v| name(v)).collect();
        format!("unknown {what} `{s}`; expected one of {}", names.join(", "))
    })
}

/// A [`Rng`] from a seed.
pub fn rng(seed: u64) -> Rng {
    rand::SeedableRng::seed_from_u64(seed)
}
