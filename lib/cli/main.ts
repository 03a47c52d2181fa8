#!/usr/bin/env node
// The `nodetorch` command: dispatches to train / generate / info, maps errors to exit
// codes (2: bad usage, 1: the work failed) and prints them without a stack
// trace for errors that are the user's to fix. Library code below never calls
// process.exit; only the last lines of this file touch the process.

// Only modules that do not load the native addon are imported up front:
// --help and --version must work (and errors must be reported) without it.
import { NodetorchError } from '../errors';
import { UsageError } from './args';
import type { CliIO } from './io';
import { packageVersion } from './version';

export type { CliIO };

export const processIO: CliIO = {
  out: (text) => void process.stdout.write(`${text}\n`),
  err: (text) => void process.stderr.write(`${text}\n`),
  progressStream: process.stderr,
};

export const USAGE = `Usage: nodetorch <command> [options]

Commands:
  train      train an MLP or CNN on MNIST (or Fashion-MNIST), or with --model gpt a GPT on text
  generate   continue a prompt with a GPT checkpoint of 'train --model gpt'
  info       show the native backend: binary, GEMM, CPU features, threads, CUDA
  run        start N processes of a script under mpirun (nt.distributed)
  build-from-source  compile the CPU addon with node-gyp (where no platform package fits)

Options:
  -h, --help     show this help ('nodetorch <command> --help' for a command)
  -v, --version  print the version

Examples:
  nodetorch train --epochs 3 --plot curves.svg
  nodetorch train --model gpt --iters 500 --checkpoint gpt.safetensors
  nodetorch generate --checkpoint gpt.safetensors --prompt "Call me"
  nodetorch info --json
  nodetorch run -n 2 train.js`;

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  try {
    const [cmd, ...rest] = argv;
    switch (cmd) {
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.out(USAGE);
        return 0;
      case '-v':
      case '--version':
        io.out(packageVersion());
        return 0;
      case 'info': {
        const { runInfo } = await import('./info');
        io.out(runInfo(rest));
        return 0;
      }
      case 'build-from-source': {
        const { runBuildFromSource } = await import('./build_from_source');
        return runBuildFromSource(rest, io);
      }
      case 'train': {
        const { runTrainCommand } = await import('./train');
        return await runTrainCommand(rest, io);
      }
      case 'generate': {
        const { runGenerateCommand } = await import('./generate');
        return await runGenerateCommand(rest, io);
      }
      case 'run': {
        const { runRunCommand } = await import('./run');
        return await runRunCommand(rest, io);
      }
      default:
        throw new UsageError(
          'nodetorch',
          `a command (train, generate, info, run, build-from-source), got '${cmd}'; see 'nodetorch --help'`,
        );
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`error: ${e.message}`);
      return e.exitCode;
    }
    // Our own errors explain themselves; anything else is a bug worth a stack.
    io.err(
      e instanceof NodetorchError
        ? `error: ${e.message}`
        : `error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
    );
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
