// The CUDA backend reports bad index values at the next synchronization
// point instead of waiting for the GPU on every indexSelect / gather /
// crossEntropy (common/index_error_record.h). Its record-and-commit logic
// runs here through the host twin (deferredIndexErrorTwin), and the message
// it produces must equal the CPU's immediate IndexError for the same values.
import * as nt from '../lib';
import { deferredIndexErrorTwin, type DeferredIndexLaunch } from '../lib/cuda_libraries';
import { kFill, kIndexAdd } from '../lib/kernels/launch';
import { emptyTensor as empty } from '../lib/tensor/tensor';

function cpuError(fn: () => unknown): string {
  let caught: unknown;
  try {
    fn();
    nt.synchronizeSync(); // CPU index errors are deferred too: raised here
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(nt.IndexError);
  return (caught as Error).message;
}

const i64 = (v: number[] | number[][]) => nt.tensor(v, { dtype: 'int64' });
const x53 = () => nt.zeros([5, 3]);

describe('deferred CUDA index errors (host twin) match the CPU messages', () => {
  it('index_select: the lowest bad position is reported', () => {
    const idx = [0, 4, 7, -1, 2];
    const msg = cpuError(() => nt.indexSelect(x53(), 0, i64(idx)));
    expect(deferredIndexErrorTwin([{ op: 'index_select', index: idx, size: 5 }])).toBe(msg);
    expect(msg).toContain('index 7 ');
  });

  it('gather along dim 1 names the dim', () => {
    const idx = [[0], [1], [3], [-2], [0]];
    const msg = cpuError(() => nt.gather(x53(), 1, i64(idx)));
    expect(deferredIndexErrorTwin([{ op: 'gather', index: idx.flat(), size: 3, dim: 1 }])).toBe(msg);
  });

  it('scatter_add and index_add', () => {
    const idx = [[0, 9, 1]];
    const msg = cpuError(() => nt.scatterAdd(nt.zeros([2, 3]), 0, i64(idx), nt.ones([1, 3])));
    expect(deferredIndexErrorTwin([{ op: 'scatter_add', index: idx.flat(), size: 2, dim: 0 }])).toBe(msg);
    const out = empty([4, 2], 'float32', 'cpu');
    kFill(out, 0);
    const addIdx = [1, -5];
    const msg2 = cpuError(() => kIndexAdd(out, nt.ones([1, 2, 2]), i64(addIdx), 1, 4, 2));
    expect(deferredIndexErrorTwin([{ op: 'index_add', index: addIdx, size: 4 }])).toBe(msg2);
  });

  it('cross_entropy skips the ignore index and names the row', () => {
    const targets = [1, -100, 2, 3, 0];
    const msg = cpuError(() => nt.nn.functional.crossEntropy(nt.zeros([5, 3]), i64(targets)));
    expect(deferredIndexErrorTwin([{ op: 'cross_entropy', index: targets, size: 3, ignore: -100 }])).toBe(msg);
    expect(msg).toContain('at row 3');
  });

  it('embedding names the id and the vocabulary size like the CPU', () => {
    const ids = [2, 0, 11, 12];
    const msg = cpuError(() => nt.nn.functional.embedding(i64(ids), nt.zeros([11, 3])));
    expect(deferredIndexErrorTwin([{ op: 'embedding', index: ids, size: 11 }])).toBe(msg);
    expect(msg).toMatch(/^embedding: id 11 is out of range \[0, 11\)/);
  });

  it('the first launch with a bad value wins; none bad gives null', () => {
    const launches: DeferredIndexLaunch[] = [
      { op: 'index_select', index: [0, 1], size: 2 },
      { op: 'gather', index: [5, 0], size: 3, dim: 0 },
      { op: 'index_select', index: [9], size: 2 },
    ];
    expect(deferredIndexErrorTwin(launches)).toBe('gather: index 5 is out of range [0, 3) along dim 0');
    expect(deferredIndexErrorTwin(launches.slice(2))).toBe('index_select: index 9 is out of range [0, 2)');
    expect(
      deferredIndexErrorTwin([launches[0], { op: 'cross_entropy', index: [-100, 1], size: 2, ignore: -100 }]),
    ).toBeNull();
  });
});
