// roll and meshgrid: rearrangements built from views and cat, so autograd
// follows them with no formula of their own.
import { ArgumentError, ShapeError } from '../errors';
import { formatShape, normalizeDim } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';
import { checkOptions, optionKeys, showValue } from '../validate';
import { checkTensor } from './elementwise';
import { cat } from './join';
import { expand, flatten, narrow, reshape } from './views';

/**
 * torch.roll: elements shifted by `shifts` along `dims`, wrapping around.
 * Without dims the tensor is rolled as if flattened, then given its shape back.
 */
export function roll(x: Tensor, shifts: number | number[], dims?: number | number[]): Tensor {
  const op = 'roll';
  checkTensor(op, x);
  const s = typeof shifts === 'number' ? [shifts] : shifts;
  if (!Array.isArray(s) || s.some((v) => !Number.isInteger(v))) {
    throw new ArgumentError(op, `shifts an integer or an array of integers, got ${showValue(shifts)}`);
  }
  if (dims === undefined) {
    if (s.length !== 1)
      throw new ArgumentError(op, `without dims, shifts must be one integer, got ${showValue(shifts)}`);
    return reshape(roll(flatten(x), s, 0), x.shape);
  }
  const d = typeof dims === 'number' ? [dims] : dims;
  if (!Array.isArray(d) || d.length !== s.length) {
    throw new ArgumentError(
      op,
      `shifts and dims must have one length, got ${showValue(shifts)} and ${showValue(dims)}`,
    );
  }
  let out = x;
  d.forEach((dim, k) => {
    const axis = normalizeDim(op, dim, x.ndim);
    const n = x.shape[axis];
    const shift = n === 0 ? 0 : ((s[k] % n) + n) % n;
    if (shift !== 0) out = cat([narrow(out, axis, n - shift, shift), narrow(out, axis, 0, n - shift)], axis);
  });
  return out;
}

export interface MeshgridOptions {
  /** 'ij' (matrix, PyTorch's default): output i varies along dim i; 'xy' (Cartesian) swaps the first two dims. */
  indexing?: 'ij' | 'xy';
}

const MESHGRID_KEYS = optionKeys<MeshgridOptions>({ indexing: true });

/** torch.meshgrid: for 1-D tensors of sizes n0..nk, k+1 tensors of shape [n0, ..., nk] (expanded views). */
export function meshgrid(tensors: readonly Tensor[], options?: MeshgridOptions): Tensor[] {
  const op = 'meshgrid';
  if (!Array.isArray(tensors as unknown) || tensors.length === 0) {
    throw new ArgumentError(op, 'expected a non-empty array of tensors');
  }
  tensors.forEach((t, i) => {
    checkTensor(op, t, `tensors[${i}]`);
    if (t.ndim > 1) throw new ShapeError(op, `tensors[${i}] must be 0-D or 1-D, got shape ${formatShape(t.shape)}`);
  });
  const o = checkOptions(op, options, MESHGRID_KEYS);
  const indexing = o.indexing ?? 'ij';
  if (indexing !== 'ij' && indexing !== 'xy') {
    throw new ArgumentError(op, `indexing 'ij' or 'xy', got ${showValue(indexing)}`);
  }
  const swap = indexing === 'xy' && tensors.length >= 2;
  const order = tensors.map((_, i) => (swap && i < 2 ? 1 - i : i));
  const sizes = order.map((i) => tensors[i].numel);
  return tensors.map((t, i) => {
    const at = order.indexOf(i);
    const shape = sizes.map((n, k) => (k === at ? n : 1));
    return expand(reshape(t, shape), sizes);
  });
}
