// One test body per kernel family, run on every available device
// (describe.each(DEVICES)). Each body builds fresh random inputs (odd sizes
// 1, 31, 1025), poisons its outputs before the raw kernel launch (NaN /
// sentinel, so an unwritten element fails), and checks the result against a
// float64 JS reference; on CUDA it is also checked against the CPU twin on the
// same inputs. Without CUDA only the cpu rows run: a skipped test names
// nt.cuda.unavailableReason(). scripts/gpu-check.js covers every op code on the GPU machine.
import * as nt from '../lib';
import * as L from '../lib/kernels/launch';
import { emptyTensor } from '../lib/tensor/tensor';
import { launchAdam, launchSgd } from '../lib/kernels/fused';
import { DEVICES, erfRef, randomValues, testSeed, tolFor } from './helpers';

type FloatDType = 'float32' | 'float64';
const FLOATS: FloatDType[] = ['float32', 'float64'];
const SIZES = [1, 31, 1025];
const CUDA = nt.cuda.isAvailable();

/** Reference tolerance for a sum of n terms of size ~mag, in float32/64. */
function sumTol(dtype: FloatDType, n: number, mag = 2): { atol: number; rtol: number } {
  const u = dtype === 'float64' ? 2 ** -53 : 2 ** -24;
  const t = tolFor(dtype);
  return { atol: t.atol + 8 * u * n * mag, rtol: t.rtol };
}

function host(t: nt.Tensor): Float64Array {
  return Float64Array.from(t.to('cpu').double().data() as Float64Array);
}

/** Asserts |got - ref| <= atol + rtol |ref| (NaN only where ref is NaN). */
function expectNear(
  what: string,
  got: ArrayLike<number>,
  ref: ArrayLike<number>,
  tol: { atol: number; rtol: number },
): void {
  expect(got.length).toBe(ref.length);
  for (let i = 0; i < ref.length; ++i) {
    const e = ref[i],
      g = got[i];
    if (Number.isNaN(e) && Number.isNaN(g)) continue;
    if (e === g) continue;
    if (!(Math.abs(g - e) <= tol.atol + tol.rtol * Math.abs(e))) {
      throw new Error(
        `${what}: element ${i} is ${g}${Number.isNaN(g) ? ' (left unwritten: still poisoned)' : ''}, expected ${e} (atol ${tol.atol}, rtol ${tol.rtol})`,
      );
    }
  }
}

/** A tensor with values from `vals` stored as dtype on device, plus the stored values. */
function input(
  vals: Float64Array,
  shape: number[],
  dtype: nt.DType,
  device: nt.Device,
): { t: nt.Tensor; v: Float64Array } {
  const cpu = nt.tensor(vals, { dtype, shape });
  const v = host(cpu);
  return { t: device === 'cpu' ? cpu : cpu.to(device), v };
}

/** An output tensor filled with a value no kernel writes. */
function poisoned(shape: number[], dtype: nt.DType, device: nt.Device): nt.Tensor {
  const t = emptyTensor(shape, dtype, device);
  L.kFill(t, dtype === 'float32' || dtype === 'float64' ? NaN : dtype === 'bool' ? 1 : -123457);
  return t;
}

/**
 * Runs `launch` on `device`; when it is cuda, runs it again on the cpu with
 * the same inputs and compares. Returns the device result.
 */
function onDevice(
  device: nt.Device,
  run: (d: nt.Device) => Float64Array[],
  tol: { atol: number; rtol: number },
  what: string,
): Float64Array[] {
  const got = run(device);
  if (device !== 'cpu') {
    const cpu = run('cpu');
    cpu.forEach((c, k) => expectNear(`${what} (${device} vs cpu, output ${k})`, got[k], c, tol));
  }
  return got;
}

const U = L.UnaryOp;
// Keyed by every op code: an op without a reference does not compile.
const unaryRef: Record<L.UnaryOp, (x: number, p0: number, p1: number) => number> = {
  [U.Neg]: (x) => -x,
  [U.Abs]: Math.abs,
  [U.Exp]: Math.exp,
  [U.Log]: Math.log,
  [U.Sqrt]: Math.sqrt,
  [U.Rsqrt]: (x) => 1 / Math.sqrt(x),
  [U.Sigmoid]: (x) => 1 / (1 + Math.exp(-x)),
  [U.Tanh]: Math.tanh,
  [U.Relu]: (x) => Math.max(x, 0), // NaN stays NaN, as the kernel's
  [U.Gelu]: (x) => 0.5 * x * (1 + erfRef(x / Math.SQRT2)),
  [U.Sin]: Math.sin,
  [U.Cos]: Math.cos,
  [U.Sign]: Math.sign,
  [U.Square]: (x) => x * x,
  [U.Reciprocal]: (x) => 1 / x,
  [U.Floor]: Math.floor,
  [U.Ceil]: Math.ceil,
  [U.Round]: (x) => {
    const r = Math.round(x);
    return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  },
  [U.Log1p]: Math.log1p,
  [U.Expm1]: Math.expm1,
  [U.AddScalar]: (x, p) => x + p,
  [U.MulScalar]: (x, p) => x * p,
  [U.PowScalar]: (x, p) => x ** p,
  [U.RsubScalar]: (x, p) => p - x,
  [U.RdivScalar]: (x, p) => p / x,
  [U.Clamp]: (x, lo, hi) => Math.min(Math.max(x, lo), hi),
  [U.LeakyRelu]: (x, p) => (x > 0 ? x : p * x),
  [U.Erf]: erfRef,
  [U.Silu]: (x) => x / (1 + Math.exp(-x)),
  [U.Softplus]: (x, beta, threshold) => (beta * x > threshold ? x : Math.log1p(Math.exp(beta * x)) / beta),
  [U.GeluTanh]: (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
};
const UNARY_PARAMS: Record<number, [number, number]> = {
  [U.AddScalar]: [1.5, 0],
  [U.MulScalar]: [-2.5, 0],
  [U.PowScalar]: [2.5, 0],
  [U.RsubScalar]: [0.75, 0],
  [U.RdivScalar]: [3, 0],
  [U.Clamp]: [-0.5, 1.25],
  [U.LeakyRelu]: [0.01, 0],
  [U.Softplus]: [2, 1],
};
const POSITIVE = new Set<number>([U.Log, U.Sqrt, U.Rsqrt, U.Reciprocal, U.Log1p, U.PowScalar, U.RdivScalar]);

const Bop = L.BinaryOp;
const binaryRef: Record<L.BinaryOp, (a: number, b: number, alpha: number) => number> = {
  [Bop.Add]: (a, b, al) => a + al * b,
  [Bop.Sub]: (a, b, al) => a - al * b,
  [Bop.Mul]: (a, b) => a * b,
  [Bop.Div]: (a, b) => a / b,
  [Bop.Pow]: (a, b) => a ** b,
  [Bop.Maximum]: (a, b) => Math.max(a, b),
  [Bop.Minimum]: (a, b) => Math.min(a, b),
  [Bop.Eq]: (a, b) => +(a === b),
  [Bop.Ne]: (a, b) => +(a !== b),
  [Bop.Lt]: (a, b) => +(a < b),
  [Bop.Le]: (a, b) => +(a <= b),
  [Bop.Gt]: (a, b) => +(a > b),
  [Bop.Ge]: (a, b) => +(a >= b),
  [Bop.ReluBackward]: (g, x) => (x > 0 ? g : 0),
  [Bop.SigmoidBackward]: (g, y) => g * y * (1 - y),
  [Bop.TanhBackward]: (g, y) => g * (1 - y * y),
  [Bop.GeluBackward]: (g, x) =>
    g * (0.5 * (1 + erfRef(x / Math.SQRT2)) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI)),
  [Bop.SiluBackward]: (g, x) => {
    const sg = 1 / (1 + Math.exp(-x));
    return g * sg * (1 + x * (1 - sg));
  },
  [Bop.LogicalAnd]: (a, b) => +(a !== 0 && b !== 0),
  [Bop.LogicalOr]: (a, b) => +(a !== 0 || b !== 0),
  [Bop.GeluTanhBackward]: (g, x) => {
    const k = Math.sqrt(2 / Math.PI);
    const t = Math.tanh(k * (x + 0.044715 * x ** 3));
    return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x));
  },
};
const COMPARE = new Set<number>([Bop.Eq, Bop.Ne, Bop.Lt, Bop.Le, Bop.Gt, Bop.Ge]);
const LOGICAL = new Set<number>([Bop.LogicalAnd, Bop.LogicalOr]);

const codes = (e: object): [string, number][] =>
  Object.entries(e).filter(([k, v]) => typeof v === 'number' && Number.isNaN(Number(k))) as [string, number][];

describe('device parity: which devices run', () => {
  it('lists cpu always and cuda exactly when nt.cuda.isAvailable()', () => {
    expect(DEVICES[0]).toBe('cpu');
    expect(DEVICES.includes('cuda')).toBe(CUDA);
  });
  (CUDA ? it.skip : it)(`CUDA half skipped on this machine: ${CUDA ? '' : nt.cuda.unavailableReason()}`, () => {
    // Recorded as a passing test whose name carries the reason; the cuda rows
    // of every describe.each below did not run.
    expect(nt.cuda.unavailableReason().length).toBeGreaterThan(0);
  });
});

describe.each(DEVICES)('kernel families on %s', (device) => {
  it('unary: every op code, odd sizes and a transposed input', () => {
    const seed = testSeed();
    for (const [name, code] of codes(L.UnaryOp)) {
      for (const dtype of FLOATS) {
        for (const shape of [...SIZES.map((n) => [n]), [31, 33]]) {
          const n = shape.reduce((a, b) => a * b, 1);
          const vals = randomValues(n, seed + code * 7 + n, POSITIVE.has(code) ? 0.05 : -3, 3);
          const [p0, p1] = UNARY_PARAMS[code] ?? [0, 0];
          const outShape = shape.length === 2 ? [shape[1], shape[0]] : shape;
          const run = (d: nt.Device): Float64Array[] =>
            nt.scope(() => {
              const x = input(vals, shape, dtype, d).t;
              const out = poisoned(outShape, dtype, d);
              L.kUnary(code, out, shape.length === 2 ? x.transpose(0, 1) : x, p0, p1);
              return [host(out)];
            });
          const tol = tolFor(dtype);
          const [got] = onDevice(device, run, { atol: tol.atol * 2, rtol: tol.rtol * 2 }, `unary ${name} ${dtype}`);
          const stored = input(vals, shape, dtype, 'cpu').v;
          const ordered =
            shape.length === 2
              ? Float64Array.from({ length: n }, (_, i) => stored[(i % shape[0]) * shape[1] + Math.floor(i / shape[0])])
              : stored;
          const ref = Array.from(ordered, (x) => unaryRef[code as L.UnaryOp](x, p0, p1));
          expectNear(`unary ${name} ${dtype} [${shape}] vs float64 reference`, got, ref, {
            atol: tol.atol * 4,
            rtol: tol.rtol * 4,
          });
        }
      }
    }
  });

  it('binary: every op code, plain and broadcast', () => {
    const seed = testSeed();
    for (const [name, code] of codes(L.BinaryOp)) {
      for (const dtype of FLOATS) {
        for (const [sa, sb] of [
          [[1], [1]],
          [[31], [31]],
          [[1025], [1025]],
          [
            [31, 33],
            [1, 33],
          ],
          [
            [31, 1],
            [1, 33],
          ],
        ]) {
          const outShape = sa.map((s, i) => Math.max(s, sb[i]));
          const inDtype: nt.DType = LOGICAL.has(code) ? 'bool' : dtype;
          const outDtype: nt.DType = LOGICAL.has(code) || COMPARE.has(code) ? 'bool' : dtype;
          const gen = (shape: number[], k: number): Float64Array => {
            const n = shape.reduce((a, b) => a * b, 1);
            const v = randomValues(
              n,
              seed + code * 13 + k + n,
              k === 0 && code === Bop.Pow ? 0.1 : k === 1 && code === Bop.Div ? 0.5 : -2,
              3,
            );
            if (LOGICAL.has(code) || COMPARE.has(code)) for (let i = 0; i < n; ++i) v[i] = Math.floor(v[i]) % 2; // ties and zeros
            if (k === 1 && code === Bop.SigmoidBackward) for (let i = 0; i < n; ++i) v[i] = (v[i] + 2) / 5;
            if (k === 1 && code === Bop.TanhBackward) for (let i = 0; i < n; ++i) v[i] = (v[i] - 0.5) / 2.5;
            return v;
          };
          const va = gen(sa, 0),
            vb = gen(sb, 1);
          const alpha = code === Bop.Add || code === Bop.Sub ? 0.5 : 1;
          const run = (d: nt.Device): Float64Array[] =>
            nt.scope(() => {
              const out = poisoned(outShape, outDtype, d);
              L.kBinary(code, out, input(va, sa, inDtype, d).t, input(vb, sb, inDtype, d).t, alpha);
              return [host(out)];
            });
          const tol = outDtype === 'bool' ? { atol: 0, rtol: 0 } : tolFor(dtype);
          const [got] = onDevice(device, run, tol, `binary ${name} ${dtype}`);
          const a = input(va, sa, inDtype, 'cpu').v,
            b = input(vb, sb, inDtype, 'cpu').v;
          const ref = new Float64Array(got.length);
          for (let i = 0; i < ref.length; ++i) {
            const r = Math.floor(i / outShape[outShape.length - 1]),
              c = i % outShape[outShape.length - 1];
            const at = (v: Float64Array, s: number[]): number =>
              s.length === 1 ? v[i] : v[(s[0] === 1 ? 0 : r) * s[1] + (s[1] === 1 ? 0 : c)];
            ref[i] = binaryRef[code as L.BinaryOp](at(a, sa), at(b, sb), alpha);
          }
          expectNear(`binary ${name} ${dtype} [${sa}]x[${sb}] vs float64 reference`, got, ref, {
            atol: tol.atol * 2,
            rtol: tol.rtol * 2,
          });
        }
      }
    }
  });

  it('reduce: sum, mean, max, min, prod, argmax, argmin, logsumexp, var over inner and outer dims', () => {
    const seed = testSeed();
    const R = L.ReduceOp;
    const fns: Record<number, (g: number[]) => number> = {
      [R.Sum]: (g) => g.reduce((a, b) => a + b, 0),
      [R.Mean]: (g) => g.reduce((a, b) => a + b, 0) / g.length,
      [R.Max]: (g) => Math.max(...g),
      [R.Min]: (g) => Math.min(...g),
      [R.Prod]: (g) => g.reduce((a, b) => a * b, 1),
      [R.ArgMax]: (g) => g.indexOf(Math.max(...g)),
      [R.ArgMin]: (g) => g.indexOf(Math.min(...g)),
      [R.LogSumExp]: (g) => {
        const m = Math.max(...g);
        return m + Math.log(g.reduce((a, b) => a + Math.exp(b - m), 0));
      },
      [R.Var]: (g) => {
        const m = g.reduce((a, b) => a + b, 0) / g.length;
        return g.reduce((a, b) => a + (b - m) ** 2, 0) / (g.length - 1);
      },
    };
    for (const [name, code] of codes(R)) {
      for (const dtype of FLOATS) {
        for (const [rows, cols, dim] of [
          [31, 1025, 1],
          [1025, 31, 0],
          [1, 2, 1],
          [3, 1, 0],
        ]) {
          const vals = randomValues(
            rows * cols,
            seed + code + rows,
            code === R.Prod ? 0.97 : -2,
            code === R.Prod ? 1.03 : 2,
          );
          const nOut = dim === 1 ? rows : cols;
          const arg = code === R.ArgMax || code === R.ArgMin;
          const run = (d: nt.Device): Float64Array[] =>
            nt.scope(() => {
              const out = poisoned([nOut], arg ? 'int64' : dtype, d);
              L.kReduce(code, out, input(vals, [rows, cols], dtype, d).t, [dim], code === R.Var ? 1 : 0);
              return [host(out)];
            });
          const groupLen = dim === 1 ? cols : rows;
          const tol = arg || code === R.Max || code === R.Min ? { atol: 0, rtol: 0 } : sumTol(dtype, groupLen, 1.5);
          const [got] = onDevice(device, run, tol, `reduce ${name} ${dtype}`);
          const v = input(vals, [rows, cols], dtype, 'cpu').v;
          const ref = Array.from({ length: nOut }, (_, o) =>
            fns[code](Array.from({ length: groupLen }, (_, k) => (dim === 1 ? v[o * cols + k] : v[k * cols + o]))),
          );
          expectNear(
            `reduce ${name} ${dtype} [${rows},${cols}] dim ${dim}`,
            got,
            ref,
            tol.atol === 0 ? tol : sumTol(dtype, groupLen, 3),
          );
        }
      }
    }
  });

  it('softmax / log-softmax forward and backward', () => {
    const seed = testSeed();
    for (const dtype of FLOATS) {
      for (const cols of SIZES) {
        for (const log of [false, true]) {
          const rows = 31;
          const x = randomValues(rows * cols, seed + cols, -5, 5),
            dyv = randomValues(rows * cols, seed + cols + 1);
          const run = (d: nt.Device): Float64Array[] =>
            nt.scope(() => {
              const y = poisoned([rows, cols], dtype, d);
              L.kSoftmax(y, input(x, [rows, cols], dtype, d).t, rows, cols, log);
              const dx = poisoned([rows, cols], dtype, d);
              L.kSoftmaxBackward(dx, input(dyv, [rows, cols], dtype, d).t, y, rows, cols, log);
              return [host(y), host(dx)];
            });
          const tol = sumTol(dtype, cols, 4);
          const [y, dx] = onDevice(device, run, tol, `softmax log=${log} ${dtype}`);
          const xs = input(x, [rows, cols], dtype, 'cpu').v,
            dys = input(dyv, [rows, cols], dtype, 'cpu').v;
          const refY = new Float64Array(rows * cols),
            refDx = new Float64Array(rows * cols);
          for (let r = 0; r < rows; ++r) {
            const row = Array.from(xs.subarray(r * cols, (r + 1) * cols));
            const m = Math.max(...row),
              s = row.reduce((a, b) => a + Math.exp(b - m), 0);
            const yr = row.map((v) => (log ? v - m - Math.log(s) : Math.exp(v - m) / s));
            const ys = Array.from(y.subarray(r * cols, (r + 1) * cols)); // backward uses the kernel's own y
            const dyr = Array.from(dys.subarray(r * cols, (r + 1) * cols));
            const dot = log ? dyr.reduce((a, b) => a + b, 0) : dyr.reduce((a, b, k) => a + b * ys[k], 0);
            for (let k = 0; k < cols; ++k) {
              refY[r * cols + k] = yr[k];
              refDx[r * cols + k] = log ? dyr[k] - Math.exp(ys[k]) * dot : ys[k] * (dyr[k] - dot);
            }
          }
          expectNear(`softmax log=${log} ${dtype} cols ${cols}`, y, refY, tol);
          expectNear(`softmax backward log=${log} ${dtype} cols ${cols}`, dx, refDx, tol);
        }
      }
    }
  });

  it('gemm: every transpose combination, batched, batch stride 0, alpha and beta', () => {
    const seed = testSeed();
    for (const dtype of FLOATS) {
      for (const [M, N, K] of [
        [1, 1, 1],
        [31, 33, 1025],
        [5, 31, 7],
      ]) {
        for (const ta of [false, true]) {
          for (const tb of [false, true]) {
            for (const [batch, b0, beta] of [
              [1, false, 0],
              [3, true, 0.5],
            ] as [number, boolean, number][]) {
              const av = randomValues(batch * M * K, seed + M + K),
                bv = randomValues((b0 ? 1 : batch) * K * N, seed + N),
                cv = randomValues(batch * M * N, seed + 3);
              const run = (d: nt.Device): Float64Array[] =>
                nt.scope(() => {
                  const a = input(av, ta ? [batch, K, M] : [batch, M, K], dtype, d).t;
                  const b = input(bv, tb ? [b0 ? 1 : batch, N, K] : [b0 ? 1 : batch, K, N], dtype, d).t;
                  const c = beta ? input(cv, [batch, M, N], dtype, d).t : poisoned([batch, M, N], dtype, d);
                  L.kGemm(
                    batch,
                    M,
                    N,
                    K,
                    { t: a, ld: ta ? M : K, batchStride: M * K, trans: ta },
                    { t: b, ld: tb ? K : N, batchStride: b0 ? 0 : K * N, trans: tb },
                    { t: c, ld: N, batchStride: M * N },
                    1.25,
                    beta,
                  );
                  return [host(c)];
                });
              const tol = sumTol(dtype, K, 2.5);
              const [got] = onDevice(device, run, tol, `gemm ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} ${dtype}`);
              const A = input(av, [av.length], dtype, 'cpu').v,
                B = input(bv, [bv.length], dtype, 'cpu').v,
                C = input(cv, [cv.length], dtype, 'cpu').v;
              const ref = new Float64Array(batch * M * N);
              for (let q = 0; q < batch; ++q) {
                for (let i = 0; i < M; ++i) {
                  for (let j = 0; j < N; ++j) {
                    let s = 0;
                    for (let k = 0; k < K; ++k) {
                      const a = A[q * M * K + (ta ? k * M + i : i * K + k)];
                      const b = B[(b0 ? 0 : q) * K * N + (tb ? j * K + k : k * N + j)];
                      s += a * b;
                    }
                    const o = q * M * N + i * N + j;
                    ref[o] = 1.25 * s + (beta ? beta * C[o] : 0);
                  }
                }
              }
              expectNear(
                `gemm ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} ${dtype} M${M} N${N} K${K} batch ${batch}`,
                got,
                ref,
                tol,
              );
            }
          }
        }
      }
    }
  });

  it('fused cross-entropy: loss and dlogits, ignoreIndex and label smoothing', () => {
    const seed = testSeed();
    for (const dtype of FLOATS) {
      for (const C of [1, 10, 1025]) {
        for (const ls of [0, 0.1]) {
          const N = 31;
          const xv = randomValues(N * C, seed + C, -8, 8);
          const tv = Float64Array.from(randomValues(N, seed + C + 1, 0, C), (v, i) =>
            i % 7 === 3 ? -100 : Math.floor(v),
          );
          const run = (d: nt.Device): Float64Array[] =>
            nt.scope(() => {
              const losses = poisoned([N], dtype, d),
                dl = poisoned([N, C], dtype, d);
              L.kCrossEntropy(losses, dl, input(xv, [N, C], dtype, d).t, input(tv, [N], 'int64', d).t, -100, ls);
              return [host(losses), host(dl)];
            });
          const tol = sumTol(dtype, C, 8);
          const [loss, dl] = onDevice(device, run, tol, `crossEntropy ${dtype} C ${C}`);
          const x = input(xv, [N, C], dtype, 'cpu').v;
          const refL = new Float64Array(N),
            refD = new Float64Array(N * C);
          for (let r = 0; r < N; ++r) {
            if (tv[r] === -100) continue;
            const row = Array.from(x.subarray(r * C, (r + 1) * C));
            const m = Math.max(...row),
              lse = m + Math.log(row.reduce((a, b) => a + Math.exp(b - m), 0));
            const mean = row.reduce((a, b) => a + b, 0) / C;
            refL[r] = (1 - ls) * (lse - row[tv[r]]) + ls * (lse - mean);
            for (let k = 0; k < C; ++k) refD[r * C + k] = Math.exp(row[k] - lse) - (k === tv[r] ? 1 - ls : 0) - ls / C;
          }
          expectNear(`crossEntropy loss ${dtype} C ${C} ls ${ls}`, loss, refL, tol);
          expectNear(`crossEntropy dlogits ${dtype} C ${C} ls ${ls}`, dl, refD, tol);
        }
      }
    }
  });

  it('fused Adam / AdamW (amsgrad) and SGD (momentum, nesterov) over multi-tensor lists', () => {
    const seed = testSeed();
    const sizes = [1, 31, 1025];
    for (const dtype of FLOATS) {
      for (const v of [
        { decoupled: false, amsgrad: false, wd: 0 },
        { decoupled: true, amsgrad: true, wd: 0.01 },
      ]) {
        const vals = (k: number, lo: number, hi: number): Float64Array[] =>
          sizes.map((n, i) => randomValues(n, seed + k * 10 + i, lo, hi));
        const P = vals(1, -1, 1),
          G = vals(2, -1, 1),
          Mv = vals(3, -0.1, 0.1),
          V = vals(4, 0, 0.01),
          VM = vals(5, 0, 0.02);
        const h = {
          lr: 1e-2,
          beta1: 0.9,
          beta2: 0.999,
          eps: 1e-8,
          weightDecay: v.wd,
          bc1: 1 - 0.9 ** 3,
          bc2: 1 - 0.999 ** 3,
          decoupled: v.decoupled,
          amsgrad: v.amsgrad,
          maximize: false,
        };
        const run = (d: nt.Device): Float64Array[] =>
          nt.scope(() => {
            const mk = (arr: Float64Array[]): nt.Tensor[] => arr.map((a) => input(a, [a.length], dtype, d).t);
            const p = mk(P),
              m = mk(Mv),
              vv = mk(V),
              vm = mk(VM);
            launchAdam(p, mk(G), m, vv, v.amsgrad ? vm : null, h);
            return [...p, ...m, ...vv].map(host);
          });
        const got = onDevice(device, run, tolFor(dtype), `adam ${dtype}`);
        sizes.forEach((n, i) => {
          const st = (a: Float64Array[]): Float64Array => input(a[i], [n], dtype, 'cpu').v;
          const p = st(P),
            g = st(G),
            m = st(Mv),
            vv = st(V),
            vm = st(VM);
          const refP = new Float64Array(n),
            refM = new Float64Array(n),
            refV = new Float64Array(n);
          for (let k = 0; k < n; ++k) {
            let pk = p[k],
              gk = g[k];
            if (v.wd) {
              if (v.decoupled) pk *= 1 - h.lr * v.wd;
              else gk += v.wd * pk;
            }
            refM[k] = 0.9 * m[k] + 0.1 * gk;
            refV[k] = 0.999 * vv[k] + 0.001 * gk * gk;
            const vhat = v.amsgrad ? Math.max(vm[k], refV[k]) : refV[k];
            refP[k] = pk - (h.lr / h.bc1) * (refM[k] / (Math.sqrt(vhat) / Math.sqrt(h.bc2) + h.eps));
          }
          const tol = { atol: tolFor(dtype).atol * 4, rtol: tolFor(dtype).rtol * 4 };
          expectNear(`adam param ${i} ${dtype}`, got[i], refP, tol);
          expectNear(`adam expAvg ${i} ${dtype}`, got[3 + i], refM, tol);
          expectNear(`adam expAvgSq ${i} ${dtype}`, got[6 + i], refV, tol);
        });
      }
      for (const nesterov of [false, true]) {
        const P = sizes.map((n, i) => randomValues(n, seed + 100 + i)),
          G = sizes.map((n, i) => randomValues(n, seed + 200 + i)),
          Bf = sizes.map((n, i) => randomValues(n, seed + 300 + i));
        const h = {
          lr: 0.05,
          momentum: 0.9,
          dampening: nesterov ? 0 : 0.1,
          weightDecay: 1e-3,
          nesterov,
          firstStep: false,
          maximize: !nesterov,
        };
        const run = (d: nt.Device): Float64Array[] =>
          nt.scope(() => {
            const mk = (arr: Float64Array[]): nt.Tensor[] => arr.map((a) => input(a, [a.length], dtype, d).t);
            const p = mk(P),
              b = mk(Bf);
            launchSgd(p, mk(G), b, h);
            return [...p, ...b].map(host);
          });
        const got = onDevice(device, run, tolFor(dtype), `sgd ${dtype}`);
        sizes.forEach((n, i) => {
          const p = input(P[i], [n], dtype, 'cpu').v,
            g = input(G[i], [n], dtype, 'cpu').v,
            b = input(Bf[i], [n], dtype, 'cpu').v;
          const refP = new Float64Array(n),
            refB = new Float64Array(n);
          for (let k = 0; k < n; ++k) {
            let gk = h.maximize ? -g[k] : g[k];
            gk += h.weightDecay * p[k];
            refB[k] = h.momentum * b[k] + (1 - h.dampening) * gk;
            refP[k] = p[k] - h.lr * (nesterov ? gk + h.momentum * refB[k] : refB[k]);
          }
          expectNear(`sgd param ${i} ${dtype}`, got[i], refP, tolFor(dtype));
          expectNear(`sgd buf ${i} ${dtype}`, got[3 + i], refB, tolFor(dtype));
        });
      }
    }
  });

  it('indexing: indexSelect, indexAdd, gather, scatterAdd', () => {
    const seed = testSeed();
    for (const dtype of FLOATS) {
      const [outer, dimSize, inner, nIdx] = [3, 31, 5, 40];
      const xv = randomValues(outer * dimSize * inner, seed),
        sv = randomValues(outer * nIdx * inner, seed + 1);
      const iv = Float64Array.from(randomValues(nIdx, seed + 2, 0, dimSize), Math.floor);
      const run = (d: nt.Device): Float64Array[] =>
        nt.scope(() => {
          const x = input(xv, [outer, dimSize, inner], dtype, d).t,
            ix = input(iv, [nIdx], 'int64', d).t;
          const sel = poisoned([outer, nIdx, inner], dtype, d);
          L.kIndexSelect(sel, x, ix, outer, dimSize, inner);
          const acc = x.clone();
          L.kIndexAdd(acc, input(sv, [outer, nIdx, inner], dtype, d).t, ix, outer, dimSize, inner);
          const g = poisoned([outer, nIdx, inner], dtype, d);
          const gi = input(
            Float64Array.from({ length: outer * nIdx * inner }, (_, k) => iv[Math.floor(k / inner) % nIdx]),
            [outer, nIdx, inner],
            'int64',
            d,
          ).t;
          L.kGather(g, x, gi, 1);
          const sc = x.clone();
          L.kScatterAdd(sc, input(sv, [outer, nIdx, inner], dtype, d).t, gi, 1);
          return [host(sel), host(acc), host(g), host(sc)];
        });
      const tol = sumTol(dtype, 16, 2);
      const [sel, acc, g, sc] = onDevice(device, run, tol, `indexing ${dtype}`);
      const x = input(xv, [xv.length], dtype, 'cpu').v,
        s = input(sv, [sv.length], dtype, 'cpu').v;
      const refSel = new Float64Array(outer * nIdx * inner),
        refAcc = Float64Array.from(x);
      for (let o = 0; o < outer; ++o) {
        for (let j = 0; j < nIdx; ++j) {
          for (let i = 0; i < inner; ++i) {
            refSel[(o * nIdx + j) * inner + i] = x[(o * dimSize + iv[j]) * inner + i];
            refAcc[(o * dimSize + iv[j]) * inner + i] += s[(o * nIdx + j) * inner + i];
          }
        }
      }
      expectNear(`indexSelect ${dtype}`, sel, refSel, { atol: 0, rtol: 0 });
      expectNear(`gather ${dtype}`, g, refSel, { atol: 0, rtol: 0 }); // the same selection, written as a gather
      expectNear(`indexAdd ${dtype}`, acc, refAcc, tol);
      expectNear(`scatterAdd ${dtype}`, sc, refAcc, tol);
    }
  });

  it('random: uniform, normal, int, bernoulli from the Philox stream (cuda matches cpu bit for bit)', () => {
    const RK = L.RandomKind;
    for (const dtype of FLOATS) {
      for (const n of [...SIZES, 4099]) {
        for (const [kind, a, b, tol] of [
          [RK.Uniform, -1, 3, 0],
          [RK.Normal, 0.5, 2, 1e-6],
          [RK.Bernoulli, 0.3, 1, 0],
          [RK.Int, -5, 1000, 0],
        ] as [number, number, number, number][]) {
          const run = (d: nt.Device): Float64Array[] =>
            nt.scope(() => {
              const out = poisoned([n], dtype, d);
              L.kRandom(out, kind, 0x1234_5678_9abcn, 5, a, b);
              return [host(out)];
            });
          const [got] = onDevice(device, run, { atol: tol, rtol: tol }, `random kind ${kind} ${dtype} n ${n}`);
          expect(got.every(Number.isFinite)).toBe(true); // every element written
          if (kind === RK.Uniform) expect(got.every((v) => v >= a && v < b)).toBe(true);
          if (kind === RK.Bernoulli) expect(got.every((v) => v === 0 || v === 1)).toBe(true);
          if (kind === RK.Int) expect(got.every((v) => Number.isInteger(v) && v >= a && v < b)).toBe(true);
          if (n >= 1025) {
            const mean = got.reduce((s, v) => s + v, 0) / n;
            const expected =
              kind === RK.Uniform ? (a + b) / 2 : kind === RK.Normal ? a : kind === RK.Bernoulli ? a : (a + b - 1) / 2;
            const sd =
              kind === RK.Uniform
                ? (b - a) / Math.sqrt(12)
                : kind === RK.Normal
                  ? b
                  : kind === RK.Bernoulli
                    ? Math.sqrt(a * (1 - a))
                    : (b - a) / Math.sqrt(12);
            expect(Math.abs(mean - expected)).toBeLessThan((6 * sd) / Math.sqrt(n));
          }
        }
      }
    }
  });

  it('fill, copy with casts and strided sources, arange', () => {
    const seed = testSeed();
    for (const n of SIZES) {
      const vals = randomValues(n, seed + n, -50, 50);
      for (const [from, to] of [
        ['float32', 'float64'],
        ['float64', 'float32'],
        ['float32', 'int32'],
        ['float64', 'int64'],
        ['int64', 'float32'],
        ['float32', 'bool'],
      ] as [nt.DType, nt.DType][]) {
        const run = (d: nt.Device): Float64Array[] =>
          nt.scope(() => {
            const src = input(from.startsWith('int') ? vals.map(Math.trunc) : vals, [n], from, d).t;
            const out = poisoned([n], to, d);
            L.kCopy(out, src);
            return [host(out)];
          });
        const [got] = onDevice(device, run, { atol: 0, rtol: 0 }, `copy ${from}->${to}`);
        const stored = input(from.startsWith('int') ? vals.map(Math.trunc) : vals, [n], from, 'cpu').v;
        const ref = Array.from(stored, (v) =>
          to === 'bool' ? +(v !== 0) : to.startsWith('int') ? Math.trunc(v) : to === 'float32' ? Math.fround(v) : v,
        );
        expectNear(`copy ${from}->${to} n ${n}`, got, ref, { atol: 0, rtol: 0 });
      }
      for (const dtype of [...FLOATS, 'int64'] as nt.DType[]) {
        const run = (d: nt.Device): Float64Array[] =>
          nt.scope(() => {
            const f = poisoned([n], dtype, d),
              r = poisoned([n], dtype, d);
            L.kFill(f, 7);
            L.kArange(r, -3, dtype === 'int64' ? 2 : 0.25);
            return [host(f), host(r)];
          });
        const [f, r] = onDevice(device, run, { atol: 0, rtol: 0 }, `fill/arange ${dtype}`);
        expectNear(`fill ${dtype}`, f, new Array(n).fill(7), { atol: 0, rtol: 0 });
        expectNear(
          `arange ${dtype}`,
          r,
          Array.from({ length: n }, (_, i) => -3 + i * (dtype === 'int64' ? 2 : 0.25)),
          { atol: 0, rtol: 0 },
        );
      }
    }
    // A transposed source, and a write into a strided view whose other half stays poisoned.
    const v = randomValues(31 * 33, seed + 9);
    const run = (d: nt.Device): Float64Array[] =>
      nt.scope(() => {
        const out = poisoned([33, 62], 'float32', d);
        L.kCopy(out.narrow(1, 31, 31), input(v, [31, 33], 'float32', d).t.transpose(0, 1));
        return [host(out)];
      });
    const [got] = onDevice(device, run, { atol: 0, rtol: 0 }, 'copy transposed into view');
    const stored = input(v, [31, 33], 'float32', 'cpu').v;
    const ref = Array.from({ length: 33 * 62 }, (_, i) => {
      const r = Math.floor(i / 62),
        c = i % 62;
      return c < 31 ? NaN : stored[(c - 31) * 33 + r];
    });
    expectNear('copy transposed into a strided view', got, ref, { atol: 0, rtol: 0 });
  });
});
