//! One optimizer of every hand-written kind, for the tests that must run
//! them all: the core's `custom_h` (formula and closed form agree) and the
//! app's `reliability` (each stops cleanly when it blows up).

use teleport_core::optim::OptimizerSpec;

/// GD, momentum (`[lr, β]`), Adam, Newton and Algorithm 2
/// (`[lr, θ lr, θ₀]`), in that order, with these hyperparameters.
///
/// A kind added to [`OptimizerSpec`] stops this from compiling until it
/// joins the list, and so every test that takes its list from here.
pub fn every_optimizer(
    gd: f64,
    [momentum, beta]: [f64; 2],
    adam: f64,
    newton: f64,
    [alg2, theta_lr, theta0]: [f64; 3],
) -> [OptimizerSpec; 5] {
    let specs = [
        OptimizerSpec::Gd { lr: gd },
        OptimizerSpec::Momentum { lr: momentum, beta },
        OptimizerSpec::adam(adam),
        OptimizerSpec::Newton { lr: newton },
        OptimizerSpec::Alg2 {
            lr: alg2,
            theta_lr,
            theta0,
        },
    ];
    for spec in &specs {
        // No `_` arm on purpose: see above.
        match spec {
            OptimizerSpec::Gd { .. }
            | OptimizerSpec::Momentum { .. }
            | OptimizerSpec::Adam { .. }
            | OptimizerSpec::Newton { .. }
            | OptimizerSpec::Alg2 { .. } => {}
        }
    }
    specs
}
