//! The LSTM run on many optimizees at once, for basin maps: each cell's
//! gates for a batch of inputs are one matrix–matrix product.
//!
//! A single step ([`Net::step`]) is a handful of matrix–vector products,
//! which read every weight once per optimizee. Here the weights are packed
//! once into strips of [`STRIP`] gate columns, and a tile of [`TILE`]
//! optimizees × [`STRIP`] gates is accumulated in registers over the whole
//! input, so each weight loaded serves [`TILE`] optimizees. The gate
//! nonlinearities use a vectorizable `exp` (Cephes' polynomial, about one
//! unit in the last place), so the numbers agree with [`Net::step`] to `f32`
//! round-off, not bit for bit.

use super::lstm::Net;
pub use super::real::exp_fast;
use super::real::{dot, madd, sigmoid_fast, tanh_fast};

/// Gate columns per register tile: two 256-bit registers of `f32`.
const STRIP: usize = 16;
/// Optimizees per register tile (with [`STRIP`], 12 accumulators).
pub const TILE: usize = 6;

/// A network's weights packed for batches: each cell's gate matrix in
/// strips of [`STRIP`] columns (`[strip][input][column]`).
#[derive(Clone, Debug)]
pub struct PackedNet {
    input: usize,
    hidden: usize,
    output: usize,
    /// Per cell: the packed gate matrix and its bias.
    cells: [PackedCell; 2],
    head_w: Vec<f32>,
    head_b: Vec<f32>,
}

/// One cell's gate matrix `[strip][input][column]` and bias `[strip][column]`.
#[derive(Clone, Debug)]
struct PackedCell {
    w: Vec<[f32; STRIP]>,
    b: Vec<[f32; STRIP]>,
}

/// The recurrent state of a batch of optimizees, and the buffers of a step.
/// Its size is a multiple of [`TILE`]; optimizees past the last real one are
/// padding.
#[derive(Clone, Debug)]
pub struct BatchState {
    len: usize,
    /// Per cell: `[input; h_prev]` per tile, `[tile][k][lane]`.
    xin: [Vec<[f32; TILE]>; 2],
    /// Cell states, `[optimizee][H]`.
    c: [Vec<f32>; 2],
    /// The top cell's output, `[optimizee][H]`, the head's input.
    h_top: Vec<f32>,
    /// Gate pre-activations of one cell, `[optimizee][4H]`.
    gates: Vec<f32>,
    /// One optimizee's new `h` of one cell.
    h_new: Vec<f32>,
}

impl BatchState {
    /// The optimizees this state holds (padding included).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl PackedNet {
    /// Packs the weights of `net`.
    pub fn new(net: &Net<f32>) -> Self {
        let shape = net.shape();
        let (h, params) = (shape.hidden, net.params());
        let rows = 4 * h;
        let pack = |l: usize| {
            let o = shape.layer(l);
            let k_len = o.inputs + h;
            let strips = rows.div_ceil(STRIP);
            let mut w = vec![[0.0; STRIP]; strips * k_len];
            let mut b = vec![[0.0; STRIP]; strips];
            for s in 0..strips {
                for j in 0..STRIP.min(rows - s * STRIP) {
                    let col = s * STRIP + j;
                    for k in 0..k_len {
                        w[s * k_len + k][j] = params[o.weight + k * rows + col];
                    }
                    b[s][j] = params[o.bias + col];
                }
            }
            PackedCell { w, b }
        };
        let head = shape.head_offset();
        Self {
            input: shape.input,
            hidden: h,
            output: shape.output,
            cells: [pack(0), pack(1)],
            head_w: params[head..head + shape.output * h].to_vec(),
            head_b: params[head + shape.output * h..].to_vec(),
        }
    }

    /// Head outputs per optimizee.
    pub fn outputs(&self) -> usize {
        self.output
    }

    /// The zero state of at least `n` optimizees (rounded up to [`TILE`]).
    pub fn zeros(&self, n: usize) -> BatchState {
        let len = n.div_ceil(TILE).max(1) * TILE;
        let tiles = len / TILE;
        let h = self.hidden;
        BatchState {
            len,
            xin: [
                vec![[0.0; TILE]; tiles * (self.input + h)],
                vec![[0.0; TILE]; tiles * 2 * h],
            ],
            c: [vec![0.0; len * h], vec![0.0; len * h]],
            h_top: vec![0.0; len * h],
            gates: vec![0.0; len * 4 * h],
            h_new: vec![0.0; h],
        }
    }

    /// One step of every optimizee of `state`: `inputs` holds
    /// [`Net::shape`]`.input` features per optimizee (`state.len()` of
    /// them), `outputs` receives [`Self::outputs`] head outputs per
    /// optimizee.
    pub fn step(&self, inputs: &[f32], state: &mut BatchState, outputs: &mut [f32]) {
        let (n_in, h) = (self.input, self.hidden);
        debug_assert_eq!(inputs.len(), state.len * n_in);
        debug_assert_eq!(outputs.len(), state.len * self.output);
        let k0 = n_in + h;
        for (b, x) in inputs.chunks_exact(n_in).enumerate() {
            let (tile, lane) = (b / TILE, b % TILE);
            for (k, &v) in x.iter().enumerate() {
                state.xin[0][tile * k0 + k][lane] = v;
            }
        }
        for l in 0..2 {
            self.cell(l, state);
        }
        for (b, out) in outputs.chunks_exact_mut(self.output).enumerate() {
            let hb = &state.h_top[b * h..(b + 1) * h];
            for (k, o) in out.iter_mut().enumerate() {
                let w = &self.head_w[k * h..(k + 1) * h];
                *o = dot(w, hb) + self.head_b[k];
            }
        }
    }

    /// Gates, activations and the new `(h, c)` of cell `l` for the batch.
    fn cell(&self, l: usize, state: &mut BatchState) {
        let h = self.hidden;
        let rows = 4 * h;
        let k_len = if l == 0 { self.input + h } else { 2 * h };
        let PackedCell { w, b: bias } = &self.cells[l];
        let tiles = state.len / TILE;
        for (s, b) in bias.iter().enumerate() {
            let strip = &w[s * k_len..(s + 1) * k_len];
            let width = STRIP.min(rows - s * STRIP);
            for t in 0..tiles {
                let x = &state.xin[l][t * k_len..(t + 1) * k_len];
                let mut acc = [*b; TILE];
                for (wk, xk) in strip.iter().zip(x) {
                    for lane in 0..TILE {
                        let xv = xk[lane];
                        for j in 0..STRIP {
                            acc[lane][j] = madd(xv, wk[j], acc[lane][j]);
                        }
                    }
                }
                for (lane, a) in acc.iter().enumerate() {
                    let at = (t * TILE + lane) * rows + s * STRIP;
                    state.gates[at..at + width].copy_from_slice(&a[..width]);
                }
            }
        }
        let k_next = if l == 0 { 2 * h } else { 0 };
        let BatchState {
            len,
            xin,
            c,
            h_top,
            gates,
            h_new,
        } = state;
        for b in 0..*len {
            let g = &gates[b * rows..(b + 1) * rows];
            let (gi, rest) = g.split_at(h);
            let (gf, rest) = rest.split_at(h);
            let (gg, go) = rest.split_at(h);
            let c = &mut c[l][b * h..(b + 1) * h];
            let gates = gi.iter().zip(gf).zip(gg.iter().zip(go));
            for ((cj, hj), ((&i, &f), (&g, &o))) in c.iter_mut().zip(h_new.iter_mut()).zip(gates) {
                let cn = madd(sigmoid_fast(f), *cj, sigmoid_fast(i) * tanh_fast(g));
                *cj = cn;
                *hj = sigmoid_fast(o) * tanh_fast(cn);
            }
            let (tile, lane) = (b / TILE, b % TILE);
            // This cell's own recurrent input, after its external input.
            let own = tile * k_len + (k_len - h);
            for (j, &v) in h_new.iter().enumerate() {
                xin[l][own + j][lane] = v;
            }
            if l == 0 {
                // Cell 1 reads cell 0's new output first.
                for (j, &v) in h_new.iter().enumerate() {
                    xin[1][tile * k_next + j][lane] = v;
                }
            } else {
                h_top[b * h..(b + 1) * h].copy_from_slice(h_new);
            }
        }
    }
}
