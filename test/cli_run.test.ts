// `nodetorch run` (lib/cli/run.ts): option parsing, the mpirun command line,
// a real 2-rank launch whose exit status comes back, and a missing mpirun.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { main } from '../lib/cli/main';
import { mpirunArgs, parseRunArgs } from '../lib/cli/run';
import type { CliIO } from '../lib/cli/io';

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

describe('nodetorch run', () => {
  test('options stop at the script; the rest is the script’s', () => {
    const plan = parseRunArgs([
      '-n',
      '3',
      '--mca',
      'btl_tcp_if_include',
      'eth0',
      '-x',
      'NCCL_SOCKET_IFNAME=eth0',
      '-x',
      'NCCL_DEBUG',
      'train.js',
      '-n',
      '9',
      '--lr',
    ]);
    expect(plan).toEqual({
      nproc: 3,
      hostfile: undefined,
      mca: [['btl_tcp_if_include', 'eth0']],
      env: ['NCCL_SOCKET_IFNAME=eth0', 'NCCL_DEBUG'],
      script: 'train.js',
      scriptArgs: ['-n', '9', '--lr'],
    });
    const args = mpirunArgs(plan!, true, '/usr/bin/node');
    expect(args.slice(0, 6)).toEqual(['--allow-run-as-root', '--oversubscribe', '--bind-to', 'none', '-n', '3']);
    expect(args.slice(-5)).toEqual(['/usr/bin/node', 'train.js', '-n', '9', '--lr']);
    // -x reaches mpirun before the program, each as its own pair.
    expect(args.slice(-9, -5)).toEqual(['-x', 'NCCL_SOCKET_IFNAME=eth0', '-x', 'NCCL_DEBUG']);
    expect(mpirunArgs(plan!, false, 'node')).not.toContain('--allow-run-as-root');
    expect(mpirunArgs({ ...plan!, hostfile: 'hosts' }, false, 'node')).toEqual(
      expect.arrayContaining(['--hostfile', 'hosts']),
    );
  });

  test('usage mistakes exit 2 with a message', async () => {
    for (const [argv, msg] of [
      [['run', 'x.js'], /-n N/],
      [['run', '-n', '0', 'x.js'], /positive integer, got '0'/],
      [['run', '-n', '2'], /a script to run/],
      [['run', '--frob', '-n', '2', 'x.js'], /unknown option '--frob'/],
      [['run', '-n', '2', '-x', '1BAD', 'x.js'], /-x takes VAR or VAR=VALUE, got '1BAD'/],
    ] as const) {
      const io = captureIO();
      expect(await main([...argv], io)).toBe(2);
      expect(io.stderr.join('\n')).toMatch(msg);
    }
    const io = captureIO();
    expect(await main(['run', '--help'], io)).toBe(0);
    expect(io.stdout[0]).toMatch(/Usage: nodetorch run -n N/);
  });

  test('launches N ranks under mpirun and returns the exit status', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nt-run-'));
    const script = path.join(dir, 'ranks.js');
    // Each rank writes its rank and world size; rank 1 exits 7.
    fs.writeFileSync(
      script,
      `const r = process.env.OMPI_COMM_WORLD_RANK, n = process.env.OMPI_COMM_WORLD_SIZE;
require('fs').writeFileSync(require('path').join(process.argv[2], 'rank' + r), r + '/' + n + ' ' + process.argv[3]);
process.exitCode = r === '1' ? 7 : 0;`,
    );
    const code = await main(['run', '-n', '2', script, dir, 'hello'], captureIO());
    expect(fs.readFileSync(path.join(dir, 'rank0'), 'utf8')).toBe('0/2 hello');
    expect(fs.readFileSync(path.join(dir, 'rank1'), 'utf8')).toBe('1/2 hello');
    expect(code).toBe(7);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a missing mpirun is a typed error naming the install command', async () => {
    const saved = process.env.NODETORCH_MPIRUN;
    process.env.NODETORCH_MPIRUN = '/nonexistent/mpirun';
    try {
      const io = captureIO();
      expect(await main(['run', '-n', '2', 'x.js'], io)).toBe(1);
      expect(io.stderr.join('\n')).toMatch(/\/nonexistent\/mpirun not found; .*apt-get install openmpi-bin/);
    } finally {
      if (saved === undefined) delete process.env.NODETORCH_MPIRUN;
      else process.env.NODETORCH_MPIRUN = saved;
    }
  });
});
