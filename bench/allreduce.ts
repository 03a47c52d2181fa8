// All-reduce rows (`node dist/bench/run.js --only allreduce`, issue 16):
// nt.distributed.allReduce (sum, float32, in place) between 2 ranks started
// by mpirun on this machine, 4 KiB to 64 MiB. Bus bandwidth as nccl-tests
// defines it: bytes × 2(n-1)/n / time, which for n = 2 equals the message
// size over the time. Each rank times the same fixed loops (the counts must
// match across ranks); a repetition's time is the slower rank's (a max
// all-reduce of the two), the figure the median of the repetitions.
// Run directly under mpirun, this file is the rank process.
import { spawnSync } from 'child_process';
import * as nt from '../lib';
import { load1 } from './stats';

export interface AllreduceOptions {
  reps: number;
  quick: boolean;
  log: (s: string) => void;
}

interface Row {
  bytes: number;
  iters: number;
  usMedian: number;
  usMin: number;
  busGBs: number;
}

const KiB = 1024;
const SIZES = [4, 16, 64, 256, 1024, 4096, 16384, 65536].map((k) => k * KiB);

function human(bytes: number): string {
  return bytes >= 1 << 20 ? `${bytes / (1 << 20)} MiB` : `${bytes / KiB} KiB`;
}

function rank(reps: number, maxBytes: number): void {
  const d = nt.distributed;
  d.initProcessGroup({ backend: 'mpi', timeoutMs: 120_000 });
  const n = d.getWorldSize();
  const rows: Row[] = [];
  for (const bytes of SIZES.filter((b) => b <= maxBytes)) {
    const t = nt.ones([bytes / 4]);
    const iters = Math.max(3, Math.min(200, Math.floor((256 << 20) / bytes)));
    d.allReduce(t); // warm-up: connections, page faults
    const samples: number[] = [];
    for (let r = 0; r < reps; r++) {
      d.barrier();
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < iters; i++) d.allReduce(t);
      const us = Number(process.hrtime.bigint() - t0) / 1e3 / iters;
      const slowest = nt.tensor([us], { dtype: 'float64' });
      d.allReduce(slowest, 'max');
      samples.push(slowest.item());
    }
    samples.sort((a, b) => a - b);
    const usMedian = samples[samples.length >> 1];
    rows.push({ bytes, iters, usMedian, usMin: samples[0], busGBs: ((bytes * 2 * (n - 1)) / n / usMedian) * 1e-3 });
    t.dispose();
  }
  if (d.getRank() === 0) process.stdout.write(`${JSON.stringify(rows)}\n`);
  d.destroyProcessGroup();
}

/** Starts the 2 ranks and formats their table. */
export function runAllreduce(o: AllreduceOptions): string {
  const maxBytes = o.quick ? 1 << 20 : 64 << 20;
  const reps = o.quick ? 3 : o.reps;
  const load = load1();
  const root = process.getuid?.() === 0 ? ['--allow-run-as-root'] : [];
  const args = [...root, '--oversubscribe', '--bind-to', 'none', '-n', '2', process.execPath, __filename];
  o.log(`allreduce: mpirun -n 2, ${human(4 * KiB)}..${human(maxBytes)}, ${reps} reps`);
  const r = spawnSync('mpirun', [...args, 'rank', String(reps), String(maxBytes)], {
    encoding: 'utf8',
    env: { ...process.env, NODETORCH_NUM_THREADS: '1' },
    timeout: 600_000,
  });
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('['));
  if (r.status !== 0 || !line) {
    return `allreduce: failed (${r.error ? r.error.message : `exit ${r.status}`}): ${(r.stderr ?? '').slice(-500)}`;
  }
  const rows = JSON.parse(line) as Row[];
  const head = `| message | iters | time (us, median) | min (us) | bus bandwidth (GB/s) |\n|---|---|---|---|---|`;
  const body = rows.map(
    (x) =>
      `| ${human(x.bytes)} | ${x.iters} | ${x.usMedian.toFixed(1)} | ${x.usMin.toFixed(1)} | ${x.busGBs.toFixed(3)} |`,
  );
  return [
    `All-reduce, 2 ranks (mpirun, one machine, float32 sum, 1 kernel thread each), load ${load.toFixed(2)} at start`,
    head,
    ...body,
  ].join('\n');
}

if (require.main === module && process.argv[2] === 'rank') rank(Number(process.argv[3]), Number(process.argv[4]));
