// Upsample: a module over F.interpolate (lib/ops/interpolate.ts).
import { INTERPOLATE_KEYS, type InterpolateMode, type InterpolateOptions, interpolate } from '../ops/interpolate';
import type { Tensor } from '../tensor/tensor';
import { checkOptions, showValue } from '../validate';
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
    const o = checkOptions('Upsample', options, INTERPOLATE_KEYS);
    this.size = o.size;
    this.scaleFactor = o.scaleFactor;
    this.mode = o.mode ?? 'nearest';
    this.alignCorners = o.alignCorners;
  }

  forward(x: Tensor): Tensor {
    const o: InterpolateOptions = { size: this.size, scaleFactor: this.scaleFactor, mode: this.mode };
    return interpolate(x, this.alignCorners === undefined ? o : { ...o, alignCorners: this.alignCorners });
  }

  override extraRepr(): string {
    const parts = [];
    // Shown with showValue: the values are checked only on forward and may be anything.
    const show = (v: unknown): string => (Array.isArray(v) ? `[${v.map(showValue).join(', ')}]` : showValue(v));
    if (this.size !== undefined) parts.push(`size=${show(this.size)}`);
    if (this.scaleFactor !== undefined) parts.push(`scaleFactor=${show(this.scaleFactor)}`);
    parts.push(typeof this.mode === 'string' ? `mode='${this.mode}'` : `mode=${show(this.mode)}`);
    if (this.alignCorners !== undefined) parts.push(`alignCorners=${this.alignCorners}`);
    return parts.join(', ');
  }
}
