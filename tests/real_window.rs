//! A real window under Xvfb: `teleport-lab --scene … --screenshot out.png`.
//!
//! Needs `xvfb-run` (Debian's `xvfb`); `.ci/run` installs it. Without it the
//! test is skipped locally but fails under CI.
#![allow(clippy::unwrap_used, reason = "test setup")]

mod common;

use common::{assert_success, run_with_timeout, temp_dir, write_file};

use std::process::Command;
use std::time::Duration;

#[test]
fn screenshot_of_a_real_window_shows_the_plot() {
    if !common::xvfb_available() {
        return;
    }
    let dir = temp_dir("window");
    let scene = write_file(
        &dir,
        "scene.json",
        r#"{"objective": {"family": "rosenbrock", "a": 1.0, "b": -1.0, "c": -2.0, "d": [0.0, 0.0, 0.4]},
            "x0": [-1.5, 1.0], "steps": 40, "optimizer": {"kind": "gd", "lr": 0.02},
            "teleport": {"strategy": "oracle", "every": 10}}"#,
    );
    let out = dir.join("window.png");
    let mut cmd = common::xvfb_command();
    cmd.arg(env!("CARGO_BIN_EXE_teleport-lab"))
        .arg("--scene")
        .arg(&scene)
        .arg("--screenshot")
        .arg(&out)
        .env("XDG_RUNTIME_DIR", &dir);
    let output = run_with_timeout(cmd, Duration::from_secs(180));
    assert_success(&output);
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
    let dir = temp_dir("window-bad");
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
