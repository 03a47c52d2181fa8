// Whether operations record the autograd graph (record.ts reads it; users
// switch it with nt.noGrad, nt.enableGrad, nt.setGradEnabled).
import { checkBool, checkFunction } from '../validate';

let enabled = true;

export function isGradEnabled(): boolean {
  return enabled;
}

/** Runs fn (synchronously) with graph recording off, like `with torch.no_grad()`. */
export function noGrad<T>(fn: () => T): T {
  checkFunction('noGrad', 'fn', fn);
  const prev = enabled;
  enabled = false;
  try {
    return fn();
  } finally {
    enabled = prev;
  }
}

/** Runs fn (synchronously) with graph recording on. */
export function enableGrad<T>(fn: () => T): T {
  checkFunction('enableGrad', 'fn', fn);
  const prev = enabled;
  enabled = true;
  try {
    return fn();
  } finally {
    enabled = prev;
  }
}

export function setGradEnabled(on: boolean): void {
  enabled = checkBool('setGradEnabled', 'on', on);
}
