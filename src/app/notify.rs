//! Messages in the corner: what happened, and what went wrong.

use super::{Notification, TeleportApp};

impl TeleportApp {
    /// Shows a message in the corner.
    pub fn notify(&mut self, ctx: &egui::Context, text: impl Into<String>, error: bool) {
        self.rt.notifications.push(Notification {
            text: text.into(),
            error,
            since: ctx.input(|i| i.time),
        });
    }

    pub(super) fn notifications_ui(&mut self, ctx: &egui::Context) {
        let now = ctx.input(|i| i.time);
        for n in &mut self.rt.notifications {
            if n.since == 0.0 {
                n.since = now;
            }
        }
        self.rt
            .notifications
            .retain(|n| now - n.since < if n.error { 12.0 } else { 6.0 });
        if self.rt.notifications.is_empty() {
            return;
        }
        egui::Area::new(egui::Id::unique("notifications"))
            .anchor(egui::Align2::RIGHT_BOTTOM, egui::vec2(-12.0, -60.0))
            .show(ctx, |ui| {
                for n in &self.rt.notifications {
                    egui::Frame::popup(ui.style()).show(ui, |ui| {
                        let color = if n.error {
                            ui.visuals().error_fg_color
                        } else {
                            ui.visuals().text_color()
                        };
                        ui.label(egui::RichText::new(&n.text).color(color));
                    });
                }
            });
        ctx.request_repaint_after(std::time::Duration::from_millis(500));
    }
}
