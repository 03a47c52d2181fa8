// Loss functions (nn.functional.crossEntropy, nllLoss, mseLoss). Class-index
// cross-entropy without a class weight runs the fused kernel: one pass computes per-row losses and
// dL/dlogits (softmax - smoothed one-hot) without storing probabilities; the
// reduction is recorded as one 'crossEntropy' autograd node that scales the
// saved dlogits. Inputs [N, C, d1, ...] are handled by moving C last.
import { isGradEnabled, noGrad } from '../ops/grad_mode';
import { record } from '../ops/record';
import { ArgumentError, DTypeError, ShapeError } from '../errors';
import { logSoftmax } from '../ops/activation';
import { cast } from '../ops/convert';
import { add, checkTensor, mul, ne, sub, where } from '../ops/elementwise';
import { neg, reciprocal, square } from '../ops/unary.gen';
import { gather } from '../ops/index_ops';
import { kCrossEntropy, sameDevice } from '../kernels/launch';
import { mean, sum } from '../ops/reduce';
import { contiguous, permute, reshape, squeeze, unsqueeze } from '../ops/views';
import { isFloatingDType } from '../tensor/dtype';
import { formatShape } from '../tensor/shape';
import { type Tensor, emptyTensor as empty } from '../tensor/tensor';
import { checkClosedRange, checkOptions, optionKeys, showValue } from '../validate';
import { type Reduction, checkClassWeight, classWeightView, weightedClassLoss } from './loss_weight';
import '../ops/tensor_methods'; // this module calls Tensor methods

export type { Reduction };

export interface CrossEntropyOptions {
  reduction?: Reduction;
  /** Targets equal to this class index add nothing (and do not count for 'mean'). Default -100. */
  ignoreIndex?: number;
  /** Mixes the one-hot target with the uniform distribution: (1 - ls) * onehot + ls / C. */
  labelSmoothing?: number;
  /**
   * Per-class weights, a 1-D float tensor of C elements: class-index targets
   * count weight[target] ('mean' divides by the summed weight of the kept
   * targets); probability targets scale class c by weight[c].
   */
  weight?: Tensor | null;
}

export interface NLLLossOptions {
  reduction?: Reduction;
  ignoreIndex?: number;
  /** Per-class weights [C]: a row counts weight[target]; 'mean' divides by their sum over kept rows. */
  weight?: Tensor | null;
}

export const CROSS_ENTROPY_KEYS = optionKeys<CrossEntropyOptions>({
  reduction: true,
  ignoreIndex: true,
  labelSmoothing: true,
  weight: true,
});
export const NLL_KEYS = optionKeys<NLLLossOptions>({ reduction: true, ignoreIndex: true, weight: true });
export const MSE_KEYS = optionKeys<MSELossOptions>({ reduction: true });

export interface MSELossOptions {
  reduction?: Reduction;
}

export function checkReduction(op: string, r: unknown): Reduction {
  const v = r ?? 'mean';
  if (v !== 'mean' && v !== 'sum' && v !== 'none')
    throw new ArgumentError(op, `reduction 'mean', 'sum' or 'none', got ${showValue(r)}`);
  return v;
}

export function checkIgnoreIndex(op: string, v: unknown): number {
  const i = v ?? -100;
  if (typeof i !== 'number' || !Number.isSafeInteger(i))
    throw new ArgumentError(op, `ignoreIndex must be an integer, got ${showValue(v)}`);
  return i;
}

export function checkLabelSmoothing(op: string, v: unknown): number {
  return checkClosedRange(op, 'labelSmoothing', v ?? 0, 0, 1);
}

function reduce(x: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'none') return x;
  return reduction === 'sum' ? sum(x) : mean(x);
}

/**
 * input [C] with a 0-d target, or [N, C, d1, ...] with target [N, d1, ...]:
 * returns contiguous logits [rows, C], targets [rows] and the loss shape.
 */
function classesLast(op: string, input: Tensor, target: Tensor): { x: Tensor; t: Tensor; outShape: readonly number[] } {
  if (input.ndim === 0) throw new ShapeError(op, 'input of shape [C] or [N, C, ...], got a 0-d tensor');
  const expected = input.ndim === 1 ? [] : [input.shape[0], ...input.shape.slice(2)];
  if (target.ndim !== expected.length || target.shape.some((s, i) => s !== expected[i])) {
    throw new ShapeError(
      op,
      `target of shape ${formatShape(expected)} for input ${formatShape(input.shape)}, got ${formatShape(target.shape)}`,
    );
  }
  const C = input.ndim === 1 ? input.shape[0] : input.shape[1];
  const rows = target.numel;
  const moved = input.ndim > 2 ? permute(input, [0, ...input.shape.slice(2).map((_, i) => i + 2), 1]) : input;
  return {
    x: reshape(contiguous(moved), [rows, C]),
    t: reshape(contiguous(target), [rows]),
    outShape: target.shape,
  };
}

function checkInputs(op: string, input: Tensor, target: Tensor): void {
  checkTensor(op, input);
  checkTensor(op, target, 'target');
  sameDevice(op, input, target);
  if (!isFloatingDType(input.dtype)) throw new DTypeError(op, `a floating point input, got ${input.dtype}`);
}

/** Class indices must be int32/int64; `probabilities`: the op also takes float probability targets. */
function checkClassTarget(op: string, target: Tensor, probabilities: boolean): void {
  if (target.dtype !== 'int32' && target.dtype !== 'int64') {
    const alt = probabilities ? " (or float probabilities of the input's shape)" : '';
    const hint = isFloatingDType(target.dtype) ? ': convert the labels with target.long()' : '';
    throw new DTypeError(op, `class-index targets of dtype int32 or int64${alt}, got ${target.dtype}${hint}`);
  }
}

/**
 * A float target shaped like class indices (the input's shape without the
 * class dim) is almost always labels that were never cast: say so, rather
 * than reporting a probability-target shape mismatch.
 */
function checkNotFloatLabels(op: string, input: Tensor, target: Tensor): void {
  const expected = input.ndim <= 1 ? [] : [input.shape[0], ...input.shape.slice(2)];
  if (input.ndim === 0 || target.ndim !== expected.length || target.shape.some((s, i) => s !== expected[i])) return;
  throw new DTypeError(
    op,
    `class-index targets of dtype int64, got ${target.dtype} of shape ${formatShape(target.shape)}: ` +
      `convert the labels with target.long() (a float target must hold class probabilities of the input's shape ${formatShape(input.shape)})`,
  );
}

/**
 * 1 / (number of targets that are not ignoreIndex), as a 0-d tensor of `dtype`
 * on the targets' device: computed by queued kernels, so the loss needs no
 * host read (which would wait for the whole forward pass).
 */
function inverseValidCount(t: Tensor, ignoreIndex: number, dtype: Tensor['dtype']): Tensor {
  return noGrad(() => {
    const mask = ne(t, ignoreIndex);
    const n = sum(mask);
    const nf = cast(n, dtype);
    const inv = reciprocal(nf);
    for (const x of [mask, n, nf]) if (x !== inv) x.dispose();
    return inv;
  });
}

/**
 * Cross-entropy between logits and class indices (int32/int64) or class
 * probabilities (a float target of the input's shape), as torch's
 * F.cross_entropy. 'mean' divides by the number of non-ignored targets.
 */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const op = 'cross_entropy';
  checkInputs(op, input, target);
  const o = checkOptions(op, options, CROSS_ENTROPY_KEYS);
  const reduction = checkReduction(op, o.reduction);
  const ignoreIndex = checkIgnoreIndex(op, o.ignoreIndex);
  const ls = checkLabelSmoothing(op, o.labelSmoothing);
  const weight = checkClassWeight(op, o.weight, input);
  if (isFloatingDType(target.dtype)) {
    checkNotFloatLabels(op, input, target);
    return crossEntropyProbs(input, target, reduction, ls, weight);
  }
  checkClassTarget(op, target, true);
  const { x, t, outShape } = classesLast(op, input, target);
  if (weight) {
    const out = weightedClassLoss(logSoftmax(x, 1), t, weight, ignoreIndex, ls, reduction);
    return reduction === 'none' && outShape.length !== 1 ? reshape(out, outShape) : out;
  }
  const [rows, C] = x.shape;
  const needGrad = isGradEnabled() && x.requiresGrad;
  const losses = empty([rows], x.dtype, x.device);
  const dlogits = needGrad ? empty([rows, C], x.dtype, x.device) : null;
  if (rows > 0) kCrossEntropy(losses, dlogits, x, t, ignoreIndex, ls);
  if (reduction === 'none') {
    const out = record('crossEntropy', losses, [x], () => ({ dlogits: dlogits as Tensor, scale: 1, perRow: true }));
    return outShape.length === 1 ? out : reshape(out, outShape);
  }
  // The reduction itself is not recorded: its gradient is the scale below.
  let total = sum(losses);
  let scale: Tensor | number = 1;
  if (reduction === 'mean') {
    scale = inverseValidCount(t, ignoreIndex, x.dtype);
    const summed = total;
    total = mul(summed, scale);
    summed.dispose();
  }
  losses.dispose();
  return record('crossEntropy', total, [x], () => ({ dlogits: dlogits as Tensor, scale, perRow: false }));
}

/** Soft targets: -(target_smoothed * logSoftmax(input)).sum(classDim), composite autograd. */
function crossEntropyProbs(
  input: Tensor,
  target: Tensor,
  reduction: Reduction,
  ls: number,
  weight: Tensor | undefined,
): Tensor {
  if (input.ndim === 0 || target.ndim !== input.ndim || target.shape.some((s, i) => s !== input.shape[i])) {
    throw new ShapeError(
      'cross_entropy',
      `probability targets of the input's shape ${formatShape(input.shape)}, got ${formatShape(target.shape)}`,
    );
  }
  const classDim = input.ndim === 1 ? 0 : 1;
  const C = input.shape[classDim];
  const smoothed = ls > 0 ? add(mul(cast(target, input.dtype), 1 - ls), ls / C) : cast(target, input.dtype);
  // 'mean' still divides by the number of rows, as PyTorch does with a weight.
  const tgt = weight ? mul(smoothed, classWeightView(weight, input.ndim)) : smoothed;
  const losses = neg(sum(mul(logSoftmax(input, classDim), tgt), classDim));
  return reduce(losses, reduction);
}

/**
 * Negative log-likelihood of log-probabilities `input` ([N, C, ...] or [C])
 * at class indices `target`, as torch's F.nll_loss.
 */
export function nllLoss(input: Tensor, target: Tensor, options: NLLLossOptions = {}): Tensor {
  const op = 'nll_loss';
  checkInputs(op, input, target);
  checkClassTarget(op, target, false);
  const o = checkOptions(op, options, NLL_KEYS);
  const reduction = checkReduction(op, o.reduction);
  const ignoreIndex = checkIgnoreIndex(op, o.ignoreIndex);
  const weight = checkClassWeight(op, o.weight, input);
  const { x, t, outShape } = classesLast(op, input, target);
  if (weight) {
    const out = weightedClassLoss(x, t, weight, ignoreIndex, 0, reduction);
    return reduction === 'none' && outShape.length !== 1 ? reshape(out, outShape) : out;
  }
  const valid = ne(t, ignoreIndex);
  // Ignored rows gather class 0 (always in range) and are then masked out.
  const safe = where(valid, t, 0);
  const picked = squeeze(gather(x, 1, unsqueeze(safe, 1)), 1);
  const losses = neg(mul(picked, cast(valid, x.dtype)));
  if (reduction === 'none') return outShape.length === 1 ? losses : reshape(losses, outShape);
  if (reduction === 'sum') return sum(losses);
  return mul(sum(losses), inverseValidCount(t, ignoreIndex, x.dtype));
}

/**
 * Mean squared error, as torch's F.mse_loss. Shapes must match: a silent
 * broadcast of [N, 1] against [N] is a classic bug, so it is a ShapeError.
 */
export function mseLoss(input: Tensor, target: Tensor, options: MSELossOptions = {}): Tensor {
  const op = 'mse_loss';
  checkTensor(op, input);
  checkTensor(op, target, 'target');
  const reduction = checkReduction(op, checkOptions(op, options, MSE_KEYS).reduction);
  if (input.ndim !== target.ndim || input.shape.some((s, i) => s !== target.shape[i])) {
    throw new ShapeError(
      op,
      `target of the input's shape ${formatShape(input.shape)}, got ${formatShape(target.shape)}`,
    );
  }
  return reduce(square(sub(input, target)), reduction);
}
