// Reverse-mode autodiff. The graph is walked in an explicit-stack
// topological order (deep graphs cannot overflow the JS stack); gradients
// of broadcast inputs are summed back to their shapes here, in one place.
import { ArgumentError, ShapeError } from '../errors';
import { formatShape, showValue } from '../tensor/shape';
import { keep } from '../tensor/scope';
import type { Storage } from '../tensor/storage';
import { type GradHook, type GraphNode, Tensor } from '../tensor/tensor';
import { RowsGrad } from './rows_grad';
import { enableGrad, noGrad } from '../ops/grad_mode';
import { type Formula, formulaFor } from './double_backward';
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

function topologicalOrder(roots: readonly GraphNode[]): GraphNode[] {
  const order: GraphNode[] = [];
  const visited = new Set<GraphNode>(roots);
  const stack: { node: GraphNode; next: number }[] = roots.map((node) => ({ node, next: 0 })).reverse();
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

/** Checks `gradient` against `root` or makes the implicit ones for a one-element root. */
export function seedGradient(op: string, root: Tensor, gradient: Tensor | undefined | null): Tensor {
  if (gradient === undefined || gradient === null) {
    if (root.numel !== 1) {
      throw new ShapeError(
        op,
        `grad can be implicitly created only for one-element outputs, got shape ${formatShape(root.shape)}`,
      );
    }
    return noGrad(() => root.detach().mul(0).add(1));
  }
  if (!isTensor(gradient)) throw new ArgumentError(op, `gradient must be a Tensor, got ${showValue(gradient)}`);
  gradient._check(op);
  if (gradient.shape.length !== root.shape.length || gradient.shape.some((s, i) => s !== root.shape[i])) {
    throw new ShapeError(
      op,
      `gradient shape ${formatShape(gradient.shape)} does not match output shape ${formatShape(root.shape)}`,
    );
  }
  return gradient;
}

/** Runs gradient hooks in registration order; a hook may return a replacement of the same shape. */
function runHooks(hooks: readonly GradHook[] | null, g: Tensor): Tensor {
  if (!hooks?.length) return g;
  let out = g;
  for (const hook of hooks.slice()) {
    const r = hook(out);
    if (r === undefined) continue;
    if (!isTensor(r))
      throw new ArgumentError('registerHook', `a hook must return a Tensor or nothing, got ${showValue(r)}`);
    if (r.shape.length !== out.shape.length || r.shape.some((s, i) => s !== out.shape[i])) {
      throw new ShapeError(
        'registerHook',
        `a hook returned a gradient of shape ${formatShape(r.shape)}, expected ${formatShape(out.shape)}`,
      );
    }
    out = r;
  }
  return out;
}

function hasLeafHooks(t: Tensor): boolean {
  return !!(t._gradHooks?.length || t._postAccumulateHooks?.length);
}

/** What a pass does: accumulate into leaves (backward) or capture the gradients of `inputs` (autograd.grad). */
export interface PassOptions {
  op: string;
  retainGraph: boolean;
  createGraph: boolean;
  /** autograd.grad: the tensors whose gradients are returned; no .grad is touched. */
  inputs?: readonly Tensor[];
}

/**
 * Nodes that lead to one of `targets` (autograd.grad runs only these).
 * `order` is root first, so its reverse meets every input before its users.
 */
function nodesLeadingTo(order: readonly GraphNode[], targets: ReadonlySet<Tensor>): Set<GraphNode> {
  const needed = new Set<GraphNode>();
  for (let k = order.length - 1; k >= 0; --k) {
    const node = order[k];
    for (const t of node.inputs) {
      if (!t) continue;
      if (targets.has(t) || (t._gradFn && needed.has(t._gradFn))) {
        needed.add(node);
        break;
      }
    }
  }
  return needed;
}

/**
 * The engine: one pass from `roots` (seeded with `seeds`) down the graph.
 * Returns the captured gradients of opts.inputs (null where none arrived).
 */
export function runBackward(roots: readonly Tensor[], seeds: readonly Tensor[], opts: PassOptions): (Tensor | null)[] {
  const targets = opts.inputs ? new Set<Tensor>(opts.inputs) : null;
  const captured = new Map<Tensor, Tensor>();
  // Storages already handed to a leaf (or owned by the caller) must not be
  // accumulated into in place.
  const shared = new Set<Storage>(seeds.map((g) => g._storage));
  // Leaves with hooks (and captured leaves) get their gradients summed first,
  // so a hook sees the whole gradient of the pass once, as in PyTorch.
  const buffered = new Map<Tensor, Tensor>();
  const pending = new Map<Tensor, number>();
  const isBuffered = (t: Tensor): boolean => (targets ? targets.has(t) : t._requiresGrad && hasLeafHooks(t));
  const addTo = (t: Tensor, g: Tensor): void => {
    const prev = buffered.get(t);
    buffered.set(t, prev ? prev.add(g) : g);
  };
  const flushLeaf = (leaf: Tensor): void => {
    const g = buffered.get(leaf);
    buffered.delete(leaf);
    if (!g) return;
    const gh = runHooks(leaf._gradHooks, g);
    // A hook may return a tensor it still owns: .grad must not alias it.
    if (gh !== g) shared.add(gh._storage);
    if (targets) {
      captured.set(leaf, gh);
      return;
    }
    accumulateLeaf(leaf, gh, shared);
    for (const hook of leaf._postAccumulateHooks?.slice() ?? []) hook(leaf);
  };
  const settle = (leaf: Tensor): void => {
    const left = (pending.get(leaf) ?? 0) - 1;
    pending.set(leaf, left);
    if (left === 0) flushLeaf(leaf);
  };

  const pass = (): void => {
    const grads = new Map<GraphNode, Tensor>();
    const rootNodes: GraphNode[] = [];
    const rootLeaves: Tensor[] = [];
    roots.forEach((root, k) => {
      const fn = root._gradFn;
      if (fn) {
        const prev = grads.get(fn);
        grads.set(fn, prev ? prev.add(seeds[k]) : seeds[k]);
        if (!rootNodes.includes(fn)) rootNodes.push(fn);
      } else if (isBuffered(root)) {
        pending.set(root, (pending.get(root) ?? 0) + 1);
        rootLeaves.push(root);
        addTo(root, seeds[k]);
      } else if (!targets) {
        accumulateLeaf(root, seeds[k], shared);
      }
    });
    const order = topologicalOrder(rootNodes);
    const needed = targets ? nodesLeadingTo(order, targets) : null;
    const targetOf = new Map<GraphNode, Tensor>();
    for (const t of opts.inputs ?? []) if (t._gradFn) targetOf.set(t._gradFn, t);
    const runs = (node: GraphNode): boolean => !needed || needed.has(node) || targetOf.has(node);
    for (const node of order) {
      if (!runs(node)) continue;
      node.inputs.forEach((t, i) => {
        if (t && !t._gradFn && node.needs[i] && isBuffered(t)) pending.set(t, (pending.get(t) ?? 0) + 1);
      });
    }
    for (const t of rootLeaves) settle(t); // the roots' own contributions
    for (const node of order) {
      if (!runs(node)) continue;
      let gOut = grads.get(node);
      grads.delete(node);
      if (gOut) {
        if (node.released) {
          throw new ArgumentError(
            opts.op,
            'trying to backward through the graph a second time; pass {retainGraph: true} to the first backward()',
          );
        }
        gOut = runHooks(node.hooks, gOut);
        const target = targetOf.get(node);
        if (target) captured.set(target, gOut);
        if (node.retained && !targets) node.retained.grad = keep(gOut.clone());
        if (!needed || needed.has(node)) propagate(node, gOut);
        if (!opts.retainGraph) node.release();
      }
      node.inputs.forEach((t, i) => {
        if (t && !t._gradFn && node.needs[i] && isBuffered(t)) settle(t);
      });
    }
    for (const leaf of [...buffered.keys()]) flushLeaf(leaf);

    function propagate(node: GraphNode, gOut: Tensor): void {
      const fn = formulaFor(node, opts.createGraph) as Formula;
      const inGrads = fn(node.ctx, gOut, node.needs);
      for (let i = 0; i < node.inputs.length; ++i) {
        const input = node.inputs[i];
        const gi = inGrads[i];
        if (!input || !node.needs[i] || !gi) continue;
        const fnIn = input._gradFn;
        if (fnIn && needed && !needed.has(fnIn) && !targetOf.has(fnIn)) continue;
        if (gi instanceof RowsGrad && !fnIn && !isBuffered(input)) {
          if (input._requiresGrad && !targets) accumulateLeafRows(input, gi, shared);
          continue;
        }
        const gs = gi instanceof RowsGrad ? gi.dense() : sumToShape(gi, input.shape);
        if (fnIn) {
          const prev = grads.get(fnIn);
          grads.set(fnIn, prev ? prev.add(gs) : gs);
        } else if (isBuffered(input)) {
          addTo(input, gs);
        } else if (input._requiresGrad && !targets) {
          accumulateLeaf(input, gs, shared);
        }
      }
    }
  };
  if (opts.createGraph) enableGrad(pass);
  else noGrad(pass);
  return (opts.inputs ?? []).map((t) => captured.get(t) ?? null);
}

export function backward(root: Tensor, gradient: Tensor | undefined, retainGraph: boolean): void {
  root._check('backward');
  if (!root.requiresGrad) {
    throw new ArgumentError('backward', 'the tensor does not require grad and has no grad_fn');
  }
  const g = seedGradient('backward', root, gradient);
  runBackward([root], [g], { op: 'backward', retainGraph, createGraph: false });
}
