// lib/io: file formats. Checkpoints (save/load) are the public part.
export { save, load, loadCheckpoint } from './checkpoint';
export type { TensorDict, Checkpoint, LoadOptions } from './checkpoint';
