//! Sampling `f` on the grid: heights, facet colours and normals, the rim
//! and the contours, filed by cell.

use std::sync::Arc;

use super::super::level_set::log_ramp;
use super::{
    Bounds3, Camera, CellSegment, FLOOR_GAP, HeightMap, LOG_DEPTH_DECADES, Projection, SurfaceMesh,
    SurfacePlot, ZScale, cross, normalize,
};
use crate::contour::{Grid, auto_levels, contours, polylines};

/// Samples `f`, resolves the height scale, and computes the facets and
/// contours (see [`SurfacePlot::mesh_with`]).
pub(super) fn build_mesh(
    plot: &SurfacePlot,
    f: Arc<dyn Fn(f64, f64) -> f64 + Send + Sync>,
) -> SurfaceMesh {
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
pub(super) fn cell_index(xs: &[f64], ys: &[f64], n: usize, p: [f64; 2]) -> usize {
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
