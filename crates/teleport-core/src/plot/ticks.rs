//! Axis ticks: nice steps, decades, their labels.

/// Ticks on a 1-2-5 step inside `lo..=hi`, about `target` intervals apart.
///
/// Returns nothing for an empty or non-finite range.
pub fn linear_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    let step = nice_step(lo, hi, target);
    let (first, last) = ((lo / step - 1e-9).ceil(), (hi / step + 1e-9).floor());
    if lo >= hi || !step.is_finite() || !(0.0..=1000.0).contains(&(last - first)) {
        return Vec::new();
    }
    // Adding 0.0 turns -0.0 into 0.0.
    (0..=(last - first) as i64)
        .map(|k| (first + k as f64) * step + 0.0)
        .collect()
}

/// The powers of ten inside `lo..=hi` (for `0 < lo < hi`), thinned to at most
/// eight by keeping only exponents divisible by 2, 3, ….
pub fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    if !(lo > 0.0 && lo < hi && hi.is_finite()) {
        return Vec::new();
    }
    let first = (lo.log10() - 1e-9).ceil() as i32;
    let last = (hi.log10() + 1e-9).floor() as i32;
    let stride = (last - first + 8) / 8;
    (first..=last)
        .filter(|k| k.rem_euclid(stride.max(1)) == 0)
        .map(pow10)
        .collect()
}

/// A compact tick label: fixed-point with as many decimals as `step` needs,
/// or like `2.5e4` when the magnitude is below 1e-3 or at least 1e4.
pub fn format_tick(v: f64, step: f64) -> String {
    let (a, step) = (v.abs(), step.abs());
    if !v.is_finite() {
        return String::new();
    }
    if a == 0.0 || a < step * 1e-6 {
        return "0".into();
    }
    if (1e-3..1e4).contains(&a) {
        let decimals = (-step.log10().floor()).clamp(0.0, 12.0) as usize;
        return format!("{v:.decimals$}");
    }
    let digits = (a.log10().floor() - step.log10().floor()).clamp(0.0, 12.0) as usize;
    let s = format!("{v:.digits$e}");
    match s.split_once('e') {
        Some((m, e)) if m.contains('.') => {
            format!("{}e{e}", m.trim_end_matches('0').trim_end_matches('.'))
        }
        _ => s,
    }
}

/// Exactly 10^k for the representable powers (`powi` can be an ulp off).
pub(super) fn pow10(k: i32) -> f64 {
    format!("1e{k}").parse().unwrap_or_else(|_| 10f64.powi(k))
}

/// The 1-2-5 step giving about `target` intervals over `lo..hi`.
pub(super) fn nice_step(lo: f64, hi: f64, target: usize) -> f64 {
    let raw = (hi - lo) / target.max(1) as f64;
    let mag = pow10(raw.log10().floor() as i32);
    let nice = match raw / mag {
        n if n < 1.5 => 1.0,
        n if n < 3.0 => 2.0,
        n if n < 7.0 => 5.0,
        _ => 10.0,
    };
    nice * mag
}

/// Major ticks as (axis-space position, label), and minor tick positions.
pub(super) fn axis_ticks(
    range: (f64, f64),
    log: bool,
    target: usize,
) -> (Vec<(f64, String)>, Vec<f64>) {
    let (lo, hi) = if log {
        (10f64.powf(range.0), 10f64.powf(range.1))
    } else {
        range
    };
    let powers = if log { log_ticks(lo, hi) } else { vec![] };
    if powers.len() < 2 {
        // A linear axis, or less than a decade of a log axis: 1-2-5 values.
        let step = nice_step(lo, hi, target);
        let ticks = linear_ticks(lo, hi, target)
            .into_iter()
            .filter_map(|v| axis_value(v, log).map(|t| (t, format_tick(v, step))));
        return (ticks.collect(), vec![]);
    }
    let major = powers
        .iter()
        .map(|v| (v.log10(), format!("10^{{{}}}", v.log10().round())))
        .collect();
    let mut minor = vec![];
    if range.1 - range.0 <= 8.0 {
        for k in range.0.floor() as i32..=range.1.ceil() as i32 {
            let decade = (2..10).map(|m| f64::from(k) + f64::from(m).log10());
            minor.extend(decade.filter(|v| (range.0..=range.1).contains(v)));
        }
    }
    (major, minor)
}

/// A value in axis space (log10 on a log axis), or `None` when it cannot be shown.
pub(super) fn axis_value(v: f64, log: bool) -> Option<f64> {
    match (v.is_finite(), log) {
        (false, _) => None,
        (true, true) => (v > 0.0).then(|| v.log10()),
        (true, false) => Some(v),
    }
}
