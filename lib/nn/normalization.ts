// Normalization layers: BatchNorm1d/2d with running statistics as buffers (in
// stateDict, as PyTorch), GroupNorm, Dropout2d (issue 12); LayerNorm, RMSNorm (issue 13).
import { RandomKind } from '../../bindings/codes.gen';
import { ArgumentError, DTypeError, ShapeError } from '../errors';
import { kRandom } from '../kernels/launch';
import { checkTensor, mul } from '../ops/elementwise';
import { noGrad } from '../ops/grad_mode';
import { batchNorm, groupNorm } from '../ops/normalization';
import { layerNorm, rmsNorm } from '../ops/layer_norm';
import { ones, tensor, zeros } from '../tensor/creation';
import { type DeviceLike, type DType, isFloatingDType } from '../tensor/dtype';
import { defaultGenerator } from '../tensor/random';
import { formatShape } from '../tensor/shape';
import { type Tensor, emptyTensor } from '../tensor/tensor';
import {
  checkBool,
  checkClosedRange,
  checkInteger,
  checkOptions,
  optionKeys,
  checkRange,
  showValue,
} from '../validate';
import { Module } from './module';
import { Parameter } from './parameter';
import '../ops/tensor_methods'; // this module calls Tensor methods

export interface BatchNormOptions {
  eps?: number;
  /** Weight of the new batch in the running stats; null: cumulative average over all batches. */
  momentum?: number | null;
  /** Learn a per-channel weight and bias (default true). */
  affine?: boolean;
  /** Keep running mean and variance for eval mode (default true). */
  trackRunningStats?: boolean;
  device?: DeviceLike;
  dtype?: DType;
}

const BATCH_NORM_KEYS = optionKeys<BatchNormOptions>({
  eps: true,
  momentum: true,
  affine: true,
  trackRunningStats: true,
  device: true,
  dtype: true,
});

abstract class BatchNormBase extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  weight: Tensor | null;
  bias: Tensor | null;
  declare runningMean: Tensor | null;
  declare runningVar: Tensor | null;
  declare numBatchesTracked: Tensor | null;

  protected abstract checkInput(x: Tensor): void;

  constructor(name: string, numFeatures: number, options: BatchNormOptions) {
    super();
    this.numFeatures = checkInteger(name, 'numFeatures', numFeatures, 1);
    const o = checkOptions(name, options, BATCH_NORM_KEYS);
    this.eps = checkRange(name, 'eps', o.eps ?? 1e-5, 0);
    this.momentum = o.momentum === null ? null : checkClosedRange(name, 'momentum', o.momentum ?? 0.1, 0, 1);
    this.affine = checkBool(name, 'affine', o.affine ?? true);
    this.trackRunningStats = checkBool(name, 'trackRunningStats', o.trackRunningStats ?? true);
    const opts = { device: o.device, dtype: o.dtype };
    this.weight = this.affine ? Parameter(ones([numFeatures], opts)) : null;
    this.bias = this.affine ? Parameter(zeros([numFeatures], opts)) : null;
    if (this.trackRunningStats) {
      this.registerBuffer('runningMean', zeros([numFeatures], opts));
      this.registerBuffer('runningVar', ones([numFeatures], opts));
      this.registerBuffer('numBatchesTracked', tensor(0, { dtype: 'int64', device: o.device }));
    } else {
      this.registerBuffer('runningMean', null);
      this.registerBuffer('runningVar', null);
      this.registerBuffer('numBatchesTracked', null);
    }
  }

  /** Running mean 0, variance 1, count 0. */
  resetRunningStats(): void {
    noGrad(() => {
      this.runningMean?.zero_();
      this.runningVar?.fill_(1);
      this.numBatchesTracked?.zero_();
    });
  }

  forward(x: Tensor): Tensor {
    checkTensor(this.constructor.name, x);
    this.checkInput(x);
    let factor = this.momentum ?? 0;
    if (this.training && this.trackRunningStats && this.numBatchesTracked) {
      const nbt = this.numBatchesTracked;
      noGrad(() => nbt.add_(1));
      if (this.momentum === null) factor = 1 / nbt.item();
    }
    // Batch stats while training, or in eval when no running stats are kept.
    const useBatch = this.training || !this.runningMean;
    return batchNorm(x, this.runningMean, this.runningVar, this.weight, this.bias, useBatch, factor, this.eps);
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine}, trackRunningStats=${this.trackRunningStats}`;
  }
}

/** Batch normalization over [N, C] or [N, C, L], per channel C. */
export class BatchNorm1d extends BatchNormBase {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super('BatchNorm1d', numFeatures, options);
  }
  protected checkInput(x: Tensor): void {
    checkTensor('BatchNorm1d', x);
    if (x.ndim !== 2 && x.ndim !== 3)
      throw new ShapeError('BatchNorm1d', `expected 2-D or 3-D input (N, C[, L]), got ${formatShape(x.shape)}`);
  }
}

/** Batch normalization over [N, C, H, W], per channel C. */
export class BatchNorm2d extends BatchNormBase {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super('BatchNorm2d', numFeatures, options);
  }
  protected checkInput(x: Tensor): void {
    checkTensor('BatchNorm2d', x);
    if (x.ndim !== 4)
      throw new ShapeError('BatchNorm2d', `expected 4-D input (N, C, H, W), got ${formatShape(x.shape)}`);
  }
}

export interface GroupNormOptions {
  eps?: number;
  /** Learn a per-channel weight and bias (default true). */
  affine?: boolean;
  device?: DeviceLike;
  dtype?: DType;
}

/** Group normalization: standardizes each group of numChannels / numGroups channels of each sample. */
export class GroupNorm extends Module {
  readonly eps: number;
  readonly affine: boolean;
  weight: Tensor | null;
  bias: Tensor | null;
  constructor(
    readonly numGroups: number,
    readonly numChannels: number,
    options: GroupNormOptions = {},
  ) {
    super();
    checkInteger('GroupNorm', 'numGroups', numGroups, 1);
    checkInteger('GroupNorm', 'numChannels', numChannels, 1);
    if (numChannels % numGroups !== 0)
      throw new ShapeError('GroupNorm', `numGroups ${numGroups} must divide numChannels ${numChannels}`);
    const o = checkOptions(
      'GroupNorm',
      options,
      optionKeys<GroupNormOptions>({ eps: true, affine: true, device: true, dtype: true }),
    );
    this.eps = checkRange('GroupNorm', 'eps', o.eps ?? 1e-5, 0);
    this.affine = checkBool('GroupNorm', 'affine', o.affine ?? true);
    const opts = { device: o.device, dtype: o.dtype };
    this.weight = this.affine ? Parameter(ones([numChannels], opts)) : null;
    this.bias = this.affine ? Parameter(zeros([numChannels], opts)) : null;
  }
  forward(x: Tensor): Tensor {
    return groupNorm(x, this.numGroups, this.weight, this.bias, this.eps);
  }
  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${this.eps}, affine=${this.affine}`;
  }
}

/**
 * torch.nn.functional.dropout2d: zeroes whole channels of [N, C, H, W] (or
 * [C, H, W]) with probability p, scaling the rest by 1/(1-p), while training.
 */
export function dropout2d(x: Tensor, p = 0.5, training = true): Tensor {
  const op = 'dropout2d';
  checkTensor(op, x);
  checkClosedRange(op, 'probability p', p, 0, 1);
  checkBool(op, 'training', training);
  if (x.ndim !== 3 && x.ndim !== 4)
    throw new ShapeError(op, `input must be 3-D (C, H, W) or 4-D (N, C, H, W), got ${formatShape(x.shape)}`);
  if (!training || p === 0) return x;
  if (!isFloatingDType(x.dtype)) throw new DTypeError(op, `a floating point input, got ${x.dtype}`);
  if (p === 1) return mul(x, 0);
  const keep = 1 - p;
  const mask = emptyTensor([...x.shape.slice(0, -2), 1, 1], x.dtype, x.device);
  if (mask.numel)
    kRandom(mask, RandomKind.Bernoulli, defaultGenerator.seed, defaultGenerator.take(mask.numel), keep, 1 / keep);
  return mul(x, mask);
}

/** Zeroes whole channels with probability p while training (scaling the rest by 1/(1-p)); identity in eval mode. */
export class Dropout2d extends Module {
  constructor(readonly p = 0.5) {
    super();
    checkClosedRange('Dropout2d', 'probability p', p, 0, 1);
  }
  forward(x: Tensor): Tensor {
    return dropout2d(x, this.p, this.training);
  }
  override extraRepr(): string {
    return `p=${this.p}`;
  }
}

// layer / RMS norm (issue 13)
export interface LayerNormOptions {
  eps?: number;
  /** Learn a weight (ones) and bias (zeros) of shape normalizedShape (default true). */
  elementwiseAffine?: boolean;
  /** With elementwiseAffine, also learn the bias (default true). */
  bias?: boolean;
  device?: DeviceLike;
  dtype?: DType;
}

function normalizedShapeOf(name: string, normalizedShape: number | readonly number[]): number[] {
  const dims = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape;
  if (!Array.isArray(dims) || dims.length === 0)
    throw new ArgumentError(
      name,
      `normalizedShape a positive integer or a non-empty list of them, got ${showValue(normalizedShape)}`,
    );
  return dims.map((d: unknown, i) => checkInteger(name, `normalizedShape[${i}]`, d, 1));
}

/** Layer normalization over the trailing `normalizedShape` dims (F.layerNorm), with learned weight and bias. */
export class LayerNorm extends Module {
  readonly normalizedShape: readonly number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;
  weight: Tensor | null;
  bias: Tensor | null;
  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    this.normalizedShape = normalizedShapeOf('LayerNorm', normalizedShape);
    const o = checkOptions(
      'LayerNorm',
      options,
      optionKeys<LayerNormOptions>({ eps: true, elementwiseAffine: true, bias: true, device: true, dtype: true }),
    );
    this.eps = checkRange('LayerNorm', 'eps', o.eps ?? 1e-5, 0);
    this.elementwiseAffine = checkBool('LayerNorm', 'elementwiseAffine', o.elementwiseAffine ?? true);
    const withBias = checkBool('LayerNorm', 'bias', o.bias ?? true);
    const opts = { device: o.device, dtype: o.dtype };
    const shape = [...this.normalizedShape];
    this.weight = this.elementwiseAffine ? Parameter(ones(shape, opts)) : null;
    this.bias = this.elementwiseAffine && withBias ? Parameter(zeros(shape, opts)) : null;
  }
  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }
  override extraRepr(): string {
    return `${formatShape(this.normalizedShape)}, eps=${this.eps}, elementwiseAffine=${this.elementwiseAffine}`;
  }
}

export interface RMSNormOptions {
  /** Default: the machine epsilon of the input's dtype. */
  eps?: number | null;
  /** Learn a weight (ones) of shape normalizedShape (default true). */
  elementwiseAffine?: boolean;
  device?: DeviceLike;
  dtype?: DType;
}

/** RMS normalization over the trailing `normalizedShape` dims (F.rmsNorm), with a learned weight. */
export class RMSNorm extends Module {
  readonly normalizedShape: readonly number[];
  readonly eps: number | null;
  readonly elementwiseAffine: boolean;
  weight: Tensor | null;
  constructor(normalizedShape: number | readonly number[], options: RMSNormOptions = {}) {
    super();
    this.normalizedShape = normalizedShapeOf('RMSNorm', normalizedShape);
    const o = checkOptions(
      'RMSNorm',
      options,
      optionKeys<RMSNormOptions>({ eps: true, elementwiseAffine: true, device: true, dtype: true }),
    );
    this.eps = o.eps === undefined || o.eps === null ? null : checkRange('RMSNorm', 'eps', o.eps, 0);
    this.elementwiseAffine = checkBool('RMSNorm', 'elementwiseAffine', o.elementwiseAffine ?? true);
    const opts = { device: o.device, dtype: o.dtype };
    this.weight = this.elementwiseAffine ? Parameter(ones([...this.normalizedShape], opts)) : null;
  }
  forward(x: Tensor): Tensor {
    return rmsNorm(x, this.normalizedShape, this.weight, this.eps);
  }
  override extraRepr(): string {
    return `${formatShape(this.normalizedShape)}, eps=${this.eps}, elementwiseAffine=${this.elementwiseAffine}`;
  }
}
