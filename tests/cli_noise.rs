//! End-to-end tests of gradient noise on the command line: a lab row's
//! `noise` in `eval` and `basin`, and `evaluate --noise SIGMA[,SEED]`,
//! against GD written out with the documented draws (noise run `i` of
//! [`teleport_core::optim::noise`]); σ = 0 prints today's numbers; a bad σ
//! exits with status 2 and one line.
#![allow(clippy::unwrap_used, reason = "a test panics on setup failures")]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{success_stdout, temp_dir, write_file};
use serde_json::{Value, json};
use teleport_core::objective::{Objective, TaskDist, Vec2};
use teleport_core::optim::GradNoise;

const BIN: &str = env!("CARGO_BIN_EXE_teleport-lab");

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {BIN}: {e}"))
}

/// The fixed ellipse `f = 0.25x² + 9y²` from x₀ = (−5, 3.5): a noisy GD
/// row, the same without noise, and with σ = 0.
fn write_lab(dir: &Path, steps: usize) -> PathBuf {
    let lab = json!({
        "version": 2,
        "objective": {"family": "ellipse", "A": [[0.5, 0.0], [0.0, 3.0]], "b": [0.0, 0.0]},
        "x0": [-5.0, 3.5],
        "steps": steps,
        "optimizers": [
            {"kind": "gd", "lr": 0.05, "noise": {"sigma": 0.5, "seed": 42}},
            {"kind": "gd", "lr": 0.05},
            {"kind": "gd", "lr": 0.05, "noise": {"sigma": 0.0, "seed": 42}, "label": "quiet"}
        ]
    });
    write_file(dir, "lab.json", lab.to_string())
}

/// GD on the fixed ellipse written out (∇f = (0.5x, 18y)), stepping with
/// the draws of noise run `run`: the iterates.
fn noisy_gd(x0: Vec2, lr: f64, steps: usize, noise: GradNoise, run: u64) -> Vec<Vec2> {
    let mut stream = noise.stream(run);
    let mut x = x0;
    let mut out = vec![x];
    for _ in 0..steps {
        let g = Vec2::new(0.5 * x.x, 18.0 * x.y) + stream.draw().unwrap_or_else(Vec2::zeros);
        x -= lr * g;
        out.push(x);
    }
    out
}

/// `eval --format csv`'s rows as `(name, t, x0, x1, f)`; names here are
/// not quoted.
fn eval_rows(lab: &Path) -> Vec<(String, usize, f64, f64, f64)> {
    let out = success_stdout(&run(&[
        "eval",
        "--scene",
        lab.to_str().unwrap(),
        "--format",
        "csv",
    ]));
    out.lines()
        .skip(1)
        .map(|l| {
            let v: Vec<&str> = l.split(',').collect();
            (
                v[0].to_owned(),
                v[1].parse().unwrap(),
                v[2].parse().unwrap(),
                v[3].parse().unwrap(),
                v[4].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn eval_and_basin_run_a_noisy_row_with_noise_run_0() {
    let dir = temp_dir("eval-basin");
    let steps = 30;
    let lab = write_lab(&dir, steps);
    let rows = eval_rows(&lab);
    let of = |name: &str| -> Vec<(String, usize, f64, f64, f64)> {
        rows.iter().filter(|r| r.0 == name).cloned().collect()
    };
    let noisy = of("GD lr=0.05 + noise σ=0.5");
    assert_eq!(noisy.len(), steps + 1);
    let want = noisy_gd(
        Vec2::new(-5.0, 3.5),
        0.05,
        steps,
        GradNoise::new(0.5, 42),
        0,
    );
    for (r, w) in noisy.iter().zip(&want) {
        assert!(
            (Vec2::new(r.2, r.3) - w).norm() <= 1e-12 * (1.0 + w.norm()),
            "t = {}: ({}, {}) vs {w:?}",
            r.1,
            r.2,
            r.3
        );
        // The printed f is the true f of the iterate.
        let f = 0.25 * r.2 * r.2 + 9.0 * r.3 * r.3;
        assert!((r.4 - f).abs() <= 1e-12 * f, "t = {}", r.1);
    }
    // σ = 0 is the noiseless row, number for number.
    let strip = |v: Vec<(String, usize, f64, f64, f64)>| -> Vec<[u64; 4]> {
        v.into_iter()
            .map(|r| [r.1 as u64, r.2.to_bits(), r.3.to_bits(), r.4.to_bits()])
            .collect()
    };
    assert_eq!(strip(of("quiet")), strip(of("GD lr=0.05")));
    assert_ne!(strip(noisy.clone()), strip(of("GD lr=0.05")));
    // A one-cell basin map whose start is x₀ ends where `eval`'s run ends.
    let out = success_stdout(&run(&[
        "basin",
        "--scene",
        lab.to_str().unwrap(),
        "--row",
        "0",
        "--grid",
        "1",
        "--steps",
        &steps.to_string(),
        "--bounds=-6,-4,2.5,4.5",
    ]));
    let cell: Vec<f64> = out
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .map(|s| s.parse().unwrap())
        .collect();
    assert_eq!([cell[0], cell[1]], [-5.0, 3.5]);
    assert_eq!(cell[2], noisy[steps].4);
}

/// `evaluate --noise σ,SEED`: test task i steps with noise run i; the
/// median of f at the last step over the tasks, with GD written out on
/// each `elli_vary` task (∇f = 2Aᵀ(Ax + b)).
#[test]
fn evaluate_noise_draws_noise_run_i_on_test_task_i() {
    let (runs, steps) = (7, 6);
    let noise = GradNoise::new(0.3, 5);
    let args = |noise: Option<&'static str>, threads: &'static str| {
        let mut a = vec![
            "evaluate",
            "--baseline",
            "gd:lr=0.05",
            "--runs",
            "7",
            "--steps",
            "6",
            "--seed",
            "3",
            "--format",
            "csv",
            "--threads",
            threads,
        ];
        if let Some(n) = noise {
            a.extend(["--noise", n]);
        }
        a
    };
    let text = success_stdout(&run(&args(Some("0.3,5"), "2")));
    assert_eq!(text, success_stdout(&run(&args(Some("0.3,5"), "1"))));
    let last = text
        .lines()
        .find(|l| l.starts_with(&format!("GD lr=0.05,{steps},")))
        .unwrap();
    let median: f64 = last.split(',').nth(3).unwrap().parse().unwrap();
    let tasks = TaskDist::ElliVary.sample_many(3, runs, Default::default());
    let mut finals: Vec<f64> = tasks
        .iter()
        .enumerate()
        .map(|(i, task)| {
            let Objective::Ellipse(e) = &task.objective else {
                panic!("elli_vary draws ellipses");
            };
            let (a, b) = (e.a(), e.b());
            let mut stream = noise.stream(i as u64);
            let mut x = task.x0;
            for _ in 0..steps {
                let g = 2.0 * a.transpose() * (a * x + b) + stream.draw().unwrap();
                x -= 0.05 * g;
            }
            (a * x + b).norm_squared()
        })
        .collect();
    finals.sort_by(f64::total_cmp);
    assert!(
        (median - finals[3]).abs() <= 1e-9 * finals[3],
        "{median} vs {}",
        finals[3]
    );
    // σ = 0 prints the noiseless numbers.
    assert_eq!(
        success_stdout(&run(&args(Some("0"), "2"))),
        success_stdout(&run(&args(None, "2")))
    );
    assert_ne!(text, success_stdout(&run(&args(None, "2"))));
    // The JSON names the noise it ran with.
    let json_out: Value = serde_json::from_str(&success_stdout(&run(&[
        "evaluate",
        "--baseline",
        "gd:lr=0.05",
        "--runs",
        "2",
        "--steps",
        "1",
        "--noise",
        "0.25",
    ])))
    .unwrap();
    assert_eq!(json_out["noise"], json!({"sigma": 0.25, "seed": 0}));
}

/// A bad σ or seed exits with status 2 and one line naming it.
#[test]
fn a_bad_noise_is_refused_in_one_line_with_status_2() {
    let dir = temp_dir("refusals");
    for (noise, says) in [
        ("-0.1", "sigma"),
        ("nan", "sigma"),
        ("inf", "sigma"),
        ("2e6", "sigma"),
        ("0.1,-1", "seed"),
        ("0.1,x", "seed"),
        ("x", "SIGMA"),
    ] {
        let arg = format!("--noise={noise}");
        let out = run(&["evaluate", "--baseline", "gd:lr=0.05", "--runs", "2", &arg]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{noise}: {stderr}");
        assert!(out.stdout.is_empty());
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains("--noise") && stderr.contains(says),
            "{noise}: {stderr}"
        );
    }
    let lab = json!({
        "version": 2,
        "objective": {"family": "ellipse", "A": [[0.5, 0.0], [0.0, 3.0]], "b": [0.0, 0.0]},
        "x0": [-5.0, 3.5], "steps": 5,
        "optimizers": [{"kind": "gd", "lr": 0.05, "noise": {"sigma": -2, "seed": 1}}]
    });
    let lab = write_file(&dir, "bad.json", lab.to_string());
    for verb in [
        &["eval"][..],
        &["basin", "--grid", "2", "--steps", "2"],
        &["tune"],
    ] {
        let mut args = verb.to_vec();
        args.extend(["--scene", lab.to_str().unwrap()]);
        let out = run(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{verb:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains("optimizers[0].noise.sigma"),
            "{verb:?}: {stderr}"
        );
    }
}
