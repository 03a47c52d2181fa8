// `nodetorch run -n N script.js [args]`: starts N copies of a script under
// Open MPI's mpirun, with the flags a single machine needs (oversubscription
// allowed, no core binding so each rank's thread pool can spread; root
// allowed when running as root, as in containers), and returns mpirun's exit
// status. Options stop at the script: what follows is the script's.
import { spawn } from 'child_process';
import { DistributedError } from '../errors';
import { UsageError } from './args';
import type { CliIO } from './io';

const RUN_USAGE = `Usage: nodetorch run -n N [options] script.js [script args]

Starts N processes of script.js under mpirun (Open MPI); in the script,
nt.distributed.initProcessGroup({ backend: 'mpi' }) joins them.

Options:
  -n, --nproc N        number of processes (ranks)
  --hostfile FILE      machines to run on (Open MPI hostfile: 'host slots=K' lines)
  --mca KEY VALUE      an Open MPI parameter, e.g. --mca btl_tcp_if_include eth0 (repeatable)
  -x VAR[=VALUE]       pass an environment variable to every rank, e.g. -x NCCL_SOCKET_IFNAME=eth0 (repeatable)
  -h, --help           show this help

Environment: NODETORCH_MPIRUN names the mpirun binary (default: mpirun on PATH).`;

interface RunPlan {
  nproc: number;
  hostfile?: string;
  mca: [string, string][];
  /** mpirun -x: VAR or VAR=VALUE, exported to every rank (NCCL_* across machines). */
  env?: string[];
  script: string;
  scriptArgs: string[];
}

/** Parses the options before the script; null for --help. */
export function parseRunArgs(argv: readonly string[]): RunPlan | null {
  const op = 'nodetorch run';
  let nproc: number | undefined;
  let hostfile: string | undefined;
  const mca: [string, string][] = [];
  const env: string[] = [];
  let i = 0;
  const value = (name: string): string => {
    const v = argv[++i];
    if (v === undefined) throw new UsageError(op, `${name} needs a value`);
    return v;
  };
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help') return null;
    if (a === '-n' || a === '--nproc' || a === '-np') {
      const v = value(a);
      if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(op, `${a} takes a positive integer, got '${v}'`);
      nproc = Number(v);
    } else if (a === '--hostfile') {
      hostfile = value(a);
    } else if (a === '--mca') {
      const k = value(a);
      mca.push([k, value(a)]);
    } else if (a === '-x') {
      const v = value(a);
      if (!/^[A-Za-z_][A-Za-z0-9_]*(=.*)?$/.test(v)) throw new UsageError(op, `-x takes VAR or VAR=VALUE, got '${v}'`);
      env.push(v);
    } else if (a.startsWith('-')) {
      throw new UsageError(op, `unknown option '${a}'; see 'nodetorch run --help'`);
    } else {
      break;
    }
  }
  if (nproc === undefined) throw new UsageError(op, "the number of processes, -n N; see 'nodetorch run --help'");
  const script = argv[i];
  if (script === undefined) throw new UsageError(op, "a script to run, e.g. 'nodetorch run -n 2 train.js'");
  return { nproc, hostfile, mca, env, script, scriptArgs: argv.slice(i + 1) };
}

/** mpirun's arguments for a plan. */
export function mpirunArgs(plan: RunPlan, isRoot: boolean, node: string): string[] {
  return [
    ...(isRoot ? ['--allow-run-as-root'] : []),
    '--oversubscribe',
    '--bind-to',
    'none',
    '-n',
    String(plan.nproc),
    ...(plan.hostfile !== undefined ? ['--hostfile', plan.hostfile] : []),
    ...plan.mca.flatMap(([k, v]) => ['--mca', k, v]),
    ...(plan.env ?? []).flatMap((v) => ['-x', v]),
    node,
    plan.script,
    ...plan.scriptArgs,
  ];
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/** Runs the command; resolves to mpirun's exit status (128 + signal when it was killed). */
export async function runRunCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const plan = parseRunArgs(argv);
  if (plan === null) {
    io.out(RUN_USAGE);
    return 0;
  }
  const mpirun = process.env.NODETORCH_MPIRUN ?? 'mpirun';
  const args = mpirunArgs(plan, process.getuid?.() === 0, process.execPath);
  return new Promise((resolve, reject) => {
    const child = spawn(mpirun, args, { stdio: 'inherit' });
    child.on('error', (e: NodeJS.ErrnoException) => {
      reject(
        e.code === 'ENOENT'
          ? new DistributedError(
              'nodetorch run',
              `${mpirun} not found; install Open MPI 4.x (apt-get install openmpi-bin libopenmpi-dev)`,
            )
          : new DistributedError('nodetorch run', `cannot start ${mpirun}: ${e.message}`),
      );
    });
    child.on('close', (code, signal) => resolve(code ?? 128 + (signal ? (SIGNALS[signal] ?? 1) : 1)));
  });
}
