#!/usr/bin/env node
// `prepare` (runs on `npm install` in a clone, and before `npm pack`): builds
// the CPU addon with node-gyp when no binary loads yet, so `npm install &&
// npm test` keeps working now that nodetorch has no install script. A binary
// that loads (build/Release, NODETORCH_ADDON, the platform package) is kept.
// `npm install --build-from-source` (npm_config_build_from_source=true) or
// NODETORCH_BUILD_FROM_SOURCE=1 forces the build. An installed package never
// runs this: npm runs `prepare` only for clones and links.
'use strict';
const cp = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const truthy = (v) => !!v && !/^(0|false|no|)$/i.test(v);
const force = truthy(process.env.npm_config_build_from_source) || truthy(process.env.NODETORCH_BUILD_FROM_SOURCE);

// Loads a binary in a child process: a crash there must not fail the install.
function loads(file) {
  const r = cp.spawnSync(process.execPath, ['-e', `require(${JSON.stringify(file)})`], { stdio: 'ignore' });
  return r.status === 0;
}

function existingBinary() {
  const candidates = [process.env.NODETORCH_ADDON, path.join(root, 'build', 'Release', 'nodetorch.node')].filter(
    Boolean,
  );
  try {
    const libc = fs.existsSync('/etc/alpine-release') ? '-musl' : '';
    const manifest = require.resolve(`@nodetorch/${process.platform}-${process.arch}${libc}/package.json`, {
      paths: [root],
    });
    candidates.push(path.join(path.dirname(manifest), 'nodetorch.node'));
  } catch {
    // no platform package: the build below makes one
  }
  return candidates.find((f) => fs.existsSync(f) && loads(f));
}

const found = force ? undefined : existingBinary();
if (found) {
  console.log(
    `ensure-addon: ${path.relative(root, found) || found} loads; not building (--build-from-source forces it)`,
  );
} else {
  console.log(`ensure-addon: ${force ? 'build from source requested' : 'no binary loads'}: node-gyp rebuild`);
  const gyp = require.resolve('node-gyp/bin/node-gyp.js', { paths: [root] });
  const r = cp.spawnSync(process.execPath, [gyp, 'rebuild'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(
      `ensure-addon: node-gyp rebuild ${r.error ? `could not start: ${r.error.message}` : `exited with ${r.status}`}`,
    );
    process.exit(1);
  }
}
