// Elementwise arithmetic, math functions and comparisons, with NumPy
// broadcasting, PyTorch dtype promotion and autograd recording. Scalars
// (JS numbers) go through the scalar kernels, never through a temporary
// tensor, where a scalar kernel exists.
import { BinaryOp, UnaryOp } from '../../bindings/codes.gen';
import { record } from './record';
import { isGradEnabled } from './grad_mode';
import { ArgumentError, DTypeError } from '../errors';
import { type DType, isFloatingDType, promoteTypes, promoteWithScalar } from '../tensor/dtype';
import { broadcastShapes, formatShape, showValue } from '../tensor/shape';
import { Tensor, type TensorOrScalar, emptyTensor as empty } from '../tensor/tensor';
import { cast, scalarTensor } from './convert';
import { kBinary, kCopy, kFill, kUnary, kWhere, sameDevice } from '../kernels/launch';

export function checkTensor(op: string, x: unknown, what = 'input'): Tensor {
  if (!(x instanceof Tensor)) {
    throw new ArgumentError(op, `${what} must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  }
  x._check(op);
  return x;
}

/** alpha of add / sub: a number (PyTorch's Number; a bigint or Symbol is refused). */
function checkAlpha(op: string, alpha: unknown): number {
  if (typeof alpha !== 'number')
    throw new ArgumentError(op, `alpha must be a number, got ${alpha === null ? 'null' : typeof alpha}`);
  return alpha;
}

function checkScalar(op: string, x: unknown): number {
  if (typeof x === 'boolean') return x ? 1 : 0;
  if (typeof x !== 'number')
    throw new ArgumentError(op, `expected a Tensor or a number, got ${x === null ? 'null' : typeof x}`);
  return x;
}

/** Floating dtype for ops that need one: integer inputs compute in float32. */
function floatDType(t: Tensor): DType {
  return isFloatingDType(t.dtype) ? t.dtype : 'float32';
}

// ---- binary on two tensors -----------------------------------------------

function binaryTensors(op: string, code: BinaryOp, a: Tensor, b: Tensor, alpha = 1, dtype?: DType): Tensor {
  const dev = sameDevice(op, a, b);
  const dt = dtype ?? promoteTypes(a.dtype, b.dtype);
  const shape = broadcastShapes(op, a.shape, b.shape);
  const out = empty(shape, dt, dev);
  kBinary(code, out, cast(a, dt), cast(b, dt), alpha);
  return out;
}

function scalarOp(code: UnaryOp, x: Tensor, dt: DType, p0: number): Tensor {
  const xc = cast(x, dt);
  const out = empty(x.shape, dt, x.device);
  kUnary(code, out, xc, p0);
  return out;
}

export function add(a: TensorOrScalar, b: TensorOrScalar, alpha = 1): Tensor {
  checkAlpha('add', alpha);
  if (typeof a === 'number') {
    const t = checkTensor('add', b);
    return add(alpha === 1 ? t : mul(t, alpha), a);
  }
  checkTensor('add', a);
  if (!(b instanceof Tensor)) {
    const s = checkScalar('add', b) * alpha;
    const out = scalarOp(UnaryOp.AddScalar, a, promoteWithScalar(a.dtype, s), s);
    return record('addScalar', out, [a], () => ({}));
  }
  checkTensor('add', b);
  const out = binaryTensors('add', BinaryOp.Add, a, b, alpha);
  return record('add', out, [a, b], () => ({ alpha }));
}

export function sub(a: TensorOrScalar, b: TensorOrScalar, alpha = 1): Tensor {
  checkAlpha('sub', alpha);
  if (typeof a === 'number') {
    const t = checkTensor('sub', b);
    const scaled = alpha === 1 ? t : mul(t, alpha);
    const out = scalarOp(UnaryOp.RsubScalar, scaled, promoteWithScalar(scaled.dtype, a), a);
    return record('rsubScalar', out, [scaled], () => ({}));
  }
  checkTensor('sub', a);
  if (!(b instanceof Tensor)) return add(a, -checkScalar('sub', b) * alpha);
  checkTensor('sub', b);
  const out = binaryTensors('sub', BinaryOp.Sub, a, b, alpha);
  return record('sub', out, [a, b], () => ({ alpha }));
}

export function mul(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  if (typeof a === 'number') return mul(checkTensor('mul', b), a);
  checkTensor('mul', a);
  if (!(b instanceof Tensor)) {
    const s = checkScalar('mul', b);
    const out = scalarOp(UnaryOp.MulScalar, a, promoteWithScalar(a.dtype, s), s);
    return record('mulScalar', out, [a], () => ({ scalar: s }));
  }
  checkTensor('mul', b);
  const out = binaryTensors('mul', BinaryOp.Mul, a, b);
  return record('mul', out, [a, b], () => ({ a, b }));
}

export function div(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  if (typeof a === 'number') {
    const t = checkTensor('div', b);
    const out = scalarOp(UnaryOp.RdivScalar, t, floatDType(t), a);
    return record('rdivScalar', out, [t], () => ({ x: t, scalar: a }));
  }
  checkTensor('div', a);
  if (!(b instanceof Tensor)) {
    const s = checkScalar('div', b);
    const out = scalarOp(UnaryOp.MulScalar, a, floatDType(a), 1 / s);
    return record('mulScalar', out, [a], () => ({ scalar: 1 / s }));
  }
  checkTensor('div', b);
  const dt = promoteTypes(floatDType(a), floatDType(b));
  const out = binaryTensors('div', BinaryOp.Div, a, b, 1, dt);
  return record('div', out, [a, b], () => ({ a, b }));
}

export function pow(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  if (typeof a === 'number') return pow(scalarTensor(a, checkTensor('pow', b)), b);
  checkTensor('pow', a);
  if (!(b instanceof Tensor)) {
    const e = checkScalar('pow', b);
    const dt = Number.isInteger(e) && e >= 0 ? promoteWithScalar(a.dtype, e) : floatDType(a);
    // The kernels have no integer PowScalar: integer powers go through float64
    // (exact below 2^53) and are cast back.
    const out = isFloatingDType(dt)
      ? scalarOp(UnaryOp.PowScalar, a, dt, e)
      : cast(scalarOp(UnaryOp.PowScalar, a, 'float64', e), dt);
    return record('powScalar', out, [a], () => ({ x: a, exponent: e }));
  }
  checkTensor('pow', b);
  const dt = promoteTypes(floatDType(a), floatDType(b));
  const out = binaryTensors('pow', BinaryOp.Pow, a, b, 1, dt);
  return record('pow', out, [a, b], () => ({ a, b, out }));
}

export function maximum(a: Tensor, b: Tensor): Tensor {
  checkTensor('maximum', a);
  checkTensor('maximum', b);
  const out = binaryTensors('maximum', BinaryOp.Maximum, a, b);
  return record('maximum', out, [a, b], () => ({ a, b }));
}

export function minimum(a: Tensor, b: Tensor): Tensor {
  checkTensor('minimum', a);
  checkTensor('minimum', b);
  const out = binaryTensors('minimum', BinaryOp.Minimum, a, b);
  return record('minimum', out, [a, b], () => ({ a, b }));
}

// ---- unary ------------------------------------------------------------------

/** A unary kernel over x (floatOnly: integer inputs compute in float32); no autograd record. */
export function unaryKernel(op: string, code: UnaryOp, x: Tensor, floatOnly: boolean, p0 = 0, p1 = 0): Tensor {
  checkTensor(op, x);
  const dt = floatOnly ? floatDType(x) : x.dtype;
  if (x.dtype === 'bool' && !floatOnly) throw new DTypeError(op, 'not supported for bool tensors');
  const out = empty(x.shape, dt, x.device);
  kUnary(code, out, cast(x, dt), p0, p1);
  return out;
}

function clampBounds(op: string, min?: number | null, max?: number | null): [number, number] {
  const lo = min ?? -Infinity;
  const hi = max ?? Infinity;
  if (typeof lo !== 'number' || typeof hi !== 'number' || Number.isNaN(lo) || Number.isNaN(hi)) {
    throw new ArgumentError(op, `min and max must be numbers, got ${showValue(min)} and ${showValue(max)}`);
  }
  if (min == null && max == null) throw new ArgumentError(op, 'at least one of min and max must be given');
  return [lo, hi];
}

export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  const [lo, hi] = clampBounds('clamp', min, max);
  checkTensor('clamp', x);
  const dt =
    (Number.isInteger(lo) && Number.isInteger(hi)) || !Number.isFinite(lo) || !Number.isFinite(hi)
      ? x.dtype
      : floatDType(x);
  const out = empty(x.shape, dt, x.device);
  kUnary(UnaryOp.Clamp, out, cast(x, dt), lo, hi);
  return record('clamp', out, [x], () => ({ x, min: lo, max: hi }));
}

// ---- comparisons and logic (no gradient) -----------------------------------

function compare(op: string, code: BinaryOp, a: Tensor, b: TensorOrScalar): Tensor {
  checkTensor(op, a);
  const bt = b instanceof Tensor ? checkTensor(op, b) : scalarTensor(checkScalar(op, b), a);
  const dt = b instanceof Tensor ? promoteTypes(a.dtype, bt.dtype) : promoteWithScalar(a.dtype, b as number);
  const dev = sameDevice(op, a, bt);
  const out = empty(broadcastShapes(op, a.shape, bt.shape), 'bool', dev);
  kBinary(code, out, cast(a, dt), cast(bt, dt));
  return out;
}

export const eq = (a: Tensor, b: TensorOrScalar): Tensor => compare('eq', BinaryOp.Eq, a, b);
export const ne = (a: Tensor, b: TensorOrScalar): Tensor => compare('ne', BinaryOp.Ne, a, b);
export const lt = (a: Tensor, b: TensorOrScalar): Tensor => compare('lt', BinaryOp.Lt, a, b);
export const le = (a: Tensor, b: TensorOrScalar): Tensor => compare('le', BinaryOp.Le, a, b);
export const gt = (a: Tensor, b: TensorOrScalar): Tensor => compare('gt', BinaryOp.Gt, a, b);
export const ge = (a: Tensor, b: TensorOrScalar): Tensor => compare('ge', BinaryOp.Ge, a, b);

function logical(op: string, code: BinaryOp, a: Tensor, b: Tensor): Tensor {
  checkTensor(op, a);
  checkTensor(op, b);
  const dev = sameDevice(op, a, b);
  const out = empty(broadcastShapes(op, a.shape, b.shape), 'bool', dev);
  kBinary(code, out, cast(a, 'bool'), cast(b, 'bool'));
  return out;
}
export const logicalAnd = (a: Tensor, b: Tensor): Tensor => logical('logical_and', BinaryOp.LogicalAnd, a, b);
export const logicalOr = (a: Tensor, b: Tensor): Tensor => logical('logical_or', BinaryOp.LogicalOr, a, b);
export function logicalNot(a: Tensor): Tensor {
  return compare('logical_not', BinaryOp.Eq, cast(checkTensor('logical_not', a), 'bool'), 0);
}

/** Elementwise select: cond ? a : b (scalars accepted for a and b). */
export function where(cond: Tensor, a: TensorOrScalar, b: TensorOrScalar): Tensor {
  checkTensor('where', cond, 'condition');
  const ref = a instanceof Tensor ? checkTensor('where', a) : b instanceof Tensor ? checkTensor('where', b) : null;
  // PyTorch's rules: a float scalar lifts an integer tensor to float32; two
  // scalars give int64 when both are integers.
  let dt: DType;
  if (a instanceof Tensor && b instanceof Tensor) dt = promoteTypes(a.dtype, b.dtype);
  else if (ref) dt = promoteWithScalar(ref.dtype, checkScalar('where', a instanceof Tensor ? b : a));
  else
    dt = Number.isInteger(checkScalar('where', a)) && Number.isInteger(checkScalar('where', b)) ? 'int64' : 'float32';
  const at = a instanceof Tensor ? a : scalarTensor(checkScalar('where', a), ref ?? cond, dt);
  const bt = b instanceof Tensor ? b : scalarTensor(checkScalar('where', b), ref ?? cond, dt);
  const dev = sameDevice('where', cond, at, bt);
  const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, at.shape), bt.shape);
  const out = empty(shape, dt, dev);
  kWhere(out, cast(cond, 'bool'), cast(at, dt), cast(bt, dt));
  return record('where', out, [null, at, bt], () => ({ cond }));
}

// ---- in place -----------------------------------------------------------------

function checkInPlace(op: string, t: Tensor): void {
  checkTensor(op, t);
  if (isGradEnabled() && t._requiresGrad) {
    throw new ArgumentError(
      op,
      'a tensor that requires grad cannot be modified in place while grad mode is on (use nt.noGrad)',
    );
  }
}

function otherFor(op: string, t: Tensor, other: TensorOrScalar): Tensor {
  const o = other instanceof Tensor ? checkTensor(op, other) : scalarTensor(checkScalar(op, other), t);
  const shape = broadcastShapes(op, t.shape, o.shape);
  if (shape.length !== t.ndim || shape.some((d, i) => d !== t.shape[i])) {
    throw new ArgumentError(op, `cannot update ${formatShape(t.shape)} in place with ${formatShape(o.shape)}`);
  }
  return cast(o, t.dtype);
}

export function addInPlace(t: Tensor, other: TensorOrScalar, alpha: number): void {
  checkInPlace('add_', t);
  if (typeof alpha !== 'number') throw new ArgumentError('add_', `alpha must be a number, got ${showValue(alpha)}`);
  if (typeof other === 'number') kUnary(UnaryOp.AddScalar, t, t, other * alpha);
  else kBinary(BinaryOp.Add, t, t, otherFor('add_', t, other), alpha);
  t._version++;
}

export function mulInPlace(t: Tensor, other: TensorOrScalar): void {
  checkInPlace('mul_', t);
  if (typeof other === 'number') kUnary(UnaryOp.MulScalar, t, t, other);
  else kBinary(BinaryOp.Mul, t, t, otherFor('mul_', t, other));
  t._version++;
}

export function divInPlace(t: Tensor, other: TensorOrScalar): void {
  checkInPlace('div_', t);
  if (typeof other === 'number') kUnary(UnaryOp.MulScalar, t, t, 1 / other);
  else kBinary(BinaryOp.Div, t, t, otherFor('div_', t, other));
  t._version++;
}

export function fillInPlace(t: Tensor, value: number): void {
  checkInPlace('fill_', t);
  kFill(t, checkScalar('fill_', value));
  t._version++;
}

export function copyInPlace(t: Tensor, src: Tensor): void {
  checkInPlace('copy_', t);
  checkTensor('copy_', src, 'source');
  broadcastShapes('copy_', t.shape, src.shape);
  kCopy(t, src);
  t._version++;
}

export function clampInPlace(t: Tensor, min?: number | null, max?: number | null): void {
  checkInPlace('clamp_', t);
  const [lo, hi] = clampBounds('clamp_', min, max);
  kUnary(UnaryOp.Clamp, t, t, lo, hi);
  t._version++;
}
