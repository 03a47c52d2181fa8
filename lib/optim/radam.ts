// RAdam (torch.optim.RAdam of PyTorch 1.13): Adam whose adaptive step is
// switched on once the variance of the adaptive learning rate is tractable
// (rho_t > 5) and rectified by it. rho_t, the rectification and the bias
// corrections are computed here in double and folded into one step size;
// the update is one fused native call per bucket (params sharing dtype,
// device and step).
import { launchRadam } from '../kernels/fused';
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

export interface RAdamOptions extends BaseOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
}

/** RAdam (Liu et al., 2019). PyTorch 1.13 has no maximize for it, nor does this. */
export class RAdam extends Optimizer<RAdamOptions> {
  constructor(params: ParamsInput<RAdamOptions>, opts: Partial<RAdamOptions> = {}) {
    const options = checkOptions('RAdam', opts);
    super(
      'RAdam',
      params,
      {
        lr: options.lr ?? 1e-3,
        betas: betasOption(options.betas),
        eps: options.eps ?? 1e-8,
        weightDecay: options.weightDecay ?? 0,
      },
      options,
    );
  }

  protected override checkGroup(g: ParamGroup<RAdamOptions>): void {
    checkGroupOptions(this.opName, g, { lr: 0, betas: 'betas', eps: 0, weightDecay: 0 });
  }

  protected override update(): void {
    for (const group of this.paramGroups) {
      const [beta1, beta2] = group.betas;
      const init = (p: Tensor): ParamState => ({ step: 0, expAvg: zerosFor(p), expAvgSq: zerosFor(p) });
      fusedGroupStep(
        `${this.opName}.step`,
        group.params,
        (p) => this.stateFor(p, () => init(p)),
        (r) => String(r.step),
        (rows) => {
          const step = rows[0].step;
          const bc1 = 1 - beta1 ** step;
          const bc2 = 1 - beta2 ** step;
          const rhoInf = 2 / (1 - beta2) - 1;
          const rhoT = rhoInf - (2 * step * beta2 ** step) / bc2;
          const rectified = rhoT > 5;
          const rect = rectified
            ? Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT))
            : 0;
          launchRadam(
            rows.map((r) => r.work),
            rows.map((r) => r.grad),
            rows.map((r) => stateTensor(r.s, 'expAvg')),
            rows.map((r) => stateTensor(r.s, 'expAvgSq')),
            {
              beta1,
              beta2,
              eps: group.eps,
              weightDecay: group.weightDecay,
              stepSize: rectified ? (group.lr * rect * Math.sqrt(bc2)) / bc1 : group.lr / bc1,
              rectified,
            },
          );
        },
      );
    }
  }
}
