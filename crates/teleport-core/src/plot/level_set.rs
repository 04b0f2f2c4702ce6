//! The app's level-set plot as a [`Figure`]: colour map of log f, contours,
//! trajectories with their teleport jumps, the orbit of the current point,
//! markers and a legend. For File → Export plot and `--export-plot`.

use super::canvas::Frame;
use super::{Chart, Color, Figure, Image, Item, Line, MAX_SIDE, Marker, Markers, Segments};
use crate::contour::{Grid, auto_levels, contours, levels_for};
use crate::objective::{Objective, Vec2};
use crate::optim::Trajectory;

/// The colour of the contour lines: the app's, a translucent slate.
pub const CONTOUR_COLOR: Color = Color::rgba(90, 100, 130, 110);
/// The colour of the orbit and of the teleported point in the app.
pub const ORBIT_COLOR: Color = Color::rgb(120, 60, 160);

/// The app's light blue-to-sand ramp for log f, at `t` in `0..=1` (clamped;
/// NaN gives the low end). Light enough for lines on top.
pub fn log_ramp(t: f64) -> Color {
    let stops = [
        (0.0, [237.0, 244.0, 252.0]),
        (0.35, [205.0, 226.0, 240.0]),
        (0.7, [236.0, 231.0, 200.0]),
        (1.0, [250.0, 222.0, 190.0]),
    ];
    Color::ramp(&stops, t)
}

/// A colour map of `log10 f` over the data rectangle `x` × `y` as an
/// [`Item::Image`] of `width` × `height` pixels (each side 1 to
/// [`MAX_SIDE`]), sampled at pixel centres and shaded with [`log_ramp`] from
/// the smallest to the largest finite value; where `f` is not finite the
/// pixel is white. A typed `f` (of any sign) is shaded by
/// `log10(f − f_min + ε)` instead, `f_min` the smallest sampled value and
/// `ε` a millionth of the sampled range ([`f_image`]).
pub fn log_f_image(obj: &Objective, x: (f64, f64), y: (f64, f64), width: u32, height: u32) -> Item {
    f_image(obj, x, y, (width, height), true)
}

/// [`log_f_image`], or with `log` false a colour map of `f` itself (the
/// gallery's Rastrigin and Styblinski–Tang read better so).
pub fn f_image(
    obj: &Objective,
    x: (f64, f64),
    y: (f64, f64),
    (width, height): (u32, u32),
    log: bool,
) -> Item {
    let (w, h) = (width.clamp(1, MAX_SIDE), height.clamp(1, MAX_SIDE));
    let mut values = Vec::with_capacity(w as usize * h as usize);
    for j in 0..h {
        let py = y.1 - (f64::from(j) + 0.5) / f64::from(h) * (y.1 - y.0);
        for i in 0..w {
            let px = x.0 + (f64::from(i) + 0.5) / f64::from(w) * (x.1 - x.0);
            values.push(obj.f(&Vec2::new(px, py)));
        }
    }
    let mut rgba = Vec::with_capacity(values.len() * 4);
    for c in shade(&values, log, obj.has_h()) {
        rgba.extend([c.r, c.g, c.b, c.a]);
    }
    Image::new(x, y, [w, h], rgba).into()
}

/// The colour map's colours for sampled values of `f`: [`log_ramp`] from
/// the smallest to the largest finite value of `log10 f` (`log` and `f =
/// ‖h‖² ≥ 0`, so `nonnegative`), of `log10(f − f_min + ε)` (`log` and a typed
/// `f`, which may be negative; `f_min` the smallest sample, `ε` a millionth
/// of the range), or of `f` itself; white where `f` is not finite. The app's
/// plot and the exported figure shade with this one function.
pub fn shade(values: &[f64], log: bool, nonnegative: bool) -> Vec<Color> {
    let mut logs: Vec<f64> = values
        .iter()
        .map(|&v| {
            if log && nonnegative {
                v.max(1e-300).log10()
            } else {
                v
            }
        })
        .collect();
    if log && !nonnegative {
        let finite = || logs.iter().copied().filter(|v| v.is_finite());
        let min = finite().fold(f64::INFINITY, f64::min);
        let max = finite().fold(f64::NEG_INFINITY, f64::max);
        let eps = (1e-6 * (max - min)).max(f64::MIN_POSITIVE);
        for v in &mut logs {
            *v = (*v - min + eps).log10();
        }
    }
    let finite = || logs.iter().copied().filter(|v| v.is_finite());
    let lo = finite().fold(f64::INFINITY, f64::min);
    let hi = finite().fold(f64::NEG_INFINITY, f64::max);
    let span = (hi - lo).max(1e-9);
    logs.iter()
        .map(|v| {
            if v.is_finite() {
                log_ramp((v - lo) / span)
            } else {
                Color::rgb(255, 255, 255)
            }
        })
        .collect()
}

/// The contours of `grid` at `n` [`auto_levels`], one 1 px
/// [`Item::Segments`] per level: the level-set plot's and the paper
/// figures' (`figures`), which differ only in grid, count and colour.
pub(crate) fn contour_items(grid: &Grid, n: usize, color: Color) -> Vec<Item> {
    level_items(grid, auto_levels(grid, n), color)
}

/// One 1 px [`Item::Segments`] per level of `levels` on `grid`.
fn level_items(grid: &Grid, levels: Vec<f64>, color: Color) -> Vec<Item> {
    contours(grid, &levels)
        .into_iter()
        .map(|c| Segments::new(c.segments).color(color).into())
        .collect()
}

/// One optimizer row of the level-set plot.
#[derive(Clone, Debug, PartialEq)]
pub struct LevelSetRow {
    /// The legend entry.
    pub name: String,
    /// The row's colour.
    pub color: Color,
    /// The trajectory as a polyline, drawn solid; it breaks at non-finite
    /// points (put a NaN point where a teleport jumps).
    pub points: Vec<[f64; 2]>,
    /// Teleport jumps as (from, to) pairs, drawn dashed, with a diamond at `to`.
    pub jumps: Vec<[[f64; 2]; 2]>,
    /// Whether the row is drawn at all.
    pub shown: bool,
}

impl LevelSetRow {
    /// A shown row from a run: the steps solid, each teleport (a record with
    /// [`crate::optim::Record::from`]) a dashed jump from where it started.
    pub fn from_trajectory(name: impl Into<String>, color: Color, run: &Trajectory) -> Self {
        Self::from_records(name, color, &run.records)
    }

    /// The row as a playback shows it at step `step`: the run's records up
    /// to and including that step ([`LevelSetRow::from_trajectory`] of the
    /// run cut there), for one frame of [`super::level_set_animation`].
    pub fn from_trajectory_until(
        name: impl Into<String>,
        color: Color,
        run: &Trajectory,
        step: usize,
    ) -> Self {
        let shown = run.records.partition_point(|rec| rec.t <= step);
        Self::from_records(name, color, &run.records[..shown])
    }

    fn from_records(
        name: impl Into<String>,
        color: Color,
        records: &[crate::optim::Record],
    ) -> Self {
        let (mut points, mut jumps) = (Vec::new(), Vec::new());
        for rec in records {
            if let Some(from) = rec.from {
                points.push(from);
                points.push([f64::NAN; 2]);
                jumps.push([from, rec.x]);
            }
            points.push(rec.x);
        }
        LevelSetRow {
            name: name.into(),
            color,
            points,
            jumps,
            shown: true,
        }
    }
}

/// The current point and its level set, as the caller computed them (for
/// example with [`crate::symmetry::orbit`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Orbit {
    /// The current point, drawn as a black disc.
    pub point: [f64; 2],
    /// The level set through it as a closed polyline (closed here if the
    /// last point is not the first), drawn dashed; may be empty.
    pub ring: Vec<[f64; 2]>,
    /// Its teleported image g_θ(x), drawn as a purple diamond, if any.
    pub image: Option<[f64; 2]>,
}

/// Everything the app's level-set plot shows, for [`LevelSetPlot::figure`].
#[derive(Clone, Debug, PartialEq)]
pub struct LevelSetPlot {
    /// The objective whose contours and colour map are drawn.
    pub objective: Objective,
    /// The title above the plot; empty for none.
    pub title: String,
    /// The x range of the view.
    pub x_range: (f64, f64),
    /// The y range of the view.
    pub y_range: (f64, f64),
    /// Whether one unit is as long on both axes (the view then widens along
    /// one axis to the plot's shape, as in the app).
    pub equal_aspect: bool,
    /// The figure's width in pixels.
    pub width: u32,
    /// The figure's height in pixels.
    pub height: u32,
    /// Whether to shade the view with the colour map of log f ([`log_f_image`]).
    pub color_map: bool,
    /// Whether the colour map shades `log f` (else `f`; see [`f_image`]).
    pub log_color: bool,
    /// How many contour levels to draw ([`auto_levels`] on a 200 × 200 grid
    /// of the view, as the app does); 0 for none.
    pub contours: usize,
    /// The optimizer rows, drawn in order (later ones on top).
    pub rows: Vec<LevelSetRow>,
    /// The start point, drawn as a dark square.
    pub x0: Option<[f64; 2]>,
    /// The current point and its orbit.
    pub current: Option<Orbit>,
    /// The minimizer, drawn as a cross.
    pub minimizer: Option<[f64; 2]>,
    /// Whether to list the named items at the top right.
    pub legend: bool,
}

impl LevelSetPlot {
    /// A plot of `objective` over the view `x_range` × `y_range`: 1200 × 900
    /// pixels, equal aspect, colour map, 16 contour levels, a legend, no rows
    /// and no markers.
    pub fn new(objective: Objective, x_range: (f64, f64), y_range: (f64, f64)) -> Self {
        LevelSetPlot {
            objective,
            title: String::new(),
            x_range,
            y_range,
            equal_aspect: true,
            width: 1200,
            height: 900,
            color_map: true,
            log_color: true,
            contours: 16,
            rows: Vec::new(),
            x0: None,
            current: None,
            minimizer: None,
            legend: true,
        }
    }

    /// The plot as a one-panel [`Figure`]; write it with [`Figure::to_svg`]
    /// or [`Figure::to_png`].
    ///
    /// From the bottom up: the colour map, the contours (both over the view
    /// as drawn, after the equal-aspect widening), the minimizer, each shown
    /// row's trajectory (2 px) and its jumps (dashed, diamond at the landing
    /// point), the orbit (dashed), the current point, its teleported image
    /// and x₀. Axes are labelled "x" and "y". Anything else (the app's −∇f
    /// arrows, say) can be pushed onto `figure.panels[0].items` afterwards.
    ///
    /// ```
    /// use teleport_core::objective::Preset;
    /// use teleport_core::plot::{LevelSetPlot, LevelSetRow, Orbit, PALETTE};
    ///
    /// let obj = Preset::ElliFixed.objective();
    /// let mut plot = LevelSetPlot::new(obj, (-6.0, 6.0), (-4.0, 4.0));
    /// plot.title = "GD on the fixed ellipse".into();
    /// plot.width = 640;
    /// plot.height = 480;
    /// plot.rows.push(LevelSetRow {
    ///     name: "GD".into(),
    ///     color: PALETTE[0],
    ///     points: vec![[-5.0, 3.5], [-4.5, 2.4], [-4.0, 1.6]],
    ///     jumps: vec![[[-4.0, 1.6], [-2.0, -2.0]]],
    ///     shown: true,
    /// });
    /// plot.x0 = Some([-5.0, 3.5]);
    /// plot.current = Some(Orbit {
    ///     point: [-2.0, -2.0],
    ///     ring: vec![[-2.0, -2.0], [2.0, -2.0], [2.0, 2.0], [-2.0, 2.0]],
    ///     image: Some([2.0, 2.0]),
    /// });
    /// plot.minimizer = Some([0.0, 0.0]);
    /// let figure = plot.figure();
    /// let svg = figure.to_svg()?;
    /// assert!(svg.contains(">GD</text>") && svg.contains("<image"));
    /// let png = figure.to_png()?;
    /// # assert!(!png.is_empty());
    /// # Ok::<(), teleport_core::plot::PlotError>(())
    /// ```
    pub fn figure(&self) -> Figure {
        let mut chart = self.chart();
        chart.items = self.overlay_items();
        let mut figure = Figure::new(self.width, self.height, vec![chart]);
        // The background covers the view as drawn, which the layout decides.
        let frame = figure
            .layout_frames()
            .ok()
            .and_then(|frames| frames.into_iter().next());
        let (Some(frame), Some(chart)) = (frame, figure.panels.first_mut()) else {
            return figure;
        };
        let Some((x, y)) = drawn_view(&frame) else {
            return figure;
        };
        chart.x_range = Some(x);
        chart.y_range = Some(y);
        let on_top = std::mem::replace(&mut chart.items, self.background_items(&frame));
        chart.items.extend(on_top);
        figure
    }

    /// The chart without items: title, axis labels, legend, view and aspect.
    pub(super) fn chart(&self) -> Chart {
        let mut chart = Chart::new(self.title.clone(), "x", "y").legend(self.legend);
        chart.equal_aspect = self.equal_aspect;
        chart.x_range = Some(self.x_range);
        chart.y_range = Some(self.y_range);
        chart
    }

    /// Whether `other` has the same background and axes: everything but the
    /// rows, the markers, the orbit and the legend is the same.
    pub(super) fn same_backdrop(&self, other: &LevelSetPlot) -> bool {
        self.objective == other.objective
            && self.title == other.title
            && self.x_range == other.x_range
            && self.y_range == other.y_range
            && self.equal_aspect == other.equal_aspect
            && (self.width, self.height) == (other.width, other.height)
            && self.color_map == other.color_map
            && self.contours == other.contours
    }

    /// The colour map and the contours over the view `frame` shows.
    pub(super) fn background_items(&self, frame: &Frame) -> Vec<Item> {
        let Some((x, y)) = drawn_view(frame) else {
            return Vec::new();
        };
        let mut background = Vec::new();
        if self.color_map {
            // About one sample per 2 pixels, smoothed when drawn.
            let side = |px: f64| ((px / 2.0).round() as u32).clamp(2, 600);
            let (w, h) = (frame.area.r - frame.area.l, frame.area.b - frame.area.t);
            let size = (side(w), side(h));
            background.push(f_image(&self.objective, x, y, size, self.log_color));
        }
        if self.contours > 0 {
            let grid = Grid::of_objective(&self.objective, [x.0, y.0], [x.1, y.1], 200, 200);
            let levels = levels_for(&self.objective, &grid, self.contours);
            background.extend(level_items(&grid, levels, CONTOUR_COLOR));
        }
        background
    }

    /// What changes along a playback, drawn over the background: the
    /// minimizer, the rows with their jumps, the orbit and the markers.
    pub(super) fn overlay_items(&self) -> Vec<Item> {
        let mut items: Vec<Item> = Vec::new();
        let marker = |name: &str, color, point, shape| {
            Markers::new(name, vec![point]).color(color).shape(shape)
        };
        if let Some(m) = self.minimizer {
            let dark = Color::rgb(30, 30, 30);
            items.push(marker("minimum", dark, m, Marker::Cross).size(10.0).into());
        }
        for row in self.rows.iter().filter(|r| r.shown) {
            let line = Line::new(row.name.clone(), row.points.clone());
            items.push(line.color(row.color).width(2.0).into());
            if !row.jumps.is_empty() {
                let broken = row.jumps.iter().flat_map(|[a, b]| [*a, *b, [f64::NAN; 2]]);
                let landings = row.jumps.iter().map(|j| j[1]).collect();
                items.push(
                    Line::new("", broken.collect())
                        .color(row.color)
                        .width(1.5)
                        .dashed()
                        .into(),
                );
                items.push(
                    Markers::new("", landings)
                        .color(row.color)
                        .shape(Marker::Diamond)
                        .size(8.0)
                        .into(),
                );
            }
        }
        if let Some(current) = &self.current {
            let mut ring = current.ring.clone();
            if let (Some(&first), Some(&last)) = (ring.first(), ring.last())
                && first != last
            {
                ring.push(first);
            }
            if !ring.is_empty() {
                let orbit = Line::new("orbit (level set of x)", ring).color(ORBIT_COLOR);
                items.push(orbit.width(1.5).dashed().into());
            }
            let black = Color::BLACK;
            let point = marker("x (current point)", black, current.point, Marker::Circle);
            items.push(point.size(10.0).into());
            if let Some(image) = current.image {
                let purple = ORBIT_COLOR;
                items.push(
                    marker("g_θ(x)", purple, image, Marker::Diamond)
                        .size(11.0)
                        .into(),
                );
            }
        }
        if let Some(x0) = self.x0 {
            let dark = Color::rgb(20, 20, 20);
            items.push(marker("x₀", dark, x0, Marker::Square).size(10.0).into());
        }
        items
    }
}

/// The data ranges a laid-out frame shows, if finite and not empty.
pub(super) fn drawn_view(frame: &Frame) -> Option<((f64, f64), (f64, f64))> {
    let (x, y) = (frame.x, frame.y);
    let finite = [x.0, x.1, y.0, y.1].iter().all(|v| v.is_finite());
    (finite && x.0 < x.1 && y.0 < y.1).then_some((x, y))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objective::Preset;

    #[test]
    fn the_colour_map_is_lightest_blue_at_the_minimum() {
        let obj = Preset::ElliFixed.objective();
        let m = obj.minimizer();
        let Item::Image {
            width,
            height,
            rgba,
            ..
        } = log_f_image(&obj, (m.x - 2.0, m.x + 2.0), (m.y - 1.0, m.y + 1.0), 41, 21)
        else {
            panic!("not an image");
        };
        assert_eq!((width, height, rgba.len()), (41, 21, 41 * 21 * 4));
        let at = |i: usize, j: usize| &rgba[(j * 41 + i) * 4..][..4];
        // The centre pixel sits on the minimizer: the low end of the ramp.
        let low = log_ramp(0.0);
        assert_eq!(at(20, 10), [low.r, low.g, low.b, 255]);
        // The corners are the warmest (largest f).
        assert!(at(0, 0)[0] > 240 && at(0, 0)[2] < 200, "{:?}", at(0, 0));
        assert_eq!(log_ramp(f64::NAN), low);
        assert_eq!(log_ramp(7.0), log_ramp(1.0));
    }

    #[test]
    fn a_row_from_a_trajectory_breaks_at_its_jumps() {
        let obj = Preset::ElliFixed.objective();
        let mut run = crate::optim::Trajectory::default();
        let rec = |t, x: [f64; 2], from: Option<[f64; 2]>| crate::optim::Record {
            t,
            x,
            f: obj.f(&Vec2::from(x)),
            grad: [0.0; 2],
            teleported: from.is_some(),
            theta: None,
            from,
        };
        run.records = vec![
            rec(0, [3.0, 1.0], None),
            rec(1, [1.0, 2.0], Some([2.0, 0.5])),
            rec(2, [0.5, 1.0], None),
        ];
        let row = LevelSetRow::from_trajectory("GD", Color::BLACK, &run);
        assert_eq!(row.jumps, [[[2.0, 0.5], [1.0, 2.0]]]);
        assert_eq!(row.points.len(), 5);
        assert_eq!(row.points[1], [2.0, 0.5]);
        assert!(row.points[2][0].is_nan());
        assert_eq!(row.points[3..], [[1.0, 2.0], [0.5, 1.0]]);
    }

    /// The colour map and the contours cover the view as drawn, which the
    /// equal aspect widens beyond the requested one.
    #[test]
    fn the_background_covers_the_widened_view() {
        let obj = Preset::ElliFixed.objective();
        let mut plot = LevelSetPlot::new(obj, (-2.0, 2.0), (-2.0, 2.0));
        (plot.width, plot.height) = (900, 400);
        plot.x0 = Some([1.0, 1.0]);
        let figure = plot.figure();
        let chart = &figure.panels[0];
        let Some(Item::Image { x, y, .. }) = chart.items.first() else {
            panic!("the colour map comes first: {:?}", chart.items.first());
        };
        assert_eq!(chart.x_range, Some(*x));
        assert_eq!(chart.y_range, Some(*y));
        assert!(x.0 < -3.0 && x.1 > 3.0, "x widened to {x:?}");
        assert!(
            (y.0 + 2.0).abs() < 1e-9 && (y.1 - 2.0).abs() < 1e-9,
            "{y:?}"
        );
        let contour_x = chart.items.iter().filter_map(|item| match item {
            Item::Segments { segments, .. } => Some(segments.iter().flatten().map(|p| p[0])),
            _ => None,
        });
        let widest = contour_x.flatten().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(widest > 2.5, "contours reach {widest}");
        // Markers are drawn last, over the background.
        assert!(matches!(chart.items.last(), Some(Item::Markers { .. })));
        let plain = LevelSetPlot {
            color_map: false,
            contours: 0,
            ..plot
        };
        assert_eq!(plain.figure().panels[0].items.len(), 1);
    }
}
