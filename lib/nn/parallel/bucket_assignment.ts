// Gradient buckets exactly as PyTorch's DDP makes them
// (`torch.distributed._compute_bucket_assignment_by_size`, reducer.cpp in
// 1.13): tensors are taken in the order given and collected per dtype (and
// device); a bucket is closed as soon as its bytes reach its cap; each
// dtype's first bucket is capped by limits[0], the next by limits[1], and so
// on, the last cap repeating. Leftover open buckets follow. Without explicit
// tensor indices the buckets are sorted by their smallest index, as torch
// does; with them (the gradient-ready order) they stay in closing order.
import { ArgumentError } from '../../errors';
import type { DType } from '../../tensor/dtype';

/** What bucketing needs to know of a tensor. */
export interface BucketTensor {
  readonly numel: number;
  readonly dtype: DType;
  readonly device: string;
}

export interface BucketAssignment {
  /** Each bucket's tensor indices, in the order the tensors were given. */
  buckets: number[][];
  /** The byte cap each bucket was filled against. */
  sizeLimits: number[];
}

/** PyTorch's `dist._DEFAULT_FIRST_BUCKET_BYTES`: a small first bucket so that communication starts early. */
export const DEFAULT_FIRST_BUCKET_BYTES = 1 << 20;

const BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4, int64: 8, uint8: 1, bool: 1 };

/**
 * Splits `tensors` into buckets of at most about `sizeLimits` bytes (a bucket
 * closes at the first tensor that makes it reach its cap), per dtype and
 * device. `tensorIndices[i]` labels tensors[i] (default: i).
 */
export function computeBucketAssignmentBySize(
  tensors: readonly BucketTensor[],
  sizeLimits: readonly number[],
  tensorIndices?: readonly number[],
): BucketAssignment {
  const op = 'computeBucketAssignmentBySize';
  if (!Array.isArray(tensors as unknown))
    throw new ArgumentError(op, `a list of tensors (or { numel, dtype, device } records), got ${typeof tensors}`);
  tensors.forEach((t: unknown, i) => {
    const r = t as Partial<BucketTensor> | null;
    if (
      !r ||
      typeof r !== 'object' ||
      !Number.isSafeInteger(r.numel) ||
      (r.numel as number) < 0 ||
      typeof r.dtype !== 'string' ||
      !(r.dtype in BYTES) ||
      typeof r.device !== 'string'
    )
      throw new ArgumentError(op, `tensors[${i}] must have an integer numel >= 0, a dtype and a device`);
  });
  if (!Array.isArray(sizeLimits as unknown))
    throw new ArgumentError(op, `sizeLimits must be a list of byte caps, got ${typeof sizeLimits}`);
  if (
    tensorIndices !== undefined &&
    (!Array.isArray(tensorIndices as unknown) || tensorIndices.some((v) => !Number.isSafeInteger(v)))
  )
    throw new ArgumentError(op, 'tensorIndices must be a list of integers');
  if (sizeLimits.length === 0 || sizeLimits.some((l) => !Number.isFinite(l) || l <= 0))
    throw new ArgumentError(op, `a non-empty list of positive byte caps, got [${sizeLimits.join(', ')}]`);
  if (tensorIndices !== undefined && tensorIndices.length !== tensors.length)
    throw new ArgumentError(op, `one tensor index per tensor (${tensors.length}), got ${tensorIndices.length}`);
  interface Open {
    indices: number[];
    size: number;
    limit: number;
    next: number;
  }
  const open = new Map<string, Open>();
  const buckets: number[][] = [];
  const limits: number[] = [];
  tensors.forEach((t, i) => {
    const key = `${t.dtype}@${t.device}`;
    let b = open.get(key);
    if (!b) {
      b = { indices: [], size: 0, limit: sizeLimits[0], next: 0 };
      open.set(key, b);
    }
    b.indices.push(tensorIndices ? tensorIndices[i] : i);
    b.size += t.numel * BYTES[t.dtype];
    b.limit = sizeLimits[b.next];
    if (b.size >= b.limit) {
      buckets.push(b.indices);
      limits.push(b.limit);
      b.indices = [];
      b.size = 0;
      if (b.next + 1 < sizeLimits.length) b.next += 1;
    }
  });
  // Leftovers in the order their dtype first appeared (torch's hash-map order is unspecified).
  for (const b of open.values()) {
    if (b.indices.length === 0) continue;
    buckets.push(b.indices);
    limits.push(b.limit);
  }
  if (tensorIndices === undefined) {
    const order = buckets.map((_, k) => k).sort((a, c) => Math.min(...buckets[a]) - Math.min(...buckets[c]));
    return { buckets: order.map((k) => buckets[k]), sizeLimits: order.map((k) => limits[k]) };
  }
  return { buckets, sizeLimits: limits };
}
