// Preloaded (NODE_OPTIONS=--require) into the arm64 Node that
// scripts/cross-arm64.js runs under qemu-user: a child started with
// process.execPath (jest's haste map and workers, tests that fork Node)
// would otherwise reach the kernel as an arm64 executable, which it runs only
// with binfmt_misc registered (not in containers). The child goes through the
// same emulator instead, and inherits this preload.
'use strict';
const cp = require('child_process');

const qemu = process.env.NT_CROSS_QEMU;
const sysroot = process.env.NT_CROSS_SYSROOT;

function rewrite(file, args) {
  if (!qemu || file !== process.execPath) return null;
  return [qemu, ['-L', sysroot, process.execPath, ...(args || [])]];
}

if (qemu && sysroot) {
  // Every asynchronous child (spawn, execFile, fork) ends in ChildProcess#spawn.
  const spawn = cp.ChildProcess.prototype.spawn;
  cp.ChildProcess.prototype.spawn = function spawnUnderQemu(options) {
    const r = rewrite(options.file, options.args?.slice(1));
    if (r) options = { ...options, file: r[0], args: [r[0], ...r[1]] };
    return spawn.call(this, options);
  };
  for (const name of ['spawnSync', 'execFileSync']) {
    const orig = cp[name];
    cp[name] = function underQemu(file, ...rest) {
      const [args, options] = rest;
      const r = rewrite(file, Array.isArray(args) ? args : []);
      if (r) return orig.call(this, r[0], r[1], Array.isArray(args) ? options : args);
      return orig.call(this, file, ...rest);
    };
  }
}
