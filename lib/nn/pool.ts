// Pooling layers (issue 12): thin modules over lib/ops/pool.ts.
import { type AdaptiveSize, type Size2, adaptiveAvgPool2d, adaptiveMaxPool2d, avgPool2d, maxPool2d } from '../ops/pool';
import type { Tensor } from '../tensor/tensor';
import { checkBool, checkOptions, optionKeys } from '../validate';
import { Module } from './module';

/** What forward returns: the output, or [output, indices] with returnIndices. */
export type PoolResult<R extends boolean> = R extends true ? [Tensor, Tensor] : Tensor;

export interface MaxPool2dOptions<R extends boolean = boolean> {
  /** Default: kernelSize. */
  stride?: Size2 | null;
  padding?: Size2;
  dilation?: Size2;
  /** Return [output, indices] from forward. */
  returnIndices?: R;
  ceilMode?: boolean;
}

const show = (v: Size2 | null | undefined): string => (Array.isArray(v) ? `[${v.join(', ')}]` : String(v));

/** Max over kernelSize windows of [N, C, H, W] or [C, H, W]. */
export class MaxPool2d<R extends boolean = false> extends Module {
  readonly stride: Size2;
  readonly padding: Size2;
  readonly dilation: Size2;
  readonly returnIndices: boolean;
  readonly ceilMode: boolean;
  constructor(
    readonly kernelSize: Size2,
    options: MaxPool2dOptions<R> = {},
  ) {
    super();
    const o = checkOptions('MaxPool2d', options, MAX_POOL_KEYS) as MaxPool2dOptions;
    this.stride = o.stride ?? kernelSize;
    this.padding = o.padding ?? 0;
    this.dilation = o.dilation ?? 1;
    this.returnIndices = checkBool('MaxPool2d', 'returnIndices', o.returnIndices ?? false);
    this.ceilMode = checkBool('MaxPool2d', 'ceilMode', o.ceilMode ?? false);
  }
  forward(x: Tensor): PoolResult<R> {
    const args = [x, this.kernelSize, this.stride, this.padding, this.dilation, this.ceilMode] as const;
    return (this.returnIndices ? maxPool2d(...args, true) : maxPool2d(...args)) as PoolResult<R>;
  }
  override extraRepr(): string {
    return `kernelSize=${show(this.kernelSize)}, stride=${show(this.stride)}, padding=${show(this.padding)}, dilation=${show(this.dilation)}, ceilMode=${this.ceilMode}`;
  }
}

const MAX_POOL_KEYS = optionKeys<MaxPool2dOptions>({
  stride: true,
  padding: true,
  dilation: true,
  returnIndices: true,
  ceilMode: true,
});

export interface AvgPool2dOptions {
  /** Default: kernelSize. */
  stride?: Size2 | null;
  padding?: Size2;
  ceilMode?: boolean;
  countIncludePad?: boolean;
  divisorOverride?: number | null;
}

const AVG_POOL_KEYS = optionKeys<AvgPool2dOptions>({
  stride: true,
  padding: true,
  ceilMode: true,
  countIncludePad: true,
  divisorOverride: true,
});

/** Mean over kernelSize windows of [N, C, H, W] or [C, H, W]. */
export class AvgPool2d extends Module {
  readonly stride: Size2;
  readonly padding: Size2;
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;
  constructor(
    readonly kernelSize: Size2,
    options: AvgPool2dOptions = {},
  ) {
    super();
    const o = checkOptions('AvgPool2d', options, AVG_POOL_KEYS);
    this.stride = o.stride ?? kernelSize;
    this.padding = o.padding ?? 0;
    this.ceilMode = checkBool('AvgPool2d', 'ceilMode', o.ceilMode ?? false);
    this.countIncludePad = checkBool('AvgPool2d', 'countIncludePad', o.countIncludePad ?? true);
    this.divisorOverride = o.divisorOverride ?? null;
  }
  forward(x: Tensor): Tensor {
    return avgPool2d(
      x,
      this.kernelSize,
      this.stride,
      this.padding,
      this.ceilMode,
      this.countIncludePad,
      this.divisorOverride,
    );
  }
  override extraRepr(): string {
    return `kernelSize=${show(this.kernelSize)}, stride=${show(this.stride)}, padding=${show(this.padding)}`;
  }
}

/** Mean over PyTorch's adaptive windows, to a fixed output size. */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: AdaptiveSize) {
    super();
  }
  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }
  override extraRepr(): string {
    return `outputSize=${Array.isArray(this.outputSize) ? `[${this.outputSize.join(', ')}]` : String(this.outputSize)}`;
  }
}

/** Max over PyTorch's adaptive windows, to a fixed output size. */
export class AdaptiveMaxPool2d<R extends boolean = false> extends Module {
  readonly returnIndices: R;
  constructor(
    readonly outputSize: AdaptiveSize,
    returnIndices?: R,
  ) {
    super();
    this.returnIndices = checkBool('AdaptiveMaxPool2d', 'returnIndices', returnIndices ?? false) as R;
  }
  forward(x: Tensor): PoolResult<R> {
    return (
      this.returnIndices ? adaptiveMaxPool2d(x, this.outputSize, true) : adaptiveMaxPool2d(x, this.outputSize)
    ) as PoolResult<R>;
  }
  override extraRepr(): string {
    return `outputSize=${Array.isArray(this.outputSize) ? `[${this.outputSize.join(', ')}]` : String(this.outputSize)}`;
  }
}
