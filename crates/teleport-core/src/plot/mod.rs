//! Headless charts: chart descriptions in, PNG bytes or SVG text out.
//!
//! `teleport-lab figures` reproduces the paper's figures on machines without a
//! GPU or system fonts. This module therefore draws with [`tiny_skia`]
//! (anti-aliased paths, dashes, clip masks) and rasterizes text with
//! [`ab_glyph`] from a font embedded in the binary by [`epaint_default_fonts`].
//! [`Figure::to_svg`] runs the same layout and drawing code into SVG
//! elements instead, with text kept as text. [`LevelSetPlot`] builds the
//! app's level-set plot as a figure.
//!
//! A [`Figure`] holds one or more [`Chart`] panels laid out left to right, and
//! each chart is a list of [`Item`]s in data coordinates. Axis ranges follow the
//! data unless given. Non-finite points (and non-positive ones on a log axis)
//! are skipped, and lines break there. In any text, a `^` raises the next
//! character, or a `{...}` group, as a superscript: `"‖∇f‖^2 = 7.9"` reads as
//! ‖∇f‖² = 7.9 and `"10^{-3}"` as 10⁻³.
//!
//! ```no_run
//! use teleport_core::plot::{Chart, Figure, Line, PALETTE};
//!
//! let points = (0..100).map(|i| [i as f64, 0.9f64.powi(i)]).collect();
//! let line = Line::new("GD", points).color(PALETTE[0]).width(2.0);
//! let chart = Chart::new("Loss", "step", "f(x)").log_y().push(line);
//! let png = Figure::new(640, 480, vec![chart]).to_png()?;
//! # Ok::<(), teleport_core::plot::PlotError>(())
//! ```

use ab_glyph::{Font, FontRef, Glyph, PxScale, ScaleFont, point};
use tiny_skia::{FillRule, LineCap, LineJoin, Mask, Paint, Path, PathBuilder, Pixmap};
use tiny_skia::{PremultipliedColorU8, Stroke, StrokeDash, Transform};

mod canvas;
mod chart;
mod items;
mod legend;
mod level_set;
pub mod placement;
mod playback;
pub mod surface;
mod svg;
mod ticks;

pub use canvas::dash_pattern;
use canvas::*;
use chart::*;
pub use items::{Arrow, Band, HLine, Image, Line, Markers, Segments, Text};
use legend::*;
pub(crate) use level_set::contour_items;
pub use level_set::{
    CONTOUR_COLOR, LevelSetPlot, LevelSetRow, ORBIT_COLOR, Orbit, f_image, log_f_image, log_ramp,
    shade,
};
pub use playback::{
    AnimationError, Progress, all_cores, level_set_animation, level_set_animation_with,
    level_set_frames, surface_orbit_animation, surface_orbit_animation_with,
    surface_playback_animation, surface_playback_animation_with,
};
use svg::*;
use ticks::*;
pub use ticks::{format_tick, linear_ticks, log_ticks};

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

    /// The colour at `t` of a ramp through `stops`, each a position and an
    /// RGB colour, the positions rising from 0 to 1; linear between stops.
    /// `t` is clamped to `0..=1`, and NaN gives the low end.
    pub fn ramp(stops: &[(f64, [f64; 3])], t: f64) -> Self {
        let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
        let mix = |ca: [f64; 3], cb: [f64; 3], s: f64| {
            let channel = |k: usize| (ca[k] + (cb[k] - ca[k]) * s) as u8;
            Color::rgb(channel(0), channel(1), channel(2))
        };
        for w in stops.windows(2) {
            let ((a, ca), (b, cb)) = (w[0], w[1]);
            if t <= b {
                return mix(ca, cb, (t - a) / (b - a));
            }
        }
        stops.last().map_or(Color::BLACK, |&(_, c)| mix(c, c, 0.0))
    }
}

/// The twenty series colours of the app's optimizer rows and of the figures:
/// Tableau 10 (matplotlib's default cycle, a darker grey for its last) and
/// ten more; all read on the light colour map. The app and the charts both
/// take their colours from here.
pub const SERIES_RGB: [[u8; 3]; 20] = [
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
    // Ten more, dark enough to read on the light colour map and apart
    // from the first ten (Paul Tol's muted scheme, and a few deeper tones).
    [51, 34, 136],
    [68, 170, 153],
    [17, 119, 51],
    [136, 34, 85],
    [204, 102, 119],
    [170, 120, 0],
    [0, 60, 120],
    [170, 68, 153],
    [150, 50, 20],
    [70, 100, 120],
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
    /// A raster image, such as a colour map, stretched over a data rectangle;
    /// put it first so that the lines are drawn over it. Drawn smoothed
    /// (bicubic) in PNG and embedded as a PNG `<image>` in SVG. An image whose
    /// pixel count does not match, whose range is empty or reversed, or that
    /// has a side above [`MAX_SIDE`], is not drawn. On a log axis its corners
    /// land on their data points and the rows between are spread evenly.
    Image {
        /// The data range of the left and right edges, left first.
        x: (f64, f64),
        /// The data range of the bottom and top edges, bottom first.
        y: (f64, f64),
        /// The width in pixels.
        width: u32,
        /// The height in pixels.
        height: u32,
        /// The pixels: RGBA8 with straight alpha, rows from the top down,
        /// `width * height * 4` bytes.
        rgba: Vec<u8>,
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

    /// The same chart with one more item on top: an [`Item`] or a builder
    /// such as [`Line`].
    pub fn push(mut self, item: impl Into<Item>) -> Self {
        self.items.push(item.into());
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

    /// The same figure as an SVG 1.1 document, laid out and drawn by the same
    /// code as [`Figure::to_png`]: `width`, `height` and the `viewBox` are the
    /// figure's pixels, text stays `<text>` (Ubuntu Light, falling back to
    /// sans-serif; Hack for the characters Ubuntu lacks), superscripts are
    /// smaller `<tspan>`s shifted with `dy`, plot areas clip with
    /// `<clipPath>`, dashes use `stroke-dasharray` and [`Item::Image`]s are
    /// embedded PNGs. Coordinates have at most two decimals, so the same
    /// figure always gives the same bytes.
    ///
    /// ```
    /// use teleport_core::plot::{Chart, Figure, Line, PALETTE};
    ///
    /// let points = vec![[0.0, 1.0], [1.0, 0.5], [2.0, 0.2]];
    /// let chart = Chart::new("Loss", "step", "f").push(Line::new("GD", points).color(PALETTE[0]));
    /// let svg = Figure::new(400, 300, vec![chart]).to_svg()?;
    /// assert!(svg.contains(r#"viewBox="0 0 400 300""#) && svg.contains(">GD</text>"));
    /// # Ok::<(), teleport_core::plot::PlotError>(())
    /// ```
    pub fn to_svg(&self) -> Result<String, PlotError> {
        self.check_size()?;
        match self.draw(Surface::Svg(SvgDoc::new(self.width, self.height)))? {
            (Surface::Svg(doc), _) => Ok(doc.finish()),
            _ => Err(PlotError::Encode("the SVG surface was lost".into())),
        }
    }

    /// Each panel's plot area and ranges, from a layout pass that draws nothing.
    fn layout_frames(&self) -> Result<Vec<Frame>, PlotError> {
        self.check_size()?;
        Ok(self.draw(Surface::Layout)?.1)
    }

    fn check_size(&self) -> Result<(), PlotError> {
        let (w, h) = (self.width, self.height);
        if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE {
            return Err(PlotError::Size {
                width: w,
                height: h,
            });
        }
        Ok(())
    }

    /// Renders the figure and also returns each panel's plot area (for tests).
    fn render_with_areas(&self) -> Result<(Pixmap, Vec<Area>), PlotError> {
        self.check_size()?;
        let mut pixmap = Pixmap::new(self.width, self.height).ok_or(PlotError::Size {
            width: self.width,
            height: self.height,
        })?;
        pixmap.fill(tiny_skia::Color::WHITE);
        match self.draw(Surface::Raster { pixmap, mask: None })? {
            (Surface::Raster { pixmap, .. }, frames) => {
                Ok((pixmap, frames.iter().map(|f| f.area).collect()))
            }
            _ => Err(PlotError::Encode("the pixmap was lost".into())),
        }
    }

    /// Lays out and draws the figure on `surface` (of the figure's size).
    fn draw(&self, surface: Surface) -> Result<(Surface, Vec<Frame>), PlotError> {
        let mut canvas = self.canvas(surface)?;
        let top = self.draw_title(&mut canvas);
        let mut frames = Vec::with_capacity(self.panels.len());
        for (i, chart) in self.panels.iter().enumerate() {
            frames.push(chart.draw(&mut canvas, self.cell(i, top)));
        }
        Ok((canvas.surface, frames))
    }

    /// A canvas of the figure's size on `surface`, with the embedded fonts.
    fn canvas(&self, surface: Surface) -> Result<Canvas<'static>, PlotError> {
        Ok(Canvas {
            surface,
            fonts: fonts()?,
            size: [self.width, self.height],
        })
    }

    /// Draws the figure's title, if any, and returns where the panels start.
    fn draw_title(&self, canvas: &mut Canvas) -> f64 {
        let Some(title) = self.title.as_deref().filter(|t| !t.is_empty()) else {
            return 0.0;
        };
        canvas.text(
            title,
            style(FIG_TITLE_PX),
            [f64::from(self.width) / 2.0, PAD],
            [0.5, 0.0],
        );
        PAD + canvas.text_size(title, FIG_TITLE_PX)[1]
    }

    /// The pixel cell of panel `i` below `top`.
    fn cell(&self, i: usize, top: f64) -> Area {
        let (w, n) = (f64::from(self.width), self.panels.len().max(1) as f64);
        Area {
            l: w * i as f64 / n,
            t: top,
            r: w * (i + 1) as f64 / n,
            b: f64::from(self.height),
        }
    }

    /// Draws what a one-panel figure's frames share once: the title, the
    /// grid, the panel's items (the background) and its axes, but no
    /// legend. [`Backdrop::render`] then draws each frame's own items over a
    /// copy. `None` for figures of more or fewer than one panel.
    fn backdrop(&self) -> Result<Option<Backdrop>, PlotError> {
        self.check_size()?;
        let [chart] = self.panels.as_slice() else {
            return Ok(None);
        };
        let mut pixmap = Pixmap::new(self.width, self.height).ok_or(PlotError::Size {
            width: self.width,
            height: self.height,
        })?;
        pixmap.fill(tiny_skia::Color::WHITE);
        let mut canvas = self.canvas(Surface::Raster { pixmap, mask: None })?;
        let top = self.draw_title(&mut canvas);
        let layout = chart.layout(&canvas, self.cell(0, top));
        // The grid leaves the plot area's clip set, which the frames reuse.
        chart.draw_grid(&mut canvas, &layout);
        for item in &chart.items {
            draw_item(&mut canvas, &layout.frame, item);
        }
        // The axes lie outside the plot area, where the frames' items
        // (clipped to it) and legend (inside it) never draw: drawing them
        // before those gives the same pixels as drawing them after.
        chart.draw_axes(&mut canvas, &layout);
        match canvas.surface {
            Surface::Raster { pixmap, mask } => Ok(Some(Backdrop {
                pixmap,
                mask,
                frame: layout.frame,
            })),
            _ => Err(PlotError::Encode("the pixmap was lost".into())),
        }
    }
}

/// The embedded fonts: Ubuntu Light, then Hack for what it lacks.
fn fonts() -> Result<[FontRef<'static>; 2], PlotError> {
    let font = |data| FontRef::try_from_slice(data).map_err(|_| PlotError::Font);
    Ok([
        font(epaint_default_fonts::UBUNTU_LIGHT)?,
        font(epaint_default_fonts::HACK_REGULAR)?,
    ])
}

/// A one-panel figure drawn without the items that change from frame to
/// frame ([`Figure::backdrop`]).
#[derive(Clone)]
struct Backdrop {
    pixmap: Pixmap,
    /// The plot area's clip.
    mask: Option<Mask>,
    /// The panel's plot area and ranges.
    frame: Frame,
}

impl Backdrop {
    /// A copy of the backdrop with `items` drawn over it in the panel's
    /// frame, clipped to the plot area, and the legend of `items` if
    /// `legend`: the pixels of the whole figure drawn by [`Figure::render`]
    /// with the backdrop's items followed by `items`.
    fn render(&self, items: &[Item], legend: bool) -> Result<Pixmap, PlotError> {
        let [w, h] = [self.pixmap.width(), self.pixmap.height()];
        let mut canvas = Canvas {
            surface: Surface::Raster {
                pixmap: self.pixmap.clone(),
                mask: self.mask.clone(),
            },
            fonts: fonts()?,
            size: [w, h],
        };
        for item in items {
            draw_item(&mut canvas, &self.frame, item);
        }
        if legend {
            draw_legend(&mut canvas, items, self.frame.area);
        }
        match canvas.surface {
            Surface::Raster { pixmap, .. } => Ok(pixmap),
            _ => Err(PlotError::Encode("the pixmap was lost".into())),
        }
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
        let chart = chart.legend(false).push(HLine::new("", y).color(RED));
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

    /// Each `(y, want)`: a line at `y` on `chart` lands `want` of the plot
    /// height down from the top.
    fn assert_hlines_land(chart: &Chart, cases: &[(f64, f64)]) {
        for &(y, want) in cases {
            let got = hline_height(chart.clone(), y);
            assert!((got - want).abs() < 0.01, "y = {y} at {got}, want {want}");
        }
    }

    #[test]
    fn png_decodes_to_the_requested_size() {
        let line = Line::new("line", vec![[0.0, 0.0], [1.0, 1.0]]).color(PALETTE[0]);
        let chart = Chart::new("t", "x", "y").push(line.width(2.0).dashed());
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
        let chart = Chart::new("", "", "").y_range(0.0, 2.0);
        assert_hlines_land(&chart, &[(1.0, 0.5), (1.5, 0.25)]);
    }

    #[test]
    fn log_axis_puts_one_halfway_between_1e_minus_2_and_1e2() {
        let chart = Chart::new("", "", "").log_y().y_range(1e-2, 1e2);
        assert_hlines_land(&chart, &[(1.0, 0.5), (10.0, 0.25)]);
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

    /// A 2 × 2 red image over [1, 3] × [1, 3] of a [0, 4] × [0, 4] plot fills
    /// the middle quarter of the plot area; one with a wrong pixel count or a
    /// reversed range is not drawn.
    #[test]
    fn an_image_fills_its_data_rectangle() {
        let image = |x, rgba: Vec<u8>| Item::Image {
            x,
            y: (1.0, 3.0),
            width: 2,
            height: 2,
            rgba,
        };
        let red = [255, 0, 0, 255].repeat(4);
        let chart = |item| {
            Chart::new("", "", "")
                .legend(false)
                .x_range(0.0, 4.0)
                .y_range(0.0, 4.0)
                .push(item)
        };
        let (pixmap, areas) = Figure::new(400, 400, vec![chart(image((1.0, 3.0), red.clone()))])
            .render_with_areas()
            .unwrap();
        let a = areas[0];
        let (rows, cols) = (
            red_rows(&pixmap, a),
            (a.l as u32..a.r as u32)
                .filter(|&x| {
                    (a.t as u32..a.b as u32).any(|y| pixmap.pixel(x, y).is_some_and(is_red))
                })
                .collect::<Vec<u32>>(),
        );
        let frac = |v: u32, lo: f64, hi: f64| (f64::from(v) - lo) / (hi - lo);
        let (top, bottom) = (rows[0], rows[rows.len() - 1] + 1);
        let (left, right) = (cols[0], cols[cols.len() - 1] + 1);
        for (v, lo, hi, want) in [
            (top, a.t, a.b, 0.25),
            (bottom, a.t, a.b, 0.75),
            (left, a.l, a.r, 0.25),
            (right, a.l, a.r, 0.75),
        ] {
            assert!((frac(v, lo, hi) - want).abs() < 0.01, "{v} in {lo}..{hi}");
        }
        for bad in [
            image((1.0, 3.0), red[..12].to_vec()),
            image((3.0, 1.0), red),
        ] {
            let (pixmap, areas) = Figure::new(200, 200, vec![chart(bad)])
                .render_with_areas()
                .unwrap();
            assert!(red_rows(&pixmap, areas[0]).is_empty());
        }
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
            .push(Line::new("", circle.collect()).color(RED).width(2.0));
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
            surface: Surface::Layout,
            fonts: [
                font(epaint_default_fonts::UBUNTU_LIGHT),
                font(epaint_default_fonts::HACK_REGULAR),
            ],
            size: [1, 1],
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
            surface: Surface::Layout,
            fonts,
            size: [1, 1],
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
            .push(
                Band::new(
                    "L2O ± 1σ",
                    steps.clone(),
                    l2o.iter().map(|p| p[1] * 0.5).collect(),
                    l2o.iter().map(|p| p[1] * 2.0).collect(),
                )
                .color(PALETTE[1]),
            )
            .push(Line::new("GD", gd).color(PALETTE[0]).width(2.0))
            .push(
                Line::new("L2O + teleport", l2o)
                    .color(PALETTE[1])
                    .width(2.0)
                    .dashed(),
            )
            .push(HLine::new("tolerance", 1e-3).color(Color::GRAY).dashed());
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
            level_sets = level_sets.push(Segments::new(ring).color(Color::rgb(170, 170, 170)));
        }
        let level_sets = level_sets
            .push(
                Arrow::new("gradient step", [2.0, 1.0], [1.0, 0.2])
                    .color(PALETTE[0])
                    .width(2.0),
            )
            .push(
                Arrow::new("teleport", [2.0, 1.0], [-0.5, 1.4])
                    .color(PALETTE[3])
                    .width(2.0),
            )
            .push(
                Markers::new("x₀", vec![[2.0, 1.0]])
                    .shape(Marker::Diamond)
                    .size(9.0),
            )
            .push(
                Markers::new("minimum", vec![[0.0, 0.0]])
                    .color(PALETTE[2])
                    .shape(Marker::Cross)
                    .size(10.0),
            )
            .push(Text::new([0.1, -0.3], "x*"));
        let figure = Figure {
            width: 1200,
            height: 480,
            title: Some("Sample figure".into()),
            panels: vec![loss, level_sets],
        };
        std::fs::write("/tmp/plot_sample.png", figure.to_png().unwrap()).unwrap();
    }
}
