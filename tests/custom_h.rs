//! Your own h in the app: the formula editor, the gallery and fold
//! shading, driven headless by egui_kittest.
#![allow(clippy::unwrap_used, reason = "test helpers panic on setup failures")]

mod common;

use common::{assert_success, temp_dir, write_file};

use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use teleport_core::io::scene::ObjectiveSpec;
use teleport_core::objective::{Custom, GALLERY, Objective, Vec2};
use teleport_lab::app::TeleportApp;
use teleport_lab::app::commands::UiCommand;

fn harness(name: &str) -> Harness<'static, TeleportApp> {
    common::harness(common::app_with(&temp_dir(name)))
}

fn custom(h: [&str; 2]) -> Objective {
    Objective::Custom(std::sync::Arc::new(Custom::new(h, None).unwrap()))
}

/// Replaces the text of the field labelled `label` by typing.
fn retype(h: &mut Harness<'_, TeleportApp>, label: &str, text: &str) {
    h.get_by_label(label).click();
    h.run_steps(1);
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.get_by_label(label).type_text(text);
    h.run_steps(4);
}

#[test]
fn typing_a_formula_redraws_the_plot_and_a_typo_keeps_the_last_task() {
    let mut h = harness("typing");
    h.get_by_label("your h").click();
    h.run_steps(4);
    // "your h" opens the gallery's first example from its start point.
    let first = &GALLERY[0];
    assert_eq!(h.state().state.x0, first.x0);
    assert_eq!(*h.state().objective(), first.objective().unwrap());
    let lines_before = h.state().level_set().lines.clone();
    let row = h.state().state.optimizers[0].id;
    // Its h⁻¹ is known in closed form; a new h needs Newton's instead.
    h.get_by_label("I know h⁻¹").click();
    h.run_steps(2);

    retype(&mut h, "The second component of h.", "y - 0.5*sin(x)");
    let want = custom(["x + 0.5*y^3", "y - 0.5*sin(x)"]);
    assert_eq!(*h.state().objective(), want, "the typed h is the task");
    assert!(h.state().task_error().is_none());
    assert_ne!(
        h.state().level_set().lines,
        lines_before,
        "the contours follow"
    );
    let x0 = Vec2::from(h.state().state.x0);
    let run = &h.state().run(row).unwrap().base;
    assert_eq!(run.records[0].f, want.f(&x0), "and so do the runs");

    // A typo: flagged at its field with the column, the last task stays.
    retype(&mut h, "The second component of h.", "y - 0.5*sin(x");
    let error = h.state().task_error().unwrap_or_default();
    assert!(
        error.contains("h[1]") && error.contains("column"),
        "{error}"
    );
    assert_eq!(*h.state().objective(), want);
    assert!(
        h.query_by_label_contains("keeping the last valid task")
            .is_some()
    );
    // Fixing it clears the error.
    retype(&mut h, "The second component of h.", "y - 0.25*sin(x)");
    assert!(h.state().task_error().is_none());
    assert_eq!(
        *h.state().objective(),
        custom(["x + 0.5*y^3", "y - 0.25*sin(x)"])
    );
}

#[test]
fn every_gallery_example_draws_without_folds_and_its_runs_are_finite() {
    let mut h = harness("gallery");
    h.get_by_label("your h").click();
    h.run_steps(2);
    for (i, entry) in GALLERY.iter().enumerate() {
        h.state_mut().show_gallery_entry(i);
        h.run_steps(4);
        let app = h.state();
        assert_eq!(
            *app.objective(),
            entry.objective().unwrap(),
            "{}",
            entry.name
        );
        assert!(
            app.level_set().fold_cells.is_empty(),
            "{} folds",
            entry.name
        );
        assert!(
            !app.level_set().lines.is_empty(),
            "{}: no contours",
            entry.name
        );
        // The entry's view, widened along one axis to the plot's shape.
        let (min, max) = app.level_set().view.unwrap();
        let [want_min, want_max] = entry.view;
        for k in 0..2 {
            assert!(
                min[k] <= want_min[k] + 1e-9 && max[k] >= want_max[k] - 1e-9,
                "{}: view {min:?}..{max:?} misses {:?}",
                entry.name,
                entry.view
            );
        }
        let gd = &app.run(app.state.optimizers[0].id).unwrap().base;
        assert!(
            gd.records.iter().all(|r| r.f.is_finite()),
            "{}: GD is not finite",
            entry.name
        );
    }
}

#[test]
fn a_folding_h_is_shaded_and_said_above_the_plot() {
    let mut h = harness("fold");
    h.state_mut().edit_custom(ObjectiveSpec::Custom {
        h: ["x^2 - 0.5*x".into(), "y".into()],
        h_inv: None,
    });
    h.state_mut().state.x0 = [1.0, 1.0];
    h.state_mut().run_ui_command(UiCommand::ResetView);
    h.run_steps(4);
    assert!(matches!(h.state().objective(), Objective::Custom(_)));
    let cells = h.state().level_set().fold_cells.clone();
    assert!(
        !cells.is_empty(),
        "det J = 2x − 0.5 changes sign at x = 0.25; error {:?}, view {:?}",
        h.state().task_error(),
        h.state().level_set().view
    );
    // Every shaded cell straddles the fold line x = 0.25.
    for cell in &cells {
        let (lo, hi) = cell
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
                (lo.min(p[0]), hi.max(p[0]))
            });
        assert!(lo <= 0.25 && hi >= 0.25, "{cell:?}");
    }
    assert!(h.query_by_label_contains("h folds in this view").is_some());
    // A closed-form task never folds.
    h.state_mut().edit_custom(ObjectiveSpec::Ellipse {
        a: [[0.5, 0.0], [0.0, 3.0]],
        b: [0.0, 0.0],
    });
    h.run_steps(3);
    assert!(h.state().level_set().fold_cells.is_empty());
    assert!(h.query_by_label_contains("h folds in this view").is_none());
}

#[test]
fn train_task_file_meta_trains_on_a_typed_h_and_refuses_a_bad_file() {
    let dir = temp_dir("train");
    let task = write_file(
        &dir,
        "task.json",
        r#"{"version": 2, "objective": {"family": "custom", "h": ["x + 0.5*y^3", "y - 0.2*sin(x)"]},
            "x0": [1.0, 1.0], "steps": 10, "optimizers": [{"kind": "gd", "lr": 0.05}]}"#,
    );
    let out = dir.join("mine.safetensors");
    let train = |task: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_teleport-lab"))
            .args([
                "train",
                "--variant",
                "l2o-tele",
                "--trajectories",
                "4",
                "--steps",
                "6",
            ])
            .args(["--unroll", "3", "--hidden", "8", "--task"])
            .arg(task)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap()
    };
    let run = train(&task);
    assert_success(&run);
    let (model, _) = teleport_core::io::weights::load(&out).unwrap();
    assert_eq!(model.variant(), teleport_core::l2o::Variant::L2oTele);
    // The trained model runs on the typed h from the file's x₀.
    let obj = custom(["x + 0.5*y^3", "y - 0.2*sin(x)"]);
    let run = model.trajectory(&obj, Vec2::new(1.0, 1.0), 6);
    assert_eq!(run.records.len(), 7);
    assert!(run.records.iter().all(|r| r.f.is_finite()));

    std::fs::remove_file(&out).unwrap();
    let bad = write_file(
        &dir,
        "bad.json",
        r#"{"version": 2, "objective": {"family": "custom", "h": ["x + sin(", "y"]},
            "x0": [1.0, 1.0], "steps": 10, "optimizers": []}"#,
    );
    let run = train(&bad);
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("--task") && stderr.contains("h[0]"),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing written");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The θ plot's curve comes from one walk around the orbit; it must equal
/// teleporting to each angle separately.
#[test]
fn the_theta_curve_from_one_orbit_walk_equals_teleporting_to_each_angle() {
    use teleport_core::symmetry::grad_norm_at;
    use teleport_lab::app::side_plots::theta_curve;
    let spiral = GALLERY[1].objective().unwrap();
    let ellipse = teleport_core::objective::Preset::ElliFixed.objective();
    for (obj, x, tol) in [
        (&ellipse, Vec2::new(-5.0, 3.5), 1e-12),
        (&spiral, Vec2::new(1.5, 0.5), 1e-7),
    ] {
        let curve = theta_curve(obj, &x);
        assert_eq!(curve.len(), 241);
        assert_eq!(curve[0][0], -std::f64::consts::PI);
        for &[theta, norm] in &curve {
            let want = grad_norm_at(obj, &x, theta);
            assert!(
                (norm - want).abs() <= tol * want.max(1.0),
                "θ = {theta}: {norm} vs {want}"
            );
        }
    }
}

/// *your f* opens Himmelblau's function typed as f (checked against the
/// formula written out here); scrubbing θ moves g_θ(x) along the level
/// curve — f kept, ‖∇f‖ changing — and θ*'s ‖∇f‖ is the largest of them;
/// the gallery opens every classic test function at its own start point,
/// each with finite runs and no error.
#[test]
fn your_f_keeps_f_along_theta_and_opens_every_test_function() {
    use teleport_core::objective::TEST_FUNCTIONS;
    use teleport_core::symmetry::teleport;
    let mut h = harness("your-f");
    h.get_by_label("your f").click();
    h.run_steps(4);
    let obj = h.state().objective().clone();
    let x0 = Vec2::from(h.state().state.x0);
    let himmelblau = |p: &Vec2| (p.x * p.x + p.y - 11.0).powi(2) + (p.x + p.y * p.y - 7.0).powi(2);
    let f0 = himmelblau(&x0);
    assert!(
        (obj.f(&x0) - f0).abs() <= 1e-12 * f0.max(1.0),
        "Himmelblau typed as f"
    );
    let mut norms = Vec::new();
    for k in 1..=12 {
        let theta = f64::from(k) * 0.5;
        h.state_mut().state.theta = theta;
        h.run_steps(1);
        let y = teleport(&obj, &x0, theta);
        assert!(
            (himmelblau(&y) - f0).abs() <= 1e-6 * f0.max(1.0),
            "θ = {theta}: f {} vs {f0}",
            himmelblau(&y)
        );
        norms.push(obj.grad(&y).norm());
    }
    let (lo, hi) = norms.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), n| {
        (lo.min(*n), hi.max(*n))
    });
    assert!(
        hi - lo > 1e-2 * hi,
        "‖∇f‖ changes along the curve: {norms:?}"
    );
    let star = h.state().oracle().grad_norm;
    assert!(star >= hi * (1.0 - 1e-9), "θ*: {star} below a sampled {hi}");
    for t in TEST_FUNCTIONS.iter() {
        h.get_all_by_role(egui::accesskit::Role::ComboBox)
            .find(|n| format!("{n:?}").contains("gallery: classic test functions"))
            .unwrap()
            .click();
        h.run_steps(2);
        h.get_by_label(t.name).click();
        h.run_steps(4);
        let app = h.state();
        assert!(
            app.task_error().is_none(),
            "{}: {:?}",
            t.name,
            app.task_error()
        );
        assert_eq!(app.state.x0, t.x0, "{} opens at its start", t.name);
        assert!(
            common::error_texts(app).is_empty(),
            "{}: {:?}",
            t.name,
            common::error_texts(app)
        );
        for (_, name, run) in app.visible_runs() {
            assert!(
                run.base
                    .records
                    .iter()
                    .all(|r| r.x.iter().all(|v| v.is_finite())),
                "{}: {name} left the plane",
                t.name
            );
        }
    }
}
