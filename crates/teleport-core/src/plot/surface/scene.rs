//! Projecting and ordering: the primitives of a scene, back to front.

use super::super::canvas::{Canvas, Surface};
use super::super::level_set::CONTOUR_COLOR;
use super::super::{dash_pattern, fonts, format_tick, linear_ticks};
use super::mesh::cell_index;
use super::{
    Camera, Color, Dash, FacetRef, HIDDEN_ALPHA, LABEL_PX, Lifted, Line3, Marker3, Primitive,
    Projection, RIM_COLOR, Stroke, SurfaceMesh, SurfacePlot, SurfaceScene, TICK_PX, TITLE_PX, dot,
    normalize,
};

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
pub(super) fn build_scene(
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
                let facet = |points: Vec<[f32; 2]>| Primitive::Polygon {
                    points,
                    fill,
                    outline: None,
                    antialias: false,
                };
                let convex = is_convex(&k.map(|k| screen[k]));
                facets.push(FacetRef {
                    primitive: out.len(),
                    cell: [i, j],
                    triangles: !convex,
                });
                if convex {
                    out.push(facet(points));
                } else {
                    // At a fold the quadrilateral crosses itself, and filling
                    // it would leave a hole: two triangles (split along the
                    // diagonal from the lower-left corner), the farther first.
                    let world = k.map(|k| mesh.node(k % side, k / side));
                    let centre = |t: [usize; 3]| {
                        [0, 1, 2].map(|m| t.iter().map(|&v| world[v][m]).sum::<f64>() / 3.0)
                    };
                    let mut halves = [[0, 1, 2], [0, 2, 3]];
                    if projection.depth(centre(halves[0])) > projection.depth(centre(halves[1])) {
                        halves.swap(0, 1);
                    }
                    for half in halves {
                        out.push(facet(half.iter().map(|&v| points[v]).collect()));
                    }
                }
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

/// Whether a quadrilateral turns the same way at every corner (a straight
/// or degenerate corner turns either way).
fn is_convex(q: &[[f64; 2]; 4]) -> bool {
    let turns = (0..4).map(|k| {
        let (a, b, c) = (q[k], q[(k + 1) % 4], q[(k + 2) % 4]);
        (b[0] - a[0]) * (c[1] - b[1]) - (b[1] - a[1]) * (c[0] - b[0])
    });
    let (mut left, mut right) = (false, false);
    for t in turns {
        left |= t > 0.0;
        right |= t < 0.0;
    }
    !(left && right)
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
            out.extend(text(label, &format_tick(*v, step), TICK_PX, [0.5, 0.5]));
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
            .map(|v| (v, format_tick(v, step)))
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
