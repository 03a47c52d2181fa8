// The JS view of execution.h: synchronize(device) blocks until the device's
// queued kernels have run and raises a deferred kernel error; whenIdle(device)
// returns a promise for the same that does not block.
#include "arg_reader.h"
#include "execution.h"
#include "kernel_bindings.h"

namespace nt {
namespace addon {
namespace {

DeviceType deviceOf(const Napi::CallbackInfo& info, const char* op) {
  if (!info[0].IsNumber()) argError(op, "device must be a number");
  const double v = info[0].As<Napi::Number>().DoubleValue();
  if (v != 0 && v != 1) argError(op, "device must be 0 (cpu) or 1 (cuda), got " + std::to_string(v));
  return static_cast<DeviceType>(static_cast<int>(v));
}

Napi::Value Synchronize(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const DeviceType device = deviceOf(info, "synchronize");
    execution(info.Env()).sync(device);
    if (device == DeviceType::CUDA) backendFor(device).synchronize();
    return info.Env().Undefined();
  });
}

Napi::Value WhenIdle(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    return execution(info.Env()).whenIdle(info.Env(), deviceOf(info, "whenIdle"));
  });
}

}  // namespace

void registerExecutionBindings(Napi::Env env, Napi::Object exports) {
  exports.Set("synchronize", Napi::Function::New(env, Synchronize, "synchronize"));
  exports.Set("whenIdle", Napi::Function::New(env, WhenIdle, "whenIdle"));
}

}  // namespace addon
}  // namespace nt
