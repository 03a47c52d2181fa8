// The Optimizer base: parameter groups with their own options, zeroGrad,
// addParamGroup, stateDict / loadStateDict (resuming gives the identical
// next steps) and optim.saveState / loadState through a file.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as nt from '../lib';
import { DEVICES, randomValues } from './helpers';

type MakeOpt = (params: nt.Tensor[][]) => nt.optim.Optimizer<nt.optim.BaseOptions>;
const OPTIMIZERS: [string, MakeOpt][] = [
  [
    'SGD',
    (g) =>
      new nt.optim.SGD([{ params: g[0] }, { params: g[1], lr: 0.01, nesterov: true, momentum: 0.5 }], {
        lr: 0.1,
        momentum: 0.9,
      }),
  ],
  ['Adam', (g) => new nt.optim.Adam([{ params: g[0] }, { params: g[1], lr: 0.05 }], { lr: 0.01, amsgrad: true })],
  ['AdamW', (g) => new nt.optim.AdamW([{ params: g[0] }, { params: g[1], weightDecay: 0.5 }], { lr: 0.01 })],
  [
    'RMSprop',
    (g) => new nt.optim.RMSprop([{ params: g[0] }, { params: g[1], centered: true }], { lr: 0.01, momentum: 0.9 }),
  ],
];

const SHAPES = [[[3, 2], [4]], [[5]]];

function makeParams(device: nt.Device): nt.Tensor[][] {
  return SHAPES.map((group, gi) =>
    group.map((s, k) =>
      nt.tensor(
        randomValues(
          s.reduce((a, b) => a * b, 1),
          gi * 10 + k,
        ),
        { dtype: 'float64', shape: s, device, requiresGrad: true },
      ),
    ),
  );
}

function setGrads(groups: nt.Tensor[][], step: number): void {
  groups.flat().forEach((p, k) => {
    p.grad = nt.tensor(randomValues(p.numel, 500 + 10 * step + k), {
      dtype: 'float64',
      shape: p.shape,
      device: p.device,
    });
  });
}

const values = (groups: nt.Tensor[][]): number[][] => groups.flat().map((p) => Array.from(p.data() as Float64Array));

describe.each(DEVICES)('optimizer state on %s', (device) => {
  test.each(OPTIMIZERS)('%s: stateDict -> loadStateDict resumes with identical steps', (_name, make) => {
    const a = makeParams(device);
    const optA = make(a);
    for (let s = 0; s < 3; ++s) {
      setGrads(a, s);
      optA.step();
    }
    // A second model with the same values and a fresh optimizer, restored from A's state.
    const b = a.map((g) => g.map((p) => p.detach().clone().requiresGrad_()));
    const optB = make(b.map((g) => g.slice()));
    for (const g of optB.paramGroups) g.lr = 123; // overwritten by the load
    optB.loadStateDict(optA.stateDict());
    expect(optB.paramGroups.map((g) => g.lr)).toEqual(optA.paramGroups.map((g) => g.lr));
    for (let s = 3; s < 6; ++s) {
      setGrads(a, s);
      setGrads(b, s);
      optA.step();
      optB.step();
      expect(values(b)).toEqual(values(a));
    }
  });

  test.each(OPTIMIZERS)('%s: saveState / loadState through a file', (_name, make) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nt-optim-'));
    const file = path.join(dir, 'opt.safetensors');
    const a = makeParams(device);
    const optA = make(a);
    for (let s = 0; s < 2; ++s) {
      setGrads(a, s);
      optA.step();
    }
    nt.optim.saveState(optA, file);
    const b = a.map((g) => g.map((p) => p.detach().clone().requiresGrad_()));
    const optB = make(b);
    nt.optim.loadState(optB, file);
    for (let s = 2; s < 4; ++s) {
      setGrads(a, s);
      setGrads(b, s);
      optA.step();
      optB.step();
      expect(values(b)).toEqual(values(a));
    }
    fs.rmSync(dir, { recursive: true });
  });
});

describe('stateDict layout', () => {
  test('state keyed by parameter index, groups list indices (PyTorch layout)', () => {
    const [g0, g1] = makeParams('cpu');
    const opt = new nt.optim.Adam([{ params: g0 }, { params: g1, lr: 0.5 }], { lr: 0.1 });
    g1[0].grad = nt.onesLike(g1[0]);
    opt.step();
    const sd = opt.stateDict();
    expect(sd.paramGroups).toEqual([
      { lr: 0.1, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, params: [0, 1] },
      { lr: 0.5, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, params: [2] },
    ]);
    expect(Object.keys(sd.state)).toEqual(['2']);
    expect(sd.state[2].step).toBe(1);
    expect(sd.state[2].expAvg).toBeInstanceOf(nt.Tensor);
    sd.paramGroups[0].betas[0] = 0; // a copy: the optimizer is unaffected
    expect(opt.paramGroups[0].betas[0]).toBe(0.9);
  });

  test('loadStateDict rejects a different group layout and leaves the optimizer unchanged', () => {
    const [g0, g1] = makeParams('cpu');
    const opt = new nt.optim.SGD([{ params: g0 }, { params: g1 }], { lr: 0.1 });
    const other = new nt.optim.SGD(
      [...g0, ...g1].map((p) => p.detach().clone()),
      { lr: 0.1 },
    );
    expect(() => opt.loadStateDict(other.stateDict())).toThrow(/2 param groups, got 1/);
    const sd = opt.stateDict();
    sd.paramGroups[1].params = [];
    expect(() => opt.loadStateDict(sd)).toThrow(/group 1: 1 params, got 0/);
    const bad = opt.stateDict();
    bad.paramGroups[0].lr = -1;
    expect(() => opt.loadStateDict(bad)).toThrow(nt.ArgumentError);
    expect(opt.paramGroups[0].lr).toBe(0.1);
  });

  test("loadState rejects another optimizer's checkpoint and non-checkpoints", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nt-optim-'));
    const [g0] = makeParams('cpu');
    const sgd = new nt.optim.SGD(g0, { lr: 0.1 });
    const adam = new nt.optim.Adam(g0);
    nt.optim.saveState(sgd, path.join(dir, 'sgd.safetensors'));
    expect(() => nt.optim.loadState(adam, path.join(dir, 'sgd.safetensors'))).toThrow(
      /a checkpoint of a Adam optimizer, got one of SGD/,
    );
    nt.save({ w: nt.zeros([2]) }, path.join(dir, 'plain.safetensors'));
    expect(() => nt.optim.loadState(adam, path.join(dir, 'plain.safetensors'))).toThrow(nt.FileFormatError);
    fs.rmSync(dir, { recursive: true });
  });
});

describe('param groups and zeroGrad', () => {
  test('each group uses its own lr; addParamGroup fills in defaults', () => {
    const a = nt.tensor([1], { dtype: 'float64', requiresGrad: true });
    const b = nt.tensor([1], { dtype: 'float64', requiresGrad: true });
    const c = nt.tensor([1], { dtype: 'float64', requiresGrad: true });
    const opt = new nt.optim.SGD([{ params: [a] }, { params: [b], lr: 0.5 }], { lr: 0.1 });
    opt.addParamGroup({ params: [c], momentum: 0.9 });
    expect(opt.paramGroups[2]).toMatchObject({ lr: 0.1, momentum: 0.9, dampening: 0, nesterov: false });
    expect(() => opt.addParamGroup({ params: [a] })).toThrow(/one group only/);
    for (const p of [a, b, c]) p.grad = nt.ones([1], { dtype: 'float64' });
    opt.step();
    expect([a, b, c].map((p) => p.item())).toEqual([0.9, 0.5, 0.9]);
  });

  test('zeroGrad() disposes grads and sets them to null; setToNone false zeroes in place', () => {
    const p = nt.tensor([1.5, 2.5], { requiresGrad: true });
    const opt = new nt.optim.SGD([p], { lr: 0.1 });
    p.square().sum().backward();
    const g = p.grad!;
    opt.zeroGrad({ setToNone: false });
    expect(p.grad).toBe(g);
    expect(g.toArray()).toEqual([0, 0]);
    opt.zeroGrad();
    expect(p.grad).toBeNull();
    expect(g.isDisposed).toBe(true);
    opt.zeroGrad(); // no grads: nothing to do
  });

  test('a generator of parameters is accepted', () => {
    function* gen(): Generator<nt.Tensor> {
      yield nt.zeros([2], { requiresGrad: true });
      yield nt.zeros([3], { requiresGrad: true });
    }
    expect(new nt.optim.Adam(gen()).paramGroups[0].params).toHaveLength(2);
  });
});
