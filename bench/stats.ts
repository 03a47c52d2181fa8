// Timing helpers shared by every benchmark: a calibrated inner loop, several
// repetitions, median and spread. bench/reference/common.py measures the
// PyTorch side the same way, so the two columns compare like with like.
import * as os from 'os';

/** Seconds per call over `reps` repetitions. */
export interface Stat {
  median: number;
  min: number;
  max: number;
  reps: number;
  /** Calls per repetition (calibrated so one repetition lasts ~minTime). */
  iters: number;
  samples: number[];
}

export interface MeasureOptions {
  reps: number;
  /** Seconds one repetition should last (the inner loop is sized to it). */
  minTime: number;
  /**
   * Waits for the work the calls recorded (nt.synchronizeSync): ops record
   * kernels and return, so without it a loop times the recording, and the
   * calibration sizes the loop to thousands of unrun kernels.
   */
  sync?: () => void;
}

function now(): number {
  return Number(process.hrtime.bigint()) / 1e9;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function statOf(samples: number[], iters = 1): Stat {
  return {
    median: median(samples),
    min: Math.min(...samples),
    max: Math.max(...samples),
    reps: samples.length,
    iters,
    samples,
  };
}

/**
 * Calls fn for a quarter of minTime (at least 3 times) before anything is
 * timed: V8 optimizes a call path only after it ran hot, so a loop sized
 * from the first calls timed the interpreter (dispatch_add measured 7-11 us
 * with autograd off, 1-4 us with it on, only because it ran first).
 * bench/reference/common.py warms up the same way.
 */
function warmUp(fn: () => void, opts: MeasureOptions, sync: () => void): void {
  const until = now() + opts.minTime / 4;
  let calls = 0;
  while (calls < 3 || now() < until) {
    fn();
    ++calls;
  }
  sync();
}

/**
 * After the warm-up, one call calibrates the inner loop, a second
 * re-calibrates (the first may include lazy set-up: page faults, thread
 * start), then `reps` timed repetitions.
 */
export function measure(fn: () => void, opts: MeasureOptions): Stat {
  const sync = opts.sync ?? ((): void => undefined);
  warmUp(fn, opts, sync);
  let t0 = now();
  fn();
  sync();
  let iters = Math.max(1, Math.floor(opts.minTime / Math.max(now() - t0, 1e-9)));
  if (iters > 1) {
    t0 = now();
    fn();
    sync();
    iters = Math.max(1, Math.floor(opts.minTime / Math.max(now() - t0, 1e-9)));
  }
  const samples: number[] = [];
  for (let r = 0; r < opts.reps; ++r) {
    t0 = now();
    for (let i = 0; i < iters; ++i) fn();
    sync();
    samples.push((now() - t0) / iters);
  }
  return statOf(samples, iters);
}

/**
 * Two functions measured in alternating repetitions, so a change of machine
 * load hits both alike (used for ratios such as nt.matmul vs the direct call).
 */
export function measurePair(a: () => void, b: () => void, opts: MeasureOptions): [Stat, Stat] {
  const sync = opts.sync ?? ((): void => undefined);
  const calibrate = (fn: () => void): number => {
    warmUp(fn, opts, sync);
    const t0 = now();
    fn();
    sync();
    return Math.max(1, Math.floor(opts.minTime / Math.max(now() - t0, 1e-9)));
  };
  const ia = calibrate(a),
    ib = calibrate(b);
  const sa: number[] = [],
    sb: number[] = [];
  for (let r = 0; r < opts.reps; ++r) {
    let t0 = now();
    for (let i = 0; i < ia; ++i) a();
    sync();
    sa.push((now() - t0) / ia);
    t0 = now();
    for (let i = 0; i < ib; ++i) b();
    sync();
    sb.push((now() - t0) / ib);
  }
  return [statOf(sa, ia), statOf(sb, ib)];
}

/** Spread as +-% of the median: half the min..max range. */
export function spreadPct(s: Stat): number {
  return s.median > 0 ? (50 * (s.max - s.min)) / s.median : 0;
}

/** The 1-minute load average (other processes compete for the cores). */
export function load1(): number {
  return os.loadavg()[0];
}
