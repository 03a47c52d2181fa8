// nt.data: datasets and batching.
export type { Dataset, BatchedDataset } from './dataset';
export { TensorDataset, IterableDataset } from './dataset';
export { DataLoader } from './dataloader';
export type { DataLoaderOptions } from './dataloader';
export { defaultCollate } from './collate';
export type { Collated } from './collate';
export * as datasets from './datasets';
export { Subset, ConcatDataset, randomSplit } from './subset';
export * as transforms from './transforms';
export type { Transform, RandomOptions, RandomCropOptions } from './transforms';
export { TransformDataset } from './transform_dataset';
export type { ImageItem, TransformDatasetOptions } from './transform_dataset';
// data-parallel sharding (issue 16)
export { DistributedSampler } from './distributed_sampler';
export type { DistributedSamplerOptions, Sampler } from './distributed_sampler';
