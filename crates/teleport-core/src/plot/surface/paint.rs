//! Painting a scene with the charts' raster and SVG backends.

use tiny_skia::{PathBuilder, Pixmap};

use super::super::canvas::{Canvas, Style, Surface};
use super::super::chart::{draw_marker, polygon_path};
use super::super::svg::SvgDoc;
use super::super::{PlotError, fonts};
use super::{Primitive, Stroke, SurfaceScene, check_size};

/// Paints a scene's primitives in order on a canvas of the scene's size.
fn paint(canvas: &mut Canvas, scene: &SurfaceScene) {
    let path_of = |points: &[[f32; 2]], close: bool| {
        let mut pb = PathBuilder::new();
        for (k, p) in points.iter().enumerate() {
            if k == 0 {
                pb.move_to(p[0], p[1]);
            } else {
                pb.line_to(p[0], p[1]);
            }
        }
        if close {
            pb.close();
        }
        pb.finish()
    };
    let stroke = |canvas: &mut Canvas, path, s: &Stroke| {
        let width = if s.width.is_finite() && s.width > 0.0 {
            s.width.min(100.0)
        } else {
            1.0
        };
        let dash = s
            .dash
            .filter(|d| d.on > 0.0 && d.off >= 0.0 && d.on.is_finite() && d.off.is_finite())
            .map(|d| {
                [
                    d.on,
                    d.off,
                    if d.offset.is_finite() { d.offset } else { 0.0 },
                ]
            });
        canvas.stroke_dashes(path, s.color, width, dash, false);
    };
    for primitive in &scene.primitives {
        match primitive {
            Primitive::Polygon {
                points,
                fill,
                outline,
                antialias,
            } => {
                let poly: Vec<[f64; 2]> =
                    points.iter().map(|p| [p[0].into(), p[1].into()]).collect();
                canvas.fill_with(polygon_path(&poly), *fill, false, *antialias);
                if let Some(s) = outline {
                    stroke(canvas, path_of(points, true), s);
                }
            }
            Primitive::Polyline { points, stroke: s } => stroke(canvas, path_of(points, false), s),
            Primitive::Marker {
                at,
                shape,
                size,
                color,
            } => draw_marker(
                canvas,
                *shape,
                [at[0].into(), at[1].into()],
                *size,
                *color,
                false,
            ),
            Primitive::Text {
                at,
                text,
                color,
                size,
                align,
            } => {
                let style = Style {
                    px: *size,
                    color: *color,
                    vertical: false,
                    clip: false,
                };
                canvas.text(
                    text,
                    style,
                    [at[0].into(), at[1].into()],
                    [align[0].into(), align[1].into()],
                );
            }
        }
    }
}

/// Paints a scene into a new pixmap (premultiplied RGBA on white).
pub(in crate::plot) fn render_scene(scene: &SurfaceScene) -> Result<Pixmap, PlotError> {
    check_size(scene.width, scene.height)?;
    let mut pixmap = Pixmap::new(scene.width, scene.height).ok_or(PlotError::Size {
        width: scene.width,
        height: scene.height,
    })?;
    pixmap.fill(tiny_skia::Color::WHITE);
    let mut canvas = Canvas {
        surface: Surface::Raster { pixmap, mask: None },
        fonts: fonts()?,
        size: [scene.width, scene.height],
    };
    paint(&mut canvas, scene);
    match canvas.surface {
        Surface::Raster { pixmap, .. } => Ok(pixmap),
        _ => Err(PlotError::Encode("the pixmap was lost".into())),
    }
}

/// The scene as PNG bytes, painted by the charts' raster backend
/// (tiny-skia, anti-aliased, white background).
pub fn surface_png(scene: &SurfaceScene) -> Result<Vec<u8>, PlotError> {
    render_scene(scene)?
        .encode_png()
        .map_err(|e| PlotError::Encode(e.to_string()))
}

/// The scene as an SVG 1.1 document of the scene's size, painted by the
/// charts' SVG backend: the same primitives in the same order as
/// [`surface_png`], text kept as text, coordinates with two decimals (the
/// same scene gives the same bytes).
pub fn surface_svg(scene: &SurfaceScene) -> Result<String, PlotError> {
    check_size(scene.width, scene.height)?;
    let mut canvas = Canvas {
        surface: Surface::Svg(SvgDoc::new(scene.width, scene.height)),
        fonts: fonts()?,
        size: [scene.width, scene.height],
    };
    paint(&mut canvas, scene);
    match canvas.surface {
        Surface::Svg(doc) => Ok(doc.finish()),
        _ => Err(PlotError::Encode("the SVG surface was lost".into())),
    }
}
