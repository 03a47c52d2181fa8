// ELU, Mish, Hardswish, Hardtanh (functional and modules) against float64
// references computed in JS, float64 gradchecks away from the kinks, errors.
import * as nt from '../lib';
import { DEVICES, expectClose, expectError, randomTensor, tolFor } from './helpers';

const { nn } = nt;
const F = nn.functional;
type Tensor = nt.Tensor;

const softplusRef = (x: number): number => (x > 20 ? x : Math.log1p(Math.exp(x)));
const CASES: {
  name: string;
  fn: (x: Tensor) => Tensor;
  mod: () => { forward(x: Tensor): Tensor };
  ref: (x: number) => number;
}[] = [
  { name: 'elu', fn: (x) => F.elu(x), mod: () => new nn.ELU(), ref: (x) => (x > 0 ? x : Math.expm1(x)) },
  {
    name: 'elu(alpha 0.7)',
    fn: (x) => F.elu(x, 0.7),
    mod: () => new nn.ELU(0.7),
    ref: (x) => (x > 0 ? x : 0.7 * Math.expm1(x)),
  },
  { name: 'mish', fn: (x) => F.mish(x), mod: () => new nn.Mish(), ref: (x) => x * Math.tanh(softplusRef(x)) },
  {
    name: 'hardswish',
    fn: (x) => F.hardswish(x),
    mod: () => new nn.Hardswish(),
    ref: (x) => (x * Math.min(Math.max(x + 3, 0), 6)) / 6,
  },
  {
    name: 'hardtanh',
    fn: (x) => F.hardtanh(x),
    mod: () => new nn.Hardtanh(),
    ref: (x) => Math.min(Math.max(x, -1), 1),
  },
  {
    name: 'hardtanh(-2, 0.5)',
    fn: (x) => F.hardtanh(x, -2, 0.5),
    mod: () => new nn.Hardtanh(-2, 0.5),
    ref: (x) => Math.min(Math.max(x, -2), 0.5),
  },
];

describe.each(DEVICES)('extra activations on %s', (device) => {
  describe.each(CASES)('$name', ({ fn, mod, ref }) => {
    test.each(['float32', 'float64'] as const)('matches the reference (%s), functional and module', (dtype) => {
      const { t: x, ref: xv } = randomTensor([4, 6], 1, { dtype, device, lo: -5, hi: 5 });
      const want = Array.from(xv, ref);
      const got = fn(x);
      expect(got.dtype).toBe(dtype);
      expect(got.shape).toEqual([4, 6]);
      expectClose(got, want, tolFor(dtype));
      expectClose(mod().forward(x), want, tolFor(dtype));
    });

    test('gradcheck (float64, away from the kinks)', () => {
      // Kinks: 0 (elu), -3 and 3 (hardswish), the clamp bounds (hardtanh).
      const xs = [-6.1, -3.4, -2.6, -1.3, -0.45, 0.2, 0.35, 0.8, 1.6, 2.4, 3.3, 25];
      const x = nt.tensor(xs, { dtype: 'float64', device }).requiresGrad_();
      expect(nt.autograd.gradcheck(fn, [x], { atol: 1e-6, rtol: 1e-5 })).toBe(true);
    });
  });

  test('elu keeps a finite gradient for large positive inputs; mish for large ones', () => {
    const x = nt.tensor([100, 800, -800], { dtype: 'float32', device }).requiresGrad_();
    F.elu(x).sum().backward();
    expectClose(x.grad as Tensor, [1, 1, 0], tolFor('float32'));
    const y = nt.tensor([100, -100], { dtype: 'float32', device }).requiresGrad_();
    const m = F.mish(y);
    expectClose(m, [100, 0], { atol: 1e-6, rtol: 1e-6 });
    m.sum().backward();
    expectClose(y.grad as Tensor, [1, 0], { atol: 1e-6, rtol: 1e-6 });
  });
});

describe('extra activation errors', () => {
  test('integer input, bad options', () => {
    expectError(() => F.elu(nt.tensor([1, 2])), nt.DTypeError, 'elu: a floating point input, got int64');
    expectError(() => F.hardswish(nt.tensor([1, 2])), nt.DTypeError, /hardswish/);
    expectError(() => new nn.ELU(Number.NaN), nt.ArgumentError, /alpha/);
    expectError(
      () => new nn.Hardtanh(1, -1),
      nt.ArgumentError,
      'Hardtanh: maxVal > minVal, got minVal 1 and maxVal -1',
    );
    expect(new nn.ELU(0.5).toString()).toBe('ELU(alpha=0.5)');
  });
});
