// Adagrad (torch.optim.Adagrad of PyTorch 1.13, dense gradients): lrDecay,
// weightDecay, initialAccumulatorValue, eps and maximize. The step's learning
// rate lr / (1 + (step - 1) lrDecay) is computed here in double; the update is
// one fused native call per bucket (params sharing dtype, device and step).
import { launchAdagrad } from '../kernels/fused';
import { full } from '../tensor/creation';
import type { Tensor } from '../tensor/tensor';
import { checkOptions } from '../validate';
import { fusedGroupStep } from './fused_step';
import {
  type BaseOptions,
  type ParamGroup,
  type ParamState,
  type ParamsInput,
  Optimizer,
  stateTensor,
} from './optimizer';
import { checkGroupOptions } from './group_options';

export interface AdagradOptions extends BaseOptions {
  lr: number;
  lrDecay: number;
  weightDecay: number;
  /** The starting value of every element's sum of squared gradients. */
  initialAccumulatorValue: number;
  eps: number;
  maximize: boolean;
}

/** Adagrad (Duchi et al.): per-element steps scaled by the root of the summed squared gradients. */
export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(params: ParamsInput<AdagradOptions>, opts: Partial<AdagradOptions> = {}) {
    const options = checkOptions('Adagrad', opts);
    super(
      'Adagrad',
      params,
      {
        lr: options.lr ?? 1e-2,
        lrDecay: options.lrDecay ?? 0,
        weightDecay: options.weightDecay ?? 0,
        initialAccumulatorValue: options.initialAccumulatorValue ?? 0,
        eps: options.eps ?? 1e-10,
        maximize: options.maximize ?? false,
      },
      options,
    );
  }

  protected override checkGroup(g: ParamGroup<AdagradOptions>): void {
    checkGroupOptions(this.opName, g, {
      lr: 0,
      lrDecay: 0,
      weightDecay: 0,
      initialAccumulatorValue: 0,
      eps: 0,
      maximize: 'bool',
    });
  }

  protected override update(): void {
    for (const group of this.paramGroups) {
      const init = (p: Tensor): ParamState => ({
        step: 0,
        sum: full(p.shape, group.initialAccumulatorValue, { dtype: p.dtype, device: p.device }),
      });
      fusedGroupStep(
        `${this.opName}.step`,
        group.params,
        (p) => this.stateFor(p, () => init(p)),
        (r) => String(r.step),
        (rows) =>
          launchAdagrad(
            rows.map((r) => r.work),
            rows.map((r) => r.grad),
            rows.map((r) => stateTensor(r.s, 'sum')),
            {
              clr: group.lr / (1 + (rows[0].step - 1) * group.lrDecay),
              eps: group.eps,
              weightDecay: group.weightDecay,
              maximize: group.maximize,
            },
          ),
      );
    }
  }
}
