//! A multilayer perceptron classifier of 2D points: 2 inputs → 1 to 3
//! hidden layers of 1 to 64 (Leaky)ReLU units → one logit, trained on the
//! mean binary cross-entropy.
//!
//! **Parameter layout** (the flat vector every optimizer, teleport and
//! file sees): for each layer in order, its weight matrix row-major
//! (outputs × inputs) and then its bias. One hidden layer of H units is
//! `W1` (H×2), `b1` (H), `W2` (1×H), `b2` (1): `4H + 1` numbers.
//!
//! **Loss**: with the logit `z` and the label `y ∈ {0, 1}`, each point
//! costs `ℓ = log(1 + eᶻ) − y·z = max(z, 0) − y·z + log1p(e^{−|z|})` (the
//! cross-entropy of `σ(z)`, written so that no `exp` overflows), and
//! `f = (1/N) Σ ℓ`; `∂ℓ/∂z = σ(z) − y`. A point is classified 1 where
//! `z > 0`; the accuracy is the fraction classified as labelled.
//!
//! **Initialisation** from `init_seed`: each weight uniform on `(−b, b)`
//! with `b = √(6 / fan_in)` into a hidden layer (He-uniform, for
//! (Leaky)ReLU) and `b = √(3 / fan_in)` into the output (LeCun-uniform, for
//! the linear logit); every bias 0. The draws go layer by layer, row by row.
//!
//! **Gradient**: backpropagation over chunks of [`CHUNK`] points, each
//! unit's values for the chunk's points contiguous, into buffers allocated
//! once ([`Workspace`]): a step allocates nothing. ReLU's derivative at 0
//! is taken as its slope below 0.

use rand::RngExt as _;
use serde::{Deserialize, Serialize};

use super::data::Dataset;

/// The most hidden layers.
pub const MAX_HIDDEN_LAYERS: usize = 3;
/// The most units in a hidden layer.
pub const MAX_WIDTH: usize = 64;
/// Points per pass through the layers: the chunk's activations of a
/// widest layer (64 × 256 × 8 bytes = 128 KiB) stay in the core's cache.
pub const CHUNK: usize = 256;

/// A hidden unit's activation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Activation {
    /// `max(z, 0)`.
    Relu,
    /// `z` for `z > 0`, `slope·z` otherwise (`0 ≤ slope ≤ 1`).
    LeakyRelu {
        /// The slope below 0.
        slope: f64,
    },
}

impl Activation {
    /// The slope below 0 (0 for ReLU).
    pub fn slope(self) -> f64 {
        match self {
            Self::Relu => 0.0,
            Self::LeakyRelu { slope } => slope,
        }
    }

    /// The name in files: `relu` or `leaky_relu`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Relu => "relu",
            Self::LeakyRelu { .. } => "leaky_relu",
        }
    }
}

/// The activations' names in files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivationName {
    /// [`Activation::Relu`].
    Relu,
    /// [`Activation::LeakyRelu`].
    LeakyRelu,
}

/// Why an architecture was refused.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum MlpError {
    /// No hidden layer, or more than [`MAX_HIDDEN_LAYERS`].
    #[error("`hidden` must list 1 to {MAX_HIDDEN_LAYERS} layer widths, got {count}")]
    Layers {
        /// How many were listed.
        count: usize,
    },
    /// A width of 0 or over [`MAX_WIDTH`].
    #[error("`hidden[{layer}]` must be 1 to {MAX_WIDTH} units, got {width}")]
    Width {
        /// The hidden layer (0-based).
        layer: usize,
        /// Its width.
        width: usize,
    },
    /// A LeakyReLU slope outside [0, 1] or not finite.
    #[error("`slope` must be a number from 0 to 1, got {slope}")]
    Slope {
        /// The slope given.
        slope: f64,
    },
}

/// One layer's place in the flat parameter vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layer {
    /// Inputs (units of the layer below, or 2).
    pub inputs: usize,
    /// Outputs (its units, or 1 for the logit).
    pub outputs: usize,
    /// Where its weights start: `W[j, i]` is at `weights + j·inputs + i`.
    pub weights: usize,
    /// Where its bias starts: `b[j]` is at `bias + j`.
    pub bias: usize,
}

/// An architecture: the layer widths and the activation. Parameters live
/// outside it, in flat vectors laid out as the module describes.
#[derive(Clone, Debug, PartialEq)]
pub struct Mlp {
    hidden: Vec<usize>,
    activation: Activation,
    layers: Vec<Layer>,
    params: usize,
}

/// Loss and accuracy at one parameter vector.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fit {
    /// The mean binary cross-entropy `f`.
    pub f: f64,
    /// The fraction of points classified as labelled.
    pub accuracy: f64,
}

/// Buffers for passes of [`CHUNK`] points through one architecture,
/// allocated once.
#[derive(Clone, Debug)]
pub struct Workspace {
    /// Each hidden layer's activations, unit by unit, `CHUNK` per unit.
    acts: Vec<Vec<f64>>,
    /// The logits of a chunk.
    logits: Vec<f64>,
    /// ∂ℓ/∂(pre-activation) of the layer being differentiated and of the
    /// one below it.
    delta: Vec<f64>,
    delta_below: Vec<f64>,
}

impl Mlp {
    /// An MLP `2 → hidden[0] → … → 1`; the error names the bad width or
    /// slope.
    pub fn new(hidden: &[usize], activation: Activation) -> Result<Self, MlpError> {
        if !(1..=MAX_HIDDEN_LAYERS).contains(&hidden.len()) {
            return Err(MlpError::Layers {
                count: hidden.len(),
            });
        }
        if let Some((layer, &width)) = hidden
            .iter()
            .enumerate()
            .find(|(_, w)| !(1..=MAX_WIDTH).contains(*w))
        {
            return Err(MlpError::Width { layer, width });
        }
        if let Activation::LeakyRelu { slope } = activation
            && !(slope.is_finite() && (0.0..=1.0).contains(&slope))
        {
            return Err(MlpError::Slope { slope });
        }
        let mut layers = Vec::with_capacity(hidden.len() + 1);
        let mut at = 0;
        let mut inputs = 2;
        for &outputs in hidden.iter().chain([&1]) {
            let weights = at;
            let bias = weights + outputs * inputs;
            at = bias + outputs;
            layers.push(Layer {
                inputs,
                outputs,
                weights,
                bias,
            });
            inputs = outputs;
        }
        Ok(Self {
            hidden: hidden.to_vec(),
            activation,
            layers,
            params: at,
        })
    }

    /// The hidden layers' widths.
    pub fn hidden(&self) -> &[usize] {
        &self.hidden
    }

    /// The activation of the hidden units.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// The layers, input side first; the last one computes the logit.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// The length of a parameter vector.
    pub fn num_params(&self) -> usize {
        self.params
    }

    /// The hidden units of every layer: the length of a vector of
    /// log-scales ([`super::rescale`]).
    pub fn num_hidden_units(&self) -> usize {
        self.hidden.iter().sum()
    }

    /// A shape such as `2-16-16-1`.
    pub fn shape(&self) -> String {
        let mut parts = vec!["2".to_owned()];
        parts.extend(self.hidden.iter().map(ToString::to_string));
        parts.push("1".to_owned());
        parts.join("-")
    }

    /// Initial parameters from `seed` (see the module's documentation).
    pub fn init(&self, seed: u64) -> Vec<f64> {
        let mut rng = crate::rng(seed);
        let mut params = vec![0.0; self.params];
        let last = self.layers.len() - 1;
        for (l, layer) in self.layers.iter().enumerate() {
            let gain = if l == last { 3.0 } else { 6.0 };
            let bound = (gain / layer.inputs as f64).sqrt();
            let count = layer.inputs * layer.outputs;
            for w in &mut params[layer.weights..layer.weights + count] {
                *w = rng.random_range(-bound..bound);
            }
        }
        params
    }

    /// Buffers for this architecture's passes.
    pub fn workspace(&self) -> Workspace {
        Workspace {
            acts: self.hidden.iter().map(|&h| vec![0.0; h * CHUNK]).collect(),
            logits: vec![0.0; CHUNK],
            delta: vec![0.0; MAX_WIDTH * CHUNK],
            delta_below: vec![0.0; MAX_WIDTH * CHUNK],
        }
    }

    /// The logits of the points `(x1[k], x2[k])`, `k < CHUNK`, into
    /// `ws.logits[..n]`; every hidden layer's activations stay in `ws`.
    fn forward_chunk(&self, params: &[f64], x1: &[f64], x2: &[f64], ws: &mut Workspace) {
        let n = x1.len();
        let slope = self.activation.slope();
        let (hidden_layers, out_layer) = self.layers.split_at(self.layers.len() - 1);
        for (l, layer) in hidden_layers.iter().enumerate() {
            let (below, rest) = ws.acts.split_at_mut(l);
            let out = &mut rest[0];
            for j in 0..layer.outputs {
                let row = &params[layer.weights + j * layer.inputs..][..layer.inputs];
                let z = &mut out[j * CHUNK..j * CHUNK + n];
                z.fill(params[layer.bias + j]);
                match below.last() {
                    None => {
                        axpy(z, row[0], x1);
                        axpy(z, row[1], x2);
                    }
                    Some(a) => {
                        for (i, &w) in row.iter().enumerate() {
                            axpy(z, w, &a[i * CHUNK..i * CHUNK + n]);
                        }
                    }
                }
                // A select, not a branch: the loop runs as vector code.
                for v in z.iter_mut() {
                    *v = if *v > 0.0 { *v } else { *v * slope };
                }
            }
        }
        let layer = out_layer[0];
        let z = &mut ws.logits[..n];
        z.fill(params[layer.bias]);
        if let Some(a) = ws.acts.last() {
            for i in 0..layer.inputs {
                axpy(z, params[layer.weights + i], &a[i * CHUNK..i * CHUNK + n]);
            }
        }
    }

    /// `f` and the accuracy at `params` on `data`.
    pub fn fit(&self, params: &[f64], data: &Dataset, ws: &mut Workspace) -> Fit {
        self.pass(params, data, ws, None)
    }

    /// `f`, the accuracy and `∇f` (into `grad`, as long as `params`) at
    /// `params` on `data`.
    pub fn fit_grad(
        &self,
        params: &[f64],
        data: &Dataset,
        ws: &mut Workspace,
        grad: &mut [f64],
    ) -> Fit {
        self.pass(params, data, ws, Some(grad))
    }

    fn pass(
        &self,
        params: &[f64],
        data: &Dataset,
        ws: &mut Workspace,
        mut grad: Option<&mut [f64]>,
    ) -> Fit {
        let total = data.len();
        let inv_n = 1.0 / total as f64;
        if let Some(g) = grad.as_deref_mut() {
            g.fill(0.0);
        }
        let (mut loss, mut correct) = (0.0, 0usize);
        for start in (0..total).step_by(CHUNK) {
            let end = (start + CHUNK).min(total);
            let n = end - start;
            let (x1, x2) = (&data.x1()[start..end], &data.x2()[start..end]);
            let y = &data.labels()[start..end];
            self.forward_chunk(params, x1, x2, ws);
            for (k, &z) in ws.logits[..n].iter().enumerate() {
                let label = f64::from(y[k]);
                let e = (-z.abs()).exp();
                loss += z.max(0.0) - label * z + e.ln_1p();
                correct += usize::from((z > 0.0) == (y[k] == 1));
                // σ(z) from e = exp(−|z|), without overflow either side.
                let sigma = if z >= 0.0 {
                    1.0 / (1.0 + e)
                } else {
                    e / (1.0 + e)
                };
                ws.delta[k] = (sigma - label) * inv_n;
            }
            if let Some(g) = grad.as_deref_mut() {
                self.backward_chunk(params, x1, x2, n, ws, g);
            }
        }
        Fit {
            f: loss * inv_n,
            accuracy: correct as f64 * inv_n,
        }
    }

    /// Adds the chunk's share of `∇f` to `grad`; `ws.delta[..n]` holds
    /// `∂f/∂z` of the logits, the activations are the forward pass's.
    fn backward_chunk(
        &self,
        params: &[f64],
        x1: &[f64],
        x2: &[f64],
        n: usize,
        ws: &mut Workspace,
        grad: &mut [f64],
    ) {
        let slope = self.activation.slope();
        for l in (0..self.layers.len()).rev() {
            let layer = self.layers[l];
            // The layer's inputs: the points, or the activations below.
            let input = |i: usize| -> &[f64] {
                match l {
                    0 if i == 0 => x1,
                    0 => x2,
                    _ => &ws.acts[l - 1][i * CHUNK..i * CHUNK + n],
                }
            };
            for j in 0..layer.outputs {
                let d = &ws.delta[j * CHUNK..j * CHUNK + n];
                grad[layer.bias + j] += sum(d);
                for i in 0..layer.inputs {
                    grad[layer.weights + j * layer.inputs + i] += dot(d, input(i));
                }
            }
            if l == 0 {
                break;
            }
            // δ below: (Wᵀ δ) ⊙ σ'(z), with σ' read off the activation's
            // sign (a > 0 exactly where z > 0, the slope being ≥ 0).
            for i in 0..layer.inputs {
                let below = &mut ws.delta_below[i * CHUNK..i * CHUNK + n];
                below.fill(0.0);
                for j in 0..layer.outputs {
                    let w = params[layer.weights + j * layer.inputs + i];
                    axpy(below, w, &ws.delta[j * CHUNK..j * CHUNK + n]);
                }
                let a = &ws.acts[l - 1][i * CHUNK..i * CHUNK + n];
                for (d, &a) in below.iter_mut().zip(a) {
                    *d = if a > 0.0 { *d } else { *d * slope };
                }
            }
            std::mem::swap(&mut ws.delta, &mut ws.delta_below);
        }
    }

    /// The logit of every point of `data` (allocates; for plots and tests).
    pub fn logits(&self, params: &[f64], data: &Dataset) -> Vec<f64> {
        self.logits_of(params, data.x1(), data.x2())
    }

    /// The logits of the points `(x1[k], x2[k])`.
    pub fn logits_of(&self, params: &[f64], x1: &[f64], x2: &[f64]) -> Vec<f64> {
        let mut ws = self.workspace();
        let mut out = Vec::with_capacity(x1.len());
        for start in (0..x1.len().min(x2.len())).step_by(CHUNK) {
            let end = (start + CHUNK).min(x1.len());
            self.forward_chunk(params, &x1[start..end], &x2[start..end], &mut ws);
            out.extend_from_slice(&ws.logits[..end - start]);
        }
        out
    }

    /// The probability of class 1, `σ(z)`, at `nx × ny` points spanning
    /// `[min, max]` (at least 2 × 2), laid out as [`crate::contour::Grid`]
    /// lays out its samples (row by row from `min[1]` up, `x` fastest):
    /// the decision function for a plot, its 0.5 level the boundary.
    pub fn probability_grid(
        &self,
        params: &[f64],
        min: [f64; 2],
        max: [f64; 2],
        nx: usize,
        ny: usize,
    ) -> crate::contour::Grid {
        let (nx, ny) = (nx.max(2), ny.max(2));
        let dx = (max[0] - min[0]) / (nx - 1) as f64;
        let dy = (max[1] - min[1]) / (ny - 1) as f64;
        let mut ws = self.workspace();
        let mut values = Vec::with_capacity(nx * ny);
        let (mut x1, mut x2) = (Vec::with_capacity(CHUNK), Vec::with_capacity(CHUNK));
        let cells = nx * ny;
        for start in (0..cells).step_by(CHUNK) {
            let end = (start + CHUNK).min(cells);
            x1.clear();
            x2.clear();
            for c in start..end {
                let (i, j) = (c % nx, c / nx);
                x1.push(min[0] + dx * i as f64);
                x2.push(min[1] + dy * j as f64);
            }
            self.forward_chunk(params, &x1, &x2, &mut ws);
            values.extend(ws.logits[..end - start].iter().map(|&z| sigmoid(z)));
        }
        crate::contour::Grid {
            min,
            max,
            nx,
            ny,
            values,
        }
    }
}

/// `σ(z) = 1 / (1 + e^{−z})`, without overflow either side.
pub fn sigmoid(z: f64) -> f64 {
    let e = (-z.abs()).exp();
    if z >= 0.0 {
        1.0 / (1.0 + e)
    } else {
        e / (1.0 + e)
    }
}

/// `y ← y + a·x`.
#[inline]
fn axpy(y: &mut [f64], a: f64, x: &[f64]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

/// Lanes of the sums below: eight independent partial sums, so that the
/// additions need not wait on each other and run as vector instructions.
const LANES: usize = 8;

/// `Σ aₖ·bₖ`, in a fixed order (eight partial sums, then those).
#[inline]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (a, b) in ca.zip(cb) {
        for l in 0..LANES {
            acc[l] += a[l] * b[l];
        }
    }
    for (l, (a, b)) in ra.iter().zip(rb).enumerate() {
        acc[l] += a * b;
    }
    reduce(acc)
}

/// `Σ aₖ`, in the same order as [`dot`].
#[inline]
fn sum(a: &[f64]) -> f64 {
    let mut acc = [0.0; LANES];
    let ca = a.chunks_exact(LANES);
    let ra = ca.remainder();
    for a in ca {
        for l in 0..LANES {
            acc[l] += a[l];
        }
    }
    for (l, a) in ra.iter().enumerate() {
        acc[l] += a;
    }
    reduce(acc)
}

#[inline]
fn reduce(acc: [f64; LANES]) -> f64 {
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]))
}
