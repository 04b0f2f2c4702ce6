//! Headless raster charts: chart descriptions in, PNG bytes out.
//!
//! `teleport-lab figures` reproduces the paper's figures on machines without a
//! GPU or system fonts. This module therefore draws with [`tiny_skia`]
//! (anti-aliased paths, dashes, clip masks) and rasterizes text with
//! [`ab_glyph`] from a font embedded in the binary by [`epaint_default_fonts`].
//!
//! A [`Figure`] holds one or more [`Chart`] panels laid out left to right, and
//! each chart is a list of [`Item`]s in data coordinates. Axis ranges follow the
//! data unless given. Non-finite points (and non-positive ones on a log axis)
//! are skipped, and lines break there. In any text, a `^` raises the next
//! character, or a `{...}` group, as a superscript: `"‖∇f‖^2 = 7.9"` reads as
//! ‖∇f‖² = 7.9 and `"10^{-3}"` as 10⁻³.
//!
//! ```no_run
//! use teleport_core::plot::{Chart, Figure, Item, PALETTE};
//!
//! let points = (0..100).map(|i| [i as f64, 0.9f64.powi(i)]).collect();
//! let chart = Chart::new("Loss", "step", "f(x)").log_y().push(Item::Line {
//!     name: Some("GD".into()),
//!     color: PALETTE[0],
//!     width: 2.0,
//!     points,
//!     dashed: false,
//! });
//! let png = Figure::new(640, 480, vec![chart]).to_png()?;
//! # Ok::<(), teleport_core::plot::PlotError>(())
//! ```

use ab_glyph::{Font, FontRef, Glyph, PxScale, ScaleFont, point};
use tiny_skia::{FillRule, LineCap, LineJoin, Mask, Paint, Path, PathBuilder, Pixmap};
use tiny_skia::{PremultipliedColorU8, Stroke, StrokeDash, Transform};

/// The largest accepted figure side, in pixels.
pub const MAX_SIDE: u32 = 8192;

const FIG_TITLE_PX: f32 = 18.0;
const TITLE_PX: f32 = 16.0;
const LABEL_PX: f32 = 14.0;
const TICK_PX: f32 = 12.0;
const PAD: f64 = 10.0;
const GAP: f64 = 4.0;
const TICK_LEN: f64 = 5.0;

/// An sRGB colour with straight (not premultiplied) alpha.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Color {
    /// The red channel.
    pub r: u8,
    /// The green channel.
    pub g: u8,
    /// The blue channel.
    pub b: u8,
    /// The opacity, where 255 is opaque.
    pub a: u8,
}

impl Color {
    /// Opaque black.
    pub const BLACK: Color = Color::rgb(0, 0, 0);
    /// Mid grey, for reference lines.
    pub const GRAY: Color = Color::rgb(128, 128, 128);

    /// An opaque colour.
    pub const fn rgb(r: u8, g: u8, b: u8) -> Self {
        Color { r, g, b, a: 255 }
    }

    /// A colour with the given opacity.
    pub const fn rgba(r: u8, g: u8, b: u8, a: u8) -> Self {
        Color { r, g, b, a }
    }

    /// The same colour with another opacity.
    pub const fn with_alpha(self, a: u8) -> Self {
        Color { a, ..self }
    }
}

/// The ten series colours of the app's optimizer rows and of the figures:
/// Tableau 10 (matplotlib's default cycle) with a darker grey, which reads on
/// the light colour map. The app and the charts both take their colours
/// from here.
pub const SERIES_RGB: [[u8; 3]; 10] = [
    [31, 119, 180],
    [255, 127, 14],
    [44, 160, 44],
    [214, 39, 40],
    [148, 103, 189],
    [140, 86, 75],
    [227, 119, 194],
    [23, 190, 207],
    [188, 189, 34],
    [80, 80, 80],
];

/// Eight distinguishable series colours for the figures: the first seven of
/// [`SERIES_RGB`] and a mid grey.
pub const PALETTE: [Color; 8] = {
    let mut out = [Color::rgb(127, 127, 127); 8];
    let mut i = 0;
    while i < 7 {
        out[i] = Color::rgb(SERIES_RGB[i][0], SERIES_RGB[i][1], SERIES_RGB[i][2]);
        i += 1;
    }
    out
};

/// The shape drawn by [`Item::Markers`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Marker {
    /// A filled disc.
    Circle,
    /// A filled axis-aligned square.
    Square,
    /// A diagonal cross (×).
    Cross,
    /// A filled square standing on a corner.
    Diamond,
}

/// One thing drawn in a chart, in data coordinates; widths and sizes are pixels.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// A polyline that breaks at unshowable points.
    Line {
        /// The legend entry, if any.
        name: Option<String>,
        /// The stroke colour.
        color: Color,
        /// The stroke width.
        width: f32,
        /// The vertices in order.
        points: Vec<[f64; 2]>,
        /// Whether to stroke with dashes.
        dashed: bool,
    },
    /// Independent segments, such as contour lines, without a legend entry.
    Segments {
        /// The stroke colour.
        color: Color,
        /// The stroke width.
        width: f32,
        /// The segments as pairs of end points.
        segments: Vec<[[f64; 2]; 2]>,
    },
    /// The region between `lo` and `hi` over `x`, filled with the colour's alpha;
    /// an opaque colour is drawn at 25% opacity so that lines beneath stay visible.
    Band {
        /// The legend entry, if any.
        name: Option<String>,
        /// The fill colour.
        color: Color,
        /// The abscissae; the three vectors are read up to the shortest length.
        x: Vec<f64>,
        /// The lower edge.
        lo: Vec<f64>,
        /// The upper edge.
        hi: Vec<f64>,
    },
    /// A marker at each point.
    Markers {
        /// The legend entry, if any.
        name: Option<String>,
        /// The marker colour.
        color: Color,
        /// The marker centres.
        points: Vec<[f64; 2]>,
        /// The marker shape.
        marker: Marker,
        /// The marker diameter.
        size: f32,
    },
    /// A straight arrow with a filled head at `to`.
    Arrow {
        /// The legend entry, if any.
        name: Option<String>,
        /// The arrow colour.
        color: Color,
        /// The tail.
        from: [f64; 2],
        /// The tip.
        to: [f64; 2],
        /// The shaft width.
        width: f32,
    },
    /// A horizontal line across the whole plot.
    HLine {
        /// The legend entry, if any.
        name: Option<String>,
        /// The stroke colour.
        color: Color,
        /// The height.
        y: f64,
        /// Whether to stroke with dashes.
        dashed: bool,
    },
    /// One line of text whose left edge and vertical centre sit at `at`.
    Text {
        /// The anchor.
        at: [f64; 2],
        /// The text, drawn at the tick-label size.
        text: String,
        /// The text colour.
        color: Color,
    },
}

/// One panel: axes, labels, items and an optional legend.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    /// The title above the plot area; empty for none.
    pub title: String,
    /// The label under the x axis; empty for none.
    pub x_label: String,
    /// The label left of the y axis, read bottom to top; empty for none.
    pub y_label: String,
    /// Whether the y axis is logarithmic (base 10).
    pub log_y: bool,
    /// Whether one data unit has the same length on both axes (ignored with `log_y`).
    pub equal_aspect: bool,
    /// The x range; `None` (or an empty range) fits the data with a small margin.
    pub x_range: Option<(f64, f64)>,
    /// The y range; `None` (or an empty range) fits the data with a small margin.
    pub y_range: Option<(f64, f64)>,
    /// The items, drawn in order.
    pub items: Vec<Item>,
    /// Whether to list the named items in a box at the top right of the plot.
    pub legend: bool,
}

impl Chart {
    /// An empty linear chart with a legend.
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
    ) -> Self {
        let (title, x_label, y_label) = (title.into(), x_label.into(), y_label.into());
        let (log_y, equal_aspect, x_range, y_range) = (false, false, None, None);
        Chart {
            title,
            x_label,
            y_label,
            log_y,
            equal_aspect,
            x_range,
            y_range,
            items: vec![],
            legend: true,
        }
    }

    /// The same chart with a logarithmic y axis.
    pub fn log_y(self) -> Self {
        Chart {
            log_y: true,
            ..self
        }
    }

    /// The same chart with equal data-unit lengths on both axes.
    pub fn equal_aspect(self) -> Self {
        Chart {
            equal_aspect: true,
            ..self
        }
    }

    /// The same chart with a fixed x range.
    pub fn x_range(self, lo: f64, hi: f64) -> Self {
        Chart {
            x_range: Some((lo, hi)),
            ..self
        }
    }

    /// The same chart with a fixed y range.
    pub fn y_range(self, lo: f64, hi: f64) -> Self {
        Chart {
            y_range: Some((lo, hi)),
            ..self
        }
    }

    /// The same chart with or without its legend.
    pub fn legend(self, legend: bool) -> Self {
        Chart { legend, ..self }
    }

    /// The same chart with one more item on top.
    pub fn push(mut self, item: Item) -> Self {
        self.items.push(item);
        self
    }
}

/// A whole image: an optional title over panels laid out left to right.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    /// The width in pixels.
    pub width: u32,
    /// The height in pixels.
    pub height: u32,
    /// The title centred above all panels.
    pub title: Option<String>,
    /// The panels, each taking an equal share of the width.
    pub panels: Vec<Chart>,
}

/// Why a figure could not be rendered or encoded.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// A side is zero or larger than [`MAX_SIDE`].
    #[error("figure size {width}x{height} is invalid: each side must be 1 to {MAX_SIDE} pixels")]
    Size {
        /// The requested width.
        width: u32,
        /// The requested height.
        height: u32,
    },
    /// The embedded font did not parse, which means the font dependency is broken.
    #[error("the embedded font could not be parsed")]
    Font,
    /// The PNG encoder failed.
    #[error("PNG encoding failed: {0}")]
    Encode(String),
}

impl Figure {
    /// A figure without a title.
    pub fn new(width: u32, height: u32, panels: Vec<Chart>) -> Self {
        Figure {
            width,
            height,
            title: None,
            panels,
        }
    }

    /// Draws the figure into a new pixmap (premultiplied RGBA on white).
    pub fn render(&self) -> Result<Pixmap, PlotError> {
        self.render_with_areas().map(|(pixmap, _)| pixmap)
    }

    /// Renders the figure and encodes it as PNG.
    pub fn to_png(&self) -> Result<Vec<u8>, PlotError> {
        let pixmap = self.render()?;
        pixmap
            .encode_png()
            .map_err(|e| PlotError::Encode(e.to_string()))
    }

    /// Renders the figure and also returns each panel's plot area (for tests).
    fn render_with_areas(&self) -> Result<(Pixmap, Vec<Area>), PlotError> {
        let (w, h) = (self.width, self.height);
        let size_error = PlotError::Size {
            width: w,
            height: h,
        };
        if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE {
            return Err(size_error);
        }
        let mut pixmap = Pixmap::new(w, h).ok_or(size_error)?;
        pixmap.fill(tiny_skia::Color::WHITE);
        let font = |data| FontRef::try_from_slice(data).map_err(|_| PlotError::Font);
        let fonts = [
            font(epaint_default_fonts::UBUNTU_LIGHT)?,
            font(epaint_default_fonts::HACK_REGULAR)?,
        ];
        let mut canvas = Canvas {
            pixmap,
            fonts,
            mask: None,
        };
        let mut top = 0.0;
        if let Some(title) = self.title.as_deref().filter(|t| !t.is_empty()) {
            canvas.text(
                title,
                style(FIG_TITLE_PX),
                [f64::from(w) / 2.0, PAD],
                [0.5, 0.0],
            );
            top = PAD + canvas.text_size(title, FIG_TITLE_PX)[1];
        }
        let n = self.panels.len() as f64;
        let mut areas = Vec::with_capacity(self.panels.len());
        for (i, chart) in self.panels.iter().enumerate() {
            let (l, r) = (
                f64::from(w) * i as f64 / n,
                f64::from(w) * (i + 1) as f64 / n,
            );
            areas.push(chart.draw(
                &mut canvas,
                Area {
                    l,
                    t: top,
                    r,
                    b: f64::from(h),
                },
            ));
        }
        Ok((canvas.pixmap, areas))
    }
}

/// Ticks on a 1-2-5 step inside `lo..=hi`, about `target` intervals apart.
///
/// Returns nothing for an empty or non-finite range.
pub fn linear_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    let step = nice_step(lo, hi, target);
    let (first, last) = ((lo / step - 1e-9).ceil(), (hi / step + 1e-9).floor());
    if lo >= hi || !step.is_finite() || !(0.0..=1000.0).contains(&(last - first)) {
        return Vec::new();
    }
    // Adding 0.0 turns -0.0 into 0.0.
    (0..=(last - first) as i64)
        .map(|k| (first + k as f64) * step + 0.0)
        .collect()
}

/// The powers of ten inside `lo..=hi` (for `0 < lo < hi`), thinned to at most
/// eight by keeping only exponents divisible by 2, 3, ….
pub fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    if !(lo > 0.0 && lo < hi && hi.is_finite()) {
        return Vec::new();
    }
    let first = (lo.log10() - 1e-9).ceil() as i32;
    let last = (hi.log10() + 1e-9).floor() as i32;
    let stride = (last - first + 8) / 8;
    (first..=last)
        .filter(|k| k.rem_euclid(stride.max(1)) == 0)
        .map(pow10)
        .collect()
}

/// A compact tick label: fixed-point with as many decimals as `step` needs,
/// or like `2.5e4` when the magnitude is below 1e-3 or at least 1e4.
pub fn format_tick(v: f64, step: f64) -> String {
    let (a, step) = (v.abs(), step.abs());
    if !v.is_finite() {
        return String::new();
    }
    if a == 0.0 || a < step * 1e-6 {
        return "0".into();
    }
    if (1e-3..1e4).contains(&a) {
        let decimals = (-step.log10().floor()).clamp(0.0, 12.0) as usize;
        return format!("{v:.decimals$}");
    }
    let digits = (a.log10().floor() - step.log10().floor()).clamp(0.0, 12.0) as usize;
    let s = format!("{v:.digits$e}");
    match s.split_once('e') {
        Some((m, e)) if m.contains('.') => {
            format!("{}e{e}", m.trim_end_matches('0').trim_end_matches('.'))
        }
        _ => s,
    }
}

/// Exactly 10^k for the representable powers (`powi` can be an ulp off).
fn pow10(k: i32) -> f64 {
    format!("1e{k}").parse().unwrap_or_else(|_| 10f64.powi(k))
}

/// The 1-2-5 step giving about `target` intervals over `lo..hi`.
fn nice_step(lo: f64, hi: f64, target: usize) -> f64 {
    let raw = (hi - lo) / target.max(1) as f64;
    let mag = pow10(raw.log10().floor() as i32);
    let nice = match raw / mag {
        n if n < 1.5 => 1.0,
        n if n < 3.0 => 2.0,
        n if n < 7.0 => 5.0,
        _ => 10.0,
    };
    nice * mag
}

/// Major ticks as (axis-space position, label), and minor tick positions.
fn axis_ticks(range: (f64, f64), log: bool, target: usize) -> (Vec<(f64, String)>, Vec<f64>) {
    let (lo, hi) = if log {
        (10f64.powf(range.0), 10f64.powf(range.1))
    } else {
        range
    };
    let powers = if log { log_ticks(lo, hi) } else { vec![] };
    if powers.len() < 2 {
        // A linear axis, or less than a decade of a log axis: 1-2-5 values.
        let step = nice_step(lo, hi, target);
        let ticks = linear_ticks(lo, hi, target)
            .into_iter()
            .filter_map(|v| axis_value(v, log).map(|t| (t, format_tick(v, step))));
        return (ticks.collect(), vec![]);
    }
    let major = powers
        .iter()
        .map(|v| (v.log10(), format!("10^{{{}}}", v.log10().round())))
        .collect();
    let mut minor = vec![];
    if range.1 - range.0 <= 8.0 {
        for k in range.0.floor() as i32..=range.1.ceil() as i32 {
            let decade = (2..10).map(|m| f64::from(k) + f64::from(m).log10());
            minor.extend(decade.filter(|v| (range.0..=range.1).contains(v)));
        }
    }
    (major, minor)
}

/// A value in axis space (log10 on a log axis), or `None` when it cannot be shown.
fn axis_value(v: f64, log: bool) -> Option<f64> {
    match (v.is_finite(), log) {
        (false, _) => None,
        (true, true) => (v > 0.0).then(|| v.log10()),
        (true, false) => Some(v),
    }
}

/// A pixel rectangle.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Area {
    l: f64,
    t: f64,
    r: f64,
    b: f64,
}

impl Area {
    fn grow(self, by: f64) -> Area {
        Area {
            l: self.l - by,
            t: self.t - by,
            r: self.r + by,
            b: self.b + by,
        }
    }

    fn path(self) -> Option<Path> {
        let (l, t, r, b) = (self.l as f32, self.t as f32, self.r as f32, self.b as f32);
        tiny_skia::Rect::from_ltrb(l, t, r, b).map(PathBuilder::from_rect)
    }
}

/// Maps data to pixels; `x` and `y` are ranges in axis space.
struct Frame {
    area: Area,
    x: (f64, f64),
    y: (f64, f64),
    log_y: bool,
}

impl Frame {
    fn fx(&self, x: f64) -> f64 {
        self.area.l + (x - self.x.0) / (self.x.1 - self.x.0) * (self.area.r - self.area.l)
    }

    fn fy(&self, y: f64) -> f64 {
        self.area.b - (y - self.y.0) / (self.y.1 - self.y.0) * (self.area.b - self.area.t)
    }

    /// The pixel position of a data point, or `None` when it cannot be shown.
    fn px(&self, [x, y]: [f64; 2]) -> Option<[f64; 2]> {
        let p = [self.fx(x), self.fy(axis_value(y, self.log_y)?)];
        p.iter().all(|v| v.is_finite()).then_some(p)
    }
}

/// How to stroke a path.
#[derive(Clone, Copy)]
struct Pen {
    color: Color,
    width: f32,
    dashed: bool,
}

const fn pen(color: Color, width: f32) -> Pen {
    Pen {
        color,
        width,
        dashed: false,
    }
}

/// How to draw text.
#[derive(Clone, Copy)]
struct Style {
    px: f32,
    color: Color,
    vertical: bool,
    clip: bool,
}

const fn style(px: f32) -> Style {
    Style {
        px,
        color: Color::BLACK,
        vertical: false,
        clip: false,
    }
}

/// The pixmap being drawn, the fonts and the current plot area's clip mask.
///
/// Text is set in Ubuntu Light; characters it lacks (such as ∇, ⁻ and ‖) come
/// from Hack, and characters neither has show as the missing-glyph box.
struct Canvas<'f> {
    pixmap: Pixmap,
    fonts: [FontRef<'f>; 2],
    mask: Option<Mask>,
}

impl Canvas<'_> {
    /// Strokes `path` (if any) anti-aliased with round joins, clipped to the plot if `clip`.
    fn stroke(&mut self, path: Option<Path>, pen: Pen, clip: bool) {
        let Some(path) = path else { return };
        let width = if pen.width.is_finite() && pen.width > 0.0 {
            pen.width.min(100.0)
        } else {
            1.0
        };
        let unit = width.max(1.5);
        let stroke = Stroke {
            width,
            line_cap: if pen.dashed {
                LineCap::Butt
            } else {
                LineCap::Round
            },
            line_join: LineJoin::Round,
            dash: pen
                .dashed
                .then(|| StrokeDash::new(vec![4.0 * unit, 2.5 * unit], 0.0))
                .flatten(),
            ..Stroke::default()
        };
        let mask = self.mask.as_ref().filter(|_| clip);
        self.pixmap.stroke_path(
            &path,
            &paint(pen.color),
            &stroke,
            Transform::identity(),
            mask,
        );
    }

    /// Fills `path` (if any), clipped to the plot if `clip`.
    fn fill(&mut self, path: Option<Path>, color: Color, clip: bool) {
        let (Some(path), mask) = (path, self.mask.as_ref().filter(|_| clip)) else {
            return;
        };
        let paint = paint(color);
        self.pixmap.fill_path(
            &path,
            &paint,
            FillRule::Winding,
            Transform::identity(),
            mask,
        );
    }

    /// Positions the glyphs of one line of text, which starts 1 px inside its box,
    /// with superscripts raised ([`spans`]). Returns the glyphs and the box size.
    fn layout(&self, text: &str, px: f32) -> (Vec<(usize, Glyph)>, [f64; 2]) {
        let scaled = self.fonts[0].as_scaled(PxScale::from(px));
        let (ascent, descent) = (scaled.ascent(), scaled.descent());
        let (sup_px, rise) = (0.7 * px, 0.45 * px);
        let spans = spans(text);
        let headroom = if spans.iter().any(|s| s.raised) {
            (rise + 0.7 * ascent - ascent).max(0.0)
        } else {
            0.0
        };
        let baseline = 1.0 + headroom + ascent;
        let (mut caret, mut glyphs) = (1.0, vec![]);
        for (c, sup) in spans
            .iter()
            .flat_map(|s| s.text.chars().map(move |c| (c, s.raised)))
        {
            let (size, y) = if sup {
                (sup_px, baseline - rise)
            } else {
                (px, baseline)
            };
            // Neither font has U+2225 (parallel to), so use U+2016 (double bar).
            let c = if c == '∥' { '‖' } else { c };
            let k = (0..self.fonts.len())
                .find(|&k| self.fonts[k].glyph_id(c).0 != 0)
                .unwrap_or(0);
            let scaled = self.fonts[k].as_scaled(PxScale::from(size));
            let mut glyph = scaled.scaled_glyph(c);
            glyph.position = point(caret, y);
            caret += scaled.h_advance(glyph.id);
            glyphs.push((k, glyph));
        }
        (
            glyphs,
            [
                f64::from(caret + 1.0).ceil(),
                f64::from(baseline - descent + 1.0).ceil(),
            ],
        )
    }

    /// The pixel width and height of the box [`Canvas::layout`] puts text in.
    fn text_size(&self, text: &str, px: f32) -> [f64; 2] {
        self.layout(text, px).1
    }

    /// Draws one line of text so that the point `align` (fractions of its box,
    /// after rotation) lands on `at`; a vertical style reads bottom to top.
    fn text(&mut self, text: &str, style: Style, at: [f64; 2], align: [f64; 2]) {
        if text.is_empty() || text.len() > 10_000 {
            return;
        }
        let (glyphs, [w, h]) = self.layout(text, style.px);
        let (w, h) = (w as i64, h as i64);
        let (bw, bh) = if style.vertical { (h, w) } else { (w, h) };
        let x0 = (at[0] - align[0] * bw as f64).round() as i64;
        let y0 = (at[1] - align[1] * bh as f64).round() as i64;
        let (pw, ph) = (
            i64::from(self.pixmap.width()),
            i64::from(self.pixmap.height()),
        );
        let mask = self.mask.as_ref().filter(|_| style.clip).map(Mask::data);
        let pixels = self.pixmap.pixels_mut();
        for outlined in glyphs
            .into_iter()
            .filter_map(|(k, g)| self.fonts[k].outline_glyph(g))
        {
            let min = outlined.px_bounds().min;
            outlined.draw(|gx, gy, coverage| {
                let (i, j) = (min.x as i64 + i64::from(gx), min.y as i64 + i64::from(gy));
                let (x, y) = if style.vertical {
                    (x0 + j, y0 + w - 1 - i)
                } else {
                    (x0 + i, y0 + j)
                };
                if (0..pw).contains(&x) && (0..ph).contains(&y) {
                    let k = (y * pw + x) as usize;
                    let clip = mask.map_or(1.0, |m| f32::from(m[k]) / 255.0);
                    blend(&mut pixels[k], style.color, coverage * clip);
                }
            });
        }
    }
}

/// A run of text drawn at one height.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Span {
    /// The characters, without markup.
    text: String,
    /// Whether they are a superscript.
    raised: bool,
}

/// Splits text into runs on the baseline and raised runs: a `^` raises the
/// next character, or a `{...}` group without its braces (a group left open
/// runs to the end). A `^` that ends the text is drawn as it is.
fn spans(text: &str) -> Vec<Span> {
    fn push(out: &mut Vec<Span>, text: &str, raised: bool) {
        if text.is_empty() {
            return;
        }
        match out.last_mut() {
            Some(last) if last.raised == raised => last.text.push_str(text),
            _ => out.push(Span {
                text: text.to_owned(),
                raised,
            }),
        }
    }
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find('^') {
        push(&mut out, &rest[..i], false);
        let after = &rest[i + 1..];
        match after.chars().next() {
            None => {
                push(&mut out, "^", false);
                rest = "";
            }
            Some('{') => {
                let group = &after[1..];
                let end = group.find('}').unwrap_or(group.len());
                push(&mut out, &group[..end], true);
                rest = group.get(end + 1..).unwrap_or("");
            }
            Some(c) => {
                push(&mut out, &after[..c.len_utf8()], true);
                rest = &after[c.len_utf8()..];
            }
        }
    }
    push(&mut out, rest, false);
    out
}

fn paint(color: Color) -> Paint<'static> {
    let mut paint = Paint::default();
    paint.set_color_rgba8(color.r, color.g, color.b, color.a);
    paint.anti_alias = true;
    paint
}

/// Source-over blends `color` at `coverage` onto a premultiplied pixel.
fn blend(dst: &mut PremultipliedColorU8, color: Color, coverage: f32) {
    let sa = f32::from(color.a) / 255.0 * coverage.clamp(0.0, 1.0);
    let mix = |s: u8, d: u8| (f32::from(s) * sa + f32::from(d) * (1.0 - sa)).round() as u8;
    let (r, g, b) = (
        mix(color.r, dst.red()),
        mix(color.g, dst.green()),
        mix(color.b, dst.blue()),
    );
    if let Some(p) = PremultipliedColorU8::from_rgba(r, g, b, mix(255, dst.alpha())) {
        *dst = p;
    }
}

impl Chart {
    /// Calls `f` with every coordinate the items give axis 0 (x) or 1 (y).
    fn for_each_coord(&self, axis: usize, mut f: impl FnMut(f64)) {
        for item in &self.items {
            match item {
                Item::Line { points, .. } | Item::Markers { points, .. } => {
                    points.iter().for_each(|p| f(p[axis]));
                }
                Item::Segments { segments, .. } => {
                    segments.iter().flatten().for_each(|p| f(p[axis]))
                }
                Item::Band { x, lo, hi, .. } => {
                    for ((&x, &lo), &hi) in x.iter().zip(lo).zip(hi) {
                        let coords = if axis == 0 { [x, x] } else { [lo, hi] };
                        coords.into_iter().for_each(&mut f);
                    }
                }
                Item::Arrow { from, to, .. } => [from[axis], to[axis]].into_iter().for_each(&mut f),
                Item::HLine { y, .. } if axis == 1 => f(*y),
                Item::HLine { .. } => {}
                Item::Text { at, .. } => f(at[axis]),
            }
        }
    }

    /// The axis-space range of axis 0 (x) or 1 (y): the given one when valid,
    /// else the data's with a 4% margin, else a unit default.
    fn range(&self, axis: usize) -> (f64, f64) {
        let log = axis == 1 && self.log_y;
        if let Some((lo, hi)) = [self.x_range, self.y_range][axis]
            && let (Some(lo), Some(hi)) = (axis_value(lo, log), axis_value(hi, log))
            && lo < hi
        {
            return (lo, hi);
        }
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        self.for_each_coord(axis, |v| {
            if let Some(v) = axis_value(v, log) {
                (lo, hi) = (lo.min(v), hi.max(v));
            }
        });
        let span = hi - lo;
        if !(span.is_finite() && span >= 0.0) {
            (0.0, 1.0)
        } else if span <= 1e-12 * lo.abs().max(1.0) {
            let pad = if log { 0.5 } else { (lo.abs() * 0.1).max(0.5) };
            (lo - pad, hi + pad)
        } else {
            (lo - 0.04 * span, hi + 0.04 * span)
        }
    }

    /// The plot area inside `cell` that leaves room for these tick labels.
    fn area(
        &self,
        canvas: &Canvas,
        cell: Area,
        x_ticks: &[(f64, String)],
        y_ticks: &[(f64, String)],
    ) -> Area {
        let height = |s: &str, px| {
            if s.is_empty() {
                0.0
            } else {
                canvas.text_size(s, px)[1] + GAP
            }
        };
        let width = |(_, s): &(f64, String)| canvas.text_size(s, TICK_PX)[0];
        let y_tick_w = y_ticks.iter().map(width).fold(0.0, f64::max);
        let last_x_w = x_ticks.last().map_or(0.0, width);
        let l = cell.l + PAD + height(&self.y_label, LABEL_PX) + y_tick_w + GAP + TICK_LEN;
        let t = cell.t + PAD + height(&self.title, TITLE_PX);
        let r = cell.r - (PAD + 6.0).max(last_x_w / 2.0 + 2.0);
        let below = TICK_LEN + GAP + height("0", TICK_PX) + height(&self.x_label, LABEL_PX);
        let (l, t) = (l.round(), t.round());
        Area {
            l,
            t,
            r: r.round().max(l + 1.0),
            b: (cell.b - PAD - below).round().max(t + 1.0),
        }
    }

    /// Draws the chart inside `cell` and returns its plot area.
    fn draw(&self, canvas: &mut Canvas, cell: Area) -> Area {
        let log_y = self.log_y;
        let (base_x, base_y) = (self.range(0), self.range(1));
        let x_target = ((cell.r - cell.l - 80.0) / 90.0).clamp(2.0, 8.0) as usize;
        let y_target = ((cell.b - cell.t - 80.0) / 55.0).clamp(2.0, 8.0) as usize;
        // Margins depend on tick labels, which depend on the ranges, which depend on
        // the area under `equal_aspect`: settle the layout in two passes.
        let (mut x, mut y, mut area) = (base_x, base_y, cell);
        for _ in 0..2 {
            let (xt, yt) = (
                axis_ticks(x, false, x_target).0,
                axis_ticks(y, log_y, y_target).0,
            );
            area = self.area(canvas, cell, &xt, &yt);
            if self.equal_aspect && !log_y {
                (x, y) = equalize(base_x, base_y, area.r - area.l, area.b - area.t);
            }
        }
        let frame = Frame { area, x, y, log_y };
        let ((xt, x_minor), (yt, y_minor)) = (
            axis_ticks(x, false, x_target),
            axis_ticks(y, log_y, y_target),
        );
        let tick_x = |v: f64| frame.fx(v).round() + 0.5;
        let tick_y = |v: f64| frame.fy(v).round() - 0.5;

        // Grid, items and legend, clipped to the plot area.
        canvas.mask = area.path().and_then(|path| {
            let mut mask = Mask::new(canvas.pixmap.width(), canvas.pixmap.height())?;
            mask.fill_path(&path, FillRule::Winding, false, Transform::identity());
            Some(mask)
        });
        let mut grid = PathBuilder::new();
        xt.iter()
            .for_each(|&(v, _)| segment(&mut grid, [tick_x(v), area.t], [tick_x(v), area.b]));
        yt.iter()
            .for_each(|&(v, _)| segment(&mut grid, [area.l, tick_y(v)], [area.r, tick_y(v)]));
        canvas.stroke(grid.finish(), pen(Color::rgb(232, 232, 232), 1.0), true);
        for item in &self.items {
            draw_item(canvas, &frame, item);
        }
        if self.legend {
            draw_legend(canvas, &self.items, area);
        }

        // The frame, ticks and labels go on top, unclipped.
        canvas.stroke(area.grow(0.5).path(), pen(Color::BLACK, 1.0), false);
        let mut ticks = PathBuilder::new();
        let (below, left) = (area.b + TICK_LEN, area.l - TICK_LEN);
        for (v, label) in &xt {
            segment(&mut ticks, [tick_x(*v), area.b], [tick_x(*v), below]);
            canvas.text(label, style(TICK_PX), [tick_x(*v), below + GAP], [0.5, 0.0]);
        }
        for (v, label) in &yt {
            segment(&mut ticks, [area.l, tick_y(*v)], [left, tick_y(*v)]);
            canvas.text(label, style(TICK_PX), [left - GAP, tick_y(*v)], [1.0, 0.5]);
        }
        x_minor
            .iter()
            .for_each(|&v| segment(&mut ticks, [tick_x(v), area.b], [tick_x(v), area.b + 3.0]));
        y_minor
            .iter()
            .for_each(|&v| segment(&mut ticks, [area.l, tick_y(v)], [area.l - 3.0, tick_y(v)]));
        canvas.stroke(ticks.finish(), pen(Color::BLACK, 1.0), false);
        let mid = [(area.l + area.r) / 2.0, (area.t + area.b) / 2.0];
        canvas.text(
            &self.title,
            style(TITLE_PX),
            [mid[0], cell.t + PAD],
            [0.5, 0.0],
        );
        let x_label_y = below + GAP + canvas.text_size("0", TICK_PX)[1] + GAP;
        canvas.text(
            &self.x_label,
            style(LABEL_PX),
            [mid[0], x_label_y],
            [0.5, 0.0],
        );
        let vertical = Style {
            vertical: true,
            ..style(LABEL_PX)
        };
        canvas.text(&self.y_label, vertical, [cell.l + PAD, mid[1]], [0.0, 0.5]);
        canvas.mask = None;
        area
    }
}

/// Widens the range with fewer pixels per data unit so both axes share one scale.
fn equalize(x: (f64, f64), y: (f64, f64), w_px: f64, h_px: f64) -> ((f64, f64), (f64, f64)) {
    let per_px = ((x.1 - x.0) / w_px).max((y.1 - y.0) / h_px);
    let widen = |(lo, hi): (f64, f64), px: f64| {
        let c = (lo + hi) / 2.0;
        (c - per_px * px / 2.0, c + per_px * px / 2.0)
    };
    (widen(x, w_px), widen(y, h_px))
}

/// Adds the separate segment `a`–`b` to `pb`.
fn segment(pb: &mut PathBuilder, a: [f64; 2], b: [f64; 2]) {
    pb.move_to(a[0] as f32, a[1] as f32);
    pb.line_to(b[0] as f32, b[1] as f32);
}

/// Clips segment `a`–`b` to `area` (Liang–Barsky), returning unclipped end
/// points exactly so that consecutive segments still join.
fn clip_segment(a: [f64; 2], b: [f64; 2], area: Area) -> Option<([f64; 2], [f64; 2])> {
    let d = [b[0] - a[0], b[1] - a[1]];
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-d[0], a[0] - area.l),
        (d[0], area.r - a[0]),
        (-d[1], a[1] - area.t),
        (d[1], area.b - a[1]),
    ] {
        if p == 0.0 && q < 0.0 {
            return None;
        } else if p < 0.0 {
            t0 = t0.max(q / p);
        } else if p > 0.0 {
            t1 = t1.min(q / p);
        }
    }
    let at = |t: f64| [a[0] + t * d[0], a[1] + t * d[1]];
    (t0 <= t1).then(|| {
        (
            if t0 == 0.0 { a } else { at(t0) },
            if t1 == 1.0 { b } else { at(t1) },
        )
    })
}

/// Clips a polygon to `area` (Sutherland–Hodgman).
fn clip_polygon(mut poly: Vec<[f64; 2]>, area: Area) -> Vec<[f64; 2]> {
    for (axis, bound, sign) in [
        (0, area.l, 1.0),
        (0, area.r, -1.0),
        (1, area.t, 1.0),
        (1, area.b, -1.0),
    ] {
        let inside = |p: [f64; 2]| (p[axis] - bound) * sign >= 0.0;
        let mut out = Vec::with_capacity(poly.len() + 4);
        for (i, &cur) in poly.iter().enumerate() {
            let prev = poly[(i + poly.len() - 1) % poly.len()];
            if inside(cur) != inside(prev) {
                let t = (bound - prev[axis]) / (cur[axis] - prev[axis]);
                out.push([
                    prev[0] + t * (cur[0] - prev[0]),
                    prev[1] + t * (cur[1] - prev[1]),
                ]);
            }
            if inside(cur) {
                out.push(cur);
            }
        }
        poly = out;
    }
    poly
}

/// A path through the segments that survive mapping and clipping, joining touching ones.
fn segments_path(
    frame: &Frame,
    segments: impl IntoIterator<Item = ([f64; 2], [f64; 2])>,
) -> Option<Path> {
    let bounds = frame.area.grow(20.0);
    let (mut pb, mut pen) = (PathBuilder::new(), None);
    for (a, b) in segments {
        let mapped = frame.px(a).zip(frame.px(b));
        let Some((a, b)) = mapped.and_then(|(a, b)| clip_segment(a, b, bounds)) else {
            continue;
        };
        if pen != Some(a) {
            pb.move_to(a[0] as f32, a[1] as f32);
        }
        pb.line_to(b[0] as f32, b[1] as f32);
        pen = Some(b);
    }
    pb.finish()
}

fn polygon_path(poly: &[[f64; 2]]) -> Option<Path> {
    let mut pb = PathBuilder::new();
    for (i, &[x, y]) in poly.iter().enumerate() {
        if i == 0 {
            pb.move_to(x as f32, y as f32)
        } else {
            pb.line_to(x as f32, y as f32)
        }
    }
    pb.close();
    pb.finish()
}

fn draw_marker(
    canvas: &mut Canvas,
    marker: Marker,
    [x, y]: [f64; 2],
    size: f32,
    color: Color,
    clip: bool,
) {
    let r = if size.is_finite() && size > 0.0 {
        f64::from(size.min(200.0)) / 2.0
    } else {
        3.0
    };
    let mut pb = PathBuilder::new();
    let polygon = match marker {
        Marker::Circle => {
            pb.push_circle(x as f32, y as f32, r as f32);
            return canvas.fill(pb.finish(), color, clip);
        }
        Marker::Cross => {
            segment(&mut pb, [x - r, y - r], [x + r, y + r]);
            segment(&mut pb, [x - r, y + r], [x + r, y - r]);
            return canvas.stroke(pb.finish(), pen(color, (r as f32 / 2.0).max(1.0)), clip);
        }
        Marker::Square => [
            [x - r, y - r],
            [x + r, y - r],
            [x + r, y + r],
            [x - r, y + r],
        ],
        Marker::Diamond => [
            [x, y - 1.25 * r],
            [x + 1.25 * r, y],
            [x, y + 1.25 * r],
            [x - 1.25 * r, y],
        ],
    };
    canvas.fill(polygon_path(&polygon), color, clip);
}

/// Draws a shaft and a filled head pointing from `a` to `b` (pixels).
fn draw_arrow(canvas: &mut Canvas, a: [f64; 2], b: [f64; 2], color: Color, width: f32, clip: bool) {
    let len = (b[0] - a[0]).hypot(b[1] - a[1]);
    let w = if width.is_finite() && width > 0.0 {
        f64::from(width.min(50.0))
    } else {
        1.5
    };
    let screen = Area {
        l: 0.0,
        t: 0.0,
        r: canvas.pixmap.width().into(),
        b: canvas.pixmap.height().into(),
    };
    if len <= 0.5 || clip_segment(a, b, screen.grow(100.0)).is_none() {
        return;
    }
    let head = (3.0 * w + 6.0).min(len);
    let u = [(b[0] - a[0]) / len, (b[1] - a[1]) / len];
    let back = |k: f64| [b[0] - u[0] * head * k, b[1] - u[1] * head * k];
    if let Some((p, q)) = clip_segment(a, back(0.8), screen.grow(50.0)) {
        let mut pb = PathBuilder::new();
        segment(&mut pb, p, q);
        canvas.stroke(pb.finish(), pen(color, w as f32), clip);
    }
    let (base, half) = (back(1.0), head * 0.45);
    let wings = [
        [base[0] - u[1] * half, base[1] + u[0] * half],
        [base[0] + u[1] * half, base[1] - u[0] * half],
    ];
    let head_poly = clip_polygon(vec![b, wings[0], wings[1]], screen.grow(50.0));
    canvas.fill(polygon_path(&head_poly), color, clip);
}

/// An opaque band colour becomes translucent; others keep their alpha.
fn band_color(color: Color) -> Color {
    if color.a == 255 {
        color.with_alpha(64)
    } else {
        color
    }
}

fn draw_item(canvas: &mut Canvas, frame: &Frame, item: &Item) {
    match item {
        Item::Line {
            color,
            width,
            points,
            dashed,
            ..
        } => {
            let path = segments_path(frame, points.windows(2).map(|w| (w[0], w[1])));
            canvas.stroke(
                path,
                Pen {
                    color: *color,
                    width: *width,
                    dashed: *dashed,
                },
                true,
            );
        }
        Item::Segments {
            color,
            width,
            segments,
        } => {
            let path = segments_path(frame, segments.iter().map(|s| (s[0], s[1])));
            canvas.stroke(path, pen(*color, *width), true);
        }
        Item::Band {
            color, x, lo, hi, ..
        } => {
            let edges = x
                .iter()
                .zip(lo)
                .zip(hi)
                .map(|((&x, &lo), &hi)| frame.px([x, lo]).zip(frame.px([x, hi])));
            let edges: Vec<_> = edges.collect();
            for run in edges.split(Option::is_none) {
                let run: Vec<_> = run.iter().flatten().collect();
                let poly = run
                    .iter()
                    .map(|p| p.0)
                    .chain(run.iter().rev().map(|p| p.1))
                    .collect();
                let poly = clip_polygon(poly, frame.area.grow(20.0));
                canvas.fill(polygon_path(&poly), band_color(*color), true);
            }
        }
        Item::Markers {
            color,
            points,
            marker,
            size,
            ..
        } => {
            let bounds = frame.area.grow(f64::from(size.abs().min(200.0)));
            for p in points.iter().filter_map(|&p| frame.px(p)) {
                if clip_segment(p, p, bounds).is_some() {
                    draw_marker(canvas, *marker, p, *size, *color, true);
                }
            }
        }
        Item::Arrow {
            color,
            from,
            to,
            width,
            ..
        } => {
            if let (Some(a), Some(b)) = (frame.px(*from), frame.px(*to)) {
                draw_arrow(canvas, a, b, *color, *width, true);
            }
        }
        Item::HLine {
            color, y, dashed, ..
        } => {
            let path = segments_path(frame, [([frame.x.0, *y], [frame.x.1, *y])]);
            canvas.stroke(
                path,
                Pen {
                    color: *color,
                    width: 1.5,
                    dashed: *dashed,
                },
                true,
            );
        }
        Item::Text { at, text, color } => {
            if let Some(p) = frame.px(*at) {
                let style = Style {
                    color: *color,
                    clip: true,
                    ..style(TICK_PX)
                };
                canvas.text(text, style, p, [0.0, 0.5]);
            }
        }
    }
}

/// Lists the named items with their swatches in a box at the top right of `area`.
fn draw_legend(canvas: &mut Canvas, items: &[Item], area: Area) {
    let named: Vec<(&str, &Item)> = items
        .iter()
        .filter_map(|item| match item {
            Item::Line { name, .. }
            | Item::Band { name, .. }
            | Item::Markers { name, .. }
            | Item::Arrow { name, .. }
            | Item::HLine { name, .. } => {
                name.as_deref().filter(|n| !n.is_empty()).map(|n| (n, item))
            }
            Item::Segments { .. } | Item::Text { .. } => None,
        })
        .collect();
    if named.is_empty() {
        return;
    }
    let (swatch, inner, row) = (24.0, 6.0, canvas.text_size("0", TICK_PX)[1] + 2.0);
    let text_w = named
        .iter()
        .map(|(n, _)| canvas.text_size(n, TICK_PX)[0])
        .fold(0.0, f64::max);
    let (w, h) = (
        inner * 3.0 + swatch + text_w,
        inner * 2.0 + row * named.len() as f64,
    );
    let (l, t) = ((area.r - 8.0 - w).round(), area.t + 8.0);
    let frame = Area {
        l,
        t,
        r: l + w,
        b: t + h,
    };
    canvas.fill(frame.path(), Color::rgba(255, 255, 255, 225), false);
    canvas.stroke(
        frame.grow(-0.5).path(),
        pen(Color::rgb(190, 190, 190), 1.0),
        false,
    );
    for (i, (name, item)) in named.into_iter().enumerate() {
        let cy = t + inner + row * (i as f64 + 0.5);
        let (x0, x1) = (l + inner, l + inner + swatch);
        let line = |canvas: &mut Canvas, pen: Pen| {
            let mut pb = PathBuilder::new();
            segment(&mut pb, [x0, cy], [x1, cy]);
            canvas.stroke(pb.finish(), pen, false);
        };
        match item {
            Item::Line {
                color,
                width,
                dashed,
                ..
            } => {
                line(
                    canvas,
                    Pen {
                        color: *color,
                        width: width.min(4.0),
                        dashed: *dashed,
                    },
                );
            }
            Item::HLine { color, dashed, .. } => line(
                canvas,
                Pen {
                    color: *color,
                    width: 1.5,
                    dashed: *dashed,
                },
            ),
            Item::Band { color, .. } => {
                let r = row * 0.35;
                canvas.fill(
                    Area {
                        l: x0,
                        t: cy - r,
                        r: x1,
                        b: cy + r,
                    }
                    .path(),
                    band_color(*color),
                    false,
                );
            }
            Item::Markers {
                color,
                marker,
                size,
                ..
            } => {
                let size = size.min(row as f32 - 2.0);
                draw_marker(canvas, *marker, [(x0 + x1) / 2.0, cy], size, *color, false);
            }
            Item::Arrow { color, width, .. } => {
                draw_arrow(canvas, [x0, cy], [x1, cy], *color, width.min(2.0), false)
            }
            Item::Segments { .. } | Item::Text { .. } => {}
        }
        canvas.text(name, style(TICK_PX), [x1 + inner, cy], [0.0, 0.5]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RED: Color = Color::rgb(255, 0, 0);

    fn is_red(p: PremultipliedColorU8) -> bool {
        p.red() > 200 && p.green() < 80 && p.blue() < 80
    }

    /// The rows of the plot area that hold red pixels.
    fn red_rows(pixmap: &Pixmap, area: Area) -> Vec<u32> {
        (area.t as u32..area.b as u32)
            .filter(|&y| {
                (area.l as u32..area.r as u32).any(|x| pixmap.pixel(x, y).is_some_and(is_red))
            })
            .collect()
    }

    /// Renders a lone red horizontal line at `y` and returns where it lands, as
    /// a fraction of the plot height measured from the top.
    fn hline_height(chart: Chart, y: f64) -> f64 {
        let (name, dashed) = (None, false);
        let chart = chart.legend(false).push(Item::HLine {
            name,
            color: RED,
            y,
            dashed,
        });
        let (pixmap, areas) = Figure::new(400, 300, vec![chart])
            .render_with_areas()
            .unwrap();
        let (a, rows) = (areas[0], red_rows(&pixmap, areas[0]));
        assert!(
            !rows.is_empty() && rows[rows.len() - 1] - rows[0] <= 3,
            "rows {rows:?}"
        );
        let mean = rows.iter().map(|&r| f64::from(r) + 0.5).sum::<f64>() / rows.len() as f64;
        (mean - a.t) / (a.b - a.t)
    }

    #[test]
    fn png_decodes_to_the_requested_size() {
        let chart = Chart::new("t", "x", "y").push(Item::Line {
            name: Some("line".into()),
            color: PALETTE[0],
            width: 2.0,
            points: vec![[0.0, 0.0], [1.0, 1.0]],
            dashed: true,
        });
        let png = Figure::new(321, 123, vec![chart.clone(), chart])
            .to_png()
            .unwrap();
        let decoded = Pixmap::decode_png(&png).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (321, 123));
    }

    #[test]
    fn bad_sizes_are_errors() {
        let chart = Chart::new("", "", "");
        assert!(matches!(
            Figure::new(0, 100, vec![chart.clone()]).to_png(),
            Err(PlotError::Size { .. })
        ));
        assert!(matches!(
            Figure::new(100, 0, vec![]).render(),
            Err(PlotError::Size { .. })
        ));
        assert!(Figure::new(MAX_SIDE + 1, 10, vec![chart]).render().is_err());
    }

    #[test]
    fn hline_lands_at_its_data_height() {
        let chart = || Chart::new("", "", "").y_range(0.0, 2.0);
        let middle = hline_height(chart(), 1.0);
        assert!((middle - 0.5).abs() < 0.01, "y = 1 at {middle}");
        let upper = hline_height(chart(), 1.5);
        assert!((upper - 0.25).abs() < 0.01, "y = 1.5 at {upper}");
    }

    #[test]
    fn log_axis_puts_one_halfway_between_1e_minus_2_and_1e2() {
        let chart = || Chart::new("", "", "").log_y().y_range(1e-2, 1e2);
        let one = hline_height(chart(), 1.0);
        assert!((one - 0.5).abs() < 0.01, "y = 1 at {one}");
        let ten = hline_height(chart(), 10.0);
        assert!((ten - 0.25).abs() < 0.01, "y = 10 at {ten}");
    }

    #[test]
    fn nan_points_and_empty_items_still_render() {
        let nan = f64::NAN;
        let chart = Chart::new("NaN", "x", "y")
            .log_y()
            .push(Item::Line {
                name: Some("broken".into()),
                color: RED,
                width: 2.0,
                points: vec![
                    [0.0, 1.0],
                    [1.0, nan],
                    [2.0, -1.0],
                    [3.0, 10.0],
                    [4.0, 100.0],
                    [f64::INFINITY, 5.0],
                    [1e300, 1e-300],
                    [-1e300, 1e300],
                ],
                dashed: false,
            })
            .push(Item::Line {
                name: None,
                color: RED,
                width: f32::NAN,
                points: vec![],
                dashed: true,
            })
            .push(Item::Band {
                name: Some("b".into()),
                color: RED,
                x: vec![0.0, 1.0, 2.0],
                lo: vec![1.0, nan],
                hi: vec![],
            })
            .push(Item::Markers {
                name: None,
                color: RED,
                points: vec![[nan, nan]],
                marker: Marker::Cross,
                size: -1.0,
            })
            .push(Item::Arrow {
                name: None,
                color: RED,
                from: [0.0, 1.0],
                to: [0.0, 1.0],
                width: 1.0,
            })
            .push(Item::HLine {
                name: None,
                color: RED,
                y: 0.0,
                dashed: true,
            })
            .push(Item::Segments {
                color: RED,
                width: 1.0,
                segments: vec![[[nan, 1.0], [1.0, 1.0]]],
            })
            .push(Item::Text {
                at: [nan, 1.0],
                text: String::new(),
                color: RED,
            });
        let empty = Chart::new("", "", "").push(Item::Line {
            name: None,
            color: RED,
            width: 1.0,
            points: vec![[nan, nan]],
            dashed: false,
        });
        let (pixmap, areas) = Figure::new(500, 300, vec![chart, empty])
            .render_with_areas()
            .unwrap();
        assert_eq!(areas.len(), 2);
        // The finite positive run from (3, 10) to (4, 100) is still drawn.
        assert!(!red_rows(&pixmap, areas[0]).is_empty());
    }

    #[test]
    fn equal_aspect_draws_a_circle_square() {
        let circle = (0..=100).map(|i| {
            let t = std::f64::consts::TAU * f64::from(i) / 100.0;
            [3.0 + t.cos(), -2.0 + t.sin()]
        });
        let chart = Chart::new("", "", "")
            .equal_aspect()
            .legend(false)
            .push(Item::Line {
                name: None,
                color: RED,
                width: 2.0,
                points: circle.collect(),
                dashed: false,
            });
        let (pixmap, areas) = Figure::new(700, 300, vec![chart])
            .render_with_areas()
            .unwrap();
        let a = areas[0];
        let red: Vec<(u32, u32)> = (a.t as u32..a.b as u32)
            .flat_map(|y| (a.l as u32..a.r as u32).map(move |x| (x, y)))
            .filter(|&(x, y)| pixmap.pixel(x, y).is_some_and(is_red))
            .collect();
        let extent = |f: fn(&(u32, u32)) -> u32| {
            red.iter().map(f).max().unwrap() - red.iter().map(f).min().unwrap()
        };
        let (w, h) = (extent(|p| p.0), extent(|p| p.1));
        assert!(h > 100 && w.abs_diff(h) <= 3, "extent {w}x{h}");
    }

    #[test]
    fn title_renders_dark_pixels_above_the_plot() {
        let chart = Chart::new("A title", "", "");
        let (pixmap, areas) = Figure::new(300, 200, vec![chart])
            .render_with_areas()
            .unwrap();
        let dark = (0..areas[0].t as u32 - 2)
            .flat_map(|y| (0..300).map(move |x| (x, y)))
            .filter(|&(x, y)| pixmap.pixel(x, y).is_some_and(|p| p.red() < 100))
            .count();
        assert!(dark > 20, "{dark} dark pixels");
    }

    #[test]
    fn linear_ticks_use_nice_steps() {
        let ticks = linear_ticks(0.0, 1.0, 5);
        let expected = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0];
        assert_eq!(ticks.len(), expected.len(), "{ticks:?}");
        assert!(
            ticks
                .iter()
                .zip(expected)
                .all(|(a, b)| (a - b).abs() < 1e-12),
            "{ticks:?}"
        );
        assert_eq!(linear_ticks(-3.2, 7.9, 2), vec![0.0, 5.0]);
        assert_eq!(
            linear_ticks(12.0, 130.0, 5),
            vec![20.0, 40.0, 60.0, 80.0, 100.0, 120.0]
        );
        assert!(linear_ticks(1.0, 1.0, 5).is_empty() && linear_ticks(0.0, f64::NAN, 5).is_empty());
    }

    #[test]
    fn log_ticks_are_powers_of_ten() {
        assert_eq!(
            log_ticks(1e-3, 1e2),
            vec![1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0]
        );
        assert_eq!(log_ticks(0.5, 2000.0), vec![1.0, 10.0, 100.0, 1000.0]);
        // Twenty decades are thinned to every third power.
        assert!(
            log_ticks(1e-10, 1e10)
                .iter()
                .all(|v| v.log10().round() as i32 % 3 == 0)
        );
        assert!(log_ticks(-1.0, 10.0).is_empty());
    }

    #[test]
    fn tick_labels_are_compact() {
        assert_eq!(format_tick(0.6000000000000001, 0.2), "0.6");
        assert_eq!(format_tick(-0.0, 0.5), "0");
        assert_eq!(format_tick(2.0, 1.0), "2");
        assert_eq!(format_tick(25000.0, 5000.0), "2.5e4");
        assert_eq!(format_tick(2e-4, 1e-4), "2e-4");
        let (log, minor) = axis_ticks((-3.0, 2.0), true, 5);
        let labels: Vec<&str> = log.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(
            labels,
            [
                "10^{-3}", "10^{-2}", "10^{-1}", "10^{0}", "10^{1}", "10^{2}"
            ]
        );
        assert_eq!(minor.len(), 5 * 8);
    }

    /// `^` raises one character or a `{...}` group, not the rest of the text.
    #[test]
    fn a_caret_raises_the_next_token_only() {
        let parsed = |text: &str| -> Vec<(String, bool)> {
            spans(text)
                .into_iter()
                .map(|s| (s.text, s.raised))
                .collect()
        };
        let span = |text: &str, raised| (text.to_owned(), raised);
        // Figure 1's title: only the exponent is raised.
        assert_eq!(
            parsed("‖∇f‖^2 = 7.881 ≥ 0"),
            [
                span("‖∇f‖", false),
                span("2", true),
                span(" = 7.881 ≥ 0", false)
            ]
        );
        assert_eq!(parsed("10^{-3}"), [span("10", false), span("-3", true)]);
        assert_eq!(
            parsed("e^{iπ} + 1 = 0"),
            [span("e", false), span("iπ", true), span(" + 1 = 0", false)]
        );
        // One character, even a multi-byte one; then the baseline again.
        assert_eq!(
            parsed("x^θ-1"),
            [span("x", false), span("θ", true), span("-1", false)]
        );
        assert_eq!(
            parsed("a^2b^3"),
            [
                span("a", false),
                span("2", true),
                span("b", false),
                span("3", true)
            ]
        );
        // Adjacent raised tokens make one run; an open group runs to the end.
        assert_eq!(parsed("x^a^b"), [span("x", false), span("ab", true)]);
        assert_eq!(parsed("x^{ab"), [span("x", false), span("ab", true)]);
        // No token to raise: a final `^` stays, an empty group vanishes.
        assert_eq!(parsed("x^"), [span("x^", false)]);
        assert_eq!(parsed("x^{}y"), [span("xy", false)]);
        assert_eq!(parsed("plain"), [span("plain", false)]);
        assert!(parsed("").is_empty());
    }

    /// The layout draws the title's `= 7.881 ≥ 0` at full size.
    #[test]
    fn only_the_superscript_is_drawn_small() {
        let font = |data| FontRef::try_from_slice(data).unwrap();
        let canvas = Canvas {
            pixmap: Pixmap::new(1, 1).unwrap(),
            fonts: [
                font(epaint_default_fonts::UBUNTU_LIGHT),
                font(epaint_default_fonts::HACK_REGULAR),
            ],
            mask: None,
        };
        let text = "‖∇f‖^2 = 7.881 ≥ 0";
        let (glyphs, _) = canvas.layout(text, 20.0);
        let sizes: Vec<f32> = glyphs.iter().map(|(_, g)| g.scale.y).collect();
        let small: Vec<usize> = (0..sizes.len()).filter(|&i| sizes[i] < 20.0).collect();
        // Glyph 4 is the `2` (the `^` draws nothing).
        assert_eq!(sizes.len(), text.chars().count() - 1);
        assert_eq!(small, [4]);
        assert!(glyphs[4].1.position.y < glyphs[3].1.position.y);
    }

    #[test]
    fn missing_glyphs_fall_back_to_hack() {
        let font = |data| FontRef::try_from_slice(data).unwrap();
        let fonts = [
            font(epaint_default_fonts::UBUNTU_LIGHT),
            font(epaint_default_fonts::HACK_REGULAR),
        ];
        let canvas = Canvas {
            pixmap: Pixmap::new(1, 1).unwrap(),
            fonts,
            mask: None,
        };
        let (glyphs, _) = canvas.layout("x∇", 12.0);
        let sources: Vec<usize> = glyphs.iter().map(|(k, _)| *k).collect();
        assert_eq!(sources, [0, 1]);
        assert!(
            glyphs
                .iter()
                .all(|(k, g)| canvas.fonts[*k].outline_glyph(g.clone()).is_some())
        );
    }

    /// Writes a two-panel sample to /tmp/plot_sample.png for a visual check.
    #[test]
    #[ignore]
    fn sample_figure() {
        let steps: Vec<f64> = (0..200).map(f64::from).collect();
        let gd: Vec<[f64; 2]> = steps.iter().map(|&t| [t, 50.0 * 0.97f64.powf(t)]).collect();
        let l2o: Vec<[f64; 2]> = steps
            .iter()
            .map(|&t| [t, 50.0 * 0.93f64.powf(t) + 1e-4])
            .collect();
        let loss = Chart::new("Loss on ellipse objectives", "iteration", "f(x) − f*")
            .log_y()
            .push(Item::Band {
                name: Some("L2O ± 1σ".into()),
                color: PALETTE[1],
                x: steps.clone(),
                lo: l2o.iter().map(|p| p[1] * 0.5).collect(),
                hi: l2o.iter().map(|p| p[1] * 2.0).collect(),
            })
            .push(Item::Line {
                name: Some("GD".into()),
                color: PALETTE[0],
                width: 2.0,
                points: gd,
                dashed: false,
            })
            .push(Item::Line {
                name: Some("L2O + teleport".into()),
                color: PALETTE[1],
                width: 2.0,
                points: l2o,
                dashed: true,
            })
            .push(Item::HLine {
                name: Some("tolerance".into()),
                color: Color::GRAY,
                y: 1e-3,
                dashed: true,
            });
        let mut level_sets = Chart::new("Level sets, ∇f and v∥", "x₁", "x₂").equal_aspect();
        for level in [0.5, 1.0, 2.0, 3.0] {
            let ring: Vec<[[f64; 2]; 2]> = (0..64)
                .map(|i| {
                    let p = |k: i32| {
                        let t = std::f64::consts::TAU * f64::from(k) / 64.0;
                        [level * 1.4 * t.cos(), level * 0.6 * t.sin()]
                    };
                    [p(i), p(i + 1)]
                })
                .collect();
            level_sets = level_sets.push(Item::Segments {
                color: Color::rgb(170, 170, 170),
                width: 1.0,
                segments: ring,
            });
        }
        let level_sets = level_sets
            .push(Item::Arrow {
                name: Some("gradient step".into()),
                color: PALETTE[0],
                from: [2.0, 1.0],
                to: [1.0, 0.2],
                width: 2.0,
            })
            .push(Item::Arrow {
                name: Some("teleport".into()),
                color: PALETTE[3],
                from: [2.0, 1.0],
                to: [-0.5, 1.4],
                width: 2.0,
            })
            .push(Item::Markers {
                name: Some("x₀".into()),
                color: Color::BLACK,
                points: vec![[2.0, 1.0]],
                marker: Marker::Diamond,
                size: 9.0,
            })
            .push(Item::Markers {
                name: Some("minimum".into()),
                color: PALETTE[2],
                points: vec![[0.0, 0.0]],
                marker: Marker::Cross,
                size: 10.0,
            })
            .push(Item::Text {
                at: [0.1, -0.3],
                text: "x*".into(),
                color: Color::BLACK,
            });
        let figure = Figure {
            width: 1200,
            height: 480,
            title: Some("Sample figure".into()),
            panels: vec![loss, level_sets],
        };
        std::fs::write("/tmp/plot_sample.png", figure.to_png().unwrap()).unwrap();
    }
}
