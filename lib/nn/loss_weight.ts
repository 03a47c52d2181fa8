// Per-class weights (torch's `weight`) for crossEntropy and nllLoss. With a
// weight the loss is composed from existing ops (log-softmax, gather, sums)
// instead of the fused kernel: each target row counts weight[target], and
// 'mean' divides by the summed weight of the non-ignored targets, as
// PyTorch 1.13's nll_loss and its label-smoothing cross-entropy do.
import { DTypeError, ShapeError } from '../errors';
import { cast } from '../ops/convert';
import { add, checkTensor, div, mul, ne, where } from '../ops/elementwise';
import { gather } from '../ops/index_ops';
import { neg } from '../ops/unary.gen';
import { sum } from '../ops/reduce';
import { reshape, squeeze, unsqueeze } from '../ops/views';
import { sameDevice } from '../kernels/launch';
import { isFloatingDType } from '../tensor/dtype';
import { formatShape } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';

/** How per-element losses are combined. */
export type Reduction = 'mean' | 'sum' | 'none';

/**
 * Checks a per-class weight against `input` (classes in dim 1, or dim 0 for a
 * [C] input): a 1-D floating tensor of C elements on the input's device.
 * Returns it in the input's dtype, or undefined when absent.
 */
export function checkClassWeight(op: string, weight: unknown, input: Tensor): Tensor | undefined {
  if (weight === undefined || weight === null) return undefined;
  const w = checkTensor(op, weight, 'weight');
  if (input.ndim === 0) throw new ShapeError(op, 'input of shape [C] or [N, C, ...], got a 0-d tensor');
  const C = input.ndim === 1 ? input.shape[0] : input.shape[1];
  if (w.ndim !== 1 || w.shape[0] !== C) {
    throw new ShapeError(
      op,
      `weight of shape [${C}] (one per class) for input ${formatShape(input.shape)}, got ${formatShape(w.shape)}`,
    );
  }
  if (!isFloatingDType(w.dtype)) throw new DTypeError(op, `a floating point weight, got ${w.dtype}`);
  sameDevice(op, input, w);
  return w.dtype === input.dtype ? w : cast(w, input.dtype);
}

/**
 * Weighted class-index loss from log-probabilities `logp` [rows, C] and
 * targets `t` [rows]: row r adds
 *   (1 - ls) * -w[t_r] * logp[r, t_r] + ls / C * -sum_c w[c] * logp[r, c]
 * (0 when t_r is ignored). 'mean' divides by sum of w[t_r] over kept rows.
 * Returns [rows] for 'none', else a 0-d tensor.
 */
export function weightedClassLoss(
  logp: Tensor,
  t: Tensor,
  w: Tensor,
  ignoreIndex: number,
  ls: number,
  reduction: Reduction,
): Tensor {
  const C = logp.shape[1];
  const valid = ne(t, ignoreIndex);
  // Ignored rows gather class 0 (always in range) and are then masked out.
  const safe = where(valid, t, 0);
  const wt = mul(gather(w, 0, safe), cast(valid, logp.dtype));
  const picked = squeeze(gather(logp, 1, unsqueeze(safe, 1)), 1);
  let losses = neg(mul(picked, wt));
  if (ls > 0) {
    const smooth = neg(sum(mul(logp, reshape(w, [1, C])), 1));
    const kept = where(valid, smooth, 0);
    losses = add(mul(losses, 1 - ls), mul(kept, ls / C));
  }
  if (reduction === 'none') return losses;
  if (reduction === 'sum') return sum(losses);
  return div(sum(losses), sum(wt));
}

/** weight [C] viewed to broadcast against an input whose classes are dim 1 of `ndim` dims (dim 0 when ndim is 1). */
export function classWeightView(w: Tensor, ndim: number): Tensor {
  return ndim <= 2 ? w : reshape(w, [w.shape[0], ...Array<number>(ndim - 2).fill(1)]);
}
