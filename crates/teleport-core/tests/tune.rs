//! The learning-rate sweep: its numbers against GD written out on a
//! quadratic, its best rate against a brute-force loop and against the
//! rate that theory says is best, its rates and its refusals.
#![allow(clippy::unwrap_used, reason = "tests panic on failure")]

use std::sync::atomic::AtomicBool;

use teleport_core::eval::AnyOptimizer;
use teleport_core::l2o::Variant;
use teleport_core::objective::{Mat2, Objective, Quadratic, Task, Vec2, rotation};
use teleport_core::optim::{GradNoise, OptimizerSpec, TeleportSchedule, When, run_noisy};
use teleport_core::symmetry::Strategy;
use teleport_core::tune::{
    DEFAULT_RATE_COUNT, RateRange, SweepPoint, TuneError, best_index, sweep, tasks_from_starts,
};

/// `f(x) = xᵀAx` with `A = R diag(λ₁, λ₂) Rᵀ`, `R` a rotation by 0.6.
fn quadratic(l1: f64, l2: f64) -> (Objective, Mat2) {
    let r = rotation(0.6);
    let a = r * Mat2::new(l1, 0.0, 0.0, l2) * r.transpose();
    (Objective::Quadratic(Quadratic::new(a).unwrap()), a)
}

fn gd(lr: f64) -> AnyOptimizer {
    let spec = OptimizerSpec::Gd { lr };
    AnyOptimizer::Classical {
        name: spec.label(),
        spec,
        teleport: None,
    }
}

/// `f` after `steps` steps of GD written out: `x ← x − lr·2Ax`; `+∞` once
/// `f` or `x` is not finite.
fn gd_by_hand(a: &Mat2, x0: Vec2, lr: f64, steps: usize) -> f64 {
    let f = |x: &Vec2| x.dot(&(a * x));
    let mut x = x0;
    for _ in 0..steps {
        if !(f(&x).is_finite() && x.iter().all(|v| v.is_finite())) {
            return f64::INFINITY;
        }
        x -= lr * 2.0 * (a * x);
    }
    if f(&x).is_finite() && x.iter().all(|v| v.is_finite()) {
        f(&x)
    } else {
        f64::INFINITY
    }
}

/// The quantile of a sample as the sweep defines it: linear interpolation
/// between order statistics, where a neighbour at `+∞` makes it `+∞`.
fn quantile_with_infinity(values: &[f64], q: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let pos = q * (v.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let frac = pos - lo as f64;
    if frac == 0.0 {
        return v[lo];
    }
    let (a, b) = (v[lo], v[lo + 1]);
    if a == f64::INFINITY || b == f64::INFINITY {
        f64::INFINITY
    } else {
        a + frac * (b - a)
    }
}

fn never() -> AtomicBool {
    AtomicBool::new(false)
}

fn same_f(got: f64, want: f64) -> bool {
    got == want || (got - want).abs() <= 1e-9 * want.abs()
}

#[test]
fn the_sweep_is_gd_written_out_and_its_best_is_a_brute_force_loops() {
    let (obj, a) = quadratic(1.0, 4.0);
    // Up to lr = 10, where |1 − 2·lr·λ_max| = 79 overflows f within the
    // steps.
    let rates = RateRange {
        lo: 1e-3,
        hi: 10.0,
        count: 40,
    };
    let steps = 100;
    // One task and x₀.
    let x0 = Vec2::new(2.0, -1.5);
    let task = Task {
        objective: obj.clone(),
        x0,
    };
    let one = sweep(&gd(0.1), None, &[task], steps, &rates, 2, &never()).unwrap();
    assert_eq!((one.kind, one.steps, one.tasks), ("gd", steps, 1));
    let lrs = rates.rates();
    let mut brute: Option<(usize, f64)> = None;
    for (i, (p, &lr)) in one.points.iter().zip(&lrs).enumerate() {
        let want = gd_by_hand(&a, x0, lr, steps);
        assert_eq!(p.lr, lr);
        assert!(same_f(p.f, want), "lr {lr}: {} vs {want}", p.f);
        assert_eq!((p.q25, p.q75), (p.f, p.f), "one task");
        assert_eq!(p.diverged, usize::from(want == f64::INFINITY), "lr {lr}");
        // Strictly lower wins: an equal f keeps the smaller rate.
        if want.is_finite() && brute.is_none_or(|(_, b)| want < b) {
            brute = Some((i, want));
        }
    }
    assert_eq!(one.best, brute.map(|(i, _)| i));
    assert!(
        one.points.iter().any(|p| p.diverged == 1),
        "no rate diverged"
    );
    // Across tasks: the median and quartiles over nine start points.
    // A start far out overflows at rates where the others do not diverge:
    // some rates then mix finite and diverged runs.
    let mut tasks = tasks_from_starts(&obj, 9, 3);
    tasks.push(Task {
        objective: obj.clone(),
        x0: Vec2::new(1e150, -1e150),
    });
    let many = sweep(&gd(0.1), None, &tasks, steps, &rates, 3, &never()).unwrap();
    let mut brute: Option<(usize, f64)> = None;
    for (i, (p, &lr)) in many.points.iter().zip(&lrs).enumerate() {
        let finals: Vec<f64> = tasks
            .iter()
            .map(|t| gd_by_hand(&a, t.x0, lr, steps))
            .collect();
        for (got, q) in [(p.f, 0.5), (p.q25, 0.25), (p.q75, 0.75)] {
            let want = quantile_with_infinity(&finals, q);
            assert!(same_f(got, want), "lr {lr} q {q}: {got} vs {want}");
        }
        let diverged = finals.iter().filter(|f| f.is_infinite()).count();
        assert_eq!(p.diverged, diverged, "lr {lr}");
        let median = quantile_with_infinity(&finals, 0.5);
        if median.is_finite() && brute.is_none_or(|(_, b)| median < b) {
            brute = Some((i, median));
        }
    }
    assert_eq!(many.best, brute.map(|(i, _)| i));
    assert!(
        many.points
            .iter()
            .any(|p| p.diverged > 0 && p.diverged < tasks.len()),
        "no rate mixes finite and diverged runs"
    );
}

/// GD on `f = xᵀAx` (∇f = 2Ax) multiplies the component of `x` along the
/// eigenvector of `λᵢ` by `1 − 2·lr·λᵢ` each step, so after many steps `f`
/// is ruled by the slowest component, `max(|1 − 2·lr·λ_min|, |1 −
/// 2·lr·λ_max|)`. The first falls with `lr` and the second rises: the
/// largest is smallest where `1 − 2·lr·λ_min = 2·lr·λ_max − 1`, at
/// `lr* = 1/(λ_min + λ_max)` (for `½xᵀAx` this is the textbook
/// `2/(λ_min + λ_max)`). After N steps the balance point moves by a
/// relative `ρ*·ln(a₁λ₁/(a₂λ₂))/(2(2N − 1))` (aᵢ = λᵢcᵢ² the start's
/// weights, ρ* the contraction at lr*), under 0.5 % here; the grid of 2,000
/// rates from 0.01 to 1 is 0.23 % apart. The runs stop before `f ≈ ρ*^{2N}`
/// would fall below 1e−200, so that nearby rates do not all underflow to
/// the same `f = 0` and tie.
#[test]
fn gd_on_a_quadratic_finds_the_rate_that_balances_the_extreme_eigenvalues() {
    for (l1, l2) in [(1.0, 4.0), (0.5, 10.0), (2.0, 3.0)] {
        let rho: f64 = (l2 - l1) / (l1 + l2);
        let steps = ((200.0 * std::f64::consts::LN_10) / (-2.0 * rho.ln())).min(300.0) as usize;
        let (obj, _) = quadratic(l1, l2);
        let task = Task {
            objective: obj,
            x0: Vec2::new(1.0, 1.0),
        };
        let rates = RateRange {
            lo: 1e-2,
            hi: 1.0,
            count: 2000,
        };
        let result = sweep(&gd(0.1), None, &[task], steps, &rates, 2, &never()).unwrap();
        let best = result.best_lr().unwrap();
        let theory = 1.0 / (l1 + l2);
        assert!(
            (best / theory - 1.0).abs() <= 0.01,
            "λ = ({l1}, {l2}): best {best}, theory {theory}"
        );
    }
}

#[test]
fn rates_are_log_spaced_and_absurd_ranges_are_refused() {
    let range: RateRange = "1e-4, 1, 24".parse().unwrap();
    let rates = range.rates();
    assert_eq!(rates.len(), 24);
    assert_eq!((rates[0], rates[23]), (1e-4, 1.0));
    let ratio = (1e4f64).powf(1.0 / 23.0);
    for w in rates.windows(2) {
        assert!((w[1] / w[0] - ratio).abs() <= 1e-12, "{w:?}");
    }
    assert_eq!(
        RateRange {
            lo: 0.5,
            hi: 2.0,
            count: 1
        }
        .rates(),
        [0.5]
    );
    for (text, says) in [
        ("0,1,5", "positive"),
        ("-1,1,5", "positive"),
        ("1e-4,1e7,5", "positive"),
        ("nan,1,5", "positive"),
        ("1e-4,inf,5", "positive"),
        ("1,1,5", "below"),
        ("2,1,5", "below"),
        ("1e-4,1,0", "1 to 10000"),
        ("1e-4,1,10001", "1 to 10000"),
        ("1e-4,1,-3", "LO,HI,COUNT"),
        ("a,b,c", "LO,HI,COUNT"),
        ("1,2", "LO,HI,COUNT"),
        ("1,2,3,4", "LO,HI,COUNT"),
    ] {
        let e = text.parse::<RateRange>().unwrap_err().to_string();
        assert!(e.contains(says), "{text}: {e}");
        assert!(!e.contains('\n'));
    }
    // Every default range is a valid one of 24 rates, and holds the app's
    // default step sizes.
    for (spec, default_lr) in [
        (OptimizerSpec::Gd { lr: 0.05 }, 0.05),
        (
            OptimizerSpec::Momentum {
                lr: 0.02,
                beta: 0.6,
            },
            0.02,
        ),
        (OptimizerSpec::adam(0.3), 0.3),
        (OptimizerSpec::Newton { lr: 1.0 }, 1.0),
        (
            OptimizerSpec::Alg2 {
                lr: 0.02,
                theta_lr: 0.01,
                theta0: 0.0,
            },
            0.02,
        ),
    ] {
        let r = RateRange::default_for(&spec);
        r.check().unwrap();
        assert_eq!(r.count, DEFAULT_RATE_COUNT);
        assert!((r.lo..=r.hi).contains(&default_lr), "{}", spec.kind());
        assert_eq!(spec.with_lr(0.125).lr(), 0.125);
        assert_eq!(spec.with_lr(spec.lr()), spec);
    }
}

#[test]
fn ties_go_to_the_smaller_rate_and_divergence_never_wins() {
    let point = |lr: f64, f: f64| SweepPoint {
        lr,
        f,
        q25: f,
        q75: f,
        diverged: usize::from(f.is_infinite()),
    };
    let points = [
        point(0.1, f64::INFINITY),
        point(0.2, 3.0),
        point(0.3, 1.0),
        point(0.4, 1.0),
        point(0.5, 2.0),
    ];
    assert_eq!(best_index(&points), Some(2));
    assert_eq!(best_index(&[point(1.0, f64::INFINITY)]), None);
    assert_eq!(best_index(&[]), None);
}

#[test]
fn a_sweep_keeps_the_rows_teleports_and_noise_and_is_the_same_on_any_thread_count() {
    let (obj, _) = quadratic(1.0, 4.0);
    let tasks = tasks_from_starts(&obj, 5, 8);
    let schedule = TeleportSchedule {
        strategy: Strategy::Oracle,
        when: When::Every(3),
    };
    let spec = OptimizerSpec::Momentum {
        lr: 0.02,
        beta: 0.6,
    };
    let opt = AnyOptimizer::Classical {
        name: "momentum + oracle".into(),
        spec,
        teleport: Some(schedule.clone()),
    };
    let noise = GradNoise::new(0.3, 5);
    let rates = RateRange {
        lo: 1e-3,
        hi: 0.5,
        count: 7,
    };
    let steps = 20;
    let one = sweep(&opt, Some(&noise), &tasks, steps, &rates, 1, &never()).unwrap();
    for threads in [2, 5] {
        let other = sweep(&opt, Some(&noise), &tasks, steps, &rates, threads, &never()).unwrap();
        assert_eq!(
            format!("{one:?}"),
            format!("{other:?}"),
            "{threads} threads"
        );
    }
    // Rate r on task i is the row's run at that rate with noise run i.
    for (p, &lr) in one.points.iter().zip(&rates.rates()) {
        let finals: Vec<f64> = tasks
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let run = run_noisy(
                    &t.objective,
                    t.x0,
                    steps,
                    spec.with_lr(lr),
                    Some(&schedule),
                    &[],
                    noise.stream(i as u64),
                );
                match run.stop {
                    None => run.records[steps].f,
                    Some(_) => f64::INFINITY,
                }
            })
            .collect();
        assert_eq!(p.f, quantile_with_infinity(&finals, 0.5), "lr {lr}");
    }
    let quiet = sweep(&opt, None, &tasks, steps, &rates, 1, &never()).unwrap();
    assert_ne!(quiet.points, one.points, "noise changes nothing");
}

#[test]
fn bad_sweeps_are_refused() {
    let (obj, _) = quadratic(1.0, 4.0);
    let tasks = tasks_from_starts(&obj, 2, 1);
    let rates = RateRange {
        lo: 1e-3,
        hi: 1.0,
        count: 4,
    };
    let model =
        teleport_core::pretrained::load(Variant::L2o, teleport_core::pretrained::Family::Ellipse)
            .unwrap();
    let learned = AnyOptimizer::Learned {
        name: "L2O".into(),
        model: std::sync::Arc::new(model),
    };
    let refusal = |r: Result<_, TuneError>| r.unwrap_err();
    assert!(matches!(
        refusal(sweep(&learned, None, &tasks, 5, &rates, 1, &never())),
        TuneError::Learned { name } if name == "L2O"
    ));
    let bad = RateRange {
        lo: 2.0,
        hi: 1.0,
        count: 4,
    };
    assert!(matches!(
        refusal(sweep(&gd(0.1), None, &tasks, 5, &bad, 1, &never())),
        TuneError::RatesNotIncreasing { .. }
    ));
    assert_eq!(
        refusal(sweep(&gd(0.1), None, &[], 5, &rates, 1, &never())),
        TuneError::NoTasks
    );
    assert_eq!(
        refusal(sweep(&gd(0.1), None, &tasks, 100_001, &rates, 1, &never())),
        TuneError::Steps(100_001)
    );
    let noise = GradNoise::new(-1.0, 0);
    assert!(matches!(
        refusal(sweep(
            &gd(0.1),
            Some(&noise),
            &tasks,
            5,
            &rates,
            1,
            &never()
        )),
        TuneError::Noise(_)
    ));
    let cancel = AtomicBool::new(true);
    assert_eq!(
        refusal(sweep(&gd(0.1), None, &tasks, 5, &rates, 2, &cancel)),
        TuneError::Cancelled
    );
}
