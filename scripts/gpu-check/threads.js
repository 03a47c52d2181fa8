'use strict';
// Two worker threads use the device at once (cuBLAS, cuDNN or our softmax,
// cross-entropy with the deferred index check, index_select, reductions),
// each comparing with the CPU; prints one JSON line {pass, detail}.
// Usage: node threads.js <device>   (run by special_checks.js)
const path = require('path');
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');

const ITERS = 30;

function work({ device, seed }) {
  const nt = require(path.join(__dirname, '..', '..', 'dist', 'lib'));
  nt.manualSeed(seed);
  let worst = 0;
  for (let i = 0; i < ITERS; ++i) {
    const a = nt.randn([65, 129]),
      b = nt.randn([129, 33]);
    const tg = nt.randint(0, 33, [65]);
    const idx = nt.randint(0, 65, [40]);
    const f = (x, y, t, ix) => {
      const h = nt.matmul(x, y).relu();
      const s = nt.softmax(h, -1).sum(0);
      const ce = nt.nn.functional.crossEntropy(h, t);
      const sel = nt.indexSelect(h, 0, ix).sum(1);
      return [s, ce.reshape([1]), sel].map((v) => Float64Array.from(v.to('cpu').data()));
    };
    const ref = f(a, b, tg, idx);
    const got = f(a.to(device), b.to(device), tg.to(device), idx.to(device));
    for (let k = 0; k < ref.length; ++k)
      for (let j = 0; j < ref[k].length; ++j)
        worst = Math.max(worst, Math.abs(ref[k][j] - got[k][j]) / Math.max(1, Math.abs(ref[k][j])));
  }
  return worst;
}

if (isMainThread) {
  const device = process.argv[2] || 'cuda';
  const start = (seed) =>
    new Promise((resolve) => {
      const w = new Worker(__filename, { workerData: { device, seed } });
      w.once('message', resolve);
      w.once('error', (e) => resolve({ error: `${e.name}: ${e.message}` }));
    });
  Promise.all([start(1), start(2)]).then((res) => {
    const errors = res.filter((r) => r.error).map((r) => r.error);
    const worst = Math.max(...res.map((r) => r.worst ?? Infinity));
    const pass = errors.length === 0 && worst < 1e-3;
    process.stdout.write(
      `${JSON.stringify({ pass, detail: errors.length ? errors.join('; ') : `${ITERS} iterations x 2 threads, worst rel err ${worst.toExponential(2)}` })}\n`,
    );
  });
} else {
  try {
    parentPort.postMessage({ worst: work(workerData) });
  } catch (e) {
    parentPort.postMessage({ error: `${e.name}: ${e.message}` });
  }
}
