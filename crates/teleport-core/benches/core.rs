//! Criterion benchmarks of the library: what `teleport-lab bench core`
//! measures — `f + ∇f`, one teleport, one oracle search, the dense scan the
//! oracle replaces, the oracle on the Rosenbrock preset — on the same 64
//! tasks (32 of `elli_vary`, 32 of `ros_vary`), a small meta-training run
//! of each learned variant, the flow teleport of a typed f (Himmelblau) and
//! a which-minimum basin map; whole 2D runs of the classical optimizers, a
//! basin map, the learning-rate sweep of six classical rows, and the
//! network core (a GD step, a teleport, a decision grid, a step of each
//! coordinate-wise learned optimizer and a short meta-training of each).
//!
//! It also times the headless pictures: the 3D surface (its mesh, the
//! per-frame scene the app rebuilds while the camera moves, the PNG and SVG
//! exports at 1200 × 900) and the level-set playback animation of the demo
//! (20 steps, 3 rows, 1280 × 800, as a GIF).
//!
//! `cargo bench -p teleport-core` runs them (`-- --quick` for a short pass,
//! `-- oracle` for some); `cargo test` does not.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use teleport_core::anim::AnimFormat;
use teleport_core::basin::{BasinGrid, basin, basin_pooled};
use teleport_core::contour::Grid;
use teleport_core::eval::AnyOptimizer;
use teleport_core::l2o::{Control, ModelConfig, TrainConfig, Trainer, Variant};
use teleport_core::net::learned::{CwConfig, CwModel, CwOptimizer, CwVariant};
use teleport_core::net::mlp::{Activation, Mlp};
use teleport_core::net::run::ParamOptimizer;
use teleport_core::net::run::teleport as net_teleport;
use teleport_core::net::train::{NetTrainConfig, NetTrainer};
use teleport_core::net::{Generator, NetStrategy, NetTask};
use teleport_core::objective::{
    Custom, GALLERY, Objective, Preset, TEST_FUNCTIONS, Task, TaskDist, Vec2,
};
use teleport_core::optim::{OptimizerSpec, TeleportSchedule, Trajectory, VecOptimizer, When, run};
use teleport_core::plot::surface::{Camera, SurfacePlot, surface_png, surface_svg};
use teleport_core::plot::{
    LevelSetPlot, LevelSetRow, Orbit, PALETTE, all_cores, level_set_animation, level_set_frames,
};
use teleport_core::symmetry::flow::LevelCurve;
use teleport_core::symmetry::{Strategy, dense_scan, oracle, orbit, teleport};

/// The tasks of `teleport-lab bench core`: 32 of each random family.
fn tasks() -> Vec<Task> {
    let mut tasks = TaskDist::ElliVary.sample_many(11, 32, Default::default());
    tasks.extend(TaskDist::RosVary.sample_many(12, 32, Default::default()));
    tasks
}

/// Hands out the tasks in turn, one per call.
fn cycle<'a>(tasks: &'a [Task]) -> impl FnMut() -> &'a Task {
    let mut i = 0;
    move || {
        let task = &tasks[i % tasks.len()];
        i += 1;
        task
    }
}

fn math(c: &mut Criterion) {
    let tasks = tasks();
    let mut group = c.benchmark_group("math");
    group.bench_function("f + grad f (mixed families)", |b| {
        let mut next = cycle(&tasks);
        b.iter(|| {
            let t = next();
            t.objective.f_grad(black_box(&t.x0))
        });
    });
    group.bench_function("teleport g_theta(x)", |b| {
        let mut next = cycle(&tasks);
        b.iter(|| {
            let t = next();
            teleport(&t.objective, black_box(&t.x0), 0.7)
        });
    });
    group.bench_function("oracle theta* (1e-8 accurate)", |b| {
        let mut next = cycle(&tasks);
        b.iter(|| {
            let t = next();
            oracle(&t.objective, black_box(&t.x0))
        });
    });
    let rosen = Preset::Rosenbrock.objective();
    group.bench_function("oracle theta* on the Rosenbrock preset", |b| {
        b.iter(|| oracle(&rosen, black_box(&Vec2::new(-1.0, -1.0))));
    });
    group.finish();

    // 65536 teleports a call: a few milliseconds, so fewer samples.
    let mut group = c.benchmark_group("baseline");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("dense scan, 65536 angles (1e-4 accurate)", |b| {
        let mut next = cycle(&tasks);
        b.iter(|| {
            let t = next();
            dense_scan(&t.objective, black_box(&t.x0), 65_536)
        });
    });
    group.finish();
}

/// A custom `h` (the gallery's cubic shear), compiled once, beside the
/// closed-form Rosenbrock preset: `f + ∇f`, a 200 × 200 contour grid of
/// `f`, one orbit of 512 points (Newton continuation without `h_inv`, and
/// with it), one oracle search.
fn custom(c: &mut Criterion) {
    let shear = GALLERY[0];
    let newton = Objective::Custom(std::sync::Arc::new(
        Custom::new(shear.h, None)
            .unwrap_or_else(|e| panic!("the gallery's formulas are valid: {e}")),
    ));
    let closed_inverse = shear
        .objective()
        .unwrap_or_else(|e| panic!("the gallery's formulas are valid: {e}"));
    let rosen = Preset::Rosenbrock.objective();
    let x0 = Vec2::from(shear.x0);
    let mut group = c.benchmark_group("custom h");
    for (name, obj) in [
        ("custom (Newton)", &newton),
        ("custom (h_inv)", &closed_inverse),
        ("rosenbrock", &rosen),
    ] {
        group.bench_function(format!("{name}: f + grad f"), |b| {
            b.iter(|| obj.f_grad(black_box(&x0)));
        });
        group.bench_function(format!("{name}: f on a 200x200 grid"), |b| {
            b.iter(|| Grid::of_objective(obj, [-3.0, -2.0], [3.0, 2.0], 200, 200));
        });
        group.bench_function(format!("{name}: orbit of 512 points"), |b| {
            b.iter(|| orbit(obj, black_box(&x0), 512));
        });
        group.bench_function(format!("{name}: oracle theta*"), |b| {
            b.iter(|| oracle(obj, black_box(&x0)));
        });
    }
    group.finish();
}

/// One meta-training run from seed 0 on `elli_vary`: 20 trajectories × 21
/// steps, unroll 5, H = 16 (the paper's run is 500 trajectories at H = 100;
/// `teleport-lab bench train` times that).
fn training(c: &mut Criterion) {
    let mut group = c.benchmark_group("meta-training, 20 trajectories, H = 16");
    group.sample_size(10);
    for variant in Variant::ALL {
        let model = ModelConfig {
            hidden: 16,
            ..ModelConfig::paper(variant)
        };
        let mut config = TrainConfig::paper(&model, TaskDist::ElliVary, 0);
        config.trajectories = 20;
        group.bench_with_input(BenchmarkId::from_parameter(variant), &variant, |b, _| {
            b.iter(|| {
                let mut trainer = Trainer::new(model.clone(), config.clone())
                    .unwrap_or_else(|e| panic!("the benchmark's settings are valid: {e}"));
                trainer.run(|_, _| Control::Continue);
                trainer.progress().last_loss
            });
        });
    }
    group.finish();
}

/// The flow teleport of a typed f on Himmelblau from the gallery's x₀
/// (f = 375, the level curve around all four minima): following the curve
/// once (the period) and the teleport to one θ, the oracle, the 241-point
/// `‖∇f‖(θ)` curve and one jet (with the shear quadrature), each from a
/// fresh curve (the per-thread cache of `symmetry` is bypassed); and a
/// which-minimum basin map, 128² starts × 50 GD steps, on one thread and
/// on two.
fn flow(c: &mut Criterion) {
    let entry = &TEST_FUNCTIONS[0];
    let obj = entry
        .objective()
        .unwrap_or_else(|e| panic!("the gallery's formulas are valid: {e}"));
    let Objective::Formula(f) = &obj else {
        panic!("a gallery entry is a typed f");
    };
    let x0 = Vec2::from(entry.x0);
    let curve = |x: &Vec2| {
        LevelCurve::new(Arc::clone(f), *x).unwrap_or_else(|e| panic!("the curve closes: {e}"))
    };
    let mut group = c.benchmark_group("flow teleport (Himmelblau)");
    group.bench_function("period + g_theta(x)", |b| {
        b.iter(|| curve(black_box(&x0)).at(1.0));
    });
    group.bench_function("oracle theta*", |b| {
        b.iter(|| curve(black_box(&x0)).oracle());
    });
    group.bench_function("grad-norm curve, 241 points", |b| {
        b.iter(|| curve(black_box(&x0)).grad_norm_curve(240));
    });
    group.bench_function("jet (period, shear, g_theta)", |b| {
        b.iter(|| curve(black_box(&x0)).jet(1.0));
    });
    group.finish();

    let mut group = c.benchmark_group("basin");
    group.sample_size(10);
    let gd = AnyOptimizer::Classical {
        name: "GD".into(),
        spec: OptimizerSpec::Gd { lr: 0.01 },
        teleport: None,
    };
    let grid = BasinGrid {
        x: (entry.view[0][0], entry.view[1][0]),
        y: (entry.view[0][1], entry.view[1][1]),
        n: 128,
    };
    let cancel = AtomicBool::new(false);
    group.bench_function(
        "which minimum, 128x128 starts x 50 GD steps (Himmelblau)",
        |b| {
            b.iter(|| basin(&gd, &obj, black_box(&grid), 50, 1e-6, &cancel));
        },
    );
    group.bench_function("the same on 2 threads", |b| {
        b.iter(|| basin_pooled(&gd, &obj, black_box(&grid), 50, 1e-6, &cancel, 2));
    });
    group.finish();
}

/// The demo's playback: GD, GD + oracle teleport (every 5 steps) and
/// momentum on the fixed ellipse from x₀ = (−5, 3.5), one plot per step
/// (each row up to that step, GD + teleport's point with its orbit), at
/// 1280 × 800.
fn demo_playback(steps: usize) -> Vec<LevelSetPlot> {
    let obj = Preset::ElliFixed.objective();
    let x0 = Vec2::new(-5.0, 3.5);
    let oracle_every = TeleportSchedule {
        strategy: Strategy::Oracle,
        when: When::Every(5),
    };
    let runs: Vec<(&str, Trajectory)> = vec![
        (
            "GD",
            run(&obj, x0, steps, OptimizerSpec::Gd { lr: 0.05 }, None),
        ),
        (
            "GD + oracle teleport",
            run(
                &obj,
                x0,
                steps,
                OptimizerSpec::Gd { lr: 0.05 },
                Some(&oracle_every),
            ),
        ),
        (
            "momentum",
            run(
                &obj,
                x0,
                steps,
                OptimizerSpec::Momentum {
                    lr: 0.02,
                    beta: 0.8,
                },
                None,
            ),
        ),
    ];
    let mut base = LevelSetPlot::new(obj.clone(), (-6.5, 6.5), (-4.5, 4.5));
    (base.width, base.height) = (1280, 800);
    base.x0 = Some([x0.x, x0.y]);
    base.minimizer = Some([0.0, 0.0]);
    (0..=steps)
        .map(|step| {
            let mut plot = base.clone();
            for (k, (name, run)) in runs.iter().enumerate() {
                plot.rows.push(LevelSetRow::from_trajectory_until(
                    *name, PALETTE[k], run, step,
                ));
            }
            if let Some(rec) = runs[1].1.records.get(step) {
                let x = Vec2::from(rec.x);
                plot.current = Some(Orbit {
                    point: rec.x,
                    ring: orbit(&obj, &x, 256).iter().map(|p| [p.x, p.y]).collect(),
                    image: None,
                });
            }
            plot
        })
        .collect()
}

/// The 3D surface of the fixed ellipse at 1200 × 900 with 64² facets and
/// the demo's last frame (three rows, the orbit, markers).
fn surface(c: &mut Criterion) {
    let last = demo_playback(20)
        .pop()
        .unwrap_or_else(|| panic!("21 frames"));
    let mut plot = SurfacePlot::from_level_set(&last);
    (plot.width, plot.height) = (1200, 900);
    let mesh = plot
        .mesh()
        .unwrap_or_else(|e| panic!("the demo's surface is valid: {e}"));
    let scene = plot.scene_on(&mesh);
    let mut group = c.benchmark_group("surface 64x64, 1200x900");
    group.bench_function("mesh (f on the grid, colours, contours)", |b| {
        b.iter(|| plot.mesh());
    });
    let mut azimuth = 0.0;
    group.bench_function("scene on a kept mesh (a camera move)", |b| {
        b.iter(|| {
            azimuth += 7.0;
            let camera = Camera {
                azimuth_deg: azimuth,
                ..plot.camera
            };
            plot.scene_with_camera(&mesh, camera)
        });
    });
    group.bench_function("mesh + scene", |b| b.iter(|| plot.scene()));
    group.bench_function("PNG of a scene", |b| b.iter(|| surface_png(&scene)));
    group.bench_function("SVG of a scene", |b| b.iter(|| surface_svg(&scene)));
    group.bench_function("PNG from the plot (mesh, scene, PNG)", |b| {
        b.iter(|| plot.to_png())
    });
    group.finish();
}

/// The demo's 20-step playback (21 frames, each shown for two frames at
/// 4 fps) as a GIF on every core, and its frames alone.
fn animation(c: &mut Criterion) {
    let plots = demo_playback(20);
    let mut delays = vec![500; plots.len()];
    if let Some(last) = delays.last_mut() {
        *last += 1500;
    }
    let threads = all_cores();
    let mut group = c.benchmark_group("animation, 20 steps x 3 rows, 1280x800");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function(format!("GIF, {threads} threads"), |b| {
        b.iter(|| level_set_animation(&plots, &delays, AnimFormat::Gif, threads));
    });
    // The same playback with each step as two frames of 250 ms.
    let doubled: Vec<LevelSetPlot> = plots.iter().flat_map(|p| [p.clone(), p.clone()]).collect();
    let halves = vec![250; doubled.len()];
    group.bench_function(
        format!("GIF of 42 frames (each step twice), {threads} threads"),
        |b| {
            b.iter(|| level_set_animation(&doubled, &halves, AnimFormat::Gif, threads));
        },
    );
    group.bench_function(format!("frames only, {threads} threads"), |b| {
        b.iter(|| level_set_frames(&plots, threads));
    });
    group.bench_function("one frame drawn alone (Figure::render)", |b| {
        b.iter(|| plots[10].figure().render());
    });
    group.finish();
}

/// Whole 2D runs of each classical optimizer over the benchmark's tasks
/// (200 steps from each task's start), and a 32 × 32 basin map of GD and
/// Adam on the fixed ellipse: the paths that share the optimizers' update
/// math with the networks' parameter vectors.
fn runs(c: &mut Criterion) {
    let tasks = tasks();
    let mut group = c.benchmark_group("2d runs, 200 steps");
    for spec in [
        OptimizerSpec::Gd { lr: 0.01 },
        OptimizerSpec::Momentum {
            lr: 0.005,
            beta: 0.6,
        },
        OptimizerSpec::adam(0.1),
        OptimizerSpec::Newton { lr: 0.5 },
    ] {
        group.bench_function(spec.kind(), |b| {
            let mut next = cycle(&tasks);
            b.iter(|| {
                let t = next();
                run(&t.objective, black_box(t.x0), 200, spec, None)
            });
        });
    }
    group.finish();
    let mut group = c.benchmark_group("basin 32x32, 50 steps");
    group.sample_size(10);
    let obj = Preset::ElliFixed.objective();
    let grid = BasinGrid {
        x: (-6.0, 6.0),
        y: (-4.0, 4.0),
        n: 32,
    };
    for spec in [OptimizerSpec::Gd { lr: 0.05 }, OptimizerSpec::adam(0.3)] {
        let opt = AnyOptimizer::Classical {
            name: spec.label(),
            spec,
            teleport: None,
        };
        group.bench_function(spec.kind(), |b| {
            b.iter(|| {
                basin(
                    &opt,
                    &obj,
                    black_box(&grid),
                    50,
                    1e-6,
                    &AtomicBool::new(false),
                )
            });
        });
    }
    group.finish();
}

/// The learning-rate sweep of the app's six default classical rows (GD,
/// momentum, Adam, Newton, GD + oracle and GD + ascent teleports every 5
/// steps) on the fixed ellipse from (−5, 3.5): 24 rates of each row's
/// default range, 200 steps each, on one thread and on two.
fn tune(c: &mut Criterion) {
    use teleport_core::tune::{RateRange, sweep};
    let task = Task {
        objective: Preset::ElliFixed.objective(),
        x0: Vec2::new(-5.0, 3.5),
    };
    let every5 = |strategy| {
        Some(TeleportSchedule {
            strategy,
            when: When::Every(5),
        })
    };
    let gd = OptimizerSpec::Gd { lr: 0.05 };
    let rows: Vec<AnyOptimizer> = [
        (gd, None),
        (
            OptimizerSpec::Momentum {
                lr: 0.02,
                beta: 0.6,
            },
            None,
        ),
        (OptimizerSpec::adam(0.3), None),
        (OptimizerSpec::Newton { lr: 1.0 }, None),
        (gd, every5(Strategy::Oracle)),
        (
            gd,
            every5(Strategy::Ascent {
                theta0: 0.0,
                lr: 1e-3,
                iters: 10,
            }),
        ),
    ]
    .into_iter()
    .map(|(spec, teleport)| AnyOptimizer::Classical {
        name: spec.label(),
        spec,
        teleport,
    })
    .collect();
    let never = AtomicBool::new(false);
    let mut group = c.benchmark_group("tune");
    group.sample_size(20);
    for threads in [1, 2] {
        group.bench_function(
            format!("24 rates x 6 classical rows x 200 steps, {threads} thread(s)"),
            |b| {
                b.iter(|| {
                    rows.iter()
                        .map(|row| {
                            let AnyOptimizer::Classical { spec, .. } = row else {
                                return None;
                            };
                            let rates = RateRange::default_for(spec);
                            let task = std::slice::from_ref(&task);
                            sweep(row, None, task, 200, &rates, threads, &never)
                                .ok()?
                                .best_lr()
                        })
                        .collect::<Vec<_>>()
                });
            },
        );
    }
    group.finish();
}

/// The network core on 2-16-1 (LeakyReLU 0.1) and 200 `moons` points:
/// one full-batch GD step (loss, backprop, update), one oracle teleport
/// (backprop, the search, the rescaling) and the decision function on a
/// 128 × 128 grid.
fn networks(c: &mut Criterion) {
    let data = Generator::Moons
        .generate(200, 0.1, 3)
        .unwrap_or_else(|e| panic!("valid settings: {e}"));
    let mlp = Mlp::new(&[16], Activation::LeakyRelu { slope: 0.1 })
        .unwrap_or_else(|e| panic!("valid settings: {e}"));
    let task = NetTask::new(Arc::new(data), mlp, 5);
    let mut group = c.benchmark_group("mlp 2-16-1, 200 points");
    group.bench_function("GD step", |b| {
        let mut ws = task.workspace();
        let mut params = task.init.clone();
        let mut grad = vec![0.0; params.len()];
        let mut opt = VecOptimizer::new(OptimizerSpec::Gd { lr: 0.5 }, params.len())
            .unwrap_or_else(|e| panic!("GD is first-order: {e}"));
        b.iter(|| {
            let fit = task.fit_grad(black_box(&params), &mut ws, &mut grad);
            opt.step(&mut params, &grad);
            fit.f
        });
    });
    group.bench_function("oracle teleport", |b| {
        b.iter(|| {
            let mut params = task.init.clone();
            net_teleport(&task, black_box(&mut params), &NetStrategy::ORACLE)
        });
    });
    group.bench_function("probability grid 128x128", |b| {
        b.iter(|| {
            task.mlp
                .probability_grid(black_box(&task.init), [-1.5, -1.0], [2.5, 1.5], 128, 128)
        });
    });
    // One step of each coordinate-wise learned optimizer on the 65
    // parameters (the LSTM over every coordinate, the update, the
    // teleport and the new gradient): what evaluation runs.
    for variant in CwVariant::ALL {
        let model = Arc::new(CwModel::<f32>::init(CwConfig::new(variant), 0));
        group.bench_function(format!("{variant} step"), |b| {
            let mut ws = task.workspace();
            let mut params = task.init.clone();
            let mut grad = vec![0.0; params.len()];
            let mut opt = CwOptimizer::new(Arc::clone(&model), params.len());
            let mut fit = task.fit_grad(&params, &mut ws, &mut grad);
            b.iter(|| {
                opt.step(&mut params, &grad, fit.f);
                fit = task.fit_grad(black_box(&params), &mut ws, &mut grad);
                if opt.teleport_after_step(&task.mlp, &mut params, &grad) {
                    fit = task.fit_grad(&params, &mut ws, &mut grad);
                }
                // Start again before the untrained optimizer wanders off.
                if !fit.f.is_finite() || fit.f > 10.0 {
                    params.clone_from(&task.init);
                    opt = CwOptimizer::new(Arc::clone(&model), params.len());
                    fit = task.fit_grad(&params, &mut ws, &mut grad);
                }
                fit.f
            });
        });
    }
    group.finish();
    // Meta-training of the coordinate-wise optimizers: 20 trajectories of
    // the default configuration (100 steps, unroll 20, H = 20, 2-16-1 on
    // 200 points); the default run is 1000 of them (`cargo bench --bench
    // net_l2o` times it whole).
    let mut group = c.benchmark_group("network meta-training, 20 trajectories");
    group.sample_size(10);
    for variant in CwVariant::ALL {
        group.bench_function(variant.name(), |b| {
            b.iter(|| {
                let mut config = NetTrainConfig::new(0);
                config.trajectories = 20;
                let mut trainer = NetTrainer::new(CwConfig::new(variant), config)
                    .unwrap_or_else(|e| panic!("the benchmark's settings are valid: {e}"));
                trainer.run(|_, _| Control::Continue);
                trainer.progress().last_loss
            });
        });
    }
    group.finish();
}

criterion_group!(
    benches, math, custom, training, runs, tune, networks, flow, surface, animation
);
criterion_main!(benches);
