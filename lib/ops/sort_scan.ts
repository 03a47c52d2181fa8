// Sorting along a dim (sort, argsort, topk) and running sums (cumsum).
// The sortRows kernel (native/cpu/sort_scan.cpp, its CUDA twin) sorts
// contiguous rows with NaN as the largest value and equal values in input
// order, so every sort here is stable; a dim other than the last is moved
// last by one copy. The sorted values are x gathered at the indices, so
// their backward is gather's (the gradient scattered back to the indices).
// cumsum scans contiguous [outer, n, inner]; its backward is the reversed
// scan of the gradient.
import { ArgumentError, DTypeError } from '../errors';
import { kCopy, kCumsum, kSortRows } from '../kernels/launch';
import { type DType, isFloatingDType } from '../tensor/dtype';
import { formatShape, normalizeDim } from '../tensor/shape';
import { type Tensor, emptyTensor as empty } from '../tensor/tensor';
import { checkOptions, optionKeys, showValue } from '../validate';
import { cast } from './convert';
import { checkTensor } from './elementwise';
import { record } from './record';
import { type ValuesIndices, valuesIndices } from './reduce';
import { contiguous } from './views';

declare module './op_contexts' {
  interface OpContexts {
    /** Running sum along `dim` (normalized); the gradient is the reversed running sum. */
    cumsum: { dim: number };
  }
}

/** Options of nt.sort / nt.argsort. */
export interface SortOptions {
  /** The dim to sort along (default -1). */
  dim?: number;
  /** Largest first (default false). NaN counts as the largest value either way. */
  descending?: boolean;
  /** Keep equal elements in input order. Every sort here is stable, so this changes nothing. */
  stable?: boolean;
}

/** Options of nt.topk. */
export interface TopkOptions {
  /** The dim to select along (default -1). */
  dim?: number;
  /** The k largest (default true) or the k smallest. */
  largest?: boolean;
  /** Return them in sorted order (default true). They always are, ties in input order. */
  sorted?: boolean;
}

/** Options of nt.cumsum. */
export interface CumsumOptions {
  /** The output dtype (default: the input's for floats, int64 for integers and bool, as PyTorch). */
  dtype?: DType;
}

const SORT_KEYS = optionKeys<SortOptions>({ dim: true, descending: true, stable: true });
const TOPK_KEYS = optionKeys<TopkOptions>({ dim: true, largest: true, sorted: true });
const CUMSUM_KEYS = optionKeys<CumsumOptions>({ dtype: true });

function flagOption(op: string, name: string, v: unknown, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new ArgumentError(op, `${name} a boolean, got ${showValue(v)}`);
  return v;
}

/** x with dims d and last swapped: a raw view, no graph node. */
function lastDimView(x: Tensor, d: number): Tensor {
  const last = x.ndim - 1;
  if (d === last) return x;
  const shape = x.shape.slice();
  const strides = x.strides.slice();
  [shape[d], shape[last]] = [shape[last], shape[d]];
  [strides[d], strides[last]] = [strides[last], strides[d]];
  return x._view(shape, strides, x.offset);
}

/** A contiguous copy of x (no graph node), or x itself when already contiguous. */
function dense(x: Tensor): Tensor {
  if (x.isContiguous()) return x;
  const out = empty(x.shape, x.dtype, x.device);
  kCopy(out, x);
  return out;
}

/** The sorted rows with their last dim moved back to d, contiguous (t itself when d is last). */
function moveBack(t: Tensor, d: number): Tensor {
  const out = dense(lastDimView(t, d));
  if (out !== t) t.dispose();
  return out;
}

/**
 * The first k of each slice along `dim` in sorted order: values recorded as
 * a gather of x (for the backward) and int64 indices, both shaped like x
 * with k along dim.
 */
function sortedAlong(op: string, x: Tensor, dim: unknown, k: number, descending: boolean): ValuesIndices {
  const d = normalizeDim(op, dim, x.ndim);
  const x1 = x.ndim === 0 ? x._view([1], [1], x.offset) : x;
  const view = lastDimView(x1, d);
  const moved = dense(view);
  const cols = moved.shape[moved.ndim - 1];
  const rows = moved.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const outShape = [...moved.shape.slice(0, -1), k];
  const vals = empty(outShape, x.dtype, x.device);
  const idxs = empty(outShape, 'int64', x.device);
  kSortRows(vals, idxs, moved, rows, cols, k, descending);
  if (moved !== view) moved.dispose();
  let values = moveBack(vals, d);
  let indices = moveBack(idxs, d);
  if (x.ndim === 0) {
    values = values._view([], [], values.offset);
    indices = indices._view([], [], indices.offset);
  }
  // A 0-d input is its own sorted value (gather's backward needs a dim).
  const out =
    x.ndim === 0
      ? record('identity', values, [x], () => ({}))
      : record('gather', values, [x], () => ({ inShape: x.shape, dim: d, index: indices }));
  return valuesIndices(out, indices);
}

/**
 * torch.sort: `{ values, indices }` (destructurable) of x sorted along `dim`.
 * NaN counts as the largest value; equal elements keep their input order
 * (every sort is stable). The values carry gradients (back to the positions
 * they came from).
 */
export function sort(x: Tensor, options?: SortOptions): ValuesIndices {
  const op = 'sort';
  checkTensor(op, x);
  const o = checkOptions(op, options, SORT_KEYS);
  const descending = flagOption(op, 'descending', o.descending, false);
  flagOption(op, 'stable', o.stable, false);
  const d = normalizeDim(op, o.dim ?? -1, x.ndim);
  return sortedAlong(op, x, d, x.ndim === 0 ? 1 : x.shape[d], descending);
}

/** torch.argsort: the int64 indices that sort x along `dim` (as nt.sort's indices). */
export function argsort(x: Tensor, options?: SortOptions): Tensor {
  return sort(x, options).indices;
}

/**
 * torch.topk: `{ values, indices }` of the k largest (or smallest) elements
 * along `dim`, in sorted order; ties come in input order. 0 <= k <= the size
 * of dim. The values carry gradients.
 */
export function topk(x: Tensor, k: number, options?: TopkOptions): ValuesIndices {
  const op = 'topk';
  checkTensor(op, x);
  const o = checkOptions(op, options, TOPK_KEYS);
  const largest = flagOption(op, 'largest', o.largest, true);
  flagOption(op, 'sorted', o.sorted, true);
  const d = normalizeDim(op, o.dim ?? -1, x.ndim);
  const size = x.ndim === 0 ? 1 : x.shape[d];
  if (typeof k !== 'number' || !Number.isSafeInteger(k) || k < 0 || k > size)
    throw new ArgumentError(
      op,
      `k an integer in [0, ${size}] (the size of dim ${d} of ${formatShape(x.shape)}), got ${showValue(k)}`,
    );
  return sortedAlong(op, x, d, k, largest);
}

/** The running sum of contiguous x along d, forward or reversed, into a new contiguous tensor. */
function scan(x: Tensor, d: number, reverse: boolean): Tensor {
  const xc = dense(x);
  const out = empty(x.shape, x.dtype, x.device);
  const n = x.ndim === 0 ? 1 : x.shape[d];
  const outer = x.shape.slice(0, d).reduce((a, b) => a * b, 1);
  const inner = x.shape.slice(d + 1).reduce((a, b) => a * b, 1);
  kCumsum(out, xc, outer, n, inner, reverse);
  if (xc !== x) xc.dispose();
  return out;
}

/**
 * torch.cumsum: running sums along `dim`. Integer and bool inputs give int64
 * (as PyTorch) unless `dtype` says otherwise; floats accumulate in double.
 */
export function cumsum(x: Tensor, dim: number, options?: CumsumOptions): Tensor {
  const op = 'cumsum';
  checkTensor(op, x);
  const o = checkOptions(op, options, CUMSUM_KEYS);
  const d = normalizeDim(op, dim, x.ndim);
  const dt: DType = o.dtype ?? (isFloatingDType(x.dtype) ? x.dtype : 'int64');
  if (dt === 'bool') throw new DTypeError(op, `dtype must be numeric, got ${showValue(dt)}`);
  const xin = cast(x, dt);
  const out = scan(xin, d, false);
  return record('cumsum', out, [xin], () => ({ dim: d }));
}

/** The backward of cumsum: the gradient's running sum from the end. */
export function cumsumBackward(g: Tensor, dim: number): Tensor {
  return scan(contiguous(g), dim, true);
}
