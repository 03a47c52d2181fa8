// nn.functional (also nn.F): stateless layer functions. Activations, linear
// and one-hot are the tensor ops themselves; dropout, flatten and the choice
// of GELU form are defined here; losses live in loss_functions.ts.
import { RandomKind } from '../../bindings/codes.gen';
import { ArgumentError, DTypeError } from '../errors';
import { gelu as geluErf, geluTanh } from '../ops/activation';
import { checkTensor, mul } from '../ops/elementwise';
import { kRandom } from '../kernels/launch';
import { flatten as flattenView } from '../ops/views';
import { isFloatingDType } from '../tensor/dtype';
import { defaultGenerator } from '../tensor/random';
import { type Tensor, emptyTensor as empty } from '../tensor/tensor';
import { checkBool, checkClosedRange, showValue } from '../validate';

export { leakyRelu, softmax, logSoftmax } from '../ops/activation';
export { relu, sigmoid, silu, softplus, tanh } from '../ops/unary.gen';
export { linear } from '../ops/linalg';
export { oneHot } from '../ops/index_ops';
export { conv1d, conv2d } from '../ops/conv';
export type { Conv1dOptions, Conv2dOptions } from '../ops/conv';
export { convTranspose2d } from '../ops/conv_transpose';
export type { ConvTranspose2dOptions } from '../ops/conv_transpose';
export { interpolate } from '../ops/interpolate';
export type { InterpolateMode, InterpolateOptions } from '../ops/interpolate';
export { pad } from '../ops/pad';
export type { PadMode } from '../ops/pad';
export { crossEntropy, nllLoss, mseLoss } from './loss_functions';
export type { Reduction, CrossEntropyOptions, NLLLossOptions, MSELossOptions } from './loss_functions';
// pooling and normalization (issue 12)
export {
  maxPool2d,
  maxPool2dWithIndices,
  avgPool2d,
  adaptiveAvgPool2d,
  adaptiveMaxPool2d,
} from '../ops/pool';
export type { Size2, AdaptiveSize } from '../ops/pool';
export { batchNorm, groupNorm } from '../ops/normalization';
export { normalize, cosineSimilarity } from './similarity';
export type { NormalizeOptions, CosineSimilarityOptions } from './similarity';
export { dropout2d } from './normalization';
// layer / RMS norm and embedding (issue 13)
export { layerNorm, rmsNorm } from '../ops/layer_norm';
export { embedding } from '../ops/embedding';
// attention (issue 13)
export { scaledDotProductAttention } from '../ops/attention';
export type { ScaledDotProductAttentionOptions } from '../ops/attention';

/** GELU: exact (erf) by default, or PyTorch's tanh approximation (one fused kernel). */
export function gelu(x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
  checkTensor('gelu', x);
  if (approximate === 'none') return geluErf(x);
  if (approximate !== 'tanh')
    throw new ArgumentError('gelu', `approximate 'none' or 'tanh', got ${showValue(approximate)}`);
  return geluTanh(x);
}

/**
 * Zeroes each element with probability p and scales the rest by 1/(1-p)
 * while training; the identity otherwise. The mask comes from the global
 * generator (nt.manualSeed), so runs are reproducible.
 */
export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
  checkTensor('dropout', x);
  checkClosedRange('dropout', 'probability p', p, 0, 1);
  checkBool('dropout', 'training', training);
  if (!training || p === 0) return x;
  if (!isFloatingDType(x.dtype)) throw new DTypeError('dropout', `a floating point input, got ${x.dtype}`);
  if (p === 1) return mul(x, 0);
  const keep = 1 - p;
  const mask = empty(x.shape, x.dtype, x.device);
  // Bernoulli kind: mask = u < keep ? 1/keep : 0.
  if (mask.numel)
    kRandom(mask, RandomKind.Bernoulli, defaultGenerator.seed, defaultGenerator.take(mask.numel), keep, 1 / keep);
  return mul(x, mask);
}

/** torch.flatten: merges dims startDim..endDim (a view when possible). */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  return flattenView(x, startDim, endDim);
}
// more losses (issue 14)
export { l1Loss, smoothL1Loss, huberLoss, binaryCrossEntropy, binaryCrossEntropyWithLogits, klDiv } from './loss_extra';
export type {
  L1LossOptions,
  SmoothL1LossOptions,
  HuberLossOptions,
  BCELossOptions,
  BCEWithLogitsLossOptions,
  KLDivLossOptions,
  KLDivReduction,
} from './loss_extra';
// more activations (issue 14)
export { elu, mish, hardswish, hardtanh } from './activation_extra';
