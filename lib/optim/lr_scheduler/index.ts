// optim.lrScheduler: learning-rate schedules (PyTorch's formulas).
export { LRScheduler } from './scheduler';
export type { SchedulableOptimizer, SchedulerGroup, SchedulerState } from './scheduler';
export { StepLR } from './step_lr';
export type { StepLROptions } from './step_lr';
export { CosineAnnealingLR } from './cosine_annealing_lr';
export type { CosineAnnealingLROptions } from './cosine_annealing_lr';
export { LinearLR } from './linear_lr';
export type { LinearLROptions } from './linear_lr';
export { OneCycleLR } from './one_cycle_lr';
export type { OneCycleLROptions } from './one_cycle_lr';
// more schedulers (issue 14)
export { MultiStepLR } from './multi_step_lr';
export type { MultiStepLROptions } from './multi_step_lr';
export { ExponentialLR } from './exponential_lr';
export type { ExponentialLROptions } from './exponential_lr';
export { LambdaLR } from './lambda_lr';
export type { LrLambda } from './lambda_lr';
export { ConstantLR } from './constant_lr';
export type { ConstantLROptions } from './constant_lr';
export { SequentialLR } from './sequential_lr';
export type { SequentialLROptions } from './sequential_lr';
export { CosineAnnealingWarmRestarts } from './cosine_warm_restarts';
export type { CosineAnnealingWarmRestartsOptions } from './cosine_warm_restarts';
export { ReduceLROnPlateau } from './reduce_lr_on_plateau';
export type { ReduceLROnPlateauOptions } from './reduce_lr_on_plateau';
