// The package version, without loading the native addon (so `nodetorch
// --version` works even when the binary is missing).

import * as fs from 'fs';
import * as path from 'path';

/** The version in nodetorch's package.json, found by walking up from this file (works from lib/ and dist/lib/). */
export function packageVersion(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'nodetorch' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // Not here (or unreadable): keep walking up.
    }
    if (path.dirname(dir) === dir) return 'unknown';
  }
}
