// The float32 contiguous rows of GELU-tanh, SiLU, sigmoid and the GELU-tanh
// and SiLU backwards run vectorized kernels with their own exp
// (native/cpu/elementwise_fast.cpp). They must agree with the same ops in
// float64 over the whole float range, special values included, and with
// the generic (strided) float32 loop. Near the edges of the float32 range
// both float32 paths share the same inherent error (exp of a rounded
// argument, overflow to inf), so the special values are compared between
// the two float32 paths, and the float64 comparison covers [-8, 8].
import * as nt from '../lib';
import { randomValues, values } from './helpers';

const F = nt.nn.functional;
type Tensor = nt.Tensor;

const SPECIAL = [
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  0,
  -0,
  1e-30,
  -1e-30,
  1e-40,
  -3.5,
  3.5,
  -9,
  -15,
  -20,
  20,
  -87,
  -88.8,
  -89.5,
  -104,
  -110,
  88,
  89.5,
  200,
  -200,
  1e4,
  -1e4,
  3e38,
  -3e38,
];

const OPS: { name: string; fn: (x: Tensor) => Tensor }[] = [
  { name: 'gelu tanh', fn: (x) => F.gelu(x, 'tanh') },
  { name: 'silu', fn: (x) => F.silu(x) },
  { name: 'sigmoid', fn: (x) => x.sigmoid() },
  {
    name: 'gelu tanh backward',
    fn: (x) => {
      const p = x.detach().requiresGrad_();
      F.gelu(p, 'tanh').backward(nt.onesLike(p).mul(0.75));
      return p.grad as Tensor;
    },
  },
  {
    name: 'silu backward',
    fn: (x) => {
      const p = x.detach().requiresGrad_();
      F.silu(p).backward(nt.onesLike(p).mul(-1.25));
      return p.grad as Tensor;
    },
  },
];

// Wide random values (the row body) followed by the special values (so they
// also land in the row tail, past the last full vector).
function inputs(): Float64Array {
  const wide = randomValues(1000, 7, -30, 30);
  const out = new Float64Array(wide.length + SPECIAL.length);
  out.set(wide);
  out.set(SPECIAL, wide.length);
  return out;
}

function expectAgree(got: Float64Array, want: Float64Array, what: string, rtol: number, atol: number): void {
  for (let i = 0; i < want.length; ++i) {
    const g = got[i] as number;
    const w = want[i] as number;
    if (Number.isNaN(w) || !Number.isFinite(w)) {
      if (!Object.is(g, w) && !(Number.isNaN(g) && Number.isNaN(w)))
        throw new Error(`${what}[${i}]: got ${g}, expected ${w}`);
      continue;
    }
    if (Math.abs(g - w) > rtol * Math.abs(w) + atol) throw new Error(`${what}[${i}]: got ${g}, expected ${w}`);
  }
}

describe('vectorized float32 activation rows', () => {
  const x64 = inputs();
  for (const op of OPS) {
    test(`${op.name}: float32 contiguous agrees with float64`, () => {
      const x32 = nt.tensor(randomValues(1003, 11, -8, 8), { dtype: 'float32' });
      // The float64 reference sees exactly the float32 inputs.
      const want = values(op.fn(x32.double()));
      const wantRounded = Float64Array.from(want, (v) => Math.fround(v));
      expectAgree(values(op.fn(x32)), wantRounded, op.name, 2e-6, 1e-7);
    });
    test(`${op.name}: contiguous and strided float32 agree`, () => {
      const x32 = nt.tensor(x64, { dtype: 'float32' });
      // Every other element of a [n, 2] tensor: the generic strided loop.
      const wide = nt.stack([x32, x32], 1);
      const strided = wide.narrow(1, 0, 1).reshape([-1]);
      expect(strided.isContiguous()).toBe(false);
      expectAgree(values(op.fn(strided)), values(op.fn(x32)), op.name, 2e-6, 1e-37);
    });
  }
});
