// TensorDataset and DataLoader: batching, dropLast, length, shuffling
// (a permutation each epoch; reproducible from a seed or nt.manualSeed),
// the native fast path (one gather per tensor, no per-item get), custom
// collate and default collate of generic datasets.
import * as nt from '../lib';
import { native } from '../lib/kernels/native';
import { arangeBatchLabels, arangeDataset, DEVICES } from './helpers';

const N = 10;
const dataset = (device: nt.Device = 'cpu'): nt.data.TensorDataset => arangeDataset(N, device);

/** The item ids of every batch (from the labels). */
function ids(loader: Iterable<nt.Tensor[]>): number[][] {
  const out: number[][] = [];
  for (const [x, y] of loader) out.push(arangeBatchLabels(x, y));
  return out;
}

describe('TensorDataset', () => {
  test('items are tuples of rows; length; slice; size mismatch', () => {
    const ds = dataset();
    expect(ds.length).toBe(N);
    const [x, y] = ds.get(4);
    expect(x.toArray()).toEqual([12, 13, 14]);
    expect(y.shape).toEqual([]);
    expect(y.item()).toBe(4);
    expect(ds.get(-1)[1].item()).toBe(9);
    expect(() => ds.get(N)).toThrow(nt.ArgumentError);
    const part = ds.slice(2, 5);
    expect(part.length).toBe(3);
    expect(part.get(0)[1].item()).toBe(2);
    expect(() => new nt.data.TensorDataset(nt.zeros([3, 2]), nt.zeros([4]))).toThrow(nt.ShapeError);
    expect(() => new nt.data.TensorDataset()).toThrow(nt.ArgumentError);
  });

  test('its tensors survive the nt.scope it was created in', () => {
    const ds = nt.scope(() => dataset());
    expect(ds.tensors.every((t) => !t.isDisposed)).toBe(true);
    expect(ds.get(1)[1].item()).toBe(1);
  });
});

describe.each(DEVICES)('DataLoader over a TensorDataset on %s', (device) => {
  test('in order: batches, last partial batch, length', () => {
    const loader = new nt.data.DataLoader(dataset(device), { batchSize: 4 });
    expect(loader.length).toBe(3);
    expect(ids(loader)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    const batch = loader[Symbol.iterator]().next().value as nt.Tensor[];
    expect(batch[0].device).toBe(device);
    expect(batch[0].dtype).toBe('float32');
    expect(batch[1].dtype).toBe('int64');
  });

  test('dropLast drops the partial batch', () => {
    const loader = new nt.data.DataLoader(dataset(device), { batchSize: 4, dropLast: true });
    expect(loader.length).toBe(2);
    expect(ids(loader)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
  });

  test('fast path: one native gather per tensor per batch, never get()', () => {
    const ds = dataset(device);
    const get = jest.spyOn(ds, 'get');
    const gather = jest.spyOn(native.kernels, 'indexSelect');
    try {
      const loader = new nt.data.DataLoader(ds, { batchSize: 3, shuffle: true, seed: 1 });
      ids(loader);
      expect(gather).toHaveBeenCalledTimes(2 * loader.length);
      expect(get).not.toHaveBeenCalled();
    } finally {
      gather.mockRestore();
      get.mockRestore();
    }
  });
});

describe('shuffling', () => {
  const flat = (b: number[][]): number[] => b.flat();

  test('each epoch is a permutation; epochs differ; a seed reproduces the sequence', () => {
    const a = new nt.data.DataLoader(dataset(), { batchSize: 3, shuffle: true, seed: 42 });
    const e1 = flat(ids(a));
    const e2 = flat(ids(a));
    expect(e1.slice().sort((p, q) => p - q)).toEqual([...Array(N).keys()]);
    expect(e2.slice().sort((p, q) => p - q)).toEqual([...Array(N).keys()]);
    expect(e1).not.toEqual(e2);
    const b = new nt.data.DataLoader(dataset(), { batchSize: 5, shuffle: true, seed: 42 });
    expect(flat(ids(b))).toEqual(e1);
    expect(flat(ids(b))).toEqual(e2);
    const c = new nt.data.DataLoader(dataset(), { batchSize: 3, shuffle: true, seed: 43 });
    expect(flat(ids(c))).not.toEqual(e1);
  });

  test('without a seed, nt.manualSeed makes shuffles reproducible', () => {
    const loader = new nt.data.DataLoader(dataset(), { batchSize: 4, shuffle: true });
    nt.manualSeed(7);
    const run1 = [flat(ids(loader)), flat(ids(loader))];
    nt.manualSeed(7);
    const run2 = [flat(ids(loader)), flat(ids(loader))];
    expect(run2).toEqual(run1);
    expect(run1[0]).not.toEqual(run1[1]);
    const g = new nt.Generator(7);
    const own = new nt.data.DataLoader(dataset(), { batchSize: 4, shuffle: true, generator: g });
    nt.manualSeed(7);
    expect(flat(ids(own))).toEqual(run1[0]);
  });

  test('every position is reached uniformly (1000 shuffles of 4 items)', () => {
    const ds = new nt.data.TensorDataset(nt.zeros([4, 1]), nt.arange(4));
    const loader = new nt.data.DataLoader(ds, { batchSize: 4, shuffle: true, seed: 3 });
    const counts = Array.from({ length: 4 }, () => [0, 0, 0, 0]);
    for (let e = 0; e < 1000; ++e) {
      for (const [x, y] of loader) {
        (y.toArray() as number[]).forEach((item, pos) => counts[item][pos]++);
        x.dispose();
        y.dispose();
      }
    }
    for (const row of counts) for (const c of row) expect(Math.abs(c - 250)).toBeLessThan(60);
  });
});

describe('generic datasets and collate', () => {
  const squares: nt.data.Dataset<{ x: nt.Tensor; n: number; label: number[] }> = {
    length: 5,
    get: (i) => ({ x: nt.tensor([i, i * i], { dtype: 'float32' }), n: i + 0.5, label: [i, 2 * i] }),
  };

  test('default collate stacks tensors and turns numbers into tensors, recursively', () => {
    const loader = new nt.data.DataLoader(squares, { batchSize: 2 });
    const batches = Array.from(loader);
    expect(batches).toHaveLength(3);
    const [first] = batches;
    expect(first.x.toArray()).toEqual([
      [0, 0],
      [1, 1],
    ]);
    expect(first.n.dtype).toBe('float64');
    expect(first.n.toArray()).toEqual([0.5, 1.5]);
    expect(first.label[1].dtype).toBe('int64');
    expect(first.label[1].toArray()).toEqual([0, 2]);
    expect(batches[2].x.shape).toEqual([1, 2]);
  });

  test('a custom collate gets the array of items', () => {
    const loader = new nt.data.DataLoader(squares, { batchSize: 3, collate: (items) => items.map((it) => it.n) });
    expect(Array.from(loader)).toEqual([
      [0.5, 1.5, 2.5],
      [3.5, 4.5],
    ]);
  });

  test('a custom collate over a TensorDataset goes through get()', () => {
    const loader = new nt.data.DataLoader(dataset(), {
      batchSize: 4,
      collate: (items) => items.map(([, y]) => y.item()),
    });
    expect(Array.from(loader)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
  });

  test('options are checked', () => {
    expect(() => new nt.data.DataLoader(dataset(), { batchSize: 0 })).toThrow(/batchSize/);
    expect(() => new nt.data.DataLoader(dataset(), { seed: 1.5 })).toThrow(/seed/);
  });
});
