//! End-to-end tests of `teleport-lab tune --scene FILE --row K [--across N]
//! [--steps S] [--rates LO,HI,COUNT] [--format csv|json]`: the binary's
//! sweep against GD written out on a quadratic, the median across start
//! points, the best rate against a brute-force search, and bad input (exit
//! status 2, one line, nothing on standard output).
#![allow(clippy::unwrap_used, reason = "a test panics on setup failures")]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{success_stdout, temp_dir, write_file};
use serde_json::{Value, json};
use teleport_core::objective::{Mat2, TaskDist, Vec2};

const BIN: &str = env!("CARGO_BIN_EXE_teleport-lab");

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {BIN}: {e}"))
}

/// `A` of the test's quadratic `f = xᵀAx`: eigenvalues 1 and 4.
const A: [[f64; 2]; 2] = [[2.5, 1.5], [1.5, 2.5]];

/// A lab file on the quadratic from x₀ = (2, −1.5): a GD row, a momentum
/// row, a learned row (on the quadratic, its family's shipped weights are
/// the ellipse's).
fn write_lab(dir: &Path) -> PathBuf {
    let lab = json!({
        "version": 2,
        "objective": {"family": "quadratic", "A": A},
        "x0": [2.0, -1.5],
        "steps": 50,
        "optimizers": [
            {"kind": "momentum", "lr": 0.02, "beta": 0.6},
            {"kind": "gd", "lr": 0.05},
            {"kind": "learned", "variant": "l2o", "weights": "pretrained"}
        ]
    });
    write_file(dir, "lab.json", lab.to_string())
}

/// `f` after `steps` steps of GD on `f = xᵀAx` written out (∇f = 2Ax);
/// `+∞` once `f` or `x` is not finite.
fn gd_by_hand(x0: Vec2, lr: f64, steps: usize) -> f64 {
    let a = Mat2::new(A[0][0], A[0][1], A[1][0], A[1][1]);
    let f = |x: &Vec2| x.dot(&(a * x));
    let finite = |x: &Vec2| f(x).is_finite() && x.iter().all(|v| v.is_finite());
    let mut x = x0;
    for _ in 0..steps {
        if !finite(&x) {
            return f64::INFINITY;
        }
        x -= lr * 2.0 * (a * x);
    }
    if finite(&x) { f(&x) } else { f64::INFINITY }
}

/// The CSV's lines as `(lr, f, q25, q75, diverged, best)`.
fn parse_csv(text: &str) -> Vec<(f64, f64, f64, f64, usize, bool)> {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("lr,f,q25,q75,diverged,best"));
    lines
        .map(|l| {
            let v: Vec<&str> = l.split(',').collect();
            assert_eq!(v.len(), 6, "{l}");
            let num = |s: &str| s.parse::<f64>().unwrap();
            (
                num(v[0]),
                num(v[1]),
                num(v[2]),
                num(v[3]),
                v[4].parse().unwrap(),
                match v[5] {
                    "1" => true,
                    "0" => false,
                    other => panic!("best is {other}"),
                },
            )
        })
        .collect()
}

fn close(got: f64, want: f64) -> bool {
    got == want || (got - want).abs() <= 1e-9 * want.abs()
}

/// The index of the lowest finite value; the first of equal ones.
fn brute_force_best(values: &[f64]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, &v) in values.iter().enumerate() {
        if v.is_finite() && best.is_none_or(|b| v < values[b]) {
            best = Some(i);
        }
    }
    best
}

#[test]
fn tune_sweeps_gd_as_written_out_and_marks_the_brute_force_best() {
    let dir = temp_dir("sweep");
    let lab = write_lab(&dir);
    let lab = lab.to_str().unwrap();
    let args = [
        "tune",
        "--scene",
        lab,
        "--row",
        "1",
        "--steps",
        "100",
        "--rates",
        "1e-3,10,30",
    ];
    let lines = parse_csv(&success_stdout(&run(&args)));
    assert_eq!(lines.len(), 30);
    // Up to lr = 10, where |1 − 2·lr·λ_max| = 79 overflows f (79²⁰⁰ > 1e308) in 100 steps.
    let ratio = 1e4f64.powf(1.0 / 29.0);
    let mut finals = Vec::new();
    for (i, &(lr, f, q25, q75, diverged, _)) in lines.iter().enumerate() {
        let want_lr = 1e-3 * ratio.powi(i as i32);
        assert!((lr / want_lr - 1.0).abs() <= 1e-12, "{lr} vs {want_lr}");
        let want = gd_by_hand(Vec2::new(2.0, -1.5), lr, 100);
        assert!(close(f, want), "lr {lr}: {f} vs {want}");
        assert_eq!((q25, q75), (f, f));
        assert_eq!(diverged, usize::from(want.is_infinite()));
        finals.push(want);
    }
    assert!(finals.iter().any(|f| f.is_infinite()), "nothing diverged");
    let best = brute_force_best(&finals).unwrap();
    let marked: Vec<usize> = (0..lines.len()).filter(|&i| lines[i].5).collect();
    assert_eq!(marked, [best]);
    // The JSON holds the same numbers, a diverged f as null, and the best.
    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let out: Value = serde_json::from_str(&success_stdout(&run(&json_args))).unwrap();
    assert_eq!(out["row"], "GD lr=0.05");
    assert_eq!(out["kind"], "gd");
    assert_eq!(
        (out["steps"].as_u64(), out["tasks"].as_u64()),
        (Some(100), Some(1))
    );
    assert!(out.get("noise").is_none());
    // serde_json reads decimals to within an ulp, not always exactly.
    let ulp_close = |got: Option<f64>, want: f64| {
        got.is_some_and(|g| (g - want).abs() <= 4.0 * f64::EPSILON * want.abs())
    };
    let rates = out["rates"].as_array().unwrap();
    assert_eq!(rates.len(), lines.len());
    for (r, line) in rates.iter().zip(&lines) {
        assert!(ulp_close(r["lr"].as_f64(), line.0), "{r}");
        if line.1.is_finite() {
            assert!(ulp_close(r["f"].as_f64(), line.1), "{r}");
        } else {
            assert!(r["f"].is_null(), "{r}");
        }
    }
    assert!(ulp_close(out["best"]["lr"].as_f64(), lines[best].0));
    assert!(ulp_close(out["best"]["f"].as_f64(), lines[best].1));
}

/// `--across N` runs every rate from the first N start points of
/// `elli_vary` draws from `--seed` (x₀ ~ N(0, I)) and reports the median
/// and quartiles of `f`: nine starts give the 5th value and the
/// interpolations at 3 and 7 of the sorted nine.
#[test]
fn tune_across_start_points_reports_the_median_and_quartiles() {
    let dir = temp_dir("across");
    let lab = write_lab(&dir);
    let args = [
        "tune",
        "--scene",
        lab.to_str().unwrap(),
        "--row",
        "1",
        "--across",
        "9",
        "--seed",
        "4",
        "--rates",
        "1e-2,0.3,8",
    ];
    let lines = parse_csv(&success_stdout(&run(&args)));
    let starts: Vec<Vec2> = TaskDist::ElliVary
        .sample_many(4, 9, Default::default())
        .into_iter()
        .map(|t| t.x0)
        .collect();
    for &(lr, f, q25, q75, diverged, _) in &lines {
        let mut finals: Vec<f64> = starts.iter().map(|&x0| gd_by_hand(x0, lr, 50)).collect();
        finals.sort_by(f64::total_cmp);
        assert_eq!(diverged, finals.iter().filter(|v| v.is_infinite()).count());
        assert!(close(f, finals[4]), "lr {lr}: median {f} vs {}", finals[4]);
        // Quantile positions q·(n − 1): 2 and 6, exact order statistics.
        assert!(close(q25, finals[2]), "lr {lr}: q25 {q25}");
        assert!(close(q75, finals[6]), "lr {lr}: q75 {q75}");
    }
    let medians: Vec<f64> = lines.iter().map(|l| l.1).collect();
    let best = brute_force_best(&medians).unwrap();
    assert!(lines[best].5);
    // The same on one thread as on all.
    let mut one = args.to_vec();
    one.extend(["--threads", "1"]);
    assert_eq!(success_stdout(&run(&one)), success_stdout(&run(&args)));
}

/// A bad request exits with status 2, prints one line starting `error: `
/// that names what is wrong, and nothing on standard output.
fn assert_refused(args: &[&str], says: &[&str]) {
    let out = run(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(out.stdout.is_empty(), "{args:?} printed {:?}", out.stdout);
    assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
    for s in says {
        assert!(stderr.contains(s), "{args:?}: {stderr} lacks {s:?}");
    }
}

#[test]
fn tune_refuses_bad_input_in_one_line_with_status_2() {
    let dir = temp_dir("refusals");
    let lab = write_lab(&dir);
    let lab = lab.to_str().unwrap();
    let tune = |extra: &[&'static str]| -> Vec<&str> {
        let mut args = vec!["tune", "--scene", lab];
        args.extend(extra);
        args
    };
    assert_refused(&tune(&["--row", "3"]), &["--row 3", "3 row(s), 0 to 2"]);
    assert_refused(
        &tune(&["--row", "2"]),
        &["--row 2", "learned optimizer", "L2O"],
    );
    for (rates, says) in [
        ("0,1,5", "positive"),
        ("-1e-3,1,5", "positive"),
        ("1e-3,1e7,5", "positive"),
        ("1,1,5", "below"),
        ("2,1,5", "below"),
        ("1e-3,1,0", "1 to 10000"),
        ("1e-3,1,10001", "1 to 10000"),
        ("1e-3,1", "LO,HI,COUNT"),
        ("a,b,c", "LO,HI,COUNT"),
    ] {
        let arg = format!("--rates={rates}");
        let args = tune(&[]);
        let args: Vec<&str> = args.into_iter().chain([arg.as_str()]).collect();
        assert_refused(&args, &["--rates", says]);
    }
    assert_refused(&tune(&["--across", "0"]), &["--across 0"]);
    assert_refused(&tune(&["--across", "100001"]), &["--across 100001"]);
    assert_refused(&tune(&["--steps", "100001"]), &["--steps 100001"]);
    assert_refused(
        &tune(&["--across", "100000", "--steps", "1000"]),
        &["optimizee steps"],
    );
    // A version-1 scene has row 0 alone; a network lab file is not swept.
    let scene = json!({
        "objective": {"family": "quadratic", "A": A}, "x0": [2.0, -1.5], "steps": 20,
        "optimizer": {"kind": "gd", "lr": 0.05}
    });
    let scene = write_file(&dir, "scene.json", scene.to_string());
    let scene = scene.to_str().unwrap();
    assert_refused(&["tune", "--scene", scene, "--row", "1"], &["version-1"]);
    let out = run(&["tune", "--scene", scene, "--rates", "1e-3,1,3"]);
    assert_eq!(parse_csv(&success_stdout(&out)).len(), 3);
    let net = json!({
        "version": 2,
        "objective": {"family": "mlp",
                      "dataset": {"kind": "moons", "points": 40, "noise": 0.1, "seed": 3},
                      "hidden": [4], "activation": "relu", "init_seed": 5},
        "steps": 5, "optimizers": [{"kind": "gd", "lr": 0.5}]
    });
    let net = write_file(&dir, "net.json", net.to_string());
    assert_refused(&["tune", "--scene", net.to_str().unwrap()], &["network"]);
    let missing = dir.join("missing.json");
    assert_refused(
        &["tune", "--scene", missing.to_str().unwrap()],
        &["missing.json"],
    );
}
