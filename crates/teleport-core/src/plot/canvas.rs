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
#[derive(Clone, Copy, Debug, PartialEq)]
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

/// Where a figure is drawn: the one layout and drawing code in
/// [`Chart::draw`] goes through a [`Canvas`], which hands each primitive to
/// its surface.
pub(super) enum Surface {
    /// Pixels (premultiplied RGBA) with the current plot area's clip mask.
    Raster {
        /// The pixels drawn so far.
        pixmap: Pixmap,
        /// The clip of the current plot area, if any.
        mask: Option<Mask>,
    },
    /// SVG elements.
    Svg(SvgDoc),
    /// Nothing: only the layout is wanted (text sizes, plot areas, ranges).
    Layout,
}

/// The pixel surface, the fonts, and the figure's size.
///
/// Text is set in Ubuntu Light; characters it lacks (such as ∇, ⁻ and ‖) come
/// from Hack, and characters neither has show as the missing-glyph box.
pub(super) struct Canvas<'f> {
    pub(super) surface: Surface,
    pub(super) fonts: [FontRef<'f>; 2],
    /// The figure's width and height in pixels.
    pub(super) size: [u32; 2],
}

/// The stroke width actually used for a pen: finite, positive, at most 100.
fn stroke_width(pen: Pen) -> f32 {
    if pen.width.is_finite() && pen.width > 0.0 {
        pen.width.min(100.0)
    } else {
        1.0
    }
}

/// The dash and gap lengths, in pixels, of a dashed line `width` pixels
/// wide in every chart and in the surface view.
pub fn dash_pattern(width: f32) -> [f32; 2] {
    let unit = width.max(1.5);
    [4.0 * unit, 2.5 * unit]
}

impl Canvas<'_> {
    /// Clips later `clip` drawing to `area` (a plot area), or stops clipping.
    pub(super) fn set_clip(&mut self, area: Option<Area>) {
        let [w, h] = self.size;
        match &mut self.surface {
            Surface::Raster { mask, .. } => {
                *mask = area.and_then(Area::path).and_then(|path| {
                    let mut m = Mask::new(w, h)?;
                    m.fill_path(&path, FillRule::Winding, false, Transform::identity());
                    Some(m)
                });
            }
            Surface::Svg(doc) => doc.set_clip(area),
            Surface::Layout => {}
        }
    }

    /// Strokes `path` (if any) anti-aliased with round joins, clipped to the plot if `clip`.
    pub(super) fn stroke(&mut self, path: Option<Path>, pen: Pen, clip: bool) {
        let width = stroke_width(pen);
        let dash = pen.dashed.then(|| {
            let [on, off] = dash_pattern(width);
            [on, off, 0.0]
        });
        self.stroke_dashes(path, pen.color, width, dash, clip);
    }

    /// Strokes `path` (if any) `width` pixels wide (finite and positive),
    /// with round caps and joins, or with butt caps in `dash` = `[on, off,
    /// offset]` dashes starting `offset` pixels into the pattern.
    pub(super) fn stroke_dashes(
        &mut self,
        path: Option<Path>,
        color: Color,
        width: f32,
        dash: Option<[f32; 3]>,
        clip: bool,
    ) {
        let Some(path) = path else { return };
        match &mut self.surface {
            Surface::Raster { pixmap, mask } => {
                let stroke = Stroke {
                    width,
                    line_cap: if dash.is_some() {
                        LineCap::Butt
                    } else {
                        LineCap::Round
                    },
                    line_join: LineJoin::Round,
                    dash: dash.and_then(|[on, off, offset]| StrokeDash::new(vec![on, off], offset)),
                    ..Stroke::default()
                };
                let mask = mask.as_ref().filter(|_| clip);
                pixmap.stroke_path(&path, &paint(color), &stroke, Transform::identity(), mask);
            }
            Surface::Svg(doc) => doc.stroke(&path, color, width, dash, clip),
            Surface::Layout => {}
        }
    }

    /// Fills `path` (if any), clipped to the plot if `clip`.
    pub(super) fn fill(&mut self, path: Option<Path>, color: Color, clip: bool) {
        self.fill_with(path, color, clip, true);
    }

    /// Fills `path` (if any), clipped to the plot if `clip`, anti-aliased or
    /// not: without, pixels are in or out by their centres, so polygons
    /// that share edges tile without seams (SVG: `crispEdges`).
    pub(super) fn fill_with(&mut self, path: Option<Path>, color: Color, clip: bool, aa: bool) {
        let Some(path) = path else { return };
        match &mut self.surface {
            Surface::Raster { pixmap, mask } => {
                let mask = mask.as_ref().filter(|_| clip);
                let mut paint = paint(color);
                paint.anti_alias = aa;
                pixmap.fill_path(
                    &path,
                    &paint,
                    FillRule::Winding,
                    Transform::identity(),
                    mask,
                );
            }
            Surface::Svg(doc) => doc.fill(&path, color, clip, aa),
            Surface::Layout => {}
        }
    }

    /// Draws an RGBA8 image (straight alpha, rows top to bottom) scaled into
    /// the pixel rectangle `rect`, smoothed (bicubic), clipped to the plot if `clip`.
    pub(super) fn image(&mut self, rect: Area, size: [u32; 2], rgba: &[u8], clip: bool) {
        let [w, h] = size;
        let valid = w > 0
            && h > 0
            && w <= MAX_SIDE
            && h <= MAX_SIDE
            && rgba.len() as u64 == u64::from(w) * u64::from(h) * 4
            && [rect.l, rect.t, rect.r, rect.b]
                .iter()
                .all(|v| v.is_finite() && v.abs() < 1e7)
            && rect.r > rect.l
            && rect.b > rect.t;
        if !valid {
            return;
        }
        match &mut self.surface {
            Surface::Raster { pixmap, mask } => {
                let Some(source) = premultiplied(size, rgba) else {
                    return;
                };
                let Some(unit) = tiny_skia::Rect::from_xywh(0.0, 0.0, w as f32, h as f32) else {
                    return;
                };
                let paint = Paint {
                    shader: tiny_skia::Pattern::new(
                        source.as_ref(),
                        tiny_skia::SpreadMode::Pad,
                        tiny_skia::FilterQuality::Bicubic,
                        1.0,
                        Transform::identity(),
                    ),
                    ..Paint::default()
                };
                let transform = Transform::from_row(
                    ((rect.r - rect.l) / f64::from(w)) as f32,
                    0.0,
                    0.0,
                    ((rect.b - rect.t) / f64::from(h)) as f32,
                    rect.l as f32,
                    rect.t as f32,
                );
                let mask = mask.as_ref().filter(|_| clip);
                pixmap.fill_rect(unit, &paint, transform, mask);
            }
            Surface::Svg(doc) => doc.image(rect, size, rgba, clip),
            Surface::Layout => {}
        }
    }

    /// Positions the glyphs of one line of text, which starts 1 px inside its box,
    /// with superscripts raised ([`spans`]). Returns the glyphs and the box size.
    pub(super) fn layout(&self, text: &str, px: f32) -> (Vec<(usize, Glyph)>, [f64; 2]) {
        let (glyphs, size, _) = self.layout_runs(text, px);
        (glyphs, size)
    }

    /// [`Canvas::layout`], plus the runs of characters that share a font and a
    /// height (for SVG `<tspan>`s) and the baseline.
    fn layout_runs(&self, text: &str, px: f32) -> (Vec<(usize, Glyph)>, [f64; 2], TextRuns) {
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
        let mut runs: Vec<TextRun> = vec![];
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
            let advance = scaled.h_advance(glyph.id);
            glyphs.push((k, glyph));
            match runs.last_mut() {
                Some(run) if run.font == k && run.raised == sup => run.text.push(c),
                _ => runs.push(TextRun {
                    text: c.to_string(),
                    font: k,
                    raised: sup,
                    em: em_size(&self.fonts[k], size),
                    x: f64::from(caret),
                }),
            }
            caret += advance;
        }
        let runs = TextRuns {
            runs,
            advance: f64::from(caret - 1.0),
            baseline: f64::from(baseline),
            em: em_size(&self.fonts[0], px),
            rise,
        };
        (
            glyphs,
            [
                f64::from(caret + 1.0).ceil(),
                f64::from(baseline - descent + 1.0).ceil(),
            ],
            runs,
        )
    }

    /// The pixel width and height of the box [`Canvas::layout`] puts text in.
    pub(super) fn text_size(&self, text: &str, px: f32) -> [f64; 2] {
        self.layout(text, px).1
    }

    /// Draws one line of text so that the point `align` (fractions of its box,
    /// after rotation) lands on `at`; a vertical style reads bottom to top.
    pub(super) fn text(&mut self, text: &str, style: Style, at: [f64; 2], align: [f64; 2]) {
        if text.is_empty() || text.len() > 10_000 || matches!(self.surface, Surface::Layout) {
            return;
        }
        let (glyphs, [w, h], runs) = self.layout_runs(text, style.px);
        let (w, h) = (w as i64, h as i64);
        let (bw, bh) = if style.vertical { (h, w) } else { (w, h) };
        let x0 = (at[0] - align[0] * bw as f64).round() as i64;
        let y0 = (at[1] - align[1] * bh as f64).round() as i64;
        let (pixmap, mask) = match &mut self.surface {
            Surface::Raster { pixmap, mask } => (pixmap, mask),
            Surface::Svg(doc) => {
                // Along the text, the fraction of its box that `at` marks.
                let along = if style.vertical {
                    1.0 - align[1]
                } else {
                    align[0]
                };
                doc.text(&runs, style, [x0 as f64, y0 as f64], w as f64, along);
                return;
            }
            Surface::Layout => return,
        };
        let (pw, ph) = (i64::from(pixmap.width()), i64::from(pixmap.height()));
        let mask = mask.as_ref().filter(|_| style.clip).map(Mask::data);
        let pixels = pixmap.pixels_mut();
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

/// The em size (CSS `font-size`) of `font` drawn at ab_glyph's pixel scale
/// `px`, which sets the ascent-to-descent height rather than the em.
fn em_size(font: &FontRef<'_>, px: f32) -> f32 {
    let height = font.height_unscaled();
    match font.units_per_em() {
        Some(em) if height > 0.0 => px * em / height,
        _ => px,
    }
}

/// Straight RGBA8 rows as a premultiplied pixmap.
fn premultiplied([w, h]: [u32; 2], rgba: &[u8]) -> Option<Pixmap> {
    let mut pixmap = Pixmap::new(w, h)?;
    for (dst, src) in pixmap.pixels_mut().iter_mut().zip(rgba.chunks_exact(4)) {
        *dst = tiny_skia::ColorU8::from_rgba(src[0], src[1], src[2], src[3]).premultiply();
    }
    Some(pixmap)
}

/// Characters of one line of text that share a font and a height.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct TextRun {
    pub(super) text: String,
    /// 0 for Ubuntu Light, 1 for Hack.
    pub(super) font: usize,
    pub(super) raised: bool,
    /// The em size of its characters in pixels (CSS `font-size`).
    pub(super) em: f32,
    /// Where it starts, from the left of the text's box.
    pub(super) x: f64,
}

/// A laid-out line of text as runs, with the metrics SVG needs.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct TextRuns {
    pub(super) runs: Vec<TextRun>,
    /// The advance of the whole line (without the 1 px margins).
    pub(super) advance: f64,
    /// The baseline below the box's top.
    pub(super) baseline: f64,
    /// The em size of the line's base font at the line's size.
    pub(super) em: f32,
    /// How far superscripts are raised.
    pub(super) rise: f32,
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
