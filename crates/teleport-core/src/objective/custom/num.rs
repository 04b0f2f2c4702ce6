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

    #[inline]
    fn chain(self, f: f64, df: f64) -> Self {
        Self {
            v: f,
            d: [df * self.d[0], df * self.d[1]],
        }
    }
}

impl Add for Dual {
    type Output = Self;
    #[inline]
    fn add(self, o: Self) -> Self {
        Self {
            v: self.v + o.v,
            d: [self.d[0] + o.d[0], self.d[1] + o.d[1]],
        }
    }
}

impl Sub for Dual {
    type Output = Self;
    #[inline]
    fn sub(self, o: Self) -> Self {
        Self {
            v: self.v - o.v,
            d: [self.d[0] - o.d[0], self.d[1] - o.d[1]],
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

impl Neg for Dual {
    type Output = Self;
    #[inline]
    fn neg(self) -> Self {
        Self {
            v: -self.v,
            d: [-self.d[0], -self.d[1]],
        }
    }
}

impl Scalar for Dual {
    #[inline]
    fn cst(v: f64) -> Self {
        Self { v, d: [0.0; 2] }
    }
    #[inline]
    fn value(self) -> f64 {
        self.v
    }
    #[inline]
    fn func(self, f: Func) -> Self {
        let (v, d1) = f.derivs1(self.v);
        self.chain(v, d1)
    }
    #[inline]
    fn powi(self, n: i32) -> Self {
        let (v, d1, _) = powi_derivs(self.v, n);
        self.chain(v, d1)
    }
    #[inline]
    fn powc(self, c: f64) -> Self {
        let (v, d1, _) = powc_derivs(self.v, c);
        self.chain(v, d1)
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
        let mut d = [0.0; 2];
        d[i] = 1.0;
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

impl Add for Hyper {
    type Output = Self;
    #[inline]
    fn add(self, o: Self) -> Self {
        Self {
            v: self.v + o.v,
            d: [self.d[0] + o.d[0], self.d[1] + o.d[1]],
            h: [self.h[0] + o.h[0], self.h[1] + o.h[1], self.h[2] + o.h[2]],
        }
    }
}

impl Sub for Hyper {
    type Output = Self;
    #[inline]
    fn sub(self, o: Self) -> Self {
        self + (-o)
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

impl Neg for Hyper {
    type Output = Self;
    #[inline]
    fn neg(self) -> Self {
        Self {
            v: -self.v,
            d: [-self.d[0], -self.d[1]],
            h: [-self.h[0], -self.h[1], -self.h[2]],
        }
    }
}

impl Scalar for Hyper {
    #[inline]
    fn cst(v: f64) -> Self {
        Self {
            v,
            d: [0.0; 2],
            h: [0.0; 3],
        }
    }
    #[inline]
    fn value(self) -> f64 {
        self.v
    }
    #[inline]
    fn func(self, f: Func) -> Self {
        let (v, d1, d2) = f.derivs2(self.v);
        self.chain(v, d1, d2)
    }
    #[inline]
    fn powi(self, n: i32) -> Self {
        let (v, d1, d2) = powi_derivs(self.v, n);
        self.chain(v, d1, d2)
    }
    #[inline]
    fn powc(self, c: f64) -> Self {
        let (v, d1, d2) = powc_derivs(self.v, c);
        self.chain(v, d1, d2)
    }
}
