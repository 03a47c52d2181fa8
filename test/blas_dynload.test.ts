// OpenBLAS is opened at run time (native/cpu/blas_dynload.cpp): a build in
// dlopen mode links no BLAS, reports the library it opened, and falls back to
// the built-in GEMM, with the reason, when none can be used. Children run with
// their own environment, since the library is resolved once per process.
import { execFileSync } from 'child_process';
import * as path from 'path';

import * as nt from '../lib';

const root = path.join(__dirname, '..');
const addon = nt.info().binary.path;
const register = path.join(root, 'test/reliability/children/ts_register.js');

// nt.info() of a fresh process with `env` added.
function childInfo(env: Record<string, string>): { gemm: string; gemmDetail: string; product: number[] } {
  const code =
    `const nt=require(${JSON.stringify(path.join(root, 'lib'))});` +
    'const a=nt.tensor([[1,2],[3,4]],{dtype:"float64"});const b=nt.tensor([[5],[6]],{dtype:"float64"});' +
    'const i=nt.info();console.log(JSON.stringify({gemm:i.gemm,gemmDetail:i.gemmDetail,product:a.matmul(b).toArray().flat()}))';
  const out = execFileSync(process.execPath, ['-r', register, '-e', code], {
    env: { ...process.env, NODETORCH_ADDON: addon, NODETORCH_QUIET: '1', ...env },
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').pop() ?? '{}');
}

const linkedBlas = /OpenBLAS \([^)]*linked/.test(nt.info().gemmDetail);
const describeDlopen = linkedBlas ? describe.skip : describe;

describeDlopen('OpenBLAS opened at run time', () => {
  test('NODETORCH_BLAS=fallback runs the built-in GEMM and says why', () => {
    const r = childInfo({ NODETORCH_BLAS: 'fallback' });
    expect(r.gemm).toBe('fallback');
    expect(r.gemmDetail).toMatch(/built-in .* kernel \(NODETORCH_BLAS=fallback\)/);
    expect(r.product).toEqual([17, 39]);
  });

  test('a library that is not there is reported with every name tried', () => {
    const r = childInfo({ NODETORCH_OPENBLAS: '/nonexistent/libopenblas.so', LD_LIBRARY_PATH: '/nonexistent' });
    // The system's libopenblas.so.0 may still be found after the missing one.
    if (r.gemm === 'fallback') expect(r.gemmDetail).toMatch(/\/nonexistent\/libopenblas\.so: .*libopenblas\.so\.0/);
    else expect(r.gemmDetail).toMatch(/OpenBLAS \(.* kernels, \/.*libopenblas/);
    expect(r.product).toEqual([17, 39]);
  });

  // blas_dynload.cpp sets OPENBLAS_NUM_THREADS=1 only around its dlopen:
  // GEMMs are split over our pool, so OpenBLAS starts no threads of its own.
  const afterProduct = (env: Record<string, string>): { env: string; threads: number } => {
    const code =
      `const nt=require(${JSON.stringify(path.join(root, 'lib'))});` +
      'nt.setNumThreads(2);' +
      'nt.rand([256,256]).matmul(nt.rand([256,256])).toArray();' +
      'const threads=require("fs").readdirSync("/proc/self/task").length;' +
      'console.log(JSON.stringify({env:process.env.OPENBLAS_NUM_THREADS ?? "unset",threads}))';
    const base: NodeJS.ProcessEnv = { ...process.env, NODETORCH_ADDON: addon, NODETORCH_QUIET: '1', ...env };
    if (!('OPENBLAS_NUM_THREADS' in env)) delete base.OPENBLAS_NUM_THREADS;
    const out = execFileSync(process.execPath, ['-r', register, '-e', code], { env: base, encoding: 'utf8' });
    return JSON.parse(out.trim().split('\n').pop() ?? '{}') as { env: string; threads: number };
  };

  test('OpenBLAS loads single-threaded; the setting does not leak; a user value stays', () => {
    expect(afterProduct({}).env).toBe('unset');
    expect(afterProduct({ OPENBLAS_NUM_THREADS: '3' }).env).toBe('3');
  });

  (process.platform === 'linux' ? test : test.skip)('a split GEMM starts no threads beyond our pool', () => {
    // The same process on the built-in GEMM (our pool only) has as many threads.
    const withBlas = afterProduct({});
    const builtIn = afterProduct({ NODETORCH_BLAS: 'fallback' });
    expect(withBlas.threads).toBe(builtIn.threads);
  });

  test('the addon links no BLAS library (readelf, Linux)', () => {
    if (process.platform !== 'linux') return;
    let needed = '';
    try {
      needed = execFileSync('readelf', ['-d', addon], { encoding: 'utf8' });
    } catch {
      return; // binutils missing
    }
    expect(needed).not.toMatch(/openblas|libblas|gfortran/);
  });
});

test('NODETORCH_GEMM_ISA=generic turns the small-M dot-product kernel off with the rest', () => {
  const r = childInfo({ NODETORCH_GEMM_ISA: 'generic' });
  expect(r.gemmDetail).not.toMatch(/dot-product/);
  expect(r.product).toEqual([17, 39]);
});
