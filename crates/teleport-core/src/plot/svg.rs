//! The SVG surface: the primitives of [`Canvas`] written as SVG 1.1 elements.
//!
//! Coordinates are the raster's pixels, written with at most two decimals so
//! that the same figure always gives the same bytes. Text stays text, set in
//! the fonts the raster uses (Ubuntu Light, with Hack for what it lacks).

use std::fmt::Write as _;

#[allow(clippy::wildcard_imports, reason = "one module split by concern")]
use super::*;

/// The font families of [`Canvas::fonts`], in the same order, with fallbacks.
const FAMILIES: [(&str, u16); 2] = [("Ubuntu, sans-serif", 300), ("Hack, monospace", 400)];

/// An SVG document being written.
pub(super) struct SvgDoc {
    out: String,
    /// Clip paths written so far.
    clips: usize,
    /// The id of the current plot area's clip path.
    clip: Option<String>,
}

/// A number with at most two decimals and no trailing zeros (`-0` as `0`).
pub(super) fn num(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

/// `s` with XML's special characters escaped and the characters XML 1.0
/// cannot hold (control characters other than tab) left out.
pub(super) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push(c),
            c if c.is_control() || matches!(c, '\u{FFFE}' | '\u{FFFF}') => {}
            c => out.push(c),
        }
    }
    out
}

/// `#rrggbb`.
fn hex(color: Color) -> String {
    format!("#{:02x}{:02x}{:02x}", color.r, color.g, color.b)
}

/// The attribute `name="…"` for a translucent colour's alpha, or nothing.
fn opacity(name: &str, color: Color) -> String {
    if color.a == 255 {
        String::new()
    } else {
        format!(" {name}=\"{}\"", num3(f64::from(color.a) / 255.0))
    }
}

/// A number with at most three decimals.
fn num3(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// The path's outline as SVG path data.
fn path_data(path: &Path) -> String {
    let mut d = String::new();
    let p = |pt: tiny_skia::Point| format!("{} {}", num(pt.x.into()), num(pt.y.into()));
    for seg in path.segments() {
        let _ = match seg {
            tiny_skia::PathSegment::MoveTo(a) => write!(d, "M{}", p(a)),
            tiny_skia::PathSegment::LineTo(a) => write!(d, "L{}", p(a)),
            tiny_skia::PathSegment::QuadTo(a, b) => write!(d, "Q{} {}", p(a), p(b)),
            tiny_skia::PathSegment::CubicTo(a, b, c) => {
                write!(d, "C{} {} {}", p(a), p(b), p(c))
            }
            tiny_skia::PathSegment::Close => write!(d, "Z"),
        };
    }
    d
}

impl SvgDoc {
    /// A document of this size on a white background.
    pub(super) fn new(width: u32, height: u32) -> Self {
        let mut out = String::new();
        let _ = write!(
            out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <svg xmlns=\"http://www.w3.org/2000/svg\" \
             xmlns:xlink=\"http://www.w3.org/1999/xlink\" version=\"1.1\" \
             width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">\n\
             <rect width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>\n"
        );
        SvgDoc {
            out,
            clips: 0,
            clip: None,
        }
    }

    /// The finished document.
    pub(super) fn finish(mut self) -> String {
        self.out.push_str("</svg>\n");
        self.out
    }

    /// Defines a clip path for `area` and makes it current, or clears it.
    pub(super) fn set_clip(&mut self, area: Option<Area>) {
        self.clip = area.map(|a| {
            let id = format!("clip{}", self.clips);
            self.clips += 1;
            let _ = writeln!(
                self.out,
                "<clipPath id=\"{id}\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/></clipPath>",
                num(a.l),
                num(a.t),
                num(a.r - a.l),
                num(a.b - a.t)
            );
            id
        });
    }

    /// ` clip-path="url(#…)"` when `clip` and a plot area is current.
    fn clip_attr(&self, clip: bool) -> String {
        match (&self.clip, clip) {
            (Some(id), true) => format!(" clip-path=\"url(#{id})\""),
            _ => String::new(),
        }
    }

    pub(super) fn stroke(
        &mut self,
        path: &Path,
        color: Color,
        width: f32,
        dash: Option<[f32; 3]>,
        clip: bool,
    ) {
        let (cap, dash) = match dash {
            Some([on, off, offset]) => {
                let mut attrs = format!(
                    " stroke-dasharray=\"{} {}\"",
                    num(on.into()),
                    num(off.into())
                );
                if num(offset.into()) != "0" {
                    let _ = write!(attrs, " stroke-dashoffset=\"{}\"", num(offset.into()));
                }
                ("butt", attrs)
            }
            None => ("round", String::new()),
        };
        let _ = writeln!(
            self.out,
            "<path d=\"{}\" fill=\"none\" stroke=\"{}\"{} stroke-width=\"{}\" \
             stroke-linecap=\"{cap}\" stroke-linejoin=\"round\"{dash}{}/>",
            path_data(path),
            hex(color),
            opacity("stroke-opacity", color),
            num(width.into()),
            self.clip_attr(clip)
        );
    }

    /// A filled path; without anti-aliasing (`aa` false) it asks for
    /// `shape-rendering="crispEdges"`.
    pub(super) fn fill(&mut self, path: &Path, color: Color, clip: bool, aa: bool) {
        let crisp = if aa {
            ""
        } else {
            " shape-rendering=\"crispEdges\""
        };
        let _ = writeln!(
            self.out,
            "<path d=\"{}\" fill=\"{}\"{}{}{crisp}/>",
            path_data(path),
            hex(color),
            opacity("fill-opacity", color),
            self.clip_attr(clip)
        );
    }

    /// An `<image>` of the RGBA8 pixels, embedded as PNG, stretched over `rect`.
    pub(super) fn image(&mut self, rect: Area, [w, h]: [u32; 2], rgba: &[u8], clip: bool) {
        use base64::Engine as _;
        use image::ImageEncoder as _;
        let mut png = Vec::new();
        let encoded = image::codecs::png::PngEncoder::new(&mut png).write_image(
            rgba,
            w,
            h,
            image::ExtendedColorType::Rgba8,
        );
        if encoded.is_err() {
            return;
        }
        let data = base64::engine::general_purpose::STANDARD.encode(&png);
        let _ = writeln!(
            self.out,
            "<image x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" preserveAspectRatio=\"none\"{} \
             xlink:href=\"data:image/png;base64,{data}\"/>",
            num(rect.l),
            num(rect.t),
            num(rect.r - rect.l),
            num(rect.b - rect.t),
            self.clip_attr(clip)
        );
    }

    /// One line of text whose layout box has its top left at `corner` (before
    /// rotation, for vertical text), `box_w` wide; `along` is the fraction of
    /// the text's length that the anchor marks (0 start, 0.5 middle, 1 end).
    pub(super) fn text(
        &mut self,
        runs: &TextRuns,
        style: Style,
        corner: [f64; 2],
        box_w: f64,
        along: f64,
    ) {
        // Renderers shape a text chunk with one font (resvg even moves a
        // whole chunk to the fallback font), so text that mixes the fonts
        // puts each run at its own position, as laid out here, from the start.
        let mixed = runs.runs.iter().any(|r| r.font != 0);
        let anchor = if mixed || along < 0.25 {
            ("start", 0.0)
        } else if along < 0.75 {
            ("middle", 0.5)
        } else {
            ("end", 1.0)
        };
        let x = 1.0 + anchor.1 * runs.advance;
        // Where the text's box starts, in the coordinates of the `<text>`.
        let (left, top) = if style.vertical {
            (0.0, 0.0)
        } else {
            (corner[0], corner[1])
        };
        let transform = if style.vertical {
            // The raster's box, turned a quarter counterclockwise: reads bottom to top.
            format!(
                " transform=\"translate({} {}) rotate(-90)\"",
                num(corner[0]),
                num(corner[1] + box_w)
            )
        } else {
            String::new()
        };
        let position = format!("x=\"{}\" y=\"{}\"", num(left + x), num(top + runs.baseline));
        let (family, weight) = FAMILIES[0];
        let _ = write!(
            self.out,
            "<text {position}{transform} font-family=\"{family}\" font-weight=\"{weight}\" \
             font-size=\"{}\" fill=\"{}\"{} text-anchor=\"{}\" xml:space=\"preserve\"{}>",
            num(runs.em.into()),
            hex(style.color),
            opacity("fill-opacity", style.color),
            anchor.0,
            self.clip_attr(style.clip)
        );
        // Raised runs shift up by `rise` and the next run back down.
        let mut raised = false;
        for run in &runs.runs {
            let mut attrs = String::new();
            if mixed {
                let _ = write!(attrs, " x=\"{}\"", num(left + run.x));
            }
            if run.font != 0 {
                let (family, weight) = FAMILIES[run.font.min(FAMILIES.len() - 1)];
                let _ = write!(attrs, " font-family=\"{family}\" font-weight=\"{weight}\"");
            }
            if num(run.em.into()) != num(runs.em.into()) {
                let _ = write!(attrs, " font-size=\"{}\"", num(run.em.into()));
            }
            if run.raised != raised {
                let dy = if run.raised { -runs.rise } else { runs.rise };
                let _ = write!(attrs, " dy=\"{}\"", num(dy.into()));
                raised = run.raised;
            }
            if attrs.is_empty() {
                self.out.push_str(&escape(&run.text));
            } else {
                let _ = write!(self.out, "<tspan{attrs}>{}</tspan>", escape(&run.text));
            }
        }
        self.out.push_str("</text>\n");
    }
}
