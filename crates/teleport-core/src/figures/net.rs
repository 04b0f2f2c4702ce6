//! The network experiment: does teleporting along the rescaling orbit
//! help first-order and learned optimizers train small networks?
//!
//! **What is measured.** On [`NetFiguresConfig::tasks`] test tasks drawn
//! from a network task distribution ([`NetTaskDist`]: a data kind, a data
//! seed, a noise level and an init seed each; 2-16-1 LeakyReLU networks
//! on 200 points by default), six optimizers run [`NetFiguresConfig::steps`]
//! full-batch steps from the task's initial parameters:
//!
//! - GD, and GD with the oracle teleport ([`NetStrategy::Oracle`], the
//!   steepest corner of the box `|s| ≤ S`) every `k` steps;
//! - Adam, and Adam with the same teleport;
//! - the coordinate-wise L2O (`cw-l2o`) and its teleporting variant
//!   (`cw-l2o-tele`, [`crate::net::learned`]), each meta-trained from
//!   every training seed ([`FiguresConfig::seeds`]) for the same horizon.
//!
//! GD's and Adam's step sizes are the grid values with the lowest mean
//! `f` after the horizon on held-out validation tasks
//! (never the test tasks); each teleporting variant keeps its optimizer's
//! step size, so that a comparison measures the teleport alone, and its
//! period `k` is tuned the same way. For each run the experiment records `f` after `N` steps, the
//! accuracy then, and the steps to reach `f ≤` [`NetFiguresConfig::target_loss`]
//! (`N + 1` when never reached). Each comparison (plain vs teleport, and
//! the learned optimizer vs Adam) is a claim with a paired bootstrap 95 %
//! interval over training seeds and test tasks ([`crate::claims`]), written
//! under `networks` in `claims.json`; `net_loss.png` draws the median `f`
//! per step with the interquartile band, and `net_steps.csv`,
//! `net_runs.csv` and `net_tuning.csv` hold the numbers. The paper reports
//! no network numbers: these are this tool's measurements, nothing to
//! reproduce.

use std::fmt::Write as _;
use std::sync::Arc;

use serde::Serialize;

use super::{Event, FiguresConfig, FiguresError, Writer};
use crate::claims::{Cells, Interval, Resample, Verdict, log_ratio, paired_bootstrap};
use crate::eval::{StepStats, step_stats};
use crate::net::learned::{CwConfig, CwOptimizer, CwVariant};
use crate::net::rescale::{DEFAULT_MAX_LOG_SCALE, NetStrategy};
use crate::net::run::{NetSchedule, NetTrajectory, run_with};
use crate::net::task::NetTask;
use crate::net::train::{NetTaskDist, NetTrainConfig, NetTrainer, VALIDATION_SEED};
use crate::optim::{OptimizerSpec, VecOptimizer, When};
use crate::plot::{Band, Chart, Figure, Line, PALETTE};

/// Settings of the network experiment.
#[derive(Clone, Debug, PartialEq)]
pub struct NetFiguresConfig {
    /// The task distribution, of training and test tasks alike.
    pub dist: NetTaskDist,
    /// Test tasks.
    pub tasks: usize,
    /// Validation tasks the classical settings are tuned on.
    pub validation_tasks: usize,
    /// `N`: steps per run, and the learned optimizers' training horizon.
    pub steps: usize,
    /// Training trajectories of each learned optimizer.
    pub trajectories: usize,
    /// The learned optimizers' LSTM hidden size.
    pub hidden: usize,
    /// The loss the steps-to-target metric waits for.
    pub target_loss: f64,
    /// `S`, the oracle's box (and the learned teleport's bound).
    pub max_log_scale: f64,
    /// GD step sizes tried.
    pub gd_lrs: Vec<f64>,
    /// Adam step sizes tried.
    pub adam_lrs: Vec<f64>,
    /// Teleport periods `k` tried.
    pub teleport_every: Vec<usize>,
}

impl NetFiguresConfig {
    /// The full experiment: 200 test tasks, 32 validation tasks, 100
    /// steps, the default meta-training ([`NetTrainConfig::new`]).
    pub fn full() -> Self {
        let train = NetTrainConfig::new(0);
        Self {
            dist: train.dist,
            tasks: 200,
            validation_tasks: 32,
            steps: train.steps,
            trajectories: train.trajectories,
            hidden: crate::net::learned::DEFAULT_HIDDEN,
            target_loss: 0.1,
            max_log_scale: DEFAULT_MAX_LOG_SCALE,
            gd_lrs: vec![0.25, 0.5, 1.0, 2.0, 4.0, 8.0],
            adam_lrs: vec![0.01, 0.02, 0.05, 0.1, 0.2, 0.4, 0.8],
            teleport_every: vec![10, 25, 50],
        }
    }

    /// A check of the pipeline in seconds: 50 test tasks of 50 steps, 8
    /// validation tasks, 20 training trajectories, smaller grids.
    pub fn quick() -> Self {
        Self {
            tasks: 50,
            validation_tasks: 8,
            steps: 50,
            trajectories: 20,
            gd_lrs: vec![1.0, 4.0],
            adam_lrs: vec![0.05, 0.2],
            teleport_every: vec![10, 25],
            ..Self::full()
        }
    }

    /// The meta-training of the learned optimizers from `seed`.
    pub fn train_config(&self, seed: u64) -> NetTrainConfig {
        let mut train = NetTrainConfig::new(seed);
        train.dist = self.dist.clone();
        train.trajectories = self.trajectories;
        train.steps = self.steps;
        train.unroll = train.unroll.min(self.steps.max(1));
        train
    }

    /// The learned optimizers' configuration.
    pub fn model_config(&self, variant: CwVariant) -> CwConfig {
        CwConfig {
            hidden: self.hidden,
            max_log_scale: self.max_log_scale,
            ..CwConfig::new(variant)
        }
    }
}

/// The six optimizers, in the order they are drawn and written.
const NAMES: [&str; 6] = [
    "GD",
    "GD + teleport",
    "Adam",
    "Adam + teleport",
    "CW-L2O",
    "CW-L2O + teleport",
];

/// A classical optimizer's setting chosen on the validation tasks.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Tuned {
    /// The optimizer, e.g. `GD + teleport`.
    pub optimizer: String,
    /// Its step size.
    pub lr: f64,
    /// Its teleport period `k` (teleports at `k, 2k, …`), if it teleports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub every: Option<usize>,
    /// The mean over the validation tasks of `f` after `N` steps (+∞,
    /// written null, when a run diverged).
    pub validation_mean_f: f64,
}

/// What the experiment keeps of one run.
#[derive(Clone, Debug, PartialEq)]
struct RunOutcome {
    /// `f` at `t = 0..=N`; NaN from the step where the run stopped.
    f: Vec<f64>,
    /// The accuracy after `N` steps (NaN if the run diverged).
    accuracy: f64,
    /// The first step with `f ≤ target` (`N + 1` if none).
    steps_to_target: f64,
    /// The learned teleport's steps `a_t` (the teleporting variant only).
    amounts: Vec<f64>,
}

/// A learned optimizer that notes the teleport step `a_t` of every step.
struct Noting {
    inner: CwOptimizer,
    amounts: Vec<f64>,
}

impl crate::net::run::ParamOptimizer for Noting {
    fn step(&mut self, params: &mut [f64], grad: &[f64], f: f64) {
        self.inner.step(params, grad, f);
        self.amounts.extend(self.inner.last_amount());
    }

    fn teleport_after_step(
        &mut self,
        mlp: &crate::net::mlp::Mlp,
        params: &mut [f64],
        grad: &[f64],
    ) -> bool {
        self.inner.teleport_after_step(mlp, params, grad)
    }
}

/// How a trained `cw-l2o-tele` uses its teleport, over the test tasks of
/// one training seed: the steps `a_t` it chose (`|a_t| < S`).
#[derive(Clone, Debug, Serialize)]
pub struct LearnedTeleports {
    /// The training seed.
    pub seed: u64,
    /// The mean of `a_t` over every step of every test task.
    pub mean: f64,
    /// The mean of `|a_t|`.
    pub mean_abs: f64,
    /// The fraction of steps with `a_t > 0` (towards a larger `‖∇f‖`).
    pub positive: f64,
    /// The largest `|a_t|`.
    pub largest_abs: f64,
}

impl RunOutcome {
    fn of(run: &NetTrajectory, steps: usize, target: f64) -> Self {
        let mut f: Vec<f64> = run.records.iter().map(|r| r.f).collect();
        f.resize(steps + 1, f64::NAN);
        let finished = run.stop.is_none() && run.records.len() == steps + 1;
        let accuracy = match run.records.last() {
            Some(r) if finished => r.accuracy,
            _ => f64::NAN,
        };
        let reached = run.records.iter().position(|r| r.f <= target);
        Self {
            f,
            accuracy,
            steps_to_target: reached.unwrap_or(steps + 1) as f64,
            amounts: Vec::new(),
        }
    }

    fn last(&self) -> f64 {
        self.f.last().copied().unwrap_or(f64::NAN)
    }
}

/// One optimizer's statistics after `N` steps over every seed and task.
#[derive(Clone, Debug, Serialize)]
pub struct NetSummaryRow {
    /// The optimizer.
    pub optimizer: String,
    /// Training seeds pooled (1 for a classical optimizer).
    pub seeds: usize,
    /// Runs (seeds × tasks).
    pub runs: usize,
    /// Statistics of `f` after `N` steps (finite runs).
    pub last: StepStats,
    /// The mean accuracy after `N` steps (finite runs).
    pub mean_accuracy: f64,
    /// The median steps to reach the target loss (`N + 1`: never).
    pub median_steps_to_target: f64,
    /// The fraction of runs that reached the target loss.
    pub reached_target: f64,
}

/// One comparison of the network experiment, checked with a paired
/// bootstrap: a metric positive when the statement holds.
#[derive(Clone, Debug, Serialize)]
pub struct NetClaim {
    /// A stable name, e.g. `net-gd-teleport-lowers-loss-mean`.
    pub id: String,
    /// What is claimed (this tool's question, not the paper's words: the
    /// paper has no network experiment).
    pub statement: String,
    /// The metric, positive when the statement holds.
    pub metric: String,
    /// The metric on the data as observed (null when undefined).
    pub estimate: f64,
    /// Its 95 % interval.
    pub ci95: [f64; 2],
    /// `holds` (interval above 0), `fails` (below) or `inconclusive`.
    pub verdict: Verdict,
    /// Diverged runs of each optimizer compared.
    pub diverged: Vec<super::Diverged>,
    /// The claim with the same comparison in the other statistic.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counterpart: Option<String>,
}

/// Everything the network experiment found.
#[derive(Clone, Debug, Serialize)]
pub struct NetResults {
    /// Training seeds.
    pub seeds: usize,
    /// Test tasks.
    pub test_tasks: usize,
    /// `N`.
    pub steps: usize,
    /// The target loss of the steps-to-target metric.
    pub target_loss: f64,
    /// The task distribution, in words.
    pub task_distribution: String,
    /// The classical optimizers' tuned settings.
    pub tuned: Vec<Tuned>,
    /// How each trained `cw-l2o-tele` uses its teleport.
    pub learned_teleports: Vec<LearnedTeleports>,
    /// Statistics after `N` steps.
    pub summary: Vec<NetSummaryRow>,
    /// The claims.
    pub claims: Vec<NetClaim>,
}

/// The [`Event::Done`] events the network experiment emits for `seeds`
/// training seeds.
pub fn units(seeds: usize) -> usize {
    // Tuning, each (variant, seed) job, each classical job, drawing, claims.
    1 + 2 * seeds.max(1) + 4 + 1 + 1
}

/// A classical contender: its update and its teleport schedule.
fn classical(
    spec: OptimizerSpec,
    every: Option<usize>,
    s: f64,
) -> (OptimizerSpec, Option<NetSchedule>) {
    let schedule = every.map(|k| NetSchedule {
        strategy: NetStrategy::Oracle { max_log_scale: s },
        when: When::Every(k),
    });
    (spec, schedule)
}

fn run_classical(
    task: &NetTask,
    steps: usize,
    spec: OptimizerSpec,
    schedule: Option<&NetSchedule>,
) -> NetTrajectory {
    match VecOptimizer::new(spec, task.mlp.num_params()) {
        Ok(mut opt) => run_with(task, steps, &mut opt, schedule),
        // The experiment only builds GD and Adam.
        Err(_) => NetTrajectory::default(),
    }
}

/// The mean of `f` after `N` steps over `tasks`, +∞ when a run diverged.
/// The arithmetic mean, not the median or a geometric mean: a step size
/// that drives most tasks to 1e−8 and blows a few up to `f` = 50 must not
/// win (both of those happen with teleports), and the median jumps from
/// one task to another as the step size moves.
fn mean_f(
    tasks: &[NetTask],
    steps: usize,
    spec: OptimizerSpec,
    schedule: Option<&NetSchedule>,
) -> f64 {
    let mut sum = 0.0;
    for t in tasks {
        let run = run_classical(t, steps, spec, schedule);
        let last = RunOutcome::of(&run, steps, f64::NAN).last();
        if !last.is_finite() {
            return f64::INFINITY;
        }
        sum += last;
    }
    sum / tasks.len().max(1) as f64
}

/// The first of `candidates` with the lowest score (NaN: never chosen).
fn best<T: Copy>(candidates: &[T], scores: &[f64]) -> Option<(T, f64)> {
    candidates
        .iter()
        .zip(scores)
        .fold(None, |best: Option<(T, f64)>, (&c, &v)| match best {
            _ if v.is_nan() => best,
            Some((_, b)) if v >= b => best,
            _ => Some((c, v)),
        })
}

/// Tunes the classical optimizers on `validation`: GD's and Adam's step
/// sizes (the lowest mean `f_N` over the grid, ties to the smaller step), then, with that same step size, each one's teleport
/// period `k` (ties to the longer period). The teleporting variant shares
/// the plain one's step size so that the comparison measures the teleport,
/// not a second draw of the tuning.
fn tune(net: &NetFiguresConfig, validation: &[NetTask], threads: usize) -> Vec<Tuned> {
    let s = net.max_log_scale;
    let steps = net.steps;
    let mut periods = net.teleport_every.clone();
    periods.sort_unstable_by(|a, b| b.cmp(a));
    let mut out = Vec::with_capacity(4);
    for (which, lrs) in [(0, &net.gd_lrs), (2, &net.adam_lrs)] {
        let spec = |lr: f64| {
            if which == 0 {
                OptimizerSpec::Gd { lr }
            } else {
                OptimizerSpec::adam(lr)
            }
        };
        let mut lrs = lrs.clone();
        lrs.sort_by(f64::total_cmp);
        let scores = crate::eval::map_pooled(&lrs, threads, |&lr| {
            mean_f(validation, steps, spec(lr), None)
        });
        let (lr, score) = best(&lrs, &scores).unwrap_or((f64::NAN, f64::NAN));
        out.push(Tuned {
            optimizer: NAMES[which].to_owned(),
            lr,
            every: None,
            validation_mean_f: score,
        });
        let scores = crate::eval::map_pooled(&periods, threads, |&k| {
            let (spec, schedule) = classical(spec(lr), Some(k), s);
            mean_f(validation, steps, spec, schedule.as_ref())
        });
        let (k, score) = match best(&periods, &scores) {
            Some((k, v)) => (Some(k), v),
            None => (None, f64::NAN),
        };
        out.push(Tuned {
            optimizer: NAMES[which + 1].to_owned(),
            lr,
            every: k,
            validation_mean_f: score,
        });
    }
    out
}

fn tuned_spec(which: usize, t: &Tuned) -> OptimizerSpec {
    if which < 2 {
        OptimizerSpec::Gd { lr: t.lr }
    } else {
        OptimizerSpec::adam(t.lr)
    }
}

/// A unit of the experiment's work: one learned optimizer trained from one
/// seed and run on every test task, or one classical optimizer run on
/// every test task.
#[derive(Clone, Copy, Debug)]
enum Job {
    Learned(CwVariant, u64),
    Classical(usize),
}

/// Runs the network experiment and writes its figure and CSV files.
pub(super) fn run(
    config: &FiguresConfig,
    net: &NetFiguresConfig,
    w: &Writer<'_>,
    on_event: &mut dyn FnMut(Event),
) -> Result<NetResults, FiguresError> {
    let threads = config.threads.max(1);
    let seeds = config.training_seeds();
    let steps = net.steps;
    let target = net.target_loss;

    on_event(Event::Start(
        "networks: tuning GD and Adam on validation tasks".into(),
    ));
    let validation = net.dist.sample_many(VALIDATION_SEED, net.validation_tasks);
    let tuned = tune(net, &validation, threads);
    let mut tuning_csv = String::from("optimizer,lr,every,validation_mean_f\n");
    for t in &tuned {
        let every = t.every.map_or(String::new(), |k| k.to_string());
        let _ = writeln!(
            tuning_csv,
            "{},{},{every},{}",
            t.optimizer, t.lr, t.validation_mean_f
        );
    }
    w.file("net_tuning.csv", tuning_csv.as_bytes())?;
    on_event(Event::Done);

    // The test tasks: a stream of their own, apart from the training
    // streams (each trainer draws from its seed) and the validation one.
    let test: Vec<NetTask> = net
        .dist
        .sample_many(config.seed.wrapping_add(1) ^ NET_TEST_STREAM, net.tasks);
    let mut jobs: Vec<Job> = CwVariant::ALL
        .iter()
        .flat_map(|&v| seeds.iter().map(move |&s| Job::Learned(v, s)))
        .collect();
    jobs.extend((0..4).map(Job::Classical));
    let (tx, rx) = std::sync::mpsc::channel::<Event>();
    let (jobs_ref, test_ref, tuned_ref) = (&jobs, &test, &tuned);
    let results: Vec<Result<Vec<RunOutcome>, FiguresError>> = std::thread::scope(|scope| {
        let worker = scope.spawn(move || {
            let job = |job: &Job| -> Result<Vec<RunOutcome>, FiguresError> {
                let label = match *job {
                    Job::Learned(v, s) => format!("networks: training {} from seed {s}", v.label()),
                    Job::Classical(i) => format!("networks: {}", NAMES[i]),
                };
                let _ = tx.send(Event::Start(label));
                let out = match *job {
                    Job::Learned(variant, seed) => {
                        let mut trainer =
                            NetTrainer::new(net.model_config(variant), net.train_config(seed))
                                .map_err(FiguresError::NetTrain)?;
                        trainer.run(|_, _| crate::l2o::Control::Continue);
                        let model = Arc::new(trainer.into_model());
                        test_ref
                            .iter()
                            .map(|t| {
                                let mut opt = Noting {
                                    inner: CwOptimizer::new(Arc::clone(&model), t.mlp.num_params()),
                                    amounts: Vec::new(),
                                };
                                let run = run_with(t, steps, &mut opt, None);
                                RunOutcome {
                                    amounts: opt.amounts,
                                    ..RunOutcome::of(&run, steps, target)
                                }
                            })
                            .collect()
                    }
                    Job::Classical(i) => {
                        let t = &tuned_ref[i];
                        let (spec, schedule) =
                            classical(tuned_spec(i, t), t.every, net.max_log_scale);
                        test_ref
                            .iter()
                            .map(|task| {
                                let run = run_classical(task, steps, spec, schedule.as_ref());
                                RunOutcome::of(&run, steps, target)
                            })
                            .collect()
                    }
                };
                let _ = tx.send(Event::Done);
                Ok(out)
            };
            crate::eval::map_pooled(jobs_ref, threads, job)
        });
        for event in &rx {
            on_event(event);
        }
        worker
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e))
    });
    // runs[optimizer][seed][task]
    let mut runs: Vec<Vec<Vec<RunOutcome>>> = vec![Vec::new(); 6];
    for (job, result) in jobs.iter().zip(results) {
        let outcomes = result?;
        let slot = match *job {
            Job::Learned(CwVariant::CwL2o, _) => 4,
            Job::Learned(CwVariant::CwL2oTele, _) => 5,
            Job::Classical(i) => i,
        };
        runs[slot].push(outcomes);
    }

    on_event(Event::Start("networks: drawing".into()));
    let summary = write_files(w, net, &seeds, &tuned, &runs)?;
    on_event(Event::Done);

    let learned_teleports: Vec<LearnedTeleports> = runs[5]
        .iter()
        .zip(&seeds)
        .map(|(per_task, &seed)| {
            let a: Vec<f64> = per_task
                .iter()
                .flat_map(|o| o.amounts.iter().copied())
                .collect();
            let n = a.len().max(1) as f64;
            LearnedTeleports {
                seed,
                mean: a.iter().sum::<f64>() / n,
                mean_abs: a.iter().map(|v| v.abs()).sum::<f64>() / n,
                positive: a.iter().filter(|&&v| v > 0.0).count() as f64 / n,
                largest_abs: a.iter().fold(0.0, |m, v| m.max(v.abs())),
            }
        })
        .collect();

    on_event(Event::Start("networks: bootstrap".into()));
    let claims = claims(config, net, &runs);
    on_event(Event::Done);
    Ok(NetResults {
        seeds: seeds.len(),
        test_tasks: test.len(),
        steps,
        target_loss: target,
        task_distribution: net.dist.describe(),
        tuned,
        learned_teleports,
        summary,
        claims,
    })
}

/// Separates the test tasks' stream from the training and validation ones.
const NET_TEST_STREAM: u64 = 0x6E65_7477_6F72_6B73;

/// The optimizer's name with its tuned setting, for legends.
fn legend(name: &str, tuned: Option<&Tuned>) -> String {
    match tuned {
        Some(Tuned {
            lr, every: Some(k), ..
        }) => format!("{name} (lr {lr}, every {k})"),
        Some(Tuned { lr, .. }) => format!("{name} (lr {lr})"),
        None => name.to_owned(),
    }
}

fn write_files(
    w: &Writer<'_>,
    net: &NetFiguresConfig,
    seeds: &[u64],
    tuned: &[Tuned],
    runs: &[Vec<Vec<RunOutcome>>],
) -> Result<Vec<NetSummaryRow>, FiguresError> {
    let steps = net.steps;
    let seed_of = |k: usize, learned: bool| {
        if learned {
            seeds.get(k).map_or(String::new(), u64::to_string)
        } else {
            String::new()
        }
    };
    let mut steps_csv = String::from("optimizer,seed,t,mean,median,q25,q75,runs,diverged\n");
    let mut runs_csv = String::from("optimizer,seed,task,f_last,accuracy,steps_to_target\n");
    for (i, per_seed) in runs.iter().enumerate() {
        let learned = i >= 4;
        for (k, outcomes) in per_seed.iter().enumerate() {
            let seed = seed_of(k, learned);
            for t in 0..=steps {
                let values: Vec<f64> = outcomes
                    .iter()
                    .map(|o| o.f[t])
                    .filter(|v| v.is_finite())
                    .collect();
                let st = step_stats(t, values, outcomes.len());
                let _ = writeln!(
                    steps_csv,
                    "{},{seed},{t},{},{},{},{},{},{}",
                    NAMES[i], st.mean, st.median, st.q25, st.q75, st.runs, st.diverged
                );
            }
            for (task, o) in outcomes.iter().enumerate() {
                let _ = writeln!(
                    runs_csv,
                    "{},{seed},{task},{},{},{}",
                    NAMES[i],
                    o.last(),
                    o.accuracy,
                    o.steps_to_target
                );
            }
        }
    }
    w.file("net_steps.csv", steps_csv.as_bytes())?;
    w.file("net_runs.csv", runs_csv.as_bytes())?;

    // Per optimizer and step, over every seed and task: the median and the
    // interquartile band, on finite runs.
    let pooled = |i: usize, t: usize| -> StepStats {
        let all: Vec<&RunOutcome> = runs[i].iter().flatten().collect();
        let values = all
            .iter()
            .map(|o| o.f[t])
            .filter(|v| v.is_finite())
            .collect();
        step_stats(t, values, all.len())
    };
    let x: Vec<f64> = (0..=steps).map(|t| t as f64).collect();
    let panel = |title: &str, which: [usize; 2]| {
        let mut chart = Chart::new(title, "step", "f (mean binary cross-entropy)").log_y();
        for (c, &i) in which.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            let stats: Vec<StepStats> = (0..=steps).map(|t| pooled(i, t)).collect();
            let lo = stats.iter().map(|s| s.q25).collect();
            let hi = stats.iter().map(|s| s.q75).collect();
            chart = chart.push(Band::new("", x.clone(), lo, hi).color(color.with_alpha(40)));
            let line = x.iter().zip(&stats).map(|(&t, s)| [t, s.median]).collect();
            let name = legend(NAMES[i], if i < 4 { tuned.get(i) } else { None });
            let line = Line::new(name, line)
                .color(color)
                .width(if c == 0 { 2.0 } else { 2.5 });
            chart = chart.push(line);
        }
        chart
    };
    let tasks = runs.first().and_then(|r| r.first()).map_or(0, Vec::len);
    let note = format!("median over {tasks} test tasks, band q25–q75");
    let learned_note = format!(
        "median over {} seeds × {tasks} test tasks, band q25–q75",
        seeds.len()
    );
    let figure = Figure {
        width: 2100,
        height: 600,
        title: Some(format!(
            "Networks ({}): oracle and learned teleports, f per step",
            net.dist.describe()
        )),
        panels: vec![
            panel(&format!("GD vs GD + oracle teleport; {note}"), [0, 1]),
            panel(&format!("Adam vs Adam + oracle teleport; {note}"), [2, 3]),
            panel(
                &format!("CW-L2O vs CW-L2O + learned teleport; {learned_note}"),
                [4, 5],
            ),
        ],
    };
    w.figure("net_loss", &figure)?;

    Ok((0..6)
        .map(|i| {
            let all: Vec<&RunOutcome> = runs[i].iter().flatten().collect();
            let last = all
                .iter()
                .map(|o| o.last())
                .filter(|v| v.is_finite())
                .collect();
            let acc: Vec<f64> = all
                .iter()
                .map(|o| o.accuracy)
                .filter(|v| v.is_finite())
                .collect();
            let mut to_target: Vec<f64> = all.iter().map(|o| o.steps_to_target).collect();
            let reached = to_target.iter().filter(|&&s| s <= steps as f64).count();
            NetSummaryRow {
                optimizer: legend(NAMES[i], if i < 4 { tuned.get(i) } else { None }),
                seeds: runs[i].len(),
                runs: all.len(),
                last: step_stats(steps, last, all.len()),
                mean_accuracy: acc.iter().sum::<f64>() / acc.len().max(1) as f64,
                median_steps_to_target: crate::stats::quantile(&mut to_target, 0.5),
                reached_target: reached as f64 / all.len().max(1) as f64,
            }
        })
        .collect())
}

/// A metric of a comparison, positive when the statement holds.
#[derive(Clone, Copy)]
enum Stat {
    /// `ln(mean f_N of base / mean f_N of other)`, diverged runs left out.
    LossMean,
    /// `ln(median f_N of base / median f_N of other)`, diverged runs +∞.
    LossMedian,
    /// mean accuracy of other − base, diverged runs left out.
    Accuracy,
    /// `ln(median steps of base / median steps of other)`.
    Steps,
}

fn claims(
    config: &FiguresConfig,
    net: &NetFiguresConfig,
    runs: &[Vec<Vec<RunOutcome>>],
) -> Vec<NetClaim> {
    let n = net.steps;
    let target = net.target_loss;
    let grid = |i: usize, value: fn(&RunOutcome) -> f64| {
        Cells::new(
            runs[i]
                .iter()
                .map(|per_task| per_task.iter().map(value).collect())
                .collect(),
        )
    };
    struct Spec {
        id: String,
        statement: String,
        metric: String,
        stat: Stat,
        base: usize,
        other: usize,
        counterpart: Option<String>,
    }
    let mut specs = Vec::new();
    let comparisons = [
        (
            "gd",
            0,
            1,
            "the oracle teleport (every k steps, k tuned) helps GD",
        ),
        (
            "adam",
            2,
            3,
            "the oracle teleport (every k steps, k tuned) helps Adam",
        ),
        (
            "l2o",
            4,
            5,
            "the learned teleport (cw-l2o-tele) helps the coordinate-wise L2O",
        ),
    ];
    for (stem, base, other, what) in comparisons {
        let (b, o) = (NAMES[base], NAMES[other]);
        let id = |tag: &str| format!("net-{stem}-teleport-{tag}");
        specs.push(Spec {
            id: id("lowers-loss-mean"),
            statement: format!("{what}: lower mean f after {n} steps"),
            metric: format!("log(mean f_{n} of {b} / mean f_{n} of {o}), diverged runs left out"),
            stat: Stat::LossMean,
            base,
            other,
            counterpart: Some(id("lowers-loss-median")),
        });
        specs.push(Spec {
            id: id("lowers-loss-median"),
            statement: format!("{what}: lower median f after {n} steps"),
            metric: format!(
                "log(median f_{n} of {b} / median f_{n} of {o}), diverged runs counted as +inf"
            ),
            stat: Stat::LossMedian,
            base,
            other,
            counterpart: Some(id("lowers-loss-mean")),
        });
        specs.push(Spec {
            id: id("raises-accuracy"),
            statement: format!("{what}: higher accuracy after {n} steps"),
            metric: format!(
                "mean accuracy after {n} steps of {o} minus that of {b}, diverged runs left out"
            ),
            stat: Stat::Accuracy,
            base,
            other,
            counterpart: None,
        });
        specs.push(Spec {
            id: id("reaches-target-sooner"),
            statement: format!("{what}: fewer steps to reach f <= {target}"),
            metric: format!(
                "log(median steps of {b} / median steps of {o}) to reach f <= {target}, never within {n} steps counted as {}",
                n + 1
            ),
            stat: Stat::Steps,
            base,
            other,
            counterpart: None,
        });
    }
    for (tag, stat, counterpart) in [
        ("mean", Stat::LossMean, "median"),
        ("median", Stat::LossMedian, "mean"),
    ] {
        let (b, o) = (NAMES[2], NAMES[4]);
        let metric = match stat {
            Stat::LossMean => {
                format!("log(mean f_{n} of {b} / mean f_{n} of {o}), diverged runs left out")
            }
            _ => format!(
                "log(median f_{n} of {b} / median f_{n} of {o}), diverged runs counted as +inf"
            ),
        };
        specs.push(Spec {
            id: format!("net-l2o-beats-adam-{tag}"),
            statement: format!(
                "the coordinate-wise L2O, meta-trained on the task distribution, reaches a lower {tag} f after {n} steps than Adam at its tuned step size"
            ),
            metric,
            stat,
            base: 2,
            other: 4,
            counterpart: Some(format!("net-l2o-beats-adam-{counterpart}")),
        });
    }
    let last = |o: &RunOutcome| o.last();
    let accuracy = |o: &RunOutcome| o.accuracy;
    let to_target = |o: &RunOutcome| o.steps_to_target;
    crate::eval::map_pooled(&specs, config.threads, |spec| {
        let (b, o) = (spec.base, spec.other);
        let interval =
            match (
                grid(b, last),
                grid(o, last),
                grid(b, accuracy),
                grid(o, accuracy),
                grid(b, to_target),
                grid(o, to_target),
            ) {
                (Some(bl), Some(ol), Some(ba), Some(oa), Some(bs), Some(os)) => {
                    let seeds = bl.seeds().max(ol.seeds());
                    let tasks = bl.tasks().min(ol.tasks());
                    let seed = config.seed ^ crate::claims::id_seed(&spec.id);
                    paired_bootstrap(seeds, tasks, config.replicates, seed, |r: &Resample| {
                        match spec.stat {
                            Stat::LossMean => log_ratio(r.mean(&bl), r.mean(&ol)),
                            Stat::LossMedian => log_ratio(r.median(&bl), r.median(&ol)),
                            Stat::Accuracy => r.mean(&oa) - r.mean(&ba),
                            Stat::Steps => log_ratio(r.median(&bs), r.median(&os)),
                        }
                    })
                }
                _ => Interval {
                    estimate: f64::NAN,
                    lo: f64::NAN,
                    hi: f64::NAN,
                },
            };
        let diverged = [b, o]
            .iter()
            .map(|&i| {
                let all: Vec<&RunOutcome> = runs[i].iter().flatten().collect();
                super::Diverged {
                    optimizer: NAMES[i].to_owned(),
                    diverged: all.iter().filter(|r| !r.last().is_finite()).count(),
                    runs: all.len(),
                }
            })
            .collect();
        NetClaim {
            id: spec.id.clone(),
            statement: spec.statement.clone(),
            metric: spec.metric.clone(),
            estimate: interval.estimate,
            ci95: [interval.lo, interval.hi],
            verdict: interval.verdict(),
            diverged,
            counterpart: spec.counterpart.clone(),
        }
    })
}

/// The network section of `summary.md`: the tuned settings, the
/// statistics after `N` steps and the claims.
pub fn markdown(results: &NetResults) -> String {
    let num = |v: f64| {
        if v.is_finite() {
            format!("{v:.2}")
        } else {
            "–".to_owned()
        }
    };
    let mut out = format!(
        "## Networks\n\n{} ({} test tasks, {} steps; learned optimizers: {} training seeds). Not in the paper: these are this tool's measurements.\n\n| optimizer | seeds | runs | median f_{n} | mean f_{n} | q25 | q75 | mean accuracy | median steps to f ≤ {} | reached | diverged |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        results.task_distribution,
        results.test_tasks,
        results.steps,
        results.seeds,
        results.target_loss,
        n = results.steps,
    );
    for r in &results.summary {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.3e} | {:.3e} | {:.3e} | {:.3e} | {:.3} | {} | {:.0} % | {} |",
            r.optimizer,
            r.seeds,
            r.runs,
            r.last.median,
            r.last.mean,
            r.last.q25,
            r.last.q75,
            r.mean_accuracy,
            r.median_steps_to_target,
            100.0 * r.reached_target,
            r.last.diverged
        );
    }
    out.push_str(
        "\nThe learned teleport's steps a_t (|a_t| < S) on the test tasks, per training seed:\n\n| seed | mean a_t | mean abs a_t | a_t > 0 | largest abs a_t |\n|---:|---:|---:|---:|---:|\n",
    );
    for l in &results.learned_teleports {
        let _ = writeln!(
            out,
            "| {} | {:.4} | {:.4} | {:.0} % | {:.4} |",
            l.seed,
            l.mean,
            l.mean_abs,
            100.0 * l.positive,
            l.largest_abs
        );
    }
    out.push_str("\n| claim | metric | estimate | 95 % CI | verdict |\n|---|---|---:|---:|---|\n");
    for c in &results.claims {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | [{}, {}] | **{}** |",
            c.id,
            c.metric,
            num(c.estimate),
            num(c.ci95[0]),
            num(c.ci95[1]),
            c.verdict.name()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny(out: std::path::PathBuf, threads: usize) -> FiguresConfig {
        let dist = NetTaskDist {
            points: 40,
            hidden: vec![4],
            ..NetTaskDist::default()
        };
        FiguresConfig {
            seeds: 2,
            replicates: 300,
            threads,
            net: Some(NetFiguresConfig {
                dist,
                tasks: 12,
                validation_tasks: 4,
                steps: 10,
                trajectories: 2,
                hidden: 6,
                gd_lrs: vec![0.5, 2.0],
                adam_lrs: vec![0.1],
                teleport_every: vec![5],
                ..NetFiguresConfig::full()
            }),
            ..FiguresConfig::paper(out)
        }
    }

    fn temp_dir(tag: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("net-figures-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn files(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
        let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let path = e.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read(&path).unwrap())
            })
            .collect();
        out.sort();
        out
    }

    /// The same files and results, bit for bit, on one thread and on three.
    #[test]
    fn the_network_experiment_does_not_depend_on_the_thread_count() {
        let (one, three) = (temp_dir("one"), temp_dir("three"));
        let mut done = 0;
        let a = super::super::run_networks(&tiny(one.clone(), 1), &mut |e| {
            done += usize::from(matches!(e, Event::Done));
        })
        .unwrap();
        assert_eq!(done, units(2), "the progress bar's length");
        let b = super::super::run_networks(&tiny(three.clone(), 3), &mut |_| {}).unwrap();
        let json = |r: &NetResults| serde_json::to_string(r).unwrap();
        assert_eq!(json(&a), json(&b));
        let (fa, fb) = (files(&one), files(&three));
        let names: Vec<&str> = fa.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "net_loss.png",
                "net_runs.csv",
                "net_steps.csv",
                "net_summary.md",
                "net_tuning.csv"
            ]
        );
        assert_eq!(fa, fb);
        for dir in [one, three] {
            let _ = std::fs::remove_dir_all(dir);
        }
    }

    /// The claims' schema, verdicts that follow their intervals, and one
    /// estimate recomputed from `net_runs.csv`.
    #[test]
    fn network_claims_follow_their_intervals_and_the_runs() {
        let dir = temp_dir("claims");
        let config = tiny(dir.clone(), 2);
        let results = super::super::run_networks(&config, &mut |_| {}).unwrap();
        let text = super::super::verdicts::claims_json_with(&config, &[], Some(&results));
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let net = &json["networks"];
        assert_eq!(net["seeds"], 2);
        assert_eq!(net["test_tasks"], 12);
        assert_eq!(net["steps"], 10);
        assert_eq!(net["tuned"].as_array().unwrap().len(), 4);
        assert_eq!(net["tuned"][1]["every"], 5);
        assert!(net["tuned"][0].get("every").is_none());
        let claims = net["claims"].as_array().unwrap();
        let ids: Vec<&str> = claims.iter().map(|c| c["id"].as_str().unwrap()).collect();
        let mut expected = Vec::new();
        for stem in ["gd", "adam", "l2o"] {
            for tag in [
                "lowers-loss-mean",
                "lowers-loss-median",
                "raises-accuracy",
                "reaches-target-sooner",
            ] {
                expected.push(format!("net-{stem}-teleport-{tag}"));
            }
        }
        expected.push("net-l2o-beats-adam-mean".into());
        expected.push("net-l2o-beats-adam-median".into());
        assert_eq!(ids, expected);
        for c in claims {
            let id = c["id"].as_str().unwrap();
            assert!(c["statement"].as_str().unwrap().len() > 20, "{id}");
            assert!(c["metric"].as_str().unwrap().len() > 20, "{id}");
            let ci = c["ci95"].as_array().unwrap();
            let verdict = c["verdict"].as_str().unwrap();
            match (ci[0].as_f64(), ci[1].as_f64()) {
                (Some(lo), Some(hi)) => {
                    assert!(lo <= hi, "{id}");
                    let want = if lo > 0.0 {
                        "holds"
                    } else if hi < 0.0 {
                        "fails"
                    } else {
                        "inconclusive"
                    };
                    assert_eq!(verdict, want, "{id}: [{lo}, {hi}]");
                }
                _ => assert_eq!(verdict, "inconclusive", "{id}"),
            }
            for d in c["diverged"].as_array().unwrap() {
                let runs = d["runs"].as_u64().unwrap();
                let learned = d["optimizer"].as_str().unwrap().starts_with("CW");
                assert_eq!(runs, if learned { 24 } else { 12 }, "{id}");
            }
            if let Some(other) = c["counterpart"].as_str() {
                let back = claims.iter().find(|o| o["id"] == other).unwrap();
                assert_eq!(back["counterpart"].as_str(), Some(id));
            }
        }
        // net-l2o-beats-adam-mean from the CSV: ln(mean f_N of Adam / mean
        // f_N of CW-L2O over both seeds).
        let csv = std::fs::read_to_string(dir.join("net_runs.csv")).unwrap();
        let mean_of = |name: &str| {
            let v: Vec<f64> = csv
                .lines()
                .skip(1)
                .map(|l| l.split(',').collect::<Vec<_>>())
                .filter(|r| r[0] == name)
                .map(|r| r[3].parse::<f64>().unwrap())
                .filter(|v| v.is_finite())
                .collect();
            v.iter().sum::<f64>() / v.len() as f64
        };
        let want = (mean_of("Adam") / mean_of("CW-L2O")).ln();
        let got = claims[12]["estimate"].as_f64().unwrap();
        assert!(
            (got - want).abs() <= 1e-9 * want.abs().max(1.0),
            "{got} vs {want}"
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
