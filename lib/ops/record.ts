// Recording the autograd graph: an op that ran with grad mode on and an
// input that requires grad attaches a GraphNode (lib/tensor/tensor.ts) to its
// output, naming the op and holding what its backward formula needs (its
// context, typed per op in op_contexts.ts). The formulas themselves live one
// layer up, in lib/autograd/derivatives.ts, keyed by op name.
import { GraphNode, type Tensor } from '../tensor/tensor';
import type { OpContexts, OpName } from './op_contexts';
import { isGradEnabled } from './grad_mode';

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
    needs[i] = t?._requiresGrad === true;
    any = any || needs[i];
  }
  if (!any) return out;
  out._gradFn = new GraphNode(op, inputs, ctx(), needs);
  out._requiresGrad = true;
  return out;
}
