// The boundary between TypeScript and native code, declared once.
//
// `node scripts/gen-boundary.js` reads this file and writes both sides:
//   native/common/codes.gen.h         dtypes, devices, error kinds, op enums and their names
//   native/common/kernel_args.gen.h   one argument struct per kernel, NT_KERNEL_LIST
//   native/addon/kernel_bindings.gen.cpp  one N-API function per kernel: reads and checks
//                                     its arguments from the shared buffer, calls the backend
//   bindings/codes.gen.ts             the same codes for TypeScript
//   bindings/kernels.gen.ts           NativeKernels, KERNEL_NAMES and one typed argument
//                                     writer per kernel (writes the buffer, calls the kernel)
//   lib/ops/unary.gen.ts              the public function and Tensor method of each unary op
//                                     that declares `api`
// CI runs the generator with --check and fails when a generated file differs.
//
// Kernel arguments. `storages` are the tensors' storage handles, passed as
// N-API arguments in this order; every storage must be on one device. `args`
// are the fields of the kernel's argument struct, in the order they are read
// from the shared Float64 buffer (fields with `from` are not in the buffer):
//   real            double, any value
//   size            int64_t in [0, 2^50]
//   int             int64_t in `range` (C++ type `ctype` if given)
//   flag            bool (0 or 1)
//   enum            one of `enums[type]`, range-checked
//   seed            uint64_t, written as two 32-bit halves
//   shape           Shape: ndim then sizes (ndim <= 8)
//   operand         Operand over `shape` (a field, or a list of shape fields
//                   concatenated): offset then one stride per dim; every
//                   reachable element is checked to lie inside `storage`;
//                   a `nullable` storage gives data == nullptr (the offset
//                   and strides are read either way)
//   contiguous      Operand of `numel` contiguous elements from an offset
//   block           pointer to `numel` contiguous elements from an offset;
//                   `numel` is a list of fields multiplied (overflow-checked);
//                   a `nullable` storage gives nullptr
//   matrix          pointer to a row-major matrix operand of a batched GEMM:
//                   offset, checked against `rows` x `cols` (C++ expressions),
//                   leading dim `ld` and batch stride `stride` (fields)
//   sizes           std::vector<int64_t>, one per entry of the list storage `count`
//   blocks          std::vector of pointers, one per entry of the list storage,
//                   each `numel[k]` elements from an offset
//   from: dtype     DType of `storage` (not in the buffer)
// Storage checks: dtype 'float' | 'index' | 'bool' | 'int64' | 'same:<storage>'.
// `validate: true` calls the hand-written nt::addon::validate<Kernel>() of
// native/addon/kernel_checks.cpp after the arguments are read. `runIf` is the
// C++ condition under which the backend is called (default: always).
'use strict';

const dtypes = [
  { name: 'float32', ctype: 'float', size: 4 },
  { name: 'float64', ctype: 'double', size: 8 },
  { name: 'int32', ctype: 'int32_t', size: 4 },
  { name: 'int64', ctype: 'int64_t', size: 8 },
  { name: 'uint8', ctype: 'uint8_t', size: 1 },
  { name: 'bool', ctype: 'uint8_t', size: 1 },
];

const devices = ['cpu', 'cuda'];

// nt::ErrorKind; lib/errors.ts maps each to its JavaScript class.
const errorKinds = [
  { name: 'Native', doc: 'anything else' },
  { name: 'Shape' },
  { name: 'DType' },
  { name: 'Device' },
  { name: 'Disposed' },
  { name: 'Index', doc: 'index value out of range' },
  { name: 'Argument', doc: 'malformed argument (bad type, NaN size, ...)' },
  { name: 'Cuda' },
  { name: 'OutOfMemory' },
  { name: 'NotCompiled', doc: 'built without CUDA' },
  { name: 'Distributed', doc: 'a collective failed or timed out, or MPI/NCCL is missing' },
];

// Unary ops. `api` makes the generator write the public function
// `nt.<name>(x)` and the method `x.<name>()` in lib/ops/unary.gen.ts:
//   float: integer inputs compute in float32 (else bool is rejected)
//   saves: what the backward needs ('x' the input, 'out' the result, 'none')
//   grad:  the entry of lib/autograd/derivatives.ts (default: the name)
//   params: numeric arguments after x, with defaults; they become p0, p1
const unaryOps = [
  { name: 'Neg', label: 'neg', api: { name: 'neg', doc: 'Negation, -x.', saves: 'none' } },
  { name: 'Abs', label: 'abs', api: { name: 'abs', doc: 'Absolute value, |x|.', saves: 'x' } },
  { name: 'Exp', label: 'exp', api: { name: 'exp', doc: 'The exponential, e^x.', float: true, saves: 'out' } },
  { name: 'Log', label: 'log', api: { name: 'log', doc: 'The natural logarithm.', float: true, saves: 'x' } },
  { name: 'Sqrt', label: 'sqrt', api: { name: 'sqrt', doc: 'The square root.', float: true, saves: 'out' } },
  {
    name: 'Rsqrt',
    label: 'rsqrt',
    api: { name: 'rsqrt', doc: 'The reciprocal square root, 1 / sqrt(x).', float: true, saves: 'out' },
  },
  {
    name: 'Sigmoid',
    label: 'sigmoid',
    api: { name: 'sigmoid', doc: 'The logistic sigmoid, 1 / (1 + e^-x).', float: true, saves: 'out' },
  },
  { name: 'Tanh', label: 'tanh', api: { name: 'tanh', doc: 'The hyperbolic tangent.', float: true, saves: 'out' } },
  {
    name: 'Relu',
    label: 'relu',
    api: { name: 'relu', doc: 'The rectifier, max(x, 0) (NaN stays NaN).', float: true, saves: 'out' },
  },
  { name: 'Gelu', label: 'gelu', doc: 'exact (erf) form' },
  { name: 'Sin', label: 'sin', api: { name: 'sin', doc: 'The sine.', float: true, saves: 'x' } },
  { name: 'Cos', label: 'cos', api: { name: 'cos', doc: 'The cosine.', float: true, saves: 'x' } },
  {
    name: 'Sign',
    label: 'sign',
    api: {
      name: 'sign',
      doc: 'The sign: -1, 0 or 1 (NaN stays NaN); its gradient is zero.',
      saves: 'none',
      grad: 'zeroGrad',
    },
  },
  { name: 'Square', label: 'square', api: { name: 'square', doc: 'x * x.', saves: 'x' } },
  { name: 'Reciprocal', label: 'reciprocal', api: { name: 'reciprocal', doc: '1 / x.', float: true, saves: 'out' } },
  {
    name: 'Floor',
    label: 'floor',
    api: { name: 'floor', doc: 'Rounds down; its gradient is zero.', float: true, saves: 'none', grad: 'zeroGrad' },
  },
  {
    name: 'Ceil',
    label: 'ceil',
    api: { name: 'ceil', doc: 'Rounds up; its gradient is zero.', float: true, saves: 'none', grad: 'zeroGrad' },
  },
  {
    name: 'Round',
    label: 'round',
    api: {
      name: 'round',
      doc: 'Rounds to the nearest integer, halves to even; its gradient is zero.',
      float: true,
      saves: 'none',
      grad: 'zeroGrad',
    },
  },
  {
    name: 'Log1p',
    label: 'log1p',
    api: { name: 'log1p', doc: 'log(1 + x), accurate near 0.', float: true, saves: 'x' },
  },
  {
    name: 'Expm1',
    label: 'expm1',
    api: { name: 'expm1', doc: 'e^x - 1, accurate near 0.', float: true, saves: 'out' },
  },
  { name: 'AddScalar', label: 'add_scalar', doc: 'x + p0' },
  { name: 'MulScalar', label: 'mul_scalar', doc: 'x * p0' },
  { name: 'PowScalar', label: 'pow_scalar', doc: 'x ^ p0' },
  { name: 'RsubScalar', label: 'rsub_scalar', doc: 'p0 - x' },
  { name: 'RdivScalar', label: 'rdiv_scalar', doc: 'p0 / x' },
  { name: 'Clamp', label: 'clamp', doc: 'min(max(x, p0), p1) (p0 = -inf / p1 = +inf for one-sided)' },
  { name: 'LeakyRelu', label: 'leaky_relu', doc: 'x > 0 ? x : p0 * x' },
  {
    name: 'Silu',
    label: 'silu',
    api: { name: 'silu', doc: 'The sigmoid-weighted linear unit, x * sigmoid(x).', float: true, saves: 'x' },
  },
  {
    name: 'Softplus',
    label: 'softplus',
    doc: 'log(1 + exp(p0 * x)) / p0, or x where p0 * x > p1',
    api: {
      name: 'softplus',
      doc: 'log(1 + exp(beta * x)) / beta; x itself where beta * x > threshold.',
      float: true,
      saves: 'x',
      params: [
        { name: 'beta', default: 1 },
        { name: 'threshold', default: 20 },
      ],
    },
  },
  { name: 'Erf', label: 'erf', api: { name: 'erf', doc: 'The Gauss error function.', float: true, saves: 'x' } },
  { name: 'GeluTanh', label: 'gelu_tanh', doc: 'tanh approximation of GELU' },
];

const binaryOps = [
  { name: 'Add', label: 'add', doc: 'a + alpha * b' },
  { name: 'Sub', label: 'sub', doc: 'a - alpha * b' },
  { name: 'Mul', label: 'mul' },
  { name: 'Div', label: 'div' },
  { name: 'Pow', label: 'pow' },
  { name: 'Maximum', label: 'maximum' },
  { name: 'Minimum', label: 'minimum' },
  { name: 'Eq', label: 'eq', doc: 'comparisons write Bool' },
  { name: 'Ne', label: 'ne' },
  { name: 'Lt', label: 'lt' },
  { name: 'Le', label: 'le' },
  { name: 'Gt', label: 'gt' },
  { name: 'Ge', label: 'ge' },
  { name: 'ReluBackward', label: 'relu_backward', doc: 'a = grad, b = x: grad * (x > 0)' },
  { name: 'SigmoidBackward', label: 'sigmoid_backward', doc: 'a = grad, b = y: grad * y * (1 - y)' },
  { name: 'TanhBackward', label: 'tanh_backward', doc: 'a = grad, b = y: grad * (1 - y^2)' },
  { name: 'GeluBackward', label: 'gelu_backward', doc: "a = grad, b = x: grad * gelu'(x)" },
  { name: 'SiluBackward', label: 'silu_backward', doc: "a = grad, b = x: grad * silu'(x)" },
  { name: 'LogicalAnd', label: 'logical_and', doc: 'Bool inputs, Bool output' },
  { name: 'LogicalOr', label: 'logical_or' },
  { name: 'GeluTanhBackward', label: 'gelu_tanh_backward', doc: "a = grad, b = x: grad * gelu_tanh'(x)" },
];

const reduceOps = [
  { name: 'Sum', label: 'sum' },
  { name: 'Mean', label: 'mean' },
  { name: 'Max', label: 'max' },
  { name: 'Min', label: 'min' },
  { name: 'Prod', label: 'prod' },
  { name: 'ArgMax', label: 'argmax', doc: 'writes Int64; exactly one inner dim' },
  { name: 'ArgMin', label: 'argmin' },
  { name: 'LogSumExp', label: 'logsumexp' },
  { name: 'Var', label: 'var', doc: 'p0 is the correction (Bessel = 1)' },
];

const randomKinds = [
  { name: 'Uniform', label: 'uniform', doc: '[a, b)' },
  { name: 'Normal', label: 'normal', doc: 'mean a, std b' },
  { name: 'Int', label: 'int', doc: 'integers in [a, b)' },
  { name: 'Bernoulli', label: 'bernoulli', doc: 'value b with probability a, else 0' },
];

const enums = { UnaryOp: unaryOps, BinaryOp: binaryOps, ReduceOp: reduceOps, RandomKind: randomKinds };

// Field constructors, to keep the kernel list readable.
const real = (name) => ({ name, type: 'real' });
const size = (name) => ({ name, type: 'size' });
const flag = (name) => ({ name, type: 'flag' });
const shape = (name) => ({ name, type: 'shape' });
const operand = (name, storage, shapeField) => ({ name, type: 'operand', storage, shape: shapeField });
const block = (name, storage, numel, more = {}) => ({ name, type: 'block', storage, numel, ...more });
const dtypeOf = (name, storage) => ({ name, from: 'dtype', storage });
const matrix = (name, storage, rows, cols, ld, stride, more = {}) => ({
  name,
  type: 'matrix',
  storage,
  rows,
  cols,
  ld,
  stride,
  batch: 'batch',
  ...more,
});

// Max pooling's windows over planes [planes, H, W] (maxPool2d and its backward).
const maxPoolWindows = [
  size('planes'),
  size('H'),
  size('W'),
  size('Ho'),
  size('Wo'),
  ...['kh', 'kw', 'sh', 'sw', 'dh', 'dw'].map((name) => ({ name, type: 'int', range: ['1', 'kMaxSize'] })),
  ...['ph', 'pw'].map((name) => ({ name, type: 'int', range: ['0', 'kMaxSize'] })),
];

// Average pooling's windows and divisor (avgPool2d and its backward).
const avgPoolWindows = [
  size('planes'),
  size('H'),
  size('W'),
  size('Ho'),
  size('Wo'),
  ...['kh', 'kw', 'sh', 'sw'].map((name) => ({ name, type: 'int', range: ['1', 'kMaxSize'] })),
  ...['ph', 'pw'].map((name) => ({ name, type: 'int', range: ['0', 'kMaxSize'] })),
  flag('countIncludePad'),
  // 0: none; else PyTorch's divisor_override (a non-zero integer).
  { name: 'divisor', type: 'int', range: ['-kMaxSize', 'kMaxSize'] },
];

const kernels = [
  {
    name: 'fill',
    doc: 'out[...] = value over a strided view',
    storages: [{ name: 'out' }],
    args: [shape('shape'), operand('out', 'out', 'shape'), real('value')],
    runIf: 'a.shape.numel()',
  },
  {
    name: 'copy',
    doc: 'out[...] = in[...], casting the dtype',
    storages: [{ name: 'out' }, { name: 'input' }],
    args: [shape('shape'), operand('out', 'out', 'shape'), operand('in', 'input', 'shape')],
    runIf: 'a.shape.numel()',
  },
  {
    name: 'arange',
    doc: 'out[i] = start + i * step, contiguous',
    storages: [{ name: 'out' }],
    args: [size('n'), { name: 'out', type: 'contiguous', storage: 'out', numel: ['n'] }, real('start'), real('step')],
    runIf: 'a.n',
  },
  {
    name: 'unary',
    doc: 'out = op(in; p0, p1) elementwise over strided views',
    storages: [{ name: 'out' }, { name: 'input', dtype: 'same:out' }],
    args: [
      { name: 'op', type: 'enum', enum: 'UnaryOp' },
      real('p0'),
      real('p1'),
      shape('shape'),
      operand('out', 'out', 'shape'),
      operand('in', 'input', 'shape'),
    ],
    runIf: 'a.shape.numel()',
  },
  {
    name: 'binary',
    doc: 'out = op(a, b; alpha) elementwise; comparisons and logical ops write Bool',
    storages: [{ name: 'out' }, { name: 'x' }, { name: 'y', dtype: 'same:x' }],
    args: [
      { name: 'op', type: 'enum', enum: 'BinaryOp' },
      real('alpha'),
      shape('shape'),
      operand('out', 'out', 'shape'),
      operand('a', 'x', 'shape'),
      operand('b', 'y', 'shape'),
    ],
    validate: true,
    runIf: 'a.shape.numel()',
  },
  {
    name: 'where',
    doc: 'out = cond ? a : b',
    storages: [
      { name: 'out' },
      { name: 'cond', dtype: 'bool' },
      { name: 'x', dtype: 'same:out' },
      { name: 'y', dtype: 'same:out' },
    ],
    args: [
      shape('shape'),
      operand('out', 'out', 'shape'),
      operand('cond', 'cond', 'shape'),
      operand('a', 'x', 'shape'),
      operand('b', 'y', 'shape'),
    ],
    runIf: 'a.shape.numel()',
  },
  {
    name: 'reduce',
    doc: 'reduces the trailing `inner` dims of `in` into the contiguous out[outer.numel()]',
    storages: [{ name: 'out' }, { name: 'input' }],
    args: [
      { name: 'op', type: 'enum', enum: 'ReduceOp' },
      real('p0'),
      shape('outer'),
      shape('inner'),
      operand('in', 'input', ['outer', 'inner']),
      block('out', 'out', ['outer']),
      dtypeOf('outDtype', 'out'),
    ],
    validate: true,
    runIf: 'a.outer.numel()',
  },
  {
    name: 'softmax',
    doc: 'row-wise (log-)softmax over the last dim of a contiguous [rows, cols] tensor',
    storages: [
      { name: 'out', dtype: 'float' },
      { name: 'input', dtype: 'same:out' },
    ],
    args: [
      size('rows'),
      size('cols'),
      flag('log'),
      block('out', 'out', ['rows', 'cols']),
      block('in', 'input', ['rows', 'cols'], { const: true }),
      dtypeOf('dtype', 'input'),
    ],
    runIf: 'a.rows > 0 && a.cols > 0',
  },
  {
    name: 'softmaxBackward',
    label: 'softmax_backward',
    doc: 'dx = y * (dy - sum(dy * y)), or for log: dx = dy - exp(y) * sum(dy)',
    storages: [
      { name: 'dx', dtype: 'float' },
      { name: 'dy', dtype: 'same:dx' },
      { name: 'y', dtype: 'same:dx' },
    ],
    args: [
      size('rows'),
      size('cols'),
      flag('log'),
      block('dx', 'dx', ['rows', 'cols']),
      block('dy', 'dy', ['rows', 'cols'], { const: true }),
      block('y', 'y', ['rows', 'cols'], { const: true }),
      dtypeOf('dtype', 'dx'),
    ],
    runIf: 'a.rows > 0 && a.cols > 0',
  },
  {
    name: 'gemm',
    label: 'matmul',
    doc: 'C[b] = alpha * op(A[b]) @ op(B[b]) + beta * C[b], row-major; batch strides may be 0 (broadcast)',
    storages: [
      { name: 'c', dtype: 'float' },
      { name: 'am', dtype: 'same:c' },
      { name: 'bm', dtype: 'same:c' },
    ],
    args: [
      size('batch'),
      size('M'),
      size('N'),
      size('K'),
      size('lda'),
      size('strideA'),
      flag('transA'),
      size('ldb'),
      size('strideB'),
      flag('transB'),
      size('ldc'),
      size('strideC'),
      real('alpha'),
      real('beta'),
      matrix('A', 'am', 'a.transA ? a.K : a.M', 'a.transA ? a.M : a.K', 'lda', 'strideA', { const: true }),
      matrix('B', 'bm', 'a.transB ? a.N : a.K', 'a.transB ? a.K : a.N', 'ldb', 'strideB', { const: true }),
      matrix('C', 'c', 'a.M', 'a.N', 'ldc', 'strideC'),
      dtypeOf('dtype', 'c'),
    ],
    runIf: 'a.batch && a.M && a.N',
  },
  {
    name: 'crossEntropy',
    label: 'cross_entropy',
    doc: 'fused: losses[N] and (when dlogits is given) softmax(x) - target, one pass per row',
    storages: [
      { name: 'losses', dtype: 'same:logits' },
      { name: 'dlogits', nullable: true, dtype: 'same:logits' },
      { name: 'logits', dtype: 'float' },
      { name: 'targets', dtype: 'index' },
    ],
    args: [
      size('N'),
      { name: 'C', type: 'int', range: ['1', 'kMaxSize'] },
      { name: 'ignoreIndex', type: 'int', range: ['-(int64_t(1) << 53)', 'int64_t(1) << 53'] },
      real('labelSmoothing'),
      block('losses', 'losses', ['N']),
      block('dlogits', 'dlogits', ['N', 'C'], { nullable: true }),
      block('logits', 'logits', ['N', 'C'], { const: true }),
      block('targets', 'targets', ['N'], { const: true }),
      dtypeOf('dtype', 'logits'),
      dtypeOf('targetDtype', 'targets'),
    ],
    validate: true,
    runIf: 'a.N',
  },
  {
    name: 'adam',
    doc: 'multi-tensor Adam/AdamW over equal-length lists; bias corrections computed on the host',
    storages: [
      { name: 'params', list: true, dtype: 'float' },
      { name: 'grads', list: true },
      { name: 'expAvg', list: true },
      { name: 'expAvgSq', list: true },
      { name: 'maxExpAvgSq', list: true, nullable: true, doc: 'only when amsgrad' },
    ],
    args: [
      real('lr'),
      real('beta1'),
      real('beta2'),
      real('eps'),
      real('weightDecay'),
      real('biasCorrection1'),
      real('biasCorrection2'),
      flag('decoupled'),
      flag('amsgrad'),
      flag('maximize'),
      { name: 'numels', type: 'sizes', count: 'params' },
      { name: 'params', type: 'blocks', storage: 'params', numel: 'numels' },
      { name: 'grads', type: 'blocks', storage: 'grads', numel: 'numels' },
      { name: 'expAvg', type: 'blocks', storage: 'expAvg', numel: 'numels' },
      { name: 'expAvgSq', type: 'blocks', storage: 'expAvgSq', numel: 'numels' },
      { name: 'maxExpAvgSq', type: 'blocks', storage: 'maxExpAvgSq', numel: 'numels' },
      dtypeOf('dtype', 'params'),
    ],
    validate: true,
    runIf: '!a.numels.empty()',
  },
  {
    name: 'sgd',
    doc: 'multi-tensor SGD with momentum, dampening, nesterov and weight decay',
    storages: [
      { name: 'params', list: true, dtype: 'float' },
      { name: 'grads', list: true },
      { name: 'momentumBufs', list: true, nullable: true, doc: 'absent when momentum is 0' },
    ],
    args: [
      real('lr'),
      real('momentum'),
      real('dampening'),
      real('weightDecay'),
      flag('nesterov'),
      flag('firstStep'),
      flag('maximize'),
      { name: 'numels', type: 'sizes', count: 'params' },
      { name: 'params', type: 'blocks', storage: 'params', numel: 'numels' },
      { name: 'grads', type: 'blocks', storage: 'grads', numel: 'numels' },
      { name: 'momentumBufs', type: 'blocks', storage: 'momentumBufs', numel: 'numels' },
      dtypeOf('dtype', 'params'),
    ],
    runIf: '!a.numels.empty()',
  },
  {
    name: 'maxPool2d',
    label: 'max_pool2d',
    doc: 'out, indices over input planes [planes, H, W]: the max of each window (padding counts as -inf) and its first position, flat in H*W (indices null: the maxima only)',
    storages: [
      { name: 'out', dtype: 'float' },
      { name: 'indices', dtype: 'int64', nullable: true },
      { name: 'input', dtype: 'same:out' },
    ],
    args: [
      ...maxPoolWindows,
      block('out', 'out', ['planes', 'Ho', 'Wo']),
      block('indices', 'indices', ['planes', 'Ho', 'Wo'], { nullable: true }),
      block('in', 'input', ['planes', 'H', 'W'], { const: true }),
      dtypeOf('dtype', 'out'),
    ],
    runIf: 'a.planes && a.Ho && a.Wo',
  },
  {
    name: 'maxPool2dBackward',
    label: 'max_pool2d_backward',
    doc: 'dx [planes, H, W] = sum of dy [planes, Ho, Wo] over the windows whose max (indices, from maxPool2d) is at each position, added in output order (the scatter-add at the indices); an index outside H*W is not followed',
    storages: [
      { name: 'dx', dtype: 'float' },
      { name: 'dy', dtype: 'same:dx' },
      { name: 'indices', dtype: 'int64' },
    ],
    args: [
      ...maxPoolWindows,
      block('dx', 'dx', ['planes', 'H', 'W']),
      block('dy', 'dy', ['planes', 'Ho', 'Wo'], { const: true }),
      block('indices', 'indices', ['planes', 'Ho', 'Wo'], { const: true }),
      dtypeOf('dtype', 'dx'),
    ],
    runIf: 'a.planes && a.H && a.W',
  },
  {
    name: 'avgPool2d',
    label: 'avg_pool2d',
    doc: "out [planes, Ho, Wo] = the mean of each window of input [planes, H, W] (PyTorch's divisor: divisor if non-zero, else the window clipped to the padded input (countIncludePad) or to the input; a window wholly in the padding gives 0)",
    storages: [
      { name: 'out', dtype: 'float' },
      { name: 'input', dtype: 'same:out' },
    ],
    args: [
      ...avgPoolWindows,
      block('out', 'out', ['planes', 'Ho', 'Wo']),
      block('in', 'input', ['planes', 'H', 'W'], { const: true }),
      dtypeOf('dtype', 'out'),
    ],
    runIf: 'a.planes && a.Ho && a.Wo',
  },
  {
    name: 'avgPool2dBackward',
    label: 'avg_pool2d_backward',
    doc: 'dx [planes, H, W] = the sum of dy / divisor over the windows of avgPool2d covering each position (same geometry and divisor rule)',
    storages: [
      { name: 'dx', dtype: 'float' },
      { name: 'dy', dtype: 'same:dx' },
    ],
    args: [
      ...avgPoolWindows,
      block('dx', 'dx', ['planes', 'H', 'W']),
      block('dy', 'dy', ['planes', 'Ho', 'Wo'], { const: true }),
      dtypeOf('dtype', 'dx'),
    ],
    runIf: 'a.planes && a.H && a.W',
  },
  {
    name: 'indexSelect',
    label: 'index_select',
    doc: 'out[o, j, i] = in[o, index[j], i] over contiguous [outer, dimSize, inner]; embedding: report bad indices as embedding ids',
    storages: [{ name: 'out' }, { name: 'input', dtype: 'same:out' }, { name: 'index', dtype: 'index' }],
    args: [
      size('outer'),
      size('dimSize'),
      size('inner'),
      size('nIndex'),
      block('out', 'out', ['outer', 'nIndex', 'inner']),
      block('in', 'input', ['outer', 'dimSize', 'inner'], { const: true }),
      dtypeOf('dtype', 'out'),
      block('index', 'index', ['nIndex'], { const: true }),
      dtypeOf('indexDtype', 'index'),
      // The lookup is an embedding's: a bad index is reported as an embedding id.
      flag('embedding'),
    ],
    validate: true,
    runIf: 'a.outer && a.nIndex && a.inner',
  },
  {
    name: 'indexAdd',
    label: 'index_add',
    doc: 'out[o, index[j], i] += src[o, j, i] (the backward of indexSelect)',
    storages: [{ name: 'out' }, { name: 'src', dtype: 'same:out' }, { name: 'index', dtype: 'index' }],
    args: [
      size('outer'),
      size('dimSize'),
      size('inner'),
      size('nIndex'),
      block('out', 'out', ['outer', 'dimSize', 'inner']),
      block('src', 'src', ['outer', 'nIndex', 'inner'], { const: true }),
      dtypeOf('dtype', 'out'),
      block('index', 'index', ['nIndex'], { const: true }),
      dtypeOf('indexDtype', 'index'),
    ],
    validate: true,
    runIf: 'a.outer && a.nIndex && a.inner',
  },
  {
    name: 'gather',
    doc: 'out[..j..] = in[..index[..j..]..] along `dim`; out and index share `shape`; contiguous',
    storages: [{ name: 'out' }, { name: 'input', dtype: 'same:out' }, { name: 'index', dtype: 'index' }],
    args: [
      shape('shape'),
      shape('selfShape'),
      { name: 'dim', type: 'int', ctype: 'int', range: ['0', 'kMaxDims - 1'] },
      block('out', 'out', ['shape']),
      block('in', 'input', ['selfShape'], { const: true }),
      dtypeOf('dtype', 'out'),
      block('index', 'index', ['shape'], { const: true }),
      dtypeOf('indexDtype', 'index'),
    ],
    validate: true,
    runIf: 'a.shape.numel()',
  },
  {
    name: 'scatterAdd',
    label: 'scatter_add',
    struct: 'GatherArgs',
    doc: 'out[..index[..j..]..] += src[..j..] along `dim`; out has `selfShape`, src and index `shape`',
    storages: [{ name: 'out' }, { name: 'src', dtype: 'same:out' }, { name: 'index', dtype: 'index' }],
    args: [
      shape('shape'),
      shape('selfShape'),
      { name: 'dim', type: 'int', ctype: 'int', range: ['0', 'kMaxDims - 1'] },
      block('out', 'out', ['selfShape']),
      block('in', 'src', ['shape'], { const: true }),
      dtypeOf('dtype', 'out'),
      block('index', 'index', ['shape'], { const: true }),
      dtypeOf('indexDtype', 'index'),
    ],
    validate: true,
    runIf: 'a.shape.numel()',
  },
  {
    name: 'random',
    doc: 'Philox4x32-10: element i uses counter offset + i/4; same seed and offset give the same numbers on every device',
    storages: [{ name: 'out' }],
    args: [
      { name: 'kind', type: 'enum', enum: 'RandomKind' },
      size('n'),
      block('out', 'out', ['n']),
      dtypeOf('dtype', 'out'),
      { name: 'seed', type: 'seed' },
      { name: 'offset', type: 'size', ctype: 'uint64_t' },
      real('a'),
      real('b'),
    ],
    validate: true,
    runIf: 'a.n',
  },
  // ---- language-model tensor ops (issue 13): sort / top-k, cumsum, multinomial ----
  {
    name: 'sortRows',
    label: 'sort',
    doc: 'values, indices [rows, k] = the first k of each contiguous row of in [rows, cols] in sorted order (descending flag); NaN counts as largest; equal values keep input order',
    storages: [{ name: 'values' }, { name: 'indices', dtype: 'int64' }, { name: 'input', dtype: 'same:values' }],
    args: [
      size('rows'),
      size('cols'),
      size('k'),
      flag('descending'),
      block('values', 'values', ['rows', 'k']),
      block('indices', 'indices', ['rows', 'k']),
      block('in', 'input', ['rows', 'cols'], { const: true }),
      dtypeOf('dtype', 'values'),
    ],
    validate: true,
    runIf: 'a.rows && a.k',
  },
  {
    name: 'cumsum',
    doc: 'out[o, j, i] = in[o, 0..j, i] summed over contiguous [outer, n, inner] (reverse: in[o, j..n-1, i]); floats accumulate in double, integers in int64',
    storages: [{ name: 'out' }, { name: 'input', dtype: 'same:out' }],
    args: [
      size('outer'),
      size('n'),
      size('inner'),
      flag('reverse'),
      block('out', 'out', ['outer', 'n', 'inner']),
      block('in', 'input', ['outer', 'n', 'inner'], { const: true }),
      dtypeOf('dtype', 'out'),
    ],
    runIf: 'a.outer && a.n && a.inner',
  },
  {
    name: 'multinomial',
    doc: 'out[r, s] = a category drawn from the non-negative weights[r, :] with Philox uniform (seed, offset) number r * samples + s; without replacement each draw zeroes its weight in place',
    storages: [
      { name: 'out', dtype: 'int64' },
      { name: 'weights', dtype: 'float' },
    ],
    args: [
      size('rows'),
      { name: 'cats', type: 'int', range: ['1', 'kMaxSize'] },
      size('samples'),
      flag('replacement'),
      block('out', 'out', ['rows', 'samples']),
      block('weights', 'weights', ['rows', 'cats']),
      dtypeOf('dtype', 'weights'),
      { name: 'seed', type: 'seed' },
      { name: 'offset', type: 'size', ctype: 'uint64_t' },
    ],
    validate: true,
    runIf: 'a.rows && a.samples',
  },
  {
    name: 'layerNorm',
    label: 'layer_norm',
    doc: 'out = (x - mean) * rstd * weight + bias over each row of contiguous [rows, cols]; writes mean[rows], rstd[rows]',
    storages: [
      { name: 'out', dtype: 'float' },
      { name: 'mean', nullable: true, dtype: 'same:out', doc: 'absent for rms' },
      { name: 'rstd', dtype: 'same:out' },
      { name: 'input', dtype: 'same:out' },
      { name: 'weight', nullable: true, dtype: 'same:out' },
      { name: 'bias', nullable: true, dtype: 'same:out' },
    ],
    args: [
      size('rows'),
      size('cols'),
      real('eps'),
      flag('rms'),
      block('out', 'out', ['rows', 'cols']),
      block('mean', 'mean', ['rows'], { nullable: true }),
      block('rstd', 'rstd', ['rows']),
      block('in', 'input', ['rows', 'cols'], { const: true }),
      block('weight', 'weight', ['cols'], { const: true, nullable: true }),
      block('bias', 'bias', ['cols'], { const: true, nullable: true }),
      dtypeOf('dtype', 'out'),
    ],
    runIf: 'a.rows > 0 && a.cols > 0',
  },
  {
    name: 'layerNormBackward',
    label: 'layer_norm_backward',
    doc: 'dx (and, when given, dweight[cols] / dbias[cols] summed over rows) from dy, x, mean, rstd of layerNorm; rms: no mean, no dbias',
    storages: [
      { name: 'dy', dtype: 'float' },
      { name: 'input', dtype: 'same:dy' },
      { name: 'mean', nullable: true, dtype: 'same:dy' },
      { name: 'rstd', dtype: 'same:dy' },
      { name: 'weight', nullable: true, dtype: 'same:dy' },
      { name: 'dx', nullable: true, dtype: 'same:dy' },
      { name: 'dweight', nullable: true, dtype: 'same:dy' },
      { name: 'dbias', nullable: true, dtype: 'same:dy' },
    ],
    args: [
      size('rows'),
      size('cols'),
      flag('rms'),
      block('dx', 'dx', ['rows', 'cols'], { nullable: true }),
      block('dweight', 'dweight', ['cols'], { nullable: true }),
      block('dbias', 'dbias', ['cols'], { nullable: true }),
      block('dy', 'dy', ['rows', 'cols'], { const: true }),
      block('in', 'input', ['rows', 'cols'], { const: true }),
      block('mean', 'mean', ['rows'], { const: true, nullable: true }),
      block('rstd', 'rstd', ['rows'], { const: true }),
      block('weight', 'weight', ['cols'], { const: true, nullable: true }),
      dtypeOf('dtype', 'dy'),
    ],
    validate: true,
    runIf: 'a.cols > 0',
  },
  {
    name: 'attentionForward',
    label: 'scaled_dot_product_attention',
    doc: 'fused attention over contiguous q [BH, L, E], k [BH, S, E], v [BH, S, Ev]: out [BH, L, Ev] and row log-sum-exp lse [BH, L]; tiled online softmax, never [L, S]; optional additive mask over `maskShape` [B1, B2, L, S] with B1 * B2 = BH (strided, may broadcast: bh = b1 * B2 + b2), causal (j <= i), dropout from Philox (seed, offset) at element (bh * L + i) * S + j',
    storages: [
      { name: 'out', dtype: 'float' },
      { name: 'lse', dtype: 'same:out' },
      { name: 'q', dtype: 'same:out' },
      { name: 'k', dtype: 'same:out' },
      { name: 'v', dtype: 'same:out' },
      { name: 'mask', nullable: true, dtype: 'same:out' },
    ],
    args: [
      ...['BH', 'L', 'S', 'E', 'Ev'].map(size),
      flag('causal'),
      real('scale'),
      real('dropoutP'),
      { name: 'seed', type: 'seed' },
      { name: 'offset', type: 'size', ctype: 'uint64_t' },
      shape('maskShape'),
      operand('mask', 'mask', 'maskShape'),
      block('out', 'out', ['BH', 'L', 'Ev']),
      block('lse', 'lse', ['BH', 'L']),
      block('q', 'q', ['BH', 'L', 'E'], { const: true }),
      block('k', 'k', ['BH', 'S', 'E'], { const: true }),
      block('v', 'v', ['BH', 'S', 'Ev'], { const: true }),
      dtypeOf('dtype', 'out'),
    ],
    validate: true,
    runIf: 'a.BH && a.L',
  },
  {
    name: 'attentionBackward',
    label: 'scaled_dot_product_attention_backward',
    doc: 'gradients dq, dk, dv of attentionForward from dout, out and lse (P recomputed per tile, the dropout mask regenerated); overwrites dq, dk, dv',
    storages: [
      { name: 'dq', dtype: 'float' },
      { name: 'dk', dtype: 'same:dq' },
      { name: 'dv', dtype: 'same:dq' },
      { name: 'q', dtype: 'same:dq' },
      { name: 'k', dtype: 'same:dq' },
      { name: 'v', dtype: 'same:dq' },
      { name: 'out', dtype: 'same:dq' },
      { name: 'dout', dtype: 'same:dq' },
      { name: 'lse', dtype: 'same:dq' },
      { name: 'mask', nullable: true, dtype: 'same:dq' },
    ],
    args: [
      ...['BH', 'L', 'S', 'E', 'Ev'].map(size),
      flag('causal'),
      real('scale'),
      real('dropoutP'),
      { name: 'seed', type: 'seed' },
      { name: 'offset', type: 'size', ctype: 'uint64_t' },
      shape('maskShape'),
      operand('mask', 'mask', 'maskShape'),
      block('dq', 'dq', ['BH', 'L', 'E']),
      block('dk', 'dk', ['BH', 'S', 'E']),
      block('dv', 'dv', ['BH', 'S', 'Ev']),
      block('q', 'q', ['BH', 'L', 'E'], { const: true }),
      block('k', 'k', ['BH', 'S', 'E'], { const: true }),
      block('v', 'v', ['BH', 'S', 'Ev'], { const: true }),
      block('out', 'out', ['BH', 'L', 'Ev'], { const: true }),
      block('dout', 'dout', ['BH', 'L', 'Ev'], { const: true }),
      block('lse', 'lse', ['BH', 'L'], { const: true }),
      dtypeOf('dtype', 'dq'),
    ],
    validate: true,
    runIf: 'a.BH && (a.L || a.S)',
  },
  // conv2d as one kernel per direction over contiguous NCHW blocks (issue 12):
  // the CPU runs oneDNN when it is loaded (float32) and direct loops otherwise,
  // CUDA direct loops; lib/ops/conv_engine.ts decides when the ops use them.
  ...[
    ['conv2dForward', 'conv2d_forward', 'out [N, Co, Ho, Wo] = conv2d(input, weight), no bias'],
    ['conv2dBackwardData', 'conv2d_backward_data', 'dx [N, C, H, W], the input gradient from dy and weight'],
    ['conv2dBackwardWeight', 'conv2d_backward_weight', 'dweight [Co, C/G, kh, kw], the weight gradient from x and dy'],
  ].map(([name, label, doc]) => {
    const x = ['N', 'C', 'H', 'W'];
    const y = ['N', 'Co', 'Ho', 'Wo'];
    const w = ['Co', 'Cg', 'kh', 'kw'];
    const roles = {
      conv2dForward: [
        ['out', y],
        ['input', x],
        ['weight', w],
      ],
      conv2dBackwardData: [
        ['dx', x],
        ['dy', y],
        ['weight', w],
      ],
      conv2dBackwardWeight: [
        ['dweight', w],
        ['input', x],
        ['dy', y],
      ],
    }[name];
    return {
      name,
      label,
      doc,
      storages: roles.map(([s], i) =>
        i === 0 ? { name: s, dtype: 'float' } : { name: s, dtype: `same:${roles[0][0]}` },
      ),
      args: [
        ...['N', 'C', 'H', 'W', 'Co', 'G', 'Cg', 'Ho', 'Wo'].map(size),
        ...['kh', 'kw', 'sh', 'sw', 'dh', 'dw'].map((n) => ({ name: n, type: 'int', range: ['1', 'kMaxSize'] })),
        ...['pt', 'pb', 'pl', 'pr'].map((n) => ({ name: n, type: 'int', range: ['0', 'kMaxSize'] })),
        ...roles.map(([s, dims], i) => block(s, s, dims, i === 0 ? {} : { const: true })),
        dtypeOf('dtype', roles[0][0]),
      ],
      validate: true,
      runIf: 'a.N && a.C && a.Co && a.Ho && a.Wo',
    };
  }),

  // ---- adaptive optimizers (issue 14): step-dependent scalars come from the host in double ----
  {
    name: 'adagrad',
    doc: 'multi-tensor Adagrad: sum += g*g, p -= clr * g / (sqrt(sum) + eps); clr = lr / (1 + (step - 1) * lrDecay) from the host',
    storages: [
      { name: 'params', list: true, dtype: 'float' },
      { name: 'grads', list: true },
      { name: 'sums', list: true },
    ],
    args: [
      real('clr'),
      real('eps'),
      real('weightDecay'),
      flag('maximize'),
      { name: 'numels', type: 'sizes', count: 'params' },
      { name: 'params', type: 'blocks', storage: 'params', numel: 'numels' },
      { name: 'grads', type: 'blocks', storage: 'grads', numel: 'numels' },
      { name: 'sums', type: 'blocks', storage: 'sums', numel: 'numels' },
      dtypeOf('dtype', 'params'),
    ],
    runIf: '!a.numels.empty()',
  },
  {
    name: 'adamax',
    doc: 'multi-tensor Adamax: m = beta1 * m + (1 - beta1) * g, u = max(beta2 * u, |g| + eps), p -= clr * m / u; clr = lr / (1 - beta1^step) from the host',
    storages: [
      { name: 'params', list: true, dtype: 'float' },
      { name: 'grads', list: true },
      { name: 'expAvg', list: true },
      { name: 'expInf', list: true },
    ],
    args: [
      real('beta1'),
      real('beta2'),
      real('eps'),
      real('weightDecay'),
      real('clr'),
      flag('maximize'),
      { name: 'numels', type: 'sizes', count: 'params' },
      { name: 'params', type: 'blocks', storage: 'params', numel: 'numels' },
      { name: 'grads', type: 'blocks', storage: 'grads', numel: 'numels' },
      { name: 'expAvg', type: 'blocks', storage: 'expAvg', numel: 'numels' },
      { name: 'expInf', type: 'blocks', storage: 'expInf', numel: 'numels' },
      dtypeOf('dtype', 'params'),
    ],
    runIf: '!a.numels.empty()',
  },
  {
    name: 'nadam',
    doc: 'multi-tensor NAdam (PyTorch 1.13): d = sqrt(v / bc2) + eps, p -= gradCoeff * g / d, then p -= avgCoeff * m / d; the coefficients come from the host',
    storages: [
      { name: 'params', list: true, dtype: 'float' },
      { name: 'grads', list: true },
      { name: 'expAvg', list: true },
      { name: 'expAvgSq', list: true },
    ],
    args: [
      real('beta1'),
      real('beta2'),
      real('eps'),
      real('weightDecay'),
      real('biasCorrection2'),
      real('gradCoeff'),
      real('avgCoeff'),
      { name: 'numels', type: 'sizes', count: 'params' },
      { name: 'params', type: 'blocks', storage: 'params', numel: 'numels' },
      { name: 'grads', type: 'blocks', storage: 'grads', numel: 'numels' },
      { name: 'expAvg', type: 'blocks', storage: 'expAvg', numel: 'numels' },
      { name: 'expAvgSq', type: 'blocks', storage: 'expAvgSq', numel: 'numels' },
      dtypeOf('dtype', 'params'),
    ],
    runIf: '!a.numels.empty()',
  },
  {
    name: 'radam',
    doc: 'multi-tensor RAdam: rectified p -= stepSize * m / (sqrt(v) + eps), else p -= stepSize * m; stepSize (rectification and bias corrections folded in) from the host',
    storages: [
      { name: 'params', list: true, dtype: 'float' },
      { name: 'grads', list: true },
      { name: 'expAvg', list: true },
      { name: 'expAvgSq', list: true },
    ],
    args: [
      real('beta1'),
      real('beta2'),
      real('eps'),
      real('weightDecay'),
      real('stepSize'),
      flag('rectified'),
      { name: 'numels', type: 'sizes', count: 'params' },
      { name: 'params', type: 'blocks', storage: 'params', numel: 'numels' },
      { name: 'grads', type: 'blocks', storage: 'grads', numel: 'numels' },
      { name: 'expAvg', type: 'blocks', storage: 'expAvg', numel: 'numels' },
      { name: 'expAvgSq', type: 'blocks', storage: 'expAvgSq', numel: 'numels' },
      dtypeOf('dtype', 'params'),
    ],
    runIf: '!a.numels.empty()',
  },
  {
    name: 'batchNormForward',
    label: 'batch_norm',
    doc: 'out = (x - mean) * invstd * weight + bias per channel c of contiguous [N, C, HW]. training: mean and biased variance over N * HW (double accumulators), saved to saveMean / saveInvstd when given; runningMean / runningVar, when given, move by momentum towards the mean and the unbiased variance. Otherwise the running stats are used, and saveMean / saveInvstd (when given) receive runningMean and 1 / sqrt(runningVar + eps)',
    storages: [
      { name: 'out', dtype: 'float' },
      { name: 'input', dtype: 'same:out' },
      { name: 'weight', nullable: true, dtype: 'same:out' },
      { name: 'bias', nullable: true, dtype: 'same:out' },
      { name: 'runningMean', nullable: true, dtype: 'same:out' },
      { name: 'runningVar', nullable: true, dtype: 'same:out' },
      { name: 'saveMean', nullable: true, dtype: 'same:out' },
      { name: 'saveInvstd', nullable: true, dtype: 'same:out' },
    ],
    args: [
      size('N'),
      size('C'),
      size('HW'),
      real('eps'),
      real('momentum'),
      flag('training'),
      block('out', 'out', ['N', 'C', 'HW']),
      block('in', 'input', ['N', 'C', 'HW'], { const: true }),
      block('weight', 'weight', ['C'], { const: true, nullable: true }),
      block('bias', 'bias', ['C'], { const: true, nullable: true }),
      block('runningMean', 'runningMean', ['C'], { nullable: true }),
      block('runningVar', 'runningVar', ['C'], { nullable: true }),
      block('saveMean', 'saveMean', ['C'], { nullable: true }),
      block('saveInvstd', 'saveInvstd', ['C'], { nullable: true }),
      dtypeOf('dtype', 'out'),
    ],
    validate: true,
    runIf: 'a.N > 0 && a.C > 0 && a.HW > 0',
  },
  {
    name: 'batchNormBackward',
    label: 'batch_norm_backward',
    doc: 'dx (and, when given, dweight[C] = sum dy * xhat, dbias[C] = sum dy) of batchNormForward over contiguous [N, C, HW], from dy, x and the per-channel mean / invstd it used; training: the batch-statistics formula dx = w * invstd * (dy - mean(dy) - xhat * mean(dy * xhat)), otherwise dx = w * invstd * dy (running stats are constants); eps is the forward one (cuDNN takes it)',
    storages: [
      { name: 'dy', dtype: 'float' },
      { name: 'input', dtype: 'same:dy' },
      { name: 'mean', dtype: 'same:dy' },
      { name: 'invstd', dtype: 'same:dy' },
      { name: 'weight', nullable: true, dtype: 'same:dy' },
      { name: 'dx', nullable: true, dtype: 'same:dy' },
      { name: 'dweight', nullable: true, dtype: 'same:dy' },
      { name: 'dbias', nullable: true, dtype: 'same:dy' },
    ],
    args: [
      size('N'),
      size('C'),
      size('HW'),
      real('eps'),
      flag('training'),
      block('dx', 'dx', ['N', 'C', 'HW'], { nullable: true }),
      block('dweight', 'dweight', ['C'], { nullable: true }),
      block('dbias', 'dbias', ['C'], { nullable: true }),
      block('dy', 'dy', ['N', 'C', 'HW'], { const: true }),
      block('in', 'input', ['N', 'C', 'HW'], { const: true }),
      block('mean', 'mean', ['C'], { const: true }),
      block('invstd', 'invstd', ['C'], { const: true }),
      block('weight', 'weight', ['C'], { const: true, nullable: true }),
      dtypeOf('dtype', 'dy'),
    ],
    runIf: 'a.C > 0',
  },
];

module.exports = { dtypes, devices, errorKinds, enums, kernels };
