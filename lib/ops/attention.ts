// Fused scaled-dot-product attention (torch.nn.functional.scaled_dot_product_attention):
// one native kernel per direction (native/cpu/attention.cpp, its CUDA twin)
// computes softmax(q k^T * scale + mask) v tile by tile with an online
// softmax, so the [L, S] weights are never stored; the forward also writes
// each row's log-sum-exp, from which the backward recomputes the weights.
// Leading (batch, head) dims are flattened to one BH dim; inputs that are
// already contiguous are used as they are, with no copy.
import { ArgumentError, DTypeError, DeviceError, ShapeError } from '../errors';
import {
  type AttentionDims,
  type AttentionMask,
  kAttentionBackward,
  kAttentionForward,
  kCopy,
  kFill,
  kWhere,
} from '../kernels/launch';
import { isFloatingDType } from '../tensor/dtype';
import { defaultGenerator } from '../tensor/random';
import { broadcastShapes } from '../tensor/shape';
import { type Tensor, emptyTensor as empty } from '../tensor/tensor';
import { checkBool, checkNumber, checkOptions, checkRange, formatShape, optionKeys } from '../validate';
import { checkTensor } from './elementwise';
import { record } from './record';

declare module './op_contexts' {
  interface OpContexts {
    /** The contiguous q, k, v the kernel read, its output and row log-sum-exp, the mask view and the call's sizes. */
    scaledDotProductAttention: AttentionContext;
  }
}

interface AttentionContext {
  q: Tensor;
  k: Tensor;
  v: Tensor;
  out: Tensor;
  lse: Tensor;
  mask: (AttentionMask & { t: Tensor }) | null;
  dims: AttentionDims;
  /** The broadcast leading dims: gradients come back as [...batch, L or S, E or Ev]. */
  batch: number[];
}

/** Options of scaledDotProductAttention, as PyTorch's keyword arguments. */
export interface ScaledDotProductAttentionOptions {
  /**
   * Broadcastable to [..., L, S]. Bool: true marks the pairs that take part
   * (false adds -inf); float (the query's dtype): added to the scores. Gets no
   * gradient.
   */
  attnMask?: Tensor | null;
  /** Probability of dropping each attention weight, in [0, 1); applied whenever > 0 (pass 0 in eval). */
  dropoutP?: number;
  /** Query i sees keys j <= i (the top-left triangle, as PyTorch). Not with attnMask. */
  isCausal?: boolean;
  /** Multiplies q k^T; default 1 / sqrt(E). */
  scale?: number;
}

const OPTION_KEYS = optionKeys<ScaledDotProductAttentionOptions>({
  attnMask: true,
  dropoutP: true,
  isCausal: true,
  scale: true,
});

const OP = 'scaled_dot_product_attention';

function checkInputs(q: Tensor, k: Tensor, v: Tensor): void {
  const named: [string, Tensor][] = [
    ['query', q],
    ['key', k],
    ['value', v],
  ];
  for (const [name, t] of named) {
    checkTensor(OP, t, name);
    if (t.ndim < 2)
      throw new ShapeError(OP, `${name} must have at least 2 dims [..., seq, features], got ${formatShape(t.shape)}`);
    if (!isFloatingDType(t.dtype)) throw new DTypeError(OP, `${name} must be float32 or float64, got ${t.dtype}`);
  }
  if (k.dtype !== q.dtype || v.dtype !== q.dtype)
    throw new DTypeError(OP, `query, key and value must share one dtype, got ${q.dtype}, ${k.dtype} and ${v.dtype}`);
  if (k.device !== q.device || v.device !== q.device)
    throw new DeviceError(
      OP,
      `query, key and value must be on one device, got ${q.device}, ${k.device} and ${v.device}`,
    );
  if (k.shape[k.ndim - 1] !== q.shape[q.ndim - 1])
    throw new ShapeError(
      OP,
      `key's last dim must equal query's (E), got query ${formatShape(q.shape)} and key ${formatShape(k.shape)}`,
    );
  if (v.shape[v.ndim - 2] !== k.shape[k.ndim - 2])
    throw new ShapeError(
      OP,
      `value must have key's sequence length S, got key ${formatShape(k.shape)} and value ${formatShape(v.shape)}`,
    );
}

/** x broadcast to [...batch, rows, cols] and contiguous: x itself when it already is. */
function contiguousAs(x: Tensor, batch: number[]): Tensor {
  const full = [...batch, ...x.shape.slice(-2)];
  const same = x.ndim === full.length && x.shape.every((s, i) => s === full[i]);
  if (same && x.isContiguous()) return x;
  const strides = new Array<number>(full.length).fill(0);
  const lead = full.length - x.ndim;
  for (let d = 0; d < x.ndim; ++d) strides[lead + d] = x.shape[d] === 1 ? 0 : x.strides[d];
  const out = empty(full, x.dtype, x.device);
  kCopy(out, x._view(full, strides, x.offset));
  return out;
}

/**
 * Merges the leading dims of a strided view into at most two (size, stride)
 * pairs whose index is b1 * B2 + b2; null when they do not merge so far.
 */
function twoGroups(sizes: number[], strides: number[]): [number, number][] | null {
  const dims: [number, number][] = [];
  for (let d = 0; d < sizes.length; ++d) {
    if (sizes[d] === 1) continue;
    const last = dims[dims.length - 1];
    if (last && last[1] === strides[d] * sizes[d]) {
      last[0] *= sizes[d];
      last[1] = strides[d];
    } else dims.push([sizes[d], strides[d]]);
  }
  while (dims.length < 2) dims.unshift([1, 0]);
  return dims.length === 2 ? dims : null;
}

/**
 * The mask as the kernel's [B1, B2, L, S] view (a bool mask becomes 0 / -inf
 * of its own shape first), and the tensor it views.
 */
function maskView(mask: Tensor, q: Tensor, batch: number[], L: number, S: number): AttentionMask & { t: Tensor } {
  checkTensor(OP, mask, 'attnMask');
  if (mask.device !== q.device)
    throw new DeviceError(OP, `attnMask must be on the query's device ${q.device}, got ${mask.device}`);
  let m = mask;
  if (mask.dtype === 'bool') {
    m = empty(mask.shape, q.dtype, q.device);
    const zero = empty([], q.dtype, q.device);
    const ninf = empty([], q.dtype, q.device);
    kFill(zero, 0);
    kFill(ninf, -Infinity);
    kWhere(m, mask, zero, ninf);
    zero.dispose(); // a queued kernel keeps its storages alive
    ninf.dispose();
  } else if (mask.dtype !== q.dtype) {
    throw new DTypeError(OP, `attnMask must be bool or the query's dtype ${q.dtype}, got ${mask.dtype}`);
  }
  const full = [...batch, L, S];
  if (m.ndim > full.length || m.shape.some((s, i) => s !== 1 && s !== full[full.length - m.ndim + i]))
    throw new ShapeError(OP, `attnMask ${formatShape(mask.shape)} does not broadcast to ${formatShape(full)}`);
  const lead = full.length - m.ndim;
  const strides = full.map((_, d) => (d < lead || m.shape[d - lead] === 1 ? 0 : m.strides[d - lead]));
  let offset = m.offset;
  let groups = twoGroups(batch, strides.slice(0, batch.length));
  if (!groups) {
    // Leading dims that do not merge into two: materialize the broadcast mask (one copy).
    const dense = empty(full, q.dtype, q.device);
    kCopy(dense, m._view(full, strides, m.offset));
    m = dense;
    offset = 0;
    groups = [
      [1, 0],
      [batch.reduce((a, b) => a * b, 1), L * S],
    ];
    strides[batch.length] = S;
    strides[batch.length + 1] = 1;
  }
  return {
    t: m,
    shape: [groups[0][0], groups[1][0], L, S],
    strides: [groups[0][1], groups[1][1], strides[batch.length], strides[batch.length + 1]],
    offset,
  };
}

/**
 * torch.nn.functional.scaled_dot_product_attention: softmax(q k^T * scale +
 * mask) v, with dropout on the weights, as one fused kernel that never
 * stores the [L, S] weights (memory O(L) per head beyond q, k, v and the
 * output). query [..., L, E], key [..., S, E], value [..., S, Ev]; leading
 * dims broadcast. Returns [..., L, Ev]. Gradients flow to query, key and
 * value (not the mask). A query row that can see no key (every score -inf)
 * gives output 0 and zero gradients (PyTorch gives NaN). The dropout mask
 * comes from the global generator (nt.manualSeed), and the backward replays it.
 */
export function scaledDotProductAttention(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  options?: ScaledDotProductAttentionOptions,
): Tensor {
  const o = checkOptions(OP, options, OPTION_KEYS);
  checkInputs(query, key, value);
  const attnMask = o.attnMask ?? null;
  const dropoutP = o.dropoutP === undefined ? 0 : checkRange(OP, 'dropoutP', o.dropoutP, 0, 1);
  const causal = o.isCausal === undefined ? false : checkBool(OP, 'isCausal', o.isCausal);
  if (causal && attnMask)
    throw new ArgumentError(OP, 'isCausal with an explicit attnMask is not supported (as PyTorch)');
  const [L, E] = query.shape.slice(-2);
  const [S, Ev] = [key.shape[key.ndim - 2], value.shape[value.ndim - 1]];
  const scale = o.scale === undefined ? (E > 0 ? 1 / Math.sqrt(E) : 1) : checkNumber(OP, 'scale', o.scale);
  const batch = broadcastShapes(
    OP,
    broadcastShapes(OP, query.shape.slice(0, -2), key.shape.slice(0, -2)),
    value.shape.slice(0, -2),
  );
  const BH = batch.reduce((a, b) => a * b, 1);
  const mask = attnMask ? maskView(attnMask, query, batch, L, S) : null;
  const q = contiguousAs(query, batch);
  const k = contiguousAs(key, batch);
  const v = contiguousAs(value, batch);
  const dims: AttentionDims = {
    BH,
    L,
    S,
    E,
    Ev,
    causal,
    scale,
    dropoutP,
    seed: defaultGenerator.seed,
    offset: dropoutP > 0 ? defaultGenerator.take(BH * L * S) : 0,
  };
  const out = empty([...batch, L, Ev], query.dtype, query.device);
  const lse = empty([BH, L], query.dtype, query.device);
  kAttentionForward(out, lse, q, k, v, mask, dims);
  const rec = record('scaledDotProductAttention', out, [query, key, value], () => ({
    q,
    k,
    v,
    out,
    lse,
    mask,
    dims,
    batch,
  }));
  if (!rec.requiresGrad) {
    lse.dispose();
    for (const [t, x] of [
      [q, query],
      [k, key],
      [v, value],
    ] as const)
      if (t !== x) t.dispose();
    if (mask && mask.t !== attnMask) mask.t.dispose();
  }
  return rec;
}

/** Backward of scaledDotProductAttention: [dq, dk, dv], each over the broadcast batch dims. */
export function scaledDotProductAttentionBackward(ctx: AttentionContext, g: Tensor): (Tensor | null)[] {
  const { q, k, v, out, lse, mask, dims, batch } = ctx;
  const dout = contiguousAs(g, batch);
  const dq = empty([...batch, dims.L, dims.E], q.dtype, q.device);
  const dk = empty([...batch, dims.S, dims.E], q.dtype, q.device);
  const dv = empty([...batch, dims.S, dims.Ev], q.dtype, q.device);
  kAttentionBackward({ dq, dk, dv }, { q, k, v, out, dout, lse }, mask, dims);
  if (dout !== g) dout.dispose();
  return [dq, dk, dv];
}
