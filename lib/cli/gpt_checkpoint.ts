// GPT checkpoints of the CLI: the state dict as safetensors (lm_head.weight
// left out: it is transformer.wte.weight, as Hugging Face saves GPT-2) with
// the model config and the tokenizer in the metadata, so `nodetorch
// generate` needs nothing but the file.
import { FileFormatError } from '../errors';
import { loadCheckpoint, save } from '../io/checkpoint';
import { GPT } from '../models/gpt';
import type { GPTConfig } from '../models/gpt_config';
import { tokenizerFromJSON } from '../text/from_json';
import type { Tokenizer } from '../text/tokenizer';
import { scope } from '../tensor/scope';

const GPT_CHECKPOINT_KIND = 'nodetorch-gpt';

/** Writes model + config + tokenizer (atomically) with extra metadata strings. */
export function saveGptCheckpoint(file: string, model: GPT, tokenizer: Tokenizer, extra: Record<string, string>): void {
  scope(() => {
    const tensors = model.stateDict();
    delete tensors['lm_head.weight'];
    const metadata = {
      ...extra,
      model: GPT_CHECKPOINT_KIND,
      config: JSON.stringify(model.config),
      tokenizer: JSON.stringify(tokenizer.toJSON()),
    };
    save({ tensors, metadata }, file);
  });
}

/** Reads a checkpoint written by saveGptCheckpoint: the model (eval mode, on the CPU) and its tokenizer. */
export function loadGptCheckpoint(file: string): {
  model: GPT;
  tokenizer: Tokenizer;
  metadata: Record<string, string>;
} {
  const { tensors, metadata } = loadCheckpoint(file);
  try {
    if (metadata.model !== GPT_CHECKPOINT_KIND || !metadata.config || !metadata.tokenizer) {
      throw new FileFormatError(
        file,
        `expected a GPT checkpoint of 'nodetorch train --model gpt' (metadata model "${GPT_CHECKPOINT_KIND}", config, tokenizer), got metadata keys [${Object.keys(metadata).join(', ')}]`,
      );
    }
    let config: GPTConfig;
    let tokenizer: Tokenizer;
    try {
      config = JSON.parse(metadata.config) as GPTConfig;
      tokenizer = tokenizerFromJSON(metadata.tokenizer);
    } catch (e) {
      throw new FileFormatError(file, `unreadable config or tokenizer metadata: ${(e as Error).message}`);
    }
    const model = new GPT(config);
    model.loadStateDict(tensors);
    return { model: model.eval(), tokenizer, metadata };
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
}
