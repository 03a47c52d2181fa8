// Layers against float64 references computed in JS, finite-difference
// gradchecks in float64, Linear's default init bounds, and Dropout.
import * as nt from '../lib';
import { DEVICES, erfRef, expectClose, expectError, randomTensor, tolFor, values } from './helpers';

const { nn } = nt;
const F = nn.functional;
type Tensor = nt.Tensor;

const gradcheck = (fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): boolean =>
  nt.autograd.gradcheck(fn, inputs, { atol: 1e-6, rtol: 1e-5 });

function linearRef(
  x: Float64Array,
  w: Float64Array,
  b: Float64Array | null,
  rows: number,
  inF: number,
  outF: number,
): Float64Array {
  const out = new Float64Array(rows * outF);
  for (let r = 0; r < rows; ++r) {
    for (let o = 0; o < outF; ++o) {
      let s = b ? b[o] : 0;
      for (let i = 0; i < inF; ++i) s += x[r * inF + i] * w[o * inF + i];
      out[r * outF + o] = s;
    }
  }
  return out;
}

/** Row-wise (log-)softmax over the last dim of row-major values. */
function softmaxRef(v: Float64Array, cols: number, log: boolean): Float64Array {
  const out = new Float64Array(v.length);
  for (let r = 0; r < v.length / cols; ++r) {
    const row = v.subarray(r * cols, (r + 1) * cols);
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((a, x) => a + Math.exp(x - m), 0));
    row.forEach((x, j) => {
      out[r * cols + j] = log ? x - lse : Math.exp(x - lse);
    });
  }
  return out;
}

function sameValues(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; ++i) if (a[i] !== b[i]) return false;
  return true;
}

const geluTanhRef = (x: number): number => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

const ACTIVATIONS: { name: string; make: () => nt.nn.TensorModule; ref: (x: number) => number }[] = [
  { name: 'ReLU', make: () => new nn.ReLU(), ref: (x) => Math.max(x, 0) },
  { name: 'Sigmoid', make: () => new nn.Sigmoid(), ref: (x) => 1 / (1 + Math.exp(-x)) },
  { name: 'Tanh', make: () => new nn.Tanh(), ref: Math.tanh },
  { name: 'GELU', make: () => new nn.GELU(), ref: (x) => 0.5 * x * (1 + erfRef(x / Math.SQRT2)) },
  { name: "GELU('tanh')", make: () => new nn.GELU('tanh'), ref: geluTanhRef },
  { name: 'SiLU', make: () => new nn.SiLU(), ref: (x) => x / (1 + Math.exp(-x)) },
  {
    name: 'Softplus(2, 1)',
    make: () => new nn.Softplus(2, 1),
    ref: (x) => (2 * x > 1 ? x : Math.log1p(Math.exp(2 * x)) / 2),
  },
  { name: 'LeakyReLU(0.2)', make: () => new nn.LeakyReLU(0.2), ref: (x) => (x > 0 ? x : 0.2 * x) },
  { name: 'Identity', make: () => new nn.Identity(), ref: (x) => x },
];

describe.each(DEVICES)('nn layers on %s', (device) => {
  test.each(['float32', 'float64'] as const)(
    'Linear matches x W^T + b (%s), with and without bias, batched',
    (dtype) => {
      for (const bias of [true, false]) {
        const lin = new nn.Linear(5, 3, { bias, dtype, device });
        expect(lin.weight.dtype).toBe(dtype);
        const { t: x, ref } = randomTensor([2, 4, 5], 11, { dtype, device });
        const y = lin.forward(x);
        expect(y.shape).toEqual([2, 4, 3]);
        const b = lin.bias ? values(lin.bias) : null;
        expectClose(y, linearRef(ref, values(lin.weight), b, 8, 5, 3), tolFor(dtype));
      }
    },
  );

  test.each(ACTIVATIONS)('$name matches its reference', ({ make, ref }) => {
    for (const dtype of ['float32', 'float64'] as const) {
      const { t: x, ref: xv } = randomTensor([3, 7], 5, { dtype, device, lo: -4, hi: 4 });
      expectClose(make().forward(x), xv.map(ref), tolFor(dtype));
    }
  });

  test('Softmax / LogSoftmax along a dim', () => {
    const { t: x, ref } = randomTensor([4, 6], 3, { dtype: 'float64', device });
    expectClose(new nn.Softmax(1).forward(x), softmaxRef(ref, 6, false), tolFor('float64'));
    expectClose(new nn.LogSoftmax(-1).forward(x), softmaxRef(ref, 6, true), tolFor('float64'));
    // dim 0 = last dim of the transpose
    const t = values(x.t().contiguous());
    expectClose(new nn.Softmax(0).forward(x).t(), softmaxRef(t, 4, false), tolFor('float64'));
  });

  test('Flatten keeps the batch dim by default', () => {
    const x = nt.zeros([2, 3, 4, 5], { device });
    expect(new nn.Flatten().forward(x).shape).toEqual([2, 60]);
    expect(new nn.Flatten(0, 2).forward(x).shape).toEqual([24, 5]);
    expect(F.flatten(x).shape).toEqual([120]);
  });

  test('gradcheck: Linear (input, weight, bias) and the module', () => {
    const x = randomTensor([4, 3], 1, { dtype: 'float64', device }).t.requiresGrad_();
    const w = randomTensor([2, 3], 2, { dtype: 'float64', device }).t.requiresGrad_();
    const b = randomTensor([2], 3, { dtype: 'float64', device }).t.requiresGrad_();
    expect(gradcheck((xi, wi, bi) => F.linear(xi, wi, bi), [x, w, b])).toBe(true);
    const lin = new nn.Linear(3, 2, { dtype: 'float64', device });
    expect(gradcheck((xi) => lin.forward(xi), [x])).toBe(true);
    // The module's parameter grads equal the functional ones.
    lin.zeroGrad();
    lin.forward(x).sum().backward();
    const wc = lin.weight.detach().clone().requiresGrad_();
    const bc = (lin.bias as Tensor).detach().clone().requiresGrad_();
    F.linear(x.detach(), wc, bc).sum().backward();
    expectClose(lin.weight.grad as Tensor, values(wc.grad as Tensor), tolFor('float64'));
    expectClose((lin.bias as Tensor).grad as Tensor, values(bc.grad as Tensor), tolFor('float64'));
  });

  test.each(ACTIVATIONS)('gradcheck: $name', ({ make }) => {
    // Values away from the kinks of ReLU / LeakyReLU at 0.
    const base = randomTensor([3, 5], 9, { dtype: 'float64', device, lo: 0.1, hi: 2 });
    const sign = nt.tensor([1, -1, 1, -1, 1], { dtype: 'float64', device });
    const x = base.t.mul(sign).detach().requiresGrad_();
    const m = make();
    expect(gradcheck((xi) => m.forward(xi), [x])).toBe(true);
  });

  test('gradcheck: Softmax and LogSoftmax', () => {
    const x = randomTensor([3, 4], 4, { dtype: 'float64', device }).t.requiresGrad_();
    expect(gradcheck((xi) => new nn.Softmax(1).forward(xi), [x])).toBe(true);
    expect(gradcheck((xi) => new nn.LogSoftmax(0).forward(xi), [x])).toBe(true);
  });
});

describe('Linear default init', () => {
  test('weight and bias ~ U(-1/sqrt(in), 1/sqrt(in)), like PyTorch', () => {
    nt.manualSeed(0);
    const inF = 400;
    const lin = new nn.Linear(inF, 300);
    const bound = 1 / Math.sqrt(inF);
    const w = values(lin.weight);
    const b = values(lin.bias as Tensor);
    for (const v of [w, b]) {
      const hi = v.reduce((a, x) => Math.max(a, x), -Infinity);
      const lo = v.reduce((a, x) => Math.min(a, x), Infinity);
      expect(hi).toBeLessThanOrEqual(bound);
      expect(lo).toBeGreaterThanOrEqual(-bound);
      expect(hi).toBeGreaterThan(0.98 * bound);
      expect(lo).toBeLessThan(-0.98 * bound);
    }
    const variance = w.reduce((a, x) => a + x * x, 0) / w.length;
    expect(Math.abs(variance / ((bound * bound) / 3) - 1)).toBeLessThan(0.02);
    expect(lin.weight.requiresGrad && (lin.bias as Tensor).requiresGrad).toBe(true);
    expect(lin.weight.isLeaf).toBe(true);
  });

  test('seeded: same seed, same weights', () => {
    nt.manualSeed(7);
    const a = values(new nn.Linear(8, 4).weight);
    nt.manualSeed(7);
    expect(values(new nn.Linear(8, 4).weight)).toEqual(a);
  });

  test('bad sizes are an ArgumentError', () => {
    expectError(() => new nn.Linear(-1, 2), nt.ArgumentError, /inFeatures a non-negative integer, got -1/);
  });
});

describe('Dropout', () => {
  test('eval mode and p = 0 are the identity', () => {
    const d = new nn.Dropout(0.5);
    const x = nt.randn([10]);
    d.eval();
    expect(d.forward(x)).toBe(x);
    expect(F.dropout(x, 0)).toBe(x);
    expect(F.dropout(x, 0.5, false)).toBe(x);
  });

  test('train mode: seeded, zeros fraction ~ p, survivors scaled by 1/(1-p), mean preserved', () => {
    const p = 0.3;
    const d = new nn.Dropout(p);
    const x = nt.ones([200000]);
    nt.manualSeed(42);
    const y = values(d.forward(x));
    nt.manualSeed(42);
    expect(sameValues(values(d.forward(x)), y)).toBe(true);
    expect(sameValues(values(d.forward(x)), y)).toBe(false);
    let zeros = 0;
    let other = 0;
    let total = 0;
    const scale = Math.fround(1 / (1 - p));
    for (const v of y) {
      if (v === 0) zeros++;
      else if (v !== scale) other++;
      total += v;
    }
    expect(Math.abs(zeros / y.length - p)).toBeLessThan(0.01);
    expect(other).toBe(0);
    const mean = total / y.length;
    expect(Math.abs(mean - 1)).toBeLessThan(0.01);
  });

  test('gradient is the mask', () => {
    const x = nt.ones([1000], { dtype: 'float64', requiresGrad: true });
    const y = F.dropout(x, 0.5);
    y.sum().backward();
    expect(values(x.grad as Tensor)).toEqual(values(y));
    expect(values(F.dropout(nt.ones([4]), 1))).toEqual(new Float64Array(4));
  });

  test('bad p and integer input throw', () => {
    expectError(() => new nn.Dropout(1.5), nt.ArgumentError, /probability p in \[0, 1\], got 1.5/);
    expectError(() => F.dropout(nt.ones([2], { dtype: 'int64' }), 0.5), nt.DTypeError, /floating point input/);
  });
});
