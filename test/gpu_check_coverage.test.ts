// scripts/gpu-check: a kernel of the addon's list without a parity case
// must fail the run; the list comes from buildInfo().kernels at run time.
import * as path from 'path';

import { native } from '../bindings/loader';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const S = require(path.join(__dirname, '..', 'scripts', 'gpu-check', 'special_checks.js'));

type Row = { name: string; kernel: string; pass: boolean; detail: string };

describe('gpu-check kernel coverage', () => {
  it('a kernel with no parity case is a failing row naming it', () => {
    const rows: Row[] = S.coverage(['fill', 'gemm', 'newKernel'], [{ kernel: 'fill' }, { kernel: 'gemm' }, { kernel: 'errors' }]);
    const failed = rows.filter((r) => !r.pass);
    expect(failed.map((r) => r.kernel).sort()).toEqual(['coverage', 'newKernel']);
    expect(failed.find((r) => r.kernel === 'coverage')!.detail).toBe('missing: newKernel');
  });

  it('every kernel of this addon is covered by the parity cases', () => {
    const kernels: string[] = native.buildInfo().kernels;
    expect(kernels.length).toBeGreaterThan(10);
    const rows: Row[] = S.coverage(kernels, kernels.map((k) => ({ kernel: k })));
    expect(rows.every((r) => r.pass)).toBe(true);
  });
});
