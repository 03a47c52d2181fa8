#pragma once
#include <napi.h>

namespace nt {
namespace addon {
// Adds one function per kernel of NT_KERNEL_LIST to `kernels`.
void registerKernelBindings(Napi::Env env, Napi::Object kernels);
// Storage functions (alloc, fromArray, toArray, item, dispose, transfer).
void registerStorageBindings(Napi::Env env, Napi::Object exports);
// Threads, build/runtime info, memory stats, CUDA status.
void registerInfoBindings(Napi::Env env, Napi::Object exports);
// synchronize(device) and whenIdle(device) -> Promise (execution.h).
void registerExecutionBindings(Napi::Env env, Napi::Object exports);
// shareStorage, adoptStorage, releaseShared: storages across worker_threads
// (shared_storage.cpp).
void registerShareBindings(Napi::Env env, Napi::Object exports);
void registerDistributedBindings(Napi::Env env, Napi::Object exports);  // native/distributed
}  // namespace addon
}  // namespace nt
