// autograd.grad and double backward: second derivatives checked by finite
// differences of first derivatives (float64), a WGAN-GP gradient penalty
// against PyTorch 1.13, and the typed errors of first-order-only ops.
import { execFileSync } from 'node:child_process';
import * as nt from '../lib';
import { randomValues, testSeed } from './helpers';

function leaf(shape: number[], salt: string, lo = -2, hi = 2): nt.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return nt.tensor(randomValues(n, testSeed(salt), lo, hi), { dtype: 'float64', shape, requiresGrad: true });
}

/** |x| in [0.3, 2]: away from the kinks of relu, abs, ... */
function awayFromZero(shape: number[], salt: string): nt.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = randomValues(n, testSeed(salt), -1, 1).map((u) => Math.sign(u || 1) * (0.3 + 1.7 * Math.abs(u)));
  return nt.tensor(v, { dtype: 'float64', shape, requiresGrad: true });
}

/**
 * Checks the second derivatives of f: the first derivatives (a vector-Jacobian
 * product with a random cotangent v, itself an input) are differentiated by
 * gradcheck against finite differences.
 */
function gradgradcheck(f: (...xs: nt.Tensor[]) => nt.Tensor, inputs: nt.Tensor[]): void {
  const outShape = nt.noGrad(() => f(...inputs.map((x) => x.detach())).shape) as number[];
  const v = leaf(outShape, `v${outShape.join('x')}`);
  const firstDerivatives = (...args: nt.Tensor[]): nt.Tensor => {
    // gradcheck's finite differences call this under noGrad with plain tensors
    return nt.enableGrad(() => {
      const xs = args.slice(0, inputs.length).map((a) => (a.requiresGrad ? a : a.detach().requiresGrad_()));
      const gs = nt.autograd.grad(f(...xs), xs, { gradOutputs: args[inputs.length], createGraph: true });
      return nt.cat(
        gs.map((g) => g.reshape([-1])),
        0,
      );
    });
  };
  expect(nt.autograd.gradcheck(firstDerivatives, [...inputs, v])).toBe(true);
}

describe('second derivatives (gradcheck of autograd.grad with createGraph)', () => {
  const cases: [string, () => void][] = [
    [
      'add/sub/mul/div with broadcast',
      () =>
        gradgradcheck(
          (a, b) => a.mul(b).add(a.div(b)).sub(b.mul(a).mul(a)),
          [leaf([2, 3], 'a'), leaf([3], 'b', 0.5, 2)],
        ),
    ],
    [
      'pow, powScalar, sqrt, rsqrt, reciprocal',
      () =>
        gradgradcheck(
          (a, b) => a.pow(b).add(a.pow(3)).add(a.sqrt()).add(a.rsqrt()).add(a.reciprocal()),
          [leaf([4], 'a', 0.5, 2), leaf([4], 'b', -1, 2)],
        ),
    ],
    [
      'exp, log, sin, cos, square, log1p, expm1, erf',
      () =>
        gradgradcheck(
          (x) =>
            x
              .exp()
              .add(x.abs().log())
              .add(x.sin())
              .add(x.cos().square())
              .add(x.abs().log1p())
              .add(x.expm1())
              .add(x.erf()),
          [awayFromZero([5], 'x')],
        ),
    ],
    ['relu', () => gradgradcheck((x) => x.relu().mul(x), [awayFromZero([6], 'x')])],
    ['tanh', () => gradgradcheck((x) => x.tanh(), [leaf([6], 'x')])],
    ['sigmoid', () => gradgradcheck((x) => x.sigmoid(), [leaf([6], 'x')])],
    ['gelu (erf)', () => gradgradcheck((x) => nt.gelu(x), [leaf([6], 'x')])],
    ['gelu (tanh)', () => gradgradcheck((x) => nt.nn.F.gelu(x, 'tanh'), [leaf([6], 'x')])],
    [
      'silu, softplus, leakyRelu',
      () =>
        gradgradcheck(
          (x) => nt.nn.F.silu(x).add(nt.nn.F.softplus(x)).add(nt.leakyRelu(x, 0.1).mul(x)),
          [awayFromZero([6], 'x')],
        ),
    ],
    [
      'softmax over dims 0 and -1',
      () => gradgradcheck((x) => nt.softmax(x, -1).add(nt.softmax(x, 0).square()), [leaf([3, 4], 'x')]),
    ],
    ['logSoftmax', () => gradgradcheck((x) => nt.logSoftmax(x, 1).mul(x), [leaf([3, 4], 'x')])],
    [
      'matmul (batched)',
      () => gradgradcheck((a, b) => a.matmul(b).square(), [leaf([2, 3, 4], 'a'), leaf([4, 2], 'b')]),
    ],
    [
      'linear',
      () =>
        gradgradcheck(
          (x, w, b) => nt.nn.F.linear(x, w, b).tanh(),
          [leaf([3, 4], 'x'), leaf([2, 4], 'w'), leaf([2], 'b')],
        ),
    ],
    [
      'sum, mean, var, logsumexp, prod, amax',
      () =>
        gradgradcheck(
          (x) =>
            x
              .square()
              .sum(1)
              .add(x.square().mean(1))
              .add(x.var(1))
              .add(x.logsumexp(1))
              .add(x.prod(1))
              .add(x.mul(x).amax(1)),
          [awayFromZero([3, 4], 'x')],
        ),
    ],
    [
      'views: reshape, permute, transpose, expand, narrow, cat',
      () =>
        gradgradcheck(
          (x) => {
            const y = x.square().reshape([4, 3]).permute([1, 0]).narrow(1, 1, 2);
            const z = x.narrow(0, 0, 1).narrow(1, 0, 2).expand([3, 2]).mul(y);
            return nt.cat([y, z, x.transpose(0, 1).narrow(0, 0, 3).square()], 1);
          },
          [leaf([2, 6], 'x')],
        ),
    ],
    [
      'indexing: indexSelect, gather, scatterAdd',
      () => {
        const idx = nt.tensor([2, 0, 2], { dtype: 'int64' });
        const gidx = nt.tensor(
          [
            [0, 1, 1],
            [2, 2, 0],
          ],
          { dtype: 'int64' },
        );
        gradgradcheck((x) => x.indexSelect(1, idx).square().add(x.gather(1, gidx).exp()), [leaf([2, 3], 'x')]);
      },
    ],
    [
      'cumsum, clamp, where, maximum',
      () =>
        gradgradcheck(
          (a, b) =>
            a
              .square()
              .cumsum(1)
              .add(a.mul(b).clamp(-1.5, 1.5).square())
              .add(nt.where(a.gt(0), a.exp(), b.square()))
              .add(nt.maximum(a, b).square()),
          [leaf([2, 3], 'a'), leaf([2, 3], 'b')],
        ),
    ],
    ['mseLoss', () => gradgradcheck((x, t) => nt.nn.F.mseLoss(x.tanh(), t), [leaf([3, 2], 'x'), leaf([3, 2], 't')])],
  ];
  test.each(cases)('%s', (_name, run) => run());

  test('a Hessian-vector product matches the analytic one', () => {
    // f = sum(x^3) / 3 + (w . x)^2: H = diag(2x) + 2 w w^T
    const x = leaf([4], 'x');
    const w = nt.tensor(randomValues(4, testSeed('w')), { dtype: 'float64' });
    const u = nt.tensor(randomValues(4, testSeed('u')), { dtype: 'float64' });
    const f = x.pow(3).sum().div(3).add(w.mul(x).sum().square());
    const [g] = nt.autograd.grad(f, [x], { createGraph: true });
    const [hv] = nt.autograd.grad(g, [x], { gradOutputs: u });
    const xs = x.toArray() as number[];
    const ws = w.toArray() as number[];
    const us = u.toArray() as number[];
    const wu = ws.reduce((s, wi, i) => s + wi * us[i], 0);
    const expected = xs.map((xi, i) => 2 * xi * us[i] + 2 * ws[i] * wu);
    (hv.toArray() as number[]).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 10));
  });
});

describe('autograd.grad', () => {
  test('returns the gradients, leaves .grad alone, frees the graph unless retained', () => {
    const x = leaf([3], 'x');
    const y = x.square().sum();
    const [g] = nt.autograd.grad(y, [x]);
    expect(x.grad).toBeNull();
    expect(g.requiresGrad).toBe(false);
    (g.toArray() as number[]).forEach((v, i) => expect(v).toBeCloseTo(2 * (x.toArray() as number[])[i], 12));
    expect(() => nt.autograd.grad(y, [x])).toThrow(/second time/);
    const z = x.exp().sum();
    nt.autograd.grad(z, x, { retainGraph: true });
    expect(() => nt.autograd.grad(z, x)).not.toThrow();
  });

  test('several outputs and inputs, gradOutputs, a non-leaf input', () => {
    const a = leaf([2], 'a');
    const b = leaf([2], 'b');
    const h = a.mul(b);
    const o1 = h.exp();
    const o2 = h.add(b);
    const v = nt.tensor([0.5, -2], { dtype: 'float64' });
    const [gh, gb] = nt.autograd.grad([o1, o2], [h, b], { gradOutputs: [v, nt.ones([2], { dtype: 'float64' })] });
    const hs = h.toArray() as number[];
    const as = a.toArray() as number[];
    (gh.toArray() as number[]).forEach((x, i) => expect(x).toBeCloseTo((i === 0 ? 0.5 : -2) * Math.exp(hs[i]) + 1, 10));
    const gbe = hs.map((hi, i) => ((i === 0 ? 0.5 : -2) * Math.exp(hi) + 1) * as[i] + 1);
    (gb.toArray() as number[]).forEach((x, i) => expect(x).toBeCloseTo(gbe[i], 10));
  });

  test('allowUnused and the typed errors', () => {
    const x = leaf([2], 'x');
    const unused = leaf([2], 'u');
    const y = x.square().sum();
    expect(() => nt.autograd.grad(y, [x, unused], { retainGraph: true })).toThrow(/inputs\[1\] was not used/);
    const [gx, gu] = nt.autograd.grad(y, [x, unused], { allowUnused: true });
    expect(gx).not.toBeNull();
    expect(gu).toBeNull();
    expect(() => nt.autograd.grad(nt.ones([1]), [x])).toThrow(nt.ArgumentError);
    expect(() => nt.autograd.grad(x.sum(), [nt.ones([2])])).toThrow(/does not require grad/);
    expect(() => nt.autograd.grad(x.mul(2), [x])).toThrow(nt.ShapeError);
    expect(() => nt.autograd.grad(x.sum(), [x], { gradOutputs: [] })).toThrow(/one Tensor \(or null\) per output/);
    expect(() => nt.autograd.grad(x.sum(), [x], { createGraph: 1 as unknown as boolean })).toThrow(nt.ArgumentError);
    expect(() => nt.autograd.grad(x.sum(), [x], { bogus: true } as nt.GradOptions)).toThrow(nt.ArgumentError);
  });

  test('a second derivative through a first-order-only op raises NotDifferentiableError naming it', () => {
    const x = leaf([1, 1, 4, 4], 'x');
    const w = leaf([2, 1, 3, 3], 'w');
    const viaConv = nt.autograd.grad(nt.nn.F.conv2d(x, w).square().sum(), [x], { createGraph: true })[0];
    expect(() => viaConv.sum().backward()).toThrow(nt.NotDifferentiableError);
    expect(() => viaConv.sum().backward()).toThrow(/conv2d/);
    const logits = leaf([3, 4], 'l');
    const target = nt.tensor([0, 3, 1], { dtype: 'int64' });
    const [gl] = nt.autograd.grad(nt.nn.F.crossEntropy(logits, target), [logits], { createGraph: true });
    expect(() => nt.autograd.grad(gl.square().sum(), [logits])).toThrow(/crossEntropy/);
    const [gp] = nt.autograd.grad(nt.nn.F.maxPool2d(x, 2).exp().sum(), [x], { createGraph: true });
    expect(() => gp.sum().backward()).toThrow(/maxPool2d/);
    // without createGraph nothing is marked: the same first derivative has no graph
    const [g1] = nt.autograd.grad(nt.nn.F.maxPool2d(x, 2).exp().sum(), [x]);
    expect(g1.requiresGrad).toBe(false);
    expect((g1.sub(gp.detach()).abs().amax().item() as number) < 1e-12).toBe(true);
  });
});

/** The WGAN-GP critic loss of a 2-layer MLP critic, with the weights' gradients after backward(). */
function wganGp(params: nt.Tensor[], real: nt.Tensor, fake: nt.Tensor, eps: nt.Tensor, lambda: number): nt.Tensor {
  const [w1, b1, w2, b2] = params;
  const D = (x: nt.Tensor): nt.Tensor => nt.nn.F.linear(nt.gelu(nt.nn.F.linear(x, w1, b1)).tanh(), w2, b2);
  const xhat = eps.mul(real).add(eps.neg().add(1).mul(fake)).detach().requiresGrad_();
  const [g] = nt.autograd.grad(D(xhat).sum(), [xhat], { createGraph: true });
  const gp = g.square().sum(1).add(1e-12).sqrt().sub(1).square().mean();
  return D(fake).mean().sub(D(real).mean()).add(gp.mul(lambda));
}

const PY_WGAN = `
import json, sys, torch
d = json.load(sys.stdin)
t = lambda k: torch.tensor(d[k], dtype=torch.float64)
w1, b1, w2, b2 = [t(k).requires_grad_() for k in ('w1', 'b1', 'w2', 'b2')]
real, fake, eps = t('real'), t('fake'), t('eps')
D = lambda x: torch.nn.functional.linear(torch.tanh(torch.nn.functional.gelu(torch.nn.functional.linear(x, w1, b1))), w2, b2)
xhat = (eps * real + (1 - eps) * fake).detach().requires_grad_()
g, = torch.autograd.grad(D(xhat).sum(), [xhat], create_graph=True)
gp = ((g.square().sum(1) + 1e-12).sqrt() - 1).square().mean()
loss = D(fake).mean() - D(real).mean() + d['lambda'] * gp
loss.backward()
json.dump({'loss': loss.item(), 'grads': [p.grad.flatten().tolist() for p in (w1, b1, w2, b2)]}, sys.stdout)
`;

test('a WGAN-GP gradient penalty matches PyTorch 1.13 (loss and the critic weights gradients)', () => {
  const shapes: Record<string, number[]> = {
    w1: [5, 3],
    b1: [5],
    w2: [1, 5],
    b2: [1],
    real: [4, 3],
    fake: [4, 3],
    eps: [4, 1],
  };
  const data: Record<string, number[] | number> = { lambda: 10 };
  const ts: Record<string, nt.Tensor> = {};
  for (const [k, shape] of Object.entries(shapes)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const v = Array.from(randomValues(n, testSeed(`gp-${k}`), k === 'eps' ? 0 : -1.5, 1.5));
    data[k] = v;
    ts[k] = nt.tensor(v, { dtype: 'float64', shape, requiresGrad: k[0] === 'w' || k[0] === 'b' });
  }
  const nested: Record<string, unknown> = { ...data };
  for (const [k, shape] of Object.entries(shapes)) {
    const v = data[k] as number[];
    nested[k] =
      shape.length === 2 ? Array.from({ length: shape[0] }, (_r, i) => v.slice(i * shape[1], (i + 1) * shape[1])) : v;
  }
  const ref = JSON.parse(
    execFileSync('/usr/bin/python3', ['-c', PY_WGAN], { input: JSON.stringify(nested) }).toString(),
  ) as {
    loss: number;
    grads: number[][];
  };
  const params = [ts.w1, ts.b1, ts.w2, ts.b2];
  const loss = wganGp(params, ts.real, ts.fake, ts.eps, 10);
  loss.backward();
  expect(loss.item()).toBeCloseTo(ref.loss, 10);
  params.forEach((p, i) => {
    const got = (p.grad as nt.Tensor).reshape([-1]).toArray() as number[];
    expect(got.length).toBe(ref.grads[i].length);
    got.forEach((v, j) => expect(v).toBeCloseTo(ref.grads[i][j], 9));
  });
});
