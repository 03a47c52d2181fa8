// One float64 finite-difference gradcheck per entry of the backward table
// (lib/autograd/derivatives.ts). A new op without a case here fails the
// coverage test at the bottom.
import * as nt from '../lib';
import { derivatives } from '../lib/autograd/derivatives';
import { record } from '../lib/ops/record';
import type { OpName } from '../lib/ops/op_contexts';
import { kCrossEntropy } from '../lib/kernels/launch';
import { emptyTensor as empty } from '../lib/tensor/tensor';
import { linear } from '../lib/ops/linalg';
import { randomValues, testSeed } from './helpers';

const device: nt.Device = 'cpu';

/** A float64 leaf that requires grad, uniform in [lo, hi). */
function leaf(shape: number[], salt: string, lo = -2, hi = 2): nt.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return nt.tensor(randomValues(n, testSeed(salt), lo, hi), { dtype: 'float64', shape, device, requiresGrad: true });
}

/** A float64 leaf with |x| in [0.3, 2] (away from kinks at 0). */
function awayFromZero(shape: number[], salt: string): nt.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = randomValues(n, testSeed(salt), -1, 1).map((u) => Math.sign(u || 1) * (0.3 + 1.7 * Math.abs(u)));
  return nt.tensor(v, { dtype: 'float64', shape, device, requiresGrad: true });
}

/** A float64 leaf whose values are distinct (no ties for max/min), shuffled. */
function distinct(shape: number[], salt: string): nt.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const r = randomValues(n, testSeed(salt), 0, 1);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => r[a] - r[b]);
  const v = new Float64Array(n);
  order.forEach((k, i) => {
    v[k] = -2 + (4 * i) / n;
  });
  return nt.tensor(v, { dtype: 'float64', shape, device, requiresGrad: true });
}

const check = (fn: (...t: nt.Tensor[]) => nt.Tensor, inputs: nt.Tensor[], opts?: nt.GradcheckOptions): void => {
  expect(nt.autograd.gradcheck(fn, inputs, opts)).toBe(true);
};

/** Cross-entropy through the fused kernel, recorded directly (mean or per-row). */
function crossEntropy(logits: nt.Tensor, targets: nt.Tensor, perRow: boolean): nt.Tensor {
  const [N, C] = logits.shape;
  const lc = logits.contiguous();
  const losses = empty([N], lc.dtype, lc.device);
  const dlogits = empty([N, C], lc.dtype, lc.device);
  kCrossEntropy(losses, dlogits, lc, targets, -100, 0);
  if (perRow) return record('crossEntropy', losses, [lc], () => ({ dlogits, scale: 1, perRow: true }));
  const out = nt.noGrad(() => losses.mean());
  return record('crossEntropy', out, [lc], () => ({ dlogits, scale: 1 / N, perRow: false }));
}

const CASES: Record<OpName, () => void> = {
  add: () => {
    check((a, b) => a.add(b), [leaf([3, 1, 4], 'a'), leaf([2, 1], 'b')]);
    check((a, b) => a.add(b, 2.5), [leaf([2, 3], 'a'), leaf([3], 'b')]);
  },
  sub: () => check((a, b) => a.sub(b, 0.5), [leaf([3, 1, 4], 'a'), leaf([2, 1], 'b')]),
  mul: () => {
    check((a, b) => a.mul(b), [leaf([3, 1, 4], 'a'), leaf([2, 1], 'b')]);
    check((a) => a.mul(a), [leaf([5], 'x')]);
  },
  div: () => check((a, b) => a.div(b), [leaf([3, 1, 4], 'a'), leaf([2, 1], 'b', 0.5, 2)]),
  pow: () => check((a, b) => a.pow(b), [leaf([2, 3], 'a', 0.5, 2), leaf([3], 'b', -1.5, 2)]),
  powScalar: () => {
    check((x) => x.pow(3), [leaf([2, 3], 'x')]);
    check((x) => x.pow(-0.5), [leaf([4], 'y', 0.5, 2)]);
    check((x) => x.pow(0), [leaf([4], 'z')]);
  },
  addScalar: () => check((x) => x.add(2).sub(0.5), [leaf([2, 3], 'x')]),
  mulScalar: () => check((x) => x.mul(3).div(2), [leaf([2, 3], 'x')]),
  rsubScalar: () => check((x) => nt.sub(2, x), [leaf([2, 3], 'x')]),
  rdivScalar: () => check((x) => nt.div(2, x), [leaf([2, 3], 'x', 0.5, 2)]),
  maximum: () => check((a, b) => a.maximum(b), [distinct([3, 4], 'a'), leaf([4], 'b', -1.9, 1.9)]),
  minimum: () => check((a, b) => a.minimum(b), [distinct([3, 4], 'a'), leaf([4], 'b', -1.9, 1.9)]),
  neg: () => check((x) => x.neg(), [leaf([2, 3], 'x')]),
  abs: () => check((x) => x.abs(), [awayFromZero([2, 3], 'x')]),
  exp: () => check((x) => x.exp(), [leaf([2, 3], 'x')]),
  log: () => check((x) => x.log(), [leaf([2, 3], 'x', 0.3, 3)]),
  sqrt: () => check((x) => x.sqrt(), [leaf([2, 3], 'x', 0.3, 3)]),
  rsqrt: () => check((x) => x.rsqrt(), [leaf([2, 3], 'x', 0.3, 3)]),
  square: () => check((x) => x.square(), [leaf([2, 3], 'x')]),
  reciprocal: () => check((x) => x.reciprocal(), [awayFromZero([2, 3], 'x')]),
  sin: () => check((x) => x.sin(), [leaf([2, 3], 'x')]),
  cos: () => check((x) => x.cos(), [leaf([2, 3], 'x')]),
  log1p: () => check((x) => x.log1p(), [leaf([2, 3], 'x', -0.7, 2)]),
  expm1: () => check((x) => x.expm1(), [leaf([2, 3], 'x')]),
  erf: () => check((x) => x.erf(), [leaf([2, 3], 'x')]),
  zeroGrad: () => {
    // Piecewise-constant ops, probed away from their jumps.
    const x = nt.tensor([0.3, 1.4, -2.2, 3.7], { dtype: 'float64', requiresGrad: true });
    check((t) => t.floor().add(t.ceil()).add(t.round()).add(t.sign()), [x]);
  },
  clamp: () => {
    const x = nt.tensor([-1.5, -0.2, 0.1, 0.4, 0.9, 2], { dtype: 'float64', requiresGrad: true });
    check((t) => t.clamp(-0.5, 0.5), [x]);
    check((t) => t.clamp(0), [x]);
  },
  where: () => {
    const cond = nt.tensor([[true, false, true]]);
    check((a, b) => nt.where(cond, a, b), [leaf([2, 3], 'a'), leaf([2, 1], 'b')]);
    check((a) => nt.where(cond, a, 0), [leaf([2, 3], 'c')]);
  },
  cast: () => check((x) => x.float().mul(2).double(), [leaf([2, 3], 'x')], { eps: 1e-2, atol: 1e-4 }),
  toDevice: () => {
    if (!nt.cuda.isAvailable()) {
      console.warn('toDevice gradcheck skipped: CUDA is not available');
      return;
    }
    check((x) => x.cuda().mul(2).cpu(), [leaf([2, 3], 'x')]);
  },
  identity: () => check((x) => x.clone().mul(2), [leaf([2, 3], 'x')]),
  reshape: () => check((x) => x.reshape(3, 2).unsqueeze(0).flatten().view(2, 3).squeeze(), [leaf([2, 3], 'x')]),
  permute: () => {
    check((x) => x.permute(2, 0, 1).mul(leaf([4, 2, 3], 'w').detach()), [leaf([2, 3, 4], 'x')]);
    check((x) => x.transpose(0, 1).reshape(6), [leaf([2, 3], 'y')]); // reshape of a transposed view copies
  },
  expand: () => check((x) => x.expand(4, 2, 3).mul(leaf([4, 2, 3], 'w').detach()), [leaf([2, 1], 'x')]),
  narrow: () => check((x) => x.narrow(1, 1, 2).narrow(0, 0, 1), [leaf([2, 4], 'x')]),
  cat: () => {
    check((a, b) => nt.cat([a, b], 1), [leaf([2, 3], 'a'), leaf([2, 2], 'b')]);
    check((a, b) => nt.stack([a, b], 0), [leaf([2, 3], 'c'), leaf([2, 3], 'd')]);
  },
  sum: () => {
    check((x) => x.sum([0, 2]), [leaf([2, 3, 4], 'x')]);
    check((x) => x.sum(1, true), [leaf([2, 3, 4], 'y')]);
    check((x) => x.sum(), [leaf([2, 3], 'z')]);
  },
  mean: () => {
    check((x) => x.mean(-1), [leaf([2, 3, 4], 'x')]);
    check((x) => x.mean([0, 1], true), [leaf([2, 3, 4], 'y')]);
  },
  prod: () => {
    check((x) => x.prod(1), [awayFromZero([3, 4], 'x')]);
    check((x) => x.prod(), [awayFromZero([5], 'y')]);
    // rows with no zero, one zero and two zeros (out / x would be 0 / 0)
    const z = nt.tensor(
      [
        [1.5, -2, 0.5],
        [0, 2, 3],
        [0, 0, 1.2],
      ],
      { dtype: 'float64', requiresGrad: true },
    );
    check((t) => t.prod(1), [z]);
    check((t) => t.prod(0, true), [z]);
    z.grad = null;
    z.prod(1).sum().backward();
    expect(z.grad!.toArray()).toEqual([
      [-1, 0.75, -3],
      [6, 0, 0],
      [0, 0, 0],
    ]);
  },
  extreme: () => {
    check((x) => x.amax(1), [distinct([3, 4], 'x')]);
    check((x) => x.amin([0, 2], true), [distinct([3, 4, 2], 'y')]);
    check((x) => x.max(), [distinct([3, 4], 'z')]);
    check((x) => x.max(0).values, [distinct([3, 4], 'w')]);
  },
  variance: () => {
    check((x) => x.var(1), [leaf([3, 5], 'x')]);
    check((x) => x.var([0, 1], { correction: 0, keepdim: true }), [leaf([3, 5], 'y')]);
    check((x) => x.std(0), [leaf([4, 3], 'z')]);
  },
  logsumexp: () => check((x) => x.logsumexp([1]), [leaf([3, 4, 2], 'x')]),
  norm: () => {
    check((x) => nt.norm(x), [leaf([3, 4], 'x')]);
    check((x) => x.norm(1, 1), [awayFromZero([3, 4], 'x')]);
    check((x) => x.norm(3, [0, 2], true), [awayFromZero([3, 4, 2], 'x')]);
    check((x) => x.norm(0.5, 0), [awayFromZero([3, 4], 'x')]);
    // Random magnitudes: distinct() has pairs like -2/3 and 2/3 that differ
    // by one ulp, a tie for finite differences but not for the formula.
    check((x) => nt.norm(x, Infinity, 1), [awayFromZero([3, 4], 'x')]);
    check((x) => nt.norm(x, -Infinity), [awayFromZero([3, 4], 'x')]);
  },
  relu: () => check((x) => x.relu(), [awayFromZero([3, 4], 'x')]),
  sigmoid: () => check((x) => x.sigmoid(), [leaf([3, 4], 'x')]),
  tanh: () => check((x) => x.tanh(), [leaf([3, 4], 'x')]),
  gelu: () => check((x) => x.gelu(), [leaf([3, 4], 'x', -3, 3)]),
  silu: () => check((x) => x.silu(), [leaf([3, 4], 'x', -4, 4)]),
  // beta 2 and threshold 3 put elements on both sides of the pass-through.
  softplus: () => check((x) => x.add(1.5).softplus(2, 3), [awayFromZero([3, 4], 'x')]),
  leakyRelu: () => check((x) => x.leakyRelu(0.2), [awayFromZero([3, 4], 'x')]),
  softmax: () => {
    check((x) => x.softmax(1), [leaf([3, 4], 'x')]);
    check((x) => x.softmax(0), [leaf([3, 4, 2], 'y')]);
  },
  logSoftmax: () => {
    check((x) => x.logSoftmax(-1), [leaf([3, 4], 'x')]);
    check((x) => x.logSoftmax(1), [leaf([2, 3, 4], 'y')]);
  },
  matmul: () => {
    check((a, b) => a.matmul(b), [leaf([3, 4], 'a'), leaf([4, 2], 'b')]);
    check((a, b) => a.matmul(b), [leaf([2, 1, 3, 4], 'c'), leaf([3, 4, 2], 'd')]);
    check((a, b) => a.matmul(b), [leaf([4], 'e'), leaf([2, 4, 3], 'f')]);
    check((a, b) => a.matmul(b), [leaf([4], 'g'), leaf([4], 'h')]);
    check((a, b) => a.matmul(b.t()), [leaf([3, 4], 'i'), leaf([5, 4], 'j')]);
  },
  linear: () => {
    check((x, w, b) => linear(x, w, b), [leaf([2, 3, 4], 'x'), leaf([5, 4], 'w'), leaf([5], 'b')]);
    check((x, w) => linear(x, w), [leaf([3, 4], 'y'), leaf([2, 4], 'v')]);
  },
  conv2d: () => {
    const o = {
      stride: [2, 1] as [number, number],
      padding: [1, 2] as [number, number],
      dilation: [1, 2] as [number, number],
      groups: 2,
    };
    check((x, w, b) => nt.conv2d(x, w, b, o), [leaf([2, 4, 5, 4], 'x'), leaf([4, 2, 3, 2], 'w'), leaf([4], 'b')]);
    check((x, w) => nt.conv2d(x, w, null, { padding: 'same' }), [leaf([1, 2, 4, 5], 'y'), leaf([3, 2, 2, 3], 'v')]);
    check(
      (x, w, b) => nt.conv1d(x, w, b, { stride: 2, padding: 1 }),
      [leaf([2, 3, 7], 'z'), leaf([2, 3, 3], 'u'), leaf([2], 'c')],
    );
  },
  indexSelect: () => {
    const idx = nt.tensor([2, 0, 2, 1]);
    check((x) => x.indexSelect(0, idx), [leaf([3, 4], 'x')]);
    check((x) => x.indexSelect(1, idx), [leaf([2, 3], 'y')]);
  },
  gather: () => {
    const idx = nt.tensor([
      [0, 0, 3],
      [2, 1, 2],
    ]);
    check((x) => x.gather(1, idx), [leaf([2, 4], 'x')]);
  },
  scatterAdd: () => {
    const idx = nt.tensor([
      [0, 0, 2],
      [1, 0, 1],
    ]);
    check((s, src) => nt.scatterAdd(s, 1, idx, src), [leaf([2, 3], 's'), leaf([2, 3], 'src')]);
  },
  crossEntropy: () => {
    const targets = nt.tensor([2, 0, 3]);
    check((x) => crossEntropy(x, targets, false), [leaf([3, 4], 'x')]);
    check((x) => crossEntropy(x, targets, true), [leaf([3, 4], 'y')]);
  },
  // pooling and normalization (issue 12)
  maxPool2d: () => {
    check((x) => nt.nn.F.maxPool2d(x, [2, 3], [1, 2], [1, 1], [2, 1], true), [distinct([2, 2, 5, 6], 'x')]);
    check((x) => nt.nn.F.maxPool2d(x, 2, 1), [distinct([1, 2, 4, 4], 'o')]); // overlapping windows
    check((x) => nt.nn.F.adaptiveMaxPool2d(x, [3, 2]), [distinct([2, 1, 5, 5], 'y')]);
  },
  avgPool2d: () => {
    check((x) => nt.nn.F.avgPool2d(x, [3, 2], [2, 1], [1, 1], true, false), [leaf([2, 2, 5, 4], 'x')]);
    check((x) => nt.nn.F.avgPool2d(x, 2, 1, 1, false, true, 3), [leaf([1, 2, 3, 3], 'y')]);
  },
  normalize: () => {
    const F = nt.nn.F;
    check((x) => F.groupNorm(x, 2), [leaf([2, 4, 3], 'x')]);
    check((x, w, b) => F.groupNorm(x, 2, w, b), [leaf([2, 4, 3], 'g'), leaf([4], 'w'), leaf([4], 'b')]);
  },
  batchNorm: () => {
    const F = nt.nn.F;
    check(
      (x, w, b) => F.batchNorm(x, null, null, w, b, true),
      [leaf([3, 2, 2, 2], 'x'), leaf([2], 'w'), leaf([2], 'b')],
    );
    check((x) => F.batchNorm(x, null, null, null, null, true), [leaf([4, 3], 'y')]);
    check((x, w) => F.batchNorm(x, null, null, w, null, true), [leaf([3, 2, 4], 'z'), leaf([2], 'v')]);
    check((x, b) => F.batchNorm(x, null, null, null, b, true), [leaf([3, 2, 4], 'u'), leaf([2], 'c')]);
    // a broadcast (stride-0) upstream gradient
    check(
      (x, w, b) => F.batchNorm(x, null, null, w, b, true).sum(),
      [leaf([3, 2, 2], 'p'), leaf([2], 'q'), leaf([2], 'r')],
    );
  },
  // more cases in nn_conv_transpose.test.ts
  convTranspose2d: () => {
    const o = {
      stride: [2, 1] as [number, number],
      padding: [1, 0] as [number, number],
      outputPadding: [1, 0] as [number, number],
      dilation: [1, 2] as [number, number],
      groups: 2,
    };
    check(
      (x, w, b) => nt.convTranspose2d(x, w, b, o),
      [leaf([2, 4, 3, 3], 'x'), leaf([4, 1, 3, 2], 'w'), leaf([2], 'b')],
    );
    check(
      (x, w) => nt.convTranspose2d(x, w, null, { stride: 3, outputPadding: 2 }),
      [leaf([1, 2, 2, 3], 'y'), leaf([2, 3, 2, 2], 'v')],
    );
  },
  // language-model tensor ops (issue 13); more cases in tensor_lm_ops.test.ts
  cumsum: () => {
    check((x) => x.cumsum(1), [leaf([3, 4, 2], 'x')]);
    check((x) => x.cumsum(-1), [leaf([5], 'y')]);
  },
  // issue 13 (more cases in test/nn_layer_norm.test.ts)
  geluTanh: () => check((x) => nt.nn.F.gelu(x, 'tanh'), [leaf([3, 4], 'x', -3, 3)]),
  layerNorm: () => {
    const F = nt.nn.F;
    check((x, w, b) => F.layerNorm(x, [4], w, b), [leaf([3, 4], 'x'), leaf([4], 'w'), leaf([4], 'b')]);
    check((x, w) => F.rmsNorm(x, [2, 3], w, 1e-5), [leaf([2, 2, 3], 'x'), leaf([2, 3], 'w')]);
  },
  embedding: () => {
    const ids = nt.tensor(
      [
        [1, 4, 1],
        [0, 2, 4],
      ],
      { dtype: 'int64' },
    );
    check((w) => nt.nn.F.embedding(ids, w), [leaf([5, 3], 'w')]);
    // row 3 (the padding row, no gradient by definition) is not looked up; w also has a dense use
    check((w) => nt.nn.F.embedding(ids, w, { paddingIdx: -2 }).mul(w.sum()), [leaf([5, 2], 'v')]);
  },
  // attention (issue 13); more cases in test/attention.test.ts
  scaledDotProductAttention: () => {
    const sdpa = nt.scaledDotProductAttention;
    check((q, k, v) => sdpa(q, k, v), [leaf([2, 3, 4], 'q'), leaf([2, 5, 4], 'k'), leaf([2, 5, 3], 'v')]);
    check(
      (q, k, v) => sdpa(q, k, v, { isCausal: true }),
      [leaf([1, 4, 2], 'a'), leaf([1, 4, 2], 'b'), leaf([1, 4, 3], 'c')],
    );
  },
  // autograd.Function and double backward (issue 14); more in test/autograd_double_backward.test.ts
  customFunction: () => {
    class MulExp extends nt.autograd.Function {
      static forward(ctx: nt.FunctionCtx, a: nt.Tensor, b: nt.Tensor): nt.Tensor {
        const e = b.exp();
        ctx.saveForBackward(a, e);
        return a.mul(e);
      }
      static backward(ctx: nt.FunctionCtx, g: nt.Tensor): nt.Tensor[] {
        const [a, e] = ctx.savedTensors;
        return [g.mul(e), g.mul(a).mul(e)];
      }
    }
    check((a, b) => MulExp.apply(a, b), [leaf([2, 3], 'a'), leaf([2, 3], 'b')]);
  },
  // A first-order-only op's gradient under createGraph: backward through it raises, naming the op.
  notTwiceDifferentiable: () => {
    const x = leaf([2, 4], 'x');
    const [g] = nt.autograd.grad(nt.nn.F.layerNorm(x, [4]).pow(3).sum(), [x], { createGraph: true });
    expect(() => g.sum().backward()).toThrow(nt.NotDifferentiableError);
    expect(() => g.sum().backward()).toThrow(/layerNorm/);
  },
};

describe('gradcheck of every backward formula (float64)', () => {
  test.each(Object.keys(CASES) as OpName[])('%s', (op) => {
    CASES[op]();
  });

  test('every entry of the derivatives table has a gradcheck case', () => {
    const missing = Object.keys(derivatives).filter((k) => !(k in CASES));
    expect(missing).toEqual([]);
    const stale = Object.keys(CASES).filter((k) => !(k in derivatives));
    expect(stale).toEqual([]);
  });

  test('gradcheck detects a wrong formula and reports it', () => {
    // x * 2 recorded with neg's backward: the gradient is -1 instead of 2.
    const wrong = (x: nt.Tensor): nt.Tensor =>
      record(
        'neg',
        nt.noGrad(() => x.mul(2)),
        [x],
        () => ({}),
      );
    const x = leaf([3], 'x');
    expect(nt.autograd.gradcheck(wrong, [x], { raiseException: false })).toBe(false);
    expect(() => nt.autograd.gradcheck(wrong, [x])).toThrow(
      /^gradcheck: gradient mismatch for input 0 at flat index \d+: analytical -?[\d.]+, numerical -?[\d.]+ \(\|diff\| [\d.e+-]+, atol 0\.00001, rtol 0\.001\)$/,
    );
    expect(() => nt.autograd.gradcheck((t) => t.mul(2), [nt.ones([2], { requiresGrad: true })])).toThrow(
      nt.ArgumentError,
    );
  });
});
