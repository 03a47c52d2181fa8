// Hostile argument generators shared by the reliability suites. Values are
// described by small plain "specs" (what fast-check generates and shrinks)
// and only turned into tensors inside the property, so every tensor made for
// one call can be disposed right after it.
import fc from 'fast-check';

import * as nt from '../../lib';

const DTYPES = ['float32', 'float64', 'int32', 'int64', 'uint8', 'bool'] as const;

/**
 * Numbers that break naive size/dim handling. Sizes between 2^12 and 2^40
 * are left out on purpose: they are legal and would really allocate
 * gigabytes; 2^40 and above must be refused before any allocation.
 */
const HOSTILE_NUMBERS: readonly number[] = [
  0,
  1,
  2,
  3,
  -1,
  -2,
  0.5,
  1.5,
  -0,
  NaN,
  Infinity,
  -Infinity,
  2 ** 40,
  2 ** 53,
  2 ** 53 + 2,
  -(2 ** 40),
  1e300,
  -1e300,
  8,
  9,
  100,
  Number.MIN_VALUE,
];

type TensorSpec = {
  kind: 'tensor';
  shape: number[];
  dtype: (typeof DTYPES)[number];
  /** normal, disposed, a transposed/strided view, an expanded view, requires grad */
  variant: 'plain' | 'disposed' | 'transposed' | 'expanded' | 'grad' | 'scalar';
  seed: number;
};

export type ValueSpec =
  | TensorSpec
  | { kind: 'number'; v: number }
  | { kind: 'junk'; i: number }
  | { kind: 'shape'; v: number[] }
  | { kind: 'options'; dtype?: unknown; device?: unknown; requiresGrad?: unknown }
  | { kind: 'tensorList'; items: TensorSpec[] }
  | { kind: 'fn' };

/** JS values of the wrong type (built fresh for each call). */
function junk(i: number): unknown {
  const all: (() => unknown)[] = [
    () => null,
    () => undefined,
    () => 'abc',
    () => '',
    () => 'float32',
    () => 'cuda',
    () => 'cpu',
    () => ({}),
    () => [],
    () => Symbol('hostile'),
    () => 10n,
    () => -(2n ** 70n),
    () => true,
    () => false,
    () => new Float32Array(4),
    () => new Int16Array(3),
    () => new BigUint64Array(2),
    () => new Uint8ClampedArray(2),
    () => new Float64Array(0),
    () => new DataView(new ArrayBuffer(8)),
    () => new ArrayBuffer(16),
    () => [[1, 2], [3]],
    () => [1, 'a'],
    () => [NaN, Infinity],
    () => ({ length: 2 ** 40 }),
    () => ({ shape: [2, 2], dtype: 'float32' }),
    () => new Map(),
    () => Object.create(null),
    () => ({ valueOf: () => 3 }),
    () => new Date(0),
    () => /re/,
    () => [[[]]],
  ];
  return all[i % all.length]();
}
const JUNK_COUNT = 32;

const tensorSpec: fc.Arbitrary<TensorSpec> = fc.record({
  kind: fc.constant('tensor' as const),
  shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 }),
  dtype: fc.constantFrom(...DTYPES),
  variant: fc.constantFrom('plain', 'plain', 'plain', 'disposed', 'transposed', 'expanded', 'grad', 'scalar'),
  seed: fc.integer({ min: 0, max: 1000 }),
});

export const valueSpec: fc.Arbitrary<ValueSpec> = fc.oneof(
  { weight: 5, arbitrary: tensorSpec },
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_NUMBERS).map((v) => ({ kind: 'number' as const, v })) },
  { weight: 1, arbitrary: fc.integer({ min: -5, max: 5 }).map((v) => ({ kind: 'number' as const, v })) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: JUNK_COUNT - 1 }).map((i) => ({ kind: 'junk' as const, i })) },
  {
    weight: 2,
    arbitrary: fc
      .array(fc.oneof(fc.integer({ min: -1, max: 4 }), fc.constantFrom(...HOSTILE_NUMBERS)), { maxLength: 10 })
      .map((v) => ({ kind: 'shape' as const, v })),
  },
  {
    weight: 2,
    arbitrary: fc.record(
      {
        kind: fc.constant('options' as const),
        dtype: fc.constantFrom<unknown>(...DTYPES, 'float16', 3, null, {}),
        device: fc.constantFrom<unknown>('cpu', 'cuda', 'cuda:0', 'cuda:1', 'gpu', 0, null),
        requiresGrad: fc.constantFrom<unknown>(true, false, 'yes', 1),
      },
      { requiredKeys: ['kind'] },
    ),
  },
  {
    weight: 1,
    arbitrary: fc.array(tensorSpec, { maxLength: 3 }).map((items) => ({ kind: 'tensorList' as const, items })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'fn' as const }) },
);

/** Values in [-3, 3] (ints) or normal floats: index ops see some out-of-range values. */
function makeTensor(s: TensorSpec): nt.Tensor {
  const shape = s.variant === 'scalar' ? [] : s.shape;
  const base = nt.noGrad(() => {
    const f = nt.randn(shape, { dtype: 'float64' }).mul(2);
    const t =
      s.dtype === 'bool'
        ? f.gt(0)
        : s.dtype === 'float32' || s.dtype === 'float64'
          ? f.to(s.dtype)
          : f.round().to(s.dtype);
    if (t !== f) f.dispose();
    return t;
  });
  switch (s.variant) {
    case 'disposed':
      base.dispose();
      return base;
    case 'transposed':
      return base.ndim >= 2 ? base.transpose(0, base.ndim - 1) : base;
    case 'expanded':
      return base.ndim >= 1 && base.shape[0] === 1
        ? base.expand([3, ...base.shape.slice(1)])
        : base.unsqueeze(0).expand([2, ...base.shape]);
    case 'grad':
      return s.dtype === 'float32' || s.dtype === 'float64' ? base.requiresGrad_(true) : base;
    default:
      return base;
  }
}

export function materialize(v: ValueSpec): unknown {
  switch (v.kind) {
    case 'tensor':
      return makeTensor(v);
    case 'number':
      return v.v;
    case 'junk':
      return junk(v.i);
    case 'shape':
      return v.v.slice();
    case 'options': {
      const o: Record<string, unknown> = {};
      if ('dtype' in v) o.dtype = v.dtype;
      if ('device' in v) o.device = v.device;
      if ('requiresGrad' in v) o.requiresGrad = v.requiresGrad;
      return o;
    }
    case 'tensorList':
      return v.items.map(makeTensor);
    case 'fn':
      return (x: unknown) => x;
  }
}

/** Short printable form of an argument for failure messages. */
export function describeValue(v: unknown): string {
  if (v instanceof nt.Tensor) return `Tensor(${v.dtype}[${v.shape.join(',')}]${v.isDisposed ? ' disposed' : ''})`;
  if (typeof v === 'symbol') return 'Symbol';
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'function') return 'function';
  if (ArrayBuffer.isView(v)) return v.constructor.name;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}
