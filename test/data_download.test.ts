// datasets.MNIST / FashionMNIST with `download: true` against a local HTTP
// server on 127.0.0.1 (node:http; no network): gzip files made here from
// small random IDX files and served with the MD5s computed here. Covers a
// normal download into the cache, checksum mismatches (next mirror, then a
// DownloadError naming every URL), a connection dropped mid-body (resumed
// with a Range request), a 404 on the first mirror, a stale lock, and two
// processes downloading the same files at once.
import { spawn } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import * as nt from '../lib';
import { main as cli, type CliIO } from '../lib/cli/main';
import { downloadMnistSplit } from '../lib/data/mnist_download';

const root = path.resolve(__dirname, '..');
const N = 7;

type Mode = 'ok' | 'missing' | 'corrupt' | 'truncate-once' | 'stall-once' | 'gated';
interface Served {
  path: string;
  range: string | undefined;
}

/** Random IDX files (test split names), gzipped, with their MD5s and raw contents. */
function makeFiles(): { gz: Map<string, Buffer>; raw: Map<string, Buffer>; md5: Record<string, string> } {
  const images = Buffer.concat([
    Buffer.from([0, 0, 8, 3, 0, 0, 0, N, 0, 0, 0, 28, 0, 0, 0, 28]),
    crypto.randomBytes(N * 784),
  ]);
  const labels = Buffer.concat([
    Buffer.from([0, 0, 8, 1, 0, 0, 0, N]),
    Buffer.from(Array.from({ length: N }, () => crypto.randomInt(10))),
  ]);
  const raw = new Map([
    ['t10k-images-idx3-ubyte', images],
    ['t10k-labels-idx1-ubyte', labels],
  ]);
  const gz = new Map<string, Buffer>();
  const md5: Record<string, string> = {};
  for (const [name, buf] of raw) {
    const z = zlib.gzipSync(buf);
    gz.set(`${name}.gz`, z);
    md5[`${name}.gz`] = crypto.createHash('md5').update(z).digest('hex');
  }
  return { gz, raw, md5 };
}

/** A server of `files` under /<mirror>/<name>, each mirror with its mode; records every request. */
async function serve(files: Map<string, Buffer>, modes: Record<string, Mode>) {
  const served: Served[] = [];
  const truncated = new Set<string>();
  const stalled: import('net').Socket[] = [];
  const server = http.createServer((req, res) => {
    const url = req.url ?? '';
    served.push({ path: url, range: req.headers.range });
    const [, mirror = '', name = ''] = url.split('/');
    const body = files.get(name);
    const mode = modes[mirror];
    if (!body || !mode || mode === 'missing') {
      res.writeHead(404).end('not found');
      return;
    }
    let data = body;
    if (mode === 'corrupt') {
      data = Buffer.from(body);
      data[data.length >> 1] ^= 0x55;
    }
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    const part = data.subarray(start);
    res.writeHead(m ? 206 : 200, {
      'content-length': part.length,
      ...(m ? { 'content-range': `bytes ${start}-${data.length - 1}/${data.length}` } : {}),
    });
    if (mode === 'truncate-once' && !truncated.has(url)) {
      truncated.add(url);
      // Half the body, then the connection drops.
      res.write(part.subarray(0, part.length >> 1), () => req.socket.destroy());
      return;
    }
    if (mode === 'stall-once' && !truncated.has(url)) {
      truncated.add(url);
      // Half the body, then silence on an open connection (closed by close()).
      res.write(part.subarray(0, part.length >> 1));
      stalled.push(req.socket);
      return;
    }
    if (mode === 'gated') {
      // Half the body; the rest once both child processes have started, so
      // that they overlap: one downloads while the other waits on the lock.
      res.write(part.subarray(0, part.length >> 1));
      const t0 = Date.now();
      const poll = (): void => {
        const started = fs.readdirSync(home).filter((n) => n.startsWith('started-')).length;
        if (started >= 2 || Date.now() - t0 > 20_000) res.end(part.subarray(part.length >> 1));
        else setTimeout(poll, 20);
      };
      poll();
      return;
    }
    res.end(part);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    served,
    mirror: (name: string) => `${base}/${name}/`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const sock of stalled) sock.destroy();
        server.close(() => resolve());
      }),
  };
}

let home: string;
const savedHome = process.env.NODETORCH_HOME;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'nt-download-'));
  process.env.NODETORCH_HOME = home;
});
afterEach(() => {
  if (savedHome === undefined) delete process.env.NODETORCH_HOME;
  else process.env.NODETORCH_HOME = savedHome;
  fs.rmSync(home, { recursive: true, force: true });
});

const labelsOf = (raw: Buffer): number[] => [...raw.subarray(8)];

test('cacheDir(): NODETORCH_HOME/datasets, else ~/.cache/nodetorch/datasets', () => {
  expect(nt.datasets.cacheDir()).toBe(path.join(home, 'datasets'));
  delete process.env.NODETORCH_HOME;
  const xdg = process.env.XDG_CACHE_HOME;
  delete process.env.XDG_CACHE_HOME;
  try {
    expect(nt.datasets.cacheDir()).toBe(path.join(os.homedir(), '.cache', 'nodetorch', 'datasets'));
  } finally {
    if (xdg !== undefined) process.env.XDG_CACHE_HOME = xdg;
  }
});

test('a download into the cache: verified, inflated, read; the next load downloads nothing', async () => {
  const f = makeFiles();
  const s = await serve(f.gz, { a: 'ok' });
  try {
    const ds = await nt.datasets.MNIST.load({ train: false, download: true, mirrors: [s.mirror('a')], md5: f.md5 });
    expect(ds.length).toBe(N);
    expect(ds.root).toBe(path.join(home, 'datasets', 'mnist'));
    expect(ds.targets.toArray()).toEqual(labelsOf(f.raw.get('t10k-labels-idx1-ubyte') as Buffer));
    expect(
      Buffer.from(ds.data.data() as Uint8Array).equals((f.raw.get('t10k-images-idx3-ubyte') as Buffer).subarray(16)),
    ).toBe(true);
    // The verified .gz and the inflated file, and nothing else (no .part, no .lock).
    expect(fs.readdirSync(ds.root).sort()).toEqual([
      't10k-images-idx3-ubyte',
      't10k-images-idx3-ubyte.gz',
      't10k-labels-idx1-ubyte',
      't10k-labels-idx1-ubyte.gz',
    ]);
    expect(s.served.map((r) => r.path).sort()).toEqual([
      '/a/t10k-images-idx3-ubyte.gz',
      '/a/t10k-labels-idx1-ubyte.gz',
    ]);
    // From the cache: without a root, with or without download, sync or async.
    const again = await nt.datasets.MNIST.load({ train: false, download: true, mirrors: [s.mirror('a')] });
    expect(again.targets.toArray()).toEqual(ds.targets.toArray());
    expect(new nt.datasets.MNIST({ train: false }).root).toBe(ds.root);
    expect(s.served).toHaveLength(2);
    // Fashion-MNIST has its own cache folder, into a root given.
    const dir = path.join(home, 'fashion');
    const fm = await nt.datasets.FashionMNIST.load(dir, {
      train: false,
      download: true,
      mirrors: [s.mirror('a')],
      md5: f.md5,
    });
    expect(fm.root).toBe(dir);
    expect(fm.targets.toArray()).toEqual(ds.targets.toArray());
  } finally {
    await s.close();
  }
});

const MNIST_DIR = path.resolve(root, '../shared/data/mnist');
(fs.existsSync(MNIST_DIR) ? test : test.skip)(
  "the real MNIST test split served as the mirrors serve it: torchvision's MD5s pass",
  async () => {
    const names = ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];
    const s = await serve(new Map(names.map((n) => [n, fs.readFileSync(path.join(MNIST_DIR, n))])), { a: 'ok' });
    try {
      const ds = await nt.datasets.MNIST.load({ train: false, download: true, mirrors: [s.mirror('a')] });
      expect(ds.length).toBe(10000);
      expect(ds.targets.narrow(0, 0, 10).toArray()).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
      const local = new nt.datasets.MNIST(MNIST_DIR, { train: false });
      expect(Buffer.from(ds.data.data() as Uint8Array).equals(Buffer.from(local.data.data() as Uint8Array))).toBe(true);
    } finally {
      await s.close();
    }
  },
);

test("torchvision's MD5s are checked: other bytes under the right names are refused", async () => {
  const f = makeFiles();
  const s = await serve(f.gz, { a: 'ok' });
  try {
    const err = await nt.datasets.MNIST.load({ train: false, download: true, mirrors: [s.mirror('a')] }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(nt.DownloadError);
    const e = err as nt.DownloadError;
    expect(e.file).toBe('t10k-images-idx3-ubyte.gz');
    expect(e.message).toContain(
      `${s.mirror('a')}t10k-images-idx3-ubyte.gz: MD5 mismatch: got ${f.md5['t10k-images-idx3-ubyte.gz']}`,
    );
    expect(e.message).toContain('expected 9fb629c4189551a2d022fa330f9573f3');
    expect(fs.readdirSync(path.join(home, 'datasets', 'mnist'))).toEqual([]); // no part, no lock, no file
  } finally {
    await s.close();
  }
});

test('a corrupted transfer: the next mirror; corrupted everywhere: a DownloadError naming every URL', async () => {
  const f = makeFiles();
  const s = await serve(f.gz, { bad: 'corrupt', bad2: 'corrupt', good: 'ok' });
  try {
    const ds = await nt.datasets.MNIST.load({
      train: false,
      download: true,
      mirrors: [s.mirror('bad'), s.mirror('good')],
      md5: f.md5,
    });
    expect(ds.targets.toArray()).toEqual(labelsOf(f.raw.get('t10k-labels-idx1-ubyte') as Buffer));
    expect(s.served.map((r) => r.path)).toEqual([
      '/bad/t10k-images-idx3-ubyte.gz',
      '/good/t10k-images-idx3-ubyte.gz',
      '/bad/t10k-labels-idx1-ubyte.gz',
      '/good/t10k-labels-idx1-ubyte.gz',
    ]);
    const dir = path.join(home, 'elsewhere');
    const err = await nt.datasets.MNIST.load(dir, {
      train: false,
      download: true,
      mirrors: [s.mirror('bad'), s.mirror('bad2')],
      md5: f.md5,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(nt.DownloadError);
    const e = err as nt.DownloadError;
    expect(e.attempts.map((a) => a.url)).toEqual([
      `${s.mirror('bad')}t10k-images-idx3-ubyte.gz`,
      `${s.mirror('bad2')}t10k-images-idx3-ubyte.gz`,
    ]);
    for (const a of e.attempts) expect(a.reason).toMatch(/^MD5 mismatch: got [0-9a-f]{32} \(\d+ bytes\), expected /);
    expect(e.message).toMatch(/MNIST\.load: could not download t10k-images-idx3-ubyte\.gz; tried:/);
    expect(e.message).toContain(`{ root: '${dir}' }`);
    expect(fs.readdirSync(dir)).toEqual([]);
  } finally {
    await s.close();
  }
});

test('a connection dropped mid-body: resumed with a Range request from where the file ends', async () => {
  const f = makeFiles();
  const s = await serve(f.gz, { a: 'truncate-once' });
  try {
    const ds = await nt.datasets.MNIST.load({ train: false, download: true, mirrors: [s.mirror('a')], md5: f.md5 });
    expect(ds.targets.toArray()).toEqual(labelsOf(f.raw.get('t10k-labels-idx1-ubyte') as Buffer));
    const images = (f.gz.get('t10k-images-idx3-ubyte.gz') as Buffer).length;
    const labels = (f.gz.get('t10k-labels-idx1-ubyte.gz') as Buffer).length;
    expect(s.served).toEqual([
      { path: '/a/t10k-images-idx3-ubyte.gz', range: undefined },
      { path: '/a/t10k-images-idx3-ubyte.gz', range: `bytes=${images >> 1}-` },
      { path: '/a/t10k-labels-idx1-ubyte.gz', range: undefined },
      { path: '/a/t10k-labels-idx1-ubyte.gz', range: `bytes=${labels >> 1}-` },
    ]);
  } finally {
    await s.close();
  }
});

test('a stalled connection times out and is resumed', async () => {
  const f = makeFiles();
  const s = await serve(f.gz, { a: 'stall-once' });
  try {
    const dir = path.join(home, 'stall');
    await downloadMnistSplit('MNIST', dir, 'test', { mirrors: [s.mirror('a')], md5: f.md5, timeoutMs: 300 });
    expect(
      fs.readFileSync(path.join(dir, 't10k-labels-idx1-ubyte')).equals(f.raw.get('t10k-labels-idx1-ubyte') as Buffer),
    ).toBe(true);
    const images = (f.gz.get('t10k-images-idx3-ubyte.gz') as Buffer).length;
    expect(s.served[1]).toEqual({ path: '/a/t10k-images-idx3-ubyte.gz', range: `bytes=${images >> 1}-` });
  } finally {
    await s.close();
  }
});

test('a part left by an earlier run is resumed; a bad one is fetched again whole', async () => {
  const f = makeFiles();
  const s = await serve(f.gz, { a: 'ok' });
  try {
    const dir = path.join(home, 'mnist');
    fs.mkdirSync(dir);
    const gz = f.gz.get('t10k-images-idx3-ubyte.gz') as Buffer;
    fs.writeFileSync(path.join(dir, 't10k-images-idx3-ubyte.gz.part'), gz.subarray(0, 100));
    const bad = Buffer.from((f.gz.get('t10k-labels-idx1-ubyte.gz') as Buffer).subarray(0, 10)).fill(7);
    fs.writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte.gz.part'), bad);
    const ds = await nt.datasets.MNIST.load(dir, {
      train: false,
      download: true,
      mirrors: [s.mirror('a')],
      md5: f.md5,
    });
    expect(ds.length).toBe(N);
    expect(s.served.map((r) => r.range)).toEqual(['bytes=100-', 'bytes=10-', undefined]);
  } finally {
    await s.close();
  }
});

test('a 404 on the first mirror falls back to the second', async () => {
  const f = makeFiles();
  const s = await serve(f.gz, { gone: 'missing', b: 'ok' });
  try {
    const ds = await nt.datasets.MNIST.load({
      train: false,
      download: true,
      mirrors: [s.mirror('gone'), s.mirror('b')],
      md5: f.md5,
    });
    expect(ds.length).toBe(N);
    expect(s.served.map((r) => r.path)).toEqual([
      '/gone/t10k-images-idx3-ubyte.gz',
      '/b/t10k-images-idx3-ubyte.gz',
      '/gone/t10k-labels-idx1-ubyte.gz',
      '/b/t10k-labels-idx1-ubyte.gz',
    ]);
    const err = await nt.datasets.MNIST.load(path.join(home, 'x'), {
      train: false,
      download: true,
      mirrors: [s.mirror('gone'), 'http://127.0.0.1:1/'],
      md5: f.md5,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(nt.DownloadError);
    const reasons = (err as nt.DownloadError).attempts.map((a) => a.reason);
    expect(reasons[0]).toBe('HTTP 404 Not Found');
    expect(reasons[1]).toMatch(/ECONNREFUSED/);
  } finally {
    await s.close();
  }
});

test('a stale lock (its process is gone) is taken over', async () => {
  const f = makeFiles();
  const s = await serve(f.gz, { a: 'ok' });
  try {
    const dir = path.join(home, 'datasets', 'mnist');
    fs.mkdirSync(dir, { recursive: true });
    const dead = await new Promise<number>((resolve) => {
      const c = spawn(process.execPath, ['-e', '0']);
      c.on('exit', () => resolve(c.pid as number));
    });
    fs.writeFileSync(
      path.join(dir, 't10k-images-idx3-ubyte.gz.lock'),
      JSON.stringify({ pid: dead, host: os.hostname() }),
    );
    const ds = await nt.datasets.MNIST.load({ train: false, download: true, mirrors: [s.mirror('a')], md5: f.md5 });
    expect(ds.length).toBe(N);
    expect(fs.readdirSync(dir).filter((n) => n.includes('.lock'))).toEqual([]);
  } finally {
    await s.close();
  }
});

test('two processes download the same files at once: one fetches each file, both get it whole', async () => {
  const f = makeFiles();
  const s = await serve(f.gz, { a: 'gated' });
  try {
    const run = () =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const c = spawn(
          process.execPath,
          [
            '-r',
            path.join(root, 'test/reliability/children/ts_register.js'),
            path.join(root, 'test/reliability/children/download_child.ts'),
            s.mirror('a'),
            JSON.stringify(f.md5),
          ],
          { env: { ...process.env, NODETORCH_HOME: home } },
        );
        let out = '';
        c.stdout.on('data', (d: Buffer) => (out += d));
        c.stderr.on('data', (d: Buffer) => (out += d));
        c.on('exit', (code) => resolve({ code, out }));
      });
    const results = await Promise.all([run(), run()]);
    for (const r of results) expect(r).toEqual({ code: 0, out: `${path.join(home, 'datasets', 'mnist')}\n` });
    expect(s.served.map((r) => r.path).sort()).toEqual([
      '/a/t10k-images-idx3-ubyte.gz',
      '/a/t10k-labels-idx1-ubyte.gz',
    ]);
    const ds = new nt.datasets.MNIST({ train: false });
    expect(ds.targets.toArray()).toEqual(labelsOf(f.raw.get('t10k-labels-idx1-ubyte') as Buffer));
  } finally {
    await s.close();
  }
}, 60_000);

test('the constructor cannot download: it says to use load; bad options are refused', () => {
  const dir = path.join(home, 'empty');
  expect(() => new nt.datasets.MNIST(dir, { download: true })).toThrow(
    /the train files in .*empty for the synchronous constructor, got none there: download them with `await datasets\.MNIST\.load/,
  );
  expect(() => new nt.datasets.FashionMNIST({ train: false })).toThrow(
    /or \{ download: true \} in FashionMNIST\.load \(nodetorch train: --download; into .*fashion-mnist/,
  );
  expect(() => nt.datasets.MNIST.load(dir, { download: 'yes' as unknown as boolean })).toThrow(nt.ArgumentError);
  expect(() => nt.datasets.MNIST.load(dir, { mirror: 'x' } as unknown as nt.datasets.MnistOptions)).toThrow(/mirror/);
});

(fs.existsSync(MNIST_DIR) ? test : test.skip)(
  'nodetorch train --download: both splits into --data-dir, then trains on them',
  async () => {
    const names = fs.readdirSync(MNIST_DIR).filter((n) => n.endsWith('.gz'));
    const s = await serve(new Map(names.map((n) => [n, fs.readFileSync(path.join(MNIST_DIR, n))])), { a: 'ok' });
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIO = { out: (t) => void out.push(t), err: (t) => void err.push(t), progressStream: process.stderr };
    try {
      const dir = path.join(home, 'cli');
      const argv = ['train', '--download', '--data-dir', dir, '--mirror', s.mirror('a'), '--epochs', '1', '--json'];
      const code = await cli([...argv, '--limit-train', '256', '--limit-test', '128', '-q'], io);
      expect({ code, err }).toEqual({ code: 0, err: [] });
      expect(
        fs
          .readdirSync(dir)
          .filter((n) => !n.endsWith('.gz'))
          .sort(),
      ).toEqual([
        't10k-images-idx3-ubyte',
        't10k-labels-idx1-ubyte',
        'train-images-idx3-ubyte',
        'train-labels-idx1-ubyte',
      ]);
      const summary = JSON.parse(out[out.length - 1] as string) as { trainSamples: number; testSamples: number };
      expect([summary.trainSamples, summary.testSamples]).toEqual([256, 128]);
      expect(s.served).toHaveLength(4);
    } finally {
      await s.close();
    }
  },
  60_000,
);
