// Storage functions: allocation, host <-> device copies, disposal. Sizes
// come as plain JS numbers here (these calls are not on the per-op hot path
// except item()), each validated before use.
#include <cmath>
#include <cstring>
#include <string>

#include "arg_reader.h"
#include "execution.h"
#include "kernel_bindings.h"
#include "storage.h"

namespace nt {
namespace addon {
namespace {

using Info = Napi::CallbackInfo;

int64_t intArg(const Info& info, size_t i, const char* op, const char* what, int64_t lo, int64_t hi) {
  if (!info[i].IsNumber()) argError(op, std::string(what) + " must be a number");
  const double v = info[i].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(v) || v != std::floor(v) || v < static_cast<double>(lo) || v > static_cast<double>(hi)) {
    argError(op, std::string(what) + " must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                     "], got " + std::to_string(v));
  }
  return static_cast<int64_t>(v);
}

DeviceType deviceArg(const Info& info, size_t i, const char* op) {
  return static_cast<DeviceType>(intArg(info, i, op, "device", 0, 1));
}
DType dtypeArg(const Info& info, size_t i, const char* op) {
  return static_cast<DType>(intArg(info, i, op, "dtype", 0, kNumDTypes - 1));
}

Napi::TypedArray viewArg(const Info& info, size_t i, const char* op) {
  if (!info[i].IsTypedArray()) argError(op, "expected a typed array");
  return info[i].As<Napi::TypedArray>();
}

// The view's first byte. Straight from napi_get_typedarray_info: going through
// view.ArrayBuffer() fails (untyped "Invalid argument") for SharedArrayBuffer views.
uint8_t* viewData(Napi::TypedArray view) {
  void* data = nullptr;
  napi_status st = napi_get_typedarray_info(view.Env(), view, nullptr, nullptr, &data, nullptr, nullptr);
  if (st != napi_ok) argError("fromArray", "could not read the typed array's memory");
  return static_cast<uint8_t*>(data);
}

// alloc(device, dtype, numel) -> handle
Napi::Value Alloc(const Info& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const char* op = "alloc";
    const DeviceType dev = deviceArg(info, 0, op);
    const DType dt = dtypeArg(info, 1, op);
    const int64_t n = intArg(info, 2, op, "numel", 0, ArgReader::kMaxSize);
    return newStorage(info.Env(), dev, dt, n);
  });
}

// fromArray(device, dtype, typedArray) -> handle holding a copy of its bytes
Napi::Value FromArray(const Info& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const char* op = "fromArray";
    const DeviceType dev = deviceArg(info, 0, op);
    const DType dt = dtypeArg(info, 1, op);
    Napi::TypedArray view = viewArg(info, 2, op);
    const size_t bytes = view.ByteLength();
    if (bytes % dtypeSize(dt) != 0) {
      argError(op,
               "typed array of " + std::to_string(bytes) + " bytes does not hold whole " + dtypeName(dt) + " elements");
    }
    const int64_t n = static_cast<int64_t>(bytes / dtypeSize(dt));
    Napi::External<StorageRecord> h = newStorage(info.Env(), dev, dt, n);
    if (bytes) backendFor(dev).copyFromHost(h.Data()->ptr, viewData(view), bytes);
    return h;
  });
}

// toArray(handle, offset, numel, typedArrayOut): copies numel elements
Napi::Value ToArray(const Info& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const char* op = "toArray";
    StorageRecord& rec = unwrapStorage(info, 0, op);
    const int64_t off = intArg(info, 1, op, "offset", 0, rec.numel);
    const int64_t n = intArg(info, 2, op, "numel", 0, rec.numel - off);
    Napi::TypedArray view = viewArg(info, 3, op);
    const size_t bytes = static_cast<size_t>(n) * dtypeSize(rec.dtype);
    if (view.ByteLength() < bytes) argError(op, "output array is too small");
    execution(info.Env()).sync(rec.device);
    if (bytes) {
      backendFor(rec.device)
          .copyToHost(viewData(view), static_cast<char*>(rec.ptr) + off * dtypeSize(rec.dtype), bytes);
    }
    return info.Env().Undefined();
  });
}

template <typename T>
double readAs(const void* p) {
  return static_cast<double>(*static_cast<const T*>(p));
}

// item(handle, offset) -> number
Napi::Value Item(const Info& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const char* op = "item";
    StorageRecord& rec = unwrapStorage(info, 0, op);
    const int64_t off = intArg(info, 1, op, "offset", 0, rec.numel - 1);
    execution(info.Env()).sync(rec.device);
    alignas(8) unsigned char buf[8];
    const size_t item = dtypeSize(rec.dtype);
    const char* src = static_cast<const char*>(rec.ptr) + off * item;
    if (rec.device == DeviceType::CPU) std::memcpy(buf, src, item);
    else backendFor(rec.device).copyToHost(buf, src, item);
    double v = 0;
    switch (rec.dtype) {
      case DType::Float32: v = readAs<float>(buf); break;
      case DType::Float64: v = readAs<double>(buf); break;
      case DType::Int32: v = readAs<int32_t>(buf); break;
      case DType::Int64: v = readAs<int64_t>(buf); break;
      case DType::UInt8:
      case DType::Bool: v = readAs<uint8_t>(buf); break;
    }
    return Napi::Number::New(info.Env(), v);
  });
}

Napi::Value Dispose(const Info& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    if (!info[0].IsExternal()) argError("dispose", "expected a storage handle");
    try {
      StorageRecord& rec = unwrapStorage(info, 0, "dispose");
      disposeStorage(info.Env(), rec);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::Disposed) throw;  // disposing twice is harmless
    }
    return info.Env().Undefined();
  });
}

// transfer(dst, dstOffset, src, srcOffset, numel): same dtype, any devices.
Napi::Value Transfer(const Info& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const char* op = "to";
    StorageRecord& dst = unwrapStorage(info, 0, op);
    const int64_t dOff = intArg(info, 1, op, "offset", 0, dst.numel);
    StorageRecord& src = unwrapStorage(info, 2, op);
    const int64_t sOff = intArg(info, 3, op, "offset", 0, src.numel);
    const int64_t n = intArg(info, 4, op, "numel", 0, ArgReader::kMaxSize);
    requireSameDtype(op, dst, src);
    if (n > dst.numel - dOff || n > src.numel - sOff) argError(op, "copy range outside the storage");
    const size_t item = dtypeSize(dst.dtype), bytes = static_cast<size_t>(n) * item;
    if (!bytes) return info.Env().Undefined();
    char* d = static_cast<char*>(dst.ptr) + dOff * item;
    const char* s = static_cast<const char*>(src.ptr) + sOff * item;
    if (dst.device != src.device) {
      // The CPU side is read or written here, on this thread.
      execution(info.Env()).sync(DeviceType::CPU);
      if (dst.device == DeviceType::CPU) backendFor(src.device).copyToHost(d, s, bytes);
      else backendFor(dst.device).copyFromHost(d, s, bytes);
    } else {
      CopyArgs a;
      a.shape.ndim = 1;
      a.shape.sizes[0] = n;
      a.out.data = d;
      a.out.dtype = dst.dtype;
      a.out.strides[0] = 1;
      a.in.data = const_cast<char*>(s);
      a.in.dtype = src.dtype;
      a.in.strides[0] = 1;
      launch(info.Env(), dst.device, keepOf({&dst, &src}), [a](Backend& b) { b.copy(a); });
    }
    return info.Env().Undefined();
  });
}

// storageInfo(handle) -> [dtype, device, numel, disposed]
Napi::Value StorageInfo(const Info& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    if (!info[0].IsExternal()) argError("storageInfo", "expected a storage handle");
    StorageRecord* rec;
    try {
      rec = &unwrapStorage(info, 0, "storageInfo");
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::Disposed) throw;
      Napi::Array out = Napi::Array::New(env, 4);
      out.Set(3u, Napi::Boolean::New(env, true));
      return out;
    }
    Napi::Array out = Napi::Array::New(env, 4);
    out.Set(0u, Napi::Number::New(env, static_cast<int>(rec->dtype)));
    out.Set(1u, Napi::Number::New(env, static_cast<int>(rec->device)));
    out.Set(2u, Napi::Number::New(env, static_cast<double>(rec->numel)));
    out.Set(3u, Napi::Boolean::New(env, false));
    return out;
  });
}

}  // namespace

void registerStorageBindings(Napi::Env env, Napi::Object exports) {
  exports.Set("alloc", Napi::Function::New(env, Alloc, "alloc"));
  exports.Set("fromArray", Napi::Function::New(env, FromArray, "fromArray"));
  exports.Set("toArray", Napi::Function::New(env, ToArray, "toArray"));
  exports.Set("item", Napi::Function::New(env, Item, "item"));
  exports.Set("dispose", Napi::Function::New(env, Dispose, "dispose"));
  exports.Set("transfer", Napi::Function::New(env, Transfer, "transfer"));
  exports.Set("storageInfo", Napi::Function::New(env, StorageInfo, "storageInfo"));
}

}  // namespace addon
}  // namespace nt
