// The default random generator: a (seed, offset) pair over the Philox
// counter stream shared by every device (native/common/philox.h). Each
// random op takes the next range of counter blocks, so results depend only
// on the seed and the sequence of calls, not on thread counts or devices.
import { randomBytes } from 'crypto';

import { ArgumentError } from '../errors';
import { showValue } from '../validate';

export class Generator {
  private seedValue: bigint;
  private offsetValue = 0;

  constructor(seed?: number | bigint) {
    this.seedValue = seed === undefined ? randomBytes(8).readBigUInt64LE() : toSeed(seed);
  }

  manualSeed(seed: number | bigint): this {
    this.seedValue = toSeed(seed);
    this.offsetValue = 0;
    return this;
  }

  get seed(): bigint {
    return this.seedValue;
  }

  /** Reserves the counter blocks for n elements and returns the first block. */
  take(n: number): number {
    // A negative or fractional count would hand out counter blocks twice.
    if (!Number.isSafeInteger(n) || n < 0)
      throw new ArgumentError('Generator.take', `n a non-negative integer, got ${showValue(n)}`);
    const o = this.offsetValue;
    this.offsetValue += Math.ceil(n / 2);
    return o;
  }

  getState(): { seed: bigint; offset: number } {
    return { seed: this.seedValue, offset: this.offsetValue };
  }

  setState(state: { seed: bigint; offset: number }): void {
    if (typeof state !== 'object' || state === null)
      throw new ArgumentError('setState', `a {seed, offset} object, got ${state === null ? 'null' : typeof state}`);
    const offset = state.offset;
    if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
      throw new ArgumentError('setState', `offset must be a non-negative integer, got ${showValue(offset)}`);
    }
    this.seedValue = toSeed(state.seed);
    this.offsetValue = offset;
  }
}

function toSeed(seed: number | bigint): bigint {
  if (typeof seed === 'number') {
    if (!Number.isSafeInteger(seed)) throw new ArgumentError('manualSeed', `seed must be an integer, got ${seed}`);
    return BigInt.asUintN(64, BigInt(seed));
  }
  if (typeof seed === 'bigint') return BigInt.asUintN(64, seed);
  throw new ArgumentError('manualSeed', `seed must be a number or bigint, got ${typeof seed}`);
}

export const defaultGenerator = new Generator();

/** Seeds every random op (and the default DataLoader shuffles) for reproducible runs. */
export function manualSeed(seed: number | bigint): void {
  defaultGenerator.manualSeed(seed);
}
