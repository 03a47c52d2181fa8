// The Tensor methods implemented by autograd: declared on the Tensor
// interface by declaration merging and added to Tensor.prototype here, so
// tensor.ts imports nothing from this layer. Loaded for its side effect by
// lib/index.ts.
import { type Tensor, defineTensorMethods } from '../tensor/tensor';
import '../ops/tensor_methods';
import * as engine from './engine';
import { ArgumentError } from '../errors';
import { checkFunction } from '../validate';
import { type RemovableHandle, addHook } from './hooks';

declare module '../tensor/tensor' {
  interface Tensor {
    /** Computes gradients of this tensor with respect to graph leaves. */
    backward(gradient?: Tensor, options?: { retainGraph?: boolean }): void;
    /**
     * Calls `hook(grad)` each time this tensor's gradient is computed; a
     * returned tensor replaces the gradient. Hooks run in registration order;
     * on a leaf they see the pass's summed gradient before it reaches `.grad`.
     */
    // biome-ignore lint/suspicious/noConfusingVoidType: a hook that returns nothing keeps the value, as in PyTorch
    registerHook(hook: (grad: Tensor) => Tensor | undefined | void): RemovableHandle;
    /** Calls `hook(param)` on a leaf after backward has accumulated its `.grad` (once per pass). */
    registerPostAccumulateGradHook(hook: (param: Tensor) => void): RemovableHandle;
  }
}

defineTensorMethods({
  backward(gradient?: Tensor, options: { retainGraph?: boolean } = {}): void {
    engine.backward(this, gradient, options?.retainGraph ?? false);
  },
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook that returns nothing keeps the value, as in PyTorch
  registerHook(hook: (grad: Tensor) => Tensor | undefined | void): RemovableHandle {
    const op = 'registerHook';
    this._check(op);
    checkFunction(op, 'hook', hook);
    if (!this._requiresGrad)
      throw new ArgumentError(
        op,
        "cannot register a hook on a tensor that doesn't require grad; call requiresGrad_() first",
      );
    const node = this._gradFn;
    if (node) {
      node.hooks = node.hooks ?? [];
      return addHook(node.hooks, hook);
    }
    this._gradHooks = this._gradHooks ?? [];
    return addHook(this._gradHooks, hook);
  },
  registerPostAccumulateGradHook(hook: (param: Tensor) => void): RemovableHandle {
    const op = 'registerPostAccumulateGradHook';
    this._check(op);
    checkFunction(op, 'hook', hook);
    if (this._gradFn)
      throw new ArgumentError(op, 'post-accumulate-grad hooks can only be registered on leaf tensors, got a non-leaf');
    if (!this._requiresGrad)
      throw new ArgumentError(
        op,
        "cannot register a hook on a tensor that doesn't require grad; call requiresGrad_() first",
      );
    this._postAccumulateHooks = this._postAccumulateHooks ?? [];
    return addHook(this._postAccumulateHooks, hook);
  },
});
