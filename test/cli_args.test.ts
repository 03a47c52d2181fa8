// The CLI's option parsing: values, defaults, and usage errors that carry
// exit code 2 instead of exiting the process.
import { parseArgs, UsageError, type OptionSpec } from '../lib/cli/args';
import { DEFAULT_LR, DEFAULTS, parseTrainArgs, TRAIN_USAGE, type TrainConfig } from '../lib/cli/train_options';
import { main, type CliIO } from '../lib/cli/main';

function train(argv: string[]): TrainConfig {
  const c = parseTrainArgs(argv);
  if (c === 'help') throw new Error('unexpected help');
  return c;
}

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return e as UsageError;
  }
  throw new Error('expected a UsageError');
}

function captureIO(): CliIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    out: (t) => void stdout.push(t),
    err: (t) => void stderr.push(t),
    progressStream: process.stderr,
  };
}

describe('parseArgs', () => {
  const specs: OptionSpec[] = [
    { name: 'lr', kind: 'number', above: 0, help: '' },
    { name: 'n', kind: 'int', min: 1, help: '' },
    { name: 'mode', kind: 'choice', choices: ['a', 'b'], help: '' },
    { name: 'verbose', kind: 'flag', short: 'v', help: '' },
    { name: 'name', kind: 'string', help: '' },
  ];

  test('accepts --k v, --k=v, short flags, positionals and --', () => {
    const r = parseArgs('t', ['--lr', '0.5', '--n=3', '-v', 'pos', '--mode', 'B', '--', '--lr'], specs);
    expect(r.values.get('lr')).toBe(0.5);
    expect(r.values.get('n')).toBe(3);
    expect(r.values.get('verbose')).toBe(true);
    expect(r.values.get('mode')).toBe('b');
    expect(r.positionals).toEqual(['pos', '--lr']);
  });

  test('accepts exponent notation and negative-looking values for strings', () => {
    expect(parseArgs('t', ['--lr', '1e-3'], specs).values.get('lr')).toBe(0.001);
    expect(parseArgs('t', ['--name', '-'], specs).values.get('name')).toBe('-');
  });

  test.each([
    [['--bogus'], /unknown option --bogus/],
    [['--lrr', '1'], /did you mean --lr\?/],
    [['-x'], /unknown option -x/],
    [['--lr'], /--lr expects a number > 0, got nothing/],
    [['--lr', '--n', '2'], /--lr expects a number > 0, got nothing/],
    [['--lr', '0'], /--lr expects a number > 0, got '0'/],
    [['--lr', 'abc'], /got 'abc'/],
    [['--lr', '0x10'], /got '0x10'/],
    [['--lr', ''], /got ''/],
    [['--n', '1.5'], /--n expects an integer >= 1, got '1.5'/],
    [['--n', '0'], /got '0'/],
    [['--mode', 'c'], /--mode expects one of a, b, got 'c'/],
    [['--verbose=yes'], /takes no value/],
  ])('%j is a usage error', (argv, message) => {
    const e = usageError(() => parseArgs('t', argv, specs));
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(message);
    expect(e.message.startsWith('t: ')).toBe(true);
  });
});

describe('nodetorch train options', () => {
  test('defaults', () => {
    const c = train([]);
    expect(c.optimizer).toBe(DEFAULTS.optimizer);
    expect(c.lr).toBe(DEFAULT_LR[DEFAULTS.optimizer]);
    expect(c.batchSize).toBe(128);
    // The CNN's default batch is its own; an explicit --batch-size wins for either model.
    expect(train(['--model', 'cnn']).batchSize).toBe(64);
    expect(train(['--model', 'cnn', '--batch-size', '128']).batchSize).toBe(128);
    expect(c.epochs).toBe(DEFAULTS.epochs);
    expect(c.momentum).toBe(0);
    expect(c.schedule).toBe('cosine');
    expect(c.dataset).toBe('mnist');
    expect(c.threads).toBeUndefined();
    expect(c.json || c.quiet).toBe(false);
  });

  test("the seed's configuration: plain SGD, lr 0.01, batch 64", () => {
    const c = train(['--optimizer', 'sgd', '--lr', '0.01', '--batch-size', '64']);
    expect(c).toMatchObject({
      optimizer: 'sgd',
      lr: 0.01,
      schedule: 'none',
      momentum: 0,
      weightDecay: 0,
      batchSize: 64,
    });
    expect(train(['--optimizer', 'sgd']).lr).toBe(0.01);
    expect(train(['--schedule', 'cosine', '--optimizer', 'sgd']).schedule).toBe('cosine');
    expect(train(['--schedule', 'none']).schedule).toBe('none');
  });

  test('every option', () => {
    const c = train([
      '--optimizer=rmsprop',
      '--lr',
      '0.002',
      '--momentum',
      '0.5',
      '--weight-decay',
      '1e-4',
      '--batch-size',
      '32',
      '--epochs',
      '2',
      '--seed',
      '7',
      '--threads',
      '2',
      '--dataset',
      'fashion-mnist',
      '--data-dir',
      '/d',
      '--checkpoint',
      'm.safetensors',
      '--plot',
      'p.svg',
      '--json',
      '-q',
      '--limit-train',
      '100',
      '--limit-test',
      '50',
    ]);
    expect(c).toMatchObject({
      optimizer: 'rmsprop',
      lr: 0.002,
      momentum: 0.5,
      weightDecay: 1e-4,
      batchSize: 32,
      epochs: 2,
      seed: 7,
      threads: 2,
      dataset: 'fashion-mnist',
      dataDir: '/d',
      checkpoint: 'm.safetensors',
      plot: 'p.svg',
      json: true,
      quiet: true,
      limitTrain: 100,
      limitTest: 50,
    });
    expect(train(['--optimizer', 'adamw']).weightDecay).toBe(0.01);
  });

  test('--help, and hidden options stay out of it', () => {
    expect(parseTrainArgs(['--lr', '1', '-h'])).toBe('help');
    expect(TRAIN_USAGE).toContain('--batch-size');
    expect(TRAIN_USAGE).not.toContain('limit-train');
  });

  test('bad values and combinations are usage errors', () => {
    expect(usageError(() => parseTrainArgs(['--optimizer', 'lbfgs'])).message).toMatch(
      /one of sgd, adam, adamw, rmsprop/,
    );
    expect(usageError(() => parseTrainArgs(['--batch-size', '0'])).message).toMatch(/--batch-size/);
    expect(usageError(() => parseTrainArgs(['--optimizer', 'adam', '--momentum', '0.9'])).message).toMatch(
      /--momentum/,
    );
    expect(usageError(() => parseTrainArgs(['extra'])).message).toMatch(/positional/);
  });
});

describe('nodetorch main', () => {
  test('an unknown option exits 2 with a clear message and no stack', async () => {
    const io = captureIO();
    expect(await main(['train', '--epoch', '3'], io)).toBe(2);
    expect(io.stderr.join('\n')).toBe(
      "error: nodetorch train: unknown option --epoch (did you mean --epochs?); see 'nodetorch train --help'",
    );
    expect(io.stdout).toEqual([]);
  });

  test('an unknown command exits 2', async () => {
    const io = captureIO();
    expect(await main(['fly'], io)).toBe(2);
    expect(io.stderr[0]).toMatch(/a command \(train, generate, info, run, build-from-source\), got 'fly'/);
  });

  test('--version, --help, train --help', async () => {
    const io = captureIO();
    expect(await main(['--version'], io)).toBe(0);
    expect(io.stdout[0]).toMatch(/^\d+\.\d+\.\d+/);
    expect(await main(['--help'], io)).toBe(0);
    expect(io.stdout[1]).toMatch(/Usage: nodetorch <command>/);
    expect(await main(['train', '--help'], io)).toBe(0);
    expect(io.stdout[2]).toBe(TRAIN_USAGE);
  });

  test('build-from-source --help compiles nothing; a stray argument exits 2', async () => {
    const io = captureIO();
    expect(await main(['build-from-source', '--help'], io)).toBe(0);
    expect(io.stdout[0]).toMatch(/Usage: nodetorch build-from-source/);
    expect(await main(['build-from-source', 'now'], io)).toBe(2);
    expect(io.stderr[0]).toMatch(/no positional arguments expected, got 'now'/);
  });

  test('info prints the backend, --json parses', async () => {
    const io = captureIO();
    expect(await main(['info'], io)).toBe(0);
    expect(io.stdout[0]).toMatch(/GEMM/);
    expect(await main(['info', '--json'], io)).toBe(0);
    const info = JSON.parse(io.stdout[1]) as { version: string; threads: number };
    expect(typeof info.version).toBe('string');
    expect(info.threads).toBeGreaterThan(0);
  });
});
