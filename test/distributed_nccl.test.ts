// The nccl backend without a GPU (issue 16): why it is unavailable, exactly
// (no CUDA plugin / no CUDA device / libnccl.so.2 missing, incomplete or too
// old), initProcessGroup raising that reason, and the typed error for a
// tensor on the wrong device for its backend. How libnccl.so.2 is found and
// judged is checked against stub libraries (test/fixtures/nccl_stub_lib.c,
// built here with cc) through the CUDA build (build-cuda/, or NODETORCH_ADDON
// when it is one), which loads NCCL without a device. The collectives
// themselves run in scripts/gpu-check (the 1-rank NCCL check) on a GPU.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import * as nt from '../lib';
import { checkBackendDevice } from '../lib/distributed/collectives';
import { cudaBuildAddon, HAVE_CC } from './cuda_build';

const ROOT = path.resolve(__dirname, '..');
const REGISTER = path.join(ROOT, 'test/reliability/children/ts_register.js');

const CUDA_ADDON = cudaBuildAddon();
const withCudaBuild = CUDA_ADDON && HAVE_CC ? test : test.skip;
const why = !CUDA_ADDON ? ' (skipped: no CUDA build of the addon)' : !HAVE_CC ? ' (skipped: no cc)' : '';

/** The library's nccl status in a fresh process with `env` added. */
function ncclStatus(env: Record<string, string>, addon?: string): { available: boolean; reason: string; init: string } {
  const code = `
    const nt = require(${JSON.stringify(path.join(ROOT, 'lib'))});
    let init = '';
    try { nt.distributed.initProcessGroup({ backend: 'nccl' }); } catch (e) { init = e.constructor.name + ': ' + e.message; }
    process.stdout.write(JSON.stringify({
      available: nt.distributed.isAvailable('nccl'),
      reason: nt.distributed.unavailableReason('nccl'),
      init,
    }));`;
  const r = spawnSync(process.execPath, ['-r', REGISTER, '-e', code], {
    encoding: 'utf8',
    env: { ...process.env, ...(addon ? { NODETORCH_ADDON: addon } : {}), ...env },
    timeout: 60_000,
  });
  if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe('nccl backend: availability', () => {
  test('unavailable here, with the reason, which initProcessGroup raises as a DistributedError', () => {
    expect(nt.distributed.isAvailable('nccl')).toBe(false);
    const reason = nt.distributed.unavailableReason('nccl');
    if (nt.cuda.info().compiled) expect(reason).toMatch(/^no usable CUDA device: /);
    else expect(reason).toMatch(/^the CUDA plugin is not available: CUDA support is not installed/);
    expect(() => nt.distributed.initProcessGroup({ backend: 'nccl' })).toThrow(nt.DistributedError);
    expect(() => nt.distributed.initProcessGroup({ backend: 'nccl' })).toThrow(reason.slice(0, 60));
    expect(nt.distributed.isInitialized()).toBe(false);
  });

  test('a missing CUDA plugin is named with the file tried', () => {
    const s = ncclStatus({ NODETORCH_CUDA_LIB: '/nonexistent/nccl-test/nodetorch-cuda.so' });
    expect(s.available).toBe(false);
    if (nt.cuda.info().compiled) {
      // A plugin next to the addon is found after the missing file.
      expect(s.reason).toMatch(/^no usable CUDA device/);
    } else {
      expect(s.reason).toMatch(/CUDA plugin is not available/);
      expect(s.reason).toContain('/nonexistent/nccl-test/nodetorch-cuda.so: missing');
    }
    expect(s.init).toMatch(/^DistributedError: .*the nccl backend cannot run here: /);
  });

  withCudaBuild(`with the CUDA plugin and no device, the reason is the device's${why}`, () => {
    const s = ncclStatus({ CUDA_VISIBLE_DEVICES: '' }, CUDA_ADDON as string);
    expect(s.available).toBe(false);
    expect(s.reason).toMatch(/^no usable CUDA device: /);
    expect(s.init).toContain(s.reason);
  });
});

describe('nccl backend: finding libnccl.so.2', () => {
  let tmp = '';
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nt-nccl-'));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  function stub(name: string, defines: string[]): string {
    const dir = path.join(tmp, name);
    fs.mkdirSync(dir, { recursive: true });
    const r = spawnSync(
      'cc',
      [
        '-shared',
        '-fPIC',
        ...defines.map((d) => `-D${d}`),
        '-Wl,-soname,libnccl.so.2',
        '-o',
        path.join(dir, 'libnccl.so.2'),
        path.join(ROOT, 'test', 'fixtures', 'nccl_stub_lib.c'),
      ],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`cc failed: ${r.stderr}`);
    return dir;
  }

  /** distNcclLibrary() of the CUDA build in a child whose only NCCL is in `dir`. */
  function library(dir: string): { path: string | null; version: string | null; error: string | null } {
    const code = `process.stdout.write(require(${JSON.stringify(CUDA_ADDON)}).distNcclLibrary())`;
    const r = spawnSync(process.execPath, ['-e', code], {
      encoding: 'utf8',
      // No python3 on PATH and a bare HOME: only NODETORCH_CUDA_LIB_PATH and the system folders are searched.
      env: { PATH: '/nonexistent', HOME: tmp, NODETORCH_CUDA_LIB_PATH: dir },
      timeout: 60_000,
    });
    if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr}`);
    return JSON.parse(r.stdout);
  }

  withCudaBuild(`found in NODETORCH_CUDA_LIB_PATH, with its version${why}`, () => {
    const dir = stub('ok', ['NCCL_STUB_VERSION=22304']);
    const l = library(dir);
    expect(l.error).toBeNull();
    expect(l.path).toBe(path.join(dir, 'libnccl.so.2'));
    expect(l.version).toBe('2.23.4');
  });

  withCudaBuild(`absent: the error names libnccl.so.2, how to install it and every folder tried${why}`, () => {
    const dir = path.join(tmp, 'empty');
    fs.mkdirSync(dir, { recursive: true });
    const l = library(dir);
    expect(l.path).toBeNull();
    expect(l.error).toMatch(/^libnccl\.so\.2 not found \(pip install nvidia-nccl-cu1/);
    expect(l.error).toContain('libnccl.so.2: libnccl.so.2: cannot open shared object file');
    expect(l.error).toMatch(/found no such file in:/);
  });

  withCudaBuild(`older than 2.10.3 (no ncclAvg): too old, with both versions${why}`, () => {
    const l = library(stub('old', ['NCCL_STUB_VERSION=20907']));
    expect(l.error).toMatch(/is version 2\.9\.7, too old: nodetorch needs NCCL 2\.10\.3 or newer/);
    // The pre-2.9 encoding (X*1000 + Y*100 + Z) is read as such.
    expect(library(stub('older', ['NCCL_STUB_VERSION=2804'])).error).toMatch(/is version 2\.8\.4, too old/);
  });

  withCudaBuild(`a library without an entry point used: names the missing symbol${why}`, () => {
    const l = library(stub('partial', ['NCCL_STUB_PARTIAL']));
    expect(l.error).toMatch(/lacks symbols: ncclCommAbort$/);
  });
});

describe('nccl backend: tensors on the wrong device', () => {
  test('CPU tensors on nccl and CUDA tensors on mpi are DeviceErrors naming the op and the fix', () => {
    const op = 'distributed.allReduce';
    expect(() => checkBackendDevice(op, 'nccl', 'cpu', 'tensor')).toThrow(nt.DeviceError);
    expect(() => checkBackendDevice(op, 'nccl', 'cpu', 'tensor')).toThrow(
      /^distributed\.allReduce: .*nccl backend takes CUDA tensors, got tensor on cpu; move it with \.cuda\(\)/,
    );
    expect(() => checkBackendDevice(op, 'mpi', 'cuda', 'out')).toThrow(nt.DeviceError);
    expect(() => checkBackendDevice(op, 'mpi', 'cuda', 'out')).toThrow(
      /mpi backend takes CPU tensors, got out on cuda/,
    );
    expect(() => checkBackendDevice(op, 'nccl', 'cuda', 'tensor')).not.toThrow();
    expect(() => checkBackendDevice(op, 'mpi', 'cpu', 'tensor')).not.toThrow();
  });
});
