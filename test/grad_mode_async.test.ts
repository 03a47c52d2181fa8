// Grad mode across awaits: noGrad/enableGrad given an async function keep
// their mode for everything that function does until it settles, and
// concurrent tasks each see their own mode.
import * as nt from '../lib';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function leaf(): nt.Tensor {
  return nt.tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
}

describe('grad mode across awaits', () => {
  afterEach(() => {
    expect(nt.isGradEnabled()).toBe(true);
  });

  test('noGrad(async) keeps grad off after each await and returns the promise', async () => {
    const x = leaf();
    const p = nt.noGrad(async () => {
      const seen: boolean[] = [nt.isGradEnabled()];
      await tick();
      seen.push(nt.isGradEnabled());
      await Promise.resolve();
      seen.push(nt.isGradEnabled());
      const y = x.mul(2);
      await new Promise((r) => setTimeout(r, 1));
      return { seen, y, z: x.exp() };
    });
    expect(p).toBeInstanceOf(Promise);
    expect(nt.isGradEnabled()).toBe(true); // the caller's mode is untouched
    const { seen, y, z } = await p;
    expect(seen).toEqual([false, false, false]);
    expect(y.requiresGrad).toBe(false);
    expect(z.gradFn).toBeNull();
    expect(x.mul(2).requiresGrad).toBe(true);
  });

  test('enableGrad(async) nested inside noGrad(async), and sync scopes inside async ones', async () => {
    const x = leaf();
    const result = await nt.noGrad(async () => {
      await tick();
      const inner = await nt.enableGrad(async () => {
        await tick();
        const on = nt.isGradEnabled();
        const y = x.mul(3);
        const syncOff = nt.noGrad(() => nt.isGradEnabled());
        await tick();
        return { on, y, syncOff, after: nt.isGradEnabled() };
      });
      const offAgain = nt.isGradEnabled();
      const syncOn = nt.enableGrad(() => x.mul(4));
      await tick();
      return { ...inner, offAgain, syncOn, last: nt.isGradEnabled(), w: x.mul(5) };
    });
    expect(result.on).toBe(true);
    expect(result.y.requiresGrad).toBe(true);
    expect(result.syncOff).toBe(false);
    expect(result.after).toBe(true);
    expect(result.offAgain).toBe(false);
    expect(result.syncOn.requiresGrad).toBe(true);
    expect(result.last).toBe(false);
    expect(result.w.requiresGrad).toBe(false);
    result.y.sum().backward();
    expect(x.grad!.toArray()).toEqual([3, 3, 3]);
  });

  test('interleaved concurrent tasks each see their own mode', async () => {
    const x = leaf();
    const log: string[] = [];
    const task = async (name: string, steps: number): Promise<boolean[]> => {
      const seen: boolean[] = [];
      for (let i = 0; i < steps; ++i) {
        log.push(name);
        seen.push(nt.isGradEnabled() && x.mul(1).requiresGrad);
        await tick();
      }
      return seen;
    };
    const [off, on, off2, on2] = await Promise.all([
      nt.noGrad(async () => {
        await tick();
        return task('off', 5);
      }),
      task('on', 5),
      nt.noGrad(async () => task('off2', 5)),
      nt.noGrad(async () => nt.enableGrad(async () => task('on2', 5))),
    ]);
    // They really interleaved: the log alternates between the tasks.
    expect(log.slice(0, 4).sort()).toEqual(['off', 'off2', 'on', 'on2']);
    expect(off).toEqual([false, false, false, false, false]);
    expect(on).toEqual([true, true, true, true, true]);
    expect(off2).toEqual([false, false, false, false, false]);
    expect(on2).toEqual([true, true, true, true, true]);
  });

  test('a rejected or throwing async function restores the mode', async () => {
    await expect(
      nt.noGrad(async () => {
        await tick();
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(nt.isGradEnabled()).toBe(true);
    await expect(
      nt.noGrad(async () => {
        throw new TypeError('at once');
      }),
    ).rejects.toThrow(TypeError);
    expect(nt.isGradEnabled()).toBe(true);
    // After the scope settled, later async work at top level sees the global mode.
    await tick();
    expect(nt.isGradEnabled()).toBe(true);
  });

  test('setGradEnabled inside an async scope changes that task only, and only until the scope ends', async () => {
    let other: boolean[] = [];
    const observer = (async () => {
      const seen: boolean[] = [];
      for (let i = 0; i < 4; ++i) {
        seen.push(nt.isGradEnabled());
        await tick();
      }
      other = seen;
    })();
    const seen = await nt.noGrad(async () => {
      await tick();
      nt.setGradEnabled(true);
      await tick();
      return nt.isGradEnabled();
    });
    await observer;
    expect(seen).toBe(true);
    expect(other).toEqual([true, true, true, true]);
    expect(nt.isGradEnabled()).toBe(true);
  });

  test('the global mode is seen by tasks outside any scope and overridden inside one', async () => {
    nt.setGradEnabled(false);
    try {
      const inScope = await nt.enableGrad(async () => {
        await tick();
        return nt.isGradEnabled();
      });
      await tick();
      expect(inScope).toBe(true);
      expect(nt.isGradEnabled()).toBe(false);
    } finally {
      nt.setGradEnabled(true);
    }
  });

  test('the synchronous path is unchanged', () => {
    const x = leaf();
    expect(nt.noGrad(() => 42)).toBe(42);
    const y = nt.noGrad(() => {
      nt.setGradEnabled(true); // for the rest of this scope, as in PyTorch
      return x.mul(2);
    });
    expect(y.requiresGrad).toBe(true);
    expect(nt.isGradEnabled()).toBe(true);
    expect(() =>
      nt.enableGrad(() => {
        throw new RangeError('sync');
      }),
    ).toThrow(RangeError);
    expect(() => nt.noGrad(42 as unknown as () => void)).toThrow(nt.ArgumentError);
    // The types follow fn: a value for a sync function, a promise for an async one.
    const n: number = nt.noGrad(() => 1);
    const p: Promise<number> = nt.noGrad(async () => 1);
    expect(n).toBe(1);
    return p.then((v) => expect(v).toBe(1));
  });

  test('a plain function returning a promise covers its synchronous part and warns once', async () => {
    const spy = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const plain = (): Promise<boolean> => {
        const before = nt.isGradEnabled();
        return tick().then(() => before);
      };
      expect(await nt.noGrad(plain)).toBe(false);
      await nt.noGrad(plain);
      expect(spy).toHaveBeenCalledTimes(1);
      expect(spy.mock.calls[0][1]).toEqual({ code: 'NODETORCH_GRAD_MODE_PROMISE' });
    } finally {
      spy.mockRestore();
    }
  });

  test('nt.scope(async) still frees its tensors and composes with noGrad(async)', async () => {
    const x = leaf();
    let inner: nt.Tensor | undefined;
    const kept = await nt.scope(async () =>
      nt.noGrad(async () => {
        inner = x.mul(2);
        await tick();
        const out = inner.add(1);
        return out;
      }),
    );
    expect(inner!.isDisposed).toBe(true);
    expect(kept.isDisposed).toBe(false);
    expect(kept.requiresGrad).toBe(false);
    expect(kept.toArray()).toEqual([3, 5, 7]);
  });
});
