// The learning-rate scheduler base class (torch.optim.lr_scheduler.LRScheduler):
// construction performs step 0 (so the groups hold the epoch-0 rate), each
// step() advances lastEpoch and writes the new rate into every group.
// Subclasses give the rate of the current epoch from the previous one
// (PyTorch's chainable forms), so schedulers compose the way PyTorch's do.
import { ArgumentError } from '../../errors';
import { checkNumber, checkObject, checkString, showValue } from '../../validate';

/** The group fields schedulers read and write. */
export interface SchedulerGroup {
  lr: number;
  momentum?: number;
  betas?: [number, number];
}

/** Anything with param groups and defaults, e.g. every `optim.Optimizer`. */
export interface SchedulableOptimizer {
  readonly paramGroups: SchedulerGroup[];
  readonly defaults: object;
}

/** JSON-safe scheduler state (the optimizer is not part of it). */
export type SchedulerState = Record<string, number | boolean | string | number[]>;

// Each group's rate before the first scheduler touched it (PyTorch's
// group['initial_lr'], set once): the base rate of every scheduler later made
// on that optimizer, and what SequentialLR starts from. Kept beside the
// groups, not in them, so optimizer state dicts are unchanged.
const initialLrs = new WeakMap<SchedulerGroup, number>();

/** The group's initial rate, recorded from its current rate the first time it is asked for. */
export function initialLrOf(group: SchedulerGroup): number {
  let lr = initialLrs.get(group);
  if (lr === undefined) {
    lr = group.lr;
    initialLrs.set(group, lr);
  }
  return lr;
}

/** Overrides the group's initial rate (OneCycleLR starts from maxLr / divFactor). */
export function setInitialLr(group: SchedulerGroup, lr: number): void {
  initialLrs.set(group, lr);
}

export abstract class LRScheduler {
  readonly optimizer: SchedulableOptimizer;
  /** Each group's rate when the scheduler was created. */
  baseLrs: number[];
  /** Steps taken; 0 after construction. */
  lastEpoch = -1;
  protected lastLrs: number[] = [];

  protected constructor(name: string, optimizer: SchedulableOptimizer) {
    // The base class has no computeLr(): only the schedules below can be built.
    if (new.target === LRScheduler)
      throw new ArgumentError('LRScheduler', 'a subclass such as StepLR, got the abstract base class');
    checkString('LRScheduler', 'name', name);
    if (typeof optimizer !== 'object' || optimizer === null || !Array.isArray(optimizer.paramGroups)) {
      throw new ArgumentError(name, `an optimizer with paramGroups, got ${showValue(optimizer)}`);
    }
    checkObject(name, 'optimizer.defaults', optimizer.defaults);
    optimizer.paramGroups.forEach((g, i) =>
      checkNumber(name, `paramGroups[${i}].lr`, checkObject(name, `paramGroups[${i}]`, g).lr),
    );
    this.optimizer = optimizer;
    this.baseLrs = optimizer.paramGroups.map(initialLrOf);
  }

  /** The rate of every group for epoch `lastEpoch` (already advanced). */
  protected abstract computeLr(): number[];

  /** Advances one epoch (or one batch, for per-step schedules) and sets the groups' rates. */
  step(): void {
    this.lastEpoch++;
    const lrs = this.computeLr();
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = lrs[i];
    });
    this.lastLrs = lrs;
  }

  /**
   * Starts the schedule over at epoch 0 from the base rates: what PyTorch's
   * step(0) gives, which SequentialLR calls at each milestone.
   */
  restart(): void {
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = this.baseLrs[i];
    });
    this.lastEpoch = -1;
    this.step();
  }

  /** The rates the last step() set, one per group. */
  getLastLr(): number[] {
    return this.lastLrs.slice();
  }

  /** Every field but the optimizer, like PyTorch's `state_dict()`. */
  stateDict(): SchedulerState {
    const out: SchedulerState = {};
    for (const [k, v] of Object.entries(this)) {
      if (k === 'optimizer') continue;
      out[k] = Array.isArray(v) ? v.slice() : (v as number | boolean | string);
    }
    return out;
  }

  loadStateDict(sd: SchedulerState): void {
    const self = this as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(checkObject(`${this.constructor.name}.loadStateDict`, 'state', sd))) {
      if (!(k in self) || k === 'optimizer')
        throw new ArgumentError(`${this.constructor.name}.loadStateDict`, `known state keys, got ${k}`);
      self[k] = Array.isArray(v) ? v.slice() : v;
    }
  }
}

/** Python's `%` (result has the divisor's sign). */
export function pyMod(a: number, m: number): number {
  return ((a % m) + m) % m;
}
