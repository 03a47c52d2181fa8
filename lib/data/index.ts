// nt.data: datasets and batching.
export type { Dataset } from './dataset';
export { TensorDataset, IterableDataset } from './dataset';
export { DataLoader } from './dataloader';
export type { DataLoaderOptions } from './dataloader';
export { defaultCollate } from './collate';
export type { Collated } from './collate';
export * as datasets from './datasets';
export { Subset, ConcatDataset, randomSplit } from './subset';
