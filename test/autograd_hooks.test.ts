// Tensor hooks (registerHook, registerPostAccumulateGradHook): PyTorch 1.13
// semantics for order, replacement, removal and when they fire.
import * as nt from '../lib';
import { randomValues, settledMemory, testSeed } from './helpers';

function leaf(shape: number[], salt: string): nt.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return nt.tensor(randomValues(n, testSeed(salt), -2, 2), { dtype: 'float64', shape, requiresGrad: true });
}

const close = (a: nt.Tensor, b: nt.Tensor): void => {
  const x = a.toArray() as number[] | number[][];
  const y = b.toArray() as number[] | number[][];
  expect(x.flat().length).toBe(y.flat().length);
  x.flat().forEach((v, i) => expect(v).toBeCloseTo(y.flat()[i] as number, 10));
};

describe('registerHook', () => {
  test('a leaf hook sees the summed gradient once, before .grad, and may replace it', () => {
    const x = leaf([3], 'x');
    const seen: nt.Tensor[] = [];
    x.registerHook((g) => {
      seen.push(g.clone());
      return g.mul(2);
    });
    // two uses of x: the hook must see their sum once
    x.mul(3).add(x.square()).sum().backward();
    expect(seen.length).toBe(1);
    const expected = nt.noGrad(() => x.mul(2).add(3));
    close(seen[0], expected);
    close(x.grad as nt.Tensor, expected.mul(2));
  });

  test('a tensor a hook returns is copied into .grad, not aliased', () => {
    const x = leaf([2], 'x');
    const mine = nt.ones([2], { dtype: 'float64' });
    x.registerHook(() => mine);
    x.sum().backward();
    x.sum().backward();
    close(x.grad as nt.Tensor, nt.full([2], 2, { dtype: 'float64' }));
    close(mine, nt.ones([2], { dtype: 'float64' }));
  });

  test('hooks on a non-leaf run in registration order, chain replacements and change what flows upstream', () => {
    const x = leaf([4], 'x');
    const y = x.mul(2);
    const calls: string[] = [];
    y.registerHook((g) => {
      calls.push('first');
      return g.add(1);
    });
    y.registerHook((g) => {
      calls.push('second');
      return g.mul(10);
    });
    y.sum().backward();
    expect(calls).toEqual(['first', 'second']);
    // dL/dy = 1 -> (1 + 1) * 10 = 20 -> dL/dx = 40
    close(x.grad as nt.Tensor, nt.full([4], 40, { dtype: 'float64' }));
  });

  test('a hook returning nothing leaves the gradient; remove() stops it and is idempotent', () => {
    const x = leaf([2], 'x');
    let n = 0;
    const h = x.registerHook(() => {
      n++;
    });
    x.sum().backward();
    expect(n).toBe(1);
    close(x.grad as nt.Tensor, nt.ones([2], { dtype: 'float64' }));
    h.remove();
    h.remove();
    x.sum().backward();
    expect(n).toBe(1);
    close(x.grad as nt.Tensor, nt.full([2], 2, { dtype: 'float64' }));
  });

  test('a retained non-leaf grad sees the hooked gradient', () => {
    const x = leaf([3], 'x');
    const y = x.mul(1).retainGrad();
    y.registerHook((g) => g.mul(3));
    y.sum().backward();
    close(y.grad as nt.Tensor, nt.full([3], 3, { dtype: 'float64' }));
    close(x.grad as nt.Tensor, nt.full([3], 3, { dtype: 'float64' }));
  });

  test('typed errors: no grad, not a function, a wrong replacement shape', () => {
    const c = nt.ones([2]);
    expect(() => c.registerHook((g) => g)).toThrow(nt.ArgumentError);
    expect(() => c.registerHook((g) => g)).toThrow(/registerHook/);
    const x = leaf([2], 'x');
    expect(() => x.registerHook(3 as unknown as () => void)).toThrow(nt.ArgumentError);
    x.registerHook(() => nt.ones([3], { dtype: 'float64' }));
    expect(() => x.sum().backward()).toThrow(nt.ShapeError);
    const y = leaf([2], 'y');
    y.registerHook(() => 5 as unknown as nt.Tensor);
    expect(() => y.sum().backward()).toThrow(/must return a Tensor or nothing/);
  });
});

describe('registerPostAccumulateGradHook', () => {
  test('fires once per pass after .grad holds the accumulated gradient, in order, leaves only', () => {
    const w = leaf([3], 'w');
    const b = leaf([3], 'b');
    const log: string[] = [];
    const grads: number[][] = [];
    w.registerPostAccumulateGradHook((p) => {
      log.push('w1');
      grads.push((p.grad as nt.Tensor).toArray() as number[]);
    });
    w.registerPostAccumulateGradHook(() => log.push('w2'));
    b.registerPostAccumulateGradHook(() => log.push('b'));
    // w used three times: the hook must fire once, with all three summed
    const loss = () => w.mul(b).add(w).add(w.square()).sum();
    loss().backward();
    expect(log.filter((s) => s === 'w1').length).toBe(1);
    expect(log.indexOf('w1')).toBeLessThan(log.indexOf('w2'));
    expect(log).toContain('b');
    const expected = nt.noGrad(() => b.add(1).add(w.mul(2)));
    close(nt.tensor(grads[0], { dtype: 'float64' }), expected);
    // second pass: .grad accumulates and the hook sees the total
    loss().backward();
    close(nt.tensor(grads[1], { dtype: 'float64' }), expected.mul(2));
  });

  test('the hook of the first-finished leaf fires before the rest of the graph runs', () => {
    // w2 is used only at the top of the graph: its gradient is complete long before w1's.
    const w1 = leaf([2], 'a');
    const w2 = leaf([2], 'b');
    const order: string[] = [];
    w2.registerPostAccumulateGradHook(() => order.push('w2 ready'));
    const y = w1.mul(3);
    y.registerHook(() => {
      order.push('deep');
    });
    y.exp().mul(w2).sum().backward();
    expect(order).toEqual(['w2 ready', 'deep']);
  });

  test('remove() and typed errors', () => {
    const w = leaf([2], 'w');
    let n = 0;
    const h = w.registerPostAccumulateGradHook(() => n++);
    w.sum().backward();
    h.remove();
    w.sum().backward();
    expect(n).toBe(1);
    expect(() => w.mul(2).registerPostAccumulateGradHook(() => {})).toThrow(/leaf/);
    expect(() => nt.ones([2]).registerPostAccumulateGradHook(() => {})).toThrow(nt.ArgumentError);
  });

  test('not fired by autograd.grad, which leaves .grad alone', () => {
    const w = leaf([2], 'w');
    let n = 0;
    w.registerPostAccumulateGradHook(() => n++);
    const [g] = nt.autograd.grad(w.square().sum(), [w]);
    expect(n).toBe(0);
    expect(w.grad).toBeNull();
    close(
      g,
      nt.noGrad(() => w.mul(2)),
    );
  });
});

describe('memory', () => {
  const live = (): number => settledMemory().cpu.tensors;

  test('hooks, autograd.grad and a double backward inside nt.scope leave nt.memory() at its baseline', () => {
    const w = leaf([8], 'w');
    const x = nt.tensor(randomValues(8, testSeed('x')), { dtype: 'float64' });
    const made: nt.Tensor[] = []; // tensors made during backward, held here: only the scope frees them
    w.registerHook((g) => {
      made.push(g);
      return g.mul(0.5);
    });
    w.registerPostAccumulateGradHook((p) => void (p.grad as nt.Tensor).abs());
    const step = (): void => {
      w.mul(x).tanh().mul(w).sum().backward();
      const [g] = nt.autograd.grad(w.mul(x).sigmoid().square().sum(), [w], { createGraph: true });
      made.push(g);
      g.square().sum().backward();
    };
    nt.scope(step); // the first step creates w.grad (kept by backward)
    const base = live();
    for (let i = 0; i < 5; ++i) {
      nt.scope(step);
      expect(live()).toBeLessThanOrEqual(base);
    }
    expect((w.grad as nt.Tensor).isDisposed).toBe(false);
    expect(made.length).toBe(24); // per step: the hook in each of the three passes, and g
    expect(made.filter((t) => !t.isDisposed)).toEqual([]);
  });
});
