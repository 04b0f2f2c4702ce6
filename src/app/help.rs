//! The help overlay: shortcuts and a short tour in the paper's terms.

use super::TeleportApp;
use super::commands::{IntoEnumIterator as _, UiCommand};

/// Mouse gestures, which have no command of their own.
const GESTURES: [(&str, &str); 3] = [
    ("click / drag plot", "set x₀"),
    (
        "drag files onto the window",
        "open a scene or lab file, load weights",
    ),
    ("double-click loss plot", "every value / the fitted view"),
];

impl TeleportApp {
    /// The help window's body: the shortcuts and a short tour.
    pub(super) fn help_ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        ui.heading("Shortcuts");
        egui::Grid::new("shortcuts").striped(true).show(ui, |ui| {
            // Generated from the command table, so it cannot go stale.
            for command in UiCommand::iter().filter(|c| c.available()) {
                if let Some(keys) = command.shortcut_text(&ctx) {
                    ui.monospace(keys);
                    ui.label(command.label()).on_hover_text(command.tooltip());
                    ui.end_row();
                }
            }
            for (gesture, what) in GESTURES {
                ui.monospace(gesture);
                ui.label(what);
                ui.end_row();
            }
        });
        ui.separator();
        ui.heading("A short tour");
        ui.label(
            "Every task here is f(x) = ‖h(x)‖² with h invertible, so rotating h(x) keeps f: \
             the teleport g_θ(x) = h⁻¹(R_θ h(x)) moves x along its level set (the dashed orbit). \
             Drag θ and watch f stay put while ‖∇f‖ changes; the right plot shows ‖∇f(g_θ x)‖ \
             over the whole orbit, and its maximum θ* is where classical teleportation jumps.",
        );
        ui.label(
            "\"Teleport here\" applies θ at the current step and continues; the original run stays \
             for comparison. Learned optimizers (L2O, with teleport, with learned lr and momentum) \
             use shipped weights until you train your own in View → Live meta-training.",
        );
    }
}
