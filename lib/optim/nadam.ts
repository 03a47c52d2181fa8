// NAdam (torch.optim.NAdam of PyTorch 1.13): Adam with Nesterov momentum and
// the momentum schedule mu_t = beta1 (1 - 0.5 · 0.96^(t · momentumDecay)).
// PyTorch 1.13's formula, kept for parity: mu_product_next = mu_product ·
// mu_t · mu_{t+1} after mu_product was already multiplied by mu_t (PyTorch
// 2.0 drops the second mu_t). The products and both step coefficients are
// computed here in double (1.13 keeps mu_product in a float32 tensor unless
// the default dtype is float64); the update is one fused native call per
// bucket (params sharing dtype, device, step and mu_product).
import { launchNadam } from '../kernels/fused';
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

export interface NAdamOptions extends BaseOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  momentumDecay: number;
}

/** NAdam (Dozat, 2016). PyTorch 1.13 has no maximize for it, nor does this. */
export class NAdam extends Optimizer<NAdamOptions> {
  constructor(params: ParamsInput<NAdamOptions>, opts: Partial<NAdamOptions> = {}) {
    const options = checkOptions('NAdam', opts);
    super(
      'NAdam',
      params,
      {
        lr: options.lr ?? 2e-3,
        betas: betasOption(options.betas),
        eps: options.eps ?? 1e-8,
        weightDecay: options.weightDecay ?? 0,
        momentumDecay: options.momentumDecay ?? 4e-3,
      },
      options,
    );
  }

  protected override checkGroup(g: ParamGroup<NAdamOptions>): void {
    checkGroupOptions(this.opName, g, { lr: 0, betas: 'betas', eps: 0, weightDecay: 0, momentumDecay: 0 });
  }

  protected override update(): void {
    for (const group of this.paramGroups) {
      const [beta1, beta2] = group.betas;
      const md = group.momentumDecay;
      const init = (p: Tensor): ParamState => ({ step: 0, muProduct: 1, expAvg: zerosFor(p), expAvgSq: zerosFor(p) });
      const muAt = (t: number): number => beta1 * (1 - 0.5 * 0.96 ** (t * md));
      fusedGroupStep(
        `${this.opName}.step`,
        group.params,
        (p) => {
          const s = this.stateFor(p, () => init(p));
          // mu_product advances with the step count (fusedGroupStep adds 1 after this).
          s.muProduct = (s.muProduct as number) * muAt((s.step as number) + 1);
          return s;
        },
        (r) => `${r.step}|${r.s.muProduct as number}`,
        (rows) => {
          const step = rows[0].step;
          const mu = muAt(step);
          const muNext = muAt(step + 1);
          const muProduct = rows[0].s.muProduct as number;
          const muProductNext = muProduct * mu * muNext; // PyTorch 1.13 (see the file comment)
          launchNadam(
            rows.map((r) => r.work),
            rows.map((r) => r.grad),
            rows.map((r) => stateTensor(r.s, 'expAvg')),
            rows.map((r) => stateTensor(r.s, 'expAvgSq')),
            {
              beta1,
              beta2,
              eps: group.eps,
              weightDecay: group.weightDecay,
              bc2: 1 - beta2 ** step,
              gradCoeff: (group.lr * (1 - mu)) / (1 - muProduct),
              avgCoeff: (group.lr * muNext) / (1 - muProductNext),
            },
          );
        },
      );
    }
  }
}
