//! The network core against independent computations: a 2-2-1 net worked
//! out by hand, central finite differences of the loss and of `‖∇f‖²`
//! along the rescaling group, brute force over the oracle's box, dense
//! scans of one unit's curve, and a naive per-point forward pass.
#![allow(clippy::unwrap_used, reason = "tests panic on failure")]

use std::sync::Arc;

use rand::RngExt as _;
use teleport_core::net::mlp::{Activation, Mlp, sigmoid};
use teleport_core::net::rescale::{
    DEFAULT_MAX_LOG_SCALE, NetStrategy, OrbitGradient, TeleportError, Unit, UnitCurve, oracle,
    rescale, tangent,
};
use teleport_core::net::run::{NetSchedule, norm, run, run_with_teleports};
use teleport_core::net::{Dataset, Generator, NetTask};
use teleport_core::optim::{OptimizerSpec, Stop, VecOptimizer, When};

fn leaky(slope: f64) -> Activation {
    Activation::LeakyRelu { slope }
}

/// `f` and `∇f` by the library.
fn f_grad(mlp: &Mlp, params: &[f64], data: &Dataset) -> (f64, Vec<f64>) {
    let mut ws = mlp.workspace();
    let mut g = vec![0.0; params.len()];
    let fit = mlp.fit_grad(params, data, &mut ws, &mut g);
    (fit.f, g)
}

fn random_params(mlp: &Mlp, seed: u64) -> Vec<f64> {
    let mut rng = teleport_core::rng(seed);
    (0..mlp.num_params())
        .map(|_| rng.random_range(-1.5..1.5))
        .collect()
}

fn random_data(n: usize, seed: u64) -> Dataset {
    let mut rng = teleport_core::rng(seed);
    let x: Vec<[f64; 2]> = (0..n)
        .map(|_| [rng.random_range(-2.0..2.0), rng.random_range(-2.0..2.0)])
        .collect();
    let y: Vec<u8> = (0..n).map(|i| (i % 3 == 0) as u8).collect();
    Dataset::new(&x, &y).unwrap()
}

/// Every architecture the tests try: one to three hidden layers, both
/// activations.
fn architectures() -> Vec<Mlp> {
    vec![
        Mlp::new(&[5], leaky(0.1)).unwrap(),
        Mlp::new(&[7], Activation::Relu).unwrap(),
        Mlp::new(&[4, 3], leaky(0.2)).unwrap(),
        Mlp::new(&[3, 5, 2], leaky(0.05)).unwrap(),
        Mlp::new(&[6, 4], Activation::Relu).unwrap(),
    ]
}

#[test]
fn parameters_are_laid_out_layer_by_layer_weights_row_major_then_bias() {
    let mlp = Mlp::new(&[3, 4], leaky(0.1)).unwrap();
    // W1 3×2, b1 3, W2 4×3, b2 4, W3 1×4, b3 1.
    let want = [(2, 3, 0, 6), (3, 4, 9, 21), (4, 1, 25, 29)];
    let got: Vec<_> = mlp
        .layers()
        .iter()
        .map(|l| (l.inputs, l.outputs, l.weights, l.bias))
        .collect();
    assert_eq!(got, want);
    assert_eq!(mlp.num_params(), 30);
    assert_eq!(mlp.num_hidden_units(), 7);
    assert_eq!(mlp.shape(), "2-3-4-1");
    assert_eq!(
        Mlp::new(&[16], leaky(0.1)).unwrap().num_params(),
        4 * 16 + 1
    );
    // Weight W2[j, i] is read from index 9 + 3j + i: setting only
    // W2[1, 2] and b3 = 0 with W3 = e₂ makes the logit W2[1,2]·a1[2].
    let mut params = vec![0.0; 30];
    params[4] = 1.0; // W1[2, 0]: a1[2] = x1 for x1 > 0
    params[9 + 3 + 2] = 2.0; // W2[1, 2]
    params[25 + 1] = 1.0; // W3[0, 1]
    let logit = mlp.logits_of(&params, &[0.5], &[0.0])[0];
    assert_eq!(logit, 2.0 * 0.5);
    // The He/LeCun bounds of the initial draws, and zero biases.
    let init = Mlp::new(&[64, 8], leaky(0.1)).unwrap();
    let p = init.init(1);
    let layers = init.layers();
    for (l, layer) in layers.iter().enumerate() {
        let gain: f64 = if l + 1 == layers.len() { 3.0 } else { 6.0 };
        let bound = (gain / layer.inputs as f64).sqrt();
        let w = &p[layer.weights..layer.bias];
        assert!(w.iter().all(|v| v.abs() < bound));
        // Spread over the interval: the largest within 10 % of its end.
        let largest = w.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(largest > 0.9 * bound || w.len() < 20, "layer {l}");
        assert!(
            p[layer.bias..layer.bias + layer.outputs]
                .iter()
                .all(|&b| b == 0.0)
        );
    }
    assert_eq!(init.init(1), p);
    assert_ne!(init.init(2), p);
}

#[test]
fn a_2_2_1_net_on_three_points_matches_the_loss_and_gradient_worked_by_hand() {
    // W1 = [[0.5, −1], [1.5, 0.25]], b1 = [0.1, −0.2], W2 = [2, −0.5],
    // b2 = 0.3, LeakyReLU slope 0.1; points (1, 2)→1, (−1, 0.5)→0,
    // (0.3, −0.7)→1.
    let params = [0.5, -1.0, 1.5, 0.25, 0.1, -0.2, 2.0, -0.5, 0.3];
    let mlp = Mlp::new(&[2], leaky(0.1)).unwrap();
    let data = Dataset::new(&[[1.0, 2.0], [-1.0, 0.5], [0.3, -0.7]], &[1, 0, 1]).unwrap();
    let (f, g) = f_grad(&mlp, &params, &data);

    // Point by point, written out.
    let act = |z: f64| if z > 0.0 { z } else { 0.1 * z };
    let dact = |z: f64| if z > 0.0 { 1.0 } else { 0.1 };
    let mut f_hand = 0.0;
    let mut g_hand = [0.0; 9];
    for (&(x, y), label) in [(1.0, 2.0), (-1.0, 0.5), (0.3, -0.7)]
        .iter()
        .zip([1.0, 0.0, 1.0])
    {
        let z1 = 0.5 * x - 1.0 * y + 0.1;
        let z2 = 1.5 * x + 0.25 * y - 0.2;
        let (a1, a2) = (act(z1), act(z2));
        let z = 2.0 * a1 - 0.5 * a2 + 0.3;
        let p = 1.0 / (1.0 + (-z).exp());
        f_hand += -(label * p.ln() + (1.0 - label) * (1.0 - p).ln()) / 3.0;
        let dz = (p - label) / 3.0;
        let (d1, d2) = (dz * 2.0 * dact(z1), dz * -0.5 * dact(z2));
        let point = [d1 * x, d1 * y, d2 * x, d2 * y, d1, d2, dz * a1, dz * a2, dz];
        for (h, p) in g_hand.iter_mut().zip(point) {
            *h += p;
        }
    }
    assert!((f - f_hand).abs() < 1e-14, "f = {f}, by hand {f_hand}");
    for k in 0..9 {
        assert!(
            (g[k] - g_hand[k]).abs() < 1e-14,
            "∂f/∂θ[{k}] = {}, by hand {}",
            g[k],
            g_hand[k]
        );
    }
    let fit = mlp.fit(&params, &data, &mut mlp.workspace());
    // By hand for the first point: z1 = 0.5 − 2 + 0.1 = −1.4, z2 = 1.5 +
    // 0.5 − 0.2 = 1.8, a = (−0.14, 1.8), z = −0.28 − 0.9 + 0.3 = −0.88.
    let logits = mlp.logits(&params, &data);
    assert!((logits[0] - -0.88).abs() < 1e-14, "{}", logits[0]);
    let correct = logits
        .iter()
        .zip(data.labels())
        .filter(|(z, y)| (**z > 0.0) == (**y == 1))
        .count();
    assert_eq!(fit.accuracy, correct as f64 / 3.0);
}

#[test]
fn gradients_match_central_finite_differences_on_every_architecture() {
    // 300 points: more than one chunk of 256.
    let data = random_data(300, 1);
    for (a, mlp) in architectures().iter().enumerate() {
        let params = random_params(mlp, 10 + a as u64);
        let (_, g) = f_grad(mlp, &params, &data);
        let h = 1e-6;
        for k in 0..mlp.num_params() {
            let mut p = params.clone();
            p[k] += h;
            let up = f_grad(mlp, &p, &data).0;
            p[k] -= 2.0 * h;
            let down = f_grad(mlp, &p, &data).0;
            let fd = (up - down) / (2.0 * h);
            assert!(
                (g[k] - fd).abs() <= 1e-7 * (1.0 + fd.abs()),
                "{} θ[{k}]: backprop {}, finite differences {fd}",
                mlp.shape(),
                g[k]
            );
        }
    }
}

/// The logits by a naive per-point pass, written independently of the
/// library's chunked one.
fn naive_logit(mlp: &Mlp, params: &[f64], x: [f64; 2]) -> f64 {
    let slope = mlp.activation().slope();
    let mut a = x.to_vec();
    for (l, layer) in mlp.layers().iter().enumerate() {
        let mut z = Vec::new();
        for j in 0..layer.outputs {
            let mut s = params[layer.bias + j];
            for (i, ai) in a.iter().enumerate() {
                s += params[layer.weights + j * layer.inputs + i] * ai;
            }
            let last = l + 1 == mlp.layers().len();
            z.push(if last || s > 0.0 { s } else { slope * s });
        }
        a = z;
    }
    a[0]
}

#[test]
fn logits_loss_and_the_probability_grid_match_a_naive_forward_pass() {
    let data = random_data(700, 2);
    for mlp in architectures() {
        let params = random_params(&mlp, 3);
        let logits = mlp.logits(&params, &data);
        let mut loss = 0.0;
        for (i, &z) in logits.iter().enumerate() {
            let want = naive_logit(&mlp, &params, data.point(i));
            assert!(
                (z - want).abs() <= 1e-12 * (1.0 + want.abs()),
                "{z} vs {want}"
            );
            let y = f64::from(data.labels()[i]);
            // The cross-entropy in its textbook form (fine at these logits).
            let p = 1.0 / (1.0 + (-want).exp());
            loss -= y * p.ln() + (1.0 - y) * (1.0 - p).ln();
        }
        let f = mlp.fit(&params, &data, &mut mlp.workspace()).f;
        assert!((f - loss / 700.0).abs() < 1e-12 * (1.0 + f), "{f}");
        let grid = mlp.probability_grid(&params, [-2.0, -1.0], [3.0, 1.5], 37, 23);
        assert_eq!(grid.values.len(), 37 * 23);
        for j in [0, 11, 22] {
            for i in [0, 17, 36] {
                let [x, y] = grid.point(i as f64, j as f64);
                let want = 1.0 / (1.0 + (-naive_logit(&mlp, &params, [x, y])).exp());
                let got = grid.values[j * 37 + i];
                assert!(
                    (got - want).abs() < 1e-12,
                    "cell ({i}, {j}): {got} vs {want}"
                );
            }
        }
    }
}

#[test]
fn the_loss_is_stable_at_huge_logits() {
    // Logits of ±1000: the naive form overflows, the library's does not.
    let mlp = Mlp::new(&[1], Activation::Relu).unwrap();
    let data = Dataset::new(&[[1.0, 0.0], [-1.0, 0.0]], &[1, 0]).unwrap();
    // Unit = relu(x1), logit = 2000·unit − 1000: +1000 at (1, 0), −1000 at (−1, 0).
    let right = [1.0, 0.0, 0.0, 2000.0, -1000.0];
    let (f, g) = f_grad(&mlp, &right, &data);
    assert_eq!(f, 0.0, "e^{{−1000}} underflows: each point costs 0");
    assert!(g.iter().all(|v| v.is_finite()));
    // Labels swapped: each point costs its logit's size, 1000.
    let wrong = Dataset::new(&[[1.0, 0.0], [-1.0, 0.0]], &[0, 1]).unwrap();
    let (f, _) = f_grad(&mlp, &right, &wrong);
    assert!((f - 1000.0).abs() < 1e-9, "{f}");
    assert_eq!(sigmoid(800.0), 1.0);
    assert_eq!(sigmoid(-800.0), 0.0);
    // σ(−40) = e⁻⁴⁰/(1 + e⁻⁴⁰), where 1 − σ(40) would round to 0.
    let tiny = (-40.0f64).exp();
    assert!((sigmoid(-40.0) - tiny / (1.0 + tiny)).abs() <= 1e-15 * tiny);
}

#[test]
fn rescaled_parameters_keep_f_and_every_logit() {
    let data = random_data(300, 4);
    for (a, mlp) in architectures().iter().enumerate() {
        let params = random_params(mlp, 20 + a as u64);
        let mut rng = teleport_core::rng(a as u64);
        let s: Vec<f64> = (0..mlp.num_hidden_units())
            .map(|_| rng.random_range(-2.0..2.0))
            .collect();
        let mut moved = vec![0.0; params.len()];
        rescale(mlp, &params, &s, &mut moved);
        assert_ne!(moved, params);
        let (f0, _) = f_grad(mlp, &params, &data);
        let (f1, _) = f_grad(mlp, &moved, &data);
        assert!(
            (f1 - f0).abs() <= 1e-12 * f0,
            "{}: {f0} → {f1}",
            mlp.shape()
        );
        let (z0, z1) = (mlp.logits(&params, &data), mlp.logits(&moved, &data));
        let scale = z0.iter().fold(1.0f64, |m, z| m.max(z.abs()));
        for (p, q) in z0.iter().zip(&z1) {
            assert!((p - q).abs() <= 1e-12 * scale, "{p} vs {q}");
        }
        // Back again with −s.
        let back: Vec<f64> = s.iter().map(|v| -v).collect();
        let mut round = vec![0.0; params.len()];
        rescale(mlp, &moved, &back, &mut round);
        for (p, q) in params.iter().zip(&round) {
            assert!((p - q).abs() <= 1e-13 * (1.0 + p.abs()));
        }
    }
}

#[test]
fn the_gradient_along_the_orbit_and_its_derivative_match_finite_differences() {
    let data = random_data(200, 5);
    for (a, mlp) in architectures().iter().enumerate() {
        let params = random_params(mlp, 30 + a as u64);
        let (_, g) = f_grad(mlp, &params, &data);
        let mut orbit = OrbitGradient::new(mlp, &g);
        let mut rng = teleport_core::rng(100 + a as u64);
        let units = mlp.num_hidden_units();
        let s: Vec<f64> = (0..units).map(|_| rng.random_range(-0.7..0.7)).collect();
        // ‖∇f‖² at the rescaled point by backpropagation there.
        let backprop = |s: &[f64]| {
            let mut moved = vec![0.0; params.len()];
            rescale(mlp, &params, s, &mut moved);
            let (_, g) = f_grad(mlp, &moved, &data);
            g.iter().map(|v| v * v).sum::<f64>()
        };
        let mut ds = vec![0.0; units];
        let value = orbit.grad_norm_sq_and_derivative(&s, &mut ds);
        let direct = backprop(&s);
        assert!(
            (value - direct).abs() <= 1e-10 * direct,
            "{value} vs {direct}"
        );
        assert_eq!(value, orbit.grad_norm_sq(&s));
        let h = 1e-5;
        for u in 0..units {
            let mut p = s.clone();
            p[u] += h;
            let up = backprop(&p);
            p[u] -= 2.0 * h;
            let down = backprop(&p);
            let fd = (up - down) / (2.0 * h);
            assert!(
                (ds[u] - fd).abs() <= 1e-6 * (value + fd.abs()),
                "{} ∂G/∂s[{u}] = {}, finite differences {fd}",
                mlp.shape(),
                ds[u]
            );
        }
        // The action's own derivative: d/dε rescale(θ, s + ε·v).
        let v: Vec<f64> = (0..units).map(|_| rng.random_range(-1.0..1.0)).collect();
        let mut at = vec![0.0; params.len()];
        rescale(mlp, &params, &s, &mut at);
        let mut jvp = vec![0.0; params.len()];
        tangent(mlp, &at, &v, &mut jvp);
        let shifted = |e: f64| {
            let p: Vec<f64> = s.iter().zip(&v).map(|(s, v)| s + e * v).collect();
            let mut out = vec![0.0; params.len()];
            rescale(mlp, &params, &p, &mut out);
            out
        };
        let (up, down) = (shifted(h), shifted(-h));
        for k in 0..params.len() {
            let fd = (up[k] - down[k]) / (2.0 * h);
            assert!((jvp[k] - fd).abs() <= 1e-7 * (1.0 + fd.abs()), "θ[{k}]");
        }
    }
}

/// `‖∇f‖²` by backpropagation after rescaling by `s`.
fn grad_norm_sq_at(mlp: &Mlp, params: &[f64], data: &Dataset, s: &[f64]) -> (f64, f64) {
    let mut moved = vec![0.0; params.len()];
    rescale(mlp, params, s, &mut moved);
    let (f, g) = f_grad(mlp, &moved, data);
    (f, g.iter().map(|v| v * v).sum())
}

#[test]
fn the_oracle_is_the_best_corner_of_its_box_for_one_hidden_layer() {
    let data = random_data(150, 6);
    for (seed, activation) in [(0, leaky(0.1)), (1, Activation::Relu), (2, leaky(0.3))] {
        let mlp = Mlp::new(&[6], activation).unwrap();
        let params = random_params(&mlp, 40 + seed);
        let (f0, g) = f_grad(&mlp, &params, &data);
        let bound = 0.8;
        let found = oracle(&mlp, &g, bound).unwrap();
        // Brute force: all 2⁶ corners, by backpropagation.
        let mut best = 0.0f64;
        for mask in 0..64u32 {
            let s: Vec<f64> = (0..6)
                .map(|u| if mask >> u & 1 == 1 { bound } else { -bound })
                .collect();
            best = best.max(grad_norm_sq_at(&mlp, &params, &data, &s).1);
        }
        let (f1, got) = grad_norm_sq_at(&mlp, &params, &data, &found.log_scales);
        assert!(
            (got - best).abs() <= 1e-10 * best,
            "oracle {got} vs the best corner {best}"
        );
        assert!((found.grad_norm_sq_after - got).abs() <= 1e-10 * got);
        assert!((f1 - f0).abs() <= 1e-9 * f0, "f {f0} → {f1}");
        assert!(found.steps <= 2, "{} steps", found.steps);
    }
}

#[test]
fn the_oracle_never_lowers_the_gradient_and_ends_at_a_local_maximum_of_its_box() {
    let data = random_data(200, 7);
    for (a, mlp) in architectures().iter().enumerate() {
        for seed in 0..3 {
            let params = random_params(mlp, 50 + 10 * a as u64 + seed);
            let (f0, g) = f_grad(mlp, &params, &data);
            let before: f64 = g.iter().map(|v| v * v).sum();
            let found = oracle(mlp, &g, DEFAULT_MAX_LOG_SCALE).unwrap();
            let (f1, after) = grad_norm_sq_at(mlp, &params, &data, &found.log_scales);
            assert!(after >= before, "{}: ‖∇f‖² {before} → {after}", mlp.shape());
            assert!((f1 - f0).abs() <= 1e-9 * f0);
            if found.steps == 20 {
                continue;
            }
            // Each log-scale sits at a wall with ∂G/∂s pointing out of
            // the box (by finite differences of backpropagation), or its
            // derivative is 0.
            let h = 1e-6;
            for u in 0..mlp.num_hidden_units() {
                let mut p = found.log_scales.clone();
                p[u] += h;
                let up = grad_norm_sq_at(mlp, &params, &data, &p).1;
                p[u] -= 2.0 * h;
                let down = grad_norm_sq_at(mlp, &params, &data, &p).1;
                let d = (up - down) / (2.0 * h);
                let s = found.log_scales[u];
                let tol = 1e-6 * after;
                let outward = (s == DEFAULT_MAX_LOG_SCALE && d >= -tol)
                    || (s == -DEFAULT_MAX_LOG_SCALE && d <= tol)
                    || d.abs() <= tol;
                assert!(outward, "{} unit {u}: s = {s}, ∂G/∂s = {d}", mlp.shape());
            }
        }
    }
}

#[test]
fn one_units_curve_matches_a_dense_scan_of_backpropagation() {
    let data = random_data(200, 8);
    let mlp = Mlp::new(&[4, 3], leaky(0.1)).unwrap();
    let params = random_params(&mlp, 60);
    let (f0, g) = f_grad(&mlp, &params, &data);
    for unit in [Unit { layer: 0, index: 2 }, Unit { layer: 1, index: 0 }] {
        let curve = UnitCurve::of(&mlp, &g, unit).unwrap();
        let position = mlp.unit_position(unit).unwrap();
        let (lo, hi) = (-1.5, 1.0);
        let mut scan = Vec::new();
        for k in 0..=400 {
            let theta = lo + (hi - lo) * k as f64 / 400.0;
            let mut s = vec![0.0; mlp.num_hidden_units()];
            s[position] = theta;
            let (f, g2) = grad_norm_sq_at(&mlp, &params, &data, &s);
            assert!((f - f0).abs() <= 1e-9 * f0);
            let want = g2.sqrt();
            let got = curve.grad_norm(theta);
            assert!(
                (got - want).abs() <= 1e-10 * want,
                "θ = {theta}: {got} vs {want}"
            );
            scan.push((theta, want));
        }
        let best = scan
            .iter()
            .fold((0.0, 0.0), |b, &p| if p.1 > b.1 { p } else { b });
        assert_eq!(curve.argmax(lo, hi), best.0, "{unit:?}");
        let least = scan
            .iter()
            .fold((0.0, f64::INFINITY), |b, &p| if p.1 < b.1 { p } else { b });
        let balanced = curve.balanced().unwrap();
        if (lo..=hi).contains(&balanced) {
            // The scan's spacing is 2.5/400.
            assert!(
                (balanced - least.0).abs() <= 2.5 / 400.0,
                "{balanced} vs {}",
                least.0
            );
        }
        let samples = curve.sample(lo, hi, 5);
        assert_eq!(samples.len(), 5);
        assert_eq!((samples[0].0, samples[4].0), (lo, hi));
    }
    assert!(matches!(
        UnitCurve::of(&mlp, &g, Unit { layer: 1, index: 3 }),
        Err(TeleportError::NoSuchUnit { .. })
    ));
    assert!(UnitCurve::of(&mlp, &g, Unit { layer: 2, index: 0 }).is_err());
}

fn moons_task(hidden: &[usize]) -> NetTask {
    let data = Generator::Moons.generate(120, 0.1, 3).unwrap();
    NetTask::new(Arc::new(data), Mlp::new(hidden, leaky(0.1)).unwrap(), 5)
}

#[test]
fn runs_record_teleports_after_they_happen_and_keep_f_there() {
    let task = moons_task(&[8]);
    let gd = OptimizerSpec::Gd { lr: 0.5 };
    let plain = run(&task, 20, gd, None).unwrap();
    assert_eq!(plain.records.len(), 21);
    assert!(plain.stop.is_none());
    assert!(plain.records.iter().all(|r| !r.teleported));
    // GD by hand: θ₁ = θ₀ − lr·∇f(θ₀).
    let (_, g0) = f_grad(&task.mlp, &task.init, &task.data);
    for (k, p) in plain.records[1].params.iter().enumerate() {
        assert_eq!(*p, task.init[k] - 0.5 * g0[k]);
    }
    for strategy in [
        NetStrategy::ORACLE,
        NetStrategy::Ascent {
            lr: 1e-3,
            iters: 10,
        },
        NetStrategy::Unit {
            unit: Unit { layer: 0, index: 3 },
            theta: 0.7,
        },
    ] {
        let schedule = NetSchedule {
            strategy,
            when: When::At(vec![5, 12]),
        };
        let tele = run(&task, 20, gd, Some(&schedule)).unwrap();
        assert_eq!(tele.records.len(), 21);
        let fired: Vec<usize> = tele
            .records
            .iter()
            .filter(|r| r.teleported)
            .map(|r| r.t)
            .collect();
        assert_eq!(fired, vec![5, 12], "{strategy:?}");
        // Up to the first teleport the runs agree bit for bit; at it, the
        // parameters move and f does not.
        assert_eq!(tele.records[..5], plain.records[..5]);
        let (before, after) = (&plain.records[5], &tele.records[5]);
        assert_ne!(before.params, after.params);
        assert!((after.f - before.f).abs() <= 1e-9 * before.f);
        assert_eq!(after.accuracy, before.accuracy);
        if matches!(strategy, NetStrategy::Oracle { .. }) {
            assert!(after.grad_norm > before.grad_norm);
        }
        for r in &tele.records {
            let (f, g) = f_grad(&task.mlp, &r.params, &task.data);
            assert_eq!((r.f, r.grad_norm), (f, norm(&g)), "t = {}", r.t);
        }
    }
}

#[test]
fn a_teleport_by_hand_is_the_scheduled_one_at_its_step() {
    let task = moons_task(&[6, 5]);
    let unit = NetStrategy::Unit {
        unit: Unit { layer: 1, index: 4 },
        theta: -0.6,
    };
    let spec = OptimizerSpec::Momentum { lr: 0.1, beta: 0.9 };
    let schedule = NetSchedule {
        strategy: unit,
        when: When::At(vec![7]),
    };
    let scheduled = run(&task, 15, spec, Some(&schedule)).unwrap();
    let mut opt = VecOptimizer::new(spec, task.mlp.num_params()).unwrap();
    let by_hand = run_with_teleports(&task, 15, &mut opt, None, &[(7, unit)]);
    assert_eq!(scheduled, by_hand);
    assert!(by_hand.records[7].teleported);
    // Both at once: the schedule's, then the hand's, compose to θ = −1.2.
    let mut opt = VecOptimizer::new(spec, task.mlp.num_params()).unwrap();
    let both = run_with_teleports(&task, 15, &mut opt, Some(&schedule), &[(7, unit)]);
    let s = task.mlp.unit_position(Unit { layer: 1, index: 4 }).unwrap();
    let mut twice = vec![0.0; task.mlp.num_hidden_units()];
    twice[s] = -1.2;
    let mut want = vec![0.0; task.init.len()];
    rescale(
        &task.mlp,
        &scheduled.records[6].params,
        &[0.0; 11],
        &mut want,
    );
    assert_eq!(both.records[..7], scheduled.records[..7]);
    let moved = &both.records[7].params;
    let mut expected = vec![0.0; moved.len()];
    let before_step_7 = {
        // The parameters the optimizer reached at step 7, before teleports.
        let mut opt = VecOptimizer::new(spec, task.mlp.num_params()).unwrap();
        run_with_teleports(&task, 7, &mut opt, None, &[]).records[7]
            .params
            .clone()
    };
    rescale(&task.mlp, &before_step_7, &twice, &mut expected);
    for (a, b) in moved.iter().zip(&expected) {
        assert!((a - b).abs() <= 1e-14 * (1.0 + b.abs()), "{a} vs {b}");
    }
}

#[test]
fn a_diverging_run_stops_with_finite_records_and_a_bad_unit_fails() {
    let task = moons_task(&[8, 8]);
    let tr = run(&task, 500, OptimizerSpec::Gd { lr: 1e6 }, None).unwrap();
    let Some(Stop::Diverged { step }) = tr.stop else {
        panic!("expected divergence, got {:?}", tr.stop);
    };
    assert_eq!(tr.records.len(), step);
    assert!(tr.records.iter().all(|r| r.f.is_finite()
        && r.grad_norm.is_finite()
        && r.params.iter().all(|p| p.is_finite())));
    let schedule = NetSchedule {
        strategy: NetStrategy::Unit {
            unit: Unit { layer: 2, index: 0 },
            theta: 0.5,
        },
        when: When::Every(3),
    };
    let tr = run(&task, 10, OptimizerSpec::adam(0.01), Some(&schedule)).unwrap();
    let Some(Stop::Failed { step: 3, message }) = tr.stop else {
        panic!("expected a failure at step 3, got {:?}", tr.stop);
    };
    assert!(
        message.contains("no hidden unit 0 in hidden layer 2"),
        "{message}"
    );
    let overflow = NetSchedule {
        strategy: NetStrategy::Ascent { lr: 1e6, iters: 50 },
        when: When::At(vec![1]),
    };
    let tr = run(&task, 4, OptimizerSpec::adam(0.01), Some(&overflow)).unwrap();
    assert!(
        matches!(&tr.stop, Some(Stop::Failed { step: 1, message }) if message.contains("overflowed")),
        "{:?}",
        tr.stop
    );
    assert!(run(&task, 4, OptimizerSpec::Newton { lr: 1.0 }, None).is_err());
}

#[test]
fn ascent_climbs_with_a_small_step_and_keeps_f() {
    let data = random_data(200, 9);
    let mlp = Mlp::new(&[5, 4], leaky(0.1)).unwrap();
    let params = random_params(&mlp, 70);
    let (f0, g) = f_grad(&mlp, &params, &data);
    let mut last = g.iter().map(|v| v * v).sum::<f64>();
    for iters in [1, 2, 5, 10] {
        let found = NetStrategy::Ascent { lr: 1e-3, iters }
            .search(&mlp, &g)
            .unwrap();
        let (f1, now) = grad_norm_sq_at(&mlp, &params, &data, &found.log_scales);
        assert!(now > last, "{iters} steps: {last} → {now}");
        assert!((f1 - f0).abs() <= 1e-9 * f0);
        last = now;
    }
}
