// nt.datasets (also nt.data.datasets): ready-made datasets.
export { MNIST, FashionMNIST } from './mnist';
export type { MnistOptions, ToTensorDatasetOptions } from './mnist';
export { defaultCorpus } from '../text/corpus';
export { CIFAR10 } from './cifar';
export type { Cifar10Options } from './cifar';
export { cacheDir } from './download';
