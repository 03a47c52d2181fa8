// The Tensor methods implemented by ops: tensor.ts imports no op, so this
// module declares them on the Tensor interface (declaration merging, as
// TensorFlow.js does in tfjs-core/src/public/chained_ops) and adds them to
// Tensor.prototype. Each is a thin call to the functional op, where shapes
// are checked and autograd is recorded. Loaded for its side effect by
// lib/index.ts and by every module above ops that calls these methods.
import { inspect } from 'util';

import type { DType, DeviceLike, TypedArrayFor } from '../tensor/dtype';
import { type NestedArray, type TensorOrScalar, type Tensor, defineTensorMethods } from '../tensor/tensor';
import { checkOptions } from '../validate';
import * as act from './activation';
import * as convert from './convert';
import * as ew from './elementwise';
import { formatTensor } from './format';
import * as idx from './index_ops';
import * as linalg from './linalg';
import * as pred from './predicates';
import * as rearrange from './rearrange';
import type { IsCloseOptions } from './predicates';
import * as vec from './vector';
import type { NormOrder } from './vector';
import * as red from './reduce';
import * as sampling from './sampling';
import * as sortScan from './sort_scan';
import * as tile from './tile';
import * as tri from './triangular';
import { type SharedTensor, share } from './share';
import * as views from './views';

declare module '../tensor/tensor' {
  interface Tensor {
    // ---- data out -----------------------------------------------------------
    /** The value of a one-element tensor. */
    item(): number;
    /** A contiguous copy of the elements in a typed array. */
    data(): TypedArrayFor[DType];
    /** Nested JS arrays (numbers; booleans for bool tensors). */
    toArray(): NestedArray<number | boolean>;
    /** item() without blocking: resolves once the kernels producing this tensor have run. */
    itemAsync(): Promise<number>;
    /** data() without blocking: resolves once the kernels producing this tensor have run. */
    dataAsync(): Promise<TypedArrayFor[DType]>;
    /** The number of dims, as torch's `t.dim()` (also the `ndim` property). */
    dim(): number;
    /** toArray(), under PyTorch's name. */
    tolist(): NestedArray<number | boolean>;
    /** toArray() without blocking: resolves once the kernels producing this tensor have run. */
    toArrayAsync(): Promise<NestedArray<number | boolean>>;
    /** PyTorch-style repr: `tensor([1.0000, 2.0000])`. */
    toString(): string;
    [inspect.custom](): string;

    // ---- threads --------------------------------------------------------------
    /**
     * A message for another worker_thread, where `nt.fromShared(msg)` makes a
     * tensor over the SAME memory (shared, not copied: both threads see
     * writes). Waits for this thread's queued kernels first. One
     * `fromShared` per `share()`; an unreceived message keeps its memory
     * until `nt.releaseShared(msg)`. See `nt.share` and the README's
     * "Worker threads".
     */
    share(): SharedTensor;

    // ---- conversion -----------------------------------------------------------
    to(target: DeviceLike | DType | { device?: DeviceLike; dtype?: DType }): Tensor;
    cuda(): Tensor;
    cpu(): Tensor;
    float(): Tensor;
    double(): Tensor;
    int(): Tensor;
    long(): Tensor;
    bool(): Tensor;
    clone(): Tensor;
    contiguous(): Tensor;

    // ---- elementwise ----------------------------------------------------------
    add(other: TensorOrScalar, alpha?: number): Tensor;
    sub(other: TensorOrScalar, alpha?: number): Tensor;
    mul(other: TensorOrScalar): Tensor;
    div(other: TensorOrScalar): Tensor;
    pow(exponent: TensorOrScalar): Tensor;
    maximum(other: Tensor): Tensor;
    minimum(other: Tensor): Tensor;
    clamp(min?: number | null, max?: number | null): Tensor;
    gelu(): Tensor;
    leakyRelu(negativeSlope?: number): Tensor;
    softmax(dim: number): Tensor;
    logSoftmax(dim: number): Tensor;
    eq(other: TensorOrScalar): Tensor;
    ne(other: TensorOrScalar): Tensor;
    lt(other: TensorOrScalar): Tensor;
    le(other: TensorOrScalar): Tensor;
    gt(other: TensorOrScalar): Tensor;
    ge(other: TensorOrScalar): Tensor;
    logicalAnd(other: Tensor): Tensor;
    logicalOr(other: Tensor): Tensor;
    logicalNot(): Tensor;
    /** The slice at `index` along dim, that dim removed (a view; nt.select). */
    select(dim: number, index: number): Tensor;
    /** Elements shifted along dims, wrapping around (nt.roll). */
    roll(shifts: number | number[], dims?: number | number[]): Tensor;
    /** The p-norm over dim, every dim by default (nt.norm). */
    norm(p?: NormOrder, dim?: number | number[], keepdim?: boolean): Tensor;
    /** Inner product with another 1-D tensor (nt.dot). */
    dot(other: Tensor): Tensor;
    /** Outer product with another 1-D tensor (nt.outer). */
    outer(other: Tensor): Tensor;
    /** True where NaN (nt.isnan). */
    isnan(): Tensor;
    /** True where +-Infinity (nt.isinf). */
    isinf(): Tensor;
    /** True where neither NaN nor infinite (nt.isfinite). */
    isfinite(): Tensor;
    /** Elementwise |this - other| <= atol + rtol * |other| (nt.isclose). */
    isclose(other: Tensor, options?: IsCloseOptions): Tensor;
    /** Every element close to other's (nt.allclose; reads the device). */
    allclose(other: Tensor, options?: IsCloseOptions): boolean;
    /** Same shape and equal elements (nt.equal; reads the device). */
    equal(other: Tensor): boolean;
    /** True where every element along dim is nonzero (nt.all). */
    all(dim?: number | number[], keepdim?: boolean): Tensor;
    /** True where some element along dim is nonzero (nt.any). */
    any(dim?: number | number[], keepdim?: boolean): Tensor;

    // ---- in place (no autograd on tensors that require grad) ----------------
    add_(other: TensorOrScalar, alpha?: number): this;
    sub_(other: TensorOrScalar, alpha?: number): this;
    mul_(other: TensorOrScalar): this;
    div_(other: TensorOrScalar): this;
    fill_(value: number): this;
    zero_(): this;
    copy_(src: Tensor): this;
    clamp_(min?: number | null, max?: number | null): this;
    uniform_(low?: number, high?: number): this;
    normal_(mean?: number, std?: number): this;

    // ---- reductions -----------------------------------------------------------
    sum(dim?: number | number[], keepdim?: boolean): Tensor;
    mean(dim?: number | number[], keepdim?: boolean): Tensor;
    prod(dim?: number, keepdim?: boolean): Tensor;
    amax(dim?: number | number[], keepdim?: boolean): Tensor;
    amin(dim?: number | number[], keepdim?: boolean): Tensor;
    /** Max of all elements, or `{values, indices}` along `dim`. */
    max(): Tensor;
    max(dim: number, keepdim?: boolean): red.ValuesIndices;
    min(): Tensor;
    min(dim: number, keepdim?: boolean): red.ValuesIndices;
    argmax(dim?: number, keepdim?: boolean): Tensor;
    argmin(dim?: number, keepdim?: boolean): Tensor;
    var(dim?: number | number[], options?: { correction?: number; keepdim?: boolean }): Tensor;
    std(dim?: number | number[], options?: { correction?: number; keepdim?: boolean }): Tensor;
    logsumexp(dim: number | number[], keepdim?: boolean): Tensor;

    // ---- linear algebra -------------------------------------------------------
    matmul(other: Tensor): Tensor;
    mm(other: Tensor): Tensor;
    bmm(other: Tensor): Tensor;
    /** Transpose of a tensor with at most 2 dims. */
    t(): Tensor;
    readonly T: Tensor;

    // ---- views and shape ------------------------------------------------------
    reshape(...shape: number[] | [readonly number[]]): Tensor;
    view(...shape: number[] | [readonly number[]]): Tensor;
    flatten(startDim?: number, endDim?: number): Tensor;
    squeeze(dim?: number): Tensor;
    unsqueeze(dim: number): Tensor;
    transpose(dim0: number, dim1: number): Tensor;
    permute(...dims: number[] | [readonly number[]]): Tensor;
    expand(...shape: number[] | [readonly number[]]): Tensor;
    expandAs(other: Tensor): Tensor;
    narrow(dim: number, start: number, length: number): Tensor;
    split(splitSize: number | number[], dim?: number): Tensor[];
    chunk(chunks: number, dim?: number): Tensor[];
    indexSelect(dim: number, index: Tensor): Tensor;
    gather(dim: number, index: Tensor): Tensor;

    // ---- language-model ops (issue 13) ----------------------------------------
    /** The lower triangle of the last two dims (see nt.tril). */
    tril(diagonal?: number): Tensor;
    /** The upper triangle of the last two dims (see nt.triu). */
    triu(diagonal?: number): Tensor;
    /** This tensor with `value` where the bool `mask` is true (see nt.maskedFill). */
    maskedFill(mask: Tensor, value: number | Tensor): Tensor;
    /** The k largest (or smallest) along a dim, sorted (see nt.topk). */
    topk(k: number, options?: sortScan.TopkOptions): red.ValuesIndices;
    /** Sorted along a dim, stable, NaN largest (see nt.sort). */
    sort(options?: sortScan.SortOptions): red.ValuesIndices;
    /** The indices that sort along a dim (see nt.argsort). */
    argsort(options?: sortScan.SortOptions): Tensor;
    /** Running sums along `dim` (see nt.cumsum). */
    cumsum(dim: number, options?: sortScan.CumsumOptions): Tensor;
    /** Category indices drawn from these weights (see nt.multinomial). */
    multinomial(numSamples: number, options?: sampling.MultinomialOptions): Tensor;
    /** Tiled `sizes[i]` times along each dim, as torch.Tensor.repeat. */
    repeat(...sizes: number[] | [readonly number[]]): Tensor;
    /** A copy with the elements reversed along `dims` (see nt.flip). */
    flip(dims: number | readonly number[]): Tensor;
  }
}

function maxMethod(this: Tensor, dim?: number, keepdim = false): Tensor | red.ValuesIndices {
  return dim === undefined ? red.amax(this) : red.maxDim(this, dim, keepdim);
}

function minMethod(this: Tensor, dim?: number, keepdim = false): Tensor | red.ValuesIndices {
  return dim === undefined ? red.amin(this) : red.minDim(this, dim, keepdim);
}

const VAR_KEYS = ['correction', 'keepdim'];

defineTensorMethods({
  // ---- data out -----------------------------------------------------------
  item(): number {
    return convert.item(this);
  },
  data(): TypedArrayFor[DType] {
    return convert.data(this);
  },
  toArray(): NestedArray<number | boolean> {
    return convert.toArray(this);
  },
  itemAsync(): Promise<number> {
    return convert.itemAsync(this);
  },
  dim(): number {
    this._check('dim');
    return this.ndim;
  },
  tolist(): NestedArray<number | boolean> {
    return convert.toArray(this);
  },
  dataAsync(): Promise<TypedArrayFor[DType]> {
    return convert.dataAsync(this);
  },
  toArrayAsync(): Promise<NestedArray<number | boolean>> {
    return convert.toArrayAsync(this);
  },
  toString(): string {
    return formatTensor(this);
  },
  [inspect.custom](): string {
    return formatTensor(this);
  },

  // ---- threads --------------------------------------------------------------
  share(): SharedTensor {
    return share(this);
  },

  // ---- conversion -----------------------------------------------------------
  to(target: DeviceLike | DType | { device?: DeviceLike; dtype?: DType }): Tensor {
    return convert.to(this, target);
  },
  cuda(): Tensor {
    return convert.to(this, 'cuda');
  },
  cpu(): Tensor {
    return convert.to(this, 'cpu');
  },
  float(): Tensor {
    return convert.to(this, 'float32');
  },
  double(): Tensor {
    return convert.to(this, 'float64');
  },
  int(): Tensor {
    return convert.to(this, 'int32');
  },
  long(): Tensor {
    return convert.to(this, 'int64');
  },
  bool(): Tensor {
    return convert.to(this, 'bool');
  },
  clone(): Tensor {
    return views.clone(this);
  },
  contiguous(): Tensor {
    return views.contiguous(this);
  },

  // ---- elementwise ----------------------------------------------------------
  add(other: TensorOrScalar, alpha = 1): Tensor {
    return ew.add(this, other, alpha);
  },
  sub(other: TensorOrScalar, alpha = 1): Tensor {
    return ew.sub(this, other, alpha);
  },
  mul(other: TensorOrScalar): Tensor {
    return ew.mul(this, other);
  },
  div(other: TensorOrScalar): Tensor {
    return ew.div(this, other);
  },
  pow(exponent: TensorOrScalar): Tensor {
    return ew.pow(this, exponent);
  },
  maximum(other: Tensor): Tensor {
    return ew.maximum(this, other);
  },
  minimum(other: Tensor): Tensor {
    return ew.minimum(this, other);
  },
  clamp(min?: number | null, max?: number | null): Tensor {
    return ew.clamp(this, min, max);
  },
  gelu(): Tensor {
    return act.gelu(this);
  },
  leakyRelu(negativeSlope = 0.01): Tensor {
    return act.leakyRelu(this, negativeSlope);
  },
  softmax(dim: number): Tensor {
    return act.softmax(this, dim);
  },
  logSoftmax(dim: number): Tensor {
    return act.logSoftmax(this, dim);
  },
  eq(other: TensorOrScalar): Tensor {
    return ew.eq(this, other);
  },
  ne(other: TensorOrScalar): Tensor {
    return ew.ne(this, other);
  },
  lt(other: TensorOrScalar): Tensor {
    return ew.lt(this, other);
  },
  le(other: TensorOrScalar): Tensor {
    return ew.le(this, other);
  },
  gt(other: TensorOrScalar): Tensor {
    return ew.gt(this, other);
  },
  ge(other: TensorOrScalar): Tensor {
    return ew.ge(this, other);
  },
  logicalAnd(other: Tensor): Tensor {
    return ew.logicalAnd(this, other);
  },
  logicalOr(other: Tensor): Tensor {
    return ew.logicalOr(this, other);
  },
  logicalNot(): Tensor {
    return ew.logicalNot(this);
  },
  select(dim: number, index: number): Tensor {
    return views.select(this, dim, index);
  },
  roll(shifts: number | number[], dims?: number | number[]): Tensor {
    return rearrange.roll(this, shifts, dims);
  },
  norm(p: NormOrder = 'fro', dim?: number | number[], keepdim = false): Tensor {
    return vec.norm(this, p, dim, keepdim);
  },
  dot(other: Tensor): Tensor {
    return vec.dot(this, other);
  },
  outer(other: Tensor): Tensor {
    return vec.outer(this, other);
  },
  isnan(): Tensor {
    return pred.isnan(this);
  },
  isinf(): Tensor {
    return pred.isinf(this);
  },
  isfinite(): Tensor {
    return pred.isfinite(this);
  },
  isclose(other: Tensor, options?: IsCloseOptions): Tensor {
    return pred.isclose(this, other, options);
  },
  allclose(other: Tensor, options?: IsCloseOptions): boolean {
    return pred.allclose(this, other, options);
  },
  equal(other: Tensor): boolean {
    return pred.equal(this, other);
  },
  all(dim?: number | number[], keepdim = false): Tensor {
    return pred.all(this, dim, keepdim);
  },
  any(dim?: number | number[], keepdim = false): Tensor {
    return pred.any(this, dim, keepdim);
  },

  // ---- in place (no autograd on tensors that require grad) ----------------
  add_(other: TensorOrScalar, alpha = 1): Tensor {
    ew.addInPlace(this, other, alpha);
    return this;
  },
  sub_(other: TensorOrScalar, alpha = 1): Tensor {
    ew.addInPlace(this, other, typeof alpha === 'number' ? -alpha : alpha); // add_ rejects a non-number alpha
    return this;
  },
  mul_(other: TensorOrScalar): Tensor {
    ew.mulInPlace(this, other);
    return this;
  },
  div_(other: TensorOrScalar): Tensor {
    ew.divInPlace(this, other);
    return this;
  },
  fill_(value: number): Tensor {
    ew.fillInPlace(this, value);
    return this;
  },
  zero_(): Tensor {
    ew.fillInPlace(this, 0);
    return this;
  },
  copy_(src: Tensor): Tensor {
    ew.copyInPlace(this, src);
    return this;
  },
  clamp_(min?: number | null, max?: number | null): Tensor {
    ew.clampInPlace(this, min, max);
    return this;
  },
  uniform_(low = 0, high = 1): Tensor {
    convert.uniformInPlace(this, low, high);
    return this;
  },
  normal_(mean = 0, std = 1): Tensor {
    convert.normalInPlace(this, mean, std);
    return this;
  },

  // ---- reductions -----------------------------------------------------------
  sum(dim?: number | number[], keepdim = false): Tensor {
    return red.sum(this, dim, keepdim);
  },
  mean(dim?: number | number[], keepdim = false): Tensor {
    return red.mean(this, dim, keepdim);
  },
  prod(dim?: number, keepdim = false): Tensor {
    return red.prod(this, dim, keepdim);
  },
  amax(dim?: number | number[], keepdim = false): Tensor {
    return red.amax(this, dim, keepdim);
  },
  amin(dim?: number | number[], keepdim = false): Tensor {
    return red.amin(this, dim, keepdim);
  },
  max: maxMethod as Tensor['max'],
  min: minMethod as Tensor['min'],
  argmax(dim?: number, keepdim = false): Tensor {
    return red.argmax(this, dim, keepdim);
  },
  argmin(dim?: number, keepdim = false): Tensor {
    return red.argmin(this, dim, keepdim);
  },
  var(dim?: number | number[], options: { correction?: number; keepdim?: boolean } = {}): Tensor {
    const o = checkOptions('var', options, VAR_KEYS);
    return red.variance(this, dim, o.correction ?? 1, o.keepdim ?? false);
  },
  std(dim?: number | number[], options: { correction?: number; keepdim?: boolean } = {}): Tensor {
    const o = checkOptions('std', options, VAR_KEYS);
    return red.std(this, dim, o.correction ?? 1, o.keepdim ?? false);
  },
  logsumexp(dim: number | number[], keepdim = false): Tensor {
    return red.logsumexp(this, dim, keepdim);
  },

  // ---- linear algebra -------------------------------------------------------
  matmul(other: Tensor): Tensor {
    return linalg.matmul(this, other);
  },
  mm(other: Tensor): Tensor {
    return linalg.mm(this, other);
  },
  bmm(other: Tensor): Tensor {
    return linalg.bmm(this, other);
  },
  t(): Tensor {
    return views.t(this);
  },
  get T(): Tensor {
    return views.permute(
      this,
      this.shape.map((_, i) => this.ndim - 1 - i),
    );
  },

  // ---- views and shape ------------------------------------------------------
  reshape(...shape: number[] | [readonly number[]]): Tensor {
    return views.reshape(this, views.shapeArgs(shape));
  },
  view(...shape: number[] | [readonly number[]]): Tensor {
    return views.view(this, views.shapeArgs(shape));
  },
  flatten(startDim = 0, endDim = -1): Tensor {
    return views.flatten(this, startDim, endDim);
  },
  squeeze(dim?: number): Tensor {
    return views.squeeze(this, dim);
  },
  unsqueeze(dim: number): Tensor {
    return views.unsqueeze(this, dim);
  },
  transpose(dim0: number, dim1: number): Tensor {
    return views.transpose(this, dim0, dim1);
  },
  permute(...dims: number[] | [readonly number[]]): Tensor {
    return views.permute(this, views.shapeArgs(dims));
  },
  expand(...shape: number[] | [readonly number[]]): Tensor {
    return views.expand(this, views.shapeArgs(shape));
  },
  expandAs(other: Tensor): Tensor {
    return views.expand(this, ew.checkTensor('expandAs', other, 'other').shape);
  },
  narrow(dim: number, start: number, length: number): Tensor {
    return views.narrow(this, dim, start, length);
  },
  split(splitSize: number | number[], dim = 0): Tensor[] {
    return views.split(this, splitSize, dim);
  },
  chunk(chunks: number, dim = 0): Tensor[] {
    return views.chunk(this, chunks, dim);
  },
  indexSelect(dim: number, index: Tensor): Tensor {
    return idx.indexSelect(this, dim, index);
  },
  gather(dim: number, index: Tensor): Tensor {
    return idx.gather(this, dim, index);
  },

  // ---- language-model ops (issue 13) ----------------------------------------
  tril(diagonal = 0): Tensor {
    return tri.tril(this, diagonal);
  },
  triu(diagonal = 0): Tensor {
    return tri.triu(this, diagonal);
  },
  maskedFill(mask: Tensor, value: number | Tensor): Tensor {
    return tri.maskedFill(this, mask, value);
  },
  topk(k: number, options?: sortScan.TopkOptions): red.ValuesIndices {
    return sortScan.topk(this, k, options);
  },
  sort(options?: sortScan.SortOptions): red.ValuesIndices {
    return sortScan.sort(this, options);
  },
  argsort(options?: sortScan.SortOptions): Tensor {
    return sortScan.argsort(this, options);
  },
  cumsum(dim: number, options?: sortScan.CumsumOptions): Tensor {
    return sortScan.cumsum(this, dim, options);
  },
  multinomial(numSamples: number, options?: sampling.MultinomialOptions): Tensor {
    return sampling.multinomial(this, numSamples, options);
  },
  repeat(...sizes: number[] | [readonly number[]]): Tensor {
    return tile.repeat(this, ...sizes);
  },
  flip(dims: number | readonly number[]): Tensor {
    return tile.flip(this, dims);
  },
});
