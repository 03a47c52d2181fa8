// MultiheadAttention and the Transformer encoder (issue 13), PyTorch's
// torch.nn layers with camelCase names. Attention runs through the fused
// scaledDotProductAttention unless the caller asks for the weights, which
// need the materialized softmax (as in PyTorch).
import { DTypeError, ShapeError } from '../errors';
import { softmax } from '../ops/activation';
import { scaledDotProductAttention } from '../ops/attention';
import { add, checkTensor, gt, mul, where } from '../ops/elementwise';
import { noGrad } from '../ops/grad_mode';
import { linear, matmul } from '../ops/linalg';
import { mean } from '../ops/reduce';
import { relu } from '../ops/unary.gen';
import { narrow, permute, reshape, transpose, unsqueeze, squeeze } from '../ops/views';
import { arange, empty, full, zeros } from '../tensor/creation';
import { type Device, type DeviceLike, type DType, isFloatingDType } from '../tensor/dtype';
import type { Tensor } from '../tensor/tensor';
import {
  checkBool,
  checkClosedRange,
  checkInteger,
  checkOptions,
  checkRange,
  formatShape,
  optionKeys,
  showValue,
} from '../validate';
import { dropout, gelu } from './functional';
import { constant_, xavierUniform_ } from './init';
import { Linear } from './linear';
import { LayerNorm } from './normalization';
import { Dropout } from './dropout';
import { Module } from './module';
import { Parameter } from './parameter';
import { ArgumentError } from '../errors';

export interface MultiheadAttentionOptions {
  /** Dropout on the attention weights while training (default 0). */
  dropout?: number;
  /** Biases on the input and output projections (default true). */
  bias?: boolean;
  /** Size of the keys' features (default embedDim). */
  kdim?: number;
  /** Size of the values' features (default embedDim). */
  vdim?: number;
  /** Inputs and output are [batch, seq, feature] (default false: [seq, batch, feature]). */
  batchFirst?: boolean;
  device?: DeviceLike;
  dtype?: DType;
}

export interface MultiheadAttentionForwardOptions {
  /** [N, S]: true (bool) marks keys to ignore; a float mask is added to the scores. */
  keyPaddingMask?: Tensor | null;
  /** Return the attention weights as well (default true, as in PyTorch); they need the materialized softmax. */
  needWeights?: boolean;
  /** [L, S] or [N * numHeads, L, S]: true (bool) forbids attending; a float mask is added to the scores. */
  attnMask?: Tensor | null;
  /** Average the returned weights over the heads (default true): [N, L, S] instead of [N, numHeads, L, S]. */
  averageAttnWeights?: boolean;
  /** Causal attention (query i sees keys j <= i) when no attnMask is given. */
  isCausal?: boolean;
}

/** [attention output, attention weights or null]. */
export type AttentionResult = [output: Tensor, weights: Tensor | null];

/** An additive float mask (bool true -> -inf) in the dtype of the scores. */
function additiveMask(op: string, what: string, mask: Tensor, dtype: DType): Tensor {
  checkTensor(op, mask, what);
  if (mask.dtype === 'bool') {
    const ninf = full([], -Infinity, { dtype, device: mask.device });
    return where(mask, ninf, zeros([], { dtype, device: mask.device }));
  }
  if (!isFloatingDType(mask.dtype)) throw new DTypeError(op, `${what} must be bool or ${dtype}, got ${mask.dtype}`);
  if (mask.dtype !== dtype)
    throw new DTypeError(op, `${what} must be bool or ${dtype} (the query's dtype), got ${mask.dtype}`);
  return mask;
}

/**
 * Multi-head attention (torch.nn.MultiheadAttention): projects query, key and
 * value, attends per head and projects the concatenated heads back.
 */
export class MultiheadAttention extends Module {
  readonly embedDim: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly kdim: number;
  readonly vdim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  /** [3 * embedDim, embedDim] when kdim == vdim == embedDim, else null. */
  inProjWeight: Tensor | null;
  qProjWeight: Tensor | null;
  kProjWeight: Tensor | null;
  vProjWeight: Tensor | null;
  inProjBias: Tensor | null;
  outProj: Linear;

  constructor(embedDim: number, numHeads: number, options: MultiheadAttentionOptions = {}) {
    super();
    const op = 'MultiheadAttention';
    this.embedDim = checkInteger(op, 'embedDim', embedDim, 1);
    this.numHeads = checkInteger(op, 'numHeads', numHeads, 1);
    if (embedDim % numHeads !== 0) throw new ShapeError(op, `numHeads ${numHeads} must divide embedDim ${embedDim}`);
    this.headDim = embedDim / numHeads;
    const o = checkOptions(
      op,
      options,
      optionKeys<MultiheadAttentionOptions>({
        dropout: true,
        bias: true,
        kdim: true,
        vdim: true,
        batchFirst: true,
        device: true,
        dtype: true,
      }),
    );
    this.dropout = checkClosedRange(op, 'dropout', o.dropout ?? 0, 0, 1);
    const bias = checkBool(op, 'bias', o.bias ?? true);
    this.kdim = checkInteger(op, 'kdim', o.kdim ?? embedDim, 1);
    this.vdim = checkInteger(op, 'vdim', o.vdim ?? embedDim, 1);
    this.batchFirst = checkBool(op, 'batchFirst', o.batchFirst ?? false);
    const opts = { device: o.device, dtype: o.dtype };
    const packed = this.kdim === embedDim && this.vdim === embedDim;
    this.inProjWeight = packed ? Parameter(empty([3 * embedDim, embedDim], opts)) : null;
    this.qProjWeight = packed ? null : Parameter(empty([embedDim, embedDim], opts));
    this.kProjWeight = packed ? null : Parameter(empty([embedDim, this.kdim], opts));
    this.vProjWeight = packed ? null : Parameter(empty([embedDim, this.vdim], opts));
    this.inProjBias = bias ? Parameter(empty([3 * embedDim], opts)) : null;
    this.outProj = new Linear(embedDim, embedDim, { bias, ...opts });
    this.resetParameters();
  }

  /** PyTorch's init: xavier-uniform projections, zero biases. */
  resetParameters(): void {
    noGrad(() => {
      for (const w of [this.inProjWeight, this.qProjWeight, this.kProjWeight, this.vProjWeight])
        if (w) xavierUniform_(w);
      if (this.inProjBias) constant_(this.inProjBias, 0);
      if (this.outProj.bias) constant_(this.outProj.bias, 0);
    });
  }

  /** The projection weight and bias of q (0), k (1) or v (2). */
  #projection(i: 0 | 1 | 2): [Tensor, Tensor | null] {
    const E = this.embedDim;
    const w = this.inProjWeight
      ? narrow(this.inProjWeight, 0, i * E, E)
      : ([this.qProjWeight, this.kProjWeight, this.vProjWeight][i] as Tensor);
    const b = this.inProjBias ? narrow(this.inProjBias, 0, i * E, E) : null;
    return [w, b];
  }

  /** [N, T, features] -> [N, numHeads, T, headDim]. */
  #heads(x: Tensor): Tensor {
    const [N, T] = x.shape;
    return transpose(reshape(x, [N, T, this.numHeads, this.headDim]), 1, 2);
  }

  forward(query: Tensor, key: Tensor, value: Tensor, options: MultiheadAttentionForwardOptions = {}): AttentionResult {
    const op = 'MultiheadAttention';
    checkTensor(op, query, 'query');
    checkTensor(op, key, 'key');
    checkTensor(op, value, 'value');
    const o = checkOptions(
      op,
      options,
      optionKeys<MultiheadAttentionForwardOptions>({
        keyPaddingMask: true,
        needWeights: true,
        attnMask: true,
        averageAttnWeights: true,
        isCausal: true,
      }),
    );
    const needWeights = checkBool(op, 'needWeights', o.needWeights ?? true);
    const average = checkBool(op, 'averageAttnWeights', o.averageAttnWeights ?? true);
    const isCausal = checkBool(op, 'isCausal', o.isCausal ?? false);
    const unbatched = query.ndim === 2;
    const rank = unbatched ? 2 : 3;
    for (const [name, t, feat] of [
      ['query', query, this.embedDim],
      ['key', key, this.kdim],
      ['value', value, this.vdim],
    ] as const) {
      if (t.ndim !== rank || t.shape[rank - 1] !== feat)
        throw new ShapeError(
          op,
          `${name} of shape ${unbatched ? '[seq, ' : this.batchFirst ? '[batch, seq, ' : '[seq, batch, '}${feat}], got ${formatShape(t.shape)}`,
        );
    }
    // Work in [N, T, features].
    const toBatchFirst = (t: Tensor): Tensor =>
      unbatched ? unsqueeze(t, 0) : this.batchFirst ? t : transpose(t, 0, 1);
    const q0 = toBatchFirst(query);
    const k0 = toBatchFirst(key);
    const v0 = toBatchFirst(value);
    const [N, L] = q0.shape;
    const S = k0.shape[1];
    if (k0.shape[0] !== N || v0.shape[0] !== N || v0.shape[1] !== S)
      throw new ShapeError(
        op,
        `key and value with the query's batch ${N} and one sequence length, got key ${formatShape(key.shape)} and value ${formatShape(value.shape)}`,
      );
    const dtype = query.dtype;
    let mask: Tensor | null = null;
    if (o.attnMask !== undefined && o.attnMask !== null) {
      let m = additiveMask(op, 'attnMask', o.attnMask, dtype);
      if (m.ndim === 2) {
        if (m.shape[0] !== L || m.shape[1] !== S)
          throw new ShapeError(op, `attnMask of shape [${L}, ${S}], got ${formatShape(m.shape)}`);
      } else if (m.ndim === 3) {
        if (m.shape[0] !== N * this.numHeads || m.shape[1] !== L || m.shape[2] !== S)
          throw new ShapeError(
            op,
            `attnMask of shape [${L}, ${S}] or [${N * this.numHeads}, ${L}, ${S}], got ${formatShape(m.shape)}`,
          );
        m = reshape(m, [N, this.numHeads, L, S]);
      } else {
        throw new ShapeError(op, `attnMask of 2 or 3 dims, got ${formatShape(m.shape)}`);
      }
      mask = m;
    }
    if (o.keyPaddingMask !== undefined && o.keyPaddingMask !== null) {
      const k = additiveMask(op, 'keyPaddingMask', o.keyPaddingMask, dtype);
      const want = unbatched ? [S] : [N, S];
      if (k.ndim !== want.length || k.shape.some((s, i) => s !== want[i]))
        throw new ShapeError(op, `keyPaddingMask of shape ${formatShape(want)}, got ${formatShape(k.shape)}`);
      const km = reshape(k, [N, 1, 1, S]);
      mask = mask ? add(mask, km) : km;
    }
    const causal = isCausal && mask === null;
    if (causal && L > S) throw new ShapeError(op, `isCausal needs no more queries than keys, got ${L} and ${S}`);

    let q: Tensor;
    let k: Tensor;
    let v: Tensor;
    if (this.inProjWeight && query === key && key === value) {
      // Self-attention: one GEMM for q, k and v.
      const qkv = linear(q0, this.inProjWeight, this.inProjBias);
      const parts = permute(reshape(qkv, [N, L, 3, this.numHeads, this.headDim]), [2, 0, 3, 1, 4]);
      [q, k, v] = [0, 1, 2].map((i) => squeeze(narrow(parts, 0, i, 1), 0));
    } else {
      q = this.#heads(linear(q0, ...this.#projection(0)));
      k = this.#heads(linear(k0, ...this.#projection(1)));
      v = this.#heads(linear(v0, ...this.#projection(2)));
    }
    const p = this.training ? this.dropout : 0;
    let heads: Tensor;
    let weights: Tensor | null = null;
    if (needWeights) {
      let scores = mul(matmul(q, transpose(k, -2, -1)), 1 / Math.sqrt(this.headDim));
      if (causal) scores = add(scores, causalMask(L, S, dtype, q.device));
      if (mask) scores = add(scores, mask);
      const w = softmax(scores, -1);
      heads = matmul(dropout(w, p, p > 0), v);
      weights = average ? mean(w, 1) : w;
      if (unbatched) weights = squeeze(weights, 0);
    } else {
      heads = scaledDotProductAttention(q, k, v, { attnMask: mask, dropoutP: p, isCausal: causal });
    }
    const merged = reshape(transpose(heads, 1, 2), [N, L, this.embedDim]);
    const out = linear(merged, this.outProj.weight, this.outProj.bias);
    const back = unbatched ? squeeze(out, 0) : this.batchFirst ? out : transpose(out, 0, 1);
    return [back, weights];
  }

  override extraRepr(): string {
    return `embedDim=${this.embedDim}, numHeads=${this.numHeads}, dropout=${this.dropout}, batchFirst=${this.batchFirst}`;
  }
}

/** [L, S] additive causal mask: -inf where key j > query i, else 0. */
function causalMask(L: number, S: number, dtype: DType, device: Device): Tensor {
  const rows = reshape(arange(L, undefined, 1, { device }), [L, 1]);
  const cols = reshape(arange(S, undefined, 1, { device }), [1, S]);
  return where(gt(cols, rows), full([], -Infinity, { dtype, device }), zeros([], { dtype, device }));
}

/** The feed-forward activation of a Transformer layer. */
export type TransformerActivation = 'relu' | 'gelu' | ((x: Tensor) => Tensor);

export interface TransformerEncoderLayerOptions {
  /** Width of the feed-forward block (default 2048). */
  dimFeedforward?: number;
  /** Dropout after attention, inside and after the feed-forward block (default 0.1). */
  dropout?: number;
  /** 'relu' (default), 'gelu' or a function. */
  activation?: TransformerActivation;
  /** LayerNorm epsilon (default 1e-5). */
  layerNormEps?: number;
  /** Inputs are [batch, seq, feature] (default false: [seq, batch, feature]). */
  batchFirst?: boolean;
  /** Pre-norm: LayerNorm before attention and feed-forward (default false: after, as in the original Transformer). */
  normFirst?: boolean;
  /** Biases in the linear layers and LayerNorms (default true). */
  bias?: boolean;
  device?: DeviceLike;
  dtype?: DType;
}

export interface TransformerEncoderForwardOptions {
  /** [S, S] or [N * nhead, S, S] attention mask (bool true forbids, float is added). */
  mask?: Tensor | null;
  /** [N, S] bool, true marks padding to ignore. */
  srcKeyPaddingMask?: Tensor | null;
  /** Causal self-attention when no mask is given. */
  isCausal?: boolean;
}

const ENCODER_LAYER_KEYS = optionKeys<TransformerEncoderLayerOptions>({
  dimFeedforward: true,
  dropout: true,
  activation: true,
  layerNormEps: true,
  batchFirst: true,
  normFirst: true,
  bias: true,
  device: true,
  dtype: true,
});

/** One encoder block: self-attention and a feed-forward network, each with a residual connection and LayerNorm. */
export class TransformerEncoderLayer extends Module {
  readonly options: Readonly<TransformerEncoderLayerOptions>;
  readonly normFirst: boolean;
  readonly activation: TransformerActivation;
  selfAttn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  norm1: LayerNorm;
  norm2: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;

  constructor(
    readonly dModel: number,
    readonly nhead: number,
    options: TransformerEncoderLayerOptions = {},
  ) {
    super();
    const op = 'TransformerEncoderLayer';
    const o = checkOptions(op, options, ENCODER_LAYER_KEYS);
    this.options = { ...o };
    checkInteger(op, 'dModel', dModel, 1);
    checkInteger(op, 'nhead', nhead, 1);
    const ff = checkInteger(op, 'dimFeedforward', o.dimFeedforward ?? 2048, 1);
    const p = checkClosedRange(op, 'dropout', o.dropout ?? 0.1, 0, 1);
    const eps = checkRange(op, 'layerNormEps', o.layerNormEps ?? 1e-5, 0);
    const bias = checkBool(op, 'bias', o.bias ?? true);
    this.normFirst = checkBool(op, 'normFirst', o.normFirst ?? false);
    const act = o.activation ?? 'relu';
    if (act !== 'relu' && act !== 'gelu' && typeof act !== 'function')
      throw new ArgumentError(op, `activation 'relu', 'gelu' or a function, got ${showValue(act)}`);
    this.activation = act;
    const opts = { device: o.device, dtype: o.dtype };
    this.selfAttn = new MultiheadAttention(dModel, nhead, {
      dropout: p,
      bias,
      batchFirst: checkBool(op, 'batchFirst', o.batchFirst ?? false),
      ...opts,
    });
    this.linear1 = new Linear(dModel, ff, { bias, ...opts });
    this.dropout = new Dropout(p);
    this.linear2 = new Linear(ff, dModel, { bias, ...opts });
    this.norm1 = new LayerNorm(dModel, { eps, bias, ...opts });
    this.norm2 = new LayerNorm(dModel, { eps, bias, ...opts });
    this.dropout1 = new Dropout(p);
    this.dropout2 = new Dropout(p);
  }

  #act(x: Tensor): Tensor {
    const a = this.activation;
    return a === 'relu' ? relu(x) : a === 'gelu' ? gelu(x) : a(x);
  }

  #selfAttention(x: Tensor, o: TransformerEncoderForwardOptions): Tensor {
    const [out] = this.selfAttn.forward(x, x, x, {
      attnMask: o.mask ?? null,
      keyPaddingMask: o.srcKeyPaddingMask ?? null,
      needWeights: false,
      isCausal: o.isCausal ?? false,
    });
    return this.dropout1.forward(out);
  }

  #feedForward(x: Tensor): Tensor {
    const h = this.dropout.forward(this.#act(this.linear1.forward(x)));
    return this.dropout2.forward(this.linear2.forward(h));
  }

  forward(src: Tensor, options: TransformerEncoderForwardOptions = {}): Tensor {
    const o = checkOptions(
      'TransformerEncoderLayer',
      options,
      optionKeys<TransformerEncoderForwardOptions>({ mask: true, srcKeyPaddingMask: true, isCausal: true }),
    );
    let x = src;
    if (this.normFirst) {
      x = add(x, this.#selfAttention(this.norm1.forward(x), o));
      x = add(x, this.#feedForward(this.norm2.forward(x)));
    } else {
      x = this.norm1.forward(add(x, this.#selfAttention(x, o)));
      x = this.norm2.forward(add(x, this.#feedForward(x)));
    }
    return x;
  }

  /** A new layer with the same options and a copy of this one's parameters (as PyTorch's deepcopy). */
  clone(): TransformerEncoderLayer {
    const copy = new TransformerEncoderLayer(this.dModel, this.nhead, this.options);
    copy.loadStateDict(this.stateDict());
    copy.train(this.training);
    return copy;
  }
}

export interface TransformerEncoderOptions {
  /** A final LayerNorm (or any module) applied to the output. */
  norm?: (Module & { forward(x: Tensor): Tensor }) | null;
}

/** A stack of numLayers copies of an encoder layer (each with its own parameters). */
export class TransformerEncoder extends Module {
  layers: TransformerEncoderLayer[];
  norm: (Module & { forward(x: Tensor): Tensor }) | null;

  constructor(encoderLayer: TransformerEncoderLayer, numLayers: number, options: TransformerEncoderOptions = {}) {
    super();
    const op = 'TransformerEncoder';
    if (!(encoderLayer instanceof TransformerEncoderLayer))
      throw new ArgumentError(op, `a TransformerEncoderLayer, got ${showValue(encoderLayer)}`);
    checkInteger(op, 'numLayers', numLayers, 1);
    const o = checkOptions(op, options, optionKeys<TransformerEncoderOptions>({ norm: true }));
    this.layers = Array.from({ length: numLayers }, () => encoderLayer.clone());
    this.norm = o.norm ?? null;
  }

  forward(src: Tensor, options: TransformerEncoderForwardOptions = {}): Tensor {
    let x = src;
    for (const layer of this.layers) x = layer.forward(x, options);
    return this.norm ? this.norm.forward(x) : x;
  }
}
