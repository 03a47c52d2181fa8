// nt.save / nt.load: tensors <-> safetensors files. Saving copies each tensor
// to host memory (a contiguous copy, from CUDA too) and writes atomically
// (temp file + fsync + rename), so a crash never leaves a torn checkpoint.
// Loading validates the whole file first (FileFormatError on anything
// malformed), then creates the tensors on the requested device.
import { ArgumentError } from '../errors';
import { type DeviceLike, normalizeDevice } from '../tensor/dtype';
import { tensor } from '../tensor/creation';
import { Tensor } from '../tensor/tensor';
import type { RawData, RawTensor } from './raw_tensor';
import { loadSafetensorsFile, saveSafetensorsFile } from './safetensors';
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

/** Writes named tensors (and optional string metadata) to a safetensors file. */
export function save(stateDict: TensorDict | Checkpoint, path: string): void {
  if (typeof stateDict !== 'object' || stateDict === null) {
    throw new ArgumentError(
      'save',
      `a record of tensors or {tensors, metadata}, got ${stateDict === null ? 'null' : typeof stateDict}`,
    );
  }
  if (typeof path !== 'string' || path === '') throw new ArgumentError('save', `a file path, got ${String(path)}`);
  const { tensors, metadata } = isCheckpoint(stateDict) ? stateDict : { tensors: stateDict, metadata: undefined };
  const raw: Record<string, RawTensor> = {};
  for (const [name, t] of Object.entries(tensors)) {
    if (!(t instanceof Tensor))
      throw new ArgumentError(
        'save',
        `tensor values, got ${t === null ? 'null' : typeof t} for ${JSON.stringify(name)}`,
      );
    t._check('save');
    raw[name] = toRaw(t);
  }
  saveSafetensorsFile(path, raw, metadata);
}

/** Reads a safetensors file into named tensors and its metadata. */
export function loadCheckpoint(path: string, options: LoadOptions = {}): Required<Checkpoint> {
  if (typeof options !== 'object' || options === null)
    throw new ArgumentError('load', `options must be an object, got ${options === null ? 'null' : typeof options}`);
  const device = normalizeDevice('load', options.device ?? 'cpu');
  const { tensors, metadata } = loadSafetensorsFile(path);
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

/** Reads the tensors of a safetensors file (use `loadCheckpoint` for its metadata too). */
export function load(path: string, options: LoadOptions = {}): TensorDict {
  return loadCheckpoint(path, options).tensors;
}
