//! The `custom` family: the ellipse and the Rosenbrock written as formulas
//! agree with their closed forms in every quantity; derivatives match finite
//! differences; Newton's inverse round-trips; wrong inverses, folds and
//! hostile formulas are refused with clear errors; the gallery is sound.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use common::hostile::CUSTOM_H_REJECTED;
use common::optimizers::every_optimizer;

use std::f64::consts::{PI, TAU};
use std::sync::Arc;

use rand::RngExt as _;
use teleport_core::contour::Grid;
use teleport_core::io::scene::{Scene, SceneError};
use teleport_core::l2o::{Control, ModelConfig, TrainConfig, Trainer, Variant};
use teleport_core::objective::custom::{ExprName, ParseErrorKind};
use teleport_core::objective::{
    Custom, CustomError, GALLERY, InverseError, Mat2, Objective, ParamError, Preset, Task,
    TaskDist, Vec2, fold_scan,
};
use teleport_core::optim::{OptimizerSpec, Stop, TeleportSchedule, Trajectory, When, run};
use teleport_core::pretrained::{self, Family};
use teleport_core::symmetry::{self, Strategy};

/// A number as a formula: shortest round-trip text, parenthesized if negative.
fn num(v: f64) -> String {
    if v < 0.0 {
        format!("({v})")
    } else {
        format!("{v}")
    }
}

/// The closed-form objective written as a custom formula.
fn as_custom(obj: &Objective) -> Objective {
    let h = match obj {
        Objective::Ellipse(e) => {
            let (a, b) = (e.a(), e.b());
            [
                format!("{}*x + {}*y + {}", num(a[(0, 0)]), num(a[(0, 1)]), num(b.x)),
                format!("{}*x + {}*y + {}", num(a[(1, 0)]), num(a[(1, 1)]), num(b.y)),
            ]
        }
        Objective::Rosenbrock(r) => {
            let (a, b, c, d) = r.coefficients();
            [
                format!(
                    "{}*y + {} + {}*x + {}*x^2",
                    num(c),
                    num(d[0]),
                    num(d[1]),
                    num(d[2])
                ),
                format!("{}*x + {}", num(a), num(b)),
            ]
        }
        _ => panic!("only ellipses and Rosenbrocks"),
    };
    Objective::Custom(Arc::new(Custom::new([&h[0], &h[1]], None).unwrap()))
}

fn custom(h: [&str; 2]) -> Objective {
    Objective::Custom(Arc::new(Custom::new(h, None).unwrap()))
}

fn close(what: &str, a: f64, b: f64, tol: f64) {
    assert!(
        (a - b).abs() <= tol * (1.0 + b.abs()),
        "{what}: {a:e} vs {b:e} (diff {:e})",
        (a - b).abs()
    );
}

fn close_v(what: &str, a: &Vec2, b: &Vec2, tol: f64) {
    close(&format!("{what}.x"), a.x, b.x, tol);
    close(&format!("{what}.y"), a.y, b.y, tol);
}

fn close_m(what: &str, a: &Mat2, b: &Mat2, tol: f64) {
    for (i, (p, q)) in a.iter().zip(b.iter()).enumerate() {
        close(&format!("{what}[{i}]"), *p, *q, tol);
    }
}

/// Ellipse and Rosenbrock tasks: presets and seeded random draws.
fn closed_form_tasks() -> Vec<Task> {
    let mut tasks: Vec<Task> = Preset::ALL
        .iter()
        .map(|p| Task {
            objective: p.objective(),
            x0: p.default_x0(),
        })
        .collect();
    tasks.extend(TaskDist::ElliVary.sample_many(21, 4, Default::default()));
    tasks.extend(TaskDist::RosVary.sample_many(22, 4, Default::default()));
    tasks
}

/// The difference of two angles, in `[-π, π)`, modulo `period`.
fn angle_diff(a: f64, b: f64, period: f64) -> f64 {
    (a - b + 0.5 * period).rem_euclid(period) - 0.5 * period
}

/// Same records to 1e-9. With `mirrored`, iterates may be reflected through
/// the minimizer: an ellipse's oracle has two exactly tied maxima (opposite
/// points of the ellipse), which rounding breaks either way; for a quadratic
/// `f` every optimizer here is odd in `x − x*`, so `f` is still the same.
fn same_trajectory_up_to(what: &str, a: &Trajectory, b: &Trajectory, mirrored: bool) {
    // A run blowing up (f past 1e20, or |x| past 1e5) may stop earlier on
    // the formula: Newton refuses a teleport where J_h is singular to
    // working precision (the Rosenbrock preset at x ~ 1e7 has cond J ~ 1e15),
    // where the closed form still returns a point.
    let (la, lb) = (a.records.len(), b.records.len());
    let early_fail = matches!(a.stop, Some(Stop::Failed { .. })) && la < lb;
    assert!(
        la == lb && std::mem::discriminant(&a.stop) == std::mem::discriminant(&b.stop)
            || early_fail,
        "{what}: {la} vs {lb} records; stops {:?} vs {:?}",
        a.stop,
        b.stop
    );
    if early_fail {
        let r = &b.records[la];
        let far = r.f > 1e20 || r.x[0].abs().max(r.x[1].abs()) > 1e5;
        assert!(far, "{what}: stopped early at {r:?}: {:?}", a.stop);
    }
    for (ra, rb) in a.records.iter().zip(&b.records) {
        let t = ra.t;
        // Past |x| = 1e5 the Rosenbrock's J_h has cond ~ 1e13: the formula's
        // Newton solves agree only to about cond·ε there.
        if rb.x[0].abs().max(rb.x[1].abs()) > 1e5 {
            break;
        }
        if !mirrored {
            close(&format!("{what} t={t} x0"), ra.x[0], rb.x[0], 1e-9);
            close(&format!("{what} t={t} x1"), ra.x[1], rb.x[1], 1e-9);
        }
        close(&format!("{what} t={t} f"), ra.f, rb.f, 1e-9);
        assert_eq!(ra.teleported, rb.teleported, "{what} t={t}");
        if let (Some(p), Some(q)) = (ra.theta, rb.theta) {
            let period = if mirrored { PI } else { TAU };
            let d = angle_diff(p, q, period);
            // A θ that ran off to 1e19 (Algorithm 2 diverging) is compared relatively.
            let relative = (p - q).abs() <= 1e-9 * q.abs();
            assert!(d.abs() < 1e-9 || relative, "{what} t={t}: θ {p} vs {q}");
        }
    }
}

fn same_trajectory(what: &str, a: &Trajectory, b: &Trajectory) {
    same_trajectory_up_to(what, a, b, false);
}

#[test]
fn ellipse_and_rosenbrock_as_formulas_match_their_closed_forms() {
    let mut rng = teleport_core::rng(7);
    for (i, task) in closed_form_tasks().iter().enumerate() {
        let obj = &task.objective;
        let cus = as_custom(obj);
        let what = format!("task {i} ({})", obj.family());
        for _ in 0..5 {
            let x = Vec2::new(rng.random_range(-3.0..3.0), rng.random_range(-3.0..3.0));
            close(&format!("{what} f"), cus.f(&x), obj.f(&x), 1e-9);
            close_v(&format!("{what} h"), &cus.h(&x), &obj.h(&x), 1e-9);
            close_v(&format!("{what} ∇f"), &cus.grad(&x), &obj.grad(&x), 1e-9);
            close_m(
                &format!("{what} J"),
                &cus.jacobian(&x),
                &obj.jacobian(&x),
                1e-9,
            );
            close_m(
                &format!("{what} H"),
                &cus.hessian(&x),
                &obj.hessian(&x),
                1e-9,
            );
            close(
                &format!("{what} det"),
                cus.det_jacobian(&x),
                obj.det_jacobian(&x),
                1e-9,
            );
            for theta in [0.3, -2.0, 3.0, 6.0] {
                let a = symmetry::try_teleport(&cus, &x, theta).unwrap();
                close_v(
                    &format!("{what} g_θ"),
                    &a,
                    &symmetry::teleport(obj, &x, theta),
                    1e-9,
                );
                let ja = symmetry::try_teleport_jet(&cus, &x, theta).unwrap();
                let jb = symmetry::teleport_jet(obj, &x, theta);
                close_m(&format!("{what} ∂g/∂x"), &ja.dy_dx, &jb.dy_dx, 1e-9);
                close_v(&format!("{what} ∂g/∂θ"), &ja.dy_dtheta, &jb.dy_dtheta, 1e-9);
            }
            let u = obj.h(&x);
            close_v(
                &format!("{what} h⁻¹"),
                &cus.try_h_inv(&u).unwrap(),
                &x,
                1e-9,
            );
        }
        close_v(
            &format!("{what} minimizer"),
            &cus.try_minimizer().unwrap(),
            &obj.minimizer(),
            1e-9,
        );
        let a = symmetry::try_oracle(&cus, &task.x0).unwrap();
        let b = symmetry::oracle(obj, &task.x0);
        // An ellipse's two maxima are exactly tied: θ* is defined modulo π.
        let period = if matches!(obj, Objective::Ellipse(_)) {
            PI
        } else {
            TAU
        };
        let d = angle_diff(a.theta, b.theta, period);
        assert!(
            d.abs() < 1e-9,
            "{what} oracle θ*: {} vs {}",
            a.theta,
            b.theta
        );
        close(
            &format!("{what} oracle ‖∇f‖"),
            a.grad_norm,
            b.grad_norm,
            1e-9,
        );
        let oa = symmetry::try_orbit(&cus, &task.x0, 64).unwrap();
        let ob = symmetry::orbit(obj, &task.x0, 64);
        for (p, q) in oa.iter().zip(&ob) {
            close_v(&format!("{what} orbit"), p, q, 1e-9);
        }
        // A step size small next to G″, so that the ascent is not chaotic.
        let (g, _) = symmetry::grad_norm_sq_and_derivative(obj, &task.x0, 0.1);
        let lr = 1e-3 / g.max(1.0);
        close(
            &format!("{what} ascent"),
            symmetry::try_ascent(&cus, &task.x0, 0.1, lr, 10).unwrap(),
            symmetry::ascent(obj, &task.x0, 0.1, lr, 10),
            1e-9,
        );
    }
}

#[test]
fn every_optimizer_runs_the_same_on_formula_and_closed_form() {
    let steps = 25;
    // Step sizes the stiffest task (the Rosenbrock preset) stays stable with.
    let specs = every_optimizer(0.002, [0.001, 0.6], 0.1, 0.5, [5e-4, 1e-5, 0.05]);
    let learned: Vec<_> = Variant::ALL
        .iter()
        .flat_map(|&v| {
            [Family::Ellipse, Family::Rosenbrock].map(|f| (v, f, pretrained::load(v, f).unwrap()))
        })
        .collect();
    for (i, task) in closed_form_tasks().iter().enumerate() {
        let obj = &task.objective;
        let cus = as_custom(obj);
        let schedules = [
            None,
            Some(TeleportSchedule {
                strategy: Strategy::Oracle,
                when: When::Every(5),
            }),
            Some(TeleportSchedule {
                strategy: Strategy::Ascent {
                    theta0: 0.0,
                    // Small next to 1/G″, so that the ascent is not chaotic.
                    lr: 1e-3
                        / symmetry::grad_norm_sq_and_derivative(obj, &task.x0, 0.0)
                            .0
                            .max(1.0),
                    iters: 5,
                },
                when: When::At(vec![3, 7]),
            }),
            Some(TeleportSchedule {
                strategy: Strategy::Angle { theta: 2.5 },
                when: When::At(vec![2]),
            }),
        ];
        for spec in specs {
            for schedule in &schedules {
                if matches!(spec, OptimizerSpec::Alg2 { .. }) && schedule.is_some() {
                    continue;
                }
                let a = run(&cus, task.x0, steps, spec, schedule.as_ref());
                let b = run(obj, task.x0, steps, spec, schedule.as_ref());
                let tied = matches!(obj, Objective::Ellipse(_))
                    && schedule
                        .as_ref()
                        .is_some_and(|s| s.strategy == Strategy::Oracle);
                // Momentum and Adam carry a velocity across the teleport,
                // which a mirrored pick does not mirror: incomparable.
                let memoryless = matches!(
                    spec,
                    OptimizerSpec::Gd { .. } | OptimizerSpec::Newton { .. }
                );
                if tied && !memoryless {
                    continue;
                }
                let what = format!("task {i} {} {schedule:?}", spec.label());
                same_trajectory_up_to(&what, &a, &b, tied);
            }
        }
        for (v, f, model) in &learned {
            let a = model.trajectory(&cus, task.x0, steps);
            let b = model.trajectory(obj, task.x0, steps);
            same_trajectory(&format!("task {i} learned {v} ({f:?})"), &a, &b);
            let manual = [(3, 1.0), (10, -2.0)];
            let a = model.trajectory_with_teleports(&cus, task.x0, steps, &manual);
            let b = model.trajectory_with_teleports(obj, task.x0, steps, &manual);
            same_trajectory(&format!("task {i} learned {v} + manual"), &a, &b);
        }
    }
}

#[test]
fn contours_and_theory_see_the_same_function() {
    let obj = Preset::Rosenbrock.objective();
    let cus = as_custom(&obj);
    let a = Grid::of_objective(&cus, [-2.0, -1.0], [2.0, 3.0], 60, 50);
    let b = Grid::of_objective(&obj, [-2.0, -1.0], [2.0, 3.0], 60, 50);
    assert_eq!(a.values.len(), 3000);
    for (p, q) in a.values.iter().zip(&b.values) {
        close("grid f", *p, *q, 1e-9);
    }
    let x = Vec2::new(-1.0, -1.0);
    let da = teleport_core::theory::decompose(cus.grad(&x), cus.hessian(&x)).unwrap();
    let db = teleport_core::theory::decompose(obj.grad(&x), obj.hessian(&x)).unwrap();
    assert_eq!(format!("{da:.6?}"), format!("{db:.6?}"));
}

/// Central differences of a vector function of ℝ².
fn jac_fd(f: impl Fn(&Vec2) -> Vec2, x: &Vec2, h: f64) -> Mat2 {
    let dx = (f(&(x + Vec2::new(h, 0.0))) - f(&(x - Vec2::new(h, 0.0)))) / (2.0 * h);
    let dy = (f(&(x + Vec2::new(0.0, h))) - f(&(x - Vec2::new(0.0, h)))) / (2.0 * h);
    Mat2::from_columns(&[dx, dy])
}

#[test]
fn derivatives_match_finite_differences() {
    let formulas: [[&str; 2]; 6] = [
        ["x + 0.5*y^3", "y - 0.2*sin(x)"],
        ["exp(0.3*x)*cos(y) + x", "tanh(y) + atan(x*y) + 2*y"],
        ["sqrt(x^2 + y^2 + 1) + x", "ln(2 + cos(x)) + y^3/3 + y"],
        ["sinh(0.5*x) + cosh(0.2*y)", "tan(0.3*y) + abs(x - 7) + x*y"],
        ["x^2.5 + y", "2^x - y/(1 + x^2)"],
        ["(x - y)^-2 + x", "x^y + y"],
    ];
    let mut rng = teleport_core::rng(3);
    for h in formulas {
        let obj = custom(h);
        for _ in 0..20 {
            // Positive x keeps x^2.5, x^y and (x − y)^-2 in their domains.
            let x = Vec2::new(rng.random_range(0.5..2.0), rng.random_range(-1.5..-0.1));
            let what = format!("{h:?} at {x:?}");
            let fd = jac_fd(|p| obj.h(p), &x, 1e-6);
            close_m(&format!("{what} J"), &obj.jacobian(&x), &fd, 1e-6);
            let fd = jac_fd(|p| obj.grad(p), &x, 1e-5);
            close_m(&format!("{what} H"), &obj.hessian(&x), &fd, 1e-5);
            let (f, g) = obj.f_grad(&x);
            close(&format!("{what} f"), f, obj.f(&x), 1e-14);
            let e = 1e-6;
            let gx =
                (obj.f(&(x + Vec2::new(e, 0.0))) - obj.f(&(x - Vec2::new(e, 0.0)))) / (2.0 * e);
            let gy =
                (obj.f(&(x + Vec2::new(0.0, e))) - obj.f(&(x - Vec2::new(0.0, e)))) / (2.0 * e);
            close_v(&format!("{what} ∇f"), &g, &Vec2::new(gx, gy), 1e-6);
            // The Hessian is symmetric by construction.
            let hm = obj.hessian(&x);
            assert_eq!(hm[(0, 1)], hm[(1, 0)]);
        }
    }
}

#[test]
fn newton_inverse_round_trips() {
    let mut rng = teleport_core::rng(5);
    for entry in GALLERY {
        // Without the gallery's closed-form inverse: Newton's method.
        let obj = custom(entry.h);
        let c = obj.as_custom().unwrap();
        let [lo, hi] = entry.view;
        for _ in 0..30 {
            let x = Vec2::new(
                rng.random_range(lo[0]..hi[0]),
                rng.random_range(lo[1]..hi[1]),
            );
            let u = obj.h(&x);
            let from_origin = c.h_inv(&u).unwrap();
            close_v(
                &format!("{} h⁻¹(h(x)) from 0", entry.name),
                &from_origin,
                &x,
                1e-9,
            );
            let start = Vec2::new(
                rng.random_range(lo[0]..hi[0]),
                rng.random_range(lo[1]..hi[1]),
            );
            let from_start = c.h_inv_from(&u, start).unwrap();
            close_v(
                &format!("{} h⁻¹(h(x)) from {start:?}", entry.name),
                &from_start,
                &x,
                1e-9,
            );
            let back = obj.h(&from_start);
            assert!(
                (back - u).norm() <= 1e-12 * (1.0 + u.norm()),
                "{}: residual",
                entry.name
            );
        }
    }
}

#[test]
fn a_wrong_inverse_is_refused_naming_the_worst_point() {
    // The true inverse of h = (x + y, y) is (x − y, y): a sign slip.
    let e = Custom::new(["x + y", "y"], Some(["x + y", "y"])).unwrap_err();
    let CustomError::WrongInverse { u, got, err } = e.clone() else {
        panic!("{e}");
    };
    assert!(err > 1.0 && (got - u).norm() == err, "{e}");
    let message = e.to_string();
    assert!(
        message.starts_with("h_inv is not the inverse of h: at u = ("),
        "{message}"
    );
    assert_eq!(e.field(), "h_inv");
    // The right inverse passes; an inverse of the wrong scale does not.
    Custom::new(["x + y", "y"], Some(["x - y", "y"])).unwrap();
    let e = Custom::new(["2*x", "y"], Some(["x/2.001", "y"])).unwrap_err();
    assert!(matches!(e, CustomError::WrongInverse { .. }), "{e}");
    // Through a scene: exit-2 material, naming the field.
    let scene = r#"{"objective": {"family": "custom", "h": ["x + y", "y"], "h_inv": ["x + y", "y"]},
        "x0": [1, 2], "steps": 5, "optimizer": {"kind": "gd", "lr": 0.1}}"#;
    let e = Scene::from_json(scene).unwrap_err();
    assert!(
        matches!(&e, SceneError::Invalid { field, .. } if field == "objective.h_inv"),
        "{e}"
    );
}

#[test]
fn a_fold_is_detected_and_teleports_across_it_stop() {
    let obj = custom(["x^2", "y"]);
    let scan = fold_scan(&obj, [-2.0, -2.0], [2.0, 2.0], 41);
    assert!(
        scan.folds() && scan.positive > 0 && scan.negative > 0,
        "{scan:?}"
    );
    let x = Vec2::new(1.0, 1.0);
    // A small teleport stays on the x > 0 sheet and is fine…
    let y = symmetry::try_teleport(&obj, &x, 0.1).unwrap();
    close("f kept", obj.f(&y), obj.f(&x), 1e-12);
    // …a quarter turn needs h₀ = x² < 0: across the fold.
    let e = symmetry::try_teleport(&obj, &x, std::f64::consts::FRAC_PI_2).unwrap_err();
    assert!(matches!(e, InverseError::Fold { .. }), "{e}");
    assert!(e.to_string().starts_with("h folds near x = ("), "{e}");
    assert!(symmetry::try_orbit(&obj, &x, 64).is_err());
    assert!(symmetry::try_oracle(&obj, &x).is_err());
    // A run teleporting across it stops with that message, records finite.
    let t = run(
        &obj,
        x,
        10,
        OptimizerSpec::Gd { lr: 0.01 },
        Some(&TeleportSchedule {
            strategy: Strategy::Angle { theta: 1.5 },
            when: When::At(vec![4]),
        }),
    );
    assert_eq!(t.records.len(), 4);
    assert!(
        matches!(&t.stop, Some(Stop::Failed { step: 4, message }) if message.contains("fold")),
        "{:?}",
        t.stop
    );
    // So does a learned optimizer that teleports.
    let model = pretrained::load(Variant::L2oTele, Family::Rosenbrock).unwrap();
    let t = model.trajectory_with_teleports(&obj, x, 10, &[(2, 2.0)]);
    assert!(
        matches!(&t.stop, Some(Stop::Failed { step: 2, .. })),
        "{:?}",
        t.stop
    );
    // And a scene with it is refused.
    let scene = r#"{"objective": {"family": "custom", "h": ["x^2", "y"]},
        "x0": [1, 1], "steps": 5, "optimizer": {"kind": "gd", "lr": 0.1}}"#;
    let e = Scene::from_json(scene).unwrap_err().to_string();
    assert!(e.contains("`objective.h`") && e.contains("fold"), "{e}");
    // z ↦ z² has det J > 0 off the origin, but is 2-to-1: a full turn does
    // not come back.
    let square = custom(["x^2 - y^2", "2*x*y"]);
    let e = symmetry::try_orbit(&square, &Vec2::new(1.0, 0.5), 128).unwrap_err();
    assert!(matches!(e, InverseError::NotInjective { .. }), "{e}");
}

fn parse_err(h: [&str; 2]) -> CustomError {
    Custom::new(h, None).unwrap_err()
}

#[test]
fn hostile_formulas_are_typed_errors() {
    let kind = |h: [&str; 2]| match parse_err(h) {
        CustomError::Parse(p) => (p.expr, p.kind),
        e => panic!("{e}"),
    };
    assert_eq!(kind(["", "y"]), (ExprName::H(0), ParseErrorKind::Empty));
    let long = "x+".repeat(50_000);
    assert!(matches!(
        kind(["x", &long]),
        (ExprName::H(1), ParseErrorKind::TooLong(100_000))
    ));
    let deep = format!("{}x{}", "(".repeat(10_000), ")".repeat(10_000));
    assert!(matches!(kind([&deep, "y"]).1, ParseErrorKind::TooLong(_)));
    let deep = format!("{}x{}", "(".repeat(4_000), ")".repeat(4_000));
    assert_eq!(kind([&deep, "y"]).1, ParseErrorKind::TooDeep);
    assert!(matches!(kind(["x", "foo(y)"]).1, ParseErrorKind::UnknownName(n) if n == "foo"));
    assert!(matches!(kind(["0/0 + x", "y"]).1, ParseErrorKind::NonFiniteConstant(v) if v.is_nan()));
    // Division by zero everywhere parses, and is caught on the sample.
    let nowhere_finite = |e: &CustomError| match e {
        CustomError::NowhereFinite { expr, .. } => Some(*expr),
        _ => None,
    };
    let e = parse_err(["1/(x-x)", "y"]);
    assert_eq!(nowhere_finite(&e), Some(ExprName::H(0)), "{e}");
    assert!(e.to_string().contains("divides by zero"), "{e}");
    let long_nan = format!("ln(-1 - x^2){}", " + x".repeat(2_000));
    let e = parse_err([&long_nan, "y"]);
    assert!(
        e.to_string().chars().count() < 400 && e.to_string().contains('…'),
        "{e}"
    );
    let e = parse_err(["x", "sqrt(-1 - x^2)"]);
    assert_eq!(nowhere_finite(&e), Some(ExprName::H(1)), "{e}");
    // Constant or degenerate h: det J = 0 everywhere.
    assert_eq!(parse_err(["x + y", "2*x + 2*y"]), CustomError::Singular);
    assert_eq!(parse_err(["y", "y^3"]), CustomError::Singular);
    // An h_inv that does not parse names itself.
    let e = Custom::new(["x", "y"], Some(["x", "y +"])).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("h_inv[1], column 4: expected a number"),
        "{e}"
    );
    assert_eq!(e.field(), "h_inv[1]");
    // Through the scene loader: one line, naming field and column.
    let scene = |h0: &str| {
        format!(
            r#"{{"objective": {{"family": "custom", "h": [{}, "y"]}}, "x0": [1, 2], "steps": 5,
                "optimizer": {{"kind": "gd", "lr": 0.1}}}}"#,
            serde_json::to_string(h0).unwrap()
        )
    };
    for (h0, needle) in [
        ("", "empty"),
        ("sin(x", "missing `)`"),
        ("x ** 2", "column 4"),
        ("1/(x-x)", "not a finite number"),
        ("0/0", "NaN"),
        (&long, "at most 10000"),
    ] {
        let e = Scene::from_json(&scene(h0)).unwrap_err();
        let SceneError::Invalid { field, message } = &e else {
            panic!("{h0}: {e}");
        };
        assert_eq!(field, "objective.h[0]", "{h0}");
        assert!(message.contains(needle), "{h0}: {message}");
        assert_eq!(e.to_string().lines().count(), 1);
    }
    // Non-finite at x0 although finite elsewhere.
    let scene = r#"{"objective": {"family": "custom", "h": ["ln(x)", "y"]},
        "x0": [-1, 2], "steps": 5, "optimizer": {"kind": "gd", "lr": 0.1}}"#;
    let e = Scene::from_json(scene).unwrap_err().to_string();
    assert!(e.contains("not finite at x0"), "{e}");
    assert!(matches!(
        teleport_core::io::scene::ObjectiveSpec::Custom {
            h: ["x".into(), "(".into()],
            h_inv: None
        }
        .build(),
        Err(ParamError::Custom(CustomError::Parse(_)))
    ));
}

#[test]
fn the_gallery_is_bijective_on_its_views_with_invertible_orbits() {
    let mut names = std::collections::BTreeSet::new();
    for entry in GALLERY {
        assert!(names.insert(entry.name), "duplicate {}", entry.name);
        let obj = entry.objective().unwrap();
        let [lo, hi] = entry.view;
        let x0 = Vec2::from(entry.x0);
        assert!(x0.x > lo[0] && x0.x < hi[0] && x0.y > lo[1] && x0.y < hi[1]);
        let scan = fold_scan(&obj, lo, hi, 101);
        assert!(!scan.folds(), "{}: {scan:?}", entry.name);
        assert_eq!(scan.positive + scan.negative, 101 * 101);
        let orbit = symmetry::try_orbit(&obj, &x0, 512).unwrap();
        let f0 = obj.f(&x0);
        for p in &orbit {
            close(
                &format!("{} f on the orbit", entry.name),
                obj.f(p),
                f0,
                1e-9,
            );
        }
        // With the closed-form inverse and by Newton, the same orbit.
        let newton = custom(entry.h);
        let orbit_n = symmetry::try_orbit(&newton, &x0, 512).unwrap();
        for (p, q) in orbit.iter().zip(&orbit_n) {
            close_v(&format!("{} orbit", entry.name), p, q, 1e-8);
        }
        let a = symmetry::try_oracle(&obj, &x0).unwrap();
        let b = symmetry::try_oracle(&newton, &x0).unwrap();
        close(
            &format!("{} θ*", entry.name),
            a.grad_norm,
            b.grad_norm,
            1e-8,
        );
        assert!(a.grad_norm >= obj.grad(&x0).norm());
        // Every optimizer runs from x0 without failing.
        let t = run(
            &newton,
            x0,
            30,
            OptimizerSpec::Gd { lr: 0.01 },
            Some(&TeleportSchedule {
                strategy: Strategy::Oracle,
                when: When::Every(5),
            }),
        );
        assert!(t.stop.is_none(), "{}: {:?}", entry.name, t.stop);
        assert!(t.records.last().unwrap().f < f0, "{}", entry.name);
        let m = obj.try_minimizer().unwrap();
        assert!(
            obj.f(&m) < 1e-20,
            "{}: f(minimizer) = {}",
            entry.name,
            obj.f(&m)
        );
    }
    assert_eq!(names.len(), 6);
}

/// Local maxima of `‖∇f(g_θ x)‖` over θ on a 720-point scan of the orbit.
fn peaks(obj: &Objective, x: &Vec2) -> usize {
    let orbit = symmetry::try_orbit(obj, x, 720).unwrap();
    let g: Vec<f64> = orbit.iter().map(|p| obj.grad(p).norm()).collect();
    let n = g.len();
    (0..n)
        .filter(|&k| g[k] > g[(k + n - 1) % n] && g[k] > g[(k + 1) % n])
        .count()
}

#[test]
fn the_wavy_valley_has_several_peaks_of_the_gradient_along_an_orbit() {
    let wavy = GALLERY.iter().find(|e| e.name == "wavy valley").unwrap();
    let obj = wavy.objective().unwrap();
    let n = peaks(&obj, &Vec2::from(wavy.x0));
    // An ellipse has exactly two (opposite ends of the short axis).
    let ellipse = Preset::ElliFixed.objective();
    assert_eq!(peaks(&ellipse, &Preset::ElliFixed.default_x0()), 2);
    assert!(n > 2, "{n} peaks");
}

#[test]
fn a_learned_optimizer_trains_on_a_fixed_custom_task() {
    let entry = GALLERY[0];
    let task = Task {
        objective: custom(entry.h),
        x0: Vec2::from(entry.x0),
    };
    let model = ModelConfig {
        hidden: 8,
        ..ModelConfig::paper(Variant::LrTele)
    };
    let mut config = TrainConfig::paper(&model, TaskDist::ElliVary, 3);
    config.trajectories = 4;
    config.steps = 10;
    let before = teleport_core::l2o::MetaOptimizer::<f32>::init(model.clone(), 3);
    let mut trainer = Trainer::new(model, config).unwrap().with_task(task.clone());
    assert_eq!(trainer.task(), Some(&task));
    trainer.run(|_, _| Control::Continue);
    let losses = &trainer.progress().loss_history;
    assert_eq!(losses.len(), 4);
    assert!(losses.iter().all(|l| l.is_finite()), "{losses:?}");
    assert_ne!(
        trainer.model().nets()[0].params(),
        before.nets()[0].params()
    );
    let t = trainer.model().trajectory(&task.objective, task.x0, 10);
    assert!(t.stop.is_none(), "{:?}", t.stop);
}

#[test]
fn a_scene_with_a_custom_objective_runs_and_round_trips() {
    let text = r#"{
        "objective": {"family": "custom", "h": ["x + 0.5*y^3", "y - 0.2*sin(x + 0.5*y^3)"]},
        "x0": [1.0, 1.0],
        "steps": 20,
        "optimizer": {"kind": "gd", "lr": 0.02},
        "teleport": {"strategy": "oracle", "at": [3, 8]}
    }"#;
    let loaded = Scene::from_json(text).unwrap();
    assert_eq!(loaded.objective.family(), "custom");
    let t = loaded.run();
    assert!(t.stop.is_none(), "{:?}", t.stop);
    assert_eq!(t.records.len(), 21);
    assert!(t.records[3].teleported && t.records[8].teleported);
    close(
        "f kept by the teleport",
        t.records[3].f,
        {
            let from = Vec2::from(t.records[3].from.unwrap());
            loaded.objective.f(&from)
        },
        1e-10,
    );
    assert!(t.records[20].f < t.records[0].f);
    let json = serde_json::to_string(&loaded.scene).unwrap();
    assert!(
        json.contains(r#""family":"custom""#) && !json.contains("h_inv"),
        "{json}"
    );
    let again = Scene::from_json(&json).unwrap();
    assert_eq!(again.objective, loaded.objective);
    // An evaluation over tasks works too.
    let opt =
        teleport_core::eval::AnyOptimizer::parse_baseline("gd:lr=0.02,teleport=oracle,every=3")
            .unwrap();
    let tasks = vec![Task {
        objective: loaded.objective.clone(),
        x0: Vec2::new(1.0, 1.0),
    }];
    let stats = teleport_core::eval::evaluate(&opt, &tasks, 10);
    assert_eq!(stats.len(), 11);
}

#[test]
fn the_hostile_corpus_custom_scenes_are_refused_in_one_line() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/hostile/scenes");
    for (name, needles) in CUSTOM_H_REJECTED {
        let e = Scene::load(&dir.join(format!("{name}.json"))).unwrap_err();
        let message = e.to_string();
        assert_eq!(message.lines().count(), 1, "{name}: {message}");
        assert!(message.chars().count() < 1000, "{name}: {message}");
        for needle in *needles {
            assert!(
                message.contains(needle),
                "{name}: {needle:?} not in {message}"
            );
        }
    }
    let accepted = Scene::load(&dir.join("accept-custom-spiral-oracle.json")).unwrap();
    let t = accepted.run();
    assert!(t.stop.is_none(), "{:?}", t.stop);
    assert!(t.records[4].teleported && t.records[10].teleported);
    // The corpus's generated cases: 10⁵ characters, 10⁴ and 4999 nested
    // parentheses.
    let generated = |h0: String| {
        let text = serde_json::json!({
            "objective": {"family": "custom", "h": [h0, "y"]},
            "x0": [1.0, 1.0], "steps": 5, "optimizer": {"kind": "gd", "lr": 0.1}
        });
        Scene::from_json(&text.to_string()).unwrap_err().to_string()
    };
    let e = generated("x+".repeat(49_999) + "xx");
    assert!(
        e.contains("`objective.h[0]`") && e.contains("100000 characters"),
        "{e}"
    );
    let e = generated(format!("{}x{}", "(".repeat(10_000), ")".repeat(10_000)));
    assert!(
        e.contains("20001 characters") && e.contains("at most 10000"),
        "{e}"
    );
    let e = generated(format!("{}x{}", "(".repeat(4_999), ")".repeat(4_999)));
    assert!(
        e.contains("column 201") && e.contains("deeper than 200"),
        "{e}"
    );
}

#[test]
fn a_lab_file_with_a_custom_objective_runs_every_row() {
    let text = r#"{
        "version": 2,
        "objective": {"family": "custom", "h": ["0.5*x", "y - sin(2*x)"],
                      "h_inv": ["2*x", "y + sin(4*x)"]},
        "x0": [2.0, 1.5],
        "steps": 12,
        "optimizers": [
            {"kind": "gd", "lr": 0.05},
            {"kind": "gd", "lr": 0.05, "teleport": {"strategy": "oracle", "every": 4}},
            {"kind": "newton"},
            {"kind": "learned", "variant": "l2o-tele", "weights": "pretrained"}
        ]
    }"#;
    let teleport_core::io::lab::AnyScene::V2(lab) =
        teleport_core::io::lab::from_json(text, None).unwrap()
    else {
        panic!("a lab file");
    };
    assert_eq!(lab.objective.family(), "custom");
    let runs = lab.run();
    assert_eq!(runs.len(), 4);
    for (name, t) in &runs {
        assert_eq!(t.records.len(), 13, "{name}: {:?}", t.stop);
        assert!(t.records.iter().all(|r| r.f.is_finite()), "{name}");
    }
    assert!(runs[1].1.records[4].teleported);
    // A wrong inverse in a lab file is refused like in a scene.
    let bad = text.replace("y + sin(4*x)", "y + sin(2*x)");
    let e = teleport_core::io::lab::from_json(&bad, None).unwrap_err();
    assert!(e.to_string().contains("`objective.h_inv`"), "{e}");
}

#[test]
fn the_inverse_starts_elsewhere_when_h_is_singular_at_the_origin() {
    // J_h(0) is singular (d/dx x³ = 0 there), yet h is a bijection.
    let obj = custom(["x^3 + 0.1*y", "y"]);
    let c = obj.as_custom().unwrap();
    assert_eq!(c.det_jacobian(&Vec2::zeros()), 0.0);
    let x = Vec2::new(1.2, -0.7);
    let y = obj.try_h_inv(&obj.h(&x)).unwrap();
    close_v("h⁻¹(h(x))", &y, &x, 1e-9);
    // No preimage at all: exp(x) > 0 never equals −1.
    let obj = custom(["exp(x)", "y"]);
    let e = obj.try_h_inv(&Vec2::new(-1.0, 0.0)).unwrap_err();
    assert!(
        e.to_string().starts_with("h folds near")
            || matches!(
                e,
                InverseError::NoConvergence { .. } | InverseError::NotInvertible { .. }
            ),
        "{e}"
    );
    assert!(obj.minimizer().x.is_nan());
}

/// Error messages are drawn in the app, which draws no NaN text: a wrong
/// inverse that gives NaN or ∞ says "overflow" instead.
#[test]
fn a_wrong_inverse_with_non_finite_values_never_prints_nan() {
    for inv in [
        ["x", "sqrt(x - 100)"],
        ["x", "1e300*exp(1000*y)"],
        ["x*1e308*1e308", "y"],
    ] {
        let Err(e) = Custom::new(["x", "y"], Some(inv)) else {
            panic!("{inv:?} was accepted as the inverse of the identity");
        };
        let message = e.to_string();
        assert!(
            !message.contains("NaN") && !message.contains("inf"),
            "{inv:?}: {message}"
        );
    }
}
