//! Exports: window and plot screenshots (PNG), trajectories (CSV), the scene
//! (JSON), opening scenes. Files go through a native dialog when one can
//! open; otherwise an in-app prompt asks for the path, prefilled with the
//! last folder used and a name no file has yet, so every save can choose
//! its name and folder. Every file is written atomically.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use super::TeleportApp;
use super::state::EntryKind;
use teleport_core::io::scene::{ObjectiveSpec, Scene};
use teleport_core::optim::OptimizerSpec;

/// The folder exports go to without a dialog: `$HOME/teleport-lab-exports`
/// (or `./teleport-lab-exports` without a home).
pub fn default_export_dir() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join("teleport-lab-exports")
}

/// Whether native file dialogs can work here: they need a desktop portal,
/// which needs a session bus. `TELEPORT_LAB_NO_DIALOGS=1` turns them off.
pub fn dialogs_available() -> bool {
    std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some()
        && std::env::var_os("TELEPORT_LAB_NO_DIALOGS").is_none()
}

type Mailbox = Arc<Mutex<Option<Arc<egui::ColorImage>>>>;

/// The scripted screenshot of `--screenshot`.
#[derive(Debug)]
pub struct Scripted {
    /// Where to write it.
    pub path: PathBuf,
    /// Whether the screenshot was requested.
    pub requested: bool,
    /// The outcome, read by the binary after the window closes.
    pub result: Arc<Mutex<Option<Result<(), String>>>>,
}

/// Pending exports.
#[derive(Debug)]
pub struct ExportRuntime {
    /// The folder for dialog-less exports.
    pub dir: PathBuf,
    /// Whether to use native dialogs.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code, reason = "the web has none"))]
    pub dialogs: bool,
    pending_plot_only: Option<bool>,
    /// Frames until a screenshot asked for is taken: the pointer is taken
    /// out of the frames in between, so the capture shows no hover.
    screenshot_in: u8,
    mailbox: Mailbox,
    /// The `--screenshot` request, if any.
    pub scripted: Option<Scripted>,
    /// The last file written (for tests and notifications).
    pub last_written: Option<PathBuf>,
    fallback_note: Option<String>,
    /// The in-app path prompt, when no dialog can open.
    pub prompt: Option<PathPrompt>,
    /// The folder of the last file saved: a Save prompt starts there.
    pub last_folder: Option<PathBuf>,
    /// The lesson folder the demo was last added to.
    pub lesson_folder: Option<PathBuf>,
}

/// What the in-app path prompt is for.
#[derive(Clone, Debug, PartialEq)]
pub enum PromptKind {
    /// Open a scene (JSON).
    Scene,
    /// Load weights (safetensors).
    Weights,
    /// Open a lesson: a folder of lab files.
    Lesson,
    /// Save what is waiting in [`PathPrompt::save`], as a file ending in
    /// this extension.
    Save(&'static str),
    /// Add the demo to a lesson folder (the next numbered file).
    AddToLesson,
}

/// What a Save prompt does with the path it is given.
#[derive(Clone, Debug)]
pub enum SaveJob {
    /// Write these bytes; `what` names them in messages; a lab file goes to
    /// File → Recent.
    Bytes {
        /// The file's contents.
        bytes: Vec<u8>,
        /// "the plot (SVG)", "the lab", …
        what: String,
        /// Whether to remember the file in File → Recent.
        recent: bool,
    },
    /// Draw the plot's animation into it.
    PlotAnimation(super::animation::AnimationSettings, [u32; 2]),
    /// Record the window into it.
    WindowAnimation(super::animation::AnimationSettings),
}

/// The in-app prompt for a path, when no dialog can open.
#[derive(Clone, Debug)]
pub struct PathPrompt {
    /// What it is for.
    pub kind: PromptKind,
    /// The path typed so far.
    pub text: String,
    /// For a save: what the path is for.
    pub save: Option<SaveJob>,
}

impl ExportRuntime {
    /// Whether a screenshot is on its way (its frames hide the pointer).
    pub fn capturing(&self) -> bool {
        self.screenshot_in > 0 || self.pending_plot_only.is_some()
    }
}

impl ExportRuntime {
    /// Exports into `dir`, with or without dialogs, and an optional scripted
    /// screenshot.
    pub fn new(dir: PathBuf, dialogs: bool, screenshot: Option<PathBuf>) -> Self {
        Self {
            dir,
            dialogs,
            pending_plot_only: None,
            screenshot_in: 0,
            mailbox: Arc::default(),
            scripted: screenshot.map(|path| Scripted {
                path,
                requested: false,
                result: Arc::default(),
            }),
            last_written: None,
            fallback_note: None,
            prompt: None,
            last_folder: None,
            lesson_folder: None,
        }
    }

    /// Where to save a new file named like `name`: the dialog's choice
    /// (`Ok(None)` if the user cancelled), or `Err(suggestion)` when no
    /// dialog can open: the caller asks for the path in the app's prompt,
    /// starting from `suggestion` (the last folder saved to and a name no
    /// file has yet). Not on the web, which saves as downloads.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn save_path(&mut self, name: &str, extension: &str) -> Result<Option<PathBuf>, PathBuf> {
        if self.dialogs {
            match dialog(|| native_dialog::save(name, extension)) {
                Chosen::Path(path) => return Ok(Some(path)),
                Chosen::Cancelled => return Ok(None),
                Chosen::Unavailable => self.dialogs_failed(),
            }
        }
        let folder = self.last_folder.clone().unwrap_or_else(|| self.dir.clone());
        Err(unique_path(&folder, name))
    }

    /// A folder to open, from a dialog; as [`Self::open_path`].
    #[cfg(not(target_arch = "wasm32"))]
    #[allow(clippy::result_unit_err, reason = "the only failure is 'no dialog'")]
    pub fn open_folder(&mut self) -> Result<Option<PathBuf>, ()> {
        self.open_with(native_dialog::folder)
    }

    /// A file to open, from a dialog. `Err(())` when no dialog can open
    /// here (the app then asks for a path in a window of its own);
    /// `Ok(None)` if the user cancelled. Not on the web, which picks files
    /// with the browser's own picker.
    #[cfg(not(target_arch = "wasm32"))]
    #[allow(clippy::result_unit_err, reason = "the only failure is 'no dialog'")]
    pub fn open_path(&mut self, extension: &str) -> Result<Option<PathBuf>, ()> {
        self.open_with(|| native_dialog::file(extension))
    }

    /// What the dialog `show` chose to open, as [`Self::open_path`].
    #[cfg(not(target_arch = "wasm32"))]
    fn open_with(&mut self, show: impl FnOnce() -> Option<PathBuf>) -> Result<Option<PathBuf>, ()> {
        if !self.dialogs {
            return Err(());
        }
        match dialog(show) {
            Chosen::Path(path) => Ok(Some(path)),
            Chosen::Cancelled => Ok(None),
            Chosen::Unavailable => {
                self.dialogs_failed();
                Err(())
            }
        }
    }

    /// Dialogs did not open: use the export folder from now on, and say so
    /// once.
    #[cfg(not(target_arch = "wasm32"))]
    fn dialogs_failed(&mut self) {
        self.dialogs = false;
        self.fallback_note = Some(format!(
            "No file dialog could open here (no desktop portal answered): saving and opening \
             ask for a path in the app ({} to start with).",
            self.dir.display()
        ));
    }

    /// Why the last save went to the export folder instead of a dialog,
    /// once.
    pub fn take_fallback_note(&mut self) -> Option<String> {
        self.fallback_note.take()
    }
}

/// The desktop's file dialogs (rfd, through the desktop portal).
#[cfg(not(target_arch = "wasm32"))]
mod native_dialog {
    use std::path::PathBuf;

    pub fn save(name: &str, extension: &str) -> Option<PathBuf> {
        rfd::FileDialog::new()
            .set_file_name(name)
            .add_filter(extension, &[extension])
            .save_file()
    }

    pub fn folder() -> Option<PathBuf> {
        rfd::FileDialog::new().pick_folder()
    }

    pub fn file(extension: &str) -> Option<PathBuf> {
        rfd::FileDialog::new()
            .add_filter(extension, &[extension])
            .pick_file()
    }
}

/// What a native dialog gave.
#[cfg(not(target_arch = "wasm32"))]
enum Chosen {
    Path(PathBuf),
    Cancelled,
    /// The dialog returned at once without a choice: no portal answered
    /// (a session bus without `xdg-desktop-portal`), since no person
    /// cancels a dialog within a tenth of a second.
    Unavailable,
}

#[cfg(not(target_arch = "wasm32"))]
fn dialog(show: impl FnOnce() -> Option<PathBuf>) -> Chosen {
    let start = web_time::Instant::now();
    match show() {
        Some(path) => Chosen::Path(path),
        None if start.elapsed() < std::time::Duration::from_millis(100) => Chosen::Unavailable,
        None => Chosen::Cancelled,
    }
}

/// `dir/name`, or `dir/stem-2.ext`, … if that exists.
#[cfg(not(target_arch = "wasm32"))]
fn unique_path(dir: &Path, name: &str) -> PathBuf {
    let first = dir.join(name);
    if !first.exists() {
        return first;
    }
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
    (2..)
        .map(|k| dir.join(format!("{stem}-{k}.{ext}")))
        .find(|p| !p.exists())
        .unwrap_or(first)
}

/// An egui image's pixels as straight-alpha sRGBA bytes, rows from the top.
pub(super) fn rgba_bytes(image: &egui::ColorImage) -> Vec<u8> {
    image
        .pixels
        .iter()
        .flat_map(|c| c.to_srgba_unmultiplied())
        .collect()
}

/// Encodes an egui image as PNG bytes.
pub fn png_bytes(image: &egui::ColorImage) -> Result<Vec<u8>, String> {
    let [w, h] = image.size;
    let raw = rgba_bytes(image);
    let buffer =
        image::RgbaImage::from_raw(w as u32, h as u32, raw).ok_or("image size mismatch")?;
    let mut out = std::io::Cursor::new(Vec::new());
    buffer
        .write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| format!("cannot encode PNG: {e}"))?;
    Ok(out.into_inner())
}

/// Crops an image to a rectangle in points.
fn crop(image: &egui::ColorImage, rect: egui::Rect, pixels_per_point: f32) -> egui::ColorImage {
    let [w, h] = image.size;
    let clamp = |v: f32, max: usize| (v.round().max(0.0) as usize).min(max);
    let (x0, y0) = (
        clamp(rect.min.x * pixels_per_point, w),
        clamp(rect.min.y * pixels_per_point, h),
    );
    let (x1, y1) = (
        clamp(rect.max.x * pixels_per_point, w),
        clamp(rect.max.y * pixels_per_point, h),
    );
    if x1 <= x0 || y1 <= y0 {
        return image.clone();
    }
    let mut pixels = Vec::with_capacity((x1 - x0) * (y1 - y0));
    for y in y0..y1 {
        pixels.extend_from_slice(&image.pixels[y * w + x0..y * w + x1]);
    }
    egui::ColorImage::new([x1 - x0, y1 - y0], pixels)
}

impl TeleportApp {
    /// Saves `bytes` as a new file named like `name`: where the dialog
    /// says, or where the user types in the app's prompt when no dialog
    /// can open; on the web, as a download. A lab file (`recent`) goes to
    /// File → Recent once written.
    pub(super) fn save_bytes(
        &mut self,
        ctx: &egui::Context,
        name: &str,
        extension: &'static str,
        bytes: &[u8],
        what: &str,
        recent: bool,
    ) {
        #[cfg(target_arch = "wasm32")]
        {
            let _ = (extension, recent);
            match super::web::download(name, bytes) {
                Ok(()) => self.notify(ctx, format!("Downloaded {what} as {name}"), false),
                Err(e) => self.notify(ctx, format!("Cannot download {what}: {e}"), true),
            }
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            let job = SaveJob::Bytes {
                bytes: bytes.to_vec(),
                what: what.to_owned(),
                recent,
            };
            self.save_as(ctx, name, extension, job);
        }
    }

    /// Asks where to save `job` (a dialog, else the app's prompt) and does
    /// it once a path is chosen.
    #[cfg(not(target_arch = "wasm32"))]
    pub(super) fn save_as(
        &mut self,
        ctx: &egui::Context,
        name: &str,
        extension: &'static str,
        job: SaveJob,
    ) {
        match self.rt.export.save_path(name, extension) {
            Ok(Some(path)) => self.finish_save(ctx, &path, job),
            Ok(None) => {}
            Err(suggestion) => {
                if let Some(note) = self.rt.export.take_fallback_note() {
                    self.notify(ctx, note, false);
                }
                self.rt.export.prompt = Some(PathPrompt {
                    kind: PromptKind::Save(extension),
                    text: suggestion.display().to_string(),
                    save: Some(job),
                });
            }
        }
    }

    /// Does `job` at `path`: writes the bytes, or starts the animation.
    #[cfg(not(target_arch = "wasm32"))]
    fn finish_save(&mut self, ctx: &egui::Context, path: &Path, job: SaveJob) {
        if let Some(folder) = path.parent().filter(|f| !f.as_os_str().is_empty()) {
            self.rt.export.last_folder = Some(folder.to_owned());
        }
        match job {
            SaveJob::Bytes {
                bytes,
                what,
                recent,
            } => {
                self.write_file(ctx, path, &bytes, &what);
                if recent && self.rt.export.last_written.as_deref() == Some(path) {
                    self.state.remember_recent(path);
                }
            }
            SaveJob::PlotAnimation(settings, size) => {
                let target = super::plot_animation::Target::File(path.to_owned());
                self.start_plot_animation(ctx, target, &settings, size, None);
            }
            SaveJob::WindowAnimation(settings) => {
                self.start_animation(ctx, path.to_owned(), settings, None);
            }
        }
    }

    #[cfg_attr(target_arch = "wasm32", allow(dead_code, reason = "the web downloads"))]
    pub(super) fn write_file(
        &mut self,
        ctx: &egui::Context,
        path: &Path,
        bytes: &[u8],
        what: &str,
    ) {
        if let Some(note) = self.rt.export.take_fallback_note() {
            self.notify(ctx, note, true);
        }
        // write_atomic creates the folder and refuses to replace anything
        // that is not a regular file.
        match teleport_core::io::write_atomic(path, bytes) {
            Ok(()) => {
                self.rt.export.last_written = Some(path.to_owned());
                self.notify(ctx, format!("Saved {what} to {}", path.display()), false);
            }
            Err(e) => self.notify(ctx, format!("Cannot write {}: {e}", path.display()), true),
        }
    }

    /// Asks for a screenshot, taken two frames later: the frames in
    /// between are drawn without the pointer, so no hover shows in it.
    pub(super) fn request_screenshot(&mut self, ctx: &egui::Context, plot_only: bool) {
        self.rt.export.pending_plot_only = Some(plot_only);
        self.rt.export.screenshot_in = 2;
        ctx.request_repaint();
    }

    /// Takes the screenshot asked for once its frames without the pointer
    /// have been drawn.
    fn take_screenshot_when_due(&mut self, ctx: &egui::Context) {
        let export = &mut self.rt.export;
        if export.screenshot_in == 0 {
            return;
        }
        export.screenshot_in -= 1;
        ctx.request_repaint();
        if export.screenshot_in == 0 {
            let mailbox = Arc::clone(&export.mailbox);
            ctx.request_screenshot(move |image| {
                *mailbox.lock().unwrap_or_else(PoisonError::into_inner) = Some(image);
            });
        }
    }

    /// Writes a screenshot that has arrived; drives `--screenshot`.
    pub(super) fn poll_screenshot(&mut self, ctx: &egui::Context) {
        self.take_screenshot_when_due(ctx);
        // The scripted screenshot: wait for a few frames so that the plot has
        // fitted its view and everything is computed, then capture and close.
        if let Some(s) = &mut self.rt.export.scripted
            && !s.requested
            && self.rt.frames >= 4
        {
            s.requested = true;
            self.request_screenshot(ctx, false);
        }
        if self.rt.export.scripted.is_some() {
            ctx.request_repaint();
        }
        let image = self
            .rt
            .export
            .mailbox
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let Some(image) = image else { return };
        let plot_only = self.rt.export.pending_plot_only.take().unwrap_or(false);
        let image = match (plot_only, self.rt.level_set.plot_rect) {
            (true, Some(rect)) => crop(&image, rect, ctx.pixels_per_point()),
            _ => (*image).clone(),
        };
        let png = match png_bytes(&image) {
            Ok(png) => png,
            Err(e) => {
                self.notify(ctx, e, true);
                return;
            }
        };
        if let Some(s) = self.rt.export.scripted.take() {
            let result = teleport_core::io::write_atomic(&s.path, &png)
                .map_err(|e| format!("cannot write {}: {e}", s.path.display()));
            *s.result.lock().unwrap_or_else(PoisonError::into_inner) = Some(result);
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            return;
        }
        let name = if plot_only {
            "level-set.png"
        } else {
            "teleport-lab.png"
        };
        self.save_bytes(ctx, name, "png", &png, "the screenshot", false);
    }

    /// The visible runs as CSV.
    pub fn trajectories_csv(&self) -> String {
        if self.network_active() {
            return self.network_trajectories_csv();
        }
        let mut out = String::from("optimizer,run,t,x0,x1,f,grad0,grad1,teleported,theta\n");
        for (_, name, run) in self.visible_runs() {
            let name = teleport_core::io::csv_field(&name);
            let mut write = |kind: &str, tr: &teleport_core::optim::Trajectory| {
                for r in &tr.records {
                    let theta = r.theta.map(|t| t.to_string()).unwrap_or_default();
                    let _ = writeln!(
                        out,
                        "{name},{kind},{},{},{},{},{},{},{},{theta}",
                        r.t, r.x[0], r.x[1], r.f, r.grad[0], r.grad[1], r.teleported
                    );
                }
            };
            write("base", &run.base);
            if let Some(b) = &run.branch {
                write("teleported-by-hand", b);
            }
        }
        out
    }

    pub(super) fn export_csv(&mut self, ctx: &egui::Context) {
        let csv = self.trajectories_csv();
        self.save_bytes(
            ctx,
            "trajectories.csv",
            "csv",
            csv.as_bytes(),
            "the trajectories",
            false,
        );
    }

    /// The current task, start point, steps and selected optimizer as a scene.
    pub fn scene(&self) -> Scene {
        let entry = self.state.row(self.state.selected);
        let (optimizer, teleport) = match entry.map(|e| &e.kind) {
            Some(EntryKind::Classical { spec, teleport }) => (*spec, teleport.clone()),
            _ => (OptimizerSpec::Gd { lr: 0.05 }, None),
        };
        let teleport = teleport.as_ref().map(super::lab::teleport_spec);
        Scene {
            objective: ObjectiveSpec::of(&self.rt.objective),
            x0: self.state.x0,
            steps: self.state.steps,
            optimizer,
            teleport,
        }
    }

    pub(super) fn open_scene(&mut self, ctx: &egui::Context) {
        self.ask_for_file(ctx, "json", PromptKind::Scene, Self::open_file);
    }

    /// Asks for a file ending in `.{extension}` and hands it to `open`: a
    /// dialog, or the path prompt for `kind` where no dialog can open. On
    /// the web, the browser's picker, whose file arrives in the inbox.
    pub(super) fn ask_for_file(
        &mut self,
        ctx: &egui::Context,
        extension: &str,
        kind: PromptKind,
        open: fn(&mut Self, &egui::Context, &Path),
    ) {
        #[cfg(target_arch = "wasm32")]
        {
            let _ = (kind, open);
            super::web::pick_file(ctx, &self.rt.inbox, &format!(".{extension}"));
        }
        #[cfg(not(target_arch = "wasm32"))]
        match self.rt.export.open_path(extension) {
            Ok(Some(path)) => open(self, ctx, &path),
            Ok(None) => {}
            Err(()) => self.open_prompt(kind),
        }
    }

    /// View → Open lesson…: a folder from a dialog or the path prompt.
    #[cfg(not(target_arch = "wasm32"))]
    pub(super) fn ask_for_lesson(&mut self, ctx: &egui::Context) {
        match self.rt.export.open_folder() {
            Ok(Some(dir)) => self.open_lesson(ctx, &dir),
            Ok(None) => {}
            Err(()) => self.open_prompt(PromptKind::Lesson),
        }
    }

    /// Asks for a path in a window of the app's own (where no dialog can
    /// open; the web has its picker instead).
    #[cfg(not(target_arch = "wasm32"))]
    pub(super) fn open_prompt(&mut self, kind: PromptKind) {
        let text = self.rt.export.dir.display().to_string() + "/";
        self.rt.export.prompt = Some(PathPrompt {
            kind,
            text,
            save: None,
        });
    }

    /// The in-app "open a file" window: a path field, the matching files of
    /// the export folder to pick from, Open and Cancel.
    pub(super) fn prompt_window(&mut self, ctx: &egui::Context) {
        let Some(mut prompt) = self.rt.export.prompt.take() else {
            return;
        };
        let (title, extension, action) = match &prompt.kind {
            PromptKind::Scene => ("Open a scene", "json", "Open"),
            PromptKind::Weights => ("Load weights", "safetensors", "Open"),
            PromptKind::Lesson => ("Open a lesson", "", "Open"),
            PromptKind::Save(ext) => ("Save as", *ext, "Save"),
            PromptKind::AddToLesson => ("Add to lesson", "", "Add"),
        };
        let folders = matches!(prompt.kind, PromptKind::Lesson | PromptKind::AddToLesson);
        let saving = matches!(prompt.kind, PromptKind::Save(_));
        let listed = match &prompt.kind {
            // The folder of the path typed so far, else the export folder.
            PromptKind::Save(_) | PromptKind::AddToLesson => Path::new(prompt.text.trim())
                .parent()
                .filter(|p| p.is_dir())
                .map_or_else(|| self.rt.export.dir.clone(), Path::to_path_buf),
            _ => self.rt.export.dir.clone(),
        };
        let mut open = true;
        let mut chosen = None;
        let mut cancel = false;
        egui::Window::new(title)
            .open(&mut open)
            .collapsible(false)
            .default_width(460.0)
            .anchor(egui::Align2::CENTER_TOP, egui::vec2(0.0, 80.0))
            .show(ctx, |ui| {
                ui.label(match &prompt.kind {
                    PromptKind::Save(ext) => format!(
                        "Save as: the folder and the name of the .{ext} file (no file dialog is available here)."
                    ),
                    PromptKind::AddToLesson => {
                        "The lesson's folder: the demo becomes its next numbered lab file (it is created if missing)."
                            .to_owned()
                    }
                    PromptKind::Lesson => {
                        "No file dialog is available here. Type the path of a folder of lab files:"
                            .to_owned()
                    }
                    _ => format!(
                        "No file dialog is available here. Type the path of a .{extension} file:"
                    ),
                });
                let field = ui.add(
                    egui::TextEdit::singleline(&mut prompt.text)
                        .desired_width(f32::INFINITY)
                        .hint_text(if folders {
                            "/path/to/folder".to_owned()
                        } else {
                            format!("/path/to/file.{extension}")
                        }),
                );
                if field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                    chosen = Some(PathBuf::from(prompt.text.trim()));
                }
                let typed = Path::new(prompt.text.trim());
                if saving && typed.is_file() {
                    ui.label(
                        egui::RichText::new("A file of this name exists: saving replaces it.")
                            .color(ui.visuals().warn_fg_color),
                    );
                }
                let mut files: Vec<PathBuf> = std::fs::read_dir(&listed)
                    .into_iter()
                    .flatten()
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| {
                        if folders {
                            p.is_dir()
                        } else {
                            p.extension().is_some_and(|e| e == extension)
                        }
                    })
                    .collect();
                files.sort();
                if !files.is_empty() {
                    ui.label(format!("In {}:", listed.display()));
                    egui::ScrollArea::vertical()
                        .max_height(160.0)
                        .show(ui, |ui| {
                            for f in files {
                                let name = f.file_name().map(|n| n.to_string_lossy().into_owned());
                                if ui
                                    .selectable_label(false, name.unwrap_or_default())
                                    .clicked()
                                {
                                    prompt.text = f.display().to_string();
                                }
                            }
                        });
                }
                ui.horizontal(|ui| {
                    if ui.button(action).clicked() {
                        chosen = Some(PathBuf::from(prompt.text.trim()));
                    }
                    if ui.button("Cancel").clicked() {
                        cancel = true;
                    }
                });
            });
        match chosen {
            Some(path) if path.as_os_str().is_empty() => {
                self.notify(ctx, "Type a path first.", true);
                self.rt.export.prompt = Some(prompt);
            }
            Some(path) => self.use_prompted_path(ctx, prompt, path),
            None if open && !cancel => self.rt.export.prompt = Some(prompt),
            None => {}
        }
    }

    /// Does what the prompt was for with the path typed into it.
    fn use_prompted_path(&mut self, ctx: &egui::Context, prompt: PathPrompt, path: PathBuf) {
        // A bare name or a relative path is taken in the folder the prompt
        // started in, never in wherever the process happens to run.
        let path = if path.is_relative() {
            let folder = self.rt.export.last_folder.as_ref();
            folder.unwrap_or(&self.rt.export.dir).join(path)
        } else {
            path
        };
        match prompt.kind {
            PromptKind::Scene => self.open_file(ctx, &path),
            PromptKind::Weights => self.load_weights_from(ctx, &path),
            PromptKind::Lesson => self.open_lesson(ctx, &path),
            PromptKind::AddToLesson => self.add_to_lesson_in(ctx, &path),
            #[cfg(not(target_arch = "wasm32"))]
            PromptKind::Save(ext) => {
                // A name typed without the extension gets it.
                let path = if path
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case(ext))
                {
                    path
                } else {
                    let mut p = path.into_os_string();
                    p.push(format!(".{ext}"));
                    PathBuf::from(p)
                };
                if let Some(job) = prompt.save {
                    self.finish_save(ctx, &path, job);
                }
            }
            #[cfg(target_arch = "wasm32")]
            PromptKind::Save(_) => {}
        }
    }

    /// Confirms the open prompt with the path in its field, as its button
    /// does (tests and the monkey); `false` when no prompt is open.
    pub fn confirm_path_prompt(&mut self, ctx: &egui::Context) -> bool {
        let Some(prompt) = self.rt.export.prompt.take() else {
            return false;
        };
        let path = PathBuf::from(prompt.text.trim());
        self.use_prompted_path(ctx, prompt, path);
        true
    }

    /// Opens a scene or lab file; a bad file is reported and changes
    /// nothing.
    pub fn open_scene_from(&mut self, ctx: &egui::Context, path: &Path) {
        self.open_file(ctx, path);
    }
}
