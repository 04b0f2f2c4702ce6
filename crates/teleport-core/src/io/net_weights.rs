//! The networks' coordinate-wise optimizers ([`crate::net::learned`]) as
//! safetensors files.
//!
//! **Tensors** (f32, PyTorch's `nn.LSTMCell` layout, gates `i, f, g, o`),
//! one LSTM under the prefix `cw`:
//!
//! | name | shape |
//! |---|---|
//! | `cw.cell0.weight_ih` | `[4H, 2]` |
//! | `cw.cell0.weight_hh` | `[4H, H]` |
//! | `cw.cell0.bias` | `[4H]` (PyTorch's `bias_ih + bias_hh`) |
//! | `cw.cell1.weight_ih`, `cw.cell1.weight_hh` | `[4H, H]` |
//! | `cw.cell1.bias` | `[4H]` |
//! | `cw.head.weight` | `[O, H]` (`O` = 1 for `cw-l2o`, 2 for `cw-l2o-tele`) |
//! | `cw.head.bias` | `[O]` |
//!
//! **Metadata** (strings): `format` = [`FORMAT`], `format_version` =
//! [`FORMAT_VERSION`], `variant` (`cw-l2o` or `cw-l2o-tele`), `hidden`,
//! `input` (the preprocessing, in words), `outputs` (what each head output
//! means, with the output scale and `S`), `output_scale`, `teleport` (JSON:
//! `S`, the steps that teleport, how the step and the direction are made),
//! `model_config` (JSON of [`CwConfig`], what the reader trusts),
//! `train_config` (JSON of [`NetTrainConfig`], the task distribution
//! included), `dist` (the distribution in words), `seed` and
//! `trajectories_trained`.
//!
//! Reading checks the format and version, the configuration's bounds, the
//! number, names, types and shapes of the tensors and that every weight is
//! finite; every refusal is one line ([`WeightsError`]). Files are read
//! capped at [`super::weights::MAX_WEIGHTS_BYTES`] and written atomically.

use std::collections::HashMap;
use std::path::Path;

use base64::Engine as _;
use safetensors::tensor::SafeTensors;

use super::weights::{WeightsError, encode, explain, json, net_tensors, read_net, tidy};
use crate::net::learned::{CwConfig, CwModel, CwVariant};
use crate::net::train::NetTrainConfig;

/// The format name in the metadata.
pub const FORMAT: &str = "teleport-lab/cw-meta-optimizer";
/// The format version this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;
/// The prefix of the LSTM's tensors.
const PREFIX: &str = "cw";

/// What a weights file carries besides the tensors.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NetWeightsInfo {
    /// How the weights were trained, when known.
    pub train: Option<NetTrainConfig>,
    /// Trajectories trained on.
    pub trajectories_trained: usize,
}

/// The preprocessing, in words, for the metadata.
const INPUT: &str = "per coordinate: its gradient g preprocessed as Andrychowicz et al. 2016 (p = 10): [ln|g|/p, sign g] if |g| >= e^-p, else [-1, e^p g]; 2 features";

/// What the head outputs mean, in words, for the metadata.
fn output_layout(config: &CwConfig) -> String {
    let c = config.output_scale;
    match config.variant {
        CwVariant::CwL2o => format!("per coordinate i: [y_i]; theta_i += {c} * y_i"),
        CwVariant::CwL2oTele => format!(
            "per coordinate i: [y_i, u_i]; theta_i += {c} * y_i, then theta <- D_s theta with s = a * d / max|d|, a = {} * tanh(mean_i u_i), d = d||grad f||^2/ds at s = 0 (one entry per hidden unit)",
            config.max_log_scale
        ),
    }
}

/// Serializes a coordinate-wise optimizer to safetensors bytes (the same
/// model gives the same bytes).
pub fn to_bytes(model: &CwModel<f32>, info: &NetWeightsInfo) -> Vec<u8> {
    let config = model.config();
    let mut meta = HashMap::new();
    meta.insert("format".to_owned(), FORMAT.to_owned());
    meta.insert("format_version".to_owned(), FORMAT_VERSION.to_string());
    meta.insert("variant".to_owned(), config.variant.name().to_owned());
    meta.insert("hidden".to_owned(), config.hidden.to_string());
    meta.insert("input".to_owned(), INPUT.to_owned());
    meta.insert(
        "coordinate_wise".to_owned(),
        "one LSTM shared by every parameter coordinate, each coordinate with its own state"
            .to_owned(),
    );
    meta.insert("outputs".to_owned(), output_layout(config));
    meta.insert("output_scale".to_owned(), config.output_scale.to_string());
    let teleport = serde_json::json!({
        "teleports": config.variant.teleports(),
        "max_log_scale": config.max_log_scale,
        "when": config.teleport,
        "step": "a = max_log_scale * tanh(mean over coordinates of the second head output)",
        "direction": "d = d||grad f(D_s theta)||^2/ds at s = 0, scaled to max|d| = 1, a constant in the meta-gradient",
        "applied": "after the update: theta_t = D_{a d} (theta_{t-1} + output_scale * y)",
    });
    meta.insert("teleport".to_owned(), teleport.to_string());
    meta.insert("model_config".to_owned(), json(config));
    if let Some(train) = &info.train {
        meta.insert("train_config".to_owned(), json(train));
        meta.insert("dist".to_owned(), train.dist.describe());
        meta.insert("seed".to_owned(), train.seed.to_string());
    }
    meta.insert(
        "trajectories_trained".to_owned(),
        info.trajectories_trained.to_string(),
    );
    let tensors: Vec<(String, Vec<usize>, Vec<u8>)> = net_tensors(PREFIX, model.net())
        .into_iter()
        .map(|(name, shape, values)| {
            let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
            (name, shape, bytes)
        })
        .collect();
    encode(&tensors, &meta)
}

/// Reads a coordinate-wise optimizer from safetensors bytes, checking the
/// format, version, configuration, shapes and finiteness.
pub fn from_bytes(bytes: &[u8]) -> Result<(CwModel<f32>, NetWeightsInfo), WeightsError> {
    parse(bytes).map_err(tidy)
}

fn parse(bytes: &[u8]) -> Result<(CwModel<f32>, NetWeightsInfo), WeightsError> {
    let limit = super::weights::MAX_WEIGHTS_BYTES;
    if bytes.len() as u64 > limit {
        return Err(WeightsError::TooLarge {
            bytes: bytes.len() as u64,
        });
    }
    let not_st = |e: safetensors::SafeTensorError| WeightsError::NotSafetensors(explain(bytes, &e));
    let st = SafeTensors::deserialize(bytes).map_err(not_st)?;
    let (_, header) = SafeTensors::read_metadata(bytes).map_err(not_st)?;
    let meta = header
        .metadata()
        .as_ref()
        .ok_or_else(|| WeightsError::WrongFormat("the file has no metadata".to_owned()))?;
    let get = |key: &str| {
        meta.get(key)
            .ok_or_else(|| WeightsError::WrongFormat(format!("metadata has no `{key}`")))
    };
    let format = get("format")?;
    if format != FORMAT {
        let hint = if format == super::weights::FORMAT {
            " (these are a 2D optimizer's weights; a network row needs cw-l2o or cw-l2o-tele weights)"
        } else {
            ""
        };
        return Err(WeightsError::WrongFormat(format!(
            "format is `{format}`, expected `{FORMAT}`{hint}"
        )));
    }
    let version = get("format_version")?;
    if version.parse::<u32>().ok() != Some(FORMAT_VERSION) {
        return Err(WeightsError::WrongFormat(format!(
            "format version `{version}` is not supported (this build reads version {FORMAT_VERSION})"
        )));
    }
    let config: CwConfig = serde_json::from_str(get("model_config")?)
        .map_err(|e| WeightsError::WrongFormat(format!("model_config: {e}")))?;
    config
        .validate()
        .map_err(|e| WeightsError::WrongFormat(format!("model_config: {e}")))?;
    let train = meta
        .get("train_config")
        .map(|s| serde_json::from_str::<NetTrainConfig>(s))
        .transpose()
        .map_err(|e| WeightsError::WrongFormat(format!("train_config: {e}")))?;
    let trajectories_trained = meta
        .get("trajectories_trained")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let net = read_net(&st, PREFIX, config.shape())?;
    // Eight tensors: two cells of three, the head's two.
    if st.len() != 8 {
        let names: Vec<String> = st.names().into_iter().map(str::to_owned).collect();
        return Err(WeightsError::WrongFormat(format!(
            "expected 8 tensors for variant `{}`, found {}: {}",
            config.variant,
            st.len(),
            names.join(", ")
        )));
    }
    let model = CwModel::from_net(config, net).ok_or_else(|| {
        WeightsError::WrongFormat("the LSTM does not fit the configuration".to_owned())
    })?;
    Ok((
        model,
        NetWeightsInfo {
            train,
            trajectories_trained,
        },
    ))
}

/// Writes weights atomically (temporary file, then rename).
pub fn save(path: &Path, model: &CwModel<f32>, info: &NetWeightsInfo) -> Result<(), WeightsError> {
    super::write_atomic(path, &to_bytes(model, info)).map_err(|source| WeightsError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Reads weights from a file: a regular file (not a FIFO, a device or a
/// folder) of at most [`super::weights::MAX_WEIGHTS_BYTES`] bytes.
pub fn load(path: &Path) -> Result<(CwModel<f32>, NetWeightsInfo), WeightsError> {
    from_bytes(&super::weights::read_file(path)?)
}

/// Base64 of a weights file, for a network lab row's `{"embedded": …}`.
pub fn embed(model: &CwModel<f32>) -> String {
    base64::engine::general_purpose::STANDARD.encode(to_bytes(model, &NetWeightsInfo::default()))
}
