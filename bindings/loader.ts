// Finds and loads the native addon. Order: NODETORCH_ADDON (an explicit
// .node path), then the platform package (@nodetorch/<platform>-<arch>[-musl],
// an optionalDependency holding one CPU binary, as sharp does), then
// node-gyp-build's pick (build/Release first, then prebuilds/<platform>-<arch>/
// by libc and N-API tags), then any other binary there that fits this libc. If nothing loads, the answer is one message
// listing every place tried and why it failed, what this platform needed and
// how to fix it; lib/kernels/native.ts throws it as an AddonLoadError. This
// file imports nothing from lib/: the error classes are handed to the addon
// by lib (setErrorClasses), as better-sqlite3 does.
import * as fs from 'fs';
import * as path from 'path';

import type { NativeAddon } from './native';

/** Where the loaded binary came from. */
export interface AddonOrigin {
  path: string;
  kind: 'override' | 'package' | 'prebuild' | 'build';
  /** `name@version` of the platform package, when kind is 'package'. */
  package?: string;
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

// What this process needs, for the error message (getReport is slow, so only then).
function platformTag(): string {
  let libc = '';
  if (process.platform === 'linux') {
    const header = (process.report?.getReport?.() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
    libc = header?.glibcVersionRuntime ? `glibc ${header.glibcVersionRuntime}` : 'musl';
  }
  return (
    `${process.platform}-${process.arch}${libc ? ` (${libc})` : ''}, Node ${process.version} ` +
    `(ABI ${process.versions.modules}, N-API ${process.versions.napi})`
  );
}

// node-gyp-build's libc rule: musl only on Alpine.
const hostLibc = process.platform !== 'linux' ? '' : fs.existsSync('/etc/alpine-release') ? 'musl' : 'glibc';

/** The platform package this process needs (scripts/platform-packages.js writes them). */
export function platformPackageName(): string {
  return `@nodetorch/${process.platform}-${process.arch}${hostLibc === 'musl' ? '-musl' : ''}`;
}

/** The binary a platform package holds, next to its package.json. */
const PACKAGE_BINARY = 'nodetorch.node';

// The platform package's binary, or why there is none. Its version must be
// nodetorch's: a stale optional dependency would run kernels that do not
// match this JavaScript.
function fromPlatformPackage(tried: Map<string, string>): { addon: NativeAddon; origin: AddonOrigin } | undefined {
  const name = platformPackageName();
  let manifest: string;
  try {
    manifest = require.resolve(`${name}/package.json`, { paths: [packageRoot] });
  } catch {
    tried.set(name, 'not installed (optionalDependencies: skipped, or no package for this platform)');
    return undefined;
  }
  const dir = path.dirname(manifest);
  let version = '';
  let want = '';
  try {
    version = (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { version?: string }).version ?? '';
    want =
      (JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version?: string }).version ??
      '';
  } catch (e) {
    tried.set(dir, `unreadable package.json: ${firstLine(e)}`);
    return undefined;
  }
  if (want && version !== want) {
    tried.set(dir, `${name}@${version} does not match nodetorch@${want}: install the same version`);
    return undefined;
  }
  const file = path.join(dir, PACKAGE_BINARY);
  try {
    return { addon: loadFrom(file), origin: { path: file, kind: 'package', package: `${name}@${version}` } };
  } catch (e) {
    tried.set(file, `failed to load: ${firstLine(e)}`);
    return undefined;
  }
}

/** Where node-gyp-build looks, in its order: a source build wins over prebuilds. */
function candidateDirs(): string[] {
  return [
    path.join(packageRoot, 'build', 'Release'),
    path.join(packageRoot, 'build', 'Debug'),
    path.join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`),
  ];
}

function nodeFiles(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.node'))
      .map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}

// A prebuild tagged for the other libc cannot load here; anything else may.
function fitsHost(file: string): boolean {
  const tags = path.basename(file).split('.');
  return !((tags.includes('glibc') || tags.includes('musl')) && !tags.includes(hostLibc));
}

const firstLine = (e: unknown): string =>
  String((e as Error)?.message ?? e)
    .split('\n')[0]
    .trim();

function loadFrom(file: string): NativeAddon {
  return require(file) as NativeAddon;
}

function originOf(file: string): AddonOrigin {
  return { path: file, kind: file.includes(`${path.sep}prebuilds${path.sep}`) ? 'prebuild' : 'build' };
}

/** Why no binary loaded: the whole message for the user (lib throws it as AddonLoadError). */
class LoadFailure {
  constructor(readonly message: string) {}
}

function load(): { addon: NativeAddon; origin: AddonOrigin } {
  const override = process.env.NODETORCH_ADDON;
  if (override) {
    const file = path.resolve(override);
    try {
      return { addon: loadFrom(file), origin: { path: file, kind: 'override' } };
    } catch (e) {
      throw new LoadFailure(`NODETORCH_ADDON=${override} could not be loaded: ${(e as Error).message}`);
    }
  }
  // Each place tried and what happened there.
  const tried = new Map<string, string>();
  const fromPackage = fromPlatformPackage(tried);
  if (fromPackage) return fromPackage;
  // node-gyp-build picks the best match for platform, arch, libc and ABI.
  let picked: string | undefined;
  try {
    picked = (require('node-gyp-build') as { path(dir: string): string }).path(packageRoot);
  } catch (e) {
    tried.set('node-gyp-build', firstLine(e));
  }
  // Then every other binary that could fit: a broken build/Release must not
  // hide a working prebuild.
  const others = candidateDirs()
    .flatMap(nodeFiles)
    .filter((f) => f !== picked && fitsHost(f));
  for (const file of picked ? [picked, ...others] : others) {
    try {
      return { addon: loadFrom(file), origin: originOf(file) };
    } catch (e) {
      tried.set(file, `failed to load: ${firstLine(e)}`);
    }
  }
  for (const dir of candidateDirs()) {
    const files = nodeFiles(dir);
    if (!fs.existsSync(dir)) tried.set(dir, 'missing');
    else if (!files.length) tried.set(dir, 'no .node file');
    for (const f of files) if (!fitsHost(f)) tried.set(f, `skipped: built for another libc (this system: ${hostLibc})`);
  }
  const looked = [...tried].map(([where, what]) => `  - ${where}: ${what}`).join('\n');
  const tooOld = [...tried.values()].some((m) => /GLIBC(XX)?_[0-9.]+' not found/.test(m));
  throw new LoadFailure(
    'the native addon could not be loaded.\n' +
      `Needed: a binary for ${platformTag()}.\n` +
      `Tried:\n${looked}\n` +
      'How to fix:\n' +
      (tooOld
        ? '  - The prebuilt binary needs a newer glibc than this system has: build from source (next lines).\n'
        : '') +
      `  - Install the platform package: \`npm install ${platformPackageName()}@<nodetorch's version>\` ` +
      '(npm skips it with --omit=optional or --no-optional, or when the lockfile was made on another platform).\n' +
      '  - Or build the CPU addon from source: `npx nodetorch build-from-source`.\n' +
      '  - Building from source needs a C++17 compiler, Python 3 and make; OpenBLAS, for fast matrix multiply, is ' +
      'opened at run time (Debian/Ubuntu: `apt-get install build-essential python3 libopenblas0`; macOS: `xcode-select --install` and ' +
      '`brew install openblas`; Windows: Visual Studio Build Tools with C++). Then `npx nodetorch build-from-source`.\n' +
      `  - Or use a platform with a prebuilt binary: ${PREBUILT_PLATFORMS}, Node >= 20.\n` +
      '  - NODETORCH_ADDON=/path/to/nodetorch.node loads a binary you built yourself.',
  );
}

/** Platforms with a package (scripts/platform-packages.js, .github/workflows/prebuild.yml). */
const PREBUILT_PLATFORMS =
  '@nodetorch/linux-x64 and @nodetorch/linux-arm64 (glibc >= 2.34, libstdc++ of GCC >= 12), ' +
  '@nodetorch/darwin-arm64 (macOS >= 11), @nodetorch/win32-x64';

/** The outcome of loading the addon: the addon and its origin, or the message saying why not. */
export type AddonLoad = { ok: true; addon: NativeAddon; origin: AddonOrigin } | { ok: false; message: string };

let result: AddonLoad | undefined;

/**
 * Loads the addon on the first call and returns the same outcome on every
 * later one. Never throws: a failure comes back as `{ ok: false, message }`.
 * The addon's error classes are not set here (see lib/kernels/native.ts).
 */
export function loadAddon(): AddonLoad {
  if (!result) {
    try {
      result = { ok: true, ...load() };
    } catch (e) {
      if (!(e instanceof LoadFailure)) throw e;
      result = { ok: false, message: e.message };
    }
  }
  return result;
}
