//! Network lab files: a lab file (version 2) whose `objective` is a
//! network task ([`crate::net::task::MlpSpec`]). There is no `x0`: the
//! network starts from the parameters drawn from `init_seed`. Rows are
//! classical first-order optimizers (`gd`, `momentum`, `adam`) with an
//! optional flat `teleport` object whose `strategy` is `oracle` (with an
//! optional `max_log_scale`, the box of the search), `ascent` (`lr`,
//! `iters`) or `unit` (`layer`, `unit`, `theta`: one hidden unit rescaled
//! by e^θ), and `at` or `every` as in the plane; or learned
//! coordinate-wise optimizers ([`crate::net::learned`]), `{"kind":
//! "learned", "variant": "cw-l2o" | "cw-l2o-tele", "weights":
//! "path.safetensors" | {"embedded": "<base64>"}}` ([`super::net_weights`];
//! there are no shipped network weights, so no `"pretrained"`). A learned
//! row may have a `teleport` schedule too: it applies on top of whatever
//! the optimizer does by itself. A row may add gradient noise, `"noise":
//! {"sigma": σ, "seed": k}`: every step sees `∇f + σξ`, one draw per
//! parameter ([`crate::net::run::run_noisy`]), noise run 0 of
//! [`crate::optim::noise`].
//!
//! ```json
//! {
//!   "version": 2,
//!   "objective": {"family": "mlp", "dataset": {"kind": "moons", "points": 200, "noise": 0.1, "seed": 3},
//!                 "hidden": [16], "activation": "leaky_relu", "slope": 0.1, "init_seed": 5},
//!   "steps": 100,
//!   "optimizers": [
//!     {"kind": "gd", "lr": 0.5},
//!     {"kind": "gd", "lr": 0.5, "teleport": {"strategy": "oracle", "at": [10, 25]}},
//!     {"kind": "learned", "variant": "cw-l2o-tele", "weights": "cw-l2o-tele.safetensors"}
//!   ]
//! }
//! ```
//!
//! A CSV dataset's path (`{"kind": "csv", "path": "data.csv"}`) and a
//! weights path are relative to the lab file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::lab::{
    LAB_VERSION, RowExtras, WeightsRef, check_noise, invalid, put_noise, put_row_extras,
    take_noise, take_row_extras, when_label, with_noise_label,
};
use super::net_weights;
use super::scene::{SceneError, when_of};
use crate::limits::{ASCENT_ITERS_MAX, EVAL_STEPS_MAX, ROWS_MAX};
use crate::net::DataError;
use crate::net::eval::NetEval;
use crate::net::learned::{CwModel, CwOptimizer, CwVariant};
use crate::net::mlp::Mlp;
use crate::net::rescale::{DEFAULT_MAX_LOG_SCALE, MAX_LOG_SCALE_LIMIT, NetStrategy, Unit};
use crate::net::run::{NetSchedule, NetTrajectory, ParamOptimizer, run_noisy};
use crate::net::task::{NetObjectiveSpec, NetTask, TaskError};
use crate::optim::{FirstOrder, GradNoise, NoiseStream, OptimizerSpec, VecOptimizer};

/// The most numbers a network lab file's runs may record: rows ×
/// (steps + 1) × parameters. Every record keeps the parameters (80 MB of
/// them at this limit, and about 2 GB of JSON).
pub const MAX_RECORDED_PARAMS: usize = 10_000_000;

/// The network teleports' names, for the flat `teleport` object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NetStrategyName {
    /// The steepest corner of the box `|s| ≤ max_log_scale`.
    Oracle,
    /// Gradient ascent on `‖∇f‖²` over the log-scales (`lr`, `iters`).
    Ascent,
    /// One unit rescaled by `e^θ` (`layer`, `unit`, `theta`).
    Unit,
}

/// A network teleport schedule as written in a row: one flat object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetTeleportSpec {
    /// `oracle`, `ascent` or `unit`.
    pub strategy: NetStrategyName,
    /// `oracle`: the box's half-width (default ln 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_log_scale: Option<f64>,
    /// `ascent`: the step size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lr: Option<f64>,
    /// `ascent`: the number of steps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iters: Option<usize>,
    /// `unit`: the hidden layer, from 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<usize>,
    /// `unit`: the unit in that layer, from 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<usize>,
    /// `unit`: the log-scale θ (the unit is rescaled by e^θ).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theta: Option<f64>,
    /// The steps at which to teleport.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Vec<usize>>,
    /// Teleport every `every` steps instead of at listed steps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<usize>,
}

impl NetTeleportSpec {
    /// Checks the fields against the network and builds the schedule; an
    /// error names the field as `teleport.<field>`.
    pub fn build(&self, mlp: &Mlp) -> Result<NetSchedule, SceneError> {
        let bad = |field: &str, message: String| SceneError::Invalid {
            field: format!("teleport.{field}"),
            message,
        };
        let name = match self.strategy {
            NetStrategyName::Oracle => "oracle",
            NetStrategyName::Ascent => "ascent",
            NetStrategyName::Unit => "unit",
        };
        let fields: [(&str, bool, bool); 6] = [
            // (field, given, used by this strategy)
            (
                "max_log_scale",
                self.max_log_scale.is_some(),
                self.strategy == NetStrategyName::Oracle,
            ),
            (
                "lr",
                self.lr.is_some(),
                self.strategy == NetStrategyName::Ascent,
            ),
            (
                "iters",
                self.iters.is_some(),
                self.strategy == NetStrategyName::Ascent,
            ),
            (
                "layer",
                self.layer.is_some(),
                self.strategy == NetStrategyName::Unit,
            ),
            (
                "unit",
                self.unit.is_some(),
                self.strategy == NetStrategyName::Unit,
            ),
            (
                "theta",
                self.theta.is_some(),
                self.strategy == NetStrategyName::Unit,
            ),
        ];
        if let Some((field, ..)) = fields.iter().find(|(_, given, used)| *given && !*used) {
            return Err(bad(field, format!("is not used by strategy `{name}`")));
        }
        let required = |field: &str| bad(field, format!("is required for strategy `{name}`"));
        let strategy = match self.strategy {
            NetStrategyName::Oracle => {
                let s = self.max_log_scale.unwrap_or(DEFAULT_MAX_LOG_SCALE);
                if !(s.is_finite() && s > 0.0 && s <= MAX_LOG_SCALE_LIMIT) {
                    return Err(bad(
                        "max_log_scale",
                        format!("must be a number in (0, {MAX_LOG_SCALE_LIMIT}], got {s}"),
                    ));
                }
                NetStrategy::Oracle { max_log_scale: s }
            }
            NetStrategyName::Ascent => {
                let lr = self.lr.ok_or_else(|| required("lr"))?;
                if !(lr.is_finite() && lr > 0.0 && lr <= 1e6) {
                    return Err(bad(
                        "lr",
                        format!("must be a positive number ≤ 1e6, got {lr}"),
                    ));
                }
                let iters = self.iters.ok_or_else(|| required("iters"))?;
                if iters > ASCENT_ITERS_MAX {
                    return Err(bad(
                        "iters",
                        format!("must be at most {ASCENT_ITERS_MAX}, got {iters}"),
                    ));
                }
                NetStrategy::Ascent { lr, iters }
            }
            NetStrategyName::Unit => {
                let layer = self.layer.ok_or_else(|| required("layer"))?;
                let index = self.unit.ok_or_else(|| required("unit"))?;
                let theta = self.theta.ok_or_else(|| required("theta"))?;
                let hidden = mlp.hidden();
                match hidden.get(layer) {
                    None => {
                        return Err(bad(
                            "layer",
                            format!(
                                "the network {} has hidden layers 0 to {}, got {layer}",
                                mlp.shape(),
                                hidden.len() - 1
                            ),
                        ));
                    }
                    Some(&width) if index >= width => {
                        return Err(bad(
                            "unit",
                            format!(
                                "hidden layer {layer} has units 0 to {}, got {index}",
                                width - 1
                            ),
                        ));
                    }
                    Some(_) => {}
                }
                // e^θ must stay a finite, nonzero scale.
                if !(theta.is_finite() && theta.abs() <= 100.0) {
                    return Err(bad(
                        "theta",
                        format!("must be a number from −100 to 100, got {theta}"),
                    ));
                }
                NetStrategy::Unit {
                    unit: Unit { layer, index },
                    theta,
                }
            }
        };
        let when = when_of(self.at.as_ref(), self.every)?;
        Ok(NetSchedule { strategy, when })
    }
}

/// What a network row runs.
#[derive(Clone, Debug, PartialEq)]
pub enum NetRowKind {
    /// A classical first-order optimizer.
    Classical(OptimizerSpec),
    /// A coordinate-wise learned optimizer ([`crate::net::learned`]):
    /// `{"kind": "learned", "variant": "cw-l2o" | "cw-l2o-tele", "weights":
    /// "path.safetensors" | {"embedded": "<base64>"}}`.
    Learned {
        /// Its variant.
        variant: CwVariant,
        /// Its weights: a path (relative to the lab file) or embedded.
        /// There are no shipped network weights, so never
        /// [`WeightsRef::Pretrained`].
        weights: WeightsRef,
    },
}

/// The fields a learned network row may have.
const LEARNED_FIELDS: &str = "`kind`, `variant`, `weights`, `teleport`, `label`, `color`, `shown`";

/// A learned row's `weights` as written.
fn weights_of(value: Option<Value>) -> Result<WeightsRef, String> {
    match value {
        None => Err("a learned row needs `weights`: a path or {\"embedded\": \"…\"}".into()),
        Some(Value::String(s)) if s == "pretrained" => Err(
            "`weights`: there are no shipped network weights; give a .safetensors path (teleport-lab train) or {\"embedded\": \"…\"}"
                .into(),
        ),
        Some(Value::String(s)) => Ok(WeightsRef::Path(s)),
        Some(Value::Object(mut o)) => match (o.remove("embedded"), o.keys().next()) {
            (Some(Value::String(b64)), None) => Ok(WeightsRef::Embedded(b64)),
            (_, Some(extra)) => Err(format!(
                "`weights`: unknown field `{extra}`, expected `embedded`"
            )),
            _ => Err("`weights.embedded` must be a base64 string".into()),
        },
        Some(other) => Err(format!(
            "`weights` must be a path or {{\"embedded\": …}}, got {other}"
        )),
    }
}

/// One row of a network lab file.
#[derive(Clone, Debug, PartialEq)]
pub struct NetRowSpec {
    /// What it runs.
    pub kind: NetRowKind,
    /// Teleports.
    pub teleport: Option<NetTeleportSpec>,
    /// Gradient noise: every step sees `∇f + σξ` ([`crate::optim::noise`]).
    pub noise: Option<GradNoise>,
    /// Its legend name (else one is made from its settings).
    pub label: Option<String>,
    /// Its colour, as an index into the app's palette.
    pub color: Option<usize>,
    /// Whether it is shown (default: yes).
    pub shown: Option<bool>,
}

impl NetRowSpec {
    /// A classical row with nothing else set.
    pub fn classical(spec: OptimizerSpec) -> Self {
        Self {
            kind: NetRowKind::Classical(spec),
            teleport: None,
            noise: None,
            label: None,
            color: None,
            shown: None,
        }
    }

    fn from_value(value: Value) -> Result<Self, String> {
        let Value::Object(mut map) = value else {
            return Err("a row is a JSON object such as {\"kind\": \"gd\", \"lr\": 0.5}".into());
        };
        let teleport = map
            .remove("teleport")
            .map(serde_json::from_value::<NetTeleportSpec>)
            .transpose()
            .map_err(|e| format!("`teleport`: {e}"))?;
        let noise = take_noise(&mut map)?;
        let (label, color, shown) = take_row_extras(&mut map)?;
        let kind = match map.get("kind") {
            Some(Value::String(k)) if k == "learned" => {
                map.remove("kind");
                let variant = match map.remove("variant") {
                    Some(Value::String(v)) => v.parse::<CwVariant>().map_err(|e| e.to_string())?,
                    Some(other) => return Err(format!("`variant` must be a string, got {other}")),
                    None => {
                        return Err("a learned row needs a `variant`: cw-l2o or cw-l2o-tele".into());
                    }
                };
                let weights = weights_of(map.remove("weights"))?;
                if let Some(extra) = map.keys().next() {
                    return Err(format!(
                        "unknown field `{extra}` in a learned row, expected one of {LEARNED_FIELDS}"
                    ));
                }
                NetRowKind::Learned { variant, weights }
            }
            Some(_) => NetRowKind::Classical(
                serde_json::from_value::<OptimizerSpec>(Value::Object(map))
                    .map_err(|e| e.to_string())?,
            ),
            None => return Err("a row needs a `kind`: gd, momentum, adam or learned".into()),
        };
        Ok(Self {
            kind,
            teleport,
            noise,
            label,
            color,
            shown,
        })
    }

    fn to_value(&self) -> Value {
        let mut map = match &self.kind {
            NetRowKind::Classical(spec) => match serde_json::to_value(spec) {
                Ok(Value::Object(m)) => m,
                _ => Map::new(),
            },
            NetRowKind::Learned { variant, weights } => {
                let mut m = Map::new();
                m.insert("kind".into(), "learned".into());
                m.insert("variant".into(), variant.name().into());
                let w = match weights {
                    WeightsRef::Pretrained => Value::from("pretrained"),
                    WeightsRef::Path(p) => Value::from(p.as_str()),
                    WeightsRef::Embedded(b) => {
                        let mut o = Map::new();
                        o.insert("embedded".into(), Value::from(b.as_str()));
                        Value::Object(o)
                    }
                };
                m.insert("weights".into(), w);
                m
            }
        };
        if let Some(t) = &self.teleport
            && let Ok(v) = serde_json::to_value(t)
        {
            map.insert("teleport".into(), v);
        }
        put_noise(&mut map, self.noise.as_ref());
        let extras: RowExtras = (self.label.clone(), self.color, self.shown);
        put_row_extras(&mut map, &extras);
        Value::Object(map)
    }
}

impl Serialize for NetRowSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(s)
    }
}

impl<'de> Deserialize<'de> for NetRowSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        Self::from_value(value).map_err(serde::de::Error::custom)
    }
}

/// A network lab file as written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetLabFile {
    /// Always [`LAB_VERSION`].
    pub version: u64,
    /// The network task.
    pub objective: NetObjectiveSpec,
    /// Steps per run.
    pub steps: usize,
    /// The rows, in order.
    pub optimizers: Vec<NetRowSpec>,
    /// A short text shown with the demo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// What only the app uses; carried as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<Value>,
}

/// What a loaded network row steps with.
#[derive(Clone, Debug)]
pub enum NetRowOptimizer {
    /// A classical optimizer's update rule.
    Classical(FirstOrder),
    /// A coordinate-wise learned optimizer's weights.
    Learned(Arc<CwModel<f32>>),
}

impl NetRowOptimizer {
    /// A fresh optimizer for a network of `params` parameters.
    pub fn fresh(&self, params: usize) -> Box<dyn ParamOptimizer> {
        match self {
            Self::Classical(rule) => Box::new(VecOptimizer::of(*rule, params)),
            Self::Learned(model) => Box::new(CwOptimizer::new(Arc::clone(model), params)),
        }
    }
}

/// A network row ready to run.
#[derive(Clone, Debug)]
pub struct LoadedNetRow {
    /// As written.
    pub spec: NetRowSpec,
    /// Its unique name (its label, or one made from its settings).
    pub name: String,
    /// What it steps with.
    pub optimizer: NetRowOptimizer,
    /// Its teleport schedule.
    pub teleport: Option<NetSchedule>,
    /// Where a learned row's weights file is (a relative path resolved
    /// against the lab file's folder).
    pub weights_path: Option<PathBuf>,
    /// Its gradient noise (checked).
    pub noise: Option<GradNoise>,
}

impl LoadedNetRow {
    /// The row's run of `steps` steps on `task`, with its noise (noise run
    /// 0 of [`crate::optim::noise`]).
    pub fn run(&self, task: &NetTask, steps: usize) -> NetTrajectory {
        let mut opt = self.optimizer.fresh(task.mlp.num_params());
        let noise = NoiseStream::of(self.noise.as_ref(), 0);
        run_noisy(
            task,
            steps,
            opt.as_mut(),
            self.teleport.as_ref(),
            &[],
            noise,
        )
    }
}

/// A checked network lab file: the task built, every row's schedule
/// checked against the network.
#[derive(Clone, Debug)]
pub struct LoadedNetLab {
    /// As written.
    pub lab: NetLabFile,
    /// The task.
    pub task: NetTask,
    /// The rows, in order.
    pub rows: Vec<LoadedNetRow>,
    /// Where a CSV dataset was read from.
    pub dataset_path: Option<PathBuf>,
}

impl LoadedNetLab {
    /// Runs every row: `(name, trajectory)` in row order.
    pub fn run(&self) -> Vec<(String, NetTrajectory)> {
        self.run_threads(1)
    }

    /// [`Self::run`] on `threads` threads (at least one), a row per thread
    /// at a time; the same numbers whatever the thread count.
    pub fn run_threads(&self, threads: usize) -> Vec<(String, NetTrajectory)> {
        let steps = self.lab.steps;
        crate::eval::map_pooled(&self.rows, threads, |row| {
            (row.name.clone(), row.run(&self.task, steps))
        })
    }

    /// What `teleport-lab eval` prints: the data and every row's run
    /// ([`NetEval::to_json`], [`NetEval::to_csv`]).
    pub fn eval(&self) -> NetEval {
        self.eval_threads(1)
    }

    /// [`Self::eval`] on `threads` threads.
    pub fn eval_threads(&self, threads: usize) -> NetEval {
        NetEval::new(&self.task.data, self.run_threads(threads))
    }
}

/// The default legend name of a network row.
pub fn default_net_label(spec: &OptimizerSpec, teleport: Option<&NetSchedule>) -> String {
    let mut name = spec.label();
    if let Some(t) = teleport {
        let when = when_label(&t.when);
        name.push_str(&format!(" + teleport ({}, {when})", t.strategy.label()));
    }
    name
}

/// The default legend name of a learned network row.
pub fn learned_net_label(variant: CwVariant, teleport: Option<&NetSchedule>) -> String {
    let mut name = variant.label().to_owned();
    if let Some(t) = teleport {
        let when = when_label(&t.when);
        name.push_str(&format!(" + teleport ({}, {when})", t.strategy.label()));
    }
    name
}

impl NetLabFile {
    /// Checks the file and builds its task; `base` is the folder a
    /// relative CSV path starts from.
    pub fn validate(self, base: Option<&Path>) -> Result<LoadedNetLab, SceneError> {
        if self.version != LAB_VERSION {
            return Err(invalid(
                "version".into(),
                format!(
                    "this file is version {}; this teleport-lab reads scenes of version 1 (no `version` field) and lab files of version {LAB_VERSION}",
                    self.version
                ),
            ));
        }
        if self.optimizers.len() > ROWS_MAX {
            return Err(invalid(
                "optimizers".into(),
                format!(
                    "has {} rows; a lab file holds at most {ROWS_MAX}",
                    self.optimizers.len()
                ),
            ));
        }
        if self.steps > EVAL_STEPS_MAX {
            return Err(invalid(
                "steps".into(),
                format!("must be at most {EVAL_STEPS_MAX}, got {}", self.steps),
            ));
        }
        let NetObjectiveSpec::Mlp(spec) = &self.objective;
        let dataset_path = spec.dataset.csv_path(base);
        let task = spec.build(base).map_err(|e| {
            let field = format!("objective.{}", e.field());
            let message = match (&e, &dataset_path) {
                // Name the file once: a read error names it already.
                (TaskError::Data(DataError::Read { .. }), _) => e.to_string(),
                (TaskError::Data(_), Some(path)) => format!("{}: {e}", path.display()),
                _ => e.to_string(),
            };
            invalid(field, message)
        })?;
        let recorded = self
            .optimizers
            .len()
            .saturating_mul(self.steps.saturating_add(1))
            .saturating_mul(task.mlp.num_params());
        if recorded > MAX_RECORDED_PARAMS {
            return Err(invalid(
                "steps".into(),
                format!(
                    "{} rows × {} records × {} parameters of {} would record {recorded} numbers; at most {MAX_RECORDED_PARAMS} (fewer steps, rows or units)",
                    self.optimizers.len(),
                    self.steps + 1,
                    task.mlp.num_params(),
                    task.mlp.shape()
                ),
            ));
        }
        let mut rows = Vec::with_capacity(self.optimizers.len());
        let mut seen: std::collections::HashMap<String, usize> = Default::default();
        for (i, row) in self.optimizers.iter().enumerate() {
            let at = |field: &str| format!("optimizers[{i}].{field}");
            let mut weights_path = None;
            check_noise(i, row.noise.as_ref())?;
            let optimizer = match &row.kind {
                NetRowKind::Classical(optimizer) => {
                    optimizer
                        .check()
                        .map_err(|e| invalid(format!("optimizers[{i}]"), e.to_string()))?;
                    let rule = VecOptimizer::new(*optimizer, 0)
                        .map_err(|e| invalid(at("kind"), e.to_string()))?
                        .rule();
                    NetRowOptimizer::Classical(rule)
                }
                NetRowKind::Learned { variant, weights } => {
                    let model = match weights {
                        WeightsRef::Pretrained => {
                            return Err(invalid(
                                at("weights"),
                                "there are no shipped network weights; give a path or {\"embedded\": …}",
                            ));
                        }
                        WeightsRef::Path(p) => {
                            let path = match base {
                                Some(dir) if Path::new(p).is_relative() => dir.join(p),
                                _ => Path::new(p).to_path_buf(),
                            };
                            let model = net_weights::load(&path)
                                .map_err(|e| {
                                    // Name the file once: some errors name it already.
                                    let (msg, shown) = (e.to_string(), path.display().to_string());
                                    let msg = if msg.starts_with(&shown) {
                                        msg
                                    } else {
                                        format!("{shown}: {msg}")
                                    };
                                    invalid(at("weights"), msg)
                                })?
                                .0;
                            weights_path = Some(path);
                            model
                        }
                        WeightsRef::Embedded(b64) => {
                            let bytes = base64::engine::general_purpose::STANDARD
                                .decode(b64.trim())
                                .map_err(|e| {
                                    invalid(at("weights.embedded"), format!("not base64: {e}"))
                                })?;
                            net_weights::from_bytes(&bytes)
                                .map_err(|e| invalid(at("weights.embedded"), e.to_string()))?
                                .0
                        }
                    };
                    if model.variant() != *variant {
                        return Err(invalid(
                            at("weights"),
                            format!(
                                "the weights are a {} model, the row says `{variant}`",
                                model.variant()
                            ),
                        ));
                    }
                    NetRowOptimizer::Learned(Arc::new(model))
                }
            };
            let teleport = row
                .teleport
                .as_ref()
                .map(|t| t.build(&task.mlp))
                .transpose()
                .map_err(|e| match e {
                    SceneError::Invalid { field, message } => SceneError::Invalid {
                        field: format!("optimizers[{i}].{field}"),
                        message,
                    },
                    other => other,
                })?;
            let base_name = row.label.clone().unwrap_or_else(|| {
                let name = match &row.kind {
                    NetRowKind::Classical(spec) => default_net_label(spec, teleport.as_ref()),
                    NetRowKind::Learned { variant, .. } => {
                        learned_net_label(*variant, teleport.as_ref())
                    }
                };
                with_noise_label(name, row.noise.as_ref())
            });
            let n = seen.entry(base_name.clone()).or_insert(0);
            *n += 1;
            let name = if *n == 1 {
                base_name
            } else {
                format!("{base_name} #{n}")
            };
            rows.push(LoadedNetRow {
                spec: row.clone(),
                name,
                optimizer,
                teleport,
                weights_path,
                noise: row.noise,
            });
        }
        Ok(LoadedNetLab {
            lab: self,
            task,
            rows,
            dataset_path,
        })
    }
}
