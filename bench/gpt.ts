// GPT training throughput (issue 13): steps of the 6-layer, 6-head, 384-wide
// char-level GPT at context 256, batch 8 (nanoGPT's shakespeare_char shape,
// dropout 0), AdamW with clipGradNorm_(1.0), on random token windows, each
// side in a fresh process (a cold start: the first step is reported apart,
// then the mean of steps 2..N). nodetorch runs here as a child
// (`node dist/bench/gpt.js --child ...`), PyTorch as reference/torch_gpt.py.
import { spawnSync } from 'child_process';
import * as fs from 'fs';

import * as nt from '../lib';
import { type TorchRuntime, runReference } from './torch';

export interface GptBenchConfig {
  nLayer: number;
  nHead: number;
  nEmbd: number;
  blockSize: number;
  batchSize: number;
  vocab: number;
  steps: number;
  threads: number;
}

interface GptRun {
  library: 'nodetorch' | 'pytorch';
  version: string;
  threads: number;
  parameters: number;
  stepSeconds: number[];
  losses: number[];
  peakRssBytes: number | null;
}

interface GptSide {
  run: GptRun | null;
  error?: string;
  firstStepSeconds: number;
  /** Mean of steps 2..N. */
  stepSeconds: number;
  tokensPerSec: number;
}

export interface GptResult {
  config: GptBenchConfig;
  nodetorch: GptSide;
  pytorch: GptSide | null;
}

export const GPT_BENCH_DEFAULTS: GptBenchConfig = {
  nLayer: 6,
  nHead: 6,
  nEmbd: 384,
  blockSize: 256,
  batchSize: 8,
  vocab: 65,
  steps: 6,
  threads: 2,
};

function args(c: GptBenchConfig): string[] {
  return [
    ...['--threads', String(c.threads), '--steps', String(c.steps), '--n-layer', String(c.nLayer)],
    ...['--n-head', String(c.nHead), '--n-embd', String(c.nEmbd), '--block-size', String(c.blockSize)],
    ...['--batch-size', String(c.batchSize), '--vocab', String(c.vocab)],
  ];
}

/** VmHWM (Linux) or getrusage's max RSS: the peak resident set of this process. */
function peakRssBytes(): number | null {
  const m = /VmHWM:\s+(\d+) kB/.exec(
    fs.existsSync('/proc/self/status') ? fs.readFileSync('/proc/self/status', 'utf8') : '',
  );
  return m ? Number(m[1]) * 1024 : process.resourceUsage().maxRSS * 1024;
}

/** The measurement itself, in this (fresh) process. */
function runHere(c: GptBenchConfig): GptRun {
  nt.setNumThreads(c.threads);
  nt.manualSeed(0);
  const model = new nt.models.GPT({
    nLayer: c.nLayer,
    nHead: c.nHead,
    nEmbd: c.nEmbd,
    blockSize: c.blockSize,
    vocabSize: c.vocab,
  });
  const opt = new nt.optim.AdamW(model.parameters(), { lr: 3e-4, weightDecay: 0.1 });
  const n = c.blockSize * c.batchSize * 64 + 1;
  const data = Int32Array.from({ length: n }, () => Math.floor(Math.random() * c.vocab));
  const stepSeconds: number[] = [];
  const losses: number[] = [];
  for (let s = 0; s < c.steps; s++) {
    const t0 = performance.now();
    nt.scope(() => {
      const x: number[] = [];
      const y: number[] = [];
      for (let b = 0; b < c.batchSize; b++) {
        const o = Math.floor(Math.random() * (n - c.blockSize - 1));
        for (let t = 0; t < c.blockSize; t++) {
          x.push(data[o + t]);
          y.push(data[o + t + 1]);
        }
      }
      const shape = [c.batchSize, c.blockSize];
      const xs = nt.tensor(x, { dtype: 'int64' }).reshape(shape);
      const ys = nt.tensor(y, { dtype: 'int64' }).reshape(shape);
      opt.zeroGrad();
      const { loss } = model.forward(xs, ys);
      loss.backward();
      nt.nn.utils.clipGradNorm_(model.parameters(), 1.0);
      opt.step();
      losses.push(loss.item());
    });
    stepSeconds.push((performance.now() - t0) / 1000);
  }
  return {
    library: 'nodetorch',
    version: nt.info().version,
    threads: nt.getNumThreads(),
    parameters: model.numParameters(),
    stepSeconds,
    losses,
    peakRssBytes: peakRssBytes(),
  };
}

function side(c: GptBenchConfig, run: GptRun | null, error?: string): GptSide {
  const s = run?.stepSeconds ?? [];
  const rest = s.slice(1);
  const mean = rest.length ? rest.reduce((a, b) => a + b, 0) / rest.length : NaN;
  return {
    run,
    error,
    firstStepSeconds: s.length ? s[0] : NaN,
    stepSeconds: mean,
    tokensPerSec: (c.batchSize * c.blockSize) / mean,
  };
}

/** Runs both sides, each in a fresh process. */
export function runGpt(c: GptBenchConfig, torch: TorchRuntime | null, log: (s: string) => void): GptResult {
  log(`gpt (nodetorch): ${c.steps} steps...`);
  const r = spawnSync(process.execPath, [__filename.replace(/\.ts$/, '.js'), '--child', ...args(c)], {
    encoding: 'utf8',
    timeout: 60 * 60_000,
    maxBuffer: 16 << 20,
    env: { ...process.env, NODETORCH_QUIET: '1' },
  });
  let ours: GptSide;
  try {
    const lines = r.stdout.trim().split('\n');
    ours = side(c, JSON.parse(lines[lines.length - 1]) as GptRun);
  } catch {
    ours = side(
      c,
      null,
      `gpt child failed (exit ${r.status}): ${r.error?.message ?? r.stderr.trim().split('\n').slice(-3).join(' | ')}`,
    );
  }
  let theirs: GptSide | null = null;
  if (torch) {
    log(`gpt (PyTorch): ${c.steps} steps...`);
    try {
      theirs = side(c, runReference<GptRun>(torch, 'torch_gpt.py', args(c), c.threads, 60 * 60_000));
    } catch (e) {
      theirs = side(c, null, (e as Error).message);
    }
  }
  return { config: c, nodetorch: ours, pytorch: theirs };
}

/** The rows of the text report. */
export function gptTable(r: GptResult): string {
  const c = r.config;
  const head = `GPT training (${c.nLayer} layers, ${c.nHead} heads, ${c.nEmbd} wide, context ${c.blockSize}, batch ${c.batchSize}, vocab ${c.vocab}; AdamW + clipGradNorm 1.0; ${c.steps} steps from a cold start, ${c.threads} threads)`;
  const row = (name: string, s: GptSide | null): string => {
    if (!s) return `  ${name.padEnd(10)} skipped`;
    if (!s.run) return `  ${name.padEnd(10)} failed: ${s.error}`;
    const rss = s.run.peakRssBytes === null ? '-' : `${Math.round(s.run.peakRssBytes / 2 ** 20)} MiB`;
    return `  ${name.padEnd(10)} first step ${s.firstStepSeconds.toFixed(2)} s | steps 2..${c.steps}: ${s.stepSeconds.toFixed(2)} s/step, ${Math.round(s.tokensPerSec)} tokens/s | peak RSS ${rss} | loss ${s.run.losses[0].toFixed(3)} -> ${s.run.losses[s.run.losses.length - 1].toFixed(3)}`;
  };
  const lines = [head, row('nodetorch', r.nodetorch), row('PyTorch', r.pytorch)];
  if (r.pytorch?.run && r.nodetorch.run)
    lines.push(
      `  time per step vs PyTorch: ${(r.nodetorch.stepSeconds / r.pytorch.stepSeconds).toFixed(2)}x (< 1: nodetorch is faster)`,
    );
  return lines.join('\n');
}

if (require.main === module && process.argv[2] === '--child') {
  const v = process.argv.slice(3);
  const get = (name: string): number => Number(v[v.indexOf(`--${name}`) + 1]);
  const run = runHere({
    threads: get('threads'),
    steps: get('steps'),
    nLayer: get('n-layer'),
    nHead: get('n-head'),
    nEmbd: get('n-embd'),
    blockSize: get('block-size'),
    batchSize: get('batch-size'),
    vocab: get('vocab'),
  });
  process.stdout.write(`${JSON.stringify(run)}\n`);
}
