'use strict';
// Async reads on the device (run by special_checks.js in a child process, so
// the main run stays synchronous): dataAsync/itemAsync/toArrayAsync equal the
// blocking reads; the event loop turns while a long chain of GEMMs runs;
// nt.synchronize(device) rejects once with a deferred IndexError and the
// device keeps working. Prints one JSON line {pass, detail}.
// Usage: node async_reads.js <device>
const path = require('path');

async function main(device) {
  const nt = require(path.join(__dirname, '..', '..', 'dist', 'lib'));
  const problems = [];
  const a = nt.randn([1024, 1024]).to(device);
  let x = a;
  for (let i = 0; i < 40; ++i) x = nt.matmul(x, a).div(1024);
  let ticks = 0;
  let on = true;
  const spin = () => {
    ticks++;
    if (on) setImmediate(spin);
  };
  setImmediate(spin);
  const got = await x.dataAsync();
  on = false;
  const want = x.data();
  if (!got.every((v, i) => Object.is(v, want[i]))) problems.push('dataAsync differs from data()');
  if (ticks === 0) problems.push('the event loop did not turn during dataAsync');
  const s = x.sum();
  if ((await s.itemAsync()) !== s.item()) problems.push('itemAsync differs from item()');
  const small = nt
    .tensor([
      [1, 2],
      [3, 4],
    ])
    .to(device);
  if (JSON.stringify(await small.toArrayAsync()) !== JSON.stringify(small.toArray())) problems.push('toArrayAsync');
  nt.zeros([3])
    .to(device)
    .gather(0, nt.tensor([7], { dtype: 'int64' }).to(device));
  let caught = null;
  await nt.synchronize(device).catch((e) => {
    caught = e;
  });
  if (!(caught instanceof nt.IndexError)) problems.push(`synchronize: expected IndexError, got ${caught}`);
  await nt.synchronize(device).catch((e) => problems.push(`second synchronize rejected: ${e.message}`));
  if (nt.ones([4]).to(device).sum().item() !== 4) problems.push('the device failed after the deferred error');
  return { pass: problems.length === 0, detail: problems.join('; ') || `${ticks} event-loop turns during dataAsync` };
}

main(process.argv[2] || 'cuda').then(
  (r) => console.log(JSON.stringify(r)),
  (e) => console.log(JSON.stringify({ pass: false, detail: `threw ${e.name}: ${e.message}` })),
);
