// SGD against a float64 JS reference of torch.optim.SGD (current semantics:
// maximize negates the gradient before weight decay; the momentum buffer
// starts as the first decayed gradient), over several steps, for every
// option, several tensors per group, params that skip steps, strided params.
import * as nt from '../lib';
import { native } from '../lib/kernels/native';
import { DEVICES, TOL, expectClose, randomValues } from './helpers';

interface SgdRef {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
  maximize?: boolean;
}

/** One reference step of one parameter (arrays updated in place); returns the new buffer. */
function refSgd(p: Float64Array, g: ArrayLike<number>, buf: Float64Array | null, o: SgdRef): Float64Array | null {
  const m = o.momentum ?? 0;
  const damp = o.dampening ?? 0;
  const wd = o.weightDecay ?? 0;
  const d = Float64Array.from(g, (v) => (o.maximize ? -v : v));
  for (let i = 0; i < d.length; ++i) d[i] += wd * p[i];
  let next = buf;
  if (m !== 0) {
    if (next === null) next = d.slice();
    else for (let i = 0; i < d.length; ++i) next[i] = m * next[i] + (1 - damp) * d[i];
    for (let i = 0; i < d.length; ++i) d[i] = o.nesterov ? d[i] + m * next[i] : next[i];
  }
  for (let i = 0; i < p.length; ++i) p[i] -= o.lr * d[i];
  return next;
}

const SHAPES = [[3, 4], [5], [2, 2, 2]];
const CONFIGS: SgdRef[] = [
  { lr: 0.1 },
  { lr: 0.1, momentum: 0.9 },
  { lr: 0.05, momentum: 0.9, dampening: 0.3 },
  { lr: 0.05, momentum: 0.8, nesterov: true },
  { lr: 0.1, weightDecay: 0.1 },
  { lr: 0.1, maximize: true },
  { lr: 0.1, weightDecay: 0.2, maximize: true },
  { lr: 0.05, momentum: 0.9, dampening: 0.2, weightDecay: 0.1, maximize: true },
  { lr: 0.05, momentum: 0.7, nesterov: true, weightDecay: 0.05, maximize: true },
];

/** Gradient of step s for parameter k: depends on the current value, like a real loss. */
function gradFor(p: Float64Array, k: number, s: number): Float64Array {
  const noise = randomValues(p.length, 100 * k + s + 1);
  return Float64Array.from(p, (v, i) => 2 * v - 0.5 + noise[i]);
}

describe.each(DEVICES)('SGD on %s', (device) => {
  describe.each(['float64', 'float32'] as const)('%s', (dtype) => {
    test.each(CONFIGS.map((c) => [JSON.stringify(c), c] as const))('matches the reference for %s', (_name, cfg) => {
      const ref = SHAPES.map((s, k) =>
        randomValues(
          s.reduce((a, b) => a * b, 1),
          10 + k,
        ),
      );
      const params = SHAPES.map((s, k) => nt.tensor(ref[k], { dtype, shape: s, device, requiresGrad: true }));
      ref.forEach((r, k) => r.set(params[k].double().cpu().data() as Float64Array)); // start from the stored values
      const bufs: (Float64Array | null)[] = SHAPES.map(() => null);
      const opt = new nt.optim.SGD(params, cfg);
      for (let s = 0; s < 6; ++s) {
        params.forEach((p, k) => {
          // Param 1 has no gradient on steps 0 and 1: skipped, its buffer starts later.
          if (k === 1 && s < 2) return;
          const g = gradFor(ref[k], k, s);
          p.grad = nt.tensor(g, { dtype, shape: SHAPES[k], device });
          bufs[k] = refSgd(ref[k], p.grad.double().cpu().data() as Float64Array, bufs[k], cfg);
        });
        opt.step();
        opt.zeroGrad();
        params.forEach((p, k) =>
          expectClose(p, ref[k], dtype === 'float64' ? TOL.float64 : { atol: 1e-5, rtol: 1e-4 }),
        );
      }
    });
  });

  test('one native sgd call per group per step', () => {
    const params = SHAPES.map((s) => nt.randn(s, { device, requiresGrad: true }));
    const opt = new nt.optim.SGD(params, { lr: 0.1, momentum: 0.9 });
    const spy = jest.spyOn(native.kernels, 'sgd');
    try {
      for (let s = 0; s < 3; ++s) {
        for (const p of params) p.grad = nt.onesLike(p);
        opt.step();
      }
      expect(spy).toHaveBeenCalledTimes(3);
    } finally {
      spy.mockRestore();
    }
  });

  test('a non-contiguous parameter is updated through a contiguous copy', () => {
    const base = nt.tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { dtype: 'float64', device },
    );
    const p = base.t().requiresGrad_();
    expect(p.isContiguous()).toBe(false);
    const opt = new nt.optim.SGD([p], { lr: 0.5 });
    p.grad = nt.onesLike(p);
    opt.step();
    expect(p.toArray()).toEqual([
      [0.5, 3.5],
      [1.5, 4.5],
      [2.5, 5.5],
    ]);
    expect(base.toArray()).toEqual([
      [0.5, 1.5, 2.5],
      [3.5, 4.5, 5.5],
    ]);
  });
});

describe('SGD options', () => {
  test('invalid options throw ArgumentError', () => {
    const p = nt.zeros([2], { requiresGrad: true });
    expect(() => new nt.optim.SGD([p], { lr: -1 })).toThrow(nt.ArgumentError);
    expect(() => new nt.optim.SGD([p], { lr: 0.1, nesterov: true })).toThrow(/nesterov/);
    expect(() => new nt.optim.SGD([p], { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true })).toThrow(
      /dampening 0/,
    );
    expect(() => new nt.optim.SGD([], { lr: 0.1 })).toThrow(/non-empty/);
    expect(() => new nt.optim.SGD([nt.zeros([2], { dtype: 'int64' })], { lr: 0.1 })).toThrow(nt.DTypeError);
    expect(() => new nt.optim.SGD([p, p], { lr: 0.1 })).toThrow(/one group only/);
  });

  test('parameters without a gradient are left alone', () => {
    const a = nt.tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const b = nt.tensor([3, 4], { dtype: 'float64', requiresGrad: true });
    const opt = new nt.optim.SGD([a, b], { lr: 1, momentum: 0.5 });
    a.grad = nt.tensor([1, 1], { dtype: 'float64' });
    opt.step();
    expect(a.toArray()).toEqual([0, 1]);
    expect(b.toArray()).toEqual([3, 4]);
    expect(opt.state.has(b)).toBe(false);
  });

  test('step(closure) evaluates the closure with grad on and returns its value', () => {
    const p = nt.tensor([2], { dtype: 'float64', requiresGrad: true });
    const opt = new nt.optim.SGD([p], { lr: 0.25 });
    const loss = opt.step(() => {
      opt.zeroGrad();
      const l = p.square().sum();
      l.backward();
      return l.item();
    });
    expect(loss).toBe(4);
    expect(p.toArray()).toEqual([1]); // 2 - 0.25 * 4
  });
});
