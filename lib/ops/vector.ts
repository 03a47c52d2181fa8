// Vector norms and products: norm (torch.norm / linalg.vector_norm), dot and
// outer. norm is one recorded op whose backward (lib/autograd/derivatives.ts)
// is PyTorch's: a zero norm gets a zero gradient (sqrt(sum(x^2)) built from
// ops would give NaN there), and the maximum of |x| shares its gradient
// evenly among ties.
import { ArgumentError, DTypeError, ShapeError } from '../errors';
import { isFloatingDType } from '../tensor/dtype';
import { formatShape, normalizeDims } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';
import { checkBool, showValue } from '../validate';
import { cast } from './convert';
import * as ew from './elementwise';
import { noGrad } from './grad_mode';
import { record } from './record';
import { amax, amin, sum } from './reduce';
import { abs, sqrt } from './unary.gen';
import { unsqueeze } from './views';

declare module './op_contexts' {
  interface OpContexts {
    norm: { x: Tensor; out: Tensor; p: number; dims: number[]; keepdim: boolean };
  }
}

/** The order of a norm: a number (Infinity and -Infinity included) or 'fro' (= 2). */
export type NormOrder = number | 'fro';

function order(op: string, p: unknown): number {
  if (p === 'fro') return 2;
  if (typeof p !== 'number' || Number.isNaN(p)) {
    throw new ArgumentError(op, `p a number, Infinity, -Infinity or 'fro', got ${showValue(p)}`);
  }
  return p;
}

/** The norm's value; the op records it once, so nothing here records. */
function normValue(x: Tensor, p: number, dims: number[], keepdim: boolean): Tensor {
  const a = abs(x);
  if (p === 2) return sqrt(sum(ew.mul(x, x), dims, keepdim));
  if (p === 1) return sum(a, dims, keepdim);
  if (p === Infinity) return amax(a, dims, keepdim);
  if (p === -Infinity) return amin(a, dims, keepdim);
  if (p === 0) return cast(sum(ew.ne(x, 0), dims, keepdim), x.dtype);
  return ew.pow(sum(ew.pow(a, p), dims, keepdim), 1 / p);
}

/**
 * torch.norm / torch.linalg.vector_norm: (sum |x|^p)^(1/p) over dim (every
 * dim by default); p = Infinity is max |x|, -Infinity min |x|, 0 the count
 * of nonzeros. Float tensors only.
 */
export function norm(x: Tensor, p: NormOrder = 'fro', dim?: number | number[], keepdim = false): Tensor {
  const op = 'norm';
  ew.checkTensor(op, x);
  const q = order(op, p);
  if (!isFloatingDType(x.dtype)) {
    throw new DTypeError(op, `a floating point input, got ${x.dtype} (convert it with .float())`);
  }
  const dims = normalizeDims(op, dim, x.ndim);
  checkBool(op, 'keepdim', keepdim);
  if ((q === Infinity || q === -Infinity) && dims.some((d) => x.shape[d] === 0)) {
    throw new ShapeError(op, `the ${q}-norm of an empty dimension is undefined (shape ${formatShape(x.shape)})`);
  }
  const out = noGrad(() => normValue(x, q, dims, keepdim));
  return record('norm', out, [x], () => ({ x, out, p: q, dims, keepdim }));
}

function vector(op: string, name: string, t: unknown): Tensor {
  const v = ew.checkTensor(op, t, name);
  if (v.ndim !== 1) throw new ShapeError(op, `${name} must be 1-D, got shape ${formatShape(v.shape)}`);
  return v;
}

/** torch.dot: the inner product of two 1-D tensors of one length. */
export function dot(a: Tensor, b: Tensor): Tensor {
  vector('dot', 'input', a);
  vector('dot', 'other', b);
  if (a.shape[0] !== b.shape[0]) {
    throw new ShapeError('dot', `both vectors must have one length, got ${a.shape[0]} and ${b.shape[0]}`);
  }
  return sum(ew.mul(a, b));
}

/** torch.outer: out[i][j] = a[i] * b[j] for 1-D a and b. */
export function outer(a: Tensor, b: Tensor): Tensor {
  vector('outer', 'input', a);
  vector('outer', 'vec2', b);
  return ew.mul(unsqueeze(a, 1), unsqueeze(b, 0));
}
