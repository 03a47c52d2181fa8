// The pieces of oneDNN 2.x's C API (dnnl.h, dnnl_types.h) that onednn_conv.cpp
// calls, declared here so the build needs no oneDNN headers: the library is
// opened at run time with dlopen("libdnnl.so.2"). Values and sizes are those
// of oneDNN 2.6's headers; the 2.x ABI keeps them, and onednn_load checks the
// major version before using any of them.
#pragma once
#include <cstddef>
#include <cstdint>

namespace nt {
namespace cpu {
namespace dnnl {

using dnnl_status_t = int;  // dnnl_success = 0
using dnnl_dim_t = int64_t;
constexpr int kMaxNdims = 12;  // DNNL_MAX_NDIMS
using dnnl_dims_t = dnnl_dim_t[kMaxNdims];

// Filled only by the library; we never read the fields, so they stay opaque
// (sizeof/alignof of dnnl_memory_desc_t and dnnl_convolution_desc_t in 2.6).
struct alignas(8) dnnl_memory_desc_t {
  unsigned char bytes[696];
};
struct alignas(8) dnnl_convolution_desc_t {
  unsigned char bytes[5976];
};

struct dnnl_engine;
struct dnnl_stream;
struct dnnl_memory;
struct dnnl_primitive;
struct dnnl_primitive_desc;
struct dnnl_primitive_attr;
using dnnl_engine_t = dnnl_engine*;
using dnnl_stream_t = dnnl_stream*;
using dnnl_memory_t = dnnl_memory*;
using dnnl_primitive_t = dnnl_primitive*;
using dnnl_primitive_desc_t = dnnl_primitive_desc*;
using dnnl_primitive_attr_t = dnnl_primitive_attr*;

struct dnnl_exec_arg_t {
  int arg;
  dnnl_memory_t memory;
};

struct dnnl_version_t {
  int major;
  int minor;
  int patch;
  const char* hash;
  unsigned cpu_runtime;
  unsigned gpu_runtime;
};

// Enumerators used (dnnl_types.h).
constexpr int kF32 = 3;                 // dnnl_f32
constexpr int kTagAny = 1;              // dnnl_format_tag_any
constexpr int kTagNchw = 5;             // dnnl_nchw (= dnnl_abcd, also oihw)
constexpr int kTagGoihw = 7;            // dnnl_goihw (= dnnl_abcde)
constexpr int kForwardTraining = 64;    // dnnl_forward_training
constexpr int kConvDirect = 1;          // dnnl_convolution_direct
constexpr int kEngineCpu = 1;           // dnnl_cpu
constexpr unsigned kStreamDefault = 1;  // dnnl_stream_default_flags
constexpr int kScratchpadUser = 1;      // dnnl_scratchpad_mode_user
constexpr unsigned kRuntimeOmp = 2;     // DNNL_RUNTIME_OMP
// dnnl_query_t
constexpr int kQuerySrcMd = 129;
constexpr int kQueryDiffSrcMd = 130;
constexpr int kQueryWeightsMd = 131;
constexpr int kQueryDiffWeightsMd = 132;
constexpr int kQueryDstMd = 133;
constexpr int kQueryDiffDstMd = 134;
constexpr int kQueryScratchpadMd = 136;
// DNNL_ARG_*
constexpr int kArgSrc = 1;
constexpr int kArgDst = 17;
constexpr int kArgWeights = 33;
constexpr int kArgDiffSrc = 129;
constexpr int kArgDiffDst = 145;
constexpr int kArgDiffWeights = 161;
constexpr int kArgScratchpad = 80;
constexpr int kArgFrom = 1;
constexpr int kArgTo = 17;

extern "C" {
using PFN_dnnl_version = const dnnl_version_t* (*)();
using PFN_dnnl_engine_create = dnnl_status_t (*)(dnnl_engine_t*, int kind, size_t index);
using PFN_dnnl_stream_create = dnnl_status_t (*)(dnnl_stream_t*, dnnl_engine_t, unsigned flags);
using PFN_dnnl_memory_desc_init_by_tag = dnnl_status_t (*)(dnnl_memory_desc_t*, int ndims, const dnnl_dims_t dims,
                                                           int data_type, int tag);
using PFN_dnnl_memory_desc_equal = int (*)(const dnnl_memory_desc_t*, const dnnl_memory_desc_t*);
using PFN_dnnl_memory_desc_get_size = size_t (*)(const dnnl_memory_desc_t*);
using PFN_dnnl_dilated_convolution_forward_desc_init = dnnl_status_t (*)(
    dnnl_convolution_desc_t*, int prop_kind, int alg_kind, const dnnl_memory_desc_t* src,
    const dnnl_memory_desc_t* weights, const dnnl_memory_desc_t* bias, const dnnl_memory_desc_t* dst,
    const dnnl_dims_t strides, const dnnl_dims_t dilates, const dnnl_dims_t padding_l, const dnnl_dims_t padding_r);
using PFN_dnnl_dilated_convolution_backward_data_desc_init =
    dnnl_status_t (*)(dnnl_convolution_desc_t*, int alg_kind, const dnnl_memory_desc_t* diff_src,
                      const dnnl_memory_desc_t* weights, const dnnl_memory_desc_t* diff_dst, const dnnl_dims_t strides,
                      const dnnl_dims_t dilates, const dnnl_dims_t padding_l, const dnnl_dims_t padding_r);
using PFN_dnnl_dilated_convolution_backward_weights_desc_init = dnnl_status_t (*)(
    dnnl_convolution_desc_t*, int alg_kind, const dnnl_memory_desc_t* src, const dnnl_memory_desc_t* diff_weights,
    const dnnl_memory_desc_t* diff_bias, const dnnl_memory_desc_t* diff_dst, const dnnl_dims_t strides,
    const dnnl_dims_t dilates, const dnnl_dims_t padding_l, const dnnl_dims_t padding_r);
using PFN_dnnl_primitive_attr_create = dnnl_status_t (*)(dnnl_primitive_attr_t*);
using PFN_dnnl_primitive_attr_destroy = dnnl_status_t (*)(dnnl_primitive_attr_t);
using PFN_dnnl_primitive_attr_set_scratchpad_mode = dnnl_status_t (*)(dnnl_primitive_attr_t, int mode);
using PFN_dnnl_primitive_desc_create = dnnl_status_t (*)(dnnl_primitive_desc_t*, const void* op_desc,
                                                         const dnnl_primitive_attr_t attr, dnnl_engine_t,
                                                         const dnnl_primitive_desc_t hint);
using PFN_dnnl_reorder_primitive_desc_create = dnnl_status_t (*)(dnnl_primitive_desc_t*, const dnnl_memory_desc_t* src,
                                                                 dnnl_engine_t, const dnnl_memory_desc_t* dst,
                                                                 dnnl_engine_t, const dnnl_primitive_attr_t attr);
using PFN_dnnl_primitive_desc_query_md = const dnnl_memory_desc_t* (*)(const dnnl_primitive_desc_t, int what,
                                                                       int index);
using PFN_dnnl_primitive_desc_destroy = dnnl_status_t (*)(dnnl_primitive_desc_t);
using PFN_dnnl_primitive_create = dnnl_status_t (*)(dnnl_primitive_t*, const dnnl_primitive_desc_t);
using PFN_dnnl_primitive_destroy = dnnl_status_t (*)(dnnl_primitive_t);
using PFN_dnnl_primitive_execute = dnnl_status_t (*)(const dnnl_primitive_t, dnnl_stream_t, int nargs,
                                                     const dnnl_exec_arg_t* args);
using PFN_dnnl_memory_create = dnnl_status_t (*)(dnnl_memory_t*, const dnnl_memory_desc_t*, dnnl_engine_t,
                                                 void* handle);
using PFN_dnnl_memory_set_data_handle = dnnl_status_t (*)(dnnl_memory_t, void* handle);
using PFN_dnnl_memory_destroy = dnnl_status_t (*)(dnnl_memory_t);
using PFN_dnnl_stream_wait = dnnl_status_t (*)(dnnl_stream_t);
using PFN_omp_set_num_threads = void (*)(int);
}

}  // namespace dnnl
}  // namespace cpu
}  // namespace nt
