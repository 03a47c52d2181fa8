// `nodetorch train --nproc N` (lib/cli/train_ddp.ts): the command relaunches
// itself as N ranks under mpirun, trains a DistributedDataParallel replica per
// rank, and only rank 0 prints the epochs and the one summary line.
import { spawnSync } from 'child_process';
import * as path from 'path';

import { main } from '../lib/cli/main';
import type { CliIO } from '../lib/cli/io';

const MAIN = path.join(__dirname, '..', 'dist', 'lib', 'cli', 'main.js');
const hasMpirun = spawnSync('mpirun', ['--version'], { encoding: 'utf8' }).status === 0;

function captureIO(): CliIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    out: (t) => void stdout.push(t),
    err: (t) => void stderr.push(t),
    progressStream: process.stderr,
  };
}

(hasMpirun ? describe : describe.skip)('nodetorch train --nproc', () => {
  test('2 ranks train one model: one summary from rank 0, accuracy rises', () => {
    const args = ['train', '--nproc', '2', '--limit-train', '2048', '--limit-test', '512', '--epochs', '2'];
    const r = spawnSync(
      process.execPath,
      [MAIN, ...args, '--batch-size', '32', '--optimizer', 'sgd', '--lr', '0.05', '--quiet'],
      { encoding: 'utf8', timeout: 120_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('epoch '))).toHaveLength(2);
    const summaries = lines.filter((l) => l.startsWith('{'));
    expect(summaries).toHaveLength(1);
    const s = JSON.parse(summaries[0]);
    expect(s.processes).toBe(2);
    expect(s.threads).toBe(1); // each rank takes its share of the 2 cores
    expect(s.epochs[1].testAcc).toBeGreaterThan(0.7);
    expect(s.epochs[1].testAcc).toBeGreaterThan(s.epochs[0].testAcc - 0.05);
  });
});

test('--nproc with --device cuda is a usage error naming the backend', async () => {
  const io = captureIO();
  expect(await main(['train', '--nproc', '2', '--device', 'cuda'], io)).not.toBe(0);
  expect(io.stderr.join('\n')).toMatch(/--nproc with --device cpu/);
});
