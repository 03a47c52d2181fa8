// What the fused adaptive optimizers (Adagrad, Adamax, NAdam, RAdam) share:
// one step of a group as one native call per bucket of parameters that
// share dtype, device and per-step scalars.
import { zeros } from '../tensor/creation';
import type { Tensor } from '../tensor/tensor';
import { bucketBy, prepareParams } from './buckets';
import type { ParamState } from './optimizer';

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
    const same = (a: StepRow, b: StepRow): boolean =>
      a.work.dtype === b.work.dtype && a.work.device === b.work.device && key(a) === key(b);
    for (const b of bucketBy(rows, same)) launch(b);
  } finally {
    prep.finish();
  }
}
