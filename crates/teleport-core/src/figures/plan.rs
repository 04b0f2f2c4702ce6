//! The experiment plan: which models are trained on which task
//! distributions, the classical baselines beside them, and the test tasks.

use std::sync::Arc;

use crate::eval::{AnyOptimizer, RunOutcome};
use crate::l2o::{Control, MetaLoss, MetaOptimizer, ModelConfig, TrainConfig, Trainer, Variant};
use crate::objective::{Objective, Preset, Sampling, Task, TaskDist, Vec2};
use crate::optim::OptimizerSpec;

use super::{FiguresConfig, FiguresError};

/// A learned model to train from every seed and test on its experiment's
/// tasks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct ModelSpec {
    pub(super) dist: TaskDist,
    pub(super) sampling: Sampling,
    pub(super) variant: Variant,
    pub(super) hidden: usize,
    pub(super) loss: MetaLoss,
}

impl ModelSpec {
    pub(super) fn name(&self) -> String {
        match self.loss {
            MetaLoss::F => self.variant.label().to_owned(),
            other => format!("{} (loss {other})", self.variant.label()),
        }
    }
}

/// One of Figures 3–7's comparisons (or its raw-sampling twin).
#[derive(Clone, Debug)]
pub(super) struct Experiment {
    pub(super) name: String,
    pub(super) figure: u8,
    pub(super) dist: TaskDist,
    pub(super) sampling: Sampling,
    pub(super) momentum: bool,
}

impl Experiment {
    pub(super) fn learned(&self, config: &FiguresConfig) -> Vec<ModelSpec> {
        let (variants, hidden) = if self.momentum {
            (
                [Variant::LrTele, Variant::LrTeleMomentum],
                config.hidden_momentum,
            )
        } else {
            ([Variant::L2o, Variant::L2oTele], config.hidden)
        };
        variants
            .into_iter()
            .map(|variant| ModelSpec {
                dist: self.dist,
                sampling: self.sampling,
                variant,
                hidden,
                loss: MetaLoss::F,
            })
            .collect()
    }

    pub(super) fn classical(&self) -> Vec<AnyOptimizer> {
        if self.momentum {
            vec![gd_baseline(self.dist)]
        } else {
            baselines(self.dist)
        }
    }
}

pub(super) fn experiments(config: &FiguresConfig) -> Vec<Experiment> {
    let conditioned = Sampling::default();
    let mut list = Vec::new();
    let base = [
        ("fig3_elli_fixed", 3, TaskDist::ElliFixed, false),
        ("fig4_elli_vary", 4, TaskDist::ElliVary, false),
        ("fig5_ros_fixed", 5, TaskDist::RosFixed, false),
        ("fig6_ros_vary", 6, TaskDist::RosVary, false),
        ("fig7_elli_vary", 7, TaskDist::ElliVary, true),
        ("fig7_ros_vary", 7, TaskDist::RosVary, true),
    ];
    for (name, figure, dist, momentum) in base {
        list.push(Experiment {
            name: name.to_owned(),
            figure,
            dist,
            sampling: conditioned,
            momentum,
        });
    }
    // The fixed tasks do not depend on the sampling (only x0 is drawn, the
    // same way under both), so only the varying ones run again.
    if config.raw {
        for (name, figure, dist, momentum) in base {
            if matches!(dist, TaskDist::ElliVary | TaskDist::RosVary) {
                list.push(Experiment {
                    name: format!("{name}_raw"),
                    figure,
                    dist,
                    sampling: Sampling::Raw,
                    momentum,
                });
            }
        }
    }
    list
}

/// The distance-loss twins of Figures 4 and 6's `L2O + teleport`.
pub(super) fn distance_specs(config: &FiguresConfig) -> Vec<(u8, ModelSpec, ModelSpec)> {
    [(4, TaskDist::ElliVary), (6, TaskDist::RosVary)]
        .into_iter()
        .map(|(figure, dist)| {
            let f = ModelSpec {
                dist,
                sampling: Sampling::default(),
                variant: Variant::L2oTele,
                hidden: config.hidden,
                loss: MetaLoss::F,
            };
            let with_dist = ModelSpec {
                loss: MetaLoss::FPlusDist {
                    lambda: config.dist_lambda,
                },
                ..f
            };
            (figure, f, with_dist)
        })
        .collect()
}

/// The test tasks of a distribution under a sampling.
pub(super) fn test_tasks(config: &FiguresConfig, dist: TaskDist, sampling: Sampling) -> Vec<Task> {
    dist.sample_many(config.seed.wrapping_add(1), config.runs, sampling)
}

/// A trained model and its runs on the test tasks.
pub(super) struct Trained {
    pub(super) model: Arc<MetaOptimizer<f32>>,
    pub(super) runs: Vec<RunOutcome>,
}

/// The number of [`Event::Done`] events [`run`] emits for `config`.
pub fn units(config: &FiguresConfig) -> usize {
    let (specs, exps) = plan(config);
    let networks = config
        .net
        .as_ref()
        .map_or(0, |_| super::net::units(config.seeds));
    2 + specs.len() * config.seeds.max(1) + exps.len() + 1 + networks
}

/// Every model to train (each once, however many experiments read it) and
/// every experiment.
pub(super) fn plan(config: &FiguresConfig) -> (Vec<ModelSpec>, Vec<Experiment>) {
    let exps = experiments(config);
    let mut specs: Vec<ModelSpec> = Vec::new();
    let mut add = |s: ModelSpec| {
        if !specs.contains(&s) {
            specs.push(s);
        }
    };
    for e in &exps {
        e.learned(config).into_iter().for_each(&mut add);
    }
    for (_, f, d) in distance_specs(config) {
        add(f);
        add(d);
    }
    (specs, exps)
}

pub(super) fn is_ellipse(dist: TaskDist) -> bool {
    matches!(dist, TaskDist::ElliFixed | TaskDist::ElliVary)
}

/// GD with the step size used throughout: 0.05 on ellipses, 1e−3 on
/// Rosenbrock tasks (the reference configuration's).
pub(super) fn gd_baseline(dist: TaskDist) -> AnyOptimizer {
    let lr = if is_ellipse(dist) { 0.05 } else { 1e-3 };
    let spec = OptimizerSpec::Gd { lr };
    AnyOptimizer::Classical {
        name: spec.label(),
        spec,
        teleport: None,
    }
}

pub(super) fn baselines(dist: TaskDist) -> Vec<AnyOptimizer> {
    let adam = OptimizerSpec::adam(0.3);
    vec![
        gd_baseline(dist),
        AnyOptimizer::Classical {
            name: adam.label(),
            spec: adam,
            teleport: None,
        },
    ]
}

/// Trains one learned optimizer in the paper's configuration.
pub fn train(
    config: &FiguresConfig,
    variant: Variant,
    hidden: usize,
    dist: TaskDist,
) -> Result<AnyOptimizer, FiguresError> {
    let spec = ModelSpec {
        dist,
        sampling: Sampling::default(),
        variant,
        hidden,
        loss: MetaLoss::F,
    };
    Ok(AnyOptimizer::Learned {
        name: variant.label().to_owned(),
        model: train_spec(config, &spec, config.seed)?,
    })
}

pub(super) fn train_spec(
    config: &FiguresConfig,
    spec: &ModelSpec,
    seed: u64,
) -> Result<Arc<MetaOptimizer<f32>>, FiguresError> {
    let model = ModelConfig {
        hidden: spec.hidden,
        ..ModelConfig::paper(spec.variant)
    };
    let mut train = TrainConfig::paper(&model, spec.dist, seed);
    train.trajectories = config.trajectories;
    train.sampling = spec.sampling;
    train.loss = spec.loss;
    let mut trainer = Trainer::new(model, train).map_err(FiguresError::Train)?;
    trainer.run(|_, _| Control::Continue);
    Ok(Arc::new(trainer.into_model()))
}

/// The task drawn in a comparison's trajectory panel: the fixed task, or the
/// first test task, from the paper's plotted start point.
pub(super) fn showcase_task(dist: TaskDist, seed: u64, sampling: Sampling) -> (Objective, Vec2) {
    let x0 = if is_ellipse(dist) {
        Preset::ElliFixed.default_x0()
    } else {
        Preset::RosFixed.default_x0()
    };
    let obj = dist
        .sample_many(seed, 1, sampling)
        .into_iter()
        .next()
        .map(|t| t.objective)
        .unwrap_or_else(|| Preset::ElliFixed.objective());
    (obj, x0)
}
