/*
 * Reductions over the trailing `inner` dims of a strided input into a
 * contiguous [outer] output: Sum, Mean, Max, Min, Prod, ArgMax, ArgMin,
 * LogSumExp, Var. Each op is a small "reducer" (state, add, combine, finish)
 * run by one of two layouts:
 *   rows:    a group of threads per output element walks the inner range
 *            (inner dims contiguous or small);
 *   columns: one thread per output element, threads of a warp on adjacent
 *            outputs (reducing leading dims of a row-major tensor, e.g. the
 *            bias gradient sum over the batch), split over blockDim.y.
 * When there are few outputs and many inputs, the inner range is split over
 * blockIdx.y, partial states go to a scratch buffer and a second kernel
 * combines them, so a full reduction of a large tensor uses the whole GPU.
 * Combination order is fixed, so results are deterministic.
 */
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>

#include "common/codes.gen.h"
#include "cuda/device_utils.cuh"
#include "cuda/kernels.h"

namespace nt {
namespace cuda {
namespace {

// Sums and products: floats in double (like the CPU twin), integers in
// wrapping uint64 read back as int64.
template <typename T>
using AccOf = typename std::conditional<std::is_floating_point<T>::value, double, uint64_t>::type;

template <typename T>
__device__ __forceinline__ AccOf<T> toAcc(T x) {
  if constexpr (std::is_floating_point<T>::value) return double(x);
  else return uint64_t(int64_t(x));
}
template <typename A>
__device__ __forceinline__ auto accValue(A s) {
  if constexpr (std::is_floating_point<A>::value) return s;
  else return int64_t(s);
}

template <typename T>
__device__ __forceinline__ bool isNaN(T x) {
  if constexpr (std::is_floating_point<T>::value) return isnan(x);
  else return false;
}

// ---- reducers: State, init, add(x, index), combine, finish(count, p0) ------

template <typename T, bool kMean>
struct SumR {
  using In = T;
  using A = AccOf<T>;
  struct State {
    A s;
  };
  __device__ State init() const { return {A(0)}; }
  __device__ void add(State& st, T x, int64_t) const { st.s += toAcc(x); }
  __device__ State combine(State a, State b) const { return {a.s + b.s}; }
  __device__ auto finish(State st, int64_t n, double) const {
    if constexpr (kMean) return double(accValue(st.s)) / double(n);
    else return accValue(st.s);
  }
};

template <typename T>
struct ProdR {
  using In = T;
  using A = AccOf<T>;
  struct State {
    A s;
  };
  __device__ State init() const { return {A(1)}; }
  __device__ void add(State& st, T x, int64_t) const { st.s *= toAcc(x); }
  __device__ State combine(State a, State b) const { return {a.s * b.s}; }
  __device__ auto finish(State st, int64_t, double) const { return accValue(st.s); }
};

// Max (kMax) or Min; NaN wins, like torch.
template <typename T, bool kMax>
struct ExtremeR {
  using In = T;
  struct State {
    T v;
  };
  __device__ State init() const {
    if constexpr (std::is_floating_point<T>::value) return {kMax ? T(-INFINITY) : T(INFINITY)};
    else return {kMax ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max()};
  }
  __device__ static T pick(T a, T b) {
    if (isNaN(a)) return a;
    if (isNaN(b)) return b;
    return kMax ? (b > a ? b : a) : (b < a ? b : a);
  }
  __device__ void add(State& st, T x, int64_t) const { st.v = pick(st.v, x); }
  __device__ State combine(State a, State b) const { return {pick(a.v, b.v)}; }
  __device__ T finish(State st, int64_t, double) const { return st.v; }
};

// ArgMax / ArgMin over a 1-D inner range: first index of the extreme; NaN
// counts as the extreme.
template <typename T, bool kMax>
struct ArgR {
  using In = T;
  struct State {
    T v;
    int64_t i;
  };  // i < 0: empty
  __device__ State init() const { return {T(0), -1}; }
  __device__ static bool better(const State& b, const State& a) {  // is b preferred over a?
    if (b.i < 0) return false;
    if (a.i < 0) return true;
    if (isNaN(a.v)) return isNaN(b.v) && b.i < a.i;
    if (isNaN(b.v)) return true;
    if (b.v == a.v) return b.i < a.i;
    return kMax ? b.v > a.v : b.v < a.v;
  }
  __device__ void add(State& st, T x, int64_t idx) const {
    State c{x, idx};
    if (better(c, st)) st = c;
  }
  __device__ State combine(State a, State b) const { return better(b, a) ? b : a; }
  __device__ int64_t finish(State st, int64_t, double) const { return st.i < 0 ? 0 : st.i; }
};

// log(sum(exp(x))) with a running max (online softmax normalizer).
template <typename T>
struct LseR {
  using In = T;
  using L = typename std::conditional<std::is_floating_point<T>::value, T, double>::type;
  using State = Lse<L>;
  __device__ State init() const { return lseInit<L>(); }
  __device__ void add(State& st, T x, int64_t) const { lseAdd(st, L(x)); }
  __device__ State combine(State a, State b) const { return lseCombine(a, b); }
  __device__ L finish(State st, int64_t, double) const { return lseValue(st); }
};

// Variance with correction p0 (Welford updates, Chan's combination).
// Accumulates in double like the CPU twin.
template <typename T>
struct VarR {
  using In = T;
  struct State {
    double mean, m2;
    int64_t n;
  };
  __device__ State init() const { return {0.0, 0.0, 0}; }
  __device__ void add(State& st, T xv, int64_t) const {
    const double x = double(xv);
    st.n += 1;
    const double d = x - st.mean;
    st.mean += d / double(st.n);
    st.m2 += d * (x - st.mean);
  }
  __device__ State combine(State a, State b) const {
    if (a.n == 0) return b;
    if (b.n == 0) return a;
    const int64_t n = a.n + b.n;
    const double d = b.mean - a.mean;
    const double fb = double(b.n) / double(n);
    return {a.mean + d * fb, a.m2 + b.m2 + d * d * double(a.n) * fb, n};
  }
  __device__ double finish(State st, int64_t, double correction) const {
    const double dof = double(st.n) - correction;  // M2 / max(0, N - correction), like torch
    return st.m2 / (dof > 0.0 ? dof : 0.0);
  }
};

// out[o] = v converted to the output dtype.
template <typename V>
__device__ __forceinline__ void storeAs(void* out, DType dt, int64_t o, V v) {
  switch (dt) {
    case DType::Float32: static_cast<float*>(out)[o] = castValue<float>(v); break;
    case DType::Float64: static_cast<double*>(out)[o] = castValue<double>(v); break;
    case DType::Int32: static_cast<int32_t*>(out)[o] = castValue<int32_t>(v); break;
    case DType::Int64: static_cast<int64_t*>(out)[o] = castValue<int64_t>(v); break;
    case DType::UInt8: static_cast<uint8_t*>(out)[o] = castValue<uint8_t>(v); break;
    case DType::Bool: static_cast<uint8_t*>(out)[o] = v != V(0); break;
  }
}

struct ReduceGeom {
  StridedPack<1> outer, inner;
  int64_t outerN, innerN;
  int splits;
  void* out;
  DType outDtype;
  double p0;
};

// ---- kernels ---------------------------------------------------------------

// Rows layout. block (tx, ty): ty output rows per block, tx threads per row;
// blockIdx.y = split of the inner range. in: strided [outer..., inner...].
template <typename R>
__global__ void __launch_bounds__(512)
    reduceRows(R r, ReduceGeom g, const typename R::In* in, typename R::State* partial) {
  using State = typename R::State;
  extern __shared__ __align__(16) unsigned char smem[];
  const int64_t row = int64_t(blockIdx.x) * blockDim.y + threadIdx.y;
  const bool valid = row < g.outerN;
  const int64_t chunk = (g.innerN + g.splits - 1) / g.splits;
  const int64_t begin = int64_t(blockIdx.y) * chunk;
  const int64_t end = min(g.innerN, begin + chunk);
  State st = r.init();
  if (valid) {
    int64_t base[1];
    packOffsets(g.outer, row, base);
    for (int64_t j = begin + threadIdx.x; j < end; j += blockDim.x) {
      int64_t off[1];
      packOffsets(g.inner, j, off);
      r.add(st, in[base[0] + off[0]], j);
    }
  }
  st = rowReduce(
      st, [&](const State& a, const State& b) { return r.combine(a, b); }, reinterpret_cast<State*>(smem));
  if (valid && threadIdx.x == 0) {
    if (g.splits == 1) storeAs(g.out, g.outDtype, row, r.finish(st, g.innerN, g.p0));
    else partial[row * g.splits + blockIdx.y] = st;
  }
}

// Columns layout. block (32, 8): x = output element (adjacent in memory),
// y walks the inner range; blockIdx.y = split of the inner range.
template <typename R>
__global__ void __launch_bounds__(256)
    reduceCols(R r, ReduceGeom g, const typename R::In* in, typename R::State* partial) {
  using State = typename R::State;
  __shared__ State shm[8][32];
  const int64_t col = int64_t(blockIdx.x) * 32 + threadIdx.x;
  const bool valid = col < g.outerN;
  const int64_t chunk = (g.innerN + g.splits - 1) / g.splits;
  const int64_t begin = int64_t(blockIdx.y) * chunk;
  const int64_t end = min(g.innerN, begin + chunk);
  State st = r.init();
  if (valid) {
    int64_t base[1];
    packOffsets(g.outer, col, base);
    for (int64_t j = begin + threadIdx.y; j < end; j += 8) {
      int64_t off[1];
      packOffsets(g.inner, j, off);
      r.add(st, in[base[0] + off[0]], j);
    }
  }
  shm[threadIdx.y][threadIdx.x] = st;
  __syncthreads();
  if (valid && threadIdx.y == 0) {
    for (int k = 1; k < 8; ++k) st = r.combine(st, shm[k][threadIdx.x]);
    if (g.splits == 1) storeAs(g.out, g.outDtype, col, r.finish(st, g.innerN, g.p0));
    else partial[col * g.splits + blockIdx.y] = st;
  }
}

// Combines partial states [outer, splits] -> out [outer]. One block per row.
template <typename R>
__global__ void __launch_bounds__(1024) reduceFinish(R r, ReduceGeom g, const typename R::State* partial) {
  using State = typename R::State;
  extern __shared__ __align__(16) unsigned char smem[];
  const int64_t row = blockIdx.x;
  State st = r.init();
  for (int k = threadIdx.x; k < g.splits; k += blockDim.x) st = r.combine(st, partial[row * g.splits + k]);
  st = rowReduce(
      st, [&](const State& a, const State& b) { return r.combine(a, b); }, reinterpret_cast<State*>(smem));
  if (threadIdx.x == 0) storeAs(g.out, g.outDtype, row, r.finish(st, g.innerN, g.p0));
}

// ---- host ------------------------------------------------------------------

template <typename R>
void runReduce(const Ctx& c, const ReduceArgs& a, R r) {
  using State = typename R::State;
  using In = typename R::In;
  ReduceGeom g{};
  g.outerN = a.outer.numel();
  g.innerN = a.inner.numel();
  if (g.outerN == 0) return;
  const int64_t* os[1] = {a.in.strides};
  const int64_t* is[1] = {a.in.strides + a.outer.ndim};
  g.outer = makePack<1>(a.outer, os);
  g.inner = makePack<1>(a.inner, is);
  g.out = a.out;
  g.outDtype = a.outDtype;
  g.p0 = a.p0;
  const In* in = static_cast<const In*>(a.in.data);
  const int64_t sm = c.smCount;

  const bool columns = g.outerN > 1 && g.outer.strides[0][0] == 1 && g.inner.strides[0][0] != 1;
  if (columns) {
    const int64_t blocks = (g.outerN + 31) / 32;
    int64_t splits = 1;
    if (blocks < 2 * sm && g.innerN >= 1024)
      splits = std::max<int64_t>(1, std::min<int64_t>({4 * sm / blocks, (g.innerN + 255) / 256, 1024}));
    g.splits = int(splits);
    if (blocks > INT32_MAX)
      throw Error(ErrorKind::Argument, "reduce: output too large, got " + std::to_string(g.outerN) + " elements");
    TempBuffer part(*c.alloc, splits > 1 ? size_t(g.outerN) * splits * sizeof(State) : 0);
    reduceCols<R><<<dim3(unsigned(blocks), unsigned(splits)), dim3(32, 8), 0, c.stream>>>(
        r, g, in, static_cast<State*>(part.get()));
    checkLaunch("reduce");
    if (splits > 1) {
      const int tx = nextPow2(splits, 32, 1024);
      reduceFinish<R><<<unsigned(g.outerN), dim3(tx, 1), 32 * sizeof(State), c.stream>>>(
          r, g, static_cast<const State*>(part.get()));
      checkLaunch("reduce");
    }
    return;
  }

  // Rows layout: pick the split first, then threads per row from the slice length.
  int ty = 1;
  int64_t splits = 1;
  int tx = nextPow2(g.innerN, 32, 512);
  ty = tx >= 256 ? 1 : 256 / tx;
  int64_t blocks = (g.outerN + ty - 1) / ty;
  if (blocks < 2 * sm && g.innerN >= 16384) {
    splits = std::max<int64_t>(1, std::min<int64_t>({4 * sm / blocks, (g.innerN + 4095) / 4096, 1024}));
  }
  g.splits = int(splits);
  if (blocks > INT32_MAX)
    throw Error(ErrorKind::Argument, "reduce: output too large, got " + std::to_string(g.outerN) + " elements");
  TempBuffer part(*c.alloc, splits > 1 ? size_t(g.outerN) * splits * sizeof(State) : 0);
  reduceRows<R><<<dim3(unsigned(blocks), unsigned(splits)), dim3(tx, ty), ty * 32 * sizeof(State), c.stream>>>(
      r, g, in, static_cast<State*>(part.get()));
  checkLaunch("reduce");
  if (splits > 1) {
    const int ftx = nextPow2(splits, 32, 1024);
    reduceFinish<R><<<unsigned(g.outerN), dim3(ftx, 1), 32 * sizeof(State), c.stream>>>(
        r, g, static_cast<const State*>(part.get()));
    checkLaunch("reduce");
  }
}

}  // namespace

// out[outer] = op over inner of in[outer, inner]. Checks and empty-input
// results match the CPU twin.
void launchReduce(const Ctx& c, const ReduceArgs& a) {
  const std::string name = std::string("reduce(") + reduceName(a.op) + ")";
  const bool isArg = a.op == ReduceOp::ArgMax || a.op == ReduceOp::ArgMin;
  if (isArg && a.outDtype != DType::Int64)
    throw Error(ErrorKind::DType, name + ": expected an int64 output, got " + dtypeName(a.outDtype));
  if (isArg && a.inner.ndim != 1)
    throw Error(ErrorKind::Shape, name + ": expected one reduced dim, got " + std::to_string(a.inner.ndim));
  if (a.inner.numel() == 0 && (a.op == ReduceOp::Max || a.op == ReduceOp::Min || isArg))
    throw Error(ErrorKind::Shape, name + ": expected a non-empty reduced dimension, got 0 elements");
  const DType dt = a.in.dtype;
  switch (a.op) {
    case ReduceOp::Sum: NT_DISPATCH_ALL(dt, [&] { runReduce(c, a, SumR<T, false>{}); }); break;
    case ReduceOp::Mean: NT_DISPATCH_ALL(dt, [&] { runReduce(c, a, SumR<T, true>{}); }); break;
    case ReduceOp::Prod: NT_DISPATCH_ALL(dt, [&] { runReduce(c, a, ProdR<T>{}); }); break;
    case ReduceOp::Max: NT_DISPATCH_ALL(dt, [&] { runReduce(c, a, ExtremeR<T, true>{}); }); break;
    case ReduceOp::Min: NT_DISPATCH_ALL(dt, [&] { runReduce(c, a, ExtremeR<T, false>{}); }); break;
    case ReduceOp::ArgMax: NT_DISPATCH_ALL(dt, [&] { runReduce(c, a, ArgR<T, true>{}); }); break;
    case ReduceOp::ArgMin: NT_DISPATCH_ALL(dt, [&] { runReduce(c, a, ArgR<T, false>{}); }); break;
    case ReduceOp::LogSumExp: NT_DISPATCH_ALL(dt, [&] { runReduce(c, a, LseR<T>{}); }); break;
    case ReduceOp::Var: NT_DISPATCH_ALL(dt, [&] { runReduce(c, a, VarR<T>{}); }); break;
    default: throw Error(ErrorKind::Argument, "reduce: unknown op code " + std::to_string(int(a.op)));
  }
}

}  // namespace cuda
}  // namespace nt
