// nn.Module: the base class of every layer and model. Parameters and child
// modules are not registered by hand: they are read from the instance's own
// fields every time they are asked for (a Tensor made by nn.Parameter is a
// parameter, a Module is a child, an array of them gives `name.0`, ...), so
// a field reassigned later is picked up, exactly as PyTorch's __setattr__.
// Buffers are fields named by registerBuffer(). Names and order follow
// PyTorch: named_parameters walks modules in pre-order, own params first.
import { inspect } from 'util';

import { noGrad } from '../ops/grad_mode';
import { ArgumentError, DTypeError, ShapeError } from '../errors';
import * as convert from '../ops/convert';
import { type Device, type DeviceLike, type DType, DTYPES, isFloatingDType, normalizeDevice } from '../tensor/dtype';
import { keep } from '../tensor/scope';
import { formatShape } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { camelCase, checkBool, checkFunction, checkOptions, checkString, showValue } from '../validate';
import { Parameter, isParameter } from './parameter';
import '../ops/tensor_methods'; // this module calls Tensor methods
import type { RemovableHandle } from '../autograd/hooks';
import { addForwardHook, addForwardPreHook } from './module_hooks';

/** Parameter and buffer name -> tensor, as returned by `stateDict()`. */
export type StateDict = Record<string, Tensor>;

/** Result of `loadStateDict`. */
export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/** Target of `Module.to()`: a device, a floating dtype, or both. */
export type ModuleTarget = DeviceLike | DType | { device?: DeviceLike; dtype?: DType };

interface OwnMembers {
  params: [string, Tensor][];
  children: [string, Module][];
}

function join(prefix: string, name: string): string {
  return prefix ? `${prefix}.${name}` : name;
}

function indent(s: string): string {
  return s.split('\n').join('\n  ');
}

/** Renames each snake_case key whose camelCase spelling is expected and not given. */
function withCamelCaseKeys(given: ReadonlyMap<string, unknown>, expected: ReadonlySet<string>): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [key, value] of given) {
    // Hostile maps may hold non-string keys: those pass through unchanged.
    const camel = typeof key === 'string' && !expected.has(key) ? camelCase(key) : key;
    out.set(camel !== key && expected.has(camel) && !given.has(camel) ? camel : key, value);
  }
  return out;
}

export abstract class Module {
  /** Training mode (Dropout, ...); set with train() / eval(). */
  training = true;
  /** Buffer name -> persistent (part of stateDict). */
  readonly #buffers = new Map<string, boolean>();

  /** The computation of this module; typed by each subclass. */
  abstract forward(...args: never[]): unknown;

  // ---- registration ----------------------------------------------------------

  /** Own parameters and children, read from the fields as they are now. */
  #own(): OwnMembers {
    const out: OwnMembers = { params: [], children: [] };
    const fields = this as unknown as Record<string, unknown>;
    for (const key of Object.keys(this)) {
      if (this.#buffers.has(key)) continue;
      const v = fields[key];
      if (v instanceof Module) out.children.push([key, v]);
      else if (isParameter(v)) out.params.push([key, v]);
      else if (Array.isArray(v)) {
        v.forEach((item: unknown, i) => {
          if (item instanceof Module) out.children.push([`${key}.${i}`, item]);
          else if (isParameter(item)) out.params.push([`${key}.${i}`, item]);
        });
      }
    }
    return out;
  }

  /** Own buffers (null ones skipped) with their persistence. */
  #ownBuffers(): [string, Tensor, boolean][] {
    const fields = this as unknown as Record<string, unknown>;
    const out: [string, Tensor, boolean][] = [];
    for (const [name, persistent] of this.#buffers) {
      const v = fields[name];
      if (v instanceof Tensor) out.push([name, v, persistent]);
    }
    return out;
  }

  /**
   * Declares a buffer: state that is not trained but belongs to the module
   * (saved in stateDict when persistent, moved by to()). Sets `this[name]`.
   */
  registerBuffer(name: string, tensor: Tensor | null, persistent = true): void {
    this.#checkName('registerBuffer', name);
    if (tensor !== null && !(tensor instanceof Tensor)) {
      throw new ArgumentError('registerBuffer', `buffer must be a Tensor or null, got ${showValue(tensor)}`);
    }
    checkBool('registerBuffer', 'persistent', persistent);
    if (isParameter(tensor))
      throw new ArgumentError('registerBuffer', `expected a plain tensor, got a Parameter for "${name}"`);
    if (tensor) keep(tensor);
    this.#buffers.set(name, persistent);
    (this as unknown as Record<string, unknown>)[name] = tensor;
  }

  /** Sets `this[name]` to nn.Parameter(tensor) (or null: no parameter). */
  registerParameter(name: string, tensor: Tensor | null): void {
    this.#checkName('registerParameter', name);
    (this as unknown as Record<string, unknown>)[name] =
      tensor === null || isParameter(tensor) ? tensor : Parameter(tensor);
  }

  /** Sets `this[name]` to a child module. */
  addModule(name: string, module: Module | null): void {
    this.#checkName('addModule', name);
    if (module !== null && !(module instanceof Module))
      throw new ArgumentError('addModule', `expected a Module, got ${showValue(module)}`);
    (this as unknown as Record<string, unknown>)[name] = module;
  }

  #checkName(op: string, name: string): void {
    if (typeof name !== 'string' || name === '' || name.includes('.')) {
      throw new ArgumentError(op, `name must be a non-empty string without ".", got ${showValue(name)}`);
    }
    const fields = this as unknown as Record<string, unknown>;
    const cur = fields[name];
    const free =
      cur === undefined ||
      cur === null ||
      this.#buffers.has(name) ||
      (op === 'registerParameter' && isParameter(cur)) ||
      (op === 'addModule' && cur instanceof Module);
    if (!free || name in Module.prototype) {
      throw new ArgumentError(op, `a free attribute name, got "${name}" which is already in use`);
    }
  }

  // ---- traversal -------------------------------------------------------------

  /** Direct children with their field names (each module once). */
  namedChildren(): [string, Module][] {
    const seen = new Set<Module>();
    return this.#own().children.filter(([, m]) => !seen.has(m) && seen.add(m));
  }

  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module and all below it, pre-order, each module once. */
  namedModules(prefix = ''): [string, Module][] {
    checkString('namedModules', 'prefix', prefix);
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const visit = (m: Module, p: string): void => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([p, m]);
      for (const [name, child] of m.#own().children) visit(child, join(p, name));
    };
    visit(this, prefix);
    return out;
  }

  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** Parameters with PyTorch's dotted names ('fc1.weight'), each tensor once. */
  namedParameters(prefix = '', recurse = true): [string, Tensor][] {
    checkString('namedParameters', 'prefix', prefix);
    checkBool('namedParameters', 'recurse', recurse);
    const mods: [string, Module][] = recurse ? this.namedModules(prefix) : [[prefix, this]];
    const seen = new Set<Tensor>();
    const out: [string, Tensor][] = [];
    for (const [p, m] of mods) {
      for (const [name, t] of m.#own().params) {
        if (seen.has(t)) continue;
        seen.add(t);
        out.push([join(p, name), t]);
      }
    }
    return out;
  }

  parameters(recurse = true): Tensor[] {
    checkBool('parameters', 'recurse', recurse);
    return this.namedParameters('', recurse).map(([, t]) => t);
  }

  /** Buffers (persistent or not) with dotted names, each tensor once. */
  namedBuffers(prefix = '', recurse = true): [string, Tensor][] {
    checkString('namedBuffers', 'prefix', prefix);
    checkBool('namedBuffers', 'recurse', recurse);
    const mods: [string, Module][] = recurse ? this.namedModules(prefix) : [[prefix, this]];
    const seen = new Set<Tensor>();
    const out: [string, Tensor][] = [];
    for (const [p, m] of mods) {
      for (const [name, t] of m.#ownBuffers()) {
        if (seen.has(t)) continue;
        seen.add(t);
        out.push([join(p, name), t]);
      }
    }
    return out;
  }

  buffers(recurse = true): Tensor[] {
    checkBool('buffers', 'recurse', recurse);
    return this.namedBuffers('', recurse).map(([, t]) => t);
  }

  /** Total element count of the parameters (only those requiring grad if asked). */
  numParameters(onlyTrainable = false): number {
    checkBool('numParameters', 'onlyTrainable', onlyTrainable);
    return this.parameters().reduce((n, p) => n + (onlyTrainable && !p.requiresGrad ? 0 : p.numel), 0);
  }

  /** Calls fn on every submodule (children first), then on this module. */
  apply(fn: (module: Module) => void): this {
    checkFunction('Module.apply', 'fn', fn);
    for (const child of this.children()) child.apply(fn);
    fn(this);
    return this;
  }

  // ---- modes -----------------------------------------------------------------

  train(mode = true): this {
    checkBool('train', 'mode', mode);
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Drops (setToNone, the default; the old grads are disposed) or zeroes every parameter's grad. */
  zeroGrad(options: { setToNone?: boolean } = {}): void {
    const setToNone = checkBool(
      'zeroGrad',
      'setToNone',
      checkOptions('zeroGrad', options, ['setToNone']).setToNone ?? true,
    );
    for (const p of this.parameters()) {
      const g = p.grad;
      if (!g) continue;
      if (setToNone || g.isDisposed) {
        p.grad = null;
        g.dispose();
      } else {
        noGrad(() => g.zero_());
      }
    }
  }

  // ---- state -----------------------------------------------------------------

  /** Name -> tensor in stateDict order (own params, own persistent buffers, then children). */
  #stateEntries(prefix: string, out: [string, Tensor][], ancestors: Set<Module>): [string, Tensor][] {
    if (ancestors.has(this)) return out;
    ancestors.add(this);
    const own = this.#own();
    for (const [name, t] of own.params) out.push([join(prefix, name), t]);
    for (const [name, t, persistent] of this.#ownBuffers()) if (persistent) out.push([join(prefix, name), t]);
    for (const [name, child] of own.children) child.#stateEntries(join(prefix, name), out, ancestors);
    ancestors.delete(this);
    return out;
  }

  /** Parameters and persistent buffers by name, as detached tensors sharing their storage. */
  stateDict(prefix = ''): StateDict {
    checkString('stateDict', 'prefix', prefix);
    const sd: StateDict = {};
    for (const [name, t] of this.#stateEntries(prefix, [], new Set())) sd[name] = t.detach();
    return sd;
  }

  /**
   * Copies values from a state dict into this module's parameters and
   * buffers, in place (so optimizers holding them stay valid). Everything is
   * validated before anything is copied. With strict, missing or unexpected
   * keys are an ArgumentError; a shape mismatch is always a ShapeError.
   * PyTorch's snake_case keys (`in_proj_weight`, `self_attn.out_proj.bias`)
   * load into the camelCase fields (`inProjWeight`) when only that spelling
   * is this module's.
   */
  loadStateDict(stateDict: StateDict | ReadonlyMap<string, Tensor>, strict = true): LoadStateDictResult {
    if (stateDict === null || typeof stateDict !== 'object') {
      throw new ArgumentError('loadStateDict', `a state dict object, got ${showValue(stateDict)}`);
    }
    checkBool('loadStateDict', 'strict', strict);
    const entries = this.#stateEntries('', [], new Set());
    const expected = new Set(entries.map(([n]) => n));
    const given = withCamelCaseKeys(
      stateDict instanceof Map ? stateDict : new Map(Object.entries(stateDict)),
      expected,
    );
    const missingKeys = entries.map(([n]) => n).filter((n) => !given.has(n));
    const unexpectedKeys = [...given.keys()]
      .filter((n) => !expected.has(n))
      .map((n) => (typeof n === 'string' ? n : showValue(n)));
    const copies: [Tensor, Tensor][] = [];
    for (const [name, dst] of entries) {
      if (!given.has(name)) continue;
      const src = given.get(name);
      if (!(src instanceof Tensor))
        throw new ArgumentError('loadStateDict', `a Tensor for "${name}", got ${showValue(src)}`);
      src._check('loadStateDict');
      if (src.ndim !== dst.ndim || src.shape.some((s, i) => s !== dst.shape[i])) {
        throw new ShapeError(
          'loadStateDict',
          `size mismatch for "${name}": expected ${formatShape(dst.shape)}, got ${formatShape(src.shape)}`,
        );
      }
      copies.push([dst, src]);
    }
    if (strict && (missingKeys.length || unexpectedKeys.length)) {
      throw new ArgumentError(
        'loadStateDict',
        `the keys of this module's stateDict, got missing keys [${missingKeys.join(', ')}] and unexpected keys [${unexpectedKeys.join(', ')}]`,
      );
    }
    noGrad(() => {
      for (const [dst, src] of copies) {
        if (src.device === dst.device) {
          dst.copy_(src);
        } else {
          const moved = convert.to(src, dst.device);
          dst.copy_(moved);
          moved.dispose();
        }
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  // ---- device and dtype --------------------------------------------------------

  /**
   * Moves and/or casts every parameter, buffer and grad in place (floating
   * tensors only change dtype) and returns this module. The tensors keep
   * their identity, so optimizers built earlier keep working.
   */
  to(target: ModuleTarget): this {
    const { device, dtype } = parseTarget(target);
    const done = new Set<Tensor>();
    noGrad(() => {
      for (const m of this.modules()) {
        const tensors = [...m.#own().params.map(([, t]) => t), ...m.#ownBuffers().map(([, t]) => t)];
        for (const t of tensors) {
          if (done.has(t)) continue;
          done.add(t);
          convertInPlace(t, dtype, device);
          if (t.grad && !t.grad.isDisposed) convertInPlace(t.grad, dtype, device);
        }
      }
    });
    return this;
  }

  cuda(): this {
    return this.to('cuda');
  }
  cpu(): this {
    return this.to('cpu');
  }
  double(): this {
    return this.to('float64');
  }
  float(): this {
    return this.to('float32');
  }

  // ---- printing ----------------------------------------------------------------

  /** The text inside the parentheses of this module's repr, e.g. `inFeatures=2, ...`. */
  extraRepr(): string {
    return '';
  }

  /** PyTorch's module repr: the class name, extraRepr and each child, indented. */
  toString(): string {
    const lines: string[] = [];
    const extra = this.extraRepr();
    if (extra) lines.push(...extra.split('\n'));
    for (const [name, child] of this.#own().children) lines.push(`(${name}): ${indent(child.toString())}`);
    const name = this.constructor.name;
    if (lines.length === 0) return `${name}()`;
    if (lines.length === 1 && this.#own().children.length === 0) return `${name}(${lines[0]})`;
    return `${name}(\n  ${lines.join('\n  ')}\n)`;
  }

  // ---- hooks -------------------------------------------------------------------

  /**
   * Calls `hook(module, inputs)` before each `forward` of this module (inputs:
   * forward's arguments as an array); a returned array replaces them. Returns
   * a handle whose remove() drops the hook.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook that returns nothing keeps the value, as in PyTorch
  registerForwardPreHook(hook: (module: this, inputs: unknown[]) => unknown[] | undefined | void): RemovableHandle {
    checkFunction('registerForwardPreHook', 'hook', hook);
    return addForwardPreHook(this, hook);
  }

  /**
   * Calls `hook(module, inputs, output)` after each `forward` of this module;
   * a returned value (not undefined) replaces the output. Returns a handle
   * whose remove() drops the hook.
   */
  registerForwardHook(hook: (module: this, inputs: unknown[], output: unknown) => unknown): RemovableHandle {
    checkFunction('registerForwardHook', 'hook', hook);
    return addForwardHook(this, hook);
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

function parseTarget(target: ModuleTarget): { device?: Device; dtype?: DType } {
  let device: DeviceLike | undefined;
  let dtype: DType | undefined;
  if (typeof target === 'string') {
    if ((DTYPES as readonly string[]).includes(target)) dtype = target as DType;
    else device = target as DeviceLike;
  } else if (target !== null && typeof target === 'object') {
    ({ device, dtype } = target);
  } else {
    throw new ArgumentError('Module.to', `a device, a dtype or {device, dtype}, got ${showValue(target)}`);
  }
  if (dtype !== undefined && !((DTYPES as readonly string[]).includes(dtype) && isFloatingDType(dtype))) {
    throw new DTypeError('Module.to', `a floating point dtype (float32 or float64), got ${showValue(dtype)}`);
  }
  return {
    dtype,
    device: device === undefined ? undefined : normalizeDevice('Module.to', checkString('Module.to', 'device', device)),
  };
}

/** Replaces t's contents by its converted copy, keeping the Tensor object. */
function convertInPlace(t: Tensor, dtype: DType | undefined, device: Device | undefined): void {
  let out = t;
  if (dtype !== undefined && isFloatingDType(t.dtype) && t.dtype !== dtype) out = convert.to(out, dtype);
  if (device !== undefined && out.device !== device) {
    const moved = convert.to(out, device);
    if (out !== t) out.dispose();
    out = moved;
  }
  if (out === t) return;
  t._assign(out);
  out.dispose();
}
