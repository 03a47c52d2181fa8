// torch.nn.functional.pad: pads given last dim first ([left, right, top,
// bottom, ...]). 'constant' concatenates value blocks (negative pads crop);
// 'reflect', 'replicate' and 'circular' gather each padded dim through an
// index map with index_select. Both are compositions of differentiable ops,
// so autograd needs no formula of its own.
import { ArgumentError, ShapeError } from '../errors';
import { formatShape } from '../tensor/shape';
import { full, tensor } from '../tensor/creation';
import type { Tensor } from '../tensor/tensor';
import { checkTensor } from './elementwise';
import { cat } from './join';
import { indexSelect } from './index_ops';
import { narrow } from './views';
import { showValue } from '../validate';

export type PadMode = 'constant' | 'reflect' | 'replicate' | 'circular';

function sourceIndex(mode: PadMode, p: number, size: number): number {
  if (mode === 'replicate') return Math.min(Math.max(p, 0), size - 1);
  if (mode === 'circular') return ((p % size) + size) % size;
  // reflect (the edge is not repeated): -1 -> 1, size -> size - 2
  if (p < 0) return -p;
  if (p >= size) return 2 * (size - 1) - p;
  return p;
}

/**
 * Pads x. `pads` has an even length of at most 2 * x.ndim and names the last
 * dim first: [left, right] pads the last dim, [left, right, top, bottom] the
 * last two. `value` fills 'constant' padding.
 */
export function pad(x: Tensor, pads: readonly number[], mode: PadMode = 'constant', value = 0): Tensor {
  const op = 'pad';
  checkTensor(op, x);
  if (!Array.isArray(pads)) throw new ArgumentError(op, `pads must be an array of integers, got ${showValue(pads)}`);
  if (pads.length % 2 !== 0 || pads.length > 2 * x.ndim) {
    throw new ArgumentError(
      op,
      `pads must have an even length of at most 2 * ndim (${2 * x.ndim}) for input ${formatShape(x.shape)}, got ${pads.length} values`,
    );
  }
  for (const p of pads) {
    if (typeof p !== 'number' || !Number.isSafeInteger(p))
      throw new ArgumentError(op, `pads must be integers, got ${showValue(p)}`);
  }
  if (mode !== 'constant' && mode !== 'reflect' && mode !== 'replicate' && mode !== 'circular') {
    throw new ArgumentError(
      op,
      `mode must be 'constant', 'reflect', 'replicate' or 'circular', got ${showValue(mode as unknown)}`,
    );
  }
  if (typeof value !== 'number') throw new ArgumentError(op, `value must be a number, got ${showValue(value)}`);
  if (mode !== 'constant' && value !== 0)
    throw new ArgumentError(op, `value is only used by mode 'constant', got mode ${showValue(mode)}`);
  let y = x;
  for (let k = 0; k < pads.length / 2; ++k) {
    const d = x.ndim - 1 - k;
    const lo = pads[2 * k];
    const hi = pads[2 * k + 1];
    if (lo === 0 && hi === 0) continue;
    const size = y.shape[d];
    if (mode === 'constant') {
      if (size + lo + hi < 0) {
        throw new ShapeError(
          op,
          `pads [${lo}, ${hi}] crop dim ${d} of size ${size} below zero, input ${formatShape(x.shape)}`,
        );
      }
      if (lo < 0 || hi < 0) {
        const start = Math.max(-lo, 0);
        y = narrow(y, d, start, size - start - Math.max(-hi, 0));
      }
      const parts: Tensor[] = [];
      const block = (n: number): Tensor =>
        full(
          y.shape.map((s, i) => (i === d ? n : s)),
          value,
          { dtype: y.dtype, device: y.device },
        );
      if (lo > 0) parts.push(block(lo));
      parts.push(y);
      if (hi > 0) parts.push(block(hi));
      if (parts.length > 1) y = cat(parts, d);
      continue;
    }
    if (lo < 0 || hi < 0) throw new ArgumentError(op, `mode '${mode}' needs non-negative pads, got [${lo}, ${hi}]`);
    if (size === 0)
      throw new ShapeError(op, `mode '${mode}' cannot pad dim ${d} of size 0, input ${formatShape(x.shape)}`);
    if (mode === 'reflect' && (lo >= size || hi >= size)) {
      throw new ShapeError(
        op,
        `reflect pads [${lo}, ${hi}] must be smaller than dim ${d} (size ${size}), input ${formatShape(x.shape)}`,
      );
    }
    if (mode === 'circular' && (lo > size || hi > size)) {
      throw new ShapeError(
        op,
        `circular pads [${lo}, ${hi}] must be at most dim ${d} (size ${size}), input ${formatShape(x.shape)}`,
      );
    }
    const idx: number[] = [];
    for (let p = -lo; p < size + hi; ++p) idx.push(sourceIndex(mode, p, size));
    y = indexSelect(y, d, tensor(idx, { dtype: 'int64', device: y.device }));
  }
  return y;
}
