// DataLoader: iterates a dataset in batches, optionally shuffled each epoch.
// For a TensorDataset with the default collate, each batch is ONE native
// gather per tensor (indexSelect along dim 0 with an int64 index tensor);
// other datasets go item by item through `get` and the collate function.
import { ArgumentError } from '../errors';
import { indexSelect } from '../ops/index_ops';
import { Generator, defaultGenerator } from '../tensor/random';
import { tensorFromTypedArray } from '../tensor/tensor';
import type { Device } from '../tensor/dtype';
import type { Tensor } from '../tensor/tensor';
import { checkBool, checkFunction, checkOptions, checkPositiveInt, showValue } from '../validate';
import { type Collated, defaultCollate } from './collate';
import { type Dataset, TensorDataset } from './dataset';
import { RandomSource, toSeed } from '../tensor/random_source';

export interface DataLoaderOptions<T, B> {
  /** Items per batch (default 1). */
  batchSize?: number;
  /** Reshuffle the order at the start of every epoch (default false). */
  shuffle?: boolean;
  /** Drop the last batch when it is smaller than batchSize (default false). */
  dropLast?: boolean;
  /** Makes a batch from a list of items (default: stack, see defaultCollate). */
  collate?: (items: T[]) => B;
  /** Shuffle with a private generator seeded once; epochs continue its stream. */
  seed?: number | bigint;
  /** Draw each epoch's shuffle seed from this generator (default: the global one, see nt.manualSeed). */
  generator?: Generator;
}

/**
 * Batches of a dataset, for `for (const batch of loader)`.
 *
 * Every batch is made of fresh tensors that belong to the caller. They are
 * created when the loop asks for the next batch, outside any nt.scope the
 * loop body opens, so dispose them at the end of the body:
 *
 *   for (const [x, y] of loader) {
 *     nt.scope(() => { ...forward, backward, step... });  // frees the step's temporaries
 *     x.dispose(); y.dispose();                            // frees the batch
 *   }
 *
 * (or wrap the whole epoch in nt.scope, which frees every batch at its end).
 */
export class DataLoader<T = Tensor[], B = Collated<T>> implements Iterable<B> {
  readonly dataset: Dataset<T>;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  private readonly collate: ((items: T[]) => B) | undefined;
  private readonly rng: RandomSource | undefined;
  private readonly generator: Generator;

  constructor(dataset: Dataset<T>, options: DataLoaderOptions<T, B> = {}) {
    const op = 'DataLoader';
    // Orders are Uint32Arrays, hence the 2^32 - 1 bound on the length.
    if (
      typeof dataset !== 'object' ||
      dataset === null ||
      typeof dataset.get !== 'function' ||
      !Number.isInteger(dataset.length) ||
      dataset.length < 0 ||
      dataset.length > 0xffffffff
    ) {
      throw new ArgumentError(op, `a dataset with an integer length (< 2^32) and get(i), got ${showValue(dataset)}`);
    }
    const o = checkOptions(op, options);
    this.dataset = dataset;
    this.batchSize = checkPositiveInt(op, 'batchSize', o.batchSize ?? 1);
    this.shuffle = checkBool(op, 'shuffle', o.shuffle ?? false);
    this.dropLast = checkBool(op, 'dropLast', o.dropLast ?? false);
    this.collate = o.collate === undefined ? undefined : checkFunction<(items: T[]) => B>(op, 'collate', o.collate);
    this.rng = o.seed === undefined ? undefined : new RandomSource(toSeed(op, o.seed));
    if (o.generator !== undefined && !(o.generator instanceof Generator)) {
      throw new ArgumentError(op, `generator an nt.Generator, got ${showValue(o.generator)}`);
    }
    this.generator = o.generator ?? defaultGenerator;
  }

  /** Batches per epoch. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The item order of one epoch (draws new randomness when shuffling). */
  private order(): Uint32Array {
    const n = this.dataset.length;
    if (!this.shuffle) {
      const p = new Uint32Array(n);
      for (let i = 0; i < n; ++i) p[i] = i;
      return p;
    }
    return (this.rng ?? RandomSource.fromGenerator(this.generator)).permutation(n);
  }

  *[Symbol.iterator](): Iterator<B> {
    const order = this.order();
    const batches = this.length;
    const ds = this.dataset;
    const fast = ds instanceof TensorDataset && this.collate === undefined ? ds : null;
    for (let b = 0; b < batches; ++b) {
      const idx = order.subarray(b * this.batchSize, Math.min(order.length, (b + 1) * this.batchSize));
      if (fast) {
        yield gatherBatch(fast, idx) as B;
      } else {
        const items = Array.from(idx, (i) => ds.get(i));
        yield this.collate ? this.collate(items) : (defaultCollate(items) as B);
      }
    }
  }
}

/** Rows `idx` of every tensor: one indexSelect per tensor, one index tensor per device. */
function gatherBatch(ds: TensorDataset, idx: Uint32Array): Tensor[] {
  const host = new BigInt64Array(idx.length);
  for (let i = 0; i < idx.length; ++i) host[i] = BigInt(idx[i]);
  const index = new Map<Device, Tensor>();
  try {
    return ds.tensors.map((t) => {
      let ix = index.get(t.device);
      if (!ix) {
        ix = tensorFromTypedArray(host, [idx.length], 'int64', t.device);
        index.set(t.device, ix);
      }
      return indexSelect(t, 0, ix);
    });
  } finally {
    for (const ix of index.values()) ix.dispose();
  }
}
