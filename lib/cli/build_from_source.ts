// `nodetorch build-from-source`: the explicit fallback when no platform
// package fits. nodetorch has no install script (npm 11 asks before running
// one), so nothing compiles at install time; this runs node-gyp on the shipped
// binding.gyp and native/ sources into build/Release, where the loader looks
// after the platform package. It never loads the addon.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import { packageRoot, platformPackageName } from '../../bindings/loader';
import { formatOptions, type OptionSpec, parseArgs, UsageError } from './args';
import type { CliIO } from './io';

const OPTIONS: readonly OptionSpec[] = [
  { name: 'debug', kind: 'flag', help: 'build with debug symbols (build/Debug)' },
  { name: 'help', kind: 'flag', short: 'h', help: 'show this help' },
];

const USAGE = `Usage: nodetorch build-from-source [--debug]

Compiles the CPU addon from the shipped sources with node-gyp (needs a C++17
compiler, Python 3 and make; OpenBLAS is opened at run time: libopenblas0) into
build/Release of the installed package. Use it where no @nodetorch/<platform>
package fits; the platform package, when it loads, still wins.

Options:
${formatOptions(OPTIONS)}`;

// node-gyp: nodetorch's own (a clone), the one npm names, or npm's bundled copy.
function findNodeGyp(): string | undefined {
  const candidates: string[] = [];
  try {
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js', { paths: [packageRoot] }));
  } catch {
    // not a dependency of an installed nodetorch: try npm's
  }
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  const prefix = path.dirname(process.execPath);
  for (const npmDir of [
    path.join(prefix, 'node_modules', 'npm'),
    path.join(prefix, '..', 'lib', 'node_modules', 'npm'),
  ])
    candidates.push(path.join(npmDir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  return candidates.find((f) => fs.existsSync(f));
}

/** Runs `nodetorch build-from-source`; resolves to the exit code. */
export function runBuildFromSource(argv: readonly string[], io: CliIO): number {
  const { values, positionals } = parseArgs('nodetorch build-from-source', argv, OPTIONS);
  if (values.get('help')) {
    io.out(USAGE);
    return 0;
  }
  if (positionals.length)
    throw new UsageError('nodetorch build-from-source', `no positional arguments expected, got '${positionals[0]}'`);
  if (!fs.existsSync(path.join(packageRoot, 'binding.gyp')))
    throw new UsageError('nodetorch build-from-source', `binding.gyp in ${packageRoot}, found none`);
  const gyp = findNodeGyp();
  if (!gyp)
    throw new UsageError(
      'nodetorch build-from-source',
      "node-gyp (nodetorch's devDependency or npm's bundled copy), found neither: `npm install -g node-gyp`",
    );
  const args = [gyp, 'rebuild', ...(values.get('debug') ? ['--debug'] : [])];
  io.err(`building the CPU addon in ${packageRoot}: node ${args.join(' ')}`);
  const r = spawnSync(process.execPath, args, { cwd: packageRoot, stdio: 'inherit' });
  if (r.error || r.status !== 0) {
    io.err(`error: node-gyp ${r.error ? `could not start: ${r.error.message}` : `exited with ${r.status}`}`);
    return 1;
  }
  io.err(
    `built ${path.join(packageRoot, 'build', values.get('debug') ? 'Debug' : 'Release', 'nodetorch.node')}; ` +
      `it loads unless ${platformPackageName()} is installed and loads first (NODETORCH_ADDON picks a binary explicitly)`,
  );
  return 0;
}
