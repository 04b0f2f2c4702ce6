//! Order statistics shared by the evaluator, the contour levels and the
//! benchmarks.

/// The `q`-quantile of `values`, linearly interpolated between the two
/// nearest ranks (numpy's default, `method="linear"`): with `n` values and
/// `p = q·(n − 1)`, it is `v₍⌊p⌋₎ + (p − ⌊p⌋)·(v₍⌊p⌋+1₎ − v₍⌊p⌋₎)` where `v₍ₖ₎`
/// is the `k`-th smallest.
///
/// `values` may come in any order: they are partly reordered in place (a
/// selection, O(n), not a sort). `q` is clamped to `[0, 1]`; no values, or
/// a NaN `q`, give NaN. NaN values order after every number.
pub fn quantile(values: &mut [f64], q: f64) -> f64 {
    if values.is_empty() || q.is_nan() {
        return f64::NAN;
    }
    let pos = q.clamp(0.0, 1.0) * (values.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let frac = pos - lo as f64;
    let (_, &mut below, above) = values.select_nth_unstable_by(lo, f64::total_cmp);
    match above.iter().copied().min_by(f64::total_cmp) {
        Some(next) if frac > 0.0 => below + (next - below) * frac,
        _ => below,
    }
}

/// TensorBoard's smoothing: the exponential moving average
/// `s_t = w·s_{t−1} + (1 − w)·x_t` from `s_0 = 0`, divided by `1 − wᵗ` so
/// that the first points are not pulled toward 0 (a constant series stays
/// constant). `w` is clamped to `[0, 0.999]`; 0 returns the values. A
/// non-finite value is passed through and skipped by the average.
pub fn ema(values: &[f64], w: f64) -> Vec<f64> {
    let w = if w.is_nan() { 0.0 } else { w.clamp(0.0, 0.999) };
    let mut last = 0.0;
    let mut n = 0;
    values
        .iter()
        .map(|&x| {
            if !x.is_finite() {
                return x;
            }
            last = w * last + (1.0 - w) * x;
            n += 1;
            let debias = 1.0 - w.powi(n);
            if debias > 0.0 { last / debias } else { x }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against the recurrence written out for three points, and the
    /// properties the curve needs.
    #[test]
    fn ema_is_debiased_tensorboard_smoothing() {
        let w = 0.6;
        let x = [2.0, 5.0, -1.0];
        let s1 = 0.4 * 2.0;
        let s2 = 0.6 * s1 + 0.4 * 5.0;
        let s3 = 0.6 * s2 - 0.4;
        let want = [s1 / 0.4, s2 / (1.0 - 0.36), s3 / (1.0 - 0.216)];
        for (got, want) in ema(&x, w).iter().zip(want) {
            assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        }
        assert!(
            ema(&[3.0; 50], 0.99)
                .iter()
                .all(|v| (v - 3.0).abs() < 1e-12)
        );
        assert_eq!(ema(&x, 0.0), x.to_vec());
        let with_nan = ema(&[1.0, f64::NAN, 3.0], 0.5);
        assert!(with_nan[1].is_nan());
        assert!((with_nan[2] - (0.25 * 1.0 + 0.5 * 3.0) / 0.75).abs() < 1e-12);
        assert!(ema(&[], 0.5).is_empty());
    }

    #[test]
    fn quantiles_match_numpy_linear() {
        let mut v = [8.0, 1.0, 4.0, 2.0];
        // numpy.quantile([1, 2, 4, 8], [0, 0.25, 0.5, 0.75, 0.9, 1]) =
        // [1, 1.75, 3, 5, 6.8, 8]
        for (q, want) in [
            (0.0, 1.0),
            (0.25, 1.75),
            (0.5, 3.0),
            (0.75, 5.0),
            (0.9, 6.8),
            (1.0, 8.0),
        ] {
            let got = quantile(&mut v, q);
            assert!((got - want).abs() < 1e-12, "q = {q}: {got} vs {want}");
        }
        // Out of range q is clamped; one value is every quantile.
        assert_eq!(quantile(&mut v, -1.0), 1.0);
        assert_eq!(quantile(&mut v, 7.0), 8.0);
        assert_eq!(quantile(&mut [3.5], 0.3), 3.5);
        assert!(quantile(&mut [], 0.5).is_nan());
        assert!(quantile(&mut v, f64::NAN).is_nan());
    }

    #[test]
    fn quantiles_of_any_order_agree_with_a_sort() {
        let mut rng = crate::rng(5);
        for n in [1, 2, 3, 10, 101, 1000] {
            let values: Vec<f64> = (0..n)
                .map(|_| rand::RngExt::random_range(&mut rng, -1e3..1e3))
                .collect();
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            for q in [0.0, 0.002, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1.0] {
                let pos = q * (n - 1) as f64;
                let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
                let want = sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64);
                let got = quantile(&mut values.clone(), q);
                assert!((got - want).abs() <= 1e-12 * want.abs().max(1.0), "{n} {q}");
            }
        }
    }

    #[test]
    fn infinite_values_do_not_make_nan() {
        let mut v = [1.0, f64::INFINITY, 2.0];
        assert_eq!(quantile(&mut v, 0.5), 2.0);
        assert_eq!(quantile(&mut v, 1.0), f64::INFINITY);
    }
}
