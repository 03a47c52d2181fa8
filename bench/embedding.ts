// Embedding weight-gradient timings (by hand, not part of `npm run bench`):
//   node dist/bench/embedding.js [--mode sparse|dense] [--steps N] [--threads N]
// One Embedding(50257, 768) forward + backward per step with B*T = 2048 ids,
// the weight a leaf with .grad kept across steps (accumulation, as with
// gradient accumulation or a missing zeroGrad). `sparse` is F.embedding (the
// row gradient index-added into .grad); `dense` is the same lookup through
// indexSelect, whose backward builds a dense [50257, 768] gradient per step.
// Prints one JSON line: median step ms after one warm-up step, nt.memory()
// after the last step, and the process's peak RSS (run each mode in its own
// process so the peaks do not mix).
import * as nt from '../lib';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const mode = arg('mode', 'sparse');
const steps = Number(arg('steps', '6'));
const threads = Number(arg('threads', '0'));
if (threads > 0) nt.setNumThreads(threads);

const V = 50257;
const D = 768;
const N = 2048;
nt.manualSeed(0);
const weight = nt.randn([V, D]).requiresGrad_();
const ids = nt.randint(0, V, [4, 512], { dtype: 'int64' });
const up = nt.randn([4, 512, D]);

function step(): void {
  nt.scope(() => {
    const out =
      mode === 'dense' ? weight.indexSelect(0, ids.reshape([N])).reshape([4, 512, D]) : nt.nn.F.embedding(ids, weight);
    out.backward(up);
  });
  nt.synchronizeSync();
}

const times: number[] = [];
for (let s = 0; s < steps; ++s) {
  const t0 = process.hrtime.bigint();
  step();
  if (s > 0) times.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
times.sort((a, b) => a - b);
const m = nt.memory().cpu;
console.log(
  JSON.stringify({
    mode,
    threads: nt.getNumThreads(),
    steps,
    medianMs: Number(times[Math.floor(times.length / 2)].toFixed(2)),
    memoryBytes: m.bytes,
    memoryTensors: m.tensors,
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  }),
);
