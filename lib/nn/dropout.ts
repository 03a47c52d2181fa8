// Dropout and Flatten: layers without parameters whose behaviour depends
// on a setting (training mode, dims).
import type { Tensor } from '../tensor/tensor';
import { checkClosedRange, checkInteger } from '../validate';
import { dropout, flatten } from './functional';
import { Module } from './module';

/** Zeroes elements with probability p while training (scaling the rest by 1/(1-p)); identity in eval mode. */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    checkClosedRange('Dropout', 'probability p', p, 0, 1);
  }
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training);
  }
  override extraRepr(): string {
    return `p=${this.p}`;
  }
}

/** Merges dims startDim..endDim (default: all but the batch dim). */
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
    checkInteger('Flatten', 'startDim', startDim);
    checkInteger('Flatten', 'endDim', endDim);
  }
  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }
  override extraRepr(): string {
    return `startDim=${this.startDim}, endDim=${this.endDim}`;
  }
}
