// The CPU softmax and fused cross-entropy use a vectorized float32 exp
// (native/cpu/vec_exp.h) instead of libm's expf. These tests hold it to
// ~1 ulp against float64 references, over the whole range where exp is a
// normal or subnormal float, and check the special values.
import * as nt from '../lib';
import { randomTensor } from './helpers';

const ULP = 2 ** -23;

/**
 * Row softmax in float64 from the stored float32 inputs. x - max is rounded
 * to float32 as the kernel (and PyTorch) computes it: that rounding alone
 * moves exp(x - max) by up to |x - max| * 2^-24 relative.
 */
function softmaxRef(x: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let r = 0; r < rows; ++r) {
    let m = -Infinity;
    for (let j = 0; j < cols; ++j) m = Math.max(m, x[r * cols + j]);
    let s = 0;
    for (let j = 0; j < cols; ++j) s += Math.exp(Math.fround(x[r * cols + j] - m));
    for (let j = 0; j < cols; ++j) out[r * cols + j] = Math.exp(Math.fround(x[r * cols + j] - m)) / s;
  }
  return out;
}

function expectRelClose(got: Float32Array, ref: Float64Array, ulps: number): void {
  let worst = 0;
  for (let i = 0; i < ref.length; ++i) {
    const tiny = Math.abs(ref[i]) < 1.2e-38; // subnormal results: absolute error
    const err = tiny ? Math.abs(got[i] - ref[i]) / 1.4e-45 : Math.abs(got[i] - ref[i]) / (Math.abs(ref[i]) * ULP);
    worst = Math.max(worst, err);
  }
  expect(worst).toBeLessThanOrEqual(ulps);
}

describe('vectorized exp in CPU softmax / cross-entropy', () => {
  test('softmax matches float64 over inputs spanning the exp range', () => {
    // x - max covers [-100, 0]: normal and subnormal exp results.
    const { t, ref } = randomTensor([64, 1000], 7, { lo: -100, hi: 0 });
    const y = nt.softmax(t, 1);
    expectRelClose(y.data() as Float32Array, softmaxRef(ref, 64, 1000), 4);
    t.dispose();
    y.dispose();
  });

  test('log-softmax matches float64', () => {
    const { t, ref } = randomTensor([32, 333], 8, { lo: -30, hi: 30 });
    const y = nt.logSoftmax(t, 1).data() as Float32Array;
    const p = softmaxRef(ref, 32, 333);
    let worst = 0;
    for (let i = 0; i < p.length; ++i) worst = Math.max(worst, Math.abs(y[i] - Math.log(p[i])));
    expect(worst).toBeLessThan(2e-5); // |log p| up to ~60: a few ulp of the result
    t.dispose();
  });

  test('special values: -inf gives 0, NaN and all -inf rows give NaN, underflow gives 0', () => {
    const x = nt.tensor(
      [
        [0, -90, -100, -110, -Infinity],
        [1, NaN, 0, 0, 0],
        [-Infinity, -Infinity, -Infinity, -Infinity, -Infinity],
        [88, 0, -1, -2, -3],
      ],
      { dtype: 'float32' },
    );
    const y = nt.softmax(x, 1).toArray() as number[][];
    expect(y[0][0]).toBeCloseTo(1, 6);
    expect(y[0][1]).toBeGreaterThan(0); // exp(-90) = 8.2e-40, a subnormal float
    expect(Math.abs(y[0][1] - Math.exp(-90)) / Math.exp(-90)).toBeLessThan(1e-3);
    expect(y[0][3]).toBe(0);
    expect(y[0][4]).toBe(0);
    expect(y[1].every(Number.isNaN)).toBe(true);
    expect(y[2].every(Number.isNaN)).toBe(true);
    expect(y[3][0]).toBeCloseTo(1, 6);
    x.dispose();
  });

  test('fused cross-entropy losses and gradients match float64 (C = 1000, odd C)', () => {
    for (const [rows, C, seed] of [
      [256, 1000, 11],
      [37, 13, 12],
    ]) {
      const { t, ref } = randomTensor([rows, C], seed, { lo: -20, hi: 20 });
      const targets = nt.randint(0, C, [rows]);
      const tg = Array.from(targets.data() as BigInt64Array, Number);
      const x = t.requiresGrad_();
      const losses = nt.nn.functional.crossEntropy(x, targets, { reduction: 'none' });
      losses.sum().backward();
      const p = softmaxRef(ref, rows, C);
      const l = losses.data() as Float32Array;
      const g = x.grad!.data() as Float32Array;
      let worstLoss = 0;
      let worstGrad = 0;
      for (let r = 0; r < rows; ++r) {
        const refLoss = -Math.log(p[r * C + tg[r]]);
        worstLoss = Math.max(worstLoss, Math.abs(l[r] - refLoss) / Math.max(1, Math.abs(refLoss)));
        for (let j = 0; j < C; ++j) {
          const refG = p[r * C + j] - (j === tg[r] ? 1 : 0);
          worstGrad = Math.max(worstGrad, Math.abs(g[r * C + j] - refG) - 4 * ULP * Math.abs(refG));
        }
      }
      expect(worstLoss).toBeLessThan(4e-6);
      expect(worstGrad).toBeLessThan(1e-7);
      x.dispose();
      targets.dispose();
    }
  });

  it('agrees with the shared scalar exp formula (the elementwise exp kernel)', () => {
    // nt.exp runs UnaryFormula<Exp> of native/common/elementwise_ops.h (libm
    // expf on the CPU); softmax runs the vectorized exp. Both within a few ulp.
    const rows = 64,
      cols = 257;
    const { t: x } = randomTensor([rows, cols], 4242, { lo: -60, hi: 20 });
    const shifted = x.sub(x.amax(1, true));
    const e = shifted.exp();
    const viaFormula = e.div(e.sum(1, true)).data() as Float32Array;
    const viaVec = nt.softmax(x, 1).data() as Float32Array;
    let worst = 0;
    for (let i = 0; i < viaVec.length; ++i) {
      const r = Math.abs(viaFormula[i]);
      if (r < 1.2e-38) expect(Math.abs(viaVec[i] - r)).toBeLessThan(2 ** -149 * 4);
      else worst = Math.max(worst, Math.abs(viaVec[i] - viaFormula[i]) / r);
    }
    expect(worst).toBeLessThan(8 * ULP);
  });
});
