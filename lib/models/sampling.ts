// Picking the next token from logits: temperature, top-k, nucleus (top-p),
// then one draw from the softmax, all on the device (no host read).
import { ArgumentError } from '../errors';
import { softmax } from '../ops/activation';
import { lt, sub } from '../ops/elementwise';
import { gather } from '../ops/index_ops';
import { argmax, sum } from '../ops/reduce';
import { multinomial } from '../ops/sampling';
import { cumsum, sort, topk } from '../ops/sort_scan';
import { maskedFill } from '../ops/triangular';
import type { Generator } from '../tensor/random';
import type { Tensor } from '../tensor/tensor';
import { checkOptions, optionKeys, showValue } from '../validate';
import '../ops/tensor_methods'; // this module calls Tensor methods

/** How the next token is picked from the logits. */
export interface SampleOptions {
  /** Divides the logits (default 1); 0 picks the most likely token (greedy, no randomness). */
  temperature?: number;
  /** Keep only the k most likely tokens. */
  topK?: number;
  /** Keep the smallest set of most likely tokens whose probability reaches topP (nucleus sampling), in (0, 1]. */
  topP?: number;
  /** The random stream (default: the one nt.manualSeed seeds). */
  generator?: Generator;
}

const KEYS = optionKeys<SampleOptions & { useCache: boolean }>({
  temperature: true,
  topK: true,
  topP: true,
  generator: true,
  useCache: true,
});

/** Checked options; throws ArgumentError naming the bad one. */
function checkSample(options: SampleOptions): SampleOptions {
  const op = 'GPT.generate';
  const o = checkOptions(op, options, KEYS);
  const { temperature = 1, topK, topP } = o;
  if (typeof temperature !== 'number' || !(temperature >= 0) || !Number.isFinite(temperature))
    throw new ArgumentError(op, `temperature a finite number >= 0, got ${showValue(temperature)}`);
  if (topK !== undefined && (!Number.isInteger(topK) || topK < 1))
    throw new ArgumentError(op, `topK an integer >= 1, got ${showValue(topK)}`);
  if (topP !== undefined && (typeof topP !== 'number' || !(topP > 0 && topP <= 1)))
    throw new ArgumentError(op, `topP in (0, 1], got ${showValue(topP)}`);
  return o;
}

/**
 * logits [B, V] -> next ids [B, 1] (int64). Top-k keeps the tokens whose
 * logit is at least the k-th largest; top-p keeps, in descending order, each
 * token whose preceding probability mass is below topP (so at least one),
 * i.e. every logit at least the last kept one (ties at the cut are kept).
 */
export function sampleNext(logits: Tensor, options: SampleOptions = {}): Tensor {
  const { temperature = 1, topK, topP, generator } = checkSample(options);
  if (temperature === 0) return argmax(logits, -1, true);
  let l = temperature === 1 ? logits : logits.div(temperature);
  const V = l.shape[l.ndim - 1];
  if (topK !== undefined && topK < V) {
    const kth = topk(l, topK, { dim: -1 }).values.narrow(-1, topK - 1, 1);
    l = maskedFill(l, lt(l, kth), -Infinity);
  }
  if (topP !== undefined && topP < 1) {
    const sorted = sort(l, { dim: -1, descending: true }).values;
    const p = softmax(sorted, -1);
    const before = sub(cumsum(p, -1), p); // mass of the tokens ranked above each one
    const kept = sum(lt(before, topP), -1, true); // >= 1: the first has 0 before it
    const cut = gather(sorted, -1, kept.sub(1));
    l = maskedFill(l, lt(l, cut), -Infinity);
  }
  return multinomial(softmax(l, -1), 1, { replacement: true, generator });
}
