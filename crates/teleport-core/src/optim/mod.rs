//! Classical optimizers, one step at a time, with optional teleport schedules,
//! and Algorithm 2 (learning one rotation on the fly).

pub mod alg2;
pub mod noise;
mod update;

pub use noise::{GradNoise, NoiseError, NoiseStream};
pub use update::{FirstOrder, Moments, NotFirstOrder, VecOptimizer};

use serde::{Deserialize, Serialize};

use crate::objective::{Objective, Vec2};
use crate::symmetry::{Strategy, try_teleport};

/// An optimizer and its hyperparameters, as written in a scene file.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum OptimizerSpec {
    /// Gradient descent: `x ← x − lr·∇f`.
    Gd {
        /// Step size.
        lr: f64,
    },
    /// Heavy-ball momentum: `v ← βv − lr·∇f`, `x ← x + v`.
    Momentum {
        /// Step size.
        lr: f64,
        /// Momentum coefficient β.
        beta: f64,
    },
    /// Adam with bias correction.
    Adam {
        /// Step size.
        lr: f64,
        /// First-moment decay.
        #[serde(default = "default_beta1")]
        beta1: f64,
        /// Second-moment decay.
        #[serde(default = "default_beta2")]
        beta2: f64,
        /// Denominator guard.
        #[serde(default = "default_eps")]
        eps: f64,
    },
    /// Damped Newton: `x ← x − lr·H⁻¹∇f`.
    Newton {
        /// Damping (1 is the pure Newton step).
        #[serde(default = "default_one")]
        lr: f64,
    },
    /// Algorithm 2: `y = g_θ(x)`, `x ← y − α∇f(y)`, `θ ← θ − β ∂f(x)/∂θ`.
    Alg2 {
        /// α, the step size on `x`.
        lr: f64,
        /// β, the step size on θ.
        theta_lr: f64,
        /// The initial angle θ₀.
        #[serde(default)]
        theta0: f64,
    },
}

/// A number as a user would write it: `0.05`, `1e300` (not 301 digits).
fn short(v: f64) -> String {
    if v != 0.0 && v.is_finite() && !(1e-4..1e6).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        v.to_string()
    }
}

fn default_beta1() -> f64 {
    0.9
}
fn default_beta2() -> f64 {
    0.999
}
fn default_eps() -> f64 {
    1e-8
}
fn default_one() -> f64 {
    1.0
}

impl OptimizerSpec {
    /// Adam at step size `lr` with the usual β₁ = 0.9, β₂ = 0.999 and
    /// ε = 1e−8, the values a scene file that names only `lr` gets.
    pub fn adam(lr: f64) -> Self {
        Self::Adam {
            lr,
            beta1: default_beta1(),
            beta2: default_beta2(),
            eps: default_eps(),
        }
    }

    /// The name used in files and legends.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Gd { .. } => "gd",
            Self::Momentum { .. } => "momentum",
            Self::Adam { .. } => "adam",
            Self::Newton { .. } => "newton",
            Self::Alg2 { .. } => "alg2",
        }
    }

    /// The step size `lr` (Newton's damping, Algorithm 2's α).
    pub fn lr(&self) -> f64 {
        match *self {
            Self::Gd { lr }
            | Self::Momentum { lr, .. }
            | Self::Adam { lr, .. }
            | Self::Newton { lr }
            | Self::Alg2 { lr, .. } => lr,
        }
    }

    /// The same optimizer at step size `lr`, every other setting kept.
    pub fn with_lr(self, lr: f64) -> Self {
        match self {
            Self::Gd { .. } => Self::Gd { lr },
            Self::Momentum { beta, .. } => Self::Momentum { lr, beta },
            Self::Adam {
                beta1, beta2, eps, ..
            } => Self::Adam {
                lr,
                beta1,
                beta2,
                eps,
            },
            Self::Newton { .. } => Self::Newton { lr },
            Self::Alg2 {
                theta_lr, theta0, ..
            } => Self::Alg2 {
                lr,
                theta_lr,
                theta0,
            },
        }
    }

    /// A legend label such as `GD lr=0.05`.
    pub fn label(&self) -> String {
        match *self {
            Self::Gd { lr } => format!("GD lr={lr}"),
            Self::Momentum { lr, beta } => format!("Momentum lr={lr} β={beta}"),
            Self::Adam { lr, .. } => format!("Adam lr={lr}"),
            Self::Newton { lr } => format!("Newton lr={lr}"),
            Self::Alg2 { lr, theta_lr, .. } => format!("Alg. 2 α={lr} β={theta_lr}"),
        }
    }

    /// Checks the hyperparameters; the error names the offending one.
    pub fn check(&self) -> Result<(), SpecError> {
        fn positive(name: &'static str, value: f64) -> Result<(), SpecError> {
            if value.is_finite() && value > 0.0 && value <= 1e6 {
                Ok(())
            } else {
                Err(SpecError::NotPositive { name, value })
            }
        }
        fn unit(name: &'static str, value: f64) -> Result<(), SpecError> {
            if value.is_finite() && (0.0..1.0).contains(&value) {
                Ok(())
            } else {
                Err(SpecError::NotInUnitInterval { name, value })
            }
        }
        fn finite(name: &'static str, value: f64) -> Result<(), SpecError> {
            if value.is_finite() {
                Ok(())
            } else {
                Err(SpecError::NotFinite { name, value })
            }
        }
        match *self {
            Self::Gd { lr } | Self::Newton { lr } => positive("lr", lr),
            Self::Momentum { lr, beta } => positive("lr", lr).and(unit("beta", beta)),
            Self::Adam {
                lr,
                beta1,
                beta2,
                eps,
            } => positive("lr", lr)
                .and(unit("beta1", beta1))
                .and(unit("beta2", beta2))
                .and(positive("eps", eps)),
            Self::Alg2 {
                lr,
                theta_lr,
                theta0,
            } => positive("lr", lr)
                .and(finite("theta_lr", theta_lr))
                .and(finite("theta0", theta0)),
        }
    }
}

/// Why hyperparameters are refused by [`OptimizerSpec::check`]; each names
/// the parameter (`lr`, `beta`, …) and the value it got.
#[derive(Clone, Copy, Debug, PartialEq, thiserror::Error)]
pub enum SpecError {
    /// A step size or `eps` is not in (0, 1e6].
    #[error("`{name}` must be a positive finite number ≤ 1e6, got {}", short(*value))]
    NotPositive {
        /// The parameter.
        name: &'static str,
        /// Its value.
        value: f64,
    },
    /// A decay (`beta`, `beta1`, `beta2`) is not in [0, 1).
    #[error("`{name}` must be in [0, 1), got {}", short(*value))]
    NotInUnitInterval {
        /// The parameter.
        name: &'static str,
        /// Its value.
        value: f64,
    },
    /// An angle or angle step size is NaN or infinite.
    #[error("`{name}` must be a finite number, got {}", short(*value))]
    NotFinite {
        /// The parameter.
        name: &'static str,
        /// Its value.
        value: f64,
    },
}

/// Why an optimizer could not take a step.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum StepError {
    /// Newton's method met a singular Hessian.
    #[error("the Hessian is singular at x = ({x:.4}, {y:.4}) (det H = {det:e}); Newton's step is undefined", x = .at.x, y = .at.y)]
    SingularHessian {
        /// Where.
        at: Vec2,
        /// `det H`.
        det: f64,
    },
    /// A teleport could not be computed (a custom `h`: a fold, or Newton
    /// failing on `h(y) = u`).
    #[error("{0}")]
    Teleport(#[from] crate::objective::TeleportError),
}

/// An optimizer with its running state (velocity, moments, step count, θ).
#[derive(Clone, Debug, PartialEq)]
pub struct Optimizer {
    spec: OptimizerSpec,
    /// The first-order optimizers' state: the same update math as a
    /// network's parameters get ([`VecOptimizer`]).
    moments: Moments<[f64; 2]>,
    theta: f64,
}

impl Optimizer {
    /// A fresh optimizer.
    pub fn new(spec: OptimizerSpec) -> Self {
        let theta = match spec {
            OptimizerSpec::Alg2 { theta0, .. } => theta0,
            _ => 0.0,
        };
        Self {
            spec,
            moments: Moments::new([0.0; 2]),
            theta,
        }
    }

    /// The hyperparameters.
    pub fn spec(&self) -> &OptimizerSpec {
        &self.spec
    }

    /// Algorithm 2's current angle θ_t; `None` for the other optimizers.
    pub fn theta(&self) -> Option<f64> {
        matches!(self.spec, OptimizerSpec::Alg2 { .. }).then_some(self.theta)
    }

    /// One step from `x`; returns the next iterate.
    pub fn step(&mut self, obj: &Objective, x: &Vec2) -> Result<Vec2, StepError> {
        self.step_noisy(obj, x, &mut NoiseStream::none())
    }

    /// One step from `x` with the gradient noise of `noise`: every gradient
    /// the step uses is `∇f + σξ` with the stream's next draw (one draw, and
    /// two for Algorithm 2: see [`noise`]); Hessians and teleports stay
    /// exact. The silent stream gives [`Self::step`] bit for bit.
    pub fn step_noisy(
        &mut self,
        obj: &Objective,
        x: &Vec2,
        noise: &mut NoiseStream,
    ) -> Result<Vec2, StepError> {
        match self.spec {
            OptimizerSpec::Gd { .. }
            | OptimizerSpec::Momentum { .. }
            | OptimizerSpec::Adam { .. } => {
                let mut next = [x.x, x.y];
                if let Some(rule) = self.spec.first_order() {
                    let g = noise.perturb(obj.grad(x));
                    self.moments.apply(rule, &mut next, &[g.x, g.y]);
                }
                Ok(Vec2::from(next))
            }
            OptimizerSpec::Newton { lr } => {
                let h = obj.hessian(x);
                let det = h.determinant();
                let scale = h.abs().max();
                let singular = !det.is_finite() || det.abs() <= 1e-14 * scale * scale;
                match h.try_inverse() {
                    Some(h_inv) if !singular => Ok(x - lr * (h_inv * noise.perturb(obj.grad(x)))),
                    _ => Err(StepError::SingularHessian { at: *x, det }),
                }
            }
            OptimizerSpec::Alg2 { lr, theta_lr, .. } => {
                let step = alg2::try_step_noisy(obj, x, self.theta, lr, theta_lr, noise)?;
                self.theta = step.theta_next;
                Ok(step.x_next)
            }
        }
    }
}

/// When a schedule teleports.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum When {
    /// At the listed steps.
    At(Vec<usize>),
    /// At every step `t` with `t % k == 0` and `t > 0`.
    Every(usize),
}

/// `every`, `every:K` or a list of steps such as `2,5,8` (the command line's
/// `--teleport-at`).
impl std::str::FromStr for When {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text == "every" {
            return Ok(Self::Every(1));
        }
        if let Some(k) = text.strip_prefix("every:") {
            return match k.parse::<usize>() {
                Ok(k) if k >= 1 => Ok(Self::Every(k)),
                _ => Err(format!("`{text}`: K must be a positive integer")),
            };
        }
        text.split(',')
            .map(|s| s.trim().parse::<usize>())
            .collect::<Result<Vec<_>, _>>()
            .map(Self::At)
            .map_err(|_| format!("expected `every`, `every:K` or a list like 2,5,8; got `{text}`"))
    }
}

impl When {
    /// Whether step `t` teleports.
    pub fn fires(&self, t: usize) -> bool {
        match self {
            Self::At(steps) => steps.contains(&t),
            Self::Every(k) => *k > 0 && t > 0 && t.is_multiple_of(*k),
        }
    }
}

/// A teleport strategy applied on a schedule.
#[derive(Clone, Debug, PartialEq)]
pub struct TeleportSchedule {
    /// How the angle is chosen.
    pub strategy: Strategy,
    /// When to teleport.
    pub when: When,
}

/// One recorded iterate.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Record {
    /// The step index.
    pub t: usize,
    /// The iterate (after a teleport at this step, if any).
    pub x: [f64; 2],
    /// `f(x)`.
    pub f: f64,
    /// `∇f(x)`.
    pub grad: [f64; 2],
    /// Whether this step teleported before recording.
    pub teleported: bool,
    /// Algorithm 2's θ_t, or the teleport angle on a teleporting step.
    pub theta: Option<f64>,
    /// On a teleporting step, the point the teleport started from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<[f64; 2]>,
}

/// Why a run stopped before its last step.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Stop {
    /// The iterate or its loss overflowed or became NaN at `step`.
    Diverged {
        /// The first step whose iterate is not finite.
        step: usize,
    },
    /// The optimizer could not step (e.g. a singular Hessian).
    Failed {
        /// The step that could not be taken.
        step: usize,
        /// What went wrong.
        message: String,
    },
}

/// A recorded run. Every record is finite: a run stops at the first step
/// whose iterate would not be.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Trajectory {
    /// The iterates, `t = 0 ..= steps` unless the run stopped early.
    pub records: Vec<Record>,
    /// Set when the run stopped early.
    pub stop: Option<Stop>,
}

impl Trajectory {
    /// The loss at each recorded step.
    pub fn losses(&self) -> Vec<f64> {
        self.records.iter().map(|r| r.f).collect()
    }

    /// The last recorded iterate.
    pub fn last(&self) -> Option<&Record> {
        self.records.last()
    }
}

/// A finite record of `x` at step `t` (teleported from `from`, if given), or
/// `None` if anything is not finite.
pub fn record(
    obj: &Objective,
    t: usize,
    x: &Vec2,
    from: Option<Vec2>,
    theta: Option<f64>,
) -> Option<Record> {
    let (f, g) = obj.f_grad(x);
    let finite = x.iter().chain(g.iter()).all(|v| v.is_finite()) && f.is_finite();
    finite.then_some(Record {
        t,
        x: [x.x, x.y],
        f,
        grad: [g.x, g.y],
        teleported: from.is_some(),
        theta,
        from: from.map(|p| [p.x, p.y]),
    })
}

/// Runs `steps` steps from `x0`.
///
/// For `t = 0 … steps−1`: if the schedule fires at `t`, `x ← g_θ(x)`; record
/// `(t, x, f, ∇f, teleported)`; take the optimizer step. Finally record
/// `t = steps`. A run whose iterate stops being finite ends there with
/// [`Stop::Diverged`].
pub fn run(
    obj: &Objective,
    x0: Vec2,
    steps: usize,
    spec: OptimizerSpec,
    teleport_schedule: Option<&TeleportSchedule>,
) -> Trajectory {
    run_with_teleports(obj, x0, steps, spec, teleport_schedule, &[])
}

/// [`run`] with extra teleports `(step, θ)` applied by hand at the listed
/// steps, after the schedule's (the app's "Teleport here").
pub fn run_with_teleports(
    obj: &Objective,
    x0: Vec2,
    steps: usize,
    spec: OptimizerSpec,
    teleport_schedule: Option<&TeleportSchedule>,
    manual: &[(usize, f64)],
) -> Trajectory {
    run_noisy(
        obj,
        x0,
        steps,
        spec,
        teleport_schedule,
        manual,
        NoiseStream::none(),
    )
}

/// [`run_with_teleports`] whose steps see the gradient noise of `noise`
/// ([`Optimizer::step_noisy`]; which stream a run draws from: [`noise`]).
/// Teleports choose their angles on the true `f`, and the records hold the
/// true `f(x_t)` and `∇f(x_t)`. The silent stream gives
/// [`run_with_teleports`] bit for bit.
pub fn run_noisy(
    obj: &Objective,
    x0: Vec2,
    steps: usize,
    spec: OptimizerSpec,
    teleport_schedule: Option<&TeleportSchedule>,
    manual: &[(usize, f64)],
    mut noise: NoiseStream,
) -> Trajectory {
    let mut opt = Optimizer::new(spec);
    let mut x = x0;
    let mut out = Trajectory {
        records: Vec::with_capacity(steps + 1),
        stop: None,
    };
    for t in 0..=steps {
        let mut from = None;
        let mut theta = opt.theta();
        if t < steps
            && let Some(schedule) = teleport_schedule
            && schedule.when.fires(t)
        {
            let teleported = schedule
                .strategy
                .try_angle(obj, &x)
                .and_then(|angle| Ok((angle, try_teleport(obj, &x, angle)?)));
            match teleported {
                Ok((angle, y)) => {
                    from = Some(x);
                    x = y;
                    theta = theta.or(Some(angle));
                }
                Err(e) => {
                    out.stop = Some(Stop::Failed {
                        step: t,
                        message: e.to_string(),
                    });
                    break;
                }
            }
        }
        let mut failed = None;
        for &(_, angle) in manual.iter().filter(|(step, _)| *step == t) {
            match try_teleport(obj, &x, angle) {
                Ok(y) => {
                    from = from.or(Some(x));
                    x = y;
                    theta = Some(angle);
                }
                Err(e) => {
                    failed = Some(e.to_string());
                    break;
                }
            }
        }
        if let Some(message) = failed {
            out.stop = Some(Stop::Failed { step: t, message });
            break;
        }
        let Some(rec) = record(obj, t, &x, from, theta) else {
            out.stop = Some(Stop::Diverged { step: t });
            break;
        };
        out.records.push(rec);
        if t == steps {
            break;
        }
        match opt.step_noisy(obj, &x, &mut noise) {
            Ok(next) => x = next,
            Err(e) => {
                out.stop = Some(Stop::Failed {
                    step: t,
                    message: e.to_string(),
                });
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objective::Preset;

    #[test]
    fn adam_first_step_moves_lr_against_each_gradient_sign() {
        // With bias correction, Adam's first step is lr·sign(g) (up to ε).
        let obj = Preset::Booth.objective();
        let x = Vec2::new(3.0, -2.0);
        let g = obj.grad(&x);
        let mut adam = Optimizer::new(OptimizerSpec::adam(0.1));
        let next = adam.step(&obj, &x).unwrap();
        for i in 0..2 {
            assert!((x[i] - next[i] - 0.1 * g[i].signum()).abs() < 1e-8);
        }
    }

    #[test]
    fn momentum_with_zero_beta_is_gd() {
        let obj = Preset::RosFixed.objective();
        let x0 = Vec2::new(-1.0, 0.5);
        let a = run(&obj, x0, 30, OptimizerSpec::Gd { lr: 0.01 }, None);
        let b = run(
            &obj,
            x0,
            30,
            OptimizerSpec::Momentum {
                lr: 0.01,
                beta: 0.0,
            },
            None,
        );
        assert_eq!(a.records, b.records);
    }

    #[test]
    fn newton_reports_singular_hessian() {
        // For Rosenbrock, det H = 4c²(a² + 2·h₁·d2): singular where
        // h₁ = c·y + d(x) = −a²/(2·d2). With a = 1, c = −10, d = 10x², at
        // x = 0.5 that is y = (2.5 + 0.05)/10.
        let obj = Preset::Rosenbrock.objective();
        let x = Vec2::new(0.5, 0.255);
        assert!(obj.hessian(&x).determinant().abs() < 1e-9);
        let traj = run(&obj, x, 5, OptimizerSpec::Newton { lr: 1.0 }, None);
        assert_eq!(traj.records.len(), 1);
        let Some(Stop::Failed { step: 0, message }) = traj.stop else {
            panic!("expected a failure, got {:?}", traj.stop);
        };
        assert!(message.contains("singular"), "{message}");
    }

    #[test]
    fn diverging_gd_stops_with_finite_records() {
        let obj = Preset::ElliFixed.objective();
        let traj = run(
            &obj,
            Vec2::new(1.0, 1.0),
            10_000,
            OptimizerSpec::Gd { lr: 10.0 },
            None,
        );
        let Some(Stop::Diverged { step }) = traj.stop else {
            panic!("expected divergence, got {:?}", traj.stop);
        };
        assert_eq!(traj.records.len(), step);
        assert!(traj.records.iter().all(|r| r.f.is_finite()));
    }

    #[test]
    fn schedule_every_k() {
        let when = When::Every(3);
        let fired: Vec<usize> = (0..10).filter(|&t| when.fires(t)).collect();
        assert_eq!(fired, vec![3, 6, 9]);
        assert!(!When::Every(0).fires(0));
    }
}

#[cfg(test)]
mod when_tests {
    use super::When;

    #[test]
    fn schedules_parse_from_the_command_line_forms() {
        assert_eq!("every".parse::<When>(), Ok(When::Every(1)));
        assert_eq!("every:5".parse::<When>(), Ok(When::Every(5)));
        assert_eq!("2, 5,8".parse::<When>(), Ok(When::At(vec![2, 5, 8])));
        for bad in ["every:0", "every:x", "two", "1,,2", ""] {
            let e = bad.parse::<When>().unwrap_err();
            assert!(e.contains(bad) || bad.is_empty(), "{bad}: {e}");
        }
    }
}
