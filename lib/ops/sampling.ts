// Categorical sampling: nt.multinomial. The multinomial kernel
// (native/cpu/multinomial.cpp, its CUDA twin) draws with inverse-CDF on one
// Philox uniform per sample, from the generator's counter stream, so a seed
// gives the same samples on every device. The rows are checked first, in
// one small read of per-row counts and sums (a wait for the device), so bad
// weights throw here, naming the row, rather than at a later read.
import { ArgumentError, DTypeError, ShapeError } from '../errors';
import { kCopy, kMultinomial } from '../kernels/launch';
import { isFloatingDType } from '../tensor/dtype';
import { Generator, defaultGenerator } from '../tensor/random';
import { formatShape } from '../tensor/shape';
import { type Tensor, emptyTensor as empty } from '../tensor/tensor';
import { checkOptions, optionKeys, showValue } from '../validate';
import { cast, data } from './convert';
import { checkTensor, ge, logicalNot, ne } from './elementwise';
import { stack } from './join';
import { sum } from './reduce';
import { reshape } from './views';

/** Options of nt.multinomial. */
export interface MultinomialOptions {
  /** Draw with replacement (default false: each category at most once per row). */
  replacement?: boolean;
  /** The random stream (default: the one nt.manualSeed seeds). */
  generator?: Generator;
}

const KEYS = optionKeys<MultinomialOptions>({ replacement: true, generator: true });

/** Throws for the first row with a negative, NaN or infinite weight, no positive weight, or too few of them. */
function checkRows(op: string, w: Tensor, numSamples: number, replacement: boolean, oneRow: boolean): void {
  const bad = cast(sum(logicalNot(ge(w, 0)), 1), 'float64');
  const total = sum(cast(w, 'float64'), 1); // as the kernel sums: no float32 overflow to inf
  const nonzero = cast(sum(ne(w, 0), 1), 'float64');
  const stats = data(stack([bad, total, nonzero]));
  const rows = w.shape[0];
  for (let r = 0; r < rows; ++r) {
    const where = oneRow ? 'the weights' : `row ${r} of the weights`;
    if (stats[r] > 0)
      throw new ArgumentError(op, `${where} must be non-negative and not NaN, got a negative or NaN value`);
    const t = stats[rows + r];
    if (!Number.isFinite(t)) throw new ArgumentError(op, `${where} must be finite, got a sum of ${t}`);
    if (!(t > 0)) throw new ArgumentError(op, `${where} must have a positive sum, got ${t}`);
    const n = stats[2 * rows + r];
    if (!replacement && n < numSamples)
      throw new ArgumentError(
        op,
        `cannot draw ${numSamples} samples without replacement: ${where} has only ${n} non-zero categories`,
      );
  }
}

/**
 * torch.multinomial: `numSamples` category indices (int64) per row of the
 * non-negative weights `probs` ([C] or [N, C]; not necessarily normalized).
 * Without replacement (the default) a row's samples are distinct and
 * numSamples is at most its number of non-zero weights; zero-weight
 * categories are never drawn. Reproducible with nt.manualSeed (or
 * `generator`), identically on CPU and CUDA.
 */
export function multinomial(probs: Tensor, numSamples: number, options?: MultinomialOptions): Tensor {
  const op = 'multinomial';
  checkTensor(op, probs);
  const o = checkOptions(op, options, KEYS);
  const replacement = o.replacement ?? false;
  if (typeof replacement !== 'boolean')
    throw new ArgumentError(op, `replacement a boolean, got ${showValue(replacement)}`);
  const gen = o.generator ?? defaultGenerator;
  if (!(gen instanceof Generator)) throw new ArgumentError(op, `generator an nt.Generator, got ${showValue(gen)}`);
  if (!isFloatingDType(probs.dtype)) throw new DTypeError(op, `probs must be float32 or float64, got ${probs.dtype}`);
  if (probs.ndim !== 1 && probs.ndim !== 2)
    throw new ShapeError(op, `probs must be 1-D or 2-D, got ${formatShape(probs.shape)}`);
  const cats = probs.shape[probs.ndim - 1];
  if (cats === 0) throw new ShapeError(op, `probs must have at least one category, got ${formatShape(probs.shape)}`);
  if (typeof numSamples !== 'number' || !Number.isSafeInteger(numSamples) || numSamples < 1)
    throw new ArgumentError(op, `numSamples a positive integer, got ${showValue(numSamples)}`);
  if (!replacement && numSamples > cats)
    throw new ArgumentError(op, `cannot draw ${numSamples} samples without replacement from ${cats} categories`);
  const oneRow = probs.ndim === 1;
  const p2 = oneRow ? reshape(probs.detach(), [1, cats]) : probs.detach();
  const rows = p2.shape[0];
  const out = empty([rows, numSamples], 'int64', probs.device);
  if (rows > 0) {
    checkRows(op, p2, numSamples, replacement, oneRow);
    // Without replacement the kernel zeroes drawn weights: it gets its own copy.
    const reuse = replacement && p2.isContiguous();
    const w = reuse ? p2 : empty(p2.shape, p2.dtype, p2.device);
    if (!reuse) kCopy(w, p2);
    kMultinomial(out, w, replacement, gen.seed, gen.take(rows * numSamples));
    if (!reuse) w.dispose();
  }
  return oneRow ? reshape(out, [numSamples]) : out;
}
