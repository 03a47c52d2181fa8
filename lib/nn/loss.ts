// Loss modules: hold the options, forward calls the functional loss.
import type { Tensor } from '../tensor/tensor';
import {
  type CrossEntropyOptions, type MSELossOptions, type NLLLossOptions, type Reduction,
  checkReduction, crossEntropy, mseLoss, nllLoss,
} from './loss_functions';
import { Module } from './module';

export class MSELoss extends Module {
  readonly reduction: Reduction;
  constructor(options: MSELossOptions = {}) {
    super();
    this.reduction = checkReduction('MSELoss', options.reduction);
  }
  forward(input: Tensor, target: Tensor): Tensor { return mseLoss(input, target, { reduction: this.reduction }); }
  override extraRepr(): string { return `reduction='${this.reduction}'`; }
}

export class CrossEntropyLoss extends Module {
  readonly reduction: Reduction;
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;
  constructor(options: CrossEntropyOptions = {}) {
    super();
    this.reduction = checkReduction('CrossEntropyLoss', options.reduction);
    this.ignoreIndex = options.ignoreIndex ?? -100;
    this.labelSmoothing = options.labelSmoothing ?? 0;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, { reduction: this.reduction, ignoreIndex: this.ignoreIndex, labelSmoothing: this.labelSmoothing });
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
    this.reduction = checkReduction('NLLLoss', options.reduction);
    this.ignoreIndex = options.ignoreIndex ?? -100;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return nllLoss(input, target, { reduction: this.reduction, ignoreIndex: this.ignoreIndex });
  }
  override extraRepr(): string { return `reduction='${this.reduction}', ignoreIndex=${this.ignoreIndex}`; }
}
