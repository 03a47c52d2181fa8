// convTranspose2d on conv2d's pieces (lib/ops/conv.ts): a transposed
// convolution is conv2d's input gradient, so the forward is the backward-data
// path (GEMM W^T @ x, then col2im) of the conv2d that maps the output shape
// back to the input shape, with the same weight [Cin, Cout/G, kh, kw] read as
// a conv2d weight [Co = Cin, Cg = Cout/G, kh, kw]. Its backward is that
// conv2d's forward for dx and its weight-gradient GEMM for dw.
import { record } from './record';
import { ArgumentError, DTypeError, ShapeError } from '../errors';
import { isFloatingDType } from '../tensor/dtype';
import { formatShape } from '../tensor/shape';
import { type Tensor, emptyTensor as empty } from '../tensor/tensor';
import { cast } from './convert';
import { checkTensor } from './elementwise';
import { kBinary, kFill, kReduce, ReduceOp, sameDevice } from '../kernels/launch';
import { BinaryOp } from '../../bindings/codes.gen';
import { type ConvGeometry, type ConvSize2, conv2dBackward, conv2dBackwardData, conv2dRaw, sizeTuple } from './conv';
import { squeeze, unsqueeze } from './views';
import { checkOptions, optionKeys, showValue } from '../validate';

declare module './op_contexts' {
  interface OpContexts {
    /** convTranspose2d: the cast input and weight, and the geometry of the conv2d it transposes. */
    convTranspose2d: { x: Tensor; w: Tensor; geometry: ConvGeometry };
  }
}

export interface ConvTranspose2dOptions {
  stride?: ConvSize2;
  /** Implicit zero padding removed from both sides of the output (dilation * (k - 1) - padding is added to the input). */
  padding?: ConvSize2;
  /** Extra size added to one side (bottom / right) of the output; smaller than stride or dilation. */
  outputPadding?: ConvSize2;
  groups?: number;
  dilation?: ConvSize2;
}

const KEYS = optionKeys<ConvTranspose2dOptions>({
  stride: true,
  padding: true,
  outputPadding: true,
  groups: true,
  dilation: true,
});

/** The conv2d geometry whose input gradient is this transposed convolution. */
function transposeGeometry(
  op: string,
  x: Tensor,
  weight: Tensor,
  o: Record<string, unknown>,
): { g: ConvGeometry; Cout: number } {
  const stride = sizeTuple(op, 'stride', o.stride ?? 1, 2, 1);
  const padding = sizeTuple(op, 'padding', o.padding ?? 0, 2, 0);
  const outPad = sizeTuple(op, 'outputPadding', o.outputPadding ?? 0, 2, 0);
  const dilation = sizeTuple(op, 'dilation', o.dilation ?? 1, 2, 1);
  const groups = o.groups ?? 1;
  if (typeof groups !== 'number' || !Number.isSafeInteger(groups) || groups < 1)
    throw new ArgumentError(op, `groups must be a positive integer, got ${showValue(groups)}`);
  for (let i = 0; i < 2; ++i) {
    if (outPad[i] >= stride[i] && outPad[i] >= dilation[i])
      throw new ArgumentError(
        op,
        `outputPadding must be smaller than stride or dilation, got outputPadding ${formatShape(outPad)} with stride ${formatShape(stride)} and dilation ${formatShape(dilation)}`,
      );
  }
  const [N, Cin, H, W] = x.shape;
  const [wIn, Cg, kh, kw] = weight.shape;
  if (Cin % groups !== 0)
    throw new ShapeError(
      op,
      `groups (${groups}) must divide the input channels (${Cin}), input ${formatShape(x.shape)}`,
    );
  if (wIn !== Cin)
    throw new ShapeError(
      op,
      `input ${formatShape(x.shape)} has ${Cin} channels but weight ${formatShape(weight.shape)} expects ${wIn} (weight is [in, out/groups, kh, kw])`,
    );
  if (H === 0 || W === 0 || Cin === 0)
    throw new ShapeError(op, `input ${formatShape(x.shape)} must have non-zero channel and spatial sizes`);
  if (Cg === 0 || kh === 0 || kw === 0)
    throw new ShapeError(op, `weight ${formatShape(weight.shape)} must have non-zero output channels and kernel sizes`);
  const [sh, sw] = stride;
  const [dh, dw] = dilation;
  const [ph, pw] = padding;
  const Hout = (H - 1) * sh - 2 * ph + dh * (kh - 1) + outPad[0] + 1;
  const Wout = (W - 1) * sw - 2 * pw + dw * (kw - 1) + outPad[1] + 1;
  if (Hout <= 0 || Wout <= 0)
    throw new ShapeError(
      op,
      `the output size [${Hout}, ${Wout}] is not positive: padding ${formatShape(padding)} is too large for input ${formatShape(x.shape)} and kernel [${kh}, ${kw}]`,
    );
  const Cout = Cg * groups;
  // The conv2d maps [N, Cout, Hout, Wout] to [N, Cin, H, W]; its padded
  // bottom/right edge absorbs outputPadding (those rows are never read).
  const g: ConvGeometry = {
    N,
    C: Cout,
    H: Hout,
    W: Wout,
    Co: Cin,
    G: groups,
    Cg,
    Cog: Cin / groups,
    kh,
    kw,
    sh,
    sw,
    dh,
    dw,
    pt: ph,
    pb: ph,
    pl: pw,
    pr: pw,
    Hp: Hout + 2 * ph,
    Wp: Wout + 2 * pw,
    Ho: H,
    Wo: W,
  };
  return { g, Cout };
}

/** The raw transposed convolution: x [N, Cin, H, W], w [Cin, Cout/G, kh, kw], b [Cout] or null. */
function convTranspose2dRaw(x: Tensor, w: Tensor, b: Tensor | null, g: ConvGeometry): Tensor {
  const out = conv2dBackwardData(w, g, x);
  if (b && out.numel) {
    const bv = b._view([g.C, 1, 1], [b.strides[0], 0, 0], b.offset);
    kBinary(BinaryOp.Add, out, out, bv);
    bv.dispose();
  }
  return out;
}

/** Gradients of convTranspose2d for x, w and b (each only when asked). */
export function convTranspose2dBackward(
  x: Tensor,
  w: Tensor,
  g: ConvGeometry,
  grad: Tensor,
  needs: readonly boolean[],
): (Tensor | null)[] {
  const gy = cast(grad, x.dtype);
  const dx = needs[0] ? conv2dRaw(gy, w, null, g) : null;
  const dw = needs[1] ? conv2dBackward(gy, w, g, x, [false, true, false])[1] : null;
  let db: Tensor | null = null;
  if (needs[2]) {
    db = empty([g.C], x.dtype, x.device);
    if (gy.numel === 0) kFill(db, 0);
    else kReduce(ReduceOp.Sum, db, gy, [0, 2, 3]);
  }
  return [dx, dw, db];
}

/**
 * 2-D transposed convolution (PyTorch's conv_transpose2d): input
 * [N, Cin, H, W] (or [Cin, H, W]), weight [Cin, Cout/groups, kh, kw], bias
 * [Cout]. The output is [N, Cout, Hout, Wout] with
 * Hout = (H - 1) * stride - 2 * padding + dilation * (kh - 1) + outputPadding + 1.
 */
export function convTranspose2d(
  input: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  options?: ConvTranspose2dOptions,
): Tensor {
  const op = 'convTranspose2d';
  const o = checkOptions(op, options, KEYS) as Record<string, unknown>;
  checkTensor(op, input);
  checkTensor(op, weight, 'weight');
  sameDevice(op, input, weight);
  const hasBias = bias !== undefined && bias !== null;
  if (hasBias) {
    checkTensor(op, bias, 'bias');
    sameDevice(op, input, bias);
  }
  const dt = weight.dtype;
  const given = [input, weight, ...(hasBias ? [bias] : [])];
  if (!isFloatingDType(dt) || given.some((t) => t.dtype !== dt)) {
    const fix = dt === 'float64' ? '.double()' : '.float()';
    throw new DTypeError(
      op,
      `expected input, weight${hasBias ? ' and bias' : ''} of the same floating dtype, got ${given.map((t) => t.dtype).join(', ')}; convert with ${fix}`,
    );
  }
  if (input.ndim !== 4 && input.ndim !== 3)
    throw new ShapeError(op, `input must be 4-D (batched) or 3-D, got ${formatShape(input.shape)}`);
  if (weight.ndim !== 4)
    throw new ShapeError(op, `weight must be 4-D [in, out/groups, kh, kw], got ${formatShape(weight.shape)}`);
  const unbatched = input.ndim === 3;
  const x = unbatched ? unsqueeze(input, 0) : input;
  const { g, Cout } = transposeGeometry(op, x, weight, o);
  let b: Tensor | null = null;
  if (hasBias) {
    if (bias.ndim !== 1 || bias.shape[0] !== Cout)
      throw new ShapeError(op, `bias must have shape [${Cout}], got ${formatShape(bias.shape)}`);
    b = bias;
  }
  const out = convTranspose2dRaw(x, weight, b, g);
  const y = record(op, out, [x, weight, b], () => ({ x, w: weight, geometry: g }));
  return unbatched ? squeeze(y, 0) : y;
}
