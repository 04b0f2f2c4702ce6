//! A real window under Xvfb: `teleport-lab --scene … --screenshot out.png`.
//!
//! Needs `xvfb-run` (Debian's `xvfb`); `.ci/run` installs it. Without it the
//! test is skipped locally but fails under CI.
#![allow(clippy::unwrap_used, reason = "test setup")]

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn xvfb_run() -> Option<&'static str> {
    common::xvfb_available().then_some("xvfb-run")
}

fn run_with_timeout(mut cmd: Command, limit: Duration) -> std::process::Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("the window did not close within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn screenshot_of_a_real_window_shows_the_plot() {
    let Some(xvfb) = xvfb_run() else { return };
    let dir = std::env::temp_dir().join(format!("tl-window-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let scene = dir.join("scene.json");
    std::fs::write(
        &scene,
        r#"{"objective": {"family": "rosenbrock", "a": 1.0, "b": -1.0, "c": -2.0, "d": [0.0, 0.0, 0.4]},
            "x0": [-1.5, 1.0], "steps": 40, "optimizer": {"kind": "gd", "lr": 0.02},
            "teleport": {"strategy": "oracle", "every": 10}}"#,
    )
    .unwrap();
    let out = dir.join("window.png");
    let mut cmd = Command::new(xvfb);
    cmd.args(["-a", "-s", "-screen 0 1600x1000x24"])
        .arg(env!("CARGO_BIN_EXE_teleport-lab"))
        .arg("--scene")
        .arg(&scene)
        .arg("--screenshot")
        .arg(&out)
        .env("XDG_RUNTIME_DIR", &dir);
    let output = run_with_timeout(cmd, Duration::from_secs(180));
    assert!(
        output.status.success(),
        "exit {:?}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let image = image::open(&out).unwrap().to_rgba8();
    assert_eq!((image.width(), image.height()), (1440, 900));
    // The central plot: the light colour map and dark contour lines and
    // trajectories, not a blank or black frame.
    let (w, h) = (image.width(), image.height());
    let mut colours = std::collections::HashSet::new();
    let mut dark = 0;
    let mut light = 0;
    for y in h / 4..3 * h / 4 {
        for x in 2 * w / 5..3 * w / 5 {
            let p = image.get_pixel(x, y).0;
            colours.insert(p);
            let lum = u32::from(p[0]) + u32::from(p[1]) + u32::from(p[2]);
            if lum < 300 {
                dark += 1;
            }
            if lum > 600 {
                light += 1;
            }
        }
    }
    let total = (h / 2) * (w / 5);
    assert!(
        colours.len() > 150,
        "only {} colours in the plot",
        colours.len()
    );
    assert!(
        light > total / 2,
        "the plot is not mostly the light colour map: {light}/{total}"
    );
    assert!(dark > 50, "no lines drawn: {dark} dark pixels");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_bad_scene_is_a_clear_error_without_a_window() {
    let dir = std::env::temp_dir().join(format!("tl-window-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let scene = dir.join("bad.json");
    std::fs::write(&scene, r#"{"objective": {"family": "ellipse", "A": [[1, 2], [2, 4]], "b": [0, 0]}, "x0": [0, 0], "steps": 5, "optimizer": {"kind": "gd", "lr": 0.1}}"#).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_teleport-lab"))
        .arg("--scene")
        .arg(&scene)
        .arg("--screenshot")
        .arg(dir.join("never.png"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("objective.A") && stderr.contains("singular"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"));
    assert!(!dir.join("never.png").exists());
    let missing = Command::new(env!("CARGO_BIN_EXE_teleport-lab"))
        .args(["--scene", "/nonexistent/scene.json"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}
