// Threads, build and run-time information, memory statistics, CUDA status.
#include <cmath>
#include <string>
#include <thread>

#include "arg_reader.h"
#include "common/index_error_record.h"
#include "cpu/allocator.h"
#include "cpu/fma_peak.h"
#include "cpu/gemm.h"
#include "cpu/onednn_conv.h"
#include "cpu/parallel.h"
#include "cuda/cuda_api.h"
#include "execution.h"
#include "kernel_bindings.h"

#ifndef NT_VERSION
#define NT_VERSION "0.1.0"
#endif

namespace nt {
namespace addon {
namespace {

using Info = Napi::CallbackInfo;

Napi::Value SetNumThreads(const Info& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    if (!info[0].IsNumber()) argError("setNumThreads", "expected a number");
    const double v = info[0].As<Napi::Number>().DoubleValue();
    if (!std::isfinite(v) || v != std::floor(v) || v < 1 || v > 1024) {
      argError("setNumThreads", "thread count must be an integer in [1, 1024], got " + std::to_string(v));
    }
    execution(info.Env()).quiesce(DeviceType::CPU);  // queued kernels read the count
    cpu::setNumThreads(static_cast<int>(v));
    return info.Env().Undefined();
  });
}

Napi::Value GetNumThreads(const Info& info) { return Napi::Number::New(info.Env(), cpu::getNumThreads()); }

Napi::Array stringList(Napi::Env env, const std::vector<std::string>& items) {
  Napi::Array arr = Napi::Array::New(env, items.size());
  for (size_t i = 0; i < items.size(); ++i) arr.Set(static_cast<uint32_t>(i), items[i]);
  return arr;
}

std::vector<std::string> cpuFeatures() {
  std::vector<std::string> f;
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  if (__builtin_cpu_supports("sse4.2")) f.push_back("sse4.2");
  if (__builtin_cpu_supports("avx")) f.push_back("avx");
  if (__builtin_cpu_supports("avx2")) f.push_back("avx2");
  if (__builtin_cpu_supports("fma")) f.push_back("fma");
  if (__builtin_cpu_supports("avx512f")) f.push_back("avx512f");
#elif defined(__aarch64__)
  f.push_back("neon");
#endif
  return f;
}

// buildInfo() -> { version, gemm, cudaCompiled, cpuFeatures, hardwareThreads, compiler }
Napi::Value BuildInfo(const Info& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("version", NT_VERSION);
  o.Set("gemm", cpu::gemmProvider());
  o.Set("gemmDetail", cpu::gemmDetail());
  o.Set("cudaCompiled", cuda::compiled());
  o.Set("cpuFeatures", stringList(env, cpuFeatures()));
  o.Set("hardwareThreads", static_cast<double>(std::thread::hardware_concurrency()));
#if defined(__clang__)
  o.Set("compiler", std::string("clang ") + __clang_version__);
#elif defined(__GNUC__)
  o.Set("compiler", std::string("gcc ") + __VERSION__);
#elif defined(_MSC_VER)
  o.Set("compiler", "msvc " + std::to_string(_MSC_VER));
#endif
#if defined(__SANITIZE_ADDRESS__)
  o.Set("sanitizers", true);
#else
  o.Set("sanitizers", false);
#endif
  o.Set("kernels", stringList(env, kernelNames()));
  return o;
}

// memory() -> { cpu: {tensors, bytes, allocated, reserved}, cuda: {...} }
Napi::Value Memory(const Info& info) {
  Napi::Env env = info.Env();
  const auto& st = *state(env).stats;
  Napi::Object o = Napi::Object::New(env);
  const cpu::HostMemStats host = cpu::hostMemStats();
  Napi::Object c = Napi::Object::New(env);
  c.Set("tensors", static_cast<double>(st.tensors[0].load()));
  c.Set("bytes", static_cast<double>(st.bytes[0].load()));
  c.Set("allocated", static_cast<double>(host.allocated));
  c.Set("reserved", static_cast<double>(host.reserved));
  o.Set("cpu", c);
  Napi::Object g = Napi::Object::New(env);
  g.Set("tensors", static_cast<double>(st.tensors[1].load()));
  g.Set("bytes", static_cast<double>(st.bytes[1].load()));
  const cuda::MemStats dev = cuda::compiled() ? cuda::memStats() : cuda::MemStats{};
  g.Set("allocated", static_cast<double>(dev.allocated));
  g.Set("reserved", static_cast<double>(dev.reserved));
  o.Set("cuda", g);
  return o;
}

Napi::Value EmptyCache(const Info& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    cpu::hostEmptyCache();
    return info.Env().Undefined();
  });
}

// cudaStatus() -> { compiled, available, reason, deviceCount }
Napi::Value CudaStatus(const Info& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    const bool avail = cuda::available();
    o.Set("compiled", cuda::compiled());
    o.Set("available", avail);
    o.Set("reason", avail ? std::string() : cuda::unavailableReason());
    o.Set("deviceCount", avail ? cuda::deviceCount() : 0);
    return o;
  });
}

Napi::Value CudaInfo(const Info& info) {
  return guarded(info.Env(), [&]() -> Napi::Value { return Napi::String::New(info.Env(), cuda::infoJson()); });
}

Napi::Value CudaEmptyCache(const Info& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    if (cuda::compiled()) cuda::emptyCache();
    return info.Env().Undefined();
  });
}

Napi::Value CudaSynchronize(const Info& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    cuda::backend().synchronize();
    return info.Env().Undefined();
  });
}

Napi::Value CudaSetAllowTF32(const Info& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    if (!info[0].IsBoolean()) argError("allowTF32", "expected a boolean");
    cuda::setAllowTF32(info[0].As<Napi::Boolean>().Value());
    return info.Env().Undefined();
  });
}

Napi::Value CudaLibraries(const Info& info) {
  return guarded(info.Env(), [&]() -> Napi::Value { return Napi::String::New(info.Env(), cuda::librariesJson()); });
}

Napi::Value CudaTestHook(const Info& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    if (!info[0].IsString()) argError("cudaTestHook", "expected a hook name");
    return Napi::String::New(info.Env(), cuda::testHook(info[0].As<Napi::String>().Utf8Value()));
  });
}

// The host twin of the CUDA deferred index check (common/index_error_record.h):
// launches [{op, index: number[], size, dim?, ignore?}] run the check and
// commit steps in order; returns the message the next sync point would raise,
// or null.
Napi::Value DeferredIndexErrorTwin(const Info& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const char* fn = "deferredIndexErrorTwin";
    if (!info[0].IsArray()) argError(fn, "expected an array of launches");
    const Napi::Array launches = info[0].As<Napi::Array>();
    IndexErrorRecord rec;
    for (uint32_t k = 0; k < launches.Length(); ++k) {
      if (!launches.Get(k).IsObject()) argError(fn, "launch " + std::to_string(k) + " is not an object");
      const Napi::Object l = launches.Get(k).As<Napi::Object>();
      const std::string opName = l.Get("op").IsString() ? l.Get("op").As<Napi::String>().Utf8Value() : "";
      IndexErrorOp op;
      if (opName == "cross_entropy") op = IndexErrorOp::CrossEntropy;
      else if (opName == "index_select") op = IndexErrorOp::IndexSelect;
      else if (opName == "embedding") op = IndexErrorOp::Embedding;
      else if (opName == "index_add") op = IndexErrorOp::IndexAdd;
      else if (opName == "gather") op = IndexErrorOp::Gather;
      else if (opName == "scatter_add") op = IndexErrorOp::ScatterAdd;
      else argError(fn, "unknown op '" + opName + "'");
      if (!l.Get("index").IsArray() || !l.Get("size").IsNumber())
        argError(fn, "expected index: number[] and size: number");
      const Napi::Array idx = l.Get("index").As<Napi::Array>();
      const int64_t size = l.Get("size").As<Napi::Number>().Int64Value();
      const int64_t dim = l.Get("dim").IsNumber() ? l.Get("dim").As<Napi::Number>().Int64Value() : 0;
      const bool hasIgnore = l.Get("ignore").IsNumber();
      const int64_t ignore = hasIgnore ? l.Get("ignore").As<Napi::Number>().Int64Value() : 0;
      for (uint32_t j = 0; j < idx.Length(); ++j) {  // the check kernel's lowest bad position
        const int64_t v = idx.Get(j).As<Napi::Number>().Int64Value();
        if (isBadIndex(v, size, hasIgnore, ignore)) {
          commitIndexError(&rec, j, v, size, op, dim);
          break;
        }
      }
    }
    if (rec.pos < 0) return info.Env().Null();
    return Napi::String::New(info.Env(), indexErrorMessage(rec));
  });
}

// onednnStatus() -> { available, reason, path, version }: loads oneDNN on the first call.
Napi::Value OnednnStatus(const Info& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const cpu::OnednnStatus& st = cpu::onednnStatus();
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("available", st.available);
    o.Set("reason", st.reason);
    o.Set("path", st.path);
    o.Set("version", st.version);
    return o;
  });
}

// benchFmaPeak(threads, seconds) -> { gflops, seconds, isa }: the bench's
// measured FLOP peak (cpu/fma_peak.h); not part of the public API.
Napi::Value BenchFmaPeak(const Info& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    if (!info[0].IsNumber() || !info[1].IsNumber()) argError("benchFmaPeak", "expected (threads, seconds) numbers");
    const double t = info[0].As<Napi::Number>().DoubleValue();
    const double s = info[1].As<Napi::Number>().DoubleValue();
    if (!(t >= 1 && t <= 256) || t != std::floor(t))
      argError("benchFmaPeak", "threads must be an integer in [1, 256], got " + std::to_string(t));
    if (!(s > 0 && s <= 10)) argError("benchFmaPeak", "seconds must be in (0, 10], got " + std::to_string(s));
    const cpu::FmaPeak p = cpu::measureFmaPeak(static_cast<int>(t), s);
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("gflops", p.gflops);
    o.Set("seconds", p.seconds);
    o.Set("isa", p.isa);
    return o;
  });
}

}  // namespace

void registerInfoBindings(Napi::Env env, Napi::Object exports) {
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads, "setNumThreads"));
  exports.Set("getNumThreads", Napi::Function::New(env, GetNumThreads, "getNumThreads"));
  exports.Set("buildInfo", Napi::Function::New(env, BuildInfo, "buildInfo"));
  exports.Set("memory", Napi::Function::New(env, Memory, "memory"));
  exports.Set("emptyCache", Napi::Function::New(env, EmptyCache, "emptyCache"));
  exports.Set("cudaStatus", Napi::Function::New(env, CudaStatus, "cudaStatus"));
  exports.Set("cudaInfo", Napi::Function::New(env, CudaInfo, "cudaInfo"));
  exports.Set("cudaEmptyCache", Napi::Function::New(env, CudaEmptyCache, "cudaEmptyCache"));
  exports.Set("cudaSynchronize", Napi::Function::New(env, CudaSynchronize, "cudaSynchronize"));
  exports.Set("cudaSetAllowTF32", Napi::Function::New(env, CudaSetAllowTF32, "cudaSetAllowTF32"));
  exports.Set("onednnStatus", Napi::Function::New(env, OnednnStatus, "onednnStatus"));
  exports.Set("cudaLibraries", Napi::Function::New(env, CudaLibraries, "cudaLibraries"));
  exports.Set("cudaTestHook", Napi::Function::New(env, CudaTestHook, "cudaTestHook"));
  exports.Set("deferredIndexErrorTwin", Napi::Function::New(env, DeferredIndexErrorTwin, "deferredIndexErrorTwin"));
  exports.Set("benchFmaPeak", Napi::Function::New(env, BenchFmaPeak, "benchFmaPeak"));
}

}  // namespace addon
}  // namespace nt
