// The bench as a tool (issue 15): saved results compare row by row, the cold
// row's summary, and the bench-only FMA peak of the addon.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { type ColdSide, summarize } from '../bench/cold';
import type { ColdRun } from '../bench/cold_child';
import { compareResults, saveResults } from '../bench/results';
import { ArgumentError } from '../lib/errors';
import { native } from '../lib/kernels/native';

const stat = (median: number) => ({ median, min: median, max: median, reps: 1, iters: 1, samples: [median] });

function coldRun(first: number, per100: number[]): ColdRun {
  return {
    library: 'nodetorch',
    threads: 2,
    firstEpoch: first,
    per100,
    faults100: per100.map(() => 0),
    cpu100: per100.map((t) => 2 * t),
    stepsPerEpoch: 300,
    peakRssBytes: null,
  };
}

describe('bench results', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nt-bench-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('--compare gives B time over A time for times and for rates, and skips rows only one file has', () => {
    const a = Math.random() + 0.5;
    const b = Math.random() + 0.5;
    const gemm = (median: number) => ({
      name: 'gemm_64x784x500',
      what: '',
      unit: 'GFLOP/s',
      work: 2 * 64 * 784 * 500,
      stat: stat(median),
      load: 0,
    });
    const seed = (median: number) => ({
      config: { name: 'seed', optimizer: 'sgd', lr: 0.01, batchSize: 64, threads: 2 },
      nodetorch: { run: null, epoch: stat(median), load: 0 },
      pytorch: null,
    });
    const fa = saveResults(
      {
        kernels: [gemm(a * 1e-3)],
        mlp: [seed(a)],
        peaks: [{ threads: 1, gflops: 100 * a, runs: [], isa: 'x', load: 0 }],
      },
      'aaaa',
      path.join(dir, 'a.json'),
    );
    const fb = saveResults({ kernels: [gemm(b * 1e-3)], mlp: [seed(b)] }, 'bbbb', path.join(dir, 'b.json'));
    const out = compareResults(fa, fb);
    const ratio = (row: string): number => {
      const line = out.split('\n').find((l) => l.startsWith(row));
      if (!line) throw new Error(`no row ${row} in\n${out}`);
      return Number(/([0-9.]+)x\s*$/.exec(line)?.[1]);
    };
    expect(ratio('kernel gemm_64x784x500 ')).toBeCloseTo(b / a, 2);
    expect(ratio('mlp seed 2t nodetorch epoch')).toBeCloseTo(b / a, 2);
    expect(out).not.toMatch(/FMA peak/);
    expect(out).toMatch(/1 row\(s\) are in only one of the files/);
  });

  test('results are saved under the given file with what was passed', () => {
    const f = saveResults({ x: 1 }, null, path.join(dir, 'sub', 'r.json'));
    expect(JSON.parse(fs.readFileSync(f, 'utf8'))).toEqual({ x: 1 });
  });
});

describe('cold row summary', () => {
  test('first block, steady pace of the last epoch, per-block medians', () => {
    const r1 = coldRun(1.0, [0.3, 0.2, 0.1, 0.1, 0.12, 0.1]);
    const r2 = coldRun(1.2, [0.5, 0.2, 0.1, 0.1, 0.1, 0.14]);
    const r3 = coldRun(1.1, [0.4, 0.3, 0.1, 0.2, 0.1, 0.1]);
    const side: ColdSide = { runs: [r1, r2, r3], errors: [] };
    const s = summarize(side);
    expect(s?.firstEpoch).toBeCloseTo(1.1);
    expect(s?.first100).toBeCloseTo(0.4);
    expect(s?.curve).toHaveLength(6);
    expect(s?.curve[1]).toBeCloseTo(0.2);
    // 300 steps per epoch: the last 3 blocks; medians 0.1, 0.1, 0.1
    expect(s?.steady100).toBeCloseTo(0.1);
    expect(s?.cpuCurve[1]).toBeCloseTo(0.4); // per-block median of the process CPU
    expect(summarize({ runs: [], errors: ['x'] })).toBeNull();
  });
});

describe('benchFmaPeak (bench only)', () => {
  test('measures a positive rate on 1 and 2 threads', () => {
    const one = native.benchFmaPeak(1, 0.02);
    const two = native.benchFmaPeak(2, 0.02);
    expect(one.gflops).toBeGreaterThan(0);
    expect(two.gflops).toBeGreaterThan(0);
    expect(one.seconds).toBeGreaterThan(0);
    expect(['avx512f', 'avx2+fma', 'scalar']).toContain(one.isa);
  });

  test('rejects bad arguments with a typed error', () => {
    expect(() => native.benchFmaPeak(0, 0.1)).toThrow(ArgumentError);
    expect(() => native.benchFmaPeak(0, 0.1)).toThrow(/benchFmaPeak.*threads must be an integer in \[1, 256\]/);
    expect(() => native.benchFmaPeak(1.5, 0.1)).toThrow(/threads/);
    expect(() => native.benchFmaPeak(1, 0)).toThrow(/seconds must be in \(0, 10\]/);
    expect(() => native.benchFmaPeak(1, Number.NaN)).toThrow(/seconds/);
  });
});
