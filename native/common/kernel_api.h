// The contract between the addon layer and every backend (CPU, CUDA).
//
// The addon validates everything memory safety depends on (handle tags,
// dtypes, devices, element counts against byte lengths, index ranges where
// cheap) and then calls a backend with one of the argument structs below.
// Backends see only pointers, sizes and strides. Each kernel of
// NT_KERNEL_LIST is a pure virtual of Backend, so a backend that misses one
// does not compile; the same list is exported to JS (kernelNames) and
// checked against the TypeScript declarations by a test.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dtype.h"
#include "errors.h"

namespace nt {

constexpr int kMaxDims = 8;

enum class DeviceType : int32_t { CPU = 0, CUDA = 1 };

// A strided operand: `data` already points at element [0,...,0] (offset
// applied); strides are in elements, may be 0 (broadcast), never negative.
struct Operand {
  void* data = nullptr;
  DType dtype = DType::Float32;
  int64_t strides[kMaxDims] = {0};
};

struct Shape {
  int ndim = 0;
  int64_t sizes[kMaxDims] = {0};
  int64_t numel() const {
    int64_t n = 1;
    for (int i = 0; i < ndim; ++i) n *= sizes[i];
    return n;
  }
};

// ---- op codes (numbering shared with bindings/kernels.ts) -----------------
enum class UnaryOp : int32_t {
  Neg = 0, Abs, Exp, Log, Sqrt, Rsqrt, Sigmoid, Tanh, Relu, Gelu,
  Sin, Cos, Sign, Square, Reciprocal, Floor, Ceil, Round, Log1p, Expm1,
  AddScalar,   // x + p0
  MulScalar,   // x * p0
  PowScalar,   // x ^ p0
  RsubScalar,  // p0 - x
  RdivScalar,  // p0 / x
  Clamp,       // min(max(x, p0), p1)   (p0=-inf / p1=+inf for one-sided)
  LeakyRelu,   // x > 0 ? x : p0 * x
  Erf,
  Count
};

enum class BinaryOp : int32_t {
  Add = 0,  // a + alpha * b
  Sub,      // a - alpha * b
  Mul, Div, Pow, Maximum, Minimum,
  Eq, Ne, Lt, Le, Gt, Ge,         // output Bool
  ReluBackward,     // a = grad, b = x   -> grad * (x > 0)
  SigmoidBackward,  // a = grad, b = y   -> grad * y * (1 - y)
  TanhBackward,     // a = grad, b = y   -> grad * (1 - y^2)
  GeluBackward,     // a = grad, b = x   -> grad * gelu'(x)
  LogicalAnd, LogicalOr,          // Bool inputs, Bool output
  Count
};

enum class ReduceOp : int32_t {
  Sum = 0, Mean, Max, Min, Prod, ArgMax, ArgMin, LogSumExp, Var, Count
};

// ---- argument structs ---------------------------------------------------
// Elementwise ops iterate `shape`; the output is strided too, so writes into
// views (cat, fill of a diagonal) need no extra copy.
struct FillArgs { Shape shape; Operand out; double value; };
struct CopyArgs { Shape shape; Operand out; Operand in; };  // casts dtype
struct ArangeArgs { int64_t n; Operand out; double start; double step; };
struct UnaryArgs { UnaryOp op; Shape shape; Operand out; Operand in; double p0, p1; };
// Arithmetic: out, a, b share a dtype. Comparisons: out Bool, a and b share.
struct BinaryArgs { BinaryOp op; Shape shape; Operand out; Operand a; Operand b; double alpha; };
struct WhereArgs { Shape shape; Operand out; Operand cond; Operand a; Operand b; };

// Reduce over the trailing `inner` dims of `in`; `outer` dims map to a
// contiguous output of outer.numel() elements. ArgMax/ArgMin write Int64 and
// require inner.ndim == 1. Var uses p0 as the correction (Bessel = 1).
struct ReduceArgs {
  ReduceOp op;
  Shape outer; Shape inner;
  Operand in;            // strides: outer.ndim entries then inner.ndim entries
  void* out; DType outDtype;
  double p0;
};

// Row-wise softmax over the last dim of a contiguous [rows, cols] tensor.
struct SoftmaxArgs { int64_t rows, cols; void* out; const void* in; DType dtype; bool log; };
// dx = y * (dy - sum(dy*y))  or for log: dx = dy - exp(y) * sum(dy)
struct SoftmaxBackwardArgs {
  int64_t rows, cols; void* dx; const void* dy; const void* y; DType dtype; bool log;
};

// C[b] = alpha * op(A[b]) @ op(B[b]) + beta * C[b], row-major. op(A) is M x K,
// op(B) is K x N, C is M x N with leading dimension ldc. Batch strides in
// elements (0 = broadcast). Float32 and Float64 only.
struct GemmArgs {
  int64_t batch, M, N, K;
  const void* A; int64_t lda, strideA; bool transA;
  const void* B; int64_t ldb, strideB; bool transB;
  void* C; int64_t ldc, strideC;
  DType dtype; double alpha, beta;
};

// Fused cross-entropy over contiguous logits [N, C] and integer targets [N]:
// one pass per row computes lse = logsumexp(x), the loss
//   (1-ls) * (lse - x[t]) + ls * (lse - mean(x))
// and, when dlogits is non-null, dloss/dlogits = softmax(x) - (1-ls)*onehot(t) - ls/C.
// Rows whose target equals ignoreIndex get loss 0 and a zero gradient.
// Targets outside [0, C) (other than ignoreIndex) raise IndexError.
struct CrossEntropyArgs {
  int64_t N, C;
  const void* logits; DType dtype;
  const void* targets; DType targetDtype;
  void* losses;     // [N], dtype
  void* dlogits;    // [N, C], dtype, or nullptr
  int64_t ignoreIndex; double labelSmoothing;
};

// Multi-tensor Adam/AdamW: one call updates every tensor of a group.
// Float32 or Float64; every list holds `numels.size()` entries.
struct AdamArgs {
  std::vector<void*> params, grads, expAvg, expAvgSq, maxExpAvgSq;  // maxExpAvgSq only when amsgrad
  std::vector<int64_t> numels;
  DType dtype;
  double lr, beta1, beta2, eps, weightDecay;
  double biasCorrection1, biasCorrection2;  // 1 - beta^t, computed on the host
  bool decoupled;  // AdamW
  bool amsgrad;
  bool maximize;
};

// Multi-tensor SGD with momentum, dampening, nesterov, weight decay.
struct SgdArgs {
  std::vector<void*> params, grads, momentumBufs;  // momentumBufs empty when momentum == 0
  std::vector<int64_t> numels;
  DType dtype;
  double lr, momentum, dampening, weightDecay;
  bool nesterov, firstStep, maximize;
};

// out[o, j, i] = in[o, index[j], i];  in is contiguous [outer, dimSize, inner].
struct IndexSelectArgs {
  int64_t outer, dimSize, inner, nIndex;
  void* out; const void* in; DType dtype;
  const void* index; DType indexDtype;
};
// out[o, index[j], i] += src[o, j, i]   (backward of index_select)
struct IndexAddArgs {
  int64_t outer, dimSize, inner, nIndex;
  void* out; const void* src; DType dtype;
  const void* index; DType indexDtype;
};
// torch.gather / scatter_add along `dim` over contiguous tensors.
// gather:  out[..j..] = in[..index[..j..]..]   out and index share `shape`
// scatterAdd: out[..index[..j..]..] += src[..j..]
struct GatherArgs {
  int dim; Shape shape;           // shape of index (== out for gather, == src for scatter)
  Shape selfShape;                // shape of in (gather) / out (scatter)
  void* out; const void* in; DType dtype;
  const void* index; DType indexDtype;
};

// Counter-based Philox4x32-10 streams: element i uses counter (offset + i/4).
// The same seed and offset give the same numbers on every device.
enum class RandomKind : int32_t { Uniform = 0, Normal, Int, Bernoulli };
struct RandomArgs {
  RandomKind kind; int64_t n; void* out; DType dtype;
  uint64_t seed, offset;
  double a, b;  // uniform [a,b); normal mean a std b; int [a,b); bernoulli p=a value=b
};

#define NT_KERNEL_LIST(X)                  \
  X(fill, FillArgs)                        \
  X(copy, CopyArgs)                        \
  X(arange, ArangeArgs)                    \
  X(unary, UnaryArgs)                      \
  X(binary, BinaryArgs)                    \
  X(where, WhereArgs)                      \
  X(reduce, ReduceArgs)                    \
  X(softmax, SoftmaxArgs)                  \
  X(softmaxBackward, SoftmaxBackwardArgs)  \
  X(gemm, GemmArgs)                        \
  X(crossEntropy, CrossEntropyArgs)        \
  X(adam, AdamArgs)                        \
  X(sgd, SgdArgs)                          \
  X(indexSelect, IndexSelectArgs)          \
  X(indexAdd, IndexAddArgs)                \
  X(gather, GatherArgs)                    \
  X(scatterAdd, GatherArgs)                \
  X(random, RandomArgs)

// A backend owns its memory and runs kernels. Errors are thrown as nt::Error.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual DeviceType device() const = 0;
  virtual const char* name() const = 0;

  // Memory. alloc never returns nullptr for nbytes > 0 (throws OutOfMemory).
  virtual void* alloc(size_t nbytes) = 0;
  virtual void release(void* ptr, size_t nbytes) = 0;
  virtual void copyFromHost(void* dst, const void* src, size_t nbytes) = 0;
  virtual void copyToHost(void* dst, const void* src, size_t nbytes) = 0;
  virtual void synchronize() = 0;

#define NT_DECLARE_KERNEL(name, Args) virtual void name(const Args& args) = 0;
  NT_KERNEL_LIST(NT_DECLARE_KERNEL)
#undef NT_DECLARE_KERNEL
};

// Names of NT_KERNEL_LIST, in order.
const std::vector<std::string>& kernelNames();

// The CPU backend always exists.
Backend& cpuBackend();

}  // namespace nt
