// Addon entry point. Context-aware (NODE_API_ADDON): each environment (main
// thread or worker) gets its own AddonState, released with the environment.
#include <napi.h>

#include "addon_state.h"
#include "common/kernel_api.h"
#include "cpu/parallel.h"
#include "execution.h"
#include "kernel_bindings.h"
#include "malloc_tuning.h"
#include "pin_module.h"

namespace nt {
namespace addon {

AddonState& state(Napi::Env env) { return *env.GetInstanceData<AddonState>(); }

void throwJs(Napi::Env env, ErrorKind kind, const std::string& message) {
  AddonState& st = state(env);
  const int k = static_cast<int>(kind);
  if (st.errorClassesSet && k >= 0 && k < kNumErrorKinds && !st.errorClasses[k].IsEmpty()) {
    Napi::Object err = st.errorClasses[k].New({Napi::String::New(env, ""), Napi::String::New(env, message)});
    throw Napi::Error(env, err);
  }
  throw Napi::Error::New(env, message);
}

namespace {

// setErrorClasses([NativeError, ShapeError, ...]) in nt::ErrorKind order.
Napi::Value SetErrorClasses(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray()) throw Napi::TypeError::New(env, "setErrorClasses: expected an array of classes");
  Napi::Array arr = info[0].As<Napi::Array>();
  AddonState& st = state(env);
  for (uint32_t i = 0; i < arr.Length() && i < static_cast<uint32_t>(kNumErrorKinds); ++i) {
    Napi::Value v = arr.Get(i);
    if (!v.IsFunction()) throw Napi::TypeError::New(env, "setErrorClasses: every entry must be a class");
    st.errorClasses[i] = Napi::Persistent(v.As<Napi::Function>());
  }
  st.errorClassesSet = true;
  return env.Undefined();
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  tuneMallocOnce();
  pinAddonInMemory();
  auto* st = new AddonState();
  env.SetInstanceData<AddonState>(st);  // deleted by node-addon-api at env teardown
  st->argsStorage.reset(new double[kArgSlots]());
  st->args = st->argsStorage.get();
  // External buffer over the state's own memory (no-op finalizer: the state
  // frees it at environment teardown, after JS is gone).
  Napi::ArrayBuffer argsBuffer =
      Napi::ArrayBuffer::New(env, st->args, kArgSlots * sizeof(double), [](Napi::Env, void*) {});
  Napi::Float64Array args = Napi::Float64Array::New(env, kArgSlots, argsBuffer, 0);
  st->argsRef = Napi::Persistent(args);
  exports.Set("args", args);
  exports.Set("setErrorClasses", Napi::Function::New(env, SetErrorClasses, "setErrorClasses"));
  Napi::Object kernels = Napi::Object::New(env);
  registerKernelBindings(env, kernels);
  exports.Set("kernels", kernels);
  registerStorageBindings(env, exports);
  registerInfoBindings(env, exports);
  registerExecutionBindings(env, exports);
  registerShareBindings(env, exports);
  registerDistributedBindings(env, exports);
  st->execution = std::make_unique<Execution>(env);
  // Hand the pool's default (NODETORCH_NUM_THREADS or the core count) to
  // the GEMM too, so both use the same thread count from the start.
  cpu::setNumThreads(cpu::getNumThreads());
  return exports;
}

}  // namespace addon
}  // namespace nt

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return nt::addon::Init(env, exports); }
NODE_API_MODULE(nodetorch, InitModule)
