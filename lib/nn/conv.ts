// Conv1d and Conv2d: weight [out, in/groups, ...kernel] and bias [out] with
// PyTorch's default init, over the conv ops of lib/ops/conv.ts. paddingMode
// 'reflect' / 'replicate' / 'circular' pad with F.pad first, then convolve
// without padding (as PyTorch does).
import { ArgumentError } from '../errors';
import { noGrad } from '../ops/grad_mode';
import { type ConvPadding2, type ConvSize2, conv1d, conv2d } from '../ops/conv';
import { pad } from '../ops/pad';
import { empty } from '../tensor/creation';
import type { DeviceLike, DType } from '../tensor/dtype';
import type { Tensor } from '../tensor/tensor';
import { checkBool, checkInteger, checkOptions, optionKeys, showValue } from '../validate';
import { kaimingUniform_, uniform_ } from './init';
import { Module } from './module';
import { Parameter } from './parameter';

export type PaddingMode = 'zeros' | 'reflect' | 'replicate' | 'circular';

interface ConvOptions<S> {
  stride?: S;
  padding?: S | 'same' | 'valid';
  dilation?: S;
  groups?: number;
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** How the padding is filled (default 'zeros'). */
  paddingMode?: PaddingMode;
  device?: DeviceLike;
  dtype?: DType;
}

const CONV_KEYS = optionKeys<ConvOptions<unknown>>({
  stride: true,
  padding: true,
  dilation: true,
  groups: true,
  bias: true,
  paddingMode: true,
  device: true,
  dtype: true,
});

export type Conv2dModuleOptions = ConvOptions<ConvSize2>;
export type Conv1dModuleOptions = ConvOptions<number | readonly [number]>;

function tuple(op: string, name: string, v: unknown, n: number, min: number): number[] {
  const one = (x: unknown): number => checkInteger(op, name, x, min);
  if (typeof v === 'number') return new Array<number>(n).fill(one(v));
  if (Array.isArray(v) && v.length === n) return v.map(one);
  throw new ArgumentError(op, `${name} a number or an array of ${n} numbers, got ${showValue(v)}`);
}

/** What Conv1d and Conv2d share: checks, parameters, init and the padding mode. */
abstract class ConvNd extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[] | 'same' | 'valid';
  readonly dilation: number[];
  readonly groups: number;
  readonly paddingMode: PaddingMode;
  weight: Tensor;
  bias: Tensor | null;
  /** F.pad's pads (last dim first) for a non-'zeros' paddingMode. */
  readonly #modePads: number[];

  constructor(
    op: string,
    n: number,
    inChannels: number,
    outChannels: number,
    kernelSize: unknown,
    options: ConvOptions<unknown>,
  ) {
    super();
    this.inChannels = checkInteger(op, 'inChannels', inChannels, 1);
    this.outChannels = checkInteger(op, 'outChannels', outChannels, 1);
    this.kernelSize = tuple(op, 'kernelSize', kernelSize, n, 1);
    const o = checkOptions(op, options, CONV_KEYS);
    this.stride = tuple(op, 'stride', o.stride ?? 1, n, 1);
    this.dilation = tuple(op, 'dilation', o.dilation ?? 1, n, 1);
    this.groups = checkInteger(op, 'groups', o.groups ?? 1, 1);
    if (this.inChannels % this.groups !== 0)
      throw new ArgumentError(op, `groups (${this.groups}) must divide inChannels (${this.inChannels})`);
    if (this.outChannels % this.groups !== 0)
      throw new ArgumentError(op, `groups (${this.groups}) must divide outChannels (${this.outChannels})`);
    const padding = o.padding ?? 0;
    if (padding === 'same' || padding === 'valid') {
      if (padding === 'same' && this.stride.some((s) => s !== 1))
        throw new ArgumentError(op, "padding 'same' is not supported for strided convolutions");
      this.padding = padding;
    } else this.padding = tuple(op, 'padding', padding, n, 0);
    const mode = o.paddingMode ?? 'zeros';
    if (mode !== 'zeros' && mode !== 'reflect' && mode !== 'replicate' && mode !== 'circular') {
      throw new ArgumentError(
        op,
        `paddingMode 'zeros', 'reflect', 'replicate' or 'circular', got ${showValue(mode as unknown)}`,
      );
    }
    this.paddingMode = mode;
    const pairs =
      this.padding === 'valid'
        ? this.kernelSize.map(() => [0, 0])
        : this.padding === 'same'
          ? this.kernelSize.map((k, i) => {
              const total = this.dilation[i] * (k - 1);
              return [Math.floor(total / 2), total - Math.floor(total / 2)];
            })
          : this.padding.map((p) => [p, p]);
    this.#modePads = pairs.reverse().flat();
    const bias = checkBool(op, 'bias', o.bias ?? true);
    const opts = { device: o.device, dtype: o.dtype };
    this.weight = Parameter(empty([this.outChannels, this.inChannels / this.groups, ...this.kernelSize], opts));
    this.bias = bias ? Parameter(empty([this.outChannels], opts)) : null;
    this.resetParameters();
  }

  /**
   * PyTorch's default init: kaiming uniform with a = sqrt(5), i.e. weight ~
   * U(-1/sqrt(fanIn), 1/sqrt(fanIn)), and bias ~ U(-1/sqrt(fanIn), 1/sqrt(fanIn)),
   * fanIn = in/groups * prod(kernelSize).
   */
  resetParameters(): void {
    noGrad(() => {
      kaimingUniform_(this.weight, { a: Math.sqrt(5) });
      if (this.bias) {
        const fanIn = (this.inChannels / this.groups) * this.kernelSize.reduce((a, b) => a * b, 1);
        const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
        uniform_(this.bias, -bound, bound);
      }
    });
  }

  /** The input padded by paddingMode, and the padding left for the conv op. */
  protected padInput(x: Tensor): { x: Tensor; padding: number[] | 'same' | 'valid' } {
    if (this.paddingMode === 'zeros') return { x, padding: this.padding };
    return { x: pad(x, this.#modePads, this.paddingMode), padding: 'valid' };
  }

  override extraRepr(): string {
    const parts = [
      `${this.inChannels}, ${this.outChannels}, kernelSize=[${this.kernelSize.join(', ')}]`,
      `stride=[${this.stride.join(', ')}]`,
    ];
    if (this.padding === 'same' || this.padding === 'valid') parts.push(`padding='${this.padding}'`);
    else if (this.padding.some((p) => p !== 0)) parts.push(`padding=[${this.padding.join(', ')}]`);
    if (this.dilation.some((d) => d !== 1)) parts.push(`dilation=[${this.dilation.join(', ')}]`);
    if (this.groups !== 1) parts.push(`groups=${this.groups}`);
    if (!this.bias) parts.push('bias=false');
    if (this.paddingMode !== 'zeros') parts.push(`paddingMode='${this.paddingMode}'`);
    return parts.join(', ');
  }
}

/** 2-D convolution over [N, C, H, W] (or [C, H, W]) input. weight is [out, in/groups, kh, kw]. */
export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: ConvSize2, options: Conv2dModuleOptions = {}) {
    super('Conv2d', 2, inChannels, outChannels, kernelSize, options);
  }

  forward(x: Tensor): Tensor {
    const p = this.padInput(x);
    return conv2d(p.x, this.weight, this.bias, {
      stride: this.stride as [number, number],
      padding: p.padding as ConvPadding2,
      dilation: this.dilation as [number, number],
      groups: this.groups,
    });
  }
}

/** 1-D convolution over [N, C, L] (or [C, L]) input. weight is [out, in/groups, k]. */
export class Conv1d extends ConvNd {
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: number | readonly [number],
    options: Conv1dModuleOptions = {},
  ) {
    super('Conv1d', 1, inChannels, outChannels, kernelSize, options);
  }

  forward(x: Tensor): Tensor {
    const p = this.padInput(x);
    return conv1d(p.x, this.weight, this.bias, {
      stride: this.stride as [number],
      padding: p.padding as [number] | 'same' | 'valid',
      dilation: this.dilation as [number],
      groups: this.groups,
    });
  }
}
