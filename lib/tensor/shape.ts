// Shape arithmetic: validation, strides, broadcasting, dim normalisation.
// (Broadcast strides for kernel operands live in lib/kernels/operand.ts.)
import { ArgumentError, ShapeError } from '../errors';
import { formatShape, showValue } from '../validate';

export { formatShape, showValue };

export type Shape = readonly number[];

const MAX_DIMS = 8;

export function numelOf(s: Shape): number {
  let n = 1;
  for (const d of s) n *= d;
  return n;
}

/** Validates a user-provided shape: non-negative safe integers, at most 8 dims. */
export function checkShape(op: string, shape: unknown): number[] {
  if (!Array.isArray(shape)) throw new ArgumentError(op, `shape must be an array of integers, got ${typeof shape}`);
  if (shape.length > MAX_DIMS) throw new ShapeError(op, `at most ${MAX_DIMS} dims are supported, got ${shape.length}`);
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new ArgumentError(op, `shape entries must be non-negative integers, got ${formatShape(shape as number[])}`);
    }
  }
  if (numelOf(shape as number[]) > 2 ** 50)
    throw new ArgumentError(op, `shape ${formatShape(shape as number[])} is too large`);
  return shape.slice() as number[];
}

export function contiguousStrides(shape: Shape): number[] {
  const st = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; --i) {
    st[i] = s;
    s *= shape[i];
  }
  return st;
}

export function isContiguous(shape: Shape, strides: readonly number[]): boolean {
  let s = 1;
  for (let i = shape.length - 1; i >= 0; --i) {
    if (shape[i] !== 1 && strides[i] !== s) return false;
    s *= shape[i];
  }
  return true;
}

export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  if (a.length === b.length) {
    let same = true;
    for (let i = 0; i < a.length; ++i)
      if (a[i] !== b[i]) {
        same = false;
        break;
      }
    if (same) return a as number[];
  }
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; ++i) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(
        op,
        `shapes ${formatShape(a)} and ${formatShape(b)} cannot be broadcast (dim ${i}: ${da} vs ${db})`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Normalises a possibly negative dim against ndim (PyTorch's wrap rule). */
export function normalizeDim(op: string, dim: unknown, ndim: number): number {
  if (typeof dim !== 'number' || !Number.isInteger(dim))
    throw new ArgumentError(op, `dim must be an integer, got ${showValue(dim)}`);
  const n = Math.max(ndim, 1);
  if (dim < -n || dim >= n) throw new ShapeError(op, `dim ${dim} is out of range for a tensor with ${ndim} dims`);
  return dim < 0 ? dim + n : dim;
}

/** Normalises dims for a reduction: undefined = all dims; duplicates rejected. */
export function normalizeDims(op: string, dims: number | readonly number[] | undefined, ndim: number): number[] {
  if (dims === undefined) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof dims === 'number' ? [dims] : dims;
  if (!Array.isArray(list))
    throw new ArgumentError(op, `dim must be a number or an array of numbers, got ${typeof dims}`);
  const out = list.map((d) => normalizeDim(op, d, ndim));
  if (ndim === 0) return [];
  if (new Set(out).size !== out.length) throw new ArgumentError(op, `dim ${formatShape(out)} has duplicates`);
  return out.sort((x, y) => x - y);
}

/** Resolves one -1 entry of a reshape target against numel. */
export function inferShape(op: string, shape: readonly number[], numel: number): number[] {
  if (!Array.isArray(shape))
    throw new ArgumentError(op, `shape must be an array of integers, got ${shape === null ? 'null' : typeof shape}`);
  let infer = -1;
  let known = 1;
  for (let i = 0; i < shape.length; ++i) {
    const d = shape[i];
    if (d === -1) {
      if (infer >= 0) throw new ShapeError(op, `only one dim can be inferred, got ${formatShape(shape)}`);
      infer = i;
    } else if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new ArgumentError(op, `shape entries must be non-negative integers or -1, got ${formatShape(shape)}`);
    } else known *= d;
  }
  const out = shape.slice();
  if (infer >= 0) {
    if (known === 0 || numel % known !== 0) {
      throw new ShapeError(op, `shape ${formatShape(shape)} is invalid for input of size ${numel}`);
    }
    out[infer] = numel / known;
  }
  if (numelOf(out) !== numel)
    throw new ShapeError(op, `shape ${formatShape(shape)} is invalid for input of size ${numel}`);
  if (out.length > MAX_DIMS) throw new ShapeError(op, `at most ${MAX_DIMS} dims are supported`);
  return out;
}

/**
 * Strides for viewing (shape, strides) as newShape without a copy, or null
 * when the memory layout does not allow it (PyTorch's computeStride).
 */
export function viewStrides(shape: Shape, strides: readonly number[], newShape: Shape): number[] | null {
  if (numelOf(shape) === 0 || shape.length === 0) return contiguousStrides(newShape);
  const out = new Array<number>(newShape.length);
  let viewD = newShape.length - 1;
  let chunkBase = strides[strides.length - 1];
  let tensorNumel = 1;
  let viewNumel = 1;
  for (let d = shape.length - 1; d >= 0; --d) {
    tensorNumel *= shape[d];
    if (d === 0 || (shape[d - 1] !== 1 && strides[d - 1] !== tensorNumel * chunkBase)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] === 1)) {
        out[viewD] = viewNumel * chunkBase;
        viewNumel *= newShape[viewD];
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (d > 0) {
        chunkBase = strides[d - 1];
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  if (viewD !== -1) return null;
  return out;
}
