//! The instruments that explain why a teleport helps: teleport quality in
//! the app, driven headless by egui_kittest.
#![allow(clippy::unwrap_used, reason = "test helpers panic on setup failures")]

mod common;

use egui_kittest::kittest::Queryable as _;
use teleport_core::symmetry::Strategy;
use teleport_lab::app::TeleportApp;
use teleport_lab::app::state::{AppState, EntryKind};

#[test]
fn the_theta_plot_says_how_well_the_selected_rows_teleport_chose() {
    let mut h = common::harness(common::app_with(&common::temp_dir("quality")));
    // The default rows include GD + oracle teleport.
    let oracle_row = h
        .state()
        .state
        .optimizers
        .iter()
        .find(|r| {
            matches!(&r.kind, EntryKind::Classical { teleport: Some(t), .. }
                if t.schedule().strategy == Strategy::Oracle)
        })
        .map(|r| r.id)
        .unwrap();
    h.state_mut().state.selected = oracle_row;
    let records = h.state().run(oracle_row).unwrap().base.records.clone();
    let teleport_step = records.iter().find(|r| r.teleported).unwrap().t;
    let plain_step = records.iter().find(|r| !r.teleported && r.t > 0).unwrap().t;

    h.state_mut().state.playback.t = plain_step;
    h.run_steps(2);
    assert!(h.state().teleport_quality().is_none());
    assert!(h.query_by_label_contains("efficiency η").is_none());

    h.state_mut().state.playback.t = teleport_step;
    h.run_steps(2);
    let q = *h.state().teleport_quality().unwrap();
    // The oracle's own teleport is the best on its orbit: exactly 1.
    assert_eq!(q.efficiency, 1.0);
    // It landed where the θ curve is highest: ‖∇f‖ there is θ*'s.
    let best = h.state().oracle().grad_norm;
    assert!(
        (q.landed_norm - best).abs() <= 1e-9 * best,
        "{} vs {best}",
        q.landed_norm
    );
    assert!(h.query_by_label_contains("efficiency η = 1").is_some());
}

/// The app with the Newton window open at timeline step `t`.
fn newton_window_at(t: usize, name: &str) -> egui_kittest::Harness<'static, TeleportApp> {
    let mut state = AppState::default();
    state.panels.newton = true;
    state.playback.t = t;
    let dir = common::temp_dir(name);
    common::harness(TeleportApp::new(state, &common::test_options(&dir)))
}

#[test]
fn the_newton_window_splits_the_selected_rows_move_and_jump() {
    let mut h = newton_window_at(0, "anatomy");
    assert!(
        h.query_by_label_contains("Step to t ≥ 1").is_some(),
        "step 0 has no move"
    );
    let rows = h.state().state.optimizers.clone();
    let gd = rows
        .iter()
        .find(|r| matches!(&r.kind, EntryKind::Classical { teleport: None, .. }))
        .unwrap()
        .id;
    let oracle = rows
        .iter()
        .find(|r| {
            matches!(&r.kind, EntryKind::Classical { teleport: Some(t), .. }
            if t.schedule().strategy == Strategy::Oracle)
        })
        .unwrap()
        .id;
    h.state_mut().state.selected = gd;
    h.state_mut().state.playback.t = 3;
    h.run_steps(2);
    assert!(h.query_by_label_contains("its move Δx").is_some());
    // Each instrument folds away under its header, and comes back.
    h.get_by_label("Update anatomy").click();
    h.run_steps(3);
    assert!(h.query_by_label_contains("its move Δx").is_none());
    h.get_by_label("Update anatomy").click();
    h.run_steps(3);
    assert!(h.query_by_label_contains("its move Δx").is_some());
    // The anatomy's row, not the preset's story (which speaks of teleport
    // jumps too).
    assert!(
        h.query_by_label("teleport jump").is_none(),
        "GD does not teleport"
    );
    // Its next move, beside Newton's at the same point: GD moves along
    // −∇f, so none of it is along the level set.
    let next = h.query_by_label_contains("next move: ‖Δx‖").unwrap();
    let text = egui_kittest::kittest::NodeT::accesskit_node(&next)
        .value()
        .unwrap_or_default();
    let share: f64 = text
        .rsplit("= ")
        .next()
        .unwrap()
        .replace('−', "-")
        .parse()
        .unwrap();
    assert!(share.abs() < 1e-9, "{text}");
    let jump_step = h
        .state()
        .run(oracle)
        .unwrap()
        .base
        .records
        .iter()
        .find(|r| r.teleported)
        .unwrap()
        .t;
    h.state_mut().state.selected = oracle;
    h.state_mut().state.playback.t = jump_step - 1;
    h.run_steps(2);
    assert!(h.query_by_label_contains("then a teleport jump").is_some());
    h.state_mut().state.playback.t = jump_step;
    h.run_steps(2);
    assert!(h.query_by_label("teleport jump").is_some());
}

/// The Newton window's η plot: every visible teleporting row's teleports,
/// each η the gradient norm its angle reached over the best on the orbit
/// found by a dense scan (an independent search); the oracle row scores 1.
#[test]
fn the_newton_window_plots_how_well_each_row_teleports() {
    use teleport_core::symmetry::{dense_scan, teleport};
    let mut h = newton_window_at(2, "eta-plot");
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("Teleport quality η per step")
            .is_some()
    );
    assert!(
        h.query_by_label_contains("No visible row teleports")
            .is_none()
    );
    let app = h.state();
    let obj = app.objective().clone();
    let mut teleporting_rows = 0;
    for (entry, name, run) in app.visible_runs() {
        let teleports = run.shown().records.iter().filter(|r| r.teleported).count();
        assert_eq!(
            run.efficiency(&obj).len(),
            teleports,
            "{name}: one η per teleport"
        );
        teleporting_rows += usize::from(teleports > 0);
        for &(t, eta) in run.efficiency(&obj) {
            let record = &run.shown().records[t];
            let from = teleport_core::objective::Vec2::from(record.from.unwrap());
            let reached = obj
                .grad(&teleport(&obj, &from, record.theta.unwrap()))
                .norm();
            let best = dense_scan(&obj, &from, 65_536).grad_norm;
            assert!(
                (eta - reached / best).abs() < 1e-3 && eta <= 1.0 + 1e-9,
                "{name}, step {t}: η = {eta}, dense scan says {}",
                reached / best
            );
        }
        let oracle = matches!(&entry.kind, EntryKind::Classical { teleport: Some(t), .. }
            if t.schedule().strategy == Strategy::Oracle);
        if oracle {
            assert!(!run.efficiency(&obj).is_empty(), "{name} teleports");
            for &(t, eta) in run.efficiency(&obj) {
                assert!((eta - 1.0).abs() < 1e-9, "{name}, step {t}: η = {eta}");
            }
        }
    }
    assert!(
        teleporting_rows >= 2,
        "the default rows include teleporting ones"
    );
    // With every teleporting row hidden, the plot says so.
    let ids: Vec<_> = h.state().state.optimizers.iter().map(|r| r.id).collect();
    for id in ids {
        let app = h.state_mut();
        if let Some(row) = app.state.optimizers.iter_mut().find(|r| r.id == id) {
            row.enabled = matches!(&row.kind, EntryKind::Classical { teleport: None, .. });
        }
    }
    h.run_steps(3);
    assert!(
        h.query_by_label_contains("No visible row teleports")
            .is_some()
    );
}

/// For a learned row the Newton window shows its head's outputs at the
/// step (the move the run took) and a heat strip per LSTM cell; a classical
/// row has none, and the two-network variant shows both networks' cells.
#[test]
fn the_newton_window_looks_inside_a_learned_row() {
    use teleport_core::l2o::Variant;
    let mut h = newton_window_at(3, "probe");
    let find = |h: &egui_kittest::Harness<'_, TeleportApp>, want: Option<Variant>| {
        h.state()
            .state
            .optimizers
            .iter()
            .find(|r| match (&r.kind, want) {
                (EntryKind::Learned(v), Some(w)) => *v == w,
                (EntryKind::Classical { .. }, None) => true,
                _ => false,
            })
            .unwrap()
            .id
    };
    let (gd, l2o, momentum) = (
        find(&h, None),
        find(&h, Some(Variant::L2o)),
        find(&h, Some(Variant::LrTeleMomentum)),
    );
    h.state_mut().state.selected = gd;
    h.state_mut().state.playback.t = 3;
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("Inside the learned optimizer")
            .is_none()
    );
    h.state_mut().state.selected = l2o;
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("Inside the learned optimizer")
            .is_some()
    );
    // The move shown is the run's own: x₃ − x₂ (l2o does not teleport).
    let records = &h.state().run(l2o).unwrap().base.records;
    let dx = teleport_core::objective::Vec2::from(records[3].x)
        - teleport_core::objective::Vec2::from(records[2].x);
    let text = format!(
        "Δx = ({}, {})",
        teleport_core::numfmt::short(dx.x),
        teleport_core::numfmt::short(dx.y)
    );
    assert!(h.query_by_label_contains(&text).is_some(), "{text}");
    assert!(h.query_by_label("cell 0").is_some() && h.query_by_label("cell 1").is_some());
    h.state_mut().state.selected = momentum;
    h.run_steps(2);
    for name in ["m1 cell 0", "m1 cell 1", "m2 cell 0", "m2 cell 1"] {
        assert!(h.query_by_label(name).is_some(), "{name}");
    }
    assert!(h.query_by_label_contains("β = ").is_some());
    // Back to step 0: there is no step to look inside.
    h.state_mut().state.playback.t = 0;
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("Inside the learned optimizer")
            .is_none()
    );
}

/// Runs frames until the across-tasks statistics are in (at most 60 s).
fn wait_for_across(h: &mut egui_kittest::Harness<'_, TeleportApp>) {
    let start = std::time::Instant::now();
    while h.state().across().result.is_none() {
        assert!(
            start.elapsed().as_secs() < 60,
            "no across-tasks result within 60 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
        h.run_steps(1);
    }
}

/// The test tasks, built here as the module documents them: on a fixed
/// task, the seeded N(0, I) start points of `elli_vary`'s draws.
fn fixed_task_tasks(
    preset: teleport_core::objective::Preset,
) -> Vec<teleport_core::objective::Task> {
    teleport_core::objective::TaskDist::ElliVary
        .sample_many(1, 200, Default::default())
        .into_iter()
        .map(|t| teleport_core::objective::Task {
            objective: preset.objective(),
            x0: t.x0,
        })
        .collect()
}

#[test]
fn across_tasks_draws_each_rows_median_and_quartiles_and_a_change_recomputes() {
    use teleport_core::objective::Preset;
    use teleport_lab::app::state::TaskSource;
    let dir = common::temp_dir("across");
    let mut state = AppState {
        steps: 20,
        ..AppState::default()
    };
    // A step size that diverges on the Rosenbrock task.
    state.add_row(teleport_lab::app::state::OptimizerEntry::new(
        true,
        EntryKind::Classical {
            spec: teleport_core::optim::OptimizerSpec::Gd { lr: 2.0 },
            teleport: None,
        },
    ));
    let mut h = common::harness(TeleportApp::new(state, &common::test_options(&dir)));
    h.get_by_label("across 200 tasks").click();
    h.run_steps(2);
    assert!(h.state().state.across_tasks);
    // Change the task while the first computation runs: it is dropped.
    h.state_mut().state.source = TaskSource::Preset(Preset::RosFixed);
    let _ = h
        .state_mut()
        .set_source(TaskSource::Preset(Preset::RosFixed));
    h.run_steps(2);
    wait_for_across(&mut h);
    assert!(
        h.state().across().started() >= 2,
        "the change started a new computation"
    );
    let result = h.state().across().result.clone().unwrap();
    let app = h.state();
    let visible: Vec<_> = app.visible_runs().iter().map(|(e, _, _)| e.id).collect();
    assert_eq!(result.iter().map(|r| r.id).collect::<Vec<_>>(), visible);
    // Each row's numbers are `evaluate` on the same tasks.
    let tasks = fixed_task_tasks(Preset::RosFixed);
    for row in &result {
        let opt = app.optimizer_of(row.id).unwrap();
        let want = teleport_core::eval::evaluate(&opt, &tasks, 20);
        // Compared as text: steps past every run's divergence are NaN.
        assert_eq!(
            format!("{:?}", row.stats),
            format!("{want:?}"),
            "row {:?}",
            row.id
        );
    }
    // The key counts the diverged runs of each row.
    let diverged: Vec<usize> = result
        .iter()
        .filter_map(|r| r.stats.last().map(|s| s.diverged))
        .filter(|d| *d > 0)
        .collect();
    assert!(!diverged.is_empty(), "no row diverged on ros_fixed");
    h.run_steps(1);
    for d in diverged {
        let text = format!("({d} of 200 diverged)");
        assert!(h.query_by_label_contains(&text).is_some(), "{text}");
    }
    // Back to this task: nothing is computed.
    h.get_by_label("this task").click();
    h.run_steps(2);
    assert!(h.state().across().result.is_none());
    assert!(!h.state().across().computing());
}

/// The default state with the first row whose kind `pick` accepts
/// selected, and that row's id.
fn selecting(pick: impl Fn(&EntryKind) -> bool) -> (AppState, teleport_lab::app::state::RowId) {
    let mut state = AppState::default();
    let row = state.optimizers.iter().find(|r| pick(&r.kind)).unwrap().id;
    state.selected = row;
    (state, row)
}

/// Runs frames until `done` holds (at most 120 s).
fn wait_until(
    h: &mut egui_kittest::Harness<'_, TeleportApp>,
    what: &str,
    done: impl FnMut(&TeleportApp) -> bool,
) {
    wait_until_every(h, what, std::time::Duration::from_millis(10), done);
}

/// [`wait_until`] with `interval` between frames.
fn wait_until_every(
    h: &mut egui_kittest::Harness<'_, TeleportApp>,
    what: &str,
    interval: std::time::Duration,
    mut done: impl FnMut(&TeleportApp) -> bool,
) {
    let start = std::time::Instant::now();
    while !done(h.state()) {
        assert!(start.elapsed().as_secs() < 120, "{what}: not within 120 s");
        std::thread::sleep(interval);
        h.run_steps(1);
    }
}

/// Checks every 37th cell of the shown basin map against a single run of
/// the selected row from that cell's start on `obj` (learned rows run
/// batched in the map: f32 round-off).
fn assert_map_is_single_runs(app: &TeleportApp, obj: &teleport_core::objective::Objective) {
    use teleport_core::basin::BasinCell;
    let map = app.basin().shown().unwrap();
    let opt = app.optimizer_of(app.state.selected).unwrap();
    for (k, x0) in map.grid.starts().into_iter().enumerate().step_by(37) {
        let want = BasinCell::of(&opt.trajectory(obj, x0, map.steps), map.steps, 0.0).f;
        let got = map.cells[k].f;
        assert!(
            (got - want).abs() <= 1e-3 * want.abs() + 1e-12 || got.to_bits() == want.to_bits(),
            "cell {k} at {x0:?}: {got} vs {want}"
        );
    }
}

#[test]
fn basin_map_refines_and_a_task_change_mid_compute_shows_nothing_stale() {
    use teleport_core::l2o::Variant;
    use teleport_core::objective::Preset;
    use teleport_lab::app::basin::LEVELS;
    use teleport_lab::app::state::TaskSource;
    let dir = common::temp_dir("basin");
    // The learned row with teleports: slow enough (a debug build) that
    // the finer levels are still computing when the task changes.
    let (mut state, _) = selecting(|kind| *kind == EntryKind::Learned(Variant::L2oTele));
    state.basin.steps = 5;
    // A tall window: the Display section's checkbox is below the fold of
    // the side panel at 900 points.
    let app = TeleportApp::new(state, &common::test_options(&dir));
    let mut h = common::harness_sized(app, [1440.0, 1400.0]);
    // The side panel's Display section starts closed.
    h.get_by_label("Display").click();
    h.run_steps(1);
    h.get_by_label_contains("basin map of L2O + teleport")
        .click();
    h.run_steps(1);
    assert!(h.state().state.basin.shown);
    wait_until(&mut h, "the first level", |app| {
        app.basin().shown().is_some()
    });
    let app = h.state();
    let map = app.basin().shown().unwrap();
    assert_eq!(map.grid.n, LEVELS[0]);
    assert_eq!(map.steps, 5);
    // The map covers the plot's view.
    let (lo, hi) = app.level_set().view.unwrap();
    assert_eq!((map.grid.x, map.grid.y), ((lo[0], hi[0]), (lo[1], hi[1])));
    assert_map_is_single_runs(app, &Preset::ElliFixed.objective());
    assert!(app.basin().computing(), "finer levels follow");
    let started = app.basin().started();
    // Mid-compute, a new task: the old map goes at once, and every map
    // shown from then on is the new task's.
    h.state_mut()
        .set_source(TaskSource::Preset(Preset::RosFixed))
        .unwrap();
    h.run_steps(1);
    assert!(h.state().basin().started() > started, "a new computation");
    let new_obj = Preset::RosFixed.objective();
    let start = std::time::Instant::now();
    let mut levels_seen = Vec::new();
    loop {
        let app = h.state();
        if let Some(map) = app.basin().shown() {
            if levels_seen.last() != Some(&map.grid.n) {
                assert_map_is_single_runs(app, &new_obj);
                levels_seen.push(map.grid.n);
            }
            if !app.basin().computing() {
                break;
            }
        }
        assert!(start.elapsed().as_secs() < 180, "levels {levels_seen:?}");
        std::thread::sleep(std::time::Duration::from_millis(10));
        h.run_steps(1);
    }
    assert_eq!(levels_seen.last(), Some(&LEVELS[2]), "{levels_seen:?}");
    h.run_steps(1);
    assert!(
        h.query_by_label_contains("128² starts").is_some(),
        "the caption names the finished level"
    );
    // Off: nothing is kept or computed.
    h.get_by_label_contains("basin map of L2O + teleport")
        .click();
    h.run_steps(2);
    assert!(h.state().basin().shown().is_none());
    assert!(!h.state().basin().computing());
}

/// Opens the training window and starts training `trajectories` of a small
/// L2O (H = 16, 10 steps) on elli_vary: long enough (about a second for
/// 20,000) for the UI to take several of the snapshots published every
/// 200 ms (it only ever sees the latest).
fn start_small_training(h: &mut egui_kittest::Harness<'_, TeleportApp>, trajectories: usize) {
    use teleport_core::l2o::Variant;
    use teleport_core::objective::TaskDist;
    {
        let s = &mut h.state_mut().state.training;
        s.variant = Variant::L2o;
        s.hidden = 16;
        s.trajectories = trajectories;
        s.steps = 10;
        s.dist = TaskDist::ElliVary;
    }
    h.state_mut().state.panels.training = true;
    h.run_steps(2);
    h.get_by_label("▶ Start").click();
}

/// Live training draws the smoothed meta-loss over the raw one and a
/// validation curve: one point per validated snapshot, each the median f
/// after N steps on the 64 held-out tasks — checked for the final weights
/// against `evaluate` on tasks drawn here from the documented seed.
#[test]
fn training_shows_a_smoothed_loss_and_a_validation_curve_of_held_out_tasks() {
    use teleport_core::objective::TaskDist;
    use teleport_lab::app::validation::{VALIDATION_SEED, VALIDATION_TASKS};
    const TRAJECTORIES: usize = 20_000;
    let dir = common::temp_dir("validation");
    let mut h = common::harness(common::app_with(&dir));
    start_small_training(&mut h, TRAJECTORIES);
    // Training ends, then the validation worker catches up.
    wait_until(&mut h, "training and its last validation", |app| {
        app.training().finished
            && app
                .validation()
                .points
                .last()
                .is_some_and(|p| p[0] == TRAJECTORIES as f64)
    });
    h.run_steps(2);
    let app = h.state();
    assert!(app.training().finished, "training did not finish in time");
    let points = app.validation().points.clone();
    eprintln!(
        "validation points: {points:?} (skipped {})",
        app.validation().skipped
    );
    assert!(points.len() + app.validation().skipped >= 2, "{points:?}");
    assert!(points.windows(2).all(|w| w[0][0] < w[1][0]), "{points:?}");
    let last = points.last().copied().unwrap();
    assert_eq!(
        last[0], TRAJECTORIES as f64,
        "the final snapshot is validated"
    );
    // The final weights on the held-out tasks, through `evaluate`.
    let model = std::sync::Arc::clone(&app.live_model().unwrap().model);
    let tasks =
        TaskDist::ElliVary.sample_many(VALIDATION_SEED, VALIDATION_TASKS, Default::default());
    let opt = teleport_core::eval::AnyOptimizer::Learned {
        name: "live".into(),
        model,
    };
    let stats = teleport_core::eval::evaluate(&opt, &tasks, 10);
    let end = stats.last().unwrap();
    assert_eq!(end.diverged, 0);
    assert!(
        (last[1] - end.median.log10()).abs() < 1e-12,
        "{} vs {}",
        last[1],
        end.median.log10()
    );
    // The smoothing slider is there, and both loss curves are drawn.
    assert!(
        h.query_all_by_label("smoothing").count() >= 2,
        "the slider and its label"
    );
    assert!(
        h.query_by_label_contains("mean unroll loss (smoothed)")
            .is_some()
    );
    assert!(h.query_by_label_contains("validation: median f").is_some());
}

/// The training timeline keeps the published versions; going back to one
/// runs the live row with exactly that version's weights (checked against
/// the version's own trajectory), draws the versions before it as ghosts,
/// and "newest" follows training again.
#[test]
fn the_training_timeline_goes_back_to_an_earlier_version_with_ghost_trails() {
    use teleport_core::objective::Vec2;
    use teleport_lab::app::timeline::{CAPACITY, GHOSTS};
    let dir = common::temp_dir("timeline");
    let mut h = common::harness(common::app_with(&dir));
    start_small_training(&mut h, 20_000);
    // Frames slower than the trainer publishes (every 200 ms): the newest
    // snapshot of each frame is not every version.
    let slow = std::time::Duration::from_millis(450);
    wait_until_every(&mut h, "training", slow, |app| app.training().finished);
    h.run_steps(2);
    let live_run = |h: &egui_kittest::Harness<'_, TeleportApp>| {
        let app = h.state();
        let row = app
            .state
            .optimizers
            .iter()
            .find(|r| matches!(r.kind, EntryKind::Live(_)) && r.enabled)
            .unwrap();
        app.run(row.id).unwrap().base.clone()
    };
    let own_run = |h: &egui_kittest::Harness<'_, TeleportApp>, index: usize| {
        let app = h.state();
        let v = &app.training_timeline().versions()[index];
        let (x0, steps) = (Vec2::from(app.state.x0), app.state.steps);
        v.model.trajectory(app.objective(), x0, steps)
    };
    let xs = |run: &teleport_core::optim::Trajectory| -> Vec<[f64; 2]> {
        run.records.iter().map(|r| r.x).collect()
    };
    let n = h.state().training_timeline().versions().len();
    assert!(h.state().training().finished, "training did not finish");
    assert!((3..=CAPACITY + 1).contains(&n), "{n} versions kept");
    // Every version published is kept (fewer than the bound here), even
    // those no frame saw as the newest.
    let kept: Vec<u64> = h
        .state()
        .training_timeline()
        .versions()
        .iter()
        .map(|v| v.version)
        .collect();
    let published = h.state().training().version;
    assert_eq!(kept, (1..=published).collect::<Vec<_>>());
    assert!(h.state().training_timeline().follows_newest());
    assert_eq!(xs(&live_run(&h)), xs(&own_run(&h, n - 1)));
    assert!(h.query_by_label("version shown").is_some(), "the scrubber");
    // The newest version shows the GHOSTS before it as ghost trails.
    let ghosts: Vec<_> = h.state_mut().ghost_runs().iter().map(xs).collect();
    assert_eq!(ghosts.len(), GHOSTS.min(n - 1));
    assert_eq!(ghosts[ghosts.len() - 1], xs(&own_run(&h, n - 2)));

    // Back to the second version: the live row runs with its weights.
    h.state_mut().show_training_version(1);
    h.run_steps(2);
    assert!(!h.state().training_timeline().follows_newest());
    let earlier = xs(&live_run(&h));
    assert_eq!(earlier, xs(&own_run(&h, 1)));
    assert_ne!(earlier, xs(&own_run(&h, n - 1)), "versions differ");
    let ghosts: Vec<_> = h.state_mut().ghost_runs().iter().map(xs).collect();
    assert_eq!(ghosts, vec![xs(&own_run(&h, 0))], "one version before it");
    let label = {
        let v = &h.state().training_timeline().versions()[1];
        format!("v{} · {} trajectories", v.version, v.trajectories)
    };
    assert!(h.query_by_label(&label).is_some(), "{label}");

    // "newest" follows training again.
    h.get_by_label("newest").click();
    h.run_steps(2);
    assert!(h.state().training_timeline().follows_newest());
    assert_eq!(xs(&live_run(&h)), xs(&own_run(&h, n - 1)));
    // Turning the ghosts off draws none.
    h.state_mut().state.training.ghosts = false;
    assert!(h.state_mut().ghost_runs().is_empty());
}

/// The task gallery shows the first tasks of the distribution as
/// thumbnails; clicking one opens that task (the side panel's sampled task
/// of the same seed) from its own start point, and ▶ pages on.
#[test]
fn the_task_gallery_opens_the_task_clicked_from_its_own_start() {
    use teleport_core::objective::{TaskDist, Vec2};
    use teleport_lab::app::gallery::{THUMBNAILS, task};
    use teleport_lab::app::state::TaskSource;
    let mut state = AppState::default();
    state.panels.gallery = true;
    let dir = common::temp_dir("gallery");
    let mut h = common::harness(TeleportApp::new(state, &common::test_options(&dir)));
    h.run_steps(2);
    for seed in 0..THUMBNAILS {
        assert!(
            h.query_by_label(&format!("open elli_vary #{seed}"))
                .is_some(),
            "thumbnail {seed}"
        );
    }
    h.get_by_label("open elli_vary #5").click();
    h.run_steps(2);
    let expected = task(TaskDist::ElliVary, 5);
    let app = h.state();
    assert_eq!(
        app.state.source,
        TaskSource::Sampled {
            dist: TaskDist::ElliVary,
            seed: 5
        }
    );
    assert_eq!(Vec2::from(app.state.x0), expected.x0);
    // The app's task is the thumbnail's: the same f everywhere we look.
    for p in [expected.x0, Vec2::new(0.3, -1.7), Vec2::new(-2.0, 0.5)] {
        assert_eq!(app.objective().f(&p), expected.objective.f(&p));
    }
    // Its minimizer, where h = 0, has f = 0.
    assert!(expected.objective.f(&expected.objective.minimizer()) < 1e-20);
    // The gallery follows the current task's distribution and pages on.
    h.get_by_label("next ▶").click();
    h.run_steps(2);
    assert_eq!(h.state().gallery_seeds(), 12..24);
    assert!(h.query_by_label("open elli_vary #12").is_some());
    assert!(h.query_by_label("open elli_vary #0").is_none());
}

/// Shaded by the first step with f ≤ ε, the basin map finds, for every
/// start, the first step of a single run from it below ε, and its caption
/// says what the colours mean.
#[test]
fn a_basin_map_by_first_step_finds_when_each_start_gets_below_eps() {
    use teleport_core::basin::Shade;
    let dir = common::temp_dir("basin-first");
    let (mut state, gd) =
        selecting(|kind| matches!(kind, EntryKind::Classical { teleport: None, .. }));
    state.basin.shown = true;
    state.basin.steps = 60;
    state.basin.shade = Shade::FirstStep;
    state.basin.eps = 1e-2;
    let mut h = common::harness(TeleportApp::new(state, &common::test_options(&dir)));
    wait_until(&mut h, "the finished map", |app| {
        app.basin().shown().is_some() && !app.basin().computing()
    });
    h.run_steps(1);
    let app = h.state();
    let map = app.basin().shown().unwrap();
    assert_eq!(map.eps, 1e-2);
    let opt = app.optimizer_of(gd).unwrap();
    let firsts: Vec<Option<usize>> = map
        .grid
        .starts()
        .into_iter()
        .enumerate()
        .step_by(13)
        .map(|(k, x0)| {
            let run = opt.trajectory(app.objective(), x0, map.steps);
            let first = run.records.iter().position(|r| r.f <= 1e-2);
            assert_eq!(map.cells[k].first, first, "cell {k} at {x0:?}");
            first
        })
        .collect();
    // Some starts get there within the steps, some do not.
    assert!(firsts.contains(&None), "{firsts:?}");
    assert!(firsts.iter().any(Option::is_some), "{firsts:?}");
    assert!(
        h.query_by_label_contains("first step with f ≤ 0.01")
            .is_some(),
        "the caption"
    );
}
