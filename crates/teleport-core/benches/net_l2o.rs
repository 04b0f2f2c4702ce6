//! The default meta-training of each coordinate-wise learned optimizer,
//! timed whole (`cargo bench -p teleport-core --bench net_l2o`): 1000
//! trajectories of 100 steps, unroll 20, H = 20, on 2-16-1 LeakyReLU
//! networks and 200 points of moons, circles, XOR and Gaussians. Each
//! variant trains [`REPEATS`] times from seed 0 (the same weights every
//! time) on one thread; the report gives the median wall time and the
//! median CPU time of the training, then the held-out loss: the median
//! over the 32 validation tasks of `f` after 100 steps, for the untrained
//! and the trained optimizer, and for GD and Adam at their tuned step
//! sizes. A criterion harness would need ten samples of a minute each.
//! `-- --repeats N` changes the repeats, `-- --trajectories N` the run.

use std::sync::Arc;
use std::time::Instant;

use teleport_core::l2o::Control;
use teleport_core::net::learned::{CwConfig, CwModel, CwVariant};
use teleport_core::net::train::{
    NetTrainConfig, NetTrainer, median_final_loss_classical, median_final_loss_learned,
    validation_tasks,
};
use teleport_core::optim::OptimizerSpec;

/// Trainings per variant.
const REPEATS: usize = 3;

/// The CPU time this process has used, in seconds, where Linux tells it
/// (`/proc/self/schedstat`: nanoseconds on a CPU); `None` elsewhere.
fn cpu_secs() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/self/schedstat").ok()?;
    let ns: f64 = text.split_whitespace().next()?.parse().ok()?;
    Some(ns * 1e-9)
}

fn median(mut v: Vec<f64>) -> f64 {
    teleport_core::stats::quantile(&mut v, 0.5)
}

fn arg(name: &str) -> Option<usize> {
    let args: Vec<String> = std::env::args().collect();
    let at = args.iter().position(|a| a == name)?;
    args.get(at + 1)?.parse().ok()
}

fn main() {
    let repeats = arg("--repeats").unwrap_or(REPEATS).max(1);
    let base = NetTrainConfig::new(0);
    let trajectories = arg("--trajectories").unwrap_or(base.trajectories);
    let tasks = validation_tasks(&base.dist);
    let steps = base.steps;
    println!(
        "default network meta-training: {trajectories} trajectories x {steps} steps, unroll {}, H = {}, {}",
        base.unroll,
        teleport_core::net::learned::DEFAULT_HIDDEN,
        base.dist.describe()
    );
    for variant in CwVariant::ALL {
        let mut wall = Vec::new();
        let mut cpu = Vec::new();
        let mut trained = None;
        for _ in 0..repeats {
            let config = NetTrainConfig {
                trajectories,
                ..base.clone()
            };
            let mut trainer = NetTrainer::new(CwConfig::new(variant), config)
                .unwrap_or_else(|e| panic!("the default settings are valid: {e}"));
            let (start, cpu_start) = (Instant::now(), cpu_secs());
            trainer.run(|_, _| Control::Continue);
            wall.push(start.elapsed().as_secs_f64());
            if let (Some(a), Some(b)) = (cpu_start, cpu_secs()) {
                cpu.push(b - a);
            }
            trained = Some(trainer.into_model());
        }
        let untrained = Arc::new(CwModel::<f32>::init(CwConfig::new(variant), 0));
        let Some(trained) = trained.map(Arc::new) else {
            continue;
        };
        println!(
            "{variant}: training {:.1} s wall, {} CPU (median of {repeats}); held-out median f_{steps}: untrained {:.3e}, trained {:.3e}",
            median(wall),
            if cpu.is_empty() {
                "? s".to_owned()
            } else {
                format!("{:.1} s", median(cpu))
            },
            median_final_loss_learned(&untrained, &tasks, steps),
            median_final_loss_learned(&trained, &tasks, steps),
        );
    }
    for spec in [
        OptimizerSpec::Gd { lr: 4.0 },
        OptimizerSpec::adam(0.2),
        OptimizerSpec::adam(0.4),
    ] {
        println!(
            "{}: held-out median f_{steps} {:.3e}",
            spec.label(),
            median_final_loss_classical(spec, &tasks, steps)
        );
    }
}
