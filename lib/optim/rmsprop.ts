// RMSprop (torch.optim.RMSprop semantics: centered, momentum, weight decay,
// maximize), composed from in-place tensor ops; each parameter's
// temporaries are freed by a scope.
import { zeros } from '../tensor/creation';
import { keep, scope } from '../tensor/scope';
import type { Tensor } from '../tensor/tensor';
import { checkOptions } from '../validate';
import { prepareParams } from './buckets';
import {
  type BaseOptions,
  type ParamGroup,
  type ParamState,
  type ParamsInput,
  Optimizer,
  stateTensor,
} from './optimizer';
import { checkGroupOptions } from './group_options';
import '../ops/tensor_methods'; // this module calls Tensor methods

export interface RMSpropOptions extends BaseOptions {
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
  maximize: boolean;
}

export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: ParamsInput<RMSpropOptions>, opts: Partial<RMSpropOptions> = {}) {
    const options = checkOptions('RMSprop', opts);
    super(
      'RMSprop',
      params,
      {
        lr: options.lr ?? 1e-2,
        alpha: options.alpha ?? 0.99,
        eps: options.eps ?? 1e-8,
        weightDecay: options.weightDecay ?? 0,
        momentum: options.momentum ?? 0,
        centered: options.centered ?? false,
        maximize: options.maximize ?? false,
      },
      options,
    );
  }

  protected override checkGroup(g: ParamGroup<RMSpropOptions>): void {
    checkGroupOptions('RMSprop', g, {
      lr: 0,
      alpha: 0,
      eps: 0,
      weightDecay: 0,
      momentum: 0,
      centered: 'bool',
      maximize: 'bool',
    });
  }

  protected override update(): void {
    for (const group of this.paramGroups) {
      const prep = prepareParams('RMSprop.step', group.params);
      try {
        for (const { param, work, grad } of prep.items) {
          const s = this.stateFor(param, () => initState(param, group));
          // Options may change between steps: create missing buffers lazily.
          if (group.momentum > 0 && s.momentumBuffer === undefined) s.momentumBuffer = keep(zerosLikeParam(param));
          if (group.centered && s.gradAvg === undefined) s.gradAvg = keep(zerosLikeParam(param));
          s.step = (s.step as number) + 1;
          scope(() => stepOne(work, grad, s, group));
        }
      } finally {
        prep.finish();
      }
    }
  }
}

function initState(p: Tensor, g: RMSpropOptions): ParamState {
  const s: ParamState = { step: 0, squareAvg: zerosLikeParam(p) };
  if (g.momentum > 0) s.momentumBuffer = zerosLikeParam(p);
  if (g.centered) s.gradAvg = zerosLikeParam(p);
  return s;
}

function zerosLikeParam(p: Tensor): Tensor {
  return zeros(p.shape, { dtype: p.dtype, device: p.device });
}

/** The update of one parameter (torch.optim.rmsprop._single_tensor_rmsprop). */
function stepOne(p: Tensor, gradIn: Tensor, s: ParamState, g: RMSpropOptions): void {
  let grad = g.maximize ? gradIn.neg() : gradIn;
  if (g.weightDecay !== 0) grad = grad.add(p, g.weightDecay);
  const squareAvg = stateTensor(s, 'squareAvg');
  squareAvg.mul_(g.alpha).add_(grad.mul(grad), 1 - g.alpha); // addcmul_(grad, grad, 1 - alpha)
  let avg: Tensor;
  if (g.centered) {
    const gradAvg = stateTensor(s, 'gradAvg');
    gradAvg.add_(grad.sub(gradAvg), 1 - g.alpha); // lerp_(grad, 1 - alpha)
    avg = squareAvg.sub(gradAvg.mul(gradAvg)).sqrt();
  } else {
    avg = squareAvg.sqrt();
  }
  avg.add_(g.eps);
  if (g.momentum > 0) {
    const buf = stateTensor(s, 'momentumBuffer');
    buf.mul_(g.momentum).add_(grad.div(avg)); // addcdiv_(grad, avg)
    p.sub_(buf, g.lr);
  } else {
    p.sub_(grad.div(avg), g.lr); // addcdiv_(grad, avg, value=-lr)
  }
}
