// The typed view of the native addon. Everything that crosses N-API is an
// opaque storage handle plus numbers; shapes and strides of a kernel call go
// through the shared `args` buffer (layouts in kernels.ts).

declare const storageBrand: unique symbol;
/** Opaque, type-tagged handle to one native buffer (dtype, device, length). */
export interface StorageHandle {
  readonly [storageBrand]: true;
}

/** One function per kernel of NT_KERNEL_LIST (native/common/kernel_api.h). */
export interface NativeKernels {
  fill(out: StorageHandle): void;
  copy(out: StorageHandle, input: StorageHandle): void;
  arange(out: StorageHandle): void;
  unary(out: StorageHandle, input: StorageHandle): void;
  binary(out: StorageHandle, a: StorageHandle, b: StorageHandle): void;
  where(out: StorageHandle, cond: StorageHandle, a: StorageHandle, b: StorageHandle): void;
  reduce(out: StorageHandle, input: StorageHandle): void;
  softmax(out: StorageHandle, input: StorageHandle): void;
  softmaxBackward(dx: StorageHandle, dy: StorageHandle, y: StorageHandle): void;
  gemm(c: StorageHandle, a: StorageHandle, b: StorageHandle): void;
  crossEntropy(losses: StorageHandle, dlogits: StorageHandle | null, logits: StorageHandle, targets: StorageHandle): void;
  adam(
    params: StorageHandle[],
    grads: StorageHandle[],
    expAvg: StorageHandle[],
    expAvgSq: StorageHandle[],
    maxExpAvgSq: StorageHandle[] | null,
  ): void;
  sgd(params: StorageHandle[], grads: StorageHandle[], momentumBuffers: StorageHandle[] | null): void;
  indexSelect(out: StorageHandle, input: StorageHandle, index: StorageHandle): void;
  indexAdd(out: StorageHandle, src: StorageHandle, index: StorageHandle): void;
  gather(out: StorageHandle, input: StorageHandle, index: StorageHandle): void;
  scatterAdd(out: StorageHandle, src: StorageHandle, index: StorageHandle): void;
  random(out: StorageHandle): void;
}

/** Kernel names in NT_KERNEL_LIST order; a test checks native builds agree. */
export const KERNEL_NAMES = [
  'fill', 'copy', 'arange', 'unary', 'binary', 'where', 'reduce', 'softmax', 'softmaxBackward',
  'gemm', 'crossEntropy', 'adam', 'sgd', 'indexSelect', 'indexAdd', 'gather', 'scatterAdd', 'random',
] as const satisfies readonly (keyof NativeKernels)[];

export interface NativeBuildInfo {
  version: string;
  gemm: 'openblas' | 'fallback';
  /** The GEMM kernels that actually run on this CPU. */
  gemmDetail: string;
  cudaCompiled: boolean;
  cpuFeatures: string[];
  hardwareThreads: number;
  compiler?: string;
  sanitizers: boolean;
  kernels: string[];
}

export interface NativeDeviceMemory {
  tensors: number;
  bytes: number;
  allocated: number;
  reserved: number;
}

export interface NativeCudaStatus {
  compiled: boolean;
  available: boolean;
  reason: string;
  deviceCount: number;
}

export interface NativeAddon {
  readonly args: Float64Array;
  readonly kernels: NativeKernels;
  setErrorClasses(classes: readonly (abstract new (...a: never[]) => Error)[]): void;
  alloc(device: number, dtype: number, numel: number): StorageHandle;
  fromArray(device: number, dtype: number, data: ArrayBufferView): StorageHandle;
  toArray(handle: StorageHandle, offset: number, numel: number, out: ArrayBufferView): void;
  item(handle: StorageHandle, offset: number): number;
  dispose(handle: StorageHandle): void;
  transfer(dst: StorageHandle, dstOffset: number, src: StorageHandle, srcOffset: number, numel: number): void;
  storageInfo(handle: StorageHandle): [number, number, number, boolean];
  setNumThreads(n: number): void;
  getNumThreads(): number;
  buildInfo(): NativeBuildInfo;
  memory(): { cpu: NativeDeviceMemory; cuda: NativeDeviceMemory };
  emptyCache(): void;
  cudaStatus(): NativeCudaStatus;
  cudaInfo(): string;
  cudaEmptyCache(): void;
  cudaSynchronize(): void;
  cudaSetAllowTF32(allow: boolean): void;
}
