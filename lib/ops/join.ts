// cat and stack: each input is copied into its slice of the output.
import { record } from './record';
import { ArgumentError, ShapeError } from '../errors';
import { promoteTypes } from '../tensor/dtype';
import { formatShape, normalizeDim } from '../tensor/shape';
import { type Tensor, emptyTensor as empty } from '../tensor/tensor';
import { checkTensor } from './elementwise';
import { kCopy, sameDevice } from '../kernels/launch';
import { unsqueeze } from './views';

export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors as unknown) || tensors.length === 0)
    throw new ArgumentError('cat', 'expected a non-empty array of tensors');
  tensors.forEach((t, i) => checkTensor('cat', t, `tensors[${i}]`));
  sameDevice('cat', ...tensors);
  const ref = tensors[0];
  if (ref.ndim === 0) throw new ShapeError('cat', 'zero-dimensional tensors cannot be concatenated');
  const d = normalizeDim('cat', dim, ref.ndim);
  let dtype = ref.dtype;
  let total = 0;
  for (const t of tensors) {
    if (t.ndim !== ref.ndim || t.shape.some((s, i) => i !== d && s !== ref.shape[i])) {
      throw new ShapeError(
        'cat',
        `sizes must match except in dim ${d}: ${formatShape(ref.shape)} vs ${formatShape(t.shape)}`,
      );
    }
    dtype = promoteTypes(dtype, t.dtype);
    total += t.shape[d];
  }
  const shape = ref.shape.slice();
  shape[d] = total;
  const out = empty(shape, dtype, ref.device);
  let start = 0;
  for (const t of tensors) {
    if (t.shape[d]) {
      const slot = out._view(
        out.shape.map((s, i) => (i === d ? t.shape[d] : s)),
        out.strides,
        start * out.strides[d],
      );
      kCopy(slot, t);
      slot.dispose();
    }
    start += t.shape[d];
  }
  const sizes = tensors.map((t) => t.shape[d]);
  return record('cat', out, tensors, () => ({ dim: d, sizes }));
}

export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors as unknown) || tensors.length === 0)
    throw new ArgumentError('stack', 'expected a non-empty array of tensors');
  tensors.forEach((t, i) => checkTensor('stack', t, `tensors[${i}]`));
  const ref = tensors[0];
  for (const t of tensors) {
    if (t.ndim !== ref.ndim || t.shape.some((s, i) => s !== ref.shape[i])) {
      throw new ShapeError(
        'stack',
        `all tensors must have the same shape: ${formatShape(ref.shape)} vs ${formatShape(t.shape)}`,
      );
    }
  }
  const d = normalizeDim('stack', dim, ref.ndim + 1);
  return cat(
    tensors.map((t) => unsqueeze(t, d)),
    d,
  );
}
