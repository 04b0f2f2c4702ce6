//! The 3D surface pane (View → Surface (3D)) and its exports: `z = f(x, y)`
//! (or `log₁₀ f`) over the level-set plot's view, drawn by the core's
//! surface renderer ([`teleport_core::plot::surface`]) and painted with
//! egui's painter.
//!
//! The pane shows what the level-set plot shows, lifted onto the surface:
//! the colour map on the facets, contours on the surface and on the floor,
//! every visible row's run (whole and faint, strong up to the playback
//! step, as the plot draws it), each teleport as a horizontal dashed jump
//! (a teleport keeps f, so it keeps the height), the current point's orbit
//! as a ring at its height with g_θ(x) on it, x₀ and the minima. It follows
//! the plot's view, the playback, θ and every task.
//!
//! Drag orbits the camera (azimuth across, elevation up and down), the
//! wheel zooms, a double-click resets the camera. The camera, the height
//! scale and the facets are saved with the state ([`SurfaceSettings`]); the
//! camera is not part of undo (turning the picture is looking, like panning
//! the plot).
//!
//! **Cost.** The mesh (f on the grid, heights, colours, contours) is built
//! only when the task, the view, the facets or the height scale change
//! ([`SurfacePlot::same_mesh`]); the scene (lifting, projecting, ordering)
//! is built again whenever anything else it shows changes, and the painted
//! shapes are kept while nothing does. Facets are painted without
//! anti-aliasing into shared triangle meshes (anti-aliased neighbours leave
//! hairlines of background between them, as the core's docs explain),
//! lines and markers as egui shapes, in the scene's draw order so that the
//! surface hides what lies behind it.

use std::sync::Arc;

use egui::{Color32, Pos2, Shape, Stroke};
use serde::{Deserialize, Serialize};
use teleport_core::plot::surface::{
    Camera, Dash, ELEVATION_MAX_DEG, ELEVATION_MIN_DEG, Lifted, Primitive, SurfaceMesh,
    SurfacePlot, SurfaceScene, ZScale,
};
use teleport_core::plot::{Color, LevelSetRow, Marker, Orbit};
use teleport_core::symmetry::{orbit, teleport};

use super::TeleportApp;
use super::plot_export::PlotFormat;

/// The facet counts the pane offers, per side.
pub const FACET_CHOICES: [usize; 4] = [32, 48, 64, 96];
/// Degrees the camera turns per point dragged.
pub const DEG_PER_POINT: f64 = 0.5;
/// The zoom range of the pane's wheel.
pub const ZOOM_RANGE: std::ops::RangeInclusive<f64> = 0.25..=8.0;
/// How many frames one turn of `--animate OUT --surface --orbit` has.
pub const ORBIT_FRAMES: u32 = 60;
/// How long each of those frames shows, in milliseconds (a 6 s turn).
pub const ORBIT_FRAME_MS: u32 = 100;
/// The opacity of a run's faint whole path (the level-set plot's 0.3).
const FAINT_ALPHA: u8 = 77;
/// egui's font size (the em) per pixel of the core's text size, which is
/// Ubuntu Light's ascent-to-descent height: 932 + 189 units of a 1000-unit
/// em. With it, labels take the room the core measured for them.
const EM_PER_PX: f32 = 1000.0 / 1121.0;

/// The surface's settings, saved with the state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SurfaceSettings {
    /// Where the camera looks from.
    pub camera: Camera,
    /// How the height reads f.
    pub z_scale: ZScale,
    /// Facets along each side of the grid.
    pub facets: usize,
}

impl Default for SurfaceSettings {
    /// The core's default camera, automatic height scale, 64² facets.
    fn default() -> Self {
        Self {
            camera: Camera::default(),
            z_scale: ZScale::Auto,
            facets: teleport_core::plot::surface::DEFAULT_FACETS,
        }
    }
}

impl SurfaceSettings {
    /// Makes restored or hand-edited settings usable: a camera with a value
    /// that is not finite goes back to the default, the elevation and zoom
    /// into their ranges, the azimuth into [−180°, 180°), the facets into
    /// the offered range. Idempotent.
    pub fn normalize(&mut self) {
        let mut camera = self.camera.checked().unwrap_or_default();
        camera.azimuth_deg = wrap_deg(camera.azimuth_deg);
        camera.zoom = camera.zoom.clamp(*ZOOM_RANGE.start(), *ZOOM_RANGE.end());
        self.camera = camera;
        let (lo, hi) = (FACET_CHOICES[0], FACET_CHOICES[FACET_CHOICES.len() - 1]);
        self.facets = self.facets.clamp(lo, hi);
    }

    /// A surface of `objective` over the view with these settings and the
    /// core's defaults otherwise (no rows, no markers).
    pub fn plot(
        &self,
        objective: teleport_core::objective::Objective,
        x_range: (f64, f64),
        y_range: (f64, f64),
    ) -> SurfacePlot {
        let mut plot = SurfacePlot::new(objective, x_range, y_range);
        plot.camera = self.camera;
        plot.z_scale = self.z_scale;
        plot.facets = self.facets;
        plot
    }
}

/// An angle in degrees wrapped into [−180, 180).
pub fn wrap_deg(deg: f64) -> f64 {
    (deg + 180.0).rem_euclid(360.0) - 180.0
}

/// The pane's mesh, last scene and painted shapes (not saved).
#[derive(Default)]
pub struct SurfaceRuntime {
    /// The mesh and the plot it was built for (compared with
    /// [`SurfacePlot::same_mesh`]).
    mesh: Option<(SurfacePlot, Arc<SurfaceMesh>)>,
    /// Meshes built since the app started.
    mesh_builds: u64,
    /// The plot of the last scene, its scene and the shapes that paint it
    /// at `origin`.
    plot: Option<SurfacePlot>,
    scene: Option<SurfaceScene>,
    shapes: Vec<Shape>,
    origin: Option<Pos2>,
    /// The picture's rectangle in the last frame.
    rect: Option<egui::Rect>,
    /// The orbit ring of the current point, with the task and point it
    /// belongs to (a typed h walks it by Newton's method: not per frame).
    ring: Option<(teleport_core::objective::Objective, [f64; 2], Vec<[f64; 2]>)>,
    /// Why the last mesh could not be built, shown in the pane.
    error: Option<String>,
}

impl SurfaceRuntime {
    /// The last scene the pane drew, in points from the picture's top left.
    pub fn scene(&self) -> Option<&SurfaceScene> {
        self.scene.as_ref()
    }

    /// The plot of that scene: rows, markers, camera and size.
    pub fn plot(&self) -> Option<&SurfacePlot> {
        self.plot.as_ref()
    }

    /// The mesh the last scene was drawn on.
    pub fn mesh(&self) -> Option<&SurfaceMesh> {
        self.mesh.as_ref().map(|(_, m)| m.as_ref())
    }

    /// The rows, jumps, orbit and markers of the last scene in world
    /// coordinates (lifted again from its plot and mesh: for inspection).
    pub fn lifted(&self) -> Option<Lifted> {
        Some(self.plot.as_ref()?.lift(self.mesh()?))
    }

    /// How many meshes the pane has built: it builds one only when the
    /// task, the view, the facets or the height scale change.
    pub fn mesh_builds(&self) -> u64 {
        self.mesh_builds
    }

    /// The picture's rectangle in the last frame (points).
    pub fn rect(&self) -> Option<egui::Rect> {
        self.rect
    }

    /// The shapes that painted the last scene.
    pub fn shapes(&self) -> &[Shape] {
        &self.shapes
    }
}

/// The core's colour from egui's.
fn core_color(c: Color32) -> Color {
    let [r, g, b, a] = c.to_srgba_unmultiplied();
    Color::rgba(r, g, b, a)
}

/// egui's colour from the core's.
fn egui_color(c: Color) -> Color32 {
    Color32::from_rgba_unmultiplied(c.r, c.g, c.b, c.a)
}

/// The minima of `obj` that the level-set plot marks: every listed one of
/// a test function (global first), else the family's minimizer; each with
/// whether it is global.
fn minima(obj: &teleport_core::objective::Objective) -> Vec<([f64; 2], bool)> {
    match obj.as_formula() {
        Some(t) => {
            let mut all: Vec<([f64; 2], bool)> =
                t.known_minima().iter().map(|m| (m.at, m.global)).collect();
            all.sort_by_key(|(_, global)| !global);
            all
        }
        None => obj
            .try_minimizer()
            .ok()
            .map(|m| ([m.x, m.y], true))
            .into_iter()
            .collect(),
    }
}

/// Marks the minima after the first (the plot's own `minimizer`) on a
/// scene of `plot` on `mesh`: crosses at their height, drawn where the
/// scene's markers start (after the surface and the lines it hides, before
/// x₀ and the current point, the axes' labels and the legend).
fn mark_other_minima(scene: &mut SurfaceScene, plot: &SurfacePlot, mesh: &SurfaceMesh) {
    let others: Vec<([f64; 2], bool)> = minima(&plot.objective).into_iter().skip(1).collect();
    if others.is_empty() {
        return;
    }
    let (xr, yr) = (plot.x_range, plot.y_range);
    let after_surface = scene
        .facets
        .last()
        .map_or(0, |f| f.primitive + 1 + usize::from(f.triangles));
    let at = scene.primitives[after_surface.min(scene.primitives.len())..]
        .iter()
        .position(|p| !matches!(p, Primitive::Polyline { .. }))
        .map_or(scene.primitives.len(), |k| after_surface + k);
    let mut marks = Vec::new();
    for (p, global) in others {
        if !(p[0] >= xr.0 && p[0] <= xr.1 && p[1] >= yr.0 && p[1] <= yr.1) {
            continue;
        }
        let Some(world) = mesh.lift(p[0], p[1]) else {
            continue;
        };
        let [x, y] = scene.projection.screen_from_world(world);
        if !(x.is_finite() && y.is_finite()) {
            continue;
        }
        let (color, size) = if global {
            (Color::rgb(30, 30, 30), 10.0)
        } else {
            (Color::rgb(80, 80, 80), 8.0)
        };
        marks.push(Primitive::Marker {
            at: [x as f32, y as f32],
            shape: Marker::Cross,
            size,
            color,
        });
    }
    scene.primitives.splice(at..at, marks);
}

/// The scene of `plot` on `mesh` with every minimum marked.
pub fn scene_with_minima(plot: &SurfacePlot, mesh: &SurfaceMesh) -> SurfaceScene {
    let mut scene = plot.scene_on(mesh);
    mark_other_minima(&mut scene, plot, mesh);
    scene
}

/// Splits text into runs on the baseline and raised runs, as the core's
/// renderer reads it: a `^` raises the next character, or a `{...}` group
/// without its braces; a `^` that ends the text is drawn as it is.
pub fn superscript_spans(text: &str) -> Vec<(String, bool)> {
    let mut out: Vec<(String, bool)> = Vec::new();
    let mut push = |s: &str, raised: bool| {
        if s.is_empty() {
            return;
        }
        match out.last_mut() {
            Some((last, r)) if *r == raised => last.push_str(s),
            _ => out.push((s.to_owned(), raised)),
        }
    };
    let mut rest = text;
    while let Some(i) = rest.find('^') {
        push(&rest[..i], false);
        let after = &rest[i + 1..];
        match after.chars().next() {
            None => {
                push("^", false);
                rest = "";
            }
            Some('{') => {
                let group = &after[1..];
                let end = group.find('}').unwrap_or(group.len());
                push(&group[..end], true);
                rest = group.get(end + 1..).unwrap_or("");
            }
            Some(c) => {
                push(&after[..c.len_utf8()], true);
                rest = &after[c.len_utf8()..];
            }
        }
    }
    push(rest, false);
    out
}

/// The dashes of a polyline: `on` points drawn, `off` skipped, starting
/// `offset` points into the pattern (which begins with a dash), as the
/// core's backends stroke them. Each dash keeps the polyline's corners.
fn dashes(points: &[Pos2], dash: Dash) -> Vec<Vec<Pos2>> {
    let (on, off) = (dash.on, dash.off);
    let period = on + off;
    if !(on > 0.0 && off >= 0.0 && period.is_finite()) {
        return vec![points.to_vec()];
    }
    let offset = if dash.offset.is_finite() {
        dash.offset
    } else {
        0.0
    };
    // Whether the walk is in a dash, and how much of the dash or gap is
    // left.
    let phase = offset.rem_euclid(period);
    let mut drawing = phase < on;
    let mut left = if drawing { on - phase } else { period - phase };
    let mut out = Vec::new();
    let mut current: Vec<Pos2> = Vec::new();
    // A repeated point would make a zero-length segment: skipped.
    let push = |dash: &mut Vec<Pos2>, p: Pos2| {
        if dash.last() != Some(&p) {
            dash.push(p);
        }
    };
    if drawing && let Some(&first) = points.first() {
        current.push(first);
    }
    for w in points.windows(2) {
        let (a, b) = (w[0], w[1]);
        let length = a.distance(b);
        let mut walked = 0.0;
        while length - walked > left {
            walked += left;
            let p = a + (b - a) * (walked / length);
            push(&mut current, p);
            if drawing {
                out.push(std::mem::take(&mut current));
                left = off;
            } else {
                left = on;
            }
            drawing = !drawing;
        }
        left -= length - walked;
        if drawing {
            push(&mut current, b);
        }
    }
    if drawing {
        out.push(current);
    }
    out.retain(|d| d.len() >= 2);
    out
}

/// The egui shapes that paint `scene` with its top left at `origin`, in
/// the scene's order. Facets (polygons without anti-aliasing) go into
/// shared triangle meshes between the other primitives.
pub fn scene_shapes(scene: &SurfaceScene, origin: Pos2, fonts: &egui::Painter) -> Vec<Shape> {
    let at = |p: [f32; 2]| origin + egui::vec2(p[0], p[1]);
    let mut shapes = Vec::with_capacity(scene.primitives.len() / 2 + 16);
    let mut batch = egui::Mesh::default();
    let flush = |batch: &mut egui::Mesh, shapes: &mut Vec<Shape>| {
        if !batch.is_empty() {
            shapes.push(Shape::mesh(std::mem::take(batch)));
        }
    };
    let stroke_of = |s: &teleport_core::plot::surface::Stroke| {
        let width = if s.width.is_finite() && s.width > 0.0 {
            s.width.min(100.0)
        } else {
            1.0
        };
        Stroke::new(width, egui_color(s.color))
    };
    for primitive in &scene.primitives {
        match primitive {
            Primitive::Polygon {
                points,
                fill,
                outline,
                antialias,
            } => {
                if !*antialias && outline.is_none() && points.len() >= 3 {
                    let color = egui_color(*fill);
                    let base = batch.vertices.len() as u32;
                    for &p in points {
                        batch.colored_vertex(at(p), color);
                    }
                    for k in 1..points.len() as u32 - 1 {
                        batch.add_triangle(base, base + k, base + k + 1);
                    }
                    continue;
                }
                flush(&mut batch, &mut shapes);
                let stroke = outline.as_ref().map_or(Stroke::NONE, stroke_of);
                shapes.push(Shape::convex_polygon(
                    points.iter().map(|&p| at(p)).collect(),
                    egui_color(*fill),
                    stroke,
                ));
            }
            Primitive::Polyline { points, stroke } => {
                flush(&mut batch, &mut shapes);
                let path: Vec<Pos2> = points.iter().map(|&p| at(p)).collect();
                let pen = stroke_of(stroke);
                match stroke.dash {
                    Some(dash) => {
                        for piece in dashes(&path, dash) {
                            shapes.push(Shape::line(piece, pen));
                        }
                    }
                    None => shapes.push(Shape::line(path, pen)),
                }
            }
            Primitive::Marker {
                at: p,
                shape,
                size,
                color,
            } => {
                flush(&mut batch, &mut shapes);
                shapes.push(marker_shape(at(*p), *shape, *size, egui_color(*color)));
            }
            Primitive::Text {
                at: p,
                text,
                color,
                size,
                align,
            } => {
                flush(&mut batch, &mut shapes);
                let color = egui_color(*color);
                let size = EM_PER_PX
                    * if size.is_finite() && *size > 0.0 {
                        size.min(200.0)
                    } else {
                        12.0
                    };
                let mut job = egui::text::LayoutJob::default();
                for (run, raised) in superscript_spans(text) {
                    let format = if raised {
                        egui::TextFormat {
                            font_id: egui::FontId::proportional(size * 0.7),
                            color,
                            valign: egui::Align::TOP,
                            ..Default::default()
                        }
                    } else {
                        egui::TextFormat::simple(egui::FontId::proportional(size), color)
                    };
                    job.append(&run, 0.0, format);
                }
                let galley = fonts.layout_job(job);
                let offset = egui::vec2(align[0], align[1]) * galley.size();
                shapes.push(Shape::galley(at(*p) - offset, galley, color));
            }
        }
    }
    flush(&mut batch, &mut shapes);
    shapes
}

/// A marker as the core draws it: `size` is its diameter.
fn marker_shape(c: Pos2, shape: Marker, size: f32, color: Color32) -> Shape {
    let r = if size.is_finite() && size > 0.0 {
        size.min(200.0) / 2.0
    } else {
        3.0
    };
    match shape {
        Marker::Circle => Shape::circle_filled(c, r, color),
        Marker::Square => Shape::rect_filled(
            egui::Rect::from_center_size(c, egui::vec2(2.0 * r, 2.0 * r)),
            0.0,
            color,
        ),
        Marker::Diamond => {
            let d = 1.25 * r;
            Shape::convex_polygon(
                vec![
                    c + egui::vec2(0.0, -d),
                    c + egui::vec2(d, 0.0),
                    c + egui::vec2(0.0, d),
                    c + egui::vec2(-d, 0.0),
                ],
                color,
                Stroke::NONE,
            )
        }
        Marker::Cross => {
            let pen = Stroke::new((r / 2.0).max(1.0), color);
            Shape::Vec(vec![
                Shape::line_segment([c + egui::vec2(-r, -r), c + egui::vec2(r, r)], pen),
                Shape::line_segment([c + egui::vec2(-r, r), c + egui::vec2(r, -r)], pen),
            ])
        }
    }
}

impl TeleportApp {
    /// The 3D surface pane's mesh, last scene and picture.
    pub fn surface(&self) -> &SurfaceRuntime {
        &self.rt.surface
    }

    /// The surface's settings over the plot's view, without rows or markers.
    fn surface_template(&self) -> SurfacePlot {
        let (min, max) = self.plot_view();
        self.state.surface.plot(
            self.rt.objective.clone(),
            (min[0], max[0]),
            (min[1], max[1]),
        )
    }

    /// The surface the pane draws at `size` points: every visible run whole
    /// and faint, strong up to the timeline's step, the current point there
    /// with its orbit and g_θ(x) (when the plot shows the orbit), x₀ and
    /// the minimum; no title (the caption is above the plot).
    pub fn surface_pane_plot(&mut self, size: [u32; 2]) -> SurfacePlot {
        let mut plot = self.surface_template();
        [plot.width, plot.height] = size;
        plot.legend = self.state.show.legend != super::state::LegendPlace::Hidden;
        let t = self.state.playback.t;
        for (entry, name, run) in self.visible_runs() {
            let color = core_color(super::row_color(entry));
            let faint = color.with_alpha(FAINT_ALPHA.min(color.a));
            let mut add = |name: &str, run: &teleport_core::optim::Trajectory| {
                plot.rows.push(LevelSetRow::from_trajectory("", faint, run));
                plot.rows
                    .push(LevelSetRow::from_trajectory_until(name, color, run, t));
            };
            add(&name, &run.base);
            if let Some(branch) = &run.branch {
                add(&format!("{name} (teleported by hand)"), branch);
            }
        }
        plot.x0 = Some(self.state.x0);
        plot.minimizer = minima(&self.rt.objective).first().map(|(m, _)| *m);
        if self.state.show.orbit {
            let x = self.current_point();
            let y = teleport(&self.rt.objective, &x, self.state.theta);
            plot.current = Some(Orbit {
                point: [x.x, x.y],
                ring: self.surface_ring([x.x, x.y]),
                image: Some([y.x, y.y]).filter(|p| p.iter().all(|v| v.is_finite())),
            });
        }
        plot
    }

    /// The orbit ring through `x`, found again only when the task or the
    /// point changes.
    fn surface_ring(&mut self, x: [f64; 2]) -> Vec<[f64; 2]> {
        let obj = &self.rt.objective;
        if let Some((o, p, ring)) = &self.rt.surface.ring
            && o == obj
            && *p == x
        {
            return ring.clone();
        }
        let ring: Vec<[f64; 2]> = orbit(obj, &x.into(), 256)
            .iter()
            .map(|p| [p.x, p.y])
            .collect();
        self.rt.surface.ring = Some((obj.clone(), x, ring.clone()));
        ring
    }

    /// The surface the exports draw at `size` pixels: what
    /// [`Self::level_set_plot`] holds (every visible run whole, the current
    /// point at the timeline's step with its orbit), lifted, with the
    /// surface's settings.
    pub fn surface_export_plot(&self, size: [u32; 2]) -> SurfacePlot {
        let mut plot = self
            .surface_template()
            .with_level_set(&self.level_set_plot(size));
        plot.minimizer = minima(&self.rt.objective).first().map(|(m, _)| *m);
        plot
    }

    /// The surface's bytes in `format` at `size` pixels: PNG, or SVG text.
    pub fn surface_bytes(&self, format: PlotFormat, size: [u32; 2]) -> Result<Vec<u8>, String> {
        let plot = self.surface_export_plot(size);
        let mesh = plot.mesh().map_err(|e| e.to_string())?;
        let scene = scene_with_minima(&plot, &mesh);
        match format {
            PlotFormat::Png => teleport_core::plot::surface::surface_png(&scene),
            PlotFormat::Svg => {
                teleport_core::plot::surface::surface_svg(&scene).map(String::into_bytes)
            }
        }
        .map_err(|e| e.to_string())
    }

    /// File → Export surface (PNG or SVG): at the size the pane has on
    /// screen, or 1200 × 900 when it is closed.
    pub(super) fn export_surface(&mut self, ctx: &egui::Context, format: PlotFormat) {
        let ppp = ctx.pixels_per_point();
        let size = self
            .rt
            .surface
            .rect
            .filter(|_| self.state.panels.surface)
            .map(|r| [(r.width() * ppp) as u32, (r.height() * ppp) as u32])
            .filter(|[w, h]| *w >= 64 && *h >= 64)
            .unwrap_or(super::plot_export::DEFAULT_SIZE);
        let (name, extension, what) = match format {
            PlotFormat::Png => ("surface.png", "png", "the surface (PNG)"),
            PlotFormat::Svg => ("surface.svg", "svg", "the surface (SVG)"),
        };
        match self.surface_bytes(format, size) {
            Ok(bytes) => self.save_bytes(ctx, name, extension, &bytes, what, false),
            Err(e) => self.notify(ctx, format!("Cannot export the surface: {e}"), true),
        }
    }

    /// Turns the camera by a drag of `delta` points, zooms by `zoom`.
    fn move_camera(&mut self, delta: egui::Vec2, zoom: f64) {
        let camera = &mut self.state.surface.camera;
        camera.azimuth_deg = wrap_deg(camera.azimuth_deg - f64::from(delta.x) * DEG_PER_POINT);
        camera.elevation_deg = (camera.elevation_deg + f64::from(delta.y) * DEG_PER_POINT)
            .clamp(ELEVATION_MIN_DEG, ELEVATION_MAX_DEG);
        if zoom.is_finite() && zoom > 0.0 {
            camera.zoom = (camera.zoom * zoom).clamp(*ZOOM_RANGE.start(), *ZOOM_RANGE.end());
        }
    }

    /// The pane: a row of settings over the picture.
    pub(super) fn surface_pane_ui(&mut self, ui: &mut egui::Ui) {
        // A network's loss has a coordinate per weight: no surface over the
        // plane to draw (the plane's would be stale).
        if self.network_active() {
            ui.label(
                "The 3D surface shows f over the plane's two coordinates. A network's loss has one coordinate per weight: its loss slice, beside the data, is the view of it.",
            );
            return;
        }
        // The tile's rectangle, taken before the settings row could widen
        // the ui's (a row wider than a narrow tile does).
        let tile = ui.max_rect();
        self.surface_settings_ui(ui);
        let top = ui.min_rect().bottom() + ui.spacing().item_spacing.y;
        let rect =
            egui::Rect::from_min_max(egui::pos2(tile.left(), top.min(tile.bottom())), tile.max);
        let response = ui.allocate_rect(rect, egui::Sense::click_and_drag());
        if response.double_clicked() {
            self.state.surface.camera = Camera::default();
        } else {
            let drag = if response.dragged_by(egui::PointerButton::Primary) {
                response.drag_delta()
            } else {
                egui::Vec2::ZERO
            };
            let zoom = if response.hovered() {
                ui.input(|i| {
                    (f64::from(i.smooth_scroll_delta.y) * 0.002).exp() * f64::from(i.zoom_delta())
                })
            } else {
                1.0
            };
            if drag != egui::Vec2::ZERO || zoom != 1.0 {
                self.move_camera(drag, zoom);
            }
        }
        response.context_menu(|ui| {
            for command in [
                super::commands::UiCommand::ExportSurfacePng,
                super::commands::UiCommand::ExportSurfaceSvg,
            ] {
                if command.button(ui) {
                    self.run_ui_command(command);
                    ui.close();
                }
            }
            if ui.button("Reset camera").clicked() {
                self.state.surface.camera = Camera::default();
                ui.close();
            }
        });
        self.rt.surface.rect = Some(rect);
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 0.0, Color32::WHITE);
        let size = [
            rect.width().round().max(1.0) as u32,
            rect.height().round().max(1.0) as u32,
        ];
        let plot = self.surface_pane_plot(size);
        self.refresh_surface(&plot, rect.min, &painter);
        if let Some(e) = &self.rt.surface.error {
            painter.text(
                rect.center(),
                egui::Align2::CENTER_CENTER,
                format!("Cannot draw the surface: {e}"),
                egui::FontId::proportional(14.0),
                ui.visuals().error_fg_color,
            );
        }
        painter.extend(self.rt.surface.shapes.iter().cloned());
        // How to drive it, while the pointer is over it (never in a
        // screenshot taken without the pointer there).
        if response.hovered() && !response.dragged() {
            painter.text(
                rect.left_bottom() + egui::vec2(6.0, -4.0),
                egui::Align2::LEFT_BOTTOM,
                "drag to orbit · scroll to zoom · double-click to reset · right-click to export",
                egui::FontId::proportional(11.0),
                Color32::from_gray(110),
            );
        }
    }

    /// Builds the mesh if the task, view, facets or height scale changed,
    /// and the scene and its shapes if anything it shows changed.
    fn refresh_surface(&mut self, plot: &SurfacePlot, origin: Pos2, painter: &egui::Painter) {
        let rt = &mut self.rt.surface;
        if rt.plot.as_ref() == Some(plot) && rt.origin == Some(origin) && rt.scene.is_some() {
            return;
        }
        let fresh = rt.mesh.as_ref().is_some_and(|(p, _)| p.same_mesh(plot));
        if !fresh {
            match plot.mesh() {
                Ok(mesh) => {
                    rt.mesh = Some((plot.clone(), Arc::new(mesh)));
                    rt.mesh_builds += 1;
                    rt.error = None;
                }
                Err(e) => {
                    rt.mesh = None;
                    rt.scene = None;
                    rt.plot = None;
                    rt.shapes.clear();
                    rt.error = Some(e.to_string());
                    return;
                }
            }
        }
        let Some((_, mesh)) = &rt.mesh else {
            return;
        };
        let scene = scene_with_minima(plot, mesh);
        rt.shapes = scene_shapes(&scene, origin, painter);
        rt.scene = Some(scene);
        rt.plot = Some(plot.clone());
        rt.origin = Some(origin);
    }

    /// The height scale, the facets and a camera reset, in one row.
    fn surface_settings_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal_wrapped(|ui| {
            ui.label("height");
            let s = &mut self.state.surface;
            for scale in ZScale::ALL {
                let text = match scale {
                    ZScale::Auto => "auto",
                    ZScale::Linear => "f",
                    ZScale::Log => "log₁₀ f",
                };
                ui.radio_value(&mut s.z_scale, scale, text)
                    .on_hover_text(match scale {
                        ZScale::Auto => "log₁₀ f when f spans more than two decades over the view, else f",
                        ZScale::Linear => "z = f",
                        ZScale::Log => "z = log₁₀ f (its bottom rounded three decades below the top)",
                    });
            }
            if s.z_scale == ZScale::Auto
                && let Some(mesh) = self.rt.surface.mesh()
            {
                let now = if mesh.heights().log { "log₁₀ f" } else { "f" };
                ui.label(egui::RichText::new(format!("(z = {now})")).weak());
            }
            ui.separator();
            let s = &mut self.state.surface;
            egui::ComboBox::from_id_salt("surface-facets")
                .selected_text(format!("{0}×{0} facets", s.facets))
                .show_ui(ui, |ui| {
                    for n in FACET_CHOICES {
                        ui.selectable_value(&mut s.facets, n, format!("{n}×{n}"));
                    }
                });
            if ui
                .button("Reset camera")
                .on_hover_text("The default view (azimuth −60°, elevation 30°); a double-click on the picture does the same.")
                .clicked()
            {
                s.camera = Camera::default();
            }
            let c = s.camera;
            ui.label(
                egui::RichText::new(format!(
                    "azimuth {:.0}°, elevation {:.0}°",
                    c.azimuth_deg, c.elevation_deg
                ))
                .weak(),
            )
            .on_hover_text(
                "Drag the picture to orbit, scroll to zoom, double-click to reset; \
                 right-click it to export.",
            );
        });
    }
}

/// `--animate OUT --surface`: the playback in 3D at `size` pixels (frame
/// `k` what the level-set plot shows at step `k`, lifted), or with `orbit`
/// one turn of the camera around the surface of [`TeleportApp::surface_export_plot`]
/// in [`ORBIT_FRAMES`] frames; drawn and encoded on every core.
pub fn animate_surface_headless(
    app: &TeleportApp,
    settings: &super::animation::AnimationSettings,
    size: [u32; 2],
    orbit: bool,
) -> Result<(Vec<u8>, usize), String> {
    let threads = teleport_core::plot::all_cores();
    if orbit {
        let plot = app.surface_export_plot(size);
        let bytes = teleport_core::plot::surface_orbit_animation(
            &plot,
            ORBIT_FRAMES,
            ORBIT_FRAME_MS,
            settings.format,
            threads,
        )
        .map_err(|e| e.to_string())?;
        return Ok((bytes, ORBIT_FRAMES as usize));
    }
    let plots = app.playback_plots(size);
    let delays = super::plot_animation::delays(settings, plots.len());
    let template = app.surface_template();
    let bytes = teleport_core::plot::surface_playback_animation(
        &plots,
        &template,
        &delays,
        settings.format,
        threads,
    )
    .map_err(|e| e.to_string())?;
    Ok((bytes, plots.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn superscripts_are_read_as_the_core_reads_them() {
        let spans = superscript_spans("10^{-3} and ‖∇f‖^2 and a^");
        assert_eq!(
            spans,
            vec![
                ("10".to_owned(), false),
                ("-3".to_owned(), true),
                (" and ‖∇f‖".to_owned(), false),
                ("2".to_owned(), true),
                (" and a^".to_owned(), false),
            ]
        );
        assert_eq!(superscript_spans("x₀"), vec![("x₀".to_owned(), false)]);
        assert_eq!(
            superscript_spans("a^{open"),
            vec![("a".to_owned(), false), ("open".to_owned(), true)]
        );
    }

    /// The dashes of a straight line measured against the pattern's
    /// arithmetic: where each dash starts and ends.
    #[test]
    fn dashes_follow_the_pattern_from_its_offset() {
        let line = [
            Pos2::new(0.0, 0.0),
            Pos2::new(10.0, 0.0),
            Pos2::new(20.0, 0.0),
        ];
        let ends = |d: Vec<Vec<Pos2>>| -> Vec<(f32, f32)> {
            d.iter().map(|p| (p[0].x, p[p.len() - 1].x)).collect()
        };
        let d = dashes(
            &line,
            Dash {
                on: 4.0,
                off: 2.0,
                offset: 0.0,
            },
        );
        assert_eq!(
            ends(d),
            vec![(0.0, 4.0), (6.0, 10.0), (12.0, 16.0), (18.0, 20.0)]
        );
        // Starting 5 into the pattern: 1 of gap left, then dashes.
        let d = dashes(
            &line,
            Dash {
                on: 4.0,
                off: 2.0,
                offset: 5.0,
            },
        );
        assert_eq!(
            ends(d),
            vec![(1.0, 5.0), (7.0, 11.0), (13.0, 17.0), (19.0, 20.0)]
        );
        // Starting 1 into a dash: 3 of it left.
        let d = dashes(
            &line,
            Dash {
                on: 4.0,
                off: 2.0,
                offset: 7.0,
            },
        );
        assert_eq!(ends(d)[0], (0.0, 3.0));
        // The dash across the corner (9 to 13) keeps it.
        let d = dashes(
            &line,
            Dash {
                on: 4.0,
                off: 2.0,
                offset: 3.0,
            },
        );
        assert!(d.iter().any(|p| p.len() == 3 && p[1].x == 10.0), "{d:?}");
    }

    #[test]
    fn settings_are_made_usable() {
        let mut s = SurfaceSettings {
            camera: Camera {
                azimuth_deg: 540.0,
                elevation_deg: 120.0,
                zoom: 100.0,
            },
            z_scale: ZScale::Log,
            facets: 4000,
        };
        s.normalize();
        assert_eq!(s.camera.azimuth_deg, -180.0);
        assert_eq!(s.camera.elevation_deg, ELEVATION_MAX_DEG);
        assert_eq!(s.camera.zoom, *ZOOM_RANGE.end());
        assert_eq!(s.facets, 96);
        s.camera.azimuth_deg = f64::NAN;
        s.normalize();
        assert_eq!(s.camera, Camera::default());
        let once = s.clone();
        s.normalize();
        assert_eq!(s, once);
    }
}
