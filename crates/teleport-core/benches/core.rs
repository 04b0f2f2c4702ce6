//! Criterion benchmarks of the library: what `teleport-lab bench core`
//! measures — `f + ∇f`, one teleport, one oracle search, the dense scan the
//! oracle replaces, the oracle on the Rosenbrock preset — on the same 64
//! tasks (32 of `elli_vary`, 32 of `ros_vary`), a small meta-training run
//! of each learned variant, the flow teleport of a typed f (Himmelblau) and
//! a which-minimum basin map.
//!
//! `cargo bench -p teleport-core` runs them (`-- --quick` for a short pass,
//! `-- oracle` for some); `cargo test` does not.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use teleport_core::basin::{BasinGrid, basin, basin_pooled};
use teleport_core::contour::Grid;
use teleport_core::eval::AnyOptimizer;
use teleport_core::l2o::{Control, ModelConfig, TrainConfig, Trainer, Variant};
use teleport_core::objective::{
    Custom, GALLERY, Objective, Preset, TEST_FUNCTIONS, Task, TaskDist, Vec2,
};
use teleport_core::optim::OptimizerSpec;
use teleport_core::symmetry::flow::LevelCurve;
use teleport_core::symmetry::{dense_scan, oracle, orbit, teleport};

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

criterion_group!(benches, math, custom, training, flow);
criterion_main!(benches);
