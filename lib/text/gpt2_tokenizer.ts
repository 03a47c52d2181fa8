// GPT-2's byte-level BPE (50257 tokens) through js-tiktoken. Only the lite
// entry and the gpt2 ranks are loaded (not every encoding js-tiktoken ships),
// and only when the first tokenizer is made: the ranks are ~1 MB to parse.
import type { Tiktoken, TiktokenBPE } from 'js-tiktoken/lite';
import { IndexError } from '../errors';
import { checkIterable, checkString, showValue } from '../validate';
import type { Tokenizer, TokenizerJSON } from './tokenizer';

/** GPT-2's vocabulary size (50256 BPE merges + bytes, and <|endoftext|>). */
const GPT2_VOCAB = 50257;
let shared: Tiktoken | undefined;

function encoder(): Tiktoken {
  if (!shared) {
    const { Tiktoken: Impl } = require('js-tiktoken/lite') as typeof import('js-tiktoken/lite');
    shared = new Impl(require('js-tiktoken/ranks/gpt2') as TiktokenBPE);
  }
  return shared;
}

export class GPT2Tokenizer implements Tokenizer {
  /** Id of `<|endoftext|>`. */
  readonly eotToken = 50256;
  readonly vocabSize = GPT2_VOCAB;

  /** Text -> GPT-2 ids; `<|endoftext|>` in the text is encoded as plain text, as tiktoken does by default for ordinary encode. */
  encode(text: string): number[] {
    checkString('GPT2Tokenizer.encode', 'text', text);
    return encoder().encode(text, [], []);
  }

  decode(ids: readonly number[]): string {
    for (const id of checkIterable<number>('GPT2Tokenizer.decode', 'ids', ids)) {
      if (!Number.isInteger(id) || id < 0 || id >= GPT2_VOCAB)
        throw new IndexError('GPT2Tokenizer.decode', `ids in [0, ${GPT2_VOCAB}), got ${showValue(id)}`);
    }
    return encoder().decode([...ids]);
  }

  toJSON(): TokenizerJSON {
    return { kind: 'gpt2' };
  }
}
