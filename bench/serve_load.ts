// Load generator for examples/serve.ts, on 127.0.0.1 only: starts the server
// as a child process on an ephemeral port, sends N POST /predict requests of
// one 784-float row from C concurrent keep-alive clients (after a warm-up of
// one uncounted request per client, which opens the connections), and reports
// throughput, latency (p50 / p99 / max), the server's mean batch size and
// its event-loop delay during the load (p99 / max, from its GET /health).
// Three servers, one after the other in the same run:
//   batched      --max-batch 64 (--max-batch): results read with dataAsync
//   unbatched    --max-batch 1: one forward pass per request, dataAsync
//   synchronous  --max-batch 1 --blocking-reads: one forward pass per request,
//                read with the blocking data(), so each pass blocks the
//                server's event loop (the server before async reads)
// Each server is stopped with SIGTERM and must exit 0 (graceful
// shutdown). Bounded: at most 100000 requests and 1000 clients, and a
// deadline (--timeout-s, default 120, for the whole run) that aborts it.
//
//   npx tsc -p tsconfig.build.json && node dist/bench/serve_load.js \
//     [--requests 2000] [--concurrency 200] [--max-batch 64] [--max-delay-ms 2] [--timeout-s 120] [--json]

import { type ChildProcess, spawn } from 'child_process';
import { setMaxListeners } from 'events';
import * as http from 'http';
import * as path from 'path';

const HOST = '127.0.0.1';

/** Nearest-rank percentile of ascending `sorted`. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

interface LoadOptions {
  requests: number;
  concurrency: number;
  maxBatch: number;
  maxDelayMs: number;
  timeoutS: number;
  json: boolean;
}

export type LoadMode = 'batched' | 'unbatched' | 'synchronous';

/** The servers in the order they run: mode, the table's label, max batch (null: --max-batch), blocking reads. */
const MODES: readonly { mode: LoadMode; label: string; maxBatch: number | null; blockingReads: boolean }[] = [
  { mode: 'batched', label: 'batched (async reads)', maxBatch: null, blockingReads: false },
  { mode: 'unbatched', label: 'unbatched (async reads)', maxBatch: 1, blockingReads: false },
  { mode: 'synchronous', label: 'synchronous (blocking reads, unbatched)', maxBatch: 1, blockingReads: true },
];

export interface LoadResult {
  mode: LoadMode;
  /** How the tables name the mode, e.g. "synchronous (blocking reads, unbatched)". */
  label: string;
  maxBatch: number;
  /** The server read results with the blocking data() (--blocking-reads) instead of dataAsync. */
  blockingReads: boolean;
  requests: number;
  errors: number;
  seconds: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanBatchSize: number;
  /** The server's event-loop delay during the load (perf_hooks.monitorEventLoopDelay in examples/serve.ts). */
  eventLoopP99Ms: number;
  eventLoopMaxMs: number;
  /** Live native tensors in the server: after a warm-up request, and after the load. */
  liveTensorsBefore: number;
  liveTensorsAfter: number;
}

function parseArgs(argv: string[]): LoadOptions {
  const o: LoadOptions = { requests: 2000, concurrency: 200, maxBatch: 64, maxDelayMs: 2, timeoutS: 120, json: false };
  const int = (flag: string, v: string | undefined, lo: number, hi: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < lo || n > hi)
      throw new Error(`${flag}: expected an integer in [${lo}, ${hi}], got ${v}`);
    return n;
  };
  for (let i = 0; i < argv.length; ++i) {
    const flag = argv[i];
    const v = argv[i + 1];
    if (flag === '--json') {
      o.json = true;
      continue;
    }
    if (flag === '--requests') o.requests = int(flag, v, 1, 100000);
    else if (flag === '--concurrency') o.concurrency = int(flag, v, 1, 1000);
    else if (flag === '--max-batch') o.maxBatch = int(flag, v, 1, 4096);
    else if (flag === '--max-delay-ms') o.maxDelayMs = int(flag, v, 0, 1000);
    else if (flag === '--timeout-s') o.timeoutS = int(flag, v, 1, 3600);
    else if (flag === '--host') {
      if (v !== HOST) throw new Error(`--host: this load generator only targets ${HOST}, got ${v}`);
    } else throw new Error(`unknown option ${flag}`);
    ++i;
  }
  return o;
}

/** The server as a child process; resolves with its port once it prints it. */
function startChild(
  maxBatch: number,
  maxDelayMs: number,
  blockingReads: boolean,
  signal: AbortSignal,
): Promise<{ child: ChildProcess; port: number }> {
  const script = path.join(__dirname, '..', 'examples', 'serve.js');
  const args = [
    script,
    '--host',
    HOST,
    '--port',
    '0',
    '--max-batch',
    String(maxBatch),
    '--max-delay-ms',
    String(maxDelayMs),
    ...(blockingReads ? ['--blocking-reads'] : []),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], signal });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`the server exited (${code}) before listening: ${stderr.trim()}`)));
  });
}

function stopChild(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) {
      resolve(child.exitCode);
      return;
    }
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

function post(
  agent: http.Agent,
  port: number,
  pathName: string,
  body: string | undefined,
  signal: AbortSignal,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: HOST,
        port,
        agent,
        method: body === undefined ? 'GET' : 'POST',
        path: pathName,
        signal,
        headers:
          body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode === 200) resolve(text);
          else reject(new Error(`${pathName}: HTTP ${res.statusCode} ${text}`));
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A few distinct one-row bodies, made once (the clients' JSON work stays small). */
function makeBodies(count: number): string[] {
  let s = 12345;
  const r = (): number => {
    s = (s * 1103515245 + 12345) >>> 0;
    return Math.round((s / 2 ** 32) * 1000) / 1000;
  };
  return Array.from({ length: count }, () => JSON.stringify({ inputs: [Array.from({ length: 784 }, r)] }));
}

async function runLoad(
  { mode, label, blockingReads }: (typeof MODES)[number],
  maxBatch: number,
  o: LoadOptions,
  signal: AbortSignal,
): Promise<LoadResult> {
  const { child, port } = await startChild(maxBatch, o.maxDelayMs, blockingReads, signal);
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.concurrency });
  let result: LoadResult | undefined;
  let failure: unknown;
  try {
    const bodies = makeBodies(16);
    // Warm-up, not counted: one request per client, which also opens the C keep-alive connections.
    await Promise.all(
      Array.from({ length: o.concurrency }, (_, i) => post(agent, port, '/predict', bodies[i % 16], signal)),
    );
    const health = async (reset = false) =>
      JSON.parse(await post(agent, port, reset ? '/health?reset=1' : '/health', undefined, signal));
    const h0 = await health(true); // the server's event-loop window starts after the warm-up
    const latencies: number[] = [];
    let next = 0;
    let errors = 0;
    const start = performance.now();
    const client = async (): Promise<void> => {
      while (next < o.requests) {
        const i = next++;
        const t0 = performance.now();
        try {
          await post(agent, port, '/predict', bodies[i % bodies.length], signal);
          latencies.push(performance.now() - t0);
        } catch (err) {
          if (signal.aborted) throw err;
          ++errors;
        }
      }
    };
    await Promise.all(Array.from({ length: o.concurrency }, client));
    const seconds = (performance.now() - start) / 1000;
    const h1 = await health();
    const batches = h1.batches - h0.batches;
    latencies.sort((a, b) => a - b);
    result = {
      mode,
      label,
      maxBatch,
      blockingReads,
      requests: o.requests,
      errors,
      seconds,
      reqPerSec: latencies.length / seconds,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: latencies[latencies.length - 1] ?? Number.NaN,
      meanBatchSize: batches > 0 ? (h1.rows - h0.rows) / batches : 0,
      eventLoopP99Ms: h1.eventLoopDelayMs?.p99 ?? Number.NaN,
      eventLoopMaxMs: h1.eventLoopDelayMs?.max ?? Number.NaN,
      liveTensorsBefore: h0.liveTensors,
      liveTensorsAfter: h1.liveTensors,
    };
  } catch (err) {
    failure = err;
  }
  agent.destroy();
  const code = await stopChild(child);
  if (failure !== undefined) throw failure;
  if (code !== 0) throw new Error(`${mode}: the server exited with ${code} on SIGTERM, expected 0`);
  return result as LoadResult;
}

/** What --json prints (bench/async_rows.ts reads it). */
export interface LoadReport {
  requests: number;
  concurrency: number;
  maxDelayMs: number;
  results: LoadResult[];
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const abort = new AbortController();
  setMaxListeners(o.concurrency + 16, abort.signal); // one listener per request in flight
  const deadline = setTimeout(
    () => abort.abort(new Error(`aborted: the run took over ${o.timeoutS} s (--timeout-s)`)),
    o.timeoutS * 1000,
  );
  try {
    const results: LoadResult[] = [];
    for (const m of MODES) results.push(await runLoad(m, m.maxBatch ?? o.maxBatch, o, abort.signal));
    if (o.json) {
      const report: LoadReport = {
        requests: o.requests,
        concurrency: o.concurrency,
        maxDelayMs: o.maxDelayMs,
        results,
      };
      console.log(JSON.stringify(report, null, 2));
      return;
    }
    console.log(
      `${o.requests} requests (one 784-float row each), ${o.concurrency} concurrent keep-alive clients, ${HOST}`,
    );
    const f = (n: number, d = 1): string => n.toFixed(d);
    const rows = [
      [
        'server',
        'max batch',
        'req/s',
        'p50 ms',
        'p99 ms',
        'max ms',
        'mean batch',
        'loop p99 ms',
        'loop max ms',
        'errors',
        'live tensors',
      ],
      ...results.map((r) => [
        r.label,
        String(r.maxBatch),
        f(r.reqPerSec, 0),
        f(r.p50Ms),
        f(r.p99Ms),
        f(r.maxMs),
        f(r.meanBatchSize, 2),
        f(r.eventLoopP99Ms),
        f(r.eventLoopMaxMs),
        String(r.errors),
        `${r.liveTensorsBefore} -> ${r.liveTensorsAfter}`,
      ]),
    ];
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    for (const r of rows)
      console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
  } catch (err) {
    throw abort.signal.aborted ? abort.signal.reason : err;
  } finally {
    clearTimeout(deadline);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
