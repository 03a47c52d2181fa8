// Deterministic memory release: nt.scope, keep, dispose, views sharing a
// storage, and async scopes that run concurrently.
import * as nt from '../lib';
import { expectError, settledMemory } from './helpers';

const live = (): { tensors: number; bytes: number } => {
  const m = settledMemory().cpu;
  return { tensors: m.tensors, bytes: m.bytes };
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Back at the baseline: nothing leaked. The counts are process-wide and jest
 * runs other files in this process, whose garbage the collector may still
 * free meanwhile (a CI run saw 2 such tensors go): fewer is fine, more is a leak.
 */
function expectAtBaseline(base: { tensors: number; bytes: number }): void {
  const now = live();
  expect(now.tensors).toBeLessThanOrEqual(base.tensors);
  expect(now.bytes).toBeLessThanOrEqual(base.bytes);
}

describe('memory and scopes', () => {
  test('10k ops inside scopes leave nt.memory() at its baseline every iteration', () => {
    const x = nt.randn([64]);
    const w = nt.randn([64], { requiresGrad: true });
    const step = (): void => {
      let y = x;
      for (let i = 0; i < 25; ++i) {
        y = y.mul(0.5).add(x).exp().log().sub(1).relu().add(y.sigmoid());
      }
      void y.sum().item();
      // with autograd: saved tensors and gradients of intermediates go too
      const loss = w.mul(x).tanh().mul(w).sum();
      loss.backward();
    };
    nt.scope(step); // first iteration creates w.grad (kept by backward)
    const base = live();
    let ops = 0;
    for (let it = 0; it < 50; ++it) {
      nt.scope(step);
      ops += 25 * 8 + 6;
      expectAtBaseline(base);
    }
    expect(ops).toBeGreaterThanOrEqual(10000);
    expect(w.grad!.isDisposed).toBe(false);
    w.grad!.dispose();
    w.dispose();
    x.dispose();
  });

  test('returned tensors survive the scope; nested scopes hand them outward', () => {
    const base = live();
    const r = nt.scope(() => {
      const a = nt.ones([10]);
      const b = a.mul(3);
      const inner = nt.scope(() => ({ keepMe: b.add(1), list: [b.add(2)] }));
      expect(inner.keepMe.isDisposed).toBe(false);
      return { out: inner.keepMe, arr: [a.sub(1)], map: new Map([['m', inner.list[0]]]) };
    });
    expect(r.out.isDisposed).toBe(false);
    expect(r.out.toArray()).toEqual(new Array(10).fill(4));
    expect(r.arr[0].toArray()).toEqual(new Array(10).fill(0));
    expect(r.map.get('m')!.toArray()).toEqual(new Array(10).fill(5));
    expect(live().tensors).toBe(base.tensors + 3);
    r.out.dispose();
    r.arr[0].dispose();
    r.map.get('m')!.dispose();
    expectAtBaseline(base);
  });

  test('keep() lets a tensor outlive its scope', () => {
    const base = live();
    let kept: nt.Tensor | undefined;
    let dropped: nt.Tensor | undefined;
    nt.scope(() => {
      kept = nt.keep(nt.zeros([5]));
      dropped = nt.zeros([5]);
    });
    expect(kept!.isDisposed).toBe(false);
    expect(dropped!.isDisposed).toBe(true);
    expect(live().tensors).toBe(base.tensors + 1);
    kept!.dispose();
    expectAtBaseline(base);
  });

  test('a throwing scope still disposes its tensors', () => {
    const base = live();
    expect(() =>
      nt.scope(() => {
        nt.ones([100]);
        throw new Error('inside');
      }),
    ).toThrow('inside');
    expectAtBaseline(base);
  });

  test('dispose() is idempotent; a disposed tensor throws DisposedTensorError when used', () => {
    const base = live();
    const t = nt.ones([4]);
    expect(live().tensors).toBe(base.tensors + 1);
    expect(live().bytes).toBe(base.bytes + 16);
    t.dispose();
    t.dispose();
    expectAtBaseline(base);
    expect(t.isDisposed).toBe(true);
    expectError(() => t.add(1), nt.DisposedTensorError, 'add: the tensor was disposed');
    expectError(() => t.toArray(), nt.DisposedTensorError, 'data: the tensor was disposed');
    expectError(() => t.item(), nt.DisposedTensorError, 'item: the tensor was disposed');
    nt.scope(() => expectError(() => nt.ones([4]).mul(t), nt.DisposedTensorError, 'mul: the tensor was disposed'));
    expectError(() => t.reshape(2, 2), nt.DisposedTensorError, 'reshape: the tensor was disposed');
    expectError(() => t.to('float64'), nt.DisposedTensorError, 'to: the tensor was disposed');
    {
      using u = nt.ones([2]);
      expect(u.isDisposed).toBe(false);
    }
    expectAtBaseline(base);
  });

  test('views keep the storage alive until every view is disposed', () => {
    const base = live();
    const t = nt.arange(0, 12, 1, { dtype: 'float32' });
    const v = t.reshape(3, 4);
    const w = v.t();
    expect(live().tensors).toBe(base.tensors + 1); // one storage
    t.dispose();
    expect(live().tensors).toBe(base.tensors + 1);
    expect((w.toArray() as number[][])[0]).toEqual([0, 4, 8]);
    v.dispose();
    expect(nt.scope(() => w.sum().item())).toBe(66);
    w.dispose();
    expectAtBaseline(base);
  });

  // Async tests check each tensor rather than global counts: while they
  // await, GC finalizers may free garbage left by earlier test files.
  test('concurrent async scopes do not mix their tensors', async () => {
    let a1: nt.Tensor | undefined;
    let b1: nt.Tensor | undefined;
    let c1: nt.Tensor | undefined;
    let d1: nt.Tensor | undefined;
    const p1 = nt.scope(async () => {
      a1 = nt.ones([3]);
      await sleep(20);
      const b = a1.add(1);
      b1 = b.mul(1);
      await sleep(10);
      return b;
    });
    const p2 = nt.scope(async () => {
      c1 = nt.ones([3]);
      await sleep(5);
      const d = c1.mul(3);
      d1 = d;
      await sleep(60); // still running when p1 closes
      expect(c1.isDisposed).toBe(false);
      expect(d.isDisposed).toBe(false);
      return d.add(c1);
    });
    const r1 = await p1;
    expect(a1!.isDisposed).toBe(true);
    expect(c1!.isDisposed).toBe(false);
    const r2 = await p2;
    expect(c1!.isDisposed).toBe(true);
    expect(b1!.isDisposed).toBe(true);
    expect(d1!.isDisposed).toBe(true);
    expect(r1.isDisposed).toBe(false);
    expect(r2.isDisposed).toBe(false);
    expect(r1.toArray()).toEqual([2, 2, 2]);
    expect(r2.toArray()).toEqual([4, 4, 4]);
    r1.dispose();
    r2.dispose();
  });

  test('an async scope that rejects disposes its tensors', async () => {
    const made: nt.Tensor[] = [];
    await expect(
      nt.scope(async () => {
        made.push(nt.ones([8]));
        await sleep(1);
        made.push(nt.ones([8]));
        throw new Error('async boom');
      }),
    ).rejects.toThrow('async boom');
    expect(made.map((t) => t.isDisposed)).toEqual([true, true]);
  });
});
