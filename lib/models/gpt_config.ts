// GPT's hyperparameters, checked once, and the JSON form a checkpoint keeps.
import { ArgumentError } from '../errors';
import { checkBool, checkClosedRange, checkOptions, checkPositiveInt, optionKeys, showValue } from '../validate';

/** The shape of a GPT (GPT-2 small: nLayer 12, nHead 12, nEmbd 768, blockSize 1024, vocabSize 50257). */
export interface GPTConfig {
  nLayer: number;
  nHead: number;
  /** Width of the residual stream; a multiple of nHead. */
  nEmbd: number;
  /** Longest sequence (number of learned positions). */
  blockSize: number;
  vocabSize: number;
  /** Dropout on embeddings, attention weights and residual branches while training (default 0). */
  dropout?: number;
  /** Biases in the linear layers and LayerNorms (default true, as GPT-2). */
  bias?: boolean;
}

/** A config with every field present and checked. */
export type ResolvedGPTConfig = Required<GPTConfig>;

const KEYS = optionKeys<GPTConfig>({
  nLayer: true,
  nHead: true,
  nEmbd: true,
  blockSize: true,
  vocabSize: true,
  dropout: true,
  bias: true,
});

/** Checks a config (typed errors naming the field) and fills in the defaults. */
export function resolveGPTConfig(config: GPTConfig): ResolvedGPTConfig {
  const op = 'GPT';
  if (config === null || typeof config !== 'object')
    throw new ArgumentError(op, `a config object, got ${showValue(config)}`);
  const c = checkOptions(op, config, KEYS);
  const out: ResolvedGPTConfig = {
    nLayer: checkPositiveInt(op, 'nLayer', c.nLayer),
    nHead: checkPositiveInt(op, 'nHead', c.nHead),
    nEmbd: checkPositiveInt(op, 'nEmbd', c.nEmbd),
    blockSize: checkPositiveInt(op, 'blockSize', c.blockSize),
    vocabSize: checkPositiveInt(op, 'vocabSize', c.vocabSize),
    dropout: c.dropout === undefined ? 0 : checkClosedRange(op, 'dropout', c.dropout, 0, 1),
    bias: c.bias === undefined ? true : checkBool(op, 'bias', c.bias),
  };
  if (out.dropout === 1) throw new ArgumentError(op, 'dropout in [0, 1), got 1');
  if (out.nEmbd % out.nHead !== 0)
    throw new ArgumentError(op, `nEmbd divisible by nHead, got nEmbd ${out.nEmbd} and nHead ${out.nHead}`);
  return out;
}
