//! The real app, driven headless by egui_kittest.
#![allow(clippy::unwrap_used, reason = "test helpers panic on setup failures")]

mod common;

use common::{app_with, harness, temp_dir, test_options};

use std::time::{Duration, Instant};

use egui::{Key, Modifiers, Pos2};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use teleport_core::io::scene::ObjectiveSpec;
use teleport_core::l2o::Variant;
use teleport_core::objective::Vec2;
use teleport_core::symmetry::teleport;
use teleport_lab::app::commands::UiCommand;
use teleport_lab::app::state::{AppState, EntryKind};
use teleport_lab::app::trainer::FaultInjection;
use teleport_lab::app::{Options, TeleportApp};

/// The default state with every floating window open.
fn every_window_open() -> AppState {
    let mut state = AppState::default();
    let p = &mut state.panels;
    (p.alg2, p.newton, p.training, p.help) = (true, true, true, true);
    state
}

/// Accepts the Save as prompt (no dialog in tests) with the path it
/// suggests: the export folder and a free name.
fn save_in_prompt(h: &mut Harness<'_, TeleportApp>) {
    assert!(
        h.state()
            .path_prompt()
            .is_some_and(|p| matches!(p.kind, teleport_lab::app::export::PromptKind::Save(_))),
        "no Save as prompt: {:?} {:?}",
        h.state().path_prompt(),
        h.state().notifications()
    );
    h.get_by_label("Save").click();
    h.run_steps(2);
    assert!(h.state().path_prompt().is_none(), "the prompt closes");
}

fn click(h: &mut Harness<'_, TeleportApp>, pos: Pos2) {
    h.hover_at(pos);
    h.event(egui::Event::PointerButton {
        pos,
        button: egui::PointerButton::Primary,
        pressed: true,
        modifiers: Modifiers::NONE,
    });
    h.step();
    h.event(egui::Event::PointerButton {
        pos,
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: Modifiers::NONE,
    });
    h.run_steps(2);
}

#[test]
fn clicking_the_plot_moves_x0_and_every_trajectory_follows() {
    let mut h = harness(app_with(&temp_dir("click")));
    let rect = h.state().level_set().plot_rect.unwrap();
    let before = h.state().state.x0;
    let first = h.state().state.optimizers[0].id;
    let first_gd = h.state().run(first).unwrap().base.records[0].x;
    assert_eq!(first_gd, before);
    // A point well inside the plot, away from the current x0.
    let target = rect.center() + egui::vec2(rect.width() * 0.2, rect.height() * 0.15);
    click(&mut h, target);
    let after = h.state().state.x0;
    assert_ne!(after, before);
    // x0 is now drawn where we clicked.
    let drawn = h.state().level_set().x0_screen.unwrap();
    assert!(
        drawn.distance(target) < 2.0,
        "clicked {target:?}, x0 drawn at {drawn:?}"
    );
    // Every enabled trajectory starts from the new x0.
    for (_, _, run) in h.state().visible_runs() {
        assert_eq!(run.base.records[0].x, after);
    }
}

#[test]
fn nudging_theta_moves_the_teleported_point_along_the_level_set() {
    let mut h = harness(app_with(&temp_dir("theta")));
    let app = h.state();
    let x = app.current_point();
    let obj = app.objective().clone();
    let theta0 = app.state.theta;
    for _ in 0..30 {
        h.key_press(Key::CloseBracket);
    }
    h.run_steps(2);
    let theta = h.state().state.theta;
    assert!(
        (theta - theta0 - 30f64.to_radians()).abs() < 1e-9,
        "θ = {theta}"
    );
    let y0 = teleport(&obj, &x, theta0);
    let y = teleport(&obj, &x, theta);
    assert!((y - y0).norm() > 1e-3, "the teleported point did not move");
    let (fx, fy) = (obj.f(&x), obj.f(&y));
    assert!(
        (fx - fy).abs() <= 1e-10 * fx.max(1e-300),
        "f changed: {fx} vs {fy}"
    );
    assert!((obj.grad(&x).norm() - obj.grad(&y).norm()).abs() > 1e-6 * obj.grad(&x).norm());
    // The readout shows both f values, equal to the digits shown.
    let shown = teleport_core::numfmt::short(fx);
    assert!(
        h.query_all_by_label(&shown).count() >= 2,
        "readout {shown} not shown twice"
    );
}

#[test]
fn play_and_step_advance_the_timeline() {
    let mut h = harness(app_with(&temp_dir("play")));
    let t0 = h.state().state.playback.t;
    h.key_press(Key::ArrowRight);
    h.run_steps(1);
    assert_eq!(h.state().state.playback.t, t0 + 1);
    h.key_press(Key::ArrowLeft);
    h.key_press(Key::ArrowLeft);
    h.run_steps(1);
    assert_eq!(h.state().state.playback.t, t0 - 1);
    h.key_press(Key::R);
    h.run_steps(1);
    assert_eq!(h.state().state.playback.t, 0);
    h.key_press(Key::Space);
    h.run_steps(1);
    assert!(h.state().state.playback.playing);
    // The harness advances time by a fixed step per frame.
    h.run_steps(30);
    let t = h.state().state.playback.t;
    assert!(t > 0, "playing did not advance: t = {t}");
    h.key_press(Key::Space);
    h.run_steps(1);
    assert!(!h.state().state.playback.playing);
    // The loss plot's cursor and the scrubber follow the timeline.
    let t = h.state().state.playback.t;
    let run = h
        .state()
        .run(h.state().state.selected)
        .unwrap()
        .shown()
        .clone();
    assert_eq!(h.state().current_point(), Vec2::from(run.records[t].x));
}

#[test]
fn teleport_here_branches_and_keeps_the_original_run() {
    let mut h = harness(app_with(&temp_dir("branch")));
    h.state_mut().state.theta = 1.0;
    h.state_mut().state.playback.t = 3;
    h.run_steps(1);
    h.get_by_label_contains("Teleport here").click();
    h.run_steps(2);
    let app = h.state();
    let run = app.run(app.state.selected).unwrap();
    let branch = run.branch.as_ref().expect("a branch");
    assert_eq!(branch.records[..3], run.base.records[..3]);
    let obj = app.objective();
    let expect = teleport(obj, &Vec2::from(run.base.records[3].x), 1.0);
    assert!(
        (Vec2::from(branch.records[3].x) - expect).norm() < 1e-12,
        "branch {:?} expected {expect:?}; manual {:?}; base {:?}",
        branch.records[3],
        app.state.manual_teleports,
        run.base.records[3]
    );
    assert!(branch.records[3].teleported);
    assert!((branch.records[3].f - run.base.records[3].f).abs() <= 1e-10 * run.base.records[3].f);
}

#[test]
fn an_invalid_parameter_is_flagged_and_the_last_task_stays() {
    let mut h = harness(app_with(&temp_dir("invalid")));
    h.state_mut().edit_custom(ObjectiveSpec::Ellipse {
        a: [[1.0, 2.0], [0.5, 1.0]],
        b: [0.0, 1.0],
    });
    h.run_steps(2);
    let good = h.state().objective().clone();
    assert_eq!(good.family(), "ellipse");
    // A singular A: rows proportional.
    h.state_mut().edit_custom(ObjectiveSpec::Ellipse {
        a: [[1.0, 2.0], [2.0, 4.0]],
        b: [0.0, 1.0],
    });
    h.run_steps(2);
    assert_eq!(*h.state().objective(), good);
    assert!(h.state().task_error().unwrap().contains("singular"));
    assert!(
        h.query_by_label_contains("keeping the last valid task")
            .is_some()
    );
    // Rosenbrock with c = 0 too.
    h.state_mut().edit_custom(ObjectiveSpec::Rosenbrock {
        a: 1.0,
        b: 0.0,
        c: 0.0,
        d: [0.0, 0.0, 1.0],
    });
    h.run_steps(2);
    assert_eq!(*h.state().objective(), good);
    assert!(h.state().task_error().unwrap().contains("`c`"));
    // A valid edit clears the error.
    h.state_mut().edit_custom(ObjectiveSpec::Quadratic {
        a: [[2.0, 0.5], [0.5, 1.0]],
    });
    h.run_steps(2);
    assert!(h.state().task_error().is_none());
    assert_eq!(h.state().objective().family(), "quadratic");
}

#[test]
fn state_survives_a_save_and_restore_round_trip() {
    let mut h = harness(app_with(&temp_dir("persist")));
    {
        let app = h.state_mut();
        app.state.x0 = [1.25, -0.5];
        app.state.theta = 0.4;
        app.state.steps = 37;
        app.state.show.filled = false;
        app.state.optimizers[1].enabled = true;
        app.state.training.variant = Variant::LrTeleMomentum;
    }
    h.state_mut().edit_custom(ObjectiveSpec::Rosenbrock {
        a: 1.5,
        b: -1.0,
        c: -3.0,
        d: [0.1, 0.0, 0.5],
    });
    h.run_steps(2);
    // eframe stores the state as RON under one key.
    let saved = ron::to_string(&h.state().state).unwrap();
    let restored: AppState = ron::from_str(&saved).unwrap();
    assert_eq!(restored, h.state().state);
    let app = TeleportApp::new(restored, &Options::default());
    assert_eq!(app.objective(), h.state().objective());
    assert_eq!(app.state.x0, [1.25, -0.5]);
}

#[test]
fn exports_write_png_csv_and_lab_without_a_dialog() {
    let dir = temp_dir("export");
    let mut h = harness(app_with(&dir));
    h.key_press_modifiers(Modifiers::COMMAND, Key::S);
    h.run_steps(4);
    // No dialog here: the app asks where, starting from its export folder
    // and a free name.
    save_in_prompt(&mut h);
    let png = dir.join("teleport-lab.png");
    let bytes = std::fs::read(&png).unwrap_or_else(|e| panic!("{}: {e}", png.display()));
    let image = image::load_from_memory(&bytes).unwrap().to_rgba8();
    assert_eq!((image.width(), image.height()), (1440, 900));
    // Not a blank frame: many distinct colours.
    let mut colours: Vec<[u8; 4]> = image.pixels().map(|p| p.0).collect();
    colours.sort_unstable();
    colours.dedup();
    assert!(colours.len() > 200, "{} colours", colours.len());

    h.state_mut().run_ui_command(UiCommand::ExportTrajectories);
    h.run_steps(2);
    save_in_prompt(&mut h);
    h.state_mut().run_ui_command(UiCommand::SaveLab);
    h.run_steps(2);
    save_in_prompt(&mut h);
    let csv = std::fs::read_to_string(dir.join("trajectories.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("optimizer,run,t,x0,x1,f,grad0,grad1,teleported,theta")
    );
    let rows: Vec<&str> = lines.collect();
    let runs = h
        .state()
        .visible_runs()
        .iter()
        .map(|(_, _, r)| r.base.records.len())
        .sum::<usize>();
    assert_eq!(rows.len(), runs);
    // The lab file is one the CLI reads back into the same task and rows.
    // The lab is named after its task.
    let lab = match teleport_core::io::lab::load(&dir.join("elli-fixed.json")).unwrap() {
        teleport_core::io::lab::AnyScene::V2(lab) => lab,
        other => panic!("saved as something else than a 2D lab file: {other:?}"),
    };
    assert_eq!(lab.objective, *h.state().objective());
    assert_eq!(lab.lab.x0, h.state().state.x0);
    assert_eq!(lab.rows.len(), h.state().state.optimizers.len());
    // No temporary files are left behind.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.ends_with(".tmp"), "{name}");
    }
}

#[test]
fn live_training_raises_the_weights_version_and_changes_a_learned_trajectory() {
    let mut h = harness(app_with(&temp_dir("train")));
    let shipped = h
        .state()
        .state
        .optimizers
        .iter()
        .find(|e| e.kind == EntryKind::Learned(Variant::L2oTele))
        .unwrap()
        .id;
    let before = h.state().run(shipped).unwrap().base.clone();
    {
        let s = &mut h.state_mut().state.training;
        s.variant = Variant::L2oTele;
        s.hidden = 16;
        s.trajectories = 300;
        s.dist = teleport_core::objective::TaskDist::ElliFixed;
    }
    h.state_mut().state.panels.training = true;
    h.run_steps(2);
    h.get_by_label("▶ Start").click();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !h.state().training().finished && Instant::now() < deadline {
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    h.run_steps(2);
    let app = h.state();
    assert!(app.training().finished, "training did not finish in time");
    assert!(
        app.training().version >= 2,
        "version {}",
        app.training().version
    );
    assert_eq!(app.training().done, (300, 300));
    let live = app.live_model().unwrap();
    assert_eq!(live.variant, Variant::L2oTele);
    // The live model has a row of its own; the shipped row is untouched.
    let live_row = app
        .state
        .optimizers
        .iter()
        .find(|e| e.kind == EntryKind::Live(Variant::L2oTele))
        .expect("a live row");
    let after = &app.run(live_row.id).unwrap().base;
    assert_ne!(
        after.records, before.records,
        "the live trajectory equals the shipped one"
    );
    assert_eq!(
        app.run(shipped).unwrap().base.records,
        before.records,
        "training changed the shipped row"
    );
    assert!(h.query_by_label_contains("weights version").is_some());
}

#[test]
fn a_panicking_trainer_is_reported_and_the_last_good_weights_stay() {
    let mut app = app_with(&temp_dir("fault"));
    app.inject_training_fault(FaultInjection {
        panic_after_updates: Some(30),
    });
    let mut h = harness(app);
    {
        let s = &mut h.state_mut().state.training;
        s.variant = Variant::L2o;
        s.hidden = 8;
        s.trajectories = 1000;
    }
    let ctx = h.ctx.clone();
    h.state_mut().start_training(&ctx);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !h.state().training().finished && Instant::now() < deadline {
        h.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    let app = h.state();
    assert!(app.training().finished);
    let problem = app.training().problem.clone().unwrap();
    assert!(problem.contains("injected trainer fault"), "{problem}");
    let live = app.live_model().unwrap();
    assert!(live.model.nets()[0].params().iter().all(|p| p.is_finite()));
    // Training can be started again.
    h.state_mut()
        .inject_training_fault(FaultInjection::default());
    h.state_mut().state.training.trajectories = 10;
    h.state_mut().start_training(&ctx);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !h.state().training().finished && Instant::now() < deadline {
        h.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(h.state().training().problem.is_none());
    assert_eq!(h.state().training().done.0, 10);
}

#[test]
fn every_window_has_accessible_names_and_settles() {
    let mut state = every_window_open();
    state.show.newton_overlay = true;
    let app = TeleportApp::new(state, &test_options(&temp_dir("a11y")));
    let mut h = Harness::builder()
        .with_size(egui::vec2(1440.0, 900.0))
        .with_context_setup(teleport_lab::app::install_fonts)
        .build_ui_state(|ui, app: &mut TeleportApp| app.ui_body(ui), app);
    // `run` settles the UI (no endless repaints while idle) and checks that
    // every widget has an accessible name.
    h.run();
    for title in ["Algorithm 2", "Proposition 4.1", "Live meta-training"] {
        assert!(h.query_all_by_label_contains(title).count() >= 1, "{title}");
    }
    assert!(
        h.query_all_by_label("Space").count() >= 1,
        "the help lists the shortcuts"
    );
}

/// Regression: with every row enabled, removing a row
/// panicked in the loss plot (`index out of bounds: the len is 10 but the
/// index is 10`) because the runs vector outlived the rows.
#[test]
fn removing_a_row_with_every_row_enabled_does_not_crash() {
    let mut h = harness(app_with(&temp_dir("remove-all-enabled")));
    for row in &mut h.state_mut().state.optimizers {
        row.enabled = true;
    }
    h.run_steps(2);
    let before: Vec<_> = h
        .state()
        .state
        .optimizers
        .iter()
        .map(|r| (r.id, r.color))
        .collect();
    // Open the first row's header and press its "remove" button, as a user does.
    let header = h
        .get_all_by_label("GD lr=0.05")
        .find(|n| n.accesskit_node().role() != egui::accesskit::Role::ComboBox)
        .unwrap();
    header.click();
    h.run_steps(2);
    h.get_by_label("remove").click();
    h.run_steps(3);
    let app = h.state();
    let after: Vec<_> = app
        .state
        .optimizers
        .iter()
        .map(|r| (r.id, r.color))
        .collect();
    assert_eq!(
        after,
        before[1..],
        "the other rows kept their ids and colours"
    );
    for row in &app.state.optimizers {
        assert!(app.run(row.id).is_some(), "row {:?} lost its run", row.id);
    }
    assert_eq!(app.run_rows().count(), app.state.optimizers.len());
    teleport_lab::monkey::check(app).unwrap();
}

#[test]
fn rows_keep_their_colours_and_new_rows_get_unused_ones() {
    let mut h = harness(app_with(&temp_dir("colours")));
    let colours = |h: &Harness<'_, TeleportApp>| -> Vec<_> {
        h.state()
            .state
            .optimizers
            .iter()
            .map(|r| (r.id, r.color.unwrap()))
            .collect()
    };
    let start = colours(&h);
    // Remove the third row: every other row keeps its colour.
    let third = start[2].0;
    h.state_mut()
        .queue(teleport_lab::app::Action::RemoveRow(third));
    h.run_steps(1);
    let after: Vec<_> = start
        .iter()
        .copied()
        .filter(|(id, _)| *id != third)
        .collect();
    assert_eq!(colours(&h), after);
    // A new row takes the freed colour rather than one in use; its label
    // (same settings as the first row) is made unique.
    let first = h.state().state.optimizers[0].clone();
    h.state_mut().queue(teleport_lab::app::Action::AddRow(
        teleport_lab::app::state::OptimizerEntry::new(true, first.kind.clone()),
    ));
    h.run_steps(1);
    let new = h.state().state.optimizers.last().unwrap().clone();
    assert_eq!(new.color, Some(start[2].1));
    assert!(
        !start.iter().any(|(id, _)| *id == new.id),
        "ids are never reused"
    );
    let labels = h.state().state.row_labels();
    let unique: std::collections::HashSet<_> = labels.iter().collect();
    assert_eq!(unique.len(), labels.len(), "labels {labels:?}");
    assert_eq!(labels.last().unwrap(), &format!("{} #2", first.label()));
}

#[test]
fn the_quadratic_editor_keeps_what_is_typed() {
    let mut h = harness(app_with(&temp_dir("quadratic")));
    h.get_by_label("quadratic").click();
    h.run_steps(2);
    // Type into A₁₂: the value stays and A₂₁ follows (it used to snap back
    // to A₂₁).
    let field = h.get_by_label("A₁₂ (kept equal to A₂₁)");
    field.click();
    h.run_steps(1);
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.get_by_label("A₁₂ (kept equal to A₂₁)").type_text("0.75");
    h.key_press(Key::Enter);
    h.run_steps(3);
    match h.state().draft() {
        ObjectiveSpec::Quadratic { a } => {
            assert_eq!((a[0][1], a[1][0]), (0.75, 0.75), "{a:?}");
        }
        other => panic!("not a quadratic draft: {other:?}"),
    }
}

#[test]
fn files_open_and_save_without_a_file_dialog() {
    let root = temp_dir("no-portal");
    // A fresh install: the export folder does not exist yet.
    let exports = root.join("fresh").join("exports");
    let mut h = harness(app_with(&exports));
    let scene = root.join("lecture.json");
    std::fs::write(
        &scene,
        r#"{"objective": {"family": "ellipse", "A": [[1.0, 0.0], [0.0, 4.0]], "b": [0.0, 0.0]},
            "x0": [2.5, -1.5], "steps": 30, "optimizer": {"kind": "gd", "lr": 0.05}}"#,
    )
    .unwrap();
    // File → Open scene… asks for a path in the app's own window.
    h.get_by_label("File").click();
    h.run_steps(2);
    h.get_by_label_contains("Open…").click();
    h.run_steps(5);
    assert!(
        h.query_by_label("Open a scene").is_some(),
        "no prompt: {:?} {:?}",
        h.state().path_prompt(),
        h.state().notifications()
    );
    assert!(
        h.state_mut()
            .type_in_path_prompt(scene.display().to_string())
    );
    h.run_steps(1);
    h.get_by_label("Open").click();
    h.run_steps(3);
    assert_eq!(h.state().state.x0, [2.5, -1.5]);
    assert!(h.state().path_prompt().is_none(), "the prompt closes");
    // Load weights the same way; the model gets a live row of its own.
    let weights = root.join("mine.safetensors");
    common::save_model(&weights, &common::small_model(Variant::L2oTele, 5));
    h.state_mut().state.panels.training = true;
    h.run_steps(2);
    h.get_by_label("Load weights…").click();
    h.run_steps(2);
    assert!(h.query_by_label("Load weights").is_some(), "no prompt");
    assert!(
        h.state_mut()
            .type_in_path_prompt(weights.display().to_string())
    );
    h.get_by_label("Open").click();
    h.run_steps(3);
    let app = h.state();
    assert!(
        app.state
            .optimizers
            .iter()
            .any(|r| r.kind == EntryKind::Live(Variant::L2oTele) && app.run(r.id).is_some())
    );
    // Save weights creates the missing export folder.
    h.get_by_label("Save weights…").click();
    h.run_steps(2);
    save_in_prompt(&mut h);
    let saved = exports.join("l2o-tele-live.safetensors");
    assert!(saved.is_file(), "{} not written", saved.display());
    teleport_core::io::weights::load(&saved).unwrap();
    // A bare name typed into the prompt is saved in the prompt's folder,
    // never wherever the process runs.
    h.get_by_label("Save weights…").click();
    h.run_steps(2);
    assert!(h.state_mut().type_in_path_prompt("lesson 1/mine"));
    save_in_prompt(&mut h);
    let named = exports.join("lesson 1").join("mine.safetensors");
    assert!(named.is_file(), "{} not written", named.display());
    assert!(
        !std::path::Path::new("lesson 1").exists(),
        "written in the working folder"
    );
}

#[test]
fn a_run_at_1e_minus_300_does_not_squash_the_loss_plot() {
    let mut h = harness(app_with(&temp_dir("loss-view")));
    h.run_steps(3);
    let app = h.state();
    let lowest = app
        .visible_runs()
        .iter()
        .flat_map(|(_, _, r)| r.base.records.iter().map(|rec| rec.f))
        .fold(f64::INFINITY, f64::min);
    // GD + oracle teleport converges to (almost) nothing on this task.
    assert!(lowest < 1e-100, "lowest f {lowest:e}");
    let f0 = app.visible_runs()[0].2.base.records[0].f;
    let bounds = *app.loss_bounds().unwrap();
    // The view stops at 1e−16·f₀ (with a margin), so the other curves
    // fill the plot instead of hugging its top.
    assert!(
        bounds.min()[1] > f0.log10() - 18.0,
        "the view reaches down to 1e{}",
        bounds.min()[1]
    );
    assert!(bounds.max()[1] >= f0.log10());
    // Every slow run's curve is inside the view.
    for (_, name, run) in app.visible_runs() {
        let last = run.base.records.last().unwrap().f;
        if last > 1e-16 * f0 {
            let y = last.log10();
            assert!(
                (bounds.min()[1]..=bounds.max()[1]).contains(&y),
                "{name}: f_T = {last:e} is off the view {bounds:?}"
            );
        }
    }
}

#[test]
fn choosing_the_stiff_rosenbrock_preset_gives_step_sizes_that_converge() {
    let mut h = harness(app_with(&temp_dir("preset")));
    h.get_all_by_label("rosenbrock")
        .find(|n| n.accesskit_node().role() == egui::accesskit::Role::Button)
        .unwrap()
        .click();
    h.run_steps(3);
    let app = h.state();
    // Rows without teleports descend. (GD + oracle teleport diverges on
    // this task at every step size from 1e−4 to 0.05: the oracle jumps to
    // points of the orbit whose gradient is enormous — a property of the
    // method on this stiff task, shown as "diverged at step k".)
    for (row, name, run) in app.visible_runs() {
        if let EntryKind::Classical { teleport: None, .. } = row.kind {
            assert!(run.base.stop.is_none(), "{name}: {:?}", run.base.stop);
        }
    }
    assert!(
        app.notifications()
            .iter()
            .any(|n| n.text.contains("Step sizes set for rosenbrock"))
    );
}

/// The instruments open as tabs docked below the plot, never over it: the
/// level-set plot keeps the larger share of the height, its data is never
/// under another pane, and closing a tab closes its instrument.
#[test]
fn instruments_dock_beside_the_plot_and_never_cover_it() {
    let options = test_options(&temp_dir("windows"));
    let mut h = harness(TeleportApp::new(every_window_open(), &options));
    h.run_steps(3);
    let plot = h.state().level_set().plot_rect.unwrap();
    for title in [
        "Algorithm 2: a rotation learned on the fly",
        "Newton vs teleport (Proposition 4.1)",
        "Live meta-training",
        "Help",
    ] {
        // The menu bar holds some of these labels too: the tab is the one
        // below it.
        let tab = h
            .get_all_by_label(title)
            .map(|n| n.rect())
            .find(|r| r.top() > 40.0)
            .unwrap_or_else(|| panic!("no tab called {title}"));
        assert!(
            !tab.intersects(plot),
            "{title}: its tab {tab:?} is over the plot {plot:?}"
        );
        assert!(
            tab.top() >= plot.bottom(),
            "{title}: below the plot, {tab:?}"
        );
    }
    let central = h.state().central_rect();
    assert!(
        plot.height() > 0.5 * central.height(),
        "the plot keeps the larger share: {plot:?} of {central:?}"
    );
    // Closing the help's tab closes the help.
    h.state_mut().state.panels.help = false;
    h.run_steps(2);
    assert!(
        h.query_all_by_label("Help").all(|n| n.rect().top() < 40.0),
        "only the menu's Help is left"
    );
    assert!(h.state().state.panels.newton, "the others stay open");
}

#[test]
fn playback_follows_wall_time_when_frames_are_slow() {
    let mut app = app_with(&temp_dir("playback"));
    app.state.playback.t = 0;
    app.state.playback.speed = 8.0;
    app.state.playback.playing = true;
    let ctx = egui::Context::default();
    // Two frames a second (slower than software rendering's seven).
    for frame in 0..5 {
        let input = egui::RawInput {
            time: Some(0.5 * f64::from(frame)),
            screen_rect: Some(egui::Rect::from_min_size(
                Pos2::ZERO,
                egui::vec2(1440.0, 900.0),
            )),
            ..Default::default()
        };
        let mut out = ctx.run_ui(input, |ui| app.ui_body(ui));
        out.textures_delta.clear();
    }
    // Two seconds at 8 steps/s: 16 steps (the old cap of 0.1 s per frame
    // gave 3).
    assert_eq!(app.state.playback.t, 16);
}

/// The command table drives menus, keys and help: for every command with a
/// shortcut, pressing the keys does exactly what running the command does,
/// and that is not nothing.
#[test]
fn every_shortcut_does_what_its_command_says() {
    use teleport_lab::app::commands::{IntoEnumIterator as _, UiCommand};
    let files = |dir: &std::path::Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map(|d| {
                d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    };
    let mut tested = 0;
    for command in UiCommand::iter() {
        let Some(shortcut) = command.shortcut() else {
            continue;
        };
        let name = format!("{command:?}");
        let (dir_a, dir_b) = (
            temp_dir(&format!("cmd-a-{name}")),
            temp_dir(&format!("cmd-b-{name}")),
        );
        let mut a = harness(app_with(&dir_a));
        let mut b = harness(app_with(&dir_b));
        let before = b.state().state.clone();
        a.key_press_modifiers(shortcut.modifiers, shortcut.logical_key);
        a.run_steps(4);
        b.state_mut().run_ui_command(command);
        b.run_steps(5);
        let (sa, sb) = (a.state(), b.state());
        // Each saved into its own folder, so File → Recent differs by path.
        // And playback, once started, moves with the frames since.
        let without_recent = |s: &AppState| {
            let mut s = AppState {
                recent: Vec::new(),
                ..s.clone()
            };
            if s.playback.playing {
                s.playback.t = 0;
            }
            s
        };
        assert_eq!(
            without_recent(&sa.state),
            without_recent(&sb.state),
            "{name}: the keys and the command differ"
        );
        assert_eq!(
            sa.path_prompt().is_some(),
            sb.path_prompt().is_some(),
            "{name}"
        );
        assert_eq!(files(&dir_a), files(&dir_b), "{name}");
        let did_something =
            sa.state != before || sa.path_prompt().is_some() || !files(&dir_a).is_empty();
        // Page Down / Page Up move through a lesson, Ctrl 0 resets a zoom
        // and Undo / Redo take back changes: at the start there is none of
        // these (tests/presentation.rs, the undo tests).
        let lesson_only = matches!(
            command,
            UiCommand::NextSlide
                | UiCommand::PreviousSlide
                | UiCommand::ZoomReset
                | UiCommand::Undo
                | UiCommand::Redo
        );
        assert!(
            did_something || lesson_only,
            "{name} ({:?}) did nothing",
            command.label()
        );
        tested += 1;
    }
    assert!(tested >= 10, "only {tested} commands have shortcuts");
}

/// The first fit on a new task shows x₀ and the minimum (on ros_fixed the
/// equal-aspect plot used to shrink its height and cut x₀ off).
#[test]
fn the_first_fit_on_every_preset_shows_x0() {
    for preset in teleport_core::objective::Preset::ALL {
        let mut h = harness(app_with(&temp_dir("fit")));
        h.get_all_by_label(preset.name())
            .find(|n| n.accesskit_node().role() == egui::accesskit::Role::Button)
            .unwrap()
            .click();
        h.run_steps(4);
        let app = h.state();
        let plot = app.level_set().plot_rect.unwrap();
        let x0 = app.level_set().x0_screen.unwrap();
        assert!(
            plot.shrink(2.0).contains(x0),
            "{preset:?}: x₀ drawn at {x0:?}, outside the plot {plot:?}"
        );
    }
}

/// On a projector (1024 × 768, 1280 × 720) the level-set plot gets at least
/// a quarter of the screen (its colour map fills the plot's data area),
/// and on a phone (390 × 844) it comes first and fills the width, the
/// controls a drawer that opens from the menu.
#[test]
fn the_plot_keeps_the_largest_share_on_small_screens_and_leads_on_a_phone() {
    for size in [[1024.0, 768.0], [1280.0, 720.0], [1440.0, 900.0]] {
        let mut h = common::harness_sized(app_with(&temp_dir("small")), size);
        h.run_steps(3);
        let plot = h.state().level_set().plot_rect.unwrap();
        let share = plot.area() / (size[0] * size[1]);
        assert!(
            share >= 0.25,
            "{size:?}: the plot has {:.0} % of the screen",
            100.0 * share
        );
    }
    let mut h = common::harness_sized(app_with(&temp_dir("phone")), [390.0, 844.0]);
    h.run_steps(3);
    let plot = h.state().level_set().plot_rect.unwrap();
    assert!(
        plot.width() > 0.8 * 390.0,
        "the plot fills the width: {plot:?}"
    );
    assert!(plot.top() < 200.0, "the plot comes first: {plot:?}");
    // The controls are a drawer: closed, then open from the menu.
    assert!(
        h.query_by_label("Start point").is_none(),
        "the controls are hidden"
    );
    h.get_by_label("☰ Controls").click();
    h.run_steps(2);
    assert!(
        h.query_by_label("Start point").is_some(),
        "the drawer opens"
    );
}
