// What a kernel launch needs of a tensor, as a structural type: the kernels
// layer sits below lib/tensor and never imports it. A Tensor fits as it is.
import { ShapeError } from '../errors';
import { formatShape } from '../validate';
import type { StorageHandle } from '../../bindings/kernels.gen';

/** Shape of a kernel operand (element counts per dim). */
export type Shape = readonly number[];

/** A strided view of one native storage: the part of a Tensor a launch reads. */
export interface KernelTensor {
  readonly shape: Shape;
  /** Element strides of each dim. */
  readonly strides: readonly number[];
  /** Element offset of [0, ..., 0] in the storage. */
  readonly offset: number;
  readonly numel: number;
  readonly ndim: number;
  readonly dtype: string;
  readonly device: 'cpu' | 'cuda';
  /** The native handle; throws DisposedTensorError (naming op) when disposed. */
  _handle(op: string): StorageHandle;
}

/** Strides that view a tensor of (shape, strides) as `target` (broadcast dims get stride 0). */
export function broadcastStrides(op: string, shape: Shape, strides: readonly number[], target: Shape): number[] {
  const n = target.length;
  const off = n - shape.length;
  if (off < 0) throw new ShapeError(op, `cannot broadcast ${formatShape(shape)} to ${formatShape(target)}`);
  const out = new Array<number>(n);
  for (let i = 0; i < n; ++i) {
    if (i < off) {
      out[i] = 0;
      continue;
    }
    const d = shape[i - off];
    if (d === target[i]) out[i] = strides[i - off];
    else if (d === 1) out[i] = 0;
    else throw new ShapeError(op, `cannot broadcast ${formatShape(shape)} to ${formatShape(target)}`);
  }
  return out;
}
