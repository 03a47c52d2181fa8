// Dataset views and combinations: Subset (items at chosen indices),
// ConcatDataset (datasets one after another) and randomSplit (a random
// partition into Subsets, PyTorch's torch.utils.data.random_split).
import { ArgumentError } from '../errors';
import { Generator, defaultGenerator } from '../tensor/random';
import { RandomSource } from '../tensor/random_source';
import { checkIndex, checkNumber, showValue } from '../validate';
import type { Dataset } from './dataset';

function checkDataset(op: string, d: unknown, name = 'dataset'): Dataset<unknown> {
  const ds = d as Partial<Dataset<unknown>> | null;
  if (typeof ds !== 'object' || ds === null || typeof ds.get !== 'function' || typeof ds.length !== 'number')
    throw new ArgumentError(op, `${name} a map-style dataset (length and get(i)), got ${showValue(d)}`);
  return ds as Dataset<unknown>;
}

/** The items of `dataset` at `indices`, in that order (indices are checked once, here). */
export class Subset<T> implements Dataset<T> {
  readonly dataset: Dataset<T>;
  readonly indices: readonly number[];

  constructor(dataset: Dataset<T>, indices: ArrayLike<number>) {
    checkDataset('Subset', dataset);
    if (typeof indices !== 'object' || indices === null || typeof indices.length !== 'number')
      throw new ArgumentError('Subset', `indices as an array of integers, got ${showValue(indices)}`);
    const n = dataset.length;
    this.dataset = dataset;
    this.indices = Array.from(indices, (i, k) => checkIndex(`Subset: indices[${k}]`, i, n));
  }

  get length(): number {
    return this.indices.length;
  }

  get(index: number): T {
    return this.dataset.get(this.indices[checkIndex('Subset.get', index, this.indices.length)]);
  }
}

/** Datasets one after another: item i of the whole is item i - (items before) of its dataset. */
export class ConcatDataset<T> implements Dataset<T> {
  readonly datasets: readonly Dataset<T>[];
  /** Running totals of the datasets' lengths (taken at construction). */
  readonly cumulativeSizes: readonly number[];

  constructor(datasets: readonly Dataset<T>[]) {
    if (!Array.isArray(datasets) || datasets.length === 0)
      throw new ArgumentError('ConcatDataset', `a non-empty array of datasets, got ${showValue(datasets)}`);
    datasets.forEach((d, i) => checkDataset('ConcatDataset', d, `datasets[${i}]`));
    this.datasets = datasets.slice();
    let total = 0;
    this.cumulativeSizes = datasets.map((d) => (total += d.length));
  }

  get length(): number {
    return this.cumulativeSizes[this.cumulativeSizes.length - 1];
  }

  get(index: number): T {
    const i = checkIndex('ConcatDataset.get', index, this.length);
    // First dataset whose running total exceeds i (binary search).
    let lo = 0;
    let hi = this.cumulativeSizes.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulativeSizes[mid] > i) hi = mid;
      else lo = mid + 1;
    }
    return this.datasets[lo].get(lo === 0 ? i : i - this.cumulativeSizes[lo - 1]);
  }
}

/** Python's math.isclose with its default relative tolerance. */
const isClose = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));

/**
 * Split sizes from `lengths`: item counts, or fractions summing to 1 (each
 * floor(n * f), the remainder added one by one round-robin, as PyTorch 1.13).
 */
function splitSizes(n: number, lengths: readonly number[]): number[] {
  const op = 'randomSplit';
  if (!Array.isArray(lengths) || lengths.length === 0)
    throw new ArgumentError(op, `lengths as a non-empty array, got ${showValue(lengths)}`);
  lengths.forEach((l, i) => checkNumber(op, `lengths[${i}]`, l));
  const total = lengths.reduce((a, b) => a + b, 0);
  let sizes: number[];
  if (isClose(total, 1) && total <= 1) {
    sizes = lengths.map((f, i) => {
      if (f < 0 || f > 1) throw new ArgumentError(op, `fraction lengths[${i}] in [0, 1], got ${f}`);
      return Math.floor(n * f);
    });
    const remainder = n - sizes.reduce((a, b) => a + b, 0);
    for (let i = 0; i < remainder; ++i) sizes[i % sizes.length] += 1;
  } else {
    sizes = lengths.map((l, i) => {
      if (!Number.isSafeInteger(l) || l < 0)
        throw new ArgumentError(op, `lengths[${i}] a non-negative integer (or fractions summing to 1), got ${l}`);
      return l;
    });
    if (total !== n)
      throw new ArgumentError(op, `lengths summing to the dataset's length ${n}, got ${total} (${showValue(lengths)})`);
  }
  return sizes;
}

/**
 * Splits `dataset` at random into Subsets of the given sizes (item counts,
 * or fractions summing to 1). The permutation comes from `generator`
 * (default: the global one, so nt.manualSeed makes it reproducible).
 */
export function randomSplit<T>(
  dataset: Dataset<T>,
  lengths: readonly number[],
  generator: Generator = defaultGenerator,
): Subset<T>[] {
  checkDataset('randomSplit', dataset);
  const sizes = splitSizes(dataset.length, lengths);
  if (!(generator instanceof Generator))
    throw new ArgumentError('randomSplit', `generator an nt.Generator, got ${showValue(generator)}`);
  const perm = RandomSource.fromGenerator(generator).permutation(dataset.length);
  let start = 0;
  return sizes.map((len) => {
    const part = new Subset(dataset, perm.subarray(start, start + len));
    start += len;
    return part;
  });
}
