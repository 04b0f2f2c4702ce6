//! Pretrained weights shipped in the binary, so learned trajectories show
//! the moment the app opens.
//!
//! They are produced by `teleport-lab pretrain --out assets/weights`, which
//! trains every variant on `elli_vary` and `ros_vary` in the paper's
//! configuration (H = 100, 500 trajectories × 21 steps, unroll 5) from seed
//! 0. Training is deterministic, so the command reproduces the files bit for
//! bit on the same build.

use crate::l2o::{MetaOptimizer, ModelConfig, TrainConfig, Trainer, Variant};
use crate::objective::{Objective, TaskDist};

/// The task family a pretrained model was trained on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    /// `elli_vary`.
    Ellipse,
    /// `ros_vary`.
    Rosenbrock,
}

impl Family {
    /// The family that suits an objective (quadratics are ellipses; a
    /// custom `h` or a typed `f` is out of both distributions and gets the
    /// Rosenbrock models, trained on the nonconvex family).
    pub fn of(obj: &Objective) -> Self {
        match obj {
            Objective::Rosenbrock(_) | Objective::Custom(_) | Objective::Formula(_) => {
                Self::Rosenbrock
            }
            Objective::Ellipse(_) | Objective::Quadratic(_) => Self::Ellipse,
        }
    }

    /// The training distribution.
    pub fn dist(self) -> TaskDist {
        match self {
            Self::Ellipse => TaskDist::ElliVary,
            Self::Rosenbrock => TaskDist::RosVary,
        }
    }
}

/// The steps of every training trajectory of the shipped `variant` for
/// `family`: the horizon it learned to optimize over (the paper's 21).
pub fn trained_steps(variant: Variant, family: Family) -> usize {
    TrainConfig::paper(&ModelConfig::paper(variant), family.dist(), 0).steps
}

/// The file name of a pretrained model, e.g. `l2o-tele-elli_vary.safetensors`.
pub fn file_name(variant: Variant, family: Family) -> String {
    format!("{}-{}.safetensors", variant.name(), family.dist().name())
}

/// Whether the shipped weights are inside the binary. The web build leaves
/// them out (4.9 MB that barely compress, against a 5 MB page budget) and
/// fetches each model as a file named [`file_name`] when a row needs it.
pub const EMBEDDED: bool = cfg!(not(target_arch = "wasm32"));

#[cfg(not(target_arch = "wasm32"))]
macro_rules! asset {
    ($name:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../assets/weights/",
            $name
        ))
    };
}

#[cfg(target_arch = "wasm32")]
macro_rules! asset {
    ($name:literal) => {
        &[]
    };
}

fn bytes(variant: Variant, family: Family) -> &'static [u8] {
    match (variant, family) {
        (Variant::L2o, Family::Ellipse) => asset!("l2o-elli_vary.safetensors"),
        (Variant::L2o, Family::Rosenbrock) => asset!("l2o-ros_vary.safetensors"),
        (Variant::L2oTele, Family::Ellipse) => asset!("l2o-tele-elli_vary.safetensors"),
        (Variant::L2oTele, Family::Rosenbrock) => asset!("l2o-tele-ros_vary.safetensors"),
        (Variant::LrTele, Family::Ellipse) => asset!("lr-tele-elli_vary.safetensors"),
        (Variant::LrTele, Family::Rosenbrock) => asset!("lr-tele-ros_vary.safetensors"),
        (Variant::LrTeleMomentum, Family::Ellipse) => {
            asset!("lr-tele-momentum-elli_vary.safetensors")
        }
        (Variant::LrTeleMomentum, Family::Rosenbrock) => {
            asset!("lr-tele-momentum-ros_vary.safetensors")
        }
    }
}

/// The shipped model of a variant for a family (an error where they are
/// not [`EMBEDDED`]).
pub fn load(
    variant: Variant,
    family: Family,
) -> Result<MetaOptimizer<f32>, crate::io::weights::WeightsError> {
    crate::io::weights::from_bytes(bytes(variant, family)).map(|(model, _)| model)
}

/// The training settings of the shipped models.
pub fn config(variant: Variant, family: Family) -> (ModelConfig, TrainConfig) {
    let model = ModelConfig::paper(variant);
    let train = TrainConfig::paper(&model, family.dist(), 0);
    (model, train)
}

/// Trains one shipped model from scratch.
pub fn train(
    variant: Variant,
    family: Family,
) -> Result<(MetaOptimizer<f32>, TrainConfig), crate::l2o::TrainError> {
    let (model, config) = config(variant, family);
    let mut trainer = Trainer::new(model, config.clone())?;
    trainer.run(|_, _| crate::l2o::Control::Continue);
    Ok((trainer.into_model(), config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_model_loads_with_its_variant() {
        for variant in Variant::ALL {
            for family in [Family::Ellipse, Family::Rosenbrock] {
                let model = load(variant, family).unwrap();
                assert_eq!(model.variant(), variant);
                assert_eq!(model.config().hidden, 100);
            }
        }
    }
}
