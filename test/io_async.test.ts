// nt.saveAsync / nt.loadAsync / nt.loadCheckpointAsync: the same files and
// errors as the sync versions, with the event loop free during the I/O.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import * as nt from '../lib';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nt-io-async-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function sample(): nt.TensorDict {
  nt.manualSeed(7);
  return {
    w: nt.randn([5, 3]),
    b: nt.arange(0, 7, 1, { dtype: 'int64' }),
    t: nt.randn([4, 6]).transpose(0, 1), // a non-contiguous view
    m: nt.tensor([true, false, true], { dtype: 'bool' }),
    d: nt.randn([2, 2], { dtype: 'float64' }),
  };
}

describe('saveAsync / loadAsync', () => {
  test('round trip: the file equals the sync one byte for byte, and loads back equal', async () => {
    const tensors = sample();
    const syncFile = path.join(dir, 'sync.safetensors');
    const asyncFile = path.join(dir, 'async.safetensors');
    nt.save({ tensors, metadata: { epoch: '3' } }, syncFile);
    const p = nt.saveAsync({ tensors, metadata: { epoch: '3' } }, asyncFile);
    expect(p).toBeInstanceOf(Promise);
    await p;
    expect(fs.readFileSync(asyncFile).equals(fs.readFileSync(syncFile))).toBe(true);

    const loaded = await nt.loadAsync(asyncFile);
    const { tensors: again, metadata } = await nt.loadCheckpointAsync(asyncFile, { device: 'cpu' });
    expect(metadata).toEqual({ epoch: '3' });
    const ref = nt.load(syncFile);
    expect(Object.keys(loaded)).toEqual(Object.keys(ref));
    for (const k of Object.keys(ref)) {
      expect(loaded[k].dtype).toBe(ref[k].dtype);
      expect(loaded[k].shape).toEqual(ref[k].shape);
      expect(loaded[k].toArray()).toEqual(ref[k].toArray());
      expect(again[k].toArray()).toEqual(tensors[k].toArray());
    }
  });

  test('the bytes are taken at call time: in-place changes after the call do not reach the file', async () => {
    const w = nt.zeros([1000]);
    const file = path.join(dir, 'snapshot.safetensors');
    const p = nt.saveAsync({ w }, file);
    w.fill_(5); // e.g. an optimizer step while the write is in flight
    w.dispose();
    await p;
    const back = await nt.loadAsync(file);
    expect(back.w.sum().item()).toBe(0);
  });

  test('concurrent saves to different paths, and to the same path, all complete atomically', async () => {
    const sub = fs.mkdtempSync(path.join(dir, 'concurrent-'));
    const n = 8;
    const files = Array.from({ length: n }, (_, i) => path.join(sub, `c${i}.safetensors`));
    await Promise.all(files.map((f, i) => nt.saveAsync({ x: nt.full([10000], i) }, f)));
    for (let i = 0; i < n; ++i) expect(nt.load(files[i]).x.max().item()).toBe(i);

    const same = path.join(sub, 'same.safetensors');
    await Promise.all(Array.from({ length: n }, (_, i) => nt.saveAsync({ x: nt.full([1000], i) }, same)));
    const v = nt.load(same).x;
    expect(v.min().item()).toBe(v.max().item()); // one whole file, never a mix
    expect(fs.readdirSync(sub).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('a save removes temp files orphaned by dead writers, as the sync save does', async () => {
    const sub = fs.mkdtempSync(path.join(dir, 'orphans-'));
    const file = path.join(sub, 'ckpt.safetensors');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const old = new Date(Date.now() - 5 * 60_000);
    const orphan = path.join(sub, `.ckpt.safetensors.${dead}.0123456789ab.tmp`);
    const fresh = path.join(sub, `.ckpt.safetensors.${dead}.ba9876543210.tmp`);
    fs.writeFileSync(orphan, 'partial');
    fs.utimesSync(orphan, old, old);
    fs.writeFileSync(fresh, 'partial');
    await nt.saveAsync({ a: nt.ones([3]) }, file);
    expect(fs.readdirSync(sub).sort()).toEqual([path.basename(fresh), 'ckpt.safetensors'].sort());
  });

  test('a failed load rejects with the typed error the sync load throws', async () => {
    const file = path.join(dir, 'bad.safetensors');
    nt.save({ w: nt.ones([4]) }, file);
    const good = fs.readFileSync(file);
    fs.writeFileSync(file, good.subarray(0, good.length - 3));
    await expect(nt.loadAsync(file)).rejects.toBeInstanceOf(nt.FileFormatError);
    const err = await nt.loadCheckpointAsync(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(nt.FileFormatError);
    expect((err as nt.FileFormatError).file).toBe(file);
    let syncErr: unknown;
    try {
      nt.load(file);
    } catch (e) {
      syncErr = e;
    }
    expect((err as Error).message).toBe((syncErr as Error).message);

    await expect(nt.loadAsync(path.join(dir, 'missing.safetensors'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(nt.loadAsync('')).rejects.toBeInstanceOf(nt.ArgumentError);
    await expect(nt.loadAsync(file, null as unknown as nt.LoadOptions)).rejects.toBeInstanceOf(nt.ArgumentError);
  });

  test('bad save arguments reject (never throw) with the typed errors', async () => {
    const call = (f: () => Promise<void>): Promise<unknown> => {
      let p: Promise<void> | undefined;
      expect(() => {
        p = f();
      }).not.toThrow();
      return p!.then(
        () => undefined,
        (e: unknown) => e,
      );
    };
    const target = path.join(dir, 'never.safetensors');
    expect(await call(() => nt.saveAsync({ w: [1] as unknown as nt.Tensor }, target))).toBeInstanceOf(nt.ArgumentError);
    expect(await call(() => nt.saveAsync({ w: nt.ones([1]) }, ''))).toBeInstanceOf(nt.ArgumentError);
    expect(await call(() => nt.saveAsync(null as unknown as nt.TensorDict, target))).toBeInstanceOf(nt.ArgumentError);
    const t = nt.ones([1]);
    t.dispose();
    expect(await call(() => nt.saveAsync({ t }, target))).toBeInstanceOf(nt.DisposedTensorError);
    expect(await call(() => nt.saveAsync({ w: nt.ones([1]) }, path.join(dir, 'no-such-dir', 'x')))).toMatchObject({
      code: 'ENOENT',
    });
    expect(fs.existsSync(target)).toBe(false);
  });

  test('the event loop keeps ticking during a large save and load', async () => {
    const big = { w: nt.ones([4 << 20]) }; // 16 MiB of float32: two write chunks
    const file = path.join(dir, 'big.safetensors');
    let ticks = 0; // a 1 ms timer
    const timer = setInterval(() => ++ticks, 1);
    let turns = 0; // loop iterations (a setImmediate chain)
    let spinning = true;
    const spin = (): void => {
      ++turns;
      if (spinning) setImmediate(spin);
    };
    setImmediate(spin);
    try {
      const p = nt.saveAsync(big, file);
      const [ticks0, turns0] = [ticks, turns]; // the copy to bytes is synchronous; the I/O is not
      const t0 = performance.now();
      await p;
      const saveMs = performance.now() - t0;
      expect(turns).toBeGreaterThan(turns0 + 2);
      // The I/O spans loop turns, so a timer due during it fires during it
      // (on a disk, fsync alone takes milliseconds).
      if (saveMs >= 3) expect(ticks).toBeGreaterThan(ticks0);
      const turns1 = turns;
      const back = await nt.loadAsync(file);
      expect(turns).toBeGreaterThan(turns1); // the read went by chunks, between loop turns
      expect(back.w.shape).toEqual([4 << 20]);
      back.w.dispose();
    } finally {
      spinning = false;
      clearInterval(timer);
      big.w.dispose();
      fs.rmSync(file, { force: true });
    }
  });
});
