//! The command line: `teleport-lab <command>`. Every command is a thin front
//! over the library; errors print one clear line and exit with status 2.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::io::scene::{Scene, trajectory_csv, trajectory_json};

/// teleport-lab: a lab for learning to optimize with parameter symmetries.
#[derive(Debug, Parser)]
#[command(name = "teleport-lab", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scene file and print its trajectory.
    Eval {
        /// The scene file (JSON).
        #[arg(long)]
        scene: PathBuf,
        /// The output format.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Measure the speed of the core operations.
    Bench {
        /// What to measure.
        #[arg(value_enum, default_value_t = BenchTarget::Core)]
        target: BenchTarget,
        /// Timed samples per operation.
        #[arg(long, default_value_t = 101)]
        samples: usize,
    },
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// `{"trajectory": [...]}`.
    Json,
    /// `t,x0,x1,f,grad0,grad1,teleported,theta`.
    Csv,
}

/// Benchmarks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BenchTarget {
    /// f + ∇f, one teleport, one oracle search.
    Core,
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
        None => {
            use clap::CommandFactory as _;
            println!("{}", Cli::command().render_help());
            Ok(())
        }
        Some(Command::Eval { scene, format }) => {
            let loaded = Scene::load(&scene).map_err(Failure::input)?;
            let traj = loaded.run();
            let text = match format {
                Format::Json => trajectory_json(&traj),
                Format::Csv => trajectory_csv(&traj),
            };
            print!("{text}");
            if !text.ends_with('\n') {
                println!();
            }
            Ok(())
        }
        Some(Command::Bench { target, samples }) => {
            match target {
                BenchTarget::Core => {
                    let rows = crate::bench::core(samples);
                    println!("{}", crate::bench::table(&rows));
                    if let (Some(oracle), Some(scan)) = (rows.get(2), rows.get(3)) {
                        println!(
                            "oracle vs dense scan: {:.1}× faster, median of {samples} samples",
                            scan.median_ns / oracle.median_ns
                        );
                    }
                }
            }
            Ok(())
        }
    }
}
