// Turns the measurements into the printed table and the target checks of
// issue #4 (MET / MISSED with the figures).
import { type KernelResult, rate } from './kernels';
import type { MlpResult } from './mlp';
import { type Stat, spreadPct } from './stats';

export interface TorchKernels {
  version: string;
  threads: number;
  results: Record<string, Stat>;
}

export interface Target {
  name: string;
  met: boolean | null; // null: could not be checked
  detail: string;
}

export const f = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : '-');
const pad = (s: string, n: number): string => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number): string => (s.length >= n ? s : ' '.repeat(n - s.length) + s);
const mb = (b: number | null | undefined): string => (b ? `${f(b / 2 ** 20, 0)} MB` : '-');

export function table(rows: string[][], right: boolean[]): string {
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => (right[c] ? lpad(cell, w[c]) : pad(cell, w[c])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** >1: nodetorch faster. Rates compare directly, times inversely. */
function speedup(k: KernelResult, torch: Stat | undefined): number {
  return torch ? torch.median / k.stat.median : NaN;
}

export function kernelTable(ks: KernelResult[], torch: TorchKernels | null): string {
  return table(kernelRows(ks, torch), [false, true, false, true, true, true, true, true, true]);
}

/** The kernel table's cells, header row first (also written by --json for scripts/bench-doc.js). */
export function kernelRows(ks: KernelResult[], torch: TorchKernels | null): string[][] {
  const copy = ks.find((k) => k.name === 'copy');
  const gemmCeil = ks.find((k) => k.name === 'gemm_1024x1024x1024');
  const bw = copy ? rate('GB/s', copy.work, copy.stat) : NaN;
  const ceil = gemmCeil?.direct ? rate('GFLOP/s', gemmCeil.work, gemmCeil.direct) : NaN;
  const rows: string[][] = [
    ['benchmark', 'nodetorch', 'unit', '+-%', 'of ceiling', 'direct call', 'PyTorch', 'vs PyTorch', 'load'],
  ];
  for (const k of ks) {
    const r = rate(k.unit, k.work, k.stat);
    const t = torch?.results[k.name];
    let ofCeil = '';
    if (k.unit === 'GB/s' && k.name !== 'copy') ofCeil = `${f((100 * r) / bw, 0)}% bw`;
    if (k.unit === 'GFLOP/s') ofCeil = `${f((100 * r) / ceil, 0)}% gemm`;
    const direct = k.direct
      ? `${f(rate(k.unit, k.work, k.direct))} (${f((100 * k.direct.median) / k.stat.median, 0)}%)`
      : '';
    rows.push([
      k.name,
      f(r, k.unit === 'us' ? 2 : 1),
      k.unit,
      f(spreadPct(k.stat), 1),
      ofCeil,
      direct,
      t ? f(rate(k.unit, k.work, t), k.unit === 'us' ? 2 : 1) : '-',
      t ? `${f(speedup(k, t), 2)}x` : '-',
      f(k.load, 2),
    ]);
  }
  return rows;
}

export function mlpTable(ms: MlpResult[]): string {
  const errors = mlpErrors(ms);
  return (
    table(mlpRows(ms), [false, true, true, true, true, true, true, true, true, true, false, true]) +
    (errors.length ? `\n  errors: ${errors.join('\n          ')}` : '')
  );
}

/** The MLP table's cells, header row first (also written by --json for scripts/bench-doc.js). */
export function mlpRows(ms: MlpResult[]): string[][] {
  const rows: string[][] = [
    [
      'config',
      'threads',
      'nodetorch s/epoch',
      '+-%',
      'samples/s',
      'PyTorch s/epoch',
      '+-%',
      'time vs PyTorch',
      'peak RSS nt',
      'peak RSS pt',
      'eval loss nt/pt',
      'load',
    ],
  ];
  for (const m of ms) {
    const a = m.nodetorch,
      b = m.pytorch;
    const an = a.epoch,
      bn = b?.epoch;
    const c = m.config;
    rows.push([
      `${c.name} (${c.optimizer} lr ${c.lr}, b${c.batchSize})`,
      String(c.threads),
      an ? f(an.median, 3) : `failed`,
      an ? f(spreadPct(an), 1) : '',
      an && a.run ? f(a.run.samples / an.median, 0) : '-',
      bn ? f(bn.median, 3) : b ? 'failed' : 'skipped',
      bn ? f(spreadPct(bn), 1) : '',
      an && bn ? `${f(an.median / bn.median, 2)}x` : '-',
      mb(a.run?.peakRssBytes),
      mb(b?.run?.peakRssBytes),
      `${a.run?.evalLoss.at(-1)?.toFixed(3) ?? '-'} / ${b?.run?.evalLoss.at(-1)?.toFixed(3) ?? '-'}`,
      f(Math.max(a.load, b?.load ?? 0), 2),
    ]);
  }
  return rows;
}

export function mlpErrors(ms: MlpResult[]): string[] {
  return ms
    .flatMap((m) => [
      m.nodetorch.error && `nodetorch ${m.config.name}/${m.config.threads}t: ${m.nodetorch.error}`,
      m.pytorch?.error && `PyTorch ${m.config.name}/${m.config.threads}t: ${m.pytorch.error}`,
    ])
    .filter((e): e is string => !!e);
}

export function targets(ks: KernelResult[], ms: MlpResult[], mainThreads: number): Target[] {
  const out: Target[] = [];
  const k = (n: string): KernelResult | undefined => ks.find((x) => x.name === n);
  const seed = ms.find((m) => m.config.name === 'seed' && m.config.threads === mainThreads);
  if (seed) {
    const a = seed.nodetorch.epoch,
      b = seed.pytorch?.epoch;
    out.push(
      a && b
        ? {
            name: `seed MLP epoch <= 0.5x PyTorch (${mainThreads} threads)`,
            met: a.median <= 0.5 * b.median,
            detail: `${f(a.median / b.median, 2)}x: nodetorch ${f(a.median, 3)} s vs PyTorch ${f(b.median, 3)} s`,
          }
        : {
            name: `seed MLP epoch <= 0.5x PyTorch (${mainThreads} threads)`,
            met: null,
            detail: a ? 'PyTorch not run' : 'nodetorch run failed',
          },
    );
    const ra = seed.nodetorch.run?.peakRssBytes,
      rb = seed.pytorch?.run?.peakRssBytes;
    out.push(
      ra && rb
        ? {
            name: "peak RSS of the seed run <= PyTorch's",
            met: ra <= rb,
            detail: `nodetorch ${mb(ra)} vs PyTorch ${mb(rb)} (${f(ra / rb, 2)}x)`,
          }
        : { name: "peak RSS of the seed run <= PyTorch's", met: null, detail: 'not measured on both sides' },
    );
  }
  for (const g of ks.filter((x) => x.direct)) {
    const pct = (100 * g.direct!.median) / g.stat.median;
    out.push({
      name: `${g.name}: nt.matmul >= 90% of the direct kernel call`,
      met: pct >= 90,
      detail: `${f(pct, 0)}%`,
    });
  }
  const d0 = k('dispatch_add'),
    d1 = k('dispatch_add_autograd');
  if (d0)
    out.push({
      name: 'dispatch, 1-element add, autograd off <= 2 us',
      met: d0.stat.median <= 2e-6,
      detail: `${f(d0.stat.median * 1e6, 2)} us`,
    });
  if (d1)
    out.push({
      name: 'dispatch, 1-element add, autograd on <= 4 us',
      met: d1.stat.median <= 4e-6,
      detail: `${f(d1.stat.median * 1e6, 2)} us`,
    });
  const copy = k('copy');
  if (copy) {
    const bw = rate('GB/s', copy.work, copy.stat);
    const ce = ks.filter((x) => x.name.startsWith('cross_entropy_')).at(-1);
    for (const x of [ce, k('adam')]) {
      if (!x) continue;
      const r = rate('GB/s', x.work, x.stat);
      out.push({
        name: `${x.name} >= 70% of copy bandwidth`,
        met: r >= 0.7 * bw,
        detail: `${f(r)} GB/s = ${f((100 * r) / bw, 0)}% of ${f(bw)} GB/s`,
      });
    }
  }
  return out;
}

export function targetLines(ts: Target[]): string {
  return ts
    .map((t) => `  [${t.met === null ? 'N/A   ' : t.met ? 'MET   ' : 'MISSED'}] ${t.name}: ${t.detail}`)
    .join('\n');
}
