// nn.ModuleDict and nn.utils.clipGradNorm_ / clipGradValue_ (issue 13):
// PyTorch names, Map-like access, and clipping against float64 references.
import * as nt from '../lib';
import { expectClose, expectError, randomValues, testSeed, values } from './helpers';

const { nn } = nt;

describe('nn.ModuleDict', () => {
  it("registers its modules as children named by key (PyTorch's state-dict names)", () => {
    const d = new nn.ModuleDict({ enc: new nn.Linear(2, 3), dec: new nn.Linear(3, 1, { bias: false }) });
    expect(d.keys()).toEqual(['enc', 'dec']);
    expect(Object.keys(d.stateDict())).toEqual(['enc.weight', 'enc.bias', 'dec.weight']);
    expect(d.namedParameters().map(([n]) => n)).toEqual(['enc.weight', 'enc.bias', 'dec.weight']);
    const outer = new nn.ModuleList([d]);
    expect(Object.keys(outer.stateDict())).toEqual(['0.enc.weight', '0.enc.bias', '0.dec.weight']);
  });

  it('is Map-like: get, set, has, delete, size, keys/values/entries and iteration in insertion order', () => {
    const a = new nn.ReLU();
    const b = new nn.Tanh();
    const d = new nn.ModuleDict<nt.nn.Module>([
      ['b', b],
      ['a', a],
    ]);
    expect(d.size).toBe(2);
    expect(d.has('a')).toBe(true);
    expect(d.get('b')).toBe(b);
    expect(d.values()).toEqual([b, a]);
    expect([...d]).toEqual([
      ['b', b],
      ['a', a],
    ]);
    const c = new nn.Linear(1, 1);
    d.set('a', c); // replacing keeps the key's place
    expect(d.entries()).toEqual([
      ['b', b],
      ['a', c],
    ]);
    expect(d.delete('b')).toBe(true);
    expect(d.delete('b')).toBe(false);
    expect(d.keys()).toEqual(['a']);
    expect(Object.keys(d.stateDict())).toEqual(['a.weight', 'a.bias']);
    expect(d.children()).toEqual([c]);
  });

  it('refuses bad keys, non-modules and a missing key with typed errors', () => {
    const d = new nn.ModuleDict();
    expectError(() => d.set('a.b', new nn.ReLU()), nt.ArgumentError, /without "."/);
    expectError(() => d.set('', new nn.ReLU()), nt.ArgumentError, /non-empty key/);
    expectError(() => d.set('keys', new nn.ReLU()), nt.ArgumentError, /not a ModuleDict member, got "keys"/);
    expectError(() => d.set('training', new nn.ReLU()), nt.ArgumentError, /"training"/);
    expectError(() => d.set('x', 3 as unknown as nt.nn.Module), nt.ArgumentError, /a Module, got 3/);
    expectError(() => d.get('nope'), nt.IndexError, /one of the keys \[\], got 'nope'|got "nope"|got nope/);
    expectError(() => d.forward(), nt.ArgumentError, /no forward/);
  });
});

/** Parameters with random grads (float64), and their flat grad values. */
function paramsWithGrads(shapes: number[][], salt: string): { params: nt.Tensor[]; grads: Float64Array[] } {
  const params: nt.Tensor[] = [];
  const grads: Float64Array[] = [];
  shapes.forEach((shape, i) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const p = nn.Parameter(nt.zeros(shape, { dtype: 'float64' }));
    const g = randomValues(n, testSeed(`${salt}${i}`), -3, 3);
    p.grad = nt.tensor(Array.from(g), { dtype: 'float64' }).reshape(shape);
    params.push(p);
    grads.push(g);
  });
  return { params, grads };
}

function refNorm(grads: Float64Array[], p: number): number {
  const all = grads.flatMap((g) => Array.from(g));
  if (p === Infinity) return Math.max(...all.map(Math.abs));
  return all.reduce((s, v) => s + Math.abs(v) ** p, 0) ** (1 / p);
}

describe('nn.utils.clipGradNorm_', () => {
  const shapes = [[3, 4], [5], [2, 2, 2]];
  it.each([2, 1, 3, 0.5, Infinity])(
    'norm %p: returns the total norm and scales grads by min(1, max/(norm+1e-6))',
    (p) => {
      const { params, grads } = paramsWithGrads(shapes, String(p));
      const norm = refNorm(grads, p);
      const maxNorm = norm / 3;
      const total = nn.utils.clipGradNorm_(params, maxNorm, p);
      expect(total.shape).toEqual([]);
      expectClose(total, [norm], { atol: 1e-12, rtol: 1e-12 });
      const coef = Math.min(1, maxNorm / (norm + 1e-6));
      params.forEach((q, i) => {
        expectClose(
          q.grad as nt.Tensor,
          Array.from(grads[i], (v) => v * coef),
          { atol: 1e-12, rtol: 1e-12 },
        );
      });
      // Already within the bound: left as they are.
      const again = nn.utils.clipGradNorm_(params, maxNorm * 10, p);
      expectClose(again, [refNorm(grads, p) * coef], { atol: 1e-12, rtol: 1e-10 });
      expectClose(
        params[0].grad as nt.Tensor,
        Array.from(grads[0], (v) => v * coef),
        { atol: 1e-12, rtol: 1e-12 },
      );
    },
  );

  it('works in float32, skips parameters without grads and takes a single tensor', () => {
    const p = nn.Parameter(nt.zeros([4]));
    p.grad = nt.tensor([3, 4, 0, 0], { dtype: 'float32' });
    const q = nn.Parameter(nt.zeros([2])); // no grad
    const total = nn.utils.clipGradNorm_([p, q], 1);
    expect(total.dtype).toBe('float32');
    expectClose(total, [5], { atol: 1e-6, rtol: 1e-6 });
    expectClose(p.grad, [0.6, 0.8, 0, 0], { atol: 1e-6, rtol: 1e-5 });
    expect(q.grad).toBeNull();
    expectClose(nn.utils.clipGradNorm_(p, 10), [1], { atol: 1e-6, rtol: 1e-5 });
    expect(nn.utils.clipGradNorm_([q], 1).item()).toBe(0);
  });

  it('reports a non-finite norm only when asked, and rejects bad arguments', () => {
    const p = nn.Parameter(nt.zeros([2]));
    p.grad = nt.tensor([Infinity, 1], { dtype: 'float32' });
    expect(nn.utils.clipGradNorm_([p], 1).item()).toBe(Infinity);
    p.grad = nt.tensor([Infinity, 1], { dtype: 'float32' });
    expectError(
      () => nn.utils.clipGradNorm_([p], 1, 2, true),
      nt.NodetorchError,
      /total norm of order 2 .* is Infinity/,
    );
    expectError(() => nn.utils.clipGradNorm_([p], -1), nt.ArgumentError, /maxNorm >= 0, got -1/);
    expectError(() => nn.utils.clipGradNorm_([p], 1, 0), nt.ArgumentError, /normType > 0 or Infinity, got 0/);
    expectError(() => nn.utils.clipGradNorm_([3 as unknown as nt.Tensor], 1), nt.ArgumentError, /Tensors, got 3/);
  });

  it('makes no host read: the step stays recorded until something reads it', async () => {
    const { params } = paramsWithGrads([[64, 64]], 'async');
    const total = nn.utils.clipGradNorm_(params, 0.1);
    await nt.synchronize();
    expect(values(total)[0]).toBeGreaterThan(0.1);
  });
});

describe('nn.utils.clipGradValue_', () => {
  it('clamps every grad to [-v, v] in place', () => {
    const { params, grads } = paramsWithGrads([[3, 4], [7]], 'value');
    nn.utils.clipGradValue_(params, 1.5);
    params.forEach((p, i) => {
      expectClose(
        p.grad as nt.Tensor,
        Array.from(grads[i], (v) => Math.max(-1.5, Math.min(1.5, v))),
        {
          atol: 0,
          rtol: 0,
        },
      );
    });
    expectError(() => nn.utils.clipGradValue_(params, -1), nt.ArgumentError, /clipValue >= 0, got -1/);
  });
});
