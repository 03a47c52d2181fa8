// The Tensor class: a strided view (shape, strides, offset) of a shared
// native storage, plus autograd state. Methods are thin: each delegates to
// the functional op in lib/ops, where shapes are checked and autograd is
// recorded.
import { inspect } from 'util';

import { native } from '../../bindings/loader';
import { ArgumentError, DTypeError, DisposedTensorError } from '../errors';
import * as act from '../ops/activation';
import * as convert from '../ops/convert';
import * as ew from '../ops/elementwise';
import * as idx from '../ops/index_ops';
import * as linalg from '../ops/linalg';
import * as red from '../ops/reduce';
import * as views from '../ops/views';
import * as engine from '../autograd/engine';
import type { GraphNode } from '../autograd/node';
import { type Device, type DeviceLike, type DType, type TypedArrayFor, newTypedArray } from './dtype';
import { formatTensor } from './format';
import { checkOptions } from '../validate';
import { type Shape, contiguousStrides, isContiguous, numelOf } from './shape';
import { Storage, takePooledHandle } from './storage';
import { setTensorCheck, track } from './scope';

/** A number or a tensor, wherever PyTorch accepts a Python scalar. */
export type TensorOrScalar = Tensor | number;

/** Nested arrays returned by `toArray()`. */
export type NestedArray<T> = T | NestedArray<T>[];

export class Tensor {
  /** @internal */ _storage: Storage;
  /** Size of each dim. */
  readonly shape: readonly number[];
  /** Element strides of each dim. */
  readonly strides: readonly number[];
  /** Element offset of [0, ..., 0] in the storage. */
  readonly offset: number;
  readonly dtype: DType;
  readonly device: Device;
  /** Gradient accumulated by `backward()` (leaves and `retainGrad()` tensors). */
  grad: Tensor | null = null;
  /** @internal */ _gradFn: GraphNode | null = null;
  /** @internal */ _requiresGrad = false;
  /** @internal */ _retainGrad = false;
  /** @internal */ _disposed = false;
  /** @internal */ _version = 0;

  /** @internal Use nt.tensor(), nt.zeros(), ... to create tensors. */
  constructor(storage: Storage, shape: readonly number[], strides: readonly number[], offset: number) {
    // Public by export, internal by contract: a user calling `new nt.Tensor(...)`
    // gets a typed error here instead of a broken tensor failing later.
    if (!(storage instanceof Storage)) {
      throw new ArgumentError('Tensor', 'a tensor made by nt.tensor(), nt.zeros(), ...; the constructor is internal');
    }
    this._storage = storage;
    storage.refs++;
    this.shape = shape;
    this.strides = strides;
    this.offset = offset;
    this.dtype = storage.dtype;
    this.device = storage.device;
    track(this);
  }

  /** @internal A new tensor sharing this one's storage. */
  _view(shape: readonly number[], strides: readonly number[], offset: number): Tensor {
    this._check('view');
    return new Tensor(this._storage, shape, strides, offset);
  }

  /**
   * @internal Makes this tensor an alias of src's storage, shape, strides,
   * offset, dtype and device, keeping its identity (so optimizers and
   * modules holding it stay valid). Used by Module.to().
   */
  _assign(src: Tensor): void {
    this._check('_assign');
    src._check('_assign');
    src._storage.refs++; // first: src may already share this storage
    const old = this._storage;
    const self = this as unknown as {
      _storage: Storage; shape: readonly number[]; strides: readonly number[]; offset: number; dtype: DType; device: Device;
    };
    self._storage = src._storage;
    self.shape = src.shape;
    self.strides = src.strides;
    self.offset = src.offset;
    self.dtype = src.dtype;
    self.device = src.device;
    this._version++;
    old.release();
  }

  /** @internal Throws if disposed; returns the native handle. */
  _handle(op: string): Storage['handle'] {
    if (this._disposed) throw new DisposedTensorError(op, 'the tensor was disposed');
    return this._storage.handle;
  }

  /** @internal */
  _check(op: string): void {
    if (this._disposed) throw new DisposedTensorError(op, 'the tensor was disposed');
  }

  get numel(): number { return numelOf(this.shape); }
  get ndim(): number { return this.shape.length; }
  get requiresGrad(): boolean { return this._requiresGrad; }
  set requiresGrad(v: boolean) { this.requiresGrad_(v); }
  /** The autograd node that produced this tensor, or null for leaves. */
  get gradFn(): GraphNode | null { return this._gradFn; }
  get isLeaf(): boolean { return this._gradFn === null; }
  get isDisposed(): boolean { return this._disposed; }

  isContiguous(): boolean { return isContiguous(this.shape, this.strides); }
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number[] | number {
    if (dim === undefined) return this.shape.slice();
    return this.shape[views.dimIndex('size', dim, this.ndim)];
  }

  // ---- lifetime -----------------------------------------------------------
  /** Frees the storage now if no other view uses it. Idempotent. */
  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    this._gradFn = null;
    this._storage.release();
  }
  [Symbol.dispose](): void { this.dispose(); }

  // ---- data out -----------------------------------------------------------
  /** The value of a one-element tensor. */
  item(): number { return convert.item(this); }
  /** A contiguous copy of the elements in a typed array. */
  data(): TypedArrayFor[DType] { return convert.data(this); }
  /** Nested JS arrays (numbers; booleans for bool tensors). */
  toArray(): NestedArray<number | boolean> { return convert.toArray(this); }
  toString(): string { return formatTensor(this); }
  [inspect.custom](): string { return formatTensor(this); }

  // ---- autograd -----------------------------------------------------------
  requiresGrad_(requires = true): this {
    this._check('requiresGrad_');
    if (!requires && this._gradFn) throw new ArgumentError('requiresGrad_', 'only leaves can stop requiring grad; use detach()');
    if (requires && !(this.dtype === 'float32' || this.dtype === 'float64')) {
      throw new DTypeError('requiresGrad_', `only floating point tensors can require grad, got ${this.dtype}`);
    }
    this._requiresGrad = requires;
    return this;
  }
  /** Keep `.grad` for this non-leaf tensor during backward. */
  retainGrad(): this {
    this._retainGrad = true;
    if (this._gradFn) this._gradFn.retained = this;
    return this;
  }
  /** Computes gradients of this tensor with respect to graph leaves. */
  backward(gradient?: Tensor, options: { retainGraph?: boolean } = {}): void {
    engine.backward(this, gradient, options?.retainGraph ?? false);
  }
  /** A tensor sharing storage, cut from the graph. */
  detach(): Tensor { this._check('detach'); return this._view(this.shape, this.strides, this.offset); }

  // ---- conversion -----------------------------------------------------------
  to(target: DeviceLike | DType | { device?: DeviceLike; dtype?: DType }): Tensor { return convert.to(this, target); }
  cuda(): Tensor { return convert.to(this, 'cuda'); }
  cpu(): Tensor { return convert.to(this, 'cpu'); }
  float(): Tensor { return convert.to(this, 'float32'); }
  double(): Tensor { return convert.to(this, 'float64'); }
  int(): Tensor { return convert.to(this, 'int32'); }
  long(): Tensor { return convert.to(this, 'int64'); }
  bool(): Tensor { return convert.to(this, 'bool'); }
  clone(): Tensor { return views.clone(this); }
  contiguous(): Tensor { return views.contiguous(this); }

  // ---- elementwise ----------------------------------------------------------
  add(other: TensorOrScalar, alpha = 1): Tensor { return ew.add(this, other, alpha); }
  sub(other: TensorOrScalar, alpha = 1): Tensor { return ew.sub(this, other, alpha); }
  mul(other: TensorOrScalar): Tensor { return ew.mul(this, other); }
  div(other: TensorOrScalar): Tensor { return ew.div(this, other); }
  pow(exponent: TensorOrScalar): Tensor { return ew.pow(this, exponent); }
  maximum(other: Tensor): Tensor { return ew.maximum(this, other); }
  minimum(other: Tensor): Tensor { return ew.minimum(this, other); }
  neg(): Tensor { return ew.neg(this); }
  abs(): Tensor { return ew.abs(this); }
  exp(): Tensor { return ew.exp(this); }
  log(): Tensor { return ew.log(this); }
  sqrt(): Tensor { return ew.sqrt(this); }
  rsqrt(): Tensor { return ew.rsqrt(this); }
  square(): Tensor { return ew.square(this); }
  reciprocal(): Tensor { return ew.reciprocal(this); }
  sin(): Tensor { return ew.sin(this); }
  cos(): Tensor { return ew.cos(this); }
  log1p(): Tensor { return ew.log1p(this); }
  expm1(): Tensor { return ew.expm1(this); }
  erf(): Tensor { return ew.erf(this); }
  sign(): Tensor { return ew.sign(this); }
  floor(): Tensor { return ew.floor(this); }
  ceil(): Tensor { return ew.ceil(this); }
  round(): Tensor { return ew.round(this); }
  clamp(min?: number | null, max?: number | null): Tensor { return ew.clamp(this, min, max); }
  sigmoid(): Tensor { return act.sigmoid(this); }
  tanh(): Tensor { return act.tanh(this); }
  relu(): Tensor { return act.relu(this); }
  gelu(): Tensor { return act.gelu(this); }
  leakyRelu(negativeSlope = 0.01): Tensor { return act.leakyRelu(this, negativeSlope); }
  softmax(dim: number): Tensor { return act.softmax(this, dim); }
  logSoftmax(dim: number): Tensor { return act.logSoftmax(this, dim); }
  eq(other: TensorOrScalar): Tensor { return ew.eq(this, other); }
  ne(other: TensorOrScalar): Tensor { return ew.ne(this, other); }
  lt(other: TensorOrScalar): Tensor { return ew.lt(this, other); }
  le(other: TensorOrScalar): Tensor { return ew.le(this, other); }
  gt(other: TensorOrScalar): Tensor { return ew.gt(this, other); }
  ge(other: TensorOrScalar): Tensor { return ew.ge(this, other); }
  logicalAnd(other: Tensor): Tensor { return ew.logicalAnd(this, other); }
  logicalOr(other: Tensor): Tensor { return ew.logicalOr(this, other); }
  logicalNot(): Tensor { return ew.logicalNot(this); }

  // ---- in place (no autograd on tensors that require grad) ----------------
  add_(other: TensorOrScalar, alpha = 1): this { ew.addInPlace(this, other, alpha); return this; }
  sub_(other: TensorOrScalar, alpha = 1): this {
    ew.addInPlace(this, other, typeof alpha === 'number' ? -alpha : alpha); // add_ rejects a non-number alpha
    return this;
  }
  mul_(other: TensorOrScalar): this { ew.mulInPlace(this, other); return this; }
  div_(other: TensorOrScalar): this { ew.divInPlace(this, other); return this; }
  fill_(value: number): this { ew.fillInPlace(this, value); return this; }
  zero_(): this { ew.fillInPlace(this, 0); return this; }
  copy_(src: Tensor): this { ew.copyInPlace(this, src); return this; }
  clamp_(min?: number | null, max?: number | null): this { ew.clampInPlace(this, min, max); return this; }
  uniform_(low = 0, high = 1): this { convert.uniformInPlace(this, low, high); return this; }
  normal_(mean = 0, std = 1): this { convert.normalInPlace(this, mean, std); return this; }

  // ---- reductions -----------------------------------------------------------
  sum(dim?: number | number[], keepdim = false): Tensor { return red.sum(this, dim, keepdim); }
  mean(dim?: number | number[], keepdim = false): Tensor { return red.mean(this, dim, keepdim); }
  prod(dim?: number, keepdim = false): Tensor { return red.prod(this, dim, keepdim); }
  amax(dim?: number | number[], keepdim = false): Tensor { return red.amax(this, dim, keepdim); }
  amin(dim?: number | number[], keepdim = false): Tensor { return red.amin(this, dim, keepdim); }
  /** Max of all elements, or `{values, indices}` along `dim`. */
  max(): Tensor;
  max(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
  max(dim?: number, keepdim = false): Tensor | { values: Tensor; indices: Tensor } {
    return dim === undefined ? red.amax(this) : red.maxDim(this, dim, keepdim);
  }
  min(): Tensor;
  min(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
  min(dim?: number, keepdim = false): Tensor | { values: Tensor; indices: Tensor } {
    return dim === undefined ? red.amin(this) : red.minDim(this, dim, keepdim);
  }
  argmax(dim?: number, keepdim = false): Tensor { return red.argmax(this, dim, keepdim); }
  argmin(dim?: number, keepdim = false): Tensor { return red.argmin(this, dim, keepdim); }
  var(dim?: number | number[], options: { correction?: number; keepdim?: boolean } = {}): Tensor {
    const o = checkOptions('var', options);
    return red.variance(this, dim, o.correction ?? 1, o.keepdim ?? false);
  }
  std(dim?: number | number[], options: { correction?: number; keepdim?: boolean } = {}): Tensor {
    const o = checkOptions('std', options);
    return red.std(this, dim, o.correction ?? 1, o.keepdim ?? false);
  }
  logsumexp(dim: number | number[], keepdim = false): Tensor { return red.logsumexp(this, dim, keepdim); }

  // ---- linear algebra -------------------------------------------------------
  matmul(other: Tensor): Tensor { return linalg.matmul(this, other); }
  mm(other: Tensor): Tensor { return linalg.mm(this, other); }
  bmm(other: Tensor): Tensor { return linalg.bmm(this, other); }
  /** Transpose of a tensor with at most 2 dims. */
  t(): Tensor { return views.t(this); }
  get T(): Tensor { return views.permute(this, this.shape.map((_, i) => this.ndim - 1 - i)); }

  // ---- views and shape ------------------------------------------------------
  reshape(...shape: number[] | [readonly number[]]): Tensor { return views.reshape(this, views.shapeArgs(shape)); }
  view(...shape: number[] | [readonly number[]]): Tensor { return views.view(this, views.shapeArgs(shape)); }
  flatten(startDim = 0, endDim = -1): Tensor { return views.flatten(this, startDim, endDim); }
  squeeze(dim?: number): Tensor { return views.squeeze(this, dim); }
  unsqueeze(dim: number): Tensor { return views.unsqueeze(this, dim); }
  transpose(dim0: number, dim1: number): Tensor { return views.transpose(this, dim0, dim1); }
  permute(...dims: number[] | [readonly number[]]): Tensor { return views.permute(this, views.shapeArgs(dims)); }
  expand(...shape: number[] | [readonly number[]]): Tensor { return views.expand(this, views.shapeArgs(shape)); }
  expandAs(other: Tensor): Tensor { return views.expand(this, ew.checkTensor('expandAs', other, 'other').shape); }
  narrow(dim: number, start: number, length: number): Tensor { return views.narrow(this, dim, start, length); }
  split(splitSize: number | number[], dim = 0): Tensor[] { return views.split(this, splitSize, dim); }
  chunk(chunks: number, dim = 0): Tensor[] { return views.chunk(this, chunks, dim); }
  indexSelect(dim: number, index: Tensor): Tensor { return idx.indexSelect(this, dim, index); }
  gather(dim: number, index: Tensor): Tensor { return idx.gather(this, dim, index); }
}

setTensorCheck((v: unknown): v is Tensor => v instanceof Tensor);

/** @internal Allocates an uninitialised contiguous tensor. */
export function emptyTensor(shape: Shape, dtype: DType, device: Device): Tensor {
  const n = numelOf(shape);
  const handle = takePooledHandle(device, dtype, n) ?? native.alloc(device === 'cpu' ? 0 : 1, dtypeIndex[dtype], n);
  return new Tensor(new Storage(handle, device, dtype, n), shape, contiguousStrides(shape), 0);
}

/** @internal Wraps a copy of a typed array as a contiguous tensor. */
export function tensorFromTypedArray(data: ArrayBufferView, shape: Shape, dtype: DType, device: Device): Tensor {
  const handle = native.fromArray(device === 'cpu' ? 0 : 1, dtypeIndex[dtype], data);
  return new Tensor(new Storage(handle, device, dtype, numelOf(shape)), shape, contiguousStrides(shape), 0);
}

const dtypeIndex: Record<DType, number> = { float32: 0, float64: 1, int32: 2, int64: 3, uint8: 4, bool: 5 };

/** @internal */
export function typedArrayFor(dtype: DType, n: number): TypedArrayFor[DType] {
  return newTypedArray(dtype, n);
}
