//! Gradient noise: every optimizer steps with `∇f + σξ` drawn from the
//! documented per-run stream `rng(seed ^ mix(run))`, checked against
//! optimizer loops written here with their own draws; the noise is Gaussian
//! with the row's σ; σ = 0 changes nothing; teleports and records use the
//! true function; lab files carry the noise and refuse a bad σ.
#![allow(clippy::unwrap_used, reason = "tests panic on failure")]

mod common;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use rand::RngExt as _;
use rand_distr::StandardNormal;
use serde_json::json;
use teleport_core::basin::{BasinGrid, basin_noisy, basin_pooled};
use teleport_core::eval::{
    AnyOptimizer, across_noise_seeds, evaluate, evaluate_noisy, evaluate_until_noisy,
};
use teleport_core::io::lab::{AnyScene, LabFile, from_json};
use teleport_core::l2o::{MetaOptimizer, Variant};
use teleport_core::objective::{Mat2, Objective, Preset, Task, TaskDist, Vec2, rotation};
use teleport_core::optim::{
    GradNoise, NoiseStream, OptimizerSpec, TeleportSchedule, Trajectory, When, run_noisy,
};
use teleport_core::pretrained::{Family, load};
use teleport_core::symmetry::{Strategy, oracle, teleport};

use common::optimizers::every_optimizer;

/// SplitMix64's output function, written out from its published constants.
fn splitmix_finalizer(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
    z ^ (z >> 31)
}

/// The draws of run `run` as the module documents them: the generator
/// `rng(seed ^ mix(run))`, two standard normals (x, then y) per gradient.
struct Draws {
    rng: teleport_core::Rng,
    sigma: f64,
}

impl Draws {
    fn of(noise: GradNoise, run: u64) -> Self {
        Self {
            rng: teleport_core::rng(noise.seed ^ splitmix_finalizer(run)),
            sigma: noise.sigma,
        }
    }

    fn scalar(&mut self) -> f64 {
        let z: f64 = self.rng.sample(StandardNormal);
        self.sigma * z
    }

    fn next(&mut self) -> Vec2 {
        let x = self.scalar();
        let y = self.scalar();
        Vec2::new(x, y)
    }
}

/// The fixed ellipse `f = 0.25x² + 9y²` (A = diag(0.5, 3), b = 0), with its
/// gradient and Hessian written by hand.
fn ellipse() -> Objective {
    Preset::ElliFixed.objective()
}

fn ellipse_grad(x: Vec2) -> Vec2 {
    Vec2::new(0.5 * x.x, 18.0 * x.y)
}

const ELLIPSE_A: [f64; 2] = [0.5, 3.0];

fn x_of(run: &Trajectory) -> Vec<Vec2> {
    run.records.iter().map(|r| Vec2::from(r.x)).collect()
}

/// Every number of two runs, bit for bit.
fn same_bits(a: &Trajectory, b: &Trajectory) -> bool {
    let bits = |t: &Trajectory| -> Vec<u64> {
        t.records
            .iter()
            .flat_map(|r| {
                let from = r.from.unwrap_or([f64::NAN; 2]);
                [
                    r.t as f64,
                    r.x[0],
                    r.x[1],
                    r.f,
                    r.grad[0],
                    r.grad[1],
                    r.theta.unwrap_or(f64::NAN),
                    f64::from(u8::from(r.teleported)),
                    from[0],
                    from[1],
                ]
            })
            .map(f64::to_bits)
            .collect()
    };
    bits(a) == bits(b) && format!("{:?}", a.stop) == format!("{:?}", b.stop)
}

fn classical(spec: OptimizerSpec, teleport: Option<TeleportSchedule>) -> AnyOptimizer {
    AnyOptimizer::Classical {
        name: spec.label(),
        spec,
        teleport,
    }
}

fn learned(variant: Variant, family: Family) -> Arc<MetaOptimizer<f32>> {
    Arc::new(load(variant, family).unwrap())
}

/// The five classical kinds, GD with an oracle teleport every 3 steps, and
/// the four learned variants (ellipse weights).
fn every_row() -> Vec<AnyOptimizer> {
    let mut rows: Vec<AnyOptimizer> =
        every_optimizer(0.02, [0.01, 0.7], 0.2, 0.8, [0.02, 0.01, 0.3])
            .into_iter()
            .map(|s| classical(s, None))
            .collect();
    rows.push(classical(
        OptimizerSpec::Gd { lr: 0.02 },
        Some(TeleportSchedule {
            strategy: Strategy::Oracle,
            when: When::Every(3),
        }),
    ));
    for variant in Variant::ALL {
        rows.push(AnyOptimizer::Learned {
            name: variant.name().into(),
            model: learned(variant, Family::Ellipse),
        });
    }
    rows
}

fn tasks() -> Vec<Task> {
    let mut tasks = vec![Task {
        objective: ellipse(),
        x0: Vec2::new(-5.0, 3.5),
    }];
    tasks.extend(TaskDist::Mixed.sample_many(4, 5, Default::default()));
    tasks
}

#[test]
fn a_noisy_run_is_fixed_by_its_seed_and_run_and_changes_with_either() {
    let noise = GradNoise::new(0.05, 7);
    let task = &tasks()[0];
    let go = |opt: &AnyOptimizer, noise: GradNoise, run: u64| {
        opt.trajectory_with(&task.objective, task.x0, 30, &[], noise.stream(run))
    };
    for opt in every_row() {
        let a = go(&opt, noise, 0);
        assert_eq!(a.records.len(), 31, "{}: {:?}", opt.name(), a.stop);
        assert!(same_bits(&a, &go(&opt, noise, 0)), "{}", opt.name());
        assert!(
            !same_bits(&a, &go(&opt, GradNoise::new(0.05, 8), 0)),
            "{}: another seed",
            opt.name()
        );
        assert!(
            !same_bits(&a, &go(&opt, noise, 1)),
            "{}: another run",
            opt.name()
        );
        assert!(
            !same_bits(&a, &opt.trajectory(&task.objective, task.x0, 30)),
            "{}: no noise",
            opt.name()
        );
    }
}

#[test]
fn sigma_zero_and_no_noise_give_the_noiseless_runs_bit_for_bit() {
    let silent = GradNoise::new(0.0, 11);
    let tasks = tasks();
    for opt in every_row() {
        for (i, task) in tasks.iter().enumerate() {
            let plain = opt.trajectory(&task.objective, task.x0, 25);
            for stream in [silent.stream(i as u64), NoiseStream::none()] {
                let quiet = opt.trajectory_with(&task.objective, task.x0, 25, &[], stream);
                assert!(same_bits(&plain, &quiet), "{} on task {i}", opt.name());
            }
        }
        let stats = |s: &[teleport_core::eval::StepStats]| format!("{s:?}");
        assert_eq!(
            stats(&evaluate(&opt, &tasks, 12)),
            stats(&evaluate_noisy(&opt, Some(&silent), &tasks, 12, 2)),
            "{}",
            opt.name()
        );
        let grid = BasinGrid {
            x: (-6.0, 6.0),
            y: (-4.0, 4.0),
            n: 6,
        };
        let never = AtomicBool::new(false);
        let plain = basin_pooled(&opt, &ellipse(), &grid, 8, 1e-3, &never, 1).unwrap();
        let quiet =
            basin_noisy(&opt, Some(&silent), &ellipse(), &grid, 8, 1e-3, &never, 2).unwrap();
        assert_eq!(format!("{plain:?}"), format!("{quiet:?}"), "{}", opt.name());
    }
}

/// GD with `lr` steps `x_{t+1} = x_t − lr(∇f(x_t) + σξ_t)`, so each step's
/// noise is `(x_t − x_{t+1})/lr − ∇f(x_t)`, with the gradient written by
/// hand. Over 20,000 steps its sample mean, variance, correlation between
/// the coordinates and from one step to the next must be those of
/// N(0, σ²I) within five standard errors: σ/√n for the mean,
/// σ²·√(2/(n−1)) for the variance (a Gaussian's fourth moment is 3σ⁴), 1/√n
/// for a correlation.
#[test]
fn gd_steps_with_gaussian_noise_of_the_rows_sigma() {
    let (sigma, lr, steps) = (0.3, 0.01, 20_000);
    let noise = GradNoise::new(sigma, 5);
    let obj = ellipse();
    let run = run_noisy(
        &obj,
        Vec2::new(-5.0, 3.5),
        steps,
        OptimizerSpec::Gd { lr },
        None,
        &[],
        noise.stream(0),
    );
    assert_eq!(run.records.len(), steps + 1, "{:?}", run.stop);
    let x = x_of(&run);
    let xi: Vec<Vec2> = x
        .windows(2)
        .map(|w| (w[0] - w[1]) / lr - ellipse_grad(w[0]))
        .collect();
    // The noise is the documented stream's, to the rounding of the recovery.
    let mut draws = Draws::of(noise, 0);
    for (t, got) in xi.iter().enumerate() {
        let want = draws.next();
        assert!((got - want).norm() <= 1e-9, "step {t}: {got:?} vs {want:?}");
    }
    let n = xi.len() as f64;
    for k in 0..2 {
        let v: Vec<f64> = xi.iter().map(|p| p[k]).collect();
        let mean = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / (n - 1.0);
        assert!(
            mean.abs() <= 5.0 * sigma / n.sqrt(),
            "coordinate {k}: mean {mean}"
        );
        let se_var = sigma * sigma * (2.0 / (n - 1.0)).sqrt();
        assert!(
            (var - sigma * sigma).abs() <= 5.0 * se_var,
            "coordinate {k}: variance {var} vs {}",
            sigma * sigma
        );
        let lag1 = v
            .windows(2)
            .map(|w| (w[0] - mean) * (w[1] - mean))
            .sum::<f64>()
            / ((n - 1.0) * var);
        assert!(lag1.abs() <= 5.0 / n.sqrt(), "coordinate {k}: lag-1 {lag1}");
    }
    let cross = xi.iter().map(|p| p.x * p.y).sum::<f64>() / (n * sigma * sigma);
    assert!(cross.abs() <= 5.0 / n.sqrt(), "cross-correlation {cross}");
}

/// GD, momentum, Adam and Newton written out on the fixed ellipse with
/// their own draws of noise run 3: the library's runs must follow them.
#[test]
fn every_classical_optimizer_steps_with_the_documented_stream() {
    let noise = GradNoise::new(0.4, 21);
    let obj = ellipse();
    let x0 = Vec2::new(-5.0, 3.5);
    let steps = 60;
    let specs = every_optimizer(0.03, [0.01, 0.7], 0.2, 0.7, [0.0; 3]);
    for spec in &specs[..4] {
        let run = run_noisy(&obj, x0, steps, *spec, None, &[], noise.stream(3));
        let mut draws = Draws::of(noise, 3);
        let (mut x, mut v, mut m, mut s) = (x0, Vec2::zeros(), Vec2::zeros(), Vec2::zeros());
        let mut want = vec![x];
        for t in 1..=steps as i32 {
            let g = ellipse_grad(x) + draws.next();
            x = match *spec {
                OptimizerSpec::Gd { lr } => x - lr * g,
                OptimizerSpec::Momentum { lr, beta } => {
                    v = beta * v - lr * g;
                    x + v
                }
                OptimizerSpec::Adam {
                    lr,
                    beta1,
                    beta2,
                    eps,
                } => {
                    m = beta1 * m + (1.0 - beta1) * g;
                    s = beta2 * s + (1.0 - beta2) * g.component_mul(&g);
                    let m_hat = m / (1.0 - beta1.powi(t));
                    let s_hat = s / (1.0 - beta2.powi(t));
                    x - lr * m_hat.zip_map(&s_hat, |a, b| a / (b.sqrt() + eps))
                }
                // H = diag(0.5, 18).
                OptimizerSpec::Newton { lr } => x - lr * Vec2::new(g.x / 0.5, g.y / 18.0),
                OptimizerSpec::Alg2 { .. } => unreachable!("not in the list"),
            };
            want.push(x);
        }
        let got = x_of(&run);
        assert_eq!(got.len(), want.len(), "{}: {:?}", spec.kind(), run.stop);
        for (t, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!(
                (g - w).norm() <= 1e-11 * (1.0 + w.norm()),
                "{} step {t}: {g:?} vs {w:?}",
                spec.kind()
            );
        }
    }
}

/// Algorithm 2 on the fixed ellipse written out: `y = A⁻¹R_θAx`,
/// `x⁺ = y − α(∇f(y) + σξ)`, `θ⁺ = θ − β(∇f(x⁺) + σξ')ᵀ(I − α∇²f(y))·A⁻¹R'_θAx`,
/// two draws a step in that order.
#[test]
fn algorithm_2_draws_for_its_step_then_for_its_angle() {
    let noise = GradNoise::new(0.2, 4);
    let (lr, theta_lr, theta0) = (0.03, 0.02, 0.4);
    let obj = ellipse();
    let x0 = Vec2::new(-4.0, 2.0);
    let steps = 40;
    let spec = OptimizerSpec::Alg2 {
        lr,
        theta_lr,
        theta0,
    };
    let run = run_noisy(&obj, x0, steps, spec, None, &[], noise.stream(0));
    assert_eq!(run.records.len(), steps + 1, "{:?}", run.stop);
    let a = Mat2::new(ELLIPSE_A[0], 0.0, 0.0, ELLIPSE_A[1]);
    let a_inv = Mat2::new(1.0 / ELLIPSE_A[0], 0.0, 0.0, 1.0 / ELLIPSE_A[1]);
    let hessian = Mat2::new(0.5, 0.0, 0.0, 18.0);
    let mut draws = Draws::of(noise, 0);
    let (mut x, mut theta) = (x0, theta0);
    for (t, rec) in run.records.iter().enumerate() {
        assert!(
            (Vec2::from(rec.x) - x).norm() <= 1e-10 * (1.0 + x.norm()),
            "step {t}: x {:?} vs {x:?}",
            rec.x
        );
        let got_theta = rec.theta.unwrap();
        assert!(
            (got_theta - theta).abs() <= 1e-10,
            "step {t}: θ {got_theta} vs {theta}"
        );
        let y = a_inv * rotation(theta) * a * x;
        let dy_dtheta = a_inv * (rotation(theta + std::f64::consts::FRAC_PI_2) * (a * x));
        let x_next = y - lr * (ellipse_grad(y) + draws.next());
        let g_next = ellipse_grad(x_next) + draws.next();
        let theta_grad = g_next.dot(&((Mat2::identity() - lr * hessian) * dy_dtheta));
        x = x_next;
        theta -= theta_lr * theta_grad;
    }
}

/// Each learned variant, stepped here with `step_with_gradient` reading
/// `∇f(x) + σξ` from its own draws, must give the library's noisy run bit
/// for bit — and a different run than without noise.
#[test]
fn learned_optimizers_read_the_noisy_gradient() {
    let noise = GradNoise::new(0.1, 3);
    for family in [Family::Ellipse, Family::Rosenbrock] {
        let task = TaskDist::Mixed
            .sample_many(8, 1, Default::default())
            .remove(0);
        for variant in Variant::ALL {
            let model = learned(variant, family);
            let steps = 20;
            let run = model.trajectory_noisy(&task.objective, task.x0, steps, &[], noise.stream(2));
            let mut draws = Draws::of(noise, 2);
            let mut roll = model.start(task.x0);
            let mut want = vec![task.x0];
            for _ in 0..steps {
                let z = task.objective.grad(&roll.x) + draws.next();
                model.step_with_gradient(&task.objective, &mut roll, z, None);
                want.push(roll.x);
            }
            let got = x_of(&run);
            assert!(!got.is_empty());
            let bits = |v: &[Vec2]| -> Vec<u64> {
                v.iter()
                    .flat_map(|p| [p.x.to_bits(), p.y.to_bits()])
                    .collect()
            };
            assert_eq!(bits(&got), bits(&want[..got.len()]), "{variant} {family:?}");
            let plain = model.trajectory(&task.objective, task.x0, steps);
            assert!(!same_bits(&run, &plain), "{variant}: σ changes nothing");
        }
    }
}

/// With heavy noise, every teleport still lands where the oracle of the
/// true `f` sends the point it started from, on its level set; and every
/// record holds the true `f` and `∇f` of its iterate.
#[test]
fn teleports_and_records_use_the_true_function() {
    let obj = Preset::RosFixed.objective();
    let schedule = TeleportSchedule {
        strategy: Strategy::Oracle,
        when: When::Every(2),
    };
    let run = run_noisy(
        &obj,
        Vec2::new(-1.0, 1.5),
        30,
        OptimizerSpec::Gd { lr: 0.01 },
        Some(&schedule),
        &[],
        GradNoise::new(2.0, 1).stream(0),
    );
    let mut teleports = 0;
    for r in &run.records {
        let x = Vec2::from(r.x);
        assert_eq!(r.f.to_bits(), obj.f(&x).to_bits(), "t = {}", r.t);
        let g = obj.grad(&x);
        assert!(
            (Vec2::from(r.grad) - g).norm() <= 1e-12 * (1.0 + g.norm()),
            "t = {}",
            r.t
        );
        if let Some(from) = r.from {
            let from = Vec2::from(from);
            let want = teleport(&obj, &from, oracle(&obj, &from).theta);
            assert_eq!(
                [x.x.to_bits(), x.y.to_bits()],
                [want.x.to_bits(), want.y.to_bits()]
            );
            assert!(
                (obj.f(&from) - r.f).abs() <= 1e-9 * r.f.max(1e-12),
                "t = {}",
                r.t
            );
            teleports += 1;
        }
    }
    assert!(teleports >= 10, "{teleports} teleports: {:?}", run.stop);
}

fn net_lab(noise: serde_json::Value) -> serde_json::Value {
    json!({
        "version": 2,
        "objective": {"family": "mlp",
                      "dataset": {"kind": "moons", "points": 60, "noise": 0.1, "seed": 3},
                      "hidden": [6], "activation": "leaky_relu", "slope": 0.1, "init_seed": 5},
        "steps": 15,
        "optimizers": [{"kind": "gd", "lr": 0.5, "noise": noise}]
    })
}

/// A network row's GD steps `p − lr(∇f + σξ)`, one draw per parameter in
/// parameter order: the noise recovered from the recorded parameters and
/// the true gradient is the documented stream's.
#[test]
fn network_rows_step_with_one_draw_per_parameter() {
    let noise = GradNoise::new(0.05, 9);
    let AnyScene::Net(lab) = from_json(
        &net_lab(json!({"sigma": 0.05, "seed": 9})).to_string(),
        None,
    )
    .unwrap() else {
        panic!("not a network lab");
    };
    let run = lab.rows[0].run(&lab.task, lab.lab.steps);
    assert_eq!(run.records.len(), 16, "{:?}", run.stop);
    let mut draws = Draws::of(noise, 0);
    let mut ws = lab.task.workspace();
    let mut grad = vec![0.0; lab.task.mlp.num_params()];
    for w in run.records.windows(2) {
        lab.task.fit_grad(&w[0].params, &mut ws, &mut grad);
        for (k, g) in grad.iter().enumerate() {
            let xi = (w[0].params[k] - w[1].params[k]) / 0.5 - g;
            let want = draws.scalar();
            assert!(
                (xi - want).abs() <= 1e-9,
                "t = {} parameter {k}: {xi} vs {want}",
                w[0].t
            );
        }
    }
    // σ = 0: the noiseless run, bit for bit.
    let AnyScene::Net(quiet) =
        from_json(&net_lab(json!({"sigma": 0.0})).to_string(), None).unwrap()
    else {
        panic!("not a network lab");
    };
    let mut plain = net_lab(json!(null));
    plain["optimizers"][0]
        .as_object_mut()
        .unwrap()
        .remove("noise");
    let AnyScene::Net(plain) = from_json(&plain.to_string(), None).unwrap() else {
        panic!("not a network lab");
    };
    assert_eq!(
        format!("{:?}", quiet.rows[0].run(&quiet.task, 15)),
        format!("{:?}", plain.rows[0].run(&plain.task, 15))
    );
}

fn lab_with_rows(rows: serde_json::Value) -> serde_json::Value {
    json!({
        "version": 2,
        "objective": {"family": "ellipse", "A": [[0.5, 0.0], [0.0, 3.0]], "b": [0.0, 0.0]},
        "x0": [-5.0, 3.5],
        "steps": 12,
        "optimizers": rows
    })
}

fn refusal(text: &str) -> String {
    let e = from_json(text, None).unwrap_err().to_string();
    assert!(!e.contains('\n'), "{e}");
    e
}

#[test]
fn a_bad_sigma_is_refused_in_one_line_naming_the_field() {
    for sigma in [-1.0, 1e7, -1e-300] {
        // Numbers as the messages write them (a real minus sign, 1e7).
        let shown = teleport_core::numfmt::short(sigma);
        for row in [
            json!({"kind": "gd", "lr": 0.05, "noise": {"sigma": sigma, "seed": 1}}),
            json!({"kind": "learned", "variant": "l2o", "weights": "pretrained",
                   "noise": {"sigma": sigma}}),
        ] {
            let lab = lab_with_rows(json!([{"kind": "gd", "lr": 0.05}, row]));
            let e = refusal(&lab.to_string());
            assert!(e.contains("`optimizers[1].noise.sigma`"), "{e}");
            assert!(e.contains(&format!("got {shown}")), "{e}");
        }
        let mut net = net_lab(json!({"sigma": sigma}));
        net["optimizers"] = json!([{"kind": "gd", "lr": 0.5}, net["optimizers"][0].clone()]);
        let e = refusal(&net.to_string());
        assert!(e.contains("`optimizers[1].noise.sigma`"), "{e}");
    }
    for (noise, says) in [
        (json!({"sigma": "x"}), "invalid type"),
        (json!({"seed": 3}), "missing field `sigma`"),
        (json!({"sigma": 0.1, "sd": 3}), "unknown field `sd`"),
        (json!({"sigma": 0.1, "seed": -3}), "seed"),
        (json!(0.1), "sigma"),
    ] {
        let lab = lab_with_rows(json!([{"kind": "gd", "lr": 0.05, "noise": noise}]));
        let e = refusal(&lab.to_string());
        assert!(e.contains("noise") && e.contains(says), "{noise}: {e}");
    }
    // NaN and infinities cannot be written in JSON; the programmatic check
    // refuses them.
    for bad in [f64::NAN, f64::INFINITY, -f64::INFINITY] {
        let e = GradNoise::new(bad, 0).check().unwrap_err().to_string();
        assert!(e.contains("`sigma`"), "{e}");
    }
    // A version-1 scene has no rows to put noise on: it says where noise goes.
    let scene = json!({
        "objective": {"family": "ellipse", "A": [[0.5, 0.0], [0.0, 3.0]], "b": [0.0, 0.0]},
        "x0": [-5.0, 3.5], "steps": 5, "optimizer": {"kind": "gd", "lr": 0.05}
    });
    let mut top = scene.clone();
    top["noise"] = json!({"sigma": 0.1});
    let mut inside = scene.clone();
    inside["optimizer"]["noise"] = json!({"sigma": 0.1});
    for bad in [top, inside] {
        let e = refusal(&bad.to_string());
        assert!(e.contains("noise") && e.contains("lab file"), "{e}");
    }
}

#[test]
fn noise_round_trips_through_lab_files_and_eval_runs_noise_run_0() {
    let lab = lab_with_rows(json!([
        {"kind": "gd", "lr": 0.05, "noise": {"sigma": 0.5, "seed": 7}},
        {"kind": "gd", "lr": 0.05, "teleport": {"strategy": "oracle", "every": 5},
         "noise": {"sigma": 0.25, "seed": 18446744073709551615u64}, "label": "noisy oracle"},
        {"kind": "learned", "variant": "l2o", "weights": "pretrained", "noise": {"sigma": 0.1}},
        {"kind": "gd", "lr": 0.05, "noise": {"sigma": 0.0, "seed": 2}},
        {"kind": "gd", "lr": 0.05}
    ]));
    let AnyScene::V2(loaded) = from_json(&lab.to_string(), None).unwrap() else {
        panic!("not a lab file");
    };
    let noises: Vec<Option<GradNoise>> = loaded.rows.iter().map(|r| r.noise).collect();
    assert_eq!(
        noises,
        [
            Some(GradNoise::new(0.5, 7)),
            Some(GradNoise::new(0.25, u64::MAX)),
            Some(GradNoise::new(0.1, 0)),
            Some(GradNoise::new(0.0, 2)),
            None
        ]
    );
    let names: Vec<&str> = loaded.rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "GD lr=0.05 + noise σ=0.5",
            "noisy oracle",
            "L2O + noise σ=0.1",
            "GD lr=0.05",
            "GD lr=0.05 #2"
        ]
    );
    // Written and read again, the file is the same.
    let text = serde_json::to_string(&loaded.lab).unwrap();
    let again: LabFile = serde_json::from_str(&text).unwrap();
    assert_eq!(again, loaded.lab);
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        value["optimizers"][1]["noise"],
        json!({"sigma": 0.25, "seed": 18446744073709551615u64})
    );
    assert!(value["optimizers"][4].get("noise").is_none());
    // `eval` runs each row with noise run 0: `rng(seed)` itself.
    let runs = loaded.run();
    let x0 = Vec2::new(-5.0, 3.5);
    for (row, (name, run)) in loaded.rows.iter().zip(&runs) {
        assert_eq!(&row.name, name);
        let opt = row.optimizer().unwrap();
        let want = opt.trajectory_with(
            &loaded.objective,
            x0,
            12,
            &[],
            NoiseStream::of(row.noise.as_ref(), 0),
        );
        assert!(same_bits(run, &want), "{name}");
    }
    // Noise run 0 of seed 7 is `rng(7)`: the first GD step reads its first
    // two normals.
    let mut rng = teleport_core::rng(7);
    let (zx, zy): (f64, f64) = (rng.sample(StandardNormal), rng.sample(StandardNormal));
    let x1 = x0 - 0.05 * (ellipse_grad(x0) + 0.5 * Vec2::new(zx, zy));
    assert!((Vec2::from(runs[0].1.records[1].x) - x1).norm() <= 1e-14);
    assert!(
        same_bits(&runs[3].1, &runs[4].1),
        "σ = 0 is the noiseless row"
    );
}

/// The numpy "linear" quantile of a sample, written out.
fn linear_quantile(values: &[f64], q: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let pos = q * (v.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(v.len() - 1);
    v[lo] + (pos - lo as f64) * (v[hi] - v[lo])
}

#[test]
fn across_noise_seeds_is_the_statistics_of_independent_single_runs() {
    let noise = GradNoise::new(0.3, 12);
    let task = Task {
        objective: Preset::RosFixed.objective(),
        x0: Vec2::new(-1.0, 1.5),
    };
    let (steps, seeds) = (15, 9);
    let never = AtomicBool::new(false);
    for opt in [
        classical(
            OptimizerSpec::Gd { lr: 0.05 },
            Some(TeleportSchedule {
                strategy: Strategy::Oracle,
                when: When::Every(4),
            }),
        ),
        AnyOptimizer::Learned {
            name: "lr-tele".into(),
            model: learned(Variant::LrTele, Family::Rosenbrock),
        },
    ] {
        let stats = across_noise_seeds(&opt, &noise, &task, steps, seeds, 1, &never).unwrap();
        let again = across_noise_seeds(&opt, &noise, &task, steps, seeds, 3, &never).unwrap();
        assert_eq!(format!("{stats:?}"), format!("{again:?}"), "threads");
        // Sample j is a single run with the generator rng(seed ^ mix(j)).
        let singles: Vec<Vec<f64>> = (0..seeds as u64)
            .map(|j| {
                let mut draws = Draws::of(noise, j);
                let stream_check = noise.stream(j).draw().unwrap();
                assert_eq!(stream_check, draws.next());
                opt.trajectory_with(&task.objective, task.x0, steps, &[], noise.stream(j))
                    .losses()
            })
            .collect();
        assert_eq!(stats.len(), steps + 1);
        let mut spread = 0.0;
        for s in &stats {
            let values: Vec<f64> = singles.iter().filter_map(|l| l.get(s.t).copied()).collect();
            assert_eq!(s.runs, values.len());
            assert_eq!(s.diverged, seeds - values.len());
            for (got, q) in [(s.median, 0.5), (s.q25, 0.25), (s.q75, 0.75)] {
                let want = linear_quantile(&values, q);
                assert!(
                    (got - want).abs() <= 1e-12 * want.abs(),
                    "t = {}: {got} vs {want}",
                    s.t
                );
            }
            let mean = values.iter().sum::<f64>() / values.len() as f64;
            assert!((s.mean - mean).abs() <= 1e-12 * mean.abs());
            spread += s.q75 - s.q25;
        }
        assert!(spread > 0.0, "{}: the seeds give the same runs", opt.name());
        // Sample 0 is the run `eval` prints.
        let single = opt.trajectory_with(&task.objective, task.x0, steps, &[], noise.stream(0));
        assert_eq!(single.losses(), singles[0]);
        let stop = AtomicBool::new(true);
        assert!(across_noise_seeds(&opt, &noise, &task, steps, seeds, 2, &stop).is_none());
    }
}

#[test]
fn evaluate_and_basin_maps_draw_the_documented_runs() {
    let noise = GradNoise::new(0.2, 40);
    let tasks = TaskDist::ElliVary.sample_many(6, 7, Default::default());
    let opt = classical(
        OptimizerSpec::Momentum {
            lr: 0.02,
            beta: 0.6,
        },
        None,
    );
    let steps = 10;
    // Test task i draws noise run i.
    let stats = evaluate_noisy(&opt, Some(&noise), &tasks, steps, 3);
    let last: Vec<f64> = tasks
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let run = opt.trajectory_with(&t.objective, t.x0, steps, &[], noise.stream(i as u64));
            run.records[steps].f
        })
        .collect();
    assert_eq!(stats[steps].median, linear_quantile(&last, 0.5));
    let never = AtomicBool::new(false);
    let until = evaluate_until_noisy(&opt, Some(&noise), &tasks, steps, &never).unwrap();
    assert_eq!(format!("{stats:?}"), format!("{until:?}"));
    // Every start of a basin map draws noise run 0.
    let grid = BasinGrid {
        x: (-6.0, 6.0),
        y: (-4.0, 4.0),
        n: 5,
    };
    let obj = ellipse();
    let rows = [
        opt.clone(),
        AnyOptimizer::Learned {
            name: "l2o-tele".into(),
            model: learned(Variant::L2oTele, Family::Ellipse),
        },
    ];
    for row in &rows {
        let map = basin_noisy(row, Some(&noise), &obj, &grid, steps, 1e-3, &never, 2).unwrap();
        let plain = basin_pooled(row, &obj, &grid, steps, 1e-3, &never, 1).unwrap();
        assert_ne!(map.cells, plain.cells, "{}", row.name());
        for (start, cell) in grid.starts().iter().zip(&map.cells) {
            let run = row.trajectory_with(&obj, *start, steps, &[], noise.stream(0));
            let want = run.records[steps].f;
            match row {
                AnyOptimizer::Classical { .. } => assert_eq!(cell.f, want),
                // Batched networks agree with single runs to f32 round-off.
                AnyOptimizer::Learned { .. } => assert!(
                    (cell.f - want).abs() <= 1e-3 * want.max(1e-6),
                    "{start:?}: {} vs {want}",
                    cell.f
                ),
            }
        }
    }
}
