// nn.Module: registration from fields (nested modules, arrays, Sequential,
// ModuleList), PyTorch names and order, buffers, stateDict round trips and
// strict errors, train/eval, zeroGrad, to(), apply, repr, Parameter.
import * as nt from '../lib';
import { expectClose, expectError, values } from './helpers';

const { nn } = nt;
type Tensor = nt.Tensor;

class Block extends nn.Module {
  fc = new nn.Linear(4, 3);
  act = new nn.ReLU();
  declare count: Tensor; // a buffer, set by registerBuffer
  constructor() {
    super();
    this.registerBuffer('count', nt.zeros([1]));
  }
  forward(x: Tensor): Tensor {
    return this.act.forward(this.fc.forward(x));
  }
}

class Net extends nn.Module {
  scale = nn.Parameter(nt.ones([3]));
  encoder = new Block();
  heads = [new nn.Linear(3, 2), new nn.Linear(3, 2, { bias: false })];
  seq = new nn.Sequential(new nn.Linear(2, 2), new nn.Tanh());
  notAParam = nt.zeros([2]);
  forward(x: Tensor): Tensor {
    const h = this.encoder.forward(x).mul(this.scale);
    return this.seq.forward(this.heads[0].forward(h).add(this.heads[1].forward(h)));
  }
}

describe('nn.Module registration', () => {
  test('namedParameters: names and PyTorch order (own params first, then children in field order)', () => {
    const net = new Net();
    expect(net.namedParameters().map(([n]) => n)).toEqual([
      'scale',
      'encoder.fc.weight',
      'encoder.fc.bias',
      'heads.0.weight',
      'heads.0.bias',
      'heads.1.weight',
      'seq.0.weight',
      'seq.0.bias',
    ]);
    expect(net.parameters()).toHaveLength(8);
    expect(net.parameters()[1]).toBe(net.encoder.fc.weight);
    expect(net.numParameters()).toBe(3 + 12 + 3 + 6 + 2 + 6 + 4 + 2);
    expect(net.namedParameters('p', false).map(([n]) => n)).toEqual(['p.scale']);
  });

  test('children, modules, buffers', () => {
    const net = new Net();
    expect(net.namedChildren().map(([n]) => n)).toEqual(['encoder', 'heads.0', 'heads.1', 'seq']);
    expect(net.namedModules().map(([n]) => n)).toEqual([
      '',
      'encoder',
      'encoder.fc',
      'encoder.act',
      'heads.0',
      'heads.1',
      'seq',
      'seq.0',
      'seq.1',
    ]);
    expect(net.modules()[0]).toBe(net);
    expect(net.namedBuffers().map(([n]) => n)).toEqual(['encoder.count']);
    expect(net.buffers()[0]).toBe(net.encoder.count);
  });

  test('fields reassigned later are picked up; shared params are listed once', () => {
    const net = new Net();
    net.heads.push(new nn.Linear(3, 2));
    expect(net.namedParameters().some(([n]) => n === 'heads.2.bias')).toBe(true);
    const shared = new nn.Linear(2, 2);
    class Tied extends nn.Module {
      a = shared;
      b = shared;
      forward(x: Tensor): Tensor {
        return this.b.forward(this.a.forward(x));
      }
    }
    const tied = new Tied();
    expect(tied.namedParameters().map(([n]) => n)).toEqual(['a.weight', 'a.bias']);
    expect(Object.keys(tied.stateDict())).toEqual(['a.weight', 'a.bias', 'b.weight', 'b.bias']);
  });

  test('Sequential: indexable, iterable, forward chains', () => {
    const seq = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 2));
    expect(seq.length).toBe(3);
    expect(seq[0]).toBeInstanceOf(nn.Linear);
    expect(seq.get(-1)).toBe(seq[2]);
    expect([...seq]).toHaveLength(3);
    expect(seq.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    const x = nt.randn([5, 3]);
    const ref = seq[2].forward(seq[1].forward(seq[0].forward(x)));
    expectClose(seq.forward(x), values(ref));
    expectError(() => seq.get(3), nt.ArgumentError, /index in \[-3, 3\), got 3/);
  });

  test('ModuleList', () => {
    const list = new nn.ModuleList([new nn.Linear(2, 2)]);
    list.append(new nn.Linear(2, 3));
    expect(list.length).toBe(2);
    expect(list.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias', '1.weight', '1.bias']);
    expect([...list].map((m) => m.outFeatures)).toEqual([2, 3]);
    expect(() => list.forward()).toThrow(nt.ArgumentError);
  });

  test('registerBuffer: non-persistent buffers are not in stateDict; bad names throw', () => {
    class B extends nn.Module {
      constructor() {
        super();
        this.registerBuffer('mean', nt.zeros([2]));
        this.registerBuffer('tmp', nt.ones([2]), false);
        this.registerBuffer('none', null);
      }
      forward(): void {}
    }
    const b = new B();
    expect(b.namedBuffers().map(([n]) => n)).toEqual(['mean', 'tmp']);
    expect(Object.keys(b.stateDict())).toEqual(['mean']);
    expectError(() => b.registerBuffer('a.b', nt.zeros([1])), nt.ArgumentError, /without "\."/);
    expectError(() => b.registerBuffer('training', nt.zeros([1])), nt.ArgumentError, /already in use/);
  });

  test('Parameter: callable with or without new, requires grad, survives scopes', () => {
    const p = nt.scope(() => {
      const q = nn.Parameter(nt.zeros([2]));
      nt.scope(() => new nn.Parameter(nt.ones([1])));
      return q;
    });
    expect(p.requiresGrad).toBe(true);
    expect(nn.isParameter(p)).toBe(true);
    expect(nn.isParameter(nt.zeros([1]))).toBe(false);
    const lin = nt.scope(() => new nn.Linear(2, 2));
    expect(lin.weight.isDisposed).toBe(false);
    expect(lin.forward(nt.ones([1, 2])).shape).toEqual([1, 2]);
    const frozen = nn.Parameter(nt.zeros([2]), false);
    expect(frozen.requiresGrad).toBe(false);
    // A non-leaf becomes a leaf parameter.
    const w = nt.ones([2], { requiresGrad: true }).mul(2);
    expect(nn.Parameter(w).isLeaf).toBe(true);
  });
});

describe('nn.Module state', () => {
  test('stateDict round trip gives identical outputs', () => {
    nt.manualSeed(1);
    const a = new Net();
    nt.manualSeed(2);
    const b = new Net();
    const x = nt.randn([5, 4]);
    expect(values(a.forward(x))).not.toEqual(values(b.forward(x)));
    const sd = a.stateDict();
    // Per module: own params, own buffers, then children (PyTorch's order).
    expect(Object.keys(sd)).toEqual([
      'scale',
      'encoder.count',
      'encoder.fc.weight',
      'encoder.fc.bias',
      'heads.0.weight',
      'heads.0.bias',
      'heads.1.weight',
      'seq.0.weight',
      'seq.0.bias',
    ]);
    expect(sd.scale.requiresGrad).toBe(false);
    const weightBefore = b.encoder.fc.weight;
    const res = b.loadStateDict(sd);
    expect(res).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(b.encoder.fc.weight).toBe(weightBefore); // copied in place
    expect(values(b.forward(x))).toEqual(values(a.forward(x)));
  });

  test('loadStateDict strict errors leave the module unchanged; non-strict reports keys', () => {
    const a = new nn.Linear(3, 2);
    const b = new nn.Linear(3, 2);
    const before = values(b.weight);
    const sd = a.stateDict();
    expectError(
      () => b.loadStateDict({ weight: sd.weight }),
      nt.ArgumentError,
      /missing keys \[bias\] and unexpected keys \[\]/,
    );
    expectError(() => b.loadStateDict({ ...sd, extra: nt.zeros([1]) }), nt.ArgumentError, /unexpected keys \[extra\]/);
    expectError(
      () => b.loadStateDict({ ...sd, weight: nt.zeros([2, 4]) }),
      nt.ShapeError,
      'loadStateDict: size mismatch for "weight": expected [2, 3], got [2, 4]',
    );
    expect(values(b.weight)).toEqual(before);
    const res = b.loadStateDict({ weight: sd.weight, extra: nt.zeros([1]) }, false);
    expect(res).toEqual({ missingKeys: ['bias'], unexpectedKeys: ['extra'] });
    expect(values(b.weight)).toEqual(values(a.weight));
    // A Map works too, and dtypes are cast on copy.
    b.loadStateDict(
      new Map([
        ['weight', nt.zeros([2, 3], { dtype: 'float64' })],
        ['bias', nt.ones([2])],
      ]),
    );
    expect(values(b.weight).every((v) => v === 0)).toBe(true);
  });

  test('train / eval set every module', () => {
    const net = new Net();
    expect(net.training).toBe(true);
    net.eval();
    expect(net.modules().every((m) => !m.training)).toBe(true);
    net.train();
    expect(net.modules().every((m) => m.training)).toBe(true);
  });

  test('zeroGrad: setToNone (default) disposes, otherwise zeroes', () => {
    const lin = new nn.Linear(3, 2);
    lin
      .forward(nt.ones([4, 3]))
      .sum()
      .backward();
    const g = lin.weight.grad as Tensor;
    expect(g).not.toBeNull();
    lin.zeroGrad({ setToNone: false });
    expect(lin.weight.grad).toBe(g);
    expect(values(g).every((v) => v === 0)).toBe(true);
    lin.zeroGrad();
    expect(lin.weight.grad).toBeNull();
    expect(g.isDisposed).toBe(true);
  });

  test("to('float64') converts in place, keeping the tensor objects; grads follow", () => {
    const net = new Net();
    const params = net.parameters();
    net
      .forward(nt.ones([2, 4]))
      .sum()
      .backward();
    const count = net.encoder.count;
    expect(net.to('float64')).toBe(net);
    expect(net.parameters()).toEqual(params);
    for (const p of params) {
      expect(p.dtype).toBe('float64');
      expect(p.requiresGrad).toBe(true);
      expect(p.grad?.dtype).toBe('float64');
    }
    expect(count.dtype).toBe('float64');
    const y = net.forward(nt.ones([2, 4], { dtype: 'float64' }));
    expect(y.dtype).toBe('float64');
    y.sum().backward();
    net.float();
    expect(params.every((p) => p.dtype === 'float32')).toBe(true);
    expect(net.to({ dtype: 'float64', device: 'cpu' }).parameters()[0].dtype).toBe('float64');
    expectError(() => net.to('int32'), nt.DTypeError, /floating point dtype/);
    // Integer buffers keep their dtype.
    class C extends nn.Module {
      constructor() {
        super();
        this.registerBuffer('steps', nt.zeros([1], { dtype: 'int64' }));
      }
      forward(): void {}
    }
    expect(new C().double().buffers()[0].dtype).toBe('int64');
  });

  // Checked on the storages themselves, not on nt.memory(): jest runs many
  // test files in one process, and their garbage is freed by GC finalizers at
  // moments no test controls (a global count here failed in CI that way).
  test('to() frees the old storages at once; views taken before keep theirs', () => {
    const lin = nt.scope(() => new nn.Linear(64, 32));
    const oldWeight = lin.weight._storage;
    const oldBias = lin.bias!._storage;
    const view = lin.weight.narrow(0, 0, 2);
    const snapshot = values(view);
    lin.double();
    expect(oldBias.refs).toBe(0); // released at once (pooled or freed)
    expect(oldWeight.refs).toBe(1); // held only by the view taken before
    expect(view.dtype).toBe('float32');
    expect(values(view)).toEqual(snapshot);
    view.dispose();
    expect(oldWeight.refs).toBe(0);
    for (const p of [lin.weight, lin.bias!]) {
      expect(p._storage.dtype).toBe('float64');
      expect(p._storage.refs).toBe(1);
    }
    const sd = lin.stateDict();
    lin.float();
    expect(sd.weight.dtype).toBe('float64');
    expect(sd.weight._storage).not.toBe(lin.weight._storage);
    nt.scope(() => expect(values(sd.weight)).toEqual(values(lin.weight))); // the float64 snapshot is still readable
    for (const t of Object.values(sd)) t.dispose();
    expect(lin.weight._storage.refs).toBe(1);
  });

  test('apply visits children first, then self', () => {
    const net = new Net();
    const seen: string[] = [];
    net.apply((m) => seen.push(m.constructor.name));
    expect(seen[seen.length - 1]).toBe('Net');
    expect(seen.filter((n) => n === 'Linear')).toHaveLength(4);
    net.apply((m) => {
      if (m instanceof nn.Linear) nn.init.zeros_(m.weight);
    });
    expect(values(net.encoder.fc.weight).every((v) => v === 0)).toBe(true);
  });

  test('toString like PyTorch', () => {
    const seq = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU(), new nn.Dropout(0.25));
    expect(seq.toString()).toBe(
      [
        'Sequential(',
        '  (0): Linear(inFeatures=2, outFeatures=3, bias=true)',
        '  (1): ReLU()',
        '  (2): Dropout(p=0.25)',
        ')',
      ].join('\n'),
    );
    expect(new Block().toString()).toBe(
      'Block(\n  (fc): Linear(inFeatures=4, outFeatures=3, bias=true)\n  (act): ReLU()\n)',
    );
    expect(String(new nn.Sequential(new nn.Sequential(new nn.Identity())))).toBe(
      'Sequential(\n  (0): Sequential(\n    (0): Identity()\n  )\n)',
    );
  });
});

describe('loadStateDict with PyTorch keys', () => {
  test("snake_case keys load into camelCase fields; a key of this module's own spelling wins", () => {
    const bn = new nn.BatchNorm1d(3);
    const rm = nt.tensor([1, 2, 3]);
    const rv = nt.tensor([4, 5, 6]);
    const res = bn.loadStateDict(
      {
        weight: nt.ones([3]),
        bias: nt.zeros([3]),
        running_mean: rm,
        running_var: rv,
        num_batches_tracked: nt.tensor(7, { dtype: 'int64' }),
      },
      false,
    );
    expect((bn.numBatchesTracked as nt.Tensor).item()).toBe(7);
    expect(res).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(values(bn.runningMean as nt.Tensor)).toEqual(Float64Array.from([1, 2, 3]));
    expect(values(bn.runningVar as nt.Tensor)).toEqual(Float64Array.from([4, 5, 6]));
    // Both spellings given: the camelCase one is loaded, the other is unexpected.
    const both = bn.loadStateDict({ ...bn.stateDict(), runningMean: rv, running_mean: rm }, false);
    expect(both.unexpectedKeys).toEqual(['running_mean']);
    expect(values(bn.runningMean as nt.Tensor)).toEqual(Float64Array.from([4, 5, 6]));
    // A snake_case key with no camelCase field stays unexpected.
    expect(() => bn.loadStateDict({ ...bn.stateDict(), momentum_buffer: nt.tensor(0) })).toThrow(
      /unexpected keys \[momentum_buffer\]/,
    );
  });
});
