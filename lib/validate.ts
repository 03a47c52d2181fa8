// Argument checks for the public entry points above the tensor core (nn,
// optim, data, autograd), kept in one place so every layer words its errors
// the same way: ArgumentError "<op>: <name> <expected>, got <value>". Values
// are shown with showValue, which never throws (symbols, bigints and
// null-prototype objects break String() and template literals).
import { ArgumentError } from './errors';

/** A value for an error message; never throws (symbols, null-prototype objects). */
export function showValue(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' || v === null || v === undefined)
    return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  return typeof v;
}

/** A shape for an error message, `[2, 3]`; never throws. */
export function formatShape(s: readonly number[]): string {
  // Also formats hostile "shapes" (symbols, null-prototype objects) without throwing.
  return `[${Array.from(s, (d) => (typeof d === 'number' ? String(d) : typeof d)).join(', ')}]`;
}

/** A plain options bag: undefined means {}; null, arrays, functions and primitives are refused. */
export function checkOptions<O extends object>(
  op: string,
  options: O | undefined,
  known?: readonly string[],
  name = 'options',
): Partial<O> {
  if (options === undefined) return {};
  const o = checkObject(op, name, options) as Partial<O>;
  if (known) rejectUnknownKeys(op, o, known);
  return o;
}

/**
 * The keys of an options type, checked complete by the compiler:
 * `optionKeys<LinearOptions>({ bias: true, dtype: true, device: true })`.
 */
export function optionKeys<O extends object>(keys: Record<keyof O, true>): readonly string[] {
  return Object.keys(keys);
}

/** `weight_decay` -> `weightDecay`. */
export const camelCase = (key: string): string => key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

/**
 * Throws an ArgumentError for a key of `given` that is not `known`: an unknown
 * option must not be ignored silently (a misspelt `weight_decay` would train
 * without weight decay). Names the snake_case key's camelCase spelling.
 */
export function rejectUnknownKeys(op: string, given: object, known: readonly string[], what = 'option'): void {
  for (const key of Object.keys(given)) {
    if (known.includes(key)) continue;
    const camel = camelCase(key);
    const hint = camel !== key && known.includes(camel) ? `; options are camelCase: use '${camel}'` : '';
    throw new ArgumentError(
      op,
      `unknown ${what} '${key}' (known: ${known.map((k) => `'${k}'`).join(', ') || 'none'})${hint}`,
    );
  }
}

/** A non-null, non-array object (a state dict, a param group, ...). */
export function checkObject(op: string, name: string, v: unknown): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new ArgumentError(op, `${name} an object, got ${Array.isArray(v) ? 'an array' : showValue(v)}`);
  }
  return v as Record<string, unknown>;
}

/** A callback: noGrad(fn), Module.apply(fn), a closure, a collate function. */
export function checkFunction<F extends (...args: never[]) => unknown>(op: string, name: string, v: unknown): F {
  if (typeof v !== 'function') throw new ArgumentError(op, `${name} a function, got ${showValue(v)}`);
  return v as F;
}

/** Anything `for...of` can walk, except a string (a string of modules or tensors is always a mistake). */
export function checkIterable<T = unknown>(op: string, name: string, v: unknown): Iterable<T> {
  if (typeof v !== 'object' || v === null || typeof (v as Partial<Iterable<T>>)[Symbol.iterator] !== 'function') {
    throw new ArgumentError(op, `${name} an iterable (e.g. an array), got ${showValue(v)}`);
  }
  return v as Iterable<T>;
}

export function checkBool(op: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new ArgumentError(op, `${name} true or false, got ${showValue(v)}`);
  return v;
}

export function checkString(op: string, name: string, v: unknown): string {
  if (typeof v !== 'string') throw new ArgumentError(op, `${name} a string, got ${showValue(v)}`);
  return v;
}

/** A finite number. */
export function checkNumber(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new ArgumentError(op, `${name} a finite number, got ${showValue(v)}`);
  return v;
}

/** A finite number >= min (and < max when given). */
export function checkRange(op: string, name: string, v: unknown, min: number, max = Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v >= max) {
    const range = max === Infinity ? `>= ${min}` : `in [${min}, ${max})`;
    throw new ArgumentError(op, `${name} ${range}, got ${showValue(v)}`);
  }
  return v;
}

/** A probability-like number in the closed interval [min, max] (dropout p, label smoothing). */
export function checkClosedRange(op: string, name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !(v >= min && v <= max))
    throw new ArgumentError(op, `${name} in [${min}, ${max}], got ${showValue(v)}`);
  return v;
}

/** A safe integer >= min (default: any integer). */
export function checkInteger(op: string, name: string, v: unknown, min = -Infinity): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    const what =
      min === 0
        ? 'a non-negative integer'
        : min === 1
          ? 'a positive integer'
          : min === -Infinity
            ? 'an integer'
            : `an integer >= ${min}`;
    throw new ArgumentError(op, `${name} ${what}, got ${showValue(v)}`);
  }
  return v;
}

export function checkPositiveInt(op: string, name: string, v: unknown): number {
  return checkInteger(op, name, v, 1);
}

/** An index in [-length, length), wrapped to [0, length) (Python's negative indexing). */
export function checkIndex(op: string, index: unknown, length: number): number {
  if (typeof index !== 'number' || !Number.isInteger(index) || index < -length || index >= length) {
    throw new ArgumentError(op, `an integer index in [${-length}, ${length}), got ${showValue(index)}`);
  }
  return index < 0 ? index + length : index;
}
