//! The pixmap, fonts and pens: strokes, fills and text with superscripts.

#[allow(clippy::wildcard_imports, reason = "one module split by concern")]
use super::*;

/// A pixel rectangle.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Area {
    pub(super) l: f64,
    pub(super) t: f64,
    pub(super) r: f64,
    pub(super) b: f64,
}

impl Area {
    pub(super) fn grow(self, by: f64) -> Area {
        Area {
            l: self.l - by,
            t: self.t - by,
            r: self.r + by,
            b: self.b + by,
        }
    }

    pub(super) fn path(self) -> Option<Path> {
        let (l, t, r, b) = (self.l as f32, self.t as f32, self.r as f32, self.b as f32);
        tiny_skia::Rect::from_ltrb(l, t, r, b).map(PathBuilder::from_rect)
    }
}

/// Maps data to pixels; `x` and `y` are ranges in axis space.
pub(super) struct Frame {
    pub(super) area: Area,
    pub(super) x: (f64, f64),
    pub(super) y: (f64, f64),
    pub(super) log_y: bool,
}

impl Frame {
    pub(super) fn fx(&self, x: f64) -> f64 {
        self.area.l + (x - self.x.0) / (self.x.1 - self.x.0) * (self.area.r - self.area.l)
    }

    pub(super) fn fy(&self, y: f64) -> f64 {
        self.area.b - (y - self.y.0) / (self.y.1 - self.y.0) * (self.area.b - self.area.t)
    }

    /// The pixel position of a data point, or `None` when it cannot be shown.
    pub(super) fn px(&self, [x, y]: [f64; 2]) -> Option<[f64; 2]> {
        let p = [self.fx(x), self.fy(axis_value(y, self.log_y)?)];
        p.iter().all(|v| v.is_finite()).then_some(p)
    }
}

/// How to stroke a path.
#[derive(Clone, Copy)]
pub(super) struct Pen {
    pub(super) color: Color,
    pub(super) width: f32,
    pub(super) dashed: bool,
}

pub(super) const fn pen(color: Color, width: f32) -> Pen {
    Pen {
        color,
        width,
        dashed: false,
    }
}

/// How to draw text.
#[derive(Clone, Copy)]
pub(super) struct Style {
    pub(super) px: f32,
    pub(super) color: Color,
    pub(super) vertical: bool,
    pub(super) clip: bool,
}

pub(super) const fn style(px: f32) -> Style {
    Style {
        px,
        color: Color::BLACK,
        vertical: false,
        clip: false,
    }
}

/// The pixmap being drawn, the fonts and the current plot area's clip mask.
///
/// Text is set in Ubuntu Light; characters it lacks (such as ∇, ⁻ and ‖) come
/// from Hack, and characters neither has show as the missing-glyph box.
pub(super) struct Canvas<'f> {
    pub(super) pixmap: Pixmap,
    pub(super) fonts: [FontRef<'f>; 2],
    pub(super) mask: Option<Mask>,
}

impl Canvas<'_> {
    /// Strokes `path` (if any) anti-aliased with round joins, clipped to the plot if `clip`.
    pub(super) fn stroke(&mut self, path: Option<Path>, pen: Pen, clip: bool) {
        let Some(path) = path else { return };
        let width = if pen.width.is_finite() && pen.width > 0.0 {
            pen.width.min(100.0)
        } else {
            1.0
        };
        let unit = width.max(1.5);
        let stroke = Stroke {
            width,
            line_cap: if pen.dashed {
                LineCap::Butt
            } else {
                LineCap::Round
            },
            line_join: LineJoin::Round,
            dash: pen
                .dashed
                .then(|| StrokeDash::new(vec![4.0 * unit, 2.5 * unit], 0.0))
                .flatten(),
            ..Stroke::default()
        };
        let mask = self.mask.as_ref().filter(|_| clip);
        self.pixmap.stroke_path(
            &path,
            &paint(pen.color),
            &stroke,
            Transform::identity(),
            mask,
        );
    }

    /// Fills `path` (if any), clipped to the plot if `clip`.
    pub(super) fn fill(&mut self, path: Option<Path>, color: Color, clip: bool) {
        let (Some(path), mask) = (path, self.mask.as_ref().filter(|_| clip)) else {
            return;
        };
        let paint = paint(color);
        self.pixmap.fill_path(
            &path,
            &paint,
            FillRule::Winding,
            Transform::identity(),
            mask,
        );
    }

    /// Positions the glyphs of one line of text, which starts 1 px inside its box,
    /// with superscripts raised ([`spans`]). Returns the glyphs and the box size.
    pub(super) fn layout(&self, text: &str, px: f32) -> (Vec<(usize, Glyph)>, [f64; 2]) {
        let scaled = self.fonts[0].as_scaled(PxScale::from(px));
        let (ascent, descent) = (scaled.ascent(), scaled.descent());
        let (sup_px, rise) = (0.7 * px, 0.45 * px);
        let spans = spans(text);
        let headroom = if spans.iter().any(|s| s.raised) {
            (rise + 0.7 * ascent - ascent).max(0.0)
        } else {
            0.0
        };
        let baseline = 1.0 + headroom + ascent;
        let (mut caret, mut glyphs) = (1.0, vec![]);
        for (c, sup) in spans
            .iter()
            .flat_map(|s| s.text.chars().map(move |c| (c, s.raised)))
        {
            let (size, y) = if sup {
                (sup_px, baseline - rise)
            } else {
                (px, baseline)
            };
            // Neither font has U+2225 (parallel to), so use U+2016 (double bar).
            let c = if c == '∥' { '‖' } else { c };
            let k = (0..self.fonts.len())
                .find(|&k| self.fonts[k].glyph_id(c).0 != 0)
                .unwrap_or(0);
            let scaled = self.fonts[k].as_scaled(PxScale::from(size));
            let mut glyph = scaled.scaled_glyph(c);
            glyph.position = point(caret, y);
            caret += scaled.h_advance(glyph.id);
            glyphs.push((k, glyph));
        }
        (
            glyphs,
            [
                f64::from(caret + 1.0).ceil(),
                f64::from(baseline - descent + 1.0).ceil(),
            ],
        )
    }

    /// The pixel width and height of the box [`Canvas::layout`] puts text in.
    pub(super) fn text_size(&self, text: &str, px: f32) -> [f64; 2] {
        self.layout(text, px).1
    }

    /// Draws one line of text so that the point `align` (fractions of its box,
    /// after rotation) lands on `at`; a vertical style reads bottom to top.
    pub(super) fn text(&mut self, text: &str, style: Style, at: [f64; 2], align: [f64; 2]) {
        if text.is_empty() || text.len() > 10_000 {
            return;
        }
        let (glyphs, [w, h]) = self.layout(text, style.px);
        let (w, h) = (w as i64, h as i64);
        let (bw, bh) = if style.vertical { (h, w) } else { (w, h) };
        let x0 = (at[0] - align[0] * bw as f64).round() as i64;
        let y0 = (at[1] - align[1] * bh as f64).round() as i64;
        let (pw, ph) = (
            i64::from(self.pixmap.width()),
            i64::from(self.pixmap.height()),
        );
        let mask = self.mask.as_ref().filter(|_| style.clip).map(Mask::data);
        let pixels = self.pixmap.pixels_mut();
        for outlined in glyphs
            .into_iter()
            .filter_map(|(k, g)| self.fonts[k].outline_glyph(g))
        {
            let min = outlined.px_bounds().min;
            outlined.draw(|gx, gy, coverage| {
                let (i, j) = (min.x as i64 + i64::from(gx), min.y as i64 + i64::from(gy));
                let (x, y) = if style.vertical {
                    (x0 + j, y0 + w - 1 - i)
                } else {
                    (x0 + i, y0 + j)
                };
                if (0..pw).contains(&x) && (0..ph).contains(&y) {
                    let k = (y * pw + x) as usize;
                    let clip = mask.map_or(1.0, |m| f32::from(m[k]) / 255.0);
                    blend(&mut pixels[k], style.color, coverage * clip);
                }
            });
        }
    }
}

/// A run of text drawn at one height.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Span {
    /// The characters, without markup.
    pub(super) text: String,
    /// Whether they are a superscript.
    pub(super) raised: bool,
}

/// Splits text into runs on the baseline and raised runs: a `^` raises the
/// next character, or a `{...}` group without its braces (a group left open
/// runs to the end). A `^` that ends the text is drawn as it is.
pub(super) fn spans(text: &str) -> Vec<Span> {
    pub(super) fn push(out: &mut Vec<Span>, text: &str, raised: bool) {
        if text.is_empty() {
            return;
        }
        match out.last_mut() {
            Some(last) if last.raised == raised => last.text.push_str(text),
            _ => out.push(Span {
                text: text.to_owned(),
                raised,
            }),
        }
    }
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find('^') {
        push(&mut out, &rest[..i], false);
        let after = &rest[i + 1..];
        match after.chars().next() {
            None => {
                push(&mut out, "^", false);
                rest = "";
            }
            Some('{') => {
                let group = &after[1..];
                let end = group.find('}').unwrap_or(group.len());
                push(&mut out, &group[..end], true);
                rest = group.get(end + 1..).unwrap_or("");
            }
            Some(c) => {
                push(&mut out, &after[..c.len_utf8()], true);
                rest = &after[c.len_utf8()..];
            }
        }
    }
    push(&mut out, rest, false);
    out
}

pub(super) fn paint(color: Color) -> Paint<'static> {
    let mut paint = Paint::default();
    paint.set_color_rgba8(color.r, color.g, color.b, color.a);
    paint.anti_alias = true;
    paint
}

/// Source-over blends `color` at `coverage` onto a premultiplied pixel.
pub(super) fn blend(dst: &mut PremultipliedColorU8, color: Color, coverage: f32) {
    let sa = f32::from(color.a) / 255.0 * coverage.clamp(0.0, 1.0);
    let mix = |s: u8, d: u8| (f32::from(s) * sa + f32::from(d) * (1.0 - sa)).round() as u8;
    let (r, g, b) = (
        mix(color.r, dst.red()),
        mix(color.g, dst.green()),
        mix(color.b, dst.blue()),
    );
    if let Some(p) = PremultipliedColorU8::from_rgba(r, g, b, mix(255, dst.alpha())) {
        *dst = p;
    }
}
