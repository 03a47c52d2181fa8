// Parser fuzzing: parseSafetensors and parseIdx (raw and gzip) over mutated
// valid files, structure-aware header edits and random bytes. Every input
// must parse or throw FileFormatError; nothing may allocate more than the
// input justifies. Seeds and every input that ever failed live in
// test/fixtures/fuzz/ and are replayed first.
//   NT_FUZZ_RUNS=200000 npx jest test/fuzz   (longer run; NT_FUZZ_SEED to vary)
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';

import fc from 'fast-check';

import * as nt from '../../lib';
import { parseIdx } from '../../lib/data/idx';
import { parseSafetensors, serializeSafetensors } from '../../lib/io/safetensors';

const RUNS = Number(process.env.NT_FUZZ_RUNS ?? 3000);
const SEED = Number(process.env.NT_FUZZ_SEED ?? 1234);
const CORPUS = path.join(__dirname, '..', 'fixtures', 'fuzz');

type Parser = 'safetensors' | 'idx';
const stats = { iterations: 0, ms: 0 };

/**
 * Parses one input; returns a failure description or undefined. Memory:
 * a successful parse may hold about the input's size in tensors (x2 for
 * the int32 widening of IDX sbyte/short), so arrayBuffers growth beyond
 * 16x the input plus 1 MiB means an allocation the file did not justify.
 */
function check(parser: Parser, bytes: Uint8Array): string | undefined {
  stats.iterations++;
  const before = process.memoryUsage().arrayBuffers;
  let peak = before;
  try {
    const out = parser === 'safetensors' ? parseSafetensors(bytes, 'fuzz.safetensors') : parseIdx(bytes, 'fuzz.idx');
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    // Parsed output must be self-consistent.
    const tensors =
      parser === 'safetensors'
        ? Object.values((out as ReturnType<typeof parseSafetensors>).tensors)
        : [out as ReturnType<typeof parseIdx>];
    for (const t of tensors) {
      const n = t.shape.reduce((a: number, b: number) => a * b, 1);
      if (t.data.length !== n) return `parsed tensor has ${t.data.length} elements for shape [${t.shape}]`;
    }
  } catch (e) {
    if (!(e instanceof nt.FileFormatError)) {
      return `threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`;
    }
  }
  const isGzip = bytes[0] === 0x1f && bytes[1] === 0x8b;
  // gzip IDX may legitimately inflate to what its header declares (checked separately below).
  const allowed = isGzip ? Infinity : 16 * bytes.length + (1 << 20);
  if (peak - before > allowed) return `arrayBuffers grew by ${peak - before} bytes for a ${bytes.length}-byte input`;
  return undefined;
}

function saveCrash(parser: Parser, bytes: Uint8Array, why: string): void {
  fs.mkdirSync(CORPUS, { recursive: true });
  const name = `crash-${parser}-${Date.now()}-${Math.floor(Math.random() * 1e6)}.bin`;
  fs.writeFileSync(path.join(CORPUS, name), bytes);
  console.error(`fuzz: saved failing input ${name}: ${why}`);
}

function run(parser: Parser, bytes: Uint8Array): boolean {
  const t0 = performance.now();
  const f = check(parser, bytes);
  stats.ms += performance.now() - t0;
  if (f) {
    if (process.env.NT_FUZZ_SAVE !== '0') saveCrash(parser, bytes, f);
    throw new Error(
      `${parser}: ${f} (input ${bytes.length} bytes: ${Buffer.from(bytes.subarray(0, 64)).toString('hex')})`,
    );
  }
  return true;
}

// ---- seeds ------------------------------------------------------------------

function safetensorsSeeds(): Uint8Array[] {
  const seeds: Uint8Array[] = [
    serializeSafetensors(
      {
        w: { dtype: 'float32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
        b: { dtype: 'int64', shape: [2], data: new BigInt64Array([1n, -2n]) },
        m: { dtype: 'bool', shape: [3], data: new Uint8Array([0, 1, 1]) },
        e: { dtype: 'float64', shape: [0, 4], data: new Float64Array(0) },
      },
      { note: 'seed' },
    ),
    serializeSafetensors({ s: { dtype: 'uint8', shape: [], data: new Uint8Array([7]) } }),
    serializeSafetensors({}),
  ];
  for (const f of fs.existsSync(CORPUS) ? fs.readdirSync(CORPUS) : []) {
    if (f.endsWith('.safetensors')) seeds.push(fs.readFileSync(path.join(CORPUS, f)));
  }
  const ref = path.join(__dirname, '..', 'fixtures', 'reference.safetensors');
  if (fs.existsSync(ref)) seeds.push(fs.readFileSync(ref));
  return seeds;
}

function idxBytes(type: number, dims: number[], data: Uint8Array): Uint8Array {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = type;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d >>> 0, 4 + 4 * i));
  return Buffer.concat([head, data]);
}

function idxSeeds(): Uint8Array[] {
  const raw = [
    idxBytes(0x08, [2, 2, 2], Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 255])),
    idxBytes(0x0b, [3], Uint8Array.from([0, 1, 0xff, 0xfe, 0x7f, 0xff])),
    idxBytes(0x0d, [2], Uint8Array.from([0x3f, 0x80, 0, 0, 0xc0, 0, 0, 0])),
    idxBytes(0x0e, [1], Uint8Array.from([0x3f, 0xf0, 0, 0, 0, 0, 0, 0])),
    idxBytes(0x09, [4], Uint8Array.from([0x80, 0x7f, 0, 1])),
    idxBytes(0x0c, [1, 1], Uint8Array.from([0x80, 0, 0, 0])),
    idxBytes(0x08, [0], new Uint8Array(0)),
  ];
  const seeds = [...raw, ...raw.map((b) => zlib.gzipSync(b))];
  for (const f of fs.existsSync(CORPUS) ? fs.readdirSync(CORPUS) : []) {
    if (f.endsWith('.idx') || f.endsWith('.idx.gz')) seeds.push(fs.readFileSync(path.join(CORPUS, f)));
  }
  return seeds;
}

// ---- mutations ----------------------------------------------------------------

const INTERESTING_U64 = [
  0n,
  1n,
  7n,
  8n,
  0xffn,
  0xffffffffn,
  2n ** 32n,
  2n ** 53n,
  2n ** 63n,
  2n ** 64n - 1n,
  100_000_001n,
];
const INTERESTING_U32 = [0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 60000, 28];

type Mutation =
  | { k: 'flip'; at: number; bit: number }
  | { k: 'byte'; at: number; v: number }
  | { k: 'u32'; at: number; v: number }
  | { k: 'u64'; at: number; v: bigint }
  | { k: 'truncate'; at: number }
  | { k: 'insert'; at: number; bytes: number[] }
  | { k: 'dup'; at: number; len: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ k: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({
    k: fc.constant('byte' as const),
    at: fc.nat(),
    v: fc.constantFrom(0, 1, 0x7f, 0x80, 0xff, 0x22, 0x5c, 0x7b, 0x7d, 0x2c, 0x3a, 0xc0, 0xed, 0xf4),
  }),
  fc.record({ k: fc.constant('u32' as const), at: fc.nat(), v: fc.constantFrom(...INTERESTING_U32) }),
  fc.record({ k: fc.constant('u64' as const), at: fc.nat(), v: fc.constantFrom(...INTERESTING_U64) }),
  fc.record({ k: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ k: fc.constant('insert' as const), at: fc.nat(), bytes: fc.array(fc.nat(255), { maxLength: 8 }) }),
  fc.record({ k: fc.constant('dup' as const), at: fc.nat(), len: fc.nat(64) }),
);

function mutate(src: Uint8Array, ms: Mutation[], headerBias: boolean): Uint8Array {
  let b = Buffer.from(src);
  for (const m of ms) {
    // Most of the interesting structure is in the first bytes (lengths, header).
    const span = headerBias ? Math.min(b.length, 160) : b.length;
    const at = span ? m.at % span : 0;
    switch (m.k) {
      case 'flip':
        if (b.length) b[at] ^= 1 << m.bit;
        break;
      case 'byte':
        if (b.length) b[at] = m.v;
        break;
      case 'u32':
        if (b.length >= at + 4) b.writeUInt32BE(m.v >>> 0, at);
        break;
      case 'u64':
        if (b.length >= at + 8) b.writeBigUInt64LE(m.v & (2n ** 64n - 1n), at);
        break;
      case 'truncate':
        b = b.subarray(0, at);
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]);
        break;
      case 'dup':
        b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + m.len), b.subarray(at)]);
        break;
    }
  }
  return b;
}

/** A safetensors file from a header object (any JSON) and data bytes. */
function stFile(header: unknown, data: Uint8Array, lenOverride?: bigint): Uint8Array {
  const h = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(lenOverride ?? BigInt(h.length));
  return Buffer.concat([len, h, data]);
}

const stEntry = fc.record({
  dtype: fc.constantFrom<unknown>('F32', 'F64', 'I32', 'I64', 'U8', 'BOOL', 'F16', 'BF16', 'X', '', 5, null),
  shape: fc.oneof(
    fc.array(fc.constantFrom(0, 1, 2, 3, 2 ** 31, 2 ** 53, -1, 1.5), { maxLength: 9 }),
    fc.constantFrom<unknown>(null, 'x', [[1]], [NaN], {}),
  ),
  data_offsets: fc.oneof(
    fc.tuple(
      fc.constantFrom(0, 1, 4, 8, 12, 24, 2 ** 53, -1),
      fc.constantFrom(0, 4, 8, 12, 24, 48, 2 ** 53, 2 ** 60, 1.5),
    ),
    fc.constantFrom<unknown>([0], [0, 1, 2], 'x', null, [null, 1]),
  ),
});

// ---- tests --------------------------------------------------------------------

describe('parser fuzzing', () => {
  afterAll(() => {
    console.log(`parser fuzz: ${stats.iterations} inputs in ${(stats.ms / 1000).toFixed(1)} s of parsing`);
  });

  it('replays the seed and regression corpus', () => {
    for (const s of safetensorsSeeds()) run('safetensors', s);
    for (const s of idxSeeds()) run('idx', s);
    for (const f of fs.existsSync(CORPUS) ? fs.readdirSync(CORPUS) : []) {
      const bytes = fs.readFileSync(path.join(CORPUS, f));
      run('safetensors', bytes);
      run('idx', bytes);
    }
  });

  it('safetensors: mutated valid files', () => {
    const seeds = safetensorsSeeds();
    fc.assert(
      fc.property(
        fc.nat(seeds.length - 1),
        fc.array(mutation, { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        (i, ms, bias) => run('safetensors', mutate(seeds[i], ms, bias)),
      ),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('safetensors: structure-aware headers (offsets, dtypes, shapes, duplicates, lengths)', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom('a', 'b', '__metadata__', '', '__proto__', 'constructor', 'é', '0'), stEntry, {
          maxKeys: 4,
        }),
        fc.nat(64),
        fc.option(fc.constantFrom(...INTERESTING_U64)),
        fc.boolean(),
        (header, dataLen, len, dupKey) => {
          let bytes = stFile(header, new Uint8Array(dataLen), len ?? undefined);
          if (dupKey) {
            // A duplicate key JSON.parse would silently merge.
            const text = JSON.stringify(header);
            const dup =
              text.length > 2
                ? `${text.slice(0, -1)},"a":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},"a":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}`
                : text;
            const h = Buffer.from(dup);
            const l = Buffer.alloc(8);
            l.writeBigUInt64LE(BigInt(h.length));
            bytes = Buffer.concat([l, h, new Uint8Array(dataLen)]);
          }
          return run('safetensors', bytes);
        },
      ),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('safetensors: random bytes and non-UTF-8 headers', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (body, withLen) => {
        if (!withLen) return run('safetensors', body);
        const len = Buffer.alloc(8);
        len.writeBigUInt64LE(BigInt(Math.min(body.length, 200)));
        return run('safetensors', Buffer.concat([len, body]));
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('idx: mutated valid files (raw and gzip)', () => {
    const seeds = idxSeeds();
    fc.assert(
      fc.property(
        fc.nat(seeds.length - 1),
        fc.array(mutation, { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        (i, ms, bias) => run('idx', mutate(seeds[i], ms, bias)),
      ),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('idx: mutated headers inside gzip, and random bytes', () => {
    const seeds = idxSeeds().filter((s) => s[0] !== 0x1f);
    fc.assert(
      fc.property(
        fc.nat(seeds.length - 1),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.uint8Array({ maxLength: 64 }),
        (i, ms, junk) => {
          run('idx', zlib.gzipSync(mutate(seeds[i], ms, true)));
          run('idx', junk);
          return run('idx', Buffer.concat([Buffer.from([0x1f, 0x8b]), junk]));
        },
      ),
      { numRuns: Math.ceil(RUNS / 2), seed: SEED },
    );
  });

  it('idx: gzip bombs and absurd counts allocate only what the header declares', () => {
    // 64 MiB of zeros compress to ~64 KiB; the header claims 16 bytes.
    const bomb = zlib.gzipSync(Buffer.concat([idxBytes(0x08, [16], new Uint8Array(16)), Buffer.alloc(64 << 20)]), {
      level: 9,
    });
    const before = process.memoryUsage().arrayBuffers;
    expect(() => parseIdx(bomb, 'bomb.gz')).toThrow(nt.FileFormatError);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 << 20);
    // Header declaring 2^32^3 elements behind a tiny gzip stream.
    for (const dims of [[0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff], [60000, 28, 28], [2 ** 31, 2]]) {
      const bytes = zlib.gzipSync(idxBytes(0x0e, dims, new Uint8Array(8)));
      stats.iterations++;
      const b0 = process.memoryUsage().arrayBuffers;
      expect(() => parseIdx(bytes, 'absurd.gz')).toThrow(nt.FileFormatError);
      expect(process.memoryUsage().arrayBuffers - b0).toBeLessThan(8 << 20);
      stats.iterations++;
      expect(() => parseIdx(idxBytes(0x0e, dims, new Uint8Array(8)), 'absurd')).toThrow(nt.FileFormatError);
    }
    // safetensors header length claiming far more than the file.
    for (const n of [2n ** 64n - 1n, 100_000_001n, 99_999_999n]) {
      const l = Buffer.alloc(16);
      l.writeBigUInt64LE(n);
      stats.iterations++;
      expect(() => parseSafetensors(l, 'huge-header')).toThrow(nt.FileFormatError);
    }
  });
});
