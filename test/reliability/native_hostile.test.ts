// The addon's own checks, proved by calling its entry points directly with
// hostile arguments, bypassing every TypeScript check: garbage in the shared
// args buffer, views reaching past their storage, mismatched dtypes, freed
// handles, objects that are not handles, holes in the optimizer lists.
// Every call must return or throw an nt.NodetorchError; run under ASAN
// (npm run test:asan) this also proves no out-of-bounds access happens.
import { execFileSync } from 'child_process';
import * as path from 'path';

import fc from 'fast-check';

import { native } from '../../lib/kernels/native';
import type { StorageHandle } from '../../bindings/kernels.gen';
import { KERNEL_NAMES } from '../../bindings/kernels.gen';
import * as nt from '../../lib';

const ROOT = path.resolve(__dirname, '../..');
const RUNS = Number(process.env.NT_FUZZ_RUNS ?? 4000);
const A = native.args;
let calls = 0;

/**
 * Values for the args buffer. Sizes are small (<= 9) or invalid: a valid
 * 2^40-element shape over a stride-0 output is legal for the addon and
 * would only be slow, not unsafe.
 */
const SLOT_VALUES = [
  0,
  1,
  2,
  3,
  4,
  5,
  6,
  7,
  8,
  9,
  -1,
  -0,
  0.5,
  2.5,
  NaN,
  Infinity,
  -Infinity,
  1e300,
  -1e300,
  2 ** 50 + 1,
  2 ** 53,
  2 ** 63,
  1e-300,
];

type HandleSpec = { kind: 'handle'; dtype: number; numel: number; disposed: boolean } | { kind: 'other'; i: number };
const OTHERS: (() => unknown)[] = [
  () => undefined,
  () => null,
  () => 0,
  () => 1.5,
  () => 'handle',
  () => ({}),
  () => [],
  () => Symbol('x'),
  () => 10n,
  () => new Float64Array(4),
  () => ({ ptr: 0, numel: 100 }),
  () => () => 0,
  () => true,
  () => Object.create(null),
];

const handleSpec: fc.Arbitrary<HandleSpec> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('handle' as const),
      dtype: fc.integer({ min: 0, max: 5 }),
      numel: fc.integer({ min: 0, max: 24 }),
      disposed: fc.boolean().map((b) => b && Math.random() < 0.3),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('other' as const), i: fc.nat(OTHERS.length - 1) }) },
);

const live: StorageHandle[] = [];
function makeHandle(s: HandleSpec): unknown {
  if (s.kind === 'other') return OTHERS[s.i]();
  const h = native.alloc(0, s.dtype, s.numel);
  // Initialised contents: index kernels see in-range and out-of-range values.
  if (s.numel) {
    A[0] = s.numel;
    A[1] = 0;
    A[2] = -3;
    A[3] = 1;
    native.kernels.arange(h); // arange(n, offset 0, start -3, step 1)
  }
  if (s.disposed) native.dispose(h);
  else live.push(h);
  return h;
}

function isTyped(e: unknown): boolean {
  return e instanceof nt.NodetorchError;
}

function expectTypedOrOk(what: string, f: () => unknown): void {
  calls++;
  try {
    f();
  } catch (e) {
    if (!isTyped(e))
      throw new Error(`${what} threw an untyped ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
  }
}

afterEach(() => {
  for (const h of live.splice(0)) native.dispose(h);
});
afterAll(() => console.log(`native_hostile: ${calls} hostile native calls`));

describe('native kernels with hostile arguments', () => {
  it('every kernel survives random handles and a garbage args buffer', () => {
    const kernels = native.kernels as unknown as Record<string, (...a: unknown[]) => unknown>;
    fc.assert(
      fc.property(
        fc.constantFrom(...KERNEL_NAMES),
        fc.array(handleSpec, { minLength: 0, maxLength: 5 }),
        fc.array(fc.constantFrom(...SLOT_VALUES), { minLength: 64, maxLength: 64 }),
        fc.boolean(),
        (name, hs, slots, asLists) => {
          const handles = hs.map(makeHandle);
          A.fill(0, 0, 256);
          A.set(slots);
          // The optimizers take arrays of handles; give them lists (sometimes with holes).
          const args =
            (name === 'adam' || name === 'sgd') && asLists
              ? // biome-ignore lint/suspicious/noSparseArray: a list with a hole is the hostile input
                handles.map((h, k) => (k % 3 === 2 ? [h, , h] : [h]))
              : handles;
          expectTypedOrOk(
            `${name}(${hs.map((h) => JSON.stringify(h)).join(', ')}) args ${slots.slice(0, 16).join(',')}`,
            () => kernels[name](...args),
          );
        },
      ),
      { numRuns: RUNS, seed: Number(process.env.NT_FUZZ_SEED ?? 7) },
    );
  });

  it('views that reach past the storage are refused', () => {
    const out = native.alloc(0, 0, 4);
    const inp = native.alloc(0, 0, 4);
    live.push(out, inp);
    // unary: [op, p0, p1, ndim, sizes..., outOffset, outStrides..., inOffset, inStrides...]
    const cases: number[][] = [
      [0, 0, 0, 1, 5, 0, 1, 0, 1], // 5 elements of 4
      [0, 0, 0, 1, 4, 1, 1, 0, 1], // offset 1 + 4
      [0, 0, 0, 1, 2, 0, 3, 0, 1], // stride 3: reaches 3 < 4 ok for out... then input
      [0, 0, 0, 1, 2, 0, 4, 0, 1], // stride 4: reaches element 4
      [0, 0, 0, 2, 2, 2, 0, 2, 1, 0, 2, 2], // 2x2 with strides reaching 3+... input reaches 4
      [0, 0, 0, 1, 1, 4, 1, 0, 1], // offset == numel
      [0, 0, 0, 9, 1, 1, 1, 1, 1, 1, 1, 1, 1], // ndim 9
      [99, 0, 0, 1, 1, 0, 1, 0, 1], // unknown op
    ];
    for (const c of cases) {
      A.fill(0, 0, 64);
      A.set(c);
      expectTypedOrOk(`unary ${c}`, () => native.kernels.unary(out, inp));
    }
    A.fill(0, 0, 64);
    A.set([0, 0, 0, 1, 5, 0, 1, 0, 1]);
    expect(() => native.kernels.unary(out, inp)).toThrow(nt.ArgumentError);
  });

  it('gemm with leading dimensions, offsets and batch strides past the storage', () => {
    const c = native.alloc(0, 0, 4),
      a = native.alloc(0, 0, 4),
      b = native.alloc(0, 0, 4);
    live.push(c, a, b);
    // [batch, M, N, K, lda, strideA, transA, ldb, strideB, transB, ldc, strideC, alpha, beta, aOff, bOff, cOff]
    // (the field order of native/op_table.js)
    const ok = [1, 2, 2, 2, 2, 0, 0, 2, 0, 0, 2, 0, 1, 0, 0, 0, 0];
    A.set(ok);
    native.kernels.gemm(c, a, b);
    calls++;
    for (let i = 0; i < ok.length; i++) {
      if (i === 12 || i === 13) continue; // alpha and beta take any value
      for (const v of [3, 4, 5, 2 ** 31, 2 ** 40, -1, 0.5, NaN]) {
        // A huge batch over stride-0 operands is legal (broadcast), only slow.
        if (i === 0 && v >= 2 ** 31) continue;
        A.set(ok);
        A[i] = v;
        expectTypedOrOk(`gemm slot ${i} = ${v}`, () => native.kernels.gemm(c, a, b));
      }
    }
  });

  it('dtype mismatches are DTypeErrors', () => {
    const f32 = native.alloc(0, 0, 4),
      i64 = native.alloc(0, 3, 4),
      b = native.alloc(0, 5, 4);
    live.push(f32, i64, b);
    A.set([0, 0, 0, 1, 4, 0, 1, 0, 1]);
    calls += 3;
    expect(() => native.kernels.unary(f32, i64)).toThrow(nt.DTypeError);
    A.set([1, 2, 2, 2, 2, 0, 0, 2, 0, 0, 2, 0, 1, 0, 0, 0, 0]);
    expect(() => native.kernels.gemm(i64, i64, i64)).toThrow(nt.DTypeError);
    A.set([0, 1, 1, 4, 0, 1, 0, 1, 0, 1]);
    expect(() => native.kernels.binary(f32, f32, i64)).toThrow(nt.DTypeError);
    void b;
  });

  // Index values are checked by the kernel, which runs on the CPU queue: its
  // error is raised at the sync point that follows.
  const ranToEnd = (launch: () => void): void => {
    launch();
    native.synchronize(0);
  };

  it('index values out of range are IndexErrors, not reads past the source', () => {
    const src = native.alloc(0, 0, 6); // [2, 3]
    const out = native.alloc(0, 0, 4);
    live.push(src, out);
    for (const bad of [3n, -4n, 2n ** 62n, -(2n ** 63n)]) {
      const idx = native.fromArray(0, 3, new BigInt64Array([0n, bad]));
      live.push(idx);
      // indexSelect: [outer, dimSize, inner, nIndex, outOff, srcOff, idxOff]: [1, 3, 2] picking 2 rows
      A.set([1, 3, 2, 2, 0, 0, 0]);
      calls += 2;
      expect(() => ranToEnd(() => native.kernels.indexSelect(out, src, idx))).toThrow(nt.IndexError);
      // gather: [ndim, sizes.., selfNdim, selfSizes.., dim, outOff, srcOff, idxOff]: index [2] from self [3]
      A.set([1, 2, 1, 3, 0, 0, 0, 0]);
      expect(() => ranToEnd(() => native.kernels.gather(out, src, idx))).toThrow(nt.IndexError);
    }
    const targets = native.fromArray(0, 3, new BigInt64Array([5n, 0n]));
    const losses = native.alloc(0, 0, 2);
    live.push(targets, losses);
    // crossEntropy: [N, C, ignoreIndex, labelSmoothing, lossesOff, dlogitsOff, logitsOff, targetsOff]
    A.set([2, 3, -100, 0, 0, 0, 0, 0]);
    calls++;
    expect(() => ranToEnd(() => native.kernels.crossEntropy(losses, null, src, targets))).toThrow(nt.IndexError);
  });

  it('freed handles are DisposedTensorErrors everywhere', () => {
    const h = native.alloc(0, 0, 4);
    native.dispose(h);
    native.dispose(h); // twice is harmless
    calls += 2;
    A.set([0, 0, 0, 1, 4, 0, 1, 0, 1]);
    const fns: (() => unknown)[] = [
      () => native.kernels.unary(h, h),
      () => native.kernels.fill(h),
      () => native.item(h, 0),
      () => native.toArray(h, 0, 1, new Float32Array(1)),
      () => native.transfer(h, 0, h, 0, 1),
      () => native.kernels.sgd([h], [h], null),
      () => native.kernels.adam([h], [h], [h], [h], null),
    ];
    for (const f of fns) {
      calls++;
      expect(f).toThrow(nt.DisposedTensorError);
    }
    expect(native.storageInfo(h)[3]).toBe(true);
  });

  it('objects that are not handles are refused (type tag check)', () => {
    const notOurs: unknown[] = [
      {},
      [],
      0,
      null,
      undefined,
      'x',
      Symbol('y'),
      new Float32Array(4),
      { handle: 1 },
      Object.create(null),
      native.args,
      native.kernels.fill,
    ];
    for (const v of notOurs) {
      for (const f of [
        () => native.kernels.fill(v as StorageHandle),
        () => native.item(v as StorageHandle, 0),
        () => native.dispose(v as StorageHandle),
        () => native.storageInfo(v as StorageHandle),
        () => native.kernels.sgd([v as StorageHandle], [v as StorageHandle], null),
      ]) {
        calls++;
        expect(f).toThrow(nt.NodetorchError);
      }
    }
  });

  it('storage functions reject hostile sizes, offsets and arrays', () => {
    const h = native.alloc(0, 1, 8);
    live.push(h);
    const bad = [-1, 0.5, NaN, Infinity, 2 ** 53, 1e300, '3', null, undefined, {}, 10n];
    for (const v of bad) {
      for (const f of [
        () => native.alloc(0, 0, v as number),
        () => native.alloc(v as number, 0, 1),
        () => native.alloc(0, v as number, 1),
        () => native.item(h, v as number),
        () => native.toArray(h, v as number, 1, new Float64Array(8)),
        () => native.toArray(h, 0, v as number, new Float64Array(8)),
        () => native.transfer(h, v as number, h, 0, 1),
        () => native.transfer(h, 0, h, 0, v as number),
        () => native.setNumThreads(v as number),
      ])
        expectTypedOrOk(`storage fn with ${String(v)}`, f);
    }
    calls += 6;
    expect(() => native.alloc(0, 1, 2 ** 40)).toThrow(nt.OutOfMemoryError);
    expect(() => native.toArray(h, 0, 8, new Float64Array(4))).toThrow(nt.ArgumentError); // output too small
    expect(() => native.toArray(h, 4, 5, new Float64Array(8))).toThrow(nt.ArgumentError);
    expect(() => native.transfer(h, 6, h, 0, 3)).toThrow(nt.ArgumentError);
    expect(() => native.fromArray(0, 1, new Uint8Array(7))).toThrow(nt.ArgumentError); // not whole float64s
    expect(() => native.fromArray(0, 0, [1, 2] as unknown as Float32Array)).toThrow(nt.ArgumentError);
    // A typed array over shared memory and a detached one.
    expectTypedOrOk('fromArray(SharedArrayBuffer)', () =>
      native.dispose(native.fromArray(0, 0, new Float32Array(new SharedArrayBuffer(16)))),
    );
    const buf = new ArrayBuffer(16);
    const view = new Float32Array(buf);
    structuredClone(buf, { transfer: [buf] });
    expectTypedOrOk('fromArray(detached)', () => native.dispose(native.fromArray(0, 0, view)));
    expectTypedOrOk('toArray(detached)', () => native.toArray(h, 0, 1, view));
  });

  it('optimizer lists with holes, wrong lengths and handles disposed by a getter', () => {
    const p = native.alloc(0, 0, 4),
      g = native.alloc(0, 0, 4),
      m = native.alloc(0, 0, 4);
    live.push(p, g, m);
    A.set([0.1, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0]);
    calls += 3;
    // [p, , p]: a sparse list, its hole at index 1.
    // biome-ignore lint/suspicious/noSparseArray: the hole is the hostile input
    expect(() => native.kernels.sgd([p, , p] as StorageHandle[], [g, g, g], null)).toThrow(nt.ArgumentError);
    expect(() => native.kernels.sgd([p, p], [g], null)).toThrow(nt.ArgumentError);
    expect(() => native.kernels.sgd('x' as never, [g], null)).toThrow(nt.ArgumentError);
    // A getter on the list runs JS between two unwraps: it disposes a handle
    // already read. The kernel must notice, not write through a freed pointer.
    const victim = native.alloc(0, 0, 4);
    const list: unknown[] = [victim];
    Object.defineProperty(list, 1, {
      get: () => {
        native.dispose(victim);
        return p;
      },
      enumerable: true,
    });
    A.set([0.1, 0, 0, 0, 0, 0, 0, 4, 0, 0, 4, 0, 0]);
    calls++;
    expect(() => native.kernels.sgd(list as StorageHandle[], [g, g], null)).toThrow(nt.DisposedTensorError);
  });

  it('a detached args buffer cannot make the addon read freed memory', () => {
    // Transferring the shared args buffer away detaches it; the addon must not
    // keep reading through a pointer into memory JS may have freed. In a child
    // process: the detached buffer would break every later op of this one.
    const script = `
      const { native } = require('./lib/kernels/native.ts');
      const h = native.alloc(0, 0, 4);
      let moved = structuredClone(native.args.buffer, { transfer: [native.args.buffer] });
      new Float64Array(moved).fill(1e300);
      moved = undefined;
      global.gc();
      for (let i = 0; i < 50; i++) new ArrayBuffer(1 << 20); // churn: reuse the freed block
      let r = 'ok';
      try { native.kernels.fill(h); } catch (e) { r = e.constructor.name; }
      console.log(r);`;
    calls++;
    const out = execFileSync(
      process.execPath,
      ['--expose-gc', '-r', './test/reliability/children/ts_register.js', '-e', script],
      {
        encoding: 'utf8',
        timeout: 60000,
        cwd: ROOT,
      },
    );
    expect(out.trim()).toMatch(/^(ok|ArgumentError|NativeError)$/);
  });
});
