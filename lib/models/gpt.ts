// GPT: GPT-2's architecture (Radford et al. 2019; nanoGPT's model.py) with
// the module tree and field names of Hugging Face's GPT2LMHeadModel, so a
// state dict saved there loads here key for key. lm_head shares its weight
// with transformer.wte (one Parameter). Generation keeps a KV cache.
import { ArgumentError, DTypeError, ShapeError } from '../errors';
import * as nn from '../nn';
import { checkTensor } from '../ops/elementwise';
import { noGrad } from '../ops/grad_mode';
import { cat } from '../ops/join';
import { arange, zeros } from '../tensor/creation';
import { formatShape } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { checkInteger, showValue } from '../validate';
import { type GPTConfig, type ResolvedGPTConfig, resolveGPTConfig } from './gpt_config';
import { Block, type LayerKV } from './gpt_layers';
import { type SampleOptions, sampleNext } from './sampling';
import '../ops/tensor_methods'; // this module calls Tensor methods

/** The embeddings, the blocks and the final LayerNorm (HF's GPT2Model, `transformer.*`). */
export class GPTTransformer extends nn.Module {
  wte: nn.Embedding;
  wpe: nn.Embedding;
  drop: nn.Dropout;
  h: nn.ModuleList<Block>;
  ln_f: nn.LayerNorm;

  constructor(config: GPTConfig) {
    super();
    const c = resolveGPTConfig(config);
    this.wte = new nn.Embedding(c.vocabSize, c.nEmbd);
    this.wpe = new nn.Embedding(c.blockSize, c.nEmbd);
    this.drop = new nn.Dropout(c.dropout);
    this.h = new nn.ModuleList(Array.from({ length: c.nLayer }, () => new Block(c)));
    this.ln_f = new nn.LayerNorm(c.nEmbd, { eps: 1e-5, bias: c.bias });
  }

  forward(): never {
    throw new ArgumentError('GPTTransformer.forward', 'call GPT.forward (the transformer runs inside it)');
  }
}

/**
 * The keys and values of every layer for the positions seen so far (see
 * `GPT.newCache`). `length` is the number of positions it holds.
 */
export class GPTCache {
  length = 0;
  constructor(
    readonly layers: readonly LayerKV[],
    readonly batchSize: number,
    readonly capacity: number,
  ) {
    const op = 'GPTCache';
    if (!Array.isArray(layers) || layers.some((l) => !(l?.k instanceof Tensor) || !(l?.v instanceof Tensor)))
      throw new ArgumentError(op, `layers an array of { k, v } tensors, got ${showValue(layers)}`);
    checkInteger(op, 'batchSize', batchSize, 1);
    checkInteger(op, 'capacity', capacity, 1);
  }

  /** Frees the buffers. */
  dispose(): void {
    for (const l of this.layers) {
      l.k.dispose();
      l.v.dispose();
    }
  }
}

/** Options of `GPT.generate`. */
export interface GenerateOptions extends SampleOptions {
  /** Reuse the keys and values of earlier positions (default true); false recomputes the whole window each token. */
  useCache?: boolean;
}

/** Logits and, given targets, the mean cross-entropy loss. */
export interface GPTOutput {
  logits: Tensor;
  loss: Tensor;
}

const STATE_BUFFERS = /\.attn\.(bias|masked_bias)$/;

export class GPT extends nn.Module {
  readonly config: ResolvedGPTConfig;
  transformer: GPTTransformer;
  lm_head: nn.Linear;

  constructor(config: GPTConfig) {
    super();
    const c = resolveGPTConfig(config);
    this.config = c;
    this.transformer = new GPTTransformer(c);
    this.lm_head = new nn.Linear(c.nEmbd, c.vocabSize, { bias: false });
    this.lm_head.weight.dispose(); // replaced by the tied weight
    this.lm_head.weight = this.transformer.wte.weight;
    this.#init();
  }

  /** GPT-2's init: N(0, 0.02) weights and embeddings, zero biases, c_proj weights N(0, 0.02 / sqrt(2 nLayer)). */
  #init(): void {
    const projStd = 0.02 / Math.sqrt(2 * this.config.nLayer);
    noGrad(() => {
      for (const [name, p] of this.namedParameters()) {
        if (/ln_\w+\.weight$/.test(name)) p.fill_(1);
        else if (name.endsWith('.bias')) p.zero_();
        else if (name.endsWith('c_proj.weight')) p.normal_(0, projStd);
        else p.normal_(0, 0.02);
      }
    });
  }

  /** Checks ids: int64 or int32, [B, T] with T >= 1. */
  #checkIds(op: string, idx: Tensor): void {
    checkTensor(op, idx, 'idx');
    if (idx.dtype !== 'int64' && idx.dtype !== 'int32')
      throw new DTypeError(op, `token ids of dtype int64 or int32, got ${idx.dtype}`);
    if (idx.ndim !== 2 || idx.shape[1] === 0)
      throw new ShapeError(op, `ids of shape [B, T] with T >= 1, got ${formatShape(idx.shape)}`);
  }

  /** ids [B, T] at positions past.. -> logits [B, T, vocabSize]. */
  #run(idx: Tensor, cache: GPTCache | null): Tensor {
    const op = 'GPT.forward';
    this.#checkIds(op, idx);
    const past = cache ? cache.length : 0;
    const T = idx.shape[1];
    const { blockSize } = this.config;
    if (past + T > blockSize) {
      throw new ShapeError(
        op,
        past === 0
          ? `a sequence of at most blockSize ${blockSize} tokens, got ${T}`
          : `at most blockSize ${blockSize} positions, got ${past} cached + ${T} new`,
      );
    }
    const tr = this.transformer;
    const pos = arange(past, past + T, 1, { dtype: 'int64', device: idx.device });
    let x = tr.drop.forward(tr.wte.forward(idx).add(tr.wpe.forward(pos)));
    let i = 0;
    for (const block of tr.h) x = block.forward(x, cache ? cache.layers[i++] : null, past);
    if (cache) cache.length = past + T;
    return this.lm_head.forward(tr.ln_f.forward(x));
  }

  /**
   * idx [B, T] token ids (int64) -> logits [B, T, vocabSize]. With targets
   * [B, T] (class ids; -1 is ignored), also the mean cross-entropy loss.
   * T > blockSize is a ShapeError; an id >= vocabSize an IndexError.
   */
  forward(idx: Tensor): Tensor;
  forward(idx: Tensor, targets: Tensor): GPTOutput;
  forward(idx: Tensor, targets?: Tensor): Tensor | GPTOutput {
    const logits = this.#run(idx, null);
    if (targets === undefined) return logits;
    checkTensor('GPT.forward', targets, 'targets');
    if (targets.ndim !== 2 || targets.shape[0] !== idx.shape[0] || targets.shape[1] !== idx.shape[1]) {
      throw new ShapeError(
        'GPT.forward',
        `targets of the ids' shape ${formatShape(idx.shape)}, got ${formatShape(targets.shape)}`,
      );
    }
    const V = this.config.vocabSize;
    const loss = nn.F.crossEntropy(logits.reshape([-1, V]), targets.reshape([-1]), { ignoreIndex: -1 });
    return { logits, loss };
  }

  /** An empty KV cache for `batchSize` sequences of up to blockSize positions (dtype and device of the model). */
  newCache(batchSize: number): GPTCache {
    checkInteger('GPT.newCache', 'batchSize', batchSize, 1);
    const { nLayer, nHead, nEmbd, blockSize } = this.config;
    const w = this.transformer.wte.weight;
    const shape = [batchSize, nHead, blockSize, nEmbd / nHead];
    const layers = Array.from({ length: nLayer }, () => ({
      k: zeros(shape, { dtype: w.dtype, device: w.device }),
      v: zeros(shape, { dtype: w.dtype, device: w.device }),
    }));
    return new GPTCache(layers, batchSize, blockSize);
  }

  /**
   * Runs the new ids [B, T] at positions cache.length.. (attending to the
   * cached ones) and appends their keys and values to the cache: logits
   * [B, T, vocabSize], the same as the last T rows of a full forward.
   */
  forwardCached(idx: Tensor, cache: GPTCache): Tensor {
    if (!(cache instanceof GPTCache))
      throw new ArgumentError('GPT.forwardCached', `a GPTCache, got ${showValue(cache)}`);
    if (idx instanceof Tensor && idx.ndim === 2 && idx.shape[0] !== cache.batchSize) {
      throw new ShapeError(
        'GPT.forwardCached',
        `ids with the cache's batch size ${cache.batchSize}, got ${formatShape(idx.shape)}`,
      );
    }
    return this.#run(idx, cache);
  }

  /**
   * Appends maxNewTokens sampled tokens to idx [B, T] and returns [B, T + n].
   * Runs in eval mode without autograd. Each step samples from the last
   * position's logits (see SampleOptions: temperature 0 is greedy). A
   * context longer than blockSize is cropped to its last blockSize tokens,
   * as nanoGPT does; with the cache, that recomputes the window each step.
   */
  generate(idx: Tensor, maxNewTokens: number, options: GenerateOptions = {}): Tensor {
    const op = 'GPT.generate';
    checkTensor(op, idx, 'idx');
    checkInteger(op, 'maxNewTokens', maxNewTokens, 0);
    const { useCache = true, ...sample } = options;
    if (typeof useCache !== 'boolean') throw new ArgumentError(op, `useCache a boolean, got ${showValue(useCache)}`);
    this.#checkIds(op, idx);
    const wasTraining = this.training;
    this.eval();
    try {
      return noGrad(() => this.#generate(idx, maxNewTokens, useCache, sample));
    } finally {
      this.train(wasTraining);
    }
  }

  #generate(idx: Tensor, n: number, useCache: boolean, sample: SampleOptions): Tensor {
    const { blockSize } = this.config;
    let out = idx;
    let cache: GPTCache | null = null;
    try {
      for (let step = 0; step < n; step++) {
        const T = out.shape[1];
        let logits: Tensor;
        if (!useCache || T > blockSize) {
          cache?.dispose();
          cache = null;
          logits = this.#run(T > blockSize ? out.narrow(1, T - blockSize, blockSize) : out, null);
        } else if (cache === null) {
          cache = this.newCache(out.shape[0]);
          logits = this.#run(out, cache);
        } else {
          logits = this.#run(out.narrow(1, T - 1, 1), cache);
        }
        const last = logits.narrow(1, logits.shape[1] - 1, 1).squeeze(1);
        const next = sampleNext(last, sample);
        out = cat([out, next.to(out.dtype)], 1);
      }
    } finally {
      cache?.dispose();
    }
    return out;
  }

  /**
   * Loads a state dict with HF's GPT2LMHeadModel keys. `lm_head.weight`
   * may be absent (it is tied to transformer.wte.weight); the causal-mask
   * buffers of older HF checkpoints (`h.{i}.attn.bias`, `attn.masked_bias`)
   * are ignored.
   */
  override loadStateDict(stateDict: nn.StateDict | ReadonlyMap<string, Tensor>, strict = true): nn.LoadStateDictResult {
    if (stateDict === null || typeof stateDict !== 'object') return super.loadStateDict(stateDict, strict); // its own error
    const entries: [string, Tensor][] =
      stateDict instanceof Map ? [...stateDict.entries()] : Object.entries(stateDict as nn.StateDict);
    const kept = new Map(entries.filter(([k]) => !STATE_BUFFERS.test(k)));
    const wte = 'transformer.wte.weight';
    if (!kept.has('lm_head.weight') && kept.has(wte)) kept.set('lm_head.weight', kept.get(wte) as Tensor);
    else if (kept.has('lm_head.weight') && !kept.has(wte)) kept.set(wte, kept.get('lm_head.weight') as Tensor);
    return super.loadStateDict(kept, strict);
  }

  override extraRepr(): string {
    const c = this.config;
    return `nLayer=${c.nLayer}, nHead=${c.nHead}, nEmbd=${c.nEmbd}, blockSize=${c.blockSize}, vocabSize=${c.vocabSize}`;
  }
}
