// nt.models.GPT (issue 13): GPT-2 parity with a PyTorch reference written
// out in test/fixtures/gpt2_reference.py (HF key names and layouts, run at
// test time into a temporary directory), the KV cache against full
// recomputation, sampling options, hostile inputs, training and state dicts.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import * as nt from '../lib';
import { expectClose, expectError } from './helpers';

const { GPT } = nt.models;
const TINY = { nLayer: 2, nHead: 4, nEmbd: 32, blockSize: 16, vocabSize: 50 };
const PYTHON = '/usr/bin/python3';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nt-gpt-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function torchAvailable(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function ids(rows: number[][]): nt.Tensor {
  return nt.tensor(rows, { dtype: 'int64' });
}

function randomIds(b: number, t: number, vocab: number, seed: number): nt.Tensor {
  nt.manualSeed(seed);
  return nt.randint(0, vocab, [b, t]);
}

function maxAbs(t: nt.Tensor): number {
  return nt.amax(nt.abs(t)).item();
}

describe('GPT-2 parity with PyTorch (HF GPT2LMHeadModel layout)', () => {
  const available = torchAvailable();
  const run = available ? it : it.skip;
  if (!available) console.warn(`models_gpt: ${PYTHON} with torch is not available, the PyTorch parity test is skipped`);

  run('loads an HF-layout safetensors file (no lm_head, old mask buffers) and matches its logits', () => {
    const config = JSON.parse(
      execFileSync(PYTHON, [path.join(__dirname, 'fixtures', 'gpt2_reference.py'), dir, '7'], { encoding: 'utf8' }),
    ) as nt.models.GPTConfig;
    const { tensors, metadata } = nt.loadCheckpoint(path.join(dir, 'gpt2_tiny.safetensors'));
    expect(metadata.format).toBe('pt');
    expect(Object.keys(tensors)).toContain('transformer.h.1.attn.bias');
    expect(Object.keys(tensors)).not.toContain('lm_head.weight');
    const ref = nt.load(path.join(dir, 'gpt2_tiny_logits.safetensors'));

    const model = new GPT(config).eval();
    expect(model.loadStateDict(tensors)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(model.lm_head.weight).toBe(model.transformer.wte.weight);
    const expected = ref.logits.data() as Float64Array;
    const scale = maxAbs(ref.logits);

    const logits32 = nt.noGrad(() => model.forward(ref.ids));
    expect(logits32.shape).toEqual([3, 20, config.vocabSize]);
    expect(logits32.dtype).toBe('float32');
    expectClose(logits32, expected, { atol: 1e-4 * scale, rtol: 1e-4 });
    expectClose(logits32, ref.logits32.data() as Float32Array, { atol: 1e-5 * scale, rtol: 1e-4 });

    model.double();
    const logits64 = nt.noGrad(() => model.forward(ref.ids));
    expectClose(logits64, expected, { atol: 1e-12 * scale, rtol: 1e-10 });
  });
});

describe('GPT module tree', () => {
  it("has HF GPT2LMHeadModel's state-dict keys and shapes, with lm_head tied to wte", () => {
    const m = new GPT({ ...TINY, nLayer: 1 });
    const sd = m.stateDict();
    const C = TINY.nEmbd;
    const shapes = Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, v.shape]));
    expect(shapes).toEqual({
      'transformer.wte.weight': [TINY.vocabSize, C],
      'transformer.wpe.weight': [TINY.blockSize, C],
      'transformer.h.0.ln_1.weight': [C],
      'transformer.h.0.ln_1.bias': [C],
      'transformer.h.0.attn.c_attn.weight': [C, 3 * C],
      'transformer.h.0.attn.c_attn.bias': [3 * C],
      'transformer.h.0.attn.c_proj.weight': [C, C],
      'transformer.h.0.attn.c_proj.bias': [C],
      'transformer.h.0.ln_2.weight': [C],
      'transformer.h.0.ln_2.bias': [C],
      'transformer.h.0.mlp.c_fc.weight': [C, 4 * C],
      'transformer.h.0.mlp.c_fc.bias': [4 * C],
      'transformer.h.0.mlp.c_proj.weight': [4 * C, C],
      'transformer.h.0.mlp.c_proj.bias': [C],
      'transformer.ln_f.weight': [C],
      'transformer.ln_f.bias': [C],
      'lm_head.weight': [TINY.vocabSize, C],
    });
    expect(m.lm_head.weight).toBe(m.transformer.wte.weight);
    // The tied weight counts once.
    const expected =
      TINY.vocabSize * C + TINY.blockSize * C + (4 * C + 3 * C * C + 3 * C + C * C + C + 8 * C * C + 5 * C) + 2 * C;
    expect(m.numParameters()).toBe(expected);
    expect(m.parameters().filter((p) => p === m.transformer.wte.weight)).toHaveLength(1);
    const noBias = new GPT({ ...TINY, nLayer: 1, bias: false });
    expect(Object.keys(noBias.stateDict()).filter((k) => k.endsWith('.bias'))).toEqual([]);
  });

  it('initializes as GPT-2: N(0, 0.02), c_proj N(0, 0.02/sqrt(2 nLayer)), zero biases, unit LayerNorms', () => {
    nt.manualSeed(3);
    const m = new GPT({ nLayer: 4, nHead: 4, nEmbd: 64, blockSize: 64, vocabSize: 512 });
    const std = (t: nt.Tensor): number => nt.std(t).item();
    expect(std(m.transformer.wte.weight)).toBeCloseTo(0.02, 3);
    expect(std(m.transformer.h[0].mlp.c_fc.weight)).toBeCloseTo(0.02, 3);
    expect(std(m.transformer.h[0].attn.c_attn.weight)).toBeCloseTo(0.02, 3);
    expect(Math.abs(std(m.transformer.h[3].mlp.c_proj.weight) / (0.02 / Math.sqrt(8)) - 1)).toBeLessThan(0.05);
    expect(nt.amax(nt.abs(m.transformer.h[1].attn.c_attn.bias as nt.Tensor)).item()).toBe(0);
    expect(nt.amin(m.transformer.h[1].ln_2.weight as nt.Tensor).item()).toBe(1);
  });

  it('loads its own state dict (round trip through a safetensors file) and HF dicts with lm_head only', () => {
    nt.manualSeed(1);
    const a = new GPT(TINY).eval();
    const b = new GPT(TINY).eval();
    const file = path.join(dir, 'roundtrip.safetensors');
    nt.save(a.stateDict(), file);
    const x = randomIds(2, 7, TINY.vocabSize, 11);
    expect(b.loadStateDict(nt.load(file))).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expectClose(
      nt.noGrad(() => b.forward(x)),
      nt.noGrad(() => a.forward(x)).data() as Float32Array,
      {
        atol: 0,
        rtol: 0,
      },
    );
    // A dict with lm_head.weight but no transformer.wte.weight fills the tied weight.
    const sd = a.stateDict();
    const only = Object.fromEntries(Object.entries(sd).filter(([k]) => k !== 'transformer.wte.weight'));
    const c = new GPT(TINY);
    c.loadStateDict(only);
    expectClose(c.transformer.wte.weight, sd['transformer.wte.weight'].data() as Float32Array, { atol: 0, rtol: 0 });
    // Other unexpected keys still fail under strict.
    expectError(
      () => c.loadStateDict({ ...sd, 'transformer.h.0.attn.extra': nt.zeros([1]) }),
      nt.ArgumentError,
      /unexpected keys \[transformer\.h\.0\.attn\.extra\]/,
    );
  });
});

describe('GPT forward', () => {
  it('returns logits [B, T, vocab] and, with targets, the mean cross-entropy (-1 ignored)', () => {
    nt.manualSeed(5);
    const m = new GPT(TINY).eval();
    const x = randomIds(2, 9, TINY.vocabSize, 2);
    const y = randomIds(2, 9, TINY.vocabSize, 3);
    const { logits, loss } = m.forward(x, y);
    expect(logits.shape).toEqual([2, 9, TINY.vocabSize]);
    const ref = nt.nn.F.crossEntropy(logits.reshape([-1, TINY.vocabSize]), y.reshape([-1]));
    expectClose(loss, [ref.item()], { atol: 1e-6, rtol: 1e-6 });
    // At init the loss is close to ln(vocab).
    expect(Math.abs(loss.item() - Math.log(TINY.vocabSize))).toBeLessThan(0.3);
    const yIgnored = nt.where(nt.arange(9).lt(4), y, -1);
    const part = m.forward(x, yIgnored).loss;
    const refPart = nt.nn.F.crossEntropy(
      logits.narrow(1, 0, 4).reshape([-1, TINY.vocabSize]),
      y.narrow(1, 0, 4).reshape([-1]),
    );
    expectClose(part, [refPart.item()], { atol: 1e-6, rtol: 1e-6 });
  });

  it('rejects hostile inputs with typed errors', () => {
    const m = new GPT(TINY);
    expectError(
      () => m.forward(nt.zeros([1, 17], { dtype: 'int64' })),
      nt.ShapeError,
      'GPT.forward: a sequence of at most blockSize 16 tokens, got 17',
    );
    expectError(() => m.forward(ids([[1, 2, 57]])), nt.IndexError, /\b57\b/);
    expectError(() => m.forward(nt.zeros([1, 3]) as nt.Tensor), nt.DTypeError, /int64 or int32, got float32/);
    expectError(() => m.forward(ids([[1, 2]]).reshape([2])), nt.ShapeError, /\[B, T\] with T >= 1, got \[2\]/);
    expectError(() => m.forward(nt.zeros([2, 0], { dtype: 'int64' })), nt.ShapeError, /T >= 1, got \[2, 0\]/);
    expectError(
      () => m.forward(ids([[1, 2]]), ids([[1, 2, 3]])),
      nt.ShapeError,
      /targets of the ids' shape \[1, 2\], got \[1, 3\]/,
    );
    expectError(
      () => new GPT({ ...TINY, nHead: 5 }),
      nt.ArgumentError,
      /nEmbd divisible by nHead, got nEmbd 32 and nHead 5/,
    );
    expectError(() => new GPT({ ...TINY, nLayer: 0 }), nt.ArgumentError, /nLayer/);
    expectError(() => new GPT({ ...TINY, dropout: 1 }), nt.ArgumentError, /dropout in \[0, 1\)/);
    expectError(() => new GPT({ ...TINY, nLayers: 2 } as nt.models.GPTConfig), nt.ArgumentError, /nLayers/);
  });

  it('trains: a few AdamW steps with gradient clipping lower the loss on a fixed batch', () => {
    nt.manualSeed(9);
    const m = new GPT({ ...TINY, dropout: 0.1 });
    const opt = new nt.optim.AdamW(m.parameters(), { lr: 3e-3, weightDecay: 0.1 });
    const x = randomIds(4, 16, TINY.vocabSize, 4);
    // Next-token targets: the sequence shifted by one, the last position ignored.
    const targets = nt.cat([x.narrow(1, 1, 15), nt.full([4, 1], -1, { dtype: 'int64' })], 1);
    const losses: number[] = [];
    for (let step = 0; step < 30; step++) {
      nt.scope(() => {
        opt.zeroGrad();
        const { loss } = m.forward(x, targets);
        loss.backward();
        const norm = nt.nn.utils.clipGradNorm_(m.parameters(), 1.0);
        expect(norm.shape).toEqual([]);
        opt.step();
        losses.push(loss.item());
      });
    }
    expect(losses[0]).toBeGreaterThan(3.5);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] - 1.5);
    // The tied weight got the gradient of both uses and is one tensor still.
    expect(m.lm_head.weight).toBe(m.transformer.wte.weight);
  });
});

describe('GPT KV cache and generation', () => {
  nt.manualSeed(21);
  const model = new GPT(TINY).eval();
  const prompt = randomIds(2, 5, TINY.vocabSize, 6);

  it('forwardCached over a prefill, single tokens and a chunk gives the logits of the full forward', () => {
    const x = randomIds(2, 12, TINY.vocabSize, 8);
    const full = nt.noGrad(() => model.forward(x));
    const cache = model.newCache(2);
    const parts = nt.noGrad(() => [
      model.forwardCached(x.narrow(1, 0, 5), cache),
      model.forwardCached(x.narrow(1, 5, 1), cache),
      model.forwardCached(x.narrow(1, 6, 4), cache), // a chunk after a cache: explicit mask
      model.forwardCached(x.narrow(1, 10, 2), cache),
    ]);
    expect(cache.length).toBe(12);
    expectClose(nt.cat(parts, 1), full.data() as Float32Array, { atol: 1e-5, rtol: 1e-4 });
    expectError(
      () => model.forwardCached(x.narrow(1, 0, 5), cache),
      nt.ShapeError,
      /at most blockSize 16 positions, got 12 cached \+ 5 new/,
    );
    expectError(() => model.forwardCached(ids([[1]]), cache), nt.ShapeError, /batch size 2, got \[1, 1\]/);
    cache.dispose();
  });

  it('greedy (temperature 0) decoding gives the same tokens with and without the cache, past blockSize too', () => {
    const n = 20; // 5 + 20 > blockSize 16: the window slides
    const cached = model.generate(prompt, n, { temperature: 0 });
    const full = model.generate(prompt, n, { temperature: 0, useCache: false });
    expect(cached.shape).toEqual([2, 25]);
    expect(cached.toArray()).toEqual(full.toArray());
    expect(cached.narrow(1, 0, 5).toArray()).toEqual(prompt.toArray());
    // Step by step by hand: argmax of the full forward's last row.
    let seq = prompt;
    for (let i = 0; i < 4; i++) {
      const logits = nt.noGrad(() => model.forward(seq));
      seq = nt.cat([seq, logits.narrow(1, seq.shape[1] - 1, 1).argmax(-1)], 1);
    }
    expect(cached.narrow(1, 0, 9).toArray()).toEqual(seq.toArray());
  });

  it.each([[{}], [{ temperature: 0.8, topK: 10 }], [{ temperature: 1.3, topP: 0.9 }], [{ topK: 20, topP: 0.5 }]])(
    'sampling %p under a fixed generator: the same tokens with and without the cache',
    (opts) => {
      const a = model.generate(prompt, 11, { ...opts, generator: new nt.Generator(42) });
      const b = model.generate(prompt, 11, { ...opts, useCache: false, generator: new nt.Generator(42) });
      expect(a.toArray()).toEqual(b.toArray());
      const c = model.generate(prompt, 11, { ...opts, generator: new nt.Generator(43) });
      expect(c.toArray()).not.toEqual(a.toArray());
      const v = nt.amax(a).item();
      expect(v).toBeLessThan(TINY.vocabSize);
      // nt.manualSeed drives the default stream.
      nt.manualSeed(77);
      const d = model.generate(prompt, 6, opts);
      nt.manualSeed(77);
      expect(model.generate(prompt, 6, opts).toArray()).toEqual(d.toArray());
    },
  );

  it('topK 1 and a tiny topP are greedy; topK keeps only the k most likely tokens', () => {
    const greedy = model.generate(prompt, 6, { temperature: 0 }).toArray();
    expect(model.generate(prompt, 6, { topK: 1 }).toArray()).toEqual(greedy);
    expect(model.generate(prompt, 6, { topP: 1e-6 }).toArray()).toEqual(greedy);
    const logits = nt
      .noGrad(() => model.forward(prompt))
      .narrow(1, 4, 1)
      .squeeze(1);
    const allowed = [0, 1].map((r) => {
      const row = Array.from(logits.narrow(0, r, 1).data() as Float32Array);
      return new Set(
        row
          .map((v, i) => [v, i])
          .sort((p, q) => q[0] - p[0])
          .slice(0, 3)
          .map(([, i]) => i),
      );
    });
    for (let s = 0; s < 20; s++) {
      const next = model.generate(prompt, 1, { topK: 3, temperature: 2, generator: new nt.Generator(s) });
      const tok = next.narrow(1, 5, 1).toArray() as number[][];
      expect(allowed[0].has(tok[0][0])).toBe(true);
      expect(allowed[1].has(tok[1][0])).toBe(true);
    }
  });

  it('leaves the mode and autograd alone, returns the prompt for 0 tokens, and rejects bad options', () => {
    const m = new GPT(TINY); // training mode
    const out = m.generate(prompt, 0);
    expect(out.toArray()).toEqual(prompt.toArray());
    m.generate(prompt, 2);
    expect(m.training).toBe(true);
    expect(m.generate(prompt, 2).requiresGrad).toBe(false);
    expectError(() => m.generate(prompt, -1), nt.ArgumentError, /maxNewTokens/);
    expectError(
      () => m.generate(prompt, 1, { temperature: -1 }),
      nt.ArgumentError,
      /temperature a finite number >= 0, got -1/,
    );
    expectError(() => m.generate(prompt, 1, { topK: 0 }), nt.ArgumentError, /topK an integer >= 1, got 0/);
    expectError(() => m.generate(prompt, 1, { topP: 1.5 }), nt.ArgumentError, /topP in \(0, 1\], got 1.5/);
    expectError(() => m.generate(prompt, 1, { top_k: 3 } as nt.models.GenerateOptions), nt.ArgumentError, /top_k/);
    expectError(() => m.generate(nt.zeros([1, 2]), 1), nt.DTypeError, /int64 or int32/);
  });
});
