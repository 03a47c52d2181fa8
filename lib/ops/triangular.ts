// Triangles and masks, built on `where`: tril/triu keep the elements on one
// side of a diagonal of the last two dims (the mask compares a column and a
// row arange on the device, so no host array of H x W is built), maskedFill
// writes a value where a bool mask is true. `where` records the gradient,
// which flows to x wherever x was kept (and to a 0-d tensor value where it
// was written).
import { ArgumentError, DTypeError, ShapeError } from '../errors';
import { arange } from '../tensor/creation';
import { broadcastShapes, formatShape } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { showValue } from '../validate';
import { cast, scalarTensor, to } from './convert';
import { checkTensor, le, ge, sub, where } from './elementwise';
import { reshape } from './views';

function checkDiagonal(op: string, diagonal: unknown): number {
  if (typeof diagonal !== 'number' || !Number.isSafeInteger(diagonal))
    throw new ArgumentError(op, `diagonal an integer, got ${showValue(diagonal)}`);
  return diagonal;
}

/** Bool [H, W]: column - row compared with the diagonal (<= for tril, >= for triu). */
function triangleMask(x: Tensor, diagonal: number, lower: boolean): Tensor {
  const [H, W] = x.shape.slice(-2);
  const rows = reshape(arange(0, H, 1, { dtype: 'int64', device: x.device }), [H, 1]);
  const cols = reshape(arange(0, W, 1, { dtype: 'int64', device: x.device }), [1, W]);
  const offset = sub(cols, rows);
  return lower ? le(offset, diagonal) : ge(offset, diagonal);
}

function triangle(op: string, x: Tensor, diagonal: unknown, lower: boolean): Tensor {
  checkTensor(op, x);
  const k = checkDiagonal(op, diagonal);
  if (x.ndim < 2) throw new ShapeError(op, `input must have at least 2 dims, got ${formatShape(x.shape)}`);
  return where(triangleMask(x, k, lower), x, scalarTensor(0, x, x.dtype));
}

/**
 * torch.tril: the lower triangle of the last two dims (element [i, j] kept
 * where j - i <= diagonal), zeros elsewhere; any batch dims.
 */
export function tril(x: Tensor, diagonal = 0): Tensor {
  return triangle('tril', x, diagonal, true);
}

/**
 * torch.triu: the upper triangle of the last two dims (element [i, j] kept
 * where j - i >= diagonal), zeros elsewhere; any batch dims.
 */
export function triu(x: Tensor, diagonal = 0): Tensor {
  return triangle('triu', x, diagonal, false);
}

/**
 * torch.masked_fill: x with `value` where the bool `mask` (broadcastable to
 * x's shape) is true. `value` is a number or a 0-d tensor (cast to x's dtype;
 * it receives gradient from the positions it fills).
 */
export function maskedFill(x: Tensor, mask: Tensor, value: number | Tensor): Tensor {
  const op = 'masked_fill';
  checkTensor(op, x);
  checkTensor(op, mask, 'mask');
  if (mask.dtype !== 'bool') throw new DTypeError(op, `mask must be bool, got ${mask.dtype}`);
  const shape = broadcastShapes(op, x.shape, mask.shape);
  if (shape.length !== x.ndim || shape.some((s, i) => s !== x.shape[i]))
    throw new ShapeError(
      op,
      `mask ${formatShape(mask.shape)} must broadcast to the input's shape ${formatShape(x.shape)}`,
    );
  let v: Tensor;
  if (value instanceof Tensor) {
    checkTensor(op, value, 'value');
    if (value.ndim !== 0) throw new ShapeError(op, `value must be a 0-d tensor, got ${formatShape(value.shape)}`);
    v = cast(to(value, x.device), x.dtype);
  } else if (typeof value === 'number' || typeof value === 'boolean') {
    v = scalarTensor(Number(value), x, x.dtype);
  } else {
    throw new ArgumentError(op, `value a number or a 0-d tensor, got ${showValue(value)}`);
  }
  return where(mask, v, x);
}
