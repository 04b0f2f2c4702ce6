//! Everything a user can ask of the app by name — from a menu, a key, a
//! button, the F1 help, a test or the monkey — is one [`UiCommand`]: its
//! label, tooltip, shortcut and menu are here, the menus, key handling and
//! help are generated from [`UiCommand::iter`], and
//! [`TeleportApp::do_command`] is the one place that carries each out. To
//! find what a menu item does, search for its label here, then for its
//! variant in `do_command`.

use egui::{Key, KeyboardShortcut, Modifiers};
pub use strum::IntoEnumIterator;

use super::{Action, TeleportApp, wrap_angle};

/// A user-facing command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, strum::EnumIter)]
pub enum UiCommand {
    /// Open a scene or lab file.
    Open,
    /// Save the demo as a lab file.
    SaveLab,
    /// Append the demo to a lesson as its next numbered lab file.
    AddToLesson,
    /// The page's lesson as one file (the web).
    DownloadLesson,
    /// The page's lesson in one link (the web).
    CopyLessonLink,
    /// Put the demo in the page's address and copy it (the web build).
    CopyLink,
    /// The window as PNG.
    ScreenshotWindow,
    /// The level-set plot as PNG.
    ScreenshotPlot,
    /// The visible runs as CSV.
    ExportTrajectories,
    /// The level-set plot as SVG.
    ExportPlotSvg,
    /// The playback as GIF or APNG.
    ExportAnimation,
    /// The 3D surface as PNG.
    ExportSurfacePng,
    /// The 3D surface as SVG.
    ExportSurfaceSvg,
    /// Forget everything (Undo brings it back).
    ResetDefaults,
    /// Take back the last change to the demo.
    Undo,
    /// Do again what Undo took back.
    Redo,
    /// The Algorithm 2 window.
    ToggleAlg2,
    /// The Newton vs teleport window.
    ToggleNewton,
    /// The live meta-training window.
    ToggleTraining,
    /// The task gallery window.
    ToggleGallery,
    /// The 3D surface pane.
    ToggleSurface,
    /// Fit the plot to x₀, the minimum and the runs.
    ResetView,
    /// The default tiles.
    ResetLayout,
    /// Presentation mode.
    Presentation,
    /// Open a folder of lab files as a lesson.
    OpenLesson,
    /// The next lab file of the lesson.
    NextSlide,
    /// The previous lab file of the lesson.
    PreviousSlide,
    /// Larger text and lines.
    ZoomIn,
    /// Smaller text and lines.
    ZoomOut,
    /// The mode's default zoom.
    ZoomReset,
    /// The help window.
    ToggleHelp,
    /// The paper's story as a lesson shipped with the app.
    PaperLesson,
    /// Play or pause the timeline.
    PlayPause,
    /// One step forward.
    StepForward,
    /// One step back.
    StepBack,
    /// Back to step 0.
    Rewind,
    /// θ − 1°.
    NudgeThetaDown,
    /// θ + 1°.
    NudgeThetaUp,
    /// θ ← θ*.
    ThetaToOracle,
    /// Apply θ at the current step of the selected row.
    TeleportHere,
}

/// Which menu a command sits in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Menu {
    /// File.
    File,
    /// Edit.
    Edit,
    /// View.
    View,
    /// None: keys, buttons in the panels, and the help.
    None,
}

impl UiCommand {
    /// The text of its menu item or button.
    pub fn label(self) -> &'static str {
        match self {
            Self::Open => "Open…",
            Self::SaveLab => "Save lab as…",
            Self::AddToLesson => "Add to lesson…",
            Self::DownloadLesson => "Download lesson",
            Self::CopyLessonLink => "Copy lesson link",
            Self::CopyLink => "Copy link to this demo",
            Self::ScreenshotWindow => "Screenshot window",
            Self::ScreenshotPlot => "Screenshot plot",
            Self::ExportTrajectories => "Export trajectories (CSV)",
            Self::ExportPlotSvg => "Export plot as SVG",
            Self::ExportAnimation => "Export animation…",
            Self::ExportSurfacePng => "Export surface (PNG)",
            Self::ExportSurfaceSvg => "Export surface (SVG)",
            Self::ResetDefaults => "Reset to defaults",
            Self::Undo => "Undo",
            Self::Redo => "Redo",
            Self::ToggleAlg2 => "Algorithm 2",
            Self::ToggleNewton => "Newton vs teleport",
            Self::ToggleTraining => "Live meta-training",
            Self::ToggleGallery => "Task gallery",
            Self::ToggleSurface => "Surface (3D)",
            Self::ResetView => "Reset view",
            Self::ResetLayout => "Reset layout",
            Self::Presentation => "Presentation",
            Self::OpenLesson => "Open lesson…",
            Self::NextSlide => "Next lab file",
            Self::PreviousSlide => "Previous lab file",
            Self::ZoomIn => "Zoom in",
            Self::ZoomOut => "Zoom out",
            Self::ZoomReset => "Reset zoom",
            Self::ToggleHelp => "Help",
            Self::PaperLesson => "The paper in 8 demos",
            Self::PlayPause => "Play / pause",
            Self::StepForward => "Step forward",
            Self::StepBack => "Step back",
            Self::Rewind => "Rewind",
            Self::NudgeThetaDown => "θ − 1°",
            Self::NudgeThetaUp => "θ + 1°",
            Self::ThetaToOracle => "θ ← θ*",
            Self::TeleportHere => "Teleport here",
        }
    }

    /// What it does, for tooltips and the help.
    pub fn tooltip(self) -> &'static str {
        match self {
            Self::Open => {
                "Open a scene or lab file (the JSON `teleport-lab eval` reads); dropping one on the window works too."
            }
            Self::SaveLab => {
                "Write the whole demo — task, x₀, steps, every row with its weights, θ, the step, the view, toggles, windows, caption — as a lab file that File → Open, `teleport-lab FILE` and `teleport-lab eval --scene FILE` read."
            }
            Self::AddToLesson => {
                "Append this demo, with its caption, to a lesson: the next numbered lab file of the lesson's folder (on the web, of the lesson kept in the page, downloaded with Download lesson)."
            }
            Self::DownloadLesson => {
                "Every demo added to the lesson, in one file: File → Open… (here or in the desktop app) presents it."
            }
            Self::CopyLessonLink => {
                "Every demo added to the lesson in one link (#lesson=…): whoever opens it is presenting the lesson, Page Down for the next demo."
            }
            Self::CopyLink => {
                "Put the demo (task, x₀, rows, θ, step, view, caption) in the page's address as #lab=… and copy the link: whoever opens it sees this demo. Live-trained weights stay out (the link would be large); shipped models travel by name."
            }
            Self::ScreenshotWindow => "Save the whole window as PNG.",
            Self::ScreenshotPlot => "Save only the level-set plot as PNG.",
            Self::ExportTrajectories => "Every visible run: optimizer, t, x, f, ∇f, teleported.",
            Self::ExportPlotSvg => {
                "The level-set plot as a vector figure for a paper: colour map, contours, every run with its teleport jumps, markers, legend and axes, text kept as text."
            }
            Self::ExportAnimation => {
                "The playback from step 0 to the last step as an animated GIF or APNG, of the plot or the whole window; each frame is a real render."
            }
            Self::ExportSurfacePng => {
                "The 3D surface as PNG, seen by its camera: f (or log₁₀ f) over the plot's view, every visible run whole on it with its teleport jumps, the orbit ring, x₀ and the minimum."
            }
            Self::ExportSurfaceSvg => {
                "The 3D surface as SVG, the same drawing as the PNG with text kept as text."
            }
            Self::ResetDefaults => {
                "Forget all settings and show the default task (Edit → Undo brings them back)."
            }
            Self::Undo => {
                "Take back the last change to the demo: the task, x₀, steps, a row, a teleport by hand, the caption, the layout, a reset."
            }
            Self::Redo => "Do again what Undo took back.",
            Self::ToggleAlg2 => "Learn one teleport rotation on the fly (section 4.2, Appendix B).",
            Self::ToggleNewton => {
                "Proposition 4.1: the symmetry component of Newton's step increases ‖∇f‖."
            }
            Self::ToggleTraining => {
                "Train a meta-optimizer (Algorithm 1) and watch its trajectory change."
            }
            Self::ToggleSurface => {
                "f as a height over the plot's view: every run lifted onto the surface, a teleport a horizontal jump, the orbit a ring at the point's height. Drag to orbit, scroll to zoom, double-click to reset."
            }
            Self::ToggleGallery => {
                "Thumbnails of a distribution's first tasks, each with its x₀: click one to open it."
            }
            Self::ResetView => "Fit the plot to x₀, the minimum and the runs.",
            Self::ResetLayout => {
                "Put the plots and the open instruments back where they start: the θ and loss plots beside the level sets, instruments as tabs below them."
            }
            Self::Presentation => {
                "Full screen: the level-set plot with the loss plot beside it, larger text, no panels. Esc leaves."
            }
            Self::OpenLesson => {
                "Present a folder of lab files in name order; Page Down / Page Up move through it, each with its caption."
            }
            Self::NextSlide => "The lesson's next lab file.",
            Self::PreviousSlide => "The lesson's previous lab file.",
            Self::ZoomIn => "Larger text and thicker lines (kept per mode, between runs).",
            Self::ZoomOut => "Smaller text and thinner lines.",
            Self::ZoomReset => "Back to 100 % (150 % when presenting).",
            Self::ToggleHelp => "Shortcuts and a short tour.",
            Self::PaperLesson => {
                "The paper's story in eight demos with captions, presented: the symmetry, Proposition 4.1, Algorithm 2, learned teleports, where teleports hurt, learned momentum, a typed f in 3D and a network. Page Down / Page Up move through it."
            }
            Self::PlayPause => "Play or pause the timeline.",
            Self::StepForward => "One step forward.",
            Self::StepBack => "One step back.",
            Self::Rewind => "Back to step 0.",
            Self::NudgeThetaDown => "Rotate the teleport angle by −1°.",
            Self::NudgeThetaUp => "Rotate the teleport angle by +1°.",
            Self::ThetaToOracle => "Jump to the angle θ* that maximizes ‖∇f(g_θ x)‖.",
            Self::TeleportHere => {
                "Apply g_θ at the current step of the selected optimizer and continue from there; the un-teleported run stays visible."
            }
        }
    }

    /// Its keyboard shortcut, if any.
    pub fn shortcut(self) -> Option<KeyboardShortcut> {
        let key = |k| Some(KeyboardShortcut::new(Modifiers::NONE, k));
        let command = |k| Some(KeyboardShortcut::new(Modifiers::COMMAND, k));
        match self {
            Self::Open => command(Key::O),
            Self::SaveLab => Some(KeyboardShortcut::new(
                Modifiers::COMMAND | Modifiers::SHIFT,
                Key::S,
            )),
            Self::ScreenshotWindow => command(Key::S),
            Self::Undo => command(Key::Z),
            Self::Redo => Some(KeyboardShortcut::new(
                Modifiers::COMMAND | Modifiers::SHIFT,
                Key::Z,
            )),
            Self::ToggleHelp => key(Key::F1),
            Self::PlayPause => key(Key::Space),
            Self::StepForward => key(Key::ArrowRight),
            Self::StepBack => key(Key::ArrowLeft),
            Self::Rewind => key(Key::R),
            Self::NudgeThetaDown => key(Key::OpenBracket),
            Self::NudgeThetaUp => key(Key::CloseBracket),
            Self::ThetaToOracle => key(Key::O),
            Self::TeleportHere => key(Key::T),
            Self::Presentation => key(Key::F11),
            Self::NextSlide => key(Key::PageDown),
            Self::PreviousSlide => key(Key::PageUp),
            Self::ZoomIn => command(Key::Plus),
            Self::ZoomOut => command(Key::Minus),
            Self::ZoomReset => command(Key::Num0),
            Self::ScreenshotPlot
            | Self::CopyLink
            | Self::ExportAnimation
            | Self::AddToLesson
            | Self::DownloadLesson
            | Self::CopyLessonLink
            | Self::ExportPlotSvg
            | Self::OpenLesson
            | Self::PaperLesson
            | Self::ExportTrajectories
            | Self::ResetDefaults
            | Self::ToggleAlg2
            | Self::ToggleNewton
            | Self::ToggleTraining
            | Self::ToggleGallery
            | Self::ToggleSurface
            | Self::ExportSurfacePng
            | Self::ExportSurfaceSvg
            | Self::ResetView
            | Self::ResetLayout => None,
        }
    }

    /// The menu it sits in.
    pub fn menu(self) -> Menu {
        match self {
            Self::Open
            | Self::SaveLab
            | Self::AddToLesson
            | Self::DownloadLesson
            | Self::CopyLessonLink
            | Self::CopyLink
            | Self::ScreenshotWindow
            | Self::ScreenshotPlot
            | Self::ExportTrajectories
            | Self::ExportPlotSvg
            | Self::ExportAnimation
            | Self::ExportSurfacePng
            | Self::ExportSurfaceSvg
            | Self::ResetDefaults => Menu::File,
            Self::Undo | Self::Redo => Menu::Edit,
            Self::ToggleAlg2
            | Self::ToggleNewton
            | Self::ToggleTraining
            | Self::ToggleGallery
            | Self::ToggleSurface
            | Self::ResetView
            | Self::ResetLayout
            | Self::Presentation
            | Self::OpenLesson
            | Self::PaperLesson
            | Self::ZoomIn
            | Self::ZoomOut
            | Self::ZoomReset => Menu::View,
            _ => Menu::None,
        }
    }

    /// A second shortcut that does the same: Ctrl = zooms in (it is the +
    /// key without Shift), Ctrl+Y redoes as Ctrl+Shift+Z does.
    pub fn alternative_shortcut(self) -> Option<KeyboardShortcut> {
        match self {
            Self::ZoomIn => Some(KeyboardShortcut::new(Modifiers::COMMAND, Key::Equals)),
            Self::Redo => Some(KeyboardShortcut::new(Modifiers::COMMAND, Key::Y)),
            _ => None,
        }
    }

    /// Whether this build offers it: the web build has no folders (a
    /// lesson opens there from a file or a link instead); only it has an
    /// address to put a demo or a lesson in, and a lesson kept in the page.
    pub fn available(self) -> bool {
        let web = cfg!(target_arch = "wasm32");
        match self {
            Self::OpenLesson => !web,
            Self::CopyLink | Self::DownloadLesson | Self::CopyLessonLink => web,
            _ => true,
        }
    }

    /// Whether its shortcut is a plain key, ignored while a text field has
    /// the keyboard (typing "r" in a number field must not rewind).
    fn plain_key(self) -> bool {
        self.shortcut()
            .is_some_and(|s| s.modifiers.is_none() && !matches!(s.logical_key, Key::F1 | Key::F11))
    }

    /// The shortcut as text, e.g. `Ctrl+S` (`⌘S` on a Mac).
    pub fn shortcut_text(self, ctx: &egui::Context) -> Option<String> {
        self.shortcut().map(|s| ctx.format_shortcut(&s))
    }

    /// A menu item or button for it, with its shortcut and tooltip.
    pub fn button(self, ui: &mut egui::Ui) -> bool {
        let mut button = egui::Button::new(self.label());
        if let Some(text) = self.shortcut_text(ui.ctx()) {
            button = button.shortcut_text(text);
        }
        ui.add(button).on_hover_text(self.tooltip()).clicked()
    }
}

impl TeleportApp {
    /// Asks for `command`: it is carried out at the end of the frame
    /// ([`Self::do_command`]), like every other [`Action`].
    pub fn run_ui_command(&mut self, command: UiCommand) {
        self.queue(Action::Ui(command));
    }

    /// Carries out `command`: the one place that does what a menu item, a
    /// key or a button named in [`UiCommand`] asks.
    pub(super) fn do_command(&mut self, ctx: &egui::Context, command: UiCommand) {
        let nudge = 1f64.to_radians();
        // On a network, the scrubber's commands act on a unit's log-scale.
        if self.network_active() {
            match command {
                UiCommand::TeleportHere => return self.network_teleport_here(),
                UiCommand::ThetaToOracle => return self.network_theta_to_oracle(),
                UiCommand::NudgeThetaDown => return self.nudge_network_theta(-0.01),
                UiCommand::NudgeThetaUp => return self.nudge_network_theta(0.01),
                _ => {}
            }
        }
        match command {
            UiCommand::Open => self.open_scene(ctx),
            UiCommand::SaveLab => self.save_lab(ctx),
            UiCommand::AddToLesson => self.add_to_lesson(ctx),
            UiCommand::DownloadLesson => self.download_lesson(ctx),
            UiCommand::CopyLessonLink => self.copy_lesson_link(ctx),
            UiCommand::CopyLink => self.copy_link(ctx),
            UiCommand::ScreenshotWindow => self.request_screenshot(ctx, false),
            UiCommand::ScreenshotPlot => self.request_screenshot(ctx, true),
            UiCommand::ExportTrajectories => self.export_csv(ctx),
            UiCommand::ExportAnimation => self.rt.animation_dialog = true,
            UiCommand::ExportPlotSvg => self.export_plot_svg(ctx),
            UiCommand::ExportSurfacePng => {
                self.export_surface(ctx, super::plot_export::PlotFormat::Png);
            }
            UiCommand::ExportSurfaceSvg => {
                self.export_surface(ctx, super::plot_export::PlotFormat::Svg);
            }
            UiCommand::Presentation => self.set_presenting(ctx, !self.state.view.presenting),
            #[cfg(not(target_arch = "wasm32"))]
            UiCommand::OpenLesson => self.ask_for_lesson(ctx),
            // The web has no folder to open a lesson from.
            #[cfg(target_arch = "wasm32")]
            UiCommand::OpenLesson => {}
            UiCommand::NextSlide => self.lesson_step(ctx, 1),
            UiCommand::PreviousSlide => self.lesson_step(ctx, -1),
            UiCommand::ZoomIn => self.zoom_by(ctx, Some(super::presentation::ZOOM_STEP)),
            UiCommand::ZoomOut => self.zoom_by(ctx, Some(1.0 / super::presentation::ZOOM_STEP)),
            UiCommand::ZoomReset => self.zoom_by(ctx, None),
            UiCommand::ResetDefaults => self.reset_defaults(ctx),
            UiCommand::Undo => self.undo(ctx),
            UiCommand::Redo => self.redo(ctx),
            UiCommand::ToggleAlg2 => self.state.panels.alg2 ^= true,
            UiCommand::ToggleNewton => self.state.panels.newton ^= true,
            UiCommand::ToggleTraining => self.state.panels.training ^= true,
            UiCommand::ToggleGallery => self.state.panels.gallery ^= true,
            UiCommand::ToggleSurface => self.state.panels.surface ^= true,
            UiCommand::ResetView => self.rt.level_set.reset_view = true,
            UiCommand::ResetLayout => self.reset_layout(),
            UiCommand::ToggleHelp => self.state.panels.help ^= true,
            UiCommand::PaperLesson => self.open_paper_lesson(ctx),
            UiCommand::PlayPause => {
                let p = &mut self.state.playback;
                p.playing = !p.playing;
                if p.playing && p.t >= self.state.steps {
                    p.t = 0;
                }
            }
            UiCommand::StepForward => self.step_by(1),
            UiCommand::StepBack => self.step_by(-1),
            UiCommand::Rewind => {
                self.state.playback.playing = false;
                self.state.playback.t = 0;
            }
            UiCommand::NudgeThetaDown => self.state.theta = wrap_angle(self.state.theta - nudge),
            UiCommand::NudgeThetaUp => self.state.theta = wrap_angle(self.state.theta + nudge),
            UiCommand::ThetaToOracle => self.state.theta = wrap_angle(self.rt.oracle.theta),
            UiCommand::TeleportHere => self.teleport_here(),
        }
    }

    /// Edit → Undo: takes back the last change to the demo.
    fn undo(&mut self, ctx: &egui::Context) {
        if self.rt.history.undo(&mut self.state) {
            self.after_restore(ctx);
        }
    }

    /// Edit → Redo: does again what Undo took back.
    fn redo(&mut self, ctx: &egui::Context) {
        if self.rt.history.redo(&mut self.state) {
            self.after_restore(ctx);
        }
    }

    /// Makes the runtime follow a state put back by undo or redo: the task
    /// is built again from its source (a restored task was valid when it
    /// was shown), rows and timeline made consistent.
    fn after_restore(&mut self, ctx: &egui::Context) {
        self.state.normalize();
        match super::objective_of(&self.state.source) {
            Ok(objective) => {
                self.rt.draft = teleport_core::io::scene::ObjectiveSpec::of(&objective);
                self.rt.objective = objective;
                self.rt.task_error = None;
                self.rt.level_set.invalidate();
            }
            Err(e) => self.notify(ctx, format!("Cannot restore the task: {e}"), true),
        }
    }

    /// Moves the timeline by `k` steps and pauses it.
    fn step_by(&mut self, k: i64) {
        self.state.playback.playing = false;
        let t = self.state.playback.t as i64 + k;
        self.state.playback.t = t.clamp(0, self.state.steps as i64) as usize;
    }

    /// Applies θ at the current step of the selected row (its run branches
    /// there), and sets θ back to 0.
    fn teleport_here(&mut self) {
        let step = self.state.playback.t.min(self.state.steps);
        let theta = self.state.theta;
        let row = self.state.selected;
        if self.state.row(row).is_some() {
            self.state
                .manual_teleports
                .retain(|m| !(m.row == row && m.step == step));
            self.state
                .manual_teleports
                .push(super::state::ManualTeleport { row, step, theta });
            self.state.theta = 0.0;
        }
    }

    /// Runs the commands whose shortcut was pressed this frame.
    pub(super) fn shortcuts(&mut self, ctx: &egui::Context) {
        // Plain keys only when no text field has the keyboard.
        let typing = ctx.egui_wants_keyboard_input();
        for command in UiCommand::iter() {
            let Some(shortcut) = command.shortcut() else {
                continue;
            };
            if !command.available() || command.plain_key() && typing {
                continue;
            }
            // Undo and redo in a text field are the field's own.
            if matches!(command, UiCommand::Undo | UiCommand::Redo) && typing {
                continue;
            }
            let also = command.alternative_shortcut();
            let pressed = ctx.input_mut(|i| {
                i.consume_shortcut(&shortcut) || also.is_some_and(|s| i.consume_shortcut(&s))
            });
            if pressed {
                self.run_ui_command(command);
            }
        }
    }

    /// A menu item (a checkbox for the windows) for `command`, from the
    /// table.
    pub(super) fn menu_item(&mut self, ui: &mut egui::Ui, command: UiCommand) {
        if !command.available() {
            return;
        }
        let flag = match command {
            UiCommand::ToggleAlg2 => Some(self.state.panels.alg2),
            UiCommand::ToggleNewton => Some(self.state.panels.newton),
            UiCommand::ToggleTraining => Some(self.state.panels.training),
            UiCommand::ToggleGallery => Some(self.state.panels.gallery),
            UiCommand::ToggleSurface => Some(self.state.panels.surface),
            UiCommand::Presentation => Some(self.state.view.presenting),
            _ => None,
        };
        let clicked = match flag {
            Some(mut on) => ui
                .checkbox(&mut on, command.label())
                .on_hover_text(command.tooltip())
                .clicked(),
            None => command.button(ui),
        };
        if clicked {
            self.run_ui_command(command);
        }
    }
}
