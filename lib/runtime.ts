// Process-level controls and information: threads, memory, build, CUDA.
import { addonOrigin, native } from './kernels/native';
import type { NativeBuildInfo } from '../bindings/native';
import { ArgumentError } from './errors';
import { FALLBACK_NOTICE } from './kernels/gemm_notice';
import { cudaLibraries } from './cuda_libraries';
import {
  type ConvEngine,
  type ConvEngineInfo,
  convEngineInfo,
  requestedConvEngine,
  setConvEngine,
} from './kernels/conv_engine';
import { type CudnnConvInfo, cudnnConvInfo, cudnnEnabled, setCudnnEnabled } from './kernels/cudnn_conv';
import { drainHandlePool, pooledStats } from './tensor/storage';
import { type DeviceLike, normalizeDevice } from './tensor/dtype';

/** Threads used by CPU kernels and by OpenBLAS together (never oversubscribed). */
export function setNumThreads(n: number): void {
  native.setNumThreads(n);
}
export function getNumThreads(): number {
  return native.getNumThreads();
}

// Devices a synchronize call covers: the one named, or every one in use.
function queueCodes(op: string, device: DeviceLike | undefined): number[] {
  if (device === undefined) return native.cudaStatus().available ? [0, 1] : [0];
  return [normalizeDevice(op, device) === 'cpu' ? 0 : 1];
}

/**
 * Resolves once every kernel queued so far (on `device`, or on every device)
 * has run, without blocking the event loop. Rejects with the first deferred
 * kernel error (an out-of-range index, out of memory) of that device.
 */
export function synchronize(device?: DeviceLike): Promise<void> {
  const waits = queueCodes('synchronize', device).map((d) => native.whenIdle(d));
  return Promise.all(waits).then(() => undefined);
}

/** The blocking twin of synchronize(). */
export function synchronizeSync(device?: DeviceLike): void {
  for (const d of queueCodes('synchronizeSync', device)) native.synchronize(d);
}

export interface DeviceMemory {
  /** Live tensor storages. */
  tensors: number;
  /** Bytes held by live storages. */
  bytes: number;
  /** Bytes the allocator handed out (including cached reuse). */
  allocated: number;
  /** Bytes the allocator holds from the system (in use + cached). */
  reserved: number;
}

/** Live tensors and bytes per device, plus allocator figures. */
export function memory(): { cpu: DeviceMemory; cuda: DeviceMemory } {
  const m = native.memory();
  // Handles parked in the small-storage pool are free to the user.
  const pooled = pooledStats();
  m.cpu.tensors -= pooled.tensors;
  m.cpu.bytes -= pooled.bytes;
  return m;
}

/** Returns cached (free) host blocks to the system. */
export function emptyCache(): void {
  drainHandlePool();
  native.emptyCache();
}

export interface Info {
  version: string;
  node: string;
  napi: string;
  /** Where the binary came from; `package` names the platform package (`@nodetorch/linux-x64@0.1.0`). */
  binary: { path: string; kind: 'override' | 'package' | 'prebuild' | 'build'; package?: string };
  gemm: NativeBuildInfo['gemm'];
  /** The GEMM kernels that actually run on this CPU (OpenBLAS core, built-in ISA). */
  gemmDetail: string;
  /** Why GEMM is not on OpenBLAS, and how to fix that; null when it is. */
  gemmNotice: string | null;
  cpuFeatures: string[];
  threads: number;
  hardwareThreads: number;
  compiler: string | undefined;
  kernels: string[];
  cuda: { compiled: boolean; available: boolean; reason: string; deviceCount: number };
  /** The CPU conv2d engine (float32): the one in use, the one asked for, and oneDNN's state (why it is unavailable). */
  convEngine: ConvEngineInfo;
}

/** What was loaded and how it will run. */
export function info(): Info {
  const b = native.buildInfo();
  return {
    version: b.version,
    node: process.version,
    napi: process.versions.napi ?? 'unknown',
    binary: {
      path: addonOrigin.path,
      kind: addonOrigin.kind,
      ...(addonOrigin.package ? { package: addonOrigin.package } : {}),
    },
    gemm: b.gemm,
    gemmDetail: b.gemmDetail,
    gemmNotice: b.gemm === 'openblas' ? null : FALLBACK_NOTICE,
    cpuFeatures: b.cpuFeatures,
    threads: native.getNumThreads(),
    hardwareThreads: b.hardwareThreads,
    compiler: b.compiler,
    kernels: b.kernels,
    cuda: native.cudaStatus(),
    convEngine: convEngineInfo(),
  };
}

export interface CudaDeviceInfo {
  [key: string]: unknown;
}

/** nt.cuda: availability, device information and the device allocator. */
export const cuda = {
  /** True when a driver, a device and cuBLAS were found. */
  isAvailable(): boolean {
    return native.cudaStatus().available;
  },
  deviceCount(): number {
    return native.cudaStatus().deviceCount;
  },
  /** Why CUDA is not used (empty string when it is). */
  unavailableReason(): string {
    return native.cudaStatus().reason;
  },
  /** Device, capability, memory, driver and library versions. */
  info(): CudaDeviceInfo {
    return JSON.parse(native.cudaInfo()) as CudaDeviceInfo;
  },
  emptyCache(): void {
    native.cudaEmptyCache();
  },
  synchronize(): void {
    native.cudaSynchronize();
  },
  /** Where cuBLAS / cuDNN were found, or every folder tried (needs no GPU). */
  libraries: cudaLibraries,
};

/** The cuDNN settings the CUDA plugin reads once, at start-up. */
function startupOnly(name: string, variable: string): ArgumentError {
  return new ArgumentError(
    `backends.cudnn.${name}`,
    `is read from ${variable} when CUDA starts; set ${variable}=1 in the environment before starting the process`,
  );
}

let tf32 = false;
/** nt.backends.cuda.matmul.allowTF32, as in PyTorch (off by default). */
export const backends = {
  cuda: {
    matmul: {
      get allowTF32(): boolean {
        return tf32;
      },
      set allowTF32(v: boolean) {
        if (typeof v !== 'boolean') throw new ArgumentError('allowTF32', 'expected a boolean');
        tf32 = v;
        if (native.cudaStatus().compiled) native.cudaSetAllowTF32(v);
      },
    },
  },
  /** The CPU conv2d engine for float32: 'onednn' (when libdnnl.so.2 loads) or 'builtin' (im2col + GEMM). */
  conv: {
    /** The engine asked for (NODETORCH_CONV_ENGINE sets the initial value); info().convEngine.engine is the one in use. */
    get engine(): ConvEngine {
      return requestedConvEngine();
    },
    set engine(v: ConvEngine) {
      setConvEngine(v);
    },
  },
  /** cuDNN on CUDA, like torch.backends.cudnn (conv2d; activations and softmax follow NODETORCH_CUDNN). */
  cudnn: {
    /** conv2d on CUDA runs on cuDNN when it is loaded (true) or on im2col + cuBLAS (false); NODETORCH_CUDNN=0 starts it off. */
    get enabled(): boolean {
      return cudnnEnabled();
    },
    set enabled(v: boolean) {
      setCudnnEnabled(v);
    },
    /** Algorithms timed per shape (cudnnFind) instead of cuDNN's heuristics: set NODETORCH_CUDNN_BENCHMARK=1 before start. */
    get benchmark(): boolean {
      return process.env.NODETORCH_CUDNN_BENCHMARK === '1';
    },
    set benchmark(_v: boolean) {
      throw startupOnly('benchmark', 'NODETORCH_CUDNN_BENCHMARK');
    },
    /** float32 convolutions may use TF32 (off, unlike PyTorch's default): set NODETORCH_CUDNN_ALLOW_TF32=1 before start. */
    get allowTF32(): boolean {
      return process.env.NODETORCH_CUDNN_ALLOW_TF32 === '1';
    },
    set allowTF32(_v: boolean) {
      throw startupOnly('allowTF32', 'NODETORCH_CUDNN_ALLOW_TF32');
    },
    /** The engine CUDA conv2d uses and the cached shapes; null without a usable CUDA backend. */
    info(): CudnnConvInfo | null {
      return cudnnConvInfo();
    },
  },
};
