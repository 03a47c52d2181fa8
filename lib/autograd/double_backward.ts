// Which backward formula a node runs. With createGraph the formulas run with
// grad mode on so that the backward itself is recorded (double backward).
// Formulas built from recorded ops serve both passes; the fused backward
// kernels (ReluBackward, softmaxBackward, ...) are not recorded, so their
// ops get a twin here built from differentiable ops. The rest (conv,
// pooling, norms, cross-entropy, attention, embedding, ...) are first order
// only: their gradients get a node that raises NotDifferentiableError if a
// second backward reaches it, never a silent zero.
import { cast } from '../ops/convert';
import * as ew from '../ops/elementwise';
import * as unary from '../ops/unary.gen';
import { scatterAdd } from '../ops/index_ops';
import { cat } from '../ops/join';
import { record } from '../ops/record';
import { cumsum } from '../ops/sort_scan';
import * as views from '../ops/views';
import { noGrad } from '../ops/grad_mode';
import type { OpContexts, OpName } from '../ops/op_contexts';
import { zeros } from '../tensor/creation';
import type { GraphNode, Tensor } from '../tensor/tensor';
import { derivatives } from './derivatives';
import { RowsGrad } from './rows_grad';
import '../ops/tensor_methods';

export type Formula = (ctx: unknown, g: Tensor, needs: readonly boolean[]) => (Tensor | RowsGrad | null)[];
type Twins = {
  readonly [K in OpName]?: (ctx: OpContexts[K], g: Tensor, needs: readonly boolean[]) => (Tensor | null)[];
};

declare module '../ops/op_contexts' {
  interface OpContexts {
    /** The gradient of a first-order-only op under createGraph: its backward raises. */
    notTwiceDifferentiable: { op: string };
  }
}

const GELU_K = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;

/** The index of indexSelect spread over g's shape along dim, for scatterAdd. */
function spreadIndex(index: Tensor, dim: number, shape: readonly number[]): Tensor {
  const lined = shape.map((_s, i) => (i === dim ? index.numel : 1));
  return views.contiguous(views.expand(views.reshape(index, lined), shape));
}

/** Backward formulas from recorded ops, for the ops whose usual formula is a fused kernel. */
const twins: Twins = {
  relu: ({ out }, g) => [ew.mul(g, cast(ew.gt(out, 0), g.dtype))],
  sigmoid: ({ out }, g) => [ew.mul(g, ew.mul(out, ew.sub(1, out)))],
  tanh: ({ out }, g) => [ew.mul(g, ew.sub(1, ew.mul(out, out)))],
  // d/dx x Phi(x) = Phi(x) + x phi(x)
  gelu: ({ x }, g) => {
    const cdf = ew.mul(ew.add(unary.erf(ew.mul(x, Math.SQRT1_2)), 1), 0.5);
    const pdf = ew.mul(unary.exp(ew.mul(ew.mul(x, x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
    return [ew.mul(g, ew.add(cdf, ew.mul(x, pdf)))];
  },
  geluTanh: ({ x }, g) => {
    const x2 = ew.mul(x, x);
    const t = unary.tanh(ew.mul(ew.mul(x, ew.add(ew.mul(x2, GELU_C), 1)), GELU_K));
    const du = ew.mul(ew.add(ew.mul(x2, 3 * GELU_C), 1), GELU_K);
    const d = ew.add(ew.mul(ew.add(t, 1), 0.5), ew.mul(ew.mul(ew.mul(x, 0.5), ew.sub(1, ew.mul(t, t))), du));
    return [ew.mul(g, d)];
  },
  silu: ({ x }, g) => {
    const s = unary.sigmoid(x);
    return [ew.mul(g, ew.mul(s, ew.add(ew.mul(x, ew.sub(1, s)), 1)))];
  },
  // The saved output is the contiguous softmax over its last dim.
  softmax: ({ out }, g) => {
    const gc = cast(g, out.dtype);
    return [ew.mul(out, ew.sub(gc, ew.mul(gc, out).sum(-1, true)))];
  },
  logSoftmax: ({ out }, g) => {
    const gc = cast(g, out.dtype);
    return [ew.sub(gc, ew.mul(unary.exp(out), gc.sum(-1, true)))];
  },
  narrow: ({ inShape, dim, start }, g) => {
    const parts: Tensor[] = [];
    const pad = (n: number): Tensor =>
      zeros(
        inShape.map((s, i) => (i === dim ? n : s)),
        { dtype: g.dtype, device: g.device },
      );
    const after = inShape[dim] - start - g.shape[dim];
    if (start > 0) parts.push(pad(start));
    parts.push(g);
    if (after > 0) parts.push(pad(after));
    return [parts.length === 1 ? g : cat(parts, dim)];
  },
  indexSelect: ({ inShape, dim, index }, g) => [
    scatterAdd(zeros(inShape, { dtype: g.dtype, device: g.device }), dim, spreadIndex(index, dim, g.shape), g),
  ],
  gather: ({ inShape, dim, index }, g) => [
    scatterAdd(zeros(inShape, { dtype: g.dtype, device: g.device }), dim, index, g),
  ],
  // Suffix sums: total - prefix + self.
  cumsum: ({ dim }, g) => [ew.add(ew.sub(g.sum(dim, true), cumsum(g, dim)), g)],
};

/** Ops whose usual formula is built from recorded ops, so it is its own twin. */
const selfTwins = new Set<string>([
  'add',
  'sub',
  'mul',
  'div',
  'pow',
  'powScalar',
  'addScalar',
  'mulScalar',
  'rsubScalar',
  'rdivScalar',
  'maximum',
  'minimum',
  'neg',
  'abs',
  'exp',
  'log',
  'sqrt',
  'rsqrt',
  'square',
  'reciprocal',
  'sin',
  'cos',
  'log1p',
  'expm1',
  'erf',
  'zeroGrad',
  'clamp',
  'where',
  'cast',
  'toDevice',
  'identity',
  'reshape',
  'permute',
  'expand',
  'cat',
  'sum',
  'mean',
  'prod',
  'extreme',
  'variance',
  'logsumexp',
  'softplus',
  'leakyRelu',
  'matmul',
  'linear',
  'scatterAdd',
  'customFunction',
  'notTwiceDifferentiable',
]);

/** Runs a first-order-only formula and marks its gradients so that a second backward through them raises. */
function firstOrderOnly(node: GraphNode, base: Formula): Formula {
  return (ctx, g, needs) => {
    const grads = noGrad(() => base(ctx, g, needs));
    const inputs = [g, ...node.inputs];
    const marks = inputs.map((t) => t?._requiresGrad === true);
    if (!marks.some(Boolean)) return grads;
    return grads.map((gi) => {
      if (!gi) return gi;
      const dense = gi instanceof RowsGrad ? noGrad(() => gi.dense()) : gi;
      const out = dense._view(dense.shape, dense.strides, dense.offset);
      return record('notTwiceDifferentiable', out, inputs, () => ({ op: node.op }));
    });
  };
}

/** The formula `node` runs in a pass; createGraph picks a recorded one. */
export function formulaFor(node: GraphNode, createGraph: boolean): Formula {
  const op = node.op as OpName;
  const base = derivatives[op] as Formula;
  if (!createGraph || selfTwins.has(op)) return base;
  const twin = twins[op] as Formula | undefined;
  return twin ?? firstOrderOnly(node, base);
}
