// nn.init.truncNormal_ and nn.init.orthogonal_, with PyTorch 1.13's methods.
// Both draw from the global generator (nt.manualSeed) into a float64 CPU
// tensor, finish on the host in float64 (erfinv refinement, a QR) and copy
// the result into the target once: initialisation is not a hot path.
import { ArgumentError, DTypeError, ShapeError } from '../errors';
import { data } from '../ops/convert';
import { checkTensor } from '../ops/elementwise';
import { noGrad } from '../ops/grad_mode';
import { erf } from '../ops/unary.gen';
import { empty, tensor } from '../tensor/creation';
import { isFloatingDType } from '../tensor/dtype';
import { formatShape } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';
import { checkNumber } from '../validate';
import '../ops/tensor_methods'; // this module calls Tensor methods

/** Writes row-major float64 `values` into `t` (any device, float dtype, layout). */
function writeInto(t: Tensor, values: Float64Array): Tensor {
  noGrad(() => {
    const src = tensor(values, { dtype: t.dtype, device: t.device, shape: t.shape });
    t.copy_(src);
    src.dispose();
  });
  return t;
}

function checkFloatTarget(op: string, t: unknown): Tensor {
  const x = checkTensor(op, t);
  if (!isFloatingDType(x.dtype)) throw new DTypeError(op, `a floating point tensor, got ${x.dtype}`);
  return x;
}

/** n values drawn by `fill` into a float64 CPU tensor, read back. */
function draw(n: number, fill: (x: Tensor) => void): Float64Array {
  const x = empty([n], { dtype: 'float64' });
  fill(x);
  const out = Float64Array.from(data(x) as Float64Array);
  x.dispose();
  return out;
}

/** erf of each value, computed by the erf op (float64, CPU). */
function erfOf(values: Float64Array): Float64Array {
  const x = tensor(values, { dtype: 'float64' });
  const e = erf(x);
  const out = Float64Array.from(data(e) as Float64Array);
  x.dispose();
  e.dispose();
  return out;
}

/** Giles (2010)'s single-precision erfinv: the start of the Newton refinement. */
function erfinvApprox(x: number): number {
  let w = -Math.log((1 - x) * (1 + x));
  let p: number;
  if (w < 5) {
    w -= 2.5;
    p = 2.81022636e-8;
    for (const c of [3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 0.00021858087, -0.00125372503, -0.00417768164])
      p = c + p * w;
    p = 1.50140941 + (0.246640727 + p * w) * w;
  } else {
    w = Math.sqrt(w) - 3;
    p = -0.000200214257;
    for (const c of [0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047])
      p = c + p * w;
    p = 2.83297682 + (1.00167406 + p * w) * w;
  }
  return p * x;
}

/**
 * Fills `t` from N(mean, std^2) truncated to [a, b], as PyTorch: u uniform
 * in [erf(alpha), erf(beta)) (alpha, beta the bounds standardised and divided
 * by sqrt 2), value = mean + std sqrt(2) erfinv(u), clamped to [a, b].
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
  const n = t.numel;
  if (n === 0) return t;
  const lo = (a - mean) / (std * Math.SQRT2);
  const hi = (b - mean) / (std * Math.SQRT2);
  const [eLo, eHi] = erfOf(Float64Array.of(lo, hi));
  const u = draw(n, (x) => x.uniform_(eLo, eHi));
  // Giles' start (about 1e-7 relative), kept inside the bounds so every Newton step is finite.
  const y = u.map((v) => Math.min(hi, Math.max(lo, erfinvApprox(v))));
  for (let iter = 0; iter < 2; ++iter) {
    const e = erfOf(y);
    for (let i = 0; i < n; ++i) {
      // Newton on erf(y) = u: erf'(y) = 2 / sqrt(pi) exp(-y^2).
      const step = (e[i] - u[i]) * (Math.sqrt(Math.PI) / 2) * Math.exp(y[i] * y[i]);
      if (Number.isFinite(step)) y[i] -= step;
    }
  }
  const values = y.map((v) => Math.min(b, Math.max(a, mean + std * Math.SQRT2 * v)));
  return writeInto(t, values);
}

/**
 * Orthonormal columns Q of the m x n (m >= n) row-major matrix A with R's
 * diagonal positive: modified Gram-Schmidt, each column orthogonalised
 * twice ("twice is enough") so Q is orthogonal to rounding even when A is
 * ill-conditioned. Returns Q row-major, m x n.
 */
function orthonormalColumns(A: Float64Array, m: number, n: number): Float64Array {
  const cols = Array.from({ length: n }, (_, j) => Float64Array.from({ length: m }, (_, i) => A[i * n + j]));
  for (let j = 0; j < n; ++j) {
    const v = cols[j];
    for (let pass = 0; pass < 2; ++pass) {
      for (let k = 0; k < j; ++k) {
        const q = cols[k];
        let d = 0;
        for (let i = 0; i < m; ++i) d += q[i] * v[i];
        for (let i = 0; i < m; ++i) v[i] -= d * q[i];
      }
    }
    let norm = 0;
    for (let i = 0; i < m; ++i) norm += v[i] * v[i];
    norm = Math.sqrt(norm);
    // A Gaussian matrix has full rank with probability 1; a zero norm would mean a broken generator.
    if (!(norm > 0)) throw new ArgumentError('orthogonal_', 'a full-rank random matrix, got a rank-deficient draw');
    for (let i = 0; i < m; ++i) v[i] /= norm;
  }
  const Q = new Float64Array(m * n);
  for (let j = 0; j < n; ++j) for (let i = 0; i < m; ++i) Q[i * n + j] = cols[j][i];
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
  const g = draw(rows * cols, (x) => x.normal_(0, 1)); // the rows x cols matrix, row-major
  const values = new Float64Array(rows * cols);
  if (rows >= cols) {
    const Q = orthonormalColumns(g, rows, cols);
    for (let i = 0; i < Q.length; ++i) values[i] = gain * Q[i];
  } else {
    // QR of the transpose (cols x rows), then transpose back.
    const gt = new Float64Array(rows * cols);
    for (let i = 0; i < rows; ++i) for (let j = 0; j < cols; ++j) gt[j * rows + i] = g[i * cols + j];
    const Q = orthonormalColumns(gt, cols, rows);
    for (let i = 0; i < rows; ++i) for (let j = 0; j < cols; ++j) values[i * cols + j] = gain * Q[j * rows + i];
  }
  return writeInto(t, values);
}
