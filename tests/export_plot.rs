//! `teleport-lab FILE --export-plot OUT.svg|OUT.png` and File → Export plot
//! as SVG: the SVG (text as text) rendered by resvg matches the PNG of the
//! same scene, and holds the plot's labels as text.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test setup")]

mod common;

use common::svg::{compare, render_svg};
use common::{assert_success, temp_dir, write_file};

use std::path::{Path, PathBuf};
use std::process::Command;

use egui_kittest::kittest::Queryable as _;
use teleport_lab::app::commands::UiCommand;
use teleport_lab::app::state::AppState;
use teleport_lab::app::{Options, TeleportApp};

const BIN: &str = env!("CARGO_BIN_EXE_teleport-lab");

fn lab(dir: &Path) -> PathBuf {
    write_file(
        dir,
        "demo.json",
        r#"{"version": 2, "caption": "Teleporting on the ellipse",
            "objective": {"family": "ellipse", "A": [[0.5, 0.0], [0.0, 3.0]], "b": [0.0, 0.0]},
            "x0": [-5.0, 3.5], "steps": 20,
            "optimizers": [
              {"kind": "gd", "lr": 0.05, "label": "plain <GD> & co"},
              {"kind": "gd", "lr": 0.05, "teleport": {"strategy": "oracle", "every": 5}},
              {"kind": "learned", "variant": "l2o", "weights": "pretrained"}
            ]}"#,
    )
}

fn export(scene: &Path, out: &Path, size: &str) -> std::process::Output {
    Command::new(BIN)
        .arg(scene)
        .arg("--export-plot")
        .arg(out)
        .args(["--size", size])
        .output()
        .unwrap()
}

/// Every `<text>` element's characters, in document order.
fn texts(svg: &str) -> String {
    let mut options = resvg::usvg::Options::default();
    options
        .fontdb_mut()
        .load_font_data(epaint_default_fonts::UBUNTU_LIGHT.to_vec());
    let tree = resvg::usvg::Tree::from_str(svg, &options).unwrap();
    fn walk(group: &resvg::usvg::Group, out: &mut String) {
        for node in group.children() {
            match node {
                resvg::usvg::Node::Group(g) => walk(g, out),
                resvg::usvg::Node::Text(t) => {
                    for chunk in t.chunks() {
                        out.push_str(chunk.text());
                        out.push('\n');
                    }
                }
                _ => {}
            }
        }
    }
    let mut out = String::new();
    walk(tree.root(), &mut out);
    out
}

#[test]
fn the_svg_export_draws_what_the_png_export_draws_with_text_as_text() {
    let dir = temp_dir("cli");
    let scene = lab(&dir);
    let (svg_path, png_path) = (dir.join("plot.svg"), dir.join("plot.png"));
    for path in [&svg_path, &png_path] {
        let out = export(&scene, path, "960x640");
        assert_success(&out);
    }
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    let png = image::open(&png_path).unwrap().to_rgba8();
    assert_eq!((png.width(), png.height()), (960, 640));
    let drawn = render_svg(&svg);
    assert_eq!((drawn.width(), drawn.height()), (960, 640));
    // tiny-skia stores premultiplied colours; the figure is opaque.
    let (a, b) = (drawn.data(), png.as_raw());
    let (mean, close) = compare(a, b, 32);
    // Measured: ≈ 0.1 and 99.98 %; glyph edges are what differs.
    assert!(
        mean < 0.5 && close > 0.995,
        "mean {mean}, within 32: {close}"
    );
    // The figure is not blank: lines and a colour map.
    let colours: std::collections::HashSet<&[u8]> = b.chunks_exact(4).collect();
    assert!(colours.len() > 200, "{} colours", colours.len());

    let text = texts(&svg);
    for want in [
        "Teleporting on the ellipse",
        "plain <GD> & co",
        "GD lr=0.05 + teleport (oracle, every 5)",
        "L2O",
        "x₀",
    ] {
        assert!(
            text.contains(want),
            "`{want}` is not text in the SVG:\n{text}"
        );
    }
    assert!(
        svg.contains("plain &lt;GD&gt; &amp; co"),
        "escaped in the file"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_bad_export_path_or_scene_is_a_clear_error_and_writes_nothing() {
    let dir = temp_dir("bad");
    let scene = lab(&dir);
    let pdf = dir.join("plot.pdf");
    let out = export(&scene, &pdf, "960x640");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains(".svg or .png"));
    let missing = dir.join("no/such/folder/plot.svg");
    let out = export(&scene, &missing, "960x640");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
    let broken = dir.join("broken.json");
    std::fs::write(&broken, "{\"version\": 2").unwrap();
    let out = export(&broken, &dir.join("plot.svg"), "960x640");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
    let out = export(&scene, &dir.join("plot.svg"), "10x10");
    assert_eq!(out.status.code(), Some(2), "sides under 64 pixels");
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "only the two scenes: {names:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn file_export_plot_as_svg_writes_the_plot_on_screen() {
    let dir = temp_dir("app");
    let scene = teleport_core::io::lab::load(&lab(&dir)).unwrap();
    let options = Options {
        scene: Some(scene),
        export_dir: Some(dir.clone()),
        dialogs: false,
        fresh: true,
        ..Options::default()
    };
    let app = TeleportApp::new(AppState::default(), &options);
    let mut h = egui_kittest::Harness::builder()
        .with_size(egui::vec2(1440.0, 900.0))
        .with_context_setup(teleport_lab::app::install_fonts)
        .build_ui_state(|ui, app: &mut TeleportApp| app.ui_body(ui), app);
    h.run_steps(4);
    h.state_mut().run_ui_command(UiCommand::ExportPlotSvg);
    h.run_steps(2);
    // No dialog: the Save as prompt suggests the export folder; accept it.
    assert!(
        h.state().path_prompt().is_some(),
        "no Save as prompt: {:?}",
        h.state().notifications()
    );
    h.run_steps(1);
    h.get_by_label("Save").click();
    h.run_steps(2);
    let path = h
        .state()
        .last_written()
        .map(Path::to_path_buf)
        .expect("a file was written");
    assert_eq!(path, dir.join("level-set.svg"));
    let svg = std::fs::read_to_string(&path).unwrap();
    // The size of the plot on screen, and the view drawn there.
    let rect = h.state().level_set().plot_rect.unwrap();
    let drawn = render_svg(&svg);
    assert_eq!(drawn.width(), rect.width() as u32);
    let text = texts(&svg);
    assert!(
        text.contains("plain <GD> & co") && text.contains("L2O"),
        "{text}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
