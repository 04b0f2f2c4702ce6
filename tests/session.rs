//! Never losing a session: restore, unreadable files, the state saved before
//! rows had ids, and the real process killed with TERM and KILL or crashing
//! on an injected UI panic (under Xvfb).
#![allow(clippy::unwrap_used, reason = "test setup")]

mod common;

use common::{temp_dir, write_file};

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use teleport_core::io::scene::ObjectiveSpec;
use teleport_core::l2o::Variant;
use teleport_lab::app::session::{self, CRASH_MARKER, STATE_FILE};
use teleport_lab::app::state::{AppState, EntryKind, TaskSource};
use teleport_lab::app::{Options, TeleportApp};

fn fixture() -> AppState {
    let text = include_str!("fixtures/state-before-row-ids.ron");
    ron::from_str(text).unwrap()
}

#[test]
fn the_state_saved_before_rows_had_ids_loads_intact() {
    let state = fixture();
    let options = Options {
        fresh: false,
        dialogs: false,
        ..Options::default()
    };
    let app = TeleportApp::launch(&options, Some(state));
    let s = &app.state;
    // The user's task, start point, steps and settings.
    assert_eq!(
        s.source,
        TaskSource::Custom(ObjectiveSpec::Rosenbrock {
            a: 1.0,
            b: -1.0,
            c: -2.0,
            d: [0.0, 0.0, 0.4]
        })
    );
    assert_eq!((s.x0, s.steps, s.theta), ([-1.5, 1.0], 60, 0.7));
    assert_eq!(s.playback.speed, 12.0);
    assert!(!s.show.filled && s.show.newton_overlay && s.panels.newton);
    assert_eq!((s.training.hidden, s.training.seed), (32, 7));
    // The rows, in order, each with an id and its old colour (by position).
    let kinds: Vec<_> = s
        .optimizers
        .iter()
        .map(|r| (r.enabled, r.kind.clone()))
        .collect();
    assert_eq!(kinds.len(), 4);
    assert!(!kinds[1].0);
    assert_eq!(kinds[3].1, EntryKind::Learned(Variant::L2oTele));
    let colours: Vec<_> = s.optimizers.iter().map(|r| r.color).collect();
    assert_eq!(colours, [Some(0), Some(1), Some(2), Some(3)]);
    // `selected: 2` and the teleport on row index 2 still name the third row.
    let third = s.optimizers[2].id;
    assert_eq!(s.selected, third);
    assert_eq!(s.manual_teleports.len(), 1);
    assert_eq!(s.manual_teleports[0].row, third);
    // And it computes: the third row has its hand-teleported branch.
    assert!(app.run(third).unwrap().branch.is_some());
    teleport_lab::monkey::check(&app).unwrap();
}

#[test]
fn an_unreadable_state_is_kept_aside_and_the_app_starts_on_defaults() {
    let dir = temp_dir("unreadable");
    std::fs::write(
        dir.join(STATE_FILE),
        "(source: Preset(elli_fixed), x0: (oops",
    )
    .unwrap();
    let options = Options {
        session_dir: Some(dir.clone()),
        ..Options::default()
    };
    let app = TeleportApp::launch(&options, None);
    assert_eq!(app.state, AppState::default());
    let note = app
        .notifications()
        .iter()
        .find(|n| n.error && n.text.contains("could not be read"))
        .unwrap();
    // The old file is still there, under a new name the message gives.
    let kept: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("session.ron.unreadable-"))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(note.text.contains(&kept[0]), "{}", note.text);
    assert_eq!(
        std::fs::read_to_string(dir.join(&kept[0])).unwrap(),
        "(source: Preset(elli_fixed), x0: (oops"
    );
    drop(app);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_change_is_saved_and_restored_with_the_live_model() {
    let dir = temp_dir("round-trip");
    let options = Options {
        session_dir: Some(dir.clone()),
        ..Options::default()
    };
    let mut app = TeleportApp::launch(&options, None);
    let ctx = egui::Context::default();
    app.state.x0 = [1.25, -2.5];
    app.state.steps = 33;
    // A live model, as training or "Load weights" gives.
    let model_path = dir.join("model.safetensors");
    let model = common::small_model(Variant::L2o, 3);
    common::save_model(&model_path, &model);
    app.load_weights_from(&ctx, &model_path);
    let mut out = ctx.run_ui(egui::RawInput::default(), |ui| app.ui_body(ui));
    out.textures_delta.clear();
    let expected = app.state.clone();
    // Exit writes at once.
    eframe::App::on_exit(&mut app);
    drop(app);
    let restored = session::restore(&dir);
    assert_eq!(restored.state.as_ref(), Some(&expected));
    let live = restored.live.unwrap();
    assert_eq!(live.variant(), Variant::L2o);
    let x0 = teleport_core::objective::Vec2::new(1.0, 2.0);
    let obj = teleport_core::objective::Preset::ElliFixed.objective();
    assert_eq!(
        live.trajectory(&obj, x0, 5).records,
        model.trajectory(&obj, x0, 5).records,
        "the restored model is not the saved one"
    );
    // A relaunch shows the live row with that model.
    let again = TeleportApp::launch(&options, None);
    let row = again
        .state
        .optimizers
        .iter()
        .find(|r| r.kind == EntryKind::Live(Variant::L2o))
        .unwrap();
    assert!(again.run(row.id).is_some());
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---- the real process ----

/// The app under Xvfb, on a scene (a change from any saved state), with
/// its session in `dir`; returns the xvfb-run process and the app's pid.
#[allow(clippy::zombie_processes, reason = "the caller waits for the child")]
fn launch(dir: &Path, extra: &[&str]) -> (Child, u32) {
    let scene = write_file(
        dir,
        "scene.json",
        r#"{"objective": {"family": "ellipse", "A": [[1.0, 0.2], [0.0, 2.0]], "b": [0.5, 0.0]},
            "x0": [-3.25, 2.75], "steps": 17, "optimizer": {"kind": "gd", "lr": 0.04}}"#,
    );
    let pid_file = dir.join("app.pid");
    let script = format!(
        "\"$0\" --data-dir \"$1\" --scene \"$2\" {} & echo $! > \"$3\"; wait $!",
        extra.join(" ")
    );
    let mut child = common::xvfb_command()
        .args(["sh", "-c", &script])
        .arg(env!("CARGO_BIN_EXE_teleport-lab"))
        .arg(dir.join("data"))
        .arg(&scene)
        .arg(&pid_file)
        .env("XDG_RUNTIME_DIR", dir)
        .env("HOME", dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(pid) = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|s| s.trim().parse().ok())
        {
            return (child, pid);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the app did not start");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn wait(child: Child, limit: Duration) -> String {
    let out = common::wait_with_timeout(child, limit);
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn saved_x0(dir: &Path) -> Option<([f64; 2], usize)> {
    let text = std::fs::read_to_string(dir.join("data").join(STATE_FILE)).ok()?;
    let state: AppState = ron::from_str(&text).ok()?;
    Some((state.x0, state.steps))
}

fn killed_after_six_seconds(signal: &str) {
    if !common::xvfb_available() {
        return;
    }
    let dir = temp_dir(&format!("kill-{signal}"));
    let (child, pid) = launch(&dir, &[]);
    // The window takes a few seconds to come up in software GL; the change
    // (the scene) is made on the first frame.
    let data = dir.join("data");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !data.is_dir() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_secs(6));
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let stderr = wait(child, Duration::from_secs(30));
    assert_eq!(
        saved_x0(&dir),
        Some(([-3.25, 2.75], 17)),
        "after kill -{signal}: the scene was not saved; stderr: {stderr}"
    );
    assert!(!data.join(CRASH_MARKER).exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn kill_term_six_seconds_after_a_change_loses_nothing() {
    killed_after_six_seconds("TERM");
}

#[test]
fn kill_kill_six_seconds_after_a_change_loses_nothing() {
    killed_after_six_seconds("KILL");
}

#[test]
fn a_ui_panic_leaves_a_restorable_state_and_a_crash_report() {
    if !common::xvfb_available() {
        return;
    }
    let dir = temp_dir("panic");
    let (child, _) = launch(&dir, &["--inject-panic-after-frames", "3"]);
    let stderr = wait(child, Duration::from_secs(120));
    assert!(stderr.contains("injected UI panic"), "stderr: {stderr}");
    let data = dir.join("data");
    assert_eq!(
        saved_x0(&dir),
        Some(([-3.25, 2.75], 17)),
        "stderr: {stderr}"
    );
    let report = std::fs::read_to_string(data.join(CRASH_MARKER)).unwrap();
    let report = std::fs::read_to_string(report.trim()).unwrap();
    assert!(report.contains("injected UI panic"), "{report}");
    // The next launch restores the session and says what happened.
    let restored = session::restore(&data);
    assert_eq!(restored.state.unwrap().x0, [-3.25, 2.75]);
    assert!(
        restored
            .notices
            .iter()
            .any(|(text, error)| *error && text.contains("stopped unexpectedly")),
        "{:?}",
        restored.notices
    );
    assert!(!data.join(CRASH_MARKER).exists(), "announced once only");
    std::fs::remove_dir_all(&dir).unwrap();
}
