// 2-D pooling over NCHW (or unbatched CHW) inputs. Max and average pooling
// and their backwards are native kernels (native/cpu/pool.cpp and
// avg_pool.cpp, their CUDA twins, cuDNN where exact); adaptive pooling with
// even windows is plain pooling, with uneven windows max pooling gathers the
// windows and reduces with amax/argmax and average pooling is two matmuls.
// Indices are PyTorch's (flat positions in the unpadded H*W plane) and the
// max backward adds the gradient there.
import { ArgumentError, DTypeError, ShapeError } from '../errors';
import {
  type AvgDivisor,
  kAvgPool2d,
  kAvgPool2dBackward,
  kCopy,
  kMaxPool2d,
  kMaxPool2dBackward,
} from '../kernels/launch';
import { tensor } from '../tensor/creation';
import { isFloatingDType } from '../tensor/dtype';
import { formatShape } from '../tensor/shape';
import { type Tensor, emptyTensor as empty } from '../tensor/tensor';
import { showValue } from '../validate';
import { add, checkTensor } from './elementwise';
import { isGradEnabled } from './grad_mode';
import { indexSelect, scatterAddInto } from './index_ops';
import { matmul } from './linalg';
import { record } from './record';
import { amax, argmax } from './reduce';
import { contiguous, reshape, transpose } from './views';

declare module './op_contexts' {
  interface OpContexts {
    /** Max pooling (plain or adaptive): indices are flat positions in each input H*W plane. */
    maxPool2d: { inShape: readonly number[]; indices: Tensor; geom: PoolGeometry | null };
    avgPool2d: { inShape: readonly number[]; geom: PoolGeometry; div: AvgDivisor };
  }
}

/** A size for each of H and W, as PyTorch's `int or (int, int)`. */
export type Size2 = number | readonly [number, number];

/** Where the windows lie: kernel, stride, padding, dilation and output sizes. */
export interface PoolGeometry {
  k: [number, number];
  s: [number, number];
  p: [number, number];
  d: [number, number];
  out: [number, number];
}

function pair(op: string, name: string, v: unknown, min: number): [number, number] {
  const ok = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= min;
  if (ok(v)) return [v, v];
  if (Array.isArray(v) && v.length === 2 && ok(v[0]) && ok(v[1])) return [v[0], v[1]];
  const what = min === 0 ? 'a non-negative integer' : min === 1 ? 'a positive integer' : `an integer >= ${min}`;
  throw new ArgumentError(op, `${name} ${what} or a pair of them, got ${showValue(v)}`);
}

/** The input as [N, C, H, W] (a 3-D input is one unbatched image), and whether it was unbatched. */
function as4d(op: string, x: Tensor): [Tensor, boolean] {
  checkTensor(op, x);
  if (x.ndim !== 3 && x.ndim !== 4)
    throw new ShapeError(op, `input must be 3-D (C, H, W) or 4-D (N, C, H, W), got ${formatShape(x.shape)}`);
  if (!isFloatingDType(x.dtype)) throw new DTypeError(op, `input must be float32 or float64, got ${x.dtype}`);
  const [h, w] = x.shape.slice(-2);
  if (h === 0 || w === 0 || x.shape[x.ndim - 3] === 0)
    throw new ShapeError(op, `input must have non-zero C, H and W, got ${formatShape(x.shape)}`);
  return x.ndim === 4 ? [x, false] : [reshape(x, [1, ...x.shape]), true];
}

function unbatch(out: Tensor, unbatched: boolean): Tensor {
  return unbatched ? reshape(out, out.shape.slice(1)) : out;
}

/** PyTorch's pooling_output_shape: floor or ceil, and the last window starts inside the input or left padding. */
function poolOutputSize(size: number, k: number, s: number, p: number, d: number, ceilMode: boolean): number {
  const span = size + 2 * p - d * (k - 1) - 1 + (ceilMode ? s - 1 : 0);
  let out = Math.floor(span / s) + 1;
  if (ceilMode && (out - 1) * s >= size + p) --out;
  return out;
}

function geometry(
  op: string,
  x4: Tensor,
  kernelSize: unknown,
  stride: unknown,
  padding: unknown,
  dilation: unknown,
  ceilMode: unknown,
): PoolGeometry {
  const k = pair(op, 'kernelSize', kernelSize, 1);
  const s = stride === undefined || stride === null ? k : pair(op, 'stride', stride, 1);
  const p = pair(op, 'padding', padding, 0);
  const d = pair(op, 'dilation', dilation, 1);
  if (typeof ceilMode !== 'boolean') throw new ArgumentError(op, `ceilMode a boolean, got ${showValue(ceilMode)}`);
  for (let i = 0; i < 2; ++i) {
    if (p[i] > Math.floor(k[i] / 2))
      throw new ArgumentError(
        op,
        `padding at most half the kernel size, got padding ${showValue(padding)} for kernelSize ${showValue(kernelSize)}`,
      );
  }
  const size = [x4.shape[2], x4.shape[3]];
  const out = [0, 1].map((i) => poolOutputSize(size[i], k[i], s[i], p[i], d[i], ceilMode)) as [number, number];
  if (out[0] < 1 || out[1] < 1) {
    throw new ShapeError(
      op,
      `kernelSize ${showValue(kernelSize)} (dilation ${showValue(dilation)}) does not fit the padded input ` +
        `${formatShape(x4.shape)} with padding ${showValue(padding)}: output size would be ${out[0]}x${out[1]}`,
    );
  }
  return { k, s, p, d, out };
}

/**
 * Max over contiguous windows [N, C, Ho, Wo, K]; `table[(oh * Wo + ow) * K + k]`
 * is the flat input position of tap k of window (oh, ow). Records maxPool2d.
 */
function maxOverWindows(
  x4: Tensor,
  win: Tensor,
  table: () => number[],
  wantIndices: boolean,
): { values: Tensor; indices: Tensor | null } {
  const [N, C, Ho, Wo, K] = win.shape;
  const values = amax(win, 4);
  const needIndices = wantIndices || (isGradEnabled() && x4.requiresGrad);
  if (!needIndices) return { values, indices: null };
  const arg = argmax(win, 4);
  const base = tensor(
    Array.from({ length: Ho * Wo }, (_, i) => i * K),
    { dtype: 'int64', device: x4.device, shape: [Ho, Wo] },
  );
  const pos = reshape(add(arg, base), [-1]);
  const tab = tensor(table(), { dtype: 'int64', device: x4.device });
  const indices = reshape(indexSelect(tab, 0, pos), [N, C, Ho, Wo]);
  const out = record('maxPool2d', values, [x4], () => ({ inShape: x4.shape, indices, geom: null }));
  return { values: out, indices };
}

/**
 * Max pooling: the max_pool2d kernel (native/cpu/pool.cpp, its CUDA twin)
 * writes each window's maximum and its first position, as PyTorch; the
 * backward scatters the gradient to those positions.
 */
function maxPoolImpl(
  op: string,
  x: Tensor,
  kernelSize: Size2,
  stride: Size2 | null | undefined,
  padding: Size2,
  dilation: Size2,
  ceilMode: boolean,
  wantIndices: boolean,
): [Tensor, Tensor | null] {
  const [x4, unbatched] = as4d(op, x);
  const g = geometry(op, x4, kernelSize, stride, padding, dilation, ceilMode);
  const [N, C] = x4.shape;
  const [Ho, Wo] = g.out;
  // One native kernel: the max and its position per window (padding as -inf).
  const xc = contiguous(x4);
  const out = empty([N, C, Ho, Wo], x4.dtype, x4.device);
  // Without autograd or returnIndices the kernel writes the maxima only.
  const needIndices = wantIndices || (isGradEnabled() && x4.requiresGrad);
  const indices = needIndices ? empty([N, C, Ho, Wo], 'int64', x4.device) : null;
  kMaxPool2d(out, indices, xc, g);
  if (xc !== x4) xc.dispose();
  if (!indices) return [unbatch(out, unbatched), null];
  const rec = record('maxPool2d', out, [x4], () => ({ inShape: x4.shape, indices, geom: g }));
  return [unbatch(rec, unbatched), wantIndices ? unbatch(indices, unbatched) : null];
}

/**
 * torch.nn.functional.max_pool2d over [N, C, H, W] or [C, H, W]. stride
 * defaults to kernelSize; padding (at most kernelSize / 2) counts as -inf.
 * With returnIndices, also the argmax of each window as a flat index into
 * the input's H * W plane (int64), as PyTorch.
 */
export function maxPool2d(
  x: Tensor,
  kernelSize: Size2,
  stride?: Size2 | null,
  padding?: Size2,
  dilation?: Size2,
  ceilMode?: boolean,
  returnIndices?: false,
): Tensor;
export function maxPool2d(
  x: Tensor,
  kernelSize: Size2,
  stride: Size2 | null | undefined,
  padding: Size2 | undefined,
  dilation: Size2 | undefined,
  ceilMode: boolean | undefined,
  returnIndices: true,
): [Tensor, Tensor];
export function maxPool2d(
  x: Tensor,
  kernelSize: Size2,
  stride?: Size2 | null,
  padding: Size2 = 0,
  dilation: Size2 = 1,
  ceilMode = false,
  returnIndices = false,
): Tensor | [Tensor, Tensor] {
  if (typeof returnIndices !== 'boolean')
    throw new ArgumentError('max_pool2d', `returnIndices a boolean, got ${showValue(returnIndices)}`);
  const [out, idx] = maxPoolImpl('max_pool2d', x, kernelSize, stride, padding, dilation, ceilMode, returnIndices);
  return returnIndices ? [out, idx as Tensor] : out;
}

/** torch.nn.functional.max_pool2d_with_indices: [output, indices]. */
export function maxPool2dWithIndices(
  x: Tensor,
  kernelSize: Size2,
  stride?: Size2 | null,
  padding: Size2 = 0,
  dilation: Size2 = 1,
  ceilMode = false,
): [Tensor, Tensor] {
  const [out, idx] = maxPoolImpl('max_pool2d', x, kernelSize, stride, padding, dilation, ceilMode, true);
  return [out, idx as Tensor];
}

/**
 * Backward of max pooling: the gradient added at each window's argmax. With
 * the windows' geometry, the max_pool2d_backward kernel; adaptive max
 * pooling's uneven windows (no geometry) scatter-add at the indices.
 */
export function maxPoolBackward(
  inShape: readonly number[],
  indices: Tensor,
  geom: PoolGeometry | null,
  g: Tensor,
): Tensor {
  const [N, C, H, W] = inShape;
  const [Ho, Wo] = indices.shape.slice(2);
  const gc = contiguous(g);
  const ic = contiguous(indices);
  if (geom) {
    const dx = empty([N, C, H, W], g.dtype, g.device);
    kMaxPool2dBackward(dx, gc, ic, geom);
    if (gc !== g) gc.dispose();
    if (ic !== indices) ic.dispose();
    return dx;
  }
  const src = reshape(gc, [N, C, Ho * Wo]);
  const idx = reshape(ic, [N, C, Ho * Wo]);
  return reshape(scatterAddInto([N, C, H * W], 2, idx, src), [N, C, H, W]);
}

/**
 * torch.nn.functional.avg_pool2d. The divisor is divisorOverride if given,
 * else the window's size clipped to the padded input (countIncludePad) or
 * to the input itself.
 */
export function avgPool2d(
  x: Tensor,
  kernelSize: Size2,
  stride?: Size2 | null,
  padding: Size2 = 0,
  ceilMode = false,
  countIncludePad = true,
  divisorOverride: number | null = null,
): Tensor {
  const op = 'avg_pool2d';
  const [x4, unbatched] = as4d(op, x);
  const g = geometry(op, x4, kernelSize, stride, padding, 1, ceilMode);
  if (typeof countIncludePad !== 'boolean')
    throw new ArgumentError(op, `countIncludePad a boolean, got ${showValue(countIncludePad)}`);
  if (divisorOverride !== null && divisorOverride !== undefined) {
    if (typeof divisorOverride !== 'number' || !Number.isSafeInteger(divisorOverride) || divisorOverride === 0)
      throw new ArgumentError(op, `divisorOverride a non-zero integer, got ${showValue(divisorOverride)}`);
  }
  const div: AvgDivisor = { countIncludePad, divisor: divisorOverride ?? 0 };
  const [N, C] = x4.shape;
  const xc = contiguous(x4);
  const out = empty([N, C, g.out[0], g.out[1]], x4.dtype, x4.device);
  kAvgPool2d(out, xc, g, div);
  if (xc !== x4) xc.dispose();
  const rec = record('avgPool2d', out, [x4], () => ({ inShape: x4.shape, geom: g, div }));
  return unbatch(rec, unbatched);
}

/** Backward of average pooling: each window's gradient / divisor spread over the window. */
export function avgPoolBackward(inShape: readonly number[], g: PoolGeometry, div: AvgDivisor, grad: Tensor): Tensor {
  const dx = empty(inShape, grad.dtype, grad.device);
  const gc = contiguous(grad);
  kAvgPool2dBackward(dx, gc, g, div);
  if (gc !== grad) gc.dispose();
  return dx;
}

// ---- adaptive pooling --------------------------------------------------------------

/** Output size, each dim a positive integer or null (= the input's size). */
export type AdaptiveSize = number | readonly [number | null, number | null];

function adaptiveOut(op: string, x4: Tensor, outputSize: unknown): [number, number] {
  const H = x4.shape[2];
  const W = x4.shape[3];
  const ok = (n: unknown): boolean => n === null || (typeof n === 'number' && Number.isSafeInteger(n) && n >= 1);
  if (typeof outputSize === 'number' && ok(outputSize)) return [outputSize, outputSize];
  if (Array.isArray(outputSize) && outputSize.length === 2 && ok(outputSize[0]) && ok(outputSize[1]))
    return [(outputSize[0] as number | null) ?? H, (outputSize[1] as number | null) ?? W];
  throw new ArgumentError(
    op,
    `outputSize a positive integer or a pair of positive integers (or null), got ${showValue(outputSize)}`,
  );
}

/** PyTorch's adaptive windows: [floor(i * size / out), ceil((i + 1) * size / out)). */
function adaptiveWindow(i: number, size: number, out: number): [number, number] {
  return [Math.floor((i * size) / out), Math.ceil(((i + 1) * size) / out)];
}

/** torch.nn.functional.adaptive_avg_pool2d. */
export function adaptiveAvgPool2d(x: Tensor, outputSize: AdaptiveSize): Tensor {
  const op = 'adaptive_avg_pool2d';
  const [x4, unbatched] = as4d(op, x);
  const [Ho, Wo] = adaptiveOut(op, x4, outputSize);
  const [, , H, W] = x4.shape;
  if (H % Ho === 0 && W % Wo === 0) return avgPool2d(x, [H / Ho, W / Wo]);
  // Uneven windows: out = A_h x A_w^T with A[i, j] = 1 / |window i| on window i.
  const averaging = (out: number, size: number): Tensor => {
    const a = new Array<number>(out * size).fill(0);
    for (let i = 0; i < out; ++i) {
      const [s, e] = adaptiveWindow(i, size, out);
      for (let j = s; j < e; ++j) a[i * size + j] = 1 / (e - s);
    }
    return tensor(a, { dtype: x4.dtype, device: x4.device, shape: [out, size] });
  };
  const y = matmul(matmul(averaging(Ho, H), x4), transpose(averaging(Wo, W), 0, 1));
  return unbatch(y, unbatched);
}

/** torch.nn.functional.adaptive_max_pool2d (with returnIndices: [output, indices]). */
export function adaptiveMaxPool2d(x: Tensor, outputSize: AdaptiveSize, returnIndices?: false): Tensor;
export function adaptiveMaxPool2d(x: Tensor, outputSize: AdaptiveSize, returnIndices: true): [Tensor, Tensor];
export function adaptiveMaxPool2d(
  x: Tensor,
  outputSize: AdaptiveSize,
  returnIndices = false,
): Tensor | [Tensor, Tensor] {
  const op = 'adaptive_max_pool2d';
  if (typeof returnIndices !== 'boolean')
    throw new ArgumentError(op, `returnIndices a boolean, got ${showValue(returnIndices)}`);
  const [x4, unbatched] = as4d(op, x);
  const [Ho, Wo] = adaptiveOut(op, x4, outputSize);
  const [N, C, H, W] = x4.shape;
  if (H % Ho === 0 && W % Wo === 0) {
    const [out, idx] = maxPoolImpl(op, x, [H / Ho, W / Wo], null, 0, 1, false, returnIndices);
    return returnIndices ? [out, idx as Tensor] : out;
  }
  // Uneven windows: each padded to the longest with repeats of its last
  // element (which leaves the max and the first argmax unchanged).
  const rows = (out: number, size: number): { k: number; idx: number[] } => {
    let k = 0;
    for (let i = 0; i < out; ++i) {
      const [s, e] = adaptiveWindow(i, size, out);
      k = Math.max(k, e - s);
    }
    const idx: number[] = [];
    for (let i = 0; i < out; ++i) {
      const [s, e] = adaptiveWindow(i, size, out);
      for (let j = 0; j < k; ++j) idx.push(Math.min(s + j, e - 1));
    }
    return { k, idx };
  };
  const rh = rows(Ho, H);
  const rw = rows(Wo, W);
  const ih = tensor(rh.idx, { dtype: 'int64', device: x4.device });
  const iw = tensor(rw.idx, { dtype: 'int64', device: x4.device });
  const plain = x4.detach();
  const picked = indexSelect(indexSelect(plain, 2, ih), 3, iw); // [N, C, Ho*kh, Wo*kw]
  const six = picked._view(
    [N, C, Ho, Wo, rh.k, rw.k],
    [picked.strides[0], picked.strides[1], rh.k * picked.strides[2], rw.k, picked.strides[2], 1],
    picked.offset,
  );
  const win = empty(six.shape, x4.dtype, x4.device);
  kCopy(win, six);
  const K = rh.k * rw.k;
  const win5 = win._view([N, C, Ho, Wo, K], [...win.strides.slice(0, 4), 1], 0);
  const table = (): number[] => {
    const t: number[] = [];
    for (let oh = 0; oh < Ho; ++oh)
      for (let ow = 0; ow < Wo; ++ow)
        for (let i = 0; i < rh.k; ++i)
          for (let j = 0; j < rw.k; ++j) t.push(rh.idx[oh * rh.k + i] * W + rw.idx[ow * rw.k + j]);
    return t;
  };
  const { values, indices } = maxOverWindows(x4, win5, table, returnIndices);
  const out = unbatch(values, unbatched);
  return returnIndices ? [out, unbatch(indices as Tensor, unbatched)] : out;
}
