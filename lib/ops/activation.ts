// Activations and (log-)softmax. Backward passes use the fused backward
// kernels (ReluBackward, SigmoidBackward, ... and softmaxBackward).
import { UnaryOp } from '../../bindings/codes.gen';
import { record } from './record';
import { ArgumentError } from '../errors';
import { isFloatingDType } from '../tensor/dtype';
import { normalizeDim } from '../tensor/shape';
import { type Tensor, emptyTensor as empty } from '../tensor/tensor';
import { cast } from './convert';
import { checkTensor } from './elementwise';
import { kSoftmax, kUnary } from '../kernels/launch';
import { contiguous, transpose } from './views';

function activation(op: string, code: UnaryOp, x: Tensor, p0 = 0): Tensor {
  checkTensor(op, x);
  const xf = isFloatingDType(x.dtype) ? x : cast(x, 'float32');
  const out = empty(x.shape, xf.dtype, x.device);
  kUnary(code, out, xf, p0);
  return out;
}

export function gelu(x: Tensor): Tensor {
  const out = activation('gelu', UnaryOp.Gelu, x);
  return record('gelu', out, [x], () => ({ x }));
}

declare module './op_contexts' {
  interface OpContexts {
    geluTanh: { x: Tensor };
  }
}

/** GELU, tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), one fused kernel each way. */
export function geluTanh(x: Tensor): Tensor {
  const out = activation('gelu', UnaryOp.GeluTanh, x);
  return record('geluTanh', out, [x], () => ({ x }));
}

export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  if (typeof negativeSlope !== 'number')
    throw new ArgumentError('leaky_relu', `negativeSlope must be a number, got ${typeof negativeSlope}`);
  const out = activation('leaky_relu', UnaryOp.LeakyRelu, x, negativeSlope);
  return record('leakyRelu', out, [x], () => ({ x, slope: negativeSlope }));
}

/** Runs a row-wise kernel over `dim` by moving it last (a copy only when needed). */
export function alongLastDim(x: Tensor, dim: number, run: (src: Tensor, rows: number, cols: number) => Tensor): Tensor {
  const d = normalizeDim('softmax', dim, x.ndim);
  const last = Math.max(x.ndim - 1, 0);
  const moved = d === last ? x : transpose(x, d, last);
  const src = contiguous(moved);
  const cols = x.ndim === 0 ? 1 : x.shape[d];
  const rows = cols === 0 ? 0 : x.numel / cols;
  const res = run(src, rows, cols);
  return d === last ? res : transpose(res, d, last);
}

function softmaxImpl(op: 'softmax' | 'logSoftmax', x: Tensor, dim: number): Tensor {
  checkTensor(op, x);
  const xf = isFloatingDType(x.dtype) ? x : cast(x, 'float32');
  const d = normalizeDim(op, dim, x.ndim);
  const log = op === 'logSoftmax';
  return alongLastDim(xf, d, (src, rows, cols) => {
    const out = empty(src.shape, src.dtype, src.device);
    kSoftmax(out, src, rows, cols, log);
    return record(op, out, [src], () => ({ out }));
  });
}

export const softmax = (x: Tensor, dim: number): Tensor => softmaxImpl('softmax', x, dim);
export const logSoftmax = (x: Tensor, dim: number): Tensor => softmaxImpl('logSoftmax', x, dim);
