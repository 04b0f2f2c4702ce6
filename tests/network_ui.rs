//! The network task in the app, driven headless by egui_kittest: choosing
//! it, its data and rows, the decision boundary, the loss slice, the
//! by-hand scrubber, live training, undo, lab files and hostile CSVs.
#![allow(clippy::unwrap_used, reason = "test helpers panic on setup failures")]

mod common;

use common::{app_with, error_texts, harness, temp_dir, write_file};

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use teleport_core::net::Unit;
use teleport_core::net::data::Generator;
use teleport_core::net::mlp::sigmoid;
use teleport_core::net::rescale::rescale_in_place;
use teleport_lab::app::TeleportApp;
use teleport_lab::app::network::state::{MainView, NetData, NetRowKind, SliceDirections};

/// Steps frames until `done` holds (or fails the test after `secs`).
fn wait_until(
    h: &mut Harness<'_, TeleportApp>,
    secs: u64,
    what: &str,
    done: impl Fn(&TeleportApp) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done(h.state()) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        h.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    h.run_steps(2);
}

/// A harness on the network task with its rows computed.
fn network_harness(name: &str) -> Harness<'static, TeleportApp> {
    let mut h = harness(app_with(&temp_dir(name)));
    h.get_by_label("network").click();
    h.run_steps(2);
    wait_until(&mut h, 60, "the rows' runs", |app| {
        app.network_active() && app.network_task().is_some() && !app.network_runs_pending()
    });
    h
}

/// ‖v‖.
fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

#[test]
fn choosing_the_network_runs_its_rows_and_draws_the_decision_boundary() {
    let mut h = network_harness("choose");
    let app = h.state();
    assert!(app.network_active());
    let steps = app.network_steps();
    let enabled: Vec<_> = app.network().rows.iter().filter(|r| r.enabled).collect();
    assert!(enabled.len() >= 3);
    for row in &enabled {
        let run = app.network_run(row.id).expect("a run per enabled row");
        assert_eq!(
            run.base.trajectory.records.len(),
            steps + 1,
            "{}",
            row.label()
        );
    }
    // The boundary is the network's: the grid is σ(logit) at its sample
    // points, computed here by a separate forward pass, and the 0.5
    // contour's vertices lie where the probability crosses one half.
    let task = app.network_task().unwrap().clone();
    let params = app.network_params().unwrap();
    let boundary = app.network_boundary();
    let grid = boundary.grid.as_ref().expect("a probability grid");
    for &(i, j) in &[
        (0, 0),
        (grid.nx / 2, grid.ny / 3),
        (grid.nx - 1, grid.ny - 1),
    ] {
        let [x, y] = grid.point(i as f64, j as f64);
        let z = task.mlp.logits_of(&params, &[x], &[y])[0];
        assert!((grid.values[j * grid.nx + i] - sigmoid(z)).abs() < 1e-12);
    }
    assert!(!boundary.lines.is_empty(), "no decision boundary drawn");
    let vertices: Vec<[f64; 2]> = boundary.lines.iter().flatten().copied().collect();
    let probs: Vec<f64> = vertices
        .iter()
        .map(|p| sigmoid(task.mlp.logits_of(&params, &[p[0]], &[p[1]])[0]))
        .collect();
    let worst = probs.iter().map(|p| (p - 0.5).abs()).fold(0.0, f64::max);
    assert!(worst < 0.15, "a boundary vertex at p = 0.5 ± {worst}");
    // Changing the data set through its menu: new points, new runs.
    let gd = app.network().rows[0].id;
    let before = app.network_run(gd).unwrap().base.trajectory.clone();
    h.get_by_label_contains("Two classes of 2D points").click();
    h.run_steps(3);
    h.get_by_label("circles").click();
    h.run_steps(2);
    wait_until(&mut h, 60, "the runs on circles", |app| {
        !app.network_runs_pending()
    });
    let app = h.state();
    assert!(matches!(
        app.network().task.data,
        NetData::Generated {
            kind: Generator::Circles,
            ..
        }
    ));
    let after = &app.network_run(gd).unwrap().base.trajectory;
    assert_ne!(after.records[0].f, before.records[0].f);
}
