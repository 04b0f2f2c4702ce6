//! The paths the web build takes, driven natively: files that arrive as
//! contents (picked or dropped in a browser), a demo in a `#lab=` link,
//! the shipped weights arriving late, and which commands each build offers.
//! (`web/test.mjs` loads the real web build in Chromium.)

mod common;
use common::{app_with, error_texts, harness, temp_dir};

use egui_kittest::kittest::Queryable as _;
use teleport_core::io::weights::{WeightsInfo, to_bytes};
use teleport_core::l2o::Variant;
use teleport_core::pretrained::Family;
use teleport_lab::app::commands::UiCommand;
use teleport_lab::app::inbox::Arrival;
use teleport_lab::app::state::EntryKind;

const LAB: &str = r#"{"version": 2, "caption": "From the browser",
    "objective": {"family": "ellipse", "A": [[1.0, 0.0], [0.0, 4.0]], "b": [0.0, 0.0]},
    "x0": [2.5, -1.5], "steps": 30,
    "optimizers": [{"kind": "gd", "lr": 0.05, "label": "plain GD"},
                   {"kind": "adam", "lr": 0.1, "label": "Adam from a file"}]}"#;

fn labels(app: &teleport_lab::app::TeleportApp) -> Vec<String> {
    app.state
        .optimizers
        .iter()
        .zip(app.state.row_labels())
        .filter(|(row, _)| row.enabled)
        .map(|(_, label)| label)
        .collect()
}

fn last_error(app: &teleport_lab::app::TeleportApp) -> Option<String> {
    app.notifications()
        .iter()
        .rev()
        .find(|n| n.error)
        .map(|n| n.text.clone())
}

#[test]
fn a_file_given_as_contents_opens_like_a_file_on_disk() {
    let dir = temp_dir("browser-file");
    let mut h = harness(app_with(&dir));
    h.state().deliver(Arrival::File {
        name: "demo.json".into(),
        bytes: LAB.as_bytes().to_vec(),
    });
    h.run_steps(3);
    let app = h.state();
    assert_eq!(app.state.x0, [2.5, -1.5]);
    assert_eq!(app.state.caption.as_deref(), Some("From the browser"));
    assert_eq!(labels(app), ["plain GD", "Adam from a file"]);
    let before = app.state.clone();

    // Bad contents are reported by name and change nothing.
    for (name, bytes, says) in [
        (
            "broken.json",
            b"{\"version\": 2, \"x0\": [1".to_vec(),
            "broken.json",
        ),
        ("latin1.json", vec![0xff, 0xfe, b'{'], "not UTF-8"),
        (
            "weights.safetensors",
            b"not weights".to_vec(),
            "weights.safetensors",
        ),
    ] {
        h.state().deliver(Arrival::File {
            name: name.into(),
            bytes,
        });
        h.run_steps(2);
        let error = last_error(h.state()).unwrap_or_default();
        assert!(error.contains(says), "{name}: {error:?}");
        assert_eq!(h.state().state, before, "{name} changed the state");
    }

    // Weights as contents load into a live row that runs.
    let model = common::small_model(Variant::L2oTele, 3);
    let bytes = to_bytes(&model, &WeightsInfo::default()).unwrap();
    h.state().deliver(Arrival::File {
        name: "mine.safetensors".into(),
        bytes,
    });
    h.run_steps(3);
    let app = h.state();
    let live = app
        .state
        .optimizers
        .iter()
        .find(|r| r.kind == EntryKind::Live(Variant::L2oTele) && r.enabled);
    assert!(
        live.is_some_and(|r| app.run(r.id).is_some()),
        "no live row with a run"
    );
}

#[test]
fn a_link_carries_its_demo_and_a_broken_one_changes_nothing() {
    let dir = temp_dir("browser-link");
    let mut h = harness(app_with(&dir));
    let before = h.state().state.clone();
    // What "Copy link" makes and the page reads back, compressed or not.
    let fragment = format!("#{}", teleport_core::io::link::fragment(LAB));
    let json = teleport_core::io::link::from_fragment(&fragment)
        .unwrap()
        .unwrap();
    h.state().deliver(Arrival::Link(Ok(json)));
    h.run_steps(3);
    assert_eq!(labels(h.state()), ["plain GD", "Adam from a file"]);
    assert_eq!(h.state().state.x0, [2.5, -1.5]);

    let shown = h.state().state.clone();
    let broken = teleport_core::io::link::from_fragment("#lab=%%%").map(|_| String::new());
    h.state()
        .deliver(Arrival::Link(broken.map_err(|e| e.to_string())));
    h.run_steps(2);
    assert!(last_error(h.state()).is_some_and(|e| e.contains("link")));
    assert_eq!(h.state().state, shown);
    assert_ne!(shown, before);
}

#[test]
fn shipped_weights_of_the_wrong_variant_are_refused() {
    let dir = temp_dir("browser-shipped");
    let mut h = harness(app_with(&dir));
    let row = h
        .state()
        .state
        .optimizers
        .iter()
        .find(|r| r.kind == EntryKind::Learned(Variant::L2o) && r.enabled)
        .map(|r| r.id)
        .expect("the default rows include L2O");
    let run_before = h.state().run(row).map(|r| r.base.records.len());
    let wrong = to_bytes(
        &common::small_model(Variant::LrTele, 1),
        &WeightsInfo::default(),
    )
    .unwrap();
    h.state().deliver(Arrival::Shipped {
        variant: Variant::L2o,
        family: Family::Ellipse,
        bytes: Ok(wrong),
    });
    h.state().deliver(Arrival::Shipped {
        variant: Variant::L2oTele,
        family: Family::Ellipse,
        bytes: Err("HTTP 404".into()),
    });
    h.run_steps(2);
    let errors = error_texts(h.state());
    assert!(
        errors.iter().any(|e| e.contains("lr-tele model")),
        "{errors:?}"
    );
    assert!(errors.iter().any(|e| e.contains("HTTP 404")), "{errors:?}");
    assert_eq!(
        h.state().run(row).map(|r| r.base.records.len()),
        run_before,
        "the shipped L2O row lost its run"
    );
}

#[test]
fn the_file_menu_offers_every_export_this_build_has() {
    // The desktop: animations and lessons, no link (it has no address).
    assert!(UiCommand::ExportAnimation.available());
    assert!(UiCommand::OpenLesson.available());
    assert!(!UiCommand::CopyLink.available());
    let dir = temp_dir("browser-menu");
    let mut h = harness(app_with(&dir));
    h.get_by_label("File").click();
    h.run_steps(2);
    for command in [
        UiCommand::Open,
        UiCommand::SaveLab,
        UiCommand::ScreenshotWindow,
        UiCommand::ScreenshotPlot,
        UiCommand::ExportTrajectories,
        UiCommand::ExportPlotSvg,
        UiCommand::ExportAnimation,
        UiCommand::ResetDefaults,
    ] {
        assert!(
            h.query_by_label_contains(command.label()).is_some(),
            "File has no {:?}",
            command.label()
        );
    }
    assert!(
        h.query_by_label_contains(UiCommand::CopyLink.label())
            .is_none()
    );
}
