// The Tensor class: a strided view (shape, strides, offset) of a shared
// native storage, plus autograd state (requiresGrad, grad, the GraphNode
// that produced it). This module imports no op and no autograd code: the
// layers above add the methods that compute (add, sum, matmul, backward, ...)
// by declaration merging, as TensorFlow.js does (lib/ops/tensor_methods.ts,
// lib/autograd/tensor_methods.ts; lib/index.ts loads both).
import { DTYPE_CODES } from '../../bindings/codes.gen';
import { native } from '../kernels/native';
import { ArgumentError, DTypeError, DisposedTensorError } from '../errors';
import type { Device, DType } from './dtype';
import { type Shape, contiguousStrides, isContiguous, normalizeDim, numelOf } from './shape';
import { Storage, takePooledHandle } from './storage';
import { track } from './scope';

/** A number or a tensor, wherever PyTorch accepts a Python scalar. */
export type TensorOrScalar = Tensor | number;

/** Nested arrays returned by `toArray()`. */
export type NestedArray<T> = T | NestedArray<T>[];

/**
 * A node of the autograd graph: the op that produced a tensor, its inputs
 * and what its backward formula needs (its context). Ops record nodes
 * (lib/ops/record.ts); lib/autograd walks them.
 */
/** @internal A gradient hook (registerHook): may return a replacement gradient. */
export type GradHook = (grad: Tensor) => unknown;

export class GraphNode<Op extends string = string, Ctx = unknown> {
  /** Set by retainGrad(): the tensor whose .grad this node's gradient fills. */
  retained: Tensor | null = null;
  /** @internal registerHook() on the tensor this node produced, in registration order. */
  hooks: GradHook[] | null = null;
  released = false;
  constructor(
    readonly op: Op,
    public inputs: readonly (Tensor | null)[],
    public ctx: Ctx,
    /** Which inputs need a gradient. */
    readonly needs: readonly boolean[],
  ) {}

  /** PyTorch-style name, e.g. `MulBackward`. */
  get name(): string {
    return `${this.op[0].toUpperCase()}${this.op.slice(1)}Backward`;
  }

  /** Drops saved tensors so their memory can go (after a backward pass). */
  release(): void {
    this.released = true;
    this.ctx = null as unknown as Ctx;
  }
}

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
  /**
   * @internal Set by nn.Parameter. A field of every tensor rather than a
   * property added to parameters: tensors then share one hidden class, so
   * V8's optimized code for ops does not deoptimize when parameters reach it.
   */
  _isParameter = false;
  /** @internal registerHook() on a leaf, in registration order. */
  _gradHooks: GradHook[] | null = null;
  /** @internal registerPostAccumulateGradHook() on a leaf. */
  _postAccumulateHooks: ((param: Tensor) => void)[] | null = null;

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
      _storage: Storage;
      shape: readonly number[];
      strides: readonly number[];
      offset: number;
      dtype: DType;
      device: Device;
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

  get numel(): number {
    return numelOf(this.shape);
  }
  get ndim(): number {
    return this.shape.length;
  }
  get requiresGrad(): boolean {
    return this._requiresGrad;
  }
  set requiresGrad(v: boolean) {
    this.requiresGrad_(v);
  }
  /** The autograd node that produced this tensor, or null for leaves. */
  get gradFn(): GraphNode | null {
    return this._gradFn;
  }
  get isLeaf(): boolean {
    return this._gradFn === null;
  }
  get isDisposed(): boolean {
    return this._disposed;
  }

  isContiguous(): boolean {
    return isContiguous(this.shape, this.strides);
  }
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number[] | number {
    if (dim === undefined) return this.shape.slice();
    return this.shape[normalizeDim('size', dim, this.ndim)];
  }

  // ---- lifetime -----------------------------------------------------------
  /** Frees the storage now if no other view uses it. Idempotent. */
  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    this._gradFn = null;
    this._storage.release();
  }
  [Symbol.dispose](): void {
    this.dispose();
  }

  // ---- autograd -----------------------------------------------------------
  requiresGrad_(requires = true): this {
    this._check('requiresGrad_');
    if (!requires && this._gradFn)
      throw new ArgumentError('requiresGrad_', 'only leaves can stop requiring grad; use detach()');
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
  /** A tensor sharing storage, cut from the graph. */
  detach(): Tensor {
    this._check('detach');
    return this._view(this.shape, this.strides, this.offset);
  }
}

/** @internal Allocates an uninitialised contiguous tensor. */
export function emptyTensor(shape: Shape, dtype: DType, device: Device): Tensor {
  const n = numelOf(shape);
  const handle = takePooledHandle(device, dtype, n) ?? native.alloc(device === 'cpu' ? 0 : 1, DTYPE_CODES[dtype], n);
  return new Tensor(new Storage(handle, device, dtype, n), shape, contiguousStrides(shape), 0);
}

/** @internal Wraps a copy of a typed array as a contiguous tensor. */
export function tensorFromTypedArray(data: ArrayBufferView, shape: Shape, dtype: DType, device: Device): Tensor {
  const handle = native.fromArray(device === 'cpu' ? 0 : 1, DTYPE_CODES[dtype], data);
  return new Tensor(new Storage(handle, device, dtype, numelOf(shape)), shape, contiguousStrides(shape), 0);
}

/**
 * Adds methods and getters to Tensor.prototype, non-enumerable like class
 * members. The module that calls it declares them on the Tensor interface
 * (declaration merging), so they are typed and documented like the rest.
 */
export function defineTensorMethods(methods: Partial<Tensor> & ThisType<Tensor>): void {
  const descriptors = Object.getOwnPropertyDescriptors(methods);
  for (const key of Reflect.ownKeys(descriptors)) {
    Object.defineProperty(Tensor.prototype, key, {
      ...descriptors[key as keyof typeof descriptors],
      enumerable: false,
    });
  }
}
