//! The 3D surface view against independent computations: an orthographic
//! projection written here from rotation matrices, heights computed from
//! `f` on a grid sampled here, a depth test of every pair of overlapping
//! facets, the teleport's invariance of `f`; and its exports (deterministic,
//! SVG rendered by resvg against the PNG, no NaN anywhere).

#![allow(clippy::expect_used, clippy::unwrap_used, reason = "tests")]

mod common;

use common::svg::{compare, render_svg};

use teleport_core::anim::AnimFormat;
use teleport_core::objective::{Custom, Objective, Preset, Vec2};
use teleport_core::plot::surface::{
    BOX_HEIGHT, Camera, LOG_DEPTH_DECADES, LineKind, Primitive, SurfaceError, SurfacePlot,
    SurfaceScene, ZScale, surface_png, surface_svg,
};
use teleport_core::plot::{LevelSetRow, Orbit, PALETTE, surface_orbit_animation};
use teleport_core::symmetry::{orbit, teleport};

/// A few cameras all around, low and high, zoomed in and out.
const CAMERAS: [(f64, f64, f64); 6] = [
    (-60.0, 30.0, 1.0),
    (-120.0, 12.0, 1.0),
    (30.0, 60.0, 1.3),
    (150.0, 45.0, 0.7),
    (-90.0, 89.0, 1.0),
    (200.0, 5.0, 1.0),
];

fn camera((azimuth_deg, elevation_deg, zoom): (f64, f64, f64)) -> Camera {
    Camera {
        azimuth_deg,
        elevation_deg,
        zoom,
    }
}

/// GD on the fixed ellipse from x₀ = (−5, 3.5) with lr 0.1, teleporting by
/// θ = π (a half turn, which stays in the symmetric view) every third step: the row's points (broken at each jump) and
/// jumps, as `LevelSetRow::from_trajectory` lays them out.
fn teleporting_row(obj: &Objective) -> LevelSetRow {
    let mut x = Vec2::new(-5.0, 3.5);
    let (mut points, mut jumps) = (vec![[x.x, x.y]], vec![]);
    for k in 0..12 {
        if k % 3 == 1 {
            let y = teleport(obj, &x, std::f64::consts::PI);
            jumps.push([[x.x, x.y], [y.x, y.y]]);
            points.push([f64::NAN; 2]);
            x = y;
            points.push([x.x, x.y]);
        }
        x -= 0.1 * obj.grad(&x);
        points.push([x.x, x.y]);
    }
    LevelSetRow {
        name: "GD + teleport".into(),
        color: PALETTE[1],
        points,
        jumps,
        shown: true,
    }
}

/// The fixed ellipse with a teleporting row, the orbit of a point and the
/// markers, on a small picture and grid.
fn ellipse_plot() -> SurfacePlot {
    let obj = Preset::ElliFixed.objective();
    let mut plot = SurfacePlot::new(obj.clone(), (-6.0, 6.0), (-4.5, 4.5));
    (plot.width, plot.height) = (480, 360);
    plot.facets = 24;
    plot.title = "GD + teleport".into();
    plot.rows.push(teleporting_row(&obj));
    let x = Vec2::new(-3.0, 1.0);
    let y = teleport(&obj, &x, 2.0);
    plot.current = Some(Orbit {
        point: [x.x, x.y],
        ring: orbit(&obj, &x, 128).iter().map(|p| [p.x, p.y]).collect(),
        image: Some([y.x, y.y]),
    });
    plot.x0 = Some([-5.0, 3.5]);
    plot.minimizer = Some([0.0, 0.0]);
    plot
}

/// Heights as documented, from `f` sampled here on the plot's grid: the
/// logarithm of `f − s + ε` (s the grid's minimum if negative, ε 10⁻³ of
/// the largest `f − s`) when asked or when the values span more than two
/// decades, clamped to the grid's range of heights.
struct Heights {
    log: bool,
    shift: f64,
    offset: f64,
    lo: f64,
    hi: f64,
}

impl Heights {
    fn of(plot: &SurfacePlot, f: &dyn Fn(f64, f64) -> f64) -> Heights {
        let n = plot.facets;
        let mut values = vec![];
        for j in 0..=n {
            for i in 0..=n {
                let x = plot.x_range.0 + (plot.x_range.1 - plot.x_range.0) * i as f64 / n as f64;
                let y = plot.y_range.0 + (plot.y_range.1 - plot.y_range.0) * j as f64 / n as f64;
                values.push(f(x, y));
            }
        }
        values.retain(|v| v.is_finite());
        values.sort_by(f64::total_cmp);
        let (min, max) = (values[0], values[values.len() - 1]);
        let shift = min.min(0.0);
        let offset = (max - shift) * 10f64.powf(-LOG_DEPTH_DECADES);
        // The 1st percentile, interpolated as `stats::quantile` does.
        let pos = 0.01 * (values.len() - 1) as f64;
        let (k, frac) = (pos.floor() as usize, pos.fract());
        let low = values[k] + frac * (values[(k + 1).min(values.len() - 1)] - values[k]) - shift;
        let log = match plot.z_scale {
            ZScale::Linear => false,
            ZScale::Log => true,
            ZScale::Auto => ((max - shift + offset) / (low + offset)).log10() > 2.0,
        };
        let mut h = Heights {
            log,
            shift,
            offset,
            lo: f64::NEG_INFINITY,
            hi: f64::INFINITY,
        };
        (h.lo, h.hi) = (h.z(min), h.z(max));
        h
    }

    fn z(&self, f: f64) -> f64 {
        let z = if self.log {
            (f - self.shift + self.offset).log10()
        } else {
            f
        };
        z.clamp(self.lo, self.hi)
    }
}

/// An orthographic projection written independently of the library's:
/// normalize (x, y by half the longer side, z to `BOX_HEIGHT` of it), turn
/// the world about z by −(azimuth + 90°) so that the viewer stands on −y,
/// tilt it about x by the elevation so that the viewer looks along +y, and
/// read (x, z) as screen right and up from the projected box centre at the
/// scene's scale.
fn project(scene: &SurfaceScene, p: [f64; 3]) -> [f64; 2] {
    let pr = &scene.projection;
    let b = pr.bounds();
    let half = (b.x.1 - b.x.0).max(b.y.1 - b.y.0) / 2.0;
    let centre = [
        (b.x.0 + b.x.1) / 2.0,
        (b.y.0 + b.y.1) / 2.0,
        (b.z.0 + b.z.1) / 2.0,
    ];
    let n = [
        (p[0] - centre[0]) / half,
        (p[1] - centre[1]) / half,
        (p[2] - centre[2]) / ((b.z.1 - b.z.0) / 2.0) * BOX_HEIGHT,
    ];
    let cam = pr.camera();
    let turn = (-cam.azimuth_deg - 90.0).to_radians();
    let tilt = cam.elevation_deg.to_radians();
    let rz = [
        [turn.cos(), -turn.sin(), 0.0],
        [turn.sin(), turn.cos(), 0.0],
        [0.0, 0.0, 1.0],
    ];
    let rx = [
        [1.0, 0.0, 0.0],
        [0.0, tilt.cos(), -tilt.sin()],
        [0.0, tilt.sin(), tilt.cos()],
    ];
    let mul = |m: [[f64; 3]; 3], v: [f64; 3]| {
        [0, 1, 2].map(|r| m[r][0] * v[0] + m[r][1] * v[1] + m[r][2] * v[2])
    };
    let v = mul(rx, mul(rz, n));
    let origin = pr.screen_from_world(centre);
    [origin[0] + pr.scale() * v[0], origin[1] - pr.scale() * v[2]]
}

/// How near a point is to the viewer, by the same independent rotation.
fn depth(scene: &SurfaceScene, p: [f64; 3]) -> f64 {
    let pr = &scene.projection;
    let b = pr.bounds();
    let half = (b.x.1 - b.x.0).max(b.y.1 - b.y.0) / 2.0;
    let n = [
        (p[0] - (b.x.0 + b.x.1) / 2.0) / half,
        (p[1] - (b.y.0 + b.y.1) / 2.0) / half,
        (p[2] - (b.z.0 + b.z.1) / 2.0) / ((b.z.1 - b.z.0) / 2.0) * BOX_HEIGHT,
    ];
    let cam = pr.camera();
    let (a, e) = (cam.azimuth_deg.to_radians(), cam.elevation_deg.to_radians());
    // The viewer stands at distance along (cos e cos a, cos e sin a, sin e).
    n[0] * e.cos() * a.cos() + n[1] * e.cos() * a.sin() + n[2] * e.sin()
}

/// Every vertex of every polyline of this colour and width.
fn polyline_vertices(
    scene: &SurfaceScene,
    color: teleport_core::plot::Color,
    width: f32,
) -> Vec<[f32; 2]> {
    scene
        .primitives
        .iter()
        .filter_map(|p| match p {
            Primitive::Polyline { points, stroke }
                if stroke.color == color && stroke.width == width =>
            {
                Some(points.clone())
            }
            _ => None,
        })
        .flatten()
        .collect()
}

#[test]
fn lifted_trajectory_points_project_as_an_independent_orthographic_projection() {
    let plot = ellipse_plot();
    let obj = plot.objective.clone();
    let f = |x: f64, y: f64| obj.f(&Vec2::new(x, y));
    let heights = Heights::of(&plot, &f);
    assert!(heights.log, "the ellipse spans more than two decades");
    let row = &plot.rows[0];
    let mut checked = 0;
    for cam in CAMERAS {
        let plot = SurfacePlot {
            camera: camera(cam),
            ..plot.clone()
        };
        let scene = plot.scene().unwrap();
        let vertices = polyline_vertices(&scene, row.color, 2.0);
        let in_view = |p: &&[f64; 2]| p[0].abs() <= 6.0 && p[1].abs() <= 4.5;
        for p in row.points.iter().filter(in_view) {
            let want = project(&scene, [p[0], p[1], heights.z(f(p[0], p[1]))]);
            let near = vertices
                .iter()
                .map(|v| (f64::from(v[0]) - want[0]).hypot(f64::from(v[1]) - want[1]))
                .fold(f64::INFINITY, f64::min);
            assert!(near < 0.01, "{cam:?}: {p:?} lands {near} px from {want:?}");
            checked += 1;
        }
        // The library's own projection of the same point agrees too.
        let p = row.points[0];
        let lib = scene
            .projection
            .screen_from_world([p[0], p[1], heights.z(f(p[0], p[1]))]);
        let want = project(&scene, [p[0], p[1], heights.z(f(p[0], p[1]))]);
        assert!((lib[0] - want[0]).hypot(lib[1] - want[1]) < 1e-9, "{cam:?}");
    }
    assert!(checked > 60, "{checked} points checked");
}

/// At zoom 1 the box's corners stay inside the picture less its 40 px
/// margin at every azimuth, and at some azimuth they reach the margin: the
/// fit is the largest that works all the way round.
#[test]
fn the_box_fits_the_picture_at_every_azimuth() {
    let plot = SurfacePlot {
        title: String::new(),
        ..ellipse_plot()
    };
    let mesh = plot.mesh().unwrap();
    let b = mesh.bounds();
    // 480 × 360 without a title: 200 px each side of the centre, 140 above and below.
    let (cx, cy, half_w, half_h) = (240.0, 180.0, 200.0, 140.0);
    for elevation in [5.0, 20.0, 45.0, 70.0, 89.0] {
        let mut widest = (0.0f64, 0.0f64);
        for k in 0..72 {
            let cam = Camera {
                azimuth_deg: 5.0 * f64::from(k),
                elevation_deg: elevation,
                zoom: 1.0,
            };
            let scene = plot.scene_with_camera(&mesh, cam);
            for x in [b.x.0, b.x.1] {
                for y in [b.y.0, b.y.1] {
                    for z in [b.z.0, b.z.1] {
                        let [sx, sy] = project(&scene, [x, y, z]);
                        widest = (widest.0.max((sx - cx).abs()), widest.1.max((sy - cy).abs()));
                    }
                }
            }
        }
        assert!(
            widest.0 <= half_w + 1e-6 && widest.1 <= half_h + 1e-6,
            "elevation {elevation}: corners reach {widest:?}"
        );
        assert!(
            widest.0 > half_w - 1.0 || widest.1 > half_h - 1.0,
            "elevation {elevation}: corners only reach {widest:?}"
        );
    }
}

/// A height function shared with a mesh.
type Height = std::sync::Arc<dyn Fn(f64, f64) -> f64 + Send + Sync>;

/// The test surfaces for ordering facets.
fn synthetic() -> Vec<(&'static str, Height)> {
    vec![
        (
            "bowl",
            std::sync::Arc::new(|x: f64, y: f64| x * x + 2.0 * y * y),
        ),
        (
            "saddle",
            std::sync::Arc::new(|x: f64, y: f64| x * x - y * y),
        ),
        (
            "ripples",
            std::sync::Arc::new(|x: f64, y: f64| (1.5 * x).sin() * (1.2 * y).cos() * 2.0),
        ),
        (
            "cliff",
            std::sync::Arc::new(|x: f64, y: f64| (4.0 * (x + 0.3 * y)).tanh() * 3.0 + 0.1 * y * y),
        ),
        (
            "peak",
            std::sync::Arc::new(|x: f64, y: f64| 4.0 * (-(x * x + y * y)).exp()),
        ),
    ]
}

/// Inside the triangle `t` (strictly, beyond `margin` in barycentric
/// weights): the weights, else `None`.
fn barycentric(t: [[f64; 2]; 3], p: [f64; 2], margin: f64) -> Option<[f64; 3]> {
    let det = (t[1][1] - t[2][1]) * (t[0][0] - t[2][0]) + (t[2][0] - t[1][0]) * (t[0][1] - t[2][1]);
    if det.abs() < 1e-12 {
        return None;
    }
    let a = ((t[1][1] - t[2][1]) * (p[0] - t[2][0]) + (t[2][0] - t[1][0]) * (p[1] - t[2][1])) / det;
    let b = ((t[2][1] - t[0][1]) * (p[0] - t[2][0]) + (t[0][0] - t[2][0]) * (p[1] - t[2][1])) / det;
    let c = 1.0 - a - b;
    (a > margin && b > margin && c > margin).then_some([a, b, c])
}

/// For every pair of facets whose pictures overlap, the one drawn later is
/// the nearer where they overlap: sample points inside each facet's two
/// triangles, find the earlier facets that cover them, and compare the
/// depths of both at that pixel (interpolated on the triangles, with the
/// independent depth).
#[test]
fn a_facet_drawn_later_is_never_behind_an_earlier_overlapping_one() {
    for (name, f) in synthetic() {
        let mut overlaps = 0;
        for cam in CAMERAS {
            let mut plot =
                SurfacePlot::new(Preset::ElliFixed.objective(), (-2.0, 2.0), (-1.5, 1.5));
            (plot.width, plot.height, plot.facets) = (400, 300, 10);
            plot.z_scale = ZScale::Linear;
            plot.contours = 0;
            plot.camera = camera(cam);
            let g = f.clone();
            let mesh = plot.mesh_with(move |x, y| g(x, y)).unwrap();
            let scene = plot.scene_on(&mesh);
            let n = plot.facets;
            let node = |i: usize, j: usize| {
                let x = -2.0 + 4.0 * i as f64 / n as f64;
                let y = -1.5 + 3.0 * j as f64 / n as f64;
                [x, y, f(x, y)]
            };
            // Each facet's two triangles, in world and on screen, in draw order.
            let triangles: Vec<[([f64; 3], [f64; 2]); 6]> = scene
                .facets
                .iter()
                .map(|facet| {
                    let [i, j] = facet.cell;
                    let q = [
                        node(i, j),
                        node(i + 1, j),
                        node(i + 1, j + 1),
                        node(i, j + 1),
                    ];
                    [0, 1, 2, 0, 2, 3].map(|k| (q[k], project(&scene, q[k])))
                })
                .collect();
            for (later, tl) in triangles.iter().enumerate() {
                for half in [0, 3] {
                    let t = [tl[half], tl[half + 1], tl[half + 2]];
                    for (wa, wb) in [(0.6, 0.2), (0.2, 0.6), (0.2, 0.2), (0.34, 0.33)] {
                        let w = [wa, wb, 1.0 - wa - wb];
                        let s =
                            [0, 1].map(|k| t[0].1[k] * w[0] + t[1].1[k] * w[1] + t[2].1[k] * w[2]);
                        let d_later = depth(
                            &scene,
                            [0, 1, 2]
                                .map(|k| t[0].0[k] * w[0] + t[1].0[k] * w[1] + t[2].0[k] * w[2]),
                        );
                        for te in &triangles[..later] {
                            for h in [0, 3] {
                                let e = [te[h], te[h + 1], te[h + 2]];
                                let Some(we) = barycentric([e[0].1, e[1].1, e[2].1], s, 0.02)
                                else {
                                    continue;
                                };
                                let d_earlier = depth(
                                    &scene,
                                    [0, 1, 2].map(|k| {
                                        e[0].0[k] * we[0] + e[1].0[k] * we[1] + e[2].0[k] * we[2]
                                    }),
                                );
                                overlaps += 1;
                                assert!(
                                    d_later >= d_earlier - 1e-9,
                                    "{name} {cam:?}: facet {later} drawn over a nearer one ({d_later} < {d_earlier})"
                                );
                            }
                        }
                    }
                }
            }
        }
        // The low cameras see folds: some facets do overlap.
        assert!(overlaps > 20, "{name}: {overlaps} overlaps tested");
    }
}

/// f with a NaN strip, an infinite disc and finite values elsewhere.
fn holed(x: f64, y: f64) -> f64 {
    if x < -1.2 {
        f64::NAN
    } else if (x - 0.8).powi(2) + y * y < 0.2 {
        f64::INFINITY
    } else {
        x * x + y * y + 0.5
    }
}

/// Every grid cell whose four corners are finite gets exactly one facet,
/// drawn as the projection of its corners; no other cell does; the facets
/// cover the picture of the grid without holes (each cell's centre lies in
/// its own facet).
#[test]
fn every_finite_cell_yields_one_facet() {
    for cam in CAMERAS {
        let mut plot = SurfacePlot::new(Preset::ElliFixed.objective(), (-2.0, 2.0), (-1.5, 1.5));
        (plot.width, plot.height, plot.facets) = (400, 300, 16);
        plot.camera = camera(cam);
        let mesh = plot.mesh_with(holed).unwrap();
        let scene = plot.scene_on(&mesh);
        let n = plot.facets;
        let xy = |i: usize, j: usize| {
            [
                -2.0 + 4.0 * i as f64 / n as f64,
                -1.5 + 3.0 * j as f64 / n as f64,
            ]
        };
        let finite = |i: usize, j: usize| {
            [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)]
                .iter()
                .all(|&(i, j)| {
                    let [x, y] = xy(i, j);
                    holed(x, y).is_finite()
                })
        };
        let want: usize = (0..n * n).filter(|c| finite(c % n, c / n)).count();
        assert!(want > n * n / 2 && want < n * n, "{want} finite cells");
        assert_eq!(scene.facets.len(), want, "{cam:?}");
        let mut seen = vec![false; n * n];
        for facet in &scene.facets {
            let [i, j] = facet.cell;
            assert!(finite(i, j) && !seen[j * n + i], "{cam:?}: cell {i}, {j}");
            seen[j * n + i] = true;
            let corners = [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)];
            let want: Vec<[f64; 2]> = corners
                .iter()
                .map(|&(a, b)| {
                    let [x, y] = xy(a, b);
                    let z = mesh.heights().z_of_f(holed(x, y)).unwrap();
                    project(&scene, [x, y, z])
                })
                .collect();
            // One quadrilateral of the corners, or two triangles that split
            // it along the diagonal from the lower-left corner.
            let shapes: Vec<Vec<usize>> = if facet.triangles {
                vec![vec![0, 1, 2], vec![0, 2, 3]]
            } else {
                vec![vec![0, 1, 2, 3]]
            };
            let mut drawn: Vec<Vec<[f32; 2]>> = shapes
                .iter()
                .enumerate()
                .map(|(k, _)| match &scene.primitives[facet.primitive + k] {
                    Primitive::Polygon { points, .. } => points.clone(),
                    other => panic!("a facet is polygons: {other:?}"),
                })
                .collect();
            // The farther triangle comes first, which may be either.
            let second_corner = drawn[0][1].map(f64::from);
            let off = (second_corner[0] - want[1][0]).hypot(second_corner[1] - want[1][1]);
            if facet.triangles && off > 0.01 {
                drawn.swap(0, 1);
            }
            for (shape, points) in shapes.iter().zip(&drawn) {
                assert!(convex(points), "{cam:?}: cell {i}, {j} is not convex");
                for (&v, p) in shape.iter().zip(points) {
                    let got = [f64::from(p[0]), f64::from(p[1])];
                    let d = (got[0] - want[v][0]).hypot(got[1] - want[v][1]);
                    assert!(d < 0.01, "{cam:?}: cell {i}, {j} corner {v} off by {d}");
                }
            }
        }
    }
    // The Rosenbrock valley's walls do, seen from the default camera: the
    // quadrilaterals there cross themselves and come as two triangles each,
    // every polygon convex.
    let mut plot = SurfacePlot::new(Preset::Rosenbrock.objective(), (-2.0, 2.0), (-1.0, 3.0));
    (plot.width, plot.height) = (600, 450);
    let scene = plot.scene().unwrap();
    let split = scene.facets.iter().filter(|f| f.triangles).count();
    assert!(split > 10, "{split} facets split");
    for facet in &scene.facets {
        for k in 0..1 + usize::from(facet.triangles) {
            let Primitive::Polygon { points, .. } = &scene.primitives[facet.primitive + k] else {
                panic!("a facet is polygons");
            };
            assert_eq!(points.len(), if facet.triangles { 3 } else { 4 });
            assert!(convex(points), "cell {:?}", facet.cell);
        }
    }
}

/// Whether a polygon turns the same way at every corner.
fn convex(points: &[[f32; 2]]) -> bool {
    let n = points.len();
    let turns: Vec<f64> = (0..n)
        .map(|k| {
            let [a, b, c] = [0, 1, 2].map(|d| points[(k + d) % n].map(f64::from));
            (b[0] - a[0]) * (c[1] - b[1]) - (b[1] - a[1]) * (c[0] - b[0])
        })
        .collect();
    turns.iter().all(|&t| t >= -1e-6) || turns.iter().all(|&t| t <= 1e-6)
}

/// The teleport keeps f, so its jump is horizontal: both ends (and the
/// landing diamond) at the height of f where it left, which is the height
/// of f where it lands. The orbit ring lies at the height of f at the
/// current point, which is f along the whole orbit.
#[test]
fn a_teleport_is_horizontal_and_the_orbit_ring_sits_at_f_of_its_point() {
    let plot = ellipse_plot();
    let obj = plot.objective.clone();
    let f = |x: f64, y: f64| obj.f(&Vec2::new(x, y));
    let heights = Heights::of(&plot, &f);
    let mesh = plot.mesh().unwrap();
    let lifted = plot.lift(&mesh);
    let jumps: Vec<_> = lifted
        .lines
        .iter()
        .filter(|l| l.kind == LineKind::Jump)
        .collect();
    assert_eq!(jumps.len(), 1);
    let row = &plot.rows[0];
    let in_view = |p: &[f64; 2]| p[0].abs() <= 6.0 && p[1].abs() <= 4.5;
    let inside: Vec<_> = row
        .jumps
        .iter()
        .filter(|[a, b]| in_view(a) && in_view(b))
        .collect();
    assert!(inside.len() >= 2, "{} jumps in view", inside.len());
    let mut runs = jumps[0].runs.iter();
    for [from, to] in inside {
        // The jumps that leave the view come as cut runs: skip to this one.
        let run = runs
            .by_ref()
            .find(|r| [r[0][0], r[0][1]] == *from)
            .expect("the jump's run");
        let z = heights.z(f(from[0], from[1]));
        let z_to = heights.z(f(to[0], to[1]));
        assert!(
            (z - z_to).abs() < 1e-9 * z.abs().max(1.0),
            "the teleport changed f"
        );
        assert!(
            run.iter().all(|p| p[2] == run[0][2]),
            "a jump is horizontal: {run:?}"
        );
        assert!((run[0][2] - z).abs() < 1e-12, "{} vs {z}", run[0][2]);
        assert_eq!([run[0][0], run[0][1]], *from);
        let last = run[run.len() - 1];
        assert_eq!([last[0], last[1]], *to);
    }
    let current = plot.current.as_ref().unwrap();
    let z = heights.z(f(current.point[0], current.point[1]));
    let ring: Vec<_> = lifted
        .lines
        .iter()
        .filter(|l| l.kind == LineKind::Orbit)
        .collect();
    assert_eq!(ring.len(), 1);
    let points: Vec<[f64; 3]> = ring[0].runs.iter().flatten().copied().collect();
    // Part of the ring leaves the view (x reaches ±6.7).
    assert!(points.len() >= 64, "{} ring points", points.len());
    for p in &points {
        assert!((p[2] - z).abs() < 1e-12);
        // Inside the view the ring's points are the orbit's (the cuts at the
        // edge are interpolated along a chord).
        if p[0].abs() < 6.0 && p[1].abs() < 4.5 {
            assert!(
                (heights.z(f(p[0], p[1])) - z).abs() < 1e-6,
                "the orbit is a level set"
            );
        }
    }
    // g_θ(x) sits on the ring.
    let image = lifted
        .markers
        .iter()
        .find(|m| m.name.as_deref() == Some("g_θ(x)"))
        .unwrap();
    assert!((image.at[2] - z).abs() < 1e-12);
}

#[test]
fn exports_are_deterministic() {
    let plot = ellipse_plot();
    assert_eq!(plot.to_png().unwrap(), plot.to_png().unwrap());
    let svg = plot.to_svg().unwrap();
    assert_eq!(svg, plot.to_svg().unwrap());
    assert!(svg.contains(">GD + teleport</text>") && svg.contains("crispEdges"));
}

/// The SVG rendered by resvg matches the PNG. Facets are filled without
/// anti-aliasing in both, so they agree exactly; what differs is glyph
/// edges, as in the 2D charts (the bounds are theirs).
#[test]
fn the_svg_renders_like_the_png() {
    for cam in [CAMERAS[0], CAMERAS[2]] {
        let plot = SurfacePlot {
            camera: camera(cam),
            ..ellipse_plot()
        };
        let scene = plot.scene().unwrap();
        let png = tiny_skia::Pixmap::decode_png(&surface_png(&scene).unwrap()).unwrap();
        let drawn = render_svg(&surface_svg(&scene).unwrap());
        assert_eq!((drawn.width(), drawn.height()), (png.width(), png.height()));
        let (mean, close) = compare(png.data(), drawn.data(), 32);
        eprintln!(
            "{cam:?}: mean |Δ| = {mean:.3} per channel, {:.3}% within 32",
            close * 100.0
        );
        assert!(mean < 0.25 && close > 0.998, "mean {mean}, close {close}");
    }
}

/// A NaN strip and an infinite disc leave holes in the mesh, and a
/// trajectory across them breaks, but no primitive has a non-finite
/// coordinate and the exports say neither NaN nor inf. The same with an
/// objective: a custom h with √x, NaN left of x = 0.
#[test]
fn non_finite_regions_draw_without_nan() {
    let mut plot = SurfacePlot::new(Preset::ElliFixed.objective(), (-2.0, 2.0), (-1.5, 1.5));
    (plot.width, plot.height, plot.facets) = (400, 300, 16);
    plot.rows.push(LevelSetRow {
        name: "across".into(),
        color: PALETTE[0],
        points: vec![
            [-1.9, 0.0],
            [-1.0, 0.1],
            [0.8, 0.0],
            [1.5, 0.5],
            [f64::NAN, 1.0],
            [1.8, 1.2],
        ],
        jumps: vec![[[-1.9, 0.0], [1.0, 1.0]], [[0.0, 1.0], [0.8, 0.0]]],
        shown: true,
    });
    plot.current = Some(Orbit {
        point: [0.8, 0.0],
        ring: vec![[0.0, 0.0], [1.0, 1.0], [f64::INFINITY, 0.0]],
        image: Some([f64::NAN, 0.0]),
    });
    plot.x0 = Some([-1.9, 0.0]);
    let check = |scene: &SurfaceScene| {
        let finite = |p: &[f32; 2]| p.iter().all(|v| v.is_finite());
        for p in &scene.primitives {
            let ok = match p {
                Primitive::Polygon { points, .. } | Primitive::Polyline { points, .. } => {
                    points.iter().all(finite)
                }
                Primitive::Marker { at, .. } | Primitive::Text { at, .. } => finite(at),
            };
            assert!(ok, "{p:?}");
        }
        let svg = surface_svg(scene).unwrap();
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        assert!(surface_png(scene).is_ok());
    };
    for cam in CAMERAS {
        plot.camera = camera(cam);
        let mesh = plot.mesh_with(holed).unwrap();
        check(&plot.scene_on(&mesh));
    }
    // Nothing finite at all: no facet, no rim, no contour, still no NaN.
    let mesh = plot.mesh_with(|_, _| f64::NAN).unwrap();
    let scene = plot.scene_on(&mesh);
    assert!(scene.facets.is_empty());
    check(&scene);
    let sqrt = Objective::Custom(std::sync::Arc::new(
        Custom::new(["sqrt(x)", "y"], None).unwrap(),
    ));
    let plot = SurfacePlot {
        objective: sqrt,
        ..plot
    };
    let scene = plot.scene().unwrap();
    check(&scene);
    // x < 0 has no facet: the cells right of x = 0 do (16 × 8 of them).
    assert_eq!(scene.facets.len(), 16 * 8);
}

/// f = (x² + y²)² − 3 is negative around the origin: the logarithm reads
/// f − min f (shifted by the grid's minimum, −3 at the centre node), every
/// node gets a finite height and every cell a facet.
#[test]
fn negative_f_is_shifted_for_the_logarithm() {
    let mut plot = SurfacePlot::new(Preset::ElliFixed.objective(), (-4.0, 4.0), (-4.0, 4.0));
    (plot.width, plot.height, plot.facets) = (400, 300, 16);
    let f = |x: f64, y: f64| (x * x + y * y).powi(2) - 3.0;
    let mesh = plot.mesh_with(f).unwrap();
    let h = mesh.heights();
    assert!(h.log, "1024 over 1e-3 of it spans six decades");
    assert_eq!(h.shift, -3.0);
    let want = Heights::of(&plot, &f);
    assert!((h.z.0 - want.lo).abs() < 1e-12 && (h.z.1 - want.hi).abs() < 1e-12);
    assert!((h.z_of_f(-3.0).unwrap() - want.z(-3.0)).abs() < 1e-12);
    let scene = plot.scene_on(&mesh);
    assert_eq!(scene.facets.len(), 16 * 16);
    // A flat-ish surface within two decades stays linear.
    let mesh = plot.mesh_with(|x, y| 10.0 + x + 0.5 * y).unwrap();
    assert!(!mesh.heights().log);
    assert_eq!(mesh.heights().z, (10.0 - 6.0, 10.0 + 6.0));
}

#[test]
fn bad_input_is_an_error_and_extreme_cameras_are_clamped() {
    let plot = ellipse_plot();
    let bad_x = SurfacePlot {
        x_range: (1.0, 1.0),
        ..plot.clone()
    };
    assert!(matches!(
        bad_x.mesh(),
        Err(SurfaceError::Range { axis: "x", .. })
    ));
    let bad_y = SurfacePlot {
        y_range: (0.0, f64::NAN),
        ..plot.clone()
    };
    let message = bad_y.mesh().unwrap_err().to_string();
    assert!(
        message.contains("y range") && message.contains("NaN"),
        "{message}"
    );
    for facets in [0, 1, 10_000] {
        let bad = SurfacePlot {
            facets,
            ..plot.clone()
        };
        assert!(matches!(bad.scene(), Err(SurfaceError::Facets(_))));
    }
    let big = SurfacePlot {
        width: 0,
        ..plot.clone()
    };
    assert!(big.to_png().is_err() && big.to_svg().is_err());
    let zoom = Camera {
        zoom: -1.0,
        ..Camera::default()
    };
    assert!(zoom.checked().unwrap_err().to_string().contains("zoom"));
    let low = Camera {
        elevation_deg: -40.0,
        ..Camera::default()
    };
    assert_eq!(low.checked().unwrap().elevation_deg, 5.0);
    let scale = "cubic".parse::<ZScale>().unwrap_err().to_string();
    assert_eq!(
        scale,
        "unknown height scale `cubic`; expected one of auto, linear, log"
    );
    assert_eq!("log".parse::<ZScale>().unwrap(), ZScale::Log);
    // A camera that is not finite draws from the default one.
    let nan = SurfacePlot {
        camera: Camera {
            azimuth_deg: f64::NAN,
            ..Camera::default()
        },
        ..plot.clone()
    };
    let default = SurfacePlot {
        camera: Camera::default(),
        ..plot
    };
    assert_eq!(nan.scene().unwrap(), default.scene().unwrap());
}

/// One turn of the camera: as many frames as asked, each with its delay,
/// and the same bytes on one thread as on three.
#[test]
fn the_orbit_animation_turns_once_and_does_not_depend_on_threads() {
    use image::AnimationDecoder;
    let mut plot = ellipse_plot();
    (plot.width, plot.height, plot.facets) = (160, 120, 12);
    let one = surface_orbit_animation(&plot, 6, 120, AnimFormat::Gif, 1).unwrap();
    let three = surface_orbit_animation(&plot, 6, 120, AnimFormat::Gif, 3).unwrap();
    assert_eq!(one, three);
    let frames: Vec<_> = image::codecs::gif::GifDecoder::new(std::io::Cursor::new(&one))
        .unwrap()
        .into_frames()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(frames.len(), 6);
    for f in &frames {
        assert_eq!(f.delay().numer_denom_ms(), (120, 1));
    }
    // Frame 3 looks from the opposite side: not the first picture.
    assert_ne!(frames[0].buffer(), frames[3].buffer());
    let apng = surface_orbit_animation(&plot, 3, 100, AnimFormat::Apng, 2).unwrap();
    assert_eq!(
        apng,
        surface_orbit_animation(&plot, 3, 100, AnimFormat::Apng, 1).unwrap()
    );
}

/// Writes sample pictures of the surface to `surface-samples` in the
/// system's temporary folder for a visual check: PNGs from three cameras,
/// the SVG, and a turn of the camera as a GIF.
#[test]
#[ignore]
fn sample_pictures() {
    let dir = std::env::temp_dir().join("surface-samples");
    std::fs::create_dir_all(&dir).unwrap();
    let mut plot = ellipse_plot();
    (plot.width, plot.height, plot.facets) = (1200, 900, 64);
    plot.title = "GD + teleport on the fixed ellipse: each teleport is a horizontal move".into();
    for (name, cam) in [
        ("default", CAMERAS[0]),
        ("low", CAMERAS[1]),
        ("high", CAMERAS[2]),
    ] {
        plot.camera = camera(cam);
        std::fs::write(dir.join(format!("{name}.png")), plot.to_png().unwrap()).unwrap();
    }
    plot.camera = camera(CAMERAS[0]);
    std::fs::write(dir.join("default.svg"), plot.to_svg().unwrap()).unwrap();
    (plot.width, plot.height) = (640, 480);
    let gif = surface_orbit_animation(&plot, 36, 100, AnimFormat::Gif, 2).unwrap();
    std::fs::write(dir.join("orbit.gif"), gif).unwrap();
}
