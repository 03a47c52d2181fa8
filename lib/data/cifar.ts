// CIFAR-10 from its binary distribution (cifar-10-batches-bin): each file is
// records of 1 label byte (0..9) and 3072 pixel bytes (the red, green and
// blue 32x32 planes, rows top to bottom). The training split is
// data_batch_1..5.bin, the test split test_batch.bin. Images are kept as
// uint8 [N, 3, 32, 32] (channel-first as in the file, unlike torchvision's
// HWC numpy array); get(i) gives float32 [3, 32, 32] in [0, 1] like
// ToTensor, and getBatch(indices) whole batches with one indexSelect.
import * as fs from 'fs';
import * as path from 'path';
import { ArgumentError, FileFormatError } from '../errors';
import { readWholeFile, readWholeFileAsync } from '../io/read_file';
import { cast } from '../ops/convert';
import { indexSelect } from '../ops/index_ops';
import { tensor } from '../tensor/creation';
import { keep } from '../tensor/scope';
import { type Tensor, tensorFromTypedArray } from '../tensor/tensor';
import { checkBool, checkIndex, checkOptions, checkString, optionKeys, showValue } from '../validate';
import type { BatchedDataset } from './dataset';
import '../ops/tensor_methods'; // this module calls Tensor methods

export interface Cifar10Options {
  /** The folder holding the .bin files, or the folder holding cifar-10-batches-bin. */
  root: string;
  /** The 50k training split (default) or the 10k test split. */
  train?: boolean;
  /**
   * Normalize with the training split's per-channel mean (0.4914, 0.4822,
   * 0.4465) and std (0.2470, 0.2435, 0.2616). Default false: values in [0, 1].
   */
  normalize?: boolean;
}

const KEYS = optionKeys<Cifar10Options>({ root: true, train: true, normalize: true });
const RECORD = 1 + 3 * 32 * 32;
const MEAN = [0.4914, 0.4822, 0.4465];
const STD = [0.247, 0.2435, 0.2616];

/** The split's files, in the folder itself or in its cifar-10-batches-bin subfolder. */
function splitFiles(root: string, train: boolean): string[] {
  const names = train ? [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`) : ['test_batch.bin'];
  const sub = path.join(root, 'cifar-10-batches-bin');
  const dir = !fs.existsSync(path.join(root, names[0])) && fs.existsSync(path.join(sub, names[0])) ? sub : root;
  return names.map((n) => path.join(dir, n));
}

/** Checks one file's records and appends them to the images / labels. */
function decode(buf: Uint8Array, file: string): { images: Uint8Array; labels: Uint8Array } {
  if (buf.length === 0 || buf.length % RECORD !== 0)
    throw new FileFormatError(
      file,
      `expected whole CIFAR-10 records of ${RECORD} bytes (1 label + 3072 pixels), got ${buf.length} bytes (${Math.floor(buf.length / RECORD)} records and ${buf.length % RECORD} bytes over)`,
    );
  const n = buf.length / RECORD;
  const images = new Uint8Array(n * (RECORD - 1));
  const labels = new Uint8Array(n);
  for (let r = 0; r < n; ++r) {
    const label = buf[r * RECORD];
    if (label > 9) throw new FileFormatError(file, `expected labels 0..9, got ${label} in record ${r}`, r * RECORD);
    labels[r] = label;
    images.set(buf.subarray(r * RECORD + 1, (r + 1) * RECORD), r * (RECORD - 1));
  }
  return { images, labels };
}

interface Split {
  images: Uint8Array;
  labels: Uint8Array;
}

function join(parts: Split[]): Split {
  if (parts.length === 1) return parts[0];
  const images = new Uint8Array(parts.reduce((s, p) => s + p.images.length, 0));
  const labels = new Uint8Array(parts.reduce((s, p) => s + p.labels.length, 0));
  let oi = 0;
  let ol = 0;
  for (const p of parts) {
    images.set(p.images, oi);
    labels.set(p.labels, ol);
    oi += p.images.length;
    ol += p.labels.length;
  }
  return { images, labels };
}

function resolveOptions(op: string, options: Cifar10Options): { root: string; train: boolean } {
  const o = checkOptions(op, options, KEYS);
  if (o.root === undefined) throw new ArgumentError(op, 'a root folder with the CIFAR-10 .bin files, got none');
  return { root: checkString(op, 'root', o.root), train: checkBool(op, 'train', o.train ?? true) };
}

// A split read by `load` (async) for the constructor it calls next.
let preloaded: Split | undefined;

/** CIFAR-10: 32x32 colour images in 10 classes (airplane ... truck). */
export class CIFAR10 implements BatchedDataset<[Tensor, Tensor]> {
  /** uint8 [N, 3, 32, 32]. */
  readonly data: Tensor;
  /** int64 [N], values 0..9. */
  readonly targets: Tensor;
  readonly train: boolean;
  readonly root: string;
  /** Whether items and batches are normalized (see Cifar10Options.normalize). */
  readonly normalize: boolean;
  private readonly labels: Uint8Array;

  /**
   * `new CIFAR10(options)` without blocking the event loop: the files are
   * read on the libuv thread pool. Bad arguments throw at the call; file
   * errors reject with the errors the constructor throws.
   */
  static load(options: Cifar10Options): Promise<CIFAR10> {
    const { root, train } = resolveOptions('CIFAR10.load', options);
    const files = splitFiles(root, train);
    return Promise.all(files.map((f) => readWholeFileAsync('CIFAR10', f))).then((bufs) => {
      preloaded = join(bufs.map((b, i) => decode(b, files[i])));
      try {
        return new CIFAR10(options);
      } finally {
        preloaded = undefined;
      }
    });
  }

  constructor(options: Cifar10Options) {
    const op = 'CIFAR10';
    const { root, train } = resolveOptions(op, options);
    this.root = root;
    this.train = train;
    this.normalize = checkBool(op, 'normalize', options.normalize ?? false);
    const split = preloaded ?? join(splitFiles(root, train).map((f) => decode(readWholeFile(op, f), f)));
    preloaded = undefined;
    const n = split.labels.length;
    this.labels = split.labels;
    this.data = keep(tensorFromTypedArray(split.images, [n, 3, 32, 32], 'uint8', 'cpu'));
    const labels64 = new BigInt64Array(n);
    for (let i = 0; i < n; ++i) labels64[i] = BigInt(split.labels[i]);
    this.targets = keep(tensorFromTypedArray(labels64, [n], 'int64', 'cpu'));
  }

  get length(): number {
    return this.labels.length;
  }

  /** [image float32 [3, 32, 32] in [0, 1] (or normalized), label int64 0-d]. */
  get(index: number): [Tensor, Tensor] {
    const i = checkIndex('CIFAR10.get', index, this.length);
    const view = this.data._view([3, 32, 32], [1024, 32, 1], i * 3072);
    const image = this.toImages(view);
    view.dispose();
    return [image, tensor(BigInt64Array.of(BigInt(this.labels[i])), { shape: [] })];
  }

  /** Items `indices` as [images float32 [B, 3, 32, 32], labels int64 [B]], as stacking get(i) would. */
  getBatch(indices: Uint32Array): [Tensor, Tensor] {
    const op = 'CIFAR10.getBatch';
    if (!(indices instanceof Uint32Array))
      throw new ArgumentError(op, `indices a Uint32Array, got ${showValue(indices)}`);
    const host = new BigInt64Array(indices.length);
    for (let k = 0; k < indices.length; ++k) host[k] = BigInt(checkIndex(op, indices[k], this.length));
    const ix = tensorFromTypedArray(host, [host.length], 'int64', 'cpu');
    const raw = indexSelect(this.data, 0, ix);
    const batch: [Tensor, Tensor] = [this.toImages(raw), indexSelect(this.targets, 0, ix)];
    ix.dispose();
    raw.dispose();
    return batch;
  }

  /** uint8 pixels [..., 3, 32, 32] to float32 in [0, 1], normalized per channel when asked. */
  private toImages(pixels: Tensor): Tensor {
    const images = cast(pixels, 'float32').div_(255);
    if (!this.normalize) return images;
    const opts = { dtype: 'float32' as const, shape: [3, 1, 1] };
    const mean = tensor(Float32Array.from(MEAN), opts);
    const std = tensor(Float32Array.from(STD), opts);
    images.sub_(mean).div_(std);
    mean.dispose();
    std.dispose();
    return images;
  }

  /** Frees the images and labels now. */
  dispose(): void {
    this.data.dispose();
    this.targets.dispose();
  }
}
