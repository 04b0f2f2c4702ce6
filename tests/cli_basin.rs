//! End-to-end tests of `teleport-lab basin`: the CSV's cells against
//! `teleport-lab eval` runs from the same start points (a separate process
//! and code path: one run per scene file), the grid's order and bounds, the
//! PNG, and bad input (exit status 2, one line, nothing written).
#![allow(clippy::unwrap_used, reason = "a test panics on setup failures")]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{success_stdout, temp_dir, write_file};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_teleport-lab");

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {BIN}: {e}"))
}

fn write(dir: &Path, name: &str, value: &Value) -> PathBuf {
    write_file(dir, name, value.to_string())
}

/// The CSV's rows as `[x0, x1, f]`.
fn parse_csv(text: &str) -> Vec<[f64; 3]> {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("x0,x1,f"));
    lines
        .map(|l| {
            let v: Vec<f64> = l.split(',').map(|s| s.parse().unwrap()).collect();
            assert_eq!(v.len(), 3, "{l}");
            [v[0], v[1], v[2]]
        })
        .collect()
}

fn objective() -> Value {
    json!({"family": "ellipse", "A": [[0.5, 0.0], [0.0, 3.0]], "b": [0.0, 0.0]})
}

/// The lab file's rows: GD, GD + oracle teleport, a shipped learned row.
fn rows() -> Value {
    json!([
        {"kind": "gd", "lr": 0.05},
        {"kind": "gd", "lr": 0.05, "teleport": {"strategy": "oracle", "every": 5}},
        {"kind": "learned", "variant": "l2o-tele", "weights": "pretrained"}
    ])
}

/// The cells of `basin --scene scene --grid grid --steps steps` with
/// `extra` options, parsed from its CSV.
fn basin_cells(scene: &Path, grid: usize, steps: usize, extra: &[&str]) -> Vec<[f64; 3]> {
    let (grid, steps) = (grid.to_string(), steps.to_string());
    let scene = scene.to_str().unwrap();
    let mut args = vec![
        "basin", "--scene", scene, "--grid", &grid, "--steps", &steps,
    ];
    args.extend(extra);
    parse_csv(&success_stdout(&run(&args)))
}

/// `lab.json` in `dir`: [`objective`] from x0 = (−5, 3.5) for `steps`
/// steps, every row of [`rows`].
fn write_lab(dir: &Path, steps: usize) -> PathBuf {
    let lab = json!({
        "version": 2, "objective": objective(), "x0": [-5.0, 3.5], "steps": steps,
        "optimizers": rows(),
    });
    write(dir, "lab.json", &lab)
}

/// `f` at every step of row `row` from `x0`, by `eval --format csv` on a
/// lab file with that start (parsed from the end of each line, since the
/// name may be quoted). CSV, not JSON: Rust's float parsing round-trips
/// exactly.
fn eval_fs(dir: &Path, x0: [f64; 2], steps: usize, row: usize) -> Vec<f64> {
    let lab = json!({
        "version": 2, "objective": objective(), "x0": x0, "steps": steps,
        "optimizers": [rows()[row].clone()],
    });
    let path = write(dir, "eval.json", &lab);
    let out = success_stdout(&run(&[
        "eval",
        "--scene",
        path.to_str().unwrap(),
        "--format",
        "csv",
    ]));
    // …,t,x0,x1,f,grad0,grad1,teleported,theta
    out.lines()
        .skip(1)
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            fields[fields.len() - 5].parse().unwrap()
        })
        .collect()
}

/// `f` after `steps` steps of row `row` from `x0` ([`eval_fs`]; `None`
/// when the run stopped early).
fn eval_f(dir: &Path, x0: [f64; 2], steps: usize, row: usize) -> Option<f64> {
    let fs = eval_fs(dir, x0, steps, row);
    (fs.len() == steps + 1).then(|| fs[steps])
}

/// Every cell of a 4 × 4 map (centres −3, −1, 1, 3 and −1.5, −0.5, 0.5,
/// 1.5: exact in decimal, so `eval` starts from the very same points)
/// against `eval`: classical rows bit for bit, the learned row to f32
/// round-off (its networks run batched in `basin`, one at a time in `eval`).
#[test]
fn csv_cells_equal_eval_runs_from_the_same_starts() {
    let dir = temp_dir("cells");
    let steps = 12;
    let file = write_lab(&dir, steps);
    for row in 0..3 {
        let row_arg = row.to_string();
        let cells = basin_cells(
            &file,
            4,
            steps,
            &["--row", &row_arg, "--bounds", "-4,4,-2,2"],
        );
        assert_eq!(cells.len(), 16);
        for (k, c) in cells.iter().enumerate() {
            // Grid order: x varies fastest, rows go up from y_min.
            let (i, j) = (k % 4, k / 4);
            assert_eq!([c[0], c[1]], [-3.0 + 2.0 * i as f64, -1.5 + j as f64]);
            let want = eval_f(&dir, [c[0], c[1]], steps, row).unwrap();
            if row < 2 {
                assert_eq!(c[2], want, "row {row} at {c:?}");
            } else {
                assert!(
                    (c[2] - want).abs() <= 1e-4 * want.abs() + 1e-12,
                    "row {row} at {c:?}: {want}"
                );
            }
        }
    }
}

/// With `--eps`, each cell's `first_step` is the first step of the `eval`
/// run from that start with f ≤ ε, empty where there is none.
#[test]
fn eps_adds_the_first_step_below_it_as_eval_runs_find_it() {
    const EPS: f64 = 0.3;
    let dir = temp_dir("first-step");
    let steps = 30;
    let eps = EPS.to_string();
    let file = write_lab(&dir, steps);
    for row in 0..2 {
        let row_arg = row.to_string();
        let args = [
            "basin",
            "--scene",
            file.to_str().unwrap(),
            "--grid",
            "4",
            "--steps",
            "30",
            "--row",
            &row_arg,
            "--bounds",
            "-4,4,-2,2",
            "--eps",
            &eps,
        ];
        let out = success_stdout(&run(&args));
        let mut lines = out.lines();
        assert_eq!(lines.next(), Some("x0,x1,f,first_step"));
        let (mut reached, mut missed) = (0, 0);
        for line in lines {
            let fields: Vec<&str> = line.split(',').collect();
            let x0 = [fields[0].parse().unwrap(), fields[1].parse().unwrap()];
            let want = eval_fs(&dir, x0, steps, row).iter().position(|&f| f <= EPS);
            let got = (!fields[3].is_empty()).then(|| fields[3].parse::<usize>().unwrap());
            assert_eq!(got, want, "row {row} at {x0:?}");
            reached += usize::from(got.is_some());
            missed += usize::from(got.is_none());
        }
        eprintln!("row {row}: {reached} starts reached {EPS}, {missed} did not");
        assert!(reached > 0, "row {row}");
    }
}

/// A version-1 scene is row 0; without `--bounds` the map covers the view
/// fitted around x₀ and the minimum, and a lab file's saved view when it
/// has one.
#[test]
fn the_default_bounds_are_the_files_view() {
    let dir = temp_dir("view");
    let scene = json!({
        "objective": objective(), "x0": [-5.0, 3.5], "steps": 20,
        "optimizer": {"kind": "gd", "lr": 0.05},
    });
    let v1 = write(&dir, "v1.json", &scene);
    let cells = basin_cells(&v1, 5, 3, &[]);
    assert_eq!(cells.len(), 25);
    let (xs, ys): (Vec<f64>, Vec<f64>) = cells.iter().map(|c| (c[0], c[1])).unzip();
    let (x_lo, x_hi) = (xs[0], xs[4]);
    let (y_lo, y_hi) = (ys[0], ys[20]);
    // x₀ = (−5, 3.5) and the minimum (0, 0) lie inside the fitted view.
    assert!(x_lo < -5.0 + 1.0 && x_hi > 0.0 - 1.0, "{x_lo} {x_hi}");
    assert!(y_lo < 0.0 + 1.0 && y_hi > 3.5 - 1.0, "{y_lo} {y_hi}");
    let lab = json!({
        "version": 2, "objective": objective(), "x0": [-5.0, 3.5], "steps": 20,
        "optimizers": rows(), "app": {"view": [[-10.0, 0.0], [10.0, 4.0]]},
    });
    let file = write(&dir, "lab.json", &lab);
    let cells = basin_cells(&file, 2, 3, &[]);
    let points: Vec<[f64; 2]> = cells.iter().map(|c| [c[0], c[1]]).collect();
    assert_eq!(
        points,
        vec![[-5.0, 1.0], [5.0, 1.0], [-5.0, 3.0], [5.0, 3.0]]
    );
}

#[test]
fn png_is_an_image_of_the_requested_size() {
    let dir = temp_dir("png");
    let file = write_lab(&dir, 20);
    let out = dir.join("basin.png");
    success_stdout(&run(&[
        "basin",
        "--scene",
        file.to_str().unwrap(),
        "--row",
        "1",
        "--grid",
        "16",
        "--steps",
        "5",
        "--format",
        "png",
        "--out",
        out.to_str().unwrap(),
        "--size",
        "640x480",
    ]));
    let image = image::open(&out).unwrap();
    assert_eq!((image.width(), image.height()), (640, 480));
}

/// Bad input: status 2, one `error:` line naming the problem, no panic,
/// and the output file neither created nor touched.
#[test]
fn bad_input_exits_2_with_one_line_and_writes_nothing() {
    let dir = temp_dir("bad");
    let file = write_lab(&dir, 20);
    let v1 = write(
        &dir,
        "v1.json",
        &json!({"objective": objective(), "x0": [1.0, 1.0], "steps": 3,
                "optimizer": {"kind": "gd", "lr": 0.05}}),
    );
    let broken = dir.join("broken.json");
    std::fs::write(&broken, "{\"version\": 2, \"objective\": ").unwrap();
    let singular = write(
        &dir,
        "singular.json",
        &json!({"objective": {"family": "ellipse", "A": [[1.0, 2.0], [2.0, 4.0]], "b": [0.0, 0.0]},
                "x0": [1.0, 1.0], "steps": 3, "optimizer": {"kind": "gd", "lr": 0.05}}),
    );
    let out = dir.join("out.csv");
    std::fs::write(&out, "old contents").unwrap();
    let (f, v, b, s) = (
        file.to_str().unwrap(),
        v1.to_str().unwrap(),
        broken.to_str().unwrap(),
        singular.to_str().unwrap(),
    );
    let o = out.to_str().unwrap();
    let png = dir.join("new.png");
    let p = png.to_str().unwrap();
    let mut cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--scene", f, "--row", "3"], "--row 3"),
        (vec!["--scene", v, "--row", "1"], "version-1"),
        (vec!["--scene", f, "--bounds", "1,2,3"], "--bounds"),
        (vec!["--scene", f, "--bounds", "2,1,0,1"], "--bounds"),
        (vec!["--scene", f, "--bounds", "0,1,0,nan"], "--bounds"),
        (vec!["--scene", f, "--bounds", "a,b,c,d"], "--bounds"),
        (vec!["--scene", b], "broken.json"),
        (vec!["--scene", s], "singular"),
        (vec!["--scene", "/no/such/file.json"], "file.json"),
        (vec!["--scene", f, "--format", "png"], "--out"),
        (
            vec!["--scene", f, "--out", "/no/such/folder/x.csv"],
            "folder",
        ),
        (
            vec!["--scene", f, "--format", "png", "--out", "/no/such/x.png"],
            "folder",
        ),
        (vec!["--scene", f, "--grid", "0"], "--grid"),
        (vec!["--scene", f, "--grid", "5000"], "--grid"),
        (vec!["--scene", f, "--steps", "-1"], "--steps"),
        (
            vec!["--scene", f, "--format", "jpeg", "--out", p],
            "--format",
        ),
        (
            vec!["--scene", f, "--grid", "1024", "--steps", "1000"],
            "optimizee steps",
        ),
    ];
    // ε must be a finite number above 0.
    for eps in ["0", "-1e-3", "inf", "nan", "x"] {
        cases.push((vec!["--scene", f, "--eps", eps], "--eps"));
    }
    for (extra, needle) in cases {
        let mut argv: Vec<&str> = vec!["basin"];
        let has = |flag: &str| extra.contains(&flag);
        if !has("--grid") {
            argv.extend(["--grid", "4"]);
        }
        if !has("--steps") {
            argv.extend(["--steps", "3"]);
        }
        // Every case but the PNG one names an existing file to overwrite.
        if !has("--format") && !has("--out") {
            argv.extend(["--out", o]);
        }
        argv.extend(extra.iter().copied());
        let result = run(&argv);
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert_eq!(result.status.code(), Some(2), "{argv:?}: {stderr}");
        let first = stderr.lines().next().unwrap_or("");
        assert!(first.starts_with("error:"), "{argv:?}: {stderr}");
        assert!(stderr.contains(needle), "{argv:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{argv:?}: {stderr}");
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "old contents");
        assert!(!png.exists(), "{argv:?} wrote {p}");
    }
}
