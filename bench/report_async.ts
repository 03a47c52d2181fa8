// The async rows' tables and their target checks (issue 11): event-loop delay
// while training, async vs sync epoch time, and serving: the batched server
// (async reads) against the synchronous one (blocking reads, one forward pass
// per request), with the unbatched async-read server in between.
import type { EventLoopResult, ServeResult } from './async_rows';
import type { LoadResult } from './serve_load';
import type { EpochFigures, Loop } from './event_loop_child';
import { type Target, f, table } from './report';
import { spreadPct, statOf } from './stats';

interface LoopSummary {
  /** Best (min) epoch time: machine noise only ever adds time. */
  best: number;
  spreadPct: number;
  /** Worst epoch's figures: the targets are bounds. */
  p99Ms: number;
  maxMs: number;
  loss: number;
  epochs: number;
}

function summary(r: EventLoopResult, loop: Loop): LoopSummary | null {
  const es: EpochFigures[] = r.run?.epochs.filter((e) => e.loop === loop) ?? [];
  if (!es.length) return null;
  const s = statOf(es.map((e) => e.seconds));
  return {
    best: s.min,
    spreadPct: spreadPct(s),
    p99Ms: Math.max(...es.map((e) => e.eventLoopP99Ms)),
    maxMs: Math.max(...es.map((e) => e.eventLoopMaxMs)),
    loss: es[es.length - 1].loss,
    epochs: es.length,
  };
}

/** The event-loop table's cells, header row first (also in --json for scripts/bench-doc.js). */
export function eventLoopRows(r: EventLoopResult): string[][] {
  const sync = summary(r, 'sync');
  const rows = [
    ['loop', 'threads', 'best s/epoch', '+-%', 'vs for...of', 'event-loop p99 ms', 'event-loop max ms', 'loss', 'load'],
  ];
  for (const [name, s] of [
    ['for...of (sync)', sync],
    [`for await (prefetch ${r.run?.prefetch ?? '-'})`, summary(r, 'async')],
  ] as const) {
    rows.push([
      name,
      String(r.run?.threads ?? '-'),
      s ? f(s.best, 3) : 'failed',
      s ? f(s.spreadPct, 1) : '',
      s && sync ? `${f(s.best / sync.best, 2)}x` : '-',
      s ? f(s.p99Ms) : '-',
      s ? f(s.maxMs) : '-',
      s ? f(s.loss, 4) : '-',
      f(r.load, 2),
    ]);
  }
  return rows;
}

export function eventLoopTable(r: EventLoopResult): string {
  return (
    table(eventLoopRows(r), [false, true, true, true, true, true, true, true, true]) +
    (r.error ? `\n  error: ${r.error}` : '')
  );
}

/** The serving table's cells, header row first (also in --json for scripts/bench-doc.js). */
export function serveRows(r: ServeResult): string[][] {
  const rows = [
    [
      'server',
      'max batch',
      'req/s',
      'p50 ms',
      'p99 ms',
      'max ms',
      'mean batch',
      'server loop p99 ms',
      'server loop max ms',
      'errors',
      'load',
    ],
  ];
  for (const x of r.report?.results ?? []) {
    rows.push([
      x.label,
      String(x.maxBatch),
      f(x.reqPerSec, 0),
      f(x.p50Ms),
      f(x.p99Ms),
      f(x.maxMs),
      f(x.meanBatchSize, 2),
      f(x.eventLoopP99Ms),
      f(x.eventLoopMaxMs),
      String(x.errors),
      f(r.load, 2),
    ]);
  }
  return rows;
}

export function serveTable(r: ServeResult): string {
  return (
    table(serveRows(r), [false, true, true, true, true, true, true, true, true, true, true]) +
    (r.error ? `\n  error: ${r.error}` : '')
  );
}

/**
 * The server's event-loop delay while it serves, per mode: the before
 * (synchronous: blocking reads) and after (async reads) of issue 11. Reported,
 * not a target. Also in --json (tables.serveLoop) for scripts/bench-doc.js.
 */
export function serveLoopLine(r: ServeResult): string | null {
  const rs = r.report?.results ?? [];
  if (!rs.length) return null;
  const one = (x: LoadResult): string => `${x.label} ${f(x.eventLoopP99Ms)} / ${f(x.eventLoopMaxMs)} ms`;
  return `Server event-loop delay while serving, p99 / max: ${rs.map(one).join('; ')}.`;
}

export function asyncTargets(el: EventLoopResult | null, serve: ServeResult | null): Target[] {
  const out: Target[] = [];
  if (el) {
    const sync = summary(el, 'sync'),
      as = summary(el, 'async');
    const na = (name: string): Target => ({ name, met: null, detail: el.error ?? 'not measured' });
    const before = sync ? ` (for...of: ${f(sync.maxMs, 0)} ms, blocked for the whole epoch)` : '';
    const p99 = 'event-loop p99 while training (for await) <= 20 ms';
    const max = 'event-loop max while training (for await) <= 50 ms';
    const ratio = 'for-await epoch <= 1.05x for...of (same process and weights)';
    out.push(
      as ? { name: p99, met: as.p99Ms <= 20, detail: `${f(as.p99Ms)} ms (the worst epoch of ${as.epochs})` } : na(p99),
    );
    out.push(as ? { name: max, met: as.maxMs <= 50, detail: `${f(as.maxMs)} ms${before}` } : na(max));
    out.push(
      as && sync
        ? {
            name: ratio,
            met: as.best <= 1.05 * sync.best,
            detail: `${f(as.best / sync.best, 2)}x: ${f(as.best, 3)} s vs ${f(sync.best, 3)} s (best of ${as.epochs} each, interleaved)`,
          }
        : na(ratio),
    );
  }
  if (serve) {
    const rs = serve.report?.results ?? [];
    const b = rs.find((x) => x.mode === 'batched');
    const sy = rs.find((x) => x.mode === 'synchronous');
    const tput = 'serving: batched throughput >= the synchronous server (blocking reads, unbatched)';
    const p99 = 'serving: batched p99 latency < the synchronous server';
    const na = (name: string): Target => ({ name, met: null, detail: serve.error ?? 'not measured' });
    out.push(
      b && sy
        ? {
            name: tput,
            met: b.reqPerSec >= sy.reqPerSec,
            detail: `${f(b.reqPerSec, 0)} vs ${f(sy.reqPerSec, 0)} req/s (${f(b.reqPerSec / sy.reqPerSec, 2)}x)`,
          }
        : na(tput),
    );
    out.push(b && sy ? { name: p99, met: b.p99Ms < sy.p99Ms, detail: `${f(b.p99Ms)} vs ${f(sy.p99Ms)} ms` } : na(p99));
  }
  return out;
}
