// MultiStepLR: multiply the rate by gamma at each milestone epoch.
//   closed form: lr = baseLr * gamma^(number of milestones <= epoch)
// A milestone listed twice applies gamma twice, as PyTorch's Counter does.
import { ArgumentError } from '../../errors';
import { checkInteger, checkNumber, checkObject, showValue } from '../../validate';
import { LRScheduler, type SchedulableOptimizer } from './scheduler';

export interface MultiStepLROptions {
  /** Epochs at which the rate is multiplied by gamma (non-negative integers, any order). */
  milestones: number[];
  gamma?: number;
}

/** Multiplies the rate by gamma at each milestone epoch. */
export class MultiStepLR extends LRScheduler {
  milestones: number[];
  gamma: number;

  constructor(optimizer: SchedulableOptimizer, options: MultiStepLROptions) {
    super('MultiStepLR', optimizer);
    const o = checkObject('MultiStepLR', 'options', options);
    if (!Array.isArray(o.milestones))
      throw new ArgumentError('MultiStepLR', `milestones as an array of epochs, got ${showValue(o.milestones)}`);
    this.milestones = (o.milestones as unknown[])
      .map((m, i) => checkInteger('MultiStepLR', `milestones[${i}]`, m, 0))
      .sort((a, b) => a - b);
    this.gamma = checkNumber('MultiStepLR', 'gamma', o.gamma ?? 0.1);
    this.step();
  }

  protected override computeLr(): number[] {
    const hits = this.milestones.filter((m) => m === this.lastEpoch).length;
    return this.optimizer.paramGroups.map((g) => g.lr * this.gamma ** hits);
  }
}
