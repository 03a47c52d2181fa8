// The autograd engine: accumulation, retainGraph, reused inputs, deep
// graphs, noGrad/detach/retainGrad, gradient arguments and .grad ownership.
import * as nt from '../lib';
import { expectError, values } from './helpers';

const f64 = (v: number[] | number[][], requiresGrad = true): nt.Tensor =>
  nt.tensor(v, { dtype: 'float64', requiresGrad });

describe('autograd engine', () => {
  test('gradients accumulate across backward calls', () => {
    const x = f64([1, 2, 3]);
    x.mul(3).sum().backward();
    expect(x.grad!.toArray()).toEqual([3, 3, 3]);
    x.mul(x).sum().backward();
    expect(x.grad!.toArray()).toEqual([5, 7, 9]);
    x.grad = null;
    x.sum().backward();
    expect(x.grad!.toArray()).toEqual([1, 1, 1]);
  });

  test('retainGraph allows a second backward; without it the second one throws', () => {
    const x = f64([1, 2]);
    const y = x.mul(x).exp().sum();
    y.backward(undefined, { retainGraph: true });
    const g1 = values(x.grad!);
    y.backward();
    expect(Array.from(values(x.grad!))).toEqual(Array.from(g1, (v) => 2 * v));
    expectError(
      () => y.backward(),
      nt.ArgumentError,
      'backward: trying to backward through the graph a second time; pass {retainGraph: true} to the first backward()',
    );
    const z = x.sin().sum();
    z.backward();
    expectError(() => z.backward(), nt.ArgumentError, /backward through the graph a second time/);
  });

  test('a reused input gets the sum of its gradients', () => {
    const x = f64([1, -2, 3]);
    x.mul(x).sum().backward();
    expect(x.grad!.toArray()).toEqual([2, -4, 6]);
    x.grad = null;
    x.add(x).sum().backward();
    expect(x.grad!.toArray()).toEqual([2, 2, 2]);
    x.grad = null;
    const h = x.mul(2);
    h.mul(h).add(h).sum().backward(); // d/dx (4x^2 + 2x) = 8x + 2
    expect(x.grad!.toArray()).toEqual([10, -14, 26]);
  });

  test('a deep graph (20000 chained adds) does not overflow the stack', () => {
    const x = f64([1]);
    const c = f64([2], false);
    let y = x;
    for (let i = 0; i < 20000; ++i) y = i % 2 ? y.add(c) : y.add(x);
    y.sum().backward();
    expect(x.grad!.item()).toBe(10001);
    expect(y.item()).toBe(1 + 10000 * 1 + 10000 * 2);
  });

  test('noGrad records nothing; enableGrad re-enables inside it', () => {
    const x = f64([1, 2]);
    const y = nt.noGrad(() => x.mul(2));
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    expect(nt.isGradEnabled()).toBe(true);
    nt.noGrad(() => {
      expect(nt.isGradEnabled()).toBe(false);
      const z = nt.enableGrad(() => x.mul(2));
      expect(z.requiresGrad).toBe(true);
    });
    nt.setGradEnabled(false);
    try {
      expect(x.exp().requiresGrad).toBe(false);
    } finally {
      nt.setGradEnabled(true);
    }
    expect(() =>
      nt.noGrad(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(nt.isGradEnabled()).toBe(true);
  });

  test('detach cuts the graph and shares storage', () => {
    const x = f64([1, 2]);
    const y = x.mul(3);
    const d = y.detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.isLeaf).toBe(true);
    expect(d._storage).toBe(y._storage);
    const out = y.add(d.mul(100)).sum();
    out.backward();
    expect(x.grad!.toArray()).toEqual([3, 3]);
  });

  test('retainGrad keeps .grad of a non-leaf; non-leaves have no grad otherwise', () => {
    const x = f64([1, 2, 3]);
    const h = x.mul(2).retainGrad();
    const k = h.exp();
    k.mul(h).sum().backward();
    const hv = values(h);
    // d/dh (e^h * h) = e^h (1 + h)
    expect(Array.from(values(h.grad!))).toEqual(Array.from(hv, (v) => Math.exp(v) * (1 + v)));
    expect(k.grad).toBeNull();
    expect(Array.from(values(x.grad!))).toEqual(Array.from(hv, (v) => 2 * Math.exp(v) * (1 + v)));
  });

  test('backward on a non-scalar needs a gradient of the same shape', () => {
    const x = f64([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const y = x.mul(2);
    expectError(
      () => y.backward(),
      nt.ShapeError,
      'backward: grad can be implicitly created only for one-element outputs, got shape [2, 3]',
    );
    expectError(
      () => y.backward(nt.ones([3, 2], { dtype: 'float64' })),
      nt.ShapeError,
      'backward: gradient shape [3, 2] does not match output shape [2, 3]',
    );
    y.backward(
      nt.tensor(
        [
          [1, 0, 0],
          [0, 0, 2],
        ],
        { dtype: 'float64' },
      ),
    );
    expect(x.grad!.toArray()).toEqual([
      [2, 0, 0],
      [0, 0, 4],
    ]);
    expectError(
      () => nt.ones([2]).sum().backward(),
      nt.ArgumentError,
      'backward: the tensor does not require grad and has no grad_fn',
    );
    // a one-element non-0-d output is fine
    const z = f64([3]);
    z.mul(z).backward();
    expect(z.grad!.toArray()).toEqual([6]);
  });

  test('leaf .grad tensors are owned: no aliasing between leaves or with the caller', () => {
    const a = f64([1, 2]);
    const b = f64([3, 4]);
    const g = nt.tensor([1, 1], { dtype: 'float64' });
    const y = a.add(b); // add passes the same upstream gradient to both inputs
    y.backward(g, { retainGraph: true });
    expect(a.grad).not.toBe(b.grad);
    expect(a.grad!._storage).not.toBe(b.grad!._storage);
    expect(a.grad!._storage).not.toBe(g._storage);
    nt.noGrad(() => a.grad!.mul_(10));
    expect(b.grad!.toArray()).toEqual([1, 1]);
    expect(g.toArray()).toEqual([1, 1]);
    y.backward(g); // accumulates into each leaf's own tensor
    expect(a.grad!.toArray()).toEqual([11, 11]);
    expect(b.grad!.toArray()).toEqual([2, 2]);
    expect(g.toArray()).toEqual([1, 1]);
    // a leaf that is the root: its grad is not the caller's tensor either
    const c = f64([5]);
    const gc = nt.tensor([2], { dtype: 'float64' });
    c.backward(gc);
    nt.noGrad(() => c.grad!.add_(1));
    expect(gc.toArray()).toEqual([2]);
  });

  test('gradients of broadcast inputs are summed back to their shapes and dtypes', () => {
    const a = nt.ones([3, 1], { requiresGrad: true });
    const b = nt.ones([4], { dtype: 'float64', requiresGrad: true });
    const y = a.mul(b); // float64 [3, 4]
    expect(y.dtype).toBe('float64');
    y.sum().backward();
    expect(a.grad!.shape).toEqual([3, 1]);
    expect(a.grad!.dtype).toBe('float32');
    expect(a.grad!.toArray()).toEqual([[4], [4], [4]]);
    expect(b.grad!.shape).toEqual([4]);
    expect(b.grad!.toArray()).toEqual([3, 3, 3, 3]);
  });

  test('leaves, gradFn names and requiresGrad rules', () => {
    const x = f64([1]);
    const y = x.mul(x);
    expect(x.isLeaf).toBe(true);
    expect(y.isLeaf).toBe(false);
    expect(y.gradFn!.name).toBe('MulBackward');
    expectError(
      () => y.requiresGrad_(false),
      nt.ArgumentError,
      'requiresGrad_: only leaves can stop requiring grad; use detach()',
    );
    const i = nt.tensor([1, 2]);
    expectError(
      () => {
        i.requiresGrad = true;
      },
      nt.DTypeError,
      'requiresGrad_: only floating point tensors can require grad, got int64',
    );
    const w = nt.ones([2]);
    expect(w.mul(2).requiresGrad).toBe(false);
    w.requiresGrad = true;
    expect(w.mul(2).requiresGrad).toBe(true);
    // comparisons and integer casts do not carry gradients
    expect(x.gt(0).requiresGrad).toBe(false);
    expect(x.long().requiresGrad).toBe(false);
  });

  test('grads made inside nt.scope survive it', () => {
    const x = f64([1, 2]);
    nt.scope(() => {
      x.mul(x).sum().backward();
    });
    expect(x.grad!.isDisposed).toBe(false);
    expect(x.grad!.toArray()).toEqual([2, 4]);
    nt.scope(() => {
      x.mul(x).sum().backward();
    });
    expect(x.grad!.toArray()).toEqual([4, 8]);
  });

  test('a gradient through views, in-place-free composition and indexing', () => {
    const x = f64([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const y = x
      .t()
      .narrow(0, 1, 2)
      .reshape(4)
      .mul(nt.tensor([1, 2, 3, 4], { dtype: 'float64' }))
      .sum();
    y.backward();
    // x.t() = [[1,4],[2,5],[3,6]]; rows 1..2 flattened = [2,5,3,6] -> x[0][1], x[1][1], x[0][2], x[1][2]
    expect(x.grad!.toArray()).toEqual([
      [0, 1, 3],
      [0, 2, 4],
    ]);
  });
});
