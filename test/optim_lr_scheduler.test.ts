// Learning-rate schedulers: the rates they set (computed, like PyTorch, from
// the previous rate) against the closed forms, group by group; OneCycleLR's
// momentum / beta1 cycling; state dict round trips.
import * as nt from '../lib';

const {
  StepLR,
  CosineAnnealingLR,
  LinearLR,
  OneCycleLR,
  MultiStepLR,
  ExponentialLR,
  LambdaLR,
  ConstantLR,
  SequentialLR,
  CosineAnnealingWarmRestarts,
  ReduceLROnPlateau,
} = nt.optim.lrScheduler;
const BASE = [0.1, 0.02];

function sgd(momentum = 0): nt.optim.SGD {
  const p = (): nt.Tensor => nt.zeros([1], { requiresGrad: true });
  return new nt.optim.SGD([{ params: [p()] }, { params: [p()], lr: BASE[1] }], { lr: BASE[0], momentum });
}

/** Rates after construction and after each of `steps` steps, per group. */
function run(
  opt: nt.optim.Optimizer<nt.optim.BaseOptions>,
  sched: { step(): void; getLastLr(): number[] },
  steps: number,
): number[][] {
  const out = [sched.getLastLr()];
  expect(opt.paramGroups.map((g) => g.lr)).toEqual(out[0]);
  for (let i = 0; i < steps; ++i) {
    opt.step();
    sched.step();
    out.push(sched.getLastLr());
    expect(opt.paramGroups.map((g) => g.lr)).toEqual(out[out.length - 1]);
  }
  return out;
}

function expectRates(actual: number[][], closed: (base: number, epoch: number) => number): void {
  actual.forEach((lrs, e) =>
    lrs.forEach((lr, g) => {
      const want = closed(BASE[g], e);
      expect(Math.abs(lr - want)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(want)));
    }),
  );
}

describe('StepLR', () => {
  test('lr = base * gamma^floor(epoch / stepSize)', () => {
    const opt = sgd();
    expectRates(run(opt, new StepLR(opt, { stepSize: 3, gamma: 0.5 }), 12), (b, e) => b * 0.5 ** Math.floor(e / 3));
  });
  test('gamma defaults to 0.1; stepSize must be a positive integer', () => {
    const opt = sgd();
    expectRates(run(opt, new StepLR(opt, { stepSize: 2 }), 6), (b, e) => b * 0.1 ** Math.floor(e / 2));
    expect(() => new StepLR(sgd(), { stepSize: 0 })).toThrow(nt.ArgumentError);
  });
});

describe('CosineAnnealingLR', () => {
  test.each([
    [10, 0],
    [7, 0.001],
  ])('tMax %d, etaMin %d: closed form, periodic past tMax', (tMax, etaMin) => {
    const opt = sgd();
    const rates = run(opt, new CosineAnnealingLR(opt, { tMax, etaMin }), 3 * tMax + 2);
    expectRates(rates, (b, e) => etaMin + ((b - etaMin) * (1 + Math.cos((Math.PI * e) / tMax))) / 2);
    expect(rates[tMax][0]).toBeCloseTo(etaMin, 12);
  });
});

describe('LinearLR', () => {
  test('defaults: factor 1/3 -> 1 over 5 iterations, then constant', () => {
    const opt = sgd();
    expectRates(run(opt, new LinearLR(opt), 9), (b, e) => b * (1 / 3 + ((1 - 1 / 3) * Math.min(5, e)) / 5));
  });
  test('decay: startFactor 1 -> endFactor 0.1 over 4', () => {
    const opt = sgd();
    expectRates(
      run(opt, new LinearLR(opt, { startFactor: 1, endFactor: 0.1, totalIters: 4 }), 7),
      (b, e) => b * (1 + ((0.1 - 1) * Math.min(4, e)) / 4),
    );
  });
  test('factors are checked', () => {
    expect(() => new LinearLR(sgd(), { startFactor: 0 })).toThrow(/startFactor in \(0, 1\]/);
    expect(() => new LinearLR(sgd(), { endFactor: 2 })).toThrow(/endFactor/);
  });
});

/** torch.optim.lr_scheduler.OneCycleLR, written out for one group: [lr, momentum] at `step`. */
function oneCycleRef(
  step: number,
  o: {
    maxLr: number;
    total: number;
    pct?: number;
    anneal?: 'cos' | 'linear';
    three?: boolean;
    div?: number;
    finalDiv?: number;
  },
): [number, number] {
  const pct = o.pct ?? 0.3;
  const initial = o.maxLr / (o.div ?? 25);
  const min = initial / (o.finalDiv ?? 1e4);
  const [baseM, maxM] = [0.85, 0.95];
  const anneal =
    o.anneal === 'linear'
      ? (a: number, b: number, t: number): number => (b - a) * t + a
      : (a: number, b: number, t: number): number => b + ((a - b) / 2) * (Math.cos(Math.PI * t) + 1);
  const phases: [number, number, number, number, number][] = o.three
    ? [
        [pct * o.total - 1, initial, o.maxLr, maxM, baseM],
        [2 * pct * o.total - 2, o.maxLr, initial, baseM, maxM],
        [o.total - 1, initial, min, maxM, maxM],
      ]
    : [
        [pct * o.total - 1, initial, o.maxLr, maxM, baseM],
        [o.total - 1, o.maxLr, min, baseM, maxM],
      ];
  let start = 0;
  for (let i = 0; i < phases.length; ++i) {
    const [end, lr0, lr1, m0, m1] = phases[i];
    if (step <= end || i === phases.length - 1) {
      const t = (step - start) / (end - start);
      return [anneal(lr0, lr1, t), anneal(m0, m1, t)];
    }
    start = end;
  }
  throw new Error('unreachable');
}

describe('OneCycleLR', () => {
  interface Ref {
    total: number;
    pct?: number;
    anneal?: 'cos' | 'linear';
    three?: boolean;
    div?: number;
    finalDiv?: number;
  }
  test.each<[Ref, Partial<nt.optim.lrScheduler.OneCycleLROptions>]>([
    [{ total: 20 }, {}],
    [
      { total: 17, pct: 0.25, anneal: 'linear' },
      { pctStart: 0.25, annealStrategy: 'linear' },
    ],
    [{ total: 30, three: true }, { threePhase: true }],
    [
      { total: 12, div: 10, finalDiv: 100 },
      { divFactor: 10, finalDivFactor: 100 },
    ],
  ])('lr and momentum follow PyTorch (%j)', (ref, opts) => {
    const opt = sgd(0.9);
    const sched = new OneCycleLR(opt, { maxLr: 1, totalSteps: ref.total, ...opts });
    for (let s = 0; s < ref.total; ++s) {
      if (s > 0) sched.step();
      const [lr, m] = oneCycleRef(s, { maxLr: 1, ...ref });
      expect(sched.getLastLr()[0]).toBeCloseTo(lr, 12);
      expect(opt.paramGroups[0].momentum).toBeCloseTo(m, 12);
    }
    expect(sched.getLastLr()[0]).toBeCloseTo(1 / (ref.div ?? 25) / (ref.finalDiv ?? 1e4), 12);
  });

  test('per-group maxLr, epochs * stepsPerEpoch, Adam beta1 cycles, too many steps throw', () => {
    const p = nt.zeros([1], { requiresGrad: true });
    const q = nt.zeros([1], { requiresGrad: true });
    const opt = new nt.optim.Adam([{ params: [p] }, { params: [q] }], { betas: [0.9, 0.99] });
    const sched = new OneCycleLR(opt, { maxLr: [0.1, 0.2], epochs: 2, stepsPerEpoch: 5 });
    sched.getLastLr().forEach((lr, g) => expect(lr).toBeCloseTo([0.1, 0.2][g] / 25, 15));
    expect(opt.paramGroups[0].betas[0]).toBeCloseTo(0.95, 15);
    expect(opt.paramGroups[0].betas[1]).toBe(0.99);
    for (let s = 1; s <= 10; ++s) sched.step();
    expect(opt.paramGroups[1].betas[1]).toBe(0.99);
    expect(() => sched.step()).toThrow(/at most 10 steps/);
  });

  test('cycleMomentum needs momentum or betas; totalSteps or epochs are required', () => {
    const opt = sgd();
    expect(() => new OneCycleLR(opt, { maxLr: 1 })).toThrow(/totalSteps, or epochs and stepsPerEpoch/);
    const fake = { paramGroups: [{ lr: 0.1 }], defaults: { lr: 0.1 } };
    expect(() => new OneCycleLR(fake, { maxLr: 1, totalSteps: 5 })).toThrow(/momentum or betas/);
    expect(() => new OneCycleLR(fake, { maxLr: 1, totalSteps: 5, cycleMomentum: false })).not.toThrow();
  });
});

describe('scheduler state', () => {
  test("stateDict / loadStateDict (with the optimizer's) resume the same sequence", () => {
    const make = (opt: nt.optim.SGD): InstanceType<typeof CosineAnnealingLR> =>
      new CosineAnnealingLR(opt, { tMax: 8, etaMin: 0.01 });
    const optA = sgd();
    const a = make(optA);
    for (let i = 0; i < 5; ++i) a.step();
    const optB = sgd();
    const b = make(optB);
    optB.loadStateDict(optA.stateDict());
    b.loadStateDict(JSON.parse(JSON.stringify(a.stateDict())));
    expect(b.lastEpoch).toBe(5);
    for (let i = 0; i < 6; ++i) {
      a.step();
      b.step();
      expect(b.getLastLr()).toEqual(a.getLastLr());
    }
    expect(() => b.loadStateDict({ nonsense: 1 })).toThrow(/known state keys/);
  });
});

/** Asserts rates (per step, per group) equal `want` within 1e-12 relative. */
function expectSeq(actual: number[][], want: number[][]): void {
  expect(actual.length).toBe(want.length);
  actual.forEach((lrs, e) =>
    lrs.forEach((lr, g) => {
      const w = want[e][g];
      if (Math.abs(lr - w) > 1e-12 * Math.max(1, Math.abs(w))) throw new Error(`step ${e} group ${g}: ${lr} != ${w}`);
    }),
  );
}

describe('MultiStepLR, ExponentialLR, LambdaLR, ConstantLR (closed forms)', () => {
  test('MultiStepLR: lr = base * gamma^(milestones <= epoch), unsorted and repeated milestones', () => {
    const opt = sgd();
    const ms = [7, 2, 5, 5];
    expectRates(
      run(opt, new MultiStepLR(opt, { milestones: ms, gamma: 0.5 }), 10),
      (b, e) => b * 0.5 ** ms.filter((m) => m <= e).length,
    );
    const opt2 = sgd();
    expectRates(run(opt2, new MultiStepLR(opt2, { milestones: [0, 3] }), 5), (b, e) => b * 0.1 ** (e >= 3 ? 2 : 1));
    expect(() => new MultiStepLR(sgd(), { milestones: [1.5] })).toThrow(nt.ArgumentError);
    expect(() => new MultiStepLR(sgd(), { milestones: 3 as unknown as number[] })).toThrow(/milestones as an array/);
  });

  test('ExponentialLR: lr = base * gamma^epoch', () => {
    const opt = sgd();
    expectRates(run(opt, new ExponentialLR(opt, { gamma: 0.9 }), 10), (b, e) => b * 0.9 ** e);
    expect(() => new ExponentialLR(sgd(), {} as { gamma: number })).toThrow(/gamma/);
  });

  test('LambdaLR: lr = base * lambda(epoch), one function or one per group; not in stateDict', () => {
    const opt = sgd();
    const f = (e: number): number => 1 / (1 + e);
    expectRates(run(opt, new LambdaLR(opt, f), 8), (b, e) => b * f(e));
    const opt2 = sgd();
    const fs = [(e: number): number => 0.95 ** e, (e: number): number => Math.min(1, (e + 1) / 4)];
    const sched = new LambdaLR(opt2, fs);
    run(opt2, sched, 6).forEach((lrs, e) => lrs.forEach((lr, g) => expect(lr).toBeCloseTo(BASE[g] * fs[g](e), 15)));
    expect(Object.keys(sched.stateDict())).not.toContain('lrLambdas');
    expect(() => new LambdaLR(sgd(), [f])).toThrow(/2 lrLambda functions/);
    expect(() => new LambdaLR(sgd(), () => Number.NaN)).toThrow(nt.ArgumentError);
  });

  test('ConstantLR: base * factor before totalIters, base from then on', () => {
    const opt = sgd();
    expectRates(run(opt, new ConstantLR(opt, { factor: 0.5, totalIters: 4 }), 8), (b, e) => b * (e < 4 ? 0.5 : 1));
    const opt2 = sgd();
    expectRates(run(opt2, new ConstantLR(opt2), 7), (b, e) => b * (e < 5 ? 1 / 3 : 1));
    expect(() => new ConstantLR(sgd(), { factor: 0 })).toThrow(/factor in \(0, 1\]/);
    expect(() => new ConstantLR(sgd(), { factor: 1.5 })).toThrow(/factor/);
  });

  test('chaining: two schedulers on one optimizer multiply (PyTorch chainable forms)', () => {
    const opt = sgd();
    const a = new ExponentialLR(opt, { gamma: 0.9 });
    const b = new MultiStepLR(opt, { milestones: [3], gamma: 0.5 });
    expect(b.baseLrs).toEqual(BASE); // the initial rates, not the ones the first scheduler set
    const out = [opt.paramGroups.map((g) => g.lr)];
    for (let i = 0; i < 6; ++i) {
      a.step();
      b.step();
      out.push(opt.paramGroups.map((g) => g.lr));
    }
    expectRates(out, (base, e) => base * 0.9 ** e * (e >= 3 ? 0.5 : 1));
  });
});

// The expected sequences in this block were produced once with PyTorch 1.13
// (torch.optim.lr_scheduler, SGD with groups lr 0.1 and 0.02, stepping as run() does).
describe('SequentialLR', () => {
  test('ConstantLR then ExponentialLR: the second starts over from the base rate at the milestone', () => {
    const opt = sgd();
    const a = new ConstantLR(opt, { factor: 0.5, totalIters: 3 });
    const b = new ExponentialLR(opt, { gamma: 0.9 });
    const rates = run(opt, new SequentialLR(opt, { schedulers: [a, b], milestones: [3] }), 8);
    expect(rates.map((r) => r[0])).toEqual(
      [0.05, 0.05, 0.05, 0.1, 0.09, 0.081, 0.0729, 0.06561, 0.059049].map((v) => expect.closeTo(v, 14)),
    );
    expectRates(rates, (base, e) => (e < 3 ? base * 0.5 : base * 0.9 ** (e - 3)));
  });

  test('three schedulers, two milestones (warmup, cosine, multistep)', () => {
    const opt = sgd();
    const a = new LinearLR(opt, { startFactor: 0.25, totalIters: 4 });
    const b = new CosineAnnealingLR(opt, { tMax: 5, etaMin: 0.001 });
    const c = new MultiStepLR(opt, { milestones: [1, 3], gamma: 0.5 });
    const seq = new SequentialLR(opt, { schedulers: [a, b, c], milestones: [4, 9] });
    expectSeq(run(opt, seq, 14), [
      [0.025, 0.005],
      [0.043750000000000004, 0.00875],
      [0.06250000000000001, 0.0125],
      [0.08125000000000002, 0.01625],
      [0.1, 0.02],
      [0.0905463412215599, 0.018185661446562],
      [0.06579634122155989, 0.013435661446562],
      [0.035203658778440096, 0.007564338553437999],
      [0.010453658778440105, 0.002814338553438],
      [0.1, 0.02],
      [0.05, 0.01],
      [0.05, 0.01],
      [0.025, 0.005],
      [0.025, 0.005],
      [0.025, 0.005],
    ]);
  });

  test('stateDict round trip; argument checks', () => {
    const make = (opt: nt.optim.SGD): InstanceType<typeof SequentialLR> =>
      new SequentialLR(opt, {
        schedulers: [new ConstantLR(opt, { factor: 0.5, totalIters: 2 }), new ExponentialLR(opt, { gamma: 0.8 })],
        milestones: [3],
      });
    const optA = sgd();
    const a = make(optA);
    for (let i = 0; i < 4; ++i) a.step();
    const optB = sgd();
    const b = make(optB);
    optB.loadStateDict(optA.stateDict());
    b.loadStateDict(JSON.parse(JSON.stringify(a.stateDict())));
    for (let i = 0; i < 4; ++i) {
      a.step();
      b.step();
      expect(b.getLastLr()).toEqual(a.getLastLr());
    }
    const opt = sgd();
    const s1 = new ConstantLR(opt);
    expect(() => new SequentialLR(opt, { schedulers: [s1], milestones: [2] })).toThrow(/0 milestones/);
    expect(
      () => new SequentialLR(opt, { schedulers: [s1, new ExponentialLR(sgd(), { gamma: 0.5 })], milestones: [2] }),
    ).toThrow(/schedulers\[1\] built on the optimizer/);
    expect(() => new SequentialLR(opt, { schedulers: [], milestones: [] })).toThrow(/non-empty array/);
    const s2 = new ExponentialLR(opt, { gamma: 0.5 });
    expect(() => new SequentialLR(opt, { schedulers: [s1, s2, s1], milestones: [3, 3] })).toThrow(
      /strictly increasing/,
    );
  });
});

describe('CosineAnnealingWarmRestarts', () => {
  test('tMult 1: closed form with period t0', () => {
    const opt = sgd();
    const rates = run(opt, new CosineAnnealingWarmRestarts(opt, { t0: 4, etaMin: 0.001 }), 13);
    expectRates(rates, (b, e) => 0.001 + ((b - 0.001) * (1 + Math.cos((Math.PI * (e % 4)) / 4))) / 2);
  });

  test('tMult 2: periods 3, 6, 12 (sequence from PyTorch 1.13)', () => {
    const opt = sgd();
    const rates = run(opt, new CosineAnnealingWarmRestarts(opt, { t0: 3, tMult: 2, etaMin: 0.01 }), 16);
    expect(rates.map((r) => r[0])).toEqual(
      [
        0.1, 0.0775, 0.032500000000000015, 0.1, 0.09397114317029975, 0.0775, 0.05500000000000001, 0.032500000000000015,
        0.01602885682970026, 0.1, 0.09846666218300808, 0.09397114317029975, 0.08681980515339464, 0.0775,
        0.06664685702961344, 0.05500000000000001, 0.04335314297038658,
      ].map((v) => expect.closeTo(v, 14)),
    );
  });

  test('step(epoch) with fractional epochs (sequence from PyTorch 1.13)', () => {
    const opt = sgd();
    const s = new CosineAnnealingWarmRestarts(opt, { t0: 3, tMult: 2, etaMin: 0.01 });
    const want: [number, number, number, number, number][] = [
      [0.5, 0.09397114317029975, 0.5, 3, 0],
      [1.25, 0.06664685702961344, 1.25, 3, 1],
      [2.9, 0.010246514708427702, 2.9, 3, 2],
      [3.0, 0.1, 0.0, 6, 3],
      [4.5, 0.08681980515339464, 1.5, 6, 4],
      [8.99, 0.010000616848865797, 5.99, 6, 8],
      [9.0, 0.1, 0.0, 12, 9],
      [10.2, 0.09779754323328192, 1.1999999999999993, 12, 10],
      [21.0, 0.1, 0.0, 24, 21],
      [22.5, 0.09913533761814537, 1.5, 24, 22],
    ];
    for (const [epoch, lr, tCur, tI, last] of want) {
      s.step(epoch);
      expect(s.getLastLr()[0]).toBeCloseTo(lr, 13);
      expect(opt.paramGroups[0].lr).toBeCloseTo(lr, 13);
      expect(s.tCur).toBeCloseTo(tCur, 12);
      expect([s.tI, s.lastEpoch]).toEqual([tI, last]);
    }
    expect(() => s.step(-1)).toThrow(nt.ArgumentError);
    expect(() => new CosineAnnealingWarmRestarts(sgd(), { t0: 3, tMult: 1.5 })).toThrow(/tMult/);
    expect(() => new CosineAnnealingWarmRestarts(sgd(), { t0: 0 })).toThrow(/t0/);
  });
});

// Sequences from PyTorch 1.13 (ReduceLROnPlateau on SGD groups 0.1 / 0.02, one step per metric).
describe('ReduceLROnPlateau', () => {
  function plateau(sched: InstanceType<typeof ReduceLROnPlateau>, opt: nt.optim.SGD, metrics: number[]): number[][] {
    const out = [sched.getLastLr()];
    for (const m of metrics) {
      sched.step(m);
      out.push(opt.paramGroups.map((g) => g.lr));
      expect(sched.getLastLr()).toEqual(out[out.length - 1]);
    }
    return out;
  }

  test("mode 'min', rel threshold, patience, cooldown, per-group minLr", () => {
    const opt = sgd();
    const s = new ReduceLROnPlateau(opt, { patience: 2, factor: 0.5, cooldown: 1, minLr: [0.02, 0.004] });
    const m = [
      1.0, 0.9, 0.95, 0.95, 0.96, 0.899, 0.8999, 0.91, 0.92, 0.93, 0.94, 0.5, 0.6, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7,
    ];
    const rows: [number, number][] = [
      [0.1, 5],
      [0.05, 4],
      [0.025, 6],
      [0.02, 6],
    ];
    expectSeq(
      plateau(s, opt, m),
      rows.flatMap(([lr, n]) => Array.from({ length: n }, () => [lr, lr / 5])),
    );
  });

  test("mode 'max' with abs and rel thresholds; eps skips small reductions", () => {
    const m = [1, 2, 2.0001, 2.5, 2.4, 2.5, 2.5, 2.5, 2.5, 3.6, 3.6, 3.6, 3.6];
    const optA = sgd();
    const a = new ReduceLROnPlateau(optA, {
      mode: 'max',
      patience: 1,
      factor: 0.3,
      threshold: 0.2,
      thresholdMode: 'abs',
    });
    const lrA = [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.03, 0.03, 0.009, 0.009, 0.009, 0.009, 0.0027, 0.0027];
    expectSeq(
      plateau(a, optA, m),
      lrA.map((lr) => [lr, lr / 5]),
    );
    const optB = sgd();
    const b = new ReduceLROnPlateau(optB, { mode: 'max', patience: 1, factor: 0.3, threshold: 0.2, eps: 0.01 });
    const lrB = [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.03, 0.03, 0.009, 0.009, 0.009, 0.009, 0.009, 0.009];
    // Group 1 stops at 0.006: 0.006 - 0.0018 is below eps.
    expectSeq(
      plateau(b, optB, m),
      lrB.map((lr, i) => [lr, i < 6 ? 0.02 : 0.006]),
    );
  });

  test('takes a one-element tensor; stateDict round trip through JSON keeps an infinite best; checks', () => {
    const opt = sgd();
    const s = new ReduceLROnPlateau(opt, { patience: 0 });
    const fresh = JSON.parse(JSON.stringify(s.stateDict())) as nt.optim.lrScheduler.SchedulerState;
    expect(fresh.best).toBe('Infinity');
    s.step(nt.tensor(2));
    s.step(nt.tensor([3]));
    expect(s.getLastLr()).toEqual([0.1 * 0.1, 0.02 * 0.1].map((v) => expect.closeTo(v, 15)));
    const opt2 = sgd();
    const s2 = new ReduceLROnPlateau(opt2, { patience: 0 });
    s2.loadStateDict(fresh);
    expect(s2.best).toBe(Infinity);
    s2.loadStateDict(JSON.parse(JSON.stringify(s.stateDict())));
    expect([s2.best, s2.lastEpoch, s2.numBadEpochs]).toEqual([2, 2, 0]);
    expect(() => new ReduceLROnPlateau(sgd(), { factor: 1 })).toThrow(/factor in \[0, 1\)/);
    expect(() => new ReduceLROnPlateau(sgd(), { mode: 'avg' as 'min' })).toThrow(/mode 'min' or 'max'/);
    expect(() => new ReduceLROnPlateau(sgd(), { thresholdMode: 'pct' as 'rel' })).toThrow(/thresholdMode/);
    expect(() => new ReduceLROnPlateau(sgd(), { minLr: [0] })).toThrow(/2 minLr values/);
    expect(() => new ReduceLROnPlateau(sgd(), { min_lr: 0 } as never)).toThrow(/min_lr/);
    expect(() => s.step('1' as unknown as number)).toThrow(/a number or a one-element tensor/);
  });
});
