// A full garbage collection on demand, and nt.memory() once collection has
// settled. Storage handles are freed by GC-time finalizers, so garbage left
// by earlier code can vanish from nt.memory() at any moment; counting after
// the GC settles makes counts exact. Shared by the soak bench and the tests.
import * as nt from '../lib';
import { setFlagsFromString } from 'v8';
import { runInNewContext } from 'vm';

setFlagsFromString('--expose-gc');
/** A full (major) garbage collection. */
const fullGc = runInNewContext('gc') as () => void;

/**
 * nt.memory() after full GCs until two cycles in a row leave the same CPU
 * counts. One cycle is not always enough: under load V8 can leave a few dead
 * handles for the next one (seen in CI: 2 stale storages after one gc()).
 */
export function settledMemory(): ReturnType<typeof nt.memory> {
  fullGc();
  let last = nt.memory();
  for (let i = 0; i < 10; ++i) {
    fullGc();
    const now = nt.memory();
    if (now.cpu.tensors === last.cpu.tensors && now.cpu.bytes === last.cpu.bytes) return now;
    last = now;
  }
  return last;
}
