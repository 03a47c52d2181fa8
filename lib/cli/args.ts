// A small, table-driven command-line parser. Each command declares its options
// once (name, kind, help, default); the same table drives parsing, validation
// and the --help text. Mistakes throw UsageError (never process.exit here):
// main.ts turns it into a message on stderr and exit code 2, the usual
// convention for "bad usage" as opposed to "the work failed" (1).

import { ArgumentError } from '../errors';

/** A command-line mistake: unknown option, missing or malformed value. */
export class UsageError extends ArgumentError {
  /** Process exit status for usage errors (as getopt-style tools use). */
  readonly exitCode = 2;
}

type OptionKind = 'flag' | 'string' | 'int' | 'number' | 'choice';

export interface OptionSpec {
  /** Long name without dashes, e.g. 'batch-size'. */
  name: string;
  kind: OptionKind;
  help: string;
  /** One-letter alias, e.g. 'h'. */
  short?: string;
  /** Placeholder in the help text, e.g. 'N'. */
  metavar?: string;
  /** For 'choice'. */
  choices?: readonly string[];
  /** Inclusive bounds for 'int' and 'number'. */
  min?: number;
  max?: number;
  /** Strict lower bound for 'number' (e.g. lr > 0). */
  above?: number;
  /** Shown in the help text as the default. */
  defaultText?: string;
  /** Parsed but left out of --help (testing aids). */
  hidden?: boolean;
}

type ParsedValue = string | number | boolean;
export interface ParsedArgs {
  /** Options given, keyed by long name. Flags are `true`. */
  values: Map<string, ParsedValue>;
  /** Arguments that are not options, in order. */
  positionals: string[];
}

function describe(spec: OptionSpec): string {
  switch (spec.kind) {
    case 'int':
      return `an integer${range(spec)}`;
    case 'number':
      return `a number${range(spec)}`;
    case 'choice':
      return `one of ${(spec.choices ?? []).join(', ')}`;
    default:
      return 'a value';
  }
}

function range(spec: OptionSpec): string {
  const parts: string[] = [];
  if (spec.above !== undefined) parts.push(`> ${spec.above}`);
  if (spec.min !== undefined) parts.push(`>= ${spec.min}`);
  if (spec.max !== undefined) parts.push(`<= ${spec.max}`);
  return parts.length ? ` ${parts.join(' and ')}` : '';
}

function convert(cmd: string, spec: OptionSpec, raw: string): ParsedValue {
  const bad = (): UsageError => new UsageError(cmd, `--${spec.name} expects ${describe(spec)}, got '${raw}'`);
  switch (spec.kind) {
    case 'string':
      if (raw === '') throw bad();
      return raw;
    case 'choice':
      if (!(spec.choices ?? []).includes(raw.toLowerCase())) throw bad();
      return raw.toLowerCase();
    case 'int':
    case 'number': {
      // Number('') is 0 and Number('0x10') is 16: accept only plain decimal notation.
      if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw)) throw bad();
      const v = Number(raw);
      if (!Number.isFinite(v)) throw bad();
      if (spec.kind === 'int' && !Number.isSafeInteger(v)) throw bad();
      if (spec.min !== undefined && v < spec.min) throw bad();
      if (spec.max !== undefined && v > spec.max) throw bad();
      if (spec.above !== undefined && !(v > spec.above)) throw bad();
      return v;
    }
    default:
      return true;
  }
}

/**
 * Parses `argv` (without node and script) against `specs`. Accepts
 * `--name value`, `--name=value`, `-x value`, and `--` to end options.
 */
export function parseArgs(cmd: string, argv: readonly string[], specs: readonly OptionSpec[]): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short as string, s]));
  const values = new Map<string, ParsedValue>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    let spec: OptionSpec | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
      spec = byName.get(name);
      if (!spec) throw new UsageError(cmd, `unknown option --${name}${suggest(name, specs)}; see '${cmd} --help'`);
    } else {
      spec = byShort.get(arg.slice(1));
      if (!spec) throw new UsageError(cmd, `unknown option ${arg}; see '${cmd} --help'`);
    }
    if (spec.kind === 'flag') {
      if (inline !== undefined) throw new UsageError(cmd, `--${spec.name} takes no value, got '${inline}'`);
      values.set(spec.name, true);
      continue;
    }
    let raw = inline;
    if (raw === undefined) {
      // A following '--x' is the next option, not this one's value (a negative number is fine).
      const next = argv[i + 1];
      if (next === undefined || /^--?[a-zA-Z]/.test(next))
        throw new UsageError(cmd, `--${spec.name} expects ${describe(spec)}, got nothing`);
      raw = next;
      i++;
    }
    values.set(spec.name, convert(cmd, spec, raw));
  }
  return { values, positionals };
}

/** ' (did you mean --x?)' for a near miss, else ''. */
function suggest(name: string, specs: readonly OptionSpec[]): string {
  let best: string | undefined;
  let bestDist = 3;
  for (const s of specs) {
    if (s.hidden) continue;
    const d = editDistance(name, s.name);
    if (d < bestDist) {
      bestDist = d;
      best = s.name;
    }
  }
  return best ? ` (did you mean --${best}?)` : '';
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/** The option list for --help, aligned in two columns. */
export function formatOptions(specs: readonly OptionSpec[]): string {
  const rows = specs
    .filter((s) => !s.hidden)
    .map((s) => {
      const value =
        s.kind === 'flag' ? '' : s.kind === 'choice' ? ` ${(s.choices ?? []).join('|')}` : ` ${s.metavar ?? 'X'}`;
      const left = `${s.short ? `-${s.short}, ` : '    '}--${s.name}${value}`;
      const right = s.help + (s.defaultText !== undefined ? ` (default: ${s.defaultText})` : '');
      return [left, right];
    });
  const width = Math.min(34, Math.max(...rows.map((r) => r[0].length)));
  return rows
    .map(([l, r]) => (l.length > width ? `  ${l}\n  ${' '.repeat(width)}  ${r}` : `  ${l.padEnd(width)}  ${r}`))
    .join('\n');
}
