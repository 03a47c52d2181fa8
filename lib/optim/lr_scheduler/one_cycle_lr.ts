// OneCycleLR (Smith & Topor, "super-convergence"), stepped once per batch:
// the rate rises from maxLr/divFactor to maxLr over the first pctStart of the
// steps, then anneals to initialLr/finalDivFactor (three phases: back to the
// initial rate first). Momentum (or Adam's beta1) cycles inversely between
// maxMomentum and baseMomentum, as in PyTorch.
import { ArgumentError } from '../../errors';
import { checkBool, checkClosedRange, checkNumber, checkObject, checkPositiveInt, showValue } from '../../validate';
import { LRScheduler, type SchedulableOptimizer, setInitialLr } from './scheduler';

export interface OneCycleLROptions {
  /** Peak rate: one for every group, or one per group. */
  maxLr: number | number[];
  /** Total number of steps; or give epochs and stepsPerEpoch. */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  pctStart?: number;
  annealStrategy?: 'cos' | 'linear';
  cycleMomentum?: boolean;
  baseMomentum?: number | number[];
  maxMomentum?: number | number[];
  divFactor?: number;
  finalDivFactor?: number;
  threePhase?: boolean;
}

type Anchor = 'initial' | 'max' | 'min';
interface Phase {
  endStep: number;
  startLr: Anchor;
  endLr: Anchor;
  /** Momentum goes the other way: 'max' = maxMomentum, 'min' = baseMomentum. */
  startMomentum: 'max' | 'min';
  endMomentum: 'max' | 'min';
}

function perGroup(op: string, name: string, v: number | number[], n: number): number[] {
  if (Array.isArray(v)) {
    if (v.length !== n) throw new ArgumentError(op, `${name}: ${n} values (one per group), got ${v.length}`);
    return v.map((x, i) => checkNumber(op, `${name}[${i}]`, x));
  }
  return new Array<number>(n).fill(checkNumber(op, name, v));
}

export class OneCycleLR extends LRScheduler {
  totalSteps: number;
  pctStart: number;
  annealStrategy: 'cos' | 'linear';
  threePhase: boolean;
  cycleMomentum: boolean;
  useBeta1: boolean;
  initialLrs: number[];
  maxLrs: number[];
  minLrs: number[];
  baseMomentums: number[];
  maxMomentums: number[];

  constructor(optimizer: SchedulableOptimizer, options: OneCycleLROptions) {
    super('OneCycleLR', optimizer);
    const op = 'OneCycleLR';
    const o = checkObject(op, 'options', options) as Partial<OneCycleLROptions>;
    if (o.totalSteps !== undefined) this.totalSteps = checkPositiveInt(op, 'totalSteps', o.totalSteps);
    else if (o.epochs !== undefined && o.stepsPerEpoch !== undefined) {
      this.totalSteps =
        checkPositiveInt(op, 'epochs', o.epochs) * checkPositiveInt(op, 'stepsPerEpoch', o.stepsPerEpoch);
    } else throw new ArgumentError(op, 'totalSteps, or epochs and stepsPerEpoch, got neither');
    this.pctStart = checkClosedRange(op, 'pctStart', o.pctStart ?? 0.3, 0, 1);
    const anneal = o.annealStrategy ?? 'cos';
    if (anneal !== 'cos' && anneal !== 'linear')
      throw new ArgumentError(op, `annealStrategy 'cos' or 'linear', got ${showValue(anneal)}`);
    this.annealStrategy = anneal;
    this.threePhase = checkBool(op, 'threePhase', o.threePhase ?? false);

    const n = optimizer.paramGroups.length;
    const divFactor = checkNumber(op, 'divFactor', o.divFactor ?? 25);
    const finalDivFactor = checkNumber(op, 'finalDivFactor', o.finalDivFactor ?? 1e4);
    this.maxLrs = perGroup(op, 'maxLr', o.maxLr as number | number[], n);
    this.initialLrs = this.maxLrs.map((m) => m / divFactor);
    this.minLrs = this.initialLrs.map((l) => l / finalDivFactor);
    optimizer.paramGroups.forEach((g, i) => {
      g.lr = this.initialLrs[i];
      setInitialLr(g, g.lr);
    });
    this.baseLrs = this.initialLrs.slice();

    this.cycleMomentum = checkBool(op, 'cycleMomentum', o.cycleMomentum ?? true);
    this.useBeta1 = 'betas' in optimizer.defaults;
    this.baseMomentums = perGroup(op, 'baseMomentum', o.baseMomentum ?? 0.85, n);
    this.maxMomentums = perGroup(op, 'maxMomentum', o.maxMomentum ?? 0.95, n);
    if (this.cycleMomentum) {
      if (!this.useBeta1 && !('momentum' in optimizer.defaults)) {
        throw new ArgumentError(op, 'an optimizer with momentum or betas when cycleMomentum is on, got neither');
      }
      optimizer.paramGroups.forEach((g, i) => this.#setMomentum(g, this.maxMomentums[i]));
    }
    this.step();
  }

  #phases(): Phase[] {
    const T = this.totalSteps;
    const p = this.pctStart;
    if (this.threePhase) {
      return [
        { endStep: p * T - 1, startLr: 'initial', endLr: 'max', startMomentum: 'max', endMomentum: 'min' },
        { endStep: 2 * p * T - 2, startLr: 'max', endLr: 'initial', startMomentum: 'min', endMomentum: 'max' },
        { endStep: T - 1, startLr: 'initial', endLr: 'min', startMomentum: 'max', endMomentum: 'max' },
      ];
    }
    return [
      { endStep: p * T - 1, startLr: 'initial', endLr: 'max', startMomentum: 'max', endMomentum: 'min' },
      { endStep: T - 1, startLr: 'max', endLr: 'min', startMomentum: 'min', endMomentum: 'max' },
    ];
  }

  #anneal(start: number, end: number, pct: number): number {
    if (this.annealStrategy === 'linear') return (end - start) * pct + start;
    return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
  }

  #setMomentum(g: { momentum?: number; betas?: [number, number] }, m: number): void {
    if (this.useBeta1) g.betas = [m, g.betas ? g.betas[1] : 0.999];
    else g.momentum = m;
  }

  protected override computeLr(): number[] {
    const stepNum = this.lastEpoch;
    if (stepNum > this.totalSteps) {
      throw new ArgumentError('OneCycleLR', `at most ${this.totalSteps} steps (totalSteps), got step ${stepNum}`);
    }
    const phases = this.#phases();
    return this.optimizer.paramGroups.map((g, i) => {
      const lrOf = { initial: this.initialLrs[i], max: this.maxLrs[i], min: this.minLrs[i] };
      const momOf = { max: this.maxMomentums[i], min: this.baseMomentums[i] };
      let start = 0;
      for (let k = 0; k < phases.length; ++k) {
        const ph = phases[k];
        if (stepNum <= ph.endStep || k === phases.length - 1) {
          const pct = (stepNum - start) / (ph.endStep - start);
          if (this.cycleMomentum)
            this.#setMomentum(g, this.#anneal(momOf[ph.startMomentum], momOf[ph.endMomentum], pct));
          return this.#anneal(lrOf[ph.startLr], lrOf[ph.endLr], pct);
        }
        start = ph.endStep;
      }
      return g.lr; // unreachable: the last phase always matches
    });
  }
}
