'use strict';
// Checks of gpu-check.js that are not one kernel against its CPU twin: a
// tensor above 2^31 elements (the 64-bit index path), an allocation that
// must raise OutOfMemoryError, two worker threads using the device at once
// (threads.js, in a child process so the main run stays synchronous), async
// reads and deferred errors (async_reads.js, likewise), and
// the kernel coverage of the parity table against the addon's own list.
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
      : `exit ${r.status}: ${(r.stderr || '').trim().split('\n').slice(-3).join(' | ')}`;
    return row(name, kernel, false, why);
  }
}

const twoThreads = (device) => childCheck('threads.js', 'two worker threads on the device at once', 'threads', device);
const asyncReads = (device) =>
  childCheck('async_reads.js', 'async reads, event loop free, deferred error once', 'async', device);

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

module.exports = { bigTensor, outOfMemory, twoThreads, asyncReads, coverage };
