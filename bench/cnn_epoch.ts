// One MNIST CNN training epoch end to end (issue 12): the PyTorch examples
// network (lib/cli/cnn.ts's MnistCNN), batch 64, Adam (lr 1e-3), a shuffled
// DataLoader over the normalized [N, 1, 28, 28] images, the loss read each
// step, against bench/reference/torch_cnn_epoch.py (the same loop in PyTorch
// 1.13) at the same thread count. `batches` limits both sides to the first
// batches of the epoch (the per-epoch figure is then extrapolated, and says so).
import * as os from 'os';

import * as nt from '../lib';
import { data, datasets, nn, optim } from '../lib';
import { MnistCNN } from '../lib/cli/cnn';
import { type TorchRuntime, runReference } from './torch';

export interface EpochOptions {
  dataDir: string;
  batches: number | null;
  threads: number;
  torch: TorchRuntime | null;
}

interface Side {
  /** Seconds for the batches run. */
  seconds: number;
  batches: number;
  /** Batches in a full epoch. */
  epochBatches: number;
  finalLoss: number;
  load: number;
}

export interface EpochResult {
  threads: number;
  engine: string;
  ours: Side;
  theirs: Side | null;
  torchError: string;
}

const WARMUP_STEPS = 5;

function runOurs(o: EpochOptions): Side {
  const trainSet = new datasets.MNIST(o.dataDir, { train: true }).toTensorDataset({ flatten: false });
  nt.manualSeed(1);
  const model = new MnistCNN();
  model.train();
  const loader = new data.DataLoader(trainSet, { batchSize: 64, shuffle: true });
  const optimizer = new optim.Adam(model.parameters(), { lr: 1e-3 });
  const criterion = new nn.CrossEntropyLoss();
  const step = (x: nt.Tensor, y: nt.Tensor): number => {
    const loss = nt.scope(() => {
      optimizer.zeroGrad();
      const l = criterion.forward(model.forward(x), y);
      l.backward();
      optimizer.step();
      return l.detach();
    });
    const v = loss.item();
    loss.dispose();
    return v;
  };
  const limit = o.batches ?? loader.length;
  let n = 0;
  let last = Number.NaN;
  let start = 0;
  for (const [x, y] of loader) {
    if (n === WARMUP_STEPS) start = performance.now(); // the first steps set up pools and primitives
    if (n === WARMUP_STEPS + limit) break;
    last = step(x, y);
    x.dispose();
    y.dispose();
    ++n;
  }
  const batches = n - WARMUP_STEPS;
  return {
    seconds: (performance.now() - start) / 1000,
    batches,
    epochBatches: loader.length,
    finalLoss: last,
    load: os.loadavg()[0],
  };
}

/** Seconds per full epoch (extrapolated when fewer batches ran). */
const perEpoch = (s: Side): number => (s.seconds / s.batches) * s.epochBatches;

export function epochTable(r: EpochResult): string {
  const limited = r.ours.batches < r.ours.epochBatches;
  const lines = [
    `MNIST CNN training epoch (conv 1->32, conv 32->64, max-pool, fc 9216->128->10), batch 64, Adam, ${r.threads} threads, conv engine ${r.engine}` +
      (limited ? `; ${r.ours.batches} of ${r.ours.epochBatches} batches, the epoch time extrapolated` : ''),
    'side          batches   seconds   s/epoch   loss   load   vs PyTorch',
  ];
  const row = (name: string, s: Side, ratio: string): string =>
    `${name.padEnd(14)}${String(s.batches).padStart(7)}${s.seconds.toFixed(2).padStart(10)}${perEpoch(s).toFixed(1).padStart(10)}${s.finalLoss.toFixed(3).padStart(7)}${s.load.toFixed(2).padStart(7)}${ratio.padStart(13)}`;
  const ratio = r.theirs ? (perEpoch(r.theirs) / perEpoch(r.ours)).toFixed(2) : '-';
  lines.push(row('nodetorch', r.ours, ratio));
  if (r.theirs) lines.push(row('PyTorch', r.theirs, ''));
  if (r.torchError) lines.push(`  PyTorch row: ${r.torchError}`);
  return lines.join('\n');
}

export function runCnnEpoch(o: EpochOptions): EpochResult {
  const ours = runOurs(o);
  let theirs: Side | null = null;
  let torchError = o.torch ? '' : 'PyTorch not run';
  if (o.torch) {
    try {
      const args = ['--threads', String(o.threads), '--data-dir', o.dataDir, '--warmup-steps', String(WARMUP_STEPS)];
      if (o.batches !== null) args.push('--batches', String(o.batches));
      theirs = {
        ...runReference<Side>(o.torch, 'torch_cnn_epoch.py', args, o.threads, 60 * 60_000),
        load: os.loadavg()[0],
      };
    } catch (e) {
      torchError = (e as Error).message;
    }
  }
  return { threads: o.threads, engine: nt.info().convEngine.engine, ours, theirs, torchError };
}
