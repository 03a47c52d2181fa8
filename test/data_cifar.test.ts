// datasets.CIFAR10 on generated binary files in a temporary folder (there is
// no network here): shapes, pixel order (R, G, B planes), labels, the train
// split's 5 files joined in order, the cifar-10-batches-bin subfolder, load
// (async), the batched getter and DataLoader use, normalize, and typed
// errors for missing, short and corrupt files.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as nt from '../lib';
import { expectClose, values } from './helpers';

const RECORD = 3073;

/** n records; record r has label (r + seed) % 10 and pixel p = (r * 7 + p + seed) % 256. */
function records(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n * RECORD);
  for (let r = 0; r < n; ++r) {
    b[r * RECORD] = (r + seed) % 10;
    for (let p = 0; p < 3072; ++p) b[r * RECORD + 1 + p] = (r * 7 + p + seed) % 256;
  }
  return b;
}

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'nt-cifar-'));
  for (let i = 1; i <= 5; ++i) fs.writeFileSync(path.join(root, `data_batch_${i}.bin`), records(3, i * 10));
  fs.writeFileSync(path.join(root, 'test_batch.bin'), records(4, 0));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('CIFAR10', () => {
  test('test split: uint8 [N, 3, 32, 32] as in the file, int64 labels, get(i) / 255', () => {
    const ds = new nt.datasets.CIFAR10({ root, train: false });
    expect(ds.length).toBe(4);
    expect(ds.data.shape).toEqual([4, 3, 32, 32]);
    expect(ds.data.dtype).toBe('uint8');
    expect(Array.from(values(ds.targets))).toEqual([0, 1, 2, 3]);
    const [img, label] = ds.get(2);
    expect(img.shape).toEqual([3, 32, 32]);
    expect(img.dtype).toBe('float32');
    expect(label.item()).toBe(2);
    // green plane (channel 1), row 3, column 5 is pixel byte 1024 + 3 * 32 + 5
    const p = 1024 + 3 * 32 + 5;
    expect(values(img)[p]).toBeCloseTo(((2 * 7 + p) % 256) / 255, 6);
    expect(() => ds.get(4)).toThrow(nt.ArgumentError);
    ds.dispose();
  });

  test('train split joins data_batch_1..5 in order; a cifar-10-batches-bin subfolder works too', async () => {
    const ds = new nt.datasets.CIFAR10({ root });
    expect(ds.length).toBe(15);
    expect(Array.from(values(ds.targets))).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2]);
    expect(values(ds.data)[3 * 3072]).toBe(20); // record 0 of file 2: seed 20
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'nt-cifar-parent-'));
    const sub = path.join(parent, 'cifar-10-batches-bin');
    fs.mkdirSync(sub);
    fs.copyFileSync(path.join(root, 'test_batch.bin'), path.join(sub, 'test_batch.bin'));
    const viaParent = await nt.datasets.CIFAR10.load({ root: parent, train: false });
    expect(viaParent.length).toBe(4);
    expect(values(viaParent.data)).toEqual(values(new nt.datasets.CIFAR10({ root, train: false }).data));
    fs.rmSync(parent, { recursive: true, force: true });
  });

  test('load (async) gives the same dataset as the constructor', async () => {
    const a = await nt.datasets.CIFAR10.load({ root });
    const b = new nt.datasets.CIFAR10({ root });
    expect(values(a.data)).toEqual(values(b.data));
    expect(values(a.targets)).toEqual(values(b.targets));
  });

  test('getBatch equals stacking get(i); DataLoader batches through it; normalize per channel', () => {
    const ds = new nt.datasets.CIFAR10({ root });
    const ix = Uint32Array.of(14, 0, 7);
    const [x, y] = ds.getBatch(ix);
    expect(x.shape).toEqual([3, 3, 32, 32]);
    const items = Array.from(ix, (i) => ds.get(i));
    expect(values(x)).toEqual(values(nt.stack(items.map((p) => p[0]))));
    expect(Array.from(values(y))).toEqual(items.map((p) => p[1].item()));
    const batches = [...new nt.data.DataLoader(ds, { batchSize: 4, shuffle: true })];
    expect(batches.map((b) => b[0].shape[0])).toEqual([4, 4, 4, 3]);
    const dn = new nt.datasets.CIFAR10({ root, normalize: true });
    const mean = [0.4914, 0.4822, 0.4465];
    const std = [0.247, 0.2435, 0.2616];
    const raw = values(ds.get(5)[0]);
    const ref = Array.from(raw, (v, i) => (v - mean[Math.floor(i / 1024)]) / std[Math.floor(i / 1024)]);
    expectClose(dn.get(5)[0], ref, { atol: 1e-5, rtol: 1e-5 });
    expectClose(dn.getBatch(Uint32Array.of(5))[0], ref, { atol: 1e-5, rtol: 1e-5 });
    expect(() => ds.getBatch(Uint32Array.of(15))).toThrow(nt.ArgumentError);
  });

  test('typed errors: missing root or file, short file, bad label, bad options', async () => {
    expect(() => new nt.datasets.CIFAR10({} as nt.datasets.Cifar10Options)).toThrow(/CIFAR10: a root folder/);
    expect(() => new nt.datasets.CIFAR10({ root, train: 1 as unknown as boolean })).toThrow(nt.ArgumentError);
    expect(() => new nt.datasets.CIFAR10({ root, tran: true } as nt.datasets.Cifar10Options)).toThrow(/tran/);
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'nt-cifar-empty-'));
    expect(() => new nt.datasets.CIFAR10({ root: empty, train: false })).toThrow(nt.FileError);
    // The five training files are read at once: any of them may be reported first.
    await expect(nt.datasets.CIFAR10.load({ root: empty })).rejects.toThrow(/data_batch_[1-5]\.bin/);
    fs.writeFileSync(path.join(empty, 'test_batch.bin'), records(2, 0).subarray(0, RECORD + 100));
    expect(() => new nt.datasets.CIFAR10({ root: empty, train: false })).toThrow(nt.FileFormatError);
    expect(() => new nt.datasets.CIFAR10({ root: empty, train: false })).toThrow(/1 records and 100 bytes over/);
    fs.writeFileSync(path.join(empty, 'test_batch.bin'), Buffer.alloc(0));
    expect(() => new nt.datasets.CIFAR10({ root: empty, train: false })).toThrow(/got 0 bytes/);
    const bad = records(2, 0);
    bad[RECORD] = 12;
    fs.writeFileSync(path.join(empty, 'test_batch.bin'), bad);
    expect(() => new nt.datasets.CIFAR10({ root: empty, train: false })).toThrow(/labels 0..9, got 12 in record 1/);
    fs.rmSync(empty, { recursive: true, force: true });
  });
});
