// Loss modules: hold the options, forward calls the functional loss.
import type { Tensor } from '../tensor/tensor';
import { checkOptions } from '../validate';
import {
  type CrossEntropyOptions,
  type MSELossOptions,
  type NLLLossOptions,
  type Reduction,
  checkIgnoreIndex,
  checkLabelSmoothing,
  checkReduction,
  CROSS_ENTROPY_KEYS,
  MSE_KEYS,
  NLL_KEYS,
  crossEntropy,
  mseLoss,
  nllLoss,
} from './loss_functions';
import { Module } from './module';

export class MSELoss extends Module {
  readonly reduction: Reduction;
  constructor(options: MSELossOptions = {}) {
    super();
    this.reduction = checkReduction('MSELoss', checkOptions('MSELoss', options, MSE_KEYS).reduction);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, { reduction: this.reduction });
  }
  override extraRepr(): string {
    return `reduction='${this.reduction}'`;
  }
}

export class CrossEntropyLoss extends Module {
  readonly reduction: Reduction;
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;
  constructor(options: CrossEntropyOptions = {}) {
    super();
    const o = checkOptions('CrossEntropyLoss', options, CROSS_ENTROPY_KEYS);
    this.reduction = checkReduction('CrossEntropyLoss', o.reduction);
    this.ignoreIndex = checkIgnoreIndex('CrossEntropyLoss', o.ignoreIndex);
    this.labelSmoothing = checkLabelSmoothing('CrossEntropyLoss', o.labelSmoothing);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, {
      reduction: this.reduction,
      ignoreIndex: this.ignoreIndex,
      labelSmoothing: this.labelSmoothing,
    });
  }
  override extraRepr(): string {
    return `reduction='${this.reduction}', ignoreIndex=${this.ignoreIndex}, labelSmoothing=${this.labelSmoothing}`;
  }
}

export class NLLLoss extends Module {
  readonly reduction: Reduction;
  readonly ignoreIndex: number;
  constructor(options: NLLLossOptions = {}) {
    super();
    const o = checkOptions('NLLLoss', options, NLL_KEYS);
    this.reduction = checkReduction('NLLLoss', o.reduction);
    this.ignoreIndex = checkIgnoreIndex('NLLLoss', o.ignoreIndex);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return nllLoss(input, target, { reduction: this.reduction, ignoreIndex: this.ignoreIndex });
  }
  override extraRepr(): string {
    return `reduction='${this.reduction}', ignoreIndex=${this.ignoreIndex}`;
  }
}
