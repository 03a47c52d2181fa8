// Optimizer checkpoints in one safetensors file: state tensors are stored as
// "state.<param index>.<name>", everything else (step counts, group options)
// as JSON in the file's metadata under "nodetorch.optimizer".
import { ArgumentError, FileFormatError } from '../errors';
import { type TensorDict, loadCheckpoint, save } from '../io/checkpoint';
import { Tensor } from '../tensor/tensor';
import { checkString, showValue } from '../validate';
import { type BaseOptions, Optimizer, type OptimizerStateDict, type ParamState } from './optimizer';

function checkOptimizer(op: string, opt: unknown): void {
  if (!(opt instanceof Optimizer)) throw new ArgumentError(op, `an optimizer (SGD, Adam, ...), got ${showValue(opt)}`);
}

const META_KEY = 'nodetorch.optimizer';

interface StoredState {
  format: 1;
  optimizer: string;
  /** Non-tensor state values per param index. */
  numbers: Record<string, Record<string, number>>;
  paramGroups: unknown[];
}

/** Writes `opt.stateDict()` to `path` (atomically). */
export function saveState<O extends BaseOptions>(opt: Optimizer<O>, path: string): void {
  checkOptimizer('saveState', opt);
  checkString('saveState', 'path', path);
  const sd = opt.stateDict();
  const tensors: TensorDict = {};
  const numbers: StoredState['numbers'] = {};
  for (const [idx, s] of Object.entries(sd.state)) {
    for (const [k, v] of Object.entries(s)) {
      if (v instanceof Tensor) tensors[`state.${idx}.${k}`] = v;
      else {
        numbers[idx] ??= {};
        numbers[idx][k] = v;
      }
    }
  }
  const stored: StoredState = { format: 1, optimizer: opt.constructor.name, numbers, paramGroups: sd.paramGroups };
  save({ tensors, metadata: { [META_KEY]: JSON.stringify(stored) } }, path);
}

/** Restores an optimizer from a file written by `saveState` (same parameter layout). */
export function loadState<O extends BaseOptions>(opt: Optimizer<O>, path: string): void {
  checkOptimizer('loadState', opt);
  checkString('loadState', 'path', path);
  const { tensors, metadata } = loadCheckpoint(path);
  try {
    const text = metadata[META_KEY];
    if (text === undefined)
      throw new FileFormatError(
        path,
        `no "${META_KEY}" metadata: not an optimizer checkpoint written by optim.saveState`,
      );
    let stored: StoredState;
    try {
      stored = JSON.parse(text) as StoredState;
    } catch {
      throw new FileFormatError(path, `"${META_KEY}" metadata is not valid JSON`);
    }
    if (
      stored.format !== 1 ||
      !Array.isArray(stored.paramGroups) ||
      typeof stored.numbers !== 'object' ||
      stored.numbers === null
    ) {
      throw new FileFormatError(path, `"${META_KEY}" metadata of format 1, got ${String(stored.format)}`);
    }
    if (stored.optimizer !== opt.constructor.name) {
      throw new ArgumentError(
        'loadState',
        `a checkpoint of a ${opt.constructor.name} optimizer, got one of ${String(stored.optimizer)}`,
      );
    }
    const state: Record<number, ParamState> = {};
    const entry = (idx: string): ParamState => (state[Number(idx)] ??= {});
    for (const [idx, nums] of Object.entries(stored.numbers)) Object.assign(entry(idx), nums);
    for (const [name, t] of Object.entries(tensors)) {
      const m = /^state\.(\d+)\.(.+)$/.exec(name);
      if (!m) throw new FileFormatError(path, `tensor names "state.<index>.<name>", got ${JSON.stringify(name)}`);
      entry(m[1])[m[2]] = t;
    }
    opt.loadStateDict({ state, paramGroups: stored.paramGroups } as OptimizerStateDict<O>);
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
}
