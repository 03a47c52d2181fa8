// Adam and AdamW (torch.optim.Adam / AdamW semantics, amsgrad and maximize
// included). The bias corrections 1 - beta^step are computed here on the
// host; the per-element update is one fused native call per bucket of a
// group (params sharing dtype, device and step count).
import { ArgumentError } from '../errors';
import { zeros } from '../tensor/creation';
import { keep } from '../tensor/scope';
import type { Tensor } from '../tensor/tensor';
import { checkBool, checkObject, checkOptions, checkRange, showValue } from '../validate';
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
        // Copied only when it is a pair; anything else reaches checkGroup as given and is refused there.
        betas:
          Array.isArray(options.betas) && options.betas.length === 2
            ? [options.betas[0], options.betas[1]]
            : (options.betas ?? [0.9, 0.999]),
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
    const op = this.opName;
    checkObject(op, 'param group', g);
    checkRange(op, 'lr', g.lr, 0);
    if (!Array.isArray(g.betas) || g.betas.length !== 2)
      throw new ArgumentError(
        op,
        `betas [beta1, beta2], got ${Array.isArray(g.betas) ? `${g.betas.length} values` : showValue(g.betas)}`,
      );
    checkRange(op, 'betas[0]', g.betas[0], 0, 1);
    checkRange(op, 'betas[1]', g.betas[1], 0, 1);
    checkRange(op, 'eps', g.eps, 0);
    checkRange(op, 'weightDecay', g.weightDecay, 0);
    checkBool(op, 'amsgrad', g.amsgrad);
    checkBool(op, 'maximize', g.maximize);
  }

  protected override update(): void {
    for (const group of this.paramGroups) {
      const prep = prepareParams(`${this.opName}.step`, group.params);
      try {
        const rows = prep.items.map((it) => {
          const s = this.stateFor(it.param, () => initState(it.param, group.amsgrad));
          if (group.amsgrad && s.maxExpAvgSq === undefined) s.maxExpAvgSq = keep(zerosFor(it.param));
          s.step = (s.step as number) + 1;
          return { ...it, s, step: s.step };
        });
        const [beta1, beta2] = group.betas;
        for (const b of bucketBy(rows, (r) => `${r.work.dtype}|${r.work.device}|${r.step}`)) {
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
