// Kernel errors raised after enqueue (index values) surface at the next sync
// point of their device. jest runs many files in one process, so one left
// unread would fail some later, unrelated test: every test ends with a sync
// point, and an error its own kernels left fails that test instead.
import * as nt from '../../lib';

afterEach(() => {
  nt.synchronizeSync('cpu');
});
