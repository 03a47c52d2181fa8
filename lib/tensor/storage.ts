// A JS-side owner of one native storage handle, shared by a tensor and its
// views. dispose() of the last tensor using it frees the buffer at once;
// otherwise the handle's GC finalizer frees it.
//
// Small CPU handles released by dispose() are kept in a bounded pool and
// handed to the next allocation of the same dtype and size: creating a native
// handle (an External with a GC finalizer) and collecting it later is most
// of the dispatch cost of a small op. Pooled handles do not count
// as live in nt.memory(); nt.emptyCache() frees them.
import type { StorageHandle } from '../../bindings/kernels.gen';
import { native } from '../kernels/native';
import type { Device, DType } from './dtype';

const POOL_MAX_NUMEL = 1 << 16; // elements: only small buffers are pooled
const POOL_PER_SIZE = 8;
const POOL_MAX_BYTES = 16 << 20;
const POOL_KEY = Symbol.for('nodetorch.storagePool');

interface PoolState {
  lists: Map<string, StorageHandle[]>;
  count: number;
  bytes: number;
}

// The pool hangs off the addon's exports object, not this module: a process
// that loads this library twice (jest gives every test file a fresh module
// registry, but the native addon is loaded once) must see one pool, or the
// handles of a forgotten pool would be collected later and make
// nt.memory() drop below figures it already reported.
const shared = native as unknown as { [POOL_KEY]?: PoolState };
shared[POOL_KEY] ??= { lists: new Map(), count: 0, bytes: 0 };
const state: PoolState = shared[POOL_KEY];
const pool = state.lists;

const ITEM_BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4, int64: 8, uint8: 1, bool: 1 };
const poolKey = (dtype: DType, numel: number): string => `${dtype}:${numel}`;

/** A pooled CPU handle of this dtype and size, or undefined. */
export function takePooledHandle(device: Device, dtype: DType, numel: number): StorageHandle | undefined {
  if (device !== 'cpu' || numel > POOL_MAX_NUMEL || state.count === 0) return undefined;
  const h = pool.get(poolKey(dtype, numel))?.pop();
  if (h !== undefined) {
    state.count--;
    state.bytes -= numel * ITEM_BYTES[dtype];
  }
  return h;
}

/** Handles held by the pool (subtracted from nt.memory()'s live figures). */
export function pooledStats(): { tensors: number; bytes: number } {
  return { tensors: state.count, bytes: state.bytes };
}

/** Frees every pooled handle (nt.emptyCache()). */
export function drainHandlePool(): void {
  for (const list of pool.values()) for (const h of list) native.dispose(h);
  pool.clear();
  state.count = 0;
  state.bytes = 0;
}

export class Storage {
  refs = 0;
  /**
   * Shared with another thread (t.share(), nt.fromShared): never pooled, as
   * a recycled handle would overwrite memory the other thread still reads.
   */
  shared = false;
  constructor(
    readonly handle: StorageHandle,
    readonly device: Device,
    readonly dtype: DType,
    readonly numel: number,
  ) {}

  release(): void {
    if (--this.refs !== 0) return;
    const bytes = this.numel * ITEM_BYTES[this.dtype];
    if (
      !this.shared &&
      this.device === 'cpu' &&
      this.numel <= POOL_MAX_NUMEL &&
      state.bytes + bytes <= POOL_MAX_BYTES
    ) {
      const key = poolKey(this.dtype, this.numel);
      let list = pool.get(key);
      if (!list) {
        list = [];
        pool.set(key, list);
      }
      if (list.length < POOL_PER_SIZE) {
        list.push(this.handle);
        state.count++;
        state.bytes += bytes;
        return;
      }
    }
    native.dispose(this.handle);
  }
}
