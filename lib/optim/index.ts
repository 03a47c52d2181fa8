// nt.optim: optimizers, learning-rate schedules, optimizer checkpoints.
export { Optimizer } from './optimizer';
export type {
  BaseOptions,
  ParamGroup,
  ParamGroupInput,
  ParamsInput,
  ParamState,
  OptimizerStateDict,
} from './optimizer';
export { SGD } from './sgd';
export type { SGDOptions } from './sgd';
export { Adam, AdamW } from './adam';
export type { AdamOptions } from './adam';
export { RMSprop } from './rmsprop';
export type { RMSpropOptions } from './rmsprop';
export * as lrScheduler from './lr_scheduler';
export { saveState, loadState } from './state_io';
export { Adagrad } from './adagrad';
export type { AdagradOptions } from './adagrad';
export { Adamax } from './adamax';
export type { AdamaxOptions } from './adamax';
export { NAdam } from './nadam';
export type { NAdamOptions } from './nadam';
export { RAdam } from './radam';
export type { RAdamOptions } from './radam';
