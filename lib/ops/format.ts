// PyTorch-like repr: tensor([[ 1.0000, -2.5000], ...], dtype=..., grad_fn=<...>)
import type { Tensor } from '../tensor/tensor';
import { data } from './convert';

const EDGE = 3; // items shown at each end of a summarised dim
const THRESHOLD = 1000;

function formatNumber(v: number, floating: boolean, sci: boolean): string {
  if (!floating) return String(v);
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  // PyTorch pads the exponent to two digits: 1.0000e-06.
  return sci
    ? v.toExponential(4).replace(/e([+-])(\d)$/, (_m, sign: string, d: string) => `e${sign}0${d}`)
    : v.toFixed(4);
}

export function formatTensor(t: Tensor): string {
  if (t.isDisposed) return 'tensor(<disposed>)';
  const floating = t.dtype === 'float32' || t.dtype === 'float64';
  const values = data(t);
  const get = (i: number): number =>
    values instanceof BigInt64Array ? Number(values[i]) : (values as ArrayLike<number>)[i];
  const summarize = t.numel > THRESHOLD;
  let maxAbs = 0;
  let minAbs = Infinity;
  for (let i = 0; i < t.numel; ++i) {
    const a = Math.abs(get(i));
    if (Number.isFinite(a)) {
      maxAbs = Math.max(maxAbs, a);
      if (a > 0) minAbs = Math.min(minAbs, a);
    }
  }
  const sci = floating && (maxAbs >= 1e8 || (minAbs < 1e-4 && minAbs !== Infinity));
  const cell = (i: number): string =>
    t.dtype === 'bool' ? (get(i) ? 'True' : 'False') : formatNumber(get(i), floating, sci);
  let width = 0;
  for (let i = 0; i < t.numel; ++i) width = Math.max(width, cell(i).length);
  const strides: number[] = [];
  let s = 1;
  for (let d = t.ndim - 1; d >= 0; --d) {
    strides[d] = s;
    s *= t.shape[d];
  }
  const indent = 'tensor('.length;
  const build = (d: number, base: number): string => {
    if (d === t.ndim) return cell(base).padStart(width);
    const n = t.shape[d];
    const idx: (number | null)[] = [];
    if (summarize && n > 2 * EDGE) {
      for (let i = 0; i < EDGE; ++i) idx.push(i);
      idx.push(null);
      for (let i = n - EDGE; i < n; ++i) idx.push(i);
    } else for (let i = 0; i < n; ++i) idx.push(i);
    const parts = idx.map((i) => (i === null ? '...' : build(d + 1, base + i * strides[d])));
    const sep = d === t.ndim - 1 ? ', ' : `,${'\n'.repeat(t.ndim - d - 1)}${' '.repeat(indent + d + 1)}`;
    return `[${parts.join(sep)}]`;
  };
  const body = t.ndim === 0 ? cell(0) : build(0, 0);
  const extras: string[] = [];
  if (t.device !== 'cpu') extras.push(`device='${t.device}'`);
  if (t.dtype !== 'float32' && !(t.dtype === 'int64' && t.numel > 0) && t.dtype !== 'bool')
    extras.push(`dtype=${t.dtype}`);
  if (t.numel === 0) extras.push(`size=(${t.shape.join(', ')})`);
  if (t.gradFn) extras.push(`grad_fn=<${t.gradFn.name}>`);
  else if (t.requiresGrad) extras.push('requires_grad=True');
  return `tensor(${body}${extras.length ? `, ${extras.join(', ')}` : ''})`;
}
