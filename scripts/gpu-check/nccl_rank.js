'use strict';
// One rank of gpu-check's NCCL check (started by nccl.js, one process per
// GPU): every collective of nt.distributed on the backend given, sync and
// async, for float32 / float64 / int64 and odd sizes, against its definition
// (each rank's input is a pure function of rank and index, so every rank knows
// all inputs), then all-reduce bandwidth against size. The self-test runs it
// on 'mpi' with CPU tensors (an MPI singleton), to test this script.
// argv: backend device seed bench(0|1) maxBytes. Last stdout line: @@NCCL {rows, bw}.
const path = require('path');

const [backend, device, seedText, benchText, maxBytesText] = process.argv.slice(2);
const SEED = Number(seedText);
const nt = require(path.join(__dirname, '..', '..', 'dist', 'lib'));
const d = nt.distributed;

const rows = [];
const row = (name, pass, detail = '') =>
  rows.push({ name: `nccl: ${name}`, kernel: 'nccl', pass, maxRel: 0, ratio: pass ? 0 : Infinity, detail });

/** Rank r's input element i: small integers, so float sums are exact. */
const v = (r, i) => ((i * 7 + r * 13 + SEED) % 23) - 11;

function make(r, n, dtype) {
  const a = new Array(n);
  for (let i = 0; i < n; ++i) a[i] = v(r, i);
  return nt.tensor(a, { dtype, device });
}

/** Elements where got and want differ beyond tol (relative for floats, exact for int64). */
function mismatch(got, want, dtype) {
  const tol = dtype === 'int64' ? 0 : dtype === 'float32' ? 1e-6 : 1e-12;
  let bad = 0;
  let first = '';
  for (let i = 0; i < want.length; ++i) {
    const g = Number(got[i]);
    if (!(Math.abs(g - want[i]) <= tol * Math.max(1, Math.abs(want[i])))) {
      if (!bad) first = `[${i}] got ${g}, want ${want[i]}`;
      bad += 1;
    }
  }
  return bad ? `${bad}/${want.length} wrong, first ${first}` : '';
}

function expectClose(name, t, want, dtype) {
  const why = t.device !== device ? `result on ${t.device}, not ${device}` : mismatch(t.toArray(), want, dtype);
  row(name, why === '', why);
}

async function collectives(W, me) {
  for (const dtype of ['float32', 'float64', 'int64']) {
    for (const n of [1, 1001, 65537]) {
      const label = (what) => `${what} ${dtype} n=${n}`;
      const idx = Array.from({ length: n }, (_, i) => i);
      const all = (f) => idx.map((i) => f(Array.from({ length: W }, (_, r) => v(r, i))));
      const ops = {
        sum: (xs) => xs.reduce((a, b) => a + b, 0),
        max: (xs) => Math.max(...xs),
        min: (xs) => Math.min(...xs),
      };
      if (dtype !== 'int64') ops.avg = (xs) => xs.reduce((a, b) => a + b, 0) / W;
      for (const [op, f] of Object.entries(ops)) {
        const t = make(me, n, dtype);
        d.allReduce(t, op);
        expectClose(label(`allReduce ${op}`), t, all(f), dtype);
        const u = make(me, n, dtype);
        await d.allReduce(u, { op, asyncOp: true });
        expectClose(label(`allReduce ${op} async`), u, all(f), dtype);
      }
      const src = W - 1;
      const b = make(me, n, dtype);
      d.broadcast(b, src);
      expectClose(
        label(`broadcast from ${src}`),
        b,
        idx.map((i) => v(src, i)),
        dtype,
      );
      const gathered = nt.empty([W * n], { dtype, device });
      await d.allGather(gathered, make(me, n, dtype), { asyncOp: true });
      const wantG = [];
      for (let r = 0; r < W; ++r) for (let i = 0; i < n; ++i) wantG.push(v(r, i));
      expectClose(label('allGather async'), gathered, wantG, dtype);
      const parts = Array.from({ length: W }, () => nt.empty([n], { dtype, device }));
      d.allGather(parts, make(me, n, dtype));
      expectClose(
        label(`allGather list[${W - 1}]`),
        parts[W - 1],
        idx.map((i) => v(W - 1, i)),
        dtype,
      );
      // reduceScatter: rank r gets the sum over ranks of elements [r*n, (r+1)*n) of each input.
      const out = nt.empty([n], { dtype, device });
      d.reduceScatter(out, make(me, W * n, dtype));
      const wantRS = idx.map((i) => Array.from({ length: W }, (_, r) => v(r, me * n + i)).reduce((a, c) => a + c, 0));
      expectClose(label('reduceScatter sum'), out, wantRS, dtype);
    }
  }
  d.barrier();
  await d.barrier({ asyncOp: true });
  row('barrier sync and async', true);
  // The wrong device is a typed error naming the op, before anything runs.
  const other = device === 'cuda' ? 'cpu' : null;
  if (other) {
    let err = null;
    try {
      d.allReduce(nt.ones([3]));
    } catch (e) {
      err = e;
    }
    row('a CPU tensor is a DeviceError', err instanceof nt.DeviceError, err ? err.message : 'no error');
  }
}

/**
 * DistributedDataParallel on the backend: a small MLP on `device`, in
 * several buckets, rank-dependent data; its gradients must be the average
 * over ranks of a plain copy's gradients (averaged here with allReduce).
 */
function ddpCheck(me) {
  const mlp = () => new nt.nn.Sequential(new nt.nn.Linear(13, 33), new nt.nn.ReLU(), new nt.nn.Linear(33, 5));
  const model = mlp().to(device);
  const ddp = new nt.nn.parallel.DistributedDataParallel(model, {
    firstBucketMb: 600 / 2 ** 20,
    bucketCapMb: 2000 / 2 ** 20,
  });
  const ref = mlp().to(device);
  ref.loadStateDict(model.stateDict()); // rank 0's parameters, after DDP's broadcast
  const xs = Array.from({ length: 8 * 13 }, (_, i) => v(me, i) / 11);
  const x = nt.tensor(xs, { device }).reshape([8, 13]);
  ddp.forward(x).square().sum().backward();
  ref.forward(x).square().sum().backward();
  const got = model.parameters();
  let worst = '';
  ref.parameters().forEach((p, i) => {
    d.allReduce(p.grad, 'avg');
    const why = mismatch(got[i].grad.toArray().flat(Infinity), p.grad.toArray().flat(Infinity), 'float32');
    if (why && !worst) worst = `parameter ${i}: ${why}`;
  });
  row(`DistributedDataParallel (${ddp.bucketIndices.length} buckets) = average of the ranks' gradients`, !worst, worst);
}

/** All-reduce (sum, float32, in place) time per call against size; bus bandwidth = 2(W-1)/W × bytes / time. */
function bandwidth(W, maxBytes) {
  const bw = [];
  for (let bytes = 4096; bytes <= maxBytes; bytes *= 4) {
    const t = nt.zeros([bytes / 4], { device });
    d.allReduce(t); // warm-up: connections, first-touch
    const times = [];
    for (let k = 0; k < 5; ++k) {
      const reps = bytes <= 1 << 20 ? 20 : 3;
      const t0 = process.hrtime.bigint();
      for (let j = 0; j < reps; ++j) d.allReduce(t);
      times.push(Number(process.hrtime.bigint() - t0) / 1e9 / reps);
    }
    times.sort((a, b) => a - b);
    const s = times[2];
    bw.push({ bytes, seconds: s, algGBs: bytes / s / 1e9, busGBs: ((2 * (W - 1)) / W) * (bytes / s / 1e9) });
    t.dispose();
  }
  return bw;
}

async function main() {
  d.initProcessGroup({ backend, timeoutMs: 120_000 });
  const W = d.getWorldSize();
  const me = d.getRank();
  let bw = null;
  try {
    await collectives(W, me);
    ddpCheck(me);
    if (benchText === '1') bw = bandwidth(W, Number(maxBytesText));
  } catch (e) {
    row('the check ran to the end', false, e?.stack ? e.stack.split('\n').slice(0, 3).join(' | ') : String(e));
  }
  d.destroyProcessGroup();
  process.stdout.write(`@@NCCL ${JSON.stringify({ rank: me, worldSize: W, rows, bw })}\n`);
}

main().catch((e) => {
  process.stdout.write(
    `@@NCCL ${JSON.stringify({ rows: [{ name: 'nccl: rank broke', kernel: 'nccl', pass: false, maxRel: 0, ratio: null, detail: String(e?.message) }] })}\n`,
  );
  process.exitCode = 1;
});
