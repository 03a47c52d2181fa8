// The seed's model: 784 -> 500 -> 10 with a ReLU, as in the classic PyTorch
// MNIST example (examples/mnist-mlp.ts is the line-for-line port).

import * as nn from '../nn';
import { relu } from '../ops/unary.gen';
import type { Tensor } from '../tensor/tensor';

export class MLP extends nn.Module {
  fc1: nn.Linear;
  fc2: nn.Linear;

  constructor(inFeatures = 784, hidden = 500, classes = 10) {
    super();
    this.fc1 = new nn.Linear(inFeatures, hidden);
    this.fc2 = new nn.Linear(hidden, classes);
  }

  /** x [N, 784] -> logits [N, 10]. */
  forward(x: Tensor): Tensor {
    return this.fc2.forward(relu(this.fc1.forward(x)));
  }
}
