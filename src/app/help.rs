//! The help overlay: shortcuts and a short tour in the paper's terms.

use super::TeleportApp;

/// Keyboard shortcuts and what they do.
pub const SHORTCUTS: [(&str, &str); 9] = [
    ("Space", "play / pause the timeline"),
    ("← / →", "one step back / forward"),
    ("R", "rewind to step 0"),
    ("[ / ]", "nudge θ by −1° / +1°"),
    ("Ctrl+S", "save a screenshot of the window"),
    ("Ctrl+O", "open a scene file"),
    ("F1", "show / hide this help"),
    ("double-click plot", "fit the view"),
    ("click / drag plot", "set x₀"),
];

impl TeleportApp {
    pub(super) fn help_window(&mut self, ctx: &egui::Context) {
        let mut open = self.state.panels.help;
        let window = self.floating_window(
            "Help",
            super::WindowSlot::Middle,
            egui::vec2(460.0, 380.0),
            &mut open,
        );
        window.show(ctx, |ui| {
            ui.heading("Shortcuts");
            egui::Grid::new("shortcuts").striped(true).show(ui, |ui| {
                for (key, what) in SHORTCUTS {
                    ui.monospace(key);
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
        });
        self.state.panels.help = open;
    }
}
