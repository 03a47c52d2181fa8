// Rebuilds a tokenizer from its JSON form (as stored in a checkpoint).
import { ArgumentError } from '../errors';
import { showValue } from '../validate';
import { CharTokenizer } from './char_tokenizer';
import { GPT2Tokenizer } from './gpt2_tokenizer';
import type { Tokenizer } from './tokenizer';

/** The tokenizer that `tokenizer.toJSON()` (or its JSON string) describes. */
export function tokenizerFromJSON(json: unknown): Tokenizer {
  let value: unknown = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (e) {
      throw new ArgumentError(
        'tokenizerFromJSON',
        `a tokenizer's JSON text, got invalid JSON: ${(e as Error).message}`,
      );
    }
  }
  const o = value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  if (o.kind === 'gpt2') return new GPT2Tokenizer();
  if (o.kind === 'char' && typeof o.chars === 'string') return new CharTokenizer(o.chars);
  throw new ArgumentError(
    'tokenizerFromJSON',
    `{kind: 'char', chars} or {kind: 'gpt2'}, got ${showValue(value).slice(0, 80)}`,
  );
}
