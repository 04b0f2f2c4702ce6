//! `teleport-lab FILE --animate OUT`: the plot's playback drawn without a
//! window (no display), and the whole window recorded frame by frame under
//! Xvfb (the pointer never in a frame); decoded again and checked.
//!
//! The window's tests need `xvfb-run` (and `xdotool` to move the pointer);
//! `.ci/run` installs them. Without them those tests are skipped locally
//! but fail under CI.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test setup")]

mod common;

use common::{success_stdout, temp_dir, write_file};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use image::AnimationDecoder;

const STEPS: usize = 6;

fn lab(dir: &Path) -> PathBuf {
    write_file(
        dir,
        "demo.json",
        format!(
            r#"{{"version": 2,
              "objective": {{"family": "ellipse", "A": [[0.5, 0.0], [0.0, 3.0]], "b": [0.0, 0.0]}},
              "x0": [-5.0, 3.5], "steps": {STEPS}, "caption": "GD and GD + teleport",
              "optimizers": [
                {{"kind": "gd", "lr": 0.05}},
                {{"kind": "gd", "lr": 0.05, "teleport": {{"strategy": "oracle", "every": 2}}}}
              ]}}"#
        ),
    )
}

fn run(dir: &Path, args: &[&str]) -> Output {
    let make = || {
        let mut cmd = common::xvfb_command();
        cmd.arg(env!("CARGO_BIN_EXE_teleport-lab"))
            .args(args)
            .env("XDG_RUNTIME_DIR", dir)
            .env("HOME", dir);
        cmd
    };
    common::run_on_display(make, Duration::from_secs(240))
}

/// A fresh folder `name` holding the demo lab file, or `None` (the test
/// skips) without `xvfb-run`.
fn xvfb_and_lab(name: &str) -> Option<(PathBuf, PathBuf)> {
    if !common::xvfb_available() {
        return None;
    }
    let dir = temp_dir(name);
    let scene = lab(&dir);
    Some((dir, scene))
}

/// Records `scene --animate out` with `extra` options under Xvfb, checks
/// that it succeeded and returns its standard output.
fn record(dir: &Path, scene: &Path, out: &Path, extra: &[&str]) -> String {
    let mut args = vec![scene.to_str().unwrap(), "--animate", out.to_str().unwrap()];
    args.extend(extra);
    success_stdout(&run(dir, &args))
}

/// Every frame as a viewer composes it, with its delay in ms.
fn frames(path: &Path) -> Vec<(image::RgbaImage, u32)> {
    let bytes = std::fs::read(path).unwrap();
    let cursor = std::io::Cursor::new(bytes);
    let frames = if path.extension().is_some_and(|e| e == "gif") {
        image::codecs::gif::GifDecoder::new(cursor)
            .unwrap()
            .into_frames()
    } else {
        image::codecs::png::PngDecoder::new(cursor)
            .unwrap()
            .apng()
            .unwrap()
            .into_frames()
    };
    frames
        .map(|f| {
            let f = f.unwrap();
            let (num, den) = f.delay().numer_denom_ms();
            (f.into_buffer(), num / den.max(1))
        })
        .collect()
}

/// The frames of `path`, checked: one per step (step 0 included), each
/// `size`, each step's but the last shown `delay` ms, and consecutive ones
/// differing in more than 20 pixels (each step moves the trajectories).
fn checked_frames(path: &Path, size: (u32, u32), delay: u32) -> Vec<(image::RgbaImage, u32)> {
    let frames = frames(path);
    assert_eq!(
        frames.len(),
        STEPS + 1,
        "one frame per step, step 0 included"
    );
    for (img, _) in &frames {
        assert_eq!((img.width(), img.height()), size);
    }
    for (_, d) in &frames[..STEPS] {
        assert_eq!(*d, delay);
    }
    for pair in frames.windows(2) {
        let d = differing_pixels(&pair[0].0, &pair[1].0);
        assert!(d > 20, "{d} pixels changed between steps");
    }
    frames
}

fn differing_pixels(a: &image::RgbaImage, b: &image::RgbaImage) -> usize {
    a.pixels().zip(b.pixels()).filter(|(p, q)| p != q).count()
}

#[test]
fn a_gif_of_the_plot_is_drawn_without_a_display_one_frame_per_step_at_the_asked_size() {
    let dir = temp_dir("gif");
    let scene = lab(&dir);
    let out = dir.join("plot.gif");
    let output = Command::new(env!("CARGO_BIN_EXE_teleport-lab"))
        .arg(&scene)
        .arg("--animate")
        .arg(&out)
        // No display at all: the plot is drawn by the core.
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env("HOME", &dir)
        .args([
            "--size",
            "640x400",
            "--plot-only",
            "--fps",
            "5",
            "--frames-per-step",
            "2",
        ])
        .output()
        .unwrap();
    let stdout = success_stdout(&output);
    assert!(
        stdout.contains(&format!("{} frames", STEPS + 1)),
        "{stdout}"
    );
    // 2 frames per step at 5 fps: 400 ms a step; the last one holds longer.
    let frames = checked_frames(&out, (640, 400), 400);
    assert!(frames[STEPS].1 > 400);
    // Each step moves the trajectories: consecutive frames differ, and by
    // far less than the whole plot (the colour map stays).
    let n = 640 * 400;
    for pair in frames.windows(2) {
        let d = differing_pixels(&pair[0].0, &pair[1].0);
        assert!(d > 20 && d < n / 2, "{d} pixels changed between steps");
    }
    // The plot alone: the colour map reaches the frame's corners region
    // (no side panel or menu around it).
    let (last, _) = &frames[STEPS];
    let colours: std::collections::HashSet<[u8; 4]> = last.pixels().map(|p| p.0).collect();
    assert!(colours.len() > 100, "{} colours", colours.len());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_apng_of_the_window_keeps_every_colour_and_a_bad_name_is_refused() {
    let Some((dir, scene)) = xvfb_and_lab("apng") else {
        return;
    };
    let out = dir.join("window.png");
    record(
        &dir,
        &scene,
        &out,
        &[
            "--size",
            "1000x700",
            "--fps",
            "10",
            "--frames-per-step",
            "1",
        ],
    );
    checked_frames(&out, (1000, 700), 100);

    // Not .gif or .png: exit 2 before any window, nothing written.
    let bad = dir.join("movie.mp4");
    let output = Command::new(env!("CARGO_BIN_EXE_teleport-lab"))
        .arg(&scene)
        .arg("--animate")
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains(".gif or .png"));
    assert!(!bad.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The issue a teacher met: recording the window with the pointer resting
/// on the plot baked the hover crosshair and readout into every frame. The
/// frames are now drawn with the pointer taken out of their input: a
/// recording with the pointer moving over the plot (`xdotool`, the whole
/// time) equals one with the pointer away, frame for frame.
#[test]
fn the_pointer_over_the_window_never_shows_in_a_recording() {
    let Some((dir, scene)) = xvfb_and_lab("pointer") else {
        return;
    };
    let have_xdotool = Command::new("xdotool").arg("--version").output().is_ok();
    assert!(
        have_xdotool || std::env::var_os("CI").is_none(),
        "xdotool is missing under CI"
    );
    if !have_xdotool {
        return;
    }
    let bin = env!("CARGO_BIN_EXE_teleport-lab");
    let args = |out: &Path| {
        format!(
            "'{bin}' '{}' --animate '{}' --size 800x520 --fps 10 --frames-per-step 1",
            scene.display(),
            out.display()
        )
    };
    let away = dir.join("away.gif");
    let over = dir.join("over.gif");
    // The pointer parked off the window, or wandering over the plot while
    // the window records.
    let scripts = [
        (
            &away,
            format!("xdotool mousemove 1500 950; {}", args(&away)),
        ),
        (
            &over,
            format!(
                "{} & app=$!; while kill -0 $app 2>/dev/null; do \
                 for p in '300 250' '420 300' '500 200'; do xdotool mousemove $p; sleep 0.1; done; \
                 done; wait $app",
                args(&over)
            ),
        ),
    ];
    for (out, script) in scripts {
        let make = || {
            let mut cmd = common::xvfb_command();
            cmd.args(["sh", "-c", &script])
                .env("XDG_RUNTIME_DIR", &dir)
                .env("HOME", &dir);
            cmd
        };
        let output = common::run_on_display(make, Duration::from_secs(240));
        common::assert_success(&output);
        assert!(out.is_file(), "{} was not written", out.display());
    }
    let (a, b) = (frames(&away), frames(&over));
    assert_eq!(a.len(), b.len());
    for (k, ((fa, _), (fb, _))) in a.iter().zip(&b).enumerate() {
        assert_eq!((fa.width(), fa.height()), (800, 520), "the asked size");
        let d = differing_pixels(fa, fb);
        assert_eq!(
            d, 0,
            "frame {k}: {d} pixels differ with the pointer over the plot"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
