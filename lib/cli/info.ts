// `nodetorch info` and `nodetorch --version`: what was loaded and how it runs.

import { info, Info } from '../runtime';
import { parseArgs, OptionSpec, formatOptions, UsageError } from './args';

/** The parts of nt.info() worth recording next to a benchmark or training result. */
export function backendEssentials(i: Info = info()): Record<string, unknown> {
  return {
    version: i.version,
    node: i.node,
    gemm: i.gemm,
    threads: i.threads,
    hardwareThreads: i.hardwareThreads,
    cpuFeatures: i.cpuFeatures,
    cuda: i.cuda.available,
    binary: i.binary.kind,
  };
}

/** nt.info() for people: one `key: value` line each. */
export function formatInfo(i: Info): string {
  const rows: [string, string][] = [
    ['nodetorch', i.version],
    ['node', `${i.node} (N-API ${i.napi})`],
    ['binary', `${i.binary.path} (${i.binary.kind})`],
    ['compiler', i.compiler ?? 'unknown'],
    ['GEMM', `${i.gemm}: ${i.gemmDetail}`],
    ['CPU features', i.cpuFeatures.join(' ') || 'none detected'],
    ['threads', `${i.threads} of ${i.hardwareThreads} hardware threads`],
    ['CUDA', i.cuda.available ? `available, ${i.cuda.deviceCount} device(s)` : `${i.cuda.compiled ? 'compiled, ' : 'not compiled'}${i.cuda.compiled ? 'unavailable' : ''}${i.cuda.reason ? ` (${i.cuda.reason})` : ''}`],
    ['kernels', `${i.kernels.length}`],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  const lines = rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`);
  if (i.gemmNotice) lines.push('', `note: ${i.gemmNotice}`);
  return lines.join('\n');
}

const INFO_OPTIONS: readonly OptionSpec[] = [
  { name: 'json', kind: 'flag', help: 'print nt.info() as JSON' },
  { name: 'help', kind: 'flag', short: 'h', help: 'show this help' },
];

export const INFO_USAGE = `Usage: nodetorch info [--json]

Shows the loaded native binary, GEMM backend, CPU features, threads and CUDA status.

Options:
${formatOptions(INFO_OPTIONS)}`;

/** Runs `nodetorch info`; returns the text for stdout. */
export function runInfo(argv: readonly string[]): string {
  const { values, positionals } = parseArgs('nodetorch info', argv, INFO_OPTIONS);
  if (values.get('help')) return INFO_USAGE;
  if (positionals.length) throw new UsageError('nodetorch info', `no positional arguments expected, got '${positionals[0]}'`);
  const i = info();
  return values.get('json') ? JSON.stringify(i, null, 2) : formatInfo(i);
}
