// nt.save / nt.load: every dtype round trips exactly (0-d, empty, strided and
// CUDA tensors included), metadata, a model-like state dict, the device
// option, atomic replacement, and FileFormatError on malformed files.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as nt from '../lib';
import { DEVICES } from './helpers';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nt-ckpt-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function sample(device: nt.Device): Record<string, nt.Tensor> {
  return {
    f32: nt.tensor(
      [
        [1.5, -2.25, 3e-8],
        [Infinity, -0, 65504.5],
      ],
      { dtype: 'float32', device },
    ),
    f64: nt.tensor([Math.PI, -1e-300, NaN], { dtype: 'float64', device }),
    i32: nt.tensor([2147483647, -2147483648, 0], { dtype: 'int32', device }),
    i64: nt.tensor(BigInt64Array.of(9007199254740993n, -5n), { device }),
    u8: nt.tensor([0, 255, 7], { dtype: 'uint8', device }),
    bool: nt.tensor([true, false, true], { device }),
    scalar: nt.tensor(42.5, { dtype: 'float64', device }),
    empty: nt.zeros([0, 3], { device }),
  };
}

function bytesOf(t: nt.Tensor): Buffer {
  const d = t.cpu().data();
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
}

describe.each(DEVICES)('save / load on %s', (device) => {
  test('every dtype round trips bit for bit', () => {
    const file = path.join(dir, `all-${device}.safetensors`);
    const src = sample(device);
    nt.save(src, file);
    const back = nt.load(file, { device });
    expect(Object.keys(back).sort()).toEqual(Object.keys(src).sort());
    for (const [name, t] of Object.entries(src)) {
      const u = back[name];
      expect([name, u.dtype, u.shape, u.device]).toEqual([name, t.dtype, t.shape, device]);
      expect(bytesOf(u).equals(bytesOf(t))).toBe(true);
    }
  });

  test('strided tensors are saved as their logical contents', () => {
    const file = path.join(dir, `strided-${device}.safetensors`);
    const t = nt.arange(6, undefined, 1, { dtype: 'float32', device }).reshape([2, 3]).t();
    nt.save({ t }, file);
    expect(nt.load(file).t.toArray()).toEqual([
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
  });
});

describe('checkpoints', () => {
  test('a model-like state dict with metadata; load onto cpu by default', () => {
    const file = path.join(dir, 'model.safetensors');
    const state = {
      'fc1.weight': nt.randn([5, 4]),
      'fc1.bias': nt.zeros([5]),
      'fc2.weight': nt.randn([2, 5], { dtype: 'float64' }),
      'bn.num_batches_tracked': nt.tensor(BigInt64Array.of(3n), { shape: [] }),
    };
    nt.save({ tensors: state, metadata: { epoch: '3', format: 'pt' } }, file);
    const { tensors, metadata } = nt.loadCheckpoint(file);
    expect(metadata).toEqual({ epoch: '3', format: 'pt' });
    for (const [k, v] of Object.entries(state)) {
      expect(tensors[k].device).toBe('cpu');
      expect(tensors[k].toArray()).toEqual(v.toArray());
    }
  });

  test('a key named "tensors" holding a tensor is an ordinary state dict entry', () => {
    const file = path.join(dir, 'named.safetensors');
    nt.save({ tensors: nt.ones([2]), metadata: nt.zeros([1]) }, file);
    expect(Object.keys(nt.load(file)).sort()).toEqual(['metadata', 'tensors']);
  });

  test('an nn module state dict round trips through loadStateDict', () => {
    const file = path.join(dir, 'linear.safetensors');
    const a = new nt.nn.Linear(4, 3);
    nt.save(a.stateDict(), file);
    const b = new nt.nn.Linear(4, 3);
    b.loadStateDict(nt.load(file));
    const x = nt.randn([2, 4]);
    expect(b.forward(x).toArray()).toEqual(a.forward(x).toArray());
  });

  test('saving replaces the file atomically and leaves no temp files', () => {
    const sub = fs.mkdtempSync(path.join(dir, 'atomic-'));
    const file = path.join(sub, 'ckpt.safetensors');
    nt.save({ a: nt.ones([3]) }, file);
    nt.save({ b: nt.zeros([2]) }, file);
    expect(fs.readdirSync(sub)).toEqual(['ckpt.safetensors']);
    expect(Object.keys(nt.load(file))).toEqual(['b']);
  });

  test('a save removes temp files orphaned by dead writers, and only those', () => {
    const sub = fs.mkdtempSync(path.join(dir, 'orphans-'));
    const file = path.join(sub, 'ckpt.safetensors');
    // A pid that existed and is gone: a child that has exited.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const alive = process.ppid; // the jest parent: alive, not us
    const old = new Date(Date.now() - 5 * 60_000);
    const make = (name: string, aged: boolean): string => {
      const f = path.join(sub, name);
      fs.writeFileSync(f, 'partial');
      if (aged) fs.utimesSync(f, old, old);
      return name;
    };
    const removed = make(`.ckpt.safetensors.${dead}.0123456789ab.tmp`, true);
    const kept = [
      make(`.ckpt.safetensors.${dead}.ba9876543210.tmp`, false), // dead writer, but touched within the minute
      make(`.ckpt.safetensors.${alive}.0123456789ab.tmp`, true), // writer alive
      make(`.ckpt.safetensors.${process.pid}.0123456789ab.tmp`, true), // this process
      make(`.other.safetensors.${dead}.0123456789ab.tmp`, true), // another target's
      make(`.ckpt.safetensors.${dead}.notours.tmp`, true), // not our name pattern
    ];
    nt.save({ a: nt.ones([3]) }, file);
    const left = fs.readdirSync(sub);
    expect(left).not.toContain(removed);
    expect(left.sort()).toEqual(['ckpt.safetensors', ...kept].sort());
  });

  test('malformed files throw FileFormatError naming the file', () => {
    const file = path.join(dir, 'bad.safetensors');
    nt.save({ w: nt.ones([4]) }, file);
    const good = fs.readFileSync(file);
    fs.writeFileSync(file, good.subarray(0, good.length - 3)); // truncated data
    expect(() => nt.load(file)).toThrow(nt.FileFormatError);
    fs.writeFileSync(file, Buffer.from('not a checkpoint'));
    let err: unknown;
    try {
      nt.load(file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(nt.FileFormatError);
    expect((err as nt.FileFormatError).file).toBe(file);
  });

  test('bad arguments throw ArgumentError', () => {
    expect(() => nt.save({ w: [1, 2] as unknown as nt.Tensor }, path.join(dir, 'x.safetensors'))).toThrow(
      nt.ArgumentError,
    );
    expect(() => nt.save({ w: nt.ones([1]) }, '')).toThrow(nt.ArgumentError);
    const t = nt.ones([1]);
    t.dispose();
    expect(() => nt.save({ t }, path.join(dir, 'y.safetensors'))).toThrow(nt.DisposedTensorError);
  });
});
