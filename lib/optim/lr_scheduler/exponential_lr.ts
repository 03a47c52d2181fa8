// ExponentialLR: multiply the rate by gamma every epoch.
//   closed form: lr = baseLr * gamma^epoch
import { checkNumber, checkObject } from '../../validate';
import { LRScheduler, type SchedulableOptimizer } from './scheduler';

export interface ExponentialLROptions {
  gamma: number;
}

/** Multiplies the rate by gamma every epoch. */
export class ExponentialLR extends LRScheduler {
  gamma: number;

  constructor(optimizer: SchedulableOptimizer, options: ExponentialLROptions) {
    super('ExponentialLR', optimizer);
    this.gamma = checkNumber('ExponentialLR', 'gamma', checkObject('ExponentialLR', 'options', options).gamma);
    this.step();
  }

  protected override computeLr(): number[] {
    const groups = this.optimizer.paramGroups;
    return this.lastEpoch === 0 ? groups.map((g) => g.lr) : groups.map((g) => g.lr * this.gamma);
  }
}
