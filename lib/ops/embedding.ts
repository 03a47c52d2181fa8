// Embedding lookup: rows of a [numEmbeddings, dim] weight picked by integer
// ids of any shape, one index_select. Ids outside [0, numEmbeddings) are an
// IndexError from the kernel (raised at the next sync point, as for every
// index op) naming embedding, the id and the valid range. The backward
// (lib/autograd/embedding_grad.ts) gives the weight a gradient sparse in rows.
import { ArgumentError, DTypeError, ShapeError } from '../errors';
import { kIndexSelect, sameDevice } from '../kernels/launch';
import { isFloatingDType } from '../tensor/dtype';
import { formatShape } from '../tensor/shape';
import { type Tensor, emptyTensor as empty } from '../tensor/tensor';
import { showValue } from '../validate';
import { checkTensor } from './elementwise';
import { record } from './record';
import { contiguous, reshape } from './views';

declare module './op_contexts' {
  interface OpContexts {
    /** Input [weight]; `index` holds the flattened ids. */
    embedding: EmbeddingContext;
  }
}

/** What the embedding backward needs. */
export interface EmbeddingContext {
  /** The ids, contiguous and flat [n]. */
  index: Tensor;
  numEmbeddings: number;
  dim: number;
  /** A row that gets no gradient (non-negative), or null. */
  paddingIdx: number | null;
}

/**
 * The paddingIdx as a row number: null stays null, a negative one counts from
 * the end (PyTorch); it must lie in [-numEmbeddings, numEmbeddings).
 */
export function checkPaddingIdx(op: string, paddingIdx: unknown, numEmbeddings: number): number | null {
  if (paddingIdx === null || paddingIdx === undefined) return null;
  if (
    typeof paddingIdx !== 'number' ||
    !Number.isSafeInteger(paddingIdx) ||
    paddingIdx < -numEmbeddings ||
    paddingIdx >= numEmbeddings
  )
    throw new ArgumentError(
      op,
      `paddingIdx an integer in [${-numEmbeddings}, ${numEmbeddings}) (numEmbeddings ${numEmbeddings}), got ${showValue(paddingIdx)}`,
    );
  return paddingIdx < 0 ? paddingIdx + numEmbeddings : paddingIdx;
}

/**
 * Looks up rows of `weight` ([numEmbeddings, dim]) for the int32 / int64 ids
 * of `input`: the result has shape [...input.shape, dim]. The row
 * `paddingIdx` gets no gradient.
 */
export function embedding(input: Tensor, weight: Tensor, options: { paddingIdx?: number | null } = {}): Tensor {
  const op = 'embedding';
  checkTensor(op, input, 'input');
  checkTensor(op, weight, 'weight');
  if (input.dtype !== 'int32' && input.dtype !== 'int64')
    throw new DTypeError(op, `input ids must be int32 or int64, got ${input.dtype}`);
  if (weight.ndim !== 2)
    throw new ShapeError(op, `weight must be 2-D [numEmbeddings, dim], got ${formatShape(weight.shape)}`);
  if (!isFloatingDType(weight.dtype))
    throw new DTypeError(op, `weight must be float32 or float64, got ${weight.dtype}`);
  sameDevice(op, input, weight);
  if (options === null || typeof options !== 'object')
    throw new ArgumentError(op, `options an object, got ${showValue(options)}`);
  const [numEmbeddings, dim] = weight.shape;
  const paddingIdx = checkPaddingIdx(op, options.paddingIdx, numEmbeddings);
  const index = reshape(contiguous(input), [input.numel]);
  const w = contiguous(weight);
  const out = empty([index.numel, dim], weight.dtype, weight.device);
  kIndexSelect(out, w, index, 1, numEmbeddings, dim, true);
  record('embedding', out, [w], () => ({ index, numEmbeddings, dim, paddingIdx }));
  return reshape(out, [...input.shape, dim]);
}
