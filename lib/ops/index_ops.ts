// Indexing: index_select, gather, scatter_add, one_hot. Index values are
// range-checked by the kernels (IndexError), negative values are wrapped here
// only where PyTorch wraps them.
import { record } from './record';
import { ArgumentError, DTypeError, ShapeError } from '../errors';
import { formatShape, normalizeDim, showValue } from '../tensor/shape';
import { type Tensor, emptyTensor as empty } from '../tensor/tensor';
import { cast, item } from './convert';
import { checkTensor } from './elementwise';
import { kFill, kGather, kIndexAdd, kIndexSelect, kScatterAdd, sameDevice } from '../kernels/launch';
import { clone, contiguous, narrow, reshape } from './views';
import { amax } from './reduce';

function checkIndex(op: string, index: Tensor): void {
  checkTensor(op, index, 'index');
  if (index.dtype !== 'int32' && index.dtype !== 'int64') {
    throw new DTypeError(op, `index must be int32 or int64, got ${index.dtype}`);
  }
}

function splitAt(shape: readonly number[], d: number): [number, number, number] {
  const outer = shape.slice(0, d).reduce((a, b) => a * b, 1);
  const inner = shape.slice(d + 1).reduce((a, b) => a * b, 1);
  return [outer, shape.length ? shape[d] : 1, inner];
}

/** Rows of x along dim picked by a 1-D index. */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  checkTensor('index_select', x);
  checkIndex('index_select', index);
  sameDevice('index_select', x, index);
  if (index.ndim > 1) throw new ShapeError('index_select', `index must be 0-D or 1-D, got ${formatShape(index.shape)}`);
  const d = normalizeDim('index_select', dim, x.ndim);
  const xc = contiguous(x);
  const idx = contiguous(index);
  const [outer, dimSize, inner] = splitAt(x.shape, d);
  const shape = x.shape.slice();
  if (shape.length) shape[d] = idx.numel;
  const out = empty(shape, x.dtype, x.device);
  kIndexSelect(out, xc, idx, outer, dimSize, inner);
  return record('indexSelect', out, [xc], () => ({ inShape: x.shape, dim: d, index: idx }));
}

/** out = zeros(shape) with src rows added at index along dim. */
export function indexAddInto(shape: readonly number[], dim: number, index: Tensor, src: Tensor): Tensor {
  const out = empty(shape, src.dtype, src.device);
  kFill(out, 0);
  const [outer, dimSize, inner] = splitAt(shape, dim);
  kIndexAdd(out, contiguous(src), index, outer, dimSize, inner);
  return out;
}

/** torch.gather: out[i][j] = x[i][index[i][j]] along dim. */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  checkTensor('gather', x);
  checkIndex('gather', index);
  sameDevice('gather', x, index);
  if (index.ndim !== x.ndim)
    throw new ShapeError(
      'gather',
      `index ${formatShape(index.shape)} must have as many dims as input ${formatShape(x.shape)}`,
    );
  const d = normalizeDim('gather', dim, x.ndim);
  const xc = contiguous(x);
  const idx = contiguous(index);
  const out = empty(index.shape, x.dtype, x.device);
  kGather(out, xc, idx, d);
  return record('gather', out, [xc], () => ({ inShape: x.shape, dim: d, index: idx }));
}

/** Out-of-place scatter_add: self with src added at index along dim. */
export function scatterAdd(self: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  checkTensor('scatter_add', self);
  checkIndex('scatter_add', index);
  checkTensor('scatter_add', src, 'src');
  sameDevice('scatter_add', self, index, src);
  if (index.ndim !== self.ndim || src.ndim !== self.ndim) {
    throw new ShapeError(
      'scatter_add',
      `self, index and src must have the same number of dims, got ${self.ndim}, ${index.ndim}, ${src.ndim}`,
    );
  }
  const d = normalizeDim('scatter_add', dim, self.ndim);
  for (let i = 0; i < index.ndim; ++i) {
    if (index.shape[i] > src.shape[i])
      throw new ShapeError(
        'scatter_add',
        `index ${formatShape(index.shape)} is larger than src ${formatShape(src.shape)} at dim ${i}`,
      );
  }
  const srcC = contiguous(src.shape.every((s, i) => s === index.shape[i]) ? src : sliceTo(src, index.shape));
  const out = clone(contiguous(self));
  kScatterAdd(out, cast(srcC, self.dtype), contiguous(index), d);
  return record('scatterAdd', out, [self, srcC], () => ({ dim: d, index: contiguous(index) }));
}

function sliceTo(x: Tensor, shape: readonly number[]): Tensor {
  let t = x;
  for (let i = 0; i < shape.length; ++i) t = narrow(t, i, 0, shape[i]);
  return t;
}

/** gradient of gather: zeros(shape) with src scattered at index. */
export function scatterAddInto(shape: readonly number[], dim: number, index: Tensor, src: Tensor): Tensor {
  const out = empty(shape, src.dtype, src.device);
  kFill(out, 0);
  kScatterAdd(out, contiguous(src), index, dim);
  return out;
}

/** int64 one-hot encoding with a trailing dim of numClasses (-1: max + 1). */
export function oneHot(index: Tensor, numClasses = -1): Tensor {
  checkIndex('one_hot', index);
  let n = numClasses;
  if (n === -1) n = index.numel ? item(amax(index)) + 1 : 0;
  if (!Number.isInteger(n) || n < 0)
    throw new ArgumentError('one_hot', `numClasses must be a non-negative integer or -1, got ${showValue(numClasses)}`);
  const idx = reshape(contiguous(index), [...index.shape, 1]);
  const out = empty([...index.shape, n], 'int64', index.device);
  kFill(out, 0);
  const ones = empty(idx.shape, 'int64', index.device);
  kFill(ones, 1);
  if (idx.numel) kScatterAdd(out, ones, idx, index.ndim);
  return out;
}
