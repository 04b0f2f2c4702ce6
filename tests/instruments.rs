//! The instruments that explain why a teleport helps: teleport quality in
//! the app (issue 9), driven headless by egui_kittest.
#![allow(clippy::unwrap_used, reason = "test helpers panic on setup failures")]

mod common;

use egui_kittest::kittest::Queryable as _;
use teleport_lab::app::TeleportApp;
use teleport_lab::app::state::{AppState, EntryKind};
use teleport_lab::symmetry::Strategy;

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
    assert!(h.state().rt.teleport_quality.is_none());
    assert!(h.query_by_label_contains("efficiency η").is_none());

    h.state_mut().state.playback.t = teleport_step;
    h.run_steps(2);
    let q = h.state().rt.teleport_quality.unwrap();
    // The oracle's own teleport is the best on its orbit: exactly 1.
    assert_eq!(q.efficiency, 1.0);
    // It landed where the θ curve is highest: ‖∇f‖ there is θ*'s.
    let best = h.state().rt.oracle.grad_norm;
    assert!(
        (q.landed_norm - best).abs() <= 1e-9 * best,
        "{} vs {best}",
        q.landed_norm
    );
    assert!(h.query_by_label_contains("efficiency η = 1").is_some());
}

#[test]
fn the_newton_window_splits_the_selected_rows_move_and_jump() {
    let mut state = AppState::default();
    state.panels.newton = true;
    state.playback.t = 0;
    let dir = common::temp_dir("anatomy");
    let mut h = common::harness(TeleportApp::new(state, &common::test_options(&dir)));
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
    assert!(
        h.query_by_label_contains("teleport jump").is_none(),
        "GD does not teleport"
    );
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
    h.state_mut().state.playback.t = jump_step;
    h.run_steps(2);
    assert!(h.query_by_label_contains("teleport jump").is_some());
}
