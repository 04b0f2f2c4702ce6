//! The legend box.

#[allow(clippy::wildcard_imports, reason = "one module split by concern")]
use super::*;

/// Lists the named items with their swatches in a box at the top right of `area`.
pub(super) fn draw_legend(canvas: &mut Canvas, items: &[Item], area: Area) {
    let named: Vec<(&str, &Item)> = items
        .iter()
        .filter_map(|item| match item {
            Item::Line { name, .. }
            | Item::Band { name, .. }
            | Item::Markers { name, .. }
            | Item::Arrow { name, .. }
            | Item::HLine { name, .. } => {
                name.as_deref().filter(|n| !n.is_empty()).map(|n| (n, item))
            }
            Item::Segments { .. } | Item::Text { .. } | Item::Image { .. } => None,
        })
        .collect();
    if named.is_empty() {
        return;
    }
    let (swatch, inner, row) = (24.0, 6.0, canvas.text_size("0", TICK_PX)[1] + 2.0);
    let text_w = named
        .iter()
        .map(|(n, _)| canvas.text_size(n, TICK_PX)[0])
        .fold(0.0, f64::max);
    let (w, h) = (
        inner * 3.0 + swatch + text_w,
        inner * 2.0 + row * named.len() as f64,
    );
    let (l, t) = ((area.r - 8.0 - w).round(), area.t + 8.0);
    let frame = Area {
        l,
        t,
        r: l + w,
        b: t + h,
    };
    canvas.fill(frame.path(), Color::rgba(255, 255, 255, 225), false);
    canvas.stroke(
        frame.grow(-0.5).path(),
        pen(Color::rgb(190, 190, 190), 1.0),
        false,
    );
    for (i, (name, item)) in named.into_iter().enumerate() {
        let cy = t + inner + row * (i as f64 + 0.5);
        let (x0, x1) = (l + inner, l + inner + swatch);
        let line = |canvas: &mut Canvas, pen: Pen| {
            let mut pb = PathBuilder::new();
            segment(&mut pb, [x0, cy], [x1, cy]);
            canvas.stroke(pb.finish(), pen, false);
        };
        match item {
            Item::Line {
                color,
                width,
                dashed,
                ..
            } => {
                line(
                    canvas,
                    Pen {
                        color: *color,
                        width: width.min(4.0),
                        dashed: *dashed,
                    },
                );
            }
            Item::HLine { color, dashed, .. } => line(
                canvas,
                Pen {
                    color: *color,
                    width: 1.5,
                    dashed: *dashed,
                },
            ),
            Item::Band { color, .. } => {
                let r = row * 0.35;
                canvas.fill(
                    Area {
                        l: x0,
                        t: cy - r,
                        r: x1,
                        b: cy + r,
                    }
                    .path(),
                    band_color(*color),
                    false,
                );
            }
            Item::Markers {
                color,
                marker,
                size,
                ..
            } => {
                let size = size.min(row as f32 - 2.0);
                draw_marker(canvas, *marker, [(x0 + x1) / 2.0, cy], size, *color, false);
            }
            Item::Arrow { color, width, .. } => {
                draw_arrow(canvas, [x0, cy], [x1, cy], *color, width.min(2.0), false)
            }
            Item::Segments { .. } | Item::Text { .. } | Item::Image { .. } => {}
        }
        canvas.text(name, style(TICK_PX), [x1 + inner, cy], [0.0, 0.5]);
    }
}
