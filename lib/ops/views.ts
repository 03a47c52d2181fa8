// Views (no copy): reshape/view, squeeze/unsqueeze/flatten, transpose,
// permute, expand, narrow, split/chunk; plus clone and contiguous.
import { record } from './record';
import { ArgumentError, IndexError, ShapeError } from '../errors';
import {
  type Shape,
  checkShape,
  contiguousStrides,
  formatShape,
  inferShape,
  normalizeDim,
  showValue,
  viewStrides,
} from '../tensor/shape';
import { type Tensor, emptyTensor as empty } from '../tensor/tensor';
import { checkTensor } from './elementwise';
import { kCopy } from '../kernels/launch';

/** Accepts `f(2, 3)` and `f([2, 3])` alike. */
export function shapeArgs(args: number[] | [readonly number[]]): number[] {
  if (args.length === 1 && Array.isArray(args[0])) return (args[0] as readonly number[]).slice();
  return args as number[];
}

export function clone(x: Tensor): Tensor {
  checkTensor('clone', x);
  const out = empty(x.shape, x.dtype, x.device);
  kCopy(out, x);
  return record('identity', out, [x], () => ({}));
}

export function contiguous(x: Tensor): Tensor {
  checkTensor('contiguous', x);
  return x.isContiguous() ? x : clone(x);
}

function viewAs(x: Tensor, shape: number[], strides: number[], offset = x.offset): Tensor {
  const out = x._view(shape, strides, offset);
  return record('reshape', out, [x], () => ({ inShape: x.shape }));
}

export function view(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor('view', x);
  const target = inferShape('view', shape, x.numel);
  const st = viewStrides(x.shape, x.strides, target);
  if (!st) {
    throw new ShapeError(
      'view',
      `view size ${formatShape(target)} is not compatible with the input's strides; use reshape()`,
    );
  }
  return viewAs(x, target, st);
}

export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor('reshape', x);
  const target = inferShape('reshape', shape, x.numel);
  const st = viewStrides(x.shape, x.strides, target);
  if (st) return viewAs(x, target, st);
  return viewAs(clone(x), target, contiguousStrides(target), 0);
}

export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  checkTensor('flatten', x);
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normalizeDim('flatten', startDim, x.ndim);
  const e = normalizeDim('flatten', endDim, x.ndim);
  if (s > e) throw new ArgumentError('flatten', `startDim ${startDim} comes after endDim ${endDim}`);
  const shape = [...x.shape.slice(0, s), x.shape.slice(s, e + 1).reduce((a, b) => a * b, 1), ...x.shape.slice(e + 1)];
  return reshape(x, shape);
}

export function squeeze(x: Tensor, dim?: number): Tensor {
  checkTensor('squeeze', x);
  if (dim === undefined)
    return reshape(
      x,
      x.shape.filter((d) => d !== 1),
    );
  const d = normalizeDim('squeeze', dim, x.ndim);
  if (x.ndim === 0 || x.shape[d] !== 1) return viewAs(x, x.shape.slice(), x.strides.slice());
  return viewAs(
    x,
    x.shape.filter((_, i) => i !== d),
    x.strides.filter((_, i) => i !== d),
  );
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  checkTensor('unsqueeze', x);
  const d = normalizeDim('unsqueeze', dim, x.ndim + 1);
  const shape = x.shape.slice();
  const strides = x.strides.slice();
  const st = d < x.ndim ? x.shape[d] * x.strides[d] : 1;
  shape.splice(d, 0, 1);
  strides.splice(d, 0, st);
  return viewAs(x, shape, strides);
}

export function permute(x: Tensor, dims: readonly number[]): Tensor {
  checkTensor('permute', x);
  if (!Array.isArray(dims) || dims.length !== x.ndim) {
    throw new ShapeError(
      'permute',
      `expected ${x.ndim} dims, got ${Array.isArray(dims) ? formatShape(dims) : String(dims)}`,
    );
  }
  const norm = dims.map((d) => normalizeDim('permute', d, x.ndim));
  if (new Set(norm).size !== norm.length) throw new ArgumentError('permute', `dims ${formatShape(dims)} repeat`);
  const out = x._view(
    norm.map((d) => x.shape[d]),
    norm.map((d) => x.strides[d]),
    x.offset,
  );
  return record('permute', out, [x], () => ({ dims: norm }));
}

export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  checkTensor('transpose', x);
  if (x.ndim === 0) return x;
  const a = normalizeDim('transpose', dim0, x.ndim);
  const b = normalizeDim('transpose', dim1, x.ndim);
  const dims = x.shape.map((_, i) => i);
  dims[a] = b;
  dims[b] = a;
  return permute(x, dims);
}

export function t(x: Tensor): Tensor {
  checkTensor('t', x);
  if (x.ndim > 2) throw new ShapeError('t', `expects a tensor with <= 2 dims, got ${x.ndim}`);
  return x.ndim < 2 ? x : transpose(x, 0, 1);
}

export function expand(x: Tensor, shape: Shape): Tensor {
  checkTensor('expand', x);
  if (!Array.isArray(shape))
    throw new ArgumentError(
      'expand',
      `shape must be an array of integers, got ${shape === null ? 'null' : typeof shape}`,
    );
  const target = shape.slice();
  for (const d of target) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < -1) {
      throw new ArgumentError('expand', `sizes must be integers >= -1, got ${formatShape(target)}`);
    }
  }
  if (target.length < x.ndim) {
    throw new ShapeError('expand', `the number of sizes (${target.length}) must be >= the number of dims (${x.ndim})`);
  }
  const off = target.length - x.ndim;
  const strides = new Array<number>(target.length);
  for (let i = 0; i < target.length; ++i) {
    const src = i - off;
    if (target[i] === -1) {
      if (src < 0) throw new ShapeError('expand', '-1 is not allowed for new leading dims');
      target[i] = x.shape[src];
    }
    if (src < 0) strides[i] = 0;
    else if (x.shape[src] === target[i]) strides[i] = x.strides[src];
    else if (x.shape[src] === 1) strides[i] = 0;
    else {
      throw new ShapeError(
        'expand',
        `cannot expand ${formatShape(x.shape)} to ${formatShape(shape)} (dim ${i}: ${x.shape[src]} vs ${target[i]})`,
      );
    }
  }
  checkShape('expand', target);
  const out = x._view(target, strides, x.offset);
  return record('expand', out, [x], () => ({}));
}

export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  checkTensor('narrow', x);
  const d = normalizeDim('narrow', dim, x.ndim);
  const size = x.shape[d];
  if (!Number.isInteger(start) || !Number.isInteger(length))
    throw new ArgumentError('narrow', 'start and length must be integers');
  const s = start < 0 ? start + size : start;
  if (s < 0 || length < 0 || s + length > size) {
    throw new ShapeError('narrow', `range [${start}, ${start + length}) is out of bounds for dim ${d} of size ${size}`);
  }
  const shape = x.shape.slice();
  shape[d] = length;
  const out = x._view(shape, x.strides.slice(), x.offset + s * x.strides[d]);
  return record('narrow', out, [x], () => ({ inShape: x.shape, dim: d, start: s }));
}

/** x[..., index, ...] along dim, that dim removed (torch.select; a view). Negative index counts from the end. */
export function select(x: Tensor, dim: number, index: number): Tensor {
  checkTensor('select', x);
  if (x.ndim === 0) throw new ShapeError('select', 'cannot select from a 0-d tensor');
  const d = normalizeDim('select', dim, x.ndim);
  const size = x.shape[d];
  if (!Number.isInteger(index) || index < -size || index >= size) {
    throw new IndexError('select', `index ${showValue(index)} is out of range for dim ${d} of size ${size}`);
  }
  return squeeze(narrow(x, d, index < 0 ? index + size : index, 1), d);
}

export function split(x: Tensor, splitSize: number | number[], dim = 0): Tensor[] {
  checkTensor('split', x);
  const d = normalizeDim('split', dim, x.ndim);
  const size = x.shape[d];
  let sizes: number[];
  if (typeof splitSize === 'number') {
    if (!Number.isInteger(splitSize) || splitSize <= 0)
      throw new ArgumentError('split', `split size must be a positive integer, got ${showValue(splitSize)}`);
    sizes = [];
    for (let s = 0; s < size; s += splitSize) sizes.push(Math.min(splitSize, size - s));
    if (size === 0) sizes = [0];
  } else {
    if (!Array.isArray(splitSize))
      throw new ArgumentError(
        'split',
        `split size must be an integer or an array of integers, got ${splitSize === null ? 'null' : typeof splitSize}`,
      );
    sizes = splitSize;
    if (sizes.reduce((a, b) => a + b, 0) !== size) {
      throw new ShapeError('split', `sizes ${formatShape(sizes)} do not sum to dim ${d} of size ${size}`);
    }
  }
  const out: Tensor[] = [];
  let start = 0;
  for (const len of sizes) {
    out.push(narrow(x, d, start, len));
    start += len;
  }
  return out;
}

export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  checkTensor('chunk', x);
  if (!Number.isInteger(chunks) || chunks <= 0)
    throw new ArgumentError('chunk', `chunks must be a positive integer, got ${showValue(chunks)}`);
  const d = normalizeDim('chunk', dim, x.ndim);
  return split(x, Math.max(1, Math.ceil(x.shape[d] / chunks)), d);
}
