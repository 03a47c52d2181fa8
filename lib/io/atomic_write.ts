// Atomic file replacement: readers see either the old file or the complete
// new one, never a torn checkpoint, even if the process dies mid-write.
// Recipe: temp file in the same directory (rename is only atomic within one
// file system), fsync it, rename over the target, fsync the directory so the
// rename itself survives a crash. A process killed between open and rename
// leaves its temp file behind; later saves to the same target remove such
// orphans (see removeOrphans). writeFileAtomicAsync follows the same recipe
// with fs.promises, so the event loop runs while the bytes go to disk.

import * as fs from 'fs';
import * as path from 'path';
import { randomBytes } from 'crypto';

/** Errors from fsync on a directory that mean "this platform cannot", not "it failed". */
const DIR_FSYNC_UNSUPPORTED = new Set(['EISDIR', 'EPERM', 'EINVAL', 'ENOTSUP', 'EBADF']);

function errCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}

/** The file a write to `filePath` replaces (symlinks followed), and its mode if it exists. */
function resolveTarget(filePath: string): { target: string; mode: number | undefined } {
  // Write through a symlink to its target, as a plain write would.
  let target = path.resolve(filePath);
  let mode: number | undefined;
  try {
    target = fs.realpathSync(target);
    mode = fs.statSync(target).mode & 0o7777; // keep the old file's permissions
  } catch (e) {
    if (errCode(e) !== 'ENOENT') throw e;
  }
  return { target, mode };
}

function tempPathFor(target: string): string {
  return path.join(
    path.dirname(target),
    `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
}

/** Writes `data` to `filePath` atomically (synchronously). Throws the underlying fs error. */
export function writeFileAtomic(filePath: string, data: Uint8Array): void {
  const { target, mode } = resolveTarget(filePath);
  const dir = path.dirname(target);
  const tmp = tempPathFor(target);

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

/** Bytes per write in writeFileAtomicAsync: the loop turns between chunks. */
const ASYNC_CHUNK = 8 << 20;

/**
 * writeFileAtomic with fs.promises: the same temp file, fsync, rename,
 * directory fsync and orphan clean-up, with the event loop free during each
 * step. `data` must not change until the promise settles (callers pass a
 * private copy). Rejects with the underlying fs error.
 */
export async function writeFileAtomicAsync(filePath: string, data: Uint8Array): Promise<void> {
  const { target, mode } = await resolveTargetAsync(filePath);
  const dir = path.dirname(target);
  const tmp = tempPathFor(target);

  let renamed = false;
  try {
    const fh = await fs.promises.open(tmp, 'wx', mode ?? 0o666);
    try {
      if (mode !== undefined) await fh.chmod(mode);
      let done = 0;
      while (done < data.byteLength) {
        const n = Math.min(ASYNC_CHUNK, data.byteLength - done);
        done += (await fh.write(data, done, n)).bytesWritten;
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.promises.rename(tmp, target);
    renamed = true;
  } finally {
    if (!renamed) await fs.promises.unlink(tmp).catch(() => undefined); // the original error matters
  }
  await fsyncDirAsync(dir);
  await removeOrphansAsync(dir, path.basename(target));
}

async function resolveTargetAsync(filePath: string): Promise<{ target: string; mode: number | undefined }> {
  let target = path.resolve(filePath);
  let mode: number | undefined;
  try {
    target = await fs.promises.realpath(target);
    mode = (await fs.promises.stat(target)).mode & 0o7777;
  } catch (e) {
    if (errCode(e) !== 'ENOENT') throw e;
  }
  return { target, mode };
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
  for (const name of orphanCandidates(names, base)) {
    const file = path.join(dir, name);
    try {
      if (Date.now() - fs.statSync(file).mtimeMs < ORPHAN_MIN_AGE_MS) continue;
      fs.unlinkSync(file);
    } catch {
      // Gone already, or not ours to delete: leave it.
    }
  }
}

/** removeOrphans with fs.promises. Never rejects. */
async function removeOrphansAsync(dir: string, base: string): Promise<void> {
  let names: string[];
  try {
    names = await fs.promises.readdir(dir);
  } catch {
    return;
  }
  for (const name of orphanCandidates(names, base)) {
    const file = path.join(dir, name);
    try {
      if (Date.now() - (await fs.promises.stat(file)).mtimeMs < ORPHAN_MIN_AGE_MS) continue;
      await fs.promises.unlink(file);
    } catch {
      // Gone already, or not ours to delete: leave it.
    }
  }
}

/** The temp files of `base` in `names` whose writing process is gone. */
function orphanCandidates(names: readonly string[], base: string): string[] {
  const prefix = `.${base}.`;
  return names.filter((name) => {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) return false;
    const m = /^(\d+)\.[0-9a-f]{12}\.tmp$/.exec(name.slice(prefix.length));
    if (!m) return false;
    const pid = Number(m[1]);
    return pid !== process.pid && !processExists(pid);
  });
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

async function fsyncDirAsync(dir: string): Promise<void> {
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(dir, 'r');
  } catch (e) {
    if (DIR_FSYNC_UNSUPPORTED.has(errCode(e) ?? '')) return;
    throw e;
  }
  try {
    await fh.sync();
  } catch (e) {
    if (!DIR_FSYNC_UNSUPPORTED.has(errCode(e) ?? '')) throw e;
  } finally {
    await fh.close();
  }
}
