//! Level-set teleportation `g_θ(x) = h⁻¹(R_θ h(x))`, and for a typed `f`
//! the flow teleport `g_θ(x) = φ_{θT/2π}(x)` along the level curve
//! ([`flow`]).
//!
//! `f(g_θ x) = f(x)` for every θ, so sweeping θ traces the level set of `f`
//! through `x` (its orbit), while `‖∇f(g_θ x)‖` changes. Teleport strategies
//! pick θ: a fixed angle, the global maximizer of `‖∇f‖` (the oracle), or a
//! few steps of gradient ascent on `‖∇f‖²` as in Zhao et al. 2022. Every
//! function here takes any [`Objective`]; for a typed `f` each follows the
//! level curve through `x` once ([`flow::LevelCurve`], the last one kept
//! per thread, so that an oracle search followed by the teleport it
//! chooses follows the curve once).

pub mod flow;

use std::cell::RefCell;
use std::f64::consts::{PI, TAU};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::objective::{
    Mat2, Objective, TeleportError, TypedF, Vec2, rotation, rotation_derivative,
};
use flow::LevelCurve;

/// `g_θ(x) = h⁻¹(R_θ h(x))`. For a custom `h` or a typed `f` this is
/// [`try_teleport`], NaN where that fails.
#[inline]
pub fn teleport(obj: &Objective, x: &Vec2, theta: f64) -> Vec2 {
    match obj {
        Objective::Custom(_) | Objective::Formula(_) => try_teleport(obj, x, theta).unwrap_or(NAN2),
        _ => obj.h_inv(&(rotation(theta) * obj.h(x))),
    }
}

const NAN2: Vec2 = Vec2::new(f64::NAN, f64::NAN);

/// A level curve with the formula and point it was followed for.
type CachedCurve = (
    Arc<TypedF>,
    [u64; 2],
    Result<Arc<LevelCurve>, TeleportError>,
);

thread_local! {
    /// The last level curve followed on this thread. The formula is kept
    /// alive by the entry, so a pointer match is the same formula.
    static LAST_CURVE: RefCell<Option<CachedCurve>> = const { RefCell::new(None) };
}

/// The level curve of `f` through `x` ([`LevelCurve::new`]), reusing the
/// last one followed on this thread when `f` and `x` are the same (to the
/// bit): the curve is a pure function of both, so the answer is too.
pub fn level_curve(f: &Arc<TypedF>, x: &Vec2) -> Result<Arc<LevelCurve>, TeleportError> {
    let key = [x.x.to_bits(), x.y.to_bits()];
    let hit = LAST_CURVE.with(|cell| {
        cell.borrow()
            .as_ref()
            .filter(|(g, k, _)| Arc::ptr_eq(g, f) && *k == key)
            .map(|(_, _, r)| r.clone())
    });
    if let Some(curve) = hit {
        return curve;
    }
    let curve = LevelCurve::new(Arc::clone(f), *x).map(Arc::new);
    LAST_CURVE.with(|cell| *cell.borrow_mut() = Some((Arc::clone(f), key, curve.clone())));
    curve
}

/// `g_θ(x)`, or why it cannot be computed: for a custom `h` without a given
/// inverse, `h(y) = R_θ h(x)` is solved by continuation in θ from `y = x`,
/// and fails where the path meets a fold or Newton's method fails; for a
/// typed `f`, the level curve through `x` is followed by the flow of `J∇f`
/// and the call fails where it does not close ([`flow`]).
pub fn try_teleport(obj: &Objective, x: &Vec2, theta: f64) -> Result<Vec2, TeleportError> {
    if let Objective::Formula(f) = obj {
        return level_curve(f, x).map(|c| c.at(theta));
    }
    Walker::new(obj, x)?.point(theta, None)
}

/// Walks the orbit of `x`: points `g_θ(x)` for any θ, continued from the
/// nearest known point for a custom `h`.
struct Walker<'a> {
    obj: &'a Objective,
    x: Vec2,
    u: Vec2,
    /// `det J_h(x)` (custom `h` only): the orientation to keep.
    det0: f64,
}

impl<'a> Walker<'a> {
    fn new(obj: &'a Objective, x: &Vec2) -> Result<Self, TeleportError> {
        let det0 = match obj {
            Objective::Custom(c) if !c.has_inverse() => c.orientation(x)?,
            _ => 1.0,
        };
        Ok(Self {
            obj,
            x: *x,
            u: obj.h(x),
            det0,
        })
    }

    /// `g_θ(x)`, continued from `near = (θ', g_θ'(x))` when given (else
    /// from `(0, x)`); the closed-form families ignore `near`.
    #[inline(always)]
    fn point(&self, theta: f64, near: Option<(f64, Vec2)>) -> Result<Vec2, TeleportError> {
        match self.obj {
            Objective::Custom(c) => {
                let y = match c.given_inverse(&(rotation(theta) * self.u)) {
                    Some(y) => y,
                    None => {
                        let from = near.unwrap_or((0.0, self.x));
                        c.rotate_from(&self.u, from, theta, self.det0)?
                    }
                };
                if y.iter().all(|v| v.is_finite()) {
                    Ok(y)
                } else {
                    Err(TeleportError::NotFinite { near: self.x })
                }
            }
            _ => Ok(self.obj.h_inv(&(rotation(theta) * self.u))),
        }
    }

    /// The jet of `g_θ` at `x`, given `y = g_θ(x)`.
    #[inline]
    fn jet(&self, theta: f64, y: Vec2) -> TeleportJet {
        let r = rotation(theta);
        let j_inv_y = self.obj.jacobian_inv(&y);
        TeleportJet {
            y,
            dy_dx: j_inv_y * r * self.obj.jacobian(&self.x),
            dy_dtheta: j_inv_y * (rotation_derivative(theta) * self.u),
        }
    }

    /// `G(θ) = ‖∇f(g_θ x)‖²` and `G'(θ)` given `y = g_θ(x)`.
    #[inline(always)]
    fn grad_norm_sq(&self, theta: f64, y: Vec2) -> (f64, f64) {
        // Only ∂g/∂θ of the jet: ∂g/∂x would cost a Jacobian at x and a
        // matrix product per call, and the oracle calls this ~300 times.
        let dy_dtheta = self.obj.jacobian_inv(&y) * (rotation_derivative(theta) * self.u);
        let g = self.obj.grad(&y);
        let h = self.obj.hessian(&y);
        (g.norm_squared(), 2.0 * g.dot(&(h * dy_dtheta)))
    }
}

/// `g_θ(x)` with its derivatives with respect to `x` and θ.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TeleportJet {
    /// `y = g_θ(x)`.
    pub y: Vec2,
    /// `∂g/∂x = J_h(y)⁻¹ R_θ J_h(x)` (a typed `f`:
    /// `Dφ_t(x) + (θ/2π) X(y) ∇T(x)ᵀ`, see [`flow`]).
    pub dy_dx: Mat2,
    /// `∂g/∂θ = J_h(y)⁻¹ R'_θ h(x)` (a typed `f`: `T/2π · X(y)`).
    pub dy_dtheta: Vec2,
}

impl TeleportJet {
    /// A jet of NaNs: a teleport that could not be computed.
    pub fn nan() -> Self {
        Self {
            y: NAN2,
            dy_dx: Mat2::from_element(f64::NAN),
            dy_dtheta: NAN2,
        }
    }
}

/// `g_θ(x)` and its first derivatives, as needed to backpropagate through a
/// teleport. For a custom `h` this is [`try_teleport_jet`], NaN where that
/// fails.
#[inline]
pub fn teleport_jet(obj: &Objective, x: &Vec2, theta: f64) -> TeleportJet {
    try_teleport_jet(obj, x, theta).unwrap_or_else(|_| TeleportJet::nan())
}

/// [`teleport_jet`], or why the teleport cannot be computed.
#[inline]
pub fn try_teleport_jet(
    obj: &Objective,
    x: &Vec2,
    theta: f64,
) -> Result<TeleportJet, TeleportError> {
    if let Objective::Formula(f) = obj {
        let jet = level_curve(f, x)?.jet(theta);
        let finite = jet
            .y
            .iter()
            .chain(jet.dy_dx.iter())
            .chain(jet.dy_dtheta.iter());
        return if finite.into_iter().all(|v| v.is_finite()) {
            Ok(jet)
        } else {
            Err(TeleportError::NotFiniteF { near: *x })
        };
    }
    let walker = Walker::new(obj, x)?;
    let y = walker.point(theta, None)?;
    Ok(walker.jet(theta, y))
}

/// `‖∇f(g_θ x)‖` as a function of θ.
#[inline]
pub fn grad_norm_at(obj: &Objective, x: &Vec2, theta: f64) -> f64 {
    obj.grad(&teleport(obj, x, theta)).norm()
}

/// `(θ, ‖∇f(g_θ x)‖)` at `n + 1` angles from −π to π (`n` rounded up to
/// an even number, at least 2), from one walk around the orbit: what the
/// app's θ plot draws. Only finite values below 1e100 are kept (beyond, a
/// plot's bounds are unusable).
pub fn try_grad_norm_curve(
    obj: &Objective,
    x: &Vec2,
    n: usize,
) -> Result<Vec<[f64; 2]>, TeleportError> {
    let n = n.max(2).next_multiple_of(2);
    let keep = |p: &[f64; 2]| p[1].is_finite() && p[1].abs() < 1e100;
    if let Objective::Formula(f) = obj {
        let curve = level_curve(f, x)?;
        return Ok(curve.grad_norm_curve(n).into_iter().filter(keep).collect());
    }
    // Points at 2πk/n; the angle −π + 2πk/n is the point at 2π(k + n/2)/n.
    let ring = try_orbit(obj, x, n)?;
    Ok((0..=n)
        .filter_map(|k| {
            let th = -PI + TAU * k as f64 / n as f64;
            let p = ring.get((k + n / 2) % n)?;
            Some([th, obj.grad(p).norm()])
        })
        .filter(keep)
        .collect())
}

/// `G(θ) = ‖∇f(g_θ x)‖²` and its derivative `G'(θ) = 2 ∇fᵀ H ∂g/∂θ`.
#[inline]
pub fn grad_norm_sq_and_derivative(obj: &Objective, x: &Vec2, theta: f64) -> (f64, f64) {
    let jet = teleport_jet(obj, x, theta);
    let g = obj.grad(&jet.y);
    let h = obj.hessian(&jet.y);
    (g.norm_squared(), 2.0 * g.dot(&(h * jet.dy_dtheta)))
}

/// `n` points of the orbit of `x` (its level set), at angles `2πk/n`. For
/// a custom `h` the points up to the first that cannot be computed; for a
/// typed `f` none when the level curve does not close ([`try_orbit`] says
/// why).
pub fn orbit(obj: &Objective, x: &Vec2, n: usize) -> Vec<Vec2> {
    if let Objective::Formula(_) = obj {
        return try_orbit(obj, x, n).unwrap_or_default();
    }
    if !matches!(obj, Objective::Custom(_)) {
        let u = obj.h(x);
        return (0..n)
            .map(|k| obj.h_inv(&(rotation(TAU * k as f64 / n as f64) * u)))
            .collect();
    }
    let mut out = Vec::with_capacity(n);
    let _ = walk_orbit(obj, x, n, &mut out);
    out
}

/// [`orbit`], or why the orbit cannot be followed: a fold, a failed Newton
/// solve, or (custom `h`) a full turn that does not return to `x`.
pub fn try_orbit(obj: &Objective, x: &Vec2, n: usize) -> Result<Vec<Vec2>, TeleportError> {
    if let Objective::Formula(f) = obj {
        return level_curve(f, x).map(|c| c.points(n));
    }
    let mut out = Vec::with_capacity(n);
    walk_orbit(obj, x, n, &mut out)?;
    Ok(out)
}

fn walk_orbit(
    obj: &Objective,
    x: &Vec2,
    n: usize,
    out: &mut Vec<Vec2>,
) -> Result<(), TeleportError> {
    let walker = Walker::new(obj, x)?;
    let mut near = None;
    for k in 0..n {
        let theta = TAU * k as f64 / n as f64;
        let y = walker.point(theta, near)?;
        out.push(y);
        near = Some((theta, y));
    }
    // Once around must come back to x, or h is not injective.
    if let (Objective::Custom(_), Some(last)) = (obj, near) {
        let end = walker.point(TAU, Some(last))?;
        if (end - x).norm() > 1e-6 * (1.0 + x.norm()) {
            return Err(TeleportError::NotInjective { start: *x, end });
        }
    }
    Ok(())
}

/// How a teleport picks its angle.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "strategy", rename_all = "snake_case", deny_unknown_fields)]
pub enum Strategy {
    /// A fixed angle θ.
    Angle {
        /// The rotation angle in radians.
        theta: f64,
    },
    /// `θ* = argmax_θ ‖∇f(g_θ x)‖`, global over `[0, 2π)`.
    Oracle,
    /// Gradient ascent on `‖∇f(g_θ x)‖²` over θ (Zhao et al. 2022).
    Ascent {
        /// The starting angle.
        #[serde(default)]
        theta0: f64,
        /// The ascent step size.
        lr: f64,
        /// The number of ascent steps.
        iters: usize,
    },
}

impl Strategy {
    /// The angle this strategy picks at `x`.
    pub fn angle(&self, obj: &Objective, x: &Vec2) -> f64 {
        match *self {
            Self::Angle { theta } => theta,
            Self::Oracle => oracle(obj, x).theta,
            Self::Ascent { theta0, lr, iters } => ascent(obj, x, theta0, lr, iters),
        }
    }

    /// [`Self::angle`], or why the orbit of `x` cannot be searched.
    pub fn try_angle(&self, obj: &Objective, x: &Vec2) -> Result<f64, TeleportError> {
        match *self {
            Self::Angle { theta } => Ok(theta),
            Self::Oracle => try_oracle(obj, x).map(|o| o.theta),
            Self::Ascent { theta0, lr, iters } => try_ascent(obj, x, theta0, lr, iters),
        }
    }

    /// A short label for legends, e.g. `oracle` or `ascent(10×1e-3)`.
    pub fn label(&self) -> String {
        match *self {
            Self::Angle { theta } => format!("θ={theta:.3}"),
            Self::Oracle => "oracle".to_owned(),
            Self::Ascent { lr, iters, .. } => format!("ascent {iters}×{lr}"),
        }
    }
}

/// The result of the oracle search.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OracleResult {
    /// The maximizing angle in `[0, 2π)`.
    pub theta: f64,
    /// `‖∇f(g_θ* x)‖`.
    pub grad_norm: f64,
}

/// The number of scan intervals of the oracle's bracketing pass.
const ORACLE_SCAN: usize = 256;

/// The global maximizer θ* of `‖∇f(g_θ x)‖` over `[0, 2π)`.
///
/// A scan of `G'(θ)` on 256 intervals brackets every local maximum (a sign
/// change from + to −); each is refined by bisection on the analytic
/// derivative to machine precision, and the best is kept. When `‖∇f‖` is
/// constant on the orbit (a circle, or `x` at the minimum) θ* = 0.
pub fn oracle(obj: &Objective, x: &Vec2) -> OracleResult {
    try_oracle(obj, x).unwrap_or(OracleResult {
        theta: 0.0,
        grad_norm: f64::NAN,
    })
}

/// [`oracle`], or why the orbit of `x` cannot be followed (custom `h` only).
/// The scan walks the orbit by continuation; each bisection continues from
/// its lower bracket's point.
pub fn try_oracle(obj: &Objective, x: &Vec2) -> Result<OracleResult, TeleportError> {
    if let Objective::Formula(f) = obj {
        return level_curve(f, x).map(|c| c.oracle());
    }
    let walker = Walker::new(obj, x)?;
    let step = TAU / ORACLE_SCAN as f64;
    let mut points = Vec::with_capacity(ORACLE_SCAN + 1);
    let mut samples = Vec::with_capacity(ORACLE_SCAN + 1);
    let mut near = None;
    for k in 0..=ORACLE_SCAN {
        let theta = step * k as f64;
        let y = walker.point(theta, near)?;
        near = Some((theta, y));
        points.push(y);
        samples.push(walker.grad_norm_sq(theta, y));
    }
    let (g0, _) = samples[0];
    let scale = samples.iter().fold(0.0_f64, |m, s| m.max(s.0.abs()));
    let mut best = (0.0, g0);
    // Keep the best scanned point as a fallback for flat or noisy orbits.
    for (k, s) in samples.iter().enumerate().take(ORACLE_SCAN) {
        if s.0 > best.1 {
            best = (step * k as f64, s.0);
        }
    }
    let spread = samples.iter().fold(0.0_f64, |m, s| m.max((s.0 - g0).abs()));
    if !scale.is_finite() || spread <= 1e-13 * scale {
        return Ok(OracleResult {
            theta: 0.0,
            grad_norm: g0.max(0.0).sqrt(),
        });
    }
    for k in 0..ORACLE_SCAN {
        let (_, d_lo) = samples[k];
        let (_, d_hi) = samples[k + 1];
        if d_lo > 0.0 && d_hi <= 0.0 {
            let lo = (step * k as f64, points[k]);
            let (theta, y) = bisect_derivative(&walker, lo, step * (k + 1) as f64)?;
            let (g, _) = walker.grad_norm_sq(theta, y);
            if g > best.1 {
                best = (theta, g);
            }
        }
    }
    Ok(OracleResult {
        theta: best.0.rem_euclid(TAU),
        grad_norm: best.1.max(0.0).sqrt(),
    })
}

/// The baseline [`oracle`] replaces: `‖∇f(g_θ x)‖` at the `n` angles
/// `2πk/n` (at least one), keeping the largest (the first of ties). Its
/// angle is only as good as the grid, `π/n`, and it costs `n` teleports;
/// the benchmarks compare the two.
pub fn dense_scan(obj: &Objective, x: &Vec2, n: usize) -> OracleResult {
    let n = n.max(1);
    let mut best = OracleResult {
        theta: 0.0,
        grad_norm: f64::NEG_INFINITY,
    };
    if let Objective::Formula(f) = obj {
        // A curve that does not close scores NaN everywhere (never the best).
        let curve = level_curve(f, x).ok();
        for k in 0..n {
            let theta = TAU * k as f64 / n as f64;
            let y = curve.as_ref().map_or(NAN2, |c| c.at(theta));
            let grad_norm = obj.grad(&y).norm();
            if grad_norm > best.grad_norm {
                best = OracleResult { theta, grad_norm };
            }
        }
        return best;
    }
    let walker = Walker::new(obj, x);
    let mut near = None;
    for k in 0..n {
        let theta = TAU * k as f64 / n as f64;
        // A custom h walks the orbit by continuation, each angle from the
        // last; a point that cannot be reached scores NaN (never the best).
        let y = walker
            .as_ref()
            .map_err(|e| *e)
            .and_then(|w| w.point(theta, near))
            .unwrap_or(NAN2);
        if y.iter().all(|v| v.is_finite()) {
            near = Some((theta, y));
        }
        let grad_norm = obj.grad(&y).norm();
        if grad_norm > best.grad_norm {
            best = OracleResult { theta, grad_norm };
        }
    }
    best
}

/// Finds a root of `G'` in `[lo, hi]` where `G'(lo) > 0 ≥ G'(hi)`, given
/// the point at `lo`; returns the angle and its point.
fn bisect_derivative(
    walker: &Walker<'_>,
    (mut lo, mut y_lo): (f64, Vec2),
    mut hi: f64,
) -> Result<(f64, Vec2), TeleportError> {
    // 60 halvings of an interval of 2π/256 reach below 1e-19: past f64 spacing.
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        let y = walker.point(mid, Some((lo, y_lo)))?;
        let (_, d) = walker.grad_norm_sq(mid, y);
        if d > 0.0 {
            lo = mid;
            y_lo = y;
        } else {
            hi = mid;
        }
    }
    let theta = 0.5 * (lo + hi);
    Ok((theta, walker.point(theta, Some((lo, y_lo)))?))
}

/// Gradient ascent on `G(θ) = ‖∇f(g_θ x)‖²`: `θ ← θ + lr·G'(θ)`, `iters` times
/// from `theta0`. Stops early if the angle stops being finite.
pub fn ascent(obj: &Objective, x: &Vec2, theta0: f64, lr: f64, iters: usize) -> f64 {
    try_ascent(obj, x, theta0, lr, iters).unwrap_or(theta0)
}

/// [`ascent`], or why the orbit of `x` cannot be followed (custom `h` only).
pub fn try_ascent(
    obj: &Objective,
    x: &Vec2,
    theta0: f64,
    lr: f64,
    iters: usize,
) -> Result<f64, TeleportError> {
    if let Objective::Formula(f) = obj {
        return level_curve(f, x).map(|c| c.ascent(theta0, lr, iters));
    }
    let walker = Walker::new(obj, x)?;
    let mut theta = theta0;
    let mut near = None;
    for _ in 0..iters {
        let y = walker.point(theta, near)?;
        near = Some((theta, y));
        let (_, d) = walker.grad_norm_sq(theta, y);
        let next = theta + lr * d;
        if !next.is_finite() {
            break;
        }
        // Keep θ in a bounded range so long ascents keep full precision.
        theta = (next + PI).rem_euclid(TAU) - PI;
    }
    Ok(theta)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objective::{Preset, TaskDist};

    /// The scan finds the oracle's peak to within its grid, and never
    /// beats it.
    #[test]
    fn dense_scan_approaches_the_oracle_from_below() {
        let mut tasks = TaskDist::ElliVary.sample_many(3, 4, Default::default());
        tasks.extend(TaskDist::RosVary.sample_many(4, 4, Default::default()));
        for task in &tasks {
            let best = oracle(&task.objective, &task.x0);
            let coarse = dense_scan(&task.objective, &task.x0, 16);
            let fine = dense_scan(&task.objective, &task.x0, 4096);
            for scan in [coarse, fine] {
                assert!(scan.grad_norm <= best.grad_norm * (1.0 + 1e-12));
                let at = grad_norm_at(&task.objective, &task.x0, scan.theta);
                assert_eq!(scan.grad_norm, at);
            }
            assert!(fine.grad_norm >= coarse.grad_norm);
            assert!(
                fine.grad_norm >= best.grad_norm * (1.0 - 1e-4),
                "{} vs {}",
                fine.grad_norm,
                best.grad_norm
            );
        }
        // No angles asked for still looks at θ = 0.
        let obj = Preset::Booth.objective();
        let x = Preset::Booth.default_x0();
        assert_eq!(
            dense_scan(&obj, &x, 0).grad_norm,
            grad_norm_at(&obj, &x, 0.0)
        );
    }
}
