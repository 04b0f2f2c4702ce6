//! The network task in the app, driven headless by egui_kittest: choosing
//! it, its data and rows, the decision boundary, the loss slice, the
//! by-hand scrubber, live training, undo, lab files and hostile CSVs.
#![allow(clippy::unwrap_used, reason = "test helpers panic on setup failures")]

mod common;

use common::{app_with, error_texts, harness, temp_dir, write_file};

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
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
    h.get_by_label("moons").click();
    h.run_steps(2);
    wait_until(&mut h, 60, "the runs on moons", |app| {
        !app.network_runs_pending()
    });
    let app = h.state();
    assert!(matches!(
        app.network().task.data,
        NetData::Generated {
            kind: Generator::Moons,
            ..
        }
    ));
    let after = &app.network_run(gd).unwrap().base.trajectory;
    assert_ne!(after.records[0].f, before.records[0].f);
}

/// `f` at `params` by a forward pass.
fn f_at(task: &teleport_core::net::NetTask, params: &[f64]) -> f64 {
    task.fit(params, &mut task.workspace()).f
}

#[test]
fn the_loss_slice_is_f_on_its_plane_and_a_teleport_jumps_along_a_level_set() {
    let mut h = network_harness("slice");
    // The row that teleports every 25 steps, at its first teleport.
    let row = h
        .state()
        .network()
        .rows
        .iter()
        .find(|r| r.teleport.is_some() && r.enabled)
        .unwrap()
        .id;
    h.state_mut().state.network.selected = row;
    h.state_mut().state.network.view.main = MainView::Slice;
    h.state_mut().state.playback.t = 25;
    h.run_steps(2);
    wait_until(&mut h, 60, "the 64² slice", |app| {
        let params = app.network_params();
        app.network_slice()
            .shown
            .as_ref()
            .is_some_and(|l| l.grid.nx == 64 && Some(&l.plane.center) == params.as_ref())
    });
    let app = h.state();
    let task = app.network_task().unwrap().clone();
    let level = app.network_slice().shown.clone().unwrap();
    let plane = &level.plane;
    assert!(plane.note.is_none(), "{:?}", plane.note);
    // Every sample of the grid is f at its point of the plane, by a
    // separate forward pass.
    let grid = &level.grid;
    let mut p = vec![0.0; plane.center.len()];
    for &(i, j) in &[(0, 0), (17, 40), (63, 63), (31, 32)] {
        let [a, b] = grid.point(i as f64, j as f64);
        plane.point(a, b, &mut p);
        let want = f_at(&task, &p);
        let got = grid.values[j * grid.nx + i];
        assert!(
            (got - want).abs() <= 1e-12 * want.max(1.0),
            "{got} vs {want}"
        );
    }
    // The first direction is −∇f: f falls along it at the rate ‖∇f‖
    // (central differences); along the second, the orbit's tangent, f is
    // flat to first order.
    let record = app
        .network_run(row)
        .unwrap()
        .shown()
        .at(25)
        .unwrap()
        .clone();
    let eps = 1e-6;
    let along = |d: &[f64], s: f64| {
        let q: Vec<f64> = plane.center.iter().zip(d).map(|(c, d)| c + s * d).collect();
        f_at(&task, &q)
    };
    let slope1 = (along(&plane.d1, eps) - along(&plane.d1, -eps)) / (2.0 * eps);
    let slope2 = (along(&plane.d2, eps) - along(&plane.d2, -eps)) / (2.0 * eps);
    assert!(
        (slope1 + record.grad_norm).abs() < 1e-5 * record.grad_norm,
        "{slope1} vs −{}",
        record.grad_norm
    );
    assert!(slope2.abs() < 1e-5 * record.grad_norm, "{slope2}");
    assert!((norm(&plane.d1) - 1.0).abs() < 1e-12 && (norm(&plane.d2) - 1.0).abs() < 1e-12);
    // The selected run passes through the plane's centre at the step
    // shown, and its teleport there is a jump that keeps f and raises ‖∇f‖.
    let projected = level.runs.iter().find(|r| r.row == row).unwrap();
    let at = projected.points[25];
    assert!(at[0].abs() < 1e-9 && at[1].abs() < 1e-9, "{at:?}");
    let jump = app
        .network_run(row)
        .unwrap()
        .shown()
        .jump_at(25)
        .unwrap()
        .clone();
    assert!(record.teleported);
    let before = f_at(&task, &jump.before);
    assert!(
        (before - record.f).abs() <= 1e-12 * record.f,
        "{before} vs {}",
        record.f
    );
    assert!(jump.grad_norm_before < record.grad_norm);
    assert!(projected.jumps.iter().any(|(t, ..)| *t == 25));
}

#[test]
fn the_scrubber_keeps_f_and_moves_the_gradient_norm_as_its_curve_says() {
    let mut h = network_harness("scrubber");
    let unit = Unit { layer: 0, index: 3 };
    h.state_mut().state.playback.t = 10;
    h.state_mut().state.network.scrubber.unit = unit;
    h.state_mut().state.network.scrubber.theta = 0.7;
    h.run_steps(3);
    let app = h.state();
    let task = app.network_task().unwrap().clone();
    let params = app.network_params().unwrap();
    let r = app.network_scrubber().unwrap().clone();
    assert_eq!((r.unit, r.theta), (unit, 0.7));
    // f stays put: the rescaled network, by a separate forward pass.
    let mut scaled = params.clone();
    let mut s = vec![0.0; task.mlp.num_hidden_units()];
    s[task.mlp.unit_position(unit).unwrap()] = 0.7;
    rescale_in_place(&task.mlp, &mut scaled, &s);
    let f0 = f_at(&task, &params);
    assert!((f_at(&task, &scaled) - f0).abs() <= 1e-12 * f0);
    assert!((r.f_scaled - f0).abs() <= 1e-12 * f0);
    // ‖∇f‖ moves, as the unit's curve (from the gradient at θ = 0) says of
    // the backward pass at the rescaled parameters.
    assert!((r.grad_norm_scaled - r.grad_norm).abs() > 1e-3 * r.grad_norm);
    let curve = r.curve.grad_norm(0.7);
    assert!(
        (curve - r.grad_norm_scaled).abs() < 1e-9 * r.grad_norm_scaled,
        "{curve} vs {}",
        r.grad_norm_scaled
    );
    assert!(h.query_by_label_contains("(unchanged)").is_some());
    // Teleport here branches the selected row at the step, there exactly.
    let row = h.state().network().selected;
    h.get_by_label_contains("Teleport here").click();
    h.run_steps(2);
    wait_until(&mut h, 60, "the branch", |app| {
        app.network_run(row).is_some_and(|r| r.branch.is_some())
    });
    let app = h.state();
    assert_eq!(app.network().scrubber.theta, 0.0);
    let run = app.network_run(row).unwrap();
    let branch = run.branch.as_ref().unwrap();
    assert_eq!(
        branch.trajectory.records[..10],
        run.base.trajectory.records[..10]
    );
    let at = &branch.trajectory.records[10];
    assert!(at.teleported);
    for (a, b) in at.params.iter().zip(&scaled) {
        assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0));
    }
    assert!((at.f - f0).abs() <= 1e-12 * f0);
}

#[test]
fn live_network_training_publishes_weights_and_the_live_row_runs_them() {
    let mut h = network_harness("train");
    {
        let s = &mut h.state_mut().state.network.training;
        s.trajectories = 40;
        s.steps = 20;
        s.unroll = 5;
        s.hidden = 8;
    }
    h.state_mut().state.panels.training = true;
    h.run_steps(2);
    h.get_by_label("▶ Start").click();
    let mut first = None;
    let deadline = Instant::now() + Duration::from_secs(120);
    while !h.state().network_training().finished {
        assert!(Instant::now() < deadline, "training did not finish");
        h.step();
        std::thread::sleep(Duration::from_millis(10));
        let app = h.state();
        if first.is_none()
            && let Some(live) = app.network_live()
            && let Some(row) = app
                .network()
                .rows
                .iter()
                .find(|r| r.kind == NetRowKind::Live(live.variant))
            && let Some(run) = app.network_run(row.id)
        {
            first = Some((live.version, run.base.trajectory.clone()));
        }
    }
    wait_until(&mut h, 60, "the last runs", |app| {
        !app.network_runs_pending() && !app.network_training().validation.pending()
    });
    let app = h.state();
    assert_eq!(app.network_training().done, (40, 40));
    let live = app.network_live().unwrap();
    let (first_version, first_run) = first.expect("a snapshot arrived while training");
    assert!(
        live.version > first_version,
        "{} {first_version}",
        live.version
    );
    let row = app
        .network()
        .rows
        .iter()
        .find(|r| r.kind == NetRowKind::Live(live.variant))
        .unwrap();
    let last = &app.network_run(row.id).unwrap().base.trajectory;
    assert_ne!(
        last.records, first_run.records,
        "the live row's run did not change"
    );
    assert!(!app.network_training().validation.points.is_empty());
    assert!(h.query_by_label_contains("weights version").is_some());
}

#[test]
fn a_network_edit_is_undone_and_redone() {
    let mut h = network_harness("undo");
    let before = h.state().network().clone();
    let row = before.rows[0].id;
    let run_before = h.state().network_run(row).unwrap().base.clone();
    let mut settings = before.task.clone();
    settings.hidden = vec![8, 4];
    let ctx = h.ctx.clone();
    assert!(h.state_mut().set_network_task(&ctx, settings.clone()));
    h.run_steps(3);
    wait_until(&mut h, 60, "the runs of the edit", |app| {
        !app.network_runs_pending()
    });
    assert_eq!(h.state().network_task().unwrap().mlp.hidden(), &[8, 4]);
    h.state_mut()
        .run_ui_command(teleport_lab::app::commands::UiCommand::Undo);
    h.run_steps(2);
    wait_until(&mut h, 60, "the runs after undo", |app| {
        !app.network_runs_pending()
    });
    let app = h.state();
    assert_eq!(app.network().task, before.task);
    assert_eq!(app.network_task().unwrap().mlp.hidden(), &[16]);
    assert_eq!(app.network_run(row).unwrap().base, run_before);
    h.state_mut()
        .run_ui_command(teleport_lab::app::commands::UiCommand::Redo);
    h.run_steps(2);
    assert_eq!(h.state().network().task, settings);
}

#[test]
fn hostile_csv_files_and_bad_settings_are_one_notification_and_change_nothing() {
    let dir = temp_dir("hostile-csv");
    let mut h = network_harness("hostile-csv");
    let ctx = h.ctx.clone();
    let before = h.state().state.clone();
    let data_before = h.state().network_task().unwrap().data.clone();
    let huge = "0.5,0.5,1\n".repeat(2 * 1024 * 1024);
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("empty.csv", Vec::new()),
        ("header-only.csv", b"x1,x2,label\n".to_vec()),
        ("one-class.csv", b"0,0,1\n1,1,1\n".to_vec()),
        ("nan.csv", b"0,0,0\nNaN,1,1\n".to_vec()),
        ("label-two.csv", b"0,0,0\n1,1,2\n".to_vec()),
        ("two-columns.csv", b"0,0\n1,1\n".to_vec()),
        ("text.csv", b"a,b,c\nd,e,f\n".to_vec()),
        ("binary.csv", vec![0, 159, 146, 150, 255, 0, 1]),
        ("huge.csv", huge.into_bytes()),
    ];
    let mut paths: Vec<std::path::PathBuf> = files
        .iter()
        .map(|(name, bytes)| write_file(&dir, name, bytes))
        .collect();
    paths.push(dir.join("missing.csv"));
    std::fs::create_dir_all(dir.join("folder.csv")).unwrap();
    paths.push(dir.join("folder.csv"));
    for path in &paths {
        let errors = error_texts(h.state()).len();
        h.state_mut().open_file(&ctx, path);
        h.run_steps(2);
        let app = h.state();
        let new: Vec<&str> = error_texts(app)[errors..].to_vec();
        assert_eq!(new.len(), 1, "{}: {new:?}", path.display());
        assert!(!new[0].contains('\n'), "{}", new[0]);
        assert!(app.state == before, "{} changed the state", path.display());
        assert!(std::sync::Arc::ptr_eq(
            &app.network_task().unwrap().data,
            &data_before
        ));
    }
    // Settings the core refuses: one notification each, nothing changes.
    for hidden in [vec![65], vec![], vec![8, 8, 8, 8], vec![0]] {
        let errors = error_texts(h.state()).len();
        let mut settings = before.network.task.clone();
        settings.hidden = hidden.clone();
        assert!(
            !h.state_mut().set_network_task(&ctx, settings),
            "{hidden:?}"
        );
        h.run_steps(1);
        assert_eq!(error_texts(h.state()).len(), errors + 1);
        assert!(h.state().state == before);
    }
    let errors = error_texts(h.state()).len();
    let mut settings = before.network.task.clone();
    settings.data = NetData::Generated {
        kind: Generator::Moons,
        points: 100_001,
        noise: 0.1,
        seed: 0,
    };
    assert!(!h.state_mut().set_network_task(&ctx, settings));
    h.run_steps(1);
    assert_eq!(error_texts(h.state()).len(), errors + 1);
    assert!(error_texts(h.state())[errors].contains("100000"));
    assert!(h.state().state == before);
    // A good file is taken.
    let good = write_file(
        &dir,
        "good.csv",
        "x1,x2,label\n0,0,0\n1,1,1\n0.2,0.1,0\n0.9,1.2,1\n",
    );
    h.state_mut().open_file(&ctx, &good);
    h.run_steps(2);
    assert_eq!(h.state().network_task().unwrap().data.len(), 4);
    assert!(matches!(h.state().network().task.data, NetData::Csv { .. }));
}

#[test]
fn a_network_lab_file_opens_back_as_it_was_saved_and_runs_as_eval_runs_it() {
    let dir = temp_dir("net-lab");
    let mut h = network_harness("net-lab");
    h.state_mut().state.network.view.slice = SliceDirections::Principal;
    h.state_mut().state.playback.t = 7;
    h.state_mut().state.network.scrubber.theta = -0.4;
    h.state_mut().network_teleport_here();
    h.run_steps(2);
    wait_until(&mut h, 60, "the branch", |app| !app.network_runs_pending());
    let json = h.state().demo_json(true, true).unwrap();
    let path = write_file(&dir, "net.json", &json);
    let saved = h.state().state.network.clone();
    let mut other = harness(app_with(&temp_dir("net-lab-open")));
    let ctx = other.ctx.clone();
    other.state_mut().open_file(&ctx, &path);
    other.run_steps(2);
    wait_until(&mut other, 60, "the opened runs", |app| {
        app.network_task().is_some() && !app.network_runs_pending()
    });
    let app = other.state();
    assert!(app.network_active(), "{:?}", app.notifications());
    let opened = app.network();
    assert_eq!(opened.task, saved.task);
    assert_eq!(opened.view.slice, saved.view.slice);
    assert_eq!(app.state.playback.t, 7);
    let kinds = |d: &teleport_lab::app::network::state::NetDemo| {
        d.rows
            .iter()
            .map(|r| (r.kind.clone(), r.teleport.clone(), r.color, r.enabled))
            .collect::<Vec<_>>()
    };
    assert_eq!(kinds(opened), kinds(&saved));
    assert_eq!(opened.manual.len(), 1);
    // The core's evaluation of the same file gives the app's runs, bit for
    // bit.
    let loaded = match teleport_core::io::lab::load(&path).unwrap() {
        teleport_core::io::lab::AnyScene::Net(lab) => lab,
        _ => panic!("not a network lab file"),
    };
    for ((name, eval), (row, label)) in loaded
        .run()
        .into_iter()
        .zip(opened.rows.iter().zip(opened.row_labels()))
    {
        assert_eq!(name, label);
        if let Some(run) = app.network_run(row.id) {
            assert_eq!(run.base.trajectory, eval, "{name}");
        }
    }
}
