// l1Loss, smoothL1Loss, huberLoss, binaryCrossEntropy(+WithLogits) and klDiv
// (functional and modules) against float64 references computed in JS, every
// reduction, their options, float64 gradchecks and typed errors.
import * as nt from '../lib';
import { DEVICES, expectClose, expectError, randomTensor, tolFor, values } from './helpers';

const { nn } = nt;
const F = nn.functional;
type Tensor = nt.Tensor;
type Reduction = nt.nn.Reduction;

const REDUCTIONS: Reduction[] = ['mean', 'sum', 'none'];
const gradcheck = (fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): boolean =>
  nt.autograd.gradcheck(fn, inputs, { atol: 1e-6, rtol: 1e-5 });

function reduceRef(losses: number[], reduction: nt.nn.KLDivReduction, batch = 1): number[] {
  const s = losses.reduce((a, b) => a + b, 0);
  if (reduction === 'none') return losses;
  if (reduction === 'sum') return [s];
  return [reduction === 'batchmean' ? s / batch : s / losses.length];
}

const zip = (a: ArrayLike<number>, b: ArrayLike<number>, f: (x: number, y: number, i: number) => number): number[] =>
  Array.from(a, (x, i) => f(x, b[i], i));

const smoothL1 = (d: number, beta: number): number =>
  Math.abs(d) < beta ? (0.5 * d * d) / beta : Math.abs(d) - 0.5 * beta;
const huber = (d: number, delta: number): number =>
  Math.abs(d) < delta ? 0.5 * d * d : delta * (Math.abs(d) - 0.5 * delta);
const clampLog = (v: number): number => Math.max(Math.log(v), -100);
const bce = (x: number, t: number): number => -(t * clampLog(x) + (1 - t) * clampLog(1 - x));
/** log(1 + exp(-x)) without overflow. */
const softplusNeg = (x: number): number => Math.log1p(Math.exp(-Math.abs(x))) + Math.max(-x, 0);
const bceLogits = (x: number, t: number, pw = 1): number => (1 - t) * x + (1 + (pw - 1) * t) * softplusNeg(x);

describe.each(DEVICES)('regression losses on %s', (device) => {
  test.each(['float32', 'float64'] as const)('l1Loss, smoothL1Loss, huberLoss match the reference (%s)', (dtype) => {
    const a = randomTensor([4, 5], 1, { dtype, device, lo: -3, hi: 3 });
    const b = randomTensor([4, 5], 2, { dtype, device, lo: -3, hi: 3 });
    const d = zip(a.ref, b.ref, (x, y) => x - y);
    for (const reduction of REDUCTIONS) {
      const l1 = d.map(Math.abs);
      expectClose(F.l1Loss(a.t, b.t, { reduction }), reduceRef(l1, reduction), tolFor(dtype));
      expectClose(new nn.L1Loss({ reduction }).forward(a.t, b.t), reduceRef(l1, reduction), tolFor(dtype));
      for (const beta of [1, 0.5, 2.5, 0]) {
        const want = reduceRef(
          d.map((v) => (beta === 0 ? Math.abs(v) : smoothL1(v, beta))),
          reduction,
        );
        expectClose(F.smoothL1Loss(a.t, b.t, { reduction, beta }), want, tolFor(dtype));
        expectClose(new nn.SmoothL1Loss({ reduction, beta }).forward(a.t, b.t), want, tolFor(dtype));
      }
      for (const delta of [1, 0.5, 2.5]) {
        const want = reduceRef(
          d.map((v) => huber(v, delta)),
          reduction,
        );
        expectClose(F.huberLoss(a.t, b.t, { reduction, delta }), want, tolFor(dtype));
        expectClose(new nn.HuberLoss({ reduction, delta }).forward(a.t, b.t), want, tolFor(dtype));
      }
    }
    // Defaults: beta = delta = 1, reduction 'mean'; huber = delta * smoothL1(beta = delta).
    expectClose(
      F.smoothL1Loss(a.t, b.t),
      reduceRef(
        d.map((v) => smoothL1(v, 1)),
        'mean',
      ),
      tolFor(dtype),
    );
    const h = F.huberLoss(a.t, b.t, { delta: 2 });
    expectClose(h, [2 * F.smoothL1Loss(a.t, b.t, { beta: 2 }).item()], tolFor(dtype));
  });

  test.each(REDUCTIONS)('gradcheck: l1Loss, smoothL1Loss, huberLoss (%s), both arguments', (reduction) => {
    // Values away from the kinks (|d| = 0 and |d| = beta), where the loss is not differentiable.
    const x = nt.tensor([0.3, -2.1, 1.7, 0.05, -0.4, 3.2], { dtype: 'float64', device }).requiresGrad_();
    const y = nt.tensor([0.9, 0.2, 1.1, -0.6, 0.1, 0.4], { dtype: 'float64', device }).requiresGrad_();
    expect(gradcheck((a, b) => F.l1Loss(a, b, { reduction }), [x, y])).toBe(true);
    expect(gradcheck((a, b) => F.smoothL1Loss(a, b, { reduction, beta: 0.8 }), [x, y])).toBe(true);
    expect(gradcheck((a, b) => F.smoothL1Loss(a, b, { reduction, beta: 0 }), [x, y])).toBe(true);
    expect(gradcheck((a, b) => F.huberLoss(a, b, { reduction, delta: 1.5 }), [x, y])).toBe(true);
  });
});

describe.each(DEVICES)('binary cross-entropy on %s', (device) => {
  test.each(['float32', 'float64'] as const)('binaryCrossEntropy with weight matches the reference (%s)', (dtype) => {
    const p = randomTensor([3, 4], 3, { dtype, device, lo: 0.02, hi: 0.98 });
    const t = randomTensor([3, 4], 4, { dtype, device, lo: 0, hi: 1 });
    const w = randomTensor([4], 5, { dtype, device, lo: 0.1, hi: 2 });
    const plain = zip(p.ref, t.ref, bce);
    const weighted = plain.map((v, i) => v * w.ref[i % 4]);
    for (const reduction of REDUCTIONS) {
      expectClose(F.binaryCrossEntropy(p.t, t.t, { reduction }), reduceRef(plain, reduction), tolFor(dtype));
      expectClose(
        new nn.BCELoss({ reduction, weight: w.t }).forward(p.t, t.t),
        reduceRef(weighted, reduction),
        tolFor(dtype),
      );
    }
  });

  test('binaryCrossEntropy clamps each log at -100 like PyTorch: saturated probabilities give finite losses', () => {
    const p = nt.tensor([0, 1, 0, 1], { dtype: 'float64', device });
    const t = nt.tensor([1, 0, 0, 1], { dtype: 'float64', device });
    expectClose(F.binaryCrossEntropy(p, t, { reduction: 'none' }), [100, 100, 0, 0], tolFor('float64'));
  });

  test.each(['float32', 'float64'] as const)(
    'binaryCrossEntropyWithLogits with weight and posWeight matches the reference (%s)',
    (dtype) => {
      const x = randomTensor([3, 4], 6, { dtype, device, lo: -6, hi: 6 });
      const t = randomTensor([3, 4], 7, { dtype, device, lo: 0, hi: 1 });
      const w = randomTensor([3, 1], 8, { dtype, device, lo: 0.1, hi: 2 });
      const pw = randomTensor([4], 9, { dtype, device, lo: 0.5, hi: 3 });
      for (const reduction of REDUCTIONS) {
        const plain = zip(x.ref, t.ref, (a, b) => bceLogits(a, b));
        expectClose(
          F.binaryCrossEntropyWithLogits(x.t, t.t, { reduction }),
          reduceRef(plain, reduction),
          tolFor(dtype),
        );
        const both = zip(x.ref, t.ref, (a, b, i) => bceLogits(a, b, pw.ref[i % 4]) * w.ref[Math.floor(i / 4)]);
        const mod = new nn.BCEWithLogitsLoss({ reduction, weight: w.t, posWeight: pw.t });
        expectClose(mod.forward(x.t, t.t), reduceRef(both, reduction), tolFor(dtype));
      }
      // Equals binaryCrossEntropy(sigmoid(x)) where the probabilities are not saturated.
      const viaSigmoid = F.binaryCrossEntropy(x.t.double().sigmoid(), t.t.double());
      expectClose(F.binaryCrossEntropyWithLogits(x.t.double(), t.t.double()), values(viaSigmoid), tolFor('float64'));
    },
  );

  test('binaryCrossEntropyWithLogits is stable for large logits', () => {
    const x = nt.tensor([1000, -1000, 60, -60], { dtype: 'float32', device });
    const t = nt.tensor([0, 1, 1, 0], { dtype: 'float32', device });
    expectClose(F.binaryCrossEntropyWithLogits(x, t, { reduction: 'none' }), [1000, 1000, 0, 0], {
      atol: 1e-6,
      rtol: 1e-6,
    });
  });

  test.each(REDUCTIONS)('gradcheck: binaryCrossEntropy and binaryCrossEntropyWithLogits (%s)', (reduction) => {
    const p = randomTensor([3, 4], 10, { dtype: 'float64', device, lo: 0.05, hi: 0.95 }).t.requiresGrad_();
    const x = randomTensor([3, 4], 11, { dtype: 'float64', device, lo: -4, hi: 4 }).t.requiresGrad_();
    const t = randomTensor([3, 4], 12, { dtype: 'float64', device, lo: 0, hi: 1 }).t.requiresGrad_();
    const w = randomTensor([4], 13, { dtype: 'float64', device, lo: 0.1, hi: 2 }).t;
    const pw = randomTensor([4], 14, { dtype: 'float64', device, lo: 0.5, hi: 3 }).t;
    expect(gradcheck((a, b) => F.binaryCrossEntropy(a, b, { reduction, weight: w }), [p, t])).toBe(true);
    expect(
      gradcheck((a, b) => F.binaryCrossEntropyWithLogits(a, b, { reduction, weight: w, posWeight: pw }), [x, t]),
    ).toBe(true);
  });
});

describe.each(DEVICES)('klDiv on %s', (device) => {
  test.each(['float32', 'float64'] as const)('klDiv matches the reference (%s): reductions, logTarget', (dtype) => {
    const logp = nt.logSoftmax(randomTensor([3, 4], 15, { dtype, device }).t, 1);
    const q = nt.softmax(randomTensor([3, 4], 16, { dtype, device }).t, 1);
    const lv = values(logp);
    const qv = values(q);
    const pointwise = zip(qv, lv, (t, x) => t * (Math.log(t) - x));
    for (const reduction of ['mean', 'batchmean', 'sum', 'none'] as const) {
      const want = reduceRef(pointwise, reduction, 3);
      expectClose(F.klDiv(logp, q, { reduction }), want, tolFor(dtype));
      expectClose(new nn.KLDivLoss({ reduction }).forward(logp, q), want, tolFor(dtype));
      expectClose(F.klDiv(logp, q.log(), { reduction, logTarget: true }), want, tolFor(dtype));
      expectClose(new nn.KLDivLoss({ reduction, logTarget: true }).forward(logp, q.log()), want, tolFor(dtype));
    }
  });

  test('klDiv: a zero target adds 0 (xlogy), a negative one gives NaN as PyTorch; gradcheck', () => {
    const x = nt.tensor([-1.2, -0.3, -2.5], { dtype: 'float64', device });
    expectClose(
      F.klDiv(x, nt.tensor([0, 0.4, 0.6], { dtype: 'float64', device }), { reduction: 'none' }),
      [0, 0.4 * (Math.log(0.4) + 0.3), 0.6 * (Math.log(0.6) + 2.5)],
      tolFor('float64'),
    );
    expect(Number.isNaN(F.klDiv(x, nt.tensor([-0.1, 0.5, 0.6], { dtype: 'float64', device })).item())).toBe(true);
    const xi = randomTensor([3, 4], 17, { dtype: 'float64', device }).t.requiresGrad_();
    const q = randomTensor([3, 4], 18, { dtype: 'float64', device, lo: 0.05, hi: 1 }).t.requiresGrad_();
    const lq = randomTensor([3, 4], 19, { dtype: 'float64', device, lo: -3, hi: 0 }).t.requiresGrad_();
    for (const reduction of ['mean', 'batchmean', 'sum', 'none'] as const) {
      expect(gradcheck((a, b) => F.klDiv(a, b, { reduction }), [xi, q])).toBe(true);
      expect(gradcheck((a, b) => F.klDiv(a, b, { reduction, logTarget: true }), [xi, lq])).toBe(true);
    }
    // The zero-target element keeps a finite gradient.
    const t0 = nt.tensor([0, 0.5], { dtype: 'float64', device }).requiresGrad_();
    F.klDiv(nt.tensor([-1, -1], { dtype: 'float64', device }), t0, { reduction: 'sum' }).backward();
    expect(values(t0.grad as Tensor).every(Number.isFinite)).toBe(true);
  });
});

describe('extra loss errors', () => {
  const x = nt.zeros([3, 2]);
  test('shapes, dtypes, options', () => {
    expectError(
      () => F.l1Loss(nt.zeros([3, 1]), nt.zeros([3])),
      nt.ShapeError,
      "l1_loss: target of the input's shape [3, 1], got [3]",
    );
    expectError(
      () =>
        F.binaryCrossEntropyWithLogits(
          x,
          nt.tensor([
            [1, 0],
            [0, 1],
            [1, 1],
          ]),
        ),
      nt.DTypeError,
      'binary_cross_entropy_with_logits: a floating point target, got int64 (convert it with target.float())',
    );
    expectError(() => F.huberLoss(x.long(), x.long()), nt.DTypeError, /huber_loss: a floating point input/);
    expectError(
      () => F.binaryCrossEntropy(x, x, { weight: nt.ones([3]) }),
      nt.ShapeError,
      "binary_cross_entropy: weight broadcastable to the input's shape [3, 2], got [3]",
    );
    expectError(
      () => F.binaryCrossEntropyWithLogits(x, x, { posWeight: nt.ones([2, 2, 2]) }),
      nt.ShapeError,
      "binary_cross_entropy_with_logits: posWeight broadcastable to the input's shape [3, 2], got [2, 2, 2]",
    );
    expectError(
      () => F.binaryCrossEntropyWithLogits(x, x, { weight: nt.ones([2], { dtype: 'int32' }) }),
      nt.DTypeError,
      'binary_cross_entropy_with_logits: a floating point weight, got int32',
    );
    expectError(() => F.smoothL1Loss(x, x, { beta: -1 }), nt.ArgumentError, /beta/);
    expectError(() => new nn.HuberLoss({ delta: 0 }), nt.ArgumentError, 'HuberLoss: delta > 0, got 0');
    expectError(() => F.l1Loss(x, x, { reduction: 'batchmean' as Reduction }), nt.ArgumentError, /reduction/);
    expectError(() => F.klDiv(x, x, { reduction: 'avg' as Reduction }), nt.ArgumentError, /'batchmean'/);
    expectError(() => new nn.KLDivLoss({ log_target: true } as never), nt.ArgumentError, /log_target/);
  });
});
