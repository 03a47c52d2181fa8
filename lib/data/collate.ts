// default collate (torch.utils.data.default_collate): stacks a list of items
// into a batch, recursing into arrays and plain objects. Tensors are stacked
// along a new dim 0, numbers become a 1-D tensor (int64 if all are integers,
// else float64, as PyTorch), booleans a bool tensor.
import { ArgumentError } from '../errors';
import { stack } from '../ops/join';
import { tensor } from '../tensor/creation';
import { Tensor } from '../tensor/tensor';
import { showValue } from '../validate';

/** The batch type default collate makes from items of type T. */
export type Collated<T> = T extends Tensor
  ? Tensor
  : T extends number | boolean
    ? Tensor
    : T extends readonly unknown[]
      ? { -readonly [K in keyof T]: Collated<T[K]> }
      : T extends object
        ? { [K in keyof T]: Collated<T[K]> }
        : never;

export function defaultCollate<T>(items: readonly T[]): Collated<T> {
  if (!Array.isArray(items)) throw new ArgumentError('defaultCollate', `an array of items, got ${showValue(items)}`);
  return collate(items as readonly unknown[], 'batch') as Collated<T>;
}

function collate(items: readonly unknown[], where: string): unknown {
  if (items.length === 0) throw new ArgumentError('defaultCollate', 'a non-empty list of items, got an empty one');
  const first = items[0];
  if (first instanceof Tensor) {
    items.forEach((t, i) => {
      if (!(t instanceof Tensor))
        throw new ArgumentError('defaultCollate', `${where}[${i}] a Tensor like ${where}[0], got ${showValue(t)}`);
    });
    return stack(items as Tensor[], 0);
  }
  if (typeof first === 'number') {
    const nums = items.map((v, i) => {
      if (typeof v !== 'number')
        throw new ArgumentError('defaultCollate', `${where}[${i}] a number like ${where}[0], got ${showValue(v)}`);
      return v;
    });
    return tensor(nums, { dtype: nums.every(Number.isInteger) ? 'int64' : 'float64' });
  }
  if (typeof first === 'boolean') {
    items.forEach((v, i) => {
      if (typeof v !== 'boolean')
        throw new ArgumentError('defaultCollate', `${where}[${i}] a boolean like ${where}[0], got ${showValue(v)}`);
    });
    return tensor(items as boolean[], { dtype: 'bool' });
  }
  if (Array.isArray(first)) {
    const n = first.length;
    items.forEach((v, i) => {
      if (!Array.isArray(v) || v.length !== n) {
        throw new ArgumentError(
          'defaultCollate',
          `${where}[${i}] an array of ${n} elements like ${where}[0], got ${Array.isArray(v) ? `${v.length} elements` : showValue(v)}`,
        );
      }
    });
    return first.map((_, k) =>
      collate(
        items.map((v) => (v as unknown[])[k]),
        `${where}[*][${k}]`,
      ),
    );
  }
  if (isPlainObject(first)) {
    items.forEach((v, i) => {
      if (!isPlainObject(v))
        throw new ArgumentError(
          'defaultCollate',
          `${where}[${i}] a plain object like ${where}[0], got ${showValue(v)}`,
        );
    });
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(first)) {
      out[key] = collate(
        items.map((v) => (v as Record<string, unknown>)[key]),
        `${where}[*].${key}`,
      );
    }
    return out;
  }
  throw new ArgumentError(
    'defaultCollate',
    `items that are tensors, numbers, booleans, arrays or plain objects, got ${showValue(first)}`,
  );
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}
