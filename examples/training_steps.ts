// The training step of the documented loops (README "Async"), shared by
// examples/async-training.ts and the event-loop row of `npm run bench`, which
// measures exactly this code. The ops only record their kernels; the loss is
// then read blocking (item: this thread runs them) or awaited (itemAsync: a
// native worker runs them while the event loop goes on).
import * as nt from '../lib';

export interface TrainingParts {
  model: { forward(x: nt.Tensor): nt.Tensor };
  optimizer: { zeroGrad(): void; step(): void };
  criterion: { forward(input: nt.Tensor, target: nt.Tensor): nt.Tensor };
}

/** Records one step (the scope frees its temporaries) and returns the loss tensor. */
function enqueueStep({ model, optimizer, criterion }: TrainingParts, x: nt.Tensor, y: nt.Tensor): nt.Tensor {
  return nt.scope(() => {
    optimizer.zeroGrad();
    const loss = criterion.forward(model.forward(x), y);
    loss.backward();
    optimizer.step();
    return loss.detach();
  });
}

/** One step of the blocking loop: item() runs the step's kernels on this thread. */
export function step(parts: TrainingParts, x: nt.Tensor, y: nt.Tensor): number {
  const loss = enqueueStep(parts, x, y);
  const value = loss.item();
  loss.dispose();
  return value;
}

/** One step of the async loop: the event loop runs while the step's kernels do. */
export async function stepAsync(parts: TrainingParts, x: nt.Tensor, y: nt.Tensor): Promise<number> {
  const loss = enqueueStep(parts, x, y);
  try {
    return await loss.itemAsync();
  } finally {
    loss.dispose();
  }
}
