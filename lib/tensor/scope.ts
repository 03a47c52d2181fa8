// Deterministic memory release: nt.scope(fn) disposes every tensor created
// while fn runs, except what fn returns (handed to the enclosing scope) and
// what nt.keep() marks. AsyncLocalStorage tracks the current scope, so
// concurrent `await nt.scope(async ...)` calls do not mix their tensors.
import { AsyncLocalStorage } from 'async_hooks';

/** The part of a tensor a scope needs. */
export interface Scoped {
  dispose(): void;
  readonly isDisposed: boolean;
}

interface Frame {
  tensors: Set<Scoped>;
  parent: Frame | undefined;
}

const current = new AsyncLocalStorage<Frame>();
let syncFrame: Frame | undefined;

function activeFrame(): Frame | undefined {
  return syncFrame ?? current.getStore();
}

/** Registers a new tensor with the innermost scope, if any. */
export function track(t: Scoped): void {
  const f = activeFrame();
  if (f) f.tensors.add(t);
}

/** Removes a tensor from every enclosing scope so it survives them. */
export function keep<T extends Scoped>(t: T): T {
  for (let f = activeFrame(); f; f = f.parent) f.tensors.delete(t);
  return t;
}

/**
 * The frame's tensors reachable from a scope's result (arrays, plain objects,
 * Maps), depth-limited. Only tensors the frame tracks matter here, so a set
 * lookup identifies them: this module never needs the Tensor class.
 */
function collect(value: unknown, frame: Set<Scoped>, out: Set<Scoped>, depth: number): void {
  if (depth > 6 || value === null || typeof value !== 'object') return;
  if (frame.has(value as Scoped)) {
    out.add(value as Scoped);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collect(v, frame, out, depth + 1);
  } else if (value instanceof Map) {
    for (const v of value.values()) collect(v, frame, out, depth + 1);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value as Record<string, unknown>)) collect(v, frame, out, depth + 1);
  }
}

function close(frame: Frame, result: unknown): void {
  const survivors = new Set<Scoped>();
  collect(result, frame.tensors, survivors, 0);
  for (const t of frame.tensors) {
    if (survivors.has(t)) {
      if (frame.parent) frame.parent.tensors.add(t);
    } else if (!t.isDisposed) {
      t.dispose();
    }
  }
  frame.tensors.clear();
}

function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';
}

/**
 * Runs fn and disposes the tensors it created, except those returned (they
 * move to the enclosing scope) and those passed to `keep`. Async functions
 * are awaited first.
 */
export function scope<T>(fn: () => T): T {
  const frame: Frame = { tensors: new Set(), parent: activeFrame() };
  const prevSync = syncFrame;
  let result: T;
  try {
    syncFrame = undefined;
    result = current.run(frame, () => {
      syncFrame = frame;
      try {
        return fn();
      } finally {
        syncFrame = undefined;
      }
    });
  } catch (e) {
    syncFrame = prevSync;
    close(frame, undefined);
    throw e;
  }
  syncFrame = prevSync;
  if (isPromiseLike(result)) {
    return Promise.resolve(result).then(
      (v) => {
        close(frame, v);
        return v;
      },
      (e: unknown) => {
        close(frame, undefined);
        throw e;
      },
    ) as T;
  }
  close(frame, result);
  return result;
}
