// nt.save / nt.load: tensors <-> safetensors files. Saving copies each tensor
// to host memory (a contiguous copy, from CUDA too) and writes atomically
// (temp file + fsync + rename), so a crash never leaves a torn checkpoint.
// Loading validates the whole file first (FileFormatError on anything
// malformed), then creates the tensors on the requested device.
// saveAsync / loadAsync / loadCheckpointAsync are the same with fs.promises
// (Node's convention: the sync names stay sync, the promise versions get a
// suffix): the event loop is free during the file I/O.
import { ArgumentError } from '../errors';
import { showValue } from '../validate';
import { type DeviceLike, normalizeDevice } from '../tensor/dtype';
import { tensor } from '../tensor/creation';
import { Tensor } from '../tensor/tensor';
import type { RawData, RawTensor } from './raw_tensor';
import {
  type SafetensorsContents,
  loadSafetensorsFile,
  loadSafetensorsFileAsync,
  saveSafetensorsFile,
  saveSafetensorsFileAsync,
} from './safetensors';
import '../ops/tensor_methods'; // this module calls Tensor methods

/** Named tensors, e.g. `model.stateDict()`. */
export type TensorDict = Record<string, Tensor>;

/** Tensors plus string metadata (stored in the file's `__metadata__`). */
export interface Checkpoint {
  tensors: TensorDict;
  metadata?: Record<string, string>;
}

export interface LoadOptions {
  /** Where the loaded tensors live (default 'cpu'). */
  device?: DeviceLike;
}

function isCheckpoint(v: TensorDict | Checkpoint): v is Checkpoint {
  const keys = Object.keys(v);
  return (
    'tensors' in v &&
    !(v.tensors instanceof Tensor) &&
    typeof v.tensors === 'object' &&
    v.tensors !== null &&
    keys.every((k) => k === 'tensors' || k === 'metadata')
  );
}

/** A host copy of t's elements in the file's layout. */
function toRaw(t: Tensor): RawTensor {
  return { dtype: t.dtype, shape: t.shape.slice(), data: t.data() as RawData };
}

function fromRaw(r: RawTensor, device: DeviceLike = 'cpu'): Tensor {
  return tensor(r.data, { dtype: r.dtype, shape: r.shape, device });
}

/** Checks save's arguments and copies every tensor to the host, in the file's layout. */
function prepareSave(
  op: string,
  stateDict: TensorDict | Checkpoint,
  path: string,
): { raw: Record<string, RawTensor>; metadata: Record<string, string> | undefined } {
  if (typeof stateDict !== 'object' || stateDict === null) {
    throw new ArgumentError(
      op,
      `a record of tensors or {tensors, metadata}, got ${stateDict === null ? 'null' : typeof stateDict}`,
    );
  }
  if (typeof path !== 'string' || path === '') throw new ArgumentError(op, `a file path, got ${showValue(path)}`);
  const { tensors, metadata } = isCheckpoint(stateDict) ? stateDict : { tensors: stateDict, metadata: undefined };
  const raw: Record<string, RawTensor> = {};
  for (const [name, t] of Object.entries(tensors)) {
    if (!(t instanceof Tensor))
      throw new ArgumentError(op, `tensor values, got ${t === null ? 'null' : typeof t} for ${JSON.stringify(name)}`);
    t._check(op);
    raw[name] = toRaw(t);
  }
  return { raw, metadata };
}

/** Writes named tensors (and optional string metadata) to a safetensors file. */
export function save(stateDict: TensorDict | Checkpoint, path: string): void {
  const { raw, metadata } = prepareSave('save', stateDict, path);
  saveSafetensorsFile(path, raw, metadata);
}

/**
 * `save` that returns a promise, as `fs.promises.writeFile` is to
 * `fs.writeFileSync`: the same file, written atomically the same way (temp
 * file, fsync, rename), with the event loop free during the file I/O.
 *
 * The tensors are copied into the file's bytes before it returns, so changing
 * them afterwards (an optimizer step) does not change what is written.
 * Rejects with the errors `save` throws (ArgumentError, DisposedTensorError,
 * the fs error).
 */
export function saveAsync(stateDict: TensorDict | Checkpoint, path: string): Promise<void> {
  try {
    const { raw, metadata } = prepareSave('saveAsync', stateDict, path);
    return saveSafetensorsFileAsync(path, raw, metadata);
  } catch (e) {
    return Promise.reject(e);
  }
}

function checkLoadOptions(op: string, options: LoadOptions): DeviceLike {
  if (typeof options !== 'object' || options === null)
    throw new ArgumentError(op, `options must be an object, got ${options === null ? 'null' : typeof options}`);
  return normalizeDevice(op, options.device ?? 'cpu');
}

/** The tensors of parsed file contents, on `device` (all created, or none). */
function toCheckpoint({ tensors, metadata }: SafetensorsContents, device: DeviceLike): Required<Checkpoint> {
  const out: TensorDict = {};
  try {
    for (const [name, r] of Object.entries(tensors)) {
      Object.defineProperty(out, name, {
        value: fromRaw(r, device),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  } catch (e) {
    for (const t of Object.values(out)) t.dispose();
    throw e;
  }
  return { tensors: out, metadata };
}

/** Reads a safetensors file into named tensors and its metadata. */
export function loadCheckpoint(path: string, options: LoadOptions = {}): Required<Checkpoint> {
  const device = checkLoadOptions('load', options);
  return toCheckpoint(loadSafetensorsFile(path), device);
}

/**
 * `loadCheckpoint` that returns a promise: the file is read with
 * fs.promises, then validated and turned into tensors as `loadCheckpoint`
 * does. Rejects with the errors it throws (FileFormatError, ArgumentError,
 * the fs error).
 */
export async function loadCheckpointAsync(path: string, options: LoadOptions = {}): Promise<Required<Checkpoint>> {
  const device = checkLoadOptions('load', options);
  return toCheckpoint(await loadSafetensorsFileAsync(path), device);
}

/** Reads the tensors of a safetensors file (use `loadCheckpoint` for its metadata too). */
export function load(path: string, options: LoadOptions = {}): TensorDict {
  return loadCheckpoint(path, options).tensors;
}

/** `load` that returns a promise (see `loadCheckpointAsync`). */
export async function loadAsync(path: string, options: LoadOptions = {}): Promise<TensorDict> {
  return (await loadCheckpointAsync(path, options)).tensors;
}
