//! A typed `f` and its flow teleport `g_θ(x) = φ_{θT/2π}(x)` along the
//! Hamiltonian field `J∇f`, checked against independent computations: a
//! fixed-step RK4 integrator written here, the paper's ellipse teleport
//! (which the flow teleport equals for `f = ‖Ax + b‖²`), central finite
//! differences, and dense scans.
#![allow(clippy::unwrap_used, reason = "test helpers panic on setup failures")]

mod common;

use std::f64::consts::{PI, TAU};
use std::sync::Arc;

use common::{assert_mat_close, assert_vec_close};
use teleport_core::io::scene::{ObjectiveSpec, Scene, SceneError};
use teleport_core::objective::{
    CustomError, Ellipse, Mat2, Objective, ParamError, TEST_FUNCTIONS, TeleportError, TypedF, Vec2,
};
use teleport_core::optim::alg2;
use teleport_core::symmetry::flow::{LevelCurve, MAX_FLOW_STEPS, MAX_FLOW_WORK};
use teleport_core::symmetry::{self, Strategy};

fn typed(f: &str) -> Arc<TypedF> {
    Arc::new(TypedF::new(f).unwrap())
}

fn formula(f: &str) -> Objective {
    Objective::Formula(typed(f))
}

/// `X = J∇f = (−∂f/∂y, ∂f/∂x)`.
fn field(grad: Vec2) -> Vec2 {
    Vec2::new(-grad.y, grad.x)
}

/// Himmelblau's gradient, written out by hand.
fn himmelblau_grad(p: &Vec2) -> Vec2 {
    let (x, y) = (p.x, p.y);
    let a = x * x + y - 11.0;
    let b = x + y * y - 7.0;
    Vec2::new(4.0 * a * x + 2.0 * b, 2.0 * a + 4.0 * b * y)
}

fn himmelblau(p: &Vec2) -> f64 {
    (p.x * p.x + p.y - 11.0).powi(2) + (p.x + p.y * p.y - 7.0).powi(2)
}

/// `∇f` by central differences of `f` (step `1e-6·(1 + |x|)`).
fn fd_grad(f: &TypedF, p: &Vec2) -> Vec2 {
    let h = 1e-6 * (1.0 + p.amax());
    let dx = Vec2::new(h, 0.0);
    let dy = Vec2::new(0.0, h);
    Vec2::new(
        (f.f(&(p + dx)) - f.f(&(p - dx))) / (2.0 * h),
        (f.f(&(p + dy)) - f.f(&(p - dy))) / (2.0 * h),
    )
}

/// An independent integrator: classical RK4 with a fixed step on
/// `ẋ = J∇f`, each step projected back onto `f = c` by Newton steps along
/// `∇f`. Returns the point at time `t_end` and, if it comes back across the
/// section through `x0` along `∇f(x0)` first, the time it did (linear
/// interpolation of the crossing).
fn rk4(
    f: impl Fn(&Vec2) -> f64,
    grad: impl Fn(&Vec2) -> Vec2,
    x0: Vec2,
    t_end: f64,
    steps: usize,
) -> (Vec2, Option<f64>, f64) {
    let c = f(&x0);
    let dir = field(grad(&x0));
    let dt = t_end / steps as f64;
    let mut p = x0;
    let mut period = None;
    let mut max_grad = grad(&x0).norm();
    for k in 0..steps {
        let k1 = field(grad(&p));
        let k2 = field(grad(&(p + 0.5 * dt * k1)));
        let k3 = field(grad(&(p + 0.5 * dt * k2)));
        let k4 = field(grad(&(p + dt * k3)));
        let mut next = p + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
        for _ in 0..2 {
            let g = grad(&next);
            next -= (f(&next) - c) / g.norm_squared() * g;
        }
        let (s0, s1) = ((p - x0).dot(&dir), (next - x0).dot(&dir));
        if period.is_none() && k > 0 && s0 < 0.0 && s1 >= 0.0 {
            period = Some(dt * (k as f64 + s0 / (s0 - s1)));
        }
        max_grad = max_grad.max(grad(&next).norm());
        p = next;
    }
    (p, period, max_grad)
}

#[test]
fn the_flow_teleport_matches_an_independent_rk4() {
    let cases: Vec<(&str, Vec2)> = vec![
        (TEST_FUNCTIONS[0].f, Vec2::new(0.5, 5.0)),
        (TEST_FUNCTIONS[0].f, Vec2::new(3.5, 2.5)),
        (TEST_FUNCTIONS[5].f, Vec2::new(-1.5, 1.5)),
        (TEST_FUNCTIONS[9].f, Vec2::new(1.0, 1.5)),
        (TEST_FUNCTIONS[1].f, Vec2::new(2.5, 0.2)),
    ];
    for (i, (source, x0)) in cases.iter().enumerate() {
        let f = typed(source);
        let curve = LevelCurve::new(Arc::clone(&f), *x0).unwrap();
        let period = curve.period();
        let himmel = i < 2;
        let value = |p: &Vec2| if himmel { himmelblau(p) } else { f.f(p) };
        let grad = |p: &Vec2| {
            if himmel {
                himmelblau_grad(p)
            } else {
                fd_grad(&f, p)
            }
        };
        // One full turn and a little: the period.
        let (_, rk_period, _) = rk4(value, grad, *x0, 1.05 * period, 40_000);
        let rk_period = rk_period.unwrap();
        assert!(
            (rk_period - period).abs() <= 1e-6 * period,
            "case {i}: T = {period} vs RK4 {rk_period}"
        );
        for theta in [0.3, 1.0, 2.5, 4.0, 6.0] {
            let t = theta / TAU * period;
            let (want, _, _) = rk4(value, grad, *x0, t, 20_000);
            let got = curve.at(theta);
            let scale = 1.0 + x0.norm();
            assert_vec_close(&format!("case {i} θ = {theta}"), &got, &want, 1e-6 * scale);
        }
    }
}

/// `f = ‖Ax + b‖²` typed as a formula teleports exactly as the ellipse
/// family does (with `R_{−θ}` when `det A < 0`), for angles beyond
/// `[0, 2π)` too, and its jets agree.
#[test]
fn an_ellipse_typed_as_f_teleports_as_the_ellipse_family() {
    let cases = [
        (
            "(0.5*x)^2 + (3*y)^2",
            Mat2::new(0.5, 0.0, 0.0, 3.0),
            Vec2::zeros(),
        ),
        (
            "(x + 2*y + 0.3)^2 + (0.5*x - y - 0.7)^2",
            Mat2::new(1.0, 2.0, 0.5, -1.0),
            Vec2::new(0.3, -0.7),
        ),
        (
            "(1.3*x - 0.4*y - 2)^2 + (0.7*x + 0.9*y + 1)^2",
            Mat2::new(1.3, -0.4, 0.7, 0.9),
            Vec2::new(-2.0, 1.0),
        ),
    ];
    for (source, a, b) in cases {
        let typed = formula(source);
        let ellipse = Objective::Ellipse(Ellipse::new(a, b).unwrap());
        let sign = a.determinant().signum();
        for x in [
            Vec2::new(-5.0, 3.5),
            Vec2::new(1.0, 0.2),
            Vec2::new(0.3, -2.0),
        ] {
            let curve = LevelCurve::new(Arc::clone(typed.as_formula_arc()), x).unwrap();
            assert!(
                (curve.period() - PI / a.determinant().abs()).abs() <= 1e-8 * curve.period(),
                "{source}: T = {} vs π/|det A|",
                curve.period()
            );
            let scale = 1.0 + x.norm();
            for theta in [-7.0, -2.0, -0.1, 0.0, 0.5, 1.7, 3.0, 5.9, 6.5, 13.0, 40.0] {
                let got = symmetry::teleport(&typed, &x, theta);
                let want = symmetry::teleport(&ellipse, &x, sign * theta);
                assert_vec_close(
                    &format!("{source} at {x:?}, θ = {theta}"),
                    &got,
                    &want,
                    1e-6 * scale,
                );
                let jet = symmetry::try_teleport_jet(&typed, &x, theta).unwrap();
                let reference = symmetry::teleport_jet(&ellipse, &x, sign * theta);
                assert_mat_close(
                    &format!("{source}: ∂g/∂x at θ = {theta}"),
                    &jet.dy_dx,
                    &reference.dy_dx,
                    1e-6 * (1.0 + reference.dy_dx.amax()),
                );
                assert_vec_close(
                    &format!("{source}: ∂g/∂θ at θ = {theta}"),
                    &jet.dy_dtheta,
                    &(sign * reference.dy_dtheta),
                    1e-6 * scale,
                );
            }
        }
    }
}

/// Seeded points of a view.
fn points(view: [[f64; 2]; 2], n: usize, seed: u64) -> Vec<Vec2> {
    let mut rng = teleport_core::rng(seed);
    (0..n)
        .map(|_| {
            Vec2::new(
                rand::RngExt::random_range(&mut rng, view[0][0]..view[1][0]),
                rand::RngExt::random_range(&mut rng, view[0][1]..view[1][1]),
            )
        })
        .collect()
}

/// Wherever the level curve closes, `f(g_θ x) = f(x)` to 1e−9 relative, for
/// any θ; and most sampled points of these functions do close.
#[test]
fn f_is_preserved_along_every_flow_teleport() {
    for (k, t) in TEST_FUNCTIONS.iter().enumerate() {
        let f = typed(t.f);
        let mut closed = 0;
        for x in points(t.view, 12, 40 + k as u64) {
            let Ok(curve) = LevelCurve::new(Arc::clone(&f), x) else {
                continue;
            };
            closed += 1;
            let c = f.f(&x);
            for theta in [-3.0, 0.1, 1.0, 2.0, 3.3, 4.9, 6.2, 9.0] {
                let y = curve.at(theta);
                let err = (f.f(&y) - c).abs();
                assert!(
                    err <= 1e-9 * c.abs().max(1e-3),
                    "{}: f = {c} at {x:?}, θ = {theta}: off by {err:e}",
                    t.name
                );
            }
        }
        // Beale's and McCormick's levels are mostly open in their views.
        if !["Beale", "McCormick"].contains(&t.name) {
            assert!(closed >= 6, "{}: only {closed} of 12 curves closed", t.name);
        }
    }
}

/// The oracle's θ* against a dense scan of the curve (4096 angles), and the
/// largest `‖∇f‖` met by the independent RK4 over a full turn.
#[test]
fn the_oracle_finds_the_steepest_point_of_the_curve() {
    let cases = [
        (TEST_FUNCTIONS[0].f, Vec2::new(0.5, 5.0)),
        (TEST_FUNCTIONS[0].f, Vec2::new(3.5, 2.5)),
        (TEST_FUNCTIONS[4].f, Vec2::new(-2.0, 2.0)),
        (TEST_FUNCTIONS[7].f, Vec2::new(0.5, 4.0)),
        (TEST_FUNCTIONS[10].f, Vec2::new(-1.2, 1.0)),
    ];
    for (source, x) in cases {
        let obj = formula(source);
        let f = obj.as_formula_arc().clone();
        let best = symmetry::try_oracle(&obj, &x).unwrap();
        let at = symmetry::grad_norm_at(&obj, &x, best.theta);
        assert!((at - best.grad_norm).abs() <= 1e-9 * at, "{source}");
        let scan = symmetry::dense_scan(&obj, &x, 4096);
        assert!(scan.grad_norm <= best.grad_norm * (1.0 + 1e-12), "{source}");
        assert!(scan.grad_norm >= best.grad_norm * (1.0 - 1e-4), "{source}");
        let period = LevelCurve::new(Arc::clone(&f), x).unwrap().period();
        let (_, _, rk_max) = rk4(|p| f.f(p), |p| fd_grad(&f, p), x, period, 40_000);
        assert!(
            (rk_max - best.grad_norm).abs() <= 1e-5 * best.grad_norm,
            "{source}: oracle {} vs RK4's largest ‖∇f‖ {rk_max}",
            best.grad_norm
        );
    }
}

/// `∂g/∂θ` and `∂g/∂x` of the flow teleport against central differences
/// (`∂g/∂x` moves the start, so each difference follows a new curve), and
/// `T'(c)` against a difference of periods.
#[test]
fn jets_and_the_period_derivative_match_finite_differences() {
    let cases = [
        (TEST_FUNCTIONS[0].f, Vec2::new(0.5, 5.0)),
        (TEST_FUNCTIONS[0].f, Vec2::new(3.5, 2.5)),
        (TEST_FUNCTIONS[4].f, Vec2::new(-2.0, 2.0)),
        (TEST_FUNCTIONS[10].f, Vec2::new(-0.5, 1.0)),
        ("exp(0.3*x) + x^2 + 2*y^2 + sin(x*y)", Vec2::new(0.5, 0.7)),
    ];
    for (source, x) in cases {
        let obj = formula(source);
        let f = obj.as_formula_arc().clone();
        let curve = LevelCurve::new(Arc::clone(&f), x).unwrap();
        for theta in [0.4, 2.0, 3.9, 5.5, -1.0, 8.0] {
            let jet = curve.jet(theta);
            let d = 1e-5;
            let fd_theta = (curve.at(theta + d) - curve.at(theta - d)) / (2.0 * d);
            let tol = 1e-6 * (1.0 + fd_theta.norm());
            assert_vec_close(
                &format!("{source}: ∂g/∂θ at θ = {theta}"),
                &jet.dy_dtheta,
                &fd_theta,
                tol,
            );
            let h = 1e-5 * (1.0 + x.amax());
            let mut fd_x = Mat2::zeros();
            for j in 0..2 {
                let mut e = Vec2::zeros();
                e[j] = h;
                let plus = LevelCurve::new(Arc::clone(&f), x + e).unwrap().at(theta);
                let minus = LevelCurve::new(Arc::clone(&f), x - e).unwrap().at(theta);
                fd_x.set_column(j, &((plus - minus) / (2.0 * h)));
            }
            assert_mat_close(
                &format!("{source}: ∂g/∂x at θ = {theta}"),
                &jet.dy_dx,
                &fd_x,
                2e-5 * (1.0 + fd_x.amax()),
            );
        }
        // T'(c): move the start along ∇f so that the level changes.
        let g = f.f_grad(&x).1;
        let step = 1e-4 * g / g.norm_squared() * (1.0 + f.f(&x).abs());
        let up = LevelCurve::new(Arc::clone(&f), x + step).unwrap();
        let down = LevelCurve::new(Arc::clone(&f), x - step).unwrap();
        let fd = (up.period() - down.period()) / (up.level() - down.level());
        let got = curve.period_derivative();
        assert!(
            (got - fd).abs() <= 1e-4 * (fd.abs() + 1e-3 * curve.period()),
            "{source}: T'(c) = {got} vs {fd}"
        );
    }
}

/// Gradient ascent's slope `G'(θ)` and Algorithm 2's `∂f(x_{t+1})/∂θ`
/// through the flow teleport, against central differences.
#[test]
fn ascent_and_algorithm_2_differentiate_through_the_flow() {
    let obj = formula(TEST_FUNCTIONS[0].f);
    let f = obj.as_formula_arc().clone();
    for x in [Vec2::new(0.5, 5.0), Vec2::new(3.5, 2.5)] {
        let curve = LevelCurve::new(Arc::clone(&f), x).unwrap();
        for theta in [0.3, 1.9, 4.4] {
            let (_, slope) = curve.grad_norm_sq(theta);
            let d = 1e-5;
            let big_g = |th: f64| symmetry::grad_norm_at(&obj, &x, th).powi(2);
            let fd = (big_g(theta + d) - big_g(theta - d)) / (2.0 * d);
            assert!(
                (slope - fd).abs() <= 1e-5 * (fd.abs() + big_g(theta)),
                "G'({theta}) = {slope} vs {fd}"
            );
            let (_, both) = symmetry::grad_norm_sq_and_derivative(&obj, &x, theta);
            assert!((both - slope).abs() <= 1e-8 * (1.0 + slope.abs()));
            let lr = 0.002;
            let step = alg2::try_step(&obj, &x, theta, lr, 0.1).unwrap();
            let after = |th: f64| {
                let y = symmetry::teleport(&obj, &x, th);
                obj.f(&(y - lr * obj.grad(&y)))
            };
            let fd = (after(theta + d) - after(theta - d)) / (2.0 * d);
            assert!(
                (step.theta_grad - fd).abs() <= 1e-5 * (fd.abs() + 1.0),
                "Alg. 2 ∂f/∂θ = {} vs {fd}",
                step.theta_grad
            );
        }
        // A few ascent steps raise ‖∇f‖ from θ = 0 on this curve.
        let theta = symmetry::try_ascent(&obj, &x, 0.0, 1e-6, 20).unwrap();
        assert!(symmetry::grad_norm_at(&obj, &x, theta) > symmetry::grad_norm_at(&obj, &x, 0.0));
        let by_strategy = Strategy::Ascent {
            theta0: 0.0,
            lr: 1e-6,
            iters: 20,
        }
        .try_angle(&obj, &x)
        .unwrap();
        assert_eq!(by_strategy, theta);
    }
}

/// Every way a level curve can fail to be a closed orbit gives its own
/// typed error, within the step and work budgets.
#[test]
fn curves_that_do_not_close_are_refused_with_the_reason() {
    let check = |source: &str, x: Vec2, want: &dyn Fn(&TeleportError) -> bool, steps: usize| {
        let f = typed(source);
        let (curve, stats) = LevelCurve::with_stats(f, x);
        let e = curve
            .err()
            .unwrap_or_else(|| panic!("{source} at {x:?} closed"));
        assert!(want(&e), "{source} at {x:?}: {e}");
        assert!(
            stats.steps <= steps && stats.work <= MAX_FLOW_WORK,
            "{source}: {stats:?}"
        );
        let message = e.to_string();
        assert!(!message.contains('\n') && message.len() < 300, "{message}");
        e
    };
    // x at a saddle, and in a flat region.
    check(
        "x^2 - y^2",
        Vec2::zeros(),
        &|e| matches!(e, TeleportError::CriticalPoint { .. }),
        0,
    );
    check(
        "x^2 + y^2 - 1 + abs(x^2 + y^2 - 1)",
        Vec2::new(0.2, 0.1),
        &|e| matches!(e, TeleportError::CriticalPoint { .. }),
        0,
    );
    // Open curves.
    for (source, x) in [
        ("x + y", Vec2::new(1.0, 0.0)),
        ("x^2 - y^2", Vec2::new(1.0, 0.5)),
    ] {
        let e = check(
            source,
            x,
            &|e| matches!(e, TeleportError::OpenCurve { .. }),
            1_000,
        );
        assert!(e.to_string().contains("runs off to infinity"), "{e}");
    }
    // Himmelblau's saddle level between (3, 2) and (3.58, −1.85): a point
    // above (3, 2) on that level (found by bisection along x = 3).
    let f = typed(TEST_FUNCTIONS[0].f);
    let mut saddle = Vec2::new(3.385, 0.074);
    for _ in 0..20 {
        let (_, g, h) = f.second(&saddle);
        saddle -= h.try_inverse().unwrap() * g;
    }
    let level = f.f(&saddle);
    let (mut lo, mut hi) = (2.0, 4.0);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if f.f(&Vec2::new(3.0, mid)) < level {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    check(
        TEST_FUNCTIONS[0].f,
        Vec2::new(3.0, lo),
        &|e| matches!(e, TeleportError::NearCritical { .. }),
        MAX_FLOW_STEPS,
    );
    // Never closes within the budget.
    check(
        "x + 1e6*sin(y)",
        Vec2::zeros(),
        &|e| matches!(e, TeleportError::CurveTooLong { .. }),
        MAX_FLOW_STEPS,
    );
    // Runs out of the formula's domain.
    check(
        "sqrt(x) + y^2",
        Vec2::new(1.0, 0.0),
        &|e| matches!(e, TeleportError::NotFiniteF { .. }),
        MAX_FLOW_STEPS,
    );
    check(
        "ln(x) + y^2",
        Vec2::new(-1.0, 0.0),
        &|e| matches!(e, TeleportError::NotFiniteF { .. }),
        0,
    );
    // The work budget binds long formulas before the step budget does.
    let long = format!("x + 1e6*sin(y){}", " + 0*x*y".repeat(1_200));
    let long = typed(&long);
    let (curve, stats) = LevelCurve::with_stats(Arc::clone(&long), Vec2::zeros());
    assert!(matches!(curve, Err(TeleportError::CurveTooLong { .. })));
    // The budget is checked once a step, of at most 8 evaluations.
    let overshoot = 8 * long.expr().len();
    assert!(
        stats.steps < MAX_FLOW_STEPS / 4 && stats.work <= MAX_FLOW_WORK + overshoot,
        "{stats:?}"
    );
    // Through the symmetry functions: the same error, and NaN (never a
    // wrong point) from the infallible forms.
    let open = formula("x + y");
    let x = Vec2::new(1.0, 0.0);
    assert!(matches!(
        symmetry::try_teleport(&open, &x, 1.0),
        Err(TeleportError::OpenCurve { .. })
    ));
    assert!(symmetry::teleport(&open, &x, 1.0).x.is_nan());
    assert!(symmetry::orbit(&open, &x, 16).is_empty());
    assert!(symmetry::try_oracle(&open, &x).is_err());
    assert!(Strategy::Oracle.try_angle(&open, &x).is_err());
}

/// Near a non-degenerate minimum the curve shrinks to the point: at the
/// minimum the teleport is the identity, and within rounding of it the
/// quadratic model gives a point on the level.
#[test]
fn at_a_minimum_the_teleport_stays_put() {
    let obj = formula(TEST_FUNCTIONS[0].f);
    let star = Vec2::new(3.0, 2.0);
    for theta in [0.0, 1.0, 4.0] {
        assert_eq!(symmetry::try_teleport(&obj, &star, theta).unwrap(), star);
    }
    let near = star + Vec2::new(1e-12, -2e-12);
    let y = symmetry::try_teleport(&obj, &near, 2.0).unwrap();
    assert!((y - star).norm() <= 1e-11, "{y:?}");
    // A small but resolvable curve is integrated.
    let x = star + Vec2::new(1e-4, 0.0);
    let curve = LevelCurve::new(obj.as_formula_arc().clone(), x).unwrap();
    assert!(!curve.is_model());
    let y = curve.at(2.0);
    assert!((y - star).norm() <= 1e-3 && (y - x).norm() > 1e-5, "{y:?}");
}

/// A typed `f` that does not make sense is refused when built, naming `f`.
#[test]
fn constant_and_broken_formulas_are_refused() {
    for source in ["3", "2 + 0*x", "x - x + y*0"] {
        let e = TypedF::new(source).unwrap_err();
        assert!(matches!(e, CustomError::Constant { .. }), "{source}: {e}");
        assert_eq!(e.field(), "f");
        assert!(e.to_string().contains("constant"), "{e}");
    }
    let e = TypedF::new("sqrt(-1 - x^2) + y").unwrap_err();
    assert!(matches!(e, CustomError::NowhereFinite { .. }), "{e}");
    let e = TypedF::new("x + * y").unwrap_err();
    assert!(e.to_string().starts_with("f, column 5:"), "{e}");
    assert_eq!(e.field(), "f");
}

/// The h-only methods have no meaning for a typed f: NaN, and the `try_`
/// forms say why; the minimizer is known for the gallery's functions only.
#[test]
fn a_typed_f_has_no_h_and_knows_its_minima_only_from_the_gallery() {
    let obj = formula("x^4 + y^4 + x*y");
    let x = Vec2::new(0.3, 0.4);
    assert!(obj.h(&x).x.is_nan() && obj.h_inv(&x).x.is_nan());
    assert!(obj.jacobian(&x).m11.is_nan() && obj.det_jacobian(&x).is_nan());
    assert_eq!(obj.try_h_inv(&x), Err(TeleportError::NoH));
    assert_eq!(obj.try_minimizer(), Err(TeleportError::NoKnownMinimum));
    assert!(obj.minimizer().x.is_nan());
    assert!(!obj.has_h() && !obj.is_convex());
    assert_eq!(obj.family(), "custom");
    let g = fd_grad(obj.as_formula().unwrap(), &x);
    assert_vec_close("∇f", &obj.grad(&x), &g, 1e-8);
    // Spaces do not matter when matching a gallery formula.
    let booth = formula("(x+2*y-7)^2+(2*x+y-5)^2");
    assert_eq!(booth.minimizer(), Vec2::new(1.0, 3.0));
    assert_eq!(
        booth.as_formula().unwrap().test_function().unwrap().name,
        "Booth"
    );
}

fn scene(objective: &str) -> String {
    format!(
        r#"{{"objective": {objective}, "x0": [0.5, 5.0], "steps": 5,
            "optimizer": {{"kind": "gd", "lr": 0.001}},
            "teleport": {{"strategy": "oracle", "at": [1, 3]}}}}"#
    )
}

#[test]
fn scene_files_read_and_write_a_typed_f() {
    let text = scene(r#"{"family": "custom", "f": "(x^2 + y - 11)^2 + (x + y^2 - 7)^2"}"#);
    let loaded = Scene::from_json(&text).unwrap();
    assert!(matches!(loaded.objective, Objective::Formula(_)));
    let spec = ObjectiveSpec::of(&loaded.objective);
    assert_eq!(spec, loaded.scene.objective);
    let json = serde_json::to_string(&spec).unwrap();
    assert_eq!(
        json,
        r#"{"family":"custom","f":"(x^2 + y - 11)^2 + (x + y^2 - 7)^2"}"#
    );
    let back: ObjectiveSpec = serde_json::from_str(&json).unwrap();
    assert_eq!(back, spec);
    let run = loaded.run();
    assert!(run.stop.is_none(), "{:?}", run.stop);
    assert_eq!(run.records.len(), 6);
    assert!(run.records[1].teleported && run.records[3].teleported);
    let c = run.records[1]
        .from
        .map(|p| himmelblau(&Vec2::from(p)))
        .unwrap();
    assert!((himmelblau(&Vec2::from(run.records[1].x)) - c).abs() <= 1e-9 * c);
    // A custom h still reads as before.
    let h = Scene::from_json(&scene(r#"{"family": "custom", "h": ["x", "2*y"]}"#)).unwrap();
    assert!(matches!(h.objective, Objective::Custom(_)));
}

#[test]
fn scene_files_with_both_or_neither_of_h_and_f_are_refused() {
    let message = |objective: &str| match Scene::from_json(&scene(objective)) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("{objective} was accepted"),
    };
    let both = message(r#"{"family": "custom", "h": ["x", "y"], "f": "x^2 + y^2"}"#);
    assert!(
        both.contains("`objective`") && both.contains("not both"),
        "{both}"
    );
    let neither = message(r#"{"family": "custom"}"#);
    assert!(neither.contains("missing field `h` or `f`"), "{neither}");
    let inverse = message(r#"{"family": "custom", "f": "x^2 + y^2", "h_inv": ["x", "y"]}"#);
    assert!(
        inverse.contains("`h_inv` is only read with `h`"),
        "{inverse}"
    );
    let bad = message(r#"{"family": "custom", "f": "x^2 + foo(y)"}"#);
    assert!(
        bad.contains("`objective.f`") && bad.contains("column 7") && bad.contains("foo"),
        "{bad}"
    );
    let constant = message(r#"{"family": "custom", "f": "4"}"#);
    assert!(
        constant.contains("`objective.f`") && constant.contains("constant"),
        "{constant}"
    );
    let unknown = message(r#"{"family": "custom", "f": "x", "g": 1}"#);
    assert!(unknown.contains("unknown field `g`"), "{unknown}");
    // The messages about the objective as a whole read as they did before
    // `f` existed, naming the enum as then.
    let null = message("null");
    assert!(
        null.contains("invalid type: null, expected internally tagged enum ObjectiveSpec"),
        "{null}"
    );
    let family = message(r#"{"family": "hyperbola"}"#);
    assert!(family.contains("unknown variant `hyperbola`"), "{family}");
    let domain = Scene::from_json(
        &scene(r#"{"family": "custom", "f": "sqrt(x) + y"}"#).replace("[0.5, 5.0]", "[-1.0, 0.0]"),
    );
    assert!(
        matches!(&domain, Err(SceneError::Invalid { field, .. }) if field == "objective.f"),
        "{domain:?}"
    );
    assert!(matches!(
        ObjectiveSpec::Formula { f: "x y".into() }.build(),
        Err(ParamError::Custom(CustomError::Parse(_)))
    ));
}

/// An optimizer run whose scheduled teleport meets a curve that does not
/// close stops there with the reason, and records only finite points.
#[test]
fn a_run_stops_where_its_teleport_cannot_follow_the_curve() {
    let text =
        scene(r#"{"family": "custom", "f": "x^2 - y^2"}"#).replace("[0.5, 5.0]", "[1.0, 0.5]");
    let run = Scene::from_json(&text).unwrap().run();
    match &run.stop {
        Some(teleport_core::optim::Stop::Failed { step: 1, message }) => {
            assert!(message.contains("runs off to infinity"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(run.records.len(), 1);
}

/// Helpers on the typed objective, for the tests above.
trait FormulaArc {
    fn as_formula_arc(&self) -> &Arc<TypedF>;
}

impl FormulaArc for Objective {
    fn as_formula_arc(&self) -> &Arc<TypedF> {
        match self {
            Objective::Formula(f) => f,
            _ => panic!("not a typed f"),
        }
    }
}

/// Every gallery entry builds, its start point's level curve closes, and
/// its listed minima are minima: `∇f ≈ 0` (Newton from there moves less
/// than 1e−12), the Hessian positive definite, the listed `f` right, the
/// global ones the lowest; inside the view; the objective knows them.
#[test]
fn the_gallery_of_test_functions_lists_true_minima() {
    for t in TEST_FUNCTIONS.iter() {
        let obj = t.objective().unwrap();
        let f = obj.as_formula().unwrap();
        assert_eq!(f.test_function().map(|e| e.name), Some(t.name));
        let x0 = Vec2::from(t.x0);
        let curve = LevelCurve::new(obj.as_formula_arc().clone(), x0);
        assert!(curve.is_ok(), "{}: {:?}", t.name, curve.err());
        assert!(!t.minima.is_empty());
        let lowest = t.f_min();
        for m in t.minima {
            let p = m.point();
            let inside = (0..2).all(|i| t.view[0][i] <= p[i] && p[i] <= t.view[1][i]);
            assert!(inside, "{}: {p:?} outside the view", t.name);
            let (v, g, h) = f.second(&p);
            let newton = h.try_inverse().unwrap() * g;
            assert!(
                newton.norm() <= 1e-12 * (1.0 + p.norm()),
                "{} at {p:?}: Newton step {newton:?}",
                t.name
            );
            assert!(
                h.m11 > 0.0 && h.determinant() > 0.0,
                "{} at {p:?}: {h:?}",
                t.name
            );
            assert!(
                (v - m.f).abs() <= 1e-12 * (1.0 + m.f.abs()),
                "{}: f = {v} vs {}",
                t.name,
                m.f
            );
            if m.global {
                assert!(
                    (m.f - lowest).abs() <= 1e-12 * (1.0 + lowest.abs()),
                    "{}",
                    t.name
                );
            } else {
                assert!(
                    m.f > lowest + 1e-9,
                    "{}: local {} not above {lowest}",
                    t.name,
                    m.f
                );
            }
        }
        let star = obj.try_minimizer().unwrap();
        assert!(
            (f.f(&star) - lowest).abs() <= 1e-12 * (1.0 + lowest.abs()),
            "{}",
            t.name
        );
        // The minima are distinct.
        for (i, a) in t.minima.iter().enumerate() {
            for b in &t.minima[i + 1..] {
                assert!((a.point() - b.point()).norm() > 1e-3, "{}", t.name);
            }
        }
    }
}

/// The colour map and the contours of a typed `f` that is negative
/// (Styblinski–Tang's minimum is −78): shaded by `log(f − f_min + ε)`, the
/// lowest pixel at the global minimum, levels between the grid's extremes;
/// an `f = ‖h‖²` task keeps `log10 f` exactly as before.
#[test]
fn level_sets_of_a_negative_f_are_shaded_and_contoured() {
    use teleport_core::contour::{Grid, auto_levels, levels_for, shifted_levels};
    use teleport_core::plot::{Item, f_image, log_f_image, log_ramp};
    let t = &TEST_FUNCTIONS[7];
    let obj = t.objective().unwrap();
    let (x, y) = ((-5.0, 5.0), (-5.0, 5.0));
    let Item::Image { rgba, .. } = log_f_image(&obj, x, y, 101, 101) else {
        panic!("not an image");
    };
    // The pixel nearest the global minimum (−2.9035, −2.9035) has the
    // ramp's lowest colour; pixel centres are at −5 + (i + 0.5)·0.099.
    let i = ((-2.903_534_f64 + 5.0) / (10.0 / 101.0) - 0.5).round() as usize;
    let j = 100 - i;
    let low = log_ramp(0.0);
    let at = (j * 101 + i) * 4;
    let dist = |c: &[u8]| {
        (i32::from(c[0]) - i32::from(low.r)).abs() + (i32::from(c[2]) - i32::from(low.b)).abs()
    };
    assert!(dist(&rgba[at..at + 4]) <= 2, "{:?}", &rgba[at..at + 4]);
    // Not a flat picture: the corners are far from the low end.
    assert!(dist(&rgba[0..4]) > 30, "{:?}", &rgba[0..4]);
    // Linear shading is a different picture of the same data.
    let Item::Image { rgba: linear, .. } = f_image(&obj, x, y, (101, 101), false) else {
        panic!("not an image");
    };
    assert_ne!(linear, rgba);
    let grid = Grid::of_objective(&obj, [-5.0, -5.0], [5.0, 5.0], 100, 100);
    let levels = levels_for(&obj, &grid, 12);
    assert_eq!(levels, shifted_levels(&grid, 12));
    assert_eq!(levels, auto_levels(&grid, 12));
    let min = grid.values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = grid
        .values
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    assert_eq!(levels.len(), 12);
    assert!(levels.windows(2).all(|w| w[0] < w[1]), "{levels:?}");
    assert!(
        levels[0] > min && levels[11] < max && levels[0] < -70.0,
        "{levels:?}"
    );
    // An h-family task: log10 f with the old clamp, pixel for pixel.
    let ellipse = teleport_core::objective::Preset::ElliFixed.objective();
    let Item::Image { rgba: got, .. } = log_f_image(&ellipse, (-3.0, 2.0), (-1.0, 1.5), 23, 17)
    else {
        panic!("not an image");
    };
    let mut logs = Vec::new();
    for j in 0..17 {
        let py = 1.5 - (f64::from(j) + 0.5) / 17.0 * 2.5;
        for i in 0..23 {
            let px = -3.0 + (f64::from(i) + 0.5) / 23.0 * 5.0;
            logs.push((0.25 * px * px + 9.0 * py * py).max(1e-300).log10());
        }
    }
    let lo = logs.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let want: Vec<u8> = logs
        .iter()
        .flat_map(|v| {
            let c = log_ramp((v - lo) / (hi - lo));
            [c.r, c.g, c.b, c.a]
        })
        .collect();
    assert_eq!(got, want);
    let grid = Grid::of_objective(&ellipse, [-3.0, -1.0], [2.0, 1.5], 50, 50);
    assert_eq!(levels_for(&ellipse, &grid, 8), auto_levels(&grid, 8));
}

/// A teleport is harmful when it moves the iterate away from the nearest
/// listed minimum (Himmelblau has four): counted here from the records.
#[test]
fn harmful_teleports_measure_against_the_nearest_listed_minimum() {
    use teleport_core::eval::harmful_teleports;
    use teleport_core::optim::{OptimizerSpec, TeleportSchedule, When, run};
    let t = &TEST_FUNCTIONS[0];
    let obj = t.objective().unwrap();
    let schedule = TeleportSchedule {
        strategy: Strategy::Oracle,
        when: When::Every(2),
    };
    let traj = run(
        &obj,
        Vec2::new(0.5, 5.0),
        12,
        OptimizerSpec::Gd { lr: 0.002 },
        Some(&schedule),
    );
    assert!(traj.stop.is_none(), "{:?}", traj.stop);
    let nearest = |p: [f64; 2]| {
        t.minima
            .iter()
            .map(|m| ((p[0] - m.at[0]).powi(2) + (p[1] - m.at[1]).powi(2)).sqrt())
            .fold(f64::INFINITY, f64::min)
    };
    let want: Vec<(usize, bool)> = traj
        .records
        .iter()
        .filter(|r| r.teleported)
        .map(|r| (r.t, nearest(r.x) > nearest(r.from.unwrap())))
        .collect();
    assert_eq!(want.len(), 5);
    assert_eq!(harmful_teleports(&obj, &traj), want);
    assert!(harmful_teleports(&formula("x^4 + y^4 + x"), &traj).is_empty());
}
