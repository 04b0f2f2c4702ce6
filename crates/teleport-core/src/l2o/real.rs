//! The scalar type of a network (`f32` for speed, `f64` for gradient checks)
//! and the few vector kernels the LSTM needs.
//!
//! The kernels keep eight independent accumulators so that the compiler can
//! vectorize them without reassociating a sum; their results are the same on
//! every run.

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
    /// The logistic function `1 / (1 + e⁻ˣ)`.
    #[inline]
    fn sigmoid(self) -> Self {
        Self::ONE / (Self::ONE + (-self).exp())
    }
}

/// `Real` for a primitive float: the constants, and the math as the
/// type's own methods. `from_f64` rounds to nearest (`as`), `to_f64` widens
/// exactly.
macro_rules! impl_real {
    ($($t:ty),*) => {$(
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
            #[inline]
            fn exp(self) -> Self {
                <$t>::exp(self)
            }
            #[inline]
            fn tanh(self) -> Self {
                <$t>::tanh(self)
            }
            #[inline]
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
            #[inline]
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
        }
    )*};
}

impl_real!(f32, f64);

const LANES: usize = 8;

/// `y += a·x`.
#[inline]
pub fn axpy<T: Real>(y: &mut [T], a: T, x: &[T]) {
    debug_assert_eq!(y.len(), x.len());
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
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
            acc[i] += ca[i] * cb[i];
        }
    }
    let mut tail = T::ZERO;
    for (&x, &y) in rest_a.iter().zip(rest_b) {
        tail += x * y;
    }
    acc.iter().fold(tail, |sum, &v| sum + v)
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
                assert_eq!(y[i], b[i] + 0.5 * a[i]);
            }
        }
    }
}
