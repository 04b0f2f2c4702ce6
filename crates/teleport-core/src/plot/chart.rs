//! Drawing a chart: frames, clipping, items, markers and arrows.

#[allow(clippy::wildcard_imports, reason = "one module split by concern")]
use super::*;

impl Chart {
    /// Calls `f` with every coordinate the items give axis 0 (x) or 1 (y).
    pub(super) fn for_each_coord(&self, axis: usize, mut f: impl FnMut(f64)) {
        for item in &self.items {
            match item {
                Item::Line { points, .. } | Item::Markers { points, .. } => {
                    points.iter().for_each(|p| f(p[axis]));
                }
                Item::Segments { segments, .. } => {
                    segments.iter().flatten().for_each(|p| f(p[axis]))
                }
                Item::Band { x, lo, hi, .. } => {
                    for ((&x, &lo), &hi) in x.iter().zip(lo).zip(hi) {
                        let coords = if axis == 0 { [x, x] } else { [lo, hi] };
                        coords.into_iter().for_each(&mut f);
                    }
                }
                Item::Arrow { from, to, .. } => [from[axis], to[axis]].into_iter().for_each(&mut f),
                Item::HLine { y, .. } if axis == 1 => f(*y),
                Item::HLine { .. } => {}
                Item::Text { at, .. } => f(at[axis]),
                Item::Image { x, y, .. } => {
                    let (lo, hi) = if axis == 0 { *x } else { *y };
                    [lo, hi].into_iter().for_each(&mut f);
                }
            }
        }
    }

    /// The axis-space range of axis 0 (x) or 1 (y): the given one when valid,
    /// else the data's with a 4% margin, else a unit default.
    pub(super) fn range(&self, axis: usize) -> (f64, f64) {
        let log = axis == 1 && self.log_y;
        if let Some((lo, hi)) = [self.x_range, self.y_range][axis]
            && let (Some(lo), Some(hi)) = (axis_value(lo, log), axis_value(hi, log))
            && lo < hi
        {
            return (lo, hi);
        }
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        self.for_each_coord(axis, |v| {
            if let Some(v) = axis_value(v, log) {
                (lo, hi) = (lo.min(v), hi.max(v));
            }
        });
        let span = hi - lo;
        if !(span.is_finite() && span >= 0.0) {
            (0.0, 1.0)
        } else if span <= 1e-12 * lo.abs().max(1.0) {
            let pad = if log { 0.5 } else { (lo.abs() * 0.1).max(0.5) };
            (lo - pad, hi + pad)
        } else {
            (lo - 0.04 * span, hi + 0.04 * span)
        }
    }

    /// The plot area inside `cell` that leaves room for these tick labels.
    pub(super) fn area(
        &self,
        canvas: &Canvas,
        cell: Area,
        x_ticks: &[(f64, String)],
        y_ticks: &[(f64, String)],
    ) -> Area {
        let height = |s: &str, px| {
            if s.is_empty() {
                0.0
            } else {
                canvas.text_size(s, px)[1] + GAP
            }
        };
        let width = |(_, s): &(f64, String)| canvas.text_size(s, TICK_PX)[0];
        let y_tick_w = y_ticks.iter().map(width).fold(0.0, f64::max);
        let last_x_w = x_ticks.last().map_or(0.0, width);
        let l = cell.l + PAD + height(&self.y_label, LABEL_PX) + y_tick_w + GAP + TICK_LEN;
        let title: f64 = title_lines(canvas, &self.title, cell.r - cell.l - 2.0 * PAD)
            .iter()
            .map(|line| height(line, TITLE_PX))
            .sum();
        let t = cell.t + PAD + title;
        let r = cell.r - (PAD + 6.0).max(last_x_w / 2.0 + 2.0);
        let below = TICK_LEN + GAP + height("0", TICK_PX) + height(&self.x_label, LABEL_PX);
        let (l, t) = (l.round(), t.round());
        Area {
            l,
            t,
            r: r.round().max(l + 1.0),
            b: (cell.b - PAD - below).round().max(t + 1.0),
        }
    }

    /// Settles the plot area, the axis ranges and the ticks of the chart
    /// drawn inside `cell`.
    pub(super) fn layout(&self, canvas: &Canvas, cell: Area) -> Layout {
        let log_y = self.log_y;
        let (base_x, base_y) = (self.range(0), self.range(1));
        let x_target = ((cell.r - cell.l - 80.0) / 90.0).clamp(2.0, 8.0) as usize;
        let y_target = ((cell.b - cell.t - 80.0) / 55.0).clamp(2.0, 8.0) as usize;
        // Margins depend on tick labels, which depend on the ranges, which depend on
        // the area under `equal_aspect`: settle the layout in two passes.
        let (mut x, mut y, mut area) = (base_x, base_y, cell);
        for _ in 0..2 {
            let (xt, yt) = (
                axis_ticks(x, false, x_target).0,
                axis_ticks(y, log_y, y_target).0,
            );
            area = self.area(canvas, cell, &xt, &yt);
            if self.equal_aspect && !log_y {
                (x, y) = equalize(base_x, base_y, area.r - area.l, area.b - area.t);
            }
        }
        let frame = Frame { area, x, y, log_y };
        let ((x_ticks, x_minor), (y_ticks, y_minor)) = (
            axis_ticks(x, false, x_target),
            axis_ticks(y, log_y, y_target),
        );
        Layout {
            cell,
            frame,
            x_ticks,
            x_minor,
            y_ticks,
            y_minor,
        }
    }

    /// Draws the chart inside `cell` and returns its plot area and axis ranges.
    pub(super) fn draw(&self, canvas: &mut Canvas, cell: Area) -> Frame {
        let layout = self.layout(canvas, cell);
        self.draw_grid(canvas, &layout);
        for item in &self.items {
            draw_item(canvas, &layout.frame, item);
        }
        if self.legend {
            draw_legend(canvas, &self.items, layout.frame.area);
        }
        self.draw_axes(canvas, &layout);
        canvas.set_clip(None);
        layout.frame
    }

    /// Clips later drawing to the plot area and draws the grid lines at the
    /// major ticks.
    pub(super) fn draw_grid(&self, canvas: &mut Canvas, layout: &Layout) {
        let (frame, area) = (&layout.frame, layout.frame.area);
        canvas.set_clip(Some(area));
        let mut grid = PathBuilder::new();
        for &(v, _) in &layout.x_ticks {
            let x = tick_x(frame, v);
            segment(&mut grid, [x, area.t], [x, area.b]);
        }
        for &(v, _) in &layout.y_ticks {
            let y = tick_y(frame, v);
            segment(&mut grid, [area.l, y], [area.r, y]);
        }
        canvas.stroke(grid.finish(), pen(Color::rgb(232, 232, 232), 1.0), true);
    }

    /// Draws the frame, the ticks, their labels, the title and the axis
    /// labels, unclipped; all of it lies outside the plot area.
    pub(super) fn draw_axes(&self, canvas: &mut Canvas, layout: &Layout) {
        let (frame, area, cell) = (&layout.frame, layout.frame.area, layout.cell);
        let tick_x = |v: f64| tick_x(frame, v);
        let tick_y = |v: f64| tick_y(frame, v);
        canvas.stroke(area.grow(0.5).path(), pen(Color::BLACK, 1.0), false);
        let mut ticks = PathBuilder::new();
        let (below, left) = (area.b + TICK_LEN, area.l - TICK_LEN);
        for (v, label) in &layout.x_ticks {
            segment(&mut ticks, [tick_x(*v), area.b], [tick_x(*v), below]);
            canvas.text(label, style(TICK_PX), [tick_x(*v), below + GAP], [0.5, 0.0]);
        }
        for (v, label) in &layout.y_ticks {
            segment(&mut ticks, [area.l, tick_y(*v)], [left, tick_y(*v)]);
            canvas.text(label, style(TICK_PX), [left - GAP, tick_y(*v)], [1.0, 0.5]);
        }
        layout
            .x_minor
            .iter()
            .for_each(|&v| segment(&mut ticks, [tick_x(v), area.b], [tick_x(v), area.b + 3.0]));
        layout
            .y_minor
            .iter()
            .for_each(|&v| segment(&mut ticks, [area.l, tick_y(v)], [area.l - 3.0, tick_y(v)]));
        canvas.stroke(ticks.finish(), pen(Color::BLACK, 1.0), false);
        let mid = [(area.l + area.r) / 2.0, (area.t + area.b) / 2.0];
        let mut top = cell.t + PAD;
        for line in title_lines(canvas, &self.title, cell.r - cell.l - 2.0 * PAD) {
            canvas.text(&line, style(TITLE_PX), [mid[0], top], [0.5, 0.0]);
            top += canvas.text_size(&line, TITLE_PX)[1] + GAP;
        }
        let x_label_y = below + GAP + canvas.text_size("0", TICK_PX)[1] + GAP;
        canvas.text(
            &self.x_label,
            style(LABEL_PX),
            [mid[0], x_label_y],
            [0.5, 0.0],
        );
        let vertical = Style {
            vertical: true,
            ..style(LABEL_PX)
        };
        canvas.text(&self.y_label, vertical, [cell.l + PAD, mid[1]], [0.0, 0.5]);
    }
}

/// A chart's settled layout: its cell, plot area and ranges, and the ticks
/// with their labels.
pub(super) struct Layout {
    pub(super) cell: Area,
    pub(super) frame: Frame,
    pub(super) x_ticks: Vec<(f64, String)>,
    pub(super) x_minor: Vec<f64>,
    pub(super) y_ticks: Vec<(f64, String)>,
    pub(super) y_minor: Vec<f64>,
}

/// The pixel column of an x tick (the middle of a pixel).
fn tick_x(frame: &Frame, v: f64) -> f64 {
    frame.fx(v).round() + 0.5
}

/// The pixel row of a y tick (the middle of a pixel).
fn tick_y(frame: &Frame, v: f64) -> f64 {
    frame.fy(v).round() - 0.5
}

/// Widens the range with fewer pixels per data unit so both axes share one scale.
pub(super) fn equalize(
    x: (f64, f64),
    y: (f64, f64),
    w_px: f64,
    h_px: f64,
) -> ((f64, f64), (f64, f64)) {
    let per_px = ((x.1 - x.0) / w_px).max((y.1 - y.0) / h_px);
    let widen = |(lo, hi): (f64, f64), px: f64| {
        let c = (lo + hi) / 2.0;
        (c - per_px * px / 2.0, c + per_px * px / 2.0)
    };
    (widen(x, w_px), widen(y, h_px))
}

/// Adds the separate segment `a`–`b` to `pb`.
pub(super) fn segment(pb: &mut PathBuilder, a: [f64; 2], b: [f64; 2]) {
    pb.move_to(a[0] as f32, a[1] as f32);
    pb.line_to(b[0] as f32, b[1] as f32);
}

/// Clips segment `a`–`b` to `area` (Liang–Barsky), returning unclipped end
/// points exactly so that consecutive segments still join.
pub(super) fn clip_segment(a: [f64; 2], b: [f64; 2], area: Area) -> Option<([f64; 2], [f64; 2])> {
    let d = [b[0] - a[0], b[1] - a[1]];
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-d[0], a[0] - area.l),
        (d[0], area.r - a[0]),
        (-d[1], a[1] - area.t),
        (d[1], area.b - a[1]),
    ] {
        if p == 0.0 && q < 0.0 {
            return None;
        } else if p < 0.0 {
            t0 = t0.max(q / p);
        } else if p > 0.0 {
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

/// Clips a polygon to `area` (Sutherland–Hodgman).
pub(super) fn clip_polygon(mut poly: Vec<[f64; 2]>, area: Area) -> Vec<[f64; 2]> {
    for (axis, bound, sign) in [
        (0, area.l, 1.0),
        (0, area.r, -1.0),
        (1, area.t, 1.0),
        (1, area.b, -1.0),
    ] {
        let inside = |p: [f64; 2]| (p[axis] - bound) * sign >= 0.0;
        let mut out = Vec::with_capacity(poly.len() + 4);
        for (i, &cur) in poly.iter().enumerate() {
            let prev = poly[(i + poly.len() - 1) % poly.len()];
            if inside(cur) != inside(prev) {
                let t = (bound - prev[axis]) / (cur[axis] - prev[axis]);
                out.push([
                    prev[0] + t * (cur[0] - prev[0]),
                    prev[1] + t * (cur[1] - prev[1]),
                ]);
            }
            if inside(cur) {
                out.push(cur);
            }
        }
        poly = out;
    }
    poly
}

/// A path through the segments that survive mapping and clipping, joining touching ones.
pub(super) fn segments_path(
    frame: &Frame,
    segments: impl IntoIterator<Item = ([f64; 2], [f64; 2])>,
) -> Option<Path> {
    let bounds = frame.area.grow(20.0);
    let (mut pb, mut pen) = (PathBuilder::new(), None);
    for (a, b) in segments {
        let mapped = frame.px(a).zip(frame.px(b));
        let Some((a, b)) = mapped.and_then(|(a, b)| clip_segment(a, b, bounds)) else {
            continue;
        };
        if pen != Some(a) {
            pb.move_to(a[0] as f32, a[1] as f32);
        }
        pb.line_to(b[0] as f32, b[1] as f32);
        pen = Some(b);
    }
    pb.finish()
}

pub(super) fn polygon_path(poly: &[[f64; 2]]) -> Option<Path> {
    let mut pb = PathBuilder::new();
    for (i, &[x, y]) in poly.iter().enumerate() {
        if i == 0 {
            pb.move_to(x as f32, y as f32)
        } else {
            pb.line_to(x as f32, y as f32)
        }
    }
    pb.close();
    pb.finish()
}

pub(super) fn draw_marker(
    canvas: &mut Canvas,
    marker: Marker,
    [x, y]: [f64; 2],
    size: f32,
    color: Color,
    clip: bool,
) {
    let r = if size.is_finite() && size > 0.0 {
        f64::from(size.min(200.0)) / 2.0
    } else {
        3.0
    };
    let mut pb = PathBuilder::new();
    let polygon = match marker {
        Marker::Circle => {
            pb.push_circle(x as f32, y as f32, r as f32);
            return canvas.fill(pb.finish(), color, clip);
        }
        Marker::Cross => {
            segment(&mut pb, [x - r, y - r], [x + r, y + r]);
            segment(&mut pb, [x - r, y + r], [x + r, y - r]);
            return canvas.stroke(pb.finish(), pen(color, (r as f32 / 2.0).max(1.0)), clip);
        }
        Marker::Square => [
            [x - r, y - r],
            [x + r, y - r],
            [x + r, y + r],
            [x - r, y + r],
        ],
        Marker::Diamond => [
            [x, y - 1.25 * r],
            [x + 1.25 * r, y],
            [x, y + 1.25 * r],
            [x - 1.25 * r, y],
        ],
    };
    canvas.fill(polygon_path(&polygon), color, clip);
}

/// Draws a shaft and a filled head pointing from `a` to `b` (pixels).
pub(super) fn draw_arrow(
    canvas: &mut Canvas,
    a: [f64; 2],
    b: [f64; 2],
    color: Color,
    width: f32,
    clip: bool,
) {
    let len = (b[0] - a[0]).hypot(b[1] - a[1]);
    let w = if width.is_finite() && width > 0.0 {
        f64::from(width.min(50.0))
    } else {
        1.5
    };
    let screen = Area {
        l: 0.0,
        t: 0.0,
        r: canvas.size[0].into(),
        b: canvas.size[1].into(),
    };
    if len <= 0.5 || clip_segment(a, b, screen.grow(100.0)).is_none() {
        return;
    }
    let head = (3.0 * w + 6.0).min(len);
    let u = [(b[0] - a[0]) / len, (b[1] - a[1]) / len];
    let back = |k: f64| [b[0] - u[0] * head * k, b[1] - u[1] * head * k];
    if let Some((p, q)) = clip_segment(a, back(0.8), screen.grow(50.0)) {
        let mut pb = PathBuilder::new();
        segment(&mut pb, p, q);
        canvas.stroke(pb.finish(), pen(color, w as f32), clip);
    }
    let (base, half) = (back(1.0), head * 0.45);
    let wings = [
        [base[0] - u[1] * half, base[1] + u[0] * half],
        [base[0] + u[1] * half, base[1] - u[0] * half],
    ];
    let head_poly = clip_polygon(vec![b, wings[0], wings[1]], screen.grow(50.0));
    canvas.fill(polygon_path(&head_poly), color, clip);
}

/// An opaque band colour becomes translucent; others keep their alpha.
pub(super) fn band_color(color: Color) -> Color {
    if color.a == 255 {
        color.with_alpha(64)
    } else {
        color
    }
}

pub(super) fn draw_item(canvas: &mut Canvas, frame: &Frame, item: &Item) {
    match item {
        Item::Line {
            color,
            width,
            points,
            dashed,
            ..
        } => {
            let path = segments_path(frame, points.windows(2).map(|w| (w[0], w[1])));
            canvas.stroke(
                path,
                Pen {
                    color: *color,
                    width: *width,
                    dashed: *dashed,
                },
                true,
            );
        }
        Item::Segments {
            color,
            width,
            segments,
        } => {
            let path = segments_path(frame, segments.iter().map(|s| (s[0], s[1])));
            canvas.stroke(path, pen(*color, *width), true);
        }
        Item::Band {
            color, x, lo, hi, ..
        } => {
            let edges = x
                .iter()
                .zip(lo)
                .zip(hi)
                .map(|((&x, &lo), &hi)| frame.px([x, lo]).zip(frame.px([x, hi])));
            let edges: Vec<_> = edges.collect();
            for run in edges.split(Option::is_none) {
                let run: Vec<_> = run.iter().flatten().collect();
                let poly = run
                    .iter()
                    .map(|p| p.0)
                    .chain(run.iter().rev().map(|p| p.1))
                    .collect();
                let poly = clip_polygon(poly, frame.area.grow(20.0));
                canvas.fill(polygon_path(&poly), band_color(*color), true);
            }
        }
        Item::Markers {
            color,
            points,
            marker,
            size,
            ..
        } => {
            let bounds = frame.area.grow(f64::from(size.abs().min(200.0)));
            for p in points.iter().filter_map(|&p| frame.px(p)) {
                if clip_segment(p, p, bounds).is_some() {
                    draw_marker(canvas, *marker, p, *size, *color, true);
                }
            }
        }
        Item::Arrow {
            color,
            from,
            to,
            width,
            ..
        } => {
            if let (Some(a), Some(b)) = (frame.px(*from), frame.px(*to)) {
                draw_arrow(canvas, a, b, *color, *width, true);
            }
        }
        Item::HLine {
            color, y, dashed, ..
        } => {
            let path = segments_path(frame, [([frame.x.0, *y], [frame.x.1, *y])]);
            canvas.stroke(
                path,
                Pen {
                    color: *color,
                    width: 1.5,
                    dashed: *dashed,
                },
                true,
            );
        }
        Item::Image {
            x,
            y,
            width,
            height,
            rgba,
        } => {
            // The corners land on their data points; between them the image
            // is stretched evenly in pixels (also on a log axis).
            if let (Some(tl), Some(br)) = (frame.px([x.0, y.1]), frame.px([x.1, y.0])) {
                let rect = Area {
                    l: tl[0],
                    t: tl[1],
                    r: br[0],
                    b: br[1],
                };
                canvas.image(rect, [*width, *height], rgba, true);
            }
        }
        Item::Text { at, text, color } => {
            if let Some(p) = frame.px(*at) {
                let style = Style {
                    color: *color,
                    clip: true,
                    ..style(TICK_PX)
                };
                canvas.text(text, style, p, [0.0, 0.5]);
            }
        }
    }
}

/// The title broken at spaces into lines no wider than `width` (a word
/// wider than that stands on a line of its own): a caption used as a title
/// wraps instead of running off both sides of the figure. A title that fits
/// is its one line, laid out as before.
fn title_lines(canvas: &Canvas, title: &str, width: f64) -> Vec<String> {
    if title.is_empty() {
        return Vec::new();
    }
    if canvas.text_size(title, TITLE_PX)[0] <= width {
        return vec![title.to_owned()];
    }
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in title.split(' ') {
        let candidate = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if line.is_empty() || canvas.text_size(&candidate, TITLE_PX)[0] <= width {
            line = candidate;
        } else {
            lines.push(std::mem::replace(&mut line, word.to_owned()));
        }
    }
    lines.push(line);
    lines
}
