// Convolution timings (by hand, not part of `npm run bench`):
//   node dist/bench/conv.js [--threads N] [--device cpu|cuda] [--reps N]
// Forward, and forward + backward (input, weight and bias gradients), of a
// ResNet-style 64->64 3x3 layer and the two conv layers of an MNIST CNN. The
// best of --reps runs, each in its own nt.scope (so buffers are pooled, as in
// a training loop). GFLOP/s counts 2*N*Co*Ho*Wo*Ci*kh*kw per forward and
// three times that for forward + backward.
import * as nt from '../lib';

interface Layer {
  name: string;
  x: [number, number, number, number];
  co: number;
  k: number;
  padding: number;
}

const LAYERS: Layer[] = [
  { name: 'resnet 64->64 3x3, pad 1', x: [8, 64, 56, 56], co: 64, k: 3, padding: 1 },
  { name: 'mnist conv1 1->32 3x3', x: [64, 1, 28, 28], co: 32, k: 3, padding: 0 },
  { name: 'mnist conv2 32->64 3x3', x: [64, 32, 26, 26], co: 64, k: 3, padding: 0 },
];

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

function best(reps: number, fn: () => void): number {
  let min = Infinity;
  for (let i = 0; i < reps + 2; ++i) {
    const t0 = process.hrtime.bigint();
    nt.scope(fn);
    nt.synchronizeSync();
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    if (i >= 2) min = Math.min(min, s); // two warm-up runs
  }
  return min;
}

function main(): void {
  const threads = Number(arg('--threads', '0'));
  if (threads > 0) nt.setNumThreads(threads);
  const device = arg('--device', 'cpu') as nt.Device;
  const reps = Number(arg('--reps', '7'));
  console.log(`conv2d on ${device}, ${nt.getNumThreads()} threads, best of ${reps}`);
  for (const l of LAYERS) {
    const [N, C, H, W] = l.x;
    const x = nt.randn(l.x, { device }).requiresGrad_();
    const w = nt.randn([l.co, C, l.k, l.k], { device }).requiresGrad_();
    const b = nt.randn([l.co], { device }).requiresGrad_();
    const Ho = H + 2 * l.padding - l.k + 1;
    const Wo = W + 2 * l.padding - l.k + 1;
    const gy = nt.randn([N, l.co, Ho, Wo], { device });
    const flop = 2 * N * l.co * Ho * Wo * C * l.k * l.k;
    const fwd = best(reps, () => {
      nt.noGrad(() => nt.conv2d(x, w, b, { padding: l.padding }));
    });
    const both = best(reps, () => {
      x.grad = null;
      w.grad = null;
      b.grad = null;
      nt.conv2d(x, w, b, { padding: l.padding }).backward(gy);
    });
    const rate = (f: number, s: number): string => `${(f / s / 1e9).toFixed(1)} GFLOP/s`;
    console.log(
      `${l.name} on ${JSON.stringify(l.x)}: forward ${(fwd * 1e3).toFixed(2)} ms (${rate(flop, fwd)}), ` +
        `forward+backward ${(both * 1e3).toFixed(2)} ms (${rate(3 * flop, both)})`,
    );
  }
}

main();
