'use strict';
// Checks of gpu-check.js that are not one kernel against its CPU twin: a
// tensor above 2^31 elements (the 64-bit index path), an allocation that
// must raise OutOfMemoryError, two worker threads using the device at once
// (threads.js, in a child process so the main run stays synchronous), async
// reads and deferred errors (async_reads.js, likewise), conv2d through
// cuDNN at the op level (cudnnConv), and the kernel coverage of the parity table against the addon's own list.
const { spawnSync } = require('child_process');
const path = require('path');

const row = (name, kernel, pass, detail = '') => ({
  name,
  kernel,
  pass,
  maxRel: 0,
  ratio: pass ? 0 : Infinity,
  detail,
});

/**
 * float32 [numel] of zeros with 1 at [n-6, n-1) and 2 at n-1: fill, reduce
 * Sum/Max/ArgMax and a copy of the tail must see the far end exactly (a
 * 32-bit index wraps and misses it).
 */
function bigTensor(_nt, L, device, numel) {
  const label = `${numel} elements (${numel > 2 ** 31 ? '> 2^31' : 'small: self-test size'})`;
  let x = null;
  try {
    x = L.empty([numel], 'float32', device);
    L.kFill(x, 0);
    L.kFill(x.narrow(0, numel - 6, 5), 1);
    L.kFill(x.narrow(0, numel - 1, 1), 2);
    const one = (op) => {
      const out = L.empty([], op === L.ReduceOp.ArgMax ? 'int64' : 'float32', device);
      L.kReduce(op, out, x, [0]);
      const v = Number(out.data()[0]);
      out.dispose();
      return v;
    };
    const sum = one(L.ReduceOp.Sum),
      max = one(L.ReduceOp.Max),
      arg = one(L.ReduceOp.ArgMax);
    const tail = Array.from(
      x
        .narrow(0, numel - 8, 8)
        .contiguous()
        .data(),
    );
    const want = [0, 0, 1, 1, 1, 1, 1, 2];
    const pass = sum === 7 && max === 2 && arg === numel - 1 && want.every((v, i) => tail[i] === v);
    return row(
      `64-bit indexing: fill/reduce/copy over ${label}`,
      'fill',
      pass,
      `sum ${sum} (7), max ${max} (2), argmax ${arg} (${numel - 1}), tail ${tail.join(',')}`,
    );
  } catch (e) {
    return row(`64-bit indexing: fill/reduce/copy over ${label}`, 'fill', false, `threw ${e.name}: ${e.message}`);
  } finally {
    if (x) x.dispose();
  }
}

/** 2^42 float32 (16 TiB) cannot be allocated: OutOfMemoryError, and the device still works. */
function outOfMemory(nt, device) {
  let caught = null;
  try {
    nt.empty([2 ** 42], { dtype: 'float32', device }).dispose();
  } catch (e) {
    caught = e;
  }
  let after = '';
  try {
    after = String(nt.ones([3], { device }).sum().item());
  } catch (e) {
    after = `threw ${e.name}: ${e.message}`;
  }
  const pass = caught instanceof nt.OutOfMemoryError && after === '3';
  return row(
    'error: 16 TiB allocation raises OutOfMemoryError',
    'alloc',
    pass,
    `${caught ? `${caught.name}: ${caught.message}` : 'nothing thrown'}; afterwards sum(ones(3)) = ${after}`,
  );
}

/** Two worker threads running mixed work on `device` at once, each checked against the CPU. */
/** Runs a check script in a child process; its last stdout line is {pass, detail}. */
function childCheck(script, name, kernel, device) {
  const r = spawnSync(process.execPath, [path.join(__dirname, script), device], {
    encoding: 'utf8',
    timeout: 180_000,
    maxBuffer: 16 << 20,
    env: process.env,
  });
  const last = (r.stdout || '').trim().split('\n').pop() || '';
  try {
    const res = JSON.parse(last);
    return row(name, kernel, res.pass, res.detail);
  } catch {
    const why = r.error
      ? r.error.message
      : `${r.signal ? `killed by ${r.signal}` : `exit ${r.status}`}: ${(r.stderr || '').trim().split('\n').slice(-3).join(' | ')}`;
    return row(name, kernel, false, why);
  }
}

const twoThreads = (device) => childCheck('threads.js', 'two worker threads on the device at once', 'threads', device);
const asyncReads = (device) =>
  childCheck('async_reads.js', 'async reads, event loop free, deferred error once', 'async', device);

/**
 * nn.functional.conv2d end to end (bias, groups, stride, padding; forward and
 * the three gradients, float32) on `device` against the CPU in float64: the
 * op-level routing to the conv2d kernels. With cuDNN loaded, CUDA's conv
 * engine must be cuDNN afterwards, with algorithms cached and no conv2d
 * fallback notice (a silent fallback to the direct kernels fails the row).
 */
function cudnnConv(nt, device) {
  const name = 'conv2d op through cuDNN: forward + 3 gradients vs CPU float64, engine and algorithm cache';
  try {
    const shapes = [
      { x: [8, 6, 15, 13], w: [12, 3, 3, 3], stride: [1, 2], padding: [1, 1], groups: 2, dilation: [1, 1] },
      { x: [4, 8, 11, 11], w: [8, 1, 3, 3], stride: [2, 2], padding: [2, 2], groups: 8, dilation: [2, 2] },
    ];
    let worst = 0;
    for (const { x: xShape, w: wShape, ...sh } of shapes) {
      const x64 = nt.randn(xShape, { dtype: 'float64' });
      const w64 = nt.randn(wShape, { dtype: 'float64' }).mul(0.3);
      const b64 = nt.randn([wShape[0]], { dtype: 'float64' });
      const g64 = nt.randn(nt.nn.functional.conv2d(x64, w64, b64, sh).shape, { dtype: 'float64' });
      const run = (dtype, dev) => {
        const leaf = (t) => t.to(dev).to(dtype).detach().requiresGrad_(true);
        const x = leaf(x64),
          w = leaf(w64),
          b = leaf(b64);
        const y = nt.nn.functional.conv2d(x, w, b, sh);
        y.backward(g64.to(dev).to(dtype));
        return [y, x.grad, w.grad, b.grad].map((t) => Float64Array.from(t.to('cpu').to('float64').data()));
      };
      const want = run('float64', 'cpu');
      const got = run('float32', device);
      for (let k = 0; k < 4; ++k) {
        let scale = 1e-30;
        for (const v of want[k]) scale = Math.max(scale, Math.abs(v));
        for (let i = 0; i < want[k].length; ++i) worst = Math.max(worst, Math.abs(got[k][i] - want[k][i]) / scale);
      }
    }
    const info = device === 'cuda' ? nt.cuda.info() : null;
    const engine = info?.convEngine ?? null;
    const notes = (info?.cudnnFallbacks ?? []).filter((n) => n.includes('conv2d'));
    const cudnnExpected = info !== null && info.cudnn !== null && process.env.NODETORCH_CUDNN !== '0';
    const engineOk =
      !cudnnExpected || (engine && engine.engine === 'cudnn' && engine.cachedShapes > 0 && notes.length === 0);
    const pass = worst < 1e-4 && Boolean(engineOk);
    return row(
      name,
      'cudnnConv',
      pass,
      `max |err| / max |ref| ${worst.toExponential(2)} (< 1e-4); engine ${JSON.stringify(engine)}` +
        (notes.length ? `; notices: ${notes.join(' | ')}` : '') +
        (device === 'cpu' ? ' (self-test: CPU)' : ''),
    );
  } catch (e) {
    return row(name, 'cudnnConv', false, `threw ${e.name}: ${e.message}`);
  }
}

/** A failing row for every kernel of the addon's list with no parity case. */
function coverage(kernels, rows) {
  const seen = new Set(rows.map((r) => r.kernel));
  const missing = kernels.filter((k) => !seen.has(k));
  const out = missing.map((k) =>
    row(`coverage: kernel ${k} has no parity case`, k, false, 'every kernel of buildInfo().kernels must be checked'),
  );
  out.push(
    row(
      `coverage: all ${kernels.length} kernels of buildInfo().kernels have parity cases`,
      'coverage',
      missing.length === 0,
      missing.length ? `missing: ${missing.join(', ')}` : '',
    ),
  );
  return out;
}

module.exports = { bigTensor, outOfMemory, twoThreads, asyncReads, coverage, cudnnConv };
