// CosineAnnealingLR (SGDR without restarts):
//   closed form: lr = etaMin + (baseLr - etaMin) * (1 + cos(pi * epoch / tMax)) / 2
// computed, as PyTorch does, from the previous rate (chainable form).
import { checkNumber, checkObject, checkPositiveInt } from '../../validate';
import { LRScheduler, type SchedulableOptimizer, pyMod } from './scheduler';

export interface CosineAnnealingLROptions {
  tMax: number;
  etaMin?: number;
}

export class CosineAnnealingLR extends LRScheduler {
  tMax: number;
  etaMin: number;

  constructor(optimizer: SchedulableOptimizer, options: CosineAnnealingLROptions) {
    super('CosineAnnealingLR', optimizer);
    const o = checkObject('CosineAnnealingLR', 'options', options);
    this.tMax = checkPositiveInt('CosineAnnealingLR', 'tMax', o.tMax);
    this.etaMin = checkNumber('CosineAnnealingLR', 'etaMin', o.etaMin ?? 0);
    this.step();
  }

  protected override computeLr(): number[] {
    const { tMax: T, etaMin, lastEpoch: e } = this;
    const groups = this.optimizer.paramGroups;
    if (e === 0) return groups.map((g) => g.lr);
    if (pyMod(e - 1 - T, 2 * T) === 0) {
      // The previous rate was etaMin (a trough): the ratio form would divide by 0.
      return groups.map((g, i) => g.lr + ((this.baseLrs[i] - etaMin) * (1 - Math.cos(Math.PI / T))) / 2);
    }
    const ratio = (1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T));
    return groups.map((g) => ratio * (g.lr - etaMin) + etaMin);
  }
}
