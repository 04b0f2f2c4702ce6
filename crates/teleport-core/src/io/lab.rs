//! Lab files: scene format version 2, a whole demo in one file.
//!
//! A version-1 scene holds one optimizer; a lab file holds every row of the
//! demo, each a classical optimizer (today's `optimizer` object plus an
//! optional `teleport` and `label`) or a learned one naming its `variant`
//! and its `weights`; either kind may add gradient noise,
//! `"noise": {"sigma": σ, "seed": k}` ([`crate::optim::noise`]: `eval` runs
//! a row with noise run 0, `crate::rng(k)`). The weights are `"pretrained"` (the shipped weights for the task's
//! family), a path (relative to the lab file), or
//! `{"embedded": "<base64 of a safetensors file>"}` so that one file
//! travels alone. An optional `caption` is shown with the demo, and an
//! optional `app` object carries what only the app uses (θ, the step, the
//! view, toggles, open windows, hand-applied teleports), opaque here.
//!
//! A lab file whose objective's `family` is `mlp` is a network task
//! instead, with no `x0` ([`super::net_lab`]); [`from_json`] and [`load`]
//! read both, as [`AnyScene::Net`] and [`AnyScene::V2`].
//!
//! ```json
//! {
//!   "version": 2,
//!   "objective": {"family": "ellipse", "A": [[0.5, 0.0], [0.0, 3.0]], "b": [0.0, 0.0]},
//!   "x0": [-5.0, 3.5],
//!   "steps": 12,
//!   "optimizers": [
//!     {"kind": "gd", "lr": 0.05},
//!     {"kind": "gd", "lr": 0.05, "teleport": {"strategy": "oracle", "every": 5}},
//!     {"kind": "gd", "lr": 0.05, "noise": {"sigma": 0.5, "seed": 7}},
//!     {"kind": "learned", "variant": "l2o", "weights": "pretrained"}
//!   ]
//! }
//! ```

use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::scene::{
    LoadedScene, MAX_MESSAGE_CHARS, ObjectiveSpec, Scene, SceneError, TeleportSpec, one_line,
};
use crate::eval::AnyOptimizer;
use crate::l2o::{MetaOptimizer, Variant};
use crate::limits::ROWS_MAX;
use crate::objective::{Objective, Vec2};
use crate::optim::{GradNoise, NoiseStream, OptimizerSpec, TeleportSchedule, Trajectory};

/// The version this module writes.
pub const LAB_VERSION: u64 = 2;
/// The largest lab file read: embedded weights make them bigger than scenes.
pub const MAX_LAB_BYTES: usize = 64 << 20;

/// Where a learned row's weights come from.
#[derive(Clone, Debug, PartialEq)]
pub enum WeightsRef {
    /// The shipped weights for the task's family.
    Pretrained,
    /// A safetensors file; a relative path is relative to the lab file.
    Path(String),
    /// A safetensors file inside the lab file, base64-encoded.
    Embedded(String),
}

/// What a row runs.
#[derive(Clone, Debug, PartialEq)]
pub enum RowKind {
    /// A classical optimizer (with an optional teleport schedule).
    Classical(OptimizerSpec),
    /// A learned optimizer.
    Learned {
        /// Its variant.
        variant: Variant,
        /// Its weights.
        weights: WeightsRef,
    },
}

/// One row of a lab file.
#[derive(Clone, Debug, PartialEq)]
pub struct RowSpec {
    /// What it runs.
    pub kind: RowKind,
    /// Teleports (classical rows only).
    pub teleport: Option<TeleportSpec>,
    /// Gradient noise: every step sees `∇f + σξ` ([`crate::optim::noise`]).
    pub noise: Option<GradNoise>,
    /// Its legend name (else one is made from its settings).
    pub label: Option<String>,
    /// Its colour, as an index into the app's palette.
    pub color: Option<usize>,
    /// Whether it is shown (default: yes).
    pub shown: Option<bool>,
}

/// The fields every row may have besides its optimizer's.
const ROW_FIELDS: [&str; 5] = ["teleport", "noise", "label", "color", "shown"];

impl RowSpec {
    /// A classical row with nothing else set.
    pub fn classical(spec: OptimizerSpec) -> Self {
        Self {
            kind: RowKind::Classical(spec),
            teleport: None,
            noise: None,
            label: None,
            color: None,
            shown: None,
        }
    }

    fn from_value(value: Value) -> Result<Self, String> {
        let Value::Object(mut map) = value else {
            return Err("a row is a JSON object such as {\"kind\": \"gd\", \"lr\": 0.05}".into());
        };
        let take = |map: &mut Map<String, Value>, key: &str| map.remove(key);
        let teleport = take(&mut map, "teleport")
            .map(serde_json::from_value::<TeleportSpec>)
            .transpose()
            .map_err(|e| format!("`teleport`: {e}"))?;
        let noise = take_noise(&mut map)?;
        let (label, color, shown) = take_row_extras(&mut map)?;
        let kind = match map.get("kind") {
            Some(Value::String(k)) if k == "learned" => {
                map.remove("kind");
                let variant = match map.remove("variant") {
                    Some(Value::String(v)) => v.parse::<Variant>().map_err(|e| e.to_string())?,
                    Some(other) => return Err(format!("`variant` must be a string, got {other}")),
                    None => return Err("a learned row needs a `variant`".into()),
                };
                let weights = match map.remove("weights") {
                    None => return Err("a learned row needs `weights`: \"pretrained\", a path, or {\"embedded\": \"…\"}".into()),
                    Some(Value::String(s)) if s == "pretrained" => WeightsRef::Pretrained,
                    Some(Value::String(s)) => WeightsRef::Path(s),
                    Some(Value::Object(mut o)) => match (o.remove("embedded"), o.keys().next()) {
                        (Some(Value::String(b64)), None) => WeightsRef::Embedded(b64),
                        (_, Some(extra)) => {
                            return Err(format!("`weights`: unknown field `{extra}`, expected `embedded`"));
                        }
                        _ => return Err("`weights.embedded` must be a base64 string".into()),
                    },
                    Some(other) => {
                        return Err(format!(
                            "`weights` must be \"pretrained\", a path or {{\"embedded\": …}}, got {other}"
                        ));
                    }
                };
                if let Some(extra) = map.keys().next() {
                    return Err(format!(
                        "unknown field `{extra}` in a learned row, expected one of `kind`, `variant`, `weights`, {}",
                        ROW_FIELDS.map(|f| format!("`{f}`")).join(", ")
                    ));
                }
                if teleport.is_some() {
                    return Err("`teleport`: learned rows teleport by themselves (variants l2o-tele, lr-tele, …)".into());
                }
                RowKind::Learned { variant, weights }
            }
            Some(_) => RowKind::Classical(
                serde_json::from_value::<OptimizerSpec>(Value::Object(map))
                    .map_err(|e| e.to_string())?,
            ),
            None => {
                return Err("a row needs a `kind`: gd, momentum, adam, newton or learned".into());
            }
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
            RowKind::Classical(spec) => match serde_json::to_value(spec) {
                Ok(Value::Object(m)) => m,
                _ => Map::new(),
            },
            RowKind::Learned { variant, weights } => {
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
        put_row_extras(&mut map, &(self.label.clone(), self.color, self.shown));
        Value::Object(map)
    }
}

/// Takes a row's `noise` out of its object, with serde's message when it
/// is not `{"sigma": σ, "seed": k}`; σ is checked by the file's `validate`,
/// which names the row.
pub(crate) fn take_noise(map: &mut Map<String, Value>) -> Result<Option<GradNoise>, String> {
    map.remove("noise")
        .map(serde_json::from_value::<GradNoise>)
        .transpose()
        .map_err(|e| format!("`noise`: {e} (expected {{\"sigma\": σ, \"seed\": k}})"))
}

/// Puts a row's `noise`, when it has one, into its object.
pub(crate) fn put_noise(map: &mut Map<String, Value>, noise: Option<&GradNoise>) {
    if let Some(n) = noise
        && let Ok(v) = serde_json::to_value(n)
    {
        map.insert("noise".into(), v);
    }
}

/// Checks the noise of row `i`: the error names `optimizers[i].noise.sigma`.
pub(crate) fn check_noise(i: usize, noise: Option<&GradNoise>) -> Result<(), SceneError> {
    match noise.map(GradNoise::check) {
        Some(Err(crate::optim::NoiseError::Sigma { value })) => Err(invalid(
            format!("optimizers[{i}].noise.sigma"),
            format!(
                "must be a finite number from 0 to 1e6 (the standard deviation of the gradient noise), got {}",
                crate::numfmt::short(value)
            ),
        )),
        _ => Ok(()),
    }
}

/// A row's default legend name with its noise: ` + noise σ=…` when σ > 0.
pub(crate) fn with_noise_label(mut name: String, noise: Option<&GradNoise>) -> String {
    if let Some(n) = noise.filter(|n| !n.is_silent()) {
        name.push_str(" + ");
        name.push_str(&n.label());
    }
    name
}

/// A row's `label`, `color` and `shown`, taken out of its object.
pub(crate) type RowExtras = (Option<String>, Option<usize>, Option<bool>);

/// Takes a row's `label`, `color` and `shown` out of its object, checking
/// their types.
pub(crate) fn take_row_extras(map: &mut Map<String, Value>) -> Result<RowExtras, String> {
    let label = match map.remove("label") {
        None => None,
        Some(Value::String(s)) => Some(s),
        Some(other) => return Err(format!("`label` must be a string, got {other}")),
    };
    let color = match map.remove("color") {
        None => None,
        Some(v) => Some(
            v.as_u64()
                .filter(|&c| c < 1000)
                .ok_or_else(|| format!("`color` must be a palette index, got {v}"))?
                as usize,
        ),
    };
    let shown = match map.remove("shown") {
        None => None,
        Some(Value::Bool(b)) => Some(b),
        Some(other) => return Err(format!("`shown` must be true or false, got {other}")),
    };
    Ok((label, color, shown))
}

/// Puts a row's `label`, `color` and `shown` (those set) into its object.
pub(crate) fn put_row_extras(map: &mut Map<String, Value>, extras: &RowExtras) {
    let (label, color, shown) = extras;
    if let Some(l) = label {
        map.insert("label".into(), Value::from(l.as_str()));
    }
    if let Some(c) = *color {
        map.insert("color".into(), Value::from(c));
    }
    if let Some(s) = *shown {
        map.insert("shown".into(), Value::from(s));
    }
}

impl Serialize for RowSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(s)
    }
}

impl<'de> Deserialize<'de> for RowSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        Self::from_value(value).map_err(serde::de::Error::custom)
    }
}

/// A lab file as written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabFile {
    /// Always [`LAB_VERSION`].
    pub version: u64,
    /// The optimizee.
    pub objective: ObjectiveSpec,
    /// The start point.
    pub x0: [f64; 2],
    /// Steps per run.
    pub steps: usize,
    /// The rows, in order.
    pub optimizers: Vec<RowSpec>,
    /// A short text shown with the demo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// What only the app uses (view, θ, step, toggles, windows, hand-applied
    /// teleports); carried as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<Value>,
}

/// A row ready to run.
#[derive(Clone, Debug)]
pub struct LoadedRow {
    /// As written.
    pub spec: RowSpec,
    /// Its unique name (its label, or one made from its settings).
    pub name: String,
    /// The teleport schedule of a classical row.
    pub teleport: Option<TeleportSchedule>,
    /// The row's gradient noise (checked).
    pub noise: Option<GradNoise>,
    /// The weights of a learned row.
    pub model: Option<Arc<MetaOptimizer<f32>>>,
    /// Where a learned row's weights file is (a relative path resolved
    /// against the lab file's folder).
    pub weights_path: Option<std::path::PathBuf>,
}

impl LoadedRow {
    /// The row as an optimizer to run.
    pub fn optimizer(&self) -> Option<AnyOptimizer> {
        match (&self.spec.kind, &self.model) {
            (RowKind::Classical(spec), _) => Some(AnyOptimizer::Classical {
                name: self.name.clone(),
                spec: *spec,
                teleport: self.teleport.clone(),
            }),
            (RowKind::Learned { .. }, Some(model)) => Some(AnyOptimizer::Learned {
                name: self.name.clone(),
                model: Arc::clone(model),
            }),
            (RowKind::Learned { .. }, None) => None,
        }
    }
}

/// A checked lab file: the task built, every row's schedule and weights
/// resolved.
#[derive(Clone, Debug)]
pub struct LoadedLab {
    /// As written.
    pub lab: LabFile,
    /// The optimizee.
    pub objective: Objective,
    /// The rows, in order.
    pub rows: Vec<LoadedRow>,
}

impl LoadedLab {
    /// Runs every row from x₀: `(name, trajectory)` in row order; a row
    /// with noise draws noise run 0 ([`crate::optim::noise`]).
    pub fn run(&self) -> Vec<(String, Trajectory)> {
        let x0 = Vec2::from(self.lab.x0);
        self.rows
            .iter()
            .filter_map(|row| {
                let opt = row.optimizer()?;
                let noise = NoiseStream::of(row.noise.as_ref(), 0);
                Some((
                    row.name.clone(),
                    opt.trajectory_with(&self.objective, x0, self.lab.steps, &[], noise),
                ))
            })
            .collect()
    }
}

/// A file of either version.
#[derive(Clone, Debug)]
pub enum AnyScene {
    /// A version-1 scene: one optimizer.
    V1(LoadedScene),
    /// A lab file.
    V2(LoadedLab),
    /// A lab file whose objective is a network (`"family": "mlp"`).
    Net(super::net_lab::LoadedNetLab),
}

/// The default legend name of a row.
pub fn default_label(kind: &RowKind, teleport: Option<&TeleportSchedule>) -> String {
    match kind {
        RowKind::Classical(spec) => {
            let mut name = spec.label();
            if let Some(t) = teleport {
                let when = when_label(&t.when);
                name.push_str(&format!(" + teleport ({}, {when})", t.strategy.label()));
            }
            name
        }
        RowKind::Learned { variant, .. } => variant.label().to_owned(),
    }
}

/// A schedule in a legend: `every 5`, `at 10, 25`.
pub(crate) fn when_label(when: &crate::optim::When) -> String {
    match when {
        crate::optim::When::Every(k) => format!("every {k}"),
        crate::optim::When::At(at) => {
            let steps: Vec<String> = at.iter().map(ToString::to_string).collect();
            format!("at {}", steps.join(", "))
        }
    }
}

pub(crate) fn invalid(field: String, message: impl Into<String>) -> SceneError {
    SceneError::Invalid {
        field,
        message: one_line(&message.into(), MAX_MESSAGE_CHARS),
    }
}

impl LabFile {
    /// Checks a lab file and resolves its weights; `base` is the folder that
    /// relative weights paths start from.
    pub fn validate(self, base: Option<&Path>) -> Result<LoadedLab, SceneError> {
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
        // The task, x₀ and steps are checked as a version-1 scene checks
        // them; so is each classical row, with its field names prefixed.
        let base_scene = Scene {
            objective: self.objective.clone(),
            x0: self.x0,
            steps: self.steps,
            optimizer: OptimizerSpec::Gd { lr: 0.05 },
            teleport: None,
        };
        let objective = base_scene.clone().validate()?.objective;
        let family = crate::pretrained::Family::of(&objective);
        let mut rows = Vec::with_capacity(self.optimizers.len());
        let mut seen: std::collections::HashMap<String, usize> = Default::default();
        for (i, spec) in self.optimizers.iter().enumerate() {
            let at = |field: &str| format!("optimizers[{i}].{field}");
            check_noise(i, spec.noise.as_ref())?;
            let mut weights_path = None;
            let (teleport, model) = match &spec.kind {
                RowKind::Classical(opt) => {
                    let scene = Scene {
                        optimizer: *opt,
                        teleport: spec.teleport.clone(),
                        ..base_scene.clone()
                    };
                    let loaded = scene.validate().map_err(|e| match e {
                        SceneError::Invalid { field, message } => {
                            let field = match field.strip_prefix("optimizer") {
                                Some(rest) => format!("optimizers[{i}]{rest}"),
                                None => format!("optimizers[{i}].{field}"),
                            };
                            SceneError::Invalid { field, message }
                        }
                        other => other,
                    })?;
                    (loaded.teleport, None)
                }
                // Where the shipped weights are not in the binary (the web),
                // the app fetches them when it shows the row.
                RowKind::Learned {
                    weights: WeightsRef::Pretrained,
                    ..
                } if !crate::pretrained::EMBEDDED => (None, None),
                RowKind::Learned { variant, weights } => {
                    let model = match weights {
                        WeightsRef::Pretrained => crate::pretrained::load(*variant, family)
                            .map_err(|e| invalid(at("weights"), e.to_string()))?,
                        WeightsRef::Path(p) => {
                            let path = match base {
                                Some(dir) if Path::new(p).is_relative() => dir.join(p),
                                _ => Path::new(p).to_path_buf(),
                            };
                            let model = crate::io::weights::load(&path)
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
                            crate::io::weights::from_bytes(&bytes)
                                .map_err(|e| invalid(at("weights.embedded"), e.to_string()))?
                                .0
                        }
                    };
                    if model.variant() != *variant {
                        return Err(invalid(
                            at("weights"),
                            format!(
                                "the weights are a {} model, the row says `{}`",
                                model.variant(),
                                variant
                            ),
                        ));
                    }
                    (None, Some(Arc::new(model)))
                }
            };
            let base_name = spec.label.clone().unwrap_or_else(|| {
                with_noise_label(
                    default_label(&spec.kind, teleport.as_ref()),
                    spec.noise.as_ref(),
                )
            });
            let n = seen.entry(base_name.clone()).or_insert(0);
            *n += 1;
            let name = if *n == 1 {
                base_name
            } else {
                format!("{base_name} #{n}")
            };
            rows.push(LoadedRow {
                spec: spec.clone(),
                name,
                teleport,
                noise: spec.noise,
                model,
                weights_path,
            });
        }
        Ok(LoadedLab {
            lab: self,
            objective,
            rows,
        })
    }
}

/// Parses a scene of either version from JSON text; `base` resolves a lab
/// file's relative weights paths.
pub fn from_json(text: &str, base: Option<&Path>) -> Result<AnyScene, SceneError> {
    let trimmed = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Only a lab file has a top-level `version`; look for it without
    // committing to either format's errors.
    let top = serde_json::from_str::<Map<String, Value>>(trimmed).ok();
    let version = top.as_ref().and_then(|m| m.get("version").cloned());
    // A network task is a lab file whose objective's family is `mlp`.
    let net = top
        .as_ref()
        .and_then(|m| {
            m.get("objective")?
                .get("family")?
                .as_str()
                .map(|f| f == "mlp")
        })
        .unwrap_or(false);
    let has_x0 = top.as_ref().is_some_and(|m| m.contains_key("x0"));
    if net && version.is_none() {
        return Err(invalid(
            "version".into(),
            format!(
                "a network task (\"family\": \"mlp\") is a lab file: add \"version\": {LAB_VERSION} and list its rows under `optimizers`"
            ),
        ));
    }
    if version.is_none() {
        return Scene::from_json(text).map(AnyScene::V1);
    }
    if trimmed.len() > MAX_LAB_BYTES {
        return Err(SceneError::TooLarge {
            bytes: trimmed.len() as u64,
        });
    }
    if net {
        return net_from_json(trimmed, has_x0, base).map(AnyScene::Net);
    }
    let de = &mut serde_json::Deserializer::from_str(trimmed);
    let lab: LabFile =
        serde_path_to_error::deserialize(&mut *de).map_err(|e| SceneError::Parse {
            path: one_line(&e.path().to_string(), 80),
            message: one_line(&e.inner().to_string(), MAX_MESSAGE_CHARS),
        })?;
    lab.validate(base).map(AnyScene::V2)
}

/// A network lab file from its JSON text.
fn net_from_json(
    text: &str,
    has_x0: bool,
    base: Option<&Path>,
) -> Result<super::net_lab::LoadedNetLab, SceneError> {
    if has_x0 {
        return Err(invalid(
            "x0".into(),
            "a network task has no `x0`: it starts from the parameters drawn from `objective.init_seed`",
        ));
    }
    let de = &mut serde_json::Deserializer::from_str(text);
    let lab: super::net_lab::NetLabFile =
        serde_path_to_error::deserialize(&mut *de).map_err(|e| SceneError::Parse {
            path: one_line(&e.path().to_string(), 80),
            message: one_line(&e.inner().to_string(), MAX_MESSAGE_CHARS),
        })?;
    lab.validate(base)
}

/// Reads a scene of either version: a regular file of at most
/// [`MAX_LAB_BYTES`] bytes of UTF-8 (a version-1 scene keeps its own, smaller
/// limit).
pub fn load(path: &Path) -> Result<AnyScene, SceneError> {
    let read_err = |source| SceneError::Read {
        path: path.display().to_string(),
        source,
    };
    let bytes = match super::read_capped(path, MAX_LAB_BYTES as u64) {
        Ok(bytes) => bytes,
        Err(super::ReadError::TooLarge { reported, .. }) => {
            return Err(SceneError::TooLarge { bytes: reported });
        }
        Err(e) => return Err(read_err(e)),
    };
    let text = String::from_utf8(bytes).map_err(|_| {
        read_err(super::ReadError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        )))
    })?;
    from_json(&text, path.parent())
}

/// Base64 of a weights file, for `{"embedded": …}`.
pub fn embed(model: &MetaOptimizer<f32>) -> Result<String, crate::io::weights::WeightsError> {
    let info = crate::io::weights::WeightsInfo {
        train: None,
        trajectories_trained: 0,
    };
    let bytes = crate::io::weights::to_bytes(model, &info)?;
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// The runs of a lab file as JSON: `{"runs": [{"name", "trajectory", "stop"?}]}`.
pub fn runs_json(runs: &[(String, Trajectory)]) -> String {
    #[derive(Serialize)]
    struct Run<'a> {
        name: &'a str,
        trajectory: &'a [crate::optim::Record],
        #[serde(skip_serializing_if = "Option::is_none")]
        stop: Option<&'a crate::optim::Stop>,
    }
    #[derive(Serialize)]
    struct Out<'a> {
        runs: Vec<Run<'a>>,
    }
    let out = Out {
        runs: runs
            .iter()
            .map(|(name, tr)| Run {
                name,
                trajectory: &tr.records,
                stop: tr.stop.as_ref(),
            })
            .collect(),
    };
    serde_json::to_string_pretty(&out).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// The runs of a lab file as CSV: today's columns with a leading `name`.
pub fn runs_csv(runs: &[(String, Trajectory)]) -> String {
    let mut out = String::from("name,t,x0,x1,f,grad0,grad1,teleported,theta\n");
    for (name, tr) in runs {
        let name = super::csv_field(name);
        for line in super::scene::trajectory_csv(tr).lines().skip(1) {
            out.push_str(&name);
            out.push(',');
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}
