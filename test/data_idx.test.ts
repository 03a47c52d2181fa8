// IDX reader: hand-built big-endian files for every type code, gzip and raw,
// every malformed case, gzip-bomb protection, and the real MNIST /
// Fashion-MNIST files from shared/data (skipped, loudly, when absent).

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { ArgumentError, FileFormatError } from '../lib/errors';
import { loadMnistSplit, parseIdx, readIdxFile } from '../lib/data/idx';

const DATA = path.resolve(__dirname, '../../shared/data');

/** magic 00 00 type ndims, big-endian u32 dims, then `data` as given. */
function idx(type: number, dims: number[], data: number[] | Buffer): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = type;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(data)]);
}

function expectFormatError(buf: Uint8Array, pattern: RegExp, offset?: number): FileFormatError {
  let caught: unknown;
  try {
    parseIdx(buf, 'bad-idx');
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(FileFormatError);
  const err = caught as FileFormatError;
  expect(err.message).toMatch(pattern);
  expect(err.file).toBe('bad-idx');
  if (offset !== undefined) expect(err.offset).toBe(offset);
  return err;
}

describe('parseIdx decodes every type code from hand-built big-endian bytes', () => {
  test('0x08 ubyte -> uint8', () => {
    const t = parseIdx(idx(0x08, [2, 3], [0, 1, 2, 253, 254, 255]), 'x');
    expect(t).toEqual({ dtype: 'uint8', shape: [2, 3], data: new Uint8Array([0, 1, 2, 253, 254, 255]) });
    expect(t.data.byteOffset).toBe(0); // its own buffer, not a view into the file
  });
  test('0x09 sbyte -> int32 (sign kept)', () => {
    expect(parseIdx(idx(0x09, [4], [0x80, 0x7f, 0xff, 0x00]), 'x')).toEqual({
      dtype: 'int32',
      shape: [4],
      data: new Int32Array([-128, 127, -1, 0]),
    });
  });
  test('0x0B short -> int32, big-endian', () => {
    expect(parseIdx(idx(0x0b, [3], [0x80, 0x00, 0x7f, 0xff, 0x01, 0x02]), 'x')).toEqual({
      dtype: 'int32',
      shape: [3],
      data: new Int32Array([-32768, 32767, 258]),
    });
  });
  test('0x0C int -> int32, big-endian', () => {
    expect(parseIdx(idx(0x0c, [1, 2], [0x80, 0, 0, 0, 0x00, 0x01, 0x02, 0x03]), 'x')).toEqual({
      dtype: 'int32',
      shape: [1, 2],
      data: new Int32Array([-2147483648, 66051]),
    });
  });
  test('0x0D float -> float32, big-endian', () => {
    // 1.5 = 3f c0 00 00, -2 = c0 00 00 00
    expect(parseIdx(idx(0x0d, [2], [0x3f, 0xc0, 0, 0, 0xc0, 0, 0, 0]), 'x')).toEqual({
      dtype: 'float32',
      shape: [2],
      data: new Float32Array([1.5, -2]),
    });
  });
  test('0x0E double -> float64, big-endian', () => {
    // 1.0 = 3f f0 00..; -0.5 = bf e0 00..
    const t = parseIdx(idx(0x0e, [2], [0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0xbf, 0xe0, 0, 0, 0, 0, 0, 0]), 'x');
    expect(t).toEqual({ dtype: 'float64', shape: [2], data: new Float64Array([1, -0.5]) });
  });
  test('zero-length dims and 8 dims', () => {
    expect(parseIdx(idx(0x08, [0, 28, 28], []), 'x')).toEqual({
      dtype: 'uint8',
      shape: [0, 28, 28],
      data: new Uint8Array(0),
    });
    expect(parseIdx(idx(0x08, [1, 1, 1, 1, 1, 1, 1, 2], [7, 9]), 'x').shape).toEqual([1, 1, 1, 1, 1, 1, 1, 2]);
  });
  test('gzip input gives the same result; unaligned input view is fine', () => {
    const raw = idx(0x0d, [3], [0x3f, 0xc0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0]);
    expect(parseIdx(zlib.gzipSync(raw), 'x')).toEqual(parseIdx(raw, 'x'));
    const shifted = Buffer.concat([Buffer.alloc(1), raw]).subarray(1);
    expect(parseIdx(shifted, 'x').data).toEqual(new Float32Array([1.5, -2, 0]));
  });
  test('readIdxFile reads raw and .gz files', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nt-idx-'));
    const raw = idx(0x0c, [2], [0, 0, 0, 1, 0xff, 0xff, 0xff, 0xfe]);
    fs.writeFileSync(path.join(dir, 'a'), raw);
    fs.writeFileSync(path.join(dir, 'a.gz'), zlib.gzipSync(raw));
    expect(readIdxFile(path.join(dir, 'a')).data).toEqual(new Int32Array([1, -2]));
    expect(readIdxFile(path.join(dir, 'a.gz')).data).toEqual(new Int32Array([1, -2]));
    fs.rmSync(dir, { recursive: true });
  });
});

describe('parseIdx rejects malformed files', () => {
  test('bad magic shows the bytes found', () => {
    expectFormatError(Buffer.from('PK\x03\x04rest'), /bad magic: expected 00 00 <type> <ndims>, found 50 4b 03 04/, 0);
    expectFormatError(Buffer.from([0x00, 0x01, 0x08, 0x01, 0, 0, 0, 0]), /found 00 01 08 01/);
  });
  test('too short for the magic', () => {
    expectFormatError(Buffer.from([0, 0]), /2 bytes, too short for the 4-byte IDX magic \(found: 00 00\)/);
    expectFormatError(Buffer.alloc(0), /0 bytes, too short .*found: nothing/);
  });
  test('unknown type code', () => {
    expectFormatError(
      idx(0x07, [1], [0]),
      /unknown IDX type code 0x07 \(expected 0x08 ubyte, 0x09 sbyte, 0x0B short, 0x0C int, 0x0D float, 0x0E double\)/,
      2,
    );
  });
  test('ndims 0 or more than 8', () => {
    expectFormatError(Buffer.from([0, 0, 8, 0]), /ndims must be 1\.\.8, got 0/, 3);
    expectFormatError(idx(0x08, [1, 1, 1, 1, 1, 1, 1, 1, 1], [0]), /ndims must be 1\.\.8, got 9/, 3);
  });
  test('truncated dims', () => {
    expectFormatError(
      Buffer.from([0, 0, 8, 3, 0, 0, 0, 1, 0, 0]),
      /truncated header: 3 dims need 16 bytes, file has 10/,
    );
  });
  test('data shorter than dims say (expected vs actual bytes)', () => {
    expectFormatError(
      idx(0x0b, [2, 3], Buffer.alloc(10)),
      /truncated data: dims \[2, 3\] of short \(2 bytes each\) need 12 bytes, got 10/,
    );
  });
  test('trailing garbage', () => {
    expectFormatError(
      idx(0x08, [2], [1, 2, 3]),
      /trailing garbage: dims \[2\] of ubyte \(1 byte each\) need 2 bytes, got 3 \(1 extra\)/,
      8 + 2,
    );
  });
  test('dims whose product is astronomically large', () => {
    expectFormatError(
      idx(0x0e, [0xffffffff, 0xffffffff, 0xffffffff], [1]),
      /truncated data: dims \[4294967295, 4294967295, 4294967295\] of double/,
    );
  });
  test('corrupt gzip (bad deflate data, bad CRC, cut-off stream)', () => {
    const gz = zlib.gzipSync(idx(0x08, [1000], Buffer.alloc(1000, 3)));
    const badData = Buffer.from(gz);
    badData[12] ^= 0xff;
    expectFormatError(badData, /corrupt gzip data/);
    const badCrc = Buffer.from(gz);
    badCrc[badCrc.length - 6] ^= 0xff;
    expectFormatError(badCrc, /corrupt gzip data: incorrect data check/);
    expectFormatError(gz.subarray(0, gz.length - 4), /corrupt gzip data: unexpected end of file/);
    expectFormatError(Buffer.from([0x1f, 0x8b]), /corrupt gzip data|too short/);
  });
  test('problems inside gzip data say the offsets are in the decompressed data', () => {
    expectFormatError(
      zlib.gzipSync(Buffer.from('hello world')),
      /bad magic: .*found 68 65 6c 6c.*offsets are in the decompressed data/,
    );
    expectFormatError(
      zlib.gzipSync(idx(0x08, [5], [1, 2])),
      /truncated data: .* need 5 bytes, got 2 \(offsets are in the decompressed data\)/,
    );
  });
  test('gzip bomb: a tiny header followed by 200 MB of zeros is refused without inflating it', () => {
    const head = idx(0x08, [4], [1, 2, 3, 4]);
    // Concatenated gzip members are one valid stream: the header, then 200 x 1 MiB of zeros.
    const mib = zlib.gzipSync(Buffer.alloc(1024 * 1024), { level: 9 });
    const gz = Buffer.concat([zlib.gzipSync(head), ...new Array<Buffer>(200).fill(mib)]);
    expect(gz.length).toBeLessThan(300_000);
    const before = process.memoryUsage().arrayBuffers;
    expectFormatError(gz, /trailing garbage: decompressed data is longer than the 12 bytes the header declares/, 12);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(150 * 1024 * 1024);
  });
  test('junk after the gzip stream', () => {
    const gz = zlib.gzipSync(idx(0x08, [2], [1, 2]));
    expectFormatError(Buffer.concat([gz, Buffer.from('junk!')]), /corrupt gzip data/);
  });
  test('a gzip header with a 5000-byte file name (header peek grows past it)', () => {
    const gz = zlib.gzipSync(idx(0x08, [3], [4, 5, 6]));
    const named = Buffer.concat([gz.subarray(0, 10), Buffer.alloc(5000, 0x61), Buffer.from([0]), gz.subarray(10)]);
    named[3] |= 0x08; // FLG.FNAME
    expect(parseIdx(named, 'x').data).toEqual(new Uint8Array([4, 5, 6]));
  });
  test('gzip whose header declares more than any buffer can hold', () => {
    expectFormatError(
      zlib.gzipSync(idx(0x0e, [0xffffffff, 0xffffffff], [])),
      /declare .* bytes, more than the \d+-byte limit/,
    );
  });
});

describe('loadMnistSplit on synthetic files', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nt-mnist-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const images = (n: number): Buffer => idx(0x08, [n, 28, 28], Buffer.alloc(n * 784, 9));

  test('reads raw (uncompressed) standard names', () => {
    fs.writeFileSync(path.join(dir, 't10k-images-idx3-ubyte'), images(3));
    fs.writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte'), idx(0x08, [3], [7, 0, 9]));
    const s = loadMnistSplit(dir, 'test');
    expect(s.images.shape).toEqual([3, 28, 28]);
    expect(s.labels.data).toEqual(new Uint8Array([7, 0, 9]));
  });
  test('custom file names', () => {
    fs.writeFileSync(path.join(dir, 'imgs.gz'), zlib.gzipSync(images(2)));
    fs.writeFileSync(path.join(dir, 'labs'), idx(0x08, [2], [1, 2]));
    expect(loadMnistSplit(dir, 'train', { images: 'imgs.gz', labels: 'labs' }).labels.shape).toEqual([2]);
  });
  test('missing files: the error lists every name looked for', () => {
    expect(() => loadMnistSplit(dir, 'train')).toThrow(ArgumentError);
    expect(() => loadMnistSplit(dir, 'train')).toThrow(
      /looked for: train-images-idx3-ubyte, train-images-idx3-ubyte\.gz, train-images\.idx3-ubyte, train-images\.idx3-ubyte\.gz/,
    );
    fs.writeFileSync(path.join(dir, 't10k-images-idx3-ubyte.gz'), zlib.gzipSync(images(1)));
    expect(() => loadMnistSplit(dir, 'test')).toThrow(
      /MNIST test labels file .* looked for: t10k-labels-idx1-ubyte, t10k-labels-idx1-ubyte\.gz/,
    );
  });
  test('image and label counts must agree', () => {
    fs.writeFileSync(path.join(dir, 'train-images-idx3-ubyte'), images(3));
    fs.writeFileSync(path.join(dir, 'train-labels-idx1-ubyte'), idx(0x08, [2], [1, 2]));
    expect(() => loadMnistSplit(dir, 'train')).toThrow(FileFormatError);
    expect(() => loadMnistSplit(dir, 'train')).toThrow(/expected as many labels as images \(3 in .*\), got 2/);
  });
  test('labels must be 0..9', () => {
    fs.writeFileSync(path.join(dir, 'train-images-idx3-ubyte'), images(2));
    fs.writeFileSync(path.join(dir, 'train-labels-idx1-ubyte'), idx(0x08, [2], [3, 10]));
    expect(() => loadMnistSplit(dir, 'train')).toThrow(/expected labels 0\.\.9, got 10 at index 1/);
  });
  test('images must be ubyte [n, 28, 28]', () => {
    fs.writeFileSync(path.join(dir, 'train-images-idx3-ubyte'), idx(0x08, [1, 27, 28], Buffer.alloc(27 * 28)));
    fs.writeFileSync(path.join(dir, 'train-labels-idx1-ubyte'), idx(0x08, [1], [3]));
    expect(() => loadMnistSplit(dir, 'train')).toThrow(
      /expected ubyte images of shape \[n, 28, 28\], got uint8 \[1, 27, 28\]/,
    );
  });
});

function histogram(labels: Uint8Array): number[] {
  const h = new Array<number>(10).fill(0);
  for (const v of labels) h[v]++;
  return h;
}

function sum(a: Uint8Array): number {
  let s = 0;
  for (const v of a) s += v;
  return s;
}

// Known values were cross-checked with Python's gzip + numpy and shared/data/*/README.md.
const REAL = [
  {
    name: 'mnist',
    train: {
      first: [5, 0, 4, 1, 9, 2, 1, 3, 1, 4],
      hist: [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
      px: 240,
      sum: 1567298545,
    },
    test: {
      first: [7, 2, 1, 0, 4, 1, 4, 9, 5, 9],
      hist: [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
      px: 0,
      sum: 264923200,
    },
  },
  {
    name: 'fashion-mnist',
    train: { first: [9, 0, 0, 3, 0, 2, 7, 2, 5, 5], hist: new Array<number>(10).fill(6000), px: 217, sum: 3431114169 },
    test: { first: [9, 2, 1, 1, 6, 1, 4, 6, 5, 7], hist: new Array<number>(10).fill(1000), px: 110, sum: 573469082 },
  },
] as const;

for (const ds of REAL) {
  const dir = path.join(DATA, ds.name);
  const present = fs.existsSync(path.join(dir, 'train-images-idx3-ubyte.gz'));
  if (!present) {
    // Visible in the jest output: these tests show as skipped, and this explains why.
    console.warn(`data_idx.test.ts: ${dir} not found, skipping the real ${ds.name} tests`);
  }
  (present ? describe : describe.skip)(`real ${ds.name} files in shared/data`, () => {
    for (const split of ['train', 'test'] as const) {
      test(`${split}: counts, first labels, label histogram, pixels`, () => {
        const want = ds[split];
        const n = split === 'train' ? 60000 : 10000;
        const { images, labels } = loadMnistSplit(dir, split);
        expect(images.dtype).toBe('uint8');
        expect(images.shape).toEqual([n, 28, 28]);
        expect(labels.shape).toEqual([n]);
        const l = labels.data as Uint8Array;
        expect(Array.from(l.subarray(0, 10))).toEqual(want.first);
        expect(histogram(l)).toEqual(want.hist);
        const px = images.data as Uint8Array;
        expect(px[14 * 28 + 14]).toBe(want.px); // image 0, row 14, column 14
        expect(sum(px)).toBe(want.sum);
        if (ds.name === 'mnist' && split === 'train') {
          // Row 5 of the first training image (a "5").
          expect(Array.from(px.subarray(5 * 28, 6 * 28))).toEqual([
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 18, 18, 18, 126, 136, 175, 26, 166, 255, 247, 127, 0, 0, 0, 0,
          ]);
        }
      });
    }
  });
}
