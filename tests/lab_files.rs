//! Lab files (scene version 2): `eval` on every row, the app opening what
//! `eval` runs with the same trajectories, save → open round trips, embedded
//! weights that travel alone, and hostile lab files refused with a reason.
#![allow(clippy::unwrap_used, reason = "test setup")]

mod common;

use common::{assert_success, save_model, small_model, temp_dir, write_file};

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use teleport_lab::app::state::{AppState, EntryKind};
use teleport_lab::app::{Options, TeleportApp};
use teleport_lab::bench::app::ANIMATE_LAB;

use teleport_core::l2o::Variant;

const BIN: &str = env!("CARGO_BIN_EXE_teleport-lab");

/// The README's example (the lab `bench animate` records) in 12 steps, its
/// L2O + teleport row with a real weights file beside it.
fn example(dir: &Path) -> PathBuf {
    save_model(
        &dir.join("weights/mine.safetensors"),
        &small_model(Variant::L2oTele, 1),
    );
    let mut lab: Value = serde_json::from_str(ANIMATE_LAB).unwrap();
    lab["steps"] = json!(12);
    let rows = lab["optimizers"].as_array_mut().unwrap();
    assert_eq!(rows[4]["variant"], "l2o-tele");
    rows[4]["weights"] = json!("weights/mine.safetensors");
    write_file(dir, "lab.json", serde_json::to_string_pretty(&lab).unwrap())
}

fn eval(path: &Path, format: &str) -> std::process::Output {
    Command::new(BIN)
        .args(["eval", "--scene"])
        .arg(path)
        .args(["--format", format])
        .output()
        .unwrap()
}

fn headless_app(dir: &Path) -> TeleportApp {
    let options = Options {
        export_dir: Some(dir.join("exports")),
        dialogs: false,
        fresh: true,
        ..Options::default()
    };
    TeleportApp::new(AppState::default(), &options)
}

#[test]
fn eval_runs_every_row_of_a_lab_file_and_the_app_draws_the_same() {
    let dir = temp_dir("example");
    let path = example(&dir);
    let out = eval(&path, "json");
    assert_success(&out);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let runs = doc["runs"].as_array().unwrap();
    let names: Vec<&str> = runs.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "GD lr=0.05",
            "GD lr=0.05 + teleport (oracle, every 5)",
            "Adam lr=0.3",
            "L2O",
            "L2O + teleport"
        ]
    );
    for r in runs {
        assert_eq!(
            r["trajectory"].as_array().unwrap().len(),
            13,
            "{}",
            r["name"]
        );
    }
    // The app opens the same file: the same rows, in order, with the same
    // trajectories to the last bit.
    let ctx = egui::Context::default();
    let mut app = headless_app(&dir);
    app.open_file(&ctx, &path);
    let visible = app.visible_runs();
    assert_eq!(visible.len(), runs.len());
    for ((_, name, run), r) in visible.iter().zip(runs) {
        assert_eq!(name, r["name"].as_str().unwrap());
        // Compared as printed: both go through the same text.
        let ours: Value =
            serde_json::from_str(&serde_json::to_string(&run.base.records).unwrap()).unwrap();
        assert_eq!(&ours, &r["trajectory"], "{name}");
    }
    // The file's own weights drive the last row, not the shipped ones.
    let shipped = teleport_core::pretrained::load(
        Variant::L2oTele,
        teleport_core::pretrained::Family::Ellipse,
    )
    .unwrap();
    let shipped_run = shipped.trajectory(
        app.objective(),
        teleport_core::objective::Vec2::new(-5.0, 3.5),
        12,
    );
    let shipped: Value =
        serde_json::from_str(&serde_json::to_string(&shipped_run.records).unwrap()).unwrap();
    assert_ne!(shipped, runs[4]["trajectory"]);
    // CSV: a leading name column, one block per row.
    let csv = String::from_utf8(eval(&path, "csv").stdout).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("name,t,x0,x1,f,grad0,grad1,teleported,theta")
    );
    assert_eq!(lines.count(), 5 * 13);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn save_then_open_round_trips_the_whole_demo() {
    let dir = temp_dir("round-trip");
    let ctx = egui::Context::default();
    let mut app = headless_app(&dir);
    // A demo as a teacher prepares it: a preset, rows shown and hidden, a
    // teleport by hand, θ, a step, a caption, a live-trained model.
    app.state.theta = 0.75;
    app.state.playback.t = 7;
    app.state.caption = Some("Teleporting on the fixed ellipse".into());
    app.state.show.newton_overlay = true;
    app.state.panels.newton = true;
    app.state.basin = teleport_lab::app::state::BasinSettings {
        shown: true,
        steps: 33,
        shade: teleport_core::basin::Shade::FirstStep,
        eps: 1e-4,
    };
    app.state.optimizers[2].enabled = true;
    app.state.optimizers[0].enabled = false;
    let selected = app.state.optimizers[4].id;
    app.state.selected = selected;
    app.state
        .manual_teleports
        .push(teleport_lab::app::state::ManualTeleport {
            row: selected,
            step: 3,
            theta: 1.25,
        });
    let live = dir.join("live.safetensors");
    save_model(&live, &small_model(Variant::L2o, 7));
    app.load_weights_from(&ctx, &live);
    app.recompute_if_needed();
    let mut out = ctx.run_ui(egui::RawInput::default(), |ui| app.ui_body(ui));
    out.textures_delta.clear();
    let before = app.state.clone();
    let before_runs: Vec<_> = app
        .visible_runs()
        .into_iter()
        .map(|(_, n, r)| (n, r.shown().records.clone()))
        .collect();

    // Saved with embedded weights into a folder of its own, then the live
    // model's file is removed: the lab file must travel alone.
    let lab = app.lab_file(true).unwrap();
    let travel = dir.join("elsewhere");
    let path = write_file(
        &travel,
        "demo.json",
        serde_json::to_string_pretty(&lab).unwrap(),
    );
    std::fs::remove_file(&live).unwrap();

    let mut other = headless_app(&travel);
    other.open_file(&ctx, &path);
    assert!(
        other.notifications().last().is_some_and(|n| !n.error),
        "{:?}",
        other.notifications()
    );
    let after = &other.state;
    assert_eq!(after.source, before.source);
    assert_eq!((after.x0, after.steps), (before.x0, before.steps));
    assert_eq!(
        (after.theta, after.playback.t),
        (before.theta, before.playback.t)
    );
    assert_eq!(after.caption, before.caption);
    assert_eq!(after.show, before.show);
    assert_eq!(after.panels, before.panels);
    assert_eq!(after.basin, before.basin);
    assert_eq!(after.optimizers.len(), before.optimizers.len());
    for (a, b) in after.optimizers.iter().zip(&before.optimizers) {
        assert_eq!(a.enabled, b.enabled);
        assert_eq!(a.color, b.color);
        assert_eq!(a.label(), b.label());
        match (&a.kind, &b.kind) {
            (EntryKind::Loaded { variant, .. }, EntryKind::Live(v)) => assert_eq!(variant, v),
            (x, y) => assert_eq!(x, y),
        }
    }
    let sel = before.row_index(before.selected).unwrap();
    assert_eq!(after.row_index(after.selected), Some(sel));
    assert_eq!(after.manual_teleports.len(), 1);
    assert_eq!(
        after.row_index(after.manual_teleports[0].row),
        Some(sel),
        "the hand-applied teleport stays on its row"
    );
    let after_runs: Vec<_> = other
        .visible_runs()
        .into_iter()
        .map(|(_, n, r)| (n, r.shown().records.clone()))
        .collect();
    assert_eq!(after_runs, before_runs);
    // And the CLI runs the saved file with nothing else present.
    let out = eval(&path, "json");
    assert_success(&out);
    std::fs::remove_dir_all(&dir).unwrap();
}
