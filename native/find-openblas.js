#!/usr/bin/env node
// How the addon reaches OpenBLAS, for binding.gyp and CMakeLists.txt:
//   find-openblas.js mode   "dlopen" (the default on Linux and macOS: opened at
//                           run time by soname, native/cpu/blas_dynload.cpp, so
//                           the build needs no OpenBLAS and the binary stays
//                           small), "static" (NODETORCH_BLAS=static: link
//                           libopenblas.a) or "fallback" (NODETORCH_BLAS=fallback,
//                           and Windows: the built-in GEMM only)
//   find-openblas.js lib|inc  static mode only: libopenblas.a and the folder of
//                           cblas.h, or an empty line when none is found
//                           (NODETORCH_OPENBLAS_DIR overrides the search).
'use strict';
const fs = require('fs');
const path = require('path');

function candidates() {
  const dirs = [];
  if (process.env.NODETORCH_OPENBLAS_DIR) dirs.push(process.env.NODETORCH_OPENBLAS_DIR);
  const multiarch = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' }[process.arch];
  if (multiarch) {
    dirs.push(`/usr/lib/${multiarch}/openblas-pthread`, `/usr/lib/${multiarch}`);
  }
  dirs.push(
    '/usr/lib64',
    '/usr/lib',
    '/usr/local/lib',
    '/opt/homebrew/opt/openblas/lib',
    '/usr/local/opt/openblas/lib',
  );
  return dirs;
}

function findHeader(libDir) {
  const multiarch = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' }[process.arch];
  const incs = [path.join(libDir, '..', 'include'), path.join(libDir, '..', '..', 'include')];
  if (multiarch) incs.unshift(`/usr/include/${multiarch}/openblas-pthread`, `/usr/include/${multiarch}`);
  incs.push('/usr/include/openblas', '/usr/include', '/usr/local/include');
  return incs.find((d) => fs.existsSync(path.join(d, 'cblas.h')));
}

function mode() {
  const want = process.env.NODETORCH_BLAS || '';
  if (want === 'fallback') return 'fallback';
  if (want === 'static') return find() ? 'static' : 'fallback';
  return process.platform === 'win32' ? 'fallback' : 'dlopen';
}

function find() {
  if (process.env.NODETORCH_BLAS !== 'static') return null;
  for (const dir of candidates()) {
    const lib = path.join(dir, 'libopenblas.a');
    if (!fs.existsSync(lib)) continue;
    const inc = findHeader(dir);
    if (inc) return { lib, inc };
  }
  return null;
}

const what = process.argv[2] || 'lib';
const found = find();
if (what === 'mode') process.stdout.write(mode());
else process.stdout.write(found ? (what === 'inc' ? found.inc : found.lib) : '');
process.stdout.write('\n');
