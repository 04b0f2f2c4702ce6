//! Level sets of `f` on a grid, by marching squares.
//!
//! One pass over the cells handles every level: each cell looks up only the
//! levels between its smallest and largest corner value, so the cost grows
//! with the length of the contours, not with the number of levels.

use crate::objective::{Objective, Vec2};

/// Samples of a function on a regular grid.
#[derive(Clone, Debug, PartialEq)]
pub struct Grid {
    /// The lower-left corner `(x, y)`.
    pub min: [f64; 2],
    /// The upper-right corner `(x, y)`.
    pub max: [f64; 2],
    /// Samples along x.
    pub nx: usize,
    /// Samples along y.
    pub ny: usize,
    /// Values, row by row from `min[1]` upward: `values[j * nx + i]`.
    pub values: Vec<f64>,
}

impl Grid {
    /// Samples `f` at `nx × ny` points spanning `[min, max]` (at least 2 × 2).
    pub fn sample(
        min: [f64; 2],
        max: [f64; 2],
        nx: usize,
        ny: usize,
        f: impl Fn(f64, f64) -> f64,
    ) -> Self {
        let (nx, ny) = (nx.max(2), ny.max(2));
        let dx = (max[0] - min[0]) / (nx - 1) as f64;
        let dy = (max[1] - min[1]) / (ny - 1) as f64;
        let mut values = Vec::with_capacity(nx * ny);
        for j in 0..ny {
            let y = min[1] + dy * j as f64;
            for i in 0..nx {
                values.push(f(min[0] + dx * i as f64, y));
            }
        }
        Self {
            min,
            max,
            nx,
            ny,
            values,
        }
    }

    /// Samples an objective's `f`.
    pub fn of_objective(
        obj: &Objective,
        min: [f64; 2],
        max: [f64; 2],
        nx: usize,
        ny: usize,
    ) -> Self {
        Self::sample(min, max, nx, ny, |x, y| obj.f(&Vec2::new(x, y)))
    }

    /// The point of grid index `(i, j)`.
    pub fn point(&self, i: f64, j: f64) -> [f64; 2] {
        [
            self.min[0] + (self.max[0] - self.min[0]) * i / (self.nx - 1) as f64,
            self.min[1] + (self.max[1] - self.min[1]) * j / (self.ny - 1) as f64,
        ]
    }

    /// The `q`-quantile of the finite values ([`crate::stats::quantile`]);
    /// `None` when no value is finite.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let mut finite: Vec<f64> = self
            .values
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .collect();
        if finite.is_empty() {
            return None;
        }
        Some(crate::stats::quantile(&mut finite, q))
    }
}

/// `n` levels spaced evenly in log scale from `lo` to `hi` (both > 0).
pub fn log_levels(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if !(lo > 0.0 && hi > lo && lo.is_finite() && hi.is_finite()) || n == 0 {
        return Vec::new();
    }
    if n == 1 {
        return vec![(lo * hi).sqrt()];
    }
    let (a, b) = (lo.ln(), hi.ln());
    (0..n)
        .map(|k| (a + (b - a) * k as f64 / (n - 1) as f64).exp())
        .collect()
}

/// Log-spaced levels that suit a grid of `f ≥ 0`: from just above the
/// smallest values to the 90th percentile, so the picture shows the valley
/// as well as the walls. A grid with negative values (a typed `f`) gets
/// [`shifted_levels`].
pub fn auto_levels(grid: &Grid, n: usize) -> Vec<f64> {
    let (Some(low), Some(high)) = (grid.quantile(0.002), grid.quantile(0.9)) else {
        return Vec::new();
    };
    if low < 0.0 {
        return shifted_levels(grid, n);
    }
    let hi = high.max(f64::MIN_POSITIVE);
    let lo = low.max(hi * 1e-6).max(f64::MIN_POSITIVE);
    if hi <= lo {
        return vec![hi];
    }
    log_levels(lo * 1.5, hi, n)
}

/// [`auto_levels`] of `f − f_min`, shifted back by `f_min` (the grid's
/// smallest finite value): levels for an `f` of any sign or offset (a typed
/// `f` such as Styblinski–Tang's, whose minimum is −78), spaced in log
/// scale above the grid's minimum.
pub fn shifted_levels(grid: &Grid, n: usize) -> Vec<f64> {
    let Some(min) = grid
        .values
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .reduce(f64::min)
    else {
        return Vec::new();
    };
    let (Some(low), Some(high)) = (grid.quantile(0.002), grid.quantile(0.9)) else {
        return Vec::new();
    };
    let (low, high) = (low - min, high - min);
    let hi = high.max(f64::MIN_POSITIVE);
    let lo = low.max(hi * 1e-6).max(f64::MIN_POSITIVE);
    if hi <= lo {
        return vec![min + hi];
    }
    log_levels(lo * 1.5, hi, n)
        .into_iter()
        .map(|level| min + level)
        .collect()
}

/// The contour levels the level-set plots draw for `obj` on `grid`:
/// [`shifted_levels`] for a typed `f` (which may be negative, or far from
/// 0 at its minimum), [`auto_levels`] for `f = ‖h‖² ≥ 0`.
pub fn levels_for(obj: &Objective, grid: &Grid, n: usize) -> Vec<f64> {
    if obj.has_h() {
        auto_levels(grid, n)
    } else {
        shifted_levels(grid, n)
    }
}

/// The contour segments of one level.
#[derive(Clone, Debug, PartialEq)]
pub struct Contour {
    /// The level `c` in `f = c`.
    pub level: f64,
    /// Line segments `[a, b]` in data coordinates.
    pub segments: Vec<[[f64; 2]; 2]>,
}

/// Extracts the contours of every level (levels need not be sorted).
pub fn contours(grid: &Grid, levels: &[f64]) -> Vec<Contour> {
    let mut order: Vec<usize> = (0..levels.len())
        .filter(|&k| levels[k].is_finite())
        .collect();
    order.sort_by(|&a, &b| levels[a].total_cmp(&levels[b]));
    let sorted: Vec<f64> = order.iter().map(|&k| levels[k]).collect();
    let mut out: Vec<Contour> = levels
        .iter()
        .map(|&level| Contour {
            level,
            segments: Vec::new(),
        })
        .collect();
    let nx = grid.nx;
    let v = &grid.values;
    let sx = (grid.max[0] - grid.min[0]) / (nx - 1) as f64;
    let sy = (grid.max[1] - grid.min[1]) / (grid.ny - 1) as f64;
    let to_xy = |i: f64, j: f64| [grid.min[0] + sx * i, grid.min[1] + sy * j];
    for j in 0..grid.ny - 1 {
        for i in 0..nx - 1 {
            // Corners counter-clockwise from the lower left.
            let c = [
                v[j * nx + i],
                v[j * nx + i + 1],
                v[(j + 1) * nx + i + 1],
                v[(j + 1) * nx + i],
            ];
            if !c.iter().all(|x| x.is_finite()) {
                continue;
            }
            let lo = c.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = c.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            // Levels in (lo, hi]: corners at exactly the level count as above.
            let first = sorted.partition_point(|&l| l < lo);
            let last = sorted.partition_point(|&l| l < hi);
            for s in first..last {
                let level = sorted[s];
                let (fi, fj) = (i as f64, j as f64);
                let corner = [
                    (fi, fj),
                    (fi + 1.0, fj),
                    (fi + 1.0, fj + 1.0),
                    (fi, fj + 1.0),
                ];
                // Crossing point on edge e (between corners e and e+1). The
                // interpolation always runs from the edge's lower-left end,
                // so the two cells sharing an edge compute bitwise the same
                // point and `polylines` can join their segments exactly.
                let cross = |e: usize| {
                    let (mut a, mut b) = (e, (e + 1) % 4);
                    if e >= 2 {
                        std::mem::swap(&mut a, &mut b);
                    }
                    let t = (level - c[a]) / (c[b] - c[a]);
                    let (pa, pb) = (corner[a], corner[b]);
                    to_xy(pa.0 + (pb.0 - pa.0) * t, pa.1 + (pb.1 - pa.1) * t)
                };
                let mut case = 0;
                for (k, &value) in c.iter().enumerate() {
                    if value >= level {
                        case |= 1 << k;
                    }
                }
                let segs = &mut out[order[s]].segments;
                match case {
                    0 | 15 => {}
                    5 | 10 => {
                        // Saddle: the centre decides which corners connect.
                        let centre_above = (c[0] + c[1] + c[2] + c[3]) * 0.25 >= level;
                        if (case == 5) == centre_above {
                            segs.push([cross(0), cross(1)]);
                            segs.push([cross(2), cross(3)]);
                        } else {
                            segs.push([cross(3), cross(0)]);
                            segs.push([cross(1), cross(2)]);
                        }
                    }
                    _ => {
                        // Exactly two edges change sign.
                        let mut ends = [[0.0; 2]; 2];
                        let mut n = 0;
                        for e in 0..4 {
                            let above_a = case & (1 << e) != 0;
                            let above_b = case & (1 << ((e + 1) % 4)) != 0;
                            if above_a != above_b && n < 2 {
                                ends[n] = cross(e);
                                n += 1;
                            }
                        }
                        if n == 2 {
                            segs.push(ends);
                        }
                    }
                }
            }
        }
    }
    out
}

/// Joins segments that share endpoints into polylines (closed ones repeat
/// their first point at the end). Endpoints must match bitwise, as those of
/// [`contours`] do.
pub fn polylines(segments: &[[[f64; 2]; 2]]) -> Vec<Vec<[f64; 2]>> {
    use std::collections::HashMap;
    let key = |p: [f64; 2]| (p[0].to_bits(), p[1].to_bits());
    // Endpoint → the segments touching it (at most two on a contour).
    let mut ends: HashMap<(u64, u64), Vec<usize>> = HashMap::with_capacity(segments.len() * 2);
    for (k, s) in segments.iter().enumerate() {
        for p in s {
            ends.entry(key(*p)).or_default().push(k);
        }
    }
    let mut used = vec![false; segments.len()];
    let mut out = Vec::new();
    let next_from = |p: [f64; 2], used: &[bool]| -> Option<usize> {
        ends.get(&key(p))?.iter().copied().find(|&k| !used[k])
    };
    for start in 0..segments.len() {
        if used[start] {
            continue;
        }
        used[start] = true;
        let mut line = std::collections::VecDeque::from([segments[start][0], segments[start][1]]);
        // Grow forward from the back, then backward from the front.
        for forward in [true, false] {
            loop {
                let tip = if forward { line.back() } else { line.front() };
                let Some(&tip) = tip else { break };
                let Some(k) = next_from(tip, &used) else {
                    break;
                };
                used[k] = true;
                let [a, b] = segments[k];
                let other = if key(a) == key(tip) { b } else { a };
                if forward {
                    line.push_back(other);
                } else {
                    line.push_front(other);
                }
            }
        }
        out.push(line.into_iter().collect());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn circle_contours_lie_on_the_circle() {
        let grid = Grid::sample([-2.0, -2.0], [2.0, 2.0], 201, 201, |x, y| x * x + y * y);
        let out = contours(&grid, &[1.0, 2.25]);
        for (c, r) in out.iter().zip([1.0_f64, 1.5]) {
            assert!(c.segments.len() > 100, "{}", c.segments.len());
            let mut length = 0.0;
            for [a, b] in &c.segments {
                for p in [a, b] {
                    let d = (p[0] * p[0] + p[1] * p[1]).sqrt();
                    // Linear interpolation across a cell of size 0.02 errs
                    // by at most the curvature term, h²/(8r).
                    assert!((d - r).abs() < 1e-3, "{d} vs {r}");
                }
                length += ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
            }
            let circumference = std::f64::consts::TAU * r;
            assert!(
                (length - circumference).abs() / circumference < 1e-3,
                "{length} vs {circumference}"
            );
        }
    }

    #[test]
    fn levels_outside_the_data_give_no_segments_and_nan_cells_are_skipped() {
        let grid = Grid::sample([0.0, 0.0], [1.0, 1.0], 11, 11, |x, y| {
            if x > 0.5 { f64::NAN } else { x + y }
        });
        let out = contours(&grid, &[5.0, -1.0, 0.5]);
        assert!(out[0].segments.is_empty() && out[1].segments.is_empty());
        assert!(!out[2].segments.is_empty());
        for [a, b] in &out[2].segments {
            assert!(a[0] <= 0.5 + 1e-12 && b[0] <= 0.5 + 1e-12);
            assert!((a[0] + a[1] - 0.5).abs() < 1e-12);
        }
    }

    #[test]
    fn circle_contour_joins_into_one_closed_polyline() {
        let grid = Grid::sample([-2.0, -2.0], [2.0, 2.0], 101, 101, |x, y| {
            x * x + 2.0 * y * y
        });
        let out = contours(&grid, &[1.0]);
        let lines = polylines(&out[0].segments);
        assert_eq!(lines.len(), 1, "{} pieces", lines.len());
        let line = &lines[0];
        assert_eq!(line.len(), out[0].segments.len() + 1);
        assert_eq!(line.first(), line.last());
    }

    #[test]
    fn log_levels_are_geometric() {
        let l = log_levels(0.01, 100.0, 5);
        for (got, want) in l.iter().zip([0.01, 0.1, 1.0, 10.0, 100.0]) {
            assert!((got / want - 1.0).abs() < 1e-12);
        }
        assert!(log_levels(0.0, 1.0, 5).is_empty());
        assert!(log_levels(1.0, f64::NAN, 5).is_empty());
    }
}
