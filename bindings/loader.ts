// Finds and loads the native addon. Order: NODETORCH_ADDON (an explicit
// .node path), then node-gyp-build (prebuilds/<platform>-<arch>/ first, then
// build/Release). If nothing loads, one AddonLoadError lists every place
// tried, what this platform needed and how to fix it.
import * as fs from 'fs';
import * as path from 'path';

import { AddonLoadError, NATIVE_ERROR_CLASSES } from '../lib/errors';
import type { NativeAddon } from './native';

/** Where the loaded binary came from. */
export interface AddonOrigin {
  path: string;
  kind: 'override' | 'prebuild' | 'build';
}

// The package root: the nearest folder above this file whose package.json is
// nodetorch's (this file runs from bindings/ under ts-jest, dist/bindings/ when built).
function findPackageRoot(start: string): string {
  let dir = start;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        if ((JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'nodetorch') return dir;
      } catch {
        // unreadable package.json: keep looking upwards
      }
    }
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(start, '..');
    dir = up;
  }
}

/** Folder of the installed package (holds prebuilds/, build/, dist/). */
export const packageRoot = findPackageRoot(__dirname);

function platformTag(): string {
  const libc = process.platform === 'linux'
    ? (process.report?.getReport && typeof process.report.getReport === 'function'
      ? ((process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime
        ? 'glibc' : 'musl')
      : 'glibc')
    : '';
  return `${process.platform}-${process.arch}${libc ? ` (${libc})` : ''}, Node ${process.version} (ABI ${process.versions.modules}, N-API ${process.versions.napi})`;
}

function candidates(): string[] {
  const dirs = [
    path.join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`),
    path.join(packageRoot, 'build', 'Release'),
    path.join(packageRoot, 'build', 'Debug'),
  ];
  return dirs;
}

function describeDir(dir: string): string {
  try {
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.node'));
    return files.length ? `${dir} (${files.join(', ')})` : `${dir} (no .node file)`;
  } catch {
    return `${dir} (missing)`;
  }
}

function loadFrom(file: string): NativeAddon {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(file) as NativeAddon;
}

function load(): { addon: NativeAddon; origin: AddonOrigin } {
  const override = process.env.NODETORCH_ADDON;
  if (override) {
    const file = path.resolve(override);
    try {
      return { addon: loadFrom(file), origin: { path: file, kind: 'override' } };
    } catch (e) {
      throw new AddonLoadError('', `NODETORCH_ADDON=${override} could not be loaded: ${(e as Error).message}`);
    }
  }
  let gypError: Error | undefined;
  try {
    // node-gyp-build resolves the best prebuild for this platform/ABI/libc,
    // then falls back to build/Release.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nodeGypBuild = require('node-gyp-build') as { path(dir: string): string };
    const file = nodeGypBuild.path(packageRoot);
    const kind = file.includes(`${path.sep}prebuilds${path.sep}`) ? 'prebuild' : 'build';
    return { addon: loadFrom(file), origin: { path: file, kind } };
  } catch (e) {
    gypError = e as Error;
  }
  const tried = candidates().map((d) => `  - ${describeDir(d)}`).join('\n');
  throw new AddonLoadError(
    '',
    `the native addon could not be loaded.\n` +
      `Needed: a binary for ${platformTag()}.\n` +
      `Looked in:\n${tried}\n` +
      `Loader said: ${gypError?.message ?? 'nothing'}\n` +
      `How to fix:\n` +
      `  - npm 11 blocks dependency install scripts: approve nodetorch's build with ` +
      `\`npm install-scripts approve nodetorch\` (or add it to "allowScripts" in your package.json), then ` +
      `\`npm rebuild nodetorch\`.\n` +
      `  - Building from source needs a C++17 compiler, Python 3 and make (and OpenBLAS for fast GEMM: ` +
      `\`apt-get install libopenblas-dev\`); run \`npm rebuild nodetorch\` after installing them.\n` +
      `  - Or use a platform with a prebuilt binary (linux-x64 glibc >= 2.28, linux-arm64, darwin-arm64, win32-x64).\n` +
      `  - NODETORCH_ADDON=/path/to/nodetorch.node loads a specific binary.`,
  );
}

const loaded = load();
loaded.addon.setErrorClasses(NATIVE_ERROR_CLASSES);

/** The loaded addon. */
export const native: NativeAddon = loaded.addon;
/** Where it was loaded from. */
export const addonOrigin: AddonOrigin = loaded.origin;
