// The CPU device queue (native/addon/execution.h): ops return once their
// kernel is enqueued, reads wait for it, async reads and nt.synchronize()
// let the event loop run meanwhile, storages outlive the kernels that use
// them, and a kernel error after enqueue surfaces at the next sync point
// without breaking what follows.
import { execFileSync } from 'child_process';
import * as path from 'path';

import * as nt from '../lib';
import { expectError, turnsDuring } from './helpers';

const root = path.join(__dirname, '..');
const register = path.join(root, 'test/reliability/children/ts_register.js');

/** Runs `script` (TypeScript, `nt` in scope) in a fresh Node process; its stdout. */
function child(script: string, env: NodeJS.ProcessEnv = {}): string {
  const code = `const nt = require(${JSON.stringify(path.join(root, 'lib'))});\n${script}`;
  return execFileSync(process.execPath, ['--expose-gc', '-r', register, '-e', code], {
    encoding: 'utf8',
    timeout: 60000,
    env: { ...process.env, ...env },
  });
}

/** Enough matmul work that the queue is still busy when the JS thread moves on. */
function busyWork(n = 6): nt.Tensor {
  const a = nt.randn([384, 384]);
  let x = a;
  for (let i = 0; i < n; i++) x = nt.matmul(x, a).div(384);
  return x;
}

describe('device queue', () => {
  test('async reads give the synchronous values', async () => {
    const x = nt.randn([7, 5]);
    const y = x.mul(3).add(1);
    const t = y.t(); // non-contiguous: dataAsync copies first
    expect([...(await t.dataAsync())]).toEqual([...t.data()]);
    expect(await t.toArrayAsync()).toEqual(t.toArray());
    const s = y.sum();
    expect(await s.itemAsync()).toBe(s.item());
    expect(await nt.tensor([true, false]).toArrayAsync()).toEqual([true, false]);
    expect([...(await nt.tensor([1, 2], { dtype: 'int64' }).dataAsync())]).toEqual([1n, 2n]);
  });

  test('the event loop runs while queued kernels compute', async () => {
    const out = busyWork(20); // tens of ms of recorded matmuls; recorded in microseconds
    const read = await turnsDuring(() => out.dataAsync());
    expect(read.turns).toBeGreaterThan(0);
    expect([...read.result]).toEqual([...out.data()]);
    busyWork(20);
    expect((await turnsDuring(() => nt.synchronize())).turns).toBeGreaterThan(0);
  });

  test('a misuse of an async read throws at its call, before any wait', () => {
    const x = nt.ones([2, 2]);
    expect(() => x.itemAsync()).toThrow(nt.ShapeError);
    x.dispose();
    expect(() => x.dataAsync()).toThrow(nt.DisposedTensorError);
    expect(() => nt.synchronize('tpu' as nt.Device)).toThrow(nt.ArgumentError);
  });

  test('disposing inputs while their kernels are queued keeps the result right', () => {
    const a = nt.randn([300, 300]);
    const ref = nt.matmul(a, a).data();
    const copy = a.clone();
    const out = nt.matmul(copy, copy);
    copy.dispose(); // the queued matmul still holds its buffer (ASAN would see a use after free)
    expect(copy.isDisposed).toBe(true);
    expect([...out.data()]).toEqual([...ref]);
  });

  test('a deferred kernel error rejects the next sync point once, and poisons nothing else', async () => {
    const x = nt.arange(12).reshape([4, 3]).float();
    const picked = x.indexSelect(0, nt.tensor([0, 9], { dtype: 'int64' })); // no throw at the call
    const good = x.sum();
    await expect(nt.synchronize()).rejects.toThrow(/index_select: index 9 is out of range \[0, 4\)/);
    // Taken: the next sync point is clean, and later kernels ran.
    await expect(nt.synchronize()).resolves.toBeUndefined();
    expect(good.item()).toBe(66);
    expect(x.mul(2).sum().item()).toBe(132);
    picked.dispose();
    // Through an async read, and through a blocking read.
    const bad = nt.zeros([3]).gather(0, nt.tensor([5], { dtype: 'int64' }));
    await expect(bad.dataAsync()).rejects.toBeInstanceOf(nt.IndexError);
    expectError(() => nt.zeros([3]).gather(0, nt.tensor([4], { dtype: 'int64' })), nt.IndexError, /gather: index 4/);
    expect(nt.ones([3]).sum().item()).toBe(3);
  });

  test('cross-entropy needs no host read in its forward pass', () => {
    // The mean divides by an on-device count: with an out-of-range target the
    // call returns, and the error comes at the read.
    const logits = nt.randn([4, 3], { requiresGrad: true });
    const loss = nt.nn.functional.crossEntropy(logits, nt.tensor([0, 1, 7, 2], { dtype: 'int64' }));
    expect(() => loss.item()).toThrow(/cross_entropy: target 7 at row 2/);
    const ok = nt.nn.functional.crossEntropy(logits, nt.tensor([0, 1, -100, 2], { dtype: 'int64' }));
    const ref = nt.nn.functional.crossEntropy(
      logits.detach().indexSelect(0, nt.tensor([0, 1, 3], { dtype: 'int64' })),
      nt.tensor([0, 1, 2], { dtype: 'int64' }),
    );
    expect(ok.item()).toBeCloseTo(ref.item(), 6);
  });

  test('a loop that never reads runs with bounded queued work and memory', () => {
    const before = nt.memory().cpu.tensors;
    nt.scope(() => {
      let x = nt.zeros([64]);
      for (let i = 0; i < 20000; i++) x = nt.scope(() => x.add(1));
      expect(x.sum().item()).toBe(64 * 20000);
    });
    // Process-wide count: other files' garbage may be collected meanwhile, never added.
    expect(nt.memory().cpu.tensors).toBeLessThanOrEqual(before);
  });

  test('NODETORCH_SYNC=1 raises kernel errors at the call', () => {
    const script = `
      try { nt.zeros([3]).gather(0, nt.tensor([4], { dtype: 'int64' })); console.log('deferred'); }
      catch (e) { console.log('at call: ' + e.name); }
      nt.synchronizeSync();`;
    expect(child(script, { NODETORCH_SYNC: '1' }).trim()).toBe('at call: IndexError');
    expect(() => child(script, { NODETORCH_SYNC: '0' })).toThrow(/index 4 is out of range/);
  });

  test('a process exits cleanly with kernels still queued or tensors collected mid-queue', () => {
    const out = child(`
      const a = nt.randn([512, 512]);
      let x = a;
      for (let i = 0; i < 20; i++) x = nt.matmul(x, a).div(512);
      for (let i = 0; i < 200; i++) nt.randn([256, 256]).mul(2); // garbage, some collected while queued
      global.gc();
      nt.synchronize().then(() => { console.log('synced'); for (let i = 0; i < 5; i++) nt.matmul(a, a); });`);
    expect(out.trim()).toBe('synced');
  });
});
