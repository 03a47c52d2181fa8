// nt.autograd.grad: the gradients of outputs with respect to inputs,
// returned instead of accumulated into .grad (torch.autograd.grad). With
// createGraph the backward pass is recorded, so its results can be
// differentiated again (gradient penalties, Hessian-vector products).
import { ArgumentError } from '../errors';
import { showValue } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { checkBool, checkOptions, optionKeys } from '../validate';
import { runBackward, seedGradient } from './engine';

export interface GradOptions {
  /** The vector of the vector-Jacobian product, one per output (null: ones, for one-element outputs). */
  gradOutputs?: Tensor | readonly (Tensor | null)[] | null;
  /** Keep the graph for another backward (default: createGraph). */
  retainGraph?: boolean;
  /** Record the backward pass so that its results are differentiable (default false). */
  createGraph?: boolean;
  /** Return null for an input the outputs do not depend on instead of throwing (default false). */
  allowUnused?: boolean;
}

const GRAD_KEYS = optionKeys<GradOptions>({
  gradOutputs: true,
  retainGraph: true,
  createGraph: true,
  allowUnused: true,
});

function tensorList(op: string, name: string, v: unknown): Tensor[] {
  const list = v instanceof Tensor ? [v] : Array.isArray(v) ? (v as unknown[]) : null;
  if (!list || list.length === 0)
    throw new ArgumentError(op, `${name} must be a Tensor or a non-empty array of Tensors, got ${showValue(v)}`);
  list.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new ArgumentError(op, `${name}[${i}] must be a Tensor, got ${showValue(t)}`);
    t._check(op);
  });
  return list as Tensor[];
}

export function grad(
  outputs: Tensor | readonly Tensor[],
  inputs: Tensor | readonly Tensor[],
  options: GradOptions & { allowUnused: true },
): (Tensor | null)[];
export function grad(
  outputs: Tensor | readonly Tensor[],
  inputs: Tensor | readonly Tensor[],
  options?: GradOptions,
): Tensor[];
/** Gradients of `outputs` with respect to `inputs`, one per input; `.grad` is left alone. */
export function grad(
  outputs: Tensor | readonly Tensor[],
  inputs: Tensor | readonly Tensor[],
  options: GradOptions = {},
): (Tensor | null)[] {
  const op = 'autograd.grad';
  const opts = checkOptions(op, options, GRAD_KEYS);
  const outs = tensorList(op, 'outputs', outputs);
  const ins = tensorList(op, 'inputs', inputs);
  const createGraph = checkBool(op, 'createGraph', opts.createGraph ?? false);
  const retainGraph = checkBool(op, 'retainGraph', opts.retainGraph ?? createGraph);
  const allowUnused = checkBool(op, 'allowUnused', opts.allowUnused ?? false);
  const given = opts.gradOutputs ?? null;
  const gradOuts = given instanceof Tensor ? [given] : given === null ? outs.map(() => null) : given;
  if (!Array.isArray(gradOuts) || gradOuts.length !== outs.length)
    throw new ArgumentError(
      op,
      `gradOutputs must hold one Tensor (or null) per output (${outs.length}), got ${showValue(given)}`,
    );
  outs.forEach((o, i) => {
    if (!o._requiresGrad) throw new ArgumentError(op, `outputs[${i}] does not require grad and has no grad_fn`);
  });
  ins.forEach((t, i) => {
    if (!t._requiresGrad)
      throw new ArgumentError(
        op,
        `inputs[${i}] does not require grad; call requiresGrad_() on it before computing outputs`,
      );
  });
  const seeds = outs.map((o, i) => seedGradient(op, o, gradOuts[i] as Tensor | null));
  const grads = runBackward(outs, seeds, { op, retainGraph, createGraph, inputs: ins });
  if (!allowUnused) {
    const unused = grads.indexOf(null);
    if (unused >= 0)
      throw new ArgumentError(
        op,
        `inputs[${unused}] was not used to compute the outputs; pass allowUnused: true to get null for it`,
      );
  }
  return grads;
}
