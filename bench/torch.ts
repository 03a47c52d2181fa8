// Finds a Python with PyTorch and runs the reference scripts of
// bench/reference/ with the same thread count and OMP_WAIT_POLICY=passive
// (PyTorch's OpenMP threads otherwise spin between ops and fight ours/its
// own BLAS threads for the cores, several times slower per epoch on 2 cores).
import { spawnSync } from 'child_process';
import * as path from 'path';

import { packageRoot } from '../bindings/loader';

export interface TorchRuntime {
  python: string;
  version: string;
}

export interface TorchUnavailable {
  reason: string;
}

/** The Python interpreters tried, in order: $NODETORCH_BENCH_PYTHON, python3, /usr/bin/python3. */
function candidates(): string[] {
  const list = [process.env.NODETORCH_BENCH_PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p);
  return [...new Set(list)];
}

export function findTorch(): TorchRuntime | TorchUnavailable {
  const tried: string[] = [];
  for (const python of candidates()) {
    const r = spawnSync(python, ['-c', 'import torch, numpy; print(torch.__version__)'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (r.status === 0) return { python, version: r.stdout.trim() };
    const why = r.error ? r.error.message : (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`);
    tried.push(`${python}: ${why}`);
  }
  return { reason: `no Python with torch and numpy found (${tried.join('; ')})` };
}

function torchEnv(threads: number): NodeJS.ProcessEnv {
  return {
    ...process.env,
    OMP_WAIT_POLICY: 'passive',
    OMP_NUM_THREADS: String(threads),
    OPENBLAS_NUM_THREADS: String(threads),
  };
}

/** Runs bench/reference/<script> and parses the JSON object it prints last. */
export function runReference<T>(
  rt: TorchRuntime,
  script: string,
  args: string[],
  threads: number,
  timeoutMs: number,
): T {
  const file = path.join(packageRoot, 'bench', 'reference', script);
  const r = spawnSync(rt.python, [file, ...args], {
    encoding: 'utf8',
    env: torchEnv(threads),
    timeout: timeoutMs,
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) {
    const why = r.error ? r.error.message : r.stderr.trim().split('\n').slice(-3).join(' | ');
    throw new Error(`${script} failed (exit ${r.status}): ${why}`);
  }
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as T;
}
