//! The network: parameter layout (PyTorch-style names and shapes), seeded
//! initialisation, and the candle forward pass.
//!
//! Shapes, with `D` inputs per time step, `H` hidden units per direction,
//! `A = H` attention units and `C = 3` classes:
//!
//! | name | shape |
//! |---|---|
//! | `lstm_fwd.weight_ih`, `lstm_bwd.weight_ih` | `[4H, D]` |
//! | `lstm_fwd.weight_hh`, `lstm_bwd.weight_hh` | `[4H, H]` |
//! | `lstm_fwd.bias_ih`, `lstm_fwd.bias_hh`, `lstm_bwd.bias_ih`, `lstm_bwd.bias_hh` | `[4H]` |
//! | `attention.proj.weight` | `[A, 2H]` |
//! | `attention.proj.bias` | `[A]` |
//! | `attention.score.weight` | `[1, A]` |
//! | `head.weight` | `[C, 2H]` |
//! | `head.bias` | `[C]` |
//!
//! LSTM gate order inside the `4H` rows is PyTorch's: input, forget, cell, output.

use candle_core::{D, DType, Device, IndexOp, Tensor};

use crate::MlError;
use crate::rng::SplitMix64;

/// Parameter names in storage and initialisation order.
pub(crate) const PARAMETER_NAMES: [&str; 13] = [
    "lstm_fwd.weight_ih",
    "lstm_fwd.weight_hh",
    "lstm_fwd.bias_ih",
    "lstm_fwd.bias_hh",
    "lstm_bwd.weight_ih",
    "lstm_bwd.weight_hh",
    "lstm_bwd.bias_ih",
    "lstm_bwd.bias_hh",
    "attention.proj.weight",
    "attention.proj.bias",
    "attention.score.weight",
    "head.weight",
    "head.bias",
];

/// The sizes that fix every parameter's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout {
    /// Inputs per time step (`2p`: standardised value and missing flag per feature).
    pub inputs: usize,
    /// Hidden units per direction.
    pub hidden: usize,
    /// Attention units.
    pub attention: usize,
    /// Output classes.
    pub classes: usize,
}

impl Layout {
    /// The shape of every parameter, in [`PARAMETER_NAMES`] order.
    pub fn shapes(&self) -> Vec<Vec<usize>> {
        let (d, h, a, c) = (self.inputs, self.hidden, self.attention, self.classes);
        let lstm = [vec![4 * h, d], vec![4 * h, h], vec![4 * h], vec![4 * h]];
        let mut out = Vec::with_capacity(PARAMETER_NAMES.len());
        out.extend(lstm.iter().cloned());
        out.extend(lstm.iter().cloned());
        out.extend([vec![a, 2 * h], vec![a], vec![1, a], vec![c, 2 * h], vec![c]]);
        out
    }

    /// Seeded initialisation, PyTorch's defaults drawn from our own generator:
    /// LSTM tensors `U(−1/√H, 1/√H)`; linear weights and biases
    /// `U(−1/√fan_in, 1/√fan_in)`. Tensors are filled in [`PARAMETER_NAMES`]
    /// order, row-major, from one SplitMix64 stream seeded with `seed`.
    pub fn init(&self, seed: u64) -> Vec<Vec<f64>> {
        let mut rng = SplitMix64::new(seed);
        let lstm_bound = 1.0 / (self.hidden as f64).sqrt();
        let fan_in = [
            2 * self.hidden,
            2 * self.hidden,
            self.attention,
            2 * self.hidden,
            2 * self.hidden,
        ];
        self.shapes()
            .iter()
            .enumerate()
            .map(|(i, shape)| {
                let bound = if i < 8 {
                    lstm_bound
                } else {
                    1.0 / (fan_in[i - 8] as f64).sqrt()
                };
                let n: usize = shape.iter().product();
                (0..n)
                    .map(|_| (2.0 * rng.next_f64() - 1.0) * bound)
                    .collect()
            })
            .collect()
    }
}

/// Turns a candle error into the crate's error.
pub(crate) fn tensor_error(e: candle_core::Error) -> MlError {
    MlError::NeuralNet(e.to_string())
}

/// The network's tensors (plain or variable-backed), in [`PARAMETER_NAMES`] order.
pub(crate) struct Net {
    p: Vec<Tensor>,
    hidden: usize,
}

impl Net {
    /// Wraps tensors laid out as [`Layout::shapes`].
    pub fn new(tensors: Vec<Tensor>, hidden: usize) -> Self {
        Self { p: tensors, hidden }
    }

    /// Plain (untracked) tensors holding `values`.
    pub fn from_values(layout: &Layout, values: &[Vec<f64>]) -> Result<Self, MlError> {
        let tensors = layout
            .shapes()
            .into_iter()
            .zip(values)
            .map(|(shape, v)| Tensor::from_slice(v, shape, &Device::Cpu))
            .collect::<candle_core::Result<Vec<_>>>()
            .map_err(tensor_error)?;
        Ok(Self::new(tensors, layout.hidden))
    }

    /// One LSTM direction over `xp` (`[B, T, 4H]`, input projections with both
    /// biases added): the hidden state at every time step, in time order. The
    /// backward direction walks from the last step to the first.
    fn lstm(&self, xp: &Tensor, w_hh: &Tensor, reverse: bool) -> candle_core::Result<Vec<Tensor>> {
        let (b, t, _) = xp.dims3()?;
        let h_units = self.hidden;
        let w_hh_t = w_hh.t()?;
        let mut h = Tensor::zeros((b, h_units), DType::F64, xp.device())?;
        let mut c = h.clone();
        let mut out: Vec<Option<Tensor>> = vec![None; t];
        let steps: Vec<usize> = if reverse {
            (0..t).rev().collect()
        } else {
            (0..t).collect()
        };
        for s in steps {
            let gates = (xp.i((.., s, ..))? + h.matmul(&w_hh_t)?)?;
            let i_gate = candle_nn::ops::sigmoid(&gates.narrow(1, 0, h_units)?)?;
            let f_gate = candle_nn::ops::sigmoid(&gates.narrow(1, h_units, h_units)?)?;
            let g_gate = gates.narrow(1, 2 * h_units, h_units)?.tanh()?;
            let o_gate = candle_nn::ops::sigmoid(&gates.narrow(1, 3 * h_units, h_units)?)?;
            c = ((f_gate * &c)? + (i_gate * g_gate)?)?;
            h = (o_gate * c.tanh()?)?;
            out[s] = Some(h.clone());
        }
        Ok(out.into_iter().flatten().collect())
    }

    /// Input projections of one direction: `x W_ihᵀ + b_ih + b_hh`, `[B, T, 4H]`.
    fn project(&self, x: &Tensor, first: usize) -> candle_core::Result<Tensor> {
        let (b, t, d) = x.dims3()?;
        let bias = (&self.p[first + 2] + &self.p[first + 3])?;
        x.reshape((b * t, d))?
            .matmul(&self.p[first].t()?)?
            .broadcast_add(&bias)?
            .reshape((b, t, 4 * self.hidden))
    }

    /// Class logits `[B, C]` of input sequences `x` (`[B, T, D]`).
    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let (b, t, _) = x.dims3()?;
        let fwd = self.lstm(&self.project(x, 0)?, &self.p[1], false)?;
        let bwd = self.lstm(&self.project(x, 4)?, &self.p[5], true)?;
        // [B, T, 2H]: forward and backward states side by side at each step.
        let states = Tensor::cat(&[Tensor::stack(&fwd, 1)?, Tensor::stack(&bwd, 1)?], 2)?;
        let two_h = 2 * self.hidden;
        // Additive attention: e_t = v · tanh(W s_t + b), α = softmax over t.
        let flat = states.reshape((b * t, two_h))?;
        let u = flat
            .matmul(&self.p[8].t()?)?
            .broadcast_add(&self.p[9])?
            .tanh()?;
        let scores = u.matmul(&self.p[10].t()?)?.reshape((b, t))?;
        let alpha = candle_nn::ops::softmax(&scores, D::Minus1)?;
        let context = alpha.unsqueeze(2)?.broadcast_mul(&states)?.sum(1)?;
        context.matmul(&self.p[11].t()?)?.broadcast_add(&self.p[12])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_follow_the_layout_and_init_is_seeded_and_bounded() {
        let layout = Layout {
            inputs: 6,
            hidden: 4,
            attention: 4,
            classes: 3,
        };
        let shapes = layout.shapes();
        assert_eq!(shapes.len(), PARAMETER_NAMES.len());
        assert_eq!(shapes[0], vec![16, 6]);
        assert_eq!(shapes[5], vec![16, 4]);
        assert_eq!(shapes[8], vec![4, 8]);
        assert_eq!(shapes[10], vec![1, 4]);
        assert_eq!(shapes[11], vec![3, 8]);
        let a = layout.init(7);
        assert_eq!(a, layout.init(7));
        assert_ne!(a, layout.init(8));
        for ((v, s), name) in a.iter().zip(&shapes).zip(PARAMETER_NAMES) {
            assert_eq!(v.len(), s.iter().product::<usize>(), "{name}");
            assert!(v.iter().all(|x| x.abs() <= 0.5), "{name}");
        }
        // The head's bound is 1/sqrt(2H) = 1/sqrt(8).
        assert!(a[11].iter().all(|x| x.abs() <= 1.0 / 8f64.sqrt()));
    }

    #[test]
    fn forward_gives_logits_per_sequence_and_reads_the_whole_sequence() {
        let layout = Layout {
            inputs: 2,
            hidden: 3,
            attention: 3,
            classes: 3,
        };
        let net = Net::from_values(&layout, &layout.init(1)).unwrap();
        let x: Vec<f64> = (0..2 * 5 * 2).map(|i| (i as f64 * 0.37).sin()).collect();
        let xt = Tensor::from_slice(&x, (2, 5, 2), &Device::Cpu).unwrap();
        let logits = net.forward(&xt).unwrap().to_vec2::<f64>().unwrap();
        assert_eq!(logits.len(), 2);
        assert!(logits.iter().all(|r| r.len() == 3));
        // Changing only the first time step changes the output (the backward LSTM and the
        // attention see it), and so does changing only the last.
        for step in [0, 4] {
            let mut y = x.clone();
            y[step * 2] += 1.0;
            let yt = Tensor::from_slice(&y, (2, 5, 2), &Device::Cpu).unwrap();
            let other = net.forward(&yt).unwrap().to_vec2::<f64>().unwrap();
            assert_ne!(other[0], logits[0], "step {step}");
            assert_eq!(other[1], logits[1], "rows are independent");
        }
    }
}
