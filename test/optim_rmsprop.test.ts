// RMSprop against a float64 JS reference of torch.optim.RMSprop (centered,
// momentum, weight decay, maximize), over several steps.
import * as nt from '../lib';
import { DEVICES, TOL, expectClose, randomValues, settledMemory } from './helpers';

interface RmsRef {
  lr?: number;
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
  maximize?: boolean;
}
interface RefState {
  sq: Float64Array;
  buf: Float64Array;
  ga: Float64Array;
}

function refRms(p: Float64Array, gIn: ArrayLike<number>, st: RefState, o: RmsRef): void {
  const lr = o.lr ?? 1e-2;
  const alpha = o.alpha ?? 0.99;
  const eps = o.eps ?? 1e-8;
  const wd = o.weightDecay ?? 0;
  const mom = o.momentum ?? 0;
  for (let i = 0; i < p.length; ++i) {
    let g = o.maximize ? -gIn[i] : gIn[i];
    g += wd * p[i];
    st.sq[i] = alpha * st.sq[i] + (1 - alpha) * g * g;
    let avg: number;
    if (o.centered) {
      st.ga[i] = st.ga[i] + (1 - alpha) * (g - st.ga[i]);
      avg = Math.sqrt(st.sq[i] - st.ga[i] * st.ga[i]);
    } else {
      avg = Math.sqrt(st.sq[i]);
    }
    avg += eps;
    if (mom > 0) {
      st.buf[i] = mom * st.buf[i] + g / avg;
      p[i] -= lr * st.buf[i];
    } else {
      p[i] -= (lr * g) / avg;
    }
  }
}

const SHAPES = [[3, 3], [4]];
const CONFIGS: RmsRef[] = [
  {},
  { lr: 0.05, alpha: 0.9 },
  { lr: 0.01, weightDecay: 0.1 },
  { lr: 0.01, momentum: 0.9 },
  { lr: 0.01, centered: true },
  { lr: 0.01, centered: true, momentum: 0.8, weightDecay: 0.05 },
  { lr: 0.01, alpha: 0.8, eps: 1e-4, centered: true, momentum: 0.5, weightDecay: 0.1, maximize: true },
];

describe.each(DEVICES)('RMSprop on %s', (device) => {
  describe.each(['float64', 'float32'] as const)('%s', (dtype) => {
    test.each(CONFIGS.map((c) => [JSON.stringify(c), c] as const))('matches the reference for %s', (_n, cfg) => {
      const ref = SHAPES.map((s, k) =>
        randomValues(
          s.reduce((a, b) => a * b, 1),
          30 + k,
        ),
      );
      const params = SHAPES.map((s, k) => nt.tensor(ref[k], { dtype, shape: s, device, requiresGrad: true }));
      ref.forEach((r, k) => r.set(params[k].double().cpu().data() as Float64Array));
      const states = ref.map((r) => ({
        sq: new Float64Array(r.length),
        buf: new Float64Array(r.length),
        ga: new Float64Array(r.length),
      }));
      const opt = new nt.optim.RMSprop(params, cfg);
      for (let s = 0; s < 6; ++s) {
        params.forEach((p, k) => {
          const noise = randomValues(ref[k].length, 77 * k + s);
          p.grad = nt.tensor(
            Float64Array.from(ref[k], (v, i) => v + noise[i]),
            { dtype, shape: SHAPES[k], device },
          );
          refRms(ref[k], p.grad.double().cpu().data() as Float64Array, states[k], cfg);
        });
        opt.step();
        opt.zeroGrad();
        params.forEach((p, k) =>
          expectClose(p, ref[k], dtype === 'float64' ? TOL.float64 : { atol: 1e-5, rtol: 1e-4 }),
        );
      }
      expect(opt.state.get(params[0])?.step).toBe(6);
    });
  });

  test('no tensors leak per step (temporaries are freed)', () => {
    const p = nt.randn([8], { device, requiresGrad: true });
    const opt = new nt.optim.RMSprop([p], { centered: true, momentum: 0.9, weightDecay: 0.1 });
    p.grad = nt.onesLike(p);
    opt.step();
    const before = settledMemory()[device].tensors;
    for (let s = 0; s < 5; ++s) opt.step();
    expect(settledMemory()[device].tensors).toBeLessThanOrEqual(before); // <=: garbage of earlier test files may be collected meanwhile
  });
});
