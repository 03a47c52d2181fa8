// Micro-batching for an inference server, with no HTTP in it: callers
// `submit` a request of one or more rows and get a promise of its results;
// requests that arrive within `maxDelayMs` of the first queued one, up to
// `maxBatch` rows, run together in one call of `run`, whose results are split
// back per request. One batch runs at a time: `run` may return a promise (a
// forward pass whose results are read with `dataAsync`, so the event loop
// keeps accepting requests meanwhile), and what arrives while it runs forms
// the next batch, which starts as soon as it ends.
// examples/serve.ts uses it; test/serve.test.ts tests it on its own.

export interface BatcherOptions {
  /** Most rows in one batch (default 64; 1 turns batching off). A request with more rows runs alone. */
  maxBatch?: number;
  /** How long the first queued request waits for others, in ms (default 2; 0: the rest of this event-loop turn). */
  maxDelayMs?: number;
}

export interface BatcherStats {
  /** Batches run (calls of `run`). */
  batches: number;
  /** Requests completed (resolved or rejected by `run`). */
  requests: number;
  /** Rows run. */
  rows: number;
  /** rows / batches (0 before the first batch). */
  meanBatchSize: number;
  /** requests / batches (0 before the first batch). */
  meanRequestsPerBatch: number;
  /** Most rows in one batch so far. */
  maxBatchSeen: number;
  /** Rows waiting for the next batch. */
  queuedRows: number;
}

/**
 * `run` receives the rows of every request in the batch, concatenated in
 * order, and returns one result per row.
 */
export type RunBatch<Row, Out> = (rows: Row[]) => Out[] | Promise<Out[]>;

export interface Batcher<Row, Out> {
  /** Queues a request; resolves with one result per row, in order. Rejects once `close` was called. */
  submit(rows: Row[]): Promise<Out[]>;
  stats(): BatcherStats;
  /** Stops accepting requests, runs what is queued, and resolves when it is done. */
  close(): Promise<void>;
  readonly closed: boolean;
}

interface Pending<Row, Out> {
  rows: Row[];
  resolve: (out: Out[]) => void;
  reject: (err: unknown) => void;
}

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name}: expected a positive integer, got ${v}`);
  return v;
}

export function createBatcher<Row, Out>(run: RunBatch<Row, Out>, options: BatcherOptions = {}): Batcher<Row, Out> {
  const maxBatch = positiveInt('maxBatch', options.maxBatch ?? 64);
  const maxDelayMs = options.maxDelayMs ?? 2;
  if (!(Number.isFinite(maxDelayMs) && maxDelayMs >= 0))
    throw new RangeError(`maxDelayMs: expected a number >= 0, got ${maxDelayMs}`);

  let queue: Pending<Row, Out>[] = [];
  let queuedRows = 0;
  let timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  let closed = false;
  let running: Promise<void> | undefined;
  const totals = { batches: 0, requests: 0, rows: 0, maxBatchSeen: 0 };

  function clearTimer(): void {
    if (timer === undefined) return;
    if (maxDelayMs > 0) clearTimeout(timer as NodeJS.Timeout);
    else clearImmediate(timer as NodeJS.Immediate);
    timer = undefined;
  }

  /** Runs one batch: the queued requests that fit in maxBatch rows (at least one). */
  async function runOne(): Promise<void> {
    let take = 1;
    let rows = queue[0].rows.length;
    while (take < queue.length && rows + queue[take].rows.length <= maxBatch) rows += queue[take++].rows.length;
    const batch = queue.slice(0, take);
    queue = queue.slice(take);
    queuedRows -= rows;
    const input: Row[] = batch.length === 1 ? batch[0].rows : batch.flatMap((p) => p.rows);
    totals.batches += 1;
    totals.requests += batch.length;
    totals.rows += rows;
    totals.maxBatchSeen = Math.max(totals.maxBatchSeen, rows);
    let out: Out[];
    try {
      out = await run(input);
      if (out.length !== rows) throw new Error(`run returned ${out.length} results for ${rows} rows`);
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    let at = 0;
    for (const p of batch) {
      p.resolve(out.slice(at, at + p.rows.length));
      at += p.rows.length;
    }
  }

  /** Runs everything queued, in batches of at most maxBatch rows, one batch at a time. */
  function flush(): void {
    clearTimer();
    if (running !== undefined) return; // the running drain takes what was queued
    running = (async () => {
      while (queue.length > 0) await runOne();
    })().finally(() => {
      running = undefined;
      // Requests submitted from the last batch's callbacks, after the loop ended.
      if (queue.length > 0) schedule();
    });
  }

  function schedule(): void {
    if (queuedRows >= maxBatch) {
      flush();
      return;
    }
    if (timer !== undefined) return;
    timer = maxDelayMs > 0 ? setTimeout(flush, maxDelayMs) : setImmediate(flush);
  }

  return {
    submit(rows: Row[]): Promise<Out[]> {
      if (closed) return Promise.reject(new Error('the batcher is closed'));
      if (!Array.isArray(rows) || rows.length === 0)
        return Promise.reject(new RangeError(`submit: expected at least one row, got ${rows?.length}`));
      return new Promise<Out[]>((resolve, reject) => {
        queue.push({ rows, resolve, reject });
        queuedRows += rows.length;
        schedule();
      });
    },
    stats(): BatcherStats {
      const { batches, requests, rows, maxBatchSeen } = totals;
      return {
        batches,
        requests,
        rows,
        meanBatchSize: batches ? rows / batches : 0,
        meanRequestsPerBatch: batches ? requests / batches : 0,
        maxBatchSeen,
        queuedRows,
      };
    },
    async close(): Promise<void> {
      closed = true;
      flush();
      while (running !== undefined) await running;
    },
    get closed() {
      return closed;
    },
  };
}
