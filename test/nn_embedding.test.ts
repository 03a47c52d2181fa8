// Embedding (issue 13): lookup, paddingIdx, the row-sparse weight gradient
// against a dense reference (repeated ids, accumulation over two backward
// calls, a non-leaf weight), IndexError naming the id, and weight tying
// (one parameter in two modules) with the optimizers updating it once.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as nt from '../lib';
import { RowsGrad } from '../lib/autograd/rows_grad';
import { DEVICES, expectClose, expectError, randomTensor, testSeed, values } from './helpers';

const F = nt.nn.F;
const TIGHT = { atol: 1e-12, rtol: 1e-10 };

function gradOf(t: nt.Tensor): nt.Tensor {
  if (!t.grad) throw new Error('no gradient');
  return t.grad;
}

/** Dense reference of d(sum(out * up))/dweight: up rows added at their ids, padding rows skipped. */
function refGrad(ids: number[], up: Float64Array, V: number, D: number, pad: number | null): Float64Array {
  const g = new Float64Array(V * D);
  ids.forEach((id, k) => {
    if (id === pad) return;
    for (let j = 0; j < D; ++j) g[id * D + j] += up[k * D + j];
  });
  return g;
}

describe.each(DEVICES)('F.embedding / nn.Embedding on %s', (device) => {
  const V = 7;
  const D = 5;
  const ids = [3, 0, 6, 3, 3, 1];

  test('forward picks rows, for any id shape and int32 / int64 ids', () => {
    const { t: w, ref } = randomTensor([V, D], testSeed('emb-w'), { dtype: 'float64', device });
    for (const dtype of ['int64', 'int32'] as const) {
      const idx = nt.tensor(ids, { dtype, shape: [2, 3], device });
      const out = F.embedding(idx, w);
      expect(out.shape).toEqual([2, 3, D]);
      const expected = ids.flatMap((id) => Array.from(ref.slice(id * D, (id + 1) * D)));
      expectClose(out, expected, TIGHT);
    }
    expect(F.embedding(nt.tensor(2, { dtype: 'int64', device }), w).shape).toEqual([D]);
    expect(F.embedding(nt.zeros([0], { dtype: 'int64', device }), w).shape).toEqual([0, D]);
  });

  test('gradient equals the dense reference, with repeated ids and padding', () => {
    for (const pad of [null, 3, -1]) {
      const w = randomTensor([V, D], testSeed('emb-g'), { dtype: 'float64', device }).t.requiresGrad_();
      const up = randomTensor([2, 3, D], testSeed('emb-up'), { dtype: 'float64', device });
      const idx = nt.tensor(ids, { dtype: 'int64', shape: [2, 3], device });
      F.embedding(idx, w, { paddingIdx: pad }).mul(up.t).sum().backward();
      const p = pad === null ? null : (pad + V) % V;
      expectClose(gradOf(w), refGrad(ids, up.ref, V, D, p), TIGHT);
    }
  });

  test('.grad accumulates over two backward calls, and mixes with a dense use', () => {
    const w = randomTensor([V, D], testSeed('emb-acc'), { dtype: 'float64', device }).t.requiresGrad_();
    const up = randomTensor([6, D], testSeed('emb-acc-up'), { dtype: 'float64', device });
    const idx = nt.tensor(ids, { dtype: 'int64', device });
    F.embedding(idx, w).mul(up.t).sum().backward();
    F.embedding(idx, w).mul(up.t).sum().backward();
    const once = refGrad(ids, up.ref, V, D, null);
    expectClose(
      gradOf(w),
      once.map((v) => 2 * v),
      TIGHT,
    );
    // a dense use of the same weight in the same graph adds its gradient (2 * w)
    w.grad = null;
    F.embedding(idx, w).mul(up.t).sum().add(w.square().sum()).backward();
    const wv = values(w.detach());
    expectClose(
      gradOf(w),
      once.map((v, i) => v + 2 * wv[i]),
      TIGHT,
    );
  });

  test('a leaf weight is never given a dense temporary: .grad is made once, then index-added in place', () => {
    const w = randomTensor([V, D], testSeed('emb-sp'), { dtype: 'float64', device }).t.requiresGrad_();
    const idx = nt.tensor(ids, { dtype: 'int64', device });
    const dense = jest.spyOn(RowsGrad.prototype, 'dense');
    try {
      F.embedding(idx, w).sum().backward();
      expect(dense).toHaveBeenCalledTimes(1); // the zeros .grad starts from
      const first = gradOf(w);
      F.embedding(idx, w).sum().backward();
      F.embedding(idx, w).sum().backward();
      expect(dense).toHaveBeenCalledTimes(1);
      expect(gradOf(w)).toBe(first);
    } finally {
      dense.mockRestore();
    }
    const counts = new Float64Array(V * D);
    for (const id of ids) for (let j = 0; j < D; ++j) counts[id * D + j] += 3;
    expectClose(gradOf(w), counts, TIGHT);
  });

  test('a non-leaf weight gets a dense gradient that flows on', () => {
    const base = randomTensor([V, D], testSeed('emb-nl'), { dtype: 'float64', device }).t.requiresGrad_();
    const up = randomTensor([6, D], testSeed('emb-nl-up'), { dtype: 'float64', device });
    F.embedding(nt.tensor(ids, { dtype: 'int64', device }), base.mul(3))
      .mul(up.t)
      .sum()
      .backward();
    expectClose(
      gradOf(base),
      refGrad(ids, up.ref, V, D, null).map((v) => 3 * v),
      TIGHT,
    );
  });

  test('an id out of range is an IndexError naming embedding, the id and the vocabulary size', () => {
    const w = nt.zeros([V, D], { device });
    expectError(
      () =>
        F.embedding(nt.tensor([1, 7], { dtype: 'int64', device }), w)
          .cpu()
          .data(),
      nt.IndexError,
      /^embedding: id 7 is out of range \[0, 7\) for an Embedding with numEmbeddings 7 \(ids must be below numEmbeddings/,
    );
    expectError(
      () =>
        F.embedding(nt.tensor([-1], { dtype: 'int32', device }), w)
          .cpu()
          .data(),
      nt.IndexError,
      /^embedding: id -1 is out of range \[0, 7\)/,
    );
    // index_select itself keeps its own name.
    expectError(
      () =>
        w
          .indexSelect(0, nt.tensor([7], { dtype: 'int64', device }))
          .cpu()
          .data(),
      nt.IndexError,
      /^index_select: index 7 is out of range \[0, 7\)/,
    );
  });

  test('nn.Embedding: N(0, 1) init with a zero padding row, module forward', () => {
    nt.manualSeed(1);
    const emb = new nt.nn.Embedding(400, 50, { paddingIdx: -2, device, dtype: 'float64' });
    expect(emb.paddingIdx).toBe(398);
    const w = values(emb.weight);
    expect(Array.from(w.slice(398 * 50, 399 * 50))).toEqual(new Array(50).fill(0));
    const rest = w.filter((_, i) => Math.floor(i / 50) !== 398);
    const mean = rest.reduce((a, b) => a + b, 0) / rest.length;
    const sd = Math.sqrt(rest.reduce((a, b) => a + (b - mean) ** 2, 0) / rest.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(sd - 1)).toBeLessThan(0.03);
    expect(emb.forward(nt.tensor([[1, 398]], { dtype: 'int64', device })).shape).toEqual([1, 2, 50]);
  });
});

describe('embedding hostile arguments', () => {
  const w = nt.zeros([4, 3]);
  test('typed errors naming the op', () => {
    expectError(() => F.embedding(nt.tensor([1.5]), w), nt.DTypeError, /embedding.*int32 or int64, got float32/);
    expectError(() => F.embedding(nt.tensor([1], { dtype: 'int64' }), nt.zeros([4])), nt.ShapeError, /embedding.*2-D/);
    expectError(
      () => F.embedding(nt.tensor([1], { dtype: 'int64' }), nt.zeros([4, 3], { dtype: 'int64' })),
      nt.DTypeError,
      /embedding.*weight/,
    );
    expectError(
      () => F.embedding(nt.tensor([1], { dtype: 'int64' }), w, { paddingIdx: 4 }),
      nt.ArgumentError,
      /embedding.*paddingIdx.*\[-4, 4\).*got 4/,
    );
    expectError(() => new nt.nn.Embedding(0, 3), nt.ArgumentError, /Embedding.*numEmbeddings/);
    expectError(() => new nt.nn.Embedding(4, 3, { paddingIdx: -5 }), nt.ArgumentError, /Embedding.*paddingIdx/);
    expectError(() => new nt.nn.Embedding(4, 3, { padding: 1 } as never), nt.ArgumentError, /Embedding/);
  });
});

/** A tiny language model whose output head shares the embedding's weight. */
class Tied extends nt.nn.Module {
  wte = new nt.nn.Embedding(6, 4, { dtype: 'float64' });
  lmHead = new nt.nn.Linear(4, 6, { bias: false, dtype: 'float64' });
  constructor() {
    super();
    this.lmHead.weight = this.wte.weight;
  }
  forward(ids: nt.Tensor): nt.Tensor {
    return this.lmHead.forward(this.wte.forward(ids).tanh());
  }
}

describe('weight tying', () => {
  const ids = nt.tensor([0, 5, 2, 2], { dtype: 'int64' });
  const targets = nt.tensor([1, 2, 3, 0], { dtype: 'int64' });

  test('one parameter, listed once; the stateDict has both names, and loads from both', () => {
    nt.manualSeed(3);
    const m = new Tied();
    expect(m.parameters().length).toBe(1);
    expect(m.namedParameters().map(([n]) => n)).toEqual(['wte.weight']);
    const sd = m.stateDict();
    expect(Object.keys(sd).sort()).toEqual(['lmHead.weight', 'wte.weight']);
    const other = new Tied();
    expect(other.loadStateDict(sd)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(other.lmHead.weight).toBe(other.wte.weight);
    expectClose(other.wte.weight, values(m.wte.weight), TIGHT);
  });

  test('a checkpoint of the tied model round-trips through nt.save / nt.load', () => {
    nt.manualSeed(7);
    const m = new Tied();
    const file = path.join(os.tmpdir(), `nt-tied-${process.pid}.safetensors`);
    try {
      nt.save(m.stateDict(), file);
      const other = new Tied();
      other.loadStateDict(nt.load(file));
      expectClose(other.lmHead.weight, values(m.wte.weight), TIGHT);
      expect(other.lmHead.weight).toBe(other.wte.weight);
    } finally {
      fs.rmSync(file, { force: true });
    }
  });

  test('its gradient is the sum of both uses', () => {
    nt.manualSeed(4);
    const m = new Tied();
    F.crossEntropy(m.forward(ids), targets).backward();
    const tied = values(gradOf(m.wte.weight));
    // the same model with two separate copies of the weight
    const a = m.wte.weight.detach().clone().requiresGrad_();
    const b = m.wte.weight.detach().clone().requiresGrad_();
    F.crossEntropy(F.linear(F.embedding(ids, a).tanh(), b), targets).backward();
    const sum = values(gradOf(a).add(gradOf(b)));
    expectClose(tied, sum, TIGHT);
  });

  const optimizers: [string, (p: nt.Tensor[]) => { step(): void; zeroGrad(): void }][] = [
    ['SGD', (p) => new nt.optim.SGD(p, { lr: 0.1, momentum: 0.9 })],
    ['Adam', (p) => new nt.optim.Adam(p, { lr: 0.01 })],
    ['AdamW', (p) => new nt.optim.AdamW(p, { lr: 0.01, weightDecay: 0.1 })],
    ['RMSprop', (p) => new nt.optim.RMSprop(p, { lr: 0.01 })],
  ];
  test.each(optimizers)('%s updates the tied weight once per step, like an untied reference', (_name, make) => {
    nt.manualSeed(5);
    const m = new Tied();
    const opt = make(m.parameters());
    // the reference: one free tensor used in both places, one optimizer entry
    const w = m.wte.weight.detach().clone().requiresGrad_();
    const refOpt = make([w]);
    for (let step = 0; step < 3; ++step) {
      opt.zeroGrad();
      F.crossEntropy(m.forward(ids), targets).backward();
      opt.step();
      refOpt.zeroGrad();
      F.crossEntropy(F.linear(F.embedding(ids, w).tanh(), w), targets).backward();
      refOpt.step();
    }
    expectClose(m.wte.weight, values(w), TIGHT);
    expect(m.lmHead.weight).toBe(m.wte.weight);
  });

  test('Adam step by hand: one update with the summed gradient', () => {
    nt.manualSeed(6);
    const m = new Tied();
    const w0 = values(m.wte.weight);
    const opt = new nt.optim.Adam(m.parameters(), { lr: 0.01 });
    F.crossEntropy(m.forward(ids), targets).backward();
    const g = values(gradOf(m.wte.weight));
    opt.step();
    // first Adam step: m = (1 - b1) g, v = (1 - b2) g^2, bias-corrected: update = lr * g / (|g| + eps)
    const expected = w0.map((v, i) => v - (0.01 * g[i]) / (Math.abs(g[i]) + 1e-8));
    expectClose(m.wte.weight, expected, { atol: 1e-10, rtol: 1e-8 });
  });
});
