//! Where a legend goes: the corner of the plot that covers the least of
//! the data, and never the points a reader must see (the start point, the
//! current point). The app's level-set plot and the exported figure choose
//! with the same function, so a slide and its export agree.

/// A corner of a plot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Corner {
    /// Top right: tried first, where readers look for a key.
    TopRight,
    /// Top left.
    TopLeft,
    /// Bottom right.
    BottomRight,
    /// Bottom left.
    BottomLeft,
}

impl Corner {
    /// Every corner, in the order ties are broken.
    pub const ALL: [Self; 4] = [
        Self::TopRight,
        Self::TopLeft,
        Self::BottomRight,
        Self::BottomLeft,
    ];

    /// The top-left corner of a `size` box in this corner of `area`
    /// (`[left, top, right, bottom]`, y down), `margin` inside its edges.
    pub fn place(self, area: [f64; 4], size: [f64; 2], margin: f64) -> [f64; 2] {
        let [l, t, r, b] = area;
        let x = match self {
            Self::TopLeft | Self::BottomLeft => l + margin,
            Self::TopRight | Self::BottomRight => r - margin - size[0],
        };
        let y = match self {
            Self::TopLeft | Self::TopRight => t + margin,
            Self::BottomLeft | Self::BottomRight => b - margin - size[1],
        };
        [x, y]
    }
}

/// What a point inside the legend's box costs: data is worth avoiding,
/// a point the reader must see is worth any amount of data.
const KEEP_CLEAR_COST: usize = 1_000_000;

/// The corner of `area` where a legend of `size` covers the fewest of
/// `data` (points in the same coordinates as `area`, y down) and none of
/// `keep_clear`; `None` when the legend would cover a `keep_clear` point in
/// every corner (it belongs outside the plot then), or does not fit.
/// Ties go to the earlier corner of [`Corner::ALL`].
pub fn emptiest_corner(
    area: [f64; 4],
    size: [f64; 2],
    margin: f64,
    data: &[[f64; 2]],
    keep_clear: &[[f64; 2]],
) -> Option<Corner> {
    let [l, t, r, b] = area;
    if size[0] + 2.0 * margin > r - l || size[1] + 2.0 * margin > b - t {
        return None;
    }
    // A point just outside the box still crowds it.
    let pad = margin;
    let cost = |corner: Corner| {
        let [x, y] = corner.place(area, size, margin);
        let inside = |p: &[f64; 2]| {
            p[0] >= x - pad
                && p[0] <= x + size[0] + pad
                && p[1] >= y - pad
                && p[1] <= y + size[1] + pad
        };
        data.iter().filter(|p| inside(p)).count()
            + KEEP_CLEAR_COST * keep_clear.iter().filter(|p| inside(p)).count()
    };
    Corner::ALL
        .into_iter()
        .map(|c| (cost(c), c))
        .min_by_key(|(cost, _)| *cost)
        .filter(|(cost, _)| *cost < KEEP_CLEAR_COST)
        .map(|(_, c)| c)
}

/// Points along the polyline `points` no farther than `step` apart (the
/// vertices included), skipping non-finite points: a long segment crossing
/// a corner is data there even when no vertex is.
pub fn densify(points: &[[f64; 2]], step: f64, out: &mut Vec<[f64; 2]>) {
    let finite = |p: &[f64; 2]| p[0].is_finite() && p[1].is_finite();
    let mut last: Option<[f64; 2]> = None;
    for p in points {
        if !finite(p) {
            last = None;
            continue;
        }
        if let Some(a) = last {
            let d = ((p[0] - a[0]).powi(2) + (p[1] - a[1]).powi(2)).sqrt();
            // A segment thousands of screens long (a run that blew up) is
            // sampled no finer than a few thousand points.
            let n = (d / step.max(1e-9)).ceil().min(4096.0) as usize;
            for k in 1..n {
                let s = k as f64 / n as f64;
                out.push([a[0] + s * (p[0] - a[0]), a[1] + s * (p[1] - a[1])]);
            }
        }
        out.push(*p);
        last = Some(*p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AREA: [f64; 4] = [0.0, 0.0, 400.0, 300.0];

    #[test]
    fn the_legend_goes_where_there_is_no_data() {
        // A cloud of points in the top-right quarter.
        let data: Vec<[f64; 2]> = (0..100)
            .map(|k| [300.0 + (k % 10) as f64 * 8.0, 10.0 + (k / 10) as f64 * 8.0])
            .collect();
        let corner = emptiest_corner(AREA, [120.0, 80.0], 8.0, &data, &[]);
        assert_eq!(corner, Some(Corner::TopLeft));
        // Nothing anywhere: the reader's first look.
        assert_eq!(
            emptiest_corner(AREA, [120.0, 80.0], 8.0, &[], &[]),
            Some(Corner::TopRight)
        );
    }

    #[test]
    fn the_start_point_is_never_covered() {
        // Data everywhere but the bottom left, where x0 sits.
        let data: Vec<[f64; 2]> = (0..40).map(|k| [k as f64 * 10.0, 150.0]).collect();
        let x0 = [[30.0, 280.0]];
        let corner = emptiest_corner(AREA, [120.0, 80.0], 8.0, &data, &x0);
        assert_ne!(corner, Some(Corner::BottomLeft));
        let [x, y] = corner.unwrap().place(AREA, [120.0, 80.0], 8.0);
        assert!(!(x..x + 120.0).contains(&x0[0][0]) || !(y..y + 80.0).contains(&x0[0][1]));
        // A must-see point in every corner: outside.
        let everywhere = [[20.0, 20.0], [380.0, 20.0], [20.0, 280.0], [380.0, 280.0]];
        assert_eq!(
            emptiest_corner(AREA, [120.0, 80.0], 8.0, &[], &everywhere),
            None
        );
        // Too big to fit.
        assert_eq!(emptiest_corner(AREA, [500.0, 80.0], 8.0, &[], &[]), None);
    }

    #[test]
    fn a_long_segment_counts_along_its_length() {
        let mut out = Vec::new();
        densify(
            &[[0.0, 0.0], [100.0, 0.0], [f64::NAN, 0.0], [0.0, 50.0]],
            10.0,
            &mut out,
        );
        assert_eq!(out.len(), 12);
        assert!(
            out.windows(2)
                .take(10)
                .all(|w| (w[1][0] - w[0][0] - 10.0).abs() < 1e-9)
        );
        assert_eq!(out.last(), Some(&[0.0, 50.0]));
    }
}
