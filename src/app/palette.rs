//! The colours of the optimizer rows.

use egui::Color32;

use super::state::{self};

/// Colours of the optimizer rows: the core's [`teleport_core::plot::SERIES_RGB`],
/// so figures and the app agree.
pub const COLORS: [Color32; 10] = {
    let rgb = teleport_core::plot::SERIES_RGB;
    let mut out = [Color32::BLACK; 10];
    let mut i = 0;
    while i < 10 {
        out[i] = Color32::from_rgb(rgb[i][0], rgb[i][1], rgb[i][2]);
        i += 1;
    }
    out
};

/// The colour of a palette index.
pub fn color(i: usize) -> Color32 {
    COLORS[i % COLORS.len()]
}

/// The colour a row keeps for its life.
pub fn row_color(row: &state::OptimizerEntry) -> Color32 {
    color(row.color.unwrap_or(0))
}

const _: () = assert!(COLORS.len() == state::PALETTE_LEN);
