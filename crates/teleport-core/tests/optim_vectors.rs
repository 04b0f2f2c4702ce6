//! The first-order optimizers' update math is shared by the 2D optimizer
//! and by parameter vectors of any length: the 2D runs must be what they
//! were (compared with a copy of the formulas as they were written before
//! they were shared, in nalgebra's `Vector2` arithmetic), and a vector run
//! must agree with an independent implementation written here.
#![allow(clippy::unwrap_used, reason = "tests panic on failure")]

use teleport_core::objective::{Objective, Preset, Task, TaskDist, Vec2};
use teleport_core::optim::{
    FirstOrder, NotFirstOrder, OptimizerSpec, TeleportSchedule, VecOptimizer, When, run,
};
use teleport_core::symmetry::{Strategy, teleport};

/// The 2D optimizer as it was before its update math was shared: each
/// formula on whole `Vector2`s.
struct OldOptimizer {
    spec: OptimizerSpec,
    velocity: Vec2,
    m: Vec2,
    v: Vec2,
    t: u32,
}

impl OldOptimizer {
    fn new(spec: OptimizerSpec) -> Self {
        Self {
            spec,
            velocity: Vec2::zeros(),
            m: Vec2::zeros(),
            v: Vec2::zeros(),
            t: 0,
        }
    }

    fn step(&mut self, obj: &Objective, x: &Vec2) -> Vec2 {
        match self.spec {
            OptimizerSpec::Gd { lr } => x - lr * obj.grad(x),
            OptimizerSpec::Momentum { lr, beta } => {
                self.velocity = beta * self.velocity - lr * obj.grad(x);
                x + self.velocity
            }
            OptimizerSpec::Adam {
                lr,
                beta1,
                beta2,
                eps,
            } => {
                let g = obj.grad(x);
                self.t = self.t.saturating_add(1);
                self.m = beta1 * self.m + (1.0 - beta1) * g;
                self.v = beta2 * self.v + (1.0 - beta2) * g.component_mul(&g);
                let t = self.t as i32;
                let m_hat = self.m / (1.0 - beta1.powi(t));
                let v_hat = self.v / (1.0 - beta2.powi(t));
                x - lr * m_hat.zip_map(&v_hat, |m, v| m / (v.sqrt() + eps))
            }
            _ => unreachable!("first-order optimizers only"),
        }
    }
}

/// A run with the old optimizer: the iterates, teleported by the oracle at
/// the schedule's steps as `optim::run` does, until one is not finite.
fn old_run(
    obj: &Objective,
    x0: Vec2,
    steps: usize,
    spec: OptimizerSpec,
    every: Option<usize>,
) -> Vec<Vec2> {
    let mut opt = OldOptimizer::new(spec);
    let mut x = x0;
    let mut out = Vec::new();
    for t in 0..=steps {
        if t < steps
            && let Some(k) = every
            && t > 0
            && t % k == 0
        {
            let theta = Strategy::Oracle.angle(obj, &x);
            x = teleport(obj, &x, theta);
        }
        let (f, g) = obj.f_grad(&x);
        if !(x.iter().chain(g.iter()).all(|v| v.is_finite()) && f.is_finite()) {
            break;
        }
        out.push(x);
        if t == steps {
            break;
        }
        x = opt.step(obj, &x);
    }
    out
}

fn first_order_specs() -> [OptimizerSpec; 5] {
    [
        OptimizerSpec::Gd { lr: 0.01 },
        OptimizerSpec::Momentum {
            lr: 0.005,
            beta: 0.6,
        },
        OptimizerSpec::adam(0.1),
        OptimizerSpec::Adam {
            lr: 0.03,
            beta1: 0.5,
            beta2: 0.9,
            eps: 1e-3,
        },
        // Large enough to diverge on some tasks: the stop must agree too.
        OptimizerSpec::Gd { lr: 0.3 },
    ]
}

fn tasks() -> Vec<Task> {
    let mut tasks = TaskDist::ElliVary.sample_many(1, 12, Default::default());
    tasks.extend(TaskDist::RosVary.sample_many(2, 12, Default::default()));
    tasks.extend(Preset::ALL.map(|p| Task {
        objective: p.objective(),
        x0: p.default_x0(),
    }));
    tasks
}

#[test]
fn two_d_runs_are_bit_identical_to_the_formulas_before_they_were_shared() {
    let schedule = TeleportSchedule {
        strategy: Strategy::Oracle,
        when: When::Every(7),
    };
    let mut compared = 0;
    for spec in first_order_specs() {
        for task in tasks() {
            for every in [None, Some(7)] {
                let new = run(
                    &task.objective,
                    task.x0,
                    150,
                    spec,
                    every.map(|_| &schedule),
                );
                let old = old_run(&task.objective, task.x0, 150, spec, every);
                assert_eq!(new.records.len(), old.len(), "{spec:?} from {:?}", task.x0);
                for (r, x) in new.records.iter().zip(&old) {
                    assert_eq!(
                        r.x.map(f64::to_bits),
                        [x.x.to_bits(), x.y.to_bits()],
                        "{spec:?} at t = {}",
                        r.t
                    );
                    compared += 1;
                }
            }
        }
    }
    assert!(compared > 10_000, "only {compared} iterates compared");
}

/// GD, momentum and Adam on a vector, written out here from their
/// textbook definitions (Adam: Kingma & Ba, Algorithm 1).
fn reference_step(
    rule: FirstOrder,
    x: &mut [f64],
    g: &[f64],
    state: &mut (Vec<f64>, Vec<f64>, i32),
) {
    let (a, b, t) = state;
    match rule {
        FirstOrder::Gd { lr } => {
            for i in 0..x.len() {
                x[i] -= lr * g[i];
            }
        }
        FirstOrder::Momentum { lr, beta } => {
            for i in 0..x.len() {
                a[i] = beta * a[i] - lr * g[i];
                x[i] += a[i];
            }
        }
        FirstOrder::Adam {
            lr,
            beta1,
            beta2,
            eps,
        } => {
            *t += 1;
            for i in 0..x.len() {
                a[i] = beta1 * a[i] + (1.0 - beta1) * g[i];
                b[i] = beta2 * b[i] + (1.0 - beta2) * g[i] * g[i];
                let m_hat = a[i] / (1.0 - beta1.powi(*t));
                let v_hat = b[i] / (1.0 - beta2.powi(*t));
                x[i] -= lr * m_hat / (v_hat.sqrt() + eps);
            }
        }
    }
}

#[test]
fn vector_optimizers_agree_with_an_independent_implementation() {
    // f(x) = Σ cᵢ (xᵢ − i/10)² + 0.1 Σ xᵢ⁴ on 37 coordinates: curvatures
    // spread over two orders of magnitude.
    let n = 37;
    let c: Vec<f64> = (0..n).map(|i| 0.05 + 5.0 * (i as f64 / n as f64)).collect();
    let grad = |x: &[f64], g: &mut [f64]| {
        for i in 0..n {
            let d = x[i] - i as f64 / 10.0;
            g[i] = 2.0 * c[i] * d + 0.4 * x[i].powi(3);
        }
    };
    for spec in first_order_specs() {
        let rule = spec.first_order().unwrap();
        let mut opt = VecOptimizer::new(spec, n).unwrap();
        let mut x: Vec<f64> = (0..n).map(|i| ((i * 7) % 5) as f64 - 2.0).collect();
        let mut y = x.clone();
        let mut state = (vec![0.0; n], vec![0.0; n], 0);
        let (mut gx, mut gy) = (vec![0.0; n], vec![0.0; n]);
        for step in 0..200 {
            grad(&x, &mut gx);
            grad(&y, &mut gy);
            opt.step(&mut x, &gx);
            reference_step(rule, &mut y, &gy, &mut state);
            for i in 0..n {
                let scale = 1.0 + y[i].abs();
                assert!(
                    x[i] == y[i]
                        || (x[i] - y[i]).abs() <= 1e-12 * scale
                        || (x[i].is_nan() && y[i].is_nan()),
                    "{spec:?} step {step}, x[{i}] = {} vs {}",
                    x[i],
                    y[i]
                );
            }
        }
    }
}

#[test]
fn newton_and_algorithm_2_are_refused_for_vectors_with_a_reason() {
    let e = VecOptimizer::new(OptimizerSpec::Newton { lr: 1.0 }, 10).unwrap_err();
    assert_eq!(e, NotFirstOrder::Newton);
    assert!(e.to_string().contains("indefinite"), "{e}");
    let e = VecOptimizer::new(
        OptimizerSpec::Alg2 {
            lr: 0.1,
            theta_lr: 0.1,
            theta0: 0.0,
        },
        10,
    )
    .unwrap_err();
    assert_eq!(e, NotFirstOrder::Alg2);
    assert!(e.to_string().contains("rotation"), "{e}");
    assert!(!e.to_string().contains('\n'));
}
