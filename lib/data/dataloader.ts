// DataLoader: iterates a dataset in batches, optionally shuffled each epoch.
// For a TensorDataset with the default collate, each batch is ONE native
// gather per tensor (indexSelect along dim 0 with an int64 index tensor);
// a dataset with a batched getter (BatchedDataset) makes each batch in one
// call; other datasets go item by item through `get` and the collate function.
// `for await` iterates the same batches, prepared ahead in macrotasks
// (prefetch.ts); an IterableDataset is batched as its items arrive.
import { ArgumentError } from '../errors';
import { indexSelect } from '../ops/index_ops';
import { Generator, defaultGenerator } from '../tensor/random';
import { Tensor, tensorFromTypedArray } from '../tensor/tensor';
import type { Device } from '../tensor/dtype';
import { checkBool, checkFunction, checkInteger, checkOptions, checkPositiveInt, showValue } from '../validate';
import { type Collated, defaultCollate } from './collate';
import { type Dataset, IterableDataset, TensorDataset, hasBatchGetter } from './dataset';
import { prefetched } from './prefetch';
import { RandomSource, toSeed } from '../tensor/random_source';
import type { Sampler } from './distributed_sampler';

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
  /**
   * `for await` only: batches prepared ahead, in macrotasks, while the loop
   * body works on the current one (default 2; 0: each batch when asked).
   * Preparing runs on the main thread: it overlaps with the body's awaits
   * (I/O, a saveAsync), not with its synchronous work.
   */
  prefetch?: number;
  /**
   * The item indices of each epoch, in order (e.g. a data.DistributedSampler);
   * iterated again every epoch. Mutually exclusive with shuffle.
   */
  sampler?: Sampler;
}

const OPTION_NAMES: ReadonlySet<string> = new Set([
  'batchSize',
  'shuffle',
  'dropLast',
  'collate',
  'seed',
  'generator',
  'prefetch',
  'sampler',
] satisfies (keyof DataLoaderOptions<unknown, unknown>)[]);

/**
 * Batches of a dataset, for `for (const batch of loader)` or
 * `for await (const batch of loader)`.
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
 *
 * `for await` gives the same batches in the same order (the same seed gives
 * the same shuffle), yields to the event loop before each one (timers and
 * I/O run during an epoch) and prepares up to `prefetch` batches ahead.
 * Leaving the loop early (`break`, an exception) disposes the tensors of the
 * batches prepared but not yet handed out:
 *
 *   for await (const [x, y] of loader) {
 *     nt.scope(() => { ...forward, backward, step... });
 *     x.dispose(); y.dispose();
 *   }
 *
 * A `data.IterableDataset` (e.g. over a Node `Readable` in object mode) is
 * batched as its items arrive, in order (no shuffle, no length).
 */
export class DataLoader<T = Tensor[], B = Collated<T>> implements Iterable<B>, AsyncIterable<B> {
  readonly dataset: Dataset<T> | IterableDataset<T>;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  /** Batches `for await` prepares ahead (see DataLoaderOptions.prefetch). */
  readonly prefetch: number;
  // Method syntax: checked bivariantly, so a DataLoader<[Tensor, Tensor]>
  // (from a typed TensorDataset) still passes where a DataLoader is expected.
  private readonly collate: { call(items: T[]): B }['call'] | undefined;
  private readonly rng: RandomSource | undefined;
  private readonly generator: Generator;
  /** The index source given as `sampler`, if any. */
  readonly sampler: Sampler | undefined;

  constructor(dataset: Dataset<T> | IterableDataset<T>, options: DataLoaderOptions<T, B> = {}) {
    const op = 'DataLoader';
    // Orders are Uint32Arrays, hence the 2^32 - 1 bound on the length.
    if (
      !(dataset instanceof IterableDataset) &&
      (typeof dataset !== 'object' ||
        dataset === null ||
        typeof dataset.get !== 'function' ||
        !Number.isInteger(dataset.length) ||
        dataset.length < 0 ||
        dataset.length > 0xffffffff)
    ) {
      throw new ArgumentError(
        op,
        `a dataset with an integer length (< 2^32) and get(i), or an IterableDataset, got ${showValue(dataset)}`,
      );
    }
    const o = checkOptions(op, options, [...OPTION_NAMES]);
    this.dataset = dataset;
    this.batchSize = checkPositiveInt(op, 'batchSize', o.batchSize ?? 1);
    this.shuffle = checkBool(op, 'shuffle', o.shuffle ?? false);
    this.dropLast = checkBool(op, 'dropLast', o.dropLast ?? false);
    this.prefetch = checkInteger(op, 'prefetch', o.prefetch ?? 2, 0);
    if (this.shuffle && dataset instanceof IterableDataset)
      throw new ArgumentError(op, 'shuffle false with an IterableDataset (its items come in stream order), got true');
    this.collate = o.collate === undefined ? undefined : checkFunction<(items: T[]) => B>(op, 'collate', o.collate);
    this.rng = o.seed === undefined ? undefined : new RandomSource(toSeed(op, o.seed));
    if (o.generator !== undefined && !(o.generator instanceof Generator)) {
      throw new ArgumentError(op, `generator an nt.Generator, got ${showValue(o.generator)}`);
    }
    this.generator = o.generator ?? defaultGenerator;
    this.sampler = o.sampler === undefined ? undefined : checkSampler(op, o.sampler, dataset);
    if (this.sampler && this.shuffle)
      throw new ArgumentError(op, 'sampler or shuffle, not both (the sampler sets the order: shuffle inside it)');
  }

  /** Batches per epoch (not known for an IterableDataset: ArgumentError). */
  get length(): number {
    const ds = this.mapDataset('DataLoader.length');
    const n = this.sampler ? this.sampler.length : ds.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  private mapDataset(op: string): Dataset<T> {
    if (this.dataset instanceof IterableDataset)
      throw new ArgumentError(op, 'a map-style dataset (length and get(i)); an IterableDataset has no length');
    return this.dataset;
  }

  /** The item order of one epoch (draws new randomness when shuffling). */
  private order(ds: Dataset<T>): Uint32Array {
    if (this.sampler) return samplerOrder(this.sampler, ds.length);
    const n = ds.length;
    if (!this.shuffle) {
      const p = new Uint32Array(n);
      for (let i = 0; i < n; ++i) p[i] = i;
      return p;
    }
    return (this.rng ?? RandomSource.fromGenerator(this.generator)).permutation(n);
  }

  *[Symbol.iterator](): Iterator<B> {
    if (this.dataset instanceof IterableDataset) {
      const source = this.dataset.source;
      if (typeof (source as Partial<Iterable<T>>)[Symbol.iterator] !== 'function')
        throw new ArgumentError(
          'DataLoader',
          'a sync Iterable source for for...of; this IterableDataset is async: use for await',
        );
      yield* this.streamBatches(source as Iterable<T>);
      return;
    }
    const ds = this.dataset;
    const order = this.order(ds);
    const batches = this.length;
    const fast = ds instanceof TensorDataset && this.collate === undefined ? ds : null;
    const batched = !fast && this.collate === undefined && hasBatchGetter(ds) ? ds : null;
    for (let b = 0; b < batches; ++b) {
      const idx = order.subarray(b * this.batchSize, Math.min(order.length, (b + 1) * this.batchSize));
      if (fast) {
        yield gatherBatch(fast, idx) as B;
      } else if (batched) {
        yield batched.getBatch(idx) as B;
      } else {
        const items = Array.from(idx, (i) => ds.get(i));
        yield this.collateItems(items);
      }
    }
  }

  /**
   * The same batches as `for...of`, for `for await`: the event loop runs
   * before each batch, and up to `prefetch` batches are prepared ahead.
   */
  [Symbol.asyncIterator](): AsyncGenerator<B, void, undefined> {
    const ds = this.dataset;
    const source = ds instanceof IterableDataset ? this.streamBatchesAsync(ds.source) : this[Symbol.iterator]();
    return prefetched(source, this.prefetch, disposeBatch);
  }

  private collateItems(items: T[]): B {
    return this.collate ? this.collate(items) : (defaultCollate(items) as B);
  }

  private *streamBatches(source: Iterable<T>): IterableIterator<B> {
    let items: T[] = [];
    for (const item of source) {
      items.push(item);
      if (items.length === this.batchSize) {
        const full = items;
        items = [];
        yield this.collateItems(full);
      }
    }
    if (items.length > 0 && !this.dropLast) yield this.collateItems(items);
  }

  private async *streamBatchesAsync(source: AsyncIterable<T> | Iterable<T>): AsyncGenerator<B, void, undefined> {
    let items: T[] = [];
    for await (const item of source) {
      items.push(item);
      if (items.length === this.batchSize) {
        const full = items;
        items = [];
        yield this.collateItems(full);
      }
    }
    if (items.length > 0 && !this.dropLast) yield this.collateItems(items);
  }
}

/** The sampler option, checked against the dataset kind. */
function checkSampler<T>(op: string, s: unknown, dataset: Dataset<T> | IterableDataset<T>): Sampler {
  const c = s as Partial<Sampler> | null;
  if (
    typeof c !== 'object' ||
    c === null ||
    typeof c[Symbol.iterator] !== 'function' ||
    !Number.isInteger(c.length) ||
    (c.length as number) < 0
  )
    throw new ArgumentError(op, `sampler an iterable of indices with an integer length, got ${showValue(s)}`);
  if (dataset instanceof IterableDataset)
    throw new ArgumentError(op, 'no sampler with an IterableDataset (its items come in stream order), got one');
  return c as Sampler;
}

/** One epoch of a sampler's indices, each checked against the dataset length. */
function samplerOrder(sampler: Sampler, n: number): Uint32Array {
  const out = new Uint32Array(sampler.length);
  let k = 0;
  for (const i of sampler) {
    if (!Number.isInteger(i) || i < 0 || i >= n)
      throw new ArgumentError('DataLoader', `sampler indices in [0, ${n}), got ${showValue(i)}`);
    if (k === out.length)
      throw new ArgumentError('DataLoader', `a sampler that yields its length (${sampler.length}) indices, got more`);
    out[k++] = i;
  }
  if (k !== out.length)
    throw new ArgumentError('DataLoader', `a sampler that yields its length (${sampler.length}) indices, got ${k}`);
  return out;
}

/** Disposes the tensors of a batch that was prepared but never handed out. */
function disposeBatch(batch: unknown, depth = 0): void {
  if (batch instanceof Tensor) {
    if (!batch.isDisposed) batch.dispose();
  } else if (depth < 6 && Array.isArray(batch)) {
    for (const v of batch) disposeBatch(v, depth + 1);
  } else if (
    depth < 6 &&
    batch !== null &&
    typeof batch === 'object' &&
    Object.getPrototypeOf(batch) === Object.prototype
  ) {
    for (const v of Object.values(batch)) disposeBatch(v, depth + 1);
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
