//! What `teleport-lab eval` prints for a network lab file: the data and
//! every row's run, as JSON or CSV.

use serde::Serialize;

use super::data::Dataset;
use super::run::{NetRecord, NetTrajectory};
use crate::optim::Stop;

/// The data as the evaluation prints it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DatasetPoints {
    /// The points, `[x1, x2]`.
    pub x: Vec<[f64; 2]>,
    /// Their labels, 0 or 1.
    pub y: Vec<u8>,
}

impl DatasetPoints {
    /// A dataset's points and labels.
    pub fn of(data: &Dataset) -> Self {
        Self {
            x: data.points(),
            y: data.labels().to_vec(),
        }
    }
}

/// One row's run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NetRun {
    /// The row's name.
    pub name: String,
    /// Its records.
    pub trajectory: Vec<NetRecord>,
    /// Why it stopped early, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop: Option<Stop>,
}

/// The evaluation of a network lab file:
/// `{"dataset": {"x": [[x1, x2], …], "y": [0|1, …]}, "runs": [{"name",
/// "trajectory": [{"t", "f", "grad_norm", "accuracy", "teleported",
/// "params": […]}], "stop"?}]}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NetEval {
    /// The data.
    pub dataset: DatasetPoints,
    /// One run per row, in row order.
    pub runs: Vec<NetRun>,
}

impl NetEval {
    /// The evaluation of `runs` (name, trajectory) on `data`.
    pub fn new(data: &Dataset, runs: Vec<(String, NetTrajectory)>) -> Self {
        Self {
            dataset: DatasetPoints::of(data),
            runs: runs
                .into_iter()
                .map(|(name, tr)| NetRun {
                    name,
                    trajectory: tr.records,
                    stop: tr.stop,
                })
                .collect(),
        }
    }

    /// As JSON (pretty-printed; every number is finite).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// As CSV, one line per step per run, without the parameters:
    /// `name,t,f,grad_norm,accuracy,teleported`.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("name,t,f,grad_norm,accuracy,teleported\n");
        for run in &self.runs {
            let name = crate::io::csv_field(&run.name);
            for r in &run.trajectory {
                out.push_str(&format!(
                    "{name},{},{},{},{},{}\n",
                    r.t, r.f, r.grad_norm, r.accuracy, r.teleported
                ));
            }
        }
        out
    }
}
