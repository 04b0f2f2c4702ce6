//! File → Export animation (the plot) and `--animate OUT --plot-only`: the
//! playback of the level-set plot drawn by the core's renderer, without a
//! window, so no pointer, tooltip or panel ever shows in a frame and no
//! display is needed.
//!
//! Each frame is [`TeleportApp::level_set_plot_at`] a step of the playback.
//! In the app a [`Worker`] draws a few frames per step (on every core, on a
//! thread on the desktop; in slices of the frame on the web) and feeds them
//! to the core's encoder; the progress shows and Cancel stops it, writing
//! nothing. The command line draws and encodes them in one call.

use std::path::PathBuf;

use teleport_core::anim::{AnimEncoder, AnimFormat};
use teleport_core::plot::{LevelSetPlot, level_set_frames};

use super::TeleportApp;
use super::animation::{AnimationSettings, Outcome};
use super::job::{Sink, Step, Worker};
use super::plot_export::PlaybackFrames;

/// Frames drawn per step of the worker: a slice of the frame on the web,
/// and a batch that the cores share on the desktop.
const FRAMES_PER_STEP: usize = 6;

/// What the worker reports.
#[derive(Debug)]
pub enum Event {
    /// Frames drawn so far, of all of them.
    Progress(usize, usize),
    /// The file's bytes, or why there are none.
    Finished(Result<Vec<u8>, String>),
}

/// Where the animation goes.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// A file, written atomically.
    File(PathBuf),
    /// A download of this name (the web).
    Download(String),
}

/// An animation of the plot being drawn.
pub struct PlotAnimation {
    worker: Worker<Event>,
    target: Target,
    /// Frames drawn and their total.
    progress: (usize, usize),
    started: web_time::Instant,
    /// Where `--animate` reads the outcome (scripted runs in a window).
    result: Option<Outcome>,
}

impl PlotAnimation {
    /// Progress in [0, 1] and a one-line status.
    pub fn progress(&self) -> (f32, String) {
        let (done, total) = self.progress;
        let status = if done < total {
            format!("Drawing frame {} of {total}", done + 1)
        } else {
            "Encoding…".to_owned()
        };
        (done as f32 / total.max(1) as f32, status)
    }
}

/// The frames' delays: each step shows `settings.step_ms()`, the last one
/// longer by `settings.hold_last_ms` before the animation loops.
pub fn delays(settings: &AnimationSettings, frames: usize) -> Vec<u32> {
    let mut out = vec![settings.step_ms(); frames];
    if let Some(last) = out.last_mut() {
        *last += settings.hold_last_ms;
    }
    out
}

/// The playback being drawn and encoded a few frames at a time: each
/// frame's plot is made when it is drawn, so memory holds a batch.
struct Encoding {
    frames: PlaybackFrames,
    steps: Vec<usize>,
    delays: Vec<u32>,
    format: AnimFormat,
    threads: usize,
    /// The next frame to draw.
    next: usize,
    encoder: Option<AnimEncoder>,
}

impl Encoding {
    fn new(frames: PlaybackFrames, settings: &AnimationSettings, threads: usize) -> Self {
        let steps = frames.steps();
        Self {
            delays: delays(settings, steps.len()),
            frames,
            steps,
            format: settings.format,
            threads,
            next: 0,
            encoder: None,
        }
    }

    /// Frames drawn so far and their total.
    fn progress(&self) -> (usize, usize) {
        (self.next, self.steps.len())
    }

    /// Draws and encodes up to `count` more frames; after the last, the
    /// file's bytes.
    fn advance(&mut self, count: usize) -> Result<Option<Vec<u8>>, String> {
        let total = self.steps.len();
        let end = (self.next + count).min(total);
        let plots: Vec<LevelSetPlot> = self.steps[self.next..end]
            .iter()
            .map(|&t| self.frames.plot_at(t))
            .collect();
        let drawn = level_set_frames(&plots, self.threads).map_err(|e| e.to_string())?;
        for (frame, delay) in drawn.iter().zip(&self.delays[self.next..end]) {
            let enc = match &mut self.encoder {
                Some(enc) => enc,
                None => self.encoder.insert(
                    AnimEncoder::new(self.format, frame.width, frame.height, total as u32)
                        .map_err(|e| e.to_string())?,
                ),
            };
            enc.push(frame, *delay).map_err(|e| e.to_string())?;
        }
        self.next = end;
        if self.next < total {
            return Ok(None);
        }
        match self.encoder.take() {
            Some(enc) => enc.finish().map(Some).map_err(|e| e.to_string()),
            None => Err("no frame to draw".to_owned()),
        }
    }
}

/// The worker's step function: draws [`FRAMES_PER_STEP`] frames a step
/// and pushes them to the encoder; after the last, sends the file's bytes.
fn render(mut encoding: Encoding) -> impl FnMut(&Sink<Event>) -> Step + Send + 'static {
    move |sink| match encoding.advance(FRAMES_PER_STEP) {
        Ok(None) => {
            let (done, total) = encoding.progress();
            sink.send(Event::Progress(done, total));
            Step::More
        }
        Ok(Some(bytes)) => {
            let (done, total) = encoding.progress();
            sink.send(Event::Progress(done, total));
            sink.send(Event::Finished(Ok(bytes)));
            Step::Done
        }
        Err(e) => {
            sink.send(Event::Finished(Err(e)));
            Step::Done
        }
    }
}

impl TeleportApp {
    /// Starts drawing the playback of the plot into `target`.
    pub fn start_plot_animation(
        &mut self,
        ctx: &egui::Context,
        target: Target,
        settings: &AnimationSettings,
        size: [u32; 2],
        result: Option<Outcome>,
    ) {
        if self.rt.plot_animation.is_some() || self.rt.animation.is_some() {
            self.notify(ctx, "An animation is already being made.", true);
            return;
        }
        let threads = if cfg!(target_arch = "wasm32") {
            1
        } else {
            teleport_core::plot::all_cores()
        };
        let encoding = Encoding::new(self.playback_frames(size), settings, threads);
        let (_, total) = encoding.progress();
        let mut worker = Worker::new("animation");
        if let Err(e) = worker.start(ctx, render(encoding)) {
            self.notify(ctx, format!("Cannot start the animation: {e}"), true);
            return;
        }
        self.rt.plot_animation = Some(PlotAnimation {
            worker,
            target,
            progress: (0, total),
            started: web_time::Instant::now(),
            result,
        });
    }

    /// Takes the worker's progress and, once done, writes or downloads the
    /// file; once per frame.
    pub(super) fn poll_plot_animation(&mut self, ctx: &egui::Context) {
        let Some(job) = &mut self.rt.plot_animation else {
            return;
        };
        let mut finished = None;
        for event in job.worker.poll() {
            match event {
                Event::Progress(done, total) => job.progress = (done, total),
                Event::Finished(bytes) => finished = Some(bytes),
            }
        }
        if finished.is_none() && !job.worker.busy() {
            finished = Some(Err("the animation stopped without a file".to_owned()));
        }
        let Some(bytes) = finished else {
            ctx.request_repaint_after(std::time::Duration::from_millis(50));
            return;
        };
        let Some(job) = self.rt.plot_animation.take() else {
            return;
        };
        let frames = job.progress.1;
        let outcome = bytes.and_then(|bytes| {
            let summary = |what: String| {
                format!(
                    "{what}: {frames} frames, {:.2} MB, in {:.1} s",
                    bytes.len() as f64 / 1e6,
                    job.started.elapsed().as_secs_f64()
                )
            };
            match &job.target {
                Target::File(path) => teleport_core::io::write_atomic(path, &bytes)
                    .map(|()| summary(format!("wrote {}", path.display())))
                    .map_err(|e| format!("cannot write {}: {e}", path.display())),
                Target::Download(name) => {
                    #[cfg(target_arch = "wasm32")]
                    {
                        super::web::download(name, &bytes)
                            .map(|()| summary(format!("downloaded {name}")))
                    }
                    #[cfg(not(target_arch = "wasm32"))]
                    {
                        Err(format!("{name}: downloads are for the web build"))
                    }
                }
            }
        });
        match &outcome {
            Ok(text) => {
                if let Target::File(path) = &job.target {
                    self.rt.export.last_written = Some(path.clone());
                }
                self.notify(ctx, format!("Animation: {text}"), false);
            }
            Err(e) => self.notify(ctx, format!("Cannot export the animation: {e}"), true),
        }
        if let Some(r) = job.result {
            *r.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(outcome);
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }

    /// Stops drawing the plot's animation; nothing is written.
    pub fn cancel_plot_animation(&mut self, ctx: &egui::Context) {
        if let Some(mut job) = self.rt.plot_animation.take() {
            job.worker.cancel();
            self.notify(ctx, "Animation cancelled; nothing was written.", false);
        }
    }

    /// The progress bar and Cancel of the plot's animation.
    pub(super) fn plot_animation_progress_ui(&mut self, ctx: &egui::Context) {
        let Some(job) = &self.rt.plot_animation else {
            return;
        };
        let (fraction, status) = job.progress();
        let mut cancel = ctx.input(|i| i.key_pressed(egui::Key::Escape));
        egui::Area::new(egui::Id::unique("plot-animation-progress"))
            .anchor(egui::Align2::CENTER_BOTTOM, egui::vec2(0.0, -40.0))
            .show(ctx, |ui| {
                egui::Frame::popup(ui.style()).show(ui, |ui| {
                    ui.horizontal(|ui| {
                        ui.add(
                            egui::ProgressBar::new(fraction)
                                .desired_width(220.0)
                                .text(status),
                        );
                        cancel |= ui.button("Cancel").clicked();
                    });
                });
            });
        if cancel {
            self.cancel_plot_animation(ctx);
        }
    }

    /// Whether the plot's animation is being drawn.
    pub fn is_drawing_animation(&self) -> bool {
        self.rt.plot_animation.is_some()
    }
}

/// `--animate OUT --plot-only`: the playback of `app`'s plot at `size`
/// pixels, drawn and encoded on every core; the file's bytes.
pub fn animate_headless(
    app: &TeleportApp,
    settings: &AnimationSettings,
    size: [u32; 2],
) -> Result<Vec<u8>, String> {
    let threads = teleport_core::plot::all_cores();
    let mut encoding = Encoding::new(app.playback_frames(size), settings, threads);
    loop {
        if let Some(bytes) = encoding.advance(2 * threads)? {
            return Ok(bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_step_holds_longer() {
        let settings = AnimationSettings {
            frames_per_step: 2,
            fps: 4,
            hold_last_ms: 1500,
            ..Default::default()
        };
        assert_eq!(delays(&settings, 3), [500, 500, 2000]);
        assert!(delays(&settings, 0).is_empty());
    }
}
