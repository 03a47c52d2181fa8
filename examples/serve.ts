// An HTTP inference server for the seed MNIST MLP (784 -> 500 -> 10), with
// micro-batching: concurrent requests that arrive within --max-delay-ms of
// each other (up to --max-batch rows) run as one forward pass under
// nt.noGrad in an nt.scope, and the results are split back per request
// (examples/serve/batcher.ts).
//
//   POST /predict  {"inputs": number[][]}  (each row 784 numbers)
//                  -> {"logits": number[][], "classes": number[]}
//   GET  /health   {"status": "ok", "batches", "requests", "rows", "meanBatchSize", ..., "liveTensors", "liveBytes",
//                   "eventLoopDelayMs": {"p50", "p99", "max"}}
//                  (the delay since the start, or since the last GET /health?reset=1)
//
// Run (after `npx tsc -p tsconfig.build.json`):
//   node dist/examples/serve.js [--port 8080] [--host 127.0.0.1] [--checkpoint model.safetensors]
//                               [--max-batch 64] [--max-delay-ms 2] [--max-body-bytes 8388608]
//                               [--seed 0] [--blocking-reads]
// Without --checkpoint the model is initialised from seed 0. A checkpoint is a
// safetensors state dict of the MLP (fc1.weight, fc1.bias, fc2.weight,
// fc2.bias), e.g. the one `nodetorch train` writes. --blocking-reads reads
// the results with the blocking t.data() instead of dataAsync (the server as
// it was before async reads: each forward pass blocks the event loop;
// bench/serve_load.ts compares the two). SIGINT / SIGTERM: stop
// accepting, answer what is queued, close, exit 0.
// bench/serve_load.ts load-tests it.

import * as http from 'http';
import type { AddressInfo } from 'net';
import { monitorEventLoopDelay } from 'perf_hooks';
import * as nt from '../lib';
import { MLP } from '../lib/cli/mlp';
import { type BatcherStats, createBatcher } from './serve/batcher';

const FEATURES = 784;

export interface ServerOptions {
  /** 0 (default): an ephemeral port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** A safetensors state dict for the model; without it, a fresh MLP from `seed`. */
  checkpoint?: string;
  /** A model to serve instead (its forward maps [N, 784] to [N, classes]). */
  model?: MLP;
  seed?: number;
  /** Most rows in one forward pass (default 64; 1: no batching). */
  maxBatch?: number;
  /** Batching window in ms (default 2). */
  maxDelayMs?: number;
  /** Largest request body accepted (default 8 MiB). */
  maxBodyBytes?: number;
  /** Most rows in one request (default 1024). */
  maxRows?: number;
  /**
   * Read each batch's results with the blocking `data()` instead of
   * `dataAsync()`: the forward pass then runs on the JavaScript thread and
   * blocks the event loop (default false).
   */
  blockingReads?: boolean;
}

export interface RunningServer {
  port: number;
  model: MLP;
  stats(): BatcherStats;
  /** Stops accepting, answers every request already received, closes the server. */
  close(): Promise<void>;
}

interface Prediction {
  logits: number[];
  cls: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}...` : v);
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

/** The rows of a /predict body, or an HttpError(400) naming what was expected and what was given. */
function parseInputs(text: string, maxRows: number): Float32Array[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new HttpError(
      400,
      `expected a JSON body {"inputs": number[][]}, got invalid JSON (${(err as Error).message})`,
    );
  }
  const inputs = (body as { inputs?: unknown } | null)?.inputs;
  if (typeof body !== 'object' || body === null || !Array.isArray(inputs))
    throw new HttpError(400, `expected a JSON body {"inputs": number[][]}, got "inputs" = ${show(inputs)}`);
  if (inputs.length === 0 || inputs.length > maxRows)
    throw new HttpError(400, `expected "inputs" to hold 1 to ${maxRows} rows, got ${inputs.length}`);
  return inputs.map((row: unknown, i) => {
    if (!Array.isArray(row) || row.length !== FEATURES)
      throw new HttpError(400, `expected inputs[${i}] to be an array of ${FEATURES} numbers, got ${show(row)}`);
    const out = new Float32Array(FEATURES);
    for (let j = 0; j < FEATURES; ++j) {
      const v = row[j];
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw new HttpError(400, `expected inputs[${i}][${j}] to be a finite number, got ${show(v)}`);
      out[j] = v;
    }
    return out;
  });
}

function readBody(req: http.IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > maxBytes) {
      reject(new HttpError(413, `expected a body of at most ${maxBytes} bytes, got Content-Length ${declared}`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.removeAllListeners('data');
        req.pause();
        reject(new HttpError(413, `expected a body of at most ${maxBytes} bytes, got more`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function loadModel(options: ServerOptions): MLP {
  if (options.model) return options.model;
  nt.manualSeed(options.seed ?? 0);
  const model = new MLP();
  if (options.checkpoint) {
    const state = nt.load(options.checkpoint);
    model.loadStateDict(state);
    for (const t of Object.values(state)) t.dispose();
  }
  model.eval();
  return model;
}

/**
 * One forward pass over the concatenated rows; every tensor it makes is
 * disposed. The ops only record kernels; the results are read with dataAsync,
 * so the server keeps accepting requests while the pass computes, or, with
 * `blocking`, with data(), which runs the kernels on this thread and blocks
 * the event loop until they are done.
 */
async function predictBatch(model: MLP, rows: Float32Array[], blocking: boolean): Promise<Prediction[]> {
  const flat = new Float32Array(rows.length * FEATURES);
  rows.forEach((r, i) => flat.set(r, i * FEATURES));
  const [logits, classes] = nt.noGrad(() =>
    nt.scope(() => {
      const out = model.forward(nt.tensor(flat, { shape: [rows.length, FEATURES] }));
      return [out, out.argmax(1)];
    }),
  );
  try {
    const values = (blocking ? logits.data() : await logits.dataAsync()) as Float32Array;
    const cls = (blocking ? classes.data() : await classes.dataAsync()) as BigInt64Array;
    const k = logits.shape[1];
    return rows.map((_, i) => ({ logits: Array.from(values.subarray(i * k, (i + 1) * k)), cls: Number(cls[i]) }));
  } finally {
    logits.dispose();
    classes.dispose();
  }
}

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const model = loadModel(options);
  const maxBodyBytes = options.maxBodyBytes ?? 8 * 1024 * 1024;
  const maxRows = options.maxRows ?? 1024;
  const blocking = options.blockingReads ?? false;
  const batcher = createBatcher<Float32Array, Prediction>((rows) => predictBatch(model, rows, blocking), {
    maxBatch: options.maxBatch ?? 64,
    maxDelayMs: options.maxDelayMs ?? 2,
  });
  // How long requests wait for the event loop: bench/serve_load.ts reads it
  // around a load.
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  let closing = false;
  let inFlight = 0;
  let idle: (() => void) | undefined;

  function send(res: http.ServerResponse, status: number, body: unknown, extra: http.OutgoingHttpHeaders = {}): void {
    const text = JSON.stringify(body);
    const headers: http.OutgoingHttpHeaders = {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      ...extra,
    };
    if (closing) headers.connection = 'close';
    res.writeHead(status, headers);
    res.end(text);
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const [url, query = ''] = (req.url ?? '/').split('?');
    if (url === '/health') {
      if (req.method !== 'GET')
        return send(res, 405, { error: `expected GET /health, got ${req.method}` }, { allow: 'GET' });
      const { tensors, bytes } = nt.memory().cpu;
      const ms = (ns: number): number => ns / 1e6;
      send(res, 200, {
        status: closing ? 'closing' : 'ok',
        ...batcher.stats(),
        liveTensors: tensors,
        liveBytes: bytes,
        eventLoopDelayMs: {
          p50: ms(loopDelay.percentile(50)),
          p99: ms(loopDelay.percentile(99)),
          max: ms(loopDelay.max),
        },
      });
      if (new URLSearchParams(query).get('reset') === '1') loopDelay.reset();
      return;
    }
    if (url !== '/predict') {
      req.resume();
      return send(res, 404, { error: `expected POST /predict or GET /health, got ${req.method} ${url}` });
    }
    if (req.method !== 'POST') {
      req.resume();
      return send(res, 405, { error: `expected POST /predict, got ${req.method}` }, { allow: 'POST' });
    }
    const rows = parseInputs(await readBody(req, maxBodyBytes), maxRows);
    if (batcher.closed) throw new HttpError(503, 'the server is shutting down');
    const out = await batcher.submit(rows);
    send(res, 200, { logits: out.map((p) => p.logits), classes: out.map((p) => p.cls) });
  }

  const server = http.createServer((req, res) => {
    if (closing) {
      req.resume();
      send(res, 503, { error: 'the server is shutting down' });
      return;
    }
    ++inFlight;
    handle(req, res)
      .catch((err: unknown) => {
        const status = err instanceof HttpError ? err.status : 500;
        // A body cut off at the cap is not read further: close the connection after the answer.
        send(
          res,
          status,
          { error: err instanceof Error ? err.message : String(err) },
          status === 413 ? { connection: 'close' } : {},
        );
      })
      .finally(() => {
        if (--inFlight === 0 && idle) idle();
      });
  });
  server.keepAliveTimeout = 5000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });

  let closed: Promise<void> | undefined;
  async function close(): Promise<void> {
    closing = true;
    loopDelay.disable();
    const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    // Requests already received finish: the batcher runs what it has queued,
    // and the handlers whose bodies are still arriving get to submit theirs.
    if (inFlight > 0) await new Promise<void>((resolve) => (idle = resolve));
    await batcher.close();
    server.closeIdleConnections();
    const force = setTimeout(() => server.closeAllConnections(), 5000);
    await serverClosed;
    clearTimeout(force);
  }

  return {
    port: (server.address() as AddressInfo).port,
    model,
    stats: () => batcher.stats(),
    close: () => {
      closed ??= close();
      return closed;
    },
  };
}

function parseArgs(argv: string[]): ServerOptions {
  const opts: ServerOptions = { port: 8080 };
  const num = (flag: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || v === '' || !Number.isFinite(n)) throw new Error(`${flag}: expected a number, got ${v}`);
    return n;
  };
  for (let i = 0; i < argv.length; ++i) {
    const flag = argv[i];
    const v = argv[i + 1];
    switch (flag) {
      case '--port':
        opts.port = num(flag, v);
        break;
      case '--host':
        if (!v) throw new Error('--host: expected a host name');
        opts.host = v;
        break;
      case '--checkpoint':
        if (!v) throw new Error('--checkpoint: expected a file');
        opts.checkpoint = v;
        break;
      case '--max-batch':
        opts.maxBatch = num(flag, v);
        break;
      case '--max-delay-ms':
        opts.maxDelayMs = num(flag, v);
        break;
      case '--max-body-bytes':
        opts.maxBodyBytes = num(flag, v);
        break;
      case '--seed':
        opts.seed = num(flag, v);
        break;
      case '--blocking-reads':
        opts.blockingReads = true;
        continue; // takes no value
      default:
        throw new Error(
          `unknown option ${flag} (expected --port, --host, --checkpoint, --max-batch, --max-delay-ms, --max-body-bytes, --seed, --blocking-reads)`,
        );
    }
    ++i;
  }
  return opts;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const server = await startServer(opts);
  // One line a parent process (bench/serve_load.ts) reads the port from.
  console.log(`listening on http://${opts.host ?? '127.0.0.1'}:${server.port}`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.error(`${signal}: closing`);
    server.close().then(
      () => {
        console.error(`closed (${JSON.stringify(server.stats())})`);
        process.exit(0);
      },
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
