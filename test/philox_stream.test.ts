// The CPU random kernels against an independent Philox4x32-10 written here
// in BigInt arithmetic (native/common/philox.h's contract: element i of the
// stream (seed, offset) is lane i % 4 of block offset + floor(i / 4)). The
// CPU computes 16 blocks at a time with AVX2 where it can and one block at
// a time at the edges of each thread's range, so lengths, offsets and thread
// counts are chosen to cross those edges. Int with [0, 2^32) returns the raw
// 32-bit words; float32 Uniform and Bernoulli are checked exactly from them.
import * as nt from '../lib';
import { RandomKind, kRandom } from '../lib/kernels/launch';
import { rng } from './helpers';

const RUN_SEED = Number(process.env.NODETORCH_TEST_SEED ?? Math.floor(Math.random() * 2 ** 31));
const MASK32 = 0xffffffffn;

function philoxBlock(seed: bigint, counter: bigint): bigint[] {
  let [x, y, z, w] = [counter & MASK32, (counter >> 32n) & MASK32, 0n, 0n];
  let k0 = seed & MASK32;
  let k1 = (seed >> 32n) & MASK32;
  for (let r = 0; r < 10; ++r) {
    const p0 = 0xd2511f53n * x;
    const p1 = 0xcd9e8d57n * z;
    [x, y, z, w] = [(p1 >> 32n) ^ y ^ k0, p1 & MASK32, (p0 >> 32n) ^ w ^ k1, p0 & MASK32];
    k0 = (k0 + 0x9e3779b9n) & MASK32;
    k1 = (k1 + 0xbb67ae85n) & MASK32;
  }
  return [x, y, z, w];
}

/** Words offset*4 .. offset*4 + n - 1 of the stream, as the kernels number them. */
function referenceWords(seed: bigint, offset: number, n: number): number[] {
  const out: number[] = [];
  for (let b = 0; out.length < n; ++b) {
    for (const v of philoxBlock(seed, BigInt(offset + b))) if (out.length < n) out.push(Number(v));
  }
  return out;
}

function words(seed: bigint, offset: number, n: number): number[] {
  const t = nt.empty([n], { dtype: 'int64' });
  kRandom(t, RandomKind.Int, seed, offset, 0, 2 ** 32);
  const v = Array.from(t.data() as BigInt64Array, Number);
  t.dispose();
  return v;
}

const THREADS = nt.getNumThreads();
afterEach(() => nt.setNumThreads(THREADS));

describe(`Philox stream on the CPU (NODETORCH_TEST_SEED=${RUN_SEED})`, () => {
  const r = rng(RUN_SEED);
  const seed = (BigInt(Math.floor(r() * 2 ** 32)) << 32n) | BigInt(Math.floor(r() * 2 ** 32));

  test('a known block (the Random123 known-answer vector for counter 0, key 0)', () => {
    // Philox4x32-10 of counter {0,0,0,0}, key {0,0}: 6627e8d5 e169c58d bc57ac4c 9b00dbd8.
    expect(philoxBlock(0n, 0n).map((v) => v.toString(16))).toEqual(['6627e8d5', 'e169c58d', 'bc57ac4c', '9b00dbd8']);
    expect(words(0n, 0, 4)).toEqual([0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
  });

  test.each([1, 3, 4, 5, 63, 64, 65, 67, 128, 131, 1000])('%i words at a random offset', (n) => {
    const offset = Math.floor(r() * 2 ** 40);
    expect(words(seed, offset, n)).toEqual(referenceWords(seed, offset, n));
  });

  test('a long stream split over 1, 2 and 3 threads gives the same words', () => {
    const n = 200_003;
    const offset = Math.floor(r() * 2 ** 30);
    const ref = referenceWords(seed, offset, n);
    for (const threads of [1, 2, 3]) {
      nt.setNumThreads(threads);
      const got = words(seed, offset, n);
      let bad = -1;
      for (let i = 0; i < n && bad < 0; ++i) if (got[i] !== ref[i]) bad = i;
      expect({ threads, firstMismatch: bad }).toEqual({ threads, firstMismatch: -1 });
    }
  });

  test('float32 Uniform and Bernoulli are the words mapped exactly', () => {
    const n = 517;
    const offset = Math.floor(r() * 2 ** 30);
    const ref = referenceWords(seed, offset, n);
    const u = nt.empty([n]);
    kRandom(u, RandomKind.Uniform, seed, offset, -1, 3);
    const ud = u.data() as Float32Array;
    const m = nt.empty([n]);
    kRandom(m, RandomKind.Bernoulli, seed, offset, 0.3, 2.5);
    const md = m.data() as Float32Array;
    for (let i = 0; i < n; ++i) {
      const unit = Math.fround((ref[i] >>> 8) / 16777216);
      expect(ud[i]).toBe(Math.fround(-1 + Math.fround(4 * unit)));
      expect(md[i]).toBe(unit < Math.fround(0.3) ? 2.5 : 0);
    }
    u.dispose();
    m.dispose();
  });
});
