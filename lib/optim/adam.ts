import { zeros } from '../tensor/creation';
import { keep } from '../tensor/scope';
import type { Tensor } from '../tensor/tensor';
import { checkOptions } from '../validate';
import { bucketBy, prepareParams } from './buckets';
import { launchAdam } from '../kernels/fused';
import {
  type BaseOptions,
  type ParamGroup,
  type ParamState,
  type ParamsInput,
  Optimizer,
  stateTensor,
} from './optimizer';
import { betasOption, checkGroupOptions } from './group_options';

export interface AdamOptions extends BaseOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

abstract class AdamBase extends Optimizer<AdamOptions> {
  /** AdamW: weight decay scales the parameter instead of adding to the gradient. */
  private readonly decoupled: boolean;

  protected constructor(
    name: string,
    params: ParamsInput<AdamOptions>,
    opts: Partial<AdamOptions>,
    weightDecay: number,
    decoupled: boolean,
  ) {
    const options = checkOptions(name, opts);
    super(
      name,
      params,
      {
        lr: options.lr ?? 1e-3,
        betas: betasOption(options.betas),
        eps: options.eps ?? 1e-8,
        weightDecay: options.weightDecay ?? weightDecay,
        amsgrad: options.amsgrad ?? false,
        maximize: options.maximize ?? false,
      },
      options,
    );
    this.decoupled = decoupled;
  }

  protected override checkGroup(g: ParamGroup<AdamOptions>): void {
    checkGroupOptions(this.opName, g, {
      lr: 0,
      betas: 'betas',
      eps: 0,
      weightDecay: 0,
      amsgrad: 'bool',
      maximize: 'bool',
    });
  }

  protected override update(): void {
    for (const group of this.paramGroups) {
      const prep = prepareParams(`${this.opName}.step`, group.params);
      try {
        // Plain rows built in a loop, not spread copies: this runs every step.
        const rows: AdamRow[] = [];
        for (const it of prep.items) {
          const s = this.stateFor(it.param, () => initState(it.param, group.amsgrad));
          if (group.amsgrad && s.maxExpAvgSq === undefined) s.maxExpAvgSq = keep(zerosFor(it.param));
          s.step = (s.step as number) + 1;
          rows.push({ work: it.work, grad: it.grad, s, step: s.step });
        }
        const [beta1, beta2] = group.betas;
        for (const b of bucketBy(rows, sameAdamBucket)) {
          const step = b[0].step;
          launchAdam(
            b.map((r) => r.work),
            b.map((r) => r.grad),
            b.map((r) => stateTensor(r.s, 'expAvg')),
            b.map((r) => stateTensor(r.s, 'expAvgSq')),
            group.amsgrad ? b.map((r) => stateTensor(r.s, 'maxExpAvgSq')) : null,
            {
              lr: group.lr,
              beta1,
              beta2,
              eps: group.eps,
              weightDecay: group.weightDecay,
              bc1: 1 - beta1 ** step,
              bc2: 1 - beta2 ** step,
              decoupled: this.decoupled,
              amsgrad: group.amsgrad,
              maximize: group.maximize,
            },
          );
        }
      } finally {
        prep.finish();
      }
    }
  }
}

interface AdamRow {
  work: Tensor;
  grad: Tensor;
  s: ParamState;
  step: number;
}

/** Rows one native call can take: same dtype, device and step count (the bias corrections). */
function sameAdamBucket(a: AdamRow, b: AdamRow): boolean {
  return a.work.dtype === b.work.dtype && a.work.device === b.work.device && a.step === b.step;
}

function initState(p: Tensor, amsgrad: boolean): ParamState {
  const s: ParamState = { step: 0, expAvg: zerosFor(p), expAvgSq: zerosFor(p) };
  if (amsgrad) s.maxExpAvgSq = zerosFor(p);
  return s;
}

function zerosFor(p: Tensor): Tensor {
  return zeros(p.shape, { dtype: p.dtype, device: p.device });
}

/** Adam (Kingma & Ba), L2 weight decay added to the gradient. */
export class Adam extends AdamBase {
  constructor(params: ParamsInput<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super('Adam', params, options, 0, false);
  }
}

/** AdamW (Loshchilov & Hutter): decoupled weight decay, default 1e-2. */
export class AdamW extends AdamBase {
  constructor(params: ParamsInput<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super('AdamW', params, options, 1e-2, true);
  }
}
