// TransformDataset: a dataset whose items are another dataset's with an
// image transform (transforms.ts) applied to the image (the item itself, or
// element 0 of a tuple item) and an optional target transform to element 1.
// Each item's temporaries are freed at once (nt.scope). When the wrapped
// dataset has a batched getter and the transforms are batchable, batches go
// through that getter with the transforms run once per batch.
import { ArgumentError } from '../errors';
import { scope } from '../tensor/scope';
import { Tensor } from '../tensor/tensor';
import { checkFunction, checkOptions, optionKeys, showValue } from '../validate';
import { type Collated, defaultCollate } from './collate';
import { type BatchedDataset, type Dataset, hasBatchGetter } from './dataset';
import type { Transform } from './transforms';

/** An item TransformDataset can transform: an image, or an array whose element 0 is the image (checked per item). */
export type ImageItem = Tensor | readonly unknown[];

export interface TransformDatasetOptions {
  /** Applied to element 1 of tuple items (the label), per item. */
  targetTransform?: (target: Tensor) => Tensor;
}

export class TransformDataset<T extends ImageItem> implements BatchedDataset<T> {
  readonly dataset: Dataset<T>;
  readonly transform: Transform;
  readonly targetTransform: ((target: Tensor) => Tensor) | undefined;

  constructor(dataset: Dataset<T>, transform: Transform, options: TransformDatasetOptions = {}) {
    const op = 'TransformDataset';
    if (typeof dataset !== 'object' || dataset === null || typeof dataset.get !== 'function')
      throw new ArgumentError(op, `a dataset with length and get(i), got ${showValue(dataset)}`);
    this.dataset = dataset;
    this.transform = checkFunction<Transform>(op, 'transform', transform);
    const o = checkOptions(op, options, optionKeys<TransformDatasetOptions>({ targetTransform: true }));
    this.targetTransform =
      o.targetTransform === undefined
        ? undefined
        : checkFunction<(t: Tensor) => Tensor>(op, 'targetTransform', o.targetTransform);
  }

  get length(): number {
    return this.dataset.length;
  }

  /** Item `index` of the wrapped dataset, transformed. */
  get(index: number): T {
    return scope(() => this.apply(this.dataset.get(index), false));
  }

  /**
   * Items `indices` collated as the DataLoader's default collate would: one
   * call of the wrapped dataset's batched getter when it has one and the
   * transforms are batchable, else item by item and stacked.
   */
  getBatch(indices: Uint32Array): Collated<T> {
    const inner = this.dataset;
    if (hasBatchGetter(inner) && this.transform.batchable === true && this.targetTransform === undefined)
      return scope(() => this.apply(inner.getBatch(indices) as unknown as T, true)) as unknown as Collated<T>;
    return scope(() => defaultCollate(Array.from(indices, (i) => this.apply(this.dataset.get(i), false))));
  }

  private apply(item: T, batch: boolean): T {
    const what = batch ? 'batch' : 'item';
    if (item instanceof Tensor) return this.transform(item) as T;
    if (!Array.isArray(item) || !(item[0] instanceof Tensor))
      throw new ArgumentError(
        'TransformDataset',
        `${what}s that are a Tensor or [Tensor, ...], got ${showValue(item)}`,
      );
    const out: unknown[] = [...(item as readonly unknown[])];
    out[0] = this.transform(item[0]);
    if (this.targetTransform && !batch) {
      if (!(out[1] instanceof Tensor))
        throw new ArgumentError(
          'TransformDataset',
          `a Tensor target in item[1] for targetTransform, got ${showValue(out[1])}`,
        );
      out[1] = this.targetTransform(out[1]);
    }
    return out as unknown as T;
  }
}
