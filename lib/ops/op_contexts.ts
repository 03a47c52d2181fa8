// What each differentiable op saves for its backward formula (recorded by
// record.ts). The table in lib/autograd/derivatives.ts is a mapped type over
// this interface, so an op without a formula (or a formula with the wrong
// context) is a compile error.
import type { DType, Device } from '../tensor/dtype';
import type { Tensor } from '../tensor/tensor';

type Empty = Record<string, never>;
interface Reduction {
  dims: number[];
  keepdim: boolean;
}

export interface OpContexts {
  add: { alpha: number };
  sub: { alpha: number };
  mul: { a: Tensor; b: Tensor };
  div: { a: Tensor; b: Tensor };
  pow: { a: Tensor; b: Tensor; out: Tensor };
  powScalar: { x: Tensor; exponent: number };
  addScalar: Empty;
  mulScalar: { scalar: number };
  rsubScalar: Empty;
  rdivScalar: { x: Tensor; scalar: number };
  maximum: { a: Tensor; b: Tensor };
  minimum: { a: Tensor; b: Tensor };
  zeroGrad: Empty;
  clamp: { x: Tensor; min: number; max: number };
  where: { cond: Tensor };
  cast: { from: DType };
  toDevice: { from: Device };
  identity: Empty;
  reshape: { inShape: readonly number[] };
  permute: { dims: number[] };
  expand: Empty;
  narrow: { inShape: readonly number[]; dim: number; start: number };
  cat: { dim: number; sizes: number[] };
  sum: Reduction & { inShape: readonly number[] };
  mean: Reduction & { inShape: readonly number[]; count: number };
  prod: Reduction & { x: Tensor; out: Tensor };
  extreme: Reduction & { x: Tensor; out: Tensor };
  variance: Reduction & { x: Tensor; correction: number; count: number };
  logsumexp: Reduction & { x: Tensor; out: Tensor };
  gelu: { x: Tensor };
  leakyRelu: { x: Tensor; slope: number };
  softmax: { out: Tensor };
  logSoftmax: { out: Tensor };
  matmul: { a: Tensor; b: Tensor };
  linear: { x: Tensor; w: Tensor };
  indexSelect: { inShape: readonly number[]; dim: number; index: Tensor };
  gather: { inShape: readonly number[]; dim: number; index: Tensor };
  scatterAdd: { dim: number; index: Tensor };
  /** Fused cross-entropy: dlogits saved by the forward kernel; grad = dlogits * g * scale (per row for 'none'). */
  crossEntropy: { dlogits: Tensor; scale: Tensor | number; perRow: boolean };
}

export type OpName = keyof OpContexts;
