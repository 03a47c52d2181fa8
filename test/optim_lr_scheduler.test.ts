// Learning-rate schedulers: the rates they set (computed, like PyTorch, from
// the previous rate) against the closed forms, group by group; OneCycleLR's
// momentum / beta1 cycling; state dict round trips.
import * as nt from '../lib';

const { StepLR, CosineAnnealingLR, LinearLR, OneCycleLR } = nt.optim.lrScheduler;
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
