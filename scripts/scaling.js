#!/usr/bin/env node
// Paper estimate of DDP throughput and scaling efficiency (docs/scaling.md):
// compute time per step from FLOPs at an assumed MFU, gradient all-reduce
// time from a ring cost model, and DDP's overlap of bucketed all-reduces with
// backward, simulated bucket by bucket. `node scripts/scaling.js` prints the
// markdown tables of docs/scaling.md; every assumption is a constant below.
'use strict';

// ---- assumptions -------------------------------------------------------------
const PEAK_FLOPS = 989e12; // H100/H200 SXM dense BF16 (the two have the same compute)
const NVLINK_BUS_BW = 400e9; // bytes/s: achieved all-reduce bus bandwidth inside an 8-GPU NVLink 4 node
const IB_BUS_BW = 340e9; // bytes/s: across nodes, 8 x 400 Gb/s NDR rails per node (400 GB/s) at 85 %
const ALPHA_NVLINK = 3e-6; // s per ring hop inside a node
const ALPHA_IB = 6e-6; // s per ring hop once the ring spans nodes
const GRAD_BYTES = 4; // DDP reduces fp32 gradients (AMP keeps fp32 master grads)
const FIRST_BUCKET = 1 << 20;
const GPUS_PER_NODE = 8;
const NODES = [1, 2, 4, 8, 16];

/** GPT-2 parameter count (tied LM head): blocks, token and position embeddings, final LayerNorm. */
function gptParams({ layers, d, vocab, ctx }) {
  return layers * (12 * d * d + 13 * d) + vocab * d + ctx * d + 2 * d;
}

const MODELS = [
  // Issue 13's character GPT (nanoGPT's shakespeare-char shape); small matmuls: low MFU.
  { name: 'char GPT 6L-384d (10.7M)', layers: 6, d: 384, vocab: 65, ctx: 256, seqs: 64, mfu: 0.15 },
  // GPT-2 small: 16 x 1024 tokens per GPU, an llm.c/nanoGPT-like MFU.
  { name: 'GPT-2 124M', layers: 12, d: 768, vocab: 50257, ctx: 1024, seqs: 16, mfu: 0.4 },
];

/** Ring all-reduce of `bytes` over p ranks: 2(p-1)/p of the data through the slowest link, 2(p-1) hops. */
function allReduceTime(bytes, p) {
  if (p === 1) return 0;
  const multiNode = p > GPUS_PER_NODE;
  const bw = multiNode ? IB_BUS_BW : NVLINK_BUS_BW;
  const alpha = multiNode ? ALPHA_IB : ALPHA_NVLINK;
  return ((2 * (p - 1)) / p) * (bytes / bw) + 2 * (p - 1) * alpha;
}

/** DDP's buckets over the gradients in reverse order (one dtype): the first capped at 1 MiB, then `cap`. */
function bucketSizes(totalBytes, layerBytes, cap) {
  const sizes = [];
  let open = 0;
  let limit = FIRST_BUCKET;
  for (const b of layerBytes) {
    open += b;
    if (open >= limit) {
      sizes.push(open);
      open = 0;
      limit = cap;
    }
  }
  if (open > 0) sizes.push(open);
  if (sizes.reduce((a, b) => a + b, 0) !== totalBytes) throw new Error('bucketSizes: bytes lost');
  return sizes;
}

/** Gradient tensors in reverse parameter order, in bytes (per block: ln, attn, proj, ln, mlp). */
function gradTensors(m) {
  const d = m.d;
  const block = [d, d, 3 * d * d, 3 * d, d * d, d, d, d, 4 * d * d, 4 * d, 4 * d * d, d];
  const all = [m.vocab * d, m.ctx * d];
  for (let l = 0; l < m.layers; ++l) all.push(...block);
  all.push(d, d);
  return all.reverse().map((n) => n * GRAD_BYTES);
}

/** One step: forward, backward (gradients ready uniformly in reverse order), bucket all-reduces FIFO. */
function step(m, p, capBytes) {
  const n = gptParams(m);
  const tokens = m.seqs * m.ctx;
  const flops = (6 * n + 12 * m.layers * m.d * m.ctx) * tokens;
  const compute = flops / (PEAK_FLOPS * m.mfu);
  const fwd = compute / 3;
  const bwd = compute - fwd;
  const grads = gradTensors(m);
  const total = grads.reduce((a, b) => a + b, 0);
  const buckets = bucketSizes(total, grads, capBytes);
  let ready = 0;
  let end = 0;
  let comm = 0;
  for (const b of buckets) {
    ready += (b / total) * bwd;
    const t = allReduceTime(b, p);
    comm += t;
    end = Math.max(end, ready) + t;
  }
  const stepTime = fwd + Math.max(bwd, end);
  return { n, tokens, compute, comm, buckets: buckets.length, stepTime, exposed: stepTime - compute };
}

function row(cells) {
  return `| ${cells.join(' | ')} |`;
}

function table(m, capMb) {
  const out = [
    row([
      'nodes',
      'GPUs',
      'buckets',
      'compute ms',
      'all-reduce ms (sum)',
      'exposed ms',
      'step ms',
      'tokens/s',
      'efficiency',
    ]),
    row(Array(9).fill('---')),
  ];
  const base = step(m, 1, capMb * 2 ** 20);
  for (const nodes of NODES) {
    for (const p of nodes === 1 ? [1, 8] : [nodes * GPUS_PER_NODE]) {
      const s = step(m, p, capMb * 2 ** 20);
      const tput = (p * s.tokens) / s.stepTime;
      const eff = base.stepTime / s.stepTime;
      out.push(
        row([
          p === 1 ? '1 (1 GPU)' : String(nodes),
          String(p),
          String(s.buckets),
          (s.compute * 1e3).toFixed(2),
          (s.comm * 1e3).toFixed(2),
          (s.exposed * 1e3).toFixed(2),
          (s.stepTime * 1e3).toFixed(2),
          tput.toExponential(3),
          `${(eff * 100).toFixed(1)} %`,
        ]),
      );
    }
  }
  return out.join('\n');
}

for (const m of MODELS) {
  console.log(
    `### ${m.name}: ${gptParams(m).toLocaleString('en-US')} parameters, ${m.seqs} x ${m.ctx} tokens per GPU, MFU ${m.mfu * 100} %\n`,
  );
  for (const cap of [25, 1, 100]) {
    console.log(`bucketCapMb ${cap}:\n`);
    console.log(table(m, cap));
    console.log('');
  }
}
