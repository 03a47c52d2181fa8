// Per-epoch progress bar on stderr (cli-progress). Only drawn on a TTY: in a
// log file or a pipe a bar is noise, so the caller prints one line per epoch
// instead. The training loop is synchronous, so the bar must redraw from
// update() itself (cli-progress' synchronousUpdate) rather than from a timer
// that would never get to run.

import { SingleBar } from 'cli-progress';

interface StepStats {
  /** Running mean training loss over the epoch so far. */
  loss: number;
  /** Running training accuracy over the epoch so far, 0..1. */
  acc: number;
  samplesPerSec: number;
}

export interface EpochProgress {
  start(epoch: number, epochs: number, totalSamples: number): void;
  update(samplesDone: number, stats: StepStats): void;
  stop(): void;
}

/** A bar that draws nothing (not a TTY, --quiet). */
const SILENT: EpochProgress = { start() {}, update() {}, stop() {} };

/** The bar when `stream` is a TTY and not `quiet`, else a silent one. */
export function createProgress(quiet: boolean, stream: NodeJS.WriteStream = process.stderr): EpochProgress {
  if (quiet || !stream.isTTY) return SILENT;
  let bar: SingleBar | undefined;
  return {
    start(epoch, epochs, totalSamples) {
      const width = String(epochs).length;
      bar = new SingleBar({
        stream,
        format: `epoch ${String(epoch).padStart(width)}/${epochs} [{bar}] {percentage}% | loss {loss} | acc {acc} | {sps} samples/s | {duration_formatted}<{eta_formatted}`,
        barsize: 24,
        hideCursor: true,
        fps: 10,
        synchronousUpdate: true,
        etaBuffer: 50,
      });
      bar.start(totalSamples, 0, { loss: '-', acc: '-', sps: '-' });
    },
    update(samplesDone, s) {
      bar?.update(samplesDone, {
        loss: s.loss.toFixed(4),
        acc: `${(100 * s.acc).toFixed(2)}%`,
        sps: Math.round(s.samplesPerSec),
      });
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}

/** A bar over training steps (nodetorch train --model gpt). */
export interface StepProgress {
  update(step: number, loss: number, tokensPerSec: number): void;
  stop(): void;
}

/** The step bar when `stream` is a TTY and not `quiet`, else a silent one. */
export function createStepProgress(
  quiet: boolean,
  total: number,
  stream: NodeJS.WriteStream = process.stderr,
): StepProgress {
  if (quiet || !stream.isTTY) return { update() {}, stop() {} };
  const bar = new SingleBar({
    stream,
    format:
      'step {value}/{total} [{bar}] {percentage}% | loss {loss} | {tps} tokens/s | {duration_formatted}<{eta_formatted}',
    barsize: 24,
    hideCursor: true,
    fps: 10,
    synchronousUpdate: true,
    etaBuffer: 50,
  });
  bar.start(total, 0, { loss: '-', tps: '-' });
  return {
    update(step, loss, tps) {
      bar.update(step, { loss: loss.toFixed(4), tps: Math.round(tps) });
    },
    stop() {
      bar.stop();
    },
  };
}
