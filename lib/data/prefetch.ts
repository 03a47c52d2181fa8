// Async iteration with background prefetch, for `for await (... of loader)`.
// A pump makes the next batches one per macrotask (setImmediate), up to
// `depth` ahead, while the consumer is busy with the current one (awaiting
// I/O, say); the consumer yields to the event loop before each batch, so
// timers and I/O callbacks run between batches even when it never awaits.
// Batches made but not handed out (an early `break`, an error) are released.

/** What batches are pulled from: a sync or async iterator. */
type BatchSource<B> = Iterator<B> | AsyncIterator<B>;

const nextMacrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Yields the batches of `source` in order, preparing up to `depth` of them
 * ahead (0: each one when asked). `release` frees a batch that was prepared
 * but never yielded.
 */
export async function* prefetched<B>(
  source: BatchSource<B>,
  depth: number,
  release: (batch: B) => void,
): AsyncGenerator<B, void, undefined> {
  const queue: B[] = [];
  let done = false;
  let failure: { error: unknown } | undefined;
  let stopped = false;
  let waiting = false; // the consumer waits for a batch: make one even with depth 0
  let inflight: Promise<void> | undefined;
  let wake: (() => void) | undefined;

  const pull = async (): Promise<void> => {
    await nextMacrotask();
    try {
      if (stopped) return;
      const r = await source.next();
      if (r.done) done = true;
      else if (stopped) release(r.value);
      else queue.push(r.value);
    } catch (e) {
      failure = { error: e };
      done = true;
    } finally {
      inflight = undefined;
    }
    wake?.();
    pump();
  };
  function pump(): void {
    if (inflight || done || stopped || queue.length >= (waiting ? Math.max(depth, 1) : depth)) return;
    inflight = pull();
  }

  try {
    for (;;) {
      if (queue.length === 0) {
        if (done) {
          if (failure) throw failure.error;
          return;
        }
        waiting = true;
        await new Promise<void>((resolve) => {
          wake = resolve;
          pump();
        });
        wake = undefined;
        waiting = false;
        if (queue.length === 0) continue;
      } else {
        await nextMacrotask(); // let timers and I/O run between batches
      }
      const batch = queue.shift() as B;
      pump(); // top the queue up while the consumer works on this batch
      yield batch;
    }
  } finally {
    stopped = true;
    await inflight;
    for (const b of queue.splice(0)) release(b);
    try {
      await source.return?.();
    } catch {
      // Closing the source must not hide the error (or break) that ended the loop.
    }
  }
}
