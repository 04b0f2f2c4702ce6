//! Meta-optimizer weights as safetensors, the PyTorch ecosystem's format.
//!
//! Tensors use PyTorch's `nn.LSTMCell` layout, one prefix per network (`m1`,
//! and `m2` for the momentum variant's second network):
//! `m1.cell0.weight_ih [4H, I]`, `m1.cell0.weight_hh [4H, H]`,
//! `m1.cell0.bias [4H]` (PyTorch's `bias_ih + bias_hh`), the same for
//! `cell1` with `I = H`, then `m1.head.weight [O, H]` and `m1.head.bias [O]`.
//! Gates are ordered `i, f, g, o`. The metadata records the format version,
//! variant, hidden size, input and output layout, the training configuration
//! and seed.

use std::collections::HashMap;
use std::path::Path;

use safetensors::tensor::{Dtype, SafeTensors};

use crate::l2o::lstm::{Net, NetShape};
use crate::l2o::{MetaOptimizer, ModelConfig, TrainConfig};

/// The format name in the metadata.
pub const FORMAT: &str = "teleport-lab/meta-optimizer";
/// The format version this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;
/// The largest weights file accepted: 256 MiB, about 2.5 times the largest
/// valid file. [`ModelConfig::validate`] allows `H ≤ 1024`; the biggest model
/// is the momentum variant (two networks, heads of 1 and 2 outputs) with
/// log-sign inputs (4 features): each network has
/// `4H(4 + H) + 4H + 4H·2H + 4H + O(H + 1)` = 12 607 488 + 1025·O parameters,
/// so 25 218 051 f32 values, 100 872 204 bytes (96.2 MiB), plus a header of
/// a few kilobytes. The shipped files (H = 100) are 0.5–1 MB.
/// [`load`] never reads more than this plus one byte.
pub const MAX_WEIGHTS_BYTES: u64 = 256 << 20;

/// What a weights file carries besides the tensors.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WeightsInfo {
    /// How the weights were trained, when known.
    pub train: Option<TrainConfig>,
    /// Trajectories trained on.
    pub trajectories_trained: usize,
}

/// Why weights could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file could not be read: it is not a regular file (a FIFO, a
    /// device, a folder), or it grew past the limit while being read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: super::ReadError,
    },
    /// The file is larger than any weights file this tool writes.
    #[error("weights file is {bytes} bytes; the limit is {MAX_WEIGHTS_BYTES} bytes")]
    TooLarge {
        /// The size.
        bytes: u64,
    },
    /// The bytes are not a safetensors file.
    #[error("not a safetensors file: {0}")]
    NotSafetensors(String),
    /// The file is safetensors but not teleport-lab weights, or of another version.
    #[error("not teleport-lab weights: {0}")]
    WrongFormat(String),
    /// The metadata's model configuration is out of range (a hidden size
    /// of 0, a negative `max_lr`).
    #[error("not teleport-lab weights: {0}")]
    InvalidModel(#[source] crate::l2o::ModelConfigError),
    /// A tensor is missing, of the wrong type or shape, or not finite.
    #[error("tensor `{name}`: {message}")]
    Tensor {
        /// The tensor's name.
        name: String,
        /// What is wrong.
        message: String,
    },
}

fn net_prefix(k: usize) -> String {
    format!("m{}", k + 1)
}

/// The tensors of one network in PyTorch layout: `(name, shape, values)`.
pub(super) fn net_tensors(prefix: &str, net: &Net<f32>) -> Vec<(String, Vec<usize>, Vec<f32>)> {
    let shape = net.shape();
    let h = shape.hidden;
    let p = net.params();
    let mut out = Vec::new();
    for block in shape.blocks() {
        let data = &p[block.offset..block.offset + block.len()];
        match block.name.as_str() {
            name if name.ends_with(".weight") && block.column_major => {
                // [4H, n + H] column-major → weight_ih [4H, n] and weight_hh [4H, H], row-major.
                let rows = block.rows;
                let n_in = block.cols - h;
                let cell = name.trim_end_matches(".weight");
                let row_major = |cols: std::ops::Range<usize>| -> Vec<f32> {
                    let mut v = Vec::with_capacity(rows * cols.len());
                    for r in 0..rows {
                        for c in cols.clone() {
                            v.push(data[c * rows + r]);
                        }
                    }
                    v
                };
                out.push((
                    format!("{prefix}.{cell}.weight_ih"),
                    vec![rows, n_in],
                    row_major(0..n_in),
                ));
                out.push((
                    format!("{prefix}.{cell}.weight_hh"),
                    vec![rows, h],
                    row_major(n_in..n_in + h),
                ));
            }
            name => {
                let dims = if block.cols == 1 {
                    vec![block.rows]
                } else {
                    vec![block.rows, block.cols]
                };
                out.push((format!("{prefix}.{name}"), dims, data.to_vec()));
            }
        }
    }
    out
}

/// Serializes a meta-optimizer to safetensors bytes.
pub fn to_bytes(model: &MetaOptimizer<f32>, info: &WeightsInfo) -> Result<Vec<u8>, WeightsError> {
    let config = model.config();
    let mut meta = HashMap::new();
    meta.insert("format".to_owned(), FORMAT.to_owned());
    meta.insert("format_version".to_owned(), FORMAT_VERSION.to_string());
    meta.insert("variant".to_owned(), config.variant.name().to_owned());
    meta.insert("hidden".to_owned(), config.hidden.to_string());
    meta.insert(
        "input".to_owned(),
        format!(
            "{:?} gradient preprocessing, {} features",
            config.preprocess,
            config.preprocess.input_size()
        ),
    );
    meta.insert("outputs".to_owned(), output_layout(config));
    meta.insert("model_config".to_owned(), json(config));
    if let Some(train) = &info.train {
        meta.insert("train_config".to_owned(), json(train));
        meta.insert("dist".to_owned(), train.dist.name().to_owned());
        meta.insert("seed".to_owned(), train.seed.to_string());
    }
    meta.insert(
        "trajectories_trained".to_owned(),
        info.trajectories_trained.to_string(),
    );

    let tensors: Vec<(String, Vec<usize>, Vec<u8>)> = model
        .nets()
        .iter()
        .enumerate()
        .flat_map(|(k, net)| net_tensors(&net_prefix(k), net))
        .map(|(name, shape, values)| {
            let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
            (name, shape, bytes)
        })
        .collect();
    Ok(encode(&tensors, &meta))
}

/// Lays out a safetensors file: an 8-byte header length, the JSON header
/// (keys sorted, padded with spaces to a multiple of 8), then the tensors'
/// bytes in order. Written here rather than by `safetensors::serialize`
/// because that takes the metadata as a `HashMap`, whose random iteration
/// order made the same weights produce different files; sorted keys make
/// `teleport-lab pretrain` reproducible byte for byte. Reading still goes
/// through the `safetensors` crate's validation.
pub(super) fn encode(
    tensors: &[(String, Vec<usize>, Vec<u8>)],
    meta: &HashMap<String, String>,
) -> Vec<u8> {
    let mut header = serde_json::Map::new();
    let sorted: std::collections::BTreeMap<&String, &String> = meta.iter().collect();
    header.insert("__metadata__".to_owned(), serde_json::json!(sorted));
    let mut offset = 0usize;
    for (name, shape, bytes) in tensors {
        header.insert(
            name.clone(),
            serde_json::json!({"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + bytes.len()]}),
        );
        offset += bytes.len();
    }
    // serde_json's Map is ordered by key (no `preserve_order` feature).
    let mut text = serde_json::Value::Object(header).to_string().into_bytes();
    while !text.len().is_multiple_of(8) {
        text.push(b' ');
    }
    let mut out = Vec::with_capacity(8 + text.len() + offset);
    out.extend_from_slice(&(text.len() as u64).to_le_bytes());
    out.extend_from_slice(&text);
    for (_, _, bytes) in tensors {
        out.extend_from_slice(bytes);
    }
    out
}

/// A human description of the head outputs.
fn output_layout(config: &ModelConfig) -> String {
    use crate::l2o::Variant;
    match config.variant {
        Variant::L2o => "m1: [dx, dy]".to_owned(),
        Variant::L2oTele => format!("m1: [dx, dy, theta = {} * tanh(y)]", config.max_angle),
        Variant::LrTele => format!(
            "m1: [alpha = {} * sigmoid(y - 3), theta = {} * tanh(y)]",
            config.max_lr, config.max_angle
        ),
        Variant::LrTeleMomentum => format!(
            "m1: [alpha = {} * sigmoid(y - 3)]; m2: [beta = sigmoid(y), theta = {} * tanh(y)]",
            config.max_lr, config.max_angle
        ),
    }
}

/// Config types as JSON for the metadata (they hold only plain data).
pub(super) fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// Reads a meta-optimizer from safetensors bytes, checking the format,
/// version, shapes and finiteness.
pub fn from_bytes(bytes: &[u8]) -> Result<(MetaOptimizer<f32>, WeightsInfo), WeightsError> {
    parse(bytes).map_err(tidy)
}

/// An error whose message quotes the file (metadata values, tensor
/// names) cut to one line of a readable length, whatever the file holds.
pub(super) fn tidy(e: WeightsError) -> WeightsError {
    let tidy = |s: String| super::scene::one_line(&s, super::scene::MAX_MESSAGE_CHARS);
    match e {
        WeightsError::NotSafetensors(m) => WeightsError::NotSafetensors(tidy(m)),
        WeightsError::WrongFormat(m) => WeightsError::WrongFormat(tidy(m)),
        WeightsError::Tensor { name, message } => WeightsError::Tensor {
            name: tidy(name),
            message: tidy(message),
        },
        e => e,
    }
}

fn parse(bytes: &[u8]) -> Result<(MetaOptimizer<f32>, WeightsInfo), WeightsError> {
    if bytes.len() as u64 > MAX_WEIGHTS_BYTES {
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
    if get("format")? != FORMAT {
        return Err(WeightsError::WrongFormat(format!(
            "format is `{}`, expected `{FORMAT}`",
            get("format")?
        )));
    }
    let version = get("format_version")?;
    if version.parse::<u32>().ok() != Some(FORMAT_VERSION) {
        return Err(WeightsError::WrongFormat(format!(
            "format version `{version}` is not supported (this build reads version {FORMAT_VERSION})"
        )));
    }
    let config: ModelConfig = serde_json::from_str(get("model_config")?)
        .map_err(|e| WeightsError::WrongFormat(format!("model_config: {e}")))?;
    config.validate().map_err(WeightsError::InvalidModel)?;
    let train = meta
        .get("train_config")
        .map(|s| serde_json::from_str::<TrainConfig>(s))
        .transpose()
        .map_err(|e| WeightsError::WrongFormat(format!("train_config: {e}")))?;
    let trajectories_trained = meta
        .get("trajectories_trained")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);

    let mut nets = Vec::new();
    for (k, shape) in config.shapes().into_iter().enumerate() {
        nets.push(read_net(&st, &net_prefix(k), shape)?);
    }
    let expected: usize = config.shapes().len() * 8;
    if st.len() != expected {
        let names: Vec<String> = st.names().into_iter().map(str::to_owned).collect();
        return Err(WeightsError::WrongFormat(format!(
            "expected {expected} tensors for variant `{}`, found {}: {}",
            config.variant,
            st.len(),
            names.join(", ")
        )));
    }
    let model = MetaOptimizer::from_nets(config, nets).ok_or_else(|| {
        WeightsError::WrongFormat("networks do not fit the configuration".to_owned())
    })?;
    Ok((
        model,
        WeightsInfo {
            train,
            trajectories_trained,
        },
    ))
}

/// The safetensors crate's error in words that say what is wrong with the file.
pub(super) fn explain(bytes: &[u8], e: &safetensors::SafeTensorError) -> String {
    use safetensors::SafeTensorError as E;
    let len = bytes.len() as u64;
    // A safetensors file starts with the header's length, 8 bytes little-endian.
    let claimed = bytes.first_chunk::<8>().map(|n| u64::from_le_bytes(*n));
    match (e, claimed) {
        (_, None) if bytes.is_empty() => "the file is empty".to_owned(),
        (_, None) => format!("the file is {len} bytes, too short for the 8-byte header length"),
        (E::HeaderTooLarge | E::InvalidHeaderLength, Some(n)) if n > len - 8 => format!(
            "the header claims {n} bytes but only {} follow its length",
            len - 8
        ),
        (E::HeaderTooLarge, Some(n)) => {
            format!("the header claims {n} bytes; safetensors allows at most 100 MB")
        }
        (E::MetadataIncompleteBuffer, _) => {
            "the tensor data does not match the header (is the file truncated or padded?)"
                .to_owned()
        }
        (e, _) => e.to_string(),
    }
}

fn read_tensor(
    st: &SafeTensors<'_>,
    name: &str,
    shape: &[usize],
) -> Result<Vec<f32>, WeightsError> {
    let err = |message: String| WeightsError::Tensor {
        name: name.to_owned(),
        message,
    };
    let view = st.tensor(name).map_err(|_| err("is missing".to_owned()))?;
    if view.dtype() != Dtype::F32 {
        return Err(err(format!("has dtype {:?}, expected F32", view.dtype())));
    }
    if view.shape() != shape {
        return Err(err(format!(
            "has shape {:?}, expected {shape:?}",
            view.shape()
        )));
    }
    let values: Vec<f32> = view
        .data()
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(err(format!(
            "entry {i} is {}, weights must be finite",
            values[i]
        )));
    }
    Ok(values)
}

pub(super) fn read_net(
    st: &SafeTensors<'_>,
    prefix: &str,
    shape: NetShape,
) -> Result<Net<f32>, WeightsError> {
    let h = shape.hidden;
    let mut params = vec![0.0_f32; shape.num_params()];
    for block in shape.blocks() {
        let name = format!("{prefix}.{}", block.name);
        if block.name.ends_with(".weight") && block.column_major {
            let cell = name.trim_end_matches(".weight");
            let rows = block.rows;
            let n_in = block.cols - h;
            let ih = read_tensor(st, &format!("{cell}.weight_ih"), &[rows, n_in])?;
            let hh = read_tensor(st, &format!("{cell}.weight_hh"), &[rows, h])?;
            for r in 0..rows {
                for c in 0..n_in {
                    params[block.offset + c * rows + r] = ih[r * n_in + c];
                }
                for c in 0..h {
                    params[block.offset + (n_in + c) * rows + r] = hh[r * h + c];
                }
            }
        } else {
            let dims = if block.cols == 1 {
                vec![block.rows]
            } else {
                vec![block.rows, block.cols]
            };
            let values = read_tensor(st, &name, &dims)?;
            params[block.offset..block.offset + block.len()].copy_from_slice(&values);
        }
    }
    Net::from_params(shape, params).ok_or_else(|| WeightsError::Tensor {
        name: prefix.to_owned(),
        message: "wrong number of parameters".to_owned(),
    })
}

/// Writes weights atomically (temporary file, then rename).
pub fn save(
    path: &Path,
    model: &MetaOptimizer<f32>,
    info: &WeightsInfo,
) -> Result<(), WeightsError> {
    let bytes = to_bytes(model, info)?;
    super::write_atomic(path, &bytes).map_err(|source| WeightsError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Reads weights from a file: a regular file (not a FIFO, a device or a
/// folder) of at most [`MAX_WEIGHTS_BYTES`] bytes.
pub fn load(path: &Path) -> Result<(MetaOptimizer<f32>, WeightsInfo), WeightsError> {
    from_bytes(&read_file(path)?)
}

/// The bytes of a weights file: a regular file (not a FIFO, a device or a
/// folder) of at most [`MAX_WEIGHTS_BYTES`] bytes.
pub(super) fn read_file(path: &Path) -> Result<Vec<u8>, WeightsError> {
    use super::ReadError;
    let path_text = || path.display().to_string();
    let bytes = match super::read_capped(path, MAX_WEIGHTS_BYTES) {
        Ok(bytes) => bytes,
        Err(ReadError::Io(source)) => {
            return Err(WeightsError::Io {
                path: path_text(),
                source,
            });
        }
        Err(ReadError::TooLarge { limit, reported }) if reported > limit => {
            return Err(WeightsError::TooLarge { bytes: reported });
        }
        Err(source) => {
            return Err(WeightsError::Read {
                path: path_text(),
                source,
            });
        }
    };
    Ok(bytes)
}
