//! Axis ticks that read at a glance: whole decades on log₁₀ axes and
//! multiples of π/2 on angle axes, with labels from [`teleport_core::numfmt`].

use std::f64::consts::PI;

use egui_plot::{GridInput, GridMark};

use teleport_core::numfmt::{MINUS, decade};

/// Grid marks at whole decades of a log₁₀ axis: every decade when few are
/// visible, else every 2nd, 5th, 10th, … so that at most about eight carry
/// labels. Fractional decades never get a mark (their labels read `1e0.5`).
pub fn decade_marks(input: GridInput) -> Vec<GridMark> {
    let (lo, hi) = input.bounds;
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return Vec::new();
    }
    let span = hi - lo;
    let step = [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0]
        .into_iter()
        .find(|s| span / s <= 8.0)
        .unwrap_or(200.0);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last)
        .map(|k| GridMark {
            value: k as f64 * step,
            step_size: step,
        })
        .collect()
}

/// The label of a whole-decade mark on a log₁₀ axis (`1e−5`); empty for
/// anything else.
pub fn decade_label(mark: GridMark) -> String {
    let k = mark.value.round();
    if (mark.value - k).abs() < 1e-9 && k.abs() < 1e6 {
        decade(k as i64)
    } else {
        String::new()
    }
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

    fn input(lo: f64, hi: f64) -> GridInput {
        GridInput {
            bounds: (lo, hi),
            base_step_size: (hi - lo) / 10.0,
        }
    }

    #[test]
    fn decades_are_whole_and_few() {
        for (lo, hi) in [(-3.2, 2.1), (-300.0, 2.0), (-16.5, -15.2), (0.1, 0.9)] {
            let marks = decade_marks(input(lo, hi));
            assert!(marks.len() <= 9, "{lo}..{hi}: {} marks", marks.len());
            for m in &marks {
                assert_eq!(m.value, m.value.round(), "{m:?}");
                assert!((lo..=hi).contains(&m.value));
                assert!(!decade_label(*m).is_empty());
            }
        }
        assert_eq!(decade_marks(input(-3.2, 2.1)).len(), 6);
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
