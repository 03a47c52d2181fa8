// Subset, ConcatDataset and randomSplit: item mapping, PyTorch 1.13's split
// sizes for fractions, reproducibility from a generator, DataLoader over a
// Subset, typed errors.
import * as nt from '../lib';
import { arangeDataset } from './helpers';

const { Subset, ConcatDataset, randomSplit, TensorDataset, DataLoader } = nt.data;

/** A plain dataset of numbers: item i is base + i. */
const numbers = (n: number, base = 0): nt.data.Dataset<number> => ({ length: n, get: (i: number) => base + i });

describe('Subset', () => {
  test('items at the given indices, in order; negative indices wrap; tuple items keep their type', () => {
    const s = new Subset(numbers(10), [7, 2, -1, 2]);
    expect(s.length).toBe(4);
    expect(Array.from({ length: 4 }, (_, i) => s.get(i))).toEqual([7, 2, 9, 2]);
    expect(s.get(-1)).toBe(2);
    const ds = arangeDataset(6, 'cpu');
    const sub = new Subset(ds, [4, 1]);
    const [x, y] = sub.get(0); // Tensor[] items, as TensorDataset's
    expect(y.item()).toBe(4);
    expect(x.shape).toEqual(ds.get(4)[0].shape);
  });

  test('bad indices and datasets are ArgumentErrors', () => {
    expect(() => new Subset(numbers(3), [0, 3])).toThrow(/Subset: indices\[1\]: an integer index in \[-3, 3\), got 3/);
    expect(() => new Subset(numbers(3), [0.5])).toThrow(nt.ArgumentError);
    expect(() => new Subset({} as nt.data.Dataset<number>, [0])).toThrow(/map-style dataset/);
    expect(() => new Subset(numbers(3), [0]).get(1)).toThrow(nt.ArgumentError);
  });

  test('a DataLoader batches a Subset of a TensorDataset', () => {
    const sub = new Subset(arangeDataset(10, 'cpu'), [9, 3, 5, 0, 1]);
    const batches = [...new DataLoader(sub, { batchSize: 2 })].map(([, y]) => y.toArray());
    expect(batches).toEqual([[9, 3], [5, 0], [1]]);
  });
});

describe('ConcatDataset', () => {
  test('datasets one after another; cumulativeSizes; negative index; empty parts', () => {
    const c = new ConcatDataset([numbers(3, 100), numbers(0), numbers(2, 200), numbers(4, 300)]);
    expect(c.length).toBe(9);
    expect(c.cumulativeSizes).toEqual([3, 3, 5, 9]);
    expect(Array.from({ length: 9 }, (_, i) => c.get(i))).toEqual([100, 101, 102, 200, 201, 300, 301, 302, 303]);
    expect(c.get(-9)).toBe(100);
    expect(() => c.get(9)).toThrow(/ConcatDataset.get: an integer index in \[-9, 9\), got 9/);
    expect(() => new ConcatDataset([])).toThrow(/non-empty array/);
    expect(() => new ConcatDataset([numbers(2), 5 as unknown as nt.data.Dataset<number>])).toThrow(/datasets\[1\]/);
  });
});

describe('randomSplit', () => {
  const itemsOf = (s: nt.data.Subset<number>): number[] => Array.from({ length: s.length }, (_, i) => s.get(i));

  test('integer lengths: a partition of the items, reproducible from a generator', () => {
    const parts = randomSplit(numbers(20), [5, 10, 5], new nt.Generator(3));
    expect(parts.map((p) => p.length)).toEqual([5, 10, 5]);
    const all = parts.flatMap(itemsOf);
    expect(all.slice().sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(all).not.toEqual(Array.from({ length: 20 }, (_, i) => i)); // shuffled
    const again = randomSplit(numbers(20), [5, 10, 5], new nt.Generator(3)).flatMap(itemsOf);
    expect(again).toEqual(all);
    const other = randomSplit(numbers(20), [5, 10, 5], new nt.Generator(4)).flatMap(itemsOf);
    expect(other).not.toEqual(all);
    nt.manualSeed(11);
    const g1 = randomSplit(numbers(20), [10, 10]).flatMap(itemsOf);
    nt.manualSeed(11);
    expect(randomSplit(numbers(20), [10, 10]).flatMap(itemsOf)).toEqual(g1);
  });

  test("fractions: floor(n * f), remainder round-robin (PyTorch 1.13's sizes)", () => {
    const sizes = (n: number, f: number[]): number[] =>
      randomSplit(numbers(n), f, new nt.Generator(0)).map((p) => p.length);
    expect(sizes(10, [0.8, 0.2])).toEqual([8, 2]);
    expect(sizes(11, [0.3, 0.3, 0.4])).toEqual([4, 3, 4]); // floors 3, 3, 4; one left over goes to the first
    expect(sizes(7, [0.5, 0.5])).toEqual([4, 3]);
    expect(sizes(5, [0.1, 0.1, 0.1, 0.7])).toEqual([1, 1, 0, 3]); // floors 0, 0, 0, 3; two left over
    expect(sizes(4, [1 / 3, 1 / 3, 1 / 3])).toEqual([2, 1, 1]);
  });

  test('errors: wrong sum, negative or fractional counts, bad generator', () => {
    expect(() => randomSplit(numbers(10), [3, 3])).toThrow(/lengths summing to the dataset's length 10, got 6/);
    expect(() => randomSplit(numbers(10), [12, -2])).toThrow(/lengths\[1\] a non-negative integer/);
    expect(() => randomSplit(numbers(10), [2.5, 7.5])).toThrow(/lengths\[0\] a non-negative integer/);
    expect(() => randomSplit(numbers(10), [])).toThrow(/non-empty array/);
    expect(() => randomSplit(numbers(10), [5, 5], 42 as unknown as nt.Generator)).toThrow(/generator an nt.Generator/);
    expect(() => randomSplit(new TensorDataset(nt.zeros([4])), [1.5, -0.5])).toThrow(
      /fraction lengths\[0\] in \[0, 1\]/,
    );
  });
});
