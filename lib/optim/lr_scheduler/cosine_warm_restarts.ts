// CosineAnnealingWarmRestarts (SGDR): cosine annealing from the base rate to
// etaMin over tI epochs, then a restart; each period is tMult times longer.
//   lr = etaMin + (baseLr - etaMin) * (1 + cos(pi * tCur / tI)) / 2
// step(epoch) also takes a fractional epoch (epoch + i / iters per batch), as PyTorch.
import { checkInteger, checkNumber, checkObject, checkPositiveInt, checkRange } from '../../validate';
import { LRScheduler, type SchedulableOptimizer } from './scheduler';

export interface CosineAnnealingWarmRestartsOptions {
  /** Epochs in the first period. */
  t0: number;
  /** Growth of the period after each restart (integer >= 1). Default 1. */
  tMult?: number;
  etaMin?: number;
}

/** Cosine annealing with warm restarts (SGDR); step(epoch) accepts fractional epochs. */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  t0: number;
  tMult: number;
  etaMin: number;
  /** Length of the current period. */
  tI: number;
  /** Epochs since the last restart. */
  tCur: number;

  constructor(optimizer: SchedulableOptimizer, options: CosineAnnealingWarmRestartsOptions) {
    const op = 'CosineAnnealingWarmRestarts';
    super(op, optimizer);
    const o = checkObject(op, 'options', options);
    this.t0 = checkPositiveInt(op, 't0', o.t0);
    this.tMult = checkInteger(op, 'tMult', o.tMult ?? 1, 1);
    this.etaMin = checkNumber(op, 'etaMin', o.etaMin ?? 0);
    this.tI = this.t0;
    this.tCur = -1;
    this.step();
  }

  /** Next epoch, or jumps to `epoch` (may be fractional, >= 0). */
  override step(epoch?: number): void {
    if (epoch === undefined) {
      super.step();
      return;
    }
    const e = checkRange('CosineAnnealingWarmRestarts.step', 'epoch', epoch, 0);
    const { t0, tMult } = this;
    if (e < t0) {
      this.tI = t0;
      this.tCur = e;
    } else if (tMult === 1) {
      this.tCur = e % t0;
    } else {
      const n = Math.floor(Math.log((e / t0) * (tMult - 1) + 1) / Math.log(tMult));
      this.tCur = e - (t0 * (tMult ** n - 1)) / (tMult - 1);
      this.tI = t0 * tMult ** n;
    }
    this.lastEpoch = Math.floor(e);
    const lrs = this.#rates();
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = lrs[i];
    });
    this.lastLrs = lrs;
  }

  protected override computeLr(): number[] {
    if (this.lastEpoch === 0) {
      this.tI = this.t0;
      this.tCur = 0;
    } else {
      this.tCur += 1;
      if (this.tCur >= this.tI) {
        this.tCur -= this.tI;
        this.tI *= this.tMult;
      }
    }
    return this.#rates();
  }

  #rates(): number[] {
    const { etaMin, tCur, tI } = this;
    return this.baseLrs.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((Math.PI * tCur) / tI))) / 2);
  }
}
