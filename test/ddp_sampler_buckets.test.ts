// data.DistributedSampler and DDP's gradient buckets (issue 16), against
// PyTorch 1.13 (test/fixtures/torch_ddp.py, when /usr/bin/python3 has torch)
// on fresh random cases: the unshuffled index lists (torch's shuffle uses its
// own RNG, so shuffled lists are checked for the partition properties), the
// DataLoader's sampler option, and _compute_bucket_assignment_by_size.
import { execFileSync } from 'child_process';
import { existsSync } from 'fs';
import { join } from 'path';

import * as nt from '../lib';
import { computeBucketAssignmentBySize } from '../lib/nn/parallel/bucket_assignment';
import { arangeBatchLabels, arangeDataset, expectError, rng, testSeed } from './helpers';

const PYTHON = '/usr/bin/python3';
const DTYPES = ['float32', 'float64', 'int64'] as const;

interface SamplerCase {
  n: number;
  r: number;
  rank: number;
  dropLast: boolean;
}
interface BucketCase {
  numel: number[];
  dtype: (typeof DTYPES)[number][];
  limits: number[];
  indices?: number[];
}
interface TorchOut {
  samplers: { indices: number[]; length: number }[];
  buckets: { buckets: number[][]; limits: number[] }[];
}

function torchRef(req: { samplers: SamplerCase[]; buckets: BucketCase[] }): TorchOut | null {
  if (!existsSync(PYTHON)) return null;
  try {
    const out = execFileSync(PYTHON, [join(__dirname, 'fixtures', 'torch_ddp.py')], {
      input: JSON.stringify(req),
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
      maxBuffer: 64 << 20,
    });
    return JSON.parse(out) as TorchOut;
  } catch {
    return null;
  }
}

/** Random sampler cases, including n < r, n divisible by r and empty datasets. */
function samplerCases(seed: number): SamplerCase[] {
  const u = rng(seed);
  const out: SamplerCase[] = [];
  for (let k = 0; k < 40; ++k) {
    const r = 1 + Math.floor(u() * 7);
    const n = k < 4 ? [0, 1, r - 1, 3 * r][k] : Math.floor(u() * 60);
    for (const dropLast of [false, true]) out.push({ n, r, rank: Math.floor(u() * r), dropLast });
  }
  return out;
}

/** Random parameter lists around the 1 MiB / 25 MiB caps, sometimes several dtypes. */
function bucketCases(seed: number): BucketCase[] {
  const u = rng(seed);
  const out: BucketCase[] = [];
  for (let k = 0; k < 24; ++k) {
    const count = 1 + Math.floor(u() * 30);
    const mixed = k % 3 === 0;
    const numel = Array.from({ length: count }, () =>
      u() < 0.2 ? Math.floor(u() * 3e6) : Math.floor(u() * 200000) + 1,
    );
    const dtype = numel.map(() => (mixed ? DTYPES[Math.floor(u() * 3)] : 'float32'));
    const limits = k % 4 === 3 ? [1 << 20, 2 << 20] : [1 << 20, 25 << 20];
    out.push({ numel, dtype, limits });
    // DDP's layout: the parameters in reverse order, labelled with their indices (one dtype, see below).
    if (!mixed) {
      const rev = numel.map((_, i) => count - 1 - i);
      out.push({ numel: rev.map((i) => numel[i]), dtype: rev.map((i) => dtype[i]), limits, indices: rev });
    }
  }
  return out;
}

const seed = testSeed('ddp');
const sCases = samplerCases(seed);
const bCases = bucketCases(seed + 1);
const ref = torchRef({ samplers: sCases, buckets: bCases });
const withTorch = ref ? describe : describe.skip;
if (!ref) console.warn('ddp_sampler_buckets: /usr/bin/python3 with torch not found; PyTorch parity skipped');

withTorch('against PyTorch 1.13', () => {
  test('DistributedSampler without shuffle: the same index lists and lengths', () => {
    sCases.forEach((c, k) => {
      const s = new nt.data.DistributedSampler(
        { length: c.n },
        {
          numReplicas: c.r,
          rank: c.rank,
          shuffle: false,
          dropLast: c.dropLast,
        },
      );
      expect({ case: c, indices: [...s], length: s.length }).toEqual({ case: c, ...ref?.samplers[k] });
    });
  });

  test('bucket assignment: the same buckets and caps as dist._compute_bucket_assignment_by_size', () => {
    bCases.forEach((c, k) => {
      const tensors = c.numel.map((numel, i) => ({ numel, dtype: c.dtype[i], device: 'cpu' }));
      const got = computeBucketAssignmentBySize(tensors, c.limits, c.indices);
      expect({ case: k, buckets: got.buckets, limits: got.sizeLimits }).toEqual({
        case: k,
        buckets: ref?.buckets[k].buckets,
        limits: ref?.buckets[k].limits,
      });
    });
  });
});

describe('DistributedSampler', () => {
  test('shuffled shares partition one permutation (padded by its head), the same on every rank; setEpoch reshuffles', () => {
    const u = rng(testSeed());
    for (let k = 0; k < 30; ++k) {
      const r = 1 + Math.floor(u() * 5);
      const n = 1 + Math.floor(u() * 50);
      const dropLast = k % 2 === 1;
      const seedK = Math.floor(u() * 1000);
      const shares = (epoch: number): number[][] =>
        Array.from({ length: r }, (_, rank) => {
          const s = new nt.data.DistributedSampler({ length: n }, { numReplicas: r, rank, seed: seedK, dropLast });
          s.setEpoch(epoch);
          return [...s];
        });
      const e0 = shares(0);
      const per = e0[0].length;
      // Interleave the shares back into the dealt list.
      const dealt: number[] = [];
      for (let j = 0; j < per; ++j) for (let rank = 0; rank < r; ++rank) dealt.push(e0[rank][j]);
      const total = per * r;
      if (dropLast) {
        expect(new Set(dealt).size).toBe(total); // no repeats
        expect(total).toBe(n - (n % r));
      } else {
        const head = dealt.slice(0, n);
        expect([...head].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
        for (let i = n; i < total; ++i) expect(dealt[i]).toBe(head[i % n]);
      }
      expect(shares(0)).toEqual(e0);
      if (n > 5 && r === 1) expect(shares(1)).not.toEqual(e0);
    }
  });

  test('shuffle: the order is a permutation, not the identity', () => {
    const s = new nt.data.DistributedSampler({ length: 100 }, { numReplicas: 1, rank: 0 });
    const idx = [...s];
    expect([...idx].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(idx).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  test('defaults from the launcher environment; bad arguments', () => {
    const saved = { ...process.env };
    try {
      process.env.OMPI_COMM_WORLD_SIZE = '3';
      process.env.OMPI_COMM_WORLD_RANK = '2';
      const s = new nt.data.DistributedSampler({ length: 7 }, { shuffle: false });
      expect([s.numReplicas, s.rank, [...s]]).toEqual([3, 2, [2, 5, 1]]);
      delete process.env.OMPI_COMM_WORLD_SIZE;
      delete process.env.OMPI_COMM_WORLD_RANK;
      delete process.env.WORLD_SIZE;
      delete process.env.RANK;
      expectError(() => new nt.data.DistributedSampler({ length: 7 }), nt.ArgumentError, /numReplicas and rank/);
    } finally {
      process.env = saved;
    }
    const D = { length: 7 };
    expectError(
      () => new nt.data.DistributedSampler(D, { numReplicas: 2, rank: 2 }),
      nt.ArgumentError,
      'DistributedSampler: rank in [0, 1], got 2',
    );
    expectError(() => new nt.data.DistributedSampler(D, { numReplicas: 0, rank: 0 }), nt.ArgumentError, /numReplicas/);
    expectError(
      () => new nt.data.DistributedSampler(null as never, { numReplicas: 1, rank: 0 }),
      nt.ArgumentError,
      /a dataset with an integer length/,
    );
    const s = new nt.data.DistributedSampler(D, { numReplicas: 1, rank: 0 });
    expectError(() => s.setEpoch(-1), nt.ArgumentError, /epoch/);
  });
});

describe('DataLoader sampler option', () => {
  test('batches follow the sampler; length from it; a new epoch after setEpoch', () => {
    const ds = arangeDataset(11);
    const sampler = new nt.data.DistributedSampler(ds, { numReplicas: 2, rank: 1, shuffle: false });
    const loader = new nt.data.DataLoader(ds, { batchSize: 4, sampler });
    expect(loader.length).toBe(2);
    const got: number[][] = [];
    for (const [x, y] of loader) got.push(arangeBatchLabels(x, y));
    expect(got).toEqual([
      [1, 3, 5, 7],
      [9, 0],
    ]);
    const shuffled = new nt.data.DistributedSampler(ds, { numReplicas: 2, rank: 0, seed: 5 });
    const l2 = new nt.data.DataLoader(ds, { batchSize: 6, sampler: shuffled });
    const epoch = (): number[] => [...l2].flatMap(([x, y]) => arangeBatchLabels(x, y));
    const e0 = epoch();
    expect(e0).toEqual([...shuffled]);
    shuffled.setEpoch(1);
    expect(epoch()).toEqual([...shuffled]);
    ds.dispose();
  });

  test('sampler and shuffle together, bad samplers: typed errors', () => {
    const ds = arangeDataset(4);
    const sampler = new nt.data.DistributedSampler(ds, { numReplicas: 1, rank: 0 });
    expectError(
      () => new nt.data.DataLoader(ds, { sampler, shuffle: true }),
      nt.ArgumentError,
      /sampler or shuffle, not both/,
    );
    expectError(() => new nt.data.DataLoader(ds, { sampler: 5 as never }), nt.ArgumentError, /sampler an iterable/);
    const liar = {
      length: 2,
      *[Symbol.iterator]() {
        yield 0;
        yield 9;
      },
    };
    expectError(
      () => [...new nt.data.DataLoader(ds, { sampler: liar })],
      nt.ArgumentError,
      /sampler indices in \[0, 4\), got 9/,
    );
    const short = {
      length: 3,
      *[Symbol.iterator]() {
        yield 0;
      },
    };
    expectError(
      () => [...new nt.data.DataLoader(ds, { sampler: short })],
      nt.ArgumentError,
      /yields its length \(3\) indices, got 1/,
    );
    ds.dispose();
  });
});
