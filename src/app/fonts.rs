//! The fonts: egui's, and DejaVu Sans for the paper's notation.

use std::sync::Arc;

/// DejaVu Sans, shipped so that the paper's notation (∇, ‖·‖, θ, ⊥, x₀, ᵀ)
/// draws on every machine; its licence is in `assets/fonts/`.
const DEJAVU_SANS: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/fonts/DejaVuSans.ttf"
));

/// Adds DejaVu Sans after egui's default fonts as a fallback for math symbols.
pub fn install_fonts(ctx: &egui::Context) {
    let mut fonts = egui::FontDefinitions::default();
    fonts.font_data.insert(
        "DejaVuSans".to_owned(),
        Arc::new(egui::FontData::from_static(DEJAVU_SANS)),
    );
    for family in [egui::FontFamily::Proportional, egui::FontFamily::Monospace] {
        fonts
            .families
            .entry(family)
            .or_default()
            .push("DejaVuSans".to_owned());
    }
    ctx.set_fonts(fonts);
}
