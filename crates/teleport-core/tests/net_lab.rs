//! Lab files with a network objective: they parse, run, round-trip and
//! print the evaluation contract; bad ones are refused with one clear
//! line naming the field; 2D lab files are read as before.
#![allow(clippy::unwrap_used, reason = "tests panic on failure")]

mod common;

use serde_json::{Value, json};
use teleport_core::io::lab::{AnyScene, from_json, load};
use teleport_core::io::net_lab::{LoadedNetLab, NetLabFile};
use teleport_core::net::data::{Generator, to_csv};
use teleport_core::net::mlp::Activation;
use teleport_core::net::rescale::{DEFAULT_MAX_LOG_SCALE, NetStrategy, Unit};
use teleport_core::net::run::run;
use teleport_core::net::{Mlp, NetSchedule, NetTask};
use teleport_core::optim::{OptimizerSpec, When};

use common::temp_dir;

fn moons_lab() -> Value {
    json!({
        "version": 2,
        "objective": {"family": "mlp",
                      "dataset": {"kind": "moons", "points": 120, "noise": 0.1, "seed": 3},
                      "hidden": [16], "activation": "leaky_relu", "slope": 0.1, "init_seed": 5},
        "steps": 30,
        "optimizers": [
            {"kind": "gd", "lr": 0.5},
            {"kind": "gd", "lr": 0.5, "teleport": {"strategy": "oracle", "at": [10, 25]}},
            {"kind": "adam", "lr": 0.01, "label": "Adam + unit",
             "teleport": {"strategy": "unit", "layer": 0, "unit": 3, "theta": 0.5, "every": 10}},
            {"kind": "momentum", "lr": 0.1, "beta": 0.9, "color": 4, "shown": false,
             "teleport": {"strategy": "ascent", "lr": 0.001, "iters": 5, "at": [3]}}
        ],
        "caption": "Moons, 2-16-1"
    })
}

fn net(value: &Value) -> LoadedNetLab {
    match from_json(&value.to_string(), None).unwrap() {
        AnyScene::Net(lab) => lab,
        other => panic!("not a network lab: {other:?}"),
    }
}

fn refusal(value: &Value) -> String {
    let e = from_json(&value.to_string(), None).unwrap_err().to_string();
    assert!(!e.contains('\n'), "{e}");
    e
}

#[test]
fn a_network_lab_file_loads_its_task_and_rows() {
    let lab = net(&moons_lab());
    assert_eq!(
        *lab.task.data,
        Generator::Moons.generate(120, 0.1, 3).unwrap()
    );
    let mlp = Mlp::new(&[16], Activation::LeakyRelu { slope: 0.1 }).unwrap();
    assert_eq!(lab.task.mlp, mlp);
    assert_eq!(lab.task.init, mlp.init(5));
    let names: Vec<&str> = lab.rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "GD lr=0.5",
            "GD lr=0.5 + teleport (oracle, at 10, 25)",
            "Adam + unit",
            "Momentum lr=0.1 β=0.9 + teleport (ascent 5×0.001, at 3)"
        ]
    );
    assert_eq!(
        lab.rows[1].teleport,
        Some(NetSchedule {
            strategy: NetStrategy::Oracle {
                max_log_scale: DEFAULT_MAX_LOG_SCALE
            },
            when: When::At(vec![10, 25])
        })
    );
    assert_eq!(
        lab.rows[2].teleport.as_ref().unwrap().strategy,
        NetStrategy::Unit {
            unit: Unit { layer: 0, index: 3 },
            theta: 0.5
        }
    );
    // Each row's run is the library's run of its optimizer and schedule.
    let runs = lab.run();
    assert_eq!(runs.len(), 4);
    let direct = run(
        &lab.task,
        30,
        OptimizerSpec::Gd { lr: 0.5 },
        lab.rows[1].teleport.as_ref(),
    )
    .unwrap();
    assert_eq!(runs[1].1, direct);
    assert_eq!(lab.run_threads(3), runs, "threads change nothing");
    let teleported = |i: usize| -> Vec<usize> {
        let steps = runs[i].1.records.iter().filter(|r| r.teleported);
        steps.map(|r| r.t).collect()
    };
    assert_eq!(teleported(0), Vec::<usize>::new());
    assert_eq!(teleported(1), [10, 25]);
    assert_eq!(teleported(2), [10, 20]);
    assert_eq!(teleported(3), [3]);
    // GD at lr 0.5 learns the moons: the loss falls.
    let f = runs[0].1.losses();
    assert!(f[30] < f[0], "{f:?}");
}

#[test]
fn the_eval_contract_holds_the_data_and_every_step_with_its_parameters() {
    let lab = net(&moons_lab());
    let eval = lab.eval();
    let value: Value = serde_json::from_str(&eval.to_json()).unwrap();
    let top: Vec<&String> = value.as_object().unwrap().keys().collect();
    assert_eq!(top, ["dataset", "runs"]);
    let x = value["dataset"]["x"].as_array().unwrap();
    let y = value["dataset"]["y"].as_array().unwrap();
    assert_eq!((x.len(), y.len()), (120, 120));
    for (i, l) in y.iter().enumerate() {
        assert_eq!(l.as_u64().unwrap(), u64::from(lab.task.data.labels()[i]));
    }
    // The numbers are printed so that an exact parser reads them back bit
    // for bit (serde_json's own reader rounds some in its last bit).
    let exact = |v: &Value| -> f64 { v.to_string().parse().unwrap() };
    let printed_points = serde_json::to_string(&eval.dataset.x).unwrap();
    let read: Vec<f64> = printed_points
        .split([',', '[', ']'])
        .filter(|t| !t.is_empty())
        .map(|t| t.parse().unwrap())
        .collect();
    let want: Vec<f64> = lab.task.data.points().concat();
    assert_eq!(read, want);
    let runs = value["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 4);
    assert_eq!(runs[2]["name"], "Adam + unit");
    for run in runs {
        let steps = run["trajectory"].as_array().unwrap();
        assert_eq!(steps.len(), 31);
        assert!(run.get("stop").is_none());
        for (t, step) in steps.iter().enumerate() {
            // (serde_json's map sorts the keys.)
            let keys: Vec<&String> = step.as_object().unwrap().keys().collect();
            assert_eq!(
                keys,
                ["accuracy", "f", "grad_norm", "params", "t", "teleported"]
            );
            assert_eq!(step["t"].as_u64().unwrap(), t as u64);
            assert_eq!(step["params"].as_array().unwrap().len(), 4 * 16 + 1);
        }
    }
    // The records are the runs'.
    let first = &lab.run()[1].1.records[10];
    let printed = &runs[1]["trajectory"][10];
    assert!(printed["teleported"].as_bool().unwrap());
    assert!((exact(&printed["f"]) - first.f).abs() <= 1e-15 * first.f);
    let text = serde_json::to_string(&eval.runs[1].trajectory[10]).unwrap();
    assert!(
        text.starts_with(r#"{"t":10,"f":"#),
        "in the contract's order: {text}"
    );
    let record: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(record, *printed);
    let params_text = serde_json::to_string(&eval.runs[1].trajectory[10].params).unwrap();
    let params: Vec<f64> = params_text
        .trim_matches(['[', ']'])
        .split(',')
        .map(|t| t.parse().unwrap())
        .collect();
    assert_eq!(params, first.params);

    let csv = eval.to_csv();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "name,t,f,grad_norm,accuracy,teleported");
    assert_eq!(lines.len(), 1 + 4 * 31);
    assert!(lines[11].starts_with("GD lr=0.5,10,"), "{}", lines[11]);
    // A name with a comma is quoted.
    assert!(
        lines[32 + 10].starts_with("\"GD lr=0.5 + teleport (oracle, at 10, 25)\",10,"),
        "{}",
        lines[42]
    );
    assert!(lines[42].ends_with(",true"));
}

#[test]
fn network_lab_files_round_trip() {
    let lab = net(&moons_lab());
    let text = serde_json::to_string_pretty(&lab.lab).unwrap();
    let again = net(&serde_json::from_str(&text).unwrap());
    assert_eq!(again.lab, lab.lab);
    // Defaults are filled in, and the file written from them reads back.
    let minimal = json!({
        "version": 2,
        "objective": {"family": "mlp", "dataset": {"kind": "xor"}, "hidden": [4, 4]},
        "steps": 5,
        "optimizers": [{"kind": "adam", "lr": 0.01}]
    });
    let lab = net(&minimal);
    assert_eq!(
        lab.task.mlp,
        Mlp::new(&[4, 4], Activation::LeakyRelu { slope: 0.1 }).unwrap()
    );
    assert_eq!(
        *lab.task.data,
        Generator::Xor.generate(200, 0.1, 0).unwrap()
    );
    let lab2: NetLabFile = serde_json::from_str(&serde_json::to_string(&lab.lab).unwrap()).unwrap();
    assert_eq!(lab2, lab.lab);
    let relu = json!({
        "version": 2,
        "objective": {"family": "mlp", "dataset": {"kind": "circles", "points": 40},
                      "hidden": [3], "activation": "relu"},
        "steps": 5,
        "optimizers": []
    });
    assert_eq!(net(&relu).task.mlp.activation(), Activation::Relu);
}

#[test]
fn a_csv_dataset_is_read_relative_to_the_lab_file() {
    let dir = temp_dir("net-lab-csv");
    let data = Generator::Circles.generate(60, 0.05, 9).unwrap();
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::write(dir.join("data/rings.csv"), to_csv(&data)).unwrap();
    let mut lab = moons_lab();
    lab["objective"]["dataset"] = json!({"kind": "csv", "path": "data/rings.csv"});
    std::fs::write(dir.join("lab.json"), lab.to_string()).unwrap();
    let AnyScene::Net(loaded) = load(&dir.join("lab.json")).unwrap() else {
        panic!("a network lab");
    };
    assert_eq!(*loaded.task.data, data);
    assert_eq!(loaded.dataset_path, Some(dir.join("data/rings.csv")));
    // A bad row names the file, the line and the column.
    std::fs::write(dir.join("data/rings.csv"), "x1,x2,label\n0,0,0\n1,oops,1\n").unwrap();
    let e = load(&dir.join("lab.json")).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "invalid scene field `objective.dataset`: {}: line 3, column x2: `oops` is not a number",
            dir.join("data/rings.csv").display()
        )
    );
    // A folder where the file should be.
    std::fs::remove_file(dir.join("data/rings.csv")).unwrap();
    std::fs::create_dir(dir.join("data/rings.csv")).unwrap();
    let e = load(&dir.join("lab.json")).unwrap_err().to_string();
    assert!(
        e.starts_with("invalid scene field `objective.dataset`: cannot read dataset file ")
            && e.ends_with("rings.csv: it is a folder, not a regular file"),
        "{e}"
    );
}

#[test]
fn bad_network_lab_files_are_refused_naming_the_field() {
    // The lab with the field at `pointer` set (added if missing).
    let with = |pointer: &str, value: Value| {
        let mut lab = moons_lab();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        match lab.pointer_mut(parent).unwrap() {
            Value::Object(map) => {
                map.insert(key.to_owned(), value);
            }
            Value::Array(items) => items[key.parse::<usize>().unwrap()] = value,
            other => panic!("{parent} is {other}"),
        }
        lab
    };
    let cases: Vec<(Value, &str)> = vec![
        (
            with("/x0", json!([0.0, 0.0])),
            "invalid scene field `x0`: a network task has no `x0`: it starts from the parameters drawn from `objective.init_seed`",
        ),
        (
            with("/objective/hidden", json!([])),
            "invalid scene field `objective.hidden`: `hidden` must list 1 to 3 layer widths, got 0",
        ),
        (
            with("/objective/hidden", json!([4, 4, 4, 4])),
            "invalid scene field `objective.hidden`: `hidden` must list 1 to 3 layer widths, got 4",
        ),
        (
            with("/objective/hidden", json!([8, 65])),
            "invalid scene field `objective.hidden`: `hidden[1]` must be 1 to 64 units, got 65",
        ),
        (
            with("/objective/hidden", json!([0])),
            "invalid scene field `objective.hidden`: `hidden[0]` must be 1 to 64 units, got 0",
        ),
        (
            with("/objective/slope", json!(1.5)),
            "invalid scene field `objective.slope`: `slope` must be a number from 0 to 1, got 1.5",
        ),
        (
            with("/objective/activation", json!("relu")),
            "invalid scene field `objective.slope`: `slope` is only for `leaky_relu`; `relu` has slope 0",
        ),
        (
            with("/objective/dataset/points", json!(100_001)),
            "invalid scene field `objective.dataset`: `points` must be 2 to 100000, got 100001",
        ),
        (
            with("/objective/dataset/noise", json!(-1)),
            "invalid scene field `objective.dataset`: `noise` must be a number from 0 to 10, got -1",
        ),
        (
            with("/steps", json!(100_001)),
            "invalid scene field `steps`: must be at most 100000, got 100001",
        ),
        (
            with("/version", json!(3)),
            "invalid scene field `version`: this file is version 3",
        ),
        (
            with("/optimizers/0", json!({"kind": "newton"})),
            "invalid scene field `optimizers[0].kind`: `newton` is not offered for networks: a network's Hessian is indefinite",
        ),
        (
            with(
                "/optimizers/0",
                json!({"kind": "alg2", "lr": 0.1, "theta_lr": 0.1}),
            ),
            "invalid scene field `optimizers[0].kind`: `alg2` is not offered for networks",
        ),
        (
            with("/optimizers/0/lr", json!(-0.5)),
            "invalid scene field `optimizers[0]`: `lr` must be a positive finite number ≤ 1e6, got -0.5",
        ),
        (
            with("/optimizers/1/teleport/strategy", json!("angle")),
            "invalid scene at `optimizers[1]`: `teleport`: unknown variant `angle`, expected one of `oracle`, `ascent`, `unit`",
        ),
        (
            with("/optimizers/1/teleport/theta", json!(0.3)),
            "invalid scene field `optimizers[1].teleport.theta`: is not used by strategy `oracle`",
        ),
        (
            with("/optimizers/1/teleport/max_log_scale", json!(9)),
            "invalid scene field `optimizers[1].teleport.max_log_scale`: must be a number in (0, 5], got 9",
        ),
        (
            with("/optimizers/1/teleport/at", Value::Null),
            "invalid scene field `optimizers[1].teleport.at`: is required: list the steps at which to teleport (or give `every`)",
        ),
        (
            with("/optimizers/2/teleport/layer", json!(1)),
            "invalid scene field `optimizers[2].teleport.layer`: the network 2-16-1 has hidden layers 0 to 0, got 1",
        ),
        (
            with("/optimizers/2/teleport/unit", json!(16)),
            "invalid scene field `optimizers[2].teleport.unit`: hidden layer 0 has units 0 to 15, got 16",
        ),
        (
            with("/optimizers/3/teleport/lr", Value::Null),
            "invalid scene field `optimizers[3].teleport.lr`: is required for strategy `ascent`",
        ),
        (
            with("/optimizers/3/teleport/iters", json!(100_001)),
            "invalid scene field `optimizers[3].teleport.iters`: must be at most 100000, got 100001",
        ),
        (
            with(
                "/optimizers/0",
                json!({"kind": "learned", "variant": "l2o", "weights": "pretrained"}),
            ),
            "invalid scene at `optimizers[0]`: unknown network variant `l2o`; expected one of cw-l2o, cw-l2o-tele",
        ),
        (
            with(
                "/optimizers/0",
                json!({"kind": "learned", "variant": "cw-l2o", "weights": "pretrained"}),
            ),
            "invalid scene at `optimizers[0]`: `weights`: there are no shipped network weights; give a .safetensors path (teleport-lab train) or {\"embedded\": \"…\"}",
        ),
        (
            with(
                "/optimizers/0",
                json!({"kind": "learned", "variant": "cw-l2o", "weights": {"embedded": "AAAA", "x": 1}}),
            ),
            "invalid scene at `optimizers[0]`: `weights`: unknown field `x`, expected `embedded`",
        ),
        (
            with(
                "/optimizers/0",
                json!({"kind": "learned", "variant": "cw-l2o", "weights": "w.safetensors", "lr": 0.1}),
            ),
            "invalid scene at `optimizers[0]`: unknown field `lr` in a learned row, expected one of `kind`, `variant`, `weights`, `teleport`, `label`, `color`, `shown`",
        ),
        (
            with(
                "/optimizers/0",
                json!({"kind": "learned", "variant": "cw-l2o", "weights": {"embedded": "not base64!"}}),
            ),
            "invalid scene field `optimizers[0].weights.embedded`: not base64:",
        ),
        (
            with(
                "/optimizers/0",
                json!({"kind": "learned", "variant": "cw-l2o", "weights": {"embedded": "AAAA"}}),
            ),
            "invalid scene field `optimizers[0].weights.embedded`: not a safetensors file: the file is 3 bytes, too short for the 8-byte header length",
        ),
        (
            with(
                "/optimizers/0",
                json!({"kind": "learned", "variant": "cw-l2o", "weights": "missing.safetensors"}),
            ),
            "invalid scene field `optimizers[0].weights`: missing.safetensors: No such file or directory",
        ),
        (
            with("/objective/dataset", json!({"kind": "spiral"})),
            "invalid scene at `objective`: unknown variant `spiral`",
        ),
        (
            with("/objective/width", json!(3)),
            "invalid scene at `objective`: unknown field `width`",
        ),
        (
            with("/objective/hidden", json!(16)),
            "invalid scene at `objective`: invalid type: integer `16`, expected a sequence",
        ),
    ];
    for (lab, want) in cases {
        let got = refusal(&lab);
        assert!(got.starts_with(want), "\n got: {got}\nwant: {want}…");
    }
    // Too many recorded numbers: 3 × 64 units for 2000 steps and 4 rows.
    let big = with("/objective/hidden", json!([64, 64, 64]));
    let mut big = big;
    big["steps"] = json!(2000);
    let e = refusal(&big);
    assert!(
        e.starts_with("invalid scene field `steps`: 4 rows × 2001 records × 8577 parameters of 2-64-64-64-1 would record"),
        "{e}"
    );
}

#[test]
fn two_d_lab_files_and_scenes_still_load_as_before() {
    let lab = json!({
        "version": 2,
        "objective": {"family": "ellipse", "A": [[0.5, 0.0], [0.0, 3.0]], "b": [0.0, 0.0]},
        "x0": [-5.0, 3.5],
        "steps": 12,
        "optimizers": [{"kind": "gd", "lr": 0.05},
                       {"kind": "gd", "lr": 0.05, "teleport": {"strategy": "oracle", "every": 5}}]
    });
    assert!(matches!(
        from_json(&lab.to_string(), None).unwrap(),
        AnyScene::V2(_)
    ));
    let scene = json!({
        "objective": {"family": "ellipse", "A": [[0.5, 0.0], [0.0, 3.0]], "b": [0.0, 0.0]},
        "x0": [-5.0, 3.5],
        "steps": 20,
        "optimizer": {"kind": "gd", "lr": 0.05},
        "teleport": {"strategy": "oracle", "at": [4]}
    });
    assert!(matches!(
        from_json(&scene.to_string(), None).unwrap(),
        AnyScene::V1(_)
    ));
    // A 2D file keeps its own errors, the network's fields unknown to it.
    let mut bad = lab.clone();
    bad["objective"]["family"] = json!("mlpx");
    let e = from_json(&bad.to_string(), None).unwrap_err().to_string();
    assert!(e.contains("unknown variant `mlpx`"), "{e}");
    // A version-1 scene cannot hold a network.
    let mut v1 = scene.clone();
    v1["objective"] = moons_lab()["objective"].clone();
    let e = from_json(&v1.to_string(), None).unwrap_err().to_string();
    assert_eq!(
        e,
        "invalid scene field `version`: a network task (\"family\": \"mlp\") is a lab file: add \"version\": 2 and list its rows under `optimizers`"
    );
}

#[test]
fn a_teleport_in_a_file_keeps_f_and_the_oracle_raises_the_gradient() {
    let lab = net(&moons_lab());
    let runs = lab.run();
    let (plain, tele) = (&runs[0].1, &runs[1].1);
    let (before, after) = (&plain.records[10], &tele.records[10]);
    assert!((after.f - before.f).abs() <= 1e-9 * before.f);
    assert!(after.grad_norm > before.grad_norm);
    // The task is the one a hand-built task gives.
    let data = Generator::Moons.generate(120, 0.1, 3).unwrap();
    let task = NetTask::new(
        std::sync::Arc::new(data),
        Mlp::new(&[16], Activation::LeakyRelu { slope: 0.1 }).unwrap(),
        5,
    );
    assert_eq!(task, lab.task);
}

/// Learned rows (a weights file beside the lab file and embedded weights)
/// load, run as the optimizers themselves run, print through the
/// evaluation, round-trip, and are refused when the weights are of the
/// other variant.
#[test]
fn a_lab_file_with_learned_rows_runs_through_the_evaluation() {
    use teleport_core::io::net_lab::NetRowOptimizer;
    use teleport_core::io::net_weights;
    use teleport_core::net::learned::{CwConfig, CwModel, CwVariant};

    let dir = temp_dir("net-lab-learned");
    let plain = CwModel::<f32>::init(CwConfig::new(CwVariant::CwL2o), 1);
    let tele = CwModel::<f32>::init(CwConfig::new(CwVariant::CwL2oTele), 2);
    std::fs::create_dir_all(dir.join("w")).unwrap();
    net_weights::save(
        &dir.join("w/plain.safetensors"),
        &plain,
        &Default::default(),
    )
    .unwrap();
    let mut lab = moons_lab();
    lab["optimizers"] = json!([
        {"kind": "learned", "variant": "cw-l2o", "weights": "w/plain.safetensors"},
        {"kind": "learned", "variant": "cw-l2o-tele", "weights": {"embedded": net_weights::embed(&tele)},
         "label": "learned teleports"},
        {"kind": "learned", "variant": "cw-l2o", "weights": "w/plain.safetensors",
         "teleport": {"strategy": "oracle", "every": 10}},
        {"kind": "adam", "lr": 0.05}
    ]);
    std::fs::write(dir.join("lab.json"), lab.to_string()).unwrap();
    let AnyScene::Net(loaded) = load(&dir.join("lab.json")).unwrap() else {
        panic!("a network lab");
    };
    let names: Vec<&str> = loaded.rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "CW-L2O",
            "learned teleports",
            "CW-L2O + teleport (oracle, every 10)",
            "Adam lr=0.05"
        ]
    );
    assert_eq!(
        loaded.rows[0].weights_path,
        Some(dir.join("w/plain.safetensors"))
    );
    assert!(matches!(
        loaded.rows[1].optimizer,
        NetRowOptimizer::Learned(ref m) if **m == tele
    ));
    let runs = loaded.run();
    // Each learned row's run is its model's own run.
    assert_eq!(runs[0].1, std::sync::Arc::new(plain).run(&loaded.task, 30));
    let tele_run = std::sync::Arc::new(tele).run(&loaded.task, 30);
    assert_eq!(runs[1].1, tele_run);
    // The teleporting variant teleports after every step (records 1..=30),
    // keeping f; the oracle row at 10, 20 only.
    let at = |i: usize| -> Vec<usize> {
        runs[i]
            .1
            .records
            .iter()
            .filter(|r| r.teleported)
            .map(|r| r.t)
            .collect()
    };
    assert_eq!(at(1), (1..=30).collect::<Vec<_>>());
    assert_eq!(at(2), [10, 20]);
    assert_eq!(at(0), Vec::<usize>::new());
    assert_eq!(loaded.run_threads(3), runs, "threads change nothing");
    let eval = loaded.eval();
    let value: Value = serde_json::from_str(&eval.to_json()).unwrap();
    assert_eq!(value["runs"][1]["name"], "learned teleports");
    assert_eq!(value["runs"][1]["trajectory"].as_array().unwrap().len(), 31);
    assert!(
        value["runs"][1]["trajectory"][5]["teleported"]
            .as_bool()
            .unwrap()
    );
    assert_eq!(eval.to_csv().lines().count(), 1 + 4 * 31);
    // The file round-trips.
    let text = serde_json::to_string(&loaded.lab).unwrap();
    let again: NetLabFile = serde_json::from_str(&text).unwrap();
    assert_eq!(again, loaded.lab);
    // Weights of the other variant are refused, naming the row.
    lab["optimizers"][0]["variant"] = json!("cw-l2o-tele");
    std::fs::write(dir.join("lab.json"), lab.to_string()).unwrap();
    let e = load(&dir.join("lab.json")).unwrap_err().to_string();
    assert_eq!(
        e,
        "invalid scene field `optimizers[0].weights`: the weights are a cw-l2o model, the row says `cw-l2o-tele`"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
