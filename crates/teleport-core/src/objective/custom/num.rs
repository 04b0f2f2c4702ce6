//! The number types a compiled expression is evaluated over: `f64`, forward
//! duals carrying the gradient in `(x, y)`, and second-order (hyper-dual)
//! numbers that also carry the Hessian.

use std::ops::{Add, Div, Mul, Neg, Sub};

use super::expr::Func;

/// A number an expression can be evaluated over.
pub trait Scalar:
    Copy
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
{
    /// A constant.
    fn cst(v: f64) -> Self;
    /// The value (no derivatives).
    fn value(self) -> f64;
    /// A function of the list, with its derivatives by the chain rule.
    fn func(self, f: Func) -> Self;
    /// `self^n`, `n` an integer.
    fn powi(self, n: i32) -> Self;
    /// `self^c`, `c` a constant.
    fn powc(self, c: f64) -> Self;
}

impl Scalar for f64 {
    #[inline]
    fn cst(v: f64) -> Self {
        v
    }
    #[inline]
    fn value(self) -> f64 {
        self
    }
    #[inline]
    fn func(self, f: Func) -> Self {
        f.value(self)
    }
    #[inline]
    fn powi(self, n: i32) -> Self {
        f64::powi(self, n)
    }
    #[inline]
    fn powc(self, c: f64) -> Self {
        f64::powf(self, c)
    }
}

/// `v^n` with its first two derivatives, exact at `v = 0` for `n ≥ 0`.
#[inline]
fn powi_derivs(v: f64, n: i32) -> (f64, f64, f64) {
    match n {
        0 => (1.0, 0.0, 0.0),
        1 => (v, 1.0, 0.0),
        2 => (v * v, 2.0 * v, 2.0),
        _ => {
            // The value as `f64::powi` computes it, so that f from duals
            // and from plain numbers agree.
            let n_f = f64::from(n);
            let p2 = v.powi(n - 2);
            (v.powi(n), n_f * p2 * v, n_f * (n_f - 1.0) * p2)
        }
    }
}

/// `v^c` with its first two derivatives.
#[inline]
fn powc_derivs(v: f64, c: f64) -> (f64, f64, f64) {
    let p = v.powf(c);
    (p, c * v.powf(c - 1.0), c * (c - 1.0) * v.powf(c - 2.0))
}

/// A value with its gradient in `(x, y)`: forward-mode first order.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dual {
    /// The value.
    pub v: f64,
    /// `∂/∂x`, `∂/∂y`.
    pub d: [f64; 2],
}

impl Dual {
    /// The variable `x` (`i = 0`) or `y` (`i = 1`) at `v`.
    #[inline]
    pub fn var(v: f64, i: usize) -> Self {
        let mut d = [0.0; 2];
        d[i] = 1.0;
        Self { v, d }
    }

    /// `φ(self)` given `φ` and `φ'` at `self.v`.
    #[inline]
    fn chain(self, f: f64, df: f64) -> Self {
        Self {
            v: f,
            d: [df * self.d[0], df * self.d[1]],
        }
    }
}

impl Mul for Dual {
    type Output = Self;
    #[inline]
    fn mul(self, o: Self) -> Self {
        Self {
            v: self.v * o.v,
            d: [
                self.d[0] * o.v + self.v * o.d[0],
                self.d[1] * o.v + self.v * o.d[1],
            ],
        }
    }
}

impl Div for Dual {
    type Output = Self;
    #[inline]
    fn div(self, o: Self) -> Self {
        let q = self.v / o.v;
        Self {
            v: q,
            d: [
                (self.d[0] - q * o.d[0]) / o.v,
                (self.d[1] - q * o.d[1]) / o.v,
            ],
        }
    }
}

/// A value with its gradient and Hessian in `(x, y)`: forward-mode second
/// order (a hyper-dual number).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hyper {
    /// The value.
    pub v: f64,
    /// The gradient.
    pub d: [f64; 2],
    /// The Hessian's entries `[∂xx, ∂xy, ∂yy]`.
    pub h: [f64; 3],
}

impl Hyper {
    /// The variable `x` (`i = 0`) or `y` (`i = 1`) at `v`.
    #[inline]
    pub fn var(v: f64, i: usize) -> Self {
        let Dual { v, d } = Dual::var(v, i);
        Self { v, d, h: [0.0; 3] }
    }

    /// `φ(self)` given `φ`, `φ'` and `φ''` at `self.v`.
    #[inline]
    fn chain(self, f: f64, df: f64, d2f: f64) -> Self {
        let [a, b] = self.d;
        Self {
            v: f,
            d: [df * a, df * b],
            h: [
                df * self.h[0] + d2f * a * a,
                df * self.h[1] + d2f * a * b,
                df * self.h[2] + d2f * b * b,
            ],
        }
    }
}

impl Mul for Hyper {
    type Output = Self;
    #[inline]
    fn mul(self, o: Self) -> Self {
        let (a, b) = (self, o);
        Self {
            v: a.v * b.v,
            d: [a.d[0] * b.v + a.v * b.d[0], a.d[1] * b.v + a.v * b.d[1]],
            h: [
                a.h[0] * b.v + 2.0 * a.d[0] * b.d[0] + a.v * b.h[0],
                a.h[1] * b.v + a.d[0] * b.d[1] + a.d[1] * b.d[0] + a.v * b.h[1],
                a.h[2] * b.v + 2.0 * a.d[1] * b.d[1] + a.v * b.h[2],
            ],
        }
    }
}

impl Div for Hyper {
    type Output = Self;
    #[inline]
    fn div(self, o: Self) -> Self {
        // a / b = a · (1/b), with 1/b by the chain rule.
        let inv = 1.0 / o.v;
        self * o.chain(inv, -inv * inv, 2.0 * inv * inv * inv)
    }
}

/// A number's parts (value, gradient, Hessian entries): zero, added and
/// negated component-wise.
trait Parts: Copy {
    const ZERO: Self;
    fn plus(self, o: Self) -> Self;
    fn minus(self) -> Self;
}

impl Parts for f64 {
    const ZERO: Self = 0.0;
    #[inline]
    fn plus(self, o: Self) -> Self {
        self + o
    }
    #[inline]
    fn minus(self) -> Self {
        -self
    }
}

impl<const N: usize> Parts for [f64; N] {
    const ZERO: Self = [0.0; N];
    #[inline]
    fn plus(self, o: Self) -> Self {
        std::array::from_fn(|i| self[i] + o[i])
    }
    #[inline]
    fn minus(self) -> Self {
        self.map(|x| -x)
    }
}

/// `Add`, `Neg` and `Sub` (as `a + (-b)`, which IEEE makes exact) for a
/// number type whose every part is linear in it, and the [`Scalar`] impl
/// (constants have zero derivatives)
/// whose functions and powers go through its `chain` with the first
/// `$d` derivatives from `$derivs` (`derivs1` or `derivs2`).
macro_rules! forward_number {
    ($t:ident { $($part:ident),+ }, $derivs:ident ($($d:ident),+)) => {
        impl Add for $t {
            type Output = Self;
            #[inline]
            fn add(self, o: Self) -> Self {
                Self { $($part: self.$part.plus(o.$part)),+ }
            }
        }

        impl Neg for $t {
            type Output = Self;
            #[inline]
            fn neg(self) -> Self {
                Self { $($part: self.$part.minus()),+ }
            }
        }

        impl Sub for $t {
            type Output = Self;
            #[inline]
            fn sub(self, o: Self) -> Self {
                self + (-o)
            }
        }

        impl Scalar for $t {
            #[inline]
            fn cst(v: f64) -> Self {
                let zero = Self { $($part: Parts::ZERO),+ };
                Self { v, ..zero }
            }
            #[inline]
            fn value(self) -> f64 {
                self.v
            }
            #[inline]
            fn func(self, f: Func) -> Self {
                let (v, $($d),+) = f.$derivs(self.v);
                self.chain(v, $($d),+)
            }
            #[inline]
            fn powi(self, n: i32) -> Self {
                let (v, $($d),+, ..) = powi_derivs(self.v, n);
                self.chain(v, $($d),+)
            }
            #[inline]
            fn powc(self, c: f64) -> Self {
                let (v, $($d),+, ..) = powc_derivs(self.v, c);
                self.chain(v, $($d),+)
            }
        }
    };
}

forward_number!(Dual { v, d }, derivs1(d1));
forward_number!(Hyper { v, d, h }, derivs2(d1, d2));
