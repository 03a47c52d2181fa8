// Batch and group normalization on existing kernels. Training batch norm is
// one fused op (`batchNorm`: normalization and affine, one backward formula
// dx = w * rstd * (g - mean(g) - xhat * mean(g * xhat)) with dw = sum(g * xhat)
// and db = sum(g), written as a few per-channel broadcast passes). Group norm
// standardizes with the `normalize` op (the same formula without the affine),
// then applies its affine through ordinary broadcast ops.
import { BinaryOp } from '../../bindings/codes.gen';
import { ArgumentError, DTypeError, ShapeError } from '../errors';
import { kBinary } from '../kernels/launch';
import { isFloatingDType } from '../tensor/dtype';
import { formatShape } from '../tensor/shape';
import { type Tensor, emptyTensor as empty } from '../tensor/tensor';
import { showValue } from '../validate';
import { add, addInPlace, checkTensor, mul, mulInPlace, sub } from './elementwise';
import { noGrad } from './grad_mode';
import { record } from './record';
import { mean, sum, variance } from './reduce';
import { cast } from './convert';
import { rsqrt } from './unary.gen';
import { reshape } from './views';

declare module './op_contexts' {
  interface OpContexts {
    /** xhat = (x - mean) * rstd over dims (keepdim stats). */
    normalize: { xhat: Tensor; rstd: Tensor; dims: number[] };
    /** Training batch norm, inputs [x, weight, bias]; stats keepdim [1, C, 1, ...]. */
    batchNorm: BatchNormContext;
  }
}

/**
 * Standardizes x over dims with biased variance: returns xhat (recorded as
 * one op) and the detached keepdim mean and biased variance.
 */
function normalize(x: Tensor, dims: number[], eps: number): { xhat: Tensor; mean: Tensor; var: Tensor } {
  const r = noGrad(() => {
    const mu = mean(x, dims, true);
    const v = variance(x, dims, 0, true);
    const rstd = rsqrt(add(v, eps));
    const xhat = mul(sub(x, mu), rstd);
    return { mu, v, rstd, xhat };
  });
  const xhat = record('normalize', r.xhat, [x], () => ({ xhat: r.xhat, rstd: r.rstd, dims }));
  return { xhat, mean: r.mu, var: r.v };
}

/** Backward of normalize. */
export function normalizeBackward(xhat: Tensor, rstd: Tensor, dims: number[], g: Tensor): Tensor {
  const gm = mean(g, dims, true);
  const gxm = mean(mul(g, xhat), dims, true);
  return mul(sub(sub(g, gm), mul(xhat, gxm)), rstd);
}

/** What training batch norm saves: x and its per-channel stats (keepdim), not xhat. */
interface BatchNormContext {
  x: Tensor;
  rstd: Tensor;
  /** -mean * rstd, so that xhat = x * rstd + shift. */
  shift: Tensor;
  /** The weight viewed [1, C, 1, ...], or null. */
  weight: Tensor | null;
  dims: number[];
  count: number;
}

/** Backward of training batch norm: [dx, dweight, dbias]. */
export function batchNormBackward(ctx: BatchNormContext, g: Tensor, needs: readonly boolean[]): (Tensor | null)[] {
  // Every full-size buffer is a fresh allocation (large CPU buffers are not
  // pooled), so this uses two: one for g * xhat and then B * x, one for dx.
  const { x, rstd, shift, weight, dims, count } = ctx;
  const C = x.shape[1];
  const gc = cast(g, x.dtype);
  const buf = empty(x.shape, x.dtype, x.device);
  kBinary(BinaryOp.Mul, buf, x, rstd);
  kBinary(BinaryOp.Add, buf, buf, shift); // xhat
  kBinary(BinaryOp.Mul, buf, buf, gc); // g * xhat
  const sg = sum(gc, dims, true);
  const sgx = sum(buf, dims, true); // = dweight
  let dx: Tensor | null = null;
  if (needs[0]) {
    // dx = A g + B xhat + D per channel, with A = w rstd, B = -A mean(g xhat),
    // D = -A mean(g); and B xhat = (B rstd) x + B shift.
    const a = weight ? mul(rstd, weight) : rstd;
    const bx = mul(mul(mul(a, sgx), -1 / count), rstd);
    const d = add(mul(mul(a, sg), -1 / count), mul(mul(mul(a, sgx), -1 / count), shift));
    dx = empty(x.shape, x.dtype, x.device);
    kBinary(BinaryOp.Mul, dx, gc, a);
    kBinary(BinaryOp.Mul, buf, x, bx); // g * xhat is summed already: reuse its buffer
    kBinary(BinaryOp.Add, dx, dx, buf);
    kBinary(BinaryOp.Add, dx, dx, d);
  }
  return [dx, needs[1] ? reshape(sgx, [C]) : null, needs[2] ? reshape(sg, [C]) : null];
}

function checkFloat(op: string, x: Tensor): void {
  if (!isFloatingDType(x.dtype)) throw new DTypeError(op, `input must be float32 or float64, got ${x.dtype}`);
}

function checkEps(op: string, eps: unknown): number {
  if (typeof eps !== 'number' || !(eps >= 0) || !Number.isFinite(eps))
    throw new ArgumentError(op, `eps a finite number >= 0, got ${showValue(eps)}`);
  return eps;
}

function checkChannelVector(op: string, name: string, t: Tensor | null | undefined, C: number): Tensor | null {
  if (t === null || t === undefined) return null;
  checkTensor(op, t, name);
  if (t.ndim !== 1 || t.shape[0] !== C)
    throw new ShapeError(op, `${name} must have shape [${C}] (one value per channel), got ${formatShape(t.shape)}`);
  return t;
}

/** [C] viewed as [1, C, 1, ...] to broadcast over an input of rank ndim. */
function perChannel(t: Tensor, ndim: number): Tensor {
  const shape = new Array<number>(ndim).fill(1);
  shape[1] = t.shape[0];
  return reshape(t, shape);
}

/**
 * torch.nn.functional.batch_norm: normalizes each channel (dim 1) of x
 * ([N, C, ...]). Training: batch statistics, and the running stats (if
 * given) move by momentum towards the batch mean and the unbiased batch
 * variance, in place. Otherwise the running stats are used.
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  training = false,
  momentum = 0.1,
  eps = 1e-5,
): Tensor {
  const op = 'batch_norm';
  checkTensor(op, x);
  checkFloat(op, x);
  if (x.ndim < 2) throw new ShapeError(op, `input must be at least 2-D (N, C, ...), got ${formatShape(x.shape)}`);
  const C = x.shape[1];
  const rm = checkChannelVector(op, 'runningMean', runningMean, C);
  const rv = checkChannelVector(op, 'runningVar', runningVar, C);
  const w = checkChannelVector(op, 'weight', weight, C);
  const b = checkChannelVector(op, 'bias', bias, C);
  if (typeof training !== 'boolean') throw new ArgumentError(op, `training a boolean, got ${showValue(training)}`);
  if (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1))
    throw new ArgumentError(op, `momentum a number in [0, 1], got ${showValue(momentum)}`);
  checkEps(op, eps);
  if ((rm === null) !== (rv === null))
    throw new ArgumentError(op, 'runningMean and runningVar must be given together (or both null)');
  let y: Tensor;
  if (training) {
    const count = C === 0 ? 0 : x.numel / C;
    if (count <= 1)
      throw new ShapeError(
        op,
        `expected more than 1 value per channel when training, got input of shape ${formatShape(x.shape)}`,
      );
    const dims = [0, ...Array.from({ length: x.ndim - 2 }, (_, i) => i + 2)];
    const f = noGrad(() => {
      const mu = mean(x, dims, true);
      const v = variance(x, dims, 0, true);
      const rstd = rsqrt(add(v, eps));
      const shift = mul(mul(mu, rstd), -1); // xhat = x * rstd + shift
      // y = x * scale + bias', scale = rstd * w, bias' = shift * w + b: one output buffer.
      const wc = w && cast(perChannel(w.detach(), x.ndim), x.dtype);
      const scale = wc ? mul(rstd, wc) : rstd;
      let offset = wc ? mul(shift, wc) : shift;
      if (b) offset = add(offset, cast(perChannel(b.detach(), x.ndim), x.dtype));
      const out = empty(x.shape, x.dtype, x.device);
      kBinary(BinaryOp.Mul, out, x, scale);
      kBinary(BinaryOp.Add, out, out, offset);
      return { mu, v, rstd, shift, wc, out };
    });
    if (rm && rv) {
      noGrad(() => {
        mulInPlace(rm, 1 - momentum);
        addInPlace(rm, reshape(f.mu, [C]), momentum);
        mulInPlace(rv, 1 - momentum);
        addInPlace(rv, reshape(f.v, [C]), (momentum * count) / (count - 1));
      });
    }
    y = record('batchNorm', f.out, [x, w, b], () => ({
      x: x.detach(),
      rstd: f.rstd,
      shift: f.shift,
      weight: f.wc,
      dims,
      count,
    }));
  } else {
    if (!rm || !rv) throw new ArgumentError(op, 'runningMean and runningVar are required when training is false');
    // y = x * scale + shift with scale = w / sqrt(var + eps), shift = b - mean * scale.
    let scale = rsqrt(add(rv, eps));
    if (w) scale = mul(scale, w);
    let shift = mul(rm, scale);
    shift = b ? sub(b, shift) : mul(shift, -1);
    y = add(mul(x, perChannel(scale, x.ndim)), perChannel(shift, x.ndim));
  }
  return y;
}

/** torch.nn.functional.group_norm: each group of C / numGroups channels of each sample is standardized. */
export function groupNorm(
  x: Tensor,
  numGroups: number,
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  eps = 1e-5,
): Tensor {
  const op = 'group_norm';
  checkTensor(op, x);
  checkFloat(op, x);
  if (x.ndim < 2) throw new ShapeError(op, `input must be at least 2-D (N, C, ...), got ${formatShape(x.shape)}`);
  if (typeof numGroups !== 'number' || !Number.isSafeInteger(numGroups) || numGroups < 1)
    throw new ArgumentError(op, `numGroups a positive integer, got ${showValue(numGroups)}`);
  const [N, C] = x.shape;
  if (C % numGroups !== 0)
    throw new ShapeError(
      op,
      `numGroups ${numGroups} must divide the number of channels ${C} of input ${formatShape(x.shape)}`,
    );
  const w = checkChannelVector(op, 'weight', weight, C);
  const b = checkChannelVector(op, 'bias', bias, C);
  checkEps(op, eps);
  const inner = (C / numGroups) * x.shape.slice(2).reduce((a, s) => a * s, 1);
  if (inner === 0)
    throw new ShapeError(op, `each group must hold at least one value, got input ${formatShape(x.shape)}`);
  const n = normalize(reshape(x, [N, numGroups, inner]), [2], eps);
  let y = reshape(n.xhat, x.shape);
  if (w) y = mul(y, perChannel(w, x.ndim));
  if (b) y = add(y, perChannel(b, x.ndim));
  return y;
}
