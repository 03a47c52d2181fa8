// Launches of the fused multi-tensor optimizer kernels (native adam / sgd):
// one native call updates a whole list of tensors. Layouts mirror
// native/addon/kernel_bindings.cpp:
//   adam: [lr, beta1, beta2, eps, weightDecay, bc1, bc2, decoupled, amsgrad, maximize]
//         then per tensor [numel, pOff, gOff, mOff, vOff, (vmaxOff if amsgrad)]
//   sgd:  [lr, momentum, dampening, weightDecay, nesterov, firstStep, maximize]
//         then per tensor [numel, pOff, gOff, (bufOff if momentum buffers)]
// Every tensor passed must be contiguous and share one dtype and device
// (the callers bucket and copy to guarantee it; native re-checks bounds).
import { native } from './native';
import type { KernelTensor as Tensor } from './operand';

const A = native.args;
const K = native.kernels;

/** Tensors per native call: keeps the largest layout (10 + 6 per tensor) inside the args buffer. */
const MAX_PER_CALL = Math.floor((A.length - 16) / 6);

export interface AdamHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 1 - beta1^step */
  bc1: number;
  /** 1 - beta2^step */
  bc2: number;
  decoupled: boolean;
  amsgrad: boolean;
  maximize: boolean;
}

export interface SgdHyper {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  firstStep: boolean;
  maximize: boolean;
}

const handles = (ts: readonly Tensor[]): ReturnType<Tensor['_handle']>[] => ts.map((t) => t._handle('optimizer'));

/** One Adam/AdamW step over lists of equal-length contiguous tensors. */
export function launchAdam(
  params: readonly Tensor[], grads: readonly Tensor[], expAvg: readonly Tensor[], expAvgSq: readonly Tensor[],
  maxExpAvgSq: readonly Tensor[] | null, h: AdamHyper,
): void {
  for (let lo = 0; lo < params.length; lo += MAX_PER_CALL) {
    const hi = Math.min(params.length, lo + MAX_PER_CALL);
    let i = 0;
    A[i++] = h.lr; A[i++] = h.beta1; A[i++] = h.beta2; A[i++] = h.eps; A[i++] = h.weightDecay;
    A[i++] = h.bc1; A[i++] = h.bc2;
    A[i++] = h.decoupled ? 1 : 0; A[i++] = h.amsgrad ? 1 : 0; A[i++] = h.maximize ? 1 : 0;
    for (let k = lo; k < hi; ++k) {
      A[i++] = params[k].numel;
      A[i++] = params[k].offset; A[i++] = grads[k].offset;
      A[i++] = expAvg[k].offset; A[i++] = expAvgSq[k].offset;
      if (h.amsgrad && maxExpAvgSq) A[i++] = maxExpAvgSq[k].offset;
    }
    K.adam(
      handles(params.slice(lo, hi)), handles(grads.slice(lo, hi)),
      handles(expAvg.slice(lo, hi)), handles(expAvgSq.slice(lo, hi)),
      h.amsgrad && maxExpAvgSq ? handles(maxExpAvgSq.slice(lo, hi)) : null,
    );
  }
}

/** One SGD step; `bufs` is null when momentum is 0. */
export function launchSgd(params: readonly Tensor[], grads: readonly Tensor[], bufs: readonly Tensor[] | null, h: SgdHyper): void {
  for (let lo = 0; lo < params.length; lo += MAX_PER_CALL) {
    const hi = Math.min(params.length, lo + MAX_PER_CALL);
    let i = 0;
    A[i++] = h.lr; A[i++] = h.momentum; A[i++] = h.dampening; A[i++] = h.weightDecay;
    A[i++] = h.nesterov ? 1 : 0; A[i++] = h.firstStep ? 1 : 0; A[i++] = h.maximize ? 1 : 0;
    for (let k = lo; k < hi; ++k) {
      A[i++] = params[k].numel;
      A[i++] = params[k].offset; A[i++] = grads[k].offset;
      if (bufs) A[i++] = bufs[k].offset;
    }
    K.sgd(handles(params.slice(lo, hi)), handles(grads.slice(lo, hi)), bufs ? handles(bufs.slice(lo, hi)) : null);
  }
}
