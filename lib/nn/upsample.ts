// Upsample: a module over F.interpolate (lib/ops/interpolate.ts).
import { type InterpolateMode, type InterpolateOptions, interpolate } from '../ops/interpolate';
import type { Tensor } from '../tensor/tensor';
import { Module } from './module';

/** Resizes [N, C, L] or [N, C, H, W] input by size or scaleFactor ('nearest' by default). */
export class Upsample extends Module {
  readonly size: number | readonly number[] | undefined;
  readonly scaleFactor: number | readonly number[] | undefined;
  readonly mode: InterpolateMode;
  readonly alignCorners: boolean | undefined;

  /** The options are F.interpolate's, checked on each forward as there. */
  constructor(options: InterpolateOptions) {
    super();
    this.size = options.size;
    this.scaleFactor = options.scaleFactor;
    this.mode = options.mode ?? 'nearest';
    this.alignCorners = options.alignCorners;
  }

  forward(x: Tensor): Tensor {
    const o: InterpolateOptions = { size: this.size, scaleFactor: this.scaleFactor, mode: this.mode };
    return interpolate(x, this.alignCorners === undefined ? o : { ...o, alignCorners: this.alignCorners });
  }

  override extraRepr(): string {
    const parts = [];
    if (this.size !== undefined) parts.push(`size=${JSON.stringify(this.size)}`);
    if (this.scaleFactor !== undefined) parts.push(`scaleFactor=${JSON.stringify(this.scaleFactor)}`);
    parts.push(`mode='${this.mode}'`);
    if (this.alignCorners !== undefined) parts.push(`alignCorners=${this.alignCorners}`);
    return parts.join(', ');
  }
}
