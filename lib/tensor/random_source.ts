// Shuffling randomness (DataLoader orders, nt.randperm): xoshiro128**
// (a small, fast, well-tested PRNG) seeded through splitmix64, and a
// Fisher-Yates permutation. Pure JS, so orders are identical on every platform.
import { ArgumentError } from '../errors';
import type { Generator } from './random';
import { showValue } from '../validate';

const MASK64 = (1n << 64n) - 1n;

/** splitmix64: spreads any 64-bit seed over the whole state space. */
function splitmix64(state: { x: bigint }): bigint {
  state.x = (state.x + 0x9e3779b97f4a7c15n) & MASK64;
  let z = state.x;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

export function toSeed(op: string, seed: number | bigint): bigint {
  if (typeof seed === 'bigint') return BigInt.asUintN(64, seed);
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed))
    throw new ArgumentError(op, `an integer seed, got ${showValue(seed)}`);
  return BigInt.asUintN(64, BigInt(seed));
}

export class RandomSource {
  private readonly s = new Uint32Array(4);

  constructor(seed: bigint) {
    const st = { x: seed };
    const a = splitmix64(st);
    const b = splitmix64(st);
    this.s[0] = Number(a & 0xffffffffn);
    this.s[1] = Number(a >> 32n);
    this.s[2] = Number(b & 0xffffffffn);
    this.s[3] = Number(b >> 32n);
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1; // the all-zero state is a fixed point
  }

  /** A seed drawn from an nt.Generator, advancing it (so nt.manualSeed makes shuffles reproducible). */
  static fromGenerator(g: Generator): RandomSource {
    const offset = g.take(2);
    return new RandomSource(splitmix64({ x: g.seed ^ BigInt(offset) }) ^ BigInt(offset));
  }

  /** Next 32 random bits. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform integer in [0, n), n <= 2^32, without modulo bias (rejection). */
  below(n: number): number {
    if (n <= 1) return 0;
    const limit = 0x100000000 - (0x100000000 % n); // largest multiple of n that fits
    for (;;) {
      const r = this.nextUint32();
      if (r < limit) return r % n;
    }
  }

  /** A uniformly random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Uint32Array {
    const p = new Uint32Array(n);
    for (let i = 0; i < n; ++i) p[i] = i;
    for (let i = n - 1; i > 0; --i) {
      const j = this.below(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
