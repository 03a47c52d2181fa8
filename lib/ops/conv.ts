// Convolutions (conv2d, conv1d) on the existing kernels: explicit im2col.
// The padded input is a fresh zero tensor with the input copied into its
// interior; the im2col matrix is a strided view of it ([G, C/G, kh, kw, N, Ho,
// Wo], strides from the stride and dilation), copied into a contiguous
// [G, K, N*Ho*Wo] buffer (K = C/G*kh*kw); one batched GEMM over the groups
// gives [G, Co/G, N*Ho*Wo], copied to NCHW with the bias added. The backward
// recomputes the columns: dW = dY @ cols^T, dCols = W^T @ dY, and col2im adds
// each kernel offset's slice of dCols into a strided view of the padded input
// gradient (such a view never overlaps itself, so the in-place add is safe).
// Float32 on the CPU runs on oneDNN instead when that engine is on
// (conv_onednn.ts, lib/kernels/conv_engine.ts), and CUDA on cuDNN when it is
// loaded (lib/kernels/cudnn_conv.ts).
// convTranspose2d (conv_transpose.ts) runs on the same pieces: its forward
// is conv2dBackwardData, its backward conv2dRaw and conv2dBackward.
import { BinaryOp } from '../../bindings/codes.gen';
import { record } from './record';
import { ArgumentError, DTypeError, ShapeError } from '../errors';
import { isFloatingDType } from '../tensor/dtype';
import { formatShape } from '../tensor/shape';
import { type Tensor, emptyTensor as empty } from '../tensor/tensor';
import { cast } from './convert';
import { checkTensor } from './elementwise';
import {
  type Conv2dKernelGeometry,
  kBinary,
  kCopy,
  kFill,
  kGemm,
  kReduce,
  ReduceOp,
  sameDevice,
} from '../kernels/launch';
import { squeeze, unsqueeze } from './views';
import { checkOptions, optionKeys, showValue } from '../validate';
import { onednnConvBackward, onednnConvBackwardData, onednnConvForward, useConvKernels } from './conv_onednn';

declare module './op_contexts' {
  interface OpContexts {
    /** conv2d (conv1d too, as a height-1 conv2d): the cast input and weight, and the geometry. */
    conv2d: { x: Tensor; w: Tensor; geometry: ConvGeometry };
  }
}

/** A size per spatial dim: one number for all, or one each. */
export type ConvSize2 = number | readonly [number, number];
export type ConvPadding2 = ConvSize2 | 'same' | 'valid';
type ConvSize1 = number | readonly [number];
type ConvPadding1 = ConvSize1 | 'same' | 'valid';

export interface Conv2dOptions {
  stride?: ConvSize2;
  padding?: ConvPadding2;
  dilation?: ConvSize2;
  groups?: number;
}

export interface Conv1dOptions {
  stride?: ConvSize1;
  padding?: ConvPadding1;
  dilation?: ConvSize1;
  groups?: number;
}

/** Everything the forward and backward need about one conv2d call: the kernels' geometry plus derived sizes. */
export interface ConvGeometry extends Conv2dKernelGeometry {
  Cog: number;
  /** Padded input height and width. */
  Hp: number;
  Wp: number;
}

export function sizeTuple(op: string, name: string, v: unknown, n: number, min: number): number[] {
  const check = (x: unknown): number => {
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < min) {
      const what = min === 0 ? 'non-negative integers' : 'positive integers';
      throw new ArgumentError(op, `${name} must be ${what}, got ${showValue(x)}`);
    }
    return x;
  };
  if (typeof v === 'number') return new Array<number>(n).fill(check(v));
  if (Array.isArray(v)) {
    if (v.length !== n)
      throw new ArgumentError(op, `${name} must be a number or ${n} numbers, got ${v.length} numbers`);
    return v.map(check);
  }
  throw new ArgumentError(op, `${name} must be a number or an array of ${n} numbers, got ${showValue(v)}`);
}

const CONV_OPTION_KEYS = optionKeys<Conv2dOptions>({ stride: true, padding: true, dilation: true, groups: true });

function checkOptionsBag(op: string, options: Conv2dOptions | Conv1dOptions | undefined): Record<string, unknown> {
  return checkOptions(op, options, CONV_OPTION_KEYS) as Record<string, unknown>;
}

/** Checks the arguments, casts to a common float dtype and works out the geometry. */
function prepare(
  op: string,
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null | undefined,
  o: Record<string, unknown>,
  spatial: 1 | 2,
): { x: Tensor; w: Tensor; b: Tensor | null; stride: number[]; dilation: number[]; pads: number[][]; groups: number } {
  checkTensor(op, x);
  checkTensor(op, weight, 'weight');
  sameDevice(op, x, weight);
  // One floating dtype for all operands, as PyTorch (see linalg's floatOperands).
  const dt = weight.dtype;
  const given = [x, weight, ...(bias ? [bias] : [])];
  if (bias !== undefined && bias !== null) {
    checkTensor(op, bias, 'bias');
    sameDevice(op, x, bias);
  }
  if (!isFloatingDType(dt) || given.some((t) => t.dtype !== dt)) {
    const fix = dt === 'float64' ? '.double()' : '.float()';
    throw new DTypeError(
      op,
      `expected input, weight${bias ? ' and bias' : ''} of the same floating dtype, got ${given.map((t) => t.dtype).join(', ')}; convert with ${fix}`,
    );
  }
  const rank = spatial + 2;
  if (x.ndim !== rank)
    throw new ShapeError(op, `input must be ${rank}-D (batched) or ${rank - 1}-D, got ${formatShape(x.shape)}`);
  if (weight.ndim !== rank)
    throw new ShapeError(op, `weight must be ${rank}-D [out, in/groups, ...kernel], got ${formatShape(weight.shape)}`);
  const stride = sizeTuple(op, 'stride', o.stride ?? 1, spatial, 1);
  const dilation = sizeTuple(op, 'dilation', o.dilation ?? 1, spatial, 1);
  const groups = o.groups ?? 1;
  if (typeof groups !== 'number' || !Number.isSafeInteger(groups) || groups < 1)
    throw new ArgumentError(op, `groups must be a positive integer, got ${showValue(groups)}`);
  const C = x.shape[1];
  const Co = weight.shape[0];
  const kernel = weight.shape.slice(2);
  if (C % groups !== 0)
    throw new ShapeError(op, `groups (${groups}) must divide the input channels (${C}), input ${formatShape(x.shape)}`);
  if (Co % groups !== 0)
    throw new ShapeError(
      op,
      `groups (${groups}) must divide the output channels (${Co}), weight ${formatShape(weight.shape)}`,
    );
  if (weight.shape[1] * groups !== C) {
    throw new ShapeError(
      op,
      `input ${formatShape(x.shape)} has ${C} channels but weight ${formatShape(weight.shape)} with groups=${groups} expects ${weight.shape[1] * groups}`,
    );
  }
  for (let d = 1; d < rank; ++d) {
    if (x.shape[d] === 0)
      throw new ShapeError(op, `input ${formatShape(x.shape)} must have non-zero channel and spatial sizes`);
  }
  if (kernel.some((k) => k === 0)) throw new ShapeError(op, `weight ${formatShape(weight.shape)} has an empty kernel`);
  const padding = o.padding ?? 0;
  let pads: number[][];
  if (padding === 'valid') pads = kernel.map(() => [0, 0]);
  else if (padding === 'same') {
    if (stride.some((s) => s !== 1))
      throw new ArgumentError(
        op,
        `padding 'same' is not supported for strided convolutions (stride ${formatShape(stride)})`,
      );
    pads = kernel.map((k, i) => {
      const total = dilation[i] * (k - 1);
      const lo = Math.floor(total / 2);
      return [lo, total - lo];
    });
  } else if (typeof padding === 'string') {
    throw new ArgumentError(op, `padding must be a number, an array, 'same' or 'valid', got ${showValue(padding)}`);
  } else pads = sizeTuple(op, 'padding', padding, spatial, 0).map((p) => [p, p]);
  let b: Tensor | null = null;
  if (bias !== undefined && bias !== null) {
    if (bias.ndim !== 1 || bias.shape[0] !== Co)
      throw new ShapeError(op, `bias must have shape [${Co}], got ${formatShape(bias.shape)}`);
    b = cast(bias, dt);
  }
  for (let i = 0; i < spatial; ++i) {
    const size = x.shape[2 + i] + pads[i][0] + pads[i][1];
    const eff = dilation[i] * (kernel[i] - 1) + 1;
    if (eff > size) {
      throw new ShapeError(
        op,
        `kernel ${formatShape(kernel)} (dilated size ${eff}) is larger than the padded input (size ${size}) in spatial dim ${i}, input ${formatShape(x.shape)}`,
      );
    }
  }
  return { x: cast(x, dt), w: cast(weight, dt), b, stride, dilation, pads, groups };
}

function geometry(
  x: Tensor,
  w: Tensor,
  stride: number[],
  dilation: number[],
  pads: number[][],
  G: number,
): ConvGeometry {
  const [N, C, H, W] = x.shape;
  const [Co, Cg, kh, kw] = w.shape;
  const [sh, sw] = stride;
  const [dh, dw] = dilation;
  const [[pt, pb], [pl, pr]] = pads;
  const Hp = H + pt + pb;
  const Wp = W + pl + pr;
  const Ho = Math.floor((Hp - dh * (kh - 1) - 1) / sh) + 1;
  const Wo = Math.floor((Wp - dw * (kw - 1) - 1) / sw) + 1;
  return { N, C, H, W, Co, G, Cg, Cog: Co / G, kh, kw, sh, sw, dh, dw, pt, pb, pl, pr, Hp, Wp, Ho, Wo };
}

/** A contiguous tensor with t's values: t itself when it already is (`owned` false). */
function contiguousRaw(t: Tensor): { t: Tensor; owned: boolean } {
  if (t.isContiguous()) return { t, owned: false };
  const c = empty(t.shape, t.dtype, t.device);
  kCopy(c, t);
  return { t: c, owned: true };
}

/** The zero-padded input [N, C, Hp, Wp] (x itself, not copied, when there is no padding). */
function padded(x: Tensor, g: ConvGeometry): { t: Tensor; owned: boolean } {
  if (g.pt + g.pb + g.pl + g.pr === 0) return { t: x, owned: false };
  const xp = empty([g.N, g.C, g.Hp, g.Wp], x.dtype, x.device);
  kFill(xp, 0);
  const interior = xp._view(x.shape, xp.strides, g.pt * g.Wp + g.pl);
  kCopy(interior, x);
  interior.dispose();
  return { t: xp, owned: true };
}

/** The contiguous im2col buffer [G, Cg, kh, kw, N, Ho, Wo] (i.e. [G, K, N*Ho*Wo]) of x. */
function im2col(x: Tensor, g: ConvGeometry): Tensor {
  const xp = padded(x, g);
  const [sN, sC, sH, sW] = xp.t.strides;
  const shape = [g.G, g.Cg, g.kh, g.kw, g.N, g.Ho, g.Wo];
  const view = xp.t._view(shape, [g.Cg * sC, sC, g.dh * sH, g.dw * sW, sN, g.sh * sH, g.sw * sW], xp.t.offset);
  const cols = empty(shape, x.dtype, x.device);
  kCopy(cols, view);
  view.dispose();
  if (xp.owned) xp.t.dispose();
  return cols;
}

/** The 4-D conv: x [N, C, H, W], w [Co, C/G, kh, kw], b [Co] or null, all one float dtype. */
// Column buffers above this are built batch chunk by batch chunk: an eval
// batch of 1000 MNIST images would otherwise need 780 MB for one layer.
const COLS_BYTES_MAX = 32 << 20;

export function conv2dRaw(x: Tensor, w: Tensor, b: Tensor | null, g: ConvGeometry): Tensor {
  if (useConvKernels(x, g)) return onednnConvForward(x, w, b, g);
  const out = empty([g.N, g.Co, g.Ho, g.Wo], x.dtype, x.device);
  const L = g.Ho * g.Wo;
  const NL = g.N * L;
  const K = g.Cg * g.kh * g.kw;
  if (out.numel === 0) return out;
  const perImage = K * L * (x.dtype === 'float64' ? 8 : 4);
  if (g.N > 1 && perImage * g.N > COLS_BYTES_MAX) {
    const chunk = Math.max(1, Math.floor(COLS_BYTES_MAX / perImage));
    for (let n0 = 0; n0 < g.N; n0 += chunk) {
      const n = Math.min(chunk, g.N - n0);
      const xs = x._view([n, g.C, g.H, g.W], x.strides, x.offset + n0 * x.strides[0]);
      const part = conv2dRaw(xs, w, b, { ...g, N: n });
      const dst = out._view([n, g.Co, g.Ho, g.Wo], out.strides, n0 * out.strides[0]);
      kCopy(dst, part);
      for (const t of [xs, part, dst]) t.dispose();
    }
    return out;
  }
  const cols = im2col(x, g);
  const wc = contiguousRaw(w);
  const y = empty([g.Co, g.N, L], x.dtype, x.device); // [G, Cog, N*L]
  kGemm(
    g.G,
    g.Cog,
    NL,
    K,
    { t: wc.t, ld: K, batchStride: g.Cog * K, trans: false },
    { t: cols, ld: NL, batchStride: K * NL, trans: false },
    { t: y, ld: NL, batchStride: g.Cog * NL },
  );
  cols.dispose();
  if (wc.owned) wc.t.dispose();
  // out[n, co, l] = y[co, n, l] (+ bias[co])
  const yv = y._view([g.N, g.Co, L], [L, NL, 1], 0);
  const out3 = out._view([g.N, g.Co, L], [g.Co * L, L, 1], 0);
  if (b) {
    const bv = b._view([g.Co, 1], [b.strides[0], 0], b.offset);
    kBinary(BinaryOp.Add, out3, yv, bv);
    bv.dispose();
  } else kCopy(out3, yv);
  out3.dispose();
  yv.dispose();
  y.dispose();
  return out;
}

/** The output gradient [N, Co, Ho, Wo] as planes gp [Co, N, Ho*Wo] (= [G, Cog, N*L]) of dtype dt. */
function gradPlanes(grad: Tensor, g: ConvGeometry, dt: Tensor['dtype']): Tensor {
  const gy = cast(grad, dt);
  const L = g.Ho * g.Wo;
  const NL = g.N * L;
  const gp = empty([g.Co, g.N, L], dt, grad.device);
  if (gp.numel) {
    const gv = gy._view(
      [g.Co, g.N, g.Ho, g.Wo],
      [gy.strides[1], gy.strides[0], gy.strides[2], gy.strides[3]],
      gy.offset,
    );
    const gp4 = gp._view([g.Co, g.N, g.Ho, g.Wo], [NL, L, g.Wo, 1], 0);
    kCopy(gp4, gv);
    gp4.dispose();
    gv.dispose();
  }
  return gp;
}

/**
 * conv2d's input gradient alone: [N, C, H, W] from grad [N, Co, Ho, Wo] and
 * w [Co, C/G, kh, kw] (convTranspose2d's forward). g.Ho / g.Wo may be set
 * below the output size formula's (the uncovered bottom/right stays zero).
 */
export function conv2dBackwardData(w: Tensor, g: ConvGeometry, grad: Tensor): Tensor {
  if (useConvKernels(w, g)) return onednnConvBackwardData(w, g, grad);
  const gp = gradPlanes(grad, g, w.dtype);
  const dx = backwardData(w, g, gp);
  gp.dispose();
  return dx;
}

/** The input gradient [N, C, H, W] from gp ([Co, N, Ho*Wo]): dCols = W^T @ gp, then col2im. */
function backwardData(w: Tensor, g: ConvGeometry, gp: Tensor): Tensor {
  const dt = w.dtype;
  const L = g.Ho * g.Wo;
  const NL = g.N * L;
  const K = g.Cg * g.kh * g.kw;
  const xShape = [g.N, g.C, g.H, g.W];
  const dx = empty(xShape, dt, w.device);
  if (NL === 0 || g.Co === 0) kFill(dx, 0);
  else {
    const wc = contiguousRaw(w);
    const dcols = empty([g.G, g.Cg, g.kh, g.kw, g.N, g.Ho, g.Wo], dt, w.device); // [G, K, N*L]
    kGemm(
      g.G,
      K,
      NL,
      g.Cog,
      { t: wc.t, ld: K, batchStride: g.Cog * K, trans: true },
      { t: gp, ld: NL, batchStride: g.Cog * NL, trans: false },
      { t: dcols, ld: NL, batchStride: K * NL },
    );
    if (wc.owned) wc.t.dispose();
    const pad = g.pt + g.pb + g.pl + g.pr > 0;
    const dxp = pad ? empty([g.N, g.C, g.Hp, g.Wp], dt, w.device) : dx;
    kFill(dxp, 0);
    const [sN, sC, sH, sW] = dxp.strides;
    const shape = [g.G, g.Cg, g.N, g.Ho, g.Wo];
    const dstStrides = [g.Cg * sC, sC, sN, g.sh * sH, g.sw * sW];
    const srcStrides = [K * NL, g.kh * g.kw * NL, L, g.Wo, 1];
    for (let i = 0; i < g.kh; ++i) {
      for (let j = 0; j < g.kw; ++j) {
        const dst = dxp._view(shape, dstStrides, i * g.dh * sH + j * g.dw * sW);
        const src = dcols._view(shape, srcStrides, (i * g.kw + j) * NL);
        kBinary(BinaryOp.Add, dst, dst, src);
        dst.dispose();
        src.dispose();
      }
    }
    dcols.dispose();
    if (pad) {
      const interior = dxp._view(xShape, dxp.strides, g.pt * g.Wp + g.pl);
      kCopy(dx, interior);
      interior.dispose();
      dxp.dispose();
    }
  }
  return dx;
}

/** Gradients of conv2dRaw for x, w and b (each only when asked). */
export function conv2dBackward(
  x: Tensor,
  w: Tensor,
  g: ConvGeometry,
  grad: Tensor,
  needs: readonly boolean[],
): (Tensor | null)[] {
  if (!useConvKernels(x, g)) return im2colBackward(x, w, g, grad, needs);
  if (!(needs[1] && x.device === 'cpu' && thinWeightGrad(g))) return onednnConvBackward(x, w, g, grad, needs);
  const [dx, , db] = onednnConvBackward(x, w, g, grad, [needs[0], false, needs[2]]);
  const [, dw] = im2colBackward(x, w, g, grad, [false, true, false]);
  return [dx, dw, db];
}

/**
 * A weight gradient with fewer columns than output channels per group (a
 * first layer: 1 input channel, 3x3 gives 9): oneDNN's CPU kernel for it
 * ran at a third of the rate of the im2col GEMM below (bench/cnn.ts row
 * mnist_conv1 bwd_weight), so that pass stays on the built-in path.
 */
function thinWeightGrad(g: ConvGeometry): boolean {
  return g.Cg * g.kh * g.kw < g.Cog;
}

function im2colBackward(
  x: Tensor,
  w: Tensor,
  g: ConvGeometry,
  grad: Tensor,
  needs: readonly boolean[],
): (Tensor | null)[] {
  const dt = x.dtype;
  const L = g.Ho * g.Wo;
  const NL = g.N * L;
  const K = g.Cg * g.kh * g.kw;
  const gp = gradPlanes(grad, g, dt);
  let dx: Tensor | null = null;
  let dw: Tensor | null = null;
  let db: Tensor | null = null;
  if (needs[2]) {
    db = empty([g.Co], dt, x.device);
    if (NL === 0) kFill(db, 0);
    else kReduce(ReduceOp.Sum, db, gp._view([g.Co, NL], [NL, 1], 0), [1]);
  }
  if (needs[1]) {
    dw = empty(w.shape, dt, x.device);
    if (NL === 0 || g.Co === 0) kFill(dw, 0);
    else {
      const cols = im2col(x, g);
      const gpOp = { t: gp, ld: NL, batchStride: g.Cog * NL };
      const colsOp = { t: cols, ld: NL, batchStride: K * NL };
      if (K < g.Cog) {
        // Few columns (e.g. a first layer with 1 input channel): BLAS is
        // much faster at cols @ gp^T ([K, Cog], then transposed) than at
        // gp @ cols^T with its tiny N and long K.
        const dwT = empty([g.G, K, g.Cog], dt, x.device);
        kGemm(
          g.G,
          K,
          g.Cog,
          NL,
          { ...colsOp, trans: false },
          { ...gpOp, trans: true },
          {
            t: dwT,
            ld: g.Cog,
            batchStride: K * g.Cog,
          },
        );
        const dwv = dw._view([g.G, K, g.Cog], [g.Cog * K, 1, K], 0);
        kCopy(dwv, dwT);
        dwv.dispose();
        dwT.dispose();
      } else {
        kGemm(
          g.G,
          g.Cog,
          K,
          NL,
          { ...gpOp, trans: false },
          { ...colsOp, trans: true },
          {
            t: dw,
            ld: K,
            batchStride: g.Cog * K,
          },
        );
      }
      cols.dispose();
    }
  }
  if (needs[0]) dx = backwardData(w, g, gp);
  gp.dispose();
  return [dx, dw, db];
}

function conv2dCore(
  x: Tensor,
  w: Tensor,
  b: Tensor | null,
  stride: number[],
  dilation: number[],
  pads: number[][],
  groups: number,
): Tensor {
  const g = geometry(x, w, stride, dilation, pads, groups);
  const out = conv2dRaw(x, w, b, g);
  return record('conv2d', out, [x, w, b], () => ({ x, w, geometry: g }));
}

/**
 * 2-D convolution (cross-correlation, as PyTorch): input [N, C, H, W] (or
 * [C, H, W]), weight [Co, C/groups, kh, kw], bias [Co]. padding is a number,
 * a pair, 'valid' (0) or 'same' (stride 1 only; the odd extra goes right).
 */
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, options?: Conv2dOptions): Tensor {
  const op = 'conv2d';
  const o = checkOptionsBag(op, options);
  const unbatched = input instanceof Object && (input as Tensor).ndim === 3;
  const xin = unbatched ? unsqueeze(checkTensor(op, input), 0) : input;
  const p = prepare(op, xin, weight, bias, o, 2);
  const out = conv2dCore(p.x, p.w, p.b, p.stride, p.dilation, p.pads, p.groups);
  return unbatched ? squeeze(out, 0) : out;
}

/**
 * 1-D convolution: input [N, C, L] (or [C, L]), weight [Co, C/groups, k],
 * bias [Co]. Runs as conv2d with a height of 1.
 */
export function conv1d(input: Tensor, weight: Tensor, bias?: Tensor | null, options?: Conv1dOptions): Tensor {
  const op = 'conv1d';
  const o = checkOptionsBag(op, options);
  const unbatched = input instanceof Object && (input as Tensor).ndim === 2;
  const xin = unbatched ? unsqueeze(checkTensor(op, input), 0) : input;
  const p = prepare(op, xin, weight, bias, o, 1);
  const x4 = unsqueeze(p.x, 2);
  const w4 = unsqueeze(p.w, 2);
  const out = conv2dCore(x4, w4, p.b, [1, ...p.stride], [1, ...p.dilation], [[0, 0], ...p.pads], p.groups);
  const out3 = squeeze(out, 2);
  return unbatched ? squeeze(out3, 0) : out3;
}
