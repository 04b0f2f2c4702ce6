//! The 3D surface: the pane driven headless by egui_kittest (View →
//! Surface, orbiting the camera, θ scrubbing, every task family, File →
//! Export surface), and `teleport-lab FILE --export-surface OUT` and
//! `--animate OUT --surface [--orbit]` without a window.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test setup")]

mod common;

use common::svg::{compare, render_svg};
use common::{app_with, assert_success, harness, temp_dir, write_file};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use egui::{Modifiers, Pos2};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use image::AnimationDecoder as _;
use teleport_core::io::scene::ObjectiveSpec;
use teleport_core::objective::{GALLERY, Preset, TEST_FUNCTIONS, TaskDist, Vec2};
use teleport_core::plot::surface::{Camera, LineKind, Primitive, ZScale};
use teleport_lab::app::commands::UiCommand;
use teleport_lab::app::state::{AppState, LegendPlace, TaskSource};
use teleport_lab::app::{Action, TeleportApp};

const BIN: &str = env!("CARGO_BIN_EXE_teleport-lab");

/// A harness on the default demo with the surface pane open.
fn with_pane(name: &str) -> Harness<'static, TeleportApp> {
    let mut h = harness(app_with(&temp_dir(name)));
    h.state_mut().state.panels.surface = true;
    h.run_steps(3);
    assert!(h.state().surface().scene().is_some(), "the pane drew");
    h
}

/// Presses the primary button at `from`, moves by `by` in `steps` moves,
/// releases.
fn drag(h: &mut Harness<'_, TeleportApp>, from: Pos2, by: egui::Vec2, steps: usize) {
    let button = |pos, pressed| egui::Event::PointerButton {
        pos,
        button: egui::PointerButton::Primary,
        pressed,
        modifiers: Modifiers::NONE,
    };
    h.hover_at(from);
    h.step();
    h.event(button(from, true));
    h.step();
    for k in 1..=steps {
        h.hover_at(from + by * (k as f32 / steps as f32));
        h.step();
    }
    h.event(button(from + by, false));
    h.run_steps(2);
}

/// Whether every point a scene draws is finite.
fn finite_scene(scene: &teleport_core::plot::surface::SurfaceScene) -> bool {
    let ok = |p: &[f32; 2]| p.iter().all(|v| v.is_finite());
    scene.primitives.iter().all(|p| match p {
        Primitive::Polygon { points, .. } | Primitive::Polyline { points, .. } => {
            points.iter().all(ok)
        }
        Primitive::Marker { at, size, .. } => ok(at) && size.is_finite(),
        Primitive::Text { at, size, .. } => ok(at) && size.is_finite(),
    })
}

#[test]
fn view_surface_opens_the_pane_and_dragging_orbits_the_camera() {
    let mut h = harness(app_with(&temp_dir("open")));
    assert!(!h.state().state.panels.surface);
    h.get_by_label("View").click();
    h.run_steps(2);
    h.get_by_label(UiCommand::ToggleSurface.label()).click();
    h.run_steps(4);
    assert!(h.state().state.panels.surface, "View → Surface opens it");
    let rect = h
        .state()
        .surface()
        .rect()
        .expect("the pane drew its picture");
    assert!(rect.width() > 100.0 && rect.height() > 100.0, "{rect:?}");
    let scene = h.state().surface().scene().unwrap();
    assert_eq!(
        (scene.width, scene.height),
        (rect.width().round() as u32, rect.height().round() as u32),
        "the scene fills the picture"
    );
    assert_eq!(
        scene.facets.len(),
        64 * 64,
        "every facet of the default task"
    );
    assert!(finite_scene(scene));
    assert!(!h.state().surface().shapes().is_empty());
    let builds = h.state().surface().mesh_builds();

    // Dragging 60 points right and 20 up: the camera turns 0.5° a point,
    // the azimuth against the drag (the surface follows the pointer), the
    // elevation down as the pointer goes up.
    let before = h.state().state.surface.camera;
    assert_eq!(before, Camera::default());
    drag(&mut h, rect.center(), egui::vec2(60.0, -20.0), 6);
    let after = h.state().state.surface.camera;
    assert!(
        (after.azimuth_deg - (before.azimuth_deg - 30.0)).abs() < 1e-3,
        "azimuth {} after {}",
        after.azimuth_deg,
        before.azimuth_deg
    );
    assert!(
        (after.elevation_deg - (before.elevation_deg - 10.0)).abs() < 1e-3,
        "elevation {}",
        after.elevation_deg
    );
    // The scene is seen from the new camera, on the same mesh.
    let scene = h.state().surface().scene().unwrap();
    assert_eq!(scene.projection.camera().azimuth_deg, after.azimuth_deg);
    assert_eq!(h.state().surface().mesh_builds(), builds, "no new mesh");
    // The camera is not an undo step: Undo has nothing to take back.
    h.state_mut().run_ui_command(UiCommand::Undo);
    h.run_steps(2);
    assert_eq!(h.state().state.surface.camera, after);
    // (Undo took back the step before: opening the pane. Redo opens it
    // again, the camera still where it was dragged.)
    h.state_mut().run_ui_command(UiCommand::Redo);
    h.run_steps(3);
    assert!(h.state().state.panels.surface, "the pane is back");
    assert_eq!(h.state().state.surface.camera, after);

    // The wheel zooms in; a double-click resets the camera.
    h.hover_at(rect.center());
    h.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: egui::vec2(0.0, 100.0),
        phase: egui::TouchPhase::Move,
        modifiers: Modifiers::NONE,
        source: egui::MouseWheelSource::Wheel,
    });
    h.run_steps(10);
    assert!(
        h.state().state.surface.camera.zoom > 1.05,
        "zoom {}",
        h.state().state.surface.camera.zoom
    );
    // Both clicks in one frame: the harness gives each queued event a
    // frame of a quarter second, longer than egui waits for a second click.
    for pressed in [true, false, true, false] {
        h.input_mut().events.push(egui::Event::PointerButton {
            pos: rect.center(),
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: Modifiers::NONE,
        });
    }
    h.step();
    h.run_steps(2);
    assert_eq!(h.state().state.surface.camera, Camera::default());

    // A new height scale is a new mesh; the camera and the step are not.
    // (The pane opened again by Redo built its own mesh.)
    let builds = h.state().surface().mesh_builds();
    h.state_mut().state.playback.t += 3;
    h.run_steps(2);
    assert_eq!(h.state().surface().mesh_builds(), builds);
    h.state_mut().state.surface.z_scale = ZScale::Linear;
    h.run_steps(2);
    assert_eq!(h.state().surface().mesh_builds(), builds + 1);
    assert!(!h.state().surface().mesh().unwrap().heights().log);

    // Closing the tab closes the pane.
    h.state_mut().run_ui_command(UiCommand::ToggleSurface);
    h.run_steps(3);
    assert!(!h.state().state.panels.surface);
    assert!(h.query_by_label("Surface (3D)").is_none());
}

/// The rotation by θ of a point of the plane.
fn rotate(u: Vec2, theta: f64) -> Vec2 {
    let (s, c) = theta.sin_cos();
    Vec2::new(c * u.x - s * u.y, s * u.x + c * u.y)
}

#[test]
fn scrubbing_theta_moves_g_theta_along_the_ring_at_the_points_height() {
    let mut h = with_pane("theta");
    let read = |h: &Harness<'_, TeleportApp>| {
        let app = h.state();
        let lifted = app.surface().lifted().unwrap();
        let ring: Vec<[f64; 3]> = lifted
            .lines
            .iter()
            .filter(|l| l.kind == LineKind::Orbit)
            .flat_map(|l| l.runs.iter().flatten().copied())
            .collect();
        let image = lifted
            .markers
            .iter()
            .find(|m| m.name.as_deref() == Some("g_θ(x)"))
            .expect("g_θ(x) is marked")
            .at;
        (ring, image, app.state.theta)
    };
    let app = h.state();
    let obj = app.objective().clone();
    let x = app.current_point();
    let mesh = app.surface().mesh().unwrap();
    // The height the test expects: f at the current point, as the mesh's
    // height map reads f (log or not), computed here from the task.
    let z = mesh.heights().z_of_f(obj.f(&x)).unwrap();
    let (ring, image0, theta0) = read(&h);
    assert!(ring.len() > 100, "{} ring points", ring.len());
    for p in &ring {
        assert_eq!(p[2], z, "the ring lies at the point's height");
        // On the level set: ‖h‖ is ‖h(x)‖ (f = ‖h‖²), a check through h,
        // not through the orbit's own construction.
        let hp = obj.h(&Vec2::new(p[0], p[1])).norm();
        let hx = obj.h(&x).norm();
        assert!((hp - hx).abs() < 1e-6 * hx, "{hp} vs {hx}");
    }
    assert_eq!(image0[2], z, "g_θ(x) at the point's height");

    for _ in 0..40 {
        h.key_press(egui::Key::CloseBracket);
    }
    h.run_steps(2);
    let (ring1, image1, theta1) = read(&h);
    assert!((theta1 - theta0 - 40f64.to_radians()).abs() < 1e-9);
    assert_eq!(ring1, ring, "the ring does not move with θ");
    assert_eq!(image1[2], z, "g_θ(x) stays at the point's height");
    let moved = (image1[0] - image0[0]).hypot(image1[1] - image0[1]);
    assert!(moved > 0.1, "g_θ(x) moved {moved}");
    // g_θ(x) is h⁻¹(R_θ h(x)): h of it is h(x) turned by θ.
    let hx = obj.h(&x);
    let want = rotate(hx, theta1);
    let got = obj.h(&Vec2::new(image1[0], image1[1]));
    assert!(
        (got - want).norm() < 1e-6 * hx.norm(),
        "{got:?} vs {want:?}"
    );
    // The scene draws g_θ(x) where the projection puts that point.
    let scene = h.state().surface().scene().unwrap();
    let [sx, sy] = scene.projection.screen_from_world(image1);
    let drawn = scene.primitives.iter().any(|p| {
        matches!(p, Primitive::Marker { at, .. }
            if (f64::from(at[0]) - sx).abs() < 0.01 && (f64::from(at[1]) - sy).abs() < 0.01)
    });
    assert!(drawn, "no marker at ({sx}, {sy})");
}

#[test]
fn runs_are_lifted_to_their_f_and_teleports_are_horizontal() {
    let h = with_pane("lift");
    let app = h.state();
    let obj = app.objective().clone();
    let mesh = app.surface().mesh().unwrap();
    let z_of = |p: [f64; 2]| mesh.heights().z_of_f(obj.f(&Vec2::from(p)));
    let lifted = app.surface().lifted().unwrap();
    let runs = app.visible_runs();
    let (_, _, run) = runs
        .iter()
        .find(|(e, _, _)| e.label().contains("teleport (oracle"))
        .unwrap();
    // Every step of the run that is drawn sits at f there.
    let steps: Vec<[f64; 2]> = run.base.records.iter().map(|r| r.x).collect();
    let mut on_surface = 0;
    for line in lifted
        .lines
        .iter()
        .filter(|l| l.kind == LineKind::Trajectory)
    {
        for p in line.runs.iter().flatten() {
            if steps.contains(&[p[0], p[1]]) {
                assert_eq!(Some(p[2]), z_of([p[0], p[1]]));
                on_surface += 1;
            }
        }
    }
    assert!(on_surface > 10, "{on_surface} steps checked");
    // Every teleport is a level jump at the height of f where it started,
    // and f where it landed is the same (a teleport keeps f).
    let jumps: Vec<&Vec<[f64; 3]>> = lifted
        .lines
        .iter()
        .filter(|l| l.kind == LineKind::Jump)
        .flat_map(|l| &l.runs)
        .collect();
    let mut checked = 0;
    for rec in &run.base.records {
        let Some(from) = rec.from else { continue };
        let jump = jumps
            .iter()
            .find(|j| j[0][0] == from[0] && j[0][1] == from[1])
            .expect("each teleport in view is drawn");
        assert!(jump.iter().all(|p| p[2] == jump[0][2]), "a jump is level");
        assert_eq!(Some(jump[0][2]), z_of(from));
        let (f_from, f_to) = (obj.f(&Vec2::from(from)), obj.f(&Vec2::from(rec.x)));
        assert!(
            (f_from - f_to).abs() <= 1e-9 * f_from.abs(),
            "{f_from} vs {f_to}"
        );
        checked += 1;
    }
    assert!(checked >= 3, "{checked} teleports checked");
}

#[test]
fn every_task_family_draws_the_surface_without_nan() {
    let mut h = with_pane("families");
    h.state_mut().state.show.legend = LegendPlace::Hidden;
    let mut tasks: Vec<(String, TaskSource, [f64; 2])> = Preset::ALL
        .iter()
        .map(|p| {
            (
                p.name().to_owned(),
                TaskSource::Preset(*p),
                p.default_x0().into(),
            )
        })
        .collect();
    for dist in [TaskDist::ElliVary, TaskDist::RosVary] {
        tasks.push((
            format!("{dist} #3"),
            TaskSource::Sampled { dist, seed: 3 },
            [-2.0, 1.5],
        ));
    }
    let himmelblau = &TEST_FUNCTIONS[0];
    assert_eq!(himmelblau.name, "Himmelblau");
    tasks.push((
        "typed f (Himmelblau)".into(),
        TaskSource::Custom(ObjectiveSpec::Formula {
            f: himmelblau.f.to_owned(),
        }),
        himmelblau.x0,
    ));
    let spiral = &GALLERY[1];
    tasks.push((
        format!("typed h ({})", spiral.name),
        TaskSource::Custom(ObjectiveSpec::Custom {
            h: spiral.h.map(str::to_owned),
            h_inv: spiral.h_inv.map(|inv| inv.map(str::to_owned)),
        }),
        spiral.x0,
    ));
    for (name, source, x0) in tasks {
        let builds = h.state().surface().mesh_builds();
        h.state_mut().queue(Action::OpenTask(source, x0));
        h.run_steps(4);
        let app = h.state();
        assert!(
            app.surface().mesh_builds() > builds,
            "{name}: the task is a new mesh"
        );
        let scene = app.surface().scene().unwrap();
        assert!(finite_scene(scene), "{name}: a point is not finite");
        assert!(
            scene.facets.len() > 64 * 64 / 2,
            "{name}: {} facets",
            scene.facets.len()
        );
        for shape in app.surface().shapes() {
            let r = shape.visual_bounding_rect();
            assert!(
                r.is_negative() || (r.min.x.is_finite() && r.max.y.is_finite()),
                "{name}: a shape at {r:?}"
            );
        }
        // The current point is on the surface at its own f.
        let obj = app.objective();
        let x = app.current_point();
        let lifted = app.surface().lifted().unwrap();
        let point = lifted
            .markers
            .iter()
            .find(|m| m.name.as_deref() == Some("x (current point)"));
        if let Some(m) = point {
            let want = app.surface().mesh().unwrap().heights().z_of_f(obj.f(&x));
            assert_eq!(Some(m.at[2]), want, "{name}");
        }
        if name.contains("Himmelblau") {
            // All four global minima are marked (the legend is hidden, so
            // every cross is a minimum).
            let (lo, hi) = app.plot_view();
            let inside = himmelblau
                .minima
                .iter()
                .filter(|m| {
                    (lo[0]..=hi[0]).contains(&m.at[0]) && (lo[1]..=hi[1]).contains(&m.at[1])
                })
                .count();
            let crosses = scene
                .primitives
                .iter()
                .filter(|p| {
                    matches!(
                        p,
                        Primitive::Marker {
                            shape: teleport_core::plot::Marker::Cross,
                            ..
                        }
                    )
                })
                .count();
            assert!(inside >= 1, "the view shows a minimum");
            assert_eq!(crosses, inside, "every minimum in view is marked");
        }
    }
}

#[test]
fn file_export_surface_writes_the_pane_at_its_size() {
    let dir = temp_dir("app-export");
    let mut h = harness(app_with(&dir));
    h.state_mut().state.panels.surface = true;
    h.run_steps(3);
    h.get_by_label("File").click();
    h.run_steps(2);
    h.get_by_label(UiCommand::ExportSurfacePng.label()).click();
    h.run_steps(2);
    assert!(
        h.state().path_prompt().is_some(),
        "no Save as prompt: {:?}",
        h.state().notifications()
    );
    h.run_steps(2);
    h.get_by_label("Save").click();
    h.run_steps(2);
    let path = h.state().last_written().map(Path::to_path_buf).unwrap();
    assert_eq!(path, dir.join("surface.png"));
    let png = image::open(&path).unwrap();
    let rect = h.state().surface().rect().unwrap();
    assert_eq!(
        (png.width(), png.height()),
        (rect.width() as u32, rect.height() as u32)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_surface_settings_survive_the_state_and_lab_files() {
    let mut state = AppState::default();
    state.surface.camera.azimuth_deg = 12.5;
    state.surface.z_scale = ZScale::Log;
    state.surface.facets = 32;
    state.panels.surface = true;
    let text = ron::to_string(&state).unwrap();
    let back: AppState = ron::from_str(&text).unwrap();
    assert_eq!(back.surface, state.surface);
    assert!(back.panels.surface);
    // A state saved before the surface existed opens with the defaults.
    let old = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/state-before-row-ids.ron"),
    )
    .unwrap();
    let old: AppState = ron::from_str(&old).unwrap();
    assert_eq!(old.surface, AppState::default().surface);
    assert!(!old.panels.surface);

    // A lab file keeps them.
    let dir = temp_dir("lab");
    let mut app = app_with(&dir);
    app.state.surface = state.surface.clone();
    app.state.panels.surface = true;
    let lab = app.lab_file(true).unwrap();
    let path = write_file(&dir, "demo.json", serde_json::to_string(&lab).unwrap());
    let options = teleport_lab::app::Options {
        scene: Some(teleport_core::io::lab::load(&path).unwrap()),
        ..common::test_options(&dir)
    };
    let opened = TeleportApp::new(AppState::default(), &options);
    assert_eq!(opened.state.surface, state.surface);
    assert!(opened.state.panels.surface);
    std::fs::remove_dir_all(&dir).unwrap();
}

fn lab(dir: &Path, steps: usize) -> PathBuf {
    write_file(
        dir,
        "demo.json",
        format!(
            r#"{{"version": 2, "caption": "Teleporting on the ellipse",
              "objective": {{"family": "ellipse", "A": [[0.5, 0.0], [0.0, 3.0]], "b": [0.0, 0.0]}},
              "x0": [-5.0, 3.5], "steps": {steps},
              "optimizers": [
                {{"kind": "gd", "lr": 0.05}},
                {{"kind": "gd", "lr": 0.05, "teleport": {{"strategy": "oracle", "every": 5}}}}
              ]}}"#
        ),
    )
}

fn run(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn export(scene: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args: Vec<&std::ffi::OsStr> = vec![
        scene.as_os_str(),
        "--export-surface".as_ref(),
        out.as_os_str(),
    ];
    args.extend(extra.iter().map(|a| std::ffi::OsStr::new(*a)));
    run(&args)
}

#[test]
fn export_surface_writes_png_and_svg_that_agree_at_the_asked_size() {
    let dir = temp_dir("cli");
    let scene = lab(&dir, 20);
    let size = ["--size", "640x480"];
    let (png_path, svg_path, again) = (
        dir.join("surface.png"),
        dir.join("surface.svg"),
        dir.join("again.png"),
    );
    for path in [&png_path, &svg_path, &again] {
        assert_success(&export(&scene, path, &size));
    }
    let png_bytes = std::fs::read(&png_path).unwrap();
    assert_eq!(png_bytes, std::fs::read(&again).unwrap(), "deterministic");
    let png = image::load_from_memory(&png_bytes).unwrap().to_rgba8();
    assert_eq!((png.width(), png.height()), (640, 480));
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    let drawn = render_svg(&svg);
    assert_eq!((drawn.width(), drawn.height()), (640, 480));
    let (mean, close) = compare(drawn.data(), png.as_raw(), 32);
    // Measured: ≈ 0.17 and 99.8 %; glyph and facet edges are what differs.
    assert!(
        mean < 0.5 && close > 0.99,
        "mean {mean}, within 32: {close}"
    );
    // Not blank: the colour map and lines.
    let colours: std::collections::HashSet<&[u8]> = png.as_raw().chunks_exact(4).collect();
    assert!(colours.len() > 200, "{} colours", colours.len());
    assert!(
        svg.contains("Teleporting on the ellipse"),
        "the caption is the title"
    );

    // The camera flags turn the picture; an elevation past the top is
    // clamped to it.
    let turned = dir.join("turned.png");
    assert_success(&export(
        &scene,
        &turned,
        &["--size", "640x480", "--azimuth", "-150"],
    ));
    assert_ne!(std::fs::read(&turned).unwrap(), png_bytes);
    let (steep, top) = (dir.join("steep.png"), dir.join("top.png"));
    assert_success(&export(
        &scene,
        &steep,
        &["--size", "640x480", "--elevation", "120"],
    ));
    assert_success(&export(
        &scene,
        &top,
        &["--size", "640x480", "--elevation", "89"],
    ));
    assert_eq!(std::fs::read(&steep).unwrap(), std::fs::read(&top).unwrap());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The frames of an animation file.
fn frame_count(path: &Path) -> usize {
    let bytes = std::fs::read(path).unwrap();
    let cursor = std::io::Cursor::new(bytes);
    if path.extension().is_some_and(|e| e == "gif") {
        image::codecs::gif::GifDecoder::new(cursor)
            .unwrap()
            .into_frames()
            .count()
    } else {
        image::codecs::png::PngDecoder::new(cursor)
            .unwrap()
            .apng()
            .unwrap()
            .into_frames()
            .count()
    }
}

#[test]
fn animate_surface_writes_the_playback_or_one_turn() {
    let dir = temp_dir("animate");
    let steps = 8;
    let scene = lab(&dir, steps);
    let (play, turn) = (dir.join("play.gif"), dir.join("turn.png"));
    let out = run(&[
        scene.as_os_str(),
        "--animate".as_ref(),
        play.as_os_str(),
        "--surface".as_ref(),
        "--size".as_ref(),
        "240x180".as_ref(),
    ]);
    assert_success(&out);
    assert_eq!(frame_count(&play), steps + 1, "a frame per step");
    let out = run(&[
        scene.as_os_str(),
        "--animate".as_ref(),
        turn.as_os_str(),
        "--surface".as_ref(),
        "--orbit".as_ref(),
        "--size".as_ref(),
        "160x120".as_ref(),
    ]);
    assert_success(&out);
    assert_eq!(
        frame_count(&turn),
        teleport_lab::app::surface::ORBIT_FRAMES as usize
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_surface_input_is_one_line_and_writes_nothing() {
    let dir = temp_dir("bad");
    let scene = lab(&dir, 5);
    let cases: Vec<(Vec<std::ffi::OsString>, &str)> = vec![
        (
            vec!["--export-surface".into(), dir.join("s.pdf").into()],
            ".svg or .png",
        ),
        (
            vec!["--export-surface".into(), dir.join("no/such/s.png").into()],
            "does not exist",
        ),
        (
            vec![
                "--export-surface".into(),
                dir.join("s.png").into(),
                "--azimuth".into(),
                "nan".into(),
            ],
            "--azimuth",
        ),
        (
            vec![
                "--export-surface".into(),
                dir.join("s.png").into(),
                "--elevation=-inf".into(),
            ],
            "--elevation",
        ),
        (
            vec![
                "--animate".into(),
                dir.join("s.mp4").into(),
                "--surface".into(),
            ],
            ".gif or .png",
        ),
        (
            vec![
                "--animate".into(),
                dir.join("s.gif").into(),
                "--surface".into(),
                "--azimuth".into(),
                "inf".into(),
            ],
            "--azimuth",
        ),
    ];
    for (args, says) in cases {
        let mut all: Vec<std::ffi::OsString> = vec![scene.clone().into()];
        all.extend(args.iter().cloned());
        let refs: Vec<&std::ffi::OsStr> = all.iter().map(|a| a.as_os_str()).collect();
        let out = run(&refs);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    // `--orbit` needs `--surface`: a usage error.
    let out = run(&[
        scene.as_os_str(),
        "--animate".as_ref(),
        dir.join("s.gif").as_os_str(),
        "--orbit".as_ref(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "only the lab file: {names:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}
