//! The instrument windows of the View menu.

use super::TeleportApp;
use super::state::{self};

/// Where a floating window first opens: each in its own part of the
/// central plot, never over the menus, the side panels or each other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WindowSlot {
    /// Top left of the plot.
    TopLeft,
    /// Top right of the plot.
    TopRight,
    /// Bottom left of the plot.
    BottomLeft,
    /// The middle of the plot.
    Middle,
}

/// A part of the UI drawn by a method of the app: a window's or a section's body.
pub(crate) type UiBody = fn(&mut TeleportApp, &mut egui::Ui);

/// One of the floating windows of the View menu: its title, where it first
/// opens, its size, its flag in [`state::Panels`] and its body.
struct FloatingWindow {
    title: &'static str,
    slot: WindowSlot,
    size: [f32; 2],
    open: fn(&mut state::Panels) -> &mut bool,
    body: UiBody,
    /// Whether the body scrolls (a tall window on a small screen).
    scroll: bool,
}

/// The floating windows, drawn in this order (later ones on top).
const FLOATING_WINDOWS: [FloatingWindow; 5] = [
    FloatingWindow {
        title: "Algorithm 2: learning a rotation on the fly",
        slot: WindowSlot::TopLeft,
        size: [700.0, 420.0],
        open: |p| &mut p.alg2,
        body: TeleportApp::alg2_ui,
        scroll: false,
    },
    FloatingWindow {
        title: "Newton vs teleport (Proposition 4.1)",
        slot: WindowSlot::TopRight,
        size: [420.0, 640.0],
        open: |p| &mut p.newton,
        body: TeleportApp::newton_ui,
        scroll: true,
    },
    FloatingWindow {
        title: "Live meta-training",
        slot: WindowSlot::BottomLeft,
        size: [360.0, 420.0],
        open: |p| &mut p.training,
        body: TeleportApp::training_ui,
        scroll: false,
    },
    FloatingWindow {
        title: "Task gallery",
        slot: WindowSlot::Middle,
        size: [460.0, 470.0],
        open: |p| &mut p.gallery,
        body: TeleportApp::task_gallery_ui,
        scroll: true,
    },
    FloatingWindow {
        title: "Help: shortcuts and a short tour",
        slot: WindowSlot::Middle,
        size: [460.0, 380.0],
        open: |p| &mut p.help,
        body: TeleportApp::help_ui,
        scroll: false,
    },
];

impl TeleportApp {
    /// Shows each of [`FLOATING_WINDOWS`] that is open; closing one clears
    /// its flag.
    pub(super) fn floating_windows(&mut self, ctx: &egui::Context) {
        for window in &FLOATING_WINDOWS {
            let mut open = *(window.open)(&mut self.state.panels);
            let size = egui::Vec2::from(window.size);
            self.floating_window(window.title, window.slot, size, &mut open)
                .vscroll(window.scroll)
                .show(ctx, |ui| (window.body)(self, ui));
            *(window.open)(&mut self.state.panels) = open;
        }
    }

    /// A floating window that first opens in `slot` of the central plot
    /// (later the user's position is kept).
    pub(crate) fn floating_window<'a>(
        &self,
        title: &'a str,
        slot: WindowSlot,
        size: egui::Vec2,
        open: &'a mut bool,
    ) -> egui::Window<'a> {
        let area = self.rt.central_rect.shrink(12.0);
        let size = size.min(area.size().max(egui::vec2(200.0, 150.0)));
        let pos = match slot {
            WindowSlot::TopLeft => area.left_top(),
            WindowSlot::TopRight => area.right_top() - egui::vec2(size.x, 0.0),
            WindowSlot::BottomLeft => area.left_bottom() - egui::vec2(0.0, size.y),
            WindowSlot::Middle => area.center() - size / 2.0,
        };
        egui::Window::new(title)
            .open(open)
            .default_pos(pos.max(area.left_top()))
            .default_size(size)
    }
}
