// The MNIST CNN epoch row of `npm run bench -- --only cnn` (bench/cnn_epoch.ts)
// runs, limited to a few batches (--cnn-batches), and reports what it ran.
import { runCnnEpoch, epochTable } from '../bench/cnn_epoch';
import { findMnist } from '../bench/mlp';

const dataDir = findMnist();

(dataDir ? test : test.skip)('three batches of the epoch row, extrapolated and labeled so', () => {
  const r = runCnnEpoch({ dataDir: dataDir as string, batches: 3, threads: 2, torch: null });
  expect(r.ours.batches).toBe(3);
  expect(r.ours.epochBatches).toBe(938);
  expect(r.ours.seconds).toBeGreaterThan(0);
  expect(Number.isFinite(r.ours.finalLoss)).toBe(true);
  const table = epochTable(r);
  expect(table).toContain('3 of 938 batches, the epoch time extrapolated');
  expect(table).toContain('PyTorch row: PyTorch not run');
});
