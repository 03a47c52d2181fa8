// The layers point down (issue #10): bindings <- lib/kernels <- lib/tensor <-
// lib/ops <- lib/autograd <- lib/{nn,optim,data,io,text} <- lib/{models,cli}, with
// lib/errors.ts and lib/validate.ts as leaves any layer may import. Every
// relative import, type-only ones included, is checked against that order.
// This file imports a deep module first and never lib/index.ts, so it also
// checks that the addon gets nodetorch's error classes however lib is entered.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import { native } from '../lib/kernels/native';
import { NodetorchError, ArgumentError } from '../lib/errors';

const root = path.join(__dirname, '..');

/** Rank of each layer; a module may import its own rank or lower ones. */
function rank(file: string): number {
  if (file.startsWith('bindings/')) return 0;
  if (file === 'lib/errors.ts' || file === 'lib/validate.ts') return 1;
  const layers: [string, number][] = [
    ['lib/kernels/', 2],
    ['lib/tensor/', 3],
    ['lib/runtime.ts', 4],
    ['lib/cuda_libraries.ts', 4],
    ['lib/ops/', 5],
    ['lib/autograd/', 6],
    ['lib/nn/', 7],
    ['lib/optim/', 7],
    ['lib/data/', 7],
    ['lib/io/', 7],
    ['lib/text/', 7],
    ['lib/distributed/', 7],
    ['lib/models/', 8],
    ['lib/cli/', 8],
    ['lib/index.ts', 9],
  ];
  for (const [prefix, r] of layers) if (file.startsWith(prefix)) return r;
  throw new Error(`${file} belongs to no layer: add it to test/layers.test.ts`);
}

function sources(dir: string): string[] {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return sources(rel);
    return e.name.endsWith('.ts') ? [rel] : [];
  });
}

/** Relative imports of a file (static, side-effect, type-only, re-exports, dynamic, require), resolved to repo paths. */
function imports(file: string): string[] {
  const src = fs.readFileSync(path.join(root, file), 'utf8');
  const specs = [...src.matchAll(/(?:\bfrom|^import|\b(?:import|require)\()\s*'(\.[^']*)'/gm)].map((m) => m[1]);
  return specs.map((spec) => {
    const base = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
    return fs.existsSync(path.join(root, `${base}.ts`)) ? `${base}.ts` : `${base}/index.ts`;
  });
}

const files = [...sources('bindings'), ...sources('lib')];

describe('layers', () => {
  it('every import points to the same layer or one below', () => {
    const upward = files.flatMap((f) =>
      imports(f)
        .filter((t) => rank(t) > rank(f))
        .map((t) => `${f} -> ${t}`),
    );
    expect(upward).toEqual([]);
  });

  it('bindings/ imports nothing from lib/, lib/kernels/ nothing from lib/tensor/', () => {
    for (const f of files.filter((x) => x.startsWith('bindings/')))
      expect(imports(f).filter((t) => t.startsWith('lib/'))).toEqual([]);
    for (const f of files.filter((x) => x.startsWith('lib/kernels/')))
      expect(imports(f).filter((t) => !/^(bindings\/|lib\/kernels\/|lib\/errors|lib\/validate)/.test(t))).toEqual([]);
  });

  it('the leaves import nothing from lib but each other', () => {
    expect(imports('lib/errors.ts')).toEqual([]);
    expect(imports('lib/validate.ts')).toEqual(['lib/errors.ts']);
  });

  it('lib/tensor (tensor.ts included) imports no op and no autograd module', () => {
    for (const f of files.filter((x) => x.startsWith('lib/tensor/'))) {
      expect(imports(f).filter((t) => /^lib\/(ops|autograd)\//.test(t))).toEqual([]);
    }
  });
});

describe('entering lib through a deep module', () => {
  it('native errors already arrive as nodetorch classes', () => {
    const h = native.alloc(0, 0, 4);
    let err: unknown;
    try {
      native.kernels.unary(h, 'not a handle' as never);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ArgumentError);
    expect(err).toBeInstanceOf(NodetorchError);
    native.dispose(h);
  });

  it('a binary that does not load is an AddonLoadError naming it', () => {
    const script = `
      try { require('./lib/ops/elementwise.ts'); console.log('loaded'); }
      catch (e) { console.log(e.name, e instanceof require('./lib/errors.ts').NodetorchError, e.message.split('\\n')[0]); }`;
    const out = execFileSync(process.execPath, ['-r', './test/reliability/children/ts_register.js', '-e', script], {
      encoding: 'utf8',
      timeout: 60000,
      cwd: root,
      env: { ...process.env, NODETORCH_ADDON: '/nonexistent/nodetorch.node' },
    });
    expect(out.trim()).toMatch(
      /^AddonLoadError true NODETORCH_ADDON=\/nonexistent\/nodetorch\.node could not be loaded: /,
    );
  });
});
