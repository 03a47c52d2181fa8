// The embedding backward: the weight's gradient as rows (RowsGrad), the
// upstream gradient of each id added to that id's row; ids equal to
// paddingIdx contribute nothing.
import { cast } from '../ops/convert';
import { mul, ne } from '../ops/elementwise';
import type { EmbeddingContext } from '../ops/embedding';
import { contiguous, reshape } from '../ops/views';
import type { Tensor } from '../tensor/tensor';
import { RowsGrad } from './rows_grad';

export function embeddingBackward(ctx: EmbeddingContext, g: Tensor): RowsGrad {
  const { index, numEmbeddings, dim, paddingIdx } = ctx;
  let values = reshape(contiguous(g), [index.numel, dim]);
  if (paddingIdx !== null) values = mul(values, reshape(cast(ne(index, paddingIdx), g.dtype), [index.numel, 1]));
  return new RowsGrad([numEmbeddings, dim], index, values);
}
