//! The 3D surface view: `z = f(x, y)` (or `log₁₀ f`) over the view as a
//! shaded mesh seen by an orthographic camera, with contours on the surface
//! and on the floor, trajectories lifted onto the surface, teleport jumps
//! as horizontal segments, the current point's orbit as a ring at its
//! height, and markers.
//!
//! It shows in one picture that a teleport is a *horizontal* move: the point
//! slides around the bowl at constant height to where the wall is steeper.
//!
//! The core computes the whole scene as 2D primitives in screen pixels, in
//! draw order ([`SurfaceScene`]): the app paints them with its painter, and
//! [`surface_png`] and [`surface_svg`] paint them with the chart renderer's
//! raster and SVG backends, so every front shows the same picture.
//!
//! Building a scene has two stages. [`SurfacePlot::mesh`] samples `f` on the
//! grid and computes what does not depend on the camera or on the rows: the
//! heights, the facet colours and normals, the contours. [`SurfacePlot::scene_on`]
//! then lifts the rows and markers onto that mesh, projects everything for
//! the plot's camera and orders it. An app keeps the mesh while only the
//! camera or the rows change.
//!
//! **Visibility.** The facets are drawn back to front (the painter's
//! algorithm): seen from above, a height field's grid cells are vertical
//! columns, and sorting them by the distance of their centres along the
//! camera's horizontal direction orders them so that a column is drawn
//! after every column it can hide. Whatever lies in a column — the facet,
//! its piece of each contour, the pieces of trajectories, jumps and the
//! orbit that pass over it — is drawn right after that column's facet, so
//! lines are hidden exactly where the surface in front of them rises over
//! them (cut at the cell boundaries, with the dash pattern carried across).
//! Drawing the lines after the whole mesh would be simpler but puts the
//! part of a trajectory behind a ridge in front of it, which misreads the
//! depth; instead, the hidden parts are drawn again faintly over the mesh
//! (`hidden_lines`), so a run that goes behind the wall stays traceable.
//! Markers (x₀, the current point, the minimum) are drawn over everything:
//! they are the points the picture is about.
//!
//! ```
//! use teleport_core::objective::Preset;
//! use teleport_core::plot::surface::{Camera, SurfacePlot, surface_png};
//!
//! let mut plot = SurfacePlot::new(Preset::ElliFixed.objective(), (-6.0, 6.0), (-4.0, 4.0));
//! (plot.width, plot.height) = (480, 360);
//! plot.camera = Camera { azimuth_deg: -50.0, elevation_deg: 35.0, zoom: 1.0 };
//! let scene = plot.scene()?;
//! let [x, y] = scene.projection.screen_from_world([0.0, 0.0, scene.projection.bounds().z.0]);
//! assert!(x > 0.0 && x < 480.0 && y > 0.0 && y < 360.0);
//! let png = surface_png(&scene)?;
//! # assert!(!png.is_empty());
//! # Ok::<(), teleport_core::plot::surface::SurfaceError>(())
//! ```

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tiny_skia::{PathBuilder, Pixmap};

use super::canvas::{Canvas, Style, Surface};
use super::chart::{draw_marker, polygon_path};
use super::level_set::{CONTOUR_COLOR, LevelSetPlot, LevelSetRow, ORBIT_COLOR, Orbit, log_ramp};
use super::svg::SvgDoc;
use super::{Color, MAX_SIDE, Marker, PlotError, dash_pattern, fonts, linear_ticks};
use crate::contour::{Grid, auto_levels, contours, polylines};
use crate::objective::{Objective, Vec2};

/// The lowest camera elevation, in degrees: lower, the floor and the
/// surface's underside fill the picture.
pub const ELEVATION_MIN_DEG: f64 = 5.0;
/// The highest camera elevation, in degrees: at 90° the view is a plain
/// map and the azimuth only turns it.
pub const ELEVATION_MAX_DEG: f64 = 89.0;
/// The box's height as a fraction of its longest horizontal side.
pub const BOX_HEIGHT: f64 = 0.65;
/// How far the floor lies below the surface's lowest point, as a fraction
/// of the surface's height range (with a floor), so that the floor's
/// contours show beside and below the surface.
pub const FLOOR_GAP: f64 = 0.35;
/// How many decades below its top a logarithmic surface reaches at most.
pub const LOG_DEPTH_DECADES: f64 = 3.0;
/// The default number of facets along each side of the grid.
pub const DEFAULT_FACETS: usize = 64;
/// The largest number of facets along a side.
pub const MAX_FACETS: usize = 512;
/// The opacity (of 255) of the faint copies of hidden lines.
pub const HIDDEN_ALPHA: u8 = 70;
/// The colour of the surface's rim.
const RIM_COLOR: Color = Color::rgba(70, 75, 90, 170);
/// The size of tick labels, in pixels (as in the charts).
const TICK_PX: f32 = 12.0;
/// The size of axis names and legend entries, in pixels.
const LABEL_PX: f32 = 14.0;
/// The size of the title, in pixels.
const TITLE_PX: f32 = 16.0;
/// The room left around the box for its labels, in pixels.
const MARGIN_PX: f64 = 40.0;

/// Why a surface could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SurfaceError {
    /// An axis range is not finite or empty.
    #[error(
        "the surface's {axis} range {lo}..{hi} is invalid: both ends must be finite and {axis} min below {axis} max"
    )]
    Range {
        /// `x` or `y`.
        axis: &'static str,
        /// The lower end given.
        lo: f64,
        /// The upper end given.
        hi: f64,
    },
    /// Too few or too many facets.
    #[error("the surface's facets per side is {0}: it must be 2 to {MAX_FACETS}")]
    Facets(usize),
    /// A camera value is not finite, or the zoom not positive.
    #[error("the camera's {what} is {value}: it must be a finite number{}", if *what == "zoom" { " above 0" } else { "" })]
    Camera {
        /// `azimuth`, `elevation` or `zoom`.
        what: &'static str,
        /// The value given.
        value: f64,
    },
    /// The image size is invalid, or rendering failed.
    #[error(transparent)]
    Plot(#[from] PlotError),
}

/// Where the camera looks from: an orthographic view of the box.
///
/// The camera sits in the direction `(cos e · cos a, cos e · sin a, sin e)`
/// from the box's centre, where `a` is the azimuth and `e` the elevation
/// (matplotlib's convention: azimuth −90° looks along +y, with x to the
/// right). The elevation is clamped to [`ELEVATION_MIN_DEG`]..[`ELEVATION_MAX_DEG`];
/// zoom 1 fits the box into the picture at every azimuth. Serializes as
/// `{"azimuth_deg": …, "elevation_deg": …, "zoom": …}`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Camera {
    /// The angle of the viewing direction around the vertical, in degrees,
    /// counterclockwise from +x.
    pub azimuth_deg: f64,
    /// The angle above the horizontal, in degrees.
    pub elevation_deg: f64,
    /// The magnification: 1 fits the whole box, 2 doubles its size.
    pub zoom: f64,
}

impl Default for Camera {
    /// Azimuth −60°, elevation 30°, zoom 1 (matplotlib's default view).
    fn default() -> Self {
        Camera {
            azimuth_deg: -60.0,
            elevation_deg: 30.0,
            zoom: 1.0,
        }
    }
}

impl Camera {
    /// The camera with its elevation clamped to the documented range and
    /// its zoom to 0.05..=50, or an error naming a value that is not finite
    /// (or a zoom that is not positive).
    pub fn checked(self) -> Result<Camera, SurfaceError> {
        for (what, value) in [
            ("azimuth", self.azimuth_deg),
            ("elevation", self.elevation_deg),
            ("zoom", self.zoom),
        ] {
            if !value.is_finite() || (what == "zoom" && value <= 0.0) {
                return Err(SurfaceError::Camera { what, value });
            }
        }
        Ok(Camera {
            azimuth_deg: self.azimuth_deg,
            elevation_deg: self
                .elevation_deg
                .clamp(ELEVATION_MIN_DEG, ELEVATION_MAX_DEG),
            zoom: self.zoom.clamp(0.05, 50.0),
        })
    }
}

/// How the surface's height reads `f`: `auto`, `linear` or `log` in files
/// and on the command line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ZScale {
    /// The logarithm when the finite values on the grid span more than two
    /// decades (from their 1st percentile to their largest, both shifted
    /// and offset as for [`ZScale::Log`]), else `f`.
    #[default]
    Auto,
    /// `z = f`.
    Linear,
    /// `z = log₁₀(f − s + ε)`, where `s` is the grid's minimum when that is
    /// negative and 0 otherwise, and `ε` is [`LOG_DEPTH_DECADES`] decades
    /// below the grid's largest `f − s`: the bowl's bottom is rounded at
    /// that depth instead of falling to −∞ where `f` reaches 0.
    Log,
}

impl ZScale {
    /// Every scale, in menu order.
    pub const ALL: [Self; 3] = [Self::Auto, Self::Linear, Self::Log];

    /// The name used in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Linear => "linear",
            Self::Log => "log",
        }
    }
}

from_str_by_name!(ZScale, "height scale");

/// A box in world coordinates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bounds3 {
    /// The x range.
    pub x: (f64, f64),
    /// The y range.
    pub y: (f64, f64),
    /// The z range (heights as drawn: `f` or `log₁₀ f`).
    pub z: (f64, f64),
}

/// The orthographic projection of a box into a pixel rectangle.
///
/// World points are first normalized: x and y by the same scale so that the
/// longer horizontal side spans −1..1 (one unit is as long along x as along
/// y), z so that the box's height is [`BOX_HEIGHT`] times that side; the
/// box's centre goes to the origin. Then, for a camera at azimuth `a` and
/// elevation `e`, the screen's right is `(−sin a, cos a, 0)`, its up is
/// `(−sin e · cos a, −sin e · sin a, cos e)` and the depth (towards the
/// viewer) is `(cos e · cos a, cos e · sin a, sin e)`. The scale is the
/// largest one at which the box fits the picture, less a margin, at every
/// azimuth for this elevation (so the size does not pulse as the camera
/// turns), times the zoom; the box's centre lands at the centre of the
/// picture below the title.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Projection {
    bounds: Bounds3,
    centre: [f64; 3],
    /// World units per normalized unit along x, y and z.
    unit: [f64; 3],
    right: [f64; 3],
    up: [f64; 3],
    toward: [f64; 3],
    /// Pixels per normalized unit.
    scale: f64,
    /// Where the box's centre lands, in pixels.
    origin: [f64; 2],
    camera: Camera,
}

impl Projection {
    /// The projection of `bounds` for `camera` into a `width × height`
    /// picture whose top `top_px` pixels hold a title.
    pub fn new(camera: Camera, bounds: Bounds3, width: u32, height: u32, top_px: f64) -> Self {
        let span = |(lo, hi): (f64, f64)| hi - lo;
        let half = span(bounds.x).max(span(bounds.y)) / 2.0;
        let half = if half > 0.0 && half.is_finite() {
            half
        } else {
            1.0
        };
        let z_half = span(bounds.z) / 2.0;
        let z_half = if z_half > 0.0 && z_half.is_finite() {
            z_half
        } else {
            1.0
        };
        let unit = [half, half, z_half / BOX_HEIGHT];
        let mid = |(lo, hi): (f64, f64)| (lo + hi) / 2.0;
        let centre = [mid(bounds.x), mid(bounds.y), mid(bounds.z)];
        let (a, e) = (
            camera.azimuth_deg.to_radians(),
            camera.elevation_deg.to_radians(),
        );
        let right = [-a.sin(), a.cos(), 0.0];
        let up = [-e.sin() * a.cos(), -e.sin() * a.sin(), e.cos()];
        let toward = [e.cos() * a.cos(), e.cos() * a.sin(), e.sin()];
        // The box's half sides, normalized.
        let (bx, by, bz) = (
            span(bounds.x) / 2.0 / half,
            span(bounds.y) / 2.0 / half,
            BOX_HEIGHT,
        );
        let diagonal = bx.hypot(by);
        let half_w = (f64::from(width) / 2.0 - MARGIN_PX).max(f64::from(width) / 4.0);
        let area_h = (f64::from(height) - top_px).max(1.0);
        let half_h = (area_h / 2.0 - MARGIN_PX).max(area_h / 4.0);
        // Over every azimuth, the box's corners reach `diagonal` sideways
        // and `sin e · diagonal + cos e · bz` up and down.
        let tall = e.sin() * diagonal + e.cos() * bz;
        let scale = camera.zoom * (half_w / diagonal).min(half_h / tall);
        Projection {
            bounds,
            centre,
            unit,
            right,
            up,
            toward,
            scale,
            origin: [f64::from(width) / 2.0, top_px + area_h / 2.0],
            camera,
        }
    }

    /// The box this projection shows.
    pub fn bounds(&self) -> Bounds3 {
        self.bounds
    }

    /// The camera it looks from (elevation and zoom as clamped).
    pub fn camera(&self) -> Camera {
        self.camera
    }

    /// Pixels per normalized unit (half the longer horizontal side of the box).
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// A world point in normalized coordinates (see the type's docs).
    pub fn normalized_from_world(&self, p: [f64; 3]) -> [f64; 3] {
        [0, 1, 2].map(|k| (p[k] - self.centre[k]) / self.unit[k])
    }

    /// Where a world point lands in the picture, in pixels from the top left.
    pub fn screen_from_world(&self, p: [f64; 3]) -> [f64; 2] {
        let n = self.normalized_from_world(p);
        [
            self.origin[0] + self.scale * dot(n, self.right),
            self.origin[1] - self.scale * dot(n, self.up),
        ]
    }

    /// How near a world point is to the viewer, in normalized units along
    /// the viewing direction: larger is nearer.
    pub fn depth(&self, p: [f64; 3]) -> f64 {
        dot(self.normalized_from_world(p), self.toward)
    }

    /// The camera's horizontal direction (towards the viewer) in world x, y.
    fn horizontal(&self) -> [f64; 2] {
        let a = self.camera.azimuth_deg.to_radians();
        [a.cos(), a.sin()]
    }
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn normalize(a: [f64; 3]) -> [f64; 3] {
    let n = dot(a, a).sqrt();
    if n > 0.0 && n.is_finite() {
        a.map(|v| v / n)
    } else {
        [0.0, 0.0, 1.0]
    }
}

/// How heights read `f` ([`ZScale`] resolved on a grid).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HeightMap {
    /// Whether `z = log₁₀(f − shift + offset)`; else `z = f`.
    pub log: bool,
    /// What is subtracted from `f` before the logarithm: the grid's
    /// minimum when that is negative, else 0.
    pub shift: f64,
    /// What is added to `f − shift` before the logarithm:
    /// [`LOG_DEPTH_DECADES`] decades below the grid's largest `f − shift`.
    pub offset: f64,
    /// The lowest and highest heights of the surface; every lifted point is
    /// clamped to them.
    pub z: (f64, f64),
}

impl HeightMap {
    /// The height of a point where `f` has value `f`, clamped to the
    /// surface's range; `None` when `f` is not finite.
    pub fn z_of_f(&self, f: f64) -> Option<f64> {
        if !f.is_finite() {
            return None;
        }
        let z = if self.log { self.log_of(f) } else { f };
        Some(z.clamp(self.z.0, self.z.1))
    }

    /// `log₁₀ f` as the heights and the colours read it: shifted and offset.
    fn log_of(&self, f: f64) -> f64 {
        (f - self.shift + self.offset)
            .max(f64::MIN_POSITIVE)
            .log10()
    }
}

/// The camera- and row-independent part of a surface: heights, facet
/// colours and normals, and contours ([`SurfacePlot::mesh`]).
#[derive(Clone)]
pub struct SurfaceMesh {
    /// Facets along each side.
    n: usize,
    /// The node abscissae and ordinates, `n + 1` each.
    xs: Vec<f64>,
    ys: Vec<f64>,
    /// Node heights, row by row from the bottom (`j * (n + 1) + i`); NaN
    /// where `f` is not finite.
    zs: Vec<f64>,
    /// Per cell (`j * n + i`), its colour before shading, if all four
    /// corners are finite.
    colors: Vec<Option<Color>>,
    /// Per cell, the unit normal in normalized coordinates (upwards).
    normals: Vec<[f64; 3]>,
    /// The segments drawn on the surface, cell by cell: those of cell `c`
    /// are `segments[segment_start[c]..segment_start[c + 1]]`, each with
    /// whether it is the rim (the surface's edge) rather than a contour.
    segment_start: Vec<usize>,
    segments: Vec<CellSegment>,
    /// The contours joined into polylines in x, y, for the floor.
    floor_lines: Vec<Vec<[f64; 2]>>,
    heights: HeightMap,
    bounds: Bounds3,
    /// Whether a floor is drawn below the surface.
    floor: bool,
    f: Arc<dyn Fn(f64, f64) -> f64 + Send + Sync>,
}

impl std::fmt::Debug for SurfaceMesh {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SurfaceMesh")
            .field("facets", &self.n)
            .field("heights", &self.heights)
            .field("bounds", &self.bounds)
            .finish_non_exhaustive()
    }
}

impl SurfaceMesh {
    /// Facets along each side.
    pub fn facets(&self) -> usize {
        self.n
    }

    /// How heights read `f`.
    pub fn heights(&self) -> HeightMap {
        self.heights
    }

    /// The box: the view, and heights from the floor to the surface's top.
    pub fn bounds(&self) -> Bounds3 {
        self.bounds
    }

    /// The value of the mesh's function at a point.
    pub fn f(&self, x: f64, y: f64) -> f64 {
        (self.f)(x, y)
    }

    /// The point `(x, y)` at its height on the surface; `None` where `f` is
    /// not finite.
    pub fn lift(&self, x: f64, y: f64) -> Option<[f64; 3]> {
        Some([x, y, self.heights.z_of_f(self.f(x, y))?])
    }

    /// Whether cell `(i, j)` (from the lower left) has a facet: its four
    /// corners are finite.
    pub fn has_facet(&self, i: usize, j: usize) -> bool {
        i < self.n && j < self.n && self.colors[j * self.n + i].is_some()
    }

    fn node(&self, i: usize, j: usize) -> [f64; 3] {
        [self.xs[i], self.ys[j], self.zs[j * (self.n + 1) + i]]
    }
}

/// A segment drawn on the surface over one cell: its ends, and whether it is
/// the rim rather than a contour.
type CellSegment = ([[f64; 3]; 2], bool);

/// A polyline in world coordinates, lifted onto the surface.
#[derive(Clone, Debug, PartialEq)]
pub struct Line3 {
    /// The legend entry, if any.
    pub name: Option<String>,
    /// What it shows.
    pub kind: LineKind,
    /// The stroke colour.
    pub color: Color,
    /// The stroke width in pixels.
    pub width: f32,
    /// Whether it is dashed.
    pub dashed: bool,
    /// Its unbroken runs, each at least two points.
    pub runs: Vec<Vec<[f64; 3]>>,
}

/// What a [`Line3`] shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    /// A row's steps, each point at its `f`.
    Trajectory,
    /// A row's teleport jumps, each horizontal at the height of the point
    /// it jumped from.
    Jump,
    /// The current point's level set, at its height.
    Orbit,
}

/// A marker at a world point.
#[derive(Clone, Debug, PartialEq)]
pub struct Marker3 {
    /// The legend entry, if any.
    pub name: Option<String>,
    /// Where it is.
    pub at: [f64; 3],
    /// Its shape.
    pub shape: Marker,
    /// Its diameter in pixels.
    pub size: f32,
    /// Its colour.
    pub color: Color,
}

/// The rows and markers of a plot lifted onto a mesh ([`SurfacePlot::lift`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Lifted {
    /// Trajectories, jumps and the orbit, in draw order.
    pub lines: Vec<Line3>,
    /// The markers, in draw order.
    pub markers: Vec<Marker3>,
}

/// How a line is stroked.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stroke {
    /// The colour.
    pub color: Color,
    /// The width in pixels.
    pub width: f32,
    /// Dashes, if dashed.
    pub dash: Option<Dash>,
}

/// A dash pattern: `on` pixels drawn, `off` pixels skipped, starting
/// `offset` pixels into the pattern (so that a line cut into pieces keeps
/// its dashes). Caps are butt when dashed, round otherwise.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dash {
    /// The length of a dash.
    pub on: f32,
    /// The length of a gap.
    pub off: f32,
    /// How far into the pattern the line starts.
    pub offset: f32,
}

/// One 2D drawing operation in screen pixels (from the top left).
#[derive(Clone, Debug, PartialEq)]
pub enum Primitive {
    /// A filled polygon, optionally outlined.
    Polygon {
        /// The vertices.
        points: Vec<[f32; 2]>,
        /// The fill colour.
        fill: Color,
        /// The outline, if any.
        outline: Option<Stroke>,
        /// Whether its edges are anti-aliased. Facets are not: anti-aliased
        /// neighbours leave a hairline of background between them, while
        /// pixels taken whole by their centres tile exactly (and fill 4 096
        /// facets several times faster); the rim, the contours and the
        /// lines over the surface are anti-aliased.
        antialias: bool,
    },
    /// An open polyline with round joins.
    Polyline {
        /// The vertices, at least two.
        points: Vec<[f32; 2]>,
        /// How it is stroked.
        stroke: Stroke,
    },
    /// A marker centred on a point, as the charts draw it.
    Marker {
        /// The centre.
        at: [f32; 2],
        /// The shape.
        shape: Marker,
        /// The diameter.
        size: f32,
        /// The colour.
        color: Color,
    },
    /// One line of text in the charts' fonts (Ubuntu Light, Hack for what
    /// it lacks): the point `align` (fractions of the text's box, 0 left or
    /// top, 1 right or bottom) lands on `at`.
    Text {
        /// The anchor.
        at: [f32; 2],
        /// The text.
        text: String,
        /// The colour.
        color: Color,
        /// The size in pixels.
        size: f32,
        /// Which point of the text's box lands on `at`.
        align: [f32; 2],
    },
}

/// A facet of a scene: which primitive draws which grid cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FacetRef {
    /// The index of its [`Primitive::Polygon`] in [`SurfaceScene::primitives`].
    pub primitive: usize,
    /// The cell `(i, j)`, counted from the lower left of the view.
    pub cell: [usize; 2],
}

/// A surface ready to paint: primitives in draw order ([`SurfacePlot::scene_on`]).
#[derive(Clone, Debug, PartialEq)]
pub struct SurfaceScene {
    /// The picture's width in pixels.
    pub width: u32,
    /// The picture's height in pixels.
    pub height: u32,
    /// What to draw, first to last, over a white background.
    pub primitives: Vec<Primitive>,
    /// The projection used (to project more points, or to pick).
    pub projection: Projection,
    /// The facets in draw order.
    pub facets: Vec<FacetRef>,
}

/// Everything the surface view shows ([`SurfacePlot::scene`]).
#[derive(Clone, Debug, PartialEq)]
pub struct SurfacePlot {
    /// The objective whose `f` is the height.
    pub objective: Objective,
    /// The title above the picture; empty for none.
    pub title: String,
    /// The x range of the view.
    pub x_range: (f64, f64),
    /// The y range of the view.
    pub y_range: (f64, f64),
    /// The picture's width in pixels.
    pub width: u32,
    /// The picture's height in pixels.
    pub height: u32,
    /// Where the camera looks from.
    pub camera: Camera,
    /// Facets along each side of the grid (2 to [`MAX_FACETS`]).
    pub facets: usize,
    /// How the height reads `f`.
    pub z_scale: ZScale,
    /// How many contour levels to draw on the surface and the floor
    /// ([`auto_levels`] on the grid); 0 for none.
    pub contours: usize,
    /// Whether to draw a floor below the surface with the contours on it.
    pub floor: bool,
    /// The optimizer rows, drawn in order.
    pub rows: Vec<LevelSetRow>,
    /// The start point.
    pub x0: Option<[f64; 2]>,
    /// The current point and its orbit.
    pub current: Option<Orbit>,
    /// The minimizer.
    pub minimizer: Option<[f64; 2]>,
    /// Whether to draw the box's back edges and labelled axes.
    pub axes: bool,
    /// Whether to list the named lines and markers at the top right.
    pub legend: bool,
    /// Whether to draw the lines the surface hides faintly over it.
    pub hidden_lines: bool,
}

impl SurfacePlot {
    /// A surface of `objective` over `x_range` × `y_range`: 1200 × 900
    /// pixels, the default camera, 64² facets, automatic height scale, 12
    /// contour levels, a floor, axes, a legend and hidden lines; no rows
    /// and no markers.
    pub fn new(objective: Objective, x_range: (f64, f64), y_range: (f64, f64)) -> Self {
        SurfacePlot {
            objective,
            title: String::new(),
            x_range,
            y_range,
            width: 1200,
            height: 900,
            camera: Camera::default(),
            facets: DEFAULT_FACETS,
            z_scale: ZScale::Auto,
            contours: 12,
            floor: true,
            rows: Vec::new(),
            x0: None,
            current: None,
            minimizer: None,
            axes: true,
            legend: true,
            hidden_lines: true,
        }
    }

    /// The surface of what a level-set plot shows: its objective, view
    /// (as requested, not widened to the picture's shape), size, title,
    /// rows, markers, orbit and legend, with the surface defaults
    /// otherwise ([`SurfacePlot::new`]).
    pub fn from_level_set(plot: &LevelSetPlot) -> Self {
        SurfacePlot::new(plot.objective.clone(), plot.x_range, plot.y_range).with_level_set(plot)
    }

    /// This plot's camera, facets, height scale, contours and layers with
    /// the objective, view, size, title, rows, markers, orbit and legend of
    /// `plot`.
    pub fn with_level_set(&self, plot: &LevelSetPlot) -> Self {
        SurfacePlot {
            objective: plot.objective.clone(),
            title: plot.title.clone(),
            x_range: plot.x_range,
            y_range: plot.y_range,
            width: plot.width,
            height: plot.height,
            rows: plot.rows.clone(),
            x0: plot.x0,
            current: plot.current.clone(),
            minimizer: plot.minimizer,
            legend: plot.legend,
            ..self.clone()
        }
    }

    /// Whether `other` has the same mesh: same objective, view, facets,
    /// height scale, contours and floor.
    pub fn same_mesh(&self, other: &SurfacePlot) -> bool {
        self.objective == other.objective
            && self.x_range == other.x_range
            && self.y_range == other.y_range
            && self.facets == other.facets
            && self.z_scale == other.z_scale
            && self.contours == other.contours
            && self.floor == other.floor
    }

    /// The mesh of the objective's `f` ([`SurfacePlot::mesh_with`]).
    pub fn mesh(&self) -> Result<SurfaceMesh, SurfaceError> {
        let objective = self.objective.clone();
        self.mesh_with(move |x, y| objective.f(&Vec2::new(x, y)))
    }

    /// The mesh of another height function `f` (anything, not only an
    /// objective: it may be negative or not finite somewhere): `f` sampled
    /// at the `(facets + 1)²` grid nodes of the view, heights as
    /// [`ZScale`] says, cells with a non-finite corner left without a
    /// facet, each facet coloured by [`log_ramp`] over the mean `log₁₀ f` of
    /// its corners (as the level-set plot's colour map), contours at
    /// [`auto_levels`] of `f` (shifted like the heights when negative)
    /// drawn at their height and, with a floor, on the floor. Rows and
    /// markers are lifted with the same `f`.
    pub fn mesh_with(
        &self,
        f: impl Fn(f64, f64) -> f64 + Send + Sync + 'static,
    ) -> Result<SurfaceMesh, SurfaceError> {
        for (axis, (lo, hi)) in [("x", self.x_range), ("y", self.y_range)] {
            if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                return Err(SurfaceError::Range { axis, lo, hi });
            }
        }
        if !(2..=MAX_FACETS).contains(&self.facets) {
            return Err(SurfaceError::Facets(self.facets));
        }
        Ok(build_mesh(self, Arc::new(f)))
    }

    /// The rows, jumps, orbit and markers lifted onto `mesh`: each
    /// trajectory point at its own `f`, each teleport jump horizontal at the
    /// height of the point it left, the orbit ring at the current point's
    /// height, g_θ(x) on it; everything clipped to the view, broken where
    /// `f` is not finite.
    pub fn lift(&self, mesh: &SurfaceMesh) -> Lifted {
        lift(self, mesh)
    }

    /// The whole scene: the mesh, then [`SurfacePlot::scene_on`].
    pub fn scene(&self) -> Result<SurfaceScene, SurfaceError> {
        let mesh = self.mesh()?;
        Ok(self.scene_on(&mesh))
    }

    /// The scene of this plot's rows and markers on `mesh` (built by
    /// [`SurfacePlot::mesh`] of this plot or of one with the same mesh),
    /// seen by the plot's camera. A camera value that is not finite is
    /// replaced by the default's.
    pub fn scene_on(&self, mesh: &SurfaceMesh) -> SurfaceScene {
        self.scene_with_camera(mesh, self.camera)
    }

    /// [`SurfacePlot::scene_on`] from another camera.
    pub fn scene_with_camera(&self, mesh: &SurfaceMesh, camera: Camera) -> SurfaceScene {
        let camera = camera.checked().unwrap_or_default();
        let lifted = self.lift(mesh);
        build_scene(self, mesh, &lifted, camera)
    }

    /// The scene as PNG bytes ([`surface_png`]).
    pub fn to_png(&self) -> Result<Vec<u8>, SurfaceError> {
        self.check_size()?;
        Ok(surface_png(&self.scene()?)?)
    }

    /// The scene as an SVG document ([`surface_svg`]).
    pub fn to_svg(&self) -> Result<String, SurfaceError> {
        self.check_size()?;
        Ok(surface_svg(&self.scene()?)?)
    }

    fn check_size(&self) -> Result<(), PlotError> {
        check_size(self.width, self.height)
    }
}

fn check_size(width: u32, height: u32) -> Result<(), PlotError> {
    if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
        return Err(PlotError::Size { width, height });
    }
    Ok(())
}

/// Samples `f`, resolves the height scale, and computes the facets and
/// contours (see [`SurfacePlot::mesh_with`]).
fn build_mesh(plot: &SurfacePlot, f: Arc<dyn Fn(f64, f64) -> f64 + Send + Sync>) -> SurfaceMesh {
    let n = plot.facets;
    let side = n + 1;
    let along = |(lo, hi): (f64, f64)| -> Vec<f64> {
        (0..side)
            .map(|i| lo + (hi - lo) * i as f64 / n as f64)
            .collect()
    };
    let (xs, ys) = (along(plot.x_range), along(plot.y_range));
    let mut values = Vec::with_capacity(side * side);
    for &y in &ys {
        for &x in &xs {
            values.push(f(x, y));
        }
    }
    let finite = || values.iter().copied().filter(|v| v.is_finite());
    let f_min = finite().fold(f64::INFINITY, f64::min);
    let f_max = finite().fold(f64::NEG_INFINITY, f64::max);
    let shift = if f_min < 0.0 { f_min } else { 0.0 };
    let offset = ((f_max - shift) * 10f64.powf(-LOG_DEPTH_DECADES)).max(f64::MIN_POSITIVE);
    let mut shifted: Vec<f64> = finite().map(|v| v - shift).collect();
    let low = if shifted.is_empty() {
        0.0
    } else {
        crate::stats::quantile(&mut shifted, 0.01)
    };
    let decades = ((f_max - shift + offset) / (low + offset)).log10();
    let log = match plot.z_scale {
        ZScale::Linear => false,
        ZScale::Log => true,
        ZScale::Auto => decades > 2.0,
    };
    let mut heights = HeightMap {
        log,
        shift,
        offset,
        z: (f64::NEG_INFINITY, f64::INFINITY),
    };
    let zs: Vec<f64> = values
        .iter()
        .map(|&v| heights.z_of_f(v).unwrap_or(f64::NAN))
        .collect();
    let z_lo = zs
        .iter()
        .copied()
        .filter(|z| z.is_finite())
        .fold(f64::INFINITY, f64::min);
    let z_hi = zs
        .iter()
        .copied()
        .filter(|z| z.is_finite())
        .fold(f64::NEG_INFINITY, f64::max);
    let (z_lo, z_hi) = if !(z_lo.is_finite() && z_hi.is_finite()) {
        (0.0, 1.0)
    } else if z_hi - z_lo <= 1e-12 * z_lo.abs().max(1.0) {
        (z_lo - 0.5, z_hi + 0.5)
    } else {
        (z_lo, z_hi)
    };
    heights.z = (z_lo, z_hi);
    let floor_z = if plot.floor {
        z_lo - FLOOR_GAP * (z_hi - z_lo)
    } else {
        z_lo
    };
    let bounds = Bounds3 {
        x: plot.x_range,
        y: plot.y_range,
        z: (floor_z, z_hi),
    };

    // Colours over log f, as the level-set plot's colour map; normals in
    // the normalized coordinates the camera sees.
    let logs: Vec<f64> = values
        .iter()
        .map(|&v| {
            if v.is_finite() {
                heights.log_of(v)
            } else {
                f64::NAN
            }
        })
        .collect();
    let log_lo = logs
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(f64::INFINITY, f64::min);
    let log_hi = logs
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(f64::NEG_INFINITY, f64::max);
    let log_span = (log_hi - log_lo).max(1e-9);
    let projection = Projection::new(Camera::default(), bounds, 100, 100, 0.0);
    let mut colors = Vec::with_capacity(n * n);
    let mut normals = Vec::with_capacity(n * n);
    for j in 0..n {
        for i in 0..n {
            let k = [
                j * side + i,
                j * side + i + 1,
                (j + 1) * side + i + 1,
                (j + 1) * side + i,
            ];
            if k.iter().any(|&k| !zs[k].is_finite()) {
                colors.push(None);
                normals.push([0.0, 0.0, 1.0]);
                continue;
            }
            let t = k.iter().map(|&k| logs[k]).sum::<f64>() / 4.0;
            colors.push(Some(log_ramp((t - log_lo) / log_span)));
            let p = |k: usize, i: usize, j: usize| {
                projection.normalized_from_world([xs[i], ys[j], zs[k]])
            };
            let (a, b, c, d) = (
                p(k[0], i, j),
                p(k[1], i + 1, j),
                p(k[2], i + 1, j + 1),
                p(k[3], i, j + 1),
            );
            let diagonal1 = [0, 1, 2].map(|m| c[m] - a[m]);
            let diagonal2 = [0, 1, 2].map(|m| d[m] - b[m]);
            normals.push(normalize(cross(diagonal1, diagonal2)));
        }
    }

    // The rim: each facet's edges that no other facet shares.
    let mut by_cell: Vec<(usize, CellSegment)> = Vec::new();
    for j in 0..n {
        for i in 0..n {
            if colors[j * n + i].is_none() {
                continue;
            }
            let has = |i: Option<usize>, j: Option<usize>| match (i, j) {
                (Some(i), Some(j)) if i < n && j < n => colors[j * n + i].is_some(),
                _ => false,
            };
            let node = |i: usize, j: usize| [xs[i], ys[j], zs[j * side + i]];
            let edges = [
                (has(Some(i), j.checked_sub(1)), node(i, j), node(i + 1, j)),
                (
                    has(Some(i + 1), Some(j)),
                    node(i + 1, j),
                    node(i + 1, j + 1),
                ),
                (
                    has(Some(i), Some(j + 1)),
                    node(i + 1, j + 1),
                    node(i, j + 1),
                ),
                (has(i.checked_sub(1), Some(j)), node(i, j + 1), node(i, j)),
            ];
            for (shared, a, b) in edges {
                if !shared {
                    by_cell.push((j * n + i, ([a, b], true)));
                }
            }
        }
    }
    // Contours: levels of f (shifted to be positive), traced on the grid of
    // heights at the levels' heights, so that each segment lies on the
    // facets' edges' straight lines, and filed under the cell holding it.
    let mut floor_lines = Vec::new();
    if plot.contours > 0 {
        let shifted = Grid {
            min: [plot.x_range.0, plot.y_range.0],
            max: [plot.x_range.1, plot.y_range.1],
            nx: side,
            ny: side,
            values: values.iter().map(|v| v - shift).collect(),
        };
        let z_levels: Vec<f64> = auto_levels(&shifted, plot.contours)
            .into_iter()
            .filter_map(|level| heights.z_of_f(level + shift))
            .filter(|z| *z > z_lo && *z < z_hi)
            .collect();
        let grid = Grid {
            values: zs.clone(),
            ..shifted
        };
        for contour in contours(&grid, &z_levels) {
            for [a, b] in &contour.segments {
                let mid = [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0];
                let cell = cell_index(&xs, &ys, n, mid);
                let z = contour.level;
                by_cell.push((cell, ([[a[0], a[1], z], [b[0], b[1], z]], false)));
            }
            if plot.floor {
                floor_lines.extend(polylines(&contour.segments));
            }
        }
    }
    // A stable sort keeps each cell's rim before its contours.
    by_cell.sort_by_key(|(cell, _)| *cell);
    let mut segment_start = vec![0; n * n + 1];
    for (cell, _) in &by_cell {
        segment_start[cell + 1] += 1;
    }
    for c in 0..n * n {
        segment_start[c + 1] += segment_start[c];
    }
    let segments = by_cell.into_iter().map(|(_, s)| s).collect();
    SurfaceMesh {
        n,
        xs,
        ys,
        zs,
        colors,
        normals,
        segment_start,
        segments,
        floor_lines,
        heights,
        bounds,
        floor: plot.floor,
        f,
    }
}

/// The cell of an `n × n` grid with nodes `xs`, `ys` that holds `p`.
fn cell_index(xs: &[f64], ys: &[f64], n: usize, p: [f64; 2]) -> usize {
    let index = |v: f64, nodes: &[f64]| {
        let t = ((v - nodes[0]) / (nodes[n] - nodes[0]) * n as f64).floor();
        if t.is_finite() {
            (t.max(0.0) as usize).min(n - 1)
        } else {
            0
        }
    };
    index(p[1], ys) * n + index(p[0], xs)
}

/// The runs of a polyline inside the view, broken at non-finite points
/// and cut where it leaves and enters the view.
fn clip_to_view(points: &[[f64; 2]], x: (f64, f64), y: (f64, f64)) -> Vec<Vec<[f64; 2]>> {
    let inside = |p: [f64; 2]| p[0] >= x.0 && p[0] <= x.1 && p[1] >= y.0 && p[1] <= y.1;
    let mut runs: Vec<Vec<[f64; 2]>> = Vec::new();
    let mut run: Vec<[f64; 2]> = Vec::new();
    let mut flush = |run: &mut Vec<[f64; 2]>| {
        if run.len() >= 2 {
            runs.push(std::mem::take(run));
        } else {
            run.clear();
        }
    };
    let finite = |p: &[f64; 2]| p.iter().all(|v| v.is_finite());
    for (k, &p) in points.iter().enumerate() {
        if !finite(&p) {
            flush(&mut run);
            continue;
        }
        let prev = k.checked_sub(1).map(|k| points[k]).filter(finite);
        match prev {
            Some(a) => {
                if let Some((s, e)) = clip_segment(a, p, x, y) {
                    if run.last() != Some(&s) {
                        flush(&mut run);
                        run.push(s);
                    }
                    run.push(e);
                    if e != p {
                        flush(&mut run);
                    }
                } else {
                    flush(&mut run);
                }
            }
            None if inside(p) => run.push(p),
            None => {}
        }
    }
    flush(&mut run);
    runs
}

/// The part of segment `a`–`b` inside the rectangle (Liang–Barsky), its
/// ends exactly `a` and `b` where those are inside.
fn clip_segment(
    a: [f64; 2],
    b: [f64; 2],
    x: (f64, f64),
    y: (f64, f64),
) -> Option<([f64; 2], [f64; 2])> {
    let d = [b[0] - a[0], b[1] - a[1]];
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-d[0], a[0] - x.0),
        (d[0], x.1 - a[0]),
        (-d[1], a[1] - y.0),
        (d[1], y.1 - a[1]),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else if p < 0.0 {
            t0 = t0.max(q / p);
        } else {
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

fn legend_name(name: &str) -> Option<String> {
    Some(name.to_owned()).filter(|n| !n.is_empty())
}

fn lift(plot: &SurfacePlot, mesh: &SurfaceMesh) -> Lifted {
    let (xr, yr) = (plot.x_range, plot.y_range);
    let in_view = |p: [f64; 2]| {
        p.iter().all(|v| v.is_finite())
            && p[0] >= xr.0
            && p[0] <= xr.1
            && p[1] >= yr.0
            && p[1] <= yr.1
    };
    // Each point at its own f, broken where f is not finite.
    let on_surface = |points: &[[f64; 2]]| -> Vec<Vec<[f64; 3]>> {
        let mut out = Vec::new();
        for run in clip_to_view(points, xr, yr) {
            let mut lifted: Vec<[f64; 3]> = Vec::with_capacity(run.len());
            for p in run {
                match mesh.lift(p[0], p[1]) {
                    Some(q) => lifted.push(q),
                    None => {
                        if lifted.len() >= 2 {
                            out.push(std::mem::take(&mut lifted));
                        }
                        lifted.clear();
                    }
                }
            }
            if lifted.len() >= 2 {
                out.push(lifted);
            }
        }
        out
    };
    // Every point at one height.
    let level = |points: &[[f64; 2]], z: f64| -> Vec<Vec<[f64; 3]>> {
        clip_to_view(points, xr, yr)
            .into_iter()
            .map(|run| run.into_iter().map(|p| [p[0], p[1], z]).collect())
            .collect()
    };
    let mut lifted = Lifted::default();
    for row in plot.rows.iter().filter(|r| r.shown) {
        lifted.lines.push(Line3 {
            name: legend_name(&row.name),
            kind: LineKind::Trajectory,
            color: row.color,
            width: 2.0,
            dashed: false,
            runs: on_surface(&row.points),
        });
        if row.jumps.is_empty() {
            continue;
        }
        let mut runs = Vec::new();
        let mut landings = Vec::new();
        for [from, to] in &row.jumps {
            let Some(z) = mesh.heights.z_of_f(mesh.f(from[0], from[1])) else {
                continue;
            };
            runs.extend(level(&[*from, *to], z));
            if in_view(*to) {
                landings.push([to[0], to[1], z]);
            }
        }
        lifted.lines.push(Line3 {
            name: None,
            kind: LineKind::Jump,
            color: row.color,
            width: 1.5,
            dashed: true,
            runs,
        });
        for at in landings {
            lifted.markers.push(Marker3 {
                name: None,
                at,
                shape: Marker::Diamond,
                size: 8.0,
                color: row.color,
            });
        }
    }
    let mut markers = Vec::new();
    if let Some(m) = plot.minimizer {
        markers.push((
            m,
            None,
            "minimum",
            Color::rgb(30, 30, 30),
            Marker::Cross,
            10.0,
        ));
    }
    if let Some(current) = &plot.current {
        let height = mesh
            .heights
            .z_of_f(mesh.f(current.point[0], current.point[1]));
        if let Some(z) = height {
            let mut ring = current.ring.clone();
            if let (Some(&first), Some(&last)) = (ring.first(), ring.last())
                && first != last
            {
                ring.push(first);
            }
            lifted.lines.push(Line3 {
                name: Some("orbit (level set of x)".into()),
                kind: LineKind::Orbit,
                color: ORBIT_COLOR,
                width: 1.5,
                dashed: true,
                runs: level(&ring, z),
            });
        }
        let black = Color::BLACK;
        markers.push((
            current.point,
            None,
            "x (current point)",
            black,
            Marker::Circle,
            10.0,
        ));
        if let Some(image) = current.image {
            // On the orbit, at the current point's height.
            markers.push((image, height, "g_θ(x)", ORBIT_COLOR, Marker::Diamond, 11.0));
        }
    }
    if let Some(x0) = plot.x0 {
        markers.push((x0, None, "x₀", Color::rgb(20, 20, 20), Marker::Square, 10.0));
    }
    for (p, z, name, color, shape, size) in markers {
        if !in_view(p) {
            continue;
        }
        let z = z.or_else(|| mesh.heights.z_of_f(mesh.f(p[0], p[1])));
        if let Some(z) = z {
            lifted.markers.push(Marker3 {
                name: Some(name.into()),
                at: [p[0], p[1], z],
                shape,
                size,
                color,
            });
        }
    }
    lifted
}

/// A 2D point for a primitive, or `None` when not finite or absurdly far.
fn px(p: [f64; 2]) -> Option<[f32; 2]> {
    p.iter()
        .all(|v| v.is_finite() && v.abs() < 1e7)
        .then(|| [p[0] as f32, p[1] as f32])
}

/// A polyline primitive, or `None` when a point is not showable.
fn polyline(points: &[[f64; 2]], stroke: Stroke) -> Option<Primitive> {
    let points: Option<Vec<[f32; 2]>> = points.iter().map(|&p| px(p)).collect();
    let points = points?;
    (points.len() >= 2).then_some(Primitive::Polyline { points, stroke })
}

fn solid(color: Color, width: f32) -> Stroke {
    Stroke {
        color,
        width,
        dash: None,
    }
}

fn dashed(color: Color, width: f32, offset: f32) -> Stroke {
    let [on, off] = dash_pattern(width);
    Stroke {
        color,
        width,
        dash: Some(Dash { on, off, offset }),
    }
}

/// A piece of a lifted line over one cell, in screen pixels, with where
/// its dashes start.
struct Piece {
    line: usize,
    points: Vec<[f64; 2]>,
    offset: f64,
}

/// Cuts every run of every line at the grid lines into pieces over one
/// cell each, projected, grouped by cell: the pieces of cell `c` are
/// `pieces[start[c]..start[c + 1]]`.
fn pieces_by_cell(
    mesh: &SurfaceMesh,
    lines: &[Line3],
    projection: &Projection,
) -> (Vec<usize>, Vec<Piece>) {
    let n = mesh.n;
    let (x0, dx) = (mesh.xs[0], (mesh.xs[n] - mesh.xs[0]) / n as f64);
    let (y0, dy) = (mesh.ys[0], (mesh.ys[n] - mesh.ys[0]) / n as f64);
    let mut out: Vec<(usize, Piece)> = Vec::new();
    let mut cuts: Vec<f64> = Vec::new();
    for (l, line) in lines.iter().enumerate() {
        for run in &line.runs {
            let mut length = 0.0;
            let mut current: Option<(usize, Piece)> = None;
            for w in run.windows(2) {
                let (a, b) = (w[0], w[1]);
                // Where the segment crosses grid lines, strictly inside it.
                cuts.clear();
                cuts.push(0.0);
                for (axis, origin, step) in [(0, x0, dx), (1, y0, dy)] {
                    let (u, v) = ((a[axis] - origin) / step, (b[axis] - origin) / step);
                    if !(u.is_finite() && v.is_finite()) || u == v {
                        continue;
                    }
                    let (lo, hi) = (u.min(v), u.max(v));
                    let mut k = lo.floor() + 1.0;
                    while k < hi && cuts.len() < 4 * n + 2 {
                        cuts.push((k - u) / (v - u));
                        k += 1.0;
                    }
                }
                cuts.push(1.0);
                cuts.sort_by(f64::total_cmp);
                let at = |t: f64| [0, 1, 2].map(|m| a[m] + t * (b[m] - a[m]));
                for t in cuts.windows(2) {
                    if t[1] <= t[0] {
                        continue;
                    }
                    let mid = at((t[0] + t[1]) / 2.0);
                    let cell = cell_index(&mesh.xs, &mesh.ys, n, [mid[0], mid[1]]);
                    let (p, q) = (
                        projection.screen_from_world(at(t[0])),
                        projection.screen_from_world(at(t[1])),
                    );
                    match &mut current {
                        Some((c, piece)) if *c == cell => piece.points.push(q),
                        _ => {
                            if let Some(done) = current.take() {
                                out.push(done);
                            }
                            let piece = Piece {
                                line: l,
                                points: vec![p, q],
                                offset: length,
                            };
                            current = Some((cell, piece));
                        }
                    }
                    length += (q[0] - p[0]).hypot(q[1] - p[1]);
                }
            }
            if let Some(done) = current.take() {
                out.push(done);
            }
        }
    }
    // A stable sort keeps each cell's pieces in line order.
    out.sort_by_key(|(cell, _)| *cell);
    let mut start = vec![0; n * n + 1];
    for (cell, _) in &out {
        start[cell + 1] += 1;
    }
    for c in 0..n * n {
        start[c + 1] += start[c];
    }
    (start, out.into_iter().map(|(_, p)| p).collect())
}

/// The stroke of a lifted line, dashed from `offset` if dashed.
fn line_stroke(line: &Line3, color: Color, offset: f64) -> Stroke {
    if line.dashed {
        dashed(color, line.width, offset as f32)
    } else {
        solid(color, line.width)
    }
}

/// Projects and orders everything (see the module docs).
fn build_scene(
    plot: &SurfacePlot,
    mesh: &SurfaceMesh,
    lifted: &Lifted,
    camera: Camera,
) -> SurfaceScene {
    let (width, height) = (plot.width.max(1), plot.height.max(1));
    let measure = TextMeasure::new();
    let top = if plot.title.is_empty() {
        0.0
    } else {
        8.0 + measure.size(&plot.title, TITLE_PX)[1]
    };
    let projection = Projection::new(camera, mesh.bounds, width, height, top);
    let n = mesh.n;
    let side = n + 1;
    let screen: Vec<[f64; 2]> = (0..side * side)
        .map(|k| projection.screen_from_world(mesh.node(k % side, k / side)))
        .collect();
    let mut out: Vec<Primitive> = Vec::with_capacity(n * n + 64);
    let b = mesh.bounds;
    let floor_z = b.z.0;
    let corners = [
        (b.x.0, b.y.0),
        (b.x.1, b.y.0),
        (b.x.1, b.y.1),
        (b.x.0, b.y.1),
    ];
    let at = |x: f64, y: f64, z: f64| projection.screen_from_world([x, y, z]);
    let depth = |(x, y): (f64, f64)| projection.depth([x, y, floor_z]);

    // The floor and its contours, then the box's back edges: all of it
    // lies below or behind the surface.
    if mesh.floor {
        let floor: Vec<[f64; 2]> = corners.iter().map(|&(x, y)| at(x, y, floor_z)).collect();
        let points: Option<Vec<[f32; 2]>> = floor.iter().map(|&p| px(p)).collect();
        if let Some(points) = points {
            out.push(Primitive::Polygon {
                points,
                fill: Color::rgb(246, 246, 248),
                outline: Some(solid(Color::rgb(200, 200, 205), 1.0)),
                antialias: true,
            });
        }
        let color = Color::rgba(90, 100, 130, 90);
        for line in &mesh.floor_lines {
            let points: Vec<[f64; 2]> = line.iter().map(|p| at(p[0], p[1], floor_z)).collect();
            out.extend(polyline(&points, solid(color, 1.0)));
        }
    }
    // The corner farthest from the viewer, and the two beside it.
    let back = (0..4)
        .min_by(|&a, &b| depth(corners[a]).total_cmp(&depth(corners[b])))
        .unwrap_or(0);
    if plot.axes {
        let edge = Color::rgb(170, 170, 175);
        let (bx, by) = corners[back];
        out.extend(polyline(
            &[at(bx, by, floor_z), at(bx, by, b.z.1)],
            solid(edge, 1.0),
        ));
        for neighbour in [(back + 1) % 4, (back + 3) % 4] {
            let (x, y) = corners[neighbour];
            out.extend(polyline(
                &[at(bx, by, b.z.1), at(x, y, b.z.1)],
                solid(edge, 1.0),
            ));
            out.extend(polyline(
                &[at(x, y, floor_z), at(x, y, b.z.1)],
                solid(edge, 1.0),
            ));
        }
    }

    // The columns back to front, each with what lies over it.
    let [hx, hy] = projection.horizontal();
    let mut order: Vec<(f64, usize)> = (0..n * n)
        .map(|c| {
            let (i, j) = (c % n, c / n);
            let cx = (mesh.xs[i] + mesh.xs[i + 1]) / 2.0;
            let cy = (mesh.ys[j] + mesh.ys[j + 1]) / 2.0;
            (cx * hx + cy * hy, c)
        })
        .collect();
    order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let (piece_start, pieces) = pieces_by_cell(mesh, &lifted.lines, &projection);
    let light = normalize([0, 1, 2].map(|m| {
        -0.35 * projection.right[m] + 0.6 * projection.up[m] + 0.7 * projection.toward[m]
    }));
    let contour = Color::rgba(
        CONTOUR_COLOR.r / 2,
        CONTOUR_COLOR.g / 2,
        CONTOUR_COLOR.b / 2,
        150,
    );
    let mut facets = Vec::with_capacity(n * n);
    for &(_, c) in &order {
        let (i, j) = (c % n, c / n);
        if let Some(base) = mesh.colors[c] {
            let k = [
                j * side + i,
                j * side + i + 1,
                (j + 1) * side + i + 1,
                (j + 1) * side + i,
            ];
            let points: Option<Vec<[f32; 2]>> = k.iter().map(|&k| px(screen[k])).collect();
            if let Some(points) = points {
                let lit = dot(mesh.normals[c], light).max(0.0);
                let fill = shade(base, 0.72 + 0.28 * lit);
                facets.push(FacetRef {
                    primitive: out.len(),
                    cell: [i, j],
                });
                out.push(Primitive::Polygon {
                    points,
                    fill,
                    outline: None,
                    antialias: false,
                });
            }
            for ([a, b], rim) in &mesh.segments[mesh.segment_start[c]..mesh.segment_start[c + 1]] {
                let seg = [
                    projection.screen_from_world(*a),
                    projection.screen_from_world(*b),
                ];
                let color = if *rim { RIM_COLOR } else { contour };
                out.extend(polyline(&seg, solid(color, 1.0)));
            }
        }
        for piece in &pieces[piece_start[c]..piece_start[c + 1]] {
            let line = &lifted.lines[piece.line];
            out.extend(polyline(
                &piece.points,
                line_stroke(line, line.color, piece.offset),
            ));
        }
    }

    // What the surface hides, faintly over it; then the markers.
    if plot.hidden_lines {
        for line in &lifted.lines {
            let color = line.color.with_alpha(HIDDEN_ALPHA.min(line.color.a));
            for run in &line.runs {
                let points: Vec<[f64; 2]> = run
                    .iter()
                    .map(|&p| projection.screen_from_world(p))
                    .collect();
                out.extend(polyline(&points, line_stroke(line, color, 0.0)));
            }
        }
    }
    for m in &lifted.markers {
        if let Some(at) = px(projection.screen_from_world(m.at)) {
            out.push(Primitive::Marker {
                at,
                shape: m.shape,
                size: m.size,
                color: m.color,
            });
        }
    }
    if plot.axes {
        axis_labels(&mut out, mesh, &projection, back);
    }
    if !plot.title.is_empty() {
        out.extend(text(
            [f64::from(width) / 2.0, 6.0],
            &plot.title,
            TITLE_PX,
            [0.5, 0.0],
        ));
    }
    if plot.legend {
        legend(&mut out, lifted, &measure, f64::from(width), top);
    }
    SurfaceScene {
        width,
        height,
        primitives: out,
        projection,
        facets,
    }
}

/// `color` with its RGB multiplied by `k` (in 0..=1).
fn shade(color: Color, k: f64) -> Color {
    let mul = |v: u8| (f64::from(v) * k).round().clamp(0.0, 255.0) as u8;
    Color::rgba(mul(color.r), mul(color.g), mul(color.b), color.a)
}

/// A black text primitive, or `None` where `at` is not showable.
fn text(at: [f64; 2], text: &str, size: f32, align: [f32; 2]) -> Option<Primitive> {
    Some(Primitive::Text {
        at: px(at)?,
        text: text.to_owned(),
        color: Color::rgb(40, 40, 40),
        size,
        align,
    })
}

/// The box's x and y ticks along the floor's front edges and its z ticks
/// along a side edge, with the axes' names, outside the box.
fn axis_labels(out: &mut Vec<Primitive>, mesh: &SurfaceMesh, projection: &Projection, back: usize) {
    let b = mesh.bounds;
    let floor_z = b.z.0;
    let corners = [
        (b.x.0, b.y.0),
        (b.x.1, b.y.0),
        (b.x.1, b.y.1),
        (b.x.0, b.y.1),
    ];
    let front = (back + 2) % 4;
    let centre =
        projection.screen_from_world([(b.x.0 + b.x.1) / 2.0, (b.y.0 + b.y.1) / 2.0, floor_z]);
    let tick = Color::rgb(120, 120, 125);
    // The floor's edges from the front corner: one along x, one along y.
    for neighbour in [(front + 1) % 4, (front + 3) % 4] {
        let (a, e) = (corners[front], corners[neighbour]);
        let along_x = a.1 == e.1;
        let (lo, hi, name) = if along_x {
            (b.x.0, b.x.1, "x")
        } else {
            (b.y.0, b.y.1, "y")
        };
        let mid = projection.screen_from_world([(a.0 + e.0) / 2.0, (a.1 + e.1) / 2.0, floor_z]);
        let away = unit2([mid[0] - centre[0], mid[1] - centre[1]]);
        let ticks = linear_ticks(lo, hi, 4);
        let step = ticks
            .get(1)
            .zip(ticks.first())
            .map_or(hi - lo, |(b, a)| b - a);
        let at = |v: f64| {
            let p = if along_x {
                [v, a.1, floor_z]
            } else {
                [a.0, v, floor_z]
            };
            projection.screen_from_world(p)
        };
        let every = stride(&ticks.iter().map(|&v| at(v)).collect::<Vec<_>>(), 30.0);
        for v in ticks.iter().step_by(every) {
            let s = at(*v);
            let tip = [s[0] + away[0] * 5.0, s[1] + away[1] * 5.0];
            out.extend(polyline(&[s, tip], solid(tick, 1.0)));
            let label = [s[0] + away[0] * 16.0, s[1] + away[1] * 16.0];
            out.extend(text(
                label,
                &super::format_tick(*v, step),
                TICK_PX,
                [0.5, 0.5],
            ));
        }
        let label = [mid[0] + away[0] * 36.0, mid[1] + away[1] * 36.0];
        out.extend(text(label, name, LABEL_PX, [0.5, 0.5]));
    }
    // The z axis on the side corner that lies further left on screen.
    let sides = [(back + 1) % 4, (back + 3) % 4];
    let screen_x =
        |k: usize| projection.screen_from_world([corners[k].0, corners[k].1, floor_z])[0];
    let side = if screen_x(sides[0]) <= screen_x(sides[1]) {
        sides[0]
    } else {
        sides[1]
    };
    let (x, y) = corners[side];
    let heights = mesh.heights;
    let (lo, hi) = heights.z;
    let ticks: Vec<(f64, String)> = if heights.log {
        // Whole decades of f − shift, each where its height is
        // (log₁₀ of the value plus the offset), so that a label reads f there.
        let top = (10f64.powf(hi) - heights.offset).max(heights.offset);
        let (a, b) = (
            heights.offset.log10().ceil() as i64,
            top.log10().floor() as i64,
        );
        let every = ((b - a) / 4 + 1).max(1);
        (a..=b)
            .filter(|k| (k - a) % every == 0)
            .map(|k| ((10f64.powi(k as i32) + heights.offset).log10(), k))
            .filter(|(z, _)| *z >= lo && *z <= hi)
            .map(|(z, k)| (z, crate::numfmt::decade(k)))
            .collect()
    } else {
        let ticks = linear_ticks(lo, hi, 4);
        let step = ticks
            .get(1)
            .zip(ticks.first())
            .map_or(hi - lo, |(b, a)| b - a);
        ticks
            .into_iter()
            .map(|v| (v, super::format_tick(v, step)))
            .collect()
    };
    let every = stride(
        &ticks
            .iter()
            .map(|(z, _)| projection.screen_from_world([x, y, *z]))
            .collect::<Vec<_>>(),
        18.0,
    );
    for (z, label) in ticks.into_iter().step_by(every) {
        let s = projection.screen_from_world([x, y, z]);
        out.extend(polyline(&[s, [s[0] - 5.0, s[1]]], solid(tick, 1.0)));
        out.extend(text([s[0] - 8.0, s[1]], &label, TICK_PX, [1.0, 0.5]));
    }
    let top = projection.screen_from_world([x, y, hi]);
    let name = match (heights.log, heights.shift != 0.0) {
        (false, _) => "f",
        (true, false) => "f (log scale)",
        (true, true) => "f − min f (log scale)",
    };
    out.extend(text([top[0], top[1] - 14.0], name, LABEL_PX, [0.5, 1.0]));
}

/// Every how many ticks to label so that labelled ticks lie at least
/// `min_px` apart on screen.
fn stride(ticks: &[[f64; 2]], min_px: f64) -> usize {
    let gap = ticks
        .windows(2)
        .map(|w| (w[1][0] - w[0][0]).hypot(w[1][1] - w[0][1]))
        .fold(f64::INFINITY, f64::min);
    if gap >= min_px {
        1
    } else if gap > 0.5 {
        (min_px / gap).ceil() as usize
    } else {
        ticks.len().max(1)
    }
}

fn unit2(v: [f64; 2]) -> [f64; 2] {
    let n = v[0].hypot(v[1]);
    if n > 1e-9 && n.is_finite() {
        [v[0] / n, v[1] / n]
    } else {
        [0.0, 1.0]
    }
}

/// Text sizes from the charts' fonts, for laying out the legend.
struct TextMeasure {
    canvas: Option<Canvas<'static>>,
}

impl TextMeasure {
    fn new() -> Self {
        let canvas = fonts().ok().map(|fonts| Canvas {
            surface: Surface::Layout,
            fonts,
            size: [1, 1],
        });
        TextMeasure { canvas }
    }

    fn size(&self, text: &str, px: f32) -> [f64; 2] {
        self.canvas.as_ref().map_or(
            [
                0.6 * f64::from(px) * text.chars().count() as f64,
                f64::from(px) * 1.3,
            ],
            |c| c.text_size(text, px),
        )
    }
}

/// The named lines and markers in a box at the top right, as the charts'
/// legend draws them.
fn legend(out: &mut Vec<Primitive>, lifted: &Lifted, measure: &TextMeasure, width: f64, top: f64) {
    enum Swatch<'a> {
        Line(&'a Line3),
        Marker(&'a Marker3),
    }
    let mut named: Vec<(&str, Swatch)> = Vec::new();
    for line in &lifted.lines {
        if let Some(name) = &line.name {
            named.push((name, Swatch::Line(line)));
        }
    }
    for m in &lifted.markers {
        if let Some(name) = &m.name {
            named.push((name, Swatch::Marker(m)));
        }
    }
    if named.is_empty() {
        return;
    }
    let (swatch, inner, row) = (24.0, 6.0, measure.size("0", TICK_PX)[1] + 2.0);
    let text_w = named
        .iter()
        .map(|(n, _)| measure.size(n, TICK_PX)[0])
        .fold(0.0, f64::max);
    let (w, h) = (
        inner * 3.0 + swatch + text_w,
        inner * 2.0 + row * named.len() as f64,
    );
    let (l, t) = ((width - 10.0 - w).round(), top + 10.0);
    let rect = [[l, t], [l + w, t], [l + w, t + h], [l, t + h]];
    if let Some(points) = rect.iter().map(|&p| px(p)).collect::<Option<Vec<_>>>() {
        out.push(Primitive::Polygon {
            points,
            fill: Color::rgba(255, 255, 255, 225),
            outline: Some(solid(Color::rgb(190, 190, 190), 1.0)),
            antialias: true,
        });
    }
    for (k, (name, swatch_of)) in named.into_iter().enumerate() {
        let cy = t + inner + row * (k as f64 + 0.5);
        let (x0, x1) = (l + inner, l + inner + swatch);
        match swatch_of {
            Swatch::Line(line) => {
                let stroke = line_stroke(line, line.color, 0.0);
                let stroke = Stroke {
                    width: stroke.width.min(4.0),
                    ..stroke
                };
                out.extend(polyline(&[[x0, cy], [x1, cy]], stroke));
            }
            Swatch::Marker(m) => {
                if let Some(at) = px([(x0 + x1) / 2.0, cy]) {
                    out.push(Primitive::Marker {
                        at,
                        shape: m.shape,
                        size: m.size.min(row as f32 - 2.0),
                        color: m.color,
                    });
                }
            }
        }
        out.extend(text([x1 + inner, cy], name, TICK_PX, [0.0, 0.5]));
    }
}

/// Paints a scene's primitives in order on a canvas of the scene's size.
fn paint(canvas: &mut Canvas, scene: &SurfaceScene) {
    let path_of = |points: &[[f32; 2]], close: bool| {
        let mut pb = PathBuilder::new();
        for (k, p) in points.iter().enumerate() {
            if k == 0 {
                pb.move_to(p[0], p[1]);
            } else {
                pb.line_to(p[0], p[1]);
            }
        }
        if close {
            pb.close();
        }
        pb.finish()
    };
    let stroke = |canvas: &mut Canvas, path, s: &Stroke| {
        let width = if s.width.is_finite() && s.width > 0.0 {
            s.width.min(100.0)
        } else {
            1.0
        };
        let dash = s
            .dash
            .filter(|d| d.on > 0.0 && d.off >= 0.0 && d.on.is_finite() && d.off.is_finite())
            .map(|d| {
                [
                    d.on,
                    d.off,
                    if d.offset.is_finite() { d.offset } else { 0.0 },
                ]
            });
        canvas.stroke_dashes(path, s.color, width, dash, false);
    };
    for primitive in &scene.primitives {
        match primitive {
            Primitive::Polygon {
                points,
                fill,
                outline,
                antialias,
            } => {
                let poly: Vec<[f64; 2]> =
                    points.iter().map(|p| [p[0].into(), p[1].into()]).collect();
                canvas.fill_with(polygon_path(&poly), *fill, false, *antialias);
                if let Some(s) = outline {
                    stroke(canvas, path_of(points, true), s);
                }
            }
            Primitive::Polyline { points, stroke: s } => stroke(canvas, path_of(points, false), s),
            Primitive::Marker {
                at,
                shape,
                size,
                color,
            } => draw_marker(
                canvas,
                *shape,
                [at[0].into(), at[1].into()],
                *size,
                *color,
                false,
            ),
            Primitive::Text {
                at,
                text,
                color,
                size,
                align,
            } => {
                let style = Style {
                    px: *size,
                    color: *color,
                    vertical: false,
                    clip: false,
                };
                canvas.text(
                    text,
                    style,
                    [at[0].into(), at[1].into()],
                    [align[0].into(), align[1].into()],
                );
            }
        }
    }
}

/// Paints a scene into a new pixmap (premultiplied RGBA on white).
pub(super) fn render_scene(scene: &SurfaceScene) -> Result<Pixmap, PlotError> {
    check_size(scene.width, scene.height)?;
    let mut pixmap = Pixmap::new(scene.width, scene.height).ok_or(PlotError::Size {
        width: scene.width,
        height: scene.height,
    })?;
    pixmap.fill(tiny_skia::Color::WHITE);
    let mut canvas = Canvas {
        surface: Surface::Raster { pixmap, mask: None },
        fonts: fonts()?,
        size: [scene.width, scene.height],
    };
    paint(&mut canvas, scene);
    match canvas.surface {
        Surface::Raster { pixmap, .. } => Ok(pixmap),
        _ => Err(PlotError::Encode("the pixmap was lost".into())),
    }
}

/// The scene as PNG bytes, painted by the charts' raster backend
/// (tiny-skia, anti-aliased, white background).
pub fn surface_png(scene: &SurfaceScene) -> Result<Vec<u8>, PlotError> {
    render_scene(scene)?
        .encode_png()
        .map_err(|e| PlotError::Encode(e.to_string()))
}

/// The scene as an SVG 1.1 document of the scene's size, painted by the
/// charts' SVG backend: the same primitives in the same order as
/// [`surface_png`], text kept as text, coordinates with two decimals (the
/// same scene gives the same bytes).
pub fn surface_svg(scene: &SurfaceScene) -> Result<String, PlotError> {
    check_size(scene.width, scene.height)?;
    let mut canvas = Canvas {
        surface: Surface::Svg(SvgDoc::new(scene.width, scene.height)),
        fonts: fonts()?,
        size: [scene.width, scene.height],
    };
    paint(&mut canvas, scene);
    match canvas.surface {
        Surface::Svg(doc) => Ok(doc.finish()),
        _ => Err(PlotError::Encode("the SVG surface was lost".into())),
    }
}
