#!/usr/bin/env node
// Prints the directory holding a static, thread-enabled OpenBLAS (libopenblas.a
// and cblas.h) or an empty line when none is found. Used by binding.gyp and
// CMakeLists.txt; NODETORCH_OPENBLAS_DIR overrides the search, and
// NODETORCH_BLAS=fallback disables OpenBLAS.
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

function find() {
  if (process.env.NODETORCH_BLAS === 'fallback') return null;
  for (const dir of candidates()) {
    const lib = path.join(dir, 'libopenblas.a');
    if (!fs.existsSync(lib)) continue;
    const inc = findHeader(dir);
    if (inc) return { lib, inc };
  }
  return null;
}

const found = find();
const what = process.argv[2] || 'lib';
process.stdout.write(found ? (what === 'inc' ? found.inc : found.lib) : '');
process.stdout.write('\n');
