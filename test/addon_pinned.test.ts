// Node unloads an addon when the last environment that loaded it exits. A
// process whose main thread never loads nodetorch, with worker_threads that
// do and then exit, must keep the addon mapped: the CPU pool's threads
// outlive the workers (native/addon/pin_module.cpp). Unpinned, such a
// process died with SIGSEGV in about one run in ten.
import { spawnSync } from 'child_process';
import * as path from 'path';

import * as nt from '../lib';

const root = path.join(__dirname, '..');
const addon = nt.info().binary.path;
const register = path.join(root, 'test/reliability/children/ts_register.js');

test('the addon stays mapped after every worker that loaded it has exited', () => {
  const workerCode =
    `require(${JSON.stringify(register)});` +
    `const nt=require(${JSON.stringify(path.join(root, 'lib'))});` +
    'nt.setNumThreads(2);' +
    'nt.rand([256,256]).matmul(nt.rand([256,256])).toArray();' +
    'nt.rand([1<<18]).exp().sum().item();';
  const main = `
    const { Worker } = require('worker_threads');
    const fs = require('fs');
    const one = () => new Promise((resolve, reject) => {
      const w = new Worker(${JSON.stringify(workerCode)}, { eval: true });
      w.on('error', reject);
      w.on('exit', resolve);
    });
    (async () => {
      for (let round = 0; round < 4; ++round) await Promise.all([one(), one()]);
      await new Promise((r) => setTimeout(r, 50)); // the pool's threads finish spinning
      const maps = process.platform === 'linux' ? fs.readFileSync('/proc/self/maps', 'utf8') : null;
      console.log(JSON.stringify({ mapped: maps === null ? null : maps.includes(${JSON.stringify(path.basename(addon))}) }));
    })();`;
  const r = spawnSync(process.execPath, ['-e', main], {
    env: { ...process.env, NODETORCH_ADDON: addon, NODETORCH_QUIET: '1' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect({ status: r.status, signal: r.signal, stderr: r.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
  const { mapped } = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { mapped: boolean | null };
  if (process.platform === 'linux') expect(mapped).toBe(true);
});
