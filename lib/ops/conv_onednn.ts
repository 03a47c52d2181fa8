// conv2d on the conv2d kernels, which the CPU runs on oneDNN: float32 CPU
// calls while that engine is on (lib/kernels/conv_engine.ts), for the
// forward and both backward directions; CUDA runs them on cuDNN
// (lib/kernels/cudnn_conv.ts). Operands go in contiguous NCHW /
// [Co, C/G, kh, kw]; the bias is added to the output in place, and its
// gradient is the output gradient summed over N, H and W.
import { BinaryOp } from '../../bindings/codes.gen';
import { onednnConvActive } from '../kernels/conv_engine';
import { cudnnConvActive } from '../kernels/cudnn_conv';
import { type Conv2dKernelGeometry, kBinary, kConv2d, kCopy, kReduce, ReduceOp } from '../kernels/launch';
import { type Tensor, emptyTensor as empty } from '../tensor/tensor';
import { cast } from './convert';

/** True when this call runs on oneDNN: a float32 CPU tensor, the engine on, a full non-empty output. */
function useOnednn(t: Tensor, g: Conv2dKernelGeometry): boolean {
  if (t.device !== 'cpu' || t.dtype !== 'float32') return false;
  if (g.N * g.C * g.Co * g.Ho * g.Wo === 0) return false;
  if (!fullOutput(g)) return false;
  return onednnConvActive();
}

/**
 * True when this call runs on the conv2d kernels: oneDNN on the CPU (useOnednn), cuDNN on CUDA for float32 and
 * float64 with symmetric padding (cuDNN has one pad per side pair) and a full output.
 */
export function useConvKernels(t: Tensor, g: Conv2dKernelGeometry): boolean {
  if (t.device === 'cpu') return useOnednn(t, g);
  if (t.dtype !== 'float32' && t.dtype !== 'float64') return false;
  if (g.pt !== g.pb || g.pl !== g.pr || g.N * g.C * g.Co * g.Ho * g.Wo === 0) return false;
  if (!fullOutput(g)) return false;
  return cudnnConvActive();
}

/** The kernels' output is the whole convolution (convTranspose2d may ask for fewer rows/columns). */
function fullOutput(g: Conv2dKernelGeometry): boolean {
  const full = (size: number, d: number, k: number, s: number, o: number) =>
    Math.floor((size - d * (k - 1) - 1) / s) + 1 === o;
  return full(g.H + g.pt + g.pb, g.dh, g.kh, g.sh, g.Ho) && full(g.W + g.pl + g.pr, g.dw, g.kw, g.sw, g.Wo);
}

/** t itself when contiguous, else a contiguous copy (`owned`). */
function dense(t: Tensor): { t: Tensor; owned: boolean } {
  if (t.isContiguous()) return { t, owned: false };
  const c = empty(t.shape, t.dtype, t.device);
  kCopy(c, t);
  return { t: c, owned: true };
}

function release(...ts: { t: Tensor; owned: boolean }[]): void {
  for (const d of ts) if (d.owned) d.t.dispose();
}

/** y [N, Co, Ho, Wo] = conv2d(x, w) + b. */
export function onednnConvForward(x: Tensor, w: Tensor, b: Tensor | null, g: Conv2dKernelGeometry): Tensor {
  const out = empty([g.N, g.Co, g.Ho, g.Wo], x.dtype, x.device);
  const xd = dense(x);
  const wd = dense(w);
  kConv2d('forward', out, xd.t, wd.t, g);
  release(xd, wd);
  if (b) {
    const L = g.Ho * g.Wo;
    const o3 = out._view([g.N, g.Co, L], [g.Co * L, L, 1], 0);
    const bv = b._view([g.N, g.Co, L], [0, b.strides[0], 0], b.offset);
    kBinary(BinaryOp.Add, o3, o3, bv);
    o3.dispose();
    bv.dispose();
  }
  return out;
}

/** dx [N, C, H, W] from the output gradient and w. */
export function onednnConvBackwardData(w: Tensor, g: Conv2dKernelGeometry, grad: Tensor): Tensor {
  const dx = empty([g.N, g.C, g.H, g.W], w.dtype, w.device);
  const gy = dense(cast(grad, w.dtype));
  const wd = dense(w);
  kConv2d('backwardData', dx, gy.t, wd.t, g);
  release(gy, wd);
  return dx;
}

/** Gradients for x, w and b (each only when asked). */
export function onednnConvBackward(
  x: Tensor,
  w: Tensor,
  g: Conv2dKernelGeometry,
  grad: Tensor,
  needs: readonly boolean[],
): (Tensor | null)[] {
  const gy = dense(cast(grad, x.dtype));
  let db: Tensor | null = null;
  let dw: Tensor | null = null;
  if (needs[2]) {
    db = empty([g.Co], x.dtype, x.device);
    const L = g.Ho * g.Wo;
    const gv = gy.t._view([g.N, g.Co, L], [g.Co * L, L, 1], gy.t.offset);
    kReduce(ReduceOp.Sum, db, gv, [0, 2]);
    gv.dispose();
  }
  if (needs[1]) {
    dw = empty(w.shape, x.dtype, x.device);
    const xd = dense(x);
    kConv2d('backwardWeight', dw, xd.t, gy.t, g);
    release(xd);
  }
  const dx = needs[0] ? onednnConvBackwardData(w, g, gy.t) : null;
  release(gy);
  return [dx, dw, db];
}
