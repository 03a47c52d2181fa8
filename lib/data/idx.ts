// IDX reader (the MNIST file format, http://yann.lecun.com/exdb/mnist/):
//   00 00 <type> <ndims> | ndims x u32 big-endian dims | data, big-endian
// Files may be gzip-compressed (detected by the 1f 8b magic). The gzip path
// decompresses a small prefix first to read the header, then decompresses the
// whole stream with an output cap of exactly what the header declares (+1 byte
// to detect trailing data), so a gzip bomb cannot make us allocate more than
// the file claims to hold.
//
// Type mapping: 0x08 ubyte -> uint8; 0x09 sbyte, 0x0B short, 0x0C int -> int32
// (int32 holds every value; nodetorch has no int8/int16 dtype);
// 0x0D float -> float32; 0x0E double -> float64.

import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { constants as bufferConstants } from 'buffer';
import { ArgumentError, FileFormatError } from '../errors';
import { showValue } from '../validate';
import type { DTypeName, RawTensor } from '../io/raw_tensor';
import { readWholeFile, readWholeFileAsync } from '../io/read_file';

interface IdxType {
  name: string;
  size: number;
  dtype: DTypeName;
}

const IDX_TYPES: ReadonlyMap<number, IdxType> = new Map([
  [0x08, { name: 'ubyte', size: 1, dtype: 'uint8' }],
  [0x09, { name: 'sbyte', size: 1, dtype: 'int32' }],
  [0x0b, { name: 'short', size: 2, dtype: 'int32' }],
  [0x0c, { name: 'int', size: 4, dtype: 'int32' }],
  [0x0d, { name: 'float', size: 4, dtype: 'float32' }],
  [0x0e, { name: 'double', size: 8, dtype: 'float64' }],
]);
const GZIP_NOTE = ' (offsets are in the decompressed data)';
const TYPE_LIST = '0x08 ubyte, 0x09 sbyte, 0x0B short, 0x0C int, 0x0D float, 0x0E double';
const MAX_NDIMS = 8;
/**
 * Compressed bytes inflated first to read the header (grown 4x while the
 * header is still incomplete). Deflate expands at most ~1032x, so the peek
 * costs about 1 MB however the rest of the stream is built.
 */
const PEEK_INPUT_BYTES = 1024;
const PEEK_OUTPUT_LIMIT = 128 * 1024 * 1024;

interface IdxHeader {
  type: IdxType;
  dims: number[];
  headerBytes: number;
  dataBytes: number;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/**
 * Reads the header. With `complete` false (a gzip prefix) a short buffer is
 * not an error yet: returns undefined so the caller can inflate more.
 */
function readHeader(buf: Uint8Array, fileName: string, note: string, complete: boolean): IdxHeader | undefined {
  const fail = (message: string, offset?: number): FileFormatError =>
    new FileFormatError(fileName, message + note, offset);
  if (buf.length < 4) {
    if (!complete) return undefined;
    throw fail(`file is ${buf.length} bytes, too short for the 4-byte IDX magic (found: ${hex(buf) || 'nothing'})`, 0);
  }
  if (buf[0] !== 0 || buf[1] !== 0) {
    throw fail(`bad magic: expected 00 00 <type> <ndims>, found ${hex(buf.subarray(0, 4))}`, 0);
  }
  const type = IDX_TYPES.get(buf[2]);
  if (type === undefined) throw fail(`unknown IDX type code 0x${hex(buf.subarray(2, 3))} (expected ${TYPE_LIST})`, 2);
  const ndims = buf[3];
  if (ndims === 0 || ndims > MAX_NDIMS) throw fail(`ndims must be 1..${MAX_NDIMS}, got ${ndims}`, 3);
  const headerBytes = 4 + 4 * ndims;
  if (buf.length < headerBytes) {
    if (!complete) return undefined;
    throw fail(`truncated header: ${ndims} dims need ${headerBytes} bytes, file has ${buf.length}`, buf.length);
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dims: number[] = [];
  let dataBytes = type.size;
  for (let i = 0; i < ndims; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    dataBytes *= d; // at most 8 * (2^32)^8: a float, but only compared against sizes below
  }
  return { type, dims, headerBytes, dataBytes };
}

function sizeMismatch(h: IdxHeader, actual: number): string {
  const what = `dims [${h.dims.join(', ')}] of ${h.type.name} (${h.type.size} byte${h.type.size > 1 ? 's' : ''} each)`;
  const expected = h.dataBytes;
  return actual < expected
    ? `truncated data: ${what} need ${expected} bytes, got ${actual}`
    : `trailing garbage: ${what} need ${expected} bytes, got ${actual} (${actual - expected} extra)`;
}

/** Decodes raw (uncompressed) IDX bytes. */
function decodeRaw(buf: Uint8Array, fileName: string, note: string): RawTensor {
  const h = readHeader(buf, fileName, note, true) as IdxHeader;
  const actual = buf.length - h.headerBytes;
  if (actual !== h.dataBytes)
    throw new FileFormatError(fileName, sizeMismatch(h, actual) + note, h.headerBytes + Math.min(actual, h.dataBytes));
  const n = h.dataBytes / h.type.size;
  const src = new DataView(buf.buffer, buf.byteOffset + h.headerBytes, h.dataBytes);
  const shape = h.dims.slice();
  switch (h.type.name) {
    case 'ubyte':
      return { dtype: 'uint8', shape, data: new Uint8Array(buf.subarray(h.headerBytes)) }; // a copy, own buffer
    case 'sbyte':
      return {
        dtype: 'int32',
        shape,
        data: Int32Array.from(new Int8Array(buf.buffer, buf.byteOffset + h.headerBytes, n)),
      };
    case 'short': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = src.getInt16(2 * i, false);
      return { dtype: 'int32', shape, data: out };
    }
    case 'int': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = src.getInt32(4 * i, false);
      return { dtype: 'int32', shape, data: out };
    }
    case 'float': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = src.getFloat32(4 * i, false);
      return { dtype: 'float32', shape, data: out };
    }
    default: {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = src.getFloat64(8 * i, false);
      return { dtype: 'float64', shape, data: out };
    }
  }
}

function zlibMessage(e: unknown): string {
  // Duck-typed: errors from core modules may come from another realm (jest's vm).
  return typeof e === 'object' && e !== null && 'message' in e && typeof e.message === 'string' ? e.message : String(e);
}

interface GunzipPlan {
  options: zlib.ZlibOptions;
  /** The FileFormatError for a zlib failure. */
  failure: (e: unknown) => FileFormatError;
}

/** Reads the header from a small inflated prefix; the bounded options for the whole stream. */
function gunzipPlan(buf: Uint8Array, fileName: string): GunzipPlan {
  const note = GZIP_NOTE;
  const corrupt = (e: unknown): FileFormatError =>
    new FileFormatError(fileName, `corrupt gzip data: ${zlibMessage(e)}`);
  // 1) Inflate a prefix (Z_SYNC_FLUSH: a cut-off stream is not an error) until the header is readable.
  let header: IdxHeader | undefined;
  for (let take = PEEK_INPUT_BYTES; header === undefined; take *= 4) {
    const prefixIsAll = take >= buf.length;
    let head: Buffer;
    try {
      head = zlib.gunzipSync(buf.subarray(0, take), {
        finishFlush: zlib.constants.Z_SYNC_FLUSH,
        maxOutputLength: PEEK_OUTPUT_LIMIT,
      });
    } catch (e) {
      throw corrupt(e);
    }
    header = readHeader(head, fileName, note, prefixIsAll);
  }
  // 2) Inflate the whole stream, capped at what the header justifies.
  const expected = header.headerBytes + header.dataBytes;
  const limit = Math.min(bufferConstants.MAX_LENGTH, Number.MAX_SAFE_INTEGER);
  if (expected + 1 > limit) {
    throw new FileFormatError(
      fileName,
      `dims [${header.dims.join(', ')}] declare ${expected} bytes, more than the ${limit}-byte limit for gzip input`,
    );
  }
  const failure = (e: unknown): FileFormatError => {
    const code = typeof e === 'object' && e !== null && 'code' in e ? e.code : undefined;
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      return new FileFormatError(
        fileName,
        `trailing garbage: decompressed data is longer than the ${expected} bytes the header declares${note}`,
        expected,
      );
    }
    return corrupt(e);
  };
  // Large chunks: the async inflate hands each chunk to the JS thread.
  return { options: { maxOutputLength: expected + 1, chunkSize: 4 << 20 }, failure };
}

/** Inflates gzip IDX bytes, never producing more than the header declares (+1). */
function gunzipBounded(buf: Uint8Array, fileName: string): Uint8Array {
  const plan = gunzipPlan(buf, fileName);
  try {
    return zlib.gunzipSync(buf, plan.options);
  } catch (e) {
    throw plan.failure(e);
  }
}

/** gunzipBounded on the libuv thread pool. */
function gunzipBoundedAsync(buf: Uint8Array, fileName: string): Promise<Uint8Array> {
  const plan = gunzipPlan(buf, fileName);
  return new Promise((resolve, reject) => {
    zlib.gunzip(buf, plan.options, (e, out) => (e ? reject(plan.failure(e)) : resolve(out)));
  });
}

const isGzip = (buf: Uint8Array): boolean => buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;

/**
 * Parses an IDX file's bytes (raw or gzip). Throws FileFormatError naming the
 * file, the problem and the byte offset (in the decompressed data for gzip).
 */
export function parseIdx(buf: Uint8Array, fileName: string): RawTensor {
  if (isGzip(buf)) return decodeRaw(gunzipBounded(buf, fileName), fileName, GZIP_NOTE);
  return decodeRaw(buf, fileName, '');
}

/** Reads and parses an IDX file (raw or gzip). */
export function readIdxFile(filePath: string): RawTensor {
  // A number would be read as a file descriptor by fs.
  if (typeof filePath !== 'string' || filePath === '')
    throw new ArgumentError('readIdxFile', `a file path, got ${filePath === '' ? 'an empty string' : typeof filePath}`);
  return parseIdx(readWholeFile('readIdxFile', filePath), filePath);
}

/** readIdxFile with the read and the inflate off the JavaScript thread. */
async function readIdxFileAsync(filePath: string): Promise<RawTensor> {
  const buf = await readWholeFileAsync('readIdxFile', filePath);
  if (isGzip(buf)) return decodeRaw(await gunzipBoundedAsync(buf, filePath), filePath, GZIP_NOTE);
  return decodeRaw(buf, filePath, '');
}

// ---------------------------------------------------------------- MNIST

export interface MnistFileNames {
  images?: string;
  labels?: string;
}
export interface MnistSplit {
  /** uint8 [n, 28, 28], 0 = background, 255 = ink. */
  images: RawTensor;
  /** uint8 [n], values 0..9. */
  labels: RawTensor;
}

function candidates(split: 'train' | 'test', kind: 'images' | 'labels'): string[] {
  const prefix = split === 'train' ? 'train' : 't10k';
  const stem = `${prefix}-${kind}`;
  const idx = kind === 'images' ? 'idx3-ubyte' : 'idx1-ubyte';
  // The LeCun names, then the dotted variant some mirrors use; raw before gzip.
  return [`${stem}-${idx}`, `${stem}-${idx}.gz`, `${stem}.${idx}`, `${stem}.${idx}.gz`];
}

function findFile(dir: string, split: 'train' | 'test', kind: 'images' | 'labels', given?: string): string {
  const names = given !== undefined ? [given] : candidates(split, kind);
  for (const name of names) {
    const p = path.resolve(dir, name);
    if (fs.existsSync(p)) return p;
  }
  throw new ArgumentError(
    'loadMnistSplit',
    `the MNIST ${split} ${kind} file in ${dir}, looked for: ${names.join(', ')}, found none`,
  );
}

/**
 * Loads an MNIST-layout split (MNIST, Fashion-MNIST, ...) from `dir`, checking
 * shapes, that image and label counts agree and that every label is 0..9.
 */
export function loadMnistSplit(dir: string, split: 'train' | 'test', fileNames?: MnistFileNames): MnistSplit {
  const [imagesPath, labelsPath] = splitFiles(dir, split, fileNames);
  return checkSplit(readIdxFile(imagesPath), imagesPath, readIdxFile(labelsPath), labelsPath);
}

/** loadMnistSplit with the reads and inflates off the JavaScript thread (both files at once). */
export async function loadMnistSplitAsync(
  dir: string,
  split: 'train' | 'test',
  fileNames?: MnistFileNames,
): Promise<MnistSplit> {
  const [imagesPath, labelsPath] = splitFiles(dir, split, fileNames);
  const [images, labels] = await Promise.all([readIdxFileAsync(imagesPath), readIdxFileAsync(labelsPath)]);
  return checkSplit(images, imagesPath, labels, labelsPath);
}

function splitFiles(dir: string, split: 'train' | 'test', fileNames?: MnistFileNames): [string, string] {
  if (split !== 'train' && split !== 'test')
    throw new ArgumentError('loadMnistSplit', `split 'train' or 'test', got ${showValue(split)}`);
  return [findFile(dir, split, 'images', fileNames?.images), findFile(dir, split, 'labels', fileNames?.labels)];
}

function checkSplit(images: RawTensor, imagesPath: string, labels: RawTensor, labelsPath: string): MnistSplit {
  if (images.dtype !== 'uint8' || images.shape.length !== 3 || images.shape[1] !== 28 || images.shape[2] !== 28) {
    throw new FileFormatError(
      imagesPath,
      `expected ubyte images of shape [n, 28, 28], got ${images.dtype} [${images.shape.join(', ')}]`,
      0,
    );
  }
  if (labels.dtype !== 'uint8' || labels.shape.length !== 1) {
    throw new FileFormatError(
      labelsPath,
      `expected ubyte labels of shape [n], got ${labels.dtype} [${labels.shape.join(', ')}]`,
      0,
    );
  }
  if (images.shape[0] !== labels.shape[0]) {
    throw new FileFormatError(
      labelsPath,
      `expected as many labels as images (${images.shape[0]} in ${imagesPath}), got ${labels.shape[0]}`,
      4,
    );
  }
  const bad = (labels.data as Uint8Array).findIndex((v) => v > 9);
  if (bad >= 0)
    throw new FileFormatError(labelsPath, `expected labels 0..9, got ${labels.data[bad]} at index ${bad}`, 8 + bad);
  return { images, labels };
}
