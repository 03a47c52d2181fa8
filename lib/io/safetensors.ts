// safetensors reader and writer (format of huggingface/safetensors):
//   u64 little-endian N | N bytes of UTF-8 JSON header | data region
// The header maps each tensor name to {dtype, shape, data_offsets: [begin, end]},
// offsets relative to the start of the data region, plus an optional
// "__metadata__" string map. Tensors must tile the data region exactly.
// Everything in the header is validated before any tensor is allocated, so a
// hostile file can make us allocate at most its own size.

import { readWholeFile, readWholeFileAsync } from './read_file';
import { ArgumentError, DTypeError, FileFormatError } from '../errors';
import { writeFileAtomic, writeFileAtomicAsync } from './atomic_write';
import {
  type DTypeName,
  HOST_LITTLE_ENDIAN,
  ITEM_SIZE,
  type RawTensor,
  allocRawData,
  byteSwapInPlace,
  dataMatchesDType,
  shapeProduct,
} from './raw_tensor';

/** The reference implementation refuses headers above this size. */
const MAX_HEADER_BYTES = 100_000_000;

const TO_FILE_DTYPE: Readonly<Record<DTypeName, string>> = {
  float32: 'F32',
  float64: 'F64',
  int32: 'I32',
  int64: 'I64',
  uint8: 'U8',
  bool: 'BOOL',
};
const FROM_FILE_DTYPE = new Map<string, DTypeName>(
  Object.entries(TO_FILE_DTYPE).map(([ours, theirs]) => [theirs, ours as DTypeName]),
);
const SUPPORTED = 'F32, F64, I32, I64, U8, BOOL';
/** Valid safetensors dtypes that nodetorch has no storage for (yet). */
const KNOWN_UNSUPPORTED = new Set([
  'F16',
  'BF16',
  'I8',
  'I16',
  'U16',
  'U32',
  'U64',
  'F8_E5M2',
  'F8_E4M3',
  'F8_E8M0',
  'F6_E2M3',
  'F6_E3M2',
  'F4',
  'C64',
]);
/**
 * The reference `Dtype` enum order (increasing alignment). Its writer sorts
 * tensors by this, descending, then by name, so 8-byte types come first and
 * every tensor stays aligned after the 8-byte-padded header. We do the same,
 * so our files are byte-identical to the reference's.
 */
const REFERENCE_ORDER: readonly string[] = [
  'BOOL',
  'U8',
  'I8',
  'F8_E5M2',
  'F8_E4M3',
  'I16',
  'U16',
  'F16',
  'BF16',
  'I32',
  'U32',
  'F32',
  'F64',
  'I64',
  'U64',
];

export interface SafetensorsContents {
  tensors: Record<string, RawTensor>;
  metadata: Record<string, string>;
}

/** Sets a key without tripping the `__proto__` setter on a plain object. */
function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `array ${truncate(JSON.stringify(v))}`;
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `string ${truncate(JSON.stringify(v))}`;
  return `${typeof v} ${String(v)}`;
}

function truncate(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function utf8Bytes(s: string): Buffer {
  return Buffer.from(s, 'utf8');
}

/** Rust's String ordering: byte-wise on UTF-8. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(utf8Bytes(a), utf8Bytes(b));
}

// ---------------------------------------------------------------- writing

/**
 * Serializes tensors (and optional string metadata) to safetensors bytes.
 * Layout matches the reference writer: compact JSON header padded with spaces
 * to a multiple of 8, tensors ordered by dtype alignment (desc) then name.
 */
export function serializeSafetensors(tensors: Record<string, RawTensor>, metadata?: Record<string, string>): Buffer {
  const op = 'serializeSafetensors';
  const names = Object.keys(tensors);
  for (const name of names) {
    const t = tensors[name];
    const what = `tensor ${JSON.stringify(name)}`;
    if (name === '__metadata__')
      throw new ArgumentError(op, `a tensor name other than "__metadata__", got "__metadata__"`);
    if (utf8Bytes(name).toString('utf8') !== name)
      throw new ArgumentError(op, `${what}: a name that is valid Unicode, got a lone surrogate`);
    if (!(t.dtype in TO_FILE_DTYPE))
      throw new DTypeError(op, `${what}: one of ${Object.keys(TO_FILE_DTYPE).join(', ')}, got ${String(t.dtype)}`);
    const n = Array.isArray(t.shape) ? shapeProduct(t.shape) : undefined;
    if (n === undefined)
      throw new ArgumentError(op, `${what}: a shape of non-negative safe integers, got ${describe(t.shape)}`);
    if (!dataMatchesDType(t.dtype, t.data))
      throw new DTypeError(
        op,
        `${what}: data stored as the typed array of ${t.dtype}, got ${t.data?.constructor?.name}`,
      );
    if (t.data.length !== n)
      throw new ArgumentError(op, `${what}: ${n} elements for shape [${t.shape.join(', ')}], got ${t.data.length}`);
    if (t.dtype === 'bool') {
      const bad = (t.data as Uint8Array).find((v) => v > 1);
      if (bad !== undefined) throw new ArgumentError(op, `${what}: bool values 0 or 1, got ${bad}`);
    }
  }
  const metaEntries = metadata === undefined ? [] : Object.entries(metadata);
  for (const [k, v] of metaEntries) {
    if (typeof v !== 'string')
      throw new ArgumentError(op, `metadata values must be strings, got ${describe(v)} for key ${JSON.stringify(k)}`);
  }

  const order = names.slice().sort((a, b) => {
    const byAlign =
      REFERENCE_ORDER.indexOf(TO_FILE_DTYPE[tensors[b].dtype]) -
      REFERENCE_ORDER.indexOf(TO_FILE_DTYPE[tensors[a].dtype]);
    return byAlign !== 0 ? byAlign : compareUtf8(a, b);
  });

  // Built by hand, not JSON.stringify(object): JS objects move integer-like
  // keys ("0", "1") to the front, which would break the offset order.
  const parts: string[] = [];
  if (metadata !== undefined) {
    parts.push(
      `"__metadata__":{${metaEntries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`,
    );
  }
  let offset = 0;
  for (const name of order) {
    const t = tensors[name];
    const end = offset + t.data.byteLength;
    parts.push(
      `${JSON.stringify(name)}:{"dtype":"${TO_FILE_DTYPE[t.dtype]}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${end}]}`,
    );
    offset = end;
  }
  const header = utf8Bytes(`{${parts.join(',')}}`);
  const headerLen = Math.ceil(header.length / 8) * 8;
  if (headerLen > MAX_HEADER_BYTES)
    throw new ArgumentError(op, `a header of at most ${MAX_HEADER_BYTES} bytes, got ${headerLen}`);

  const out = Buffer.alloc(8 + headerLen + offset, 0x20); // spaces pad the header
  out.writeBigUInt64LE(BigInt(headerLen), 0);
  header.copy(out, 8);
  let pos = 8 + headerLen;
  for (const name of order) {
    const d = tensors[name].data;
    const bytes = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
    out.set(bytes, pos);
    if (!HOST_LITTLE_ENDIAN) byteSwapInPlace(out.subarray(pos, pos + bytes.length), ITEM_SIZE[tensors[name].dtype]);
    pos += bytes.length;
  }
  return out;
}

/** Writes a safetensors file atomically (temp file + fsync + rename). */
export function saveSafetensorsFile(
  path: string,
  tensors: Record<string, RawTensor>,
  metadata?: Record<string, string>,
): void {
  writeFileAtomic(path, serializeSafetensors(tensors, metadata));
}

/**
 * saveSafetensorsFile with fs.promises. The bytes are made now, before it
 * returns (later changes to the tensors' data do not reach the file); only
 * the file I/O is asynchronous. Serialization errors throw synchronously.
 */
export function saveSafetensorsFileAsync(
  path: string,
  tensors: Record<string, RawTensor>,
  metadata?: Record<string, string>,
): Promise<void> {
  return writeFileAtomicAsync(path, serializeSafetensors(tensors, metadata));
}

// ---------------------------------------------------------------- reading

interface Entry {
  name: string;
  dtype: DTypeName;
  shape: number[];
  numel: number;
  begin: number;
  end: number;
  keyOffset: number; // byte offset of the name in the file, for error messages
}

/** Parses and fully validates safetensors bytes. Throws FileFormatError naming the problem. */
export function parseSafetensors(buf: Uint8Array, fileName: string): SafetensorsContents {
  const fail = (message: string, offset?: number): FileFormatError => new FileFormatError(fileName, message, offset);
  if (buf.length < 8) throw fail(`file is ${buf.length} bytes, shorter than the 8-byte header length`, 0);

  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const foreign = foreignFormat(buf);
  if (foreign) throw fail(`not a safetensors file: ${foreign}`, 0);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES)) throw fail(`header length ${n64} exceeds the ${MAX_HEADER_BYTES}-byte limit`, 0);
  const n = Number(n64);
  if (n > buf.length - 8)
    throw fail(
      `header length ${n} exceeds the ${buf.length - 8} bytes that follow the length field (truncated file?)`,
      0,
    );

  const headerBytes = buf.subarray(8, 8 + n);
  let text: string;
  try {
    // ignoreBOM keeps a BOM in the text so JSON.parse rejects it, as the reference does.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    throw fail('header is not valid UTF-8', 8 + firstInvalidUtf8(headerBytes));
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw fail(`header is not valid JSON: ${e instanceof SyntaxError ? e.message : String(e)}`, 8);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw fail(`header must be a JSON object, got ${describe(header)}`, 8);
  }
  const hdr = header as Record<string, unknown>;
  // JSON.parse keeps the last of duplicate keys silently; a second scan finds them.
  const keys = scanJsonKeys(headerBytes, 8);
  if (keys.duplicate) {
    const { key, offset, depth } = keys.duplicate;
    throw fail(`duplicate key ${JSON.stringify(key)} in the header${depth > 1 ? ' (inside an entry)' : ''}`, offset);
  }

  const dataStart = 8 + n;
  const dataLen = buf.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const name of Object.keys(hdr)) {
    const value = hdr[name];
    const at = keys.topLevel.get(name);
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw fail(`__metadata__ must be an object of strings, got ${describe(value)}`, at);
      }
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== 'string')
          throw fail(`__metadata__ values must be strings, got ${describe(v)} for key ${JSON.stringify(k)}`, at);
        setOwn(metadata, k, v);
      }
      continue;
    }
    entries.push(parseEntry(name, value, at ?? 8, dataLen, fail));
  }

  // Tiling check, as the reference does: sorted by offsets, each tensor must
  // start exactly where the previous one ended, and the last must end the file.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  let prev: Entry | undefined;
  for (const e of entries) {
    const where = `tensor ${JSON.stringify(e.name)}`;
    if (e.begin < pos) {
      throw fail(
        `${where}: data_offsets [${e.begin}, ${e.end}] overlap tensor ${JSON.stringify(prev?.name)} at [${prev?.begin}, ${prev?.end}]`,
        e.keyOffset,
      );
    }
    if (e.begin > pos)
      throw fail(
        `${where}: gap of ${e.begin - pos} unused bytes before its data_offsets [${e.begin}, ${e.end}]`,
        dataStart + pos,
      );
    pos = e.end;
    prev = e;
  }
  if (pos !== dataLen) {
    throw fail(
      `tensors cover ${pos} bytes but the data region holds ${dataLen} (${dataLen - pos} trailing bytes belong to no tensor)`,
      dataStart + pos,
    );
  }

  const tensors: Record<string, RawTensor> = {};
  for (const e of entries) {
    const data = allocRawData(e.dtype, e.numel);
    // Copy rather than view: the source offset may be unaligned for the type.
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    bytes.set(buf.subarray(dataStart + e.begin, dataStart + e.end));
    if (!HOST_LITTLE_ENDIAN) byteSwapInPlace(bytes, ITEM_SIZE[e.dtype]);
    if (e.dtype === 'bool') {
      const bad = bytes.findIndex((v) => v > 1);
      if (bad >= 0)
        throw fail(
          `tensor ${JSON.stringify(e.name)}: BOOL values must be 0 or 1, got ${bytes[bad]}`,
          dataStart + e.begin + bad,
        );
    }
    setOwn(tensors, e.name, { dtype: e.dtype, shape: e.shape, data });
  }
  return { tensors, metadata };
}

function parseEntry(
  name: string,
  value: unknown,
  keyOffset: number,
  dataLen: number,
  fail: (message: string, offset?: number) => FileFormatError,
): Entry {
  const where = `tensor ${JSON.stringify(name)}`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw fail(
      `${where}: entry must be an object with dtype, shape and data_offsets, got ${describe(value)}`,
      keyOffset,
    );
  }
  const v = value as Record<string, unknown>;
  for (const field of ['dtype', 'shape', 'data_offsets']) {
    if (!(field in v)) throw fail(`${where}: missing field "${field}"`, keyOffset);
  }
  const dt = v.dtype;
  if (typeof dt !== 'string') throw fail(`${where}: dtype must be a string, got ${describe(dt)}`, keyOffset);
  const dtype = FROM_FILE_DTYPE.get(dt);
  if (dtype === undefined) {
    const kind = KNOWN_UNSUPPORTED.has(dt)
      ? `dtype ${dt} is not supported by nodetorch`
      : `unknown dtype ${JSON.stringify(dt)}`;
    throw fail(`${where}: ${kind} (supported: ${SUPPORTED})`, keyOffset);
  }
  const shape = v.shape;
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    throw fail(`${where}: shape must be an array of non-negative integers, got ${describe(shape)}`, keyOffset);
  }
  const numel = shapeProduct(shape);
  if (numel === undefined)
    throw fail(`${where}: shape ${JSON.stringify(shape)} has more than 2^53 elements`, keyOffset);
  const offs = v.data_offsets;
  if (
    !Array.isArray(offs) ||
    offs.length !== 2 ||
    !offs.every((o) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0)
  ) {
    throw fail(
      `${where}: data_offsets must be [begin, end] with non-negative integers, got ${describe(offs)}`,
      keyOffset,
    );
  }
  const [begin, end] = offs as [number, number];
  if (end < begin) throw fail(`${where}: data_offsets [${begin}, ${end}] end before they begin`, keyOffset);
  if (end > dataLen)
    throw fail(
      `${where}: data_offsets [${begin}, ${end}] run past the end of the ${dataLen}-byte data region`,
      keyOffset,
    );
  const nbytes = numel * ITEM_SIZE[dtype]; // <= 8 * 2^53: exact enough to compare, never allocated unchecked
  if (nbytes !== end - begin) {
    throw fail(
      `${where}: shape ${JSON.stringify(shape)} of ${dt} needs ${nbytes} bytes, but data_offsets [${begin}, ${end}] span ${end - begin}`,
      keyOffset,
    );
  }
  return { name, dtype, shape: shape as number[], numel, begin, end, keyOffset };
}

/** What a file that is not safetensors looks like, from its first bytes (or undefined). */
function foreignFormat(buf: Uint8Array): string | undefined {
  if (buf[0] === 0x50 && buf[1] === 0x4b && buf[2] === 0x03 && buf[3] === 0x04) {
    return 'it is a zip archive, as torch.save writes (.pt/.pth); in Python, save the state dict with safetensors.torch.save_file and load that';
  }
  if (buf[0] === 0x80 && buf[1] >= 2 && buf[1] <= 5) {
    return 'it looks like a Python pickle (a legacy torch.save file); in Python, save the state dict with safetensors.torch.save_file and load that';
  }
  return undefined;
}

/** Reads and parses a safetensors file. */
export function loadSafetensorsFile(path: string): SafetensorsContents {
  checkLoadPath(path);
  return parseSafetensors(readWholeFile('load', path), path);
}

/** loadSafetensorsFile with fs.promises (the parse runs when the bytes are in). */
export async function loadSafetensorsFileAsync(path: string): Promise<SafetensorsContents> {
  checkLoadPath(path);
  return parseSafetensors(await readWholeFileAsync('load', path), path);
}

function checkLoadPath(path: string): void {
  // A number would be read as a file descriptor by fs.
  if (typeof path !== 'string' || path === '')
    throw new ArgumentError('load', `a file path, got ${path === '' ? 'an empty string' : typeof path}`);
}

/** Byte index of the first invalid UTF-8 sequence (for error offsets), or bytes.length. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b < 0x80) need = 0;
    else if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0; // overlong
      if (b === 0xed) hi = 0x9f; // surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90; // overlong
      if (b === 0xf4) hi = 0x8f; // above U+10FFFF
    } else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf)) return i;
    }
    i += need + 1;
  }
  return i;
}

interface KeyScan {
  /** Byte offset in the file of each top-level key. */
  topLevel: Map<string, number>;
  duplicate?: { key: string; offset: number; depth: number };
}

/**
 * Walks already-validated JSON bytes and records object keys, to find
 * duplicates (at any depth) and where each top-level key sits. Structural
 * characters are ASCII and never occur inside UTF-8 multi-byte sequences,
 * so scanning bytes is safe. `base` is the file offset of bytes[0].
 */
function scanJsonKeys(bytes: Uint8Array, base: number): KeyScan {
  const topLevel = new Map<string, number>();
  const stack: { keys: Set<string> | null; expectKey: boolean }[] = [];
  const decoder = new TextDecoder();
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (c === 0x7b)
      stack.push({ keys: new Set(), expectKey: true }); // {
    else if (c === 0x5b)
      stack.push({ keys: null, expectKey: false }); // [
    else if (c === 0x7d || c === 0x5d)
      stack.pop(); // } ]
    else if (c === 0x2c) {
      // ,
      const top = stack[stack.length - 1];
      if (top?.keys) top.expectKey = true;
    } else if (c === 0x22) {
      // "  a string: skip to its closing quote, honouring backslash escapes
      const start = i;
      for (i++; i < bytes.length && bytes[i] !== 0x22; i++) if (bytes[i] === 0x5c) i++;
      const top = stack[stack.length - 1];
      if (top?.keys && top.expectKey) {
        top.expectKey = false;
        const key = JSON.parse(decoder.decode(bytes.subarray(start, i + 1))) as string;
        if (top.keys.has(key)) return { topLevel, duplicate: { key, offset: base + start, depth: stack.length } };
        top.keys.add(key);
        if (stack.length === 1) topLevel.set(key, base + start);
      }
    }
  }
  return { topLevel };
}
