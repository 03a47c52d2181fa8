// nn.functional.normalize and cosineSimilarity, as PyTorch 1.13 defines them:
// normalize divides by max(norm, eps); cosine similarity divides the dot
// product by sqrt(max(|x1|^2 |x2|^2, eps^2)). Both from recorded ops, so
// their gradients follow (zero where eps clamps).
import { ArgumentError } from '../errors';
import { checkTensor, clamp, div, mul } from '../ops/elementwise';
import { sum } from '../ops/reduce';
import { sqrt } from '../ops/unary.gen';
import { type NormOrder, norm } from '../ops/vector';
import { expand } from '../ops/views';
import { broadcastShapes, normalizeDim } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';
import { checkOptions, checkRange, optionKeys, showValue } from '../validate';

export interface NormalizeOptions {
  /** The norm's order (default 2). */
  p?: NormOrder;
  /** The dim to normalize along (default 1). */
  dim?: number;
  /** Smallest divisor (default 1e-12). */
  eps?: number;
}

export interface CosineSimilarityOptions {
  /** The dim of the vectors (default 1). */
  dim?: number;
  /** Smallest product of norms (default 1e-8). */
  eps?: number;
}

const NORMALIZE_KEYS = optionKeys<NormalizeOptions>({ p: true, dim: true, eps: true });
const COSINE_KEYS = optionKeys<CosineSimilarityOptions>({ dim: true, eps: true });

function dimOption(op: string, v: unknown, ndim: number): number {
  if (v === undefined) return normalizeDim(op, 1, ndim);
  if (typeof v !== 'number') throw new ArgumentError(op, `dim an integer, got ${showValue(v)}`);
  return normalizeDim(op, v, ndim);
}

/** x / max(||x||_p along dim, eps): unit vectors along dim (F.normalize). */
export function normalize(x: Tensor, options?: NormalizeOptions): Tensor {
  const op = 'normalize';
  checkTensor(op, x);
  const o = checkOptions(op, options, NORMALIZE_KEYS);
  const eps = o.eps === undefined ? 1e-12 : checkRange(op, 'eps', o.eps, 0);
  const dim = dimOption(op, o.dim, x.ndim);
  return div(x, clamp(norm(x, o.p ?? 2, dim, true), eps));
}

/** Cosine of the angle between x1 and x2 along dim, broadcasting (F.cosineSimilarity). */
export function cosineSimilarity(x1: Tensor, x2: Tensor, options?: CosineSimilarityOptions): Tensor {
  const op = 'cosineSimilarity';
  checkTensor(op, x1, 'x1');
  checkTensor(op, x2, 'x2');
  const o = checkOptions(op, options, COSINE_KEYS);
  const eps = o.eps === undefined ? 1e-8 : checkRange(op, 'eps', o.eps, 0);
  const shape = broadcastShapes(op, x1.shape, x2.shape);
  const dim = dimOption(op, o.dim, shape.length);
  const a = expand(x1, shape);
  const b = expand(x2, shape);
  const dotted = sum(mul(a, b), dim);
  const squares = mul(sum(mul(a, a), dim), sum(mul(b, b), dim));
  return div(dotted, sqrt(clamp(squares, eps * eps)));
}
