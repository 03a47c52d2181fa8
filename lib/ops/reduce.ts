// Reductions over any set of dims, with keepdim.
import { ReduceOp } from '../../bindings/codes.gen';
import { record } from './record';
import { ShapeError } from '../errors';
import { type DType, isFloatingDType } from '../tensor/dtype';
import { formatShape, normalizeDim, normalizeDims } from '../tensor/shape';
import { type Tensor, emptyTensor as empty } from '../tensor/tensor';
import { cast } from './convert';
import { checkTensor } from './elementwise';
import { sqrt } from './unary.gen';
import { kReduce } from '../kernels/launch';
import { reshape } from './views';

function outShape(x: Tensor, dims: readonly number[], keepdim: boolean): number[] {
  const set = new Set(dims);
  const out: number[] = [];
  for (let d = 0; d < x.ndim; ++d) {
    if (!set.has(d)) out.push(x.shape[d]);
    else if (keepdim) out.push(1);
  }
  return out;
}

function reduceRaw(op: ReduceOp, x: Tensor, dims: number[], keepdim: boolean, dtype: DType, p0 = 0): Tensor {
  const out = empty(outShape(x, dims, keepdim), dtype, x.device);
  kReduce(op, out, x, dims, p0);
  return out;
}

function floatInput(x: Tensor): Tensor {
  return isFloatingDType(x.dtype) ? x : cast(x, 'float32');
}

export function sum(x: Tensor, dim?: number | number[], keepdim = false): Tensor {
  checkTensor('sum', x);
  const dims = normalizeDims('sum', dim, x.ndim);
  const dt: DType = isFloatingDType(x.dtype) ? x.dtype : 'int64';
  const out = reduceRaw(ReduceOp.Sum, x, dims, keepdim, dt);
  return record('sum', out, [x], () => ({ inShape: x.shape, dims, keepdim }));
}

export function mean(x: Tensor, dim?: number | number[], keepdim = false): Tensor {
  checkTensor('mean', x);
  const xf = floatInput(x);
  const dims = normalizeDims('mean', dim, x.ndim);
  const out = reduceRaw(ReduceOp.Mean, xf, dims, keepdim, xf.dtype);
  const count = dims.reduce((n, d) => n * x.shape[d], 1);
  return record('mean', out, [xf], () => ({ inShape: x.shape, dims, keepdim, count }));
}

export function prod(x: Tensor, dim?: number, keepdim = false): Tensor {
  checkTensor('prod', x);
  const dims = normalizeDims('prod', dim, x.ndim);
  const dt: DType = isFloatingDType(x.dtype) ? x.dtype : 'int64';
  const out = reduceRaw(ReduceOp.Prod, x, dims, keepdim, dt);
  return record('prod', out, [x], () => ({ x, out, dims, keepdim }));
}

function extreme(
  op: 'amax' | 'amin',
  code: ReduceOp,
  x: Tensor,
  dim: number | number[] | undefined,
  keepdim: boolean,
): Tensor {
  checkTensor(op, x);
  const dims = normalizeDims(op, dim, x.ndim);
  if (dims.some((d) => x.shape[d] === 0) || (x.numel === 0 && x.ndim === 0)) {
    throw new ShapeError(op, `cannot reduce an empty dimension of shape ${formatShape(x.shape)}`);
  }
  const out = reduceRaw(code, x, dims, keepdim, x.dtype);
  return record('extreme', out, [x], () => ({ x, out, dims, keepdim }));
}

export const amax = (x: Tensor, dim?: number | number[], keepdim = false): Tensor =>
  extreme('amax', ReduceOp.Max, x, dim, keepdim);
export const amin = (x: Tensor, dim?: number | number[], keepdim = false): Tensor =>
  extreme('amin', ReduceOp.Min, x, dim, keepdim);

function argExtreme(
  op: 'argmax' | 'argmin',
  code: ReduceOp,
  x: Tensor,
  dim: number | undefined,
  keepdim: boolean,
): Tensor {
  checkTensor(op, x);
  if (dim === undefined) {
    const flat = reshape(x, [-1]);
    const r = argExtreme(op, code, flat, 0, false);
    return keepdim
      ? reshape(
          r,
          x.shape.map(() => 1),
        )
      : r;
  }
  const d = normalizeDim(op, dim, x.ndim);
  if (x.ndim > 0 && x.shape[d] === 0)
    throw new ShapeError(op, `cannot reduce an empty dimension of shape ${formatShape(x.shape)}`);
  return reduceRaw(code, x, x.ndim === 0 ? [] : [d], keepdim, 'int64');
}

export const argmax = (x: Tensor, dim?: number, keepdim = false): Tensor =>
  argExtreme('argmax', ReduceOp.ArgMax, x, dim, keepdim);
export const argmin = (x: Tensor, dim?: number, keepdim = false): Tensor =>
  argExtreme('argmin', ReduceOp.ArgMin, x, dim, keepdim);

/**
 * torch.return_types.max/min: the named fields, and destructurable as
 * `const [values, indices] = nt.max(x, 1)`, as in PyTorch.
 */
export interface ValuesIndices extends Iterable<Tensor> {
  readonly values: Tensor;
  readonly indices: Tensor;
}

export function valuesIndices(values: Tensor, indices: Tensor): ValuesIndices {
  return {
    values,
    indices,
    *[Symbol.iterator]() {
      yield values;
      yield indices;
    },
  };
}

/** torch.max: the largest element, or `{ values, indices }` along `dim`. */
export function max(x: Tensor): Tensor;
export function max(x: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
export function max(x: Tensor, dim?: number, keepdim = false): Tensor | ValuesIndices {
  return dim === undefined ? amax(x) : maxDim(x, dim, keepdim);
}

/** torch.min: the smallest element, or `{ values, indices }` along `dim`. */
export function min(x: Tensor): Tensor;
export function min(x: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
export function min(x: Tensor, dim?: number, keepdim = false): Tensor | ValuesIndices {
  return dim === undefined ? amin(x) : minDim(x, dim, keepdim);
}

export function maxDim(x: Tensor, dim: number, keepdim = false): ValuesIndices {
  return valuesIndices(amax(x, dim, keepdim), argmax(x, dim, keepdim));
}

export function minDim(x: Tensor, dim: number, keepdim = false): ValuesIndices {
  return valuesIndices(amin(x, dim, keepdim), argmin(x, dim, keepdim));
}

/** Variance over dims (correction 1 = Bessel's, as PyTorch); also exported as nt.var. */
export function variance(x: Tensor, dim?: number | number[], correction = 1, keepdim = false): Tensor {
  checkTensor('var', x);
  const xf = floatInput(x);
  const dims = normalizeDims('var', dim, x.ndim);
  const out = reduceRaw(ReduceOp.Var, xf, dims, keepdim, xf.dtype, correction);
  const count = dims.reduce((n, d) => n * x.shape[d], 1);
  return record('variance', out, [xf], () => ({ x: xf, dims, keepdim, correction, count }));
}

export function std(x: Tensor, dim?: number | number[], correction = 1, keepdim = false): Tensor {
  return sqrt(variance(x, dim, correction, keepdim));
}

export function logsumexp(x: Tensor, dim: number | number[], keepdim = false): Tensor {
  checkTensor('logsumexp', x);
  const xf = floatInput(x);
  const dims = normalizeDims('logsumexp', dim, x.ndim);
  const out = reduceRaw(ReduceOp.LogSumExp, xf, dims, keepdim, xf.dtype);
  return record('logsumexp', out, [xf], () => ({ x: xf, out, dims, keepdim }));
}
