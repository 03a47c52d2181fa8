// The optimizer base class: parameter groups (each with its own options),
// lazily created per-parameter state, zeroGrad, and a PyTorch-shaped state
// dict (state keyed by parameter index, groups listing indices). Subclasses
// implement only `update()`, the math of one step.
import { enableGrad, noGrad } from '../ops/grad_mode';
import { ArgumentError, DTypeError } from '../errors';
import { cast, to } from '../ops/convert';
import { isFloatingDType } from '../tensor/dtype';
import { keep } from '../tensor/scope';
import { Tensor } from '../tensor/tensor';
import {
  checkBool,
  checkFunction,
  checkIterable,
  checkObject,
  checkOptions,
  rejectUnknownKeys,
  checkString,
  showValue,
} from '../validate';
import '../ops/tensor_methods'; // this module calls Tensor methods

/** Options every optimizer has. */
export interface BaseOptions {
  lr: number;
}

/** One parameter group: its tensors plus its own copy of every option. */
export type ParamGroup<O extends BaseOptions> = O & { params: Tensor[] };

/** A group as given to a constructor or `addParamGroup`: options default to the optimizer's. */
export type ParamGroupInput<O extends BaseOptions> = Partial<O> & { params: Iterable<Tensor> };

/** What optimizers accept: tensors (one group), or a list of groups. */
export type ParamsInput<O extends BaseOptions> = Iterable<Tensor> | readonly ParamGroupInput<O>[];

/** Per-parameter state: tensors (moments, buffers) and plain numbers (step). */
export type ParamState = Record<string, Tensor | number>;

/** `stateDict()` output: like PyTorch's, state keyed by parameter index. */
export interface OptimizerStateDict<O extends BaseOptions> {
  state: Record<number, ParamState>;
  paramGroups: (O & { params: number[] })[];
}

function isGroupInput<O extends BaseOptions>(v: unknown): v is ParamGroupInput<O> {
  return typeof v === 'object' && v !== null && !(v instanceof Tensor) && 'params' in v;
}

/** Copies option values so groups and state dicts never share arrays (betas). */
function copyValue<V>(v: V): V {
  return (Array.isArray(v) ? v.slice() : v) as V;
}

export abstract class Optimizer<O extends BaseOptions> {
  /** The options groups fall back to. */
  readonly defaults: Readonly<O>;
  readonly paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state, created on a parameter's first step. */
  readonly state = new Map<Tensor, ParamState>();
  /** Name used in error messages, e.g. `Adam`. */
  protected readonly opName: string;

  /** `given`: the options the user passed, whose keys must all be options of `defaults`. */
  protected constructor(opName: string, params: ParamsInput<O>, defaults: O, given: object) {
    // The base class has no update(): only subclasses (SGD, Adam, ...) can be built.
    if (new.target === Optimizer)
      throw new ArgumentError('Optimizer', 'a subclass such as SGD or Adam, got the abstract base class');
    this.opName = checkString('Optimizer', 'name', opName);
    this.defaults = checkObject(opName, 'defaults', defaults) as unknown as O;
    rejectUnknownKeys(opName, given, Object.keys(defaults));
    if (params === null || typeof params !== 'object' || !(Symbol.iterator in params)) {
      throw new ArgumentError(
        opName,
        `params must be an iterable of tensors or a list of param groups, got ${showValue(params)}`,
      );
    }
    const list: unknown[] = Array.from(params as Iterable<unknown>);
    if (list.length === 0) throw new ArgumentError(opName, 'a non-empty parameter list, got an empty one');
    if (list.every((p) => p instanceof Tensor)) {
      this.addParamGroup({ params: list as Tensor[] } as unknown as ParamGroupInput<O>);
    } else if (list.every((g) => isGroupInput<O>(g))) {
      for (const g of list as ParamGroupInput<O>[]) this.addParamGroup(g);
    } else {
      throw new ArgumentError(
        opName,
        'params must be all tensors or all param groups ({params, ...options}), got a mix',
      );
    }
  }

  /** Checks one group's option values; throws ArgumentError naming the bad one. */
  protected abstract checkGroup(group: ParamGroup<O>): void;

  /** One optimization step over every parameter that has a gradient (grad mode is off). */
  protected abstract update(): void;

  /** Adds a group; options it does not give come from `defaults`. */
  addParamGroup(group: ParamGroupInput<O>): void {
    const op = this.opName;
    if (!isGroupInput<O>(group))
      throw new ArgumentError(op, `a param group {params, ...options}, got ${showValue(group)}`);
    const params =
      group.params instanceof Tensor ? [group.params] : Array.from(checkIterable<Tensor>(op, 'params', group.params));
    const seen = new Set<Tensor>();
    for (const g of this.paramGroups) for (const p of g.params) seen.add(p);
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new ArgumentError(op, `params[${i}] must be a Tensor, got ${showValue(p)}`);
      p._check(op);
      if (!isFloatingDType(p.dtype))
        throw new DTypeError(op, `params[${i}]: a float32 or float64 tensor, got ${p.dtype}`);
      if (!p.isLeaf) throw new ArgumentError(op, `params[${i}]: a leaf tensor (can't optimize a non-leaf tensor)`);
      if (seen.has(p)) throw new ArgumentError(op, `params[${i}]: each parameter in one group only, got one twice`);
      seen.add(p);
    });
    rejectUnknownKeys(op, group, ['params', ...Object.keys(this.defaults)], 'param group option');
    const full = { ...group } as Record<string, unknown>;
    for (const [key, value] of Object.entries(this.defaults)) {
      if (full[key] === undefined) full[key] = copyValue(value);
    }
    full.params = params;
    const g = full as unknown as ParamGroup<O>;
    this.checkGroup(g);
    this.paramGroups.push(g);
  }

  /**
   * Clears gradients. `setToNone` (default, as PyTorch) disposes each grad
   * and sets it to null; otherwise grads are filled with zeros in place.
   */
  zeroGrad(options: { setToNone?: boolean } = {}): void {
    const setToNone = checkBool(
      `${this.opName}.zeroGrad`,
      'setToNone',
      checkOptions(`${this.opName}.zeroGrad`, options, ['setToNone']).setToNone ?? true,
    );
    noGrad(() => {
      for (const g of this.paramGroups) {
        for (const p of g.params) {
          if (p.grad === null) continue;
          if (setToNone) {
            p.grad.dispose();
            p.grad = null;
          } else {
            p.grad.zero_();
          }
        }
      }
    });
  }

  /**
   * Updates the parameters. A closure, when given, re-evaluates the model
   * (with grad on) before the update; its result is returned.
   */
  step<T = void>(closure?: () => T): T | undefined {
    const loss =
      closure === undefined ? undefined : enableGrad(checkFunction<() => T>(`${this.opName}.step`, 'closure', closure));
    noGrad(() => this.update());
    return loss;
  }

  /**
   * The state of `p`, created by `init` (its tensors kept out of any scope) on
   * first use, so it lives on p's device. State made before `model.to(...)`
   * moved or cast p follows it here (floating tensors take p's dtype).
   */
  protected stateFor(p: Tensor, init: () => ParamState): ParamState {
    const op = `${this.opName}.stateFor`;
    if (!(p instanceof Tensor)) throw new ArgumentError(op, `a parameter Tensor, got ${showValue(p)}`);
    let s = this.state.get(p);
    if (s === undefined) {
      s = checkObject(
        op,
        'the state init() returns',
        checkFunction<() => ParamState>(op, 'init', init)(),
      ) as ParamState;
      for (const v of Object.values(s)) if (v instanceof Tensor) keep(v);
      this.state.set(p, s);
      return s;
    }
    for (const [k, v] of Object.entries(s)) {
      if (!(v instanceof Tensor) || (v.device === p.device && (v.dtype === p.dtype || !isFloatingDType(v.dtype))))
        continue;
      s[k] = copyStateValue(this.opName, k, v, p);
      v.dispose();
    }
    return s;
  }

  /**
   * State and groups in PyTorch's layout. Tensors are the live state (not
   * copies): save or clone them before stepping again if a snapshot is needed.
   */
  stateDict(): OptimizerStateDict<O> {
    const index = new Map<Tensor, number>();
    const paramGroups = this.paramGroups.map((g) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(g)) if (k !== 'params') out[k] = copyValue(v);
      out.params = g.params.map((p) => {
        index.set(p, index.size);
        return index.size - 1;
      });
      return out as unknown as O & { params: number[] };
    });
    const state: Record<number, ParamState> = {};
    for (const [p, s] of this.state) {
      const i = index.get(p);
      if (i !== undefined) state[i] = { ...s };
    }
    return { state, paramGroups };
  }

  /**
   * Restores a `stateDict()`: group options are replaced by the saved ones and
   * state tensors are copied to each parameter's device (floating ones cast to
   * its dtype), so the dict can be disposed afterwards.
   */
  loadStateDict(sd: OptimizerStateDict<O>): void {
    const op = `${this.opName}.loadStateDict`;
    if (
      typeof sd !== 'object' ||
      sd === null ||
      !Array.isArray(sd.paramGroups) ||
      typeof sd.state !== 'object' ||
      sd.state === null
    ) {
      throw new ArgumentError(op, 'a state dict {state, paramGroups}');
    }
    if (sd.paramGroups.length !== this.paramGroups.length) {
      throw new ArgumentError(op, `${this.paramGroups.length} param groups, got ${sd.paramGroups.length}`);
    }
    const byIndex = new Map<number, Tensor>();
    sd.paramGroups.forEach((saved, gi) => {
      checkObject(op, `paramGroups[${gi}]`, saved);
      const mine = this.paramGroups[gi].params;
      if (!Array.isArray(saved.params) || saved.params.length !== mine.length) {
        throw new ArgumentError(
          op,
          `group ${gi}: ${mine.length} params, got ${Array.isArray(saved.params) ? saved.params.length : 'none'}`,
        );
      }
      saved.params.forEach((id, k) => byIndex.set(id, mine[k]));
    });
    // Validate the saved options before anything changes.
    const merged = sd.paramGroups.map((saved, gi) => {
      const g: Record<string, unknown> = { ...(this.paramGroups[gi] as unknown as Record<string, unknown>) };
      for (const [k, v] of Object.entries(saved)) if (k !== 'params') g[k] = copyValue(v);
      this.checkGroup(g as unknown as ParamGroup<O>);
      return g;
    });
    const next = new Map<Tensor, ParamState>();
    try {
      noGrad(() => {
        for (const [key, saved] of Object.entries(sd.state)) {
          const p = byIndex.get(Number(key));
          if (p === undefined)
            throw new ArgumentError(op, `state keys that are parameter indices of the groups, got ${key}`);
          const s: ParamState = {};
          next.set(p, s);
          for (const [k, v] of Object.entries(checkObject(op, `state[${key}]`, saved)))
            s[k] = copyStateValue(op, `${key}.${k}`, v, p);
        }
      });
    } catch (e) {
      for (const s of next.values()) for (const v of Object.values(s)) if (v instanceof Tensor) v.dispose();
      throw e;
    }
    merged.forEach((g, gi) => Object.assign(this.paramGroups[gi], g));
    this.#disposeState();
    for (const [p, s] of next) this.state.set(p, s);
  }

  #disposeState(): void {
    for (const s of this.state.values()) for (const v of Object.values(s)) if (v instanceof Tensor) v.dispose();
    this.state.clear();
  }
}

/** A copy of a saved state value on p's device (floating tensors cast to p's dtype), kept. */
function copyStateValue(op: string, where: string, v: unknown, p: Tensor): Tensor | number {
  if (typeof v === 'number') return v;
  if (!(v instanceof Tensor))
    throw new ArgumentError(op, `state values that are tensors or numbers, got ${showValue(v)} for ${where}`);
  const typed = isFloatingDType(v.dtype) ? cast(v, p.dtype) : v;
  const moved = to(typed, p.device);
  if (typed !== v && typed !== moved) typed.dispose();
  return keep(moved === v ? v.clone() : moved);
}

/** A state entry that must be a tensor (subclasses' typed access). */
export function stateTensor(s: ParamState, key: string): Tensor {
  const v = s[key];
  if (!(v instanceof Tensor)) throw new ArgumentError('optimizer', `state.${key} to be a tensor, got ${typeof v}`);
  return v;
}
