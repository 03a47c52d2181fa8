// Containers: Sequential chains modules; ModuleList holds them for the
// owner's forward to use; ModuleDict holds them by key. All store their
// modules as own fields ('0', '1', ... or the key) so the generic field walk
// in Module registers them with PyTorch's names ('0.weight', 'key.weight')
// and `seq[0]` indexes them.
import { ArgumentError, IndexError } from '../errors';
import type { Tensor } from '../tensor/tensor';
import { checkIndex, checkIterable, showValue } from '../validate';
import { Module } from './module';

/** A module whose forward maps one tensor to one tensor. */
export type TensorModule = Module & { forward(x: Tensor): Tensor };

function checkModule(op: string, m: unknown): Module {
  if (!(m instanceof Module)) throw new ArgumentError(op, `a Module, got ${showValue(m)}`);
  return m;
}

/** Holds modules in a list; indexable (`list[0]`, `get(-1)`) and iterable. */
export class ModuleList<M extends Module = Module> extends Module {
  [index: number]: M;
  #length = 0;

  constructor(modules: Iterable<M> = []) {
    super();
    for (const m of checkIterable<M>('ModuleList', 'modules', modules)) this.append(m);
  }

  get length(): number {
    return this.#length;
  }

  append(module: M): this {
    // Checked before the length moves, so a refused module leaves no hole.
    this[this.#length] = checkModule('ModuleList.append', module) as M;
    this.#length++;
    return this;
  }

  extend(modules: Iterable<M>): this {
    for (const m of checkIterable<M>('ModuleList.extend', 'modules', modules)) this.append(m);
    return this;
  }

  /** The module at i (negative counts from the end). */
  get(i: number): M {
    return this[checkIndex('ModuleList.get', i, this.#length)];
  }

  *[Symbol.iterator](): Iterator<M> {
    for (let i = 0; i < this.#length; ++i) yield this[i];
  }

  forward(): never {
    throw new ArgumentError(
      'ModuleList.forward',
      "ModuleList has no forward; call its modules from the owner's forward",
    );
  }
}

/** Runs its modules in order, each one's output feeding the next. */
export class Sequential extends Module {
  [index: number]: TensorModule;
  #length = 0;

  constructor(...modules: TensorModule[]) {
    super();
    for (const m of modules) this.append(m);
  }

  get length(): number {
    return this.#length;
  }

  append(module: TensorModule): this {
    this[this.#length] = checkModule('Sequential.append', module) as TensorModule;
    this.#length++;
    return this;
  }

  get(i: number): TensorModule {
    return this[checkIndex('Sequential.get', i, this.#length)];
  }

  *[Symbol.iterator](): Iterator<TensorModule> {
    for (let i = 0; i < this.#length; ++i) yield this[i];
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (let i = 0; i < this.#length; ++i) y = this[i].forward(y);
    return y;
  }
}

/** Names ModuleDict cannot hold: its own members and Module's. */
function checkKey(op: string, dict: ModuleDict, key: unknown): string {
  if (typeof key !== 'string' || key === '' || key.includes('.'))
    throw new ArgumentError(op, `a non-empty key without ".", got ${showValue(key)}`);
  if (key in ModuleDict.prototype || key === 'training' || (!dict.has(key) && key in dict))
    throw new ArgumentError(op, `a key that is not a ModuleDict member, got "${key}"`);
  return key;
}

/**
 * Holds modules by string key, as PyTorch's ModuleDict: each one is a child
 * named by its key (stateDict names 'key.weight'). Map-like: get/set/has/
 * delete, keys/values/entries in insertion order, and iteration over
 * [key, module] entries. (The stateDict lists integer-like keys first, as
 * JavaScript orders such properties; PyTorch keeps insertion order.)
 */
export class ModuleDict<M extends Module = Module> extends Module {
  readonly #keys = new Set<string>();

  constructor(modules: Record<string, M> | Iterable<[string, M]> = {}) {
    super();
    this.update(modules);
  }

  get size(): number {
    return this.#keys.size;
  }

  has(key: string): boolean {
    return this.#keys.has(key);
  }

  /** The module under key; an IndexError when there is none. */
  get(key: string): M {
    if (!this.#keys.has(key))
      throw new IndexError('ModuleDict.get', `one of the keys [${[...this.#keys].join(', ')}], got ${showValue(key)}`);
    return (this as unknown as Record<string, M>)[key];
  }

  set(key: string, module: M): this {
    checkKey('ModuleDict.set', this, key);
    (this as unknown as Record<string, M>)[key] = checkModule('ModuleDict.set', module) as M;
    this.#keys.add(key);
    return this;
  }

  /** Removes key; true when it was there. */
  delete(key: string): boolean {
    if (!this.#keys.delete(key)) return false;
    delete (this as unknown as Record<string, M>)[key];
    return true;
  }

  /** Sets every [key, module] of `modules` (a Map, entries, or a plain object). */
  update(modules: Record<string, M> | Iterable<[string, M]>): this {
    if (modules === null || typeof modules !== 'object')
      throw new ArgumentError('ModuleDict.update', `an object or [key, module] entries, got ${showValue(modules)}`);
    const entries =
      Symbol.iterator in modules ? (modules as Iterable<[string, M]>) : Object.entries(modules as Record<string, M>);
    for (const e of entries) {
      if (!Array.isArray(e) || e.length !== 2)
        throw new ArgumentError('ModuleDict.update', `[key, module] entries, got ${showValue(e)}`);
      this.set(e[0], e[1]);
    }
    return this;
  }

  keys(): string[] {
    return [...this.#keys];
  }

  values(): M[] {
    return this.keys().map((k) => this.get(k));
  }

  entries(): [string, M][] {
    return this.keys().map((k) => [k, this.get(k)]);
  }

  *[Symbol.iterator](): Iterator<[string, M]> {
    yield* this.entries();
  }

  forward(): never {
    throw new ArgumentError(
      'ModuleDict.forward',
      "ModuleDict has no forward; call its modules from the owner's forward",
    );
  }
}
