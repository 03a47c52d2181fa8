// Containers: Sequential chains modules; ModuleList holds them for the
// owner's forward to use. Both store their modules as own fields named
// '0', '1', ... so the generic field walk in Module registers them with
// PyTorch's names ('0.weight') and `seq[0]` indexes them.
import { ArgumentError } from '../errors';
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
