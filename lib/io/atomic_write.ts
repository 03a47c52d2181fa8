// Atomic file replacement: readers see either the old file or the complete
// new one, never a torn checkpoint, even if the process dies mid-write.
// Recipe: temp file in the same directory (rename is only atomic within one
// file system), fsync it, rename over the target, fsync the directory so the
// rename itself survives a crash.

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
