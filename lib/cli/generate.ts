// `nodetorch generate`: continues a prompt with a GPT checkpoint written by
// `nodetorch train --model gpt` (its config and tokenizer come from the file).
import { DeviceError } from '../errors';
import { cuda, setNumThreads } from '../runtime';
import { tensor } from '../tensor/creation';
import { Generator } from '../tensor/random';
import type { CliIO } from './io';
import { loadGptCheckpoint } from './gpt_checkpoint';
import { GENERATE_USAGE, parseGenerateArgs } from './gpt_options';
import { startIds } from './gpt_train';

/** `nodetorch generate ARGS`: resolves to the exit code. */
export async function runGenerateCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const config = parseGenerateArgs(argv);
  if (config === 'help') {
    io.out(GENERATE_USAGE);
    return 0;
  }
  if (config.threads !== undefined) setNumThreads(config.threads);
  if (config.device === 'cuda' && !cuda.isAvailable())
    throw new DeviceError('generate', `--device cuda: CUDA is not available: ${cuda.unavailableReason()}`);
  const { model, tokenizer } = loadGptCheckpoint(config.checkpoint);
  if (config.device === 'cuda') model.to('cuda');
  const prompt = config.prompt === undefined ? startIds(tokenizer) : tokenizer.encode(config.prompt);
  const idx = tensor([prompt], { dtype: 'int64', device: config.device });
  const out = model.generate(idx, config.maxNewTokens, {
    temperature: config.temperature,
    topK: config.topK,
    topP: config.topP,
    generator: new Generator(config.seed),
  });
  const ids = Array.from(out.cpu().data() as BigInt64Array, Number);
  const promptText = config.prompt ?? '';
  const continuation = tokenizer.decode(ids.slice(prompt.length));
  if (config.json) io.out(JSON.stringify({ prompt: promptText, text: continuation, tokens: ids.slice(prompt.length) }));
  else io.out(promptText + continuation);
  for (const p of model.parameters()) p.dispose();
  return 0;
}
