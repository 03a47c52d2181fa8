// LambdaLR: lr = baseLr * lrLambda(epoch), one function for every group or
// one per group. The functions are not part of stateDict (as in PyTorch).
import { ArgumentError } from '../../errors';
import { checkFunction, checkNumber, showValue } from '../../validate';
import { LRScheduler, type SchedulableOptimizer, type SchedulerState } from './scheduler';

/** The factor applied to a group's base rate at `epoch`. */
export type LrLambda = (epoch: number) => number;

/** Sets each group's rate to its base rate times lrLambda(epoch). */
export class LambdaLR extends LRScheduler {
  lrLambdas: LrLambda[];

  constructor(optimizer: SchedulableOptimizer, lrLambda: LrLambda | LrLambda[]) {
    super('LambdaLR', optimizer);
    const n = optimizer.paramGroups.length;
    const fns = Array.isArray(lrLambda) ? lrLambda : new Array<LrLambda>(n).fill(lrLambda);
    if (fns.length !== n)
      throw new ArgumentError('LambdaLR', `${n} lrLambda functions (one per group), got ${showValue(fns.length)}`);
    this.lrLambdas = fns.map((f, i) => checkFunction<LrLambda>('LambdaLR', `lrLambda[${i}]`, f));
    this.step();
  }

  protected override computeLr(): number[] {
    return this.baseLrs.map(
      (b, i) => checkNumber('LambdaLR', `lrLambda(${this.lastEpoch})`, this.lrLambdas[i](this.lastEpoch)) * b,
    );
  }

  override stateDict(): SchedulerState {
    const out = super.stateDict();
    delete out.lrLambdas;
    return out;
  }
}
