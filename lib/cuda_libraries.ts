// Where the CUDA libraries were looked for and found (nt.cuda.libraries(),
// `nodetorch info`), read from the addon without needing a GPU or driver.
import { native } from './kernels/native';

/** One loaded library, or the error that lists every file tried. */
interface CudaLibrary {
  path: string | null;
  error: string | null;
}

export interface CudaLibraries {
  compiled: boolean;
  cublas?: CudaLibrary;
  cudnn?: CudaLibrary;
  /** Folders in search order, with why each is searched. */
  searched?: { dir: string; source: string }[];
  /** Every site-packages folder examined for nvidia-* wheels and torch/lib. */
  sitePackages?: string[];
  /** What asking the python3 on PATH for its site-packages gave. */
  python?: string;
}

/** Searches for (and loads) cuBLAS and cuDNN; reports where, or every folder tried. */
export function cudaLibraries(): CudaLibraries {
  return JSON.parse(native.cudaLibraries()) as CudaLibraries;
}

/** A launch for the host twin of the CUDA deferred index check (tests). */
export interface DeferredIndexLaunch {
  op: 'cross_entropy' | 'index_select' | 'index_add' | 'gather' | 'scatter_add' | 'embedding';
  index: number[];
  size: number;
  dim?: number;
  ignore?: number;
}

/** The IndexError message the next CUDA sync point would raise after these launches, or null (tests). */
export function deferredIndexErrorTwin(launches: DeferredIndexLaunch[]): string | null {
  return native.deferredIndexErrorTwin(launches);
}
