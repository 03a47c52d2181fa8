// Downloads one dataset file into a cache folder, torchvision-style: try
// each mirror in turn; on a dropped or stalled connection resume the same
// mirror with an HTTP Range request (a few times); check the MD5 of the whole
// file and on a mismatch move on to the next mirror. Bytes go to
// `<name>.part` and become `<name>` by rename only once verified, so a
// reader never sees half a file; a lock file makes concurrent processes
// wait for the one that downloads. A DownloadError lists every URL tried.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { pipeline } from 'stream/promises';
import type { SingleBar as SingleBarType } from 'cli-progress';
import { type DownloadAttempt, DownloadError } from '../errors';
import { withFileLock } from './file_lock';

/**
 * Where datasets are downloaded when no root is given:
 * `$NODETORCH_HOME/datasets` if NODETORCH_HOME is set, else
 * `$XDG_CACHE_HOME/nodetorch/datasets`, else `~/.cache/nodetorch/datasets`.
 */
export function cacheDir(): string {
  const home = process.env.NODETORCH_HOME;
  if (home) return path.join(path.resolve(home), 'datasets');
  const xdg = process.env.XDG_CACHE_HOME;
  return path.join(xdg ? path.resolve(xdg) : path.join(os.homedir(), '.cache'), 'nodetorch', 'datasets');
}

export interface FetchOptions {
  /** Resumes (Range requests) of one mirror after a dropped connection (default 3). */
  retries?: number;
  /** A connection silent this long is dropped and resumed (default 30 s). */
  timeoutMs?: number;
  /** Draw a progress bar on stderr: default when stderr is a TTY. */
  progress?: boolean;
}

/** Failures worth a resume of the same mirror (dropped, stalled, 5xx). */
class Retryable extends Error {}

const MAX_REDIRECTS = 5;

function fileSize(p: string): number {
  try {
    return fs.statSync(p).size;
  } catch {
    return 0;
  }
}

function md5File(p: string): Promise<string> {
  const hash = crypto.createHash('md5');
  return pipeline(fs.createReadStream(p), hash).then(() => hash.digest('hex'));
}

function request(url: string, have: number, timeoutMs: number, redirects = 0): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const get = u.protocol === 'https:' ? https.get : u.protocol === 'http:' ? http.get : undefined;
    if (!get) {
      reject(new Error(`unsupported protocol ${u.protocol} (http: or https: expected)`));
      return;
    }
    const headers: http.OutgoingHttpHeaders = { 'user-agent': 'nodetorch' };
    if (have > 0) headers.range = `bytes=${have}-`;
    const req = get(u, { headers, timeout: timeoutMs }, (res) => {
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (status >= 300 && status < 400 && location) {
        res.resume();
        if (redirects >= MAX_REDIRECTS) reject(new Error(`more than ${MAX_REDIRECTS} redirects`));
        else resolve(request(new URL(location, u).href, have, timeoutMs, redirects + 1));
        return;
      }
      resolve(res);
    });
    req.on('timeout', () => req.destroy(new Retryable(`no data for ${timeoutMs} ms`)));
    req.on('error', (e) => reject(e instanceof Retryable ? e : new Retryable(e.message)));
  });
}

function progressBar(name: string, enabled: boolean): { total(n: number): void; set(n: number): void; stop(): void } {
  if (!enabled) return { total() {}, set() {}, stop() {} };
  let unit: [number, string] = [1 << 20, 'MiB'];
  const fmt = (n: number): string => (n / unit[0]).toFixed(1);
  // Loaded on first use: importing nodetorch loads no npm package (scripts/gpu-check runs on plain Node).
  const { SingleBar } = require('cli-progress') as { SingleBar: typeof SingleBarType };
  const bar = new SingleBar({
    stream: process.stderr,
    format: `${name} [{bar}] {percentage}% | {got}/{size} {unit} | {eta_formatted}`,
    barsize: 24,
    hideCursor: true,
  });
  let started = false;
  return {
    total(n) {
      if (n < 1 << 20) unit = [1 << 10, 'KiB'];
      if (!started) bar.start(n, 0, { got: fmt(0), size: fmt(n), unit: unit[1] });
      else bar.setTotal(n);
      started = true;
    },
    set(n) {
      if (started) bar.update(n, { got: fmt(n), size: fmt(bar.getTotal()) });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/**
 * One GET of `url` into `part`, continuing after its current size when there
 * is one. Resolves when the body arrived whole; a drop throws Retryable.
 */
async function fetchOnce(url: string, part: string, timeoutMs: number, bar: ReturnType<typeof progressBar>) {
  const have = fileSize(part);
  const res = await request(url, have, timeoutMs);
  const status = res.statusCode ?? 0;
  let start = 0;
  if (status === 416 && have > 0) {
    // Nothing after `have`: the part is complete if the server's size says so.
    res.resume();
    const total = Number(/\/(\d+)$/.exec(res.headers['content-range'] ?? '')?.[1]);
    if (total === have) return;
    fs.rmSync(part, { force: true });
    throw new Retryable(`HTTP 416 for bytes ${have}- (server size ${res.headers['content-range'] ?? 'unknown'})`);
  }
  if (status === 206) {
    start = Number(/^bytes (\d+)-/.exec(res.headers['content-range'] ?? '')?.[1]);
    if (start !== have) {
      res.resume();
      fs.rmSync(part, { force: true });
      throw new Retryable(`asked for bytes ${have}-, got ${res.headers['content-range'] ?? 'no Content-Range'}`);
    }
  } else if (status !== 200) {
    res.resume();
    const reason = `HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`;
    throw status >= 500 || status === 429 ? new Retryable(reason) : new Error(reason);
  }
  const length = Number(res.headers['content-length']);
  const expected = Number.isFinite(length) ? start + length : undefined;
  if (expected !== undefined) bar.total(expected);
  let got = start;
  const failure = await writeBody(res, part, start > 0 ? 'a' : 'w', (n) => {
    got += n;
    bar.set(got);
  });
  if (failure || (expected !== undefined && got < expected)) {
    const of = expected !== undefined ? ` of ${expected}` : '';
    throw new Retryable(`connection dropped after ${got}${of} bytes${failure ? ` (${failure.message})` : ''}`);
  }
}

/**
 * Appends (or writes) the body to `part` and resolves once the file is
 * closed, with what went wrong if anything. Unlike stream.pipeline, a drop
 * still lets the bytes received reach the file, and no write is left in
 * flight when the next request measures the file to resume from.
 */
function writeBody(
  res: http.IncomingMessage,
  part: string,
  flags: 'a' | 'w',
  onBytes: (n: number) => void,
): Promise<Error | undefined> {
  return new Promise((resolve) => {
    let failure: Error | undefined;
    const out = fs.createWriteStream(part, { flags });
    out.on('error', (e) => {
      failure ??= e;
      res.destroy();
    });
    out.on('close', () => resolve(failure));
    res.on('data', (chunk: Buffer) => {
      onBytes(chunk.length);
      if (!out.write(chunk)) {
        res.pause();
        out.once('drain', () => res.resume());
      }
    });
    res.on('error', (e) => {
      failure ??= e;
    });
    res.on('close', () => {
      if (!res.complete) failure ??= new Error('the connection closed before the end of the body');
      out.end();
    });
  });
}

/** GET with resumes: a drop continues where the part file ends, up to `retries` times. */
async function fetchResumable(url: string, part: string, o: Required<FetchOptions>, name: string): Promise<void> {
  const bar = progressBar(name, o.progress);
  try {
    for (let attempt = 0; ; ++attempt) {
      try {
        await fetchOnce(url, part, o.timeoutMs, bar);
        return;
      } catch (e) {
        if (!(e instanceof Retryable) || attempt >= o.retries) throw e;
      }
    }
  } finally {
    bar.stop();
  }
}

export interface RemoteFile {
  /** File name, appended to each mirror URL. */
  name: string;
  /** MD5 of the file as served (hex). */
  md5: string;
}

/**
 * `dir/<file.name>`, downloaded from the first mirror that delivers it with
 * the right MD5 unless it is already there. `op` names the caller in errors.
 */
export async function downloadFile(
  op: string,
  file: RemoteFile,
  mirrors: readonly string[],
  dir: string,
  options: FetchOptions = {},
): Promise<string> {
  const dest = path.join(dir, file.name);
  if (fs.existsSync(dest)) return dest;
  fs.mkdirSync(dir, { recursive: true });
  const o: Required<FetchOptions> = {
    retries: options.retries ?? 3,
    timeoutMs: options.timeoutMs ?? 30_000,
    progress: options.progress ?? process.stderr.isTTY === true,
  };
  const part = `${dest}.part`;
  await withFileLock(`${dest}.lock`, async () => {
    if (fs.existsSync(dest)) return; // the holder before us finished it
    const attempts: DownloadAttempt[] = [];
    for (const mirror of mirrors) {
      const url = new URL(file.name, mirror.endsWith('/') ? mirror : `${mirror}/`).href;
      // A part left by an earlier run may hold bad bytes: on a mismatch after
      // resuming it, the same mirror gets one fresh try before the next one.
      for (let fresh = fileSize(part) === 0; ; fresh = true) {
        try {
          await fetchResumable(url, part, o, file.name);
        } catch (e) {
          attempts.push({ url, reason: (e as Error).message });
          break;
        }
        const md5 = await md5File(part);
        if (md5 === file.md5.toLowerCase()) {
          fs.renameSync(part, dest);
          return;
        }
        const size = fileSize(part);
        fs.rmSync(part, { force: true });
        if (fresh) {
          attempts.push({ url, reason: `MD5 mismatch: got ${md5} (${size} bytes), expected ${file.md5}` });
          break;
        }
      }
    }
    throw new DownloadError(
      op,
      file.name,
      attempts,
      `Check the network (or a proxy), or put the file into ${dir} yourself and load with { root: '${dir}' }.`,
    );
  });
  return dest;
}

/** `gz` inflated next to it (without the .gz), through a temp file and a rename. */
export async function gunzipBeside(gz: string): Promise<string> {
  const out = gz.replace(/\.gz$/, '');
  if (out === gz || fs.existsSync(out)) return out;
  const tmp = `${out}.part-${process.pid}`;
  try {
    await pipeline(fs.createReadStream(gz), zlib.createGunzip(), fs.createWriteStream(tmp));
    fs.renameSync(tmp, out);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  return out;
}
