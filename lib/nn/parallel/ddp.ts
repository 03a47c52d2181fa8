// nn.parallel.DistributedDataParallel: data parallelism as PyTorch's DDP.
// Every rank holds a replica (parameters and buffers broadcast from rank 0
// at construction) and runs forward/backward on its own shard of the batch;
// gradients are averaged across ranks in buckets (reverse parameter order,
// a 1 MiB first bucket then bucketCapMb, per dtype: bucket_assignment.ts).
// Each bucket's all-reduce starts from a post-accumulate-grad hook as soon
// as its last gradient is accumulated (and the buckets before it started),
// so it overlaps the rest of backward;
// the hook of the last gradient waits for all of them and writes the
// averages back into `.grad`, so the gradients are synced when
// `loss.backward()` returns (as torch waits at the end of backward) and the
// user's loop (`optimizer.step()` next) is unchanged.
import { ArgumentError } from '../../errors';
import { cat } from '../../ops/join';
import { isGradEnabled, noGrad } from '../../ops/grad_mode';
import { keep } from '../../tensor/scope';
import { Tensor } from '../../tensor/tensor';
import { zeros } from '../../tensor/creation';
import { checkBool, checkOptions, showValue } from '../../validate';
import type { RemovableHandle } from '../../autograd/hooks';
import * as dist from '../../distributed';
import { Module } from '../module';
import { DEFAULT_FIRST_BUCKET_BYTES, computeBucketAssignmentBySize } from './bucket_assignment';
import '../../ops/tensor_methods'; // this module calls Tensor methods
import '../../autograd/tensor_methods'; // registerPostAccumulateGradHook

const MIB = 1024 * 1024;

function checkMb(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v) || Math.round(v * MIB) < 1)
    throw new ArgumentError(op, `${name} a positive number of MiB (at least one byte), got ${showValue(v)}`);
  return v;
}

/**
 * The collectives DDP uses, in place on contiguous tensors. Collectives run
 * in the order they are started, on every rank (nt.distributed's
 * communication thread does so); the default is nt.distributed's group.
 */
export interface DdpProcessGroup {
  getRank(): number;
  getWorldSize(): number;
  /** Copies rank `src`'s values into `tensor` on every rank; returns when done. */
  broadcast(tensor: Tensor, src: number): void;
  /** Starts averaging `tensor` over the ranks, in place, and returns at once. */
  allReduceStart(tensor: Tensor): void;
  /** Averages `tensor` in place; returns once it and every collective started before it have run. */
  allReduceSync(tensor: Tensor): void;
}

export interface DistributedDataParallelOptions {
  /** The collectives (default: nt.distributed, after initProcessGroup). */
  processGroup?: DdpProcessGroup;
  /** Cap of each bucket after the first one, in MiB (default 25). */
  bucketCapMb?: number;
  /** Cap of the first bucket, in MiB (default 1: torch's dist._DEFAULT_FIRST_BUCKET_BYTES). */
  firstBucketMb?: number;
  /** Broadcast the buffers (BatchNorm statistics) from rank 0 before each training forward (default true). */
  broadcastBuffers?: boolean;
  /**
   * Walk each forward's graph for parameters it does not use, and reduce
   * zeros for them (default false: every parameter must get a gradient).
   */
  findUnusedParameters?: boolean;
}

interface Bucket {
  /** Parameter indices, in gradient-ready order. */
  params: number[];
  pending: number;
  flat: Tensor | null;
}

export class DistributedDataParallel<M extends Module> extends Module {
  /** The wrapped module: its names get the `module.` prefix, as in torch. */
  readonly module: M;
  readonly bucketCapMb: number;
  readonly broadcastBuffers: boolean;
  readonly findUnusedParameters: boolean;
  readonly #pg: DdpProcessGroup;
  readonly #params: Tensor[];
  readonly #buckets: Bucket[];
  /** Parameter index -> its bucket. */
  readonly #bucketOf: number[];
  readonly #ready: boolean[];
  readonly #hooks: RemovableHandle[] = [];
  #readyCount = 0;
  /** The first bucket not started yet in this iteration. */
  #nextBucket = 0;
  #sync = true;

  constructor(module: M, options: DistributedDataParallelOptions = {}) {
    super();
    const op = 'DistributedDataParallel';
    if (!(module instanceof Module)) throw new ArgumentError(op, `an nn.Module to wrap, got ${showValue(module)}`);
    const o = checkOptions(op, options, [
      'processGroup',
      'bucketCapMb',
      'firstBucketMb',
      'broadcastBuffers',
      'findUnusedParameters',
    ]);
    const pg = (o.processGroup ?? distributedGroup(op)) as Partial<DdpProcessGroup> | undefined;
    if (
      typeof pg !== 'object' ||
      pg === null ||
      typeof pg.broadcast !== 'function' ||
      typeof pg.allReduceStart !== 'function' ||
      typeof pg.allReduceSync !== 'function' ||
      typeof pg.getRank !== 'function' ||
      typeof pg.getWorldSize !== 'function'
    )
      throw new ArgumentError(
        op,
        `processGroup with getRank, getWorldSize, broadcast, allReduceStart and allReduceSync, got ${showValue(pg)}`,
      );
    const cap = checkMb(op, 'bucketCapMb', o.bucketCapMb ?? 25);
    const first = checkMb(op, 'firstBucketMb', o.firstBucketMb ?? DEFAULT_FIRST_BUCKET_BYTES / MIB);
    this.module = module;
    this.bucketCapMb = cap;
    this.broadcastBuffers = checkBool(op, 'broadcastBuffers', o.broadcastBuffers ?? true);
    this.findUnusedParameters = checkBool(op, 'findUnusedParameters', o.findUnusedParameters ?? false);
    this.#pg = pg as DdpProcessGroup;

    const all = module.parameters();
    for (const t of [...all, ...module.buffers()]) {
      if (!t.isContiguous())
        throw new ArgumentError(op, `contiguous parameters and buffers, got one of shape [${t.shape.join(', ')}]`);
    }
    noGrad(() => {
      for (const t of [...all, ...module.buffers()]) this.#pg.broadcast(t, 0);
    });

    this.#params = all.filter((p) => p.requiresGrad);
    const n = this.#params.length;
    const reversed = this.#params.map((_, i) => n - 1 - i);
    const { buckets } = computeBucketAssignmentBySize(
      reversed.map((i) => this.#params[i]),
      [Math.round(first * MIB), Math.round(cap * MIB)],
      reversed,
    );
    this.#buckets = buckets.map((params) => ({ params, pending: params.length, flat: null }));
    this.#bucketOf = new Array<number>(n);
    this.#buckets.forEach((b, k) => {
      for (const i of b.params) this.#bucketOf[i] = k;
    });
    this.#ready = new Array<boolean>(n).fill(false);
    this.#params.forEach((p, i) => {
      this.#hooks.push(p.registerPostAccumulateGradHook(() => this.#markReady(i)));
    });
  }

  /** The bucket layout: each bucket's parameter indices (into parameters()), in reduction order. */
  get bucketIndices(): number[][] {
    return this.#buckets.map((b) => [...b.params]);
  }

  /** Runs the wrapped module's forward (and, when training, first syncs the buffers from rank 0). */
  forward(...args: Parameters<M['forward']>): ReturnType<M['forward']> {
    if (this.#readyCount > 0 && this.#sync && isGradEnabled()) {
      throw new ArgumentError(
        'DistributedDataParallel.forward',
        `the previous iteration's gradient reduction finished, got ${this.#readyCount} of ${this.#params.length} gradients ready: some parameters got no gradient; pass findUnusedParameters: true, or call finishGradSync() after backward`,
      );
    }
    if (this.training && this.broadcastBuffers) {
      const bufs = this.module.buffers();
      if (bufs.length > 0) noGrad(() => bufs.forEach((b) => this.#pg.broadcast(b, 0)));
    }
    const out = (this.module.forward as (...a: unknown[]) => ReturnType<M['forward']>)(...args);
    if (this.findUnusedParameters && this.#sync && isGradEnabled()) this.#markUnused(out);
    return out;
  }

  /**
   * Runs fn (sync or async) with gradient reduction off: backward passes
   * inside only accumulate into `.grad`; the first backward after it
   * reduces the accumulated sums (gradient accumulation).
   */
  noSync<T>(fn: () => T): T {
    if (typeof fn !== 'function')
      throw new ArgumentError('DistributedDataParallel.noSync', `a function, got ${showValue(fn)}`);
    const prev = this.#sync;
    this.#sync = false;
    let result: T;
    try {
      result = fn();
    } catch (e) {
      this.#sync = prev;
      throw e;
    }
    if (result instanceof Promise)
      return result.finally(() => {
        this.#sync = prev;
      }) as T;
    this.#sync = prev;
    return result;
  }

  /**
   * Reduces every bucket not reduced yet and waits for all of them. Backward
   * does this by itself when every parameter got a gradient; call it after a
   * backward that left some without one (or use findUnusedParameters).
   */
  finishGradSync(): void {
    for (let i = 0; i < this.#params.length; ++i) if (!this.#ready[i]) this.#markReady(i, true);
  }

  /** Removes the gradient hooks (the module keeps working, without reduction). */
  removeHooks(): void {
    for (const h of this.#hooks.splice(0)) h.remove();
  }

  override extraRepr(): string {
    return `bucketCapMb=${this.bucketCapMb}, buckets=${this.#buckets.length}`;
  }

  #markReady(i: number, force = false): void {
    if (!this.#sync && !force) return;
    if (this.#ready[i]) {
      throw new ArgumentError(
        'DistributedDataParallel',
        `each parameter's gradient accumulated once per backward, got parameter ${i} twice (a second backward before optimizer.step? use noSync())`,
      );
    }
    this.#ready[i] = true;
    this.#readyCount += 1;
    // Buckets start in bucket order, as torch's reducer does, so every rank issues the same sequence.
    if (--this.#buckets[this.#bucketOf[i]].pending === 0) {
      while (this.#nextBucket < this.#buckets.length && this.#buckets[this.#nextBucket].pending === 0)
        this.#launch(this.#buckets[this.#nextBucket++]);
    }
    if (this.#readyCount === this.#params.length) this.#finish();
  }

  /** Flattens the bucket's gradients (zeros for a parameter without one) and starts their average. */
  #launch(b: Bucket): void {
    noGrad(() => {
      const parts = b.params.map((i) => {
        const p = this.#params[i];
        const g = p.grad && !p.grad.isDisposed ? p.grad : zeros(p.shape, { dtype: p.dtype, device: p.device });
        return g.reshape([-1]);
      });
      b.flat = keep(parts.length === 1 ? parts[0].clone() : cat(parts));
      for (const t of parts) t.dispose();
    });
    // The last bucket starts last (buckets start in order): its blocking
    // average returns once every earlier one has run, so nothing is awaited.
    if (b === this.#buckets[this.#buckets.length - 1]) this.#pg.allReduceSync(b.flat as Tensor);
    else this.#pg.allReduceStart(b.flat as Tensor);
  }

  /** Writes the averages back into `.grad` (all buckets have run: see #launch). */
  #finish(): void {
    noGrad(() => {
      for (const b of this.#buckets) {
        const flat = b.flat as Tensor;
        let off = 0;
        for (const i of b.params) {
          const p = this.#params[i];
          const v = flat.narrow(0, off, p.numel).reshape(p.shape);
          off += p.numel;
          if (p.grad && !p.grad.isDisposed) {
            p.grad.copy_(v);
            v.dispose();
          } else {
            p.grad = keep(v.clone());
            v.dispose();
          }
        }
        flat.dispose();
        b.flat = null;
        b.pending = b.params.length;
      }
    });
    this.#ready.fill(false);
    this.#readyCount = 0;
    this.#nextBucket = 0;
  }

  /** Marks the parameters the graph of `out` does not reach as ready (findUnusedParameters). */
  #markUnused(out: unknown): void {
    const reached = new Set<Tensor>();
    const seen = new Set<unknown>();
    const stack: unknown[] = [out];
    while (stack.length > 0) {
      const v = stack.pop();
      if (v === null || typeof v !== 'object' || seen.has(v)) continue;
      seen.add(v);
      if (v instanceof Tensor) {
        if (v.gradFn) stack.push(...v.gradFn.inputs);
        else reached.add(v);
      } else if (Array.isArray(v)) stack.push(...v);
      else if (Object.getPrototypeOf(v) === Object.prototype) stack.push(...Object.values(v));
    }
    this.#params.forEach((p, i) => {
      if (!reached.has(p) && !this.#ready[i]) this.#markReady(i);
    });
  }
}

/** nt.distributed's group as DDP's (an ArgumentError before initProcessGroup). */
function distributedGroup(op: string): DdpProcessGroup {
  if (!dist.isInitialized()) {
    throw new ArgumentError(
      op,
      'an initialized process group (nt.distributed.initProcessGroup({ backend: "mpi" }), or "nccl" for a CUDA model, first) or a processGroup option, got neither',
    );
  }
  return {
    getRank: dist.getRank,
    getWorldSize: dist.getWorldSize,
    broadcast: (t, src) => dist.broadcast(t, src),
    allReduceStart: (t) => {
      // Its failure (a peer died) also fails the blocking last bucket, which throws it.
      dist.allReduce(t, { op: 'avg', asyncOp: true }).then(undefined, () => undefined);
    },
    allReduceSync: (t) => dist.allReduce(t, { op: 'avg' }),
  };
}
