//! The meta-gradient against central finite differences, in f64, for every
//! variant, on ellipse and Rosenbrock tasks, with and without teleports.

use teleport_core::l2o::meta::{MetaTape, Rollout};
use teleport_core::l2o::{MetaLoss, MetaOptimizer, ModelConfig, Preprocess, Variant};
use teleport_core::objective::{Objective, Preset, TaskDist, Vec2};
use teleport_core::optim::When;

/// The unroll's loss with the networks' gradient inputs held at `zs`: the
/// meta-gradient is first-order, so the finite differences must not see how
/// a perturbation changes later gradients either.
fn unroll_loss(
    model: &MetaOptimizer<f64>,
    obj: &Objective,
    start: &Rollout<f64>,
    zs: &[Vec2],
    w: &[f64],
    kind: &MetaLoss,
) -> f64 {
    let mut roll = start.clone();
    let mut tape = MetaTape::new(model);
    for z in zs {
        model.step_with_gradient(obj, &mut roll, *z, Some(&mut tape));
    }
    let star = obj.minimizer();
    model.loss_with(obj, &tape, w, kind, star)
}

/// Relative error of the analytic gradient of the meta-loss with per-step
/// cost `kind` on random parameters of each network, after `warmup` steps
/// (so states and velocity are non-zero).
fn max_relative_error(
    config: ModelConfig,
    obj: &Objective,
    x0: Vec2,
    warmup: usize,
    len: usize,
    seed: u64,
    kind: &MetaLoss,
) -> f64 {
    let model = MetaOptimizer::<f64>::init(config, seed);
    let mut start = model.start(x0);
    for _ in 0..warmup {
        model.step(obj, &mut start, None);
    }
    let w: Vec<f64> = (0..len).map(|s| 0.5 + s as f64 * 0.25).collect();
    let mut tape = MetaTape::new(&model);
    let mut roll = start.clone();
    for _ in 0..len {
        model.step(obj, &mut roll, Some(&mut tape));
    }
    let mut grads: Vec<Vec<f64>> = model
        .nets()
        .iter()
        .map(|n| vec![0.0; n.params().len()])
        .collect();
    model.backward_with(obj, &mut tape, &w, kind, obj.minimizer(), &mut grads);
    let zs: Vec<Vec2> = tape.gradients().collect();

    let mut rng = teleport_core::rng(seed + 1);
    let mut worst: f64 = 0.0;
    for (k, grad) in grads.iter().enumerate() {
        let n = grad.len();
        let largest = grad.iter().fold(0.0_f64, |m, g| m.max(g.abs()));
        // Every parameter block gets probed: the first, the last, and random ones.
        let mut idx = vec![0, n - 1, n / 2];
        idx.extend((0..40).map(|_| rand::RngExt::random_range(&mut rng, 0..n)));
        for &i in &idx {
            let eps = 1e-5;
            let mut plus = model.clone();
            plus.nets_mut()[k].params_mut()[i] += eps;
            let mut minus = model.clone();
            minus.nets_mut()[k].params_mut()[i] -= eps;
            let fd = (unroll_loss(&plus, obj, &start, &zs, &w, kind)
                - unroll_loss(&minus, obj, &start, &zs, &w, kind))
                / (2.0 * eps);
            let an = grad[i];
            // Entries far below the largest gradient are dominated by rounding
            // in the difference quotient; judge them against that floor.
            let scale = fd.abs().max(an.abs()).max(1e-3 * largest);
            let err = (fd - an).abs() / scale;
            assert!(
                err < 1e-4,
                "net {k} param {i}: analytic {an:e} vs finite difference {fd:e}"
            );
            worst = worst.max(err);
        }
    }
    worst
}

fn config(variant: Variant, teleport: When) -> ModelConfig {
    ModelConfig {
        hidden: 7,
        teleport,
        ..ModelConfig::paper(variant)
    }
}

#[test]
fn gradient_matches_finite_differences_for_every_variant() {
    let tasks = [
        (Preset::ElliFixed.objective(), Vec2::new(-1.5, 0.8)),
        (Preset::RosFixed.objective(), Vec2::new(0.6, -0.4)),
    ];
    for variant in Variant::ALL {
        for (obj, x0) in &tasks {
            for teleport in [When::Every(1), When::At(vec![2, 5])] {
                let cfg = config(variant, teleport.clone());
                let err = max_relative_error(cfg, obj, *x0, 3, 5, 11, &MetaLoss::F);
                assert!(err < 1e-4, "{variant}: {err}");
                eprintln!("{variant}: worst relative error {err:.2e}");
            }
        }
    }
}

#[test]
fn gradient_matches_with_log_sign_inputs_on_sampled_tasks() {
    let tasks = TaskDist::Mixed.sample_many(5, 4, Default::default());
    for (i, task) in tasks.iter().enumerate() {
        let cfg = ModelConfig {
            preprocess: Preprocess::LogSign,
            max_lr: 0.1,
            ..config(Variant::LrTeleMomentum, When::Every(1))
        };
        let (x0, seed) = (task.x0 * 0.3, 100 + i as u64);
        let err = max_relative_error(cfg, &task.objective, x0, 2, 4, seed, &MetaLoss::F);
        assert!(err < 1e-4, "task {i}: {err}");
    }
}

/// A custom `h` (no `h_inv`: teleports by Newton continuation) backpropagates
/// through the same teleport jets: the meta-gradient matches finite
/// differences, so a learned optimizer can be meta-trained on it.
#[test]
fn gradient_matches_on_custom_formulas() {
    use teleport_core::objective::{Custom, GALLERY};
    for entry in [GALLERY[0], GALLERY[1], GALLERY[2]] {
        let obj = Objective::Custom(std::sync::Arc::new(Custom::new(entry.h, None).unwrap()));
        let x0 = Vec2::from(entry.x0) * 0.5;
        for variant in [Variant::L2oTele, Variant::LrTeleMomentum] {
            let cfg = config(variant, When::Every(1));
            let err = max_relative_error(cfg, &obj, x0, 2, 4, 21, &MetaLoss::F);
            assert!(err < 1e-4, "{} {variant}: {err}", entry.name);
        }
    }
}

/// A typed `f` teleports along the flow of `J∇f`: the learned optimizers
/// backpropagate through that teleport's jets (`∂g/∂x` from the
/// variational equation and the period's gradient, `∂g/∂θ = T/2π·X`), and
/// the meta-gradient matches finite differences, which follow a new level
/// curve at every perturbed step. The unrolls stay on levels far from
/// the saddles: near a saddle level `g_θ` bends so sharply with `x` that
/// differences of step 1e−5 are off by 1e−4 (the analytic jets are not).
#[test]
fn gradient_matches_through_the_flow_teleport_of_a_typed_f() {
    use teleport_core::objective::TEST_FUNCTIONS;
    let tasks = [
        (TEST_FUNCTIONS[0].objective().unwrap(), Vec2::new(-1.0, 6.0)),
        (TEST_FUNCTIONS[5].objective().unwrap(), Vec2::new(-1.5, 1.5)),
        (
            Objective::Formula(std::sync::Arc::new(
                teleport_core::objective::TypedF::new("exp(0.3*x) + x^2 + 2*y^2 + sin(x*y)")
                    .unwrap(),
            )),
            Vec2::new(1.5, -1.0),
        ),
    ];
    for (obj, x0) in &tasks {
        for variant in [Variant::L2oTele, Variant::LrTele, Variant::LrTeleMomentum] {
            let cfg = ModelConfig {
                max_lr: 0.01,
                ..config(variant, When::Every(1))
            };
            let err = max_relative_error(cfg, obj, *x0, 2, 4, 31, &MetaLoss::F);
            assert!(err < 1e-4, "{variant}: {err}");
            eprintln!("typed f, {variant}: worst relative error {err:.2e}");
        }
    }
}

/// `train --loss dist` and `f+dist:λ`: the meta-gradient of
/// `Σ w_t (f(x_t) + λ‖x_t − x*‖²)` matches finite differences for every
/// variant, with and without teleports, on both families.
#[test]
fn gradient_of_the_distance_losses_matches_finite_differences() {
    let tasks = [
        (Preset::ElliFixed.objective(), Vec2::new(-1.5, 0.8)),
        (Preset::RosFixed.objective(), Vec2::new(0.6, -0.4)),
    ];
    for kind in [MetaLoss::Dist, MetaLoss::FPlusDist { lambda: 0.7 }] {
        for variant in Variant::ALL {
            for (obj, x0) in &tasks {
                for teleport in [When::Every(1), When::At(vec![2, 5])] {
                    let cfg = config(variant, teleport);
                    let err = max_relative_error(cfg, obj, *x0, 3, 5, 11, &kind);
                    assert!(err < 1e-4, "{kind} {variant}: {err}");
                }
            }
        }
    }
}

/// The distance losses' values against an independent computation:
/// `‖x − x*‖²` from the family's closed-form minimizer, where `f = 0`.
#[test]
fn distance_losses_read_the_known_minimizer() {
    for obj in [Preset::ElliFixed.objective(), Preset::RosFixed.objective()] {
        let star = obj.minimizer();
        assert!(obj.f(&star) < 1e-24, "{}", obj.f(&star));
        let x = star + Vec2::new(0.3, -0.4);
        let d2 = 0.3_f64.powi(2) + 0.4_f64.powi(2);
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1.0);
        assert!(close(MetaLoss::Dist.value(&obj, &x, &star), d2));
        let both = MetaLoss::FPlusDist { lambda: 2.5 }.value(&obj, &x, &star);
        assert!(close(both, obj.f(&x) + 2.5 * d2));
        assert!(close(MetaLoss::F.value(&obj, &x, &star), obj.f(&x)));
        let g = MetaLoss::FPlusDist { lambda: 2.5 }.grad(&obj, &x, &star);
        let want = obj.grad(&x) + 5.0 * Vec2::new(0.3, -0.4);
        assert!((g - want).norm() < 1e-12 * want.norm());
    }
}

mod coordinate_wise {
    //! The networks' coordinate-wise optimizers: the meta-gradient of an
    //! unroll on a small network against central finite differences, with
    //! the gradients the LSTM reads and the teleport directions replayed
    //! (both are constants of the first-order meta-gradient), and the loss
    //! `Σ w_t f(θ_t)` computed afresh from the network each time.

    use std::sync::Arc;

    use teleport_core::net::learned::{CwConfig, CwModel, CwRollout, CwTape, CwVariant};
    use teleport_core::net::mlp::{Activation, Mlp};
    use teleport_core::net::{Generator, NetTask};
    use teleport_core::optim::When;

    fn task() -> NetTask {
        let data = Generator::Moons.generate(24, 0.1, 2);
        let mlp = Mlp::new(&[3], Activation::LeakyRelu { slope: 0.1 });
        match (data, mlp) {
            (Ok(data), Ok(mlp)) => NetTask::new(Arc::new(data), mlp, 3),
            _ => panic!("a valid task"),
        }
    }

    fn replayed_loss(
        model: &CwModel<f64>,
        task: &NetTask,
        start: &CwRollout<f64>,
        inputs: &[Vec<f64>],
        directions: &[Option<Vec<f64>>],
        w: &[f64],
    ) -> f64 {
        let mut ws = task.workspace();
        let mut roll = start.clone();
        let mut tape = CwTape::new(model, task.mlp.num_params());
        for (z, d) in inputs.iter().zip(directions) {
            model.step_replay(task, &mut ws, &mut roll, z, d.as_deref(), Some(&mut tape));
        }
        model.loss(&tape, w)
    }

    /// The worst relative error over probed weights of the analytic
    /// meta-gradient of a `len`-step unroll after `warmup` steps.
    fn worst_error(config: CwConfig, warmup: usize, len: usize, seed: u64) -> f64 {
        let task = task();
        let model = CwModel::<f64>::init(config, seed);
        let mut ws = task.workspace();
        let mut start = model.start(&task, &mut ws);
        for _ in 0..warmup {
            model.step(&task, &mut ws, &mut start, None);
        }
        let w: Vec<f64> = (0..len).map(|s| 0.5 + s as f64 * 0.25).collect();
        let mut tape = CwTape::new(&model, task.mlp.num_params());
        let mut roll = start.clone();
        let mut teleports = 0;
        for _ in 0..len {
            let step = model.step(&task, &mut ws, &mut roll, Some(&mut tape));
            teleports += usize::from(step.amount.is_some_and(|a| a != 0.0));
        }
        assert_eq!(
            teleports > 0,
            model.variant().teleports(),
            "the unroll must teleport exactly when the variant does"
        );
        let mut grad = vec![0.0; model.net().params().len()];
        model.backward(&task.mlp, &mut tape, &w, &mut grad);
        let inputs: Vec<Vec<f64>> = tape.inputs().map(<[f64]>::to_vec).collect();
        let directions: Vec<Option<Vec<f64>>> =
            tape.directions().map(|d| d.map(<[f64]>::to_vec)).collect();
        let loss = model.loss(&tape, &w);
        let again = replayed_loss(&model, &task, &start, &inputs, &directions, &w);
        assert!(
            (loss - again).abs() <= 1e-14 * loss.abs(),
            "{loss} vs {again}"
        );

        let n = grad.len();
        let largest = grad.iter().fold(0.0_f64, |m, g| m.max(g.abs()));
        assert!(largest > 0.0);
        let mut rng = teleport_core::rng(seed + 1);
        let mut idx = vec![0, n - 1, n / 2];
        idx.extend((0..40).map(|_| rand::RngExt::random_range(&mut rng, 0..n)));
        let mut worst: f64 = 0.0;
        for &i in &idx {
            let eps = 1e-5;
            let mut plus = model.clone();
            plus.net_mut().params_mut()[i] += eps;
            let mut minus = model.clone();
            minus.net_mut().params_mut()[i] -= eps;
            let fd = (replayed_loss(&plus, &task, &start, &inputs, &directions, &w)
                - replayed_loss(&minus, &task, &start, &inputs, &directions, &w))
                / (2.0 * eps);
            let an = grad[i];
            let scale = fd.abs().max(an.abs()).max(1e-3 * largest);
            let err = (fd - an).abs() / scale;
            assert!(
                err < 1e-4,
                "weight {i}: analytic {an:e} vs finite difference {fd:e}"
            );
            worst = worst.max(err);
        }
        worst
    }

    #[test]
    fn the_meta_gradient_matches_finite_differences_for_both_variants() {
        for variant in CwVariant::ALL {
            for teleport in [When::Every(1), When::At(vec![5, 7])] {
                let config = CwConfig {
                    hidden: 6,
                    output_scale: 0.3,
                    teleport,
                    ..CwConfig::new(variant)
                };
                let err = worst_error(config, 3, 5, 17);
                eprintln!("{variant}: worst relative error {err:.2e}");
            }
        }
    }
}
