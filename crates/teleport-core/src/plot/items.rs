//! Builders for the chart [`Item`]s in the manner of `egui_plot`: a
//! constructor with what the item cannot do without, then chained setters,
//! and `Into<Item>` for [`Chart::push`](super::Chart::push).
//!
//! ```
//! use teleport_core::plot::{Chart, Line, Marker, Markers, PALETTE};
//!
//! let chart = Chart::new("Loss", "step", "f")
//!     .push(Line::new("GD", vec![[0.0, 1.0], [1.0, 0.5]]).color(PALETTE[0]).width(2.0))
//!     .push(Markers::new("", vec![[1.0, 0.5]]).shape(Marker::Diamond).size(6.0));
//! assert_eq!(chart.items.len(), 2);
//! ```
//!
//! An empty name means no legend entry, as in `egui_plot`.

use super::{Color, Item, Marker};

/// `Some(name)`, or `None` for an empty name (no legend entry).
fn legend_name(name: impl Into<String>) -> Option<String> {
    Some(name.into()).filter(|n| !n.is_empty())
}

/// Implements setters that each replace one field: `name => field: Type`.
macro_rules! setters {
    ($builder:ident { $($(#[$doc:meta])* $name:ident => $field:ident: $ty:ty,)* }) => {
        impl $builder {
            $(
                $(#[$doc])*
                pub fn $name(self, $field: $ty) -> Self {
                    $builder { $field, ..self }
                }
            )*
        }
    };
}

/// Implements `From<$builder> for Item` by moving the same-named fields.
macro_rules! into_item {
    ($builder:ident: $($field:ident),*) => {
        impl From<$builder> for Item {
            fn from(b: $builder) -> Item {
                Item::$builder { $($field: b.$field),* }
            }
        }
    };
}

/// Builds an [`Item::Line`]: black, 1 px, solid unless set otherwise.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    name: Option<String>,
    color: Color,
    width: f32,
    points: Vec<[f64; 2]>,
    dashed: bool,
}

impl Line {
    /// A polyline through `points`, listed in the legend as `name`.
    pub fn new(name: impl Into<String>, points: Vec<[f64; 2]>) -> Self {
        let (color, width, dashed) = (Color::BLACK, 1.0, false);
        let name = legend_name(name);
        Line {
            name,
            color,
            width,
            points,
            dashed,
        }
    }

    /// Stroked with dashes.
    pub fn dashed(self) -> Self {
        Line {
            dashed: true,
            ..self
        }
    }
}

setters!(Line {
    /// The stroke colour.
    color => color: Color,
    /// The stroke width in pixels.
    width => width: f32,
});
into_item!(Line: name, color, width, points, dashed);

/// Builds an [`Item::Markers`]: black 5 px circles unless set otherwise.
#[derive(Clone, Debug, PartialEq)]
pub struct Markers {
    name: Option<String>,
    color: Color,
    points: Vec<[f64; 2]>,
    marker: Marker,
    size: f32,
}

impl Markers {
    /// A marker at each of `points`, listed in the legend as `name`.
    pub fn new(name: impl Into<String>, points: Vec<[f64; 2]>) -> Self {
        let (color, marker, size) = (Color::BLACK, Marker::Circle, 5.0);
        let name = legend_name(name);
        Markers {
            name,
            color,
            points,
            marker,
            size,
        }
    }
}

setters!(Markers {
    /// The marker colour.
    color => color: Color,
    /// The marker shape.
    shape => marker: Marker,
    /// The marker diameter in pixels.
    size => size: f32,
});
into_item!(Markers: name, color, points, marker, size);

/// Builds an [`Item::Band`]: black (drawn at 25 % opacity) unless set otherwise.
#[derive(Clone, Debug, PartialEq)]
pub struct Band {
    name: Option<String>,
    color: Color,
    x: Vec<f64>,
    lo: Vec<f64>,
    hi: Vec<f64>,
}

impl Band {
    /// The region between `lo` and `hi` over `x`, listed in the legend as `name`.
    pub fn new(name: impl Into<String>, x: Vec<f64>, lo: Vec<f64>, hi: Vec<f64>) -> Self {
        let (name, color) = (legend_name(name), Color::BLACK);
        Band {
            name,
            color,
            x,
            lo,
            hi,
        }
    }
}

setters!(Band {
    /// The fill colour; its alpha is the fill's opacity.
    color => color: Color,
});
into_item!(Band: name, color, x, lo, hi);

/// Builds an [`Item::Arrow`]: black, 1 px unless set otherwise.
#[derive(Clone, Debug, PartialEq)]
pub struct Arrow {
    name: Option<String>,
    color: Color,
    from: [f64; 2],
    to: [f64; 2],
    width: f32,
}

impl Arrow {
    /// An arrow from `from` with its head at `to`, listed in the legend as `name`.
    pub fn new(name: impl Into<String>, from: [f64; 2], to: [f64; 2]) -> Self {
        let (name, color, width) = (legend_name(name), Color::BLACK, 1.0);
        Arrow {
            name,
            color,
            from,
            to,
            width,
        }
    }
}

setters!(Arrow {
    /// The arrow colour.
    color => color: Color,
    /// The shaft width in pixels.
    width => width: f32,
});
into_item!(Arrow: name, color, from, to, width);

/// Builds an [`Item::Segments`]: black, 1 px unless set otherwise.
#[derive(Clone, Debug, PartialEq)]
pub struct Segments {
    color: Color,
    width: f32,
    segments: Vec<[[f64; 2]; 2]>,
}

impl Segments {
    /// Independent segments, each a pair of end points; never in the legend.
    pub fn new(segments: Vec<[[f64; 2]; 2]>) -> Self {
        let (color, width) = (Color::BLACK, 1.0);
        Segments {
            color,
            width,
            segments,
        }
    }
}

setters!(Segments {
    /// The stroke colour.
    color => color: Color,
    /// The stroke width in pixels.
    width => width: f32,
});
into_item!(Segments: color, width, segments);

/// Builds an [`Item::HLine`]: black and solid unless set otherwise.
#[derive(Clone, Debug, PartialEq)]
pub struct HLine {
    name: Option<String>,
    color: Color,
    y: f64,
    dashed: bool,
}

impl HLine {
    /// A horizontal line at height `y`, listed in the legend as `name`.
    pub fn new(name: impl Into<String>, y: f64) -> Self {
        let (name, color, dashed) = (legend_name(name), Color::BLACK, false);
        HLine {
            name,
            color,
            y,
            dashed,
        }
    }

    /// Stroked with dashes.
    pub fn dashed(self) -> Self {
        HLine {
            dashed: true,
            ..self
        }
    }
}

setters!(HLine {
    /// The stroke colour.
    color => color: Color,
});
into_item!(HLine: name, color, y, dashed);

/// Builds an [`Item::Text`]: black unless set otherwise.
#[derive(Clone, Debug, PartialEq)]
pub struct Text {
    at: [f64; 2],
    text: String,
    color: Color,
}

impl Text {
    /// `text` with its left edge and vertical centre at `at`.
    pub fn new(at: [f64; 2], text: impl Into<String>) -> Self {
        let (text, color) = (text.into(), Color::BLACK);
        Text { at, text, color }
    }
}

setters!(Text {
    /// The text colour.
    color => color: Color,
});
into_item!(Text: at, text, color);

/// Builds an [`Item::Image`].
#[derive(Clone, Debug, PartialEq)]
pub struct Image {
    x: (f64, f64),
    y: (f64, f64),
    width: u32,
    height: u32,
    rgba: Vec<u8>,
}

impl Image {
    /// `width` × `height` RGBA8 pixels (rows from the top down) stretched
    /// over the data rectangle `x` × `y`, each range low end first.
    pub fn new(x: (f64, f64), y: (f64, f64), [width, height]: [u32; 2], rgba: Vec<u8>) -> Self {
        Image {
            x,
            y,
            width,
            height,
            rgba,
        }
    }
}

into_item!(Image: x, y, width, height, rgba);
