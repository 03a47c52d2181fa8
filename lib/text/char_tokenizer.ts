// A character-level tokenizer: one id per Unicode code point of the corpus it
// was built from (sorted by code point, as nanoGPT's shakespeare_char does).
// Code points rather than UTF-16 units, so an emoji is one token, not two
// halves that decode to nothing.
import { ArgumentError, IndexError } from '../errors';
import { checkIterable, checkString, showValue } from '../validate';
import type { Tokenizer, TokenizerJSON } from './tokenizer';

function codePointName(ch: string): string {
  return `U+${(ch.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0')}`;
}

export class CharTokenizer implements Tokenizer {
  /** The vocabulary: id i is chars[i]. */
  readonly chars: readonly string[];
  readonly #ids: Map<string, number>;

  /** A tokenizer over the given characters (each code point once; order = id). */
  constructor(chars: Iterable<string>) {
    const list: string[] = [];
    const ids = new Map<string, number>();
    const given = typeof chars === 'string' ? chars : checkIterable<string>('CharTokenizer', 'chars', chars);
    for (const c of given) {
      if (typeof c !== 'string' || [...c].length !== 1)
        throw new ArgumentError('CharTokenizer', `single code points, got ${showValue(c)}`);
      if (ids.has(c)) throw new ArgumentError('CharTokenizer', `each character once, got '${c}' twice`);
      ids.set(c, list.length);
      list.push(c);
    }
    if (list.length === 0) throw new ArgumentError('CharTokenizer', 'at least one character, got none');
    this.chars = list;
    this.#ids = ids;
  }

  /** The sorted unique code points of `text`. */
  static fromText(text: string): CharTokenizer {
    checkString('CharTokenizer.fromText', 'text', text);
    const unique = [...new Set(text)];
    unique.sort((a, b) => (a.codePointAt(0) as number) - (b.codePointAt(0) as number));
    return new CharTokenizer(unique);
  }

  get vocabSize(): number {
    return this.chars.length;
  }

  encode(text: string): number[] {
    checkString('CharTokenizer.encode', 'text', text);
    const out: number[] = [];
    let offset = 0;
    for (const c of text) {
      const id = this.#ids.get(c);
      if (id === undefined) {
        throw new ArgumentError(
          'CharTokenizer.encode',
          `characters of the vocabulary (${this.chars.length} chars), got '${c}' (${codePointName(c)}) at offset ${offset}`,
        );
      }
      out.push(id);
      offset += c.length;
    }
    return out;
  }

  decode(ids: readonly number[]): string {
    let s = '';
    for (const id of checkIterable<number>('CharTokenizer.decode', 'ids', ids)) {
      const c = Number.isInteger(id) ? this.chars[id] : undefined;
      if (c === undefined)
        throw new IndexError('CharTokenizer.decode', `ids in [0, ${this.chars.length}), got ${showValue(id)}`);
      s += c;
    }
    return s;
  }

  toJSON(): TokenizerJSON {
    return { kind: 'char', chars: this.chars.join('') };
  }
}
