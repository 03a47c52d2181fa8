// nn.Parameter: marks a tensor as a module parameter. A parameter is a
// plain Tensor (requiresGrad on, kept out of every nt.scope) whose internal
// `_isParameter` flag, which Module's field walk reads, is set.
import { ArgumentError } from '../errors';
import { keep } from '../tensor/scope';
import { Tensor } from '../tensor/tensor';

/** Callable with or without `new`, like `torch.nn.Parameter(t)`. */
export interface ParameterFactory {
  (data: Tensor, requiresGrad?: boolean): Tensor;
  new (data: Tensor, requiresGrad?: boolean): Tensor;
}

/** True when t was made by nn.Parameter. */
export function isParameter(t: unknown): t is Tensor {
  return t instanceof Tensor && t._isParameter;
}

function makeParameter(data: Tensor, requiresGrad = true): Tensor {
  if (!(data instanceof Tensor)) {
    throw new ArgumentError('Parameter', `data must be a Tensor, got ${data === null ? 'null' : typeof data}`);
  }
  data._check('Parameter');
  // A parameter is a leaf: a tensor produced by an op is cut from its graph.
  const t = data.isLeaf ? data : data.detach();
  t.requiresGrad_(requiresGrad);
  t._isParameter = true;
  return keep(t);
}

/** Marks `data` as a parameter (requiresGrad, kept from scopes) and returns it. */
export const Parameter = function Parameter(data: Tensor, requiresGrad = true): Tensor {
  return makeParameter(data, requiresGrad);
} as ParameterFactory;
