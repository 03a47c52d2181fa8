// Image transforms (torchvision.transforms-like) for [C, H, W] or [H, W]
// image tensors: each is a function of one image, run per item by
// TransformDataset (transform_dataset.ts). The elementwise ones (toFloat,
// normalize, and compose of those) are also valid on a batch [B, C, H, W]
// and are marked `batchable`, so a dataset with a batched getter runs them
// once per batch. Random ones draw from an nt.Generator (the global one by
// default), so nt.manualSeed makes runs reproducible.
import { ArgumentError, DTypeError, ShapeError } from '../errors';
import { cast } from '../ops/convert';
import { div, sub } from '../ops/elementwise';
import { pad } from '../ops/pad';
import { flip } from '../ops/tile';
import { contiguous, narrow } from '../ops/views';
import { tensor } from '../tensor/creation';
import { isFloatingDType } from '../tensor/dtype';
import { Generator, defaultGenerator } from '../tensor/random';
import { RandomSource } from '../tensor/random_source';
import { formatShape } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { checkFunction, checkOptions, optionKeys, showValue } from '../validate';

/** An image transform. `batchable` ones also give per-item results on a batch [B, ...image]. */
export interface Transform {
  (image: Tensor): Tensor;
  readonly batchable?: boolean;
}

function make(fn: (image: Tensor) => Tensor, batchable: boolean): Transform {
  return Object.assign(fn, { batchable });
}

function checkImage(op: string, x: unknown, ranks: readonly number[] = [2, 3]): Tensor {
  if (!(x instanceof Tensor)) throw new ArgumentError(op, `an image tensor, got ${showValue(x)}`);
  x._check(op);
  if (!ranks.includes(x.ndim)) throw new ShapeError(op, `an image [C, H, W] or [H, W], got ${formatShape(x.shape)}`);
  return x;
}

/** Applies the transforms left to right. */
export function compose(...transforms: Transform[]): Transform {
  transforms.forEach((t, i) => checkFunction('transforms.compose', `transforms[${i}]`, t));
  const all = transforms.every((t) => t.batchable === true);
  return make((x) => transforms.reduce((y, t) => t(y), x), all);
}

/**
 * uint8 (or any integer dtype) images to float32 in [0, 1] (divided by 255)
 * in one tensor op, like torchvision's ToTensor without the HWC -> CHW move.
 * Float input passes through unchanged.
 */
export function toFloat(): Transform {
  return make((x) => {
    const img = checkImage('transforms.toFloat', x, [2, 3, 4]);
    if (isFloatingDType(img.dtype)) return img;
    if (img.dtype === 'bool') throw new DTypeError('transforms.toFloat', 'an integer or float image, got bool');
    return cast(img, 'float32').div_(255);
  }, true);
}

function checkNumbers(op: string, name: string, v: unknown, positive: boolean): number[] {
  if (!Array.isArray(v) || v.length === 0)
    throw new ArgumentError(op, `${name} must be a non-empty array of numbers (one per channel), got ${showValue(v)}`);
  return v.map((x: unknown) => {
    if (typeof x !== 'number' || !Number.isFinite(x) || (positive && x <= 0))
      throw new ArgumentError(
        op,
        `${name} must hold ${positive ? 'positive ' : ''}finite numbers, got ${showValue(x)}`,
      );
    return x;
  });
}

/**
 * (x - mean[c]) / std[c] per channel (dim -3) of a float image [C, H, W] or
 * batch [B, C, H, W]; one mean/std broadcast over all channels, and [H, W]
 * images, when they hold one value.
 */
export function normalize(mean: readonly number[], std: readonly number[]): Transform {
  const op = 'transforms.normalize';
  const m = checkNumbers(op, 'mean', mean, false);
  const s = checkNumbers(op, 'std', std, true);
  if (m.length !== s.length)
    throw new ArgumentError(op, `mean and std of the same length, got ${m.length} and ${s.length}`);
  return make((x) => {
    const img = checkImage(op, x, [2, 3, 4]);
    if (!isFloatingDType(img.dtype))
      throw new DTypeError(op, `a floating image, got ${img.dtype}; convert with transforms.toFloat() first`);
    const channels = img.ndim >= 3 ? img.shape[img.ndim - 3] : 1;
    if (m.length !== 1 && m.length !== channels)
      throw new ShapeError(op, `mean/std for ${m.length} channels, got an image ${formatShape(img.shape)}`);
    const shape = m.length === 1 ? [1] : [m.length, 1, 1];
    const opts = { dtype: img.dtype, device: img.device, shape };
    return div(sub(img, tensor(Float64Array.from(m), opts)), tensor(Float64Array.from(s), opts));
  }, true);
}

export interface RandomOptions {
  /** Where the randomness comes from (default: the global generator, see nt.manualSeed). */
  generator?: Generator;
}

export interface RandomCropOptions extends RandomOptions {
  /** Zero padding added on every side first: one number, [left/right, top/bottom] or [left, top, right, bottom]. */
  padding?: number | readonly number[];
  /** The padding value (default 0). */
  fill?: number;
}

function generatorOf(op: string, g: unknown): Generator {
  if (g === undefined) return defaultGenerator;
  if (!(g instanceof Generator)) throw new ArgumentError(op, `generator an nt.Generator, got ${showValue(g)}`);
  return g;
}

/** [left, top, right, bottom] from torchvision's 1, 2 or 4 padding numbers. */
function cropPads(op: string, p: unknown): number[] {
  const one = (v: unknown): number => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
      throw new ArgumentError(op, `padding must be non-negative integers, got ${showValue(v)}`);
    return v;
  };
  if (typeof p === 'number') return [one(p), one(p), one(p), one(p)];
  if (Array.isArray(p) && p.length === 2) return [one(p[0]), one(p[1]), one(p[0]), one(p[1])];
  if (Array.isArray(p) && p.length === 4) return p.map(one);
  throw new ArgumentError(op, `padding must be a number or an array of 2 or 4 numbers, got ${showValue(p)}`);
}

/**
 * A random size[0] x size[1] window of the image (padded first when
 * `padding` is given), like torchvision's RandomCrop; the top-left corner is
 * uniform over the valid positions.
 */
export function randomCrop(size: number | readonly [number, number], options: RandomCropOptions = {}): Transform {
  const op = 'transforms.randomCrop';
  const o = checkOptions(op, options, optionKeys<RandomCropOptions>({ padding: true, fill: true, generator: true }));
  const hw = typeof size === 'number' ? [size, size] : Array.isArray(size) && size.length === 2 ? size : null;
  if (!hw || hw.some((v) => typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1))
    throw new ArgumentError(op, `size must be a positive integer or 2 of them, got ${showValue(size)}`);
  const [th, tw] = hw as number[];
  const pads = cropPads(op, o.padding ?? 0);
  const fill = o.fill ?? 0;
  if (typeof fill !== 'number' || !Number.isFinite(fill))
    throw new ArgumentError(op, `fill must be a finite number, got ${showValue(fill)}`);
  const gen = generatorOf(op, o.generator);
  return make((x) => {
    const img = checkImage(op, x);
    const padded = pads.some((p) => p > 0) ? pad(img, [pads[0], pads[2], pads[1], pads[3]], 'constant', fill) : img;
    const h = padded.shape[padded.ndim - 2];
    const w = padded.shape[padded.ndim - 1];
    if (th > h || tw > w)
      throw new ShapeError(op, `crop size [${th}, ${tw}] larger than the (padded) image ${formatShape(padded.shape)}`);
    const rng = RandomSource.fromGenerator(gen);
    const i = rng.below(h - th + 1);
    const j = rng.below(w - tw + 1);
    return contiguous(narrow(narrow(padded, -2, i, th), -1, j, tw));
  }, false);
}

/** Mirrors the image left-right with probability p (default 0.5), like torchvision's RandomHorizontalFlip. */
export function randomHorizontalFlip(p = 0.5, options: RandomOptions = {}): Transform {
  const op = 'transforms.randomHorizontalFlip';
  if (typeof p !== 'number' || !(p >= 0 && p <= 1))
    throw new ArgumentError(op, `p must be a probability in [0, 1], got ${showValue(p)}`);
  const o = checkOptions(op, options, optionKeys<RandomOptions>({ generator: true }));
  const gen = generatorOf(op, o.generator);
  return make((x) => {
    const img = checkImage(op, x);
    const u = RandomSource.fromGenerator(gen).nextUint32() / 0x100000000;
    return u < p ? flip(img, -1) : img;
  }, false);
}
