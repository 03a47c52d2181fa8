// worker_threads: two workers train independent models concurrently and get
// bitwise the losses of single-threaded (in-process) runs with the same
// seeds; create/train/terminate cycles do not grow memory.
import * as path from 'path';
import { Worker } from 'worker_threads';

import { trainLosses } from './children/train_child';

const WORKER = path.join(__dirname, 'children', 'train_worker.js');

function train(seed: number, steps: number, hold = false): { worker: Worker; done: Promise<{ losses: string[] }> } {
  const worker = new Worker(WORKER, { workerData: { seed, steps, threads: 1, hold } });
  const done = new Promise<{ losses: string[] }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return { worker, done };
}

describe('worker_threads', () => {
  it('two concurrent workers match single-threaded runs with the same seeds', async () => {
    const a = train(11, 20);
    const b = train(12, 20);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    await Promise.all([a.worker.terminate(), b.worker.terminate()]);
    expect(ra.losses).toEqual(trainLosses(11, 20, 1));
    expect(rb.losses).toEqual(trainLosses(12, 20, 1));
    expect(ra.losses).not.toEqual(rb.losses);
  });

  it('terminating workers frees their memory (10 create/train/terminate cycles)', async () => {
    const rss: number[] = [];
    for (let i = 0; i < 10; i++) {
      const w = train(100 + i, 5, true); // each holds 32 MiB of tensors when terminated
      await w.done;
      await w.worker.terminate();
      global.gc?.();
      rss.push(process.memoryUsage().rss / 2 ** 20);
    }
    console.log(`worker cycles: RSS MiB ${rss.map((r) => r.toFixed(0)).join(' ')}`);
    // 10 x 32 MiB would be +320 MiB if terminated workers kept their tensors.
    expect(rss[9] - rss[2]).toBeLessThan(120);
  }, 180000);
});
