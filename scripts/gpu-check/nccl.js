'use strict';
// gpu-check's NCCL check: nccl_rank.js in one process per GPU (RANK /
// WORLD_SIZE / LOCAL_RANK as torchrun sets them; with 2 or more GPUs rank 0
// passes NCCL's id to the others through NODETORCH_NCCL_ID_FILE). On a
// 1-GPU machine that is the 1-rank check: every collective against its
// definition, then all-reduce bandwidth against size. The self-test runs one
// rank on 'mpi' with CPU tensors instead (no NCCL there), to test the script.
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const row = (name, pass, detail = '') => ({
  name,
  kernel: 'nccl',
  pass,
  maxRel: 0,
  ratio: pass ? 0 : Infinity,
  detail,
});

function runRank(args, env, timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'nccl_rank.js'), ...args], {
      env: { ...process.env, ...env },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (err += b));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, err });
    });
  });
}

/**
 * Rows (and the bandwidth table of rank 0) of the NCCL check. `ranks`: how
 * many processes (the GPU count; 1 in the self-test).
 */
async function ncclCheck(nt, selfTest, bench, seed, log) {
  const backend = selfTest ? 'mpi' : 'nccl';
  const device = selfTest ? 'cpu' : 'cuda';
  if (!selfTest && !nt.distributed.isAvailable('nccl')) {
    const reason = nt.distributed.unavailableReason('nccl');
    log(`NCCL is not available: ${reason}`);
    return { rows: [row('nccl: available', false, reason)], bw: null };
  }
  const ranks = selfTest ? 1 : Math.max(1, nt.cuda.info().deviceCount);
  const idFile = path.join(os.tmpdir(), `nodetorch-nccl-id-${process.pid}-${Date.now()}`);
  const maxBytes = selfTest ? 1 << 20 : 256 << 20;
  log(`${ranks} rank(s) on ${backend}, ${device} tensors${ranks > 1 ? `, id file ${idFile}` : ''}`);
  const runs = await Promise.all(
    Array.from({ length: ranks }, (_, r) =>
      runRank(
        [backend, device, String(seed), bench ? '1' : '0', String(maxBytes)],
        {
          RANK: String(r),
          LOCAL_RANK: String(r),
          WORLD_SIZE: String(ranks),
          NODETORCH_NCCL_ID_FILE: idFile,
          NODETORCH_NUM_THREADS: selfTest ? '1' : (process.env.NODETORCH_NUM_THREADS ?? ''),
        },
        300_000,
      ),
    ),
  );
  fs.rmSync(idFile, { force: true });
  const rows = [];
  let bw = null;
  runs.forEach((r, rank) => {
    const line = r.out.split('\n').find((l) => l.startsWith('@@NCCL '));
    if (!line) {
      const why = `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}: ${r.err.trim().split('\n').slice(-3).join(' | ')}`;
      rows.push(row(`nccl: rank ${rank} reported`, false, why));
      return;
    }
    const rep = JSON.parse(line.slice(7));
    for (const x of rep.rows)
      rows.push({ ...x, name: `${x.name} (rank ${rank})`, ratio: x.ratio === null ? Infinity : x.ratio });
    if (rank === 0) bw = rep.bw;
  });
  if (bw) {
    log(`all-reduce (sum, float32, in place) on ${ranks} rank(s), ${backend}:`);
    log('  size       | time/call  | algbw GB/s | busbw GB/s (2(W-1)/W x algbw)');
    for (const b of bw) {
      const size = b.bytes >= 1 << 20 ? `${b.bytes / (1 << 20)} MiB` : `${b.bytes / 1024} KiB`;
      log(
        `  ${size.padEnd(10)} | ${`${(b.seconds * 1e6).toFixed(1)} us`.padEnd(10)} | ${b.algGBs.toFixed(2).padEnd(10)} | ${b.busGBs.toFixed(2)}`,
      );
    }
  }
  return { rows, bw };
}

module.exports = { ncclCheck };
