// scripts/gpu-check: a kernel of the addon's list without a parity case
// must fail the run (gpu-check.js passes buildInfo().kernels at run time;
// test/cuda_status.test.ts runs the whole --self-test, coverage included).
import * as path from 'path';

const S = require(path.join(__dirname, '..', 'scripts', 'gpu-check', 'special_checks.js'));

type Row = { name: string; kernel: string; pass: boolean; detail: string };

describe('gpu-check kernel coverage', () => {
  it('a kernel with no parity case is a failing row naming it', () => {
    const rows: Row[] = S.coverage(
      ['fill', 'gemm', 'newKernel'],
      [{ kernel: 'fill' }, { kernel: 'gemm' }, { kernel: 'errors' }],
    );
    const failed = rows.filter((r) => !r.pass);
    expect(failed.map((r) => r.kernel).sort()).toEqual(['coverage', 'newKernel']);
    expect(failed.find((r) => r.kernel === 'coverage')!.detail).toBe('missing: newKernel');
  });
});
