// Atomic file replacement: readers see either the old file or the complete
// new one, never a torn checkpoint, even if the process dies mid-write.
// Recipe: temp file in the same directory (rename is only atomic within one
// file system), fsync it, rename over the target, fsync the directory so the
// rename itself survives a crash. A process killed between open and rename
// leaves its temp file behind; later saves to the same target remove such
// orphans (see removeOrphans).

import * as fs from 'fs';
import * as path from 'path';
import { randomBytes } from 'crypto';

/** Errors from fsync on a directory that mean "this platform cannot", not "it failed". */
const DIR_FSYNC_UNSUPPORTED = new Set(['EISDIR', 'EPERM', 'EINVAL', 'ENOTSUP', 'EBADF']);

function errCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}

/** Writes `data` to `filePath` atomically (synchronously). Throws the underlying fs error. */
export function writeFileAtomic(filePath: string, data: Uint8Array): void {
  // Write through a symlink to its target, as a plain write would.
  let target = path.resolve(filePath);
  let mode: number | undefined;
  try {
    target = fs.realpathSync(target);
    mode = fs.statSync(target).mode & 0o7777; // keep the old file's permissions
  } catch (e) {
    if (errCode(e) !== 'ENOENT') throw e;
  }
  const dir = path.dirname(target);
  const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);

  let renamed = false;
  try {
    const fd = fs.openSync(tmp, 'wx', mode ?? 0o666); // wx: never clobber someone else's file
    try {
      if (mode !== undefined) fs.fchmodSync(fd, mode); // the umask must not narrow a kept mode
      let done = 0;
      while (done < data.byteLength) done += fs.writeSync(fd, data, done, data.byteLength - done);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, target);
    renamed = true;
  } finally {
    if (!renamed) {
      try {
        fs.unlinkSync(tmp);
      } catch {
        // Nothing to clean up (open failed) or already gone; the original error matters.
      }
    }
  }
  fsyncDir(dir);
  removeOrphans(dir, path.basename(target));
}

/** Temp files older than this may be removed once their writer is gone. */
const ORPHAN_MIN_AGE_MS = 60_000;

/**
 * Best effort: deletes `.<base>.<pid>.<hex>.tmp` files next to the target
 * whose writing process no longer exists on this machine and that have not
 * been modified for a minute (the age guards a writer on another host that
 * shares the directory, whose pid means nothing here). Never throws.
 */
function removeOrphans(dir: string, base: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  const prefix = `.${base}.`;
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const m = /^(\d+)\.[0-9a-f]{12}\.tmp$/.exec(name.slice(prefix.length));
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || processExists(pid)) continue;
    const file = path.join(dir, name);
    try {
      if (Date.now() - fs.statSync(file).mtimeMs < ORPHAN_MIN_AGE_MS) continue;
      fs.unlinkSync(file);
    } catch {
      // Gone already, or not ours to delete: leave it.
    }
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: existence check only
    return true;
  } catch (e) {
    return errCode(e) !== 'ESRCH'; // EPERM: it exists, owned by someone else
  }
}

function fsyncDir(dir: string): void {
  let fd: number;
  try {
    fd = fs.openSync(dir, 'r');
  } catch (e) {
    if (DIR_FSYNC_UNSUPPORTED.has(errCode(e) ?? '')) return; // Windows cannot open directories
    throw e;
  }
  try {
    fs.fsyncSync(fd);
  } catch (e) {
    if (!DIR_FSYNC_UNSUPPORTED.has(errCode(e) ?? '')) throw e;
  } finally {
    fs.closeSync(fd);
  }
}
