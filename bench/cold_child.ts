// The cold row (issue 15): the seed MLP written as a user writes it
// (nn.Sequential, nn.CrossEntropyLoss, nt.randperm's int64 indices, batches
// taken with indexSelect, nt.scope per step, SGD lr 0.01), timed from the
// first step in a fresh process. reference/torch_cold.py is its PyTorch twin.
// Prints one JSON line (ColdRun): the first epoch, and the time of each block
// of 100 steps over `--epochs` epochs (the queue is drained at each block's
// end, so a block's time includes its kernels).
//
//   node dist/bench/cold_child.js --threads 2 --epochs 2 --data-dir DIR
import * as fs from 'fs';

import * as nt from '../lib';
import { loadMnistSplit } from '../lib/data/idx';

export interface ColdRun {
  library: 'nodetorch' | 'pytorch';
  threads: number;
  /** Seconds of the first epoch (from the first step to the last one's kernels done). */
  firstEpoch: number;
  /** Seconds of each full block of 100 steps, all epochs in order. */
  per100: number[];
  /** Minor page faults of the process in each block (first touches of fresh memory). */
  faults100: number[];
  /**
   * CPU seconds of the whole process (all threads) in each block: unlike the
   * wall time it barely moves with other load, and spin-waiting shows in it.
   */
  cpu100?: number[];
  stepsPerEpoch: number;
  peakRssBytes: number | null;
  error?: string;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

/** VmHWM: this process's peak resident set (Linux), else null. */
function peakRssBytes(): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

function main(): ColdRun {
  const threads = Number(arg('threads', String(nt.getNumThreads())));
  const epochs = Math.max(1, Number(arg('epochs', '2')));
  const batch = Number(arg('batch-size', '64'));
  nt.setNumThreads(threads);
  nt.manualSeed(0);
  const { images, labels } = loadMnistSplit(arg('data-dir', ''), 'train');
  const n = images.shape[0];
  const x = nt.scope(() =>
    nt
      .tensor(images.data as Uint8Array, { shape: [n, 784] })
      .float()
      .div_(255),
  );
  const y = nt.tensor(labels.data as Uint8Array).long();
  nt.synchronizeSync();

  const { nn, optim } = nt;
  const model = new nn.Sequential(new nn.Linear(784, 500), new nn.ReLU(), new nn.Linear(500, 10));
  const criterion = new nn.CrossEntropyLoss();
  const opt = new optim.SGD(model.parameters(), { lr: 0.01 });

  // The model's initialization kernels run before the clock starts, as
  // PyTorch's do (it runs them eagerly).
  nt.synchronizeSync();
  const per100: number[] = [];
  const faults100: number[] = [];
  const cpu100: number[] = [];
  const cpuNow = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  let faults = process.resourceUsage().minorPageFault;
  let cpu = cpuNow();
  let firstEpoch = 0;
  let step = 0;
  const start = performance.now();
  let block = start;
  for (let e = 0; e < epochs; ++e) {
    const perm = nt.randperm(n);
    for (let i = 0; i < n; i += batch) {
      nt.scope(() => {
        const idx = perm.narrow(0, i, Math.min(batch, n - i));
        opt.zeroGrad();
        const loss = criterion.forward(model.forward(x.indexSelect(0, idx)), y.indexSelect(0, idx));
        loss.backward();
        opt.step();
      });
      if (++step % 100 === 0) {
        nt.synchronizeSync();
        const t = performance.now();
        per100.push((t - block) / 1000);
        block = t;
        const f = process.resourceUsage().minorPageFault;
        faults100.push(f - faults);
        faults = f;
        const c = cpuNow();
        cpu100.push(c - cpu);
        cpu = c;
      }
    }
    perm.dispose();
    if (e === 0) {
      nt.synchronizeSync();
      firstEpoch = (performance.now() - start) / 1000;
    }
  }
  return {
    library: 'nodetorch',
    threads: nt.getNumThreads(),
    firstEpoch,
    per100,
    faults100,
    cpu100,
    stepsPerEpoch: Math.ceil(n / batch),
    peakRssBytes: peakRssBytes(),
  };
}

try {
  process.stdout.write(`${JSON.stringify(main())}\n`);
} catch (e) {
  process.stdout.write(`${JSON.stringify({ error: (e as Error).stack ?? String(e) })}\n`);
  process.exitCode = 1;
}
