// The boundary is generated from native/op_table.js: the generated files are
// up to date, and every build on disk (default, portable-GEMM, CUDA), loaded
// in a child process, exposes exactly the generated kernel list.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import * as nt from '../lib';
import { native } from '../lib/kernels/native';
import { KERNEL_NAMES } from '../bindings/kernels.gen';

const root = path.join(__dirname, '..');

describe('kernel list agreement', () => {
  test('the generated boundary files match native/op_table.js', () => {
    const run = (): string =>
      execFileSync(process.execPath, [path.join(root, 'scripts/gen-boundary.js'), '--check'], {
        encoding: 'utf8',
        stdio: 'pipe',
      });
    expect(run).not.toThrow();
  });

  test('the loaded addon reports the generated list and exposes each kernel as a function', () => {
    expect(nt.info().kernels).toEqual([...KERNEL_NAMES]);
    for (const name of KERNEL_NAMES) expect(typeof native.kernels[name]).toBe('function');
    expect(Object.keys(native.kernels).sort()).toEqual([...KERNEL_NAMES].sort());
  });

  test('a CUDA build reports the same list', () => {
    const info = nt.info();
    if (!info.cuda.compiled) {
      console.warn(`this addon has no CUDA backend (${info.cuda.reason}); other builds are checked below`);
      return;
    }
    expect(info.kernels).toEqual([...KERNEL_NAMES]);
    expect(typeof info.cuda.available).toBe('boolean');
    if (!info.cuda.available) expect(info.cuda.reason.length).toBeGreaterThan(0);
  });

  test('every build on disk (default, portable-GEMM, CUDA) reports the same list', () => {
    const builds = ['build/Release', 'build-fallback/Release', 'build-cuda/Release']
      .map((d) => path.join(root, d, 'nodetorch.node'))
      .filter((f) => fs.existsSync(f));
    for (const file of builds) {
      const script =
        `const a = require(${JSON.stringify(file)}); const b = a.buildInfo();` +
        'process.stdout.write(JSON.stringify({ kernels: b.kernels, fns: Object.keys(a.kernels), cuda: b.cudaCompiled, gemm: b.gemm }));';
      const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60000 })) as {
        kernels: string[];
        fns: string[];
        cuda: boolean;
        gemm: string;
      };
      expect({ file, kernels: out.kernels }).toEqual({ file, kernels: [...KERNEL_NAMES] });
      expect({ file, fns: out.fns.sort() }).toEqual({ file, fns: [...KERNEL_NAMES].sort() });
      if (file.includes('build-fallback')) expect(out.gemm).toBe('fallback');
    }
  });
});
