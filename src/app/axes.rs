//! Axis ticks that read at a glance, the same on every plot of the app: at
//! least four labelled ticks per axis at any size and zoom, at nice numbers
//! (1, 2, 5 × 10ᵏ) on linear axes, whole decades (and 2 and 5 between them
//! when few decades show) on log₁₀ axes, multiples of π/2 on angle axes.
//! [`Ticks::apply`] sets a plot's spacers and formatters.

use std::f64::consts::PI;

use egui_plot::{AxisHints, GridInput, GridMark, Plot};

use teleport_core::numfmt::{MINUS, decade};

/// How an axis counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ticks {
    /// Nice numbers: 1, 2, 5 × 10ᵏ.
    Linear,
    /// Values are log₁₀ of the quantity: decades.
    Log10,
    /// Radians: multiples of π/2.
    Angle,
}

/// The pixels egui_plot's grid spacer input measures its `base_step_size`
/// in ([`Plot::grid_spacing`]'s minimum, left at egui_plot's default).
const GRID_MIN_PX: f64 = 8.0;

/// The least distance between two labelled ticks, in points: enough for a
/// label such as `−0.25` (x) or one line of text (y).
const fn label_gap(x_axis: bool) -> f32 {
    if x_axis { 34.0 } else { 18.0 }
}

/// The distance between labelled ticks a linear axis aims for, in points.
const fn preferred_gap(x_axis: bool) -> f64 {
    if x_axis { 90.0 } else { 50.0 }
}

/// The ticks labelled at least, when the axis is long enough to hold them.
pub const MIN_LABELS: usize = 4;

/// The shortest angle axis labelled in multiples of π/2 (four of them fit);
/// a shorter one gets nice decimal numbers.
const ANGLE_SPAN: f64 = 1.5 * PI;

impl Ticks {
    /// Sets `plot`'s grid and tick labels: `x` for the horizontal axis, `y`
    /// for the vertical one.
    pub fn apply<'a>(plot: Plot<'a>, x: Self, y: Self) -> Plot<'a> {
        plot.x_grid_spacer(move |input| x.marks(input, true))
            .y_grid_spacer(move |input| y.marks(input, false))
            .custom_x_axes(vec![x.hints(egui_plot::Axis::X)])
            .custom_y_axes(vec![y.hints(egui_plot::Axis::Y)])
    }

    fn hints(self, axis: egui_plot::Axis) -> AxisHints<'static> {
        let gap = label_gap(axis == egui_plot::Axis::X);
        AxisHints::new(axis)
            .formatter(move |mark, range| self.label(mark, range.end() - range.start()))
            .label_spacing(gap..=gap + 1.0)
    }

    /// The grid marks of an axis.
    pub fn marks(self, input: GridInput, x_axis: bool) -> Vec<GridMark> {
        let span = input.bounds.1 - input.bounds.0;
        match self {
            Self::Linear => nice_marks(input, x_axis),
            Self::Log10 => decade_marks(input),
            Self::Angle if span >= ANGLE_SPAN => angle_marks(input),
            Self::Angle => nice_marks(input, x_axis),
        }
    }

    /// A mark's label on an axis showing `span` units.
    pub fn label(self, mark: GridMark, span: f64) -> String {
        match self {
            Self::Linear => nice_label(mark),
            Self::Log10 => decade_label(mark),
            Self::Angle if span >= ANGLE_SPAN => angle_label(mark),
            Self::Angle => nice_label(mark),
        }
    }
}

/// The nice step sizes (1, 2, 5 × 10ᵏ) from the one below `v` up.
fn nice_steps_from(v: f64) -> impl Iterator<Item = f64> {
    let k = v.log10().floor() as i32 - 1;
    (k..k + 40).flat_map(|k| [1.0, 2.0, 5.0].map(move |m| m * 10f64.powi(k)))
}

/// Marks at a nice step: the one nearest [`preferred_gap`] points apart,
/// smaller when that labels fewer than [`MIN_LABELS`] ticks and a smaller
/// step still leaves [`label_gap`] between labels; minor marks at a fifth
/// (a quarter for steps of 2 × 10ᵏ) of the step.
pub fn nice_marks(input: GridInput, x_axis: bool) -> Vec<GridMark> {
    let (lo, hi) = input.bounds;
    let unit_px = GRID_MIN_PX / input.base_step_size;
    if !(lo.is_finite() && hi.is_finite() && hi > lo && unit_px.is_finite() && unit_px > 0.0) {
        return Vec::new();
    }
    let count = |step: f64| ((hi / step).floor() - (lo / step).ceil() + 1.0).max(0.0) as usize;
    let preferred = preferred_gap(x_axis) / unit_px;
    let fits = |step: f64| step * unit_px >= f64::from(label_gap(x_axis));
    let steps: Vec<f64> = nice_steps_from(preferred / 20.0).collect();
    let mut major = steps
        .iter()
        .copied()
        .min_by(|a, b| {
            let d = |s: f64| (s / preferred).ln().abs();
            d(*a).total_cmp(&d(*b))
        })
        .unwrap_or(preferred);
    let chosen = major;
    for &smaller in steps.iter().rev().filter(|s| **s < chosen) {
        if count(major) >= MIN_LABELS || !fits(smaller) {
            break;
        }
        major = smaller;
    }
    let mantissa = major / 10f64.powi(major.log10().floor() as i32);
    let parts: i64 = if (mantissa - 2.0).abs() < 0.5 { 4 } else { 5 };
    let minor = major / parts as f64;
    let first = (lo / minor).ceil() as i64;
    let last = (hi / minor).floor() as i64;
    if last - first > 10_000 {
        return Vec::new();
    }
    (first..=last)
        .map(|k| GridMark {
            value: k as f64 * minor,
            step_size: if k.rem_euclid(parts) == 0 {
                major
            } else {
                minor
            },
        })
        .collect()
}

/// A linear mark's label: as many decimals as its step needs, a real minus
/// sign, `0` for zero; scientific beyond 10⁵ or below 10⁻³.
pub fn nice_label(mark: GridMark) -> String {
    let (v, step) = (mark.value, mark.step_size.abs());
    if !(v.is_finite() && step.is_finite() && step > 0.0) {
        return String::new();
    }
    if v.abs() < step * 1e-6 {
        return "0".to_owned();
    }
    if v.abs() >= 1e5 || step < 1e-3 {
        return teleport_core::numfmt::short(v);
    }
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    format!("{v:.decimals$}").replace('-', &MINUS.to_string())
}

/// Grid marks at whole decades of a log₁₀ axis: every decade when few are
/// visible, else every 2nd, 5th, 10th, … so that at most about eight carry
/// labels. When fewer than [`MIN_LABELS`] decades show, 2 × 10ᵏ and 5 × 10ᵏ
/// are marked too (and then every integer multiple of 10ᵏ, unlabelled where
/// crowded); other fractional decades never get a mark (their labels would
/// read `1e0.5`).
pub fn decade_marks(input: GridInput) -> Vec<GridMark> {
    let (lo, hi) = input.bounds;
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return Vec::new();
    }
    let span = hi - lo;
    let whole = (hi.floor() - lo.ceil() + 1.0).max(0.0);
    if (whole as usize) < MIN_LABELS && span < 8.0 {
        let mut out = Vec::new();
        for k in (lo.floor() as i64)..=(hi.ceil() as i64) {
            for m in 1..10 {
                let value = k as f64 + f64::from(m).log10();
                if (lo..=hi).contains(&value) {
                    // Decades and 2, 5 carry labels; the rest are grid.
                    let step_size = match m {
                        1 => 1.0,
                        2 | 5 => 0.5,
                        _ => 0.1,
                    };
                    out.push(GridMark { value, step_size });
                }
            }
        }
        return out;
    }
    // The largest step that still labels MIN_LABELS decades, if it labels
    // no more than nine with room between labels; else the smallest that
    // labels at most nine with room (egui_plot drops labels closer than
    // [`label_gap`]).
    let count = |step: f64| ((hi / step).floor() - (lo / step).ceil() + 1.0).max(0.0);
    let unit_px = GRID_MIN_PX / input.base_step_size;
    let roomy = |step: f64| {
        !(unit_px.is_finite() && unit_px > 0.0)
            || step * unit_px > f64::from(label_gap(false)) + 1.0
    };
    let steps = [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0];
    let step = steps
        .iter()
        .rev()
        .copied()
        .find(|s| count(*s) >= MIN_LABELS as f64 && count(*s) <= 9.0 && roomy(*s))
        .or_else(|| {
            steps
                .iter()
                .copied()
                .find(|s| count(*s) <= 9.0 && roomy(*s))
        })
        .unwrap_or(500.0);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last)
        .map(|k| GridMark {
            value: k as f64 * step,
            step_size: step,
        })
        .collect()
}

/// The label of a whole-decade mark on a log₁₀ axis (`1e−5`), of a
/// 2 × 10ᵏ or 5 × 10ᵏ mark (`2e−5`, `5e−5`); empty for anything else.
pub fn decade_label(mark: GridMark) -> String {
    let k = mark.value.floor();
    let rest = mark.value - k;
    if k.abs() >= 1e6 {
        return String::new();
    }
    let decade_text = decade(k as i64);
    if rest.abs() < 1e-9 {
        return decade_text;
    }
    if (mark.value - mark.value.round()).abs() < 1e-9 {
        return decade(mark.value.round() as i64);
    }
    for m in [2u8, 5] {
        if (rest - f64::from(m).log10()).abs() < 1e-9 {
            // `2e−5`: the mantissa before the decade's exponent.
            return match decade_text.strip_prefix('1') {
                Some(exp) => format!("{m}{exp}"),
                None => String::new(),
            };
        }
    }
    String::new()
}

/// Marks at multiples of π/4; the multiples of π/2 are the major ones.
pub fn angle_marks(input: GridInput) -> Vec<GridMark> {
    let (lo, hi) = input.bounds;
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo || hi - lo > 1e3 {
        return Vec::new();
    }
    let quarter = PI / 4.0;
    let first = (lo / quarter).ceil() as i64;
    let last = (hi / quarter).floor() as i64;
    (first..=last)
        .map(|k| GridMark {
            value: k as f64 * quarter,
            step_size: if k % 2 == 0 { PI / 2.0 } else { quarter },
        })
        .collect()
}

/// `−π`, `−π/2`, `0`, `π/2`, `π`, `3π/2`, … for multiples of π/2; empty
/// for the minor π/4 marks.
pub fn angle_label(mark: GridMark) -> String {
    let halves = mark.value / (PI / 2.0);
    let k = halves.round();
    if (halves - k).abs() > 1e-6 {
        return String::new();
    }
    let k = k as i64;
    let sign = if k < 0 {
        MINUS.to_string()
    } else {
        String::new()
    };
    match k.abs() {
        0 => "0".to_owned(),
        1 => format!("{sign}π/2"),
        2 => format!("{sign}π"),
        n if n % 2 == 0 => format!("{sign}{}π", n / 2),
        n => format!("{sign}{n}π/2"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The marks egui_plot would label: those [`Ticks::label`] names and
    /// that sit at least [`label_gap`] apart at `px` points for the range.
    fn labelled(ticks: Ticks, lo: f64, hi: f64, px: f64, x_axis: bool) -> Vec<String> {
        let input = GridInput {
            bounds: (lo, hi),
            base_step_size: (hi - lo) / px * GRID_MIN_PX,
        };
        let unit_px = px / (hi - lo);
        ticks
            .marks(input, x_axis)
            .into_iter()
            .filter(|m| m.step_size * unit_px > f64::from(label_gap(x_axis)))
            .map(|m| ticks.label(m, hi - lo))
            .filter(|l| !l.is_empty())
            .collect()
    }

    #[test]
    fn every_linear_axis_labels_at_least_four_nice_ticks() {
        // The level-set plot's axes at 1024×768, 1440×900 and zoomed in
        // presentation, from far out to close in.
        // A phone's plot is 370 points wide; a y axis may be shorter.
        for (px, axes) in [
            (180.0, &[false][..]),
            (280.0, &[true, false]),
            (420.0, &[true, false]),
            (700.0, &[true, false]),
            (1200.0, &[true, false]),
        ] {
            for (lo, hi) in [
                (-12.0, 2.5),
                (-10.0, 1.0),
                (-0.7, 0.4),
                (3.0, 3.001),
                (-5e4, 9e4),
                (0.0, 100.0),
            ] {
                for &x_axis in axes {
                    let labels = labelled(Ticks::Linear, lo, hi, px, x_axis);
                    assert!(
                        labels.len() >= MIN_LABELS,
                        "{lo}..{hi} at {px} px: {labels:?}"
                    );
                    let room = px / f64::from(label_gap(x_axis)) + 1.0;
                    assert!(
                        labels.len() as f64 <= room,
                        "{lo}..{hi} at {px} px: {labels:?}"
                    );
                    for l in &labels {
                        assert!(!l.contains('-'), "a hyphen for a minus: {l}");
                    }
                }
            }
        }
        assert_eq!(
            labelled(Ticks::Linear, -10.0, 1.0, 700.0, true),
            ["−10", "−8", "−6", "−4", "−2", "0"]
        );
    }

    #[test]
    fn a_log_axis_labels_decades_and_fills_in_when_few_show() {
        // Down to a phone's loss plot, 120 points high.
        for px in [120.0, 150.0, 200.0, 400.0] {
            for (lo, hi) in [(-0.6, 1.2), (-16.0, 1.0), (-3.3, -1.9), (-300.0, 2.0)] {
                let labels = labelled(Ticks::Log10, lo, hi, px, false);
                assert!(
                    labels.len() >= MIN_LABELS,
                    "{lo}..{hi} at {px} px: {labels:?}"
                );
            }
        }
        assert_eq!(
            labelled(Ticks::Log10, -0.6, 1.2, 400.0, false),
            ["5e−1", "1", "2", "5", "10"]
        );
    }

    /// An axis of 400 points over `lo..hi`.
    fn input(lo: f64, hi: f64) -> GridInput {
        GridInput {
            bounds: (lo, hi),
            base_step_size: (hi - lo) / 400.0 * GRID_MIN_PX,
        }
    }

    #[test]
    fn decades_are_whole_and_few() {
        // Four decades or more: whole decades only.
        for (lo, hi) in [(-3.2, 2.1), (-300.0, 2.0), (-16.5, -12.2), (0.1, 4.9)] {
            let marks = decade_marks(input(lo, hi));
            assert!(marks.len() <= 9, "{lo}..{hi}: {} marks", marks.len());
            for m in &marks {
                assert_eq!(m.value, m.value.round(), "{m:?}");
                assert!((lo..=hi).contains(&m.value));
                assert!(!decade_label(*m).is_empty());
            }
        }
        assert_eq!(decade_marks(input(-3.2, 2.1)).len(), 6);
        // Sixteen decades of a loss plot: every second decade, not every
        // fifth with three labels.
        assert!(decade_marks(input(-16.4, 2.6)).len() >= MIN_LABELS);
        assert!(decade_marks(input(-13.6, 2.6)).len() >= MIN_LABELS);
    }

    #[test]
    fn a_short_angle_axis_gets_decimal_ticks() {
        let labels = labelled(Ticks::Angle, 0.1, 0.6, 300.0, false);
        assert!(labels.len() >= MIN_LABELS, "{labels:?}");
        assert_eq!(
            labelled(Ticks::Angle, -PI, PI, 300.0, true),
            ["−π", "−π/2", "0", "π/2", "π"]
        );
    }

    #[test]
    fn angle_ticks_are_multiples_of_half_pi() {
        let marks = angle_marks(input(-PI, PI));
        let labels: Vec<String> = marks
            .iter()
            .map(|m| angle_label(*m))
            .filter(|l| !l.is_empty())
            .collect();
        assert_eq!(labels, ["−π", "−π/2", "0", "π/2", "π"]);
        assert_eq!(
            angle_label(GridMark {
                value: 3.0 * PI,
                step_size: PI / 2.0
            }),
            "3π"
        );
    }
}
