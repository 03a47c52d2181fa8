// The contract every tokenizer meets: text <-> token ids, and a JSON form a
// checkpoint can carry so `nodetorch generate` rebuilds the same tokenizer.

/** The JSON form of a tokenizer (`tokenizerFromJSON` reads it back). */
export type TokenizerJSON = { kind: 'char'; chars: string } | { kind: 'gpt2' };

/** Maps text to token ids and back. */
export interface Tokenizer {
  /** Number of distinct ids: every id is in [0, vocabSize). */
  readonly vocabSize: number;
  /** Text -> ids. */
  encode(text: string): number[];
  /** Ids -> text. */
  decode(ids: readonly number[]): string;
  toJSON(): TokenizerJSON;
}
