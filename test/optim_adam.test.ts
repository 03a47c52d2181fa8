// Adam and AdamW against a float64 JS reference of torch.optim.Adam/AdamW,
// over several steps, with amsgrad, maximize, L2 vs decoupled weight decay,
// several tensors per group and a parameter that joins late (its own step
// count, so its own bias corrections).
import * as nt from '../lib';
import { native } from '../lib/kernels/native';
import { DEVICES, TOL, expectClose, randomValues } from './helpers';

interface AdamRef {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
  maximize?: boolean;
}
interface RefState {
  step: number;
  m: Float64Array;
  v: Float64Array;
  vmax: Float64Array;
}

function refAdam(p: Float64Array, gIn: ArrayLike<number>, st: RefState, o: AdamRef, decoupled: boolean): void {
  const lr = o.lr ?? 1e-3;
  const [b1, b2] = o.betas ?? [0.9, 0.999];
  const eps = o.eps ?? 1e-8;
  const wd = o.weightDecay ?? (decoupled ? 1e-2 : 0);
  st.step += 1;
  const bc1 = 1 - b1 ** st.step;
  const bc2 = 1 - b2 ** st.step;
  for (let i = 0; i < p.length; ++i) {
    let g = o.maximize ? -gIn[i] : gIn[i];
    if (decoupled) p[i] *= 1 - lr * wd;
    else g += wd * p[i];
    st.m[i] = b1 * st.m[i] + (1 - b1) * g;
    st.v[i] = b2 * st.v[i] + (1 - b2) * g * g;
    let vhat = st.v[i];
    if (o.amsgrad) {
      st.vmax[i] = Math.max(st.vmax[i], st.v[i]);
      vhat = st.vmax[i];
    }
    const denom = Math.sqrt(vhat) / Math.sqrt(bc2) + eps;
    p[i] -= (lr / bc1) * (st.m[i] / denom);
  }
}

const SHAPES = [[4, 3], [7], [2, 1, 3]];
const CONFIGS: AdamRef[] = [
  {},
  { lr: 0.01 },
  { lr: 0.01, betas: [0.8, 0.99], eps: 1e-6 },
  { lr: 0.01, weightDecay: 0.1 },
  { lr: 0.01, amsgrad: true },
  { lr: 0.01, maximize: true },
  { lr: 0.02, betas: [0.5, 0.9], weightDecay: 0.05, amsgrad: true, maximize: true },
];

function gradFor(p: Float64Array, k: number, s: number): Float64Array {
  // Shrinking noise makes v decrease on some steps, so amsgrad's max matters.
  const noise = randomValues(p.length, 1000 * k + s + 7);
  return Float64Array.from(p, (v, i) => v - 0.3 + noise[i] / (1 + s));
}

describe.each(DEVICES)('Adam / AdamW on %s', (device) => {
  describe.each([
    ['Adam', false],
    ['AdamW', true],
  ] as const)('%s', (name, decoupled) => {
    describe.each(['float64', 'float32'] as const)('%s', (dtype) => {
      test.each(CONFIGS.map((c) => [JSON.stringify(c), c] as const))('matches the reference for %s', (_n, cfg) => {
        const ref = SHAPES.map((s, k) =>
          randomValues(
            s.reduce((a, b) => a * b, 1),
            20 + k,
          ),
        );
        const params = SHAPES.map((s, k) => nt.tensor(ref[k], { dtype, shape: s, device, requiresGrad: true }));
        ref.forEach((r, k) => r.set(params[k].double().cpu().data() as Float64Array));
        const states: RefState[] = ref.map((r) => ({
          step: 0,
          m: new Float64Array(r.length),
          v: new Float64Array(r.length),
          vmax: new Float64Array(r.length),
        }));
        const opt = name === 'Adam' ? new nt.optim.Adam(params, cfg) : new nt.optim.AdamW(params, cfg);
        for (let s = 0; s < 6; ++s) {
          params.forEach((p, k) => {
            if (k === 2 && s < 2) return; // joins at step 2: its step count lags
            p.grad = nt.tensor(gradFor(ref[k], k, s), { dtype, shape: SHAPES[k], device });
            refAdam(ref[k], p.grad.double().cpu().data() as Float64Array, states[k], cfg, decoupled);
          });
          opt.step();
          opt.zeroGrad();
          params.forEach((p, k) =>
            expectClose(p, ref[k], dtype === 'float64' ? TOL.float64 : { atol: 2e-6, rtol: 1e-4 }),
          );
        }
        expect(opt.state.get(params[0])?.step).toBe(6);
        expect(opt.state.get(params[2])?.step).toBe(4);
        expect(opt.state.get(params[0])?.maxExpAvgSq !== undefined).toBe(cfg.amsgrad === true);
      });
    });
  });

  test('one native adam call per group per step (params sharing a step count)', () => {
    const params = SHAPES.map((s) => nt.randn(s, { device, requiresGrad: true }));
    const opt = new nt.optim.Adam([{ params: params.slice(0, 2) }, { params: params.slice(2), lr: 0.1 }]);
    const spy = jest.spyOn(native.kernels, 'adam');
    try {
      for (let s = 0; s < 3; ++s) {
        for (const p of params) p.grad = nt.onesLike(p);
        opt.step();
      }
      expect(spy).toHaveBeenCalledTimes(6);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('Adam in float32 rounds its coefficients once (1 - beta2 in double, as PyTorch)', () => {
  test('lr 1, betas [0, 0.9999]: one step from 0 with gradient 1 lands on -1 exactly', () => {
    const p = nt.zeros([1], { requiresGrad: true });
    const opt = new nt.optim.Adam([p], { lr: 1, betas: [0, 0.9999] });
    p.grad = nt.ones([1]);
    opt.step();
    expect(p.item()).toBe(-1);
  });

  test.each([false, true])('beta2 0.9999, 20 steps: within 1e-6 of the float64 trajectory (AdamW %s)', (decoupled) => {
    const n = 64;
    const init = randomValues(n, 4242);
    const p = nt.tensor(Float32Array.from(init), { requiresGrad: true });
    const o: AdamRef = { lr: 0.01, betas: [0.9, 0.9999], weightDecay: decoupled ? 0.01 : 0 };
    const opt = decoupled
      ? new nt.optim.AdamW([p], { lr: 0.01, betas: [0.9, 0.9999], weightDecay: 0.01 })
      : new nt.optim.Adam([p], { lr: 0.01, betas: [0.9, 0.9999] });
    const ref = Float64Array.from(p.data() as Float32Array);
    const st: RefState = { step: 0, m: new Float64Array(n), v: new Float64Array(n), vmax: new Float64Array(n) };
    for (let s = 0; s < 20; ++s) {
      const g = Float32Array.from(randomValues(n, 7000 + s));
      p.grad = nt.tensor(g);
      opt.step();
      refAdam(ref, g, st, o, decoupled);
    }
    const got = p.data() as Float32Array;
    let worst = 0;
    for (let i = 0; i < n; ++i) worst = Math.max(worst, Math.abs(got[i] - ref[i]) / Math.max(Math.abs(ref[i]), 1e-3));
    expect(worst).toBeLessThanOrEqual(1e-6);
  });
});

describe('Adam options', () => {
  test("defaults are PyTorch's (AdamW: weightDecay 1e-2)", () => {
    const p = nt.zeros([1], { requiresGrad: true });
    expect(new nt.optim.Adam([p]).defaults).toEqual({
      lr: 1e-3,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: 0,
      amsgrad: false,
      maximize: false,
    });
    expect(new nt.optim.AdamW([p]).defaults.weightDecay).toBe(1e-2);
  });

  test('invalid options throw ArgumentError', () => {
    const p = nt.zeros([1], { requiresGrad: true });
    expect(() => new nt.optim.Adam([p], { betas: [1, 0.9] })).toThrow(/betas\[0\]/);
    expect(() => new nt.optim.Adam([p], { eps: -1 })).toThrow(nt.ArgumentError);
    expect(() => new nt.optim.AdamW([p], { weightDecay: -0.1 })).toThrow(/weightDecay/);
  });

  test('state tensors survive the nt.scope the step runs in', () => {
    const p = nt.tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const opt = new nt.optim.Adam([p], { lr: 0.1 });
    nt.scope(() => {
      p.grad = nt.tensor([1, 1], { dtype: 'float64' });
      opt.step();
    });
    const s = opt.state.get(p)!;
    expect((s.expAvg as nt.Tensor).isDisposed).toBe(false);
    expectClose(s.expAvg as nt.Tensor, [1 - 0.9, 1 - 0.9], TOL.float64);
  });
});
