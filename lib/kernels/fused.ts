// Launches of the fused multi-tensor optimizer kernels (native adam / sgd):
// one native call updates a whole list of tensors, through the generated
// writers (bindings/kernels.gen.ts). Every tensor passed must be contiguous
// and share one dtype and device (the callers bucket and copy to guarantee
// it; native re-checks bounds).
import { native, writers as W } from './native';
import type { KernelTensor as Tensor } from './operand';

/** Tensors per native call: keeps the largest layout (10 + 6 per tensor) inside the args buffer. */
const MAX_PER_CALL = Math.floor((native.args.length - 16) / 6);

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
const offsets = (ts: readonly Tensor[]): number[] => ts.map((t) => t.offset);

/** One Adam/AdamW step over lists of equal-length contiguous tensors. */
export function launchAdam(
  params: readonly Tensor[],
  grads: readonly Tensor[],
  expAvg: readonly Tensor[],
  expAvgSq: readonly Tensor[],
  maxExpAvgSq: readonly Tensor[] | null,
  h: AdamHyper,
): void {
  for (let lo = 0; lo < params.length; lo += MAX_PER_CALL) {
    const hi = Math.min(params.length, lo + MAX_PER_CALL);
    const p = params.slice(lo, hi);
    const g = grads.slice(lo, hi);
    const m = expAvg.slice(lo, hi);
    const v = expAvgSq.slice(lo, hi);
    const vmax = h.amsgrad && maxExpAvgSq ? maxExpAvgSq.slice(lo, hi) : null;
    W.adam(
      handles(p),
      handles(g),
      handles(m),
      handles(v),
      vmax ? handles(vmax) : null,
      h.lr,
      h.beta1,
      h.beta2,
      h.eps,
      h.weightDecay,
      h.bc1,
      h.bc2,
      h.decoupled,
      h.amsgrad,
      h.maximize,
      p.map((t) => t.numel),
      offsets(p),
      offsets(g),
      offsets(m),
      offsets(v),
      vmax ? offsets(vmax) : null,
    );
  }
}

/** One SGD step; `bufs` is null when momentum is 0. */
export function launchSgd(
  params: readonly Tensor[],
  grads: readonly Tensor[],
  bufs: readonly Tensor[] | null,
  h: SgdHyper,
): void {
  for (let lo = 0; lo < params.length; lo += MAX_PER_CALL) {
    const hi = Math.min(params.length, lo + MAX_PER_CALL);
    const p = params.slice(lo, hi);
    const g = grads.slice(lo, hi);
    const b = bufs ? bufs.slice(lo, hi) : null;
    W.sgd(
      handles(p),
      handles(g),
      b ? handles(b) : null,
      h.lr,
      h.momentum,
      h.dampening,
      h.weightDecay,
      h.nesterov,
      h.firstStep,
      h.maximize,
      p.map((t) => t.numel),
      offsets(p),
      offsets(g),
      b ? offsets(b) : null,
    );
  }
}
