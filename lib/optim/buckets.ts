// Prepares a group's parameters for a fused kernel call: keeps those with a
// gradient, checks the gradient matches its parameter, makes contiguous
// working copies where a tensor is strided (copied back after the step), and
// splits the list into buckets a single native call can take (one dtype, one
// device, one set of per-step scalars).
import { DeviceError, ShapeError } from '../errors';
import { cast } from '../ops/convert';
import { formatShape } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';
import '../ops/tensor_methods'; // this module calls Tensor methods

/** A parameter with its gradient, both contiguous and of the parameter's dtype. */
interface Prepared {
  /** The optimizer's parameter (state is keyed by it). */
  param: Tensor;
  /** What the kernel updates: `param` itself, or a contiguous copy of it. */
  work: Tensor;
  grad: Tensor;
}

export interface PreparedGroup {
  items: Prepared[];
  /** Copies working copies back into their parameters and frees temporaries. */
  finish(): void;
}

export function prepareParams(op: string, params: readonly Tensor[]): PreparedGroup {
  const items: Prepared[] = [];
  const temps: Tensor[] = [];
  for (const p of params) {
    const g = p.grad;
    if (g === null) continue;
    p._check(op);
    g._check(op);
    if (g.device !== p.device)
      throw new DeviceError(op, `a gradient on the parameter's device (${p.device}), got ${g.device}`);
    if (g.shape.length !== p.shape.length || g.shape.some((s, i) => s !== p.shape[i])) {
      throw new ShapeError(
        op,
        `a gradient of the parameter's shape ${formatShape(p.shape)}, got ${formatShape(g.shape)}`,
      );
    }
    let grad = cast(g, p.dtype);
    if (!grad.isContiguous()) grad = grad.contiguous();
    if (grad !== g) temps.push(grad);
    const work = p.isContiguous() ? p : p.contiguous();
    items.push({ param: p, work, grad });
  }
  return {
    items,
    finish(): void {
      for (const it of items) {
        if (it.work === it.param) continue;
        it.param.copy_(it.work);
        it.work.dispose();
      }
      for (const t of temps) t.dispose();
    },
  };
}

/**
 * Splits items into lists whose members are all `same` as the list's first
 * one, in first-seen order. An equality test rather than a string key: no
 * key string is built per parameter per step, and groups hold few buckets.
 */
export function bucketBy<T>(items: readonly T[], same: (a: T, b: T) => boolean): T[][] {
  const buckets: T[][] = [];
  for (const it of items) {
    const list = buckets.find((l) => same(l[0], it));
    if (list) list.push(it);
    else buckets.push([it]);
  }
  return buckets;
}
