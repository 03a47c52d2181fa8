// CommonJS consumer: require('nodetorch'), a few training steps of a small MLP.
// Fails unless the platform package's binary was the one loaded.
'use strict';
const assert = require('assert');
const nt = require('nodetorch');

const info = nt.info();
assert.strictEqual(
  info.binary.kind,
  'package',
  `expected the platform package, loaded ${info.binary.path} (${info.binary.kind})`,
);
assert.ok(
  info.binary.path.includes(`node_modules${require('path').sep}@nodetorch`),
  `loaded from outside the install: ${info.binary.path}`,
);
assert.strictEqual(require('nodetorch/package.json').version, info.version);

nt.manualSeed(0);
const model = new nt.nn.Sequential(new nt.nn.Linear(4, 16), new nt.nn.ReLU(), new nt.nn.Linear(16, 3));
const optimizer = new nt.optim.SGD(model.parameters(), { lr: 0.2 });
const criterion = new nt.nn.CrossEntropyLoss();
const x = nt.randn([32, 4]);
const y = nt.argmax(x.narrow(1, 0, 3), 1); // learnable labels
const losses = [];
for (let step = 0; step < 30; step++) {
  nt.scope(() => {
    optimizer.zeroGrad();
    const loss = criterion.forward(model.forward(x), y);
    loss.backward();
    optimizer.step();
    losses.push(loss.item());
  });
}
assert.ok(losses.every(Number.isFinite), `non-finite loss: ${losses}`);
assert.ok(
  losses[losses.length - 1] < 0.7 * losses[0],
  `loss did not go down: ${losses[0]} -> ${losses[losses.length - 1]}`,
);
console.log(
  `cjs ok: ${info.binary.path}, loss ${losses[0].toFixed(3)} -> ${losses[losses.length - 1].toFixed(3)}, node ${process.version}`,
);
