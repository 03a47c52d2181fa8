// Layer norm and RMS norm over the trailing `normalizedShape` dims, each one
// fused kernel forward (native/cpu/layer_norm.cpp, native/cuda/layer_norm.cu)
// and one backward that writes dx, dweight and dbias together. The input is
// seen as contiguous [rows, cols] with cols the product of normalizedShape.
import { ArgumentError, DTypeError, ShapeError } from '../errors';
import { kLayerNorm, kLayerNormBackward, sameDevice } from '../kernels/launch';
import { type DType, isFloatingDType } from '../tensor/dtype';
import { formatShape } from '../tensor/shape';
import { type Tensor, emptyTensor as empty } from '../tensor/tensor';
import { showValue } from '../validate';
import { cast } from './convert';
import { checkTensor } from './elementwise';
import { record } from './record';
import { contiguous, reshape } from './views';

declare module './op_contexts' {
  interface OpContexts {
    /** Inputs [x, weight, bias] (weight / bias may be null); mean is null for RMS norm. */
    layerNorm: LayerNormContext;
  }
}

/** What the fused backward needs: the contiguous input, its row statistics and the weight. */
interface LayerNormContext {
  x: Tensor;
  mean: Tensor | null;
  rstd: Tensor;
  weight: Tensor | null;
  rows: number;
  cols: number;
}

/** The smallest positive e with 1 + e != 1 in dtype: RMS norm's default eps, as PyTorch's finfo(dtype).eps. */
function machineEpsilon(dtype: DType): number {
  return dtype === 'float64' ? Number.EPSILON : 2 ** -23;
}

function checkNormalizedShape(op: string, x: Tensor, normalizedShape: unknown): number[] {
  const dims = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape;
  if (
    !Array.isArray(dims) ||
    dims.length === 0 ||
    !dims.every((d: unknown) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)
  )
    throw new ArgumentError(
      op,
      `normalizedShape a non-negative integer or a non-empty list of them, got ${showValue(normalizedShape)}`,
    );
  const shape = dims as number[];
  const lead = x.ndim - shape.length;
  if (lead < 0 || shape.some((d, i) => x.shape[lead + i] !== d))
    throw new ShapeError(
      op,
      `normalizedShape ${formatShape(shape)} must match the trailing dims of input ${formatShape(x.shape)}`,
    );
  return shape.slice();
}

function checkAffine(
  op: string,
  name: string,
  t: Tensor | null | undefined,
  x: Tensor,
  shape: number[],
): Tensor | null {
  if (t === null || t === undefined) return null;
  checkTensor(op, t, name);
  if (t.dtype !== x.dtype) throw new DTypeError(op, `${name} must have the input's dtype ${x.dtype}, got ${t.dtype}`);
  sameDevice(op, x, t);
  if (t.ndim !== shape.length || t.shape.some((s, i) => s !== shape[i]))
    throw new ShapeError(
      op,
      `${name} must have shape ${formatShape(shape)} (normalizedShape), got ${formatShape(t.shape)}`,
    );
  return t;
}

function norm(
  op: 'layer_norm' | 'rms_norm',
  x: Tensor,
  normalizedShape: unknown,
  weight: Tensor | null | undefined,
  bias: Tensor | null | undefined,
  eps: unknown,
): Tensor {
  checkTensor(op, x);
  if (!isFloatingDType(x.dtype)) throw new DTypeError(op, `input must be float32 or float64, got ${x.dtype}`);
  const shape = checkNormalizedShape(op, x, normalizedShape);
  const w = checkAffine(op, 'weight', weight, x, shape);
  const b = checkAffine(op, 'bias', bias, x, shape);
  if (typeof eps !== 'number' || !(eps >= 0) || !Number.isFinite(eps))
    throw new ArgumentError(op, `eps a finite number >= 0, got ${showValue(eps)}`);
  const cols = shape.reduce((a, s) => a * s, 1);
  const rows = x.shape.slice(0, x.ndim - shape.length).reduce((a, s) => a * s, 1);
  const xc = contiguous(x);
  const wc = w && reshape(contiguous(w), [cols]);
  const bc = b && reshape(contiguous(b), [cols]);
  const out = empty(x.shape, x.dtype, x.device);
  const mean = op === 'layer_norm' ? empty([rows], x.dtype, x.device) : null;
  const rstd = empty([rows], x.dtype, x.device);
  kLayerNorm(out, mean, rstd, xc, wc, bc, rows, cols, eps);
  return record('layerNorm', out, [xc, wc, bc], () => ({ x: xc, mean, rstd, weight: wc, rows, cols }));
}

/**
 * Layer normalization over the trailing dims given by `normalizedShape`:
 * (x - mean) / sqrt(var + eps) * weight + bias, with the biased variance.
 * `weight` and `bias` (optional) have shape `normalizedShape`.
 */
export function layerNorm(
  x: Tensor,
  normalizedShape: number | readonly number[],
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  eps = 1e-5,
): Tensor {
  return norm('layer_norm', x, normalizedShape, weight, bias, eps);
}

/**
 * RMS normalization over the trailing dims given by `normalizedShape`:
 * x / sqrt(mean(x^2) + eps) * weight. `eps` defaults to the machine epsilon
 * of x's dtype, as in PyTorch.
 */
export function rmsNorm(
  x: Tensor,
  normalizedShape: number | readonly number[],
  weight: Tensor | null = null,
  eps?: number | null,
): Tensor {
  checkTensor('rms_norm', x);
  return norm('rms_norm', x, normalizedShape, weight, null, eps ?? machineEpsilon(x.dtype));
}

/** Backward of layerNorm / rmsNorm: [dx, dweight, dbias] for the inputs that need them. */
export function layerNormBackward(ctx: LayerNormContext, g: Tensor, needs: readonly boolean[]): (Tensor | null)[] {
  const { x, mean, rstd, weight, rows, cols } = ctx;
  const dy = contiguous(cast(g, x.dtype));
  const dx = needs[0] ? empty(x.shape, x.dtype, x.device) : null;
  const dweight = needs[1] ? empty([cols], x.dtype, x.device) : null;
  const dbias = needs[2] ? empty([cols], x.dtype, x.device) : null;
  kLayerNormBackward({ dx, dweight, dbias }, dy, x, mean, rstd, weight, rows, cols);
  return [dx, dweight, dbias];
}
