//! The SVG export against the PNG export of the same figures: rendered with
//! resvg (same embedded fonts), the two must match closely; the SVG keeps
//! text as text, escapes it, skips unshowable points and is deterministic.

#![allow(clippy::expect_used, clippy::unwrap_used, reason = "tests")]

mod common;

use common::svg::{compare, render_svg};

use teleport_core::objective::{Preset, Vec2};
use teleport_core::plot::{
    Arrow, Band, Chart, Color, Figure, HLine, LevelSetPlot, LevelSetRow, Line, Marker, Markers,
    Orbit, PALETTE, Text,
};
use teleport_core::symmetry::orbit;

/// The level-set plot with every layer: colour map, contours, two rows (one
/// with dashed teleport jumps), the orbit, x₀, the current point, the
/// minimizer and the legend.
fn level_set_figure() -> Figure {
    let obj = Preset::ElliFixed.objective();
    let mut plot = LevelSetPlot::new(obj.clone(), (-6.0, 6.0), (-4.5, 4.5));
    plot.title = "Level sets of f, ‖∇f‖^2 and 10^{-3}".into();
    plot.width = 800;
    plot.height = 560;
    let gd: Vec<[f64; 2]> = (0..12)
        .map(|t| {
            let k = 0.8f64.powi(t);
            [
                -5.0 * k,
                3.5 * k * (-0.6f64).powi(t).signum() * 0.6f64.powi(t).sqrt(),
            ]
        })
        .collect();
    plot.rows.push(LevelSetRow {
        name: "GD".into(),
        color: PALETTE[0],
        points: gd,
        jumps: vec![],
        shown: true,
    });
    plot.rows.push(LevelSetRow {
        name: "GD + teleport".into(),
        color: PALETTE[1],
        points: vec![
            [-5.0, 3.5],
            [-4.6, 2.0],
            [f64::NAN, f64::NAN],
            [-1.5, 0.5],
            [-0.8, 0.2],
        ],
        jumps: vec![[[-4.6, 2.0], [-1.5, 0.5]]],
        shown: true,
    });
    plot.rows.push(LevelSetRow {
        name: "hidden row".into(),
        color: PALETTE[2],
        points: vec![[0.0, 0.0], [1.0, 1.0]],
        jumps: vec![],
        shown: false,
    });
    let x = Vec2::new(-1.5, 0.5);
    plot.current = Some(Orbit {
        point: [x.x, x.y],
        ring: orbit(&obj, &x, 128).iter().map(|p| [p.x, p.y]).collect(),
        image: Some([1.2, -0.6]),
    });
    plot.x0 = Some([-5.0, 3.5]);
    let m = obj.minimizer();
    plot.minimizer = Some([m.x, m.y]);
    plot.figure()
}

/// A log-y chart with a band, solid and dashed lines, a reference line, an
/// arrow, markers and text.
fn log_chart_figure() -> Figure {
    let steps: Vec<f64> = (0..60).map(f64::from).collect();
    let decay = |r: f64| steps.iter().map(move |&t| [t, 30.0 * r.powf(t)]);
    let chart = Chart::new("Loss on ellipse objectives", "iteration", "f(x) − f*")
        .log_y()
        .push(
            Band::new(
                "L2O ± 1σ",
                steps.clone(),
                decay(0.9).map(|p| p[1] * 0.5).collect(),
                decay(0.9).map(|p| p[1] * 2.0).collect(),
            )
            .color(PALETTE[1]),
        )
        .push(
            Line::new("GD", decay(0.95).collect())
                .color(PALETTE[0])
                .width(2.0),
        )
        .push(
            Line::new("L2O + teleport", decay(0.9).collect())
                .color(PALETTE[1])
                .width(2.0)
                .dashed(),
        )
        .push(HLine::new("tolerance", 1e-2).color(Color::GRAY).dashed())
        .push(
            Arrow::new("teleport", [10.0, 1e-2], [25.0, 1e-1])
                .color(PALETTE[3])
                .width(2.0),
        )
        .push(
            Markers::new("restarts", vec![[20.0, 1.0], [40.0, 0.05]])
                .color(PALETTE[2])
                .size(8.0),
        )
        .push(Text::new([45.0, 3.0], "x*"));
    Figure {
        width: 700,
        height: 450,
        title: Some("A log axis".into()),
        panels: vec![chart],
    }
}

fn svg_matches_png(name: &str, figure: &Figure) -> (f64, f64) {
    let png = figure.render().expect("renders");
    let svg = figure.to_svg().expect("exports");
    let drawn = render_svg(&svg);
    assert_eq!(
        (drawn.width(), drawn.height()),
        (figure.width, figure.height)
    );
    if let Ok(dir) = std::env::var("SVG_EXPORT_DUMP") {
        std::fs::write(format!("{dir}/{name}.svg"), &svg).unwrap();
        std::fs::write(format!("{dir}/{name}.png"), figure.to_png().unwrap()).unwrap();
        drawn.save_png(format!("{dir}/{name}_resvg.png")).unwrap();
        let mut diff = drawn.clone();
        for (d, (a, b)) in diff
            .pixels_mut()
            .iter_mut()
            .zip(png.pixels().iter().zip(drawn.pixels()))
        {
            let c = |x: u8, y: u8| 255 - (x.abs_diff(y)).saturating_mul(4);
            *d = resvg::tiny_skia::PremultipliedColorU8::from_rgba(
                c(a.red(), b.red()),
                c(a.green(), b.green()),
                c(a.blue(), b.blue()),
                255,
            )
            .unwrap();
        }
        diff.save_png(format!("{dir}/{name}_diff.png")).unwrap();
    }
    let (mean, close) = compare(png.data(), drawn.data(), 32);
    eprintln!(
        "{name}: mean |Δ| = {mean:.3} per channel, {:.2}% of pixels within 32",
        close * 100.0
    );
    (mean, close)
}

/// Measured with resvg 0.45: a mean difference of 0.08–0.09 per channel and
/// 99.98 % of pixels within 32, all of it in the anti-aliasing of glyph edges
/// (ab_glyph's coverage against tiny-skia filling the outlines, with kerning)
/// and the colour map's resampling. Text at the wrong size (CSS em against
/// ab_glyph's height scale) measured 1.1 and 98.8 %, a title shaped in the
/// wrong font 0.40 and 99.7 %: the bounds sit between.
const MEAN_BOUND: f64 = 0.25;
const CLOSE_BOUND: f64 = 0.998;

/// The figure's SVG, rendered by resvg, is within the bounds of its PNG.
fn assert_svg_renders_like_the_png(name: &str, figure: &Figure) {
    let (mean, close) = svg_matches_png(name, figure);
    assert!(
        mean < MEAN_BOUND && close > CLOSE_BOUND,
        "{name}: mean {mean}, close {close}"
    );
}

#[test]
fn level_set_svg_renders_like_the_png() {
    assert_svg_renders_like_the_png("level_set", &level_set_figure());
}

#[test]
fn log_chart_svg_renders_like_the_png() {
    assert_svg_renders_like_the_png("log_chart", &log_chart_figure());
}

/// Fails unless one of `texts` is `label`.
fn assert_text(texts: &[String], label: &str) {
    assert!(
        texts.iter().any(|t| t == label),
        "{label:?} not in {texts:?}"
    );
}

/// The text of every `<text>` element, as resvg's parser reads it (chunks joined).
fn parsed_texts(svg: &str) -> Vec<String> {
    fn walk(group: &resvg::usvg::Group, out: &mut Vec<String>) {
        for node in group.children() {
            match node {
                resvg::usvg::Node::Group(g) => walk(g, out),
                resvg::usvg::Node::Text(t) => {
                    out.push(t.chunks().iter().map(|c| c.text()).collect());
                }
                _ => {}
            }
        }
    }
    let mut options = resvg::usvg::Options::default();
    options
        .fontdb_mut()
        .load_font_data(epaint_default_fonts::UBUNTU_LIGHT.to_vec());
    let tree = resvg::usvg::Tree::from_str(svg, &options).expect("the SVG parses");
    let mut out = vec![];
    walk(tree.root(), &mut out);
    out
}

#[test]
fn labels_stay_text() {
    let svg = level_set_figure().to_svg().unwrap();
    let texts = parsed_texts(&svg);
    for label in [
        "Level sets of f, ‖∇f‖2 and 10-3",
        "GD",
        "GD + teleport",
        "x₀",
        "minimum",
        "orbit (level set of x)",
        "g_θ(x)",
        "x",
        "y",
        "-4",
        "0",
        "6",
    ] {
        assert_text(&texts, label);
    }
    assert!(
        !texts.iter().any(|t| t == "hidden row"),
        "a hidden row has no entry"
    );
    // The superscript is a smaller, raised tspan.
    assert!(
        svg.contains(r#"font-size="9.99" dy="-7.2">2</tspan>"#),
        "{svg}"
    );
    let log = log_chart_figure().to_svg().unwrap();
    let texts = parsed_texts(&log);
    for label in [
        "A log axis",
        "Loss on ellipse objectives",
        "iteration",
        "f(x) − f*",
        "10-2",
        "101",
        "L2O ± 1σ",
        "x*",
    ] {
        assert_text(&texts, label);
    }
    // The y label reads bottom to top.
    assert!(log.contains("rotate(-90)\" font-family=\"Ubuntu, sans-serif\""));
}

#[test]
fn special_characters_are_escaped() {
    let name = r#"a<b & "c">'d'"#;
    let line = Line::new(name, vec![[0.0, 0.0], [1.0, 1.0]]).color(PALETTE[0]);
    let chart = Chart::new(name, "x & y", "").push(line.width(2.0));
    let svg = Figure::new(400, 300, vec![chart]).to_svg().unwrap();
    let escaped = "a&lt;b &amp; &quot;c&quot;&gt;&apos;d&apos;";
    assert_eq!(svg.matches(escaped).count(), 2, "title and legend: {svg}");
    assert!(svg.contains(">x &amp; y</text>"));
    assert!(!svg.contains("a<b") && !svg.contains("\"c\""));
    let texts = parsed_texts(&svg);
    assert_eq!(texts.iter().filter(|t| *t == name).count(), 2, "{texts:?}");
    // Control characters, which XML cannot hold, are left out.
    let chart = Chart::new("bell\u{7}\u{0}!", "", "");
    let svg = Figure::new(200, 150, vec![chart]).to_svg().unwrap();
    assert!(parsed_texts(&svg).iter().any(|t| t == "bell!"));
}

#[test]
fn unshowable_points_are_skipped_as_in_the_png() {
    let (nan, inf) = (f64::NAN, f64::INFINITY);
    let chart = Chart::new("", "", "")
        .log_y()
        .legend(false)
        .x_range(0.0, 10.0)
        .y_range(0.1, 100.0)
        // Three runs: 0–1, 3–4 and 6–7; NaN, ∞ and a non-positive y on
        // the log axis each break the line.
        .push(
            Line::new(
                "",
                vec![
                    [0.0, 1.0],
                    [1.0, 2.0],
                    [2.0, nan],
                    [3.0, 5.0],
                    [4.0, 10.0],
                    [inf, 5.0],
                    [6.0, 20.0],
                    [7.0, 50.0],
                    [8.0, -1.0],
                ],
            )
            .color(Color::rgb(255, 0, 0))
            .width(2.0),
        )
        .push(
            Markers::new("", vec![[nan, 1.0], [5.0, 0.0], [9.0, 30.0]])
                .color(Color::rgb(255, 0, 0))
                .shape(Marker::Square)
                .size(6.0),
        );
    let figure = Figure::new(500, 300, vec![chart]);
    let svg = figure.to_svg().unwrap();
    assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
    let red: Vec<&str> = svg.lines().filter(|l| l.contains("#ff0000")).collect();
    assert_eq!(red.len(), 2, "one line and one marker: {red:?}");
    assert_eq!(red[0].matches('M').count(), 3, "three runs: {}", red[0]);
    assert_eq!(red[1].matches('M').count(), 1, "one marker: {}", red[1]);
    assert_svg_renders_like_the_png("unshowable", &figure);
}

#[test]
fn the_same_figure_gives_the_same_bytes() {
    let a = level_set_figure().to_svg().unwrap();
    let b = level_set_figure().to_svg().unwrap();
    assert_eq!(a, b);
    let log = log_chart_figure();
    assert_eq!(log.to_svg().unwrap(), log.to_svg().unwrap());
    // Coordinates are rounded to two decimals.
    let numbers = a
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter(|s| s.contains('.') && !s.starts_with('.') && s.len() > 1);
    for n in numbers.filter(|n| !n.ends_with('.')) {
        let decimals = n.rsplit('.').next().unwrap_or("");
        assert!(decimals.len() <= 3, "{n}");
    }
}

#[test]
fn a_bad_size_is_an_error() {
    let chart = Chart::new("", "", "");
    assert!(Figure::new(0, 10, vec![chart.clone()]).to_svg().is_err());
    assert!(Figure::new(10, 9000, vec![chart]).to_svg().is_err());
}

/// A caption used as the title of a narrow figure wraps onto lines that
/// fit it (it ran off both sides), every word kept in order, and the plot
/// area moves down to make room; a title that fits stays one line.
#[test]
fn a_long_title_wraps_and_a_short_one_stays_one_line() {
    let obj = Preset::ElliFixed.objective();
    let title = "7 · Any f, in 3D. Himmelblau's function typed as a formula: its teleport follows the level curve through the point.";
    let svg_of = |title: &str| {
        let mut plot = LevelSetPlot::new(obj.clone(), (-6.0, 6.0), (-4.5, 4.5));
        plot.title = title.to_owned();
        plot.width = 640;
        plot.height = 480;
        plot.figure().to_svg().unwrap()
    };
    let texts = parsed_texts(&svg_of(title));
    let words: Vec<&str> = title.split(' ').collect();
    let lines: Vec<&String> = texts
        .iter()
        .filter(|t| {
            t.starts_with(words[0]) || words.iter().any(|w| t.ends_with(w) && t.contains(' '))
        })
        .collect();
    assert!(lines.len() >= 2, "one line: {texts:?}");
    let joined = lines
        .iter()
        .map(|l| l.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(joined, title, "every word, in order");
    let short = parsed_texts(&svg_of("Level sets"));
    assert_eq!(short.iter().filter(|t| *t == "Level sets").count(), 1);
}
