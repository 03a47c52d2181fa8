// CUDA library discovery and the cuDNN fallback, without a GPU: the CUDA
// build (build-cuda/, or NODETORCH_ADDON when it is a CUDA build) runs in
// child processes against a fake tree of Python environments holding stub
// libraries (test/fixtures/cuda_stub_libs.c, built here with cc). The
// library search and cuDNN loading need no driver.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { formatCudaLibraries } from '../lib/cli/info';
import { cudaBuildAddon, HAVE_CC } from './cuda_build';

const ROOT = path.resolve(__dirname, '..');
const ADDON = cudaBuildAddon();
const run = ADDON && HAVE_CC ? it : it.skip;
const why = !ADDON ? ' (skipped: no CUDA build of the addon)' : !HAVE_CC ? ' (skipped: no cc)' : '';

let tmp = '';
const at = (...p: string[]) => path.join(tmp, ...p);

function mkdir(...p: string[]): string {
  const d = at(...p);
  fs.mkdirSync(d, { recursive: true });
  return d;
}

function buildStub(define: string | string[], soname: string, dir: string): void {
  const r = spawnSync(
    'cc',
    [
      '-shared',
      '-fPIC',
      ...(Array.isArray(define) ? define : [define]).map((d) => `-D${d}`),
      `-Wl,-soname,${soname}`,
      '-o',
      path.join(dir, soname),
      path.join(ROOT, 'test', 'fixtures', 'cuda_stub_libs.c'),
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`cc failed: ${r.stderr}`);
}

function writeScript(file: string, body: string): void {
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`);
  fs.chmodSync(file, 0o755);
}

/** Runs `code` (with `a` = the addon) in a child with exactly `env` (plus PATH for sh). */
// biome-ignore lint/suspicious/noExplicitAny: JSON from a child process; each test reads the fields it checks
function child(code: string, env: Record<string, string>): { out: any; stderr: string; ms: number } {
  const t0 = Date.now();
  const r = spawnSync(
    process.execPath,
    ['-e', `const a = require(${JSON.stringify(ADDON)}); process.stdout.write(JSON.stringify(${code}))`],
    {
      encoding: 'utf8',
      env: { PATH: '/usr/bin:/bin', ...env },
      timeout: 60_000,
    },
  );
  if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr}`);
  return { out: JSON.parse(r.stdout), stderr: r.stderr, ms: Date.now() - t0 };
}
const libraries = (env: Record<string, string>) => {
  const r = child('JSON.parse(a.cudaLibraries())', env);
  return { ...r.out, ms: r.ms };
};

beforeAll(() => {
  if (!ADDON || !HAVE_CC) return;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nt-cudalib-'));
  // An activated virtual environment, a conda environment, an inactive virtual
  // environment whose python3 is first on PATH, the site-packages that
  // python3 reports when asked, and the user site-packages.
  mkdir('active', 'lib', 'python3.11', 'site-packages', 'nvidia', 'cudnn', 'lib');
  mkdir('conda', 'lib', 'python3.10', 'site-packages', 'nvidia', 'cuda_runtime', 'lib');
  mkdir('venv', 'lib', 'python3.12', 'site-packages', 'nvidia', 'cublas', 'lib');
  mkdir('venv', 'lib', 'python3.12', 'site-packages', 'torch', 'lib');
  fs.writeFileSync(at('venv', 'pyvenv.cfg'), 'home = /usr/bin\n');
  mkdir('venv', 'bin');
  const asked = mkdir('asked', 'site-packages', 'nvidia', 'cu13', 'lib');
  mkdir('home', '.local', 'lib', 'python3.12', 'site-packages', 'nvidia', 'cudnn', 'lib');
  writeScript(at('venv', 'bin', 'python3'), `echo ${at('asked', 'site-packages')}`);
  // The only cuBLAS: in the site-packages that only asking python3 reveals.
  buildStub('STUB_CUBLAS', 'libcublas.so.13', asked);
  // The only cuDNN: in a folder named by NODETORCH_CUDA_LIB_PATH.
  const cudnn = mkdir('cudnn-stub');
  buildStub('STUB_CUDNN', 'libcudnn.so.9', cudnn);
  buildStub('STUB_EMPTY', 'libcudnn_ops.so.9', cudnn);
  buildStub('STUB_EMPTY', 'libcudnn_graph.so.9', cudnn);
  buildStub('STUB_EMPTY', 'libcudnn_cnn.so.9', cudnn);
  // A cuDNN whose convolutions succeed and print their arguments.
  const convOk = mkdir('cudnn-conv-ok');
  buildStub(['STUB_CUDNN', 'STUB_CONV_OK'], 'libcudnn.so.9', convOk);
  for (const so of ['libcudnn_ops.so.9', 'libcudnn_graph.so.9', 'libcudnn_cnn.so.9'])
    buildStub('STUB_EMPTY', so, convOk);
  // A cuDNN without its convolution library.
  const noCnn = mkdir('cudnn-no-cnn');
  buildStub('STUB_CUDNN', 'libcudnn.so.9', noCnn);
  buildStub('STUB_EMPTY', 'libcudnn_ops.so.9', noCnn);
  buildStub('STUB_EMPTY', 'libcudnn_graph.so.9', noCnn);
  // A python3 that never answers.
  mkdir('slow', 'bin');
  writeScript(at('slow', 'bin', 'python3'), 'exec sleep 30');
}, 60_000);

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

function fakeEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    HOME: at('home'),
    VIRTUAL_ENV: at('active'),
    CONDA_PREFIX: at('conda'),
    PATH: `${at('venv', 'bin')}:/usr/bin:/bin`,
    ...extra,
  };
}

describe('CUDA library discovery on a fake tree of Python environments', () => {
  run(`finds cuBLAS in the site-packages the python3 on PATH reports, and lists every folder in order${why}`, () => {
    const l = libraries(fakeEnv());
    expect(l.cublas.path).toBe(path.join(at('asked', 'site-packages', 'nvidia', 'cu13', 'lib'), 'libcublas.so.13'));
    const order = [
      [at('active', 'lib', 'python3.11', 'site-packages', 'nvidia', 'cudnn', 'lib'), 'VIRTUAL_ENV'],
      [at('conda', 'lib', 'python3.10', 'site-packages', 'nvidia', 'cuda_runtime', 'lib'), 'CONDA_PREFIX'],
      [
        at('venv', 'lib', 'python3.12', 'site-packages', 'nvidia', 'cublas', 'lib'),
        `virtual environment of ${at('venv', 'bin', 'python3')}`,
      ],
      [
        at('venv', 'lib', 'python3.12', 'site-packages', 'torch', 'lib'),
        `virtual environment of ${at('venv', 'bin', 'python3')}`,
      ],
      [at('asked', 'site-packages', 'nvidia', 'cu13', 'lib'), `site-packages of ${at('venv', 'bin', 'python3')}`],
      [at('home', '.local', 'lib', 'python3.12', 'site-packages', 'nvidia', 'cudnn', 'lib'), 'user site-packages'],
    ];
    const searched: { dir: string; source: string }[] = l.searched;
    const idx = order.map(([dir, source]) => searched.findIndex((s) => s.dir === dir && s.source === source));
    expect(idx.every((i) => i >= 0)).toBe(true);
    expect([...idx].sort((x, y) => x - y)).toEqual(idx);
    expect(searched[0].source).toBe('loader');
    expect(l.sitePackages).toContain(at('asked', 'site-packages'));
    expect(l.python).toBe(`asked ${at('venv', 'bin', 'python3')} for its site-packages`);
  });

  run(`when nothing is found, the error names every folder tried${why}`, () => {
    const l = libraries({ HOME: at('home'), VIRTUAL_ENV: at('active'), NODETORCH_PYTHON: '0' });
    expect(l.cublas.path).toBeNull();
    expect(l.cublas.error).toMatch(/cuBLAS could not be loaded/);
    expect(l.cublas.error).toContain(
      `${at('active', 'lib', 'python3.11', 'site-packages', 'nvidia', 'cudnn', 'lib')} (VIRTUAL_ENV)`,
    );
    expect(l.cublas.error).toContain(
      `${at('home', '.local', 'lib', 'python3.12', 'site-packages', 'nvidia', 'cudnn', 'lib')} (user site-packages)`,
    );
    expect(l.cublas.error).toContain('libcublas.so.12');
    expect(l.python).toBe('not asked (NODETORCH_PYTHON=0)');
  });

  run(`a python3 that does not answer is given up after its timeout${why}`, () => {
    const l = libraries({ HOME: at('home'), PATH: `${at('slow', 'bin')}:/usr/bin:/bin` });
    expect(l.python).toMatch(/did not answer within 4 s/);
    expect(l.ms).toBeLessThan(20_000);
  });
});

describe('cuDNN failures fall back to nodetorch kernels (stub library)', () => {
  const hook = `JSON.parse(a.cudaTestHook('cudnn-fallback'))`;

  run(`a failing cuDNN call returns to the own kernel, with one notice per function${why}`, () => {
    const r = child(hook, fakeEnv({ NODETORCH_CUDA_LIB_PATH: at('cudnn-stub') }));
    expect(r.out.loaded).toBe(true);
    expect(r.out.unaryFirst).toBe(false);
    expect(r.out.unarySecond).toBe(false);
    expect(r.out.softmax).toBe(false);
    const notes: string[] = r.out.notes;
    expect(notes).toHaveLength(4);
    expect(notes[0]).toMatch(
      /cudnnActivationForward failed for unary \(CUDNN_STATUS_NOT_SUPPORTED \(stub\) \(code 9\)\); using nodetorch's own kernel/,
    );
    expect(notes[1]).toMatch(/cudnnSoftmaxForward failed for softmax .*code 4008/);
    // cuDNN was called once per function: the second ReLU went straight to the own kernel.
    expect(r.stderr.split('stub: cudnnActivationForward').length - 1).toBe(1);
    expect(r.stderr.split('nodetorch: cuDNN cudnnActivationForward').length - 1).toBe(1);
  });

  run(`a failing cuDNN convolution marks its shape for the own kernel, with one notice per direction${why}`, () => {
    const r = child(hook, fakeEnv({ NODETORCH_CUDA_LIB_PATH: at('cudnn-stub') }));
    expect(r.out.convLoaded).toBe(true);
    expect(r.out.convNote).toBe('');
    expect([r.out.convFirst, r.out.convSecond, r.out.convOther]).toEqual([false, false, false]);
    const conv = (r.out.notes as string[]).filter((n) => n.includes('conv2d_forward'));
    expect(conv).toHaveLength(1);
    expect(conv[0]).toMatch(
      /cuDNN cudnnGetConvolution2dForwardOutputDim failed \(.*\(code 3002\)\) for conv2d_forward \[1, 1, 4, 4\] -> 1 channels, kernel 3x3; that shape uses nodetorch's own kernel/,
    );
    // The failed shape is not asked again; another shape is, without a second notice.
    expect(r.stderr.split('stub: cudnnGetConvolution2dForwardOutputDim').length - 1).toBe(2);
    expect(r.stderr.split('nodetorch: cuDNN cudnnGetConvolution2dForwardOutputDim').length - 1).toBe(1);
  });

  run(`a failing cuDNN batch norm leaves its notice in the shared list, once${why}`, () => {
    const r = child(hook, fakeEnv({ NODETORCH_CUDA_LIB_PATH: at('cudnn-stub') }));
    expect([r.out.bnFirst, r.out.bnSecond]).toEqual([false, false]);
    const bn = (r.out.notes as string[]).filter((n) => n.includes('batch_norm'));
    expect(bn).toHaveLength(1);
    expect(bn[0]).toMatch(
      /cuDNN cudnnBatchNormalizationForwardTraining failed for batch_norm \(CUDNN_STATUS_NOT_SUPPORTED \(stub\) \(code 9\)\); using nodetorch's own kernel/,
    );
    expect(r.stderr.split('stub: cudnnBatchNormalizationForwardTraining').length - 1).toBe(1);
  });

  run(`without libcudnn_cnn.so.9 convolutions skip cuDNN and say why; activations still use it${why}`, () => {
    const r = child(hook, fakeEnv({ NODETORCH_CUDA_LIB_PATH: at('cudnn-no-cnn') }));
    expect(r.out.loaded).toBe(true);
    expect(r.out.convLoaded).toBe(false);
    expect(r.out.convNote).toMatch(
      /libcudnn_cnn\.so\.9 could not be loaded: .*; convolutions use nodetorch's own kernels/,
    );
    expect(r.out.convFirst).toBe(false);
    expect(r.stderr).not.toContain('stub: cudnnGetConvolution2dForwardOutputDim');
    expect(r.stderr).toContain('stub: cudnnActivationForward');
  });

  run(
    `cuDNN convolutions get nodetorch's geometry, FMA math for float32, and one algorithm query per shape${why}`,
    () => {
      const r = child(
        `JSON.parse(a.cudaTestHook('cudnn-conv'))`,
        fakeEnv({ NODETORCH_CUDA_LIB_PATH: at('cudnn-conv-ok') }),
      );
      expect(r.out.loaded).toBe(true);
      // float32 forward twice, float64 forward, backward data, backward weight: cuDNN; asymmetric padding: not.
      expect(r.out.results).toEqual([true, true, true, true, true, false]);
      expect(r.out.notes).toEqual([]);
      expect(r.out.info).toMatchObject({ engine: 'cudnn', cachedShapes: 4, benchmark: false, allowTF32: false });
      const lines = r.stderr.split('\n');
      const count = (line: string) => lines.filter((l) => l === line).length;
      // Descriptors per call (4 float32, 1 float64; none for asymmetric padding): NCHW x [2, 4, 9, 8],
      // y [2, 6, 5, 6], filter [6, 2, 3, 3], cross-correlation with the data type as compute type, groups 2.
      expect(count('stub: tensor fmt 0 dt 0 [2 4 9 8]')).toBe(4);
      expect(count('stub: tensor fmt 0 dt 0 [2 6 5 6]')).toBe(4);
      expect(count('stub: tensor fmt 0 dt 1 [2 4 9 8]')).toBe(1);
      expect(count('stub: filter dt 0 fmt 0 [6 2 3 3]')).toBe(4);
      expect(count('stub: filter dt 1 fmt 0 [6 2 3 3]')).toBe(1);
      expect(count('stub: conv pad 1 1 stride 2 1 dilation 1 2 mode 1 compute 0')).toBe(4);
      expect(count('stub: conv pad 1 1 stride 2 1 dilation 1 2 mode 1 compute 1')).toBe(1);
      expect(count('stub: groups 2')).toBe(5);
      // One query per shape and direction, for every algorithm of the enum.
      expect(count('stub: algorithms forward (requested 8)')).toBe(2);
      expect(count('stub: algorithms backward-data (requested 6)')).toBe(1);
      expect(count('stub: algorithms backward-filter (requested 7)')).toBe(1);
      // float32: the FMA algorithm (1), never the TF32-capable DEFAULT one (6); float64 takes the first.
      expect(count('stub: run forward algo 1 math 3 groups 2 alpha 1 beta 0 workspace 0')).toBe(2);
      expect(count('stub: run forward algo 6 math 0 groups 2 alpha 1 beta 0 workspace 0')).toBe(1);
      expect(count('stub: run backward-data algo 1 math 3 groups 2 alpha 1 beta 0 workspace 0')).toBe(1);
      expect(count('stub: run backward-filter algo 1 math 3 groups 2 alpha 1 beta 0 workspace 0')).toBe(1);
      expect(lines.filter((l) => l.startsWith('stub: run ')).length).toBe(5);
    },
  );

  run(`NODETORCH_CUDNN_BENCHMARK=1 picks algorithms by cudnnFind*Ex, once per shape${why}`, () => {
    const r = child(
      `JSON.parse(a.cudaTestHook('cudnn-conv'))`,
      fakeEnv({ NODETORCH_CUDA_LIB_PATH: at('cudnn-conv-ok'), NODETORCH_CUDNN_BENCHMARK: '1' }),
    );
    expect(r.out.results).toEqual([true, true, true, true, true, false]);
    expect(r.out.info).toMatchObject({ engine: 'cudnn', benchmark: true, cachedShapes: 4 });
    const lines = r.stderr.split('\n');
    const count = (line: string) => lines.filter((l) => l === line).length;
    expect(count('stub: algorithms forward timed (requested 8)')).toBe(2);
    expect(count('stub: algorithms backward-data timed (requested 6)')).toBe(1);
    expect(count('stub: algorithms backward-filter timed (requested 7)')).toBe(1);
    expect(lines.filter((l) => l.startsWith('stub: algorithms') && !l.includes('timed')).length).toBe(0);
    expect(count('stub: run forward algo 1 math 3 groups 2 alpha 1 beta 0 workspace 0')).toBe(2);
  });

  run(`NODETORCH_CUDNN_ALLOW_TF32=1 lets float32 take DEFAULT-math (TF32-capable) algorithms${why}`, () => {
    const r = child(
      `JSON.parse(a.cudaTestHook('cudnn-conv'))`,
      fakeEnv({ NODETORCH_CUDA_LIB_PATH: at('cudnn-conv-ok'), NODETORCH_CUDNN_ALLOW_TF32: '1' }),
    );
    expect(r.out.info).toMatchObject({ allowTF32: true });
    const runs = r.stderr.split('\n').filter((l) => l.startsWith('stub: run '));
    expect(runs).toHaveLength(5);
    expect(runs.every((l) => / algo 6 math 0 /.test(l))).toBe(true);
  });

  run(`cuDNN pooling takes only the exact cases, with nodetorch's geometry and NaN propagation${why}`, () => {
    const r = child(
      `JSON.parse(a.cudaTestHook('cudnn-pool'))`,
      fakeEnv({ NODETORCH_CUDA_LIB_PATH: at('cudnn-conv-ok') }),
    );
    expect(r.out.loaded).toBe(true);
    // max: no indices yes, indices no, dilation no; avg: include yes, exclude yes, divisor no,
    // an extra ceilMode window no; avg backward yes; max again yes.
    expect(r.out.results).toEqual([true, false, false, true, true, false, false, true, true]);
    expect(r.out.notes).toEqual([]);
    const lines = r.stderr.split('\n');
    const count = (line: string) => lines.filter((l) => l === line).length;
    expect(count('stub: pooling mode 0 nan 1 window 3 3 pad 1 1 stride 2 2')).toBe(2);
    expect(count('stub: pooling mode 1 nan 1 window 3 2 pad 1 0 stride 2 1')).toBe(1);
    expect(count('stub: pooling mode 2 nan 1 window 3 2 pad 1 0 stride 2 1')).toBe(2);
    expect(lines.filter((l) => l.startsWith('stub: pooling mode')).length).toBe(5);
    // planes as NCHW [planes, 1, H, W]: float32 max and backward, float64 average.
    expect(count('stub: tensor fmt 0 dt 0 [6 1 9 8]')).toBe(3);
    expect(count('stub: tensor fmt 0 dt 0 [6 1 5 4]')).toBe(2);
    expect(count('stub: tensor fmt 0 dt 1 [6 1 9 8]')).toBe(2);
    expect(count('stub: tensor fmt 0 dt 1 [6 1 5 7]')).toBe(2);
    expect(count('stub: run pooling forward')).toBe(4);
    expect(count('stub: run pooling backward')).toBe(1);
  });

  run(`a failing cuDNN pooling call falls back once per function, with one notice each${why}`, () => {
    const r = child(`JSON.parse(a.cudaTestHook('cudnn-pool'))`, fakeEnv({ NODETORCH_CUDA_LIB_PATH: at('cudnn-stub') }));
    expect(r.out.results).toEqual([false, false, false, false, false, false, false, false, false]);
    const notes: string[] = r.out.notes;
    expect(notes).toHaveLength(3);
    expect(notes[0]).toMatch(
      /cuDNN cudnnPoolingForward failed for max_pool2d \(.*code 9\)\); using nodetorch's own kernel/,
    );
    expect(notes[1]).toMatch(/cuDNN cudnnPoolingForward failed for avg_pool2d /);
    expect(notes[2]).toMatch(/cuDNN cudnnPoolingBackward failed for avg_pool2d_backward /);
    // max: called once (the second goes straight to the own kernel); avg forward once.
    expect(r.stderr.split('stub: cudnnPoolingForward').length - 1).toBe(2);
    expect(r.stderr.split('stub: cudnnPoolingBackward').length - 1).toBe(1);
  });

  run(`NODETORCH_CUDNN=0 skips cuDNN even when it is present${why}`, () => {
    const r = child(hook, fakeEnv({ NODETORCH_CUDA_LIB_PATH: at('cudnn-stub'), NODETORCH_CUDNN: '0' }));
    expect(r.out.loaded).toBe(false);
    expect(r.out.reason).toBe('cuDNN disabled by NODETORCH_CUDNN=0');
    expect(r.stderr).not.toContain('stub:');
  });
});

describe('nodetorch info: the CUDA library lines', () => {
  it('names the driver floor, each library or why it is missing, and every folder in order', () => {
    const text = formatCudaLibraries({
      compiled: true,
      cublas: { path: '/env/site-packages/nvidia/cublas/lib/libcublas.so.13', error: null },
      cudnn: { path: null, error: 'cuDNN disabled by NODETORCH_CUDNN=0' },
      searched: [
        { dir: '(loader: LD_LIBRARY_PATH, ldconfig)', source: 'loader' },
        { dir: '/env/site-packages/nvidia/cublas/lib', source: 'VIRTUAL_ENV' },
      ],
      sitePackages: ['/env/site-packages'],
      python: 'not asked (NODETORCH_PYTHON=0)',
    });
    expect(text.split('\n')).toEqual([
      'CUDA driver floor: R580 (the CUDA 13 runtime is linked in statically)',
      'cuBLAS: /env/site-packages/nvidia/cublas/lib/libcublas.so.13',
      'cuDNN: not found (cuDNN disabled by NODETORCH_CUDNN=0)',
      'CUDA library folders, in search order:',
      '  (loader: LD_LIBRARY_PATH, ldconfig) (loader)',
      '  /env/site-packages/nvidia/cublas/lib (VIRTUAL_ENV)',
      'site-packages examined: /env/site-packages',
      'python: not asked (NODETORCH_PYTHON=0)',
    ]);
    expect(formatCudaLibraries({ compiled: false })).toBe('');
  });
});
