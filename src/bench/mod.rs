//! `teleport-lab bench`: wall-clock measurements, reported as medians.
//!
//! This module times the core from the command line (`bench core`,
//! `bench train`); the core's criterion benchmarks are in
//! `crates/teleport-core/benches`. The benchmarks that drive the app —
//! [`app`] (`bench ui`, `bench soak`) and [`monkey`] (`bench monkey`) — are
//! modules of their own.
//!
//! Speed is measured here and never asserted in a test. Quantiles are
//! [`teleport_core::stats::quantile`]'s, linearly interpolated.

pub mod app;
pub mod monkey;
pub mod report;

use std::hint::black_box;
use std::time::Instant;

use teleport_core::objective::{Preset, TaskDist, Vec2};
use teleport_core::stats::quantile;
use teleport_core::symmetry::{dense_scan, oracle, teleport};

/// One measured operation.
#[derive(Clone, Debug)]
pub struct Measurement {
    /// What was measured.
    pub name: String,
    /// Median time per call, in nanoseconds.
    pub median_ns: f64,
    /// 90th percentile time per call, in nanoseconds.
    pub p90_ns: f64,
    /// Timed samples (batches of calls).
    pub samples: usize,
}

/// Times `op` in `samples` batches of `batch` calls; per-call statistics.
pub fn measure(name: &str, samples: usize, batch: usize, mut op: impl FnMut(usize)) -> Measurement {
    let samples = samples.max(1);
    let batch = batch.max(1);
    // Warm up caches and branch predictors.
    for i in 0..batch {
        op(i);
    }
    let mut per_call: Vec<f64> = (0..samples)
        .map(|s| {
            let start = Instant::now();
            for i in 0..batch {
                op(s * batch + i);
            }
            start.elapsed().as_secs_f64() * 1e9 / batch as f64
        })
        .collect();
    Measurement {
        name: name.to_owned(),
        median_ns: quantile(&mut per_call, 0.5),
        p90_ns: quantile(&mut per_call, 0.9),
        samples,
    }
}

/// What `bench core` measures, one field per row of its table.
#[derive(Clone, Debug)]
pub struct CoreMeasurements {
    /// `f` and `∇f` together, over both families.
    pub f_grad: Measurement,
    /// One teleport `g_θ(x)`.
    pub teleport: Measurement,
    /// One oracle search for θ*.
    pub oracle: Measurement,
    /// The dense scan the oracle replaces (at most 21 samples: it is slow).
    pub dense_scan: Measurement,
    /// The oracle on the Rosenbrock preset, a hard orbit.
    pub oracle_rosenbrock: Measurement,
    /// `f` and `∇f` of a typed `h` (the gallery's cubic shear).
    pub custom_f_grad: Measurement,
    /// A 200 × 200 grid of `f` of the same `h` (the contours' input).
    pub custom_grid: Measurement,
    /// One orbit of 512 points of the same `h`, by Newton's method.
    pub custom_orbit: Measurement,
    /// The loss plot's "across tasks" for the four shipped learned rows:
    /// 200 `elli_vary` test tasks × 12 steps each, with their teleports'
    /// efficiencies, on one thread.
    pub across_tasks: Measurement,
}

impl CoreMeasurements {
    /// The rows in table order.
    pub fn rows(&self) -> [&Measurement; 9] {
        [
            &self.f_grad,
            &self.teleport,
            &self.oracle,
            &self.dense_scan,
            &self.oracle_rosenbrock,
            &self.custom_f_grad,
            &self.custom_grid,
            &self.custom_orbit,
            &self.across_tasks,
        ]
    }

    /// How many times faster the oracle is than the dense scan, by medians.
    pub fn oracle_speedup(&self) -> f64 {
        self.dense_scan.median_ns / self.oracle.median_ns
    }
}

/// Measures the core operations on 64 tasks, 32 drawn from each random
/// family (`elli_vary` with seed 11, `ros_vary` with seed 12), visited in
/// turn; the Rosenbrock row uses the preset at (−1, −1).
pub fn core(samples: usize) -> CoreMeasurements {
    let mut tasks = TaskDist::ElliVary.sample_many(11, 32, Default::default());
    tasks.extend(TaskDist::RosVary.sample_many(12, 32, Default::default()));
    let rosen = Preset::Rosenbrock.objective();
    let n = tasks.len();
    // The gallery's first h without its closed-form inverse: orbits by
    // Newton's method, as for any formula a user types.
    let shear = teleport_core::objective::Custom::new(teleport_core::objective::GALLERY[0].h, None)
        .map(|c| teleport_core::objective::Objective::Custom(std::sync::Arc::new(c)))
        .unwrap_or_else(|_| rosen.clone());
    let shear_points: Vec<Vec2> = (0..64)
        .map(|k| Vec2::new(-2.0 + 0.0625 * k as f64, 1.5 - 0.05 * k as f64))
        .collect();
    CoreMeasurements {
        f_grad: measure("f + ∇f (mixed families)", samples, 4096, |i| {
            let t = &tasks[i % n];
            black_box(t.objective.f_grad(black_box(&t.x0)));
        }),
        teleport: measure("teleport g_θ(x)", samples, 4096, |i| {
            let t = &tasks[i % n];
            black_box(teleport(&t.objective, black_box(&t.x0), 0.7));
        }),
        oracle: measure("oracle θ* (1e-8 accurate)", samples, 16, |i| {
            let t = &tasks[i % n];
            black_box(oracle(&t.objective, black_box(&t.x0)));
        }),
        dense_scan: measure(
            "baseline: dense scan, 65536 angles (≈1e-4 accurate)",
            samples.min(21),
            2,
            |i| {
                let t = &tasks[i % n];
                black_box(dense_scan(&t.objective, black_box(&t.x0), 65_536));
            },
        ),
        oracle_rosenbrock: measure("oracle θ* on Rosenbrock preset", samples, 16, |_| {
            black_box(oracle(&rosen, black_box(&Vec2::new(-1.0, -1.0))));
        }),
        custom_f_grad: measure("your h (cubic shear): f + ∇f", samples, 4096, |i| {
            black_box(shear.f_grad(black_box(&shear_points[i % 64])));
        }),
        custom_grid: measure("your h: 200×200 grid of f", samples.min(41), 1, |_| {
            black_box(teleport_core::contour::Grid::of_objective(
                &shear,
                [-3.0, -2.0],
                [3.0, 2.0],
                200,
                200,
            ));
        }),
        custom_orbit: measure(
            "your h: orbit of 512 points (Newton)",
            samples.min(41),
            2,
            |i| {
                black_box(teleport_core::symmetry::orbit(
                    &shear,
                    black_box(&shear_points[i % 64]),
                    512,
                ));
            },
        ),
        across_tasks: across_tasks(samples.min(21)),
    }
}

/// Times the loss plot's "across tasks" for the four shipped `elli_vary`
/// models together, as the app's worker computes it (one thread).
fn across_tasks(samples: usize) -> Measurement {
    use teleport_core::pretrained::{Family, load};
    let learned: Vec<teleport_core::eval::AnyOptimizer> = teleport_core::l2o::Variant::ALL
        .iter()
        .filter_map(|&v| {
            let model = load(v, Family::Ellipse).ok()?;
            Some(teleport_core::eval::AnyOptimizer::Learned {
                name: v.name().to_owned(),
                model: std::sync::Arc::new(model),
            })
        })
        .collect();
    let tasks = TaskDist::ElliVary.sample_many(1, 200, Default::default());
    measure(
        "across tasks: 4 learned rows × 200 tasks × 12 steps",
        samples,
        1,
        |_| {
            for opt in &learned {
                black_box(teleport_core::eval::evaluate(opt, &tasks, 12));
            }
        },
    )
}

/// Formats measurements as a Markdown table.
pub fn table<'a>(rows: impl IntoIterator<Item = &'a Measurement>) -> String {
    let mut out = String::from("| operation | median | p90 |\n|---|---:|---:|\n");
    for m in rows {
        out.push_str(&format!(
            "| {} | {} | {} |\n",
            m.name,
            human(m.median_ns),
            human(m.p90_ns)
        ));
    }
    out
}

/// `1234.0` → `1.23 µs`.
pub fn human(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.1} ns")
    } else if ns < 1e6 {
        format!("{:.2} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

/// Wall time of one meta-training run of the paper's configuration
/// (500 trajectories × 21 steps, unroll 5, H = 100), single-threaded.
#[derive(Clone, Debug)]
pub struct TrainMeasurement {
    /// The variant trained.
    pub variant: teleport_core::l2o::Variant,
    /// Median wall time of the repeats, in seconds.
    pub median_secs: f64,
    /// Optimizee steps per second at the median.
    pub steps_per_sec: f64,
    /// The final mean unroll loss (so runs can be compared).
    pub final_loss: f64,
    /// Floating-point operations per second at the median
    /// ([`teleport_core::l2o::arithmetic`]), in units of 10⁹.
    pub gflops: f64,
}

/// Times `repeats` paper-configuration training runs of `variant` on
/// `elli_vary`, each from seed 0.
pub fn train(
    variant: teleport_core::l2o::Variant,
    hidden: usize,
    repeats: usize,
) -> TrainMeasurement {
    use teleport_core::l2o::{ModelConfig, TrainConfig, Trainer};
    let model = ModelConfig {
        hidden,
        ..ModelConfig::paper(variant)
    };
    let config = TrainConfig::paper(&model, TaskDist::ElliVary, 0);
    let total_steps = (config.trajectories * config.steps) as f64;
    let mut times = Vec::new();
    let mut final_loss = f64::NAN;
    for _ in 0..repeats.max(1) {
        let Ok(mut trainer) = Trainer::new(model.clone(), config.clone()) else {
            break;
        };
        let start = Instant::now();
        trainer.run(|_, _| teleport_core::l2o::Control::Continue);
        times.push(start.elapsed().as_secs_f64());
        final_loss = trainer.progress().last_loss;
        black_box(trainer.model());
    }
    let median_secs = quantile(&mut times, 0.5);
    TrainMeasurement {
        variant,
        median_secs,
        steps_per_sec: total_steps / median_secs,
        final_loss,
        gflops: teleport_core::l2o::arithmetic(&model, &config) / median_secs / 1e9,
    }
}

/// One core's peak in floating-point operations per second, in units of
/// 10⁹, and how it was found: the nominal clock from `/proc/cpuinfo` times
/// the build's multiply–adds per cycle (two 256-bit FMA units, 32 `f32`
/// operations a cycle, where the build targets FMA; else two 128-bit
/// multiplies and adds, 16). `None` where the clock cannot be read.
pub fn peak_gflops() -> Option<(f64, String)> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    let mhz: f64 = info
        .lines()
        .find(|l| l.starts_with("cpu MHz"))?
        .split(':')
        .nth(1)?
        .trim()
        .parse()
        .ok()?;
    let per_cycle = if cfg!(target_feature = "fma") {
        32.0
    } else {
        16.0
    };
    let peak = mhz * 1e6 * per_cycle / 1e9;
    Some((
        peak,
        format!("{mhz:.0} MHz (nominal) × {per_cycle} f32 operations per cycle"),
    ))
}

/// One row of `bench basin`: a basin map computed `samples` times.
#[derive(Clone, Debug)]
pub struct BasinMeasurement {
    /// What was computed.
    pub name: String,
    /// Median wall time, seconds.
    pub median_secs: f64,
    /// Median CPU time of the computing thread, seconds (10 ms ticks;
    /// `None` where it is not one thread's work).
    pub median_cpu_secs: Option<f64>,
    /// Samples timed.
    pub samples: usize,
}

fn time_median(name: String, samples: usize, mut op: impl FnMut()) -> BasinMeasurement {
    let samples = samples.max(1);
    let (mut times, mut cpu): (Vec<f64>, Vec<f64>) = (0..samples)
        .map(|_| {
            let (start, cpu0) = (Instant::now(), app::thread_cpu_secs());
            op();
            (start.elapsed().as_secs_f64(), app::thread_cpu_secs() - cpu0)
        })
        .unzip();
    BasinMeasurement {
        name,
        median_secs: quantile(&mut times, 0.5),
        median_cpu_secs: Some(quantile(&mut cpu, 0.5)),
        samples,
    }
}

/// `bench basin`: basin maps of 128² starts × 20 steps on `elli_fixed`
/// over the app's default view, for the classical optimizers, GD + oracle
/// teleport, and every shipped learned variant (batched), with single
/// rollouts of L2O + teleport as the baseline the batch replaces; then the
/// app's first picture: the time from switching the map on (for L2O +
/// teleport) to its first level on screen, through the real app headless.
pub fn basin(samples: usize) -> Vec<BasinMeasurement> {
    use teleport_core::basin::{BasinCell, BasinGrid, basin};
    use teleport_core::eval::AnyOptimizer;
    use teleport_core::pretrained::Family;
    let obj = Preset::ElliFixed.objective();
    let grid = BasinGrid {
        x: (-6.0, 1.5),
        y: (-1.0, 4.5),
        n: 128,
    };
    let never = std::sync::atomic::AtomicBool::new(false);
    let mut out = Vec::new();
    let classical = [
        "gd:lr=0.05",
        "momentum:lr=0.05,beta=0.9",
        "adam:lr=0.3",
        "newton",
        "gd:lr=0.05,teleport=oracle,every=5",
    ];
    for text in classical {
        let Ok(opt) = AnyOptimizer::parse_baseline(text) else {
            continue;
        };
        let n = if text.contains("teleport") {
            samples.min(3)
        } else {
            samples * 4
        };
        out.push(time_median(format!("128² × 20 steps, {text}"), n, || {
            black_box(basin(&opt, &obj, &grid, 20, 0.0, &never));
        }));
    }
    for variant in teleport_core::l2o::Variant::ALL {
        let Ok(model) = teleport_core::pretrained::load(variant, Family::Ellipse) else {
            continue;
        };
        let opt = AnyOptimizer::Learned {
            name: variant.label().to_owned(),
            model: std::sync::Arc::new(model),
        };
        out.push(time_median(
            format!("128² × 20 steps, {} (H = 100, batched)", variant.label()),
            samples,
            || {
                black_box(basin(&opt, &obj, &grid, 20, 0.0, &never));
            },
        ));
        if variant == teleport_core::l2o::Variant::L2oTele {
            out.push(time_median(
                "baseline: the same as 16,384 single rollouts".to_owned(),
                1,
                || {
                    for x0 in grid.starts() {
                        black_box(BasinCell::of(&opt.trajectory(&obj, x0, 20), 20, 0.0));
                    }
                },
            ));
            let first = BasinGrid { n: 32, ..grid };
            out.push(time_median(
                format!("first level: 32² × 20 steps, {}", variant.label()),
                samples * 4,
                || {
                    black_box(basin(&opt, &obj, &first, 20, 0.0, &never));
                },
            ));
        }
    }
    let mut latencies: Vec<f64> = (0..samples.max(1))
        .filter_map(|_| first_picture_secs())
        .collect();
    if !latencies.is_empty() {
        out.push(BasinMeasurement {
            name: "app: switching the map on (L2O + teleport) to its first level drawn".to_owned(),
            median_secs: quantile(&mut latencies, 0.5),
            median_cpu_secs: None,
            samples: latencies.len(),
        });
    }
    out
}

/// The real app headless at 1440×900 on its default demo, the L2O +
/// teleport row selected: frames at 60 per second from switching the
/// basin map on until a frame draws its first level; `None` if none within
/// 10 s.
fn first_picture_secs() -> Option<f64> {
    use crate::app::state::{AppState, EntryKind};
    let mut state = AppState::default();
    state.selected = state
        .optimizers
        .iter()
        .find(|r| r.kind == EntryKind::Learned(teleport_core::l2o::Variant::L2oTele))?
        .id;
    let mut h = app::Headless::new(state);
    // Let the plot fit its view first.
    for k in 0..5 {
        h.frame(k as f64 / 60.0, Vec::new());
    }
    h.app.state.basin.shown = true;
    let start = Instant::now();
    let mut k = 5;
    while h.app.basin().shown().is_none() {
        if start.elapsed().as_secs_f64() > 10.0 {
            return None;
        }
        h.frame(k as f64 / 60.0, Vec::new());
        k += 1;
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    Some(start.elapsed().as_secs_f64())
}

/// Formats `bench basin`'s rows as a Markdown table.
pub fn basin_table(rows: &[BasinMeasurement]) -> String {
    let mut out = String::from(
        "| basin map | median wall time | median CPU time | samples |\n|---|---:|---:|---:|\n",
    );
    for m in rows {
        let cpu = m
            .median_cpu_secs
            .map_or_else(|| "—".to_owned(), |s| human(s * 1e9));
        out.push_str(&format!(
            "| {} | {} | {cpu} | {} |\n",
            m.name,
            human(m.median_secs * 1e9),
            m.samples
        ));
    }
    out
}
