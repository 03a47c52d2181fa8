// Each error names the operation, what was expected and what was given,
// and arrives as the right class of the nodetorch error family.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import * as nt from '../lib';
import { expectError } from './helpers';

describe('error classes and messages', () => {
  test('matmul shape mismatch', () => {
    const x = nt.zeros([64, 784]);
    const w = nt.zeros([500, 784]);
    expectError(
      () => x.matmul(w),
      nt.ShapeError,
      'matmul: shapes [64, 784] and [500, 784] cannot be multiplied (784 != 500)',
    );
    expectError(
      () => nt.matmul(x, w),
      nt.ShapeError,
      'matmul: shapes [64, 784] and [500, 784] cannot be multiplied (784 != 500)',
    );
    try {
      x.matmul(w);
    } catch (e) {
      expect(e).toBeInstanceOf(nt.NodetorchError);
      expect(e).toBeInstanceOf(Error);
      expect((e as nt.ShapeError).name).toBe('ShapeError');
      expect((e as nt.ShapeError).op).toBe('matmul');
    }
  });

  test('broadcast failure', () => {
    expectError(
      () => nt.zeros([2, 3]).add(nt.zeros([4])),
      nt.ShapeError,
      'add: shapes [2, 3] and [4] cannot be broadcast (dim 1: 3 vs 4)',
    );
    expectError(
      () => nt.zeros([2, 3]).mul(nt.zeros([3, 3])),
      nt.ShapeError,
      'mul: shapes [2, 3] and [3, 3] cannot be broadcast (dim 0: 2 vs 3)',
    );
    expectError(
      () => nt.where(nt.ones([2], { dtype: 'bool' }), nt.zeros([3]), 0),
      nt.ShapeError,
      'where: shapes [2] and [3] cannot be broadcast (dim 0: 2 vs 3)',
    );
    expectError(
      () => nt.zeros([2]).lt(nt.zeros([5])),
      nt.ShapeError,
      'lt: shapes [2] and [5] cannot be broadcast (dim 0: 2 vs 5)',
    );
  });

  test('bad dtype', () => {
    expectError(
      () => nt.zeros([2], { dtype: 'float16' as nt.DType }),
      nt.DTypeError,
      'zeros: dtype must be one of float32, float64, int32, int64, uint8, bool, got "float16"',
    );
    expectError(
      () => nt.tensor([1], { dtype: 'half' as nt.DType }),
      nt.DTypeError,
      'tensor: dtype must be one of float32, float64, int32, int64, uint8, bool, got "half"',
    );
    expectError(() => nt.ones([2]).to({ dtype: 'int8' as nt.DType }), nt.DTypeError, 'to: unknown dtype "int8"');
    expectError(() => nt.tensor(new Int16Array(2)), nt.DTypeError, 'tensor: unsupported typed array Int16Array');
    expectError(() => nt.rand([2], { dtype: 'int32' }), nt.DTypeError, 'rand: expected a floating dtype, got int32');
    expectError(
      () => nt.zeros([2]).gather(0, nt.zeros([2])),
      nt.DTypeError,
      'gather: index must be int32 or int64, got float32',
    );
  });

  test('bad shape arguments: NaN, -1, 1.5, strings, too many dims', () => {
    const msg = (op: string, s: string): string => `${op}: shape entries must be non-negative integers, got ${s}`;
    expectError(() => nt.zeros([2, NaN]), nt.ArgumentError, msg('zeros', '[2, NaN]'));
    expectError(() => nt.zeros([-1]), nt.ArgumentError, msg('zeros', '[-1]'));
    expectError(() => nt.ones([1.5, 2]), nt.ArgumentError, msg('ones', '[1.5, 2]'));
    expectError(() => nt.empty(['3' as unknown as number]), nt.ArgumentError, msg('empty', '[string]'));
    expectError(() => nt.randn([Infinity]), nt.ArgumentError, msg('randn', '[Infinity]'));
    expectError(
      () => nt.full([2], 'x' as unknown as number),
      nt.ArgumentError,
      'full: fill value must be a number, got string',
    );
    expectError(
      () => nt.zeros([1, 1, 1, 1, 1, 1, 1, 1, 1]),
      nt.ShapeError,
      'zeros: at most 8 dims are supported, got 9',
    );
    expectError(
      () => nt.zeros('3' as unknown as number[]),
      nt.ArgumentError,
      'zeros: shape must be an array of integers, got string',
    );
    expectError(
      () => nt.zeros([6]).reshape(2, 1.5),
      nt.ArgumentError,
      'reshape: shape entries must be non-negative integers or -1, got [2, 1.5]',
    );
    expectError(
      () => nt.zeros([6]).view(-2, 3),
      nt.ArgumentError,
      'view: shape entries must be non-negative integers or -1, got [-2, 3]',
    );
    expectError(() => nt.arange(0, NaN), nt.ArgumentError, 'arange: start, end and step must be finite numbers');
    expectError(() => nt.arange(0, 3, 0), nt.ArgumentError, 'arange: step must be non-zero');
    expectError(
      () => nt.linspace(0, 1, -1),
      nt.ArgumentError,
      'linspace: steps must be a non-negative integer, got -1',
    );
    expectError(() => nt.randint(3, 3, [2]), nt.ArgumentError, 'randint: expected integers low < high, got 3 and 3');
    expectError(
      () => nt.tensor([[1, 2], [3]]),
      nt.ShapeError,
      'tensor: nested arrays must be rectangular (expected shape [2, 2])',
    );
    expectError(
      () => nt.tensor([1, 'a' as unknown as number]),
      nt.ArgumentError,
      'tensor: elements must be numbers, booleans or bigints, got string',
    );
    expectError(
      () => nt.tensor([1, 2, 3], { shape: [2, 2] }),
      nt.ShapeError,
      'tensor: shape [2, 2] does not hold 3 elements',
    );
    expectError(
      () => nt.zeros([2, 3]).sum('1' as unknown as number),
      nt.ArgumentError,
      'sum: dim must be a number or an array of numbers, got string',
    );
    expectError(() => nt.manualSeed(1.5), nt.ArgumentError, 'manualSeed: seed must be an integer, got 1.5');
  });

  test('bad devices and cross-device operands', () => {
    expectError(
      () => nt.zeros([2], { device: 'gpu' as nt.Device }),
      nt.ArgumentError,
      "zeros: device must be 'cpu' or 'cuda', got \"gpu\"",
    );
    if (!nt.cuda.isAvailable()) {
      // No usable GPU here: asking for one fails with a typed error that says why.
      let caught: unknown;
      try {
        nt.zeros([2], { device: 'cuda' });
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(nt.NodetorchError);
      expect(
        caught instanceof nt.NotCompiledError || caught instanceof nt.DeviceError || caught instanceof nt.CudaError,
      ).toBe(true);
      expect((caught as Error).message).toMatch(/cuda|CUDA/);
      return;
    }
    const a = nt.ones([2]);
    const b = nt.ones([2], { device: 'cuda' });
    expectError(() => a.add(b), nt.DeviceError, 'add: expected all tensors on the same device, got cpu and cuda');
    expectError(() => a.matmul(b), nt.DeviceError, 'matmul: expected all tensors on the same device, got cpu and cuda');
    expectError(() => nt.cat([a, b]), nt.DeviceError, 'cat: expected all tensors on the same device, got cpu and cuda');
  });

  test('disposed tensors', () => {
    const t = nt.ones([2]);
    t.dispose();
    expectError(() => t.exp(), nt.DisposedTensorError, 'exp: the tensor was disposed');
    expectError(() => nt.ones([2]).add(t), nt.DisposedTensorError, 'add: the tensor was disposed');
    expectError(() => t.matmul(nt.ones([2])), nt.DisposedTensorError, 'matmul: the tensor was disposed');
    expectError(() => t.sum(), nt.DisposedTensorError, 'sum: the tensor was disposed');
    expectError(() => t.backward(), nt.DisposedTensorError, 'backward: the tensor was disposed');
    expectError(() => nt.zerosLike(t), nt.DisposedTensorError, 'like: the tensor was disposed');
  });

  test('non-tensor arguments', () => {
    const t = nt.ones([2]);
    expectError(
      () => nt.add('a' as unknown as nt.Tensor, t),
      nt.ArgumentError,
      'add: input must be a Tensor, got string',
    );
    expectError(
      () => t.add('x' as unknown as number),
      nt.ArgumentError,
      'add: expected a Tensor or a number, got string',
    );
    expectError(
      () => t.mul(null as unknown as number),
      nt.ArgumentError,
      'mul: expected a Tensor or a number, got null',
    );
    expectError(() => nt.exp(null as unknown as nt.Tensor), nt.ArgumentError, 'exp: input must be a Tensor, got null');
    expectError(
      () => nt.matmul(t, [1, 2] as unknown as nt.Tensor),
      nt.ArgumentError,
      'matmul: input must be a Tensor, got object',
    );
    expectError(
      () => nt.cat([t, 5 as unknown as nt.Tensor]),
      nt.ArgumentError,
      'cat: tensors[1] must be a Tensor, got number',
    );
    expectError(() => nt.sum({} as nt.Tensor), nt.ArgumentError, 'sum: input must be a Tensor, got object');
    expectError(() => nt.zerosLike([1] as unknown as nt.Tensor), nt.ArgumentError, 'like: expected a Tensor');
    expectError(() => t.clamp(), nt.ArgumentError, 'clamp: at least one of min and max must be given');
    expectError(() => t.clamp(NaN), nt.ArgumentError, 'clamp: min and max must be numbers, got NaN and undefined');
  });

  test('values that String() cannot convert still give the typed error', () => {
    // A null-prototype object makes String() and template literals throw a TypeError.
    const bare = Object.create(null) as never;
    expectError(() => nt.ones([2]).to({ dtype: bare }), nt.DTypeError, 'to: unknown dtype object');
    expectError(() => nt.distributed.unavailableReason(bare), nt.ArgumentError, /backend 'mpi' or 'nccl', got object/);
    expectError(
      () => {
        nt.backends.conv.engine = bare;
      },
      nt.ArgumentError,
      "backends.conv.engine: expected 'onednn' or 'builtin', got object",
    );
    expectError(
      () => new nt.Generator(1).take(-2),
      nt.ArgumentError,
      'Generator.take: n a non-negative integer, got -2',
    );
    expectError(
      () => new nt.Generator(1).take(bare),
      nt.ArgumentError,
      /Generator.take: n a non-negative integer, got object/,
    );
  });

  test('index values out of range are IndexErrors from native code', () => {
    const x = nt.zeros([3, 4]);
    expectError(() => x.indexSelect(1, nt.tensor([0, 4])), nt.IndexError, /^index_select: index 4 is out of range/);
    expectError(() => x.gather(0, nt.tensor([[0, 3, 0, 0]])), nt.IndexError, /^gather: index 3 is out of range/);
  });
});

describe('file errors name the file and what it is', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nt-fileerr-'));

  test('a missing file or a directory is a FileError (a NodetorchError), sync and async', async () => {
    const missing = path.join(dir, 'missing.safetensors');
    expectError(() => nt.load(missing), nt.FileError, `load: cannot read ${missing}: no such file (ENOENT)`);
    expectError(() => nt.load(dir), nt.FileError, `load: cannot read ${dir}: it is a directory (EISDIR)`);
    await expect(nt.loadAsync(missing)).rejects.toBeInstanceOf(nt.FileError);
    const e = (() => {
      try {
        nt.load(missing);
      } catch (err) {
        return err as nt.FileError;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(nt.NodetorchError);
    expect([e?.file, e?.code]).toEqual([missing, 'ENOENT']);
  });

  test('a PyTorch .pt (zip) or legacy pickle file says it is not safetensors and what to do', () => {
    const zip = path.join(dir, 'model.pt');
    fs.writeFileSync(zip, Buffer.from([0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0, 8, 0, 0, 0, 0, 0]));
    expectError(
      () => nt.load(zip),
      nt.FileFormatError,
      /not a safetensors file: it is a zip archive, as torch\.save writes/,
    );
    const pickle = path.join(dir, 'old.pth');
    fs.writeFileSync(pickle, Buffer.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8]));
    expectError(() => nt.load(pickle), nt.FileFormatError, /looks like a Python pickle.*safetensors\.torch\.save_file/);
  });
});
