//! `teleport-lab bench TARGET`: runs a benchmark and prints its report as
//! a Markdown table (the README's tables are pasted from these).

use clap::{Args, ValueEnum};

/// What `teleport-lab bench` measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BenchTarget {
    /// f + ∇f, one teleport, one oracle search.
    Core,
    /// Meta-training in the paper's configuration, per variant.
    Train,
    /// Basin maps: 128² starts × 20 steps per classical and learned row,
    /// and the app's first level (`--samples`, default 5).
    Basin,
    /// CPU time per frame of the full UI (and with the 3D surface open),
    /// contour extraction, and the surface pane's own work.
    Ui,
    /// A long session: memory growth and the slowest frame (`--minutes`).
    Soak,
    /// Random user actions on the app with its invariants checked after
    /// each (`--actions`, `--seed`, `--seeds`); exits 1 on the first failure.
    Monkey,
    /// `--animate` of a 20-step demo, the plot alone at 1280x800 (`--samples`
    /// runs, default 3); needs a display (`xvfb-run`; `taskset -c 0` for one
    /// core).
    Animate,
}

/// The options of `teleport-lab bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// What to measure.
    #[arg(value_enum, default_value_t = BenchTarget::Core)]
    pub target: BenchTarget,
    /// Timed samples per operation (`core`) or training runs per variant (`train`).
    #[arg(long)]
    pub samples: Option<usize>,
    /// Only this variant (`train`).
    #[arg(long)]
    pub variant: Option<teleport_core::l2o::Variant>,
    /// LSTM hidden size (`train`).
    #[arg(long, default_value_t = 100)]
    pub hidden: usize,
    /// Duration of `soak`, in minutes.
    #[arg(long, default_value_t = 20.0)]
    pub minutes: f64,
    /// Actions of `monkey`.
    #[arg(long, default_value_t = 100_000)]
    pub actions: usize,
    /// Seed of `monkey` (the first of `--seeds` seeds).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// How many seeds `monkey` runs, one after another.
    #[arg(long, default_value_t = 1)]
    pub seeds: u64,
}

/// Why a benchmark could not report.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The options are out of range (exit status 2).
    #[error("{0}")]
    Input(String),
    /// The benchmark itself failed (exit status 1).
    #[error("{0}")]
    Failed(String),
}

/// Runs the benchmark `args` asks for and prints its report.
pub fn run(args: &BenchArgs) -> Result<(), BenchError> {
    match args.target {
        BenchTarget::Monkey => return monkey(args.actions, args.seed, args.seeds),
        BenchTarget::Animate => {
            let m = super::app::animate(args.samples.unwrap_or(3), [1280, 800])
                .map_err(BenchError::Failed)?;
            let median = teleport_core::stats::quantile(&mut m.seconds.clone(), 0.5);
            println!("| measurement | value |\n|---|---:|");
            println!(
                "| 20-step animation of the plot, 1280x800, {} frames | {:.1} s (median of {}) |",
                m.frames,
                median,
                m.seconds.len()
            );
            println!("| file size | {:.2} MB |", m.bytes as f64 / 1e6);
        }
        BenchTarget::Soak => {
            if !(args.minutes.is_finite() && args.minutes > 0.0 && args.minutes <= 24.0 * 60.0) {
                return Err(BenchError::Input(
                    "--args.minutes must be in (0, 1440]".into(),
                ));
            }
            let m = super::app::soak(args.minutes, |done| eprintln!("soak: {done:.1} min"));
            let growth = 100.0 * (m.rss_end_mib - m.rss_start_mib) / m.rss_start_mib;
            println!("| measurement | value |\n|---|---:|");
            println!("| duration | {:.1} min, {} frames |", m.minutes, m.frames);
            println!(
                "| resident memory after warm-up | {:.1} MiB |",
                m.rss_start_mib
            );
            println!(
                "| resident memory at the end | {:.1} MiB ({growth:+.1} %) |",
                m.rss_end_mib
            );
            println!(
                "| largest resident memory after warm-up | {:.1} MiB |",
                m.rss_max_mib
            );
            println!("| median frame | {:.2} ms |", m.median_frame_ms);
            println!("| slowest frame after warm-up | {:.2} ms |", m.max_frame_ms);
            println!(
                "| training runs / snapshots | {} / {} |",
                m.training_runs, m.snapshots
            );
        }
        BenchTarget::Ui => {
            let frames = args.samples.unwrap_or(600);
            let m = super::app::ui(frames);
            println!("| measurement | value |\n|---|---:|");
            println!("| frame CPU time, median | {:.2} ms |", m.median_ms);
            println!("| frame CPU time, p99 | {:.2} ms |", m.p99_ms);
            println!("| frame CPU time, max | {:.2} ms |", m.max_ms);
            println!(
                "| contours of a 512×512 grid, 16 levels, median | {:.2} ms |",
                m.contour_ms
            );
            println!("| sampling f on that grid, median | {:.2} ms |", m.grid_ms);
            let c = super::app::ui_custom(frames);
            println!(
                "| frame CPU time on a typed h (gallery spiral), median / p99 | {:.2} / {:.2} ms |",
                c.median_ms, c.p99_ms
            );
            let i = super::app::ui_instruments(frames);
            println!(
                "| frame CPU time with the instruments open (Newton window, η, a learned row's probe, across tasks, task gallery, training timeline and ghosts), median / p99 | {:.2} / {:.2} ms |",
                i.median_ms, i.p99_ms
            );
            let s = super::app::ui_surface(frames);
            println!(
                "| frame CPU time with the 3D surface open ({} facets, following playback), median / p99 | {:.2} / {:.2} ms |",
                s.facets, s.frame.median_ms, s.frame.p99_ms
            );
            println!(
                "| the surface pane's scene per frame (lift, project, order, egui shapes), median | {:.2} ms |",
                s.scene_ms
            );
            println!(
                "| egui's tessellation of those shapes, median | {:.2} ms |",
                s.tessellate_ms
            );
            println!(
                "| the surface's mesh (rebuilt only for a new task, view, facets or height scale), median | {:.2} ms |",
                s.mesh_ms
            );
            println!(
                "\n{} frames at 1440×900 after 30 warm-up frames: default task, all {} optimizers, 100 steps, playback and live training ({} snapshots received).",
                m.frames,
                crate::app::state::default_optimizers().len(),
                m.snapshots
            );
        }
        BenchTarget::Train => {
            let repeats = args.samples.unwrap_or(3);
            let variants = args
                .variant
                .map_or(teleport_core::l2o::Variant::ALL.to_vec(), |v| vec![v]);
            let peak = super::peak_gflops();
            println!(
                "| args.variant | median wall time | optimizee steps/s | GFLOP/s | of peak | final loss |\n|---|---:|---:|---:|---:|---:|"
            );
            for v in variants {
                let m = super::train(v, args.hidden, repeats);
                let share = peak.as_ref().map_or("—".to_owned(), |(p, _)| {
                    format!("{:.0} %", 100.0 * m.gflops / p)
                });
                println!(
                    "| {} | {:.3} s | {:.0} | {:.1} | {share} | {:.4} |",
                    v, m.median_secs, m.steps_per_sec, m.gflops, m.final_loss
                );
            }
            println!(
                "\n500 trajectories × 21 steps, unroll 5, H = {}, one thread; median of {repeats} runs.",
                args.hidden
            );
            if let Some((p, how)) = peak {
                println!("One core's peak: {p:.1} GFLOP/s ({how}).");
            }
        }
        BenchTarget::Basin => {
            let rows = super::basin(args.samples.unwrap_or(5));
            println!("{}", super::basin_table(&rows));
            println!(
                "elli_fixed over (−6, 1.5) × (−1, 4.5), shipped elli_vary weights; `taskset -c 0` in front measures one core."
            );
        }
        BenchTarget::Core => {
            let samples = args.samples.unwrap_or(101);
            let m = super::core(samples);
            println!("{}", super::table(m.rows()));
            println!(
                "oracle vs dense scan: {:.1}× faster, medians of {} and {} samples",
                m.oracle_speedup(),
                m.oracle.samples,
                m.dense_scan.samples
            );
        }
    }
    Ok(())
}

/// `bench monkey`: runs the seeds one after another and reports each.
fn monkey(actions: usize, first: u64, seeds: u64) -> Result<(), BenchError> {
    let dir = std::env::temp_dir().join(format!("teleport-lab-monkey-{}", std::process::id()));
    let mut total = 0;
    let mut failed = Vec::new();
    let start = std::time::Instant::now();
    println!(
        "| seed | actions | frames | most rows | seconds | result |\n|---:|---:|---:|---:|---:|---|"
    );
    for seed in first..first.saturating_add(seeds) {
        let t = std::time::Instant::now();
        let result = super::monkey::run(seed, actions, dir.clone(), |done| {
            eprintln!("monkey seed {seed}: {done} actions");
        });
        let _ = std::fs::remove_dir_all(&dir);
        let secs = t.elapsed().as_secs_f64();
        match result {
            Ok(r) => {
                total += r.actions;
                println!(
                    "| {seed} | {} | {} | {} | {secs:.0} | ok |",
                    r.actions, r.frames, r.max_rows
                );
            }
            // Report and go on with the other seeds: one run shows every
            // seed's outcome.
            Err(failure) => {
                total += failure.action + 1;
                eprintln!("{failure}");
                println!(
                    "| {seed} | {} | | | {secs:.0} | **failed**: {} |",
                    failure.action + 1,
                    teleport_core::io::scene::one_line(&failure.what, 200)
                );
                failed.push(seed);
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    if failed.is_empty() {
        println!(
            "\n{total} actions over {seeds} seed(s) in {secs:.0} s: no panic, every invariant held after every action."
        );
        Ok(())
    } else {
        println!(
            "\n{total} actions over {seeds} seed(s) in {secs:.0} s; failed seeds: {failed:?}."
        );
        Err(BenchError::Failed(format!(
            "monkey seeds {failed:?} failed (see above)"
        )))
    }
}
