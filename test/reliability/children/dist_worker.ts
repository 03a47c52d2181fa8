// Run under `mpirun -n N` by test/distributed_collectives.test.ts. Modes:
//   collectives  every collective against its definition; prints one JSON line per rank
//   stall        rank 1 stops calling collectives: rank 0 must get a DistributedError
//   kill         rank 1 is killed mid-run: rank 0 must not hang
// Every rank derives every rank's inputs from a shared seed, so each can
// compute the expected results itself.
import * as nt from '../../../lib';

const d = nt.distributed;
const mode = process.argv[2] ?? 'collectives';
const timeoutMs = Number(process.argv[3] ?? 20000);

type DType = 'float32' | 'float64' | 'int64';
const DTYPES: DType[] = ['float32', 'float64', 'int64'];
const SIZES = [0, 1, 1001];

/** mulberry32: the same stream on every rank for the same seed. */
function stream(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Rank r's input of n elements: floats in [-1, 1), integers in [-1000, 1000]. */
function inputOf(r: number, n: number, dtype: DType, salt: number): number[] {
  const next = stream(r * 7919 + n * 31 + salt * 1_000_003 + DTYPES.indexOf(dtype));
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const u = next();
    out.push(
      dtype === 'int64' ? Math.floor(u * 2001) - 1000 : dtype === 'float32' ? Math.fround(u * 2 - 1) : u * 2 - 1,
    );
  }
  return out;
}

const failures: string[] = [];
let checks = 0;

function expectClose(what: string, got: ArrayLike<number | bigint>, want: number[], dtype: DType): void {
  checks++;
  if (got.length !== want.length) {
    failures.push(`${what}: ${got.length} elements, expected ${want.length}`);
    return;
  }
  const tol = dtype === 'float32' ? 1e-6 : dtype === 'float64' ? 1e-14 : 0;
  for (let i = 0; i < want.length; i++) {
    const g = Number(got[i]);
    if (!(Math.abs(g - want[i]) <= tol * Math.max(1, Math.abs(want[i])))) {
      failures.push(`${what}[${i}]: got ${g}, expected ${want[i]}`);
      return;
    }
  }
}

function expectThrows(what: string, cls: new (...a: never[]) => Error, fn: () => unknown): void {
  checks++;
  try {
    fn();
    failures.push(`${what}: did not throw`);
  } catch (e) {
    if (!(e instanceof cls)) failures.push(`${what}: threw ${String(e)}, expected ${cls.name}`);
  }
}

const reduceDef: Record<string, (xs: number[]) => number> = {
  sum: (xs) => xs.reduce((a, b) => a + b, 0),
  avg: (xs) => xs.reduce((a, b) => a + b, 0) / xs.length,
  max: (xs) => Math.max(...xs),
  min: (xs) => Math.min(...xs),
};

async function collectives(rank: number, ws: number): Promise<void> {
  const ranks = [...Array(ws).keys()];
  for (const dtype of DTYPES) {
    for (const n of SIZES) {
      const all = (salt: number) => ranks.map((r) => inputOf(r, n, dtype, salt));
      const mine = (salt: number) => nt.tensor(inputOf(rank, n, dtype, salt), { dtype });
      const ops = dtype === 'int64' ? ['sum', 'max', 'min'] : ['sum', 'avg', 'max', 'min'];
      for (const [k, op] of ops.entries()) {
        const want = all(k).length ? all(k)[0].map((_, i) => reduceDef[op](all(k).map((x) => x[i]))) : [];
        const t = mine(k);
        d.allReduce(t, op as nt.distributed.ReduceOp);
        expectClose(`allReduce ${op} ${dtype} n=${n}`, t.toArray() as ArrayLike<number>, want, dtype);
        const u = mine(k).reshape(n === 1001 ? [7, 143] : [n]);
        const w = d.allReduce(u, { op: op as nt.distributed.ReduceOp, asyncOp: true });
        await w.wait();
        expectClose(
          `allReduce async ${op} ${dtype} n=${n}`,
          u.reshape([-1]).toArray() as ArrayLike<number>,
          want,
          dtype,
        );
      }
      for (const src of [0, ws - 1]) {
        const t = mine(10 + src);
        d.broadcast(t, src);
        expectClose(
          `broadcast src=${src} ${dtype} n=${n}`,
          t.toArray() as ArrayLike<number>,
          all(10 + src)[src],
          dtype,
        );
      }
      const gathered = all(20).flat();
      const out = nt.zeros([ws * n], { dtype });
      d.allGather(out, mine(20));
      expectClose(`allGather tensor ${dtype} n=${n}`, out.toArray() as ArrayLike<number>, gathered, dtype);
      const outs = ranks.map(() => nt.zeros([n], { dtype }));
      await d.allGather(outs, mine(20), { asyncOp: true });
      expectClose(
        `allGather list ${dtype} n=${n}`,
        outs.flatMap((o) => Array.from(o.toArray() as ArrayLike<number>)),
        gathered,
        dtype,
      );
      for (const op of ['sum', 'max'] as const) {
        // Rank r's input is ws chunks of n; rank q gets the reduction of chunk q.
        const inputs = ranks.map((r) => inputOf(r, ws * n, dtype, op === 'sum' ? 30 : 31));
        const want = [...Array(n).keys()].map((i) => reduceDef[op](inputs.map((x) => x[rank * n + i])));
        const rs = nt.zeros([n], { dtype });
        d.reduceScatter(rs, nt.tensor(inputs[rank], { dtype }), { op });
        expectClose(`reduceScatter tensor ${op} ${dtype} n=${n}`, rs.toArray() as ArrayLike<number>, want, dtype);
        const list = ranks.map((q) => nt.tensor(inputs[rank].slice(q * n, (q + 1) * n), { dtype }));
        const rl = nt.zeros([n], { dtype });
        await d.reduceScatter(rl, list, { op, asyncOp: true });
        expectClose(`reduceScatter list ${op} ${dtype} n=${n}`, rl.toArray() as ArrayLike<number>, want, dtype);
      }
    }
  }
  // Pending kernels are flushed before MPI reads: the input is computed, not yet run.
  const lazy = nt
    .ones([64], { dtype: 'float64' })
    .mul(rank + 1)
    .add(0.5);
  d.allReduce(lazy);
  expectClose(
    'allReduce of a pending result',
    lazy.toArray() as ArrayLike<number>,
    new Array(64).fill(reduceDef.sum(ranks.map((r) => r + 1.5))),
    'float64',
  );
  // Disposed while its async collective runs: the job holds the buffer, and
  // the pool does not hand it to the next tensor of that size before the Work settles.
  const gone = nt.ones([4096]);
  const pendingWork = d.allReduce(gone, { asyncOp: true });
  gone.dispose();
  const fresh = nt.full([4096], 5);
  nt.synchronizeSync(); // the fill runs now, while the collective may still write
  await pendingWork;
  expectClose(
    'a tensor allocated during an async collective is untouched',
    fresh.toArray() as ArrayLike<number>,
    new Array(4096).fill(5),
    'float32',
  );
  const nc = nt.zeros([4, 6]).transpose(0, 1);
  expectThrows('non-contiguous', nt.ArgumentError, () => d.allReduce(nc));
  expectThrows('avg on int64', nt.DTypeError, () => d.allReduce(nt.zeros([3], { dtype: 'int64' }), 'avg'));
  expectThrows('bool', nt.DTypeError, () => d.allReduce(nt.zeros([3], { dtype: 'bool' })));
  expectThrows('broadcast src out of range', nt.ArgumentError, () => d.broadcast(nt.zeros([3]), ws));
  expectThrows('allGather wrong out size', nt.ShapeError, () => d.allGather(nt.zeros([ws * 3 + 1]), nt.zeros([3])));
  expectThrows('bad op', nt.ArgumentError, () => d.allReduce(nt.zeros([3]), 'prod' as nt.distributed.ReduceOp));
  // Still in step after the rejected calls.
  const after = nt.tensor([rank]);
  d.allReduce(after, 'max');
  expectClose('allReduce after rejected calls', after.toArray() as ArrayLike<number>, [ws - 1], 'float32');
  await d.barrier({ asyncOp: true });
  d.barrier();
}

async function main(): Promise<void> {
  d.initProcessGroup({ backend: 'mpi', timeoutMs, initTimeoutMs: 60_000 });
  const rank = d.getRank();
  const ws = d.getWorldSize();
  if (mode === 'collectives') {
    await collectives(rank, ws);
    d.destroyProcessGroup();
    process.stdout.write(`${JSON.stringify({ rank, ws, checks, failures })}\n`);
    process.exitCode = failures.length ? 1 : 0;
    return;
  }
  const t = nt.ones([1024]);
  const t0 = Date.now();
  if (rank === 1) {
    d.allReduce(t);
    if (mode === 'kill') process.kill(process.pid, 'SIGKILL');
    // stall: alive, but no more collectives.
    setTimeout(() => process.exit(0), 60_000);
    return;
  }
  try {
    d.allReduce(t);
    for (let i = 0; i < 1000; i++) await d.allReduce(t, { asyncOp: true });
    process.stdout.write('rank 0: no error\n');
    process.exitCode = 1;
  } catch (e) {
    process.stdout.write(
      `rank 0: ${e instanceof nt.DistributedError ? 'DistributedError' : 'other'} after ${Date.now() - t0} ms: ${String(e)}\n`,
    );
    process.exit(e instanceof nt.DistributedError ? 3 : 1);
  }
}

void main();
