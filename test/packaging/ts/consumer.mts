// Strict TypeScript consumer as an ES module (import condition of `exports`).
import nt, { tensor, nn, type Tensor } from 'nodetorch';
import type * as ns from 'nodetorch';

const t: Tensor = tensor([
  [1, 2],
  [3, 4],
]);
const lin = new nn.Linear(2, 2);
const out: Tensor = lin.forward(t);
const same: typeof ns.Tensor = nt.Tensor;
export const shape: readonly number[] = out.shape;
void same;
