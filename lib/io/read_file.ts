// Whole-file reads for the loaders (safetensors, IDX) whose failures are
// typed: a missing file or a directory is a FileError naming the file, not
// Node's bare ENOENT.
import * as fs from 'fs';
import { FileError } from '../errors';

const WHY: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'it is a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a parent of it is not a directory',
};

function typed(op: string, file: string, e: unknown): unknown {
  const code = typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
  if (code === undefined) return e;
  return new FileError(op, file, code, WHY[code] ?? (e instanceof Error ? e.message : String(e)));
}

export function readWholeFile(op: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw typed(op, file, e);
  }
}

export async function readWholeFileAsync(op: string, file: string): Promise<Buffer> {
  try {
    return await fs.promises.readFile(file);
  } catch (e) {
    throw typed(op, file, e);
  }
}
