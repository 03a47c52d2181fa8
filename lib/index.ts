// nodetorch: deep learning for Node.js on native kernels.
//   import * as nt from 'nodetorch'
// The Tensor methods (x.add(y), loss.backward(), ...) are declared and
// attached by the layers that implement them; these imports load them.
import './ops/tensor_methods';
import './autograd/tensor_methods';

export { Tensor } from './tensor/tensor';
export type { TensorOrScalar, NestedArray } from './tensor/tensor';
export type { DType, Device, DeviceLike, TypedArrayFor } from './tensor/dtype';
export type { TensorOptions, TensorData, SizeArgs } from './tensor/creation';
export {
  tensor,
  empty,
  zeros,
  ones,
  full,
  arange,
  linspace,
  eye,
  rand,
  randn,
  randint,
  randperm,
  zerosLike,
  onesLike,
  fullLike,
  emptyLike,
  randLike,
  randnLike,
} from './tensor/creation';
export { manualSeed, Generator } from './tensor/random';
export { scope, keep } from './tensor/scope';

export {
  add,
  sub,
  mul,
  div,
  pow,
  maximum,
  minimum,
  clamp,
  eq,
  ne,
  lt,
  le,
  gt,
  ge,
  logicalAnd,
  logicalOr,
  logicalNot,
  where,
} from './ops/elementwise';
export * from './ops/unary.gen';
export { gelu, leakyRelu, softmax, logSoftmax } from './ops/activation';
export {
  sum,
  mean,
  prod,
  max,
  min,
  amax,
  amin,
  argmax,
  argmin,
  logsumexp,
  variance,
  variance as var,
  std,
} from './ops/reduce';
export type { ValuesIndices } from './ops/reduce';
export { matmul, mm, bmm } from './ops/linalg';
export { conv1d, conv2d } from './ops/conv';
export type { Conv1dOptions, Conv2dOptions } from './ops/conv';
export { convTranspose2d } from './ops/conv_transpose';
export type { ConvTranspose2dOptions } from './ops/conv_transpose';
export type { InterpolateMode, InterpolateOptions } from './ops/interpolate';
export { cat, stack } from './ops/join';
export { scaledDotProductAttention } from './ops/attention';
export type { ScaledDotProductAttentionOptions } from './ops/attention';
export {
  reshape,
  view,
  flatten,
  squeeze,
  unsqueeze,
  transpose,
  permute,
  expand,
  narrow,
  split,
  chunk,
} from './ops/views';
export { indexSelect, gather, scatterAdd, oneHot } from './ops/index_ops';
// language-model tensor ops (issue 13)
export { tril, triu, maskedFill } from './ops/triangular';
export { sort, argsort, topk, cumsum } from './ops/sort_scan';
export type { SortOptions, TopkOptions, CumsumOptions } from './ops/sort_scan';
export { multinomial } from './ops/sampling';
export { isnan, isinf, isfinite, isclose, allclose, equal, all, any } from './ops/predicates';
export type { IsCloseOptions } from './ops/predicates';
export { norm, dot, outer } from './ops/vector';
export type { NormOrder } from './ops/vector';
export { clone, select } from './ops/views';
export { roll, meshgrid } from './ops/rearrange';
export type { MeshgridOptions } from './ops/rearrange';
export type { MultinomialOptions } from './ops/sampling';
export { repeat, flip } from './ops/tile';
export { share, fromShared, shareStateDict, fromSharedStateDict, releaseShared } from './ops/share';
export type { SharedTensor, SharedStateDict } from './ops/share';

export { noGrad, enableGrad, isGradEnabled, setGradEnabled } from './ops/grad_mode';
import { gradcheck } from './autograd/gradcheck';
import { grad } from './autograd/grad';
import { AutogradFunction, FunctionCtx } from './autograd/function';
export type { GradcheckOptions } from './autograd/gradcheck';
/** nt.autograd.gradcheck(fn, inputs): float64 finite-difference check. */
export const autograd = { gradcheck, grad, Function: AutogradFunction, FunctionCtx };

export {
  setNumThreads,
  getNumThreads,
  memory,
  emptyCache,
  info,
  cuda,
  backends,
  synchronize,
  synchronizeSync,
} from './runtime';
export type { DeviceMemory, Info, CudaDeviceInfo } from './runtime';

export {
  NodetorchError,
  ShapeError,
  DTypeError,
  DeviceError,
  DisposedTensorError,
  IndexError,
  ArgumentError,
  NativeError,
  CudaError,
  OutOfMemoryError,
  NotCompiledError,
  FileFormatError,
  FileError,
  AddonLoadError,
  DistributedError,
} from './errors';

/** Neural network modules, layers, losses, nn.functional and nn.init. */
export * as nn from './nn';

/** Optimizers (SGD, Adam, AdamW, RMSprop), optim.lrScheduler, optimizer checkpoints. */
export * as optim from './optim';
/** Datasets, TensorDataset and the DataLoader (data.datasets = datasets). */
export * as data from './data';
/** Ready-made datasets: MNIST, FashionMNIST, CIFAR10, defaultCorpus (Moby-Dick, for language models). */
export * as datasets from './data/datasets';
/** Checkpoints: named tensors <-> safetensors files. */
export { save, load, loadCheckpoint, saveAsync, loadAsync, loadCheckpointAsync } from './io/checkpoint';
export type { TensorDict, Checkpoint, LoadOptions } from './io/checkpoint';
/** Tokenizers (CharTokenizer, GPT2Tokenizer, tokenizerFromJSON) and the default corpus. */
export * as text from './text';
/** Ready-made models: GPT (GPT-2's architecture, Hugging Face state-dict names). */
export * as models from './models';
export type { ConvEngine, ConvEngineInfo } from './kernels/conv_engine';

// tensor and module hooks, autograd.grad (double backward), autograd.Function (issue 14)
export type { GradOptions } from './autograd/grad';
export type { FunctionCtx, FunctionDefinition, FunctionGrads } from './autograd/function';
export type { RemovableHandle } from './autograd/hooks';
export { NotDifferentiableError } from './errors';

/** A dataset file that no mirror could deliver (datasets.MNIST / FashionMNIST with `download: true`). */
export { DownloadError } from './errors';
export type { DownloadAttempt } from './errors';
/** Collectives across processes (MPI; launch with `nodetorch run -n N`). */
export * as distributed from './distributed';
export type { CudnnConvInfo } from './kernels/cudnn_conv';
