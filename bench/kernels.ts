// Kernel benchmarks: measured ceilings (GEMM 1024^3, a 256 MB copy), GEMM on
// the seed MLP's shapes, streaming kernels (add, sum, fused cross-entropy,
// fused Adam) at sizes well past the caches, and per-op dispatch overhead.
// Every benchmark has a twin of the same name in reference/torch_kernels.py.
import * as nt from '../lib';
import { BinaryOp, kBinary, kCopy, kCrossEntropy, kGemm } from '../lib/kernels/launch';
import { launchAdam } from '../lib/kernels/fused';
import type { Tensor } from '../lib/tensor/tensor';
import { type MeasureOptions, type Stat, load1, measure, measurePair } from './stats';

export type Unit = 'GB/s' | 'GFLOP/s' | 'us';

export interface KernelResult {
  name: string;
  /** What was timed on our side, in words. */
  what: string;
  unit: Unit;
  /** Bytes or FLOPs per call (unused for 'us'). */
  work: number;
  stat: Stat;
  /** GEMM only: the kernel-level call (native.kernels.gemm into a preallocated C). */
  direct?: Stat;
  load: number;
}

/** Rate in the result's unit (GB/s, GFLOP/s, or microseconds per call). */
export function rate(unit: Unit, work: number, s: Stat): number {
  return unit === 'us' ? s.median * 1e6 : work / s.median / 1e9;
}

export interface KernelOptions extends MeasureOptions {
  /** Elements of the streaming benchmarks (add, sum, Adam); the copy uses 4x. */
  big: number;
  ceRows: number[];
  log: (line: string) => void;
}

const GEMM_SHAPES: readonly [number, number, number][] = [
  [64, 784, 500],
  [256, 784, 500],
  [64, 500, 10],
  [1024, 1024, 1024],
  // The seed MLP's backward shapes (issue 15): dX = dH W (64x500x784),
  // dW1 = dH^T X (500x64x784), dH = dY W2 (64x10x500), dW2 = dY^T H (10x64x500).
  [64, 500, 784],
  [500, 64, 784],
  [64, 10, 500],
  [10, 64, 500],
];

function dispose(...ts: Tensor[]): void {
  for (const t of ts) t.dispose();
}

function gemmDirect(a: Tensor, b: Tensor, c: Tensor, M: number, N: number, K: number): void {
  kGemm(
    1,
    M,
    N,
    K,
    { t: a, ld: K, batchStride: 0, trans: false },
    { t: b, ld: N, batchStride: 0, trans: false },
    { t: c, ld: N, batchStride: 0 },
  );
}

/** One fused Adam step through the optimizer's launcher (lib/kernels/fused.ts). */
function adamStep(p: Tensor, g: Tensor, m: Tensor, v: Tensor, step: number): void {
  const b1 = 0.9,
    b2 = 0.999;
  launchAdam([p], [g], [m], [v], null, {
    lr: 1e-3,
    beta1: b1,
    beta2: b2,
    eps: 1e-8,
    weightDecay: 0,
    bc1: 1 - b1 ** step,
    bc2: 1 - b2 ** step,
    decoupled: false,
    amsgrad: false,
    maximize: false,
  });
}

export function runKernels(options: KernelOptions): KernelResult[] {
  const o = { ...options, sync: () => nt.synchronizeSync() };
  const out: KernelResult[] = [];
  const push = (r: Omit<KernelResult, 'load'>): void => {
    const res = { ...r, load: load1() };
    out.push(res);
    o.log(`  ${r.name}: ${rate(r.unit, r.work, r.stat).toFixed(r.unit === 'us' ? 2 : 1)} ${r.unit}`);
  };

  nt.noGrad(() => {
    // Memory bandwidth: copy of a 256 MB (at the default size) float32 tensor.
    {
      const n = o.big * 4;
      const src = nt.rand([n]);
      const dst = nt.empty([n]);
      push({
        name: 'copy',
        what: 'copy kernel, contiguous float32',
        unit: 'GB/s',
        work: 8 * n,
        stat: measure(() => kCopy(dst, src), o),
      });
      dispose(src, dst);
    }

    for (const [M, K, N] of GEMM_SHAPES) {
      const a = nt.rand([M, K]);
      const b = nt.rand([K, N]);
      const c = nt.empty([M, N]);
      const [direct, stat] = measurePair(
        () => gemmDirect(a, b, c, M, N, K),
        () => nt.matmul(a, b).dispose(),
        o,
      );
      push({
        name: `gemm_${M}x${K}x${N}`,
        what: 'nt.matmul (allocates C)',
        unit: 'GFLOP/s',
        work: 2 * M * N * K,
        stat,
        direct,
      });
      dispose(a, b, c);
    }

    // The seed MLP's first-layer GEMMs as nn.Linear runs them: forward
    // x @ W^T + b (B transposed) and the weight gradient dh^T @ x (A transposed).
    {
      const x = nt.rand([64, 784]),
        w = nt.rand([500, 784]),
        bias = nt.rand([500]),
        dh = nt.rand([64, 500]);
      const dhT = dh.t();
      const work = 2 * 64 * 784 * 500;
      push({
        name: 'linear_fwd_64x784x500',
        what: 'F.linear(x, W, b) = x @ W^T + b',
        unit: 'GFLOP/s',
        work,
        stat: measure(() => nt.nn.functional.linear(x, w, bias).dispose(), o),
      });
      push({
        name: 'linear_dw_500x64x784',
        what: 'dh^T @ x (weight gradient)',
        unit: 'GFLOP/s',
        work,
        stat: measure(() => nt.matmul(dhT, x).dispose(), o),
      });
      dispose(x, w, bias, dh, dhT);
    }

    // nn.Linear's forward where the unpacked small-M kernel runs
    // (native/cpu/gemm_small.cpp): the seed MLP's 500 -> 10 layer, and one row.
    for (const [M, K, N] of [
      [64, 500, 10],
      [1, 784, 500],
    ]) {
      const x = nt.rand([M, K]),
        w = nt.rand([N, K]),
        bias = nt.rand([N]);
      push({
        name: `linear_fwd_${M}x${K}x${N}`,
        what: 'F.linear(x, W, b) = x @ W^T + b',
        unit: 'GFLOP/s',
        work: 2 * M * K * N,
        stat: measure(() => nt.nn.functional.linear(x, w, bias).dispose(), o),
      });
      dispose(x, w, bias);
    }

    {
      const n = o.big;
      const x = nt.rand([n]);
      const y = nt.rand([n]);
      const z = nt.empty([n]);
      push({
        name: 'add',
        what: 'binary add kernel into a preallocated out',
        unit: 'GB/s',
        work: 12 * n,
        stat: measure(() => kBinary(BinaryOp.Add, z, x, y), o),
      });
      push({
        name: 'sum',
        what: 'nt.sum (full reduction)',
        unit: 'GB/s',
        work: 4 * n,
        stat: measure(() => nt.sum(x).dispose(), o),
      });
      dispose(x, y, z);
    }

    for (const rows of o.ceRows) {
      const C = 1000;
      const logits = nt.randn([rows, C]);
      const targets = nt.randint(0, C, [rows]);
      const losses = nt.empty([rows]);
      const dlogits = nt.empty([rows, C]);
      const stat = measure(() => kCrossEntropy(losses, dlogits, logits, targets, -100, 0), o);
      // logits read + dlogits written + int64 targets read + losses written
      push({
        name: `cross_entropy_${rows}x${C}`,
        what: 'fused CE kernel: losses + dlogits',
        unit: 'GB/s',
        work: rows * C * 8 + rows * 12,
        stat,
      });
      dispose(logits, targets, losses, dlogits);
    }

    {
      const n = o.big;
      const p = nt.randn([n]);
      const g = nt.randn([n]);
      const m = nt.zeros([n]);
      const v = nt.zeros([n]);
      let step = 0;
      // p, g, m, v read + p, m, v written
      push({
        name: 'adam',
        what: 'fused Adam kernel, one tensor',
        unit: 'GB/s',
        work: 28 * n,
        stat: measure(() => adamStep(p, g, m, v, ++step), o),
      });
      dispose(p, g, m, v);
    }

    {
      const a = nt.rand([1]);
      const b = nt.rand([1]);
      push({
        name: 'dispatch_add',
        what: 'a.add(b).dispose(), 1 element, autograd off',
        unit: 'us',
        work: 0,
        stat: measure(() => a.add(b).dispose(), o),
      });
      dispose(a, b);
    }
  });
  {
    const a = nt.rand([1]).requiresGrad_();
    const b = nt.rand([1]);
    push({
      name: 'dispatch_add_autograd',
      what: 'a.add(b).dispose(), a requires grad',
      unit: 'us',
      work: 0,
      stat: measure(() => a.add(b).dispose(), o),
    });
    dispose(a, b);
  }
  return out;
}
