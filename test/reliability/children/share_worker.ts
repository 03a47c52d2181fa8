// worker_threads entry of workers_share.test.ts: adopts, reads, writes,
// holds and shares tensors on the main thread's request. Each request is
// { id, cmd, ... } and gets { id, ok, ... } or { id, ok: false, name, message }.
import { parentPort } from 'worker_threads';

import * as nt from '../../../lib';

export type ShareRequest =
  | { id: number; cmd: 'adopt'; msg: nt.SharedTensor; key?: string }
  | { id: number; cmd: 'adoptTwice'; msg: nt.SharedTensor }
  | { id: number; cmd: 'read'; key: string }
  | { id: number; cmd: 'fill'; key: string; value: number }
  | { id: number; cmd: 'dispose'; key: string }
  | { id: number; cmd: 'churn'; numel: number; value: number }
  | { id: number; cmd: 'share'; numel: number; disposeAfter: boolean }
  | { id: number; cmd: 'memory' };

const held = new Map<string, nt.Tensor>();

function view(t: nt.Tensor) {
  return { dtype: t.dtype, shape: t.shape, strides: t.strides, offset: t.offset, data: t.data() };
}

function handle(r: ShareRequest): Record<string, unknown> {
  switch (r.cmd) {
    case 'adopt': {
      const t = nt.fromShared(r.msg);
      const out = { ...view(t), requiresGrad: t.requiresGrad, isLeaf: t.isLeaf, memory: nt.memory().cpu };
      if (r.key) held.set(r.key, t);
      else t.dispose();
      return out;
    }
    case 'adoptTwice':
      nt.fromShared(r.msg).dispose();
      nt.fromShared(r.msg);
      return {};
    case 'read':
      return view(held.get(r.key) as nt.Tensor);
    case 'fill':
      (held.get(r.key) as nt.Tensor).fill_(r.value);
      nt.synchronizeSync('cpu'); // the write is in memory before the reply
      return {};
    case 'dispose':
      held.get(r.key)?.dispose();
      held.delete(r.key);
      return { memory: nt.memory().cpu };
    case 'churn': {
      // Small tensors of this size, created and disposed: a recycled handle
      // must never be one that is shared with the main thread.
      for (let i = 0; i < 20; i++) nt.full([r.numel], r.value).dispose();
      const kept = Array.from({ length: 8 }, () => nt.full([r.numel], r.value));
      nt.synchronizeSync('cpu');
      for (const t of kept) t.dispose();
      return {};
    }
    case 'share': {
      const t = nt.arange(0, r.numel, 1, { dtype: 'float32' });
      const msg = t.share();
      if (r.disposeAfter) t.dispose();
      else held.set('own', t);
      return { msg, memory: nt.memory().cpu };
    }
    case 'memory':
      return { memory: nt.memory().cpu };
  }
}

parentPort?.on('message', (r: ShareRequest) => {
  try {
    parentPort?.postMessage({ id: r.id, ok: true, ...handle(r) });
  } catch (e) {
    const err = e as Error;
    parentPort?.postMessage({ id: r.id, ok: false, name: err.name, message: err.message });
  }
});
