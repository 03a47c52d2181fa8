'use strict';
// The paths the ordinary parity cases miss (issue #18): the split reduction
// ([1, 70000] full sum, [2, 40000] rows), softmax / cross-entropy rows with
// -inf and NaN, a binary op on views that are not 16-byte aligned, GEMM with
// K = 0 and with a broadcast batch on either side. Added to the parity table
// by parity.js (CPU twin on fresh random inputs like every other case).

/** Adds the edge cases through parity.js's `add`, with its input makers and tolerances. */
function addEdgeCases({ nt, L, rand, add, sumTol, tolOf, FLOATS, F32, F64 }) {
  const R = L.ReduceOp,
    B = L.BinaryOp;
  for (const dtype of FLOATS) {
    // Split reductions: many blocks per output, then a second pass.
    add({
      name: `reduce Sum ${dtype} full [1,70000] (split)`,
      kernel: 'reduce',
      inputs: { x: rand([1, 70000], dtype) },
      outputs: { out: { shape: [], dtype } },
      launch: (_, t) => L.kReduce(R.Sum, t.out, t.x, [0, 1]),
      tol: sumTol(dtype, 70000, 1),
    });
    for (const [name, code] of [
      ['Sum', R.Sum],
      ['Max', R.Max],
      ['LogSumExp', R.LogSumExp],
      ['Var', R.Var],
    ]) {
      add({
        name: `reduce ${name} ${dtype} rows [2,40000] (split)`,
        kernel: 'reduce',
        inputs: { x: rand([2, 40000], dtype) },
        outputs: { out: { shape: [2], dtype } },
        launch: (_, t) => L.kReduce(code, t.out, t.x, [1], code === R.Var ? 1 : 0),
        tol: code === R.Max ? { atol: 0, rtol: 0 } : sumTol(dtype, 40000, 2),
      });
    }
    add({
      name: `reduce ArgMax ${dtype} rows [2,40000] (split)`,
      kernel: 'reduce',
      inputs: { x: rand([2, 40000], dtype) },
      outputs: { out: { shape: [2], dtype: 'int64' } },
      launch: (_, t) => L.kReduce(R.ArgMax, t.out, t.x, [1]),
      tol: { atol: 0, rtol: 0 },
    });

    // Rows holding -inf and NaN: some -inf, all -inf, one NaN, -inf at the target.
    const special = (rows, cols) => {
      const x = rand([rows, cols], dtype, -4, 4);
      x.narrow(0, 0, 1).narrow(1, 0, 3).fill_(-Infinity);
      x.narrow(0, 1, 1).fill_(-Infinity);
      x.narrow(0, 2, 1).narrow(1, 5, 1).fill_(NaN);
      x.narrow(0, 3, 1).narrow(1, 2, 1).fill_(-Infinity);
      return x;
    };
    for (const cols of [33, 1025]) {
      for (const log of [false, true]) {
        add({
          name: `${log ? 'logSoftmax' : 'softmax'} ${dtype} [5,${cols}] rows with -inf / NaN`,
          kernel: 'softmax',
          inputs: { x: special(5, cols) },
          outputs: { out: { shape: [5, cols], dtype } },
          launch: (_, t) => L.kSoftmax(t.out, t.x, 5, cols, log),
          tol: tolOf(dtype, 4),
        });
      }
      // Targets: row 0 on a finite entry, row 3 on its -inf entry (loss +inf).
      const tg = nt.tensor([4, 0, 1, 2, 7], { dtype: 'int64' });
      add({
        name: `crossEntropy ${dtype} [5,${cols}] rows with -inf / NaN +dlogits`,
        kernel: 'crossEntropy',
        inputs: { x: special(5, cols), tg },
        outputs: { losses: { shape: [5], dtype }, dlogits: { shape: [5, cols], dtype } },
        launch: (_, t) => L.kCrossEntropy(t.losses, t.dlogits, t.x, t.tg, -100, 0),
        tol: tolOf(dtype, 4 + Math.sqrt(cols)),
      });
    }

    // A binary op on narrow views 4 / 8 / 12 bytes past a 16-byte boundary.
    for (const [oa, ob, oo] of [
      [1, 3, 1],
      [2, 1, 3],
    ]) {
      const n = 1031;
      add({
        name: `binary Add ${dtype} unaligned narrow views (+${oa},+${ob} -> +${oo})`,
        kernel: 'binary',
        inputs: { a: rand([n + 4], dtype), b: rand([n + 4], dtype) },
        outputs: { out: { shape: [n + 4], dtype } },
        launch: (_, t) => L.kBinary(B.Add, t.out.narrow(0, oo, n), t.a.narrow(0, oa, n), t.b.narrow(0, ob, n), 0.5),
        tol: dtype === 'float64' ? F64 : F32,
      });
    }

    // GEMM with K = 0 (C = beta * C) and with a batch broadcast on A or on B.
    for (const beta of [0, 0.5]) {
      const [M, N] = [17, 9];
      const inputs = { a: rand([1, M, 1], dtype), b: rand([1, 1, N], dtype) };
      if (beta) inputs.c = rand([1, M, N], dtype);
      add({
        name: `gemm ${dtype} K=0 M${M} N${N}${beta ? ` beta=${beta}` : ''}`,
        kernel: 'gemm',
        inputs,
        inplace: beta ? ['c'] : [],
        outputs: beta ? {} : { c: { shape: [1, M, N], dtype } },
        launch: (_, t) =>
          L.kGemm(
            1,
            M,
            N,
            0,
            { t: t.a, ld: 0, batchStride: 0, trans: false },
            { t: t.b, ld: N, batchStride: 0, trans: false },
            { t: t.c, ld: N, batchStride: M * N },
            1,
            beta,
          ),
        tol: tolOf(dtype),
      });
    }
    for (const side of ['A', 'B']) {
      const [batch, M, N, K] = [4, 33, 31, 65];
      add({
        name: `gemm ${dtype} batch${batch} stride${side}=0 (broadcast)`,
        kernel: 'gemm',
        inputs: { a: rand([side === 'A' ? 1 : batch, M, K], dtype), b: rand([side === 'B' ? 1 : batch, K, N], dtype) },
        outputs: { c: { shape: [batch, M, N], dtype } },
        launch: (_, t) =>
          L.kGemm(
            batch,
            M,
            N,
            K,
            { t: t.a, ld: K, batchStride: side === 'A' ? 0 : M * K, trans: false },
            { t: t.b, ld: N, batchStride: side === 'B' ? 0 : K * N, trans: false },
            { t: t.c, ld: N, batchStride: M * N },
            1,
            0,
          ),
        tol: sumTol(dtype, K, 4),
      });
    }
  }
}

module.exports = { addEdgeCases };
