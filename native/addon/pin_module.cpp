// See pin_module.h. RTLD_NODELETE on the already loaded object (glibc, musl
// and macOS honour it with RTLD_NOLOAD); on Windows the module handle is pinned.
#include "pin_module.h"

#if defined(_WIN32)
#include <windows.h>
#else
#include <dlfcn.h>
#endif

namespace nt {
namespace addon {

void pinAddonInMemory() {
  static const bool pinned = [] {
    const void* self = reinterpret_cast<const void*>(&pinAddonInMemory);
#if defined(_WIN32)
    HMODULE h = nullptr;
    return GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_PIN,
                              static_cast<LPCWSTR>(self), &h) != 0;
#else
    Dl_info info{};
    if (!dladdr(self, &info) || !info.dli_fname) return false;
    // The extra reference is never closed: with NODELETE it keeps nothing else alive.
    return dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE) != nullptr;
#endif
  }();
  (void)pinned;
}

}  // namespace addon
}  // namespace nt
