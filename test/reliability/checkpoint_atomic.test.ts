// Checkpoint saves are atomic: a child saving checkpoints in a loop is
// SIGKILLed at random moments, repeatedly; after every kill the file holds a
// complete checkpoint (loads, every tensor agrees with its metadata counter,
// no older than the last save the child acknowledged).
// Temp files: nt.save writes `.<name>.<pid>.<random>.tmp` next to the target
// and renames it over the target; a kill between open and rename leaves that
// one temp file behind. So at most one orphan per kill, never a torn target.
// A later save removes orphans whose writer is gone once they are a minute
// old (a fresh one may belong to a writer on another host).
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import * as nt from '../../lib';

const ROOT = path.resolve(__dirname, '../..');
const KILLS = Number(process.env.NT_KILLS ?? 20);

function killAfterSaves(file: string, minSaves: number, extraMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['-r', './test/reliability/children/ts_register.js', 'test/reliability/children/checkpoint_saver.ts', file],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let acked = 0;
    let buf = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) if (l.startsWith('saved ')) acked = Number(l.slice(6));
      if (acked >= minSaves && !timer) timer = setTimeout(() => child.kill('SIGKILL'), extraMs);
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`saver exited (${code}) before it was killed: ${err}`));
    });
  });
}

describe('atomic checkpoints under SIGKILL', () => {
  it(`the previous checkpoint survives ${KILLS} kills mid-save`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nt-kill-'));
    const file = path.join(dir, 'ckpt.safetensors');
    let lastN = 0;
    for (let k = 0; k < KILLS; k++) {
      // Kill at a random moment: 1-3 saves in, then 0-40 ms later (mid-write for most).
      const acked = await killAfterSaves(file, 1 + (k % 3), Math.floor(Math.random() * 40));
      const { tensors, metadata } = nt.loadCheckpoint(file);
      const n = Number(metadata.n);
      expect(n).toBeGreaterThanOrEqual(acked); // the acknowledged save is durable (or a newer one)
      expect(n).toBeGreaterThanOrEqual(1);
      expect(tensors.big.shape).toEqual([256, 1024]);
      expect(tensors.big.amin().item()).toBe(n);
      expect(tensors.big.amax().item()).toBe(n);
      expect(Array.from(tensors.small.data() as Float32Array)).toEqual([n, n, n]);
      for (const t of Object.values(tensors)) t.dispose();
      lastN = n;
      const temps = fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'));
      expect(temps.length).toBeLessThanOrEqual(k + 1); // at most one orphan per kill
    }
    expect(lastN).toBeGreaterThan(0);
    const temps = fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'));
    console.log(
      `checkpoint kill test: ${KILLS} kills, ${temps.length} orphaned temp files (each from a kill mid-write)`,
    );
    // Once they are a minute old, the next save clears them all.
    const old = new Date(Date.now() - 2 * 60_000);
    for (const t of temps) fs.utimesSync(path.join(dir, t), old, old);
    nt.save({ small: nt.zeros([3]) }, file);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 300000);
});
