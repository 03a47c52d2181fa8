// Saved results (issue 15): every run writes its JSON under bench/results/
// (machine, load, versions, git commit, every row), and `--compare A.json
// B.json` prints each row both files have, with B's time over A's.
import * as fs from 'fs';
import * as path from 'path';

import { packageRoot } from '../bindings/loader';
import { summarize, type ColdResult } from './cold';
import type { HostResult } from './host';
import { type KernelResult, rate } from './kernels';
import type { MlpResult } from './mlp';
import type { PeakResult } from './peak';
import { f, table } from './report';

const RESULTS_DIR = path.join(packageRoot, 'bench', 'results');

/** Writes `data` as bench/results/<UTC date-time>-<commit>.json (or to `file`); returns the path. */
export function saveResults(data: object, commit: string | null, file?: string): string {
  const name =
    file ??
    path.join(
      RESULTS_DIR,
      `${new Date().toISOString().replace(/[:.]/g, '-')}-${(commit ?? 'nogit').slice(0, 10)}.json`,
    );
  fs.mkdirSync(path.dirname(name), { recursive: true });
  fs.writeFileSync(name, `${JSON.stringify(data, null, 1)}\n`);
  return name;
}

/** The parts of a saved run that --compare reads (every field optional: older files lack some). */
interface Saved {
  date?: string;
  source?: { commit: string | null; dirty: boolean };
  machine?: { cpuModel: string; loadAverage: number[] };
  kernels?: KernelResult[];
  mlp?: MlpResult[];
  cold?: ColdResult | null;
  peaks?: PeakResult[];
  host?: HostResult | null;
  loadAverageEnd?: number;
}

/** One comparable figure: seconds (lower is better) or a rate (higher is better). */
interface Row {
  value: number;
  unit: string;
  higherIsBetter: boolean;
}

function rowsOf(s: Saved): Map<string, Row> {
  const m = new Map<string, Row>();
  const put = (name: string, value: number | undefined | null, unit: string, higherIsBetter: boolean): void => {
    if (value !== undefined && value !== null && Number.isFinite(value)) m.set(name, { value, unit, higherIsBetter });
  };
  for (const k of s.kernels ?? []) {
    put(`kernel ${k.name}`, rate(k.unit, k.work, k.stat), k.unit, k.unit !== 'us');
    if (k.direct) put(`kernel ${k.name} (direct)`, rate(k.unit, k.work, k.direct), k.unit, true);
  }
  for (const r of s.mlp ?? []) {
    const key = `mlp ${r.config.name} ${r.config.threads}t`;
    put(`${key} nodetorch epoch`, r.nodetorch.epoch?.median, 's', false);
    put(`${key} PyTorch epoch`, r.pytorch?.epoch?.median, 's', false);
  }
  if (s.cold) {
    for (const [side, name] of [
      [s.cold.nodetorch, 'nodetorch'],
      [s.cold.pytorch, 'PyTorch'],
    ] as const) {
      const c = side ? summarize(side) : null;
      if (!c) continue;
      put(`cold ${s.cold.threads}t ${name} first epoch`, c.firstEpoch, 's', false);
      put(`cold ${s.cold.threads}t ${name} first 100 steps`, c.first100, 's', false);
      put(`cold ${s.cold.threads}t ${name} steady 100 steps`, c.steady100, 's', false);
    }
  }
  for (const p of s.peaks ?? []) put(`FMA peak ${p.threads}t`, p.gflops, 'GFLOP/s', true);
  if (s.host) {
    const h = s.host;
    put(`host ${h.threads}t forward no grad (tiny)`, h.forwardNoGrad.median, 's', false);
    put(`host ${h.threads}t forward recorded (tiny)`, h.forwardRecorded.median, 's', false);
    put(`host ${h.threads}t full step (tiny)`, h.fullStepTiny.median, 's', false);
    put(`host ${h.threads}t seed step`, h.fullStepSeed.median, 's', false);
  }
  return m;
}

function describe(file: string, s: Saved): string {
  const load = s.machine?.loadAverage?.[0];
  return `${file}: ${s.date ?? '?'}, commit ${s.source?.commit?.slice(0, 10) ?? '?'}${s.source?.dirty ? ' (dirty)' : ''}, ${s.machine?.cpuModel ?? '?'}, load at start ${load === undefined ? '?' : f(load, 2)}, at end ${s.loadAverageEnd === undefined ? '?' : f(s.loadAverageEnd, 2)}`;
}

const show = (r: Row): string =>
  r.unit === 's' && r.value < 1e-3
    ? `${f(r.value * 1e6, 1)} us`
    : r.unit === 's'
      ? `${f(r.value * 1e3, 2)} ms`
      : `${f(r.value, r.unit === 'us' ? 2 : 1)} ${r.unit}`;

/** The --compare table: each row in both files, B's value, A's, and B's time over A's (< 1: B is faster). */
export function compareResults(fileA: string, fileB: string): string {
  const read = (p: string): Saved => JSON.parse(fs.readFileSync(p, 'utf8')) as Saved;
  const a = read(fileA);
  const b = read(fileB);
  const ra = rowsOf(a);
  const rb = rowsOf(b);
  const rows: string[][] = [['row', 'A', 'B', 'B time / A time']];
  for (const [name, x] of ra) {
    const y = rb.get(name);
    if (!y) continue;
    const ratio = x.higherIsBetter ? x.value / y.value : y.value / x.value;
    rows.push([name, show(x), show(y), `${f(ratio, 2)}x`]);
  }
  const onlyOne = [...ra.keys()].filter((k) => !rb.has(k)).length + [...rb.keys()].filter((k) => !ra.has(k)).length;
  return [
    `A = ${describe(fileA, a)}`,
    `B = ${describe(fileB, b)}`,
    '"B time / A time" < 1: B is faster (rates are turned into times).',
    rows.length > 1 ? table(rows, [false, true, true, true]) : 'no row is in both files',
    ...(onlyOne ? [`${onlyOne} row(s) are in only one of the files`] : []),
  ].join('\n');
}
