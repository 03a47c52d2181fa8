// nn.init: in-place initialisers with PyTorch's exact formulas. Each runs
// under noGrad (so it works on parameters) and returns its tensor.
import { noGrad } from '../ops/grad_mode';
import { ArgumentError, ShapeError } from '../errors';
import { checkTensor } from '../ops/elementwise';
import { formatShape } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';
import { checkNumber, checkOptions, optionKeys, showValue } from '../validate';
import '../ops/tensor_methods'; // this module calls Tensor methods

/** Nonlinearities known to calculateGain (PyTorch's names; 'leakyRelu' is accepted too). */
export type Nonlinearity =
  | 'linear'
  | 'identity'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'conv_transpose1d'
  | 'conv_transpose2d'
  | 'conv_transpose3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leaky_relu'
  | 'leakyRelu'
  | 'selu';

/** Which fan kaiming init preserves: 'fanIn' keeps forward variance, 'fanOut' backward. */
export type FanMode = 'fanIn' | 'fanOut' | 'fan_in' | 'fan_out';

export interface KaimingOptions {
  /** Negative slope of the leaky ReLU that follows (default 0). */
  a?: number;
  mode?: FanMode;
  nonlinearity?: Nonlinearity;
}

/** The recommended gain for a nonlinearity (torch.nn.init.calculate_gain). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'identity':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'conv_transpose1d':
    case 'conv_transpose2d':
    case 'conv_transpose3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.sqrt(2);
    case 'leaky_relu':
    case 'leakyRelu': {
      const slope = checkNumber('calculateGain', 'negative slope', param ?? 0.01);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new ArgumentError('calculateGain', `a known nonlinearity, got ${showValue(nonlinearity)}`);
  }
}

/** fanIn = size(1) * receptive field, fanOut = size(0) * receptive field. */
export function calculateFanInAndFanOut(t: Tensor): { fanIn: number; fanOut: number } {
  checkTensor('calculateFanInAndFanOut', t);
  if (t.ndim < 2)
    throw new ShapeError(
      'init',
      `a tensor with at least 2 dims to compute fan in and fan out, got ${formatShape(t.shape)}`,
    );
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: t.shape[1] * receptive, fanOut: t.shape[0] * receptive };
}

function fanFor(op: string, t: Tensor, mode: FanMode): number {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  if (mode === 'fanIn' || mode === 'fan_in') return fanIn;
  if (mode === 'fanOut' || mode === 'fan_out') return fanOut;
  throw new ArgumentError(op, `mode 'fanIn' or 'fanOut', got ${showValue(mode)}`);
}

function inPlace(op: string, t: Tensor, fn: () => void): Tensor {
  checkTensor(op, t);
  noGrad(fn);
  return t;
}

export function uniform_(t: Tensor, a = 0, b = 1): Tensor {
  return inPlace('uniform_', t, () => t.uniform_(a, b));
}

export function normal_(t: Tensor, mean = 0, std = 1): Tensor {
  return inPlace('normal_', t, () => t.normal_(mean, std));
}

export function constant_(t: Tensor, value: number): Tensor {
  return inPlace('constant_', t, () => t.fill_(value));
}

export const zeros_ = (t: Tensor): Tensor => constant_(t, 0);
export const ones_ = (t: Tensor): Tensor => constant_(t, 1);

/** U(-a, a) with a = gain * sqrt(6 / (fanIn + fanOut)). */
export function xavierUniform_(t: Tensor, gain = 1): Tensor {
  checkTensor('xavierUniform_', t);
  checkNumber('xavierUniform_', 'gain', gain);
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -bound, bound);
}

/** N(0, std^2) with std = gain * sqrt(2 / (fanIn + fanOut)). */
export function xavierNormal_(t: Tensor, gain = 1): Tensor {
  checkTensor('xavierNormal_', t);
  checkNumber('xavierNormal_', 'gain', gain);
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)));
}

function kaimingStd(op: string, t: Tensor, options: KaimingOptions): number | null {
  const o = checkOptions(op, options, optionKeys<KaimingOptions>({ a: true, mode: true, nonlinearity: true }));
  const fan = fanFor(op, t, o.mode ?? 'fanIn');
  // PyTorch warns and leaves a zero-element tensor untouched.
  if (fan === 0 || t.numel === 0) return null;
  return calculateGain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0) / Math.sqrt(fan);
}

/** U(-bound, bound) with bound = gain * sqrt(3 / fan) (He et al. 2015). */
export function kaimingUniform_(t: Tensor, options: KaimingOptions = {}): Tensor {
  checkTensor('kaimingUniform_', t);
  const std = kaimingStd('kaimingUniform_', t, options);
  if (std === null) return t;
  const bound = Math.sqrt(3) * std;
  return uniform_(t, -bound, bound);
}

/** N(0, std^2) with std = gain / sqrt(fan). */
export function kaimingNormal_(t: Tensor, options: KaimingOptions = {}): Tensor {
  checkTensor('kaimingNormal_', t);
  const std = kaimingStd('kaimingNormal_', t, options);
  if (std === null) return t;
  return normal_(t, 0, std);
}

// truncated normal and orthogonal (issue 14)
export { truncNormal_, orthogonal_ } from './init_extra';
