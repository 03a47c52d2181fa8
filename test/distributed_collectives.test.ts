// nt.distributed on Open MPI (issue 16). The collectives run in 2 ranks under
// mpirun (test/reliability/children/dist_worker.ts checks each one against
// its definition for float32/float64/int64 and 0, 1 and 1001 elements,
// sync and async); a stalled and a killed peer end in a DistributedError
// within a bounded time; a missing libmpi and misuse are typed errors here,
// in-process, without initializing MPI.
import { spawn } from 'child_process';
import * as path from 'path';

import * as nt from '../lib';

const root = path.join(__dirname, '..');
const register = path.join(root, 'test/reliability/children/ts_register.js');
const worker = path.join(root, 'test/reliability/children/dist_worker.ts');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** `mpirun -n 2 node worker.ts <args>`, as `nodetorch run` launches it. */
function mpirun(args: string[], limitMs: number): Promise<Run> {
  const t0 = Date.now();
  const flags = ['--oversubscribe', '--bind-to', 'none', ...(process.getuid?.() === 0 ? ['--allow-run-as-root'] : [])];
  const child = spawn('mpirun', [...flags, '-n', '2', process.execPath, '-r', register, worker, ...args], {
    env: { ...process.env, NODETORCH_NUM_THREADS: '1' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => {
    stdout += b.toString();
  });
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  return new Promise((resolve) => {
    child.on('error', (e) => {
      clearTimeout(killer);
      resolve({ code: -1, stdout, stderr: `${stderr}${String(e)}`, ms: Date.now() - t0 });
    });
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

describe('collectives under mpirun -n 2', () => {
  // Started together: on a loaded 2-core machine the three jobs overlap their waits.
  let runs: Promise<[Run, Run, Run]>;
  beforeAll(() => {
    runs = Promise.all([
      mpirun(['collectives', '60000'], 110_000),
      mpirun(['stall', '3000'], 60_000),
      mpirun(['kill', '60000'], 60_000),
    ]);
  });

  test('every collective matches its definition on both ranks', async () => {
    const [r] = await runs;
    const lines = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { rank: number; ws: number; checks: number; failures: string[] });
    expect(lines.map((l) => l.rank).sort()).toEqual([0, 1]);
    for (const l of lines) {
      expect(l.ws).toBe(2);
      expect(l.failures).toEqual([]);
      expect(l.checks).toBe(147); // 46 per size (0, 1, 1001) and 9 more: none skipped
    }
    expect(r.code).toBe(0);
  });

  test('a peer that stops calling collectives: DistributedError after the timeout, no hang', async () => {
    const [, r] = await runs;
    const m = /rank 0: (\w+) after (\d+) ms: (.*)/.exec(r.stdout);
    expect(m?.[1]).toBe('DistributedError');
    expect(m?.[3]).toMatch(/did not finish within 3000 ms: a peer process died or stopped/);
    expect(Number(m?.[2])).toBeGreaterThanOrEqual(2900);
    expect(r.code).not.toBe(0);
  });

  test('a killed peer: the other rank gets a DistributedError, well before its 60 s timeout', async () => {
    const [, , r] = await runs;
    expect(r.stdout).toMatch(/rank 0: DistributedError after \d+ ms: .*launcher stopped this rank/);
    expect(r.code).not.toBe(0);
    expect(r.ms).toBeLessThan(50_000);
  });
});

describe('without a process group', () => {
  test('MPI absent: a typed error naming libmpi.so.40 and the install command', () => {
    const saved = process.env.NODETORCH_MPI_LIB;
    process.env.NODETORCH_MPI_LIB = '/nonexistent/libmpi.so.40';
    try {
      expect(nt.distributed.isAvailable('mpi')).toBe(false);
      const reason = nt.distributed.unavailableReason('mpi');
      expect(reason).toMatch(/libmpi\.so\.40/);
      expect(reason).toMatch(/apt-get install openmpi-bin libopenmpi-dev/);
      expect(() => nt.distributed.initProcessGroup({ backend: 'mpi' })).toThrow(nt.DistributedError);
      expect(() => nt.distributed.initProcessGroup({ backend: 'mpi' })).toThrow(/libmpi\.so\.40/);
      expect(nt.distributed.isInitialized()).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.NODETORCH_MPI_LIB;
      else process.env.NODETORCH_MPI_LIB = saved;
    }
  });

  test('misuse is a typed error naming the op', () => {
    const d = nt.distributed;
    expect(() => d.getRank()).toThrow(nt.DistributedError);
    expect(() => d.getRank()).toThrow(/distributed\.getRank: .*initProcessGroup/);
    expect(() => d.allReduce(nt.ones([2]))).toThrow(nt.DistributedError);
    expect(() => d.barrier()).toThrow(nt.DistributedError);
    expect(() => d.initProcessGroup({ backend: 'gloo' as 'mpi' })).toThrow(nt.ArgumentError);
    expect(() => d.initProcessGroup({ backend: 'mpi', timeoutMs: -1 })).toThrow(nt.ArgumentError);
    expect(() => d.initProcessGroup({ backend: 'mpi', initTimeoutMs: 0.5 })).toThrow(/initTimeoutMs/);
    expect(() => d.initProcessGroup({ backend: 'mpi', tiemoutMs: 5 } as unknown as { backend: 'mpi' })).toThrow(
      nt.ArgumentError,
    );
  });
});
