// Whether operations record the autograd graph (record.ts reads it; users
// switch it with nt.noGrad, nt.enableGrad, nt.setGradEnabled).
//
// Three layers, innermost first:
// - `syncMode`: the mode of the innermost noGrad/enableGrad whose function is
//   running synchronously right now (undefined outside one). A plain module
//   variable, so the synchronous path costs what it always did.
// - async frames: noGrad/enableGrad given an `async` function run it inside
//   AsyncLocalStorage, so its continuations after each `await` find their
//   frame, and concurrent tasks each see their own. A frame is live until the
//   function's promise settles; `liveFrames` counts them, and while it is 0
//   isGradEnabled never asks AsyncLocalStorage (getStore costs ~80 ns).
// - `globalMode`: setGradEnabled outside any scope.
import { AsyncLocalStorage } from 'async_hooks';
import { checkBool, checkFunction } from '../validate';

interface Frame {
  enabled: boolean;
  live: boolean;
  readonly parent: Frame | undefined;
}

let globalMode = true;
let syncMode: boolean | undefined;
let liveFrames = 0;
const frames = new AsyncLocalStorage<Frame>();

/** The innermost async frame of this task whose function has not settled yet. */
function liveFrame(): Frame | undefined {
  for (let f = frames.getStore(); f; f = f.parent) if (f.live) return f;
  return undefined;
}

/**
 * Whether ops record the autograd graph here: the mode of the innermost
 * enclosing `noGrad`/`enableGrad` (for an async function: of this task, across
 * its awaits), else the global mode of `setGradEnabled` (default true).
 */
export function isGradEnabled(): boolean {
  if (syncMode !== undefined) return syncMode;
  if (liveFrames === 0) return globalMode;
  return liveFrame()?.enabled ?? globalMode;
}

function isAsyncFunction(fn: unknown): boolean {
  // 'AsyncFunction' for `async function` and `async () => ...`: a property
  // read, where `instanceof` would cost ~40 ns on every synchronous call.
  return (fn as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] === 'AsyncFunction';
}

function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';
}

let warnedPlainPromise = false;

function withMode<T>(op: string, on: boolean, fn: () => T): T {
  checkFunction(op, 'fn', fn);
  if (isAsyncFunction(fn)) return withModeAsync(on, fn);
  const prev = syncMode;
  syncMode = on;
  let result: T;
  try {
    result = fn();
  } finally {
    syncMode = prev;
  }
  if (isPromiseLike(result) && !warnedPlainPromise) {
    warnedPlainPromise = true;
    process.emitWarning(
      `${op}(fn): fn is not an async function but returned a promise, so the grad mode covered only its ` +
        'synchronous part, not the work after its awaits. Pass an `async` function to keep the mode across awaits.',
      { code: 'NODETORCH_GRAD_MODE_PROMISE' },
    );
  }
  return result;
}

function withModeAsync<T>(on: boolean, fn: () => T): T {
  const frame: Frame = { enabled: on, live: true, parent: frames.getStore() };
  ++liveFrames;
  const end = (): void => {
    frame.live = false;
    --liveFrames;
  };
  const prev = syncMode;
  syncMode = undefined; // the frame decides, now and after each await
  let result: T;
  try {
    result = frames.run(frame, fn);
  } catch (e) {
    end();
    throw e;
  } finally {
    syncMode = prev;
  }
  if (!isPromiseLike(result)) {
    end();
    return result;
  }
  return Promise.resolve(result).then(
    (v) => {
      end();
      return v;
    },
    (e: unknown) => {
      end();
      throw e;
    },
  ) as T;
}

/**
 * Runs fn with graph recording off, like `with torch.no_grad()`, and returns
 * its result.
 *
 * With an `async` function the mode holds across its awaits until its
 * promise settles (it returns that promise), and concurrent async work
 * outside it keeps its own mode (AsyncLocalStorage):
 *
 *   const acc = await nt.noGrad(async () => { ... await ...; return evaluate(model); });
 *
 * Work that fn starts without awaiting it (a timer, a detached promise) has
 * the mode only until fn's promise settles. A plain function that returns a
 * promise gets the mode for its synchronous part only (a one-time warning
 * says so): make it `async`.
 */
export function noGrad<T>(fn: () => T): T {
  return withMode('noGrad', false, fn);
}

/** Runs fn with graph recording on (inside `noGrad`, say); async functions as for `noGrad`. */
export function enableGrad<T>(fn: () => T): T {
  return withMode('enableGrad', true, fn);
}

/**
 * Sets the grad mode, as `torch.set_grad_enabled(on)`: inside a `noGrad` /
 * `enableGrad` function it changes that scope's mode for the rest of it (the
 * scope restores the outer mode when it ends; in an async scope it applies
 * to that scope's task); outside any, it sets the global mode, which every
 * task not inside a scope sees.
 */
export function setGradEnabled(on: boolean): void {
  const v = checkBool('setGradEnabled', 'on', on);
  if (syncMode !== undefined) {
    syncMode = v;
    return;
  }
  const f = liveFrames === 0 ? undefined : liveFrame();
  if (f) f.enabled = v;
  else globalMode = v;
}
