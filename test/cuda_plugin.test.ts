// The CPU addon opens the CUDA backend (nodetorch-cuda.so) at run time and
// refuses one built from another kernel table or plugin ABI
// (native/addon/cuda_plugin_loader.cpp): CUDA is then unavailable, the reason
// names the file and what did not match, CUDA calls throw NotCompiledError,
// and the CPU keeps working. The stand-in plugins are compiled here with g++.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import * as nt from '../lib';

const ROOT = path.resolve(__dirname, '..');
const ADDON = nt.info().binary.path;
const haveGxx = spawnSync('g++', ['--version']).status === 0;
const builtIn = nt.cuda.info().compiled; // a plugin next to this addon wins over none

function buildPlugin(define: string, dir: string): string {
  const out = path.join(dir, `plugin_${define}.so`);
  const r = spawnSync(
    'g++',
    [
      '-std=c++17',
      '-shared',
      '-fPIC',
      `-D${define}`,
      `-I${path.join(ROOT, 'native')}`,
      '-o',
      out,
      path.join(ROOT, 'test', 'fixtures', 'cuda_plugin_mismatch.cpp'),
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`g++ failed: ${r.stderr}`);
  return out;
}

// CUDA status in a fresh process that looks at `plugin` first.
function statusWith(plugin: string): { compiled: boolean; reason: string; error: string; cpu: number } {
  const code = `
    const a = require(${JSON.stringify(ADDON)});
    const s = a.cudaStatus();
    process.stdout.write(JSON.stringify({ compiled: s.compiled, reason: s.reason }));`;
  const r = spawnSync(process.execPath, ['-e', code], {
    encoding: 'utf8',
    env: { ...process.env, NODETORCH_CUDA_LIB: plugin },
  });
  if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
  const s = JSON.parse(r.stdout) as { compiled: boolean; reason: string };
  // The typed error and the CPU, through the library.
  const lib = `
    const nt = require(${JSON.stringify(path.join(ROOT, 'lib'))});
    let error = '';
    try { nt.zeros([2], { device: 'cuda' }); } catch (e) { error = e.constructor.name; }
    process.stdout.write(JSON.stringify({ error, cpu: nt.tensor([1, 2, 3]).sum().item() }));`;
  const r2 = spawnSync(
    process.execPath,
    ['-r', path.join(ROOT, 'test/reliability/children/ts_register.js'), '-e', lib],
    { encoding: 'utf8', env: { ...process.env, NODETORCH_CUDA_LIB: plugin, NODETORCH_ADDON: ADDON } },
  );
  if (r2.status !== 0) throw new Error(`child failed: ${r2.stderr}`);
  return { ...s, ...(JSON.parse(r2.stdout.trim().split('\n').pop() ?? '{}') as { error: string; cpu: number }) };
}

(haveGxx && !builtIn ? describe : describe.skip)('CUDA plugin ABI check', () => {
  let dir = '';
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nt-cuda-plugin-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('another kernel table: refused, with both hashes named', () => {
    const plugin = buildPlugin('WRONG_HASH', dir);
    const s = statusWith(plugin);
    expect(s.compiled).toBe(false);
    expect(s.reason).toMatch(/^the CUDA plugin does not match this addon/);
    expect(s.reason).toContain(`${plugin}: kernel table `);
    expect(s.reason).toMatch(
      /kernel table [0-9a-f]{16}, this addon's is [0-9a-f]{16} \(built for nodetorch 0\.0\.0-test\)/,
    );
    expect(s.error).toBe('NotCompiledError');
    expect(s.cpu).toBe(6);
  }, 120_000);

  test('another plugin ABI version: refused', () => {
    const s = statusWith(buildPlugin('WRONG_ABI', dir));
    expect(s.compiled).toBe(false);
    expect(s.reason).toMatch(/plugin ABI \d+, this addon needs \d+/);
    expect(s.error).toBe('NotCompiledError');
  }, 120_000);

  test('a library without the entry point, and a missing file: not installed, every file listed', () => {
    const s = statusWith(buildPlugin('NO_ENTRY', dir));
    expect(s.compiled).toBe(false);
    expect(s.reason).toMatch(/^CUDA support is not installed: `npm install @nodetorch\/linux-x64-cuda`/);
    expect(s.reason).toContain('no nt_cuda_plugin symbol: not a nodetorch CUDA plugin');
    expect(s.reason).toContain(`${path.dirname(ADDON)}/nodetorch-cuda.so: missing`);
    const gone = statusWith(path.join(dir, 'nonexistent.so'));
    expect(gone.reason).toContain(`${path.join(dir, 'nonexistent.so')}: missing`);
    expect(gone.cpu).toBe(6);
  }, 120_000);
});
