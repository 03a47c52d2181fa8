// Same seed + same thread count -> bitwise-identical losses across two runs
// on CPU: a short MLP training (Adam, 50 steps) in two separate child
// processes with nt.setNumThreads(2), compared as float64 bit patterns.
import { execFileSync } from 'child_process';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '../..');

function run(seed: number, threads: number): string[] {
  const out = execFileSync(
    process.execPath,
    [
      '-r',
      './test/reliability/children/ts_register.js',
      'test/reliability/children/train_child.ts',
      String(seed),
      '50',
      String(threads),
    ],
    {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120000,
    },
  );
  return JSON.parse(out) as string[];
}

describe('determinism on CPU', () => {
  it('two runs with the same seed and 2 threads give bitwise-identical losses', () => {
    const a = run(7, 2);
    const b = run(7, 2);
    expect(a).toHaveLength(50);
    expect(b).toEqual(a);
    const c = run(8, 2);
    expect(c).not.toEqual(a); // the seed matters
  });
});
