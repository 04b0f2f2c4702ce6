//! teleport-core: learning to optimize with parameter symmetries, without a UI.
//!
//! The math — [`objective`], [`symmetry`], [`optim`], [`theory`] and the
//! learned optimizers in [`l2o`] — is plain Rust. [`eval`] runs optimizers
//! over task sets, [`io`] reads and writes files, [`contour`], [`plot`] and
//! [`figures`] draw headless charts, [`stats`] holds the quantiles they all use,
//! [`tune`] sweeps a classical row's learning rate. The `teleport-lab` app and command line
//! are two fronts over this crate; nothing here depends on a GUI toolkit
//! (`.ci/run` checks the dependency tree).

/// `impl FromStr` for an enum with `ALL` and `name()`: the item named by
/// the string, else an [`UnknownName`] about `what` listing every name
/// ([`parse_named`]).
macro_rules! from_str_by_name {
    ($ty:ty, $what:literal) => {
        impl std::str::FromStr for $ty {
            type Err = crate::UnknownName;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                crate::parse_named(s, &Self::ALL, Self::name, $what)
            }
        }
    };
}

pub mod anim;
pub mod basin;
pub mod claims;
pub mod contour;
pub mod eval;
pub mod figures;
pub mod io;
pub mod l2o;
pub mod limits;
pub mod net;
pub mod numfmt;
pub mod objective;
pub mod optim;
pub mod plot;
pub mod pretrained;
pub mod stats;
pub mod symmetry;
pub mod theory;
pub mod tune;

/// The crate's seeded random generator: the same seed gives the same numbers
/// on every platform and release (xoshiro256++, a fixed algorithm).
pub type Rng = rand::rngs::Xoshiro256PlusPlus;

/// A name that is none of the known ones: what [`str::parse`] returns for
/// [`l2o::Variant`], [`objective::Preset`] and [`objective::TaskDist`].
/// Displays as ``unknown variant `x`; expected one of l2o, l2o-tele, …``
/// (clap prints it after ``invalid value 'x' for '--variant <VARIANT>':``).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{name}`; expected one of {}", expected.join(", "))]
pub struct UnknownName {
    /// What was being named: `variant`, `preset`, `task distribution`.
    pub what: &'static str,
    /// The name given.
    pub name: String,
    /// Every known name, in menu order.
    pub expected: Vec<&'static str>,
}

/// Finds the item of `all` called `s`; the error lists every name.
pub(crate) fn parse_named<T: Copy>(
    s: &str,
    all: &[T],
    name: fn(T) -> &'static str,
    what: &'static str,
) -> Result<T, UnknownName> {
    all.iter()
        .copied()
        .find(|&v| name(v) == s)
        .ok_or_else(|| UnknownName {
            what,
            name: s.to_owned(),
            expected: all.iter().map(|&v| name(v)).collect(),
        })
}

/// A [`Rng`] from a seed.
pub fn rng(seed: u64) -> Rng {
    rand::SeedableRng::seed_from_u64(seed)
}
