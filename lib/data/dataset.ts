// Datasets: anything with a length and random access by index, and
// TensorDataset, whose items are the rows of equal-length tensors. The
// DataLoader recognises TensorDataset and gathers whole batches natively.
import { ArgumentError, ShapeError } from '../errors';
import { formatShape } from '../tensor/shape';
import { keep } from '../tensor/scope';
import { Tensor } from '../tensor/tensor';
import { checkIndex, checkInteger, showValue } from '../validate';
import type { Collated } from './collate';
import '../ops/tensor_methods'; // this module calls Tensor methods

/** A map-style dataset: `length` items, item i from `get(i)`. */
export interface Dataset<T> {
  readonly length: number;
  get(index: number): T;
}

/**
 * A dataset that can also make a whole batch at once: `getBatch(indices)`
 * gives what the default collate would make of `indices.map(get)` (e.g. one
 * indexSelect instead of per-item tensors and a stack). The DataLoader uses
 * it when no collate function is given.
 */
export interface BatchedDataset<T> extends Dataset<T> {
  getBatch(indices: Uint32Array): Collated<T>;
}

/** Whether `ds` has a batched getter (see BatchedDataset). */
export function hasBatchGetter<T>(ds: Dataset<T>): ds is BatchedDataset<T> {
  return typeof (ds as Partial<BatchedDataset<T>>).getBatch === 'function';
}

/** Row `i` of `t` as a view (no copy). */
function row(t: Tensor, i: number): Tensor {
  return t._view(t.shape.slice(1), t.strides.slice(1), t.offset + i * t.strides[0]);
}

/**
 * Items are tuples of rows: item i is [t0[i], t1[i], ...] (views). The
 * tensors become the dataset's (kept out of any nt.scope); non-contiguous
 * ones are copied once so batches can be gathered without further copies.
 * `T` is the tuple of the tensors given (`new TensorDataset(x, y)` is a
 * `TensorDataset<[Tensor, Tensor]>`), so `const [x, y] = item` types each
 * as a Tensor even under noUncheckedIndexedAccess.
 */
export class TensorDataset<T extends Tensor[] = Tensor[]> implements Dataset<T> {
  readonly tensors: Readonly<T>;

  constructor(...tensors: T) {
    if (tensors.length === 0) throw new ArgumentError('TensorDataset', 'at least one tensor, got none');
    tensors.forEach((t, i) => {
      if (!(t instanceof Tensor))
        throw new ArgumentError('TensorDataset', `tensors[${i}] a Tensor, got ${showValue(t)}`);
      t._check('TensorDataset');
      if (t.ndim === 0) throw new ShapeError('TensorDataset', `tensors[${i}] with at least one dim, got a 0-d tensor`);
    });
    const n = tensors[0].shape[0];
    tensors.forEach((t, i) => {
      if (t.shape[0] !== n) {
        throw new ShapeError(
          'TensorDataset',
          `tensors of the same size in dim 0 (${n}, from ${formatShape(tensors[0].shape)}), got ${formatShape(t.shape)} for tensors[${i}]`,
        );
      }
    });
    this.tensors = tensors.map((t) => keep(t.isContiguous() ? t : t.contiguous())) as Tensor[] as T;
  }

  get length(): number {
    return this.tensors[0].shape[0];
  }

  get(index: number): T {
    const i = checkIndex('TensorDataset.get', index, this.length);
    return this.tensors.map((t) => row(t, i)) as Tensor[] as T;
  }

  /** Items [start, end) as a new TensorDataset of views (no copy). */
  slice(start = 0, end = this.length): TensorDataset<T> {
    checkInteger('TensorDataset.slice', 'start', start);
    checkInteger('TensorDataset.slice', 'end', end);
    const n = this.length;
    const s = Math.max(0, Math.min(n, start < 0 ? start + n : start));
    const e = Math.max(s, Math.min(n, end < 0 ? end + n : end));
    const views = this.tensors.map((t) => {
      const shape = t.shape.slice();
      shape[0] = e - s;
      return t._view(shape, t.strides, t.offset + s * t.strides[0]);
    });
    return new TensorDataset<T>(...(views as Tensor[] as T));
  }

  /** Frees the tensors now (views of them keep their storage alive). */
  dispose(): void {
    for (const t of this.tensors) t.dispose();
  }
}

/**
 * A stream of items, for data that arrives in order rather than by index:
 * any `AsyncIterable` (a Node `Readable` in object mode, an async generator)
 * or `Iterable`. `new DataLoader(new IterableDataset(stream), { batchSize })`
 * batches it (`for await`; plain `for...of` too when the source is a sync
 * Iterable). It has no length and cannot be shuffled. Each epoch iterates
 * the source again: a stream is read once, so give a fresh one per epoch.
 */
export class IterableDataset<T> {
  readonly source: AsyncIterable<T> | Iterable<T>;

  constructor(source: AsyncIterable<T> | Iterable<T>) {
    const s = source as Partial<AsyncIterable<T> & Iterable<T>> | null;
    if (
      typeof s !== 'object' ||
      s === null ||
      (typeof s[Symbol.asyncIterator] !== 'function' && typeof s[Symbol.iterator] !== 'function')
    ) {
      throw new ArgumentError('IterableDataset', `an AsyncIterable or Iterable of items, got ${showValue(source)}`);
    }
    this.source = source;
  }
}
