// Tensors across worker_threads (issue #11). `t.share()` turns a tensor into
// a plain, structured-cloneable message (no handle in it) that
// `postMessage` can carry; `nt.fromShared(msg)` in the receiving thread turns
// it back into a tensor over the SAME memory (native/addon/shared_storage.cpp
// keeps the buffer alive in a process-wide registry between the two).
//
// Storages that crossed threads are never recycled through the small-storage
// pool (lib/tensor/storage.ts): a pooled handle handed to a new tensor would
// overwrite memory the other thread still reads.
import { DEVICE_CODES, DTYPE_CODES } from '../../bindings/codes.gen';
import { native } from '../kernels/native';
import { ArgumentError } from '../errors';
import { type Device, type DType, DTYPES } from '../tensor/dtype';
import { Storage } from '../tensor/storage';
import { Tensor } from '../tensor/tensor';
import { checkObject, formatShape, showValue } from '../validate';

/**
 * A tensor in transit between threads, made by `t.share()` and turned back
 * into a tensor by `nt.fromShared(msg)` in the thread that receives it. A
 * plain object (post it with `postMessage`, put it in `workerData`, nest it
 * in any message); it holds no memory itself, only a single-use token for
 * the shared storage.
 */
export interface SharedTensor {
  /** Always `'nodetorch.SharedTensor'`: what `fromShared` checks first. */
  readonly kind: 'nodetorch.SharedTensor';
  /** Opaque and single-use: one `fromShared` (or `releaseShared`) per `share()`. */
  readonly token: string;
  readonly dtype: DType;
  readonly device: Device;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  /** The received tensor is a leaf without grad (call requiresGrad_() there). */
  readonly requiresGrad: false;
}

const KIND: SharedTensor['kind'] = 'nodetorch.SharedTensor';

/** Name -> shared tensor: `nt.shareStateDict(model.stateDict())`. */
export type SharedStateDict = Record<string, SharedTensor>;

/**
 * Shares t's storage with another thread: returns a message to post to it,
 * where `nt.fromShared(msg)` makes a tensor over the same memory.
 *
 * - Shared memory, not a copy: writes made by either thread are seen by the
 *   other. The two threads' kernel queues are not ordered with each other, so
 *   either hand the tensor off (the sender stops using it) or share it
 *   read-only (weights); to see the other side's writes, wait for a message
 *   it posts after its own `nt.synchronizeSync()` or a read of the data.
 * - Waits for this thread's queued kernels on t's device first, so every
 *   value written before `share()` is in memory when it returns (a deferred
 *   kernel error is thrown here).
 * - The received tensor is a leaf without grad; t's graph is not shared.
 * - One `fromShared` per `share()`: call `share()` once per receiver.
 * - Disposing t (or the received tensor) is safe at any time: the memory goes
 *   when both are gone. A message never received keeps its memory until
 *   `nt.releaseShared(msg)` or the process exits.
 */
export function share(t: Tensor): SharedTensor {
  if (!(t instanceof Tensor)) throw new ArgumentError('share', `a Tensor, got ${showValue(t)}`);
  const token = native.shareStorage(t._handle('share'));
  t._storage.shared = true;
  return {
    kind: KIND,
    token,
    dtype: t.dtype,
    device: t.device,
    shape: t.shape.slice(),
    strides: t.strides.slice(),
    offset: t.offset,
    requiresGrad: false,
  };
}

interface CheckedMessage {
  token: string;
  dtype: DType;
  device: Device;
  shape: number[];
  strides: number[];
  offset: number;
  /** Index of the last element the view reaches plus one (0 for an empty view). */
  reach: number;
}

function intList(op: string, name: string, v: unknown, ndim?: number): number[] {
  if (!Array.isArray(v) || (ndim !== undefined && v.length !== ndim)) {
    const want = ndim === undefined ? 'an array' : `an array of ${ndim} numbers (one per dim of shape)`;
    throw new ArgumentError(op, `${name} ${want}, got ${Array.isArray(v) ? `${v.length} entries` : showValue(v)}`);
  }
  const list = v as unknown[];
  if (!list.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    throw new ArgumentError(op, `${name} non-negative integers, got ${formatShape(list as number[])}`);
  }
  return list as number[];
}

/**
 * Checks every field of a message from t.share() before its token is used;
 * `what` names it in errors ("msg", or a state-dict entry).
 */
function checkMessage(op: string, msg: unknown, what = 'msg'): CheckedMessage {
  const m = checkObject(op, what, msg);
  if (m.kind !== KIND) {
    throw new ArgumentError(op, `${what} a message from t.share() (kind "${KIND}"), got kind ${showValue(m.kind)}`);
  }
  if (typeof m.token !== 'string' || m.token === '') {
    throw new ArgumentError(op, `${what}.token the string t.share() wrote, got ${showValue(m.token)}`);
  }
  if (!(DTYPES as readonly unknown[]).includes(m.dtype)) {
    throw new ArgumentError(op, `${what}.dtype one of ${DTYPES.join(', ')}, got ${showValue(m.dtype)}`);
  }
  if (m.device !== 'cpu' && m.device !== 'cuda') {
    throw new ArgumentError(op, `${what}.device "cpu" or "cuda", got ${showValue(m.device)}`);
  }
  const shape = intList(op, `${what}.shape`, m.shape);
  const strides = intList(op, `${what}.strides`, m.strides, shape.length);
  const offset = m.offset;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    throw new ArgumentError(op, `${what}.offset a non-negative integer, got ${showValue(offset)}`);
  }
  if (m.requiresGrad !== false) {
    throw new ArgumentError(
      op,
      `${what}.requiresGrad false (as t.share() writes it), got ${showValue(m.requiresGrad)}`,
    );
  }
  let reach = shape.includes(0) ? 0 : offset + 1;
  if (reach > 0) for (let i = 0; i < shape.length; i++) reach += (shape[i] - 1) * strides[i];
  if (!Number.isSafeInteger(reach)) {
    throw new ArgumentError(
      op,
      `${what} a view inside its storage, got shape ${formatShape(shape)} and strides ${formatShape(strides)}`,
    );
  }
  return { token: m.token, dtype: m.dtype as DType, device: m.device, shape, strides, offset, reach };
}

/** Adopts a checked message's storage; checks it against the message. */
function adopt(op: string, c: CheckedMessage): Tensor {
  const handle = native.adoptStorage(c.token);
  const [dtypeCode, deviceCode, numel] = native.storageInfo(handle);
  let problem = '';
  if (dtypeCode !== DTYPE_CODES[c.dtype] || deviceCode !== DEVICE_CODES[c.device]) {
    const dtype = DTYPES.find((d) => DTYPE_CODES[d] === dtypeCode);
    problem = `the dtype and device the storage was shared with, got ${c.dtype} on ${c.device} for a storage of ${dtype} on ${deviceCode === DEVICE_CODES.cpu ? 'cpu' : 'cuda'}`;
  } else if (Math.max(c.reach, c.offset) > numel) {
    problem = `a view inside its storage of ${numel} elements, got shape ${formatShape(c.shape)}, strides ${formatShape(c.strides)} and offset ${c.offset}`;
  }
  if (problem) {
    native.dispose(handle);
    throw new ArgumentError(op, `${problem} (a message altered after t.share()?)`);
  }
  const storage = new Storage(handle, c.device, c.dtype, numel);
  storage.shared = true;
  return new Tensor(storage, c.shape, c.strides, c.offset);
}

/**
 * The tensor a message from `t.share()` stands for, in this thread: the same
 * memory as the sender's tensor (see `share` for the semantics). Each message
 * is adopted once; a second `fromShared` of it, or of a released message, is
 * an ArgumentError, as is a malformed message. The result is a leaf without
 * grad, counted in this thread's `nt.memory()` and freed by dispose() or a
 * scope as usual.
 */
export function fromShared(msg: SharedTensor): Tensor {
  return adopt('fromShared', checkMessage('fromShared', msg));
}

/** Shares every tensor of a state dict (`model.stateDict()`): one message per entry. */
export function shareStateDict(stateDict: Readonly<Record<string, Tensor>>): SharedStateDict {
  const sd = checkObject('shareStateDict', 'stateDict', stateDict);
  for (const [name, t] of Object.entries(sd)) {
    if (!(t instanceof Tensor)) {
      throw new ArgumentError('shareStateDict', `a Tensor for "${name}", got ${showValue(t)}`);
    }
    t._check('shareStateDict');
  }
  const out: SharedStateDict = {};
  for (const [name, t] of Object.entries(sd)) out[name] = share(t as Tensor);
  return out;
}

/**
 * The tensors of a message from `nt.shareStateDict`, e.g. for
 * `model.loadStateDict(nt.fromSharedStateDict(msg))` in a worker (which
 * copies them into the model's parameters: dispose them afterwards). Every
 * entry is checked before any is adopted.
 */
export function fromSharedStateDict(msg: SharedStateDict): Record<string, Tensor> {
  const op = 'fromSharedStateDict';
  const entries = Object.entries(checkObject(op, 'msg', msg)).map(
    ([name, m]) => [name, checkMessage(op, m, `msg[${JSON.stringify(name)}]`)] as const,
  );
  const out: Record<string, Tensor> = {};
  let i = 0;
  try {
    for (; i < entries.length; i++) out[entries[i][0]] = adopt(op, entries[i][1]);
  } catch (e) {
    for (const t of Object.values(out)) t.dispose();
    for (let j = i + 1; j < entries.length; j++) native.releaseShared(entries[j][1].token);
    throw e;
  }
  return out;
}

/**
 * Frees the memory of a message (or a state-dict message) that will never
 * be received: its tokens can no longer be adopted. Returns true when every
 * token was still waiting, false when some were already adopted or released
 * (those are left as they are).
 */
export function releaseShared(msg: SharedTensor | SharedStateDict): boolean {
  const op = 'releaseShared';
  const m = checkObject(op, 'msg', msg);
  const messages = m.kind === KIND ? [m] : Object.values(m);
  const tokens = messages.map((x) => checkMessage(op, x, m.kind === KIND ? 'msg' : 'each entry of msg').token);
  let all = true;
  for (const token of tokens) all = native.releaseShared(token) && all;
  return all;
}
