// StepLR: multiply the rate by gamma every stepSize epochs.
//   closed form: lr = baseLr * gamma^floor(epoch / stepSize)
import { checkNumber, checkObject, checkPositiveInt } from '../../validate';
import { LRScheduler, type SchedulableOptimizer } from './scheduler';

export interface StepLROptions {
  stepSize: number;
  gamma?: number;
}

export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;

  constructor(optimizer: SchedulableOptimizer, options: StepLROptions) {
    super('StepLR', optimizer);
    const o = checkObject('StepLR', 'options', options);
    this.stepSize = checkPositiveInt('StepLR', 'stepSize', o.stepSize);
    this.gamma = checkNumber('StepLR', 'gamma', o.gamma ?? 0.1);
    this.step();
  }

  protected override computeLr(): number[] {
    const groups = this.optimizer.paramGroups;
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return groups.map((g) => g.lr);
    return groups.map((g) => g.lr * this.gamma);
  }
}
