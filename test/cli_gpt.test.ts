// `nodetorch train --model gpt` and `nodetorch generate` (issue 13): a tiny
// GPT for a few steps on a small text, the output lines and JSON summary,
// the checkpoint (config + tokenizer in its metadata) that generate reads,
// the default corpus with the GPT-2 tokenizer, and usage errors.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import * as nt from '../lib';
import type { GptTrainSummary } from '../lib/cli/gpt_train';
import { loadGptCheckpoint } from '../lib/cli/gpt_checkpoint';
import type { CliIO } from '../lib/cli/main';
import { main } from '../lib/cli/main';

function captureIO(): CliIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    out: (t) => void stdout.push(t),
    err: (t) => void stderr.push(t),
    progressStream: process.stderr,
  };
}

async function run(args: string[]): Promise<{ code: number; stdout: string[]; stderr: string[] }> {
  const io = captureIO();
  const code = await main(args, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

const TINY = ['--n-layer', '1', '--n-head', '2', '--n-embd', '16', '--block-size', '16', '--batch-size', '4'];
const TEXT = 'It was the best of times, it was the worst of times; it was the age of wisdom.\n'.repeat(60);

describe('nodetorch train --model gpt / nodetorch generate', () => {
  const threads = nt.getNumThreads();
  let dir: string;
  let data: string;
  let ckpt: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nt-cli-gpt-'));
    data = path.join(dir, 'input.txt');
    ckpt = path.join(dir, 'gpt.safetensors');
    fs.writeFileSync(data, TEXT);
  });
  afterAll(() => {
    nt.setNumThreads(threads);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('trains on a text file: a loss per step, validation losses, samples, a checkpoint and a summary', async () => {
    const args = ['train', '--model', 'gpt', '--data', data, ...TINY, '--iters', '6', '--lr', '0.01'];
    const r = await run([
      ...args,
      ...['--eval-interval', '3', '--eval-iters', '2', '--sample-interval', '3', '--sample-tokens', '10'],
      ...['--checkpoint', ckpt, '--seed', '3', '--threads', '2', '--quiet'],
    ]);
    expect(r.stderr).toEqual([]);
    expect(r.code).toBe(0);
    const steps = r.stdout.filter((l) => /^step \d+\/6: loss \d+\.\d{4}$/.test(l));
    expect(steps).toHaveLength(6);
    expect(r.stdout.filter((l) => /^step [36]: validation loss \d+\.\d{4}$/.test(l))).toHaveLength(2);
    expect(r.stdout.filter((l) => l.startsWith('--- sample at step '))).toHaveLength(2);
    const summary = JSON.parse(r.stdout[r.stdout.length - 1]) as GptTrainSummary;
    expect(summary.event).toBe('summary');
    expect(summary.vocabSize).toBe(new Set(TEXT).size);
    expect(summary.trainTokens + summary.valTokens).toBe(TEXT.length);
    expect(summary.valTokens).toBe(TEXT.length - Math.floor(TEXT.length * 0.9));
    expect(summary.valLoss.map(([s]) => s)).toEqual([3, 6]);
    expect(summary.finalValLoss).toBe(summary.valLoss[1][1]);
    expect(summary.finalValLoss).toBeLessThan(Math.log(summary.vocabSize));
    expect(summary.tokensPerSec).toBeGreaterThan(0);

    const { model, tokenizer, metadata } = loadGptCheckpoint(ckpt);
    expect(metadata.step).toBe('6');
    expect(Number(metadata.valLoss)).toBe(summary.finalValLoss);
    expect(model.config).toMatchObject({ nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 16, vocabSize: summary.vocabSize });
    expect(tokenizer.decode(tokenizer.encode('the worst'))).toBe('the worst');
    expect(Object.keys(nt.load(ckpt))).not.toContain('lm_head.weight'); // tied: stored once

    // The same seed gives the same run.
    const again = await run([
      ...args,
      '--eval-interval',
      '3',
      '--eval-iters',
      '2',
      '--sample-interval',
      '0',
      '--seed',
      '3',
      '--threads',
      '2',
      '--quiet',
      '--json',
    ]);
    expect(again.stdout).toHaveLength(1);
    expect((JSON.parse(again.stdout[0]) as GptTrainSummary).valLoss).toEqual(summary.valLoss);

    // generate reads the checkpoint: greedy is the model's argmax continuation.
    const g = await run([
      'generate',
      '--checkpoint',
      ckpt,
      '--prompt',
      'it was',
      '--max-new-tokens',
      '12',
      '--temperature',
      '0',
      '--json',
    ]);
    expect(g.stderr).toEqual([]);
    expect(g.code).toBe(0);
    const out = JSON.parse(g.stdout[0]) as { prompt: string; text: string; tokens: number[] };
    expect(out.prompt).toBe('it was');
    expect(out.tokens).toHaveLength(12);
    const idx = nt.tensor([tokenizer.encode('it was')], { dtype: 'int64' });
    const expected = model.generate(idx, 12, { temperature: 0 });
    expect(tokenizer.decode(Array.from(expected.data() as BigInt64Array, Number).slice(6))).toBe(out.text);

    // Sampling: the seed decides; plain output is the prompt and its continuation.
    const s1 = await run([
      'generate',
      '--checkpoint',
      ckpt,
      '--prompt',
      'the',
      '--max-new-tokens',
      '20',
      '--seed',
      '5',
      '--top-k',
      '5',
      '--top-p',
      '0.9',
    ]);
    const s2 = await run([
      'generate',
      '--checkpoint',
      ckpt,
      '--prompt',
      'the',
      '--max-new-tokens',
      '20',
      '--seed',
      '5',
      '--top-k',
      '5',
      '--top-p',
      '0.9',
    ]);
    expect(s1.code).toBe(0);
    expect(s1.stdout).toEqual(s2.stdout);
    expect(s1.stdout[0].startsWith('the')).toBe(true);
    expect([...s1.stdout[0]]).toHaveLength(23);

    // A prompt character the tokenizer never saw is the user's error, named.
    const bad = await run(['generate', '--checkpoint', ckpt, '--prompt', 'zebra']);
    expect(bad.code).toBe(1);
    expect(bad.stderr[0]).toMatch(/error: CharTokenizer.encode: .* got 'z'/);
  });

  it('trains on the default corpus with the GPT-2 tokenizer', async () => {
    const r = await run([
      'train',
      '--model',
      'gpt',
      '--tokenizer',
      'gpt2',
      ...TINY,
      '--iters',
      '2',
      '--eval-iters',
      '1',
      '--sample-interval',
      '0',
      '--quiet',
      '--json',
    ]);
    expect(r.stderr).toEqual([]);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout[0]) as GptTrainSummary;
    expect(summary.vocabSize).toBe(50257);
    expect(summary.trainTokens).toBeGreaterThan(200_000); // ~1.2 MB of English
    expect(summary.valLoss).toHaveLength(1);
    expect(summary.finalValLoss).toBeGreaterThan(9); // near ln(50257) = 10.8 after 2 steps
  });

  it('shows its help, and reports usage and data errors', async () => {
    const help = await run(['train', '--model', 'gpt', '--help']);
    expect(help.code).toBe(0);
    for (const opt of [
      '--data',
      '--tokenizer',
      '--n-layer',
      '--n-head',
      '--n-embd',
      '--block-size',
      '--batch-size',
      '--iters',
      '--lr',
      '--eval-interval',
      '--sample-interval',
      '--dropout',
      '--checkpoint',
    ])
      expect(help.stdout[0]).toContain(opt);
    expect((await run(['generate', '--help'])).stdout[0]).toMatch(
      /--max-new-tokens[\s\S]*--top-k[\s\S]*--top-p[\s\S]*--seed/,
    );
    expect((await run(['--help'])).stdout[0]).toMatch(/generate +continue a prompt/);
    expect((await run(['train', '--help'])).stdout[0]).toContain('--model gpt --help');

    const heads = await run(['train', '--model', 'gpt', '--n-embd', '30', '--n-head', '4']);
    expect(heads.code).toBe(2);
    expect(heads.stderr[0]).toMatch(/--n-embd divisible by --n-head, got --n-embd 30 and --n-head 4/);
    const noCkpt = await run(['generate', '--prompt', 'x']);
    expect(noCkpt.code).toBe(2);
    expect(noCkpt.stderr[0]).toMatch(/--checkpoint FILE, got none/);
    const missing = await run(['train', '--model', 'gpt', '--data', path.join(dir, 'nope.txt'), '--quiet']);
    expect(missing.code).toBe(1);
    expect(missing.stderr[0]).toMatch(/cannot read .*nope\.txt.*ENOENT/);
    const short = path.join(dir, 'short.txt');
    fs.writeFileSync(short, 'too short');
    const tooShort = await run(['train', '--model', 'gpt', '--data', short, '--block-size', '16', '--quiet']);
    expect(tooShort.code).toBe(1);
    expect(tooShort.stderr[0]).toMatch(/at least 170 tokens for --block-size 16 .* got 9 tokens/);
    const other = path.join(dir, 'other.safetensors');
    nt.save({ tensors: { w: nt.zeros([2]) }, metadata: { model: 'mlp-784-500-10' } }, other);
    const notGpt = await run(['generate', '--checkpoint', other]);
    expect(notGpt.code).toBe(1);
    expect(notGpt.stderr[0]).toMatch(/expected a GPT checkpoint .* got metadata keys \[model\]/);
  });
});
