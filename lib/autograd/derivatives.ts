// Every backward formula, in one table keyed by op (like PyTorch's
// derivatives.yaml). Each returns one gradient per input, in the order the
// op recorded its inputs, shaped like the op's broadcast output: the engine
// sums gradients back over broadcast dims in one place (sumToShape).
import { BinaryOp } from '../../bindings/codes.gen';
import { cast } from '../ops/convert';
import * as ew from '../ops/elementwise';
import * as unary from '../ops/unary.gen';
import { alongLastDim } from '../ops/activation';
import { indexAddInto, scatterAddInto } from '../ops/index_ops';
import { kBinary, kCopy, kFill, kSoftmaxBackward } from '../kernels/launch';
import { matmul } from '../ops/linalg';
import { conv2dBackward } from '../ops/conv';
import { to } from '../ops/convert';
import * as views from '../ops/views';
import { type Tensor, emptyTensor as empty } from '../tensor/tensor';
import type { OpContexts, OpName } from '../ops/op_contexts';
import '../ops/tensor_methods'; // the formulas call Tensor methods
// pooling and normalization (issue 12)
import { avgPoolBackward, maxPoolBackward } from '../ops/pool';
import { batchNormBackward, normalizeBackward } from '../ops/normalization';
import { convTranspose2dBackward } from '../ops/conv_transpose';
// language-model tensor ops (issue 13)
import { cumsumBackward } from '../ops/sort_scan';
// layer / RMS norm, embedding, GELU tanh (issue 13)
import { layerNormBackward } from '../ops/layer_norm';
import { embeddingBackward } from './embedding_grad';
import type { RowsGrad } from './rows_grad';
// attention (issue 13)
import { scaledDotProductAttentionBackward } from '../ops/attention';
// double backward and autograd.Function (issue 14)
import { NotDifferentiableError } from '../errors';

// A formula may return a RowsGrad (rows_grad.ts) for a 2-D input whose gradient is sparse in rows.
type BackwardFn<C> = (ctx: C, grad: Tensor, needs: readonly boolean[]) => (Tensor | RowsGrad | null)[];
export type DerivativeTable = { readonly [K in OpName]: BackwardFn<OpContexts[K]> };

/** grad with reduced dims reinserted (size 1) and expanded back to inShape. */
function unreduce(g: Tensor, inShape: readonly number[], dims: readonly number[], keepdim: boolean): Tensor {
  let gk = g;
  if (!keepdim) {
    const shape = inShape.map((s, i) => (dims.includes(i) ? 1 : s));
    gk = views.reshape(g, shape);
  }
  return views.expand(gk, inShape);
}

/** A fused backward kernel out = f(g, saved), e.g. ReluBackward. */
function fusedBackward(code: BinaryOp, g: Tensor, saved: Tensor): Tensor {
  const out = empty(saved.shape, saved.dtype, saved.device);
  kBinary(code, out, cast(g, saved.dtype), saved);
  return out;
}

/** Gradient of max/min style selections: split evenly between ties. */
function tieMask(x: Tensor, selected: Tensor): Tensor {
  const mask = cast(ew.eq(x, selected), x.dtype);
  return mask;
}

export const derivatives: DerivativeTable = {
  add: ({ alpha }, g) => [g, alpha === 1 ? g : ew.mul(g, alpha)],
  sub: ({ alpha }, g) => [g, ew.mul(g, -alpha)],
  mul: ({ a, b }, g, needs) => [needs[0] ? ew.mul(g, b) : null, needs[1] ? ew.mul(g, a) : null],
  div: ({ a, b }, g, needs) => [
    needs[0] ? ew.div(g, b) : null,
    needs[1] ? unary.neg(ew.div(ew.mul(g, a), ew.mul(b, b))) : null,
  ],
  pow: ({ a, b, out }, g, needs) => [
    needs[0] ? ew.mul(g, ew.mul(b, ew.pow(a, ew.sub(b, 1)))) : null,
    needs[1] ? ew.mul(g, ew.mul(out, unary.log(a))) : null,
  ],
  powScalar: ({ x, exponent }, g) => [
    exponent === 0 ? ew.mul(g, 0) : ew.mul(g, ew.mul(ew.pow(x, exponent - 1), exponent)),
  ],
  addScalar: (_c, g) => [g],
  mulScalar: ({ scalar }, g) => [ew.mul(g, scalar)],
  rsubScalar: (_c, g) => [unary.neg(g)],
  rdivScalar: ({ x, scalar }, g) => [ew.mul(ew.div(g, ew.mul(x, x)), -scalar)],
  maximum: ({ a, b }, g, needs) => {
    const gt = cast(ew.gt(a, b), g.dtype);
    const tie = ew.mul(cast(ew.eq(a, b), g.dtype), 0.5);
    return [
      needs[0] ? ew.mul(g, ew.add(gt, tie)) : null,
      needs[1] ? ew.mul(g, ew.add(cast(ew.lt(a, b), g.dtype), tie)) : null,
    ];
  },
  minimum: ({ a, b }, g, needs) => {
    const lt = cast(ew.lt(a, b), g.dtype);
    const tie = ew.mul(cast(ew.eq(a, b), g.dtype), 0.5);
    return [
      needs[0] ? ew.mul(g, ew.add(lt, tie)) : null,
      needs[1] ? ew.mul(g, ew.add(cast(ew.gt(a, b), g.dtype), tie)) : null,
    ];
  },
  neg: (_c, g) => [unary.neg(g)],
  abs: ({ x }, g) => [ew.mul(g, unary.sign(x))],
  exp: ({ out }, g) => [ew.mul(g, out)],
  log: ({ x }, g) => [ew.div(g, x)],
  sqrt: ({ out }, g) => [ew.div(g, ew.mul(out, 2))],
  rsqrt: ({ out }, g) => [ew.mul(g, ew.mul(ew.pow(out, 3), -0.5))],
  square: ({ x }, g) => [ew.mul(g, ew.mul(x, 2))],
  reciprocal: ({ out }, g) => [unary.neg(ew.mul(g, ew.mul(out, out)))],
  sin: ({ x }, g) => [ew.mul(g, unary.cos(x))],
  cos: ({ x }, g) => [unary.neg(ew.mul(g, unary.sin(x)))],
  log1p: ({ x }, g) => [ew.div(g, ew.add(x, 1))],
  expm1: ({ out }, g) => [ew.mul(g, ew.add(out, 1))],
  erf: ({ x }, g) => [ew.mul(g, ew.mul(unary.exp(unary.neg(ew.mul(x, x))), 2 / Math.sqrt(Math.PI)))],
  zeroGrad: (_c, g) => [ew.mul(g, 0)],
  clamp: ({ x, min, max }, g) => [ew.mul(g, cast(ew.logicalAnd(ew.ge(x, min), ew.le(x, max)), g.dtype))],
  where: ({ cond }, g, needs) => [null, needs[1] ? ew.where(cond, g, 0) : null, needs[2] ? ew.where(cond, 0, g) : null],
  cast: ({ from }, g) => [cast(g, from)],
  toDevice: ({ from }, g) => [to(g, from)],
  identity: (_c, g) => [g],
  reshape: ({ inShape }, g) => [views.reshape(g, inShape)],
  permute: ({ dims }, g) => {
    const inverse = new Array<number>(dims.length);
    dims.forEach((d, i) => {
      inverse[d] = i;
    });
    return [views.permute(g, inverse)];
  },
  expand: (_c, g) => [g],
  narrow: ({ inShape, dim, start }, g) => {
    const out = empty(inShape, g.dtype, g.device);
    kFill(out, 0);
    const slot = views.narrow(out, dim, start, g.shape[dim]);
    kCopy(slot, g);
    return [out];
  },
  cat: ({ dim, sizes }, g) => views.split(g, sizes, dim),
  sum: ({ inShape, dims, keepdim }, g) => [unreduce(g, inShape, dims, keepdim)],
  mean: ({ inShape, dims, keepdim, count }, g) => [unreduce(ew.div(g, count), inShape, dims, keepdim)],
  prod: ({ x, out, dims, keepdim }, g) => {
    // out / x, except where the group holds zeros (0/0): with one zero, that
    // element gets the product of the others; with more, everything gets 0.
    const isZero = ew.eq(x, 0);
    const zeros = unreduce(cast(isZero, x.dtype).sum(dims, true), x.shape, dims, true);
    const othersIfOneZero = unreduce(prodOver(ew.where(isZero, 1, x), dims), x.shape, dims, true);
    const local = ew.where(
      ew.eq(zeros, 0),
      ew.div(unreduce(out, x.shape, dims, keepdim), x),
      ew.where(ew.logicalAnd(ew.eq(zeros, 1), isZero), othersIfOneZero, 0),
    );
    return [ew.mul(unreduce(g, x.shape, dims, keepdim), local)];
  },
  extreme: ({ x, out, dims, keepdim }, g) => {
    const mask = tieMask(x, unreduce(out, x.shape, dims, keepdim));
    const count = unreduce(mask.sum(dims, true), x.shape, dims, true);
    return [ew.div(ew.mul(unreduce(g, x.shape, dims, keepdim), mask), count)];
  },
  variance: ({ x, dims, keepdim, correction, count }, g) => {
    const centered = ew.sub(x, x.mean(dims, true));
    const scale = 2 / Math.max(count - correction, 0);
    return [ew.mul(ew.mul(unreduce(g, x.shape, dims, keepdim), centered), scale)];
  },
  // PyTorch's norm_backward: 0 where the norm is 0, ties of max |x| share.
  norm: ({ x, out, p, dims, keepdim }, g) => {
    const gs = unreduce(g, x.shape, dims, keepdim);
    const n = unreduce(out, x.shape, dims, keepdim);
    if (p === 0) return [ew.where(ew.eq(x, x), 0, 0)]; // zeros, NaN included
    if (p === 1) return [ew.mul(unary.sign(x), gs)];
    if (p === Infinity || p === -Infinity) {
      const ties = tieMask(unary.abs(x), n);
      return [ew.div(ew.mul(ew.mul(unary.sign(x), ties), gs), ties.sum(dims, true))];
    }
    // x |x|^(p-2) g / n^(p-1)
    const scale = ew.where(ew.eq(n, 0), 0, ew.div(gs, p === 2 ? n : ew.pow(n, p - 1)));
    const local = p === 2 ? x : ew.mul(unary.sign(x), ew.pow(unary.abs(x), p - 1));
    return [ew.mul(local, scale)];
  },
  logsumexp: ({ x, out, dims, keepdim }, g) => [
    ew.mul(unreduce(g, x.shape, dims, keepdim), unary.exp(ew.sub(x, unreduce(out, x.shape, dims, keepdim)))),
  ],
  relu: ({ out }, g) => [fusedBackward(BinaryOp.ReluBackward, g, out)],
  sigmoid: ({ out }, g) => [fusedBackward(BinaryOp.SigmoidBackward, g, out)],
  tanh: ({ out }, g) => [fusedBackward(BinaryOp.TanhBackward, g, out)],
  gelu: ({ x }, g) => [fusedBackward(BinaryOp.GeluBackward, g, x)],
  geluTanh: ({ x }, g) => [fusedBackward(BinaryOp.GeluTanhBackward, g, x)],
  silu: ({ x }, g) => [fusedBackward(BinaryOp.SiluBackward, g, x)],
  // d/dx = sigmoid(beta * x), and 1 where the forward passed x through.
  softplus: ({ x, beta, threshold }, g) => {
    const bx = ew.mul(x, beta);
    return [ew.where(ew.gt(bx, threshold), g, ew.mul(g, unary.sigmoid(bx)))];
  },
  leakyRelu: ({ x, slope }, g) => [ew.where(ew.gt(x, 0), g, ew.mul(g, slope))],
  softmax: ({ out }, g) => [softmaxGrad(out, g, false)],
  logSoftmax: ({ out }, g) => [softmaxGrad(out, g, true)],
  matmul: ({ a, b }, g, needs) => [
    needs[0] ? matmul(g, views.transpose(b, -1, -2)) : null,
    needs[1] ? matmul(views.transpose(a, -1, -2), g) : null,
  ],
  linear: ({ x, w }, g, needs) => [
    needs[0] ? matmul(g, w) : null,
    needs[1] ? matmul(views.t(g), x) : null,
    needs[2] ? g.sum(0) : null,
  ],
  indexSelect: ({ inShape, dim, index }, g) => [indexAddInto(inShape, dim, index, g)],
  gather: ({ inShape, dim, index }, g) => [scatterAddInto(inShape, dim, index, g)],
  scatterAdd: ({ dim, index }, g, needs) => [needs[0] ? g : null, needs[1] ? g.gather(dim, index) : null],
  conv2d: ({ x, w, geometry }, g, needs) => conv2dBackward(x, w, geometry, g, needs),
  crossEntropy: ({ dlogits, scale, perRow }, g) => {
    if (perRow) return [ew.mul(dlogits, views.unsqueeze(ew.mul(g, scale), 1))];
    return [ew.mul(dlogits, ew.mul(g, scale))];
  },
  // pooling and normalization (issue 12)
  maxPool2d: ({ inShape, indices, geom }, g) => [maxPoolBackward(inShape, indices, geom, g)],
  avgPool2d: ({ inShape, geom, div }, g) => [avgPoolBackward(inShape, geom, div, g)],
  normalize: ({ xhat, rstd, dims }, g) => [normalizeBackward(xhat, rstd, dims, g)],
  batchNorm: (ctx, g, needs) => batchNormBackward(ctx, g, needs),
  convTranspose2d: ({ x, w, geometry }, g, needs) => convTranspose2dBackward(x, w, geometry, g, needs),
  // language-model tensor ops (issue 13)
  cumsum: ({ dim }, g) => [cumsumBackward(g, dim)],
  layerNorm: (ctx, g, needs) => layerNormBackward(ctx, g, needs),
  embedding: (ctx, g) => [embeddingBackward(ctx, g)],
  scaledDotProductAttention: (ctx, g) => scaledDotProductAttentionBackward(ctx, g),
  // double backward and autograd.Function (issue 14)
  notTwiceDifferentiable: ({ op }) => refuseSecondDerivative(op),
  customFunction: ({ backward }, g) => backward(g),
};

/** Product over several dims, keepdim (Tensor.prod takes one dim at a time). */
function prodOver(x: Tensor, dims: readonly number[]): Tensor {
  let p = x;
  for (const d of dims) p = p.prod(d, true);
  return p;
}

/** Softmax backward over the last dim of the (contiguous) saved output. */
function softmaxGrad(out: Tensor, g: Tensor, log: boolean): Tensor {
  const cols = out.ndim === 0 ? 1 : out.shape[out.ndim - 1];
  const rows = cols === 0 ? 0 : out.numel / cols;
  return alongLastDim(views.contiguous(cast(g, out.dtype)), out.ndim - 1, (gc) => {
    const dx = empty(out.shape, out.dtype, out.device);
    kSoftmaxBackward(dx, gc, out, rows, cols, log);
    return dx;
  });
}

/** The backward of notTwiceDifferentiable: reached only by a second derivative through a first-order-only op. */
function refuseSecondDerivative(op: string): never {
  throw new NotDifferentiableError(
    op,
    `its backward is a fused first-order kernel, so a second derivative through it (autograd.grad with createGraph: true, then backward) is not supported; build that part from differentiable ops`,
  );
}
