//! Presentation mode, lessons and the animation recorder's cancel path,
//! driven headless by egui_kittest.
#![allow(clippy::unwrap_used, reason = "test helpers panic on setup failures")]

mod common;

use common::{error_texts, temp_dir, test_options, write_file};

use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use teleport_lab::app::state::AppState;
use teleport_lab::app::{Options, TeleportApp};

fn harness(options: &Options) -> Harness<'static, TeleportApp> {
    common::harness(TeleportApp::new(AppState::default(), options))
}

fn lab(caption: &str, x0: [f64; 2], steps: usize) -> String {
    format!(
        r#"{{"version": 2, "caption": "{caption}",
            "objective": {{"family": "ellipse", "A": [[0.5, 0.0], [0.0, 3.0]], "b": [0.0, 0.0]}},
            "x0": [{}, {}], "steps": {steps},
            "optimizers": [{{"kind": "gd", "lr": 0.05}}]}}"#,
        x0[0], x0[1]
    )
}

#[test]
fn f11_presents_the_plots_alone_with_their_own_zoom_and_esc_leaves() {
    let dir = temp_dir("f11");
    let mut h = harness(&test_options(&dir));
    let normal = h.state().central_rect();
    assert!(normal.min.x > 200.0, "the controls are left of the plot");
    h.state_mut().state.panels.alg2 = true;
    h.key_press(Key::F11);
    h.run_steps(4);
    assert!(h.state().state.view.presenting);
    assert!((h.ctx.zoom_factor() - 1.5).abs() < 1e-6);
    // No side panel: the plot starts at the window's left edge.
    let presenting = h.state().central_rect();
    assert!(presenting.min.x < 20.0, "{presenting:?}");
    // Ctrl + zooms this mode only.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Plus);
    h.run_steps(2);
    let zoomed = h.state().state.view.presentation_zoom;
    assert!((zoomed - 1.65).abs() < 1e-4, "{zoomed}");
    assert!((h.ctx.zoom_factor() - zoomed).abs() < 1e-6);
    h.key_press(Key::Escape);
    h.run_steps(4);
    let s = &h.state().state;
    assert!(!s.view.presenting);
    assert!(
        (h.ctx.zoom_factor() - 1.0).abs() < 1e-6,
        "the normal zoom is back"
    );
    assert!(
        (s.view.presentation_zoom - zoomed).abs() < 1e-6,
        "kept for next time"
    );
    assert!(s.panels.alg2, "windows hidden while presenting stay open");
    // Both zooms travel with the saved state.
    let text = ron::to_string(s).unwrap();
    let back: AppState = ron::from_str(&text).unwrap();
    assert_eq!(back.view, s.view);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_lesson_plays_its_lab_files_in_name_order_and_a_bad_one_is_reported() {
    let dir = temp_dir("lesson");
    let lesson = dir.join("lesson");
    write_file(&lesson, "01-start.json", lab("one", [-5.0, 3.5], 12));
    write_file(&lesson, "02-next.json", lab("two", [4.0, -2.0], 30));
    write_file(
        &lesson,
        "03-broken.json",
        "{\"version\": 2, \"objective\": ",
    );
    write_file(&lesson, "04-last.json", lab("three", [1.0, 1.0], 8));
    write_file(&lesson, "notes.txt", "not a slide");
    let mut h = harness(&Options {
        lesson: Some(lesson.clone()),
        ..test_options(&dir)
    });
    let caption = |h: &Harness<'_, TeleportApp>| h.state().state.caption.clone();
    assert!(h.state().state.view.presenting, "a lesson opens presenting");
    assert_eq!(caption(&h).as_deref(), Some("one"));
    assert_eq!(h.state().state.x0, [-5.0, 3.5]);
    // The caption is on screen.
    assert!(h.query_by_label("one").is_some());

    h.state_mut().state.playback.t = 7;
    h.key_press(Key::PageDown);
    h.run_steps(3);
    assert_eq!(caption(&h).as_deref(), Some("two"));
    assert_eq!((h.state().state.steps, h.state().state.playback.t), (30, 0));

    // The broken file: one error, the last demo stays, the next key moves on.
    let errors = |h: &Harness<'_, TeleportApp>| error_texts(h.state()).len();
    let before = errors(&h);
    h.key_press(Key::PageDown);
    h.run_steps(3);
    assert_eq!(errors(&h), before + 1);
    assert_eq!(caption(&h).as_deref(), Some("two"));
    assert_eq!(h.state().state.x0, [4.0, -2.0]);
    h.key_press(Key::PageDown);
    h.run_steps(3);
    assert_eq!(caption(&h).as_deref(), Some("three"));
    // Past the end stays at the end; Page Up goes back.
    h.key_press(Key::PageDown);
    h.run_steps(2);
    assert_eq!(caption(&h).as_deref(), Some("three"));
    for _ in 0..3 {
        h.key_press(Key::PageUp);
        h.run_steps(2);
    }
    assert_eq!(caption(&h).as_deref(), Some("one"));
    assert_eq!(h.state().lesson().map(|l| l.index), Some(0));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_folder_that_is_no_lesson_is_an_error_that_changes_nothing() {
    let dir = temp_dir("nolesson");
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let mut h = harness(&test_options(&dir));
    let before = h.state().state.clone();
    let ctx = h.ctx.clone();
    h.state_mut().open_lesson(&ctx, &empty);
    h.state_mut().open_lesson(&ctx, &dir.join("missing"));
    h.run_steps(2);
    assert_eq!(h.state().state, before);
    let errors = error_texts(h.state());
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].contains("no lab files"), "{errors:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn cancelling_a_recording_writes_nothing_and_restores_the_timeline() {
    let dir = temp_dir("cancel");
    let mut h = harness(&test_options(&dir));
    h.state_mut().state.playback.t = 5;
    let out = dir.join("never.gif");
    let ctx = h.ctx.clone();
    let settings = teleport_lab::app::animation::AnimationSettings::default();
    h.state_mut()
        .start_animation(&ctx, out.clone(), settings.clone(), None);
    h.run_steps(3);
    // Recording: the timeline is on step 0 and the pointer is out of the
    // frames' input.
    assert!(h.state().is_recording());
    assert_eq!(h.state().state.playback.t, 0);
    assert!(h.state().hides_pointer());
    h.key_press(Key::Escape);
    h.run_steps(3);
    assert!(!h.state().is_recording());
    assert_eq!(h.state().state.playback.t, 5);
    assert!(!out.exists());
    assert!(
        std::fs::read_dir(&dir).unwrap().next().is_none(),
        "no temporary file left"
    );

    // Changing the number of steps mid-recording cancels it too.
    h.state_mut()
        .start_animation(&ctx, out.clone(), settings, None);
    h.run_steps(2);
    h.state_mut().state.steps += 5;
    h.run_steps(3);
    assert!(!h.state().is_recording());
    assert!(!out.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Help → The paper in 8 demos opens the shipped lesson presenting its
/// first demo; Page Down goes through all eight, each shown without an
/// error, with its numbered caption, its rows run and its panes open.
#[test]
fn the_paper_in_8_demos_opens_from_help_and_pages_through_every_demo() {
    let dir = temp_dir("paper-lesson");
    let mut h = harness(&test_options(&dir));
    h.run_steps(2);
    h.get_all_by_label("Help")
        .find(|n| n.rect().top() < 40.0)
        .unwrap()
        .click();
    h.run_steps(2);
    h.get_by_label("The paper in 8 demos").click();
    h.run_steps(4);
    assert!(h.state().state.view.presenting, "it presents");
    for k in 1..=8 {
        // The network's rows run on a worker: wait for them (a condition,
        // not a time), then look.
        let ran = |app: &TeleportApp| {
            let net = app.network();
            !net.active
                || net
                    .rows
                    .iter()
                    .filter(|r| r.enabled)
                    .all(|r| app.network_run(r.id).is_some())
        };
        for _ in 0..600 {
            if ran(h.state()) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
            h.run_steps(1);
        }
        let app = h.state();
        assert!(
            error_texts(app).is_empty(),
            "demo {k}: {:?}",
            error_texts(app)
        );
        let lesson = app.lesson().unwrap();
        assert_eq!(lesson.index + 1, k, "demo {k}");
        let caption = app.state.caption.clone().unwrap_or_default();
        assert!(
            caption.starts_with(&format!("{k} ·")),
            "demo {k}: {caption}"
        );
        if k == 8 {
            let net = app.network();
            assert!(net.active, "the last demo is the network");
            for row in net.rows.iter().filter(|r| r.enabled) {
                assert!(
                    app.network_run(row.id).is_some(),
                    "network row {:?} ran",
                    row.id
                );
            }
        } else {
            let rows: Vec<_> = app.state.optimizers.iter().filter(|r| r.enabled).collect();
            assert!(rows.len() >= 2 || k == 1, "demo {k} compares rows");
            for row in rows {
                let run = app.run(row.id).map(|r| r.base.records.len());
                assert!(
                    run.is_some_and(|n| n > 1),
                    "demo {k}: row {:?} has no run",
                    row.id
                );
            }
        }
        if k < 8 {
            // The plot leads whatever panes the last demo had open.
            let plot = app.level_set().plot_rect.unwrap();
            let central = app.central_rect();
            assert!(
                plot.height() > 0.3 * central.height(),
                "demo {k}: the plot {plot:?} of {central:?}"
            );
        }
        let open = [
            app.state.panels.alg2,
            app.state.panels.newton,
            app.state.panels.surface,
        ];
        assert!(
            open.iter().filter(|o| **o).count() <= 1,
            "demo {k}: {open:?}"
        );
        match k {
            2 => assert!(
                app.state.panels.newton,
                "Proposition 4.1 opens the Newton pane"
            ),
            3 => assert!(app.state.panels.alg2, "Algorithm 2 opens its pane"),
            7 => assert!(app.state.panels.surface, "the typed f opens in 3D"),
            _ => {}
        }
        h.key_press(Key::PageDown);
        h.run_steps(4);
    }
    assert_eq!(h.state().lesson().unwrap().index, 7, "the last demo stays");
}
