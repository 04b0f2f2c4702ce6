//! The fonts: egui's, and DejaVu Sans for the paper's notation.

use std::sync::Arc;

/// DejaVu Sans, shipped so that the paper's notation (∇, ‖·‖, θ, ⊥, x₀, ᵀ)
/// draws on every machine; its licence is in `assets/fonts/`.
const DEJAVU_SANS: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/fonts/DejaVuSans.ttf"
));

/// The smallest text the app draws, in points at zoom 1: egui's small
/// style is 9 points, which a projector's audience cannot read.
pub const MIN_TEXT_POINTS: f32 = 12.0;

/// Adds DejaVu Sans after egui's default fonts as a fallback for math
/// symbols, and raises egui's small text to [`MIN_TEXT_POINTS`].
pub fn install_fonts(ctx: &egui::Context) {
    ctx.all_styles_mut(|style| {
        for (text_style, font) in &mut style.text_styles {
            if font.size < MIN_TEXT_POINTS && *text_style != egui::TextStyle::Monospace {
                font.size = MIN_TEXT_POINTS;
            }
        }
    });
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
