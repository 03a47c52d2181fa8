// Which engine runs float32 conv2d on the CPU: oneDNN (the conv2d kernels,
// native/cpu/onednn_conv.cpp) or the built-in im2col + GEMM of lib/ops/conv.ts.
// Chosen by NODETORCH_CONV_ENGINE, else by nt.backends.conv.engine; oneDNN
// asked for but absent falls back to the built-in engine, and
// info().convEngine says why.
import { native } from './native';
import { ArgumentError } from '../errors';
import { showValue } from '../validate';

export type ConvEngine = 'onednn' | 'builtin';

/** The engine used when nothing is set: oneDNN when it loads (measured faster on every bench shape, docs in README). */
const DEFAULT_ENGINE: ConvEngine = 'onednn';

export interface ConvEngineInfo {
  /** The engine conv2d runs on now. */
  engine: ConvEngine;
  /** The engine asked for (NODETORCH_CONV_ENGINE, nt.backends.conv.engine, or the default). */
  requested: ConvEngine;
  onednn: { available: boolean; reason: string; path: string; version: string };
}

function fromEnv(): ConvEngine {
  const v = process.env.NODETORCH_CONV_ENGINE;
  if (v === undefined || v === '') return DEFAULT_ENGINE;
  if (v === 'onednn' || v === 'builtin') return v;
  throw new ArgumentError(
    'NODETORCH_CONV_ENGINE',
    `expected 'onednn' or 'builtin', got '${v}'; unset it to use the default (${DEFAULT_ENGINE})`,
  );
}

let requested: ConvEngine | undefined;
let status: ConvEngineInfo['onednn'] | undefined;

function onednn(): ConvEngineInfo['onednn'] {
  status ??= native.onednnStatus();
  return status;
}

/** The engine asked for. */
export function requestedConvEngine(): ConvEngine {
  requested ??= fromEnv();
  return requested;
}

/** Asks for an engine; 'onednn' without the library keeps running the built-in one. */
export function setConvEngine(engine: ConvEngine): void {
  if (engine !== 'onednn' && engine !== 'builtin')
    throw new ArgumentError('backends.conv.engine', `expected 'onednn' or 'builtin', got ${showValue(engine)}`);
  requested = engine;
}

/** True when float32 CPU conv2d runs on oneDNN. */
export function onednnConvActive(): boolean {
  return requestedConvEngine() === 'onednn' && onednn().available;
}

export function convEngineInfo(): ConvEngineInfo {
  return { engine: onednnConvActive() ? 'onednn' : 'builtin', requested: requestedConvEngine(), onednn: onednn() };
}
