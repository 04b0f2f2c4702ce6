//! Animated GIF and APNG from RGBA frames, written as they arrive.
//!
//! The app's File → Export animation… and `teleport-lab FILE --animate
//! OUT.gif` hand each rendered frame to an [`AnimEncoder`]. Consecutive
//! frames of a playback differ in a small part (a new trajectory segment, a
//! marker, a readout), so every frame after the first is written as the
//! bounding box of what changed, with unchanged pixels transparent: a
//! 20-step animation of a 1280 × 800 plot takes a few hundred kilobytes
//! instead of tens of megabytes.
//!
//! GIF holds at most 256 colours per frame. The first frame gets a palette
//! learned by NeuQuant; a changed region gets its exact colours when it has
//! at most 255 of them (a trajectory, text) and a NeuQuant palette of its
//! own otherwise. APNG keeps every colour.
//!
//! ```
//! use teleport_core::anim::{AnimEncoder, AnimFormat, RgbaFrame};
//!
//! let mut enc = AnimEncoder::new(AnimFormat::Gif, 4, 3, 2)?;
//! let mut frame = RgbaFrame::filled(4, 3, [255, 255, 255, 255]);
//! enc.push(&frame, 100)?;
//! frame.put(1, 1, [200, 0, 0, 255]);
//! enc.push(&frame, 100)?;
//! let gif = enc.finish()?;
//! assert_eq!(&gif[..6], b"GIF89a");
//! # Ok::<(), teleport_core::anim::AnimError>(())
//! ```

use std::collections::HashMap;
use std::path::Path;

/// The largest accepted frame side, in pixels (GIF stores sides as u16).
pub const MAX_SIDE: u32 = 8192;

/// The file formats an animation can be written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnimFormat {
    /// Animated GIF: 256 colours per frame, plays everywhere.
    Gif,
    /// Animated PNG: every colour, plays in browsers.
    Apng,
}

impl AnimFormat {
    /// The format a file name asks for: `.gif`, or `.png`/`.apng`.
    pub fn from_path(path: &Path) -> Result<Self, AnimError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("gif") => Ok(Self::Gif),
            Some("png" | "apng") => Ok(Self::Apng),
            _ => Err(AnimError::Extension(path.display().to_string())),
        }
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Gif => "gif",
            Self::Apng => "png",
        }
    }
}

/// Why an animation could not be written.
#[derive(Debug, thiserror::Error)]
pub enum AnimError {
    /// The file name does not say GIF or PNG.
    #[error("{0}: an animation is written as .gif or .png (APNG)")]
    Extension(String),
    /// A side is zero or too large.
    #[error("animation size {0}x{1} is invalid: each side must be 1 to {MAX_SIDE} pixels")]
    Size(u32, u32),
    /// More frames than announced (APNG announces its frame count first).
    #[error("more frames than the {0} announced")]
    TooManyFrames(u32),
    /// Fewer frames than announced.
    #[error("{got} frames written, {announced} announced")]
    TooFewFrames {
        /// Frames pushed.
        got: u32,
        /// Frames announced.
        announced: u32,
    },
    /// The encoder failed.
    #[error("cannot encode the animation: {0}")]
    Encode(String),
}

/// An 8-bit RGBA image, rows top to bottom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RgbaFrame {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width * height * 4` bytes.
    pub data: Vec<u8>,
}

impl RgbaFrame {
    /// A frame of one colour.
    pub fn filled(width: u32, height: u32, rgba: [u8; 4]) -> Self {
        let n = width as usize * height as usize;
        Self {
            width,
            height,
            data: rgba.repeat(n),
        }
    }

    /// A frame from raw RGBA bytes; `None` when the length does not match.
    pub fn from_raw(width: u32, height: u32, data: Vec<u8>) -> Option<Self> {
        (data.len() == width as usize * height as usize * 4).then_some(Self {
            width,
            height,
            data,
        })
    }

    /// The pixel at `(x, y)`, if inside.
    pub fn get(&self, x: u32, y: u32) -> Option<[u8; 4]> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let i = (y as usize * self.width as usize + x as usize) * 4;
        let p = self.data.get(i..i + 4)?;
        Some([p[0], p[1], p[2], p[3]])
    }

    /// Sets the pixel at `(x, y)`; outside is ignored.
    pub fn put(&mut self, x: u32, y: u32, rgba: [u8; 4]) {
        if x < self.width && y < self.height {
            let i = (y as usize * self.width as usize + x as usize) * 4;
            if let Some(p) = self.data.get_mut(i..i + 4) {
                p.copy_from_slice(&rgba);
            }
        }
    }

    /// This frame on a `width × height` canvas: cropped or padded with
    /// white at the right and bottom, alpha made opaque.
    fn fitted(&self, width: u32, height: u32) -> Vec<[u8; 3]> {
        let mut out = vec![[255u8; 3]; width as usize * height as usize];
        let w = self.width.min(width) as usize;
        for y in 0..self.height.min(height) as usize {
            for x in 0..w {
                let i = (y * self.width as usize + x) * 4;
                if let Some(p) = self.data.get(i..i + 3) {
                    out[y * width as usize + x] = [p[0], p[1], p[2]];
                }
            }
        }
        out
    }
}

/// The smallest rectangle holding every pixel that differs: `(x, y, w, h)`.
fn changed_box(
    prev: &[[u8; 3]],
    next: &[[u8; 3]],
    width: usize,
) -> Option<(usize, usize, usize, usize)> {
    let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
    for (y, (a, b)) in prev.chunks(width).zip(next.chunks(width)).enumerate() {
        let Some(first) = a.iter().zip(b).position(|(p, q)| p != q) else {
            continue;
        };
        let last = a.iter().zip(b).rposition(|(p, q)| p != q).unwrap_or(first);
        x0 = x0.min(first);
        x1 = x1.max(last);
        y0 = y0.min(y);
        y1 = y;
    }
    (x0 != usize::MAX).then(|| (x0, y0, x1 - x0 + 1, y1 - y0 + 1))
}

/// A GIF palette of at most `max` colours and the index of each colour.
struct Palette {
    rgb: Vec<u8>,
    index: HashMap<[u8; 3], u8>,
}

/// Palette slots kept for exact colours that NeuQuant misses.
const EXACT_EXTRAS: usize = 24;

/// A colour is missed when its nearest learned colour is farther than this
/// (sum of absolute channel differences).
const MISSED: u32 = 30;

impl Palette {
    /// The exact colours of `pixels` when there are at most `max`. Else a
    /// NeuQuant palette plus up to [`EXACT_EXTRAS`] exact colours that it
    /// misses: NeuQuant learns what covers many pixels (the colour map), and
    /// a plot's few saturated colours (trajectories, legend swatches) would
    /// otherwise come out grey.
    fn of(pixels: &[[u8; 3]], max: usize) -> Self {
        let mut counts: HashMap<[u8; 3], u32> = HashMap::new();
        for p in pixels {
            *counts.entry(*p).or_insert(0) += 1;
        }
        if counts.len() <= max {
            let mut colours: Vec<[u8; 3]> = counts.into_keys().collect();
            colours.sort_unstable();
            let index = colours
                .iter()
                .enumerate()
                .map(|(i, c)| (*c, i as u8))
                .collect();
            let mut rgb: Vec<u8> = colours.concat();
            if rgb.is_empty() {
                rgb.extend_from_slice(&[255, 255, 255]);
            }
            return Self { rgb, index };
        }
        let learned = max - EXACT_EXTRAS;
        let rgba: Vec<u8> = pixels
            .iter()
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect();
        // Sample factor 10: NeuQuant's own speed/quality trade-off for
        // photographs; plots are far simpler.
        let quant = color_quant::NeuQuant::new(10, learned, &rgba);
        let mut rgb = quant.color_map_rgb();
        let table: Vec<[u8; 3]> = rgb.chunks(3).map(|c| [c[0], c[1], c[2]]).collect();
        let error = |c: &[u8; 3]| -> u32 {
            table
                .iter()
                .map(|t| (0..3).map(|k| u32::from(t[k].abs_diff(c[k]))).sum::<u32>())
                .min()
                .unwrap_or(u32::MAX)
        };
        // The colours NeuQuant misses by most, weighted by how many pixels
        // have them.
        let mut missed: Vec<(u64, [u8; 3])> = counts
            .iter()
            .filter_map(|(c, n)| {
                let e = error(c);
                (e > MISSED).then_some((u64::from(e) * u64::from(*n), *c))
            })
            .collect();
        missed.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for (_, c) in missed.iter().take(EXACT_EXTRAS) {
            rgb.extend_from_slice(c);
        }
        let mut palette = Self {
            rgb,
            index: HashMap::with_capacity(counts.len()),
        };
        for c in counts.keys() {
            let i = palette.nearest(*c);
            palette.index.insert(*c, i);
        }
        palette
    }

    /// The index of the palette colour nearest to `c` (sum of absolute
    /// channel differences).
    fn nearest(&self, c: [u8; 3]) -> u8 {
        self.rgb
            .chunks(3)
            .enumerate()
            .min_by_key(|(_, t)| (0..3).map(|k| u32::from(t[k].abs_diff(c[k]))).sum::<u32>())
            .map_or(0, |(i, _)| i as u8)
    }

    fn index_of(&self, p: [u8; 3]) -> u8 {
        match self.index.get(&p) {
            Some(&i) => i,
            None => self.nearest(p),
        }
    }

    /// The palette padded to a power of two (GIF's table sizes), and the
    /// first free slot (for the transparent colour) if any.
    fn table(&self) -> (Vec<u8>, usize) {
        let n = self.rgb.len() / 3;
        let size = (n + 1).next_power_of_two().clamp(2, 256);
        let mut table = self.rgb.clone();
        table.resize(size * 3, 0);
        (table, n)
    }
}

/// Where the APNG writer puts its bytes: `png::Writer` cannot give its
/// output back, so the encoder keeps a second handle on it.
#[derive(Clone, Default)]
struct Sink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Sink {
    fn take(&self) -> Vec<u8> {
        std::mem::take(
            &mut *self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }
}

impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

enum Inner {
    Gif(gif::Encoder<Vec<u8>>),
    Apng(png::Writer<Sink>, Sink),
}

/// Writes an animation frame by frame into memory (see the module docs).
pub struct AnimEncoder {
    inner: Inner,
    width: u32,
    height: u32,
    announced: u32,
    frames: u32,
    prev: Option<Vec<[u8; 3]>>,
}

impl std::fmt::Debug for AnimEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnimEncoder")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("frames", &self.frames)
            .finish_non_exhaustive()
    }
}

fn encode_error(e: impl std::fmt::Display) -> AnimError {
    AnimError::Encode(e.to_string())
}

impl AnimEncoder {
    /// An animation of `frames` frames of `width × height` that loops
    /// forever. Frames of another size are cropped or padded with white.
    pub fn new(
        format: AnimFormat,
        width: u32,
        height: u32,
        frames: u32,
    ) -> Result<Self, AnimError> {
        if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
            return Err(AnimError::Size(width, height));
        }
        let inner = match format {
            AnimFormat::Gif => {
                let mut enc = gif::Encoder::new(Vec::new(), width as u16, height as u16, &[])
                    .map_err(encode_error)?;
                enc.set_repeat(gif::Repeat::Infinite)
                    .map_err(encode_error)?;
                Inner::Gif(enc)
            }
            AnimFormat::Apng => {
                let sink = Sink::default();
                let mut enc = png::Encoder::new(sink.clone(), width, height);
                enc.set_color(png::ColorType::Rgba);
                enc.set_depth(png::BitDepth::Eight);
                enc.set_compression(png::Compression::Balanced);
                enc.set_animated(frames.max(1), 0).map_err(encode_error)?;
                Inner::Apng(enc.write_header().map_err(encode_error)?, sink)
            }
        };
        Ok(Self {
            inner,
            width,
            height,
            announced: frames.max(1),
            frames: 0,
            prev: None,
        })
    }

    /// Frames written so far.
    pub fn frames(&self) -> u32 {
        self.frames
    }

    /// Adds a frame shown for `delay_ms` milliseconds (GIF rounds to
    /// hundredths of a second, at least 2: browsers slow faster frames).
    pub fn push(&mut self, frame: &RgbaFrame, delay_ms: u32) -> Result<(), AnimError> {
        if self.frames >= self.announced {
            return Err(AnimError::TooManyFrames(self.announced));
        }
        let (w, h) = (self.width as usize, self.height as usize);
        let pixels = frame.fitted(self.width, self.height);
        let region = match &self.prev {
            None => Some((0, 0, w, h)),
            Some(prev) => changed_box(prev, &pixels, w),
        };
        match &mut self.inner {
            Inner::Gif(enc) => {
                let delay = (delay_ms.div_ceil(10)).clamp(2, u32::from(u16::MAX)) as u16;
                let frame = gif_frame(self.prev.as_deref(), &pixels, w, region, delay);
                enc.write_frame(&frame).map_err(encode_error)?;
            }
            Inner::Apng(writer, _) => {
                let delay = delay_ms.clamp(1, u32::from(u16::MAX)) as u16;
                writer.set_frame_delay(delay, 1000).map_err(encode_error)?;
                let (x, y, rw, rh) = region.unwrap_or((0, 0, 1, 1));
                let mut data = Vec::with_capacity(rw * rh * 4);
                for row in y..y + rh {
                    for col in x..x + rw {
                        let p = pixels[row * w + col];
                        let same = self
                            .prev
                            .as_ref()
                            .is_some_and(|prev| prev[row * w + col] == p);
                        data.extend_from_slice(&if same {
                            [0, 0, 0, 0]
                        } else {
                            [p[0], p[1], p[2], 255]
                        });
                    }
                }
                if self.frames > 0 {
                    writer
                        .set_blend_op(png::BlendOp::Over)
                        .map_err(encode_error)?;
                    // Position first at the origin: the writer checks each
                    // change against the other's current value.
                    writer.set_frame_position(0, 0).map_err(encode_error)?;
                    writer
                        .set_frame_dimension(rw as u32, rh as u32)
                        .map_err(encode_error)?;
                    writer
                        .set_frame_position(x as u32, y as u32)
                        .map_err(encode_error)?;
                }
                writer.write_image_data(&data).map_err(encode_error)?;
            }
        }
        self.prev = Some(pixels);
        self.frames += 1;
        Ok(())
    }

    /// The finished file's bytes.
    pub fn finish(self) -> Result<Vec<u8>, AnimError> {
        if self.frames != self.announced && matches!(self.inner, Inner::Apng(..)) {
            return Err(AnimError::TooFewFrames {
                got: self.frames,
                announced: self.announced,
            });
        }
        match self.inner {
            Inner::Gif(enc) => enc.into_inner().map_err(encode_error),
            Inner::Apng(writer, sink) => {
                writer.finish().map_err(encode_error)?;
                Ok(sink.take())
            }
        }
    }
}

/// One GIF frame: the changed region, unchanged pixels transparent.
fn gif_frame(
    prev: Option<&[[u8; 3]]>,
    pixels: &[[u8; 3]],
    width: usize,
    region: Option<(usize, usize, usize, usize)>,
    delay: u16,
) -> gif::Frame<'static> {
    let Some((x, y, w, h)) = region else {
        // Nothing changed: one transparent pixel keeps the timing.
        return gif::Frame {
            delay,
            width: 1,
            height: 1,
            transparent: Some(1),
            palette: Some(vec![0, 0, 0, 0, 0, 0]),
            buffer: std::borrow::Cow::Owned(vec![1]),
            ..gif::Frame::default()
        };
    };
    let changed = |row: usize, col: usize| {
        prev.is_none_or(|prev| prev[row * width + col] != pixels[row * width + col])
    };
    let mut colours = Vec::with_capacity(w * h);
    for row in y..y + h {
        for col in x..x + w {
            if changed(row, col) {
                colours.push(pixels[row * width + col]);
            }
        }
    }
    // One slot stays free for "transparent" once a previous frame exists.
    let max = if prev.is_some() { 255 } else { 256 };
    let palette = Palette::of(&colours, max);
    let (table, free) = palette.table();
    let transparent = (prev.is_some()).then_some(free.min(255) as u8);
    let mut buffer = Vec::with_capacity(w * h);
    for row in y..y + h {
        for col in x..x + w {
            buffer.push(if changed(row, col) {
                palette.index_of(pixels[row * width + col])
            } else {
                transparent.unwrap_or(0)
            });
        }
    }
    gif::Frame {
        delay,
        left: x as u16,
        top: y as u16,
        width: w as u16,
        height: h as u16,
        transparent,
        palette: Some(table),
        buffer: std::borrow::Cow::Owned(buffer),
        ..gif::Frame::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::AnimationDecoder;

    /// Every frame as a viewer composes it, by `image`'s own decoders.
    fn decode(format: AnimFormat, bytes: &[u8]) -> Vec<(image::RgbaImage, u32)> {
        let frames = match format {
            AnimFormat::Gif => image::codecs::gif::GifDecoder::new(std::io::Cursor::new(bytes))
                .expect("a GIF")
                .into_frames(),
            AnimFormat::Apng => image::codecs::png::PngDecoder::new(std::io::Cursor::new(bytes))
                .expect("a PNG")
                .apng()
                .expect("an APNG")
                .into_frames(),
        };
        frames
            .map(|f| {
                let f = f.expect("a frame");
                let (num, den) = f.delay().numer_denom_ms();
                (f.into_buffer(), num / den.max(1))
            })
            .collect()
    }

    /// A plot-like sequence: a colour map (a ramp of 1 024 colours over a
    /// smooth field, plus `noise`) and a trajectory that grows by one
    /// segment per frame.
    fn playback(width: u32, height: u32, steps: u32, noise: u32) -> Vec<RgbaFrame> {
        let mut frame = RgbaFrame::filled(width, height, [255; 4]);
        for y in 0..height {
            for x in 0..width {
                let r2 =
                    f64::from(x * x + 3 * y * y) / f64::from(width * width + 3 * height * height);
                let t = (r2.sqrt() * 1023.0) as u32;
                let jitter = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)) % (noise + 1);
                let v = (t / 4 + jitter).min(255) as u8;
                frame.put(x, y, [v, (64 + t / 8) as u8, (255 - t / 6) as u8, 255]);
            }
        }
        // A legend swatch: few pixels of a colour the map does not have.
        for y in 2..5 {
            for x in 2..6 {
                frame.put(x, y, [255, 127, 14, 255]);
            }
        }
        let mut out = vec![frame.clone()];
        for k in 1..=steps {
            for d in 0..6 {
                let x = (k * 5 + d) % width;
                let y = (k * 3 + d / 2) % height;
                frame.put(x, y, [214, 39, 40, 255]);
                frame.put(x, (y + 1) % height, [31, 119, 180, 255]);
            }
            out.push(frame.clone());
        }
        out
    }

    fn encode(format: AnimFormat, frames: &[RgbaFrame], delay: u32) -> Vec<u8> {
        let (w, h) = (frames[0].width, frames[0].height);
        let mut enc = AnimEncoder::new(format, w, h, frames.len() as u32).expect("size");
        for f in frames {
            enc.push(f, delay).expect("push");
        }
        enc.finish().expect("finish")
    }

    fn mean_abs_diff(a: &image::RgbaImage, b: &RgbaFrame) -> f64 {
        let sum: u64 = a
            .as_raw()
            .chunks(4)
            .zip(b.data.chunks(4))
            .map(|(p, q)| (0..3).map(|c| u64::from(p[c].abs_diff(q[c]))).sum::<u64>())
            .sum();
        sum as f64 / (3.0 * f64::from(b.width * b.height))
    }

    /// A 96 × 64, 12-frame playback at 250 ms a frame, encoded and decoded
    /// again: the input frames and the decoded ones, as many.
    fn round_trip(format: AnimFormat) -> (Vec<RgbaFrame>, Vec<(image::RgbaImage, u32)>) {
        let frames = playback(96, 64, 12, 0);
        let decoded = decode(format, &encode(format, &frames, 250));
        assert_eq!(decoded.len(), frames.len());
        (frames, decoded)
    }

    #[test]
    fn apng_frames_decode_to_the_input_exactly() {
        let (frames, decoded) = round_trip(AnimFormat::Apng);
        for ((img, delay), f) in decoded.iter().zip(&frames) {
            assert_eq!(img.as_raw(), &f.data);
            assert_eq!(*delay, 250);
        }
    }

    #[test]
    fn gif_frames_decode_close_to_the_input_and_new_colours_exactly() {
        let (frames, decoded) = round_trip(AnimFormat::Gif);
        for ((img, delay), f) in decoded.iter().zip(&frames) {
            assert_eq!(*delay, 250);
            // A 1 024-colour ramp in 256 colours: about a level off.
            let err = mean_abs_diff(img, f);
            assert!(err < 2.0, "mean error {err}");
        }
        // The swatch's 12 pixels keep their colour among 1 000 others.
        assert_eq!(decoded[0].0.get_pixel(3, 3).0, [255, 127, 14, 255]);
        // The trajectory's colours came in changed regions with exact
        // palettes: the last frame has them at every drawn pixel.
        let (last, _) = &decoded[decoded.len() - 1];
        let want = frames[frames.len() - 1].get(10, 5).expect("inside");
        let got = last.get_pixel(10, 5).0;
        assert_eq!(got, want);
    }

    #[test]
    fn a_few_colours_survive_gif_exactly() {
        let mut frames = vec![RgbaFrame::filled(40, 30, [255; 4])];
        for k in 0..10u32 {
            let mut f = frames[frames.len() - 1].clone();
            f.put(k * 3, k * 2, [k as u8 * 20, 100, 50, 255]);
            frames.push(f);
        }
        // A frame in which nothing changed keeps its own timing.
        frames.push(frames[frames.len() - 1].clone());
        let decoded = decode(AnimFormat::Gif, &encode(AnimFormat::Gif, &frames, 100));
        assert_eq!(decoded.len(), frames.len());
        for ((img, _), f) in decoded.iter().zip(&frames) {
            assert_eq!(img.as_raw(), &f.data);
        }
    }

    #[test]
    fn later_frames_cost_only_what_changed() {
        let frames = playback(320, 200, 20, 60);
        for format in [AnimFormat::Gif, AnimFormat::Apng] {
            let one = encode(format, &frames[..1], 100).len();
            let all = encode(format, &frames, 100).len();
            // 20 more frames, each a few pixels: well under one more full frame.
            assert!(
                all < one * 3 / 2,
                "{format:?}: {one} bytes for one frame, {all} for 21"
            );
        }
    }

    #[test]
    fn changed_regions_may_move_and_grow_anywhere() {
        let (w, h) = (30, 20);
        let mut frames = vec![RgbaFrame::filled(w, h, [255; 4])];
        let mut f = frames[0].clone();
        f.put(w - 1, h - 1, [1, 2, 3, 255]);
        frames.push(f.clone());
        for y in 0..h - 1 {
            for x in 0..w - 1 {
                // 40 colours: exact in GIF too.
                f.put(x, y, [(x / 4 * 32) as u8, (y / 4 * 48) as u8, 90, 255]);
            }
        }
        frames.push(f.clone());
        f.put(w / 2, h / 2, [0, 0, 0, 255]);
        frames.push(f);
        for format in [AnimFormat::Gif, AnimFormat::Apng] {
            let decoded = decode(format, &encode(format, &frames, 50));
            assert_eq!(decoded.len(), frames.len(), "{format:?}");
            for ((img, _), f) in decoded.iter().zip(&frames) {
                assert_eq!(img.as_raw(), &f.data, "{format:?}");
            }
        }
    }

    #[test]
    fn frames_of_another_size_are_cropped_or_padded_with_white() {
        let mut enc = AnimEncoder::new(AnimFormat::Apng, 8, 6, 3).expect("size");
        enc.push(&RgbaFrame::filled(8, 6, [0, 0, 0, 255]), 100)
            .expect("push");
        enc.push(&RgbaFrame::filled(4, 3, [10, 20, 30, 255]), 100)
            .expect("push");
        enc.push(&RgbaFrame::filled(20, 20, [40, 50, 60, 255]), 100)
            .expect("push");
        let decoded = decode(AnimFormat::Apng, &enc.finish().expect("finish"));
        assert_eq!(decoded[1].0.get_pixel(3, 2).0, [10, 20, 30, 255]);
        assert_eq!(decoded[1].0.get_pixel(4, 2).0, [255, 255, 255, 255]);
        assert_eq!(decoded[1].0.get_pixel(3, 5).0, [255, 255, 255, 255]);
        assert_eq!(decoded[2].0.get_pixel(7, 5).0, [40, 50, 60, 255]);
    }

    #[test]
    fn bad_sizes_counts_and_names_are_errors() {
        assert!(matches!(
            AnimEncoder::new(AnimFormat::Gif, 0, 10, 1),
            Err(AnimError::Size(0, 10))
        ));
        assert!(matches!(
            AnimEncoder::new(AnimFormat::Gif, 10, MAX_SIDE + 1, 1),
            Err(AnimError::Size(..))
        ));
        let mut enc = AnimEncoder::new(AnimFormat::Apng, 2, 2, 1).expect("size");
        let f = RgbaFrame::filled(2, 2, [1, 2, 3, 255]);
        enc.push(&f, 10).expect("first");
        assert!(matches!(enc.push(&f, 10), Err(AnimError::TooManyFrames(1))));
        let enc = AnimEncoder::new(AnimFormat::Apng, 2, 2, 3).expect("size");
        assert!(matches!(
            enc.finish(),
            Err(AnimError::TooFewFrames {
                got: 0,
                announced: 3
            })
        ));
        assert_eq!(
            AnimFormat::from_path(Path::new("a/b.GIF")).ok(),
            Some(AnimFormat::Gif)
        );
        assert_eq!(
            AnimFormat::from_path(Path::new("b.apng")).ok(),
            Some(AnimFormat::Apng)
        );
        assert!(AnimFormat::from_path(Path::new("b.mp4")).is_err());
        assert!(RgbaFrame::from_raw(2, 2, vec![0; 15]).is_none());
    }
}
