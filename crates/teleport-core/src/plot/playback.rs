//! Animations drawn without a window: a playback of the level-set plot, and
//! of the 3D surface ([`super::surface`]), rendered frame by frame on every
//! core and encoded as GIF or APNG by [`crate::anim::AnimEncoder`].
//!
//! The caller describes each frame as a [`LevelSetPlot`] (every row's
//! trajectory up to that step, the current point and its orbit). Frames
//! that share the objective, the view, the size, the colour map, the
//! contours and the title share one backdrop — the colour map, the
//! contours, the grid and the axes, drawn once — and each frame only draws
//! its own rows, markers and legend over a copy of it. Frames are drawn in
//! batches on `threads` threads ([`crate::eval::map_pooled`]) while an
//! encoder thread writes the previous batch, in order: the bytes do not
//! depend on the thread count.
//!
//! ```
//! use teleport_core::anim::AnimFormat;
//! use teleport_core::objective::Preset;
//! use teleport_core::plot::{LevelSetPlot, LevelSetRow, PALETTE, level_set_animation};
//!
//! let base = LevelSetPlot::new(Preset::ElliFixed.objective(), (-6.0, 6.0), (-4.0, 4.0));
//! let path = [[-5.0, 3.5], [-4.0, 1.0], [-2.5, 0.3]];
//! let frames: Vec<LevelSetPlot> = (1..=path.len())
//!     .map(|k| {
//!         let mut plot = LevelSetPlot { width: 320, height: 240, ..base.clone() };
//!         plot.rows.push(LevelSetRow {
//!             name: "GD".into(),
//!             color: PALETTE[0],
//!             points: path[..k].to_vec(),
//!             jumps: vec![],
//!             shown: true,
//!         });
//!         plot
//!     })
//!     .collect();
//! let gif = level_set_animation(&frames, &[500, 500, 2000], AnimFormat::Gif, 2)?;
//! assert_eq!(&gif[..6], b"GIF89a");
//! # Ok::<(), teleport_core::plot::AnimationError>(())
//! ```

use std::collections::HashMap;
use std::sync::mpsc::sync_channel;

use super::level_set::drawn_view;
use super::surface::{SurfaceError, SurfaceMesh, SurfacePlot};
use super::{Backdrop, Figure, LevelSetPlot, PlotError};
use crate::anim::{AnimEncoder, AnimError, AnimFormat, RgbaFrame};
use crate::eval::map_pooled;

/// Why an animation could not be made.
#[derive(Debug, thiserror::Error)]
pub enum AnimationError {
    /// No frame was given.
    #[error("an animation needs at least one frame")]
    NoFrames,
    /// The delays do not match the frames one to one.
    #[error("{delays} delays given for {frames} frames: each frame needs one")]
    Delays {
        /// How many frames were given.
        frames: usize,
        /// How many delays were given.
        delays: usize,
    },
    /// A frame could not be drawn.
    #[error(transparent)]
    Plot(#[from] PlotError),
    /// A surface frame could not be built.
    #[error(transparent)]
    Surface(#[from] SurfaceError),
    /// The encoder failed.
    #[error(transparent)]
    Encode(#[from] AnimError),
    /// The progress callback asked to stop.
    #[error("the animation was cancelled")]
    Cancelled,
}

/// Told `(frames drawn, frames in all)` after each batch of frames goes to
/// the encoder; returning `false` stops the animation
/// ([`AnimationError::Cancelled`]). It runs on the calling thread.
pub type Progress<'a> = &'a mut dyn FnMut(usize, usize) -> bool;

/// Every core this process may use: what callers pass as `threads` to draw
/// on all of them.
pub fn all_cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// Each plot drawn as [`LevelSetPlot::figure`] and [`Figure::render`] draw
/// it, as straight RGBA, on `threads` threads (at least one), backdrops
/// shared as the module docs say. Holds every frame in memory: for files,
/// [`level_set_animation`] streams them into the encoder instead.
pub fn level_set_frames(
    plots: &[LevelSetPlot],
    threads: usize,
) -> Result<Vec<RgbaFrame>, AnimationError> {
    let groups = backdrop_groups(plots, LevelSetPlot::same_backdrop);
    let mut frames = Vec::with_capacity(plots.len());
    let mut cache = HashMap::new();
    for batch in batches(plots.len(), threads) {
        frames.extend(level_set_batch(plots, &groups, batch, threads, &mut cache)?);
    }
    Ok(frames)
}

/// The playback of `plots` as an animated GIF or APNG, frame `k` shown for
/// `delays_ms[k]` milliseconds, the frames drawn on `threads` threads (at
/// least one; [`all_cores`] for every core) and the same bytes whatever the
/// thread count. The animation has the first plot's size.
pub fn level_set_animation(
    plots: &[LevelSetPlot],
    delays_ms: &[u32],
    format: AnimFormat,
    threads: usize,
) -> Result<Vec<u8>, AnimationError> {
    level_set_animation_with(plots, delays_ms, format, threads, &mut |_, _| true)
}

/// [`level_set_animation`], reporting its progress to `progress`, which
/// may stop it.
pub fn level_set_animation_with(
    plots: &[LevelSetPlot],
    delays_ms: &[u32],
    format: AnimFormat,
    threads: usize,
    progress: Progress,
) -> Result<Vec<u8>, AnimationError> {
    check_frames(plots.len(), delays_ms)?;
    let size = plots.first().map_or((0, 0), |p| (p.width, p.height));
    let groups = backdrop_groups(plots, LevelSetPlot::same_backdrop);
    let mut cache = HashMap::new();
    let render = |batch| level_set_batch(plots, &groups, batch, threads, &mut cache);
    encode_streamed(size, delays_ms, format, threads, render, progress)
}

/// The 3D playback of `plots` ([`SurfacePlot::from_level_set`] with
/// `surface`'s camera, facets, height scale and layers): frame `k` shows
/// what plot `k` shows, lifted onto the surface; frames that share the
/// objective and view share one mesh. As [`level_set_animation`] otherwise.
pub fn surface_playback_animation(
    plots: &[LevelSetPlot],
    surface: &SurfacePlot,
    delays_ms: &[u32],
    format: AnimFormat,
    threads: usize,
) -> Result<Vec<u8>, AnimationError> {
    surface_playback_animation_with(plots, surface, delays_ms, format, threads, &mut |_, _| true)
}

/// [`surface_playback_animation`], reporting its progress to `progress`,
/// which may stop it.
pub fn surface_playback_animation_with(
    plots: &[LevelSetPlot],
    surface: &SurfacePlot,
    delays_ms: &[u32],
    format: AnimFormat,
    threads: usize,
    progress: Progress,
) -> Result<Vec<u8>, AnimationError> {
    check_frames(plots.len(), delays_ms)?;
    let scenes: Vec<SurfacePlot> = plots.iter().map(|p| surface.with_level_set(p)).collect();
    let size = scenes.first().map_or((0, 0), |s| (s.width, s.height));
    let groups = backdrop_groups(&scenes, SurfacePlot::same_mesh);
    let mut meshes: HashMap<usize, SurfaceMesh> = HashMap::new();
    let render = |batch: std::ops::Range<usize>| {
        let needed = needed_groups(&groups, &batch);
        meshes.retain(|g, _| needed.contains(g));
        let missing: Vec<usize> = needed
            .iter()
            .copied()
            .filter(|g| !meshes.contains_key(g))
            .collect();
        let built = map_pooled(&missing, threads, |&g| scenes[g].mesh());
        for (g, mesh) in missing.into_iter().zip(built) {
            meshes.insert(g, mesh?);
        }
        let frames: Vec<usize> = batch.collect();
        let meshes = &meshes;
        map_pooled(&frames, threads, |&k| {
            let mesh = meshes
                .get(&groups[k])
                .ok_or(PlotError::Encode("a frame lost its mesh".into()))?;
            let scene = scenes[k].scene_on(mesh);
            Ok(rgba_frame(super::surface::render_scene(&scene)?))
        })
        .into_iter()
        .collect()
    };
    encode_streamed(size, delays_ms, format, threads, render, progress)
}

/// One turn of the camera around `plot`'s surface in `frames` frames (at
/// least one), each shown `delay_ms` milliseconds: frame `k` looks from
/// azimuth `plot.camera.azimuth_deg + 360·k/frames`, at the plot's
/// elevation and zoom. The mesh is built once; frames are drawn on
/// `threads` threads; the same bytes whatever the thread count.
pub fn surface_orbit_animation(
    plot: &SurfacePlot,
    frames: u32,
    delay_ms: u32,
    format: AnimFormat,
    threads: usize,
) -> Result<Vec<u8>, AnimationError> {
    surface_orbit_animation_with(plot, frames, delay_ms, format, threads, &mut |_, _| true)
}

/// [`surface_orbit_animation`], reporting its progress to `progress`, which
/// may stop it.
pub fn surface_orbit_animation_with(
    plot: &SurfacePlot,
    frames: u32,
    delay_ms: u32,
    format: AnimFormat,
    threads: usize,
    progress: Progress,
) -> Result<Vec<u8>, AnimationError> {
    let frames = frames.max(1);
    let mesh = plot.mesh()?;
    let delays = vec![delay_ms; frames as usize];
    let render = |batch: std::ops::Range<usize>| {
        let ks: Vec<usize> = batch.collect();
        map_pooled(&ks, threads, |&k| {
            let mut camera = plot.camera;
            camera.azimuth_deg += 360.0 * k as f64 / f64::from(frames);
            let scene = plot.scene_with_camera(&mesh, camera);
            Ok(rgba_frame(super::surface::render_scene(&scene)?))
        })
        .into_iter()
        .collect()
    };
    let size = (plot.width, plot.height);
    encode_streamed(size, &delays, format, threads, render, progress)
}

/// An error when there is no frame or the delays do not match the frames.
fn check_frames(frames: usize, delays_ms: &[u32]) -> Result<(), AnimationError> {
    if frames == 0 {
        return Err(AnimationError::NoFrames);
    }
    if delays_ms.len() != frames {
        return Err(AnimationError::Delays {
            frames,
            delays: delays_ms.len(),
        });
    }
    Ok(())
}

/// For each item, the index of the first item of its run of items that
/// `same` says share their backdrop (consecutive items only).
fn backdrop_groups<T>(items: &[T], same: impl Fn(&T, &T) -> bool) -> Vec<usize> {
    let mut groups: Vec<usize> = Vec::with_capacity(items.len());
    for (k, item) in items.iter().enumerate() {
        let group = match groups.last() {
            Some(&g) if same(&items[g], item) => g,
            _ => k,
        };
        groups.push(group);
    }
    groups
}

/// The groups the frames of `batch` need, in order.
fn needed_groups(groups: &[usize], batch: &std::ops::Range<usize>) -> Vec<usize> {
    let mut needed: Vec<usize> = groups[batch.clone()].to_vec();
    needed.dedup();
    needed
}

/// Frame ranges of a few frames per thread: enough to keep every thread
/// busy, few enough to bound memory (a frame is `width × height × 4` bytes).
fn batches(count: usize, threads: usize) -> impl Iterator<Item = std::ops::Range<usize>> {
    let size = threads.clamp(1, 64) * 2;
    (0..count.div_ceil(size)).map(move |b| b * size..((b + 1) * size).min(count))
}

/// The frames of `batch`, their backdrops taken from `cache` or drawn (and
/// the backdrops no longer needed dropped).
fn level_set_batch(
    plots: &[LevelSetPlot],
    groups: &[usize],
    batch: std::ops::Range<usize>,
    threads: usize,
    cache: &mut HashMap<usize, Option<Backdrop>>,
) -> Result<Vec<RgbaFrame>, AnimationError> {
    let needed = needed_groups(groups, &batch);
    cache.retain(|g, _| needed.contains(g));
    let missing: Vec<usize> = needed
        .iter()
        .copied()
        .filter(|g| !cache.contains_key(g))
        .collect();
    let drawn = map_pooled(&missing, threads, |&g| backdrop_of(&plots[g]));
    for (g, backdrop) in missing.into_iter().zip(drawn) {
        cache.insert(g, backdrop?);
    }
    let frames: Vec<usize> = batch.collect();
    let cache = &*cache;
    map_pooled(&frames, threads, |&k| {
        let plot = &plots[k];
        let pixmap = match cache.get(&groups[k]) {
            Some(Some(backdrop)) => backdrop.render(&plot.overlay_items(), plot.legend)?,
            _ => plot.figure().render()?,
        };
        Ok(rgba_frame(pixmap))
    })
    .into_iter()
    .collect()
}

/// The backdrop of a level-set plot: its chart with the background items
/// over the view its layout shows, as [`LevelSetPlot::figure`] builds it;
/// `None` when the view cannot be laid out (such frames are drawn whole).
fn backdrop_of(plot: &LevelSetPlot) -> Result<Option<Backdrop>, PlotError> {
    let mut chart = plot.chart();
    let skeleton = Figure::new(plot.width, plot.height, vec![chart.clone()]);
    let frame = skeleton.layout_frames()?.into_iter().next();
    let Some((frame, (x, y))) = frame.and_then(|f| Some((f, drawn_view(&f)?))) else {
        return Ok(None);
    };
    chart.x_range = Some(x);
    chart.y_range = Some(y);
    chart.items = plot.background_items(&frame);
    Figure::new(plot.width, plot.height, vec![chart]).backdrop()
}

/// A rendered pixmap as straight RGBA.
pub(super) fn rgba_frame(pixmap: tiny_skia::Pixmap) -> RgbaFrame {
    let (width, height) = (pixmap.width(), pixmap.height());
    let mut data = pixmap.take();
    for px in data.chunks_exact_mut(4) {
        if px[3] != 255
            && let Some(p) = tiny_skia::PremultipliedColorU8::from_rgba(px[0], px[1], px[2], px[3])
        {
            let c = p.demultiply();
            px.copy_from_slice(&[c.red(), c.green(), c.blue(), c.alpha()]);
        }
    }
    RgbaFrame {
        width,
        height,
        data,
    }
}

/// Draws the frames batch by batch with `render_batch` and encodes them in
/// order on a thread of their own, which writes one batch while the next
/// is drawn; `progress` hears of each batch and may stop.
fn encode_streamed(
    (width, height): (u32, u32),
    delays_ms: &[u32],
    format: AnimFormat,
    threads: usize,
    mut render_batch: impl FnMut(std::ops::Range<usize>) -> Result<Vec<RgbaFrame>, AnimationError>,
    progress: Progress,
) -> Result<Vec<u8>, AnimationError> {
    let count = delays_ms.len();
    if count == 0 {
        return Err(AnimationError::NoFrames);
    }
    let mut encoder = AnimEncoder::new(format, width, height, count as u32)?;
    let size = threads.clamp(1, 64) * 2;
    std::thread::scope(|scope| {
        let (tx, rx) = sync_channel::<(RgbaFrame, u32)>(size);
        let writer = scope.spawn(move || -> Result<Vec<u8>, AnimError> {
            for (frame, delay) in rx {
                encoder.push(&frame, delay)?;
            }
            encoder.finish()
        });
        let mut drawn = Ok(());
        'batches: for batch in batches(count, threads) {
            let (delays, done) = (&delays_ms[batch.clone()], batch.end);
            match render_batch(batch) {
                Ok(frames) => {
                    for (frame, &delay) in frames.into_iter().zip(delays) {
                        // A closed channel means the encoder failed: it says why.
                        if tx.send((frame, delay)).is_err() {
                            break 'batches;
                        }
                    }
                    if !progress(done, count) {
                        drawn = Err(AnimationError::Cancelled);
                        break;
                    }
                }
                Err(e) => {
                    drawn = Err(e);
                    break;
                }
            }
        }
        drop(tx);
        let encoded = writer
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        drawn?;
        Ok(encoded?)
    })
}
