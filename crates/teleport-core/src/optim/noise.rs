//! Gradient noise: additive Gaussian noise `N(0, σ² I)` on `∇f`, seeded
//! per run, so that a lab can show stochastic optimization.
//!
//! A row's noise is written `"noise": {"sigma": σ, "seed": k}` ([`GradNoise`];
//! `seed` defaults to 0). Every run draws from its own stream
//! ([`GradNoise::stream`]):
//!
//! ```text
//! stream of run i = crate::rng(k ^ mix(i))
//! ```
//!
//! where `mix` is SplitMix64's output function ([`mix`], a bijection of
//! `u64` with `mix(0) = 0`, so run 0 draws from `crate::rng(k)` itself). The
//! run index is fixed by what is run, so every front gives the same numbers
//! for the same run:
//!
//! - a single run from the file's x₀ — `teleport-lab eval`, the app's plot —
//!   is run 0, and so is every start of a basin map (the same noise sequence
//!   at every start: the map shows what the start point changes, and the
//!   cell at x₀ is the plot's run);
//! - test task `i` of `teleport-lab evaluate`, of the app's across-tasks
//!   plot and of a learning-rate sweep across tasks is run `i`;
//! - sample `j` of [`crate::eval::across_noise_seeds`] is run `j` (sample 0
//!   is the single run).
//!
//! Each gradient an optimizer steps with is `∇f(x) + σ·ξ`, where ξ takes one
//! standard normal draw per coordinate, in coordinate order (x, then y).
//! GD, momentum, Adam, Newton (`x − lr·H⁻¹(∇f + σξ)`), a network's
//! optimizer and the learned optimizers (the LSTM reads the noisy gradient
//! and the `lr` variants step along it) draw once per step; Algorithm 2
//! draws twice, for `∇f(y)` in its step and then for `∇f(x_{t+1})` in its
//! θ update. What stays exact: teleports (the oracle and the ascent measure
//! `‖∇f‖` of the true function — a teleport moves along the true level set,
//! which a gradient sample does not describe), Hessians, and the records of
//! a run (`f` and `grad` are those of the iterate, `f(x_t)` and the true
//! `∇f(x_t)`, so the plots of `‖∇f‖` stay meaningful).
//!
//! σ = 0 draws nothing: such a run is the noiseless one, bit for bit.

use rand::RngExt as _;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use crate::objective::Vec2;

/// The largest σ a row may ask for: far beyond any gradient of the lab's
/// tasks, and small enough that `σ·ξ` stays far from overflow.
pub const SIGMA_MAX: f64 = 1e6;

/// Gaussian gradient noise as written on a row: `{"sigma": σ, "seed": k}`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradNoise {
    /// The standard deviation σ of each coordinate's noise, in `[0, 1e6]`.
    pub sigma: f64,
    /// The seed `k` every run's stream is derived from.
    #[serde(default)]
    pub seed: u64,
}

/// Why a [`GradNoise`] is refused.
#[derive(Clone, Copy, Debug, PartialEq, thiserror::Error)]
pub enum NoiseError {
    /// σ is negative, NaN, infinite or above [`SIGMA_MAX`].
    #[error(
        "`sigma` must be a finite number from 0 to 1e6 (the standard deviation of the gradient noise), got {}",
        crate::numfmt::short(*value)
    )]
    Sigma {
        /// The σ given.
        value: f64,
    },
}

impl GradNoise {
    /// Noise of standard deviation `sigma` from `seed`.
    pub fn new(sigma: f64, seed: u64) -> Self {
        Self { sigma, seed }
    }

    /// Checks σ: finite, from 0 to [`SIGMA_MAX`].
    pub fn check(&self) -> Result<(), NoiseError> {
        if self.sigma.is_finite() && (0.0..=SIGMA_MAX).contains(&self.sigma) {
            Ok(())
        } else {
            Err(NoiseError::Sigma { value: self.sigma })
        }
    }

    /// Whether this noise changes nothing (σ = 0).
    pub fn is_silent(&self) -> bool {
        self.sigma == 0.0
    }

    /// The stream of run `run`: `crate::rng(seed ^ mix(run))` (see the
    /// module's documentation for which run is which). σ = 0 gives the
    /// silent stream, which draws nothing.
    pub fn stream(&self, run: u64) -> NoiseStream {
        if self.is_silent() {
            return NoiseStream::none();
        }
        NoiseStream {
            source: Some((crate::rng(self.seed ^ mix(run)), self.sigma)),
        }
    }

    /// A legend suffix such as `noise σ=0.1`.
    pub fn label(&self) -> String {
        format!("noise σ={}", crate::numfmt::short(self.sigma))
    }

    /// Parses the command line's `SIGMA[,SEED]` (`0.1`, `0.1,7`), checked.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (sigma, seed) = match text.split_once(',') {
            Some((sigma, seed)) => (sigma, Some(seed)),
            None => (text, None),
        };
        let sigma: f64 = sigma
            .trim()
            .parse()
            .map_err(|_| format!("`{text}`: expected SIGMA or SIGMA,SEED such as 0.1 or 0.1,7"))?;
        let seed = match seed {
            Some(s) => s.trim().parse::<u64>().map_err(|_| {
                format!("`{text}`: the seed must be a whole number from 0 to 2^64 − 1")
            })?,
            None => 0,
        };
        let noise = Self { sigma, seed };
        noise.check().map_err(|e| format!("`{text}`: {e}"))?;
        Ok(noise)
    }
}

/// SplitMix64's output function: a bijection of `u64` that scatters
/// neighbouring run indices over the whole range, with `mix(0) = 0`.
///
/// ```text
/// z ← (z ⊕ (z ≫ 30)) · 0xbf58476d1ce4e5b9
/// z ← (z ⊕ (z ≫ 27)) · 0x94d049bb133111eb
/// mix(z) = z ⊕ (z ≫ 31)        (products modulo 2⁶⁴)
/// ```
pub fn mix(run: u64) -> u64 {
    let mut z = run;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The noise one run draws, step after step: a seeded generator and σ, or
/// nothing (no noise, or σ = 0).
#[derive(Clone, Debug)]
pub struct NoiseStream {
    source: Option<(crate::Rng, f64)>,
}

impl Default for NoiseStream {
    fn default() -> Self {
        Self::none()
    }
}

impl NoiseStream {
    /// The silent stream: gradients pass unchanged and nothing is drawn.
    pub fn none() -> Self {
        Self { source: None }
    }

    /// The stream of run `run` of `noise` ([`GradNoise::stream`]), or the
    /// silent one without noise.
    pub fn of(noise: Option<&GradNoise>, run: u64) -> Self {
        noise.map_or_else(Self::none, |n| n.stream(run))
    }

    /// Whether the stream draws nothing.
    pub fn is_silent(&self) -> bool {
        self.source.is_none()
    }

    /// The next noise vector `σ·ξ` of the plane (x, then y), or `None` for
    /// the silent stream.
    #[inline]
    pub fn draw(&mut self) -> Option<Vec2> {
        let (rng, sigma) = self.source.as_mut()?;
        let zx: f64 = rng.sample(StandardNormal);
        let zy: f64 = rng.sample(StandardNormal);
        Some(Vec2::new(*sigma * zx, *sigma * zy))
    }

    /// `g + σ·ξ` with the next draw; `g` itself, bit for bit, from the
    /// silent stream.
    #[inline]
    pub fn perturb(&mut self, g: Vec2) -> Vec2 {
        match self.draw() {
            Some(noise) => g + noise,
            None => g,
        }
    }

    /// Adds `σ·ξ` to every coordinate of `g` in place, one draw per
    /// coordinate in order (a network's parameter vector); nothing from the
    /// silent stream.
    pub fn perturb_slice(&mut self, g: &mut [f64]) {
        if let Some((rng, sigma)) = self.source.as_mut() {
            for v in g {
                let z: f64 = rng.sample(StandardNormal);
                *v += *sigma * z;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SplitMix64's published outputs: seeded with 0, its first output is
    /// `mix(0x9e3779b97f4a7c15)` = 0xe220a8397b1dcdaf, and its second
    /// `mix(2·0x9e3779b97f4a7c15)` = 0x6e789e6aa1b965f4.
    #[test]
    fn mix_is_splitmix64s_output_function() {
        const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;
        assert_eq!(mix(GAMMA), 0xe220_a839_7b1d_cdaf);
        assert_eq!(mix(GAMMA.wrapping_mul(2)), 0x6e78_9e6a_a1b9_65f4);
        assert_eq!(mix(0), 0);
    }

    #[test]
    fn sigma_is_checked_and_the_command_line_form_parses() {
        for bad in [-1e-9, f64::NAN, f64::INFINITY, -f64::INFINITY, 1.000_001e6] {
            let Err(NoiseError::Sigma { value }) = GradNoise::new(bad, 0).check() else {
                panic!("{bad} accepted");
            };
            assert_eq!(value.to_bits(), bad.to_bits());
        }
        for good in [0.0, 1e-300, 0.5, 1e6] {
            assert_eq!(GradNoise::new(good, 3).check(), Ok(()), "{good}");
        }
        assert_eq!(GradNoise::parse("0.25"), Ok(GradNoise::new(0.25, 0)));
        assert_eq!(GradNoise::parse(" 0.25 , 7"), Ok(GradNoise::new(0.25, 7)));
        for bad in [
            "", "x", "0.1,", "0.1,-3", "0.1,1.5", "-0.1", "nan", "inf", "2e6",
        ] {
            let e = GradNoise::parse(bad).unwrap_err();
            assert!(e.contains(&format!("`{bad}`")), "{bad}: {e}");
        }
        let e = GradNoise::parse("-0.1").unwrap_err();
        assert!(e.contains("sigma"), "{e}");
    }

    #[test]
    fn the_silent_stream_draws_nothing_and_changes_nothing() {
        let g = Vec2::new(-0.0, 3.5);
        for mut s in [NoiseStream::none(), GradNoise::new(0.0, 9).stream(4)] {
            assert!(s.is_silent());
            let out = s.perturb(g);
            assert_eq!(out.x.to_bits(), g.x.to_bits());
            assert_eq!(out.y.to_bits(), g.y.to_bits());
            let mut v = [-0.0, 1.0];
            s.perturb_slice(&mut v);
            assert_eq!(v[0].to_bits(), (-0.0f64).to_bits());
        }
    }
}
