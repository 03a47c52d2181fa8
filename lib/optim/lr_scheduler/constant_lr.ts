// ConstantLR: the rate times factor for the first totalIters epochs, then the base rate.
//   closed form: lr = baseLr * (epoch < totalIters ? factor : 1)
import { ArgumentError } from '../../errors';
import { checkOptions, checkPositiveInt, optionKeys, showValue } from '../../validate';
import { LRScheduler, type SchedulableOptimizer } from './scheduler';

export interface ConstantLROptions {
  /** In (0, 1]; default 1/3. */
  factor?: number;
  /** Default 5. */
  totalIters?: number;
}

/** Scales the rate by factor until totalIters, then restores it. */
export class ConstantLR extends LRScheduler {
  factor: number;
  totalIters: number;

  constructor(optimizer: SchedulableOptimizer, options: ConstantLROptions = {}) {
    super('ConstantLR', optimizer);
    const o = checkOptions('ConstantLR', options, optionKeys<ConstantLROptions>({ factor: true, totalIters: true }));
    const factor = o.factor ?? 1 / 3;
    // 0 would make the rate at totalIters 0 / 0 (PyTorch gives NaN there).
    if (typeof factor !== 'number' || !(factor > 0 && factor <= 1))
      throw new ArgumentError('ConstantLR', `factor in (0, 1], got ${showValue(factor)}`);
    this.factor = factor;
    this.totalIters = checkPositiveInt('ConstantLR', 'totalIters', o.totalIters ?? 5);
    this.step();
  }

  protected override computeLr(): number[] {
    const groups = this.optimizer.paramGroups;
    if (this.lastEpoch === 0) return groups.map((g) => g.lr * this.factor);
    if (this.lastEpoch !== this.totalIters) return groups.map((g) => g.lr);
    return groups.map((g) => g.lr / this.factor);
  }
}
