// nt.models: ready-made models.
export { GPT, GPTTransformer, GPTCache } from './gpt';
export type { GenerateOptions, GPTOutput } from './gpt';
export type { GPTConfig } from './gpt_config';
export type { SampleOptions } from './sampling';
export { Block, CausalSelfAttention, Conv1D, MLP } from './gpt_layers';
export type { LayerKV } from './gpt_layers';
