// The error family. Every message names the operation, what was expected
// and what was given. Native errors arrive as these classes too: the addon
// receives the constructors at init (lib/kernels/native.ts) and throws them.

/** Base class of every error nodetorch throws on purpose. */
export class NodetorchError extends Error {
  /** Operation that failed, e.g. `matmul`. */
  readonly op: string;
  constructor(op: string, message: string) {
    super(op ? `${op}: ${message}` : message);
    this.op = op;
    this.name = new.target.name;
  }
}

/** Shapes that do not fit the operation. */
export class ShapeError extends NodetorchError {}
/** Wrong or unsupported dtype. */
export class DTypeError extends NodetorchError {}
/** Tensors on different devices. (An unavailable device raises CudaError or NotCompiledError.) */
export class DeviceError extends NodetorchError {}
/** A tensor used after `dispose()`. */
export class DisposedTensorError extends NodetorchError {}
/** An index value out of range (gather, index_select, class targets, ...). */
export class IndexError extends NodetorchError {}
/** A malformed argument: wrong JS type, NaN or negative size, bad option. */
export class ArgumentError extends NodetorchError {}
/** Failure inside native code (including CUDA). */
export class NativeError extends NodetorchError {}
/** A CUDA runtime, cuBLAS or cuDNN error. */
export class CudaError extends NativeError {}
/** An allocation that could not be satisfied, with the sizes involved. */
export class OutOfMemoryError extends NativeError {}
/** The addon was built without the requested backend (e.g. CUDA). */
export class NotCompiledError extends NativeError {}
/** A malformed file (IDX, safetensors): names the file and the byte offset. */
export class FileFormatError extends NodetorchError {
  readonly file: string;
  readonly offset: number | undefined;
  constructor(file: string, message: string, offset?: number) {
    super('', `${file}${offset !== undefined ? ` (byte ${offset})` : ''}: ${message}`);
    this.file = file;
    this.offset = offset;
  }
}
/**
 * A file that could not be read (missing, a directory, no permission): names
 * the file and the system error code (`ENOENT`, `EISDIR`, `EACCES`, ...).
 */
export class FileError extends NodetorchError {
  readonly file: string;
  readonly code: string;
  constructor(op: string, file: string, code: string, message: string) {
    super(op, `cannot read ${file}: ${message} (${code})`);
    this.file = file;
    this.code = code;
  }
}
/** The native addon could not be loaded. Lists every place that was tried. */
export class AddonLoadError extends NodetorchError {}

/** A second derivative requested through an op whose backward is a fused, first-order-only kernel. */
export class NotDifferentiableError extends NodetorchError {}
/**
 * A collective failed or did not finish within the process group's timeout
 * (a peer died or stopped), or the distributed backend (libmpi, libnccl) is
 * missing. After a timeout the process group is unusable.
 */
export class DistributedError extends NodetorchError {}
