// The plain tensor record the file parsers produce and consume. It has no
// device and no native storage, so lib/io and lib/data stay independent of
// the tensor layer; the lead converts RawTensor <-> Tensor one layer up.

export type DTypeName = 'float32' | 'float64' | 'int32' | 'int64' | 'uint8' | 'bool';
export type RawData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;
/** `data` is contiguous and row-major; `data.length` equals the product of `shape`. */
export interface RawTensor {
  dtype: DTypeName;
  shape: number[];
  data: RawData;
}

/** Bytes per element of each dtype (bool is stored as one byte, 0 or 1). */
export const ITEM_SIZE: Readonly<Record<DTypeName, number>> = {
  float32: 4,
  float64: 8,
  int32: 4,
  int64: 8,
  uint8: 1,
  bool: 1,
};

/** True when `data` is the typed array class that stores `dtype`. */
export function dataMatchesDType(dtype: DTypeName, data: RawData): boolean {
  switch (dtype) {
    case 'float32':
      return data instanceof Float32Array;
    case 'float64':
      return data instanceof Float64Array;
    case 'int32':
      return data instanceof Int32Array;
    case 'int64':
      return data instanceof BigInt64Array;
    case 'uint8':
    case 'bool':
      return data instanceof Uint8Array;
  }
}

/** Allocates a zero-filled typed array of `n` elements for `dtype`. */
export function allocRawData(dtype: DTypeName, n: number): RawData {
  switch (dtype) {
    case 'float32':
      return new Float32Array(n);
    case 'float64':
      return new Float64Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'int64':
      return new BigInt64Array(n);
    case 'uint8':
    case 'bool':
      return new Uint8Array(n);
  }
}

/**
 * Product of `shape` as a safe integer, or undefined when an entry is not a
 * non-negative safe integer or the product overflows 2^53. A zero dimension
 * makes the product 0 whatever the others are.
 */
export function shapeProduct(shape: readonly unknown[]): number | undefined {
  if (!shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) return undefined;
  const dims = shape as readonly number[];
  if (dims.includes(0)) return 0;
  let n = 1;
  for (const d of dims) {
    n *= d;
    if (!Number.isSafeInteger(n)) return undefined;
  }
  return n;
}

/** True on little-endian hosts (all mainstream ones); files are byte-swapped otherwise. */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses the byte order of every `size`-byte element of `bytes`, in place. */
export function byteSwapInPlace(bytes: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let i = 0; i + size <= bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}
