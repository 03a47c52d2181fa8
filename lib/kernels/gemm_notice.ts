// The one-time warning when GEMM runs on the portable kernel (no OpenBLAS),
// given by the first matmul; nt.info() reports the same text.
import { native } from './native';

export const FALLBACK_NOTICE =
  'GEMM runs on the portable fallback kernel because nodetorch was built without OpenBLAS; ' +
  'install it (Debian/Ubuntu: apt-get install libopenblas-dev; macOS: brew install openblas) and run `npm rebuild nodetorch`.';

let noticeShown = false;
/** One-time notice (stderr) when GEMM runs on the fallback. NODETORCH_QUIET=1 silences it. */
export function gemmNoticeOnce(): void {
  if (noticeShown || process.env.NODETORCH_QUIET) return;
  noticeShown = true;
  if (native.buildInfo().gemm !== 'openblas') process.emitWarning(FALLBACK_NOTICE, { code: 'NODETORCH_BLAS_FALLBACK' });
}
