#!/usr/bin/env node
// `npm run packages`: the npm packages of a release, laid out as sharp >= 0.33
// does (no install script; one optional package per platform):
//   nodetorch                 JavaScript, types, native sources for
//                             `npx nodetorch build-from-source`; its
//                             optionalDependencies pin every platform package
//                             to the same version
//   @nodetorch/<platform>     one CPU binary (nodetorch.node), with os / cpu /
//                             libc fields so npm installs only the one that fits
//   @nodetorch/linux-x64-cuda the CUDA kernels (nodetorch-cuda.so), opt-in;
//                             written only when a CUDA build is given
// The repository's own package.json lists no optionalDependencies: packages
// that are not published yet would break `npm ci`. They are added to the
// staged copy of nodetorch here.
//
//   node scripts/platform-packages.js                   stage into build-packages/
//   --from FILE          the CPU binary of this platform (default: prebuilds/<platform>/*.node,
//                        else build/Release/nodetorch.node)
//                        Other platforms: prebuilds/<platform>/*.node when there is one
//                        (linux-arm64 from `node scripts/cross-arm64.js build`)
//   --binary PLAT=FILE   the binary of another platform (CI: the artifacts), repeatable
//   --cuda-from FILE     nodetorch-cuda.so for @nodetorch/linux-x64-cuda (default:
//                        prebuilds/linux-x64-cuda/nodetorch-cuda.so when it exists)
//   --pack DIR           npm pack every package that has its binary into DIR
//   --no-strip           keep symbols
//   --json               print only the summary (JSON) on stdout
'use strict';
const cp = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const pkg = require(path.join(root, 'package.json'));
const out = path.join(root, 'build-packages');

/** Every package a release has: folder name, npm fields, the file it ships. */
const PLATFORMS = [
  { id: 'linux-x64', os: 'linux', cpu: 'x64', libc: 'glibc', file: 'nodetorch.node' },
  { id: 'linux-arm64', os: 'linux', cpu: 'arm64', libc: 'glibc', file: 'nodetorch.node' },
  { id: 'darwin-arm64', os: 'darwin', cpu: 'arm64', file: 'nodetorch.node' },
  { id: 'win32-x64', os: 'win32', cpu: 'x64', file: 'nodetorch.node' },
];
const CROSS_STRIP = { arm64: 'aarch64-linux-gnu-strip' };
const CUDA = { id: 'linux-x64-cuda', os: 'linux', cpu: 'x64', libc: 'glibc', file: 'nodetorch-cuda.so' };

function fail(msg) {
  console.error(`platform-packages: ${msg}`);
  process.exit(1);
}

function parseArgs(argv) {
  const o = { from: '', binaries: {}, cudaFrom: '', pack: '', strip: true, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) fail(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--from') o.from = value();
    else if (a === '--binary') {
      const [id, file] = value().split('=');
      if (!PLATFORMS.some((p) => p.id === id) || !file)
        fail(`--binary PLAT=FILE with PLAT one of ${PLATFORMS.map((p) => p.id).join(', ')}`);
      o.binaries[id] = file;
    } else if (a === '--cuda-from') o.cudaFrom = value();
    else if (a === '--pack') o.pack = value();
    else if (a === '--no-strip') o.strip = false;
    else if (a === '--json') o.json = true;
    else fail(`unknown option '${a}' (expected --from, --binary, --cuda-from, --pack, --no-strip, --json)`);
  }
  return o;
}

const hostId = `${process.platform}-${process.arch}`;

function prebuildOf(id) {
  const dir = path.join(root, 'prebuilds', id);
  const pre = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.node')) : [];
  return pre.length === 1 ? path.join(dir, pre[0]) : '';
}

// This platform's binary when none is named: the prebuild, else the node-gyp build.
function defaultBinary() {
  const pre = prebuildOf(hostId);
  if (pre) return pre;
  const built = path.join(root, 'build', 'Release', 'nodetorch.node');
  return fs.existsSync(built) ? built : '';
}

function manifest(p, extra = {}) {
  const name = `@nodetorch/${p.id}`;
  return {
    name,
    version: pkg.version,
    description: `nodetorch's ${p.id === CUDA.id ? 'CUDA kernels' : 'native addon'} for ${p.id} (installed by nodetorch as needed)`,
    license: pkg.license,
    homepage: pkg.homepage,
    repository: pkg.repository,
    os: [p.os],
    cpu: [p.cpu],
    ...(p.libc ? { libc: [p.libc] } : {}),
    files: [p.file],
    // Yarn PnP: a binary cannot load from a zip.
    preferUnplugged: true,
    ...extra,
  };
}

function writePackage(p, binary, strip, extra) {
  const dir = path.join(out, '@nodetorch', p.id);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(manifest(p, extra), null, 2)}\n`);
  fs.copyFileSync(path.join(root, 'LICENSE'), path.join(dir, 'LICENSE'));
  fs.writeFileSync(
    path.join(dir, 'README.md'),
    `# @nodetorch/${p.id}\n\n${manifest(p).description}. Install \`nodetorch\`, not this package.\n`,
  );
  if (!binary) return { name: `@nodetorch/${p.id}`, dir, binary: null };
  if (!fs.existsSync(binary)) fail(`${binary}: no such file`);
  const dest = path.join(dir, p.file);
  fs.copyFileSync(binary, dest);
  fs.chmodSync(dest, 0o755);
  if (strip && p.os === process.platform && process.platform === 'linux') {
    // Another CPU's binary needs its binutils (cross builds are stripped already).
    const tool = p.cpu === process.arch ? 'strip' : CROSS_STRIP[p.cpu];
    const found = tool && cp.spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
    if (found) {
      const r = cp.spawnSync(tool, ['--strip-unneeded', dest], { stdio: 'inherit' });
      if (r.status !== 0) fail(`${tool} ${dest} failed`);
    }
  }
  return { name: `@nodetorch/${p.id}`, dir, binary: dest };
}

// nodetorch itself, staged with its optionalDependencies pinned; the files
// are copied (npm pack skips symbolic links).
function writeMain(cudaStaged) {
  const dir = path.join(out, 'nodetorch');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const staged = { ...pkg };
  staged.optionalDependencies = Object.fromEntries(PLATFORMS.map((p) => [`@nodetorch/${p.id}`, pkg.version]));
  // Clone-only scripts: an installed package runs none of them.
  staged.scripts = {};
  delete staged.devDependencies;
  if (cudaStaged) staged.peerDependenciesMeta = { [`@nodetorch/${CUDA.id}`]: { optional: true } };
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(staged, null, 2)}\n`);
  for (const entry of pkg.files.filter((f) => !f.startsWith('!'))) {
    const src = path.join(root, entry);
    if (!fs.existsSync(src) || /^prebuilds\/?$/.test(entry)) continue;
    fs.cpSync(src, path.join(dir, entry), {
      recursive: true,
      filter: (f) => !f.endsWith('.map'),
    });
  }
  return { name: 'nodetorch', dir, binary: null };
}

// Size of a folder's files, what `npm pack` reports as unpacked (close enough:
// npm adds nothing but its own package.json normalisation).
function folderBytes(dir) {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const f = path.join(dir, e.name);
    n += e.isDirectory() ? folderBytes(f) : fs.statSync(f).size;
  }
  return n;
}

function pack(dir, dest) {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = cp.spawnSync(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', dest], {
    cwd: dir,
    encoding: 'utf8',
    shell: process.platform === 'win32',
  });
  if (r.status !== 0) fail(`npm pack in ${dir} failed: ${r.stderr}`);
  const info = JSON.parse(r.stdout.slice(r.stdout.indexOf('[')))[0];
  return {
    tarball: path.join(dest, info.filename),
    unpackedSize: info.unpackedSize,
    packedSize: info.size,
    files: info.files.map((f) => f.path),
  };
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  const log = o.json ? () => {} : (m) => console.log(m);
  const binaries = { ...o.binaries };
  const cudaPrebuild = path.join(root, 'prebuilds', CUDA.id, CUDA.file);
  if (!o.cudaFrom && hostId === 'linux-x64' && fs.existsSync(cudaPrebuild)) o.cudaFrom = cudaPrebuild;
  if (PLATFORMS.some((p) => p.id === hostId) && !binaries[hostId]) binaries[hostId] = o.from || defaultBinary();
  for (const p of PLATFORMS) if (!binaries[p.id] && p.id !== hostId) binaries[p.id] = prebuildOf(p.id);
  fs.mkdirSync(out, { recursive: true });
  const staged = PLATFORMS.map((p) => writePackage(p, binaries[p.id], o.strip));
  if (o.cudaFrom) {
    // The CUDA kernels need this version's CPU addon, which loads them.
    staged.push(writePackage(CUDA, o.cudaFrom, o.strip, { dependencies: { '@nodetorch/linux-x64': pkg.version } }));
  } else {
    writePackage(CUDA, '', o.strip);
  }
  staged.unshift(writeMain(!!o.cudaFrom));
  if (o.pack) fs.mkdirSync(o.pack, { recursive: true });
  const summary = staged.map((s) => {
    const row = { name: s.name, dir: path.relative(root, s.dir), unpackedBytes: folderBytes(s.dir) };
    if (s.binary) row.binary = path.basename(s.binary);
    const packable = s.name === 'nodetorch' || s.binary;
    if (!packable) row.note = 'manifest only: no binary given for this platform';
    else if (o.pack) Object.assign(row, pack(s.dir, path.resolve(o.pack)));
    log(
      `${s.name.padEnd(26)} ${(row.unpackedBytes / (1 << 20)).toFixed(2).padStart(7)} MiB  ${row.binary || row.note || ''}`,
    );
    return row;
  });
  if (o.json) console.log(JSON.stringify(summary, null, 2));
}

main();
