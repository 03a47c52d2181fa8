// nn.parallel: data-parallel training (issue 16).
export { DistributedDataParallel } from './ddp';
export type { DistributedDataParallelOptions, DdpProcessGroup } from './ddp';
export { computeBucketAssignmentBySize, DEFAULT_FIRST_BUCKET_BYTES } from './bucket_assignment';
export type { BucketTensor, BucketAssignment } from './bucket_assignment';
