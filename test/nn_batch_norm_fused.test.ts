// Batch norm on the fused kernels (batchNormForward / batchNormBackward,
// issue 12) against PyTorch 1.13 (/usr/bin/python3, test/fixtures/
// torch_batch_norm.py) on fresh random inputs (the seed is printed and can be
// fixed with NT_TEST_SEED): outputs, input / weight / bias gradients and
// running stats over two steps of BatchNorm1d / BatchNorm2d in training and
// eval, affine or not, trackRunningStats or not, momentum null (cumulative
// average). Then gradcheck in float64 of every path, the running-stat copy
// path (stats of another dtype), large offsets (the two-pass variance) and
// the kernel's own argument checks.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as nt from '../lib';
import { kBatchNormBackward, kBatchNormForward } from '../lib/kernels/batch_norm';
import { DEVICES, expectClose, expectError, randomValues, values } from './helpers';

const F = nt.nn.F;
const PYTHON = '/usr/bin/python3';
const SEED = Number(process.env.NT_TEST_SEED ?? Date.now() % 1_000_000_007);

interface Case {
  name: string;
  shape: number[];
  dtype: 'float32' | 'float64';
  eps: number;
  momentum: number | null;
  affine: boolean;
  track: boolean;
  training: boolean;
  w: number[];
  b: number[];
  rm: number[];
  rv: number[];
  steps: { x: number[]; dy: number[] }[];
}

interface Result {
  steps: { y: number[]; dx: number[]; dw?: number[]; db?: number[] }[];
  rm?: number[];
  rv?: number[];
}

const numel = (s: number[]): number => s.reduce((a, b) => a * b, 1);

function makeCases(): Case[] {
  const cases: Case[] = [];
  let k = 0;
  const vals = (n: number, lo = -2, hi = 2): number[] => Array.from(randomValues(n, SEED + 7919 * ++k, lo, hi));
  const shapes = [
    [16, 5],
    [9, 130], // [N, C] in three channel blocks
    [4, 3, 7],
    [3, 4, 5, 6],
    [2, 3, 33, 17],
  ];
  for (const dtype of ['float64', 'float32'] as const)
    for (const shape of shapes)
      for (const [affine, track, momentum, training] of [
        [true, true, 0.1, true],
        [false, true, 0.3, true],
        [true, true, null, true],
        [true, false, 0.1, true],
        [true, true, 0.1, false],
        [false, true, 0.1, false],
      ] as const) {
        const C = shape[1];
        const n = numel(shape);
        // An offset per case: the variance must not depend on the mean.
        const off = vals(1, -50, 50)[0];
        cases.push({
          name: `${dtype} [${shape}] affine=${affine} track=${track} momentum=${momentum} training=${training}`,
          shape,
          dtype,
          eps: k % 2 ? 1e-5 : 1e-3,
          momentum,
          affine,
          track,
          training,
          w: vals(C, 0.5, 2),
          b: vals(C),
          rm: vals(C),
          rv: vals(C, 0.5, 2),
          steps: [0, 1].map(() => ({ x: vals(n, off - 3, off + 3), dy: vals(n) })),
        });
      }
  return cases;
}

const CASES = makeCases();

function torchResults(): Record<string, Result> | null {
  if (!existsSync(PYTHON)) return null;
  try {
    const out = execFileSync(PYTHON, [join(__dirname, 'fixtures', 'torch_batch_norm.py')], {
      input: JSON.stringify(CASES),
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
      maxBuffer: 256 << 20,
    });
    return JSON.parse(out) as Record<string, Result>;
  } catch {
    return null;
  }
}

const torchRef = torchResults();
const withTorch = torchRef ? describe : describe.skip;
if (!torchRef) console.warn('nn_batch_norm_fused: /usr/bin/python3 with torch not found; PyTorch parity skipped');

/** Runs a case through nodetorch's module. */
function runOurs(c: Case, device: nt.Device): Result {
  const opts = {
    eps: c.eps,
    momentum: c.momentum,
    affine: c.affine,
    trackRunningStats: c.track,
    dtype: c.dtype,
    device,
  };
  const m = c.shape.length === 4 ? new nt.nn.BatchNorm2d(c.shape[1], opts) : new nt.nn.BatchNorm1d(c.shape[1], opts);
  const t = (v: number[], shape: number[]): nt.Tensor => nt.tensor(v, { dtype: c.dtype, device, shape });
  nt.noGrad(() => {
    if (c.affine) {
      (m.weight as nt.Tensor).copy_(t(c.w, [c.shape[1]]));
      (m.bias as nt.Tensor).copy_(t(c.b, [c.shape[1]]));
    }
    if (c.track) {
      (m.runningMean as nt.Tensor).copy_(t(c.rm, [c.shape[1]]));
      (m.runningVar as nt.Tensor).copy_(t(c.rv, [c.shape[1]]));
    }
  });
  m.train(c.training);
  const steps = c.steps.map((s) => {
    const x = t(s.x, c.shape).requiresGrad_(true);
    if (m.weight) m.weight.grad = null;
    if (m.bias) m.bias.grad = null;
    const y = m.forward(x);
    y.mul(t(s.dy, c.shape)).sum().backward();
    const r: Result['steps'][number] = {
      y: Array.from(values(y.detach())),
      dx: Array.from(values(x.grad as nt.Tensor)),
    };
    if (m.weight) r.dw = Array.from(values(m.weight.grad as nt.Tensor));
    if (m.bias) r.db = Array.from(values(m.bias.grad as nt.Tensor));
    return r;
  });
  const res: Result = { steps };
  if (c.track) {
    res.rm = Array.from(values(m.runningMean as nt.Tensor));
    res.rv = Array.from(values(m.runningVar as nt.Tensor));
  }
  return res;
}

withTorch.each(DEVICES)('batch norm against PyTorch 1.13 on %s', (device) => {
  test.each(CASES.map((c) => [c.name, c] as const))(`%s (seed ${SEED})`, (_, c) => {
    const ref = (torchRef as Record<string, Result>)[c.name];
    const ours = runOurs(c, device);
    // float32: PyTorch sums in float32 on some paths, nodetorch in double; gradients are sums over N * HW.
    const tol = c.dtype === 'float64' ? { atol: 1e-9, rtol: 1e-9 } : { atol: 2e-4, rtol: 2e-4 };
    const sumTol = c.dtype === 'float64' ? { atol: 1e-8, rtol: 1e-9 } : { atol: 2e-3, rtol: 1e-3 };
    for (let i = 0; i < ref.steps.length; ++i) {
      expectClose(ours.steps[i].y, ref.steps[i].y, tol);
      expectClose(ours.steps[i].dx, ref.steps[i].dx, tol);
      if (c.affine) {
        expectClose(ours.steps[i].dw as number[], ref.steps[i].dw as number[], sumTol);
        expectClose(ours.steps[i].db as number[], ref.steps[i].db as number[], sumTol);
      }
    }
    if (c.track) {
      expectClose(ours.rm as number[], ref.rm as number[], tol);
      expectClose(ours.rv as number[], ref.rv as number[], tol);
    }
  });
});

describe.each(DEVICES)('fused batch norm on %s', (device) => {
  const f64 = (v: ArrayLike<number>, shape: number[], requiresGrad = false): nt.Tensor =>
    nt.tensor(Float64Array.from(v), { dtype: 'float64', shape, device, requiresGrad });

  test(`gradcheck: training and eval, affine or not, 2-D to 4-D (seed ${SEED})`, () => {
    for (const shape of [
      [5, 3],
      [3, 2, 4],
      [2, 3, 2, 3],
    ]) {
      const C = shape[1];
      const x = f64(randomValues(numel(shape), SEED + 1, -2, 2), shape, true);
      const w = f64(randomValues(C, SEED + 2, 0.5, 2), [C], true);
      const b = f64(randomValues(C, SEED + 3), [C], true);
      const rm = f64(randomValues(C, SEED + 4), [C]);
      const rv = f64(randomValues(C, SEED + 5, 0.5, 2), [C]);
      const gc = (fn: (...t: nt.Tensor[]) => nt.Tensor, ins: nt.Tensor[]): void =>
        expect(nt.autograd.gradcheck(fn, ins)).toBe(true);
      gc((t, ww, bb) => F.batchNorm(t, null, null, ww, bb, true), [x, w, b]);
      gc((t, ww) => F.batchNorm(t, null, null, ww, null, true), [x, w]);
      gc((t, bb) => F.batchNorm(t, null, null, null, bb, true), [x, b]);
      gc((t) => F.batchNorm(t, null, null, null, null, true, 0.1, 1e-3), [x]);
      // Running stats are updated in place by every call: fresh copies per evaluation.
      gc((t, ww, bb) => F.batchNorm(t, rm.clone(), rv.clone(), ww, bb, true), [x, w, b]);
      gc((t, ww, bb) => F.batchNorm(t, rm, rv, ww, bb, false), [x, w, b]);
      gc((t) => F.batchNorm(t, rm, rv, null, null, false), [x]);
      // Eval mode with running stats that require grad: the composed path.
      const rmg = f64(randomValues(C, SEED + 6), [C], true);
      const rvg = f64(randomValues(C, SEED + 7, 0.5, 2), [C], true);
      gc((t, m, v, ww) => F.batchNorm(t, m, v, ww, null, false), [x, rmg, rvg, w]);
    }
  });

  test(`running stats of another dtype and non-contiguous go through a copy (seed ${SEED})`, () => {
    const shape = [6, 4, 3];
    const xv = randomValues(numel(shape), SEED + 11);
    const rm32 = nt.tensor(Array.from(randomValues(4, SEED + 12)), { dtype: 'float32', device });
    const rv32 = nt.tensor(Array.from(randomValues(4, SEED + 13, 0.5, 2)), { dtype: 'float32', device });
    const rm64 = rm32.to({ dtype: 'float64' });
    const rv64 = rv32.to({ dtype: 'float64' });
    const y1 = F.batchNorm(f64(xv, shape), rm32, rv32, null, null, true, 0.25);
    const y2 = F.batchNorm(f64(xv, shape), rm64, rv64, null, null, true, 0.25);
    expectClose(y1, values(y2), { atol: 1e-12, rtol: 0 });
    expectClose(rm32, values(rm64), { atol: 1e-6, rtol: 1e-6 });
    expectClose(rv32, values(rv64), { atol: 1e-6, rtol: 1e-6 });
    // A strided view as running stats: every other element of [8].
    const big = f64(randomValues(8, SEED + 14, 0.5, 2), [8]);
    const rmView = big.reshape([4, 2]).narrow(1, 0, 1).squeeze(1);
    expect(rmView.isContiguous()).toBe(false);
    const before = Array.from(values(rmView));
    const rvC = f64([1, 1, 1, 1], [4]);
    F.batchNorm(f64(xv, shape), rmView, rvC, null, null, true, 0.5);
    const chMean = values(f64(xv, shape).mean([0, 2]));
    expectClose(
      rmView,
      before.map((r, c) => 0.5 * r + 0.5 * chMean[c]),
      { atol: 1e-12, rtol: 1e-12 },
    );
  });

  test(`float32 with a large common offset keeps its variance (seed ${SEED})`, () => {
    // var 1 around 1e4: a one-pass E[x^2] - E[x]^2 in float32 would lose it.
    const x = nt.randn([16, 3, 8, 8], { device }).add(1e4);
    const y = F.batchNorm(x, null, null, null, null, true);
    expectClose(nt.variance(y.to({ dtype: 'float64' }), [0, 2, 3], 0), [1, 1, 1], { atol: 2e-3, rtol: 0 });
  });

  test('non-contiguous input and gradient', () => {
    const base = f64(randomValues(2 * 3 * 4 * 5, SEED + 21), [2, 4, 3, 5], true);
    const x = base.transpose(1, 2); // [2, 3, 4, 5], not contiguous
    const expected = F.batchNorm(x.contiguous(), null, null, null, null, true);
    const y = F.batchNorm(x, null, null, null, null, true);
    expectClose(y, values(expected.detach()), { atol: 1e-12, rtol: 0 });
    const g = f64(randomValues(30, SEED + 22), [2, 3, 1, 5]).expand([2, 3, 4, 5]);
    expect(
      nt.autograd.gradcheck((t) => F.batchNorm(t.transpose(1, 2), null, null, null, null, true).mul(g), [base]),
    ).toBe(true);
  });

  test('zero-size batch in eval; the kernel checks its arguments', () => {
    const rm = f64([0, 0, 0], [3]);
    const rv = f64([1, 1, 1], [3]);
    expect(F.batchNorm(f64([], [0, 3, 2, 2]), rm, rv, null, null, false).shape).toEqual([0, 3, 2, 2]);
    const x = f64(randomValues(12, SEED + 31), [2, 3, 2]);
    const out = nt.emptyLike(x);
    const dims = { N: 2, C: 3, HW: 2, eps: 1e-5, training: false };
    const none = { mean: null, invstd: null };
    const params = { weight: null, bias: null };
    // Eval without running stats, a lone running mean, one value per channel in training, a bad momentum.
    expectError(
      () => kBatchNormForward(out, x, params, { mean: null, var: null }, none, dims, 0.1),
      nt.ArgumentError,
      /^batch_norm: eval mode/,
    );
    expectError(
      () => kBatchNormForward(out, x, params, { mean: rm, var: null }, none, dims, 0.1),
      nt.ArgumentError,
      /^batch_norm: runningMean and runningVar/,
    );
    expectError(
      () =>
        kBatchNormForward(
          out,
          x,
          params,
          { mean: null, var: null },
          none,
          { ...dims, N: 1, HW: 1, training: true },
          0.1,
        ),
      nt.ShapeError,
      /^batch_norm: expected more than 1 value per channel/,
    );
    expectError(
      () => kBatchNormForward(out, x, params, { mean: rm, var: rv }, none, dims, 2),
      nt.ArgumentError,
      /^batch_norm: momentum/,
    );
    // Sizes beyond the storages are refused before any access.
    expectError(
      () => kBatchNormForward(out, x, params, { mean: rm, var: rv }, none, { ...dims, HW: 3 }, 0.1),
      Error,
      /batch_norm/,
    );
    expectError(
      () =>
        kBatchNormBackward({ dx: out, dweight: null, dbias: null }, x, x, { mean: rm, invstd: rv }, null, {
          ...dims,
          C: 4,
        }),
      Error,
      /batch_norm_backward/,
    );
  });
});
