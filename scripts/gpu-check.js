#!/usr/bin/env node
'use strict';
// GPU check (see ../shared/GPU.md): loads the CUDA build of the addon, prints
// what it found, runs every kernel of NT_KERNEL_LIST on CUDA against its CPU
// twin (again with NODETORCH_CUDNN=0 for the non-cuDNN paths), times the copy
// ceiling, GEMM, fused CE, fused Adam, elementwise add and the seed MLP step,
// and, where PyTorch is importable, the same work in PyTorch; runs the NCCL
// check (gpu-check/nccl.js: one rank per GPU, every collective against its
// definition, all-reduce bandwidth against size). Last lines: a
// short table. Plain Node: only dist/ and Node's own modules (a guard below
// fails the run if anything resolves into node_modules).
//
// Exit codes: 0 all checks passed; 1 a check failed; 3 CUDA unavailable
// (nothing checked; the reason is the last line); 4 the script itself broke.
//
//   node scripts/gpu-check.js              the check (needs a CUDA device)
//   node scripts/gpu-check.js --self-test  CPU against CPU, small timings: tests this
//                                          script on a machine without a GPU
//   options: --no-bench  --no-torch  --seed N  --big-numel N (64-bit index check size)
//   env: NODETORCH_ADDON (default build-cuda/Release/nodetorch.node), OUT (log folder),
//        NODETORCH_CUDA_LIB_PATH (extra cuBLAS/cuDNN folders), PYTHON (default python3)
//
// ---- The GPU session, step by step -------------------------------------------
// In one command: `npm run gpu:prepare` here, carry [".gpu", "dist"], then
// `bash scripts/gpu-run.sh` there (timeout_s 540). By hand:
// On the build machine (no GPU needed), from the repository root:
//   grep -qx '/.gpu/' .git/info/exclude || echo '/.gpu/' >> .git/info/exclude
//   mkdir -p .gpu && xz -T2 -6 -c "$(command -v node)" > .gpu/node.xz           # ~24 MB
//   NT_CUDA_ARCHS=90-real flock /tmp/nodetorch-build.lock npx cmake-js rebuild --out build-cuda
//                                      # = `npm run build:cuda` for sm_90 only (H200), ~4 min on 2 cores
//   npx tsc -p tsconfig.build.json     # dist/ (`npm run build:ts` also writes the ESM entry)
//   xz -T2 -6 -c build-cuda/Release/nodetorch.node > .gpu/nodetorch.node.xz
//                                      # 80+ MB -> ~5 MB: carried files are limited to 64 MiB in all
//   node scripts/gpu-check.js --self-test && node scripts/gpu-check.js; echo "exit $?"   # here: exit 3 + reason
// On the GPU machine: run tool, carry [".gpu", "dist"] (scripts/ travels with the
// working tree; build-cuda is rebuilt from .gpu below), timeout_s 480:
//   set -o pipefail; xz -dc .gpu/node.xz > /tmp/node && chmod +x /tmp/node && export PATH=/tmp:$PATH
//   mkdir -p build-cuda/Release && xz -dc .gpu/nodetorch.node.xz > build-cuda/Release/nodetorch.node
//   nvidia-smi -L; timeout 30 find / -xdev \( -name 'libcublas.so*' -o -name 'libcudnn.so*' \) 2>/dev/null | head
//   node scripts/gpu-check.js 2>&1 | tee "$OUT/gpu-check-stdout.txt"
// The full log and a JSON of every row land in $OUT (gpu-check.log, gpu-check.json).
// --------------------------------------------------------------------------------
const { spawnSync } = require('child_process');
const fs = require('fs');
const Module = require('module');
const path = require('path');

const root = path.resolve(__dirname, '..');
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const SELF_TEST = flag('self-test');
const CHILD_NO_CUDNN = flag('child-no-cudnn');
const seedArg = argv.indexOf('--seed');
const SEED = seedArg >= 0 ? Number(argv[seedArg + 1]) : Date.now() % 1e9; // fresh inputs every run; printed

// No npm package may load: node_modules is not carried to the GPU machine.
const resolve = Module._resolveFilename;
Module._resolveFilename = function guarded(request, ...rest) {
  const file = resolve.call(this, request, ...rest);
  if (file.split(path.sep).includes('node_modules')) {
    throw new Error(`gpu-check runs on plain Node, but '${request}' resolved to ${file} (an npm package)`);
  }
  return file;
};

if (!process.env.NODETORCH_ADDON)
  process.env.NODETORCH_ADDON = path.join(root, 'build-cuda', 'Release', 'nodetorch.node');

const logLines = [];
function log(line = '') {
  logLines.push(line);
  process.stdout.write(`${line}\n`);
}
// Per-case lines go to the log file; only failures also reach stdout.
function logCase(line) {
  logLines.push(line);
  if (!line.startsWith('ok')) process.stdout.write(`${line}\n`);
}
function writeOut(name, text) {
  if (!process.env.OUT) return;
  try {
    fs.mkdirSync(process.env.OUT, { recursive: true });
    fs.writeFileSync(path.join(process.env.OUT, name), text);
  } catch (e) {
    process.stderr.write(`gpu-check: could not write ${name} under $OUT: ${e.message}\n`);
  }
}

function loadLib() {
  if (!fs.existsSync(path.join(root, 'dist', 'lib', 'index.js'))) {
    throw new Error(`${path.join(root, 'dist')} is missing: run \`npx tsc -p tsconfig.build.json\` and carry dist/`);
  }
  if (!fs.existsSync(process.env.NODETORCH_ADDON)) {
    throw new Error(
      `no addon at ${process.env.NODETORCH_ADDON}: build it (NT_CUDA_ARCHS=90-real npx cmake-js rebuild --out build-cuda) ` +
        'or unpack .gpu/nodetorch.node.xz there, or set NODETORCH_ADDON',
    );
  }
  const nt = require(path.join(root, 'dist', 'lib'));
  // The kernel launches, plus the allocator of uninitialised tensors (lib/tensor).
  const L = {
    ...require(path.join(root, 'dist', 'lib', 'kernels', 'launch')),
    ...require(path.join(root, 'dist', 'lib', 'kernels', 'batch_norm')),
    empty: require(path.join(root, 'dist', 'lib', 'tensor', 'tensor')).emptyTensor,
  };
  return { nt, L };
}

const P = require('./gpu-check/parity');
const B = require('./gpu-check/bench');
const S = require('./gpu-check/special_checks');
const N = require('./gpu-check/nccl');

// Elements of the 64-bit indexing check: above 2^31 on the GPU (8 GiB of
// float32); small in the self-test, where the CPU is not the code under test.
const bigArg = argv.indexOf('--big-numel');
const BIG_NUMEL = bigArg >= 0 ? Number(argv[bigArg + 1]) : SELF_TEST ? 2 ** 20 + 7 : 2 ** 31 + 1029;

/** The NODETORCH_CUDNN=0 pass, in a child (cuDNN is probed once per process). */
function runNoCudnnChild() {
  const r = spawnSync(
    process.execPath,
    [__filename, '--child-no-cudnn', '--seed', String(SEED + 1), ...(SELF_TEST ? ['--self-test'] : [])],
    {
      env: { ...process.env, NODETORCH_CUDNN: '0', OUT: '' },
      encoding: 'utf8',
      maxBuffer: 256 << 20,
      timeout: 240_000,
    },
  );
  for (const line of (r.stdout || '').split('\n'))
    if (line && !line.startsWith('@@ROWS ')) logLines.push(`  [no cuDNN] ${line}`);
  const last = (r.stdout || '').split('\n').find((l) => l.startsWith('@@ROWS '));
  if (!last) {
    const why = r.error
      ? r.error.message
      : `exit ${r.status}: ${(r.stderr || '').trim().split('\n').slice(-3).join(' | ')}`;
    return [
      { name: 'NODETORCH_CUDNN=0 pass', kernel: 'no-cuDNN run', pass: false, maxRel: 0, ratio: Infinity, detail: why },
    ];
  }
  return JSON.parse(last.slice(7)).map((row) => ({ ...row, ratio: row.ratio === null ? Infinity : row.ratio }));
}

/** The harness must catch unwritten and wrong elements (checked on any machine). */
function harnessSelfCheck(_nt, L) {
  const rows = [];
  const cmp = P.compare(Float64Array.of(1, 2, 3), Float64Array.of(1, NaN, 3.1), { atol: 1e-6, rtol: 1e-5 });
  rows.push({
    name: 'harness: detects unwritten/wrong elements',
    kernel: 'harness',
    pass: cmp.bad === 2 && cmp.unwritten === 1,
    maxRel: 0,
    ratio: 0,
    detail: JSON.stringify(cmp),
  });
  // A launch that writes only half its output must leave NaN in the other half.
  const out = L.empty([8], 'float32', 'cpu');
  L.kFill(out, NaN);
  L.kFill(out.narrow(0, 0, 4), 1);
  const v = Array.from(out.data());
  out.dispose();
  rows.push({
    name: 'harness: poison survives a partial write',
    kernel: 'harness',
    pass: v.slice(4).every(Number.isNaN) && v.slice(0, 4).every((x) => x === 1),
    maxRel: 0,
    ratio: 0,
    detail: '',
  });
  for (const r of rows) log(`${r.pass ? 'ok  ' : 'FAIL'} ${r.name}`);
  return rows;
}

/** PyTorch's time for the same work, or why there is none. */
function runTorch(sizes, device) {
  const python = process.env.PYTHON || 'python3';
  const r = spawnSync(python, [path.join(__dirname, 'gpu-check', 'torch_bench.py'), JSON.stringify(sizes), device], {
    encoding: 'utf8',
    timeout: 180_000,
    maxBuffer: 16 << 20,
  });
  const lines = (r.stdout || '').trim().split('\n');
  if (r.status === 0) {
    try {
      return JSON.parse(lines[lines.length - 1]);
    } catch {
      // fall through: report the output
    }
  }
  const why = r.error
    ? r.error.message
    : (r.stderr || '').trim().split('\n').slice(-2).join(' | ') || `exit ${r.status}`;
  return { error: `PyTorch not run (${python}): ${why}` };
}

const pad = (s, n) => String(s).padEnd(n);
const num = (v, unit) => (unit === 'ms/step' ? v.toFixed(3) : v >= 100 ? v.toFixed(0) : v.toFixed(2));

function deviceLine(nt) {
  const c = nt.cuda.info();
  if (!c.device) return `device: ${c.available ? '?' : 'none'} (self-test: CPU against CPU)`;
  const lib = (x) => (x ? `${x.version} (${x.path})` : 'not loaded');
  return (
    `device: ${c.device.name}, cc ${c.device.computeCapability}, ${(c.device.totalMemory / 2 ** 30).toFixed(0)} GiB, ` +
    `${c.device.multiProcessors} SMs; driver ${c.driverVersion}, runtime ${c.runtimeVersion}; cuBLAS ${lib(c.cublas)}; cuDNN ${lib(c.cudnn)}`
  );
}

function printTable(nt, kernels, noCudnn, bench, torch) {
  log('');
  log('==== gpu-check summary ====');
  log(deviceLine(nt));
  const other = new Map(noCudnn.map((k) => [k.kernel, k]));
  const verdict = (k) => (k ? (k.failed ? `FAIL (${k.failed}/${k.cases})` : 'pass') : '-');
  log(
    `${pad('kernel', 16)} | ${pad('cases', 5)} | ${pad('max rel err', 11)} | ${pad('err/tol', 7)} | ${pad('result', 12)} | NODETORCH_CUDNN=0`,
  );
  for (const k of kernels) {
    const o = other.get(k.kernel);
    log(
      `${pad(k.kernel, 16)} | ${pad(k.cases, 5)} | ${pad(k.maxRel.toExponential(2), 11)} | ${pad(P.fmtRatio(k.ratio), 7)} | ${pad(verdict(k), 12)} | ` +
        `${o ? `${verdict(o)}, err/tol ${P.fmtRatio(o.ratio)}` : '-'}`,
    );
  }
  for (const o of noCudnn)
    if (!kernels.some((k) => k.kernel === o.kernel))
      log(
        `${pad(o.kernel, 16)} | ${pad(o.cases, 5)} | ${pad('', 11)} | ${pad('', 7)} | ${pad('-', 12)} | ${verdict(o)}`,
      );
  if (!bench) return;
  const tv = torch?.values ? torch.values : null;
  log('');
  log(
    `${pad('benchmark', 52)} | ${pad('value', 16)} | ${pad('% of ceiling', 12)} | PyTorch${torch?.version ? ` ${torch.version}` : ''}`,
  );
  for (const b of bench) {
    const t = tv && tv[b.key] !== undefined ? `${num(tv[b.key], b.unit)} ${b.unit}` : tv ? '-' : 'n/a';
    log(
      `${pad(b.name, 52)} | ${pad(`${num(b.value, b.unit)} ${b.unit}`, 16)} | ${pad(b.pct === null ? '-' : `${b.pct.toFixed(0)}%`, 12)} | ${t}`,
    );
  }
  if (torch?.error) log(torch.error);
}

async function main() {
  const t0 = Date.now();
  const { nt, L } = loadLib();
  const device = SELF_TEST ? 'cpu' : 'cuda';

  if (CHILD_NO_CUDNN) {
    const rows = SELF_TEST || nt.cuda.isAvailable() ? P.runParity(nt, L, device, SEED, log) : [];
    if (!SELF_TEST) {
      const cudnn = nt.cuda.info().cudnn;
      rows.push({
        name: 'NODETORCH_CUDNN=0 disables cuDNN',
        kernel: 'no-cuDNN run',
        pass: cudnn === null,
        maxRel: 0,
        ratio: 0,
        detail: JSON.stringify(cudnn),
      });
    }
    process.stdout.write(
      `@@ROWS ${JSON.stringify(rows.map((r) => ({ ...r, ratio: Number.isFinite(r.ratio) ? r.ratio : null })))}\n`,
    );
    return 0;
  }

  log(`gpu-check ${new Date().toISOString()}  seed ${SEED}${SELF_TEST ? '  SELF-TEST (CPU against CPU)' : ''}`);
  log(`addon: ${process.env.NODETORCH_ADDON}`);
  const info = nt.info();
  log(`nt.info(): ${JSON.stringify(info)}`);
  log(`nt.cuda.info(): ${JSON.stringify(nt.cuda.info())}`);
  if (!SELF_TEST && !nt.cuda.isAvailable()) {
    const reason = nt.cuda.unavailableReason();
    writeOut('gpu-check.log', `${logLines.join('\n')}\nCUDA is not available: ${reason}\n`);
    log(`CUDA is not available: ${reason}`);
    return 3;
  }

  const rows = [...harnessSelfCheck(nt, L)];
  log(`\n---- kernel parity: ${device} against cpu ----`);
  const t1 = Date.now();
  rows.push(...P.runParity(nt, L, device, SEED, logCase));
  log(`(${rows.length} rows in ${((Date.now() - t1) / 1000).toFixed(1)} s)`);
  log('\n---- 64-bit indexing, out of memory, two threads, kernel coverage ----');
  const special = [
    S.bigTensor(nt, L, device, BIG_NUMEL),
    S.outOfMemory(nt, device),
    S.twoThreads(device),
    S.asyncReads(device),
    S.cudnnConv(nt, device),
  ];
  special.push(...S.coverage(info.kernels, [...rows, ...special]));
  for (const r of special) log(`${r.pass ? 'ok  ' : 'FAIL'} ${r.name}${r.detail ? `  (${r.detail})` : ''}`);
  rows.push(...special);

  log(`\n---- NCCL: every collective against its definition${flag('no-bench') ? '' : ', all-reduce bandwidth'} ----`);
  const nccl = await N.ncclCheck(nt, SELF_TEST, !flag('no-bench'), SEED, log);
  for (const r of nccl.rows) logCase(`${r.pass ? 'ok  ' : 'FAIL'} ${r.name}${r.detail ? `  (${r.detail})` : ''}`);
  log(`(${nccl.rows.length} rows, ${nccl.rows.filter((r) => !r.pass).length} failed)`);
  rows.push(...nccl.rows);

  let noCudnn = [];
  const cudnnLoaded = !SELF_TEST && nt.cuda.info().cudnn !== null;
  if (cudnnLoaded || SELF_TEST) {
    log('\n---- kernel parity again with NODETORCH_CUDNN=0 (child process) ----');
    noCudnn = runNoCudnnChild();
    for (const r of noCudnn) if (!r.pass) log(`FAIL [no cuDNN] ${r.name} ${r.detail}`);
    log(`(${noCudnn.length} rows, ${noCudnn.filter((r) => !r.pass).length} failed)`);
  } else {
    log("cuDNN is not loaded: the pass above already used nodetorch's own activation/softmax kernels");
  }

  let bench = null,
    torch = null;
  if (!flag('no-bench')) {
    log(`\n---- timings on ${device} ----`);
    const b = B.runBench(nt, L, device, SELF_TEST, log);
    bench = b.rows;
    if (!flag('no-torch')) {
      log('---- PyTorch, same work ----');
      torch = runTorch(b.sizes, device);
      log(torch.error ? torch.error : `PyTorch ${torch.version} on ${torch.device}: ${JSON.stringify(torch.values)}`);
    }
  }

  const kernels = P.summarize(rows);
  const failed = [...rows, ...noCudnn].filter((r) => !r.pass);
  writeOut(
    'gpu-check.json',
    JSON.stringify(
      { seed: SEED, info, cuda: nt.cuda.info(), rows, noCudnn, bench, torch, ncclBandwidth: nccl.bw },
      (_k, v) => (v === Infinity ? 'inf' : v),
      1,
    ),
  );
  printTable(nt, kernels, P.summarize(noCudnn), bench, torch);
  log(
    `${failed.length ? `FAILED: ${failed.length} of ${rows.length + noCudnn.length} checks` : `all ${rows.length + noCudnn.length} checks passed`}` +
      ` (seed ${SEED}, ${((Date.now() - t0) / 1000).toFixed(0)} s)`,
  );
  writeOut('gpu-check.log', `${logLines.join('\n')}\n`);
  return failed.length ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    log(`gpu-check broke: ${e?.stack && !/^Error: no addon at/.test(e.stack) ? e.stack : e?.message}`);
    writeOut('gpu-check.log', `${logLines.join('\n')}\n`);
    process.exitCode = 4;
  },
);
