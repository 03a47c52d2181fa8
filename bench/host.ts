// Host overhead per step (issue 15): the user-style seed step (cold_child.ts's
// loop body) on tiny tensors (784-500-10 becomes 8-8-2, batch 4: the same
// ops, the same graph, kernels of a few elements) measures what the
// JavaScript thread spends per step: op checks and dispatch, scope
// bookkeeping, graph recording, the backward walk and the optimizer. The same
// step at the real sizes gives the share of the step that is host work.
import * as fs from 'fs';

import * as nt from '../lib';
import type { Tensor } from '../lib/tensor/tensor';
import { type Stat, load1, statOf } from './stats';

export interface HostResult {
  threads: number;
  /** Seconds per step, each part measured on its own (tiny tensors). */
  forwardNoGrad: Stat;
  forwardRecorded: Stat;
  fullStepTiny: Stat;
  /** Seconds per step of the seed step at its real sizes (784-500-10, batch 64). */
  fullStepSeed: Stat;
  /**
   * CPU seconds per seed step of the JavaScript thread itself (Linux: its
   * /proc task stat, 10 ms ticks, over every timed step), null elsewhere.
   * Includes kernels it runs at sync points and its bounded spin waits.
   */
  jsThreadCpuSeed: number | null;
  load: number;
}

interface Step {
  forwardNoGrad(): void;
  forwardRecorded(): void;
  full(): void;
}

function makeStep(inF: number, hidden: number, out: number, batch: number, rows: number): Step {
  const { nn, optim } = nt;
  const x = nt.rand([rows, inF]);
  const y = nt.randint(0, out, [rows]);
  const perm = nt.randperm(rows);
  const model = new nn.Sequential(new nn.Linear(inF, hidden), new nn.ReLU(), new nn.Linear(hidden, out));
  const criterion = new nn.CrossEntropyLoss();
  const opt = new optim.SGD(model.parameters(), { lr: 0.01 });
  let i = 0;
  const idx = (): Tensor => {
    i = (i + batch) % (rows - batch);
    return perm.narrow(0, i, batch);
  };
  const forward = (): Tensor => {
    const k = idx();
    return criterion.forward(model.forward(x.indexSelect(0, k)), y.indexSelect(0, k));
  };
  return {
    forwardNoGrad: () => nt.scope(() => void nt.noGrad(forward)),
    forwardRecorded: () => nt.scope(() => void forward()),
    full: () =>
      nt.scope(() => {
        opt.zeroGrad();
        forward().backward();
        opt.step();
      }),
  };
}

/** CPU seconds (user + system) of this process's main thread so far, or null off Linux. */
function mainThreadCpu(): number | null {
  try {
    const stat = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in USER_HZ (100 on Linux)
  } catch {
    return null;
  }
}

/** Seconds per call: a warm-up, then `reps` loops of about minTime, each ended by draining the queue. */
function timed(fn: () => void, reps: number, minTime: number): Stat {
  const now = (): number => performance.now() / 1000;
  // Warm-up of about minTime: the JIT compiles the step, pools fill.
  let t0 = now();
  let warm = 0;
  while (now() - t0 < minTime || warm < 50) {
    fn();
    ++warm;
  }
  nt.synchronizeSync();
  const iters = Math.max(20, Math.round((warm * minTime) / Math.max(now() - t0, 1e-9)));
  const samples: number[] = [];
  for (let r = 0; r < reps; ++r) {
    t0 = now();
    for (let i = 0; i < iters; ++i) fn();
    nt.synchronizeSync();
    samples.push((now() - t0) / iters);
  }
  return statOf(samples, iters);
}

export function runHost(threads: number, reps: number, minTime: number): HostResult {
  nt.setNumThreads(threads);
  const tiny = makeStep(8, 8, 2, 4, 4096);
  const seed = makeStep(784, 500, 10, 64, 4096);
  const seedStep = (): Stat => timed(seed.full, reps, minTime);
  const r: HostResult = {
    threads,
    forwardNoGrad: timed(tiny.forwardNoGrad, reps, minTime),
    forwardRecorded: timed(tiny.forwardRecorded, reps, minTime),
    fullStepTiny: timed(tiny.full, reps, minTime),
    fullStepSeed: seedStep(),
    jsThreadCpuSeed: null,
    load: load1(),
  };
  const c0 = mainThreadCpu();
  const again = seedStep();
  const c1 = mainThreadCpu();
  if (c0 !== null && c1 !== null) r.jsThreadCpuSeed = (c1 - c0) / (again.reps * again.iters);
  return r;
}

const us = (s: Stat): string => (s.median * 1e6).toFixed(1);

export function hostTable(r: HostResult): string {
  const share = (100 * r.fullStepTiny.median) / r.fullStepSeed.median;
  return [
    `Host overhead per seed step (${r.threads} thread(s), load ${r.load.toFixed(2)}): the step on 8-8-2 tensors, batch 4 (same ops and graph, tiny kernels)`,
    `  forward + loss, no grad (dispatch, checks, scope): ${us(r.forwardNoGrad)} us/step`,
    `  forward + loss, recorded (+ graph recording):      ${us(r.forwardRecorded)} us/step`,
    `  full step (+ backward walk, zeroGrad, SGD):         ${us(r.fullStepTiny)} us/step`,
    `  seed step at real sizes (784-500-10, batch 64):    ${us(r.fullStepSeed)} us/step; host share ${share.toFixed(0)}%`,
    r.jsThreadCpuSeed === null
      ? '  JS thread CPU per seed step: not measured (no /proc)'
      : `  JS thread CPU per seed step (its own CPU time, incl. kernels it runs at syncs): ${(r.jsThreadCpuSeed * 1e6).toFixed(1)} us/step`,
  ].join('\n');
}
