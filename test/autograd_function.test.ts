// nt.autograd.Function: custom forward/backward pairs, checked by gradcheck
// (first and second derivatives), with several outputs, non-tensor
// arguments and the typed errors of a wrong backward.
import * as nt from '../lib';
import { randomValues, testSeed } from './helpers';

function leaf(shape: number[], salt: string, lo = -2, hi = 2): nt.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return nt.tensor(randomValues(n, testSeed(salt), lo, hi), { dtype: 'float64', shape, requiresGrad: true });
}

/** y = x^3 with a hand-written backward built from ops (so it is twice differentiable). */
class Cube extends nt.autograd.Function {
  static forward(ctx: nt.FunctionCtx, x: nt.Tensor): nt.Tensor {
    ctx.saveForBackward(x);
    return x.pow(3);
  }
  static backward(ctx: nt.FunctionCtx, g: nt.Tensor): nt.Tensor {
    const [x] = ctx.savedTensors;
    return g.mul(x.square()).mul(3);
  }
}

/** (a * s, a + b): two outputs, a number argument between the tensors. */
class ScaleAndAdd extends nt.autograd.Function {
  static forward(ctx: nt.FunctionCtx, a: nt.Tensor, s: number, b: nt.Tensor): nt.Tensor[] {
    ctx.scale = s;
    return [a.mul(s), a.add(b)];
  }
  static backward(ctx: nt.FunctionCtx, gScaled: nt.Tensor, gSum: nt.Tensor): (nt.Tensor | null)[] {
    return [gScaled.mul(ctx.scale as number).add(gSum), null, gSum];
  }
}

describe('autograd.Function', () => {
  test('forward runs unrecorded, the output records a node; gradcheck passes', () => {
    const x = leaf([2, 3], 'x');
    const y = Cube.apply(x);
    expect(y.requiresGrad).toBe(true);
    expect(y.gradFn?.name).toBe('CustomFunctionBackward');
    expect(nt.autograd.gradcheck((t) => Cube.apply(t).mul(t), [x])).toBe(true);
    // a constant input: no graph
    expect(Cube.apply(nt.ones([2])).requiresGrad).toBe(false);
  });

  test('ctx.needsInputGrad and stored fields', () => {
    let needs: readonly boolean[] = [];
    class Probe extends nt.autograd.Function {
      static forward(ctx: nt.FunctionCtx, a: nt.Tensor, b: nt.Tensor): nt.Tensor {
        needs = ctx.needsInputGrad;
        return a.add(b);
      }
      static backward(_ctx: nt.FunctionCtx, g: nt.Tensor): nt.Tensor[] {
        return [g, g];
      }
    }
    Probe.apply(leaf([2], 'a'), nt.ones([2], { dtype: 'float64' }));
    expect(needs).toEqual([true, false]);
  });

  test('several outputs and a non-tensor argument', () => {
    const a = leaf([3], 'a');
    const b = leaf([3], 'b');
    expect(
      nt.autograd.gradcheck(
        (p, q) => {
          const [u, v] = ScaleAndAdd.apply(p, 2.5, q);
          return u.mul(v.exp());
        },
        [a, b],
      ),
    ).toBe(true);
  });

  test('double backward through a Function whose backward is built from ops', () => {
    const x = leaf([4], 'x');
    const [g] = nt.autograd.grad(Cube.apply(x).sum(), [x], { createGraph: true });
    const [h] = nt.autograd.grad(g.sum(), [x]);
    const xs = x.toArray() as number[];
    (h.toArray() as number[]).forEach((v, i) => expect(v).toBeCloseTo(6 * xs[i], 10));
  });

  test('typed errors from a wrong backward or forward', () => {
    class WrongCount extends nt.autograd.Function {
      static forward(_ctx: nt.FunctionCtx, a: nt.Tensor, b: nt.Tensor): nt.Tensor {
        return a.mul(b);
      }
      static backward(_ctx: nt.FunctionCtx, g: nt.Tensor): nt.Tensor {
        return g;
      }
    }
    expect(() =>
      WrongCount.apply(leaf([2], 'a'), leaf([2], 'b'))
        .sum()
        .backward(),
    ).toThrow(/expected 2 gradients/);
    class WrongShape extends nt.autograd.Function {
      static forward(_ctx: nt.FunctionCtx, a: nt.Tensor): nt.Tensor {
        return a.sum();
      }
      static backward(_ctx: nt.FunctionCtx, g: nt.Tensor): nt.Tensor {
        return g;
      }
    }
    expect(() => WrongShape.apply(leaf([2], 'a')).backward()).toThrow(nt.ShapeError);
    class NotATensor extends nt.autograd.Function {
      static forward(_ctx: nt.FunctionCtx, a: nt.Tensor): nt.Tensor {
        return a.toArray() as unknown as nt.Tensor;
      }
      static backward(_ctx: nt.FunctionCtx, g: nt.Tensor): nt.Tensor {
        return g;
      }
    }
    expect(() => NotATensor.apply(leaf([2], 'a'))).toThrow(/NotATensor.apply: forward must return a Tensor/);
    const ctx = new nt.autograd.FunctionCtx();
    expect(() => ctx.saveForBackward(3 as unknown as nt.Tensor)).toThrow(nt.ArgumentError);
  });
});
