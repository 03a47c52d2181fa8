// Modules of the losses in loss_extra.ts: hold the options, forward calls the
// functional loss. Weights are buffers (moved by to(), saved in stateDict).
import type { Tensor } from '../tensor/tensor';
import { checkBool, checkOptions } from '../validate';
import {
  type BCELossOptions,
  type BCEWithLogitsLossOptions,
  type HuberLossOptions,
  type KLDivLossOptions,
  type KLDivReduction,
  type L1LossOptions,
  type SmoothL1LossOptions,
  BCE_KEYS,
  BCE_LOGITS_KEYS,
  HUBER_KEYS,
  KL_DIV_KEYS,
  L1_KEYS,
  SMOOTH_L1_KEYS,
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  checkBeta,
  checkDelta,
  checkKLReduction,
  huberLoss,
  klDiv,
  l1Loss,
  smoothL1Loss,
} from './loss_extra';
import { registerWeight } from './loss';
import { checkReduction } from './loss_functions';
import type { Reduction } from './loss_weight';
import { Module } from './module';

/** Mean absolute error |input - target| (F.l1Loss). */
export class L1Loss extends Module {
  readonly reduction: Reduction;
  constructor(options: L1LossOptions = {}) {
    super();
    this.reduction = checkReduction('L1Loss', checkOptions('L1Loss', options, L1_KEYS).reduction);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, { reduction: this.reduction });
  }
  override extraRepr(): string {
    return `reduction='${this.reduction}'`;
  }
}

/** Quadratic below beta, linear above (F.smoothL1Loss). */
export class SmoothL1Loss extends Module {
  readonly reduction: Reduction;
  readonly beta: number;
  constructor(options: SmoothL1LossOptions = {}) {
    super();
    const o = checkOptions('SmoothL1Loss', options, SMOOTH_L1_KEYS);
    this.reduction = checkReduction('SmoothL1Loss', o.reduction);
    this.beta = checkBeta('SmoothL1Loss', o.beta);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
  override extraRepr(): string {
    return `reduction='${this.reduction}', beta=${this.beta}`;
  }
}

/** Quadratic below delta, delta-scaled linear above (F.huberLoss). */
export class HuberLoss extends Module {
  readonly reduction: Reduction;
  readonly delta: number;
  constructor(options: HuberLossOptions = {}) {
    super();
    const o = checkOptions('HuberLoss', options, HUBER_KEYS);
    this.reduction = checkReduction('HuberLoss', o.reduction);
    this.delta = checkDelta('HuberLoss', o.delta);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }
  override extraRepr(): string {
    return `reduction='${this.reduction}', delta=${this.delta}`;
  }
}

/** Binary cross-entropy of probabilities (after a sigmoid); BCEWithLogitsLoss is the stable choice. */
export class BCELoss extends Module {
  declare weight: Tensor | null;
  readonly reduction: Reduction;
  constructor(options: BCELossOptions = {}) {
    super();
    const o = checkOptions('BCELoss', options, BCE_KEYS);
    this.reduction = checkReduction('BCELoss', o.reduction);
    registerWeight(this, 'BCELoss', o.weight);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropy(input, target, { reduction: this.reduction, weight: this.weight });
  }
  override extraRepr(): string {
    return `reduction='${this.reduction}'`;
  }
}

/** Sigmoid and binary cross-entropy in one numerically stable loss. */
export class BCEWithLogitsLoss extends Module {
  declare weight: Tensor | null;
  declare posWeight: Tensor | null;
  readonly reduction: Reduction;
  constructor(options: BCEWithLogitsLossOptions = {}) {
    super();
    const o = checkOptions('BCEWithLogitsLoss', options, BCE_LOGITS_KEYS);
    this.reduction = checkReduction('BCEWithLogitsLoss', o.reduction);
    registerWeight(this, 'BCEWithLogitsLoss', o.weight);
    registerWeight(this, 'BCEWithLogitsLoss', o.posWeight, 'posWeight');
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(input, target, {
      reduction: this.reduction,
      weight: this.weight,
      posWeight: this.posWeight,
    });
  }
  override extraRepr(): string {
    return `reduction='${this.reduction}'`;
  }
}

/** KL divergence of the target from log-probabilities; use reduction 'batchmean' for the true KL per sample. */
export class KLDivLoss extends Module {
  readonly reduction: KLDivReduction;
  readonly logTarget: boolean;
  constructor(options: KLDivLossOptions = {}) {
    super();
    const o = checkOptions('KLDivLoss', options, KL_DIV_KEYS);
    this.reduction = checkKLReduction('KLDivLoss', o.reduction);
    this.logTarget = checkBool('KLDivLoss', 'logTarget', o.logTarget ?? false);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget });
  }
  override extraRepr(): string {
    return `reduction='${this.reduction}', logTarget=${this.logTarget}`;
  }
}
