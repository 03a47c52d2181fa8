// The SVG writer: well-formed markup, both panels, every series, escaping,
// atomic write, and sane output for degenerate input (one epoch, NaN losses).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { niceTicks, type PlotData, renderTrainingPlot, smooth, writeTrainingPlot } from '../lib/cli/plot_svg';

/** Checks tags nest and close properly (a small XML well-formedness check). */
function checkWellFormed(svg: string): string[] {
  const body = svg.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  const seen: string[] = [];
  const tag = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  for (let m = tag.exec(body); m; m = tag.exec(body)) {
    const between = body.slice(last, m.index);
    expect(between).not.toMatch(/[<>]/); // nothing tag-like that the regex skipped
    expect(between).not.toMatch(/&(?!(lt|gt|amp|quot|#\d+);)/);
    last = tag.lastIndex;
    const [, close, name, , self] = m;
    seen.push(name);
    if (close) expect(stack.pop()).toBe(name);
    else if (!self) stack.push(name);
  }
  expect(body.slice(last).trim()).toBe('');
  expect(stack).toEqual([]);
  return seen;
}

function sample(epochs: number, stepsPerEpoch: number): PlotData {
  const stepLoss = Array.from(
    { length: epochs * stepsPerEpoch },
    (_, i) => 2.3 * Math.exp(-i / 50) + 0.05 + 0.02 * Math.sin(i),
  );
  return {
    title: 'MNIST · adam lr 0.001 <batch 64> & "seed" 0',
    stepLoss,
    stepsPerEpoch,
    epochs: Array.from({ length: epochs }, (_, i) => ({
      epoch: i + 1,
      trainAcc: 0.9 + 0.02 * i,
      testAcc: 0.95 + 0.01 * i,
    })),
  };
}

describe('renderTrainingPlot', () => {
  test('well-formed, two panels, all series, escaped title', () => {
    const svg = renderTrainingPlot(sample(3, 200));
    const tags = checkWellFormed(svg);
    expect(svg.startsWith('<?xml')).toBe(true);
    expect(svg).toMatch(/<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="\d+" height="\d+" viewBox=/);
    expect(svg).toContain('Training loss per step (log scale)');
    expect(svg).toContain('Accuracy per epoch');
    expect(svg).toContain('MNIST · adam lr 0.001 &lt;batch 64&gt; &amp; &quot;seed&quot; 0');
    // raw loss, smoothed loss, train accuracy, test accuracy
    expect(tags.filter((t) => t === 'polyline')).toHaveLength(4);
    expect(svg).toContain('class="series-trainAcc"');
    expect(svg).toContain('class="series-testAcc"');
    for (const e of ['epoch 1: 95.00%', 'epoch 2: 96.00%', 'epoch 3: 97.00%', 'epoch 3: 94.00%'])
      expect(svg).toContain(e);
    expect(svg.match(/class="legend"/g)).toHaveLength(2);
    // every coordinate is a finite number inside the canvas
    for (const m of svg.matchAll(/points="([^"]*)"/g)) {
      for (const xy of m[1].split(' ')) {
        const [x, y] = xy.split(',').map(Number);
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(980);
        expect(y).toBeGreaterThanOrEqual(0);
        expect(y).toBeLessThanOrEqual(440);
      }
    }
  });

  test('long runs are downsampled', () => {
    const svg = renderTrainingPlot(sample(100, 938));
    const longest = Math.max(...[...svg.matchAll(/points="([^"]*)"/g)].map((m) => m[1].split(' ').length));
    expect(longest).toBeLessThanOrEqual(800);
    checkWellFormed(svg);
  });

  test('one epoch, a flat loss and non-finite values still give a valid plot', () => {
    const svg = renderTrainingPlot({
      title: 't',
      stepLoss: [0.5, NaN, 0.5, Infinity, 0.5],
      stepsPerEpoch: 5,
      epochs: [{ epoch: 1, trainAcc: 0.5, testAcc: NaN }],
    });
    checkWellFormed(svg);
    expect(svg).not.toMatch(/NaN|Infinity/);
    expect(svg).toContain('epoch 1: 50.00%');
    const empty = renderTrainingPlot({ title: 't', stepLoss: [], stepsPerEpoch: 0, epochs: [] });
    checkWellFormed(empty);
    expect(empty).toContain('no loss values');
    expect(empty).toContain('no accuracy values');
  });

  test('writeTrainingPlot writes the file atomically', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nt-plot-'));
    const file = path.join(dir, 'loss.svg');
    fs.writeFileSync(file, 'old');
    writeTrainingPlot(file, sample(2, 10));
    expect(fs.readFileSync(file, 'utf8')).toBe(renderTrainingPlot(sample(2, 10)));
    expect(fs.readdirSync(dir)).toEqual(['loss.svg']); // no temp file left behind
    fs.rmSync(dir, { recursive: true });
  });
});

describe('plot helpers', () => {
  test('niceTicks', () => {
    expect(niceTicks(0, 3, 3)).toEqual([0, 1, 2, 3]);
    expect(niceTicks(90, 100, 5)).toEqual([90, 92, 94, 96, 98, 100]);
    expect(niceTicks(1, 1)).toEqual([1]);
  });
  test('smooth is a bias-corrected EMA', () => {
    expect(smooth([2, 2, 2])).toEqual([2, 2, 2]);
    const s = smooth([1, 0], 0.5);
    expect(s[0]).toBe(1);
    expect(s[1]).toBeCloseTo(1 / 3);
  });
});
