//! The command line on networks: `train --net-variant`, `train --task` of
//! a network lab file, and `eval` of a lab file that runs the weights.
#![allow(clippy::unwrap_used, reason = "test helpers panic on setup failures")]

mod common;

use std::process::{Command, Output};

use common::{success_stdout, temp_dir, write_file};
use teleport_core::net::learned::CwVariant;

const BIN: &str = env!("CARGO_BIN_EXE_teleport-lab");

fn teleport_lab(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

/// Fails unless `out` exited 2 with one line on standard error holding
/// every one of `expect`.
fn assert_refused(out: &Output, expect: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for e in expect {
        assert!(stderr.contains(e), "{e:?} not in {stderr}");
    }
}

/// A network lab file with a GD row and a learned row of `weights`.
fn lab(weights: &str, variant: &str) -> String {
    format!(
        r#"{{
  "version": 2,
  "objective": {{"family": "mlp", "dataset": {{"kind": "xor", "points": 50, "seed": 1}},
                "hidden": [4, 3], "activation": "relu", "init_seed": 2}},
  "steps": 10,
  "optimizers": [
    {{"kind": "gd", "lr": 0.5}},
    {{"kind": "learned", "variant": "{variant}", "weights": "{weights}"}}
  ]
}}"#
    )
}

#[test]
fn train_net_variant_writes_weights_that_a_lab_file_runs() {
    let dir = temp_dir("train-net");
    let out = dir.join("w.safetensors");
    let args = |out: &str| {
        vec![
            "train",
            "--net-variant",
            "cw-l2o-tele",
            "--trajectories",
            "3",
            "--steps",
            "10",
            "--unroll",
            "5",
            "--hidden",
            "6",
            "--seed",
            "4",
            "--out",
        ]
        .into_iter()
        .map(str::to_owned)
        .chain([out.to_owned()])
        .collect::<Vec<_>>()
    };
    let run = |out: &std::path::Path| {
        let a = args(out.to_str().unwrap());
        teleport_lab(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let stdout = success_stdout(&run(&out));
    assert!(stdout.contains("trained cw-l2o-tele"), "{stdout}");
    let (model, info) = teleport_core::io::net_weights::load(&out).unwrap();
    assert_eq!(model.variant(), CwVariant::CwL2oTele);
    assert_eq!(model.config().hidden, 6);
    assert_eq!(info.trajectories_trained, 3);
    assert_eq!(info.train.as_ref().unwrap().seed, 4);
    // The same seed gives the same weights, byte for byte.
    let again = dir.join("again.safetensors");
    success_stdout(&run(&again));
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&again).unwrap());
    // A lab file beside the weights runs them, as the core runs them.
    let path = write_file(&dir, "net.json", lab("w.safetensors", "cw-l2o-tele"));
    let text = success_stdout(&teleport_lab(&["eval", "--scene", path.to_str().unwrap()]));
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["dataset"]["x"].as_array().unwrap().len(), 50);
    let runs = json["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    let learned = runs[1]["trajectory"].as_array().unwrap();
    assert_eq!(learned.len(), 11);
    let loaded = match teleport_core::io::lab::load(&path).unwrap() {
        teleport_core::io::lab::AnyScene::Net(lab) => lab,
        _ => panic!("not a network lab file"),
    };
    let direct = std::sync::Arc::new(model).run(&loaded.task, 10);
    for (printed, record) in learned.iter().zip(&direct.records) {
        assert_eq!(printed["f"].as_f64().unwrap(), record.f);
        assert_eq!(printed["teleported"].as_bool().unwrap(), record.teleported);
    }
    let csv = success_stdout(&teleport_lab(&[
        "eval",
        "--scene",
        path.to_str().unwrap(),
        "--format",
        "csv",
    ]));
    assert!(
        csv.starts_with("name,t,f,grad_norm,accuracy,teleported\n"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 1 + 2 * 11);
    // A weights file of the wrong variant is refused, naming the row.
    let wrong = write_file(&dir, "wrong.json", lab("w.safetensors", "cw-l2o"));
    assert_refused(
        &teleport_lab(&["eval", "--scene", wrong.to_str().unwrap()]),
        &["optimizers[1].weights", "cw-l2o-tele"],
    );
}

#[test]
fn train_task_of_a_network_lab_file_trains_on_networks_like_it() {
    let dir = temp_dir("train-net-task");
    let out = dir.join("w.safetensors");
    let out_s = out.to_str().unwrap();
    let gd_only = write_file(
        &dir,
        "gd.json",
        lab("none.safetensors", "cw-l2o").replace(
            r#",
    {"kind": "learned", "variant": "cw-l2o", "weights": "none.safetensors"}"#,
            "",
        ),
    );
    // Without --net-variant the file says which flag it needs.
    let plain = teleport_lab(&["train", "--task", gd_only.to_str().unwrap(), "--out", out_s]);
    assert_refused(&plain, &["--net-variant", "cw-l2o-tele"]);
    assert!(!out.exists());
    let stdout = success_stdout(&teleport_lab(&[
        "train",
        "--net-variant",
        "cw-l2o",
        "--task",
        gd_only.to_str().unwrap(),
        "--trajectories",
        "2",
        "--steps",
        "6",
        "--unroll",
        "3",
        "--hidden",
        "4",
        "--out",
        out_s,
    ]));
    assert!(stdout.contains("xor, 50 points"), "{stdout}");
    let (_, info) = teleport_core::io::net_weights::load(&out).unwrap();
    let dist = info.train.unwrap().dist;
    assert_eq!(dist.hidden, vec![4, 3]);
    assert_eq!(dist.kinds, vec![teleport_core::net::data::Generator::Xor]);
    assert_eq!(dist.points, 50);
    assert_eq!(dist.slope, None);
    // A plane task with --net-variant, plane flags with it, two meta
    // learning rates, an unknown variant: refused before training.
    let plane = write_file(
        &dir,
        "plane.json",
        r#"{"objective": {"family": "ellipse", "A": [[1, 0], [0, 2]], "b": [0, 0]},
            "x0": [1, 1], "steps": 5, "optimizer": {"kind": "gd", "lr": 0.1}}"#,
    );
    let cases: [(&[&str], &[&str]); 4] = [
        (
            &["--net-variant", "cw-l2o", "--task", plane.to_str().unwrap()],
            &["drop --net-variant"],
        ),
        (
            &["--net-variant", "cw-l2o", "--dist", "elli_vary"],
            &["--dist"],
        ),
        (
            &["--net-variant", "cw-l2o", "--meta-lr", "0.1,0.2"],
            &["--meta-lr", "one rate"],
        ),
        (&["--net-variant", "cw-l2o-big"], &["cw-l2o-big"]),
    ];
    for (extra, expect) in cases {
        let fresh = dir.join("never.safetensors");
        let mut args = vec!["train", "--out", fresh.to_str().unwrap()];
        args.extend_from_slice(extra);
        assert_refused(&teleport_lab(&args), expect);
        assert!(!fresh.exists());
    }
}
