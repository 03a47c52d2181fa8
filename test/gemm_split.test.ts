// A GEMM worth several threads is cut into column blocks of C (row blocks
// when C is taller than wide), each one single-threaded OpenBLAS call on the
// pool (native/cpu/gemm.cpp). Every transpose, both cut directions, ragged
// last blocks, leading dimensions wider than the rows, alpha/beta and
// batches (own C, and one C that batches accumulate into in order), at 1, 2
// and 3 threads, against float64 (test/gemm_reference.ts). The same cases
// run on the built-in kernel when OpenBLAS is absent.
import * as nt from '../lib';
import { type GemmCase, checkGemm } from './gemm_reference';

// M * N * K of at least 2e6 multiply-adds: two threads' worth (gemm.h).
const SHAPES: [number, number, number][] = [
  [64, 500, 100], // wide: column blocks
  [64, 257, 130], // a ragged last column block
  [301, 70, 100], // tall: row blocks, ragged
  [150, 150, 100], // square: column blocks
];

describe.each(['float32', 'float64'] as const)('split GEMM, %s', (dtype) => {
  test.each([1, 2, 3])('every transpose and both cut directions at %i thread(s)', (threads) => {
    const before = nt.getNumThreads();
    nt.setNumThreads(threads);
    try {
      let seed = threads * 1000;
      for (const [M, N, K] of SHAPES)
        for (const transA of [false, true])
          for (const transB of [false, true]) {
            const base: GemmCase = { batch: 1, M, N, K, alpha: 1, beta: 0, transA, transB };
            checkGemm(base, dtype, ++seed);
            checkGemm({ ...base, alpha: -0.5, beta: 0.25 }, dtype, ++seed);
          }
    } finally {
      nt.setNumThreads(before);
    }
  });

  test('batches: each product split, own C and one C accumulated in order', () => {
    const before = nt.getNumThreads();
    nt.setNumThreads(2);
    try {
      checkGemm({ batch: 3, M: 40, N: 200, K: 260, alpha: 1, beta: 0, transB: false }, dtype, 7);
      checkGemm({ batch: 2, M: 230, N: 40, K: 260, alpha: 1, beta: 0, transA: true }, dtype, 8);
      checkGemm({ batch: 3, M: 64, N: 130, K: 250, alpha: 1, beta: 1, broadcastC: true }, dtype, 9);
    } finally {
      nt.setNumThreads(before);
    }
  });
});
