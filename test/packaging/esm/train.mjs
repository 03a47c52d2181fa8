// ES module consumer: namespace, named and default imports must all be the one
// CommonJS instance (no dual-package hazard), and train like the CJS consumer.
import assert from 'node:assert';
import { createRequire } from 'node:module';
import * as nt from 'nodetorch';
import ntDefault, { Tensor, nn, optim, info, randn, scope } from 'nodetorch';

const require = createRequire(import.meta.url);
assert.strictEqual(nt.Tensor, Tensor);
assert.strictEqual(ntDefault.Tensor, Tensor);
assert.strictEqual(require('nodetorch').Tensor, Tensor, 'import and require gave two copies');
assert.strictEqual(info().binary.kind, 'package', `expected the platform package, loaded ${info().binary.path}`);

nt.manualSeed(1);
const model = new nn.Sequential(new nn.Linear(4, 16), new nn.Tanh(), new nn.Linear(16, 1));
const optimizer = new optim.Adam(model.parameters(), { lr: 0.05 });
const criterion = new nn.MSELoss();
const x = randn([64, 4]);
const y = x.sum(1, true); // y = x1 + x2 + x3 + x4
const losses = [];
for (let step = 0; step < 40; step++) {
  scope(() => {
    optimizer.zeroGrad();
    const loss = criterion.forward(model.forward(x), y);
    loss.backward();
    optimizer.step();
    losses.push(loss.item());
  });
}
assert.ok(x instanceof Tensor);
assert.ok(
  losses[losses.length - 1] < 0.5 * losses[0],
  `loss did not go down: ${losses[0]} -> ${losses[losses.length - 1]}`,
);
console.log(`esm ok: loss ${losses[0].toFixed(3)} -> ${losses[losses.length - 1].toFixed(3)}`);
