// An inference pool: N worker_threads each hold the MNIST MLP (its weights
// sent once, as shared tensors), and requests go to the least busy worker.
// A request's input and its result cross threads as shared memory
// (t.share() / nt.fromShared(), no copy): the main thread hands the input
// off and disposes its handle, the worker hands the result back the same way.
//
// Run (after `npx tsc -p tsconfig.build.json`):
//   node dist/examples/inference-pool.js [WORKERS] [REQUESTS] [BATCH]
// Defaults: 2 workers, 200 requests of 64 random 28x28 images. Prints the
// pool's throughput next to the same requests run on the main thread, and
// how long the main thread's event loop was blocked in each case: the pool
// keeps it free (on few cores the throughput is about the same, since the
// main thread's kernels already use every core).

import { monitorEventLoopDelay } from 'perf_hooks';
import { Worker, isMainThread, parentPort, workerData } from 'worker_threads';
import * as nt from '../lib';
import { nn } from '../lib';

class Net extends nn.Module {
  fc1 = new nn.Linear(784, 500);
  fc2 = new nn.Linear(500, 10);

  forward(x: nt.Tensor): nt.Tensor {
    return this.fc2.forward(nt.relu(this.fc1.forward(x)));
  }
}

interface Request {
  id: number;
  input: nt.SharedTensor;
}
interface Reply {
  id: number;
  output: nt.SharedTensor;
}

// ---- a worker: load the weights once, then answer requests ------------------

function serve(weights: nt.SharedStateDict): void {
  const model = new Net();
  const received = nt.fromSharedStateDict(weights);
  model.loadStateDict(received); // a copy: the main thread may go on changing or freeing its model
  for (const t of Object.values(received)) t.dispose();
  model.eval();
  parentPort?.on('message', ({ id, input }: Request) => {
    const x = nt.fromShared(input);
    const probs = nt.noGrad(() => nt.scope(() => model.forward(x).softmax(1)));
    x.dispose();
    parentPort?.postMessage({ id, output: probs.share() } satisfies Reply);
    probs.dispose(); // the main thread's handle keeps it
  });
  parentPort?.postMessage('ready');
}

// ---- the main thread: the pool ----------------------------------------------

class InferencePool {
  readonly #workers: { worker: Worker; busy: number }[] = [];
  readonly #pending = new Map<number, (out: nt.Tensor) => void>();
  #nextId = 0;
  /** Resolves once every worker has loaded its weights. */
  readonly ready: Promise<unknown>;

  /** Starts n workers, each given its own share of the model's weights (one adoption per share). */
  constructor(n: number, model: nn.Module) {
    const ready: Promise<unknown>[] = [];
    for (let i = 0; i < n; i++) {
      const entry = { worker: new Worker(__filename, { workerData: nt.shareStateDict(model.stateDict()) }), busy: 0 };
      ready.push(new Promise((resolve) => entry.worker.once('message', resolve)));
      entry.worker.on('message', (m: Reply | 'ready') => {
        if (m === 'ready') return;
        entry.busy--;
        this.#pending.get(m.id)?.(nt.fromShared(m.output));
        this.#pending.delete(m.id);
      });
      this.#workers.push(entry);
    }
    this.ready = Promise.all(ready);
  }

  /** Runs the model on x in the least busy worker. x is handed off: do not use it afterwards. */
  run(x: nt.Tensor): Promise<nt.Tensor> {
    const entry = this.#workers.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = this.#nextId++;
    entry.busy++;
    const result = new Promise<nt.Tensor>((resolve) => this.#pending.set(id, resolve));
    entry.worker.postMessage({ id, input: x.share() } satisfies Request);
    x.dispose();
    return result;
  }

  close(): Promise<number[]> {
    return Promise.all(this.#workers.map((w) => w.worker.terminate()));
  }
}

/** Wall time of fn and the longest the main thread's event loop waited meanwhile. */
async function measure(fn: () => Promise<void> | void): Promise<{ seconds: number; maxDelay: number }> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  await new Promise((r) => setTimeout(r, 5)); // the monitor's first samples
  const start = performance.now();
  await fn();
  const seconds = (performance.now() - start) / 1000;
  await new Promise((r) => setTimeout(r, 5)); // the monitor's last sample
  delay.disable();
  return { seconds, maxDelay: delay.max / 1e6 };
}

async function main(): Promise<void> {
  const [workers, requests, batch] = [2, 200, 64].map((d, i) => Number(process.argv[2 + i] || d));
  for (const v of [workers, requests, batch]) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`WORKERS, REQUESTS and BATCH must be positive integers`);
  }
  nt.manualSeed(0);
  const model = new Net();
  model.eval();
  // The requests' inputs, made (and their kernels run) before any timing.
  const inputs = (): nt.Tensor[] => {
    nt.manualSeed(2);
    const xs = Array.from({ length: requests }, () => nt.randn([batch, 784]));
    nt.synchronizeSync();
    return xs;
  };

  const pool = new InferencePool(workers, model);
  await pool.ready;
  // One request checked against the main thread's own forward pass.
  nt.manualSeed(1);
  const check = nt.randn([batch, 784]);
  const got = await pool.run(check.clone());
  const maxDiff = nt.noGrad(() => nt.scope(() => got.sub(model.forward(check).softmax(1)).abs().max().item()));
  for (const t of [check, got]) t.dispose();

  // The same requests through the pool (all in flight at once; the pool
  // spreads them over its workers), then on the main thread alone.
  let xs = inputs();
  const viaPool = await measure(async () => {
    const outputs = await Promise.all(xs.map((x) => pool.run(x)));
    if (!outputs.every((y) => y.shape[0] === batch && y.shape[1] === 10)) throw new Error('bad output shape');
    for (const y of outputs) y.dispose();
  });
  await pool.close();
  xs = inputs();
  const alone = await measure(() => {
    for (const x of xs) {
      nt.noGrad(() => nt.scope(() => model.forward(x).softmax(1).data()));
      x.dispose();
    }
  });
  for (const [name, r] of [[`pool of ${workers} workers`, viaPool] as const, ['main thread alone', alone] as const]) {
    console.log(
      `${name}: ${requests} requests of ${batch} images in ${r.seconds.toFixed(2)} s: ` +
        `${(requests / r.seconds).toFixed(0)} requests/s (${((requests * batch) / r.seconds).toFixed(0)} images/s), ` +
        `main event loop blocked up to ${r.maxDelay.toFixed(1)} ms`,
    );
  }
  console.log(`one request, pool vs main thread: max |difference| ${maxDiff}`);
}

if (isMainThread) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
} else {
  serve(workerData as nt.SharedStateDict);
}
