// More losses, composed from existing ops (autograd comes from theirs):
// l1Loss, smoothL1Loss, huberLoss, binaryCrossEntropy (+WithLogits) and
// klDiv, with PyTorch 1.13's formulas, options and reductions.
import { ArgumentError, DTypeError, ShapeError } from '../errors';
import { cast } from '../ops/convert';
import { add, checkTensor, clamp, div, eq, lt, mul, sub, where } from '../ops/elementwise';
import { abs, exp, log, log1p, neg, relu, square } from '../ops/unary.gen';
import { mean, sum } from '../ops/reduce';
import { sameDevice } from '../kernels/launch';
import { isFloatingDType } from '../tensor/dtype';
import { formatShape } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';
import { checkBool, checkOptions, checkRange, optionKeys, showValue } from '../validate';
import { checkReduction } from './loss_functions';
import type { Reduction } from './loss_weight';

export interface L1LossOptions {
  reduction?: Reduction;
}
export interface SmoothL1LossOptions {
  reduction?: Reduction;
  /** Where the loss turns from quadratic to linear (>= 0; 0 gives the L1 loss). Default 1. */
  beta?: number;
}
export interface HuberLossOptions {
  reduction?: Reduction;
  /** Where the loss turns from quadratic to linear (> 0). Default 1. */
  delta?: number;
}
export interface BCELossOptions {
  reduction?: Reduction;
  /** Rescales each element's loss; broadcast to the input's shape. */
  weight?: Tensor | null;
}
export interface BCEWithLogitsLossOptions extends BCELossOptions {
  /** Weight of the positive term, broadcast to the input's shape (usually one per class, [C]). */
  posWeight?: Tensor | null;
}
/** 'batchmean' divides the sum by the batch size (input.shape[0]): the true KL divergence per sample. */
export type KLDivReduction = Reduction | 'batchmean';
export interface KLDivLossOptions {
  /** Default 'mean' (the mean over every element, as PyTorch; 'batchmean' is the KL divergence). */
  reduction?: KLDivReduction;
  /** The target holds log-probabilities instead of probabilities. Default false. */
  logTarget?: boolean;
}

export const L1_KEYS = optionKeys<L1LossOptions>({ reduction: true });
export const SMOOTH_L1_KEYS = optionKeys<SmoothL1LossOptions>({ reduction: true, beta: true });
export const HUBER_KEYS = optionKeys<HuberLossOptions>({ reduction: true, delta: true });
export const BCE_KEYS = optionKeys<BCELossOptions>({ reduction: true, weight: true });
export const BCE_LOGITS_KEYS = optionKeys<BCEWithLogitsLossOptions>({ reduction: true, weight: true, posWeight: true });
export const KL_DIV_KEYS = optionKeys<KLDivLossOptions>({ reduction: true, logTarget: true });

/** Checks klDiv's `reduction` option ('batchmean' allowed). */
export function checkKLReduction(op: string, r: unknown): KLDivReduction {
  const v = r ?? 'mean';
  if (v === 'mean' || v === 'sum' || v === 'none' || v === 'batchmean') return v;
  throw new ArgumentError(op, `reduction 'mean', 'batchmean', 'sum' or 'none', got ${showValue(r)}`);
}

/** smoothL1Loss's beta: a number >= 0. */
export function checkBeta(op: string, v: unknown): number {
  return checkRange(op, 'beta', v ?? 1, 0);
}

/** huberLoss's delta: a number > 0. */
export function checkDelta(op: string, v: unknown): number {
  const d = checkRange(op, 'delta', v ?? 1, 0);
  if (d === 0) throw new ArgumentError(op, 'delta > 0, got 0');
  return d;
}

function reduce(x: Tensor, reduction: KLDivReduction, batch = 1): Tensor {
  if (reduction === 'none') return x;
  if (reduction === 'sum') return sum(x);
  return reduction === 'batchmean' ? div(sum(x), batch) : mean(x);
}

/**
 * Input and target of one shape (a silent broadcast of [N, 1] against [N]
 * is a classic bug, so it is a ShapeError), floating, on one device.
 */
function checkPair(op: string, input: unknown, target: unknown): [Tensor, Tensor] {
  const x = checkTensor(op, input);
  const t = checkTensor(op, target, 'target');
  sameDevice(op, x, t);
  if (!isFloatingDType(x.dtype)) throw new DTypeError(op, `a floating point input, got ${x.dtype}`);
  if (!isFloatingDType(t.dtype))
    throw new DTypeError(op, `a floating point target, got ${t.dtype} (convert it with target.float())`);
  if (x.ndim !== t.ndim || x.shape.some((s, i) => s !== t.shape[i])) {
    throw new ShapeError(op, `target of the input's shape ${formatShape(x.shape)}, got ${formatShape(t.shape)}`);
  }
  return [x, t.dtype === x.dtype ? t : cast(t, x.dtype)];
}

/** An optional elementwise weight: floating, on the input's device, broadcastable to its shape. */
function checkElementWeight(op: string, name: string, w: unknown, x: Tensor): Tensor | undefined {
  if (w === undefined || w === null) return undefined;
  const t = checkTensor(op, w, name);
  if (!isFloatingDType(t.dtype)) throw new DTypeError(op, `a floating point ${name}, got ${t.dtype}`);
  sameDevice(op, x, t);
  const lead = x.ndim - t.ndim;
  if (lead < 0 || t.shape.some((s, i) => s !== 1 && s !== x.shape[lead + i])) {
    throw new ShapeError(
      op,
      `${name} broadcastable to the input's shape ${formatShape(x.shape)}, got ${formatShape(t.shape)}`,
    );
  }
  return t.dtype === x.dtype ? t : cast(t, x.dtype);
}

/** Mean absolute error |input - target|, as torch's F.l1_loss. */
export function l1Loss(input: Tensor, target: Tensor, options: L1LossOptions = {}): Tensor {
  const op = 'l1_loss';
  const reduction = checkReduction(op, checkOptions(op, options, L1_KEYS).reduction);
  const [x, t] = checkPair(op, input, target);
  return reduce(abs(sub(x, t)), reduction);
}

/**
 * Smooth L1, as torch's F.smooth_l1_loss: 0.5 d^2 / beta where |d| < beta,
 * |d| - 0.5 beta elsewhere (d = input - target).
 */
export function smoothL1Loss(input: Tensor, target: Tensor, options: SmoothL1LossOptions = {}): Tensor {
  const op = 'smooth_l1_loss';
  const o = checkOptions(op, options, SMOOTH_L1_KEYS);
  const reduction = checkReduction(op, o.reduction);
  const beta = checkBeta(op, o.beta);
  const [x, t] = checkPair(op, input, target);
  const d = sub(x, t);
  const ad = abs(d);
  // beta 0 is the L1 loss; the quadratic branch would divide by zero (and where's gradient would be 0 * inf).
  if (beta === 0) return reduce(ad, reduction);
  return reduce(where(lt(ad, beta), mul(square(d), 0.5 / beta), sub(ad, 0.5 * beta)), reduction);
}

/**
 * Huber loss, as torch's F.huber_loss: 0.5 d^2 where |d| < delta,
 * delta (|d| - 0.5 delta) elsewhere. Equals delta * smoothL1Loss(beta = delta).
 */
export function huberLoss(input: Tensor, target: Tensor, options: HuberLossOptions = {}): Tensor {
  const op = 'huber_loss';
  const o = checkOptions(op, options, HUBER_KEYS);
  const reduction = checkReduction(op, o.reduction);
  const delta = checkDelta(op, o.delta);
  const [x, t] = checkPair(op, input, target);
  const d = sub(x, t);
  const ad = abs(d);
  return reduce(where(lt(ad, delta), mul(square(d), 0.5), mul(sub(ad, 0.5 * delta), delta)), reduction);
}

/**
 * Binary cross-entropy of probabilities `input` (in [0, 1]) against targets,
 * as torch's F.binary_cross_entropy: -w (t log x + (1 - t) log(1 - x)), each
 * log clamped at -100 so a saturated probability gives a finite loss. The
 * input's range is not checked (that would wait for its values): a value
 * outside [0, 1] gives NaN.
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, options: BCELossOptions = {}): Tensor {
  const op = 'binary_cross_entropy';
  const o = checkOptions(op, options, BCE_KEYS);
  const reduction = checkReduction(op, o.reduction);
  const [x, t] = checkPair(op, input, target);
  const weight = checkElementWeight(op, 'weight', o.weight, x);
  const logX = clamp(log(x), -100);
  const log1mX = clamp(log1p(neg(x)), -100);
  let losses = neg(add(mul(t, logX), mul(sub(1, t), log1mX)));
  if (weight) losses = mul(losses, weight);
  return reduce(losses, reduction);
}

/**
 * Binary cross-entropy on logits, as torch's F.binary_cross_entropy_with_logits,
 * in the stable form (1 - t) x + lw (log1p(exp(-|x|)) + max(-x, 0)) with
 * lw = 1 + (posWeight - 1) t: no overflow for large |x|.
 */
export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  options: BCEWithLogitsLossOptions = {},
): Tensor {
  const op = 'binary_cross_entropy_with_logits';
  const o = checkOptions(op, options, BCE_LOGITS_KEYS);
  const reduction = checkReduction(op, o.reduction);
  const [x, t] = checkPair(op, input, target);
  const weight = checkElementWeight(op, 'weight', o.weight, x);
  const posWeight = checkElementWeight(op, 'posWeight', o.posWeight, x);
  // log(1 + exp(-x)) = log1p(exp(-|x|)) + max(-x, 0)
  const softplusNeg = add(log1p(exp(neg(abs(x)))), relu(neg(x)));
  const lw = posWeight ? add(mul(sub(posWeight, 1), t), 1) : null;
  let losses = add(mul(sub(1, t), x), lw ? mul(lw, softplusNeg) : softplusNeg);
  if (weight) losses = mul(losses, weight);
  return reduce(losses, reduction);
}

/**
 * Kullback-Leibler divergence of `target` from the log-probabilities `input`,
 * as torch's F.kl_div: target (log target - input), 0 where target is 0
 * (or exp(target) (target - input) with logTarget).
 */
export function klDiv(input: Tensor, target: Tensor, options: KLDivLossOptions = {}): Tensor {
  const op = 'kl_div';
  const o = checkOptions(op, options, KL_DIV_KEYS);
  const reduction = checkKLReduction(op, o.reduction);
  const logTarget = checkBool(op, 'logTarget', o.logTarget ?? false);
  const [x, t] = checkPair(op, input, target);
  let losses: Tensor;
  if (logTarget) {
    losses = mul(exp(t), sub(t, x));
  } else {
    // xlogy(t, t): 0 at t = 0 (log(1) there keeps the gradient finite); a negative t still gives NaN, as PyTorch.
    const logT = log(where(eq(t, 0), 1, t));
    losses = mul(t, sub(logT, x));
  }
  return reduce(losses, reduction, x.ndim === 0 ? 1 : x.shape[0]);
}
