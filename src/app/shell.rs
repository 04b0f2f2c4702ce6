//! The app inside eframe: the window on the desktop (`run_native`) or
//! the canvas of a web page, saving on exit and stopping the threads.

#[cfg(not(target_arch = "wasm32"))]
use super::Options;
use super::TeleportApp;
use super::export;

impl eframe::App for TeleportApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.ui_body(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        // On the desktop the session has its own file (see `session`) and
        // eframe's storage keeps only the window geometry; the browser's
        // storage is the web's session.
        #[cfg(target_arch = "wasm32")]
        self.save_to_browser(storage);
        #[cfg(not(target_arch = "wasm32"))]
        let _ = storage;
        if let Some(saver) = &self.rt.session {
            saver.flush();
        }
    }

    fn raw_input_hook(&mut self, _ctx: &egui::Context, raw_input: &mut egui::RawInput) {
        if self.hides_pointer() {
            hide_pointer(raw_input);
        }
    }

    fn auto_save_interval(&self) -> std::time::Duration {
        // A closed tab gets no last word (see `web::save_to_browser`): save
        // every second there.
        std::time::Duration::from_secs(if cfg!(target_arch = "wasm32") { 1 } else { 30 })
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn on_exit(&mut self) {
        self.shut_down();
    }

    // The web build draws with glow (WebGL 2), whose exit hook gets its
    // context.
    #[cfg(target_arch = "wasm32")]
    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.shut_down();
    }
}

/// Takes the pointer out of a frame's input: no hover, crosshair, hover
/// readout, tooltip or drag preview can show in a frame being captured.
pub fn hide_pointer(raw_input: &mut egui::RawInput) {
    raw_input.events.retain(|e| {
        !matches!(
            e,
            egui::Event::PointerMoved(_)
                | egui::Event::MouseMoved(_)
                | egui::Event::PointerButton { .. }
                | egui::Event::MouseWheel { .. }
                | egui::Event::Touch { .. }
                | egui::Event::Zoom(_)
        )
    });
    raw_input.events.push(egui::Event::PointerGone);
}

impl TeleportApp {
    /// Whether the frames now are captured (a recording, a screenshot on
    /// its way), so the pointer must not show in them.
    pub fn hides_pointer(&self) -> bool {
        self.rt.animation.is_some() || self.rt.export.capturing()
    }

    /// Stops and joins the training thread, then writes the session. An
    /// unfinished animation is dropped: its encoder sees the channel close
    /// and writes nothing.
    pub(super) fn shut_down(&mut self) {
        self.rt.animation = None;
        self.rt.training.stop();
        if let Some(saver) = &mut self.rt.session {
            saver.publish(&self.state);
            saver.flush();
        }
        self.rt.session = None;
    }
}

/// Opens the window (the binary's default action).
#[cfg(not(target_arch = "wasm32"))]
pub fn run_native(options: Options) -> Result<(), String> {
    let viewport = egui::ViewportBuilder::default()
        .with_title("teleport-lab")
        .with_inner_size(options.window_size.unwrap_or([1440.0, 900.0]))
        .with_min_inner_size([320.0, 240.0]);
    let native = eframe::NativeOptions {
        viewport,
        persist_window: options.screenshot.is_none()
            && options.animate.is_none()
            && options.window_size.is_none(),
        ..Default::default()
    };
    eframe::run_native(
        "teleport-lab",
        native,
        Box::new(move |cc| Ok(Box::new(TeleportApp::from_creation_context(cc, &options)))),
    )
    .map_err(|e| {
        let headless = std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none();
        let hint = if headless {
            " (no display here: run it under `xvfb-run`, or use the headless commands in `teleport-lab --help`)"
        } else {
            ""
        };
        format!("cannot open the window: {e}{hint}")
    })
}

/// Whether native file dialogs can open on this machine.
pub fn export_dialogs_available() -> bool {
    export::dialogs_available()
}
