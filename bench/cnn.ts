// Convolution rows (`npm run bench -- --only cnn`): conv2d forward,
// backward-input and backward-weight in GFLOP/s (2*N*Co*Ho*Wo*Ci*kh*kw each)
// for the MNIST CNN's two conv layers at batch 64 and a ResNet-style 3x3
// 64->64 on 56x56 at batch 8, float32 on the CPU, against PyTorch 1.13
// measured in the same run (bench/reference/torch_cnn.py: F.conv2d and
// aten::convolution_backward with one output mask entry each). The backward
// rows call nodetorch's conv2d backward directly (lib/ops/conv.ts) with the
// same single gradient asked, so neither side pays for the other gradient.
// Each conv row is measured on both CPU engines (builtin im2col + GEMM, and
// oneDNN when libdnnl.so.2 loads; "vs PyTorch" uses the default engine). The
// oneDNN engine keeps thin weight gradients (conv1's) on the im2col GEMM, so
// its column is what that setting runs, not oneDNN alone.
// Then max-pool (forward and backward), avg-pool and batch-norm rows in GB/s
// (bytes of the inputs read plus the output written, float32, the same count
// for both sides; the max-pool backward row runs the backward alone, from
// saved indices, as aten::max_pool2d_with_indices_backward) and one MNIST
// CNN training epoch end to end (bench/cnn_epoch.ts).
import * as nt from '../lib';
import { type EpochResult, epochTable, runCnnEpoch } from './cnn_epoch';
import { type ConvGeometry, conv2dBackward } from '../lib/ops/conv';
import { type PoolGeometry, maxPoolBackward } from '../lib/ops/pool';
import * as os from 'os';
import { type Stat, measure } from './stats';
import { type TorchRuntime, runReference } from './torch';

export interface CnnOptions {
  reps: number;
  minTime: number;
  threads: number;
  torch: TorchRuntime | null;
  log: (s: string) => void;
  /** MNIST IDX files for the epoch row (null: the row is skipped). */
  dataDir: string | null;
  /** Batches of the epoch row (null: the full epoch). */
  epochBatches: number | null;
}

interface Layer {
  name: string;
  x: [number, number, number, number];
  co: number;
  k: number;
  padding: number;
}

/** The layers; torch_cnn.py holds the same list. */
const LAYERS: Layer[] = [
  { name: 'mnist_conv1_1to32_B64', x: [64, 1, 28, 28], co: 32, k: 3, padding: 0 },
  { name: 'mnist_conv2_32to64_B64', x: [64, 32, 26, 26], co: 64, k: 3, padding: 0 },
  { name: 'resnet_64to64_56x56_B8', x: [8, 64, 56, 56], co: 64, k: 3, padding: 1 },
];

const PASSES = ['fwd', 'bwd_input', 'bwd_weight'] as const;

function geometryOf(l: Layer): ConvGeometry {
  const [N, C, H, W] = l.x;
  const p = l.padding;
  const Ho = H + 2 * p - l.k + 1;
  const Wo = W + 2 * p - l.k + 1;
  return {
    N,
    C,
    H,
    W,
    Co: l.co,
    G: 1,
    Cg: C,
    Cog: l.co,
    kh: l.k,
    kw: l.k,
    sh: 1,
    sw: 1,
    dh: 1,
    dw: 1,
    pt: p,
    pb: p,
    pl: p,
    pr: p,
    Hp: H + 2 * p,
    Wp: W + 2 * p,
    Ho,
    Wo,
  };
}

function flopOf(l: Layer): number {
  const g = geometryOf(l);
  return 2 * g.N * g.Co * g.Ho * g.Wo * g.C * g.kh * g.kw;
}

type Engine = 'builtin' | 'onednn';

function runOurs(l: Layer, o: CnnOptions, engine: Engine): Record<string, Stat> {
  nt.backends.conv.engine = engine;
  const g = geometryOf(l);
  const x = nt.randn(l.x);
  const w = nt.randn([l.co, l.x[1], l.k, l.k]);
  const b = nt.randn([l.co]);
  const gy = nt.randn([g.N, g.Co, g.Ho, g.Wo]);
  const opts = { reps: o.reps, minTime: o.minTime };
  const timed = (fn: () => unknown): Stat =>
    measure(() => {
      // The block returns nothing, so the scope disposes the result like
      // PyTorch's refcount frees it, instead of leaving it to the GC.
      nt.scope(() => {
        nt.noGrad(fn);
      });
      nt.synchronizeSync();
    }, opts);
  return {
    fwd: timed(() => nt.conv2d(x, w, b, { padding: l.padding })),
    bwd_input: timed(() => conv2dBackward(x, w, g, gy, [true, false, false])),
    bwd_weight: timed(() => conv2dBackward(x, w, g, gy, [false, true, false])),
  };
}

const gflops = (flop: number, s: Stat | undefined): string => (s ? (flop / s.median / 1e9).toFixed(1) : '-');

/** Memory-bound rows: name, bytes moved per call, the call. */
interface BandwidthRow {
  name: string;
  bytes: number;
  run: () => unknown;
}

function bandwidthRows(): BandwidthRow[] {
  const pool = nt.randn([64, 64, 24, 24]); // the MNIST CNN's max-pool input
  const bn = nt.randn([8, 64, 56, 56]); // a ResNet batch-norm input
  const mean = nt.zeros([64]);
  const variance = nt.ones([64]);
  const weight = nt.ones([64]);
  const bias = nt.zeros([64]);
  const [pooled, indices] = nt.nn.functional.maxPool2d(pool, 2, null, 0, 1, false, true);
  const dy = nt.randnLike(pooled);
  const geom: PoolGeometry = { k: [2, 2], s: [2, 2], p: [0, 0], d: [1, 1], out: [12, 12] };
  return [
    {
      name: 'max_pool2d_2x2_64x64x24x24',
      bytes: 4 * (pool.numel + pool.numel / 4),
      run: () => nt.nn.functional.maxPool2d(pool, 2),
    },
    {
      // dy and the int64 indices read, dx written
      name: 'max_pool2d_bwd_2x2_64x64x24x24',
      bytes: (4 + 8) * pooled.numel + 4 * pool.numel,
      run: () => maxPoolBackward(pool.shape, indices, geom, dy),
    },
    {
      name: 'avg_pool2d_2x2_64x64x24x24',
      bytes: 4 * (pool.numel + pool.numel / 4),
      run: () => nt.nn.functional.avgPool2d(pool, 2),
    },
    {
      name: 'batch_norm2d_train_8x64x56x56',
      bytes: 4 * 2 * bn.numel,
      run: () => nt.nn.functional.batchNorm(bn, mean, variance, weight, bias, true),
    },
  ];
}

/** Runs the rows and returns the printed table. */
export function runCnn(o: CnnOptions): string {
  const requested = nt.backends.conv.engine;
  const engines: Engine[] = nt.info().convEngine.onednn.available ? ['builtin', 'onednn'] : ['builtin'];
  const ours: Record<Engine, Record<string, Record<string, Stat>>> = { builtin: {}, onednn: {} };
  for (const l of LAYERS) {
    for (const e of engines) {
      o.log(`  conv2d ${l.name} (nodetorch, ${e})`);
      ours[e][l.name] = runOurs(l, o, e);
    }
  }
  nt.backends.conv.engine = requested;
  const used = nt.info().convEngine.engine;
  const opts = { reps: o.reps, minTime: o.minTime };
  const bw: Record<string, Stat> = {};
  const rows = bandwidthRows();
  for (const r of rows) {
    o.log(`  ${r.name} (nodetorch)`);
    bw[r.name] = measure(() => {
      nt.scope(() => {
        nt.noGrad(r.run);
      });
      nt.synchronizeSync();
    }, opts);
  }
  let epoch: EpochResult | null = null;
  if (o.dataDir) {
    o.log(`  MNIST CNN epoch (${o.epochBatches ?? 'all'} batches)`);
    epoch = runCnnEpoch({ dataDir: o.dataDir, batches: o.epochBatches, threads: o.threads, torch: o.torch });
  }
  let theirs: Record<string, Record<string, Stat>> = {};
  let torchError = o.torch ? '' : 'PyTorch not run';
  if (o.torch) {
    o.log('  conv2d (PyTorch)...');
    try {
      const args = ['--threads', String(o.threads), '--reps', String(o.reps), '--min-time', String(o.minTime)];
      theirs = runReference<{ results: Record<string, Record<string, Stat>> }>(
        o.torch,
        'torch_cnn.py',
        args,
        o.threads,
        30 * 60_000,
      ).results;
    } catch (e) {
      torchError = (e as Error).message;
    }
  }
  const lines = [
    `conv2d, float32, CPU, ${o.threads} threads, load ${os.loadavg()[0].toFixed(2)}; GFLOP/s from the median of ${o.reps}; default engine here: ${used}; "vs PyTorch" (default engine) > 1 means nodetorch is faster; the oneDNN engine runs thin weight gradients (K < output channels, conv1) on the im2col GEMM`,
    'layer                    pass          builtin     oneDNN    PyTorch   vs PyTorch',
  ];
  for (const l of LAYERS) {
    const flop = flopOf(l);
    for (const pass of PASSES) {
      const a = ours[used][l.name][pass];
      const t = theirs[l.name]?.[pass];
      const ratio = t ? (t.median / a.median).toFixed(2) : '-';
      const cols = [ours.builtin[l.name]?.[pass], ours.onednn[l.name]?.[pass], t].map((x) =>
        gflops(flop, x).padStart(11),
      );
      lines.push(`${l.name.padEnd(25)}${pass.padEnd(12)}${cols.join('')}${ratio.padStart(13)}`);
    }
  }
  lines.push(
    '',
    'memory-bound rows, float32, GB/s (input read + output written)',
    'row                              nodetorch    PyTorch   vs PyTorch',
  );
  for (const r of rows) {
    const a = bw[r.name];
    const t = theirs[r.name]?.fwd;
    const gbs = (s: Stat | undefined): string => (s ? (r.bytes / s.median / 1e9).toFixed(1) : '-');
    const ratio = t ? (t.median / a.median).toFixed(2) : '-';
    lines.push(`${r.name.padEnd(33)}${gbs(a).padStart(9)}${gbs(t).padStart(11)}${ratio.padStart(13)}`);
  }
  if (torchError) lines.push(`  PyTorch rows: ${torchError}`);
  lines.push('', epoch ? epochTable(epoch) : 'MNIST CNN epoch: skipped (no MNIST IDX files found; --data-dir DIR)');
  return lines.join('\n');
}
