// data.transforms (toFloat, normalize, randomCrop with padding,
// randomHorizontalFlip, compose) against plain-JS references, their
// reproducibility under nt.manualSeed and a private Generator, hostile
// arguments; TransformDataset per item and per batch in a DataLoader; and
// MNIST's batched getter (the same batches as stacking get(i)) and its
// normalize option.
import * as fs from 'fs';
import * as path from 'path';
import * as nt from '../lib';
import { expectClose, expectError, values } from './helpers';

const T = nt.data.transforms;
type Tensor = nt.Tensor;

/** uint8 image [C, H, W] with pixel (c, h, w) = (c * 50 + h * 7 + w * 3) % 256. */
function image(C: number, H: number, W: number): Tensor {
  const a = new Uint8Array(C * H * W);
  for (let c = 0; c < C; ++c)
    for (let h = 0; h < H; ++h) for (let w = 0; w < W; ++w) a[(c * H + h) * W + w] = (c * 50 + h * 7 + w * 3) % 256;
  return nt.tensor(a, { dtype: 'uint8', shape: [C, H, W] });
}

describe('transforms', () => {
  test('toFloat: uint8 to float32 / 255, any rank up to a batch; float passes through', () => {
    const u = image(3, 4, 5);
    const f = T.toFloat()(u);
    expect(f.dtype).toBe('float32');
    expect(f.shape).toEqual([3, 4, 5]);
    expectClose(
      f,
      Array.from(values(u), (v) => v / 255),
      { atol: 1e-7, rtol: 1e-6 },
    );
    expect(T.toFloat()(u.reshape([3, 20])).shape).toEqual([3, 20]);
    expect(T.toFloat()(u.unsqueeze(0)).shape).toEqual([1, 3, 4, 5]);
    const already = nt.ones([2, 2]);
    expect(T.toFloat()(already)).toBe(already);
    expect(T.toFloat().batchable).toBe(true);
  });

  test('normalize: per channel on [C, H, W] and [B, C, H, W]; one value for all channels', () => {
    const x = T.toFloat()(image(3, 2, 2));
    const mean = [0.1, 0.2, 0.3];
    const std = [0.5, 0.25, 2];
    const ref = Array.from(values(x), (v, i) => (v - mean[Math.floor(i / 4)]) / std[Math.floor(i / 4)]);
    expectClose(T.normalize(mean, std)(x), ref, { atol: 1e-6, rtol: 1e-6 });
    const batch = nt.stack([x, x]);
    expectClose(T.normalize(mean, std)(batch), [...ref, ...ref], { atol: 1e-6, rtol: 1e-6 });
    expectClose(
      T.normalize([0.5], [2])(x),
      Array.from(values(x), (v) => (v - 0.5) / 2),
      { atol: 1e-6, rtol: 1e-6 },
    );
    const d = T.normalize([1], [2])(x.double());
    expect(d.dtype).toBe('float64');
  });

  test('randomCrop: the window is one of the valid ones, padding fills with zeros (or fill)', () => {
    nt.manualSeed(5);
    const x = T.toFloat()(image(2, 6, 7));
    const xv = values(x);
    const seen = new Set<string>();
    for (let r = 0; r < 40; ++r) {
      const y = T.randomCrop([4, 5])(x);
      expect(y.shape).toEqual([2, 4, 5]);
      expect(y.isContiguous()).toBe(true);
      const yv = values(y);
      // find the offset: the top-left pixel of channel 0 pins (i, j) down
      let found = '';
      for (let i = 0; i <= 2 && !found; ++i)
        for (let j = 0; j <= 2 && !found; ++j) {
          let ok = true;
          for (let c = 0; c < 2 && ok; ++c)
            for (let h = 0; h < 4 && ok; ++h)
              for (let w = 0; w < 5 && ok; ++w) ok = yv[(c * 4 + h) * 5 + w] === xv[(c * 6 + h + i) * 7 + w + j];
          if (ok) found = `${i},${j}`;
        }
      expect(found).not.toBe('');
      seen.add(found);
    }
    expect(seen.size).toBeGreaterThan(4); // several of the 9 positions
    // padding 2 on a 3x3 image, crop 3x3: the corner windows hold the fill value
    const small = nt.ones([1, 3, 3]);
    let zeros = 0;
    for (let r = 0; r < 30; ++r) {
      const y = values(T.randomCrop(3, { padding: 2, fill: 0 })(small));
      zeros += y.filter((v) => v === 0).length;
      expect(y.every((v) => v === 0 || v === 1)).toBe(true);
    }
    expect(zeros).toBeGreaterThan(0);
    const filled = values(T.randomCrop([7, 7], { padding: [2, 2], fill: 9 })(small));
    expect(filled.filter((v) => v === 9).length).toBe(49 - 9);
    expect(T.randomCrop([3, 4], { padding: [0, 1, 1, 0] })(nt.ones([3, 3])).shape).toEqual([3, 4]);
  });

  test('randomHorizontalFlip: p = 1 mirrors, p = 0 keeps, p = 0.5 does both', () => {
    const x = T.toFloat()(image(1, 2, 3));
    const xv = values(x);
    const mirrored = [xv[2], xv[1], xv[0], xv[5], xv[4], xv[3]];
    expect(Array.from(values(T.randomHorizontalFlip(1)(x)))).toEqual(mirrored);
    expect(T.randomHorizontalFlip(0)(x)).toBe(x);
    nt.manualSeed(1);
    let flips = 0;
    for (let r = 0; r < 200; ++r) if (values(T.randomHorizontalFlip()(x))[0] === xv[2]) flips++;
    expect(flips).toBeGreaterThan(60);
    expect(flips).toBeLessThan(140);
  });

  test('reproducible with nt.manualSeed and with a private Generator', () => {
    const x = T.toFloat()(image(3, 8, 8));
    const t = T.compose(T.randomCrop(6, { padding: 1 }), T.randomHorizontalFlip());
    const run = (): Float64Array[] => Array.from({ length: 5 }, () => values(t(x)));
    nt.manualSeed(42);
    const a = run();
    nt.manualSeed(42);
    const b = run();
    expect(b).toEqual(a);
    const g = new nt.Generator(7);
    const tg = T.compose(T.randomCrop(6, { padding: 1, generator: g }), T.randomHorizontalFlip(0.5, { generator: g }));
    const c = Array.from({ length: 5 }, () => values(tg(x)));
    g.manualSeed(7);
    nt.manualSeed(99); // the private generator ignores the global one
    expect(Array.from({ length: 5 }, () => values(tg(x)))).toEqual(c);
  });

  test('compose is batchable only when every part is', () => {
    expect(T.compose(T.toFloat(), T.normalize([0], [1])).batchable).toBe(true);
    expect(T.compose(T.toFloat(), T.randomHorizontalFlip()).batchable).toBe(false);
    const out = T.compose(T.toFloat(), T.normalize([0.5], [0.5]))(image(1, 2, 2));
    expectClose(
      out,
      Array.from(values(image(1, 2, 2)), (v) => (v / 255 - 0.5) / 0.5),
      { atol: 1e-6, rtol: 1e-6 },
    );
  });

  test('hostile arguments give typed errors naming the transform and the argument', () => {
    const x = nt.ones([1, 3, 3]);
    expectError(
      () => T.normalize([0.5, 0.5], [1]),
      nt.ArgumentError,
      /transforms.normalize: mean and std of the same length/,
    );
    expectError(() => T.normalize([0.5], [0]), nt.ArgumentError, /std must hold positive finite numbers, got 0/);
    expectError(() => T.normalize([], []), nt.ArgumentError, /mean must be a non-empty array/);
    expectError(() => T.normalize([0, 0], [1, 1])(x), nt.ShapeError, /mean\/std for 2 channels/);
    expectError(() => T.normalize([0], [1])(image(1, 2, 2)), nt.DTypeError, /a floating image, got uint8/);
    expectError(() => T.randomCrop(4)(x), nt.ShapeError, /crop size \[4, 4\] larger than the \(padded\) image/);
    expectError(() => T.randomCrop(0), nt.ArgumentError, /size must be a positive integer/);
    expectError(() => T.randomCrop(2, { padding: -1 }), nt.ArgumentError, /padding must be non-negative integers/);
    expectError(
      () => T.randomCrop(2, { padding: [1, 2, 3] }),
      nt.ArgumentError,
      /padding must be a number or an array of 2 or 4/,
    );
    expectError(() => T.randomCrop(2)(nt.ones([3])), nt.ShapeError, /an image \[C, H, W\] or \[H, W\], got \[3\]/);
    expectError(() => T.randomHorizontalFlip(1.5), nt.ArgumentError, /p must be a probability in \[0, 1\], got 1.5/);
    expectError(
      () => T.randomHorizontalFlip(0.5, { generator: 3 as unknown as nt.Generator }),
      nt.ArgumentError,
      /generator an nt.Generator/,
    );
    expectError(() => T.compose(T.toFloat(), 3 as unknown as nt.data.Transform), nt.ArgumentError, /transforms\[1\]/);
    expectError(() => T.toFloat()(nt.ones([2, 2], { dtype: 'bool' })), nt.DTypeError, /got bool/);
  });
});

describe('TransformDataset', () => {
  const imgs = nt.stack([image(1, 4, 4), image(1, 4, 4).flip(2), image(1, 4, 4).flip(1)]);
  const labels = nt.tensor([0, 1, 2], { dtype: 'int64' });
  const base = new nt.data.TensorDataset(imgs, labels);

  test('per item: the image transformed, the label kept or target-transformed', () => {
    const ds = new nt.data.TransformDataset(base, T.compose(T.toFloat(), T.normalize([0.5], [0.25])), {
      targetTransform: (y) => y.add(10),
    });
    expect(ds.length).toBe(3);
    const [x, y] = ds.get(1);
    expect(x.dtype).toBe('float32');
    expectClose(
      x,
      Array.from(values(imgs.narrow(0, 1, 1)), (v) => (v / 255 - 0.5) / 0.25),
      { atol: 1e-6, rtol: 1e-6 },
    );
    expect(y.item()).toBe(11);
    // plain-tensor items
    const single = new nt.data.TransformDataset({ length: 2, get: (i: number) => image(1, 2, 2).add(i) }, T.toFloat());
    expect(single.get(1).dtype).toBe('float32');
  });

  test('in a DataLoader: the same batches per item and through a batched getter', () => {
    const t = T.compose(T.toFloat(), T.normalize([0.5], [0.25]));
    const perItem = new nt.data.TransformDataset({ length: 3, get: (i: number) => base.get(i) }, t);
    const batchedInner = {
      length: 3,
      get: (i: number) => base.get(i),
      getBatch: (ix: Uint32Array) => {
        calls++;
        return nt.data.defaultCollate(Array.from(ix, (i) => base.get(i)));
      },
    };
    let calls = 0;
    const batched = new nt.data.TransformDataset(batchedInner, t);
    const a = [...new nt.data.DataLoader(perItem, { batchSize: 2 })];
    const b = [...new nt.data.DataLoader(batched, { batchSize: 2 })];
    expect(calls).toBe(2);
    expect(a.map((p) => p[0].shape)).toEqual([
      [2, 1, 4, 4],
      [1, 1, 4, 4],
    ]);
    a.forEach((p, i) => {
      expect(values(b[i][0])).toEqual(values(p[0]));
      expect(values(b[i][1])).toEqual(values(p[1]));
    });
    // a random transform on a batched inner dataset goes item by item
    const random = new nt.data.TransformDataset(batchedInner, T.compose(T.toFloat(), T.randomHorizontalFlip(1)));
    calls = 0;
    const [[fx]] = [...new nt.data.DataLoader(random, { batchSize: 3 })];
    expect(calls).toBe(0);
    expect(values(fx)).toEqual(values(T.toFloat()(imgs.flip(3))));
  });

  test('bad arguments', () => {
    expectError(
      () => new nt.data.TransformDataset(null as unknown as nt.data.Dataset<Tensor>, T.toFloat()),
      nt.ArgumentError,
      /TransformDataset: a dataset/,
    );
    expectError(
      () => new nt.data.TransformDataset(base, 5 as unknown as nt.data.Transform),
      nt.ArgumentError,
      /transform/,
    );
    const bad = new nt.data.TransformDataset({ length: 1, get: () => [3, 4] as unknown as [Tensor] }, T.toFloat());
    expectError(() => bad.get(0), nt.ArgumentError, /items that are a Tensor or \[Tensor, \.\.\.\]/);
  });
});

const MNIST_DIR = path.resolve(__dirname, '../../shared/data/mnist');
const maybe = fs.existsSync(MNIST_DIR) ? describe : describe.skip;

maybe('MNIST batched getter', () => {
  let ds: nt.datasets.MNIST;
  beforeAll(() => {
    ds = new nt.datasets.MNIST({ root: MNIST_DIR, train: false });
  });

  test('getBatch equals stacking get(i); the DataLoader uses it', () => {
    const ix = Uint32Array.of(5, 0, 9999, 42);
    const [x, y] = ds.getBatch(ix);
    expect(x.shape).toEqual([4, 1, 28, 28]);
    expect(x.dtype).toBe('float32');
    expect(y.dtype).toBe('int64');
    const items = Array.from(ix, (i) => ds.get(i));
    expect(values(x)).toEqual(values(nt.stack(items.map((p) => p[0]))));
    expect(Array.from(values(y))).toEqual(items.map((p) => p[1].item()));
    nt.manualSeed(3);
    const fast = [...new nt.data.DataLoader(ds, { batchSize: 64, shuffle: true })];
    nt.manualSeed(3);
    const slow = [...new nt.data.DataLoader(ds, { batchSize: 64, shuffle: true, collate: nt.data.defaultCollate })];
    expect(fast.length).toBe(157);
    for (const b of [0, 77, 156]) {
      expect(values(fast[b][0])).toEqual(values(slow[b][0]));
      expect(values(fast[b][1])).toEqual(values(slow[b][1]));
    }
    expect(() => ds.getBatch(Uint32Array.of(10000))).toThrow(nt.ArgumentError);
  });

  test('normalize option: (x / 255 - 0.1307) / 0.3081 per item and per batch', () => {
    const dn = new nt.datasets.MNIST({ root: MNIST_DIR, train: false, normalize: true });
    expect(dn.normalize).toBe(true);
    const raw = values(ds.get(7)[0]);
    const ref = Array.from(raw, (v) => (v - 0.1307) / 0.3081);
    expectClose(dn.get(7)[0], ref, { atol: 1e-5, rtol: 1e-5 });
    expectClose(dn.getBatch(Uint32Array.of(7))[0], ref, { atol: 1e-5, rtol: 1e-5 });
    expect(() => new nt.datasets.MNIST({ root: MNIST_DIR, train: false, normalize: 1 as unknown as boolean })).toThrow(
      nt.ArgumentError,
    );
    dn.dispose();
  });

  test('with random transforms in a TransformDataset', () => {
    nt.manualSeed(0);
    const aug = new nt.data.TransformDataset(
      ds,
      T.compose(T.randomCrop(28, { padding: 2 }), T.normalize([0.1307], [0.3081])),
    );
    const [[x, y]] = [...new nt.data.DataLoader(aug, { batchSize: 16 })].slice(0, 1);
    expect(x.shape).toEqual([16, 1, 28, 28]);
    expect(y.shape).toEqual([16]);
  });
});
