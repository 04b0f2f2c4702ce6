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

use super::level_set::{LevelSetPlot, LevelSetRow, Orbit};
use super::{Color, MAX_SIDE, Marker, PlotError};
use crate::objective::{Objective, Vec2};

mod lift;
mod mesh;
mod paint;
mod scene;

pub(super) use paint::render_scene;
pub use paint::{surface_png, surface_svg};

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

/// A facet of a scene: which primitives draw which grid cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FacetRef {
    /// The index of its (first) [`Primitive::Polygon`] in
    /// [`SurfaceScene::primitives`].
    pub primitive: usize,
    /// The cell `(i, j)`, counted from the lower left of the view.
    pub cell: [usize; 2],
    /// Whether it is drawn as two triangles (`primitive` and the next one)
    /// rather than one quadrilateral: where the surface folds over as seen
    /// by the camera, its projected quadrilateral is not convex. Every
    /// facet polygon is convex.
    pub triangles: bool,
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
    /// ([`auto_levels`](crate::contour::auto_levels) on the grid); 0 for none.
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
    /// facet, each facet coloured by [`log_ramp`](super::log_ramp) over the mean `log₁₀ f` of
    /// its corners (as the level-set plot's colour map), contours at
    /// [`auto_levels`](crate::contour::auto_levels) of `f` (shifted like the heights when negative)
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
        Ok(mesh::build_mesh(self, Arc::new(f)))
    }

    /// The rows, jumps, orbit and markers lifted onto `mesh`: each
    /// trajectory point at its own `f`, each teleport jump horizontal at the
    /// height of the point it left, the orbit ring at the current point's
    /// height, g_θ(x) on it; everything clipped to the view, broken where
    /// `f` is not finite.
    pub fn lift(&self, mesh: &SurfaceMesh) -> Lifted {
        lift::lift(self, mesh)
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
        scene::build_scene(self, mesh, &lifted, camera)
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
