//! Rendering an exported SVG with resvg to compare it with the PNG of the
//! same figure. Shared with the app's `--export-plot` tests (`tests/common`
//! at the top includes this file).
#![allow(dead_code, reason = "each test file uses a subset")]
#![allow(clippy::expect_used, clippy::unwrap_used, reason = "test helpers")]

/// Renders SVG text with resvg, with the plot's embedded fonts only.
pub fn render_svg(svg: &str) -> resvg::tiny_skia::Pixmap {
    let mut options = resvg::usvg::Options::default();
    let db = options.fontdb_mut();
    db.load_font_data(epaint_default_fonts::UBUNTU_LIGHT.to_vec());
    db.load_font_data(epaint_default_fonts::HACK_REGULAR.to_vec());
    db.set_sans_serif_family("Ubuntu");
    db.set_monospace_family("Hack");
    let tree = resvg::usvg::Tree::from_str(svg, &options).expect("the SVG parses");
    let size = tree.size().to_int_size();
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height()).unwrap();
    resvg::render(&tree, Default::default(), &mut pixmap.as_mut());
    pixmap
}

/// The mean absolute difference per channel (0–255) of two RGBA8 buffers
/// and the share of pixels whose channels all differ by at most `tolerance`.
pub fn compare(a: &[u8], b: &[u8], tolerance: u8) -> (f64, f64) {
    assert_eq!(a.len(), b.len());
    let total: u64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    let close = a
        .chunks_exact(4)
        .zip(b.chunks_exact(4))
        .filter(|(p, q)| p.iter().zip(*q).all(|(x, y)| x.abs_diff(*y) <= tolerance))
        .count();
    (
        total as f64 / a.len() as f64,
        close as f64 / (a.len() / 4) as f64,
    )
}
