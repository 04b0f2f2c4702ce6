//! The scalar type of a network (`f32` for speed, `f64` for gradient checks)
//! and the few vector kernels the LSTM needs.
//!
//! The kernels are written so that LLVM vectorizes them without
//! reassociating a sum: every entry is summed in a fixed order, so results
//! are the same on every run (and for every thread count). Where the target
//! guarantees FMA (x86-64-v3, the default native build) a multiply and its
//! add are one fused instruction ([`Real::mul_add`]); elsewhere (SSE2-only
//! builds, WebAssembly) they are two, and results differ from the FMA build
//! in the last bits.

/// A network scalar: `f32` or `f64`.
pub trait Real:
    Copy
    + Default
    + PartialOrd
    + std::fmt::Debug
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + std::ops::Neg<Output = Self>
    + std::ops::AddAssign
    + std::ops::MulAssign
    + Send
    + Sync
    + 'static
{
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// The nearest value to an `f64`.
    fn from_f64(v: f64) -> Self;
    /// Widens to `f64`.
    fn to_f64(self) -> f64;
    /// `eˣ`.
    fn exp(self) -> Self;
    /// `tanh x`.
    fn tanh(self) -> Self;
    /// `√x`.
    fn sqrt(self) -> Self;
    /// Whether the value is neither NaN nor infinite.
    fn is_finite(self) -> bool;
    /// `self·b + c`: one rounding where the target has FMA, two elsewhere.
    fn mul_add(self, b: Self, c: Self) -> Self;
    /// The largest `|vᵢ|` of a slice, 0 when it is empty; an infinity or a
    /// NaN when the slice holds one. Found on the magnitudes' bits, whose
    /// integer order is the magnitudes' order with infinities and NaNs
    /// above every finite value, so that the loop vectorizes.
    fn largest_magnitude(v: &[Self]) -> Self;
    /// The logistic function `1 / (1 + e⁻ˣ)`.
    #[inline]
    fn sigmoid(self) -> Self {
        Self::ONE / (Self::ONE + (-self).exp())
    }
    /// The LSTM's gate sigmoid: for `f32` a vectorizable one built on
    /// [`exp_fast`] (within a few units in the last place of
    /// [`Real::sigmoid`]), for `f64` (gradient checks) [`Real::sigmoid`].
    fn gate_sigmoid(self) -> Self;
    /// The LSTM's gate `tanh`: for `f32` `2σ(2x) − 1` on [`exp_fast`]
    /// (absolute error ≈ 1e−7), for `f64` [`Real::tanh`].
    fn gate_tanh(self) -> Self;
}

/// Methods of `Real` that are the float type's own method of the same name.
macro_rules! forward_to_float {
    ($t:ty: $($($name:ident),+ -> $ret:ty);+) => {$($(
        #[inline]
        fn $name(self) -> $ret {
            <$t>::$name(self)
        }
    )+)+};
}

/// `Real` for a primitive float: the constants, and the math as the
/// type's own methods. `from_f64` rounds to nearest (`as`), `to_f64` widens
/// exactly. `$sigmoid` and `$tanh` are the gate activations.
macro_rules! impl_real {
    ($($t:ty, $bits:ty => $sigmoid:path, $tanh:path);*) => {$(
        impl Real for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            #[inline]
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            #[inline]
            fn to_f64(self) -> f64 {
                f64::from(self)
            }
            forward_to_float!($t: exp, tanh, sqrt -> Self; is_finite -> bool);
            #[inline(always)]
            fn mul_add(self, b: Self, c: Self) -> Self {
                #[cfg(target_feature = "fma")]
                {
                    <$t>::mul_add(self, b, c)
                }
                #[cfg(not(target_feature = "fma"))]
                {
                    self * b + c
                }
            }
            #[inline]
            fn largest_magnitude(v: &[Self]) -> Self {
                const MAGNITUDE: $bits = <$bits>::MAX >> 1;
                let bits = v.iter().fold(0, |m: $bits, x| m.max(x.to_bits() & MAGNITUDE));
                <$t>::from_bits(bits)
            }
            #[inline(always)]
            fn gate_sigmoid(self) -> Self {
                $sigmoid(self)
            }
            #[inline(always)]
            fn gate_tanh(self) -> Self {
                $tanh(self)
            }
        }
    )*};
}

impl_real!(f32, u32 => sigmoid_fast, tanh_fast; f64, u64 => Real::sigmoid, f64::tanh);

/// `eˣ` in `f32` without a libm call, so that loops over it vectorize:
/// Cephes' `expf` (range reduction by ln 2, degree-6 polynomial), within
/// about one unit in the last place on `[−87, 88]`; clamped outside, NaN
/// stays NaN.
#[inline(always)]
pub fn exp_fast(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    let x = x.clamp(-87.0, 88.0);
    let n = (x * LOG2E).round_ties_even();
    let r = madd(n, -LN2_LO, madd(n, -LN2_HI, x));
    let mut p = 1.987_569_1e-4_f32;
    p = madd(p, r, 1.398_199_9e-3);
    p = madd(p, r, 8.333_452e-3);
    p = madd(p, r, 4.166_579_6e-2);
    p = madd(p, r, 0.166_666_65);
    p = madd(p, r, 0.5);
    let y = madd(p, r * r, r) + 1.0;
    // 2ⁿ with n in [−126, 127], a normal number, built from its biased
    // exponent n + 127 without a float-to-int conversion (which would not
    // vectorize): n + 127 + 2²³ is exact, and its bits minus those of 2²³
    // are n + 127. A NaN gives 0 (and y·0 stays NaN).
    const TWO_23: f32 = 8_388_608.0;
    let biased = (n + (127.0 + TWO_23))
        .to_bits()
        .wrapping_sub(TWO_23.to_bits());
    let scale = f32::from_bits(biased << 23);
    y * scale
}

/// [`Real::mul_add`] for `f32` (whose inherent `mul_add` is always fused:
/// a slow libm call on targets without FMA).
#[inline(always)]
pub(crate) fn madd(a: f32, b: f32, c: f32) -> f32 {
    Real::mul_add(a, b, c)
}

/// `1 / (1 + e⁻ˣ)` with [`exp_fast`].
#[inline(always)]
pub fn sigmoid_fast(x: f32) -> f32 {
    1.0 / (1.0 + exp_fast(-x))
}

/// `tanh x = 2σ(2x) − 1` with [`exp_fast`] (absolute error ≈ 1e−7).
#[inline(always)]
pub fn tanh_fast(x: f32) -> f32 {
    2.0 / (1.0 + exp_fast(-2.0 * x)) - 1.0
}

const LANES: usize = 8;

/// `y += a·x`.
#[inline]
pub fn axpy<T: Real>(y: &mut [T], a: T, x: &[T]) {
    debug_assert_eq!(y.len(), x.len());
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi = a.mul_add(xi, *yi);
    }
}

/// `y += a₀·x₀ + a₁·x₁ + a₂·x₂ + a₃·x₃`, added to each entry in that order:
/// the same sums as four [`axpy`]s, with `y` read and written once.
#[inline]
pub fn axpy4<T: Real>(y: &mut [T], a: [T; 4], x: [&[T]; 4]) {
    let n = y.len();
    let [x0, x1, x2, x3] = x.map(|x| &x[..n]);
    let [a0, a1, a2, a3] = a;
    for ((((yi, &v0), &v1), &v2), &v3) in y.iter_mut().zip(x0).zip(x1).zip(x2).zip(x3) {
        *yi = a3.mul_add(v3, a2.mul_add(v2, a1.mul_add(v1, a0.mul_add(v0, *yi))));
    }
}

/// [`axpy4`] of eight terms: the same sums as eight [`axpy`]s (or two
/// `axpy4`s), with `y` read and written once.
#[inline]
pub fn axpy8<T: Real>(y: &mut [T], a: [T; 8], x: [&[T]; 8]) {
    let n = y.len();
    let [x0, x1, x2, x3, x4, x5, x6, x7] = x.map(|x| &x[..n]);
    let [a0, a1, a2, a3, a4, a5, a6, a7] = a;
    for (i, yi) in y.iter_mut().enumerate() {
        let mut s = a0.mul_add(x0[i], *yi);
        s = a1.mul_add(x1[i], s);
        s = a2.mul_add(x2[i], s);
        s = a3.mul_add(x3[i], s);
        s = a4.mul_add(x4[i], s);
        s = a5.mul_add(x5[i], s);
        s = a6.mul_add(x6[i], s);
        *yi = a7.mul_add(x7[i], s);
    }
}

/// `y += Σⱼ aⱼ·xⱼ` over the `(aⱼ, xⱼ)` with `aⱼ ≠ 0`, in order, eight at a
/// time ([`axpy8`], then [`axpy4`] and single [`axpy`]s for the rest): the
/// same sums as single `axpy`s, bit for bit. A zero `aⱼ` is skipped (the recurrent state starts at
/// zero, so the first step of an unroll skips half of each gate matrix).
#[inline]
pub fn axpy_many<'a, T: Real>(y: &mut [T], terms: impl IntoIterator<Item = (T, &'a [T])>) {
    let mut a = [T::ZERO; 8];
    let mut x: [&[T]; 8] = [&[]; 8];
    let mut n = 0;
    for (aj, xj) in terms {
        if aj == T::ZERO {
            continue;
        }
        a[n] = aj;
        x[n] = xj;
        n += 1;
        if n == 8 {
            axpy8(y, a, x);
            n = 0;
        }
    }
    let mut j = 0;
    if n >= 4 {
        axpy4(y, [a[0], a[1], a[2], a[3]], [x[0], x[1], x[2], x[3]]);
        j = 4;
    }
    for j in j..n {
        axpy(y, a[j], x[j]);
    }
}

/// `y += W·x` for `W` stored column by column (`y.len()` rows, `x.len()`
/// columns), skipping the columns where `x` is zero ([`axpy_many`]).
#[inline]
pub fn gemv<T: Real>(y: &mut [T], w: &[T], x: &[T]) {
    let rows = y.len();
    debug_assert_eq!(w.len(), rows * x.len());
    axpy_many(y, x.iter().copied().zip(w.chunks_exact(rows)));
}

/// `out[k] = W[:, k] · d` for `W` stored column by column (`d.len()` rows,
/// `out.len()` columns): four columns at a time, each summed in sixteen
/// interleaved lanes (sixteen independent FMA chains in flight, where one
/// dot product would keep one waiting on its own latency).
#[inline]
pub fn gemv_t<T: Real>(out: &mut [T], w: &[T], d: &[T]) {
    let rows = d.len();
    debug_assert_eq!(w.len(), rows * out.len());
    let mut cols = w.chunks_exact(rows);
    let mut outs = out.chunks_exact_mut(4);
    for o in &mut outs {
        let c = [(); 4].map(|()| cols.next().unwrap_or_default());
        o.copy_from_slice(&dot4(c, d));
    }
    for (o, col) in outs.into_remainder().iter_mut().zip(cols) {
        *o = dot(col, d);
    }
}

/// Four dot products with the same right-hand side, each in sixteen lanes
/// (two eight-lane accumulators per column: eight independent FMA chains).
#[inline]
fn dot4<T: Real>(a: [&[T]; 4], b: &[T]) -> [T; 4] {
    const L: usize = 2 * LANES;
    let n = b.len();
    let (chunks_b, rest_b) = b.as_chunks::<L>();
    let cols = a.map(|c| c[..n].as_chunks::<L>());
    let mut acc = [[[T::ZERO; LANES]; 2]; 4];
    for (i, cb) in chunks_b.iter().enumerate() {
        let (b0, b1) = cb.split_at(LANES);
        for (acc, (chunks, _)) in acc.iter_mut().zip(&cols) {
            let (v0, v1) = chunks[i].split_at(LANES);
            fma_lanes(&mut acc[0], v0, b0);
            fma_lanes(&mut acc[1], v1, b1);
        }
    }
    let mut out = [T::ZERO; 4];
    for ((o, [lo, hi]), (_, rest)) in out.iter_mut().zip(acc).zip(cols) {
        let tail = rest
            .iter()
            .zip(rest_b)
            .fold(T::ZERO, |s, (&x, &y)| x.mul_add(y, s));
        *o = lo.iter().chain(&hi).fold(tail, |s, &v| s + v);
    }
    out
}

/// `acc[i] += a[i]·b[i]` over eight lanes.
#[inline(always)]
fn fma_lanes<T: Real>(acc: &mut [T; LANES], a: &[T], b: &[T]) {
    for i in 0..LANES {
        acc[i] = a[i].mul_add(b[i], acc[i]);
    }
}

/// `a · b`, summed in eight interleaved lanes.
#[inline]
pub fn dot<T: Real>(a: &[T], b: &[T]) -> T {
    debug_assert_eq!(a.len(), b.len());
    let mut acc = [T::ZERO; LANES];
    let (chunks_a, rest_a) = a.as_chunks::<LANES>();
    let (chunks_b, rest_b) = b.as_chunks::<LANES>();
    for (ca, cb) in chunks_a.iter().zip(chunks_b) {
        for i in 0..LANES {
            acc[i] = ca[i].mul_add(cb[i], acc[i]);
        }
    }
    let tail = rest_a
        .iter()
        .zip(rest_b)
        .fold(T::ZERO, |s, (&x, &y)| x.mul_add(y, s));
    acc.iter().fold(tail, |sum, &v| sum + v)
}

/// Whether every entry is finite: `Σ 0·vᵢ` is ±0 for finite entries and
/// NaN as soon as one is infinite or NaN (in eight lanes, without widening).
#[inline]
pub fn all_finite<T: Real>(v: &[T]) -> bool {
    let mut acc = [T::ZERO; LANES];
    let (chunks, rest) = v.as_chunks::<LANES>();
    for c in chunks {
        for i in 0..LANES {
            acc[i] += c[i] * T::ZERO;
        }
    }
    let tail = rest.iter().fold(T::ZERO, |s, &x| s + x * T::ZERO);
    acc.iter().fold(tail, |s, &x| s + x) == T::ZERO
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both impls call their type's own math and convert exactly where
    /// they can.
    #[test]
    fn f32_and_f64_are_their_own_math() {
        for v in [-3.5_f64, -0.25, 0.0, 0.1, 2.0, 40.0] {
            let w = v as f32;
            assert_eq!(<f32 as Real>::from_f64(v), w);
            assert_eq!(<f64 as Real>::from_f64(v), v);
            assert_eq!(Real::to_f64(w), f64::from(w));
            assert_eq!(Real::to_f64(v), v);
            assert_eq!(Real::exp(w), w.exp());
            assert_eq!(Real::exp(v), v.exp());
            assert_eq!(Real::tanh(w), w.tanh());
            assert_eq!(Real::tanh(v), v.tanh());
            assert_eq!(Real::sigmoid(v), 1.0 / (1.0 + (-v).exp()));
            assert_eq!(Real::sqrt(v.abs()), v.abs().sqrt());
            assert_eq!(Real::sqrt(w.abs()), w.abs().sqrt());
        }
        assert!(!Real::is_finite(f32::NAN) && !Real::is_finite(f64::INFINITY));
        assert!(Real::is_finite(1.0_f32) && Real::is_finite(1.0_f64));
        assert_eq!(
            (f32::ZERO, f32::ONE, f64::ZERO, f64::ONE),
            (0.0, 1.0, 0.0, 1.0)
        );
    }

    /// A deterministic test matrix entry (no RNG needed).
    fn entry(i: usize, k: usize) -> f64 {
        ((i * 31 + k * 17) as f64 * 0.618).sin()
    }

    #[test]
    fn matrix_kernels_match_naive_sums() {
        for (rows, cols) in [(1, 1), (7, 3), (16, 4), (33, 9), (400, 102)] {
            let w: Vec<f64> = (0..cols)
                .flat_map(|k| (0..rows).map(move |i| entry(i, k)))
                .collect();
            // Every third input is zero: gemv skips those columns.
            let x: Vec<f64> = (0..cols)
                .map(|k| if k % 3 == 1 { 0.0 } else { entry(k, 99) })
                .collect();
            let mut y: Vec<f64> = (0..rows).map(|i| entry(i, 7)).collect();
            let want: Vec<f64> = (0..rows)
                .map(|i| y[i] + (0..cols).map(|k| w[k * rows + i] * x[k]).sum::<f64>())
                .collect();
            gemv(&mut y, &w, &x);
            for (got, want) in y.iter().zip(&want) {
                assert!((got - want).abs() < 1e-12, "gemv {rows}×{cols}");
            }
            let d: Vec<f64> = (0..rows).map(|i| entry(i, 5)).collect();
            let mut out = vec![0.0; cols];
            gemv_t(&mut out, &w, &d);
            for (k, got) in out.iter().enumerate() {
                let want: f64 = (0..rows).map(|i| w[k * rows + i] * d[i]).sum();
                assert!(
                    (got - want).abs() < 1e-12,
                    "gemv_t {rows}×{cols}, column {k}"
                );
            }
        }
    }

    #[test]
    fn axpy4_adds_its_terms_in_order() {
        // With exactly representable values the fused sum is exact.
        let x: [Vec<f64>; 4] = [0.5, 0.25, -2.0, 8.0].map(|v| vec![v; 11]);
        let mut y = vec![1.0; 11];
        axpy4(&mut y, [1.0, 2.0, 3.0, 4.0], [&x[0], &x[1], &x[2], &x[3]]);
        assert!(y.iter().all(|&v| v == 1.0 + 0.5 + 0.5 - 6.0 + 32.0));
        let mut z = vec![0.0; 11];
        axpy_many(
            &mut z,
            [(0.0, &x[0][..]), (2.0, &x[1][..]), (1.0, &x[3][..])],
        );
        assert!(z.iter().all(|&v| v == 8.5));
    }

    #[test]
    fn axpy_many_is_single_axpys_in_order_bit_for_bit() {
        // Values whose sums round, so that any change of order would show:
        // 0 to 19 terms go through the eight-, four- and one-wide paths,
        // with every third coefficient zero (skipped).
        let xs: Vec<Vec<f32>> = (0..19)
            .map(|j| {
                (0..13)
                    .map(|i| ((i * 7 + j * 13) % 17) as f32 * 0.1 + 1e-3 * j as f32)
                    .collect()
            })
            .collect();
        let a = |j: usize| {
            if j % 3 == 2 {
                0.0
            } else {
                0.3 + j as f32 * 1.7
            }
        };
        for n in 0..=xs.len() {
            let mut want = vec![0.7f32; 13];
            for (j, x) in xs[..n].iter().enumerate() {
                if a(j) != 0.0 {
                    axpy(&mut want, a(j), x);
                }
            }
            let mut got = vec![0.7f32; 13];
            axpy_many(
                &mut got,
                xs[..n].iter().enumerate().map(|(j, x)| (a(j), &x[..])),
            );
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got), bits(&want), "{n} terms");
        }
    }

    #[test]
    fn largest_magnitude_is_the_largest_absolute_value_or_the_non_finite_one() {
        let v = [0.5f32, -3.25, 2.0, -0.0, 1e-40];
        assert_eq!(f32::largest_magnitude(&v), 3.25);
        assert_eq!(f32::largest_magnitude(&[]), 0.0);
        assert_eq!(f32::largest_magnitude(&[-0.0]), 0.0);
        assert_eq!(f32::largest_magnitude(&[1e-40]), 1e-40);
        assert_eq!(f64::largest_magnitude(&[-f64::MAX, 1.0]), f64::MAX);
        // Against a plain fold over every length up to two vector widths.
        for n in 0..40 {
            let w: Vec<f32> = (0..n)
                .map(|i| ((i * 37 % 11) as f32 - 5.0) * 1.5f32.powi(i as i32 % 7))
                .collect();
            let want = w.iter().fold(0.0f32, |m, x| m.max(x.abs()));
            assert_eq!(f32::largest_magnitude(&w), want, "n = {n}");
            for at in 0..n {
                for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
                    let mut u = w.clone();
                    u[at] = bad;
                    assert!(
                        !f32::largest_magnitude(&u).is_finite(),
                        "n = {n}, {bad} at {at}"
                    );
                }
            }
        }
    }

    #[test]
    fn all_finite_finds_any_nan_or_infinity() {
        for n in [0, 1, 8, 13, 64] {
            let v: Vec<f32> = (0..n)
                .map(|i| f32::MAX * if i % 2 == 0 { 1.0 } else { -1.0 })
                .collect();
            assert!(all_finite(&v), "n = {n}");
            for at in 0..n {
                for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
                    let mut w = v.clone();
                    w[at] = bad;
                    assert!(!all_finite(&w), "n = {n}, {bad} at {at}");
                }
            }
        }
    }

    #[test]
    fn f32_gate_activations_are_close_to_libm() {
        for i in -4000..=4000 {
            let x = i as f32 * 0.01;
            let s = 1.0 / (1.0 + (-f64::from(x)).exp());
            let t = f64::from(x).tanh();
            let (gs, gt) = (f64::from(x.gate_sigmoid()), f64::from(x.gate_tanh()));
            assert!(
                (gs - s).abs() <= 4.0 * f64::from(f32::EPSILON) * s,
                "σ({x})"
            );
            assert!((gt - t).abs() <= 2.5e-7, "tanh({x}): {gt} vs {t}");
        }
        assert!(f32::NAN.gate_sigmoid().is_nan() && f32::NAN.gate_tanh().is_nan());
        assert_eq!((1e30_f32.gate_tanh(), (-1e30_f32).gate_tanh()), (1.0, -1.0));
        assert_eq!(
            (
                (1e30_f32).gate_sigmoid(),
                (-1e30_f32).gate_sigmoid() < 1e-37
            ),
            (1.0, true)
        );
        // f64 (the gradient checks) keeps the library's functions.
        assert_eq!(0.3_f64.gate_tanh(), 0.3_f64.tanh());
        assert_eq!(0.3_f64.gate_sigmoid(), Real::sigmoid(0.3_f64));
    }

    #[test]
    fn dot_and_axpy_match_naive_sums() {
        for n in [0, 1, 7, 8, 9, 100, 203] {
            let a: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
            let b: Vec<f64> = (0..n).map(|i| (i as f64 * 1.3).cos()).collect();
            let naive: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!((dot(&a, &b) - naive).abs() < 1e-12);
            let mut y = b.clone();
            axpy(&mut y, 0.5, &a);
            for i in 0..n {
                assert_eq!(y[i], Real::mul_add(0.5, a[i], b[i]));
                assert!((y[i] - (b[i] + 0.5 * a[i])).abs() < 1e-15);
            }
        }
    }
}
