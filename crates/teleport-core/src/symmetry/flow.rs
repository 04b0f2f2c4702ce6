//! The flow teleport of a typed `f`: `g_θ(x) = φ_{θ·T(x)/2π}(x)`.
//!
//! In the plane every closed level curve of `f` is an orbit of the
//! Hamiltonian field `X = J∇f = (−∂f/∂y, ∂f/∂x)` (`J` the rotation by
//! +90°), whose flow `φ_t` keeps `f` constant. With `T(x)` the period of the
//! closed level curve through `x`, `g_θ(x) = φ_{θT/2π}(x)` is 2π-periodic in
//! θ and moves `x` along its level curve. For `f = ‖Ax + b‖²` this is the
//! paper's teleport: `h = Ax + b` obeys `ḣ = 2 det(A) J h`, so `h` turns at
//! the constant rate `2 det A`, `T = π/|det A|` and
//! `g_θ = h⁻¹(R_{±θ} h)` (the sign of `det A`).
//!
//! [`LevelCurve::new`] follows the curve once from `x`: an adaptive
//! Dormand–Prince 5(4) integration of `X`, each accepted point projected
//! back onto `f = f(x)` by a Newton step along `∇f`. The period is the
//! first return to the section through `x` along `∇f(x)`, refined on the
//! interpolant. The nodes are kept, with `∇f` and `∇²f` at each, so that
//! `g_θ` for any θ (a quintic Hermite interpolant in time, projected onto
//! the level), its jet, `‖∇f‖` along the curve and the oracle cost a few
//! evaluations of `f` each.
//!
//! Derivatives (for Algorithm 2, gradient ascent on θ and the learned
//! optimizers' meta-gradients): with `t = θT/2π` and `y = g_θ(x)`,
//! `∂g/∂θ = T/2π · X(y)` and `∂g/∂x = M + (θ/2π) X(y) ∇T(x)ᵀ`, where
//! `M = Dφ_t(x)` solves the variational equation `Ṁ = J∇²f(φ_t) M` and
//! `∇T = T'(c) ∇f(x)` (`T` is constant on each level). Differentiating
//! `φ_{T(x)}(x) = x` gives `I − M_T = X(x) ∇T(x)ᵀ` for the monodromy
//! matrix `M_T`; applied to `v = ∇f(x)/‖∇f(x)‖²` (so `∇fᵀv = 1`),
//! `(I − M_T) v = T'(c) X(x)`, hence `T'(c) = ((I − M_T)v)·X(x)/‖X(x)‖²`.
//!
//! `M` is not integrated as a matrix: the flow carries `X(x)` to `X(y)`
//! (`M X(x) = X(y)`) and keeps the level (`∇f(y)ᵀ M = ∇f(x)ᵀ`), which
//! leaves one unknown, the shear `σ(t)` in `M v = n(y) + σ X(y)` with
//! `n = ∇f/‖∇f‖²`. Differentiating that along the flow gives
//! `σ̇ = (∇fᵀ∇²f∇f − Xᵀ∇²f X)/‖∇f‖⁴`, a quadrature along the curve
//! (Gauss–Legendre, three points per step, on first use), so that
//! `T'(c) = −σ(T)` (the divergence theorem's `∮ div(∇f/‖∇f‖²) dt`) and
//! `∂g/∂x = X(y) X(x)ᵀ/‖∇f(x)‖² + (n(y) + τ X(y)) ∇f(x)ᵀ` with
//! `τ = σ(t) + (t/T) T'(c)`: two structural identities hold exactly and a
//! scalar carries the integration error.
//!
//! Curves that do not close are refused with a [`TeleportError`], never a
//! wrong point, within a bounded amount of work: [`MAX_FLOW_STEPS`]
//! integration steps and [`MAX_FLOW_WORK`] formula instructions. A curve
//! that runs off ([`TeleportError::OpenCurve`], farther than
//! [`OPEN_CURVE_FACTOR`]`·(1 + ‖x‖)`), one on which `‖∇f‖` falls below
//! [`NEAR_CRITICAL_RATIO`] of its largest value (a saddle level,
//! [`TeleportError::NearCritical`]), a start at a critical point that is not
//! a non-degenerate extremum ([`TeleportError::CriticalPoint`]), `f` not
//! finite along the way ([`TeleportError::NotFiniteF`]), and a curve not
//! closed within the budget ([`TeleportError::CurveTooLong`]). There no
//! angle has a meaning: every teleport from such a point — a fixed θ, the
//! oracle's, gradient ascent's, a learned optimizer's — is refused with that
//! error (`optim::run` and the learned optimizers stop the run with it), and
//! the infallible forms in [`crate::symmetry`] return NaN, never a point.
//! Where several components share a level, the flow follows the one through
//! `x`.
//!
//! A start within rounding of a non-degenerate minimum or maximum
//! (`‖∇f‖ ≤` [`MODEL_RADIUS`]` · (1 + ‖x‖∞) · ‖∇²f‖`) has a level curve too
//! small to integrate in floating point; there the quadratic model is
//! exact to rounding: `g_θ(x) = x* + (cos θ I + sin θ K)(x − x*)` with
//! `K = J∇²f/√det ∇²f`, the limit of the flow teleport as the curve
//! shrinks (at `x*` itself, `g_θ(x*) = x*`).
//!
//! Accuracy: `f(g_θ x)` equals `f(x)` to rounding (every point is
//! projected); the position along the curve is accurate to about
//! [`FLOW_RTOL`] times the curve's extent per step, in practice within
//! `1e-9 · (1 + extent)` (the tests compare with an independent fixed-step
//! integrator at 1e-6).

use std::f64::consts::TAU;
use std::sync::{Arc, OnceLock};

use crate::objective::{Mat2, TeleportError, TypedF, Vec2};

use super::{OracleResult, TeleportJet};

/// The local error tolerance of the integrator's position, relative to the
/// extent of the curve followed so far.
pub const FLOW_RTOL: f64 = 1e-10;
/// A step whose error estimate exceeds the tolerance by this factor is
/// rejected and retried shorter; below it the step is kept and the next one
/// shortened. Rare rejections keep the computed point a continuous
/// function of the start: the steps taken then depend continuously on `x`
/// (each step size follows from the last error), whereas a rejection that
/// appears or disappears under a tiny move of `x` shifts the point by the
/// whole local error at once, which a finite difference (or an optimizer's
/// meta-gradient check) would see as a jump.
pub const REJECT_FACTOR: f64 = 4.0;
/// The most integration steps (accepted and rejected) of one curve.
pub const MAX_FLOW_STEPS: usize = 20_000;
/// The most formula instructions one curve may evaluate (evaluations
/// times the formula's length): bounds the work on a long formula, where
/// [`MAX_FLOW_STEPS`] alone would allow seconds.
pub const MAX_FLOW_WORK: usize = 60_000_000;
/// A point of the curve whose distance to a critical point, estimated by
/// Newton's step `‖∇²f⁻¹ ∇f‖`, is below this fraction of the curve's extent
/// (at most [`NEAR_CRITICAL_EXTENT`]` · (1 + ‖x‖)`) counts as a critical
/// point on the curve (a saddle level): there the two branches of the
/// level come within a thousand times the integrator's error of each other.
pub const NEAR_CRITICAL_RATIO: f64 = 1e-7;
/// The cap on the extent that [`NEAR_CRITICAL_RATIO`] is a fraction of, so
/// that a curve running off to infinity (whose extent grows without bound)
/// is reported as open, not as passing near a critical point.
pub const NEAR_CRITICAL_EXTENT: f64 = 100.0;
/// A curve farther than this times `1 + ‖x‖` from its start runs off.
pub const OPEN_CURVE_FACTOR: f64 = 1e9;
/// A start with `‖∇f‖/‖∇²f‖` below this times `1 + ‖x‖∞` is within
/// rounding of a critical point: the quadratic model is used where that
/// point is a non-degenerate extremum, and anything else is refused.
pub const MODEL_RADIUS: f64 = 1e-9;
/// The samples of `‖∇f‖²` that bracket the oracle's maxima: at least this
/// many per turn, besides the integrator's nodes.
pub const ORACLE_MIN_SAMPLES: usize = 128;

/// A rotation by +90°: `J v = (−v.y, v.x)`.
#[inline]
fn rot90(v: Vec2) -> Vec2 {
    Vec2::new(-v.y, v.x)
}

/// `J A` for a 2×2 matrix `A`.
#[inline]
fn rot90_mat(a: &Mat2) -> Mat2 {
    Mat2::new(-a.m21, -a.m22, a.m11, a.m12)
}

fn finite_vec(v: &Vec2) -> bool {
    v.x.is_finite() && v.y.is_finite()
}

fn finite_mat(m: &Mat2) -> bool {
    m.iter().all(|v| v.is_finite())
}

/// A point of the integration: time, position, `∇f` and `∇²f` there.
#[derive(Clone, Copy, Debug)]
struct Node {
    t: f64,
    p: Vec2,
    g: Vec2,
    h: Mat2,
}

impl Node {
    /// `ṗ = X = J∇f`.
    fn velocity(&self) -> Vec2 {
        rot90(self.g)
    }

    /// `p̈ = J ∇²f X`.
    fn acceleration(&self) -> Vec2 {
        rot90_mat(&self.h) * self.velocity()
    }
}

/// How much work building a curve took.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlowStats {
    /// Integration steps, accepted and rejected.
    pub steps: usize,
    /// Evaluations of `f` with its derivatives.
    pub evaluations: usize,
    /// Formula instructions evaluated (`evaluations` times the formula's
    /// length).
    pub work: usize,
}

/// What the curve through `x` is.
#[derive(Clone, Debug)]
enum Shape {
    /// A closed curve, integrated once around.
    Closed {
        /// From `t = 0` (at `x`) past the period.
        nodes: Vec<Node>,
        /// `T`.
        period: f64,
    },
    /// Within rounding of a non-degenerate extremum `center`: the linear
    /// flow of the quadratic model.
    Model {
        /// The extremum.
        center: Vec2,
        /// `K = J∇²f/√det ∇²f`.
        k: Mat2,
        /// `T = 2π/√det ∇²f`.
        period: f64,
    },
}

/// The variational part of a closed curve, integrated on first use (only
/// the jets need it): the shear `σ` at every node and `T'(c) = −σ(T)`.
#[derive(Clone, Debug)]
struct Variational {
    sigma: Vec<f64>,
    dperiod: f64,
}

/// The level curve of a typed `f` through a point, followed once around:
/// the flow teleport `g_θ` for every θ, its derivatives, `‖∇f‖` along the
/// curve and the oracle.
#[derive(Debug)]
pub struct LevelCurve {
    f: Arc<TypedF>,
    x: Vec2,
    level: f64,
    /// `∇f(x)`.
    grad: Vec2,
    shape: Shape,
    variational: OnceLock<Variational>,
    stats: FlowStats,
}

/// Dormand–Prince 5(4): the matrix `a` (row `i` for stage `i + 1`; the
/// field does not depend on time, so the nodes `c` are not needed), the
/// fifth-order weights `b` (its last row) and the error weights `b − b̂`.
const DP_A: [[f64; 6]; 7] = [
    [0.0; 6],
    [0.2, 0.0, 0.0, 0.0, 0.0, 0.0],
    [3.0 / 40.0, 9.0 / 40.0, 0.0, 0.0, 0.0, 0.0],
    [44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0, 0.0, 0.0, 0.0],
    [
        19372.0 / 6561.0,
        -25360.0 / 2187.0,
        64448.0 / 6561.0,
        -212.0 / 729.0,
        0.0,
        0.0,
    ],
    [
        9017.0 / 3168.0,
        -355.0 / 33.0,
        46732.0 / 5247.0,
        49.0 / 176.0,
        -5103.0 / 18656.0,
        0.0,
    ],
    [
        35.0 / 384.0,
        0.0,
        500.0 / 1113.0,
        125.0 / 192.0,
        -2187.0 / 6784.0,
        11.0 / 84.0,
    ],
];
const DP_E: [f64; 7] = [
    71.0 / 57600.0,
    0.0,
    -71.0 / 16695.0,
    71.0 / 1920.0,
    -17253.0 / 339200.0,
    22.0 / 525.0,
    -1.0 / 40.0,
];

/// `y0 + h Σ_{j<s} a_sj k_j` for stage `s`.
#[inline]
fn stage<T>(y0: T, k: &[T], s: usize, h: f64) -> T
where
    T: Copy + std::ops::Add<Output = T> + std::ops::Mul<f64, Output = T>,
{
    let mut y = y0;
    for (j, kj) in k.iter().enumerate().take(s) {
        let a = DP_A[s][j];
        if a != 0.0 {
            y = y + *kj * (a * h);
        }
    }
    y
}

/// The quintic Hermite basis on `[0, 1]`: weights of `p0`, `h·v0`,
/// `h²·a0`, `h²·a1`, `h·v1`, `p1`.
#[inline]
fn quintic_basis(s: f64) -> [f64; 6] {
    let s2 = s * s;
    let s3 = s2 * s;
    let s4 = s3 * s;
    let s5 = s4 * s;
    [
        1.0 - 10.0 * s3 + 15.0 * s4 - 6.0 * s5,
        s - 6.0 * s3 + 8.0 * s4 - 3.0 * s5,
        0.5 * s2 - 1.5 * s3 + 1.5 * s4 - 0.5 * s5,
        0.5 * s3 - s4 + 0.5 * s5,
        -4.0 * s3 + 7.0 * s4 - 3.0 * s5,
        10.0 * s3 - 15.0 * s4 + 6.0 * s5,
    ]
}

/// The position at `t` between two nodes (quintic Hermite in time).
fn interp_p(a: &Node, b: &Node, t: f64) -> Vec2 {
    let h = b.t - a.t;
    if h <= 0.0 {
        return a.p;
    }
    let w = quintic_basis(((t - a.t) / h).clamp(0.0, 1.0));
    w[0] * a.p
        + (w[1] * h) * a.velocity()
        + (w[2] * h * h) * a.acceleration()
        + (w[3] * h * h) * b.acceleration()
        + (w[4] * h) * b.velocity()
        + w[5] * b.p
}

/// The rate of the shear `σ` at a point with gradient `g` and Hessian
/// `h`: `(gᵀhg − Xᵀh X)/‖g‖⁴`, `X = Jg`.
fn shear_rate(g: Vec2, h: &Mat2) -> f64 {
    let x = rot90(g);
    let gg = g.norm_squared();
    (g.dot(&(h * g)) - x.dot(&(h * x))) / (gg * gg)
}

/// Three-point Gauss–Legendre nodes on `[0, 1]` and their weights.
const GAUSS3: [(f64, f64); 3] = [
    (0.112_701_665_379_258_31, 5.0 / 18.0),
    (0.5, 8.0 / 18.0),
    (0.887_298_334_620_741_7, 5.0 / 18.0),
];

/// Five-point Gauss–Legendre nodes on `[0, 1]` and their weights.
const GAUSS5: [(f64, f64); 5] = [
    (0.046_910_077_030_668_0, 0.118_463_442_528_094_5),
    (0.230_765_344_947_158_45, 0.239_314_335_249_683_2),
    (0.5, 0.284_444_444_444_444_44),
    (0.769_234_655_052_841_6, 0.239_314_335_249_683_2),
    (0.953_089_922_969_332, 0.118_463_442_528_094_5),
];

/// The shear's rate integrated over `[lo, hi]` (inside the step from `a`
/// to `b`) by a rule: the integral and the integral of its absolute value.
fn shear_rule(
    f: &TypedF,
    (a, b): (&Node, &Node),
    (lo, hi): (f64, f64),
    rule: &[(f64, f64)],
) -> (f64, f64) {
    let len = hi - lo;
    let (mut sum, mut abs) = (0.0, 0.0);
    for &(s, w) in rule {
        let (_, g, h) = f.second(&interp_p(a, b, lo + s * len));
        let rate = shear_rate(g, &h);
        sum += w * rate;
        abs += w * rate.abs();
    }
    (sum * len, abs * len)
}

/// `∫ σ̇ dt` over `[lo, hi]` inside the step from `a` to `b`: five-point
/// Gauss–Legendre, checked against the three-point rule and halved (to a
/// depth of 12) until they agree to 1e−11 of `∫ |σ̇| dt`. The rate can be
/// large with either sign where the curve bends sharply (the tips of
/// Rosenbrock's banana) and cancel over a turn, so the tolerance is
/// relative to the absolute integral, not to the result.
fn shear_over(f: &TypedF, ends: (&Node, &Node), (lo, hi): (f64, f64), depth: usize) -> f64 {
    if hi <= lo {
        return 0.0;
    }
    let (fine, abs) = shear_rule(f, ends, (lo, hi), &GAUSS5);
    let (coarse, _) = shear_rule(f, ends, (lo, hi), &GAUSS3);
    if depth >= 12 || (fine - coarse).abs() <= 1e-11 * abs {
        return fine;
    }
    let mid = 0.5 * (lo + hi);
    shear_over(f, ends, (lo, mid), depth + 1) + shear_over(f, ends, (mid, hi), depth + 1)
}

/// `∫ σ̇ dt` from `a.t` to `t` along the interpolant between two nodes.
fn shear_between(f: &TypedF, a: &Node, b: &Node, t: f64) -> f64 {
    shear_over(f, (a, b), (a.t, t), 0)
}

/// Evaluates `f` and its derivatives, counting the work.
struct Counter<'a> {
    f: &'a TypedF,
    stats: FlowStats,
    len: usize,
}

impl Counter<'_> {
    fn count(&mut self) {
        self.stats.evaluations += 1;
        self.stats.work = self.stats.work.saturating_add(self.len);
    }

    fn f_grad(&mut self, p: &Vec2) -> (f64, Vec2) {
        self.count();
        self.f.f_grad(p)
    }

    fn second(&mut self, p: &Vec2) -> (f64, Vec2, Mat2) {
        self.count();
        self.f.second(p)
    }

    fn over_budget(&self) -> bool {
        self.stats.steps >= MAX_FLOW_STEPS || self.stats.work >= MAX_FLOW_WORK
    }
}

impl LevelCurve {
    /// Follows the level curve of `f` through `x` once around, or says why
    /// it is not a closed orbit of the flow.
    pub fn new(f: Arc<TypedF>, x: Vec2) -> Result<Self, TeleportError> {
        Self::with_stats(f, x).0
    }

    /// [`Self::new`] with the work it took, also when it fails.
    pub fn with_stats(f: Arc<TypedF>, x: Vec2) -> (Result<Self, TeleportError>, FlowStats) {
        let mut counter = Counter {
            f: &f,
            stats: FlowStats::default(),
            len: f.expr().len().max(1),
        };
        let built = build(&mut counter, x);
        let stats = counter.stats;
        let curve = built.map(|(level, grad, shape)| Self {
            f: Arc::clone(&f),
            x,
            level,
            grad,
            shape,
            variational: OnceLock::new(),
            stats,
        });
        (curve, stats)
    }

    /// The start point `x`.
    pub fn start(&self) -> Vec2 {
        self.x
    }

    /// The level `c = f(x)`.
    pub fn level(&self) -> f64 {
        self.level
    }

    /// The period `T` of the flow of `J∇f` around the curve.
    pub fn period(&self) -> f64 {
        match &self.shape {
            Shape::Closed { period, .. } | Shape::Model { period, .. } => *period,
        }
    }

    /// `T'(c)`, how the period changes with the level (0 in the quadratic
    /// model near an extremum).
    pub fn period_derivative(&self) -> f64 {
        self.variational().map_or(0.0, |v| v.dperiod)
    }

    /// Whether the start is within rounding of a non-degenerate extremum,
    /// where the quadratic model stands in for the integration.
    pub fn is_model(&self) -> bool {
        matches!(self.shape, Shape::Model { .. })
    }

    /// The work it took to follow the curve (without the variational part,
    /// which the first jet integrates).
    pub fn stats(&self) -> FlowStats {
        self.stats
    }

    /// The integrator's nodes on the curve (the start first; empty in the
    /// quadratic model).
    pub fn nodes(&self) -> Vec<Vec2> {
        match &self.shape {
            Shape::Closed { nodes, .. } => nodes.iter().map(|n| n.p).collect(),
            Shape::Model { .. } => Vec::new(),
        }
    }

    /// θ reduced to `[0, 2π)`.
    fn reduce(theta: f64) -> f64 {
        let r = theta.rem_euclid(TAU);
        // `rem_euclid` of a tiny negative angle rounds to 2π itself.
        if r >= TAU { 0.0 } else { r }
    }

    /// The lower bracketing node and the time of the reduced angle `theta`.
    fn locate(nodes: &[Node], period: f64, theta: f64) -> (usize, f64) {
        let t = theta / TAU * period;
        let i = nodes
            .partition_point(|n| n.t <= t)
            .clamp(1, nodes.len() - 1);
        (i - 1, t)
    }

    /// Moves `p` onto `f = c` by Newton steps along `∇f`.
    fn project(&self, mut p: Vec2) -> Vec2 {
        for _ in 0..3 {
            let (v, g) = self.f.f_grad(&p);
            let gg = g.norm_squared();
            if !(v.is_finite() && gg > 0.0 && gg.is_finite()) {
                break;
            }
            let step = (v - self.level) / gg * g;
            p -= step;
            if step.norm() <= 1e-15 * (1.0 + p.norm()) {
                break;
            }
        }
        p
    }

    /// `g_θ(x)`, for any real θ (2π-periodic).
    pub fn at(&self, theta: f64) -> Vec2 {
        let th = Self::reduce(theta);
        match &self.shape {
            Shape::Model { center, k, .. } => {
                let (s, c) = th.sin_cos();
                let y = center + (Mat2::identity() * c + k * s) * (self.x - center);
                self.project(y)
            }
            Shape::Closed { nodes, period } => {
                if th == 0.0 {
                    return self.x;
                }
                let (i, t) = Self::locate(nodes, *period, th);
                self.project(interp_p(&nodes[i], &nodes[i + 1], t))
            }
        }
    }

    /// The variational part, integrated on first use along the same steps
    /// as the curve (`None` in the quadratic model).
    fn variational(&self) -> Option<&Variational> {
        let Shape::Closed { nodes, period } = &self.shape else {
            return None;
        };
        Some(
            self.variational
                .get_or_init(|| variational(&self.f, nodes, *period)),
        )
    }

    /// `g_θ(x)` with `∂g/∂x` and `∂g/∂θ`.
    pub fn jet(&self, theta: f64) -> TeleportJet {
        let th = Self::reduce(theta);
        let y = self.at(th);
        match &self.shape {
            Shape::Model { center, k, .. } => {
                let (s, c) = th.sin_cos();
                let rot = Mat2::identity() * c + k * s;
                let d_rot = k * c - Mat2::identity() * s;
                TeleportJet {
                    y,
                    dy_dx: rot,
                    dy_dtheta: d_rot * (self.x - center),
                }
            }
            Shape::Closed { nodes, period } => {
                let Some(var) = self.variational() else {
                    return TeleportJet::nan();
                };
                let tau = if th == 0.0 {
                    0.0
                } else {
                    let (i, t) = Self::locate(nodes, *period, th);
                    let sigma = var.sigma[i] + shear_between(&self.f, &nodes[i], &nodes[i + 1], t);
                    sigma + th / TAU * var.dperiod
                };
                let gy = self.f.f_grad(&y).1;
                let (xy, ny) = (rot90(gy), gy / gy.norm_squared());
                let g0 = self.grad;
                let x0 = rot90(g0);
                TeleportJet {
                    y,
                    dy_dx: xy * x0.transpose() / g0.norm_squared()
                        + (ny + tau * xy) * g0.transpose(),
                    dy_dtheta: (*period / TAU) * xy,
                }
            }
        }
    }

    /// `G(θ) = ‖∇f(g_θ x)‖²` and `G'(θ) = 2 ∇fᵀ ∇²f ∂g/∂θ` at `y = g_θ x`.
    pub fn grad_norm_sq(&self, theta: f64) -> (f64, f64) {
        let y = self.at(theta);
        let (_, g, h) = self.f.second(&y);
        self.g_and_slope(g, &h)
    }

    /// `G` and `G'` from `∇f` and `∇²f` at a point of the curve.
    fn g_and_slope(&self, g: Vec2, h: &Mat2) -> (f64, f64) {
        let dy_dtheta = self.period() / TAU * rot90(g);
        (g.norm_squared(), 2.0 * g.dot(&(h * dy_dtheta)))
    }

    /// `n` points `g_θ(x)` at `θ = 2πk/n`.
    pub fn points(&self, n: usize) -> Vec<Vec2> {
        (0..n).map(|k| self.at(TAU * k as f64 / n as f64)).collect()
    }

    /// `(θ, ‖∇f(g_θ x)‖)` at `n + 1` angles from −π to π (the app's θ plot).
    pub fn grad_norm_curve(&self, n: usize) -> Vec<[f64; 2]> {
        let n = n.max(1);
        (0..=n)
            .map(|k| {
                let th = -std::f64::consts::PI + TAU * k as f64 / n as f64;
                [th, self.f.f_grad(&self.at(th)).1.norm()]
            })
            .collect()
    }

    /// The global maximizer θ* of `‖∇f(g_θ x)‖` over `[0, 2π)`.
    ///
    /// `G(θ) = ‖∇f‖²` and `G'(θ)` at every node of the integration (and at
    /// interpolated points where nodes are farther apart than
    /// 2π/[`ORACLE_MIN_SAMPLES`]) bracket every local maximum (a sign
    /// change of `G'` from + to −); each is refined by bisection on `G'` to
    /// machine precision and the best is kept. When `‖∇f‖` is constant on
    /// the curve (a circle, or the quadratic model) θ* = 0.
    pub fn oracle(&self) -> OracleResult {
        let samples = self.scan();
        let g0 = samples[0].1;
        let scale = samples.iter().fold(0.0_f64, |m, s| m.max(s.1.abs()));
        let spread = samples.iter().fold(0.0_f64, |m, s| m.max((s.1 - g0).abs()));
        if !scale.is_finite() || spread <= 1e-13 * scale {
            return OracleResult {
                theta: 0.0,
                grad_norm: g0.max(0.0).sqrt(),
            };
        }
        let mut best = (0.0, g0);
        for s in &samples {
            if s.1 > best.1 {
                best = (s.0, s.1);
            }
        }
        for w in samples.windows(2) {
            let (lo, hi) = (w[0], w[1]);
            if lo.2 > 0.0 && hi.2 <= 0.0 {
                let theta = self.bisect(lo.0, hi.0);
                let (g, _) = self.grad_norm_sq(theta);
                if g > best.1 {
                    best = (theta, g);
                }
            }
        }
        OracleResult {
            theta: Self::reduce(best.0),
            grad_norm: best.1.max(0.0).sqrt(),
        }
    }

    /// `(θ, G, G')` over a full turn, `θ = 0` first and `θ = 2π` last: at
    /// the nodes from their own `∇f` and `∇²f`, between them interpolated.
    fn scan(&self) -> Vec<(f64, f64, f64)> {
        let max_gap = TAU / ORACLE_MIN_SAMPLES as f64;
        let mut out = Vec::new();
        match &self.shape {
            Shape::Closed { nodes, period } => {
                let mut last = 0.0;
                let first = &nodes[0];
                let (g, d) = self.g_and_slope(first.g, &first.h);
                out.push((0.0, g, d));
                for n in nodes.iter().skip(1) {
                    let th = n.t / period * TAU;
                    let end = th.min(TAU);
                    let pieces = ((end - last) / max_gap).ceil().max(1.0) as usize;
                    for k in 1..pieces {
                        let between = last + (end - last) * k as f64 / pieces as f64;
                        let (g, d) = self.grad_norm_sq(between);
                        out.push((between, g, d));
                    }
                    if th >= TAU {
                        // The curve is back at x: θ = 2π is θ = 0.
                        let (_, g, d) = out[0];
                        out.push((TAU, g, d));
                        break;
                    }
                    let (g, d) = self.g_and_slope(n.g, &n.h);
                    out.push((th, g, d));
                    last = th;
                }
            }
            Shape::Model { .. } => {
                for k in 0..=ORACLE_MIN_SAMPLES {
                    let th = k as f64 * max_gap;
                    let (g, d) = self.grad_norm_sq(th);
                    out.push((th, g, d));
                }
            }
        }
        out
    }

    /// A root of `G'` in `[lo, hi]` where `G'(lo) > 0 ≥ G'(hi)`.
    fn bisect(&self, mut lo: f64, mut hi: f64) -> f64 {
        for _ in 0..60 {
            let mid = 0.5 * (lo + hi);
            if mid <= lo || mid >= hi {
                break;
            }
            if self.grad_norm_sq(mid).1 > 0.0 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    }

    /// Gradient ascent on `G(θ)`: `θ ← θ + lr·G'(θ)`, `iters` times from
    /// `theta0`, stopping early if the angle stops being finite; θ is kept
    /// in `[−π, π)`.
    pub fn ascent(&self, theta0: f64, lr: f64, iters: usize) -> f64 {
        let mut theta = theta0;
        for _ in 0..iters {
            let (_, d) = self.grad_norm_sq(theta);
            let next = theta + lr * d;
            if !next.is_finite() {
                break;
            }
            theta = (next + std::f64::consts::PI).rem_euclid(TAU) - std::f64::consts::PI;
        }
        theta
    }
}

/// The start's level, gradient and the curve's shape.
fn build(counter: &mut Counter<'_>, x: Vec2) -> Result<(f64, Vec2, Shape), TeleportError> {
    if !finite_vec(&x) {
        return Err(TeleportError::NotFiniteF { near: x });
    }
    let (c, g0, h0) = counter.second(&x);
    if !(c.is_finite() && finite_vec(&g0) && finite_mat(&h0)) {
        return Err(TeleportError::NotFiniteF { near: x });
    }
    let gn = g0.norm();
    let hn = h0.norm();
    let scale = 1.0 + x.amax();
    if gn <= MODEL_RADIUS * scale * hn || gn == 0.0 {
        if let Some(model) = quadratic_model(counter, x, g0, h0) {
            return Ok((c, g0, model));
        }
        if gn == 0.0 || gn <= f64::EPSILON * scale * hn {
            return Err(TeleportError::CriticalPoint {
                at: x,
                grad_norm: gn,
            });
        }
    }
    integrate(counter, x, c, g0, h0).map(|shape| (c, g0, shape))
}

/// The quadratic model at a start within rounding of a non-degenerate
/// extremum: Newton's step to the extremum, whose Hessian must be definite
/// and agree with the start's (else the extremum is degenerate and the
/// model would be wrong).
fn quadratic_model(counter: &mut Counter<'_>, x: Vec2, g0: Vec2, h0: Mat2) -> Option<Shape> {
    let det = h0.determinant();
    let hn = h0.norm();
    // NaN fails this test too.
    if det.partial_cmp(&(1e-6 * hn * hn)) != Some(std::cmp::Ordering::Greater) {
        return None;
    }
    let center = x - h0.try_inverse()? * g0;
    let (_, _, hc) = counter.second(&center);
    if !(finite_mat(&hc) && (hc - h0).norm() <= 1e-3 * hn) {
        return None;
    }
    let omega = det.sqrt();
    Some(Shape::Model {
        center,
        k: rot90_mat(&h0) / omega,
        period: TAU / omega,
    })
}

/// Newton's estimate of the distance to a critical point, `‖∇²f⁻¹ ∇f‖`
/// (infinite where the Hessian is singular: no critical point is near).
fn critical_distance(g: Vec2, h: &Mat2) -> f64 {
    let det = h.determinant();
    let hn = h.norm();
    if det.abs().partial_cmp(&(1e-12 * hn * hn)) != Some(std::cmp::Ordering::Greater) {
        return f64::INFINITY;
    }
    (Mat2::new(h.m22, -h.m12, -h.m21, h.m11) * g).norm() / det.abs()
}

/// Integrates the flow of `J∇f` from `x` once around: Dormand–Prince 5(4)
/// with the stages on forward duals (`∇f` only), each accepted point
/// projected onto `f = c` and its `∇f`, `∇²f` kept for the interpolant.
fn integrate(
    counter: &mut Counter<'_>,
    x: Vec2,
    c: f64,
    g0: Vec2,
    h0: Mat2,
) -> Result<Shape, TeleportError> {
    let gn = g0.norm();
    let hn = h0.norm();
    let scale = 1.0 + x.norm();
    // The distance over which f is close to linear: the first step covers
    // a small part of it.
    let linear_radius = if hn > 0.0 { gn / hn } else { f64::INFINITY };
    let x_dir = rot90(g0);
    let mut nodes = vec![Node {
        t: 0.0,
        p: x,
        g: g0,
        h: h0,
    }];
    let mut h = 1e-3 * linear_radius.min(scale) / gn;
    let mut extent = 0.0_f64;
    let mut closest = (critical_distance(g0, &h0), x);
    let mut failures = 0usize;
    let mut k = [Vec2::zeros(); 7];
    loop {
        if counter.over_budget() {
            let near = nodes.last().map_or(x, |n| n.p);
            return Err(TeleportError::CurveTooLong {
                steps: counter.stats.steps,
                near,
            });
        }
        counter.stats.steps += 1;
        let last = nodes[nodes.len() - 1];
        k[0] = last.velocity();
        let mut finite = true;
        // Stage 7 sits at the fifth-order solution: its f and ∇f drive the
        // projection.
        let mut end = (0.0, Vec2::zeros());
        for s in 1..7 {
            let p = stage(last.p, &k, s, h);
            let (v, g) = counter.f_grad(&p);
            if !(v.is_finite() && finite_vec(&g)) {
                finite = false;
                break;
            }
            k[s] = rot90(g);
            end = (v, g);
        }
        if !finite {
            failures += 1;
            if failures > 40 || h == 0.0 {
                return Err(TeleportError::NotFiniteF { near: last.p });
            }
            h *= 0.25;
            continue;
        }
        let p5 = stage(last.p, &k, 6, h);
        let e = k
            .iter()
            .zip(DP_E)
            .fold(Vec2::zeros(), |acc, (kj, w)| acc + *kj * (w * h));
        let step_len = (p5 - last.p).amax();
        let tol = FLOW_RTOL * extent.max(step_len) + 4.0 * f64::EPSILON * p5.amax();
        let err = e.amax() / tol;
        if !err.is_finite() || err > REJECT_FACTOR {
            h *= if err.is_finite() {
                (0.9 * err.powf(-0.2)).max(0.2)
            } else {
                0.25
            };
            failures += usize::from(!err.is_finite());
            if failures > 40 {
                return Err(TeleportError::NotFiniteF { near: last.p });
            }
            continue;
        }
        failures = 0;
        // Back onto f = c along ∇f.
        let (v5, g5) = end;
        let p = p5 - (v5 - c) / g5.norm_squared() * g5;
        let (v, g, hess) = counter.second(&p);
        if !(v.is_finite() && finite_vec(&g) && finite_mat(&hess) && finite_vec(&p)) {
            return Err(TeleportError::NotFiniteF { near: p5 });
        }
        let node = Node {
            t: last.t + h,
            p,
            g,
            h: hess,
        };
        let distance = (p - x).norm();
        extent = extent.max(distance);
        if distance > OPEN_CURVE_FACTOR * scale {
            return Err(TeleportError::OpenCurve { near: p, distance });
        }
        let to_critical = critical_distance(g, &hess);
        if to_critical < closest.0 {
            closest = (to_critical, p);
        }
        let judged = extent.min(NEAR_CRITICAL_EXTENT * scale);
        if closest.0 < NEAR_CRITICAL_RATIO * judged {
            return Err(TeleportError::NearCritical {
                near: closest.1,
                ratio: closest.0 / judged,
            });
        }
        let s_prev = (last.p - x).dot(&x_dir);
        let s_new = (p - x).dot(&x_dir);
        nodes.push(node);
        if s_prev < 0.0 && s_new >= 0.0 {
            let t = section_time(&last, &node, x, x_dir);
            let q = interp_p(&last, &node, t);
            if returns_to_start(counter, x, c, g0, q, extent) {
                return Ok(Shape::Closed { nodes, period: t });
            }
        }
        h *= (0.9 * err.max(1e-10).powf(-0.2)).min(5.0);
    }
}

/// The shear `σ` at every node, by three-point Gauss–Legendre on each
/// step of the interpolant, and `T'(c) = −σ(T)`.
fn variational(f: &TypedF, nodes: &[Node], period: f64) -> Variational {
    let mut sigma = Vec::with_capacity(nodes.len());
    sigma.push(0.0);
    for w in nodes.windows(2) {
        let last = sigma[sigma.len() - 1];
        sigma.push(last + shear_between(f, &w[0], &w[1], w[1].t));
    }
    let dperiod = match nodes.len() {
        0 | 1 => f64::NAN,
        n => {
            let (a, b) = (&nodes[n - 2], &nodes[n - 1]);
            -(sigma[n - 2] + shear_between(f, a, b, period))
        }
    };
    Variational { sigma, dperiod }
}

/// Whether a crossing `q` of the section through `x` is the curve coming
/// back to `x`, not another of its crossings of the normal line: `q` within
/// a millionth of the curve's extent of `x` (a true return misses `x` by
/// the integration's error, about [`FLOW_RTOL`] of it), and `f` linear
/// between them (at the midpoint, `f − c` is half of `∇f(x)·(q − x)` to
/// 10 %, or both are at rounding level): between two branches of a level
/// curve, however close, `f` leaves `c` and comes back.
fn returns_to_start(
    counter: &mut Counter<'_>,
    x: Vec2,
    c: f64,
    g0: Vec2,
    q: Vec2,
    extent: f64,
) -> bool {
    let d = q - x;
    if d.norm() > 1e-6 * extent {
        return false;
    }
    let (fm, _) = counter.f_grad(&(x + 0.5 * d));
    let predicted = 0.5 * g0.dot(&d);
    let rounding = 64.0 * f64::EPSILON * (c.abs() + g0.norm() * (1.0 + x.norm()));
    (fm - c - predicted).abs() <= 0.1 * predicted.abs() + rounding
}

/// The time in `[a.t, b.t]` where the interpolant crosses the section
/// `(p − x)·x_dir = 0` (negative at `a`, not at `b`): regula falsi
/// alternating with bisection, which keeps the bracket and converges.
fn section_time(a: &Node, b: &Node, x: Vec2, x_dir: Vec2) -> f64 {
    let s = |t: f64| (interp_p(a, b, t) - x).dot(&x_dir);
    let (mut lo, mut hi) = (a.t, b.t);
    let (mut s_lo, mut s_hi) = (s(lo), s(hi));
    for round in 0..200 {
        let mut mid = if round % 2 == 0 && s_hi != s_lo {
            lo - s_lo * (hi - lo) / (s_hi - s_lo)
        } else {
            0.5 * (lo + hi)
        };
        if !(mid > lo && mid < hi) {
            mid = 0.5 * (lo + hi);
            if !(mid > lo && mid < hi) {
                break;
            }
        }
        let sm = s(mid);
        if sm == 0.0 {
            return mid;
        }
        if sm < 0.0 {
            (lo, s_lo) = (mid, sm);
        } else {
            (hi, s_hi) = (mid, sm);
        }
    }
    if s_lo.abs() < s_hi.abs() { lo } else { hi }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The quintic Hermite interpolant reproduces a quintic exactly.
    #[test]
    fn quintic_hermite_is_exact_on_quintics() {
        let q =
            |t: f64| 1.0 - 2.0 * t + 0.5 * t * t + 3.0 * t.powi(3) - t.powi(4) + 0.7 * t.powi(5);
        let dq = |t: f64| -2.0 + t + 9.0 * t * t - 4.0 * t.powi(3) + 3.5 * t.powi(4);
        let ddq = |t: f64| 1.0 + 18.0 * t - 12.0 * t * t + 14.0 * t.powi(3);
        let (t0, t1) = (0.3, 1.7);
        let h = t1 - t0;
        for k in 0..=10 {
            let t = t0 + h * k as f64 / 10.0;
            let w = quintic_basis((t - t0) / h);
            let got = w[0] * q(t0)
                + w[1] * h * dq(t0)
                + w[2] * h * h * ddq(t0)
                + w[3] * h * h * ddq(t1)
                + w[4] * h * dq(t1)
                + w[5] * q(t1);
            assert!((got - q(t)).abs() < 1e-12, "{t}: {got} vs {}", q(t));
        }
    }
}
