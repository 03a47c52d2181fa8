// Float64 loop references for 2-D pooling with PyTorch's rules (output
// size, first maximum, average divisors), shared by the pooling tests.
import { randomValues, testSeed } from './helpers';

type P = [number, number];
export interface PoolArgs {
  k: P;
  s: P;
  p: P;
  d: P;
  ceil: boolean;
}

/** PyTorch's documented output size, written independently with ceil/floor. */
export function outSize(size: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const num = size + 2 * p - d * (k - 1) - 1;
  let o = (ceil ? Math.ceil(num / s) : Math.floor(num / s)) + 1;
  if (ceil && (o - 1) * s >= size + p) o -= 1;
  return o;
}

/** Distinct values (no ties), shuffled, in [-2, 2). */
export function distinctValues(n: number, salt: string): Float64Array {
  const r = randomValues(n, testSeed(salt), 0, 1);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => r[a] - r[b]);
  const v = new Float64Array(n);
  order.forEach((k, i) => {
    v[k] = -2 + (4 * i) / n;
  });
  return v;
}

export function refMaxPool(
  x: Float64Array,
  shape: number[],
  a: PoolArgs,
): { out: number[]; idx: number[]; shape: number[] } {
  const [N, C, H, W] = shape;
  const Ho = outSize(H, a.k[0], a.s[0], a.p[0], a.d[0], a.ceil);
  const Wo = outSize(W, a.k[1], a.s[1], a.p[1], a.d[1], a.ceil);
  const out: number[] = [];
  const idx: number[] = [];
  for (let n = 0; n < N; ++n)
    for (let c = 0; c < C; ++c)
      for (let oh = 0; oh < Ho; ++oh)
        for (let ow = 0; ow < Wo; ++ow) {
          let best = -Infinity;
          let bi = -1;
          for (let i = 0; i < a.k[0]; ++i)
            for (let j = 0; j < a.k[1]; ++j) {
              const h = oh * a.s[0] - a.p[0] + i * a.d[0];
              const w = ow * a.s[1] - a.p[1] + j * a.d[1];
              if (h < 0 || h >= H || w < 0 || w >= W) continue;
              const v = x[((n * C + c) * H + h) * W + w];
              if (v > best) {
                best = v;
                bi = h * W + w;
              }
            }
          out.push(best);
          idx.push(bi);
        }
  return { out, idx, shape: [N, C, Ho, Wo] };
}

export function refAvgPool(
  x: Float64Array,
  shape: number[],
  a: PoolArgs,
  countIncludePad: boolean,
  divisorOverride: number | null,
  g?: Float64Array,
): { out: number[]; shape: number[]; dx: Float64Array } {
  const [N, C, H, W] = shape;
  const Ho = outSize(H, a.k[0], a.s[0], a.p[0], 1, a.ceil);
  const Wo = outSize(W, a.k[1], a.s[1], a.p[1], 1, a.ceil);
  const out: number[] = [];
  const dx = new Float64Array(N * C * H * W);
  for (let n = 0; n < N; ++n)
    for (let c = 0; c < C; ++c)
      for (let oh = 0; oh < Ho; ++oh)
        for (let ow = 0; ow < Wo; ++ow) {
          const taps: number[] = [];
          let sum = 0;
          let inside = 0;
          let inPadded = 0;
          for (let i = 0; i < a.k[0]; ++i)
            for (let j = 0; j < a.k[1]; ++j) {
              const h = oh * a.s[0] - a.p[0] + i;
              const w = ow * a.s[1] - a.p[1] + j;
              if (h < H + a.p[0] && w < W + a.p[1]) inPadded++;
              if (h < 0 || h >= H || w < 0 || w >= W) continue;
              sum += x[((n * C + c) * H + h) * W + w];
              taps.push(((n * C + c) * H + h) * W + w);
              inside++;
            }
          const div = divisorOverride ?? (countIncludePad ? inPadded : inside);
          if (g) for (const t of taps) dx[t] += g[out.length] / div;
          out.push(sum / div);
        }
  return { out, shape: [N, C, Ho, Wo], dx };
}
