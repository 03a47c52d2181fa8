// conv2d forward, backward-data and backward-filter on cuDNN 9 (legacy API,
// loaded at run time, optional). Each entry returns false when cuDNN does not
// apply (not loaded, libcudnn_cnn missing, asymmetric padding, a size beyond
// cuDNN's int descriptors, an output shorter than the full convolution) and
// the caller runs the direct kernel of conv.cu instead.
//
// The algorithm is chosen once per shape (dtype, N, C, H, W, Co, groups,
// kernel, stride, padding, dilation, direction, pointer alignment) and
// cached: cuDNN's heuristics (cudnnGet*_v7), or with
// NODETORCH_CUDNN_BENCHMARK=1 a timed search (cudnnFind*Ex, like
// torch.backends.cudnn.benchmark). Workspace
// comes from the caching allocator. float32 runs with CUDNN_FMA_MATH: no
// TF32, so results match the CPU at float32 tolerance (CUDNN_DEFAULT_MATH
// would allow TF32 on Ampere and newer); NODETORCH_CUDNN_ALLOW_TF32=1 opts in.
// A cuDNN failure marks that shape for the direct kernel, with a one-time
// notice per direction. Calls hold ctx.cudnnMutex (one handle, shared).
#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/errors.h"
#include "common/json_text.h"
#include "cuda/cudnn_fallback.h"
#include "cuda/kernels.h"

namespace nt {
namespace cuda {
namespace {

enum Dir { kForward, kBackwardData, kBackwardFilter, kDirCount };
const char* const kOpName[kDirCount] = {"conv2d_forward", "conv2d_backward_data", "conv2d_backward_weight"};

bool envFlag(const char* name) {
  const char* v = std::getenv(name);
  return v && std::strcmp(v, "1") == 0;
}
bool benchmarkMode() {
  static const bool on = envFlag("NODETORCH_CUDNN_BENCHMARK");
  return on;
}
bool allowTf32() {
  static const bool on = envFlag("NODETORCH_CUDNN_ALLOW_TF32");
  return on;
}

// The fields the three Args structs share.
struct Geometry {
  DType dtype;
  int64_t N, C, H, W, Co, G, Cg, Ho, Wo, kh, kw, sh, sw, dh, dw, pt, pb, pl, pr;
};

template <class A>
Geometry geometryOf(const A& a) {
  return {a.dtype, a.N,  a.C,  a.H,  a.W,  a.Co, a.G,  a.Cg, a.Ho, a.Wo,
          a.kh,    a.kw, a.sh, a.sw, a.dh, a.dw, a.pt, a.pb, a.pl, a.pr};
}

// True when cuDNN's descriptors (ints) can hold the call and the padding is
// symmetric (cuDNN has one pad per dimension).
bool fits(const Geometry& g) {
  if (g.pt != g.pb || g.pl != g.pr) return false;
  const int64_t dims[] = {g.N,  g.C,  g.H,  g.W,  g.Co, g.G,  g.Cg, g.Ho, g.Wo,
                          g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.pt, g.pl};
  for (int64_t d : dims)
    if (d < 0 || d > INT_MAX) return false;
  if (g.N <= 0 || g.C <= 0 || g.Co <= 0 || g.Ho <= 0 || g.Wo <= 0 || g.G <= 0) return false;
  // Element counts stay below 2^31, which every cuDNN algorithm handles.
  const double x = double(g.N) * g.C * g.H * g.W, y = double(g.N) * g.Co * g.Ho * g.Wo,
               w = double(g.Co) * g.Cg * g.kh * g.kw;
  return x < INT_MAX && y < INT_MAX && w < INT_MAX;
}

struct Key {
  int64_t v[19];
  bool operator==(const Key& o) const { return std::memcmp(v, o.v, sizeof v) == 0; }
};
struct KeyHash {
  size_t operator()(const Key& k) const {
    uint64_t h = 1469598103934665603ull;  // FNV-1a over the fields
    for (int64_t x : k.v) h = (h ^ uint64_t(x)) * 1099511628211ull;
    return size_t(h);
  }
};
// Which of the three pointers are 16-byte aligned: a view at an odd offset
// may not suit an algorithm chosen for aligned data, so it is its own shape.
int64_t alignment(const void* a, const void* b, const void* c) {
  auto bit = [](const void* p, int k) { return (reinterpret_cast<uintptr_t>(p) % 16 == 0 ? 1 : 0) << k; };
  return bit(a, 0) | bit(b, 1) | bit(c, 2);
}
Key keyOf(const Geometry& g, Dir d, int64_t aligned) {
  return {{int64_t(d), int64_t(g.dtype), g.N, g.C, g.H, g.W, g.Co, g.G, g.Ho, g.Wo, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw,
           g.pt, g.pl, aligned}};
}

// usable: false once cuDNN failed for this shape (the direct kernel runs).
struct Choice {
  bool usable = false;
  int algo = 0;
  cudnnMathType_t math = CUDNN_DEFAULT_MATH;
};
// Guarded by ctx.cudnnMutex; never destroyed (static destructors may run
// after the process's CUDA teardown).
auto* gCache = new std::unordered_map<Key, Choice, KeyHash>;
std::atomic<bool> gNoticed[kDirCount];

// The math type asked for: FMA only for float32 unless TF32 is allowed.
cudnnMathType_t baseMath(DType t) { return t == DType::Float32 && !allowTf32() ? CUDNN_FMA_MATH : CUDNN_DEFAULT_MATH; }

// Each descriptor is its own object, so those already created are destroyed
// when a later create or set fails.
class TensorD {
 public:
  explicit TensorD(const CudnnApi& api) : api_(api) {
    checkCudnn(api.createTensorDescriptor(&d), "cudnnCreateTensorDescriptor");
  }
  ~TensorD() { api_.destroyTensorDescriptor(d); }
  TensorD(const TensorD&) = delete;
  TensorD& operator=(const TensorD&) = delete;
  cudnnTensorDescriptor_t d = nullptr;

 private:
  const CudnnApi& api_;
};
class FilterD {
 public:
  explicit FilterD(const CudnnApi& api) : api_(api) {
    checkCudnn(api.createFilterDescriptor(&d), "cudnnCreateFilterDescriptor");
  }
  ~FilterD() { api_.destroyFilterDescriptor(d); }
  FilterD(const FilterD&) = delete;
  FilterD& operator=(const FilterD&) = delete;
  cudnnFilterDescriptor_t d = nullptr;

 private:
  const CudnnApi& api_;
};
class ConvD {
 public:
  explicit ConvD(const CudnnApi& api) : api_(api) {
    checkCudnn(api.createConvolutionDescriptor(&d), "cudnnCreateConvolutionDescriptor");
  }
  ~ConvD() { api_.destroyConvolutionDescriptor(d); }
  ConvD(const ConvD&) = delete;
  ConvD& operator=(const ConvD&) = delete;
  cudnnConvolutionDescriptor_t d = nullptr;

 private:
  const CudnnApi& api_;
};

// x [N, C, H, W], y [N, Co, Ho, Wo], w [Co, Cg, kh, kw] and the convolution.
struct Descs {
  TensorD x, y;
  FilterD w;
  ConvD conv;
  bool fullOutput = false;  // cuDNN's output shape is [N, Co, Ho, Wo]
  Descs(const CudnnApi& api, const Geometry& g) : x(api), y(api), w(api), conv(api) {
    const cudnnDataType_t t = cudnnDataTypeOf(g.dtype);
    checkCudnn(api.setTensor4dDescriptor(x.d, CUDNN_TENSOR_NCHW, t, int(g.N), int(g.C), int(g.H), int(g.W)),
               "cudnnSetTensor4dDescriptor");
    checkCudnn(api.setTensor4dDescriptor(y.d, CUDNN_TENSOR_NCHW, t, int(g.N), int(g.Co), int(g.Ho), int(g.Wo)),
               "cudnnSetTensor4dDescriptor");
    checkCudnn(api.setFilter4dDescriptor(w.d, t, CUDNN_TENSOR_NCHW, int(g.Co), int(g.Cg), int(g.kh), int(g.kw)),
               "cudnnSetFilter4dDescriptor");
    // PyTorch's conv2d is a cross-correlation; the compute type is the data type.
    checkCudnn(api.setConvolution2dDescriptor(conv.d, int(g.pt), int(g.pl), int(g.sh), int(g.sw), int(g.dh), int(g.dw),
                                              CUDNN_CROSS_CORRELATION, t),
               "cudnnSetConvolution2dDescriptor");
    checkCudnn(api.setConvolutionGroupCount(conv.d, int(g.G)), "cudnnSetConvolutionGroupCount");
    checkCudnn(api.setConvolutionMathType(conv.d, baseMath(g.dtype)), "cudnnSetConvolutionMathType");
    int n = 0, c = 0, h = 0, wd = 0;
    checkCudnn(api.getConvolution2dForwardOutputDim(conv.d, x.d, w.d, &n, &c, &h, &wd),
               "cudnnGetConvolution2dForwardOutputDim");
    fullOutput = n == g.N && c == g.Co && h == g.Ho && wd == g.Wo;
  }
};

// The largest workspace an algorithm may take (FFT ones can ask for GiBs,
// which the caching allocator would then keep).
constexpr size_t kMaxWorkspace = size_t(1) << 30;

// The three directions' cuDNN calls behind one interface.
struct Direction {
  Dir dir;
  const CudnnApi& api;
  const Ctx& c;
  const Descs& ds;
  const void* in0;  // forward: x, w; backward data: w, dy; backward filter: x, dy
  const void* in1;
  void* out;

  int algoCount() const {
    return dir == kForward        ? int(CUDNN_CONVOLUTION_FWD_ALGO_COUNT)
           : dir == kBackwardData ? int(CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT)
                                  : int(CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT);
  }

  // Workspace bytes for algo under the descriptor's current math type.
  size_t workspace(int algo) const {
    size_t n = 0;
    if (dir == kForward)
      checkCudnn(api.getConvolutionForwardWorkspaceSize(c.cudnnHandle, ds.x.d, ds.w.d, ds.conv.d, ds.y.d,
                                                        cudnnConvolutionFwdAlgo_t(algo), &n),
                 "cudnnGetConvolutionForwardWorkspaceSize");
    else if (dir == kBackwardData)
      checkCudnn(api.getConvolutionBackwardDataWorkspaceSize(c.cudnnHandle, ds.w.d, ds.y.d, ds.conv.d, ds.x.d,
                                                             cudnnConvolutionBwdDataAlgo_t(algo), &n),
                 "cudnnGetConvolutionBackwardDataWorkspaceSize");
    else
      checkCudnn(api.getConvolutionBackwardFilterWorkspaceSize(c.cudnnHandle, ds.x.d, ds.y.d, ds.conv.d, ds.w.d,
                                                               cudnnConvolutionBwdFilterAlgo_t(algo), &n),
                 "cudnnGetConvolutionBackwardFilterWorkspaceSize");
    return n;
  }

  // Candidates best first: (algo, math type) of the results cuDNN reports
  // runnable, keeping only FMA ones when float32 must not use TF32.
  template <class Perf>
  static void keep(const Perf* p, int n, DType dt, std::vector<Choice>* out) {
    for (int i = 0; i < n; ++i) {
      if (p[i].status != CUDNN_STATUS_SUCCESS) continue;
      if (baseMath(dt) == CUDNN_FMA_MATH && p[i].mathType != CUDNN_FMA_MATH) continue;
      out->push_back({true, int(p[i].algo), p[i].mathType});
    }
  }

  std::vector<Choice> heuristics(DType dt) const {
    std::vector<Choice> r;
    int n = 0;
    if (dir == kForward) {
      cudnnConvolutionFwdAlgoPerf_t p[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
      checkCudnn(
          api.getConvolutionForwardAlgorithm(c.cudnnHandle, ds.x.d, ds.w.d, ds.conv.d, ds.y.d, algoCount(), &n, p),
          "cudnnGetConvolutionForwardAlgorithm_v7");
      keep(p, std::min(n, algoCount()), dt, &r);
    } else if (dir == kBackwardData) {
      cudnnConvolutionBwdDataAlgoPerf_t p[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
      checkCudnn(
          api.getConvolutionBackwardDataAlgorithm(c.cudnnHandle, ds.w.d, ds.y.d, ds.conv.d, ds.x.d, algoCount(), &n, p),
          "cudnnGetConvolutionBackwardDataAlgorithm_v7");
      keep(p, std::min(n, algoCount()), dt, &r);
    } else {
      cudnnConvolutionBwdFilterAlgoPerf_t p[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
      checkCudnn(api.getConvolutionBackwardFilterAlgorithm(c.cudnnHandle, ds.x.d, ds.y.d, ds.conv.d, ds.w.d,
                                                           algoCount(), &n, p),
                 "cudnnGetConvolutionBackwardFilterAlgorithm_v7");
      keep(p, std::min(n, algoCount()), dt, &r);
    }
    return r;
  }

  // Timed search over every algorithm, with the largest workspace any of
  // them asks for (up to 1 GiB, and what the allocator can give).
  std::vector<Choice> measured(DType dt) const {
    size_t most = 0;
    for (int a = 0; a < algoCount(); ++a) {
      try {
        most = std::max(most, workspace(a));
      } catch (const CudnnFailure&) {}  // an algorithm that does not apply here
    }
    most = std::min(most, kMaxWorkspace);
    std::vector<Choice> r;
    size_t bytes = most;
    void* ws = nullptr;
    for (;;) {
      try {
        ws = bytes ? c.alloc->alloc(bytes) : nullptr;
        break;
      } catch (const Error& e) {
        if (bytes == 0 || e.kind() != ErrorKind::OutOfMemory) throw;
        bytes /= 4;  // search with less workspace: big-workspace algorithms drop out
      }
    }
    struct Release {
      DeviceAllocator* a;
      void* p;
      ~Release() {
        if (p) a->release(p);
      }
    } release{c.alloc, ws};
    int n = 0;
    if (dir == kForward) {
      cudnnConvolutionFwdAlgoPerf_t p[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
      checkCudnn(api.findConvolutionForwardAlgorithm(c.cudnnHandle, ds.x.d, in0, ds.w.d, in1, ds.conv.d, ds.y.d, out,
                                                     algoCount(), &n, p, ws, bytes),
                 "cudnnFindConvolutionForwardAlgorithmEx");
      keep(p, std::min(n, algoCount()), dt, &r);
    } else if (dir == kBackwardData) {
      cudnnConvolutionBwdDataAlgoPerf_t p[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
      checkCudnn(api.findConvolutionBackwardDataAlgorithm(c.cudnnHandle, ds.w.d, in0, ds.y.d, in1, ds.conv.d, ds.x.d,
                                                          out, algoCount(), &n, p, ws, bytes),
                 "cudnnFindConvolutionBackwardDataAlgorithmEx");
      keep(p, std::min(n, algoCount()), dt, &r);
    } else {
      cudnnConvolutionBwdFilterAlgoPerf_t p[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
      checkCudnn(api.findConvolutionBackwardFilterAlgorithm(c.cudnnHandle, ds.x.d, in0, ds.y.d, in1, ds.conv.d, ds.w.d,
                                                            out, algoCount(), &n, p, ws, bytes),
                 "cudnnFindConvolutionBackwardFilterAlgorithmEx");
      keep(p, std::min(n, algoCount()), dt, &r);
    }
    return r;
  }

  void run(DType dt, int algo, void* ws, size_t bytes) const {
    const CudnnScale sc;
    if (dir == kForward)
      checkCudnn(api.convolutionForward(c.cudnnHandle, sc.alpha(dt), ds.x.d, in0, ds.w.d, in1, ds.conv.d,
                                        cudnnConvolutionFwdAlgo_t(algo), ws, bytes, sc.beta(dt), ds.y.d, out),
                 "cudnnConvolutionForward");
    else if (dir == kBackwardData)
      checkCudnn(api.convolutionBackwardData(c.cudnnHandle, sc.alpha(dt), ds.w.d, in0, ds.y.d, in1, ds.conv.d,
                                             cudnnConvolutionBwdDataAlgo_t(algo), ws, bytes, sc.beta(dt), ds.x.d, out),
                 "cudnnConvolutionBackwardData");
    else
      checkCudnn(
          api.convolutionBackwardFilter(c.cudnnHandle, sc.alpha(dt), ds.x.d, in0, ds.y.d, in1, ds.conv.d,
                                        cudnnConvolutionBwdFilterAlgo_t(algo), ws, bytes, sc.beta(dt), ds.w.d, out),
          "cudnnConvolutionBackwardFilter");
  }
};

// Runs `choice`; false when its workspace is above kMaxWorkspace or cannot
// be allocated.
bool runChoice(const Direction& d, const Geometry& g, const Choice& choice) {
  checkCudnn(d.api.setConvolutionMathType(d.ds.conv.d, choice.math), "cudnnSetConvolutionMathType");
  const size_t bytes = d.workspace(choice.algo);
  if (bytes > kMaxWorkspace) return false;
  void* ws = nullptr;
  try {
    ws = bytes ? d.c.alloc->alloc(bytes) : nullptr;
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::OutOfMemory) return false;
    throw;
  }
  struct Release {
    DeviceAllocator* a;
    void* p;
    ~Release() {
      if (p) a->release(p);  // stream-ordered: later kernels reuse it after this one
    }
  } release{d.c.alloc, ws};
  d.run(g.dtype, choice.algo, ws, bytes);
  return true;
}

bool convolve(const Ctx& c, const Geometry& g, Dir dir, const void* in0, const void* in1, void* out) {
  if (c.cudnn == nullptr || !c.cudnn->convLoaded || !isFloating(g.dtype) || !fits(g)) return false;
  const CudnnApi& api = *c.cudnn;
  const Key key = keyOf(g, dir, alignment(in0, in1, out));
  std::lock_guard<std::mutex> lock(*c.cudnnMutex);
  const auto hit = gCache->find(key);
  if (hit != gCache->end() && !hit->second.usable) return false;
  try {
    const Descs ds(api, g);
    if (!ds.fullOutput) return false;  // e.g. convTranspose2d's trimmed rows: the direct kernel
    const Direction d{dir, api, c, ds, in0, in1, out};
    if (hit != gCache->end()) return runChoice(d, g, hit->second);
    const std::vector<Choice> candidates = benchmarkMode() ? d.measured(g.dtype) : d.heuristics(g.dtype);
    for (const Choice& ch : candidates) {
      if (!runChoice(d, g, ch)) continue;  // workspace too large for the free memory: the next one
      (*gCache)[key] = ch;
      return true;
    }
    if (candidates.empty()) throw CudnnFailure{"no runnable algorithm", CUDNN_STATUS_SUCCESS};
    return false;  // none fit in memory now: the direct kernel, and ask again next time
  } catch (const CudnnFailure& e) {
    (*gCache)[key] = Choice{};
    if (!gNoticed[dir].exchange(true)) {
      const std::string why = cudnnFailureText(e);
      recordCudnnFallback(std::string("nodetorch: cuDNN ") + why + " for " + kOpName[dir] + " [" + std::to_string(g.N) +
                          ", " + std::to_string(g.C) + ", " + std::to_string(g.H) + ", " + std::to_string(g.W) +
                          "] -> " + std::to_string(g.Co) + " channels, kernel " + std::to_string(g.kh) + "x" +
                          std::to_string(g.kw) +
                          "; that shape uses nodetorch's own kernel from now on (NODETORCH_CUDNN=0 skips cuDNN)");
    }
    return false;
  }
}

}  // namespace

bool cudnnConv2dForward(const Ctx& c, const Conv2dForwardArgs& a) {
  return convolve(c, geometryOf(a), kForward, a.input, a.weight, a.out);
}

bool cudnnConv2dBackwardData(const Ctx& c, const Conv2dBackwardDataArgs& a) {
  return convolve(c, geometryOf(a), kBackwardData, a.weight, a.dy, a.dx);
}

bool cudnnConv2dBackwardWeight(const Ctx& c, const Conv2dBackwardWeightArgs& a) {
  return convolve(c, geometryOf(a), kBackwardFilter, a.input, a.dy, a.dweight);
}

std::string cudnnConvInfoJson(const Ctx* c) {
  std::string o = "{";
  jsonField(o, "engine");
  const bool on = c && c->cudnn && c->cudnn->convLoaded;
  o += on ? "\"cudnn\"" : "\"direct\"";
  jsonField(o, "note");
  if (c && c->cudnn && !c->cudnn->convNote.empty()) appendJsonString(o, c->cudnn->convNote);
  else o += "null";
  jsonField(o, "benchmark");
  o += benchmarkMode() ? "true" : "false";
  jsonField(o, "allowTF32");
  o += allowTf32() ? "true" : "false";
  jsonField(o, "cachedShapes");
  size_t n = 0;
  if (c && c->cudnnMutex) {
    std::lock_guard<std::mutex> lock(*c->cudnnMutex);
    n = gCache->size();
  }
  o += std::to_string(n);
  return o + "}";
}

}  // namespace cuda
}  // namespace nt
