// The cold row (issue 15): bench/cold_child.ts and reference/torch_cold.py,
// each in a fresh process, in alternating pairs (nodetorch, PyTorch,
// nodetorch, ...) so a change of machine load hits both sides alike.
import { spawnSync } from 'child_process';
import * as path from 'path';

import type { ColdRun } from './cold_child';
import { load1 } from './stats';
import { type TorchRuntime, runReference } from './torch';

export interface ColdSide {
  runs: ColdRun[];
  errors: string[];
}

export interface ColdResult {
  threads: number;
  pairs: number;
  epochs: number;
  nodetorch: ColdSide;
  pytorch: ColdSide | null;
  loads: number[];
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export interface ColdSummary {
  /** Median first-epoch seconds over the pairs. */
  firstEpoch: number;
  /** Median over runs of the first block of 100 steps. */
  first100: number;
  /** Median over runs of the median block of the last epoch (the steady pace). */
  steady100: number;
  /** Per-block medians over runs: the warm-up curve. */
  curve: number[];
  /** Per-block medians of the minor page faults (fresh memory touched). */
  faultCurve: number[];
  /** Per-block medians of the process CPU seconds (all threads), when reported. */
  cpuCurve: number[];
}

export function summarize(side: ColdSide): ColdSummary | null {
  const runs = side.runs.filter((r) => r.per100.length > 0);
  if (!runs.length) return null;
  const blocks = Math.min(...runs.map((r) => r.per100.length));
  const curve = Array.from({ length: blocks }, (_, b) => median(runs.map((r) => r.per100[b])));
  const faultCurve = Array.from({ length: blocks }, (_, b) => median(runs.map((r) => r.faults100?.[b] ?? Number.NaN)));
  const cpuCurve = Array.from({ length: blocks }, (_, b) => median(runs.map((r) => r.cpu100?.[b] ?? Number.NaN)));
  const perEpoch = Math.floor(runs[0].stepsPerEpoch / 100);
  const steadyOf = (r: ColdRun): number => median(r.per100.slice(Math.max(0, r.per100.length - perEpoch)));
  return {
    firstEpoch: median(runs.map((r) => r.firstEpoch)),
    first100: curve[0],
    steady100: median(runs.map(steadyOf)),
    curve,
    faultCurve,
    cpuCurve,
  };
}

function childArgs(threads: number, epochs: number, dataDir: string): string[] {
  return ['--threads', String(threads), '--epochs', String(epochs), '--data-dir', dataDir];
}

function runOurs(threads: number, epochs: number, dataDir: string): ColdRun {
  const r = spawnSync(
    process.execPath,
    [path.join(__dirname, 'cold_child.js'), ...childArgs(threads, epochs, dataDir)],
    {
      encoding: 'utf8',
      timeout: 10 * 60_000,
      env: { ...process.env, NODETORCH_QUIET: '1' },
    },
  );
  const lines = (r.stdout ?? '').trim().split('\n');
  try {
    return JSON.parse(lines[lines.length - 1]) as ColdRun;
  } catch {
    throw new Error(`cold_child failed (exit ${r.status}): ${r.error?.message ?? (r.stderr ?? '').trim().slice(-300)}`);
  }
}

export function runCold(
  threads: number,
  pairs: number,
  epochs: number,
  dataDir: string,
  torch: TorchRuntime | null,
  log: (s: string) => void,
): ColdResult {
  const ours: ColdSide = { runs: [], errors: [] };
  const theirs: ColdSide | null = torch ? { runs: [], errors: [] } : null;
  const loads: number[] = [];
  const take = (side: ColdSide, f: () => ColdRun): void => {
    try {
      const r = f();
      if (r.error) side.errors.push(r.error);
      else side.runs.push(r);
    } catch (e) {
      side.errors.push((e as Error).message);
    }
  };
  for (let p = 0; p < pairs; ++p) {
    loads.push(load1());
    take(ours, () => runOurs(threads, epochs, dataDir));
    if (torch && theirs)
      take(theirs, () =>
        runReference<ColdRun>(torch, 'torch_cold.py', childArgs(threads, epochs, dataDir), threads, 10 * 60_000),
      );
    const a = ours.runs[ours.runs.length - 1]?.firstEpoch;
    const b = theirs?.runs[theirs.runs.length - 1]?.firstEpoch;
    log(
      `  cold pair ${p + 1}/${pairs}: nodetorch ${a?.toFixed(3) ?? '-'} s, PyTorch ${b?.toFixed(3) ?? '-'} s (load ${load1().toFixed(2)})`,
    );
  }
  return { threads, pairs, epochs, nodetorch: ours, pytorch: theirs, loads };
}

const ms = (s: number): string => (s * 1000).toFixed(0);

export function coldTable(r: ColdResult): string {
  const a = summarize(r.nodetorch);
  const b = r.pytorch ? summarize(r.pytorch) : null;
  const out = [
    `Cold row: the user-style seed loop, first epoch in a fresh process, ${r.threads} thread(s), ${r.pairs} alternating pair(s); load ${r.loads.map((l) => l.toFixed(2)).join(', ')}`,
  ];
  const line = (name: string, s: ColdSummary | null, side: ColdSide | null): void => {
    if (!side) return;
    if (!s) {
      out.push(`  ${name}: failed: ${side.errors.join(' | ')}`);
      return;
    }
    out.push(
      `  ${name.padEnd(9)} first epoch ${s.firstEpoch.toFixed(3)} s (runs ${side.runs.map((x) => x.firstEpoch.toFixed(3)).join(', ')}); first 100 steps ${ms(s.first100)} ms, steady 100 steps ${ms(s.steady100)} ms: first/steady ${(s.first100 / s.steady100).toFixed(2)}`,
      `            ms per 100 steps: ${s.curve.map(ms).join(' ')}`,
      `            page faults per 100 steps: ${s.faultCurve.map((x) => x.toFixed(0)).join(' ')}`,
      `            process CPU ms per 100 steps (all threads): ${s.cpuCurve.map(ms).join(' ')}`,
    );
  };
  line('nodetorch', a, r.nodetorch);
  line('PyTorch', b, r.pytorch);
  if (a && b) out.push(`  cold ratio (first epoch, nodetorch / PyTorch): ${(a.firstEpoch / b.firstEpoch).toFixed(2)}x`);
  return out.join('\n');
}
