// The max-pool kernel's paths (native/cpu/pool.cpp: the unrolled 2x2 / 3x3
// interiors, the generic interior, the clipped border, values without
// indices) against a JavaScript loop with PyTorch's rules: the first maximum
// wins ties, a NaN wins and the last NaN stays, padding is -inf, ceilMode
// adds a window only when it starts inside. Inputs are fresh random values
// from a small set (many ties) with NaNs and infinities; the seed is printed.
import * as nt from '../lib';
import { DEVICES, rng, values } from './helpers';

const F = nt.nn.F;
const SEED = Number(process.env.NT_TEST_SEED ?? Date.now() % 1_000_000_007);

interface Geo {
  k: [number, number];
  s: [number, number];
  p: [number, number];
  d: [number, number];
  ceil: boolean;
}

function outSize(n: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const span = n + 2 * p - d * (k - 1) - 1;
  let o = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (o - 1) * s >= n + p) o -= 1;
  return o;
}

function reference(x: Float64Array, shape: number[], g: Geo): { out: number[]; idx: number[]; Ho: number; Wo: number } {
  const [N, C, H, W] = shape;
  const Ho = outSize(H, g.k[0], g.s[0], g.p[0], g.d[0], g.ceil);
  const Wo = outSize(W, g.k[1], g.s[1], g.p[1], g.d[1], g.ceil);
  const out: number[] = [];
  const idx: number[] = [];
  for (let pl = 0; pl < N * C; ++pl)
    for (let oh = 0; oh < Ho; ++oh)
      for (let ow = 0; ow < Wo; ++ow) {
        let best = -Infinity;
        let at = -1;
        for (let i = 0; i < g.k[0]; ++i) {
          const h = oh * g.s[0] - g.p[0] + i * g.d[0];
          if (h < 0 || h >= H) continue;
          for (let j = 0; j < g.k[1]; ++j) {
            const w = ow * g.s[1] - g.p[1] + j * g.d[1];
            if (w < 0 || w >= W) continue;
            const v = x[pl * H * W + h * W + w];
            if (at < 0 || v > best || Number.isNaN(v)) {
              best = v;
              at = h * W + w;
            }
          }
        }
        out.push(best);
        idx.push(Math.max(at, 0));
      }
  return { out, idx, Ho, Wo };
}

const GEOS: Geo[] = [];
for (const [k, s] of [
  [2, 2],
  [3, 2],
  [2, 1],
  [3, 1],
  [4, 3],
] as const)
  for (const p of [0, 1])
    for (const ceil of [false, true]) if (p <= k / 2) GEOS.push({ k: [k, k], s: [s, s], p: [p, p], d: [1, 1], ceil });
GEOS.push({ k: [3, 2], s: [2, 1], p: [1, 0], d: [1, 1], ceil: true });
GEOS.push({ k: [3, 3], s: [2, 2], p: [1, 1], d: [2, 1], ceil: false });
GEOS.push({ k: [2, 3], s: [1, 2], p: [1, 1], d: [1, 2], ceil: true });

describe.each(DEVICES)('max pool paths on %s', (device) => {
  test.each(GEOS.map((g) => [JSON.stringify(g), g] as const))(`%s (seed ${SEED})`, (_, g) => {
    const r = rng(SEED ^ (g.k[0] * 7 + g.s[0] * 131 + g.p[0] * 17 + (g.ceil ? 1 : 0) + g.d[0] * 1000 + g.k[1] * 29));
    for (const dtype of ['float64', 'float32'] as const) {
      const H = 5 + Math.floor(r() * 14);
      const W = 5 + Math.floor(r() * 14);
      const shape = [2, 3, H, W];
      const n = 6 * H * W;
      // Values from {-2..2}: many ties; a few NaN and -inf / +inf.
      const x = Float64Array.from({ length: n }, () => {
        const u = r();
        if (u < 0.03) return Number.NaN;
        if (u < 0.05) return -Infinity;
        if (u < 0.06) return Infinity;
        return Math.floor(r() * 5) - 2;
      });
      const ref = reference(x, shape, g);
      const t = nt.tensor(x, { dtype, shape, device });
      const [out, idx] = F.maxPool2d(t, g.k, g.s, g.p, g.d, g.ceil, true);
      expect(out.shape).toEqual([2, 3, ref.Ho, ref.Wo]);
      expect(Array.from(values(out))).toEqual(ref.out);
      expect(Array.from(values(idx))).toEqual(ref.idx);
      // Values only (no grad, no indices): the same maxima.
      const only = nt.noGrad(() => F.maxPool2d(t, g.k, g.s, g.p, g.d, g.ceil));
      expect(Array.from(values(only))).toEqual(ref.out);
    }
  });
});
