// Child of checkpoint_atomic.test.ts: saves checkpoints to argv[2] in a
// loop (each one's tensors all hold the save counter, also in the metadata)
// and prints "saved <n>" after each, until it is killed.
import * as nt from '../../../lib';

const file = process.argv[2];
const big = nt.zeros([256, 1024]); // 1 MiB: a save takes long enough to be killed mid-write
for (let n = 1; ; n++) {
  big.fill_(n);
  nt.save({ tensors: { big, small: nt.full([3], n) }, metadata: { n: String(n) } }, file);
  process.stdout.write(`saved ${n}\n`);
}
