// Losses against float64 references computed in JS (every reduction,
// ignoreIndex, labelSmoothing, [N, C, d] inputs, probability targets) and
// float64 gradchecks of crossEntropy (fused kernel), nllLoss and mseLoss.
import * as nt from '../lib';
import { DEVICES, expectClose, expectError, randomTensor, tolFor, values, settledMemory } from './helpers';

const { nn } = nt;
const F = nn.functional;
type Tensor = nt.Tensor;
type Reduction = nt.nn.Reduction;

const REDUCTIONS: Reduction[] = ['mean', 'sum', 'none'];
const gradcheck = (fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): boolean =>
  nt.autograd.gradcheck(fn, inputs, { atol: 1e-6, rtol: 1e-5 });

function reduceRef(losses: number[], reduction: Reduction, count = losses.length): number[] {
  const s = losses.reduce((a, b) => a + b, 0);
  if (reduction === 'none') return losses;
  return [reduction === 'sum' ? s : s / count];
}

/** Row-wise log-softmax of [rows, C] row-major values. */
function logSoftmaxRows(x: Float64Array, C: number): number[][] {
  const out: number[][] = [];
  for (let r = 0; r < x.length / C; ++r) {
    const row = Array.from(x.subarray(r * C, (r + 1) * C));
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
    out.push(row.map((v) => v - lse));
  }
  return out;
}

function crossEntropyRef(
  x: Float64Array,
  C: number,
  targets: number[],
  reduction: Reduction,
  ignoreIndex = -100,
  ls = 0,
): number[] {
  const logp = logSoftmaxRows(x, C);
  const losses = targets.map((t, r) => {
    if (t === ignoreIndex) return 0;
    const smooth = -logp[r].reduce((a, v) => a + v, 0) / C;
    return (1 - ls) * -logp[r][t] + ls * smooth;
  });
  return reduceRef(losses, reduction, targets.filter((t) => t !== ignoreIndex).length);
}

function nllRef(x: Float64Array, C: number, targets: number[], reduction: Reduction, ignoreIndex = -100): number[] {
  const losses = targets.map((t, r) => (t === ignoreIndex ? 0 : -x[r * C + t]));
  return reduceRef(losses, reduction, targets.filter((t) => t !== ignoreIndex).length);
}

/** [N, C, d] row-major -> [N * d, C] rows (class dim moved last). */
function classesLast(x: Float64Array, N: number, C: number, d: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let n = 0; n < N; ++n)
    for (let c = 0; c < C; ++c) for (let k = 0; k < d; ++k) out[(n * d + k) * C + c] = x[(n * C + c) * d + k];
  return out;
}

describe.each(DEVICES)('losses on %s', (device) => {
  const targets = [2, 0, 4, 1, 3, 2];
  const withIgnored = [2, -100, 4, 1, -100, 2];

  test.each(['float32', 'float64'] as const)(
    'crossEntropy matches the reference (%s): reductions, ignoreIndex, labelSmoothing',
    (dtype) => {
      const { t: x, ref } = randomTensor([6, 5], 1, { dtype, device, lo: -3, hi: 3 });
      for (const tdtype of ['int64', 'int32'] as const) {
        for (const reduction of REDUCTIONS) {
          for (const [tg, ignoreIndex] of [
            [targets, -100],
            [withIgnored, -100],
            [targets, 2],
          ] as const) {
            for (const labelSmoothing of [0, 0.1]) {
              const t = nt.tensor([...tg], { dtype: tdtype, device });
              const got = F.crossEntropy(x, t, { reduction, ignoreIndex, labelSmoothing });
              expect(got.shape).toEqual(reduction === 'none' ? [6] : []);
              expect(got.dtype).toBe(dtype);
              expectClose(got, crossEntropyRef(ref, 5, [...tg], reduction, ignoreIndex, labelSmoothing), tolFor(dtype));
            }
          }
        }
      }
    },
  );

  test('CrossEntropyLoss module and an input [N, C, d] (classes moved last) and [C]', () => {
    const { t: x, ref } = randomTensor([2, 4, 3], 2, { dtype: 'float64', device });
    const tg = [0, 3, 1, 2, 2, -100];
    const t = nt.tensor(tg, { device }).reshape([2, 3]);
    const rows = classesLast(ref, 2, 4, 3);
    const none = new nn.CrossEntropyLoss({ reduction: 'none' }).forward(x, t);
    expect(none.shape).toEqual([2, 3]);
    expectClose(none, crossEntropyRef(rows, 4, tg, 'none'), tolFor('float64'));
    expectClose(new nn.CrossEntropyLoss().forward(x, t), crossEntropyRef(rows, 4, tg, 'mean'), tolFor('float64'));
    const single = F.crossEntropy(
      x.narrow(0, 0, 1).reshape([4, 3]).narrow(1, 0, 1).reshape([4]),
      nt.tensor(0, { device }),
    );
    expectClose(single, crossEntropyRef(rows.subarray(0, 4), 4, [0], 'mean'), tolFor('float64'));
  });

  test('crossEntropy with class-probability targets (and label smoothing)', () => {
    const { t: x, ref } = randomTensor([3, 4], 3, { dtype: 'float64', device });
    const p = nt.softmax(randomTensor([3, 4], 4, { dtype: 'float64', device }).t, 1);
    const pv = values(p);
    const logp = logSoftmaxRows(ref, 4);
    for (const ls of [0, 0.2]) {
      const losses = logp.map((row, r) => -row.reduce((a, v, c) => a + ((1 - ls) * pv[r * 4 + c] + ls / 4) * v, 0));
      for (const reduction of REDUCTIONS) {
        expectClose(
          F.crossEntropy(x, p, { reduction, labelSmoothing: ls }),
          reduceRef(losses, reduction),
          tolFor('float64'),
        );
      }
    }
  });

  test('crossEntropy gradients: dlogits = softmax - smoothed one-hot, scaled by the reduction', () => {
    const { t: base, ref } = randomTensor([4, 3], 5, { dtype: 'float64', device });
    const tg = [1, -100, 0, 2];
    const x = base.detach().requiresGrad_();
    F.crossEntropy(x, nt.tensor(tg, { device }), { labelSmoothing: 0.3 }).backward();
    const probs = logSoftmaxRows(ref, 3).map((row) => row.map(Math.exp));
    const expected = tg.flatMap((t, r) =>
      t === -100 ? [0, 0, 0] : probs[r].map((pr, c) => (pr - 0.7 * (c === t ? 1 : 0) - 0.1) / 3),
    );
    expectClose(x.grad as Tensor, expected, tolFor('float64'));
  });

  test.each(REDUCTIONS)('gradcheck: crossEntropy (%s) with ignoreIndex and labelSmoothing', (reduction) => {
    const x = randomTensor([5, 4], 6, { dtype: 'float64', device }).t.requiresGrad_();
    const t = nt.tensor([3, 1, -1, 0, 2], { device });
    for (const labelSmoothing of [0, 0.15]) {
      expect(gradcheck((xi) => F.crossEntropy(xi, t, { reduction, ignoreIndex: -1, labelSmoothing }), [x])).toBe(true);
    }
    const x3 = randomTensor([2, 3, 2], 7, { dtype: 'float64', device }).t.requiresGrad_();
    const t3 = nt.tensor(
      [
        [0, 2],
        [1, 1],
      ],
      { device },
    );
    expect(gradcheck((xi) => F.crossEntropy(xi, t3, { reduction, labelSmoothing: 0.1 }), [x3])).toBe(true);
    const p = nt.softmax(randomTensor([5, 4], 8, { dtype: 'float64', device }).t, 1);
    expect(gradcheck((xi) => F.crossEntropy(xi, p, { reduction, labelSmoothing: 0.1 }), [x])).toBe(true);
  });

  test('crossEntropy: no dlogits without grad; noGrad gives the same loss', () => {
    const { t: x } = randomTensor([3, 4], 9, { dtype: 'float64', device });
    const t = nt.tensor([0, 1, 2], { device });
    const a = F.crossEntropy(x, t);
    expect(a.requiresGrad).toBe(false);
    const xg = x.detach().requiresGrad_();
    const b = F.crossEntropy(xg, t);
    expect(b.gradFn?.name).toBe('CrossEntropyBackward');
    expect(nt.noGrad(() => F.crossEntropy(xg, t)).requiresGrad).toBe(false);
    expectClose(b, values(a), tolFor('float64'));
  });

  test('crossEntropy errors', () => {
    const x = nt.zeros([3, 4], { device });
    expectError(
      () => F.crossEntropy(x, nt.tensor([0, 1], { device })),
      nt.ShapeError,
      'cross_entropy: target of shape [3] for input [3, 4], got [2]',
    );
    expectError(
      () => F.crossEntropy(x, nt.tensor([0, 1, 4], { device })),
      nt.IndexError,
      /target 4 at row 2 is out of range \[0, 4\)/,
    );
    expectError(
      () => F.crossEntropy(x, nt.tensor([0, 1, 2], { dtype: 'uint8', device })),
      nt.DTypeError,
      /int32 or int64/,
    );
    expectError(() => F.crossEntropy(x, nt.zeros([3, 5], { device })), nt.ShapeError, /probability targets/);
    expectError(
      () => F.crossEntropy(x, nt.tensor([0, 1, 2], { device }), { reduction: 'avg' as Reduction }),
      nt.ArgumentError,
      /reduction/,
    );
    expectError(
      () => F.crossEntropy(x, nt.tensor([0, 1, 2], { device }), { labelSmoothing: 2 }),
      nt.ArgumentError,
      /labelSmoothing/,
    );
    expectError(
      () => F.crossEntropy(nt.zeros([3, 4], { dtype: 'int64', device }), nt.tensor([0, 1, 2], { device })),
      nt.DTypeError,
      /floating point input/,
    );
  });

  test('all targets ignored: mean is NaN like PyTorch, sum is 0', () => {
    const x = nt.zeros([2, 3], { device });
    const t = nt.tensor([-100, -100], { device });
    expect(Number.isNaN(F.crossEntropy(x, t).item())).toBe(true);
    expect(F.crossEntropy(x, t, { reduction: 'sum' }).item()).toBe(0);
  });

  test('nllLoss matches the reference; NLLLoss(logSoftmax) equals crossEntropy', () => {
    const { t: x, ref } = randomTensor([6, 5], 10, { dtype: 'float64', device });
    for (const reduction of REDUCTIONS) {
      for (const tg of [targets, withIgnored]) {
        const t = nt.tensor(tg, { dtype: 'int32', device });
        expectClose(F.nllLoss(x, t, { reduction }), nllRef(ref, 5, tg, reduction), tolFor('float64'));
        const viaLogSoftmax = new nn.NLLLoss({ reduction }).forward(nt.logSoftmax(x, 1), t);
        expectClose(viaLogSoftmax, values(F.crossEntropy(x, t, { reduction })), tolFor('float64'));
      }
    }
    const t3 = nt.tensor(
      [
        [0, 1],
        [2, 2],
      ],
      { device },
    );
    const x3 = randomTensor([2, 3, 2], 11, { dtype: 'float64', device });
    expectClose(
      F.nllLoss(x3.t, t3, { reduction: 'none' }),
      nllRef(classesLast(x3.ref, 2, 3, 2), 3, [0, 1, 2, 2], 'none'),
      tolFor('float64'),
    );
    expectError(() => F.nllLoss(x, nt.tensor([0, 1, 2, 3, 4, 5], { device })), nt.IndexError, /out of|range/);
  });

  test.each(REDUCTIONS)('gradcheck: nllLoss (%s) with ignoreIndex', (reduction) => {
    const x = randomTensor([5, 4], 12, { dtype: 'float64', device }).t.requiresGrad_();
    const t = nt.tensor([3, 1, 7, 0, 7], { device });
    expect(gradcheck((xi) => F.nllLoss(xi, t, { reduction, ignoreIndex: 7 }), [x])).toBe(true);
  });

  test('mseLoss matches the reference; gradcheck in both arguments', () => {
    const a = randomTensor([3, 4], 13, { dtype: 'float64', device });
    const b = randomTensor([3, 4], 14, { dtype: 'float64', device });
    const sq = Array.from(a.ref, (v, i) => (v - b.ref[i]) ** 2);
    for (const reduction of REDUCTIONS) {
      expectClose(F.mseLoss(a.t, b.t, { reduction }), reduceRef(sq, reduction), tolFor('float64'));
      expectClose(new nn.MSELoss({ reduction }).forward(a.t, b.t), reduceRef(sq, reduction), tolFor('float64'));
      const x = a.t.detach().requiresGrad_();
      const y = b.t.detach().requiresGrad_();
      expect(gradcheck((xi, yi) => F.mseLoss(xi, yi, { reduction }), [x, y])).toBe(true);
    }
    expectError(
      () => F.mseLoss(nt.zeros([3, 1]), nt.zeros([3])),
      nt.ShapeError,
      "mse_loss: target of the input's shape [3, 1], got [3]",
    );
  });
});

describe('end to end', () => {
  test('a small MLP fits a 3-class toy problem with crossEntropy and plain SGD, inside scopes', () => {
    nt.manualSeed(0);
    const model = new nn.Sequential(new nn.Linear(2, 16), new nn.Tanh(), new nn.Linear(16, 3));
    const x = nt.randn([96, 2]);
    // Class = which of three angular sectors the point falls in.
    const xv = values(x);
    const labels = Array.from({ length: 96 }, (_, i) => {
      const a = Math.atan2(xv[2 * i + 1], xv[2 * i]) + Math.PI;
      return Math.min(2, Math.floor(a / ((2 * Math.PI) / 3)));
    });
    const y = nt.tensor(labels);
    const lossFn = new nn.CrossEntropyLoss();
    const live = settledMemory().cpu.tensors;
    let first = 0;
    let last = 0;
    for (let step = 0; step < 300; ++step) {
      last = nt.scope(() => {
        model.zeroGrad();
        const loss = lossFn.forward(model.forward(x), y);
        loss.backward();
        nt.noGrad(() => {
          for (const p of model.parameters()) p.sub_((p.grad as Tensor).mul(0.5));
        });
        return loss.item();
      });
      if (step === 0) first = last;
    }
    model.zeroGrad();
    expect(settledMemory().cpu.tensors).toBeLessThanOrEqual(live); // nothing leaks per step (<=: garbage of earlier test files may be collected meanwhile)
    expect(last).toBeLessThan(0.3 * first);
    const acc = nt.scope(() => model.forward(x).argmax(1).eq(y).sum().item()) / 96;
    expect(acc).toBeGreaterThan(0.9);
  });
});

/**
 * PyTorch 1.13's weighted class-index cross-entropy: row r adds
 * (1 - ls) * -w[t] * logp[t] + ls / C * -sum_c w[c] * logp[c]; 'mean' divides
 * by the summed w[t] of the kept rows. With ls = 0 and logp = x it is nll_loss.
 */
function weightedRef(
  logp: number[][],
  targets: number[],
  w: number[],
  reduction: Reduction,
  ignoreIndex = -100,
  ls = 0,
): number[] {
  const C = w.length;
  const losses = targets.map((t, r) => {
    if (t === ignoreIndex) return 0;
    const smooth = -logp[r].reduce((a, v, c) => a + w[c] * v, 0);
    return (1 - ls) * -w[t] * logp[r][t] + (ls / C) * smooth;
  });
  const wsum = targets.reduce((a, t) => a + (t === ignoreIndex ? 0 : w[t]), 0);
  return reduceRef(losses, reduction, wsum);
}

const rowsOf = (x: Float64Array, C: number): number[][] =>
  Array.from({ length: x.length / C }, (_, r) => Array.from(x.subarray(r * C, (r + 1) * C)));

describe.each(DEVICES)('class weights on %s (PyTorch 1.13 semantics)', (device) => {
  const w = [0.5, 2, 1, 0.3, 1.7];

  test.each(['float32', 'float64'] as const)(
    'crossEntropy and nllLoss with weight (%s): reductions, ignoreIndex, labelSmoothing',
    (dtype) => {
      const { t: x, ref } = randomTensor([6, 5], 21, { dtype, device, lo: -3, hi: 3 });
      const weight = nt.tensor(w, { dtype, device });
      const logp = logSoftmaxRows(ref, 5);
      for (const reduction of REDUCTIONS) {
        for (const [tg, ignoreIndex] of [
          [[2, 0, 4, 1, 3, 2], -100],
          [[2, -100, 4, 1, -100, 2], -100],
          [[2, 0, 4, 1, 3, 2], 2],
        ] as const) {
          const t = nt.tensor([...tg], { device });
          for (const labelSmoothing of [0, 0.2]) {
            const got = F.crossEntropy(x, t, { reduction, ignoreIndex, labelSmoothing, weight });
            expect(got.shape).toEqual(reduction === 'none' ? [6] : []);
            expect(got.dtype).toBe(dtype);
            const want = weightedRef(logp, [...tg], w, reduction, ignoreIndex, labelSmoothing);
            expectClose(got, want, tolFor(dtype));
          }
          const nll = F.nllLoss(x, t, { reduction, ignoreIndex, weight });
          expectClose(nll, weightedRef(rowsOf(ref, 5), [...tg], w, reduction, ignoreIndex), tolFor(dtype));
        }
      }
      // A float64 weight is used in the input's dtype.
      const w64 = nt.tensor(w, { dtype: 'float64', device });
      const t = nt.tensor([2, 0, 4, 1, 3, 2], { device });
      expect(F.crossEntropy(x, t, { weight: w64 }).dtype).toBe(dtype);
    },
  );

  test('weight of all ones equals no weight; the weighted mean is not the plain mean', () => {
    const { t: x } = randomTensor([4, 5], 22, { dtype: 'float64', device });
    const t = nt.tensor([1, -100, 4, 0], { device });
    const ones = nt.ones([5], { dtype: 'float64', device });
    for (const labelSmoothing of [0, 0.1]) {
      const plain = values(F.crossEntropy(x, t, { labelSmoothing }));
      expectClose(F.crossEntropy(x, t, { labelSmoothing, weight: ones }), plain, tolFor('float64'));
    }
    const weighted = F.crossEntropy(x, t, { weight: nt.tensor(w, { dtype: 'float64', device }) }).item();
    expect(Math.abs(weighted - F.crossEntropy(x, t).item())).toBeGreaterThan(1e-3);
  });

  test('weighted crossEntropy on [N, C, d] inputs and with probability targets', () => {
    const C = 5;
    const { t: x, ref } = randomTensor([2, C, 3], 23, { dtype: 'float64', device });
    const weight = nt.tensor(w, { dtype: 'float64', device });
    const tg = [0, 3, 1, 4, -100, 2];
    const t = nt.tensor(tg, { device }).reshape([2, 3]);
    const logp = logSoftmaxRows(classesLast(ref, 2, C, 3), C);
    const none = F.crossEntropy(x, t, { weight, labelSmoothing: 0.1, reduction: 'none' });
    expect(none.shape).toEqual([2, 3]);
    expectClose(none, weightedRef(logp, tg, w, 'none', -100, 0.1), tolFor('float64'));
    expectClose(F.crossEntropy(x, t, { weight }), weightedRef(logp, tg, w, 'mean'), tolFor('float64'));
    // Probability targets: class c scaled by w[c]; 'mean' still divides by the number of rows.
    const { t: x2, ref: ref2 } = randomTensor([3, C], 24, { dtype: 'float64', device });
    const p = nt.softmax(randomTensor([3, C], 25, { dtype: 'float64', device }).t, 1);
    const pv = values(p);
    const logp2 = logSoftmaxRows(ref2, C);
    const ls = 0.1;
    const losses = logp2.map(
      (row, r) => -row.reduce((a, v, c) => a + w[c] * ((1 - ls) * pv[r * C + c] + ls / C) * v, 0),
    );
    for (const reduction of REDUCTIONS) {
      expectClose(
        F.crossEntropy(x2, p, { weight, reduction, labelSmoothing: ls }),
        reduceRef(losses, reduction),
        tolFor('float64'),
      );
    }
  });

  test('CrossEntropyLoss / NLLLoss modules hold the weight as a buffer', () => {
    const { t: x, ref } = randomTensor([4, 5], 26, { dtype: 'float64', device });
    const weight = nt.tensor(w, { dtype: 'float64', device });
    const tg = [4, 0, -100, 2];
    const t = nt.tensor(tg, { device });
    const ce = new nn.CrossEntropyLoss({ weight, labelSmoothing: 0.05 });
    expect(Object.keys(ce.stateDict())).toEqual(['weight']);
    expectClose(ce.forward(x, t), weightedRef(logSoftmaxRows(ref, 5), tg, w, 'mean', -100, 0.05), tolFor('float64'));
    const nll = new nn.NLLLoss({ weight, reduction: 'sum' });
    expectClose(nll.forward(x, t), weightedRef(rowsOf(ref, 5), tg, w, 'sum'), tolFor('float64'));
    expect(new nn.NLLLoss().weight).toBeNull();
    expect(Object.keys(new nn.CrossEntropyLoss().stateDict())).toEqual([]);
  });

  test.each(REDUCTIONS)('gradcheck: weighted crossEntropy and nllLoss (%s)', (reduction) => {
    const x = randomTensor([5, 4], 27, { dtype: 'float64', device }).t.requiresGrad_();
    const t = nt.tensor([3, 1, -1, 0, 2], { device });
    const weight = nt.tensor([0.2, 1.5, 0.7, 3], { dtype: 'float64', device });
    for (const labelSmoothing of [0, 0.15]) {
      expect(
        gradcheck((xi) => F.crossEntropy(xi, t, { reduction, ignoreIndex: -1, labelSmoothing, weight }), [x]),
      ).toBe(true);
    }
    expect(gradcheck((xi) => F.nllLoss(xi, t, { reduction, ignoreIndex: -1, weight }), [x])).toBe(true);
    const p = nt.softmax(randomTensor([5, 4], 28, { dtype: 'float64', device }).t, 1);
    expect(gradcheck((xi) => F.crossEntropy(xi, p, { reduction, labelSmoothing: 0.1, weight }), [x])).toBe(true);
    // [N, C, d]: the classes are moved last before the weighted composite.
    const x3 = randomTensor([2, 4, 3], 29, { dtype: 'float64', device }).t.requiresGrad_();
    const t3 = nt.tensor(
      [
        [0, 3, -1],
        [2, 2, 1],
      ],
      { device },
    );
    expect(
      gradcheck((xi) => F.crossEntropy(xi, t3, { reduction, ignoreIndex: -1, labelSmoothing: 0.1, weight }), [x3]),
    ).toBe(true);
    expect(gradcheck((xi) => F.nllLoss(xi, t3, { reduction, ignoreIndex: -1, weight }), [x3])).toBe(true);
  });

  test('weight errors: shape, dtype, device', () => {
    const x = nt.zeros([3, 4], { device });
    const t = nt.tensor([0, 1, 2], { device });
    expectError(
      () => F.crossEntropy(x, t, { weight: nt.ones([5], { device }) }),
      nt.ShapeError,
      'cross_entropy: weight of shape [4] (one per class) for input [3, 4], got [5]',
    );
    expectError(() => F.nllLoss(x, t, { weight: nt.ones([1, 4], { device }) }), nt.ShapeError, /nll_loss: weight/);
    expectError(
      () => F.crossEntropy(x, t, { weight: nt.ones([4], { dtype: 'int64', device }) }),
      nt.DTypeError,
      'cross_entropy: a floating point weight, got int64',
    );
    expectError(
      () => new nn.CrossEntropyLoss({ weight: [1, 2, 3, 4] as unknown as Tensor }),
      nt.ArgumentError,
      /weight/,
    );
    if (device === 'cuda') {
      expectError(() => F.crossEntropy(x, t, { weight: nt.ones([4]) }), nt.DeviceError, /same device/);
    }
  });
});

describe('float labels into crossEntropy', () => {
  test('a float target of the class-index shape is a DTypeError that suggests .long()', () => {
    const x = nt.zeros([3, 4]);
    expectError(
      () => F.crossEntropy(x, nt.tensor([0, 1, 2], { dtype: 'float32' })),
      nt.DTypeError,
      /cross_entropy: class-index targets of dtype int64, got float32 of shape \[3\]: convert the labels with target\.long\(\)/,
    );
    expectError(
      () => new nn.CrossEntropyLoss().forward(nt.zeros([2, 4, 5]), nt.zeros([2, 5])),
      nt.DTypeError,
      /long\(\)/,
    );
    expectError(() => F.crossEntropy(nt.zeros([4]), nt.tensor(1, { dtype: 'float32' })), nt.DTypeError, /long\(\)/);
    expectError(
      () => F.nllLoss(x, nt.tensor([0, 1, 2], { dtype: 'float32' })),
      nt.DTypeError,
      'nll_loss: class-index targets of dtype int32 or int64, got float32: convert the labels with target.long()',
    );
    // The suggested fix works; other float shapes still report probability targets.
    expect(F.crossEntropy(x, nt.tensor([0, 1, 2], { dtype: 'float32' }).long()).shape).toEqual([]);
    expectError(() => F.crossEntropy(x, nt.zeros([3, 5])), nt.ShapeError, /probability targets/);
  });
});
