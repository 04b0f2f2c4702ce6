//! File → Export animation… and `--animate`: the playback from step 0 to
//! the last step as an animated GIF or APNG, and its options.
//!
//! The plot alone is drawn without a window ([`super::plot_animation`]).
//! The whole window is recorded: for each step the timeline moves there,
//! the frame is drawn as usual (the pointer hidden from it), and a
//! screenshot of it goes to an encoder thread ([`teleport_core::anim`])
//! through a bounded channel. The UI never waits for the encoder: when the
//! channel is full, the next step waits a frame. The file is written
//! atomically when the last frame is encoded; cancelling writes nothing.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use teleport_core::anim::{AnimEncoder, AnimFormat, RgbaFrame};
use teleport_core::limits;

use super::TeleportApp;

/// How an animation is made.
#[derive(Clone, Debug, PartialEq)]
pub struct AnimationSettings {
    /// GIF or APNG.
    pub format: AnimFormat,
    /// Only the level-set plot, drawn without a window, or the whole
    /// window, recorded.
    pub plot_only: bool,
    /// How many frames each step stays on screen.
    pub frames_per_step: u32,
    /// Frames per second.
    pub fps: u32,
    /// The output's size in pixels; `None` for the plot's (or the
    /// window's) size on screen.
    pub size: Option<[u32; 2]>,
    /// How long the last step stays before the animation loops, in ms.
    pub hold_last_ms: u32,
}

impl Default for AnimationSettings {
    fn default() -> Self {
        Self {
            format: AnimFormat::Gif,
            plot_only: true,
            frames_per_step: 2,
            fps: 4,
            size: None,
            hold_last_ms: 1500,
        }
    }
}

impl AnimationSettings {
    /// How long each step is shown, in milliseconds.
    pub fn step_ms(&self) -> u32 {
        self.frames_per_step.clamp(
            *limits::FRAMES_PER_STEP.start(),
            *limits::FRAMES_PER_STEP.end(),
        ) * 1000
            / self
                .fps
                .clamp(*limits::ANIMATION_FPS.start(), *limits::ANIMATION_FPS.end())
    }
}

/// The sizes the export dialog offers, in pixels.
pub const SIZE_PRESETS: [[u32; 2]; 4] = [[1280, 720], [1920, 1080], [800, 600], [1280, 800]];

/// An animation to record as soon as the window has settled (`--animate`).
#[derive(Clone, Debug)]
pub struct AnimationRequest {
    /// Where to write it.
    pub path: PathBuf,
    /// How.
    pub settings: AnimationSettings,
    /// The outcome (a one-line summary or an error), read by the binary
    /// after the window closes.
    pub result: Outcome,
}

/// Where `--animate` finds the outcome: a one-line summary or an error.
pub type Outcome = Arc<Mutex<Option<Result<String, String>>>>;

/// A screenshot of a step, as it arrives.
type Mailbox = Arc<Mutex<Option<(usize, Arc<egui::ColorImage>)>>>;

/// What the encoder thread gets.
enum ToEncoder {
    Frame(RgbaFrame, u32),
    Finish,
}

/// What the encoder thread gives back.
struct Encoded {
    bytes: usize,
    frames: u32,
}

/// A recording in progress.
pub struct AnimationJob {
    path: PathBuf,
    settings: AnimationSettings,
    /// The last step.
    last: usize,
    /// The step being shown (and captured next).
    step: usize,
    /// Frames to wait before capturing `step` (layout and caches settle).
    settle: u32,
    /// Whether a screenshot of `step` was requested.
    requested: bool,
    mailbox: Mailbox,
    /// A captured frame the channel had no room for yet.
    held: Option<(RgbaFrame, u32)>,
    sender: Option<SyncSender<ToEncoder>>,
    encoder: Option<JoinHandle<Result<Encoded, String>>>,
    /// Where the timeline was, restored afterwards.
    restore_step: usize,
    started: web_time::Instant,
    result: Option<Outcome>,
    /// Frames handed to the encoder.
    pub captured: usize,
}

impl std::fmt::Debug for AnimationJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnimationJob")
            .field("path", &self.path)
            .field("step", &self.step)
            .field("last", &self.last)
            .finish_non_exhaustive()
    }
}

impl AnimationJob {
    /// Hands the held frame to the encoder if the channel has room; a full
    /// channel keeps it for the next frame, a closed one (the encoder
    /// stopped) drops the sender.
    fn offer_held(&mut self) {
        let (Some(tx), Some((frame, delay))) = (&self.sender, self.held.take()) else {
            return;
        };
        match tx.try_send(ToEncoder::Frame(frame, delay)) {
            Ok(()) => self.captured += 1,
            Err(TrySendError::Full(ToEncoder::Frame(f, d))) => self.held = Some((f, d)),
            Err(_) => self.sender = None,
        }
    }

    /// Progress in [0, 1] and a one-line status.
    pub fn progress(&self) -> (f32, String) {
        let total = self.last + 1;
        let done = self.captured.min(total);
        let status = if done < total {
            format!("Recording step {} of {}", done + 1, total)
        } else {
            "Encoding…".to_owned()
        };
        (done as f32 / total as f32, status)
    }
}

fn encoder_thread(
    path: PathBuf,
    format: AnimFormat,
    frames: u32,
    rx: Receiver<ToEncoder>,
) -> Result<Encoded, String> {
    let mut encoder: Option<AnimEncoder> = None;
    while let Ok(msg) = rx.recv() {
        match msg {
            ToEncoder::Frame(frame, delay) => {
                let enc = match &mut encoder {
                    Some(enc) => enc,
                    None => encoder.insert(
                        AnimEncoder::new(format, frame.width, frame.height, frames)
                            .map_err(|e| e.to_string())?,
                    ),
                };
                enc.push(&frame, delay).map_err(|e| e.to_string())?;
            }
            ToEncoder::Finish => {
                let enc = encoder.ok_or("no frame was recorded")?;
                let frames = enc.frames();
                let bytes = enc.finish().map_err(|e| e.to_string())?;
                teleport_core::io::write_atomic(&path, &bytes)
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                return Ok(Encoded {
                    bytes: bytes.len(),
                    frames,
                });
            }
        }
    }
    Err("cancelled".to_owned())
}

/// The captured `image` at exactly `size` pixels: scaled to fit with a
/// triangle filter (its shape kept, white around it when the shapes
/// differ); as captured for `None`.
fn fitted(image: &egui::ColorImage, size: Option<[u32; 2]>) -> RgbaFrame {
    let [w, h] = image.size;
    let frame = RgbaFrame {
        width: w as u32,
        height: h as u32,
        data: super::export::rgba_bytes(image),
    };
    let Some([tw, th]) = size.filter(|s| *s != [frame.width, frame.height] && s[0] > 0 && s[1] > 0)
    else {
        return frame;
    };
    let Some(buffer) = image::RgbaImage::from_raw(frame.width, frame.height, frame.data.clone())
    else {
        return frame;
    };
    let scale = (tw as f32 / w as f32).min(th as f32 / h as f32);
    let (sw, sh) = (
        ((w as f32 * scale).round() as u32).clamp(1, tw),
        ((h as f32 * scale).round() as u32).clamp(1, th),
    );
    let small = image::imageops::resize(&buffer, sw, sh, image::imageops::FilterType::Triangle);
    let mut out = image::RgbaImage::from_pixel(tw, th, image::Rgba([255, 255, 255, 255]));
    image::imageops::overlay(
        &mut out,
        &small,
        i64::from((tw - sw) / 2),
        i64::from((th - sh) / 2),
    );
    RgbaFrame {
        width: tw,
        height: th,
        data: out.into_raw(),
    }
}

impl TeleportApp {
    /// Starts recording the playback into `path`.
    pub fn start_animation(
        &mut self,
        ctx: &egui::Context,
        path: PathBuf,
        settings: AnimationSettings,
        result: Option<Outcome>,
    ) {
        if self.rt.animation.is_some() {
            self.notify(ctx, "An animation is already being recorded.", true);
            return;
        }
        let last = self.state.steps;
        let frames = (last + 1) as u32;
        // A few frames in flight: enough to keep the encoder busy, few
        // enough to bound memory (one frame is width × height × 4 bytes).
        let (tx, rx) = std::sync::mpsc::sync_channel(3);
        let (p, format) = (path.clone(), settings.format);
        let handle = std::thread::Builder::new()
            .name("animation-encoder".into())
            .spawn(move || encoder_thread(p, format, frames, rx));
        let handle = match handle {
            Ok(h) => h,
            Err(e) => {
                self.notify(ctx, format!("Cannot start the encoder: {e}"), true);
                return;
            }
        };
        self.state.playback.playing = false;
        self.rt.animation = Some(AnimationJob {
            path,
            settings,
            last,
            step: 0,
            settle: 3,
            requested: false,
            mailbox: Arc::default(),
            held: None,
            sender: Some(tx),
            encoder: Some(handle),
            restore_step: self.state.playback.t,
            started: web_time::Instant::now(),
            result,
            captured: 0,
        });
        ctx.request_repaint();
    }

    /// Stops recording; nothing is written.
    pub fn cancel_animation(&mut self, ctx: &egui::Context) {
        if let Some(mut job) = self.rt.animation.take() {
            job.sender = None;
            if let Some(h) = job.encoder.take() {
                // The encoder sees the channel close and returns at once.
                let _ = h.join();
            }
            self.state.playback.t = job.restore_step.min(self.state.steps);
            if let Some(r) = &job.result {
                *r.lock().unwrap_or_else(PoisonError::into_inner) = Some(Err("cancelled".into()));
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
            self.notify(ctx, "Animation cancelled; nothing was written.", false);
        }
    }

    /// Before drawing: put the timeline on the step being recorded, and hand
    /// an arrived screenshot to the encoder.
    pub(super) fn animation_before_frame(&mut self, ctx: &egui::Context) {
        let Some(job) = &mut self.rt.animation else {
            return;
        };
        ctx.request_repaint();
        self.state.playback.playing = false;
        // The step count may not change under a recording.
        let steps_changed = job.last != self.state.steps;
        job.offer_held();
        let arrived = job
            .mailbox
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some((step, image)) = arrived
            && step == job.step
            && job.held.is_none()
        {
            let frame = fitted(&image, job.settings.size);
            let mut delay = job.settings.step_ms();
            if step == job.last {
                delay += job.settings.hold_last_ms;
            }
            job.held = Some((frame, delay));
            job.requested = false;
            job.step += 1;
            // The step is set before this frame draws: it can be captured at once.
            job.settle = 0;
            job.offer_held();
        }
        // The sender is gone once every frame is in (asking the encoder to
        // finish) or when the encoder stopped early (it failed).
        let encoder_gone = job.sender.is_none() && job.step <= job.last;
        if steps_changed {
            self.cancel_animation(ctx);
            return;
        }
        if encoder_gone {
            // Reports the encoder's error.
            self.finish_animation(ctx);
            return;
        }
        let Some(job) = &mut self.rt.animation else {
            return;
        };
        if job.step > job.last && job.held.is_none() {
            // Every frame is with the encoder: ask it to finish once.
            if let Some(tx) = job.sender.take() {
                let _ = tx.send(ToEncoder::Finish);
            }
            if job.encoder.as_ref().is_some_and(JoinHandle::is_finished) {
                self.finish_animation(ctx);
            }
            return;
        }
        self.state.playback.t = job.step.min(job.last);
    }

    /// After drawing: capture this frame when the step has settled.
    pub(super) fn animation_after_frame(&mut self, ctx: &egui::Context) {
        let Some(job) = &mut self.rt.animation else {
            return;
        };
        if job.step > job.last || job.requested || job.held.is_some() {
            return;
        }
        if job.settle > 0 {
            job.settle -= 1;
            return;
        }
        job.requested = true;
        let (mailbox, step) = (Arc::clone(&job.mailbox), job.step);
        ctx.request_screenshot(move |image| {
            *mailbox.lock().unwrap_or_else(PoisonError::into_inner) = Some((step, image));
        });
    }

    fn finish_animation(&mut self, ctx: &egui::Context) {
        let Some(mut job) = self.rt.animation.take() else {
            return;
        };
        self.state.playback.t = job.restore_step.min(self.state.steps);
        let outcome = match job.encoder.take().map(JoinHandle::join) {
            Some(Ok(Ok(done))) => Ok(format!(
                "wrote {}: {} frames, {:.2} MB, in {:.1} s",
                job.path.display(),
                done.frames,
                done.bytes as f64 / 1e6,
                job.started.elapsed().as_secs_f64()
            )),
            Some(Ok(Err(e))) => Err(e),
            Some(Err(_)) => Err("the encoder thread panicked".to_owned()),
            None => Err("no encoder".to_owned()),
        };
        match &outcome {
            Ok(text) => {
                self.rt.export.last_written = Some(job.path.clone());
                self.notify(ctx, format!("Animation: {text}"), false);
            }
            Err(e) => self.notify(ctx, format!("Cannot export the animation: {e}"), true),
        }
        if let Some(r) = job.result {
            *r.lock().unwrap_or_else(PoisonError::into_inner) = Some(outcome);
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }

    /// The progress bar and Cancel, drawn on frames that are not captured.
    pub(super) fn animation_progress_ui(&mut self, ctx: &egui::Context) {
        let Some(job) = &self.rt.animation else {
            return;
        };
        // A frame being captured shows the plot only.
        let capturing = job.settle == 0 && job.step <= job.last;
        let (fraction, status) = job.progress();
        let title = format!("teleport-lab — {status} (Esc cancels)");
        ctx.send_viewport_cmd(egui::ViewportCommand::Title(title));
        if ctx.input(|i| i.key_pressed(egui::Key::Escape)) {
            self.cancel_animation(ctx);
            ctx.send_viewport_cmd(egui::ViewportCommand::Title("teleport-lab".into()));
            return;
        }
        if capturing {
            return;
        }
        let mut cancel = false;
        egui::Area::new(egui::Id::unique("animation-progress"))
            .anchor(egui::Align2::CENTER_BOTTOM, egui::vec2(0.0, -40.0))
            .show(ctx, |ui| {
                egui::Frame::popup(ui.style()).show(ui, |ui| {
                    ui.horizontal(|ui| {
                        ui.add(
                            egui::ProgressBar::new(fraction)
                                .desired_width(220.0)
                                .text(status),
                        );
                        cancel = ui.button("Cancel").clicked();
                    });
                });
            });
        if cancel {
            self.cancel_animation(ctx);
        }
    }

    /// The options window of File → Export animation….
    pub(super) fn animation_window(&mut self, ctx: &egui::Context) {
        if !self.rt.animation_dialog
            || self.rt.animation.is_some()
            || self.rt.plot_animation.is_some()
        {
            return;
        }
        let mut open = true;
        let mut go = false;
        let on_screen = self.plot_pixels(ctx);
        let s = &mut self.rt.animation_settings;
        // The web draws the plot only: it has no window to record.
        if cfg!(target_arch = "wasm32") {
            s.plot_only = true;
        }
        egui::Window::new("Export animation")
            .open(&mut open)
            .collapsible(false)
            .resizable(false)
            .show(ctx, |ui| {
                egui::Grid::new("animation-options")
                    .num_columns(2)
                    .show(ui, |ui| {
                        ui.label("Format");
                        let formats = [(AnimFormat::Gif, "GIF"), (AnimFormat::Apng, "APNG")];
                        super::radios(ui, &mut s.format, formats);
                        ui.end_row();
                        if !cfg!(target_arch = "wasm32") {
                            ui.label("What");
                            let what = [(true, "the plot"), (false, "the whole window")];
                            super::radios(ui, &mut s.plot_only, what);
                            ui.end_row();
                        }
                        ui.label("Size");
                        let current = if s.plot_only { "as on screen" } else { "the window's" };
                        let text = match s.size {
                            Some([w, h]) => format!("{w} × {h}"),
                            None => current.to_owned(),
                        };
                        egui::ComboBox::from_id_salt("animation-size")
                            .selected_text(text)
                            .show_ui(ui, |ui| {
                                ui.selectable_value(&mut s.size, None, current);
                                for preset in SIZE_PRESETS {
                                    let text = format!("{} × {}", preset[0], preset[1]);
                                    ui.selectable_value(&mut s.size, Some(preset), text);
                                }
                            })
                            .response
                            .on_hover_text("The file's size in pixels. The whole window is scaled to fit it, its shape kept.");
                        ui.end_row();
                        ui.label("Frames per step");
                        ui.add(
                            egui::DragValue::new(&mut s.frames_per_step)
                                .range(limits::FRAMES_PER_STEP),
                        );
                        ui.end_row();
                        ui.label("Frame rate");
                        ui.add(
                            egui::DragValue::new(&mut s.fps)
                                .range(limits::ANIMATION_FPS)
                                .suffix(" fps"),
                        );
                        ui.end_row();
                    });
                ui.label(format!(
                    "{} steps, {:.1} s per step",
                    self.state.steps + 1,
                    f64::from(s.step_ms()) / 1000.0
                ));
                if s.plot_only {
                    ui.label(
                        egui::RichText::new("Drawn without the window: no pointer, tooltip or panel in the frames.")
                            .small(),
                    );
                }
                go = ui.button("Export…").clicked();
            });
        self.rt.animation_dialog = open && !go;
        if !go {
            return;
        }
        let settings = self.rt.animation_settings.clone();
        let ext = settings.format.extension();
        let name = format!("teleport-lab.{ext}");
        let size = settings.size.unwrap_or(on_screen);
        #[cfg(target_arch = "wasm32")]
        self.start_plot_animation(
            ctx,
            super::plot_animation::Target::Download(name),
            &settings,
            size,
            None,
        );
        #[cfg(not(target_arch = "wasm32"))]
        {
            let job = if settings.plot_only {
                super::export::SaveJob::PlotAnimation(settings, size)
            } else {
                super::export::SaveJob::WindowAnimation(settings)
            };
            self.save_as(ctx, &name, ext, job);
        }
    }

    /// The level-set plot's size on screen, in pixels (1200 × 900 before
    /// it was drawn).
    pub(super) fn plot_pixels(&self, ctx: &egui::Context) -> [u32; 2] {
        self.rt
            .level_set
            .plot_rect
            .map(|r| {
                let ppp = ctx.pixels_per_point();
                [(r.width() * ppp) as u32, (r.height() * ppp) as u32]
            })
            .filter(|[w, h]| *w >= 64 && *h >= 64)
            .unwrap_or(super::plot_export::DEFAULT_SIZE)
    }

    /// `--animate`: start once the window has settled.
    pub(super) fn scripted_animation(&mut self, ctx: &egui::Context) {
        if self.rt.frames < 4 || self.rt.animation.is_some() {
            return;
        }
        if let Some(req) = self.rt.animate_request.take() {
            self.start_animation(ctx, req.path, req.settings, Some(req.result));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_time_follows_frames_and_rate() {
        let mut s = AnimationSettings {
            frames_per_step: 3,
            fps: 6,
            ..Default::default()
        };
        assert_eq!(s.step_ms(), 500);
        s.fps = 0;
        assert_eq!(s.step_ms(), 3000, "a zero rate is read as 1 fps");
    }

    #[test]
    fn a_frame_comes_out_at_the_asked_size_whatever_the_window() {
        let image =
            egui::ColorImage::new([40, 20], vec![egui::Color32::from_rgb(10, 200, 30); 800]);
        let small = fitted(&image, Some([20, 10]));
        assert_eq!((small.width, small.height), (20, 10));
        assert_eq!(small.get(7, 3), Some([10, 200, 30, 255]));
        // Another shape: letterboxed in white, the picture kept whole.
        let square = fitted(&image, Some([30, 30]));
        assert_eq!((square.width, square.height), (30, 30));
        assert_eq!(square.get(15, 0), Some([255, 255, 255, 255]));
        assert_eq!(square.get(15, 15), Some([10, 200, 30, 255]));
        let same = fitted(&image, None);
        assert_eq!((same.width, same.height), (40, 20));
    }
}
