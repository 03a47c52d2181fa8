// nodetorch.nn: modules, layers, losses, nn.functional (alias nn.F) and nn.init.
//   import { nn } from 'nodetorch'; const F = nn.functional;
export { Module } from './module';
export type { StateDict, LoadStateDictResult, ModuleTarget } from './module';
export { Parameter, isParameter } from './parameter';
export type { ParameterFactory } from './parameter';
export { Sequential, ModuleList } from './containers';
export type { TensorModule } from './containers';
export { Linear, Identity } from './linear';
export type { LinearOptions } from './linear';
export { ReLU, Sigmoid, Tanh, GELU, SiLU, Softplus, LeakyReLU, Softmax, LogSoftmax } from './activation';
export { Dropout, Flatten } from './dropout';
export { Conv1d, Conv2d } from './conv';
export type { Conv1dModuleOptions, Conv2dModuleOptions, PaddingMode } from './conv';
export { ConvTranspose2d } from './conv_transpose';
export type { ConvTranspose2dModuleOptions } from './conv_transpose';
export { Upsample } from './upsample';
export { MSELoss, CrossEntropyLoss, NLLLoss } from './loss';
export type { Reduction, CrossEntropyOptions, NLLLossOptions, MSELossOptions } from './loss_functions';
// pooling and normalization (issue 12)
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, AdaptiveMaxPool2d } from './pool';
export type { MaxPool2dOptions, AvgPool2dOptions, PoolResult } from './pool';
export { BatchNorm1d, BatchNorm2d, GroupNorm, Dropout2d } from './normalization';
export type { BatchNormOptions, GroupNormOptions } from './normalization';
// more activations and losses (issue 14)
export { ELU, Mish, Hardswish, Hardtanh } from './activation_extra';
export { L1Loss, SmoothL1Loss, HuberLoss, BCELoss, BCEWithLogitsLoss, KLDivLoss } from './loss_extra_modules';
export type {
  L1LossOptions,
  SmoothL1LossOptions,
  HuberLossOptions,
  BCELossOptions,
  BCEWithLogitsLossOptions,
  KLDivLossOptions,
  KLDivReduction,
} from './loss_extra';
// layer / RMS norm and embedding (issue 13)
export { LayerNorm, RMSNorm } from './normalization';
export type { LayerNormOptions, RMSNormOptions } from './normalization';
export { Embedding } from './embedding';
export type { EmbeddingOptions } from './embedding';
export * as functional from './functional';
export * as F from './functional';
export * as init from './init';
// language models (issue 13)
export { ModuleDict } from './containers';
/** nn.utils: gradient clipping (clipGradNorm_, clipGradValue_). */
export * as utils from './clip_grad';
// attention and the Transformer encoder (issue 13)
export { MultiheadAttention, TransformerEncoderLayer, TransformerEncoder } from './transformer';
export type {
  MultiheadAttentionOptions,
  MultiheadAttentionForwardOptions,
  AttentionResult,
  TransformerActivation,
  TransformerEncoderLayerOptions,
  TransformerEncoderForwardOptions,
  TransformerEncoderOptions,
} from './transformer';
// data parallelism (issue 16)
export * as parallel from './parallel';
