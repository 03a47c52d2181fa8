// LinearLR: scale the rate linearly from startFactor to endFactor over totalIters.
//   closed form: lr = baseLr * (start + (end - start) * min(epoch, totalIters) / totalIters)
import { checkClosedRange, checkOptions, checkPositiveInt, optionKeys, showValue } from '../../validate';
import { ArgumentError } from '../../errors';
import { LRScheduler, type SchedulableOptimizer } from './scheduler';

export interface LinearLROptions {
  startFactor?: number;
  endFactor?: number;
  totalIters?: number;
}

export class LinearLR extends LRScheduler {
  startFactor: number;
  endFactor: number;
  totalIters: number;

  constructor(optimizer: SchedulableOptimizer, options: LinearLROptions = {}) {
    super('LinearLR', optimizer);
    const o = checkOptions(
      'LinearLR',
      options,
      optionKeys<LinearLROptions>({ startFactor: true, endFactor: true, totalIters: true }),
    );
    const start = o.startFactor ?? 1 / 3;
    if (typeof start !== 'number' || !(start > 0 && start <= 1))
      throw new ArgumentError('LinearLR', `startFactor in (0, 1], got ${showValue(start)}`);
    this.startFactor = start;
    this.endFactor = checkClosedRange('LinearLR', 'endFactor', o.endFactor ?? 1, 0, 1);
    this.totalIters = checkPositiveInt('LinearLR', 'totalIters', o.totalIters ?? 5);
    this.step();
  }

  protected override computeLr(): number[] {
    const { startFactor: s, endFactor: f, totalIters: n, lastEpoch: e } = this;
    const groups = this.optimizer.paramGroups;
    if (e === 0) return groups.map((g) => g.lr * s);
    if (e > n) return groups.map((g) => g.lr);
    const factor = 1 + (f - s) / (n * s + (e - 1) * (f - s));
    return groups.map((g) => g.lr * factor);
  }
}
