// nn.init.truncNormal_ and nn.init.orthogonal_, with PyTorch 1.13's methods,
// drawing from the global generator (nt.manualSeed). truncNormal_ runs as
// float64 tensor ops on the target's device; orthogonal_ orthogonalises a
// float64 CPU matrix (GEMMs between blocks, the host within one) and copies
// the result in once.
import { ArgumentError, DTypeError, ShapeError } from '../errors';
import { cast, data, to } from '../ops/convert';
import { matmul } from '../ops/linalg';
import { add, checkTensor, clamp, lt, mul, sub, where } from '../ops/elementwise';
import { noGrad } from '../ops/grad_mode';
import { erf, exp, log, neg, sqrt, square } from '../ops/unary.gen';
import { contiguous, narrow, reshape, transpose } from '../ops/views';
import { empty, tensor } from '../tensor/creation';
import { scope } from '../tensor/scope';
import { isFloatingDType } from '../tensor/dtype';
import { formatShape } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';
import { checkNumber } from '../validate';
import '../ops/tensor_methods'; // this module calls Tensor methods

function checkFloatTarget(op: string, t: unknown): Tensor {
  const x = checkTensor(op, t);
  if (!isFloatingDType(x.dtype)) throw new DTypeError(op, `a floating point tensor, got ${x.dtype}`);
  return x;
}

/** Horner's rule on a tensor: c[0] w^(k-1) + ... + c[k-1]. */
function horner(w: Tensor, c: readonly number[]): Tensor {
  let p = add(mul(w, c[0]), c[1]);
  for (let i = 2; i < c.length; ++i) p = add(mul(p, w), c[i]);
  return p;
}

/**
 * erfinv(u) for a float64 tensor u in (-1, 1): Giles (2010)'s single-precision
 * approximation (about 1e-7 relative), clamped to [lo, hi] so each step
 * stays finite, then two Newton steps on erf(y) = u to float64 accuracy.
 */
function erfinvClamped(u: Tensor, lo: number, hi: number): Tensor {
  const w = neg(log(mul(sub(1, u), add(u, 1))));
  const central = horner(
    sub(w, 2.5),
    [
      2.81022636e-8, 3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 0.00021858087, -0.00125372503, -0.00417768164,
      0.246640727, 1.50140941,
    ],
  );
  const tail = horner(
    sub(sqrt(w), 3),
    [
      -0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047,
      1.00167406, 2.83297682,
    ],
  );
  let y = clamp(mul(where(lt(w, 5), central, tail), u), lo, hi);
  for (let iter = 0; iter < 2; ++iter) {
    // erf'(y) = 2 / sqrt(pi) exp(-y^2); y^2 capped so exp stays finite (erf(y) = u exactly out there).
    const slope = exp(clamp(square(y), null, 700));
    y = sub(y, mul(mul(sub(erf(y), u), slope), Math.sqrt(Math.PI) / 2));
  }
  return y;
}

/**
 * Fills `t` from N(mean, std^2) truncated to [a, b], as PyTorch: u uniform
 * in [erf(alpha), erf(beta)) (alpha, beta the bounds standardised and divided
 * by sqrt 2), value = mean + std sqrt(2) erfinv(u), clamped to [a, b].
 * Computed in float64 on the tensor's device.
 */
export function truncNormal_(t: Tensor, mean = 0, std = 1, a = -2, b = 2): Tensor {
  const op = 'truncNormal_';
  checkFloatTarget(op, t);
  checkNumber(op, 'mean', mean);
  checkNumber(op, 'std', std);
  checkNumber(op, 'a', a);
  checkNumber(op, 'b', b);
  if (!(std > 0)) throw new ArgumentError(op, `std > 0, got ${std}`);
  if (!(a < b)) throw new ArgumentError(op, `a < b, got a ${a} and b ${b}`);
  if (t.numel === 0) return t;
  const lo = (a - mean) / (std * Math.SQRT2);
  const hi = (b - mean) / (std * Math.SQRT2);
  noGrad(() =>
    scope(() => {
      const [eLo, eHi] = data(erf(tensor([lo, hi], { dtype: 'float64' }))) as Float64Array;
      const u = empty(t.shape, { dtype: 'float64', device: t.device }).uniform_(eLo, eHi);
      const y = erfinvClamped(u, lo, hi);
      t.copy_(cast(clamp(add(mul(y, std * Math.SQRT2), mean), a, b), t.dtype));
    }),
  );
  return t;
}

/**
 * In place on an m x b row-major block: orthonormalises its columns by
 * modified Gram-Schmidt, each column twice ("twice is enough"), keeping R's
 * diagonal positive.
 */
function orthonormaliseBlock(v: Float64Array, m: number, b: number): void {
  for (let c = 0; c < b; ++c) {
    for (let pass = 0; pass < 2; ++pass) {
      for (let k = 0; k < c; ++k) {
        let d = 0;
        for (let i = 0; i < m; ++i) d += v[i * b + k] * v[i * b + c];
        for (let i = 0; i < m; ++i) v[i * b + c] -= d * v[i * b + k];
      }
    }
    let norm = 0;
    for (let i = 0; i < m; ++i) norm += v[i * b + c] * v[i * b + c];
    norm = Math.sqrt(norm);
    // A Gaussian matrix has full rank with probability 1; a zero norm would mean a broken generator.
    if (!(norm > 0)) throw new ArgumentError('orthogonal_', 'a full-rank random matrix, got a rank-deficient draw');
    for (let i = 0; i < m; ++i) v[i * b + c] /= norm;
  }
}

/** Columns per block: GEMMs project out the earlier blocks, the host orthonormalises within one. */
const BLOCK = 32;

/**
 * Q (m x n, m >= n) with orthonormal columns and A = Q R, R upper triangular
 * with a positive diagonal (the QR that is unique), for a float64 CPU matrix
 * A: block Gram-Schmidt, each block's projection on the earlier columns
 * removed twice by GEMMs, then orthonormalised on the host.
 */
function orthonormalColumns(A: Tensor): Tensor {
  const [m, n] = A.shape;
  const Q = empty([m, n], { dtype: 'float64' });
  for (let j = 0; j < n; j += BLOCK) {
    const b = Math.min(BLOCK, n - j);
    scope(() => {
      let v = contiguous(narrow(A, 1, j, b));
      if (j > 0) {
        const prev = narrow(Q, 1, 0, j);
        for (let pass = 0; pass < 2; ++pass) v = sub(v, matmul(prev, matmul(transpose(prev, 0, 1), v)));
      }
      const block = Float64Array.from(data(contiguous(v)) as Float64Array);
      orthonormaliseBlock(block, m, b);
      narrow(Q, 1, j, b).copy_(tensor(block, { dtype: 'float64', shape: [m, b] }));
    });
  }
  return Q;
}

/**
 * Fills `t` (2+ dims, viewed as rows = size(0) by cols = the rest) with a
 * (semi-)orthogonal matrix times `gain`, as PyTorch: Q of the QR of a
 * Gaussian matrix (transposed when rows < cols) with R's diagonal made
 * positive, so Q is uniformly (Haar) distributed. Rows are orthonormal when
 * rows <= cols, columns otherwise.
 */
export function orthogonal_(t: Tensor, gain = 1): Tensor {
  const op = 'orthogonal_';
  checkFloatTarget(op, t);
  checkNumber(op, 'gain', gain);
  if (t.ndim < 2) throw new ShapeError(op, `a tensor with at least 2 dims, got ${formatShape(t.shape)}`);
  if (t.numel === 0) return t;
  const rows = t.shape[0];
  const cols = t.numel / rows;
  noGrad(() =>
    scope(() => {
      const g = empty([rows, cols], { dtype: 'float64' }).normal_(0, 1);
      // rows < cols: the QR of the transpose, transposed back.
      const q =
        rows >= cols ? orthonormalColumns(g) : transpose(orthonormalColumns(contiguous(transpose(g, 0, 1))), 0, 1);
      t.copy_(to(reshape(mul(q, gain), t.shape), { dtype: t.dtype, device: t.device }));
    }),
  );
  return t;
}
