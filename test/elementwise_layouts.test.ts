// Elementwise, copy, where, fill and reduce kernels over awkward layouts: up
// to 8 dims, permuted, narrowed (non-contiguous), expanded (stride 0), with
// size-1 dims in between, as inputs and as outputs, against float64
// references. The kernels merge dims themselves (native/common/coalesce.h),
// so every layout must give the values of the row-major reference.
import * as nt from '../lib';
import {
  DEVICES,
  expectClose,
  numelOf,
  randomTensor,
  refBroadcast,
  refReduce,
  rng,
  testSeed,
  tolFor,
  values,
  viewRef,
} from './helpers';

type Float = 'float32' | 'float64';
const FLOATS: Float[] = ['float32', 'float64'];

/** A view and its row-major float64 values; base/baseRef: the storage it views. */
interface View {
  t: nt.Tensor;
  ref: Float64Array;
  base: nt.Tensor;
  baseRef: Float64Array;
}

/**
 * A view of `shape` that is neither contiguous nor in storage order: the base
 * is allocated with the dims permuted and some dims larger, then narrowed at
 * a random start and permuted back.
 */
function awkward(shape: number[], seed: number, dtype: nt.DType, device: nt.Device, lo = -2, hi = 2): View {
  const r = rng(seed);
  const n = shape.length;
  const perm = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; --i) {
    const j = Math.floor(r() * (i + 1));
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  const baseShape = perm.map((p) => shape[p] + (r() < 0.6 ? 1 + Math.floor(r() * 2) : 0));
  const { t: base, ref: baseRef } = randomTensor(baseShape, seed, { dtype, device, lo, hi });
  let v = base;
  for (let d = 0; d < n; ++d) {
    const extra = baseShape[d] - shape[perm[d]];
    if (extra > 0) v = v.narrow(d, Math.floor(r() * (extra + 1)), shape[perm[d]]);
  }
  const inv = new Array<number>(n);
  perm.forEach((p, d) => {
    inv[p] = d;
  });
  v = v.permute(inv);
  expect(v.shape).toEqual(shape);
  return { t: v, ref: viewRef(baseRef, v), base, baseRef };
}

/** The same shape with the dims listed in `ones` set to 1 (a broadcast operand). */
function squeezedShape(shape: number[], ones: number[]): number[] {
  return shape.map((s, d) => (ones.includes(d) ? 1 : s));
}

/** Base storage values after the view's elements were set to `viewValues`. */
function storageAfter(v: View, viewValues: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(v.baseRef);
  const shape = v.t.shape;
  for (let i = 0; i < viewValues.length; ++i) {
    let rest = i;
    let off = v.t.offset;
    for (let d = shape.length - 1; d >= 0; --d) {
      off += (rest % shape[d]) * v.t.strides[d];
      rest = Math.floor(rest / shape[d]);
    }
    out[off] = viewValues[i];
  }
  return out;
}

const SHAPES: number[][] = [
  [2, 3, 1, 4, 2, 3, 1, 2],
  [3, 1, 2, 2, 5, 1, 3, 2],
  [2, 2, 2, 2, 2, 2, 2, 2],
  [1, 1, 1, 1, 1, 1, 1, 1],
  [7, 1, 1, 9],
  [4, 5, 6],
  [3, 0, 2, 1],
];
// Dims broadcast in the second operand of each shape (stride 0 after expand).
const BCAST: number[][] = [[0, 3, 6], [1, 4], [0, 2, 4, 6], [], [0], [1], [2]];

describe.each(DEVICES)('layouts on %s', (device) => {
  describe.each(FLOATS)('%s', (dtype) => {
    const tol = tolFor(dtype);

    it('unary ops over permuted, narrowed views', () => {
      SHAPES.forEach((shape, k) => {
        const x = awkward(shape, testSeed(`u${k}${dtype}`), dtype, device);
        expectClose(x.t.exp(), x.ref.map(Math.exp), tol);
        expectClose(
          x.t.neg(),
          x.ref.map((v) => -v),
          tol,
        );
        expectClose(
          x.t.relu(),
          x.ref.map((v) => Math.max(v, 0)),
          tol,
        );
        expectClose(
          x.t.clamp(-0.5, 0.7),
          x.ref.map((v) => Math.min(Math.max(v, -0.5), 0.7)),
          tol,
        );
        expectClose(
          x.t.mul(1.5).add(0.25),
          x.ref.map((v) => v * 1.5 + 0.25),
          tol,
        );
      });
    });

    it('binary ops with both operands awkward and one broadcast', () => {
      SHAPES.forEach((shape, k) => {
        const a = awkward(shape, testSeed(`ba${k}${dtype}`), dtype, device);
        const b = awkward(shape, testSeed(`bb${k}${dtype}`), dtype, device);
        const cShape = squeezedShape(shape, BCAST[k]);
        const c = awkward(cShape, testSeed(`bc${k}${dtype}`), dtype, device);
        const ref = (ops: { values: Float64Array; shape: number[] }[], f: (...v: number[]) => number): Float64Array =>
          refBroadcast(ops, f).values;
        const A = { values: a.ref, shape },
          B = { values: b.ref, shape },
          C = { values: c.ref, shape: cShape };
        expectClose(
          nt.add(a.t, b.t, 0.5),
          ref([A, B], (x, y) => x + 0.5 * y),
          tol,
        );
        expectClose(
          nt.sub(a.t, c.t),
          ref([A, C], (x, y) => x - y),
          tol,
        );
        expectClose(
          a.t.mul(c.t),
          ref([A, C], (x, y) => x * y),
          tol,
        );
        expectClose(
          nt.maximum(c.t, b.t),
          ref([C, B], (x, y) => Math.max(x, y)),
          tol,
        );
        expectClose(
          c.t.expand(shape).mul(a.t),
          ref([C, A], (x, y) => x * y),
          tol,
        );
        expectClose(
          a.t.lt(c.t),
          ref([A, C], (x, y) => Number(x < y)),
          tol,
        );
        // Leading broadcast: c with its leading dims dropped.
        if (shape.length > 2 && numelOf(shape) > 0) {
          const tail = shape.slice(2);
          const d = awkward(tail, testSeed(`bd${k}${dtype}`), dtype, device);
          expectClose(
            a.t.add(d.t),
            ref([A, { values: d.ref, shape: tail }], (x, y) => x + y),
            tol,
          );
        }
      });
    });

    it('where with every operand awkward or broadcast', () => {
      SHAPES.forEach((shape, k) => {
        const a = awkward(shape, testSeed(`wa${k}${dtype}`), dtype, device);
        const cShape = squeezedShape(shape, BCAST[k]);
        const b = awkward(cShape, testSeed(`wb${k}${dtype}`), dtype, device);
        const cond = awkward(shape, testSeed(`wc${k}${dtype}`), 'float32', device);
        const out = nt.where(cond.t.gt(0), a.t, b.t);
        const ref = refBroadcast(
          [
            { values: cond.ref, shape },
            { values: a.ref, shape },
            { values: b.ref, shape: cShape },
          ],
          (c, x, y) => (c > 0 ? x : y),
        ).values;
        expectClose(out, ref, tol);
      });
    });

    it('copy and cast from awkward views, and into them', () => {
      SHAPES.forEach((shape, k) => {
        const x = awkward(shape, testSeed(`c${k}${dtype}`), dtype, device);
        expectClose(x.t.contiguous(), x.ref, tol);
        expectClose(x.t.double(), x.ref, tol);
        const cShape = squeezedShape(shape, BCAST[k]);
        const src = awkward(cShape, testSeed(`cs${k}${dtype}`), dtype, device);
        const dst = awkward(shape, testSeed(`cd${k}${dtype}`), dtype, device);
        dst.t.copy_(src.t);
        const expected = refBroadcast(
          [
            { values: dst.ref, shape },
            { values: src.ref, shape: cShape },
          ],
          (_, v) => v,
        ).values;
        expectClose(dst.t, expected, tol);
        // Elements of the storage outside the view are untouched.
        expectClose(dst.base, storageAfter(dst, expected), tol);
      });
    });

    it('fill and in-place ops on awkward outputs', () => {
      SHAPES.forEach((shape, k) => {
        const f = awkward(shape, testSeed(`f${k}${dtype}`), dtype, device);
        f.t.fill_(1.25);
        expectClose(f.base, storageAfter(f, new Float64Array(f.ref.length).fill(1.25)), tol);
        const o = awkward(shape, testSeed(`o${k}${dtype}`), dtype, device);
        const cShape = squeezedShape(shape, BCAST[k]);
        const y = awkward(cShape, testSeed(`oy${k}${dtype}`), dtype, device);
        o.t.add_(y.t, 2);
        const expected = refBroadcast(
          [
            { values: o.ref, shape },
            { values: y.ref, shape: cShape },
          ],
          (a, b) => a + 2 * b,
        ).values;
        expectClose(o.t, expected, tol);
        expectClose(o.base, storageAfter(o, expected), tol);
      });
    });

    it('reductions over several dims of permuted views', () => {
      const cases: { shape: number[]; dims: number[] }[] = [
        { shape: [2, 3, 1, 4, 2, 3, 1, 2], dims: [1, 3, 5] },
        { shape: [2, 3, 1, 4, 2, 3, 1, 2], dims: [0, 2, 7] },
        { shape: [3, 1, 2, 2, 5, 1, 3, 2], dims: [0, 1, 2, 3, 4, 5, 6, 7] },
        { shape: [3, 1, 2, 2, 5, 1, 3, 2], dims: [4, 6] },
        { shape: [4, 5, 6], dims: [0, 2] },
        { shape: [7, 1, 1, 9], dims: [1, 2] },
      ];
      cases.forEach(({ shape, dims }, k) => {
        const x = awkward(shape, testSeed(`r${k}${dtype}`), dtype, device);
        const red = (f: (g: number[]) => number): Float64Array => refReduce(x.ref, shape, dims, false, f).values;
        const sum = (g: number[]): number => g.reduce((s, v) => s + v, 0);
        expectClose(x.t.sum(dims), red(sum), tol);
        expectClose(
          x.t.mean(dims),
          red((g) => sum(g) / g.length),
          tol,
        );
        expectClose(
          x.t.amax(dims),
          red((g) => Math.max(...g)),
          tol,
        );
        expectClose(
          x.t.logsumexp(dims),
          red((g) => Math.log(sum(g.map(Math.exp)))),
          tol,
        );
        expectClose(
          x.t.var(dims),
          red((g) => {
            const m = sum(g) / g.length;
            return sum(g.map((v) => (v - m) ** 2)) / (g.length - 1);
          }),
          { atol: tol.atol * 10, rtol: tol.rtol * 10 },
        );
      });
      // argmax over one dim of an 8-d permuted view (first index of the max).
      const shape = [2, 3, 1, 4, 2, 3, 1, 2];
      for (const dim of [0, 3, 7]) {
        const x = awkward(shape, testSeed(`am${dim}${dtype}`), dtype, device);
        const ref = refReduce(x.ref, shape, [dim], false, (g) => g.indexOf(Math.max(...g))).values;
        expect(Array.from(values(x.t.argmax(dim)))).toEqual(Array.from(ref));
      }
    });
  });

  it('int32 arithmetic and sums over awkward views', () => {
    SHAPES.forEach((shape, k) => {
      const a = awkward(shape, testSeed(`i${k}`), 'float32', device, -50, 50);
      const b = awkward(squeezedShape(shape, BCAST[k]), testSeed(`ib${k}`), 'float32', device, -50, 50);
      const ai = a.t.int(),
        bi = b.t.int();
      const aRef = a.ref.map((v) => Math.trunc(v) + 0),
        bRef = b.ref.map((v) => Math.trunc(v) + 0);
      const cShape = squeezedShape(shape, BCAST[k]);
      const ref = refBroadcast(
        [
          { values: aRef, shape },
          { values: bRef, shape: cShape },
        ],
        (x, y) => x * y - x + 0,
      ).values;
      // Permute the int tensors again so the int kernels see strided operands too.
      const p = shape.map((_, d) => shape.length - 1 - d);
      const got = ai.permute(p).mul(bi.permute(p)).sub(ai.permute(p)).permute(p);
      expect(Array.from(values(got))).toEqual(Array.from(ref));
      if (shape.length > 1) {
        const dims = [0, shape.length - 1];
        const s = refReduce(aRef, shape, dims, false, (g) => g.reduce((x, y) => x + y, 0)).values;
        expect(Array.from(values(ai.permute(p).permute(p).sum(dims)))).toEqual(Array.from(s));
      }
    });
  });
});
