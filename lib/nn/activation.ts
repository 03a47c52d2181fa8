// Activation modules: thin wrappers over the functional ops.
import { ArgumentError } from '../errors';
import { leakyRelu, logSoftmax, softmax } from '../ops/activation';
import { relu, sigmoid, silu, softplus, tanh } from '../ops/unary.gen';
import type { Tensor } from '../tensor/tensor';
import { checkInteger, checkNumber, showValue } from '../validate';
import { gelu } from './functional';
import { Module } from './module';

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

/** GELU, exact (erf) by default or with PyTorch's tanh approximation. */
export class GELU extends Module {
  readonly approximate: 'none' | 'tanh';
  /** `approximate` as a string or, as PyTorch's keyword, `{ approximate }`. */
  constructor(approximate: 'none' | 'tanh' | { approximate?: 'none' | 'tanh' } = 'none') {
    super();
    const a: unknown =
      typeof approximate === 'object' && approximate !== null ? (approximate.approximate ?? 'none') : approximate;
    if (a !== 'none' && a !== 'tanh')
      throw new ArgumentError('GELU', `approximate 'none' or 'tanh', got ${showValue(a)}`);
    this.approximate = a;
  }
  forward(x: Tensor): Tensor {
    return gelu(x, this.approximate);
  }
  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

/** SiLU (swish): x * sigmoid(x). */
export class SiLU extends Module {
  forward(x: Tensor): Tensor {
    return silu(x);
  }
}

/** Softplus: log(1 + exp(beta * x)) / beta, linear where beta * x > threshold. */
export class Softplus extends Module {
  constructor(
    readonly beta = 1,
    readonly threshold = 20,
  ) {
    super();
    checkNumber('Softplus', 'beta', beta);
    checkNumber('Softplus', 'threshold', threshold);
  }
  forward(x: Tensor): Tensor {
    return softplus(x, this.beta, this.threshold);
  }
  override extraRepr(): string {
    return `beta=${this.beta}, threshold=${this.threshold}`;
  }
}

export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
    checkNumber('LeakyReLU', 'negativeSlope', negativeSlope);
  }
  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }
  override extraRepr(): string {
    return `negativeSlope=${this.negativeSlope}`;
  }
}

export class Softmax extends Module {
  constructor(readonly dim: number) {
    super();
    checkInteger('Softmax', 'dim', dim);
  }
  forward(x: Tensor): Tensor {
    return softmax(x, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

export class LogSoftmax extends Module {
  constructor(readonly dim: number) {
    super();
    checkInteger('LogSoftmax', 'dim', dim);
  }
  forward(x: Tensor): Tensor {
    return logSoftmax(x, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}
