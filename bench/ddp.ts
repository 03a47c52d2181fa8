// DDP bench row (issue 16): one epoch of the seed MLP (784-500-10, SGD lr
// 0.01, global batch 64) on MNIST, as DDP over 2 ranks x 1 thread under
// `mpirun -n 2` (per-rank batch 32, DistributedSampler) against 1 process x 2
// threads (batch 64). Each run is a child process: this file with --child.
//
//   node dist/bench/run.js --only ddp      (or node dist/bench/ddp.js --child ... by hand)
import { spawnSync } from 'child_process';
import * as path from 'path';

import * as nt from '../lib';
import { MLP } from '../lib/cli/mlp';
import { mpirunArgs } from '../lib/cli/run';
import { loadMnistSplit } from '../lib/data/idx';
import { load1 } from './stats';

export interface DdpRow {
  setup: string;
  epochSeconds: number | null;
  samplesPerSec: number | null;
  load: number;
  error?: string;
}

/** One child run: prints `DDP_EPOCH <seconds>` from rank 0. */
function child(dataDir: string, ddp: boolean, threads: number): void {
  nt.setNumThreads(threads);
  if (ddp) nt.distributed.initProcessGroup({ backend: 'mpi' });
  const rank = ddp ? nt.distributed.getRank() : 0;
  nt.manualSeed(0);
  const { images, labels } = loadMnistSplit(dataDir, 'train');
  const n = images.shape[0];
  const x = nt.scope(() =>
    nt
      .tensor(images.data as Uint8Array, { shape: [n, 784] })
      .float()
      .div_(255),
  );
  const y = nt.tensor(labels.data as Uint8Array).long();
  const ds = new nt.data.TensorDataset(x, y);
  const model = new MLP();
  const net = ddp ? new nt.nn.parallel.DistributedDataParallel(model) : model;
  const loader = ddp
    ? new nt.data.DataLoader(ds, { batchSize: 32, sampler: new nt.data.DistributedSampler(ds, { seed: 0 }) })
    : new nt.data.DataLoader(ds, { batchSize: 64, shuffle: true, seed: 0 });
  const opt = new nt.optim.SGD(net.parameters(), { lr: 0.01 });
  const t0 = performance.now();
  for (const [xb, yb] of loader) {
    nt.scope(() => {
      opt.zeroGrad();
      nt.nn.functional.crossEntropy(net.forward(xb), yb).backward();
      opt.step();
    });
    xb.dispose();
    yb.dispose();
  }
  nt.synchronizeSync();
  if (ddp) nt.distributed.barrier();
  const s = (performance.now() - t0) / 1000;
  if (rank === 0) process.stdout.write(`DDP_EPOCH ${s}\n`);
  if (ddp) nt.distributed.destroyProcessGroup();
}

function parse(setup: string, r: ReturnType<typeof spawnSync>, samples: number, load: number): DdpRow {
  const m = /DDP_EPOCH ([\d.]+)/.exec(String(r.stdout));
  if (!m)
    return {
      setup,
      epochSeconds: null,
      samplesPerSec: null,
      load,
      error: `${r.status}: ${String(r.stderr).slice(-400)}`,
    };
  const s = Number(m[1]);
  return { setup, epochSeconds: s, samplesPerSec: samples / s, load };
}

/** The two rows: DDP 2 ranks x 1 thread, 1 process x 2 threads. */
export function runDdp(dataDir: string): DdpRow[] {
  const self = __filename;
  const load = load1();
  // The launcher's own flags (`nodetorch run`): without --bind-to none mpirun
  // pins each rank, with its communication thread, to one core.
  const plan = { nproc: 2, mca: [], script: self, scriptArgs: ['--child', 'ddp', dataDir, '1'] };
  const ddp = spawnSync('mpirun', mpirunArgs(plan, process.getuid?.() === 0, process.execPath), {
    encoding: 'utf8',
    timeout: 600_000,
  });
  const single = spawnSync(process.execPath, [self, '--child', 'single', dataDir, '2'], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  return [
    parse('DDP 2 ranks x 1 thread (batch 2x32)', ddp, 60000, load),
    parse('1 process x 2 threads (batch 64)', single, 60000, load),
  ];
}

/** The rows as text. */
export function ddpTable(rows: DdpRow[]): string {
  const lines = ['  seed MLP, one MNIST epoch          seconds   samples/s   load(1m)'];
  for (const r of rows)
    lines.push(
      `  ${r.setup.padEnd(36)}${
        r.epochSeconds === null
          ? `error ${r.error}`
          : `${r.epochSeconds.toFixed(2).padStart(7)}   ${Math.round(r.samplesPerSec ?? 0)
              .toString()
              .padStart(9)}   ${r.load.toFixed(2)}`
      }`,
    );
  return lines.join('\n');
}

if (require.main === module && process.argv[2] === '--child')
  child(path.resolve(process.argv[4]), process.argv[3] === 'ddp', Number(process.argv[5]));
