// Loss modules: hold the options, forward calls the functional loss. A class
// weight is a buffer, so it moves with module.to() and is saved in stateDict.
import { checkTensor } from '../ops/elementwise';
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

/** Registers a loss module's optional weight buffer (checked against the input at each call). */
export function registerWeight(m: Module, op: string, w: unknown, name = 'weight'): void {
  m.registerBuffer(name, w === undefined || w === null ? null : checkTensor(op, w, name));
}

export class CrossEntropyLoss extends Module {
  declare weight: Tensor | null;
  readonly reduction: Reduction;
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;
  constructor(options: CrossEntropyOptions = {}) {
    super();
    const o = checkOptions('CrossEntropyLoss', options, CROSS_ENTROPY_KEYS);
    this.reduction = checkReduction('CrossEntropyLoss', o.reduction);
    this.ignoreIndex = checkIgnoreIndex('CrossEntropyLoss', o.ignoreIndex);
    this.labelSmoothing = checkLabelSmoothing('CrossEntropyLoss', o.labelSmoothing);
    registerWeight(this, 'CrossEntropyLoss', o.weight);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, {
      reduction: this.reduction,
      ignoreIndex: this.ignoreIndex,
      labelSmoothing: this.labelSmoothing,
      weight: this.weight,
    });
  }
  override extraRepr(): string {
    return `reduction='${this.reduction}', ignoreIndex=${this.ignoreIndex}, labelSmoothing=${this.labelSmoothing}`;
  }
}

export class NLLLoss extends Module {
  declare weight: Tensor | null;
  readonly reduction: Reduction;
  readonly ignoreIndex: number;
  constructor(options: NLLLossOptions = {}) {
    super();
    const o = checkOptions('NLLLoss', options, NLL_KEYS);
    this.reduction = checkReduction('NLLLoss', o.reduction);
    this.ignoreIndex = checkIgnoreIndex('NLLLoss', o.ignoreIndex);
    registerWeight(this, 'NLLLoss', o.weight);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return nllLoss(input, target, { reduction: this.reduction, ignoreIndex: this.ignoreIndex, weight: this.weight });
  }
  override extraRepr(): string {
    return `reduction='${this.reduction}', ignoreIndex=${this.ignoreIndex}`;
  }
}
