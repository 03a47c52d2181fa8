// Cross builds of the addon (scripts/prebuild.js --arch, scripts/cross-arm64.js):
// what each target needs here, and how to run its Node under emulation.
// linux-arm64 only, on a linux-x64 host with Debian's cross toolchain
// (gcc-aarch64-linux-gnu) and qemu-user.
'use strict';
const cp = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..', '..');

const arm64 = {
  arch: 'arm64',
  triple: 'aarch64-linux-gnu',
  toolchain: 'aarch64-linux-gnu.cmake',
  buildDir: 'build-arm64',
  // Apart from buildDir: cmake-js rebuild empties that.
  runtimeDir: 'build-arm64-runtime',
  qemu: ['qemu-aarch64', 'qemu-aarch64-static'],
  // Debian's libc6-arm64-cross / libstdc++6-arm64-cross: the target's /lib.
  targetLib: '/usr/aarch64-linux-gnu/lib',
};

/** Where setup puts the target's Node and its root file system. */
function runtimeDir(t) {
  return path.join(root, t.runtimeDir);
}

function which(names) {
  for (const n of names) {
    const r = cp.spawnSync('sh', ['-c', `command -v ${n}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  return null;
}

/**
 * The command that runs the target's Node: qemu-user with the runtime's root
 * (the cross libc plus OpenBLAS when setup found it), so `dlopen` of
 * libopenblas.so.0 behaves as on an arm64 Debian with libopenblas0.
 * { ok, cmd, args, reason }.
 */
function emulator(t) {
  const qemu = which(t.qemu);
  const dir = runtimeDir(t);
  const node = path.join(dir, 'node', 'bin', 'node');
  const sysroot = path.join(dir, 'root');
  if (!qemu) return { ok: false, reason: `${t.qemu.join(' / ')} not found (Debian: apt-get install qemu-user)` };
  if (!fs.existsSync(node))
    return { ok: false, reason: `no ${t.arch} Node at ${node} (run: node scripts/cross-${t.arch}.js setup)` };
  if (!fs.existsSync(path.join(sysroot, 'lib')))
    return { ok: false, reason: `no target root at ${sysroot} (run: node scripts/cross-${t.arch}.js setup)` };
  // Children started with process.execPath go through qemu as well (qemu-spawn.js).
  const preload = `--require ${path.join(__dirname, 'qemu-spawn.js')}`;
  const env = {
    ...process.env,
    NODE_OPTIONS: [process.env.NODE_OPTIONS, preload].filter(Boolean).join(' '),
    NT_CROSS_QEMU: qemu,
    NT_CROSS_SYSROOT: sysroot,
  };
  return { ok: true, cmd: qemu, args: ['-L', sysroot, node], env, reason: '' };
}

module.exports = { arm64, emulator, runtimeDir, which };
