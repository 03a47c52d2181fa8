// Questions asked of tensors, as in PyTorch: isnan / isinf / isfinite,
// isclose / allclose, equal, all / any. None has a gradient (the inputs are
// detached); each is a few comparison and reduction kernels. allclose and
// equal answer a JavaScript boolean, so they read the device (a sync point).
import { type DType, isFloatingDType, promoteTypes } from '../tensor/dtype';
import { normalizeDims } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';
import { checkBool, checkOptions, checkRange, optionKeys } from '../validate';
import { cast } from './convert';
import * as ew from './elementwise';
import { sum } from './reduce';
import { abs } from './unary.gen';

/** Options of isclose / allclose: |a - b| <= atol + rtol * |b|. */
export interface IsCloseOptions {
  /** Relative tolerance (default 1e-5). */
  rtol?: number;
  /** Absolute tolerance (default 1e-8). */
  atol?: number;
  /** Count two NaNs as close (default false). */
  equalNan?: boolean;
}

const ISCLOSE_KEYS = optionKeys<IsCloseOptions>({ rtol: true, atol: true, equalNan: true });

/** True where x is NaN (bool tensor; integer and bool tensors have none). */
export function isnan(x: Tensor): Tensor {
  const v = ew.checkTensor('isnan', x).detach();
  return ew.ne(v, v);
}

/** True where x is +Infinity or -Infinity. */
export function isinf(x: Tensor): Tensor {
  const v = ew.checkTensor('isinf', x).detach();
  return isFloatingDType(v.dtype) ? ew.eq(abs(v), Infinity) : ew.ne(v, v);
}

/** True where x is neither NaN nor infinite. */
export function isfinite(x: Tensor): Tensor {
  const v = ew.checkTensor('isfinite', x).detach();
  // NaN < Infinity is false, so one comparison answers both.
  return isFloatingDType(v.dtype) ? ew.lt(abs(v), Infinity) : ew.eq(v, v);
}

/**
 * torch.isclose: true where |a - b| <= atol + rtol * |b| with both finite,
 * or a == b (equal infinities), or both NaN when equalNan. a and b broadcast;
 * integer inputs are compared in float64.
 */
export function isclose(a: Tensor, b: Tensor, options?: IsCloseOptions): Tensor {
  const op = 'isclose';
  ew.checkTensor(op, a);
  ew.checkTensor(op, b, 'other');
  const o = checkOptions(op, options, ISCLOSE_KEYS);
  const rtol = o.rtol === undefined ? 1e-5 : checkRange(op, 'rtol', o.rtol, 0);
  const atol = o.atol === undefined ? 1e-8 : checkRange(op, 'atol', o.atol, 0);
  const equalNan = o.equalNan === undefined ? false : checkBool(op, 'equalNan', o.equalNan);
  const promoted = promoteTypes(a.dtype, b.dtype);
  const dt: DType = isFloatingDType(promoted) ? promoted : 'float64';
  const x = cast(a.detach(), dt);
  const y = cast(b.detach(), dt);
  const within = ew.le(abs(ew.sub(x, y)), ew.add(ew.mul(abs(y), rtol), atol));
  const bothFinite = ew.logicalAnd(isfinite(x), isfinite(y));
  const close = ew.logicalOr(ew.logicalAnd(within, bothFinite), ew.eq(x, y));
  return equalNan ? ew.logicalOr(close, ew.logicalAnd(isnan(x), isnan(y))) : close;
}

/** torch.allclose: every element of isclose(a, b, options) is true (a boolean; reads the device). */
export function allclose(a: Tensor, b: Tensor, options?: IsCloseOptions): boolean {
  return all(isclose(a, b, options)).item() !== 0;
}

/** torch.equal: the same shape and equal elements (NaN equals nothing); a boolean that reads the device. */
export function equal(a: Tensor, b: Tensor): boolean {
  ew.checkTensor('equal', a);
  ew.checkTensor('equal', b, 'other');
  if (a.ndim !== b.ndim || a.shape.some((d, i) => d !== b.shape[i])) return false;
  return all(ew.eq(a.detach(), b.detach())).item() !== 0;
}

/** torch.all: true where every element along dim (all dims by default) is nonzero; true for none. */
export function all(x: Tensor, dim?: number | number[], keepdim = false): Tensor {
  ew.checkTensor('all', x);
  const dims = normalizeDims('all', dim, x.ndim);
  checkBool('all', 'keepdim', keepdim);
  return ew.eq(sum(ew.logicalNot(x.detach()), dims, keepdim), 0);
}

/** torch.any: true where some element along dim (all dims by default) is nonzero; false for none. */
export function any(x: Tensor, dim?: number | number[], keepdim = false): Tensor {
  ew.checkTensor('any', x);
  const dims = normalizeDims('any', dim, x.ndim);
  checkBool('any', 'keepdim', keepdim);
  return ew.gt(sum(cast(x.detach(), 'bool'), dims, keepdim), 0);
}
