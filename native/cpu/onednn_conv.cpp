// conv2d on oneDNN, opened with dlopen (onednn_abi.h declares what is used).
// One primitive per direction and geometry, created on first use and cached;
// the tensors stay plain NCHW / [Co, Cg, kh, kw], and an operand is reordered
// to or from the layout oneDNN chose (format "any") only when they differ.
// Reorder buffers and the scratchpad come from the host allocator per call
// (its cache makes that free of heap churn). The library's OpenMP threads
// are set to nodetorch's count before each call and wait passively: conv
// kernels run one at a time (a mutex spans the call) while nodetorch's own
// pool idles, so the two never compete for the cores.
#include "cpu/onednn_conv.h"

#include <dlfcn.h>

#include <array>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "common/errors.h"
#include "cpu/allocator.h"
#include "cpu/onednn_abi.h"
#include "cpu/parallel.h"

namespace nt {
namespace cpu {
namespace {

using namespace dnnl;

struct Api {
  PFN_dnnl_version version = nullptr;
  PFN_dnnl_engine_create engineCreate = nullptr;
  PFN_dnnl_stream_create streamCreate = nullptr;
  PFN_dnnl_memory_desc_init_by_tag mdInit = nullptr;
  PFN_dnnl_memory_desc_equal mdEqual = nullptr;
  PFN_dnnl_memory_desc_get_size mdSize = nullptr;
  PFN_dnnl_dilated_convolution_forward_desc_init fwdInit = nullptr;
  PFN_dnnl_dilated_convolution_backward_data_desc_init bwdDataInit = nullptr;
  PFN_dnnl_dilated_convolution_backward_weights_desc_init bwdWeightsInit = nullptr;
  PFN_dnnl_primitive_attr_create attrCreate = nullptr;
  PFN_dnnl_primitive_attr_destroy attrDestroy = nullptr;
  PFN_dnnl_primitive_attr_set_scratchpad_mode attrScratchpad = nullptr;
  PFN_dnnl_primitive_desc_create pdCreate = nullptr;
  PFN_dnnl_reorder_primitive_desc_create reorderPdCreate = nullptr;
  PFN_dnnl_primitive_desc_query_md queryMd = nullptr;
  PFN_dnnl_primitive_desc_destroy pdDestroy = nullptr;
  PFN_dnnl_primitive_create primCreate = nullptr;
  PFN_dnnl_primitive_destroy primDestroy = nullptr;
  PFN_dnnl_primitive_execute execute = nullptr;
  PFN_dnnl_memory_create memCreate = nullptr;
  PFN_dnnl_memory_set_data_handle memSetHandle = nullptr;
  PFN_dnnl_memory_destroy memDestroy = nullptr;
  PFN_dnnl_stream_wait streamWait = nullptr;
  PFN_omp_set_num_threads ompSetNumThreads = nullptr;  // null unless the OpenMP runtime
  dnnl_engine_t engine = nullptr;
  dnnl_stream_t stream = nullptr;
};

template <class F>
void bind(void* h, const char* name, F* fn, std::string* missing) {
  *fn = reinterpret_cast<F>(dlsym(h, name));
  if (!*fn) *missing += std::string(missing->empty() ? "" : ", ") + name;
}

struct Loaded {
  OnednnStatus status;
  Api api;
};

Loaded load() {
  Loaded l;
  const char* env = std::getenv("NODETORCH_ONEDNN_LIB");
  const std::string so = env && *env ? env : "libdnnl.so.2";
  // libgomp reads this when it loads (with oneDNN, unless already loaded):
  // its default spin-wait after each conv kept both cores busy while
  // nodetorch's pool ran the next kernels, 1.2-2.8x slower MNIST CNN steps
  // on 2 cores (measured, README). A value the user set is kept.
  setenv("OMP_WAIT_POLICY", "passive", 0);
  void* h = dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char* e = dlerror();
    l.status.reason = "oneDNN could not be opened: " + so + ": " + (e ? e : "unknown dlopen error") +
                      " (install libdnnl2, or set NODETORCH_ONEDNN_LIB to its path)";
    return l;
  }
  Api& a = l.api;
  std::string missing;
  bind(h, "dnnl_version", &a.version, &missing);
  bind(h, "dnnl_engine_create", &a.engineCreate, &missing);
  bind(h, "dnnl_stream_create", &a.streamCreate, &missing);
  bind(h, "dnnl_memory_desc_init_by_tag", &a.mdInit, &missing);
  bind(h, "dnnl_memory_desc_equal", &a.mdEqual, &missing);
  bind(h, "dnnl_memory_desc_get_size", &a.mdSize, &missing);
  bind(h, "dnnl_dilated_convolution_forward_desc_init", &a.fwdInit, &missing);
  bind(h, "dnnl_dilated_convolution_backward_data_desc_init", &a.bwdDataInit, &missing);
  bind(h, "dnnl_dilated_convolution_backward_weights_desc_init", &a.bwdWeightsInit, &missing);
  bind(h, "dnnl_primitive_attr_create", &a.attrCreate, &missing);
  bind(h, "dnnl_primitive_attr_destroy", &a.attrDestroy, &missing);
  bind(h, "dnnl_primitive_attr_set_scratchpad_mode", &a.attrScratchpad, &missing);
  bind(h, "dnnl_primitive_desc_create", &a.pdCreate, &missing);
  bind(h, "dnnl_reorder_primitive_desc_create", &a.reorderPdCreate, &missing);
  bind(h, "dnnl_primitive_desc_query_md", &a.queryMd, &missing);
  bind(h, "dnnl_primitive_desc_destroy", &a.pdDestroy, &missing);
  bind(h, "dnnl_primitive_create", &a.primCreate, &missing);
  bind(h, "dnnl_primitive_destroy", &a.primDestroy, &missing);
  bind(h, "dnnl_primitive_execute", &a.execute, &missing);
  bind(h, "dnnl_memory_create", &a.memCreate, &missing);
  bind(h, "dnnl_memory_set_data_handle", &a.memSetHandle, &missing);
  bind(h, "dnnl_memory_destroy", &a.memDestroy, &missing);
  bind(h, "dnnl_stream_wait", &a.streamWait, &missing);
  Dl_info info;
  l.status.path = so;
  if (a.version && dladdr(reinterpret_cast<void*>(a.version), &info) && info.dli_fname) l.status.path = info.dli_fname;
  if (!missing.empty()) {
    l.status.reason = "oneDNN at " + l.status.path + " lacks " + missing;
    return l;
  }
  const dnnl_version_t* v = a.version();
  l.status.version = std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
  if (v->major != 2) {
    l.status.reason = "oneDNN " + l.status.version + " at " + l.status.path + " is not 2.x, the ABI nodetorch declares";
    return l;
  }
  if (v->cpu_runtime == kRuntimeOmp) {
    // The library's own libgomp (a dependency of the handle, so dlsym finds it).
    a.ompSetNumThreads = reinterpret_cast<PFN_omp_set_num_threads>(dlsym(h, "omp_set_num_threads"));
    const char* wait = std::getenv("OMP_WAIT_POLICY");
    l.status.version += std::string(" (OpenMP, OMP_WAIT_POLICY=") + (wait ? wait : "") + ")";
  }
  if (a.engineCreate(&a.engine, kEngineCpu, 0) != 0 || a.streamCreate(&a.stream, a.engine, kStreamDefault) != 0) {
    l.status.reason = "oneDNN at " + l.status.path + " could not create a CPU engine and stream";
    return l;
  }
  l.status.available = true;
  return l;
}

const Loaded& loaded() {
  static const Loaded l = load();  // thread-safe, once per process
  return l;
}

enum class Dir { Forward, BackwardData, BackwardWeight };

// One tensor of a call: its plain memory, and the primitive's when the
// layout it chose differs (then a reorder runs before or after).
struct Operand {
  int arg = 0;
  bool output = false;
  dnnl_memory_t user = nullptr;
  dnnl_memory_t inner = nullptr;
  size_t innerBytes = 0;
  dnnl_primitive_t reorder = nullptr;
};

struct Primitive {
  dnnl_primitive_t prim = nullptr;
  std::array<Operand, 3> ops;  // the written tensor first
  dnnl_memory_t scratch = nullptr;
  size_t scratchBytes = 0;
};

using Key = std::array<int64_t, 21>;

struct Cache {
  std::mutex mu;
  std::map<Key, std::unique_ptr<Primitive>> entries;  // null: oneDNN has no implementation
};

Cache& cache() {
  static Cache* c = new Cache;  // never destroyed: primitives may outlive static destructors
  return *c;
}

// The thread count is part of the key: oneDNN sizes some kernels' work
// split for the threads it sees when the primitive is created.
template <class A>
Key keyOf(Dir d, const A& a, int threads) {
  return {static_cast<int64_t>(d),
          a.N,
          a.C,
          a.H,
          a.W,
          a.Co,
          a.G,
          a.Cg,
          a.Ho,
          a.Wo,
          a.kh,
          a.kw,
          a.sh,
          a.sw,
          a.dh,
          a.dw,
          a.pt,
          a.pb,
          a.pl,
          a.pr,
          threads};
}

struct Descs {
  dnnl_memory_desc_t x, w, y;           // plain
  dnnl_memory_desc_t xAny, wAny, yAny;  // format "any"
};

template <class A>
bool makeDescs(const Api& api, const A& a, Descs* d) {
  const dnnl_dims_t xd = {a.N, a.C, a.H, a.W};
  const dnnl_dims_t yd = {a.N, a.Co, a.Ho, a.Wo};
  const dnnl_dims_t wd1 = {a.Co, a.Cg, a.kh, a.kw};
  const dnnl_dims_t wdG = {a.G, a.Co / a.G, a.Cg, a.kh, a.kw};
  const bool grouped = a.G > 1;
  const int wn = grouped ? 5 : 4;
  const dnnl_dim_t* wd = grouped ? wdG : wd1;
  const int wtag = grouped ? kTagGoihw : kTagNchw;
  return api.mdInit(&d->x, 4, xd, kF32, kTagNchw) == 0 && api.mdInit(&d->y, 4, yd, kF32, kTagNchw) == 0 &&
         api.mdInit(&d->w, wn, wd, kF32, wtag) == 0 && api.mdInit(&d->xAny, 4, xd, kF32, kTagAny) == 0 &&
         api.mdInit(&d->yAny, 4, yd, kF32, kTagAny) == 0 && api.mdInit(&d->wAny, wn, wd, kF32, kTagAny) == 0;
}

// Frees a primitive's objects (also a partly built one).
void destroy(const Api& api, Primitive* p) {
  for (Operand& o : p->ops) {
    if (o.reorder) api.primDestroy(o.reorder);
    if (o.user) api.memDestroy(o.user);
    if (o.inner) api.memDestroy(o.inner);
  }
  if (p->scratch) api.memDestroy(p->scratch);
  if (p->prim) api.primDestroy(p->prim);
}

// The operand's memories and, when the chosen layout is not the plain one,
// its reorder (plain -> chosen for inputs, chosen -> plain for the output).
bool makeOperand(const Api& api, Operand* o, int arg, bool output, const dnnl_memory_desc_t& plain,
                 const dnnl_memory_desc_t* chosen) {
  o->arg = arg;
  o->output = output;
  if (!chosen || api.memCreate(&o->user, &plain, api.engine, nullptr) != 0) return false;
  if (api.mdEqual(&plain, chosen)) return true;
  o->innerBytes = api.mdSize(chosen);
  if (api.memCreate(&o->inner, chosen, api.engine, nullptr) != 0) return false;
  dnnl_primitive_desc_t rpd = nullptr;
  const dnnl_memory_desc_t* from = output ? chosen : &plain;
  const dnnl_memory_desc_t* to = output ? &plain : chosen;
  if (api.reorderPdCreate(&rpd, from, api.engine, to, api.engine, nullptr) != 0) return false;
  const bool ok = api.primCreate(&o->reorder, rpd) == 0;
  api.pdDestroy(rpd);
  return ok;
}

template <class A>
std::unique_ptr<Primitive> build(const Api& api, Dir dir, const A& a) {
  Descs d;
  if (!makeDescs(api, a, &d)) return nullptr;
  const dnnl_dims_t strides = {a.sh, a.sw};
  const dnnl_dims_t dilates = {a.dh - 1, a.dw - 1};  // oneDNN counts the gaps
  const dnnl_dims_t padL = {a.pt, a.pl};
  const dnnl_dims_t padR = {a.pb, a.pr};
  dnnl_primitive_attr_t attr = nullptr;
  if (api.attrCreate(&attr) != 0) return nullptr;
  api.attrScratchpad(attr, kScratchpadUser);
  dnnl_convolution_desc_t fwd;
  dnnl_primitive_desc_t fwdPd = nullptr, pd = nullptr;
  bool ok = api.fwdInit(&fwd, kForwardTraining, kConvDirect, &d.xAny, &d.wAny, nullptr, &d.yAny, strides, dilates, padL,
                        padR) == 0 &&
            api.pdCreate(&fwdPd, &fwd, attr, api.engine, nullptr) == 0;
  if (ok && dir == Dir::Forward) {
    pd = fwdPd;
    fwdPd = nullptr;
  } else if (ok) {
    dnnl_convolution_desc_t bwd;
    ok = (dir == Dir::BackwardData
              ? api.bwdDataInit(&bwd, kConvDirect, &d.xAny, &d.wAny, &d.yAny, strides, dilates, padL, padR)
              : api.bwdWeightsInit(&bwd, kConvDirect, &d.xAny, &d.wAny, nullptr, &d.yAny, strides, dilates, padL,
                                   padR)) == 0 &&
         api.pdCreate(&pd, &bwd, attr, api.engine, fwdPd) == 0;
  }
  api.attrDestroy(attr);
  if (fwdPd) api.pdDestroy(fwdPd);
  if (!ok) {
    if (pd) api.pdDestroy(pd);
    return nullptr;
  }
  auto p = std::make_unique<Primitive>();
  switch (dir) {
    case Dir::Forward:
      ok = makeOperand(api, &p->ops[0], kArgDst, true, d.y, api.queryMd(pd, kQueryDstMd, 0)) &&
           makeOperand(api, &p->ops[1], kArgSrc, false, d.x, api.queryMd(pd, kQuerySrcMd, 0)) &&
           makeOperand(api, &p->ops[2], kArgWeights, false, d.w, api.queryMd(pd, kQueryWeightsMd, 0));
      break;
    case Dir::BackwardData:
      ok = makeOperand(api, &p->ops[0], kArgDiffSrc, true, d.x, api.queryMd(pd, kQueryDiffSrcMd, 0)) &&
           makeOperand(api, &p->ops[1], kArgDiffDst, false, d.y, api.queryMd(pd, kQueryDiffDstMd, 0)) &&
           makeOperand(api, &p->ops[2], kArgWeights, false, d.w, api.queryMd(pd, kQueryWeightsMd, 0));
      break;
    case Dir::BackwardWeight:
      ok = makeOperand(api, &p->ops[0], kArgDiffWeights, true, d.w, api.queryMd(pd, kQueryDiffWeightsMd, 0)) &&
           makeOperand(api, &p->ops[1], kArgSrc, false, d.x, api.queryMd(pd, kQuerySrcMd, 0)) &&
           makeOperand(api, &p->ops[2], kArgDiffDst, false, d.y, api.queryMd(pd, kQueryDiffDstMd, 0));
      break;
  }
  const dnnl_memory_desc_t* smd = api.queryMd(pd, kQueryScratchpadMd, 0);
  if (ok && smd) {
    p->scratchBytes = api.mdSize(smd);
    if (p->scratchBytes) ok = api.memCreate(&p->scratch, smd, api.engine, nullptr) == 0;
  }
  ok = ok && api.primCreate(&p->prim, pd) == 0;
  api.pdDestroy(pd);
  if (!ok) {
    destroy(api, p.get());
    return nullptr;
  }
  return p;
}

void check(dnnl_status_t s, const char* what) {
  if (s != 0)
    throw Error(ErrorKind::Native, std::string("conv2d (oneDNN): ") + what + " failed, status " + std::to_string(s));
}

void runReorder(const Api& api, dnnl_primitive_t r, dnnl_memory_t from, dnnl_memory_t to) {
  const dnnl_exec_arg_t args[2] = {{kArgFrom, from}, {kArgTo, to}};
  check(api.execute(r, api.stream, 2, args), "reorder");
}

// Host buffers for one call's reordered operands and scratchpad.
struct Buffers {
  std::vector<std::pair<void*, size_t>> held;
  void* take(size_t n) {
    void* p = hostAlloc(n);
    held.emplace_back(p, n);
    return p;
  }
  ~Buffers() {
    for (auto& b : held) hostRelease(b.first, b.second);
  }
};

void run(const Api& api, Primitive& p, void* const data[3]) {
  Buffers bufs;
  std::vector<dnnl_exec_arg_t> args;
  for (int k = 0; k < 3; ++k) {
    Operand& o = p.ops[k];
    check(api.memSetHandle(o.user, data[k]), "set data handle");
    if (o.inner) check(api.memSetHandle(o.inner, bufs.take(o.innerBytes)), "set data handle");
    if (o.inner && !o.output) runReorder(api, o.reorder, o.user, o.inner);
    args.push_back({o.arg, o.inner ? o.inner : o.user});
  }
  if (p.scratch) {
    check(api.memSetHandle(p.scratch, bufs.take(p.scratchBytes)), "set data handle");
    args.push_back({kArgScratchpad, p.scratch});
  }
  check(api.execute(p.prim, api.stream, static_cast<int>(args.size()), args.data()), "convolution");
  if (p.ops[0].inner) runReorder(api, p.ops[0].reorder, p.ops[0].inner, p.ops[0].user);
  check(api.streamWait(api.stream), "stream wait");
}

template <class A>
bool convCall(Dir dir, const A& a, void* const data[3]) {
  const Loaded& l = loaded();
  if (!l.status.available || a.dtype != DType::Float32) return false;
  const Api& api = l.api;
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  const int threads = getNumThreads();
  if (api.ompSetNumThreads) api.ompSetNumThreads(threads);  // this thread's OpenMP count, before creation too
  const Key key = keyOf(dir, a, threads);
  auto it = c.entries.find(key);
  if (it == c.entries.end()) {
    if (c.entries.size() >= 256) {  // shapes seen once (e.g. a last partial batch) do not pile up
      for (auto& e : c.entries)
        if (e.second) destroy(api, e.second.get());
      c.entries.clear();
    }
    it = c.entries.emplace(key, build(api, dir, a)).first;
  }
  if (!it->second) return false;
  run(api, *it->second, data);
  return true;
}

}  // namespace

const OnednnStatus& onednnStatus() { return loaded().status; }

bool onednnConvForward(const Conv2dForwardArgs& a) {
  void* const data[3] = {a.out, const_cast<void*>(a.input), const_cast<void*>(a.weight)};
  return convCall(Dir::Forward, a, data);
}

bool onednnConvBackwardData(const Conv2dBackwardDataArgs& a) {
  void* const data[3] = {a.dx, const_cast<void*>(a.dy), const_cast<void*>(a.weight)};
  return convCall(Dir::BackwardData, a, data);
}

bool onednnConvBackwardWeight(const Conv2dBackwardWeightArgs& a) {
  void* const data[3] = {a.dweight, const_cast<void*>(a.input), const_cast<void*>(a.dy)};
  return convCall(Dir::BackwardWeight, a, data);
}

}  // namespace cpu
}  // namespace nt
