// The typed view of the native addon. Everything that crosses N-API is an
// opaque storage handle plus numbers; shapes and strides of a kernel call go
// through the shared `args` buffer (kernels and their writers are generated:
// kernels.gen.ts).
import type { NativeKernels, StorageHandle } from './kernels.gen';

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

interface NativeDeviceMemory {
  tensors: number;
  bytes: number;
  allocated: number;
  reserved: number;
}

interface NativeCudaStatus {
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
  /** Waits for the device's queued kernels; throws the first deferred kernel error. */
  synchronize(device: number): void;
  /** Resolves (or rejects with the deferred error) once the work queued so far has run. */
  whenIdle(device: number): Promise<void>;
  /**
   * Waits for this thread's queued kernels on the storage's device, then
   * registers its buffer process-wide for another thread; returns the token.
   */
  shareStorage(handle: StorageHandle): string;
  /** A handle of this thread over the buffer registered under `token` (removed: one adoption per token). */
  adoptStorage(token: string): StorageHandle;
  /** Drops a registered buffer that will never be adopted; false when the token is not registered. */
  releaseShared(token: string): boolean;
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
  /** JSON: where cuBLAS/cuDNN were looked for and found (no GPU needed). */
  cudaLibraries(): string;
  /** Test hooks of the CUDA backend (stub libraries, fallbacks). */
  cudaTestHook(name: string): string;
  /** Host twin of the CUDA deferred index check: the error message or null. */
  /** @internal Bench only: the FMA-loop FLOP peak on `threads` threads for about `seconds` (native/cpu/fma_peak.h). */
  benchFmaPeak(threads: number, seconds: number): { gflops: number; seconds: number; isa: string };
  deferredIndexErrorTwin(launches: { op: string; index: number[]; size: number }[]): string | null;
  /** oneDNN (the CPU conv2d engine), loaded on the first call: whether it is usable, or why not. */
  onednnStatus(): { available: boolean; reason: string; path: string; version: string };
  /** Why the MPI library at `library` cannot be used ('' when it can); opens it (once per path). */
  distUnavailable(library: string): string;
  /** MPI_Init_thread on the communication thread: [rank, worldSize]. */
  distInit(library: string, timeoutMs: number): [number, number];
  /** Why the nccl backend cannot run here ('' when it can): no CUDA device, no plugin, no or too old libnccl.so.2. */
  distNcclUnavailable(): string;
  /** JSON {path, version, error} of libnccl.so.2 (loads it without a device; the CUDA plugin must be present). */
  distNcclLibrary(): string;
  /**
   * The nccl group: with an MPI `library`, MPI gives rank and size and carries
   * the NCCL unique id; with '' the arguments do and the id goes through
   * `idFile`. Selects device localRank % deviceCount. [rank, worldSize].
   */
  distInitNccl(
    library: string,
    localRank: number,
    rank: number,
    size: number,
    idFile: string,
    timeoutMs: number,
  ): [number, number];
  /**
   * One collective (kind: allReduce 0, broadcast 1, allGather 2, reduceScatter 3,
   * barrier 4; op: sum 0, avg 1, max 2, min 3) over contiguous element ranges;
   * a promise when `async`, else it blocks up to timeoutMs.
   */
  distCollective(
    kind: number,
    op: number,
    root: number,
    input: StorageHandle | null,
    inOffset: number,
    count: number,
    output: StorageHandle | null,
    outOffset: number,
    async: boolean,
    timeoutMs: number,
    worldSize: number,
  ): Promise<void> | undefined;
  /** Marks the group broken after a timeout; pending promises stop holding the process. */
  distAbandon(): void;
  distFinalize(timeoutMs: number): void;
  distState(): { initialized: boolean; finalized: boolean; broken: boolean };
}
