// Kernel launches: writes one call's shapes, strides and scalars into the
// shared argument buffer (layouts mirror native/addon/kernel_bindings.cpp)
// and calls the kernel. No autograd and no user-facing checks here beyond
// devices: callers (lib/tensor, lib/ops, ...) check shapes and dtypes first.
// Operands are KernelTensors (lib/kernels/operand.ts): a Tensor fits, and
// this layer never imports lib/tensor.
import { BinaryOp, RandomKind, ReduceOp, UnaryOp } from '../../bindings/codes';
import { native } from './native';
import { DeviceError } from '../errors';
import { gemmNoticeOnce } from './gemm_notice';
import { type KernelTensor as Tensor, type Shape, broadcastStrides } from './operand';

const A = native.args;
const K = native.kernels;

export function sameDevice(op: string, ...ts: Tensor[]): Tensor['device'] {
  const d = ts[0].device;
  for (let i = 1; i < ts.length; ++i) {
    if (ts[i].device !== d) {
      throw new DeviceError(op, `expected all tensors on the same device, got ${ts.map((t) => t.device).join(' and ')}`);
    }
  }
  return d;
}

/**
 * Merges adjacent dims that are contiguous with each other in every operand,
 * so most elementwise calls reach the kernels as 1-D loops.
 */
function coalesce(shape: Shape, strides: number[][]): { shape: number[]; strides: number[][] } {
  const n = shape.length;
  if (n <= 1) return { shape: shape as number[], strides };
  const outShape: number[] = [shape[0]];
  const outStrides = strides.map((s) => [s[0]]);
  for (let d = 1; d < n; ++d) {
    const size = shape[d];
    const last = outShape.length - 1;
    let merge = true;
    for (let k = 0; k < strides.length; ++k) {
      if (outStrides[k][last] !== strides[k][d] * size) { merge = false; break; }
    }
    if (size === 1) continue;
    if (outShape[last] === 1) {
      outShape[last] = size;
      for (let k = 0; k < strides.length; ++k) outStrides[k][last] = strides[k][d];
    } else if (merge) {
      outShape[last] *= size;
      for (let k = 0; k < strides.length; ++k) outStrides[k][last] = strides[k][d];
    } else {
      outShape.push(size);
      for (let k = 0; k < strides.length; ++k) outStrides[k].push(strides[k][d]);
    }
  }
  return { shape: outShape, strides: outStrides };
}

/** Writes shape then one (offset, strides) block per operand, from slot i; returns the next slot. */
function putElementwise(i: number, shape: Shape, operands: Tensor[], op: string): number {
  const strides = operands.map((t, k) => (k === 0 ? (t.strides as number[]) : broadcastStrides(op, t.shape, t.strides, shape)));
  const c = coalesce(shape, strides);
  const nd = c.shape.length;
  A[i++] = nd;
  for (let d = 0; d < nd; ++d) A[i++] = c.shape[d];
  for (let k = 0; k < operands.length; ++k) {
    A[i++] = operands[k].offset;
    const s = c.strides[k];
    for (let d = 0; d < nd; ++d) A[i++] = s[d];
  }
  return i;
}

export function kFill(out: Tensor, value: number): void {
  A[putElementwise(0, out.shape, [out], 'fill')] = value;
  K.fill(out._handle('fill'));
}

/** out[...] = src[...] (src broadcast to out's shape, dtype cast). */
export function kCopy(out: Tensor, src: Tensor): void {
  sameDevice('copy', out, src);
  putElementwise(0, out.shape, [out, src], 'copy');
  K.copy(out._handle('copy'), src._handle('copy'));
}

export function kArange(out: Tensor, start: number, step: number): void {
  A[0] = out.numel;
  A[1] = out.offset;
  A[2] = start;
  A[3] = step;
  K.arange(out._handle('arange'));
}

export function kUnary(op: UnaryOp, out: Tensor, x: Tensor, p0 = 0, p1 = 0): void {
  A[0] = op;
  A[1] = p0;
  A[2] = p1;
  putElementwise(3, out.shape, [out, x], 'unary');
  K.unary(out._handle('unary'), x._handle('unary'));
}

export function kBinary(op: BinaryOp, out: Tensor, a: Tensor, b: Tensor, alpha = 1): void {
  sameDevice('binary', out, a, b);
  A[0] = op;
  A[1] = alpha;
  putElementwise(2, out.shape, [out, a, b], 'binary');
  K.binary(out._handle('binary'), a._handle('binary'), b._handle('binary'));
}

export function kWhere(out: Tensor, cond: Tensor, a: Tensor, b: Tensor): void {
  sameDevice('where', out, cond, a, b);
  putElementwise(0, out.shape, [out, cond, a, b], 'where');
  K.where(out._handle('where'), cond._handle('where'), a._handle('where'), b._handle('where'));
}

/**
 * Reduces x over `dims` (sorted, distinct) into the contiguous `out`, whose
 * numel is the product of the kept dims.
 */
export function kReduce(op: ReduceOp, out: Tensor, x: Tensor, dims: readonly number[], p0 = 0): void {
  sameDevice('reduce', out, x);
  const reduced = new Set(dims);
  const outerDims: number[] = [];
  for (let d = 0; d < x.ndim; ++d) if (!reduced.has(d)) outerDims.push(d);
  // Coalesce each group separately (outer dims keep their order, so do inner).
  const outer = coalesce(outerDims.map((d) => x.shape[d]), [outerDims.map((d) => x.strides[d])]);
  const inner = dims.length && op !== ReduceOp.ArgMax && op !== ReduceOp.ArgMin
    ? coalesce(dims.map((d) => x.shape[d]), [dims.map((d) => x.strides[d])])
    : { shape: dims.map((d) => x.shape[d]), strides: [dims.map((d) => x.strides[d])] };
  let i = 0;
  A[i++] = op;
  A[i++] = p0;
  A[i++] = outer.shape.length;
  for (const s of outer.shape) A[i++] = s;
  A[i++] = inner.shape.length;
  for (const s of inner.shape) A[i++] = s;
  A[i++] = x.offset;
  for (const s of outer.strides[0]) A[i++] = s;
  for (const s of inner.strides[0]) A[i++] = s;
  A[i++] = out.offset;
  K.reduce(out._handle('reduce'), x._handle('reduce'));
}

/** Row-wise softmax of contiguous [rows, cols] tensors. */
export function kSoftmax(out: Tensor, x: Tensor, rows: number, cols: number, log: boolean): void {
  sameDevice('softmax', out, x);
  A[0] = rows; A[1] = cols; A[2] = log ? 1 : 0; A[3] = out.offset; A[4] = x.offset;
  K.softmax(out._handle('softmax'), x._handle('softmax'));
}

export function kSoftmaxBackward(dx: Tensor, dy: Tensor, y: Tensor, rows: number, cols: number, log: boolean): void {
  sameDevice('softmax_backward', dx, dy, y);
  A[0] = rows; A[1] = cols; A[2] = log ? 1 : 0; A[3] = dx.offset; A[4] = dy.offset; A[5] = y.offset;
  K.softmaxBackward(dx._handle('softmax_backward'), dy._handle('softmax_backward'), y._handle('softmax_backward'));
}

/** One matrix operand of a GEMM: its storage offset, leading dim and batch stride. */
export interface GemmOperand { t: Tensor; ld: number; batchStride: number; trans: boolean }

let gemmNoticed = false;

export function kGemm(
  batch: number, M: number, N: number, Kdim: number,
  a: GemmOperand, b: GemmOperand, c: { t: Tensor; ld: number; batchStride: number },
  alpha = 1, beta = 0,
): void {
  sameDevice('matmul', c.t, a.t, b.t);
  if (!gemmNoticed) {
    gemmNoticed = true;
    gemmNoticeOnce(); // once per process: GEMM on the portable kernel, and how to fix it
  }
  let i = 0;
  A[i++] = batch; A[i++] = M; A[i++] = N; A[i++] = Kdim;
  A[i++] = a.t.offset; A[i++] = a.ld; A[i++] = a.batchStride; A[i++] = a.trans ? 1 : 0;
  A[i++] = b.t.offset; A[i++] = b.ld; A[i++] = b.batchStride; A[i++] = b.trans ? 1 : 0;
  A[i++] = c.t.offset; A[i++] = c.ld; A[i++] = c.batchStride;
  A[i++] = alpha; A[i++] = beta;
  K.gemm(c.t._handle('matmul'), a.t._handle('matmul'), b.t._handle('matmul'));
}

/** Fused cross-entropy over contiguous logits [N, C]. */
export function kCrossEntropy(
  losses: Tensor, dlogits: Tensor | null, logits: Tensor, targets: Tensor,
  ignoreIndex: number, labelSmoothing: number,
): void {
  sameDevice('cross_entropy', losses, logits, targets);
  const [N, C] = logits.shape;
  A[0] = N; A[1] = C; A[2] = ignoreIndex; A[3] = labelSmoothing;
  A[4] = losses.offset; A[5] = dlogits ? dlogits.offset : 0; A[6] = logits.offset; A[7] = targets.offset;
  K.crossEntropy(losses._handle('cross_entropy'), dlogits ? dlogits._handle('cross_entropy') : null,
    logits._handle('cross_entropy'), targets._handle('cross_entropy'));
}

/** out[o, j, i] = x[o, index[j], i] for contiguous x viewed as [outer, dimSize, inner]. */
export function kIndexSelect(out: Tensor, x: Tensor, index: Tensor, outer: number, dimSize: number, inner: number): void {
  sameDevice('index_select', out, x, index);
  A[0] = outer; A[1] = dimSize; A[2] = inner; A[3] = index.numel;
  A[4] = out.offset; A[5] = x.offset; A[6] = index.offset;
  K.indexSelect(out._handle('index_select'), x._handle('index_select'), index._handle('index_select'));
}

export function kIndexAdd(out: Tensor, src: Tensor, index: Tensor, outer: number, dimSize: number, inner: number): void {
  sameDevice('index_add', out, src, index);
  A[0] = outer; A[1] = dimSize; A[2] = inner; A[3] = index.numel;
  A[4] = out.offset; A[5] = src.offset; A[6] = index.offset;
  K.indexAdd(out._handle('index_add'), src._handle('index_add'), index._handle('index_add'));
}

function putGather(index: Tensor, selfShape: Shape, dim: number): number {
  let i = 0;
  A[i++] = index.ndim;
  for (const s of index.shape) A[i++] = s;
  A[i++] = selfShape.length;
  for (const s of selfShape) A[i++] = s;
  A[i++] = dim;
  return i;
}

/** Contiguous operands only. out has index's shape. */
export function kGather(out: Tensor, x: Tensor, index: Tensor, dim: number): void {
  sameDevice('gather', out, x, index);
  let i = putGather(index, x.shape, dim);
  A[i++] = out.offset; A[i++] = x.offset; A[i++] = index.offset;
  K.gather(out._handle('gather'), x._handle('gather'), index._handle('gather'));
}

/** out (self shape) += src (index shape) scattered along dim. Contiguous operands. */
export function kScatterAdd(out: Tensor, src: Tensor, index: Tensor, dim: number): void {
  sameDevice('scatter_add', out, src, index);
  let i = putGather(index, out.shape, dim);
  A[i++] = out.offset; A[i++] = src.offset; A[i++] = index.offset;
  K.scatterAdd(out._handle('scatter_add'), src._handle('scatter_add'), index._handle('scatter_add'));
}

/** Fills a contiguous tensor from the Philox stream (seed, offset). */
export function kRandom(out: Tensor, kind: RandomKind, seed: bigint, offset: number, a: number, b: number): void {
  A[0] = kind;
  A[1] = out.numel;
  A[2] = out.offset;
  A[3] = Number(seed & 0xffffffffn);
  A[4] = Number((seed >> 32n) & 0xffffffffn);
  A[5] = offset;
  A[6] = a;
  A[7] = b;
  K.random(out._handle('random'));
}

export { BinaryOp, RandomKind, ReduceOp, UnaryOp };
