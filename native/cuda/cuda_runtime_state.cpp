// The CUDA side of cuda_api.h for CUDA builds: a lazy one-time probe
// (driver, device, cuBLAS, optional cuDNN) that either builds the device
// state (stream, allocator, library handles, error flag) or records one
// clear reason why CUDA cannot be used. Nothing runs at addon load time.
#include <dlfcn.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include "common/json_text.h"
#include "cuda/cuda_api.h"
#include "cuda/cuda_check.h"
#include "cuda/cuda_state.h"
#include "cuda/kernels.h"
#include "cuda/lib_search.h"

namespace nt {
namespace cuda {

Backend& cudaBackendInstance();  // backend_cuda.cpp

namespace {

struct Runtime {
  std::once_flag once;
  std::atomic<bool> ready{false};
  std::string reason;     // why CUDA is unusable (empty when ready)
  std::string cudnnNote;  // why cuDNN is not used (empty when loaded)
  int deviceCount = 0, runtimeVersion = 0, driverVersion = 0;
  std::string deviceName;
  int ccMajor = 0, ccMinor = 0, smCount = 0;
  uint64_t totalMemory = 0;
  int cublasVersion = 0;
  size_t cudnnVersion = 0;
  std::unique_ptr<DeviceAllocator> alloc;
  std::mutex cublasMutex, cudnnMutex, errFlagMutex;
  Ctx ctx;
};

// Never destroyed: CUDA objects must not be torn down by static destructors
// after the driver may already be unloading.
Runtime& rt() {
  static Runtime* r = new Runtime;
  return *r;
}

std::atomic<bool> gAllowTF32{false};
// The local rank selectDevice() was given (-1: none, device 0); read by the probe.
std::atomic<int> gLocalRank{-1};
std::atomic<bool> gProbeStarted{false};

// The oldest Linux driver branch that runs the CUDA 13.0 runtime.
const char* const kDriverFloor = "R580 (580.65.06)";

std::string versionText(int v) {  // 13000 -> "13.0"
  return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10);
}

std::string describeCudaFailure(cudaError_t e, const Runtime& r) {
  const std::string code = "cudaGetDeviceCount: " + describeCudaError(e);
  dlerror();
  void* h = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
  if (!h) {
    const char* err = dlerror();
    return "no NVIDIA driver: libcuda.so.1 could not be loaded (" + std::string(err ? err : "not found") + "); " + code;
  }
  dlclose(h);
  if (e == cudaErrorInsufficientDriver || (r.driverVersion > 0 && r.driverVersion < r.runtimeVersion))
    return "driver too old: the NVIDIA driver supports CUDA " + versionText(r.driverVersion) +
           ", this build of nodetorch uses the CUDA " + versionText(r.runtimeVersion) +
           " runtime, linked in statically, and needs driver " + kDriverFloor +
           " or newer (update the driver, or use the CPU); " + code;
  if (e == cudaErrorNoDevice) {
    std::string s = "no CUDA device found";
    if (const char* v = std::getenv("CUDA_VISIBLE_DEVICES")) s += " (CUDA_VISIBLE_DEVICES=\"" + std::string(v) + "\")";
    return s + "; " + code;
  }
  return "CUDA initialization failed; " + code;
}

// Throws std::runtime_error with the step that failed.
void need(cudaError_t e, const char* step) {
  if (e != cudaSuccess) {
    cudaGetLastError();
    throw std::runtime_error(std::string(step) + ": " + describeCudaError(e));
  }
}

void probe(Runtime& r) {
  cudaRuntimeGetVersion(&r.runtimeVersion);
  cudaDriverGetVersion(&r.driverVersion);  // 0 without a driver
  cudaGetLastError();
  int n = 0;
  const cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    cudaGetLastError();
    r.reason = describeCudaFailure(e, r);
    return;
  }
  if (n <= 0) {
    r.reason = "no CUDA device found (cudaGetDeviceCount returned 0)";
    return;
  }
  r.deviceCount = n;

  std::string why;
  const CublasApi* cublas = loadCublas(&why);
  if (!cublas) {
    r.reason = why;
    return;
  }

  try {
    Ctx& c = r.ctx;
    const int dev = gLocalRank.load() >= 0 ? gLocalRank.load() % n : 0;
    c.device = dev;
    need(cudaSetDevice(dev), "cudaSetDevice");
    cudaDeviceProp p{};
    need(cudaGetDeviceProperties(&p, dev), "cudaGetDeviceProperties");
    r.deviceName = p.name;
    r.ccMajor = p.major;
    r.ccMinor = p.minor;
    r.smCount = p.multiProcessorCount;
    r.totalMemory = p.totalGlobalMem;
    if (p.major * 10 + p.minor < 75) {
      r.reason = "device " + std::to_string(dev) + " (" + r.deviceName + ") has compute capability " +
                 std::to_string(p.major) + "." + std::to_string(p.minor) +
                 "; this build of nodetorch needs 7.5 or newer";
      return;
    }
    need(cudaStreamCreateWithFlags(&c.stream, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
    // The error record needs no pinned host memory (takeIndexError copies
    // it to the stack), so a host without pinnable memory still runs.
    need(cudaMalloc(reinterpret_cast<void**>(&c.errFlag), sizeof(int64_t)), "cudaMalloc (error flag)");
    need(cudaMalloc(reinterpret_cast<void**>(&c.errRecord), sizeof(IndexErrorRecord)), "cudaMalloc (error record)");
    need(cudaMemsetAsync(c.errFlag, 0x7F, sizeof(int64_t), c.stream), "cudaMemsetAsync (error flag)");
    need(cudaMemsetAsync(c.errRecord, 0xFF, sizeof(IndexErrorRecord), c.stream), "cudaMemsetAsync (error record)");
    need(cudaStreamSynchronize(c.stream), "cudaStreamSynchronize (error flag)");
    c.smCount = r.smCount > 0 ? r.smCount : 1;
    r.alloc.reset(new DeviceAllocator(dev, c.stream));
    c.alloc = r.alloc.get();
    c.cublasMutex = &r.cublasMutex;
    c.errFlagMutex = &r.errFlagMutex;
    c.cudnnMutex = &r.cudnnMutex;

    c.cublas = cublas;
    cublasStatus_t s = cublas->create(&c.cublasHandle);
    if (s != CUBLAS_STATUS_SUCCESS) {
      r.reason = "cuBLAS (" + cublas->path + ") failed to initialize: cublasCreate_v2: " + cublasStatusText(s);
      return;
    }
    s = cublas->setStream(c.cublasHandle, c.stream);
    if (s != CUBLAS_STATUS_SUCCESS) {
      r.reason = "cuBLAS (" + cublas->path + "): cublasSetStream_v2: " + cublasStatusText(s);
      return;
    }
    cublas->getVersion(c.cublasHandle, &r.cublasVersion);

    // cuDNN is optional: without it activations and softmax use our kernels.
    std::string cudnnWhy;
    if (const CudnnApi* cudnn = loadCudnn(&cudnnWhy)) {
      cudnnHandle_t h = nullptr;
      cudnnStatus_t ds = cudnn->create(&h);
      if (ds == CUDNN_STATUS_SUCCESS) ds = cudnn->setStream(h, c.stream);
      if (ds == CUDNN_STATUS_SUCCESS) {
        c.cudnn = cudnn;
        c.cudnnHandle = h;
        r.cudnnVersion = cudnn->getVersion();
      } else {
        r.cudnnNote = "cuDNN (" + cudnn->path + ") failed to initialize: " + cudnnStatusText(ds) +
                      "; activations and softmax use nodetorch's own kernels";
      }
    } else {
      r.cudnnNote = cudnnWhy + "; activations and softmax use nodetorch's own kernels";
    }
    cudaGetLastError();
    r.ready = true;
  } catch (const std::exception& ex) { r.reason = std::string("CUDA setup failed: ") + ex.what(); }
}

Runtime& probed() {
  Runtime& r = rt();
  std::call_once(r.once, [&r] {
    gProbeStarted = true;
    try {
      probe(r);
    } catch (const std::exception& ex) { r.reason = std::string("CUDA probe failed: ") + ex.what(); }
  });
  return r;
}

void field(std::string& out, const char* key) { jsonField(out, key); }

}  // namespace

bool compiled() { return true; }

bool available() { return probed().ready; }

std::string selectDevice(int localRank) {
  if (localRank < 0) return "the local rank must be >= 0, got " + std::to_string(localRank);
  if (!gProbeStarted.load()) gLocalRank = localRank;
  Runtime& r = probed();
  if (!r.ready) return r.reason;
  const int want = localRank % r.deviceCount;
  if (r.ctx.device != want) {
    return "CUDA already runs on device " + std::to_string(r.ctx.device) + ", local rank " + std::to_string(localRank) +
           " needs device " + std::to_string(want) +
           ": call initProcessGroup() before the first CUDA tensor, or set CUDA_VISIBLE_DEVICES per rank";
  }
  return "";
}

std::string unavailableReason() {
  Runtime& r = probed();
  return r.ready ? std::string() : r.reason;
}

int deviceCount() {
  Runtime& r = probed();
  return r.ready ? r.deviceCount : 0;
}

std::string infoJson() {
  Runtime& r = probed();
  std::string o = "{";
  field(o, "compiled");
  o += "true";
  field(o, "available");
  o += r.ready ? "true" : "false";
  field(o, "reason");
  if (r.ready) o += "null";
  else appendJsonString(o, r.reason);
  field(o, "runtimeVersion");
  appendJsonString(o, versionText(r.runtimeVersion));
  field(o, "driverVersion");
  if (r.driverVersion > 0) appendJsonString(o, versionText(r.driverVersion));
  else o += "null";
  field(o, "deviceCount");
  o += std::to_string(r.deviceCount);
  field(o, "device");
  if (!r.deviceName.empty()) {
    o += "{\"index\":0,\"name\":";
    appendJsonString(o, r.deviceName);
    o += ",\"computeCapability\":\"" + std::to_string(r.ccMajor) + "." + std::to_string(r.ccMinor) + "\"";
    o += ",\"totalMemory\":" + std::to_string(r.totalMemory);
    o += ",\"multiProcessors\":" + std::to_string(r.smCount) + "}";
  } else {
    o += "null";
  }
  field(o, "cublas");
  if (r.ready) {
    o += "{\"path\":";
    appendJsonString(o, r.ctx.cublas->path);
    o += ",\"version\":" + std::to_string(r.cublasVersion) + "}";
  } else {
    o += "null";
  }
  field(o, "cudnn");
  if (r.ready && r.ctx.cudnn) {
    o += "{\"path\":";
    appendJsonString(o, r.ctx.cudnn->path);
    o += ",\"version\":" + std::to_string(r.cudnnVersion) + "}";
  } else {
    o += "null";
  }
  field(o, "cudnnNote");
  if (r.ready && !r.cudnnNote.empty()) appendJsonString(o, r.cudnnNote);
  else o += "null";
  field(o, "driverFloor");
  appendJsonString(o, kDriverFloor);
  field(o, "cudnnFallbacks");
  appendJsonStrings(o, cudnnFallbackNotes());
  field(o, "stream");
  o += "\"non-blocking\"";
  field(o, "allowTF32");
  o += gAllowTF32 ? "true" : "false";
  field(o, "convEngine");
  o += cudnnConvInfoJson(r.ready ? &r.ctx : nullptr);
  o += "}";
  return o;
}

const Ctx& ctx() {
  Runtime& r = probed();
  if (!r.ready) throw Error(ErrorKind::Cuda, "CUDA is not available: " + r.reason);
  return r.ctx;
}

Backend& backend() {
  ctx();  // throws with the reason when unusable
  return cudaBackendInstance();
}

MemStats memStats() {
  Runtime& r = rt();
  MemStats m;
  if (r.ready) {
    m.allocated = r.alloc->allocated();
    m.reserved = r.alloc->reserved();
  }
  return m;
}

void emptyCache() {
  Runtime& r = rt();
  if (r.ready) r.alloc->emptyCache();
}

void setAllowTF32(bool allow) { gAllowTF32 = allow; }
bool allowTF32() { return gAllowTF32; }

}  // namespace cuda
}  // namespace nt
