// ReduceLROnPlateau: multiplies the rates by factor when a metric has not
// improved for more than `patience` steps, then waits `cooldown` steps. As
// PyTorch 1.13 it is not an epoch schedule: step(metric) takes the metric.
import { ArgumentError } from '../../errors';
import { item } from '../../ops/convert';
import { Tensor } from '../../tensor/tensor';
import { checkInteger, checkObject, checkOptions, checkRange, optionKeys, showValue } from '../../validate';
import type { SchedulableOptimizer, SchedulerState } from './scheduler';

export interface ReduceLROnPlateauOptions {
  /** 'min': lower is better (a loss); 'max': higher is better (an accuracy). Default 'min'. */
  mode?: 'min' | 'max';
  /** New rate = rate * factor, in [0, 1). Default 0.1. */
  factor?: number;
  /** Steps without improvement tolerated before a reduction. Default 10. */
  patience?: number;
  /** Smallest change that counts as an improvement. Default 1e-4. */
  threshold?: number;
  /** 'rel': relative to the best value; 'abs': absolute. Default 'rel'. */
  thresholdMode?: 'rel' | 'abs';
  /** Steps to wait after a reduction before counting again. Default 0. */
  cooldown?: number;
  /** Lower bound of the rate, for every group or one per group. Default 0. */
  minLr?: number | number[];
  /** A reduction smaller than eps is skipped. Default 1e-8. */
  eps?: number;
}

const KEYS = optionKeys<ReduceLROnPlateauOptions>({
  mode: true,
  factor: true,
  patience: true,
  threshold: true,
  thresholdMode: true,
  cooldown: true,
  minLr: true,
  eps: true,
});

/** Reduces the rates when a metric stops improving: call step(metric) once per epoch. */
export class ReduceLROnPlateau {
  readonly optimizer: SchedulableOptimizer;
  mode: 'min' | 'max';
  factor: number;
  patience: number;
  threshold: number;
  thresholdMode: 'rel' | 'abs';
  cooldown: number;
  minLrs: number[];
  eps: number;
  /** Best metric so far (starts at the worst value, +-Infinity). */
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  /** Steps taken. */
  lastEpoch = 0;
  protected lastLrs: number[];

  constructor(optimizer: SchedulableOptimizer, options: ReduceLROnPlateauOptions = {}) {
    const op = 'ReduceLROnPlateau';
    if (typeof optimizer !== 'object' || optimizer === null || !Array.isArray(optimizer.paramGroups))
      throw new ArgumentError(op, `an optimizer with paramGroups, got ${showValue(optimizer)}`);
    const o = checkOptions(op, options, KEYS);
    this.optimizer = optimizer;
    const mode = o.mode ?? 'min';
    if (mode !== 'min' && mode !== 'max') throw new ArgumentError(op, `mode 'min' or 'max', got ${showValue(mode)}`);
    this.mode = mode;
    const factor = o.factor ?? 0.1;
    if (typeof factor !== 'number' || !(factor >= 0 && factor < 1))
      throw new ArgumentError(op, `factor in [0, 1), got ${showValue(factor)}`);
    this.factor = factor;
    this.patience = checkInteger(op, 'patience', o.patience ?? 10, 0);
    this.threshold = checkRange(op, 'threshold', o.threshold ?? 1e-4, 0);
    const tm = o.thresholdMode ?? 'rel';
    if (tm !== 'rel' && tm !== 'abs') throw new ArgumentError(op, `thresholdMode 'rel' or 'abs', got ${showValue(tm)}`);
    this.thresholdMode = tm;
    this.cooldown = checkInteger(op, 'cooldown', o.cooldown ?? 0, 0);
    const n = optimizer.paramGroups.length;
    const minLr = o.minLr ?? 0;
    if (Array.isArray(minLr) && minLr.length !== n)
      throw new ArgumentError(op, `${n} minLr values (one per group), got ${minLr.length}`);
    this.minLrs = (Array.isArray(minLr) ? minLr : new Array<number>(n).fill(minLr)).map((v, i) =>
      checkRange(op, `minLr[${i}]`, v, 0),
    );
    this.eps = checkRange(op, 'eps', o.eps ?? 1e-8, 0);
    this.best = mode === 'min' ? Infinity : -Infinity;
    this.lastLrs = optimizer.paramGroups.map((g) => g.lr);
  }

  /** Records one value of the metric (a number or a one-element tensor) and reduces the rates on a plateau. */
  step(metric: number | Tensor): void {
    const current = metric instanceof Tensor ? item(metric) : metric;
    if (typeof current !== 'number')
      throw new ArgumentError('ReduceLROnPlateau.step', `a number or a one-element tensor, got ${showValue(metric)}`);
    this.lastEpoch += 1;
    if (this.#isBetter(current)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const next = Math.max(g.lr * this.factor, this.minLrs[i]);
        if (g.lr - next > this.eps) g.lr = next;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLrs = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** The groups' rates after the last step (their rates at construction before any). */
  getLastLr(): number[] {
    return this.lastLrs.slice();
  }

  #isBetter(a: number): boolean {
    const { best, threshold: th } = this;
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? a < best * (1 - th) : a < best - th;
    return this.thresholdMode === 'rel' ? a > best * (th + 1) : a > best + th;
  }

  /** Every field but the optimizer; an infinite `best` as the string 'Infinity' / '-Infinity' (JSON has no Infinity). */
  stateDict(): SchedulerState {
    const out: SchedulerState = {};
    for (const [k, v] of Object.entries(this)) {
      if (k === 'optimizer') continue;
      out[k] = Array.isArray(v) ? v.slice() : (v as number | string);
    }
    if (!Number.isFinite(this.best)) out.best = String(this.best);
    return out;
  }

  loadStateDict(sd: SchedulerState): void {
    const op = 'ReduceLROnPlateau.loadStateDict';
    const self = this as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(checkObject(op, 'state', sd))) {
      if (!(k in self) || k === 'optimizer') throw new ArgumentError(op, `known state keys, got ${k}`);
      self[k] = Array.isArray(v) ? v.slice() : v;
    }
    this.best = Number(this.best);
  }
}
