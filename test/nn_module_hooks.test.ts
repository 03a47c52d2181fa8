// Module forward hooks: they fire for the user's forward() call and for
// submodules called by a parent, in registration order, may replace inputs
// and outputs, and stop after remove().
import * as nt from '../lib';
import { randomValues, testSeed } from './helpers';

class Net extends nt.nn.Module {
  fc1 = new nt.nn.Linear(3, 4);
  act = new nt.nn.ReLU();
  fc2 = new nt.nn.Linear(4, 2);
  forward(x: nt.Tensor): nt.Tensor {
    return this.fc2.forward(this.act.forward(this.fc1.forward(x)));
  }
}

const input = (): nt.Tensor => nt.tensor(randomValues(6, testSeed('x')), { shape: [2, 3], dtype: 'float32' });
const same = (a: nt.Tensor, b: nt.Tensor): void => {
  const x = a.toArray() as number[][];
  const y = b.toArray() as number[][];
  x.flat().forEach((v, i) => expect(v).toBeCloseTo(y.flat()[i], 6));
};

describe('registerForwardHook / registerForwardPreHook', () => {
  test('fire for the user call and for submodules, pre before post, in registration order', () => {
    const net = new Net();
    const log: string[] = [];
    net.registerForwardPreHook(() => {
      log.push('net pre');
    });
    net.registerForwardHook(() => {
      log.push('net post');
    });
    net.fc1.registerForwardHook((_m, inputs, output) => {
      log.push(`fc1 post ${(inputs[0] as nt.Tensor).shape} -> ${(output as nt.Tensor).shape}`);
    });
    net.fc1.registerForwardHook(() => {
      log.push('fc1 post 2');
    });
    net.fc2.registerForwardPreHook((m) => {
      log.push(`fc2 pre ${m === net.fc2}`);
    });
    net.forward(input());
    expect(log).toEqual(['net pre', 'fc1 post 2,3 -> 2,4', 'fc1 post 2', 'fc2 pre true', 'net post']);
  });

  test('Sequential children fire too', () => {
    const seq = new nt.nn.Sequential(new nt.nn.Linear(3, 3), new nt.nn.Tanh());
    const seen: string[] = [];
    for (const m of seq.children()) m.registerForwardHook((mod) => void seen.push(mod.constructor.name));
    seq.forward(input());
    expect(seen).toEqual(['Linear', 'Tanh']);
  });

  test('a pre-hook replaces the inputs and a hook the output (feature capture, gradients flow)', () => {
    const net = new Net();
    const x = input();
    const expected = nt.noGrad(() => net.forward(x.mul(2)).add(1));
    const h1 = net.registerForwardPreHook((_m, [t]) => [(t as nt.Tensor).mul(2)]);
    const h2 = net.registerForwardHook((_m, _i, out) => (out as nt.Tensor).add(1));
    let captured: nt.Tensor | null = null;
    net.act.registerForwardHook((_m, _i, out) => {
      captured = out as nt.Tensor;
    });
    const y = net.forward(x);
    same(y, expected);
    expect(captured).not.toBeNull();
    y.sum().backward();
    expect(net.fc1.weight.grad).not.toBeNull();
    h1.remove();
    h2.remove();
    h2.remove();
    same(
      net.forward(x),
      nt.noGrad(() => net.fc2.forward(net.act.forward(net.fc1.forward(x)))),
    );
  });

  test('hooks do not turn into parameters, children or state', () => {
    const net = new Net();
    const keys = Object.keys(net.stateDict()).length;
    const n = net.parameters().length;
    net.registerForwardHook(() => undefined);
    net.fc1.registerForwardPreHook(() => undefined);
    expect(Object.keys(net.stateDict()).length).toBe(keys);
    expect(net.parameters().length).toBe(n);
    expect(net.children().length).toBe(3);
  });

  test('typed errors', () => {
    const net = new Net();
    expect(() => net.registerForwardHook(null as unknown as () => void)).toThrow(nt.ArgumentError);
    expect(() => net.registerForwardPreHook('x' as unknown as () => void)).toThrow(/registerForwardPreHook/);
  });
});
