// Copies of x rearranged: repeat (tiles) and flip (reversed dims), built on
// recorded views and index_select, so their gradients come from existing
// formulas: repeat's is expand's (the engine sums the tiles back), flip's
// index_select's (the gradient flipped back).
import { ArgumentError, ShapeError } from '../errors';
import { arange } from '../tensor/creation';
import { formatShape, normalizeDims } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';
import { showValue } from '../validate';
import { checkTensor } from './elementwise';
import { indexSelect } from './index_ops';
import { clone, expand, reshape } from './views';

/**
 * torch.Tensor.repeat: x tiled `sizes[i]` times along each dim; sizes (as
 * numbers or one array) may be longer than x's dims, adding leading dims.
 * Sizes of 0 give an empty result.
 */
export function repeat(x: Tensor, ...sizes: number[] | [readonly number[]]): Tensor {
  const op = 'repeat';
  checkTensor(op, x);
  const reps = sizes.length === 1 && Array.isArray(sizes[0]) ? (sizes[0] as readonly number[]).slice() : sizes;
  for (const r of reps) {
    if (typeof r !== 'number' || !Number.isSafeInteger(r) || r < 0)
      throw new ArgumentError(
        op,
        `sizes must be non-negative integers, got ${showValue(r)} in ${formatShape(reps as number[])}`,
      );
  }
  const n = reps.length;
  if (n < x.ndim)
    throw new ShapeError(
      op,
      `the number of sizes (${n}) must be at least the number of dims of the input ${formatShape(x.shape)}`,
    );
  const shape = [...new Array<number>(n - x.ndim).fill(1), ...x.shape];
  // [1, s0, 1, s1, ...] expanded to [r0, s0, r1, s1, ...], merged into [r0*s0, r1*s1, ...].
  const pairs = shape.flatMap((s) => [1, s]);
  const tiled = reps.flatMap((r, i) => [r as number, shape[i]]);
  return reshape(
    expand(reshape(x, pairs), tiled),
    shape.map((s, i) => s * (reps[i] as number)),
  );
}

/** torch.flip: a copy of x with the order of the elements reversed along each of `dims`. */
export function flip(x: Tensor, dims: number | readonly number[]): Tensor {
  const op = 'flip';
  checkTensor(op, x);
  const ds = normalizeDims(op, dims, x.ndim);
  if (ds.length === 0) return clone(x);
  let out = x;
  for (const d of ds) {
    const n = x.shape[d];
    out = indexSelect(out, d, arange(n - 1, -1, -1, { dtype: 'int64', device: x.device }));
  }
  return out;
}
