// PyTorch spellings a user types in the first hour (issue 14, item 5):
// destructuring max/min along a dim, sizes spread out in the creation
// functions, dim() and tolist().
import * as nt from '../lib';
import { expectError } from './helpers';

describe('PyTorch habits', () => {
  test('const [values, indices] = nt.max(x, 1); the named fields stay', () => {
    const x = nt.tensor([
      [1, 5, 3],
      [7, 2, 9],
    ]);
    const [values, indices] = nt.max(x, 1);
    expect(values.toArray()).toEqual([5, 9]);
    expect(indices.toArray()).toEqual([1, 2]);
    const r = x.min(0);
    expect(r.values.toArray()).toEqual([1, 2, 3]);
    const [v, i] = r;
    expect([v.toArray(), i.toArray()]).toEqual([
      [1, 2, 3],
      [0, 1, 0],
    ]);
    expect([...nt.max(x, 0, true)].map((t) => t.shape)).toEqual([
      [1, 3],
      [1, 3],
    ]);
  });

  test('zeros/ones/empty/rand/randn take sizes spread out, options last', () => {
    expect(nt.zeros(3, 4).shape).toEqual([3, 4]);
    expect(nt.ones(2, 3, 4, { dtype: 'float64' }).dtype).toBe('float64');
    expect(nt.ones(2, 3, 4, { dtype: 'float64' }).shape).toEqual([2, 3, 4]);
    expect(nt.empty(5, 1).shape).toEqual([5, 1]);
    expect(nt.rand(2, 2).shape).toEqual([2, 2]);
    expect(nt.randn(4, 1, { requiresGrad: true }).requiresGrad).toBe(true);
    // The array form and a single size still work.
    expect(nt.zeros([3, 4], { dtype: 'int32' }).dtype).toBe('int32');
    expect(nt.zeros(7).shape).toEqual([7]);
    expectError(() => nt.zeros(3, '4' as never), nt.ArgumentError, /zeros/);
    expectError(
      () => nt.zeros(3, -4),
      nt.ArgumentError,
      /zeros: shape entries must be non-negative integers, got \[3, -4\]/,
    );
  });

  test('dim() and tolist()', () => {
    const x = nt.zeros(2, 3, 4);
    expect(x.dim()).toBe(3);
    expect(nt.tensor(5).dim()).toBe(0);
    expect(nt.tensor([[1, 2]]).tolist()).toEqual([[1, 2]]);
    x.dispose();
    expect(() => x.dim()).toThrow(nt.DisposedTensorError);
  });
});

describe('unknown option keys are errors, not silently ignored', () => {
  const x = nt.randn([4, 3]);
  const t = nt.tensor([0, 1, 2, 1], { dtype: 'int64' });
  const p = (): nt.Tensor => nt.zeros([2], { requiresGrad: true });

  test.each([
    ['crossEntropy', () => nt.nn.functional.crossEntropy(x, t, { label_smoothing: 0.3 } as never), /'labelSmoothing'/],
    ['CrossEntropyLoss', () => new nt.nn.CrossEntropyLoss({ weights: 1 } as never), /unknown option 'weights'/],
    ['nllLoss', () => nt.nn.functional.nllLoss(x, t, { ignore_index: 1 } as never), /'ignoreIndex'/],
    ['mseLoss', () => nt.nn.functional.mseLoss(x, x, { reduce: false } as never), /unknown option 'reduce'/],
    ['SGD', () => new nt.optim.SGD([p()], { lr: 0.1, weight_decay: 0.5 } as never), /'weightDecay'/],
    ['Adam', () => new nt.optim.Adam([p()], { beta1: 0.9 } as never), /unknown option 'beta1'.*'betas'/],
    ['RMSprop', () => new nt.optim.RMSprop([p()], { decay: 0.9 } as never), /unknown option 'decay'/],
    [
      'a param group',
      () => new nt.optim.SGD([{ params: [p()], learning_rate: 1 } as never], { lr: 0.1 }),
      /unknown param group option 'learning_rate'/,
    ],
    ['Linear', () => new nt.nn.Linear(2, 2, { bais: false } as never), /unknown option 'bais'/],
    ['Conv2d', () => new nt.nn.Conv2d(1, 1, 3, { padding_mode: 'zeros' } as never), /'paddingMode'/],
    ['kaimingUniform_', () => nt.nn.init.kaimingUniform_(nt.zeros([2, 2]), { fan: 'in' } as never), /'fan'/],
    ['var', () => x.var(0, { unbiased: false } as never), /unknown option 'unbiased'/],
    ['gradcheck', () => nt.autograd.gradcheck((a: nt.Tensor) => a, [x.double()], { tol: 1 } as never), /'tol'/],
  ] as [string, () => unknown, RegExp][])('%s', (_name, fn, msg) => {
    expectError(fn, nt.ArgumentError, msg);
  });

  test('known options still work', () => {
    expect(nt.nn.functional.crossEntropy(x, t, { labelSmoothing: 0.1, reduction: 'sum' }).ndim).toBe(0);
    expect(new nt.optim.SGD([p()], { lr: 0.1, weightDecay: 0.5 }).defaults.weightDecay).toBe(0.5);
  });
});
