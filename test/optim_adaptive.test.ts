// Adagrad, Adamax, NAdam and RAdam against PyTorch 1.13 (/usr/bin/python3,
// float64) on fresh random parameters and gradients: 20-step trajectories
// with two param groups, a parameter that joins late and one that skips a
// step (so buckets of different step counts), float64 within 1e-12 and
// float32 within a stated tolerance of the float64 trajectory; one native
// call per bucket; stateDict and saveState round trips; typed errors.
import { execFileSync } from 'child_process';
import { randomInt } from 'crypto';
import { existsSync, mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

import * as nt from '../lib';
import { native } from '../lib/kernels/native';
import { DEVICES, expectError, randomValues } from './helpers';

const PYTHON = '/usr/bin/python3';
const STEPS = 20;
const SHAPES = [[3, 4], [5], [2, 1, 3]];
const SEED = randomInt(1, 2 ** 31);

type Name = 'Adagrad' | 'Adamax' | 'NAdam' | 'RAdam';
type Opts = Record<string, number | boolean | number[]>;

interface Case {
  name: string;
  optimizer: Name;
  defaults: Opts;
  /** Options of the second group (params[2]); the first group (params[0], params[1]) takes the defaults. */
  group2: Opts;
}

const CASES: Case[] = [
  { name: 'Adagrad lr', optimizer: 'Adagrad', defaults: { lr: 0.1 }, group2: { lr: 0.05 } },
  {
    name: 'Adagrad all options',
    optimizer: 'Adagrad',
    defaults: { lr: 0.1, lrDecay: 0.05, weightDecay: 0.1, initialAccumulatorValue: 0.3, eps: 1e-6 },
    group2: { maximize: true, lrDecay: 0 },
  },
  { name: 'Adamax lr', optimizer: 'Adamax', defaults: { lr: 0.01 }, group2: { betas: [0.5, 0.9] } },
  {
    name: 'Adamax all options',
    optimizer: 'Adamax',
    defaults: { lr: 0.02, betas: [0.8, 0.9999], eps: 1e-3, weightDecay: 0.1 },
    group2: { maximize: true },
  },
  { name: 'NAdam lr', optimizer: 'NAdam', defaults: { lr: 0.01 }, group2: { momentumDecay: 0.05 } },
  {
    name: 'NAdam all options',
    optimizer: 'NAdam',
    defaults: { lr: 0.02, betas: [0.8, 0.9999], eps: 1e-6, weightDecay: 0.1, momentumDecay: 0.01 },
    group2: { lr: 0.005, betas: [0.95, 0.99] },
  },
  // beta2 0.999: rho_t passes 5 at step 6, so both branches run.
  { name: 'RAdam lr', optimizer: 'RAdam', defaults: { lr: 0.01 }, group2: { betas: [0.9, 0.99] } },
  {
    name: 'RAdam all options',
    optimizer: 'RAdam',
    defaults: { lr: 0.02, betas: [0.8, 0.9999], eps: 1e-6, weightDecay: 0.1 },
    group2: { lr: 0.05 },
  },
];

const snake = (o: Opts): Opts =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), v]));

function make(name: Name, params: nt.Tensor[], defaults: Opts, group2: Opts): nt.optim.Optimizer<nt.optim.BaseOptions> {
  const groups = [{ params: params.slice(0, 2) }, { params: params.slice(2), ...group2 }];
  // biome-ignore lint/suspicious/noExplicitAny: the options of four optimizer types, built from one table
  const Ctor = nt.optim[name] as any;
  return new Ctor(groups, defaults);
}

const numel = (s: number[]): number => s.reduce((a, b) => a * b, 1);

/** Initial values and per-step gradients (null: no gradient that step), float32-representable. */
function data(seed: number): { init: Float64Array[]; grads: (Float64Array | null)[][] } {
  const f32 = (a: Float64Array): Float64Array => Float64Array.from(Float32Array.from(a));
  const init = SHAPES.map((s, k) => f32(randomValues(numel(s), seed + k)));
  const grads = Array.from({ length: STEPS }, (_, t) =>
    SHAPES.map((s, k) => {
      if (k === 1 && t < 3) return null; // joins at step 3
      if (k === 2 && t === 10) return null; // skips step 10
      return f32(randomValues(numel(s), seed + 100 * (t + 1) + k, -1.5, 1.5));
    }),
  );
  return { init, grads };
}

function torchTrajectories(): Record<string, number[][][]> | null {
  if (!existsSync(PYTHON)) return null;
  const { init, grads } = data(SEED);
  const input = CASES.map((c) => ({
    name: c.name,
    optimizer: c.optimizer,
    defaults: snake(c.defaults),
    params: init.map((d, k) => ({ shape: SHAPES[k], data: Array.from(d) })),
    groups: [
      { indices: [0, 1], options: {} },
      { indices: [2], options: snake(c.group2) },
    ],
    grads: grads.map((step) => step.map((g) => (g ? Array.from(g) : null))),
  }));
  try {
    const out = execFileSync(PYTHON, [join(__dirname, 'fixtures', 'torch_optim.py')], {
      input: JSON.stringify(input),
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
      maxBuffer: 64 << 20,
    });
    return JSON.parse(out) as Record<string, number[][][]>;
  } catch {
    return null;
  }
}

const torchRef = torchTrajectories();
const withTorch = torchRef ? describe : describe.skip;
if (!torchRef) console.warn('optim_adaptive: /usr/bin/python3 with torch not found; PyTorch parity skipped');

/** Runs a case in nodetorch; returns the flat params after every step. */
function run(c: Case, dtype: 'float32' | 'float64', seed: number, device: nt.Device = 'cpu'): number[][][] {
  const { init, grads } = data(seed);
  const params = init.map((d, k) => nt.tensor(d, { dtype, shape: SHAPES[k], device, requiresGrad: true }));
  const opt = make(c.optimizer, params, c.defaults, c.group2);
  const traj: number[][][] = [];
  for (const step of grads) {
    params.forEach((p, k) => {
      p.grad?.dispose();
      const g = step[k];
      p.grad = g ? nt.tensor(g, { dtype, shape: SHAPES[k], device }) : null;
    });
    opt.step();
    traj.push(params.map((p) => Array.from(p.double().cpu().data() as Float64Array)));
  }
  return traj;
}

/** Worst |a - b| / (atol + rtol |b|) over a trajectory (<= 1 passes). */
function worst(got: number[][][], ref: number[][][], atol: number, rtol: number): number {
  let w = 0;
  got.forEach((step, t) =>
    step.forEach((p, k) =>
      p.forEach((v, i) => {
        const r = ref[t][k][i];
        w = Math.max(w, Math.abs(v - r) / (atol + rtol * Math.abs(r)));
      }),
    ),
  );
  return w;
}

withTorch(`against PyTorch 1.13, 20 steps (seed ${SEED})`, () => {
  const ref = torchRef as Record<string, number[][][]>;

  const rows = DEVICES.flatMap((d) => CASES.map((c) => [c.name, d, c] as const));
  test.each(rows)('%s on %s: float64 within 1e-12', (_n, device, c) => {
    const got = run(c, 'float64', SEED, device);
    expect(got).toHaveLength(STEPS);
    expect(worst(got, ref[c.name], 1e-12, 1e-12)).toBeLessThanOrEqual(1);
    // The parameters moved: a no-op optimizer cannot pass.
    // (the largest move of the first parameter: one element may sit near a fixed point)
    const first = got[STEPS - 1][0];
    const init0 = data(SEED).init[0];
    expect(Math.max(...first.map((v, k) => Math.abs(v - init0[k])))).toBeGreaterThan(1e-4);
  });

  // float32 against the float64 trajectory from the same (float32) inputs:
  // within 2e-6 absolute + 2e-5 relative after 20 steps.
  test.each(rows)('%s on %s: float32 within 2e-6 + 2e-5 rel of float64', (_n, device, c) => {
    const got = run(c, 'float32', SEED, device);
    expect(worst(got, ref[c.name], 2e-6, 2e-5)).toBeLessThanOrEqual(1);
  });
});

describe.each(['Adagrad', 'Adamax', 'NAdam', 'RAdam'] as const)('%s', (name) => {
  const c = CASES.find((k) => k.optimizer === name && k.name.endsWith('all options')) as Case;
  const kernel = ({ Adagrad: 'adagrad', Adamax: 'adamax', NAdam: 'nadam', RAdam: 'radam' } as const)[name];

  test('one native call per bucket: groups and step counts split the parameters', () => {
    const params = SHAPES.map((s) => nt.randn(s, { requiresGrad: true }));
    const opt = make(name, params, c.defaults, c.group2);
    const spy = jest.spyOn(native.kernels, kernel);
    try {
      for (const p of params) p.grad = nt.onesLike(p);
      opt.step(); // 2 groups: 2 calls
      params[1].grad = null;
      opt.step(); // group 1 now holds one parameter: still 2 calls
      params[1].grad = nt.onesLike(params[1]);
      opt.step(); // params[0] at step 3, params[1] at step 2: 3 calls
      expect(spy).toHaveBeenCalledTimes(7);
    } finally {
      spy.mockRestore();
    }
  });

  test('stateDict round trip: a restored optimizer continues the same trajectory', () => {
    const seed = randomInt(1, 2 ** 31);
    const { init, grads } = data(seed);
    const mk = () => init.map((d, k) => nt.tensor(d, { dtype: 'float64', shape: SHAPES[k], requiresGrad: true }));
    const a = mk();
    const b = mk();
    const optA = make(name, a, c.defaults, c.group2);
    const feed = (ps: nt.Tensor[], t: number) =>
      ps.forEach((p, k) => {
        const g = grads[t][k];
        p.grad = g ? nt.tensor(g, { dtype: 'float64', shape: SHAPES[k] }) : null;
      });
    for (let t = 0; t < 8; ++t) {
      feed(a, t);
      optA.step();
    }
    nt.noGrad(() => b.forEach((p, k) => p.copy_(a[k])));
    const optB = make(name, b, { lr: 123 }, {});
    optB.loadStateDict(optA.stateDict());
    expect(optB.paramGroups.map((g) => g.lr)).toEqual(optA.paramGroups.map((g) => g.lr));
    for (let t = 8; t < STEPS; ++t) {
      feed(a, t);
      feed(b, t);
      optA.step();
      optB.step();
    }
    a.forEach((p, k) => expect(Array.from(b[k].data() as Float64Array)).toEqual(Array.from(p.data() as Float64Array)));
  });

  test('saveState / loadState round trip (numbers such as step and muProduct included)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nt-optim-'));
    try {
      const p = nt.randn([6], { dtype: 'float64', requiresGrad: true });
      const q = nt.tensor(p.data() as Float64Array, { dtype: 'float64', requiresGrad: true });
      const o1 = make(name, [p], c.defaults, {});
      const g = nt.randn([6], { dtype: 'float64' });
      for (let t = 0; t < 3; ++t) {
        p.grad = g.clone();
        o1.step();
      }
      nt.optim.saveState(o1, join(dir, 'o.safetensors'));
      nt.noGrad(() => q.copy_(p));
      const o2 = make(name, [q], {}, {});
      nt.optim.loadState(o2, join(dir, 'o.safetensors'));
      expect(o2.state.get(q)?.step).toBe(3);
      p.grad = g.clone();
      q.grad = g.clone();
      o1.step();
      o2.step();
      expect(Array.from(q.data() as Float64Array)).toEqual(Array.from(p.data() as Float64Array));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('typed errors: unknown and snake_case keys, bad values, a mismatched gradient', () => {
    const ps = () => [nt.zeros([2], { requiresGrad: true })];
    expectError(
      () => make(name, ps(), { weight_decay: 0.1 }, {}),
      nt.ArgumentError,
      /'weight_decay'.*use 'weightDecay'/,
    );
    expectError(() => make(name, ps(), { lr: -1 }, {}), nt.ArgumentError, /lr >= 0, got -1/);
    expectError(() => make(name, ps(), { eps: Number.NaN }, {}), nt.ArgumentError, /eps/);
    expectError(() => make(name, ps(), {}, { bogus: 1 }), nt.ArgumentError, /unknown param group option 'bogus'/);
    const p = nt.zeros([2], { requiresGrad: true });
    const opt = make(name, [p], {}, {});
    p.grad = nt.zeros([3]);
    expectError(() => opt.step(), nt.ShapeError, /gradient of the parameter's shape \[2\], got \[3\]/);
  });
});

test('option checks specific to each optimizer', () => {
  const ps = () => [nt.zeros([2], { requiresGrad: true })];
  expectError(() => new nt.optim.Adagrad(ps(), { lrDecay: -0.1 }), nt.ArgumentError, /lrDecay >= 0/);
  expectError(
    () => new nt.optim.Adagrad(ps(), { initialAccumulatorValue: -1 }),
    nt.ArgumentError,
    /initialAccumulatorValue >= 0/,
  );
  expectError(() => new nt.optim.NAdam(ps(), { momentumDecay: -1 }), nt.ArgumentError, /momentumDecay >= 0/);
  expectError(() => new nt.optim.Adamax(ps(), { betas: [0.9, 1] }), nt.ArgumentError, /betas\[1\] in \[0, 1\)/);
  expectError(
    () => new nt.optim.RAdam(ps(), { betas: [0.9] as never }),
    nt.ArgumentError,
    /betas \[beta1, beta2\], got 1 values/,
  );
  // PyTorch 1.13's NAdam and RAdam have no maximize: refused, not ignored.
  expectError(
    () => new nt.optim.NAdam(ps(), { maximize: true } as never),
    nt.ArgumentError,
    /unknown option 'maximize'/,
  );
  expectError(
    () => new nt.optim.RAdam(ps(), { maximize: true } as never),
    nt.ArgumentError,
    /unknown option 'maximize'/,
  );
  expectError(() => new nt.optim.Adamax(ps(), { maximize: 1 } as never), nt.ArgumentError, /maximize true or false/);
});

describe('float32 coefficients rounded once from double (issue 14 item 1)', () => {
  // 1 - 0.9 rounded in float32 (0.100000024) would give -1.0000002.
  test('Adamax lr 1, betas [0.9, 0.999], eps 0, grad 1 from 0: exactly -1', () => {
    const p = nt.zeros([1], { requiresGrad: true });
    const opt = new nt.optim.Adamax([p], { lr: 1, betas: [0.9, 0.999], eps: 0 });
    p.grad = nt.ones([1]);
    opt.step();
    expect(p.item()).toBe(-1);
  });

  test('Adagrad initialAccumulatorValue 0, grad 1: exactly -lr', () => {
    const p = nt.zeros([3], { requiresGrad: true });
    const opt = new nt.optim.Adagrad([p], { lr: 0.5, eps: 0 });
    p.grad = nt.ones([3]);
    opt.step();
    expect(Array.from(p.data() as Float32Array)).toEqual([-0.5, -0.5, -0.5]);
  });

  test('Adam (existing fused kernel) lr 1, betas [0, 0.9999], grad 1: exactly -1', () => {
    const p = nt.zeros([1], { requiresGrad: true });
    const opt = new nt.optim.Adam([p], { lr: 1, betas: [0, 0.9999] });
    p.grad = nt.ones([1]);
    opt.step();
    expect(p.item()).toBe(-1);
  });
});
