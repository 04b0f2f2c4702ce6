//! The networks' coordinate-wise learned optimizers: the teleporting
//! variant keeps `f` and moves along the steepest direction of `‖∇f‖²`
//! (checked against finite differences of the network's own gradient),
//! training is seeded and lowers the held-out loss, the trainer is driven
//! like the 2D one, and weights files round-trip while hostile ones are
//! refused in one line.
#![allow(clippy::unwrap_used, reason = "tests panic on failure")]

mod common;

use std::sync::Arc;

use serde_json::{Value, json};
use teleport_core::io::net_weights::{self, NetWeightsInfo};
use teleport_core::io::weights::{self, WeightsError};
use teleport_core::l2o::{Control, MetaOptimizer, MetaTrain, ModelConfig, Progress, Variant};
use teleport_core::net::learned::{CwConfig, CwModel, CwOptimizer, CwVariant};
use teleport_core::net::mlp::{Activation, Mlp};
use teleport_core::net::rescale::{DEFAULT_MAX_LOG_SCALE, rescale};
use teleport_core::net::run::{ParamOptimizer, norm, run_with};
use teleport_core::net::train::{
    NetTaskDist, NetTrainConfig, NetTrainer, median_final_loss_learned, validation_tasks,
};
use teleport_core::net::{Generator, NetTask};
use teleport_core::optim::When;

use common::temp_dir;

fn moons(points: usize, hidden: &[usize], init_seed: u64) -> NetTask {
    let data = Generator::Moons.generate(points, 0.1, 4).unwrap();
    let mlp = Mlp::new(hidden, Activation::LeakyRelu { slope: 0.1 }).unwrap();
    NetTask::new(Arc::new(data), mlp, init_seed)
}

/// `‖∇f‖²` at `params` rescaled by `s`, from a fresh backward pass.
fn grad_norm_sq_at(task: &NetTask, params: &[f64], s: &[f64]) -> f64 {
    let mut moved = vec![0.0; params.len()];
    rescale(&task.mlp, params, s, &mut moved);
    let mut ws = task.workspace();
    let mut grad = vec![0.0; params.len()];
    task.fit_grad(&moved, &mut ws, &mut grad);
    norm(&grad).powi(2)
}

/// Every teleport of an untrained `cw-l2o-tele` keeps `f` to 1e−9; its
/// log-scales, read back from the parameters, are `a·d̂` with `|a| < S`
/// and `d̂` the steepest direction of `‖∇f‖²` along the orbit, found here
/// by central differences of the network's own gradient norm; and `‖∇f‖`
/// rises whenever `a > 0`.
#[test]
fn the_teleporting_variant_keeps_f_and_follows_the_steepest_direction() {
    let task = moons(80, &[6], 7);
    let (mlp, p) = (&task.mlp, task.mlp.num_params());
    let units = mlp.num_hidden_units();
    let mut checked = 0;
    for seed in [1, 2, 3] {
        let model = Arc::new(CwModel::<f32>::init(
            CwConfig::new(CwVariant::CwL2oTele),
            seed,
        ));
        let mut opt = CwOptimizer::new(model, p);
        let mut ws = task.workspace();
        let mut params = task.init.clone();
        let mut grad = vec![0.0; p];
        let mut fit = task.fit_grad(&params, &mut ws, &mut grad);
        for _ in 0..20 {
            opt.step(&mut params, &grad, fit.f);
            fit = task.fit_grad(&params, &mut ws, &mut grad);
            let before = params.clone();
            let (f_before, norm_before) = (fit.f, norm(&grad));
            // The steepest direction by central differences of ‖∇f(D_s θ)‖².
            let eps = 1e-6;
            let fd: Vec<f64> = (0..units)
                .map(|u| {
                    let mut s = vec![0.0; units];
                    s[u] = eps;
                    let up = grad_norm_sq_at(&task, &before, &s);
                    s[u] = -eps;
                    (up - grad_norm_sq_at(&task, &before, &s)) / (2.0 * eps)
                })
                .collect();
            assert!(opt.teleport_after_step(mlp, &mut params, &grad));
            fit = task.fit_grad(&params, &mut ws, &mut grad);
            assert!(
                (fit.f - f_before).abs() <= 1e-9,
                "f moved by {:e} at a teleport",
                fit.f - f_before
            );
            // Layer 0's weights W[j, i] are rescaled by e^{s_j}.
            let s: Vec<f64> = (0..units)
                .map(|j| (params[2 * j] / before[2 * j]).ln())
                .collect();
            let top = (0..units)
                .max_by(|&a, &b| fd[a].abs().total_cmp(&fd[b].abs()))
                .unwrap();
            let largest = fd[top].abs();
            let amount = s[top] / (fd[top] / largest);
            assert!(amount.abs() < DEFAULT_MAX_LOG_SCALE && amount != 0.0);
            for u in 0..units {
                let want = amount * fd[u] / largest;
                assert!(
                    (s[u] - want).abs() <= 1e-5 * amount.abs().max(1e-3),
                    "unit {u}: log-scale {} vs a·d̂ = {want}",
                    s[u]
                );
            }
            if amount > 0.0 {
                assert!(norm(&grad) > norm_before);
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 60);
}

/// The rollout that meta-training runs (in f64 here) keeps `f` at its
/// teleports too, and reports the change of `‖∇f‖²` that a backward pass
/// at the teleported point gives.
#[test]
fn the_training_rollout_keeps_f_at_every_teleport() {
    let task = moons(60, &[5, 4], 2);
    let model = CwModel::<f64>::init(CwConfig::new(CwVariant::CwL2oTele), 9);
    let mut ws = task.workspace();
    let mut roll = model.start(&task, &mut ws);
    for _ in 0..30 {
        let before = roll.params.clone();
        let step = model.step(&task, &mut ws, &mut roll, None);
        let s = step.log_scales.clone().unwrap();
        assert!(s.iter().all(|v| v.abs() < DEFAULT_MAX_LOG_SCALE));
        assert!((step.f - step.f_updated).abs() <= 1e-9);
        // Undoing the teleport gives the updated point, whose ‖∇f‖² the
        // step reported.
        let minus: Vec<f64> = s.iter().map(|v| -v).collect();
        let updated = grad_norm_sq_at(&task, &roll.params, &minus);
        assert!((updated - step.grad_norm_sq_updated).abs() <= 1e-9 * updated);
        assert_ne!(before, roll.params);
    }
}

fn tiny_training(seed: u64) -> NetTrainConfig {
    NetTrainConfig {
        trajectories: 6,
        steps: 12,
        unroll: 4,
        dist: NetTaskDist {
            points: 40,
            hidden: vec![4],
            ..NetTaskDist::default()
        },
        ..NetTrainConfig::new(seed)
    }
}

fn bits(model: &CwModel<f32>) -> Vec<u32> {
    model.net().params().iter().map(|v| v.to_bits()).collect()
}

fn train(variant: CwVariant, config: NetTrainConfig) -> CwModel<f32> {
    let mut trainer = NetTrainer::new(
        CwConfig {
            hidden: 8,
            ..CwConfig::new(variant)
        },
        config,
    )
    .unwrap();
    trainer.run(|_, _| Control::Continue);
    trainer.into_model()
}

#[test]
fn the_same_seed_trains_the_same_weights_bit_for_bit() {
    for variant in CwVariant::ALL {
        let a = train(variant, tiny_training(3));
        let b = train(variant, tiny_training(3));
        assert_eq!(bits(&a), bits(&b), "{variant}");
        let c = train(variant, tiny_training(4));
        assert_ne!(bits(&a), bits(&c), "{variant}");
        // Training moved the weights.
        let init = CwModel::<f32>::init(a.config().clone(), 3);
        assert_ne!(bits(&a), bits(&init), "{variant}");
    }
}

/// A short training lowers the median held-out loss after the horizon it
/// trained for well below the untrained optimizer's, for both variants.
#[test]
fn training_lowers_the_held_out_loss() {
    for variant in CwVariant::ALL {
        let config = NetTrainConfig {
            trajectories: 60,
            steps: 30,
            unroll: 10,
            dist: NetTaskDist {
                points: 60,
                ..NetTaskDist::default()
            },
            ..NetTrainConfig::new(5)
        };
        let dist = config.dist.clone();
        let untrained = Arc::new(CwModel::<f32>::init(CwConfig::new(variant), 5));
        let mut trainer = NetTrainer::new(CwConfig::new(variant), config).unwrap();
        trainer.run(|_, _| Control::Continue);
        assert_eq!(trainer.progress().meta_updates, 60 * 3);
        let trained = Arc::new(trainer.into_model());
        let tasks: Vec<NetTask> = validation_tasks(&dist).into_iter().take(12).collect();
        let before = median_final_loss_learned(&untrained, &tasks, 30);
        let after = median_final_loss_learned(&trained, &tasks, 30);
        eprintln!("{variant}: held-out median f_30 {before:.4} untrained, {after:.4} trained");
        assert!(after < 0.5 * before, "{variant}: {after} vs {before}");
    }
}

/// What the app's training thread does with either trainer: train until
/// told to stop, keeping the progress and the last finite weights.
fn drive<T: MetaTrain>(trainer: &mut T, updates: usize) -> (Progress, bool) {
    let mut kept = None;
    trainer.run_all(|progress, model| {
        if T::model_is_finite(model) {
            kept = Some(model.clone());
        }
        if progress.meta_updates >= updates {
            Control::Stop
        } else {
            Control::Continue
        }
    });
    (trainer.progress().clone(), kept.is_some())
}

#[test]
fn both_trainers_are_driven_alike() {
    let mut net = NetTrainer::new(CwConfig::new(CwVariant::CwL2o), tiny_training(1)).unwrap();
    let (progress, kept) = drive(&mut net, 5);
    assert!(kept);
    assert_eq!(progress.meta_updates, 5);
    assert_eq!(progress.trajectories_total, 6);
    assert_eq!(progress.loss_history.len(), progress.trajectories_done);
    let info = net.weights_info();
    assert_eq!(info.trajectories_trained, progress.trajectories_done);
    assert_eq!(info.train, Some(tiny_training(1)));
    let model = ModelConfig {
        hidden: 4,
        ..ModelConfig::paper(Variant::L2o)
    };
    let mut train = teleport_core::l2o::TrainConfig::paper(
        &model,
        teleport_core::objective::TaskDist::ElliFixed,
        1,
    );
    train.trajectories = 3;
    let mut plane = teleport_core::l2o::Trainer::new(model, train).unwrap();
    let (progress, kept) = drive(&mut plane, 5);
    assert!(kept);
    assert_eq!(progress.meta_updates, 5);
}

#[test]
fn bad_training_settings_are_refused_in_one_line() {
    let refusal = |edit: &dyn Fn(&mut NetTrainConfig)| {
        let mut config = NetTrainConfig::new(0);
        edit(&mut config);
        let e = NetTrainer::new(CwConfig::new(CwVariant::CwL2o), config)
            .unwrap_err()
            .to_string();
        assert!(!e.contains('\n'), "{e}");
        e
    };
    assert!(refusal(&|c| c.dist.kinds.clear()).contains("`kinds` is empty"));
    assert!(refusal(&|c| c.dist.points = 1).contains("`points` must be 2 to 100000, got 1"));
    assert!(refusal(&|c| c.dist.noise_factor = [2.0, 1.0]).contains("`noise_factor`"));
    assert!(refusal(&|c| c.dist.hidden = vec![]).contains("`hidden` must list"));
    assert!(refusal(&|c| c.unroll = 0).contains("unroll T must be 1 to steps N = 100, got 0"));
    assert!(refusal(&|c| c.meta_lr = f64::NAN).contains("meta learning rate"));
    assert!(refusal(&|c| c.trajectories = 0).contains("trajectories R is 0"));
    let e = NetTrainer::new(
        CwConfig {
            hidden: 0,
            ..CwConfig::new(CwVariant::CwL2o)
        },
        NetTrainConfig::new(0),
    )
    .unwrap_err()
    .to_string();
    assert_eq!(e, "hidden size must be in 1..=256, got 0");
}

// ---- weights files ---------------------------------------------------------

fn trained_info() -> NetWeightsInfo {
    NetWeightsInfo {
        train: Some(tiny_training(3)),
        trajectories_trained: 6,
    }
}

#[test]
fn weights_round_trip_through_bytes_and_files() {
    for variant in CwVariant::ALL {
        let model = train(variant, tiny_training(3));
        let bytes = net_weights::to_bytes(&model, &trained_info());
        assert_eq!(bytes, net_weights::to_bytes(&model, &trained_info()));
        let (back, info) = net_weights::from_bytes(&bytes).unwrap();
        assert_eq!(bits(&back), bits(&model));
        assert_eq!(back.config(), model.config());
        assert_eq!(info, trained_info());
        let dir = temp_dir(&format!("cw-weights-{variant}"));
        let path = dir.join("sub/model.safetensors");
        net_weights::save(&path, &model, &trained_info()).unwrap();
        let (loaded, _) = net_weights::load(&path).unwrap();
        assert_eq!(loaded, model);
        // The file reads as safetensors with the documented names and shapes.
        let text = header(&bytes);
        let meta = &text["__metadata__"];
        assert_eq!(meta["format"], "teleport-lab/cw-meta-optimizer");
        assert_eq!(meta["variant"], variant.name());
        assert_eq!(meta["hidden"], "8");
        assert!(meta["input"].as_str().unwrap().contains("p = 10"));
        assert!(
            meta["dist"]
                .as_str()
                .unwrap()
                .starts_with("moons/circles/xor/gaussians")
        );
        let o = variant.outputs();
        for (name, shape) in [
            ("cw.cell0.weight_ih", json!([32, 2])),
            ("cw.cell0.weight_hh", json!([32, 8])),
            ("cw.cell0.bias", json!([32])),
            ("cw.cell1.weight_ih", json!([32, 8])),
            ("cw.cell1.weight_hh", json!([32, 8])),
            ("cw.cell1.bias", json!([32])),
            ("cw.head.weight", json!([o, 8])),
            ("cw.head.bias", json!([o])),
        ] {
            assert_eq!(text[name]["shape"], shape, "{name}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// The JSON header of a safetensors file.
fn header(bytes: &[u8]) -> Value {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    serde_json::from_slice(&bytes[8..8 + n]).unwrap()
}

/// `bytes` with its header edited and written back (padded to 8 bytes),
/// the tensor data unchanged.
fn edit_header(bytes: &[u8], edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let mut h = header(bytes);
    edit(&mut h);
    let mut text = h.to_string().into_bytes();
    while !text.len().is_multiple_of(8) {
        text.push(b' ');
    }
    let mut out = (text.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(&text);
    out.extend_from_slice(&bytes[8 + n..]);
    out
}

fn set_meta(key: &'static str, value: &'static str) -> impl FnOnce(&mut Value) {
    move |h| h["__metadata__"][key] = json!(value)
}

#[test]
fn hostile_weights_are_refused_in_one_line() {
    let model = train(CwVariant::CwL2oTele, tiny_training(3));
    let good = net_weights::to_bytes(&model, &trained_info());
    let n = u64::from_le_bytes(good[..8].try_into().unwrap()) as usize;
    let data_start = 8 + n;
    let offsets = |name: &str| {
        let o = &header(&good)[name]["data_offsets"];
        (
            o[0].as_u64().unwrap() as usize,
            o[1].as_u64().unwrap() as usize,
        )
    };
    let mut nan = good.clone();
    let (at, _) = offsets("cw.head.bias");
    nan[data_start + at..data_start + at + 4].copy_from_slice(&f32::NAN.to_le_bytes());
    let two_d = weights::to_bytes(
        &MetaOptimizer::<f32>::init(ModelConfig::paper(Variant::L2o), 1),
        &Default::default(),
    )
    .unwrap();
    let mut config = model.config().clone();
    config.hidden = 0;
    let zero_hidden = serde_json::to_string(&config).unwrap();
    let zero_hidden: &'static str = Box::leak(zero_hidden.into_boxed_str());
    let wrong_shape = edit_header(&good, |h| {
        // Claim the head's weight is [4, 4] (the same byte count as [2, 8]).
        h["cw.head.weight"]["shape"] = json!([4, 4]);
    });
    let end = good.len() - data_start;
    let mut extra = edit_header(&good, |h| {
        h["cw.extra"] = json!({"dtype": "F32", "shape": [2], "data_offsets": [end, end + 8]});
    });
    extra.extend_from_slice(&[0; 8]);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "empty",
            Vec::new(),
            "not a safetensors file: the file is empty",
        ),
        (
            "truncated",
            good[..good.len() - 12].to_vec(),
            "not a safetensors file: the tensor data does not match the header",
        ),
        (
            "huge header",
            [&u64::MAX.to_le_bytes()[..], b"{}"].concat(),
            "not a safetensors file: the header claims",
        ),
        (
            "2D weights",
            two_d,
            "not teleport-lab weights: format is `teleport-lab/meta-optimizer`, expected `teleport-lab/cw-meta-optimizer` (these are a 2D optimizer's weights",
        ),
        (
            "version",
            edit_header(&good, set_meta("format_version", "2")),
            "not teleport-lab weights: format version `2` is not supported",
        ),
        (
            "no metadata",
            edit_header(&good, |h| {
                h.as_object_mut().unwrap().remove("__metadata__");
            }),
            "not teleport-lab weights: the file has no metadata",
        ),
        (
            "hidden 0",
            edit_header(&good, set_meta("model_config", zero_hidden)),
            "not teleport-lab weights: model_config: hidden size must be in 1..=256, got 0",
        ),
        (
            "model_config not JSON",
            edit_header(&good, set_meta("model_config", "{\"variant\": \"cw-l2o\"")),
            "not teleport-lab weights: model_config:",
        ),
        (
            "a NaN weight",
            nan,
            "tensor `cw.head.bias`: entry 0 is NaN, weights must be finite",
        ),
        (
            "wrong shape",
            wrong_shape,
            "tensor `cw.head.weight`: has shape [4, 4], expected [2, 8]",
        ),
        (
            "extra tensor",
            extra,
            "not teleport-lab weights: expected 8 tensors for variant `cw-l2o-tele`, found 9",
        ),
    ];
    for (what, bytes, want) in cases {
        let e = net_weights::from_bytes(&bytes).unwrap_err().to_string();
        assert!(!e.contains('\n'), "{what}: {e}");
        assert!(e.starts_with(want), "{what}:\n got: {e}\nwant: {want}…");
    }
    // Files: a folder and a character device are refused without reading.
    let dir = temp_dir("cw-weights-hostile");
    let e = net_weights::load(&dir).unwrap_err();
    assert!(matches!(e, WeightsError::Read { .. }), "{e:?}");
    assert!(e.to_string().contains("a folder"), "{e}");
    let e = net_weights::load(std::path::Path::new("/dev/zero")).unwrap_err();
    assert!(e.to_string().contains("character device"), "{e}");
    let e = net_weights::load(&dir.join("missing.safetensors")).unwrap_err();
    assert!(matches!(e, WeightsError::Io { .. }), "{e:?}");
    // A 2D loader refuses network weights the same way.
    let e = weights::from_bytes(&good).unwrap_err().to_string();
    assert!(e.contains("expected `teleport-lab/meta-optimizer`"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Every teleport an optimizer makes after its step is recorded as a
/// teleport of the next record, and the run is the same as stepping by
/// hand.
#[test]
fn runs_mark_the_optimizers_own_teleports() {
    let task = moons(50, &[5], 1);
    let model = Arc::new(CwModel::<f32>::init(
        CwConfig {
            teleport: When::At(vec![3, 6]),
            ..CwConfig::new(CwVariant::CwL2oTele)
        },
        4,
    ));
    let run = model.run(&task, 8);
    let teleported: Vec<usize> = run
        .records
        .iter()
        .filter(|r| r.teleported)
        .map(|r| r.t)
        .collect();
    assert_eq!(teleported, [3, 6]);
    let mut opt = CwOptimizer::new(Arc::clone(&model), task.mlp.num_params());
    assert_eq!(run_with(&task, 8, &mut opt, None), run);
    // The plain variant never teleports by itself.
    let plain = Arc::new(CwModel::<f32>::init(CwConfig::new(CwVariant::CwL2o), 4));
    assert!(plain.run(&task, 8).records.iter().all(|r| !r.teleported));
}
