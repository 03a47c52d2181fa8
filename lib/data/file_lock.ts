// A lock file shared by processes (and threads) that fill the same cache
// entry: created with O_EXCL ('wx'), so exactly one holder; it records the
// holder's pid and host, and the holder touches it while it works. A waiter
// takes over a lock whose holder is gone: a dead pid on this host, or (for
// a holder on another host sharing the folder) no touch for `staleMs`.
import * as fs from 'fs';
import * as os from 'os';

export interface FileLockOptions {
  /** A lock untouched this long is taken over (default 60 s). */
  staleMs?: number;
  /** How often a waiter looks again (default 100 ms). */
  pollMs?: number;
}

interface LockInfo {
  pid: number;
  host: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function readInfo(lockPath: string): LockInfo | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(lockPath, 'utf8')) as Partial<LockInfo>;
    return typeof v.pid === 'number' && typeof v.host === 'string' ? { pid: v.pid, host: v.host } : undefined;
  } catch {
    return undefined; // gone, or being written
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // alive, someone else's
  }
}

function isStale(lockPath: string, staleMs: number): boolean {
  let mtimeMs: number;
  try {
    mtimeMs = fs.statSync(lockPath).mtimeMs;
  } catch {
    return false; // released meanwhile: just try again
  }
  const info = readInfo(lockPath);
  if (info && info.host === os.hostname() && info.pid !== process.pid && !pidAlive(info.pid)) return true;
  return Date.now() - mtimeMs > staleMs;
}

function tryCreate(lockPath: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(lockPath, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    fs.writeSync(fd, JSON.stringify({ pid: process.pid, host: os.hostname() } satisfies LockInfo));
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

/** Runs `fn` holding `lockPath`, waiting for another holder to finish first. */
export async function withFileLock<R>(
  lockPath: string,
  fn: () => Promise<R>,
  options: FileLockOptions = {},
): Promise<R> {
  const staleMs = options.staleMs ?? 60_000;
  const pollMs = options.pollMs ?? 100;
  while (!tryCreate(lockPath)) {
    if (isStale(lockPath, staleMs)) {
      // Rename (atomic) rather than unlink, so two waiters cannot both remove it.
      const aside = `${lockPath}.stale-${process.pid}`;
      try {
        fs.renameSync(lockPath, aside);
        fs.rmSync(aside, { force: true });
      } catch {
        // another waiter moved it first
      }
      continue;
    }
    await sleep(pollMs);
  }
  const now = (): void => {
    try {
      const t = new Date();
      fs.utimesSync(lockPath, t, t);
    } catch {
      // taken over or removed: the caller's rename still lands atomically
    }
  };
  const heartbeat = setInterval(now, Math.max(50, Math.floor(staleMs / 4)));
  heartbeat.unref();
  try {
    return await fn();
  } finally {
    clearInterval(heartbeat);
    fs.rmSync(lockPath, { force: true });
  }
}
