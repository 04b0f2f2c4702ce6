//! The command line: `teleport-lab <command>`. Every command is a thin front
//! over the library; errors print one clear line and exit with status 2.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use teleport_core::io::scene::{trajectory_csv, trajectory_json};
use teleport_core::l2o::Variant;
use teleport_core::limits;
use teleport_core::objective::TaskDist;

/// teleport-lab: a lab for learning to optimize with parameter symmetries.
#[derive(Debug, Parser)]
#[command(name = "teleport-lab", version, about, long_about = None)]
pub struct Cli {
    /// What to do; without a command the desktop app opens.
    #[command(subcommand)]
    pub command: Option<Verb>,
    /// Open the app on this scene or lab file (JSON, as `eval` reads).
    #[arg(long)]
    pub scene: Option<PathBuf>,
    /// A scene or lab file to open (the same as `--scene FILE`).
    #[arg(value_name = "FILE", conflicts_with = "scene")]
    pub file: Option<PathBuf>,
    /// Render the app, save the window as PNG here and exit.
    #[arg(long)]
    pub screenshot: Option<PathBuf>,
    /// Ignore the saved app state.
    #[arg(long)]
    pub fresh: bool,
    /// Where the app keeps its session (default: the platform's data
    /// folder, on Linux ~/.local/share/teleport-lab).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Test hook: panic on the UI thread after this many frames.
    #[arg(long, hide = true)]
    pub inject_panic_after_frames: Option<u64>,
    /// Record the playback from step 0 to the last step as an animated
    /// GIF (`.gif`) or APNG (`.png`) here and exit. With `--plot-only` it is
    /// drawn without a window (no display needed); the whole window needs
    /// a display (`xvfb-run` on a headless machine).
    #[arg(long, value_name = "OUT")]
    pub animate: Option<PathBuf>,
    /// Frames per second of `--animate`.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(*limits::ANIMATION_FPS.start() as i64..=*limits::ANIMATION_FPS.end() as i64))]
    pub fps: u32,
    /// Frames each step stays on screen in `--animate`.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(*limits::FRAMES_PER_STEP.start() as i64..=*limits::FRAMES_PER_STEP.end() as i64))]
    pub frames_per_step: u32,
    /// `--animate` draws the level-set plot alone, without a window, at
    /// `--size` pixels (default 1200x900), instead of recording the whole
    /// window.
    #[arg(long)]
    pub plot_only: bool,
    /// The output's size in pixels, e.g. 1280x800: of `--animate`,
    /// `--export-plot`, `--export-surface` and `--screenshot` (the window
    /// is opened at it).
    #[arg(long, value_name = "WxH", value_parser = parse_size)]
    pub size: Option<[u32; 2]>,
    /// Write the level-set plot of FILE (or of the default task) as SVG
    /// (`.svg`, text kept as text) or PNG (`.png`) and exit, without a
    /// window. `--size` sets its pixels (default 1200x900).
    #[arg(long, value_name = "OUT")]
    pub export_plot: Option<PathBuf>,
    /// Present a folder of lab files (in name order; Page Down / Page Up).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["scene", "file"])]
    pub lesson: Option<PathBuf>,
    /// Write the 3D surface of FILE (or of the default task) as PNG
    /// (`.png`) or SVG (`.svg`, text kept as text) and exit, without a
    /// window: f over the plot's view with every visible run lifted onto
    /// it. `--size` sets its pixels (default 1200x900); `--azimuth`,
    /// `--elevation` and `--z-scale` its view.
    #[arg(long, value_name = "OUT", conflicts_with_all = ["export_plot", "animate"])]
    pub export_surface: Option<PathBuf>,
    /// `--animate` draws the 3D surface without a window: the playback
    /// lifted onto the surface (with `--orbit`, one turn of the camera).
    #[arg(long, requires = "animate")]
    pub surface: bool,
    /// `--animate OUT --surface --orbit`: one turn of the camera around the
    /// surface, 60 frames of 100 ms, instead of the playback.
    #[arg(long, requires = "surface")]
    pub orbit: bool,
    /// The surface's camera azimuth in degrees, counterclockwise from +x
    /// (default −60).
    #[arg(long, value_name = "DEG", allow_negative_numbers = true)]
    pub azimuth: Option<f64>,
    /// The surface's camera elevation in degrees above the horizontal,
    /// clamped to 5..89 (default 30).
    #[arg(long, value_name = "DEG", allow_negative_numbers = true)]
    pub elevation: Option<f64>,
    /// How the surface's height reads f: auto, linear or log (default auto:
    /// log₁₀ f when f spans more than two decades over the view).
    #[arg(long, value_name = "SCALE")]
    pub z_scale: Option<teleport_core::plot::surface::ZScale>,
}

/// Parses `WxH`, each side 64 to 8192 pixels.
fn parse_size(text: &str) -> Result<[u32; 2], String> {
    let (w, h) = text
        .split_once(['x', 'X', '×'])
        .ok_or_else(|| format!("'{text}' is not a size like 1280x800"))?;
    let side = |v: &str| -> Result<u32, String> {
        let n: u32 = v
            .trim()
            .parse()
            .map_err(|_| format!("'{text}' is not a size like 1280x800"))?;
        if (64..=8192).contains(&n) {
            Ok(n)
        } else {
            Err(format!("'{text}': each side must be 64 to 8192 pixels"))
        }
    };
    Ok([side(w)?, side(h)?])
}

/// The subcommands: `teleport-lab eval`, `train`, …
#[derive(Debug, Subcommand)]
pub enum Verb {
    /// Run a scene file and print its trajectory.
    Eval {
        /// The scene file (JSON).
        #[arg(long)]
        scene: PathBuf,
        /// The output format.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Meta-train a learned optimizer (Algorithm 1) and save its weights.
    Train(TrainArgs),
    /// Basin map: f after S steps of one row of a scene or lab file, run
    /// from every cell of a grid of start points.
    Basin(BasinArgs),
    /// Evaluate learned weights and classical baselines on seeded test tasks.
    Evaluate(EvaluateArgs),
    /// Sweep a classical row's learning rate: f after S steps at log-spaced
    /// rates (on the file's task, or the median across N start points), and
    /// the best rate (lowest f; diverged runs count as +∞; ties go to the
    /// smaller rate).
    Tune(TuneArgs),
    /// Reproduce the paper's Figures 1–7 as CSV and PNG, with a summary table.
    Figures {
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// A fast, smaller run (100 trajectories, 50 test tasks, H = 32/64) to check the pipeline.
        #[arg(long)]
        quick: bool,
        /// `svg` writes every figure as SVG (text kept as text) beside its PNG.
        #[arg(long, value_enum, default_value_t = FigureFormat::Png)]
        format: FigureFormat,
        /// Threads running Figures 3–7's experiments (default: every core);
        /// the files are the same whatever the count.
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=256))]
        threads: Option<u64>,
        /// Training seeds of every learned model: the figures show their
        /// spread and claims.json bootstraps over them.
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=100))]
        seeds: u64,
    },
    /// Retrain the pretrained weights shipped in assets/weights (deterministic).
    Pretrain {
        /// Output folder.
        #[arg(long, default_value = "assets/weights")]
        out: PathBuf,
        /// Threads training the eight models (default: every core); the
        /// weights are the same whatever the count.
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=256))]
        threads: Option<u64>,
    },
    /// Measure the speed of the core operations.
    Bench(crate::bench::report::BenchArgs),
}

/// `teleport-lab train`.
#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    /// Train the networks' coordinate-wise optimizer instead of a plane
    /// task's: cw-l2o or cw-l2o-tele, on the default network task
    /// distribution (moons, circles, XOR, Gaussians; 2-16-1 LeakyReLU), or
    /// on networks like the one of `--task NET.json`.
    #[arg(long, value_name = "VARIANT", conflicts_with_all = [
        "dist", "variant", "preprocess", "teleport_at", "max_lr", "skip_loss_above",
        "batch", "raw_sampling", "loss",
    ])]
    pub net_variant: Option<teleport_core::net::learned::CwVariant>,
    /// Task distribution: elli_fixed, elli_vary, ros_fixed, ros_vary, mixed.
    #[arg(long, default_value = "elli_vary")]
    pub dist: TaskDist,
    /// Variant: l2o, l2o-tele, lr-tele, lr-tele-momentum.
    #[arg(long, default_value = "l2o")]
    pub variant: Variant,
    /// R: training trajectories (default 500; 1000 with `--net-variant`).
    #[arg(long)]
    pub trajectories: Option<usize>,
    /// N: optimizee steps per trajectory (default 21; 100 with
    /// `--net-variant`).
    #[arg(long)]
    pub steps: Option<usize>,
    /// T: a meta-update every T steps (default 5; 20 with `--net-variant`).
    #[arg(long)]
    pub unroll: Option<usize>,
    /// LSTM hidden size (default 100; 20 with `--net-variant`).
    #[arg(long)]
    pub hidden: Option<usize>,
    /// Seed of the initial weights and the tasks.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Where to write the weights (safetensors).
    #[arg(long)]
    pub out: PathBuf,
    /// Adam learning rate(s), one per network (default: the paper's).
    #[arg(long, value_delimiter = ',')]
    pub meta_lr: Option<Vec<f64>>,
    /// Gradient preprocessing: raw or log-sign.
    #[arg(long, default_value = "raw")]
    pub preprocess: teleport_core::l2o::Preprocess,
    /// Teleport steps: `every` (each step), `every:K` or a list such as 2,5,8.
    #[arg(long, default_value = "every")]
    pub teleport_at: teleport_core::optim::When,
    /// Upper bound of learned learning rates (lr variants).
    #[arg(long, default_value_t = 1.0)]
    pub max_lr: f64,
    /// Clip each network's meta-gradient norm.
    #[arg(long)]
    pub clip: Option<f64>,
    /// Skip meta-updates whose unroll loss exceeds this.
    #[arg(long)]
    pub skip_loss_above: Option<f64>,
    /// Trajectories per meta-update (gradients averaged).
    #[arg(long, default_value_t = 1)]
    pub batch: usize,
    /// Draw tasks as the paper does, without rejecting ill-conditioned ones.
    #[arg(long)]
    pub raw_sampling: bool,
    /// Train on this one task instead of the distribution: the objective
    /// and x₀ of a scene or lab file (a custom h included).
    #[arg(long, value_name = "FILE", conflicts_with = "raw_sampling")]
    pub task: Option<PathBuf>,
    /// The per-step cost of the meta-loss: `f` (the paper's), `dist`
    /// (‖x − x*‖², x* the minimizer) or `f+dist[:λ]` (f + λ‖x − x*‖², λ = 1
    /// by default).
    #[arg(long, default_value = "f")]
    pub loss: teleport_core::l2o::MetaLoss,
}

/// `teleport-lab basin`.
#[derive(Debug, clap::Args)]
pub struct BasinArgs {
    /// A version-1 scene or a lab file; its task and row K run from every start.
    #[arg(long)]
    pub scene: PathBuf,
    /// Which row of a lab file, counted from 0 in the file's order, hidden
    /// rows (`"shown": false`) included (a version-1 scene has one, row 0).
    #[arg(long, default_value_t = 0)]
    pub row: usize,
    /// Cells per side of the grid of start points (1 to 1024).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=teleport_core::limits::BASIN_GRID_MAX as u64))]
    pub grid: u64,
    /// Steps of every run.
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=100_000))]
    pub steps: u64,
    /// `csv`: columns `x0,x1,f` (f after the steps; `inf` where the run
    /// diverged, `NaN` where it failed), one row per start, x0 varying
    /// fastest; `png`: the map shaded by log10 f (needs `--out`).
    #[arg(long, value_enum, default_value_t = BasinFormat::Csv)]
    pub format: BasinFormat,
    /// The rectangle of start points, `xmin,xmax,ymin,ymax` (default: the
    /// lab file's saved view, else the view the app fits around x₀, the
    /// minimum and the row's run).
    #[arg(long, allow_hyphen_values = true)]
    pub bounds: Option<String>,
    /// Where to write (atomically); CSV goes to standard output without it.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The PNG's size, `WxH` (default 900x800).
    #[arg(long, value_parser = parse_size)]
    pub size: Option<[u32; 2]>,
    /// Also find each start's first step with f ≤ EPS: the CSV gains a
    /// column `first_step` (empty where the run never got there within the
    /// steps) and the PNG is shaded by it instead of by log10 f.
    #[arg(long, value_parser = parse_eps, allow_hyphen_values = true, conflicts_with = "by_minimum")]
    pub eps: Option<f64>,
    /// Which minimum each start's run ends at (a task with listed minima: a
    /// test function of the gallery): the CSV gains a column `minimum` (the
    /// minimum's index in the gallery's list, empty for none) and the PNG is
    /// coloured by it.
    #[arg(long)]
    pub by_minimum: bool,
}

/// `--eps`: a finite threshold above 0.
fn parse_eps(text: &str) -> Result<f64, String> {
    let eps: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    if eps.is_finite() && eps > 0.0 {
        Ok(eps)
    } else {
        Err(format!("{text}: needs a finite number above 0"))
    }
}

/// Output formats of `basin`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BasinFormat {
    /// `x0,x1,f`, a row per start.
    Csv,
    /// A shaded image of log10 f.
    Png,
}

/// `teleport-lab evaluate`.
#[derive(Debug, clap::Args)]
pub struct EvaluateArgs {
    /// Learned weights (safetensors); repeatable.
    #[arg(long)]
    pub weights: Vec<PathBuf>,
    /// Task distribution of the test tasks.
    #[arg(long, default_value = "elli_vary")]
    pub dist: TaskDist,
    /// Test runs (tasks).
    #[arg(long, default_value_t = 200)]
    pub runs: usize,
    /// Steps per run.
    #[arg(long, default_value_t = 12)]
    pub steps: usize,
    /// Seed of the test tasks.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// A classical baseline such as gd:lr=0.05 or adam:lr=0.3; repeatable.
    #[arg(long)]
    pub baseline: Vec<String>,
    /// Output format: statistics of f over the runs, per optimizer and step
    /// (t = 0 is x₀).
    #[arg(long, value_enum, default_value_t = StatsFormat::Json)]
    pub format: StatsFormat,
    /// Threads running the test tasks (default: every core); the numbers
    /// are the same whatever the count.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=256))]
    pub threads: Option<u64>,
    /// Gradient noise for every optimizer, `SIGMA[,SEED]` (seed 0 by
    /// default): each step sees ∇f + N(0, σ²I); test task i draws from
    /// rng(SEED ^ mix(i)), the same for every optimizer.
    #[arg(long, value_name = "SIGMA[,SEED]", allow_hyphen_values = true)]
    pub noise: Option<String>,
}

/// `teleport-lab tune`.
#[derive(Debug, clap::Args)]
pub struct TuneArgs {
    /// A version-1 scene or a lab file; its task and row K are swept.
    #[arg(long)]
    pub scene: PathBuf,
    /// Which row of a lab file, counted from 0 in the file's order, hidden
    /// rows included (a version-1 scene has one, row 0). It must be
    /// classical: a learned row's step sizes come from its network.
    #[arg(long, default_value_t = 0)]
    pub row: usize,
    /// Run every rate on N tasks — the file's objective from N seeded start
    /// points x₀ ~ N(0, I), as the app's across-tasks plot on a fixed task —
    /// and compare the median f (1 to 100000). Without it, the file's task
    /// and x₀.
    #[arg(long, value_name = "N")]
    pub across: Option<u64>,
    /// The seed of the start points of `--across` (the app's is 1).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Steps of every run (default: the file's `steps`).
    #[arg(long)]
    pub steps: Option<u64>,
    /// The rates, `LO,HI,COUNT`: COUNT log-spaced rates from LO to HI
    /// (0 < LO < HI ≤ 1e6, COUNT 1 to 10000). Default by the row's kind:
    /// 1e-4,1,24 for GD, momentum and Algorithm 2; 1e-4,10,24 for Adam;
    /// 1e-2,2,24 for Newton's damping.
    #[arg(long, value_name = "LO,HI,COUNT", allow_hyphen_values = true)]
    pub rates: Option<String>,
    /// `csv`: `lr,f,q25,q75,diverged,best`, a line per rate (f is the
    /// median over the tasks of f after the steps, `inf` where it diverged;
    /// best is 1 on the best rate's line). `json`: `{"row", "kind", "steps",
    /// "tasks", "noise"?, "rates": [{"lr", "f", "q25", "q75", "diverged"}],
    /// "best": {"lr", "f"} or null}` (a diverged f is null).
    #[arg(long, value_enum, default_value_t = TuneFormat::Csv)]
    pub format: TuneFormat,
    /// Threads running the sweep (default: every core); the numbers are
    /// the same whatever the count.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=256))]
    pub threads: Option<u64>,
}

/// Output formats of `tune`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TuneFormat {
    /// A line per rate.
    Csv,
    /// One JSON document.
    Json,
}

/// Every core this process may use.
fn all_cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// Output formats of `figures`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FigureFormat {
    /// PNG only.
    Png,
    /// SVG beside every PNG.
    Svg,
}

/// Output formats of `eval`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// `{"trajectory": [...]}`; a lab file gives `{"runs": [{"name", "trajectory"}, ...]}`.
    Json,
    /// `t,x0,x1,f,grad0,grad1,teleported,theta`; a lab file adds a leading `name`.
    Csv,
}

/// Output formats of `evaluate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StatsFormat {
    /// `{"optimizers": [{"name", "steps": [{"t", "mean", "median", "std", "q25", "q75", "runs", "diverged"}, ...]}, ...]}`;
    /// a step at which runs teleported adds `"teleport_efficiency": {"mean", "median", "q25", "q75", "n"}` and `"harmful_teleports"` (the fraction that moved away from x*),
    /// η = ‖∇f(g_θ x)‖ / ‖∇f(g_θ* x)‖ over those runs (the oracle scores exactly 1).
    Json,
    /// `optimizer,t,mean,median,std,q25,q75,runs,diverged`, a row per optimizer and step.
    Csv,
}

/// A failure to report: a message for standard error and an exit status.
#[derive(Debug)]
pub struct Failure {
    /// One line for the user.
    pub message: String,
    /// The process exit status.
    pub code: u8,
}

impl Failure {
    /// A bad-input failure (status 2).
    pub fn input(message: impl std::fmt::Display) -> Self {
        Self {
            message: message.to_string(),
            code: 2,
        }
    }
}

/// Parses the arguments and runs; the binary's entry point.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with status 0, usage errors exit 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("error: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        None if cli.export_plot.is_some() => {
            let out = cli.export_plot.unwrap_or_default();
            export_plot(cli.scene.or(cli.file), &out, cli.size)
        }
        None if cli.export_surface.is_some() => {
            let view = SurfaceView::of(&cli)?;
            let out = cli.export_surface.unwrap_or_default();
            export_surface(cli.scene.or(cli.file), &out, cli.size, view)
        }
        None if cli.animate.is_some() && cli.surface => {
            let view = SurfaceView::of(&cli)?;
            let out = cli.animate.unwrap_or_default();
            let settings = crate::app::animation::AnimationSettings {
                plot_only: true,
                fps: cli.fps,
                frames_per_step: cli.frames_per_step,
                ..Default::default()
            };
            let file = cli.scene.or(cli.file);
            animate_surface(file, &out, settings, cli.size, view, cli.orbit)
        }
        None if cli.animate.is_some() && cli.plot_only => {
            let out = cli.animate.unwrap_or_default();
            let settings = crate::app::animation::AnimationSettings {
                plot_only: true,
                fps: cli.fps,
                frames_per_step: cli.frames_per_step,
                ..Default::default()
            };
            animate_plot(cli.scene.or(cli.file), &out, settings, cli.size)
        }
        None => {
            // A folder given as FILE is a lesson.
            let file = cli.scene.or(cli.file);
            let (scene, lesson) = match (file, cli.lesson) {
                (Some(f), _) if f.is_dir() => (None, Some(f)),
                (f, lesson) => (f, lesson),
            };
            let animate = cli.animate.map(|path| {
                (
                    path,
                    crate::app::animation::AnimationSettings {
                        plot_only: cli.plot_only,
                        fps: cli.fps,
                        frames_per_step: cli.frames_per_step,
                        ..Default::default()
                    },
                )
            });
            open_app(AppArgs {
                scene,
                screenshot: cli.screenshot,
                fresh: cli.fresh,
                data_dir: cli.data_dir,
                panic_after: cli.inject_panic_after_frames,
                animate,
                size: cli.size,
                lesson,
            })
        }
        Some(Verb::Eval { scene, format }) => {
            use teleport_core::io::lab::{self, AnyScene};
            let text = match lab::load(&scene).map_err(Failure::input)? {
                // A version-1 scene prints exactly what it always printed.
                AnyScene::V1(loaded) => {
                    let traj = loaded.run();
                    match format {
                        Format::Json => trajectory_json(&traj),
                        Format::Csv => trajectory_csv(&traj),
                    }
                }
                AnyScene::V2(loaded) => {
                    let runs = loaded.run();
                    match format {
                        Format::Json => lab::runs_json(&runs),
                        Format::Csv => lab::runs_csv(&runs),
                    }
                }
                // A network: the data set and every row's records.
                AnyScene::Net(loaded) => {
                    let eval = loaded.eval_threads(teleport_core::plot::all_cores());
                    match format {
                        Format::Json => eval.to_json(),
                        Format::Csv => eval.to_csv(),
                    }
                }
            };
            emit(&text)
        }
        Some(Verb::Train(args)) => train(args),
        Some(Verb::Basin(args)) => basin(args),
        Some(Verb::Pretrain { out, threads }) => {
            pretrain(&out, threads.map_or_else(all_cores, |t| t as usize))
        }
        Some(Verb::Figures {
            out,
            quick,
            format,
            threads,
            seeds,
        }) => figures(
            out,
            quick,
            format,
            threads.map_or_else(all_cores, |t| t as usize),
            seeds as usize,
        ),
        Some(Verb::Evaluate(args)) => evaluate(args),
        Some(Verb::Tune(args)) => tune(args),
        Some(Verb::Bench(args)) => crate::bench::report::run(&args).map_err(|e| match e {
            crate::bench::report::BenchError::Input(message) => Failure::input(message),
            crate::bench::report::BenchError::Failed(message) => Failure { message, code: 1 },
        }),
    }
}

fn train(args: TrainArgs) -> Result<(), Failure> {
    use teleport_core::l2o::{Control, TrainSetup, Trainer};
    if let Some(variant) = args.net_variant {
        return train_net(&args, variant);
    }
    let (mut model, mut config) = TrainSetup {
        variant: args.variant,
        hidden: args.hidden.unwrap_or(100),
        preprocess: args.preprocess,
        dist: args.dist,
        seed: args.seed,
        trajectories: args.trajectories.unwrap_or(500),
        steps: args.steps.unwrap_or(21),
        unroll: args.unroll.unwrap_or(5),
    }
    .configs();
    model.teleport = args.teleport_at.clone();
    model.max_lr = args.max_lr;
    config.batch = args.batch;
    config.clip = args.clip;
    config.skip_loss_above = args.skip_loss_above;
    if let Some(lr) = args.meta_lr {
        config.meta_lr = lr;
    }
    if args.raw_sampling {
        config.sampling = teleport_core::objective::Sampling::Raw;
    }
    config.loss = args.loss;
    let mut trainer = Trainer::new(model, config.clone()).map_err(Failure::input)?;
    if let Some(path) = &args.task {
        let task = task_of(path)?;
        if args.loss.needs_minimizer()
            && let Err(e) = task.objective.try_minimizer()
        {
            return Err(Failure::input(format!(
                "--loss {}: the minimizer of --task {} cannot be found: {e}",
                args.loss,
                path.display()
            )));
        }
        trainer = trainer.with_task(task);
    }
    create_out_folder(&args.out)?;
    let bar = progress_bar(config.trajectories as u64);
    let start = std::time::Instant::now();
    trainer.run(|p, _| {
        bar.set_position(p.trajectories_done as u64);
        if p.last_loss.is_finite() {
            bar.set_message(format!("loss {:.4}", p.last_loss));
        }
        Control::Continue
    });
    bar.finish_and_clear();
    let secs = start.elapsed().as_secs_f64();
    let p = trainer.progress().clone();
    let info = teleport_core::io::weights::WeightsInfo {
        train: Some(config),
        trajectories_trained: p.trajectories_done,
    };
    teleport_core::io::weights::save(&args.out, trainer.model(), &info).map_err(Failure::input)?;
    let tail = p.loss_history.len().saturating_sub(50);
    let recent: Vec<f64> = p.loss_history[tail..]
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    let recent_mean = recent.iter().sum::<f64>() / recent.len().max(1) as f64;
    println!(
        "trained {} on {} (loss {}): {} trajectories, {} meta-updates ({} skipped non-finite, {} skipped large), mean loss of the last {} trajectories {:.4}, {:.2} s → {}",
        args.variant,
        args.dist,
        args.loss,
        p.trajectories_done,
        p.meta_updates,
        p.skipped_nonfinite,
        p.skipped_explode,
        recent.len(),
        recent_mean,
        secs,
        args.out.display()
    );
    Ok(())
}

/// Fails before training, not after, if the output cannot be written: it
/// must be a regular file (or a link to one) or not exist yet; its folder
/// is created when missing.
fn create_out_folder(out: &std::path::Path) -> Result<(), Failure> {
    let out_error = |e: std::io::Error| Failure::input(format!("--out {}: {e}", out.display()));
    let target = teleport_core::io::check_replaceable(out).map_err(out_error)?;
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(out_error)?;
    }
    Ok(())
}

/// `train --net-variant`: meta-trains a coordinate-wise optimizer for
/// networks and writes its weights ([`teleport_core::io::net_weights`]).
fn train_net(
    args: &TrainArgs,
    variant: teleport_core::net::learned::CwVariant,
) -> Result<(), Failure> {
    use teleport_core::l2o::Control;
    use teleport_core::net::learned::CwConfig;
    use teleport_core::net::train::{NetTrainConfig, NetTrainer};
    let mut config = NetTrainConfig::new(args.seed);
    if let Some(path) = &args.task {
        config.dist = net_dist_of(path)?;
    }
    config.trajectories = args.trajectories.unwrap_or(config.trajectories);
    config.steps = args.steps.unwrap_or(config.steps);
    config.unroll = args
        .unroll
        .unwrap_or(config.unroll.min(config.steps.max(1)));
    if let Some(lr) = &args.meta_lr {
        match lr[..] {
            [lr] => config.meta_lr = lr,
            _ => {
                return Err(Failure::input(format!(
                    "--meta-lr: the networks' optimizer has one network, so one rate; got {}",
                    lr.len()
                )));
            }
        }
    }
    if args.clip.is_some() {
        config.clip = args.clip;
    }
    let mut model = CwConfig::new(variant);
    model.hidden = args.hidden.unwrap_or(model.hidden);
    let mut trainer = NetTrainer::new(model, config.clone()).map_err(Failure::input)?;
    create_out_folder(&args.out)?;
    let bar = progress_bar(config.trajectories as u64);
    let start = std::time::Instant::now();
    trainer.run(|p, _| {
        bar.set_position(p.trajectories_done as u64);
        if p.last_loss.is_finite() {
            bar.set_message(format!("loss {:.4}", p.last_loss));
        }
        Control::Continue
    });
    bar.finish_and_clear();
    let secs = start.elapsed().as_secs_f64();
    let p = trainer.progress().clone();
    teleport_core::io::net_weights::save(&args.out, trainer.model(), &trainer.weights_info())
        .map_err(Failure::input)?;
    let tail = p.loss_history.len().saturating_sub(50);
    let recent: Vec<f64> = p.loss_history[tail..]
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    let recent_mean = recent.iter().sum::<f64>() / recent.len().max(1) as f64;
    println!(
        "trained {variant} on {}: {} trajectories, {} meta-updates ({} skipped non-finite), mean loss of the last {} trajectories {:.4}, {:.2} s → {}",
        config.dist.describe(),
        p.trajectories_done,
        p.meta_updates,
        p.skipped_nonfinite,
        recent.len(),
        recent_mean,
        secs,
        args.out.display()
    );
    Ok(())
}

/// `train --net-variant V --task NET.json`: networks like the file's —
/// its layers, activation and number of points, with data of its kind
/// (noise and seeds drawn). A CSV data set gives the default kinds.
fn net_dist_of(path: &std::path::Path) -> Result<teleport_core::net::train::NetTaskDist, Failure> {
    use teleport_core::io::lab::AnyScene;
    use teleport_core::net::data::DatasetSpec;
    use teleport_core::net::task::NetObjectiveSpec;
    let bad = |e: String| Failure::input(format!("--task {}: {e}", path.display()));
    let lab = match teleport_core::io::lab::load(path).map_err(|e| bad(e.to_string()))? {
        AnyScene::Net(lab) => lab,
        AnyScene::V1(_) | AnyScene::V2(_) => {
            return Err(bad(
                "a task of the plane trains a plane optimizer: drop --net-variant".to_owned(),
            ));
        }
    };
    let NetObjectiveSpec::Mlp(spec) = &lab.lab.objective;
    let mut dist = teleport_core::net::train::NetTaskDist {
        hidden: spec.hidden.clone(),
        activation: spec.activation,
        slope: match spec.activation {
            teleport_core::net::mlp::ActivationName::Relu => None,
            teleport_core::net::mlp::ActivationName::LeakyRelu => Some(
                spec.slope
                    .unwrap_or(teleport_core::net::task::DEFAULT_SLOPE),
            ),
        },
        ..Default::default()
    };
    if let DatasetSpec::Generated { kind, settings } = &spec.dataset {
        dist.kinds = vec![*kind];
        dist.points = settings.points;
    }
    dist.validate().map_err(|e| bad(e.to_string()))?;
    Ok(dist)
}

/// A progress bar on a terminal; hidden when stderr is not one.
fn progress_bar(len: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} trajectories, ETA {eta} {msg}",
    ) {
        bar.set_style(style);
    }
    bar
}

fn evaluate(args: EvaluateArgs) -> Result<(), Failure> {
    use teleport_core::eval::{AnyOptimizer, StepStats, evaluate_noisy};
    let threads = args.threads.map_or_else(all_cores, |t| t as usize);
    let noise = args
        .noise
        .as_deref()
        .map(teleport_core::optim::GradNoise::parse)
        .transpose()
        .map_err(|e| Failure::input(format!("--noise {e}")))?;
    if args.steps > 100_000 || args.runs > 1_000_000 {
        return Err(Failure::input(
            "--steps must be ≤ 100000 and --runs ≤ 1000000",
        ));
    }
    let mut optimizers = Vec::new();
    for path in &args.weights {
        let (model, _) = teleport_core::io::weights::load(path)
            .map_err(|e| Failure::input(format!("--weights {}: {e}", path.display())))?;
        optimizers.push(AnyOptimizer::Learned {
            name: model.variant().name().to_owned(),
            model: std::sync::Arc::new(model),
        });
    }
    for b in &args.baseline {
        optimizers.push(AnyOptimizer::parse_baseline(b).map_err(Failure::input)?);
    }
    if optimizers.is_empty() {
        return Err(Failure::input("give at least one --weights or --baseline"));
    }
    let tasks = args
        .dist
        .sample_many(args.seed, args.runs, Default::default());
    #[derive(serde::Serialize)]
    struct Entry<'a> {
        name: &'a str,
        steps: Vec<StepStats>,
    }
    let entries: Vec<Entry<'_>> = optimizers
        .iter()
        .map(|o| Entry {
            name: o.name(),
            steps: evaluate_noisy(o, noise.as_ref(), &tasks, args.steps, threads),
        })
        .collect();
    match args.format {
        StatsFormat::Json => {
            #[derive(serde::Serialize)]
            struct Out<'a> {
                #[serde(skip_serializing_if = "Option::is_none")]
                noise: Option<teleport_core::optim::GradNoise>,
                optimizers: &'a [Entry<'a>],
            }
            let text = serde_json::to_string_pretty(&Out {
                noise,
                optimizers: &entries,
            })
            .map_err(|e| Failure::input(format!("cannot encode results: {e}")))?;
            emit(&text)
        }
        StatsFormat::Csv => {
            let mut text = String::from("optimizer,t,mean,median,std,q25,q75,runs,diverged\n");
            for e in &entries {
                for s in &e.steps {
                    text.push_str(&format!(
                        "{},{},{},{},{},{},{},{},{}\n",
                        e.name, s.t, s.mean, s.median, s.std, s.q25, s.q75, s.runs, s.diverged
                    ));
                }
            }
            emit(&text)
        }
    }
}

/// The most optimizee steps one `tune` command may take (rates × tasks ×
/// steps), as `basin` allows.
const TUNE_MAX_WORK: u64 = BASIN_MAX_WORK;

/// `teleport-lab tune`: a learning-rate sweep of one classical row.
fn tune(args: TuneArgs) -> Result<(), Failure> {
    use teleport_core::eval::AnyOptimizer;
    use teleport_core::objective::{Task, Vec2};
    use teleport_core::tune::{RateRange, sweep, tasks_from_starts};
    let path = &args.scene;
    let row = file_row(
        path,
        args.row,
        "tune sweeps rows of 2D tasks; a network lab file's rows are not swept",
    )?;
    let spec = match &row.opt {
        AnyOptimizer::Classical { spec, .. } => *spec,
        AnyOptimizer::Learned { name, .. } => {
            return Err(Failure::input(format!(
                "--row {}: `{name}` is a learned optimizer: its step sizes come from its network; tune sweeps a classical row's learning rate",
                args.row
            )));
        }
    };
    let rates = match &args.rates {
        Some(text) => text
            .parse::<RateRange>()
            .map_err(|e| Failure::input(format!("--rates {text}: {e}")))?,
        None => RateRange::default_for(&spec),
    };
    let across = match args.across {
        None => None,
        Some(n @ 1..=100_000) => Some(n as usize),
        Some(n) => {
            return Err(Failure::input(format!(
                "--across {n}: the number of tasks must be 1 to 100000"
            )));
        }
    };
    let steps = match args.steps {
        None => row.steps,
        Some(s) if s <= teleport_core::limits::EVAL_STEPS_MAX as u64 => s as usize,
        Some(s) => {
            return Err(Failure::input(format!(
                "--steps {s}: must be at most {}",
                teleport_core::limits::EVAL_STEPS_MAX
            )));
        }
    };
    let tasks = across.unwrap_or(1) as u64;
    let work = (rates.count as u64)
        .saturating_mul(tasks)
        .saturating_mul(steps.max(1) as u64);
    if work > TUNE_MAX_WORK {
        return Err(Failure::input(format!(
            "{} rates × {tasks} task(s) × {steps} steps is {work} optimizee steps; at most {TUNE_MAX_WORK}",
            rates.count
        )));
    }
    let tasks = match across {
        Some(n) => tasks_from_starts(&row.objective, n, args.seed),
        None => vec![Task {
            objective: row.objective.clone(),
            x0: Vec2::from(row.x0),
        }],
    };
    let threads = args.threads.map_or_else(all_cores, |t| t as usize);
    let never = std::sync::atomic::AtomicBool::new(false);
    let result = sweep(
        &row.opt,
        row.noise.as_ref(),
        &tasks,
        steps,
        &rates,
        threads,
        &never,
    )
    .map_err(Failure::input)?;
    let text = match args.format {
        TuneFormat::Csv => result.csv(),
        TuneFormat::Json => {
            #[derive(serde::Serialize)]
            struct Best {
                lr: f64,
                f: f64,
            }
            #[derive(serde::Serialize)]
            struct Out<'a> {
                row: &'a str,
                kind: &'a str,
                steps: usize,
                tasks: usize,
                #[serde(skip_serializing_if = "Option::is_none")]
                noise: Option<teleport_core::optim::GradNoise>,
                rates: &'a [teleport_core::tune::SweepPoint],
                best: Option<Best>,
            }
            let out = Out {
                row: row.opt.name(),
                kind: result.kind,
                steps: result.steps,
                tasks: result.tasks,
                noise: row.noise,
                rates: &result.points,
                best: result.best_point().map(|p| Best { lr: p.lr, f: p.f }),
            };
            serde_json::to_string_pretty(&out)
                .map_err(|e| Failure::input(format!("cannot encode results: {e}")))?
        }
    };
    emit(&text)
}

/// Writes a command's output to stdout (with a final newline). A reader
/// that goes away early (`| head`) is not an error; other failures are.
fn emit(text: &str) -> Result<(), Failure> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let newline = if text.ends_with('\n') { "" } else { "\n" };
    match out
        .write_all(text.as_bytes())
        .and_then(|()| out.write_all(newline.as_bytes()))
        .and_then(|()| out.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure {
            message: format!("cannot write the output: {e}"),
            code: 1,
        }),
    }
}

fn pretrain(out: &std::path::Path, threads: usize) -> Result<(), Failure> {
    use teleport_core::pretrained::{Family, file_name, train};
    std::fs::create_dir_all(out)
        .map_err(|e| Failure::input(format!("--out {}: {e}", out.display())))?;
    let jobs: Vec<(Variant, Family)> = Variant::ALL
        .into_iter()
        .flat_map(|v| [Family::Ellipse, Family::Rosenbrock].map(|f| (v, f)))
        .collect();
    // Each model trains alone from its own seed: the same weights
    // whatever the thread count.
    let trained = teleport_core::eval::map_pooled(&jobs, threads, |&(v, f)| (v, f, train(v, f)));
    for (variant, family, result) in trained {
        let (model, config) = result.map_err(Failure::input)?;
        let path = out.join(file_name(variant, family));
        let info = teleport_core::io::weights::WeightsInfo {
            trajectories_trained: config.trajectories,
            train: Some(config),
        };
        teleport_core::io::weights::save(&path, &model, &info).map_err(Failure::input)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// How to open the app.
struct AppArgs {
    scene: Option<PathBuf>,
    screenshot: Option<PathBuf>,
    fresh: bool,
    data_dir: Option<PathBuf>,
    panic_after: Option<u64>,
    animate: Option<(PathBuf, crate::app::animation::AnimationSettings)>,
    size: Option<[u32; 2]>,
    lesson: Option<PathBuf>,
}

/// The most optimizee steps one `basin` command may take (grid² × steps):
/// about a minute for a learned row on one core.
const BASIN_MAX_WORK: u64 = 100_000_000;

/// Parses `--bounds xmin,xmax,ymin,ymax`.
fn parse_bounds(text: &str) -> Result<teleport_core::basin::BasinGrid, Failure> {
    let bad = || {
        Failure::input(format!(
            "--bounds `{text}`: expected four numbers xmin,xmax,ymin,ymax with xmin < xmax and ymin < ymax"
        ))
    };
    let v: Vec<f64> = text
        .split(',')
        .map(|s| s.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| bad())?;
    let [x0, x1, y0, y1] = v[..] else {
        return Err(bad());
    };
    let grid = teleport_core::basin::BasinGrid {
        x: (x0, x1),
        y: (y0, y1),
        n: 1,
    };
    grid.check().map_err(|_| bad())?;
    Ok(grid)
}

/// One row of a scene or lab file, ready to run on the file's task.
struct FileRow {
    objective: teleport_core::objective::Objective,
    x0: [f64; 2],
    steps: usize,
    opt: teleport_core::eval::AnyOptimizer,
    noise: Option<teleport_core::optim::GradNoise>,
    /// The view the app saved, when the file has a readable one.
    view: Option<[[f64; 2]; 2]>,
}

/// Row `row` of the 2D scene or lab file at `path` (a version-1 scene has
/// row 0 alone); a network lab file is refused with `net_refusal`.
fn file_row(path: &std::path::Path, row: usize, net_refusal: &str) -> Result<FileRow, Failure> {
    use teleport_core::eval::AnyOptimizer;
    use teleport_core::io::lab::{AnyScene, RowKind, default_label};
    let loaded = teleport_core::io::lab::load(path)
        .map_err(|e| Failure::input(format!("{}: {e}", path.display())))?;
    match loaded {
        AnyScene::Net(_) => Err(Failure::input(format!("{}: {net_refusal}", path.display()))),
        AnyScene::V1(scene) => {
            if row != 0 {
                return Err(Failure::input(format!(
                    "--row {row}: a version-1 scene has one row, 0"
                )));
            }
            let name = default_label(
                &RowKind::Classical(scene.scene.optimizer),
                scene.teleport.as_ref(),
            );
            let opt = AnyOptimizer::Classical {
                name,
                spec: scene.scene.optimizer,
                teleport: scene.teleport.clone(),
            };
            Ok(FileRow {
                objective: scene.objective,
                x0: scene.scene.x0,
                steps: scene.scene.steps,
                opt,
                noise: None,
                view: None,
            })
        }
        AnyScene::V2(lab) => {
            let count = lab.rows.len();
            let loaded = lab.rows.get(row).ok_or_else(|| {
                Failure::input(format!(
                    "--row {row}: {} has {count} row(s), 0 to {}, counted in the file's order, hidden ones included",
                    path.display(),
                    count.saturating_sub(1)
                ))
            })?;
            let opt = loaded
                .optimizer()
                .ok_or_else(|| Failure::input(format!("--row {row}: the row has no weights")))?;
            let view = lab
                .lab
                .app
                .as_ref()
                .and_then(|app| app.get("view"))
                .and_then(|v| serde_json::from_value::<[[f64; 2]; 2]>(v.clone()).ok());
            Ok(FileRow {
                x0: lab.lab.x0,
                steps: lab.lab.steps,
                noise: loaded.noise,
                opt,
                view,
                objective: lab.objective,
            })
        }
    }
}

/// `teleport-lab basin`: one row's basin map as CSV or PNG.
fn basin(args: BasinArgs) -> Result<(), Failure> {
    use teleport_core::basin::{BasinGrid, basin_noisy, fit_view};
    use teleport_core::objective::Vec2;
    use teleport_core::optim::NoiseStream;
    let path = &args.scene;
    let (n, steps) = (args.grid as usize, args.steps as usize);
    if args.grid * args.grid * args.steps.max(1) > BASIN_MAX_WORK {
        return Err(Failure::input(format!(
            "--grid {} with --steps {} is {} optimizee steps; at most {BASIN_MAX_WORK} (about a minute)",
            args.grid,
            args.steps,
            args.grid * args.grid * args.steps
        )));
    }
    if args.format == BasinFormat::Png && args.out.is_none() {
        return Err(Failure::input("--format png needs --out FILE.png"));
    }
    if let Some(out) = &args.out {
        check_out_dir("--out", out)?;
    }
    let given = args.bounds.as_deref().map(parse_bounds).transpose()?;
    let FileRow {
        objective,
        x0,
        opt,
        noise,
        view: saved_view,
        ..
    } = file_row(
        path,
        args.row,
        "a network's parameters are not points of the plane; its loss landscape is the app's loss slice",
    )?;
    let start = Vec2::from(x0);
    let view = |(lo, hi): ([f64; 2], [f64; 2])| BasinGrid {
        x: (lo[0], hi[0]),
        y: (lo[1], hi[1]),
        n,
    };
    let grid = match (given, saved_view) {
        (Some(g), _) => BasinGrid { n, ..g },
        (None, Some([lo, hi])) if view((lo, hi)).check().is_ok() => view((lo, hi)),
        _ => {
            let run = opt.trajectory_with(
                &objective,
                start,
                steps,
                &[],
                NoiseStream::of(noise.as_ref(), 0),
            );
            view(fit_view(
                start,
                objective.minimizer(),
                [&run],
                teleport_core::basin::VIEW_LIMIT,
            ))
        }
    };
    grid.check().map_err(Failure::input)?;
    if args.by_minimum
        && objective
            .as_formula()
            .is_none_or(|t| t.known_minima().is_empty())
    {
        return Err(Failure::input(
            "--by-minimum: this task lists no minima (it needs a test function of the gallery, such as Himmelblau's)",
        ));
    }
    let never = std::sync::atomic::AtomicBool::new(false);
    // A row with noise: every start draws noise run 0, so the cell at x₀
    // is the run `eval` prints.
    let map = basin_noisy(
        &opt,
        noise.as_ref(),
        &objective,
        &grid,
        steps,
        args.eps.unwrap_or(0.0),
        &never,
        1,
    )
    .ok_or_else(|| Failure::input("the basin map was cancelled"))?;
    // With --eps the CSV gains the first step and the PNG shades by it;
    // with --by-minimum, the minimum each run ends at.
    let shade = match (args.eps, args.by_minimum) {
        (_, true) => teleport_core::basin::Shade::Minimum,
        (Some(_), false) => teleport_core::basin::Shade::FirstStep,
        (None, false) => teleport_core::basin::Shade::FinalF,
    };
    let csv = || match shade {
        teleport_core::basin::Shade::FirstStep => map.csv_with_first_step(),
        teleport_core::basin::Shade::FinalF => map.csv(),
        teleport_core::basin::Shade::Minimum => map.csv_with_minimum(),
    };
    let write = |out: &std::path::Path, bytes: &[u8]| {
        teleport_core::io::write_atomic(out, bytes).map_err(|e| Failure {
            message: format!("cannot write {}: {e}", out.display()),
            code: 1,
        })
    };
    match (args.format, &args.out) {
        (BasinFormat::Csv, None) => emit(&csv()),
        (BasinFormat::Csv, Some(out)) => write(out, csv().as_bytes()),
        (BasinFormat::Png, Some(out)) => {
            let minimizer = objective.try_minimizer().ok();
            let figure = map.figure(
                opt.name(),
                args.size.unwrap_or([900, 800]),
                (minimizer, Some(start)),
                shade,
            );
            let bytes = figure.to_png().map_err(|e| Failure {
                message: format!("cannot draw the basin map: {e}"),
                code: 1,
            })?;
            write(out, &bytes)
        }
        (BasinFormat::Png, None) => Err(Failure::input("--format png needs --out FILE.png")),
    }
}

/// `train --task FILE`: the objective and x₀ of a scene or lab file.
fn task_of(path: &std::path::Path) -> Result<teleport_core::objective::Task, Failure> {
    use teleport_core::io::lab::AnyScene;
    let bad = |e: String| Failure::input(format!("--task {}: {e}", path.display()));
    let (objective, x0) = match teleport_core::io::lab::load(path)
        .map_err(|e| bad(e.to_string()))?
    {
        AnyScene::V1(scene) => (scene.objective, scene.scene.x0),
        AnyScene::V2(lab) => (lab.objective, lab.lab.x0),
        AnyScene::Net(_) => {
            return Err(bad(
                    "a network task trains the networks' coordinate-wise optimizer: add `--net-variant cw-l2o` or `--net-variant cw-l2o-tele`"
                        .to_owned(),
                ));
        }
    };
    Ok(teleport_core::objective::Task {
        objective,
        x0: teleport_core::objective::Vec2::from(x0),
    })
}

/// `--export-plot`: the app's plot of a file, drawn by the core's chart
/// renderer, without a window.
fn export_plot(
    file: Option<PathBuf>,
    out: &std::path::Path,
    size: Option<[u32; 2]>,
) -> Result<(), Failure> {
    use crate::app::plot_export::{DEFAULT_SIZE, PlotFormat};
    let format =
        PlotFormat::from_path(out).map_err(|e| Failure::input(format!("--export-plot {e}")))?;
    check_out_dir("--export-plot", out)?;
    let app = headless_app(file)?;
    let size = size.unwrap_or(DEFAULT_SIZE);
    let bytes = app
        .level_set_plot_bytes(format, size)
        .map_err(|e| Failure {
            message: format!("--export-plot: {e}"),
            code: 1,
        })?;
    teleport_core::io::write_atomic(out, &bytes).map_err(|e| Failure {
        message: format!("cannot write {}: {e}", out.display()),
        code: 1,
    })?;
    println!(
        "wrote {} ({}x{}, {:.0} kB)",
        out.display(),
        size[0],
        size[1],
        bytes.len() as f64 / 1e3
    );
    Ok(())
}

/// `--animate OUT --plot-only`: the playback of FILE's plot drawn by the
/// core's renderer on every core, without a window.
fn animate_plot(
    file: Option<PathBuf>,
    out: &std::path::Path,
    mut settings: crate::app::animation::AnimationSettings,
    size: Option<[u32; 2]>,
) -> Result<(), Failure> {
    settings.format = teleport_core::anim::AnimFormat::from_path(out)
        .map_err(|e| Failure::input(format!("--animate {e}")))?;
    check_out_dir("--animate", out)?;
    let app = headless_app(file)?;
    let size = size.unwrap_or(crate::app::plot_export::DEFAULT_SIZE);
    let start = std::time::Instant::now();
    let bytes =
        crate::app::plot_animation::animate_headless(&app, &settings, size).map_err(|e| {
            Failure {
                message: format!("--animate: {e}"),
                code: 1,
            }
        })?;
    teleport_core::io::write_atomic(out, &bytes).map_err(|e| Failure {
        message: format!("cannot write {}: {e}", out.display()),
        code: 1,
    })?;
    println!(
        "wrote {}: {} frames, {:.2} MB, in {:.1} s",
        out.display(),
        app.state.steps + 1,
        bytes.len() as f64 / 1e6,
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The surface's view from the command line: what `--azimuth`,
/// `--elevation` and `--z-scale` ask for.
#[derive(Clone, Copy, Debug, Default)]
struct SurfaceView {
    azimuth_deg: Option<f64>,
    elevation_deg: Option<f64>,
    z_scale: Option<teleport_core::plot::surface::ZScale>,
}

impl SurfaceView {
    /// The view `cli` asks for; an angle that is not finite is an error.
    fn of(cli: &Cli) -> Result<Self, Failure> {
        for (flag, value) in [("--azimuth", cli.azimuth), ("--elevation", cli.elevation)] {
            if let Some(v) = value
                && !v.is_finite()
            {
                return Err(Failure::input(format!(
                    "{flag} {v}: an angle must be a finite number of degrees"
                )));
            }
        }
        Ok(Self {
            azimuth_deg: cli.azimuth,
            elevation_deg: cli.elevation,
            z_scale: cli.z_scale,
        })
    }

    /// Sets the app's surface settings to this view.
    fn apply(self, app: &mut crate::app::TeleportApp) {
        let s = &mut app.state.surface;
        if let Some(a) = self.azimuth_deg {
            s.camera.azimuth_deg = a;
        }
        if let Some(e) = self.elevation_deg {
            s.camera.elevation_deg = e;
        }
        if let Some(z) = self.z_scale {
            s.z_scale = z;
        }
        s.normalize();
    }
}

/// `--export-surface`: the 3D surface of a file, drawn by the core's
/// renderer, without a window.
fn export_surface(
    file: Option<PathBuf>,
    out: &std::path::Path,
    size: Option<[u32; 2]>,
    view: SurfaceView,
) -> Result<(), Failure> {
    use crate::app::plot_export::{DEFAULT_SIZE, PlotFormat};
    let format =
        PlotFormat::from_path(out).map_err(|e| Failure::input(format!("--export-surface {e}")))?;
    check_out_dir("--export-surface", out)?;
    let mut app = headless_app(file)?;
    view.apply(&mut app);
    let size = size.unwrap_or(DEFAULT_SIZE);
    let bytes = app.surface_bytes(format, size).map_err(|e| Failure {
        message: format!("--export-surface: {e}"),
        code: 1,
    })?;
    teleport_core::io::write_atomic(out, &bytes).map_err(|e| Failure {
        message: format!("cannot write {}: {e}", out.display()),
        code: 1,
    })?;
    println!(
        "wrote {} ({}x{}, {:.0} kB)",
        out.display(),
        size[0],
        size[1],
        bytes.len() as f64 / 1e3
    );
    Ok(())
}

/// `--animate OUT --surface [--orbit]`: the playback in 3D, or one turn of
/// the camera, drawn by the core's renderer on every core, without a window.
fn animate_surface(
    file: Option<PathBuf>,
    out: &std::path::Path,
    mut settings: crate::app::animation::AnimationSettings,
    size: Option<[u32; 2]>,
    view: SurfaceView,
    orbit: bool,
) -> Result<(), Failure> {
    settings.format = teleport_core::anim::AnimFormat::from_path(out)
        .map_err(|e| Failure::input(format!("--animate {e}")))?;
    check_out_dir("--animate", out)?;
    let mut app = headless_app(file)?;
    view.apply(&mut app);
    let size = size.unwrap_or(crate::app::plot_export::DEFAULT_SIZE);
    let start = std::time::Instant::now();
    let (bytes, frames) = crate::app::surface::animate_surface_headless(
        &app, &settings, size, orbit,
    )
    .map_err(|e| Failure {
        message: format!("--animate: {e}"),
        code: 1,
    })?;
    teleport_core::io::write_atomic(out, &bytes).map_err(|e| Failure {
        message: format!("cannot write {}: {e}", out.display()),
        code: 1,
    })?;
    println!(
        "wrote {}: {frames} frames, {:.2} MB, in {:.1} s",
        out.display(),
        bytes.len() as f64 / 1e6,
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The app without a window on FILE (or the default demo), as the
/// headless exports draw it; a file the app cannot show is an error.
fn headless_app(file: Option<PathBuf>) -> Result<crate::app::TeleportApp, Failure> {
    let scene = file
        .map(|path| {
            teleport_core::io::lab::load(&path)
                .map_err(|e| Failure::input(format!("{}: {e}", path.display())))
        })
        .transpose()?;
    let options = crate::app::Options {
        scene,
        fresh: true,
        ..Default::default()
    };
    let app = crate::app::TeleportApp::new(crate::app::AppState::default(), &options);
    if let Some(n) = app.notifications().iter().find(|n| n.error) {
        return Err(Failure::input(n.text.clone()));
    }
    Ok(app)
}

/// Refuses an output path whose folder does not exist.
fn check_out_dir(flag: &str, out: &std::path::Path) -> Result<(), Failure> {
    match out.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) if !dir.is_dir() => Err(Failure::input(format!(
            "{flag}: folder {} does not exist",
            dir.display()
        ))),
        _ => Ok(()),
    }
}

fn open_app(args: AppArgs) -> Result<(), Failure> {
    let AppArgs {
        scene,
        screenshot,
        fresh,
        data_dir,
        panic_after,
        animate,
        size,
        lesson,
    } = args;
    let scene = scene
        .map(|path| {
            teleport_core::io::lab::load(&path)
                .map_err(|e| Failure::input(format!("--scene {}: {e}", path.display())))
        })
        .transpose()?;
    if let Some(out) = &screenshot {
        check_out_dir("--screenshot", out)?;
    }
    if let Some(dir) = &lesson {
        crate::app::presentation::Lesson::open(dir)
            .map_err(|e| Failure::input(format!("--lesson: {e}")))?;
    }
    let animate = match animate {
        Some((path, mut settings)) => {
            settings.format = teleport_core::anim::AnimFormat::from_path(&path)
                .map_err(|e| Failure::input(format!("--animate {e}")))?;
            check_out_dir("--animate", &path)?;
            Some(crate::app::animation::AnimationRequest {
                path,
                settings,
                result: Default::default(),
            })
        }
        None => None,
    };
    let scripted = screenshot.is_some() || animate.is_some();
    let options = crate::app::Options {
        scene,
        screenshot: screenshot.clone(),
        export_dir: None,
        dialogs: crate::app::export_dialogs_available(),
        fresh: fresh || scripted,
        // A scripted screenshot or animation must not touch the user's
        // session.
        session_dir: (!scripted).then(|| data_dir.unwrap_or_else(crate::app::session::default_dir)),
        hooks: true,
        panic_after_frames: panic_after,
        animate: animate.clone(),
        lesson,
        window_size: size.map(|[w, h]| [w as f32, h as f32]),
    };
    let result = crate::app::run_native(options).map_err(|e| Failure {
        message: e,
        code: 1,
    });
    if let (Ok(()), Some(req)) = (&result, &animate) {
        let outcome = req
            .result
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        return match outcome {
            Some(Ok(summary)) => {
                println!("{summary}");
                Ok(())
            }
            Some(Err(e)) => Err(Failure {
                message: format!("--animate: {e}"),
                code: 1,
            }),
            None => Err(Failure {
                message: format!(
                    "the window closed before the animation {} was written",
                    req.path.display()
                ),
                code: 1,
            }),
        };
    }
    match (&result, screenshot) {
        (Ok(()), Some(path)) if !path.is_file() => Err(Failure {
            message: format!(
                "the window closed before the screenshot {} was written",
                path.display()
            ),
            code: 1,
        }),
        _ => result,
    }
}

fn figures(
    out: PathBuf,
    quick: bool,
    format: FigureFormat,
    threads: usize,
    seeds: usize,
) -> Result<(), Failure> {
    use teleport_core::figures::{
        Event, FiguresConfig, claims_markdown, run_with_networks, summary_markdown, units,
    };
    let mut config = if quick {
        FiguresConfig::quick(out.clone())
    } else {
        FiguresConfig::paper(out.clone())
    };
    config.formats.svg = format == FigureFormat::Svg;
    config.threads = threads;
    config.seeds = seeds;
    let bar = progress_bar(units(&config) as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} {msg}",
    ) {
        bar.set_style(style);
    }
    let start = std::time::Instant::now();
    let (rows, claims, networks) = run_with_networks(&config, &mut |e| match e {
        Event::Start(what) => bar.set_message(what),
        Event::Done => bar.inc(1),
    })
    .map_err(|e| Failure {
        message: e.to_string(),
        code: 1,
    })?;
    bar.finish_and_clear();
    println!("{}", summary_markdown(&rows));
    println!("{}", claims_markdown(&config, &claims));
    if let Some(networks) = &networks {
        println!("{}", teleport_core::figures::net::markdown(networks));
    }
    println!(
        "wrote Figures 1–7 (CSV + PNG{}), the network experiment, summary.md and claims.json to {} in {:.1} s",
        if format == FigureFormat::Svg {
            " + SVG"
        } else {
            ""
        },
        out.display(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
