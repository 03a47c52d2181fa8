// Finite-difference gradient check in float64 (exported as
// nt.autograd.gradcheck). Compares the analytical vector-Jacobian product for
// a random cotangent with central differences, element by element.
import { NodetorchError, ArgumentError } from '../errors';
import { tensor } from '../tensor/creation';
import { Tensor } from '../tensor/tensor';
import { checkBool, checkFunction, checkOptions, checkRange, optionKeys, showValue } from '../validate';
import { noGrad } from '../ops/grad_mode';
import './tensor_methods'; // backward() and the op methods

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Throw a NodetorchError describing the worst mismatch (default), or return false. */
  raiseException?: boolean;
}

const GRADCHECK_KEYS = optionKeys<GradcheckOptions>({ eps: true, atol: true, rtol: true, raiseException: true });

function dot(a: Tensor, b: Float64Array): number {
  const d = a.double().data() as Float64Array;
  let s = 0;
  for (let i = 0; i < d.length; ++i) s += d[i] * b[i];
  return s;
}

/**
 * Checks the gradients of fn at `inputs` (float64 tensors; those with
 * requiresGrad are checked). fn must return one tensor.
 */
export function gradcheck(
  fn: (...inputs: Tensor[]) => Tensor,
  inputs: Tensor[],
  options: GradcheckOptions = {},
): boolean {
  const op = 'gradcheck';
  checkFunction(op, 'fn', fn);
  if (!Array.isArray(inputs)) throw new ArgumentError(op, `inputs an array of tensors, got ${showValue(inputs)}`);
  const o = checkOptions(op, options, GRADCHECK_KEYS);
  const eps = o.eps === undefined ? 1e-6 : checkRange(op, 'eps', o.eps, Number.MIN_VALUE);
  const atol = o.atol === undefined ? 1e-5 : checkRange(op, 'atol', o.atol, 0);
  const rtol = o.rtol === undefined ? 1e-3 : checkRange(op, 'rtol', o.rtol, 0);
  const raise = o.raiseException === undefined ? true : checkBool(op, 'raiseException', o.raiseException);
  inputs.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new ArgumentError(op, `inputs[${i}] a Tensor, got ${showValue(t)}`);
    t._check(op);
    if (t.requiresGrad && t.dtype !== 'float64') throw new ArgumentError(op, `inputs must be float64, got ${t.dtype}`);
  });
  const call = (args: Tensor[]): Tensor => {
    const out = fn(...args);
    if (!(out instanceof Tensor)) throw new ArgumentError(op, `fn returning one Tensor, got ${showValue(out)}`);
    return out;
  };
  const out0 = call(inputs);
  const v = new Float64Array(out0.numel);
  for (let i = 0; i < v.length; ++i) v[i] = Math.cos(1.7 * i + 0.3) + 0.5; // fixed, non-trivial cotangent
  for (const t of inputs) t.grad = null;
  out0.backward(tensor(v, { dtype: out0.dtype, shape: out0.shape, device: out0.device }));
  let worst = { err: 0, input: -1, index: -1, analytical: 0, numerical: 0 };
  let ok = true;
  inputs.forEach((x, k) => {
    if (!x.requiresGrad) return;
    const analytical = x.grad ? (x.grad.double().data() as Float64Array) : new Float64Array(x.numel);
    const base = x.detach().contiguous().data() as Float64Array;
    for (let i = 0; i < base.length; ++i) {
      const probe = (delta: number): number =>
        noGrad(() => {
          const p = base.slice();
          p[i] += delta;
          const args = inputs.map((y, j) => (j === k ? tensor(p, { shape: x.shape, device: x.device }) : y.detach()));
          return dot(call(args), v);
        });
      const numerical = (probe(eps) - probe(-eps)) / (2 * eps);
      const err = Math.abs(numerical - analytical[i]);
      if (err > atol + rtol * Math.abs(numerical)) ok = false;
      if (err > worst.err) worst = { err, input: k, index: i, analytical: analytical[i], numerical };
    }
  });
  if (!ok && raise) {
    throw new NodetorchError(
      'gradcheck',
      `gradient mismatch for input ${worst.input} at flat index ${worst.index}: ` +
        `analytical ${worst.analytical}, numerical ${worst.numerical} (|diff| ${worst.err.toExponential(3)}, atol ${atol}, rtol ${rtol})`,
    );
  }
  return ok;
}
