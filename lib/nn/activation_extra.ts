// ELU, Mish, Hardswish and Hardtanh: functional forms composed from existing
// ops (autograd comes from theirs) and their modules.
import { ArgumentError, DTypeError } from '../errors';
import { add, checkTensor, clamp, gt, mul, where } from '../ops/elementwise';
import { expm1, softplus, tanh } from '../ops/unary.gen';
import { isFloatingDType } from '../tensor/dtype';
import type { Tensor } from '../tensor/tensor';
import { checkNumber } from '../validate';
import { Module } from './module';

function checkFloat(op: string, x: unknown): Tensor {
  const t = checkTensor(op, x);
  if (!isFloatingDType(t.dtype)) throw new DTypeError(op, `a floating point input, got ${t.dtype}`);
  return t;
}

/** ELU: x where x > 0, alpha (exp(x) - 1) elsewhere. */
export function elu(x: Tensor, alpha = 1): Tensor {
  checkFloat('elu', x);
  checkNumber('elu', 'alpha', alpha);
  // expm1 sees min(x, 0): exp of a large positive x would be inf, and where's zero gradient times inf is NaN.
  return where(gt(x, 0), x, mul(expm1(clamp(x, null, 0)), alpha));
}

/** Mish: x tanh(softplus(x)). */
export function mish(x: Tensor): Tensor {
  checkFloat('mish', x);
  return mul(x, tanh(softplus(x)));
}

/** Hardswish: x relu6(x + 3) / 6 (0 below -3, x above 3). */
export function hardswish(x: Tensor): Tensor {
  checkFloat('hardswish', x);
  return mul(x, mul(clamp(add(x, 3), 0, 6), 1 / 6));
}

/** Hardtanh: x clamped to [minVal, maxVal]. */
export function hardtanh(x: Tensor, minVal = -1, maxVal = 1): Tensor {
  checkFloat('hardtanh', x);
  checkHardtanhRange('hardtanh', minVal, maxVal);
  return clamp(x, minVal, maxVal);
}

function checkHardtanhRange(op: string, minVal: number, maxVal: number): void {
  checkNumber(op, 'minVal', minVal);
  checkNumber(op, 'maxVal', maxVal);
  if (!(maxVal > minVal)) throw new ArgumentError(op, `maxVal > minVal, got minVal ${minVal} and maxVal ${maxVal}`);
}

/** ELU: x where x > 0, alpha (exp(x) - 1) elsewhere. */
export class ELU extends Module {
  constructor(readonly alpha = 1) {
    super();
    checkNumber('ELU', 'alpha', alpha);
  }
  forward(x: Tensor): Tensor {
    return elu(x, this.alpha);
  }
  override extraRepr(): string {
    return `alpha=${this.alpha}`;
  }
}

/** Mish: x tanh(softplus(x)). */
export class Mish extends Module {
  forward(x: Tensor): Tensor {
    return mish(x);
  }
}

/** Hardswish: x relu6(x + 3) / 6. */
export class Hardswish extends Module {
  forward(x: Tensor): Tensor {
    return hardswish(x);
  }
}

/** Hardtanh: x clamped to [minVal, maxVal] (default [-1, 1]). */
export class Hardtanh extends Module {
  constructor(
    readonly minVal = -1,
    readonly maxVal = 1,
  ) {
    super();
    checkHardtanhRange('Hardtanh', minVal, maxVal);
  }
  forward(x: Tensor): Tensor {
    return hardtanh(x, this.minVal, this.maxVal);
  }
  override extraRepr(): string {
    return `minVal=${this.minVal}, maxVal=${this.maxVal}`;
  }
}
