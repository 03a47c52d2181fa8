// Property-based hostile-input suite: every public function, constructor and
// Tensor method of `nt` (found by walking the exports, so new ops are covered
// without editing this file) is called with random and hostile arguments.
// Each call must return or throw an nt.NodetorchError; a TypeError or
// RangeError from JS internals, or anything else, is a bug.
//   NT_FUZZ_RUNS=20000 npx jest test/reliability/hostile_api   (longer run)
import fc from 'fast-check';

import * as nt from '../../lib';
import { type ValueSpec, describeValue, materialize, valueSpec } from './hostile_values';

const RUNS = Number(process.env.NT_FUZZ_RUNS ?? 8000);

type Target = { name: string; call: (args: unknown[]) => unknown };

// Side effects we do not want from random calls: files written to the
// working directory, downloads, global thread count / seed churn. These are
// covered by targeted tests below and in the other reliability suites.
const SKIP = new Set([
  'nt.save',
  'nt.saveAsync',
  'nt.scope',
  'nt.datasets.MNIST',
  'nt.datasets.FashionMNIST',
  'nt.data.datasets.MNIST',
  'nt.data.datasets.FashionMNIST',
  'nt.optim.saveState',
  'nt.setNumThreads',
]);

function isClass(f: unknown): f is new (...a: unknown[]) => unknown {
  return typeof f === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(f));
}

function collect(obj: Record<string, unknown>, prefix: string, out: Target[], seen: Set<unknown>): void {
  for (const key of Object.keys(obj)) {
    const v = obj[key];
    const name = `${prefix}.${key}`;
    if (SKIP.has(name) || seen.has(v)) continue;
    if (typeof v === 'function') {
      seen.add(v);
      if (isClass(v)) {
        if (name.endsWith('Error')) continue; // error classes accept anything
        const C = v;
        out.push({ name: `new ${name}`, call: (args) => new C(...args) });
        // Methods of an instance built from hostile args, when construction works.
        for (const m of Object.getOwnPropertyNames(C.prototype)) {
          if (m === 'constructor' || m.startsWith('_')) continue;
          const d = Object.getOwnPropertyDescriptor(C.prototype, m);
          if (!d || typeof d.value !== 'function') continue;
          out.push({
            name: `${name}#${m}`,
            call: (args) => {
              const inst = new C(...args.slice(0, 2)) as Record<string, (...a: unknown[]) => unknown>;
              return inst[m](...args.slice(2));
            },
          });
        }
      } else {
        const f = v as (...a: unknown[]) => unknown;
        out.push({ name, call: (args) => f(...args) });
      }
    } else if (v && typeof v === 'object' && !seen.has(v)) {
      seen.add(v);
      collect(v as Record<string, unknown>, name, out, seen);
    }
  }
}

const TARGETS: Target[] = [];
collect(nt as unknown as Record<string, unknown>, 'nt', TARGETS, new Set());
// Tensor methods and getters, called on a hostile receiver too.
const tensorMethods = Object.getOwnPropertyNames(nt.Tensor.prototype).filter(
  (m) => m !== 'constructor' && !m.startsWith('_'),
);
for (const m of tensorMethods) {
  TARGETS.push({
    name: `Tensor#${m}`,
    call: (args) => {
      const self = args[0] instanceof nt.Tensor ? args[0] : nt.zeros([2, 3]);
      const member = (self as unknown as Record<string, unknown>)[m];
      return typeof member === 'function'
        ? (member as (...a: unknown[]) => unknown).apply(self, args.slice(1))
        : member;
    },
  });
}

let calls = 0;
const failures: string[] = [];

// Entry points of layers this suite's author does not own that still throw
// untyped errors on some hostile input (reported to the lead). They are
// listed, not failed, so CI stays green; delete a line once it is fixed and
// the suite will hold it to the rule. Matched by prefix of the target name.
const KNOWN_UNTYPED: readonly string[] = [];
const knownHits = new Map<string, string>();

function isTyped(e: unknown): boolean {
  if (e instanceof nt.NodetorchError) return true;
  // File-system errors (ENOENT, EACCES, EISDIR...) from load paths pass through
  // unchanged, as Node's own APIs do: they name the path and the syscall.
  const err = e as { code?: unknown; syscall?: unknown };
  return typeof err?.code === 'string' && /^E[A-Z]+$/.test(err.code) && typeof err.syscall === 'string';
}

function disposeAll(v: unknown, depth = 0): void {
  if (depth > 3) return;
  if (v instanceof nt.Tensor) v.dispose();
  else if (Array.isArray(v)) for (const x of v) disposeAll(x, depth + 1);
}

/**
 * Promise results (nt.loadAsync, noGrad(async ...)): each must fulfil or
 * reject with a typed error too. Settled and checked at the end of the run.
 */
const pending: { t: Target; failure: Promise<string | undefined> }[] = [];

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';
}

/** One call; returns a failure description or undefined. */
function callOnce(t: Target, specs: ValueSpec[]): string | undefined {
  const args = specs.map(materialize);
  calls++;
  let result: unknown;
  let failure: string | undefined;
  try {
    result = t.call(args);
    if (isThenable(result)) {
      const call = `${t.name}(${args.map(describeValue).join(', ')})`;
      pending.push({
        t,
        failure: Promise.resolve(result).then(
          (v) => {
            disposeAll(v);
            if (v && typeof v === 'object' && !Array.isArray(v)) for (const x of Object.values(v)) disposeAll(x);
            return undefined;
          },
          (e: unknown) => {
            if (isTyped(e)) return undefined;
            const err = e as Error;
            return `${call} rejected with ${err?.constructor?.name}: ${err?.message}\n${err?.stack?.split('\n').slice(1, 4).join('\n')}`;
          },
        ),
      });
      result = undefined;
    }
    if (result instanceof nt.Tensor) {
      // A returned tensor must be internally consistent.
      if (!result.isDisposed && result.numel <= 1 << 16) result.contiguous().dispose();
    }
  } catch (e) {
    if (!isTyped(e)) {
      const err = e as Error;
      failure = `${t.name}(${args.map(describeValue).join(', ')}) threw ${err?.constructor?.name}: ${err?.message}\n${err?.stack?.split('\n').slice(1, 4).join('\n')}`;
    }
  }
  try {
    disposeAll(result);
    if (result && typeof result === 'object' && !Array.isArray(result) && !(result instanceof nt.Tensor)) {
      for (const v of Object.values(result)) disposeAll(v);
    }
    disposeAll(args);
  } catch (e) {
    failure ??= `${t.name}(${args.map(describeValue).join(', ')}): disposing its result or arguments threw ${String(e)}`;
  }
  return failure;
}

function record(t: Target, f: string | undefined, seen: Set<string>): void {
  if (!f || seen.has(t.name)) return;
  seen.add(t.name);
  if (KNOWN_UNTYPED.some((p) => t.name.startsWith(p))) knownHits.set(t.name, f.split('\n')[0]);
  else failures.push(f);
}

describe('hostile arguments to the public API', () => {
  afterAll(() => {
    // Reported in the closing note.
    console.log(`hostile_api: ${calls} hostile calls over ${TARGETS.length} entry points`);
    if (knownHits.size) {
      console.warn(
        `hostile_api: ${knownHits.size} known untyped-error entry points (KNOWN_UNTYPED):\n${[...knownHits.values()].join('\n')}`,
      );
    }
  });

  it('finds a good number of entry points', () => {
    expect(TARGETS.length).toBeGreaterThan(150);
  });

  it('every call returns or throws a typed NodetorchError', async () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(fc.nat(TARGETS.length - 1), fc.array(valueSpec, { maxLength: 5 }), (ti, specs) => {
        const t = TARGETS[ti];
        const f = nt.scope(() => callOnce(t, specs));
        record(t, f, seen);
        return true; // collect every distinct failing entry point, then report together
      }),
      { numRuns: RUNS, seed: Number(process.env.NT_FUZZ_SEED ?? 42) },
    );
    // A pass over every target with each arity 0..3 of plain junk, so no target is missed.
    for (const t of TARGETS) {
      for (const specs of [
        [],
        [{ kind: 'junk', i: 0 }],
        [
          { kind: 'number', v: NaN },
          { kind: 'junk', i: 2 },
        ],
        [{ kind: 'shape', v: [2 ** 20, 2 ** 20] }],
        [
          { kind: 'number', v: 2 ** 40 },
          { kind: 'number', v: 2 ** 40 },
          { kind: 'junk', i: 1 },
        ],
      ] as ValueSpec[][]) {
        record(
          t,
          nt.scope(() => callOnce(t, specs)),
          seen,
        );
      }
    }
    for (const p of pending.splice(0)) record(p.t, await p.failure, seen);
    if (failures.length)
      throw new Error(`${failures.length} entry points threw untyped errors:\n\n${failures.join('\n\n')}`);
  });

  it('huge sizes throw instead of allocating', () => {
    const huge = [[2 ** 40], [2 ** 20, 2 ** 20], [2 ** 53], [2 ** 30, 2 ** 30, 2 ** 30]];
    for (const shape of huge) {
      for (const make of [nt.zeros, nt.ones, nt.empty, nt.rand, nt.randn]) {
        calls++;
        expect(() => make(shape)).toThrow(nt.NodetorchError);
      }
      calls++;
      expect(() => nt.full(shape, 1, { dtype: 'float64' })).toThrow(nt.NodetorchError);
    }
    calls += 3;
    expect(() => nt.arange(2 ** 40)).toThrow(nt.NodetorchError);
    expect(() => nt.eye(2 ** 20)).toThrow(nt.NodetorchError);
    expect(() => nt.linspace(0, 1, 2 ** 40)).toThrow(nt.NodetorchError);
    // A huge broadcast view is fine; materialising it must throw.
    const t = nt.zeros([1]);
    const v = t.expand([2 ** 40]);
    calls++;
    expect(() => v.contiguous()).toThrow(nt.NodetorchError);
    t.dispose();
    v.dispose();
    expect(nt.memory().cpu.tensors).toBeGreaterThanOrEqual(0);
  });

  it('disposed tensors throw DisposedTensorError from every method that reads them', () => {
    const t = nt.ones([2, 2]);
    t.dispose();
    for (const m of [
      'add',
      'mul',
      'sum',
      'exp',
      'matmul',
      'reshape',
      'item',
      'data',
      'toArray',
      'clone',
      'contiguous',
      'transpose',
      'softmax',
      'to',
    ]) {
      calls++;
      const f = (t as unknown as Record<string, (...a: unknown[]) => unknown>)[m];
      expect(() => f.call(t, m === 'transpose' ? 0 : t, 1)).toThrow(nt.NodetorchError);
    }
  });

  it('setNumThreads rejects hostile counts with a typed error and keeps the old count', () => {
    const before = nt.getNumThreads();
    for (const n of [0, -1, 0.5, NaN, Infinity, 2 ** 40, 'x', null, undefined, {}]) {
      calls++;
      try {
        nt.setNumThreads(n as number);
      } catch (e) {
        expect(e).toBeInstanceOf(nt.NodetorchError);
      }
    }
    nt.setNumThreads(before);
    expect(nt.getNumThreads()).toBe(before);
  });
});
