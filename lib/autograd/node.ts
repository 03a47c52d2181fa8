// A node of the autograd graph: the op that produced a tensor, its inputs
// and what its backward formula needs (its context). Formulas live in one
// table, derivatives.ts, keyed by op name.
import type { Tensor } from '../tensor/tensor';
import type { OpContexts, OpName } from './op_contexts';
import { isGradEnabled } from './grad_mode';

export class GraphNode<K extends OpName = OpName> {
  /** Set by retainGrad(): the tensor whose .grad this node's gradient fills. */
  retained: Tensor | null = null;
  released = false;
  constructor(
    readonly op: K,
    public inputs: readonly (Tensor | null)[],
    public ctx: OpContexts[K],
    /** Which inputs need a gradient. */
    readonly needs: readonly boolean[],
  ) {}

  /** PyTorch-style name, e.g. `MulBackward`. */
  get name(): string {
    return `${this.op[0].toUpperCase()}${this.op.slice(1)}Backward`;
  }

  /** Drops saved tensors so their memory can go (after a backward pass). */
  release(): void {
    this.released = true;
    this.ctx = null as unknown as OpContexts[K];
  }
}

/**
 * Attaches a graph node to `out` when grad mode is on and any input requires
 * grad. The context is built lazily so ops pay nothing when not recording.
 */
export function record<K extends OpName>(
  op: K,
  out: Tensor,
  inputs: readonly (Tensor | null)[],
  ctx: () => OpContexts[K],
): Tensor {
  if (!isGradEnabled()) return out;
  let any = false;
  const needs = new Array<boolean>(inputs.length);
  for (let i = 0; i < inputs.length; ++i) {
    const t = inputs[i];
    needs[i] = t !== null && t._requiresGrad;
    any = any || needs[i];
  }
  if (!any) return out;
  out._gradFn = new GraphNode(op, inputs, ctx(), needs);
  out._requiresGrad = true;
  return out;
}
