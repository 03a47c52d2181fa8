// The physical limit (issue 15): this machine's FLOP peak from an FMA loop
// (native/cpu/fma_peak.cpp, reached through the addon's bench-only
// benchFmaPeak) on 1 and N threads, and the GEMM rows and the seed epoch as a
// share of it.
import { native } from '../lib/kernels/native';
import { type ColdResult, summarize } from './cold';
import { type KernelResult, rate } from './kernels';
import type { MlpResult } from './mlp';
import { f, table } from './report';
import { load1 } from './stats';

export interface PeakResult {
  threads: number;
  /** GFLOP/s, the best of `reps` runs (a peak is a maximum: load only lowers it). */
  gflops: number;
  runs: number[];
  isa: string;
  load: number;
}

export function measurePeaks(threadCounts: number[], reps: number, seconds: number): PeakResult[] {
  return [...new Set(threadCounts)].map((threads) => {
    const runs: number[] = [];
    let isa = '';
    for (let r = 0; r < reps; ++r) {
      const p = native.benchFmaPeak(threads, seconds);
      runs.push(p.gflops);
      isa = p.isa;
    }
    return { threads, gflops: Math.max(...runs), runs, isa, load: load1() };
  });
}

/** FLOPs of one seed-MLP sample, forward + backward (no input gradient for layer 1). */
const SEED_SAMPLE_FLOPS = 2 * 784 * 500 * 2 + 2 * 500 * 10 * 3;

export function peakTable(
  peaks: PeakResult[],
  kernels: KernelResult[],
  mlp: MlpResult[],
  threads: number,
  cold: ColdResult | null,
): string {
  const out = [
    `Physical limit: FMA-loop peak (${peaks[0]?.isa ?? '?'}, fp32, best of ${peaks[0]?.runs.length ?? 0}): ${peaks
      .map((p) => `${p.threads} thread(s) ${f(p.gflops)} GFLOP/s (load ${f(p.load, 2)})`)
      .join(', ')}`,
  ];
  const peakOf = (t: number): number => peaks.find((p) => p.threads === t)?.gflops ?? Number.NaN;
  const peakN = peakOf(threads);
  const ceil = kernels.find((k) => k.name === 'gemm_1024x1024x1024');
  const ceilRate = ceil?.direct ? rate('GFLOP/s', ceil.work, ceil.direct) : Number.NaN;
  const rows: string[][] = [['row', 'GFLOP/s', `% of ${threads}-thread peak`, '% of 1024^3 rate']];
  for (const k of kernels) {
    if (k.unit !== 'GFLOP/s') continue;
    const r = rate(k.unit, k.work, k.direct ?? k.stat);
    rows.push([
      k.direct ? `${k.name} (direct)` : k.name,
      f(r),
      `${f((100 * r) / peakN, 0)}%`,
      `${f((100 * r) / ceilRate, 0)}%`,
    ]);
  }
  for (const m of mlp) {
    if (m.config.name !== 'seed' || !m.nodetorch.epoch || !m.nodetorch.run) continue;
    const r = (SEED_SAMPLE_FLOPS * m.nodetorch.run.samples) / m.nodetorch.epoch.median / 1e9;
    const p = peakOf(m.config.threads);
    rows.push([
      `seed epoch, ${m.config.threads} thread(s)`,
      f(r),
      `${f((100 * r) / p, 0)}% (of ${m.config.threads}-thread)`,
      '',
    ]);
  }
  const c = cold ? summarize(cold.nodetorch) : null;
  if (cold && c) {
    const r = (SEED_SAMPLE_FLOPS * 60000) / c.firstEpoch / 1e9; // 60000 MNIST training samples
    const p = peakOf(cold.threads);
    rows.push([
      `cold first epoch, ${cold.threads} thread(s)`,
      f(r),
      `${f((100 * r) / p, 0)}% (of ${cold.threads}-thread)`,
      '',
    ]);
  }
  if (rows.length > 1) out.push(table(rows, [false, true, true, true]));
  return out.join('\n');
}
