// `nodetorch train --model gpt`: a GPT on a text (the bundled corpus by
// default), next-token loss, AdamW with gradient clipping, the loss of each
// step, a validation loss every --eval-interval steps, samples, checkpoints
// and one JSON summary line. Batches are random windows of the token stream
// (as nanoGPT's get_batch), drawn with a seeded generator.
import { promises as fsp } from 'fs';

import { ArgumentError, DeviceError, FileError } from '../errors';
import { GPT } from '../models/gpt';
import * as nn from '../nn';
import { noGrad } from '../ops/grad_mode';
import * as optim from '../optim';
import { cuda, getNumThreads, setNumThreads } from '../runtime';
import { tensor } from '../tensor/creation';
import { Generator, manualSeed } from '../tensor/random';
import { scope } from '../tensor/scope';
import type { Tensor } from '../tensor/tensor';
import { CharTokenizer } from '../text/char_tokenizer';
import { defaultCorpus } from '../text/corpus';
import { GPT2Tokenizer } from '../text/gpt2_tokenizer';
import type { Tokenizer } from '../text/tokenizer';
import { backendEssentials } from './info';
import type { CliIO } from './io';
import { saveGptCheckpoint } from './gpt_checkpoint';
import { GPT_TRAIN_USAGE, type GptTrainConfig, parseGptTrainArgs } from './gpt_options';
import { createStepProgress } from './progress';
import '../autograd/tensor_methods'; // loss.backward()

export interface GptTrainSummary {
  event: 'summary';
  model: 'gpt';
  config: GptTrainConfig;
  parameters: number;
  vocabSize: number;
  trainTokens: number;
  valTokens: number;
  /** [step, validation loss] at each evaluation. */
  valLoss: [number, number][];
  finalValLoss: number;
  finalTrainLoss: number;
  tokensPerSec: number;
  threads: number;
  totalSeconds: number;
  backend: Record<string, unknown>;
}

async function readText(config: GptTrainConfig): Promise<{ text: string; source: string }> {
  if (config.data === undefined) return { text: await defaultCorpus(), source: 'Moby-Dick (bundled corpus)' };
  try {
    return { text: await fsp.readFile(config.data, 'utf8'), source: config.data };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new FileError('nodetorch train', config.data, err.code ?? 'EIO', err.message);
  }
}

/** A seeded uniform integer stream in [0, n) for the batch offsets (mulberry32). */
function offsetStream(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

/** Random windows of `tokens`: x [B, T] and the next tokens y [B, T] (int64). */
function getBatch(
  tokens: Int32Array,
  B: number,
  T: number,
  next: (n: number) => number,
  device: string,
): [Tensor, Tensor] {
  const x: number[] = [];
  const y: number[] = [];
  for (let b = 0; b < B; b++) {
    const o = next(tokens.length - T);
    for (let t = 0; t < T; t++) {
      x.push(tokens[o + t]);
      y.push(tokens[o + t + 1]);
    }
  }
  const opts = { dtype: 'int64' as const, device: device as 'cpu' };
  return [tensor(x, opts).reshape([B, T]), tensor(y, opts).reshape([B, T])];
}

function makeTokenizer(config: GptTrainConfig, text: string): Tokenizer {
  return config.tokenizer === 'gpt2' ? new GPT2Tokenizer() : CharTokenizer.fromText(text);
}

/** Mean loss over evalIters random batches of `tokens`, in eval mode without autograd. */
function estimateLoss(model: GPT, tokens: Int32Array, config: GptTrainConfig, next: (n: number) => number): number {
  model.eval();
  let total = 0;
  noGrad(() => {
    for (let i = 0; i < config.evalIters; i++) {
      scope(() => {
        const [x, y] = getBatch(tokens, config.batchSize, config.blockSize, next, config.device);
        total += model.forward(x, y).loss.item();
      });
    }
  });
  model.train();
  return total / config.evalIters;
}

/** A sample of sampleTokens tokens after a newline (or <|endoftext|>), text only. */
function sample(model: GPT, tokenizer: Tokenizer, config: GptTrainConfig, seed: number): string {
  const start = startIds(tokenizer);
  return scope(() => {
    const idx = tensor([start], { dtype: 'int64', device: config.device as 'cpu' });
    const out = model.generate(idx, config.sampleTokens, { temperature: 0.8, generator: new Generator(seed) });
    const ids = Array.from(out.cpu().data() as BigInt64Array, Number).slice(start.length);
    return tokenizer.decode(ids);
  });
}

/** The ids a prompt-less generation starts from: <|endoftext|> (gpt2), else a newline, else id 0. */
export function startIds(tokenizer: Tokenizer): number[] {
  if (tokenizer instanceof GPT2Tokenizer) return [tokenizer.eotToken];
  try {
    return tokenizer.encode('\n');
  } catch {
    return [0];
  }
}

async function runGptTraining(config: GptTrainConfig, io: CliIO): Promise<GptTrainSummary> {
  const t0 = performance.now();
  const say = (s: string): void => {
    if (!config.quiet) io.err(s);
  };
  const out = (s: string): void => {
    if (!config.json) io.out(s);
  };
  if (config.threads !== undefined) setNumThreads(config.threads);
  if (config.device === 'cuda' && !cuda.isAvailable())
    throw new DeviceError('train', `--device cuda: CUDA is not available: ${cuda.unavailableReason()}`);
  const { text, source } = await readText(config);
  const tokenizer = makeTokenizer(config, text);
  const all = Int32Array.from(tokenizer.encode(text));
  const split = Math.floor(all.length * 0.9);
  const train = all.subarray(0, split);
  const val = all.subarray(split);
  const need = config.blockSize + 1;
  if (train.length < need || val.length < need) {
    throw new ArgumentError(
      'nodetorch train',
      `a text of at least ${Math.ceil(need / 0.1)} tokens for --block-size ${config.blockSize} (10% is held out for validation), got ${all.length} tokens from ${source}`,
    );
  }
  say(
    `${source}: ${text.length} chars, ${all.length} ${config.tokenizer} tokens (vocab ${tokenizer.vocabSize}): ${train.length} train / ${val.length} validation; ${getNumThreads()} threads`,
  );

  manualSeed(config.seed);
  const model = new GPT({
    nLayer: config.nLayer,
    nHead: config.nHead,
    nEmbd: config.nEmbd,
    blockSize: config.blockSize,
    vocabSize: tokenizer.vocabSize,
    dropout: config.dropout,
  });
  if (config.device === 'cuda') model.to('cuda');
  say(
    `GPT: ${model.numParameters()} parameters (${model.config.nLayer} layers, ${model.config.nHead} heads, ${model.config.nEmbd} wide, context ${model.config.blockSize})`,
  );
  const optimizer = new optim.AdamW(model.parameters(), { lr: config.lr, weightDecay: config.weightDecay });
  const nextTrain = offsetStream(config.seed * 2 + 1);
  const nextVal = offsetStream(config.seed * 2 + 2);
  const progress = createStepProgress(config.quiet, config.iters, io.progressStream);
  const valLoss: [number, number][] = [];
  let lastLoss = NaN;
  const tokensPerStep = config.batchSize * config.blockSize;
  const trainStart = performance.now();
  const evaluate = (step: number): void => {
    const v = estimateLoss(model, val, config, nextVal);
    valLoss.push([step, v]);
    out(`step ${step}: validation loss ${v.toFixed(4)}`);
    if (config.checkpoint !== undefined) {
      saveGptCheckpoint(config.checkpoint, model, tokenizer, { step: String(step), valLoss: String(v), source });
      say(`checkpoint: ${config.checkpoint} (step ${step})`);
    }
  };
  try {
    for (let step = 1; step <= config.iters; step++) {
      scope(() => {
        const [x, y] = getBatch(train, config.batchSize, config.blockSize, nextTrain, config.device);
        optimizer.zeroGrad();
        const { loss } = model.forward(x, y);
        loss.backward();
        if (config.gradClip > 0) nn.utils.clipGradNorm_(model.parameters(), config.gradClip);
        optimizer.step();
        lastLoss = loss.item();
      });
      const tps = (step * tokensPerStep) / ((performance.now() - trainStart) / 1000);
      progress.update(step, lastLoss, tps);
      out(`step ${step}/${config.iters}: loss ${lastLoss.toFixed(4)}`);
      if (step % config.evalInterval === 0 || step === config.iters) evaluate(step);
      if (config.sampleInterval > 0 && (step % config.sampleInterval === 0 || step === config.iters)) {
        out(`--- sample at step ${step} ---\n${sample(model, tokenizer, config, config.seed + step)}\n---`);
      }
    }
  } finally {
    progress.stop();
  }
  const trainSeconds = (performance.now() - trainStart) / 1000;
  const summary: GptTrainSummary = {
    event: 'summary',
    model: 'gpt',
    config,
    parameters: model.numParameters(),
    vocabSize: tokenizer.vocabSize,
    trainTokens: train.length,
    valTokens: val.length,
    valLoss,
    finalValLoss: valLoss.length ? valLoss[valLoss.length - 1][1] : NaN,
    finalTrainLoss: lastLoss,
    tokensPerSec: (config.iters * tokensPerStep) / trainSeconds,
    threads: getNumThreads(),
    totalSeconds: (performance.now() - t0) / 1000,
    backend: backendEssentials(),
  };
  // Free now rather than at GC: a caller may train again in-process.
  optimizer.zeroGrad();
  for (const st of optimizer.state.values()) for (const v of Object.values(st)) if (typeof v !== 'number') v.dispose();
  for (const p of model.parameters()) p.dispose();
  return summary;
}

/** `nodetorch train --model gpt ARGS`: resolves to the exit code. */
export async function runGptTrainCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const config = parseGptTrainArgs(argv);
  if (config === 'help') {
    io.out(GPT_TRAIN_USAGE);
    return 0;
  }
  const summary = await runGptTraining(config, io);
  io.out(JSON.stringify(summary));
  return 0;
}
