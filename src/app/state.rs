//! The app's persisted state: task, start point, optimizers, playback, view
//! options. Everything here is plain data (saved by eframe between runs);
//! caches, the trainer and notifications live in the app's runtime part.

use serde::{Deserialize, Serialize};

use crate::io::scene::ObjectiveSpec;
use crate::l2o::{Preprocess, Variant};
use crate::objective::{Preset, TaskDist};
use crate::optim::OptimizerSpec;
use crate::symmetry::Strategy;

/// Where the current task comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum TaskSource {
    /// A named task.
    Preset(Preset),
    /// A draw from a distribution, with a visible seed.
    Sampled {
        /// The distribution.
        dist: TaskDist,
        /// The seed of the draw.
        seed: u64,
    },
    /// Parameters edited by hand.
    Custom(ObjectiveSpec),
}

/// A teleport schedule for a classical optimizer in the app.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AppTeleport {
    /// How θ is chosen.
    pub strategy: Strategy,
    /// Teleport at steps `every, 2·every, …` (when `at` is empty).
    pub every: usize,
    /// Teleport at exactly these steps instead (as a scene's `at` list).
    #[serde(default)]
    pub at: Vec<usize>,
}

impl AppTeleport {
    /// Every `every` steps with `strategy`.
    pub fn every(strategy: Strategy, every: usize) -> Self {
        Self {
            strategy,
            every,
            at: Vec::new(),
        }
    }

    /// The schedule.
    pub fn when(&self) -> crate::optim::When {
        if self.at.is_empty() {
            crate::optim::When::Every(self.every.max(1))
        } else {
            crate::optim::When::At(self.at.clone())
        }
    }

    /// `every 5` or `at 4, 8`.
    pub fn describe(&self) -> String {
        if self.at.is_empty() {
            format!("every {}", self.every.max(1))
        } else {
            let steps: Vec<String> = self.at.iter().map(ToString::to_string).collect();
            format!("at {}", steps.join(", "))
        }
    }
}

/// What an optimizer row runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum EntryKind {
    /// A classical optimizer, optionally with teleports.
    Classical {
        /// Hyperparameters.
        spec: OptimizerSpec,
        /// Teleports.
        teleport: Option<AppTeleport>,
    },
    /// A learned optimizer (the live-trained weights when training that
    /// variant, else the shipped ones for the task's family).
    Learned(Variant),
}

/// One optimizer row: toggle, colour, hyperparameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OptimizerEntry {
    /// Shown and computed.
    pub enabled: bool,
    /// What it runs.
    pub kind: EntryKind,
}

impl OptimizerEntry {
    /// A legend name, e.g. `GD lr=0.05 + teleport (oracle)`.
    pub fn label(&self) -> String {
        match &self.kind {
            EntryKind::Classical { spec, teleport } => {
                let mut name = spec.label();
                if let Some(t) = teleport {
                    name.push_str(&format!(
                        " + teleport ({}, {})",
                        t.strategy.label(),
                        t.describe()
                    ));
                }
                name
            }
            EntryKind::Learned(v) => v.label().to_owned(),
        }
    }
}

/// The optimizers shown by default: the classical ones, GD with both
/// teleports, and the four learned variants.
pub fn default_optimizers() -> Vec<OptimizerEntry> {
    let classical = |spec, teleport, enabled| OptimizerEntry {
        enabled,
        kind: EntryKind::Classical { spec, teleport },
    };
    vec![
        classical(OptimizerSpec::Gd { lr: 0.05 }, None, true),
        classical(
            OptimizerSpec::Momentum {
                lr: 0.02,
                beta: 0.6,
            },
            None,
            false,
        ),
        classical(
            OptimizerSpec::Adam {
                lr: 0.3,
                beta1: 0.9,
                beta2: 0.999,
                eps: 1e-8,
            },
            None,
            false,
        ),
        classical(OptimizerSpec::Newton { lr: 1.0 }, None, false),
        classical(
            OptimizerSpec::Gd { lr: 0.05 },
            Some(AppTeleport::every(Strategy::Oracle, 5)),
            true,
        ),
        classical(
            OptimizerSpec::Gd { lr: 0.05 },
            Some(AppTeleport::every(
                Strategy::Ascent {
                    theta0: 0.0,
                    lr: 1e-3,
                    iters: 10,
                },
                5,
            )),
            false,
        ),
        OptimizerEntry {
            enabled: true,
            kind: EntryKind::Learned(Variant::L2o),
        },
        OptimizerEntry {
            enabled: true,
            kind: EntryKind::Learned(Variant::L2oTele),
        },
        OptimizerEntry {
            enabled: false,
            kind: EntryKind::Learned(Variant::LrTele),
        },
        OptimizerEntry {
            enabled: false,
            kind: EntryKind::Learned(Variant::LrTeleMomentum),
        },
    ]
}

/// A teleport applied by hand with "Teleport here".
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ManualTeleport {
    /// The optimizer row it branches.
    pub optimizer: usize,
    /// The step at which `x_t ← g_θ(x_t)`.
    pub step: usize,
    /// The angle.
    pub theta: f64,
}

/// Timeline and playback.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Playback {
    /// The step shown.
    pub t: usize,
    /// Advancing by itself.
    pub playing: bool,
    /// Steps per second while playing.
    pub speed: f64,
}

/// Display toggles.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShowFlags {
    /// Filled colour map of log f under the contours.
    pub filled: bool,
    /// The orbit (level set) of the current point.
    pub orbit: bool,
    /// ∇f arrows at x and g_θ(x).
    pub arrows: bool,
    /// Shade where v⊥·∇‖∇f‖² < 0 (Proposition 4.1 fails).
    pub newton_overlay: bool,
}

/// Which windows are open.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Panels {
    /// Algorithm 2.
    pub alg2: bool,
    /// Newton vs teleport (Proposition 4.1).
    pub newton: bool,
    /// Live meta-training.
    pub training: bool,
    /// The shortcut overlay.
    pub help: bool,
}

/// Algorithm 2's settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alg2Settings {
    /// `A` of `f = xᵀAx`, row-major.
    pub a: [[f64; 2]; 2],
    /// α.
    pub lr: f64,
    /// β.
    pub theta_lr: f64,
    /// θ₀.
    pub theta0: f64,
    /// x₀.
    pub x0: [f64; 2],
    /// Steps computed.
    pub steps: usize,
    /// The step shown.
    pub t: usize,
    /// Advancing by itself.
    pub playing: bool,
}

impl Default for Alg2Settings {
    fn default() -> Self {
        // Principal axes at 30°, eigenvalues 1 and 4.
        let (c, s) = (30f64.to_radians().cos(), 30f64.to_radians().sin());
        let (l1, l2) = (1.0, 4.0);
        Self {
            a: [
                [l1 * c * c + l2 * s * s, (l1 - l2) * c * s],
                [(l1 - l2) * c * s, l1 * s * s + l2 * c * c],
            ],
            lr: 0.05,
            theta_lr: 0.2,
            theta0: 0.0,
            x0: [2.0, -1.0],
            steps: 40,
            t: 0,
            playing: false,
        }
    }
}

/// Live meta-training settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainingSettings {
    /// Which variant to train.
    pub variant: Variant,
    /// On which distribution.
    pub dist: TaskDist,
    /// Trajectories R.
    pub trajectories: usize,
    /// Steps N per trajectory.
    pub steps: usize,
    /// Unroll T.
    pub unroll: usize,
    /// Hidden size H.
    pub hidden: usize,
    /// Adam learning rate (m1; m2 uses ten times it for the momentum variant).
    pub meta_lr: f64,
    /// Gradient preprocessing.
    pub preprocess: Preprocess,
    /// Seed.
    pub seed: u64,
}

impl Default for TrainingSettings {
    fn default() -> Self {
        Self {
            variant: Variant::L2oTele,
            dist: TaskDist::ElliVary,
            trajectories: 2000,
            steps: 21,
            unroll: 5,
            hidden: 100,
            meta_lr: 4e-4,
            preprocess: Preprocess::Raw,
            seed: 0,
        }
    }
}

/// Everything the app saves between runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AppState {
    /// The task.
    pub source: TaskSource,
    /// The start point x₀.
    pub x0: [f64; 2],
    /// Steps per trajectory.
    pub steps: usize,
    /// The scrubber's angle θ.
    pub theta: f64,
    /// The optimizer rows.
    pub optimizers: Vec<OptimizerEntry>,
    /// The row whose current point the scrubber teleports.
    pub selected: usize,
    /// Teleports applied by hand.
    pub manual_teleports: Vec<ManualTeleport>,
    /// Timeline.
    pub playback: Playback,
    /// Display toggles.
    pub show: ShowFlags,
    /// Open windows.
    pub panels: Panels,
    /// Algorithm 2.
    pub alg2: Alg2Settings,
    /// Live training.
    pub training: TrainingSettings,
}

impl Default for AppState {
    fn default() -> Self {
        Self {
            source: TaskSource::Preset(Preset::ElliFixed),
            x0: Preset::ElliFixed.default_x0().into(),
            steps: 100,
            theta: 0.0,
            optimizers: default_optimizers(),
            selected: 0,
            manual_teleports: Vec::new(),
            playback: Playback {
                t: 12,
                playing: false,
                speed: 8.0,
            },
            show: ShowFlags {
                filled: true,
                orbit: true,
                arrows: true,
                newton_overlay: false,
            },
            panels: Panels {
                alg2: false,
                newton: false,
                training: false,
                help: false,
            },
            alg2: Alg2Settings::default(),
            training: TrainingSettings::default(),
        }
    }
}
