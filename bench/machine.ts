// Machine and build description for the --json output, so results can be
// compared across machines.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import * as nt from '../lib';
import { packageRoot } from '../bindings/loader';

export interface MachineInfo {
  cpuModel: string;
  /** Physical cores when /proc/cpuinfo says, else logical CPUs. */
  cores: number;
  logicalCpus: number;
  cpuFeatures: string[];
  memoryBytes: number;
  os: string;
  node: string;
  nodetorch: string;
  blas: string;
  threads: number;
  loadAverage: number[];
}

function physicalCores(): number | null {
  try {
    const text = fs.readFileSync('/proc/cpuinfo', 'utf8');
    const seen = new Set<string>();
    let phys = '0';
    for (const line of text.split('\n')) {
      const [k, v] = line.split(':').map((s) => s?.trim());
      if (k === 'physical id') phys = v;
      if (k === 'core id') seen.add(`${phys}/${v}`);
    }
    return seen.size || null;
  } catch {
    return null;
  }
}

function packageVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return nt.info().version;
  }
}

export function machineInfo(): MachineInfo {
  const info = nt.info();
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: physicalCores() ?? cpus.length,
    logicalCpus: cpus.length,
    cpuFeatures: info.cpuFeatures,
    memoryBytes: os.totalmem(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    nodetorch: packageVersion(),
    blas: info.gemm,
    threads: nt.getNumThreads(),
    loadAverage: os.loadavg(),
  };
}

/** The git commit the bench ran from (null outside a git checkout); dirty: tracked files differ from it. */
export function sourceInfo(): { commit: string | null; dirty: boolean } {
  const git = (args: string[]): string =>
    execFileSync('git', args, { cwd: packageRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    return { commit: git(['rev-parse', 'HEAD']), dirty: git(['status', '--porcelain', '--untracked-files=no']) !== '' };
  } catch {
    return { commit: null, dirty: false };
  }
}
