// Dtype casts, device transfers, scalar tensors, and reading data back.
import { RandomKind } from '../../bindings/codes.gen';
import { native } from '../kernels/native';
import { record } from './record';
import { ArgumentError, DTypeError, ShapeError } from '../errors';
import { showValue } from '../validate';
import {
  type Device,
  type DeviceLike,
  type DType,
  DTYPES,
  type TypedArrayFor,
  isFloatingDType,
  newTypedArray,
  normalizeDevice,
  promoteWithScalar,
} from '../tensor/dtype';
import { formatShape } from '../tensor/shape';
import { defaultGenerator } from '../tensor/random';
import { type NestedArray, type Tensor, tensorFromTypedArray, emptyTensor as empty } from '../tensor/tensor';
import { kCopy, kRandom } from '../kernels/launch';

/** t as dtype (t itself when it already is). Differentiable between float dtypes. */
export function cast(t: Tensor, dtype: DType): Tensor {
  if (t.dtype === dtype) return t;
  t._check('to');
  const out = empty(t.shape, dtype, t.device);
  kCopy(out, t);
  if (!isFloatingDType(dtype) || !isFloatingDType(t.dtype)) return out;
  return record('cast', out, [t], () => ({ from: t.dtype }));
}

/** A 0-d tensor holding `value` on like's device (dtype promoted as PyTorch does). */
export function scalarTensor(value: number, like: Tensor, dtype?: DType): Tensor {
  const dt = dtype ?? promoteWithScalar(like.dtype, value);
  const arr = newTypedArray(dt, 1);
  if (arr instanceof BigInt64Array) arr[0] = BigInt(Math.trunc(value));
  else arr[0] = value;
  return tensorFromTypedArray(arr, [], dt, like.device);
}

/** t itself when contiguous, else a contiguous copy (not recorded: callers record against t). */
function dense(t: Tensor): Tensor {
  if (t.isContiguous()) return t;
  const out = empty(t.shape, t.dtype, t.device);
  kCopy(out, t);
  return out;
}

function toDevice(t: Tensor, device: Device): Tensor {
  if (t.device === device) return t;
  const src = dense(t);
  const out = empty(t.shape, t.dtype, device);
  native.transfer(out._handle('to'), 0, src._handle('to'), src.offset, t.numel);
  if (!isFloatingDType(t.dtype)) return out;
  return record('toDevice', out, [t], () => ({ from: t.device }));
}

/** `to('cuda')`, `to('float64')` or `to({device, dtype})`. */
export function to(t: Tensor, target: DeviceLike | DType | { device?: DeviceLike; dtype?: DType }): Tensor {
  t._check('to');
  if (typeof target === 'string') {
    if ((DTYPES as readonly string[]).includes(target)) return cast(t, target as DType);
    return toDevice(t, normalizeDevice('to', target));
  }
  if (target === null || typeof target !== 'object') {
    throw new ArgumentError('to', `expected a device, a dtype or {device, dtype}, got ${showValue(target)}`);
  }
  let out = t;
  if (target.dtype !== undefined) {
    if (!(DTYPES as readonly string[]).includes(target.dtype))
      throw new DTypeError('to', `unknown dtype ${showValue(target.dtype)}`);
    out = cast(out, target.dtype);
  }
  if (target.device !== undefined) out = toDevice(out, normalizeDevice('to', target.device));
  return out;
}

export function item(t: Tensor): number {
  const h = t._handle('item');
  if (t.numel !== 1)
    throw new ShapeError(
      'item',
      `only one-element tensors can be converted to a number, got shape ${formatShape(t.shape)}`,
    );
  // The single element sits at offset (all strides multiply index 0).
  return native.item(h, t.offset);
}

const DEVICE_CODE: Record<Device, number> = { cpu: 0, cuda: 1 };

/** Resolves when the kernels queued so far on `device` have run, without blocking. */
function whenIdle(device: Device): Promise<void> {
  return native.whenIdle(DEVICE_CODE[device]);
}

// The async reads check their tensor at the call (a misuse throws there, as
// with the blocking reads), then wait for the device without blocking.

export function itemAsync(t: Tensor): Promise<number> {
  item(t);
  return whenIdle(t.device).then(() => item(t));
}

/** data() once the kernels that produce t have run: the copy itself is then immediate. */
export function dataAsync(t: Tensor): Promise<TypedArrayFor[DType]> {
  t._check('dataAsync');
  const src = dense(t); // queued before the wait, so the wait covers it
  const done = (): void => {
    if (src !== t) src.dispose();
  };
  return whenIdle(t.device).then(
    () => {
      try {
        return data(src);
      } finally {
        done();
      }
    },
    (e: unknown) => {
      done();
      throw e;
    },
  );
}

export function toArrayAsync(t: Tensor): Promise<NestedArray<number | boolean>> {
  t._check('toArrayAsync');
  return whenIdle(t.device).then(() => toArray(t));
}

export function data(t: Tensor): TypedArrayFor[DType] {
  t._check('data');
  const src = dense(t);
  const out = newTypedArray(t.dtype, t.numel);
  if (t.numel) native.toArray(src._handle('data'), src.offset, t.numel, out);
  if (src !== t) src.dispose();
  return out;
}

export function toArray(t: Tensor): NestedArray<number | boolean> {
  return nest(t, data(t));
}

function nest(t: Tensor, flat: TypedArrayFor[DType]): NestedArray<number | boolean> {
  const get: (i: number) => number | boolean =
    flat instanceof BigInt64Array
      ? (i) => Number(flat[i])
      : t.dtype === 'bool'
        ? (i) => flat[i] !== 0
        : (i) => flat[i] as number;
  if (t.ndim === 0) return get(0);
  let pos = 0;
  const build = (d: number): NestedArray<number | boolean> => {
    const n = t.shape[d];
    const out: NestedArray<number | boolean>[] = new Array(n);
    for (let i = 0; i < n; ++i) out[i] = d === t.ndim - 1 ? get(pos++) : build(d + 1);
    return out;
  };
  return build(0);
}

function fillRandom(t: Tensor, kind: RandomKind, a: number, b: number, op: string): void {
  t._check(op);
  if (typeof a !== 'number' || typeof b !== 'number')
    throw new ArgumentError(op, `bounds must be numbers, got ${typeof a} and ${typeof b}`);
  if (!isFloatingDType(t.dtype) && kind !== RandomKind.Int)
    throw new DTypeError(op, `expected a floating tensor, got ${t.dtype}`);
  const target = t.isContiguous() ? t : empty(t.shape, t.dtype, t.device);
  kRandom(target, kind, defaultGenerator.seed, defaultGenerator.take(t.numel), a, b);
  if (target !== t) {
    kCopy(t, target);
    target.dispose();
  }
  t._version++;
}

export function uniformInPlace(t: Tensor, low: number, high: number): void {
  fillRandom(t, RandomKind.Uniform, low, high, 'uniform_');
}

export function normalInPlace(t: Tensor, mean: number, std: number): void {
  fillRandom(t, RandomKind.Normal, mean, std, 'normal_');
}
