// The one-time warning when GEMM runs on the portable kernel (no OpenBLAS),
// given by the first matmul; nt.info() reports the same text.
import { native } from './native';

export const FALLBACK_NOTICE =
  'GEMM runs on the portable fallback kernel because OpenBLAS was not found at run time (or this binary was built ' +
  'without it); install it (Debian/Ubuntu: apt-get install libopenblas0; Fedora: dnf install openblas; macOS: ' +
  'brew install openblas) or point NODETORCH_OPENBLAS at libopenblas.so; nt.info().gemmDetail says what was tried.';

let noticeShown = false;
/** One-time notice (stderr) when GEMM runs on the fallback. NODETORCH_QUIET=1 silences it. */
export function gemmNoticeOnce(): void {
  if (noticeShown || process.env.NODETORCH_QUIET) return;
  noticeShown = true;
  if (native.buildInfo().gemm !== 'openblas') process.emitWarning(FALLBACK_NOTICE, { code: 'NODETORCH_BLAS_FALLBACK' });
}
