// The one place lib reaches the addon. Every module that calls native code
// imports `native` from here, so whichever module a user imports first, the
// addon is loaded and given nodetorch's error classes before any kernel can
// throw. A binary that does not load becomes an AddonLoadError listing what
// was tried (bindings/loader.ts words it).
import { createKernelWriters } from '../../bindings/kernels.gen';
import { type AddonOrigin, loadAddon } from '../../bindings/loader';
import type { NativeAddon } from '../../bindings/native';
import { ERROR_KINDS, type ErrorKindName } from '../../bindings/codes.gen';
import {
  AddonLoadError,
  ArgumentError,
  CudaError,
  DTypeError,
  DeviceError,
  DisposedTensorError,
  DistributedError,
  IndexError,
  NativeError,
  NotCompiledError,
  OutOfMemoryError,
  ShapeError,
} from '../errors';

const loaded = loadAddon();
if (!loaded.ok) throw new AddonLoadError('', loaded.message);
// The class of each native error kind (native/op_table.js lists the kinds;
// a kind without a class here does not compile).
const ERROR_CLASS: { readonly [K in ErrorKindName]: new (op: string, message: string) => Error } = {
  Native: NativeError,
  Shape: ShapeError,
  DType: DTypeError,
  Device: DeviceError,
  Disposed: DisposedTensorError,
  Index: IndexError,
  Argument: ArgumentError,
  Cuda: CudaError,
  OutOfMemory: OutOfMemoryError,
  NotCompiled: NotCompiledError,
  Distributed: DistributedError,
};
loaded.addon.setErrorClasses(ERROR_KINDS.map((kind) => ERROR_CLASS[kind]));

/** The loaded addon, its error classes set. */
export const native: NativeAddon = loaded.addon;
/** Where it was loaded from. */
export const addonOrigin: AddonOrigin = loaded.origin;
/** One typed writer per kernel (generated from native/op_table.js). */
export const writers = createKernelWriters(native.args, native.kernels);
