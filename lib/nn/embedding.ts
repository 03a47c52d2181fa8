// Embedding: a lookup table of numEmbeddings vectors of size embeddingDim
// (F.embedding). Its weight's gradient is accumulated sparsely, row by row
// (lib/autograd/rows_grad.ts).
import { checkPaddingIdx, embedding } from '../ops/embedding';
import { noGrad } from '../ops/grad_mode';
import { empty } from '../tensor/creation';
import type { DeviceLike, DType } from '../tensor/dtype';
import type { Tensor } from '../tensor/tensor';
import { checkInteger, checkOptions, optionKeys } from '../validate';
import { normal_ } from './init';
import { Module } from './module';
import { Parameter } from './parameter';
import '../ops/tensor_methods'; // resetParameters calls Tensor methods

export interface EmbeddingOptions {
  /** A row that stays zero at init and gets no gradient; negative counts from the end. */
  paddingIdx?: number | null;
  device?: DeviceLike;
  dtype?: DType;
}

/** Maps int32 / int64 ids of any shape to rows of `weight` [numEmbeddings, embeddingDim]. */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  /** The padding row as a non-negative index, or null. */
  readonly paddingIdx: number | null;
  weight: Tensor;

  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingOptions = {}) {
    super();
    this.numEmbeddings = checkInteger('Embedding', 'numEmbeddings', numEmbeddings, 1);
    this.embeddingDim = checkInteger('Embedding', 'embeddingDim', embeddingDim, 0);
    const o = checkOptions(
      'Embedding',
      options,
      optionKeys<EmbeddingOptions>({ paddingIdx: true, device: true, dtype: true }),
    );
    this.paddingIdx = checkPaddingIdx('Embedding', o.paddingIdx, numEmbeddings);
    this.weight = Parameter(empty([numEmbeddings, embeddingDim], { device: o.device, dtype: o.dtype }));
    this.resetParameters();
  }

  /** PyTorch's init: weight ~ N(0, 1), the padding row zero. */
  resetParameters(): void {
    noGrad(() => {
      normal_(this.weight);
      if (this.paddingIdx !== null) this.weight.narrow(0, this.paddingIdx, 1).zero_();
    });
  }

  forward(ids: Tensor): Tensor {
    return embedding(ids, this.weight, { paddingIdx: this.paddingIdx });
  }

  override extraRepr(): string {
    const pad = this.paddingIdx === null ? '' : `, paddingIdx=${this.paddingIdx}`;
    return `${this.numEmbeddings}, ${this.embeddingDim}${pad}`;
  }
}
