// Training curves as a self-contained SVG (no dependency, no scripts, no
// external fonts): left panel the loss per step (raw and smoothed, log scale
// when it spans more than a decade), right panel train/test accuracy per
// epoch. Written atomically so a viewer never sees half a file.

import { writeFileAtomic } from '../io/atomic_write';

export interface PlotData {
  /** Shown at the top, e.g. the configuration. */
  title: string;
  /** Training loss of every step, in order. */
  stepLoss: readonly number[];
  /** Steps per epoch, to label the x axis in epochs. */
  stepsPerEpoch: number;
  /** Accuracies in 0..1. */
  epochs: readonly { epoch: number; trainAcc: number; testAcc: number }[];
}

const W = 980;
const H = 440;
const PANEL = { top: 70, bottom: 60, left: 70, right: 20, gap: 80 };
const COLORS = { raw: '#9ecae1', smooth: '#08519c', train: '#e6550d', test: '#31a354', grid: '#e5e5e5', axis: '#444' };
/** More points than this in a polyline add nothing visible; buckets are averaged. */
const MAX_POINTS = 800;

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}
type Scale = (v: number) => number;

const fmt = (v: number): string => (Math.round(v * 100) / 100).toString();

function esc(s: string): string {
  return s.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step)
    out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

function label(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(0);
  return Number(v.toPrecision(4)).toString();
}

/** Log-scale ticks: 1, 2, 5 per decade when few decades, else decades only. */
function logTicks(lo: number, hi: number): number[] {
  const d0 = Math.floor(Math.log10(lo));
  const d1 = Math.ceil(Math.log10(hi));
  const mults = d1 - d0 <= 4 ? [1, 2, 5] : [1];
  const out: number[] = [];
  for (let d = d0; d <= d1; d++)
    for (const m of mults) {
      const v = m * 10 ** d;
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
    }
  return out;
}

/** Exponential moving average with bias correction (as TensorBoard smooths). */
export function smooth(values: readonly number[], weight = 0.98): number[] {
  let m = 0;
  let n = 0;
  return values.map((v) => {
    if (!Number.isFinite(v)) return NaN;
    m = weight * m + (1 - weight) * v;
    n = weight * n + (1 - weight);
    return m / n;
  });
}

/** [index, mean] pairs, at most MAX_POINTS, skipping non-finite values. */
function downsample(values: readonly number[]): [number, number][] {
  const per = Math.max(1, Math.ceil(values.length / MAX_POINTS));
  const out: [number, number][] = [];
  for (let i = 0; i < values.length; i += per) {
    const end = Math.min(values.length, i + per);
    let s = 0;
    let k = 0;
    for (let j = i; j < end; j++) {
      if (!Number.isFinite(values[j])) continue;
      s += values[j];
      k++;
    }
    if (k) out.push([(i + end - 1) / 2, s / k]);
  }
  return out;
}

function polyline(points: [number, number][], sx: Scale, sy: Scale, color: string, width: number): string {
  if (points.length === 0) return '';
  const pts = points.map(([x, y]) => `${fmt(sx(x))},${fmt(sy(y))}`).join(' ');
  return `<polyline fill="none" stroke="${color}" stroke-width="${width}" stroke-linejoin="round" points="${pts}"/>`;
}

function axes(
  box: Box,
  xTicks: number[],
  sx: Scale,
  yTicks: number[],
  sy: Scale,
  xLabel: string,
  yLabel: string,
  yFmt: (v: number) => string,
): string {
  const parts: string[] = [];
  const bottom = box.y + box.h;
  for (const t of yTicks) {
    const y = fmt(sy(t));
    parts.push(`<line x1="${box.x}" y1="${y}" x2="${box.x + box.w}" y2="${y}" stroke="${COLORS.grid}"/>`);
    parts.push(`<text x="${box.x - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${esc(yFmt(t))}</text>`);
  }
  for (const t of xTicks) {
    const x = fmt(sx(t));
    parts.push(`<line x1="${x}" y1="${bottom}" x2="${x}" y2="${bottom + 5}" stroke="${COLORS.axis}"/>`);
    parts.push(`<text x="${x}" y="${bottom + 18}" text-anchor="middle">${esc(label(t))}</text>`);
  }
  parts.push(
    `<rect x="${box.x}" y="${box.y}" width="${box.w}" height="${box.h}" fill="none" stroke="${COLORS.axis}"/>`,
  );
  parts.push(`<text x="${box.x + box.w / 2}" y="${bottom + 40}" text-anchor="middle">${esc(xLabel)}</text>`);
  const cy = box.y + box.h / 2;
  parts.push(
    `<text x="${box.x - 52}" y="${cy}" text-anchor="middle" transform="rotate(-90 ${box.x - 52} ${cy})">${esc(yLabel)}</text>`,
  );
  return parts.join('\n');
}

/** A legend in the top or bottom right corner (where a falling loss / rising accuracy leaves room). */
function legend(
  box: Box,
  items: { label: string; color: string; marker?: boolean }[],
  corner: 'top' | 'bottom',
): string {
  const lineH = 18;
  const w = 12 + Math.max(...items.map((i) => i.label.length)) * 7 + 34;
  const h = items.length * lineH + 8;
  const x = box.x + box.w - w - 8;
  const y = corner === 'top' ? box.y + 8 : box.y + box.h - h - 8;
  const rows = items.map((it, k) => {
    const cy = y + 12 + k * lineH;
    const marker = it.marker ? `<circle cx="${x + 22}" cy="${cy}" r="3.5" fill="${it.color}"/>` : '';
    return `<line x1="${x + 10}" y1="${cy}" x2="${x + 34}" y2="${cy}" stroke="${it.color}" stroke-width="2.5"/>${marker}<text x="${x + 40}" y="${cy}" dominant-baseline="middle">${esc(it.label)}</text>`;
  });
  return `<g class="legend"><rect x="${x}" y="${y}" width="${w}" height="${h}" fill="white" fill-opacity="0.9" stroke="#bbb"/>${rows.join('')}</g>`;
}

function lossPanel(box: Box, data: PlotData): string {
  const finite = data.stepLoss.filter((v) => Number.isFinite(v));
  if (finite.length === 0)
    return `<text x="${box.x + box.w / 2}" y="${box.y + box.h / 2}" text-anchor="middle">no loss values</text>`;
  // About a 30-step window on short runs, TensorBoard's usual 0.98 on long ones.
  const weight = Math.round(100 * Math.min(0.98, Math.max(0, 1 - 30 / data.stepLoss.length))) / 100;
  const raw = downsample(data.stepLoss);
  const sm = downsample(smooth(data.stepLoss, weight));
  const per = Math.max(1, data.stepsPerEpoch);
  const nSteps = Math.max(1, data.stepLoss.length);
  let lo = Math.min(...raw.map((p) => p[1]));
  let hi = Math.max(...raw.map((p) => p[1]));
  const useLog = lo > 0 && hi / lo > 10;
  let sy: Scale;
  let yTicks: number[];
  if (useLog) {
    lo *= 0.9;
    hi = hi * 1.1;
    const l0 = Math.log10(lo);
    const l1 = Math.log10(hi);
    sy = (v) => box.y + box.h - ((Math.log10(Math.max(v, lo)) - l0) / (l1 - l0)) * box.h;
    yTicks = logTicks(lo, hi);
  } else {
    const pad = hi > lo ? (hi - lo) * 0.05 : Math.abs(hi) * 0.1 + 1e-3;
    lo = Math.max(0, lo - pad);
    hi += pad;
    yTicks = niceTicks(lo, hi);
    lo = Math.min(lo, yTicks[0]);
    hi = Math.max(hi, yTicks[yTicks.length - 1]);
    sy = (v) => box.y + box.h - ((v - lo) / (hi - lo)) * box.h;
  }
  const epochsSpan = nSteps / per;
  const sx: Scale = (step) => box.x + ((step + 1) / nSteps) * box.w;
  const xTicks = niceTicks(0, epochsSpan, Math.min(8, Math.max(2, Math.ceil(epochsSpan)))).filter(
    (t) => t <= epochsSpan + 1e-9,
  );
  const sxEpoch: Scale = (e) => box.x + (e / epochsSpan) * box.w;
  return [
    `<text x="${box.x}" y="${box.y - 10}" class="panel">Training loss per step${useLog ? ' (log scale)' : ''}</text>`,
    axes(box, xTicks, sxEpoch, yTicks, sy, 'epoch', 'loss', label),
    polyline(raw, sx, sy, COLORS.raw, 1),
    polyline(sm, sx, sy, COLORS.smooth, 2.2),
    legend(
      box,
      [
        { label: 'loss (per step)', color: COLORS.raw },
        { label: `smoothed (EMA ${weight})`, color: COLORS.smooth },
      ],
      'top',
    ),
  ].join('\n');
}

function accuracyPanel(box: Box, data: PlotData): string {
  const rows = data.epochs.filter((e) => Number.isFinite(e.trainAcc) || Number.isFinite(e.testAcc));
  if (rows.length === 0)
    return `<text x="${box.x + box.w / 2}" y="${box.y + box.h / 2}" text-anchor="middle">no accuracy values</text>`;
  const vals = rows
    .flatMap((e) => [e.trainAcc, e.testAcc])
    .filter((v) => Number.isFinite(v))
    .map((v) => 100 * v);
  const lowest = Math.min(...vals);
  const highest = Math.max(...vals);
  // Zoom in on the interesting range, but never past 100%.
  const span = Math.max(highest - lowest, 1);
  let lo = Math.max(0, lowest - span * 0.15);
  let hi = Math.min(100, highest + span * 0.15);
  if (hi - lo < 1) {
    hi = Math.min(100, lo + 1);
    lo = hi - 1;
  }
  const yTicks = niceTicks(lo, hi);
  lo = Math.min(lo, yTicks[0]);
  hi = Math.max(hi, yTicks[yTicks.length - 1]);
  const e0 = rows[0].epoch;
  const e1 = rows[rows.length - 1].epoch;
  const x0 = e0 - 0.5;
  const x1 = e1 + 0.5;
  const sx: Scale = (e) => box.x + ((e - x0) / (x1 - x0)) * box.w;
  const sy: Scale = (v) => box.y + box.h - ((v - lo) / (hi - lo)) * box.h;
  const step = Math.max(1, Math.ceil((e1 - e0 + 1) / 10));
  const xTicks: number[] = [];
  for (let e = e0; e <= e1; e += step) xTicks.push(e);
  const series = (key: 'trainAcc' | 'testAcc', color: string): string => {
    const pts: [number, number][] = rows.filter((r) => Number.isFinite(r[key])).map((r) => [r.epoch, 100 * r[key]]);
    const dots = pts.map(
      ([x, y]) =>
        `<circle cx="${fmt(sx(x))}" cy="${fmt(sy(y))}" r="3.5" fill="${color}"><title>epoch ${x}: ${y.toFixed(2)}%</title></circle>`,
    );
    return `<g class="series-${key}">${polyline(pts, sx, sy, color, 2.2)}${dots.join('')}</g>`;
  };
  return [
    `<text x="${box.x}" y="${box.y - 10}" class="panel">Accuracy per epoch</text>`,
    axes(box, xTicks, sx, yTicks, sy, 'epoch', 'accuracy (%)', (v) => `${label(v)}`),
    series('trainAcc', COLORS.train),
    series('testAcc', COLORS.test),
    legend(
      box,
      [
        { label: 'train (running)', color: COLORS.train, marker: true },
        { label: 'test', color: COLORS.test, marker: true },
      ],
      'bottom',
    ),
  ].join('\n');
}

/** The SVG document for `data`. */
export function renderTrainingPlot(data: PlotData): string {
  const pw = (W - PANEL.left - PANEL.gap - PANEL.right) / 2;
  const ph = H - PANEL.top - PANEL.bottom;
  const left: Box = { x: PANEL.left, y: PANEL.top, w: pw, h: ph };
  const right: Box = { x: PANEL.left + pw + PANEL.gap, y: PANEL.top, w: pw, h: ph };
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12" fill="#222">`,
    `<style>.panel { font-size: 14px; font-weight: bold; } .title { font-size: 16px; font-weight: bold; }</style>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${W / 2}" y="28" text-anchor="middle" class="title">${esc(data.title)}</text>`,
    lossPanel(left, data),
    accuracyPanel(right, data),
    `</svg>`,
    '',
  ].join('\n');
}

/** Renders and writes the plot atomically. */
export function writeTrainingPlot(file: string, data: PlotData): void {
  writeFileAtomic(file, Buffer.from(renderTrainingPlot(data), 'utf8'));
}
