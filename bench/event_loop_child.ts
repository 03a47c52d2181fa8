// The event-loop row of `npm run bench` (issue 11), in its own process so its
// heap and threads do not disturb other rows: the seed MLP (784-500-10 ReLU,
// SGD lr 0.01, batch 64, MNIST as float32 in [0, 1] as in mlp_child.ts)
// trained for whole epochs with the plain `for...of` loop and with the
// documented `for await` loop (examples/async-training.ts), alternating
// (sync, async, async, sync, ...) from the same initial weights and shuffle,
// with perf_hooks.monitorEventLoopDelay on. Prints one JSON line (EventLoopRun).
//
//   node dist/bench/event_loop_child.js --threads 2 --rounds 3 --data-dir DIR
import { monitorEventLoopDelay } from 'perf_hooks';

import * as nt from '../lib';
import { step, stepAsync } from '../examples/training_steps';
import { MLP } from '../lib/cli/mlp';
import { data, datasets, nn, optim } from '../lib';

export type Loop = 'sync' | 'async';

export interface EpochFigures {
  loop: Loop;
  seconds: number;
  /** Mean training loss of the epoch (both loops must agree: same weights, same shuffle). */
  loss: number;
  eventLoopP99Ms: number;
  eventLoopMaxMs: number;
}

export interface EventLoopRun {
  threads: number;
  prefetch: number;
  batchSize: number;
  samples: number;
  epochs: EpochFigures[];
  error?: string;
}

const BATCH = 64;
const LR = 0.01;
const criterion = new nn.CrossEntropyLoss();

/**
 * The documented event-loop-friendly epoch (examples/async-training.ts):
 * `for await` over the DataLoader, which yields to the event loop before each
 * batch and prefetches. Kept in step with the documented loop.
 */
async function trainEpochAsync(model: MLP, opt: optim.SGD, loader: data.DataLoader): Promise<number> {
  let total = 0;
  let steps = 0;
  for await (const [x, y] of loader) {
    total += await stepAsync({ model, optimizer: opt, criterion }, x, y);
    ++steps;
    x.dispose();
    y.dispose();
  }
  return total / steps;
}

/** The plain synchronous epoch: blocks the event loop until it ends. */
function trainEpochSync(model: MLP, opt: optim.SGD, loader: data.DataLoader): number {
  let total = 0;
  let steps = 0;
  for (const [x, y] of loader) {
    total += step({ model, optimizer: opt, criterion }, x, y);
    ++steps;
    x.dispose();
    y.dispose();
  }
  return total / steps;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const toMs = (ns: number): number => ns / 1e6;

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0 && i + 1 < process.argv.length) return process.argv[i + 1];
  if (fallback === undefined) throw new Error(`event_loop_child: missing --${name}`);
  return fallback;
}

async function main(): Promise<EventLoopRun> {
  nt.setNumThreads(Number(arg('threads')));
  const rounds = Number(arg('rounds', '3'));
  const prefetch = Number(arg('prefetch', '2'));
  const train = new datasets.MNIST(arg('data-dir'), { train: true }).toTensorDataset({ normalize: false });
  const run: EventLoopRun = {
    threads: nt.getNumThreads(),
    prefetch,
    batchSize: BATCH,
    samples: train.length,
    epochs: [],
  };
  nt.manualSeed(0);
  const initial = new MLP().stateDict();
  const fresh = (): [MLP, optim.SGD] => {
    const model = new MLP();
    model.loadStateDict(initial);
    return [model, new optim.SGD(model.parameters(), { lr: LR })];
  };

  // Warm-up, not timed: both loops' code paths and the allocator, for a few dozen steps.
  {
    const [model, opt] = fresh();
    let i = 0;
    for (const [x, y] of new data.DataLoader(train, { batchSize: BATCH })) {
      step({ model, optimizer: opt, criterion }, x, y);
      x.dispose();
      y.dispose();
      if (++i === 30) break;
    }
    for await (const [x, y] of new data.DataLoader(train, { batchSize: BATCH, prefetch })) {
      await stepAsync({ model, optimizer: opt, criterion }, x, y);
      x.dispose();
      y.dispose();
      if (++i === 60) break;
    }
  }

  // ABBA order (sync, async, async, sync, ...): a drift in machine speed hits both loops alike.
  for (let r = 0; r < rounds; ++r) {
    for (const loop of r % 2 ? (['async', 'sync'] as const) : (['sync', 'async'] as const)) {
      const [model, opt] = fresh();
      nt.manualSeed(1); // the same shuffle for every epoch
      const loader = new data.DataLoader(train, { batchSize: BATCH, shuffle: true, prefetch });
      const delay = monitorEventLoopDelay({ resolution: 1 });
      delay.enable();
      await sleep(5); // the monitor's first samples: its baseline
      const t0 = performance.now();
      const loss = loop === 'async' ? await trainEpochAsync(model, opt, loader) : trainEpochSync(model, opt, loader);
      const seconds = (performance.now() - t0) / 1000;
      await sleep(5); // lets the monitor record the last delay
      delay.disable();
      run.epochs.push({
        loop,
        seconds,
        loss,
        eventLoopP99Ms: toMs(delay.percentile(99)),
        eventLoopMaxMs: toMs(delay.max),
      });
      for (const p of model.parameters()) p.dispose();
    }
  }
  return run;
}

main().then(
  (run) => process.stdout.write(`${JSON.stringify(run)}\n`),
  (e: unknown) => {
    process.stdout.write(`${JSON.stringify({ error: (e as Error).stack ?? String(e) })}\n`);
    process.exitCode = 1;
  },
);
