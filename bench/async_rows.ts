// The async rows of `npm run bench` (issue 11), each in a child process so
// its heap, threads and sockets do not disturb other rows: the event loop
// while the seed MLP trains (event_loop_child.ts), and the inference server
// under load, batched vs unbatched vs the synchronous server (blocking reads)
// (serve_load.ts, which starts examples/serve.ts as its own child).
import { spawnSync } from 'child_process';
import * as path from 'path';

import type { EventLoopRun } from './event_loop_child';
import type { LoadReport } from './serve_load';
import { load1 } from './stats';

export interface EventLoopResult {
  run: EventLoopRun | null;
  error?: string;
  load: number;
}

export interface ServeResult {
  report: LoadReport | null;
  error?: string;
  load: number;
}

/** The child's stdout (one JSON document), or an error naming the exit and stderr's tail. */
function runChild<T>(script: string, args: string[], timeoutMs: number): { value: T | null; error?: string } {
  const r = spawnSync(process.execPath, [path.join(__dirname, script), ...args], {
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 16 << 20,
    env: { ...process.env, NODETORCH_QUIET: '1' },
  });
  try {
    const value = JSON.parse(r.stdout) as T & { error?: string };
    if (r.status === 0 && !value.error) return { value };
    return { value: null, error: value.error ?? `exit ${r.status}` };
  } catch {
    const why = r.error?.message ?? r.stderr.trim().split('\n').slice(-3).join(' | ');
    return { value: null, error: `${script} failed (exit ${r.status}): ${why}` };
  }
}

/** `rounds` epochs of each loop, alternating sync and async. */
export function runEventLoop(threads: number, rounds: number, dataDir: string): EventLoopResult {
  const { value, error } = runChild<EventLoopRun>(
    'event_loop_child.js',
    ['--threads', String(threads), '--rounds', String(rounds), '--data-dir', dataDir],
    10 * 60_000,
  );
  return { run: value, error, load: load1() };
}

/** serve_load's defaults: 2000 requests, 200 keep-alive clients; max batch 64, 1, and 1 with blocking reads. */
export function runServe(): ServeResult {
  const { value, error } = runChild<LoadReport>('serve_load.js', ['--json'], 5 * 60_000);
  return { report: value, error, load: load1() };
}
