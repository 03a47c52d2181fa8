// Reductions over the trailing `inner` dims: Sum, Mean, Max, Min, Prod,
// ArgMax, ArgMin, LogSumExp, Var (correction p0).
//
// Each op is a small reducer (state + run over a strided 1-d run + merge).
// Float sums accumulate in double over 8 independent lanes (fast and far
// more accurate than a float running sum); integer sums and products in
// 64-bit wrapping arithmetic. Paths:
//  - column sums: a contiguous [R, C] reduced over R (bias gradients) adds
//    whole rows into a block of accumulators instead of striding down columns;
//  - long reductions (inner > kChunk) are split into fixed chunks whose
//    partial states merge in order, so results never depend on thread count;
//  - otherwise parallel over output elements, each reduced serially.
// Max/Min/ArgMax/ArgMin propagate NaN like PyTorch (ArgMax -> first NaN).
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "common/codes.gen.h"
#include "cpu/kernels_cpu.h"
#include "cpu/loops.h"

namespace nt {
namespace cpu {
namespace {

constexpr int64_t kChunk = 65536;

template <class V>
void store(void* out, DType d, int64_t i, V v) {
  switch (d) {
    case DType::Float32: static_cast<float*>(out)[i] = castValue<float>(v); break;
    case DType::Float64: static_cast<double*>(out)[i] = castValue<double>(v); break;
    case DType::Int32: static_cast<int32_t*>(out)[i] = castValue<int32_t>(v); break;
    case DType::Int64: static_cast<int64_t*>(out)[i] = castValue<int64_t>(v); break;
    case DType::UInt8: static_cast<uint8_t*>(out)[i] = castValue<uint8_t>(v); break;
    case DType::Bool: static_cast<uint8_t*>(out)[i] = uint8_t(v != V(0)); break;
  }
}

struct Ctx {
  void* out;
  DType outDtype;
  int64_t count;  // elements reduced per output
  double correction;
};

// Float sums in double; integer sums in uint64 (wraps, no UB) read as int64.
template <class T>
using SumAcc = std::conditional_t<std::is_floating_point_v<T>, double, uint64_t>;
template <class T>
SumAcc<T> toAcc(T x) {
  if constexpr (std::is_floating_point_v<T>) return double(x);
  else return uint64_t(int64_t(x));
}
template <class T>
auto accValue(SumAcc<T> s) {
  if constexpr (std::is_floating_point_v<T>) return s;
  else return int64_t(s);
}

template <class T, bool kMean>
struct SumR {
  using A = SumAcc<T>;
  A s = 0;
  void run(const T* p, int64_t st, int64_t n, int64_t) {
    A l[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = 0;
    if (st == 1) {
      for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; ++k) l[k] += toAcc(p[i + k]);
    }
    for (; i < n; ++i) l[0] += toAcc(p[i * st]);
    s += ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
  }
  void merge(const SumR& o) { s += o.s; }
  void write(const Ctx& c, int64_t i) const {
    if constexpr (kMean) store(c.out, c.outDtype, i, double(accValue<T>(s)) / double(c.count));
    else store(c.out, c.outDtype, i, accValue<T>(s));
  }
};

template <class T>
struct ProdR {
  using A = SumAcc<T>;
  A s = 1;
  void run(const T* p, int64_t st, int64_t n, int64_t) {
    for (int64_t i = 0; i < n; ++i) s *= toAcc(p[i * st]);
  }
  void merge(const ProdR& o) { s *= o.s; }
  void write(const Ctx& c, int64_t i) const { store(c.out, c.outDtype, i, accValue<T>(s)); }
};

template <class T, bool kMax>
struct ExtremeR {
  T best{};
  bool any = false, nan = false;
  void run(const T* p, int64_t st, int64_t n, int64_t) {
    if (n <= 0) return;
    T b = any ? best : p[0];
    bool sawNan = false;
    for (int64_t i = 0; i < n; ++i) {
      const T x = p[i * st];
      b = (kMax ? x > b : x < b) ? x : b;
      if constexpr (std::is_floating_point_v<T>) sawNan |= x != x;
    }
    best = b;
    any = true;
    nan |= sawNan;
  }
  void merge(const ExtremeR& o) {
    if (!o.any) return;
    if (!any || (kMax ? o.best > best : o.best < best)) best = o.best;
    any = true;
    nan |= o.nan;
  }
  void write(const Ctx& c, int64_t i) const {
    if constexpr (std::is_floating_point_v<T>)
      if (nan) return store(c.out, c.outDtype, i, std::numeric_limits<T>::quiet_NaN());
    store(c.out, c.outDtype, i, best);
  }
};

// First index of the extreme value; the first NaN wins over everything.
template <class T, bool kMax>
struct ArgR {
  T best{};
  int64_t idx = 0;
  bool any = false;
  bool isNan() const {
    if constexpr (std::is_floating_point_v<T>) return any && best != best;
    else return false;
  }
  void run(const T* p, int64_t st, int64_t n, int64_t pos) {
    if (isNan()) return;
    for (int64_t i = 0; i < n; ++i) {
      const T x = p[i * st];
      if constexpr (std::is_floating_point_v<T>) {
        if (x != x) {
          best = x;
          idx = pos + i;
          any = true;
          return;
        }
      }
      if (!any || (kMax ? x > best : x < best)) {
        best = x;
        idx = pos + i;
        any = true;
      }
    }
  }
  void merge(const ArgR& o) {
    if (!o.any || isNan()) return;
    if (!any || o.isNan() || (kMax ? o.best > best : o.best < best)) *this = o;
  }
  void write(const Ctx& c, int64_t i) const { static_cast<int64_t*>(c.out)[i] = idx; }
};

// log(sum(exp(x))) as (max m, sum of exp(x - m)); each run is done in two
// passes (its max, then the exp-sum) and merged by rescaling.
template <class T>
struct LseR {
  double m = -INFINITY, s = 0.0;
  bool nan = false, posInf = false;
  void add(double mr, double sr) {
    const double M = std::max(m, mr);
    s = s * std::exp(m - M) + sr * std::exp(mr - M);
    m = M;
  }
  void run(const T* p, int64_t st, int64_t n, int64_t) {
    double mr = -INFINITY;
    for (int64_t i = 0; i < n; ++i) {
      const double x = double(p[i * st]);
      if (x != x) nan = true;
      else if (x > mr) mr = x;
    }
    if (nan || mr == -INFINITY) return;  // all -inf adds exp(-inf) = 0
    if (mr == INFINITY) {
      posInf = true;
      return;
    }
    double sr = 0.0;
    for (int64_t i = 0; i < n; ++i) sr += std::exp(double(p[i * st]) - mr);
    add(mr, sr);
  }
  void merge(const LseR& o) {
    nan |= o.nan;
    posInf |= o.posInf;
    if (o.m != -INFINITY) add(o.m, o.s);
  }
  void write(const Ctx& c, int64_t i) const {
    double r = nan ? NAN : posInf ? INFINITY : m == -INFINITY ? -INFINITY : m + std::log(s);
    store(c.out, c.outDtype, i, r);
  }
};

// Variance: per run (count, mean, M2) by two passes, merged with Chan's
// formula, so long runs keep full accuracy.
template <class T>
struct VarR {
  int64_t n = 0;
  double mean = 0.0, m2 = 0.0;
  void add(int64_t nb, double meanb, double m2b) {
    if (nb == 0) return;
    const int64_t N = n + nb;
    const double delta = meanb - mean;
    mean += delta * double(nb) / double(N);
    m2 += m2b + delta * delta * double(n) * double(nb) / double(N);
    n = N;
  }
  void run(const T* p, int64_t st, int64_t cnt, int64_t) {
    if (cnt <= 0) return;
    double sum = 0.0;
    for (int64_t i = 0; i < cnt; ++i) sum += double(p[i * st]);
    const double mr = sum / double(cnt);
    double q = 0.0;
    for (int64_t i = 0; i < cnt; ++i) {
      const double d = double(p[i * st]) - mr;
      q += d * d;
    }
    add(cnt, mr, q);
  }
  void merge(const VarR& o) { add(o.n, o.mean, o.m2); }
  void write(const Ctx& c, int64_t i) const {
    // PyTorch: M2 / max(0, N - correction) (0/0 = NaN for one element).
    const double dof = std::max(0.0, double(n) - c.correction);
    store(c.out, c.outDtype, i, m2 / dof);
  }
};

// Reduces the inner region starting at `base` over inner flat range [lo, hi).
template <class T, class R>
void reduceRange(R& r, const Loop<1>& inner, char* base, int64_t lo, int64_t hi) {
  Loop<1> L = inner;
  L.base[0] = base;
  int64_t pos = lo;
  forRange(L, lo, hi, [&](char** p, const int64_t* s, int64_t n) {
    r.run(reinterpret_cast<const T*>(p[0]), s[0] / int64_t(sizeof(T)), n, pos);
    pos += n;
  });
}

template <class T, class R>
void reduceWith(const ReduceArgs& a, const Loop<1>& outer, const Loop<1>& inner, const Ctx& c) {
  const int64_t nOut = outer.numel, nIn = inner.numel;
  if (nIn > kChunk) {
    const int64_t nChunks = (nIn + kChunk - 1) / kChunk;
    std::vector<R> parts(static_cast<size_t>(nChunks));
    int64_t o = 0;
    forRange(outer, 0, nOut, [&](char** p, const int64_t* s, int64_t n) {
      for (int64_t j = 0; j < n; ++j, ++o) {
        char* base = p[0] + j * s[0];
        parallelFor(0, nChunks, 1, [&](int64_t lo, int64_t hi) {
          for (int64_t k = lo; k < hi; ++k) {
            parts[k] = R();
            reduceRange<T>(parts[k], inner, base, k * kChunk, std::min(nIn, (k + 1) * kChunk));
          }
        });
        R r;
        for (const R& part : parts) r.merge(part);
        r.write(c, o);
      }
    });
    return;
  }
  const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(1, nIn));
  parallelFor(0, nOut, grain, [&](int64_t lo, int64_t hi) {
    int64_t o = lo;
    forRange(outer, lo, hi, [&](char** p, const int64_t* s, int64_t n) {
      for (int64_t j = 0; j < n; ++j, ++o) {
        R r;
        reduceRange<T>(r, inner, p[0] + j * s[0], 0, nIn);
        r.write(c, o);
      }
    });
  });
}

// Sum/Mean of a [R, C] layout with contiguous C over R: rows are added into
// a block of column accumulators (cache friendly, vectorizes).
template <class T, bool kMean>
void columnSum(const T* in, int64_t rows, int64_t rowStride, int64_t cols, const Ctx& c) {
  using A = SumAcc<T>;
  constexpr int64_t kBlock = 512;
  const int64_t grain = std::max<int64_t>(kBlock, kGrain / std::max<int64_t>(1, rows));
  parallelFor(0, cols, grain, [&](int64_t lo, int64_t hi) {
    A acc[kBlock];
    for (int64_t c0 = lo; c0 < hi; c0 += kBlock) {
      const int64_t w = std::min(kBlock, hi - c0);
      for (int64_t j = 0; j < w; ++j) acc[j] = 0;
      for (int64_t r = 0; r < rows; ++r) {
        const T* row = in + r * rowStride + c0;
        for (int64_t j = 0; j < w; ++j) acc[j] += toAcc(row[j]);
      }
      for (int64_t j = 0; j < w; ++j) {
        if constexpr (kMean) store(c.out, c.outDtype, c0 + j, double(accValue<T>(acc[j])) / double(rows));
        else store(c.out, c.outDtype, c0 + j, accValue<T>(acc[j]));
      }
    }
  });
}

Loop<1> partLoop(const Shape& shape, const int64_t* strides, const ReduceArgs& a) {
  Operand op;
  op.data = a.in.data;
  op.dtype = a.in.dtype;
  for (int d = 0; d < shape.ndim; ++d) op.strides[d] = strides[d];
  const Operand* ops[1] = {&op};
  return makeLoop<1>(shape, ops);
}

template <class T>
void reduceTyped(const ReduceArgs& a, const Loop<1>& outer, const Loop<1>& inner, const Ctx& c) {
  const bool colPath = (a.op == ReduceOp::Sum || a.op == ReduceOp::Mean) && outer.ndim == 1 && inner.ndim == 1 &&
                       outer.sizes[0] > 1 && inner.sizes[0] > 1 && outer.strides[0][0] == int64_t(sizeof(T)) &&
                       inner.strides[0][0] >= outer.sizes[0] * int64_t(sizeof(T));
  if (colPath) {
    const T* in = static_cast<const T*>(a.in.data);
    const int64_t rowStride = inner.strides[0][0] / int64_t(sizeof(T));
    if (a.op == ReduceOp::Mean) return columnSum<T, true>(in, inner.sizes[0], rowStride, outer.sizes[0], c);
    return columnSum<T, false>(in, inner.sizes[0], rowStride, outer.sizes[0], c);
  }
  switch (a.op) {
    case ReduceOp::Sum: return reduceWith<T, SumR<T, false>>(a, outer, inner, c);
    case ReduceOp::Mean: return reduceWith<T, SumR<T, true>>(a, outer, inner, c);
    case ReduceOp::Max: return reduceWith<T, ExtremeR<T, true>>(a, outer, inner, c);
    case ReduceOp::Min: return reduceWith<T, ExtremeR<T, false>>(a, outer, inner, c);
    case ReduceOp::Prod: return reduceWith<T, ProdR<T>>(a, outer, inner, c);
    case ReduceOp::ArgMax: return reduceWith<T, ArgR<T, true>>(a, outer, inner, c);
    case ReduceOp::ArgMin: return reduceWith<T, ArgR<T, false>>(a, outer, inner, c);
    case ReduceOp::LogSumExp: return reduceWith<T, LseR<T>>(a, outer, inner, c);
    case ReduceOp::Var: return reduceWith<T, VarR<T>>(a, outer, inner, c);
    default: throw Error(ErrorKind::Argument, "reduce: unknown op code " + std::to_string(int(a.op)));
  }
}

}  // namespace

void reduce(const ReduceArgs& a) {
  const std::string name = std::string("reduce(") + reduceName(a.op) + ")";
  const int64_t nOut = a.outer.numel(), nIn = a.inner.numel();
  const bool isArg = a.op == ReduceOp::ArgMax || a.op == ReduceOp::ArgMin;
  if (isArg && a.outDtype != DType::Int64)
    throw Error(ErrorKind::DType, name + ": expected an int64 output, got " + dtypeName(a.outDtype));
  if (isArg && a.inner.ndim != 1)
    throw Error(ErrorKind::Shape, name + ": expected one reduced dim, got " + std::to_string(a.inner.ndim));
  if (nIn == 0) {
    if (a.op == ReduceOp::Max || a.op == ReduceOp::Min || isArg)
      throw Error(ErrorKind::Shape, name + ": expected a non-empty reduced dimension, got 0 elements");
    const double v = a.op == ReduceOp::Sum         ? 0.0
                     : a.op == ReduceOp::Prod      ? 1.0
                     : a.op == ReduceOp::LogSumExp ? -INFINITY
                                                   : NAN;  // Mean, Var
    for (int64_t i = 0; i < nOut; ++i) store(a.out, a.outDtype, i, v);
    return;
  }
  if (nOut == 0) return;
  const Loop<1> outer = partLoop(a.outer, a.in.strides, a);
  const Loop<1> inner = partLoop(a.inner, a.in.strides + a.outer.ndim, a);
  const Ctx c{a.out, a.outDtype, nIn, a.p0};
  NT_DISPATCH_ALL(a.in.dtype, [&] { reduceTyped<T>(a, outer, inner, c); });
}

}  // namespace cpu
}  // namespace nt
