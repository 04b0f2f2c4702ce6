//! Reliability: atomic saves under a kill, numeric blow-ups for every
//! optimizer, and trainer faults.
#![allow(clippy::unwrap_used, reason = "test setup")]

mod common;

use common::optimizers::every_optimizer;
use common::{temp_dir, write_file};

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use teleport_core::eval::{AnyOptimizer, stats};
use teleport_core::l2o::{Control, MetaOptimizer, ModelConfig, TrainConfig, Trainer, Variant};
use teleport_core::objective::{Objective, Preset, Rosenbrock, TaskDist, Vec2};
use teleport_core::optim::{Stop, TeleportSchedule, When, run};
use teleport_core::symmetry::Strategy;
use teleport_lab::app::trainer::{FaultInjection, Mode, Snapshot, TrainerHandle};

#[test]
fn killing_a_process_mid_write_leaves_the_old_file_intact() {
    let dir = temp_dir("kill");
    let out = dir.join("w.safetensors");
    let bin = env!("CARGO_BIN_EXE_teleport-lab");
    let train = |extra_env: Option<(&str, &str)>| {
        let mut cmd = Command::new(bin);
        cmd.args([
            "train",
            "--variant",
            "l2o",
            "--hidden",
            "8",
            "--trajectories",
            "5",
            "--out",
        ])
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        if let Some((k, v)) = extra_env {
            cmd.env(k, v);
        }
        cmd
    };
    // The old file: a complete, valid weights file.
    assert!(train(None).status().unwrap().success());
    let old = std::fs::read(&out).unwrap();
    assert!(teleport_core::io::weights::from_bytes(&old).is_ok());

    // A second write that pauses halfway through its temporary file; kill it there.
    let mut child = train(Some(("TELEPORT_LAB_TEST_SLOW_WRITE_MS", "20000")))
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let tmp = loop {
        let found = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "tmp"));
        if let Some(p) = found
            && std::fs::metadata(&p).unwrap().len() > 0
        {
            break p;
        }
        assert!(Instant::now() < deadline, "the writer never started");
        std::thread::sleep(Duration::from_millis(20));
    };
    child.kill().unwrap();
    child.wait().unwrap();
    // The old file is untouched and still loads; only a partial temporary remains.
    assert_eq!(std::fs::read(&out).unwrap(), old);
    assert!(teleport_core::io::weights::load(&out).is_ok());
    let partial = std::fs::read(&tmp).unwrap();
    assert!(partial.len() < old.len());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Tasks built so that each optimizer blows up: steep curvature and a large
/// step, or a Rosenbrock valley with a huge step.
fn exploding_tasks() -> Vec<(Objective, Vec2)> {
    vec![
        (Preset::ElliFixed.objective(), Vec2::new(3.0, 2.0)),
        (Preset::Rosenbrock.objective(), Vec2::new(-1.5, 2.0)),
        (
            Objective::Rosenbrock(Rosenbrock::new(0.06, 0.3, -0.07, [0.2, -1.0, 3.0]).unwrap()),
            Vec2::new(0.7, -0.4),
        ),
    ]
}

fn assert_finite_and_stopped(name: &str, traj: &teleport_core::optim::Trajectory, steps: usize) {
    for r in &traj.records {
        assert!(
            r.f.is_finite() && r.x.iter().chain(&r.grad).all(|v| v.is_finite()),
            "{name}: {r:?}"
        );
    }
    if traj.records.len() < steps + 1 {
        let stop = traj
            .stop
            .as_ref()
            .unwrap_or_else(|| panic!("{name}: short run without a stop"));
        let step = match stop {
            Stop::Diverged { step } | Stop::Failed { step, .. } => *step,
        };
        assert!(step <= steps, "{name}: stop at {step}");
    }
    // The CSV export and the statistics stay finite too.
    let s = stats(
        std::slice::from_ref(traj),
        traj.records.len().saturating_sub(1),
    );
    for st in s {
        assert!(
            st.runs == 0 || (st.mean.is_finite() && st.median.is_finite()),
            "{name}: {st:?}"
        );
    }
}

#[test]
fn every_optimizer_stops_cleanly_when_it_blows_up() {
    let huge = every_optimizer(50.0, [50.0, 0.99], 1e5, 1e6, [50.0, 1e6, 0.0]);
    let steps = 5000;
    let mut diverged = 0;
    for (obj, x0) in exploding_tasks() {
        for spec in huge {
            for teleport in [
                None,
                Some(TeleportSchedule {
                    strategy: Strategy::Oracle,
                    when: When::Every(3),
                }),
            ] {
                let traj = run(&obj, x0, steps, spec, teleport.as_ref());
                assert_finite_and_stopped(spec.kind(), &traj, steps);
                diverged += usize::from(matches!(traj.stop, Some(Stop::Diverged { .. })));
            }
        }
    }
    assert!(
        diverged >= 15,
        "only {diverged} runs diverged: the tasks are not hostile enough"
    );
    // Learned optimizers with a learning-rate bound far too large.
    for variant in Variant::ALL {
        let model = MetaOptimizer::<f32>::init(
            ModelConfig {
                hidden: 8,
                max_lr: 1e6,
                ..ModelConfig::paper(variant)
            },
            1,
        );
        let opt = AnyOptimizer::Learned {
            name: variant.name().into(),
            model: std::sync::Arc::new(model),
        };
        for (obj, x0) in exploding_tasks() {
            assert_finite_and_stopped(
                variant.name(),
                &opt.trajectory(&obj, x0 * 100.0, steps),
                steps,
            );
        }
    }
}

#[test]
fn non_finite_meta_gradients_are_skipped_and_counted() {
    // Raw Rosenbrock draws with a 1e6 learning-rate bound overflow often.
    let model = ModelConfig {
        hidden: 8,
        max_lr: 1e12,
        ..ModelConfig::paper(Variant::LrTele)
    };
    let mut config = TrainConfig::paper(&model, TaskDist::RosVary, 0);
    config.sampling = teleport_core::objective::Sampling::Raw;
    config.trajectories = 60;
    let mut trainer = Trainer::new(model, config).unwrap();
    trainer.run(|_, _| Control::Continue);
    let p = trainer.progress();
    assert!(p.skipped_nonfinite > 0, "nothing was skipped: {p:?}");
    assert_eq!(p.trajectories_done, 60);
    assert!(
        trainer
            .model()
            .nets()
            .iter()
            .all(|n| n.params().iter().all(|v| v.is_finite())),
        "skipped updates must leave the weights finite"
    );
}

/// An L2O + teleport model of `hidden` units and the paper's training of
/// it on `elli_vary` tasks from `seed`, `trajectories` long.
fn l2o_tele_training(hidden: usize, seed: u64, trajectories: usize) -> (ModelConfig, TrainConfig) {
    let model = ModelConfig {
        hidden,
        ..ModelConfig::paper(Variant::L2oTele)
    };
    let mut config = TrainConfig::paper(&model, TaskDist::ElliVary, seed);
    config.trajectories = trajectories;
    (model, config)
}

/// The app's trainer for `model` and `config`, from fresh weights and with
/// no injected fault, calling `wake` on each snapshot.
fn spawn_trainer(
    model: &ModelConfig,
    config: &TrainConfig,
    wake: Arc<dyn Fn() + Send + Sync>,
    mode: Mode,
) -> TrainerHandle {
    TrainerHandle::spawn(
        model.clone(),
        config.clone(),
        None,
        wake,
        FaultInjection::default(),
        mode,
    )
    .unwrap()
}

#[test]
fn stopping_the_trainer_thread_joins_it() {
    let (model, config) = l2o_tele_training(64, 0, 10_000_000);
    let wakes = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let w = Arc::clone(&wakes);
    let wake: Arc<dyn Fn() + Send + Sync> = Arc::new(move || {
        w.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    });
    let mut handle = spawn_trainer(&model, &config, wake, Mode::Auto);
    // Wait for the first snapshot, then pause, resume and stop.
    let deadline = Instant::now() + Duration::from_secs(30);
    while wakes.load(std::sync::atomic::Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline, "no snapshot");
        std::thread::sleep(Duration::from_millis(5));
    }
    handle.set_paused(true);
    assert!(handle.is_paused() && handle.is_running());
    handle.set_paused(false);
    let started = Instant::now();
    handle.stop();
    let took = started.elapsed();
    assert!(!handle.is_running());
    eprintln!("stop + join took {took:?}");
    // Dropping a stopped handle is fine, and so is dropping a running one.
    drop(handle);
}

#[test]
fn a_reader_that_stops_early_is_not_a_crash() {
    use std::io::{BufRead as _, BufReader};
    let dir = temp_dir("pipe");
    let scene = write_file(
        &dir,
        "long.json",
        r#"{"objective": {"family": "ellipse", "A": [[0.5, 0.0], [0.0, 3.0]], "b": [0.0, 0.0]},
            "x0": [-5.0, 3.5], "steps": 100000, "optimizer": {"kind": "gd", "lr": 1e-6}}"#,
    );
    // Like `teleport-lab eval … | head -1`.
    let mut child = Command::new(env!("CARGO_BIN_EXE_teleport-lab"))
        .args(["eval", "--format", "csv", "--scene"])
        .arg(&scene)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("t,x0,x1,f"));
    // The reader is dropped here, closing the pipe mid-output.
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The web trains time-sliced on the UI thread; it must learn exactly what
/// the native training thread learns, pause between slices and stop.
#[test]
fn the_time_sliced_trainer_learns_what_the_thread_learns() {
    // Long enough (tens of milliseconds with the core at opt-level 3) that
    // slices of a millisecond take many pumps on any machine.
    let (model, config) = l2o_tele_training(32, 7, 1000);
    let wake: Arc<dyn Fn() + Send + Sync> = Arc::new(|| {});
    let last = |handle: &TrainerHandle, last: &mut Option<Snapshot>| {
        while let Some(s) = handle.take_latest() {
            *last = Some(s);
        }
    };

    // The thread.
    let thread = spawn_trainer(&model, &config, Arc::clone(&wake), Mode::Auto);
    assert!(!thread.is_sliced());
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut threaded = None;
    while threaded.as_ref().is_none_or(|s: &Snapshot| !s.finished) {
        assert!(Instant::now() < deadline, "the thread did not finish");
        last(&thread, &mut threaded);
        std::thread::sleep(Duration::from_millis(2));
    }
    let threaded = threaded.unwrap();

    // Slices of a millisecond: many pumps, with a pause in the middle.
    let mut sliced = spawn_trainer(&model, &config, wake, Mode::Sliced);
    assert!(sliced.is_sliced() && sliced.is_running());
    let mut pumps = 0;
    let mut seen = None;
    while sliced.pump(Duration::from_millis(1)) {
        pumps += 1;
        last(&sliced, &mut seen);
        if pumps == 3 {
            sliced.set_paused(true);
            let before = seen.as_ref().map(|s| s.progress.trajectories_done);
            assert!(
                !sliced.pump(Duration::from_millis(50)),
                "a paused trainer trains"
            );
            last(&sliced, &mut seen);
            assert_eq!(
                seen.as_ref().map(|s| s.progress.trajectories_done),
                before,
                "progress while paused"
            );
            assert!(sliced.is_running(), "paused is not finished");
            sliced.set_paused(false);
        }
        assert!(pumps < 100_000, "the sliced trainer never finished");
    }
    last(&sliced, &mut seen);
    let seen = seen.unwrap();
    assert!(pumps > 3, "one slice did everything ({pumps} pumps)");
    assert!(seen.finished && !sliced.is_running());
    assert_eq!(seen.progress, threaded.progress);
    for (a, b) in seen.model.nets().iter().zip(threaded.model.nets()) {
        let same = a
            .params()
            .iter()
            .zip(b.params())
            .all(|(x, y)| x.to_bits() == y.to_bits());
        assert!(same, "the sliced trainer learned other weights");
    }

    // Stopping a sliced trainer publishes a last, finished snapshot.
    let mut stopped = spawn_trainer(&model, &config, Arc::new(|| {}), Mode::Sliced);
    assert!(stopped.pump(Duration::from_millis(1)));
    stopped.stop();
    let mut end = None;
    last(&stopped, &mut end);
    assert!(end.is_some_and(|s| s.finished && s.progress.trajectories_done < 60));
    assert!(!stopped.is_running() && !stopped.pump(Duration::from_millis(5)));
}
