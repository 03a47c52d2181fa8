// The process group: which backend, this process's rank and the world size,
// and the collective timeout. One group per process, as MPI allows one
// MPI_Init; the launcher (`nodetorch run`, mpirun, torchrun) sets the ranks.
import { native } from '../kernels/native';
import { ArgumentError, DistributedError } from '../errors';
import { checkOptions, optionKeys, showValue } from '../validate';
import { failRunning } from './work';

export type Backend = 'mpi' | 'nccl';

export interface InitOptions {
  /**
   * 'mpi' (CPU tensors, Open MPI) or 'nccl' (CUDA tensors, libnccl.so.2). nccl
   * forms its group over MPI when mpirun started the process (nodetorch run),
   * else from RANK / WORLD_SIZE with rank 0's id passed through the file
   * NODETORCH_NCCL_ID_FILE names (every rank the same path).
   */
  backend: Backend;
  /** A collective that takes longer raises DistributedError (a peer died). Default 300000 (5 min). */
  timeoutMs?: number;
  /** The same for MPI_Init, which waits for every rank to start. Default: timeoutMs. */
  initTimeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 300_000;
/** The nccl backend's JS watchdogs wait this much longer than timeoutMs, so NCCL's own (native) one reports first. */
const NCCL_GRACE_MS = 5000;

interface Group {
  backend: Backend;
  rank: number;
  worldSize: number;
  localRank: number;
  timeoutMs: number;
  /** When an async collective's Work gives up (timeoutMs, plus NCCL_GRACE_MS on nccl). */
  watchdogMs: number;
}

let group: Group | null = null;

/** The soname of Open MPI 4.x; NODETORCH_MPI_LIB overrides it (a path, or another name). */
function mpiLibrary(): string {
  return process.env.NODETORCH_MPI_LIB ?? 'libmpi.so.40';
}

function envInt(...names: string[]): number | undefined {
  for (const n of names) {
    const v = process.env[n];
    if (v !== undefined && /^\d+$/.test(v)) return Number(v);
  }
  return undefined;
}

/** Why `backend` cannot be used here ('' when it can). */
export function unavailableReason(backend: Backend): string {
  if (backend === 'nccl') return native.distNcclUnavailable();
  if (backend !== 'mpi')
    throw new ArgumentError('distributed.unavailableReason', `backend 'mpi' or 'nccl', got ${showValue(backend)}`);
  return native.distUnavailable(mpiLibrary());
}

/** True when `backend` can run here: libmpi.so.40 loads ('mpi'); a CUDA device and libnccl.so.2 >= 2.10.3 ('nccl'). */
export function isAvailable(backend: Backend): boolean {
  return unavailableReason(backend) === '';
}

/**
 * Joins the process group: MPI_Init on the communication thread. Rank and
 * world size come from MPI; the launcher's variables (OMPI_COMM_WORLD_RANK /
 * SIZE, or RANK / WORLD_SIZE) must agree with it.
 */
export function initProcessGroup(options: InitOptions): void {
  const op = 'distributed.initProcessGroup';
  const o = checkOptions(op, options, optionKeys<InitOptions>({ backend: true, timeoutMs: true, initTimeoutMs: true }));
  if (o.backend !== 'mpi' && o.backend !== 'nccl') {
    throw new ArgumentError(op, `backend 'mpi' or 'nccl', got ${showValue(o.backend)}`);
  }
  const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const initTimeoutMs = o.initTimeoutMs ?? timeoutMs;
  for (const [name, v] of [
    ['timeoutMs', timeoutMs],
    ['initTimeoutMs', initTimeoutMs],
  ] as const) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      throw new ArgumentError(op, `${name} must be a positive integer, got ${showValue(v)}`);
    }
  }
  if (group)
    throw new DistributedError(op, 'the process group is already initialized; call destroyProcessGroup() first');
  const [rank, worldSize] = o.backend === 'nccl' ? initNccl(op, initTimeoutMs) : initMpi(op, initTimeoutMs);
  const envSize = envInt('OMPI_COMM_WORLD_SIZE', 'WORLD_SIZE');
  const envRank = envInt('OMPI_COMM_WORLD_RANK', 'RANK');
  if ((envSize !== undefined && envSize !== worldSize) || (envRank !== undefined && envRank !== rank)) {
    throw new DistributedError(
      op,
      `the environment says rank ${envRank} of ${envSize}, MPI says rank ${rank} of ${worldSize}: ` +
        `the ${o.backend} backend's processes must be started by mpirun (nodetorch run -n N script.js)` +
        (o.backend === 'nccl' ? ' or set RANK, WORLD_SIZE and NODETORCH_NCCL_ID_FILE' : ''),
    );
  }
  group = {
    backend: o.backend,
    rank,
    worldSize,
    localRank: envInt('OMPI_COMM_WORLD_LOCAL_RANK', 'LOCAL_RANK') ?? 0,
    timeoutMs,
    watchdogMs: o.backend === 'nccl' ? timeoutMs + NCCL_GRACE_MS : timeoutMs,
  };
  // mpirun expects MPI_Finalize from every process that initialized, also on process.exit().
  process.once('exit', finalizeAtExit);
  process.once('SIGTERM', stoppedByLauncher);
}

function initMpi(op: string, timeoutMs: number): [number, number] {
  const reason = native.distUnavailable(mpiLibrary());
  if (reason) throw new DistributedError(op, reason);
  return native.distInit(mpiLibrary(), timeoutMs);
}

/**
 * The nccl group on device LOCAL_RANK % deviceCount. Under mpirun
 * (OMPI_COMM_WORLD_SIZE set) MPI gives the ranks and broadcasts rank 0's
 * NCCL id; otherwise RANK / WORLD_SIZE (torchrun's) do, and the id goes
 * through the file NODETORCH_NCCL_ID_FILE names (not needed for one rank).
 */
function initNccl(op: string, timeoutMs: number): [number, number] {
  const reason = native.distNcclUnavailable();
  if (reason) throw new DistributedError(op, `the nccl backend cannot run here: ${reason}`);
  const localRank = envInt('OMPI_COMM_WORLD_LOCAL_RANK', 'LOCAL_RANK') ?? 0;
  if (process.env.OMPI_COMM_WORLD_SIZE !== undefined) {
    const mpiReason = native.distUnavailable(mpiLibrary());
    if (mpiReason) {
      throw new DistributedError(op, `mpirun started this process, so NCCL's id goes over MPI, but: ${mpiReason}`);
    }
    return native.distInitNccl(mpiLibrary(), localRank, 0, 1, '', timeoutMs);
  }
  const rank = envInt('RANK') ?? 0;
  const size = envInt('WORLD_SIZE') ?? 1;
  if (rank >= size) throw new DistributedError(op, `RANK ${rank} is not below WORLD_SIZE ${size}`);
  const idFile = process.env.NODETORCH_NCCL_ID_FILE ?? '';
  if (size > 1 && idFile === '') {
    throw new DistributedError(
      op,
      `WORLD_SIZE is ${size} but NODETORCH_NCCL_ID_FILE is not set: name a file path every rank can see ` +
        '(rank 0 writes the NCCL id there), or launch with `nodetorch run -n N` (the id then goes over MPI)',
    );
  }
  return native.distInitNccl('', localRank, rank, size, idFile, timeoutMs);
}

/**
 * mpirun sends SIGTERM to the other ranks when one dies. The collectives
 * still running fail with a DistributedError the script can see; the
 * process exits shortly after (128 + SIGTERM), as it would have.
 */
function stoppedByLauncher(): void {
  native.distAbandon();
  const error = new DistributedError(
    'distributed',
    'the launcher stopped this rank (SIGTERM): another rank exited or failed, so collectives cannot complete',
  );
  if (failRunning(error) === 0) {
    process.stderr.write(`${error.name}: ${error.message}\n`);
    process.exit(143);
  }
  setTimeout(() => process.exit(143), 500);
}

function finalizeAtExit(): void {
  try {
    if (!native.distState().broken) native.distFinalize(10_000);
  } catch {
    // exiting anyway
  }
}

/** @internal The group, or a DistributedError naming `op`. */
export function currentGroup(op: string): Group {
  if (!group) throw new DistributedError(op, 'the process group is not initialized; call initProcessGroup() first');
  return group;
}

export function isInitialized(): boolean {
  return group !== null;
}

/** This process's rank in [0, worldSize). */
export function getRank(): number {
  return currentGroup('distributed.getRank').rank;
}

export function getWorldSize(): number {
  return currentGroup('distributed.getWorldSize').worldSize;
}

/** The rank among the processes of this machine (OMPI_COMM_WORLD_LOCAL_RANK or LOCAL_RANK; 0 if unset). */
export function getLocalRank(): number {
  return currentGroup('distributed.getLocalRank').localRank;
}

/** Leaves the group (ncclCommDestroy, MPI_Finalize). Neither can be initialized again in this process. */
export function destroyProcessGroup(): void {
  const g = currentGroup('distributed.destroyProcessGroup');
  group = null;
  process.removeListener('exit', finalizeAtExit);
  process.removeListener('SIGTERM', stoppedByLauncher);
  if (!native.distState().broken) native.distFinalize(g.timeoutMs);
}
