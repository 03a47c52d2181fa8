#!/usr/bin/env node
// `npm run prebuild`: the binaries of the platform packages. Builds the addon
// with cmake-js (CPU only; OpenBLAS opened at run time) and, when nvcc is
// found, the CUDA backend as nodetorch-cuda.so (nvcc through ccache when it is
// installed), strips them and stores them where
// scripts/platform-packages.js and node-gyp-build look:
//   prebuilds/<platform>-<arch>/nodetorch.napi[.glibc|.musl].node
//   prebuilds/linux-x64-cuda/nodetorch-cuda.so
// (the names prebuildify writes; "napi" = one file for every Node >= 20).
// prebuildify itself is not used: it only drives node-gyp, and its N-API
// mode downloads the newest Node headers.
//
//   node scripts/prebuild.js                 build (CUDA when nvcc is found)
//   node scripts/prebuild.js --cpu           build without CUDA
//   node scripts/prebuild.js --gyp           CPU build with node-gyp (binding.gyp:
//                                            its macOS/MSVC settings; CI on darwin, win32)
//   node scripts/prebuild.js --from FILE     package an existing build (CI: the
//                                            CUDA build test-all.sh made)
//   --static-runtime                         Linux: link libstdc++ and libgcc statically
//   --allow-fallback                         accept a build without OpenBLAS
//   --arch arm64                             Linux x64 host: cross-compile linux-arm64 with
//                                            Debian's gcc-aarch64-linux-gnu (CPU only; loaded
//                                            under qemu-aarch64 when scripts/cross/arm64.js
//                                            setup has fetched an arm64 Node)
//   --no-strip                               keep symbols
// Environment: NT_CUDA_ARCHS (see CMakeLists.txt), NODETORCH_OPENBLAS_DIR.
'use strict';
const cp = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.resolve(__dirname, '..');
const pkg = require(path.join(root, 'package.json'));
const cross = require('./cross/targets.js');

function fail(msg) {
  console.error(`prebuild: ${msg}`);
  process.exit(1);
}

function parseArgs(argv) {
  const o = { from: null, cpu: false, gyp: false, strip: true, allowFallback: false, staticRuntime: false, arch: '' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--from') o.from = argv[++i];
    else if (a.startsWith('--from=')) o.from = a.slice(7);
    else if (a === '--cpu') o.cpu = true;
    else if (a === '--gyp') o.gyp = true;
    else if (a === '--static-runtime') o.staticRuntime = true;
    else if (a === '--no-strip') o.strip = false;
    else if (a === '--allow-fallback') o.allowFallback = true;
    else if (a === '--arch') o.arch = argv[++i] || '';
    else
      fail(
        `unknown option '${a}' (expected --from FILE, --cpu, --gyp, --static-runtime, --no-strip, --allow-fallback, --arch arm64)`,
      );
  }
  if (o.from === undefined || o.from === '') fail('--from needs a path to a .node file');
  if (o.arch && o.arch !== process.arch) {
    if (o.arch !== 'arm64' || process.platform !== 'linux' || process.arch !== 'x64')
      fail(`--arch ${o.arch}: only --arch arm64 on linux-x64 (a cross build) is supported`);
    if (o.gyp) fail('--arch arm64 builds with cmake-js and a toolchain file, not --gyp');
    o.cross = cross.arm64;
  }
  return o;
}

function run(cmd, args, opts = {}) {
  console.log(`> ${cmd} ${args.join(' ')}`);
  const r = cp.spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.error) fail(`${cmd} could not start: ${r.error.message}`);
  if (r.status !== 0) fail(`${cmd} exited with ${r.status}`);
}

function capture(cmd, args) {
  const r = cp.spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  return r.status === 0 ? r.stdout : null;
}

// Same rule as node-gyp-build: musl only where Alpine says so.
function libcTag() {
  if (process.platform !== 'linux') return '';
  return fs.existsSync('/etc/alpine-release') ? 'musl' : 'glibc';
}

function findNvcc() {
  const exe = process.platform === 'win32' ? 'nvcc.exe' : 'nvcc';
  const dirs = (process.env.PATH || '').split(path.delimiter);
  if (process.env.CUDA_PATH) dirs.push(path.join(process.env.CUDA_PATH, 'bin'));
  dirs.push('/usr/local/cuda/bin');
  return dirs.map((d) => path.join(d, exe)).find((f) => f && fs.existsSync(f)) || null;
}

function build(o) {
  if (o.gyp) {
    const env = { ...process.env };
    const prefix = path.resolve(path.dirname(process.execPath), '..');
    if (!env.npm_config_nodedir && fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')))
      env.npm_config_nodedir = prefix;
    run(
      process.execPath,
      [path.join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'), 'rebuild', '--release', '--jobs', 'max'],
      { env },
    );
    return path.join(root, 'build', 'Release', 'nodetorch.node');
  }
  const out = path.join(root, o.cross ? o.cross.buildDir : 'build-prebuild');
  // No CUDA for a cross build: the plugin is linux-x64 only.
  const nvcc = o.cpu || o.cross ? null : findNvcc();
  const args = [path.join(root, 'node_modules', 'cmake-js', 'bin', 'cmake-js'), 'rebuild', '--out', out];
  if (o.cross) {
    if (!capture('sh', ['-c', `command -v ${o.cross.triple}-g++`]))
      fail(`${o.cross.triple}-g++ not found: apt-get install g++-${o.cross.triple} (Debian/Ubuntu)`);
    args.push(`--CDCMAKE_TOOLCHAIN_FILE=${path.join(__dirname, 'cross', o.cross.toolchain)}`);
  }
  if (!nvcc) args.push('--CDNT_WITH_CUDA=OFF');
  else args.push(`--CDCMAKE_CUDA_COMPILER=${nvcc}`);
  // Opt-in: on an old build image (CI: Ubuntu 22.04) this drops the GLIBCXX
  // requirement; on a new one (Debian 12) it raises the glibc one to 2.36
  // (arc4random, _dl_find_object), so it is not the default.
  if (o.staticRuntime && process.platform === 'linux')
    args.push('--CDCMAKE_SHARED_LINKER_FLAGS=-static-libstdc++ -static-libgcc');
  // ccache for nvcc and the C++ compiler: a rebuild after a JS-only change
  // recompiles nothing (the CUDA kernels take minutes per architecture).
  const ccache = capture('sh', ['-c', 'command -v ccache']);
  if (ccache) {
    args.push(`--CDCMAKE_CXX_COMPILER_LAUNCHER=${ccache.trim()}`);
    if (nvcc) args.push(`--CDCMAKE_CUDA_COMPILER_LAUNCHER=${ccache.trim()}`);
  }
  // Use this Node's own headers when it ships them: a build never downloads.
  const env = { ...process.env };
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (!env.npm_config_nodedir && fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')))
    env.npm_config_nodedir = prefix;
  console.log(
    `prebuild: building with cmake-js, CUDA ${nvcc ? `on (${nvcc})` : 'off'}, Node headers from ${env.npm_config_nodedir || 'the cmake-js cache'}`,
  );
  const t0 = Date.now();
  run(process.execPath, args, { env });
  console.log(`prebuild: cmake-js build took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  const file = path.join(out, 'Release', 'nodetorch.node');
  if (!fs.existsSync(file)) fail(`the build did not produce ${file}`);
  return file;
}

function strip(file, o) {
  if (o.cross) run(`${o.cross.triple}-strip`, ['--strip-unneeded', file]);
  else if (process.platform === 'linux') run('strip', ['--strip-unneeded', file]);
  else if (process.platform === 'darwin') run('strip', ['-x', file]);
}

// Linux: shared libraries the binary needs and the newest symbol versions.
function linkReport(file) {
  if (process.platform !== 'linux') return null;
  const dyn = capture('readelf', ['-d', file]) || '';
  const needed = [...dyn.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
  const syms = capture('objdump', ['-T', file]) || '';
  const newest = (prefix) => {
    const vs = [...new Set([...syms.matchAll(new RegExp(`\\b${prefix}_([0-9.]+)\\b`, 'g'))].map((m) => m[1]))];
    vs.sort((a, b) => {
      const pa = a.split('.').map(Number),
        pb = b.split('.').map(Number);
      for (let i = 0; i < Math.max(pa.length, pb.length); i++)
        if ((pa[i] || 0) !== (pb[i] || 0)) return (pa[i] || 0) - (pb[i] || 0);
      return 0;
    });
    return vs.length ? `${prefix}_${vs[vs.length - 1]}` : null;
  };
  return { needed, glibc: newest('GLIBC'), glibcxx: newest('GLIBCXX') };
}

// Loads the binary in a fresh process: what it was built with. A cross build
// loads under emulation when an arm64 Node is at hand, else is not probed.
function probe(file, o) {
  const code =
    `const a=require(${JSON.stringify(file)});const b=a.buildInfo();const c=a.cudaStatus();` +
    `console.log(JSON.stringify({gemm:b.gemm,gemmDetail:b.gemmDetail,version:b.version,cuda:c.compiled,cudaReason:c.reason}))`;
  let cmd = process.execPath;
  let probeEnv = process.env;
  let args = ['-e', code];
  if (o.cross) {
    const emu = cross.emulator(o.cross);
    if (!emu.ok) {
      console.warn(`prebuild: warning: ${file} not loaded: ${emu.reason}`);
      return null;
    }
    [cmd, args] = [emu.cmd, [...emu.args, ...args]];
    probeEnv = emu.env;
  }
  const r = cp.spawnSync(cmd, args, { encoding: 'utf8', env: probeEnv });
  if (r.status !== 0) fail(`${file} does not load: ${(r.stderr || '').trim()}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  let src;
  if (o.from) {
    src = path.resolve(o.from);
    if (!fs.existsSync(src)) fail(`--from ${o.from}: no such file`);
  } else {
    src = build(o);
  }

  const libc = libcTag();
  const dir = path.join(root, 'prebuilds', `${process.platform}-${o.cross ? o.cross.arch : process.arch}`);
  const name = `${['nodetorch', 'napi', libc].filter(Boolean).join('.')}.node`;
  fs.mkdirSync(dir, { recursive: true });
  // One binary per platform folder: a stale one could win node-gyp-build's ranking.
  for (const f of fs.readdirSync(dir)) if (f.endsWith('.node')) fs.unlinkSync(path.join(dir, f));
  const dest = path.join(dir, name);
  fs.copyFileSync(src, dest);
  fs.chmodSync(dest, 0o755);
  if (o.strip) strip(dest, o);

  // Not probed (cross build, no emulator): the build mode still says dlopen.
  const info = probe(dest, o) || { gemm: 'not probed', gemmDetail: '', version: '', cuda: false };
  if (info.version && info.version !== pkg.version) {
    fail(`${src} reports version ${info.version}, package.json says ${pkg.version}: rebuild it`);
  }
  const needsBlas = process.platform === 'linux' && !o.allowFallback;
  // Under emulation OpenBLAS for the target is seldom installed: what matters
  // is that the binary looks for it at run time.
  const blasAtRunTime = /OpenBLAS not found/.test(info.gemmDetail || '');
  if (o.cross && !o.allowFallback && info.gemm !== 'openblas' && info.gemm !== 'not probed' && !blasAtRunTime)
    fail(`${src} was built without OpenBLAS at run time (GEMM: ${info.gemmDetail || info.gemm})`);
  if (o.cross) {
    // checked above
  } else if (info.gemm !== 'openblas') {
    const msg = `${src} was built without OpenBLAS (GEMM: ${info.gemm})`;
    if (needsBlas)
      fail(`${msg}; install libopenblas0 (opened at run time; the build needs no OpenBLAS) or pass --allow-fallback`);
    console.warn(`prebuild: warning: ${msg}`);
  }
  const link = linkReport(dest);
  if (link) {
    const bad = link.needed.filter((l) => /openblas|gfortran|cudart|cublas|cudnn|libcuda\b/.test(l));
    if (bad.length) fail(`${dest} needs ${bad.join(', ')} at load time; link them statically or load them with dlopen`);
  }

  // The CUDA plugin of the same build, for @nodetorch/linux-x64-cuda.
  const plugin = path.join(path.dirname(src), 'nodetorch-cuda.so');
  let cuda = null;
  if (!o.cross && fs.existsSync(plugin)) {
    const cudaDir = path.join(root, 'prebuilds', 'linux-x64-cuda');
    fs.mkdirSync(cudaDir, { recursive: true });
    cuda = path.join(cudaDir, 'nodetorch-cuda.so');
    fs.copyFileSync(plugin, cuda);
    if (o.strip) strip(cuda, o);
  }

  const size = fs.statSync(dest).size;
  const summary = {
    file: path.relative(root, dest),
    from: path.relative(root, src) || src,
    bytes: size,
    mib: +(size / (1 << 20)).toFixed(1),
    gemm: info.gemm,
    cuda: info.cuda,
    ...(link ? { needs: link.needed, glibc: link.glibc, glibcxx: link.glibcxx } : {}),
    ...(cuda
      ? { cudaPlugin: path.relative(root, cuda), cudaPluginMib: +(fs.statSync(cuda).size / (1 << 20)).toFixed(1) }
      : {}),
    node: `N-API (built on ${process.version}, ${os.platform()}-${os.arch()}${o.cross ? `, cross-compiled for ${o.cross.arch}` : ''})`,
  };
  console.log(JSON.stringify(summary, null, 2));
}

main();
