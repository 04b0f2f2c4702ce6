//! `teleport-lab figures`: the paper's experiments, reproduced headless as
//! CSV and PNG (and SVG, with [`Formats::svg`]), with a Markdown summary of
//! the final-step statistics.
//!
//! - Figure 1: Proposition 4.1's vectors at a point of a convex quadratic.
//! - Figure 2: Algorithm 2's iterates and its angle θ_t.
//! - Figures 3–6: `l2o` vs `l2o-tele` (with GD and Adam) on `elli_fixed`,
//!   `elli_vary`, `ros_fixed`, `ros_vary`.
//! - Figure 7: GD vs `lr-tele` vs `lr-tele-momentum` on the ellipse and
//!   Rosenbrock families.
//!
//! Every learned model is trained from [`FiguresConfig::seeds`] seeds; the
//! figures draw the median over seeds of each seed's mean `f` (and, beside
//! it, of each seed's median `f`) with the
//! seeds' range as a band, and `claims.json` checks each comparison the
//! paper's text makes with a paired bootstrap over seeds and test tasks
//! ([`crate::claims`]), on the conditioned sampling and on the paper's raw
//! N(0, 1) draws, plus the distance-to-optimum meta-loss of its discussion.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::claims::{Cells, Resample, Verdict, log_ratio, paired_bootstrap};
use crate::contour::Grid;
use crate::eval::{AnyOptimizer, RunOutcome, StepStats, outcome_stats};
use crate::l2o::{Control, MetaLoss, MetaOptimizer, ModelConfig, TrainConfig, Trainer, Variant};
use crate::objective::{
    Mat2, Objective, Preset, Quadratic, Sampling, Task, TaskDist, Vec2, rotation,
};
use crate::optim::{OptimizerSpec, Trajectory, alg2};
use crate::plot::{Arrow, Band, Chart, Color, Figure, HLine, Line, Marker, Markers, PALETTE};
use crate::stats::quantile;
use crate::theory::decompose;

/// Settings of a reproduction run.
#[derive(Clone, Debug)]
pub struct FiguresConfig {
    /// Output folder (created if missing).
    pub out: PathBuf,
    /// Training trajectories per learned optimizer (paper: 500).
    pub trajectories: usize,
    /// Hidden size for Figures 3–6 (paper: 100).
    pub hidden: usize,
    /// Hidden size for Figure 7 (paper: 300).
    pub hidden_momentum: usize,
    /// Test tasks per evaluation (paper: 200).
    pub runs: usize,
    /// Steps per test run (paper: 12).
    pub steps: usize,
    /// Seed of training; test tasks use `seed + 1`. Seed `k` of
    /// [`Self::seeds`] trains from `seed + k`.
    pub seed: u64,
    /// Training seeds of every learned model (at least one).
    pub seeds: usize,
    /// Also run the varying-task experiments on the paper's raw N(0, 1)
    /// sampling (trained and tested on it), for the claims.
    pub raw: bool,
    /// λ of the `f+dist` meta-loss of the distance claims.
    pub dist_lambda: f64,
    /// Bootstrap replicates per claim.
    pub replicates: usize,
    /// Which image files each figure is written as (default: PNG only).
    pub formats: Formats,
    /// Threads running the experiments (at least one); the files are the
    /// same bit for bit whatever the count.
    pub threads: usize,
}

/// The image formats a figure is written in, each as `NAME.png` / `NAME.svg`
/// side by side. Both come from the same drawing ([`Figure::to_png`],
/// [`Figure::to_svg`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Formats {
    /// Write `NAME.png`.
    pub png: bool,
    /// Write `NAME.svg` (text kept as text).
    pub svg: bool,
}

impl Default for Formats {
    /// PNG only.
    fn default() -> Self {
        Formats {
            png: true,
            svg: false,
        }
    }
}

impl FiguresConfig {
    /// The paper's protocol, writing into `out`, with five training seeds.
    pub fn paper(out: PathBuf) -> Self {
        Self {
            out,
            trajectories: 500,
            hidden: 100,
            hidden_momentum: 300,
            runs: 200,
            steps: 12,
            seed: 0,
            seeds: 5,
            raw: true,
            dist_lambda: MetaLoss::DEFAULT_LAMBDA,
            replicates: crate::claims::REPLICATES,
            formats: Formats::default(),
            threads: 1,
        }
    }

    /// The seeds models are trained from.
    fn training_seeds(&self) -> Vec<u64> {
        (0..self.seeds.max(1) as u64)
            .map(|k| self.seed.wrapping_add(k))
            .collect()
    }
}

/// One optimizer's final-step statistics in one experiment, over every
/// seed and test task.
#[derive(Clone, Debug)]
pub struct SummaryRow {
    /// The experiment, e.g. `fig4_elli_vary`.
    pub figure: String,
    /// The optimizer's name.
    pub optimizer: String,
    /// Training seeds pooled (1 for a classical optimizer).
    pub seeds: usize,
    /// Statistics of `f` after the last step.
    pub last: StepStats,
}

/// Progress events, for a terminal progress bar.
#[derive(Clone, Debug)]
pub enum Event {
    /// A unit of work is starting.
    Start(String),
    /// A unit of work is done.
    Done,
}

/// Why figures could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum FiguresError {
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// A chart could not be drawn.
    #[error("cannot draw {figure}: {message}")]
    Plot {
        /// The figure.
        figure: String,
        /// Why.
        message: String,
    },
    /// Training could not start.
    #[error("cannot train: {0}")]
    Train(#[source] crate::l2o::TrainError),
}

struct Writer<'a> {
    dir: &'a Path,
    formats: Formats,
}

impl Writer<'_> {
    fn file(&self, name: &str, bytes: &[u8]) -> Result<(), FiguresError> {
        let path = self.dir.join(name);
        crate::io::write_atomic(&path, bytes).map_err(|source| FiguresError::Write {
            path: path.display().to_string(),
            source,
        })
    }

    fn figure(&self, name: &str, figure: &Figure) -> Result<(), FiguresError> {
        let plot_error = |e: crate::plot::PlotError| FiguresError::Plot {
            figure: name.to_owned(),
            message: e.to_string(),
        };
        if self.formats.png {
            let png = figure.to_png().map_err(plot_error)?;
            self.file(&format!("{name}.png"), &png)?;
        }
        if self.formats.svg {
            let svg = figure.to_svg().map_err(plot_error)?;
            self.file(&format!("{name}.svg"), svg.as_bytes())?;
        }
        Ok(())
    }
}

/// A learned model to train from every seed and test on its experiment's
/// tasks.
#[derive(Clone, Copy, Debug, PartialEq)]
struct ModelSpec {
    dist: TaskDist,
    sampling: Sampling,
    variant: Variant,
    hidden: usize,
    loss: MetaLoss,
}

impl ModelSpec {
    fn name(&self) -> String {
        match self.loss {
            MetaLoss::F => self.variant.label().to_owned(),
            other => format!("{} (loss {other})", self.variant.label()),
        }
    }
}

/// One of Figures 3–7's comparisons (or its raw-sampling twin).
#[derive(Clone, Debug)]
struct Experiment {
    name: String,
    figure: u8,
    dist: TaskDist,
    sampling: Sampling,
    momentum: bool,
}

impl Experiment {
    fn learned(&self, config: &FiguresConfig) -> Vec<ModelSpec> {
        let (variants, hidden) = if self.momentum {
            (
                [Variant::LrTele, Variant::LrTeleMomentum],
                config.hidden_momentum,
            )
        } else {
            ([Variant::L2o, Variant::L2oTele], config.hidden)
        };
        variants
            .into_iter()
            .map(|variant| ModelSpec {
                dist: self.dist,
                sampling: self.sampling,
                variant,
                hidden,
                loss: MetaLoss::F,
            })
            .collect()
    }

    fn classical(&self) -> Vec<AnyOptimizer> {
        if self.momentum {
            vec![gd_baseline(self.dist)]
        } else {
            baselines(self.dist)
        }
    }
}

/// The name of a sampling in files: `conditioned` or `raw`.
pub fn sampling_name(sampling: Sampling) -> &'static str {
    match sampling {
        Sampling::Raw => "raw",
        Sampling::Conditioned { .. } => "conditioned",
    }
}

fn experiments(config: &FiguresConfig) -> Vec<Experiment> {
    let conditioned = Sampling::default();
    let mut list = Vec::new();
    let base = [
        ("fig3_elli_fixed", 3, TaskDist::ElliFixed, false),
        ("fig4_elli_vary", 4, TaskDist::ElliVary, false),
        ("fig5_ros_fixed", 5, TaskDist::RosFixed, false),
        ("fig6_ros_vary", 6, TaskDist::RosVary, false),
        ("fig7_elli_vary", 7, TaskDist::ElliVary, true),
        ("fig7_ros_vary", 7, TaskDist::RosVary, true),
    ];
    for (name, figure, dist, momentum) in base {
        list.push(Experiment {
            name: name.to_owned(),
            figure,
            dist,
            sampling: conditioned,
            momentum,
        });
    }
    // The fixed tasks do not depend on the sampling (only x0 is drawn, the
    // same way under both), so only the varying ones run again.
    if config.raw {
        for (name, figure, dist, momentum) in base {
            if matches!(dist, TaskDist::ElliVary | TaskDist::RosVary) {
                list.push(Experiment {
                    name: format!("{name}_raw"),
                    figure,
                    dist,
                    sampling: Sampling::Raw,
                    momentum,
                });
            }
        }
    }
    list
}

/// The distance-loss twins of Figures 4 and 6's `L2O + teleport`.
fn distance_specs(config: &FiguresConfig) -> Vec<(u8, ModelSpec, ModelSpec)> {
    [(4, TaskDist::ElliVary), (6, TaskDist::RosVary)]
        .into_iter()
        .map(|(figure, dist)| {
            let f = ModelSpec {
                dist,
                sampling: Sampling::default(),
                variant: Variant::L2oTele,
                hidden: config.hidden,
                loss: MetaLoss::F,
            };
            let with_dist = ModelSpec {
                loss: MetaLoss::FPlusDist {
                    lambda: config.dist_lambda,
                },
                ..f
            };
            (figure, f, with_dist)
        })
        .collect()
}

/// The test tasks of a distribution under a sampling.
fn test_tasks(config: &FiguresConfig, dist: TaskDist, sampling: Sampling) -> Vec<Task> {
    dist.sample_many(config.seed.wrapping_add(1), config.runs, sampling)
}

/// A trained model and its runs on the test tasks.
struct Trained {
    model: Arc<MetaOptimizer<f32>>,
    runs: Vec<RunOutcome>,
}

/// The number of [`Event::Done`] events [`run`] emits for `config`.
pub fn units(config: &FiguresConfig) -> usize {
    let (specs, exps) = plan(config);
    2 + specs.len() * config.seeds.max(1) + exps.len() + 1
}

/// Every model to train (each once, however many experiments read it) and
/// every experiment.
fn plan(config: &FiguresConfig) -> (Vec<ModelSpec>, Vec<Experiment>) {
    let exps = experiments(config);
    let mut specs: Vec<ModelSpec> = Vec::new();
    let mut add = |s: ModelSpec| {
        if !specs.contains(&s) {
            specs.push(s);
        }
    };
    for e in &exps {
        e.learned(config).into_iter().for_each(&mut add);
    }
    for (_, f, d) in distance_specs(config) {
        add(f);
        add(d);
    }
    (specs, exps)
}

/// Runs every experiment, writes the figures, `summary.md` and
/// `claims.json`; returns the summary rows and the claims.
pub fn run(
    config: &FiguresConfig,
    on_event: &mut dyn FnMut(Event),
) -> Result<(Vec<SummaryRow>, Vec<Claim>), FiguresError> {
    std::fs::create_dir_all(&config.out).map_err(|source| FiguresError::Write {
        path: config.out.display().to_string(),
        source,
    })?;
    let w = Writer {
        dir: &config.out,
        formats: config.formats,
    };

    on_event(Event::Start("Figure 1: Proposition 4.1".into()));
    figure1(&w)?;
    on_event(Event::Done);
    on_event(Event::Start("Figure 2: Algorithm 2".into()));
    figure2(&w)?;
    on_event(Event::Done);

    // Every (model, seed) trains alone from its own seed and runs on its
    // experiment's test tasks: independent jobs, taken by `config.threads`
    // threads as they become free, with the same results as on one. The
    // costly ones (Figure 7's H = 300 models) go first so that the threads
    // finish together. Progress events come back through a channel to
    // `on_event`, on this thread.
    let (specs, exps) = plan(config);
    let seeds = config.training_seeds();
    let mut jobs: Vec<(usize, u64)> = (0..specs.len())
        .flat_map(|i| seeds.iter().map(move |&s| (i, s)))
        .collect();
    let cost = |spec: &ModelSpec| {
        let nets = spec.variant.outputs().len();
        nets * spec.hidden * spec.hidden
    };
    jobs.sort_by_key(|&(i, s)| (std::cmp::Reverse(cost(&specs[i])), i, s));
    let mut tasks: Vec<((TaskDist, Sampling), Vec<Task>)> = Vec::new();
    for spec in &specs {
        let key = (spec.dist, spec.sampling);
        if !tasks.iter().any(|(k, _)| *k == key) {
            tasks.push((key, test_tasks(config, spec.dist, spec.sampling)));
        }
    }
    let tasks_of = |dist: TaskDist, sampling: Sampling| -> &[Task] {
        tasks
            .iter()
            .find(|(k, _)| *k == (dist, sampling))
            .map_or(&[], |(_, t)| t.as_slice())
    };
    let (tx, rx) = std::sync::mpsc::channel::<Event>();
    let (jobs_ref, specs_ref, tasks_of_ref) = (&jobs, &specs, &tasks_of);
    let results: Vec<Result<Trained, FiguresError>> = std::thread::scope(|scope| {
        let worker = scope.spawn(move || {
            let job = |&(i, seed): &(usize, u64)| -> Result<Trained, FiguresError> {
                let spec = &specs_ref[i];
                let label = format!(
                    "{} on {} ({}), seed {seed}",
                    spec.name(),
                    spec.dist,
                    sampling_name(spec.sampling)
                );
                let _ = tx.send(Event::Start(label));
                let model = train_spec(config, spec, seed)?;
                let opt = AnyOptimizer::Learned {
                    name: spec.name(),
                    model: Arc::clone(&model),
                };
                let runs = tasks_of_ref(spec.dist, spec.sampling)
                    .iter()
                    .map(|t| RunOutcome::of(&opt, t, config.steps))
                    .collect();
                let _ = tx.send(Event::Done);
                Ok(Trained { model, runs })
            };
            crate::eval::map_pooled(jobs_ref, config.threads, job)
        });
        for event in &rx {
            on_event(event);
        }
        worker
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e))
    });
    // trained[spec][seed]
    let mut trained: Vec<Vec<Option<Trained>>> = specs
        .iter()
        .map(|_| seeds.iter().map(|_| None).collect())
        .collect();
    for (&(i, seed), result) in jobs.iter().zip(results) {
        let k = seeds.iter().position(|&s| s == seed).unwrap_or(0);
        trained[i][k] = Some(result?);
    }
    let trained_of = |spec: &ModelSpec| -> Vec<&Trained> {
        specs
            .iter()
            .position(|s| s == spec)
            .map(|i| trained[i].iter().flatten().collect())
            .unwrap_or_default()
    };

    let mut summary = Vec::new();
    let mut outcomes: Vec<ExperimentOutcomes> = Vec::new();
    for e in &exps {
        on_event(Event::Start(format!("{}: evaluating and drawing", e.name)));
        let test = tasks_of(e.dist, e.sampling);
        let mut entries: Vec<Entry> = Vec::new();
        for spec in e.learned(config) {
            entries.push(Entry::learned(spec.name(), &seeds, trained_of(&spec)));
        }
        for opt in e.classical() {
            let runs = test
                .iter()
                .map(|t| RunOutcome::of(&opt, t, config.steps))
                .collect();
            entries.push(Entry {
                name: opt.name().to_owned(),
                seeds: Vec::new(),
                runs: vec![runs],
                showcase: opt,
            });
        }
        // The paper's figures put the learned models first.
        if e.momentum {
            entries.rotate_right(1);
        }
        summary.extend(comparison(&w, config, e, &entries)?);
        outcomes.push(ExperimentOutcomes {
            figure: e.figure,
            name: e.name.clone(),
            dist: e.dist,
            sampling: e.sampling,
            optimizers: entries.iter().map(Entry::outcomes).collect(),
        });
        on_event(Event::Done);
    }

    on_event(Event::Start("claims: bootstrap".into()));
    let mut dist_csv = String::from(
        "dist,loss,seed,teleports,harmful,harmful_fraction,mean_f_last,median_f_last,diverged\n",
    );
    for (figure, f, d) in distance_specs(config) {
        let mut optimizers = Vec::new();
        for spec in [f, d] {
            let entry = Entry::learned(spec.name(), &seeds, trained_of(&spec));
            for (seed, runs) in entry.seeds.iter().zip(&entry.runs) {
                let teleports: usize = runs.iter().map(|r| r.teleports).sum();
                let harmful: usize = runs.iter().map(|r| r.harmful).sum();
                let last = crate::eval::step_stats(
                    config.steps,
                    runs.iter()
                        .map(RunOutcome::last)
                        .filter(|v| v.is_finite())
                        .collect(),
                    runs.len(),
                );
                let _ = writeln!(
                    dist_csv,
                    "{},{},{seed},{teleports},{harmful},{},{},{},{}",
                    spec.dist,
                    spec.loss,
                    harmful as f64 / teleports.max(1) as f64,
                    last.mean,
                    last.median,
                    last.diverged
                );
            }
            optimizers.push(entry.outcomes());
        }
        outcomes.push(ExperimentOutcomes {
            figure,
            name: format!("distance_{}", f.dist),
            dist: f.dist,
            sampling: f.sampling,
            optimizers,
        });
    }
    w.file("distance_loss.csv", dist_csv.as_bytes())?;
    let claims = claims(config, &outcomes);
    on_event(Event::Done);

    let json = claims_json(config, &claims);
    w.file("claims.json", json.as_bytes())?;
    let mut md = summary_markdown(&summary);
    md.push('\n');
    md.push_str(&claims_markdown(config, &claims));
    w.file("summary.md", md.as_bytes())?;
    Ok((summary, claims))
}

/// One optimizer of an experiment: its runs per seed (one row for a
/// classical optimizer) and the optimizer drawn in the trajectory panel
/// (the first seed's model).
struct Entry {
    name: String,
    seeds: Vec<u64>,
    runs: Vec<Vec<RunOutcome>>,
    showcase: AnyOptimizer,
}

impl Entry {
    /// A learned model's entry from its trained seeds.
    fn learned(name: String, seeds: &[u64], trained: Vec<&Trained>) -> Self {
        let showcase = trained.first().map_or_else(
            || gd_baseline(TaskDist::ElliFixed),
            |t| AnyOptimizer::Learned {
                name: name.clone(),
                model: Arc::clone(&t.model),
            },
        );
        Self {
            seeds: seeds.iter().copied().take(trained.len()).collect(),
            runs: trained.iter().map(|t| t.runs.clone()).collect(),
            name,
            showcase,
        }
    }

    fn is_learned(&self) -> bool {
        !self.seeds.is_empty()
    }

    /// The (seed, task) grids the claims read.
    fn outcomes(&self) -> OptimizerOutcomes {
        let grid = |value: &dyn Fn(&RunOutcome) -> f64| {
            Cells::new(
                self.runs
                    .iter()
                    .map(|runs| runs.iter().map(value).collect())
                    .collect(),
            )
        };
        OptimizerOutcomes {
            name: self.name.clone(),
            last: grid(&RunOutcome::last),
            harmful: grid(&|r| r.harmful as f64),
            teleports: grid(&|r| r.teleports as f64),
        }
    }
}

/// One optimizer's grids of (seed, test task) values.
struct OptimizerOutcomes {
    name: String,
    /// `f` at the last step (NaN: diverged).
    last: Option<Cells>,
    /// Harmful teleports per run.
    harmful: Option<Cells>,
    /// Judged teleports per run.
    teleports: Option<Cells>,
}

/// Every optimizer's grids in one experiment.
struct ExperimentOutcomes {
    figure: u8,
    name: String,
    dist: TaskDist,
    sampling: Sampling,
    optimizers: Vec<OptimizerOutcomes>,
}

impl ExperimentOutcomes {
    fn get(&self, name: &str) -> Option<&OptimizerOutcomes> {
        self.optimizers.iter().find(|o| o.name == name)
    }
}

/// One of the paper's statements, checked: a metric that is positive when
/// the statement is true, its estimate, a 95 % paired-bootstrap interval
/// and the verdict.
#[derive(Clone, Debug, Serialize)]
pub struct Claim {
    /// A stable name, e.g. `fig4-vanilla-beats-teleport-mean`; the raw
    /// sampling's twin ends in `-raw`.
    pub id: String,
    /// The paper's figure whose tasks the claim is checked on.
    pub figure: u8,
    /// The experiment (see the CSV files of the same name).
    pub experiment: String,
    /// How the tasks were drawn: `conditioned` (the default) or `raw`.
    pub sampling: &'static str,
    /// What the paper says, quoted.
    pub paper_says: &'static str,
    /// The metric, positive when the statement holds.
    pub metric: String,
    /// The metric on the data as observed (null when undefined).
    pub estimate: f64,
    /// Its 95 % interval, from a paired bootstrap over seeds and test tasks.
    pub ci95: [f64; 2],
    /// `holds` (interval above 0), `fails` (below) or `inconclusive`.
    pub verdict: Verdict,
    /// Diverged runs of each optimizer compared, out of `runs`.
    pub diverged: Vec<Diverged>,
    /// The claim with the same comparison in the other statistic (a mean's
    /// median, a median's mean).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counterpart: Option<String>,
}

/// Diverged runs of one optimizer in a claim.
#[derive(Clone, Debug, Serialize)]
pub struct Diverged {
    /// The optimizer.
    pub optimizer: String,
    /// Runs that diverged before the last step.
    pub diverged: usize,
    /// Runs in all (seeds × test tasks; test tasks for a classical one).
    pub runs: usize,
}

const VANILLA: &str = "vanilla L2O consistently outperforms the teleportation-augmented variant across both function families (Figures 3–6)";
const CLASSICAL: &str = "L2O optimizers can learn strategies beyond vanilla gradient descent and in some cases outperform classical optimizers (section 4)";
const MOMENTUM: &str = "learning momentum on top of local and symmetry updates improves the meta-learning optimizer (Figure 7)";
const MOMENTUM_GD: &str = "Figure 7 compares LSTM(lr, tele, momentum) with vanilla gradient descent (GD) as a baseline it improves on";
const DIST_HARM: &str = "future work could refine the cost function, e.g., incorporating distance to the optimum to mitigate harmful teleportation (section 6)";
const DIST_F: &str = "(issue 10 §4) the distance term mitigates harmful teleports without raising f at the last step";

/// The ratio a `f+dist` model's last-step `f` may exceed an `f` model's by
/// and still count as "not raised".
pub const NOT_RAISED_MARGIN: f64 = 1.1;

#[derive(Clone, Copy)]
enum Stat {
    Mean,
    Median,
    /// `ln(margin) + ln(mean worse / mean better)`.
    MeanWithin(f64),
    MedianWithin(f64),
    /// Harmful fraction of `worse` minus that of `better`.
    HarmfulFraction,
}

struct ClaimSpec<'a> {
    id: String,
    exp: &'a ExperimentOutcomes,
    paper_says: &'static str,
    metric: String,
    stat: Stat,
    /// The optimizer the paper says is worse (first in the ratio).
    worse: &'a OptimizerOutcomes,
    better: &'a OptimizerOutcomes,
    counterpart: Option<String>,
}

/// Adds the claims of one comparison, one per statistic: ids
/// `{stem}-{tag}` (`-raw` appended on the raw sampling); two statistics are
/// each other's counterpart.
#[allow(
    clippy::too_many_arguments,
    reason = "one call per comparison, all named at the call"
)]
fn add_claims<'a>(
    out: &mut Vec<ClaimSpec<'a>>,
    exp: &'a ExperimentOutcomes,
    stem: &str,
    paper_says: &'static str,
    worse: &str,
    better: &str,
    stats: Vec<(Stat, &str, String)>,
) {
    let (Some(w), Some(b)) = (exp.get(worse), exp.get(better)) else {
        return;
    };
    let suffix = if exp.sampling == Sampling::Raw {
        "-raw"
    } else {
        ""
    };
    let ids: Vec<String> = stats
        .iter()
        .map(|(_, tag, _)| {
            if tag.is_empty() {
                format!("{stem}{suffix}")
            } else {
                format!("{stem}-{tag}{suffix}")
            }
        })
        .collect();
    for (k, (stat, _, metric)) in stats.into_iter().enumerate() {
        let counterpart = if ids.len() == 2 {
            ids.get(1 - k).cloned()
        } else {
            None
        };
        out.push(ClaimSpec {
            id: ids[k].clone(),
            exp,
            paper_says,
            metric,
            stat,
            worse: w,
            better: b,
            counterpart,
        });
    }
}

fn claim_specs<'a>(config: &FiguresConfig, exps: &'a [ExperimentOutcomes]) -> Vec<ClaimSpec<'a>> {
    let t = config.steps;
    let mut out = Vec::new();
    let mean_note = ", diverged runs left out";
    let median_note = ", diverged runs counted as +inf";
    let both = |worse: &str, better: &str| {
        vec![
            (
                Stat::Mean,
                "mean",
                format!("log(mean f_{t} of {worse} / mean f_{t} of {better}){mean_note}"),
            ),
            (
                Stat::Median,
                "median",
                format!("log(median f_{t} of {worse} / median f_{t} of {better}){median_note}"),
            ),
        ]
    };
    let (l2o, tele) = (Variant::L2o.label(), Variant::L2oTele.label());
    let (lr, mom) = (Variant::LrTele.label(), Variant::LrTeleMomentum.label());
    let adam = OptimizerSpec::adam(0.3).label();
    for exp in exps.iter().filter(|e| !e.name.starts_with("distance_")) {
        let gd = gd_baseline(exp.dist).name().to_owned();
        let f = exp.figure;
        let o = &mut out;
        if f <= 6 {
            let stem = format!("fig{f}-vanilla-beats-teleport");
            add_claims(o, exp, &stem, VANILLA, tele, l2o, both(tele, l2o));
            let stem = format!("fig{f}-l2o-beats-gd");
            add_claims(o, exp, &stem, CLASSICAL, &gd, l2o, both(&gd, l2o));
            let stem = format!("fig{f}-l2o-beats-adam");
            add_claims(o, exp, &stem, CLASSICAL, &adam, l2o, both(&adam, l2o));
        } else {
            let stem = format!("fig7-{}-momentum-beats-lr-tele", exp.dist);
            add_claims(o, exp, &stem, MOMENTUM, lr, mom, both(lr, mom));
            let stem = format!("fig7-{}-momentum-beats-gd", exp.dist);
            add_claims(o, exp, &stem, MOMENTUM_GD, &gd, mom, both(&gd, mom));
        }
    }
    for exp in exps.iter().filter(|e| e.name.starts_with("distance_")) {
        let [f, d] = [0, 1].map(|k| exp.optimizers.get(k).map(|o| o.name.clone()));
        let (Some(f), Some(d)) = (f, d) else { continue };
        let dist = exp.dist;
        let m = NOT_RAISED_MARGIN;
        let metric = format!(
            "fraction of teleports that move x away from x*: {f} minus {d} (every step of every run)"
        );
        let stem = format!("dist-{dist}-fewer-harmful-teleports");
        let stats = vec![(Stat::HarmfulFraction, "", metric)];
        add_claims(&mut out, exp, &stem, DIST_HARM, &f, &d, stats);
        let stats = vec![
            (
                Stat::MeanWithin(m),
                "mean",
                format!(
                    "log({m} * mean f_{t} of {f} / mean f_{t} of {d}): positive when the second is below {m}x the first{mean_note}"
                ),
            ),
            (
                Stat::MedianWithin(m),
                "median",
                format!("log({m} * median f_{t} of {f} / median f_{t} of {d}){median_note}"),
            ),
        ];
        let stem = format!("dist-{dist}-f-not-raised");
        add_claims(&mut out, exp, &stem, DIST_F, &f, &d, stats);
    }
    out
}

/// Every claim, each from its own bootstrap stream (seeded by the run's
/// seed and the claim's id), on `config.threads` threads.
fn claims(config: &FiguresConfig, exps: &[ExperimentOutcomes]) -> Vec<Claim> {
    let specs = claim_specs(config, exps);
    crate::eval::map_pooled(&specs, config.threads, |spec| {
        let (w, b) = (spec.worse, spec.better);
        let grids = [
            &w.last,
            &b.last,
            &w.harmful,
            &b.harmful,
            &w.teleports,
            &b.teleports,
        ];
        let seeds = grids
            .iter()
            .flat_map(|g| g.as_ref().map(Cells::seeds))
            .max()
            .unwrap_or(0);
        let tasks = grids
            .iter()
            .flat_map(|g| g.as_ref().map(Cells::tasks))
            .min()
            .unwrap_or(0);
        let interval = match (&w.last, &b.last) {
            (Some(wl), Some(bl)) => {
                let seed = config.seed ^ crate::claims::id_seed(&spec.id);
                let statistic = |r: &Resample| match spec.stat {
                    Stat::Mean => log_ratio(r.mean(wl), r.mean(bl)),
                    Stat::Median => log_ratio(r.median(wl), r.median(bl)),
                    Stat::MeanWithin(m) => m.ln() + log_ratio(r.mean(wl), r.mean(bl)),
                    Stat::MedianWithin(m) => m.ln() + log_ratio(r.median(wl), r.median(bl)),
                    Stat::HarmfulFraction => {
                        match (&w.harmful, &w.teleports, &b.harmful, &b.teleports) {
                            (Some(wh), Some(wt), Some(bh), Some(bt)) => {
                                r.ratio_of_sums(wh, wt) - r.ratio_of_sums(bh, bt)
                            }
                            _ => f64::NAN,
                        }
                    }
                };
                paired_bootstrap(seeds, tasks, config.replicates, seed, statistic)
            }
            _ => crate::claims::Interval {
                estimate: f64::NAN,
                lo: f64::NAN,
                hi: f64::NAN,
            },
        };
        let diverged = [w, b]
            .iter()
            .map(|o| Diverged {
                optimizer: o.name.clone(),
                diverged: o.last.as_ref().map_or(0, Cells::diverged),
                runs: o.last.as_ref().map_or(0, |c| c.values().len()),
            })
            .collect();
        Claim {
            id: spec.id.clone(),
            figure: spec.exp.figure,
            experiment: spec.exp.name.clone(),
            sampling: sampling_name(spec.exp.sampling),
            paper_says: spec.paper_says,
            metric: spec.metric.clone(),
            estimate: interval.estimate,
            ci95: [interval.lo, interval.hi],
            verdict: interval.verdict(),
            diverged,
            counterpart: spec.counterpart.clone(),
        }
    })
}

/// The claims whose verdict differs between the conditioned sampling and
/// the raw one: `(conditioned claim, raw claim)`.
pub fn sampling_differences(claims: &[Claim]) -> Vec<(&Claim, &Claim)> {
    claims
        .iter()
        .filter(|c| c.sampling == "conditioned")
        .filter_map(|c| {
            let raw = claims.iter().find(|r| r.id == format!("{}-raw", c.id))?;
            (raw.verdict != c.verdict).then_some((c, raw))
        })
        .collect()
}

/// `claims.json`.
pub fn claims_json(config: &FiguresConfig, claims: &[Claim]) -> String {
    #[derive(Serialize)]
    struct Difference<'a> {
        claim: &'a str,
        conditioned: Verdict,
        raw: Verdict,
        conditioned_estimate: f64,
        raw_estimate: f64,
    }
    #[derive(Serialize)]
    struct Out<'a> {
        seeds: usize,
        test_tasks: usize,
        steps: usize,
        replicates: usize,
        bootstrap: &'static str,
        claims: &'a [Claim],
        sampling_differences: Vec<Difference<'a>>,
    }
    let out = Out {
        seeds: config.seeds.max(1),
        test_tasks: config.runs,
        steps: config.steps,
        replicates: config.replicates,
        bootstrap: "paired percentile bootstrap: each replicate draws the training seeds and the test tasks with replacement, independently, and evaluates both optimizers on the same (seed, task) cells; a classical optimizer's runs do not depend on the seed",
        claims,
        sampling_differences: sampling_differences(claims)
            .into_iter()
            .map(|(c, r)| Difference {
                claim: &c.id,
                conditioned: c.verdict,
                raw: r.verdict,
                conditioned_estimate: c.estimate,
                raw_estimate: r.estimate,
            })
            .collect(),
    };
    // Serializing plain structs of numbers and strings cannot fail; NaN
    // becomes null.
    let mut text = serde_json::to_string_pretty(&out).unwrap_or_default();
    text.push('\n');
    text
}

/// The claims as a Markdown table, and where the two samplings disagree.
pub fn claims_markdown(config: &FiguresConfig, claims: &[Claim]) -> String {
    let mut out = format!(
        "## Claims\n\n{} training seeds × {} test tasks, f after {} steps; 95 % intervals from a paired bootstrap over seeds and tasks ({} replicates). Positive supports the paper.\n\n| claim | metric | estimate | 95 % CI | verdict | diverged |\n|---|---|---:|---:|---|---|\n",
        config.seeds.max(1),
        config.runs,
        config.steps,
        config.replicates
    );
    let num = |v: f64| {
        if v.is_finite() {
            format!("{v:.2}")
        } else {
            "–".to_owned()
        }
    };
    for c in claims {
        let diverged: Vec<String> = c
            .diverged
            .iter()
            .filter(|d| d.diverged > 0)
            .map(|d| format!("{}: {}/{}", d.optimizer, d.diverged, d.runs))
            .collect();
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | [{}, {}] | **{}** | {} |",
            c.id,
            c.metric,
            num(c.estimate),
            num(c.ci95[0]),
            num(c.ci95[1]),
            c.verdict.name(),
            if diverged.is_empty() {
                "0".to_owned()
            } else {
                diverged.join(", ")
            }
        );
    }
    let diffs = sampling_differences(claims);
    out.push_str("\n### Raw N(0, 1) sampling vs the conditioned default\n\n");
    if diffs.is_empty() {
        out.push_str("Every claim run on both samplings has the same verdict on both.\n");
    } else {
        for (c, r) in diffs {
            let _ = writeln!(
                out,
                "- `{}`: {} conditioned ({}), {} raw ({})",
                c.id,
                c.verdict.name(),
                num(c.estimate),
                r.verdict.name(),
                num(r.estimate)
            );
        }
    }
    out
}

fn is_ellipse(dist: TaskDist) -> bool {
    matches!(dist, TaskDist::ElliFixed | TaskDist::ElliVary)
}

/// GD with the step size used throughout: 0.05 on ellipses, 1e−3 on
/// Rosenbrock tasks (the reference configuration's).
fn gd_baseline(dist: TaskDist) -> AnyOptimizer {
    let lr = if is_ellipse(dist) { 0.05 } else { 1e-3 };
    let spec = OptimizerSpec::Gd { lr };
    AnyOptimizer::Classical {
        name: spec.label(),
        spec,
        teleport: None,
    }
}

fn baselines(dist: TaskDist) -> Vec<AnyOptimizer> {
    let adam = OptimizerSpec::adam(0.3);
    vec![
        gd_baseline(dist),
        AnyOptimizer::Classical {
            name: adam.label(),
            spec: adam,
            teleport: None,
        },
    ]
}

/// Trains one learned optimizer in the paper's configuration.
pub fn train(
    config: &FiguresConfig,
    variant: Variant,
    hidden: usize,
    dist: TaskDist,
) -> Result<AnyOptimizer, FiguresError> {
    let spec = ModelSpec {
        dist,
        sampling: Sampling::default(),
        variant,
        hidden,
        loss: MetaLoss::F,
    };
    Ok(AnyOptimizer::Learned {
        name: variant.label().to_owned(),
        model: train_spec(config, &spec, config.seed)?,
    })
}

fn train_spec(
    config: &FiguresConfig,
    spec: &ModelSpec,
    seed: u64,
) -> Result<Arc<MetaOptimizer<f32>>, FiguresError> {
    let model = ModelConfig {
        hidden: spec.hidden,
        ..ModelConfig::paper(spec.variant)
    };
    let mut train = TrainConfig::paper(&model, spec.dist, seed);
    train.trajectories = config.trajectories;
    train.sampling = spec.sampling;
    train.loss = spec.loss;
    let mut trainer = Trainer::new(model, train).map_err(FiguresError::Train)?;
    trainer.run(|_, _| Control::Continue);
    Ok(Arc::new(trainer.into_model()))
}

/// The task drawn in a comparison's trajectory panel: the fixed task, or the
/// first test task, from the paper's plotted start point.
fn showcase_task(dist: TaskDist, seed: u64, sampling: Sampling) -> (Objective, Vec2) {
    let x0 = if is_ellipse(dist) {
        Preset::ElliFixed.default_x0()
    } else {
        Preset::RosFixed.default_x0()
    };
    let obj = dist
        .sample_many(seed, 1, sampling)
        .into_iter()
        .next()
        .map(|t| t.objective)
        .unwrap_or_else(|| Preset::ElliFixed.objective());
    (obj, x0)
}

/// The median and the range of a per-seed value at each step.
fn across_seeds(per_seed: &[Vec<f64>], steps: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut mid = Vec::new();
    let mut lo = Vec::new();
    let mut hi = Vec::new();
    for t in 0..=steps {
        let mut v: Vec<f64> = per_seed
            .iter()
            .filter_map(|s| s.get(t).copied())
            .filter(|v| v.is_finite())
            .collect();
        mid.push(quantile(&mut v, 0.5));
        lo.push(quantile(&mut v, 0.0));
        hi.push(quantile(&mut v, 1.0));
    }
    (mid, lo, hi)
}

fn comparison(
    w: &Writer<'_>,
    config: &FiguresConfig,
    exp: &Experiment,
    entries: &[Entry],
) -> Result<Vec<SummaryRow>, FiguresError> {
    let name = exp.name.as_str();
    let steps = config.steps;
    // Per optimizer, per seed: statistics over the test tasks.
    let stats: Vec<Vec<Vec<StepStats>>> = entries
        .iter()
        .map(|e| e.runs.iter().map(|r| outcome_stats(r, steps)).collect())
        .collect();

    let mut csv = String::from("optimizer,seed,t,mean,median,std,q25,q75,runs,diverged\n");
    for (e, per_seed) in entries.iter().zip(&stats) {
        for (k, s) in per_seed.iter().enumerate() {
            let seed = e.seeds.get(k).map_or(String::new(), u64::to_string);
            for st in s {
                let _ = writeln!(
                    csv,
                    "{},{seed},{},{},{},{},{},{},{},{}",
                    e.name, st.t, st.mean, st.median, st.std, st.q25, st.q75, st.runs, st.diverged
                );
            }
        }
    }
    w.file(&format!("{name}.csv"), csv.as_bytes())?;

    // Left: trajectories on the showcase task (the first seed's models);
    // right: f per step across seeds.
    let (obj, x0) = showcase_task(exp.dist, config.seed.wrapping_add(1), exp.sampling);
    let runs: Vec<Trajectory> = entries
        .iter()
        .map(|e| e.showcase.trajectory(&obj, x0, steps))
        .collect();
    let mut traj_csv = String::from("optimizer,t,x0,x1,f,teleported\n");
    for (e, r) in entries.iter().zip(&runs) {
        for rec in &r.records {
            let _ = writeln!(
                traj_csv,
                "{},{},{},{},{},{}",
                e.name, rec.t, rec.x[0], rec.x[1], rec.f, rec.teleported
            );
        }
    }
    w.file(&format!("{name}_trajectories.csv"), traj_csv.as_bytes())?;

    let seed_note = if entries.iter().any(Entry::is_learned) {
        format!(" (learned: seed {})", config.seed)
    } else {
        String::new()
    };
    let mut left = level_set_chart(
        &obj,
        &runs,
        &format!(
            "{name}: trajectories from x0 = ({}, {}){seed_note}",
            x0.x, x0.y
        ),
    );
    for (k, (e, r)) in entries.iter().zip(&runs).enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        let points = r.records.iter().map(|rec| rec.x).collect();
        left = left.push(Line::new(e.name.as_str(), points).color(color).width(2.0));
        let jumps: Vec<[f64; 2]> = r
            .records
            .iter()
            .filter(|rec| rec.teleported)
            .map(|rec| rec.x)
            .collect();
        if !jumps.is_empty() {
            let jumps = Markers::new("", jumps).color(color);
            left = left.push(jumps.shape(Marker::Diamond).size(7.0));
        }
    }
    let start = Markers::new("x0", vec![[x0.x, x0.y]]).color(Color::BLACK);
    left = left.push(start.shape(Marker::Cross).size(9.0));
    // Middle: the mean over the test tasks, as the paper plots it; right:
    // the median, which a few exploding runs cannot move. Each is a seed's
    // statistic; the line is the median over seeds, the band their range.
    let seeds = config.seeds.max(1);
    let panel = |stat: &str, pick: fn(&StepStats) -> f64| {
        let mut chart = Chart::new(
            format!(
                "{name}: {stat} f over {} test tasks; median of {seeds} seeds, band min–max",
                config.runs
            ),
            "step",
            "f(x_t)",
        )
        .log_y();
        for (k, (e, per_seed)) in entries.iter().zip(&stats).enumerate() {
            let color = PALETTE[k % PALETTE.len()];
            let x: Vec<f64> = (0..=steps).map(|t| t as f64).collect();
            let values: Vec<Vec<f64>> = per_seed
                .iter()
                .map(|s| s.iter().map(pick).collect())
                .collect();
            let (mid, lo, hi) = across_seeds(&values, steps);
            if per_seed.len() > 1 {
                chart = chart.push(Band::new("", x.clone(), lo, hi).color(color.with_alpha(40)));
            }
            let line = x.iter().zip(&mid).map(|(&t, &m)| [t, m]).collect();
            chart = chart.push(Line::new(e.name.as_str(), line).color(color).width(2.0));
        }
        chart
    };
    let mean = panel("mean", |st| st.mean);
    let median = panel("median", |st| st.median);
    w.figure(
        name,
        &Figure {
            width: 2100,
            height: 600,
            title: None,
            panels: vec![left, mean, median],
        },
    )?;
    Ok(entries
        .iter()
        .map(|e| {
            let last: Vec<f64> = e
                .runs
                .iter()
                .flatten()
                .map(RunOutcome::last)
                .filter(|v| v.is_finite())
                .collect();
            let total = e.runs.iter().map(Vec::len).sum();
            SummaryRow {
                figure: name.to_owned(),
                optimizer: e.name.clone(),
                seeds: e.runs.len(),
                last: crate::eval::step_stats(steps, last, total),
            }
        })
        .collect())
}

/// Contours of `f` around a set of trajectories.
fn level_set_chart(obj: &Objective, runs: &[Trajectory], title: &str) -> Chart {
    let mut min = [f64::INFINITY; 2];
    let mut max = [f64::NEG_INFINITY; 2];
    let mut include = |p: [f64; 2]| {
        for i in 0..2 {
            if p[i].is_finite() {
                min[i] = min[i].min(p[i]);
                max[i] = max[i].max(p[i]);
            }
        }
    };
    for r in runs {
        r.records.iter().for_each(|rec| include(rec.x));
    }
    let m = obj.minimizer();
    include([m.x, m.y]);
    let (min, max) = pad_bounds(min, max);
    let chart = contour_chart(title, "x", "y", obj, (min, max), 300);
    chart.push(Markers::new("minimum", vec![[m.x, m.y]]).color(Color::rgb(30, 30, 30)))
}

/// Widens a bounding box by 15 % and to at least 1 × 1, and caps it at ±1e4.
fn pad_bounds(min: [f64; 2], max: [f64; 2]) -> ([f64; 2], [f64; 2]) {
    let mut lo = [0.0; 2];
    let mut hi = [0.0; 2];
    for i in 0..2 {
        let (a, b) = if min[i].is_finite() && max[i].is_finite() {
            (min[i].max(-1e4), max[i].min(1e4))
        } else {
            (-1.0, 1.0)
        };
        let span = (b - a).max(1.0);
        let mid = 0.5 * (a + b);
        lo[i] = mid - 0.575 * span;
        hi[i] = mid + 0.575 * span;
    }
    (lo, hi)
}

/// An equal-aspect chart of the view `min`..`max` with the paper figures'
/// contours of `obj` on a `side` × `side` grid: 14 levels in a light slate,
/// made as the level-set plot makes its own ([`crate::plot::LevelSetPlot`]).
fn contour_chart(
    title: impl Into<String>,
    x_label: &str,
    y_label: &str,
    obj: &Objective,
    (min, max): ([f64; 2], [f64; 2]),
    side: usize,
) -> Chart {
    let mut chart = Chart::new(title, x_label, y_label)
        .equal_aspect()
        .x_range(min[0], max[0])
        .y_range(min[1], max[1]);
    let grid = Grid::of_objective(obj, min, max, side, side);
    let color = Color::rgb(170, 178, 196);
    chart
        .items
        .extend(crate::plot::contour_items(&grid, 14, color));
    chart
}

fn figure1(w: &Writer<'_>) -> Result<(), FiguresError> {
    // A rotated, elongated convex quadratic, as in the paper's Figure 1.
    let a = rotation(0.5) * Mat2::from_diagonal(&Vec2::new(0.5, 3.0)) * rotation(-0.5);
    let obj = match Quadratic::new(a) {
        Ok(q) => Objective::Quadratic(q),
        Err(e) => {
            return Err(FiguresError::Plot {
                figure: "fig1".into(),
                message: e.to_string(),
            });
        }
    };
    let p = Vec2::new(1.2, 0.9);
    let d = decompose(obj.grad(&p), obj.hessian(&p)).map_err(|e| FiguresError::Plot {
        figure: "fig1".into(),
        message: e.to_string(),
    })?;
    let mut csv = String::from("vector,x,y\n");
    for (name, v) in [
        ("point", p),
        ("v1 = -grad f", d.v1),
        ("v2 = -H^-1 grad f", d.v2),
        ("v_par", d.v_par),
        ("v_perp", d.v_perp),
        ("grad |grad f|^2", d.grad_of_grad_norm_sq),
    ] {
        let _ = writeln!(csv, "{name},{},{}", v.x, v.y);
    }
    let _ = writeln!(csv, "v_perp . grad |grad f|^2,{},", d.directional);
    w.file("fig1_proposition_4_1.csv", csv.as_bytes())?;

    // Scale −∇f down to the Newton step's length so both fit the picture.
    let scale = d.v2.norm() / d.v1.norm();
    let title = format!(
        "Proposition 4.1: v_perp · ∇‖∇f‖^2 = {:.3} ≥ 0",
        d.directional
    );
    let view = ([-2.0, -1.6], [2.0, 1.6]);
    let mut chart = contour_chart(title, "w1", "w2", &obj, view, 200);
    let from = [p.x, p.y];
    for (name, v, color) in [
        ("v1 = −∇f (scaled)", d.v1 * scale, PALETTE[0]),
        ("v2 = −H⁻¹∇f (Newton)", d.v2, PALETTE[1]),
        ("v_par", d.v_par, PALETTE[2]),
        ("v_perp", d.v_perp, PALETTE[3]),
    ] {
        let arrow = Arrow::new(name, from, [p.x + v.x, p.y + v.y]);
        chart = chart.push(arrow.color(color).width(2.5));
    }
    w.figure(
        "fig1_proposition_4_1",
        &Figure {
            width: 800,
            height: 650,
            title: None,
            panels: vec![chart],
        },
    )
}

fn figure2(w: &Writer<'_>) -> Result<(), FiguresError> {
    // f = xᵀAx with principal axes at 30°; Algorithm 2 from θ0 = 0.
    let a = rotation(std::f64::consts::FRAC_PI_6)
        * Mat2::from_diagonal(&Vec2::new(1.0, 4.0))
        * rotation(-std::f64::consts::FRAC_PI_6);
    let q = Quadratic::new(a).map_err(|e| FiguresError::Plot {
        figure: "fig2".into(),
        message: e.to_string(),
    })?;
    let obj = Objective::Quadratic(q.clone());
    let (lr, theta_lr, steps) = (0.05, 0.2, 25);
    let mut x = Vec2::new(2.0, -1.0);
    let mut theta = 0.0;
    let axis = alg2::principal_axis_angle(&a);
    let mut csv = String::from(
        "t,x0,x1,y0,y1,f,theta,theta_grad_autodiff,theta_grad_closed_form,angle_of_y,principal_axis\n",
    );
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    let mut thetas = Vec::new();
    let mut angles = Vec::new();
    for t in 0..steps {
        let step = alg2::step(&obj, &x, theta, lr, theta_lr);
        let closed = alg2::closed_form_theta_grad(&q, &x, theta, lr);
        let angle = step.y.y.atan2(step.y.x).rem_euclid(std::f64::consts::PI);
        let _ = writeln!(
            csv,
            "{t},{},{},{},{},{},{theta},{},{closed},{angle},{axis}",
            x.x,
            x.y,
            step.y.x,
            step.y.y,
            obj.f(&x),
            step.theta_grad
        );
        xs.push([x.x, x.y]);
        ys.push([step.y.x, step.y.y]);
        thetas.push([t as f64, theta]);
        angles.push([t as f64, angle]);
        x = step.x_next;
        theta = step.theta_next;
    }
    w.file("fig2_algorithm_2.csv", csv.as_bytes())?;

    let title = "Algorithm 2: x_t and y_t = g_θt(x_t)";
    let left = contour_chart(title, "x", "y", &obj, ([-2.6, -2.0], [2.6, 2.0]), 200);
    let (c, s) = (axis.cos(), axis.sin());
    let axis_color = Color::rgb(120, 120, 120);
    let axis_line = vec![[-3.0 * c, -3.0 * s], [3.0 * c, 3.0 * s]];
    let left = left
        .push(
            Line::new("principal axis (largest eigenvalue)", axis_line)
                .color(axis_color)
                .dashed(),
        )
        .push(Markers::new("x_t", xs).color(PALETTE[0]))
        .push(
            Markers::new("y_t (teleported)", ys)
                .color(PALETTE[1])
                .shape(Marker::Diamond)
                .size(6.0),
        );
    let right = Chart::new("θ_t and the direction of y_t", "step t", "radians")
        .push(Line::new("θ_t", thetas).color(PALETTE[2]).width(2.0))
        .push(
            Line::new("angle of y_t (mod π)", angles)
                .color(PALETTE[1])
                .width(2.0),
        )
        .push(
            HLine::new("principal axis", axis)
                .color(axis_color)
                .dashed(),
        );
    w.figure(
        "fig2_algorithm_2",
        &Figure {
            width: 1400,
            height: 600,
            title: None,
            panels: vec![left, right],
        },
    )
}

/// The summary as a Markdown table.
pub fn summary_markdown(rows: &[SummaryRow]) -> String {
    let mut out = String::from(
        "| experiment | optimizer | seeds | t | mean f | median f | q25 | q75 | diverged |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {:.3e} | {:.3e} | {:.3e} | {:.3e} | {} |",
            r.figure,
            r.optimizer,
            r.seeds,
            r.last.t,
            r.last.mean,
            r.last.median,
            r.last.q25,
            r.last.q75,
            r.last.diverged
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("figures-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// `--format svg` adds `NAME.svg` beside an unchanged `NAME.png`.
    #[test]
    fn svg_format_writes_beside_the_same_png() {
        let (png_only, both, svg_only) = (temp_dir("png"), temp_dir("both"), temp_dir("svg"));
        let formats = |png, svg| Formats { png, svg };
        for (dir, formats) in [
            (&png_only, Formats::default()),
            (&both, formats(true, true)),
            (&svg_only, formats(false, true)),
        ] {
            figure1(&Writer { dir, formats }).unwrap();
        }
        let name = "fig1_proposition_4_1";
        let png = std::fs::read(png_only.join(format!("{name}.png"))).unwrap();
        assert_eq!(
            std::fs::read(both.join(format!("{name}.png"))).unwrap(),
            png
        );
        assert!(!png_only.join(format!("{name}.svg")).exists());
        assert!(!svg_only.join(format!("{name}.png")).exists());
        let svg = std::fs::read_to_string(both.join(format!("{name}.svg"))).unwrap();
        assert_eq!(
            std::fs::read_to_string(svg_only.join(format!("{name}.svg"))).unwrap(),
            svg
        );
        assert!(svg.starts_with("<?xml") && svg.ends_with("</svg>\n"));
        assert!(
            svg.contains(">Proposition 4.1: v_perp · <"),
            "title as text"
        );
        assert!(svg.contains(">v_par</text>"), "legend as text");
        for dir in [png_only, both, svg_only] {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
