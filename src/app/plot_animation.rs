//! File → Export animation (the plot) and `--animate OUT --plot-only`: the
//! playback of the level-set plot drawn by the core's renderer, without a
//! window, so no pointer, tooltip or panel ever shows in a frame and no
//! display is needed.
//!
//! Each frame is [`TeleportApp::level_set_plot_at`] a step of the playback
//! ([`super::plot_export::PlaybackFrames`]), made when it is drawn.
//! In the app a [`Worker`] draws a few frames per step (on every core, on a
//! thread on the desktop; in slices of the frame on the web) and feeds them
//! to the core's encoder; the progress shows and Cancel stops it, writing
//! nothing. The command line draws and encodes them in one call.

use std::path::PathBuf;

use teleport_core::anim::{AnimEncoder, AnimFormat, RgbaFrame};
use teleport_core::plot::{LevelSetPlot, level_set_frames};

use super::TeleportApp;
use super::animation::{AnimationSettings, Outcome};
use super::job::{Sink, Step, Worker};

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

/// Draws the frames of a range of the playback.
pub type DrawFrames =
    Box<dyn FnMut(std::ops::Range<usize>) -> Result<Vec<RgbaFrame>, String> + Send>;

/// The threads that draw frames: every core, one on the web.
pub fn frame_threads() -> usize {
    if cfg!(target_arch = "wasm32") {
        1
    } else {
        teleport_core::plot::all_cores()
    }
}

/// The worker's step function: draws [`FRAMES_PER_STEP`] of the `total`
/// frames a step and pushes them to the encoder; after the last, sends
/// the file's bytes.
fn render(
    total: usize,
    mut draw: DrawFrames,
    delays: Vec<u32>,
    format: AnimFormat,
) -> impl FnMut(&Sink<Event>) -> Step + Send + 'static {
    let mut next = 0;
    let mut encoder: Option<AnimEncoder> = None;
    move |sink| {
        let end = (next + FRAMES_PER_STEP).min(total);
        let frames = match draw(next..end) {
            Ok(frames) => frames,
            Err(e) => {
                sink.send(Event::Finished(Err(e)));
                return Step::Done;
            }
        };
        for (frame, delay) in frames.iter().zip(&delays[next..end]) {
            let enc = match &mut encoder {
                Some(enc) => enc,
                None => match AnimEncoder::new(format, frame.width, frame.height, total as u32) {
                    Ok(enc) => encoder.insert(enc),
                    Err(e) => {
                        sink.send(Event::Finished(Err(e.to_string())));
                        return Step::Done;
                    }
                },
            };
            if let Err(e) = enc.push(frame, *delay) {
                sink.send(Event::Finished(Err(e.to_string())));
                return Step::Done;
            }
        }
        next = end;
        sink.send(Event::Progress(next, total));
        if next < total {
            return Step::More;
        }
        let bytes = match encoder.take() {
            Some(enc) => enc.finish().map_err(|e| e.to_string()),
            None => Err("no frame to draw".to_owned()),
        };
        sink.send(Event::Finished(bytes));
        Step::Done
    }
}

impl TeleportApp {
    /// The playback's frames at `size` pixels: the plot at each step drawn
    /// ([`super::plot_export::PlaybackFrames::steps`]), all at once (the 3D playback's input).
    pub fn playback_plots(&self, size: [u32; 2]) -> Vec<LevelSetPlot> {
        let frames = self.playback_frames(size);
        frames
            .steps()
            .into_iter()
            .map(|t| frames.plot_at(t))
            .collect()
    }

    /// The plane's playback at `size` pixels as frames made when drawn:
    /// their count and what draws a range of them. Only a batch's plots
    /// are ever held (every frame's at once held each run once per step:
    /// gigabytes for a long run).
    fn plane_frames(&self, size: [u32; 2]) -> (usize, DrawFrames) {
        let frames = self.playback_frames(size);
        let steps = frames.steps();
        let total = steps.len();
        let threads = frame_threads();
        let draw = move |range: std::ops::Range<usize>| {
            let plots: Vec<LevelSetPlot> =
                steps[range].iter().map(|&t| frames.plot_at(t)).collect();
            level_set_frames(&plots, threads).map_err(|e| e.to_string())
        };
        (total, Box::new(draw))
    }

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
        let (total, draw): (usize, DrawFrames) = if self.network_active() {
            let figures = self.network_playback_figures(size);
            let total = figures.len();
            (total, super::network::data_view::figure_frames(figures))
        } else {
            self.plane_frames(size)
        };
        let delays = delays(settings, total);
        let mut worker = Worker::new("animation");
        if let Err(e) = worker.start(ctx, render(total, draw, delays, settings.format)) {
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
    if app.network_active() {
        let figures = app.network_playback_figures(size);
        let delays = delays(settings, figures.len());
        return super::network::data_view::encode_figures(figures, &delays, settings.format);
    }
    let (total, mut draw) = app.plane_frames(size);
    let delays = delays(settings, total);
    let batch = 2 * frame_threads();
    let mut encoder: Option<AnimEncoder> = None;
    for start in (0..total).step_by(batch) {
        let end = (start + batch).min(total);
        for (frame, delay) in draw(start..end)?.iter().zip(&delays[start..end]) {
            let enc = match &mut encoder {
                Some(enc) => enc,
                None => encoder.insert(
                    AnimEncoder::new(settings.format, frame.width, frame.height, total as u32)
                        .map_err(|e| e.to_string())?,
                ),
            };
            enc.push(frame, *delay).map_err(|e| e.to_string())?;
        }
    }
    match encoder {
        Some(enc) => enc.finish().map_err(|e| e.to_string()),
        None => Err("no frame to draw".to_owned()),
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
