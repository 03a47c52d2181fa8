// A gradient that is zero except in some rows of a 2-D tensor: `values[k]`
// is added to row `index[k]` (repeated rows add up). The embedding backward
// returns one, so that a leaf weight's .grad is accumulated in place with the
// index_add kernel instead of through a dense [rows, cols] temporary per
// step; the engine makes it dense only where a dense gradient is needed (a
// non-leaf weight).
import { kFill, kIndexAdd } from '../kernels/launch';
import { cast } from '../ops/convert';
import { contiguous } from '../ops/views';
import { type Tensor, emptyTensor as empty } from '../tensor/tensor';

export class RowsGrad {
  constructor(
    /** Shape of the full gradient, [rows, cols]. */
    readonly shape: readonly [number, number],
    /** Contiguous int32 / int64 row of each values row, [n]. */
    readonly index: Tensor,
    /** [n, cols]. */
    readonly values: Tensor,
  ) {}

  /** Adds the rows into `target` (contiguous, of `shape`), in place. */
  addInto(target: Tensor): void {
    const v = contiguous(cast(this.values, target.dtype));
    kIndexAdd(target, v, this.index, 1, this.shape[0], this.shape[1]);
  }

  /** The dense gradient: zeros of `shape` in `dtype` with the rows added. */
  dense(dtype = this.values.dtype): Tensor {
    const out = empty(this.shape, dtype, this.values.device);
    kFill(out, 0);
    this.addInto(out);
    return out;
  }
}
