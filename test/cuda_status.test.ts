// CUDA status and device semantics. On a machine without a GPU: the CPU addon
// without nodetorch-cuda.so names every file it tried, exactly; the CUDA build (build-cuda/, loaded in a
// child process through NODETORCH_ADDON) loads, names the missing driver,
// raises typed errors for CUDA tensors and trains on the CPU unchanged. The
// device rules (mixed devices, model.to, optimizers following their
// parameters, save, DataLoader) are checked here through their error paths and
// CPU behaviour, and on CUDA too when it is available.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { native } from '../lib/kernels/native';
import * as nt from '../lib';
import { Storage } from '../lib/tensor/storage';
import { Tensor } from '../lib/tensor/tensor';
import { DEVICES, expectError, values } from './helpers';

const ROOT = path.resolve(__dirname, '..');
const CUDA_BUILD = path.join(ROOT, 'build-cuda', 'Release', 'nodetorch.node');
const DIST = path.join(ROOT, 'dist', 'lib', 'index.js');
const CUDA = nt.cuda.isAvailable();
// What the CPU addon says when no nodetorch-cuda.so is next to it (or in the
// sibling @nodetorch/linux-x64-cuda package): every file tried, one line.
const ADDON_DIR = path.dirname(nt.info().binary.path);
// Only x64 has a CUDA package to name (linux-arm64: source builds only).
const NOT_COMPILED =
  (process.arch === 'x64'
    ? 'CUDA support is not installed: `npm install @nodetorch/linux-x64-cuda` (same version as nodetorch), ' +
      'or build it with `npm run build:cuda`. Tried: '
    : 'CUDA support is not installed: no CUDA package is published for this CPU (only @nodetorch/linux-x64-cuda); ' +
      'build it from source with `npm run build:cuda`. Tried: ') +
  `${ADDON_DIR}/nodetorch-cuda.so: missing; ${ADDON_DIR}/../linux-x64-cuda/nodetorch-cuda.so: missing`;

/** True when the dynamic loader can find the NVIDIA driver library. */
function driverPresent(): boolean {
  const dirs = [
    '/usr/lib/x86_64-linux-gnu',
    '/usr/lib64',
    '/usr/lib',
    '/usr/local/nvidia/lib64',
    '/usr/lib/wsl/lib',
    ...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean),
  ];
  if (dirs.some((d) => fs.existsSync(path.join(d, 'libcuda.so.1')))) return true;
  const r = spawnSync('ldconfig', ['-p'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('libcuda.so.1');
}

// A few CPU training steps of a small MLP; the same in every build.
const TRAIN = `
  nt.manualSeed(0);
  const model = new nt.nn.Sequential(new nt.nn.Linear(8, 16), new nt.nn.ReLU(), new nt.nn.Linear(16, 3));
  const opt = new nt.optim.Adam(model.parameters(), { lr: 0.05 });
  const x = nt.randn([32, 8]), y = nt.randint(0, 3, [32]);
  const losses = [];
  for (let i = 0; i < 5; ++i) {
    opt.zeroGrad();
    const loss = nt.nn.functional.crossEntropy(model.forward(x), y);
    loss.backward();
    opt.step();
    losses.push(loss.item());
  }
  out.losses = losses;
  out.devices = [...model.parameters()].map((p) => p.device);
`;

interface ChildReport {
  compiled: boolean;
  available: boolean;
  reason: string;
  deviceCount: number;
  infoReason: string;
  toCuda:
    | { name: string; isCuda: boolean; isNative: boolean; isNotCompiled: boolean; isDevice: boolean; message: string }
    | string;
  creation: string;
  moduleTo: string;
  paramsAfterFailedTo: string[];
  losses: number[];
  devices: string[];
}

/** Runs the status probe + training step in a fresh Node with NODETORCH_ADDON=addon (compiled dist/). */
function childReport(addon: string): ChildReport {
  const script = `
    const nt = require(${JSON.stringify(DIST)});
    const out = {};
    const st = nt.info().cuda;
    Object.assign(out, { compiled: st.compiled, available: nt.cuda.isAvailable(), reason: nt.cuda.unavailableReason(),
      deviceCount: nt.cuda.deviceCount(), infoReason: nt.cuda.info().reason });
    try { nt.zeros([2]).to('cuda'); out.toCuda = 'no error'; } catch (e) {
      out.toCuda = { name: e.constructor.name, isCuda: e instanceof nt.CudaError, isNative: e instanceof nt.NativeError,
        isNotCompiled: e instanceof nt.NotCompiledError, isDevice: e instanceof nt.DeviceError, message: e.message };
    }
    try { nt.zeros([2], { device: 'cuda' }); out.creation = 'no error'; } catch (e) { out.creation = e.constructor.name + ': ' + e.message; }
    const lin = new nt.nn.Linear(2, 2);
    try { lin.to('cuda'); out.moduleTo = 'no error'; } catch (e) { out.moduleTo = e.constructor.name; }
    out.paramsAfterFailedTo = [...lin.parameters()].map((p) => p.device + ':' + p.isDisposed);
    ${TRAIN}
    process.stdout.write(JSON.stringify(out));
  `;
  const r = spawnSync(process.execPath, ['-e', script], {
    env: { ...process.env, NODETORCH_ADDON: addon, NODETORCH_QUIET: '1' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`child with ${addon} failed (exit ${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as ChildReport;
}

describe('CUDA status of this process', () => {
  const st = nt.info().cuda;

  it('is consistent across info(), nt.cuda.* and nt.cuda.info()', () => {
    expect(nt.cuda.isAvailable()).toBe(st.available);
    expect(nt.cuda.deviceCount()).toBe(st.deviceCount);
    expect(nt.cuda.unavailableReason()).toBe(st.reason);
    expect(nt.cuda.info().compiled).toBe(st.compiled);
    if (st.available) {
      expect(st.reason).toBe('');
      expect(st.deviceCount).toBeGreaterThan(0);
    } else {
      expect(st.deviceCount).toBe(0);
      expect(st.reason.length).toBeGreaterThan(20);
    }
  });

  (st.compiled ? it.skip : it)(
    'CPU addon without the CUDA plugin: names the files tried, throws NotCompiledError',
    () => {
      expect(nt.cuda.unavailableReason()).toBe(NOT_COMPILED);
      expect(nt.cuda.info()).toMatchObject({ compiled: false, available: false, reason: NOT_COMPILED, deviceCount: 0 });
      expectError(() => nt.zeros([2]).to('cuda'), nt.NotCompiledError, NOT_COMPILED);
      expectError(() => nt.zeros([2], { device: 'cuda' }), nt.NotCompiledError, NOT_COMPILED);
      expectError(() => nt.cuda.synchronize(), nt.NotCompiledError, NOT_COMPILED);
      expect(() => nt.cuda.emptyCache()).not.toThrow();
      nt.backends.cuda.matmul.allowTF32 = true; // a no-op without CUDA, never an error
      nt.backends.cuda.matmul.allowTF32 = false;
    },
  );

  (st.compiled && !st.available && !driverPresent() ? it : it.skip)(
    'CUDA build without a driver: the reason names libcuda.so.1',
    () => {
      expect(nt.cuda.unavailableReason()).toMatch(
        /^no NVIDIA driver: libcuda\.so\.1 could not be loaded \(libcuda\.so\.1: cannot open shared object file: No such file or directory\); cudaGetDeviceCount: /,
      );
      expectError(
        () => nt.zeros([2]).to('cuda'),
        nt.CudaError,
        `CUDA is not available: ${nt.cuda.unavailableReason()}`,
      );
    },
  );
});

describe('the CUDA build on this machine (child process)', () => {
  const have = fs.existsSync(CUDA_BUILD) && fs.existsSync(DIST);
  const skipWhy = !fs.existsSync(CUDA_BUILD)
    ? `no ${CUDA_BUILD}`
    : !fs.existsSync(DIST)
      ? 'no dist/ (npx tsc -p tsconfig.build.json)'
      : '';
  let report: ChildReport;
  let cpuReport: ChildReport;
  beforeAll(() => {
    if (!have) return;
    report = childReport(CUDA_BUILD);
    cpuReport = childReport(path.join(ROOT, 'build', 'Release', 'nodetorch.node'));
  });

  (have ? it : it.skip)(
    `loads, reports CUDA compiled, and states why it is unavailable${skipWhy ? ` (skipped: ${skipWhy})` : ''}`,
    () => {
      expect(report.compiled).toBe(true);
      expect(report.infoReason === null ? '' : report.infoReason).toBe(report.reason);
      if (report.available) {
        expect(report.deviceCount).toBeGreaterThan(0);
        return;
      }
      expect(report.deviceCount).toBe(0);
      if (!driverPresent()) {
        expect(report.reason).toMatch(
          /^no NVIDIA driver: libcuda\.so\.1 could not be loaded \(libcuda\.so\.1: cannot open shared object file: No such file or directory\); cudaGetDeviceCount: CUDA driver version is insufficient for CUDA runtime version \(cudaErrorInsufficientDriver\)$/,
        );
      }
    },
  );

  (have ? it : it.skip)(
    'CUDA tensors raise CudaError (a NativeError) naming the reason; module.to leaves the model intact',
    () => {
      if (report.available) return;
      // The class decision: "CUDA unavailable" comes from the native layer at every
      // entry point (alloc, fromArray, transfer, synchronize) as CudaError in a
      // CUDA build and NotCompiledError in a CPU build; DeviceError is kept for
      // tensors on different devices (a bug in the caller's code).
      expect(report.toCuda).toEqual({
        name: 'CudaError',
        isCuda: true,
        isNative: true,
        isNotCompiled: false,
        isDevice: false,
        message: `CUDA is not available: ${report.reason}`,
      });
      expect(report.creation).toBe(`CudaError: CUDA is not available: ${report.reason}`);
      expect(report.moduleTo).toBe('CudaError');
      expect(report.paramsAfterFailedTo).toEqual(['cpu:false', 'cpu:false']);
    },
  );

  (have ? it : it.skip)('trains on the CPU exactly as the CPU build does', () => {
    expect(report.devices.every((d) => d === 'cpu')).toBe(true);
    expect(report.losses[4]).toBeLessThan(report.losses[0]);
    report.losses.forEach((l, i) =>
      expect(Math.abs(l - cpuReport.losses[i])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(l))),
    );
  });
});

describe('scripts/gpu-check.js on this machine', () => {
  const script = path.join(ROOT, 'scripts', 'gpu-check.js');
  const run = (args: string[], addon?: string): { status: number | null; out: string } => {
    const env: NodeJS.ProcessEnv = { ...process.env, OUT: '' };
    if (addon) env.NODETORCH_ADDON = addon;
    else delete env.NODETORCH_ADDON;
    const r = spawnSync(process.execPath, [script, ...args], { env, encoding: 'utf8', timeout: 300_000 });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  };
  const haveDist = fs.existsSync(DIST);

  (haveDist && !CUDA ? it : it.skip)(
    'without CUDA: exits 3 with the exact unavailableReason() as its last line',
    () => {
      const addon = fs.existsSync(CUDA_BUILD) ? CUDA_BUILD : path.join(ROOT, 'build', 'Release', 'nodetorch.node');
      const r = run([], addon);
      const reason =
        addon === CUDA_BUILD ? childReport(CUDA_BUILD).reason : NOT_COMPILED.split(ADDON_DIR).join(path.dirname(addon));
      expect(r.out.trim().split('\n').pop()).toBe(`CUDA is not available: ${reason}`);
      expect(r.status).toBe(3);
    },
  );

  (haveDist ? it : it.skip)(
    '--self-test: the whole harness CPU against CPU, loading no npm package',
    () => {
      const r = run(
        ['--self-test', '--no-bench', '--seed', '7'],
        path.join(ROOT, 'build', 'Release', 'nodetorch.node'),
      );
      expect(r.out).toMatch(/^all \d+ checks passed \(seed 7, /m);
      expect(r.out).toMatch(/^harness +\| 2 /m);
      expect(r.out).not.toMatch(/FAIL|broke|npm package/);
      expect(r.status).toBe(0);
    },
    300_000,
  );
});

// A tensor that claims to live on cuda while its storage is a CPU buffer: lets
// the TypeScript device checks run on a machine without a GPU. Only for
// checks that must throw before any kernel runs.
function fakeCuda(shape: number[]): nt.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  return new Tensor(new Storage(native.alloc(0, 0, n), 'cuda', 'float32', n), shape, strides, 0);
}

describe('device rules (error paths on every machine)', () => {
  const both = /expected all tensors on the same device, got .*(cpu.*cuda|cuda.*cpu)/;

  it('ops on tensors of different devices raise DeviceError naming the op and both devices', () => {
    const c = nt.ones([2, 2]);
    const g = fakeCuda([2, 2]);
    expectError(() => nt.add(c, g), nt.DeviceError, /^add: .*/);
    expectError(() => nt.add(c, g), nt.DeviceError, both);
    expectError(() => nt.mul(g, c), nt.DeviceError, both);
    expectError(() => nt.matmul(c, g), nt.DeviceError, /^matmul: /);
    expectError(() => nt.matmul(c, g), nt.DeviceError, both);
    expectError(() => nt.where(nt.ones([2, 2]).gt(0), c, g), nt.DeviceError, both);
    expectError(() => nt.cat([c, g]), nt.DeviceError, both);
    expectError(
      () => nt.indexSelect(c, 0, nt.tensor([0], { dtype: 'int64', device: 'cpu' }).to('cpu')).add(g),
      nt.DeviceError,
      both,
    );
    expectError(() => nt.nn.functional.crossEntropy(g, nt.tensor([0, 1], { dtype: 'int64' })), nt.DeviceError, both);
    const lin = new nt.nn.Linear(2, 2);
    expectError(() => lin.forward(g), nt.DeviceError, both);
  });

  it('an optimizer refuses a gradient on another device than its parameter', () => {
    const p = nt.zeros([2, 2]).requiresGrad_();
    p.grad = fakeCuda([2, 2]);
    const opt = new nt.optim.SGD([p], { lr: 0.1 });
    expectError(() => opt.step(), nt.DeviceError, "SGD.step: a gradient on the parameter's device (cpu), got cuda");
  });

  it("x.cpu() of a CPU tensor is x itself; to('cpu') too; unknown devices are ArgumentErrors", () => {
    const x = nt.ones([3]);
    expect(x.cpu()).toBe(x);
    expect(x.to('cpu')).toBe(x);
    expectError(() => x.to('gpu' as nt.Device), nt.ArgumentError, "to: device must be 'cpu' or 'cuda', got \"gpu\"");
    expectError(
      () => new nt.nn.Linear(1, 1).to('cuda:1' as nt.Device),
      nt.ArgumentError,
      "Module.to: device must be 'cpu' or 'cuda', got \"cuda:1\"",
    );
  });

  it('optimizer state follows its parameters when model.to() changes them after a step (dtype here, device on CUDA)', () => {
    nt.manualSeed(1);
    const model = new nt.nn.Linear(3, 2);
    const opt = new nt.optim.Adam(model.parameters(), { lr: 0.1, amsgrad: true });
    const x = nt.randn([4, 3]);
    const step = (): void =>
      nt.scope(() => {
        opt.zeroGrad();
        model.forward(x.to(model.weight.dtype)).square().sum().backward();
        opt.step();
      });
    step();
    const before = values(model.weight);
    model.to('float64');
    step();
    for (const s of opt.state.values()) {
      for (const v of Object.values(s)) if (v instanceof nt.Tensor) expect(v.dtype).toBe('float64');
      expect(s.step).toBe(2);
    }
    expect(values(model.weight)).not.toEqual(before);
  });

  it('DataLoader batches of a CPU dataset stay on the CPU', () => {
    const ds = new nt.data.TensorDataset(nt.randn([10, 3]), nt.randint(0, 2, [10]));
    for (const [xb, yb] of new nt.data.DataLoader(ds, { batchSize: 4 })) {
      expect(xb.device).toBe('cpu');
      expect(yb.device).toBe('cpu');
    }
  });
});

describe.each(DEVICES)('device rules on %s', (device) => {
  it('model.to(device) moves parameters in place; an optimizer made before or after follows', () => {
    nt.manualSeed(2);
    const model = new nt.nn.Sequential(new nt.nn.Linear(4, 8), new nt.nn.ReLU(), new nt.nn.Linear(8, 2));
    const params = [...model.parameters()];
    const early = new nt.optim.Adam(model.parameters(), { lr: 0.01 });
    expect(model.to(device)).toBe(model);
    const after = [...model.parameters()];
    after.forEach((p, i) => {
      expect(p).toBe(params[i]); // same objects: optimizers keep working
      expect(p.device).toBe(device);
    });
    const late = new nt.optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
    const x = nt.randn([5, 4], { device }),
      y = nt.randint(0, 2, [5], { device });
    for (const opt of [early, late]) {
      nt.scope(() => {
        opt.zeroGrad();
        nt.nn.functional.crossEntropy(model.forward(x), y).backward();
        opt.step();
      });
      for (const s of opt.state.values())
        for (const v of Object.values(s)) if (v instanceof nt.Tensor) expect(v.device).toBe(device);
    }
    if (device !== 'cpu') {
      // Back to the CPU: parameters and optimizer state follow again.
      model.to('cpu');
      nt.scope(() => {
        early.zeroGrad();
        nt.nn.functional.crossEntropy(model.forward(x.cpu()), y.cpu()).backward();
        early.step();
      });
      for (const s of early.state.values())
        for (const v of Object.values(s)) if (v instanceof nt.Tensor) expect(v.device).toBe('cpu');
    }
  });

  it('nt.save copies tensors to the host; load puts them on the requested device', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nt-dev-')), 'w.safetensors');
    const w = nt.randn([3, 5], { device });
    nt.save({ w }, file);
    const back = nt.load(file);
    expect(back.w.device).toBe('cpu');
    expect(values(back.w)).toEqual(values(w));
    const onDev = nt.load(file, { device });
    expect(onDev.w.device).toBe(device);
    expect(values(onDev.w)).toEqual(values(w));
  });

  it('x.cuda() / x.cpu() round trip keeps values and dtype', () => {
    if (device === 'cpu') return; // covered above without CUDA
    const x = nt.randn([31, 7], { dtype: 'float64' });
    const g = x.cuda();
    expect(g.device).toBe('cuda');
    expect(g.dtype).toBe('float64');
    expect(g.cuda()).toBe(g);
    expect(values(g.cpu())).toEqual(values(x));
  });
});

if (!CUDA) {
  // Printed once so a run without a GPU says why its CUDA rows did not run.
  console.log(`cuda_status: CUDA rows skipped: ${nt.cuda.unavailableReason()}`);
}
