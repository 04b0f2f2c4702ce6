//! The math core against independent computations: textbook formulas, finite
//! differences, dense scans, closed forms worked out by hand, and hand-written
//! loops. Property tests are seeded loops over many random tasks, so a failure
//! reproduces exactly.

mod common;

use std::f64::consts::{FRAC_PI_2, PI, TAU};

use common::{assert_close, assert_mat_close, assert_vec_close};

use rand::RngExt as _;
use rand_distr::StandardNormal;
use teleport_core::objective::{
    Ellipse, Mat2, Objective, ParamError, Preset, Quadratic, Rosenbrock, Sampling, Task, TaskDist,
    Vec2, rotation,
};
use teleport_core::optim::{self, OptimizerSpec, Stop, alg2};
use teleport_core::symmetry::{self, Strategy};
use teleport_core::theory::{self, DecompositionError};

// ---------------------------------------------------------------------------
// Helpers, none of which call the code under test.

fn normal(rng: &mut teleport_core::Rng) -> f64 {
    rng.sample(StandardNormal)
}

fn normal_vec(rng: &mut teleport_core::Rng, scale: f64) -> Vec2 {
    Vec2::new(scale * normal(rng), scale * normal(rng))
}

/// A random symmetric positive definite `Q(φ) diag(l1, l2) Q(φ)ᵀ` with
/// log-uniform eigenvalues in `[lo, hi]`, built entry by entry (no eigen
/// solver). Returns the matrix, `φ` and the eigenvalues.
fn random_spd(rng: &mut teleport_core::Rng, lo: f64, hi: f64) -> (Mat2, f64, [f64; 2]) {
    let phi = rng.random_range(0.0..PI);
    let mut eig = || (lo.ln() + rng.random::<f64>() * (hi / lo).ln()).exp();
    let (l1, l2) = (eig(), eig());
    let (s, c) = phi.sin_cos();
    let a00 = l1 * c * c + l2 * s * s;
    let a11 = l1 * s * s + l2 * c * c;
    let a01 = (l1 - l2) * c * s;
    (Mat2::new(a00, a01, a01, a11), phi, [l1, l2])
}

/// Random quadratic tasks `f(x) = xᵀAx`, `A` SPD with eigenvalues in [0.05, 20].
fn quadratic_tasks(seed: u64, n: usize) -> Vec<Task> {
    let mut rng = teleport_core::rng(seed);
    (0..n)
        .map(|_| {
            let (a, _, _) = random_spd(&mut rng, 0.05, 20.0);
            let Ok(q) = Quadratic::new(a) else {
                panic!("a random SPD matrix was rejected: {a:?}");
            };
            Task {
                objective: Objective::Quadratic(q),
                x0: normal_vec(&mut rng, 1.0),
            }
        })
        .collect()
}

/// `n` tasks of every distribution plus `n` random quadratics.
fn tasks_of_every_family(seed: u64, n: usize) -> Vec<Task> {
    let mut tasks = Vec::new();
    for (i, dist) in TaskDist::ALL.into_iter().enumerate() {
        tasks.extend(dist.sample_many(seed + i as u64, n, Sampling::default()));
    }
    tasks.extend(quadratic_tasks(seed + 100, n));
    tasks
}

/// `h` written out from the family's definition in the paper.
fn h_by_hand(obj: &Objective, x: &Vec2) -> Vec2 {
    match obj {
        Objective::Ellipse(e) => {
            let (a, b) = (e.a(), e.b());
            Vec2::new(
                a[(0, 0)] * x.x + a[(0, 1)] * x.y + b.x,
                a[(1, 0)] * x.x + a[(1, 1)] * x.y + b.y,
            )
        }
        Objective::Rosenbrock(r) => {
            let (a, b, c, d) = r.coefficients();
            Vec2::new(c * x.y + d[0] + d[1] * x.x + d[2] * x.x * x.x, a * x.x + b)
        }
        Objective::Quadratic(q) => sqrt_spd(&q.a()) * x,
        Objective::Custom(_) | Objective::Formula(_) => unreachable!("no custom objectives here"),
    }
}

/// The symmetric square root of a 2×2 SPD matrix in closed form:
/// `√A = (A + √det A · I) / √(tr A + 2√det A)`.
fn sqrt_spd(a: &Mat2) -> Mat2 {
    let s = a.determinant().sqrt();
    (a + s * Mat2::identity()) / (a.trace() + 2.0 * s).sqrt()
}

/// The angle in `[0, π)` of the eigenvector of a symmetric 2×2 matrix with the
/// largest eigenvalue: `½ atan2(2m₀₁, m₀₀ − m₁₁)`.
fn top_eigen_angle(m: &Mat2) -> f64 {
    (0.5 * (2.0 * m[(0, 1)]).atan2(m[(0, 0)] - m[(1, 1)])).rem_euclid(PI)
}

/// The eigenvalues `(big, small)` of a symmetric 2×2 matrix in closed form.
fn sym_eigenvalues(m: &Mat2) -> (f64, f64) {
    let half_tr = 0.5 * m.trace();
    let r = (0.25 * (m[(0, 0)] - m[(1, 1)]).powi(2) + m[(0, 1)].powi(2)).sqrt();
    (half_tr + r, half_tr - r)
}

/// The distance between two angles modulo `period`.
fn angle_dist(a: f64, b: f64, period: f64) -> f64 {
    let d = (a - b).rem_euclid(period);
    d.min(period - d)
}

/// The angle between the line through `v` and the line at angle `axis`, in
/// `[0, π/2]`.
fn angle_to_axis(v: &Vec2, axis: f64) -> f64 {
    angle_dist(v.y.atan2(v.x), axis, PI)
}

/// The five-point central difference of a scalar function (error O(h⁴)).
fn d5(f: impl Fn(f64) -> f64, t: f64, h: f64) -> f64 {
    (-f(t + 2.0 * h) + 8.0 * f(t + h) - 8.0 * f(t - h) + f(t - 2.0 * h)) / (12.0 * h)
}

/// The five-point central difference of a vector function.
fn d5v(f: impl Fn(f64) -> Vec2, t: f64, h: f64) -> Vec2 {
    (-f(t + 2.0 * h) + 8.0 * f(t + h) - 8.0 * f(t - h) + f(t - 2.0 * h)) / (12.0 * h)
}

/// The Jacobian of `F: ℝ² → ℝ²` by five-point differences, column by column.
fn jacobian_fd(f: impl Fn(&Vec2) -> Vec2, x: &Vec2) -> Mat2 {
    let mut out = Mat2::zeros();
    for j in 0..2 {
        let h = 1e-3 * (1.0 + x[j].abs());
        let col = d5v(
            |s| {
                let mut p = *x;
                p[j] += s;
                f(&p)
            },
            0.0,
            h,
        );
        out.set_column(j, &col);
    }
    out
}

/// The gradient of `F: ℝ² → ℝ` by five-point differences.
fn gradient_fd(f: impl Fn(&Vec2) -> f64, x: &Vec2) -> Vec2 {
    Vec2::from_fn(|j, _| {
        let h = 1e-3 * (1.0 + x[j].abs());
        d5(
            |s| {
                let mut p = *x;
                p[j] += s;
                f(&p)
            },
            0.0,
            h,
        )
    })
}

// ---------------------------------------------------------------------------
// Objectives.

#[test]
fn h_matches_definition_and_h_inv_inverts_it() {
    let mut rng = teleport_core::rng(1);
    let tasks = tasks_of_every_family(10, 400);
    assert_eq!(tasks.len(), 6 * 400);
    for (i, task) in tasks.iter().enumerate() {
        let obj = &task.objective;
        for scale in [1.0, 3.0] {
            let x = if scale == 1.0 {
                task.x0
            } else {
                normal_vec(&mut rng, scale)
            };
            let u = obj.h(&x);
            assert_vec_close("h", &u, &h_by_hand(obj, &x), 1e-12 * (1.0 + u.norm()));
            assert_close("f = ‖h‖²", obj.f(&x), u.norm_squared(), 1e-12 * obj.f(&x));
            let back = obj.h_inv(&u);
            assert!(
                (back - x).norm() <= 1e-10 * (1.0 + x.norm()),
                "task {i} ({}): h⁻¹(h(x)) = {back:?} ≠ x = {x:?}",
                obj.family()
            );
            // And the other way round, from a point of h's range; h⁻¹(w) may
            // be far out, so the error scales with the terms of h there.
            let w = normal_vec(&mut rng, scale);
            let p = obj.h_inv(&w);
            let again = obj.h(&p);
            let terms = 1.0 + w.norm() + obj.jacobian(&p).abs().max() * (1.0 + p.norm());
            assert!(
                (again - w).norm() <= 1e-10 * terms,
                "task {i}: h(h⁻¹(w)) = {again:?} ≠ w = {w:?}"
            );
        }
    }
}

#[test]
fn teleport_preserves_f_and_rotates_h() {
    let mut rng = teleport_core::rng(2);
    let mut moved = 0;
    for (i, task) in tasks_of_every_family(20, 400).iter().enumerate() {
        let obj = &task.objective;
        let x = task.x0;
        let f = obj.f(&x);
        for _ in 0..4 {
            let theta = rng.random_range(-10.0..10.0);
            let y = symmetry::teleport(obj, &x, theta);
            assert!(
                (obj.f(&y) - f).abs() <= 1e-10 * f,
                "task {i} ({}): f(g_θ x) = {} ≠ f(x) = {f} at θ = {theta}",
                obj.family(),
                obj.f(&y)
            );
            // h(g_θ x) = R_θ h(x), with R_θ written out.
            let u = h_by_hand(obj, &x);
            let (s, c) = theta.sin_cos();
            let rotated = Vec2::new(c * u.x - s * u.y, s * u.x + c * u.y);
            assert_vec_close("h(g_θ x)", &obj.h(&y), &rotated, 1e-10 * (1.0 + u.norm()));
            if (y - x).norm() > 1e-3 {
                moved += 1;
            }
        }
    }
    // The symmetry is not the identity: teleports do move points.
    assert!(
        moved > 6 * 400 * 4 * 9 / 10,
        "only {moved} teleports moved x"
    );
}

#[test]
fn presets_are_the_textbook_functions() {
    let booth = Preset::Booth.objective();
    let rosen = Preset::Rosenbrock.objective();
    let elli = Preset::ElliFixed.objective();
    let ros_fixed = Preset::RosFixed.objective();
    let mut rng = teleport_core::rng(3);
    for _ in 0..1000 {
        let p = normal_vec(&mut rng, 3.0);
        let (x, y) = (p.x, p.y);
        let want = (x + 2.0 * y - 7.0).powi(2) + (2.0 * x + y - 5.0).powi(2);
        assert_close("Booth", booth.f(&p), want, 1e-12 * (1.0 + want));
        let want = (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2);
        assert_close("Rosenbrock", rosen.f(&p), want, 1e-12 * (1.0 + want));
        let want = (0.5 * x).powi(2) + (3.0 * y).powi(2);
        assert_close("elli_fixed", elli.f(&p), want, 1e-12 * (1.0 + want));
        let want = (-2.0 * y + 0.4 * x * x).powi(2) + (x - 1.0).powi(2);
        assert_close("ros_fixed", ros_fixed.f(&p), want, 1e-12 * (1.0 + want));
    }
    assert_vec_close(
        "Booth minimizer",
        &booth.minimizer(),
        &Vec2::new(1.0, 3.0),
        1e-14,
    );
    assert_vec_close(
        "Rosenbrock minimizer",
        &rosen.minimizer(),
        &Vec2::new(1.0, 1.0),
        1e-14,
    );
    assert_vec_close(
        "elli_fixed minimizer",
        &elli.minimizer(),
        &Vec2::zeros(),
        0.0,
    );
    assert_vec_close(
        "ros_fixed minimizer",
        &ros_fixed.minimizer(),
        &Vec2::new(1.0, 0.2),
        1e-14,
    );
    assert!(booth.is_convex() && elli.is_convex());
    assert!(!rosen.is_convex() && !ros_fixed.is_convex());
}

#[test]
fn jacobian_matches_finite_differences_and_its_inverse() {
    for (i, task) in tasks_of_every_family(30, 200).iter().enumerate() {
        let obj = &task.objective;
        let x = task.x0;
        let j = obj.jacobian(&x);
        let fd = jacobian_fd(|p| obj.h(p), &x);
        let scale = 1.0 + j.abs().max();
        assert_mat_close(&format!("task {i}: J_h vs FD"), &j, &fd, 1e-8 * scale);
        let j_inv = obj.jacobian_inv(&x);
        let cond = j.abs().max() * j_inv.abs().max();
        assert_mat_close(
            &format!("task {i}: J⁻¹J"),
            &(j_inv * j),
            &Mat2::identity(),
            1e-13 * cond,
        );
        assert_mat_close(
            &format!("task {i}: JJ⁻¹"),
            &(j * j_inv),
            &Mat2::identity(),
            1e-13 * cond,
        );
        // J_h⁻¹(x) is also the Jacobian of h⁻¹ at h(x).
        let fd_inv = jacobian_fd(|w| obj.h_inv(w), &obj.h(&x));
        assert_mat_close(
            &format!("task {i}: J_h⁻¹ vs FD of h⁻¹"),
            &j_inv,
            &fd_inv,
            1e-7 * (1.0 + j_inv.abs().max()),
        );
    }
}

#[test]
fn gradient_and_hessian_match_finite_differences() {
    let mut rng = teleport_core::rng(4);
    for (i, task) in tasks_of_every_family(40, 300).iter().enumerate() {
        let obj = &task.objective;
        for x in [task.x0, normal_vec(&mut rng, 2.0)] {
            let (f, g) = obj.f_grad(&x);
            assert_eq!(f, obj.f(&x));
            assert_eq!(g, obj.grad(&x));
            let fd = gradient_fd(|p| obj.f(p), &x);
            let scale = 1.0 + f + g.norm();
            assert_vec_close(&format!("task {i}: ∇f vs FD"), &g, &fd, 1e-8 * scale);
            let h = obj.hessian(&x);
            assert_eq!(h, h.transpose(), "task {i}: the Hessian is symmetric");
            let fd = jacobian_fd(|p| obj.grad(p), &x);
            let scale = 1.0 + g.norm() + h.abs().max();
            assert_mat_close(&format!("task {i}: ∇²f vs FD"), &h, &fd, 1e-8 * scale);
        }
    }
}

#[test]
fn invalid_parameters_are_typed_errors() {
    let singular = Ellipse::new(Mat2::new(1.0, 2.0, 2.0, 4.0), Vec2::zeros());
    assert!(
        matches!(singular, Err(ParamError::Singular { .. })),
        "{singular:?}"
    );
    let zero = Ellipse::new(Mat2::zeros(), Vec2::new(1.0, 1.0));
    assert!(matches!(zero, Err(ParamError::Singular { .. })), "{zero:?}");
    // Singular up to rounding, at a large scale: still singular.
    let nearly = Ellipse::new(Mat2::new(1e8, 3e8, 1e8, 3e8 + 1e-9), Vec2::zeros());
    assert!(
        matches!(nearly, Err(ParamError::Singular { .. })),
        "{nearly:?}"
    );
    // A small but well-conditioned A is fine.
    assert!(Ellipse::new(Mat2::identity() * 1e-9, Vec2::zeros()).is_ok());

    let nan_a = Ellipse::new(Mat2::new(f64::NAN, 0.0, 0.0, 1.0), Vec2::zeros());
    assert_eq!(nan_a, Err(ParamError::NonFinite { name: "A" }));
    let inf_b = Ellipse::new(Mat2::identity(), Vec2::new(0.0, f64::INFINITY));
    assert_eq!(inf_b, Err(ParamError::NonFinite { name: "b" }));

    let a0 = Rosenbrock::new(0.0, 1.0, 1.0, [0.0, 0.0, 1.0]);
    assert_eq!(a0, Err(ParamError::ZeroCoefficient { name: "a" }));
    let c0 = Rosenbrock::new(1.0, 1.0, -0.0, [0.0, 0.0, 1.0]);
    assert_eq!(c0, Err(ParamError::ZeroCoefficient { name: "c" }));
    let nan_d = Rosenbrock::new(1.0, 1.0, 1.0, [0.0, f64::NAN, 1.0]);
    assert_eq!(nan_d, Err(ParamError::NonFinite { name: "d" }));
    let nan_b = Rosenbrock::new(1.0, f64::NAN, 1.0, [0.0, 0.0, 1.0]);
    assert_eq!(nan_b, Err(ParamError::NonFinite { name: "b" }));

    for (a, why) in [
        (Mat2::new(1.0, 0.0, 0.0, -1.0), "eigenvalue"),
        (Mat2::new(1.0, 0.0, 0.0, 0.0), "eigenvalue"),
        (Mat2::new(1.0, 2.0, 2.0, 1.0), "eigenvalue"), // eigenvalues 3 and −1
        (-Mat2::identity(), "eigenvalue"),
        (Mat2::new(2.0, 1.0, 0.0, 2.0), "symmetric"),
    ] {
        match Quadratic::new(a) {
            Err(ParamError::NotSpd { reason }) => {
                assert!(reason.contains(why), "{a:?}: {reason}")
            }
            other => panic!("{a:?} should not be SPD, got {other:?}"),
        }
    }
    let nan_q = Quadratic::new(Mat2::new(1.0, 0.0, 0.0, f64::INFINITY));
    assert_eq!(nan_q, Err(ParamError::NonFinite { name: "A" }));

    // Messages are readable and name the problem.
    let msg = ParamError::ZeroCoefficient { name: "c" }.to_string();
    assert!(msg.contains("`c`") && msg.contains("zero"), "{msg}");
    let msg = singular.unwrap_err().to_string();
    assert!(msg.contains("singular"), "{msg}");
}

#[test]
fn quadratic_family_is_x_transpose_a_x() {
    let mut rng = teleport_core::rng(5);
    for _ in 0..500 {
        let (a, _, _) = random_spd(&mut rng, 0.01, 100.0);
        let q = Quadratic::new(a).unwrap();
        let b = q.sqrt();
        assert_mat_close("B² = A", &(b * b), &a, 1e-12 * a.abs().max());
        assert_mat_close("B = √A", &b, &sqrt_spd(&a), 1e-12 * b.abs().max());
        assert_mat_close(
            "B⁻¹B = I",
            &(q.sqrt_inv() * b),
            &Mat2::identity(),
            1e-12 * 100.0,
        );
        let obj = Objective::Quadratic(q);
        let x = normal_vec(&mut rng, 1.0);
        let f = x.dot(&(a * x));
        assert_close("xᵀAx", obj.f(&x), f, 1e-12 * f);
        assert_vec_close(
            "∇f = 2Ax",
            &obj.grad(&x),
            &(2.0 * a * x),
            1e-12 * (a * x).norm(),
        );
        assert_mat_close(
            "∇²f = 2A",
            &obj.hessian(&x),
            &(2.0 * a),
            1e-12 * a.abs().max(),
        );
    }
}

#[test]
fn sampling_is_deterministic_per_seed() {
    for dist in TaskDist::ALL {
        for sampling in [Sampling::default(), Sampling::Raw] {
            let a = dist.sample_many(42, 100, sampling);
            let b = dist.sample_many(42, 100, sampling);
            assert_eq!(a, b, "{dist}: same seed, same tasks");
            // sample_many(seed) is exactly n draws from rng(seed).
            let mut rng = teleport_core::rng(42);
            let c: Vec<Task> = (0..100).map(|_| dist.sample(&mut rng, sampling)).collect();
            assert_eq!(a, c, "{dist}");
            let other = dist.sample_many(43, 100, sampling);
            // Fixed distributions still draw fresh start points.
            assert_ne!(a, other, "{dist}: another seed, other tasks");
        }
    }
    let mut r1 = teleport_core::rng(9);
    let mut r2 = teleport_core::rng(9);
    let xs: Vec<f64> = (0..10).map(|_| normal(&mut r1)).collect();
    let ys: Vec<f64> = (0..10).map(|_| normal(&mut r2)).collect();
    assert_eq!(xs, ys);
}

#[test]
fn conditioned_sampling_bounds_the_inverse() {
    // σ_min(A) ≥ 0.05 bounds ‖A⁻¹‖₂ = 1/σ_min by 20; |a|, |c| ≥ 0.05.
    for task in TaskDist::Mixed.sample_many(77, 3000, Sampling::default()) {
        match &task.objective {
            Objective::Ellipse(e) => {
                let ata = e.a().transpose() * e.a();
                let (_, small) = sym_eigenvalues(&ata);
                assert!(
                    small.sqrt() >= 0.05 * (1.0 - 1e-9),
                    "σ_min = {}",
                    small.sqrt()
                );
            }
            Objective::Rosenbrock(r) => {
                let (a, _, c, _) = r.coefficients();
                assert!(a.abs() >= 0.05 && c.abs() >= 0.05, "a = {a}, c = {c}");
            }
            Objective::Quadratic(_) | Objective::Custom(_) | Objective::Formula(_) => {
                panic!("mixed draws no quadratics or custom h")
            }
        }
    }
    // With the threshold at 0 nothing is redrawn: `Raw` and a zero threshold
    // give the same stream.
    let raw = TaskDist::Mixed.sample_many(5, 500, Sampling::Raw);
    let zero = TaskDist::Mixed.sample_many(5, 500, Sampling::Conditioned { min_scale: 0.0 });
    assert_eq!(raw, zero);
}

// ---------------------------------------------------------------------------
// Symmetry.

#[test]
fn teleport_jet_matches_finite_differences() {
    let mut rng = teleport_core::rng(6);
    for (i, task) in tasks_of_every_family(60, 200).iter().enumerate() {
        let obj = &task.objective;
        let x = task.x0;
        let theta = rng.random_range(0.0..TAU);
        let jet = symmetry::teleport_jet(obj, &x, theta);
        assert_vec_close(
            "jet.y",
            &jet.y,
            &symmetry::teleport(obj, &x, theta),
            1e-14 * (1.0 + jet.y.norm()),
        );
        let fd = jacobian_fd(|p| symmetry::teleport(obj, p, theta), &x);
        assert_mat_close(
            &format!("task {i} ({}): ∂g/∂x vs FD", obj.family()),
            &jet.dy_dx,
            &fd,
            1e-7 * (1.0 + jet.dy_dx.abs().max()),
        );
        let fd = d5v(|t| symmetry::teleport(obj, &x, t), theta, 1e-3);
        assert_vec_close(
            &format!("task {i} ({}): ∂g/∂θ vs FD", obj.family()),
            &jet.dy_dtheta,
            &fd,
            1e-7 * (1.0 + jet.dy_dtheta.norm()),
        );
        // The orbit's tangent keeps f constant: ∇f(y) ⟂ ∂g/∂θ.
        let g = obj.grad(&jet.y);
        assert!(
            g.dot(&jet.dy_dtheta).abs() <= 1e-9 * (1.0 + g.norm() * jet.dy_dtheta.norm()),
            "task {i}: ∇f·∂g/∂θ = {}",
            g.dot(&jet.dy_dtheta)
        );
    }
}

#[test]
fn grad_norm_derivative_matches_finite_differences() {
    let mut rng = teleport_core::rng(7);
    for (i, task) in tasks_of_every_family(70, 200).iter().enumerate() {
        let obj = &task.objective;
        let x = task.x0;
        let theta = rng.random_range(0.0..TAU);
        let (g, dg) = symmetry::grad_norm_sq_and_derivative(obj, &x, theta);
        let norm_at = |t: f64| obj.grad(&symmetry::teleport(obj, &x, t)).norm_squared();
        assert_close("G(θ)", g, norm_at(theta), 1e-12 * (1.0 + g));
        assert_close(
            "‖∇f‖ at θ",
            symmetry::grad_norm_at(obj, &x, theta),
            g.sqrt(),
            1e-12 * (1.0 + g),
        );
        let fd = d5(norm_at, theta, 1e-3);
        assert!(
            (dg - fd).abs() <= 1e-7 * (1.0 + g + dg.abs()),
            "task {i} ({}): G'(θ) = {dg}, FD = {fd}",
            obj.family()
        );
    }
}

#[test]
fn orbit_is_the_level_set() {
    for (i, task) in tasks_of_every_family(80, 100).iter().enumerate() {
        let obj = &task.objective;
        let x = task.x0;
        let f = obj.f(&x);
        let u = h_by_hand(obj, &x);
        let n = 64;
        let orbit = symmetry::orbit(obj, &x, n);
        assert_eq!(orbit.len(), n);
        assert_vec_close("orbit[0] = x", &orbit[0], &x, 1e-10 * (1.0 + x.norm()));
        for (k, p) in orbit.iter().enumerate() {
            assert!(
                (obj.f(p) - f).abs() <= 1e-10 * f,
                "task {i}: orbit point {k} has f = {}, x has {f}",
                obj.f(p)
            );
            // The k-th point sits at angle 2πk/n around the circle ‖h‖ = ‖h(x)‖.
            let want = rotation(TAU * k as f64 / n as f64) * u;
            assert_vec_close("h(orbit[k])", &obj.h(p), &want, 1e-10 * (1.0 + u.norm()));
        }
    }
}

/// The dense scan the oracle must beat, written independently of it.
fn dense_scan(obj: &Objective, x: &Vec2, n: usize) -> (f64, f64) {
    let mut best = (0.0, f64::NEG_INFINITY);
    for k in 0..n {
        let theta = TAU * k as f64 / n as f64;
        let g = obj.grad(&symmetry::teleport(obj, x, theta)).norm();
        if g > best.1 {
            best = (theta, g);
        }
    }
    best
}

#[test]
fn oracle_is_at_least_a_dense_scan() {
    const N: usize = 200_000;
    let resolution = TAU / N as f64;
    let mut tasks = Vec::new();
    for (i, dist) in TaskDist::ALL.into_iter().enumerate() {
        tasks.extend(dist.sample_many(90 + i as u64, 8, Sampling::default()));
    }
    tasks.extend(quadratic_tasks(99, 8));
    tasks.push(Task {
        objective: Preset::Rosenbrock.objective(),
        x0: Preset::Rosenbrock.default_x0(),
    });
    tasks.push(Task {
        objective: Preset::Booth.objective(),
        x0: Preset::Booth.default_x0(),
    });
    let mut exact_matches = 0;
    for (i, task) in tasks.iter().enumerate() {
        let obj = &task.objective;
        let x = task.x0;
        let oracle = symmetry::oracle(obj, &x);
        assert!((0.0..TAU).contains(&oracle.theta), "θ* = {}", oracle.theta);
        // The reported norm is the norm at the reported angle.
        let at = symmetry::grad_norm_at(obj, &x, oracle.theta);
        assert_close("‖∇f(g_θ* x)‖", oracle.grad_norm, at, 1e-12 * at);
        let (scan_theta, scan_max) = dense_scan(obj, &x, N);
        assert!(
            oracle.grad_norm >= scan_max * (1.0 - 1e-13),
            "task {i} ({}): oracle {} < scan {scan_max} (θ* = {}, scan θ = {scan_theta})",
            obj.family(),
            oracle.grad_norm,
            oracle.theta
        );
        if angle_dist(oracle.theta, scan_theta, TAU) <= resolution {
            exact_matches += 1;
        } else {
            // The scan found another peak. Refined by a fine scan of its
            // neighbourhood, it must be exactly as high as θ*'s: a tie.
            let refined = (0..=2000)
                .map(|k| {
                    let t = scan_theta + resolution * (k as f64 / 1000.0 - 1.0);
                    symmetry::grad_norm_at(obj, &x, t)
                })
                .fold(f64::NEG_INFINITY, f64::max);
            assert!(
                refined >= oracle.grad_norm * (1.0 - 1e-11),
                "task {i} ({}): θ* = {} but the scan peaks at {scan_theta} with {refined} vs {}",
                obj.family(),
                oracle.theta,
                oracle.grad_norm
            );
            // Ellipses and quadratics tie exactly at θ* + π.
            if !matches!(obj, Objective::Rosenbrock(_)) {
                assert!(
                    angle_dist(oracle.theta, scan_theta, PI) <= resolution,
                    "task {i}: an ellipse's tie must be θ* + π"
                );
            }
        }
    }
    // Rosenbrock tasks have no symmetric twin: most must match exactly.
    assert!(
        exact_matches >= tasks.len() / 2,
        "{exact_matches} exact matches"
    );
}

#[test]
fn oracle_matches_the_ellipse_closed_form() {
    // For h(x) = Ax + b, ∇f(g_θ x) = 2Aᵀ R_θ u with u = h(x): ‖∇f‖ is largest
    // when R_θ u is ± the top eigenvector of AAᵀ, and is then 2σ₁‖u‖.
    let mut tasks = TaskDist::ElliVary.sample_many(100, 1000, Sampling::default());
    tasks.extend(quadratic_tasks(101, 300));
    tasks.extend(TaskDist::ElliFixed.sample_many(102, 50, Sampling::default()));
    let mut checked = 0;
    for (i, task) in tasks.iter().enumerate() {
        let obj = &task.objective;
        let x = task.x0;
        let (m, u) = match obj {
            Objective::Ellipse(e) => (e.a() * e.a().transpose(), e.a() * x + e.b()),
            Objective::Quadratic(q) => (q.a(), sqrt_spd(&q.a()) * x),
            Objective::Rosenbrock(_) | Objective::Custom(_) | Objective::Formula(_) => {
                unreachable!()
            }
        };
        let (big, small) = sym_eigenvalues(&m);
        let oracle = symmetry::oracle(obj, &x);
        assert_close(
            &format!("task {i}: max ‖∇f‖ = 2σ₁‖u‖"),
            oracle.grad_norm,
            2.0 * big.sqrt() * u.norm(),
            1e-12 * oracle.grad_norm,
        );
        // θ* is only well defined when the ellipse is not (nearly) a circle.
        if (big - small) / big < 1e-3 {
            continue;
        }
        checked += 1;
        let want = top_eigen_angle(&m) - u.y.atan2(u.x);
        assert!(
            angle_dist(oracle.theta, want, PI) <= 1e-8,
            "task {i}: θ* = {}, closed form {} (mod π), gap {:e}",
            oracle.theta,
            want.rem_euclid(PI),
            angle_dist(oracle.theta, want, PI)
        );
    }
    assert!(checked >= tasks.len() * 95 / 100, "{checked} checked");
}

#[test]
fn oracle_on_a_circle_or_at_the_minimum_is_zero() {
    // AAᵀ = 4I: every angle is optimal; the oracle reports 0.
    let circle = Objective::Ellipse(
        Ellipse::new(Mat2::new(0.0, 2.0, -2.0, 0.0), Vec2::new(1.0, -1.0)).unwrap(),
    );
    let o = symmetry::oracle(&circle, &Vec2::new(0.3, 0.7));
    assert_eq!(o.theta, 0.0);
    let u = circle.h(&Vec2::new(0.3, 0.7));
    assert_close("circle max", o.grad_norm, 4.0 * u.norm(), 1e-12);
    let booth = Preset::Booth.objective();
    // At the minimum h(x) = 0, so every g_θ(x) is h⁻¹(0) = x* up to rounding.
    let o = symmetry::oracle(&booth, &Vec2::new(1.0, 3.0));
    assert_eq!(o.theta, 0.0);
    assert!(o.grad_norm < 1e-13, "{}", o.grad_norm);
}

/// `G(θ) = ‖∇f(g_θ x)‖²` of an ellipse and its derivative, by hand:
/// `G = 4‖Aᵀ R_θ u‖²`, `G' = 8 (Aᵀ R_θ u)·(Aᵀ R_{θ+π/2} u)`.
fn ellipse_g(a: &Mat2, u: &Vec2, theta: f64) -> (f64, f64) {
    let v = a.transpose() * (rotation(theta) * u);
    let dv = a.transpose() * (rotation(theta + FRAC_PI_2) * u);
    (4.0 * v.norm_squared(), 8.0 * v.dot(&dv))
}

#[test]
fn ascent_agrees_with_a_hand_written_loop_and_climbs() {
    let mut rng = teleport_core::rng(8);
    let mut tasks = TaskDist::ElliVary.sample_many(110, 100, Sampling::default());
    tasks.extend(TaskDist::RosVary.sample_many(111, 100, Sampling::default()));
    let mut climbed = 0;
    for (i, task) in tasks.iter().enumerate() {
        let obj = &task.objective;
        let x = task.x0;
        let g_of = |t: f64| obj.grad(&symmetry::teleport(obj, &x, t)).norm_squared();
        // G'(θ): by hand for ellipses, by finite differences otherwise.
        let dg_of = |t: f64| match obj {
            Objective::Ellipse(e) => ellipse_g(&e.a(), &(e.a() * x + e.b()), t).1,
            _ => d5(g_of, t, 1e-4),
        };
        // A step no larger than 1/(2L), L ≥ max |G″| on a 720-point scan.
        let curvature = (0..720)
            .map(|k| d5(dg_of, TAU * k as f64 / 720.0, 1e-4).abs())
            .fold(0.0_f64, f64::max);
        let lr = 0.5 / (curvature * 1.5 + 1e-300);
        let theta0 = rng.random_range(-PI..PI);
        let iters = 25;
        let mut theta = theta0;
        let mut trace = vec![theta];
        for _ in 0..iters {
            theta += lr * dg_of(theta);
            trace.push(theta);
        }
        let got = symmetry::ascent(obj, &x, theta0, lr, iters);
        let tol = if matches!(obj, Objective::Ellipse(_)) {
            1e-9
        } else {
            1e-6
        };
        assert!(
            angle_dist(got, theta, TAU) <= tol,
            "task {i} ({}): ascent gave {got}, hand loop {theta}",
            obj.family()
        );
        assert!((-PI..PI).contains(&got), "ascent keeps θ in [−π, π): {got}");
        assert_eq!(symmetry::ascent(obj, &x, theta0, lr, 0), theta0);
        // Each small step raises ‖∇f‖ (or keeps it, at a critical point).
        for w in trace.windows(2) {
            assert!(
                g_of(w[1]) >= g_of(w[0]) * (1.0 - 1e-12),
                "task {i}: G fell from {} to {}",
                g_of(w[0]),
                g_of(w[1])
            );
        }
        if g_of(theta) > g_of(theta0) * (1.0 + 1e-6) {
            climbed += 1;
        }
        // And it never beats the oracle.
        let best = symmetry::oracle(obj, &x).grad_norm;
        assert!(g_of(theta).sqrt() <= best * (1.0 + 1e-12));
    }
    assert!(
        climbed > tasks.len() * 9 / 10,
        "only {climbed} ascents climbed"
    );
}

#[test]
fn strategies_pick_their_angles() {
    let obj = Preset::RosFixed.objective();
    let x = Preset::RosFixed.default_x0();
    assert_eq!(Strategy::Angle { theta: 1.25 }.angle(&obj, &x), 1.25);
    assert_eq!(
        Strategy::Oracle.angle(&obj, &x),
        symmetry::oracle(&obj, &x).theta
    );
    let ascent = Strategy::Ascent {
        theta0: 0.1,
        lr: 1e-4,
        iters: 7,
    };
    assert_eq!(
        ascent.angle(&obj, &x),
        symmetry::ascent(&obj, &x, 0.1, 1e-4, 7)
    );
}

// ---------------------------------------------------------------------------
// Optimizers.

#[test]
fn newton_reaches_an_ellipse_minimum_in_one_step() {
    let mut tasks = TaskDist::ElliVary.sample_many(120, 500, Sampling::default());
    tasks.extend(quadratic_tasks(121, 100));
    for (i, task) in tasks.iter().enumerate() {
        let obj = &task.objective;
        // x* solves A x = −b; by Cramer's rule.
        let x_star = match obj {
            Objective::Ellipse(e) => {
                let (a, b) = (e.a(), e.b());
                let det = a[(0, 0)] * a[(1, 1)] - a[(0, 1)] * a[(1, 0)];
                Vec2::new(
                    (-b.x * a[(1, 1)] + b.y * a[(0, 1)]) / det,
                    (-b.y * a[(0, 0)] + b.x * a[(1, 0)]) / det,
                )
            }
            _ => Vec2::zeros(),
        };
        let traj = optim::run(obj, task.x0, 1, OptimizerSpec::Newton { lr: 1.0 }, None);
        assert_eq!(traj.stop, None);
        assert_eq!(traj.records.len(), 2);
        let x1 = Vec2::from(traj.records[1].x);
        assert!(
            (x1 - x_star).norm() <= 1e-10 * (1.0 + x_star.norm() + task.x0.norm()),
            "task {i}: Newton went to {x1:?}, minimum is {x_star:?}"
        );
        assert!(traj.records[1].f <= 1e-20 * (1.0 + traj.records[0].f));
    }
}

#[test]
fn gd_on_elli_fixed_matches_the_closed_form() {
    // ∇f = 2AᵀA(x − x*), so x_t − x* = (I − 2·lr·AᵀA)^t (x0 − x*).
    let obj = Preset::ElliFixed.objective();
    let lr = 0.05;
    // AᵀA = diag(0.25, 9): the factors are 1 − 2·lr·0.25 and 1 − 2·lr·9.
    let (k0, k1) = (1.0 - 2.0 * lr * 0.25, 1.0 - 2.0 * lr * 9.0);
    for task in TaskDist::ElliFixed.sample_many(130, 50, Sampling::default()) {
        let traj = optim::run(&obj, task.x0, 60, OptimizerSpec::Gd { lr }, None);
        assert_eq!(traj.records.len(), 61);
        for r in &traj.records {
            let t = r.t as i32;
            let want = Vec2::new(k0.powi(t) * task.x0.x, k1.powi(t) * task.x0.y);
            assert_vec_close(
                &format!("x_{t}"),
                &Vec2::from(r.x),
                &want,
                1e-13 * task.x0.norm(),
            );
        }
    }
    // And a general ellipse with b ≠ 0, through matrix powers.
    for task in TaskDist::ElliVary.sample_many(131, 50, Sampling::default()) {
        let Objective::Ellipse(e) = &task.objective else {
            unreachable!()
        };
        let ata = e.a().transpose() * e.a();
        let (big, _) = sym_eigenvalues(&ata);
        let lr = 0.4 / big;
        let x_star = -(e.a().try_inverse().unwrap() * e.b());
        let step = Mat2::identity() - 2.0 * lr * ata;
        let traj = optim::run(&task.objective, task.x0, 30, OptimizerSpec::Gd { lr }, None);
        let mut power = Mat2::identity();
        for r in &traj.records {
            let want = power * (task.x0 - x_star) + x_star;
            let scale = 1.0 + x_star.norm() + task.x0.norm();
            assert_vec_close("x_t", &Vec2::from(r.x), &want, 1e-10 * scale);
            power = step * power;
        }
    }
}

#[test]
fn teleport_schedule_moves_along_the_level_set_before_recording() {
    let obj = Preset::RosFixed.objective();
    let x0 = Preset::RosFixed.default_x0();
    let spec = OptimizerSpec::Gd { lr: 0.01 };
    let schedule = optim::TeleportSchedule {
        strategy: Strategy::Oracle,
        when: optim::When::At(vec![2, 5]),
    };
    let plain = optim::run(&obj, x0, 8, spec, None);
    let tele = optim::run(&obj, x0, 8, spec, Some(&schedule));
    assert_eq!(tele.records.len(), 9);
    // Identical until the first teleport.
    assert_eq!(plain.records[..2], tele.records[..2]);
    let mut x = x0;
    for r in &tele.records {
        assert_eq!(r.teleported, r.t == 2 || r.t == 5);
        if r.teleported {
            let before = obj.f(&x);
            let theta = symmetry::oracle(&obj, &x).theta;
            x = symmetry::teleport(&obj, &x, theta);
            assert_eq!(r.theta, Some(theta));
            assert_close("f kept by teleport", r.f, before, 1e-10 * before);
        } else {
            assert_eq!(r.theta, None);
        }
        assert_eq!(Vec2::from(r.x), x);
        x -= 0.01 * obj.grad(&x);
    }
}

// ---------------------------------------------------------------------------
// Algorithm 2.

/// `∂f(x_{t+1})/∂θ_t` for `f = xᵀAx` from the derivation before Appendix B
/// diagonalizes: `2 (R_θ B x)ᵀ (I − 2αA)² R_{π/2} (R_θ B x)`, `B = √A` in
/// closed form.
fn theta_grad_by_hand(a: &Mat2, x: &Vec2, theta: f64, alpha: f64) -> f64 {
    let w = rotation(theta) * sqrt_spd(a) * x;
    let c = Mat2::identity() - 2.0 * alpha * a;
    2.0 * w.dot(&(c * c * Vec2::new(-w.y, w.x)))
}

#[test]
fn alg2_theta_grad_matches_closed_form_and_finite_differences() {
    let mut rng = teleport_core::rng(11);
    for i in 0..20_000 {
        let (a, _, [l1, l2]) = random_spd(&mut rng, 0.05, 20.0);
        let q = Quadratic::new(a).unwrap();
        let obj = Objective::Quadratic(q.clone());
        let x = normal_vec(&mut rng, 1.5);
        let theta = rng.random_range(-PI..PI);
        // α from 0 to past 1/λ_max, where (1 − 2αλ)² is no longer monotone.
        let alpha = rng.random_range(0.0..1.2 / l1.max(l2));
        let beta = rng.random_range(0.0..2.0);
        let step = alg2::step(&obj, &x, theta, alpha, beta);
        let closed = alg2::closed_form_theta_grad(&q, &x, theta, alpha);
        // The terms are bounded by 2·max(1 − 2αλ)²·‖Bx‖²; rounding in
        // x_{t+1} = y − α∇f(y) adds about ε·cond·f whatever Λ is.
        let lam = (1.0 - 2.0 * alpha * l1)
            .powi(2)
            .max((1.0 - 2.0 * alpha * l2).powi(2));
        let scale = (2.0 * lam + 0.01) * obj.f(&x) + 1e-300;
        assert_close(
            &format!("case {i}: step vs closed form"),
            step.theta_grad,
            closed,
            1e-10 * scale,
        );
        assert_close(
            &format!("case {i}: closed form vs by hand"),
            closed,
            theta_grad_by_hand(&a, &x, theta, alpha),
            1e-10 * scale,
        );
        assert_close(
            "θ_{t+1}",
            step.theta_next,
            theta - beta * step.theta_grad,
            1e-15 * (1.0 + theta.abs()),
        );
        assert_close(
            "closed-form θ_{t+1}",
            alg2::closed_form_theta_next(&q, &x, theta, alpha, beta),
            theta - beta * closed,
            1e-15 * (1.0 + theta.abs()),
        );
        // y_t = g_θ(x_t) and x_{t+1} = y_t − α∇f(y_t) = (I − 2αA) y_t.
        let y = symmetry::teleport(&obj, &x, theta);
        assert_vec_close("y_t", &step.y, &y, 1e-14 * (1.0 + y.norm()));
        let x_next = y - 2.0 * alpha * (a * y);
        assert_vec_close("x_{t+1}", &step.x_next, &x_next, 1e-12 * (1.0 + y.norm()));
        if i % 10 == 0 {
            // The derivative of θ ↦ f(x_{t+1}(θ)) by finite differences.
            let f_next = |t: f64| {
                let y = symmetry::teleport(&obj, &x, t);
                obj.f(&(y - alpha * obj.grad(&y)))
            };
            let fd = d5(f_next, theta, 1e-3);
            assert_close(
                &format!("case {i}: step vs FD"),
                step.theta_grad,
                fd,
                1e-8 * scale,
            );
        }
    }
}

#[test]
fn alg2_step_differentiates_any_family() {
    // The chain rule in `step` is not specific to quadratics.
    let mut rng = teleport_core::rng(12);
    for (i, task) in tasks_of_every_family(140, 100).iter().enumerate() {
        let obj = &task.objective;
        let x = task.x0;
        let theta = rng.random_range(-PI..PI);
        let alpha = 1e-3;
        let step = alg2::step(obj, &x, theta, alpha, 0.1);
        let f_next = |t: f64| {
            let y = symmetry::teleport(obj, &x, t);
            obj.f(&(y - alpha * obj.grad(&y)))
        };
        let fd = d5(f_next, theta, 1e-4);
        assert!(
            (step.theta_grad - fd).abs() <= 1e-6 * (1.0 + obj.f(&x) + fd.abs()),
            "task {i} ({}): ∂f/∂θ = {}, FD = {fd}",
            obj.family(),
            step.theta_grad
        );
    }
}

/// Appendix B's printed result, `∂f(x_{t+1})/∂θ_t = 2(Bx_t)ᵀ Λ (R_{π/2} B x_t)`
/// with `Λ = diag((1 − 2αλᵢ)²)` taken literally in the standard basis.
fn appendix_b_as_printed(a: &Mat2, lambdas: [f64; 2], x: &Vec2, alpha: f64) -> f64 {
    let w = sqrt_spd(a) * x;
    let big_lambda = Mat2::from_diagonal(&Vec2::new(
        (1.0 - 2.0 * alpha * lambdas[0]).powi(2),
        (1.0 - 2.0 * alpha * lambdas[1]).powi(2),
    ));
    2.0 * w.dot(&(big_lambda * Vec2::new(-w.y, w.x)))
}

#[test]
fn appendix_b_printed_form_holds_only_in_eigen_coordinates_at_theta_zero() {
    // The printed form drops R_θ and the eigenbasis Q of A. It is exact when
    // A is diagonal and θ = 0, and wrong otherwise; `closed_form_theta_grad`
    // reads Bx_t as Qᵀ R_θ B x_t, which is exact everywhere.
    let x = Vec2::new(0.8, -1.3);
    let alpha = 0.05;
    let diag = Mat2::new(3.0, 0.0, 0.0, 0.5);
    let obj = Objective::Quadratic(Quadratic::new(diag).unwrap());
    let exact = alg2::step(&obj, &x, 0.0, alpha, 0.0).theta_grad;
    let printed = appendix_b_as_printed(&diag, [3.0, 0.5], &x, alpha);
    assert_close("diagonal A, θ = 0", printed, exact, 1e-12 * exact.abs());
    // θ ≠ 0: the printed value does not move with θ, the true one does.
    let exact = alg2::step(&obj, &x, 0.7, alpha, 0.0).theta_grad;
    assert!(
        (printed - exact).abs() > 0.1 * exact.abs(),
        "{printed} vs {exact}"
    );
    // A rotated A at θ = 0: the eigenbasis matters too.
    let q = rotation(0.6);
    let rotated = q * diag * q.transpose();
    let rotated = Mat2::new(
        rotated[(0, 0)],
        rotated[(0, 1)],
        rotated[(0, 1)],
        rotated[(1, 1)],
    );
    let obj = Objective::Quadratic(Quadratic::new(rotated).unwrap());
    let exact = alg2::step(&obj, &x, 0.0, alpha, 0.0).theta_grad;
    let printed = appendix_b_as_printed(&rotated, [3.0, 0.5], &x, alpha);
    assert!(
        (printed - exact).abs() > 0.1 * exact.abs(),
        "{printed} vs {exact}"
    );
    let Objective::Quadratic(q) = &obj else {
        unreachable!()
    };
    let closed = alg2::closed_form_theta_grad(q, &x, 0.0, alpha);
    assert_close("closed form", closed, exact, 1e-12 * exact.abs());
}

/// A random quadratic with a clear principal axis (λ_max ≥ 1.5 λ_min).
fn anisotropic_quadratic(rng: &mut teleport_core::Rng) -> (Mat2, [f64; 2]) {
    loop {
        let (a, _, l) = random_spd(rng, 0.1, 10.0);
        if l[0].max(l[1]) >= 1.5 * l[0].min(l[1]) {
            return (a, l);
        }
    }
}

#[test]
fn alg2_theta_turns_toward_the_principal_axis_at_every_step() {
    // Appendix B: with u the rotated point in A's eigenbasis,
    // f(x_{t+1}) = Λ_max u_max² + Λ_min u_min², Λ = (1 − 2αλ)², which for
    // α < 1/(2λ_max) is smallest on the principal axis. A θ step of size
    // β ≤ 1/(2·f(x_0)·(Λ_min − Λ_max)) cannot overshoot, so each update turns
    // y toward the axis and raises ‖∇f(y)‖.
    let mut rng = teleport_core::rng(13);
    let mut turned = 0;
    let mut steps = 0;
    for case in 0..300 {
        let (a, [l1, l2]) = anisotropic_quadratic(&mut rng);
        let (lmax, lmin) = (l1.max(l2), l1.min(l2));
        let obj = Objective::Quadratic(Quadratic::new(a).unwrap());
        let axis = alg2::principal_axis_angle(&a);
        assert!(
            angle_dist(axis, top_eigen_angle(&a), PI) < 1e-9,
            "principal axis"
        );
        let alpha = rng.random_range(0.05..0.45) / lmax;
        let x0 = normal_vec(&mut rng, 1.0);
        let gap = (1.0 - 2.0 * alpha * lmin).powi(2) - (1.0 - 2.0 * alpha * lmax).powi(2);
        let beta = 1.0 / (2.0 * obj.f(&x0) * gap);
        let mut x = x0;
        let mut theta = rng.random_range(-PI..PI);
        for t in 0..40 {
            let step = alg2::step(&obj, &x, theta, alpha, beta);
            let before = angle_to_axis(&step.y, axis);
            let y_after = symmetry::teleport(&obj, &x, step.theta_next);
            let after = angle_to_axis(&y_after, axis);
            assert!(
                after <= before + 1e-9,
                "case {case}, t = {t}: θ turned away from the axis ({before} → {after})"
            );
            let (g_before, g_after) = (obj.grad(&step.y).norm(), obj.grad(&y_after).norm());
            assert!(
                g_after >= g_before * (1.0 - 1e-12),
                "case {case}, t = {t}: ‖∇f(y)‖ fell from {g_before} to {g_after}"
            );
            // Where f(x_t) ≪ f(x_0) the turn is below rounding; skip those.
            if before > 1e-3 && before < FRAC_PI_2 - 1e-3 && obj.f(&x) > 1e-6 * obj.f(&x0) {
                steps += 1;
                if after < before {
                    turned += 1;
                }
            }
            x = step.x_next;
            theta = step.theta_next;
            if obj.f(&x) < 1e-200 {
                break;
            }
        }
    }
    // Strictly closer whenever y is neither on an axis nor at 90° from it.
    assert!(steps > 1000 && turned == steps, "{turned} of {steps}");
}

#[test]
fn alg2_theta_learning_aligns_y_with_the_principal_axis() {
    // Algorithm 2's θ update applied repeatedly at one iterate x (the
    // learning problem for θ alone) converges to the rotation that puts
    // y = g_θ(x) on the principal axis, where ‖∇f(y)‖ is the oracle's maximum.
    let mut rng = teleport_core::rng(14);
    for case in 0..500 {
        let (a, [l1, l2]) = anisotropic_quadratic(&mut rng);
        let (lmax, lmin) = (l1.max(l2), l1.min(l2));
        let obj = Objective::Quadratic(Quadratic::new(a).unwrap());
        let axis = alg2::principal_axis_angle(&a);
        let alpha = rng.random_range(0.05..0.45) / lmax;
        let x = normal_vec(&mut rng, 1.0);
        let gap = (1.0 - 2.0 * alpha * lmin).powi(2) - (1.0 - 2.0 * alpha * lmax).powi(2);
        let beta = 0.5 / (obj.f(&x) * gap);
        let mut theta = rng.random_range(-PI..PI);
        let first = angle_to_axis(&symmetry::teleport(&obj, &x, theta), axis);
        let mut angles = vec![first];
        let mut ratios = Vec::new();
        for _ in 0..200 {
            let step = alg2::step(&obj, &x, theta, alpha, beta);
            angles.push(angle_to_axis(&step.y, axis));
            ratios.push(obj.grad(&step.y).norm() / obj.grad(&x).norm());
            theta = step.theta_next;
        }
        let y = symmetry::teleport(&obj, &x, theta);
        let last = angle_to_axis(&y, axis);
        // Start points exactly 90° off the axis sit on the other (unstable)
        // fixed point; random ones do not.
        assert!(first < FRAC_PI_2 - 1e-6);
        assert!(
            last < 1e-6,
            "case {case}: y ends {}° off the principal axis (started {}°)",
            last.to_degrees(),
            first.to_degrees()
        );
        assert!(angles.windows(2).all(|w| w[1] <= w[0] + 1e-9));
        // ‖∇f(y)‖/‖∇f(x)‖ grows to the oracle's ratio.
        assert!(ratios.windows(2).all(|w| w[1] >= w[0] * (1.0 - 1e-12)));
        let oracle = symmetry::oracle(&obj, &x);
        assert_close(
            "final ‖∇f(y)‖",
            obj.grad(&y).norm(),
            oracle.grad_norm,
            1e-9 * oracle.grad_norm,
        );
    }
}

#[test]
fn alg2_runs_through_the_optimizer() {
    let mut rng = teleport_core::rng(15);
    let (a, _) = anisotropic_quadratic(&mut rng);
    let q = Quadratic::new(a).unwrap();
    let obj = Objective::Quadratic(q.clone());
    let (alpha, beta, theta0) = (0.02, 0.3, 0.4);
    let x0 = Vec2::new(1.0, -0.5);
    let spec = OptimizerSpec::Alg2 {
        lr: alpha,
        theta_lr: beta,
        theta0,
    };
    let traj = optim::run(&obj, x0, 25, spec, None);
    assert_eq!(traj.records.len(), 26);
    let (mut x, mut theta) = (x0, theta0);
    for r in &traj.records {
        let got = r.theta.unwrap();
        assert_close(&format!("θ_{}", r.t), got, theta, 1e-12);
        assert!(!r.teleported);
        assert_vec_close("x_t", &Vec2::from(r.x), &x, 1e-12);
        // The closed form drives θ, teleport-then-GD drives x.
        let next_theta = theta - beta * theta_grad_by_hand(&a, &x, theta, alpha);
        let y = symmetry::teleport(&obj, &x, theta);
        x = y - 2.0 * alpha * (a * y);
        theta = next_theta;
    }
}

// ---------------------------------------------------------------------------
// Proposition 4.1 and Lemma A.1.

#[test]
fn proposition_4_1_on_100k_random_convex_quadratics() {
    let mut rng = teleport_core::rng(16);
    let mut positive = 0;
    for i in 0..100_000 {
        let (h, phi, [d1, d2]) = random_spd(&mut rng, 1e-2, 1e2);
        let g = normal_vec(&mut rng, 1.0);
        let dec = theory::decompose(g, h).unwrap();
        // The natural size of v⊥ · 2Hg.
        let scale = dec.v2.norm() * dec.grad_of_grad_norm_sq.norm();
        assert!(
            dec.directional >= -1e-12 * scale,
            "case {i}: directional derivative {} < 0 (H = {h:?}, ∇f = {g:?})",
            dec.directional
        );
        if dec.directional > 1e-9 * scale {
            positive += 1;
        }
        let closed = theory::directional_closed_form(g, h).unwrap();
        assert_close("closed form (8)", dec.directional, closed, 1e-10 * scale);
        // In the eigenbasis, with z = Qᵀg: 2(−Σz² + (Σz²/d)(Σd z²)/Σz²).
        let (s, c) = phi.sin_cos();
        let z = Vec2::new(c * g.x + s * g.y, -s * g.x + c * g.y);
        let (z1, z2) = (z.x * z.x, z.y * z.y);
        let by_hand = 2.0 * (-(z1 + z2) + (z1 / d1 + z2 / d2) * (d1 * z1 + d2 * z2) / (z1 + z2));
        assert_close("eigenbasis form", dec.directional, by_hand, 1e-10 * scale);
        // The decomposition itself.
        assert_vec_close("v1", &dec.v1, &(-g), 0.0);
        let hv = h.abs().max() * dec.v2.norm();
        assert_vec_close("H v2 = −∇f", &(h * dec.v2), &(-g), 1e-12 * hv);
        assert_vec_close(
            "v∥ + v⊥ = v2",
            &(dec.v_par + dec.v_perp),
            &dec.v2,
            1e-12 * dec.v2.norm(),
        );
        assert!(dec.v_perp.dot(&g).abs() <= 1e-12 * dec.v2.norm() * g.norm());
        assert!(dec.v_par.perp(&g).abs() <= 1e-12 * dec.v2.norm() * g.norm());
        assert_vec_close(
            "∇‖∇f‖² = 2H∇f",
            &dec.grad_of_grad_norm_sq,
            &(2.0 * h * g),
            1e-15 * (h * g).norm(),
        );
    }
    // Equality needs g along an eigenvector; random draws are strictly positive.
    assert!(positive > 99_000, "{positive}");
}

#[test]
fn grad_of_grad_norm_sq_matches_finite_differences_on_real_objectives() {
    for (i, task) in tasks_of_every_family(150, 100).iter().enumerate() {
        let obj = &task.objective;
        let x = task.x0;
        let (g, h) = (obj.grad(&x), obj.hessian(&x));
        let Ok(dec) = theory::decompose(g, h) else {
            continue;
        };
        let norm_sq = |p: &Vec2| obj.grad(p).norm_squared();
        let fd = gradient_fd(norm_sq, &x);
        let scale = 1.0 + dec.grad_of_grad_norm_sq.norm();
        assert_vec_close(
            &format!("task {i} ({}): 2H∇f vs FD", obj.family()),
            &dec.grad_of_grad_norm_sq,
            &fd,
            1e-7 * scale,
        );
        // The directional derivative along v⊥, by moving along v⊥.
        let along = |s: f64| norm_sq(&(x + s * dec.v_perp));
        let fd = d5(along, 0.0, 1e-3 / (1.0 + dec.v_perp.norm()));
        assert!(
            (dec.directional - fd).abs() <= 1e-6 * (1.0 + dec.v_perp.norm() * scale),
            "task {i}: v⊥·∇‖∇f‖² = {}, FD = {fd}",
            dec.directional
        );
        if obj.is_convex() {
            assert!(dec.directional >= -1e-12 * dec.v2.norm() * scale);
        }
    }
}

#[test]
fn appendix_counterexample_violates_lemma_a1() {
    // w = [1, 3], A = diag(1, −2): (wᵀw)² = 100 > (wᵀA⁻¹w)(wᵀAw) = (−3.5)(−17) = 59.5.
    let w = Vec2::new(1.0, 3.0);
    let a = Mat2::new(1.0, 0.0, 0.0, -2.0);
    let (lhs, rhs) = theory::lemma_a1(w, a, 0, 1).unwrap();
    assert_eq!(lhs, 100.0);
    assert_eq!(rhs, 59.5);
    assert!(lhs > rhs);
    // With ∇f = w and H = A, Proposition 4.1's quantity is
    // 2(−10 + 59.5/10) = −8.1 < 0.
    let dec = theory::decompose(w, a).unwrap();
    assert_close("directional", dec.directional, -8.1, 1e-12);
    assert_close(
        "closed form",
        theory::directional_closed_form(w, a).unwrap(),
        -8.1,
        1e-12,
    );
}

#[test]
fn lemma_a1_holds_for_positive_definite_matrices() {
    let mut rng = teleport_core::rng(17);
    for _ in 0..20_000 {
        let (a, _, _) = random_spd(&mut rng, 0.2, 5.0);
        let w = normal_vec(&mut rng, 1.0);
        let alpha = rng.random_range(-2..=2);
        let beta = rng.random_range(-2..=2);
        let (lhs, rhs) = theory::lemma_a1(w, a, alpha, beta).unwrap();
        assert!(
            lhs <= rhs * (1.0 + 1e-12),
            "α = {alpha}, β = {beta}: {lhs} > {rhs}"
        );
        if beta == 0 {
            assert_close("β = 0 is equality", lhs, rhs, 1e-12 * rhs);
        }
    }
    // A negative power of a singular matrix does not exist.
    assert_eq!(
        theory::lemma_a1(Vec2::new(1.0, 1.0), Mat2::new(1.0, 0.0, 0.0, 0.0), 0, 1),
        None
    );
}

#[test]
fn degenerate_points_are_errors_not_panics() {
    let h = Mat2::identity();
    assert_eq!(
        theory::decompose(Vec2::zeros(), h),
        Err(DecompositionError::ZeroGradient)
    );
    assert_eq!(
        theory::decompose(Vec2::new(f64::NAN, 0.0), h),
        Err(DecompositionError::ZeroGradient)
    );
    assert!(matches!(
        theory::decompose(Vec2::new(1.0, 0.0), Mat2::new(1.0, 1.0, 1.0, 1.0)),
        Err(DecompositionError::SingularHessian(_))
    ));
    assert_eq!(
        theory::directional_closed_form(Vec2::new(1.0, 0.0), Mat2::zeros()),
        None
    );
    // Newton stops with a message where the Hessian is singular.
    let obj = Preset::Rosenbrock.objective();
    let traj = optim::run(
        &obj,
        Vec2::new(0.5, 0.255),
        3,
        OptimizerSpec::Newton { lr: 1.0 },
        None,
    );
    assert!(
        matches!(traj.stop, Some(Stop::Failed { step: 0, .. })),
        "{:?}",
        traj.stop
    );
}

/// Every preset's step sizes descend from its start point without
/// diverging: f falls at least tenfold in 100 steps for GD, momentum and
/// Adam. (The `rosenbrock` preset's old default GD lr = 0.05 diverged at
/// step 5 and left ‖∇f‖ = ∞ on screen.)
#[test]
fn preset_step_sizes_descend_without_diverging() {
    for preset in Preset::ALL {
        let obj = preset.objective();
        let x0 = preset.default_x0();
        let s = preset.step_sizes();
        let specs = [
            OptimizerSpec::Gd { lr: s.gd },
            OptimizerSpec::Momentum {
                lr: s.momentum,
                beta: 0.6,
            },
            OptimizerSpec::adam(s.adam),
        ];
        for spec in specs {
            let tr = optim::run(&obj, x0, 100, spec, None);
            let (f0, f_end) = (tr.records[0].f, tr.records[100].f);
            assert!(tr.stop.is_none(), "{preset:?} {spec:?}: {:?}", tr.stop);
            assert!(f_end < f0 / 10.0, "{preset:?} {spec:?}: f {f0} → {f_end}");
        }
    }
    // And the old default really diverged on the stiff preset.
    let old = optim::run(
        &Preset::Rosenbrock.objective(),
        Preset::Rosenbrock.default_x0(),
        100,
        OptimizerSpec::Gd { lr: 0.05 },
        None,
    );
    assert!(
        matches!(old.stop, Some(Stop::Diverged { .. })),
        "{:?}",
        old.stop
    );
}
