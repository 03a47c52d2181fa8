// Adamax (torch.optim.Adamax of PyTorch 1.13): Adam with the infinity norm,
// weightDecay and maximize. lr / (1 - beta1^step) is computed here in double;
// the update is one fused native call per bucket (params sharing dtype,
// device and step).
import { launchAdamax } from '../kernels/fused';
import type { Tensor } from '../tensor/tensor';
import { checkOptions } from '../validate';
import { fusedGroupStep, zerosFor } from './fused_step';
import {
  type BaseOptions,
  type ParamGroup,
  type ParamState,
  type ParamsInput,
  Optimizer,
  stateTensor,
} from './optimizer';
import { betasOption, checkGroupOptions } from './group_options';

export interface AdamaxOptions extends BaseOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  maximize: boolean;
}

/** Adamax (Kingma & Ba, section 7): steps divided by an exponentially weighted max of |grad|. */
export class Adamax extends Optimizer<AdamaxOptions> {
  constructor(params: ParamsInput<AdamaxOptions>, opts: Partial<AdamaxOptions> = {}) {
    const options = checkOptions('Adamax', opts);
    super(
      'Adamax',
      params,
      {
        lr: options.lr ?? 2e-3,
        betas: betasOption(options.betas),
        eps: options.eps ?? 1e-8,
        weightDecay: options.weightDecay ?? 0,
        maximize: options.maximize ?? false,
      },
      options,
    );
  }

  protected override checkGroup(g: ParamGroup<AdamaxOptions>): void {
    checkGroupOptions(this.opName, g, { lr: 0, betas: 'betas', eps: 0, weightDecay: 0, maximize: 'bool' });
  }

  protected override update(): void {
    for (const group of this.paramGroups) {
      const [beta1, beta2] = group.betas;
      const init = (p: Tensor): ParamState => ({ step: 0, expAvg: zerosFor(p), expInf: zerosFor(p) });
      fusedGroupStep(
        `${this.opName}.step`,
        group.params,
        (p) => this.stateFor(p, () => init(p)),
        (r) => String(r.step),
        (rows) =>
          launchAdamax(
            rows.map((r) => r.work),
            rows.map((r) => r.grad),
            rows.map((r) => stateTensor(r.s, 'expAvg')),
            rows.map((r) => stateTensor(r.s, 'expInf')),
            {
              beta1,
              beta2,
              eps: group.eps,
              weightDecay: group.weightDecay,
              clr: group.lr / (1 - beta1 ** rows[0].step),
              maximize: group.maximize,
            },
          ),
      );
    }
  }
}
