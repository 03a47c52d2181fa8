// One of the processes of the concurrent-download test (data_download.test.ts):
// downloads the MNIST test split from the mirror given into NODETORCH_HOME's
// cache, with the MD5s given as JSON, and prints the folder. It first leaves
// a started-<pid> file in NODETORCH_HOME, for the test's server to wait for.
//   node -r ./ts_register.js download_child.ts <mirror> <md5 json>
import * as fs from 'fs';
import * as path from 'path';
import { downloadMnistSplit, mnistCacheDir } from '../../../lib/data/mnist_download';

const [mirror, md5] = process.argv.slice(2);
fs.writeFileSync(path.join(process.env.NODETORCH_HOME as string, `started-${process.pid}`), '');
downloadMnistSplit('MNIST', mnistCacheDir('MNIST'), 'test', {
  mirrors: [mirror as string],
  md5: JSON.parse(md5 as string) as Record<string, string>,
  progress: false,
}).then(
  () => console.log(mnistCacheDir('MNIST')),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
