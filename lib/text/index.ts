// nt.text: tokenizers and the default corpus for language models.
export type { Tokenizer, TokenizerJSON } from './tokenizer';
export { CharTokenizer } from './char_tokenizer';
export { GPT2Tokenizer } from './gpt2_tokenizer';
export { tokenizerFromJSON } from './from_json';
export { defaultCorpus } from './corpus';
