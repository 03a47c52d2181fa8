// Kernel launches: turn tensors into the arguments of the generated kernel
// writers (bindings/kernels.gen.ts), which fill the shared buffer and call
// the kernel. No autograd and no user-facing checks here beyond devices:
// callers (lib/tensor, lib/ops, ...) check shapes and dtypes first.
// Operands are KernelTensors (lib/kernels/operand.ts): a Tensor fits, and
// this layer never imports lib/tensor.
import { BinaryOp, RandomKind, ReduceOp, UnaryOp } from '../../bindings/codes.gen';
import { writers as W } from './native';
import { DeviceError } from '../errors';
import { gemmNoticeOnce } from './gemm_notice';
import { type KernelTensor as Tensor, type Shape, broadcastStrides } from './operand';

export function sameDevice(op: string, ...ts: Tensor[]): Tensor['device'] {
  const d = ts[0].device;
  for (let i = 1; i < ts.length; ++i) {
    if (ts[i].device !== d) {
      throw new DeviceError(
        op,
        `expected all tensors on the same device, got ${ts.map((t) => t.device).join(' and ')}`,
      );
    }
  }
  return d;
}

/** The shape and per-operand strides of an elementwise call (native merges contiguous dims: common/coalesce.h). */
function layout(shape: Shape, operands: Tensor[], op: string): { shape: Shape; strides: (readonly number[])[] } {
  const strides = operands.map((t, k) => (k === 0 ? t.strides : broadcastStrides(op, t.shape, t.strides, shape)));
  return { shape, strides };
}

export function kFill(out: Tensor, value: number): void {
  const L = layout(out.shape, [out], 'fill');
  W.fill(out._handle('fill'), L.shape, out.offset, L.strides[0], value);
}

/** out[...] = src[...] (src broadcast to out's shape, dtype cast). */
export function kCopy(out: Tensor, src: Tensor): void {
  sameDevice('copy', out, src);
  const L = layout(out.shape, [out, src], 'copy');
  W.copy(out._handle('copy'), src._handle('copy'), L.shape, out.offset, L.strides[0], src.offset, L.strides[1]);
}

export function kArange(out: Tensor, start: number, step: number): void {
  W.arange(out._handle('arange'), out.numel, out.offset, start, step);
}

export function kUnary(op: UnaryOp, out: Tensor, x: Tensor, p0 = 0, p1 = 0): void {
  const L = layout(out.shape, [out, x], 'unary');
  W.unary(
    out._handle('unary'),
    x._handle('unary'),
    op,
    p0,
    p1,
    L.shape,
    out.offset,
    L.strides[0],
    x.offset,
    L.strides[1],
  );
}

export function kBinary(op: BinaryOp, out: Tensor, a: Tensor, b: Tensor, alpha = 1): void {
  sameDevice('binary', out, a, b);
  const L = layout(out.shape, [out, a, b], 'binary');
  W.binary(
    out._handle('binary'),
    a._handle('binary'),
    b._handle('binary'),
    op,
    alpha,
    L.shape,
    out.offset,
    L.strides[0],
    a.offset,
    L.strides[1],
    b.offset,
    L.strides[2],
  );
}

export function kWhere(out: Tensor, cond: Tensor, a: Tensor, b: Tensor): void {
  sameDevice('where', out, cond, a, b);
  const L = layout(out.shape, [out, cond, a, b], 'where');
  W.where(
    out._handle('where'),
    cond._handle('where'),
    a._handle('where'),
    b._handle('where'),
    L.shape,
    out.offset,
    L.strides[0],
    cond.offset,
    L.strides[1],
    a.offset,
    L.strides[2],
    b.offset,
    L.strides[3],
  );
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
  // Outer dims keep their order, so do inner ones; native merges each group.
  const outer = outerDims.map((d) => x.shape[d]);
  const inner = dims.map((d) => x.shape[d]);
  const strides = [...outerDims.map((d) => x.strides[d]), ...dims.map((d) => x.strides[d])];
  W.reduce(out._handle('reduce'), x._handle('reduce'), op, p0, outer, inner, x.offset, strides, out.offset);
}

/** Row-wise softmax of contiguous [rows, cols] tensors. */
export function kSoftmax(out: Tensor, x: Tensor, rows: number, cols: number, log: boolean): void {
  sameDevice('softmax', out, x);
  W.softmax(out._handle('softmax'), x._handle('softmax'), rows, cols, log, out.offset, x.offset);
}

export function kSoftmaxBackward(dx: Tensor, dy: Tensor, y: Tensor, rows: number, cols: number, log: boolean): void {
  sameDevice('softmax_backward', dx, dy, y);
  W.softmaxBackward(
    dx._handle('softmax_backward'),
    dy._handle('softmax_backward'),
    y._handle('softmax_backward'),
    rows,
    cols,
    log,
    dx.offset,
    dy.offset,
    y.offset,
  );
}

/** One matrix operand of a GEMM: its storage offset, leading dim and batch stride. */
export interface GemmOperand {
  t: Tensor;
  ld: number;
  batchStride: number;
  trans: boolean;
}

let gemmNoticed = false;

export function kGemm(
  batch: number,
  M: number,
  N: number,
  Kdim: number,
  a: GemmOperand,
  b: GemmOperand,
  c: { t: Tensor; ld: number; batchStride: number },
  alpha = 1,
  beta = 0,
): void {
  sameDevice('matmul', c.t, a.t, b.t);
  if (!gemmNoticed) {
    gemmNoticed = true;
    gemmNoticeOnce(); // once per process: GEMM on the portable kernel, and how to fix it
  }
  W.gemm(
    c.t._handle('matmul'),
    a.t._handle('matmul'),
    b.t._handle('matmul'),
    batch,
    M,
    N,
    Kdim,
    a.ld,
    a.batchStride,
    a.trans,
    b.ld,
    b.batchStride,
    b.trans,
    c.ld,
    c.batchStride,
    alpha,
    beta,
    a.t.offset,
    b.t.offset,
    c.t.offset,
  );
}

/** Fused cross-entropy over contiguous logits [N, C]. */
export function kCrossEntropy(
  losses: Tensor,
  dlogits: Tensor | null,
  logits: Tensor,
  targets: Tensor,
  ignoreIndex: number,
  labelSmoothing: number,
): void {
  sameDevice('cross_entropy', losses, logits, targets);
  const [N, C] = logits.shape;
  W.crossEntropy(
    losses._handle('cross_entropy'),
    dlogits ? dlogits._handle('cross_entropy') : null,
    logits._handle('cross_entropy'),
    targets._handle('cross_entropy'),
    N,
    C,
    ignoreIndex,
    labelSmoothing,
    losses.offset,
    dlogits ? dlogits.offset : 0,
    logits.offset,
    targets.offset,
  );
}

/** out[o, j, i] = x[o, index[j], i] for contiguous x viewed as [outer, dimSize, inner]. */
/** Window geometry of a 2-D pooling: kernel, stride, padding, dilation, output size. */
export interface PoolWindows {
  k: readonly [number, number];
  s: readonly [number, number];
  p: readonly [number, number];
  d: readonly [number, number];
  out: readonly [number, number];
}

/** out and indices [N, C, Ho, Wo] = the max of each window of the contiguous x [N, C, H, W], and where it is. */
export function kMaxPool2d(out: Tensor, indices: Tensor | null, x: Tensor, g: PoolWindows): void {
  const op = 'max_pool2d';
  sameDevice(op, out, x, ...(indices ? [indices] : []));
  W.maxPool2d(
    out._handle(op),
    indices ? indices._handle(op) : null,
    x._handle(op),
    ...maxPoolFields(x.shape, g),
    out.offset,
    indices ? indices.offset : 0,
    x.offset,
  );
}

/** dx [N, C, H, W] (contiguous) = dy [N, C, Ho, Wo] added at the window maxima `indices` (from kMaxPool2d). */
export function kMaxPool2dBackward(dx: Tensor, dy: Tensor, indices: Tensor, g: PoolWindows): void {
  const op = 'max_pool2d_backward';
  sameDevice(op, dx, dy, indices);
  W.maxPool2dBackward(
    dx._handle(op),
    dy._handle(op),
    indices._handle(op),
    ...maxPoolFields(dx.shape, g),
    dx.offset,
    dy.offset,
    indices.offset,
  );
}

/** The maxPool2d kernels' geometry fields, in op_table.js order, for an input of `shape`. */
function maxPoolFields(
  shape: readonly number[],
  g: PoolWindows,
): [number, number, number, number, number, number, number, number, number, number, number, number, number] {
  const [N, C, H, width] = shape;
  return [N * C, H, width, g.out[0], g.out[1], g.k[0], g.k[1], g.s[0], g.s[1], g.d[0], g.d[1], g.p[0], g.p[1]];
}

/** PyTorch's average-pooling divisor: `divisor` when non-zero, else the window counted with or without padding. */
export interface AvgDivisor {
  countIncludePad: boolean;
  divisor: number;
}

/** out [N, C, Ho, Wo] = the window means of the contiguous x [N, C, H, W] (dilation 1). */
export function kAvgPool2d(out: Tensor, x: Tensor, g: PoolWindows, div: AvgDivisor): void {
  const op = 'avg_pool2d';
  sameDevice(op, out, x);
  W.avgPool2d(out._handle(op), x._handle(op), ...avgPoolFields(x.shape, g, div), out.offset, x.offset);
}

/** dx [N, C, H, W] (contiguous) = the backward of kAvgPool2d for the contiguous dy [N, C, Ho, Wo]. */
export function kAvgPool2dBackward(dx: Tensor, dy: Tensor, g: PoolWindows, div: AvgDivisor): void {
  const op = 'avg_pool2d_backward';
  sameDevice(op, dx, dy);
  W.avgPool2dBackward(dx._handle(op), dy._handle(op), ...avgPoolFields(dx.shape, g, div), dx.offset, dy.offset);
}

/** The avgPool2d kernels' geometry fields, in op_table.js order, for an input of `shape`. */
function avgPoolFields(
  shape: readonly number[],
  g: PoolWindows,
  div: AvgDivisor,
): [number, number, number, number, number, number, number, number, number, number, number, boolean, number] {
  const [N, C, H, width] = shape;
  return [
    N * C,
    H,
    width,
    g.out[0],
    g.out[1],
    g.k[0],
    g.k[1],
    g.s[0],
    g.s[1],
    g.p[0],
    g.p[1],
    div.countIncludePad,
    div.divisor,
  ];
}

export function kIndexSelect(
  out: Tensor,
  x: Tensor,
  index: Tensor,
  outer: number,
  dimSize: number,
  inner: number,
  /** The lookup is an embedding's: bad indices are reported as embedding ids. */
  embedding = false,
): void {
  sameDevice('index_select', out, x, index);
  W.indexSelect(
    out._handle('index_select'),
    x._handle('index_select'),
    index._handle('index_select'),
    outer,
    dimSize,
    inner,
    index.numel,
    out.offset,
    x.offset,
    index.offset,
    embedding,
  );
}

export function kIndexAdd(
  out: Tensor,
  src: Tensor,
  index: Tensor,
  outer: number,
  dimSize: number,
  inner: number,
): void {
  sameDevice('index_add', out, src, index);
  W.indexAdd(
    out._handle('index_add'),
    src._handle('index_add'),
    index._handle('index_add'),
    outer,
    dimSize,
    inner,
    index.numel,
    out.offset,
    src.offset,
    index.offset,
  );
}

/** Contiguous operands only. out has index's shape. */
export function kGather(out: Tensor, x: Tensor, index: Tensor, dim: number): void {
  sameDevice('gather', out, x, index);
  W.gather(
    out._handle('gather'),
    x._handle('gather'),
    index._handle('gather'),
    index.shape,
    x.shape,
    dim,
    out.offset,
    x.offset,
    index.offset,
  );
}

/** out (self shape) += src (index shape) scattered along dim. Contiguous operands. */
export function kScatterAdd(out: Tensor, src: Tensor, index: Tensor, dim: number): void {
  sameDevice('scatter_add', out, src, index);
  W.scatterAdd(
    out._handle('scatter_add'),
    src._handle('scatter_add'),
    index._handle('scatter_add'),
    index.shape,
    out.shape,
    dim,
    out.offset,
    src.offset,
    index.offset,
  );
}

/** Fills a contiguous tensor from the Philox stream (seed, offset). */
export function kRandom(out: Tensor, kind: RandomKind, seed: bigint, offset: number, a: number, b: number): void {
  W.random(out._handle('random'), kind, out.numel, out.offset, seed, offset, a, b);
}

// ---- language-model ops (issue 13): sort / top-k, cumsum, multinomial ----

/** values, indices [rows, k]: the first k of each row of the contiguous x [rows, cols] in sorted order. */
export function kSortRows(
  values: Tensor,
  indices: Tensor,
  x: Tensor,
  rows: number,
  cols: number,
  k: number,
  descending: boolean,
): void {
  sameDevice('sort', values, indices, x);
  W.sortRows(
    values._handle('sort'),
    indices._handle('sort'),
    x._handle('sort'),
    rows,
    cols,
    k,
    descending,
    values.offset,
    indices.offset,
    x.offset,
  );
}

/** Running sums along the middle dim of contiguous out and x viewed as [outer, n, inner]. */
export function kCumsum(out: Tensor, x: Tensor, outer: number, n: number, inner: number, reverse: boolean): void {
  sameDevice('cumsum', out, x);
  W.cumsum(out._handle('cumsum'), x._handle('cumsum'), outer, n, inner, reverse, out.offset, x.offset);
}

/** out [rows, samples] (int64) drawn from the contiguous weights [rows, cats] with the Philox stream (seed, offset). */
export function kMultinomial(out: Tensor, weights: Tensor, replacement: boolean, seed: bigint, offset: number): void {
  sameDevice('multinomial', out, weights);
  const [rows, samples] = out.shape;
  W.multinomial(
    out._handle('multinomial'),
    weights._handle('multinomial'),
    rows,
    weights.shape[1],
    samples,
    replacement,
    out.offset,
    weights.offset,
    seed,
    offset,
  );
}

// layer / RMS norm (issue 13)
type Opt = Tensor | null;
const h = (t: Opt, op: string) => (t ? t._handle(op) : null);
const off = (t: Opt) => (t ? t.offset : 0);

/** Row-wise layer norm (or RMS norm, `mean` null) of contiguous [rows, cols] tensors; weight / bias [cols] or null. */
export function kLayerNorm(
  out: Tensor,
  mean: Opt,
  rstd: Tensor,
  x: Tensor,
  weight: Opt,
  bias: Opt,
  rows: number,
  cols: number,
  eps: number,
): void {
  const op = mean ? 'layer_norm' : 'rms_norm';
  sameDevice(op, out, rstd, x, ...[mean, weight, bias].filter((t): t is Tensor => t !== null));
  W.layerNorm(
    out._handle(op),
    h(mean, op),
    rstd._handle(op),
    x._handle(op),
    h(weight, op),
    h(bias, op),
    rows,
    cols,
    eps,
    mean === null,
    out.offset,
    off(mean),
    rstd.offset,
    x.offset,
    off(weight),
    off(bias),
  );
}

/** Backward of kLayerNorm: writes whichever of dx, dweight, dbias are given (RMS norm when `mean` is null). */
export function kLayerNormBackward(
  grads: { dx: Opt; dweight: Opt; dbias: Opt },
  dy: Tensor,
  x: Tensor,
  mean: Opt,
  rstd: Tensor,
  weight: Opt,
  rows: number,
  cols: number,
): void {
  const op = mean ? 'layer_norm_backward' : 'rms_norm_backward';
  const { dx, dweight, dbias } = grads;
  sameDevice(op, dy, x, rstd, ...[mean, weight, dx, dweight, dbias].filter((t): t is Tensor => t !== null));
  W.layerNormBackward(
    dy._handle(op),
    x._handle(op),
    h(mean, op),
    rstd._handle(op),
    h(weight, op),
    h(dx, op),
    h(dweight, op),
    h(dbias, op),
    rows,
    cols,
    mean === null,
    off(dx),
    off(dweight),
    off(dbias),
    dy.offset,
    x.offset,
    off(mean),
    rstd.offset,
    off(weight),
  );
}

export { BinaryOp, RandomKind, ReduceOp, UnaryOp };

/** Sizes of a fused attention call: q [BH, L, E], k [BH, S, E], v [BH, S, Ev]. */
export interface AttentionDims {
  BH: number;
  L: number;
  S: number;
  E: number;
  Ev: number;
  causal: boolean;
  scale: number;
  dropoutP: number;
  /** Philox stream of the dropout mask (ignored when dropoutP is 0). */
  seed: bigint;
  offset: number;
}

/** The additive mask as a strided view over [B1, B2, L, S] with B1 * B2 = BH (zero strides broadcast). */
export interface AttentionMask {
  t: Tensor;
  shape: readonly [number, number, number, number];
  strides: readonly [number, number, number, number];
  offset: number;
}

function maskArgs(d: AttentionDims, mask: AttentionMask | null): [number[], number, readonly number[]] {
  if (mask) return [[...mask.shape], mask.offset, mask.strides];
  return [[1, d.BH, d.L, d.S], 0, [0, 0, 0, 0]];
}

/** Fused attention forward: out [BH, L, Ev] and lse [BH, L]; q, k, v, out, lse contiguous from their offsets. */
export function kAttentionForward(
  out: Tensor,
  lse: Tensor,
  q: Tensor,
  k: Tensor,
  v: Tensor,
  mask: AttentionMask | null,
  d: AttentionDims,
): void {
  const op = 'scaled_dot_product_attention';
  sameDevice(op, out, lse, q, k, v, ...(mask ? [mask.t] : []));
  const [mShape, mOffset, mStrides] = maskArgs(d, mask);
  W.attentionForward(
    out._handle(op),
    lse._handle(op),
    q._handle(op),
    k._handle(op),
    v._handle(op),
    mask ? mask.t._handle(op) : null,
    d.BH,
    d.L,
    d.S,
    d.E,
    d.Ev,
    d.causal,
    d.scale,
    d.dropoutP,
    d.seed,
    d.offset,
    mShape,
    mOffset,
    mStrides,
    out.offset,
    lse.offset,
    q.offset,
    k.offset,
    v.offset,
  );
}

/** Fused attention backward: overwrites dq, dk, dv (contiguous) from dout, out and lse of the forward. */
export function kAttentionBackward(
  grads: { dq: Tensor; dk: Tensor; dv: Tensor },
  saved: { q: Tensor; k: Tensor; v: Tensor; out: Tensor; dout: Tensor; lse: Tensor },
  mask: AttentionMask | null,
  d: AttentionDims,
): void {
  const op = 'scaled_dot_product_attention_backward';
  const { dq, dk, dv } = grads;
  const { q, k, v, out, dout, lse } = saved;
  sameDevice(op, dq, dk, dv, q, k, v, out, dout, lse, ...(mask ? [mask.t] : []));
  const [mShape, mOffset, mStrides] = maskArgs(d, mask);
  W.attentionBackward(
    dq._handle(op),
    dk._handle(op),
    dv._handle(op),
    q._handle(op),
    k._handle(op),
    v._handle(op),
    out._handle(op),
    dout._handle(op),
    lse._handle(op),
    mask ? mask.t._handle(op) : null,
    d.BH,
    d.L,
    d.S,
    d.E,
    d.Ev,
    d.causal,
    d.scale,
    d.dropoutP,
    d.seed,
    d.offset,
    mShape,
    mOffset,
    mStrides,
    dq.offset,
    dk.offset,
    dv.offset,
    q.offset,
    k.offset,
    v.offset,
    out.offset,
    dout.offset,
    lse.offset,
  );
}

/** The geometry the conv2d kernels take (lib/ops/conv.ts's ConvGeometry extends it). */
export interface Conv2dKernelGeometry {
  N: number;
  C: number;
  H: number;
  W: number;
  Co: number;
  G: number;
  Cg: number;
  Ho: number;
  Wo: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  pt: number;
  pb: number;
  pl: number;
  pr: number;
}

/**
 * One conv2d kernel over contiguous tensors: 'forward' writes y from (x, w),
 * 'backwardData' dx from (dy, w), 'backwardWeight' dw from (x, dy).
 */
export function kConv2d(
  dir: 'forward' | 'backwardData' | 'backwardWeight',
  written: Tensor,
  a: Tensor,
  b: Tensor,
  g: Conv2dKernelGeometry,
): void {
  const op = dir === 'forward' ? 'conv2d' : dir === 'backwardData' ? 'conv2d_backward_data' : 'conv2d_backward_weight';
  sameDevice(op, written, a, b);
  const fn =
    dir === 'forward' ? W.conv2dForward : dir === 'backwardData' ? W.conv2dBackwardData : W.conv2dBackwardWeight;
  fn(
    written._handle(op),
    a._handle(op),
    b._handle(op),
    g.N,
    g.C,
    g.H,
    g.W,
    g.Co,
    g.G,
    g.Cg,
    g.Ho,
    g.Wo,
    g.kh,
    g.kw,
    g.sh,
    g.sw,
    g.dh,
    g.dw,
    g.pt,
    g.pb,
    g.pl,
    g.pr,
    written.offset,
    a.offset,
    b.offset,
  );
}
