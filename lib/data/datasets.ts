// nt.datasets (also nt.data.datasets): ready-made datasets.
export { MNIST, FashionMNIST } from './mnist';
export type { MnistOptions, ToTensorDatasetOptions } from './mnist';
export { defaultCorpus } from '../text/corpus';
