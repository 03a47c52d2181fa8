// Launches of the fused batch-norm kernels (native/cpu/batch_norm.cpp, their
// CUDA twin and cuDNN): contiguous [N, C, HW] tensors, per-channel [C] vectors.
import { writers as W } from './native';
import { sameDevice } from './launch';
import type { KernelTensor as Tensor } from './operand';

type Opt = Tensor | null;
const h = (t: Opt, op: string) => (t ? t._handle(op) : null);
const off = (t: Opt) => (t ? t.offset : 0);
const present = (ts: Opt[]): Tensor[] => ts.filter((t): t is Tensor => t !== null);

/** Sizes and flags of a batch-norm call. */
export interface BatchNormDims {
  N: number;
  C: number;
  HW: number;
  eps: number;
  training: boolean;
}

/**
 * out = batch norm of x; training: batch stats into save (when given) and
 * running stats moved by momentum; otherwise the running stats are used (and
 * copied into save as mean and 1 / sqrt(var + eps)).
 */
export function kBatchNormForward(
  out: Tensor,
  x: Tensor,
  params: { weight: Opt; bias: Opt },
  running: { mean: Opt; var: Opt },
  save: { mean: Opt; invstd: Opt },
  d: BatchNormDims,
  momentum: number,
): void {
  const op = 'batch_norm';
  sameDevice(op, out, x, ...present([params.weight, params.bias, running.mean, running.var, save.mean, save.invstd]));
  W.batchNormForward(
    out._handle(op),
    x._handle(op),
    h(params.weight, op),
    h(params.bias, op),
    h(running.mean, op),
    h(running.var, op),
    h(save.mean, op),
    h(save.invstd, op),
    d.N,
    d.C,
    d.HW,
    d.eps,
    momentum,
    d.training,
    out.offset,
    x.offset,
    off(params.weight),
    off(params.bias),
    off(running.mean),
    off(running.var),
    off(save.mean),
    off(save.invstd),
  );
}

/** Backward of kBatchNormForward: writes whichever of dx, dweight, dbias are given. */
export function kBatchNormBackward(
  grads: { dx: Opt; dweight: Opt; dbias: Opt },
  dy: Tensor,
  x: Tensor,
  stats: { mean: Tensor; invstd: Tensor },
  weight: Opt,
  d: BatchNormDims,
): void {
  const op = 'batch_norm_backward';
  const { dx, dweight, dbias } = grads;
  sameDevice(op, dy, x, stats.mean, stats.invstd, ...present([weight, dx, dweight, dbias]));
  W.batchNormBackward(
    dy._handle(op),
    x._handle(op),
    stats.mean._handle(op),
    stats.invstd._handle(op),
    h(weight, op),
    h(dx, op),
    h(dweight, op),
    h(dbias, op),
    d.N,
    d.C,
    d.HW,
    d.eps,
    d.training,
    off(dx),
    off(dweight),
    off(dbias),
    dy.offset,
    x.offset,
    stats.mean.offset,
    stats.invstd.offset,
    off(weight),
  );
}
