// Batch and group normalization. Batch norm runs on the fused kernels
// (`batchNormForward` / `batchNormBackward`: native/cpu/batch_norm.cpp, the
// CUDA twin, cuDNN), recorded as `batchNorm`: one pass for the stats and
// one for the output, one reduction and one output pass for the backward.
// The composed path (ops) remains for eval mode with
// running stats that require grad (the kernel treats them as constants).
// Group norm standardizes with the `normalize` op, then applies its affine
// through ordinary broadcast ops.
import { ArgumentError, DTypeError, ShapeError } from '../errors';
import { type BatchNormDims, kBatchNormBackward, kBatchNormForward } from '../kernels/batch_norm';
import { kCopy } from '../kernels/launch';
import { isFloatingDType } from '../tensor/dtype';
import { formatShape } from '../tensor/shape';
import { type Tensor, emptyTensor as empty } from '../tensor/tensor';
import { showValue } from '../validate';
import { add, checkTensor, mul, sub } from './elementwise';
import { isGradEnabled, noGrad } from './grad_mode';
import { record } from './record';
import { mean, variance } from './reduce';
import { cast } from './convert';
import { rsqrt } from './unary.gen';
import { clone, contiguous, reshape } from './views';

declare module './op_contexts' {
  interface OpContexts {
    /** xhat = (x - mean) * rstd over dims (keepdim stats). */
    normalize: { xhat: Tensor; rstd: Tensor; dims: number[] };
    /** Batch norm on the fused kernels, inputs [x, weight, bias]. */
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

/** What batch norm saves for its backward. */
interface BatchNormContext {
  /** The input, contiguous. */
  x: Tensor;
  /** Per channel [C]: the batch stats (training) or the running mean and 1 / sqrt(var + eps). */
  mean: Tensor;
  invstd: Tensor;
  /** The weight in x's dtype, contiguous [C], or null; and the weight's own dtype. */
  weight: Tensor | null;
  weightDtype: Tensor['dtype'] | null;
  dims: BatchNormDims;
}

/** Backward of batch norm: [dx, dweight, dbias], one kernel. */
export function batchNormBackward(ctx: BatchNormContext, g: Tensor, needs: readonly boolean[]): (Tensor | null)[] {
  const { x, mean, invstd, weight, weightDtype, dims } = ctx;
  const gc = contiguous(cast(g, x.dtype));
  const dx = needs[0] ? empty(x.shape, x.dtype, x.device) : null;
  // With a weight both parameter grads are written (cuDNN computes both anyway).
  const dw = weight ? empty([dims.C], x.dtype, x.device) : null;
  const db = weight || needs[2] ? empty([dims.C], x.dtype, x.device) : null;
  kBatchNormBackward({ dx, dweight: dw, dbias: db }, gc, x, { mean, invstd }, weight, dims);
  const back = (t: Tensor | null): Tensor | null =>
    t && weightDtype && t.dtype !== weightDtype ? cast(t, weightDtype) : t;
  return [dx, needs[1] ? back(dw) : null, needs[2] ? back(db) : null];
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
  if (training) {
    const count = C === 0 ? 0 : x.numel / C;
    if (count <= 1)
      throw new ShapeError(
        op,
        `expected more than 1 value per channel when training, got input of shape ${formatShape(x.shape)}`,
      );
  } else {
    if (!rm || !rv) throw new ArgumentError(op, 'runningMean and runningVar are required when training is false');
    if (isGradEnabled() && (rm.requiresGrad || rv.requiresGrad)) return batchNormEvalComposed(x, rm, rv, w, b, eps);
  }
  const HW = x.shape.slice(2).reduce((p, q) => p * q, 1);
  const dims: BatchNormDims = { N: x.shape[0], C, HW, eps, training };
  const xc = contiguous(x.detach());
  const param = (t: Tensor | null): Tensor | null => t && contiguous(cast(t.detach(), x.dtype));
  const wc = param(w);
  const bc = param(b);
  // The kernel updates running stats of x's dtype in place: others go through a copy.
  const direct = (t: Tensor | null): boolean => !t || (t.dtype === x.dtype && t.isContiguous());
  const useCopies = training && !(direct(rm) && direct(rv));
  const rmK = useCopies && rm ? clone(cast(rm.detach(), x.dtype)) : rm;
  const rvK = useCopies && rv ? clone(cast(rv.detach(), x.dtype)) : rv;
  const needsGrad = isGradEnabled() && (x.requiresGrad || !!w?.requiresGrad || !!b?.requiresGrad);
  const save = needsGrad
    ? { mean: empty([C], x.dtype, x.device), invstd: empty([C], x.dtype, x.device) }
    : { mean: null, invstd: null };
  const out = empty(x.shape, x.dtype, x.device);
  kBatchNormForward(out, xc, { weight: wc, bias: bc }, { mean: rmK, var: rvK }, save, dims, momentum);
  if (useCopies && rm && rv && rmK && rvK) {
    kCopy(rm, rmK);
    kCopy(rv, rvK);
  }
  const { mean: sm, invstd: si } = save;
  if (!sm || !si) return out;
  return record('batchNorm', out, [x, w, b], () => ({
    x: xc,
    mean: sm,
    invstd: si,
    weight: wc,
    weightDtype: w ? w.dtype : null,
    dims,
  }));
}

/** Eval-mode batch norm from ops, for running stats that require grad. */
function batchNormEvalComposed(
  x: Tensor,
  rm: Tensor,
  rv: Tensor,
  w: Tensor | null,
  b: Tensor | null,
  eps: number,
): Tensor {
  // y = x * scale + shift with scale = w / sqrt(var + eps), shift = b - mean * scale.
  let scale = rsqrt(add(rv, eps));
  if (w) scale = mul(scale, w);
  let shift = mul(rm, scale);
  shift = b ? sub(b, shift) : mul(shift, -1);
  return add(mul(x, perChannel(scale, x.ndim)), perChannel(shift, x.ndim));
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
