//! Two stacked LSTM cells and a linear head, with a hand-written backward
//! pass through time.
//!
//! Parameters live in one flat vector (so that Adam, saving and gradient
//! checks see one array). Per layer `l` with input size `nₗ` and hidden size
//! `H`: the gate matrix `[W_ih | W_hh]` of shape `4H × (nₗ + H)`, stored
//! column by column, then its bias `4H`. Gates are ordered `i, f, g, o` as in
//! PyTorch. The head is `O × H`, stored row by row, then its bias `O`.

use serde::{Deserialize, Serialize};

use super::real::{Real, axpy, axpy_many, dot, gemv, gemv_t};

/// The sizes of a network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetShape {
    /// Input features per step.
    pub input: usize,
    /// Hidden size `H` of both cells.
    pub hidden: usize,
    /// Head outputs.
    pub output: usize,
}

/// Where one layer's parameters sit in the flat vector.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LayerOffsets {
    pub(crate) weight: usize,
    pub(crate) bias: usize,
    pub(crate) inputs: usize,
}

impl NetShape {
    pub(crate) fn layer(&self, l: usize) -> LayerOffsets {
        let h = self.hidden;
        let in0 = self.input;
        let size0 = 4 * h * (in0 + h) + 4 * h;
        if l == 0 {
            LayerOffsets {
                weight: 0,
                bias: 4 * h * (in0 + h),
                inputs: in0,
            }
        } else {
            LayerOffsets {
                weight: size0,
                bias: size0 + 4 * h * (2 * h),
                inputs: h,
            }
        }
    }

    pub(crate) fn head_offset(&self) -> usize {
        let h = self.hidden;
        4 * h * (self.input + h) + 4 * h + 4 * h * (2 * h) + 4 * h
    }

    /// The number of parameters.
    pub fn num_params(&self) -> usize {
        self.head_offset() + self.output * self.hidden + self.output
    }

    /// Where each named matrix sits in the flat parameter vector, as
    /// [`ParamBlock`]s in storage order: `cell0.weight`, `cell0.bias`,
    /// `cell1.weight`, `cell1.bias` (column by column), then `head.weight`
    /// and `head.bias` (row by row).
    pub fn blocks(&self) -> Vec<ParamBlock> {
        let h = self.hidden;
        let mut out = Vec::with_capacity(6);
        for l in 0..2 {
            let o = self.layer(l);
            out.push(ParamBlock {
                name: format!("cell{l}.weight"),
                offset: o.weight,
                rows: 4 * h,
                cols: o.inputs + h,
                column_major: true,
            });
            out.push(ParamBlock {
                name: format!("cell{l}.bias"),
                offset: o.bias,
                rows: 4 * h,
                cols: 1,
                column_major: true,
            });
        }
        out.push(ParamBlock {
            name: "head.weight".to_owned(),
            offset: self.head_offset(),
            rows: self.output,
            cols: h,
            column_major: false,
        });
        out.push(ParamBlock {
            name: "head.bias".to_owned(),
            offset: self.head_offset() + self.output * h,
            rows: self.output,
            cols: 1,
            column_major: false,
        });
        out
    }
}

/// A named block of the flat parameter vector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamBlock {
    /// E.g. `cell0.weight`.
    pub name: String,
    /// Start in the flat vector.
    pub offset: usize,
    /// Rows of the logical matrix.
    pub rows: usize,
    /// Columns of the logical matrix (1 for a bias).
    pub cols: usize,
    /// Whether stored column by column (else row by row).
    pub column_major: bool,
}

impl ParamBlock {
    /// The number of entries.
    pub fn len(&self) -> usize {
        self.rows * self.cols
    }

    /// Whether the block is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The recurrent state `(h, c)` of both cells.
#[derive(Clone, Debug, PartialEq)]
pub struct NetState<T> {
    /// Hidden outputs of cell 0 and cell 1.
    pub h: [Vec<T>; 2],
    /// Cell states of cell 0 and cell 1.
    pub c: [Vec<T>; 2],
}

impl<T: Real> NetState<T> {
    /// The zero state.
    pub fn zeros(hidden: usize) -> Self {
        Self {
            h: [vec![T::ZERO; hidden], vec![T::ZERO; hidden]],
            c: [vec![T::ZERO; hidden], vec![T::ZERO; hidden]],
        }
    }
}

/// What the backward pass needs of one step, for both cells.
#[derive(Clone, Debug)]
struct StepCache<T> {
    /// `[input; h_prev]` of each cell.
    xin: [Vec<T>; 2],
    /// `c_prev` of each cell.
    c_prev: [Vec<T>; 2],
    /// Activated gates `i, f, g, o` of each cell.
    gates: [Vec<T>; 2],
    /// `tanh(c)` of each cell.
    tanh_c: [Vec<T>; 2],
    /// The top cell's output, the head's input.
    h_top: Vec<T>,
    /// Gate pre-activation gradients, filled by the backward pass.
    dpre: [Vec<T>; 2],
}

impl<T: Real> StepCache<T> {
    fn new(shape: &NetShape) -> Self {
        let h = shape.hidden;
        Self {
            xin: [vec![T::ZERO; shape.input + h], vec![T::ZERO; 2 * h]],
            c_prev: [vec![T::ZERO; h], vec![T::ZERO; h]],
            gates: [vec![T::ZERO; 4 * h], vec![T::ZERO; 4 * h]],
            tanh_c: [vec![T::ZERO; h], vec![T::ZERO; h]],
            h_top: vec![T::ZERO; h],
            dpre: [vec![T::ZERO; 4 * h], vec![T::ZERO; 4 * h]],
        }
    }
}

/// The activations of a stretch of steps, reused between unrolls so that
/// training allocates nothing per step.
#[derive(Clone, Debug)]
pub struct Tape<T> {
    shape: NetShape,
    steps: Vec<StepCache<T>>,
    len: usize,
}

impl<T: Real> Tape<T> {
    /// An empty tape for a network of this shape.
    pub fn new(shape: NetShape) -> Self {
        Self {
            shape,
            steps: Vec::new(),
            len: 0,
        }
    }

    /// Forgets the recorded steps (keeps the buffers).
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// The number of recorded steps.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no step is recorded.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Where each column of the cells' gradient sits (its offset in the
    /// flat parameter vector, `4H` rows long) and what it sums: layer `l`'s
    /// gate-matrix column `Some(k)` or its bias `None`, in storage order.
    fn cell_columns(&self) -> impl Iterator<Item = (usize, usize, Option<usize>)> + use<T> {
        let shape = self.shape;
        let rows = 4 * shape.hidden;
        (0..2).flat_map(move |l| {
            let o = shape.layer(l);
            let columns =
                (0..o.inputs + shape.hidden).map(move |k| (o.weight + k * rows, l, Some(k)));
            columns.chain(std::iter::once((o.bias, l, None)))
        })
    }

    /// The rank-`len` update of one column: `Σₛ xinₛ[k]·dpreₛ` for gate
    /// column `k`, `Σₛ dpreₛ` for the bias.
    fn column_terms(&self, l: usize, k: Option<usize>) -> impl Iterator<Item = (T, &[T])> {
        self.steps[..self.len]
            .iter()
            .map(move |c| (k.map_or(T::ONE, |k| c.xin[l][k]), &c.dpre[l][..]))
    }

    /// Adds the cells' gradients (gate matrices and biases: every parameter
    /// before the head) of the steps [`Net::backward_through_time`] went
    /// through to `grad`: a rank-`len` update per column, each column read
    /// and written once per four steps.
    pub(crate) fn add_cell_grads(&self, grad: &mut [T]) {
        let rows = 4 * self.shape.hidden;
        for (offset, l, k) in self.cell_columns() {
            axpy_many(&mut grad[offset..offset + rows], self.column_terms(l, k));
        }
    }

    /// Hands each column of the cells' gradient to `f` unsummed, so that
    /// it can be summed where it is used: `f(offset, terms)` gets the
    /// column's offset in the flat parameter vector and its terms `(aₛ,
    /// xₛ)` with `aₛ ≠ 0`, in order. The column, `4H` long, is the chain
    /// `gᵢ = aₙ·xₙ[i] + (… + (a₁·x₁[i] + 0))` of fused multiply–adds: what
    /// [`Self::add_cell_grads`] adds to a zero gradient, bit for bit.
    pub(crate) fn for_each_cell_column(&self, mut f: impl FnMut(usize, &[(T, &[T])])) {
        let mut terms = Vec::with_capacity(self.len);
        for (offset, l, k) in self.cell_columns() {
            terms.clear();
            terms.extend(self.column_terms(l, k).filter(|(a, _)| *a != T::ZERO));
            f(offset, &terms);
        }
    }

    /// Whether every value of the cells' gradient is finite, known before
    /// it is computed: every recorded input and gate gradient is finite and
    /// no sum of `len` products can overflow (each partial sum is bounded
    /// by `len · max|xin| · max|dpre|`, with a factor 2 to spare for rounding).
    pub(crate) fn cell_grads_finite(&self) -> bool {
        let (mut max_x, mut max_d) = (T::ONE, T::ZERO);
        for c in &self.steps[..self.len] {
            for l in 0..2 {
                let (x, d) = (
                    T::largest_magnitude(&c.xin[l]),
                    T::largest_magnitude(&c.dpre[l]),
                );
                if !(x.is_finite() && d.is_finite()) {
                    return false;
                }
                max_x = if x > max_x { x } else { max_x };
                max_d = if d > max_d { d } else { max_d };
            }
        }
        T::from_f64(2.0 * self.len as f64 * max_x.to_f64() * max_d.to_f64()).is_finite()
    }

    fn push(&mut self) -> &mut StepCache<T> {
        if self.len == self.steps.len() {
            self.steps.push(StepCache::new(&self.shape));
        }
        self.len += 1;
        &mut self.steps[self.len - 1]
    }
}

/// A two-cell LSTM with a linear head.
#[derive(Clone, Debug, PartialEq)]
pub struct Net<T> {
    shape: NetShape,
    params: Vec<T>,
}

impl<T: Real> Net<T> {
    /// A network with PyTorch's default initialisation, `U(−1/√H, 1/√H)`,
    /// drawn from `rng`.
    pub fn init(shape: NetShape, rng: &mut crate::Rng) -> Self {
        use rand::RngExt as _;
        let bound = 1.0 / (shape.hidden as f64).sqrt();
        let params = (0..shape.num_params())
            .map(|_| T::from_f64(rng.random_range(-bound..bound)))
            .collect();
        Self { shape, params }
    }

    /// A network from a flat parameter vector; `None` if its length is wrong.
    pub fn from_params(shape: NetShape, params: Vec<T>) -> Option<Self> {
        (params.len() == shape.num_params()).then_some(Self { shape, params })
    }

    /// The sizes.
    pub fn shape(&self) -> NetShape {
        self.shape
    }

    /// The flat parameters.
    pub fn params(&self) -> &[T] {
        &self.params
    }

    /// The flat parameters, mutably (for the meta-optimizer's Adam).
    pub fn params_mut(&mut self) -> &mut [T] {
        &mut self.params
    }

    /// A copy in another scalar type.
    pub fn cast<U: Real>(&self) -> Net<U> {
        Net {
            shape: self.shape,
            params: self
                .params
                .iter()
                .map(|p| U::from_f64(p.to_f64()))
                .collect(),
        }
    }

    /// One step: reads `input`, advances `state`, writes the head's `output`.
    /// Records activations on `tape` when given.
    pub fn step(
        &self,
        input: &[T],
        state: &mut NetState<T>,
        output: &mut [T],
        tape: Option<&mut Tape<T>>,
    ) {
        let h = self.shape.hidden;
        let mut local;
        let cache = match tape {
            Some(t) => t.push(),
            None => {
                local = StepCache::new(&self.shape);
                &mut local
            }
        };
        cache.xin[0][..self.shape.input].copy_from_slice(input);
        for l in 0..2 {
            if l == 1 {
                // Cell 1 reads cell 0's new output.
                cache.xin[1][..h].copy_from_slice(&state.h[0]);
            }
            let n_in = self.shape.layer(l).inputs;
            cache.xin[l][n_in..].copy_from_slice(&state.h[l]);
            cache.c_prev[l].copy_from_slice(&state.c[l]);
            self.cell_forward(l, cache, state);
        }
        cache.h_top.copy_from_slice(&state.h[1]);
        let head = self.shape.head_offset();
        let w = &self.params[head..head + self.shape.output * h];
        let b = &self.params[head + self.shape.output * h..];
        for (k, out) in output.iter_mut().enumerate() {
            *out = dot(&w[k * h..(k + 1) * h], &state.h[1]) + b[k];
        }
    }

    fn cell_forward(&self, l: usize, cache: &mut StepCache<T>, state: &mut NetState<T>) {
        let h = self.shape.hidden;
        let o = self.shape.layer(l);
        let rows = 4 * h;
        let gates = &mut cache.gates[l];
        gates.copy_from_slice(&self.params[o.bias..o.bias + rows]);
        let w = &self.params[o.weight..o.weight + rows * (o.inputs + h)];
        gemv(gates, w, &cache.xin[l]);
        let (ifg, out_gate) = gates.split_at_mut(3 * h);
        for v in ifg[..2 * h].iter_mut() {
            *v = v.gate_sigmoid();
        }
        for v in ifg[2 * h..].iter_mut() {
            *v = v.gate_tanh();
        }
        for v in out_gate.iter_mut() {
            *v = v.gate_sigmoid();
        }
        let c = &mut state.c[l];
        let hs = &mut state.h[l];
        let tc = &mut cache.tanh_c[l];
        for j in 0..h {
            let cj = ifg[h + j].mul_add(cache.c_prev[l][j], ifg[j] * ifg[2 * h + j]);
            c[j] = cj;
            tc[j] = cj.gate_tanh();
            hs[j] = out_gate[j] * tc[j];
        }
    }

    /// Backpropagates through the tape's steps, newest first.
    ///
    /// `d_output(s)` gives the loss gradient with respect to step `s`'s head
    /// output; it is called for `s = len−1, …, 0`, so it may depend on
    /// quantities that the caller accumulates backward in time. Parameter
    /// gradients are added to `grad`. The recurrent state before the first
    /// step is treated as a constant (detached).
    pub fn backward(
        &self,
        tape: &mut Tape<T>,
        grad: &mut [T],
        d_output: impl FnMut(usize, &mut [T]),
    ) {
        self.backward_through_time(tape, grad, d_output);
        tape.add_cell_grads(grad);
    }

    /// The first part of [`Self::backward`]: the pass through time, which
    /// adds the head's gradients to `grad` and leaves on `tape` what the
    /// cells' gradients are made of ([`Tape::add_cell_grads`],
    /// [`Tape::for_each_cell_column`]).
    pub(crate) fn backward_through_time(
        &self,
        tape: &mut Tape<T>,
        grad: &mut [T],
        mut d_output: impl FnMut(usize, &mut [T]),
    ) {
        debug_assert_eq!(grad.len(), self.params.len());
        let h = self.shape.hidden;
        let n_out = self.shape.output;
        let head = self.shape.head_offset();
        let mut dy = vec![T::ZERO; n_out];
        // Gradients flowing into the previous step's h and c of each cell.
        let mut dh_carry = [vec![T::ZERO; h], vec![T::ZERO; h]];
        let mut dc_carry = [vec![T::ZERO; h], vec![T::ZERO; h]];
        let mut dh = vec![T::ZERO; h];
        let mut dxin = vec![T::ZERO; 2 * h + self.shape.input];
        for s in (0..tape.len).rev() {
            dy.iter_mut().for_each(|v| *v = T::ZERO);
            d_output(s, &mut dy);
            let cache = &mut tape.steps[s];
            // Head: y = W h_top + b.
            dh.copy_from_slice(&dh_carry[1]);
            for k in 0..n_out {
                let dyk = dy[k];
                if dyk == T::ZERO {
                    continue;
                }
                axpy(&mut dh, dyk, &self.params[head + k * h..head + (k + 1) * h]);
                axpy(
                    &mut grad[head + k * h..head + (k + 1) * h],
                    dyk,
                    &cache.h_top,
                );
                grad[head + n_out * h + k] += dyk;
            }
            // Cell 1, then cell 0 with the gradient of its output added.
            for l in (0..2).rev() {
                if l == 0 {
                    // dh currently holds cell 1's input gradient (set below).
                    for (d, c) in dh.iter_mut().zip(&dh_carry[0]) {
                        *d += *c;
                    }
                }
                self.cell_backward(l, cache, &dh, &mut dc_carry[l]);
                let o = self.shape.layer(l);
                let rows = 4 * h;
                let w = &self.params[o.weight..o.weight + rows * (o.inputs + h)];
                // d[xin] = Wᵀ dpre; cell 0's own input is detached.
                let first = if l == 0 { o.inputs } else { 0 };
                gemv_t(
                    &mut dxin[first..o.inputs + h],
                    &w[first * rows..],
                    &cache.dpre[l],
                );
                dh_carry[l].copy_from_slice(&dxin[o.inputs..o.inputs + h]);
                if l == 1 {
                    dh.copy_from_slice(&dxin[..h]);
                }
            }
        }
    }

    /// Fills `cache.dpre[l]` from the gradient of the cell's output `dh` and
    /// the carried `dc`; leaves in `dc` the gradient for the previous `c`.
    fn cell_backward(&self, l: usize, cache: &mut StepCache<T>, dh: &[T], dc: &mut [T]) {
        let h = self.shape.hidden;
        let g = &cache.gates[l];
        let tc = &cache.tanh_c[l];
        let c_prev = &cache.c_prev[l];
        let dpre = &mut cache.dpre[l];
        for j in 0..h {
            let (ig, fg, gg, og) = (g[j], g[h + j], g[2 * h + j], g[3 * h + j]);
            let dcj = dc[j] + dh[j] * og * (T::ONE - tc[j] * tc[j]);
            dpre[j] = dcj * gg * ig * (T::ONE - ig);
            dpre[h + j] = dcj * c_prev[j] * fg * (T::ONE - fg);
            dpre[2 * h + j] = dcj * ig * (T::ONE - gg * gg);
            dpre[3 * h + j] = dh[j] * tc[j] * og * (T::ONE - og);
            dc[j] = dcj * fg;
        }
    }
}
