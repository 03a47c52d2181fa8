// One training run of the seed MLP (784->500->10, ReLU, cross-entropy) in its
// own process, so its peak RSS is its own. Prints one JSON line (MlpRun).
// The loop matches reference/torch_mlp.py: MNIST as float32 in [0, 1]
// prepared once (converted natively), a random permutation per epoch, batches gathered with one
// indexSelect, zeroGrad / forward / backward / step, each step in nt.scope.
//
//   node dist/bench/mlp_child.js --threads 2 --epochs 3 --optimizer sgd --lr 0.01 --batch-size 64 --data-dir DIR
import * as fs from 'fs';

import * as nt from '../lib';
import { loadMnistSplit } from '../lib/data/idx';
import type { Tensor } from '../lib/tensor/tensor';

export interface MlpRun {
  library: 'nodetorch' | 'pytorch';
  version: string;
  threads: number;
  optimizer: string;
  batchSize: number;
  samples: number;
  loadSeconds: number;
  epochSeconds: number[];
  evalLoss: number[];
  peakRssBytes: number | null;
  error?: string;
}

// The parts of nt.nn / nt.optim this benchmark uses (looked up at run time,
// so the bench builds whatever lib/ exports).
interface ModuleLike {
  forward(x: Tensor): Tensor;
  parameters(): Iterable<Tensor>;
}
interface OptimizerLike {
  zeroGrad(): void;
  step(): void;
}
interface Api {
  nn?: {
    Linear: new (i: number, o: number) => ModuleLike;
    ReLU: new () => ModuleLike;
    Sequential: new (...m: ModuleLike[]) => ModuleLike;
    functional: { crossEntropy(x: Tensor, t: Tensor): Tensor };
  };
  optim?: {
    SGD: new (p: Iterable<Tensor>, o: { lr: number }) => OptimizerLike;
    Adam: new (p: Iterable<Tensor>, o: { lr: number }) => OptimizerLike;
  };
}

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0 && i + 1 < process.argv.length) return process.argv[i + 1];
  if (fallback === undefined) throw new Error(`mlp_child: missing --${name}`);
  return fallback;
}

/** VmHWM (Linux) or getrusage's max RSS: the peak resident set of this process. */
export function peakRssBytes(): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux: fall through
  }
  return process.resourceUsage().maxRSS * 1024;
}

/** Seeded Fisher-Yates shuffle of 0..n-1 (xorshift32). */
function permutation(n: number, state: { s: number }): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; ++i) p[i] = i;
  for (let i = n - 1; i > 0; --i) {
    let s = state.s;
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    state.s = s >>> 0;
    const j = state.s % (i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

function main(): MlpRun {
  const threads = Number(arg('threads'));
  const epochs = Number(arg('epochs', '3'));
  const optimizer = arg('optimizer', 'sgd');
  const lr = Number(arg('lr', '0.01'));
  const batchSize = Number(arg('batch-size', '64'));
  const warmup = Number(arg('warmup-steps', '20'));
  const dataDir = arg('data-dir');
  nt.setNumThreads(threads);
  nt.manualSeed(0);
  const base: MlpRun = {
    library: 'nodetorch',
    version: nt.info().version,
    threads: nt.getNumThreads(),
    optimizer,
    batchSize,
    samples: 0,
    loadSeconds: 0,
    epochSeconds: [],
    evalLoss: [],
    peakRssBytes: null,
  };
  const api = nt as unknown as Api;
  if (!api.nn || !api.optim) return { ...base, error: 'nt.nn / nt.optim are not exported yet' };
  const { nn, optim } = api;

  let t0 = performance.now();
  const { images, labels } = loadMnistSplit(dataDir, 'train');
  const n = images.shape[0];
  // Converted natively and in place: no float copy on the JS heap.
  const x = nt.scope(() =>
    nt
      .tensor(images.data as Uint8Array, { shape: [n, 784] })
      .float()
      .div_(255),
  );
  const y = nt.tensor(labels.data as Uint8Array).long();
  base.loadSeconds = (performance.now() - t0) / 1000;
  base.samples = n;

  const model = new nn.Sequential(new nn.Linear(784, 500), new nn.ReLU(), new nn.Linear(500, 10));
  const params = [...model.parameters()];
  const opt = optimizer === 'adam' ? new optim.Adam(params, { lr }) : new optim.SGD(params, { lr });

  const step = (idx: Tensor): number =>
    nt.scope(() => {
      opt.zeroGrad();
      const loss = nn.functional.crossEntropy(model.forward(nt.indexSelect(x, 0, idx)), nt.indexSelect(y, 0, idx));
      loss.backward();
      opt.step();
      return 0;
    });
  // Loss on the first 1024 training samples after each epoch (a sanity check
  // that both libraries train alike; torch_mlp.py computes the same).
  const evalLoss = (): number =>
    nt.scope(() =>
      nt.noGrad(() =>
        nn.functional
          .crossEntropy(model.forward(x.narrow(0, 0, Math.min(1024, n))), y.narrow(0, 0, Math.min(1024, n)))
          .item(),
      ),
    );

  const rng = { s: 0x9e3779b9 };
  nt.scope(() => {
    const p = nt.tensor(permutation(n, rng));
    for (let i = 0; i < warmup; ++i) nt.scope(() => step(p.narrow(0, (i * batchSize) % (n - batchSize), batchSize)));
  });
  for (let e = 0; e < epochs; ++e) {
    t0 = performance.now();
    nt.scope(() => {
      const p = nt.tensor(permutation(n, rng));
      for (let i = 0; i < n; i += batchSize) {
        nt.scope(() => step(p.narrow(0, i, Math.min(batchSize, n - i))));
      }
    });
    base.epochSeconds.push((performance.now() - t0) / 1000);
    base.evalLoss.push(evalLoss());
  }
  base.peakRssBytes = peakRssBytes();
  return base;
}

try {
  process.stdout.write(`${JSON.stringify(main())}\n`);
} catch (e) {
  process.stdout.write(`${JSON.stringify({ error: (e as Error).stack ?? String(e) })}\n`);
  process.exitCode = 1;
}
