//! Rows, jumps, the orbit and markers lifted onto the surface, clipped to
//! the view.

use super::super::level_set::ORBIT_COLOR;
use super::{Color, Lifted, Line3, LineKind, Marker, Marker3, SurfaceMesh, SurfacePlot};

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

pub(super) fn lift(plot: &SurfacePlot, mesh: &SurfaceMesh) -> Lifted {
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
