// The Tensor methods implemented by autograd: declared on the Tensor
// interface by declaration merging and added to Tensor.prototype here, so
// tensor.ts imports nothing from this layer. Loaded for its side effect by
// lib/index.ts.
import { type Tensor, defineTensorMethods } from '../tensor/tensor';
import '../ops/tensor_methods';
import * as engine from './engine';

declare module '../tensor/tensor' {
  interface Tensor {
    /** Computes gradients of this tensor with respect to graph leaves. */
    backward(gradient?: Tensor, options?: { retainGraph?: boolean }): void;
  }
}

defineTensorMethods({
  backward(gradient?: Tensor, options: { retainGraph?: boolean } = {}): void {
    engine.backward(this, gradient, options?.retainGraph ?? false);
  },
});
