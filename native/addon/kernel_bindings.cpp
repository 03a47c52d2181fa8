// One N-API function per kernel of NT_KERNEL_LIST. Each reads its integers
// from the shared argument buffer (layouts mirrored in bindings/kernels.ts),
// checks what memory safety depends on (handles, dtypes, devices, every
// reachable element inside its storage) and calls the operands' backend.
#include "kernel_bindings.h"

#include <initializer_list>
#include <string>

#include "arg_reader.h"
#include "storage.h"

namespace nt {
namespace addon {
namespace {

using Info = Napi::CallbackInfo;

ArgReader reader(Napi::Env env, const char* op) { return ArgReader(state(env).args, kArgSlots, op); }

StorageRecord& storage(const Info& info, size_t i, const char* op, const StorageRecord* sameDeviceAs = nullptr) {
  StorageRecord& rec = unwrapStorage(info, i, op);
  if (sameDeviceAs) requireSameDevice(op, *sameDeviceAs, rec);
  return rec;
}

bool isComparison(BinaryOp op) {
  return op == BinaryOp::Eq || op == BinaryOp::Ne || op == BinaryOp::Lt || op == BinaryOp::Le ||
         op == BinaryOp::Gt || op == BinaryOp::Ge;
}

Napi::Value Fill(const Info& info) {
  return guarded(info.Env(), [&] {
    ArgReader r = reader(info.Env(), "fill");
    StorageRecord& out = storage(info, 0, "fill");
    FillArgs a;
    a.shape = r.shape();
    a.out = r.operand(a.shape, out, "out");
    a.value = r.real();
    if (a.shape.numel()) backendFor(out.device).fill(a);
    return info.Env().Undefined();
  });
}

Napi::Value Copy(const Info& info) {
  return guarded(info.Env(), [&] {
    ArgReader r = reader(info.Env(), "copy");
    StorageRecord& out = storage(info, 0, "copy");
    StorageRecord& in = storage(info, 1, "copy", &out);
    CopyArgs a;
    a.shape = r.shape();
    a.out = r.operand(a.shape, out, "out");
    a.in = r.operand(a.shape, in, "input");
    if (a.shape.numel()) backendFor(out.device).copy(a);
    return info.Env().Undefined();
  });
}

Napi::Value Arange(const Info& info) {
  return guarded(info.Env(), [&] {
    ArgReader r = reader(info.Env(), "arange");
    StorageRecord& out = storage(info, 0, "arange");
    ArangeArgs a;
    a.n = r.size("n");
    a.out.dtype = out.dtype;
    a.out.strides[0] = 1;  // contiguous: backends may read the stride
    a.out.data = r.block(out, a.n, "out");
    a.start = r.real();
    a.step = r.real();
    if (a.n) backendFor(out.device).arange(a);
    return info.Env().Undefined();
  });
}

Napi::Value Unary(const Info& info) {
  return guarded(info.Env(), [&] {
    ArgReader r = reader(info.Env(), "unary");
    StorageRecord& out = storage(info, 0, "unary");
    StorageRecord& in = storage(info, 1, "unary", &out);
    requireSameDtype("unary", out, in);
    UnaryArgs a;
    a.op = static_cast<UnaryOp>(r.integer(0, static_cast<int64_t>(UnaryOp::Count) - 1, "op"));
    a.p0 = r.real();
    a.p1 = r.real();
    a.shape = r.shape();
    a.out = r.operand(a.shape, out, "out");
    a.in = r.operand(a.shape, in, "input");
    if (a.shape.numel()) backendFor(out.device).unary(a);
    return info.Env().Undefined();
  });
}

Napi::Value Binary(const Info& info) {
  return guarded(info.Env(), [&] {
    ArgReader r = reader(info.Env(), "binary");
    StorageRecord& out = storage(info, 0, "binary");
    StorageRecord& x = storage(info, 1, "binary", &out);
    StorageRecord& y = storage(info, 2, "binary", &out);
    BinaryArgs a;
    a.op = static_cast<BinaryOp>(r.integer(0, static_cast<int64_t>(BinaryOp::Count) - 1, "op"));
    a.alpha = r.real();
    requireSameDtype("binary", x, y);
    if (isComparison(a.op)) {
      requireDtype("binary", out, DType::Bool, "comparison output");
    } else if (a.op == BinaryOp::LogicalAnd || a.op == BinaryOp::LogicalOr) {
      requireDtype("binary", out, DType::Bool, "output");
      requireDtype("binary", x, DType::Bool, "input");
    } else {
      requireSameDtype("binary", out, x);
    }
    a.shape = r.shape();
    a.out = r.operand(a.shape, out, "out");
    a.a = r.operand(a.shape, x, "first input");
    a.b = r.operand(a.shape, y, "second input");
    if (a.shape.numel()) backendFor(out.device).binary(a);
    return info.Env().Undefined();
  });
}

Napi::Value Where(const Info& info) {
  return guarded(info.Env(), [&] {
    ArgReader r = reader(info.Env(), "where");
    StorageRecord& out = storage(info, 0, "where");
    StorageRecord& cond = storage(info, 1, "where", &out);
    StorageRecord& x = storage(info, 2, "where", &out);
    StorageRecord& y = storage(info, 3, "where", &out);
    requireDtype("where", cond, DType::Bool, "condition");
    requireSameDtype("where", out, x);
    requireSameDtype("where", out, y);
    WhereArgs a;
    a.shape = r.shape();
    a.out = r.operand(a.shape, out, "out");
    a.cond = r.operand(a.shape, cond, "condition");
    a.a = r.operand(a.shape, x, "first input");
    a.b = r.operand(a.shape, y, "second input");
    if (a.shape.numel()) backendFor(out.device).where(a);
    return info.Env().Undefined();
  });
}

Napi::Value Reduce(const Info& info) {
  return guarded(info.Env(), [&] {
    const char* op = "reduce";
    ArgReader r = reader(info.Env(), op);
    StorageRecord& out = storage(info, 0, op);
    StorageRecord& in = storage(info, 1, op, &out);
    ReduceArgs a;
    a.op = static_cast<ReduceOp>(r.integer(0, static_cast<int64_t>(ReduceOp::Count) - 1, "op"));
    a.p0 = r.real();
    a.outer = r.shape();
    a.inner = r.shape();
    if (a.outer.ndim + a.inner.ndim > kMaxDims) argError(op, "too many dims");
    // The input view spans outer dims then inner dims.
    Shape all;
    all.ndim = a.outer.ndim + a.inner.ndim;
    for (int d = 0; d < a.outer.ndim; ++d) all.sizes[d] = a.outer.sizes[d];
    for (int d = 0; d < a.inner.ndim; ++d) all.sizes[a.outer.ndim + d] = a.inner.sizes[d];
    a.in = r.operand(all, in, "input");
    a.out = r.block(out, a.outer.numel(), "out");
    a.outDtype = out.dtype;
    const bool arg = a.op == ReduceOp::ArgMax || a.op == ReduceOp::ArgMin;
    if (arg) {
      requireDtype(op, out, DType::Int64, "argmax/argmin output");
      if (a.inner.ndim != 1) argError(op, "argmax/argmin reduce exactly one dim");
    } else if ((a.op == ReduceOp::Sum || a.op == ReduceOp::Prod) && !isFloating(in.dtype)) {
      if (out.dtype != in.dtype && out.dtype != DType::Int64) {
        throw Error(ErrorKind::DType, "reduce: integer sum/prod output must be int64 or the input dtype");
      }
    } else {
      requireSameDtype(op, out, in);
    }
    const bool needsFloat = a.op == ReduceOp::Mean || a.op == ReduceOp::LogSumExp || a.op == ReduceOp::Var;
    if (needsFloat) requireFloat(op, in, "input");
    if (a.inner.numel() == 0 && a.outer.numel() > 0 &&
        (a.op == ReduceOp::Max || a.op == ReduceOp::Min || arg)) {
      throw Error(ErrorKind::Shape, "reduce: max/min/argmax/argmin of an empty dimension");
    }
    if (a.outer.numel()) backendFor(out.device).reduce(a);
    return info.Env().Undefined();
  });
}

Napi::Value Softmax(const Info& info) {
  return guarded(info.Env(), [&] {
    const char* op = "softmax";
    ArgReader r = reader(info.Env(), op);
    StorageRecord& out = storage(info, 0, op);
    StorageRecord& in = storage(info, 1, op, &out);
    requireFloat(op, in, "input");
    requireSameDtype(op, out, in);
    SoftmaxArgs a;
    a.rows = r.size("rows");
    a.cols = r.size("cols");
    a.log = r.flag("log");
    const double n = static_cast<double>(a.rows) * static_cast<double>(a.cols);
    if (n > static_cast<double>(ArgReader::kMaxSize)) argError(op, "too many elements");
    a.out = r.block(out, a.rows * a.cols, "out");
    a.in = r.block(in, a.rows * a.cols, "input");
    a.dtype = in.dtype;
    if (a.rows > 0 && a.cols > 0) backendFor(out.device).softmax(a);
    return info.Env().Undefined();
  });
}

Napi::Value SoftmaxBackward(const Info& info) {
  return guarded(info.Env(), [&] {
    const char* op = "softmaxBackward";
    ArgReader r = reader(info.Env(), op);
    StorageRecord& dx = storage(info, 0, op);
    StorageRecord& dy = storage(info, 1, op, &dx);
    StorageRecord& y = storage(info, 2, op, &dx);
    requireFloat(op, dx, "gradient");
    requireSameDtype(op, dx, dy);
    requireSameDtype(op, dx, y);
    SoftmaxBackwardArgs a;
    a.rows = r.size("rows");
    a.cols = r.size("cols");
    a.log = r.flag("log");
    const double n = static_cast<double>(a.rows) * static_cast<double>(a.cols);
    if (n > static_cast<double>(ArgReader::kMaxSize)) argError(op, "too many elements");
    a.dx = r.block(dx, a.rows * a.cols, "dx");
    a.dy = r.block(dy, a.rows * a.cols, "dy");
    a.y = r.block(y, a.rows * a.cols, "y");
    a.dtype = dx.dtype;
    if (a.rows > 0 && a.cols > 0) backendFor(dx.device).softmaxBackward(a);
    return info.Env().Undefined();
  });
}

// Element span of one row-major matrix operand across the batch.
void checkMatrix(const char* op, const StorageRecord& rec, int64_t offset, int64_t batch, int64_t stride,
                 int64_t rows, int64_t cols, int64_t ld, const char* what) {
  if (rows == 0 || cols == 0 || batch == 0) return;
  if (rows > 1 && ld < cols) {
    argError(op, std::string(what) + ": leading dimension " + std::to_string(ld) + " < " + std::to_string(cols));
  }
  const double last = static_cast<double>(offset) + static_cast<double>(batch - 1) * static_cast<double>(stride) +
                      static_cast<double>(rows - 1) * static_cast<double>(ld) + static_cast<double>(cols - 1);
  if (last >= static_cast<double>(rec.numel)) {
    argError(op, std::string(what) + " reaches element " + std::to_string(static_cast<int64_t>(last)) +
                     " of a storage of " + std::to_string(rec.numel));
  }
}

Napi::Value Gemm(const Info& info) {
  return guarded(info.Env(), [&] {
    const char* op = "matmul";
    ArgReader r = reader(info.Env(), op);
    StorageRecord& c = storage(info, 0, op);
    StorageRecord& am = storage(info, 1, op, &c);
    StorageRecord& bm = storage(info, 2, op, &c);
    requireFloat(op, c, "output");
    requireSameDtype(op, c, am);
    requireSameDtype(op, c, bm);
    GemmArgs a;
    a.batch = r.size("batch");
    a.M = r.size("M");
    a.N = r.size("N");
    a.K = r.size("K");
    const int64_t aOff = r.size("offset"); a.lda = r.size("lda"); a.strideA = r.size("strideA"); a.transA = r.flag("transA");
    const int64_t bOff = r.size("offset"); a.ldb = r.size("ldb"); a.strideB = r.size("strideB"); a.transB = r.flag("transB");
    const int64_t cOff = r.size("offset"); a.ldc = r.size("ldc"); a.strideC = r.size("strideC");
    a.alpha = r.real();
    a.beta = r.real();
    checkMatrix(op, am, aOff, a.batch, a.strideA, a.transA ? a.K : a.M, a.transA ? a.M : a.K, a.lda, "A");
    checkMatrix(op, bm, bOff, a.batch, a.strideB, a.transB ? a.N : a.K, a.transB ? a.K : a.N, a.ldb, "B");
    checkMatrix(op, c, cOff, a.batch, a.strideC, a.M, a.N, a.ldc, "C");
    const size_t item = dtypeSize(c.dtype);
    a.A = static_cast<const char*>(am.ptr) + aOff * item;
    a.B = static_cast<const char*>(bm.ptr) + bOff * item;
    a.C = static_cast<char*>(c.ptr) + cOff * item;
    a.dtype = c.dtype;
    if (a.batch && a.M && a.N) backendFor(c.device).gemm(a);
    return info.Env().Undefined();
  });
}

Napi::Value CrossEntropy(const Info& info) {
  return guarded(info.Env(), [&] {
    const char* op = "cross_entropy";
    ArgReader r = reader(info.Env(), op);
    StorageRecord& losses = storage(info, 0, op);
    const bool withGrad = !info[1].IsNull() && !info[1].IsUndefined();
    StorageRecord* dlogits = withGrad ? &storage(info, 1, op, &losses) : nullptr;
    StorageRecord& logits = storage(info, 2, op, &losses);
    StorageRecord& targets = storage(info, 3, op, &losses);
    requireFloat(op, logits, "logits");
    requireSameDtype(op, losses, logits);
    if (dlogits) requireSameDtype(op, *dlogits, logits);
    requireIndex(op, targets, "target");
    CrossEntropyArgs a;
    a.N = r.size("N");
    a.C = r.integer(1, ArgReader::kMaxSize, "number of classes");
    a.ignoreIndex = r.integer(-(int64_t(1) << 53), int64_t(1) << 53, "ignoreIndex");
    a.labelSmoothing = r.real();
    if (!(a.labelSmoothing >= 0.0 && a.labelSmoothing <= 1.0)) argError(op, "labelSmoothing must be in [0, 1]");
    if (static_cast<double>(a.N) * static_cast<double>(a.C) > static_cast<double>(ArgReader::kMaxSize)) {
      argError(op, "too many elements");
    }
    a.losses = r.block(losses, a.N, "losses");
    void* dl = r.block(dlogits ? *dlogits : losses, dlogits ? a.N * a.C : 0, "dlogits");
    a.dlogits = dlogits ? dl : nullptr;
    a.logits = r.block(logits, a.N * a.C, "logits");
    a.targets = r.block(targets, a.N, "targets");
    a.dtype = logits.dtype;
    a.targetDtype = targets.dtype;
    if (a.N) backendFor(losses.device).crossEntropy(a);
    return info.Env().Undefined();
  });
}

// Reads a JS array of storage handles (the multi-tensor optimizer lists).
std::vector<StorageRecord*> handleList(const Info& info, size_t i, const char* op, const char* what) {
  std::vector<StorageRecord*> out;
  if (info[i].IsNull() || info[i].IsUndefined()) return out;
  if (!info[i].IsArray()) argError(op, std::string(what) + " must be an array of storage handles");
  Napi::Array arr = info[i].As<Napi::Array>();
  const uint32_t n = arr.Length();
  out.reserve(n);
  for (uint32_t k = 0; k < n; ++k) out.push_back(&unwrapStorageValue(info.Env(), arr.Get(k), op, what));
  return out;
}

// Reading a list runs JS (array getters), which may dispose a handle read
// earlier: every list is checked again once all of them are read.
void requireLive(const char* op, std::initializer_list<const std::vector<StorageRecord*>*> lists) {
  for (const auto* list : lists) {
    for (const StorageRecord* rec : *list) {
      if (rec->freed) throw Error(ErrorKind::Disposed, std::string(op) + ": a tensor in the list was disposed while the list was read");
    }
  }
}

void checkGroup(const char* op, const std::vector<StorageRecord*>& list, const StorageRecord& ref, size_t n,
                const char* what) {
  if (list.size() != n) {
    argError(op, std::string(what) + ": expected " + std::to_string(n) + " tensors, got " +
                     std::to_string(list.size()));
  }
  for (StorageRecord* rec : list) {
    requireSameDevice(op, ref, *rec);
    requireSameDtype(op, ref, *rec);
  }
}

Napi::Value Adam(const Info& info) {
  return guarded(info.Env(), [&] {
    const char* op = "adam";
    ArgReader r = reader(info.Env(), op);
    auto params = handleList(info, 0, op, "params");
    auto grads = handleList(info, 1, op, "grads");
    auto m = handleList(info, 2, op, "exp_avg");
    auto v = handleList(info, 3, op, "exp_avg_sq");
    auto vmax = handleList(info, 4, op, "max_exp_avg_sq");
    requireLive(op, {&params, &grads, &m, &v, &vmax});
    AdamArgs a;
    a.lr = r.real(); a.beta1 = r.real(); a.beta2 = r.real(); a.eps = r.real(); a.weightDecay = r.real();
    a.biasCorrection1 = r.real(); a.biasCorrection2 = r.real();
    a.decoupled = r.flag("decoupled"); a.amsgrad = r.flag("amsgrad"); a.maximize = r.flag("maximize");
    const size_t n = params.size();
    if (n == 0) return info.Env().Undefined();
    requireFloat(op, *params[0], "params");
    for (auto* list : {&params, &grads, &m, &v}) checkGroup(op, *list, *params[0], n, "optimizer tensor list");
    if (a.amsgrad) checkGroup(op, vmax, *params[0], n, "max_exp_avg_sq");
    a.dtype = params[0]->dtype;
    for (size_t k = 0; k < n; ++k) {
      const int64_t numel = r.size("numel");
      a.numels.push_back(numel);
      a.params.push_back(r.block(*params[k], numel, "param"));
      a.grads.push_back(r.block(*grads[k], numel, "grad"));
      a.expAvg.push_back(r.block(*m[k], numel, "exp_avg"));
      a.expAvgSq.push_back(r.block(*v[k], numel, "exp_avg_sq"));
      if (a.amsgrad) a.maxExpAvgSq.push_back(r.block(*vmax[k], numel, "max_exp_avg_sq"));
    }
    backendFor(params[0]->device).adam(a);
    return info.Env().Undefined();
  });
}

Napi::Value Sgd(const Info& info) {
  return guarded(info.Env(), [&] {
    const char* op = "sgd";
    ArgReader r = reader(info.Env(), op);
    auto params = handleList(info, 0, op, "params");
    auto grads = handleList(info, 1, op, "grads");
    auto bufs = handleList(info, 2, op, "momentum_buffer");
    requireLive(op, {&params, &grads, &bufs});
    SgdArgs a;
    a.lr = r.real(); a.momentum = r.real(); a.dampening = r.real(); a.weightDecay = r.real();
    a.nesterov = r.flag("nesterov"); a.firstStep = r.flag("firstStep"); a.maximize = r.flag("maximize");
    const size_t n = params.size();
    if (n == 0) return info.Env().Undefined();
    requireFloat(op, *params[0], "params");
    checkGroup(op, params, *params[0], n, "params");
    checkGroup(op, grads, *params[0], n, "grads");
    const bool withMomentum = !bufs.empty();
    if (withMomentum) checkGroup(op, bufs, *params[0], n, "momentum_buffer");
    a.dtype = params[0]->dtype;
    for (size_t k = 0; k < n; ++k) {
      const int64_t numel = r.size("numel");
      a.numels.push_back(numel);
      a.params.push_back(r.block(*params[k], numel, "param"));
      a.grads.push_back(r.block(*grads[k], numel, "grad"));
      if (withMomentum) a.momentumBufs.push_back(r.block(*bufs[k], numel, "momentum_buffer"));
    }
    backendFor(params[0]->device).sgd(a);
    return info.Env().Undefined();
  });
}

// indexSelect (out gathers from src) and indexAdd (out accumulates src).
template <bool kAdd>
Napi::Value IndexAlongDim(const Info& info) {
  return guarded(info.Env(), [&] {
    const char* op = kAdd ? "index_add" : "index_select";
    ArgReader r = reader(info.Env(), op);
    StorageRecord& out = storage(info, 0, op);
    StorageRecord& src = storage(info, 1, op, &out);
    StorageRecord& index = storage(info, 2, op, &out);
    requireSameDtype(op, out, src);
    requireIndex(op, index, "index");
    const int64_t outer = r.size("outer"), dimSize = r.size("dimSize"), inner = r.size("inner");
    const int64_t nIndex = r.size("nIndex");
    const double big = static_cast<double>(outer) * static_cast<double>(inner) *
                       static_cast<double>(dimSize > nIndex ? dimSize : nIndex);
    if (big > static_cast<double>(ArgReader::kMaxSize)) argError(op, "too many elements");
    const int64_t selfN = outer * dimSize * inner, pickN = outer * nIndex * inner;
    void* o = r.block(out, kAdd ? selfN : pickN, "out");
    const void* s = r.block(src, kAdd ? pickN : selfN, "source");
    const void* idx = r.block(index, nIndex, "index");
    if (pickN == 0) return info.Env().Undefined();
    if (dimSize == 0) throw Error(ErrorKind::Index, std::string(op) + ": index into an empty dimension");
    if constexpr (kAdd) {
      IndexAddArgs a{outer, dimSize, inner, nIndex, o, s, out.dtype, idx, index.dtype};
      backendFor(out.device).indexAdd(a);
    } else {
      IndexSelectArgs a{outer, dimSize, inner, nIndex, o, s, out.dtype, idx, index.dtype};
      backendFor(out.device).indexSelect(a);
    }
    return info.Env().Undefined();
  });
}

// gather (out[index shape] from self) and scatterAdd (out[self shape] += src[index shape]).
template <bool kScatter>
Napi::Value GatherScatter(const Info& info) {
  return guarded(info.Env(), [&] {
    const char* op = kScatter ? "scatter_add" : "gather";
    ArgReader r = reader(info.Env(), op);
    StorageRecord& out = storage(info, 0, op);
    StorageRecord& src = storage(info, 1, op, &out);
    StorageRecord& index = storage(info, 2, op, &out);
    requireSameDtype(op, out, src);
    requireIndex(op, index, "index");
    GatherArgs a;
    a.shape = r.shape();
    a.selfShape = r.shape();
    a.dim = static_cast<int>(r.integer(0, kMaxDims - 1, "dim"));
    if (a.shape.ndim != a.selfShape.ndim || a.dim >= (a.shape.ndim > 0 ? a.shape.ndim : 1)) {
      throw Error(ErrorKind::Shape, std::string(op) + ": index and self must have the same number of dims");
    }
    for (int d = 0; d < a.shape.ndim; ++d) {
      if (d != a.dim && a.shape.sizes[d] > a.selfShape.sizes[d]) {
        throw Error(ErrorKind::Shape, std::string(op) + ": index size " + std::to_string(a.shape.sizes[d]) +
                                          " exceeds self size " + std::to_string(a.selfShape.sizes[d]) +
                                          " at dim " + std::to_string(d));
      }
    }
    const int64_t idxN = a.shape.numel(), selfN = a.selfShape.numel();
    a.out = r.block(out, kScatter ? selfN : idxN, "out");
    a.in = r.block(src, kScatter ? idxN : selfN, "source");
    a.index = r.block(index, idxN, "index");
    a.dtype = out.dtype;
    a.indexDtype = index.dtype;
    if (idxN == 0) return info.Env().Undefined();
    if (a.shape.ndim > 0 && a.selfShape.sizes[a.dim] == 0) {
      throw Error(ErrorKind::Index, std::string(op) + ": index into an empty dimension");
    }
    if constexpr (kScatter) backendFor(out.device).scatterAdd(a);
    else backendFor(out.device).gather(a);
    return info.Env().Undefined();
  });
}

Napi::Value Random(const Info& info) {
  return guarded(info.Env(), [&] {
    const char* op = "random";
    ArgReader r = reader(info.Env(), op);
    StorageRecord& out = storage(info, 0, op);
    RandomArgs a;
    a.kind = static_cast<RandomKind>(r.integer(0, 3, "kind"));
    a.n = r.size("n");
    a.out = r.block(out, a.n, "out");
    a.dtype = out.dtype;
    const uint64_t lo = static_cast<uint64_t>(r.integer(0, 0xFFFFFFFFLL, "seed"));
    const uint64_t hi = static_cast<uint64_t>(r.integer(0, 0xFFFFFFFFLL, "seed"));
    a.seed = (hi << 32) | lo;
    a.offset = static_cast<uint64_t>(r.size("offset"));
    a.a = r.real();
    a.b = r.real();
    if ((a.kind == RandomKind::Uniform || a.kind == RandomKind::Normal || a.kind == RandomKind::Bernoulli) &&
        !isFloating(out.dtype)) {
      requireFloat(op, out, "output");
    }
    if (a.kind == RandomKind::Int) {
      if (out.dtype == DType::Bool) throw Error(ErrorKind::DType, "randint: bool output is not supported");
      if (!(a.b > a.a)) argError("randint", "high must be greater than low");
    }
    if (a.n) backendFor(out.device).random(a);
    return info.Env().Undefined();
  });
}

}  // namespace

void registerKernelBindings(Napi::Env env, Napi::Object kernels) {
  kernels.Set("fill", Napi::Function::New(env, Fill, "fill"));
  kernels.Set("copy", Napi::Function::New(env, Copy, "copy"));
  kernels.Set("arange", Napi::Function::New(env, Arange, "arange"));
  kernels.Set("unary", Napi::Function::New(env, Unary, "unary"));
  kernels.Set("binary", Napi::Function::New(env, Binary, "binary"));
  kernels.Set("where", Napi::Function::New(env, Where, "where"));
  kernels.Set("reduce", Napi::Function::New(env, Reduce, "reduce"));
  kernels.Set("softmax", Napi::Function::New(env, Softmax, "softmax"));
  kernels.Set("softmaxBackward", Napi::Function::New(env, SoftmaxBackward, "softmaxBackward"));
  kernels.Set("gemm", Napi::Function::New(env, Gemm, "gemm"));
  kernels.Set("crossEntropy", Napi::Function::New(env, CrossEntropy, "crossEntropy"));
  kernels.Set("adam", Napi::Function::New(env, Adam, "adam"));
  kernels.Set("sgd", Napi::Function::New(env, Sgd, "sgd"));
  kernels.Set("indexSelect", Napi::Function::New(env, IndexAlongDim<false>, "indexSelect"));
  kernels.Set("indexAdd", Napi::Function::New(env, IndexAlongDim<true>, "indexAdd"));
  kernels.Set("gather", Napi::Function::New(env, GatherScatter<false>, "gather"));
  kernels.Set("scatterAdd", Napi::Function::New(env, GatherScatter<true>, "scatterAdd"));
  kernels.Set("random", Napi::Function::New(env, Random, "random"));
}

}  // namespace addon
}  // namespace nt
