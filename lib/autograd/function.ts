// Custom autograd functions (nt.autograd.Function, as torch.autograd.Function):
// a class with static forward(ctx, ...args) and backward(ctx, ...grads).
// `apply` runs forward without recording and attaches one graph node per
// output whose formula calls the user's backward.
import { ArgumentError, ShapeError } from '../errors';
import { noGrad } from '../ops/grad_mode';
import { record } from '../ops/record';
import { zerosLike } from '../tensor/creation';
import { formatShape, showValue } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import '../ops/tensor_methods';

declare module '../ops/op_contexts' {
  interface OpContexts {
    /** A Function output: its gradient runs the user's backward, one gradient per tensor input. */
    customFunction: { backward: (g: Tensor) => (Tensor | null)[] };
  }
}

/** The `ctx` a Function's forward and backward share; extra fields may be stored on it. */
export class FunctionCtx {
  [field: string]: unknown;
  #saved: readonly Tensor[] = [];
  /** For each forward argument: is it a tensor that requires grad. */
  needsInputGrad: readonly boolean[] = [];
  /** Saves tensors for backward (read them back as `savedTensors`). */
  saveForBackward(...tensors: Tensor[]): void {
    tensors.forEach((t, i) => {
      if (!(t instanceof Tensor))
        throw new ArgumentError('saveForBackward', `argument ${i} must be a Tensor, got ${showValue(t)}`);
    });
    this.#saved = tensors;
  }
  get savedTensors(): readonly Tensor[] {
    return this.#saved;
  }
}

/** What backward may return: one gradient (or null) per forward argument. */
export type FunctionGrads = Tensor | null | undefined | readonly (Tensor | null | undefined)[];

/** The static side a Function subclass defines. */
export interface FunctionDefinition {
  forward(ctx: FunctionCtx, ...args: never[]): Tensor | readonly Tensor[];
  backward(ctx: FunctionCtx, ...grads: Tensor[]): FunctionGrads;
}

type ForwardArgs<F extends FunctionDefinition> = F['forward'] extends (ctx: FunctionCtx, ...args: infer A) => unknown
  ? A
  : never;

/** Runs a Function: forward unrecorded, then one recorded node per output. */
function applyFunction<F extends FunctionDefinition>(def: F, args: ForwardArgs<F>): ReturnType<F['forward']> {
  const name = (def as unknown as { name?: string }).name || 'Function';
  const op = `${name}.apply`;
  if (typeof def.forward !== 'function' || typeof def.backward !== 'function')
    throw new ArgumentError(op, 'a Function subclass must define static forward(ctx, ...) and backward(ctx, ...)');
  const argv = args as unknown[];
  const ctx = new FunctionCtx();
  ctx.needsInputGrad = argv.map((a) => a instanceof Tensor && a._requiresGrad);
  const result = noGrad(() => def.forward(ctx, ...(argv as never[])));
  const many = Array.isArray(result);
  const outs = (many ? result : [result]) as unknown[];
  outs.forEach((o, i) => {
    if (!(o instanceof Tensor))
      throw new ArgumentError(op, `forward must return a Tensor or an array of Tensors, got ${showValue(o)} at ${i}`);
  });
  const outputs = outs as Tensor[];
  const tensorArgs = argv.map((a, i) => ({ a, i })).filter((e): e is { a: Tensor; i: number } => e.a instanceof Tensor);
  const inputs = tensorArgs.map((e) => e.a);
  // One node per output: its gradient is backward with zeros for the other outputs (backward is linear).
  const runBackward = (k: number, g: Tensor): (Tensor | null)[] => {
    const grads = outputs.map((o, j) => (j === k ? g : zerosLike(o)));
    const raw = def.backward(ctx, ...grads);
    const list = (Array.isArray(raw) ? raw : [raw]) as (Tensor | null | undefined)[];
    if (list.length !== argv.length)
      throw new ArgumentError(
        `${name}.backward`,
        `expected ${argv.length} gradients (one per forward argument, null for non-tensors), got ${list.length}`,
      );
    return tensorArgs.map(({ a, i }) => {
      const gi = list[i];
      if (gi === null || gi === undefined) return null;
      if (!(gi instanceof Tensor))
        throw new ArgumentError(`${name}.backward`, `gradient ${i} must be a Tensor or null, got ${showValue(gi)}`);
      if (gi.ndim !== a.ndim || gi.shape.some((s, d) => s !== a.shape[d]))
        throw new ShapeError(
          `${name}.backward`,
          `gradient ${i} has shape ${formatShape(gi.shape)}, expected the input's ${formatShape(a.shape)}`,
        );
      return gi;
    });
  };
  const wrapped = outputs.map((o, k) => {
    const out = o._view(o.shape, o.strides, o.offset);
    return record('customFunction', out, inputs, () => ({ backward: (g: Tensor) => runBackward(k, g) }));
  });
  return (many ? wrapped : wrapped[0]) as ReturnType<F['forward']>;
}

/**
 * Base class of custom autograd functions (`nt.autograd.Function`):
 *
 *   class Exp extends nt.autograd.Function {
 *     static forward(ctx: FunctionCtx, x: Tensor) { const y = x.exp(); ctx.saveForBackward(y); return y; }
 *     static backward(ctx: FunctionCtx, g: Tensor) { return g.mul(ctx.savedTensors[0]); }
 *   }
 *   const y = Exp.apply(x);
 *
 * forward runs without recording; backward is recorded when autograd.grad
 * runs with createGraph, so it is differentiable when built from ops.
 */
// biome-ignore lint/complexity/noStaticOnlyClass: subclasses define static forward/backward, as torch.autograd.Function
export class AutogradFunction {
  static apply<F extends FunctionDefinition>(this: F, ...args: ForwardArgs<F>): ReturnType<F['forward']> {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass whose forward/backward run
    return applyFunction(this, args);
  }
}
