// MultiheadAttention, TransformerEncoderLayer and TransformerEncoder (issue
// 13): against PyTorch 1.13 in float64 (test/fixtures/torch_transformer.py,
// when /usr/bin/python3 has torch), against a per-head loop written here,
// gradcheck, module structure and hostile arguments.
import { execFileSync } from 'child_process';
import { existsSync } from 'fs';
import { join } from 'path';

import * as nt from '../lib';
import { expectClose, expectError, randomValues, testSeed, values } from './helpers';

const nn = nt.nn;
const F64 = { dtype: 'float64' } as const;
const TIGHT = { atol: 1e-10, rtol: 1e-8 };

interface Flat {
  shape: number[];
  data: number[];
}
type Case = Record<string, Flat | Record<string, Flat> | boolean[]>;

const PYTHON = '/usr/bin/python3';

function torchCases(): Record<string, Case> | null {
  if (!existsSync(PYTHON)) return null;
  try {
    const out = execFileSync(PYTHON, [join(__dirname, 'fixtures', 'torch_transformer.py'), '7'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 << 20,
    });
    return JSON.parse(out) as Record<string, Case>;
  } catch {
    return null;
  }
}

const tensorOf = (f: Flat): nt.Tensor => nt.tensor(f.data, F64).reshape(f.shape);

/** Loads PyTorch's state dict as it is: its snake_case keys map to the camelCase fields. */
function loadTorchState(m: nt.nn.Module, state: Record<string, Flat>): void {
  const sd: Record<string, nt.Tensor> = {};
  for (const [k, v] of Object.entries(state)) sd[k] = tensorOf(v);
  expect(m.loadStateDict(sd)).toEqual({ missingKeys: [], unexpectedKeys: [] });
}

const cases = torchCases();
const withTorch = cases ? describe : describe.skip;
if (!cases) console.warn('nn_transformer: /usr/bin/python3 with torch not found; PyTorch parity skipped');

withTorch('against PyTorch 1.13 (float64)', () => {
  const c = cases as Record<string, Case>;

  test('self-attention: key padding, bool causal mask, averaged weights', () => {
    const k = c.mha_self;
    const mha = new nn.MultiheadAttention(8, 2, { batchFirst: true, dtype: 'float64' });
    loadTorchState(mha, k.state as Record<string, Flat>);
    const x = tensorOf(k.x as Flat);
    const pad = nt.tensor(k.pad as boolean[], { dtype: 'bool' }).reshape([3, 5]);
    const causal = nt.ones([5, 5], { dtype: 'bool' }).triu(1);
    const [out, w] = mha.forward(x, x, x, { keyPaddingMask: pad, attnMask: causal });
    expectClose(out, (k.out as Flat).data, TIGHT);
    expectClose(w as nt.Tensor, (k.weights as Flat).data, TIGHT);
    // The fused path (no weights) gives the same output.
    const [fused, none] = mha.forward(x, x, x, { keyPaddingMask: pad, attnMask: causal, needWeights: false });
    expect(none).toBeNull();
    expectClose(fused, (k.out as Flat).data, TIGHT);
  });

  test('cross-attention: kdim/vdim, float mask, per-head weights, sequence first', () => {
    const k = c.mha_cross;
    const mha = new nn.MultiheadAttention(6, 3, { kdim: 4, vdim: 5, dtype: 'float64' });
    expect(mha.inProjWeight).toBeNull();
    loadTorchState(mha, k.state as Record<string, Flat>);
    const [out, w] = mha.forward(tensorOf(k.q as Flat), tensorOf(k.k as Flat), tensorOf(k.v as Flat), {
      attnMask: tensorOf(k.mask as Flat),
      averageAttnWeights: false,
    });
    expect(out.shape).toEqual([4, 2, 6]);
    expect((w as nt.Tensor).shape).toEqual([2, 3, 4, 7]);
    expectClose(out, (k.out as Flat).data, TIGHT);
    expectClose(w as nt.Tensor, (k.weights as Flat).data, TIGHT);
  });

  test.each([
    ['encoder_post_norm', false],
    ['encoder_norm_first', true],
  ])('TransformerEncoderLayer %s', (name, normFirst) => {
    const k = c[name];
    const layer = new nn.TransformerEncoderLayer(8, 2, {
      dimFeedforward: 16,
      dropout: 0,
      activation: 'gelu',
      batchFirst: true,
      normFirst,
      dtype: 'float64',
    });
    loadTorchState(layer, k.state as Record<string, Flat>);
    layer.eval();
    expectClose(layer.forward(tensorOf(k.x as Flat)), (k.out as Flat).data, TIGHT);
  });
});

/** softmax(q k^T / sqrt(d) + mask) v per batch and head, in plain loops. */
function attentionLoop(
  q: Float64Array,
  k: Float64Array,
  v: Float64Array,
  [N, H, L, S, D]: number[],
  masked: (n: number, i: number, j: number) => boolean,
): Float64Array {
  const out = new Float64Array(N * H * L * D);
  for (let n = 0; n < N; ++n)
    for (let h = 0; h < H; ++h)
      for (let i = 0; i < L; ++i) {
        const s: number[] = [];
        for (let j = 0; j < S; ++j) {
          let dot = 0;
          for (let d = 0; d < D; ++d) dot += q[((n * H + h) * L + i) * D + d] * k[((n * H + h) * S + j) * D + d];
          s.push(masked(n, i, j) ? -Infinity : dot / Math.sqrt(D));
        }
        const m = Math.max(...s);
        const e = s.map((x) => Math.exp(x - m));
        const z = e.reduce((a, b) => a + b, 0);
        for (let d = 0; d < D; ++d) {
          let acc = 0;
          for (let j = 0; j < S; ++j) acc += (e[j] / z) * v[((n * H + h) * S + j) * D + d];
          out[((n * H + h) * L + i) * D + d] = acc;
        }
      }
  return out;
}

describe('MultiheadAttention against per-head loops', () => {
  test('projections, heads and key padding by hand', () => {
    const seed = testSeed('mha-loop');
    const [N, L, E, H] = [2, 5, 8, 4];
    const D = E / H;
    const mha = new nn.MultiheadAttention(E, H, { batchFirst: true, dtype: 'float64' });
    const x = nt.tensor(randomValues(N * L * E, seed), F64).reshape([N, L, E]);
    const pad = nt.zeros([N, L], { dtype: 'bool' });
    pad.narrow(0, 1, 1).narrow(1, 3, 2).fill_(1);
    const [out] = mha.forward(x, x, x, { keyPaddingMask: pad, needWeights: false });
    // q, k, v by hand: x @ W_i^T + b_i, split into heads.
    const W = values(mha.inProjWeight as nt.Tensor);
    const b = values(mha.inProjBias as nt.Tensor);
    const xs = values(x);
    const proj = (i: number): Float64Array => {
      const r = new Float64Array(N * H * L * D);
      for (let n = 0; n < N; ++n)
        for (let t = 0; t < L; ++t)
          for (let o = 0; o < E; ++o) {
            let acc = b[i * E + o];
            for (let e = 0; e < E; ++e) acc += xs[(n * L + t) * E + e] * W[(i * E + o) * E + e];
            const h = Math.floor(o / D);
            r[((n * H + h) * L + t) * D + (o % D)] = acc;
          }
      return r;
    };
    const heads = attentionLoop(proj(0), proj(1), proj(2), [N, H, L, L, D], (n, _i, j) => n === 1 && j >= 3);
    const Wo = values(mha.outProj.weight);
    const bo = values(mha.outProj.bias as nt.Tensor);
    const expected = new Float64Array(N * L * E);
    for (let n = 0; n < N; ++n)
      for (let t = 0; t < L; ++t)
        for (let o = 0; o < E; ++o) {
          let acc = bo[o];
          for (let e = 0; e < E; ++e) {
            const h = Math.floor(e / D);
            acc += heads[((n * H + h) * L + t) * D + (e % D)] * Wo[o * E + e];
          }
          expected[(n * L + t) * E + o] = acc;
        }
    expectClose(out, expected, TIGHT);
  });

  test('isCausal equals an explicit bool mask; unbatched input', () => {
    const mha = new nn.MultiheadAttention(6, 2, { dtype: 'float64' });
    const x = nt.tensor(randomValues(4 * 6, testSeed('mha-causal')), F64).reshape([4, 6]);
    const [a] = mha.forward(x, x, x, { isCausal: true, needWeights: false });
    const [b, w] = mha.forward(x, x, x, { attnMask: nt.ones([4, 4], { dtype: 'bool' }).triu(1) });
    expect(a.shape).toEqual([4, 6]);
    expect((w as nt.Tensor).shape).toEqual([4, 4]);
    expectClose(a, values(b), TIGHT);
    // Row 0 of the weights attends to key 0 only.
    expectClose((w as nt.Tensor).narrow(0, 0, 1), [1, 0, 0, 0], TIGHT);
  });

  test('gradcheck through projections and attention', () => {
    const mha = new nn.MultiheadAttention(4, 2, { batchFirst: true, dtype: 'float64' });
    const q = nt
      .tensor(randomValues(2 * 3 * 4, testSeed('mha-gc')), F64)
      .reshape([2, 3, 4])
      .requiresGrad_();
    const kv = nt
      .tensor(randomValues(2 * 5 * 4, testSeed('mha-gc2')), F64)
      .reshape([2, 5, 4])
      .requiresGrad_();
    expect(nt.autograd.gradcheck((a, b) => mha.forward(a, b, b, { needWeights: false })[0], [q, kv])).toBe(true);
    expect(nt.autograd.gradcheck((a, b) => mha.forward(a, b, b)[0], [q, kv])).toBe(true);
    // Every parameter receives a gradient.
    mha.forward(q, kv, kv, { needWeights: false })[0].sum().backward();
    for (const [name, p] of mha.namedParameters()) expect([name, p.grad === null]).toEqual([name, false]);
  });

  test('PyTorch parameter names and shapes', () => {
    const mha = new nn.MultiheadAttention(8, 2);
    expect(Object.fromEntries(Object.entries(mha.stateDict()).map(([k, v]) => [k, v.shape]))).toEqual({
      inProjWeight: [24, 8],
      inProjBias: [24],
      'outProj.weight': [8, 8],
      'outProj.bias': [8],
    });
    expect(new nn.MultiheadAttention(8, 2, { bias: false }).parameters().length).toBe(2);
  });
});

describe('TransformerEncoder', () => {
  test('layers are independent copies; training runs and lowers a loss', () => {
    nt.manualSeed(3);
    const layer = new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0.1, batchFirst: true });
    const enc = new nn.TransformerEncoder(layer, 2, { norm: new nn.LayerNorm(8) });
    const names = Object.keys(enc.stateDict());
    expect(names).toContain('layers.0.selfAttn.inProjWeight');
    expect(names).toContain('layers.1.linear2.bias');
    expect(names).toContain('norm.weight');
    expect(enc.layers[0].linear1.weight).not.toBe(enc.layers[1].linear1.weight);
    expect(values(enc.layers[0].linear1.weight)).toEqual(values(enc.layers[1].linear1.weight));
    const x = nt.randn([4, 6, 8]);
    const target = nt.randn([4, 6, 8]);
    const opt = new nt.optim.Adam(enc.parameters(), { lr: 1e-2 });
    const losses: number[] = [];
    for (let i = 0; i < 20; ++i) {
      opt.zeroGrad();
      const loss = nt.nn.F.mseLoss(enc.forward(x, { isCausal: true }), target);
      loss.backward();
      opt.step();
      losses.push(loss.item());
    }
    expect(losses[19]).toBeLessThan(losses[0]);
    // eval mode is deterministic (no dropout).
    enc.eval();
    expect(values(enc.forward(x))).toEqual(values(enc.forward(x)));
  });
});

describe('hostile arguments', () => {
  test('typed errors name the layer, what it expects and what it got', () => {
    expectError(() => new nn.MultiheadAttention(10, 3), nt.ShapeError, /numHeads 3 must divide embedDim 10/);
    expectError(() => new nn.MultiheadAttention(8, 2, { batchFrist: true } as never), nt.ArgumentError, /batchFrist/);
    const mha = new nn.MultiheadAttention(8, 2);
    const x = nt.randn([5, 2, 8]);
    expectError(() => mha.forward(x, x, nt.randn([5, 2, 7])), nt.ShapeError, /value of shape \[seq, batch, 8\]/);
    expectError(
      () => mha.forward(x, x, x, { attnMask: nt.zeros([4, 5]) }),
      nt.ShapeError,
      /attnMask of shape \[5, 5\]/,
    );
    expectError(
      () => mha.forward(x, x, x, { keyPaddingMask: nt.zeros([5, 2], { dtype: 'bool' }) }),
      nt.ShapeError,
      /keyPaddingMask of shape \[2, 5\]/,
    );
    expectError(
      () => mha.forward(x, x, x, { attnMask: nt.zeros([5, 5], { dtype: 'int64' }) }),
      nt.DTypeError,
      /attnMask must be bool or float32/,
    );
    expectError(
      () => new nn.TransformerEncoderLayer(8, 2, { activation: 'tanh' as never }),
      nt.ArgumentError,
      /activation 'relu', 'gelu' or a function/,
    );
  });
});
