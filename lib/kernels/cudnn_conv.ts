// Whether conv2d on CUDA runs on the conv2d kernels, which the CUDA backend
// hands to cuDNN (native/cuda/conv_cudnn.cpp), or on im2col + cuBLAS
// (lib/ops/conv.ts). cuDNN is used when the plugin loaded its convolution
// entry points and nt.backends.cudnn.enabled is on (NODETORCH_CUDNN=0 turns
// it off, here and in the plugin). The algorithm search and TF32 are set at
// start-up by NODETORCH_CUDNN_BENCHMARK=1 and NODETORCH_CUDNN_ALLOW_TF32=1.
import { native } from './native';
import { ArgumentError } from '../errors';
import { showValue } from '../validate';

/** CUDA's conv2d engine, as nt.cuda.info().convEngine reports it. */
export interface CudnnConvInfo {
  /** 'cudnn' when cuDNN's convolutions are loaded, 'direct' otherwise (nodetorch's kernels). */
  engine: 'cudnn' | 'direct';
  /** Why cuDNN's convolutions are not loaded (null when they are, or when cuDNN itself is absent: see cudnnNote). */
  note: string | null;
  /** Algorithms timed per shape (cudnnFind) rather than picked by cuDNN's heuristics. */
  benchmark: boolean;
  /** float32 convolutions may use TF32 tensor cores. */
  allowTF32: boolean;
  /** Shapes whose algorithm is cached. */
  cachedShapes: number;
}

let enabled = process.env.NODETORCH_CUDNN !== '0';
let loaded: boolean | undefined;

/** The plugin's report, or null without a usable CUDA backend. */
export function cudnnConvInfo(): CudnnConvInfo | null {
  if (!native.cudaStatus().available) return null;
  const info = JSON.parse(native.cudaInfo()) as { convEngine?: CudnnConvInfo };
  return info.convEngine ?? null;
}

/** True when CUDA conv2d calls go to cuDNN. */
export function cudnnConvActive(): boolean {
  if (!enabled) return false;
  loaded ??= cudnnConvInfo()?.engine === 'cudnn';
  return loaded;
}

export function cudnnEnabled(): boolean {
  return enabled;
}

export function setCudnnEnabled(v: boolean): void {
  if (typeof v !== 'boolean')
    throw new ArgumentError('backends.cudnn.enabled', `expected a boolean, got ${showValue(v)}`);
  enabled = v;
}
