// The kernel list agrees everywhere: NT_KERNEL_LIST (kernel_api.h), the
// TypeScript declarations (bindings/native.ts), the loaded addon's
// buildInfo().kernels and `kernels` object, and every other build present
// (portable-GEMM, CUDA), each loaded in a child process.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import * as nt from '../lib';
import { native } from '../lib/kernels/native';
import { KERNEL_NAMES } from '../bindings/native';

const root = path.join(__dirname, '..');

function headerKernelList(): string[] {
  const src = fs.readFileSync(path.join(root, 'native/common/kernel_api.h'), 'utf8');
  const body = src.slice(src.indexOf('#define NT_KERNEL_LIST(X)'));
  const lines: string[] = [];
  for (const line of body.split('\n').slice(1)) {
    lines.push(line);
    if (!line.trimEnd().endsWith('\\')) break;
  }
  return [...lines.join('\n').matchAll(/X\((\w+),/g)].map((x) => x[1]);
}

function declaredKernels(): string[] {
  const src = fs.readFileSync(path.join(root, 'bindings/native.ts'), 'utf8');
  const start = src.indexOf('export interface NativeKernels {');
  const end = src.indexOf('\n}', start);
  return [...src.slice(start, end).matchAll(/^\s{2}(\w+)\(/gm)].map((x) => x[1]);
}

describe('kernel list agreement', () => {
  test('NT_KERNEL_LIST, the NativeKernels interface and KERNEL_NAMES agree', () => {
    expect(headerKernelList()).toEqual([...KERNEL_NAMES]);
    expect(declaredKernels()).toEqual([...KERNEL_NAMES]);
  });

  test('the loaded addon reports the same list and exposes each kernel as a function', () => {
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
      const script = `const a = require(${JSON.stringify(file)}); const b = a.buildInfo();` +
        'process.stdout.write(JSON.stringify({ kernels: b.kernels, fns: Object.keys(a.kernels), cuda: b.cudaCompiled, gemm: b.gemm }));';
      const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60000 })) as
        { kernels: string[]; fns: string[]; cuda: boolean; gemm: string };
      expect({ file, kernels: out.kernels }).toEqual({ file, kernels: [...KERNEL_NAMES] });
      expect({ file, fns: out.fns.sort() }).toEqual({ file, fns: [...KERNEL_NAMES].sort() });
      if (file.includes('build-fallback')) expect(out.gemm).toBe('fallback');
    }
  });
});
