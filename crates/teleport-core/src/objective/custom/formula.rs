//! A typed `f`: the objective itself as one formula in `x` and `y`, e.g.
//! `{"family": "custom", "f": "(x^2 + y - 11)^2 + (x + y^2 - 7)^2"}`.
//!
//! Such an `f` is not written as `‖h(x)‖²`, so there is no `h` to rotate;
//! its teleport follows the level curve through the point along the flow
//! of the Hamiltonian field `J∇f` instead ([`crate::symmetry::flow`]).
//! `f` comes from the compiled formula, `∇f` from forward duals and the
//! Hessian from hyper-duals, as for a custom `h`.

use super::expr::{Expr, ExprName};
use super::num::{Dual, Hyper};
use super::{CustomError, check_points, shorten};
use crate::objective::{Mat2, Vec2};

/// A known local minimum of a test function.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KnownMinimum {
    /// Where: `∇f = 0` there to rounding, the Hessian positive definite.
    pub at: [f64; 2],
    /// `f` there.
    pub f: f64,
    /// Whether it is a global minimum (several may tie).
    pub global: bool,
}

impl KnownMinimum {
    const fn global(x: f64, y: f64, f: f64) -> Self {
        Self {
            at: [x, y],
            f,
            global: true,
        }
    }

    const fn local(x: f64, y: f64, f: f64) -> Self {
        Self {
            at: [x, y],
            f,
            global: false,
        }
    }

    /// The point as a vector.
    pub fn point(&self) -> Vec2 {
        Vec2::from(self.at)
    }
}

/// `f` as one compiled formula.
#[derive(Clone, Debug, PartialEq)]
pub struct TypedF {
    f: Expr,
    /// The gallery's entry when the formula is one of [`TEST_FUNCTIONS`]
    /// (its known minima come from there).
    entry: Option<&'static TestFunction>,
}

/// The formula with every space removed: how a typed `f` is matched with
/// the gallery's formulas.
fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

impl TypedF {
    /// Parses `f` and checks it on the seeded sample points of
    /// [`super::CHECK_BOX`]: finite at one of them at least, and not
    /// constant (`∇f ≠ 0` at one of them at least). A formula that is one
    /// of [`TEST_FUNCTIONS`] (spaces aside) gets that entry's known minima.
    pub fn new(source: &str) -> Result<Self, CustomError> {
        let f = Expr::parse(source, ExprName::F)?;
        let points = check_points();
        let finite: Vec<&Vec2> = points
            .iter()
            .filter(|p| f.eval(p.x, p.y).is_finite())
            .collect();
        if finite.is_empty() {
            return Err(CustomError::NowhereFinite {
                expr: ExprName::F,
                source_text: shorten(f.source(), 60),
                at: points[0],
            });
        }
        let typed = Self {
            entry: {
                let key = squeeze(source);
                TEST_FUNCTIONS.iter().find(|t| squeeze(t.f) == key)
            },
            f,
        };
        let varies = finite.iter().any(|p| {
            let (_, g) = typed.f_grad(p);
            g.iter().all(|v| v.is_finite()) && g != Vec2::zeros()
        });
        if !varies {
            return Err(CustomError::Constant {
                source_text: shorten(typed.f.source(), 60),
            });
        }
        Ok(typed)
    }

    /// The formula as written.
    pub fn source(&self) -> &str {
        self.f.source()
    }

    /// The compiled formula.
    pub fn expr(&self) -> &Expr {
        &self.f
    }

    /// The gallery's entry this formula is, if any.
    pub fn test_function(&self) -> Option<&'static TestFunction> {
        self.entry
    }

    /// The known minima: the gallery entry's, else none.
    pub fn known_minima(&self) -> &'static [KnownMinimum] {
        self.entry.map_or(&[], |t| t.minima)
    }

    /// The first global minimum among [`Self::known_minima`].
    pub fn global_minimum(&self) -> Option<&'static KnownMinimum> {
        self.known_minima().iter().find(|m| m.global)
    }

    /// `f(p)`.
    // Not inlined: the closed-form families' arms of `Objective`'s
    // methods must stay small enough to inline into the oracle's loops.
    #[inline(never)]
    pub fn f(&self, p: &Vec2) -> f64 {
        self.f.eval(p.x, p.y)
    }

    /// `f(p)` and `∇f(p)` by forward duals.
    #[inline(never)]
    pub fn f_grad(&self, p: &Vec2) -> (f64, Vec2) {
        let v = self.f.eval(Dual::var(p.x, 0), Dual::var(p.y, 1));
        (v.v, Vec2::new(v.d[0], v.d[1]))
    }

    /// `f(p)`, `∇f(p)` and the Hessian `∇²f(p)` by hyper-duals, in one
    /// evaluation.
    #[inline(never)]
    pub fn second(&self, p: &Vec2) -> (f64, Vec2, Mat2) {
        let v = self.f.eval(Hyper::var(p.x, 0), Hyper::var(p.y, 1));
        (
            v.v,
            Vec2::new(v.d[0], v.d[1]),
            Mat2::new(v.h[0], v.h[1], v.h[1], v.h[2]),
        )
    }

    /// The Hessian `∇²f(p)`.
    pub fn hessian(&self, p: &Vec2) -> Mat2 {
        self.second(p).2
    }
}

/// A classic test function of optimization, typed as `f`, with a view
/// that shows its features, a start point, whether its colour map reads
/// best in log scale, and its known minima inside the view.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TestFunction {
    /// The function's usual name.
    pub name: &'static str,
    /// What it shows.
    pub description: &'static str,
    /// `f` as a formula in `x` and `y`.
    pub f: &'static str,
    /// The view: `[min, max]` corners.
    pub view: [[f64; 2]; 2],
    /// A start point.
    pub x0: [f64; 2],
    /// Whether the colour map shades `log(f − f_min + ε)` (else `f`).
    pub log_scale: bool,
    /// Every local minimum inside the view, the global ones flagged; found
    /// by Newton's method on `∇f` from a dense grid of starts and refined
    /// in 50-digit arithmetic, then rounded to the nearest `f64`.
    pub minima: &'static [KnownMinimum],
}

impl TestFunction {
    /// The entry's objective.
    pub fn objective(&self) -> Result<super::super::Objective, CustomError> {
        TypedF::new(self.f).map(|t| super::super::Objective::Formula(std::sync::Arc::new(t)))
    }

    /// The lowest `f` among the minima.
    pub fn f_min(&self) -> f64 {
        self.minima.iter().fold(f64::INFINITY, |m, k| m.min(k.f))
    }
}

use KnownMinimum as M;

/// The local minima of Rastrigin's function in `[-2.5, 2.5]²`: the
/// products of the one-dimensional minima `0`, `±0.99495…`, `±1.98991…`.
const RASTRIGIN_MINIMA: [KnownMinimum; 25] = {
    const A: f64 = 0.9949586376523348;
    const B: f64 = 1.9899122337085495;
    const C1: [f64; 5] = [-B, -A, 0.0, A, B];
    // f is 10 + x² − 10 cos 2πx plus the same in y: at a product of 1-D
    // minima, the sum of their 1-D values.
    const G: [f64; 5] = [
        3.9798311905540875,
        0.9949590570932914,
        0.0,
        0.9949590570932914,
        3.9798311905540875,
    ];
    let mut out = [M::global(0.0, 0.0, 0.0); 25];
    let mut k = 0;
    while k < 25 {
        let (i, j) = (k % 5, k / 5);
        out[k] = KnownMinimum {
            at: [C1[i], C1[j]],
            f: G[i] + G[j],
            global: i == 2 && j == 2,
        };
        k += 1;
    }
    out
};

/// Eleven classic test functions of optimization.
pub const TEST_FUNCTIONS: [TestFunction; 11] = [
    TestFunction {
        name: "Himmelblau",
        description: "four global minima at f = 0, a local maximum and four saddles between them",
        f: "(x^2 + y - 11)^2 + (x + y^2 - 7)^2",
        view: [[-6.0, -6.0], [6.0, 6.0]],
        x0: [0.5, 5.0],
        log_scale: true,
        minima: &[
            M::global(3.0, 2.0, 0.0),
            M::global(-2.805118086952745, 3.131312518250573, 0.0),
            M::global(-3.779310253377747, -3.2831859912861696, 0.0),
            M::global(3.5844283403304917, -1.8481265269644036, 0.0),
        ],
    },
    TestFunction {
        name: "Beale",
        description: "a narrow curved valley to the minimum at (3, 0.5); f is flat along x = 0 and y = 1, and levels above f ≈ 0.452 run off along y → 1",
        f: "(1.5 - x + x*y)^2 + (2.25 - x + x*y^2)^2 + (2.625 - x + x*y^3)^2",
        view: [[-4.5, -4.5], [4.5, 4.5]],
        x0: [2.5, 0.2],
        log_scale: true,
        minima: &[M::global(3.0, 0.5, 0.0)],
    },
    TestFunction {
        name: "Booth",
        description: "a convex quadratic: the paper's Booth task, typed as f",
        f: "(x + 2*y - 7)^2 + (2*x + y - 5)^2",
        view: [[-10.0, -10.0], [10.0, 10.0]],
        x0: [5.0, -5.0],
        log_scale: true,
        minima: &[M::global(1.0, 3.0, 0.0)],
    },
    TestFunction {
        name: "Matyas",
        description: "a flat, elongated convex quadratic",
        f: "0.26*(x^2 + y^2) - 0.48*x*y",
        view: [[-10.0, -10.0], [10.0, 10.0]],
        x0: [-6.0, 8.0],
        log_scale: true,
        minima: &[M::global(0.0, 0.0, 0.0)],
    },
    TestFunction {
        name: "three-hump camel",
        description: "a global minimum at the origin between two local ones",
        f: "2*x^2 - 1.05*x^4 + x^6/6 + x*y + y^2",
        view: [[-3.0, -3.0], [3.0, 3.0]],
        x0: [-2.0, 2.0],
        log_scale: true,
        minima: &[
            M::global(0.0, 0.0, 0.0),
            M::local(-1.7475523458302888, 0.8737761729151444, 0.2986384422368598),
            M::local(1.7475523458302888, -0.8737761729151444, 0.2986384422368598),
        ],
    },
    TestFunction {
        name: "six-hump camel",
        description: "six minima, two of them global at f ≈ −1.0316: f is negative there",
        f: "(4 - 2.1*x^2 + x^4/3)*x^2 + x*y + (-4 + 4*y^2)*y^2",
        view: [[-3.0, -2.0], [3.0, 2.0]],
        x0: [-1.5, 1.5],
        log_scale: true,
        minima: &[
            M::global(
                -0.08984201310031806,
                0.7126564030207396,
                -1.0316284534898774,
            ),
            M::global(
                0.08984201310031806,
                -0.7126564030207396,
                -1.0316284534898774,
            ),
            M::local(-1.703606714969981, 0.7960835686726251, -0.21546382438371764),
            M::local(1.703606714969981, -0.7960835686726251, -0.21546382438371764),
            M::local(-1.6071047529201972, -0.5686514548841314, 2.1042503103112584),
            M::local(1.6071047529201972, 0.5686514548841314, 2.1042503103112584),
        ],
    },
    TestFunction {
        name: "Rastrigin",
        description: "a bowl covered in ripples: a local minimum near every integer point",
        f: "20 + x^2 - 10*cos(2*pi*x) + y^2 - 10*cos(2*pi*y)",
        view: [[-2.5, -2.5], [2.5, 2.5]],
        x0: [1.2, -0.7],
        log_scale: false,
        minima: &RASTRIGIN_MINIMA,
    },
    TestFunction {
        name: "Styblinski–Tang",
        description: "four minima of unequal depth, all below zero",
        f: "0.5*(x^4 - 16*x^2 + 5*x + y^4 - 16*y^2 + 5*y)",
        view: [[-5.0, -5.0], [5.0, 5.0]],
        x0: [0.5, 4.0],
        log_scale: false,
        minima: &[
            M::global(-2.903534027771177, -2.903534027771177, -78.33233140754282),
            M::local(-2.903534027771177, 2.746802770990837, -64.19561235905536),
            M::local(2.746802770990837, -2.903534027771177, -64.19561235905536),
            M::local(2.746802770990837, 2.746802770990837, -50.05889331056788),
        ],
    },
    TestFunction {
        name: "McCormick",
        description: "a tilted valley with a sine: one minimum global in the view, one local; f falls without bound along x = y, so levels above the saddle at f ≈ −1.23 are open curves",
        f: "sin(x + y) + (x - y)^2 - 1.5*x + 2.5*y + 1",
        view: [[-1.5, -3.0], [4.0, 4.0]],
        x0: [0.0, -1.0],
        log_scale: false,
        minima: &[
            M::global(
                -0.5471975511965977,
                -1.5471975511965979,
                -1.9132229549810364,
            ),
            M::local(2.5943951023931957, 1.5943951023931955, 1.2283696986087569),
        ],
    },
    TestFunction {
        name: "Goldstein–Price",
        description: "f spans six decades; the global minimum f = 3 at (0, −1) and three local ones",
        f: "(1 + (x + y + 1)^2*(19 - 14*x + 3*x^2 - 14*y + 6*x*y + 3*y^2))*(30 + (2*x - 3*y)^2*(18 - 32*x + 12*x^2 + 48*y - 36*x*y + 27*y^2))",
        view: [[-2.0, -2.0], [2.0, 2.0]],
        x0: [1.0, 1.5],
        log_scale: true,
        minima: &[
            M::global(0.0, -1.0, 3.0),
            M::local(-0.6, -0.4, 30.0),
            M::local(1.8, 0.2, 84.0),
            M::local(1.2, 0.8, 840.0),
        ],
    },
    TestFunction {
        name: "Rosenbrock",
        description: "the banana valley (a = 1, b = 100), typed as f",
        f: "(1 - x)^2 + 100*(y - x^2)^2",
        view: [[-2.0, -1.0], [2.0, 3.0]],
        x0: [-1.2, 1.0],
        log_scale: true,
        minima: &[M::global(1.0, 1.0, 0.0)],
    },
];
