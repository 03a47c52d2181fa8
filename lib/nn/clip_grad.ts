// nn.utils.clipGradNorm_ / clipGradValue_: gradient clipping in place, as
// torch.nn.utils. The total norm stays on the device: one reduction per
// gradient, one sum over them, and the scale min(1, maxNorm / (norm + 1e-6))
// is a tensor the gradients are multiplied by, so a training step does not
// wait for a host read here (unless errorIfNonfinite asks to check).
import { ArgumentError, NodetorchError } from '../errors';
import { clamp, div, mul, pow } from '../ops/elementwise';
import { noGrad } from '../ops/grad_mode';
import { amax, sum } from '../ops/reduce';
import { abs, sqrt } from '../ops/unary.gen';
import { stack } from '../ops/join';
import { matmul } from '../ops/linalg';
import { reshape, transpose } from '../ops/views';
import { cast, to } from '../ops/convert';
import { zeros } from '../tensor/creation';
import { Tensor } from '../tensor/tensor';
import { checkBool, checkNumber, showValue } from '../validate';
import '../ops/tensor_methods'; // mul_, clamp_

function gradsOf(op: string, parameters: Tensor | Iterable<Tensor>): Tensor[] {
  const list = parameters instanceof Tensor ? [parameters] : parameters;
  if (list === null || typeof list !== 'object' || !(Symbol.iterator in list))
    throw new ArgumentError(op, `a Tensor or an iterable of Tensors, got ${showValue(parameters)}`);
  const grads: Tensor[] = [];
  for (const p of list) {
    if (!(p instanceof Tensor)) throw new ArgumentError(op, `parameters to be Tensors, got ${showValue(p)}`);
    if (p.grad) grads.push(p.grad);
  }
  return grads;
}

/** sum(|g|^p) for finite p, max|g| for p = inf: the per-gradient term, in the first gradient's dtype and device. */
function normTerm(g: Tensor, p: number, like: Tensor): Tensor {
  let t: Tensor;
  if (p === Infinity) t = amax(abs(g));
  else if (p === 2 && g.numel > 0) {
    // A dot product through the GEMM ([1, n] x [n, 1]): no temporary the size
    // of g. Allocating one per gradient cost 150-250 ms per step for a 10.7M
    // parameter GPT while its autograd graph was alive (vs ~25 ms for this).
    const flat = reshape(g, [1, g.numel]);
    t = reshape(matmul(flat, transpose(flat, 0, 1)), []);
  } else if (p === 2) t = sum(mul(g, g));
  else if (p === 1) t = sum(abs(g));
  else t = sum(pow(abs(g), p));
  if (t.dtype !== like.dtype) t = cast(t, like.dtype);
  if (t.device !== like.device) t = to(t, like.device);
  return t;
}

/**
 * Scales the gradients of `parameters` in place so that their total p-norm
 * (all gradients taken as one vector) is at most maxNorm, and returns that
 * total norm (before clipping) as a 0-dim tensor. normType: a number > 0 or
 * Infinity. errorIfNonfinite: throw when the norm is NaN or infinite (this
 * reads it on the host).
 */
export function clipGradNorm_(
  parameters: Tensor | Iterable<Tensor>,
  maxNorm: number,
  normType = 2,
  errorIfNonfinite = false,
): Tensor {
  const op = 'clipGradNorm_';
  const grads = gradsOf(op, parameters);
  checkNumber(op, 'maxNorm', maxNorm);
  if (!(maxNorm >= 0)) throw new ArgumentError(op, `maxNorm >= 0, got ${maxNorm}`);
  if (typeof normType !== 'number' || !(normType > 0))
    throw new ArgumentError(op, `normType > 0 or Infinity, got ${showValue(normType)}`);
  checkBool(op, 'errorIfNonfinite', errorIfNonfinite);
  if (grads.length === 0) return zeros([]);
  const first = grads[0]; // the total is computed in its dtype, on its device (as PyTorch)
  return noGrad(() => {
    const terms = stack(grads.map((g) => normTerm(g, normType, first)));
    let total: Tensor;
    if (normType === Infinity) total = amax(terms);
    else if (normType === 2) total = sqrt(sum(terms));
    else if (normType === 1) total = sum(terms);
    else total = pow(sum(terms), 1 / normType);
    if (errorIfNonfinite) {
      const v = total.item();
      if (!Number.isFinite(v)) {
        throw new NodetorchError(
          op,
          `the total norm of order ${normType} of the gradients is ${v}, so they cannot be clipped; pass errorIfNonfinite = false to clip anyway`,
        );
      }
    }
    // min(1, maxNorm / (total + 1e-6)), computed on the device.
    const coef = clamp(div(maxNorm, total.add(1e-6)), null, 1);
    for (const g of grads) g.mul_(coef.device === g.device ? coef : to(coef, g.device));
    return total;
  });
}

/** Clamps every gradient of `parameters` to [-clipValue, clipValue] in place. */
export function clipGradValue_(parameters: Tensor | Iterable<Tensor>, clipValue: number): void {
  const op = 'clipGradValue_';
  const grads = gradsOf(op, parameters);
  checkNumber(op, 'clipValue', clipValue);
  if (!(clipValue >= 0)) throw new ArgumentError(op, `clipValue >= 0, got ${clipValue}`);
  noGrad(() => {
    for (const g of grads) g.clamp_(-clipValue, clipValue);
  });
}
