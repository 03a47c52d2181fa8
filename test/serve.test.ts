// examples/serve.ts: the micro-batching inference server, in-process on an
// ephemeral port of 127.0.0.1, and its batcher (examples/serve/batcher.ts)
// without HTTP.
import * as http from 'http';
import * as nt from '../lib';
import { startServer } from '../examples/serve';
import { createBatcher } from '../examples/serve/batcher';
import { randomValues } from './helpers';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

function request(port: number, method: string, path: string, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method, path, timeout: 20000, headers: { 'content-type': 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : undefined });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in 20 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

const row = (seed: number): number[] => Array.from(randomValues(784, seed, 0, 1));

describe('createBatcher', () => {
  test('requests in one window run as one batch, split back in order', async () => {
    const calls: number[][] = [];
    const b = createBatcher<number, number>(
      (rows) => {
        calls.push(rows);
        return rows.map((r) => r * 10);
      },
      { maxBatch: 8, maxDelayMs: 5 },
    );
    const out = await Promise.all([b.submit([1]), b.submit([2, 3]), b.submit([4])]);
    expect(out).toEqual([[10], [20, 30], [40]]);
    expect(calls).toEqual([[1, 2, 3, 4]]);
    expect(b.stats()).toMatchObject({ batches: 1, requests: 3, rows: 4, meanBatchSize: 4, queuedRows: 0 });
    await b.close();
  });

  test('maxBatch splits the queue; a full batch runs without waiting', async () => {
    const sizes: number[] = [];
    const b = createBatcher<number, number>(
      (rows) => {
        sizes.push(rows.length);
        return rows;
      },
      { maxBatch: 3, maxDelayMs: 10000 },
    );
    const all = Promise.all([1, 2, 3, 4, 5, 6, 7].map((i) => b.submit([i])));
    await b.close(); // runs the last, partial batch now instead of after 10 s
    expect((await all).flat()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(sizes).toEqual([3, 3, 1]);
    await expect(b.submit([8])).rejects.toThrow('closed');
  });

  test('an async run: one batch at a time; requests arriving meanwhile form the next batch', async () => {
    const calls: number[][] = [];
    let active = 0;
    let most = 0;
    const b = createBatcher<number, number>(
      async (rows) => {
        calls.push(rows);
        most = Math.max(most, ++active);
        await new Promise((r) => setTimeout(r, 20));
        active--;
        return rows.map((r) => -r);
      },
      { maxBatch: 8, maxDelayMs: 0 },
    );
    const first = b.submit([1]);
    await new Promise((r) => setTimeout(r, 5)); // the first batch is running now
    const later = [b.submit([2]), b.submit([3, 4])];
    expect(await first).toEqual([-1]);
    expect(await Promise.all(later)).toEqual([[-2], [-3, -4]]);
    expect(calls).toEqual([[1], [2, 3, 4]]);
    expect(most).toBe(1);
    await b.close();
  });

  test('an error in run rejects that batch only', async () => {
    const b = createBatcher<number, number>(
      (rows) => {
        if (rows.includes(0)) throw new Error('bad row');
        return rows;
      },
      { maxBatch: 1, maxDelayMs: 0 },
    );
    const [a, c] = await Promise.allSettled([b.submit([0]), b.submit([1])]);
    expect(a.status).toBe('rejected');
    expect(c).toEqual({ status: 'fulfilled', value: [1] });
    expect(() => createBatcher((r) => r, { maxBatch: 0 })).toThrow('maxBatch');
  });
});

describe('startServer', () => {
  test('50 concurrent requests: batched, each equal to model.forward on its row', async () => {
    const server = await startServer({ port: 0, maxBatch: 64, maxDelayMs: 5 });
    try {
      const rows = Array.from({ length: 50 }, (_, i) => row(i + 1));
      const replies = await Promise.all(
        rows.map((r) => request(server.port, 'POST', '/predict', JSON.stringify({ inputs: [r] }))),
      );
      for (let i = 0; i < rows.length; ++i) {
        expect(replies[i].status).toBe(200);
        const body = replies[i].body as { logits: number[][]; classes: number[] };
        const expected = nt.noGrad(() =>
          nt.scope(() => {
            const y = server.model.forward(nt.tensor(Float32Array.from(rows[i]), { shape: [1, 784] }));
            return { logits: Array.from(y.data() as Float32Array), cls: Number(y.argmax(1).item()) };
          }),
        );
        expect(body.logits).toHaveLength(1);
        expect(body.logits[0]).toHaveLength(10);
        body.logits[0].forEach((v, j) => expect(v).toBeCloseTo(expected.logits[j], 4));
        expect(body.classes).toEqual([expected.cls]);
      }
      const health = await request(server.port, 'GET', '/health');
      expect(health.status).toBe(200);
      const stats = health.body as { status: string; requests: number; rows: number; meanBatchSize: number };
      expect(stats.status).toBe('ok');
      expect(stats.requests).toBe(50);
      expect(stats.rows).toBe(50);
      expect(stats.meanBatchSize).toBeGreaterThan(1);
      // The event-loop delay the server measured: ms figures, ordered.
      const delay = (await request(server.port, 'GET', '/health?reset=1')).body as {
        eventLoopDelayMs: { p50: number; p99: number; max: number };
      };
      const { p50, p99, max } = delay.eventLoopDelayMs;
      expect(p50).toBeGreaterThanOrEqual(0);
      expect(p99).toBeGreaterThanOrEqual(p50);
      expect(max).toBeGreaterThanOrEqual(p99);

      // Several rows in one request.
      const two = await request(server.port, 'POST', '/predict', JSON.stringify({ inputs: [rows[0], rows[1]] }));
      expect(two.status).toBe(200);
      const twoBody = two.body as { logits: number[][]; classes: number[] };
      expect(twoBody.classes).toEqual([
        (replies[0].body as { classes: number[] }).classes[0],
        (replies[1].body as { classes: number[] }).classes[0],
      ]);
    } finally {
      await server.close();
    }
  });

  test('blockingReads: the same logits and classes as the default (dataAsync) server', async () => {
    const rows = Array.from({ length: 6 }, (_, i) => row(200 + i));
    const answers = async (blockingReads: boolean): Promise<{ logits: number[][]; classes: number[] }[]> => {
      const server = await startServer({ port: 0, seed: 0, maxBatch: 4, maxDelayMs: 5, blockingReads });
      try {
        // One request of two rows and four of one, concurrently: batched either way.
        const bodies = [[rows[0], rows[1]], [rows[2]], [rows[3]], [rows[4]], [rows[5]]];
        const replies = await Promise.all(
          bodies.map((inputs) => request(server.port, 'POST', '/predict', JSON.stringify({ inputs }))),
        );
        expect(replies.map((r) => r.status)).toEqual(Array(bodies.length).fill(200));
        expect(server.stats().rows).toBe(rows.length);
        return replies.map((r) => r.body as { logits: number[][]; classes: number[] });
      } finally {
        await server.close();
      }
    };
    const blocking = await answers(true);
    const viaDataAsync = await answers(false);
    expect(blocking.map((b) => b.classes)).toEqual(viaDataAsync.map((b) => b.classes));
    blocking.forEach((b, i) =>
      b.logits.forEach((l, r) => {
        expect(l).toHaveLength(10);
        l.forEach((v, j) => expect(v).toBeCloseTo(viaDataAsync[i].logits[r][j], 5));
      }),
    );
  });

  test('bad input: 400 naming expected and given; too large: 413; unknown route: 404', async () => {
    const server = await startServer({ port: 0, maxBodyBytes: 64 * 1024 });
    try {
      const err = async (method: string, path: string, body: string | undefined, status: number, text: RegExp) => {
        const r = await request(server.port, method, path, body);
        expect(r.status).toBe(status);
        expect(r.headers['content-type']).toBe('application/json');
        expect((r.body as { error: string }).error).toMatch(text);
      };
      await err('POST', '/predict', '{"inputs": [[1, 2', 400, /expected a JSON body .*got invalid JSON/);
      await err(
        'POST',
        '/predict',
        '{"x": 1}',
        400,
        /expected a JSON body \{"inputs": number\[\]\[\]\}, got "inputs" = undefined/,
      );
      await err('POST', '/predict', '{"inputs": []}', 400, /expected "inputs" to hold 1 to 1024 rows, got 0/);
      await err(
        'POST',
        '/predict',
        JSON.stringify({ inputs: [[1, 2, 3]] }),
        400,
        /inputs\[0\] to be an array of 784 numbers, got an array of 3/,
      );
      const bad = row(1) as unknown[];
      bad[5] = 'abc';
      await err(
        'POST',
        '/predict',
        JSON.stringify({ inputs: [row(2), bad] }),
        400,
        /inputs\[1\]\[5\] to be a finite number, got "abc"/,
      );
      const big = JSON.stringify({ inputs: Array.from({ length: 20 }, (_, i) => row(i)) });
      await err('POST', '/predict', big, 413, /at most 65536 bytes/);
      await err('GET', '/nope', undefined, 404, /expected POST \/predict or GET \/health, got GET \/nope/);
      await err('GET', '/predict', undefined, 405, /expected POST \/predict, got GET/);
      // Still serving after all that.
      const ok = await request(server.port, 'POST', '/predict', JSON.stringify({ inputs: [row(3)] }));
      expect(ok.status).toBe(200);
      expect(server.stats().requests).toBe(1);
    } finally {
      await server.close();
    }
  });

  test('close() answers the requests in flight, then resolves; no tensors left behind', async () => {
    const server = await startServer({ port: 0, maxBatch: 64, maxDelayMs: 200 });
    const before = nt.memory().cpu;
    const pending = Array.from({ length: 10 }, (_, i) =>
      request(server.port, 'POST', '/predict', JSON.stringify({ inputs: [row(100 + i)] })),
    );
    // Wait until all ten are queued in the (long) batching window, then close.
    const deadline = Date.now() + 10000;
    while (server.stats().queuedRows < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(server.stats().queuedRows).toBe(10);
    let closed = false;
    const closing = server.close().then(() => {
      closed = true;
    });
    const replies = await Promise.all(pending);
    expect(replies.map((r) => r.status)).toEqual(Array(10).fill(200));
    await closing;
    expect(closed).toBe(true);
    expect(server.stats()).toMatchObject({ batches: 1, requests: 10, queuedRows: 0 });
    const after = nt.memory().cpu;
    // Every tensor of the batch was disposed (<=: the garbage collector may free older tests' models meanwhile).
    expect(after.tensors).toBeLessThanOrEqual(before.tensors);
    expect(after.bytes).toBeLessThanOrEqual(before.bytes);
    await expect(request(server.port, 'GET', '/health')).rejects.toThrow();
  });
});
