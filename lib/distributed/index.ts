// nt.distributed: torch.distributed's process group and collectives on Open
// MPI (libmpi.so.40, opened at run time). Launch with `nodetorch run -n N`.
export {
  initProcessGroup,
  destroyProcessGroup,
  isInitialized,
  getRank,
  getWorldSize,
  getLocalRank,
  isAvailable,
  unavailableReason,
} from './process_group';
export type { Backend, InitOptions } from './process_group';
export { allReduce, broadcast, allGather, reduceScatter, barrier } from './collectives';
export type { ReduceOp, CollectiveOptions, ReduceOptions } from './collectives';
export type { Work } from './work';
