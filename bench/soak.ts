// Soak test: the seed MLP (784 -> 500 -> 10, SGD) trained for many steps on
// synthetic MNIST-shaped batches, twice:
//   naive  - a plain loop that never disposes anything (GC finalizers free the
//            native buffers): RSS after warm-up must stay within +10 %;
//   scoped - each step inside nt.scope: nt.memory() must return exactly to
//            its baseline (tensor count and bytes) after every step.
// Prints RSS every `every` steps (the curve for the closing note).
//   npm run build:ts && node dist/bench/soak.js [--steps 100000] [--every 5000] [--mode naive|scoped|both]
// test/reliability/soak.test.ts runs a short version of both in CI.
import * as nt from '../lib';
import { MLP } from '../lib/cli/mlp';
import { settledMemory } from './settle';

export interface SoakOptions {
  steps: number;
  every: number;
  batch?: number;
  /** Fraction of the steps treated as warm-up before the RSS baseline (default 0.1, at least 500 steps). */
  warmup?: number;
  log?: (line: string) => void;
}

export interface SoakResult {
  mode: 'naive' | 'scoped';
  steps: number;
  /** [step, rss MiB] every `every` steps. */
  curve: [number, number][];
  baselineRssMiB: number;
  maxRssMiB: number;
  /** max RSS after warm-up / RSS at the end of warm-up. */
  growth: number;
  /** scoped: steps where nt.memory() differed from the baseline. */
  memoryMismatches: number;
  msPerStep: number;
  lastLoss: number;
  /** Live native tensors at the end (naive mode: what the GC has not freed yet). */
  liveTensors: number;
}

const MiB = 1024 * 1024;
const rssMiB = (): number => process.memoryUsage().rss / MiB;

/** A fixed pool of synthetic batches (pixels in [0,1), labels 0..9). */
function makeBatches(batch: number, count: number): { x: Float32Array; y: BigInt64Array }[] {
  let s = 12345;
  const r = (): number => {
    s = (s * 1103515245 + 12345) >>> 0;
    return s / 2 ** 32;
  };
  return Array.from({ length: count }, () => ({
    x: Float32Array.from({ length: batch * 784 }, r),
    y: BigInt64Array.from({ length: batch }, () => BigInt(Math.floor(r() * 10))),
  }));
}

export function runSoak(mode: 'naive' | 'scoped', opts: SoakOptions): SoakResult {
  const batch = opts.batch ?? 16;
  const log = opts.log ?? ((l: string) => console.log(l));
  const warmupSteps = Math.min(opts.steps - 1, Math.max(500, Math.floor(opts.steps * (opts.warmup ?? 0.1))));
  nt.manualSeed(0);
  const model = new MLP();
  const opt = new nt.optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const batches = makeBatches(batch, 8);
  const curve: [number, number][] = [];
  let baselineRss = 0;
  let maxRss = 0;
  let mismatches = 0;
  let base: { tensors: number; bytes: number } | undefined;
  let lastLoss = NaN;

  const step = (i: number): void => {
    const b = batches[i % batches.length];
    const x = nt.tensor(b.x, { shape: [batch, 784] });
    const y = nt.tensor(b.y);
    opt.zeroGrad();
    const loss = nt.nn.functional.crossEntropy(model.forward(x), y);
    loss.backward();
    opt.step();
    if (i % 100 === 0) lastLoss = loss.item();
  };

  const t0 = performance.now();
  for (let i = 1; i <= opts.steps; i++) {
    if (mode === 'scoped') {
      nt.scope(() => step(i));
      const m = nt.memory().cpu;
      // The first step creates the optimizer state (momentum buffers) and grads:
      // baseline after it, and after a full GC so that garbage from before the
      // loop (freed by GC-time finalizers at any moment) cannot move the count.
      if (i === 1) {
        const settled = settledMemory().cpu;
        base = { tensors: settled.tensors, bytes: settled.bytes };
      } else if (m.tensors !== base!.tensors || m.bytes !== base!.bytes) {
        if (mismatches++ < 5)
          log(
            `soak scoped: step ${i}: nt.memory() ${m.tensors} tensors / ${m.bytes} bytes, baseline ${base!.tensors} / ${base!.bytes}`,
          );
      }
    } else {
      step(i);
    }
    if (i === warmupSteps) baselineRss = rssMiB();
    if (i > warmupSteps) maxRss = Math.max(maxRss, rssMiB());
    if (i % opts.every === 0 || i === opts.steps) {
      const rss = rssMiB();
      curve.push([i, Math.round(rss * 10) / 10]);
      log(
        `soak ${mode}: step ${i}  rss ${rss.toFixed(1)} MiB  live tensors ${nt.memory().cpu.tensors}  loss ${lastLoss.toFixed(4)}`,
      );
    }
  }
  const msPerStep = (performance.now() - t0) / opts.steps;
  const growth = baselineRss > 0 ? maxRss / baselineRss : 1;
  return {
    mode,
    steps: opts.steps,
    curve,
    baselineRssMiB: baselineRss,
    maxRssMiB: maxRss,
    growth,
    memoryMismatches: mismatches,
    msPerStep,
    lastLoss,
    liveTensors: nt.memory().cpu.tensors,
  };
}

function main(argv: string[]): number {
  const arg = (name: string, def: string): string => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : def;
  };
  const steps = Number(arg('steps', '100000'));
  const every = Number(arg('every', '5000'));
  const mode = arg('mode', 'both');
  let ok = true;
  for (const m of (mode === 'both' ? ['naive', 'scoped'] : [mode]) as ('naive' | 'scoped')[]) {
    const r = runSoak(m, { steps, every });
    // Scoped: the exact nt.memory() check is the criterion; its RSS is reported
    // (V8's heap saws up and down by tens of MiB between major GCs).
    const pass = m === 'naive' ? r.growth <= 1.1 && r.liveTensors <= 5000 : r.memoryMismatches === 0;
    ok &&= pass;
    console.log(
      `soak ${m}: ${pass ? 'PASS' : 'FAIL'}  ${r.steps} steps, ${r.msPerStep.toFixed(2)} ms/step, ` +
        `RSS after warm-up ${r.baselineRssMiB.toFixed(1)} MiB, max ${r.maxRssMiB.toFixed(1)} MiB (x${r.growth.toFixed(3)})` +
        (m === 'scoped'
          ? `, nt.memory() mismatches ${r.memoryMismatches}`
          : `, live tensors at the end ${r.liveTensors}`),
    );
    console.log(`soak ${m} curve: ${JSON.stringify(r.curve)}`);
  }
  return ok ? 0 : 1;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
