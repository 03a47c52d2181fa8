// `nodetorch train --nproc N`: the command relaunches itself as N ranks under
// mpirun (as `nodetorch run` does); each rank joins nt.distributed, trains a
// DistributedDataParallel replica on its DistributedSampler shard, and only
// rank 0 reports, evaluates and writes files.
import * as os from 'os';
import * as path from 'path';
import * as distributed from '../distributed';
import { ArgumentError } from '../errors';
import { setNumThreads } from '../runtime';
import type { CliIO } from './io';
import { runRunCommand } from './run';

/** True in a process that mpirun started (Open MPI sets OMPI_COMM_WORLD_SIZE). */
export function isMpiRank(): boolean {
  return process.env.OMPI_COMM_WORLD_SIZE !== undefined;
}

/** Relaunches `nodetorch train ARGV` as `nproc` ranks; resolves to mpirun's exit status. */
export function relaunchAsRanks(nproc: number, argv: readonly string[], io: CliIO): Promise<number> {
  return runRunCommand(['-n', String(nproc), path.join(__dirname, 'main.js'), 'train', ...argv], io);
}

export interface Rank {
  rank: number;
  worldSize: number;
}

/**
 * Joins the process group and checks that mpirun started `nproc` ranks.
 * Without --threads each rank takes its share of this machine's cores, so the
 * ranks do not oversubscribe them.
 */
export function joinRanks(nproc: number, threads: number | undefined): Rank {
  distributed.initProcessGroup({ backend: 'mpi' });
  const worldSize = distributed.getWorldSize();
  if (worldSize !== nproc) {
    distributed.destroyProcessGroup();
    throw new ArgumentError('nodetorch train', `--nproc ${nproc} processes, but mpirun started ${worldSize}`);
  }
  if (threads === undefined) {
    const local = Number(process.env.OMPI_COMM_WORLD_LOCAL_SIZE ?? nproc) || nproc;
    setNumThreads(Math.max(1, Math.floor(os.availableParallelism() / local)));
  }
  return { rank: distributed.getRank(), worldSize };
}

/** Leaves the process group at the end of training. */
export function leaveRanks(): void {
  distributed.destroyProcessGroup();
}
