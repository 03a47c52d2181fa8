// Fused scaled-dot-product attention (issue 13): float64 against the naive
// softmax(q k^T * scale + mask) v built from existing ops, gradients (against
// the naive graph and by finite differences), dropout replay, fully masked
// rows, hostile arguments and the memory bound (no [L, S] buffer).
import * as nt from '../lib';
import { kAttentionForward } from '../lib/kernels/launch';
import { DEVICES, expectClose, expectError, randomValues, testSeed } from './helpers';

const sdpa = nt.scaledDotProductAttention;
const TIGHT = { atol: 1e-11, rtol: 1e-9 };

function rand(shape: number[], salt: string, dtype: nt.DType = 'float64', device: nt.Device = 'cpu'): nt.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return nt.tensor(randomValues(n, testSeed(salt)), { dtype, shape, device });
}

function leaf(shape: number[], salt: string): nt.Tensor {
  return rand(shape, salt).requiresGrad_();
}

/** [L, S] additive mask: 0 where query i sees key j (j <= i), else -inf. */
function causalMask(L: number, S: number, dtype: nt.DType = 'float64'): nt.Tensor {
  const v = new Float64Array(L * S);
  for (let i = 0; i < L; ++i) for (let j = 0; j < S; ++j) v[i * S + j] = j <= i ? 0 : -Infinity;
  return nt.tensor(v, { dtype, shape: [L, S] });
}

/** A bool mask of `shape` (last two dims [L, S]) with key 0 always visible, so no row is fully masked. */
function boolMask(shape: number[], salt: string): nt.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const S = shape[shape.length - 1];
  const r = randomValues(n, testSeed(salt), 0, 1);
  const v = Array.from(r, (u, i) => i % S === 0 || u < 0.6);
  return nt.tensor(v, { dtype: 'bool', shape });
}

/** The naive reference: materialized scores, softmax, product (differentiable through existing ops). */
function naive(
  q: nt.Tensor,
  k: nt.Tensor,
  v: nt.Tensor,
  o: { mask?: nt.Tensor; causal?: boolean; scale?: number; keep?: nt.Tensor; p?: number } = {},
): nt.Tensor {
  const E = q.shape[q.ndim - 1];
  let s = q.matmul(k.transpose(-2, -1)).mul(o.scale ?? 1 / Math.sqrt(E));
  if (o.mask) s = s.add(o.mask.dtype === 'bool' ? nt.where(o.mask, 0, -Infinity).to(q.dtype) : o.mask);
  if (o.causal) s = s.add(causalMask(q.shape[q.ndim - 2], k.shape[k.ndim - 2], q.dtype));
  let w = nt.softmax(s, -1);
  if (o.keep) w = w.mul(o.keep).mul(1 / (1 - (o.p ?? 0)));
  return w.matmul(v);
}

const data = (t: nt.Tensor): Float64Array => t.double().cpu().data() as Float64Array;

describe('scaledDotProductAttention forward (float64 vs the naive formula)', () => {
  test.each([
    ['no mask, Ev != E', [2, 3], 5, 7, 8, 6],
    ['one head, tiles crossed (L, S > 64)', [1], 70, 130, 16, 16],
    ['odd sizes, E = 1', [3], 67, 65, 1, 3],
    ['unbatched 2-D', [], 4, 9, 5, 2],
    ['S = 1', [2], 5, 1, 3, 4],
  ])('%s', (_name, batch, L, S, E, Ev) => {
    const q = rand([...batch, L, E], 'q');
    const k = rand([...batch, S, E], 'k');
    const v = rand([...batch, S, Ev], 'v');
    const out = sdpa(q, k, v);
    expect(out.shape).toEqual([...batch, L, Ev]);
    expectClose(out, data(naive(q, k, v)), TIGHT);
  });

  test.each([
    [70, 70],
    [5, 9],
    [9, 5],
    [130, 67],
  ])('causal L = %i, S = %i (query i sees keys j <= i)', (L, S) => {
    const q = rand([2, L, 4], 'q');
    const k = rand([2, S, 4], 'k');
    const v = rand([2, S, 3], 'v');
    expectClose(sdpa(q, k, v, { isCausal: true }), data(naive(q, k, v, { causal: true })), TIGHT);
  });

  test('bool mask (true takes part) and additive float mask', () => {
    const q = rand([2, 3, 6, 4], 'q');
    const k = rand([2, 3, 70, 4], 'k');
    const v = rand([2, 3, 70, 5], 'v');
    const bm = boolMask([2, 3, 6, 70], 'm');
    expectClose(sdpa(q, k, v, { attnMask: bm }), data(naive(q, k, v, { mask: bm })), TIGHT);
    const fm = rand([2, 3, 6, 70], 'f');
    expectClose(sdpa(q, k, v, { attnMask: fm }), data(naive(q, k, v, { mask: fm })), TIGHT);
  });

  test.each([
    ['[L, S]', [6, 9]],
    ['[S]', [9]],
    ['[B, 1, L, S]', [2, 1, 6, 9]],
    ['[1, H, L, S]', [1, 3, 6, 9]],
    ['[B, H, 1, S]', [2, 3, 1, 9]],
    ['[1, 1, L, 1]', [1, 1, 6, 1]],
  ])('broadcast float mask %s over [2, 3, 6, 9]', (_n, mshape) => {
    const q = rand([2, 3, 6, 4], 'q');
    const k = rand([2, 3, 9, 4], 'k');
    const v = rand([2, 3, 9, 2], 'v');
    const m = rand(mshape, 'm');
    expectClose(sdpa(q, k, v, { attnMask: m }), data(naive(q, k, v, { mask: m })), TIGHT);
  });

  test('a mask whose batch dims do not merge into two (materialized once) and a strided mask', () => {
    const q = rand([2, 3, 2, 5, 4], 'q');
    const k = rand([2, 3, 2, 7, 4], 'k');
    const v = rand([2, 3, 2, 7, 3], 'v');
    const m = rand([2, 1, 2, 5, 7], 'm');
    expectClose(sdpa(q, k, v, { attnMask: m }), data(naive(q, k, v, { mask: m })), TIGHT);
    const mt = rand([7, 5], 't').transpose(0, 1); // non-contiguous [5, 7]
    expectClose(sdpa(q, k, v, { attnMask: mt }), data(naive(q, k, v, { mask: mt })), TIGHT);
  });

  test('broadcast batch dims of key/value, non-contiguous inputs, explicit scale', () => {
    const q = rand([2, 3, 5, 4], 'q');
    const k = rand([1, 3, 8, 4], 'k');
    const v = rand([3, 8, 2], 'v');
    expectClose(sdpa(q, k, v, { scale: 0.3 }), data(naive(q, k, v, { scale: 0.3 })), TIGHT);
    const qt = rand([2, 4, 5], 'qt').transpose(1, 2);
    const kt = rand([2, 8, 4], 'kt');
    const vt = rand([2, 8, 3], 'vt');
    expectClose(sdpa(qt, kt, vt), data(naive(qt, kt, vt)), TIGHT);
  });

  test('float32 within float32 tolerance of the float64 result', () => {
    const q = rand([2, 70, 16], 'q');
    const k = rand([2, 90, 16], 'k');
    const v = rand([2, 90, 8], 'v');
    const ref = data(naive(q, k, v, { causal: true }));
    const out = sdpa(q.float(), k.float(), v.float(), { isCausal: true });
    expect(out.dtype).toBe('float32');
    expectClose(out, ref, { atol: 2e-5, rtol: 1e-4 });
  });

  test('fully masked rows give 0 (and zero gradients), never NaN', () => {
    const q = leaf([2, 4, 3], 'q');
    const k = leaf([2, 5, 3], 'k');
    const v = leaf([2, 5, 2], 'v');
    const mv = Array.from({ length: 4 * 5 }, (_, i) => Math.floor(i / 5) !== 1 && i % 5 !== 4); // row 1 sees nothing
    const m = nt.tensor(mv, { dtype: 'bool', shape: [4, 5] });
    const out = sdpa(q, k, v, { attnMask: m });
    const o = data(out);
    for (let b = 0; b < 2; ++b) expect([o[b * 8 + 2], o[b * 8 + 3]]).toEqual([0, 0]);
    expect(o.some(Number.isNaN)).toBe(false);
    out
      .mul(rand([2, 4, 2], 'g'))
      .sum()
      .backward();
    const gq = data(q.grad as nt.Tensor);
    for (let b = 0; b < 2; ++b) expect(Array.from(gq.subarray(b * 12 + 3, b * 12 + 6))).toEqual([0, 0, 0]);
    for (const t of [q, k, v]) expect(data(t.grad as nt.Tensor).some((x) => !Number.isFinite(x))).toBe(false);
    // The other rows match the reference; key 4 (masked for every row) gets no gradient.
    const gk = data(k.grad as nt.Tensor);
    for (let b = 0; b < 2; ++b) expect(Array.from(gk.subarray(b * 15 + 12, b * 15 + 15))).toEqual([0, 0, 0]);
  });

  test('Ev = 0: empty output, zero (finite) gradients for query and key', () => {
    const q = leaf([2, 3, 4], 'q');
    const k = leaf([2, 5, 4], 'k');
    const v = leaf([2, 5, 0], 'v');
    const out = sdpa(q, k, v, { attnMask: rand([3, 5], 'm') });
    expect(out.shape).toEqual([2, 3, 0]);
    out.sum().backward();
    expect(Array.from(data(q.grad as nt.Tensor))).toEqual(new Array(24).fill(0));
    expect(Array.from(data(k.grad as nt.Tensor))).toEqual(new Array(40).fill(0));
  });

  test('exported as nt.scaledDotProductAttention and nn.F.scaledDotProductAttention', () => {
    expect(nt.nn.F.scaledDotProductAttention).toBe(nt.scaledDotProductAttention);
  });

  test('S = 0: every row fully masked, output 0', () => {
    const out = sdpa(rand([2, 3, 4], 'q'), rand([2, 0, 4], 'k'), rand([2, 0, 5], 'v'));
    expect(out.shape).toEqual([2, 3, 5]);
    expect(Array.from(data(out))).toEqual(new Array(30).fill(0));
    expect(sdpa(rand([2, 0, 4], 'q'), rand([2, 3, 4], 'k'), rand([2, 3, 5], 'v')).shape).toEqual([2, 0, 5]);
  });
});

describe('scaledDotProductAttention gradients (float64)', () => {
  test.each([
    ['no mask', {}],
    ['causal', { causal: true }],
    ['float mask', { mask: true }],
  ])('q, k, v gradients match the naive graph across tiles: %s', (_n, o: { causal?: boolean; mask?: boolean }) => {
    const mask = o.mask ? rand([1, 70, 130], 'm') : undefined;
    const g = rand([2, 70, 5], 'g');
    const run = (f: typeof naive): Float64Array[] => {
      const q = leaf([2, 70, 8], 'q');
      const k = leaf([2, 130, 8], 'k');
      const v = leaf([2, 130, 5], 'v');
      f(q, k, v, { causal: o.causal, mask }).mul(g).sum().backward();
      return [q, k, v].map((t) => data(t.grad as nt.Tensor));
    };
    const fused = run((q, k, v, a) => sdpa(q, k, v, { isCausal: a?.causal, attnMask: a?.mask }));
    const ref = run(naive);
    for (let i = 0; i < 3; ++i) expectClose(fused[i], ref[i], TIGHT);
  });

  test('gradcheck: no mask, causal with L != S, bool and float masks, broadcast key/value', () => {
    const gc = (fn: (...t: nt.Tensor[]) => nt.Tensor, inputs: nt.Tensor[]): void => {
      expect(nt.autograd.gradcheck(fn, inputs)).toBe(true);
    };
    gc((q, k, v) => sdpa(q, k, v), [leaf([2, 3, 4], 'a'), leaf([2, 5, 4], 'b'), leaf([2, 5, 3], 'c')]);
    gc((q, k, v) => sdpa(q, k, v, { isCausal: true }), [leaf([4, 2], 'd'), leaf([6, 2], 'e'), leaf([6, 3], 'f')]);
    gc(
      (q, k, v) => sdpa(q, k, v, { isCausal: true }),
      [leaf([1, 6, 2], 'g'), leaf([1, 3, 2], 'h'), leaf([1, 3, 2], 'i')],
    );
    const bm = boolMask([3, 5], 'bm');
    gc(
      (q, k, v) => sdpa(q, k, v, { attnMask: bm }),
      [leaf([2, 3, 2], 'j'), leaf([2, 5, 2], 'k'), leaf([2, 5, 2], 'l')],
    );
    const fm = rand([2, 1, 3, 5], 'fm');
    gc(
      (q, k, v) => sdpa(q, k, v, { attnMask: fm, scale: 0.7 }),
      [leaf([2, 2, 3, 2], 'm'), leaf([1, 2, 5, 2], 'n'), leaf([5, 3], 'o')],
    );
    // keys across a tile boundary (S = 66 > 64)
    gc((q, k, v) => sdpa(q, k, v), [leaf([1, 2, 2], 'p'), leaf([1, 66, 2], 'q'), leaf([1, 66, 1], 'r')]);
  });
});

describe('scaledDotProductAttention dropout', () => {
  /** The keep mask (0/1) the op draws for [BH, L, S] at the current generator state. */
  function keepMask(BH: number, L: number, S: number, p: number): nt.Tensor {
    // q = k = 0: uniform weights 1/S; v = I: out[i, j] = keep(i, j) / (S (1 - p)).
    const eye = nt.eye(S, S, { dtype: 'float64' }).reshape([1, S, S]).expand([BH, S, S]);
    const zq = nt.zeros([BH, L, 1], { dtype: 'float64' });
    const zk = nt.zeros([BH, S, 1], { dtype: 'float64' });
    return sdpa(zq, zk, eye, { dropoutP: p }).mul(S * (1 - p));
  }

  test('the same seed gives the same output; another seed another one', () => {
    const [q, k, v] = [rand([2, 8, 4], 'q'), rand([2, 9, 4], 'k'), rand([2, 9, 3], 'v')];
    nt.manualSeed(11);
    const a = data(sdpa(q, k, v, { dropoutP: 0.4 }));
    const a2 = data(sdpa(q, k, v, { dropoutP: 0.4 })); // the generator moved on
    nt.manualSeed(11);
    const b = data(sdpa(q, k, v, { dropoutP: 0.4 }));
    nt.manualSeed(12);
    const c = data(sdpa(q, k, v, { dropoutP: 0.4 }));
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(Array.from(c)).not.toEqual(Array.from(a));
    expect(Array.from(a2)).not.toEqual(Array.from(a));
  });

  test('keep fraction is 1 - p and kept weights are scaled by 1 / (1 - p)', () => {
    for (const p of [0.1, 0.5]) {
      nt.manualSeed(3);
      const m = data(keepMask(2, 64, 64, p));
      let kept = 0;
      let other = 0;
      for (const x of m) {
        if (Math.abs(x - 1) <= 1e-9) kept++;
        else if (Math.abs(x) > 1e-9) other++;
      }
      expect(other).toBe(0);
      // 8192 Bernoulli draws: sd of the fraction < 0.006
      expect(Math.abs(kept / m.length - (1 - p))).toBeLessThan(0.03);
    }
  });

  test('forward and gradients equal the naive formula with the same keep mask', () => {
    const p = 0.3;
    nt.manualSeed(5);
    const keep = keepMask(2, 7, 70, p).reshape([2, 7, 70]);
    const g = rand([2, 7, 3], 'g');
    const run = (f: (q: nt.Tensor, k: nt.Tensor, v: nt.Tensor) => nt.Tensor): Float64Array[] => {
      const q = leaf([2, 7, 4], 'q');
      const k = leaf([2, 70, 4], 'k');
      const v = leaf([2, 70, 3], 'v');
      const out = f(q, k, v);
      out.mul(g).sum().backward();
      return [data(out), ...[q, k, v].map((t) => data(t.grad as nt.Tensor))];
    };
    const fused = run((q, k, v) => {
      nt.manualSeed(5); // the same counter offset as keepMask's call
      return sdpa(q, k, v, { dropoutP: p });
    });
    const ref = run((q, k, v) => naive(q, k, v, { keep, p }));
    for (let i = 0; i < 4; ++i) expectClose(fused[i], ref[i], TIGHT);
  });

  test('gradcheck with the seed reset in the function replays one mask', () => {
    const fn = (q: nt.Tensor, k: nt.Tensor, v: nt.Tensor): nt.Tensor => {
      nt.manualSeed(9);
      return sdpa(q, k, v, { dropoutP: 0.5, isCausal: true });
    };
    expect(nt.autograd.gradcheck(fn, [leaf([2, 4, 3], 'a'), leaf([2, 4, 3], 'b'), leaf([2, 4, 2], 'c')])).toBe(true);
  });
});

describe('scaledDotProductAttention hostile arguments', () => {
  const q = rand([2, 3, 4], 'q');
  const k = rand([2, 5, 4], 'k');
  const v = rand([2, 5, 6], 'v');
  const op = /^scaled_dot_product_attention: /;

  test('ranks, shapes and batch dims', () => {
    expectError(() => sdpa(rand([4], 'x'), k, v), nt.ShapeError, /query must have at least 2 dims/);
    expectError(() => sdpa(q, rand([2, 5, 3], 'x'), v), nt.ShapeError, /key's last dim must equal query's/);
    expectError(() => sdpa(q, k, rand([2, 4, 6], 'x')), nt.ShapeError, /value must have key's sequence length/);
    expectError(() => sdpa(q, rand([3, 5, 4], 'x'), rand([3, 5, 6], 'y')), nt.ShapeError, /cannot be broadcast/);
    expectError(
      () => sdpa(q, k, v, { attnMask: rand([3, 4], 'm') }),
      nt.ShapeError,
      /attnMask \[3, 4\] does not broadcast to \[2, 3, 5\]/,
    );
    expectError(() => sdpa(q, k, v, { attnMask: rand([1, 2, 3, 5], 'm') }), nt.ShapeError, op);
  });

  test('dtypes and devices', () => {
    const qi = nt.tensor([1, 2, 3, 4], { dtype: 'int32', shape: [1, 4] });
    expectError(() => sdpa(qi, k, v), nt.DTypeError, /query must be float32 or float64, got int32/);
    expectError(() => sdpa(q.float(), k, v), nt.DTypeError, /must share one dtype, got float32, float64 and float64/);
    const im = nt.zeros([3, 5], { dtype: 'int64' });
    expectError(() => sdpa(q, k, v, { attnMask: im }), nt.DTypeError, /attnMask must be bool or the query's dtype/);
    expectError(() => sdpa(q, k, v, { attnMask: rand([3, 5], 'm', 'float32') }), nt.DTypeError, op);
  });

  test('options', () => {
    expectError(() => sdpa(q, k, v, { dropoutP: 1 }), nt.ArgumentError, /dropoutP in \[0, 1\), got 1/);
    expectError(() => sdpa(q, k, v, { dropoutP: -0.1 }), nt.ArgumentError, /dropoutP/);
    expectError(() => sdpa(q, k, v, { dropoutP: NaN }), nt.ArgumentError, /dropoutP/);
    expectError(() => sdpa(q, k, v, { scale: Infinity }), nt.ArgumentError, /scale a finite number/);
    expectError(
      () => sdpa(q, k, v, { isCausal: true, attnMask: rand([3, 5], 'm') }),
      nt.ArgumentError,
      /isCausal with an explicit attnMask/,
    );
    expectError(() => sdpa(q, k, v, { isCausal: 1 as unknown as boolean }), nt.ArgumentError, /isCausal/);
    expectError(() => sdpa(q, k, v, { causal: true } as never), nt.ArgumentError, /causal/);
    expectError(() => sdpa(q, k, null as unknown as nt.Tensor), nt.ArgumentError, /value must be a Tensor/);
  });
});

describe('attentionForward native checks (below the TypeScript ones)', () => {
  const q = rand([2, 3, 4], 'q');
  const k = rand([2, 5, 4], 'k');
  const v = rand([2, 5, 2], 'v');
  const m = rand([3, 5], 'm');
  const dims = { BH: 2, L: 3, S: 5, E: 4, Ev: 2, causal: false, scale: 0.5, dropoutP: 0, seed: 1n, offset: 0 };
  const run = (over: Partial<typeof dims>, mask: Parameters<typeof kAttentionForward>[5] = null): void => {
    const out = nt.empty([2, 3, 2], { dtype: 'float64' });
    const lse = nt.empty([2, 3], { dtype: 'float64' });
    kAttentionForward(out, lse, q, k, v, mask, { ...dims, ...over });
  };

  test('mask view: shape must be [B1, B2, L, S] with B1 * B2 = BH, and stay inside its storage', () => {
    const view = { t: m, shape: [1, 2, 3, 5] as const, strides: [0, 0, 5, 1] as const, offset: 0 };
    expect(() => run({}, view)).not.toThrow();
    expectError(() => run({}, { ...view, shape: [2, 2, 3, 5] }), nt.ShapeError, /maskShape must be \[B1, B2, L, S\]/);
    expectError(() => run({}, { ...view, strides: [0, 0, 5, 2] }), nt.ArgumentError, /mask view reaches element/);
    expectError(() => run({}, { ...view, offset: 1 }), nt.ArgumentError, /mask view reaches element/);
  });

  test('dropoutP in [0, 1) and a finite scale', () => {
    expectError(() => run({ dropoutP: 1 }), nt.ArgumentError, /dropoutP must be in \[0, 1\)/);
    expectError(() => run({ dropoutP: NaN }), nt.ArgumentError, /dropoutP/);
    expectError(() => run({ scale: NaN }), nt.ArgumentError, /scale must be finite/);
  });

  test('blocks: q, k, v and out must hold BH * rows * features elements', () => {
    expectError(() => run({ E: 5 }), nt.ArgumentError, /q needs elements/);
    expectError(() => run({ S: 6 }), nt.ArgumentError, /k needs elements/);
  });
});

describe('scaledDotProductAttention memory', () => {
  test('a T = 4096 forward allocates far less than one [T, T] float32 buffer', () => {
    const T = 4096;
    const [q, k, v] = ['q', 'k', 'v'].map((s) => rand([1, T, 64], s, 'float32'));
    nt.synchronizeSync();
    const rss0 = process.memoryUsage().rss;
    const res0 = nt.memory().cpu.reserved;
    const out = sdpa(q, k, v, { isCausal: true });
    nt.synchronizeSync();
    const grown = process.memoryUsage().rss - rss0;
    const reserved = nt.memory().cpu.reserved - res0;
    expect(out.shape).toEqual([1, T, 64]);
    // the output and lse are ~1 MiB; a materialized [T, T] float32 would be 64 MiB
    expect(reserved).toBeLessThan(T * T);
    expect(grown).toBeLessThan(T * T);
  });
});

test.each(DEVICES)('device %s: float32 and float64 match the naive formula', (device) => {
  for (const dtype of ['float32', 'float64'] as const) {
    const q = rand([2, 5, 4], 'q', dtype, device);
    const k = rand([2, 7, 4], 'k', dtype, device);
    const v = rand([2, 7, 3], 'v', dtype, device);
    const tol = dtype === 'float64' ? TIGHT : { atol: 1e-5, rtol: 1e-4 };
    expectClose(
      sdpa(q, k, v, { isCausal: true }),
      data(naive(q.double(), k.double(), v.double(), { causal: true })),
      tol,
    );
  }
});
