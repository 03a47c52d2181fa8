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
