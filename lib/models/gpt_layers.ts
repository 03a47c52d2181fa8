// The layers of GPT-2, named as Hugging Face's GPT2LMHeadModel names them
// (c_attn, c_proj, ln_1, mlp.c_fc, ...) so its state dicts load as they are.
// HF's Conv1D keeps its weight as [in, out] (y = x W + b): the linear op takes
// the transposed view, which the GEMM reads with a transpose flag, no copy.
import * as nn from '../nn';
import { checkTensor, le } from '../ops/elementwise';
import { noGrad } from '../ops/grad_mode';
import { arange, empty, zeros } from '../tensor/creation';
import type { Tensor } from '../tensor/tensor';
import { ShapeError } from '../errors';
import { formatShape } from '../validate';
import { scaledDotProductAttention } from '../ops/attention';
import { type GPTConfig, resolveGPTConfig } from './gpt_config';
import '../ops/tensor_methods'; // this module calls Tensor methods

/** Hugging Face's Conv1D: a linear layer whose weight is [nx, nf] (in, out). */
export class Conv1D extends nn.Module {
  weight: Tensor;
  bias: Tensor | null;

  constructor(nx: number, nf: number, bias = true) {
    super();
    this.weight = nn.Parameter(empty([nx, nf]));
    this.bias = bias ? nn.Parameter(zeros([nf])) : null;
    noGrad(() => this.weight.normal_(0, 0.02));
  }

  /** x [..., nx] -> [..., nf]. */
  forward(x: Tensor): Tensor {
    return nn.F.linear(x, this.weight.t(), this.bias);
  }

  override extraRepr(): string {
    return `nx=${this.weight.shape[0]}, nf=${this.weight.shape[1]}, bias=${this.bias !== null}`;
  }
}

/**
 * Per-layer keys and values of the positions seen so far, in preallocated
 * [B, nHead, blockSize, headDim] buffers (no reallocation per token).
 */
export interface LayerKV {
  k: Tensor;
  v: Tensor;
}

export class CausalSelfAttention extends nn.Module {
  c_attn: Conv1D;
  c_proj: Conv1D;
  attn_dropout: nn.Dropout;
  resid_dropout: nn.Dropout;
  readonly nHead: number;
  readonly nEmbd: number;

  constructor(config: GPTConfig) {
    super();
    const c = resolveGPTConfig(config);
    this.nHead = c.nHead;
    this.nEmbd = c.nEmbd;
    this.c_attn = new Conv1D(c.nEmbd, 3 * c.nEmbd, c.bias);
    this.c_proj = new Conv1D(c.nEmbd, c.nEmbd, c.bias);
    this.attn_dropout = new nn.Dropout(c.dropout);
    this.resid_dropout = new nn.Dropout(c.dropout);
  }

  /**
   * x [B, T, C] -> [B, T, C]. With `kv`, the T new positions start at `past`:
   * their keys and values are written into the cache and the queries attend
   * to all past + T positions (query i sees keys j <= past + i).
   */
  forward(x: Tensor, kv: LayerKV | null = null, past = 0): Tensor {
    checkTensor('CausalSelfAttention', x);
    if (x.ndim !== 3 || x.shape[2] !== this.nEmbd)
      throw new ShapeError('CausalSelfAttention', `input of shape [B, T, ${this.nEmbd}], got ${formatShape(x.shape)}`);
    const [B, T, C] = x.shape;
    const hd = C / this.nHead;
    const heads = (t: Tensor): Tensor => t.reshape([B, T, this.nHead, hd]).transpose(1, 2);
    const [q, kNew, vNew] = this.c_attn.forward(x).split(C, 2).map(heads);
    let k = kNew;
    let v = vNew;
    if (kv) {
      noGrad(() => {
        kv.k.narrow(2, past, T).copy_(kNew);
        kv.v.narrow(2, past, T).copy_(vNew);
      });
      k = kv.k.narrow(2, 0, past + T);
      v = kv.v.narrow(2, 0, past + T);
    }
    const dropoutP = this.training ? this.attn_dropout.p : 0;
    let y: Tensor;
    if (past === 0 || T === 1) {
      // No cache, or a prefill: the top-left causal triangle; one new token: it sees everything.
      y = scaledDotProductAttention(q, k, v, { isCausal: past === 0 && T > 1, dropoutP });
    } else {
      // New positions past..past+T-1 against keys 0..past+T-1: query i sees j <= past + i.
      const rows = arange(past, past + T, 1, { device: x.device }).reshape([T, 1]);
      const mask = le(arange(0, past + T, 1, { device: x.device }).reshape([1, past + T]), rows);
      y = scaledDotProductAttention(q, k, v, { attnMask: mask, dropoutP });
    }
    return this.resid_dropout.forward(this.c_proj.forward(y.transpose(1, 2).reshape([B, T, C])));
  }
}

export class MLP extends nn.Module {
  c_fc: Conv1D;
  c_proj: Conv1D;
  dropout: nn.Dropout;

  constructor(config: GPTConfig) {
    super();
    const c = resolveGPTConfig(config);
    this.c_fc = new Conv1D(c.nEmbd, 4 * c.nEmbd, c.bias);
    this.c_proj = new Conv1D(4 * c.nEmbd, c.nEmbd, c.bias);
    this.dropout = new nn.Dropout(c.dropout);
  }

  forward(x: Tensor): Tensor {
    return this.dropout.forward(this.c_proj.forward(nn.F.gelu(this.c_fc.forward(x), 'tanh')));
  }
}

/** A pre-norm transformer block: x + attn(ln_1(x)), then + mlp(ln_2(x)). */
export class Block extends nn.Module {
  ln_1: nn.LayerNorm;
  attn: CausalSelfAttention;
  ln_2: nn.LayerNorm;
  mlp: MLP;

  constructor(config: GPTConfig) {
    super();
    const c = resolveGPTConfig(config);
    this.ln_1 = new nn.LayerNorm(c.nEmbd, { eps: 1e-5, bias: c.bias });
    this.attn = new CausalSelfAttention(c);
    this.ln_2 = new nn.LayerNorm(c.nEmbd, { eps: 1e-5, bias: c.bias });
    this.mlp = new MLP(c);
  }

  forward(x: Tensor, kv: LayerKV | null = null, past = 0): Tensor {
    checkTensor('Block', x);
    const h = x.add(this.attn.forward(this.ln_1.forward(x), kv, past));
    return h.add(this.mlp.forward(this.ln_2.forward(h)));
  }
}
