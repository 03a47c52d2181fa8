// Options of `nodetorch train --model gpt` and `nodetorch generate`: the
// tables (parsing + --help) and the validated configs. Kept apart from the
// loops so tests can check parsing without loading text or kernels.
import { formatOptions, type OptionSpec, parseArgs, UsageError } from './args';

const TOKENIZERS = ['char', 'gpt2'] as const;
const DEVICES = ['cpu', 'cuda'] as const;

export interface GptTrainConfig {
  /** A UTF-8 text file; undefined = the default corpus (Moby-Dick). */
  data: string | undefined;
  tokenizer: (typeof TOKENIZERS)[number];
  nLayer: number;
  nHead: number;
  nEmbd: number;
  blockSize: number;
  batchSize: number;
  iters: number;
  lr: number;
  weightDecay: number;
  gradClip: number;
  dropout: number;
  /** Validation loss every N iterations (and after the last). */
  evalInterval: number;
  /** Batches averaged for each validation loss. */
  evalIters: number;
  /** A generated sample every N iterations (0: none). */
  sampleInterval: number;
  sampleTokens: number;
  checkpoint: string | undefined;
  seed: number;
  threads: number | undefined;
  device: (typeof DEVICES)[number];
  json: boolean;
  quiet: boolean;
}

const GPT_DEFAULTS = {
  tokenizer: 'char' as GptTrainConfig['tokenizer'],
  nLayer: 4,
  nHead: 4,
  nEmbd: 128,
  blockSize: 64,
  batchSize: 16,
  iters: 500,
  lr: 1e-3,
  weightDecay: 0.1,
  gradClip: 1,
  dropout: 0,
  evalInterval: 100,
  evalIters: 10,
  sampleInterval: 250,
  sampleTokens: 200,
};

const int = (name: string, help: string, def: number, min = 1, max = 1 << 20): OptionSpec => ({
  name,
  kind: 'int',
  min,
  max,
  metavar: 'N',
  help,
  defaultText: String(def),
});
const common: OptionSpec[] = [
  { name: 'seed', kind: 'int', min: 0, max: 2 ** 53 - 1, metavar: 'S', help: 'random seed', defaultText: '0' },
  {
    name: 'threads',
    kind: 'int',
    min: 1,
    max: 1024,
    metavar: 'N',
    help: 'CPU threads',
    defaultText: 'the runtime default',
  },
  { name: 'device', kind: 'choice', choices: DEVICES, help: 'run on the CPU or an NVIDIA GPU', defaultText: 'cpu' },
];

const GPT_TRAIN_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'model',
    kind: 'choice',
    choices: ['gpt'],
    help: 'the model (gpt here; mlp/cnn: see nodetorch train --help)',
  },
  {
    name: 'data',
    kind: 'string',
    metavar: 'FILE.txt',
    help: 'UTF-8 text to train on (90% train, 10% validation)',
    defaultText: 'Moby-Dick, the bundled public-domain corpus',
  },
  {
    name: 'tokenizer',
    kind: 'choice',
    choices: TOKENIZERS,
    help: "char (the text's characters) or gpt2 (BPE, 50257)",
    defaultText: 'char',
  },
  int('n-layer', 'transformer blocks', GPT_DEFAULTS.nLayer, 1, 1024),
  int('n-head', 'attention heads (divides --n-embd)', GPT_DEFAULTS.nHead, 1, 1024),
  int('n-embd', 'embedding width', GPT_DEFAULTS.nEmbd),
  int('block-size', 'context length in tokens', GPT_DEFAULTS.blockSize),
  int('batch-size', 'sequences per step', GPT_DEFAULTS.batchSize),
  int('iters', 'training steps', GPT_DEFAULTS.iters, 1, 1e9),
  {
    name: 'lr',
    kind: 'number',
    above: 0,
    metavar: 'LR',
    help: 'AdamW learning rate',
    defaultText: String(GPT_DEFAULTS.lr),
  },
  {
    name: 'weight-decay',
    kind: 'number',
    min: 0,
    metavar: 'WD',
    help: 'AdamW weight decay',
    defaultText: String(GPT_DEFAULTS.weightDecay),
  },
  {
    name: 'grad-clip',
    kind: 'number',
    min: 0,
    metavar: 'NORM',
    help: 'clip the gradient norm to this (0: off)',
    defaultText: '1',
  },
  {
    name: 'dropout',
    kind: 'number',
    min: 0,
    max: 0.99,
    metavar: 'P',
    help: 'dropout while training',
    defaultText: '0',
  },
  int('eval-interval', 'validation loss every N steps', GPT_DEFAULTS.evalInterval, 1, 1e9),
  int('eval-iters', 'batches per validation loss', GPT_DEFAULTS.evalIters, 1, 1e6),
  int('sample-interval', 'print a generated sample every N steps (0: never)', GPT_DEFAULTS.sampleInterval, 0, 1e9),
  int('sample-tokens', 'tokens per sample', GPT_DEFAULTS.sampleTokens, 1, 1e6),
  {
    name: 'checkpoint',
    kind: 'string',
    metavar: 'FILE',
    help: 'save the model (safetensors, with config and tokenizer) at each evaluation',
  },
  ...common,
  { name: 'json', kind: 'flag', help: 'print only the JSON summary on stdout' },
  { name: 'quiet', kind: 'flag', short: 'q', help: 'no progress bar or notes on stderr' },
  { name: 'help', kind: 'flag', short: 'h', help: 'show this help' },
];

export const GPT_TRAIN_USAGE = `Usage: nodetorch train --model gpt [options]

Trains a GPT (GPT-2's architecture) to predict the next token of a text,
with AdamW and gradient clipping. Prints the loss of each step, the
validation loss every --eval-interval steps and a generated sample every
--sample-interval steps on stdout, then a JSON summary ({"event":"summary"}).

Options:
${formatOptions(GPT_TRAIN_OPTIONS)}

Examples:
  nodetorch train --model gpt --iters 200 --checkpoint gpt.safetensors
  nodetorch train --model gpt --data input.txt --n-layer 6 --n-head 6 --n-embd 384 --block-size 256
  nodetorch generate --checkpoint gpt.safetensors --prompt "Call me"`;

/** True when the train arguments ask for --model gpt. */
export function wantsGpt(argv: readonly string[]): boolean {
  return argv.some((a, i) => a === '--model=gpt' || (a === '--model' && argv[i + 1] === 'gpt'));
}

export function parseGptTrainArgs(argv: readonly string[]): GptTrainConfig | 'help' {
  const cmd = 'nodetorch train --model gpt';
  const { values, positionals } = parseArgs(cmd, argv, GPT_TRAIN_OPTIONS);
  if (values.get('help')) return 'help';
  if (positionals.length) throw new UsageError(cmd, `no positional arguments expected, got '${positionals[0]}'`);
  const num = (name: string, def: number): number => (values.get(name) as number | undefined) ?? def;
  const c: GptTrainConfig = {
    data: values.get('data') as string | undefined,
    tokenizer: (values.get('tokenizer') ?? GPT_DEFAULTS.tokenizer) as GptTrainConfig['tokenizer'],
    nLayer: num('n-layer', GPT_DEFAULTS.nLayer),
    nHead: num('n-head', GPT_DEFAULTS.nHead),
    nEmbd: num('n-embd', GPT_DEFAULTS.nEmbd),
    blockSize: num('block-size', GPT_DEFAULTS.blockSize),
    batchSize: num('batch-size', GPT_DEFAULTS.batchSize),
    iters: num('iters', GPT_DEFAULTS.iters),
    lr: num('lr', GPT_DEFAULTS.lr),
    weightDecay: num('weight-decay', GPT_DEFAULTS.weightDecay),
    gradClip: num('grad-clip', GPT_DEFAULTS.gradClip),
    dropout: num('dropout', GPT_DEFAULTS.dropout),
    evalInterval: num('eval-interval', GPT_DEFAULTS.evalInterval),
    evalIters: num('eval-iters', GPT_DEFAULTS.evalIters),
    sampleInterval: num('sample-interval', GPT_DEFAULTS.sampleInterval),
    sampleTokens: num('sample-tokens', GPT_DEFAULTS.sampleTokens),
    checkpoint: values.get('checkpoint') as string | undefined,
    seed: num('seed', 0),
    threads: values.get('threads') as number | undefined,
    device: (values.get('device') ?? 'cpu') as GptTrainConfig['device'],
    json: values.get('json') === true,
    quiet: values.get('quiet') === true,
  };
  if (c.nEmbd % c.nHead !== 0)
    throw new UsageError(cmd, `--n-embd divisible by --n-head, got --n-embd ${c.nEmbd} and --n-head ${c.nHead}`);
  return c;
}

export interface GenerateConfig {
  checkpoint: string;
  /** Text to continue; undefined = the tokenizer's start (a newline, or <|endoftext|>). */
  prompt: string | undefined;
  maxNewTokens: number;
  temperature: number;
  topK: number | undefined;
  topP: number | undefined;
  seed: number;
  threads: number | undefined;
  device: (typeof DEVICES)[number];
  json: boolean;
}

const GENERATE_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'checkpoint',
    kind: 'string',
    metavar: 'FILE',
    help: 'a checkpoint written by nodetorch train --model gpt (required)',
  },
  {
    name: 'prompt',
    kind: 'string',
    metavar: 'TEXT',
    help: 'text to continue',
    defaultText: 'a newline (char) or <|endoftext|> (gpt2)',
  },
  int('max-new-tokens', 'tokens to generate', 200, 0, 1e7),
  {
    name: 'temperature',
    kind: 'number',
    min: 0,
    metavar: 'T',
    help: 'sampling temperature (0: greedy)',
    defaultText: '0.8',
  },
  {
    name: 'top-k',
    kind: 'int',
    min: 1,
    metavar: 'K',
    help: 'sample among the k most likely tokens',
    defaultText: 'all',
  },
  {
    name: 'top-p',
    kind: 'number',
    above: 0,
    max: 1,
    metavar: 'P',
    help: 'nucleus sampling: the smallest set reaching mass P',
  },
  ...common,
  { name: 'json', kind: 'flag', help: 'print {"prompt", "text", "tokens"} as JSON' },
  { name: 'help', kind: 'flag', short: 'h', help: 'show this help' },
];

export const GENERATE_USAGE = `Usage: nodetorch generate --checkpoint FILE [options]

Continues a prompt with a GPT trained by 'nodetorch train --model gpt' (the
checkpoint carries the model's config and its tokenizer). Prints the prompt
and its continuation on stdout.

Options:
${formatOptions(GENERATE_OPTIONS)}

Examples:
  nodetorch generate --checkpoint gpt.safetensors --prompt "Call me" --max-new-tokens 300
  nodetorch generate --checkpoint gpt.safetensors --temperature 0     # greedy`;

export function parseGenerateArgs(argv: readonly string[]): GenerateConfig | 'help' {
  const cmd = 'nodetorch generate';
  const { values, positionals } = parseArgs(cmd, argv, GENERATE_OPTIONS);
  if (values.get('help')) return 'help';
  if (positionals.length) throw new UsageError(cmd, `no positional arguments expected, got '${positionals[0]}'`);
  const checkpoint = values.get('checkpoint') as string | undefined;
  if (checkpoint === undefined)
    throw new UsageError(cmd, "--checkpoint FILE, got none; see 'nodetorch generate --help'");
  return {
    checkpoint,
    prompt: values.get('prompt') as string | undefined,
    maxNewTokens: (values.get('max-new-tokens') as number | undefined) ?? 200,
    temperature: (values.get('temperature') as number | undefined) ?? 0.8,
    topK: values.get('top-k') as number | undefined,
    topP: values.get('top-p') as number | undefined,
    seed: (values.get('seed') as number | undefined) ?? 0,
    threads: values.get('threads') as number | undefined,
    device: (values.get('device') ?? 'cpu') as GenerateConfig['device'],
    json: values.get('json') === true,
  };
}
