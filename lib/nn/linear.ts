// Linear (y = x W^T + b through the fused linear op: one GEMM with the bias
// folded in) and Identity.
import { noGrad } from '../ops/grad_mode';
import { linear } from '../ops/linalg';
import { empty } from '../tensor/creation';
import type { DeviceLike, DType } from '../tensor/dtype';
import type { Tensor } from '../tensor/tensor';
import { checkBool, checkInteger, checkOptions, optionKeys } from '../validate';
import { kaimingUniform_, uniform_ } from './init';
import { Module } from './module';
import { Parameter } from './parameter';

export interface LinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
  device?: DeviceLike;
  dtype?: DType;
}

/** y = x @ weight^T + bias over the last dim of x. weight is [outFeatures, inFeatures]. */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  weight: Tensor;
  bias: Tensor | null;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    this.inFeatures = checkInteger('Linear', 'inFeatures', inFeatures, 0);
    this.outFeatures = checkInteger('Linear', 'outFeatures', outFeatures, 0);
    const o = checkOptions('Linear', options, optionKeys<LinearOptions>({ bias: true, device: true, dtype: true }));
    const bias = checkBool('Linear', 'bias', o.bias ?? true);
    const opts = { device: o.device, dtype: o.dtype };
    this.weight = Parameter(empty([outFeatures, inFeatures], opts));
    this.bias = bias ? Parameter(empty([outFeatures], opts)) : null;
    this.resetParameters();
  }

  /**
   * PyTorch's default init: kaiming uniform with a = sqrt(5), i.e. weight ~
   * U(-1/sqrt(in), 1/sqrt(in)), and bias ~ U(-1/sqrt(in), 1/sqrt(in)).
   */
  resetParameters(): void {
    noGrad(() => {
      kaimingUniform_(this.weight, { a: Math.sqrt(5) });
      if (this.bias) {
        const bound = this.inFeatures > 0 ? 1 / Math.sqrt(this.inFeatures) : 0;
        uniform_(this.bias, -bound, bound);
      }
    });
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

/** Returns its input unchanged. */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}
