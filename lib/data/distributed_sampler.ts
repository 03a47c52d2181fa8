// DistributedSampler: the share of a dataset's indices that one rank of a
// data-parallel job reads, exactly as PyTorch 1.13's: every rank gets
// `numSamples` indices, the list padded by repeating its head (or cut, with
// dropLast) to a multiple of numReplicas, then dealt round-robin
// (indices[rank::numReplicas]). With shuffle the order is a permutation
// seeded by seed + epoch, the same on every rank, so the shares partition it.
import { ArgumentError } from '../errors';
import { RandomSource, toSeed } from '../tensor/random_source';
import { checkBool, checkInteger, checkOptions, checkPositiveInt, showValue } from '../validate';

/** Anything the DataLoader can take as `sampler`: dataset indices with a length. */
export interface Sampler {
  readonly length: number;
  [Symbol.iterator](): Iterator<number>;
}

export interface DistributedSamplerOptions {
  /** Ranks in the job (default: the launcher's world size, OMPI_COMM_WORLD_SIZE or WORLD_SIZE). */
  numReplicas?: number;
  /** This process's rank, 0..numReplicas-1 (default: OMPI_COMM_WORLD_RANK or RANK). */
  rank?: number;
  /** Permute the indices each epoch (default true). */
  shuffle?: boolean;
  /** Base seed; epoch e shuffles with seed + e (default 0). Must be the same on every rank. */
  seed?: number;
  /** Cut the tail so that every rank gets the same count without padding (default false). */
  dropLast?: boolean;
}

/** A launcher's environment variable as an integer, or undefined. */
function envInt(...names: string[]): number | undefined {
  for (const n of names) {
    const v = process.env[n];
    if (v !== undefined && /^\d+$/.test(v)) return Number(v);
  }
  return undefined;
}

export class DistributedSampler implements Sampler {
  readonly numReplicas: number;
  readonly rank: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  /** Indices this rank yields per epoch. */
  readonly numSamples: number;
  /** numSamples * numReplicas: the padded (or cut) length of the whole list. */
  readonly totalSize: number;
  #epoch = 0;
  readonly #datasetLength: number;

  constructor(dataset: { readonly length: number }, options: DistributedSamplerOptions = {}) {
    const op = 'DistributedSampler';
    const n = (dataset as { length?: unknown } | null)?.length;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffffffff)
      throw new ArgumentError(op, `a dataset with an integer length (< 2^32), got ${showValue(dataset)}`);
    const o = checkOptions(op, options, ['numReplicas', 'rank', 'shuffle', 'seed', 'dropLast']);
    const replicas = o.numReplicas ?? envInt('OMPI_COMM_WORLD_SIZE', 'WORLD_SIZE');
    const rank = o.rank ?? envInt('OMPI_COMM_WORLD_RANK', 'RANK');
    if (replicas === undefined || rank === undefined)
      throw new ArgumentError(
        op,
        'numReplicas and rank, or a launcher environment (OMPI_COMM_WORLD_SIZE/RANK or WORLD_SIZE/RANK), got neither: pass { numReplicas, rank } or start with `nodetorch run -n N`',
      );
    this.numReplicas = checkPositiveInt(op, 'numReplicas', replicas);
    this.rank = checkInteger(op, 'rank', rank, 0);
    if (this.rank >= this.numReplicas)
      throw new ArgumentError(op, `rank in [0, ${this.numReplicas - 1}], got ${this.rank}`);
    this.shuffle = checkBool(op, 'shuffle', o.shuffle ?? true);
    this.seed = checkInteger(op, 'seed', o.seed ?? 0);
    this.dropLast = checkBool(op, 'dropLast', o.dropLast ?? false);
    this.#datasetLength = n;
    const r = this.numReplicas;
    this.numSamples = Math.max(0, this.dropLast && n % r !== 0 ? Math.ceil((n - r) / r) : Math.ceil(n / r));
    this.totalSize = this.numSamples * r;
  }

  /** The number of indices this rank yields per epoch. */
  get length(): number {
    return this.numSamples;
  }

  get epoch(): number {
    return this.#epoch;
  }

  /** Call before each epoch (on every rank) so that each epoch gets a new shuffle. */
  setEpoch(epoch: number): void {
    this.#epoch = checkInteger('DistributedSampler.setEpoch', 'epoch', epoch, 0);
  }

  /** This rank's indices for the current epoch. */
  indices(): Uint32Array {
    const n = this.#datasetLength;
    let all: Uint32Array;
    if (this.shuffle) {
      all = new RandomSource(toSeed('DistributedSampler', BigInt(this.seed) + BigInt(this.#epoch))).permutation(n);
    } else {
      all = new Uint32Array(n);
      for (let i = 0; i < n; ++i) all[i] = i;
    }
    const out = new Uint32Array(this.numSamples);
    // Position k of the padded list is all[k mod n] (PyTorch repeats the list's head).
    for (let j = 0, k = this.rank; j < this.numSamples; ++j, k += this.numReplicas) out[j] = all[k % n];
    return out;
  }

  [Symbol.iterator](): Iterator<number> {
    return this.indices()[Symbol.iterator]();
  }
}
