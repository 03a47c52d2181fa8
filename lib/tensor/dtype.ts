// Element types, their typed arrays and the promotion rules of PyTorch.
import { ArgumentError, DTypeError } from '../errors';
import { showValue } from '../validate';

/** Element type of a tensor. */
export type DType = 'float32' | 'float64' | 'int32' | 'int64' | 'uint8' | 'bool';
/** Where a tensor lives. `'cuda:0'` is accepted and normalised to `'cuda'`. */
export type Device = 'cpu' | 'cuda';
export type DeviceLike = Device | `cuda:${number}`;

/** Typed array returned by `Tensor.data()` for each dtype. */
export interface TypedArrayFor {
  float32: Float32Array;
  float64: Float64Array;
  int32: Int32Array;
  int64: BigInt64Array;
  uint8: Uint8Array;
  bool: Uint8Array;
}
export type AnyTypedArray = TypedArrayFor[DType];

export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'int64', 'uint8', 'bool'];

export function isFloatingDType(d: DType): boolean {
  return d === 'float32' || d === 'float64';
}

export function checkDType(op: string, d: unknown): DType {
  if (typeof d !== 'string' || !(DTYPES as readonly string[]).includes(d)) {
    throw new DTypeError(op, `dtype must be one of ${DTYPES.join(', ')}, got ${showValue(d)}`);
  }
  return d as DType;
}

export function normalizeDevice(op: string, d: unknown): Device {
  if (d === 'cpu') return 'cpu';
  if (d === 'cuda' || d === 'cuda:0') return 'cuda';
  throw new ArgumentError(op, `device must be 'cpu' or 'cuda', got ${showValue(d)}`);
}

export function newTypedArray<D extends DType>(d: D, n: number): TypedArrayFor[D] {
  switch (d) {
    case 'float32':
      return new Float32Array(n) as TypedArrayFor[D];
    case 'float64':
      return new Float64Array(n) as TypedArrayFor[D];
    case 'int32':
      return new Int32Array(n) as TypedArrayFor[D];
    case 'int64':
      return new BigInt64Array(n) as TypedArrayFor[D];
    default:
      return new Uint8Array(n) as TypedArrayFor[D];
  }
}

/** The dtype a typed array maps to when passed to `tensor()`. */
export function dtypeOfTypedArray(a: ArrayBufferView): DType | undefined {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof BigInt64Array) return 'int64';
  if (a instanceof Uint8Array || a instanceof Uint8ClampedArray) return 'uint8';
  return undefined;
}

const RANK: Record<DType, number> = { bool: 0, uint8: 1, int32: 2, int64: 3, float32: 4, float64: 5 };

/** Result dtype of a binary op on two tensors (PyTorch's promotion lattice). */
export function promoteTypes(a: DType, b: DType): DType {
  if (a === b) return a;
  return RANK[a] >= RANK[b] ? a : b;
}

/** Result dtype of tensor (op) JS number: a float scalar lifts integer tensors to float32. */
export function promoteWithScalar(t: DType, scalar: number): DType {
  if (isFloatingDType(t)) return t;
  if (!Number.isInteger(scalar)) return 'float32';
  return t === 'bool' ? 'int64' : t;
}
