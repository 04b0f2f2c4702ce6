//! Runs of an optimizer on a network task, with teleports on a schedule,
//! and the records `teleport-lab eval` prints.

use serde::Serialize;

use super::mlp::Mlp;
use super::rescale::{NetStrategy, TeleportError, rescale_in_place};
use super::task::NetTask;
use crate::optim::{NoiseStream, NotFirstOrder, OptimizerSpec, Stop, VecOptimizer, When};

/// An optimizer of a parameter vector: one step from the gradient. The
/// classical ones are [`VecOptimizer`]; a learned optimizer that steps
/// every coordinate from its own gradient fits here as well.
pub trait ParamOptimizer {
    /// One step: `params` updated in place from `grad`, the gradient to step
    /// with (`∇f(params)`, or a noisy sample of it), where `f` is the loss
    /// there.
    fn step(&mut self, params: &mut [f64], grad: &[f64], f: f64);

    /// A teleport that the optimizer itself makes right after its step
    /// (the paper's `x_t ← g(x_{t−1} + m(z_t))`): `params` are the updated
    /// parameters and `grad = ∇f(params)`. Rescales `params` in place along
    /// the network's orbit and returns `true`, or leaves them and returns
    /// `false` (the default: a classical optimizer never teleports by
    /// itself).
    fn teleport_after_step(&mut self, mlp: &Mlp, params: &mut [f64], grad: &[f64]) -> bool {
        let _ = (mlp, params, grad);
        false
    }
}

impl ParamOptimizer for VecOptimizer {
    fn step(&mut self, params: &mut [f64], grad: &[f64], _f: f64) {
        VecOptimizer::step(self, params, grad);
    }
}

/// A network teleport applied on a schedule.
#[derive(Clone, Debug, PartialEq)]
pub struct NetSchedule {
    /// How the log-scales are chosen.
    pub strategy: NetStrategy,
    /// When to teleport.
    pub when: When,
}

/// One recorded step of a network run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NetRecord {
    /// The step: 0 is the start, `k` the parameters after `k` steps.
    pub t: usize,
    /// `f`, the mean binary cross-entropy.
    pub f: f64,
    /// `‖∇f‖`.
    pub grad_norm: f64,
    /// The fraction of points classified as labelled.
    pub accuracy: f64,
    /// Whether this step teleported before recording.
    pub teleported: bool,
    /// The parameters (after a teleport at this step, if any), laid out as
    /// [`super::mlp`] describes.
    pub params: Vec<f64>,
}

/// A recorded network run. Every record is finite: a run stops at the
/// first step whose parameters, loss or gradient would not be.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct NetTrajectory {
    /// The records, `t = 0 ..= steps` unless the run stopped early.
    pub records: Vec<NetRecord>,
    /// Set when the run stopped early.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop: Option<Stop>,
}

impl NetTrajectory {
    /// The loss at each recorded step.
    pub fn losses(&self) -> Vec<f64> {
        self.records.iter().map(|r| r.f).collect()
    }
}

/// Runs the classical optimizer `spec` for `steps` steps from the task's
/// initial parameters; Newton and Algorithm 2 are refused with the reason.
pub fn run(
    task: &NetTask,
    steps: usize,
    spec: OptimizerSpec,
    schedule: Option<&NetSchedule>,
) -> Result<NetTrajectory, NotFirstOrder> {
    let mut opt = VecOptimizer::new(spec, task.mlp.num_params())?;
    Ok(run_with(task, steps, &mut opt, schedule))
}

/// Runs `opt` for `steps` steps from the task's initial parameters, as the
/// 2D [`crate::optim::run`] does: for `t = 0 … steps−1`, if the schedule
/// fires at `t`, teleport; record `(t, f, ‖∇f‖, accuracy, teleported,
/// params)`; step (and let the optimizer teleport after its step,
/// [`ParamOptimizer::teleport_after_step`]: the next record is then marked
/// as teleported). Finally record `t = steps`. The run ends with
/// [`Stop::Diverged`] at the first step whose parameters, loss or gradient
/// are not finite, and with [`Stop::Failed`] when a teleport cannot be
/// computed. The optimizer's state (momentum, Adam's moments) carries over
/// a teleport unchanged, as it does in the plane.
pub fn run_with(
    task: &NetTask,
    steps: usize,
    opt: &mut dyn ParamOptimizer,
    schedule: Option<&NetSchedule>,
) -> NetTrajectory {
    run_with_teleports(task, steps, opt, schedule, &[])
}

/// [`run_with`] with extra teleports `(step, strategy)` applied by hand at
/// the listed steps, after the schedule's (the app's "Teleport here", a
/// unit's scale set on the scrubber).
pub fn run_with_teleports(
    task: &NetTask,
    steps: usize,
    opt: &mut dyn ParamOptimizer,
    schedule: Option<&NetSchedule>,
    manual: &[(usize, NetStrategy)],
) -> NetTrajectory {
    run_noisy(task, steps, opt, schedule, manual, NoiseStream::none())
}

/// [`run_with_teleports`] whose optimizer steps with `∇f + σξ`, one draw of
/// `noise` per parameter and step, in parameter order (which stream a run
/// draws from: [`crate::optim::noise`]). Teleports search on the true
/// gradient, and the records hold the true `f` and `‖∇f‖`. The silent
/// stream gives [`run_with_teleports`] bit for bit.
pub fn run_noisy(
    task: &NetTask,
    steps: usize,
    opt: &mut dyn ParamOptimizer,
    schedule: Option<&NetSchedule>,
    manual: &[(usize, NetStrategy)],
    mut noise: NoiseStream,
) -> NetTrajectory {
    let mut noisy = Vec::new();
    let mut ws = task.workspace();
    let mut params = task.init.clone();
    let mut grad = vec![0.0; params.len()];
    let mut out = NetTrajectory {
        records: Vec::with_capacity(steps + 1),
        stop: None,
    };
    let mut fit = task.fit_grad(&params, &mut ws, &mut grad);
    // Whether the optimizer teleported after its last step.
    let mut by_optimizer = false;
    for t in 0..=steps {
        let scheduled = schedule
            .filter(|s| t < steps && s.when.fires(t))
            .map(|s| &s.strategy);
        let by_hand = manual.iter().filter(|(step, _)| *step == t).map(|(_, s)| s);
        let mut teleported = std::mem::take(&mut by_optimizer);
        let mut failed = None;
        for strategy in scheduled.into_iter().chain(by_hand) {
            if !finite(&params, &grad, fit.f) {
                break;
            }
            match strategy.search(&task.mlp, &grad) {
                Ok(search) => {
                    rescale_in_place(&task.mlp, &mut params, &search.log_scales);
                    fit = task.fit_grad(&params, &mut ws, &mut grad);
                    teleported = true;
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
        let grad_norm = norm(&grad);
        if !(finite(&params, &grad, fit.f) && grad_norm.is_finite()) {
            out.stop = Some(Stop::Diverged { step: t });
            break;
        }
        out.records.push(NetRecord {
            t,
            f: fit.f,
            grad_norm,
            accuracy: fit.accuracy,
            teleported,
            params: params.clone(),
        });
        if t == steps {
            break;
        }
        if noise.is_silent() {
            opt.step(&mut params, &grad, fit.f);
        } else {
            noisy.clone_from(&grad);
            noise.perturb_slice(&mut noisy);
            opt.step(&mut params, &noisy, fit.f);
        }
        fit = task.fit_grad(&params, &mut ws, &mut grad);
        if finite(&params, &grad, fit.f) && opt.teleport_after_step(&task.mlp, &mut params, &grad) {
            fit = task.fit_grad(&params, &mut ws, &mut grad);
            by_optimizer = true;
        }
    }
    out
}

/// Teleports `params` in place by `strategy`; returns the log-scales used.
/// `f` is unchanged (to rounding) and, for the oracle, `‖∇f‖` does not fall.
pub fn teleport(
    task: &NetTask,
    params: &mut [f64],
    strategy: &NetStrategy,
) -> Result<Vec<f64>, TeleportError> {
    let mut ws = task.workspace();
    let mut grad = vec![0.0; params.len()];
    task.fit_grad(params, &mut ws, &mut grad);
    let search = strategy.search(&task.mlp, &grad)?;
    rescale_in_place(&task.mlp, params, &search.log_scales);
    Ok(search.log_scales)
}

fn finite(params: &[f64], grad: &[f64], f: f64) -> bool {
    f.is_finite() && params.iter().chain(grad).all(|v| v.is_finite())
}

/// The Euclidean norm.
pub fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}
