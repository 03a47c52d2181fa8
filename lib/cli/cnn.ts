// The CNN of PyTorch's examples/mnist: two 3x3 convolutions (1 -> 32 -> 64),
// a 2x2 max-pool, dropout 0.25, a 9216 -> 128 layer, dropout 0.5, 128 -> 10.
// `nodetorch train --model cnn` and examples/mnist-cnn.ts train it.
import * as nn from '../nn';
import { relu } from '../ops/unary.gen';
import type { Tensor } from '../tensor/tensor';
import '../ops/tensor_methods'; // this module calls Tensor methods

export class MnistCNN extends nn.Module {
  conv1 = new nn.Conv2d(1, 32, 3);
  conv2 = new nn.Conv2d(32, 64, 3);
  pool = new nn.MaxPool2d(2);
  dropout1 = new nn.Dropout(0.25);
  dropout2 = new nn.Dropout(0.5);
  fc1 = new nn.Linear(9216, 128);
  fc2 = new nn.Linear(128, 10);

  /** x [N, 1, 28, 28] -> logits [N, 10]. */
  forward(x: Tensor): Tensor {
    let h = relu(this.conv1.forward(x));
    h = relu(this.conv2.forward(h));
    h = this.dropout1.forward(this.pool.forward(h));
    h = relu(this.fc1.forward(h.flatten(1)));
    return this.fc2.forward(this.dropout2.forward(h));
  }
}
