// safetensors reader/writer: byte-level vectors from the reference
// implementation, a fixture written by the reference Python package, round
// trips for every dtype, every malformed-file case, and atomic saving.

import * as os from 'os';
import * as path from 'path';
import fs = require('fs'); // the plain module object, so jest.spyOn can patch it
import { ArgumentError, DTypeError, FileFormatError } from '../lib/errors';
import {
  loadSafetensorsFile,
  parseSafetensors,
  saveSafetensorsFile,
  serializeSafetensors,
} from '../lib/io/safetensors';
import { writeFileAtomic } from '../lib/io/atomic_write';
import type { RawTensor } from '../lib/io/raw_tensor';

const FIXTURE = path.join(__dirname, 'fixtures', 'reference.safetensors');

function u64le(n: number | bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}

/** A file from a literal header string and data bytes, no padding. */
function file(header: string | Buffer, data: Uint8Array | number = 0): Buffer {
  const h = typeof header === 'string' ? Buffer.from(header, 'utf8') : header;
  const d = typeof data === 'number' ? Buffer.alloc(data) : Buffer.from(data);
  return Buffer.concat([u64le(h.length), h, d]);
}

function expectFormatError(buf: Uint8Array, pattern: RegExp, offset?: number): FileFormatError {
  let caught: unknown;
  try {
    parseSafetensors(buf, 'bad.safetensors');
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(FileFormatError);
  const err = caught as FileFormatError;
  expect(err.message).toMatch(pattern);
  expect(err.file).toBe('bad.safetensors');
  expect(err.message.startsWith('bad.safetensors')).toBe(true);
  if (offset !== undefined) expect(err.offset).toBe(offset);
  return err;
}

const f32le = (xs: number[]): Buffer => Buffer.from(new Float32Array(xs).buffer);

describe('byte-level vectors from the reference implementation (safetensors/src/tensor.rs tests)', () => {
  // test_serialization: {"attn.0": F32 [1,2,3] = 0..5}; header is exactly 64 bytes.
  const ATTN = Buffer.concat([
    u64le(64),
    Buffer.from('{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}'),
    f32le([0, 1, 2, 3, 4, 5]),
  ]);
  // test_serialization_forced_alignement: 65-byte JSON padded with 7 spaces to 72.
  const ATTN_PADDED = Buffer.concat([
    u64le(72),
    Buffer.from('{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       '),
    f32le([0, 1, 2, 3, 4, 5]),
  ]);

  test('serializes exactly like the reference', () => {
    expect(ATTN.length).toBe(8 + 64 + 24);
    const data = new Float32Array([0, 1, 2, 3, 4, 5]);
    expect(serializeSafetensors({ 'attn.0': { dtype: 'float32', shape: [1, 2, 3], data } })).toEqual(ATTN);
    expect(serializeSafetensors({ attn0: { dtype: 'float32', shape: [1, 1, 2, 3], data } })).toEqual(ATTN_PADDED);
  });

  test('parses the reference bytes', () => {
    const { tensors, metadata } = parseSafetensors(ATTN_PADDED, 'x');
    expect(metadata).toEqual({});
    expect(Object.keys(tensors)).toEqual(['attn0']);
    expect(tensors.attn0.dtype).toBe('float32');
    expect(tensors.attn0.shape).toEqual([1, 1, 2, 3]);
    expect(Array.from(tensors.attn0.data as Float32Array)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  test('empty file and metadata-only file (test_empty)', () => {
    const empty = Buffer.from([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    expect(serializeSafetensors({})).toEqual(empty);
    expect(parseSafetensors(empty, 'x')).toEqual({ tensors: {}, metadata: {} });
    const meta = Buffer.concat([u64le(40), Buffer.from('{"__metadata__":{"framework":"pt"}}     ')]);
    expect(serializeSafetensors({}, { framework: 'pt' })).toEqual(meta);
    expect(parseSafetensors(meta, 'x')).toEqual({ tensors: {}, metadata: { framework: 'pt' } });
  });
});

describe('fixture written by the reference Python package (scripts/make-safetensors-fixture.py)', () => {
  const bytes = fs.readFileSync(FIXTURE);

  test('every tensor, dtype, shape and value', () => {
    const { tensors: t, metadata } = loadSafetensorsFile(FIXTURE);
    expect(metadata).toEqual({ format: 'np', note: 'nodetorch fixture' });
    expect(Object.keys(t).sort()).toEqual([
      'bool',
      'empty',
      'f32',
      'f64',
      'i32',
      'i64',
      'layer.0.weight',
      'scalar',
      'u8',
    ]);
    expect(t.f32).toEqual({
      dtype: 'float32',
      shape: [2, 3],
      data: new Float32Array([0.5, -1.25, 3.0, 1e-8, 65504.0, -0.0]),
    });
    expect(Object.is(t.f32.data[5], -0)).toBe(true);
    expect(t.f64).toEqual({ dtype: 'float64', shape: [3], data: new Float64Array([Math.PI, -Math.E, 1e300]) });
    expect(t.i32).toEqual({ dtype: 'int32', shape: [2, 1], data: new Int32Array([-2147483648, 2147483647]) });
    expect(t.i64).toEqual({
      dtype: 'int64',
      shape: [2],
      data: new BigInt64Array([-9007199254740993n, 9223372036854775807n]),
    });
    expect(t.u8).toEqual({ dtype: 'uint8', shape: [2, 3], data: new Uint8Array([250, 251, 252, 253, 254, 255]) });
    expect(t.bool).toEqual({ dtype: 'bool', shape: [3], data: new Uint8Array([1, 0, 1]) });
    expect(t.scalar).toEqual({ dtype: 'float64', shape: [], data: new Float64Array([7]) });
    expect(t.empty).toEqual({ dtype: 'float32', shape: [0, 4], data: new Float32Array(0) });
    expect(t['layer.0.weight']).toEqual({ dtype: 'int32', shape: [4], data: new Int32Array([1, 2, 3, 4]) });
  });

  test('re-serializing gives the reference bytes back (same order, padding, offsets)', () => {
    const { tensors } = parseSafetensors(bytes, FIXTURE);
    // The Python dict put "note" first; pass the metadata in that order.
    expect(serializeSafetensors(tensors, { note: 'nodetorch fixture', format: 'np' })).toEqual(bytes);
  });

  test('parses from an unaligned view into a larger buffer', () => {
    const big = Buffer.alloc(bytes.length + 3);
    bytes.copy(big, 3);
    const { tensors } = parseSafetensors(big.subarray(3), 'x');
    expect(tensors.f64.data.byteOffset % 8).toBe(0);
    expect(tensors.f64.data[0]).toBe(Math.PI);
  });
});

describe('round trips', () => {
  const all: Record<string, RawTensor> = {
    f32: { dtype: 'float32', shape: [2, 2], data: new Float32Array([NaN, Infinity, -Infinity, -0]) },
    f64: { dtype: 'float64', shape: [3], data: new Float64Array([Number.MIN_VALUE, -1.5, Number.MAX_VALUE]) },
    i32: { dtype: 'int32', shape: [1, 3], data: new Int32Array([-1, 0, 2 ** 31 - 1]) },
    i64: { dtype: 'int64', shape: [2], data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]) },
    u8: { dtype: 'uint8', shape: [5], data: new Uint8Array([0, 1, 127, 128, 255]) },
    b: { dtype: 'bool', shape: [2, 1], data: new Uint8Array([0, 1]) },
    s32: { dtype: 'float32', shape: [], data: new Float32Array([2.5]) },
    s64: { dtype: 'int64', shape: [], data: new BigInt64Array([-7n]) },
    sb: { dtype: 'bool', shape: [], data: new Uint8Array([1]) },
    e64: { dtype: 'float64', shape: [0], data: new Float64Array(0) },
    e8: { dtype: 'uint8', shape: [3, 0, 2], data: new Uint8Array(0) },
    eb: { dtype: 'bool', shape: [0], data: new Uint8Array(0) },
    '0': { dtype: 'int32', shape: [1], data: new Int32Array([42]) },
    __proto__x: { dtype: 'uint8', shape: [1], data: new Uint8Array([9]) },
    'ünï "quoted"\n': { dtype: 'float32', shape: [1], data: new Float32Array([1]) },
  };

  test('every dtype, scalars, empty tensors and odd names survive', () => {
    const meta = { a: 'b', '': 'empty key', '2': 'x' };
    const buf = serializeSafetensors(all, meta);
    expect(buf.readBigUInt64LE(0) % 8n).toBe(0n);
    const { tensors, metadata } = parseSafetensors(buf, 'x');
    expect(metadata).toEqual(meta);
    expect(Object.keys(tensors).sort()).toEqual(Object.keys(all).sort());
    for (const [name, t] of Object.entries(all)) expect(tensors[name]).toEqual(t);
    expect(Number.isNaN(tensors.f32.data[0])).toBe(true);
  });

  test('a tensor named __proto__ is an ordinary entry', () => {
    const t: Record<string, RawTensor> = {};
    Object.defineProperty(t, '__proto__', {
      value: { dtype: 'uint8', shape: [1], data: new Uint8Array([3]) },
      enumerable: true,
    });
    const { tensors } = parseSafetensors(serializeSafetensors(t), 'x');
    expect(Object.getPrototypeOf(tensors)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(tensors, '__proto__')?.value.data).toEqual(new Uint8Array([3]));
  });

  test('file order follows the reference: 8-byte dtypes, then 4-byte, then 1-byte, then names', () => {
    const buf = serializeSafetensors(all);
    const header = JSON.parse(buf.subarray(8, 8 + Number(buf.readBigUInt64LE(0))).toString()) as Record<
      string,
      { dtype: string; data_offsets: [number, number] }
    >;
    const order = Object.entries(header).sort(
      (a, b) => a[1].data_offsets[0] - b[1].data_offsets[0] || a[1].data_offsets[1] - b[1].data_offsets[1],
    );
    const dtypes = order.map(([, v]) => v.dtype);
    const rank = ['I64', 'F64', 'F32', 'I32', 'U8', 'BOOL'];
    expect(dtypes.slice().sort((a, b) => rank.indexOf(a) - rank.indexOf(b))).toEqual(dtypes);
    for (const [, v] of order) {
      const size = { I64: 8, F64: 8, F32: 4, I32: 4, U8: 1, BOOL: 1 }[v.dtype] ?? 0;
      expect(v.data_offsets[0] % size).toBe(0); // every tensor aligned in the file
    }
  });

  test('saveSafetensorsFile / loadSafetensorsFile', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nt-st-'));
    const p = path.join(dir, 'm.safetensors');
    saveSafetensorsFile(p, all, { step: '3' });
    const { tensors, metadata } = loadSafetensorsFile(p);
    expect(metadata).toEqual({ step: '3' });
    expect(tensors.i64).toEqual(all.i64);
    expect(fs.readdirSync(dir)).toEqual(['m.safetensors']);
    fs.rmSync(dir, { recursive: true });
  });
});

describe('serializeSafetensors rejects bad input', () => {
  test.each<[string, Record<string, RawTensor>, typeof ArgumentError, RegExp]>([
    [
      'wrong typed array',
      { a: { dtype: 'float32', shape: [1], data: new Float64Array(1) } },
      DTypeError,
      /typed array of float32, got Float64Array/,
    ],
    [
      'length != shape',
      { a: { dtype: 'uint8', shape: [2, 2], data: new Uint8Array(3) } },
      ArgumentError,
      /4 elements for shape \[2, 2\], got 3/,
    ],
    [
      'negative dim',
      { a: { dtype: 'uint8', shape: [-1], data: new Uint8Array(0) } },
      ArgumentError,
      /non-negative safe integers/,
    ],
    [
      'reserved name',
      { __metadata__: { dtype: 'uint8', shape: [0], data: new Uint8Array(0) } },
      ArgumentError,
      /__metadata__/,
    ],
    [
      'bool not 0/1',
      { a: { dtype: 'bool', shape: [1], data: new Uint8Array([2]) } },
      ArgumentError,
      /bool values 0 or 1, got 2/,
    ],
  ])('%s', (_, tensors, cls, pattern) => {
    expect(() => serializeSafetensors(tensors)).toThrow(cls);
    expect(() => serializeSafetensors(tensors)).toThrow(pattern);
  });
});

describe('parseSafetensors rejects malformed files', () => {
  const T = (dtype: string, shape: string, offs: string): string =>
    `{"dtype":"${dtype}","shape":${shape},"data_offsets":${offs}}`;

  test('shorter than 8 bytes', () => {
    expectFormatError(Buffer.alloc(5), /5 bytes, shorter than the 8-byte header length/, 0);
  });
  test('header length beyond the file', () => {
    expectFormatError(Buffer.concat([u64le(100), Buffer.from('{}')]), /header length 100 exceeds the 2 bytes/, 0);
  });
  test('header length above 100 MB (and above 2^53)', () => {
    expectFormatError(
      Buffer.concat([u64le(100_000_001), Buffer.from('{}')]),
      /header length 100000001 exceeds the 100000000-byte limit/,
    );
    expectFormatError(u64le(2n ** 64n - 1n), /header length 18446744073709551615 exceeds the 100000000-byte limit/);
  });
  test('invalid UTF-8, with the offset of the bad byte', () => {
    const h = Buffer.concat([Buffer.from('{"a'), Buffer.from([0xc3, 0x28]), Buffer.from('":1}')]);
    expectFormatError(file(h), /not valid UTF-8/, 8 + 3);
  });
  test('invalid JSON', () => {
    expectFormatError(file('{"a": {'), /not valid JSON/, 8);
    expectFormatError(file('\ufeff{}'), /not valid JSON/); // a BOM is not JSON
  });
  test('header not an object', () => {
    expectFormatError(file('[1,2]'), /must be a JSON object, got array \[1,2\]/);
    expectFormatError(file('42'), /must be a JSON object, got number 42/);
    expectFormatError(file('null'), /must be a JSON object, got null/);
  });
  test('entry not an object / missing field', () => {
    expectFormatError(file('{"w":[1]}'), /tensor "w": entry must be an object/, 8 + 1);
    expectFormatError(file('{"w":{"dtype":"F32","shape":[0]}}'), /tensor "w": missing field "data_offsets"/);
  });
  test('unknown and unsupported dtypes are named', () => {
    const e1 = expectFormatError(
      file(`{"w":${T('F16', '[1]', '[0,2]')}}`, 2),
      /tensor "w": dtype F16 is not supported by nodetorch/,
    );
    expect(e1.message).toMatch(/supported: F32, F64, I32, I64, U8, BOOL/);
    expectFormatError(
      file(`{"w":${T('Q7', '[1]', '[0,2]')}}`, 2),
      /tensor "w": unknown dtype "Q7" \(supported: F32, F64, I32, I64, U8, BOOL\)/,
    );
    expectFormatError(
      file('{"w":{"dtype":7,"shape":[],"data_offsets":[0,1]}}', 1),
      /dtype must be a string, got number 7/,
    );
  });
  test.each([['"3"'], ['[-1]'], ['[1.5]'], ['[1e300]'], ['[9007199254740993]'], ['[[2]]'], ['null']])(
    'bad shape %s',
    (shape) => {
      expectFormatError(
        file(`{"w":${T('U8', shape, '[0,0]')}}`),
        /tensor "w": shape must be an array of non-negative integers/,
        8 + 1,
      );
    },
  );
  test('shape whose element count overflows', () => {
    expectFormatError(
      file(`{"w":${T('U8', '[1073741824,1073741824,1073741824]', '[0,0]')}}`),
      /more than 2\^53 elements/,
    );
  });
  test('bytes for shape * itemsize differ from the offsets', () => {
    expectFormatError(
      file(`{"w":${T('F32', '[2,3]', '[0,20]')}}`, 20),
      /shape \[2,3\] of F32 needs 24 bytes, but data_offsets \[0, 20\] span 20/,
    );
  });
  test.each([['[0.5,4]'], ['[-4,0]'], ['[0]'], ['[0,4,8]'], ['"0,4"'], ['[0,"4"]']])('bad data_offsets %s', (offs) => {
    expectFormatError(
      file(`{"w":${T('F32', '[1]', offs)}}`, 4),
      /data_offsets must be \[begin, end\] with non-negative integers/,
    );
  });
  test('offsets ending before they begin', () => {
    expectFormatError(file(`{"w":${T('U8', '[0]', '[4,0]')}}`, 4), /data_offsets \[4, 0\] end before they begin/);
  });
  test('offsets past the data region (and no allocation for the claimed size)', () => {
    expectFormatError(
      file(`{"w":${T('F32', '[1000000000]', '[0,4000000000]')}}`, 16),
      /data_offsets \[0, 4000000000\] run past the end of the 16-byte data region/,
    );
  });
  test('overlapping tensors', () => {
    const h = `{"a":${T('F32', '[2]', '[0,8]')},"b":${T('F32', '[1]', '[4,8]')}}`;
    expectFormatError(file(h, 8), /tensor "b": data_offsets \[4, 8\] overlap tensor "a" at \[0, 8\]/);
  });
  test('gap between tensors, with the offset of the gap', () => {
    const h = `{"a":${T('U8', '[2]', '[0,2]')},"b":${T('U8', '[2]', '[4,6]')}}`;
    expectFormatError(file(h, 6), /tensor "b": gap of 2 unused bytes/, 8 + h.length + 2);
  });
  test('gap at the start and trailing bytes', () => {
    expectFormatError(file(`{"b":${T('U8', '[2]', '[1,3]')}}`, 3), /gap of 1 unused bytes/);
    expectFormatError(
      file(`{"b":${T('U8', '[2]', '[0,2]')}}`, 5),
      /tensors cover 2 bytes but the data region holds 5 \(3 trailing bytes belong to no tensor\)/,
    );
    expectFormatError(file('{}', 1), /tensors cover 0 bytes but the data region holds 1/);
  });
  test('duplicate tensor names (JSON.parse would silently keep the last)', () => {
    const h = `{"a":${T('U8', '[1]', '[0,1]')},"a":${T('U8', '[1]', '[1,2]')}}`;
    expectFormatError(file(h, 2), /duplicate key "a" in the header/, 8 + h.lastIndexOf('"a"'));
    const escaped = `{"a":${T('U8', '[1]', '[0,1]')},"\\u0061":${T('U8', '[1]', '[1,2]')}}`;
    expectFormatError(file(escaped, 2), /duplicate key "a"/);
    expectFormatError(
      file('{"a":{"dtype":"U8","dtype":"F32","shape":[1],"data_offsets":[0,1]}}', 1),
      /duplicate key "dtype" in the header \(inside an entry\)/,
    );
    // A key equal to a value elsewhere is not a duplicate.
    expect(() =>
      parseSafetensors(file(`{"U8":${T('U8', '[1]', '[0,1]')},"x":${T('U8', '[]', '[1,2]')}}`, 2), 'x'),
    ).not.toThrow();
  });
  test('__metadata__ that is not a string map', () => {
    expectFormatError(file('{"__metadata__":["a"]}'), /__metadata__ must be an object of strings, got array/, 8 + 1);
    expectFormatError(
      file('{"__metadata__":{"k":1}}'),
      /__metadata__ values must be strings, got number 1 for key "k"/,
    );
    expectFormatError(file('{"__metadata__":null}'), /__metadata__ must be an object of strings, got null/);
  });
  test('BOOL bytes other than 0 and 1', () => {
    expectFormatError(
      file(`{"b":${T('BOOL', '[3]', '[0,3]')}}`, Buffer.from([1, 0, 2])),
      /BOOL values must be 0 or 1, got 2/,
    );
  });
  test('truncated copy of a valid file', () => {
    const good = fs.readFileSync(FIXTURE);
    expectFormatError(
      good.subarray(0, good.length - 1),
      /tensors cover 105 bytes but the data region holds 104|run past the end/,
    );
  });
});

describe('writeFileAtomic', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nt-atomic-'));
  });
  afterEach(() => {
    jest.restoreAllMocks();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('replaces the file and leaves no temp file', () => {
    const p = path.join(dir, 'f.bin');
    fs.writeFileSync(p, 'old');
    writeFileAtomic(p, Buffer.from('new contents'));
    expect(fs.readFileSync(p, 'utf8')).toBe('new contents');
    expect(fs.readdirSync(dir)).toEqual(['f.bin']);
  });

  test('a write failing halfway leaves the old file intact and removes the temp file', () => {
    const p = path.join(dir, 'model.safetensors');
    saveSafetensorsFile(p, { w: { dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) } });
    const before = fs.readFileSync(p);
    const realWrite = fs.writeSync;
    let calls = 0;
    jest.spyOn(fs, 'writeSync').mockImplementation(((fd: number, buf: Uint8Array, off?: number) => {
      calls++;
      if (calls === 1) return realWrite(fd, buf, off ?? 0, 10); // part of the data lands in the temp file
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }) as typeof fs.writeSync);
    const big = { w: { dtype: 'float32' as const, shape: [1000], data: new Float32Array(1000).fill(7) } };
    expect(() => saveSafetensorsFile(p, big)).toThrow(/ENOSPC/);
    expect(calls).toBe(2);
    expect(fs.readFileSync(p)).toEqual(before);
    expect(fs.readdirSync(dir)).toEqual(['model.safetensors']);
    expect(loadSafetensorsFile(p).tensors.w.data).toEqual(new Float32Array([1, 2]));
  });

  test('a failing fsync leaves the old file intact', () => {
    const p = path.join(dir, 'f.bin');
    fs.writeFileSync(p, 'old');
    jest.spyOn(fs, 'fsyncSync').mockImplementation(() => {
      throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
    });
    expect(() => writeFileAtomic(p, Buffer.from('new'))).toThrow(/EIO/);
    expect(fs.readFileSync(p, 'utf8')).toBe('old');
    expect(fs.readdirSync(dir)).toEqual(['f.bin']);
  });

  test('a failing rename (target is a directory) cleans up the temp file', () => {
    const p = path.join(dir, 'sub');
    fs.mkdirSync(p);
    fs.writeFileSync(path.join(p, 'keep'), 'x');
    expect(() => writeFileAtomic(p, Buffer.from('new'))).toThrow();
    expect(fs.readdirSync(dir)).toEqual(['sub']);
    expect(fs.readFileSync(path.join(p, 'keep'), 'utf8')).toBe('x');
  });

  test('keeps the permissions of the file it replaces', () => {
    const p = path.join(dir, 'f.bin');
    fs.writeFileSync(p, 'old', { mode: 0o600 });
    fs.chmodSync(p, 0o640);
    writeFileAtomic(p, Buffer.from('new'));
    expect(fs.statSync(p).mode & 0o777).toBe(0o640);
  });

  test('directory fsync errors meaning "unsupported" are ignored', () => {
    const p = path.join(dir, 'f.bin');
    const realFsync = fs.fsyncSync;
    let dirSyncs = 0;
    jest.spyOn(fs, 'fsyncSync').mockImplementation((fd: number) => {
      if (fs.fstatSync(fd).isDirectory()) {
        dirSyncs++;
        throw Object.assign(new Error('EINVAL'), { code: 'EINVAL' });
      }
      realFsync(fd);
    });
    writeFileAtomic(p, Buffer.from('ok'));
    expect(dirSyncs).toBe(1);
    expect(fs.readFileSync(p, 'utf8')).toBe('ok');
  });
});
