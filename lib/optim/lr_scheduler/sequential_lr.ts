// SequentialLR: runs schedulers one after another, switching at milestone
// epochs. As PyTorch 1.13: construction resets the groups to their initial
// rates and undoes the children's own first steps; at a milestone the next
// scheduler starts over from its base rates (PyTorch's step(0)).
import { ArgumentError } from '../../errors';
import { checkInteger, checkObject, checkString, showValue } from '../../validate';
import { LRScheduler, type SchedulableOptimizer, type SchedulerState, initialLrOf } from './scheduler';

export interface SequentialLROptions {
  /** Schedulers of this optimizer, in the order they run. */
  schedulers: LRScheduler[];
  /** Strictly increasing epochs at which the next scheduler takes over (one fewer than schedulers). */
  milestones: number[];
}

/** Runs schedulers one after another, switching at the milestones (e.g. warmup then cosine). */
export class SequentialLR extends LRScheduler {
  readonly schedulers: LRScheduler[];
  milestones: number[];

  constructor(optimizer: SchedulableOptimizer, options: SequentialLROptions) {
    super('SequentialLR', optimizer);
    const op = 'SequentialLR';
    const o = checkObject(op, 'options', options);
    const scheds = o.schedulers;
    if (!Array.isArray(scheds) || scheds.length === 0)
      throw new ArgumentError(op, `a non-empty array of schedulers, got ${showValue(scheds)}`);
    scheds.forEach((s: unknown, i) => {
      if (!(s instanceof LRScheduler)) throw new ArgumentError(op, `schedulers[${i}] a scheduler, got ${showValue(s)}`);
      if (s.optimizer !== optimizer)
        throw new ArgumentError(op, `schedulers[${i}] built on the optimizer given to SequentialLR, got another one`);
    });
    const ms = o.milestones;
    if (!Array.isArray(ms) || ms.length !== scheds.length - 1)
      throw new ArgumentError(op, `${scheds.length - 1} milestones (one fewer than schedulers), got ${showValue(ms)}`);
    this.milestones = ms.map((m: unknown, i) => checkInteger(op, `milestones[${i}]`, m, 1));
    this.milestones.forEach((m, i) => {
      if (i > 0 && m <= this.milestones[i - 1])
        throw new ArgumentError(op, `strictly increasing milestones, got ${showValue(ms)}`);
    });
    this.schedulers = scheds as LRScheduler[];
    optimizer.paramGroups.forEach((g) => {
      g.lr = initialLrOf(g);
    });
    for (const s of this.schedulers) s.lastEpoch -= 1;
    this.schedulers[0].step();
    this.lastEpoch = 0;
    this.lastLrs = this.schedulers[0].getLastLr();
  }

  /** Steps (or, at its milestone, restarts) the scheduler whose turn it is. */
  protected override computeLr(): number[] {
    const idx = this.milestones.filter((m) => m <= this.lastEpoch).length;
    const s = this.schedulers[idx];
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) s.restart();
    else s.step();
    return s.getLastLr();
  }

  /** Own fields plus each child's state (as a JSON string, keeping the state flat). */
  override stateDict(): SchedulerState {
    return {
      lastEpoch: this.lastEpoch,
      baseLrs: this.baseLrs.slice(),
      lastLrs: this.lastLrs.slice(),
      milestones: this.milestones.slice(),
      schedulers: JSON.stringify(this.schedulers.map((s) => s.stateDict())),
    };
  }

  override loadStateDict(sd: SchedulerState): void {
    const op = 'SequentialLR.loadStateDict';
    const { schedulers, ...own } = checkObject(op, 'state', sd) as SchedulerState;
    const children = JSON.parse(checkString(op, 'schedulers', schedulers)) as unknown;
    if (!Array.isArray(children) || children.length !== this.schedulers.length)
      throw new ArgumentError(op, `${this.schedulers.length} scheduler states, got ${showValue(children)}`);
    super.loadStateDict(own);
    this.schedulers.forEach((s, i) => s.loadStateDict(children[i] as SchedulerState));
  }
}
