// Fused attention rows (`npm run bench -- --only attention`): causal
// scaled-dot-product attention, H = 6 heads of E = 64, float32, forward and
// forward + backward, nodetorch's fused kernel against PyTorch 1.13's
// materialized softmax(q k^T * scale + mask) v measured in the same run
// (bench/reference/torch_attention.py); then the peak RSS of one T = 4096
// forward, each side in its own child process.
//   node dist/bench/attention.js --rss T   (the nodetorch child: prints {"peakRss"})
import { spawnSync } from 'child_process';
import * as fs from 'fs';

import * as nt from '../lib';
import { type Stat, measure } from './stats';
import { type TorchRuntime, runReference } from './torch';

const H = 6;
const E = 64;
const RSS_T = 4096;

export interface AttentionOptions {
  reps: number;
  minTime: number;
  threads: number;
  quick: boolean;
  torch: TorchRuntime | null;
  log: (s: string) => void;
}

interface Row {
  name: string;
  nodetorch: Stat;
  pytorch: Stat | null;
}

function sizes(quick: boolean): [number, number][] {
  const bs = quick ? [1, 8] : [1, 2, 4, 8];
  return [256, 1024].flatMap((t) => bs.map((b): [number, number] => [t, b]));
}

function runOurs(t: number, b: number, o: AttentionOptions): Row[] {
  const [q, k, v] = [0, 1, 2].map(() => nt.randn([b, H, t, E]).requiresGrad_());
  const g = nt.randn([b, H, t, E]);
  const opts = { reps: o.reps, minTime: o.minTime };
  const fwd = measure(() => {
    // A block: the scope disposes the output (nothing escapes to the GC).
    nt.scope(() => {
      nt.noGrad(() => nt.scaledDotProductAttention(q, k, v, { isCausal: true }));
    });
    nt.synchronizeSync();
  }, opts);
  const both = measure(() => {
    for (const x of [q, k, v]) x.grad = null;
    nt.scope(() => nt.scaledDotProductAttention(q, k, v, { isCausal: true }).backward(g));
    nt.synchronizeSync();
  }, opts);
  return [
    { name: `fwd_T${t}_B${b}`, nodetorch: fwd, pytorch: null },
    { name: `fwdbwd_T${t}_B${b}`, nodetorch: both, pytorch: null },
  ];
}

function ourPeakRss(threads: number): number | string {
  const r = spawnSync(process.execPath, [__filename, '--rss', String(RSS_T), '--threads', String(threads)], {
    encoding: 'utf8',
    timeout: 10 * 60_000,
    env: { ...process.env, NODETORCH_QUIET: '1' },
  });
  if (r.status !== 0) return `child failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`;
  const lines = r.stdout.trim().split('\n');
  return (JSON.parse(lines[lines.length - 1]) as { peakRss: number }).peakRss;
}

const ms = (s: Stat): string => `${(s.median * 1e3).toFixed(2)} ms`;
const mib = (v: number | string): string => (typeof v === 'number' ? `${(v / 2 ** 20).toFixed(0)} MiB` : v);

/** Runs the rows and returns the printed table. */
export function runAttention(o: AttentionOptions): string {
  const rows: Row[] = [];
  for (const [t, b] of sizes(o.quick)) {
    o.log(`  attention T=${t} B=${b} (nodetorch)`);
    rows.push(...runOurs(t, b, o));
  }
  let torchError = '';
  if (o.torch) {
    o.log('  attention (PyTorch)...');
    try {
      const spec = sizes(o.quick)
        .map(([t, b]) => `${t}:${b}`)
        .join(',');
      const args = ['--threads', String(o.threads), '--reps', String(o.reps), '--min-time', String(o.minTime)];
      const res = runReference<{ results: Record<string, Stat> }>(
        o.torch,
        'torch_attention.py',
        [...args, '--sizes', spec],
        o.threads,
        30 * 60_000,
      );
      for (const r of rows) r.pytorch = res.results[r.name] ?? null;
    } catch (e) {
      torchError = (e as Error).message;
    }
  }
  o.log(`  peak RSS at T=${RSS_T}...`);
  const ours = ourPeakRss(o.threads);
  let theirs: number | string = 'PyTorch not run';
  if (o.torch) {
    try {
      const r = runReference<{ peakRss: number }>(
        o.torch,
        'torch_attention.py',
        ['--threads', String(o.threads), '--rss', String(RSS_T)],
        o.threads,
        10 * 60_000,
      );
      theirs = r.peakRss;
    } catch (e) {
      theirs = (e as Error).message;
    }
  }
  const lines = [
    `Attention: causal, H=${H}, E=${E}, float32, ${o.threads} threads; median of ${o.reps}; "vs PyTorch" > 1 means nodetorch is faster`,
    'row                   nodetorch fused   PyTorch materialized   vs PyTorch',
    ...rows.map((r) => {
      const theirsMs = r.pytorch ? ms(r.pytorch) : '-';
      const ratio = r.pytorch ? (r.pytorch.median / r.nodetorch.median).toFixed(2) : '-';
      return `${r.name.padEnd(22)}${ms(r.nodetorch).padStart(15)}${theirsMs.padStart(23)}${ratio.padStart(13)}`;
    }),
    `peak RSS, one forward at B=1 H=${H} T=${RSS_T} E=${E} (own process): nodetorch fused ${mib(ours)}, PyTorch materialized ${mib(theirs)}`,
  ];
  if (torchError) lines.push(`  PyTorch rows failed: ${torchError}`);
  return lines.join('\n');
}

/** The child of ourPeakRss: one causal forward, then VmHWM of this process. */
function rssChild(argv: string[]): void {
  const t = Number(argv[argv.indexOf('--rss') + 1]);
  const threads = Number(argv[argv.indexOf('--threads') + 1]);
  if (threads > 0) nt.setNumThreads(threads);
  const [q, k, v] = [0, 1, 2].map(() => nt.randn([1, H, t, E]));
  nt.scaledDotProductAttention(q, k, v, { isCausal: true });
  nt.synchronizeSync();
  const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  process.stdout.write(`${JSON.stringify({ peakRss: hwm ? Number(hwm[1]) * 1024 : -1 })}\n`);
}

if (require.main === module && process.argv.includes('--rss')) rssChild(process.argv.slice(2));
