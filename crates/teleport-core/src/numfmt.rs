//! Numbers for people: short in the UI (`2.68`, `−0.279`, `3.6e−5`, `0`),
//! exact in files and tooltips.
//!
//! Rust's `{:e}` writes `2.6835e0` and `-0e0`, which read as noise on a
//! projector. [`short`] keeps three significant digits in plain notation
//! from 10⁻³ to 10⁵ and two in scientific notation outside, with a real
//! minus sign; [`full`] is the shortest text that reads back to the same
//! `f64`.

/// The minus sign used in displayed numbers (U+2212).
pub const MINUS: char = '−';

/// What a non-finite value shows as. For these objectives a NaN or an
/// infinity always comes from a value past f64's range.
pub const OVERFLOW: &str = "overflow";

/// Three significant digits (every digit of a whole number from 1000 to
/// 99999), plain from 10⁻³ to 10⁵, else `m.me±k`;
/// `0` for ±0; [`OVERFLOW`] for ±∞ and NaN.
pub fn short(v: f64) -> String {
    if !v.is_finite() {
        return if v == f64::NEG_INFINITY {
            format!("{MINUS}{OVERFLOW}")
        } else {
            OVERFLOW.to_owned()
        };
    }
    if v == 0.0 {
        return "0".to_owned();
    }
    let a = v.abs();
    let sign = if v < 0.0 {
        MINUS.to_string()
    } else {
        String::new()
    };
    // Whole numbers from 1000 on keep every digit (12346, not 12300).
    let whole = format!("{a:.0}");
    if a >= 999.5 && whole.len() <= 5 {
        return format!("{sign}{whole}");
    }
    // Round first, so that 0.00099996 becomes 1e−3 rather than "0.001".
    let rounded: f64 = format!("{a:.2e}").parse().unwrap_or(a);
    if (1e-3..1e3).contains(&rounded) {
        let exponent = rounded.log10().floor() as i32;
        let decimals = (2 - exponent).max(0) as usize;
        format!("{sign}{}", trim_zeros(&format!("{rounded:.decimals$}")))
    } else {
        let text = format!("{a:.1e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        let exponent = exponent.replace('-', &MINUS.to_string());
        format!("{sign}{}e{exponent}", trim_zeros(mantissa))
    }
}

/// The shortest text that parses back to `v` (Rust's `{}`), with
/// [`OVERFLOW`] for non-finite values; for tooltips and exports.
pub fn full(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        short(v)
    }
}

/// `10^k` for a whole decade `k`, as an axis label: `1`, `10`, `1e−5`.
pub fn decade(k: i64) -> String {
    match k {
        0 => "1".to_owned(),
        1 => "10".to_owned(),
        2 => "100".to_owned(),
        k if k < 0 => format!("1e{MINUS}{}", -k),
        k => format!("1e{k}"),
    }
}

fn trim_zeros(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_forms_read_like_a_person_writes_them() {
        let cases = [
            (2.6835, "2.68"),
            (-0.27931, "−0.279"),
            (3.6e-5, "3.6e−5"),
            (0.0, "0"),
            (-0.0, "0"),
            (1.0, "1"),
            (100.0, "100"),
            (12345.6, "12346"),
            (99999.7, "1e5"),
            (0.001, "0.001"),
            (0.00099996, "0.001"),
            (1.5e300, "1.5e300"),
            (-2.0e-300, "−2e−300"),
            (f64::INFINITY, "overflow"),
            (f64::NEG_INFINITY, "−overflow"),
            (f64::NAN, "overflow"),
        ];
        for (v, want) in cases {
            assert_eq!(short(v), want, "short({v:e})");
        }
    }

    #[test]
    fn short_keeps_three_significant_digits() {
        // Independent check: the relative error of the short form is within
        // half a unit in the third significant digit.
        let mut x = 1.234_567e-9;
        while x < 1e12 {
            for v in [x, -x] {
                let text = short(v).replace(MINUS, "-");
                let back: f64 = text.parse().unwrap();
                assert!(((back - v) / v).abs() <= 0.05 + 1e-12, "{v:e} → {text}");
                if (1e-3..1e3).contains(&v.abs()) {
                    assert!(((back - v) / v).abs() <= 5e-3 + 1e-12, "{v:e} → {text}");
                }
            }
            x *= 3.7;
        }
    }

    #[test]
    fn full_round_trips() {
        for v in [0.1, -2.6835, 1e-300, 6.02214076e23, f64::MIN_POSITIVE] {
            assert_eq!(full(v).parse::<f64>().unwrap(), v);
        }
    }

    #[test]
    fn decades_label_whole_powers() {
        assert_eq!(decade(0), "1");
        assert_eq!(decade(-5), "1e−5");
        assert_eq!(decade(12), "1e12");
    }
}
