// What the fused adaptive optimizers (Adagrad, Adamax, NAdam, RAdam) share:
// the betas option, and one step of a group as one native call per bucket of
// parameters that share dtype, device and per-step scalars.
import { ArgumentError } from '../errors';
import { zeros } from '../tensor/creation';
import type { Tensor } from '../tensor/tensor';
import { checkRange, showValue } from '../validate';
import { bucketBy, prepareParams } from './buckets';
import type { ParamState } from './optimizer';

/** The betas option as given, copied when it is a pair (anything else reaches checkBetas as given). */
export function betasOption(v: unknown): [number, number] {
  if (v === undefined) return [0.9, 0.999];
  return (Array.isArray(v) && v.length === 2 ? [v[0], v[1]] : v) as [number, number];
}

/** betas: a pair, each in [0, 1). */
export function checkBetas(op: string, v: unknown): void {
  if (!Array.isArray(v) || v.length !== 2)
    throw new ArgumentError(op, `betas [beta1, beta2], got ${Array.isArray(v) ? `${v.length} values` : showValue(v)}`);
  checkRange(op, 'betas[0]', v[0], 0, 1);
  checkRange(op, 'betas[1]', v[1], 0, 1);
}

export function zerosFor(p: Tensor): Tensor {
  return zeros(p.shape, { dtype: p.dtype, device: p.device });
}

/** A parameter ready for the kernel with its state, after the step count was advanced. */
export interface StepRow {
  work: Tensor;
  grad: Tensor;
  s: ParamState;
  step: number;
}

/**
 * One step of a group: each parameter with a gradient gets its state
 * (`stateOf`, which creates it on first use) and its step count advanced;
 * `launch` then runs once per bucket of rows sharing dtype, device and
 * `key(row)` (what the per-step scalars depend on).
 */
export function fusedGroupStep(
  op: string,
  params: readonly Tensor[],
  stateOf: (p: Tensor) => ParamState,
  key: (row: StepRow) => string,
  launch: (rows: StepRow[]) => void,
): void {
  const prep = prepareParams(op, params);
  try {
    const rows = prep.items.map((it): StepRow => {
      const s = stateOf(it.param);
      s.step = (s.step as number) + 1;
      return { work: it.work, grad: it.grad, s, step: s.step };
    });
    for (const b of bucketBy(rows, (r) => `${r.work.dtype}|${r.work.device}|${key(r)}`)) launch(b);
  } finally {
    prep.finish();
  }
}
