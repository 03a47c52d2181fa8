// Matrix products through the backend GEMM. Transposed views are passed to
// BLAS as transpose flags, never copied; batch dims broadcast.
import { record } from './record';
import { DTypeError, ShapeError } from '../errors';
import { isFloatingDType } from '../tensor/dtype';
import { broadcastShapes, formatShape } from '../tensor/shape';
import { type Tensor, emptyTensor as empty } from '../tensor/tensor';
import { cast } from './convert';
import { checkTensor, fillInPlace } from './elementwise';
import { type GemmOperand, kCopy, kGemm, sameDevice } from '../kernels/launch';
import { contiguous, expand, reshape, squeeze, unsqueeze } from './views';

/**
 * Describes the last two dims of x (rows x cols) as a BLAS operand, or null
 * when its strides need a copy first.
 */
function matrixOperand(x: Tensor, rows: number, cols: number): { ld: number; trans: boolean } | null {
  const n = x.ndim;
  const rs = x.strides[n - 2];
  const cs = x.strides[n - 1];
  if ((cs === 1 || cols === 1) && (rs >= cols || rows === 1))
    return { ld: Math.max(rows === 1 ? cols : rs, cols, 1), trans: false };
  if ((rs === 1 || rows === 1) && (cs >= rows || cols === 1))
    return { ld: Math.max(cols === 1 ? rows : cs, rows, 1), trans: true };
  return null;
}

/** One stride that walks all batch dims of x, or null when there is none. */
function batchStride(x: Tensor, batchDims: number): number | null {
  if (batchDims === 0) return 0;
  let stride: number | null = null;
  let expectNext: number | null = null;
  for (let d = batchDims - 1; d >= 0; --d) {
    const size = x.shape[d];
    const st = x.strides[d];
    if (size === 1) continue;
    if (stride === null) {
      stride = st;
      expectNext = st * size;
    } else {
      if (st !== expectNext && !(st === 0 && stride === 0)) return null;
      expectNext = st * size;
    }
  }
  return stride ?? 0;
}

function asGemmOperand(x: Tensor, batchDims: number, rows: number, cols: number): GemmOperand {
  let m = matrixOperand(x, rows, cols);
  let bs = batchStride(x, batchDims);
  let t = x;
  if (!m || bs === null) {
    t = contiguous(x);
    m = matrixOperand(t, rows, cols) ?? { ld: Math.max(cols, 1), trans: false };
    bs = batchStride(t, batchDims) ?? rows * cols;
  }
  return { t, ld: m.ld, batchStride: bs, trans: m.trans };
}

/** a @ b for a.ndim >= 2 and b.ndim >= 2 (batch dims broadcast). */
function matmulNd(a: Tensor, b: Tensor): Tensor {
  const M = a.shape[a.ndim - 2];
  const K = a.shape[a.ndim - 1];
  const K2 = b.shape[b.ndim - 2];
  const N = b.shape[b.ndim - 1];
  if (K !== K2) {
    throw new ShapeError(
      'matmul',
      `shapes ${formatShape(a.shape)} and ${formatShape(b.shape)} cannot be multiplied (${K} != ${K2})`,
    );
  }
  const batch = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  const ae = expand(a, [...batch, M, K]);
  const be = expand(b, [...batch, K, N]);
  const nb = batch.reduce((x, y) => x * y, 1);
  const out = empty([...batch, M, N], a.dtype, a.device);
  if (out.numel > 0) {
    if (K === 0) {
      fillInPlace(out, 0);
    } else {
      const ao = asGemmOperand(ae, batch.length, M, K);
      const bo = asGemmOperand(be, batch.length, K, N);
      kGemm(nb, M, N, K, ao, bo, { t: out, ld: N, batchStride: M * N });
    }
  }
  return record('matmul', out, [a, b], () => ({ a, b }));
}

/**
 * Both operands of one floating dtype, as PyTorch requires (it raises rather
 * than promote: an int64 batch into a float32 layer is a bug to report, and a
 * float64 one would silently double the cost).
 */
function floatOperands(op: string, a: Tensor, b: Tensor, names = ['a', 'b']): [Tensor, Tensor] {
  checkTensor(op, a);
  checkTensor(op, b);
  sameDevice(op, a, b);
  if (a.dtype !== b.dtype || !isFloatingDType(a.dtype)) {
    const target = isFloatingDType(b.dtype) ? b.dtype : isFloatingDType(a.dtype) ? a.dtype : 'float32';
    const fix = target === 'float64' ? '.double()' : '.float()';
    throw new DTypeError(
      op,
      `expected ${names[0]} and ${names[1]} of the same floating dtype, got ${a.dtype} and ${b.dtype}; convert with ${fix}`,
    );
  }
  return [a, b];
}

/** PyTorch's matmul: 1-D, 2-D and batched operands. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const [x, y] = floatOperands('matmul', a, b);
  if (x.ndim === 0 || y.ndim === 0) throw new ShapeError('matmul', 'both arguments need at least 1 dim');
  if (x.ndim === 1 && y.ndim === 1) {
    if (x.shape[0] !== y.shape[0]) {
      throw new ShapeError(
        'matmul',
        `shapes ${formatShape(x.shape)} and ${formatShape(y.shape)} cannot be multiplied (${x.shape[0]} != ${y.shape[0]})`,
      );
    }
    return reshape(matmulNd(unsqueeze(x, 0), unsqueeze(y, 1)), []);
  }
  if (x.ndim === 1) return squeeze(matmulNd(unsqueeze(x, 0), y), -2);
  if (y.ndim === 1) return squeeze(matmulNd(x, unsqueeze(y, 1)), -1);
  return matmulNd(x, y);
}

export function mm(a: Tensor, b: Tensor): Tensor {
  const [x, y] = floatOperands('mm', a, b);
  if (x.ndim !== 2 || y.ndim !== 2)
    throw new ShapeError('mm', `expects 2-D tensors, got ${formatShape(x.shape)} and ${formatShape(y.shape)}`);
  return matmulNd(x, y);
}

export function bmm(a: Tensor, b: Tensor): Tensor {
  const [x, y] = floatOperands('bmm', a, b);
  if (x.ndim !== 3 || y.ndim !== 3 || x.shape[0] !== y.shape[0]) {
    throw new ShapeError(
      'bmm',
      `expects 3-D tensors with equal batch, got ${formatShape(x.shape)} and ${formatShape(y.shape)}`,
    );
  }
  return matmulNd(x, y);
}

/**
 * y = x @ weight^T + bias in one GEMM: the bias is broadcast into the output
 * first and the GEMM accumulates onto it (beta = 1). x is [..., in].
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const [xi, w] = floatOperands('linear', x, weight, ['input', 'weight']);
  if (w.ndim !== 2) throw new ShapeError('linear', `weight must be 2-D, got ${formatShape(w.shape)}`);
  if (xi.ndim < 1) throw new ShapeError('linear', 'input needs at least 1 dim');
  const inF = w.shape[1];
  const outF = w.shape[0];
  if (xi.shape[xi.ndim - 1] !== inF) {
    throw new ShapeError(
      'linear',
      `input ${formatShape(xi.shape)} and weight ${formatShape(w.shape)} cannot be multiplied (${xi.shape[xi.ndim - 1]} != ${inF})`,
    );
  }
  let b: Tensor | null = null;
  if (bias) {
    checkTensor('linear', bias, 'bias');
    sameDevice('linear', xi, bias);
    b = cast(bias, xi.dtype);
    if (b.ndim !== 1 || b.shape[0] !== outF)
      throw new ShapeError('linear', `bias must have shape [${outF}], got ${formatShape(b.shape)}`);
  }
  const lead = xi.shape.slice(0, -1);
  const rows = lead.reduce((p, q) => p * q, 1);
  const x2 = reshape(xi, [rows, inF]);
  const out2 = empty([rows, outF], xi.dtype, xi.device);
  if (b) kCopy(out2, b);
  if (out2.numel > 0) {
    if (inF === 0) {
      if (!b) fillInPlace(out2, 0);
    } else {
      const xo = asGemmOperand(x2, 0, rows, inF);
      const wo = asGemmOperand(w, 0, outF, inF);
      // out = x @ w^T: B = w^T, i.e. w with its transpose flag flipped.
      kGemm(1, rows, outF, inF, xo, { ...wo, trans: !wo.trans }, { t: out2, ld: outF, batchStride: 0 }, 1, b ? 1 : 0);
    }
  }
  const out = record('linear', out2, [x2, w, b], () => ({ x: x2, w }));
  return lead.length === 1 ? out : reshape(out, [...lead, outF]);
}
