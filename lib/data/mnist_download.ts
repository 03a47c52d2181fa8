// Where MNIST and Fashion-MNIST come from when asked to download: the
// mirrors and MD5s of torchvision (datasets/mnist.py), files fetched by
// download.ts into the folder given or the cache, then inflated beside the
// .gz so later loads read the raw IDX files.
import * as fs from 'fs';
import * as path from 'path';
import { type FetchOptions, type RemoteFile, cacheDir, downloadFile, gunzipBeside } from './download';

export type MnistKind = 'MNIST' | 'FashionMNIST';

interface Source {
  mirrors: readonly string[];
  files: Readonly<Record<'train' | 'test', readonly [RemoteFile, RemoteFile]>>;
  /** The folder under cacheDir(). */
  cacheName: string;
}

const MNIST_SOURCES: Readonly<Record<MnistKind, Source>> = {
  MNIST: {
    mirrors: ['https://ossci-datasets.s3.amazonaws.com/mnist/', 'http://yann.lecun.com/exdb/mnist/'],
    files: {
      train: [
        { name: 'train-images-idx3-ubyte.gz', md5: 'f68b3c2dcbeaaa9fbdd348bbdeb94873' },
        { name: 'train-labels-idx1-ubyte.gz', md5: 'd53e105ee54ea40749a09fcbcd1e9432' },
      ],
      test: [
        { name: 't10k-images-idx3-ubyte.gz', md5: '9fb629c4189551a2d022fa330f9573f3' },
        { name: 't10k-labels-idx1-ubyte.gz', md5: 'ec29112dd5afa0611ce80d1b7f02629c' },
      ],
    },
    cacheName: 'mnist',
  },
  FashionMNIST: {
    mirrors: ['http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/'],
    files: {
      train: [
        { name: 'train-images-idx3-ubyte.gz', md5: '8d4fb7e6c68d591d4c3dfef9ec88bf0d' },
        { name: 'train-labels-idx1-ubyte.gz', md5: '25c81989df183df01b3e8a0aad5dffbe' },
      ],
      test: [
        { name: 't10k-images-idx3-ubyte.gz', md5: 'bef4ecab320f06d8554ea6380940ec79' },
        { name: 't10k-labels-idx1-ubyte.gz', md5: 'bb300cfdad3c16e7a12a480ee83cd310' },
      ],
    },
    cacheName: 'fashion-mnist',
  },
};

/** The cache folder of a dataset: cacheDir()/mnist or cacheDir()/fashion-mnist. */
export function mnistCacheDir(kind: MnistKind): string {
  return path.join(cacheDir(), MNIST_SOURCES[kind].cacheName);
}

/** Whether `dir` holds the split's two files, raw or gzip. */
export function hasMnistSplit(kind: MnistKind, dir: string, split: 'train' | 'test'): boolean {
  return MNIST_SOURCES[kind].files[split].every(
    (f) => fs.existsSync(path.join(dir, f.name)) || fs.existsSync(path.join(dir, f.name.replace(/\.gz$/, ''))),
  );
}

export interface MnistDownloadOptions extends FetchOptions {
  /** Mirror URLs tried in order (default: torchvision's). */
  mirrors?: readonly string[];
  /** MD5 per file name (default: torchvision's). */
  md5?: Readonly<Record<string, string>>;
}

/** Downloads the split's missing files into `dir` (one after the other: one progress bar at a time) and inflates them. */
export async function downloadMnistSplit(
  kind: MnistKind,
  dir: string,
  split: 'train' | 'test',
  o: MnistDownloadOptions,
): Promise<void> {
  const src = MNIST_SOURCES[kind];
  const mirrors = o.mirrors ?? src.mirrors;
  for (const f of src.files[split]) {
    if (fs.existsSync(path.join(dir, f.name.replace(/\.gz$/, '')))) continue;
    const file = { name: f.name, md5: o.md5?.[f.name] ?? f.md5 };
    await gunzipBeside(await downloadFile(`${kind}.load`, file, mirrors, dir, o));
  }
}
