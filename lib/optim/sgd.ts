// SGD with momentum, dampening, Nesterov, weight decay and maximize, with
// PyTorch's semantics (torch.optim.SGD): the momentum buffer starts as the
// first (decayed) gradient. One fused native call per bucket of a group.
import { ArgumentError } from '../errors';
import { zeros } from '../tensor/creation';
import type { Tensor } from '../tensor/tensor';
import { checkObject } from '../validate';
import { bucketBy, prepareParams } from './buckets';
import { launchSgd } from '../kernels/fused';
import { type BaseOptions, type ParamGroup, type ParamsInput, Optimizer, stateTensor } from './optimizer';
import { checkGroupOptions } from './group_options';

export interface SGDOptions extends BaseOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

export class SGD extends Optimizer<SGDOptions> {
  constructor(params: ParamsInput<SGDOptions>, opts: Partial<SGDOptions> & { lr: number }) {
    // lr has no default (as PyTorch): a missing options object is refused like a missing lr.
    const options = checkObject('SGD', 'options', opts) as Partial<SGDOptions>;
    super(
      'SGD',
      params,
      {
        lr: options.lr as number, // checked in checkGroup
        momentum: options.momentum ?? 0,
        dampening: options.dampening ?? 0,
        weightDecay: options.weightDecay ?? 0,
        nesterov: options.nesterov ?? false,
        maximize: options.maximize ?? false,
      },
      options,
    );
  }

  protected override checkGroup(g: ParamGroup<SGDOptions>): void {
    checkGroupOptions('SGD', g, {
      lr: 0,
      momentum: 0,
      dampening: -Infinity,
      weightDecay: 0,
      nesterov: 'bool',
      maximize: 'bool',
    });
    if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0)) {
      throw new ArgumentError(
        'SGD',
        `nesterov momentum needs momentum > 0 and dampening 0, got momentum ${g.momentum} and dampening ${g.dampening}`,
      );
    }
  }

  protected override update(): void {
    for (const group of this.paramGroups) {
      const prep = prepareParams('SGD.step', group.params);
      try {
        const withMomentum = group.momentum !== 0;
        // Plain rows built in a loop, not spread copies: this runs every step.
        const rows: SgdRow[] = [];
        for (const it of prep.items) {
          let first = false;
          let buf: Tensor | null = null;
          if (withMomentum) {
            const s = this.stateFor(it.param, () => {
              first = true;
              return { momentumBuffer: zeros(it.param.shape, { dtype: it.param.dtype, device: it.param.device }) };
            });
            buf = stateTensor(s, 'momentumBuffer');
          }
          rows.push({ work: it.work, grad: it.grad, buf, first });
        }
        for (const b of bucketBy(rows, sameSgdBucket)) {
          // The kernel follows current PyTorch: negate the gradient (maximize), then decay.
          launchSgd(
            b.map((r) => r.work),
            b.map((r) => r.grad),
            withMomentum ? b.map((r) => r.buf as Tensor) : null,
            {
              lr: group.lr,
              momentum: group.momentum,
              dampening: group.dampening,
              weightDecay: group.weightDecay,
              nesterov: group.nesterov,
              firstStep: b[0].first,
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

interface SgdRow {
  work: Tensor;
  grad: Tensor;
  buf: Tensor | null;
  first: boolean;
}

/** Rows one native call can take: same dtype and device, and the same first-step flag. */
function sameSgdBucket(a: SgdRow, b: SgdRow): boolean {
  return a.work.dtype === b.work.dtype && a.work.device === b.work.device && a.first === b.first;
}
