// Library discovery report and device-less test hooks (cuda_api.h).
#include <mutex>
#include <string>

#include "common/json_text.h"
#include "cuda/cuda_api.h"
#include "cuda/kernels.h"
#include "cuda/lib_search.h"

namespace nt {
namespace cuda {
namespace {

void library(std::string& o, const char* key, const std::string& path, const std::string& error) {
  jsonField(o, key);
  std::string l = "{";
  jsonField(l, "path");
  if (path.empty()) l += "null";
  else appendJsonString(l, path);
  jsonField(l, "error");
  if (error.empty()) l += "null";
  else appendJsonString(l, error);
  o += l + "}";
}

// cuDNN's entries on a context with no device: the stub library used by the
// tests never touches the data pointers.
std::string cudnnFallbackHook() {
  std::string why;
  const CudnnApi* api = loadCudnn(&why);
  std::string o = "{";
  jsonField(o, "loaded");
  o += api ? "true" : "false";
  jsonField(o, "reason");
  appendJsonString(o, why);
  if (api) {
    static std::mutex mu;
    Ctx c;
    c.cudnn = api;
    c.cudnnMutex = &mu;
    jsonField(o, "create");
    o += std::to_string(int(api->create(&c.cudnnHandle)));
    float in[4] = {-1, 0, 1, 2}, out[4] = {0, 0, 0, 0};
    UnaryArgs u{};
    u.op = UnaryOp::Relu;
    u.shape.ndim = 1;
    u.shape.sizes[0] = 4;
    u.in.data = in;
    u.in.strides[0] = 1;
    u.out.data = out;
    u.out.strides[0] = 1;
    const bool first = cudnnUnary(c, u), second = cudnnUnary(c, u);
    SoftmaxArgs sm;
    sm.rows = 1;
    sm.cols = 4;
    sm.out = out;
    sm.in = in;
    sm.dtype = DType::Float32;
    const bool softmax = cudnnSoftmax(c, sm);
    jsonField(o, "unaryFirst");
    o += first ? "true" : "false";
    jsonField(o, "unarySecond");
    o += second ? "true" : "false";
    jsonField(o, "softmax");
    o += softmax ? "true" : "false";
    // conv2d: a 3x3 convolution, asked twice, then another shape.
    Conv2dForwardArgs cv;
    cv.N = 1;
    cv.C = cv.Co = cv.G = 1;
    cv.Cg = 1;
    cv.H = cv.W = 4;
    cv.kh = cv.kw = 3;
    cv.Ho = cv.Wo = 2;
    cv.sh = cv.sw = cv.dh = cv.dw = 1;
    cv.out = out;
    cv.input = in;
    cv.weight = in;
    cv.dtype = DType::Float32;
    const bool convFirst = cudnnConv2dForward(c, cv), convSecond = cudnnConv2dForward(c, cv);
    cv.H = cv.W = 5;
    cv.Ho = cv.Wo = 3;
    const bool convOther = cudnnConv2dForward(c, cv);
    jsonField(o, "convLoaded");
    o += api->convLoaded ? "true" : "false";
    jsonField(o, "convNote");
    appendJsonString(o, api->convNote);
    jsonField(o, "convFirst");
    o += convFirst ? "true" : "false";
    jsonField(o, "convSecond");
    o += convSecond ? "true" : "false";
    jsonField(o, "convOther");
    o += convOther ? "true" : "false";
    // batch norm: a training forward [1, 2, 2] with weight and bias, twice.
    BatchNormForwardArgs bn{};
    bn.N = 1;
    bn.C = 2;
    bn.HW = 2;
    bn.eps = 1e-5;
    bn.momentum = 0.1;
    bn.training = true;
    bn.out = out;
    bn.in = in;
    bn.weight = bn.bias = in;
    bn.dtype = DType::Float32;
    const bool bnFirst = cudnnBatchNormForward(c, bn), bnSecond = cudnnBatchNormForward(c, bn);
    jsonField(o, "bnFirst");
    o += bnFirst ? "true" : "false";
    jsonField(o, "bnSecond");
    o += bnSecond ? "true" : "false";
    jsonField(o, "notes");
    appendJsonStrings(o, cudnnFallbackNotes());
    if (c.cudnnHandle) api->destroy(c.cudnnHandle);
  }
  return o + "}";
}

// The cuDNN convolution entries on a context with no device, against the
// stub library that succeeds and prints what it is given (no workspace, so
// the allocator is never asked): a grouped, strided, dilated float32
// forward twice (the second from the algorithm cache), float64, both
// backward directions, and asymmetric padding (not for cuDNN).
std::string cudnnConvHook() {
  std::string why;
  const CudnnApi* api = loadCudnn(&why);
  std::string o = "{";
  jsonField(o, "loaded");
  o += api && api->convLoaded ? "true" : "false";
  jsonField(o, "reason");
  appendJsonString(o, api ? api->convNote : why);
  if (api && api->convLoaded) {
    static std::mutex mu;
    Ctx c;
    c.cudnn = api;
    c.cudnnMutex = &mu;
    api->create(&c.cudnnHandle);
    double buf[4] = {0, 0, 0, 0};  // never read by the stub
    auto geometry = [&](auto& a, DType dt) {
      a.N = 2;
      a.C = 4;
      a.H = 9;
      a.W = 8;
      a.Co = 6;
      a.G = 2;
      a.Cg = 2;
      a.kh = a.kw = 3;
      a.sh = 2;
      a.sw = 1;
      a.dh = 1;
      a.dw = 2;
      a.pt = a.pb = a.pl = a.pr = 1;
      a.Ho = 5;
      a.Wo = 6;
      a.dtype = dt;
    };
    Conv2dForwardArgs f;
    geometry(f, DType::Float32);
    f.out = buf;
    f.input = f.weight = buf;
    Conv2dForwardArgs f64 = f;
    f64.dtype = DType::Float64;
    Conv2dBackwardDataArgs bd;
    geometry(bd, DType::Float32);
    bd.dx = buf;
    bd.dy = bd.weight = buf;
    Conv2dBackwardWeightArgs bw;
    geometry(bw, DType::Float32);
    bw.dweight = buf;
    bw.input = bw.dy = buf;
    Conv2dForwardArgs asym = f;
    asym.pb = 0;
    asym.Ho = 4;
    const bool r[] = {cudnnConv2dForward(c, f),       cudnnConv2dForward(c, f),         cudnnConv2dForward(c, f64),
                      cudnnConv2dBackwardData(c, bd), cudnnConv2dBackwardWeight(c, bw), cudnnConv2dForward(c, asym)};
    jsonField(o, "results");
    std::string list = "[";
    for (bool b : r) list += std::string(list.size() > 1 ? "," : "") + (b ? "true" : "false");
    o += list + "]";
    jsonField(o, "info");
    o += cudnnConvInfoJson(&c);
    jsonField(o, "notes");
    appendJsonStrings(o, cudnnFallbackNotes());
    api->destroy(c.cudnnHandle);
  }
  return o + "}";
}

// The cuDNN pooling entries on a context with no device (the stub never
// reads the data): max forward without indices, with indices, with
// dilation; average forward including and excluding padding, with a
// divisor, with a ceilMode window cuDNN lacks; average backward. Then max
// forward once more (after a failure the stub is not called again).
std::string cudnnPoolHook() {
  std::string why;
  const CudnnApi* api = loadCudnn(&why);
  std::string o = "{";
  jsonField(o, "loaded");
  o += api && api->poolLoaded ? "true" : "false";
  if (api) {
    static std::mutex mu;
    Ctx c;
    c.cudnn = api;
    c.cudnnMutex = &mu;
    api->create(&c.cudnnHandle);
    double buf[4] = {0, 0, 0, 0};
    int64_t idx[4] = {0, 0, 0, 0};
    MaxPool2dArgs m{};
    m.planes = 6;
    m.H = 9;
    m.W = 8;
    m.kh = m.kw = 3;
    m.sh = m.sw = 2;
    m.ph = m.pw = 1;
    m.dh = m.dw = 1;
    m.Ho = 5;
    m.Wo = 4;
    m.out = buf;
    m.in = buf;
    m.dtype = DType::Float32;
    MaxPool2dArgs withIdx = m, dilated = m;
    withIdx.indices = idx;
    dilated.dh = 2;
    dilated.Ho = 4;
    AvgPool2dArgs av{};
    av.planes = 6;
    av.H = 9;
    av.W = 8;
    av.kh = 3;
    av.kw = 2;
    av.sh = 2;
    av.sw = 1;
    av.ph = 1;
    av.pw = 0;
    av.Ho = 5;
    av.Wo = 7;
    av.countIncludePad = true;
    av.out = buf;
    av.in = buf;
    av.dtype = DType::Float64;
    AvgPool2dArgs exclude = av, divided = av, ceil = av;
    exclude.countIncludePad = false;
    divided.divisor = 4;
    ceil.H = 10;  // floor: 5 rows of windows; ceilMode adds a sixth
    ceil.Ho = 6;
    AvgPool2dBackwardArgs bw{};
    bw.planes = av.planes;
    bw.H = av.H;
    bw.W = av.W;
    bw.kh = av.kh;
    bw.kw = av.kw;
    bw.sh = av.sh;
    bw.sw = av.sw;
    bw.ph = av.ph;
    bw.pw = av.pw;
    bw.Ho = av.Ho;
    bw.Wo = av.Wo;
    bw.countIncludePad = false;
    bw.dx = buf;
    bw.dy = buf;
    bw.dtype = DType::Float32;
    const bool r[] = {cudnnMaxPool2d(c, m),    cudnnMaxPool2d(c, withIdx),    cudnnMaxPool2d(c, dilated),
                      cudnnAvgPool2d(c, av),   cudnnAvgPool2d(c, exclude),    cudnnAvgPool2d(c, divided),
                      cudnnAvgPool2d(c, ceil), cudnnAvgPool2dBackward(c, bw), cudnnMaxPool2d(c, m)};
    jsonField(o, "results");
    std::string list = "[";
    for (bool b : r) list += std::string(list.size() > 1 ? "," : "") + (b ? "true" : "false");
    o += list + "]";
    jsonField(o, "notes");
    appendJsonStrings(o, cudnnFallbackNotes());
    api->destroy(c.cudnnHandle);
  }
  return o + "}";
}

}  // namespace

std::string librariesJson() {
  std::string o = "{";
  jsonField(o, "compiled");
  o += "true";
  std::string cublasWhy, cudnnWhy;
  const CublasApi* cublas = loadCublas(&cublasWhy);
  const CudnnApi* cudnn = loadCudnn(&cudnnWhy);
  library(o, "cublas", cublas ? cublas->path : "", cublasWhy);
  library(o, "cudnn", cudnn ? cudnn->path : "", cudnnWhy);
  jsonField(o, "searched");
  std::string list = "[";
  auto item = [&](const std::string& dir, const std::string& source) {
    if (list.size() > 1) list += ',';
    std::string e = "{";
    jsonField(e, "dir");
    appendJsonString(e, dir);
    jsonField(e, "source");
    appendJsonString(e, source);
    list += e + "}";
  };
  for (const auto& d : envLibDirs()) item(d, "NODETORCH_CUDA_LIB_PATH");
  item("(loader: LD_LIBRARY_PATH, ldconfig)", "loader");
  const LibSearch& s = usualLibDirs();
  for (const auto& d : s.dirs) item(d.dir, d.source);
  o += list + "]";
  jsonField(o, "sitePackages");
  appendJsonStrings(o, s.sitePackages);
  jsonField(o, "python");
  appendJsonString(o, s.pythonNote);
  return o + "}";
}

std::string testHook(const std::string& name) {
  if (name == "cudnn-fallback") return cudnnFallbackHook();
  if (name == "cudnn-conv") return cudnnConvHook();
  if (name == "cudnn-pool") return cudnnPoolHook();
  throw Error(ErrorKind::Argument,
              "cudaTestHook: unknown hook '" + name + "' (expected 'cudnn-fallback', 'cudnn-conv' or 'cudnn-pool')");
}

}  // namespace cuda
}  // namespace nt
