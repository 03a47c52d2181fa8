// Child of determinism.test.ts and workers.test.ts: trains a small MLP for
// `steps` steps from `seed` with `threads` CPU threads and returns the
// float64 bit patterns of every loss (hex), so runs compare bitwise.
import * as nt from '../../../lib';

export function trainLosses(seed: number, steps: number, threads: number): string[] {
  nt.setNumThreads(threads);
  nt.manualSeed(seed);
  const model = new nt.nn.Sequential(new nt.nn.Linear(64, 128), new nt.nn.ReLU(), new nt.nn.Linear(128, 10));
  const opt = new nt.optim.Adam(model.parameters(), { lr: 1e-3 });
  const x = nt.randn([32, 64]);
  const y = nt.randint(0, 10, [32]);
  const out: string[] = [];
  const bits = new DataView(new ArrayBuffer(8));
  for (let i = 0; i < steps; i++) {
    nt.scope(() => {
      opt.zeroGrad();
      const loss = nt.nn.functional.crossEntropy(model.forward(x), y);
      loss.backward();
      opt.step();
      bits.setFloat64(0, loss.item());
      out.push(bits.getBigUint64(0).toString(16));
    });
  }
  return out;
}

if (require.main === module) {
  const [seed, steps, threads] = process.argv.slice(2).map(Number);
  process.stdout.write(JSON.stringify(trainLosses(seed, steps, threads)));
}
