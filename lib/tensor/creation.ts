// Tensor creation: from JS data, constant fills, ranges, identity, random.
import { RandomKind } from '../../bindings/codes.gen';
import { ArgumentError, DTypeError, ShapeError } from '../errors';
import { kArange, kFill, kRandom } from '../kernels/launch';
import {
  type AnyTypedArray,
  type DeviceLike,
  type DType,
  checkDType,
  dtypeOfTypedArray,
  isFloatingDType,
  newTypedArray,
  normalizeDevice,
} from './dtype';
import { defaultGenerator } from './random';
import { RandomSource } from './random_source';
import { type Shape, checkShape, formatShape, numelOf, showValue } from './shape';
import { Tensor, emptyTensor as emptyRaw, tensorFromTypedArray } from './tensor';

export interface TensorOptions {
  dtype?: DType;
  device?: DeviceLike;
  requiresGrad?: boolean;
}

/** Nested JS arrays of numbers, booleans or bigints. */
export type TensorData = number | boolean | bigint | TensorData[] | readonly TensorData[];

function finish(t: Tensor, opts: TensorOptions | undefined): Tensor {
  if (opts?.requiresGrad) t.requiresGrad_(true);
  return t;
}

function resolve(
  op: string,
  opts: TensorOptions | undefined,
  fallback: DType = 'float32',
): { dtype: DType; device: 'cpu' | 'cuda' } {
  if (opts !== undefined && (opts === null || typeof opts !== 'object'))
    throw new ArgumentError(op, 'options must be an object');
  return {
    dtype: opts?.dtype === undefined ? fallback : checkDType(op, opts.dtype),
    device: opts?.device === undefined ? 'cpu' : normalizeDevice(op, opts.device),
  };
}

function inferShape(data: TensorData): number[] {
  const shape: number[] = [];
  let cur: TensorData = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0] as TensorData;
  }
  return shape;
}

function flatten(data: TensorData, shape: number[], out: (number | boolean | bigint)[]): void {
  const walk = (v: TensorData, d: number): void => {
    if (d === shape.length) {
      if (Array.isArray(v))
        throw new ShapeError('tensor', `nested arrays must be rectangular (expected shape ${formatShape(shape)})`);
      if (typeof v !== 'number' && typeof v !== 'boolean' && typeof v !== 'bigint') {
        throw new ArgumentError(
          'tensor',
          `elements must be numbers, booleans or bigints, got ${v === null ? 'null' : typeof v}`,
        );
      }
      out.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[d]) {
      throw new ShapeError('tensor', `nested arrays must be rectangular (expected shape ${formatShape(shape)})`);
    }
    for (const x of v) walk(x as TensorData, d + 1);
  };
  walk(data, 0);
}

function inferDType(values: readonly (number | boolean | bigint)[]): DType {
  if (values.length === 0) return 'float32';
  if (values.every((v) => typeof v === 'boolean')) return 'bool';
  if (values.every((v) => typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v)))) return 'int64';
  return 'float32';
}

function fillTyped(arr: AnyTypedArray, values: readonly (number | boolean | bigint)[]): void {
  if (arr instanceof BigInt64Array) {
    for (let i = 0; i < values.length; ++i) {
      const v = values[i];
      if (typeof v !== 'bigint' && !Number.isFinite(Number(v))) {
        throw new ArgumentError('tensor', `cannot store ${showValue(v)} in an int64 tensor`);
      }
      arr[i] = typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v)));
    }
  } else {
    for (let i = 0; i < values.length; ++i) (arr as Float64Array)[i] = Number(values[i]);
  }
}

/**
 * A tensor holding a copy of `data` (nested arrays, a scalar or a typed array).
 * Integer data gives int64 and fractional data float32, as in PyTorch,
 * unless `dtype` is given. A typed array keeps its own dtype by default.
 */
export function tensor(
  data: TensorData | ArrayBufferView,
  options?: TensorOptions & { shape?: readonly number[] },
): Tensor {
  if (ArrayBuffer.isView(data)) {
    const own = dtypeOfTypedArray(data);
    if (!own) throw new DTypeError('tensor', `unsupported typed array ${data.constructor.name}`);
    const { dtype, device } = resolve('tensor', options, own);
    const n = (data as unknown as ArrayLike<unknown>).length;
    const shape = options?.shape ? checkShape('tensor', options.shape) : [n];
    if (numelOf(shape) !== n) throw new ShapeError('tensor', `shape ${formatShape(shape)} does not hold ${n} elements`);
    if (dtype === own || (own === 'uint8' && dtype === 'bool'))
      return finish(tensorFromTypedArray(data, shape, dtype, device), options);
    const converted = newTypedArray(dtype, n);
    fillTyped(converted, Array.from(data as unknown as ArrayLike<number | bigint>));
    return finish(tensorFromTypedArray(converted, shape, dtype, device), options);
  }
  const shape = inferShape(data);
  const values: (number | boolean | bigint)[] = [];
  flatten(data, shape, values);
  const { dtype, device } = resolve('tensor', options, inferDType(values));
  const arr = newTypedArray(dtype, values.length);
  fillTyped(arr, values);
  const finalShape = options?.shape ? checkShape('tensor', options.shape) : shape;
  if (numelOf(finalShape) !== values.length)
    throw new ShapeError('tensor', `shape ${formatShape(finalShape)} does not hold ${values.length} elements`);
  return finish(tensorFromTypedArray(arr, finalShape, dtype, device), options);
}

function shapeOf(op: string, shape: Shape | number): number[] {
  return checkShape(op, typeof shape === 'number' ? [shape] : shape);
}

/**
 * The arguments of zeros/ones/empty/rand/randn: a shape (array or number) and
 * options, or the sizes spread out as in PyTorch (`nt.zeros(3, 4)`,
 * `nt.zeros(3, 4, { dtype })`).
 */
export type SizeArgs =
  | [shape: Shape | number, options?: TensorOptions]
  | [...sizes: number[]]
  | [...sizes: number[], options: TensorOptions];

function sizeArgs(op: string, args: readonly unknown[]): { shape: Shape | number; options?: TensorOptions } {
  if (args.length < 2 || typeof args[1] !== 'number') {
    return { shape: args[0] as Shape | number, options: args[1] as TensorOptions | undefined };
  }
  const last = args[args.length - 1];
  const hasOptions = typeof last === 'object' && last !== null && !Array.isArray(last);
  const sizes = hasOptions ? args.slice(0, -1) : args;
  const bad = sizes.findIndex((v) => typeof v !== 'number');
  if (bad >= 0)
    throw new ArgumentError(
      op,
      `sizes spread out must all be numbers (options last), got ${typeof sizes[bad]} at ${bad}`,
    );
  return { shape: sizes as number[], options: hasOptions ? (last as TensorOptions) : undefined };
}

/** Uninitialised tensor (contents unspecified). */
export function empty(...args: SizeArgs): Tensor {
  const { shape, options } = sizeArgs('empty', args);
  const { dtype, device } = resolve('empty', options);
  return finish(emptyRaw(shapeOf('empty', shape), dtype, device), options);
}

/** full() under the name of the public op that called it (for error messages). */
function fullAs(op: string, shape: Shape | number, value: number, options?: TensorOptions): Tensor {
  if (typeof value !== 'number' && typeof value !== 'boolean')
    throw new ArgumentError(op, `fill value must be a number, got ${typeof value}`);
  const { dtype, device } = resolve(op, options);
  const t = emptyRaw(shapeOf(op, shape), dtype, device);
  if (t.numel) kFill(t, Number(value));
  return finish(t, options);
}

export function full(shape: Shape | number, value: number, options?: TensorOptions): Tensor {
  return fullAs('full', shape, value, options);
}

export function zeros(...args: SizeArgs): Tensor {
  const { shape, options } = sizeArgs('zeros', args);
  return fullAs('zeros', shape, 0, options);
}
export function ones(...args: SizeArgs): Tensor {
  const { shape, options } = sizeArgs('ones', args);
  return fullAs('ones', shape, 1, options);
}

function likeOptions(t: Tensor, options?: TensorOptions): TensorOptions {
  if (!(t instanceof Tensor)) throw new ArgumentError('like', 'expected a Tensor');
  if (options !== undefined && (options === null || typeof options !== 'object'))
    throw new ArgumentError('like', 'options must be an object');
  t._check('like');
  return { dtype: options?.dtype ?? t.dtype, device: options?.device ?? t.device, requiresGrad: options?.requiresGrad };
}
// likeOptions first: it checks t before t.shape is read.
export const zerosLike = (t: Tensor, o?: TensorOptions): Tensor => {
  const lo = likeOptions(t, o);
  return full(t.shape, 0, lo);
};
export const onesLike = (t: Tensor, o?: TensorOptions): Tensor => {
  const lo = likeOptions(t, o);
  return full(t.shape, 1, lo);
};
export const fullLike = (t: Tensor, v: number, o?: TensorOptions): Tensor => {
  const lo = likeOptions(t, o);
  return full(t.shape, v, lo);
};
export const emptyLike = (t: Tensor, o?: TensorOptions): Tensor => {
  const lo = likeOptions(t, o);
  return empty(t.shape, lo);
};

/** arange(end) or arange(start, end, step = 1). Integer arguments give int64. */
export function arange(startOrEnd: number, end?: number, step = 1, options?: TensorOptions): Tensor {
  const start = end === undefined ? 0 : startOrEnd;
  const stop = end === undefined ? startOrEnd : end;
  for (const v of [start, stop, step]) {
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new ArgumentError('arange', `start, end and step must be finite numbers`);
  }
  if (step === 0) throw new ArgumentError('arange', 'step must be non-zero');
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const ints = Number.isInteger(start) && Number.isInteger(stop) && Number.isInteger(step);
  const { dtype, device } = resolve('arange', options, ints ? 'int64' : 'float32');
  const t = emptyRaw(checkShape('arange', [n]), dtype, device);
  if (n) kArange(t, start, step);
  return finish(t, options);
}

export function linspace(start: number, end: number, steps: number, options?: TensorOptions): Tensor {
  if (typeof start !== 'number' || typeof end !== 'number') {
    throw new ArgumentError('linspace', `start and end must be numbers, got ${showValue(start)} and ${showValue(end)}`);
  }
  if (!Number.isInteger(steps) || steps < 0)
    throw new ArgumentError('linspace', `steps must be a non-negative integer, got ${showValue(steps)}`);
  const { dtype, device } = resolve('linspace', options);
  const t = emptyRaw([steps], dtype, device);
  if (steps) kArange(t, start, steps === 1 ? 0 : (end - start) / (steps - 1));
  return finish(t, options);
}

export function eye(n: number, m = n, options?: TensorOptions): Tensor {
  const t = zeros(checkShape('eye', [n, m]), { ...options, requiresGrad: false });
  const k = Math.min(n, m);
  if (k) {
    const diagonal = t._view([k], [m + 1], 0);
    kFill(diagonal, 1);
    diagonal.dispose();
  }
  return finish(t, options);
}

function random(
  op: string,
  shape: Shape | number,
  kind: RandomKind,
  a: number,
  b: number,
  options: TensorOptions | undefined,
  fallback: DType,
): Tensor {
  const { dtype, device } = resolve(op, options, fallback);
  if (kind !== RandomKind.Int && !isFloatingDType(dtype))
    throw new DTypeError(op, `expected a floating dtype, got ${dtype}`);
  const t = emptyRaw(shapeOf(op, shape), dtype, device);
  if (t.numel) kRandom(t, kind, defaultGenerator.seed, defaultGenerator.take(t.numel), a, b);
  return finish(t, options);
}

/**
 * A random permutation of 0..n-1, int64 unless `options.dtype` says otherwise
 * (int32, int64, float64, or float32 up to n = 2^24). Drawn from the default
 * generator, so nt.manualSeed makes it reproducible.
 */
export function randperm(n: number, options?: TensorOptions): Tensor {
  if (!Number.isSafeInteger(n) || n < 0 || n > 0x7fffffff) {
    throw new ArgumentError('randperm', `n must be an integer in [0, 2^31), got ${showValue(n)}`);
  }
  const { dtype } = resolve('randperm', options, 'int64');
  if (dtype === 'bool' || dtype === 'uint8' || (dtype === 'float32' && n > 1 << 24)) {
    throw new DTypeError('randperm', `${dtype} cannot hold the indices 0..${n - 1}`);
  }
  const perm = RandomSource.fromGenerator(defaultGenerator).permutation(n);
  // Every index is below 2^31: the same bits read as int32.
  return tensor(new Int32Array(perm.buffer, perm.byteOffset, n), { ...options, dtype });
}

/** Uniform samples in [0, 1). */
export function rand(...args: SizeArgs): Tensor {
  const { shape, options } = sizeArgs('rand', args);
  return random('rand', shape, RandomKind.Uniform, 0, 1, options, 'float32');
}
/** Standard normal samples. */
export function randn(...args: SizeArgs): Tensor {
  const { shape, options } = sizeArgs('randn', args);
  return random('randn', shape, RandomKind.Normal, 0, 1, options, 'float32');
}
/** Integers uniform in [low, high). */
export function randint(low: number, high: number, shape: Shape | number, o?: TensorOptions): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
    throw new ArgumentError('randint', `expected integers low < high, got ${showValue(low)} and ${showValue(high)}`);
  }
  return random('randint', shape, RandomKind.Int, low, high, o, 'int64');
}
export const randLike = (t: Tensor, o?: TensorOptions): Tensor => {
  const lo = likeOptions(t, o);
  return rand(t.shape, lo);
};
export const randnLike = (t: Tensor, o?: TensorOptions): Tensor => {
  const lo = likeOptions(t, o);
  return randn(t.shape, lo);
};
