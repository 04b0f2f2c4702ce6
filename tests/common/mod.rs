//! Helpers shared by the top-level tests (`mod common;` in each): temporary
//! folders, the headless app harness, and running the real binary.
#![allow(dead_code, reason = "each test crate uses some of these")]
#![allow(clippy::unwrap_used, reason = "test setup panics on failure")]

#[path = "../../crates/teleport-core/tests/common/files.rs"]
pub mod files;
#[path = "../../crates/teleport-core/tests/common/hostile.rs"]
pub mod hostile;
#[path = "../../crates/teleport-core/tests/common/optimizers.rs"]
pub mod optimizers;
#[path = "../../crates/teleport-core/tests/common/svg.rs"]
pub mod svg;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use teleport_core::io::weights::{self, WeightsInfo};
use teleport_core::l2o::{MetaOptimizer, ModelConfig, Variant};
use teleport_lab::app::state::AppState;
use teleport_lab::app::{Options, TeleportApp};

/// A fresh, empty folder for one test, under the system's temporary folder
/// and named after the test crate, `name` and this process.
pub fn temp_dir(name: &str) -> PathBuf {
    let crate_name = env!("CARGO_CRATE_NAME");
    let pid = std::process::id();
    let dir = std::env::temp_dir().join(format!("tl-{crate_name}-{name}-{pid}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes `contents` to a file `name` in `dir`, creating `dir` if need be;
/// returns the file's path.
pub fn write_file(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

/// The app's options for a test: exports go to `dir`, no file dialogs, no
/// saved session.
pub fn test_options(dir: &Path) -> Options {
    Options {
        export_dir: Some(dir.to_owned()),
        dialogs: false,
        fresh: true,
        ..Options::default()
    }
}

/// A fresh app with [`test_options`].
pub fn app_with(dir: &Path) -> TeleportApp {
    TeleportApp::new(AppState::default(), &test_options(dir))
}

/// `app` in a 1440 × 900 headless harness with the app's fonts, run four
/// frames so that the plot has fitted its view.
pub fn harness(app: TeleportApp) -> Harness<'static, TeleportApp> {
    harness_sized(app, [1440.0, 900.0])
}

/// [`harness`] in a window of `size` points.
pub fn harness_sized(app: TeleportApp, size: [f32; 2]) -> Harness<'static, TeleportApp> {
    let mut h = Harness::builder()
        .with_size(egui::vec2(size[0], size[1]))
        .with_context_setup(teleport_lab::app::install_fonts)
        .build_ui_state(|ui, app: &mut TeleportApp| app.ui_body(ui), app);
    h.run_steps(4);
    h
}

/// The texts of the app's error notifications, oldest first.
pub fn error_texts(app: &TeleportApp) -> Vec<&str> {
    app.notifications()
        .iter()
        .filter(|n| n.error)
        .map(|n| n.text.as_str())
        .collect()
}

/// An untrained model of `variant` with hidden size 8: small and quick.
pub fn small_model(variant: Variant, seed: u64) -> MetaOptimizer<f32> {
    MetaOptimizer::init(
        ModelConfig {
            hidden: 8,
            ..ModelConfig::paper(variant)
        },
        seed,
    )
}

/// Writes `model` to `path` as a weights file without training metadata,
/// creating its folder.
pub fn save_model(path: &Path, model: &MetaOptimizer<f32>) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let info = WeightsInfo {
        train: None,
        trajectories_trained: 0,
    };
    weights::save(path, model, &info).unwrap();
}

/// Fails the test unless the program that gave `out` succeeded, with its
/// status and standard error in the message.
pub fn assert_success(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The standard output of a program that must have succeeded (as
/// [`assert_success`]).
pub fn success_stdout(out: &Output) -> String {
    assert_success(out);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Whether `xvfb-run` is here. Under CI (`CI` set) it must be: `.ci/run`
/// installs it, so its absence is a failure, not a skip.
pub fn xvfb_available() -> bool {
    let found = Command::new("xvfb-run")
        .arg("--help")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    assert!(
        found || std::env::var_os("CI").is_none(),
        "xvfb-run is missing under CI"
    );
    if !found {
        eprintln!("xvfb-run not found: skipping a real-window test");
    }
    found
}

/// `xvfb-run` with a 1600 × 1000 screen, ready for the command to run in it.
///
/// Each call starts its search for a free display at a number of its own
/// (`-n`, from this process and a counter): `xvfb-run -a` alone starts at
/// 99 every time, and two tests starting together could both take the
/// same display and one fail with "Failed to open connection to X server".
pub fn xvfb_command() -> Command {
    static CALLS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let start = 100 + (std::process::id() % 997) * 16 + call % 16;
    let mut cmd = Command::new("xvfb-run");
    cmd.args([
        "-a",
        "-n",
        &start.to_string(),
        "-s",
        "-screen 0 1600x1000x24",
    ]);
    cmd
}

/// Runs the command `make` builds under `xvfb-run` (see [`xvfb_command`])
/// as [`run_with_timeout`] does, once more (up to three times) when the
/// display could not be reached: on a loaded machine Xvfb can lose the
/// race with the app it was started for, which says nothing about the app.
pub fn run_on_display(make: impl Fn() -> Command, limit: Duration) -> Output {
    let mut attempt = 0;
    loop {
        let output = run_with_timeout(make(), limit);
        let lost = String::from_utf8_lossy(&output.stderr)
            .contains("Failed to open connection to X server");
        attempt += 1;
        if !lost || attempt == 3 {
            return output;
        }
        eprintln!("the display was not reached; running again");
    }
}

/// Runs `cmd` with its output captured, killing it and failing the test if
/// it has not exited within `limit`.
pub fn run_with_timeout(mut cmd: Command, limit: Duration) -> Output {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_with_timeout(child, limit)
}

/// Waits for `child` and collects its output, killing it and failing the
/// test if it has not exited within `limit`.
pub fn wait_with_timeout(mut child: Child, limit: Duration) -> Output {
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the program did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}
