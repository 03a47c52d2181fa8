// The collectives, torch.distributed's semantics: in place on contiguous
// tensors (CPU on 'mpi', CUDA on 'nccl'), every rank calling the same
// collectives in the same order with the same shapes. On 'mpi' each one
// first runs the tensor's pending CPU kernels (see ARCHITECTURE "Where work
// runs"); on 'nccl' the collective joins the CUDA stream after them. Then the
// buffers go to the communication thread; the async form returns a Work.
import { native } from '../kernels/native';
import { ArgumentError, DTypeError, DeviceError, DisposedTensorError, ShapeError } from '../errors';
import { showValue } from '../validate';
import { cat } from '../ops/join';
import { checkTensor } from '../ops/elementwise';
import { emptyTensor } from '../tensor/tensor';
import type { Tensor } from '../tensor/tensor';
import { formatShape } from '../tensor/shape';
import { currentGroup } from './process_group';
import type { Backend } from './process_group';
import { Work } from './work';

export type ReduceOp = 'sum' | 'avg' | 'max' | 'min';

export interface CollectiveOptions {
  /** Return a Work at once instead of blocking until the collective ran. */
  asyncOp?: boolean;
}
export interface ReduceOptions extends CollectiveOptions {
  /** Default 'sum'. 'avg' takes float tensors. */
  op?: ReduceOp;
}

enum Kind {
  AllReduce = 0,
  Broadcast = 1,
  AllGather = 2,
  ReduceScatter = 3,
  Barrier = 4,
}
const OP_CODE: Record<ReduceOp, number> = { sum: 0, avg: 1, max: 2, min: 3 };

/** @internal The DeviceError of a tensor on the wrong device for `backend` (CPU for 'mpi', CUDA for 'nccl'). */
export function checkBackendDevice(op: string, backend: Backend, device: string, what: string): void {
  if (backend === 'nccl' && device !== 'cuda') {
    throw new DeviceError(
      op,
      `the nccl backend takes CUDA tensors, got ${what} on ${device}; move it with .cuda() (or use backend 'mpi' for CPU tensors)`,
    );
  }
  if (backend === 'mpi' && device !== 'cpu') {
    throw new DeviceError(
      op,
      `the mpi backend takes CPU tensors, got ${what} on ${device}; move it with .cpu() (or use backend 'nccl' for CUDA tensors)`,
    );
  }
}

function checkOperand(op: string, x: unknown, what: string): Tensor {
  const t = checkTensor(op, x, what);
  if (t._disposed) throw new DisposedTensorError(op, `${what} was disposed`);
  checkBackendDevice(op, currentGroup(op).backend, t.device, what);
  if (t.dtype === 'bool') throw new DTypeError(op, `${what}: float32, float64, int32, int64 or uint8, got bool`);
  if (!t.isContiguous()) {
    throw new ArgumentError(op, `${what} must be contiguous (shape ${formatShape(t.shape)}); call .contiguous() first`);
  }
  return t;
}

function reduceOp(op: string, v: unknown, t: Tensor): number {
  if (v === undefined) return OP_CODE.sum;
  if (typeof v !== 'string' || !(v in OP_CODE)) {
    throw new ArgumentError(op, `op 'sum', 'avg', 'max' or 'min', got ${showValue(v)}`);
  }
  if (v === 'avg' && t.dtype !== 'float32' && t.dtype !== 'float64') {
    throw new DTypeError(op, `op 'avg' takes float32 or float64 tensors, got ${t.dtype}; use 'sum' and divide`);
  }
  return OP_CODE[v as ReduceOp];
}

function readOptions(op: string, v: unknown): ReduceOptions {
  if (v === undefined) return {};
  if (typeof v === 'string') return { op: v as ReduceOp };
  if (typeof v !== 'object' || v === null)
    throw new ArgumentError(op, `options must be an object, got ${showValue(v)}`);
  return v as ReduceOptions;
}

interface Call {
  op: string;
  kind: Kind;
  reduce: number;
  root: number;
  input: Tensor | null;
  count: number;
  output: Tensor | null;
  asyncOp: boolean;
  /** Runs once the collective ran: copies out of a staging buffer, version bumps. */
  after: () => void;
}

function launch(c: Call): Work | undefined {
  const g = currentGroup(c.op);
  // Pending CPU kernels write the inputs; MPI reads raw memory. NCCL joins the CUDA stream after its writers.
  if (g.backend === 'mpi') native.synchronize(0);
  const args = [
    c.kind,
    c.reduce,
    c.root,
    c.input ? c.input._storage.handle : null,
    c.input ? c.input.offset : 0,
    c.count,
    c.output ? c.output._storage.handle : null,
    c.output ? c.output.offset : 0,
  ] as const;
  if (!c.asyncOp) {
    native.distCollective(...args, false, g.timeoutMs, g.worldSize);
    c.after();
    return undefined;
  }
  // Held until the collective ran, so the pool cannot hand the buffers to a new tensor.
  const held = [c.input, c.output].filter((t): t is Tensor => t !== null).map((t) => t._storage);
  for (const s of held) s.refs++;
  const started = native.distCollective(...args, true, g.timeoutMs, g.worldSize) as Promise<void>;
  return new Work(c.op, started, g.watchdogMs, () => {
    for (const s of held) s.release();
    c.after();
  });
}

/** Reduces `t` across ranks in place (sum by default). `allReduce(t, 'max')` or `allReduce(t, { op, asyncOp })`. */
export function allReduce(t: Tensor, options?: ReduceOp | (ReduceOptions & { asyncOp?: false })): void;
export function allReduce(t: Tensor, options: ReduceOptions & { asyncOp: true }): Work;
export function allReduce(t: Tensor, options?: ReduceOp | ReduceOptions): Work | undefined;
export function allReduce(t: Tensor, options?: ReduceOp | ReduceOptions): Work | undefined {
  const op = 'distributed.allReduce';
  const x = checkOperand(op, t, 'tensor');
  const o = readOptions(op, options);
  const reduce = reduceOp(op, o.op, x);
  return launch({
    op,
    kind: Kind.AllReduce,
    reduce,
    root: 0,
    input: x,
    count: x.numel,
    output: null,
    asyncOp: o.asyncOp === true,
    after: () => void x._version++,
  });
}

function checkRoot(op: string, src: unknown, worldSize: number): number {
  if (typeof src !== 'number' || !Number.isInteger(src) || src < 0 || src >= worldSize) {
    throw new ArgumentError(op, `src must be a rank in [0, ${worldSize}), got ${showValue(src)}`);
  }
  return src;
}

/** Copies `t` of rank `src` into `t` of every rank. */
export function broadcast(t: Tensor, src: number, options?: CollectiveOptions & { asyncOp?: false }): void;
export function broadcast(t: Tensor, src: number, options: CollectiveOptions & { asyncOp: true }): Work;
export function broadcast(t: Tensor, src: number, options?: CollectiveOptions): Work | undefined;
export function broadcast(t: Tensor, src: number, options?: CollectiveOptions): Work | undefined {
  const op = 'distributed.broadcast';
  const x = checkOperand(op, t, 'tensor');
  const root = checkRoot(op, src, currentGroup(op).worldSize);
  return launch({
    op,
    kind: Kind.Broadcast,
    reduce: 0,
    root,
    input: x,
    count: x.numel,
    output: null,
    asyncOp: readOptions(op, options).asyncOp === true,
    after: () => void x._version++,
  });
}

/**
 * Gathers `t` of every rank: into `out[r]` (a list of worldSize tensors of
 * t's size), or into one tensor of worldSize × t.numel elements, rank-major.
 */
export function allGather(out: Tensor[] | Tensor, t: Tensor, options?: CollectiveOptions & { asyncOp?: false }): void;
export function allGather(out: Tensor[] | Tensor, t: Tensor, options: CollectiveOptions & { asyncOp: true }): Work;
export function allGather(out: Tensor[] | Tensor, t: Tensor, options?: CollectiveOptions): Work | undefined;
export function allGather(out: Tensor[] | Tensor, t: Tensor, options?: CollectiveOptions): Work | undefined {
  const op = 'distributed.allGather';
  const x = checkOperand(op, t, 'tensor');
  const ws = currentGroup(op).worldSize;
  const asyncOp = readOptions(op, options).asyncOp === true;
  if (Array.isArray(out)) {
    if (out.length !== ws) throw new ArgumentError(op, `out must list ${ws} tensors (one per rank), got ${out.length}`);
    const outs = out.map((o, i) => checkTensor(op, o, `out[${i}]`));
    for (const [i, o] of outs.entries()) {
      if (o.numel !== x.numel) throw new ShapeError(op, `out[${i}] has ${o.numel} elements, the input ${x.numel}`);
      if (o.dtype !== x.dtype) throw new DTypeError(op, `out[${i}] is ${o.dtype}, the input ${x.dtype}`);
    }
    const staging = emptyTensor([ws * x.numel], x.dtype, x.device);
    return launch({
      op,
      kind: Kind.AllGather,
      reduce: 0,
      root: 0,
      input: x,
      count: x.numel,
      output: staging,
      asyncOp,
      after: () => {
        for (const [i, o] of outs.entries()) o.copy_(staging.narrow(0, i * x.numel, x.numel).view(o.shape));
        staging.dispose();
      },
    });
  }
  const o = checkOperand(op, out, 'out');
  if (o.numel !== ws * x.numel) {
    throw new ShapeError(op, `out must hold ${ws} × ${x.numel} elements, got shape ${formatShape(o.shape)}`);
  }
  if (o.dtype !== x.dtype) throw new DTypeError(op, `out is ${o.dtype}, the input ${x.dtype}`);
  return launch({
    op,
    kind: Kind.AllGather,
    reduce: 0,
    root: 0,
    input: x,
    count: x.numel,
    output: o,
    asyncOp,
    after: () => void o._version++,
  });
}

/**
 * Reduces across ranks and scatters: rank r's `out` gets the reduction of
 * every rank's chunk r. `input` is a list of worldSize tensors of out's
 * size, or one tensor of worldSize × out.numel elements, rank-major.
 */
export function reduceScatter(
  out: Tensor,
  input: Tensor[] | Tensor,
  options?: ReduceOptions & { asyncOp?: false },
): void;
export function reduceScatter(out: Tensor, input: Tensor[] | Tensor, options: ReduceOptions & { asyncOp: true }): Work;
export function reduceScatter(out: Tensor, input: Tensor[] | Tensor, options?: ReduceOptions): Work | undefined;
export function reduceScatter(out: Tensor, input: Tensor[] | Tensor, options?: ReduceOptions): Work | undefined {
  const op = 'distributed.reduceScatter';
  const o = checkOperand(op, out, 'out');
  const ws = currentGroup(op).worldSize;
  const opts = readOptions(op, options);
  const reduce = reduceOp(op, opts.op, o);
  let x: Tensor;
  let staged = false;
  if (Array.isArray(input)) {
    if (input.length !== ws)
      throw new ArgumentError(op, `input must list ${ws} tensors (one per rank), got ${input.length}`);
    const parts = input.map((p, i) => checkTensor(op, p, `input[${i}]`));
    for (const [i, p] of parts.entries()) {
      if (p.numel !== o.numel) throw new ShapeError(op, `input[${i}] has ${p.numel} elements, out ${o.numel}`);
    }
    x = cat(parts.map((p) => p.reshape(-1)));
    staged = true;
  } else {
    x = checkOperand(op, input, 'input');
    if (x.numel !== ws * o.numel) {
      throw new ShapeError(op, `input must hold ${ws} × ${o.numel} elements, got shape ${formatShape(x.shape)}`);
    }
  }
  if (x.dtype !== o.dtype) throw new DTypeError(op, `input is ${x.dtype}, out ${o.dtype}`);
  return launch({
    op,
    kind: Kind.ReduceScatter,
    reduce,
    root: 0,
    input: x,
    count: o.numel,
    output: o,
    asyncOp: opts.asyncOp === true,
    after: () => {
      o._version++;
      if (staged) x.dispose();
    },
  });
}

/** Waits until every rank reached it. */
export function barrier(options?: CollectiveOptions & { asyncOp?: false }): void;
export function barrier(options: CollectiveOptions & { asyncOp: true }): Work;
export function barrier(options?: CollectiveOptions): Work | undefined;
export function barrier(options?: CollectiveOptions): Work | undefined {
  const op = 'distributed.barrier';
  return launch({
    op,
    kind: Kind.Barrier,
    reduce: 0,
    root: 0,
    input: null,
    count: 0,
    output: null,
    asyncOp: readOptions(op, options).asyncOp === true,
    after: () => {},
  });
}
