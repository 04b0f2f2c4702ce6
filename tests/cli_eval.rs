//! End-to-end tests of `teleport-lab eval --scene FILE [--format json|csv]`:
//! the binary runs on scene files written to the temporary folder, and its
//! output is checked against hand-written optimizer loops, closed forms and
//! the library itself. Bad scenes must exit with status 2, name the field and
//! never panic.

mod common;

use common::files::{folder_with_a_file, is_fifo, is_link, temp_fifo};
use common::{assert_success, temp_dir};

use std::f64::consts::PI;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Deserialize;
use serde_json::json;
use teleport_core::io::scene::Scene;
use teleport_core::objective::{Mat2, Vec2, rotation};
use teleport_core::symmetry;

const BIN: &str = env!("CARGO_BIN_EXE_teleport-lab");

/// The example scene of the scene format's documentation, verbatim.
const EXAMPLE: &str = r#"{
  "objective": {"family": "ellipse", "A": [[0.5, 0.0], [0.0, 3.0]], "b": [0.0, 0.0]},
  "x0": [-5.0, 3.5],
  "steps": 20,
  "optimizer": {"kind": "gd", "lr": 0.05},
  "teleport": {"strategy": "oracle", "at": [4]}
}"#;

/// A scene file in the temporary folder, removed when dropped.
struct SceneFile {
    path: PathBuf,
}

impl SceneFile {
    fn new(text: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "teleport-lab-cli-{}-{}.json",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&path, text)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        Self { path }
    }

    fn path(&self) -> &str {
        self.path
            .to_str()
            .unwrap_or_else(|| panic!("temp path is not UTF-8"))
    }
}

impl Drop for SceneFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn teleport_lab(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {BIN}: {e}"))
}

/// One record of the JSON output: the documented fields (later fields may be
/// added, so others are ignored).
#[derive(Debug, Deserialize)]
struct Rec {
    t: usize,
    x: [f64; 2],
    f: f64,
    grad: [f64; 2],
    teleported: bool,
    theta: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct Out {
    trajectory: Vec<Rec>,
    #[serde(default)]
    stop: Option<serde_json::Value>,
}

/// Runs a scene that must succeed and parses its JSON output.
fn eval_json(scene: &str) -> Out {
    let file = SceneFile::new(scene);
    let out = teleport_lab(&["eval", "--scene", file.path()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{scene}\nstderr: {stderr}");
    assert!(stderr.is_empty(), "stderr: {stderr}");
    let value: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("output is not JSON: {e}"));
    // Every record carries every column, `theta` as null when there is none.
    let records = value["trajectory"]
        .as_array()
        .unwrap_or_else(|| panic!("no trajectory array"));
    for r in records {
        for key in ["t", "x", "f", "grad", "teleported", "theta"] {
            assert!(r.get(key).is_some(), "record lacks `{key}`: {r}");
        }
    }
    serde_json::from_value(value).unwrap_or_else(|e| panic!("unexpected output shape: {e}"))
}

fn x(r: &Rec) -> Vec2 {
    Vec2::from(r.x)
}

fn assert_vec_close(what: &str, got: &Vec2, want: &Vec2, tol: f64) {
    assert!(
        (got - want).norm() <= tol,
        "{what}: got {got:?}, want {want:?}, |diff| = {:e} > {tol:e}",
        (got - want).norm()
    );
}

/// Equal up to the last bit or two (JSON numbers are printed in shortest
/// round-trip form; the parser may differ from exact rounding by an ulp).
fn same_number(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 4.0 * f64::EPSILON * a.abs().max(b.abs())
}

fn angle_dist(a: f64, b: f64, period: f64) -> f64 {
    let d = (a - b).rem_euclid(period);
    d.min(period - d)
}

#[test]
fn example_scene_follows_gd_and_teleports_at_step_4() {
    let out = eval_json(EXAMPLE);
    assert!(out.stop.is_none());
    let recs = &out.trajectory;
    assert_eq!(recs.len(), 21, "steps + 1 records");
    for (i, r) in recs.iter().enumerate() {
        assert_eq!(r.t, i);
        assert_eq!(r.teleported, r.t == 4, "t = {}", r.t);
        assert_eq!(
            r.theta.is_some(),
            r.t == 4,
            "θ only where a teleport happened"
        );
        // f = (0.5x)² + (3y)², ∇f = (0.5x, 18y).
        let p = x(r);
        let f = (0.5 * p.x).powi(2) + (3.0 * p.y).powi(2);
        assert!((r.f - f).abs() <= 1e-14 * f, "f at t = {}", r.t);
        let g = Vec2::new(0.5 * p.x, 18.0 * p.y);
        assert_vec_close("∇f", &Vec2::from(r.grad), &g, 1e-13 * g.norm());
    }
    // GD on f = ‖Ax‖² with A = diag(0.5, 3) and lr = 0.05 multiplies x by
    // diag(1 − 2·0.05·0.25, 1 − 2·0.05·9) = diag(0.975, 0.1) each step.
    let gd = |p: Vec2, t: i32| Vec2::new(0.975_f64.powi(t) * p.x, 0.1_f64.powi(t) * p.y);
    let x0 = Vec2::new(-5.0, 3.5);
    for r in &recs[..4] {
        assert_vec_close("x_t before the teleport", &x(r), &gd(x0, r.t as i32), 1e-13);
    }
    // At t = 4 the teleport acts on the iterate after step 3's update.
    let pre = gd(x0, 4);
    let u = Vec2::new(0.5 * pre.x, 3.0 * pre.y);
    let r4 = &recs[4];
    let f_pre = u.norm_squared();
    assert!(
        (r4.f - f_pre).abs() <= 1e-12 * f_pre,
        "f is kept: {} vs {f_pre}",
        r4.f
    );
    // The oracle turns h(x) = Ax onto the axis of A's largest singular value
    // (σ = 3): h(x4) = ±‖u‖ e₂, so x4 = (0, ±‖u‖/3) and ‖∇f‖ = 2·3·‖u‖.
    let x4 = x(r4);
    assert!(x4.x.abs() <= 1e-12 * u.norm(), "{x4:?}");
    assert!(
        (x4.y.abs() - u.norm() / 3.0).abs() <= 1e-12 * u.norm(),
        "{x4:?}"
    );
    let g4 = Vec2::from(r4.grad).norm();
    assert!((g4 - 6.0 * u.norm()).abs() <= 1e-12 * g4);
    assert!(g4 > 5.0 * Vec2::new(0.5 * pre.x, 18.0 * pre.y).norm());
    let theta = r4.theta.unwrap();
    let want = PI / 2.0 - u.y.atan2(u.x);
    assert!(
        angle_dist(theta, want, PI) <= 1e-8,
        "θ* = {theta}, want {want} mod π"
    );
    for r in &recs[5..] {
        let want = gd(x4, r.t as i32 - 4);
        assert_vec_close("x_t after the teleport", &x(r), &want, 1e-13);
    }
    // The library gives the same run.
    let lib = Scene::from_json(EXAMPLE).unwrap().run();
    assert_eq!(lib.records.len(), recs.len());
    for (a, b) in lib.records.iter().zip(recs) {
        assert_eq!((a.t, a.teleported), (b.t, b.teleported));
        let pairs = [
            (a.x[0], b.x[0]),
            (a.x[1], b.x[1]),
            (a.f, b.f),
            (a.grad[0], b.grad[0]),
            (a.grad[1], b.grad[1]),
            (a.theta.unwrap_or(0.0), b.theta.unwrap_or(0.0)),
        ];
        for (p, q) in pairs {
            assert!(same_number(p, q), "t = {}: library {p} vs CLI {q}", a.t);
        }
    }
}

#[test]
fn csv_has_the_same_numbers_as_json() {
    let json = eval_json(EXAMPLE);
    let file = SceneFile::new(EXAMPLE);
    let out = teleport_lab(&["eval", "--scene", file.path(), "--format", "csv"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("t,x0,x1,f,grad0,grad1,teleported,theta"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 21);
    for (row, r) in rows.iter().zip(&json.trajectory) {
        let cells: Vec<&str> = row.split(',').collect();
        assert_eq!(cells.len(), 8, "{row}");
        assert_eq!(cells[0].parse::<usize>().unwrap(), r.t);
        let nums: Vec<f64> = cells[1..6].iter().map(|c| c.parse().unwrap()).collect();
        let want = [r.x[0], r.x[1], r.f, r.grad[0], r.grad[1]];
        for (got, want) in nums.iter().zip(want) {
            assert!(
                same_number(*got, want),
                "t = {}: CSV {got} vs JSON {want}",
                r.t
            );
        }
        assert_eq!(cells[6], if r.teleported { "true" } else { "false" });
        match r.theta {
            None => assert_eq!(cells[7], ""),
            Some(theta) => assert!(same_number(cells[7].parse().unwrap(), theta)),
        }
    }
    // The default format is JSON.
    let explicit = teleport_lab(&["eval", "--scene", file.path(), "--format", "json"]);
    let default = teleport_lab(&["eval", "--scene", file.path()]);
    assert_eq!(explicit.stdout, default.stdout);
}

#[test]
fn momentum_matches_a_hand_written_loop() {
    let (a, b) = (Mat2::new(1.2, -0.4, 0.3, 0.8), Vec2::new(0.5, -1.0));
    let scene = json!({
        "objective": {"family": "ellipse", "A": [[1.2, -0.4], [0.3, 0.8]], "b": [0.5, -1.0]},
        "x0": [2.0, -3.0],
        "steps": 300,
        "optimizer": {"kind": "momentum", "lr": 0.05, "beta": 0.8}
    });
    let out = eval_json(&scene.to_string());
    assert_eq!(out.trajectory.len(), 301);
    let (mut p, mut v) = (Vec2::new(2.0, -3.0), Vec2::zeros());
    for r in &out.trajectory {
        assert_vec_close(&format!("x_{}", r.t), &x(r), &p, 1e-12);
        let g = 2.0 * a.transpose() * (a * p + b);
        v = 0.8 * v - 0.05 * g;
        p += v;
    }
    // It converges to the minimum A x = −b.
    let last = x(out.trajectory.last().unwrap());
    let x_star = -(a.try_inverse().unwrap() * b);
    assert!((last - x_star).norm() < 1e-8, "{last:?} vs {x_star:?}");
}

#[test]
fn adam_matches_a_hand_written_loop_with_defaults() {
    // Booth: f = (x + 2y − 7)² + (2x + y − 5)²; β1, β2, ε take their defaults.
    let scene = json!({
        "objective": {"family": "ellipse", "A": [[1.0, 2.0], [2.0, 1.0]], "b": [-7.0, -5.0]},
        "x0": [5.0, -5.0],
        "steps": 30,
        "optimizer": {"kind": "adam", "lr": 0.1}
    });
    let out = eval_json(&scene.to_string());
    // x₀ and 30 steps: an empty or cut trajectory must not pass.
    assert_eq!(out.trajectory.len(), 30 + 1);
    assert!(out.stop.is_none(), "{:?}", out.stop);
    let (mut p, mut m, mut s) = (Vec2::new(5.0, -5.0), Vec2::zeros(), Vec2::zeros());
    for (k, r) in out.trajectory.iter().enumerate() {
        assert_eq!(r.t, k);
        assert_vec_close(&format!("x_{}", r.t), &x(r), &p, 1e-12);
        let (e1, e2) = (p.x + 2.0 * p.y - 7.0, 2.0 * p.x + p.y - 5.0);
        let g = Vec2::new(2.0 * e1 + 4.0 * e2, 4.0 * e1 + 2.0 * e2);
        m = 0.9 * m + 0.1 * g;
        s = 0.999 * s + 0.001 * g.component_mul(&g);
        let t = k as i32 + 1;
        let m_hat = m / (1.0 - 0.9_f64.powi(t));
        let s_hat = s / (1.0 - 0.999_f64.powi(t));
        for i in 0..2 {
            p[i] -= 0.1 * m_hat[i] / (s_hat[i].sqrt() + 1e-8);
        }
    }
}

#[test]
fn newton_matches_the_textbook_rosenbrock_iteration() {
    // f = 100(y − x²)² + (1 − x)², the classic start (−1.2, 1).
    let scene = json!({
        "objective": {"family": "rosenbrock", "a": 1.0, "b": -1.0, "c": -10.0, "d": [0.0, 0.0, 10.0]},
        "x0": [-1.2, 1.0],
        "steps": 8,
        "optimizer": {"kind": "newton"}
    });
    let out = eval_json(&scene.to_string());
    assert_eq!(out.trajectory.len(), 9);
    let mut p = Vec2::new(-1.2, 1.0);
    for r in &out.trajectory {
        assert_vec_close(&format!("x_{}", r.t), &x(r), &p, 1e-9 * (1.0 + p.norm()));
        let (px, py) = (p.x, p.y);
        let g = Vec2::new(
            -400.0 * px * (py - px * px) - 2.0 * (1.0 - px),
            200.0 * (py - px * px),
        );
        let h = Mat2::new(
            1200.0 * px * px - 400.0 * py + 2.0,
            -400.0 * px,
            -400.0 * px,
            200.0,
        );
        p -= h.try_inverse().unwrap() * g;
    }
    let last = out.trajectory.last().unwrap();
    assert_vec_close("minimum", &x(last), &Vec2::new(1.0, 1.0), 1e-10);
}

#[test]
fn newton_solves_an_ellipse_in_one_step() {
    let scene = json!({
        "objective": {"family": "ellipse", "A": [[2.0, 1.0], [-1.0, 0.5]], "b": [1.0, 3.0]},
        "x0": [10.0, -7.0],
        "steps": 2,
        "optimizer": {"kind": "newton", "lr": 1.0}
    });
    let out = eval_json(&scene.to_string());
    // A x = −b: 2x + y = −1, −x + 0.5y = −3 ⇒ x = 1.25, y = −3.5.
    for r in &out.trajectory[1..] {
        assert_vec_close("x*", &x(r), &Vec2::new(1.25, -3.5), 1e-12);
        assert!(r.f < 1e-24);
    }
}

#[test]
fn angle_teleports_every_k_steps_keep_f() {
    // ros_fixed: h(x, y) = (−2y + 0.4x², x − 1); h⁻¹(u, v) = (v + 1, (0.4(v + 1)² − u)/2).
    let theta = 0.9;
    let scene = json!({
        "objective": {"family": "rosenbrock", "a": 1.0, "b": -1.0, "c": -2.0, "d": [0.0, 0.0, 0.4]},
        "x0": [-2.0, 1.0],
        "steps": 10,
        "optimizer": {"kind": "gd", "lr": 0.002},
        "teleport": {"strategy": "angle", "theta": theta, "every": 3}
    });
    let out = eval_json(&scene.to_string());
    let h = |p: Vec2| Vec2::new(-2.0 * p.y + 0.4 * p.x * p.x, p.x - 1.0);
    let h_inv = |u: Vec2| Vec2::new(u.y + 1.0, (0.4 * (u.y + 1.0).powi(2) - u.x) / 2.0);
    let grad = |p: Vec2| {
        let u = h(p);
        Vec2::new(2.0 * u.x * 0.8 * p.x + 2.0 * u.y, -4.0 * u.x)
    };
    let mut p = Vec2::new(-2.0, 1.0);
    for r in &out.trajectory {
        let fires = r.t > 0 && r.t % 3 == 0 && r.t < 10;
        assert_eq!(r.teleported, fires, "t = {}", r.t);
        if fires {
            let before = h(p).norm_squared();
            p = h_inv(rotation(theta) * h(p));
            assert_eq!(r.theta, Some(theta));
            assert!((r.f - before).abs() <= 1e-10 * before, "teleport keeps f");
        }
        assert_vec_close(&format!("x_{}", r.t), &x(r), &p, 1e-10 * (1.0 + p.norm()));
        p -= 0.002 * grad(p);
    }
}

#[test]
fn ascent_teleport_uses_the_library_ascent() {
    let scene = json!({
        "objective": {"family": "ellipse", "A": [[1.0, 0.5], [0.0, 2.0]], "b": [0.0, 1.0]},
        "x0": [1.0, 1.0],
        "steps": 3,
        "optimizer": {"kind": "gd", "lr": 0.01},
        "teleport": {"strategy": "ascent", "lr": 0.001, "iters": 10, "at": [0]}
    });
    let text = scene.to_string();
    let out = eval_json(&text);
    let r0 = &out.trajectory[0];
    assert!(r0.teleported);
    let loaded = Scene::from_json(&text).unwrap();
    let x0 = Vec2::new(1.0, 1.0);
    let want = symmetry::ascent(&loaded.objective, &x0, 0.0, 0.001, 10);
    assert!(same_number(r0.theta.unwrap(), want));
    assert!(want > 0.0, "the ascent moved");
    let f0 = loaded.objective.f(&x0);
    assert!((r0.f - f0).abs() <= 1e-12 * f0);
    // Ascent raised ‖∇f‖ over the start point's.
    assert!(Vec2::from(r0.grad).norm() > loaded.objective.grad(&x0).norm());
}

#[test]
fn alg2_records_theta_and_follows_appendix_b() {
    let a = Mat2::new(3.0, 1.0, 1.0, 2.0);
    let (alpha, beta, theta0) = (0.05, 0.2, 0.3);
    let scene = json!({
        "objective": {"family": "quadratic", "A": [[3.0, 1.0], [1.0, 2.0]]},
        "x0": [1.0, -2.0],
        "steps": 15,
        "optimizer": {"kind": "alg2", "lr": alpha, "theta_lr": beta, "theta0": theta0}
    });
    let out = eval_json(&scene.to_string());
    assert_eq!(out.trajectory.len(), 16);
    // B = √A in closed form; y = B⁻¹R_θBx, x' = (I − 2αA)y,
    // ∂f(x')/∂θ = 2(R_θBx)ᵀ(I − 2αA)² R_{π/2}(R_θBx).
    let s = a.determinant().sqrt();
    let b = (a + s * Mat2::identity()) / (a.trace() + 2.0 * s).sqrt();
    let b_inv = b.try_inverse().unwrap();
    let c = Mat2::identity() - 2.0 * alpha * a;
    let (mut p, mut theta) = (Vec2::new(1.0, -2.0), theta0);
    for r in &out.trajectory {
        assert!(!r.teleported);
        let got = r.theta.expect("alg2 records θ_t");
        assert!((got - theta).abs() <= 1e-12, "θ_{}: {got} vs {theta}", r.t);
        assert_vec_close(&format!("x_{}", r.t), &x(r), &p, 1e-12);
        let w = rotation(theta) * b * p;
        let dtheta = 2.0 * w.dot(&(c * c * Vec2::new(-w.y, w.x)));
        p = c * (b_inv * w);
        theta -= beta * dtheta;
    }
    // θ moved.
    let last = out.trajectory.last().unwrap().theta.unwrap();
    assert!((last - theta0).abs() > 1e-3);
}

#[test]
fn divergence_stops_at_the_first_non_finite_iterate() {
    let scene = json!({
        "objective": {"family": "ellipse", "A": [[0.5, 0.0], [0.0, 3.0]], "b": [0.0, 0.0]},
        "x0": [1.0, 1.0],
        "steps": 5000,
        "optimizer": {"kind": "gd", "lr": 10.0}
    });
    let out = eval_json(&scene.to_string());
    let stop = out.stop.expect("a stop reason");
    assert_eq!(stop["reason"], "diverged");
    let step = stop["step"].as_u64().unwrap() as usize;
    // By hand: x ← x − 10·(0.5x, 18y) multiplies y by −179 each step; find
    // the first t whose x, f or ∇f is not finite.
    let mut p = Vec2::new(1.0, 1.0);
    let mut first = 0;
    loop {
        let g = Vec2::new(0.5 * p.x, 18.0 * p.y);
        let f = (0.5 * p.x).powi(2) + (3.0 * p.y).powi(2);
        if !(f.is_finite() && g.iter().chain(p.iter()).all(|v| v.is_finite())) {
            break;
        }
        p -= 10.0 * g;
        first += 1;
    }
    assert_eq!(step, first);
    assert!((60..80).contains(&step), "{step}");
    assert_eq!(out.trajectory.len(), step);
    assert!(out.trajectory.iter().all(|r| r.f.is_finite()));
}

#[test]
fn singular_newton_step_is_reported_in_stop() {
    // The Rosenbrock Hessian [[1200x² − 400y + 2, −400x], [−400x, 200]] is
    // singular where 200(1200x² − 400y + 2) = 160000x², e.g. (0.5, 0.255).
    let scene = json!({
        "objective": {"family": "rosenbrock", "a": 1.0, "b": -1.0, "c": -10.0, "d": [0.0, 0.0, 10.0]},
        "x0": [0.5, 0.255],
        "steps": 5,
        "optimizer": {"kind": "newton"}
    });
    let out = eval_json(&scene.to_string());
    let stop = out.stop.expect("a stop reason");
    assert_eq!(stop["reason"], "failed");
    assert_eq!(stop["step"], 0);
    assert!(stop["message"].as_str().unwrap().contains("singular"));
    assert_eq!(out.trajectory.len(), 1);
}

/// A valid scene with one change.
fn scene_with(patch: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut scene: serde_json::Value =
        serde_json::from_str(EXAMPLE).unwrap_or_else(|e| panic!("{e}"));
    patch(&mut scene);
    scene.to_string()
}

fn assert_rejected(name: &str, args: &[&str], expect: &[&str]) {
    let out = teleport_lab(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{name}: stderr {stderr}");
    assert!(out.stdout.is_empty(), "{name}: printed {:?}", out.stdout);
    assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    for e in expect {
        assert!(stderr.contains(e), "{name}: stderr lacks {e:?}: {stderr}");
    }
}

#[test]
fn bad_scenes_exit_2_and_name_the_field() {
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        (
            "not JSON",
            "objective: ellipse".into(),
            vec!["invalid scene"],
        ),
        ("empty file", String::new(), vec!["invalid scene"]),
        (
            "missing field",
            scene_with(|s| {
                s.as_object_mut().unwrap().remove("steps");
            }),
            vec!["`steps`"],
        ),
        (
            "unknown field",
            scene_with(|s| s["speed"] = json!(3)),
            vec!["unknown field `speed`"],
        ),
        (
            "unknown objective field",
            scene_with(|s| s["objective"]["c"] = json!(1.0)),
            vec!["objective", "unknown field `c`"],
        ),
        (
            "wrong type",
            scene_with(|s| s["steps"] = json!("ten")),
            vec!["`steps`", "invalid type"],
        ),
        (
            "negative steps",
            scene_with(|s| s["steps"] = json!(-3)),
            vec!["`steps`"],
        ),
        (
            "x0 too short",
            scene_with(|s| s["x0"] = json!([1.0])),
            vec!["`x0`"],
        ),
        (
            "number out of range",
            scene_with(|s| s["x0"] = json!([1.0, 2.0])).replace("[1.0,2.0]", "[1e400,2.0]"),
            vec!["`x0[0]`"],
        ),
        (
            "singular A",
            scene_with(|s| s["objective"]["A"] = json!([[1.0, 2.0], [2.0, 4.0]])),
            vec!["`objective.A`", "singular"],
        ),
        (
            "Rosenbrock a = 0",
            scene_with(
                |s| s["objective"] = json!({"family": "rosenbrock", "a": 0.0, "b": 1.0, "c": 1.0, "d": [0.0, 0.0, 1.0]}),
            ),
            vec!["`objective.a`", "zero"],
        ),
        (
            "Rosenbrock c = 0",
            scene_with(
                |s| s["objective"] = json!({"family": "rosenbrock", "a": 1.0, "b": 1.0, "c": 0.0, "d": [0.0, 0.0, 1.0]}),
            ),
            vec!["`objective.c`", "zero"],
        ),
        (
            "unknown family",
            scene_with(|s| s["objective"]["family"] = json!("booth")),
            vec!["objective.family", "unknown variant `booth`"],
        ),
        (
            "non-SPD quadratic",
            scene_with(|s| {
                s["objective"] = json!({"family": "quadratic", "A": [[1.0, 0.0], [0.0, -1.0]]})
            }),
            vec!["`objective.A`", "positive definite"],
        ),
        (
            "non-symmetric quadratic",
            scene_with(|s| {
                s["objective"] = json!({"family": "quadratic", "A": [[1.0, 0.5], [0.0, 1.0]]})
            }),
            vec!["`objective.A`", "symmetric"],
        ),
        (
            "negative lr",
            scene_with(|s| s["optimizer"]["lr"] = json!(-0.05)),
            vec!["optimizer", "`lr`"],
        ),
        (
            "missing lr",
            scene_with(|s| s["optimizer"] = json!({"kind": "gd"})),
            vec!["optimizer", "missing field `lr`"],
        ),
        (
            "momentum beta = 1",
            scene_with(|s| s["optimizer"] = json!({"kind": "momentum", "lr": 0.1, "beta": 1.0})),
            vec!["optimizer", "`beta`"],
        ),
        (
            "unknown optimizer",
            scene_with(|s| s["optimizer"]["kind"] = json!("sgd")),
            vec!["optimizer.kind", "unknown variant `sgd`"],
        ),
        (
            "steps too large",
            scene_with(|s| s["steps"] = json!(100_001)),
            vec!["`steps`", "at most 100000"],
        ),
        (
            "alg2 with a teleport",
            scene_with(|s| {
                s["objective"] = json!({"family": "quadratic", "A": [[2.0, 0.0], [0.0, 1.0]]});
                s["optimizer"] = json!({"kind": "alg2", "lr": 0.1, "theta_lr": 0.1});
            }),
            vec!["`teleport`", "Algorithm 2"],
        ),
        (
            "angle without theta",
            scene_with(|s| s["teleport"] = json!({"strategy": "angle", "at": [1]})),
            vec!["`teleport.theta`"],
        ),
        (
            "teleport without steps",
            scene_with(|s| s["teleport"] = json!({"strategy": "oracle"})),
            vec!["`teleport.at`"],
        ),
        (
            "oracle with an ascent field",
            scene_with(|s| s["teleport"]["iters"] = json!(5)),
            vec!["`teleport.iters`"],
        ),
        (
            "too many ascent iterations",
            scene_with(|s| {
                s["teleport"] =
                    json!({"strategy": "ascent", "lr": 0.1, "iters": 100_000_000u64, "at": [1]})
            }),
            vec!["`teleport.iters`"],
        ),
    ];
    assert!(cases.len() >= 20);
    for (name, text, expect) in &cases {
        let file = SceneFile::new(text);
        assert_rejected(name, &["eval", "--scene", file.path()], expect);
        // Every message is one line starting with `error:`.
        let out = teleport_lab(&["eval", "--scene", file.path(), "--format", "csv"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.starts_with("error: "), "{name}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{name}: {stderr}");
    }
}

#[test]
fn bad_command_lines_exit_2() {
    let missing = std::env::temp_dir().join(format!(
        "teleport-lab-cli-{}-does-not-exist.json",
        std::process::id()
    ));
    let missing = missing.to_str().unwrap();
    assert_rejected(
        "missing file",
        &["eval", "--scene", missing],
        &["cannot read scene file", missing],
    );
    assert_rejected("no --scene", &["eval"], &["--scene"]);
    let file = SceneFile::new(EXAMPLE);
    assert_rejected(
        "unknown format",
        &["eval", "--scene", file.path(), "--format", "xml"],
        &["xml"],
    );
    // A folder is not a scene file.
    let dir = std::env::temp_dir();
    assert_rejected(
        "a folder",
        &["eval", "--scene", dir.to_str().unwrap()],
        &["scene"],
    );
}

#[test]
fn help_describes_eval() {
    let out = teleport_lab(&["eval", "--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("--scene") && text.contains("--format"),
        "{text}"
    );
}

/// `evaluate --help` describes what `evaluate` prints: the CSV header
/// word for word, and the JSON keys.
#[test]
fn help_describes_what_evaluate_prints() {
    let help = teleport_lab(&["evaluate", "--help"]);
    assert!(help.status.success());
    let help = String::from_utf8_lossy(&help.stdout);
    let args = [
        "evaluate",
        "--baseline",
        "gd:lr=0.05",
        "--runs",
        "3",
        "--steps",
        "2",
    ];
    let csv = teleport_lab(&[&args[..], &["--format", "csv"]].concat());
    assert!(csv.status.success());
    let csv = String::from_utf8_lossy(&csv.stdout);
    let header = csv.lines().next().unwrap_or_default();
    assert_eq!(header, "optimizer,t,mean,median,std,q25,q75,runs,diverged");
    assert!(help.contains(&format!("`{header}`")), "{help}");
    assert_eq!(csv.lines().count(), 1 + 3, "{csv}");
    let json = teleport_lab(&args);
    assert!(json.status.success());
    let json: serde_json::Value = serde_json::from_slice(&json.stdout)
        .unwrap_or_else(|e| panic!("evaluate's output is not JSON: {e}"));
    let entry = &json["optimizers"][0];
    assert_eq!(entry["name"], "GD lr=0.05");
    assert_eq!(entry["steps"].as_array().map(Vec::len), Some(3), "{entry}");
    let step = &entry["steps"][2];
    assert_eq!(step["t"], 2);
    assert_eq!(step["runs"], 3);
    for key in ["\"optimizers\"", "\"name\"", "\"steps\""] {
        assert!(help.contains(key), "help lacks {key}: {help}");
    }
    for key in header.split(',').skip(1) {
        assert!(step.get(key).is_some(), "no `{key}` in {step}");
        assert!(
            help.contains(&format!("\"{key}\"")),
            "help lacks {key}: {help}"
        );
    }
    // Not `eval`'s trajectory.
    assert!(!help.contains("trajectory"), "{help}");
}

#[test]
fn bench_core_names_its_rows_and_compares_the_oracle_with_the_scan() {
    let out = teleport_lab(&["bench", "core", "--samples", "1"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    let rows = [
        "| f + ∇f (mixed families) |",
        "| teleport g_θ(x) |",
        "| oracle θ* (1e-8 accurate) |",
        "| baseline: dense scan, 65536 angles (≈1e-4 accurate) |",
        "| oracle θ* on Rosenbrock preset |",
    ];
    let mut at = 0;
    for row in rows {
        let found = text[at..]
            .find(row)
            .unwrap_or_else(|| panic!("row `{row}` missing or out of order:\n{text}"));
        at += found + row.len();
    }
    let summary = text
        .lines()
        .find(|l| l.starts_with("oracle vs dense scan: "))
        .unwrap_or_else(|| panic!("no speed-up line:\n{text}"));
    assert!(
        summary.ends_with("× faster, medians of 1 and 1 samples"),
        "{summary}"
    );
    let speedup: f64 = summary["oracle vs dense scan: ".len()..]
        .split('×')
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no number in `{summary}`"));
    // A ratio of two medians (speed itself is never asserted).
    assert!(speedup.is_finite() && speedup > 0.0, "{summary}");
}

// ---- files that are not what they seem -------------------------------------

/// Runs the binary, killing it and failing the test if it has not exited
/// within 10 s (a FIFO opened for reading would block it forever).
fn teleport_lab_within_10s(args: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args).stdin(std::process::Stdio::null());
    common::run_with_timeout(cmd, std::time::Duration::from_secs(10))
}

/// Like `assert_rejected`, within 10 s.
fn assert_rejected_within_10s(name: &str, args: &[&str], expect: &[&str]) {
    let out = teleport_lab_within_10s(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{name}: stderr {stderr}");
    assert!(out.stdout.is_empty(), "{name}: printed {:?}", out.stdout);
    assert!(stderr.starts_with("error: "), "{name}: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{name}: {stderr}");
    assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    for e in expect {
        assert!(stderr.contains(e), "{name}: stderr lacks {e:?}: {stderr}");
    }
}

/// The smallest training run the CLI accepts, one trajectory of 5 steps,
/// writing to `out`, with `extra` options.
fn tiny_train<'a>(out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "train",
        "--hidden",
        "4",
        "--trajectories",
        "1",
        "--steps",
        "5",
        "--unroll",
        "5",
        "--out",
        out,
    ];
    args.extend(extra);
    args
}

#[test]
fn dev_zero_is_refused_at_once() {
    assert_rejected_within_10s(
        "eval /dev/zero",
        &["eval", "--scene", "/dev/zero"],
        &[
            "cannot read scene file /dev/zero",
            "character device",
            "not a regular file",
        ],
    );
    assert_rejected_within_10s(
        "evaluate /dev/zero",
        &["evaluate", "--weights", "/dev/zero", "--runs", "1"],
        &[
            "--weights /dev/zero",
            "character device",
            "not a regular file",
        ],
    );
}

#[test]
fn a_fifo_is_refused_without_blocking() {
    let Some((dir, fifo)) = temp_fifo("fifo") else {
        return;
    };
    let path = fifo.to_str().unwrap();
    assert_rejected_within_10s(
        "eval FIFO",
        &["eval", "--scene", path],
        &["cannot read scene file", "FIFO", "not a regular file"],
    );
    assert_rejected_within_10s(
        "evaluate FIFO",
        &["evaluate", "--weights", path, "--runs", "1"],
        &["--weights", "FIFO", "not a regular file"],
    );
    let args = tiny_train(path, &[]);
    assert_rejected_within_10s(
        "train --out FIFO",
        &args,
        &["--out", "FIFO", "not replacing it"],
    );
    assert!(is_fifo(&fifo), "the FIFO was replaced");
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "files left behind"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn train_out_a_folder_is_refused_and_left_alone() {
    let dir = temp_dir("out-dir");
    let folder = folder_with_a_file(&dir, "weights", "keep.txt");
    let args = tiny_train(folder.to_str().unwrap(), &[]);
    assert_rejected_within_10s(
        "train --out folder",
        &args,
        &["--out", "a folder", "not replacing it"],
    );
    assert!(folder.is_dir());
    assert_eq!(std::fs::read(folder.join("keep.txt")).unwrap(), b"keep");
    assert_eq!(std::fs::read_dir(&folder).unwrap().count(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn train_out_a_symlink_keeps_the_link_and_creates_folders() {
    let dir = temp_dir("out-link");
    // The target's folder does not exist yet: saving creates it.
    let target = dir.join("real/weights/w.safetensors");
    let link = dir.join("latest.safetensors");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let args = tiny_train(link.to_str().unwrap(), &[]);
    let out = teleport_lab_within_10s(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stderr: {stderr}");
    assert!(is_link(&link), "the link was replaced by a file");
    assert_eq!(std::fs::read_link(&link).unwrap(), target);
    let first = std::fs::read(&target).unwrap();
    assert!(teleport_core::io::weights::from_bytes(&first).is_ok());
    // Again, over the existing target: still a link, and nothing left beside it.
    let out = teleport_lab_within_10s(&args);
    assert_success(&out);
    assert!(is_link(&link));
    assert_eq!(
        std::fs::read_dir(dir.join("real/weights")).unwrap().count(),
        1
    );
    // A plain path in a missing folder is created too.
    let fresh = dir.join("fresh/install/w.safetensors");
    let args = tiny_train(fresh.to_str().unwrap(), &[]);
    let out = teleport_lab_within_10s(&args);
    assert_success(&out);
    assert!(fresh.is_file());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn training_that_cannot_learn_exits_2_and_says_why() {
    let dir = temp_dir("no-learning");
    let out_path = dir.join("w.safetensors");
    let out = out_path.to_str().unwrap();
    assert_rejected_within_10s(
        "unroll longer than steps",
        &["train", "--unroll", "50", "--steps", "5", "--out", out],
        &[
            "unroll",
            "50",
            "steps",
            "5",
            "no unroll would complete",
            "no meta-update",
        ],
    );
    assert_rejected_within_10s(
        "no trajectories",
        &["train", "--trajectories", "0", "--out", out],
        &["trajectories", "0", "no meta-update"],
    );
    assert_rejected_within_10s(
        "unroll 0",
        &["train", "--unroll", "0", "--out", out],
        &["unroll", "at least 1"],
    );
    assert!(!out_path.exists(), "a refused run wrote weights");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `train --loss`: the three costs train and say which they used; a bad
/// value exits 2 with one message naming the value and the choices, never
/// a panic.
#[test]
fn train_loss_takes_f_dist_and_f_plus_dist_and_refuses_anything_else() {
    let dir = temp_dir("train-loss");
    let out_path = dir.join("w.safetensors");
    let out = out_path.to_str().unwrap();
    for (loss, shown) in [
        ("f", "(loss f)"),
        ("dist", "(loss dist)"),
        ("f+dist", "(loss f+dist:1)"),
        ("f+dist:0.25", "(loss f+dist:0.25)"),
    ] {
        let args = tiny_train(out, &["--variant", "l2o-tele", "--loss", loss]);
        let run = teleport_lab(&args);
        let stdout = String::from_utf8_lossy(&run.stdout);
        assert!(
            run.status.success(),
            "{loss}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        assert!(stdout.contains(shown), "{loss}: {stdout}");
        assert!(out_path.is_file());
    }
    for (bad, expect) in [
        ("distance", "unknown loss `distance`"),
        ("f+dist:0", "must be a positive finite number"),
        ("f+dist:-2", "must be a positive finite number"),
        ("f+dist:nan", "must be a positive finite number"),
        ("f+dist:", "must be a positive finite number"),
        ("", "unknown loss"),
    ] {
        let args = tiny_train(out, &["--loss", bad]);
        let run = teleport_lab(&args);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{bad:?}: {stderr}");
        assert!(
            stderr.starts_with("error: invalid value"),
            "{bad:?}: {stderr}"
        );
        assert!(stderr.contains("--loss"), "{bad:?}: {stderr}");
        assert!(stderr.contains(expect), "{bad:?}: {stderr}");
        assert!(
            stderr.contains("f+dist:λ") || expect.contains("positive"),
            "{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{bad:?}: {stderr}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `figures --seeds` takes 1 to 100 seeds; anything else exits 2 before
/// any work.
#[test]
fn figures_refuses_zero_seeds() {
    for bad in ["0", "101", "x"] {
        let run = teleport_lab(&["figures", "--out", "/nonexistent/never", "--seeds", bad]);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{bad}: {stderr}");
        assert!(stderr.contains("--seeds"), "{bad}: {stderr}");
        assert!(!stderr.contains("panicked"), "{bad}: {stderr}");
    }
}

/// `evaluate` reports how well each teleporting optimizer chose its angle:
/// the oracle exactly 1, a fixed-budget ascent below it, plain GD nothing.
#[test]
fn evaluate_reports_teleport_efficiency_per_step() {
    let out = teleport_lab(&[
        "evaluate",
        "--baseline",
        "gd:lr=0.05,teleport=oracle,every=2",
        "--baseline",
        "gd:lr=0.05,teleport=ascent,every=2,ascent_iters=1",
        "--baseline",
        "gd:lr=0.05",
        "--runs",
        "12",
        "--steps",
        "6",
    ]);
    assert_success(&out);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let steps = |i: usize| {
        json["optimizers"][i]["steps"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    let with_eta = |i: usize| -> Vec<serde_json::Value> {
        steps(i)
            .into_iter()
            .filter_map(|s| s.get("teleport_efficiency").cloned())
            .collect()
    };
    let oracle = with_eta(0);
    assert!(oracle.len() >= 2, "{oracle:?}");
    for e in &oracle {
        for key in ["mean", "median", "q25", "q75"] {
            assert_eq!(e[key], 1.0, "{e}");
        }
        assert!(
            e["n"].as_u64().is_some_and(|n| (1..=12).contains(&n)),
            "{e}"
        );
    }
    let ascent = with_eta(1);
    assert!(!ascent.is_empty());
    assert!(
        ascent.iter().all(|e| e["median"]
            .as_f64()
            .is_some_and(|m| m > 0.0 && m <= 1.0 + 1e-8)),
        "{ascent:?}"
    );
    assert!(
        ascent
            .iter()
            .any(|e| e["mean"].as_f64().is_some_and(|m| m < 0.999)),
        "one ascent step is not the oracle: {ascent:?}"
    );
    assert!(with_eta(2).is_empty(), "GD does not teleport");
}

/// `evaluate --threads N` prints the same bytes for every N.
#[test]
fn evaluate_gives_the_same_numbers_on_any_number_of_threads() {
    let weights = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/weights/l2o-tele-elli_vary.safetensors"
    );
    let run = |threads: &str| {
        let out = teleport_lab(&[
            "evaluate",
            "--weights",
            weights,
            "--baseline",
            "gd:lr=0.05,teleport=oracle,every=3",
            "--runs",
            "37",
            "--steps",
            "8",
            "--threads",
            threads,
        ]);
        assert_success(&out);
        out.stdout
    };
    let one = run("1");
    assert!(String::from_utf8_lossy(&one).contains("teleport_efficiency"));
    for threads in ["2", "3", "8"] {
        assert!(
            run(threads) == one,
            "--threads {threads} differs from --threads 1"
        );
    }
    let zero = teleport_lab(&["evaluate", "--baseline", "gd:lr=0.05", "--threads", "0"]);
    assert_eq!(zero.status.code(), Some(2));
}

/// `figures --threads N` writes the same files, byte for byte, for every N
/// — `claims.json` included: every (model, seed) is its own job and every
/// claim its own bootstrap stream.
#[test]
fn figures_are_the_same_on_any_number_of_threads() {
    let dir = std::env::temp_dir().join(format!("tl-figures-threads-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let run = |threads: &str| {
        let out = dir.join(threads);
        let output = teleport_lab(&[
            "figures",
            "--quick",
            "--format",
            "svg",
            "--out",
            out.to_str().unwrap(),
            "--threads",
            threads,
        ]);
        assert_success(&output);
        // The network experiment's summary is printed with the paper's.
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains("## Networks"), "{stdout}");
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| {
                let path = e.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read(&path).unwrap())
            })
            .collect();
        files.sort();
        files
    };
    let one = run("1");
    assert!(one.len() >= 30, "{} files", one.len());
    assert!(one.iter().any(|(name, _)| name == "claims.json"));
    let two = run("2");
    assert_eq!(
        one.iter().map(|f| &f.0).collect::<Vec<_>>(),
        two.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for ((name, a), (_, b)) in one.iter().zip(&two) {
        assert!(a == b, "{name} differs between 1 and 2 threads");
    }
    check_claims(&dir.join("1"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `claims.json` of `figures --quick` (5 seeds × 50 test tasks): the
/// documented schema, every claim the paper's text makes on both samplings,
/// verdicts that follow the intervals, mean claims paired with median
/// ones — and one estimate recomputed from the per-seed CSV.
#[allow(
    clippy::unwrap_used,
    reason = "a test helper: a missing field fails the test"
)]
fn check_claims(dir: &std::path::Path) {
    let text = std::fs::read_to_string(dir.join("claims.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["seeds"], 5);
    assert_eq!(json["test_tasks"], 50);
    let claims = json["claims"].as_array().unwrap();
    let ids: Vec<&str> = claims.iter().map(|c| c["id"].as_str().unwrap()).collect();
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "ids repeat");
    let mut expected = Vec::new();
    for f in 3..=6 {
        for stem in ["vanilla-beats-teleport", "l2o-beats-gd", "l2o-beats-adam"] {
            for stat in ["mean", "median"] {
                expected.push(format!("fig{f}-{stem}-{stat}"));
                if f == 4 || f == 6 {
                    expected.push(format!("fig{f}-{stem}-{stat}-raw"));
                }
            }
        }
    }
    for dist in ["elli_vary", "ros_vary"] {
        for stem in ["momentum-beats-lr-tele", "momentum-beats-gd"] {
            for stat in ["mean", "median"] {
                expected.push(format!("fig7-{dist}-{stem}-{stat}"));
                expected.push(format!("fig7-{dist}-{stem}-{stat}-raw"));
            }
        }
        expected.push(format!("dist-{dist}-fewer-harmful-teleports"));
        expected.push(format!("dist-{dist}-f-not-raised-mean"));
        expected.push(format!("dist-{dist}-f-not-raised-median"));
    }
    for id in &expected {
        assert!(ids.contains(&id.as_str()), "{id} missing");
    }
    assert_eq!(ids.len(), expected.len(), "{ids:?}");
    for c in claims {
        let id = c["id"].as_str().unwrap();
        let figure = c["figure"].as_u64().unwrap();
        assert!((3..=7).contains(&figure), "{id}");
        assert!(c["paper_says"].as_str().unwrap().len() > 20, "{id}");
        assert!(c["metric"].as_str().unwrap().len() > 10, "{id}");
        let sampling = c["sampling"].as_str().unwrap();
        assert_eq!(sampling == "raw", id.ends_with("-raw"), "{id}");
        let ci = c["ci95"].as_array().unwrap();
        assert_eq!(ci.len(), 2, "{id}");
        let verdict = c["verdict"].as_str().unwrap();
        match (ci[0].as_f64(), ci[1].as_f64()) {
            (Some(lo), Some(hi)) => {
                assert!(lo <= hi, "{id}");
                let want = if lo > 0.0 {
                    "holds"
                } else if hi < 0.0 {
                    "fails"
                } else {
                    "inconclusive"
                };
                assert_eq!(verdict, want, "{id}: [{lo}, {hi}]");
            }
            _ => assert_eq!(verdict, "inconclusive", "{id}"),
        }
        let diverged = c["diverged"].as_array().unwrap();
        assert_eq!(diverged.len(), 2, "{id}");
        for d in diverged {
            assert!(d["diverged"].as_u64().unwrap() <= d["runs"].as_u64().unwrap());
            let runs = d["runs"].as_u64().unwrap();
            assert!(runs == 50 || runs == 250, "{id}: {runs} runs");
        }
        if id.contains("-mean") {
            let median = c["counterpart"].as_str().unwrap();
            assert_eq!(median, id.replace("-mean", "-median"));
            let back = claims.iter().find(|o| o["id"] == median).unwrap();
            assert_eq!(back["counterpart"].as_str(), Some(id));
        }
    }
    // fig3-l2o-beats-gd-mean from the CSV: ln(mean f of GD / mean f of
    // L2O over its 5 seeds), none diverged on the fixed ellipse.
    let csv = std::fs::read_to_string(dir.join("fig3_elli_fixed.csv")).unwrap();
    let last: Vec<Vec<&str>> = csv
        .lines()
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|r| r[2] == "12")
        .collect();
    let mean_of = |name: &str| {
        let rows: Vec<&Vec<&str>> = last.iter().filter(|r| r[0] == name).collect();
        let runs: f64 = rows.iter().map(|r| r[8].parse::<f64>().unwrap()).sum();
        let sum: f64 = rows
            .iter()
            .map(|r| r[3].parse::<f64>().unwrap() * r[8].parse::<f64>().unwrap())
            .sum();
        (rows.len(), sum / runs)
    };
    let (l2o_seeds, l2o) = mean_of("L2O");
    let (gd_seeds, gd) = mean_of("GD lr=0.05");
    assert_eq!((l2o_seeds, gd_seeds), (5, 1));
    let claim = claims
        .iter()
        .find(|c| c["id"] == "fig3-l2o-beats-gd-mean")
        .unwrap();
    let estimate = claim["estimate"].as_f64().unwrap();
    assert!(
        (estimate - (gd / l2o).ln()).abs() < 1e-9,
        "{estimate} vs {}",
        (gd / l2o).ln()
    );
    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(summary.contains("## Claims"));
    assert!(summary.contains("`fig4-vanilla-beats-teleport-median`"));
    assert!(summary.contains("### Raw N(0, 1) sampling vs the conditioned default"));
}
