// Strict TypeScript consumer (CommonJS output): compiled, not run, against the
// .d.ts shipped in the tarball. Uses tensors, autograd, nn, optim and the
// runtime types, with a few deliberate type errors that must stay errors.
import * as nt from 'nodetorch';
import { nn, optim, type Tensor, type DType, type Info } from 'nodetorch';

class Net extends nn.Module {
  fc1 = new nn.Linear(784, 128);
  fc2 = new nn.Linear(128, 10);
  forward(x: Tensor): Tensor {
    return this.fc2.forward(nt.relu(this.fc1.forward(x)));
  }
}

export function trainStep(model: Net, x: Tensor, target: Tensor, opt: optim.SGD): number {
  return nt.scope(() => {
    opt.zeroGrad();
    const loss: Tensor = new nn.CrossEntropyLoss().forward(model.forward(x), target);
    loss.backward();
    opt.step();
    return loss.item();
  });
}

const w = nt.randn([3, 4], { requiresGrad: true });
const y = w
  .matmul(nt.ones([4, 2]))
  .relu()
  .sum();
y.backward();
const g: Tensor | null = w.grad;
const dt: DType = w.dtype;
const shape: readonly number[] = w.shape;
const ok: boolean = nt.autograd.gradcheck(
  (a: Tensor) => a.mul(a).sum(),
  [nt.randn([3], { dtype: 'float64', requiresGrad: true })],
);
const i: Info = nt.info();
const kind: 'override' | 'package' | 'prebuild' | 'build' = i.binary.kind;
const fromPackage: string | undefined = i.binary.package;
const net = new Net();
const adam = new optim.Adam(net.parameters(), { lr: 1e-3 });
const sgd = new optim.SGD(net.parameters(), { lr: 0.1, momentum: 0.9 });
void [g, dt, shape, ok, kind, fromPackage, adam, sgd, nt.noGrad(() => w.add(1)), nt.cuda.isAvailable()];

// @ts-expect-error dtype names are checked
nt.zeros([2], { dtype: 'float16' });
// @ts-expect-error SGD needs lr
new optim.SGD(net.parameters(), {});
// @ts-expect-error tensors come from nt.tensor(), nt.zeros(), ...: the constructor is not public
new nt.Tensor();
// @ts-expect-error internal fields are not in the shipped declarations
void w._storage;

// TensorDataset items and batches are typed by its tensors: with
// noUncheckedIndexedAccess, destructured elements are Tensor, not Tensor | undefined.
const td = new nt.data.TensorDataset(nt.zeros([4, 3]), nt.zeros([4], { dtype: 'int64' }));
const [tx, ty] = td.get(0);
const [bx, by] = td.tensors;
for (const [lx, ly] of new nt.data.DataLoader(td, { batchSize: 2 })) void [lx.shape, ly.shape];
void [tx.shape, ty.shape, bx.shape, by.shape];
// @ts-expect-error a two-tensor dataset has no third element
void td.get(0)[2];
// A download into a folder of one's own, with a private mirror.
void nt.datasets.FashionMNIST.load({ root: '/tmp/x', download: true, mirrors: ['http://mirror.local/'] }).catch(
  (e: unknown) => e instanceof nt.DownloadError && e.attempts.map((a) => a.url),
);
