// See blas_dynload.h. NODETORCH_OPENBLAS names a library file to open first;
// NODETORCH_BLAS=fallback disables OpenBLAS at run time as well.
#include "cpu/blas_dynload.h"

#include <cstdlib>
#include <string>

#if defined(NT_HAVE_OPENBLAS)
#include <cblas.h>
#elif defined(NT_OPENBLAS_DLOPEN) && !defined(_WIN32)
#include <dlfcn.h>
#endif

namespace nt {
namespace cpu {
namespace {

struct Loaded {
  BlasApi api{};
  bool ok = false;
  std::string reason;
};

#if defined(NT_HAVE_OPENBLAS)
// cblas.h's enums and blasint are int-sized, so these adapters cost a call.
void sgemmLinked(int o, int ta, int tb, int m, int n, int k, float al, const float* A, int lda, const float* B, int ldb,
                 float be, float* C, int ldc) {
  cblas_sgemm(CBLAS_ORDER(o), CBLAS_TRANSPOSE(ta), CBLAS_TRANSPOSE(tb), m, n, k, al, A, lda, B, ldb, be, C, ldc);
}
void dgemmLinked(int o, int ta, int tb, int m, int n, int k, double al, const double* A, int lda, const double* B,
                 int ldb, double be, double* C, int ldc) {
  cblas_dgemm(CBLAS_ORDER(o), CBLAS_TRANSPOSE(ta), CBLAS_TRANSPOSE(tb), m, n, k, al, A, lda, B, ldb, be, C, ldc);
}

Loaded resolve() {
  Loaded l;
  l.api = BlasApi{sgemmLinked, dgemmLinked, openblas_set_num_threads, openblas_get_corename, "linked (static)"};
  l.ok = true;
  return l;
}
#elif defined(NT_OPENBLAS_DLOPEN) && !defined(_WIN32)
template <class F>
bool sym(void* h, const char* name, F& out) {
  out = reinterpret_cast<F>(dlsym(h, name));
  return out != nullptr;
}

// Why: every GEMM runs OpenBLAS single-threaded, split over our own pool
// (gemm.cpp), so its thread pool would only sit beside ours. OpenBLAS
// starts its workers when it loads, from OPENBLAS_NUM_THREADS: set to 1
// for the dlopen calls below (then removed again, so child processes do not
// inherit it); a value the user set is left alone, and blas() still sets
// the count to 1 after loading.
struct SingleThreadedOpenBlasLoad {
  bool set = false;
  SingleThreadedOpenBlasLoad() {
    if (!std::getenv("OPENBLAS_NUM_THREADS")) set = setenv("OPENBLAS_NUM_THREADS", "1", 0) == 0;
  }
  ~SingleThreadedOpenBlasLoad() {
    if (set) unsetenv("OPENBLAS_NUM_THREADS");
  }
};

Loaded resolve() {
  Loaded l;
  std::string tried;
  const SingleThreadedOpenBlasLoad singleThreaded;  // for the dlopen calls below
  const char* env = std::getenv("NODETORCH_OPENBLAS");
#ifdef __APPLE__
  const char* sonames[] = {env, "libopenblas.0.dylib", "/opt/homebrew/opt/openblas/lib/libopenblas.0.dylib",
                           "/usr/local/opt/openblas/lib/libopenblas.0.dylib"};
#else
  // libopenblas.so.0: Debian/Ubuntu's libopenblas0 (pthread variant by
  // default), Fedora's openblas-serial ships the same soname.
  const char* sonames[] = {env, "libopenblas.so.0", "libopenblas.so"};
#endif
  for (const char* name : sonames) {
    if (!name || !*name) continue;
    void* h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      const char* e = dlerror();
      tried += std::string(tried.empty() ? "" : "; ") + name + ": " + (e ? e : "not found");
      continue;
    }
    BlasApi a{};
    if (sym(h, "cblas_sgemm", a.sgemm) && sym(h, "cblas_dgemm", a.dgemm) &&
        sym(h, "openblas_set_num_threads", a.setNumThreads) && sym(h, "openblas_get_corename", a.coreName)) {
      Dl_info where{};
      a.origin = dladdr(reinterpret_cast<void*>(a.sgemm), &where) && where.dli_fname ? where.dli_fname : name;
      l.api = a;
      l.ok = true;
      return l;  // kept open for the life of the process
    }
    tried += std::string(tried.empty() ? "" : "; ") + name + ": not OpenBLAS (cblas_sgemm/openblas_* missing)";
    dlclose(h);
  }
  l.reason = "OpenBLAS not found (tried " + tried +
             "); install it (Debian/Ubuntu: apt-get install libopenblas0; Fedora: dnf install openblas; "
             "macOS: brew install openblas) or set NODETORCH_OPENBLAS=/path/to/libopenblas.so";
  return l;
}
#else
Loaded resolve() {
  Loaded l;
  l.reason = "this binary was built without OpenBLAS (NODETORCH_BLAS=fallback, or no dlopen on this platform)";
  return l;
}
#endif

const Loaded& loaded() {
  static const Loaded l = [] {
    const char* mode = std::getenv("NODETORCH_BLAS");
    if (mode && std::string(mode) == "fallback") {
      Loaded off;
      off.reason = "NODETORCH_BLAS=fallback";
      return off;
    }
    Loaded l = resolve();
    if (l.ok) l.api.setNumThreads(1);  // gemm.cpp splits GEMMs over our pool
    return l;
  }();
  return l;
}

}  // namespace

const BlasApi* blas() { return loaded().ok ? &loaded().api : nullptr; }
std::string blasUnavailableReason() { return loaded().reason; }

}  // namespace cpu
}  // namespace nt
