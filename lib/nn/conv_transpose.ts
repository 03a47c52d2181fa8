// ConvTranspose2d: weight [in, out/groups, kh, kw] and bias [out] with
// PyTorch's default init (fan-in from the weight's dim 1, i.e. out/groups *
// kh * kw, as PyTorch computes it), over F.convTranspose2d.
import { ArgumentError } from '../errors';
import { noGrad } from '../ops/grad_mode';
import type { ConvSize2 } from '../ops/conv';
import { convTranspose2d } from '../ops/conv_transpose';
import { empty } from '../tensor/creation';
import type { DeviceLike, DType } from '../tensor/dtype';
import type { Tensor } from '../tensor/tensor';
import { checkBool, checkInteger, checkOptions, optionKeys, showValue } from '../validate';
import { kaimingUniform_, uniform_ } from './init';
import { Module } from './module';
import { Parameter } from './parameter';

export interface ConvTranspose2dModuleOptions {
  stride?: ConvSize2;
  padding?: ConvSize2;
  outputPadding?: ConvSize2;
  groups?: number;
  dilation?: ConvSize2;
  /** Learn an additive bias (default true). */
  bias?: boolean;
  device?: DeviceLike;
  dtype?: DType;
}

const KEYS = optionKeys<ConvTranspose2dModuleOptions>({
  stride: true,
  padding: true,
  outputPadding: true,
  groups: true,
  dilation: true,
  bias: true,
  device: true,
  dtype: true,
});

function pair(op: string, name: string, v: unknown, min: number): [number, number] {
  const one = (x: unknown): number => checkInteger(op, name, x, min);
  if (typeof v === 'number') return [one(v), one(v)];
  if (Array.isArray(v) && v.length === 2) return [one(v[0]), one(v[1])];
  throw new ArgumentError(op, `${name} a number or an array of 2 numbers, got ${showValue(v)}`);
}

/** 2-D transposed convolution over [N, C, H, W] (or [C, H, W]) input. weight is [in, out/groups, kh, kw]. */
export class ConvTranspose2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly outputPadding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;
  weight: Tensor;
  bias: Tensor | null;

  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: ConvSize2,
    options: ConvTranspose2dModuleOptions = {},
  ) {
    super();
    const op = 'ConvTranspose2d';
    this.inChannels = checkInteger(op, 'inChannels', inChannels, 1);
    this.outChannels = checkInteger(op, 'outChannels', outChannels, 1);
    this.kernelSize = pair(op, 'kernelSize', kernelSize, 1);
    const o = checkOptions(op, options, KEYS);
    this.stride = pair(op, 'stride', o.stride ?? 1, 1);
    this.padding = pair(op, 'padding', o.padding ?? 0, 0);
    this.outputPadding = pair(op, 'outputPadding', o.outputPadding ?? 0, 0);
    this.dilation = pair(op, 'dilation', o.dilation ?? 1, 1);
    this.groups = checkInteger(op, 'groups', o.groups ?? 1, 1);
    if (this.inChannels % this.groups !== 0)
      throw new ArgumentError(op, `groups (${this.groups}) must divide inChannels (${this.inChannels})`);
    if (this.outChannels % this.groups !== 0)
      throw new ArgumentError(op, `groups (${this.groups}) must divide outChannels (${this.outChannels})`);
    for (let i = 0; i < 2; ++i) {
      if (this.outputPadding[i] >= this.stride[i] && this.outputPadding[i] >= this.dilation[i])
        throw new ArgumentError(
          op,
          `outputPadding must be smaller than stride or dilation, got outputPadding [${this.outputPadding.join(', ')}]`,
        );
    }
    const bias = checkBool(op, 'bias', o.bias ?? true);
    const opts = { device: o.device, dtype: o.dtype };
    this.weight = Parameter(empty([this.inChannels, this.outChannels / this.groups, ...this.kernelSize], opts));
    this.bias = bias ? Parameter(empty([this.outChannels], opts)) : null;
    this.resetParameters();
  }

  /**
   * PyTorch's default init: kaiming uniform with a = sqrt(5) on the weight
   * and bias ~ U(-1/sqrt(fanIn), 1/sqrt(fanIn)), fanIn = out/groups * kh * kw.
   */
  resetParameters(): void {
    noGrad(() => {
      kaimingUniform_(this.weight, { a: Math.sqrt(5) });
      if (this.bias) {
        const fanIn = (this.outChannels / this.groups) * this.kernelSize[0] * this.kernelSize[1];
        const bound = 1 / Math.sqrt(fanIn);
        uniform_(this.bias, -bound, bound);
      }
    });
  }

  /**
   * outputSize ([H, W], or a full [N, C, H, W] shape) picks the output size
   * among those a strided forward conv maps to x's size, as PyTorch's
   * output_size: it sets outputPadding for this call (the module's own is
   * then ignored).
   */
  forward(x: Tensor, outputSize?: readonly number[]): Tensor {
    const outputPadding = outputSize === undefined ? this.outputPadding : this.paddingFor(x, outputSize);
    return convTranspose2d(x, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding,
      outputPadding,
      groups: this.groups,
      dilation: this.dilation,
    });
  }

  /** The outputPadding giving outputSize (PyTorch's _output_padding). */
  private paddingFor(x: Tensor, outputSize: readonly number[]): [number, number] {
    const op = 'ConvTranspose2d.forward';
    if (!Array.isArray(outputSize) || (outputSize.length !== 2 && outputSize.length !== x.ndim))
      throw new ArgumentError(
        op,
        `outputSize must be [H, W] or ${x.ndim} numbers (x's rank), got ${showValue(outputSize as unknown)}`,
      );
    const size = outputSize.slice(-2).map((v) => checkInteger(op, 'outputSize', v, 1));
    const pads: number[] = [];
    for (let i = 0; i < 2; ++i) {
      const inSize = x.shape[x.ndim - 2 + i];
      const min = (inSize - 1) * this.stride[i] - 2 * this.padding[i] + this.dilation[i] * (this.kernelSize[i] - 1) + 1;
      const max = min + this.stride[i] - 1;
      if (size[i] < min || size[i] > max)
        throw new ArgumentError(
          op,
          `outputSize [${size.join(', ')}] out of reach: spatial dim ${i} must be in [${min}, ${max}] for input ${JSON.stringify(x.shape)}`,
        );
      pads.push(size[i] - min);
    }
    return [pads[0], pads[1]];
  }

  override extraRepr(): string {
    const parts = [
      `${this.inChannels}, ${this.outChannels}, kernelSize=[${this.kernelSize.join(', ')}]`,
      `stride=[${this.stride.join(', ')}]`,
    ];
    if (this.padding.some((p) => p !== 0)) parts.push(`padding=[${this.padding.join(', ')}]`);
    if (this.outputPadding.some((p) => p !== 0)) parts.push(`outputPadding=[${this.outputPadding.join(', ')}]`);
    if (this.dilation.some((d) => d !== 1)) parts.push(`dilation=[${this.dilation.join(', ')}]`);
    if (this.groups !== 1) parts.push(`groups=${this.groups}`);
    if (!this.bias) parts.push('bias=false');
    return parts.join(', ');
  }
}
