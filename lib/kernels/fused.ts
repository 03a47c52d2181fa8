// Launches of the fused multi-tensor optimizer kernels (native adam, sgd,
// adagrad, adamax, nadam, radam):
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

// ---- adaptive optimizers (issue 14): every step-dependent scalar is computed
// by the caller in double; native rounds each coefficient once to the dtype.

/** Calls f(lo, hi) over [0, n) in pieces of at most MAX_PER_CALL tensors. */
function inCalls(n: number, f: (lo: number, hi: number) => void): void {
  for (let lo = 0; lo < n; lo += MAX_PER_CALL) f(lo, Math.min(n, lo + MAX_PER_CALL));
}

/** Equal-length tensor lists of one bucket: params first (their numels size every list). */
type Lists = readonly (readonly Tensor[])[];

/** Handles, numels and offsets of lists[..][lo, hi). */
function slices(lists: Lists, lo: number, hi: number) {
  const parts = lists.map((l) => l.slice(lo, hi));
  return {
    handles: parts.map(handles),
    numels: parts[0].map((t) => t.numel),
    offsets: parts.map(offsets),
  };
}

export interface AdagradHyper {
  /** lr / (1 + (step - 1) * lrDecay) */
  clr: number;
  eps: number;
  weightDecay: number;
  maximize: boolean;
}

/** One Adagrad step: sum += g², p -= clr · g / (√sum + eps). */
export function launchAdagrad(
  params: readonly Tensor[],
  grads: readonly Tensor[],
  sums: readonly Tensor[],
  h: AdagradHyper,
): void {
  inCalls(params.length, (lo, hi) => {
    const s = slices([params, grads, sums], lo, hi);
    W.adagrad(
      s.handles[0],
      s.handles[1],
      s.handles[2],
      h.clr,
      h.eps,
      h.weightDecay,
      h.maximize,
      s.numels,
      s.offsets[0],
      s.offsets[1],
      s.offsets[2],
    );
  });
}

export interface AdamaxHyper {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** lr / (1 - beta1^step) */
  clr: number;
  maximize: boolean;
}

/** One Adamax step over params, grads, exp_avg, exp_inf. */
export function launchAdamax(
  params: readonly Tensor[],
  grads: readonly Tensor[],
  expAvg: readonly Tensor[],
  expInf: readonly Tensor[],
  h: AdamaxHyper,
): void {
  inCalls(params.length, (lo, hi) => {
    const s = slices([params, grads, expAvg, expInf], lo, hi);
    W.adamax(
      s.handles[0],
      s.handles[1],
      s.handles[2],
      s.handles[3],
      h.beta1,
      h.beta2,
      h.eps,
      h.weightDecay,
      h.clr,
      h.maximize,
      s.numels,
      s.offsets[0],
      s.offsets[1],
      s.offsets[2],
      s.offsets[3],
    );
  });
}

export interface NadamHyper {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 1 - beta2^step */
  bc2: number;
  /** lr (1 - mu_t) / (1 - mu_product) */
  gradCoeff: number;
  /** lr mu_{t+1} / (1 - mu_product_next) */
  avgCoeff: number;
}

/** One NAdam step (PyTorch 1.13's update) over params, grads, exp_avg, exp_avg_sq. */
export function launchNadam(
  params: readonly Tensor[],
  grads: readonly Tensor[],
  expAvg: readonly Tensor[],
  expAvgSq: readonly Tensor[],
  h: NadamHyper,
): void {
  inCalls(params.length, (lo, hi) => {
    const s = slices([params, grads, expAvg, expAvgSq], lo, hi);
    W.nadam(
      s.handles[0],
      s.handles[1],
      s.handles[2],
      s.handles[3],
      h.beta1,
      h.beta2,
      h.eps,
      h.weightDecay,
      h.bc2,
      h.gradCoeff,
      h.avgCoeff,
      s.numels,
      s.offsets[0],
      s.offsets[1],
      s.offsets[2],
      s.offsets[3],
    );
  });
}

export interface RadamHyper {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** rectified: lr · rect · √(1 - beta2^t) / (1 - beta1^t); otherwise lr / (1 - beta1^t) */
  stepSize: number;
  rectified: boolean;
}

/** One RAdam step over params, grads, exp_avg, exp_avg_sq. */
export function launchRadam(
  params: readonly Tensor[],
  grads: readonly Tensor[],
  expAvg: readonly Tensor[],
  expAvgSq: readonly Tensor[],
  h: RadamHyper,
): void {
  inCalls(params.length, (lo, hi) => {
    const s = slices([params, grads, expAvg, expAvgSq], lo, hi);
    W.radam(
      s.handles[0],
      s.handles[1],
      s.handles[2],
      s.handles[3],
      h.beta1,
      h.beta2,
      h.eps,
      h.weightDecay,
      h.stepSize,
      h.rectified,
      s.numels,
      s.offsets[0],
      s.offsets[1],
      s.offsets[2],
      s.offsets[3],
    );
  });
}
