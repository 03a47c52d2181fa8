// How optimizers check the options of a param group: each declares one rule
// per option (a lower bound, 'betas' or 'bool') instead of repeating the
// checks, so every optimizer refuses bad options with the same messages.
import { ArgumentError } from '../errors';
import { checkBool, checkObject, checkRange, showValue } from '../validate';

/** A number is the option's inclusive lower bound; 'betas' is a pair in [0, 1); 'bool' a boolean. */
export type OptionRule = number | 'betas' | 'bool';

/** Checks `g` is an object and each option named in `rules` (typed to the group's options), in the order given. */
export function checkGroupOptions<G extends object>(
  op: string,
  g: G,
  rules: { readonly [K in keyof G]?: OptionRule },
): void {
  const group = checkObject(op, 'param group', g);
  for (const [name, rule] of Object.entries(rules) as [string, OptionRule][]) {
    const v = group[name];
    if (rule === 'betas') checkBetas(op, v);
    else if (rule === 'bool') checkBool(op, name, v);
    else checkRange(op, name, v, rule);
  }
}

/** The betas option as given, copied when it is a pair (anything else reaches checkBetas as given). */
export function betasOption(v: unknown): [number, number] {
  if (v === undefined) return [0.9, 0.999];
  return (Array.isArray(v) && v.length === 2 ? [v[0], v[1]] : v) as [number, number];
}

/** betas: a pair, each in [0, 1). */
function checkBetas(op: string, v: unknown): void {
  if (!Array.isArray(v) || v.length !== 2)
    throw new ArgumentError(op, `betas [beta1, beta2], got ${Array.isArray(v) ? `${v.length} values` : showValue(v)}`);
  checkRange(op, 'betas[0]', v[0], 0, 1);
  checkRange(op, 'betas[1]', v[1], 0, 1);
}
