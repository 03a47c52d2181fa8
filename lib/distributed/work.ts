// The handle of an async collective, as torch's Work: `wait()` / `then`
// settle once the communication thread ran it. A watchdog timer turns a
// collective that never finishes (a peer died) into a DistributedError.
import { native } from '../kernels/native';
import { DistributedError } from '../errors';

/** Rejecters of the Works still running. */
const running = new Set<(e: Error) => void>();

/** @internal Fails every running Work with `error` (the launcher is stopping this rank); how many there were. */
export function failRunning(error: Error): number {
  const n = running.size;
  for (const fail of [...running]) fail(error);
  return n;
}

export class Work implements PromiseLike<void> {
  /** Marks the handle of an `{ asyncOp: true }` call. */
  readonly asyncOp = true;
  private readonly done: Promise<void>;
  private completed = false;

  /** @internal */
  constructor(op: string, started: Promise<void>, timeoutMs: number, after: () => void) {
    let timer: NodeJS.Timeout | undefined;
    let fail: (e: Error) => void = () => {};
    const watchdog = new Promise<never>((_, reject) => {
      fail = reject;
      running.add(fail);
      timer = setTimeout(() => {
        native.distAbandon();
        reject(
          new DistributedError(
            op,
            `did not finish within ${timeoutMs} ms: a peer process died or stopped calling collectives`,
          ),
        );
      }, timeoutMs);
    });
    this.done = Promise.race([started, watchdog]).then(
      () => {
        clearTimeout(timer);
        running.delete(fail);
        this.completed = true;
        after();
      },
      (e: unknown) => {
        clearTimeout(timer);
        running.delete(fail);
        this.completed = true;
        throw e;
      },
    );
  }

  /** Resolves when the collective has run (its outputs are then readable); rejects with DistributedError. */
  wait(): Promise<void> {
    return this.done;
  }

  isCompleted(): boolean {
    return this.completed;
  }

  // biome-ignore lint/suspicious/noThenProperty: a Work is awaitable on purpose
  then<A = void, B = never>(
    // biome-ignore lint/suspicious/noConfusingVoidType: PromiseLike<void>'s own signature
    onFulfilled?: ((value: void) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.done.then(onFulfilled, onRejected);
  }
}
