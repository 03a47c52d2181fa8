// F.interpolate and nn.Upsample: nearest / linear / bilinear against a
// direct float64 reference of PyTorch 1.13's index formulas over many sizes
// and scale factors, a few values confirmed with PyTorch 1.13, gradchecks,
// and hostile arguments.
import * as nt from '../lib';
import { DEVICES, expectClose, expectError, randomTensor, testSeed, tolFor, values } from './helpers';

const { nn } = nt;
const F = nn.functional;
type Tensor = nt.Tensor;

interface Axis {
  inSize: number;
  outSize: number;
  scale: number | null;
}

/** Source position of output i along one axis (linear), PyTorch's area_pixel_compute_source_index. */
function srcLinear(a: Axis, i: number, alignCorners: boolean): number {
  if (a.outSize === a.inSize) return i;
  if (alignCorners) return a.outSize > 1 ? (i * (a.inSize - 1)) / (a.outSize - 1) : 0;
  const s = a.scale ?? a.inSize / a.outSize;
  return Math.max((i + 0.5) * s - 0.5, 0);
}

function srcNearest(a: Axis, i: number): number {
  const s = a.scale ?? a.inSize / a.outSize;
  return Math.min(Math.floor(i * s), a.inSize - 1);
}

/** The 1-D linear interpolation taps of output i: [index, weight] pairs. */
function taps(a: Axis, i: number, alignCorners: boolean): [number, number][] {
  const src = srcLinear(a, i, alignCorners);
  const i0 = Math.floor(src);
  const i1 = Math.min(i0 + 1, a.inSize - 1);
  const l = src - i0;
  return [
    [i0, 1 - l],
    [i1, l],
  ];
}

/** Float64 interpolation of row-major [N, C, ...spatial] values (1 or 2 spatial dims). */
function interpRef(
  x: ArrayLike<number>,
  shape: number[],
  axes: Axis[],
  mode: 'nearest' | 'linear',
  alignCorners: boolean,
): Float64Array {
  const [N, C] = shape;
  const ins = axes.map((a) => a.inSize);
  const outs = axes.map((a) => a.outSize);
  const H = axes.length === 2 ? ins[0] : 1;
  const W = ins[axes.length - 1];
  const Ho = axes.length === 2 ? outs[0] : 1;
  const Wo = outs[axes.length - 1];
  const ax = axes.length === 2 ? axes : [{ inSize: 1, outSize: 1, scale: null }, axes[0]];
  const out = new Float64Array(N * C * Ho * Wo);
  for (let nc = 0; nc < N * C; ++nc)
    for (let i = 0; i < Ho; ++i)
      for (let j = 0; j < Wo; ++j) {
        let v = 0;
        if (mode === 'nearest') v = x[(nc * H + srcNearest(ax[0], i)) * W + srcNearest(ax[1], j)];
        else
          for (const [hi, hw] of taps(ax[0], i, alignCorners))
            for (const [wi, ww] of taps(ax[1], j, alignCorners)) v += hw * ww * x[(nc * H + hi) * W + wi];
        out[(nc * Ho + i) * Wo + j] = v;
      }
  return out;
}

interface Case {
  shape: number[];
  o: nt.InterpolateOptions;
}

const CASES: Case[] = [];
for (const mode of ['nearest', 'bilinear'] as const)
  for (const align of mode === 'nearest' ? [undefined] : [false, true]) {
    const extra = align === undefined ? {} : { alignCorners: align };
    for (const size of [
      [7, 9],
      [2, 3],
      [5, 4],
      [1, 1],
      [10, 2],
    ] as [number, number][])
      CASES.push({ shape: [2, 3, 5, 4], o: { mode, size, ...extra } });
    for (const sf of [2, 1.7, 0.5, 0.45, [3, 1.25], [0.6, 2.2]] as (number | [number, number])[])
      CASES.push({ shape: [2, 2, 5, 6], o: { mode, scaleFactor: sf, ...extra } });
  }
for (const mode of ['nearest', 'linear'] as const)
  for (const o of [{ size: 11 }, { size: 3 }, { scaleFactor: 2.5 }, { scaleFactor: 0.4 }] as nt.InterpolateOptions[]) {
    CASES.push({ shape: [2, 3, 7], o: { ...o, mode } });
    if (mode === 'linear') CASES.push({ shape: [2, 3, 7], o: { ...o, mode, alignCorners: true } });
  }

function axesOf(c: Case): Axis[] {
  const spatial = c.shape.slice(2);
  return spatial.map((s, i) => {
    if (c.o.size !== undefined) {
      const sz = typeof c.o.size === 'number' ? c.o.size : c.o.size[i];
      return { inSize: s, outSize: sz, scale: null };
    }
    const f = typeof c.o.scaleFactor === 'number' ? c.o.scaleFactor : (c.o.scaleFactor as number[])[i];
    return { inSize: s, outSize: Math.floor(s * f), scale: 1 / f };
  });
}

describe.each(DEVICES)('interpolate on %s', (device) => {
  test.each(CASES.map((c) => [`${JSON.stringify(c.shape)} ${JSON.stringify(c.o)}`, c] as const))(
    'float64 %s',
    (_n, c) => {
      const x = randomTensor(c.shape, testSeed('x'), { dtype: 'float64', device });
      const axes = axesOf(c);
      const y = F.interpolate(x.t, c.o);
      expect(y.shape).toEqual([...c.shape.slice(0, 2), ...axes.map((a) => a.outSize)]);
      const mode = c.o.mode === 'nearest' ? 'nearest' : 'linear';
      expectClose(y, interpRef(x.ref, c.shape, axes, mode, c.o.alignCorners ?? false), tolFor('float64'));
    },
  );

  test('values confirmed with PyTorch 1.13', () => {
    const x = nt.arange(0, 12, 1, { dtype: 'float64', device }).reshape([1, 1, 3, 4]);
    const pt = (o: nt.InterpolateOptions, input = x): Float64Array => values(F.interpolate(input, o));
    expectClose(pt({ size: [2, 5], mode: 'bilinear' }), [1, 1.7, 2.5, 3.3, 4, 7, 7.7, 8.5, 9.3, 10]);
    const ac = pt({ scaleFactor: 1.5, mode: 'bilinear', alignCorners: true });
    expectClose(ac.slice(0, 6), [0, 0.6, 1.2, 1.8, 2.4, 3]);
    expectClose(
      ac.slice(6, 12),
      [
        2.6666666666666665, 3.2666666666666666, 3.8666666666666663, 4.466666666666667, 5.066666666666666,
        5.666666666666666,
      ],
    );
    expect(Array.from(pt({ scaleFactor: 1.7 })).slice(0, 18)).toEqual([
      0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2, 4, 4, 5, 5, 6, 6,
    ]);
    expectClose(
      pt({ scaleFactor: 0.6, mode: 'linear' }, nt.arange(0, 4, 1, { dtype: 'float64', device }).reshape([1, 1, 4])),
      [1 / 3, 2],
    );
  });

  test('float32 matches float64 and keeps its dtype; nearest works on integers', () => {
    const x = randomTensor([2, 3, 6, 5], testSeed('x'), { dtype: 'float64', device });
    for (const o of [
      { size: [9, 4], mode: 'bilinear' },
      { scaleFactor: 1.5, mode: 'nearest' },
    ] as nt.InterpolateOptions[]) {
      const y = F.interpolate(x.t.float(), o);
      expect(y.dtype).toBe('float32');
      expectClose(y, values(F.interpolate(x.t, o)), { atol: 1e-5, rtol: 1e-5 });
    }
    const xi = nt.arange(0, 6, 1, { dtype: 'int64', device }).reshape([1, 1, 2, 3]);
    expect(Array.from(values(F.interpolate(xi, { scaleFactor: 2 })))).toEqual([
      0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 3, 3, 4, 4, 5, 5,
    ]);
  });

  test('zero-size batch and non-contiguous input', () => {
    expect(F.interpolate(nt.zeros([0, 2, 3, 3], { device }), { size: 5, mode: 'bilinear' }).shape).toEqual([
      0, 2, 5, 5,
    ]);
    const x = randomTensor([2, 3, 4, 5], testSeed('x'), { dtype: 'float64', device });
    const xt = x.t.transpose(2, 3).contiguous().transpose(2, 3);
    expect(xt.isContiguous()).toBe(false);
    expectClose(
      F.interpolate(xt, { size: [6, 7], mode: 'bilinear' }),
      values(F.interpolate(x.t, { size: [6, 7], mode: 'bilinear' })),
    );
  });
});

describe('interpolate gradients', () => {
  const leaf = (shape: number[]): Tensor => randomTensor(shape, testSeed('g'), { dtype: 'float64' }).t.requiresGrad_();
  test.each([
    [[2, 2, 3, 4], { size: [5, 7], mode: 'bilinear' }],
    [[1, 2, 5, 4], { size: [3, 2], mode: 'bilinear', alignCorners: true }],
    [[1, 2, 4, 3], { scaleFactor: 1.7, mode: 'bilinear' }],
    [[2, 2, 3, 4], { scaleFactor: [2, 0.6], mode: 'nearest' }],
    [[2, 3, 5], { size: 8, mode: 'linear' }],
    [[2, 3, 5], { scaleFactor: 0.6, mode: 'nearest' }],
  ] as [number[], nt.InterpolateOptions][])('%j %j', (shape, o) => {
    expect(nt.autograd.gradcheck((x: Tensor) => F.interpolate(x, o).tanh(), [leaf(shape)])).toBe(true);
  });
});

describe('interpolate hostile inputs and nn.Upsample', () => {
  const x = nt.zeros([1, 2, 3, 3]);
  test('typed errors naming the op and the argument', () => {
    expectError(() => F.interpolate(x, {}), nt.ArgumentError, /interpolate: exactly one of size and scaleFactor/);
    expectError(() => F.interpolate(x, { size: 2, scaleFactor: 2 }), nt.ArgumentError, /exactly one/);
    expectError(() => F.interpolate(x, { size: 0 }), nt.ArgumentError, /size must be positive integers, got 0/);
    expectError(() => F.interpolate(x, { size: [2, 2, 2] }), nt.ArgumentError, /size must be a number or 2 numbers/);
    expectError(() => F.interpolate(x, { scaleFactor: -1 }), nt.ArgumentError, /scaleFactor must be positive/);
    expectError(
      () => F.interpolate(x, { scaleFactor: 0.2 }),
      nt.ArgumentError,
      /scaleFactor 0.2 gives an empty output/,
    );
    expectError(() => F.interpolate(x, { size: 2, mode: 'linear' }), nt.ShapeError, /mode 'linear' needs 3-D input/);
    expectError(() => F.interpolate(nt.zeros([1, 2, 3]), { size: 2, mode: 'bilinear' }), nt.ShapeError, /needs 4-D/);
    expectError(() => F.interpolate(nt.zeros([2, 3]), { size: 2 }), nt.ShapeError, /input must be 3-D/);
    expectError(
      () => F.interpolate(x, { size: 2, mode: 'bicubic' as nt.InterpolateMode }),
      nt.ArgumentError,
      /mode must be 'nearest', 'linear' or 'bilinear', got "bicubic"/,
    );
    expectError(
      () => F.interpolate(x, { size: 2, alignCorners: true }),
      nt.ArgumentError,
      /alignCorners can only be set/,
    );
    expectError(
      () => F.interpolate(nt.zeros([1, 1, 2, 2], { dtype: 'int32' }), { size: 3, mode: 'bilinear' }),
      nt.DTypeError,
      /needs a floating input, got int32/,
    );
    expectError(() => F.interpolate(nt.zeros([1, 2, 0, 3]), { size: 2 }), nt.ShapeError, /non-zero spatial sizes/);
  });

  test('nn.Upsample forwards to interpolate', () => {
    const m = new nn.Upsample({ scaleFactor: 2, mode: 'bilinear', alignCorners: false });
    const xr = randomTensor([1, 2, 3, 4], testSeed('u'), { dtype: 'float64' }).t;
    expectClose(m.forward(xr), values(F.interpolate(xr, { scaleFactor: 2, mode: 'bilinear', alignCorners: false })));
    expect(String(m)).toContain("scaleFactor=2, mode='bilinear', alignCorners=false");
    expect(new nn.Upsample({ size: [4, 5] }).forward(x).shape).toEqual([1, 2, 4, 5]);
    expect(new nn.Upsample({ size: 5 }).parameters().length).toBe(0);
  });
});
