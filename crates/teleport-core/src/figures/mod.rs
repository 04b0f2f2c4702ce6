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
//! - Networks ([`net`], not in the paper): GD, Adam and the coordinate-wise
//!   L2O, each with and without teleports, on small classifiers
//!   (`net_loss.png`, `net_*.csv`, and `networks` in `claims.json`).
//!
//! Every learned model is trained from [`FiguresConfig::seeds`] seeds; the
//! figures draw the median over seeds of each seed's mean `f` (and, beside
//! it, of each seed's median `f`) with the
//! seeds' range as a band, and `claims.json` checks each comparison the
//! paper's text makes with a paired bootstrap over seeds and test tasks
//! ([`crate::claims`]), on the conditioned sampling and on the paper's raw
//! N(0, 1) draws, plus the distance-to-optimum meta-loss of its discussion.

mod draw;
pub mod net;
mod plan;
mod verdicts;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::eval::{AnyOptimizer, RunOutcome, StepStats};
use crate::l2o::MetaLoss;
use crate::objective::{Sampling, Task, TaskDist};
use crate::plot::Figure;

use draw::{comparison, figure1, figure2};
use plan::{ModelSpec, Trained, distance_specs, plan, test_tasks, train_spec};
pub use plan::{train, units};
pub use verdicts::{
    Claim, Diverged, NOT_RAISED_MARGIN, claims_json, claims_markdown, sampling_differences,
    summary_markdown,
};
use verdicts::{Entry, ExperimentOutcomes, claims, claims_json_with};

pub use net::{NetClaim, NetFiguresConfig, NetResults};

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
    /// The network experiment ([`net`]), or `None` to leave it out.
    pub net: Option<NetFiguresConfig>,
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
            net: Some(NetFiguresConfig::full()),
        }
    }

    /// A fast, smaller run that checks the pipeline (what `figures
    /// --quick` runs): 100 training trajectories, 50 test tasks, H = 32
    /// and 64, and the network experiment's [`NetFiguresConfig::quick`].
    pub fn quick(out: PathBuf) -> Self {
        Self {
            trajectories: 100,
            runs: 50,
            hidden: 32,
            hidden_momentum: 64,
            net: Some(NetFiguresConfig::quick()),
            ..Self::paper(out)
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
    /// A network optimizer's training could not start.
    #[error("cannot train a network optimizer: {0}")]
    NetTrain(#[source] crate::net::train::NetTrainError),
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

/// The name of a sampling in files: `conditioned` or `raw`.
pub fn sampling_name(sampling: Sampling) -> &'static str {
    match sampling {
        Sampling::Raw => "raw",
        Sampling::Conditioned { .. } => "conditioned",
    }
}

/// Runs the network experiment alone ([`net`], which `config.net` sets,
/// or [`NetFiguresConfig::full`]): writes its figure and CSV files into
/// `config.out` and `net_summary.md`, and returns what it found (which
/// [`run`] puts under `networks` in `claims.json`).
pub fn run_networks(
    config: &FiguresConfig,
    on_event: &mut dyn FnMut(Event),
) -> Result<NetResults, FiguresError> {
    std::fs::create_dir_all(&config.out).map_err(|source| FiguresError::Write {
        path: config.out.display().to_string(),
        source,
    })?;
    let w = Writer {
        dir: &config.out,
        formats: config.formats,
    };
    let net_config = config.net.clone().unwrap_or_else(NetFiguresConfig::full);
    let results = net::run(config, &net_config, &w, on_event)?;
    w.file("net_summary.md", net::markdown(&results).as_bytes())?;
    Ok(results)
}

/// Runs every experiment, writes the figures, `summary.md` and
/// `claims.json`; returns the summary rows and the claims.
pub fn run(
    config: &FiguresConfig,
    on_event: &mut dyn FnMut(Event),
) -> Result<(Vec<SummaryRow>, Vec<Claim>), FiguresError> {
    run_with_networks(config, on_event).map(|(summary, claims, _)| (summary, claims))
}

/// What [`run_with_networks`] returns: the summary rows, the claims, and
/// the network experiment's results (`None` when `config.net` leaves it
/// out).
pub type FiguresOutcome = (Vec<SummaryRow>, Vec<Claim>, Option<NetResults>);

/// [`run`], also returning what the network experiment found, so that a
/// caller can print its summary ([`net::markdown`]) without reading it
/// back from `summary.md`.
pub fn run_with_networks(
    config: &FiguresConfig,
    on_event: &mut dyn FnMut(Event),
) -> Result<FiguresOutcome, FiguresError> {
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

    let networks = match &config.net {
        Some(net_config) => Some(net::run(config, net_config, &w, on_event)?),
        None => None,
    };

    let json = claims_json_with(config, &claims, networks.as_ref());
    w.file("claims.json", json.as_bytes())?;
    let mut md = summary_markdown(&summary);
    md.push('\n');
    md.push_str(&claims_markdown(config, &claims));
    if let Some(n) = &networks {
        md.push('\n');
        md.push_str(&net::markdown(n));
    }
    w.file("summary.md", md.as_bytes())?;
    Ok((summary, claims, networks))
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
