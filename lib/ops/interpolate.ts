// interpolate (F.interpolate / nn.Upsample): nearest and (bi)linear resizing
// of [N, C, L] and [N, C, H, W], one spatial dim at a time (linear
// resampling is separable). Each dim is index_select with host-computed
// source indices, and for linear a weighted sum of two such selections, so
// the result is differentiable through the existing ops (index_select's
// backward is a scatter-add). The indices follow PyTorch 1.13's CPU kernels
// (UpSample.h): the scale is 1/scaleFactor when scaleFactor is given and
// in/out otherwise, computed in float32 for float32 input.
import { ArgumentError, DTypeError, ShapeError } from '../errors';
import { isFloatingDType } from '../tensor/dtype';
import { formatShape } from '../tensor/shape';
import { tensor } from '../tensor/creation';
import type { Tensor } from '../tensor/tensor';
import { add, checkTensor, mul } from './elementwise';
import { indexSelect } from './index_ops';
import { checkBool, checkOptions, optionKeys, showValue } from '../validate';

export type InterpolateMode = 'nearest' | 'linear' | 'bilinear';

export interface InterpolateOptions {
  /** The output spatial size: one number for all spatial dims or one each. Give this or scaleFactor. */
  size?: number | readonly number[];
  /** Output size = floor(input size * scaleFactor); the sampling uses 1/scaleFactor, as PyTorch by default. */
  scaleFactor?: number | readonly number[];
  /** 'nearest' (default; 3-D or 4-D input), 'linear' (3-D) or 'bilinear' (4-D). */
  mode?: InterpolateMode;
  /** Linear modes only: map the corner pixels' centres onto each other (default false). */
  alignCorners?: boolean;
}

export const INTERPOLATE_KEYS = optionKeys<InterpolateOptions>({
  size: true,
  scaleFactor: true,
  mode: true,
  alignCorners: true,
});

/** How one spatial dim is resampled. */
interface AxisPlan {
  inSize: number;
  outSize: number;
  /** 1 / scaleFactor when one was given, else null (then in/out is used). */
  scale: number | null;
}

function perDim(op: string, name: string, v: unknown, n: number, check: (x: unknown) => number): number[] {
  if (typeof v === 'number') return new Array<number>(n).fill(check(v));
  if (Array.isArray(v)) {
    if (v.length !== n)
      throw new ArgumentError(op, `${name} must be a number or ${n} numbers (one per spatial dim), got ${v.length}`);
    return v.map(check);
  }
  throw new ArgumentError(op, `${name} must be a number or an array of ${n} numbers, got ${showValue(v)}`);
}

function plans(op: string, x: Tensor, o: InterpolateOptions): AxisPlan[] {
  const spatial = x.shape.slice(2);
  const n = spatial.length;
  if ((o.size === undefined) === (o.scaleFactor === undefined))
    throw new ArgumentError(op, 'exactly one of size and scaleFactor must be given');
  if (spatial.some((s) => s === 0))
    throw new ShapeError(op, `input ${formatShape(x.shape)} must have non-zero spatial sizes`);
  if (o.size !== undefined) {
    const sizes = perDim(op, 'size', o.size, n, (v) => {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1)
        throw new ArgumentError(op, `size must be positive integers, got ${showValue(v)}`);
      return v;
    });
    return sizes.map((outSize, i) => ({ inSize: spatial[i], outSize, scale: null }));
  }
  const factors = perDim(op, 'scaleFactor', o.scaleFactor, n, (v) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
      throw new ArgumentError(op, `scaleFactor must be positive finite numbers, got ${showValue(v)}`);
    return v;
  });
  return factors.map((f, i) => {
    const outSize = Math.floor(spatial[i] * f);
    if (outSize < 1)
      throw new ArgumentError(
        op,
        `scaleFactor ${f} gives an empty output for input size ${spatial[i]} in spatial dim ${i} (input ${formatShape(x.shape)})`,
      );
    return { inSize: spatial[i], outSize, scale: 1 / f };
  });
}

/** Source indices for nearest: min(floor(dst * scale), in - 1) in float32 (PyTorch's nearest_idx). */
function nearestIndices(p: AxisPlan): Int32Array {
  const idx = new Int32Array(p.outSize);
  const scale = Math.fround(p.scale ?? Math.fround(p.inSize) / p.outSize);
  for (let i = 0; i < p.outSize; ++i) {
    if (p.outSize === p.inSize) idx[i] = i;
    else if (p.outSize === 2 * p.inSize) idx[i] = i >> 1;
    else idx[i] = Math.min(Math.floor(Math.fround(i * scale)), p.inSize - 1);
  }
  return idx;
}

/** Two source indices and weights per output position (PyTorch's compute_source_index_and_lambda). */
function linearTaps(
  p: AxisPlan,
  alignCorners: boolean,
  f32: boolean,
): { i0: Int32Array; i1: Int32Array; l0: Float64Array; l1: Float64Array } {
  const r = f32 ? Math.fround : (v: number): number => v;
  const n = p.outSize;
  const out = { i0: new Int32Array(n), i1: new Int32Array(n), l0: new Float64Array(n), l1: new Float64Array(n) };
  let scale: number;
  if (alignCorners) scale = n > 1 ? r((p.inSize - 1) / (n - 1)) : 0;
  else scale = r(p.scale ?? p.inSize / n);
  for (let i = 0; i < n; ++i) {
    if (n === p.inSize) {
      out.i0[i] = i;
      out.i1[i] = i;
      out.l0[i] = 1;
      continue;
    }
    const src = alignCorners ? r(scale * i) : Math.max(r(r(scale * r(i + 0.5)) - 0.5), 0);
    const i0 = Math.min(Math.floor(src), p.inSize - 1);
    out.i0[i] = i0;
    out.i1[i] = i0 + (i0 < p.inSize - 1 ? 1 : 0);
    out.l1[i] = r(src - i0);
    out.l0[i] = r(1 - out.l1[i]);
  }
  return out;
}

/**
 * Resizes [N, C, L] or [N, C, H, W] input (PyTorch's F.interpolate for
 * 'nearest', 'linear' and 'bilinear'). Differentiable.
 */
export function interpolate(input: Tensor, options: InterpolateOptions): Tensor {
  const op = 'interpolate';
  checkTensor(op, input);
  const o = checkOptions(op, options, INTERPOLATE_KEYS);
  const mode = o.mode ?? 'nearest';
  if (mode !== 'nearest' && mode !== 'linear' && mode !== 'bilinear')
    throw new ArgumentError(op, `mode must be 'nearest', 'linear' or 'bilinear', got ${showValue(mode as unknown)}`);
  if (input.ndim !== 3 && input.ndim !== 4)
    throw new ShapeError(op, `input must be 3-D [N, C, L] or 4-D [N, C, H, W], got ${formatShape(input.shape)}`);
  const want = mode === 'linear' ? 3 : mode === 'bilinear' ? 4 : input.ndim;
  if (input.ndim !== want)
    throw new ShapeError(op, `mode '${mode}' needs ${want}-D input, got ${formatShape(input.shape)}`);
  let alignCorners = false;
  if (o.alignCorners !== undefined) {
    if (mode === 'nearest')
      throw new ArgumentError(op, "alignCorners can only be set with mode 'linear' or 'bilinear'");
    alignCorners = checkBool(op, 'alignCorners', o.alignCorners);
  }
  if (mode !== 'nearest' && !isFloatingDType(input.dtype))
    throw new DTypeError(op, `mode '${mode}' needs a floating input, got ${input.dtype}; convert with .float()`);
  const axes = plans(op, input, o);
  const device = input.device;
  const index = (a: Int32Array): Tensor => tensor(a, { dtype: 'int64', device });
  let y = input;
  axes.forEach((p, i) => {
    const dim = 2 + i;
    if (mode === 'nearest') {
      y = indexSelect(y, dim, index(nearestIndices(p)));
      return;
    }
    const taps = linearTaps(p, alignCorners, input.dtype === 'float32');
    // the weights broadcast along the dims after this one
    const wShape = [p.outSize, ...new Array<number>(axes.length - 1 - i).fill(1)];
    const weight = (l: Float64Array): Tensor => tensor(l, { dtype: input.dtype, device, shape: wShape });
    y = add(
      mul(indexSelect(y, dim, index(taps.i0)), weight(taps.l0)),
      mul(indexSelect(y, dim, index(taps.i1)), weight(taps.l1)),
    );
  });
  return y;
}
