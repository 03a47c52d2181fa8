// Reverse-mode autodiff. The graph is walked in an explicit-stack
// topological order (deep graphs cannot overflow the JS stack); gradients
// of broadcast inputs are summed back to their shapes here, in one place.
import { ArgumentError, ShapeError } from '../errors';
import { formatShape, showValue } from '../tensor/shape';
import { keep } from '../tensor/scope';
import type { Storage } from '../tensor/storage';
import { type GraphNode, Tensor } from '../tensor/tensor';
import { derivatives } from './derivatives';
import { RowsGrad } from './rows_grad';
import { noGrad } from '../ops/grad_mode';
import type { OpName } from '../ops/op_contexts';
import '../ops/tensor_methods'; // gradients are summed and cast with Tensor methods

function isTensor(v: unknown): v is Tensor {
  return v instanceof Tensor;
}

/** Sums g over the dims that broadcasting added or stretched, giving `shape`. */
function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (g.ndim === shape.length && g.shape.every((s, i) => s === shape[i])) return g;
  const lead = g.ndim - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < g.ndim; ++i) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  }
  const summed = dims.length ? g.sum(dims, true) : g;
  return summed.reshape(shape as number[]);
}

function topologicalOrder(root: GraphNode): GraphNode[] {
  const order: GraphNode[] = [];
  const visited = new Set<GraphNode>([root]);
  const stack: { node: GraphNode; next: number }[] = [{ node: root, next: 0 }];
  while (stack.length) {
    const top = stack[stack.length - 1];
    if (top.next < top.node.inputs.length) {
      const t = top.node.inputs[top.next++];
      const fn = t?._gradFn;
      if (fn && !visited.has(fn)) {
        visited.add(fn);
        stack.push({ node: fn, next: 0 });
      }
    } else {
      stack.pop();
      order.push(top.node);
    }
  }
  return order.reverse();
}

/**
 * Accumulates a rows gradient into leaf.grad in place with index_add; the
 * first one allocates .grad as zeros once, so no dense temporary is made.
 */
function accumulateLeafRows(leaf: Tensor, g: RowsGrad, shared: Set<Storage>): void {
  const grad = leaf.grad;
  if (grad && !grad.isDisposed) {
    if (grad.isContiguous() && grad.dtype === leaf.dtype) g.addInto(grad);
    else grad.add_(g.dense(leaf.dtype));
    return;
  }
  const fresh = g.dense(leaf.dtype);
  shared.add(fresh._storage);
  leaf.grad = keep(fresh);
}

/** Accumulates into leaf.grad; the first gradient is owned exclusively (copied if shared). */
function accumulateLeaf(leaf: Tensor, g: Tensor, shared: Set<Storage>): void {
  let grad = g.dtype === leaf.dtype ? g : g.to(leaf.dtype);
  if (leaf.grad && !leaf.grad.isDisposed) {
    leaf.grad.add_(grad);
    return;
  }
  if (shared.has(grad._storage) || !grad.isContiguous()) grad = grad.clone();
  shared.add(grad._storage);
  leaf.grad = keep(grad);
}

export function backward(root: Tensor, gradient: Tensor | undefined, retainGraph: boolean): void {
  root._check('backward');
  if (!root.requiresGrad) {
    throw new ArgumentError('backward', 'the tensor does not require grad and has no grad_fn');
  }
  let g: Tensor;
  if (gradient === undefined) {
    if (root.numel !== 1) {
      throw new ShapeError(
        'backward',
        `grad can be implicitly created only for one-element outputs, got shape ${formatShape(root.shape)}`,
      );
    }
    g = noGrad(() => root.detach().mul(0).add(1));
  } else {
    if (!isTensor(gradient))
      throw new ArgumentError('backward', `gradient must be a Tensor, got ${showValue(gradient)}`);
    gradient._check('backward');
    if (gradient.shape.length !== root.shape.length || gradient.shape.some((s, i) => s !== root.shape[i])) {
      throw new ShapeError(
        'backward',
        `gradient shape ${formatShape(gradient.shape)} does not match output shape ${formatShape(root.shape)}`,
      );
    }
    g = gradient;
  }
  // Storages already handed to a leaf (or owned by the caller) must not be
  // accumulated into in place.
  const shared = new Set<Storage>([g._storage]);
  noGrad(() => {
    const rootFn = root._gradFn;
    if (!rootFn) {
      accumulateLeaf(root, g, shared);
      return;
    }
    const grads = new Map<GraphNode, Tensor>([[rootFn, g]]);
    for (const node of topologicalOrder(rootFn)) {
      const gOut = grads.get(node);
      grads.delete(node);
      if (!gOut) continue;
      if (node.released) {
        throw new ArgumentError(
          'backward',
          'trying to backward through the graph a second time; pass {retainGraph: true} to the first backward()',
        );
      }
      if (node.retained) node.retained.grad = keep(gOut.clone());
      const fn = derivatives[node.op as OpName] as (
        c: unknown,
        g: Tensor,
        n: readonly boolean[],
      ) => (Tensor | RowsGrad | null)[];
      const inGrads = fn(node.ctx, gOut, node.needs);
      for (let i = 0; i < node.inputs.length; ++i) {
        const input = node.inputs[i];
        const gi = inGrads[i];
        if (!input || !node.needs[i] || !gi) continue;
        const fnIn = input._gradFn;
        if (gi instanceof RowsGrad && !fnIn) {
          if (input._requiresGrad) accumulateLeafRows(input, gi, shared);
          continue;
        }
        const gs = gi instanceof RowsGrad ? gi.dense() : sumToShape(gi, input.shape);
        if (fnIn) {
          const prev = grads.get(fnIn);
          grads.set(fnIn, prev ? prev.add(gs) : gs);
        } else if (input._requiresGrad) {
          accumulateLeaf(input, gs, shared);
        }
      }
      if (!retainGraph) node.release();
    }
  });
}
