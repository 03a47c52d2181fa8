// `nodetorch info` and `nodetorch --version`: what was loaded and how it runs.

import { info, type Info } from '../runtime';
import { cudaLibraries, type CudaLibraries } from '../cuda_libraries';
import { parseArgs, type OptionSpec, formatOptions, UsageError } from './args';

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
function formatInfo(i: Info): string {
  const rows: [string, string][] = [
    ['nodetorch', i.version],
    ['node', `${i.node} (N-API ${i.napi})`],
    ['binary', `${i.binary.path} (${i.binary.package ? `package ${i.binary.package}` : i.binary.kind})`],
    ['compiler', i.compiler ?? 'unknown'],
    ['GEMM', `${i.gemm}: ${i.gemmDetail}`],
    ['CPU features', i.cpuFeatures.join(' ') || 'none detected'],
    ['threads', `${i.threads} of ${i.hardwareThreads} hardware threads`],
    [
      'CUDA',
      i.cuda.available
        ? `available, ${i.cuda.deviceCount} device(s)`
        : `${i.cuda.compiled ? 'compiled, ' : 'not compiled'}${i.cuda.compiled ? 'unavailable' : ''}${i.cuda.reason ? ` (${i.cuda.reason})` : ''}`,
    ],
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

const INFO_USAGE = `Usage: nodetorch info [--json]

Shows the loaded native binary, GEMM backend, CPU features, threads and CUDA status.

Options:
${formatOptions(INFO_OPTIONS)}`;

/** Where the CUDA libraries were found or looked for, and the driver floor (CUDA builds). */
export function formatCudaLibraries(l: CudaLibraries): string {
  if (!l.compiled) return '';
  // Found: its path; not found: the first line of the error (the folders follow below).
  const lib = (name: string, x: CudaLibraries['cublas']) =>
    `${name}: ${x?.path ? x.path : `not found${x?.error ? ` (${x.error.split('\n')[0].replace(/; tried:$/, '')})` : ''}`}`;
  const lines = [
    'CUDA driver floor: R580 (the CUDA 13 runtime is linked in statically)',
    lib('cuBLAS', l.cublas),
    lib('cuDNN', l.cudnn),
    'CUDA library folders, in search order:',
    ...(l.searched ?? []).map((d) => `  ${d.dir} (${d.source})`),
    `site-packages examined: ${(l.sitePackages ?? []).join(' ') || 'none'}`,
    `python: ${l.python ?? ''}`,
  ];
  return lines.join('\n');
}

/** Runs `nodetorch info`; returns the text for stdout. */
export function runInfo(argv: readonly string[]): string {
  const { values, positionals } = parseArgs('nodetorch info', argv, INFO_OPTIONS);
  if (values.get('help')) return INFO_USAGE;
  if (positionals.length)
    throw new UsageError('nodetorch info', `no positional arguments expected, got '${positionals[0]}'`);
  const i = info();
  const libs = i.cuda.compiled ? cudaLibraries() : null;
  if (values.get('json')) return JSON.stringify(libs ? { ...i, cudaLibraries: libs } : i, null, 2);
  return libs ? `${formatInfo(i)}\n\n${formatCudaLibraries(libs)}` : formatInfo(i);
}
