// The CUDA build of the addon for tests that run it in child processes
// without a GPU (stub libraries): NODETORCH_ADDON when it is a CUDA build,
// else build-cuda/ (what scripts/test-all.sh builds), else null.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');

export function cudaBuildAddon(): string | null {
  for (const c of [process.env.NODETORCH_ADDON, path.join(ROOT, 'build-cuda', 'Release', 'nodetorch.node')]) {
    if (!c || !fs.existsSync(c)) continue;
    const r = spawnSync(
      process.execPath,
      ['-e', `process.stdout.write(String(require(${JSON.stringify(c)}).buildInfo().cudaCompiled))`],
      { encoding: 'utf8' },
    );
    if (r.stdout === 'true') return c;
  }
  return null;
}

/** Whether a C compiler is there to build the stub libraries. */
export const HAVE_CC = spawnSync('cc', ['--version']).status === 0;
